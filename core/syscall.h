/* Declarations of every syscall handler named in syscalls.def. */
#ifndef PERSONA_SYSCALL_H
#define PERSONA_SYSCALL_H

#include "kernel.h"

#define SC(name, x86, rv, handler, status, k1, k2, k3, k4, k5, k6, note)                           \
	long handler(struct thread *t, const struct sysargs *a);
#include "syscalls.def"
#undef SC

enum sys_status { SYS_FULL, SYS_PARTIAL, SYS_NONE };

struct sys_entry {
	const char *name;
	int nr_x86_64, nr_riscv64;
	sys_handler handler;
	enum sys_status status;
	unsigned char kind[6]; /* enum trace_kind */
	const char *note;
};

/* The table for the architecture this core is built for, indexed by
 * syscall number; rows with a NULL name are holes. */
extern const struct sys_entry sys_table[];
extern const unsigned sys_table_len;
const struct sys_entry *sys_lookup(uint64_t nr);

#endif
