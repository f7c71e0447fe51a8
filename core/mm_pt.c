/*
 * The page table of an address space and everything that goes through it:
 * a radix tree from virtual page number to (frame, rights) kept by the
 * core, lazy population on faults, and the server's copies to and from
 * client memory (mm_copy_from / mm_copy_to / mm_strncpy_from).
 *
 * The tree is what decides; the platform's mappings follow it.  An entry
 * may be known here but not mapped in the client (filled by a copy from
 * the server, or after a failed plat_protect): the next client access
 * faults and maps it.
 */
#include <stdlib.h>
#include <string.h>

#include "mm_impl.h"
#include "vfs.h"

/* 36-bit page numbers (48-bit addresses) in four levels of 512 entries. */
#define PT_BITS 9
#define PT_FANOUT (1u << PT_BITS)
#define PT_LEVELS 4
#define VPN_LIMIT (1ULL << (PT_BITS * PT_LEVELS))

struct ptnode {
	uint32_t count; /* non-empty slots */
	union {
		struct ptnode *child[PT_FANOUT];
		struct pte e[PT_FANOUT]; /* level PT_LEVELS-1 */
	};
};

/* Fault-around: a fault populates and maps up to this many neighbouring
 * pages of the same VMA at once.  Each fault costs a full stop of the
 * client on both backends, and programs touch memory in runs. */
#define FAULT_AROUND_PAGES 16

static unsigned pt_index(uint64_t vpn, int level)
{
	return (unsigned)(vpn >> (PT_BITS * (PT_LEVELS - 1 - level))) & (PT_FANOUT - 1);
}

static struct ptnode *node_alloc(bool leaf)
{
	struct ptnode *n = malloc(sizeof *n);
	if (!n)
		return NULL;
	n->count = 0;
	if (leaf) {
		for (unsigned i = 0; i < PT_FANOUT; i++)
			n->e[i] = (struct pte){.frame = FRAME_NONE};
	} else {
		memset(n->child, 0, sizeof n->child);
	}
	return n;
}

struct pte *pt_lookup(struct mm *mm, uint64_t vpn)
{
	struct ptnode *n = mm->pt;
	if (vpn >= VPN_LIMIT)
		return NULL;
	for (int l = 0; n && l < PT_LEVELS - 1; l++)
		n = n->child[pt_index(vpn, l)];
	if (!n)
		return NULL;
	struct pte *e = &n->e[pt_index(vpn, PT_LEVELS - 1)];
	return e->frame == FRAME_NONE ? NULL : e;
}

/* The leaf node holding vpn, creating the path to it. */
static struct ptnode *leaf_for(struct mm *mm, uint64_t vpn)
{
	if (vpn >= VPN_LIMIT)
		return NULL;
	if (!mm->pt && !(mm->pt = node_alloc(false)))
		return NULL;
	struct ptnode *n = mm->pt;
	for (int l = 0; l < PT_LEVELS - 1; l++) {
		struct ptnode **slot = &n->child[pt_index(vpn, l)];
		if (!*slot) {
			if (!(*slot = node_alloc(l == PT_LEVELS - 2)))
				return NULL;
			n->count++;
		}
		n = *slot;
	}
	return n;
}

struct pte *pt_slot(struct mm *mm, uint64_t vpn)
{
	struct ptnode *leaf = leaf_for(mm, vpn);
	return leaf ? &leaf->e[pt_index(vpn, PT_LEVELS - 1)] : NULL;
}

/* Fill an empty slot (obtained from pt_slot) with a frame we hold a
 * reference on. */
static void pte_fill(struct mm *mm, uint64_t vpn, struct pte *e, frame_t f)
{
	struct ptnode *leaf = leaf_for(mm, vpn); /* exists: no allocation */
	e->frame = f;
	e->prot = 0;
	e->mapped = 0;
	e->cow = 0;
	leaf->count++;
	mm->rss++;
}

/* Visit the present entries of [lo, hi) (page numbers); fn returns true to
 * have the entry removed.  Empty nodes are freed on the way out. */
typedef bool (*pte_fn)(struct mm *mm, uint64_t vpn, struct pte *e, void *arg);

static void walk(struct mm *mm, struct ptnode *n, int level, uint64_t base, uint64_t lo,
                 uint64_t hi, pte_fn fn, void *arg)
{
	uint64_t span = 1ULL << (PT_BITS * (PT_LEVELS - 1 - level));
	unsigned first = lo > base ? (unsigned)((lo - base) / span) : 0;
	for (unsigned i = first; i < PT_FANOUT && n->count; i++) {
		uint64_t vbase = base + i * span;
		if (vbase >= hi)
			break;
		if (level == PT_LEVELS - 1) {
			struct pte *e = &n->e[i];
			if (e->frame != FRAME_NONE && fn(mm, vbase, e, arg)) {
				e->frame = FRAME_NONE;
				n->count--;
				mm->rss--;
			}
			continue;
		}
		struct ptnode *c = n->child[i];
		if (!c)
			continue;
		walk(mm, c, level + 1, vbase, lo, hi, fn, arg);
		if (!c->count) {
			free(c);
			n->child[i] = NULL;
			n->count--;
		}
	}
}

static void pt_walk(struct mm *mm, uint64_t lo_addr, uint64_t hi_addr, pte_fn fn, void *arg)
{
	uint64_t lo = lo_addr / PAGE_SIZE, hi = hi_addr / PAGE_SIZE;
	if (hi > VPN_LIMIT)
		hi = VPN_LIMIT;
	if (!mm->pt || lo >= hi)
		return;
	walk(mm, mm->pt, 0, 0, lo, hi, fn, arg);
}

struct mapped_scan {
	bool any;
};

static bool note_mapped(struct mm *mm, uint64_t vpn, struct pte *e, void *arg)
{
	struct mapped_scan *s = arg;
	if (e->mapped)
		s->any = true;
	return false;
}

static bool drop_one(struct mm *mm, uint64_t vpn, struct pte *e, void *arg)
{
	frame_unref(e->frame);
	return true;
}

void pt_drop_range(struct mm *mm, uint64_t lo, uint64_t hi)
{
	struct mapped_scan s = {false};
	pt_walk(mm, lo, hi, note_mapped, &s);
	/* The client must lose the pages before the frames can be reused. */
	if (s.any)
		plat_unmap(mm->as, lo, hi - lo);
	pt_walk(mm, lo, hi, drop_one, NULL);
}

static bool unmark_one(struct mm *mm, uint64_t vpn, struct pte *e, void *arg)
{
	e->mapped = 0;
	return false;
}

void pt_unmap_client(struct mm *mm, uint64_t lo, uint64_t hi)
{
	struct mapped_scan s = {false};
	pt_walk(mm, lo, hi, note_mapped, &s);
	if (s.any)
		plat_unmap(mm->as, lo, hi - lo);
	pt_walk(mm, lo, hi, unmark_one, NULL);
}

/* The rights a page may be mapped with in the client: a copy-on-write
 * page is never writable there. */
static int pte_prot(const struct pte *e, int vma_prot)
{
	return e->cow ? vma_prot & ~PLAT_PROT_WRITE : vma_prot;
}

/* Changing the client's rights goes by runs of consecutive mapped pages
 * that get the same rights: one platform call per run, and holes (pages
 * the client never touched) are never asked about.  The runs are
 * collected first because pt_unmap_client walks the table too. */
struct prot_run {
	uint64_t lo, hi; /* page numbers */
	int prot;
};

struct run_list {
	int vma_prot;
	struct prot_run *r;
	size_t n, cap;
	bool oom;
};

static bool collect_run(struct mm *mm, uint64_t vpn, struct pte *e, void *arg)
{
	struct run_list *c = arg;
	int want = pte_prot(e, c->vma_prot);
	if (!e->mapped || e->prot == want || c->oom)
		return false;
	if (c->n && c->r[c->n - 1].hi == vpn && c->r[c->n - 1].prot == want) {
		c->r[c->n - 1].hi++;
		return false;
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct prot_run *nr = realloc(c->r, ncap * sizeof *nr);
		if (!nr) {
			c->oom = true;
			return false;
		}
		c->r = nr;
		c->cap = ncap;
	}
	c->r[c->n++] = (struct prot_run){vpn, vpn + 1, want};
	return false;
}

void pt_protect_client(struct mm *mm, uint64_t lo, uint64_t hi, int prot)
{
	struct run_list c = {.vma_prot = prot};
	pt_walk(mm, lo, hi, collect_run, &c);
	if (c.oom) {
		/* Take the pages away from the client: they come back with the
		 * right rights at the next fault. */
		pt_unmap_client(mm, lo, hi);
		free(c.r);
		return;
	}
	for (size_t i = 0; i < c.n; i++) {
		uint64_t a = c.r[i].lo * PAGE_SIZE, len = (c.r[i].hi - c.r[i].lo) * PAGE_SIZE;
		if (c.r[i].prot == 0 || plat_protect(mm->as, a, len, c.r[i].prot) < 0) {
			pt_unmap_client(mm, a, a + len);
			continue;
		}
		for (uint64_t v = c.r[i].lo; v < c.r[i].hi; v++)
			pt_lookup(mm, v)->prot = (uint8_t)c.r[i].prot;
	}
	free(c.r);
}

void pt_write_protect_cow(struct mm *mm, uint64_t lo, uint64_t hi, int prot)
{
	pt_protect_client(mm, lo, hi, prot);
}

struct fork_ctx {
	struct mm *child;
	bool shared;
	bool failed;
};

static bool fork_one(struct mm *mm, uint64_t vpn, struct pte *e, void *arg)
{
	struct fork_ctx *c = arg;
	if (c->failed)
		return false;
	struct pte *d = pt_slot(c->child, vpn);
	if (!d) {
		c->failed = true;
		return false;
	}
	frame_ref(e->frame);
	pte_fill(c->child, vpn, d, e->frame);
	if (!c->shared)
		d->cow = e->cow = 1;
	return false;
}

static bool mark_cow_one(struct mm *mm, uint64_t vpn, struct pte *e, void *arg)
{
	e->cow = 1;
	return false;
}

void pt_mark_cow(struct mm *mm, uint64_t lo, uint64_t hi)
{
	pt_walk(mm, lo, hi, mark_cow_one, NULL);
}

int pt_fork_range(struct mm *src, struct mm *child, uint64_t lo, uint64_t hi, bool shared)
{
	struct fork_ctx c = {child, shared, false};
	pt_walk(src, lo, hi, fork_one, &c);
	return c.failed ? -ENOMEM : 0;
}

/* Give e a frame of its own before a write (copy-on-write).  A page
 * nobody else holds any more is simply taken over.  The client may still
 * map the old frame: the caller remaps or unmaps it. */
static int cow_break(struct pte *e)
{
	frame_t f;
	if (frame_refs(e->frame) > 1) {
		int r = frame_alloc_copy(e->frame, &f);
		if (r < 0)
			return r;
		frame_unref(e->frame);
		e->frame = f;
	}
	e->cow = 0;
	return 0;
}

struct move_ctx {
	int64_t delta; /* in pages */
	bool prepare;  /* first pass: only create the table's nodes */
	bool failed;
};

static bool move_one(struct mm *mm, uint64_t vpn, struct pte *e, void *arg)
{
	struct move_ctx *c = arg;
	uint64_t to = (uint64_t)((int64_t)vpn + c->delta);
	if (c->prepare) {
		if (!c->failed && !leaf_for(mm, to))
			c->failed = true;
		return false;
	}
	struct pte *d = pt_slot(mm, to);
	pte_fill(mm, to, d, e->frame);
	d->cow = e->cow;
	return true; /* the walker empties the old slot */
}

int pt_move_range(struct mm *mm, uint64_t old, uint64_t len, uint64_t new)
{
	struct move_ctx c = {(int64_t)(new / PAGE_SIZE) - (int64_t)(old / PAGE_SIZE), true, false};
	pt_walk(mm, old, old + len, move_one, &c);
	if (c.failed)
		return -ENOMEM;
	pt_unmap_client(mm, old, old + len);
	c.prepare = false;
	pt_walk(mm, old, old + len, move_one, &c);
	return 0;
}

struct resident_ctx {
	uint64_t lo;
	uint8_t *vec;
};

static bool resident_one(struct mm *mm, uint64_t vpn, struct pte *e, void *arg)
{
	struct resident_ctx *c = arg;
	c->vec[vpn - c->lo] = 1;
	return false;
}

void pt_resident(struct mm *mm, uint64_t lo, uint64_t hi, uint8_t *vec)
{
	struct resident_ctx c = {lo / PAGE_SIZE, vec};
	pt_walk(mm, lo, hi, resident_one, &c);
}

static void free_tree(struct ptnode *n, int level)
{
	for (unsigned i = 0; i < PT_FANOUT && n->count; i++) {
		if (level == PT_LEVELS - 1) {
			if (n->e[i].frame != FRAME_NONE)
				frame_unref(n->e[i].frame);
		} else if (n->child[i]) {
			free_tree(n->child[i], level + 1);
		}
	}
	free(n);
}

void pt_free_all(struct mm *mm)
{
	if (mm->pt)
		free_tree(mm->pt, 0);
	mm->pt = NULL;
	mm->rss = 0;
}

/* ---- Population ------------------------------------------------------------- */

/* A frame holding what page va of vma must contain, with a reference;
 * *cow when it is a file's page that a write must copy first. */
static int page_for(struct vma *vma, uint64_t va, frame_t *out, bool *cow)
{
	*cow = false;
	if (!vma->ino)
		return frame_alloc_zeroed(out);
	uint64_t pgoff = (vma->off + (va - vma->start)) / PAGE_SIZE;
	frame_t src;
	int r;
	if (vma->shared) {
		r = inode_get_page(vma->ino, pgoff, true, out);
		return r < 0 ? -ENOMEM : 0;
	}
	/* Private and read-only (a program's text): the file's own page,
	 * copied only if mprotect later allows a write, as on Linux, so
	 * that it is in memory once however many processes run it.
	 * Private and writable (data): a copy at once, because a backend
	 * that cannot tell reads from writes would fault twice.  A hole is
	 * a zero page of our own. */
	r = inode_get_page(vma->ino, pgoff, false, &src);
	if (r < 0)
		return -ENOMEM;
	if (src == FRAME_NONE)
		return frame_alloc_zeroed(out);
	if (!(vma->prot & PLAT_PROT_WRITE)) {
		*out = src;
		*cow = true;
		return 0;
	}
	r = frame_alloc_copy(src, out);
	frame_unref(src);
	return r;
}

/* Make page va (inside vma) present in the table, not necessarily mapped
 * in the client. */
static int populate(struct mm *mm, struct vma *vma, uint64_t va, struct pte **out)
{
	uint64_t vpn = va / PAGE_SIZE;
	struct pte *e = pt_slot(mm, vpn);
	frame_t f;
	if (!e)
		return -ENOMEM;
	if (e->frame == FRAME_NONE) {
		bool cow;
		int r = page_for(vma, va, &f, &cow);
		if (r < 0)
			return r;
		pte_fill(mm, vpn, e, f);
		e->cow = cow;
	}
	*out = e;
	return 0;
}

/* x86_64 without protection keys: any access right implies read. */
static bool prot_allows(int prot, int access)
{
	if (prot == 0)
		return false;
	if ((access & PLAT_PROT_WRITE) && !(prot & PLAT_PROT_WRITE))
		return false;
	if ((access & PLAT_PROT_EXEC) && !(prot & PLAT_PROT_EXEC))
		return false;
	return true;
}

int mm_handle_fault(struct mm *mm, uint64_t addr, int access)
{
	bool not_present = access & MM_FAULT_NOT_PRESENT;
	access &= PLAT_PROT_READ | PLAT_PROT_WRITE | PLAT_PROT_EXEC;
	struct vma *vma = mm_find_vma(mm, addr);
	if (!vma)
		return -EFAULT;
	if (!prot_allows(vma->prot, access))
		return -EACCES;
	uint64_t page = addr & PAGE_MASK;
	struct pte *e = pt_lookup(mm, page / PAGE_SIZE);
	/* A write to a copy-on-write page.  When the platform cannot say
	 * what the access was, a fault on a page mapped read-only for that
	 * reason in a writable mapping can only be a write. */
	if (e && e->cow && (vma->prot & PLAT_PROT_WRITE) &&
	    ((access & PLAT_PROT_WRITE) || (!access && e->mapped && !not_present))) {
		int r = cow_break(e);
		if (r < 0)
			return r;
		frame_t f = e->frame;
		if (plat_map(mm->as, page, &f, 1, vma->prot) < 0) {
			plat_unmap(mm->as, page, PAGE_SIZE);
			e->mapped = 0;
			return -ENOMEM;
		}
		e->mapped = 1;
		e->prot = (uint8_t)vma->prot;
		return 0;
	}
	if (e && e->mapped && e->prot == pte_prot(e, vma->prot)) {
		/* Mapped with every right the VMA grants and still a fault: a
		 * rights violation, unless the access is known and allowed (a
		 * spurious fault; map again to be sure). */
		if (!access)
			return not_present ? 0 : -EACCES;
		frame_t f = e->frame;
		return plat_map(mm->as, page, &f, 1, e->prot) < 0 ? -ENOMEM : 0;
	}

	/* The run of pages to bring in: unmapped neighbours of the faulting
	 * page within an aligned window, inside this VMA.  Shared file pages
	 * come one at a time (no pages past the file's end get created). */
	uint64_t lo = page, hi = page + PAGE_SIZE;
	if (!vma->shared) {
		uint64_t wlo = page & ~(FAULT_AROUND_PAGES * PAGE_SIZE - 1);
		uint64_t whi = wlo + FAULT_AROUND_PAGES * PAGE_SIZE;
		if (wlo < vma->start)
			wlo = vma->start;
		if (whi > vma->end)
			whi = vma->end;
		while (lo > wlo) {
			struct pte *p = pt_lookup(mm, lo / PAGE_SIZE - 1);
			if (p && p->mapped)
				break;
			lo -= PAGE_SIZE;
		}
		while (hi < whi) {
			struct pte *p = pt_lookup(mm, hi / PAGE_SIZE);
			if (p && p->mapped)
				break;
			hi += PAGE_SIZE;
		}
	}

	frame_t frames[FAULT_AROUND_PAGES];
	struct pte *ptes[FAULT_AROUND_PAGES];
	size_t n = 0;
	int r = populate(mm, vma, page, &e);
	if (r < 0)
		return r;
	if (e->cow && (access & PLAT_PROT_WRITE) && (r = cow_break(e)) < 0)
		return r;
	/* The neighbours are a bonus: stop at the first that cannot be had. */
	for (uint64_t va = page; va > lo; va -= PAGE_SIZE) {
		struct pte *p;
		if (populate(mm, vma, va - PAGE_SIZE, &p) < 0) {
			lo = va;
			break;
		}
	}
	for (uint64_t va = page + PAGE_SIZE; va < hi; va += PAGE_SIZE) {
		struct pte *p;
		if (populate(mm, vma, va, &p) < 0) {
			hi = va;
			break;
		}
	}
	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		ptes[n] = pt_lookup(mm, va / PAGE_SIZE);
		/* A copy-on-write page nobody else holds any more (the other
		 * process exited or exec'd) is simply ours: map it writable
		 * now rather than take a second fault for the write. */
		if (ptes[n]->cow && frame_refs(ptes[n]->frame) == 1)
			ptes[n]->cow = 0;
		frames[n] = ptes[n]->frame;
		n++;
	}
	/* One platform call per run of pages with the same rights
	 * (copy-on-write pages are mapped read-only). */
	for (size_t i = 0, j; i < n; i = j) {
		int prot = pte_prot(ptes[i], vma->prot);
		for (j = i + 1; j < n && pte_prot(ptes[j], vma->prot) == prot; j++)
			;
		r = plat_map(mm->as, lo + i * PAGE_SIZE, &frames[i], j - i, prot);
		if (r < 0) {
			/* Some may be mapped: take them all back; the pages stay
			 * ours and are freed with the VMA. */
			plat_unmap(mm->as, lo, hi - lo);
			for (size_t k = 0; k < n; k++)
				ptes[k]->mapped = 0;
			return -ENOMEM;
		}
		for (size_t k = i; k < j; k++) {
			ptes[k]->mapped = 1;
			ptes[k]->prot = (uint8_t)prot;
		}
	}
	return 0;
}

/* ---- Copies between the server and a client --------------------------------- */

/* Called with each piece of the range in server memory; returns true to
 * stop early (a NUL was found). */
typedef bool (*chunk_fn)(void *mem, size_t len, void *arg);

static int access_range(struct mm *mm, uint64_t addr, size_t n, int need, chunk_fn fn, void *arg)
{
	if (!n)
		return 0;
	if (addr + n < addr || addr < plat_user_base() || addr + n > plat_user_top())
		return -EFAULT;
	struct vma *vma = NULL;
	while (n) {
		if (!vma || addr >= vma->end) {
			vma = mm_find_vma(mm, addr);
			if (!vma || (need && !prot_allows(vma->prot, need)))
				return -EFAULT;
		}
		uint64_t page = addr & PAGE_MASK;
		size_t off = addr - page, len = PAGE_SIZE - off;
		struct pte *e = pt_lookup(mm, page / PAGE_SIZE);
		if (len > n)
			len = n;
		if (!e && populate(mm, vma, page, &e) < 0)
			return -EFAULT; /* Linux would say the same (or OOM-kill) */
		if (e->cow && need != PLAT_PROT_READ) {
			/* The server writes into the frame itself: the client must
			 * not keep the old one mapped. */
			frame_t old = e->frame;
			if (cow_break(e) < 0)
				return -EFAULT;
			if (e->frame != old && e->mapped) {
				plat_unmap(mm->as, page, PAGE_SIZE);
				e->mapped = 0;
			}
		}
		if (fn((char *)frame_ptr(e->frame) + off, len, arg))
			return 0;
		addr += len;
		n -= len;
	}
	return 0;
}

struct copy_ctx {
	char *server;
	bool to_client;
};

static bool copy_chunk(void *mem, size_t len, void *arg)
{
	struct copy_ctx *c = arg;
	if (c->to_client)
		memcpy(mem, c->server, len);
	else
		memcpy(c->server, mem, len);
	c->server += len;
	return false;
}

int mm_copy_from(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	struct copy_ctx c = {dst, false};
	return access_range(mm, src, n, PLAT_PROT_READ, copy_chunk, &c);
}

int mm_copy_to(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	struct copy_ctx c = {(char *)src, true};
	return access_range(mm, dst, n, PLAT_PROT_WRITE, copy_chunk, &c);
}

int mm_copy_to_force(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	struct copy_ctx c = {(char *)src, true};
	return access_range(mm, dst, n, 0, copy_chunk, &c);
}

struct str_ctx {
	char *dst;
	size_t left; /* room in dst */
	long len;
	bool done;
};

static bool str_chunk(void *mem, size_t len, void *arg)
{
	struct str_ctx *c = arg;
	if (len > c->left)
		len = c->left;
	char *nul = memchr(mem, 0, len);
	size_t take = nul ? (size_t)(nul - (char *)mem) + 1 : len;
	memcpy(c->dst, mem, take);
	c->dst += take;
	c->left -= take;
	if (nul) {
		c->len += (long)take - 1;
		c->done = true;
		return true;
	}
	c->len += (long)take;
	return c->left == 0;
}

long mm_strncpy_from(struct mm *mm, char *dst, uint64_t src, size_t max)
{
	struct str_ctx c = {dst, max, 0, false};
	if (!max)
		return -ENAMETOOLONG;
	/* Read page by page up to max bytes: a string ending just before an
	 * unmapped page is fine, so never check further than the NUL. */
	uint64_t end = src + max;
	if (end < src || end > plat_user_top())
		end = plat_user_top();
	if (src >= end)
		return -EFAULT;
	int r = access_range(mm, src, end - src, PLAT_PROT_READ, str_chunk, &c);
	if (c.done)
		return c.len;
	if (r < 0)
		return r;
	if (c.left == 0)
		return -ENAMETOOLONG;
	return -EFAULT;
}
