/*
 * signalfd and signalfd4: a file from which the reading thread takes its
 * pending signals of a chosen set (thread-directed first, then the
 * process's), as struct signalfd_siginfo records, instead of having them
 * delivered.  As on Linux, what "pending" means depends on the thread that
 * reads or polls, not on the one that made the file: poll and epoll look at
 * the calling thread, and its process's queue (proc->sigfd_wq, woken each
 * time a signal is made pending) is the one a waiter parks on.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "task.h"

#define SIGINFO_SIZE 128 /* struct signalfd_siginfo */
#define LX_SI_QUEUE (-1)

struct sigfd {
	uint64_t mask;
};

static const struct file_ops sigfd_ops;

static uint64_t mask_of(struct file *f)
{
	return ((struct sigfd *)f->priv)->mask;
}

/* struct signalfd_siginfo from a siginfo, field by field as Linux's
 * signalfd_copyinfo picks them for the kind of signal. */
static void to_ssi(const struct siginfo_lx *si, uint8_t out[SIGINFO_SIZE])
{
	uint64_t u64;
	memset(out, 0, SIGINFO_SIZE);
	memcpy(out + 0, &si->si_signo, 4);
	memcpy(out + 4, &si->si_errno, 4);
	memcpy(out + 8, &si->si_code, 4);
	int signo = si->si_signo, code = si->si_code;
	bool fault = signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE ||
	             signo == SIGTRAP;
	if (code > 0 && signo == SIGCHLD) {
		memcpy(out + 12, &si->u.chld.pid, 4);
		memcpy(out + 16, &si->u.chld.uid, 4);
		memcpy(out + 40, &si->u.chld.status, 4);
		memcpy(out + 56, &si->u.chld.utime, 8);
		memcpy(out + 64, &si->u.chld.stime, 8);
	} else if (code > 0 && code != LX_SI_KERNEL && fault) {
		memcpy(out + 72, &si->u.fault.addr, 8);
	} else if (code == LX_SI_TIMER) {
		memcpy(out + 24, &si->u.timer.tid, 4);
		memcpy(out + 32, &si->u.timer.overrun, 4);
		memcpy(out + 48, &si->u.timer.value, 8);
		memcpy(out + 44, &si->u.timer.value, 4);
	} else {
		memcpy(out + 12, &si->u.kill.pid, 4);
		memcpy(out + 16, &si->u.kill.uid, 4);
		if (code < 0 && code != LX_SI_TKILL) {
			/* sigqueue and the like: the value sent with it */
			memcpy(&u64, si->u.raw + 8, 8);
			memcpy(out + 48, &u64, 8);
			memcpy(out + 44, &u64, 4);
		}
	}
}

static long sigfd_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	if (len < SIGINFO_SIZE)
		return -EINVAL;
	size_t n = 0;
	struct siginfo_lx si;
	while (n + SIGINFO_SIZE <= len && sig_dequeue_from(t, mask_of(f), &si) > 0) {
		to_ssi(&si, (uint8_t *)buf + n);
		n += SIGINFO_SIZE;
	}
	return n ? (long)n : -EAGAIN;
}

static unsigned sigfd_poll(struct file *f, struct waitq **wq)
{
	struct thread *t = sched_current();
	*wq = NULL;
	if (!t)
		return 0;
	*wq = &t->proc->sigfd_wq;
	return (sig_pending_set(t) & mask_of(f)) ? POLLIN | POLLRDNORM : 0;
}

static void sigfd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops sigfd_ops = {
    .read = sigfd_read,
    .poll = sigfd_poll,
    .release = sigfd_release,
    .anon_name = "signalfd",
};

static long do_signalfd(struct thread *t, int fd, uint64_t umask, uint64_t size, unsigned flags)
{
	uint64_t mask;
	if (flags & ~(unsigned)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(t, &mask, umask, 8) < 0)
		return -EFAULT;
	mask &= ~LX_SIG_UNBLOCKABLE; /* SIGKILL and SIGSTOP are never read */
	if (fd != -1) {
		struct file *f;
		int r = fd_get_kind(t->proc, fd, &sigfd_ops, -EINVAL, &f);
		if (r < 0)
			return r;
		((struct sigfd *)f->priv)->mask = mask;
		/* A waiter may now have something to read. */
		waitq_wake_all(&t->proc->sigfd_wq);
		file_put(f);
		return fd;
	}
	struct file *f =
	    anon_file_new(&sigfd_ops, O_RDWR | (flags & O_NONBLOCK), sizeof(struct sigfd));
	if (!f)
		return -ENOMEM;
	((struct sigfd *)f->priv)->mask = mask;
	return fd_install_new(t->proc, f, flags & O_CLOEXEC);
}

long sys_signalfd(struct thread *t, const struct sysargs *a)
{
	return do_signalfd(t, (int)a->a[0], a->a[1], a->a[2], 0);
}

long sys_signalfd4(struct thread *t, const struct sysargs *a)
{
	return do_signalfd(t, (int)a->a[0], a->a[1], a->a[2], (unsigned)a->a[3]);
}
