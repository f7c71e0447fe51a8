/*
 * malloc and friends for the seL4 root task, over the heap window that
 * platform/sel4/memory.c backs with memory from untyped on demand
 * (s4_heap_grow).  Small blocks come from power-of-two size classes, each
 * with its own free list; blocks above 2 KiB are page multiples kept on
 * one free list (best fit, split, no coalescing: the server's large
 * allocations are few and long-lived, file data lives in frames).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../s4.h"

#define HDR 16UL
#define NCLASS 8 /* 16 .. 2048 bytes of payload + header */
#define BIG_MIN 4096UL

struct hdr {
	size_t size;  /* usable bytes after the header */
	size_t magic; /* catches frees of wild pointers */
};
#define MAGIC_USED 0x5045525355534544UL
#define MAGIC_FREE 0x5045525346524545UL

struct freeblk {
	struct hdr h;
	struct freeblk *next;
};

static struct freeblk *small_free[NCLASS];
static struct freeblk *big_free;
static uintptr_t brk_cur, brk_end;

static void *carve(size_t total)
{
	if (!brk_cur) {
		brk_cur = brk_end = S4_HEAP_BASE;
	}
	if (brk_cur + total > brk_end) {
		uintptr_t want = (brk_cur + total + S4_HEAP_CHUNK - 1) & ~(S4_HEAP_CHUNK - 1);
		if (s4_heap_grow(want) < 0)
			return NULL;
		brk_end = want;
	}
	void *p = (void *)brk_cur;
	brk_cur += total;
	return p;
}

static int class_of(size_t n)
{
	size_t sz = 16;
	for (int c = 0; c < NCLASS; c++, sz <<= 1)
		if (n <= sz)
			return c;
	return -1;
}

void *malloc(size_t n)
{
	struct hdr *h;

	if (n == 0)
		n = 1;
	if (n > ((size_t)1 << 40))
		return NULL;
	int c = class_of(n);
	if (c >= 0) {
		size_t sz = (size_t)16 << c;
		if (small_free[c]) {
			struct freeblk *b = small_free[c];
			small_free[c] = b->next;
			h = &b->h;
		} else {
			h = carve(sz + HDR);
			if (!h)
				return NULL;
			h->size = sz;
		}
	} else {
		size_t sz = ((n + HDR + BIG_MIN - 1) & ~(BIG_MIN - 1)) - HDR;
		struct freeblk **best = NULL;
		for (struct freeblk **pp = &big_free; *pp; pp = &(*pp)->next)
			if ((*pp)->h.size >= sz && (!best || (*pp)->h.size < (*best)->h.size))
				best = pp;
		if (best) {
			struct freeblk *b = *best;
			*best = b->next;
			h = &b->h;
			if (h->size - sz >= BIG_MIN) {
				/* Split: the tail goes back to the list. */
				struct freeblk *t = (void *)((char *)h + HDR + sz);
				t->h.size = h->size - sz - HDR;
				t->h.magic = MAGIC_FREE;
				t->next = big_free;
				big_free = t;
				h->size = sz;
			}
		} else {
			h = carve(sz + HDR);
			if (!h)
				return NULL;
			h->size = sz;
		}
	}
	h->magic = MAGIC_USED;
	return (char *)h + HDR;
}

void free(void *p)
{
	if (!p)
		return;
	struct freeblk *b = (void *)((char *)p - HDR);
	if (b->h.magic != MAGIC_USED) {
		s4_log_str("persona: sel4 backend: free of a bad pointer ignored");
		return;
	}
	b->h.magic = MAGIC_FREE;
	int c = class_of(b->h.size);
	if (b->h.size <= 2048 && c >= 0) {
		b->next = small_free[c];
		small_free[c] = b;
	} else {
		b->next = big_free;
		big_free = b;
	}
}

void *calloc(size_t n, size_t m)
{
	if (m && n > (size_t)-1 / m)
		return NULL;
	void *p = malloc(n * m);
	if (p)
		memset(p, 0, n * m);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	struct hdr *h = (void *)((char *)p - HDR);
	if (h->magic != MAGIC_USED)
		return NULL;
	if (n <= h->size)
		return p;
	void *q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, h->size);
	free(p);
	return q;
}

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}
