/*
 * Private header of the memory module (mm.c, mm_pt.c, sys_mm.c, elf.c):
 * the address space as a sorted array of VMAs plus a sparse page table,
 * and the internal entry points the syscall handlers call with checked
 * values.  Other modules use mm.h only.
 */
#ifndef PERSONA_MM_IMPL_H
#define PERSONA_MM_IMPL_H

#include "mm.h"

/* Linux's MAP_* and PROT_* values (the same on x86_64 and riscv64). */
#define LX_PROT_NONE 0
#define LX_PROT_RWX 7
#define LX_MAP_SHARED 0x01
#define LX_MAP_PRIVATE 0x02
#define LX_MAP_SHARED_VALIDATE 0x03
#define LX_MAP_TYPE 0x0f
#define LX_MAP_FIXED 0x10
#define LX_MAP_ANONYMOUS 0x20
#define LX_MAP_32BIT ARCH_MAP_32BIT /* x86_64 only: 0 elsewhere */
#define LX_MAP_GROWSDOWN 0x0100
#define LX_MAP_DENYWRITE 0x0800
#define LX_MAP_EXECUTABLE 0x1000
#define LX_MAP_LOCKED 0x2000
#define LX_MAP_NORESERVE 0x4000
#define LX_MAP_POPULATE 0x8000
#define LX_MAP_NONBLOCK 0x10000
#define LX_MAP_STACK 0x20000
#define LX_MAP_HUGETLB 0x40000
#define LX_MAP_SYNC 0x80000
#define LX_MAP_FIXED_NOREPLACE 0x100000
#define LX_MAP_UNINITIALIZED 0x4000000

enum vma_kind { VMA_NORMAL, VMA_HEAP, VMA_STACK };

/* One mapping: [start, end), page aligned. */
struct vma {
	uint64_t start, end;
	int prot;    /* PLAT_PROT_* the client asked for */
	int maxprot; /* what mprotect may grant (a read-only fd's shared map) */
	bool shared; /* pages are the inode's own frames (MAP_SHARED file) */
	enum vma_kind kind;
	struct inode *ino; /* NULL: anonymous; else a reference we hold */
	uint64_t off;      /* file offset of start */
};

/* One page of the page table.  Every entry holds one frame reference. */
struct pte {
	frame_t frame;  /* FRAME_NONE: empty */
	uint8_t prot;   /* rights the client has it mapped with */
	uint8_t mapped; /* mapped in the client (else only known to us) */
	uint8_t cow;    /* shared with another mm since fork: copy before a write */
	uint8_t pad;
};

struct ptnode;

struct mm {
	int users;          /* processes using it (vfork, CLONE_VM) */
	struct plat_as *as; /* owned: destroyed with the last user */
	struct vma *v;      /* sorted by start, never overlapping */
	size_t nvma, cap;
	struct ptnode *pt; /* radix tree by virtual page number */
	uint64_t rss;      /* entries in pt */
	uint64_t start_brk, brk;
	uint64_t mmap_base; /* top-down mmap allocation starts below this */
	struct inode *exe;  /* named with the exe path in maps */
};

/* ---- mm.c ---------------------------------------------------------------- */
/* Index of the first VMA ending above addr (mm->nvma if none). */
size_t mm_vma_index(struct mm *mm, uint64_t addr);
/* The VMA containing addr, or NULL. */
struct vma *mm_find_vma(struct mm *mm, uint64_t addr);
/* 0 if [addr, addr+len) is covered by VMAs without a hole, else -ENOMEM. */
int mm_range_mapped(struct mm *mm, uint64_t addr, uint64_t len);
/* mm_map with the rights mprotect may later grant. */
long mm_map_ex(struct mm *mm, uint64_t addr, uint64_t len, int prot, int maxprot, int flags,
               struct inode *ino, uint64_t off);
/* mprotect on a page-aligned, non-empty range. */
int mm_protect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
/* brk: the new break, or the old one if it cannot move. */
uint64_t mm_brk(struct mm *mm, uint64_t newbrk);
/* mremap with page-aligned, checked arguments. */
long mm_remap(struct mm *mm, uint64_t old, uint64_t old_len, uint64_t new_len, int flags,
              uint64_t new_addr);
/* The program's inode, so that maps can name it. */
void mm_set_exe(struct mm *mm, struct inode *exe);

/* ---- mm_pt.c ------------------------------------------------------------------ */
struct pte *pt_lookup(struct mm *mm, uint64_t vpn);
/* The slot for vpn, creating the path to it; NULL if out of memory. */
struct pte *pt_slot(struct mm *mm, uint64_t vpn);
/* Drop every page in [lo, hi): unmapped in the client, frames released. */
void pt_drop_range(struct mm *mm, uint64_t lo, uint64_t hi);
/* Unmap [lo, hi) in the client but keep the pages (they fault back in). */
void pt_unmap_client(struct mm *mm, uint64_t lo, uint64_t hi);
/* Set the rights of the client's mapped pages in [lo, hi). */
void pt_protect_client(struct mm *mm, uint64_t lo, uint64_t hi, int prot);
/* Move the pages of [old, old+len) to new (an empty range).  -ENOMEM
 * (nothing moved) if the page table cannot grow. */
int pt_move_range(struct mm *mm, uint64_t old, uint64_t len, uint64_t new);
/* Pages present in [lo, hi), for mincore: vec[i] = 1 if resident. */
void pt_resident(struct mm *mm, uint64_t lo, uint64_t hi, uint8_t *vec);
void pt_free_all(struct mm *mm);
/* fork: mark src's pages in [lo, hi) copy-on-write. */
void pt_mark_cow(struct mm *mm, uint64_t lo, uint64_t hi);
/* fork: give child every page of src's [lo, hi) as well; private pages
 * become copy-on-write in both.  -ENOMEM if child's table cannot grow. */
int pt_fork_range(struct mm *src, struct mm *child, uint64_t lo, uint64_t hi, bool shared);
/* Take write access to [lo, hi) away from src's client where pages are
 * copy-on-write (after pt_fork_range). */
void pt_write_protect_cow(struct mm *mm, uint64_t lo, uint64_t hi, int prot);
/* Copy into the client ignoring the mapping's rights (the loader zeroing
 * the bss tail of a read-only segment). */
int mm_copy_to_force(struct mm *mm, uint64_t dst, const void *src, size_t n);

#endif
