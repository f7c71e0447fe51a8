/*
 * riscv64 register file as the core sees a stopped client thread: the
 * order of Linux's struct user_regs_struct (what PTRACE_GETREGSET
 * NT_PRSTATUS and the signal frame's sc_regs hold), so a backend on Linux
 * copies it as it is.  x0 is not stored; the TLS pointer is tp.
 */
#ifndef PERSONA_ARCH_REGS_H
#define PERSONA_ARCH_REGS_H

#include <stdint.h>

struct arch_regs {
	uint64_t pc, ra, sp, gp, tp;
	uint64_t t0, t1, t2;
	uint64_t s0, s1;
	uint64_t a0, a1, a2, a3, a4, a5, a6, a7;
	uint64_t s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
	uint64_t t3, t4, t5, t6;
};

_Static_assert(sizeof(struct arch_regs) == 32 * 8, "user_regs_struct layout");

/* The FPU state a backend hands over (plat_thread_get_fpu): Linux's
 * struct __riscv_d_ext_state, what ptrace NT_PRFPREG gives for an RV64GC
 * hart: f0-f31 as 64-bit values at byte 8*i, fcsr at byte 256, padded to
 * 264.  The vector extension's state is not carried (see sigframe.c). */
#define ARCH_FPU_STATE_SIZE 264
#define ARCH_FPU_FCSR_OFFSET 256

#endif
