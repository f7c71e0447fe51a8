/*
 * Time system calls: clock_gettime, clock_getres, gettimeofday, time,
 * nanosleep and clock_nanosleep.  Every clock comes from the platform's
 * realtime and monotonic clocks; sleeps park the thread with a deadline.
 *
 * Differences from Linux, on purpose for now:
 *  - CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID count the time
 *    since the process / thread was created, not the CPU time it used
 *    (the platform does not report CPU time);
 *  - BOOTTIME is MONOTONIC (no suspend), TAI is REALTIME (offset 0, as on
 *    a Linux whose NTP daemon never set one);
 *  - a sleep on the realtime clock is converted to a monotonic deadline
 *    once, so setting the clock later does not move it.
 */
#include <string.h>

#include "syscall.h"
#include "task.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1

#define NSEC_PER_SEC 1000000000ULL
/* Coarse clocks tick with the scheduler: 4 ms at Linux's usual HZ=250. */
#define COARSE_NS 4000000ULL

struct timespec_lx {
	int64_t tv_sec, tv_nsec;
};

static struct timespec_lx to_ts(uint64_t ns)
{
	return (struct timespec_lx){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

/* The value of a clock, or -EINVAL for one we do not know. */
static int clock_read(struct thread *t, int clk, uint64_t *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_TAI:
		*ns = plat_clock_ns(0);
		return 0;
	case CLOCK_REALTIME_COARSE:
		*ns = plat_clock_ns(0) / COARSE_NS * COARSE_NS;
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
		*ns = now_ns();
		return 0;
	case CLOCK_MONOTONIC_COARSE:
		*ns = now_ns() / COARSE_NS * COARSE_NS;
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
		*ns = now_ns() - t->proc->start_ns;
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = now_ns() - t->start_ns;
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_clock_gettime(struct thread *t, const struct sysargs *a)
{
	uint64_t ns;
	int r = clock_read(t, (int)a->a[0], &ns);
	if (r < 0)
		return r;
	struct timespec_lx ts = to_ts(ns);
	return copy_to_user(t, a->a[1], &ts, sizeof ts);
}

long sys_clock_getres(struct thread *t, const struct sysargs *a)
{
	int clk = (int)a->a[0];
	uint64_t ns;
	int r = clock_read(t, clk, &ns);
	if (r < 0)
		return r;
	bool coarse = clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE;
	struct timespec_lx res = to_ts(coarse ? COARSE_NS : 1);
	if (a->a[1] && copy_to_user(t, a->a[1], &res, sizeof res) < 0)
		return -EFAULT;
	return 0;
}

long sys_gettimeofday(struct thread *t, const struct sysargs *a)
{
	if (a->a[0]) {
		uint64_t ns = plat_clock_ns(0);
		int64_t tv[2] = {(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC / 1000)};
		if (copy_to_user(t, a->a[0], tv, sizeof tv) < 0)
			return -EFAULT;
	}
	if (a->a[1]) {
		int32_t tz[2] = {0, 0}; /* UTC, no DST: Linux's default sys_tz */
		if (copy_to_user(t, a->a[1], tz, sizeof tz) < 0)
			return -EFAULT;
	}
	return 0;
}

long sys_time(struct thread *t, const struct sysargs *a)
{
	int64_t sec = (int64_t)(plat_clock_ns(0) / NSEC_PER_SEC);
	if (a->a[0] && copy_to_user(t, a->a[0], &sec, sizeof sec) < 0)
		return -EFAULT;
	return sec;
}

/* ---- Sleeping ---------------------------------------------------------------- */
static int read_request(struct thread *t, uint64_t uts, struct timespec_lx *ts)
{
	if (copy_from_user(t, ts, uts, sizeof *ts) < 0)
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

static uint64_t ts_ns(const struct timespec_lx *ts)
{
	if ((uint64_t)ts->tv_sec >= UINT64_MAX / NSEC_PER_SEC)
		return UINT64_MAX;
	return add_sat((uint64_t)ts->tv_sec * NSEC_PER_SEC, (uint64_t)ts->tv_nsec);
}

static long sleep_restart(struct thread *t);

/* Park until t->sys.deadline (monotonic), or answer at once if it passed.
 * Also the re-dispatch path: a timeout means done, any wake-up but a
 * signal is spurious and the sleep goes on.  A signal ends a relative
 * sleep as Linux's does: the time left is written to rem (0: not wanted)
 * and the answer is ERESTART_RESTARTBLOCK, so that a handler sees EINTR
 * but a stop and SIGCONT resume the sleep to the same deadline; an
 * absolute sleep just runs again (ERESTARTNOHAND). */
static long sleep_until(struct thread *t, uint64_t rem, bool absolute)
{
	uint64_t now = now_ns();
	if (t->wake == WAKE_TIMEOUT || now >= t->sys.deadline)
		return 0;
	if (t->wake == WAKE_SIGNAL) {
		if (absolute)
			return -ERESTARTNOHAND;
		uint64_t left = t->sys.deadline - now;
		struct timespec_lx ts = {(int64_t)(left / NSEC_PER_SEC),
		                         (int64_t)(left % NSEC_PER_SEC)};
		if (rem && copy_to_user(t, rem, &ts, sizeof ts) < 0)
			return -EFAULT;
		t->restart = (struct restart_block){
		    .fn = sleep_restart, .deadline = t->sys.deadline, .a = {rem}};
		return -ERESTART_RESTARTBLOCK;
	}
	t->sees_signal_wake = true;
	return thread_park(t, t->sys.deadline);
}

/* restart_syscall after an interrupted relative sleep. */
static long sleep_restart(struct thread *t)
{
	if (t->wake == WAKE_NONE)
		t->sys.deadline = t->restart.deadline;
	return sleep_until(t, t->restart.a[0], false);
}

long sys_nanosleep(struct thread *t, const struct sysargs *a)
{
	struct timespec_lx req;
	int r;

	if (t->wake != WAKE_NONE)
		return sleep_until(t, a->a[1], false);
	r = read_request(t, a->a[0], &req);
	if (r < 0)
		return r;
	uint64_t d = add_sat(now_ns(), ts_ns(&req));
	t->sys.deadline = d ? d : 1;
	return sleep_until(t, a->a[1], false);
}

long sys_clock_nanosleep(struct thread *t, const struct sysargs *a)
{
	int clk = (int)a->a[0];
	int flags = (int)a->a[1];
	struct timespec_lx req;
	int r;

	/* An absolute sleep has nothing to write back when interrupted. */
	uint64_t rem = (flags & TIMER_ABSTIME) ? 0 : a->a[3];
	if (t->wake != WAKE_NONE)
		return sleep_until(t, rem, flags & TIMER_ABSTIME);
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_TAI:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
		break;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_THREAD_CPUTIME_ID:
		return -EOPNOTSUPP; /* clocks Linux cannot sleep on */
	case CLOCK_PROCESS_CPUTIME_ID:
		/* Our CPU clock is an approximation; sleeping on it would
		 * not mean what the program wants. */
		pr_warn_once("persona: warning: clock_nanosleep on CLOCK_PROCESS_CPUTIME_ID is not "
		             "implemented; the program gets EOPNOTSUPP");
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
	r = read_request(t, a->a[2], &req);
	if (r < 0)
		return r;
	uint64_t now = now_ns(), d;
	if (!(flags & TIMER_ABSTIME)) {
		d = add_sat(now, ts_ns(&req));
	} else if (clk == CLOCK_MONOTONIC || clk == CLOCK_BOOTTIME) {
		d = ts_ns(&req);
	} else {
		uint64_t target = ts_ns(&req), rt = plat_clock_ns(0);
		d = target <= rt ? now : add_sat(now, target - rt);
	}
	t->sys.deadline = d ? d : 1;
	return sleep_until(t, rem, flags & TIMER_ABSTIME);
}
