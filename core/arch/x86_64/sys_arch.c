/*
 * x86_64-only system calls: arch_prctl (fs/gs base, CPUID faulting).
 * Other architectures have no row for them in core/syscalls.def, so the
 * table never references these handlers there.
 */
#include "syscall.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012

long sys_arch_prctl(struct thread *t, const struct sysargs *a)
{
	int code = (int)a->a[0];
	uint64_t arg = a->a[1];

	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (arg >= ARCH_TASK_SIZE_MAX)
			return -EPERM;
		if (code == ARCH_SET_FS)
			t->regs.fs_base = arg;
		else
			t->regs.gs_base = arg;
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(t, arg, &t->regs.fs_base, sizeof t->regs.fs_base);
	case ARCH_GET_GS:
		return copy_to_user(t, arg, &t->regs.gs_base, sizeof t->regs.gs_base);
	case ARCH_GET_CPUID:
		return 1; /* CPUID is not faulting */
	case ARCH_SET_CPUID:
		/* Making CPUID fault needs hardware support Linux often lacks
		 * too; it then answers ENODEV. */
		return -ENODEV;
	default:
		return -EINVAL;
	}
}
