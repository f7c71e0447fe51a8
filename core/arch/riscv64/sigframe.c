/*
 * The riscv64 rt_sigframe: what a signal handler finds on its stack and
 * what rt_sigreturn reads back.  Laid out as Linux's
 * arch/riscv/kernel/signal.c builds it (programs and unwinders read the
 * ucontext directly):
 *
 *   sp+0    struct siginfo (128 bytes)
 *   sp+128  struct ucontext: uc_flags, uc_link, uc_stack, uc_sigmask,
 *           120 bytes of padding, then at sp+304 (16-aligned) the
 *           sigcontext: user_regs_struct (pc, ra, sp, ... t6) and the
 *           528-byte union __riscv_fp_state
 *   sp+1088 end; sp is 16-byte aligned, and there is no red zone.
 *
 * The handler gets a0 = signo, a1 = &info, a2 = &uc (always, as on Linux,
 * whether or not SA_SIGINFO is set) and ra = the sigreturn trampoline.
 * Its return leaves sp at the frame, where rt_sigreturn finds it.
 *
 * The FP area holds the D-extension state (f0-f31 as 64-bit values, then
 * fcsr) in the first 260 bytes.  The 32-bit word after fcsr is reserved
 * (must be zero at sigreturn) and the next 8 bytes are the header of the
 * first extension context; the core writes none, so it is the END header
 * (magic 0, size 0).  Deliberate difference: vector state is never saved,
 * and a frame naming an extension context is refused at sigreturn.
 */
#include <string.h>

#include "cpu.h"
#include "mm_impl.h"
#include "sigframe.h"
#include "task.h"

#define FP_AREA_SIZE 528
#define FP_D_SIZE 260 /* f[32] + fcsr */
#define FP_RESERVED_OFF 516
#define FP_EXT_MAGIC_OFF 520

struct sigcontext_lx {
	struct arch_regs sc_regs;
	uint8_t sc_fpregs[FP_AREA_SIZE] __attribute__((aligned(16)));
};

struct ucontext_lx {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct sigaltstack_lx uc_stack;
	uint64_t uc_sigmask;
	uint8_t unused[1024 / 8 - 8];
	struct sigcontext_lx uc_mcontext;
};

struct rt_sigframe_lx {
	struct siginfo_lx info;
	struct ucontext_lx uc;
};

_Static_assert(sizeof(struct sigcontext_lx) == 784, "sigcontext layout");
_Static_assert(offsetof(struct ucontext_lx, uc_sigmask) == 40, "ucontext layout");
_Static_assert(offsetof(struct ucontext_lx, uc_mcontext) == 176, "ucontext layout");
_Static_assert(sizeof(struct ucontext_lx) == 960, "ucontext layout");
_Static_assert(offsetof(struct rt_sigframe_lx, uc) == 128, "rt_sigframe layout");
_Static_assert(sizeof(struct rt_sigframe_lx) == ARCH_MINSIGSTKSZ, "rt_sigframe layout");
_Static_assert(ARCH_FPU_STATE_SIZE >= FP_D_SIZE, "FPU state holds f[32] and fcsr");

#define LX_NR_RT_SIGRETURN 139
/* addi a7, zero, 139 (li a7, 139), then ecall: 0x08b00893, 0x00000073. */
static const uint32_t sigtramp_code[2] = {
    (LX_NR_RT_SIGRETURN << 20) | (17 << 7) | 0x13,
    0x00000073,
};

int sigframe_exec_setup(struct proc *p)
{
	long addr = mm_map(p->mm, 0, PAGE_SIZE, PLAT_PROT_READ | PLAT_PROT_EXEC,
	                   LX_MAP_PRIVATE | LX_MAP_ANONYMOUS, NULL, 0);
	if (addr < 0)
		return (int)addr;
	/* The page was just mapped: only a frame allocation can fail. */
	if (mm_copy_to_force(p->mm, (uint64_t)addr, sigtramp_code, sizeof sigtramp_code) < 0)
		return -ENOMEM;
	p->sigtramp = (uint64_t)addr;
	return 0;
}

int sigframe_setup(struct thread *t, int signo, const struct siginfo_lx *info,
                   const struct sigaction_lx *ka, uint64_t oldmask)
{
	struct rt_sigframe_lx f;
	uint8_t fp[ARCH_FPU_STATE_SIZE];
	uint64_t orig_sp = t->regs.sp;
	uint64_t sp = orig_sp;
	bool onstack = sig_on_altstack(t, sp);

	if ((ka->flags & LX_SA_ONSTACK) && sig_altstack_flags(t, sp) == 0) {
		sp = t->altstack.ss_sp + t->altstack.ss_size;
		onstack = true;
	}
	sp = (sp - sizeof f) & ~15UL;
	/* A frame that would overflow the alternate stack is never written
	 * below it: the program dies with SIGSEGV instead, as on Linux. */
	if (onstack && !(sp > t->altstack.ss_sp && sp - t->altstack.ss_sp <= t->altstack.ss_size))
		return -EFAULT;
	/* No trampoline (exec did not map it): nowhere to return to. */
	if (!t->proc->sigtramp)
		return -EFAULT;

	memset(&f, 0, sizeof f);
	f.info = *info;
	f.uc.uc_flags = 0;
	f.uc.uc_link = 0;
	f.uc.uc_stack.ss_sp = t->altstack.ss_sp;
	f.uc.uc_stack.ss_flags =
	    sig_altstack_flags(t, orig_sp) | (int32_t)(t->altstack.ss_flags & LX_SS_AUTODISARM);
	f.uc.uc_stack.ss_size = t->altstack.ss_size;
	f.uc.uc_sigmask = oldmask;
	f.uc.uc_mcontext.sc_regs = t->regs;
	/* Linux leaves the FP registers to the handler as they were; a
	 * backend that cannot read them gives zeros. */
	if (plat_thread_get_fpu(t->pt, fp) < 0)
		memset(fp, 0, sizeof fp);
	memcpy(f.uc.uc_mcontext.sc_fpregs, fp, FP_D_SIZE);
	if (copy_to_user(t, sp, &f, sizeof f) < 0)
		return -EFAULT;

	if (t->altstack.ss_flags & LX_SS_AUTODISARM) {
		t->altstack.ss_sp = 0;
		t->altstack.ss_size = 0;
		t->altstack.ss_flags = LX_SS_DISABLE;
	}
	t->regs.sp = sp;
	t->regs.pc = ka->handler;
	t->regs.ra = t->proc->sigtramp;
	t->regs.a0 = (uint64_t)signo;
	t->regs.a1 = sp + offsetof(struct rt_sigframe_lx, info);
	t->regs.a2 = sp + offsetof(struct rt_sigframe_lx, uc);
	return 0;
}

int sigframe_restore(struct thread *t, uint64_t *mask, struct sigaltstack_lx *ss)
{
	struct rt_sigframe_lx f;
	uint8_t fp[ARCH_FPU_STATE_SIZE];
	uint32_t reserved, magic;

	/* The handler returned with sp back at the frame. */
	if (copy_from_user(t, &f, t->regs.sp, sizeof f) < 0)
		return -EFAULT;
	const uint8_t *fa = f.uc.uc_mcontext.sc_fpregs;
	memcpy(&reserved, fa + FP_RESERVED_OFF, 4);
	memcpy(&magic, fa + FP_EXT_MAGIC_OFF, 4);
	if (reserved != 0 || magic != 0)
		return -EFAULT;
	memset(fp, 0, sizeof fp);
	memcpy(fp, fa, FP_D_SIZE);
	/* Every register comes back, pc and tp included (Linux restores the
	 * whole user_regs_struct). */
	t->regs = f.uc.uc_mcontext.sc_regs;
	plat_thread_set_fpu(t->pt, fp);
	*mask = f.uc.uc_sigmask;
	*ss = f.uc.uc_stack;
	return 0;
}
