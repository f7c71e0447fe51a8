/*
 * Unit tests of signals against the fake platform: the rt_sigframe
 * (x86_64 or riscv64) as a handler sees it and the rt_sigreturn round
 * trip, mask rules,
 * sigaltstack rules, default actions, synchronous faults, kill/tgkill
 * checks, and a signal interrupting a parked call.
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

#define HANDLER 0x400100
#define RESTORER 0x400200

#if defined(__x86_64__)
/* The handler's `ret` pops the return address before rt_sigreturn. */
#define RET_POP 8
/* Where the interrupted call's result lies in the ucontext (rax). */
#define UC_RESULT_OFF (40 + 13 * 8)
#else /* riscv64: returns through ra, sp unchanged; a0 in sc_regs */
#define RET_POP 0
#define UC_RESULT_OFF (176 + 10 * 8)
#endif
#define NR_KILL ARCH_SYS_NR(62, 129)
#define NR_TGKILL ARCH_SYS_NR(234, 131)

/* A struct sigaction as the C library passes it (x86_64: with its
 * restorer, as glibc and musl always do there). */
static struct sigaction_lx mk_action(uint64_t handler, uint64_t flags, uint64_t mask)
{
	struct sigaction_lx sa;
	memset(&sa, 0, sizeof sa);
	sa.handler = handler;
	sa.flags = flags;
	sa.mask = mask;
#if defined(__x86_64__)
	sa.flags |= LX_SA_RESTORER;
	sa.restorer = RESTORER;
#endif
	return sa;
}

static void set_action(struct thread *t, uint64_t m, int sig, uint64_t handler, uint64_t flags,
                       uint64_t mask)
{
	struct sigaction_lx sa = mk_action(handler, flags, mask);
	CHECK_EQ(mm_copy_to(t->proc->mm, m, &sa, sizeof sa), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, (uint64_t)sig, m, 0, 8, 0, 0), 0);
}

static void fill_regs(struct arch_regs *r, uint64_t sp)
{
	uint64_t *w = (uint64_t *)r;
	for (size_t i = 0; i < sizeof *r / 8; i++)
		w[i] = 0x1111111111111111ULL * (i + 1);
	arch_set_sp(r, sp);
	arch_set_ip(r, 0x401234);
	arch_set_tls(r, 0x7000);
#if defined(__x86_64__)
	r->rflags = 0x246;
	r->gs_base = 0;
#endif
}

/* The start of a frame round trip: a SA_SIGINFO handler for SIGUSR1 that
 * also blocks SIGUSR2, recognisable registers (saved in *orig) below
 * stack_top, fpu as the FP state and SIGHUP blocked; then SIGUSR1 from
 * pid 42 (*si) is sent, for the caller to deliver. */
static void frame_start(struct thread *t, uint64_t m, uint64_t stack_top, struct arch_regs *orig,
                        const void *fpu, struct siginfo_lx *si)
{
	set_action(t, m, SIGUSR1, HANDLER, LX_SA_SIGINFO, LX_SIGMASK(SIGUSR2));
	fill_regs(orig, stack_top - 1000);
	t->regs = *orig;
	plat_thread_set_fpu(t->pt, fpu);
	t->sigmask = LX_SIGMASK(SIGHUP);
	*si = (struct siginfo_lx){.si_signo = SIGUSR1, .si_code = LX_SI_TKILL};
	si->u.kill.pid = 42;
	sig_send_thread(t, SIGUSR1, si);
}

/* The handler has clobbered the registers and returns: rt_sigreturn must
 * bring back orig and the mask; the FP state it restored is left in fpu2
 * (clobbered first, as the handler would). */
static void frame_return(struct thread *t, const struct arch_regs *orig, void *fpu2,
                         size_t fpu_size)
{
	memset(fpu2, 0xaa, fpu_size);
	plat_thread_set_fpu(t->pt, fpu2);
	CHECK_EQ(tt_call(t, sys_rt_sigreturn, 0, 0, 0, 0, 0, 0), SYS_NORETURN);
	CHECK(!memcmp(&t->regs, orig, sizeof *orig));
	CHECK_EQ(t->sigmask, LX_SIGMASK(SIGHUP));
	plat_thread_get_fpu(t->pt, fpu2);
}

/* rt_sigreturn of a frame it must refuse: SIGSEGV, which without a
 * handler kills the process. */
static void frame_return_kills(struct thread *t)
{
	int pid = t->proc->pid;
	CHECK_EQ(tt_call(t, sys_rt_sigreturn, 0, 0, 0, 0, 0, 0), 0);
	CHECK(!sig_deliver_pending(t));
	CHECK(proc_by_pid(pid) == NULL);
}

#if defined(__x86_64__)
TEST(test_signal_frame_roundtrip)
{
	struct thread *t;
	struct proc *p = tt_proc(&t);
	uint64_t m = tt_mem(p, 16 * 4096);
	uint64_t stack_top = m + 16 * 4096 - 8;
	uint8_t fpu[512], fpu2[512];
	struct arch_regs orig;
	struct siginfo_lx si;

	for (int i = 0; i < 512; i++)
		fpu[i] = (uint8_t)(i * 7);
	memset(fpu + 464, 0, 48);
	uint32_t mxcsr = 0x1f80;
	memcpy(fpu + 24, &mxcsr, 4);
	frame_start(t, m, stack_top, &orig, fpu, &si);
	CHECK(sig_pending_unblocked(t));
	CHECK(sig_deliver_pending(t));

	const struct arch_regs *r = &t->regs;
	CHECK_EQ(r->rip, HANDLER);
	CHECK_EQ(r->rdi, SIGUSR1);
	CHECK_EQ((r->rsp + 8) % 16, 0);
	CHECK(r->rsp < orig.rsp - 128);
	CHECK_EQ(r->rsi, r->rsp + 312);
	CHECK_EQ(r->rdx, r->rsp + 8);
	CHECK_EQ(r->rax, 0);
	CHECK_EQ(r->fs_base, 0x7000);
	CHECK_EQ(t->sigmask, LX_SIGMASK(SIGHUP) | LX_SIGMASK(SIGUSR1) | LX_SIGMASK(SIGUSR2));

	/* What the handler finds: return address, ucontext, siginfo. */
	uint64_t frame[440 / 8];
	CHECK_EQ(mm_copy_from(p->mm, frame, r->rsp, sizeof frame), 0);
	CHECK_EQ(frame[0], RESTORER);
	CHECK_EQ(frame[1], 6);             /* uc_flags */
	CHECK_EQ(frame[2], 0);             /* uc_link */
	CHECK_EQ(frame[4], LX_SS_DISABLE); /* uc_stack.ss_flags */
	const uint64_t *sc = &frame[6];    /* sigcontext */
	CHECK_EQ(sc[0], orig.r8);
	CHECK_EQ(sc[7], orig.r15);
	CHECK_EQ(sc[8], orig.rdi);
	CHECK_EQ(sc[9], orig.rsi);
	CHECK_EQ(sc[10], orig.rbp);
	CHECK_EQ(sc[11], orig.rbx);
	CHECK_EQ(sc[12], orig.rdx);
	CHECK_EQ(sc[13], orig.rax);
	CHECK_EQ(sc[14], orig.rcx);
	CHECK_EQ(sc[15], orig.rsp);
	CHECK_EQ(sc[16], orig.rip);
	CHECK_EQ(sc[17], orig.rflags);
	CHECK_EQ(sc[18] & 0xffff, 0x33);      /* cs */
	CHECK_EQ(sc[18] >> 48, 0x2b);         /* ss */
	CHECK_EQ(sc[21], LX_SIGMASK(SIGHUP)); /* oldmask */
	uint64_t fpstate = sc[23];
	CHECK_EQ(fpstate % 64, 0);
	CHECK(fpstate >= r->rsp + 440 && fpstate + 512 <= orig.rsp - 128);
	CHECK_EQ(frame[38], LX_SIGMASK(SIGHUP)); /* uc_sigmask */
	int32_t *info = (int32_t *)&frame[39];
	CHECK(info[0] == SIGUSR1 && info[2] == LX_SI_TKILL && info[4] == 42);
	CHECK_EQ(mm_copy_from(p->mm, fpu2, fpstate, 512), 0);
	CHECK(!memcmp(fpu, fpu2, 512));
	/* The handler runs with a clean FPU. */
	plat_thread_get_fpu(t->pt, fpu2);
	CHECK(fpu2[0] == 0x7f && fpu2[1] == 0x03);

	/* The handler clobbers everything, then returns into sa_restorer,
	 * which calls rt_sigreturn with rsp just above the return address. */
	uint64_t sp = r->rsp + 8;
	fill_regs(&t->regs, sp);
	t->regs.rflags = 0x202 | 0x400; /* DF set by the handler */
	frame_return(t, &orig, fpu2, sizeof fpu2);
	CHECK(!memcmp(fpu, fpu2, 512));

	/* A garbage frame: SIGSEGV, and without a handler that kills. */
	t->regs.rsp = 0x10;
	frame_return_kills(t);
}
#else /* riscv64 */
TEST(test_signal_frame_roundtrip)
{
	struct thread *t;
	struct proc *p = tt_proc(&t);
	uint64_t m = tt_mem(p, 16 * 4096);
	uint64_t stack_top = m + 16 * 4096 - 8;
	uint8_t fpu[ARCH_FPU_STATE_SIZE], fpu2[ARCH_FPU_STATE_SIZE];
	struct arch_regs orig;
	struct siginfo_lx si;

	for (size_t i = 0; i < sizeof fpu; i++)
		fpu[i] = (uint8_t)(i * 7);
	memset(fpu + 260, 0, sizeof fpu - 260); /* padding after fcsr */
	frame_start(t, m, stack_top, &orig, fpu, &si);
	CHECK(sig_deliver_pending(t));

	/* Handler entry: a0-a2 = signo, &info, &uc; ra = the trampoline; no
	 * red zone, 16-byte aligned; tp kept. */
	const struct arch_regs *r = &t->regs;
	uint64_t sp = r->sp;
	CHECK_EQ(r->pc, HANDLER);
	CHECK_EQ(r->a0, SIGUSR1);
	CHECK_EQ(sp % 16, 0);
	CHECK(sp + 1088 <= orig.sp && sp + 1088 + 16 > orig.sp);
	CHECK_EQ(r->a1, sp);
	CHECK_EQ(r->a2, sp + 128);
	CHECK(p->sigtramp != 0);
	CHECK_EQ(r->ra, p->sigtramp);
	CHECK_EQ(r->tp, 0x7000);
	CHECK_EQ(t->sigmask, LX_SIGMASK(SIGHUP) | LX_SIGMASK(SIGUSR1) | LX_SIGMASK(SIGUSR2));
	uint32_t code[2];
	CHECK_EQ(mm_copy_from(p->mm, code, p->sigtramp, sizeof code), 0);
	CHECK(code[0] == 0x08b00893 && code[1] == 0x00000073);      /* li a7,139; ecall */
	CHECK_EQ(mm_copy_to(p->mm, p->sigtramp, code, 4), -EFAULT); /* not writable */

	/* The frame: siginfo, then the ucontext with the sigcontext at 176. */
	uint64_t frame[1088 / 8];
	CHECK_EQ(mm_copy_from(p->mm, frame, sp, sizeof frame), 0);
	int32_t *info = (int32_t *)&frame[0];
	CHECK(info[0] == SIGUSR1 && info[2] == LX_SI_TKILL && info[4] == 42);
	CHECK_EQ(frame[16], 0);                         /* uc_flags */
	CHECK_EQ(frame[17], 0);                         /* uc_link */
	CHECK_EQ((uint32_t)frame[19], LX_SS_DISABLE);   /* uc_stack.ss_flags */
	CHECK_EQ(frame[21], LX_SIGMASK(SIGHUP));        /* uc_sigmask */
	CHECK(!memcmp(&frame[38], &orig, sizeof orig)); /* sc_regs */
	CHECK(!memcmp(&frame[70], fpu, 260));           /* f[32], fcsr */
	for (int i = 70 * 8 + 260; i < 1088; i++)
		CHECK(((uint8_t *)frame)[i] == 0); /* reserved, END header */
	/* Linux leaves the FP registers to the handler as they were. */
	plat_thread_get_fpu(t->pt, fpu2);
	CHECK(!memcmp(fpu, fpu2, sizeof fpu));

	/* The handler clobbers everything but sp, returns to the
	 * trampoline, which calls rt_sigreturn. */
	fill_regs(&t->regs, sp);
	t->regs.pc = p->sigtramp + 8;
	frame_return(t, &orig, fpu2, sizeof fpu2);
	CHECK(!memcmp(fpu, fpu2, 260));

	/* A frame whose reserved word is not zero is refused: SIGSEGV,
	 * and without a handler that kills. */
	sig_send_thread(t, SIGUSR1, &si);
	CHECK(sig_deliver_pending(t));
	uint32_t junk = 1;
	CHECK_EQ(mm_copy_to(p->mm, t->regs.sp + 128 + 176 + 256 + 516, &junk, 4), 0);
	frame_return_kills(t);
}
#endif

TEST(test_signal_mask_rules)
{
	struct thread *t;
	struct proc *p = tt_proc(&t);
	uint64_t m = tt_mem(p, 4096);
	uint64_t set = ~0ULL, old;

	CHECK_EQ(mm_copy_to(p->mm, m, &set, 8), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigprocmask, 0, m, m + 8, 8, 0, 0), 0);
	CHECK_EQ(t->sigmask, ~LX_SIG_UNBLOCKABLE);
	CHECK_EQ(mm_copy_from(p->mm, &old, m + 8, 8), 0);
	CHECK_EQ(old, 0);
	CHECK_EQ(tt_call(t, sys_rt_sigprocmask, 1, m, 0, 8, 0, 0), 0);
	CHECK_EQ(t->sigmask, 0);
	CHECK_EQ(tt_call(t, sys_rt_sigprocmask, 7, m, 0, 8, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_rt_sigprocmask, 7, 0, 0, 8, 0, 0), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigprocmask, 0, m, 0, 4, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_rt_sigprocmask, 0, 0x10, 0, 8, 0, 0), -EFAULT);

	/* Pending while blocked; rt_sigpending reports it. */
	set = LX_SIGMASK(SIGUSR1);
	CHECK_EQ(mm_copy_to(p->mm, m, &set, 8), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigprocmask, 0, m, 0, 8, 0, 0), 0);
	CHECK_EQ(tt_call(t, sys_kill, (uint64_t)p->pid, SIGUSR1, 0, 0, 0, 0), 0);
	CHECK(!sig_pending_unblocked(t));
	CHECK_EQ(tt_call(t, sys_rt_sigpending, m + 16, 8, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, &old, m + 16, 8), 0);
	CHECK_EQ(old, LX_SIGMASK(SIGUSR1));
	CHECK_EQ(tt_call(t, sys_rt_sigpending, m + 16, 9, 0, 0, 0, 0), -EINVAL);

	/* rt_sigaction: flags Linux does not keep read back as 0; KILL and
	 * STOP cannot be caught; the mask never holds them. */
	struct sigaction_lx sa = mk_action(HANDLER, ~0ULL, ~0ULL), got;
	CHECK_EQ(mm_copy_to(p->mm, m, &sa, sizeof sa), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, SIGUSR2, m, m + 64, 8, 0, 0), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, SIGUSR2, 0, m + 64, 8, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, &got, m + 64, sizeof got), 0);
	/* riscv64 has no SA_RESTORER (0x04000000). */
	CHECK_EQ(got.flags, ARCH_SYS_NR(0xdc000807ULL, 0xd8000807ULL));
	CHECK_EQ(got.mask, ~LX_SIG_UNBLOCKABLE);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, SIGKILL, m, 0, 8, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, SIGKILL, 0, m + 64, 8, 0, 0), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, 65, 0, m + 64, 8, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, 0, 0, m + 64, 8, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, SIGUSR2, m, 0, 16, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, SIGUSR2, 0x10, 0, 8, 0, 0), -EFAULT);

	/* Setting SIG_IGN discards what is pending. */
	sa.handler = LX_SIG_IGN;
	CHECK_EQ(mm_copy_to(p->mm, m, &sa, sizeof sa), 0);
	CHECK_EQ(tt_call(t, sys_rt_sigaction, SIGUSR1, m, 0, 8, 0, 0), 0);
	CHECK_EQ(sig_pending_set(t), 0);

	/* SA_NODEFER leaves the signal unblocked in its handler; SA_RESETHAND
	 * puts SIG_DFL back. */
	t->sigmask = 0;
	uint64_t stack = tt_mem(p, 4 * 4096) + 4 * 4096 - 64;
	arch_set_sp(&t->regs, stack);
	set_action(t, m, SIGUSR2, HANDLER, LX_SA_NODEFER | LX_SA_RESETHAND, 0);
	sig_send_thread(t, SIGUSR2, NULL);
	CHECK(sig_deliver_pending(t));
	CHECK_EQ(t->sigmask, 0);
	sig_get_action(p, SIGUSR2, &got);
	CHECK_EQ(got.handler, LX_SIG_DFL);
	proc_exit(p, 0);
}

TEST(test_sigaltstack_rules)
{
	struct thread *t;
	struct proc *p = tt_proc(&t);
	uint64_t m = tt_mem(p, 4096);
	uint64_t alt = tt_mem(p, 4 * 4096);
	struct sigaltstack_lx ss = {alt, 0, 0, 1000}, old;

	arch_set_sp(&t->regs, m + 2048);
	CHECK_EQ(mm_copy_to(p->mm, m, &ss, sizeof ss), 0);
	CHECK_EQ(tt_call(t, sys_sigaltstack, m, 0, 0, 0, 0, 0), -ENOMEM);
	ss.ss_flags = 5;
	ss.ss_size = 4 * 4096;
	CHECK_EQ(mm_copy_to(p->mm, m, &ss, sizeof ss), 0);
	CHECK_EQ(tt_call(t, sys_sigaltstack, m, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_sigaltstack, 0x10, 0, 0, 0, 0, 0), -EFAULT);
	CHECK_EQ(tt_call(t, sys_sigaltstack, 0, m + 64, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, &old, m + 64, sizeof old), 0);
	CHECK_EQ(old.ss_flags, LX_SS_DISABLE);
	ss.ss_flags = 0;
	CHECK_EQ(mm_copy_to(p->mm, m, &ss, sizeof ss), 0);
	CHECK_EQ(tt_call(t, sys_sigaltstack, m, 0, 0, 0, 0, 0), 0);

	/* A SA_ONSTACK handler runs on it, and sees SS_ONSTACK there; a
	 * change while on it is EPERM. */
	set_action(t, m + 128, SIGSEGV, HANDLER, LX_SA_ONSTACK | LX_SA_SIGINFO, 0);
	sig_force_fault(t, SIGSEGV, 1, 0xdead000);
	CHECK(sig_deliver_pending(t));
	CHECK(arch_sp(&t->regs) > alt && arch_sp(&t->regs) < alt + 4 * 4096);
	/* The handler's arguments are the first three call arguments. */
	CHECK_EQ(arch_sys_arg(&t->regs, 0), SIGSEGV);
	int32_t info[8];
	uint64_t addr;
	CHECK_EQ(mm_copy_from(p->mm, info, arch_sys_arg(&t->regs, 1), sizeof info), 0);
	CHECK_EQ(info[0], SIGSEGV);
	CHECK_EQ(info[2], 1); /* SEGV_MAPERR */
	memcpy(&addr, &info[4], 8);
	CHECK_EQ(addr, 0xdead000);
#if defined(__x86_64__)
	uint64_t sc[32];
	CHECK_EQ(mm_copy_from(p->mm, sc, t->regs.rdx + 40, sizeof sc), 0);
	CHECK_EQ(sc[20], 14);        /* trapno: page fault */
	CHECK_EQ(sc[22], 0xdead000); /* cr2 */
#endif
	CHECK_EQ(tt_call(t, sys_sigaltstack, 0, m + 64, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, &old, m + 64, sizeof old), 0);
	CHECK_EQ(old.ss_flags, LX_SS_ONSTACK);
	CHECK_EQ(tt_call(t, sys_sigaltstack, m, 0, 0, 0, 0, 0), -EPERM);

	/* A nested SIGSEGV on the same stack goes below the first frame. */
	uint64_t first = arch_sp(&t->regs);
	t->sigmask = 0;
	sig_force_fault(t, SIGSEGV, 2, 0xbeef000);
	CHECK(sig_deliver_pending(t));
	CHECK(arch_sp(&t->regs) < first && arch_sp(&t->regs) > alt);
	proc_exit(p, 0);
}

TEST(test_sigaltstack_autodisarm)
{
	struct thread *t;
	struct proc *p = tt_proc(&t);
	uint64_t m = tt_mem(p, 4 * 4096);
	uint64_t alt = tt_mem(p, 4 * 4096);
	struct sigaltstack_lx ss = {alt, (int32_t)LX_SS_AUTODISARM, 0, 4 * 4096}, old;

	arch_set_sp(&t->regs, m + 4 * 4096 - 64);
	CHECK_EQ(mm_copy_to(p->mm, m, &ss, sizeof ss), 0);
	CHECK_EQ(tt_call(t, sys_sigaltstack, m, 0, 0, 0, 0, 0), 0);
	set_action(t, m + 128, SIGUSR1, HANDLER, LX_SA_ONSTACK, 0);
	sig_send_thread(t, SIGUSR1, NULL);
	CHECK(sig_deliver_pending(t));
	CHECK(arch_sp(&t->regs) > alt && arch_sp(&t->regs) < alt + 4 * 4096);
	/* Disarmed inside the handler; the frame keeps what to restore. */
	CHECK_EQ(tt_call(t, sys_sigaltstack, 0, m + 64, 0, 0, 0, 0), 0);
	CHECK_EQ(mm_copy_from(p->mm, &old, m + 64, sizeof old), 0);
	CHECK_EQ(old.ss_flags, LX_SS_DISABLE);
	arch_set_sp(&t->regs, arch_sp(&t->regs) + RET_POP);
	CHECK_EQ(tt_call(t, sys_rt_sigreturn, 0, 0, 0, 0, 0, 0), SYS_NORETURN);
	CHECK_EQ(t->altstack.ss_sp, alt);
	CHECK_EQ(t->altstack.ss_size, 4 * 4096);
	proc_exit(p, 0);
}

TEST(test_signal_default_actions)
{
	struct thread *t;
	struct proc *p = tt_proc(&t);
	int pid = p->pid;

	sig_send_proc(p, SIGCHLD, NULL); /* ignored by default: dropped */
	CHECK_EQ(sig_pending_set(t), 0);
	sig_send_proc(p, SIGTSTP, NULL); /* stop: ignored for now */
	CHECK(sig_deliver_pending(t));
	sig_send_proc(p, SIGTERM, NULL);
	CHECK(sig_pending_unblocked(t));
	CHECK(!sig_deliver_pending(t));
	CHECK(proc_by_pid(pid) == NULL);

	/* A fault with a core action; the core bit only with RLIMIT_CORE. */
	p = tt_proc(&t);
	pid = p->pid;
	sig_force_fault(t, SIGSEGV, 1, 0);
	CHECK(!sig_deliver_pending(t));
	CHECK(proc_by_pid(pid) == NULL);

	/* A blocked fault cannot be survived even with a handler. */
	p = tt_proc(&t);
	uint64_t m = tt_mem(p, 4096);
	set_action(t, m, SIGILL, HANDLER, 0, 0);
	t->sigmask = LX_SIGMASK(SIGILL);
	sig_force_fault(t, SIGILL, 2, 0);
	CHECK_EQ(t->sigmask, 0);
	CHECK(!sig_deliver_pending(t));

	/* A handler whose frame cannot be written: SIGSEGV kills. */
	p = tt_proc(&t);
	m = tt_mem(p, 4096);
	set_action(t, m, SIGUSR1, HANDLER, 0, 0);
	set_action(t, m, SIGSEGV, HANDLER, 0, 0);
	arch_set_sp(&t->regs, 0x2000);
	sig_send_thread(t, SIGUSR1, NULL);
	CHECK(!sig_deliver_pending(t));
}

TEST(test_signal_sigkill_through_the_loop)
{
	struct thread *t0, *t1;
	struct proc *p = tt_proc(&t0);
	CHECK_EQ(thread_create(p, &t1), 0);
	uint64_t m = tt_mem(p, 4096);
	tt_syscall(t1, NR_FUTEX, m, 128, 0, 0, 0, 0); /* a parked thread goes too */
	tt_syscall(t0, NR_KILL, (uint64_t)p->pid, SIGKILL, 0, 0, 0, 0);
	int pid = p->pid;
	tt_run();
	CHECK(proc_by_pid(pid) == NULL);
}

TEST(test_signal_interrupts_parked_call)
{
	struct thread *t0, *t1;
	struct proc *p = tt_proc(&t0);
	CHECK_EQ(thread_create(p, &t1), 0);
	t1->state = TS_RUNNING;
	uint64_t m = tt_mem(p, 8 * 4096);
	struct arch_regs r = *fake_thread_regs(t1->pt);
	arch_set_sp(&r, m + 8 * 4096 - 64);
	fake_set_thread_regs(t1->pt, &r);
	set_action(t0, m, SIGUSR1, HANDLER, 0, 0);

	tt_syscall(t1, NR_FUTEX, m + 4096, 128, 0, 0, 0, 0); /* futex wait */
	tt_run();
	CHECK_EQ(t1->state, TS_PARKED);
	/* Blocked by t1: stays pending, t1 sleeps on. */
	t1->sigmask = LX_SIGMASK(SIGUSR1);
	tt_syscall(t0, NR_TGKILL, (uint64_t)p->pid, (uint64_t)t1->tid, SIGUSR1, 0, 0, 0);
	tt_run();
	CHECK_EQ(tt_ret(t0), 0);
	CHECK_EQ(t1->state, TS_PARKED);
	/* A process-directed one goes to t0, which does not block it. */
	t0->sigmask = 0;
	CHECK_EQ(tt_call(t0, sys_kill, (uint64_t)p->pid, SIGUSR2, 0, 0, 0, 0), 0);
	CHECK(t0->proc->sigpending & LX_SIGMASK(SIGUSR2));
	p->sigpending = 0;
	/* Unblocked: EINTR, and the handler frame is built on return. */
	t1->sigmask = 0;
	sig_send_thread(t1, SIGUSR1, NULL); /* already pending: no-op */
	thread_wake(t1, WAKE_SIGNAL);
	tt_run();
	CHECK_EQ(t1->state, TS_RUNNING);
	const struct arch_regs *fr = fake_thread_regs(t1->pt);
	CHECK_EQ(arch_ip(fr), HANDLER);
	uint64_t sc_ret;
	CHECK_EQ(mm_copy_from(p->mm, &sc_ret, arch_sys_arg(fr, 2) + UC_RESULT_OFF, 8), 0);
	CHECK_EQ((int64_t)sc_ret, -EINTR);
	proc_exit(p, 0);
}

TEST(test_kill_checks)
{
	struct thread *t;
	struct proc *p = tt_proc(&t);
	CHECK_EQ(tt_call(t, sys_kill, (uint64_t)p->pid, 65, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_kill, 99999999, 65, 0, 0, 0, 0), -ESRCH);
	CHECK_EQ(tt_call(t, sys_kill, (uint64_t)p->pid, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t, sys_kill, 0, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t, sys_kill, (uint64_t)-1, 0, 0, 0, 0, 0), -ESRCH);
	CHECK_EQ(tt_call(t, sys_kill, (uint64_t)-12345, 0, 0, 0, 0, 0), -ESRCH);
	CHECK_EQ(tt_call(t, sys_tkill, 0, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_tkill, (uint64_t)t->tid, 0, 0, 0, 0, 0), 0);
	CHECK_EQ(tt_call(t, sys_tgkill, (uint64_t)p->pid, 99999999, 99, 0, 0, 0), -ESRCH);
	CHECK_EQ(tt_call(t, sys_tgkill, (uint64_t)p->pid + 1, (uint64_t)t->tid, 0, 0, 0, 0),
	         -ESRCH);
	CHECK_EQ(tt_call(t, sys_tgkill, (uint64_t)p->pid, (uint64_t)t->tid, 99, 0, 0, 0), -EINVAL);
	CHECK_EQ(tt_call(t, sys_tgkill, 0, (uint64_t)t->tid, 1, 0, 0, 0), -EINVAL);
	CHECK_EQ(sig_pending_set(t), 0);
	proc_exit(p, 0);
}
