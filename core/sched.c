/*
 * The event loop: wait for the next client event, dispatch it, and either
 * answer now or park the thread until a later event completes it.  Also
 * wait queues, parking, timers and the ready list.  There are no host
 * threads in the core: everything happens on this one loop.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "mm.h"
#include "persona.h"
#include "syscall.h"
#include "task.h"
#include "trace.h"
#include "vfs.h"

static struct list_head ready_list = LIST_INIT(ready_list);
/* Threads let go by SIGCONT, to be resumed by the loop. */
static struct list_head cont_list = LIST_INIT(cont_list);
/* Parked threads with a deadline, earliest first. */
static struct list_head timer_list = LIST_INIT(timer_list);
/* Armed ktimers, earliest first. */
static struct list_head ktimer_list = LIST_INIT(ktimer_list);

static bool first_exited;
static int first_status;
static int first_pid = -1;

void waitq_init(struct waitq *q)
{
	list_init(&q->waiters);
	q->watches = NULL;
}

int thread_wait_on(struct thread *t, struct waitq *q)
{
	/* The thread's own slot first: no allocation for a one-queue park
	 * (futexes, pipes), the common case on every hot path. */
	struct waiter *w = t->wait1_used ? malloc(sizeof *w) : &t->wait1;
	if (!w)
		return -ENOMEM;
	if (w == &t->wait1)
		t->wait1_used = true;
	w->t = t;
	w->q = q;
	list_add_tail(&w->q_link, &q->waiters);
	list_add_tail(&w->t_link, &t->waiters);
	return 0;
}

static void drop_waiters(struct thread *t)
{
	struct waiter *w, *n;
	list_for_each_entry_safe(w, n, &t->waiters, t_link)
	{
		list_del(&w->q_link);
		list_del(&w->t_link);
		if (w == &t->wait1)
			t->wait1_used = false;
		else
			free(w);
	}
}

static void timer_remove(struct thread *t)
{
	if (list_linked(&t->timer_link))
		list_del(&t->timer_link);
}

static void timer_insert(struct thread *t)
{
	struct thread *pos;
	list_for_each_entry(pos, &timer_list, timer_link)
	{
		if (pos->park_deadline > t->park_deadline) {
			list_add_tail(&t->timer_link, &pos->timer_link);
			return;
		}
	}
	list_add_tail(&t->timer_link, &timer_list);
}

void ktimer_cancel(struct ktimer *kt)
{
	if (list_linked(&kt->link))
		list_del(&kt->link);
}

void ktimer_arm(struct ktimer *kt, uint64_t deadline_ns)
{
	struct ktimer *pos;
	ktimer_cancel(kt);
	kt->deadline = deadline_ns;
	list_for_each_entry(pos, &ktimer_list, link)
	{
		if (pos->deadline > deadline_ns) {
			list_add_tail(&kt->link, &pos->link);
			return;
		}
	}
	list_add_tail(&kt->link, &ktimer_list);
}

void thread_wake(struct thread *t, enum wake_reason why)
{
	if (t->state != TS_PARKED)
		return;
	drop_waiters(t);
	timer_remove(t);
	t->wake = why;
	t->state = TS_READY;
	list_add_tail(&t->ready_link, &ready_list);
}

static void undo_park(struct thread *t)
{
	void (*undo)(struct thread *) = t->park_undo;
	t->park_undo = NULL;
	if (undo)
		undo(t);
}

void sched_forget_thread(struct thread *t)
{
	undo_park(t);
	drop_waiters(t);
	timer_remove(t);
	if (list_linked(&t->ready_link))
		list_del(&t->ready_link);
}

void sched_continue(struct thread *t)
{
	if (t->state != TS_STOPPED || list_linked(&t->ready_link))
		return;
	list_add_tail(&t->ready_link, &cont_list);
}

long thread_park(struct thread *t, uint64_t deadline_ns)
{
	t->state = TS_PARKED;
	t->park_deadline = deadline_ns;
	if (deadline_ns)
		timer_insert(t);
	/* A signal that is already pending must not be slept through. */
	if (sig_pending_unblocked(t))
		thread_wake(t, WAKE_SIGNAL);
	else if (deadline_ns && now_ns() >= deadline_ns)
		thread_wake(t, WAKE_TIMEOUT);
	return SYS_PARKED;
}

/* Wakes the first waiter of q that matches; false if there is none.  Waking
 * a thread removes all its waiters, so scanning restarts from the head. */
static bool wake_first(struct waitq *q, bool (*match)(struct thread *, void *), void *arg)
{
	struct waiter *w;
	list_for_each_entry(w, &q->waiters, q_link)
	{
		if (w->t->state == TS_PARKED && (!match || match(w->t, arg))) {
			thread_wake(w->t, WAKE_EVENT);
			return true;
		}
	}
	return false;
}

void waitq_watch(struct waitq *q, struct wq_watch *w)
{
	w->q = q;
	w->next = q->watches;
	q->watches = w;
}

void waitq_unwatch(struct wq_watch *w)
{
	if (!w->q)
		return;
	for (struct wq_watch **pp = &w->q->watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->q = NULL;
	w->next = NULL;
}

void waitq_drop_watches(struct waitq *q)
{
	while (q->watches) {
		struct wq_watch *w = q->watches;
		q->watches = w->next;
		w->q = NULL;
		w->next = NULL;
	}
}

int waitq_wake(struct waitq *q, int n, bool (*match)(struct thread *, void *), void *arg)
{
	int woken = 0;
	/* A callback may wake other queues (nested epolls) but never
	 * changes this queue's list of watches. */
	for (struct wq_watch *w = q->watches; w; w = w->next)
		w->fn(w);
	while (woken < n && wake_first(q, match, arg))
		woken++;
	return woken;
}

int waitq_wake_all(struct waitq *q)
{
	return waitq_wake(q, 0x7fffffff, NULL, NULL);
}

int waitq_requeue(struct waitq *q, struct waitq *q2, int n, bool (*match)(struct thread *, void *),
                  void *arg)
{
	struct waiter *w, *nx;
	int moved = 0;
	list_for_each_entry_safe(w, nx, &q->waiters, q_link)
	{
		if (moved >= n)
			break;
		if (match && !match(w->t, arg))
			continue;
		list_del(&w->q_link);
		list_add_tail(&w->q_link, &q2->waiters);
		w->q = q2;
		moved++;
	}
	return moved;
}

/* ---- Running threads ------------------------------------------------------ */

/* Back to the client: deliver what is pending, then resume -- unless its
 * process is stopped (job control): then it waits for SIGCONT. */
static void return_to_client(struct thread *t)
{
	if (!sig_deliver_pending(t))
		return; /* the process was killed */
	if (t->proc->stopped) {
		t->state = TS_STOPPED;
		return;
	}
	t->state = TS_RUNNING;
	if (plat_thread_resume(t->pt, &t->regs) < 0) {
		/* The backend lost the thread; its EV_THREAD_LOST follows. */
		pr_log("persona: could not resume thread %d", t->tid);
	}
}

void sched_start_thread(struct thread *t)
{
	t->state = TS_RUNNING;
	if (plat_thread_resume(t->pt, &t->regs) < 0)
		pr_log("persona: could not start thread %d", t->tid);
}

void sched_kick(struct thread *t)
{
	if (t->state == TS_RUNNING)
		plat_thread_kick(t->pt);
}

/* What a call interrupted by a signal answers when it does not look at the
 * wake itself (calls that do set sees_signal_wake: sleeps, poll/select,
 * futex waits, sigtimedwait): Linux's -ERESTARTSYS for the calls that come
 * back after a handler with SA_RESTART, -ERESTARTNOHAND for the waits
 * that run again only when no handler ran (a stop and SIGCONT), -EINTR
 * for the rest. */
static long interrupted(const struct sys_entry *e)
{
	static const char *const restartsys[] = {
	    "read",     "write",   "readv",    "writev", "pread64", "pwrite64", "preadv",
	    "pwritev",  "preadv2", "pwritev2", "wait4",  "waitid",  "open",     "openat",
	    "sendfile", "splice",  "tee",      "flock",  "fcntl",   "ioctl",    "accept",
	    "accept4",  "connect", "recvfrom", "sendto", "recvmsg", "sendmsg",  "copy_file_range",
	};
	if (!e)
		return -EINTR;
	for (size_t i = 0; i < sizeof restartsys / sizeof restartsys[0]; i++)
		if (!strcmp(e->name, restartsys[i]))
			return -ERESTARTSYS;
	if (!strcmp(e->name, "pause") || !strcmp(e->name, "rt_sigsuspend"))
		return -ERESTARTNOHAND;
	return -EINTR;
}

static struct thread *current;

struct thread *sched_current(void)
{
	return current;
}

void sched_set_current(struct thread *t)
{
	current = t;
}

/* Run (or re-run after a wake) the syscall recorded in t->cur. */
static void run_syscall(struct thread *t)
{
	const struct sys_entry *e = sys_lookup(t->cur.nr);
	struct trace_call tc;
	long r;

	if (core_cfg.trace)
		trace_enter(t, e, &tc);
	current = t;
	if (t->wake == WAKE_SIGNAL && !t->sees_signal_wake)
		/* Whether it runs again is decided when the signal is
		 * delivered (sig_deliver_pending). */
		r = interrupted(e);
	else if (e)
		r = e->handler(t, &t->cur);
	else
		r = sys_unknown(t, &t->cur);
	current = NULL;

	if (r == SYS_PARKED) {
		if (core_cfg.trace && t->wake == WAKE_NONE)
			trace_parked(&tc);
		return;
	}
	if (core_cfg.trace)
		trace_exit(t, &tc, r);
	if (r == SYS_GONE)
		return; /* t is freed */
	undo_park(t);
	drop_waiters(t);
	t->wake = WAKE_NONE;
	t->sees_signal_wake = false;
	if (r == -ERESTARTSYS || r == -ERESTARTNOHAND || r == -ERESTART_RESTARTBLOCK) {
		t->restart_pending = (int)-r;
		r = -EINTR;
	}
	if (r != SYS_NORETURN)
		arch_sys_set_ret(&t->regs, r);
	return_to_client(t);
}

static void on_syscall(struct thread *t)
{
	t->cur.nr = arch_sys_nr(&t->regs);
	for (int i = 0; i < 6; i++)
		t->cur.a[i] = arch_sys_arg(&t->regs, i);
	t->wake = WAKE_NONE;
	t->sees_signal_wake = false;
	run_syscall(t);
}

/* The live process with the most resident pages (the one asking when
 * it holds as many as any). */
static struct proc *oom_victim(struct proc *asking)
{
	struct proc *best = asking, *p;
	uint64_t vm, best_rss = 0, rss;
	mm_usage(asking->mm, &vm, &best_rss);
	list_for_each_entry(p, &all_procs, all_link)
	{
		if (p->exiting || !p->mm || list_empty(&p->threads))
			continue;
		mm_usage(p->mm, &vm, &rss);
		if (rss > best_rss) {
			best = p;
			best_rss = rss;
		}
	}
	return best;
}

static void on_pagefault(struct thread *t, const struct plat_event *ev)
{
	int r = mm_handle_fault(t->proc->mm, ev->addr,
	                        ev->access | (ev->present ? 0 : MM_FAULT_NOT_PRESENT));
	switch (r) {
	case 0:
		break;
	case -EACCES:
		sig_force_fault(t, SIGSEGV, 2 /* SEGV_ACCERR */, ev->addr);
		break;
	case -ENOMEM: {
		/* What Linux's OOM killer does: the process holding the most
		 * memory goes.  If that is another one, this thread retries
		 * its access once the victim's pages are back. */
		struct proc *victim = oom_victim(t->proc);
		struct thread *vt =
		    list_empty(&victim->threads)
		        ? t
		        : list_entry(victim->threads.next, struct thread, proc_link);
		pr_log("persona: out of memory (all %llu MiB of the guest's memory in use): killed "
		       "process %d (%.16s); give the guest more with --memory SIZE",
		       (unsigned long long)plat_frame_limit() / 256, victim->pid, vt->comm);
		bool self = victim == t->proc;
		proc_exit(victim, SIGKILL); /* t is gone if it was its own */
		if (self)
			return;
		break;
	}
	default:
		sig_force_fault(t, SIGSEGV, 1 /* SEGV_MAPERR */, ev->addr);
		break;
	}
	return_to_client(t);
}

static void fire_timers(void)
{
	uint64_t now = now_ns();
	while (!list_empty(&timer_list)) {
		struct thread *t = list_entry(timer_list.next, struct thread, timer_link);
		if (t->park_deadline > now)
			break;
		thread_wake(t, WAKE_TIMEOUT);
	}
	while (!list_empty(&ktimer_list)) {
		struct ktimer *kt = list_entry(ktimer_list.next, struct ktimer, link);
		if (kt->deadline > now)
			break;
		list_del(&kt->link);
		kt->fn(kt); /* may re-arm it */
	}
}

/* The earliest deadline of either list, 0 if none. */
static uint64_t next_deadline(void)
{
	uint64_t d = 0;
	if (!list_empty(&timer_list))
		d = list_entry(timer_list.next, struct thread, timer_link)->park_deadline;
	if (!list_empty(&ktimer_list)) {
		uint64_t k = list_entry(ktimer_list.next, struct ktimer, link)->deadline;
		if (!d || k < d)
			d = k;
	}
	return d;
}

static void run_ready(void)
{
	while (!list_empty(&cont_list) && !first_exited) {
		struct thread *t = list_entry(cont_list.next, struct thread, ready_link);
		list_del(&t->ready_link);
		return_to_client(t);
	}
	while (!list_empty(&ready_list) && !first_exited) {
		struct thread *t = list_entry(ready_list.next, struct thread, ready_link);
		list_del(&t->ready_link);
		t->state = TS_RUNNING;
		run_syscall(t);
	}
}

static void on_event(const struct plat_event *ev)
{
	struct thread *t = ev->owner;

	switch (ev->kind) {
	case EV_TIMER:
		fire_timers();
		return;
	case EV_CONSOLE:
		console_input_ready();
		return;
	case EV_HOST_SIGNAL: {
		/* What the terminal does with ^C: the foreground group gets it
		 * (the first process's group until a shell moves it).  ^Z
		 * only when a shell took the terminal for job control: a
		 * program stopped otherwise could never be continued. */
		if (ev->signo == SIGTSTP && !console_job_control()) {
			pr_warn_once(
			    "persona: ^Z ignored: the program did not take the terminal for "
			    "job control (a shell would)");
			return;
		}
		int pg = console_foreground_pgrp();
		struct proc *p;
		list_for_each_entry(p, &all_procs, all_link) if (!p->exiting && p->pgid == pg)
		    sig_send_proc(p, ev->signo, NULL);
		return;
	}
	default:
		break;
	}
	if (!t)
		return;
	if (ev->kind == EV_THREAD_LOST) {
		pr_log("persona: thread %d vanished; ending process %d", t->tid, t->proc->pid);
		proc_exit(t->proc, SIGKILL);
		return;
	}
	if (plat_thread_get_regs(t->pt, &t->regs) < 0) {
		proc_exit(t->proc, SIGKILL);
		return;
	}
	switch (ev->kind) {
	case EV_SYSCALL:
		on_syscall(t);
		break;
	case EV_PAGEFAULT:
		on_pagefault(t, ev);
		break;
	case EV_EXCEPTION:
		sig_force_fault(t, ev->signo, ev->code, ev->addr);
		return_to_client(t);
		break;
	case EV_KICKED:
		return_to_client(t);
		break;
	default:
		break;
	}
}

void sched_proc_exited(struct proc *p)
{
	if (p->pid == first_pid && !first_exited) {
		first_exited = true;
		first_status = p->exit_status;
	}
}

int sched_first_pid(void)
{
	return first_pid;
}

void sched_set_first(struct proc *p)
{
	first_pid = p->pid;
	first_exited = false;
}

int core_run(void)
{
	struct plat_event ev;

	while (!first_exited) {
		run_ready();
		if (first_exited)
			break;
		fire_timers();
		if (!list_empty(&ready_list) || !list_empty(&cont_list))
			continue;
		plat_timer_set(next_deadline());
		int e = plat_wait_event(&ev);
		if (e < 0)
			return e;
		on_event(&ev);
	}
	plat_timer_set(0);
	/* Like the end of a pid namespace: when the first process is gone,
	 * every other process is killed and reaped. */
	proc_end_all();
	return first_status;
}
