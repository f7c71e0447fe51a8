/*
 * Address spaces: the sorted array of VMAs of a process and the operations
 * on it that the mmap family, brk, the ELF loader and /proc/<pid>/maps
 * need.  Pages themselves live in the page table (mm_pt.c); creating a
 * VMA costs no memory at all until the client touches it, so a program
 * may reserve many GiB (Wasmtime does).
 *
 * The layout is Linux's with address space randomization off: mmap areas
 * are handed out top-down below mmap_base (128 MiB below the top, as
 * Linux's minimum stack gap), the stack is the top of the user range.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_impl.h"
#include "task.h"
#include "vfs.h"

#define MMAP_GAP (128ULL << 20)
#define LOW_2G_BASE                                                                                \
	0x40000000ULL /* MAP_32BIT window, as on Linux x86_64 (the                                 \
	               * flag is 0, never set, elsewhere) */
#define LOW_2G_TOP 0x80000000ULL

struct mm *mm_create(struct plat_as *as)
{
	struct mm *mm = calloc(1, sizeof *mm);
	if (!mm)
		return NULL;
	mm->users = 1;
	mm->as = as;
	uint64_t top = plat_user_top(), base = plat_user_base();
	mm->mmap_base = top - base > 4 * MMAP_GAP ? top - MMAP_GAP : top;
	return mm;
}

struct plat_as *mm_as(struct mm *mm)
{
	return mm->as;
}

void mm_get(struct mm *mm)
{
	mm->users++;
}

int mm_users(const struct mm *mm)
{
	return mm ? mm->users : 0;
}

void mm_put(struct mm *mm)
{
	if (!mm || --mm->users > 0)
		return;
	futex_forget_mm(mm);
	/* The address space goes first, with every thread in it: nothing
	 * maps the frames any more, so they need no unmapping one range at a
	 * time (on Linux that would be a host call per range). */
	plat_as_destroy(mm->as);
	mm->as = NULL;
	for (size_t i = 0; i < mm->nvma; i++)
		if (mm->v[i].ino)
			inode_put(mm->v[i].ino);
	pt_free_all(mm);
	if (mm->exe)
		inode_put(mm->exe);
	free(mm->v);
	free(mm);
}

struct mm *mm_fork(struct mm *src, struct plat_as *as)
{
	struct mm *mm = mm_create(as);
	if (!mm) {
		plat_as_destroy(as);
		return NULL;
	}
	mm->v = malloc((src->nvma ? src->nvma : 1) * sizeof *mm->v);
	if (!mm->v) {
		mm_put(mm);
		return NULL;
	}
	mm->cap = src->nvma ? src->nvma : 1;
	mm->start_brk = src->start_brk;
	mm->brk = src->brk;
	mm->mmap_base = src->mmap_base;
	mm_set_exe(mm, src->exe);
	/* The parent's private pages become copy-on-write and lose write
	 * access in its client before anything is shared: its other threads
	 * keep running (on Linux), and a write of theirs after this point
	 * faults instead of reaching the child.  If the copy then fails, a
	 * page marked but held by nobody else is simply taken back at the
	 * next write. */
	for (size_t i = 0; i < src->nvma; i++) {
		const struct vma *v = &src->v[i];
		if (v->shared)
			continue;
		pt_mark_cow(src, v->start, v->end);
		if (v->prot & PLAT_PROT_WRITE)
			pt_write_protect_cow(src, v->start, v->end, v->prot);
	}
	for (size_t i = 0; i < src->nvma; i++) {
		const struct vma *v = &src->v[i];
		mm->v[mm->nvma++] = *v;
		if (v->ino)
			inode_ref(v->ino);
		if (pt_fork_range(src, mm, v->start, v->end, v->shared) < 0) {
			mm_put(mm);
			return NULL;
		}
	}
	return mm;
}

bool mm_shared_key(struct mm *mm, uint64_t addr, const void **obj, uint64_t *off)
{
	struct vma *v = mm_find_vma(mm, addr);
	if (!v || !v->shared || !v->ino)
		return false;
	*obj = v->ino;
	*off = v->off + (addr - v->start);
	return true;
}

void mm_set_exe(struct mm *mm, struct inode *exe)
{
	if (exe)
		inode_ref(exe);
	if (mm->exe)
		inode_put(mm->exe);
	mm->exe = exe;
}

/* ---- The VMA array ------------------------------------------------------------ */

size_t mm_vma_index(struct mm *mm, uint64_t addr)
{
	size_t lo = 0, hi = mm->nvma;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mm->v[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct vma *mm_find_vma(struct mm *mm, uint64_t addr)
{
	size_t i = mm_vma_index(mm, addr);
	return i < mm->nvma && mm->v[i].start <= addr ? &mm->v[i] : NULL;
}

static bool range_free(struct mm *mm, uint64_t addr, uint64_t len)
{
	size_t i = mm_vma_index(mm, addr);
	return i == mm->nvma || mm->v[i].start >= addr + len;
}

int mm_range_mapped(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t cur = addr, hi = addr + len;
	for (size_t i = mm_vma_index(mm, addr); cur < hi; i++) {
		if (i >= mm->nvma || mm->v[i].start > cur)
			return -ENOMEM;
		cur = mm->v[i].end;
	}
	return 0;
}

static int vma_insert(struct mm *mm, size_t idx, const struct vma *v)
{
	/* Linux refuses a new mapping once the count is past the limit
	 * (do_mmap's check, before any merge), so one over it can exist. */
	if (mm->nvma > MM_MAX_MAP_COUNT)
		return -ENOMEM;
	if (mm->nvma == mm->cap) {
		size_t ncap = mm->cap ? mm->cap * 2 : 16;
		struct vma *n = realloc(mm->v, ncap * sizeof *n);
		if (!n)
			return -ENOMEM;
		mm->v = n;
		mm->cap = ncap;
	}
	memmove(&mm->v[idx + 1], &mm->v[idx], (mm->nvma - idx) * sizeof *mm->v);
	mm->v[idx] = *v;
	mm->nvma++;
	return 0;
}

/* Remove entries [idx, end); the caller has dealt with their pages and
 * inodes.  One move for a run: unmapping thousands of VMAs stays linear. */
static void vma_remove_run(struct mm *mm, size_t idx, size_t end)
{
	memmove(&mm->v[idx], &mm->v[end], (mm->nvma - end) * sizeof *mm->v);
	mm->nvma -= end - idx;
}

static void vma_remove(struct mm *mm, size_t idx)
{
	vma_remove_run(mm, idx, idx + 1);
}

/* Split VMA idx at addr (strictly inside it) into idx and idx+1. */
static int vma_split(struct mm *mm, size_t idx, uint64_t addr)
{
	if (mm->nvma >= MM_MAX_MAP_COUNT)
		return -ENOMEM; /* as Linux's split_vma */
	struct vma right = mm->v[idx];
	right.start = addr;
	if (right.ino) {
		right.off += addr - mm->v[idx].start;
		inode_ref(right.ino);
	}
	if (vma_insert(mm, idx + 1, &right) < 0) {
		if (right.ino)
			inode_put(right.ino);
		return -ENOMEM;
	}
	mm->v[idx].end = addr;
	return 0;
}

/* Make addr a VMA boundary if a VMA straddles it. */
static int split_at(struct mm *mm, uint64_t addr)
{
	size_t i = mm_vma_index(mm, addr);
	if (i < mm->nvma && mm->v[i].start < addr)
		return vma_split(mm, i, addr);
	return 0;
}

/* Linux merges neighbouring VMAs that would behave identically, and
 * programs see it in /proc/self/maps. */
static bool can_merge(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->maxprot == b->maxprot &&
	       a->shared == b->shared && a->kind == VMA_NORMAL && b->kind == VMA_NORMAL &&
	       a->ino == b->ino && (!a->ino || a->off + (a->end - a->start) == b->off);
}

/* Merge what can be merged among the VMAs around [lo, hi). */
static void merge_range(struct mm *mm, uint64_t lo, uint64_t hi)
{
	size_t first = mm_vma_index(mm, lo), last = mm_vma_index(mm, hi);
	if (first > 0)
		first--;
	if (last >= mm->nvma)
		last = mm->nvma ? mm->nvma - 1 : 0;
	if (first >= last)
		return;
	/* One pass compacting [first, last], then one move of the rest: a
	 * range of thousands of mergeable VMAs stays linear. */
	size_t w = first;
	for (size_t i = first + 1; i <= last; i++) {
		if (can_merge(&mm->v[w], &mm->v[i])) {
			mm->v[w].end = mm->v[i].end;
			if (mm->v[i].ino)
				inode_put(mm->v[i].ino);
		} else {
			mm->v[++w] = mm->v[i];
		}
	}
	vma_remove_run(mm, w + 1, last + 1);
}

/* ---- Finding room ---------------------------------------------------------------- */

/* The highest free range of len bytes inside [low, high), or 0. */
static uint64_t find_gap(struct mm *mm, uint64_t len, uint64_t low, uint64_t high)
{
	if (high <= low || high - low < len)
		return 0;
	size_t i = mm_vma_index(mm, high);
	uint64_t end = high;
	if (i < mm->nvma && mm->v[i].start < end)
		end = mm->v[i].start;
	for (;;) {
		uint64_t start = i > 0 ? mm->v[i - 1].end : low;
		if (start < low)
			start = low;
		if (end > start && end - start >= len)
			return end - len;
		if (i == 0)
			return 0;
		i--;
		end = mm->v[i].start;
		if (end <= low)
			return 0;
	}
}

static uint64_t find_free(struct mm *mm, uint64_t len)
{
	uint64_t base = plat_user_base(), a = find_gap(mm, len, base, mm->mmap_base);
	/* Like Linux's fallback when the area below mmap_base is full. */
	return a ? a : find_gap(mm, len, base, plat_user_top());
}

/* ---- mmap, munmap ----------------------------------------------------------------- */

int mm_unmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t top = plat_user_top();
	if ((addr & ~PAGE_MASK) || !len)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (!len || len > top || addr > top - len)
		return -EINVAL;
	uint64_t hi = addr + len;
	if (split_at(mm, addr) < 0 || split_at(mm, hi) < 0)
		return -ENOMEM;
	size_t i = mm_vma_index(mm, addr), end = i;
	for (; end < mm->nvma && mm->v[end].end <= hi; end++)
		if (mm->v[end].ino)
			inode_put(mm->v[end].ino);
	vma_remove_run(mm, i, end);
	pt_drop_range(mm, addr, hi);
	return 0;
}

long mm_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct inode *ino,
            uint64_t off)
{
	return mm_map_ex(mm, addr, len, prot, LX_PROT_RWX, flags, ino, off);
}

long mm_map_ex(struct mm *mm, uint64_t addr, uint64_t len, int prot, int maxprot, int flags,
               struct inode *ino, uint64_t off)
{
	uint64_t base = plat_user_base(), top = plat_user_top();
	if (!len)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (!len || len > top - base)
		return -ENOMEM;
	if (flags & (LX_MAP_FIXED | LX_MAP_FIXED_NOREPLACE)) {
		if (addr & ~PAGE_MASK)
			return -EINVAL;
		if (addr > top - len)
			return -ENOMEM;
		if (addr < base)
			return -EPERM; /* Linux's mmap_min_addr check */
		if (!range_free(mm, addr, len)) {
			if (!(flags & LX_MAP_FIXED))
				return -EEXIST;
			int r = mm_unmap(mm, addr, len);
			if (r < 0)
				return r;
		}
	} else if (flags & LX_MAP_32BIT) {
		addr = find_gap(mm, len, LOW_2G_BASE, LOW_2G_TOP);
		if (!addr)
			return -ENOMEM;
	} else {
		/* A hint is taken if the range is free, as Linux does. */
		if (addr && addr < base)
			addr = base;
		addr = PAGE_ALIGN_UP(addr);
		if (!addr || addr > top - len || !range_free(mm, addr, len))
			addr = find_free(mm, len);
		if (!addr)
			return -ENOMEM;
	}
	struct vma v = {
	    .start = addr,
	    .end = addr + len,
	    .prot = prot & LX_PROT_RWX,
	    .maxprot = maxprot,
	    /* MAP_SHARED|MAP_ANONYMOUS comes with an anonymous inode
	     * (sys_mmap): shared pages always belong to an inode. */
	    .shared = ino && (flags & LX_MAP_TYPE) != LX_MAP_PRIVATE,
	    .kind = VMA_NORMAL,
	    .ino = ino,
	    .off = ino ? off : 0,
	};
	if (ino)
		inode_ref(ino);
	if (vma_insert(mm, mm_vma_index(mm, addr), &v) < 0) {
		if (ino)
			inode_put(ino);
		return -ENOMEM;
	}
	merge_range(mm, addr, addr + len);
	return (long)addr;
}

long mm_map_stack(struct mm *mm, uint64_t size, uint64_t *top)
{
	uint64_t t = plat_user_top();
	size = PAGE_ALIGN_UP(size);
	if (!size || size > t - plat_user_base() || !range_free(mm, t - size, size))
		return -ENOMEM;
	/* Deliberate difference: Linux starts the stack VMA small and grows
	 * it down on faults; here the whole 8 MiB exists from the start (it
	 * costs nothing until touched). */
	struct vma v = {
	    .start = t - size,
	    .end = t,
	    .prot = PLAT_PROT_READ | PLAT_PROT_WRITE,
	    .maxprot = LX_PROT_RWX,
	    .kind = VMA_STACK,
	};
	if (vma_insert(mm, mm->nvma, &v) < 0)
		return -ENOMEM;
	*top = t;
	return (long)v.start;
}

/* ---- mprotect ------------------------------------------------------------------------ */

int mm_protect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	uint64_t hi = addr + len;
	if (hi < addr || hi > plat_user_top())
		return -ENOMEM;
	/* Deliberate difference: Linux changes the VMAs before a hole and
	 * then fails with ENOMEM; here nothing changes if there is a hole. */
	if (mm_range_mapped(mm, addr, len) < 0)
		return -ENOMEM;
	for (size_t i = mm_vma_index(mm, addr); i < mm->nvma && mm->v[i].start < hi; i++)
		if (prot & ~mm->v[i].maxprot)
			return -EACCES;
	if (split_at(mm, addr) < 0 || split_at(mm, hi) < 0)
		return -ENOMEM;
	for (size_t i = mm_vma_index(mm, addr); i < mm->nvma && mm->v[i].start < hi; i++)
		mm->v[i].prot = prot;
	pt_protect_client(mm, addr, hi, prot);
	merge_range(mm, addr, hi);
	return 0;
}

/* ---- brk ------------------------------------------------------------------------------ */

void mm_set_brk_base(struct mm *mm, uint64_t base)
{
	mm->start_brk = mm->brk = PAGE_ALIGN_UP(base);
}

uint64_t mm_brk(struct mm *mm, uint64_t newbrk)
{
	if (!mm->start_brk || newbrk < mm->start_brk || newbrk > plat_user_top())
		return mm->brk;
	uint64_t old_end = PAGE_ALIGN_UP(mm->brk), new_end = PAGE_ALIGN_UP(newbrk);
	if (new_end < old_end) {
		if (mm_unmap(mm, new_end, old_end - new_end) < 0)
			return mm->brk;
	} else if (new_end > old_end) {
		/* Linux keeps a page of distance to the next mapping. */
		size_t i = mm_vma_index(mm, old_end);
		if (i < mm->nvma && mm->v[i].start < new_end + PAGE_SIZE)
			return mm->brk;
		if (i > 0 && mm->v[i - 1].kind == VMA_HEAP && mm->v[i - 1].end == old_end) {
			mm->v[i - 1].end = new_end;
		} else {
			struct vma v = {
			    .start = old_end,
			    .end = new_end,
			    .prot = PLAT_PROT_READ | PLAT_PROT_WRITE,
			    .maxprot = LX_PROT_RWX,
			    .kind = VMA_HEAP,
			};
			if (vma_insert(mm, i, &v) < 0)
				return mm->brk;
		}
	}
	mm->brk = newbrk;
	return newbrk;
}

/* ---- mremap ----------------------------------------------------------------------------- */

/* Move [old, old+old_len) (inside one VMA) to the free range [to, to+new_len). */
static long move_mapping(struct mm *mm, uint64_t old, uint64_t old_len, uint64_t to,
                         uint64_t new_len)
{
	if (split_at(mm, old) < 0 || split_at(mm, old + old_len) < 0)
		return -ENOMEM;
	struct vma v = *mm_find_vma(mm, old);
	v.start = to;
	v.end = to + new_len;
	if (v.kind == VMA_HEAP)
		v.kind = VMA_NORMAL;
	if (v.ino)
		inode_ref(v.ino);
	if (vma_insert(mm, mm_vma_index(mm, to), &v) < 0) {
		if (v.ino)
			inode_put(v.ino);
		return -ENOMEM;
	}
	if (pt_move_range(mm, old, old_len, to) < 0) {
		size_t i = mm_vma_index(mm, to);
		if (v.ino)
			inode_put(v.ino);
		vma_remove(mm, i);
		return -ENOMEM;
	}
	mm_unmap(mm, old, old_len); /* boundaries exist: cannot fail */
	merge_range(mm, to, to + new_len);
	return (long)to;
}

long mm_remap(struct mm *mm, uint64_t old, uint64_t old_len, uint64_t new_len, int flags,
              uint64_t new_addr)
{
	const int MAYMOVE = 1, FIXED = 2;
	uint64_t top = plat_user_top();
	struct vma *vma = mm_find_vma(mm, old);
	if (!vma || old_len > vma->end - old)
		return -EFAULT;
	/* Deliberate difference: Linux duplicates a shared mapping when
	 * old_len is 0; not supported here. */
	if (!old_len)
		return -EINVAL;
	if (flags & FIXED) {
		if (new_len > top || new_addr > top - new_len || new_addr < plat_user_base())
			return -EINVAL;
		if (new_addr < old + old_len && old < new_addr + new_len)
			return -EINVAL;
		int r = mm_unmap(mm, new_addr, new_len);
		if (r < 0)
			return r;
		if (old_len > new_len) {
			r = mm_unmap(mm, old + new_len, old_len - new_len);
			if (r < 0)
				return r;
			old_len = new_len;
		}
		return move_mapping(mm, old, old_len, new_addr, new_len);
	}
	if (new_len <= old_len) {
		if (new_len < old_len) {
			int r = mm_unmap(mm, old + new_len, old_len - new_len);
			if (r < 0)
				return r;
		}
		return (long)old;
	}
	/* Grow in place if the VMA ends where the old range ends and the
	 * space after it is free. */
	if (old + old_len == vma->end && new_len <= top - old &&
	    range_free(mm, vma->end, old + new_len - vma->end)) {
		vma->end = old + new_len;
		merge_range(mm, old, old + new_len);
		return (long)old;
	}
	if (!(flags & MAYMOVE))
		return -ENOMEM;
	uint64_t to = find_free(mm, new_len);
	if (!to)
		return -ENOMEM;
	return move_mapping(mm, old, old_len, to, new_len);
}

/* ---- /proc/<pid>/maps and status ------------------------------------------------------- */

struct strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		while (ncap < b->len + (size_t)n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

int mm_format_maps(struct mm *mm, const char *exe_path, char **buf, size_t *len)
{
	struct strbuf b = {0};
	sb_printf(&b, "%s", "");
	for (size_t i = 0; i < mm->nvma && !b.oom; i++) {
		const struct vma *v = &mm->v[i];
		const char *name = NULL;
		if (v->kind == VMA_HEAP)
			name = "[heap]";
		else if (v->kind == VMA_STACK)
			name = "[stack]";
		/* A file's device is its filesystem's number, as stat's
		 * st_dev; anonymous memory (shared too) reads 00:00 0. */
		unsigned dev = 0;
		unsigned long inum = 0;
		if (v->ino) {
			const char *path = inode_map_name(v->ino, &dev, &inum);
			name = v->ino == mm->exe ? exe_path : path;
			if (!name)
				dev = 0, inum = 0;
		}
		size_t start = b.len;
		sb_printf(&b, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %lu ",
		          (unsigned long long)v->start, (unsigned long long)v->end,
		          v->prot & PLAT_PROT_READ ? 'r' : '-',
		          v->prot & PLAT_PROT_WRITE ? 'w' : '-',
		          v->prot & PLAT_PROT_EXEC ? 'x' : '-', v->shared ? 's' : 'p',
		          (unsigned long long)v->off, 0, dev, inum);
		if (name) {
			/* Linux pads the name to column 73. */
			int pad = 72 - (int)(b.len - start);
			sb_printf(&b, "%*s %s", pad > 0 ? pad : 0, "", name);
		}
		sb_printf(&b, "\n");
	}
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}

void mm_usage(struct mm *mm, uint64_t *vm_bytes, uint64_t *rss_pages)
{
	uint64_t total = 0;
	for (size_t i = 0; i < mm->nvma; i++)
		total += mm->v[i].end - mm->v[i].start;
	*vm_bytes = total;
	*rss_pages = mm->rss;
}
