/*
 * CPU identification for the auxiliary vector.  CPUID is an unprivileged
 * instruction, so this works the same in the Linux-hosted server and in
 * the seL4 root task.
 */
#include <cpuid.h>

#include "cpu.h"

uint64_t arch_hwcap(void)
{
	unsigned eax, ebx, ecx, edx;
	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return 0;
	return edx;
}
