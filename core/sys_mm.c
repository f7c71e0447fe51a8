/*
 * The memory system calls: brk, mmap, munmap, mprotect, mremap, madvise,
 * msync, mlock, munlock, mincore.  Each decodes and checks its arguments
 * in the order Linux does (so that the same errno comes out when several
 * things are wrong), then calls mm.c with checked values.
 */
#include <stdlib.h>
#include <string.h>

#include "mm_impl.h"
#include "syscall.h"
#include "vfs.h"

#define LX_PROT_SEM 0x8
#define LX_PROT_GROWSDOWN 0x01000000
#define LX_PROT_GROWSUP 0x02000000

#define LX_MREMAP_MAYMOVE 1
#define LX_MREMAP_FIXED 2
#define LX_MREMAP_DONTUNMAP 4

#define LX_MS_ASYNC 1
#define LX_MS_INVALIDATE 2
#define LX_MS_SYNC 4

/* Flags MAP_SHARED_VALIDATE accepts (Linux's LEGACY_MAP_MASK plus the
 * validated ones it knows). */
#define LX_MAP_KNOWN                                                                               \
	(LX_MAP_TYPE | LX_MAP_FIXED | LX_MAP_ANONYMOUS | LX_MAP_32BIT | LX_MAP_GROWSDOWN |         \
	 LX_MAP_DENYWRITE | LX_MAP_EXECUTABLE | LX_MAP_LOCKED | LX_MAP_NORESERVE |                 \
	 LX_MAP_POPULATE | LX_MAP_NONBLOCK | LX_MAP_STACK | LX_MAP_HUGETLB |                       \
	 LX_MAP_FIXED_NOREPLACE | LX_MAP_UNINITIALIZED | (0x3fu << 26) /* huge page size */)

static struct mm *mm_of(struct thread *t)
{
	return t->proc->mm;
}

/* Linux's default overcommit heuristic (OVERCOMMIT_GUESS): one request
 * to commit more memory than the machine has at all is refused with
 * ENOMEM; anything smaller is granted, and touching more than there is
 * ends in the OOM killer (sched.c). */
static bool overcommits(uint64_t len)
{
	return PAGE_ALIGN_UP(len) / PAGE_SIZE > plat_frame_limit();
}

long sys_brk(struct thread *t, const struct sysargs *a)
{
	/* Deliberate difference: no RLIMIT_DATA check.  Growth beyond the
	 * whole memory is refused as Linux's overcommit heuristic does: the
	 * break stays where it was. */
	uint64_t cur = (uint64_t)mm_brk(mm_of(t), 0);
	if (a->a[0] > cur && overcommits(a->a[0] - cur))
		return (long)cur;
	return (long)mm_brk(mm_of(t), a->a[0]);
}

long sys_mmap(struct thread *t, const struct sysargs *a)
{
	uint64_t addr = a->a[0], len = a->a[1], off = a->a[5];
	int prot = (int)a->a[2], flags = (int)a->a[3], fd = (int)a->a[4];
	int type = flags & LX_MAP_TYPE, maxprot = LX_PROT_RWX;
	struct inode *ino = NULL;
	long r;

	if (off & ~PAGE_MASK)
		return -EINVAL;
	if (!(flags & LX_MAP_ANONYMOUS)) {
		/* MAP_SHARED_VALIDATE is MAP_SHARED for the file's checks. */
		int fflags =
		    type == LX_MAP_SHARED_VALIDATE ? (flags & ~LX_MAP_TYPE) | LX_MAP_SHARED : flags;
		/* Linux looks the fd up before anything else but the offset. */
		r = fd_inode_for_mmap(t->proc, fd, prot, fflags, &ino);
		if (r < 0)
			return r;
		if (type != LX_MAP_PRIVATE) {
			/* Whether mprotect may later add PROT_WRITE (VM_MAYWRITE). */
			struct inode *probe;
			if (fd_inode_for_mmap(t->proc, fd, PLAT_PROT_WRITE, fflags, &probe) < 0)
				maxprot &= ~PLAT_PROT_WRITE;
			else
				inode_put(probe);
		}
	}
	if (!len) {
		r = -EINVAL;
		goto out;
	}
	if (PAGE_ALIGN_UP(len) < len) {
		r = -ENOMEM;
		goto out;
	}
	if (ino && (off + PAGE_ALIGN_UP(len)) < off) {
		r = -EOVERFLOW;
		goto out;
	}
	switch (type) {
	case LX_MAP_SHARED_VALIDATE:
		/* Linux validates only file mappings; for anonymous memory the
		 * type is simply not one it knows. */
		if (!ino) {
			r = -EINVAL;
			goto out;
		}
		if (flags & ~LX_MAP_KNOWN) {
			r = -EOPNOTSUPP;
			goto out;
		}
		break;
	case LX_MAP_SHARED:
	case LX_MAP_PRIVATE:
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	if (!ino && type == LX_MAP_SHARED) {
		/* Shared anonymous memory is a file nobody can name, so that
		 * fork shares its pages like any shared file mapping's. */
		off = 0;
		ino = vfs_anon_shared(PAGE_ALIGN_UP(len));
		if (!ino) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (flags & LX_MAP_HUGETLB) {
		/* Like a Linux without reserved huge pages. */
		r = -ENOMEM;
		goto out;
	}
	/* Memory Linux would commit: private writable or shared anonymous,
	 * unless MAP_NORESERVE. */
	if (!(flags & LX_MAP_NORESERVE) &&
	    ((type == LX_MAP_PRIVATE && (prot & PLAT_PROT_WRITE)) ||
	     (type == LX_MAP_SHARED && (flags & LX_MAP_ANONYMOUS))) &&
	    overcommits(len)) {
		r = -ENOMEM;
		goto out;
	}
	/* Unknown prot bits are ignored by Linux's mmap (mprotect checks).
	 * MAP_POPULATE, MAP_LOCKED, MAP_NORESERVE: accepted, pages still
	 * come lazily. */
	r = mm_map_ex(mm_of(t), addr, len, prot & LX_PROT_RWX, maxprot, flags, ino, off);
out:
	if (ino)
		inode_put(ino);
	return r;
}

long sys_munmap(struct thread *t, const struct sysargs *a)
{
	return mm_unmap(mm_of(t), a->a[0], a->a[1]);
}

long sys_mprotect(struct thread *t, const struct sysargs *a)
{
	uint64_t addr = a->a[0], len = a->a[1];
	int prot = (int)a->a[2];
	const int known = LX_PROT_RWX | LX_PROT_SEM | LX_PROT_GROWSDOWN | LX_PROT_GROWSUP;

	if ((prot & LX_PROT_GROWSDOWN) && (prot & LX_PROT_GROWSUP))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN_UP(len);
	if (!len || addr + len <= addr)
		return -ENOMEM;
	if (prot & ~known)
		return -EINVAL;
	/* PROT_GROWSDOWN would extend the change to the start of a stack
	 * VMA; our stack VMA is fixed, so it only changes what was asked. */
	return mm_protect(mm_of(t), addr, len, prot & LX_PROT_RWX);
}

long sys_mremap(struct thread *t, const struct sysargs *a)
{
	uint64_t old = a->a[0], old_len = a->a[1], new_len = a->a[2], new_addr = a->a[4];
	int flags = (int)a->a[3];

	if (flags & ~(LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED | LX_MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & LX_MREMAP_FIXED) && !(flags & LX_MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & LX_MREMAP_DONTUNMAP) && (!(flags & LX_MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (old & ~PAGE_MASK)
		return -EINVAL;
	old_len = PAGE_ALIGN_UP(old_len);
	new_len = PAGE_ALIGN_UP(new_len);
	if (!new_len)
		return -EINVAL;
	if ((flags & LX_MREMAP_FIXED) && (new_addr & ~PAGE_MASK))
		return -EINVAL;
	if (flags & LX_MREMAP_DONTUNMAP) {
		pr_warn_once("persona: mremap(MREMAP_DONTUNMAP) is not supported");
		return -EINVAL;
	}
	return mm_remap(mm_of(t), old, old_len, new_len, flags, new_addr);
}

/* Common checks of madvise/msync/mlock: the page range or an errno. */
static int page_range(uint64_t addr, uint64_t len, uint64_t *end)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	if (len && !alen)
		return -EINVAL;
	*end = addr + alen;
	if (*end < addr)
		return -EINVAL;
	return 0;
}

long sys_madvise(struct thread *t, const struct sysargs *a)
{
	uint64_t addr = a->a[0], len = a->a[1], end;
	int advice = (int)a->a[2];
	struct mm *mm = mm_of(t);
	int r;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	switch (advice) {
	case 0 ... 4:  /* NORMAL RANDOM SEQUENTIAL WILLNEED DONTNEED */
	case 8 ... 25: /* FREE REMOVE DONTFORK DOFORK MERGEABLE ... COLLAPSE */
		break;
	case 100:
	case 101: /* HWPOISON, SOFT_OFFLINE: CAP_SYS_ADMIN only */
		return -EPERM;
	default:
		return -EINVAL;
	}
	r = page_range(addr, len, &end);
	if (r < 0)
		return r;
	if (end == addr)
		return 0;
	/* Linux applies the advice to the mapped parts and then reports a
	 * hole with ENOMEM; so do we. */
	int hole = mm_range_mapped(mm, addr, end - addr);
	for (size_t i = mm_vma_index(mm, addr); i < mm->nvma && mm->v[i].start < end; i++) {
		struct vma *v = &mm->v[i];
		bool private_anon = !v->ino;
		if ((advice == 8 /* FREE */ || advice == 18 /* WIPEONFORK */) && !private_anon)
			return -EINVAL;
		if (advice == 9 /* REMOVE */) {
			if (!v->shared)
				return -EINVAL;
			/* Punching a hole needs the files module. */
			pr_warn_once("persona: madvise(MADV_REMOVE) is not supported");
			return -EOPNOTSUPP;
		}
	}
	if (advice == 4 /* DONTNEED */ || advice == 8 /* FREE */ ||
	    advice == 24 /* DONTNEED_LOCKED */) {
		/* Private pages read back as zero (anonymous) or as the file's
		 * content; shared file pages come back from the file.
		 * MADV_FREE may drop the pages at once. */
		uint64_t lo = addr < plat_user_base() ? plat_user_base() : addr;
		uint64_t hi = end > plat_user_top() ? plat_user_top() : end;
		if (lo < hi)
			pt_drop_range(mm, lo, hi);
	}
	return hole;
}

long sys_msync(struct thread *t, const struct sysargs *a)
{
	uint64_t addr = a->a[0], len = a->a[1], end;
	int flags = (int)a->a[2];

	if (flags & ~(LX_MS_ASYNC | LX_MS_INVALIDATE | LX_MS_SYNC))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if ((flags & LX_MS_ASYNC) && (flags & LX_MS_SYNC))
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	end = addr + len;
	if (end < addr)
		return -ENOMEM;
	if (end == addr)
		return 0;
	/* Shared mappings are the file's own pages: nothing to write back. */
	return mm_range_mapped(mm_of(t), addr, len);
}

static long lock_range(struct thread *t, const struct sysargs *a)
{
	uint64_t addr = a->a[0], len = a->a[1];
	len = PAGE_ALIGN_UP(len + (addr & ~PAGE_MASK));
	addr &= PAGE_MASK;
	if (addr + len < addr)
		return -EINVAL;
	if (!len)
		return 0;
	/* Nothing is ever swapped out, so locking is only the range check. */
	return mm_range_mapped(mm_of(t), addr, len);
}

long sys_mlock(struct thread *t, const struct sysargs *a)
{
	return lock_range(t, a);
}
long sys_munlock(struct thread *t, const struct sysargs *a)
{
	return lock_range(t, a);
}

#define LX_MLOCK_ONFAULT 1u
#define LX_MCL_CURRENT 1u
#define LX_MCL_FUTURE 2u
#define LX_MCL_ONFAULT 4u

long sys_mlock2(struct thread *t, const struct sysargs *a)
{
	if (a->a[2] & ~(uint64_t)LX_MLOCK_ONFAULT)
		return -EINVAL;
	return lock_range(t, a);
}

/* Nothing is ever swapped out: locking everything is the flags' check. */
long sys_mlockall(struct thread *t, const struct sysargs *a)
{
	uint64_t flags = a->a[0];
	if (!flags || (flags & ~(uint64_t)(LX_MCL_CURRENT | LX_MCL_FUTURE | LX_MCL_ONFAULT)) ||
	    flags == LX_MCL_ONFAULT)
		return -EINVAL;
	return 0;
}
long sys_munlockall(struct thread *t, const struct sysargs *a)
{
	return 0;
}

long sys_mincore(struct thread *t, const struct sysargs *a)
{
	uint64_t addr = a->a[0], len = a->a[1], vec = a->a[2];
	struct mm *mm = mm_of(t);
	enum { CHUNK = 4096 };
	uint8_t buf[CHUNK];

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (len > plat_user_top() || addr > plat_user_top() - len)
		return -ENOMEM;
	uint64_t pages = PAGE_ALIGN_UP(len) / PAGE_SIZE;
	if (!pages)
		return 0;
	if (mm_range_mapped(mm, addr, pages * PAGE_SIZE) < 0)
		return -ENOMEM;
	for (uint64_t done = 0; done < pages;) {
		uint64_t n = pages - done < CHUNK ? pages - done : CHUNK;
		uint64_t lo = addr + done * PAGE_SIZE, hi = lo + n * PAGE_SIZE;
		memset(buf, 0, n);
		pt_resident(mm, lo, hi, buf);
		/* File pages count as resident when the file holds them, even
		 * if this process has not touched them (the page cache). */
		for (uint64_t i = 0; i < n; i++) {
			struct vma *v = buf[i] ? NULL : mm_find_vma(mm, lo + i * PAGE_SIZE);
			frame_t f;
			if (!v || !v->ino)
				continue;
			uint64_t pgoff = (v->off + (lo + i * PAGE_SIZE - v->start)) / PAGE_SIZE;
			if (inode_get_page(v->ino, pgoff, false, &f) == 0 && f != FRAME_NONE) {
				buf[i] = 1;
				frame_unref(f);
			}
		}
		int r = copy_to_user(t, vec + done, buf, n);
		if (r < 0)
			return r;
		done += n;
	}
	return 0;
}
