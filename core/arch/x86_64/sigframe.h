/*
 * The x86_64 signal ABI: struct sigaction as rt_sigaction passes it, and
 * building / unwinding the rt_sigframe a handler runs on.  A riscv64
 * sibling provides the same names with its own layouts.
 */
#ifndef PERSONA_SIGFRAME_H
#define PERSONA_SIGFRAME_H

#include "kernel.h"

/* The kernel's struct sigaction on x86_64 (what rt_sigaction copies). */
struct sigaction_lx {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* sa_flags bits Linux keeps (UAPI_SA_FLAGS on x86_64); others read back 0. */
#define ARCH_SA_FLAGS_KEPT                                                                         \
	(LX_SA_NOCLDSTOP | LX_SA_NOCLDWAIT | LX_SA_SIGINFO | LX_SA_EXPOSE_TAGBITS |                \
	 LX_SA_RESTORER | LX_SA_ONSTACK | LX_SA_RESTART | LX_SA_NODEFER | LX_SA_RESETHAND)

/* Per-process signal setup at exec: nothing on x86_64, where the C
 * library passes its own restorer (SA_RESTORER). */
static inline int sigframe_exec_setup(struct proc *p)
{
	return 0;
}

/* Build the frame for signo on t's stack (or its alternate stack) from
 * t->regs and the FPU state, and point t->regs at the handler.  oldmask is
 * the mask to restore at sigreturn.  0, or -EFAULT if the frame could not
 * be written (the caller forces SIGSEGV). */
int sigframe_setup(struct thread *t, int signo, const struct siginfo_lx *info,
                   const struct sigaction_lx *ka, uint64_t oldmask);
/* rt_sigreturn: reload t->regs and the FPU state from the frame at the
 * stack pointer, and return the saved mask and alternate stack.  0 or
 * -EFAULT (bad frame: the caller forces SIGSEGV). */
int sigframe_restore(struct thread *t, uint64_t *mask, struct sigaltstack_lx *ss);

#endif
