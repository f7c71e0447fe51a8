/*
 * POSIX per-process timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete.  Each is a clock timer (clocktimer.c)
 * that, when it expires, sends its signal to the process or, with
 * SIGEV_THREAD_ID, to one of its threads (glibc and musl build
 * SIGEV_THREAD on that), or nothing with SIGEV_NONE.
 *
 * As on Linux, a timer has at most one signal queued: expirations while
 * it is still pending count as overruns, which the siginfo carries when
 * it is taken (si_overrun) and timer_getoverrun then reports.  Ids count
 * up from 0 in each process; timers count against RLIMIT_SIGPENDING with
 * the queued real-time signals (EAGAIN past it), so a client cannot grow
 * the server's heap with them.  They are not inherited by fork and end at
 * exec and exit.  CPU-time clocks are not supported (no CPU accounting):
 * EINVAL, with a warning.
 */
#include <stdlib.h>
#include <string.h>

#include "syscall.h"
#include "task.h"

#define LX_SIGEV_SIGNAL 0
#define LX_SIGEV_NONE 1
#define LX_SIGEV_THREAD 2
#define LX_SIGEV_THREAD_ID 4
#define LX_TIMER_ABSTIME 1
#define LX_CLOCK_PROCESS_CPUTIME_ID 2
#define LX_CLOCK_THREAD_CPUTIME_ID 3

struct ptimer {
	struct list_head link; /* in proc->ptimers */
	struct clock_timer ct;
	struct proc *proc;
	int id;
	int notify, signo, tid;
	uint64_t value;   /* sigev_value */
	int overrun;      /* expirations since its signal was queued */
	int overrun_last; /* what the last signal taken carried */
};

/* struct sigevent as the client gives it. */
struct sigevent_lx {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid; /* sigev_notify_thread_id */
	int32_t pad[11];
};

static struct ptimer *ptimer_of(struct proc *p, int id)
{
	struct ptimer *pt;
	list_for_each_entry(pt, &p->ptimers, link) if (pt->id == id) return pt;
	return NULL;
}

static int add_sat(int a, uint64_t b)
{
	return b >= (uint64_t)(INT32_MAX - a) ? INT32_MAX : a + (int)b;
}

static void expired(struct clock_timer *ct, uint64_t n)
{
	struct ptimer *pt = (struct ptimer *)((char *)ct - offsetof(struct ptimer, ct));
	struct proc *p = pt->proc;
	if (pt->notify == LX_SIGEV_NONE)
		return;
	if (sig_timer_queued(p, pt->signo, pt->id)) {
		pt->overrun = add_sat(pt->overrun, n);
		return;
	}
	pt->overrun = add_sat(0, n - 1);
	struct siginfo_lx si;
	memset(&si, 0, sizeof si);
	si.si_signo = pt->signo;
	si.si_code = LX_SI_TIMER;
	si.u.timer.tid = pt->id;
	si.u.timer.value = pt->value;
	if (pt->notify & LX_SIGEV_THREAD_ID) {
		struct thread *t = thread_by_tid(pt->tid);
		if (t && t->proc == p)
			sig_send_thread(t, pt->signo, &si);
	} else {
		sig_send_proc(p, pt->signo, &si);
	}
}

void ptimer_taken(struct proc *p, struct siginfo_lx *info)
{
	struct ptimer *pt = ptimer_of(p, info->u.timer.tid);
	if (!pt)
		return; /* deleted while its signal was pending */
	info->u.timer.overrun = pt->overrun;
	pt->overrun_last = pt->overrun;
	pt->overrun = 0;
}

static void ptimer_free(struct ptimer *pt)
{
	clock_timer_cancel(&pt->ct);
	list_del(&pt->link);
	pt->proc->nptimers--;
	free(pt);
}

void ptimer_exit_all(struct proc *p)
{
	while (!list_empty(&p->ptimers))
		ptimer_free(list_entry(p->ptimers.next, struct ptimer, link));
}

long sys_timer_create(struct thread *t, const struct sysargs *a)
{
	int clock = (int)a->a[0];
	struct proc *p = t->proc;
	struct sigevent_lx ev = {.notify = LX_SIGEV_SIGNAL, .signo = SIGALRM};
	bool have_ev = a->a[1] != 0;

	if (clock == LX_CLOCK_PROCESS_CPUTIME_ID || clock == LX_CLOCK_THREAD_CPUTIME_ID ||
	    clock < 0) {
		pr_warn_once(
		    "persona: warning: timers on CPU-time clocks are not supported (no CPU "
		    "time accounting); timer_create gets EINVAL");
		return -EINVAL;
	}
	if (!clock_timer_clock_ok(clock))
		return -EINVAL;
	if (have_ev && copy_from_user(t, &ev, a->a[1], sizeof ev) < 0)
		return -EFAULT;
	switch (ev.notify) {
	case LX_SIGEV_THREAD_ID: {
		struct thread *target = thread_by_tid(ev.tid);
		if (!target || target->proc != p)
			return -EINVAL;
	}
		/* fall through */
	case LX_SIGEV_SIGNAL:
	case LX_SIGEV_THREAD:
		if (ev.signo <= 0 || ev.signo > NSIG_LX)
			return -EINVAL;
		break;
	case LX_SIGEV_NONE:
		break;
	default:
		return -EINVAL;
	}
	if ((uint64_t)p->nptimers + p->rtqueued >= p->rlim[LX_RLIMIT_SIGPENDING].cur)
		return -EAGAIN;
	struct ptimer *pt = calloc(1, sizeof *pt);
	if (!pt)
		return -EAGAIN; /* Linux's answer when it cannot allocate one */
	pt->proc = p;
	pt->id = p->ptimer_next_id;
	p->ptimer_next_id = (p->ptimer_next_id + 1) & INT32_MAX;
	pt->notify = ev.notify;
	pt->signo = ev.signo;
	pt->tid = ev.tid;
	pt->value = have_ev ? ev.value : (uint64_t)pt->id;
	clock_timer_init(&pt->ct, clock, expired);
	list_add_tail(&pt->link, &p->ptimers);
	p->nptimers++;
	int32_t id = pt->id;
	if (copy_to_user(t, a->a[2], &id, sizeof id) < 0) {
		ptimer_free(pt);
		return -EFAULT;
	}
	return 0;
}

long sys_timer_settime(struct thread *t, const struct sysargs *a)
{
	int64_t its[4], old[4];
	long r;
	if (!a->a[2])
		return -EINVAL;
	if ((r = clock_timer_spec_in(t, a->a[2], its)) < 0)
		return r;
	struct ptimer *pt = ptimer_of(t->proc, (int)a->a[0]);
	if (!pt)
		return -EINVAL;
	clock_timer_get(&pt->ct, old);
	pt->overrun_last = 0;
	clock_timer_set(&pt->ct, a->a[1] & LX_TIMER_ABSTIME, its);
	if (a->a[3] && copy_to_user(t, a->a[3], old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

long sys_timer_gettime(struct thread *t, const struct sysargs *a)
{
	int64_t cur[4];
	struct ptimer *pt = ptimer_of(t->proc, (int)a->a[0]);
	if (!pt)
		return -EINVAL;
	clock_timer_get(&pt->ct, cur);
	return copy_to_user(t, a->a[1], cur, sizeof cur) < 0 ? -EFAULT : 0;
}

long sys_timer_getoverrun(struct thread *t, const struct sysargs *a)
{
	struct ptimer *pt = ptimer_of(t->proc, (int)a->a[0]);
	return pt ? pt->overrun_last : -EINVAL;
}

long sys_timer_delete(struct thread *t, const struct sysargs *a)
{
	struct ptimer *pt = ptimer_of(t->proc, (int)a->a[0]);
	if (!pt)
		return -EINVAL;
	ptimer_free(pt);
	return 0;
}
