/*
 * timerfd: timerfd_create, timerfd_settime, timerfd_gettime, and the file
 * they make: read gives the number of expirations since the last read
 * (blocking or EAGAIN while there are none), poll says POLLIN when there
 * are some, so epoll and poll loops can wait on timers.
 *
 * The timer itself is a ktimer on the monotonic clock.  A CLOCK_REALTIME
 * deadline is converted once, when it is set; Persona's realtime clock is
 * never stepped under a running guest, so TFD_TIMER_CANCEL_ON_SET is
 * accepted and never fires.  Deliberate difference: an interval under
 * 10 us runs as 10 us.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "task.h"

#define LX_CLOCK_REALTIME 0
#define LX_CLOCK_MONOTONIC 1
#define LX_CLOCK_BOOTTIME 7
#define LX_CLOCK_REALTIME_ALARM 8
#define LX_CLOCK_BOOTTIME_ALARM 9
#define LX_TFD_TIMER_ABSTIME 1U
#define LX_TFD_TIMER_CANCEL_ON_SET 2U
#define NSEC 1000000000ULL
#define MIN_INTERVAL 10000ULL

struct timerfd {
	int clock;
	uint64_t ticks;    /* expirations not read yet */
	uint64_t interval; /* ns, 0: one shot */
	struct ktimer kt;  /* deadline on the monotonic clock; unarmed: none */
	bool armed;
	struct waitq wq;
};

static const struct file_ops timerfd_ops;

static struct timerfd *tfd_of(struct file *f)
{
	return f->priv;
}

static void expired(struct ktimer *kt)
{
	struct timerfd *tf = kt->arg;
	uint64_t now = now_ns(), n = 1;
	if (tf->interval) {
		/* Every period that passed counts, as Linux's overrun. */
		if (now > kt->deadline)
			n += (now - kt->deadline) / tf->interval;
		ktimer_arm(&tf->kt, kt->deadline + n * tf->interval);
	} else {
		tf->armed = false;
	}
	tf->ticks += n;
	waitq_wake_all(&tf->wq);
}

static long tfd_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	struct timerfd *tf = tfd_of(f);
	(void)t;
	(void)pos;
	if (len < 8)
		return -EINVAL;
	if (!tf->ticks)
		return -EAGAIN;
	memcpy(buf, &tf->ticks, 8);
	tf->ticks = 0;
	return 8;
}

static unsigned tfd_poll(struct file *f, struct waitq **wq)
{
	struct timerfd *tf = tfd_of(f);
	*wq = &tf->wq;
	return tf->ticks ? POLLIN | POLLRDNORM : 0;
}

static void tfd_release(struct file *f)
{
	struct timerfd *tf = tfd_of(f);
	ktimer_cancel(&tf->kt);
	waitq_wake_all(&tf->wq);
	free(tf);
}

static void tfd_describe(struct file *f, char *buf, size_t size)
{
	(void)f;
	snprintf(buf, size, "anon_inode:[timerfd]");
}

static const struct file_ops timerfd_ops = {
    .read = tfd_read,
    .poll = tfd_poll,
    .release = tfd_release,
    .describe = tfd_describe,
};

long sys_timerfd_create(struct thread *t, const struct sysargs *a)
{
	int clock = (int)a->a[0];
	unsigned flags = (unsigned)a->a[1];
	if (clock != LX_CLOCK_REALTIME && clock != LX_CLOCK_MONOTONIC &&
	    clock != LX_CLOCK_BOOTTIME && clock != LX_CLOCK_REALTIME_ALARM &&
	    clock != LX_CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	if (flags & ~(unsigned)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	struct file *f =
	    anon_file_new(&timerfd_ops, O_RDWR | (flags & O_NONBLOCK), sizeof(struct timerfd));
	if (!f)
		return -ENOMEM;
	struct timerfd *tf = tfd_of(f);
	tf->clock = clock;
	tf->kt.fn = expired;
	tf->kt.arg = tf;
	waitq_init(&tf->wq);
	return fd_install_new(t->proc, f, flags & O_CLOEXEC);
}

static bool is_realtime(int clock)
{
	return clock == LX_CLOCK_REALTIME || clock == LX_CLOCK_REALTIME_ALARM;
}

/* The timer's setting now, as struct itimerspec: interval, value. */
static void current(struct timerfd *tf, int64_t out[4])
{
	uint64_t left = 0, now = now_ns();
	if (tf->armed)
		left = tf->kt.deadline > now ? tf->kt.deadline - now : 1;
	out[0] = (int64_t)(tf->interval / NSEC);
	out[1] = (int64_t)(tf->interval % NSEC);
	out[2] = (int64_t)(left / NSEC);
	out[3] = (int64_t)(left % NSEC);
}

/* A checked timespec as ns, saturating far beyond any real deadline. */
static uint64_t ts_ns(const int64_t ts[2])
{
	return (uint64_t)ts[0] > UINT64_MAX / (2 * NSEC) ? UINT64_MAX / 2
	                                                 : (uint64_t)ts[0] * NSEC + (uint64_t)ts[1];
}

static bool ts_valid(const int64_t ts[2])
{
	return ts[0] >= 0 && ts[1] >= 0 && ts[1] < (int64_t)NSEC;
}

long sys_timerfd_settime(struct thread *t, const struct sysargs *a)
{
	unsigned flags = (unsigned)a->a[1];
	int64_t its[4], old[4];
	long r;

	if (flags & ~(LX_TFD_TIMER_ABSTIME | LX_TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (copy_from_user(t, its, a->a[2], sizeof its) < 0)
		return -EFAULT;
	if (!ts_valid(its) || !ts_valid(its + 2))
		return -EINVAL;
	struct file *f;
	r = fd_get_kind(t->proc, (int)a->a[0], &timerfd_ops, -EINVAL, &f);
	if (r < 0)
		return r;
	struct timerfd *tf = tfd_of(f);
	current(tf, old);
	ktimer_cancel(&tf->kt);
	tf->armed = false;
	tf->ticks = 0;
	uint64_t interval = ts_ns(its), value = ts_ns(its + 2);
	/* A period far below the event loop's own cost would keep the
	 * server busy with one client's timer: 10 us at least. */
	tf->interval = interval && interval < MIN_INTERVAL ? MIN_INTERVAL : interval;
	if (value) {
		uint64_t now = now_ns(), deadline;
		if (flags & LX_TFD_TIMER_ABSTIME) {
			/* An absolute time on the timer's clock, as a point
			 * on the monotonic one. */
			uint64_t clk = is_realtime(tf->clock) ? plat_clock_ns(0) : now;
			deadline = value > clk ? now + (value - clk) : now;
		} else {
			deadline = value > UINT64_MAX / 2 - now ? UINT64_MAX / 2 : now + value;
		}
		tf->armed = true;
		/* A deadline already past expires from the next pass of the
		 * event loop, as an expired hrtimer fires at once. */
		ktimer_arm(&tf->kt, deadline ? deadline : 1);
	}
	file_put(f);
	/* As Linux: the new setting stands even if old cannot be written. */
	if (a->a[3] && copy_to_user(t, a->a[3], old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

long sys_timerfd_gettime(struct thread *t, const struct sysargs *a)
{
	int64_t cur[4];
	long r;
	struct file *f;
	r = fd_get_kind(t->proc, (int)a->a[0], &timerfd_ops, -EINVAL, &f);
	if (r < 0)
		return r;
	current(tfd_of(f), cur);
	file_put(f);
	return copy_to_user(t, a->a[1], cur, sizeof cur) < 0 ? -EFAULT : 0;
}
