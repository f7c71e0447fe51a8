/*
 * Unit tests of processes against the fake platform: fork's
 * copy-on-write (frames shared until written, the parent's client
 * mappings made read-only), shared anonymous memory, zombies and wait4,
 * orphans given to the first process, and fork failing cleanly when the
 * platform runs out of frames, address spaces or threads.
 */
#include <string.h>

#include "fake.h"
#include "helpers.h"
#include "mm.h"
#include "unit.h"

#define CLONE_FORK 17 /* clone(SIGCHLD): what fork() is */
#define WNOHANG 1
#define MAP_SHARED_ANON 0x21

void sched_set_first(struct proc *p);

static uint32_t peek(struct proc *p, uint64_t addr)
{
	uint32_t v = 0xdeadbeef;
	CHECK_EQ(mm_copy_from(p->mm, &v, addr, 4), 0);
	return v;
}

static void poke(struct proc *p, uint64_t addr, uint32_t v)
{
	CHECK_EQ(mm_copy_to(p->mm, addr, &v, 4), 0);
}

static struct proc *fork_of(struct thread *t)
{
	long pid = tt_call(t, sys_clone, CLONE_FORK, 0, 0, 0, 0, 0);
	CHECK(pid > 0);
	struct proc *c = proc_by_pid((int)pid);
	CHECK(c != NULL);
	return c;
}

static struct thread *first_thread(struct proc *p)
{
	return list_entry(p->threads.next, struct thread, proc_link);
}

TEST(test_fork_copy_on_write)
{
	struct thread *t0;
	uint32_t frames00 = plat_frames_in_use();
	struct proc *p = tt_proc(&t0);
	uint64_t m = tt_mem(p, 4 * PAGE_SIZE);
	poke(p, m, 1);
	/* The client touches the page: mapped writable in the parent. */
	CHECK_EQ(mm_handle_fault(p->mm, m, PLAT_PROT_WRITE), 0);
	int prot = 0;
	CHECK(fake_lookup(p->as, m, &prot) != FRAME_NONE);
	CHECK(prot & PLAT_PROT_WRITE);
	uint32_t frames0 = plat_frames_in_use();

	struct proc *c = fork_of(t0);
	CHECK(c->parent == p && c->ppid == p->pid);
	CHECK(c->mm != p->mm && c->as != p->as);
	/* Nothing copied yet, and the parent lost write access. */
	CHECK_EQ(plat_frames_in_use(), frames0);
	CHECK(fake_lookup(p->as, m, &prot) != FRAME_NONE);
	CHECK(!(prot & PLAT_PROT_WRITE));
	CHECK_EQ(peek(c, m), 1);

	/* A write in the parent takes a copy; the child keeps the old. */
	CHECK_EQ(mm_handle_fault(p->mm, m, PLAT_PROT_WRITE), 0);
	CHECK_EQ(plat_frames_in_use(), frames0 + 1);
	poke(p, m, 2);
	CHECK_EQ(peek(c, m), 1);
	CHECK_EQ(peek(p, m), 2);
	/* The child is now the page's only owner: its write copies nothing. */
	CHECK_EQ(mm_handle_fault(c->mm, m, PLAT_PROT_WRITE), 0);
	CHECK_EQ(plat_frames_in_use(), frames0 + 1);
	poke(c, m, 3);
	CHECK_EQ(peek(p, m), 2);

	/* A server write (copy_to_user) into a shared page copies it too. */
	poke(p, m + PAGE_SIZE, 9); /* populated after fork: the parent's own */
	struct proc *c2 = fork_of(t0);
	poke(c2, m + PAGE_SIZE, 10);
	CHECK_EQ(peek(p, m + PAGE_SIZE), 9);
	CHECK_EQ(peek(c2, m + PAGE_SIZE), 10);

	/* Zombies and wait4. */
	int pid = c->pid, pid2 = c2->pid;
	uint64_t st = tt_mem(p, PAGE_SIZE);
	CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)pid, st, WNOHANG, 0, 0, 0), 0);
	proc_exit(c, 3 << 8);
	CHECK(proc_by_pid(pid) == c && c->zombie);
	CHECK_EQ(tt_call(t0, sys_kill, (uint64_t)pid, 0, 0, 0, 0, 0), 0); /* a zombie exists */
	CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)-1, st, 0, 0, 0, 0), pid);
	CHECK_EQ(peek(p, st), 3 << 8);
	CHECK(proc_by_pid(pid) == NULL);
	proc_exit(c2, SIGKILL);
	CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)pid2, st, 0, 0, 0, 0), pid2);
	CHECK_EQ(peek(p, st), SIGKILL);
	CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)-1, st, WNOHANG, 0, 0, 0), -ECHILD);
	CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)-1, st, 0x100, 0, 0, 0), -EINVAL);
	proc_exit(p, 0);
	CHECK_EQ(plat_frames_in_use(), frames00);
}

TEST(test_fork_shared_anonymous)
{
	struct thread *t0;
	uint32_t frames00 = plat_frames_in_use();
	struct proc *p = tt_proc(&t0);
	long m = tt_call(t0, sys_mmap, 0, 2 * PAGE_SIZE, PLAT_PROT_READ | PLAT_PROT_WRITE,
	                 MAP_SHARED_ANON, (uint64_t)-1, 0);
	CHECK(m > 0);
	poke(p, (uint64_t)m, 5);
	struct proc *c = fork_of(t0);
	poke(c, (uint64_t)m, 6);
	CHECK_EQ(peek(p, (uint64_t)m), 6); /* the same memory */
	CHECK_EQ(mm_handle_fault(c->mm, (uint64_t)m + PAGE_SIZE, PLAT_PROT_WRITE), 0);
	poke(c, (uint64_t)m + PAGE_SIZE, 7);
	CHECK_EQ(peek(p, (uint64_t)m + PAGE_SIZE), 7);
	proc_exit(c, 0);
	proc_exit(p, 0);
	CHECK_EQ(plat_frames_in_use(), frames00);
}

TEST(test_wait_parks_until_child_exits)
{
	struct thread *t0;
	struct proc *p = tt_proc(&t0);
	struct proc *c = fork_of(t0);
	uint64_t st = tt_mem(p, PAGE_SIZE);
	tt_syscall(t0, ARCH_SYS_NR(61, 260), (uint64_t)-1, st, 0, 0, 0, 0);
	tt_run();
	CHECK_EQ(t0->state, TS_PARKED);
	int pid = c->pid;
	proc_exit(c, 42 << 8);
	tt_run();
	CHECK_EQ(t0->state, TS_RUNNING);
	CHECK_EQ(tt_ret(t0), pid);
	CHECK_EQ(peek(p, st), 42 << 8);
	proc_exit(p, 0);
}

TEST(test_orphans_go_to_the_first_process)
{
	static struct proc nobody = {.pid = -2};
	struct thread *t0;
	struct proc *init = tt_proc(&t0);
	sched_set_first(init);
	struct proc *c = fork_of(t0);
	struct proc *g = fork_of(first_thread(c));
	CHECK(g->parent == c);
	int cpid = c->pid;
	proc_exit(c, 0);
	CHECK(g->parent == init && g->ppid == init->pid);
	/* init reaps both */
	CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)-1, 0, 0, 0, 0, 0), cpid);
	int gpid = g->pid;
	proc_exit(g, 0);
	CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)-1, 0, 0, 0, 0, 0), gpid);
	sched_set_first(&nobody); /* the loop must not think the run is over */
	proc_exit(init, 0);
}

TEST(test_fork_failures_leak_nothing)
{
	struct thread *t0;
	uint32_t frames00 = plat_frames_in_use();
	struct proc *p = tt_proc(&t0);
	uint64_t m = tt_mem(p, 64 * PAGE_SIZE);
	for (int i = 0; i < 64; i++)
		poke(p, m + (uint64_t)i * PAGE_SIZE, (uint32_t)i);
	int nprocs = 0;
	struct proc *q;
	list_for_each_entry(q, &all_procs, all_link) nprocs++;

	fake_fail_thread_create_after(0);
	CHECK(tt_call(t0, sys_clone, CLONE_FORK, 0, 0, 0, 0, 0) < 0);
	fake_fail_thread_create_after(-1);
	/* Copy-on-write needs no frames at fork, only later. */
	fake_fail_frame_alloc_after(0);
	struct proc *c = fork_of(t0);
	CHECK_EQ(peek(c, m + 5 * PAGE_SIZE), 5);
	CHECK_EQ(mm_handle_fault(p->mm, m, PLAT_PROT_WRITE), -ENOMEM);
	fake_fail_frame_alloc_after(-1);
	int cpid = c->pid;
	proc_exit(c, 0);
	CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)-1, 0, 0, 0, 0, 0), cpid);

	int after = 0;
	list_for_each_entry(q, &all_procs, all_link) after++;
	CHECK_EQ(after, nprocs);
	proc_exit(p, 0);
	CHECK_EQ(plat_frames_in_use(), frames00);
}
