/*
 * Unit tests of the memory module against the fake platform: lazy
 * population, sparse reservations, munmap/mprotect/mremap, brk, copies at
 * mapping boundaries, /proc/self/maps, and injected failures that must
 * end in -ENOMEM without leaking a frame.
 */
#include <stdlib.h>

#include "fake.h"
#include "mm_impl.h"
#include "syscall.h"
#include "unit.h"
#include "vfs.h"

#define PROT_R PLAT_PROT_READ
#define PROT_W PLAT_PROT_WRITE
#define PROT_RW (PLAT_PROT_READ | PLAT_PROT_WRITE)
#define ANON (LX_MAP_PRIVATE | LX_MAP_ANONYMOUS)
#define GiB (1ULL << 30)

/* A process with just an address space, enough for the mm syscalls. */
struct env {
	struct proc p;
	struct thread t;
	uint32_t frames0;
};

static void env_init(struct env *e)
{
	memset(e, 0, sizeof *e);
	e->frames0 = plat_frames_in_use();
	CHECK_EQ(plat_as_create(&e->p.as), 0);
	e->p.mm = mm_create(e->p.as);
	CHECK(e->p.mm != NULL);
	e->t.proc = &e->p;
}

/* Tear down and check that every frame went back. */
static void env_fini(struct env *e)
{
	mm_put(e->p.mm); /* the address space goes with it */
	CHECK_EQ(plat_frames_in_use(), e->frames0);
}

static long sys(long (*fn)(struct thread *, const struct sysargs *), struct env *e, uint64_t a0,
                uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct sysargs a = {0, {a0, a1, a2, a3, a4, a5}};
	return fn(&e->t, &a);
}

TEST(mm_lazy_population)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	long a = mm_map(mm, 0, 1 << 20, PROT_RW, ANON, NULL, 0);
	CHECK(a > 0);
	CHECK_EQ(a & ~PAGE_MASK, 0);
	/* Top-down below mmap_base, as Linux without ASLR. */
	CHECK_EQ(a, 0x7ffff7fff000L - (1 << 20));
	CHECK_EQ(plat_frames_in_use(), e.frames0);
	CHECK_EQ(fake_mapped_pages(e.p.as), 0);

	CHECK_EQ(mm_handle_fault(mm, a + 5000, PROT_W), 0);
	int prot = 0;
	frame_t f = fake_lookup(e.p.as, a + 4096, &prot);
	CHECK(f != FRAME_NONE);
	CHECK_EQ(prot, PROT_RW);
	unsigned char *mem = plat_frame_ptr(f);
	int nonzero = 0;
	for (int i = 0; i < 4096; i++)
		nonzero |= mem[i];
	CHECK_EQ(nonzero, 0);
	/* Fault-around stays modest. */
	CHECK(fake_mapped_pages(e.p.as) >= 1 && fake_mapped_pages(e.p.as) <= 16);
	CHECK_EQ(plat_frames_in_use() - e.frames0, fake_mapped_pages(e.p.as));

	/* A mapped page faulting again with unknown access: a rights
	 * violation (the Linux backend cannot say what the access was). */
	CHECK_EQ(mm_handle_fault(mm, a + 4096, 0), -EACCES);
	/* Known and allowed: spurious, fine. */
	CHECK_EQ(mm_handle_fault(mm, a + 4096, PROT_R), 0);
	/* Outside any mapping. */
	CHECK_EQ(mm_handle_fault(mm, 0x100000, PROT_R), -EFAULT);

	uint64_t vm, rss;
	mm_usage(mm, &vm, &rss);
	CHECK_EQ(vm, 1 << 20);
	CHECK_EQ(rss, fake_mapped_pages(e.p.as));
	env_fini(&e);
}

TEST(mm_fault_rights)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	long none = mm_map(mm, 0, 4096, 0, ANON, NULL, 0);
	long ro = mm_map(mm, 0, 4096, PROT_R, ANON, NULL, 0);
	CHECK(none > 0 && ro > 0);
	CHECK_EQ(mm_handle_fault(mm, none, PROT_R), -EACCES);
	CHECK_EQ(mm_handle_fault(mm, none, 0), -EACCES);
	CHECK_EQ(mm_handle_fault(mm, ro, PROT_W), -EACCES);
	CHECK_EQ(mm_handle_fault(mm, ro, PLAT_PROT_EXEC), -EACCES);
	/* Unknown access to a readable page: map it read-only; a write
	 * then comes back as a fault on a present page: violation. */
	CHECK_EQ(mm_handle_fault(mm, ro, 0), 0);
	int prot;
	CHECK(fake_lookup(e.p.as, ro, &prot) != FRAME_NONE);
	CHECK_EQ(prot, PROT_R);
	CHECK_EQ(mm_handle_fault(mm, ro, 0), -EACCES);
	/* A not-present fault on a page mapped meanwhile (two threads raced
	 * to it): resume; a PROT_NONE page stays a violation. */
	CHECK_EQ(mm_handle_fault(mm, ro, MM_FAULT_NOT_PRESENT), 0);
	CHECK_EQ(mm_handle_fault(mm, none, MM_FAULT_NOT_PRESENT), -EACCES);
	env_fini(&e);
}

TEST(mm_sparse_reservation)
{
	struct env e;
	env_init(&e);
	long a = sys(sys_mmap, &e, 0, 64 * GiB, 0, ANON | LX_MAP_NORESERVE, -1, 0);
	CHECK(a > 0);
	CHECK_EQ(plat_frames_in_use(), e.frames0);
	/* Make a window usable in the middle and touch it. */
	uint64_t w = a + 40 * GiB;
	CHECK_EQ(sys(sys_mprotect, &e, w, 1 << 20, PROT_RW, 0, 0, 0), 0);
	uint64_t v = 0x1122334455667788ULL;
	CHECK_EQ(mm_copy_to(e.p.mm, w + 12345, &v, 8), 0);
	CHECK_EQ(mm_handle_fault(e.p.mm, w + 4096 * 100, PROT_W), 0);
	CHECK(plat_frames_in_use() - e.frames0 <= 17);
	/* Outside the window it is still PROT_NONE. */
	CHECK_EQ(mm_copy_to(e.p.mm, w - 8, &v, 8), -EFAULT);
	CHECK_EQ(mm_handle_fault(e.p.mm, w + (1 << 20), PROT_R), -EACCES);
	char *maps;
	size_t len;
	CHECK_EQ(mm_format_maps(e.p.mm, "/x", &maps, &len), 0);
	CHECK(strstr(maps, "---p") && strstr(maps, "rw-p"));
	free(maps);
	/* Unmapping the whole reservation gives every frame back. */
	CHECK_EQ(sys(sys_munmap, &e, a, 64 * GiB, 0, 0, 0, 0), 0);
	CHECK_EQ(plat_frames_in_use(), e.frames0);
	CHECK_EQ(fake_mapped_pages(e.p.as), 0);
	env_fini(&e);
}

TEST(mm_munmap_split)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	long a = mm_map(mm, 0, 3 * 4096, PROT_RW, ANON, NULL, 0);
	for (int i = 0; i < 3; i++) {
		int v = 100 + i;
		CHECK_EQ(mm_copy_to(mm, a + i * 4096, &v, sizeof v), 0);
		CHECK_EQ(mm_handle_fault(mm, a + i * 4096, PROT_W), 0);
	}
	CHECK_EQ(sys(sys_munmap, &e, a + 4096, 4096, 0, 0, 0, 0), 0);
	CHECK_EQ(mm->nvma, 2);
	CHECK(fake_lookup(e.p.as, a + 4096, NULL) == FRAME_NONE);
	CHECK(fake_lookup(e.p.as, a, NULL) != FRAME_NONE);
	int v = 0;
	CHECK_EQ(mm_copy_from(mm, &v, a + 4096, sizeof v), -EFAULT);
	CHECK_EQ(mm_copy_from(mm, &v, a, sizeof v), 0);
	CHECK_EQ(v, 100);
	CHECK_EQ(mm_copy_from(mm, &v, a + 8192, sizeof v), 0);
	CHECK_EQ(v, 102);
	CHECK_EQ(mm_handle_fault(mm, a + 4096, PROT_R), -EFAULT);
	CHECK_EQ(plat_frames_in_use() - e.frames0, 2);

	/* Linux's errors. */
	CHECK_EQ(sys(sys_munmap, &e, a, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_munmap, &e, a + 1, 10, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_munmap, &e, 0x7ffffffff000ULL, 4096, 0, 0, 0, 0), -EINVAL);
	/* Unmapping nothing is fine; a range spanning both pieces too. */
	CHECK_EQ(sys(sys_munmap, &e, 0x200000, 4096, 0, 0, 0, 0), 0);
	CHECK_EQ(sys(sys_munmap, &e, a, 3 * 4096, 0, 0, 0, 0), 0);
	CHECK_EQ(mm->nvma, 0);
	CHECK_EQ(plat_frames_in_use(), e.frames0);
	env_fini(&e);
}

TEST(mm_mprotect)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	long a = mm_map(mm, 0, 4 * 4096, PROT_RW, ANON, NULL, 0);
	CHECK_EQ(mm_handle_fault(mm, a, PROT_W), 0);
	CHECK_EQ(sys(sys_mprotect, &e, a, 2 * 4096, PROT_R, 0, 0, 0), 0);
	int prot;
	CHECK(fake_lookup(e.p.as, a, &prot) != FRAME_NONE);
	CHECK_EQ(prot, PROT_R);
	CHECK(fake_lookup(e.p.as, a + 3 * 4096, &prot) != FRAME_NONE);
	CHECK_EQ(prot, PROT_RW);
	CHECK_EQ(mm->nvma, 2);
	int v = 7;
	CHECK_EQ(mm_copy_to(mm, a, &v, 4), -EFAULT);
	CHECK_EQ(mm_copy_to(mm, a + 2 * 4096, &v, 4), 0);
	CHECK_EQ(mm_copy_from(mm, &v, a, 4), 0);
	CHECK_EQ(mm_handle_fault(mm, a, PROT_W), -EACCES);
	/* Back to RW merges the VMAs again, and writes work. */
	CHECK_EQ(sys(sys_mprotect, &e, a, 2 * 4096, PROT_RW, 0, 0, 0), 0);
	CHECK_EQ(mm->nvma, 1);
	v = 7;
	CHECK_EQ(mm_copy_to(mm, a, &v, 4), 0);
	/* PROT_NONE takes the pages away from the client but keeps them. */
	CHECK_EQ(sys(sys_mprotect, &e, a, 4096, 0, 0, 0, 0), 0);
	CHECK(fake_lookup(e.p.as, a, NULL) == FRAME_NONE);
	CHECK_EQ(sys(sys_mprotect, &e, a, 4096, PROT_R, 0, 0, 0), 0);
	CHECK_EQ(mm_handle_fault(mm, a, PROT_R), 0);
	v = 0;
	CHECK_EQ(mm_copy_from(mm, &v, a, 4), 0);
	CHECK_EQ(v, 7);

	CHECK_EQ(sys(sys_mprotect, &e, a + 1, 4096, PROT_R, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_mprotect, &e, a, 4096, 0x10, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_mprotect, &e, a, 0, PROT_R, 0, 0, 0), 0);
	CHECK_EQ(sys(sys_mprotect, &e, a, 8 * 4096, PROT_R, 0, 0, 0), -ENOMEM);
	CHECK_EQ(sys(sys_mprotect, &e, 0x10000, 4096, PROT_R, 0, 0, 0), -ENOMEM);
	env_fini(&e);
}

TEST(mm_mremap)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	long a = mm_map(mm, 0, 2 * 4096, PROT_RW, ANON, NULL, 0);
	int v = 42;
	CHECK_EQ(mm_copy_to(mm, a + 4096, &v, 4), 0);
	/* Shrink. */
	CHECK_EQ(sys(sys_mremap, &e, a, 2 * 4096, 4096, 0, 0, 0), a);
	CHECK_EQ(mm_copy_from(mm, &v, a + 4096, 4), -EFAULT);
	CHECK_EQ(plat_frames_in_use(), e.frames0);
	/* Grow in place (the space after it is free). */
	CHECK_EQ(sys(sys_mremap, &e, a, 4096, 3 * 4096, 0, 0, 0), a);
	CHECK_EQ(mm_copy_from(mm, &v, a + 2 * 4096, 4), 0);
	CHECK_EQ(v, 0);
	/* Blocked: needs MREMAP_MAYMOVE. */
	long b = mm_map(mm, a + 3 * 4096, 4096, PROT_R, ANON | LX_MAP_FIXED, NULL, 0);
	CHECK_EQ(b, a + 3 * 4096);
	CHECK_EQ(sys(sys_mremap, &e, a, 3 * 4096, 5 * 4096, 0, 0, 0), -ENOMEM);
	v = 99;
	CHECK_EQ(mm_copy_to(mm, a + 4096, &v, 4), 0);
	CHECK_EQ(mm_handle_fault(mm, a + 4096, PROT_W), 0);
	long c = sys(sys_mremap, &e, a, 3 * 4096, 5 * 4096, 1, 0, 0);
	CHECK(c > 0 && c != a);
	v = 0;
	CHECK_EQ(mm_copy_from(mm, &v, c + 4096, 4), 0);
	CHECK_EQ(v, 99);
	CHECK_EQ(mm_copy_from(mm, &v, a, 4), -EFAULT);
	CHECK(fake_lookup(e.p.as, a + 4096, NULL) == FRAME_NONE);
	CHECK_EQ(mm_copy_from(mm, &v, c + 4 * 4096, 4), 0);
	uint64_t vm, rss;
	mm_usage(mm, &vm, &rss);
	CHECK_EQ(rss, plat_frames_in_use() - e.frames0);
	CHECK_EQ(vm, 6 * 4096);
	/* MREMAP_FIXED. */
	uint64_t to = 0x10000000;
	CHECK_EQ(sys(sys_mremap, &e, c, 5 * 4096, 5 * 4096, 3, to, 0), (long)to);
	CHECK_EQ(mm_copy_from(mm, &v, to + 4096, 4), 0);
	CHECK_EQ(v, 99);
	/* Errors. */
	CHECK_EQ(sys(sys_mremap, &e, to, 4096, 4096, 2, 0x20000000, 0), -EINVAL);
	CHECK_EQ(sys(sys_mremap, &e, to + 1, 4096, 8192, 1, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_mremap, &e, to, 4096, 0, 1, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_mremap, &e, 0x30000000, 4096, 8192, 1, 0, 0), -EFAULT);
	CHECK_EQ(sys(sys_mremap, &e, to, 8 * 4096, 9 * 4096, 1, 0, 0), -EFAULT);
	CHECK_EQ(sys(sys_mremap, &e, to, 4096, 4096, 0x80, 0, 0), -EINVAL);
	env_fini(&e);
}

TEST(mm_copy_boundaries)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	long a = mm_map(mm, 0, 4096, PROT_RW, ANON, NULL, 0);
	char buf[16] = "abcdefgh";
	CHECK_EQ(mm_copy_to(mm, a + 4092, buf, 4), 0);
	CHECK_EQ(mm_copy_to(mm, a + 4092, buf, 5), -EFAULT);
	CHECK_EQ(mm_copy_from(mm, buf, a + 4095, 2), -EFAULT);
	CHECK_EQ(mm_copy_from(mm, buf, a - 1, 2), -EFAULT);
	CHECK_EQ(mm_copy_to(mm, 0xffff800000000000ULL, buf, 1), -EFAULT);
	CHECK_EQ(mm_copy_to(mm, UINT64_MAX - 2, buf, 8), -EFAULT);
	CHECK_EQ(mm_copy_from(mm, buf, 0, 1), -EFAULT);
	CHECK_EQ(mm_copy_from(mm, buf, a, 0), 0);

	/* Two adjacent mappings: a copy may cross between them. */
	long b = mm_map(mm, a + 4096, 4096, PROT_RW, ANON | LX_MAP_FIXED, NULL, 0);
	CHECK_EQ(b, a + 4096);
	CHECK_EQ(mm_copy_to(mm, a + 4092, "12345678", 8), 0);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(mm_copy_from(mm, buf, a + 4092, 8), 0);
	CHECK(!memcmp(buf, "12345678", 8));

	/* Strings: ending right before an unmapped page is fine. */
	long c = mm_map(mm, 0x20000000, 4096, PROT_RW, ANON | LX_MAP_FIXED, NULL, 0);
	CHECK_EQ(mm_copy_to(mm, c + 4090, "hello", 6), 0);
	char s[64];
	CHECK_EQ(mm_strncpy_from(mm, s, c + 4090, sizeof s), 5);
	CHECK(!strcmp(s, "hello"));
	CHECK_EQ(mm_copy_to(mm, c + 4090, "hellos", 6), 0);
	CHECK_EQ(mm_strncpy_from(mm, s, c + 4090, sizeof s), -EFAULT);
	CHECK_EQ(mm_strncpy_from(mm, s, c + 4090, 6), -ENAMETOOLONG);
	CHECK_EQ(mm_strncpy_from(mm, s, c + 4090, 3), -ENAMETOOLONG);
	CHECK_EQ(mm_strncpy_from(mm, s, 0x30000000, 3), -EFAULT);

	/* Read-only: readable, not writable. */
	CHECK_EQ(sys(sys_mprotect, &e, c, 4096, PROT_R, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_to(mm, c, "x", 1), -EFAULT);
	CHECK_EQ(mm_copy_from(mm, s, c, 1), 0);
	/* Copies populate but never touch the client's page tables beyond
	 * the pages we own. */
	env_fini(&e);
}

TEST(mm_brk_area)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	uint64_t base = 0x4d0000;
	CHECK_EQ(sys(sys_brk, &e, 0, 0, 0, 0, 0, 0), 0); /* no base yet */
	mm_set_brk_base(mm, base - 100);
	CHECK_EQ(sys(sys_brk, &e, 0, 0, 0, 0, 0, 0), base);
	CHECK_EQ(sys(sys_brk, &e, base + 10000, 0, 0, 0, 0, 0), base + 10000);
	CHECK_EQ(mm_copy_to(mm, base + 9999, "z", 1), 0);
	CHECK_EQ(mm_copy_to(mm, base + 12287, "z", 1), 0); /* rest of the page */
	CHECK_EQ(mm_copy_to(mm, base + 12288, "z", 1), -EFAULT);
	CHECK_EQ(sys(sys_brk, &e, base - 4096, 0, 0, 0, 0, 0), base + 10000);
	char *maps;
	size_t len;
	CHECK_EQ(mm_format_maps(mm, "/bin/x", &maps, &len), 0);
	CHECK(!strcmp(
	    maps,
	    "004d0000-004d3000 rw-p 00000000 00:00 0                                  [heap]\n"));
	free(maps);
	/* Shrink: the memory goes. */
	CHECK_EQ(sys(sys_brk, &e, base + 10, 0, 0, 0, 0, 0), base + 10);
	CHECK_EQ(mm_copy_to(mm, base + 4096, "z", 1), -EFAULT);
	CHECK_EQ(plat_frames_in_use() - e.frames0, 0);
	/* Grown again: zero. */
	CHECK_EQ(sys(sys_brk, &e, base + 8192, 0, 0, 0, 0, 0), base + 8192);
	char c = 1;
	CHECK_EQ(mm_copy_from(mm, &c, base + 4096, 1), 0);
	CHECK_EQ(c, 0);
	/* Blocked by a mapping: the old break comes back. */
	CHECK_EQ(mm_map(mm, base + 5 * 4096, 4096, PROT_R, ANON | LX_MAP_FIXED, NULL, 0),
	         base + 5 * 4096);
	CHECK_EQ(sys(sys_brk, &e, base + 5 * 4096, 0, 0, 0, 0, 0), base + 8192);
	CHECK_EQ(sys(sys_brk, &e, base + 4 * 4096, 0, 0, 0, 0, 0), base + 4 * 4096);
	env_fini(&e);
}

TEST(mm_mmap_checks)
{
	struct env e;
	env_init(&e);
	CHECK_EQ(sys(sys_mmap, &e, 0, 0, PROT_R, ANON, -1, 0), -EINVAL);
	CHECK_EQ(sys(sys_mmap, &e, 0, 4096, PROT_R, ANON, -1, 1), -EINVAL);
	CHECK_EQ(sys(sys_mmap, &e, 0, 4096, PROT_R, LX_MAP_ANONYMOUS, -1, 0), -EINVAL);
	CHECK_EQ(sys(sys_mmap, &e, 1, 4096, PROT_R, ANON | LX_MAP_FIXED, -1, 0), -EINVAL);
	CHECK_EQ(sys(sys_mmap, &e, 0, -4096ULL, PROT_R, ANON, -1, 0), -ENOMEM);
	CHECK_EQ(sys(sys_mmap, &e, 0, 1ULL << 48, PROT_R, ANON, -1, 0), -ENOMEM);
	CHECK_EQ(sys(sys_mmap, &e, 0x7ffffffff000ULL, 8192, PROT_R, ANON | LX_MAP_FIXED, -1, 0),
	         -ENOMEM);
	/* Unknown prot bits: ignored by mmap. */
	long a = sys(sys_mmap, &e, 0, 4096, PROT_R | 0x10, ANON, -1, 0);
	CHECK_EQ(a, 0x7ffff7fff000L - 4096);
	long b = sys(sys_mmap, &e, 0, 4096, PROT_R, ANON, -1, 0);
	CHECK_EQ(b, a - 4096);
	CHECK_EQ(e.p.mm->nvma, 1); /* merged, as Linux does */
	CHECK_EQ(sys(sys_mmap, &e, a, 4096, PROT_R, ANON | LX_MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
	/* A free hint is taken; a taken one is not; a low one is raised. */
	CHECK_EQ(sys(sys_mmap, &e, 0x12345000, 4096, PROT_R, ANON, -1, 0), 0x12345000);
	long c = sys(sys_mmap, &e, 0x12345000, 4096, PROT_R, ANON, -1, 0);
	CHECK(c > 0 && c != 0x12345000);
	CHECK_EQ(sys(sys_mmap, &e, 0x1000, 4096, PROT_R, ANON, -1, 0), 0x10000);
	CHECK_EQ(sys(sys_mmap, &e, 0x1000, 4096, PROT_R, ANON | LX_MAP_FIXED, -1, 0), -EPERM);
#if defined(__x86_64__) /* MAP_32BIT exists only there */
	long d = sys(sys_mmap, &e, 0, 4096, PROT_RW, ANON | LX_MAP_32BIT, -1, 0);
	CHECK(d >= 0x40000000 && d < 0x80000000);
#endif
	/* MAP_FIXED replaces what was there. */
	CHECK_EQ(mm_copy_to(e.p.mm, a, "q", 1), -EFAULT);
	CHECK_EQ(sys(sys_mmap, &e, a, 4096, PROT_RW, ANON | LX_MAP_FIXED, -1, 0), a);
	CHECK_EQ(mm_copy_to(e.p.mm, a, "q", 1), 0);
	env_fini(&e);
}

TEST(mm_madvise_msync_mincore_mlock)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	long a = mm_map(mm, 0, 3 * 4096, PROT_RW, ANON, NULL, 0);
	CHECK_EQ(mm_copy_to(mm, a, "data", 4), 0);
	CHECK_EQ(mm_handle_fault(mm, a, PROT_W), 0);
	CHECK(fake_mapped_pages(e.p.as) == 3); /* fault-around */
	CHECK_EQ(sys(sys_madvise, &e, a, 3 * 4096, 4 /* DONTNEED */, 0, 0, 0), 0);
	CHECK(fake_lookup(e.p.as, a, NULL) == FRAME_NONE);
	CHECK_EQ(plat_frames_in_use(), e.frames0);
	char c = 1;
	CHECK_EQ(mm_copy_from(mm, &c, a, 1), 0);
	CHECK_EQ(c, 0);
	CHECK_EQ(sys(sys_madvise, &e, a, 4096, 999, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_madvise, &e, a + 1, 4096, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_madvise, &e, a, 0, 4, 0, 0, 0), 0);

	/* mincore: page 0 is resident now (the copy), the others are not. */
	long vec = mm_map(mm, 0, 4096, PROT_RW, ANON, NULL, 0);
	unsigned char v[3];
	CHECK_EQ(sys(sys_mincore, &e, a, 3 * 4096, vec, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(mm, v, vec, 3), 0);
	CHECK(v[0] == 1 && v[1] == 0 && v[2] == 0);
	CHECK_EQ(sys(sys_mincore, &e, a + 1, 4096, vec, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_mincore, &e, a, 4096, 0x10000, 0, 0, 0), -EFAULT);

	/* A hole in the middle. */
	CHECK_EQ(sys(sys_munmap, &e, a + 4096, 4096, 0, 0, 0, 0), 0);
	CHECK_EQ(sys(sys_madvise, &e, a, 3 * 4096, 4, 0, 0, 0), -ENOMEM);
	CHECK_EQ(sys(sys_msync, &e, a, 3 * 4096, 1, 0, 0, 0), -ENOMEM);
	CHECK_EQ(sys(sys_msync, &e, a, 4096, 1, 0, 0, 0), 0);
	CHECK_EQ(sys(sys_msync, &e, a, 4096, 5, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_msync, &e, a, 4096, 8, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys(sys_mincore, &e, a, 3 * 4096, vec, 0, 0, 0), -ENOMEM);
	CHECK_EQ(sys(sys_mlock, &e, a + 1, 10, 0, 0, 0, 0), 0);
	CHECK_EQ(sys(sys_mlock, &e, a, 3 * 4096, 0, 0, 0, 0), -ENOMEM);
	CHECK_EQ(sys(sys_munlock, &e, a, 4096, 0, 0, 0, 0), 0);
	env_fini(&e);
}

TEST(mm_maps_format)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	uint64_t top;
	CHECK_EQ(mm_map_stack(mm, 8 << 20, &top), 0x7ffffffff000L - (8 << 20));
	CHECK_EQ(top, 0x7ffffffff000ULL);
	mm_map(mm, 0, 4096, PROT_R | PLAT_PROT_EXEC, ANON, NULL, 0);
	char *maps;
	size_t len;
	CHECK_EQ(mm_format_maps(mm, "/bin/x", &maps, &len), 0);
	const char *want =
	    "7ffff7ffe000-7ffff7fff000 r-xp 00000000 00:00 0 \n"
	    "7fffff7ff000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n";
	CHECK(!strcmp(maps, want));
	if (strcmp(maps, want))
		printf("%s", maps);
	CHECK_EQ(len, strlen(want));
	free(maps);
	env_fini(&e);
}

TEST(mm_file_mappings)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	char data[6000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)('a' + i % 26);
	struct inode *ino = vfs_anon_file(data, sizeof data, 0644);
	CHECK(ino != NULL);
	uint32_t with_file = plat_frames_in_use();

	/* Private: a copy; writes stay here; past EOF reads zero. */
	long p = mm_map(mm, 0, 3 * 4096, PROT_RW, LX_MAP_PRIVATE, ino, 0);
	CHECK(p > 0);
	char b[4] = {0};
	CHECK_EQ(mm_copy_from(mm, b, p + 4096, 3), 0);
	CHECK(!memcmp(b, data + 4096, 3));
	CHECK_EQ(mm_copy_to(mm, p + 4096, "XYZ", 3), 0);
	CHECK_EQ(inode_read(ino, b, 3, 4096), 3);
	CHECK(!memcmp(b, data + 4096, 3));
	CHECK_EQ(mm_copy_from(mm, b, p + 8192, 3), 0);
	CHECK(!memcmp(b, "\0\0\0", 3));

	/* Shared: the file's own page. */
	long s = mm_map(mm, 0, 4096, PROT_RW, LX_MAP_SHARED, ino, 4096);
	CHECK(s > 0);
	CHECK_EQ(mm_handle_fault(mm, s, PROT_W), 0);
	CHECK_EQ(mm_copy_to(mm, s + 1, "QQ", 2), 0);
	CHECK_EQ(inode_read(ino, b, 3, 4096), 3);
	CHECK(b[1] == 'Q' && b[2] == 'Q');
	frame_t f;
	CHECK_EQ(inode_get_page(ino, 1, false, &f), 0);
	CHECK(fake_lookup(e.p.as, s, NULL) == f);
	frame_unref(f);
	/* Dropping a shared page and faulting it back finds the same data. */
	CHECK_EQ(sys(sys_madvise, &e, s, 4096, 4, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(mm, b, s + 1, 2), 0);
	CHECK(b[0] == 'Q' && b[1] == 'Q');

	mm_put(mm);
	CHECK_EQ(plat_as_create(&e.p.as), 0);
	e.p.mm = mm_create(e.p.as);
	CHECK_EQ(plat_frames_in_use(), with_file);
	inode_put(ino);
	env_fini(&e);
}

TEST(mm_injected_failures)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	long a = mm_map(mm, 0, 64 * 4096, PROT_RW, ANON, NULL, 0);
	CHECK(a > 0);

	fake_fail_frame_alloc_after(0);
	CHECK_EQ(mm_handle_fault(mm, a, PROT_W), -ENOMEM);
	CHECK_EQ(mm_copy_to(mm, a, "x", 1), -EFAULT);
	CHECK_EQ(plat_frames_in_use(), e.frames0);
	CHECK_EQ(fake_mapped_pages(e.p.as), 0);

	/* Fault-around running out part way: the faulting page still works. */
	fake_fail_frame_alloc_after(3);
	CHECK_EQ(mm_handle_fault(mm, a + 16 * 4096, PROT_W), 0);
	CHECK(fake_lookup(e.p.as, a + 16 * 4096, NULL) != FRAME_NONE);
	CHECK(plat_frames_in_use() - e.frames0 <= 3);
	fake_fail_frame_alloc_after(-1);

	/* The platform refusing to map. */
	fake_fail_map_after(0);
	CHECK_EQ(mm_handle_fault(mm, a + 40 * 4096, PROT_W), -ENOMEM);
	CHECK(fake_lookup(e.p.as, a + 40 * 4096, NULL) == FRAME_NONE);
	/* ... and refusing to protect: the pages leave the client, the data
	 * stays. */
	fake_fail_map_after(-1);
	CHECK_EQ(mm_copy_to(mm, a + 16 * 4096, "k", 1), 0);
	fake_fail_map_after(0);
	CHECK_EQ(sys(sys_mprotect, &e, a, 64 * 4096, PROT_R, 0, 0, 0), 0);
	CHECK(fake_lookup(e.p.as, a + 16 * 4096, NULL) == FRAME_NONE);
	fake_fail_map_after(-1);
	CHECK_EQ(mm_handle_fault(mm, a + 16 * 4096, PROT_R), 0);
	int prot;
	CHECK(fake_lookup(e.p.as, a + 16 * 4096, &prot) != FRAME_NONE);
	CHECK_EQ(prot, PROT_R);
	char c = 0;
	CHECK_EQ(mm_copy_from(mm, &c, a + 16 * 4096, 1), 0);
	CHECK_EQ(c, 'k');

	/* A 1 GiB touch sequence under a small frame budget. */
	fake_fail_frame_alloc_after(5);
	long big = mm_map(mm, 0, GiB, PROT_RW, ANON, NULL, 0);
	int ok = 0, nomem = 0;
	for (uint64_t off = 0; off < 64 * 4096 * 16; off += 64 * 4096) {
		int r = mm_handle_fault(mm, big + off, PROT_W);
		ok += r == 0;
		nomem += r == -ENOMEM;
	}
	CHECK(ok >= 1 && nomem >= 1 && ok + nomem == 16);
	fake_fail_frame_alloc_after(-1);
	env_fini(&e);
}

TEST(mm_fault_around_bounds)
{
	struct env e;
	env_init(&e);
	struct mm *mm = e.p.mm;
	/* Three one-page VMAs with different rights side by side: a fault in
	 * the middle one must not map its neighbours. */
	long a = mm_map(mm, 0x30000000, 4096, PROT_R, ANON | LX_MAP_FIXED, NULL, 0);
	mm_map(mm, a + 4096, 4096, PROT_RW, ANON | LX_MAP_FIXED, NULL, 0);
	mm_map(mm, a + 8192, 4096, 0, ANON | LX_MAP_FIXED, NULL, 0);
	CHECK_EQ(mm_handle_fault(mm, a + 4096, PROT_W), 0);
	CHECK_EQ(fake_mapped_pages(e.p.as), 1);
	CHECK(fake_lookup(e.p.as, a, NULL) == FRAME_NONE);
	CHECK(fake_lookup(e.p.as, a + 8192, NULL) == FRAME_NONE);
	env_fini(&e);
}
