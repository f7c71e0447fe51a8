/*
 * x86_64 register file as the core sees a stopped client thread.  Both
 * backends convert to and from this layout (Linux: user_regs_struct; seL4:
 * seL4_UserContext plus the fault message).
 */
#ifndef PERSONA_ARCH_REGS_H
#define PERSONA_ARCH_REGS_H

#include <stdint.h>

struct arch_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	uint64_t fs_base, gs_base;
};

#define ARCH_FPU_STATE_SIZE 512 /* FXSAVE area */

#endif
