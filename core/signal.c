/*
 * Signals: the per-process table of actions (struct sighand, shared by
 * CLONE_SIGHAND), pending sets, sending, choosing the receiving thread,
 * default actions, and delivery at the moment a thread goes back to the
 * client.  The frame itself is the arch's business (sigframe.c).
 *
 * Differences from Linux, on purpose for now:
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

bool sig_sighand_shared(struct proc *p)
{
	return p->sighand && p->sighand->refs > 1;
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

/* Whether delivering signo to p would do nothing. */
static bool disposition_ignores(struct proc *p, int signo)
{
	uint64_t h = action_of(p, signo)->handler;
	if (signo == SIGKILL || signo == SIGSTOP)
		return false;
	if (h == LX_SIG_IGN)
		return true;
	return h == LX_SIG_DFL && default_action(signo) == DFL_IGN;
}

/* ---- Job control: stopping and continuing a process ----------------------------- */
#define STOP_MASK                                                                                  \
	(LX_SIGMASK(SIGSTOP) | LX_SIGMASK(SIGTSTP) | LX_SIGMASK(SIGTTIN) | LX_SIGMASK(SIGTTOU))

static void discard_pending(struct proc *p, int signo);

/* Tell p's parent that p stopped or continued: SIGCHLD unless the parent
 * asked not to hear of it (SA_NOCLDSTOP); its wait is woken anyway. */
static void notify_parent_stop(struct proc *p, int code, int status)
{
	struct proc *parent = p->parent;
	if (!parent || parent->exiting)
		return;
	if (parent->sighand && !(action_of(parent, SIGCHLD)->flags & LX_SA_NOCLDSTOP)) {
		struct siginfo_lx si;
		proc_chld_info(p, code, status, &si);
		sig_send_proc(parent, SIGCHLD, &si);
	}
	waitq_wake_all(&parent->child_wq);
}

/* A stop signal's default action: every thread of p stops (a running
 * one at its next entry into the server, see return_to_client). */
static void proc_stop(struct proc *p, int signo)
{
	struct thread *t;
	if (p->stopped)
		return;
	p->stopped = true;
	p->stop_signo = signo;
	p->stop_report = true;
	p->cont_report = false;
	list_for_each_entry(t, &p->threads, proc_link) if (t->state == TS_RUNNING) sched_kick(t);
	notify_parent_stop(p, LX_CLD_STOPPED, signo);
}

static void proc_continue(struct proc *p, bool report)
{
	struct thread *t;
	if (!p->stopped)
		return;
	p->stopped = false;
	p->stop_report = false;
	list_for_each_entry(t, &p->threads, proc_link) sched_continue(t);
	if (report) {
		p->cont_report = true;
		notify_parent_stop(p, LX_CLD_CONTINUED, SIGCONT);
	}
}

/* What sending signo does before it is queued (Linux's prepare_signal):
 * SIGCONT continues a stopped process and cancels pending stops, a stop
 * cancels a pending SIGCONT, SIGKILL lets a stopped process go to die. */
static void prepare_signal(struct proc *p, int signo)
{
	if (signo == SIGCONT) {
		for (int s = 1; s <= NSIG_LX; s++)
			if (STOP_MASK & LX_SIGMASK(s))
				discard_pending(p, s);
		proc_continue(p, true);
	} else if (STOP_MASK & LX_SIGMASK(signo)) {
		discard_pending(p, SIGCONT);
	} else if (signo == SIGKILL) {
		proc_continue(p, false);
	}
}

/* ---- Queued real-time signals -----------------------------------------------
 * A pending set holds one instance of each signal in its bit and
 * pending_info; further instances of a real-time signal (SIGRTMIN and up)
 * wait in order in its rtqueue, up to RLIMIT_SIGPENDING per process. */
#define LX_SIGRTMIN 32

struct sigq {
	struct list_head link;
	struct siginfo_lx info;
};

void sig_forget_queue(struct proc *p, struct list_head *q, int signo)
{
	struct sigq *e, *n;
	if (!list_linked(q))
		return;
	list_for_each_entry_safe(e, n, q, link)
	{
		if (signo && e->info.si_signo != signo)
			continue;
		list_del(&e->link);
		free(e);
		p->rtqueued--;
	}
}

/* Make signo pending in (set, slots, q) with info; false if dropped. */
static bool pend(struct proc *p, uint64_t *set, struct siginfo_lx *slots, struct list_head *q,
                 int signo, const struct siginfo_lx *info)
{
	uint64_t bit = LX_SIGMASK(signo);
	if (!(*set & bit)) {
		slots[signo - 1] = *info;
		*set |= bit;
		waitq_wake_all(&p->sigfd_wq);
		return true;
	}
	/* One instance of a classic signal; real-time ones queue. */
	if (signo < LX_SIGRTMIN || p->rtqueued >= p->rlim[LX_RLIMIT_SIGPENDING].cur)
		return false;
	struct sigq *e = malloc(sizeof *e);
	if (!e)
		return false;
	e->info = *info;
	list_add_tail(&e->link, q);
	p->rtqueued++;
	waitq_wake_all(&p->sigfd_wq);
	return true;
}

/* Take signo's first instance out of (set, slots, q) into info. */
static void unpend(struct proc *p, uint64_t *set, struct siginfo_lx *slots, struct list_head *q,
                   int signo, struct siginfo_lx *info)
{
	struct sigq *e;
	*info = slots[signo - 1];
	list_for_each_entry(e, q, link)
	{
		if (e->info.si_signo == signo) {
			slots[signo - 1] = e->info;
			list_del(&e->link);
			free(e);
			p->rtqueued--;
			return;
		}
	}
	*set &= ~LX_SIGMASK(signo);
}

static void discard_pending(struct proc *p, int signo)
{
	struct thread *t;
	p->sigpending &= ~LX_SIGMASK(signo);
	sig_forget_queue(p, &p->rtqueue, signo);
	list_for_each_entry(t, &p->threads, proc_link)
	{
		t->sigpending &= ~LX_SIGMASK(signo);
		sig_forget_queue(p, &t->rtqueue, signo);
	}
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
	t->waitset = 0;
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
	prepare_signal(t->proc, signo);
	bit = LX_SIGMASK(signo);
	if (!(t->sigmask & bit) && !(t->waitset & bit) && disposition_ignores(t->proc, signo))
		return; /* dropped at once, as Linux does */
	struct siginfo_lx si;
	if (info)
		si = *info;
	else
		fill_default_info(&si, signo, NULL);
	si.si_signo = signo;
	if (!pend(t->proc, &t->sigpending, t->pending_info, &t->rtqueue, signo, &si))
		return;
	if (!(t->sigmask & bit))
		notify(t);
}

void sig_send_proc_from(struct proc *p, int signo, const struct siginfo_lx *info,
                        struct thread *cur)
{
	struct thread *r, *t;

	if (signo < 1 || signo > NSIG_LX || p->exiting || !p->sighand)
		return;
	prepare_signal(p, signo);
	r = pick_receiver(p, signo, cur);
	/* A signal sigtimedwait waits for is taken even if its action is
	 * to ignore it (Linux's real_blocked). */
	if (r && !(r->waitset & LX_SIGMASK(signo)) && disposition_ignores(p, signo))
		return;
	struct siginfo_lx si;
	if (info)
		si = *info;
	else
		fill_default_info(&si, signo, cur);
	si.si_signo = signo;
	if (!pend(p, &p->sigpending, p->pending_info, &p->rtqueue, signo, &si))
		return;
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

bool sig_ignored_or_blocked(struct thread *t, int signo)
{
	return (t->sigmask & LX_SIGMASK(signo)) || !t->proc->sighand ||
	       action_of(t->proc, signo)->handler == LX_SIG_IGN;
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
	struct proc *p = t->proc;
	if (t->sigpending & LX_SIGMASK(signo))
		unpend(p, &t->sigpending, t->pending_info, &t->rtqueue, signo, info);
	else
		unpend(p, &p->sigpending, p->pending_info, &p->rtqueue, signo, info);
	if (info->si_code == LX_SI_TIMER)
		ptimer_taken(p, info);
}

/* Whether (set, slots, q) holds signo from timer id. */
static bool timer_in(uint64_t set, const struct siginfo_lx *slots, struct list_head *q, int signo,
                     int id)
{
	struct sigq *e;
	if (!(set & LX_SIGMASK(signo)))
		return false;
	if (slots[signo - 1].si_code == LX_SI_TIMER && slots[signo - 1].u.timer.tid == id)
		return true;
	if (list_linked(q))
		list_for_each_entry(e, q, link) if (e->info.si_signo == signo &&
		                                    e->info.si_code == LX_SI_TIMER &&
		                                    e->info.u.timer.tid == id) return true;
	return false;
}

bool sig_timer_queued(struct proc *p, int signo, int id)
{
	struct thread *t;
	if (timer_in(p->sigpending, p->pending_info, &p->rtqueue, signo, id))
		return true;
	list_for_each_entry(t, &p->threads,
	                    proc_link) if (timer_in(t->sigpending, t->pending_info, &t->rtqueue,
	                                            signo, id)) return true;
	return false;
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

/* Linux's rules for a call a signal interrupted (t->restart_pending, see
 * kernel.h), once it is known whether a handler runs (act) or not (NULL). */
static void settle_restart(struct thread *t, const struct sigaction_lx *act)
{
	int kind = t->restart_pending;
	t->restart_pending = 0;
	if (!kind || (act && !(kind == ERESTARTSYS && (act->flags & LX_SA_RESTART))))
		return; /* the call's EINTR stays */
	arch_sys_rewind(&t->regs,
	                kind == ERESTART_RESTARTBLOCK ? SYS_NR_RESTART_SYSCALL : t->cur.nr,
	                t->cur.a[0]);
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
			settle_restart(t, NULL);
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
				continue;
			case DFL_STOP:
				/* Nobody could continue an orphaned group:
				 * Linux drops the terminal's stop signals. */
				if (signo != SIGSTOP && proc_pgrp_orphaned(p->pgid))
					continue;
				/* The thread stops here.  An interrupted call is
				 * settled when SIGCONT lets it go (the delivery
				 * then runs again): it goes on, unless a SIGCONT
				 * handler runs first, as on Linux. */
				proc_stop(p, signo);
				return true;
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
		settle_restart(t, &act);
		/* The frame keeps the mask sigreturn goes back to: the
		 * thread's own when the call ran under a temporary one. */
		uint64_t oldmask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
		if (sigframe_setup(t, signo, &info, &act, oldmask) < 0) {
			frame_failed(t, signo);
			continue;
		}
		uint64_t mask = t->sigmask | act.mask;
		t->waitset = 0;
		t->restore_sigmask = false;
		if (!(act.flags & LX_SA_NODEFER))
			mask |= LX_SIGMASK(signo);
		sig_set_mask(t, mask);
	}
	return true;
}
