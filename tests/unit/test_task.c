/*
 * Unit tests of processes, threads, futexes, time and identity against the
 * fake platform.  System calls go through the real event loop: a test
 * queues EV_SYSCALL events, core_run() serves them until the queue is
 * empty, and the result is read from the registers the fake thread was
 * resumed with.  Parking, waking and timeouts are therefore exercised as
 * in the server.
 */
#include <stdlib.h>

#include "fake.h"
#include "helpers.h"
#include "mm.h"
#include "persona.h"
#include "sigframe.h"
#include "syscall.h"
#include "task.h"
#include "unit.h"

/* Call numbers on the architecture under test (x86_64, riscv64). */
#define NR_NANOSLEEP ARCH_SYS_NR(35, 101)
#define NR_EXIT ARCH_SYS_NR(60, 93)
#define NR_CLONE ARCH_SYS_NR(56, 220)
#define NR_CLOCK_NANOSLEEP ARCH_SYS_NR(230, 115)
#define NR_EXIT_GROUP ARCH_SYS_NR(231, 94)
#define ANON_PRIVATE 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */
#define SEC 1000000000ULL

/* A process with an address space, memory manager, signal actions and one
 * thread, as core_start would make it (no files: nothing here uses them). */
struct proc *tt_proc(struct thread **t0)
{
	struct proc *p = proc_create();
	CHECK(p != NULL);
	CHECK_EQ(plat_as_create(&p->as), 0);
	p->mm = mm_create(p->as);
	p->sighand = sighand_create();
	CHECK(p->mm && p->sighand);
	CHECK_EQ(sigframe_exec_setup(p), 0); /* what exec does (riscv64: trampoline) */
	CHECK_EQ(thread_create(p, t0), 0);
	(*t0)->state = TS_RUNNING;
	return p;
}

uint64_t tt_mem(struct proc *p, size_t len)
{
	long addr = mm_map(p->mm, 0, len, PLAT_PROT_READ | PLAT_PROT_WRITE, ANON_PRIVATE, NULL, 0);
	CHECK(addr > 0);
	return (uint64_t)addr;
}

void tt_syscall(struct thread *t, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                uint64_t a4, uint64_t a5)
{
	struct arch_regs r = *fake_thread_regs(t->pt);
#if defined(__x86_64__)
	r.rax = nr;
	r.rdi = a0;
	r.rsi = a1;
	r.rdx = a2;
	r.r10 = a3;
	r.r8 = a4;
	r.r9 = a5;
#else /* riscv64 */
	r.a7 = nr;
	r.a0 = a0;
	r.a1 = a1;
	r.a2 = a2;
	r.a3 = a3;
	r.a4 = a4;
	r.a5 = a5;
#endif
	fake_set_thread_regs(t->pt, &r);
	struct plat_event ev = {.kind = EV_SYSCALL, .th = t->pt, .owner = t};
	fake_push_event(&ev);
}

/* Serve events until the fake has none left. */
void tt_run(void)
{
	CHECK_EQ(core_run(), -EDEADLK);
}

int64_t tt_ret(struct thread *t)
{
#if defined(__x86_64__)
	return (int64_t)fake_thread_regs(t->pt)->rax;
#else
	return (int64_t)fake_thread_regs(t->pt)->a0;
#endif
}

/* Call a handler directly, outside the loop (for calls that never park). */
long tt_call(struct thread *t, sys_handler h, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
             uint64_t a4, uint64_t a5)
{
	struct sysargs a = {0, {a0, a1, a2, a3, a4, a5}};
	t->wake = WAKE_NONE;
	sched_set_current(t);
	long r = h(t, &a);
	sched_set_current(NULL);
	return r;
}

static uint32_t peek32(struct proc *p, uint64_t addr)
{
	uint32_t v = 0xdeadbeef;
	CHECK_EQ(mm_copy_from(p->mm, &v, addr, 4), 0);
	return v;
}

static void poke32(struct proc *p, uint64_t addr, uint32_t v)
{
	CHECK_EQ(mm_copy_to(p->mm, addr, &v, 4), 0);
}

static struct thread *new_thread(struct proc *p)
{
	struct thread *t;
	CHECK_EQ(thread_create(p, &t), 0);
	t->state = TS_RUNNING;
	return t;
}

/* ---- Registry and lifetime ------------------------------------------------------ */
TEST(test_task_registry)
{
	struct thread *t0, *t1;
	struct proc *p = tt_proc(&t0);
	CHECK_EQ(t0->tid, p->pid);
	CHECK(proc_by_pid(p->pid) == p);
	CHECK(thread_by_tid(t0->tid) == t0);
	t1 = new_thread(p);
	CHECK(t1->tid != t0->tid && t1->tid > 0);
	CHECK_EQ(p->nthreads, 2);
	CHECK(list_linked(&t1->waiters) == false);
	int pid = p->pid, tid1 = t1->tid;
	thread_exit(t1);
	CHECK(thread_by_tid(tid1) == NULL);
	CHECK_EQ(p->nthreads, 1);
	proc_exit(p, 3 << 8);
	CHECK(proc_by_pid(pid) == NULL);
	CHECK(thread_by_tid(pid) == NULL);
}

TEST(test_task_thread_create_failure)
{
	struct thread *t0, *t1 = NULL;
	struct proc *p = tt_proc(&t0);
	fake_fail_thread_create_after(0);
	CHECK_EQ(thread_create(p, &t1), -ENOMEM);
	fake_fail_thread_create_after(-1);
	CHECK_EQ(p->nthreads, 1);
	proc_exit(p, 0);
}

/* ---- Futexes ------------------------------------------------------------------ */
TEST(test_futex_wait_wake)
{
	struct thread *t0, *t1;
	struct proc *p = tt_proc(&t0);
	t1 = new_thread(p);
	uint64_t w = tt_mem(p, 4096);

	tt_syscall(t1, NR_FUTEX, w, 128 /* WAIT|PRIVATE */, 0, 0, 0, 0);
	tt_run();
	CHECK_EQ(t1->state, TS_PARKED);
	/* Waking a word nobody waits on wakes nobody. */
	tt_syscall(t0, NR_FUTEX, w + 4, 129, 1, 0, 0, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), 0);
	tt_syscall(t0, NR_FUTEX, w, 129 /* WAKE|PRIVATE */, 1, 0, 0, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), 1);
	CHECK_EQ(t1->state, TS_RUNNING);
	CHECK_EQ(tt_ret(t1), 0);
	proc_exit(p, 0);
}

TEST(test_futex_value_differs)
{
	struct thread *t0;
	struct proc *p = tt_proc(&t0);
	uint64_t w = tt_mem(p, 4096);
	poke32(p, w, 7);
	tt_syscall(t0, NR_FUTEX, w, 0, 6, 0, 0, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), -EAGAIN);
	proc_exit(p, 0);
}

TEST(test_futex_timeout)
{
	struct thread *t0;
	struct proc *p = tt_proc(&t0);
	uint64_t w = tt_mem(p, 4096);
	int64_t ts[2] = {1, 500};
	CHECK_EQ(mm_copy_to(p->mm, w + 64, ts, sizeof ts), 0);

	fake_set_clock(1, 10 * SEC);
	tt_syscall(t0, NR_FUTEX, w, 128, 0, w + 64, 0, 0);
	tt_run();
	CHECK_EQ(t0->state, TS_PARKED);
	CHECK_EQ(fake_timer_deadline(), 11 * SEC + 500);
	fake_set_clock(1, 11 * SEC + 499);
	tt_run();
	CHECK_EQ(t0->state, TS_PARKED);
	fake_set_clock(1, 11 * SEC + 500);
	tt_run();
	CHECK_EQ(t0->state, TS_RUNNING);
	CHECK_EQ(tt_ret(t0), -ETIMEDOUT);

	/* An absolute WAIT_BITSET deadline already past: a timeout, after
	 * the value check. */
	ts[0] = 5;
	CHECK_EQ(mm_copy_to(p->mm, w + 64, ts, sizeof ts), 0);
	tt_syscall(t0, NR_FUTEX, w, 9 | 128, 0, w + 64, 0, ~0u);
	tt_run();
	CHECK_EQ(tt_ret(t0), -ETIMEDOUT);
	tt_syscall(t0, NR_FUTEX, w, 9 | 128, 1, w + 64, 0, ~0u);
	tt_run();
	CHECK_EQ(tt_ret(t0), -EAGAIN);

	/* Bad timespecs. */
	ts[1] = 1000000000;
	CHECK_EQ(mm_copy_to(p->mm, w + 64, ts, sizeof ts), 0);
	CHECK_EQ(tt_call(t0, sys_futex, w, 0, 0, w + 64, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_futex, w, 0, 0, 0x10, 0, 0), -EFAULT);
	proc_exit(p, 0);
}

TEST(test_futex_spurious_wake_keeps_waiting)
{
	struct thread *t0, *t1;
	struct proc *p = tt_proc(&t0);
	t1 = new_thread(p);
	uint64_t w = tt_mem(p, 4096);

	tt_syscall(t1, NR_FUTEX, w, 128, 0, 0, 0, 0);
	tt_run();
	CHECK_EQ(t1->state, TS_PARKED);
	/* The word changes, then a wake-up that was not a FUTEX_WAKE: the
	 * waiter must neither return nor re-read the word. */
	poke32(p, w, 1);
	thread_wake(t1, WAKE_EVENT);
	tt_run();
	CHECK_EQ(t1->state, TS_PARKED);
	tt_syscall(t0, NR_FUTEX, w, 129, 1, 0, 0, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), 1);
	CHECK_EQ(tt_ret(t1), 0);
	proc_exit(p, 0);
}

TEST(test_futex_bitset)
{
	struct thread *t0, *t1;
	struct proc *p = tt_proc(&t0);
	t1 = new_thread(p);
	uint64_t w = tt_mem(p, 4096);

	tt_syscall(t1, NR_FUTEX, w, 9 /* WAIT_BITSET */, 0, 0, 0, 0x1);
	tt_run();
	CHECK_EQ(t1->state, TS_PARKED);
	tt_syscall(t0, NR_FUTEX, w, 10 /* WAKE_BITSET */, 1, 0, 0, 0x2);
	tt_run();
	CHECK_EQ(tt_ret(t0), 0);
	CHECK_EQ(t1->state, TS_PARKED);
	tt_syscall(t0, NR_FUTEX, w, 10, 1, 0, 0, 0x3);
	tt_run();
	CHECK_EQ(tt_ret(t0), 1);
	CHECK_EQ(tt_ret(t1), 0);
	CHECK_EQ(tt_call(t0, sys_futex, w, 9, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_futex, w, 10, 1, 0, 0, 0), -EINVAL);
	proc_exit(p, 0);
}

TEST(test_futex_requeue)
{
	struct thread *t0, *t1, *t2;
	struct proc *p = tt_proc(&t0);
	t1 = new_thread(p);
	t2 = new_thread(p);
	uint64_t a = tt_mem(p, 4096), b = a + 8;

	tt_syscall(t1, NR_FUTEX, a, 128, 0, 0, 0, 0);
	tt_syscall(t2, NR_FUTEX, a, 128, 0, 0, 0, 0);
	tt_run();
	CHECK(t1->state == TS_PARKED && t2->state == TS_PARKED);
	/* CMP_REQUEUE with a stale value: EAGAIN, nobody moves. */
	tt_syscall(t0, NR_FUTEX, a, 4 | 128, 1, 1, b, 5);
	tt_run();
	CHECK_EQ(tt_ret(t0), -EAGAIN);
	tt_syscall(t0, NR_FUTEX, a, 4 | 128, 1, 1, b, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), 2); /* one woken + one requeued */
	CHECK_EQ(t1->state, TS_RUNNING);
	CHECK_EQ(tt_ret(t1), 0);
	CHECK_EQ(t2->state, TS_PARKED);
	tt_syscall(t0, NR_FUTEX, a, 129, 1, 0, 0, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), 0);
	/* A spurious wake after the requeue parks it on b again. */
	thread_wake(t2, WAKE_EVENT);
	tt_run();
	CHECK_EQ(t2->state, TS_PARKED);
	tt_syscall(t0, NR_FUTEX, b, 129, 1, 0, 0, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), 1);
	CHECK_EQ(tt_ret(t2), 0);
	CHECK_EQ(tt_call(t0, sys_futex, a, 3, (uint64_t)-1, 0, b, 0), -EINVAL);
	proc_exit(p, 0);
}

TEST(test_futex_wake_op)
{
	struct thread *t0, *t1, *t2;
	struct proc *p = tt_proc(&t0);
	t1 = new_thread(p);
	t2 = new_thread(p);
	uint64_t a = tt_mem(p, 4096), b = a + 4;

	poke32(p, b, 5);
	tt_syscall(t1, NR_FUTEX, a, 128, 0, 0, 0, 0);
	tt_syscall(t2, NR_FUTEX, b, 128, 5, 0, 0, 0);
	tt_run();
	/* *b += 1; wake 1 on a; if old *b == 5, wake 1 on b. */
	uint32_t op = (1u << 28) | (0u << 24) | (1u << 12) | 5u;
	tt_syscall(t0, NR_FUTEX, a, 5 | 128, 1, 1, b, op);
	tt_run();
	CHECK_EQ(tt_ret(t0), 2);
	CHECK_EQ(peek32(p, b), 6);
	CHECK_EQ(tt_ret(t1), 0);
	CHECK_EQ(tt_ret(t2), 0);
	CHECK_EQ(tt_call(t0, sys_futex, a, 5, 1, 1, b, 7u << 28), -ENOSYS);
	proc_exit(p, 0);
}

TEST(test_futex_errors)
{
	struct thread *t0;
	struct proc *p = tt_proc(&t0);
	uint64_t w = tt_mem(p, 4096);
	CHECK_EQ(tt_call(t0, sys_futex, w + 1, 1, 1, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_futex, w, 99, 1, 0, 0, 0), -ENOSYS);
	CHECK_EQ(tt_call(t0, sys_futex, w, 6, 0, 0, 0, 0), -ENOSYS);   /* LOCK_PI */
	CHECK_EQ(tt_call(t0, sys_futex, w, 256, 0, 0, 0, 0), -ENOSYS); /* WAIT|CLOCK_RT */
	CHECK_EQ(tt_call(t0, sys_futex, w, 256 | 1, 1, 0, 0, 0), -ENOSYS);
	CHECK_EQ(tt_call(t0, sys_futex, 0x1000, 1, 1, 0, 0, 0), -EFAULT); /* shared */
	CHECK_EQ(tt_call(t0, sys_futex, 0x1000, 129, 1, 0, 0, 0), 0);     /* private */
	CHECK_EQ(tt_call(t0, sys_futex, 0x1000, 128, 0, 0, 0, 0), -EFAULT);
	proc_exit(p, 0);
}

/* ---- clone, exit, clear_child_tid, robust lists ------------------------------------ */
#define GLIBC_CLONE_FLAGS                                                                          \
	0x3d0f00ULL /* VM FS FILES SIGHAND THREAD SYSVSEM SETTLS PARENT_SETTID CHILD_CLEARTID */

TEST(test_clone_thread_and_join)
{
	struct thread *t0;
	struct proc *p = tt_proc(&t0);
	uint64_t m = tt_mem(p, 4 * 4096);
	uint64_t ptid = m, ctid = m + 4, stack = m + 3 * 4096;

	struct arch_regs r = {0};
	arch_set_ip(&r, 0x401000);
#if defined(__x86_64__)
	r.rbx = 0x1234;
#else
	r.s1 = 0x1234;
#endif
	arch_set_tls(&r, 0x5000);
	fake_set_thread_regs(t0->pt, &r);
	t0->sigmask = 1ULL << 9;
	tt_syscall(t0, NR_CLONE, GLIBC_CLONE_FLAGS, stack, ptid, ctid, 0x7000, 0);
	tt_run();
	int tid = (int)tt_ret(t0);
	CHECK(tid > 0 && tid != t0->tid);
	struct thread *c = thread_by_tid(tid);
	CHECK(c != NULL);
	if (!c) {
		proc_exit(p, 0);
		return;
	}
	CHECK_EQ(peek32(p, ptid), tid);
	CHECK_EQ(c->state, TS_RUNNING);
	const struct arch_regs *cr = fake_thread_regs(c->pt);
	CHECK_EQ(tt_ret(c), 0);
	CHECK_EQ(arch_sp(cr), stack);
	CHECK_EQ(arch_ip(cr), 0x401000 + 0);
#if defined(__x86_64__)
	CHECK_EQ(cr->fs_base, 0x7000);
	CHECK_EQ(cr->rbx, 0x1234);
#else
	CHECK_EQ(cr->tp, 0x7000);
	CHECK_EQ(cr->s1, 0x1234);
#endif
	CHECK_EQ(c->sigmask, 1ULL << 9);
	CHECK_EQ(c->clear_child_tid, ctid);

	/* pthread_join: wait on the tid word until the child exits. */
	poke32(p, ctid, (uint32_t)tid);
	tt_syscall(t0, NR_FUTEX, ctid, 0, (uint64_t)tid, 0, 0, 0);
	tt_run();
	CHECK_EQ(t0->state, TS_PARKED);
	tt_syscall(c, NR_EXIT, 0, 0, 0, 0, 0, 0);
	tt_run();
	CHECK(thread_by_tid(tid) == NULL);
	CHECK_EQ(peek32(p, ctid), 0);
	CHECK_EQ(t0->state, TS_RUNNING);
	CHECK_EQ(tt_ret(t0), 0);
	CHECK_EQ(p->nthreads, 1);
	proc_exit(p, 0);
}

TEST(test_clone_flags_checked)
{
	struct thread *t0;
	struct proc *p = tt_proc(&t0);
	CHECK_EQ(tt_call(t0, sys_clone, 0x10000, 0, 0, 0, 0, 0), -EINVAL); /* THREAD alone */
	CHECK_EQ(tt_call(t0, sys_clone, 0x10800, 0, 0, 0, 0, 0), -EINVAL); /* no VM */
	CHECK_EQ(tt_call(t0, sys_clone, 0x20000 | 0x200 | 17, 0, 0, 0, 0, 0),
	         -EINVAL);                                                        /* NEWNS|FS */
	CHECK_EQ(tt_call(t0, sys_clone, 0x20000000 | 17, 0, 0, 0, 0, 0), -EPERM); /* NEWPID */
#if defined(__x86_64__) /* riscv64 takes any tp */
	CHECK_EQ(tt_call(t0, sys_clone, GLIBC_CLONE_FLAGS, 0, 0, 0, 1ULL << 47, 0), -EPERM);
#endif
	uint64_t m = tt_mem(p, 4096);
	uint64_t ca[11] = {0};
	CHECK_EQ(mm_copy_to(p->mm, m, ca, sizeof ca), 0);
	CHECK_EQ(tt_call(t0, sys_clone3, m, 63, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_clone3, m, 8192, 0, 0, 0, 0), -E2BIG);
	ca[0] = 0x10f00; /* thread flags */
	ca[4] = 17;      /* exit_signal with CLONE_THREAD */
	CHECK_EQ(mm_copy_to(p->mm, m, ca, sizeof ca), 0);
	CHECK_EQ(tt_call(t0, sys_clone3, m, 88, 0, 0, 0, 0), -EINVAL);
	ca[4] = 0;
	ca[5] = m; /* stack without a size */
	CHECK_EQ(mm_copy_to(p->mm, m, ca, sizeof ca), 0);
	CHECK_EQ(tt_call(t0, sys_clone3, m, 88, 0, 0, 0, 0), -EINVAL);
	ca[6] = 2048;
	CHECK_EQ(mm_copy_to(p->mm, m, ca, sizeof ca), 0);
	long tid = tt_call(t0, sys_clone3, m, 88, 0, 0, 0, 0);
	CHECK(tid > 0);
	struct thread *c = thread_by_tid((int)tid);
	CHECK(c && arch_sp(fake_thread_regs(c->pt)) == m + 2048);
	CHECK_EQ(tt_call(t0, sys_clone3, 0x10, 88, 0, 0, 0, 0), -EFAULT);
	proc_exit(p, 0);
}

TEST(test_exit_group_releases_parked_threads)
{
	struct thread *t0, *t1, *t2;
	struct proc *p = tt_proc(&t0);
	t1 = new_thread(p);
	t2 = new_thread(p);
	uint64_t w = tt_mem(p, 4096);
	int64_t ts[2] = {100, 0};
	CHECK_EQ(mm_copy_to(p->mm, w + 64, ts, sizeof ts), 0);
	tt_syscall(t1, NR_FUTEX, w, 128, 0, 0, 0, 0);
	tt_syscall(t2, NR_NANOSLEEP, w + 64, 0, 0, 0, 0, 0);
	tt_run();
	CHECK(t1->state == TS_PARKED && t2->state == TS_PARKED);
	int pid = p->pid;
	tt_syscall(t0, NR_EXIT_GROUP, 0x1ff, 0, 0, 0, 0, 0);
	tt_run();
	CHECK(proc_by_pid(pid) == NULL);
	CHECK(list_empty(&all_threads) || thread_by_tid(pid) == NULL);
}

TEST(test_exit_last_thread_ends_process)
{
	struct thread *t0, *t1;
	struct proc *p = tt_proc(&t0);
	t1 = new_thread(p);
	int pid = p->pid;
	tt_syscall(t0, NR_EXIT, 7, 0, 0, 0, 0, 0);
	tt_run();
	CHECK(proc_by_pid(pid) == p);
	CHECK_EQ(p->exit_status, 7 << 8);
	tt_syscall(t1, NR_EXIT, 9, 0, 0, 0, 0, 0);
	tt_run();
	CHECK(proc_by_pid(pid) == NULL);
}

TEST(test_robust_list_owner_died)
{
	struct thread *t0, *t1;
	struct proc *p = tt_proc(&t0);
	t1 = new_thread(p);
	uint64_t m = tt_mem(p, 4096);
	/* head at m: { next = &entry, futex_offset = 16, pending = 0 };
	 * entry at m+64: { next = head }, its futex word at m+80. */
	uint64_t head[3] = {m + 64, 16, 0}, entry = m;
	CHECK_EQ(mm_copy_to(p->mm, m, head, sizeof head), 0);
	CHECK_EQ(mm_copy_to(p->mm, m + 64, &entry, 8), 0);
	poke32(p, m + 80, 0x80000000u | (uint32_t)t1->tid);
	CHECK_EQ(tt_call(t1, sys_set_robust_list, m, 23, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t1, sys_set_robust_list, m, 24, 0, 0, 0, 0), 0);
	uint64_t got[2] = {0, 0};
	CHECK_EQ(tt_call(t0, sys_get_robust_list, (uint64_t)t1->tid, m + 256, m + 264, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, got, m + 256, 16), 0);
	CHECK(got[0] == m && got[1] == 24);

	tt_syscall(t0, NR_FUTEX, m + 80, 128, 0x80000000u | (uint32_t)t1->tid, 0, 0, 0);
	tt_run();
	CHECK_EQ(t0->state, TS_PARKED);
	tt_syscall(t1, NR_EXIT, 0, 0, 0, 0, 0, 0);
	tt_run();
	CHECK_EQ(peek32(p, m + 80), 0xc0000000u);
	CHECK_EQ(tt_ret(t0), 0);

	/* A list that loops forever or points nowhere ends the walk. */
	struct thread *t2 = new_thread(p);
	uint64_t loop[3] = {m + 128, 0, 0x10};
	CHECK_EQ(mm_copy_to(p->mm, m + 128, loop, sizeof loop), 0);
	CHECK_EQ(tt_call(t2, sys_set_robust_list, m + 128 + 8, 24, 0, 0, 0, 0), 0);
	thread_exit(t2);
	proc_exit(p, 0);
}

TEST(test_thread_misc_calls)
{
	struct thread *t0;
	struct proc *p = tt_proc(&t0);
	uint64_t m = tt_mem(p, 4096);
	CHECK_EQ(tt_call(t0, sys_set_tid_address, m, 0, 0, 0, 0, 0), t0->tid);
	CHECK_EQ(t0->clear_child_tid, m);
	CHECK_EQ(tt_call(t0, sys_gettid, 0, 0, 0, 0, 0, 0), t0->tid);
#if defined(__x86_64__) /* arch_prctl exists only there */
	CHECK_EQ(tt_call(t0, sys_arch_prctl, 0x1002, 0x12345000, 0, 0, 0, 0), 0);
	CHECK_EQ(t0->regs.fs_base, 0x12345000);
	CHECK_EQ(tt_call(t0, sys_arch_prctl, 0x1003, m, 0, 0, 0, 0), 0);
	uint64_t fs = 0;
	CHECK_EQ(mm_copy_from(p->mm, &fs, m, 8), 0);
	CHECK_EQ(fs, 0x12345000);
	CHECK_EQ(tt_call(t0, sys_arch_prctl, 0x1002, 0x800000000000ULL, 0, 0, 0, 0), -EPERM);
	CHECK_EQ(tt_call(t0, sys_arch_prctl, 0x1003, 0x10, 0, 0, 0, 0), -EFAULT);
	CHECK_EQ(tt_call(t0, sys_arch_prctl, 0x9999, 0, 0, 0, 0, 0), -EINVAL);
#endif
	CHECK_EQ(tt_call(t0, sys_sched_getaffinity, 0, 1024, m, 0, 0, 0), 8);
	CHECK_EQ(tt_call(t0, sys_sched_getaffinity, 0, 12, m, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_sched_getaffinity, 99999, 8, m, 0, 0, 0), -ESRCH);
	CHECK_EQ(tt_call(t0, sys_sched_getaffinity, 0, 8, 0x10, 0, 0, 0), -EFAULT);
	CHECK_EQ(peek32(p, m) & 1, 1);
	CHECK_EQ(tt_call(t0, sys_sched_setaffinity, 0, 8, m, 0, 0, 0), 0);
	poke32(p, m, 0);
	CHECK_EQ(tt_call(t0, sys_sched_setaffinity, 0, 8, m, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_sched_getparam, 0, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_sched_get_priority_max, 1, 0, 0, 0, 0, 0), 99);
	CHECK_EQ(tt_call(t0, sys_sched_get_priority_max, 7, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_getpriority, 0, 0, 0, 0, 0, 0), 20);
	CHECK_EQ(tt_call(t0, sys_setpriority, 0, 0, 5, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_getpriority, 0, 0, 0, 0, 0, 0), 15);
	p->euid = 1000;
	p->cap_eff = 0; /* what leaving euid 0 does (cred.c) */
	CHECK_EQ(tt_call(t0, sys_setpriority, 0, 0, 0, 0, 0, 0), -EACCES);
	CHECK_EQ(tt_call(t0, sys_membarrier, 0, 0, 0, 0, 0, 0), 127);
	CHECK_EQ(tt_call(t0, sys_membarrier, 8, 0, 0, 0, 0, 0), -EPERM);
	CHECK_EQ(tt_call(t0, sys_membarrier, 16, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_membarrier, 8, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_membarrier, 0, 1, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_personality, 0xffffffff, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_personality, 0x0040000, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_personality, 0xffffffff, 0, 0, 0, 0, 0), 0x0040000);
	proc_exit(p, 0);
}

/* ---- Time ------------------------------------------------------------------------ */
TEST(test_time_clocks)
{
	struct thread *t0;
	fake_set_clock(0, 1700000000 * SEC + 123456789);
	fake_set_clock(1, 50 * SEC + 7);
	struct proc *p = tt_proc(&t0);
	uint64_t m = tt_mem(p, 4096);
	int64_t ts[2];
	CHECK_EQ(tt_call(t0, sys_clock_gettime, 0, m, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, ts, m, 16), 0);
	CHECK(ts[0] == 1700000000 && ts[1] == 123456789);
	CHECK_EQ(tt_call(t0, sys_clock_gettime, 1, m, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, ts, m, 16), 0);
	CHECK(ts[0] == 50 && ts[1] == 7);
	CHECK_EQ(tt_call(t0, sys_clock_gettime, 6, m, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, ts, m, 16), 0);
	CHECK(ts[0] == 50 && ts[1] == 0);
	fake_set_clock(1, 52 * SEC);
	CHECK_EQ(tt_call(t0, sys_clock_gettime, 2, m, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, ts, m, 16), 0);
	CHECK(ts[0] == 1);
	CHECK_EQ(tt_call(t0, sys_clock_gettime, 10, m, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_clock_gettime, -1, m, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_clock_gettime, 0, 0x10, 0, 0, 0, 0), -EFAULT);
	CHECK_EQ(tt_call(t0, sys_clock_getres, 5, m, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, ts, m, 16), 0);
	CHECK(ts[0] == 0 && ts[1] == 4000000);
	CHECK_EQ(tt_call(t0, sys_clock_getres, 1, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_time, m, 0, 0, 0, 0, 0), 1700000000);
	CHECK_EQ(tt_call(t0, sys_gettimeofday, m, m + 16, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, ts, m, 16), 0);
	CHECK(ts[0] == 1700000000 && ts[1] == 123456);
	proc_exit(p, 0);
}

TEST(test_time_sleeps)
{
	struct thread *t0;
	struct proc *p = tt_proc(&t0);
	uint64_t m = tt_mem(p, 4096);
	int64_t req[2] = {2, 5};
	CHECK_EQ(mm_copy_to(p->mm, m, req, 16), 0);
	fake_set_clock(1, 10 * SEC);
	tt_syscall(t0, NR_NANOSLEEP, m, 0, 0, 0, 0, 0);
	tt_run();
	CHECK_EQ(t0->state, TS_PARKED);
	fake_set_clock(1, 12 * SEC + 5);
	tt_run();
	CHECK_EQ(t0->state, TS_RUNNING);
	CHECK_EQ(tt_ret(t0), 0);

	/* Absolute monotonic deadline, in the past: no park at all. */
	tt_syscall(t0, NR_CLOCK_NANOSLEEP, 1, 1, m, 0, 0, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), 0);
	/* Absolute realtime deadline 3 s ahead. */
	fake_set_clock(0, 1000 * SEC);
	req[0] = 1003;
	req[1] = 0;
	CHECK_EQ(mm_copy_to(p->mm, m, req, 16), 0);
	tt_syscall(t0, NR_CLOCK_NANOSLEEP, 0, 1, m, 0, 0, 0);
	tt_run();
	CHECK_EQ(t0->state, TS_PARKED);
	CHECK_EQ(fake_timer_deadline(), 15 * SEC + 5);
	fake_set_clock(1, 15 * SEC + 5);
	tt_run();
	CHECK_EQ(tt_ret(t0), 0);

	CHECK_EQ(tt_call(t0, sys_clock_nanosleep, 6, 0, m, 0, 0, 0), -EOPNOTSUPP);
	CHECK_EQ(tt_call(t0, sys_clock_nanosleep, 99, 0, m, 0, 0, 0), -EINVAL);
	req[1] = -1;
	CHECK_EQ(mm_copy_to(p->mm, m, req, 16), 0);
	CHECK_EQ(tt_call(t0, sys_nanosleep, m, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_nanosleep, 0x10, 0, 0, 0, 0, 0), -EFAULT);
	proc_exit(p, 0);
}

/* ---- Identity and limits ---------------------------------------------------------- */
TEST(test_info_identity_and_limits)
{
	struct thread *t0;
	core_cfg.uid = 1000;
	core_cfg.gid = 100;
	struct proc *p = tt_proc(&t0);
	core_cfg.uid = core_cfg.gid = 0;
	uint64_t m = tt_mem(p, 4096);

	CHECK_EQ(tt_call(t0, sys_getpid, 0, 0, 0, 0, 0, 0), p->pid);
	CHECK_EQ(tt_call(t0, sys_getppid, 0, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_getuid, 0, 0, 0, 0, 0, 0), 1000);
	CHECK_EQ(tt_call(t0, sys_getegid, 0, 0, 0, 0, 0, 0), 100);
	CHECK_EQ(tt_call(t0, sys_getresuid, m, m + 4, m + 8, 0, 0, 0), 0);
	CHECK_EQ(peek32(p, m + 8), 1000);
	CHECK_EQ(tt_call(t0, sys_getresgid, m, m + 4, 0x10, 0, 0, 0), -EFAULT);
	CHECK_EQ(tt_call(t0, sys_getgroups, 0, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_getpgid, 0, 0, 0, 0, 0, 0), p->pid);
	CHECK_EQ(tt_call(t0, sys_getsid, 99999, 0, 0, 0, 0, 0), -ESRCH);

	char u[65 * 6];
	CHECK_EQ(tt_call(t0, sys_uname, m, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, u, m, sizeof u), 0);
	CHECK(!strcmp(u, "Linux") && !strcmp(u + 65, "persona") &&
	      !strcmp(u + 130, "6.1.0-persona") && !strcmp(u + 260, ARCH_NAME) &&
	      !strcmp(u + 325, "(none)"));

	CHECK_EQ(tt_call(t0, sys_getrandom, m, 100, 0, 0, 0, 0), 100);
	CHECK_EQ(tt_call(t0, sys_getrandom, m, 1, 8, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_getrandom, m, 1, 6, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_getrandom, m + 4000, 200, 1, 0, 0, 0), 96);

	uint64_t rl[2];
	CHECK_EQ(tt_call(t0, sys_getrlimit, 3, m, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, rl, m, 16), 0);
	CHECK(rl[0] == 8 << 20 && rl[1] == UINT64_MAX);
	CHECK_EQ(tt_call(t0, sys_getrlimit, 16, m, 0, 0, 0, 0), -EINVAL);
	rl[0] = 512;
	rl[1] = 2048;
	CHECK_EQ(mm_copy_to(p->mm, m, rl, 16), 0);
	CHECK_EQ(tt_call(t0, sys_prlimit64, 0, 7, m, m + 16, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, rl, m + 16, 16), 0);
	CHECK(rl[0] == 1024 && rl[1] == 1048576);
	CHECK_EQ(p->rlim[7].cur, 512);
	rl[1] = 4096; /* raising the hard limit as a user */
	CHECK_EQ(mm_copy_to(p->mm, m, rl, 16), 0);
	CHECK_EQ(tt_call(t0, sys_setrlimit, 7, m, 0, 0, 0, 0), -EPERM);
	rl[0] = 5000;
	CHECK_EQ(mm_copy_to(p->mm, m, rl, 16), 0);
	CHECK_EQ(tt_call(t0, sys_setrlimit, 7, m, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_prlimit64, 99999, 7, 0, m, 0, 0), -ESRCH);

	CHECK_EQ(mm_copy_to(p->mm, m, "a-very-long-thread-name", 24), 0);
	CHECK_EQ(tt_call(t0, sys_prctl, 15, m, 0, 0, 0, 0), 0);
	CHECK(!strcmp(t0->comm, "a-very-long-thr"));
	CHECK_EQ(tt_call(t0, sys_prctl, 16, m + 100, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, u, m + 100, 16), 0);
	CHECK(!strcmp(u, "a-very-long-thr"));
	CHECK_EQ(tt_call(t0, sys_prctl, 3, 0, 0, 0, 0, 0), 1);
	CHECK_EQ(tt_call(t0, sys_prctl, 4, 2, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_prctl, 38, 1, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_prctl, 39, 0, 0, 0, 0, 0), 1);
	CHECK_EQ(tt_call(t0, sys_prctl, 23, 40, 0, 0, 0, 0), 1);
	CHECK_EQ(tt_call(t0, sys_prctl, 23, 41, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_prctl, 0x53564d41, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_prctl, 9999, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_rseq, m, 32, 0, 0, 0, 0), -ENOSYS);
	CHECK_EQ(tt_call(t0, sys_sysinfo, m, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t0, sys_getrusage, 5, m, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t0, sys_getrusage, 0, m, 0, 0, 0, 0), 0);
	proc_exit(p, 0);
}

/* The table holds exactly the rows numbered on this architecture, at
 * their numbers; x86_64-only calls (open, arch_prctl) have no slot on
 * riscv64. */
TEST(test_syscall_table_for_arch)
{
	const struct sys_entry *e = sys_lookup(NR_FUTEX);
	CHECK(e && !strcmp(e->name, "futex") && e->handler == sys_futex);
	e = sys_lookup(NR_CLONE);
	CHECK(e && !strcmp(e->name, "clone") && e->handler == sys_clone);
	CHECK(sys_lookup(100000) == NULL);
	unsigned rows = 0, want = 0;
	bool open_seen = false, arch_prctl_seen = false;
	for (unsigned nr = 0; nr < sys_table_len; nr++) {
		e = sys_lookup(nr);
		if (!e)
			continue;
		rows++;
		CHECK_EQ(ARCH_SYS_NR(e->nr_x86_64, e->nr_riscv64), nr);
		CHECK(e->handler != NULL);
		open_seen |= !strcmp(e->name, "open");
		arch_prctl_seen |= !strcmp(e->name, "arch_prctl");
	}
#define SC(name, x86, rv, handler, status, k1, k2, k3, k4, k5, k6, note)                           \
	want += ARCH_SYS_NR(x86, rv) >= 0;
#include "syscalls.def"
#undef SC
	CHECK_EQ(rows, want);
	CHECK_EQ(open_seen, ARCH_SYS_NR(true, false));
	CHECK_EQ(arch_prctl_seen, ARCH_SYS_NR(true, false));
}
