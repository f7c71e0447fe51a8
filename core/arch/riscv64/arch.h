/*
 * What the core needs to know about riscv64 beyond the register file: the
 * syscall register convention, address-space constants, and the Linux
 * structure layouts that differ between architectures.  Same names as
 * core/arch/x86_64/arch.h.
 *
 * Syscall convention: `ecall` with the number in a7, arguments in a0-a5,
 * the result in a0 (so a0 is both the first argument and the result;
 * the core reads all arguments into t->cur before it writes a result).
 * Backends report a syscall stop with pc already past the 4-byte ecall,
 * as Linux's ptrace shows it (do_trap_ecall_u advances epc before the
 * tracer sees the stop): the core resumes at pc unchanged, and re-running
 * the instruction means pc -= ARCH_SYSCALL_INSN_LEN (and, unlike x86_64,
 * restoring a0 from the saved first argument).
 */
#ifndef PERSONA_ARCH_H
#define PERSONA_ARCH_H

#include <errno.h>
#include <stdint.h>

#include "arch_regs.h"

#define ARCH_NAME "riscv64"
#define ARCH_ELF_MACHINE 243 /* EM_RISCV */
#define ARCH_SYSCALL_INSN_LEN 4
/* Which column of core/syscalls.def numbers this architecture's calls. */
#define ARCH_SYS_NR(x86_64, riscv64) (riscv64)

/* Where user space ends for the checks Linux makes against TASK_SIZE
 * (clone3's stack).  Linux's riscv64 value depends on the MMU mode
 * (sv39: 1 << 38, sv48: 1 << 47, sv57: 1 << 56); mmap stays below 1 << 47
 * without a hint, so that is the value the core assumes. */
#define ARCH_TASK_SIZE_MAX (1ULL << 47)
/* Where Linux puts an ET_DYN program without randomization: riscv64's
 * ELF_ET_DYN_BASE, 2/3 of the 47-bit mmap window, page aligned. */
#define ARCH_ET_DYN_BASE 0x555555555000ULL
/* riscv64 has no MAP_32BIT: 0x40 is an unknown mmap flag there (ignored
 * by legacy mmap, refused by MAP_SHARED_VALIDATE). */
#define ARCH_MAP_32BIT 0
/* struct epoll_event is naturally aligned here: 16 bytes, data at 8. */
#define ARCH_EPOLL_EVENT_SIZE 16
#define ARCH_EPOLL_EVENT_DATA_OFF 8

static inline uint64_t arch_sys_nr(const struct arch_regs *r)
{
	return r->a7;
}
static inline uint64_t arch_sys_arg(const struct arch_regs *r, int i)
{
	switch (i) {
	case 0:
		return r->a0;
	case 1:
		return r->a1;
	case 2:
		return r->a2;
	case 3:
		return r->a3;
	case 4:
		return r->a4;
	default:
		return r->a5;
	}
}
static inline void arch_sys_set_ret(struct arch_regs *r, int64_t v)
{
	r->a0 = (uint64_t)v;
}
/* Make the thread run the same system call again when it resumes: a0 held
 * the result, so the first argument comes back too. */
static inline void arch_sys_rewind(struct arch_regs *r, uint64_t nr, uint64_t arg0)
{
	r->a7 = nr;
	r->a0 = arg0;
	r->pc -= ARCH_SYSCALL_INSN_LEN;
}
static inline uint64_t arch_ip(const struct arch_regs *r)
{
	return r->pc;
}
static inline uint64_t arch_sp(const struct arch_regs *r)
{
	return r->sp;
}
static inline void arch_set_sp(struct arch_regs *r, uint64_t sp)
{
	r->sp = sp;
}
static inline void arch_set_ip(struct arch_regs *r, uint64_t ip)
{
	r->pc = ip;
}
static inline void arch_set_tls(struct arch_regs *r, uint64_t tls)
{
	r->tp = tls;
}
/* clone's CLONE_SETTLS value: riscv64 Linux stores any value in tp. */
static inline int arch_check_tls(uint64_t tls)
{
	return 0;
}

/* struct stat as the riscv64 kernel writes it (newfstatat, fstat): the
 * asm-generic layout (include/uapi/asm-generic/stat.h). */
struct lx_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint32_t st_mode;
	uint32_t st_nlink;
	uint32_t st_uid;
	uint32_t st_gid;
	uint64_t st_rdev;
	uint64_t pad1;
	int64_t st_size;
	int32_t st_blksize;
	int32_t pad2;
	int64_t st_blocks;
	int64_t st_atime_sec;
	uint64_t st_atime_nsec;
	int64_t st_mtime_sec;
	uint64_t st_mtime_nsec;
	int64_t st_ctime_sec;
	uint64_t st_ctime_nsec;
	uint32_t unused4, unused5;
};

_Static_assert(sizeof(struct lx_stat) == 128, "asm-generic struct stat");

/* Other layouts that differ from x86_64, for whoever implements them:
 * struct epoll_event is 16 bytes here (x86_64 packs it into 12); the
 * kernel's struct sigaction has no sa_restorer (sigframe.h).  statfs,
 * flock, termios, the open/mmap flags and the signal numbers are the
 * same. */

#endif
