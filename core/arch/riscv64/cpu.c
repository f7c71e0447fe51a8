/*
 * riscv64 CPU identification for the auxiliary vector and /proc/cpuinfo.
 * Nothing here asks the hardware: misa and the vendor CSRs are readable
 * only in machine mode, so the core describes the RV64GC baseline it
 * promises (see cpu.h).
 */
#include <stdio.h>

#include "cpu.h"

#define HWCAP_ISA(c) (1ULL << ((c) - 'a'))

uint64_t arch_hwcap(void)
{
	return HWCAP_ISA('i') | HWCAP_ISA('m') | HWCAP_ISA('a') | HWCAP_ISA('f') | HWCAP_ISA('d') |
	       HWCAP_ISA('c');
}

/* Linux's show_cpuinfo fields.  mvendorid/marchid/mimpid 0 mean "not
 * implemented" in the privileged spec, which is what a virtual CPU is. */
void arch_cpuinfo(char *buf, size_t size, unsigned cpu, unsigned ncpus)
{
	snprintf(buf, size,
	         "processor\t: %u\nhart\t\t: %u\nisa\t\t: rv64imafdc_zicntr_zicsr_zifencei\n"
	         "mmu\t\t: sv48\nmvendorid\t: 0x0\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\n\n",
	         cpu, cpu);
}
