/*
 * Helpers shared by the unit tests that run system calls through the real
 * event loop (test_task.c, test_signal.c).  They live in test_task.c.
 */
#ifndef PERSONA_UNIT_HELPERS_H
#define PERSONA_UNIT_HELPERS_H

#include "syscall.h"
#include "task.h"

#define NR_FUTEX ARCH_SYS_NR(202, 98)

/* A process with an address space, memory manager, signal actions and one
 * running thread, as core_start would make it (no files). */
struct proc *tt_proc(struct thread **t0);
/* len bytes of anonymous read-write memory in p. */
uint64_t tt_mem(struct proc *p, size_t len);
/* Queue system call nr of t as the fake platform would report it; tt_run
 * then serves every queued event, tt_ret reads t's result register. */
void tt_syscall(struct thread *t, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                uint64_t a4, uint64_t a5);
void tt_run(void);
int64_t tt_ret(struct thread *t);
/* Call a handler directly, outside the loop (for calls that never park). */
long tt_call(struct thread *t, sys_handler h, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
             uint64_t a4, uint64_t a5);

#endif
