/*
 * What the core needs to know about x86_64 beyond the register file: the
 * syscall register convention, and the Linux structure layouts that differ
 * between architectures.  riscv64 gets a sibling directory with the same
 * names.
 */
#ifndef PERSONA_ARCH_H
#define PERSONA_ARCH_H

#include <stdint.h>

#include "arch_regs.h"

#define ARCH_NAME "x86_64"
#define ARCH_ELF_MACHINE 62 /* EM_X86_64 */
#define ARCH_SYSCALL_INSN_LEN 2
/* Which column of core/syscalls.def numbers this architecture's calls. */
#define ARCH_SYS_NR(x86_64, riscv64) (x86_64)

static inline uint64_t arch_sys_nr(const struct arch_regs *r) { return r->rax; }
static inline uint64_t arch_sys_arg(const struct arch_regs *r, int i)
{
	switch (i) {
	case 0: return r->rdi;
	case 1: return r->rsi;
	case 2: return r->rdx;
	case 3: return r->r10;
	case 4: return r->r8;
	default: return r->r9;
	}
}
static inline void arch_sys_set_ret(struct arch_regs *r, int64_t v) { r->rax = (uint64_t)v; }
static inline uint64_t arch_ip(const struct arch_regs *r) { return r->rip; }
static inline uint64_t arch_sp(const struct arch_regs *r) { return r->rsp; }
static inline void arch_set_sp(struct arch_regs *r, uint64_t sp) { r->rsp = sp; }
static inline void arch_set_ip(struct arch_regs *r, uint64_t ip) { r->rip = ip; }
static inline void arch_set_tls(struct arch_regs *r, uint64_t tls) { r->fs_base = tls; }

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
