/*
 * Thread system calls: clone and clone3 (threads), exit, exit_group,
 * set_tid_address, the robust-list calls, and the scheduler
 * queries (affinity, policy, priority, getcpu, sched_yield), membarrier
 * and personality.  arch_prctl lives in core/arch/x86_64/sys_arch.c.
 */
#include <string.h>

#include "syscall.h"
#include "task.h"

/* ---- clone ------------------------------------------------------------------ */
/* What pthread_create (glibc, musl) and Rust's std ask for, plus flags
 * that change nothing here. */
#define THREAD_FLAGS                                                                               \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |        \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |          \
	 CLONE_DETACHED | CLONE_UNTRACED | CLONE_IO)

/* The first address user space cannot have (the arch's TASK_SIZE_MAX). */
#define TASK_SIZE_MAX ARCH_TASK_SIZE_MAX

static long do_clone(struct thread *t, const struct clone_req *c)
{
	uint64_t f = c->flags;
	struct thread *nt;
	int r;

	/* Linux's copy_process checks, in its order. */
	if ((f & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
		return -EINVAL;
	if ((f & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
		return -EINVAL;
	if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND))
		return -EINVAL;
	if ((f & CLONE_SIGHAND) && !(f & CLONE_VM))
		return -EINVAL;
	if ((f & CLONE_THREAD) && (f & (CLONE_NEWUSER | CLONE_NEWPID)))
		return -EINVAL;
	if ((f & CLONE_PIDFD) && (f & (CLONE_DETACHED | CLONE_THREAD)))
		return -EINVAL;

	if (!(f & CLONE_THREAD))
		return proc_clone(t, c);
	/* The fd table and cwd belong to struct proc: a thread cannot have
	 * its own. */
	if ((f & ~THREAD_FLAGS) || !(f & CLONE_FILES) || !(f & CLONE_FS)) {
		pr_warn_once("persona: warning: clone of a thread with flags %#llx is not "
		             "implemented; the program gets ENOSYS",
		             (unsigned long long)f);
		return -ENOSYS;
	}
	if ((f & CLONE_SETTLS) && (r = arch_check_tls(c->tls)) < 0)
		return r;

	r = thread_create(t->proc, &nt);
	if (r < 0)
		return r;
	nt->regs = t->regs;
	arch_sys_set_ret(&nt->regs, 0);
	if (c->sp)
		arch_set_sp(&nt->regs, c->sp);
	if (f & CLONE_SETTLS)
		arch_set_tls(&nt->regs, c->tls);
	nt->sigmask = t->sigmask;
	memcpy(nt->comm, t->comm, sizeof nt->comm);
	sched_inherit(nt, t);
	if (f & CLONE_CHILD_CLEARTID)
		nt->clear_child_tid = c->child_tid;
	/* Linux ignores a fault on either tid pointer. */
	if (f & CLONE_CHILD_SETTID)
		(void)copy_to_user(t, c->child_tid, &nt->tid, sizeof nt->tid);
	if (f & CLONE_PARENT_SETTID)
		(void)copy_to_user(t, c->parent_tid, &nt->tid, sizeof nt->tid);
	sched_start_thread(nt);
	return nt->tid;
}

long sys_clone(struct thread *t, const struct sysargs *a)
{
	/* x86_64 and riscv64 order: flags, stack, parent_tid, child_tid,
	 * tls (neither has CLONE_BACKWARDS*).  Linux
	 * takes the low 32 bits of flags; the low byte is the exit signal,
	 * which means nothing for a thread. */
	if (t->wake != WAKE_NONE)
		return proc_vfork_wait(t);
	struct clone_req c = {
	    .flags = a->a[0] & CLONE_LEGACY_FLAGS & ~CSIGNAL,
	    .sp = a->a[1],
	    .parent_tid = a->a[2],
	    .child_tid = a->a[3],
	    .pidfd = a->a[2],
	    .tls = a->a[4],
	    .exit_signal = (int)(a->a[0] & CSIGNAL),
	};
	if ((c.flags & CLONE_PIDFD) && (c.flags & CLONE_PARENT_SETTID))
		return -EINVAL; /* both would use parent_tid */
	return do_clone(t, &c);
}

struct clone_args_lx {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_ARGS_SIZE_VER2 88

long sys_clone3(struct thread *t, const struct sysargs *a)
{
	uint64_t uargs = a->a[0], size = a->a[1];
	struct clone_args_lx ca;

	if (t->wake != WAKE_NONE)
		return proc_vfork_wait(t);
	if (size > PAGE_SIZE)
		return -E2BIG;
	if (size < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	memset(&ca, 0, sizeof ca);
	if (copy_from_user(t, &ca, uargs, size < sizeof ca ? size : sizeof ca) < 0)
		return -EFAULT;
	/* A newer caller's larger struct is fine if the part we do not know
	 * is zero (copy_struct_from_user). */
	for (uint64_t off = sizeof ca; off < size; off += 8) {
		uint64_t w = 0;
		size_t n = size - off < 8 ? size - off : 8;
		if (copy_from_user(t, &w, uargs + off, n) < 0)
			return -EFAULT;
		if (w)
			return -E2BIG;
	}
	if (ca.set_tid_size > 32 || (!ca.set_tid && ca.set_tid_size) ||
	    (ca.set_tid && !ca.set_tid_size))
		return -EINVAL;
	if ((ca.exit_signal & ~CSIGNAL) || ca.exit_signal > NSIG_LX)
		return -EINVAL;
	if ((ca.flags & CLONE_INTO_CGROUP) &&
	    (ca.cgroup > 0x7fffffff || size < CLONE_ARGS_SIZE_VER2))
		return -EINVAL;
	if (ca.flags & ~(CLONE_LEGACY_FLAGS | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP))
		return -EINVAL;
	if (ca.flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME)))
		return -EINVAL;
	if ((ca.flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) ==
	    (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND))
		return -EINVAL;
	if ((ca.flags & (CLONE_THREAD | CLONE_PARENT)) && ca.exit_signal)
		return -EINVAL;
	if (!ca.stack ? ca.stack_size != 0 : ca.stack_size == 0)
		return -EINVAL;
	if (ca.stack &&
	    (ca.stack + ca.stack_size < ca.stack || ca.stack + ca.stack_size > TASK_SIZE_MAX))
		return -EINVAL;
	if (ca.set_tid_size)
		return -EPERM; /* choosing tids needs CAP_SYS_ADMIN */

	struct clone_req c = {
	    .flags = ca.flags,
	    .sp = ca.stack ? ca.stack + ca.stack_size : 0,
	    .tls = ca.tls,
	    .parent_tid = ca.parent_tid,
	    .child_tid = ca.child_tid,
	    .pidfd = ca.pidfd,
	    .exit_signal = (int)ca.exit_signal,
	};
	return do_clone(t, &c);
}

/* ---- Ending ------------------------------------------------------------------ */
long sys_exit(struct thread *t, const struct sysargs *a)
{
	struct proc *p = t->proc;
	/* A process whose threads all call exit(2) reports its first
	 * thread's code, as Linux's wait does with the group leader. */
	if (t->tid == p->pid)
		p->exit_status = ((int)a->a[0] & 0xff) << 8;
	thread_exit(t);
	return SYS_GONE;
}

long sys_exit_group(struct thread *t, const struct sysargs *a)
{
	proc_exit(t->proc, ((int)a->a[0] & 0xff) << 8);
	return SYS_GONE;
}

/* ---- Thread bookkeeping ---------------------------------------------------------- */
long sys_set_tid_address(struct thread *t, const struct sysargs *a)
{
	t->clear_child_tid = a->a[0];
	return t->tid;
}

#define ROBUST_LIST_HEAD_SIZE 24

long sys_set_robust_list(struct thread *t, const struct sysargs *a)
{
	if (a->a[1] != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	t->robust_list = a->a[0];
	t->robust_len = a->a[1];
	return 0;
}

long sys_get_robust_list(struct thread *t, const struct sysargs *a)
{
	int pid = (int)a->a[0];
	struct thread *target = pid ? thread_by_tid(pid) : t;
	uint64_t len = ROBUST_LIST_HEAD_SIZE;

	if (!target)
		return -ESRCH;
	if (copy_to_user(t, a->a[2], &len, sizeof len) < 0)
		return -EFAULT;
	if (copy_to_user(t, a->a[1], &target->robust_list, sizeof target->robust_list) < 0)
		return -EFAULT;
	return 0;
}

long sys_gettid(struct thread *t, const struct sysargs *a)
{
	return t->tid;
}

/* ---- Scheduler queries ---------------------------------------------------------- */
/* A thread or process named by a pid argument: 0 is the caller. */
static struct thread *task_by_pid_arg(struct thread *t, int pid)
{
	if (pid == 0)
		return t;
	if (pid < 0)
		return NULL;
	struct thread *x = thread_by_tid(pid);
	if (x)
		return x;
	struct proc *p = proc_by_pid(pid);
	if (p && !list_empty(&p->threads))
		return list_entry(p->threads.next, struct thread, proc_link);
	return NULL;
}

long sys_sched_yield(struct thread *t, const struct sysargs *a)
{
	return 0;
}

/* Bytes of Linux's cpumask for this machine (a multiple of 8). */
static size_t cpumask_bytes(void)
{
	return ((plat_ncpus() + 63) / 64) * 8;
}

long sys_sched_getaffinity(struct thread *t, const struct sysargs *a)
{
	uint64_t len = a->a[1];
	unsigned ncpus = plat_ncpus();
	uint8_t mask[128];

	if (len * 8 < ncpus || (len & 7))
		return -EINVAL;
	if (!task_by_pid_arg(t, (int)a->a[0]))
		return -ESRCH;
	size_t n = cpumask_bytes();
	if (n > sizeof mask)
		n = sizeof mask;
	if (len < n)
		n = len;
	memset(mask, 0, sizeof mask);
	for (unsigned c = 0; c < ncpus && c < n * 8; c++)
		mask[c / 8] |= (uint8_t)(1u << (c % 8));
	if (copy_to_user(t, a->a[2], mask, n) < 0)
		return -EFAULT;
	return (long)n;
}

/* Accepted and remembered nowhere: the platform places threads. */
long sys_sched_setaffinity(struct thread *t, const struct sysargs *a)
{
	uint64_t len = a->a[1];
	unsigned ncpus = plat_ncpus();
	uint8_t mask[128];
	size_t n = cpumask_bytes();
	bool any = false;

	if (n > sizeof mask)
		n = sizeof mask;
	if (len < n)
		n = len;
	memset(mask, 0, sizeof mask);
	if (copy_from_user(t, mask, a->a[2], n) < 0)
		return -EFAULT;
	if (!task_by_pid_arg(t, (int)a->a[0]))
		return -ESRCH;
	for (unsigned c = 0; c < ncpus && c < n * 8; c++)
		if (mask[c / 8] & (1u << (c % 8)))
			any = true;
	return any ? 0 : -EINVAL;
}

#define LX_SCHED_OTHER 0
#define LX_SCHED_FIFO 1
#define LX_SCHED_RR 2
#define LX_SCHED_BATCH 3
#define LX_SCHED_IDLE 5
#define LX_SCHED_DEADLINE 6
#define LX_SCHED_RESET_ON_FORK 0x40000000
#define LX_RLIMIT_RTPRIO 14

void sched_inherit(struct thread *child, const struct thread *parent)
{
	bool reset = parent->sched_reset_on_fork;
	child->sched_policy =
	    reset && (parent->sched_policy == LX_SCHED_FIFO || parent->sched_policy == LX_SCHED_RR)
	        ? LX_SCHED_OTHER
	        : parent->sched_policy;
	child->sched_prio = child->sched_policy == parent->sched_policy ? parent->sched_prio : 0;
	child->sched_reset_on_fork = false;
}

/* Linux's __sched_setscheduler checks for sched_setscheduler (policy >= 0)
 * and sched_setparam (policy -1: keep the thread's). */
static long set_sched(struct thread *t, int pid, int policy, uint64_t uparam)
{
	uint32_t prio;
	if (!uparam || pid < 0)
		return -EINVAL;
	if (copy_from_user(t, &prio, uparam, sizeof prio) < 0)
		return -EFAULT;
	struct thread *x = task_by_pid_arg(t, pid);
	if (!x)
		return -ESRCH;
	bool reset = x->sched_reset_on_fork;
	if (policy < 0) {
		policy = x->sched_policy;
	} else {
		reset = policy & LX_SCHED_RESET_ON_FORK;
		policy &= ~LX_SCHED_RESET_ON_FORK;
	}
	bool rt = policy == LX_SCHED_FIFO || policy == LX_SCHED_RR;
	if (!rt && policy != LX_SCHED_OTHER && policy != LX_SCHED_BATCH &&
	    policy != LX_SCHED_IDLE && policy != LX_SCHED_DEADLINE)
		return -EINVAL;
	if (prio > 99 || rt != (prio != 0) || policy == LX_SCHED_DEADLINE)
		return -EINVAL; /* a deadline task needs sched_setattr's parameters */
	if (!capable(LX_CAP_SYS_NICE)) {
		/* Without CAP_SYS_NICE: real-time priorities up to RLIMIT_RTPRIO,
		 * and SCHED_RESET_ON_FORK may only be set. */
		if (rt && prio > t->proc->rlim[LX_RLIMIT_RTPRIO].cur)
			return -EPERM;
		if (x->sched_reset_on_fork && !reset)
			return -EPERM;
	}
	x->sched_policy = policy;
	x->sched_prio = (int)prio;
	x->sched_reset_on_fork = reset;
	return 0;
}

long sys_sched_setscheduler(struct thread *t, const struct sysargs *a)
{
	int policy = (int)a->a[1];
	if (policy < 0)
		return -EINVAL;
	return set_sched(t, (int)a->a[0], policy, a->a[2]);
}

long sys_sched_setparam(struct thread *t, const struct sysargs *a)
{
	return set_sched(t, (int)a->a[0], -1, a->a[1]);
}

long sys_sched_getscheduler(struct thread *t, const struct sysargs *a)
{
	int pid = (int)a->a[0];
	if (pid < 0)
		return -EINVAL;
	struct thread *x = task_by_pid_arg(t, pid);
	if (!x)
		return -ESRCH;
	return x->sched_policy | (x->sched_reset_on_fork ? LX_SCHED_RESET_ON_FORK : 0);
}

long sys_sched_getparam(struct thread *t, const struct sysargs *a)
{
	int pid = (int)a->a[0];
	if (!a->a[1] || pid < 0)
		return -EINVAL;
	struct thread *x = task_by_pid_arg(t, pid);
	if (!x)
		return -ESRCH;
	int32_t prio = x->sched_prio;
	return copy_to_user(t, a->a[1], &prio, sizeof prio);
}

static long priority_bound(int policy, bool max)
{
	switch (policy) {
	case 1: /* SCHED_FIFO */
	case 2: /* SCHED_RR */
		return max ? 99 : 1;
	case 0: /* SCHED_OTHER */
	case 3: /* SCHED_BATCH */
	case 5: /* SCHED_IDLE */
	case 6: /* SCHED_DEADLINE */
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_sched_get_priority_max(struct thread *t, const struct sysargs *a)
{
	return priority_bound((int)a->a[0], true);
}

long sys_sched_get_priority_min(struct thread *t, const struct sysargs *a)
{
	return priority_bound((int)a->a[0], false);
}

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2

/* The process a getpriority/setpriority (which, who) names, or NULL.  The
 * nice value is kept per process; Linux keeps it per thread. */
static long prio_target(struct thread *t, int which, int who, struct proc **out)
{
	struct proc *p;
	*out = NULL;
	switch (which) {
	case PRIO_PROCESS: {
		struct thread *x = task_by_pid_arg(t, who);
		if (x)
			*out = x->proc;
		break;
	}
	case PRIO_PGRP:
		list_for_each_entry(p, &all_procs,
		                    all_link) if (p->pgid == (who ? who : t->proc->pgid) &&
		                                  !p->exiting) *out = p;
		break;
	case PRIO_USER:
		list_for_each_entry(p, &all_procs,
		                    all_link) if (p->uid ==
		                                      (uint32_t)(who ? who : (int)t->proc->uid) &&
		                                  !p->exiting) *out = p;
		break;
	default:
		return -EINVAL;
	}
	return *out ? 0 : -ESRCH;
}

long sys_getpriority(struct thread *t, const struct sysargs *a)
{
	struct proc *p;
	long r = prio_target(t, (int)a->a[0], (int)a->a[1], &p);
	if (r < 0)
		return r;
	return 20 - p->nice; /* the raw call returns 20 - nice: never negative */
}

long sys_setpriority(struct thread *t, const struct sysargs *a)
{
	int nice = (int)a->a[2];
	struct proc *p;
	long r = prio_target(t, (int)a->a[0], (int)a->a[1], &p);

	if (r < 0)
		return r;
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	/* Lowering it needs CAP_SYS_NICE or RLIMIT_NICE (index 13). */
	if (nice < p->nice && !capable(LX_CAP_SYS_NICE) && (uint64_t)(20 - nice) > p->rlim[13].cur)
		return -EACCES;
	p->nice = nice;
	return 0;
}

long sys_getcpu(struct thread *t, const struct sysargs *a)
{
	uint32_t zero = 0;
	/* The platform does not say where a thread runs: CPU 0, node 0. */
	if (a->a[0] && copy_to_user(t, a->a[0], &zero, sizeof zero) < 0)
		return -EFAULT;
	if (a->a[1] && copy_to_user(t, a->a[1], &zero, sizeof zero) < 0)
		return -EFAULT;
	return 0;
}

/* ---- membarrier -------------------------------------------------------------------- */
#define MB_QUERY 0
#define MB_GLOBAL 1
#define MB_GLOBAL_EXPEDITED 2
#define MB_REGISTER_GLOBAL_EXPEDITED 4
#define MB_PRIVATE_EXPEDITED 8
#define MB_REGISTER_PRIVATE_EXPEDITED 16
#define MB_PRIVATE_EXPEDITED_SYNC_CORE 32
#define MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE 64
#define MB_PRIVATE_EXPEDITED_RSEQ 128
#define MB_FLAG_CPU 1
/* Without rseq, Linux offers no RSEQ commands. */
#define MB_SUPPORTED 127

/* Every other thread of p that runs in the client is made to enter the
 * server, which orders its memory accesses.  Unlike Linux this does not
 * wait until they have stopped: a thread stopped by the platform is
 * serialised anyway, and one that is still running will be soon. */
static void barrier_threads(struct thread *t)
{
	struct thread *x;
	list_for_each_entry(x, &t->proc->threads, proc_link) if (x != t) sched_kick(x);
}

long sys_membarrier(struct thread *t, const struct sysargs *a)
{
	int cmd = (int)a->a[0];
	unsigned flags = (unsigned)a->a[1];
	struct proc *p = t->proc;

	if (cmd == MB_PRIVATE_EXPEDITED_RSEQ ? (flags && flags != MB_FLAG_CPU) : flags != 0)
		return -EINVAL;
	switch (cmd) {
	case MB_QUERY:
		return MB_SUPPORTED;
	case MB_GLOBAL:
	case MB_GLOBAL_EXPEDITED:
		barrier_threads(t);
		return 0;
	case MB_REGISTER_GLOBAL_EXPEDITED:
	case MB_REGISTER_PRIVATE_EXPEDITED:
	case MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		p->membarrier_registered |= (uint32_t)cmd;
		return 0;
	case MB_PRIVATE_EXPEDITED:
	case MB_PRIVATE_EXPEDITED_SYNC_CORE:
		/* The register command is the one bit above. */
		if (!(p->membarrier_registered & ((uint32_t)cmd << 1)))
			return -EPERM;
		barrier_threads(t);
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_personality(struct thread *t, const struct sysargs *a)
{
	uint32_t persona = (uint32_t)a->a[0];
	uint32_t old = t->proc->personality;
	/* Stored and reported; none of its bits changes behaviour here. */
	if (persona != 0xffffffffu)
		t->proc->personality = persona;
	return old;
}
