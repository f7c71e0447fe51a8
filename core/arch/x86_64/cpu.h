/*
 * What the ELF loader (auxv) and /proc/cpuinfo tell a program about the
 * CPU.  core/arch/riscv64/cpu.h has the same names.
 */
#ifndef PERSONA_CPU_H
#define PERSONA_CPU_H

#include <stddef.h>
#include <stdint.h>

/* AT_HWCAP: on x86_64, CPUID leaf 1 EDX, as Linux reports it. */
uint64_t arch_hwcap(void);
/* AT_HWCAP2: Linux sets bit 1 (FSGSBASE) only if it enabled the
 * instructions for user space; we do not promise it. */
static inline uint64_t arch_hwcap2(void)
{
	return 0;
}
/* AT_MINSIGSTKSZ: bytes a signal frame needs.  The core's frame is an
 * rt_sigframe with a 512-byte FXSAVE area (about 1 KiB with the ucontext
 * and siginfo); 2048 leaves room. */
#define ARCH_MINSIGSTKSZ 2048
/* AT_PLATFORM */
#define ARCH_HAS_AT_PLATFORM 1
#define ARCH_PLATFORM "x86_64"

/* One processor's paragraph of /proc/cpuinfo, in this architecture's
 * format, into buf (NUL-terminated, truncated to size). */
void arch_cpuinfo(char *buf, size_t size, unsigned cpu, unsigned ncpus);

#endif
