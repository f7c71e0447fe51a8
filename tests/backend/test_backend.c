/*
 * Tests of the Linux backend on its own, through plat.h (no core): real
 * client processes run a few hand-assembled instructions, and every event
 * they raise is checked against what the code must produce.  Prints
 * "N passed, N failed"; exit status 1 if anything failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lx.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			passed++;                                                                  \
		} else {                                                                           \
			failed++;                                                                  \
			printf("  FAIL %s:%d: ", __FILE__, __LINE__);                              \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
		}                                                                                  \
	} while (0)

/* ---- A tiny assembler for the client code --------------------------------------- */
struct code {
	uint8_t *p;
	size_t n;
};

static void emit(struct code *c, const void *b, size_t n)
{
	memcpy(c->p + c->n, b, n);
	c->n += n;
}
static void emit32(struct code *c, uint32_t v)
{
	emit(c, &v, 4);
}
static void mov_eax(struct code *c, uint32_t v)
{
	emit(c, "\xb8", 1), emit32(c, v);
}
static void mov_rdi(struct code *c, uint32_t v)
{
	emit(c, "\x48\xc7\xc7", 3), emit32(c, v);
}
static void mov_rdi_rax(struct code *c)
{
	emit(c, "\x48\x89\xc7", 3);
}
static void load_rax(struct code *c, uint32_t addr)
{
	emit(c, "\x48\x8b\x04\x25", 4), emit32(c, addr);
}
static void store_rdi(struct code *c, uint32_t addr)
{
	emit(c, "\x48\x89\x3c\x25", 4), emit32(c, addr);
}
static void load_rdi_fs0(struct code *c)
{
	emit(c, "\x64\x48\x8b\x3c\x25\0\0\0\0", 9);
}
static void movq_rdi_xmm0(struct code *c)
{
	emit(c, "\x66\x48\x0f\x7e\xc7", 5);
}
static void sys(struct code *c)
{
	emit(c, "\x0f\x05", 2);
}
static void int3(struct code *c)
{
	emit(c, "\xcc", 1);
}
static void ud2(struct code *c)
{
	emit(c, "\x0f\x0b", 2);
}
static void jmp_self(struct code *c)
{
	emit(c, "\xeb\xfe", 2);
}
static void jmp_to(struct code *c, size_t target)
{
	int8_t rel = (int8_t)((long)target - (long)(c->n + 2));
	emit(c, "\xeb", 1), emit(c, &rel, 1);
}

#define CODE_VA 0x400000UL
#define DATA_VA 0x600000UL
#define STACK_VA 0x7000000UL
#define TLS_VA 0x800000UL
#define B_OFF 0x800 /* thread B's code within the code page */

static frame_t must_frame(void)
{
	frame_t f;
	if (plat_frame_alloc(&f) < 0) {
		printf("cannot allocate a frame\n");
		exit(2);
	}
	memset(plat_frame_ptr(f), 0, PLAT_PAGE_SIZE);
	return f;
}

/* The next event, with a bound so that a broken backend fails the test
 * instead of hanging it (the timer makes plat_wait_event return). */
static int next_event(struct plat_event *ev)
{
	plat_timer_set(plat_clock_ns(1) + 5000000000ULL);
	int r = plat_wait_event(ev);
	plat_timer_set(0);
	return r;
}

static int expect(enum plat_event_kind kind, void *owner, struct plat_event *ev,
                  struct arch_regs *r, const char *what)
{
	int e = next_event(ev);
	if (e < 0 || ev->kind != kind || ev->owner != owner) {
		CHECK(0, "%s: got event kind %d owner %p (err %d), wanted %d owner %p", what,
		      e < 0 ? -1 : (int)ev->kind, e < 0 ? NULL : ev->owner, e, kind, owner);
		return -1;
	}
	passed++;
	if (r && ev->th && plat_thread_get_regs(ev->th, r) < 0) {
		CHECK(0, "%s: get_regs failed", what);
		return -1;
	}
	return 0;
}

static void test_one_process(void)
{
	struct plat_as *as = NULL;
	struct plat_thread *ta = NULL, *tb = NULL;
	struct plat_event ev;
	struct arch_regs r, rb;
	int A = 1, B = 2; /* owner cookies */
	size_t after[16];
	int k = 0;

	printf("one process, two threads\n");
	uint32_t frames_before = plat_frames_in_use();
	CHECK(plat_as_create(&as) == 0, "plat_as_create: %s", linux_plat_error());
	if (!as)
		return;

	frame_t fcode = must_frame(), fstack = must_frame(), fdata = must_frame(),
	        ftls = must_frame();
	struct code c = {plat_frame_ptr(fcode), 0};
	mov_eax(&c, 1000), mov_rdi(&c, 0x1111), sys(&c), after[k++] = c.n;
	mov_rdi_rax(&c), mov_eax(&c, 1001), sys(&c), after[k++] = c.n;
	load_rax(&c, DATA_VA), after[k++] = c.n;
	mov_rdi_rax(&c), mov_eax(&c, 1002), sys(&c), after[k++] = c.n;
	mov_rdi(&c, 0x4242), store_rdi(&c, DATA_VA), after[k++] = c.n;
	mov_eax(&c, 1003), sys(&c), after[k++] = c.n;
	load_rdi_fs0(&c), mov_eax(&c, 1004), sys(&c), after[k++] = c.n;
	movq_rdi_xmm0(&c), mov_eax(&c, 1005), sys(&c), after[k++] = c.n;
	int3(&c), after[k++] = c.n;
	size_t ud2_at = c.n;
	ud2(&c);
	mov_eax(&c, 1006), sys(&c), after[k++] = c.n;
	size_t spin_at = c.n;
	jmp_self(&c);
	c.n = B_OFF;
	mov_eax(&c, 2000), mov_rdi(&c, 2), sys(&c);
	jmp_to(&c, B_OFF);
	*(uint64_t *)plat_frame_ptr(ftls) = 0x7715;

	CHECK(plat_map(as, CODE_VA, &fcode, 1, PLAT_PROT_READ | PLAT_PROT_EXEC) == 0, "map code");
	CHECK(plat_map(as, STACK_VA, &fstack, 1, PLAT_PROT_READ | PLAT_PROT_WRITE) == 0,
	      "map stack");
	CHECK(plat_map(as, TLS_VA, &ftls, 1, PLAT_PROT_READ) == 0, "map tls");
	CHECK(plat_thread_create(as, &A, &ta) == 0, "create thread A");

	memset(&r, 0, sizeof r);
	r.rip = CODE_VA;
	r.rsp = STACK_VA + PLAT_PAGE_SIZE - 64;
	r.fs_base = TLS_VA;
	r.rflags = 0x202;
	CHECK(plat_thread_resume(ta, &r) == 0, "resume A");

	k = 0;
	if (expect(EV_SYSCALL, &A, &ev, &r, "first syscall") == 0) {
		CHECK(r.rax == 1000, "nr in rax: %lu", (unsigned long)r.rax);
		CHECK(r.rdi == 0x1111, "rdi: %lx", (unsigned long)r.rdi);
		CHECK(r.rip == CODE_VA + after[0], "rip after syscall: %lx", (unsigned long)r.rip);
		CHECK(r.fs_base == TLS_VA, "fs_base kept");
	}
	k++;
	r.rax = 77;
	plat_thread_resume(ta, &r);
	if (expect(EV_SYSCALL, &A, &ev, &r, "second syscall") == 0) {
		CHECK(r.rax == 1001 && r.rdi == 77, "return value seen by client: rdi=%lu",
		      (unsigned long)r.rdi);
	}
	k++;
	plat_thread_resume(ta, &r);
	if (expect(EV_PAGEFAULT, &A, &ev, &r, "read fault") == 0) {
		CHECK(ev.addr == DATA_VA, "fault addr %lx", (unsigned long)ev.addr);
		CHECK(ev.present == 0, "not present");
		CHECK(r.rip == CODE_VA + after[1], "rip at the faulting insn");
	}
	*(uint64_t *)plat_frame_ptr(fdata) = 0xdeadbeef;
	CHECK(plat_map(as, DATA_VA, &fdata, 1, PLAT_PROT_READ) == 0, "map data read-only");
	plat_thread_resume(ta, &r);
	k++;
	if (expect(EV_SYSCALL, &A, &ev, &r, "after fault") == 0)
		CHECK(r.rax == 1002 && r.rdi == 0xdeadbeef, "client read the frame: %lx",
		      (unsigned long)r.rdi);
	plat_thread_resume(ta, &r);
	if (expect(EV_PAGEFAULT, &A, &ev, &r, "write fault") == 0) {
		CHECK(ev.addr == DATA_VA && ev.present == 1,
		      "write to read-only: addr %lx present %d", (unsigned long)ev.addr,
		      ev.present);
	}
	CHECK(plat_protect(as, DATA_VA, PLAT_PAGE_SIZE, PLAT_PROT_READ | PLAT_PROT_WRITE) == 0,
	      "protect rw");
	plat_thread_resume(ta, &r);
	if (expect(EV_SYSCALL, &A, &ev, &r, "after write") == 0)
		CHECK(*(uint64_t *)plat_frame_ptr(fdata) == 0x4242,
		      "server sees the client's store");
	plat_thread_resume(ta, &r);
	if (expect(EV_SYSCALL, &A, &ev, &r, "fs load") == 0)
		CHECK(r.rax == 1004 && r.rdi == 0x7715, "fs:[0] read through fs_base: %lx",
		      (unsigned long)r.rdi);

	uint8_t fpu[512];
	CHECK(plat_thread_get_fpu(ta, fpu) == 0, "get fpu");
	uint64_t x = 0x0123456789abcdefULL;
	memcpy(fpu + 160, &x, 8); /* xmm0 in the FXSAVE area */
	CHECK(plat_thread_set_fpu(ta, fpu) == 0, "set fpu");
	plat_thread_resume(ta, &r);
	if (expect(EV_SYSCALL, &A, &ev, &r, "xmm0") == 0)
		CHECK(r.rax == 1005 && r.rdi == x, "xmm0 set through set_fpu: %lx",
		      (unsigned long)r.rdi);

	plat_thread_resume(ta, &r);
	if (expect(EV_EXCEPTION, &A, &ev, &r, "int3") == 0)
		CHECK(ev.signo == SIGTRAP && r.rip == CODE_VA + ud2_at, "int3: signo %d", ev.signo);
	plat_thread_resume(ta, &r);
	if (expect(EV_EXCEPTION, &A, &ev, &r, "ud2") == 0) {
		CHECK(ev.signo == SIGILL && r.rip == CODE_VA + ud2_at, "ud2: signo %d rip %lx",
		      ev.signo, (unsigned long)r.rip);
		r.rip += 2;
	}
	plat_thread_resume(ta, &r);
	if (expect(EV_SYSCALL, &A, &ev, &r, "after ud2") == 0)
		CHECK(r.rax == 1006, "continues after skipping ud2");

	/* A second thread, while A is stopped. */
	CHECK(plat_thread_create(as, &B, &tb) == 0, "create thread B");
	memset(&rb, 0, sizeof rb);
	rb.rip = CODE_VA + B_OFF;
	rb.rsp = STACK_VA + 2048;
	rb.rflags = 0x202;
	CHECK(plat_thread_resume(tb, &rb) == 0, "resume B");
	if (expect(EV_SYSCALL, &B, &ev, &rb, "B's syscall") == 0)
		CHECK(rb.rax == 2000 && rb.rdi == 2, "B's registers");
	plat_thread_resume(tb, &rb);

	/* A spins, B loops on syscalls: a kick stops A. */
	r.rip = CODE_VA + spin_at;
	plat_thread_resume(ta, &r);
	struct timespec ts = {0, 2000000};
	nanosleep(&ts, NULL);
	plat_thread_kick(ta);
	/* A shares the CPU with B and the server: it may take a time slice
	 * before it runs into the interrupt. */
	int kicked = 0, bcalls = 0;
	uint64_t until = plat_clock_ns(1) + 3000000000ULL;
	while (!kicked && plat_clock_ns(1) < until) {
		if (next_event(&ev) < 0)
			break;
		if (ev.kind == EV_KICKED && ev.owner == &A)
			kicked = 1;
		else if (ev.kind == EV_SYSCALL && ev.owner == &B) {
			bcalls++;
			plat_thread_get_regs(tb, &rb);
			plat_thread_resume(tb, &rb);
		}
	}
	CHECK(kicked, "kick gives EV_KICKED");
	plat_thread_get_regs(ta, &r);
	CHECK(r.rip == CODE_VA + spin_at, "kicked while spinning");

	/* Map while the only other thread runs: the backend stops one. */
	plat_thread_resume(ta, &r);
	frame_t f2[3] = {must_frame(), must_frame(), must_frame()};
	*(uint64_t *)plat_frame_ptr(f2[2]) = 0x5151;
	CHECK(plat_map(as, DATA_VA + PLAT_PAGE_SIZE, f2, 3, PLAT_PROT_READ) == 0,
	      "map while threads run");
	int bseen = 0;
	for (int i = 0; i < 20; i++) {
		if (next_event(&ev) < 0)
			break;
		if (ev.kind == EV_SYSCALL && ev.owner == &B) {
			bseen++;
			plat_thread_get_regs(tb, &rb);
			plat_thread_resume(tb, &rb);
		} else if (ev.kind == EV_KICKED) {
			plat_thread_get_regs(ev.th, &r);
			plat_thread_resume(ev.th, &r);
		} else {
			CHECK(0, "unexpected event %d", ev.kind);
			break;
		}
	}
	CHECK(bseen >= 10, "B keeps running after injections (%d)", bseen);

	/* Round-trip time of a syscall event. */
	int n = 0;
	uint64_t t0 = plat_clock_ns(1);
	while (n < 20000) {
		if (next_event(&ev) < 0 || ev.owner != &B || ev.kind != EV_SYSCALL)
			break;
		plat_thread_get_regs(tb, &rb);
		plat_thread_resume(tb, &rb);
		n++;
	}
	uint64_t t1 = plat_clock_ns(1);
	CHECK(n == 20000, "20000 syscall events (%d)", n);
	printf("  %.2f us per emulated syscall round trip\n", (t1 - t0) / 1000.0 / (n ? n : 1));

	/* Destroy B while running, A while spinning; the address space. */
	plat_thread_destroy(tb);
	plat_thread_destroy(ta);
	plat_unmap(as, CODE_VA, 0x10000000);
	plat_as_destroy(as);
	plat_frame_free(fcode);
	plat_frame_free(fstack);
	plat_frame_free(fdata);
	plat_frame_free(ftls);
	for (int i = 0; i < 3; i++)
		plat_frame_free(f2[i]);
	CHECK(plat_frames_in_use() == frames_before, "frames back");
}

/* A killed host process is an event, never a crash; a parked thread can
 * be destroyed; several address spaces live side by side. */
static void test_lost_and_many(void)
{
	struct plat_as *as[3];
	struct plat_thread *th[3];
	struct plat_event ev;
	struct arch_regs r;
	int owner[3];

	printf("thread lost, several processes\n");
	frame_t fcode = must_frame();
	struct code c = {plat_frame_ptr(fcode), 0};
	mov_eax(&c, 3000), sys(&c), jmp_to(&c, 0);
	for (int i = 0; i < 3; i++) {
		CHECK(plat_as_create(&as[i]) == 0, "create as %d", i);
		CHECK(plat_map(as[i], CODE_VA, &fcode, 1, PLAT_PROT_READ | PLAT_PROT_EXEC) == 0,
		      "map");
		CHECK(plat_thread_create(as[i], &owner[i], &th[i]) == 0, "thread");
		memset(&r, 0, sizeof r);
		r.rip = CODE_VA;
		r.rflags = 0x202;
		plat_thread_resume(th[i], &r);
	}
	int seen[3] = {0};
	for (int i = 0; i < 30; i++) {
		if (next_event(&ev) < 0 || ev.kind != EV_SYSCALL)
			break;
		seen[(int *)ev.owner - owner]++;
		plat_thread_get_regs(ev.th, &r);
		if (ev.owner != &owner[2])
			plat_thread_resume(ev.th, &r); /* 2 stays parked */
	}
	CHECK(seen[0] > 3 && seen[1] > 3 && seen[2] == 1, "all three ran: %d %d %d", seen[0],
	      seen[1], seen[2]);

	kill(as[1]->pid, SIGKILL);
	int lost = 0;
	for (int i = 0; i < 100 && !lost; i++) {
		if (next_event(&ev) < 0)
			break;
		if (ev.kind == EV_THREAD_LOST && ev.owner == &owner[1])
			lost = 1;
		else if (ev.kind == EV_SYSCALL) {
			plat_thread_get_regs(ev.th, &r);
			plat_thread_resume(ev.th, &r);
		}
	}
	CHECK(lost, "EV_THREAD_LOST for the killed process");
	CHECK(plat_thread_resume(th[1], &r) < 0, "resume of a lost thread fails");
	plat_thread_destroy(th[1]);
	plat_as_destroy(as[1]);
	plat_thread_destroy(th[2]); /* parked */
	plat_as_destroy(as[2]);
	plat_as_destroy(as[0]); /* with its thread running */
	plat_frame_free(fcode);

	/* Nothing left: the timer is the only source. */
	uint64_t t0 = plat_clock_ns(1);
	plat_timer_set(t0 + 20000000);
	int e = plat_wait_event(&ev);
	CHECK(e == 0 && ev.kind == EV_TIMER, "timer event");
	CHECK(plat_clock_ns(1) - t0 >= 20000000, "not early");
}

static void test_frames(void)
{
	printf("frames\n");
	frame_t f[64];
	uint32_t before = plat_frames_in_use();
	for (int i = 0; i < 64; i++)
		CHECK(plat_frame_alloc(&f[i]) == 0, "alloc");
	for (int i = 1; i < 64; i++)
		CHECK(f[i] != f[i - 1], "distinct");
	CHECK(plat_frames_in_use() == before + 64, "in use");
	for (int i = 0; i < 64; i++)
		plat_frame_free(f[i]);
	frame_t g;
	plat_frame_alloc(&g);
	CHECK(g == f[0], "reuse in the order freed");
	plat_frame_free(g);
	CHECK(plat_frames_in_use() == before, "all back");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (linux_plat_init(64ULL << 20) < 0) {
		printf("linux_plat_init: %s\n", linux_plat_error());
		return 2;
	}
	CHECK(plat_frame_limit() == (64 << 20) / 4096, "frame limit");
	CHECK(plat_user_top() <= 0x7ff000000000UL, "user top below the stub");
	CHECK(plat_ncpus() >= 1, "ncpus");
	test_frames();
	test_one_process();
	test_lost_and_many();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
