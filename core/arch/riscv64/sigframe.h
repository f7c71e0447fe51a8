/*
 * The riscv64 signal ABI: struct sigaction as rt_sigaction passes it, the
 * sigreturn trampoline, and building / unwinding the rt_sigframe a
 * handler runs on.  Same names as core/arch/x86_64/sigframe.h.
 */
#ifndef PERSONA_SIGFRAME_H
#define PERSONA_SIGFRAME_H

#include "kernel.h"

/* The kernel's struct sigaction on riscv64: the asm-generic one without
 * sa_restorer, because riscv64 defines no SA_RESTORER (24 bytes). */
struct sigaction_lx {
	uint64_t handler;
	uint64_t flags;
	uint64_t mask;
};

/* sa_flags bits Linux keeps (UAPI_SA_FLAGS without SA_RESTORER). */
#define ARCH_SA_FLAGS_KEPT                                                                         \
	(LX_SA_NOCLDSTOP | LX_SA_NOCLDWAIT | LX_SA_SIGINFO | LX_SA_EXPOSE_TAGBITS |                \
	 LX_SA_ONSTACK | LX_SA_RESTART | LX_SA_NODEFER | LX_SA_RESETHAND)

/* Handlers return through ra.  Linux points ra at rt_sigreturn in the
 * vDSO; the core has no vDSO, so at exec it maps one read+execute page
 * holding the same two instructions (`li a7, 139; ecall`, the sequence
 * libgcc's unwinder recognises as a signal frame) and remembers its
 * address in p->sigtramp.  Deliberate difference: the page is an
 * anonymous mapping in /proc/<pid>/maps, not [vdso], and there is no
 * AT_SYSINFO_EHDR.  0 or a negative errno. */
int sigframe_exec_setup(struct proc *p);

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
