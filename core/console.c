/*
 * The console: fds 0, 1, 2 of the first process are the caller's own
 * stdin, stdout and stderr, reached through plat_console_*.  Input never
 * blocks the server: with nothing to read, the reader asks the platform
 * for an EV_CONSOLE event and parks on console_wq.  When the console is a
 * terminal, a process of its session outside the foreground group meets
 * job control: SIGTTIN when it reads, SIGTTOU when it writes with TOSTOP
 * set or changes the terminal's settings or foreground group.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "task.h"

static struct inode *stream_ino[3];
static struct waitq console_wq = {LIST_INIT(console_wq.waiters), NULL};

/* Input read ahead by poll() (to learn whether there is any), handed to
 * the next read first. */
static char ahead[4096];
static size_t ahead_len;
static bool ahead_eof;

#define LX_TCGETS 0x5401
#define LX_TCSETS 0x5402
#define LX_TCSETSW 0x5403
#define LX_TCSETSF 0x5404
#define LX_TIOCGPGRP 0x540f
#define LX_TIOCSPGRP 0x5410
#define LX_TIOCGWINSZ 0x5413
#define LX_TIOCSCTTY 0x540e
#define LX_TIOCNOTTY 0x5422
#define LX_TIOCGSID 0x5429
#define LX_TIOCSWINSZ 0x5414
#define LX_TERMIOS_SIZE 36 /* the kernel's struct termios (not glibc's) */
#define LX_TOSTOP 0400     /* c_lflag, the fourth word of struct termios */

static int stream_of(struct file *f)
{
	return (int)(uintptr_t)f->priv;
}

/* How a stream looks to fstat, like Linux shows the caller's object. */
struct inode *console_inode(int stream)
{
	if (stream < 0 || stream > 2)
		return NULL;
	if (!stream_ino[stream]) {
		struct inode *ino;
		int kind = plat_console_kind(stream);
		uint32_t mode = kind == 1   ? S_IFCHR | 0620
		                : kind == 2 ? S_IFIFO | 0600
		                : kind == 3 ? S_IFREG | 0644
		                            : S_IFCHR | 0666;
		ino = inode_new(SB_DEV, mode);
		if (!ino)
			return NULL;
		if (kind == 1)
			ino->rdev = (136 << 8) | 0; /* /dev/pts/0 */
		else if (kind == 0)
			ino->rdev = (1 << 8) | 3; /* like /dev/null */
		ino->nlink = 1;
		ino->refs = 1; /* kept for the whole run */
		ino->fops = &console_ops;
		stream_ino[stream] = ino;
	}
	return stream_ino[stream];
}

static long tty_check(struct thread *t, int s, int sig, bool write);

static long console_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	long r;
	if (len == 0)
		return 0;
	r = tty_check(t, 0, SIGTTIN, false);
	if (r)
		return r;
	if (ahead_len) {
		size_t n = len < ahead_len ? len : ahead_len;
		memcpy(buf, ahead, n);
		memmove(ahead, ahead + n, ahead_len - n);
		ahead_len -= n;
		return (long)n;
	}
	if (ahead_eof) {
		ahead_eof = false;
		return 0;
	}
	r = plat_console_read(buf, len);
	if (r == -EAGAIN)
		plat_console_watch(1);
	return r;
}

static long console_write(struct file *f, struct thread *t, const void *buf, size_t len,
                          uint64_t *pos)
{
	int s = stream_of(f);
	long r = tty_check(t, s, SIGTTOU, true);
	if (r)
		return r;
	/* A read-write terminal fd 0 writes where the terminal is. */
	r = plat_console_write(s == 0 ? 1 : s, buf, len);
	/* The caller's stream is a pipe nobody reads any more: the writer
	 * gets SIGPIPE as well as EPIPE, as with any pipe (`yes | head`). */
	if (r == -EPIPE)
		sig_send_thread(t, SIGPIPE, NULL);
	return r;
}

static unsigned console_poll(struct file *f, struct waitq **wq)
{
	unsigned m = 0;
	*wq = &console_wq;
	if (file_writable(f))
		m |= POLLOUT | POLLWRNORM;
	if (file_readable(f)) {
		if (!ahead_len && !ahead_eof) {
			long r = plat_console_read(ahead, sizeof ahead);
			if (r > 0)
				ahead_len = (size_t)r;
			else if (r == 0)
				ahead_eof = true;
			else
				plat_console_watch(1);
		}
		if (ahead_len || ahead_eof)
			m |= POLLIN | POLLRDNORM;
		if (ahead_eof && plat_console_kind(0) == 2)
			m |= POLLHUP;
	}
	return m;
}

/* The terminal's foreground process group and session: the guest's own
 * (the host's process groups mean nothing to it).  0: not set yet, which
 * reads as the first process's group. */
static int fg_pgrp;

bool console_job_control(void)
{
	return fg_pgrp != 0;
}

int console_foreground_pgrp(void)
{
	if (fg_pgrp && proc_pgrp_exists(fg_pgrp))
		return fg_pgrp;
	struct proc *first = proc_by_pid(sched_first_pid());
	return first && !first->exiting ? first->pgid : 0;
}

/* Whether the terminal's TOSTOP is set.  The settings live on the host's
 * terminal (TCSETS passes through), so they are asked for there, and only
 * for a background write. */
static bool tostop(int s)
{
	uint32_t termios[LX_TERMIOS_SIZE / 4 + 1];
	return plat_console_ioctl(s == 0 ? 1 : s, LX_TCGETS, termios) >= 0 &&
	       (termios[3] & LX_TOSTOP);
}

/* Linux's __tty_check_change, for a call of t on the terminal stream s
 * that sig guards (SIGTTIN: a read; SIGTTOU: a write, guarded only when
 * TOSTOP is set, or a change of settings or foreground group).  A process of the
 * console's session outside its foreground group has its whole group
 * signalled and the call runs again once the group is continued
 * (ERESTARTSYS) -- unless t blocks or ignores sig (a read is EIO, the rest
 * goes on) or the group is orphaned (EIO: nobody could continue it).  A
 * console that is not a terminal is nobody's controlling terminal. */
static long tty_check(struct thread *t, int s, int sig, bool write)
{
	struct proc *p = t ? t->proc : NULL, *first = proc_by_pid(sched_first_pid());
	if (!p || !first || p->sid != first->sid || plat_console_kind(s) != 1)
		return 0;
	int fg = console_foreground_pgrp();
	if (!fg || p->pgid == fg || (write && !tostop(s)))
		return 0;
	if (sig_ignored_or_blocked(t, sig))
		return sig == SIGTTIN ? -EIO : 0;
	if (proc_pgrp_orphaned(p->pgid))
		return -EIO;
	proc_signal_pgrp(p->pgid, sig);
	return -ERESTARTSYS;
}

/* Job control requests that concern only the guest's view of the
 * terminal: answered here, never passed to the host's. */
static long console_jobctl(struct thread *t, int s, unsigned long cmd, uint64_t arg)
{
	int32_t v;
	switch (cmd) {
	case LX_TIOCGPGRP:
		v = console_foreground_pgrp();
		return copy_to_user(t, arg, &v, sizeof v) < 0 ? -EFAULT : 0;
	case LX_TIOCSPGRP: {
		long r = tty_check(t, s, SIGTTOU, false);
		if (r)
			return r == -EIO ? -ENOTTY : r;
		if (copy_from_user(t, &v, arg, sizeof v) < 0)
			return -EFAULT;
		if (v < 0)
			return -EINVAL;
		if (!proc_pgrp_exists(v))
			return -ESRCH;
		fg_pgrp = v;
		return 0;
	}
	case LX_TIOCGSID: {
		struct proc *first = proc_by_pid(sched_first_pid());
		v = first ? first->sid : t->proc->sid;
		return copy_to_user(t, arg, &v, sizeof v) < 0 ? -EFAULT : 0;
	}
	default: /* TIOCSCTTY, TIOCNOTTY: the console is every session's */
		return 0;
	}
}

static long console_ioctl(struct file *f, struct thread *t, unsigned long cmd, uint64_t arg)
{
	char buf[64];
	size_t in = 0, out = 0;
	long r;
	int s = stream_of(f);

	switch (cmd) {
	case LX_TCGETS:
		out = LX_TERMIOS_SIZE;
		break;
	case LX_TCSETS:
	case LX_TCSETSW:
	case LX_TCSETSF:
		in = LX_TERMIOS_SIZE;
		break;
	case LX_TIOCGWINSZ:
		out = 8;
		break;
	case LX_TIOCSWINSZ:
		in = 8;
		break;
	case LX_TIOCGPGRP:
	case LX_TIOCSPGRP:
	case LX_TIOCGSID:
	case LX_TIOCSCTTY:
	case LX_TIOCNOTTY:
		return plat_console_kind(s) == 1 ? console_jobctl(t, s, cmd, arg) : -ENOTTY;
	case 0x541b: /* FIONREAD */
		if (plat_console_kind(s) == 1 || s == 0) {
			int32_t n = (int32_t)ahead_len;
			if (!n && file_readable(f)) {
				struct waitq *wq;
				console_poll(f, &wq);
				n = (int32_t)ahead_len;
			}
			return copy_to_user(t, arg, &n, 4) < 0 ? -EFAULT : 0;
		}
		return -ENOTTY;
	default:
		return -ENOTTY;
	}
	/* Answer -ENOTTY before touching the argument, as Linux does for
	 * a stream that is not a terminal. */
	if (plat_console_kind(s) != 1)
		return -ENOTTY;
	if (cmd == LX_TCSETS || cmd == LX_TCSETSW || cmd == LX_TCSETSF) {
		r = tty_check(t, s, SIGTTOU, false);
		if (r)
			return r;
	}
	memset(buf, 0, sizeof buf);
	if (in && copy_from_user(t, buf, arg, in) < 0)
		return -EFAULT;
	r = plat_console_ioctl(s, cmd, buf);
	if (r < 0)
		return r;
	if (out && copy_to_user(t, arg, buf, out) < 0)
		return -EFAULT;
	return r;
}

static void console_describe(struct file *f, char *buf, size_t size)
{
	int s = stream_of(f);
	switch (plat_console_kind(s)) {
	case 1:
		snprintf(buf, size, "/dev/pts/0");
		break;
	case 2:
		snprintf(buf, size, "pipe:[%lu]", (unsigned long)f->ino->ino);
		break;
	default:
		snprintf(buf, size, "%s", f->path ? f->path : "/dev/null");
		break;
	}
}

/* Opening a console inode again (/proc/self/fd/1): the same stream. */
static int console_open(struct file *f, struct thread *t)
{
	for (int i = 0; i < 3; i++)
		if (stream_ino[i] == f->ino)
			f->priv = (void *)(uintptr_t)i;
	return 0;
}

const struct file_ops console_ops = {
    .open = console_open,
    .read = console_read,
    .write = console_write,
    .poll = console_poll,
    .ioctl = console_ioctl,
    .describe = console_describe,
};

/* /dev/tty and /dev/console: the terminal, if the caller has one. */
int console_open_tty(struct file *f, struct thread *t)
{
	int s = plat_console_kind(1) == 1   ? 1
	        : plat_console_kind(2) == 1 ? 2
	        : plat_console_kind(0) == 1 ? 0
	                                    : -1;
	if (s < 0)
		return -ENXIO;
	f->priv = (void *)(uintptr_t)s;
	f->ops = &console_ops;
	return 0;
}

void console_input_ready(void)
{
	plat_console_watch(0);
	waitq_wake_all(&console_wq);
}
