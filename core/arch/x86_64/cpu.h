/*
 * What the ELF loader tells a program about the CPU (auxv).  A riscv64
 * sibling provides the same names.
 */
#ifndef PERSONA_CPU_H
#define PERSONA_CPU_H

#include <stdint.h>

/* AT_HWCAP: on x86_64, CPUID leaf 1 EDX, as Linux reports it. */
uint64_t arch_hwcap(void);
/* AT_HWCAP2: Linux sets bit 1 (FSGSBASE) only if it enabled the
 * instructions for user space; we do not promise it. */
static inline uint64_t arch_hwcap2(void) { return 0; }
/* AT_MINSIGSTKSZ: bytes a signal frame needs.  The core's frame is an
 * rt_sigframe with a 512-byte FXSAVE area (about 1 KiB with the ucontext
 * and siginfo); 2048 leaves room. */
#define ARCH_MINSIGSTKSZ 2048
/* AT_PLATFORM */
#define ARCH_PLATFORM "x86_64"

#endif
