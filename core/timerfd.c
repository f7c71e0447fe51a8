/*
 * timerfd: timerfd_create, timerfd_settime, timerfd_gettime, and the file
 * they make: read gives the number of expirations since the last read
 * (blocking or EAGAIN while there are none), poll says POLLIN when there
 * are some, so epoll and poll loops can wait on timers.
 *
 * The timer itself is a clock timer (clocktimer.c), as for timer_create.
 * Persona's realtime clock is never stepped under a running guest, so
 * TFD_TIMER_CANCEL_ON_SET is accepted and never fires.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "task.h"

#define LX_TFD_TIMER_ABSTIME 1U
#define LX_TFD_TIMER_CANCEL_ON_SET 2U

struct timerfd {
	struct clock_timer ct;
	uint64_t ticks; /* expirations not read yet */
	struct waitq wq;
};

static const struct file_ops timerfd_ops;

static struct timerfd *tfd_of(struct file *f)
{
	return f->priv;
}

static void expired(struct clock_timer *ct, uint64_t n)
{
	struct timerfd *tf = (struct timerfd *)((char *)ct - offsetof(struct timerfd, ct));
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
	clock_timer_cancel(&tf->ct);
	waitq_wake_all(&tf->wq);
	free(tf);
}

static const struct file_ops timerfd_ops = {
    .read = tfd_read,
    .poll = tfd_poll,
    .release = tfd_release,
    .anon_name = "timerfd",
};

long sys_timerfd_create(struct thread *t, const struct sysargs *a)
{
	int clock = (int)a->a[0];
	unsigned flags = (unsigned)a->a[1];
	if (!clock_timer_clock_ok(clock))
		return -EINVAL;
	if (flags & ~(unsigned)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	struct file *f =
	    anon_file_new(&timerfd_ops, O_RDWR | (flags & O_NONBLOCK), sizeof(struct timerfd));
	if (!f)
		return -ENOMEM;
	struct timerfd *tf = tfd_of(f);
	clock_timer_init(&tf->ct, clock, expired);
	waitq_init(&tf->wq);
	return fd_install_new(t->proc, f, flags & O_CLOEXEC);
}

long sys_timerfd_settime(struct thread *t, const struct sysargs *a)
{
	unsigned flags = (unsigned)a->a[1];
	int64_t its[4], old[4];
	long r;

	if (flags & ~(LX_TFD_TIMER_ABSTIME | LX_TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if ((r = clock_timer_spec_in(t, a->a[2], its)) < 0)
		return r;
	struct file *f;
	r = fd_get_kind(t->proc, (int)a->a[0], &timerfd_ops, -EINVAL, &f);
	if (r < 0)
		return r;
	struct timerfd *tf = tfd_of(f);
	clock_timer_get(&tf->ct, old);
	tf->ticks = 0;
	clock_timer_set(&tf->ct, flags & LX_TFD_TIMER_ABSTIME, its);
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
	clock_timer_get(&tfd_of(f)->ct, cur);
	file_put(f);
	return copy_to_user(t, a->a[1], cur, sizeof cur) < 0 ? -EFAULT : 0;
}
