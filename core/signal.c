/*
 * Signals: the per-process table of actions (struct sighand, shared by
 * CLONE_SIGHAND), pending sets, sending, choosing the receiving thread,
 * default actions, and delivery at the moment a thread goes back to the
 * client.  The frame itself is the arch's business (sigframe.c).
 *
 * Differences from Linux, on purpose for now:
 *  - one pending instance per signal number, real-time signals included
 *    (Linux queues real-time signals);
 *  - stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) are ignored: there
 *    is no job control yet;
 *  - the first process is pid 1 but is not protected the way Linux
 *    protects a namespace's init from signals it has no handler for.
 */
#include <stdlib.h>
#include <string.h>

#include "sigframe.h"
#include "task.h"

struct sighand {
	int refs;
	struct sigaction_lx action[NSIG_LX];
};

/* Faults are dequeued before anything else, as Linux does. */
#define SYNCHRONOUS_MASK                                                                           \
	(LX_SIGMASK(SIGSEGV) | LX_SIGMASK(SIGBUS) | LX_SIGMASK(SIGILL) | LX_SIGMASK(SIGTRAP) |     \
	 LX_SIGMASK(SIGFPE) | LX_SIGMASK(SIGSYS))

enum dfl_action { DFL_TERM, DFL_CORE, DFL_IGN, DFL_STOP };

/* ---- Action tables --------------------------------------------------------- */
struct sighand *sighand_create(void)
{
	struct sighand *sh = calloc(1, sizeof *sh);
	if (sh)
		sh->refs = 1;
	return sh;
}

struct sighand *sighand_clone(struct sighand *src)
{
	struct sighand *sh = sighand_create();
	if (sh && src)
		memcpy(sh->action, src->action, sizeof sh->action);
	return sh;
}

void sighand_get(struct sighand *sh)
{
	sh->refs++;
}

void sighand_put(struct sighand *sh)
{
	if (sh && --sh->refs == 0)
		free(sh);
}

static struct sigaction_lx *action_of(struct proc *p, int signo)
{
	return &p->sighand->action[signo - 1];
}

void sig_get_action(struct proc *p, int signo, struct sigaction_lx *out)
{
	*out = *action_of(p, signo);
}

static enum dfl_action default_action(int signo)
{
	switch (signo) {
	case SIGCHLD:
	case SIGURG:
	case SIGWINCH:
	case SIGCONT:
		return DFL_IGN;
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return DFL_STOP;
	case SIGQUIT:
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGXCPU:
	case SIGXFSZ:
	case SIGSYS:
		return DFL_CORE;
	default:
		return DFL_TERM;
	}
}

/* Whether delivering signo to p would do nothing.  Stop signals count:
 * without job control their default is to be ignored (see the top). */
static bool disposition_ignores(struct proc *p, int signo)
{
	uint64_t h = action_of(p, signo)->handler;
	if (signo == SIGKILL)
		return false;
	if (h == LX_SIG_IGN)
		return true;
	if (h == LX_SIG_DFL) {
		enum dfl_action d = default_action(signo);
		return d == DFL_IGN || d == DFL_STOP;
	}
	return false;
}

static void discard_pending(struct proc *p, int signo)
{
	struct thread *t;
	p->sigpending &= ~LX_SIGMASK(signo);
	list_for_each_entry(t, &p->threads, proc_link) t->sigpending &= ~LX_SIGMASK(signo);
}

void sig_set_action(struct proc *p, int signo, const struct sigaction_lx *act)
{
	*action_of(p, signo) = *act;
	if (disposition_ignores(p, signo))
		discard_pending(p, signo);
}

/* execve: handlers go back to their default, ignored signals stay
 * ignored, flags and masks are forgotten (Linux's flush_signal_handlers). */
void sig_exec_reset(struct proc *p)
{
	for (int i = 0; i < NSIG_LX; i++) {
		struct sigaction_lx *ka = &p->sighand->action[i];
		uint64_t h = ka->handler == LX_SIG_IGN ? LX_SIG_IGN : LX_SIG_DFL;
		memset(ka, 0, sizeof *ka);
		ka->handler = h;
	}
}

bool sig_child_autoreap(struct proc *p)
{
	if (!p->sighand)
		return false;
	const struct sigaction_lx *ka = action_of(p, SIGCHLD);
	return ka->handler == LX_SIG_IGN || (ka->flags & LX_SA_NOCLDWAIT);
}

/* ---- Pending sets and waking the receiver ------------------------------------ */
uint64_t sig_pending_set(struct thread *t)
{
	return t->sigpending | t->proc->sigpending;
}

/* Pending, unblocked and not ignored: what would make a parked thread
 * return EINTR, or run a handler / a default action. */
static uint64_t deliverable(struct thread *t)
{
	uint64_t ready = sig_pending_set(t) & ~t->sigmask;
	uint64_t out = 0;
	while (ready) {
		int signo = __builtin_ctzll(ready) + 1;
		ready &= ready - 1;
		if (!disposition_ignores(t->proc, signo))
			out |= LX_SIGMASK(signo);
	}
	return out;
}

bool sig_pending_unblocked(struct thread *t)
{
	return t->proc->sighand && deliverable(t) != 0;
}

/* Make t look at its signals: a parked thread's syscall ends with EINTR, a
 * running one is stopped soon through the platform. */
static void notify(struct thread *t)
{
	if (t->state == TS_PARKED)
		thread_wake(t, WAKE_SIGNAL);
	else if (t->state == TS_RUNNING)
		sched_kick(t);
}

/* The thread of p that should take a process-directed signo: prefer cur
 * (the sender, when it is in p), then the first one that does not block
 * it.  NULL if every thread blocks it. */
static struct thread *pick_receiver(struct proc *p, int signo, struct thread *cur)
{
	struct thread *t;
	if (cur && cur->proc == p && !(cur->sigmask & LX_SIGMASK(signo)))
		return cur;
	list_for_each_entry(t, &p->threads,
	                    proc_link) if (!(t->sigmask & LX_SIGMASK(signo))) return t;
	return NULL;
}

void sig_set_temp_mask(struct thread *t, uint64_t mask)
{
	if (!t->restore_sigmask) {
		t->saved_sigmask = t->sigmask;
		t->restore_sigmask = true;
	}
	sig_set_mask(t, mask);
}

/* Back to the thread's own mask after a call that ran under a temporary
 * one and was not interrupted by a handler. */
static void restore_temp_mask(struct thread *t)
{
	if (t->restore_sigmask) {
		t->restore_sigmask = false;
		sig_set_mask(t, t->saved_sigmask);
	}
}

void sig_set_mask(struct thread *t, uint64_t mask)
{
	struct proc *p = t->proc;
	uint64_t newly = mask & ~t->sigmask & ~LX_SIG_UNBLOCKABLE;

	t->sigmask = mask & ~LX_SIG_UNBLOCKABLE;
	/* A process-directed signal this thread now blocks goes to a thread
	 * that can take it (Linux's retarget_shared_pending). */
	uint64_t moved = newly & p->sigpending;
	while (moved) {
		int signo = __builtin_ctzll(moved) + 1;
		moved &= moved - 1;
		struct thread *r = pick_receiver(p, signo, NULL);
		if (r && !disposition_ignores(p, signo))
			notify(r);
	}
}

static void fill_default_info(struct siginfo_lx *si, int signo, struct thread *sender)
{
	memset(si, 0, sizeof *si);
	si->si_signo = signo;
	if (sender) {
		si->si_code = LX_SI_USER;
		si->u.kill.pid = sender->proc->pid;
		si->u.kill.uid = sender->proc->uid;
	} else {
		/* From the server itself (the host's Ctrl-C): Linux's tty
		 * driver sends those as SI_KERNEL. */
		si->si_code = LX_SI_KERNEL;
	}
}

void sig_send_thread(struct thread *t, int signo, const struct siginfo_lx *info)
{
	uint64_t bit;

	if (signo < 1 || signo > NSIG_LX || t->state == TS_DEAD)
		return;
	bit = LX_SIGMASK(signo);
	if (!(t->sigmask & bit) && disposition_ignores(t->proc, signo))
		return; /* dropped at once, as Linux does */
	if (t->sigpending & bit)
		return; /* one instance per signal (see the top) */
	if (info)
		t->pending_info[signo - 1] = *info;
	else
		fill_default_info(&t->pending_info[signo - 1], signo, NULL);
	t->pending_info[signo - 1].si_signo = signo;
	t->sigpending |= bit;
	if (!(t->sigmask & bit))
		notify(t);
}

void sig_send_proc_from(struct proc *p, int signo, const struct siginfo_lx *info,
                        struct thread *cur)
{
	struct thread *r, *t;
	uint64_t bit;

	if (signo < 1 || signo > NSIG_LX || p->exiting || !p->sighand)
		return;
	bit = LX_SIGMASK(signo);
	r = pick_receiver(p, signo, cur);
	if (r && disposition_ignores(p, signo))
		return;
	if (p->sigpending & bit)
		return;
	if (info)
		p->pending_info[signo - 1] = *info;
	else
		fill_default_info(&p->pending_info[signo - 1], signo, cur);
	p->pending_info[signo - 1].si_signo = signo;
	p->sigpending |= bit;
	if (signo == SIGKILL) {
		list_for_each_entry(t, &p->threads, proc_link) notify(t);
	} else if (r) {
		notify(r);
	}
}

void sig_send_proc(struct proc *p, int signo, const struct siginfo_lx *info)
{
	sig_send_proc_from(p, signo, info, NULL);
}

void sig_force_fault(struct thread *t, int signo, int code, uint64_t addr)
{
	struct sigaction_lx *ka;
	uint64_t bit;

	if (signo < 1 || signo > NSIG_LX)
		return;
	ka = action_of(t->proc, signo);
	bit = LX_SIGMASK(signo);
	/* Linux's force_sig_info: a blocked or ignored fault cannot be
	 * survived, so the default action (death) is put back. */
	if ((t->sigmask & bit) || ka->handler == LX_SIG_IGN) {
		ka->handler = LX_SIG_DFL;
		t->sigmask &= ~bit;
	}
	struct siginfo_lx *si = &t->pending_info[signo - 1];
	memset(si, 0, sizeof *si);
	si->si_signo = signo;
	si->si_code = code;
	si->u.fault.addr = addr;
	t->sigpending |= bit;
}

/* ---- Alternate signal stack ---------------------------------------------------- */
bool sig_on_altstack(const struct thread *t, uint64_t sp)
{
	/* With SS_AUTODISARM, Linux never considers a thread to be on it. */
	if (t->altstack.ss_flags & (int32_t)LX_SS_AUTODISARM)
		return false;
	return sp > t->altstack.ss_sp && sp - t->altstack.ss_sp <= t->altstack.ss_size;
}

int sig_altstack_flags(const struct thread *t, uint64_t sp)
{
	if (!t->altstack.ss_size)
		return LX_SS_DISABLE;
	return sig_on_altstack(t, sp) ? LX_SS_ONSTACK : 0;
}

int sig_altstack_set(struct thread *t, const struct sigaltstack_lx *ss, uint64_t sp)
{
	uint32_t mode = (uint32_t)ss->ss_flags & ~LX_SS_AUTODISARM;
	uint64_t ss_sp = ss->ss_sp, ss_size = ss->ss_size;

	if (sig_on_altstack(t, sp))
		return -EPERM;
	if (mode != LX_SS_DISABLE && mode != LX_SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (t->altstack.ss_sp == ss_sp && t->altstack.ss_size == ss_size &&
	    t->altstack.ss_flags == ss->ss_flags)
		return 0;
	if (mode == LX_SS_DISABLE) {
		ss_sp = 0;
		ss_size = 0;
	} else if (ss_size < LX_MINSIGSTKSZ) {
		return -ENOMEM;
	}
	t->altstack.ss_sp = ss_sp;
	t->altstack.ss_size = ss_size;
	t->altstack.ss_flags = ss->ss_flags;
	return 0;
}

/* ---- Delivery ------------------------------------------------------------------ */
static int pick_signal(uint64_t ready)
{
	if (ready & SYNCHRONOUS_MASK)
		ready &= SYNCHRONOUS_MASK;
	return __builtin_ctzll(ready) + 1;
}

static void dequeue(struct thread *t, int signo, struct siginfo_lx *info)
{
	uint64_t bit = LX_SIGMASK(signo);
	if (t->sigpending & bit) {
		t->sigpending &= ~bit;
		*info = t->pending_info[signo - 1];
	} else {
		t->proc->sigpending &= ~bit;
		*info = t->proc->pending_info[signo - 1];
	}
}

int sig_dequeue_from(struct thread *t, uint64_t set, struct siginfo_lx *info)
{
	uint64_t ready = sig_pending_set(t) & set;
	if (!ready)
		return 0;
	int signo = pick_signal(ready);
	dequeue(t, signo, info);
	return signo;
}

/* The frame for signo could not be written: Linux's force_sigsegv. */
static void frame_failed(struct thread *t, int signo)
{
	if (signo == SIGSEGV)
		action_of(t->proc, SIGSEGV)->handler = LX_SIG_DFL;
	sig_force_fault(t, SIGSEGV, LX_SI_KERNEL, 0);
}

bool sig_deliver_pending(struct thread *t)
{
	struct proc *p = t->proc;

	if (!p->sighand)
		return true;
	/* Several handlers may be stacked, each frame on top of the last, as
	 * Linux does; the bound only guards against a bug looping here. */
	for (int n = 0; n < 4 * NSIG_LX; n++) {
		uint64_t ready = sig_pending_set(t) & ~t->sigmask;
		struct siginfo_lx info;
		if (!ready) {
			/* No handler ran: an interrupted call simply goes on. */
			if (t->restart_pending)
				arch_sys_rewind(&t->regs, t->cur.nr, t->cur.a[0]);
			t->restart_pending = false;
			restore_temp_mask(t);
			return true;
		}
		int signo = pick_signal(ready);
		dequeue(t, signo, &info);

		struct sigaction_lx *ka = action_of(p, signo);
		struct sigaction_lx act = *ka;
		if (act.handler == LX_SIG_IGN)
			continue;
		if (act.handler == LX_SIG_DFL) {
			int status;
			switch (default_action(signo)) {
			case DFL_IGN:
			case DFL_STOP:
				continue;
			case DFL_CORE:
				/* Linux sets the core bit only when a dump was
				 * written, which needs RLIMIT_CORE > 0; we write
				 * none but report it as if, so that shells agree. */
				status = signo | (p->rlim[4 /* RLIMIT_CORE */].cur ? 0x80 : 0);
				break;
			default:
				status = signo;
				break;
			}
			proc_exit(p, status);
			return false;
		}
		if (act.flags & LX_SA_RESETHAND)
			ka->handler = LX_SIG_DFL;
		/* The frame saves the registers sigreturn goes back to: those
		 * of the call again, or its EINTR. */
		if (t->restart_pending && (act.flags & LX_SA_RESTART))
			arch_sys_rewind(&t->regs, t->cur.nr, t->cur.a[0]);
		t->restart_pending = false;
		/* The frame keeps the mask sigreturn goes back to: the
		 * thread's own when the call ran under a temporary one. */
		uint64_t oldmask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
		if (sigframe_setup(t, signo, &info, &act, oldmask) < 0) {
			frame_failed(t, signo);
			continue;
		}
		uint64_t mask = t->sigmask | act.mask;
		t->restore_sigmask = false;
		if (!(act.flags & LX_SA_NODEFER))
			mask |= LX_SIGMASK(signo);
		sig_set_mask(t, mask);
	}
	return true;
}
