/*
 * Signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending,
 * sigaltstack, kill, tkill, tgkill, rt_sigreturn.  They check what the
 * program passed and leave the work to signal.c and the arch's frame code.
 */
#include <limits.h>
#include <string.h>

#include "sigframe.h"
#include "syscall.h"
#include "task.h"

#define LX_SIG_BLOCK 0
#define LX_SIG_UNBLOCK 1
#define LX_SIG_SETMASK 2
#define SIGSET_SIZE 8

static bool valid_signal(int sig)
{
	return sig >= 0 && sig <= NSIG_LX;
}

long sys_rt_sigaction(struct thread *t, const struct sysargs *a)
{
	int sig = (int)a->a[0];
	uint64_t uact = a->a[1], uoact = a->a[2];
	struct sigaction_lx act, old;

	if (a->a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (uact && copy_from_user(t, &act, uact, sizeof act) < 0)
		return -EFAULT;
	if (sig < 1 || sig > NSIG_LX || (uact && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	sig_get_action(t->proc, sig, &old);
	old.flags &= ARCH_SA_FLAGS_KEPT;
	if (uact) {
		act.flags &= ARCH_SA_FLAGS_KEPT;
		act.mask &= ~LX_SIG_UNBLOCKABLE;
		sig_set_action(t->proc, sig, &act);
	}
	/* As on Linux, the new action stays even if oact faults. */
	if (uoact && copy_to_user(t, uoact, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(struct thread *t, const struct sysargs *a)
{
	int how = (int)a->a[0];
	uint64_t uset = a->a[1], uoset = a->a[2];
	uint64_t old = t->sigmask, set;

	if (a->a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (uset) {
		if (copy_from_user(t, &set, uset, sizeof set) < 0)
			return -EFAULT;
		switch (how) {
		case LX_SIG_BLOCK:
			set = old | set;
			break;
		case LX_SIG_UNBLOCK:
			set = old & ~set;
			break;
		case LX_SIG_SETMASK:
			break;
		default:
			return -EINVAL;
		}
		sig_set_mask(t, set);
	}
	if (uoset && copy_to_user(t, uoset, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(struct thread *t, const struct sysargs *a)
{
	uint64_t size = a->a[1];
	uint64_t set = sig_pending_set(t) & t->sigmask;

	/* Linux copies sigsetsize bytes and accepts anything up to 8. */
	if (size > SIGSET_SIZE)
		return -EINVAL;
	if (copy_to_user(t, a->a[0], &set, size) < 0)
		return -EFAULT;
	return 0;
}

long sys_sigaltstack(struct thread *t, const struct sysargs *a)
{
	uint64_t uss = a->a[0], uoss = a->a[1];
	struct sigaltstack_lx ss, old;
	uint64_t sp = arch_sp(&t->regs);

	if (uss && copy_from_user(t, &ss, uss, sizeof ss) < 0)
		return -EFAULT;
	memset(&old, 0, sizeof old);
	old.ss_sp = t->altstack.ss_sp;
	old.ss_size = t->altstack.ss_size;
	old.ss_flags =
	    sig_altstack_flags(t, sp) | (int32_t)(t->altstack.ss_flags & LX_SS_AUTODISARM);
	if (uss) {
		int r = sig_altstack_set(t, &ss, sp);
		if (r < 0)
			return r;
	}
	if (uoss && copy_to_user(t, uoss, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

static void user_info(struct siginfo_lx *si, struct thread *sender, int sig, int code)
{
	memset(si, 0, sizeof *si);
	si->si_signo = sig;
	si->si_code = code;
	si->u.kill.pid = sender->proc->pid;
	si->u.kill.uid = sender->proc->uid;
}

/* Send to every process of a group: Linux's __kill_pgrp_info. */
static long kill_pgrp(struct thread *t, int pgid, int sig, const struct siginfo_lx *si)
{
	struct proc *p;
	bool found = false;

	bool sent = false;
	list_for_each_entry(p, &all_procs, all_link)
	{
		if (p->pgid != pgid || p->exiting)
			continue;
		if (!valid_signal(sig))
			return -EINVAL;
		found = true;
		if (!cred_may_signal(t->proc, p, sig))
			continue;
		sent = true;
		if (sig)
			sig_send_proc_from(p, sig, si, t);
	}
	/* Linux's __kill_pgrp_info: success if any member could be sent it. */
	return !found ? -ESRCH : sent ? 0 : -EPERM;
}

/* kill(2) to one process p (NULL: none): ESRCH, EINVAL, EPERM in Linux's
 * order; a zombie still has its pid, and the signal goes nowhere. */
static long kill_proc(struct thread *t, struct proc *p, int sig, const struct siginfo_lx *si)
{
	if (!p)
		return -ESRCH;
	if (!valid_signal(sig))
		return -EINVAL;
	if (!cred_may_signal(t->proc, p, sig))
		return -EPERM;
	if (sig && !p->exiting)
		sig_send_proc_from(p, sig, si, t);
	return 0;
}

/* A siginfo the caller made itself: any si_code for itself, but only
 * negative codes other than SI_TKILL for others, so that no one can fake
 * a kernel signal (Linux's rule for sigqueue and pidfd_send_signal). */
static bool forged_info_denied(struct thread *t, const struct proc *to, const struct siginfo_lx *si)
{
	return to != t->proc && (si->si_code >= 0 || si->si_code == LX_SI_TKILL);
}

long sys_kill(struct thread *t, const struct sysargs *a)
{
	int pid = (int)a->a[0], sig = (int)a->a[1];
	struct siginfo_lx si;
	struct proc *p;

	user_info(&si, t, sig, LX_SI_USER);
	if (pid > 0)
		return kill_proc(t, proc_by_pid(pid), sig, &si);
	if (pid == INT_MIN)
		return -ESRCH;
	if (pid != -1)
		return kill_pgrp(t, pid ? -pid : t->proc->pgid, sig, &si);

	/* -1: every process but pid 1 and the caller's own, as on Linux (so
	 * with a single process there is nobody to signal). */
	long ret = -ESRCH;
	list_for_each_entry(p, &all_procs, all_link)
	{
		if (p->pid <= 1 || p == t->proc || p->exiting)
			continue;
		if (!valid_signal(sig))
			return -EINVAL;
		ret = 0; /* those it may not signal are skipped, not an error */
		if (sig && cred_may_signal(t->proc, p, sig))
			sig_send_proc_from(p, sig, &si, t);
	}
	return ret;
}

static long send_specific(struct thread *t, int tgid, int tid, int sig)
{
	struct thread *target = thread_by_tid(tid);
	struct siginfo_lx si;

	if (!target || target->state == TS_DEAD || (tgid > 0 && target->proc->pid != tgid))
		return -ESRCH;
	if (!valid_signal(sig))
		return -EINVAL;
	if (!cred_may_signal(t->proc, target->proc, sig))
		return -EPERM;
	if (sig) {
		user_info(&si, t, sig, LX_SI_TKILL);
		sig_send_thread(target, sig, &si);
	}
	return 0;
}

long sys_tkill(struct thread *t, const struct sysargs *a)
{
	int tid = (int)a->a[0];
	if (tid <= 0)
		return -EINVAL;
	return send_specific(t, 0, tid, (int)a->a[1]);
}

long sys_tgkill(struct thread *t, const struct sysargs *a)
{
	int tgid = (int)a->a[0], tid = (int)a->a[1];
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	return send_specific(t, tgid, tid, (int)a->a[2]);
}

/* sigqueue(3) and pthread_sigqueue: a siginfo from the caller. */
static long queue_info(struct thread *t, int tgid, int tid, int sig, uint64_t uinfo)
{
	struct siginfo_lx si;
	struct thread *target = NULL;
	struct proc *p;

	if (copy_from_user(t, &si, uinfo, sizeof si) < 0)
		return -EFAULT;
	p = proc_by_pid(tgid);
	if (tid > 0) {
		target = thread_by_tid(tid);
		if (!target || target->state == TS_DEAD || target->proc->pid != tgid)
			return -ESRCH;
	} else if (!p || p->exiting) {
		return -ESRCH;
	}
	if (forged_info_denied(t, p, &si))
		return -EPERM;
	if (!valid_signal(sig))
		return -EINVAL;
	if (!cred_may_signal(t->proc, target ? target->proc : p, sig))
		return -EPERM;
	if (!sig)
		return 0;
	si.si_signo = sig;
	if (target)
		sig_send_thread(target, sig, &si);
	else
		sig_send_proc_from(p, sig, &si, t);
	return 0;
}

/* pidfd_send_signal(pidfd, sig, info, flags): kill(2) to the process the
 * pidfd names (ESRCH once it has been reaped), with sigqueue's rule for a
 * siginfo given by the caller. */
long sys_pidfd_send_signal(struct thread *t, const struct sysargs *a)
{
	int sig = (int)a->a[1];
	struct siginfo_lx si;
	struct proc *p;
	if (a->a[3])
		return -EINVAL;
	long r = pidfd_target(t, (int)a->a[0], &p, NULL);
	if (r < 0)
		return r;
	if (a->a[2]) {
		if (copy_from_user(t, &si, a->a[2], sizeof si) < 0)
			return -EFAULT;
		if (si.si_signo != sig)
			return -EINVAL;
		if (forged_info_denied(t, p, &si))
			return -EPERM;
	} else {
		user_info(&si, t, sig, LX_SI_USER);
	}
	return kill_proc(t, p, sig, &si);
}

long sys_rt_sigqueueinfo(struct thread *t, const struct sysargs *a)
{
	return queue_info(t, (int)a->a[0], 0, (int)a->a[1], a->a[2]);
}

long sys_rt_tgsigqueueinfo(struct thread *t, const struct sysargs *a)
{
	if ((int)a->a[0] <= 0 || (int)a->a[1] <= 0)
		return -EINVAL;
	return queue_info(t, (int)a->a[0], (int)a->a[1], (int)a->a[2], a->a[3]);
}

/* Wait for a signal under a temporary mask.  Only a signal ends the park
 * (there is no queue and no deadline), and the dispatcher then returns
 * -EINTR (ERESTARTNOHAND: a stop and SIGCONT do not end it) after which
 * the handler runs with the thread's own mask saved in
 * its frame. */
long sys_rt_sigsuspend(struct thread *t, const struct sysargs *a)
{
	if (t->wake == WAKE_NONE) {
		uint64_t mask;
		if (a->a[1] != 8)
			return -EINVAL;
		if (copy_from_user(t, &mask, a->a[0], sizeof mask) < 0)
			return -EFAULT;
		sig_set_temp_mask(t, mask);
	}
	return thread_park(t, 0);
}

/* Wait for one of a set of (normally blocked) signals and take it without
 * running a handler.  The set is unblocked for the wait, so that its
 * signals wake the thread; another unblocked signal ends the wait with
 * EINTR and runs its handler. */
long sys_rt_sigtimedwait(struct thread *t, const struct sysargs *a)
{
	uint64_t set;
	struct siginfo_lx info;

	if (t->wake == WAKE_NONE) {
		if (a->a[3] != 8)
			return -EINVAL;
		if (copy_from_user(t, &set, a->a[0], sizeof set) < 0)
			return -EFAULT;
		set &= ~LX_SIG_UNBLOCKABLE;
		t->sys.generic.deadline = 0;
		if (a->a[2]) {
			int64_t ts[2];
			if (copy_from_user(t, ts, a->a[2], sizeof ts) < 0)
				return -EFAULT;
			if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
				return -EINVAL;
			uint64_t ns = (uint64_t)ts[0] * 1000000000ULL + (uint64_t)ts[1];
			/* A zero timeout polls; otherwise a deadline. */
			t->sys.generic.deadline = ns ? now_ns() + ns : 0;
			if (!ns)
				t->sys.generic.deadline = 1;
		}
		t->sys.generic.cookie = (void *)(uintptr_t)set;
	}
	set = (uint64_t)(uintptr_t)t->sys.generic.cookie;
	int signo = sig_dequeue_from(t, set, &info);
	if (signo) {
		if (a->a[1] && copy_to_user(t, a->a[1], &info, sizeof info) < 0)
			return -EFAULT;
		return signo;
	}
	if (t->wake == WAKE_TIMEOUT || t->sys.generic.deadline == 1)
		return -EAGAIN;
	if (t->wake == WAKE_SIGNAL)
		return -EINTR; /* another signal: its handler runs */
	if (t->wake == WAKE_NONE) {
		sig_set_temp_mask(t, t->sigmask & ~set);
		t->waitset = set;
	}
	t->sees_signal_wake = true;
	return thread_park(t, t->sys.generic.deadline);
}

/* Linux's restart_syscall: what a call interrupted with
 * ERESTART_RESTARTBLOCK left to do after a stop and SIGCONT (kernel.h). */
long sys_restart_syscall(struct thread *t, const struct sysargs *a)
{
	if (!t->restart.fn)
		return -EINTR;
	return t->restart.fn(t);
}

long sys_pause(struct thread *t, const struct sysargs *a)
{
	return thread_park(t, 0);
}

long sys_rt_sigreturn(struct thread *t, const struct sysargs *a)
{
	struct sigaltstack_lx ss;
	uint64_t mask;

	if (sigframe_restore(t, &mask, &ss) < 0) {
		/* A bad frame: Linux's signal_fault, SIGSEGV as SI_KERNEL. */
		sig_force_fault(t, SIGSEGV, LX_SI_KERNEL, 0);
		return 0;
	}
	sig_set_mask(t, mask);
	t->restart.fn = NULL; /* as Linux's restore_sigcontext */
	/* Linux ignores every error of this but EFAULT (none here). */
	(void)sig_altstack_set(t, &ss, arch_sp(&t->regs));
	return SYS_NORETURN;
}
