/*
 * The ELF loader: maps an ET_EXEC or ET_DYN program into an empty address
 * space, with its dynamic loader (PT_INTERP, from the guest's filesystem)
 * mapped where an mmap would go, and builds the initial stack (argc,
 * argv, envp, auxv, strings) exactly as Linux's
 * load_elf_binary/create_elf_tables lay it out with address space
 * randomization off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "elf64.h"
#include "mm_impl.h"
#include "sigframe.h"
#include "vfs.h"

enum {
	AT_NULL = 0,
	AT_PHDR = 3,
	AT_PHENT = 4,
	AT_PHNUM = 5,
	AT_PAGESZ = 6,
	AT_BASE = 7,
	AT_FLAGS = 8,
	AT_ENTRY = 9,
	AT_UID = 11,
	AT_EUID = 12,
	AT_GID = 13,
	AT_EGID = 14,
	AT_PLATFORM = 15,
	AT_HWCAP = 16,
	AT_CLKTCK = 17,
	AT_SECURE = 23,
	AT_RANDOM = 25,
	AT_HWCAP2 = 26,
	AT_EXECFN = 31,
	AT_MINSIGSTKSZ = 51,
};

/* Where Linux puts an ET_DYN program without randomization. */
#define ET_DYN_BASE ARCH_ET_DYN_BASE
#define STACK_SIZE (8ULL << 20) /* RLIMIT_STACK's default */
/* Linux's limit on argument and environment strings: a quarter of the
 * stack limit. */
#define ARG_MAX_BYTES (STACK_SIZE / 4)
#define MAX_PHDRS (65536 / sizeof(struct elf64_phdr))

static char why_buf[200];

static const char *machine_name(unsigned m)
{
	switch (m) {
	case 2:
		return "SPARC";
	case 3:
		return "i386 (32-bit x86)";
	case 8:
		return "MIPS";
	case 20:
		return "PowerPC";
	case 21:
		return "PowerPC64";
	case 22:
		return "s390";
	case 40:
		return "ARM (32-bit)";
	case 43:
		return "SPARC64";
	case 62:
		return "x86_64";
	case 183:
		return "AArch64 (arm64)";
	case 243:
		return "RISC-V";
	case 258:
		return "LoongArch";
	default:
		return NULL;
	}
}

/* Check the header; a one-line reason on failure. */
static int check_ehdr(const struct elf64_ehdr *eh, long n, const char **why)
{
	if (n < 4 || memcmp(eh->ident, "\177ELF", 4)) {
		*why = "not an ELF file";
		return -ENOEXEC;
	}
	if (n < (long)sizeof *eh) {
		*why = "corrupt ELF header (file too short)";
		return -ENOEXEC;
	}
	if (eh->ident[4] != 2) {
		*why = eh->ident[4] == 1 ? "not a 64-bit program (it is a 32-bit ELF file)"
		                         : "corrupt ELF header (bad class)";
		return -ENOEXEC;
	}
	if (eh->ident[5] != 1) {
		*why = "not a little-endian program";
		return -ENOEXEC;
	}
	if (eh->machine != ARCH_ELF_MACHINE) {
		const char *m = machine_name(eh->machine);
		if (m)
			snprintf(why_buf, sizeof why_buf,
			         "wrong architecture: built for %s, not " ARCH_NAME, m);
		else
			snprintf(why_buf, sizeof why_buf,
			         "wrong architecture: built for ELF machine %u, not " ARCH_NAME,
			         eh->machine);
		*why = why_buf;
		return -ENOEXEC;
	}
	if (eh->type != ET_EXEC && eh->type != ET_DYN) {
		*why = eh->type == ET_REL    ? "not an executable (a relocatable object file)"
		       : eh->type == ET_CORE ? "not an executable (a core dump)"
		                             : "not an executable";
		return -ENOEXEC;
	}
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 || eh->phnum > MAX_PHDRS) {
		*why = "corrupt ELF header (program headers)";
		return -ENOEXEC;
	}
	return 0;
}

static int seg_prot(uint32_t pf)
{
	return (pf & PF_R ? PLAT_PROT_READ : 0) | (pf & PF_W ? PLAT_PROT_WRITE : 0) |
	       (pf & PF_X ? PLAT_PROT_EXEC : 0);
}

/* Map one PT_LOAD segment at bias. */
static int map_segment(struct mm *mm, struct inode *exe, const struct elf64_phdr *ph, uint64_t bias)
{
	uint64_t start = bias + ph->vaddr, page = start & PAGE_MASK;
	uint64_t file_end = start + ph->filesz, mem_end = start + ph->memsz;
	uint64_t anon_start = page;
	int prot = seg_prot(ph->flags);
	long r;

	if (ph->filesz) {
		anon_start = PAGE_ALIGN_UP(file_end);
		r = mm_map(mm, page, anon_start - page, prot, LX_MAP_PRIVATE | LX_MAP_FIXED, exe,
		           ph->offset - (start - page));
		if (r < 0)
			return (int)r;
		/* The rest of the last file page belongs to the bss and must
		 * read as zero, whatever follows in the file. */
		if (mem_end > file_end && anon_start > file_end) {
			static const char zeros[PAGE_SIZE];
			r = mm_copy_to_force(mm, file_end, zeros, anon_start - file_end);
			if (r < 0)
				return -ENOMEM;
		}
	}
	if (PAGE_ALIGN_UP(mem_end) > anon_start) {
		r = mm_map(mm, anon_start, PAGE_ALIGN_UP(mem_end) - anon_start, prot,
		           LX_MAP_PRIVATE | LX_MAP_FIXED | LX_MAP_ANONYMOUS, NULL, 0);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

/* The number of strings in v; adds the bytes they take (with their
 * NULs) to *bytes. */
static size_t vec_len(char *const v[], size_t *bytes)
{
	size_t n = 0;
	while (v && v[n])
		*bytes += strlen(v[n++]) + 1;
	return n;
}

/* Where the next string goes: in the image being built and in the
 * client. */
struct str_area {
	char *s;
	uint64_t va;
};

/* Copy str to the string area; its client address. */
static uint64_t put_string(struct str_area *sa, const char *str)
{
	size_t l = strlen(str) + 1;
	uint64_t va = sa->va;
	memcpy(sa->s, str, l);
	sa->s += l;
	sa->va += l;
	return va;
}

/* Build the initial stack below top; returns the stack pointer (the argc
 * slot) or a negative errno. */
static long build_stack(struct proc *p, uint64_t top, const char *execfn, char *const argv[],
                        char *const envp[], const uint64_t *aux, size_t naux_words)
{
	size_t strbytes = strlen(execfn) + 1;
	size_t argc = vec_len(argv, &strbytes), envc = vec_len(envp, &strbytes);
	if (strbytes > ARG_MAX_BYTES)
		return -E2BIG;

	/* Strings at the top, as Linux copies them: argv, envp, the file
	 * name, then an 8-byte zero word ending the stack. */
	uint64_t strings = top - 8 - strbytes;
	uint64_t pos = (strings & ~15ULL);
	uint64_t platform = pos - sizeof ARCH_PLATFORM;
	uint64_t random = platform - 16;
	size_t nwords = 1 + argc + 1 + envc + 1 + naux_words;
	uint64_t sp = (random - nwords * 8) & ~15ULL;

	size_t size = top - sp;
	char *img = calloc(1, size);
	if (!img)
		return -ENOMEM;
	uint64_t *w = (uint64_t *)img;
	struct str_area sa = {img + (strings - sp), strings};
	size_t k = 0;

	w[k++] = argc;
	for (size_t i = 0; i < argc; i++)
		w[k++] = put_string(&sa, argv[i]);
	w[k++] = 0;
	for (size_t i = 0; i < envc; i++)
		w[k++] = put_string(&sa, envp[i]);
	w[k++] = 0;
	uint64_t execfn_va = put_string(&sa, execfn);
	for (size_t i = 0; i < naux_words; i += 2) {
		w[k++] = aux[i];
		switch (aux[i]) {
		case AT_PLATFORM:
			w[k++] = platform;
			break;
		case AT_RANDOM:
			w[k++] = random;
			break;
		case AT_EXECFN:
			w[k++] = execfn_va;
			break;
		default:
			w[k++] = aux[i + 1];
			break;
		}
	}
	memcpy(img + (platform - sp), ARCH_PLATFORM, sizeof ARCH_PLATFORM);
	plat_random(img + (random - sp), 16);

	int r = mm_copy_to(p->mm, sp, img, size);
	free(img);
	return r < 0 ? -ENOMEM : (long)sp;
}

/* A program or interpreter file read and checked: its headers and the
 * span its PT_LOAD segments cover. */
struct image {
	struct elf64_ehdr eh;
	struct elf64_phdr *ph;
	uint64_t lo, hi, max_align, phdr_vaddr;
	const struct elf64_phdr *interp; /* PT_INTERP, or NULL */
};

/* Read and check every header of ino before anything is mapped.  On
 * success im->ph is the caller's to free. */
static int read_image(struct inode *ino, struct image *im, const char **why)
{
	uint64_t fsize = inode_size(ino);
	bool have_load = false, have_phdr = false;
	long n;
	int r;

	memset(im, 0, sizeof *im);
	n = inode_read(ino, &im->eh, sizeof im->eh, 0);
	if (n < 0) {
		*why = "could not read the program";
		return (int)n;
	}
	r = check_ehdr(&im->eh, n, why);
	if (r < 0)
		return r;
	size_t phsize = (size_t)im->eh.phnum * sizeof *im->ph;
	if (im->eh.phoff > fsize || phsize > fsize - im->eh.phoff) {
		*why = "corrupt ELF header (program headers past the end of the file)";
		return -ENOEXEC;
	}
	im->ph = malloc(phsize);
	if (!im->ph) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (inode_read(ino, im->ph, phsize, im->eh.phoff) != (long)phsize) {
		*why = "could not read the program headers";
		return -EIO;
	}
	im->lo = UINT64_MAX;
	im->max_align = PAGE_SIZE;
	for (size_t i = 0; i < im->eh.phnum; i++) {
		const struct elf64_phdr *q = &im->ph[i];
		if (q->type == PT_INTERP) {
			if (q->filesz < 2 || q->filesz > LX_PATH_MAX || q->offset > fsize ||
			    q->filesz > fsize - q->offset) {
				*why = "corrupt ELF program header (bad PT_INTERP)";
				return -ENOEXEC;
			}
			im->interp = q;
		}
		if (q->type == PT_PHDR) {
			have_phdr = true;
			im->phdr_vaddr = q->vaddr;
		}
		if (q->type != PT_LOAD)
			continue;
		if (q->filesz > q->memsz || q->offset > fsize || q->filesz > fsize - q->offset ||
		    q->vaddr + q->memsz < q->vaddr || q->vaddr + q->memsz > plat_user_top() ||
		    (q->vaddr & ~PAGE_MASK) != (q->offset & ~PAGE_MASK)) {
			*why = "corrupt ELF program header (bad PT_LOAD segment)";
			return -ENOEXEC;
		}
		if (q->align > im->max_align && !(q->align & (q->align - 1)))
			im->max_align = q->align;
		if (q->vaddr < im->lo)
			im->lo = q->vaddr;
		if (q->vaddr + q->memsz > im->hi)
			im->hi = q->vaddr + q->memsz;
		/* AT_PHDR without PT_PHDR: the headers inside a loaded segment. */
		if (!have_phdr && im->eh.phoff >= q->offset && im->eh.phoff - q->offset < q->filesz)
			im->phdr_vaddr = q->vaddr + (im->eh.phoff - q->offset);
		have_load = true;
	}
	if (!have_load) {
		*why = "corrupt ELF file (nothing to load)";
		return -ENOEXEC;
	}
	return 0;
}

static int map_image(struct mm *mm, struct inode *ino, const struct image *im, uint64_t bias,
                     const char **why)
{
	if ((im->lo & PAGE_MASK) + bias < plat_user_base()) {
		*why = "the program wants to be loaded below the lowest usable address";
		return -EPERM;
	}
	for (size_t i = 0; i < im->eh.phnum; i++) {
		if (im->ph[i].type != PT_LOAD || !im->ph[i].memsz)
			continue;
		int r = map_segment(mm, ino, &im->ph[i], bias);
		if (r < 0) {
			*why = r == -ENOMEM ? "out of memory while loading the program"
			                    : "could not map the program's segments";
			return r;
		}
	}
	return 0;
}

/* The program's interpreter (the dynamic loader its PT_INTERP names),
 * looked up in the guest's filesystem and mapped where an mmap would put
 * it, as Linux's load_elf_interp does.  Its bias and entry point. */
static int load_interp(struct thread *t, struct inode *exe, const struct image *prog,
                       uint64_t *bias, uint64_t *entry, const char **why)
{
	struct mm *mm = t->proc->mm;
	size_t len = prog->interp->filesz;
	char *path = malloc(len), abs[LX_PATH_MAX];
	struct inode *ino = NULL;
	struct image im = {0};
	int r;

	if (!path) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (inode_read(exe, path, len, prog->interp->offset) != (long)len || path[len - 1]) {
		*why = "corrupt ELF program header (PT_INTERP is not a path)";
		r = -ENOEXEC;
		goto out;
	}
	r = vfs_open_exec(t, LX_AT_FDCWD, path, 0, &ino, abs, sizeof abs);
	if (r < 0) {
		snprintf(why_buf, sizeof why_buf,
		         "its dynamic loader %.100s is not in the guest's filesystem (%s)", path,
		         r == -ENOENT ? "no such file" : "cannot be executed");
		*why = why_buf;
		goto out;
	}
	r = read_image(ino, &im, why);
	if (r < 0)
		goto out;
	inode_set_map_name(ino, abs);
	uint64_t span = PAGE_ALIGN_UP(im.hi) - (im.lo & PAGE_MASK);
	*bias = 0;
	if (im.eh.type == ET_DYN) {
		/* Room for the whole image, aligned as it asks, found the
		 * way mmap finds it; then the segments go there. */
		uint64_t extra = im.max_align > PAGE_SIZE ? im.max_align : 0;
		long at = mm_map(mm, 0, span + extra, LX_PROT_NONE,
		                 LX_MAP_PRIVATE | LX_MAP_ANONYMOUS, NULL, 0);
		if (at < 0) {
			*why = "out of memory while loading the dynamic loader";
			r = (int)at;
			goto out;
		}
		mm_unmap(mm, (uint64_t)at, span + extra);
		uint64_t base = ((uint64_t)at + im.max_align - 1) & ~(im.max_align - 1);
		*bias = base - (im.lo & PAGE_MASK);
	}
	r = map_image(mm, ino, &im, *bias, why);
	*entry = *bias + im.eh.entry;
out:
	free(im.ph);
	if (ino)
		inode_put(ino);
	free(path);
	return r;
}

int elf_load(struct thread *t, struct inode *exe, const char *execfn, char *const argv[],
             char *const envp[], struct arch_regs *regs, const char **why)
{
	struct proc *p = t->proc;
	struct mm *mm = p->mm;
	struct image im;
	int r;

	*why = NULL;
	r = read_image(exe, &im, why);
	if (r < 0)
		goto out;
	uint64_t bias = 0;
	if (im.eh.type == ET_DYN) {
		bias = (ET_DYN_BASE - (im.lo & PAGE_MASK)) & ~(im.max_align - 1);
		if (im.hi > plat_user_top() - bias) {
			*why = "corrupt ELF file (too large)";
			r = -ENOEXEC;
			goto out;
		}
	}
	r = map_image(mm, exe, &im, bias, why);
	if (r < 0)
		goto out;
	mm_set_exe(mm, exe);
	mm_set_brk_base(mm, bias + im.hi);
	uint64_t entry = bias + im.eh.entry, start = entry, interp_bias = 0;
	if (im.interp) {
		r = load_interp(t, exe, &im, &interp_bias, &start, why);
		if (r < 0)
			goto out;
	}
	struct elf64_ehdr eh = im.eh;
	uint64_t phdr_vaddr = im.phdr_vaddr;

	uint64_t top;
	long sp = mm_map_stack(mm, STACK_SIZE, &top);
	if (sp < 0) {
		r = (int)sp;
		*why = "could not create the stack";
		goto out;
	}
	/* Where Linux maps the vDSO: the arch's sigreturn trampoline, if it
	 * needs one. */
	r = sigframe_exec_setup(p);
	if (r < 0) {
		*why = "could not map the signal trampoline";
		goto out;
	}
	/* Linux's order (create_elf_tables, with ARCH_DLINFO first);
	 * pointer values of PLATFORM, RANDOM and EXECFN are filled in by
	 * build_stack. */
	const uint64_t aux[] = {
		AT_MINSIGSTKSZ,
		ARCH_MINSIGSTKSZ,
		AT_HWCAP,
		arch_hwcap(),
		AT_PAGESZ,
		PAGE_SIZE,
		AT_CLKTCK,
		100,
		AT_PHDR,
		bias + phdr_vaddr,
		AT_PHENT,
		sizeof(struct elf64_phdr),
		AT_PHNUM,
		eh.phnum,
		AT_BASE,
		interp_bias,
		AT_FLAGS,
		0,
		AT_ENTRY,
		entry,
		AT_UID,
		p->uid,
		AT_EUID,
		p->euid,
		AT_GID,
		p->gid,
		AT_EGID,
		p->egid,
		AT_SECURE,
		p->secure_exec,
		AT_RANDOM,
		0,
		AT_HWCAP2,
		arch_hwcap2(),
		AT_EXECFN,
		0,
#if ARCH_HAS_AT_PLATFORM
		AT_PLATFORM,
		0,
#endif
		AT_NULL,
		0,
	};
	sp = build_stack(p, top, execfn ? execfn : "", argv, envp, aux, sizeof aux / sizeof aux[0]);
	if (sp < 0) {
		r = (int)sp;
		*why = r == -E2BIG ? "argument list too long" : "out of memory building the stack";
		goto out;
	}
	memset(regs, 0, sizeof *regs);
	arch_set_ip(regs, start);
	arch_set_sp(regs, (uint64_t)sp);
	r = 0;
out:
	free(im.ph);
	return r;
}
