/*
 * Unit tests of the ELF loader: a tiny program built in memory, loaded
 * through vfs_anon_file into a fresh address space on the fake platform;
 * checks the segments, the bss, the initial stack and auxv, and the
 * reasons given for programs that cannot run.
 */
#include <stdlib.h>

#include "cpu.h"
#include "elf64.h"
#include "fake.h"
#include "mm_impl.h"
#include "syscall.h"
#include "unit.h"
#include "vfs.h"

#define IMG_SIZE 0x1100

/* Text R-X at base (headers included), data RW at base+0x2010 with 0x20
 * bytes from the file and a bss running over two more pages.  The bytes
 * after the data in the file are 0xee: the loader must zero them. */
static unsigned char *make_image(uint16_t type, uint64_t base)
{
	unsigned char *img = calloc(1, IMG_SIZE);
	struct elf64_ehdr *eh = (struct elf64_ehdr *)img;
	struct elf64_phdr *ph = (struct elf64_phdr *)(img + 64);
	memcpy(eh->ident, "\177ELF\2\1\1", 7);
	eh->type = type;
	eh->machine = ARCH_ELF_MACHINE;
	eh->version = 1;
	eh->entry = base + 0x100;
	eh->phoff = 64;
	eh->ehsize = 64;
	eh->phentsize = sizeof *ph;
	eh->phnum = 2;
	ph[0] = (struct elf64_phdr){1, 5, 0, base, base, 0x1000, 0x1000, 0x1000};
	ph[1] =
	    (struct elf64_phdr){1, 6, 0x1010, base + 0x2010, base + 0x2010, 0x20, 0x3000, 0x1000};
	memset(img + 0x1010, 0x5a, 0x20);
	memset(img + 0x1030, 0xee, IMG_SIZE - 0x1030);
	return img;
}

struct elfenv {
	struct proc p;
	struct thread t;
	struct inode *exe;
	uint32_t frames0;
};

static int load(struct elfenv *e, const void *img, size_t len, const char **why,
                struct arch_regs *regs)
{
	static char *const argv[] = {"prog", "hi", NULL};
	static char *const envp[] = {"A=1", NULL};
	memset(e, 0, sizeof *e);
	e->frames0 = plat_frames_in_use();
	e->exe = vfs_anon_file(img, len, 0755);
	CHECK(e->exe != NULL);
	CHECK_EQ(plat_as_create(&e->p.as), 0);
	e->p.mm = mm_create(e->p.as);
	e->p.uid = e->p.euid = 1000;
	e->p.gid = e->p.egid = 100;
	CHECK_EQ(vfs_init(), 0); /* the loader looks PT_INTERP up there */
	e->p.fs = fs_context_create();
	e->t.proc = &e->p;
	return elf_load(&e->t, e->exe, "/bin/prog", argv, envp, regs, why);
}

static void unload(struct elfenv *e)
{
	mm_put(e->p.mm); /* the address space goes with it */
	fs_context_put(e->p.fs);
	inode_put(e->exe);
	CHECK_EQ(plat_frames_in_use(), e->frames0);
}

static uint64_t rd64(struct mm *mm, uint64_t va)
{
	uint64_t v = 0;
	CHECK_EQ(mm_copy_from(mm, &v, va, 8), 0);
	return v;
}

static void rdstr(struct mm *mm, uint64_t va, char *buf, size_t n)
{
	CHECK(mm_strncpy_from(mm, buf, va, n) >= 0);
}

static uint64_t aux(struct mm *mm, uint64_t auxv, uint64_t type, int *found)
{
	*found = 0;
	for (int i = 0; i < 64; i++) {
		uint64_t t = rd64(mm, auxv + 16 * i);
		if (t == type) {
			*found = 1;
			return rd64(mm, auxv + 16 * i + 8);
		}
		if (t == 0)
			break;
	}
	return 0;
}

TEST(elf_load_static_exec)
{
	struct elfenv e;
	struct arch_regs regs;
	const char *why = "unset";
	unsigned char *img = make_image(2, 0x400000);
	CHECK_EQ(load(&e, img, IMG_SIZE, &why, &regs), 0);
	CHECK(why == NULL);
	struct mm *mm = e.p.mm;
	CHECK_EQ(arch_ip(&regs), 0x400100);
	CHECK_EQ(arch_sp(&regs) % 16, 0);
	/* Every other register starts zero. */
	struct arch_regs z = regs, zero;
	arch_set_ip(&z, 0);
	arch_set_sp(&z, 0);
	memset(&zero, 0, sizeof zero);
	CHECK(!memcmp(&z, &zero, sizeof z));

	/* Segments: text readable, not writable; data from the file; the
	 * rest of its page and the bss zero. */
	uint64_t v = rd64(mm, 0x400000);
	CHECK(!memcmp(&v, "\177ELF", 4));
	CHECK_EQ(mm_copy_to(mm, 0x400100, "x", 1), -EFAULT);
	CHECK_EQ(rd64(mm, 0x402010), 0x5a5a5a5a5a5a5a5aULL);
	CHECK_EQ(rd64(mm, 0x402028), 0x5a5a5a5a5a5a5a5aULL);
	CHECK_EQ(rd64(mm, 0x402030), 0);
	CHECK_EQ(rd64(mm, 0x402ff8), 0);
	CHECK_EQ(rd64(mm, 0x405008), 0);
	CHECK_EQ(mm_copy_to(mm, 0x405008, "bss!", 4), 0);
	CHECK_EQ(mm_copy_from(mm, &v, 0x406000, 1), -EFAULT);
	/* The file itself is untouched by the zeroing. */
	unsigned char b;
	CHECK_EQ(inode_read(e.exe, &b, 1, 0x1030), 1);
	CHECK_EQ(b, 0xee);
	/* brk starts after the highest segment. */
	struct sysargs a = {12, {0}};
	CHECK_EQ(sys_brk(&e.t, &a), 0x406000);

	/* The stack, as Linux builds it. */
	uint64_t sp = arch_sp(&regs);
	char s[64];
	CHECK_EQ(rd64(mm, sp), 2);
	rdstr(mm, rd64(mm, sp + 8), s, sizeof s);
	CHECK(!strcmp(s, "prog"));
	rdstr(mm, rd64(mm, sp + 16), s, sizeof s);
	CHECK(!strcmp(s, "hi"));
	CHECK_EQ(rd64(mm, sp + 24), 0);
	rdstr(mm, rd64(mm, sp + 32), s, sizeof s);
	CHECK(!strcmp(s, "A=1"));
	CHECK_EQ(rd64(mm, sp + 40), 0);
	uint64_t auxv = sp + 48;
	int f;
	CHECK_EQ(aux(mm, auxv, 9 /* ENTRY */, &f), 0x400100);
	CHECK_EQ(aux(mm, auxv, 3 /* PHDR */, &f), 0x400040);
	CHECK_EQ(aux(mm, auxv, 4 /* PHENT */, &f), 56);
	CHECK_EQ(aux(mm, auxv, 5 /* PHNUM */, &f), 2);
	CHECK_EQ(aux(mm, auxv, 6 /* PAGESZ */, &f), 4096);
	CHECK_EQ(aux(mm, auxv, 7 /* BASE */, &f), 0);
	CHECK(f);
	CHECK_EQ(aux(mm, auxv, 11 /* UID */, &f), 1000);
	CHECK_EQ(aux(mm, auxv, 14 /* EGID */, &f), 100);
	CHECK_EQ(aux(mm, auxv, 17 /* CLKTCK */, &f), 100);
	CHECK_EQ(aux(mm, auxv, 23 /* SECURE */, &f), 0);
	CHECK(f);
	CHECK_EQ(aux(mm, auxv, 51 /* MINSIGSTKSZ */, &f), ARCH_MINSIGSTKSZ);
	CHECK(aux(mm, auxv, 16 /* HWCAP */, &f) != 0);
	aux(mm, auxv, 33 /* SYSINFO_EHDR: no vDSO */, &f);
	CHECK(!f);
	rdstr(mm, aux(mm, auxv, 31 /* EXECFN */, &f), s, sizeof s);
	CHECK(!strcmp(s, "/bin/prog"));
#if ARCH_HAS_AT_PLATFORM
	rdstr(mm, aux(mm, auxv, 15 /* PLATFORM */, &f), s, sizeof s);
	CHECK(!strcmp(s, ARCH_PLATFORM));
#else
	aux(mm, auxv, 15 /* PLATFORM */, &f);
	CHECK(!f);
#endif
	uint64_t rnd = aux(mm, auxv, 25 /* RANDOM */, &f);
	CHECK(rnd > sp && rnd < 0x7ffffffff000ULL);
	/* The strings end the stack: execfn, then an 8-byte zero word. */
	CHECK_EQ(aux(mm, auxv, 31, &f), 0x7ffffffff000ULL - 8 - sizeof "/bin/prog");
	CHECK_EQ(rd64(mm, 0x7ffffffff000ULL - 8), 0);
	CHECK_EQ(rd64(mm, sp + 8), 0x7ffffffff000ULL - 8 - sizeof "/bin/prog" - 4 - 5 - 3);

	char *maps;
	size_t len;
	CHECK_EQ(mm_format_maps(mm, "/bin/prog", &maps, &len), 0);
	/* The program's lines carry its device and inode numbers. */
	unsigned dev;
	unsigned long inum;
	inode_map_name(e.exe, &dev, &inum);
	char l1[128], l2[128], want[1024];
	snprintf(l1, sizeof l1, "00400000-00401000 r-xp 00000000 00:%02x %lu", dev, inum);
	snprintf(l2, sizeof l2, "00402000-00403000 rw-p 00001000 00:%02x %lu", dev, inum);
	snprintf(
	    want, sizeof want, "%-72s /bin/prog\n%-72s /bin/prog\n%s", l1, l2,
	    "00403000-00406000 rw-p 00000000 00:00 0 \n"
#if defined(__riscv)
	    /* the sigreturn trampoline, where Linux has the vDSO */
	    "7ffff7ffe000-7ffff7fff000 r-xp 00000000 00:00 0 \n"
#endif
	    "7fffff7ff000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n");
	CHECK(!strcmp(maps, want));
	if (strcmp(maps, want))
		printf("%s", maps);
	free(maps);
	unload(&e);
	free(img);
}

TEST(elf_load_static_pie)
{
	struct elfenv e;
	struct arch_regs regs;
	const char *why;
	unsigned char *img = make_image(3, 0);
	CHECK_EQ(load(&e, img, IMG_SIZE, &why, &regs), 0);
	const uint64_t base = ARCH_ET_DYN_BASE; /* 0x555555554000 on x86_64 */
	CHECK_EQ(arch_ip(&regs), base + 0x100);
	CHECK_EQ(rd64(e.p.mm, base + 0x2010), 0x5a5a5a5a5a5a5a5aULL);
	int f;
	CHECK_EQ(aux(e.p.mm, arch_sp(&regs) + 48, 3, &f), base + 0x40);
	struct sysargs a = {12, {0}};
	CHECK_EQ(sys_brk(&e.t, &a), base + 0x6000);
	unload(&e);
	free(img);
}

static void expect_fail(unsigned char *img, size_t len, int err, const char *reason)
{
	struct elfenv e;
	struct arch_regs regs;
	const char *why = NULL;
	CHECK_EQ(load(&e, img, len, &why, &regs), err);
	CHECK(why && strstr(why, reason));
	if (!why || !strstr(why, reason))
		printf("  reason: %s\n", why ? why : "(none)");
	unload(&e);
}

TEST(elf_load_refusals)
{
	unsigned char *img = make_image(2, 0x400000);
	struct elf64_ehdr *eh = (struct elf64_ehdr *)img;
	struct elf64_phdr *ph = (struct elf64_phdr *)(img + 64);

	expect_fail((unsigned char *)"#!/bin/sh\necho hi\n", 18, -ENOEXEC, "not an ELF file");
	eh->ident[4] = 1;
	expect_fail(img, IMG_SIZE, -ENOEXEC, "not a 64-bit");
	eh->ident[4] = 2;
	eh->machine = 183;
	expect_fail(img, IMG_SIZE, -ENOEXEC, "built for AArch64");
	eh->machine = ARCH_ELF_MACHINE == 62 ? 243 : 62;
	expect_fail(img, IMG_SIZE, -ENOEXEC, "wrong architecture");
	eh->machine = ARCH_ELF_MACHINE;
	eh->type = 1;
	expect_fail(img, IMG_SIZE, -ENOEXEC, "not an executable");
	eh->type = 2;
	ph[1].type = 3; /* PT_INTERP, not NUL-terminated */
	expect_fail(img, IMG_SIZE, -ENOEXEC, "PT_INTERP is not a path");
	memcpy(img + 0x1010, "/lib/missing-ld.so", 19);
	ph[1].filesz = 19;
	expect_fail(img, IMG_SIZE, -ENOENT,
	            "dynamic loader /lib/missing-ld.so is not in the guest");
	memset(img + 0x1010, 0x5a, 0x20);
	ph[1].filesz = 0x20;
	ph[1].type = 1;
	ph[1].filesz = 0x10000;
	expect_fail(img, IMG_SIZE, -ENOEXEC, "corrupt");
	ph[1].filesz = 0x20;
	eh->phentsize = 32;
	expect_fail(img, IMG_SIZE, -ENOEXEC, "corrupt");
	eh->phentsize = 56;
	eh->phoff = IMG_SIZE - 8;
	expect_fail(img, IMG_SIZE, -ENOEXEC, "corrupt");
	expect_fail(img, 20, -ENOEXEC, "corrupt");
	free(img);
}

TEST(elf_load_out_of_memory)
{
	unsigned char *img = make_image(2, 0x400000);
	/* Fail at every point of the load in turn: each must end in an
	 * error (never a crash) and leave no frame behind. */
	for (int n = 0; n < 12; n++) {
		struct elfenv e;
		struct arch_regs regs;
		const char *why = NULL;
		memset(&e, 0, sizeof e);
		uint32_t before = plat_frames_in_use();
		e.exe = vfs_anon_file(img, IMG_SIZE, 0755);
		CHECK(e.exe != NULL);
		CHECK_EQ(plat_as_create(&e.p.as), 0);
		e.p.mm = mm_create(e.p.as);
		e.t.proc = &e.p;
		fake_fail_frame_alloc_after(n);
		int r = elf_load(&e.t, e.exe, "/p", NULL, NULL, &regs, &why);
		fake_fail_frame_alloc_after(-1);
		CHECK(r == 0 || (r == -ENOMEM && why));
		mm_put(e.p.mm);
		inode_put(e.exe);
		CHECK_EQ(plat_frames_in_use(), before);
	}
	free(img);
}
