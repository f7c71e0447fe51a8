/*
 * The in-process fake platform (see fake.h): frames are 4 KiB blocks from
 * the heap, an address space is a hash table from virtual page to (frame,
 * prot), threads only remember the registers they were given, events come
 * from a queue the test fills, and every call that may fail can be made to
 * fail.  Not thread-safe: unit tests are single-threaded like the core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"

/* ---- Frames ----------------------------------------------------------------- */
static void **frames;        /* frames[f]: the memory, NULL when free */
static uint32_t *frame_maps; /* how many client pages map frame f */
static uint32_t nframes_limit;
static uint32_t nframes_used;
static uint32_t next_hint;

/* Fault injection: remaining successes, or -1 when disarmed. */
static int fail_frame_after = -1;
static int fail_map_after = -1;
static int fail_thread_after = -1;

static bool injected_failure(int *counter)
{
	if (*counter < 0)
		return false;
	if (*counter == 0)
		return true;
	(*counter)--;
	return false;
}

static void fake_bug(const char *what)
{
	/* A bug of the core under test, never of a client: stop loudly. */
	fprintf(stderr, "fake platform: core bug: %s\n", what);
	abort();
}

uint32_t plat_frame_limit(void)
{
	return nframes_limit;
}

int plat_frame_alloc(frame_t *out)
{
	if (injected_failure(&fail_frame_after) || nframes_used >= nframes_limit)
		return -ENOMEM;
	for (uint32_t i = 0; i < nframes_limit; i++) {
		uint32_t f = (next_hint + i) % nframes_limit;
		if (frames[f])
			continue;
		void *p = aligned_alloc(PLAT_PAGE_SIZE, PLAT_PAGE_SIZE);
		if (!p)
			return -ENOMEM;
		/* Garbage, so that a core that forgets to zero gets caught. */
		memset(p, 0xa5, PLAT_PAGE_SIZE);
		frames[f] = p;
		frame_maps[f] = 0;
		nframes_used++;
		next_hint = f + 1;
		*out = f;
		return 0;
	}
	return -ENOMEM;
}

void plat_frame_free(frame_t f)
{
	if (f >= nframes_limit || !frames[f])
		fake_bug("plat_frame_free of a frame not allocated");
	if (frame_maps[f])
		fake_bug("plat_frame_free of a frame still mapped in a client");
	free(frames[f]);
	frames[f] = NULL;
	nframes_used--;
}

void *plat_frame_ptr(frame_t f)
{
	if (f >= nframes_limit || !frames[f])
		fake_bug("plat_frame_ptr of a frame not allocated");
	return frames[f];
}

uint32_t plat_frames_in_use(void)
{
	return nframes_used;
}

size_t plat_heap_in_use(void)
{
	return 0;
}

/* ---- Address spaces ---------------------------------------------------------
 * Open addressing with linear probing, keyed by virtual page number;
 * deletion by backward shifting so no tombstones pile up.
 */
struct pte {
	uint64_t vpn;
	frame_t frame; /* FRAME_NONE: empty slot */
	int prot;
};

struct plat_as {
	struct plat_as *next_as;
	struct pte *tab;
	size_t cap, count; /* cap is a power of two */
};

static struct plat_as *all_as;

uintptr_t plat_user_base(void)
{
	return 0x10000;
}
uintptr_t plat_user_top(void)
{
	return 0x7ffffffff000UL;
}

static size_t slot_of(const struct plat_as *as, uint64_t vpn)
{
	return (size_t)((vpn * 0x9e3779b97f4a7c15ULL) >> 20) & (as->cap - 1);
}

static struct pte *pte_find(struct plat_as *as, uint64_t vpn)
{
	for (size_t i = slot_of(as, vpn);; i = (i + 1) & (as->cap - 1)) {
		if (as->tab[i].frame == FRAME_NONE)
			return NULL;
		if (as->tab[i].vpn == vpn)
			return &as->tab[i];
	}
}

static void pte_remove(struct plat_as *as, struct pte *e)
{
	size_t i = (size_t)(e - as->tab), mask = as->cap - 1;
	frame_maps[e->frame]--;
	as->tab[i].frame = FRAME_NONE;
	as->count--;
	/* Shift back later entries of the cluster that hash at or before i. */
	for (size_t j = (i + 1) & mask; as->tab[j].frame != FRAME_NONE; j = (j + 1) & mask) {
		size_t h = slot_of(as, as->tab[j].vpn);
		bool movable = (i <= j) ? (h <= i || h > j) : (h <= i && h > j);
		if (movable) {
			as->tab[i] = as->tab[j];
			as->tab[j].frame = FRAME_NONE;
			i = j;
		}
	}
}

static int tab_grow(struct plat_as *as)
{
	size_t ncap = as->cap ? as->cap * 2 : 64;
	struct pte *old = as->tab, *nt = malloc(ncap * sizeof *nt);
	size_t ocap = as->cap;
	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < ncap; i++)
		nt[i].frame = FRAME_NONE;
	as->tab = nt;
	as->cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].frame == FRAME_NONE)
			continue;
		size_t j = slot_of(as, old[i].vpn);
		while (nt[j].frame != FRAME_NONE)
			j = (j + 1) & (ncap - 1);
		nt[j] = old[i];
	}
	free(old);
	return 0;
}

int plat_as_create(struct plat_as **out)
{
	struct plat_as *as = calloc(1, sizeof *as);
	if (!as || tab_grow(as) < 0) {
		free(as);
		return -ENOMEM;
	}
	as->next_as = all_as;
	all_as = as;
	*out = as;
	return 0;
}

struct plat_thread {
	struct plat_thread *next_th;
	struct plat_as *as;
	void *owner;
	struct arch_regs regs;
	unsigned char fpu[ARCH_FPU_STATE_SIZE];
	int resumes;
	bool running, kicked;
};

static struct plat_thread *all_threads;

static void thread_unlink(struct plat_thread *th)
{
	for (struct plat_thread **pp = &all_threads; *pp; pp = &(*pp)->next_th) {
		if (*pp == th) {
			*pp = th->next_th;
			return;
		}
	}
}

static void events_forget_thread(struct plat_thread *th);

static void as_free(struct plat_as *as)
{
	for (size_t i = 0; i < as->cap; i++)
		if (as->tab[i].frame != FRAME_NONE)
			frame_maps[as->tab[i].frame]--;
	free(as->tab);
	free(as);
}

void plat_as_destroy(struct plat_as *as)
{
	struct plat_thread *th = all_threads, *next;
	for (; th; th = next) {
		next = th->next_th;
		if (th->as == as)
			plat_thread_destroy(th);
	}
	for (struct plat_as **pp = &all_as; *pp; pp = &(*pp)->next_as) {
		if (*pp == as) {
			*pp = as->next_as;
			break;
		}
	}
	as_free(as);
}

static bool va_ok(uintptr_t va, size_t len)
{
	return !(va & (PLAT_PAGE_SIZE - 1)) && va >= plat_user_base() &&
	       len <= plat_user_top() - va && va <= plat_user_top();
}

int plat_map(struct plat_as *as, uintptr_t va, const frame_t *fr, size_t npages, int prot)
{
	if (!va_ok(va, npages * PLAT_PAGE_SIZE))
		fake_bug("plat_map outside the user range or unaligned");
	for (size_t i = 0; i < npages; i++) {
		if (injected_failure(&fail_map_after))
			return -ENOMEM;
		if (fr[i] >= nframes_limit || !frames[fr[i]])
			fake_bug("plat_map of a frame not allocated");
		uint64_t vpn = va / PLAT_PAGE_SIZE + i;
		struct pte *e = pte_find(as, vpn);
		if (e) {
			frame_maps[e->frame]--;
		} else {
			if ((as->count + 1) * 2 > as->cap && tab_grow(as) < 0)
				return -ENOMEM;
			size_t j = slot_of(as, vpn);
			while (as->tab[j].frame != FRAME_NONE)
				j = (j + 1) & (as->cap - 1);
			e = &as->tab[j];
			e->vpn = vpn;
			as->count++;
		}
		e->frame = fr[i];
		e->prot = prot;
		frame_maps[fr[i]]++;
	}
	return 0;
}

/* Visit the entries in [va, va+len): page by page for small ranges, the
 * whole table for huge ones (a 64 GiB reservation must stay cheap). */
static void range_apply(struct plat_as *as, uintptr_t va, size_t len,
                        void (*fn)(struct plat_as *, struct pte *, int), int arg)
{
	uint64_t first = va / PLAT_PAGE_SIZE;
	uint64_t n = (len + PLAT_PAGE_SIZE - 1) / PLAT_PAGE_SIZE;
	if (n <= as->cap) {
		for (uint64_t i = 0; i < n; i++) {
			struct pte *e = pte_find(as, first + i);
			if (e)
				fn(as, e, arg);
		}
		return;
	}
	/* Removal shifts entries: collect the pages first, then visit them. */
	uint64_t *hits = malloc((as->count + 1) * sizeof *hits);
	size_t nhits = 0;
	if (!hits)
		fake_bug("out of memory scanning an address space");
	for (size_t i = 0; i < as->cap; i++) {
		struct pte *e = &as->tab[i];
		if (e->frame != FRAME_NONE && e->vpn >= first && e->vpn - first < n)
			hits[nhits++] = e->vpn;
	}
	for (size_t i = 0; i < nhits; i++)
		fn(as, pte_find(as, hits[i]), arg);
	free(hits);
}

static void unmap_one(struct plat_as *as, struct pte *e, int unused)
{
	pte_remove(as, e);
}

static void protect_one(struct plat_as *as, struct pte *e, int prot)
{
	e->prot = prot;
}

void plat_unmap(struct plat_as *as, uintptr_t va, size_t len)
{
	range_apply(as, va, len, unmap_one, 0);
}

int plat_protect(struct plat_as *as, uintptr_t va, size_t len, int prot)
{
	if (injected_failure(&fail_map_after))
		return -ENOMEM;
	range_apply(as, va, len, protect_one, prot);
	return 0;
}

frame_t fake_lookup(struct plat_as *as, uintptr_t va, int *prot)
{
	struct pte *e = pte_find(as, va / PLAT_PAGE_SIZE);
	if (prot)
		*prot = e ? e->prot : 0;
	return e ? e->frame : FRAME_NONE;
}

size_t fake_mapped_pages(struct plat_as *as)
{
	return as->count;
}

/* ---- Threads ------------------------------------------------------------------ */
int plat_thread_create(struct plat_as *as, void *owner, struct plat_thread **out)
{
	if (injected_failure(&fail_thread_after))
		return -ENOMEM;
	struct plat_thread *th = calloc(1, sizeof *th);
	if (!th)
		return -ENOMEM;
	th->as = as;
	th->owner = owner;
	th->next_th = all_threads;
	all_threads = th;
	*out = th;
	return 0;
}

void plat_thread_destroy(struct plat_thread *th)
{
	thread_unlink(th);
	events_forget_thread(th);
	free(th);
}

int plat_thread_get_regs(struct plat_thread *th, struct arch_regs *r)
{
	*r = th->regs;
	return 0;
}

int plat_thread_get_fpu(struct plat_thread *th, void *buf)
{
	memcpy(buf, th->fpu, sizeof th->fpu);
	return 0;
}

int plat_thread_set_fpu(struct plat_thread *th, const void *buf)
{
	memcpy(th->fpu, buf, sizeof th->fpu);
	return 0;
}

int plat_thread_resume(struct plat_thread *th, const struct arch_regs *r)
{
	th->regs = *r;
	th->resumes++;
	th->running = true;
	return 0;
}

void plat_thread_kick(struct plat_thread *th)
{
	if (th->running)
		th->kicked = true;
}

const struct arch_regs *fake_thread_regs(struct plat_thread *th)
{
	return &th->regs;
}
void fake_set_thread_regs(struct plat_thread *th, const struct arch_regs *r)
{
	th->regs = *r;
}
int fake_thread_resumes(struct plat_thread *th)
{
	return th->resumes;
}
void *fake_thread_owner(struct plat_thread *th)
{
	return th->owner;
}

/* ---- Events --------------------------------------------------------------------- */
static struct plat_event *evq;
static size_t evq_head, evq_len, evq_cap;

static uint64_t clocks[2];
static uint64_t timer_deadline;

static bool console_watching, console_pending;

void fake_push_event(const struct plat_event *ev)
{
	if (evq_head + evq_len == evq_cap) {
		if (evq_head) {
			memmove(evq, evq + evq_head, evq_len * sizeof *evq);
			evq_head = 0;
		} else {
			size_t ncap = evq_cap ? evq_cap * 2 : 16;
			struct plat_event *n = realloc(evq, ncap * sizeof *n);
			if (!n)
				fake_bug("out of memory queueing an event");
			evq = n;
			evq_cap = ncap;
		}
	}
	evq[evq_head + evq_len++] = *ev;
}

static void events_forget_thread(struct plat_thread *th)
{
	size_t w = 0;
	for (size_t i = 0; i < evq_len; i++)
		if (evq[evq_head + i].th != th)
			evq[evq_head + w++] = evq[evq_head + i];
	evq_len = w;
}

/* Queued events first; then what the fake itself produces: a passed
 * timer deadline, console input, a kicked thread.  Nothing left: the test
 * would hang on real hardware, so say so. */
int plat_wait_event(struct plat_event *ev)
{
	memset(ev, 0, sizeof *ev);
	if (evq_len) {
		*ev = evq[evq_head++];
		evq_len--;
		if (!evq_len)
			evq_head = 0;
		if (ev->th) {
			ev->th->running = false;
			ev->th->kicked = false;
			if (!ev->owner)
				ev->owner = ev->th->owner;
		}
		return 0;
	}
	if (timer_deadline && clocks[1] >= timer_deadline) {
		timer_deadline = 0;
		ev->kind = EV_TIMER;
		return 0;
	}
	if (console_watching && console_pending) {
		console_pending = false;
		ev->kind = EV_CONSOLE;
		return 0;
	}
	for (struct plat_thread *th = all_threads; th; th = th->next_th) {
		if (th->running && th->kicked) {
			th->running = th->kicked = false;
			ev->kind = EV_KICKED;
			ev->th = th;
			ev->owner = th->owner;
			return 0;
		}
	}
	return -EDEADLK;
}

/* ---- Time ------------------------------------------------------------------------ */
uint64_t plat_clock_ns(int clock)
{
	return clocks[clock == 0 ? 0 : 1];
}
void plat_timer_set(uint64_t deadline_ns)
{
	timer_deadline = deadline_ns;
}
void fake_set_clock(int clock, uint64_t ns)
{
	clocks[clock == 0 ? 0 : 1] = ns;
}
uint64_t fake_timer_deadline(void)
{
	return timer_deadline;
}

/* ---- Console ----------------------------------------------------------------------- */
struct buf {
	char *data;
	size_t len, cap;
};

static struct buf con_out[3]; /* [1] stdout, [2] stderr */
static struct buf con_in;
static size_t con_in_pos;
static bool con_in_eof;

static int buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *d = realloc(b->data, ncap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0; /* handy for tests comparing strings */
	return 0;
}

long plat_console_write(int stream, const void *buf, size_t len)
{
	if (stream < 1 || stream > 2)
		return -EBADF;
	if (buf_append(&con_out[stream], buf, len) < 0)
		return -ENOMEM;
	return (long)len;
}

long plat_console_read(void *buf, size_t len)
{
	size_t avail = con_in.len - con_in_pos;
	if (!avail)
		return con_in_eof ? 0 : -EAGAIN;
	if (len > avail)
		len = avail;
	memcpy(buf, con_in.data + con_in_pos, len);
	con_in_pos += len;
	return (long)len;
}

void plat_console_watch(int on)
{
	console_watching = on;
	if (on && (con_in.len > con_in_pos || con_in_eof))
		console_pending = true;
}

long plat_console_ioctl(int stream, unsigned long cmd, void *arg)
{
	return -ENOTTY;
}

/* Unit tests run with their output in a pipe. */
int plat_console_kind(int stream)
{
	return 2;
}

const char *fake_console_output(int stream, size_t *len)
{
	if (stream < 1 || stream > 2) {
		*len = 0;
		return "";
	}
	*len = con_out[stream].len;
	return con_out[stream].data ? con_out[stream].data : "";
}

void fake_console_input(const void *buf, size_t len, bool eof)
{
	if (len && buf_append(&con_in, buf, len) < 0)
		fake_bug("out of memory feeding console input");
	if (eof)
		con_in_eof = true;
	console_pending = true;
}

void fake_console_clear(void)
{
	for (int i = 0; i < 3; i++)
		con_out[i].len = 0;
	con_in.len = con_in_pos = 0;
	con_in_eof = false;
	console_pending = false;
}

/* ---- Miscellaneous ---------------------------------------------------------------- */
static uint64_t rng_state;

/* Deterministic (splitmix64), so tests are reproducible. */
void plat_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len) {
		uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		size_t n = len < 8 ? len : 8;
		memcpy(p, &z, n);
		p += n;
		len -= n;
	}
}

unsigned plat_ncpus(void)
{
	return 1;
}

void plat_log(const char *msg, size_t len)
{
	/* Quiet unless asked: failing-path tests log on purpose. */
	if (getenv("FAKE_LOG"))
		fprintf(stderr, "%.*s\n", (int)len, msg);
}

/* ---- Reset ------------------------------------------------------------------------- */
void fake_reset(uint32_t frame_limit)
{
	while (all_threads)
		plat_thread_destroy(all_threads);
	while (all_as) {
		struct plat_as *as = all_as;
		all_as = as->next_as;
		as_free(as);
	}
	for (uint32_t f = 0; f < nframes_limit; f++)
		free(frames[f]);
	free(frames);
	free(frame_maps);
	nframes_limit = frame_limit;
	frames = calloc(frame_limit ? frame_limit : 1, sizeof *frames);
	frame_maps = calloc(frame_limit ? frame_limit : 1, sizeof *frame_maps);
	if (!frames || !frame_maps)
		fake_bug("out of memory in fake_reset");
	nframes_used = 0;
	next_hint = 0;
	fail_frame_after = fail_map_after = fail_thread_after = -1;
	evq_head = evq_len = 0;
	clocks[0] = clocks[1] = 0;
	timer_deadline = 0;
	console_watching = false;
	fake_console_clear();
	rng_state = 0x5eed;
}

void fake_fail_frame_alloc_after(int n)
{
	fail_frame_after = n < 0 ? -1 : n;
}
void fake_fail_map_after(int n)
{
	fail_map_after = n < 0 ? -1 : n;
}
void fake_fail_thread_create_after(int n)
{
	fail_thread_after = n < 0 ? -1 : n;
}
