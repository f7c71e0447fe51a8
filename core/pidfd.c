/*
 * pidfds: a file that names a process for as long as the file lives, even
 * once the pid number is free again.  pidfd_open and clone's CLONE_PIDFD
 * make one; poll says POLLIN once the process has exited (and POLLHUP too
 * once it has been reaped); pidfd_send_signal (sys_signal.c) and
 * waitid(P_PIDFD) act on the process it names; pidfd_getfd copies one of
 * its fds.
 *
 * The file keeps the pid and the process's serial number (unique for the
 * server's life), so a recycled pid is never mistaken for the process.
 * Every exit and every reap wakes one queue all pidfds share: the events
 * are rare and a spurious wake only makes a poll look again.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "task.h"

#define LX_PIDFD_NONBLOCK O_NONBLOCK

struct pidfd {
	int pid;
	uint64_t serial;
};

static struct waitq pidfd_wq = {.waiters = LIST_INIT(pidfd_wq.waiters)};
static const struct file_ops pidfd_ops;

void pidfd_proc_changed(void)
{
	waitq_wake_all(&pidfd_wq);
}

static struct proc *pidfd_proc(struct file *f);

static unsigned pidfd_poll(struct file *f, struct waitq **wq)
{
	struct proc *p = pidfd_proc(f);
	*wq = &pidfd_wq;
	if (!p)
		return POLLIN | POLLRDNORM | POLLHUP;
	return p->exiting ? POLLIN | POLLRDNORM : 0;
}

static struct proc *pidfd_proc(struct file *f)
{
	const struct pidfd *pf = f->priv;
	struct proc *p = proc_by_pid(pf->pid);
	return p && p->serial == pf->serial ? p : NULL;
}

static void pidfd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops pidfd_ops = {
    .poll = pidfd_poll,
    .release = pidfd_release,
    .anon_name = "pidfd",
};

int pidfd_target(struct thread *t, int fd, struct proc **out, bool *nonblock)
{
	struct file *f;
	int r = fd_get_kind(t->proc, fd, &pidfd_ops, -EBADF, &f);
	if (r < 0)
		return r;
	*out = pidfd_proc(f);
	if (nonblock)
		*nonblock = f->flags & O_NONBLOCK;
	file_put(f);
	return 0;
}

static int pidfd_install(struct thread *t, struct proc *p, unsigned flags)
{
	struct file *f =
	    anon_file_new(&pidfd_ops, O_RDWR | (flags & O_NONBLOCK), sizeof(struct pidfd));
	if (!f)
		return -ENOMEM;
	struct pidfd *pf = f->priv;
	pf->pid = p->pid;
	pf->serial = p->serial;
	return fd_install_new(t->proc, f, true);
}

int pidfd_for_clone(struct thread *t, struct proc *p, uint64_t uaddr)
{
	int32_t fd = pidfd_install(t, p, 0);
	if (fd < 0)
		return fd;
	if (copy_to_user(t, uaddr, &fd, sizeof fd) < 0) {
		fd_close(t->proc, fd);
		return -EFAULT;
	}
	return 0;
}

long sys_pidfd_open(struct thread *t, const struct sysargs *a)
{
	int pid = (int)a->a[0];
	unsigned flags = (unsigned)a->a[1];
	if (flags & ~(unsigned)LX_PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	struct proc *p = proc_by_pid(pid);
	if (!p)
		return thread_by_tid(pid) ? -EINVAL : -ESRCH; /* a thread is no process */
	return pidfd_install(t, p, flags);
}

/* pidfd_getfd(pidfd, targetfd, flags): a copy of the process's fd, as
 * dup would make it in the caller, close-on-exec.  Every process here has
 * the caller's credentials, which is what Linux's ptrace check asks. */
long sys_pidfd_getfd(struct thread *t, const struct sysargs *a)
{
	struct proc *p;
	if (a->a[2])
		return -EINVAL;
	int r = pidfd_target(t, (int)a->a[0], &p, NULL);
	if (r < 0)
		return r;
	if (!p || p->exiting)
		return -ESRCH;
	struct file *f = fd_get(p, (int)a->a[1]);
	if (!f)
		return -EBADF;
	return fd_install_new(t->proc, f, true);
}
