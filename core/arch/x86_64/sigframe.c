/*
 * The x86_64 rt_sigframe: what a signal handler finds on its stack and
 * what rt_sigreturn reads back.  Laid out exactly as Linux's
 * arch/x86/kernel/signal.c builds it, because programs (Wasmtime, Rust's
 * stack-overflow handler, JITs) read the ucontext directly:
 *
 *   sp+0    return address (sa_restorer)
 *   sp+8    struct ucontext (uc_flags, uc_link, uc_stack, sigcontext,
 *           uc_sigmask)
 *   sp+312  struct siginfo
 *   above   the 512-byte FXSAVE area, 64-byte aligned (sigcontext.fpstate)
 *
 * The handler starts with (rsp + 8) % 16 == 0, as after a call.
 */
#include <string.h>

#include "sigframe.h"
#include "task.h"

struct sigcontext_lx {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
	uint64_t rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* user address of the FXSAVE area, or 0 */
	uint64_t reserved1[8];
};

struct ucontext_lx {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct sigaltstack_lx uc_stack;
	struct sigcontext_lx uc_mcontext;
	uint64_t uc_sigmask;
};

struct rt_sigframe_lx {
	uint64_t pretcode;
	struct ucontext_lx uc;
	struct siginfo_lx info;
};

_Static_assert(sizeof(struct sigcontext_lx) == 256, "sigcontext layout");
_Static_assert(sizeof(struct ucontext_lx) == 304, "ucontext layout");
_Static_assert(sizeof(struct siginfo_lx) == 128, "siginfo layout");
_Static_assert(offsetof(struct rt_sigframe_lx, info) == 312, "rt_sigframe layout");
_Static_assert(sizeof(struct rt_sigframe_lx) == 440, "rt_sigframe layout");

#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define USER_CS 0x33
#define USER_DS 0x2b
#define REDZONE 128
#define FXSAVE_SIZE ARCH_FPU_STATE_SIZE
/* The FXSAVE bytes the processor leaves to software; Linux puts its
 * xstate magic there when it uses XSAVE.  We never do, so they are 0 and
 * uc_flags has no UC_FP_XSTATE. */
#define FXSAVE_SW_RESERVED 464
#define FXSAVE_MXCSR 24

#define EFL_CF 0x1UL
#define EFL_PF 0x4UL
#define EFL_AF 0x10UL
#define EFL_ZF 0x40UL
#define EFL_SF 0x80UL
#define EFL_TF 0x100UL
#define EFL_DF 0x400UL
#define EFL_OF 0x800UL
#define EFL_RF 0x10000UL
#define EFL_AC 0x40000UL
/* The flags sigreturn may change (Linux's FIX_EFLAGS). */
#define FIX_EFLAGS                                                                                 \
	(EFL_AC | EFL_OF | EFL_DF | EFL_TF | EFL_SF | EFL_ZF | EFL_AF | EFL_PF | EFL_CF | EFL_RF)

/* A freshly initialised FPU (what FNINIT + default MXCSR give): handlers
 * start with it, as Linux clears the user FPU state before a handler. */
static void fpu_init_state(uint8_t *fx)
{
	memset(fx, 0, FXSAVE_SIZE);
	fx[0] = 0x7f; /* FCW = 0x037f */
	fx[1] = 0x03;
	uint32_t mxcsr = 0x1f80;
	memcpy(fx + FXSAVE_MXCSR, &mxcsr, 4);
}

/* trapno / err / cr2 as the hardware exception would have left them.
 * Linux reports the real error code; we only know present-vs-not (write
 * and fetch bits are not known to the core), which is what programs use. */
static void fault_context(const struct siginfo_lx *info, struct sigcontext_lx *sc)
{
	if (info->si_code <= 0 || info->si_code == LX_SI_KERNEL) {
		if (info->si_signo == SIGSEGV && info->si_code == LX_SI_KERNEL)
			sc->trapno = 13; /* #GP */
		return;
	}
	switch (info->si_signo) {
	case SIGSEGV:
	case SIGBUS:
		sc->trapno = 14; /* #PF */
		sc->err = 4 | (info->si_code == 2 /* SEGV_ACCERR */ ? 1 : 0);
		sc->cr2 = info->u.fault.addr;
		break;
	case SIGILL:
		sc->trapno = 6; /* #UD */
		break;
	case SIGTRAP:
		sc->trapno = 3; /* #BP */
		break;
	case SIGFPE:
		sc->trapno = 0; /* #DE */
		break;
	default:
		break;
	}
}

static void save_regs(struct sigcontext_lx *sc, const struct arch_regs *r)
{
	sc->r8 = r->r8;
	sc->r9 = r->r9;
	sc->r10 = r->r10;
	sc->r11 = r->r11;
	sc->r12 = r->r12;
	sc->r13 = r->r13;
	sc->r14 = r->r14;
	sc->r15 = r->r15;
	sc->rdi = r->rdi;
	sc->rsi = r->rsi;
	sc->rbp = r->rbp;
	sc->rbx = r->rbx;
	sc->rdx = r->rdx;
	sc->rax = r->rax;
	sc->rcx = r->rcx;
	sc->rsp = r->rsp;
	sc->rip = r->rip;
	sc->eflags = r->rflags;
	sc->cs = USER_CS;
	sc->ss = USER_DS;
}

static void load_regs(struct arch_regs *r, const struct sigcontext_lx *sc)
{
	r->r8 = sc->r8;
	r->r9 = sc->r9;
	r->r10 = sc->r10;
	r->r11 = sc->r11;
	r->r12 = sc->r12;
	r->r13 = sc->r13;
	r->r14 = sc->r14;
	r->r15 = sc->r15;
	r->rdi = sc->rdi;
	r->rsi = sc->rsi;
	r->rbp = sc->rbp;
	r->rbx = sc->rbx;
	r->rdx = sc->rdx;
	r->rax = sc->rax;
	r->rcx = sc->rcx;
	r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->rflags = (r->rflags & ~FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
	/* fs_base and gs_base are not part of the frame, as on Linux. */
}

int sigframe_setup(struct thread *t, int signo, const struct siginfo_lx *info,
                   const struct sigaction_lx *ka, uint64_t oldmask)
{
	struct rt_sigframe_lx f;
	uint8_t fx[FXSAVE_SIZE];
	uint64_t orig_sp = t->regs.rsp;
	uint64_t sp = orig_sp;
	bool onstack = sig_on_altstack(t, sp);

	sp -= REDZONE;
	if ((ka->flags & LX_SA_ONSTACK) && sig_altstack_flags(t, sp) == 0) {
		sp = t->altstack.ss_sp + t->altstack.ss_size;
		onstack = true;
	}
	uint64_t buf_fx = (sp - FXSAVE_SIZE) & ~63UL;
	sp = ((buf_fx - sizeof f) & ~15UL) - 8;
	/* A frame that would overflow the alternate stack is never written
	 * below it: the program dies with SIGSEGV instead, as on Linux. */
	if (onstack && !(sp > t->altstack.ss_sp && sp - t->altstack.ss_sp <= t->altstack.ss_size))
		return -EFAULT;
	/* x86_64 Linux has no default restorer (no vDSO trampoline). */
	if (!(ka->flags & LX_SA_RESTORER))
		return -EFAULT;

	memset(&f, 0, sizeof f);
	f.pretcode = ka->restorer;
	f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f.uc.uc_link = 0;
	f.uc.uc_stack.ss_sp = t->altstack.ss_sp;
	f.uc.uc_stack.ss_flags =
	    sig_altstack_flags(t, orig_sp) | (int32_t)(t->altstack.ss_flags & LX_SS_AUTODISARM);
	f.uc.uc_stack.ss_size = t->altstack.ss_size;
	save_regs(&f.uc.uc_mcontext, &t->regs);
	fault_context(info, &f.uc.uc_mcontext);
	f.uc.uc_mcontext.oldmask = oldmask;
	f.uc.uc_mcontext.fpstate = buf_fx;
	f.uc.uc_sigmask = oldmask;
	if (ka->flags & LX_SA_SIGINFO)
		f.info = *info;

	if (plat_thread_get_fpu(t->pt, fx) < 0)
		fpu_init_state(fx);
	memset(fx + FXSAVE_SW_RESERVED, 0, FXSAVE_SIZE - FXSAVE_SW_RESERVED);
	if (copy_to_user(t, buf_fx, fx, sizeof fx) < 0 || copy_to_user(t, sp, &f, sizeof f) < 0)
		return -EFAULT;

	if (t->altstack.ss_flags & LX_SS_AUTODISARM) {
		t->altstack.ss_sp = 0;
		t->altstack.ss_size = 0;
		t->altstack.ss_flags = LX_SS_DISABLE;
	}
	fpu_init_state(fx);
	plat_thread_set_fpu(t->pt, fx);

	t->regs.rsp = sp;
	t->regs.rip = ka->handler;
	t->regs.rdi = (uint64_t)signo;
	t->regs.rsi = sp + offsetof(struct rt_sigframe_lx, info);
	t->regs.rdx = sp + offsetof(struct rt_sigframe_lx, uc);
	t->regs.rax = 0;
	t->regs.rflags &= ~(EFL_DF | EFL_RF | EFL_TF);
	return 0;
}

int sigframe_restore(struct thread *t, uint64_t *mask, struct sigaltstack_lx *ss)
{
	struct rt_sigframe_lx f;
	uint8_t fx[FXSAVE_SIZE];
	/* The handler's `ret` popped pretcode: the frame starts 8 below. */
	uint64_t frame = t->regs.rsp - 8;

	if (copy_from_user(t, &f, frame, sizeof f) < 0)
		return -EFAULT;
	const struct sigcontext_lx *sc = &f.uc.uc_mcontext;
	if (sc->fpstate) {
		if (copy_from_user(t, fx, sc->fpstate, sizeof fx) < 0)
			return -EFAULT;
		/* Reserved MXCSR bits would make the restore fault (Linux
		 * masks them the same way). */
		uint32_t mxcsr;
		memcpy(&mxcsr, fx + FXSAVE_MXCSR, 4);
		mxcsr &= 0xffff;
		memcpy(fx + FXSAVE_MXCSR, &mxcsr, 4);
	} else {
		fpu_init_state(fx);
	}
	load_regs(&t->regs, sc);
	plat_thread_set_fpu(t->pt, fx);
	*mask = f.uc.uc_sigmask;
	*ss = f.uc.uc_stack;
	return 0;
}
