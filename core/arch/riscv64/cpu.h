/*
 * What the ELF loader and /proc tell a program about the CPU.  Same names
 * as core/arch/x86_64/cpu.h.
 */
#ifndef PERSONA_CPU_H
#define PERSONA_CPU_H

#include <stddef.h>
#include <stdint.h>

/* AT_HWCAP: on riscv64 a bitmask of the single-letter ISA extensions,
 * bit (letter - 'a').  User mode cannot read misa, so the core promises
 * RV64GC (IMAFDC), the baseline Linux distributions build for; Linux
 * derives it from the device tree.  Deliberate difference: V is never
 * reported, because the core does not save vector state in signal
 * frames. */
uint64_t arch_hwcap(void);
static inline uint64_t arch_hwcap2(void)
{
	return 0;
}
/* AT_MINSIGSTKSZ: Linux reports the rt_sigframe size without vector
 * state (get_rt_sigframe_size(false)): 1088 bytes, which is also exactly
 * the frame sigframe.c writes (checked there). */
#define ARCH_MINSIGSTKSZ 1088
/* riscv64 Linux has no ELF_PLATFORM: no AT_PLATFORM entry. */
#define ARCH_HAS_AT_PLATFORM 0
#define ARCH_PLATFORM ""

/* One processor's paragraph of /proc/cpuinfo, in this architecture's
 * format, into buf (NUL-terminated, truncated to size). */
void arch_cpuinfo(char *buf, size_t size, unsigned cpu, unsigned ncpus);

#endif
