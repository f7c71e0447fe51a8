/*
 * CPU identification for the auxiliary vector and /proc/cpuinfo.  CPUID
 * is an unprivileged instruction, so this works the same in the
 * Linux-hosted server and in the seL4 root task.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"

uint64_t arch_hwcap(void)
{
	unsigned eax, ebx, ecx, edx;
	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return 0;
	return edx;
}

/* The host CPU's brand string (CPUID 0x80000002-4), or a placeholder. */
static void cpu_brand(char *out, size_t size)
{
	unsigned r[12];
	snprintf(out, size, "Persona virtual CPU");
	if (__get_cpuid_max(0x80000000, NULL) >= 0x80000004) {
		for (unsigned i = 0; i < 3; i++)
			__get_cpuid(0x80000002 + i, &r[i * 4], &r[i * 4 + 1], &r[i * 4 + 2],
			            &r[i * 4 + 3]);
		char s[49];
		memcpy(s, r, 48);
		s[48] = 0;
		char *b = s;
		while (*b == ' ')
			b++;
		if (*b)
			snprintf(out, size, "%s", b);
	}
}

void arch_cpuinfo(char *buf, size_t size, unsigned cpu, unsigned ncpus)
{
	char brand[64];
	cpu_brand(brand, sizeof brand);
	snprintf(buf, size,
	         "processor\t: %u\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
	         "model\t\t: 0\nmodel name\t: %s\nstepping\t: 0\ncpu MHz\t\t: 2000.000\n"
	         "cache size\t: 4096 KB\nphysical id\t: 0\nsiblings\t: %u\n"
	         "core id\t\t: %u\ncpu cores\t: %u\napicid\t\t: %u\nfpu\t\t: yes\n"
	         "fpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\n"
	         "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
	         "pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm pni ssse3 cx16 "
	         "sse4_1 sse4_2 popcnt\n"
	         "bogomips\t: 4000.00\nclflush size\t: 64\ncache_alignment\t: 64\n"
	         "address sizes\t: 46 bits physical, 48 bits virtual\npower management:\n\n",
	         cpu, brand, ncpus, cpu, ncpus, cpu);
}
