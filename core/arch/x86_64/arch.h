/*
 * What the core needs to know about x86_64 beyond the register file: the
 * syscall register convention, address-space constants, and the Linux
 * structure layouts that differ between architectures.
 * core/arch/riscv64/arch.h has the same names.
 *
 * Syscall convention: `syscall` with the number in rax, arguments in rdi,
 * rsi, rdx, r10, r8, r9, the result in rax.  Backends report a syscall
 * stop with rip already past the 2-byte instruction (as ptrace and seL4
 * show it); re-running it means rip -= ARCH_SYSCALL_INSN_LEN.
 */
#ifndef PERSONA_ARCH_H
#define PERSONA_ARCH_H

#include <errno.h>
#include <stdint.h>

#include "arch_regs.h"

#define ARCH_NAME "x86_64"
#define ARCH_ELF_MACHINE 62 /* EM_X86_64 */
#define ARCH_SYSCALL_INSN_LEN 2
/* Which column of core/syscalls.def numbers this architecture's calls. */
#define ARCH_SYS_NR(x86_64, riscv64) (x86_64)

/* The first address x86_64 user space cannot have (TASK_SIZE_MAX). */
#define ARCH_TASK_SIZE_MAX 0x7ffffffff000ULL
/* Where Linux puts an ET_DYN program without randomization
 * (ELF_ET_DYN_BASE, page aligned). */
#define ARCH_ET_DYN_BASE 0x555555554000ULL
/* mmap's MAP_32BIT (x86_64 only). */
#define ARCH_MAP_32BIT 0x40
/* struct epoll_event is packed on x86_64: 12 bytes, data at 4. */
#define ARCH_EPOLL_EVENT_SIZE 12
#define ARCH_EPOLL_EVENT_DATA_OFF 4

static inline uint64_t arch_sys_nr(const struct arch_regs *r)
{
	return r->rax;
}
static inline uint64_t arch_sys_arg(const struct arch_regs *r, int i)
{
	switch (i) {
	case 0:
		return r->rdi;
	case 1:
		return r->rsi;
	case 2:
		return r->rdx;
	case 3:
		return r->r10;
	case 4:
		return r->r8;
	default:
		return r->r9;
	}
}
static inline void arch_sys_set_ret(struct arch_regs *r, int64_t v)
{
	r->rax = (uint64_t)v;
}
/* Make the thread run the same system call again when it resumes (a
 * restart after a signal handler with SA_RESTART). */
static inline void arch_sys_rewind(struct arch_regs *r, uint64_t nr, uint64_t arg0)
{
	r->rax = nr;
	r->rip -= ARCH_SYSCALL_INSN_LEN;
}
static inline uint64_t arch_ip(const struct arch_regs *r)
{
	return r->rip;
}
static inline uint64_t arch_sp(const struct arch_regs *r)
{
	return r->rsp;
}
static inline void arch_set_sp(struct arch_regs *r, uint64_t sp)
{
	r->rsp = sp;
}
static inline void arch_set_ip(struct arch_regs *r, uint64_t ip)
{
	r->rip = ip;
}
static inline void arch_set_tls(struct arch_regs *r, uint64_t tls)
{
	r->fs_base = tls;
}
/* clone's CLONE_SETTLS value: Linux refuses a non-user fs_base. */
static inline int arch_check_tls(uint64_t tls)
{
	return tls >= ARCH_TASK_SIZE_MAX ? -EPERM : 0;
}

/* struct stat as the x86_64 kernel writes it (newfstatat, fstat). */
struct lx_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	uint64_t st_atime_sec, st_atime_nsec;
	uint64_t st_mtime_sec, st_mtime_nsec;
	uint64_t st_ctime_sec, st_ctime_nsec;
	int64_t unused[3];
};

#endif
