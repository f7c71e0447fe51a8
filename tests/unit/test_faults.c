/*
 * Failures injected at the platform interface, swept over every point at
 * which an operation can fail: frame allocation, mapping and thread
 * creation failing under fork, brk, mremap, copy-on-write breaks, signal
 * frame setup and thread creation.  Each attempt ends in
 * success or in the errno Linux gives (ENOMEM, EAGAIN, a SIGSEGV for a
 * frame that cannot be written), and afterwards every frame is back.
 */
#include <string.h>

#include "fake.h"
#include "helpers.h"
#include "mm.h"
#include "unit.h"

#define CLONE_FORK 17              /* clone(SIGCHLD) */
#define CLONE_THREAD_FLAGS 0x50f00 /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
#define SWEEP 40

static void disarm(void)
{
	fake_fail_frame_alloc_after(-1);
	fake_fail_map_after(-1);
	fake_fail_thread_create_after(-1);
}

/* Arm injection point `kind` (0 frames, 1 mappings, 2 threads) after n
 * successful calls. */
static void arm(int kind, int n)
{
	if (kind == 0)
		fake_fail_frame_alloc_after(n);
	else if (kind == 1)
		fake_fail_map_after(n);
	else
		fake_fail_thread_create_after(n);
}

static void touch(struct proc *p, uint64_t m, int pages)
{
	for (int i = 0; i < pages; i++) {
		uint32_t v = (uint32_t)i;
		CHECK_EQ(mm_copy_to(p->mm, m + (uint64_t)i * PAGE_SIZE, &v, 4), 0);
	}
}

TEST(fault_fork_sweep)
{
	uint32_t frames00 = plat_frames_in_use();
	for (int kind = 0; kind < 3; kind++) {
		int ok = 0;
		for (int n = 0; n < SWEEP; n++) {
			struct thread *t0;
			struct proc *p = tt_proc(&t0);
			uint64_t m = tt_mem(p, 16 * PAGE_SIZE);
			touch(p, m, 16);
			arm(kind, n);
			long pid = tt_call(t0, sys_clone, CLONE_FORK, 0, 0, 0, 0, 0);
			/* After the fork, each side's first write breaks the
			 * sharing: under injection it may fail, never crash. */
			int r = mm_handle_fault(p->mm, m, PLAT_PROT_WRITE);
			CHECK(r == 0 || r == -ENOMEM);
			disarm();
			CHECK(pid > 0 || pid == -ENOMEM || pid == -EAGAIN);
			if (pid > 0) {
				ok++;
				proc_exit(proc_by_pid((int)pid), 0);
				CHECK_EQ(tt_call(t0, sys_wait4, (uint64_t)-1, 0, 0, 0, 0, 0), pid);
			}
			proc_exit(p, 0);
			CHECK_EQ(plat_frames_in_use(), frames00);
		}
		CHECK(ok > 0); /* the sweep reached past every failure point */
	}
}

TEST(fault_brk_and_mremap_sweep)
{
	uint32_t frames00 = plat_frames_in_use();
	for (int kind = 0; kind < 2; kind++) {
		for (int n = 0; n < SWEEP; n++) {
			struct thread *t0;
			struct proc *p = tt_proc(&t0);
			mm_set_brk_base(p->mm, 0x10000000);
			long base = tt_call(t0, sys_brk, 0, 0, 0, 0, 0, 0);
			uint64_t m = tt_mem(p, 8 * PAGE_SIZE);
			touch(p, m, 8);
			arm(kind, n);
			long b =
			    tt_call(t0, sys_brk, (uint64_t)base + 8 * PAGE_SIZE, 0, 0, 0, 0, 0);
			CHECK(b == base || b == base + 8 * (long)PAGE_SIZE);
			/* Populating the new break may fail: EFAULT to a copy,
			 * as a client's fault would meet the OOM killer. */
			uint32_t v = 1;
			int r = mm_copy_to(p->mm, (uint64_t)base, &v, 4);
			CHECK(r == 0 || r == -EFAULT);
			for (int i = 0; i < 8; i++)
				mm_handle_fault(p->mm, m + (uint64_t)i * PAGE_SIZE, PLAT_PROT_READ);
			long nm = tt_call(t0, sys_mremap, m, 8 * PAGE_SIZE, 64 * PAGE_SIZE,
			                  1 /* MAYMOVE */, 0, 0);
			CHECK(nm > 0 || nm == -ENOMEM);
			if (nm > 0) {
				uint32_t w = 0;
				r = mm_copy_from(p->mm, &w, (uint64_t)nm + 5 * PAGE_SIZE, 4);
				CHECK(r == -EFAULT || w == 5);
			}
			disarm();
			proc_exit(p, 0);
			CHECK_EQ(plat_frames_in_use(), frames00);
		}
	}
}

TEST(fault_signal_frame)
{
	uint32_t frames00 = plat_frames_in_use();
	struct thread *t;
	struct proc *p = tt_proc(&t);
	int pid = p->pid;
	/* A handler for SIGUSR1 (x86_64 and riscv64 share this layout:
	 * handler, flags, restorer, mask). */
	uint64_t m = tt_mem(p, 16 * PAGE_SIZE);
	uint64_t act[4] = {0x401000, LX_SA_SIGINFO | LX_SA_RESTORER, 0x401100, 0};
	CHECK_EQ(mm_copy_to(p->mm, m, act, sizeof act), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, SIGUSR1, m, 0, 8, 0, 0), 0);
	/* The stack is memory nobody touched: building the frame needs a
	 * frame, and none can be had.  Linux then forces SIGSEGV, which
	 * without a handler ends the process. */
	arch_set_sp(&t->regs, m + 16 * PAGE_SIZE - 64);
	sig_send_thread(t, SIGUSR1, NULL);
	fake_fail_frame_alloc_after(0);
	CHECK(!sig_deliver_pending(t));
	disarm();
	CHECK(proc_by_pid(pid) == NULL);
	CHECK_EQ(plat_frames_in_use(), frames00);
}

TEST(fault_thread_creation)
{
	uint32_t frames00 = plat_frames_in_use();
	struct thread *t;
	struct proc *p = tt_proc(&t);
	uint64_t m = tt_mem(p, 4 * PAGE_SIZE);
	int threads = p->nthreads;
	fake_fail_thread_create_after(0);
	long r = tt_call(t, sys_clone, CLONE_THREAD_FLAGS, m + 2 * PAGE_SIZE, 0, 0, 0, 0);
	disarm();
	CHECK(r == -EAGAIN || r == -ENOMEM);
	CHECK_EQ(p->nthreads, threads);
	proc_exit(p, 0);
	CHECK_EQ(plat_frames_in_use(), frames00);
}
