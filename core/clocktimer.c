/*
 * Clock timers: what timerfd and POSIX timers (timer_create) share.  A
 * timer is a deadline on one of Linux's clocks and an optional period; it
 * runs as a ktimer on the monotonic clock.  An absolute CLOCK_REALTIME
 * deadline is converted once, when it is set: Persona's realtime clock is
 * never stepped under a running guest.  Each expiry reports how many
 * periods passed since the last one (Linux's overrun), so a slow event
 * loop loses no ticks.  Deliberate difference: a period under 10 us runs
 * as 10 us, so that one client's timer cannot keep the server busy.
 */
#include "syscall.h"
#include "task.h"

#define NSEC 1000000000ULL
#define MIN_INTERVAL 10000ULL

bool clock_timer_clock_ok(int clock)
{
	return clock == LX_CLOCK_REALTIME || clock == LX_CLOCK_MONOTONIC ||
	       clock == LX_CLOCK_BOOTTIME || clock == LX_CLOCK_REALTIME_ALARM ||
	       clock == LX_CLOCK_BOOTTIME_ALARM;
}

static void fire(struct ktimer *kt)
{
	struct clock_timer *ct = kt->arg;
	uint64_t now = now_ns(), n = 1;
	if (ct->interval) {
		if (now > kt->deadline)
			n += (now - kt->deadline) / ct->interval;
		ktimer_arm(&ct->kt, kt->deadline + n * ct->interval);
	} else {
		ct->armed = false;
	}
	ct->expired(ct, n);
}

void clock_timer_init(struct clock_timer *ct, int clock,
                      void (*expired)(struct clock_timer *ct, uint64_t n))
{
	ct->clock = clock;
	ct->expired = expired;
	ct->kt.fn = fire;
	ct->kt.arg = ct;
}

static bool ts_valid(const int64_t ts[2])
{
	return ts[0] >= 0 && ts[1] >= 0 && ts[1] < (int64_t)NSEC;
}

/* A checked timespec as ns, saturating far beyond any real deadline. */
static uint64_t ts_ns(const int64_t ts[2])
{
	return (uint64_t)ts[0] > UINT64_MAX / (2 * NSEC) ? UINT64_MAX / 2
	                                                 : (uint64_t)ts[0] * NSEC + (uint64_t)ts[1];
}

int clock_timer_spec_in(struct thread *t, uint64_t uaddr, int64_t its[4])
{
	if (copy_from_user(t, its, uaddr, 4 * sizeof its[0]) < 0)
		return -EFAULT;
	return ts_valid(its) && ts_valid(its + 2) ? 0 : -EINVAL;
}

void clock_timer_get(const struct clock_timer *ct, int64_t out[4])
{
	uint64_t left = 0, now = now_ns();
	if (ct->armed)
		left = ct->kt.deadline > now ? ct->kt.deadline - now : 1;
	out[0] = (int64_t)(ct->interval / NSEC);
	out[1] = (int64_t)(ct->interval % NSEC);
	out[2] = (int64_t)(left / NSEC);
	out[3] = (int64_t)(left % NSEC);
}

void clock_timer_cancel(struct clock_timer *ct)
{
	ktimer_cancel(&ct->kt);
	ct->armed = false;
}

void clock_timer_set(struct clock_timer *ct, bool abstime, const int64_t its[4])
{
	uint64_t interval = ts_ns(its), value = ts_ns(its + 2);
	clock_timer_cancel(ct);
	ct->interval = interval && interval < MIN_INTERVAL ? MIN_INTERVAL : interval;
	if (!value)
		return;
	uint64_t now = now_ns(), deadline;
	if (abstime) {
		/* An absolute time on the timer's clock, as a point on the
		 * monotonic one. */
		bool rt = ct->clock == LX_CLOCK_REALTIME || ct->clock == LX_CLOCK_REALTIME_ALARM;
		uint64_t clk = rt ? plat_clock_ns(0) : now;
		deadline = value > clk ? now + (value - clk) : now;
	} else {
		deadline = value > UINT64_MAX / 2 - now ? UINT64_MAX / 2 : now + value;
	}
	ct->armed = true;
	/* A deadline already past expires from the next pass of the event
	 * loop, as an expired hrtimer fires at once. */
	ktimer_arm(&ct->kt, deadline ? deadline : 1);
}
