/*
 * poll, ppoll, select, pselect6: one readiness pass over the files (each
 * file type reports its POLL* bits and the wait queue that changes them),
 * and if nothing is ready, a park on all those queues with the deadline;
 * the re-dispatch after a wake makes a new pass.  A signal ends the wait
 * as on Linux: a handler sees EINTR, while after a stop and SIGCONT poll
 * goes on to the same deadline (restart_syscall) and ppoll, select and
 * pselect6 run again with the time left, written back to their timeout.
 *
 * Deliberate difference: the signal mask argument of ppoll and pselect6
 * is checked but not applied (the call runs with the thread's own mask).
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "task.h"

struct lx_pollfd {
	int32_t fd;
	int16_t events, revents;
};

/* Deadline (absolute monotonic ns, 0 none) from a relative timeout kept
 * across re-dispatches; *expired when the call must not wait. */
uint64_t poll_deadline(struct thread *t, int64_t rel_ns, bool *no_wait)
{
	*no_wait = rel_ns == 0 || t->wake == WAKE_TIMEOUT;
	if (t->wake == WAKE_NONE)
		t->sys.deadline = rel_ns > 0 ? now_ns() + (uint64_t)rel_ns : 0;
	return t->sys.deadline;
}

static int64_t remaining(uint64_t deadline)
{
	uint64_t now = now_ns();
	return deadline > now ? (int64_t)(deadline - now) : 0;
}

/* Write the time left until deadline to a timeout argument. */
static int write_left(struct thread *t, uint64_t uts, uint64_t deadline, bool timeval)
{
	int64_t left = remaining(deadline);
	int64_t v[2] = {left / 1000000000, timeval ? left % 1000000000 / 1000 : left % 1000000000};
	return copy_to_user(t, uts, v, sizeof v);
}

/* ppoll, select, pselect6 woken by a signal: Linux's poll_select_finish. */
static long interrupted(struct thread *t, uint64_t uts, int64_t rel_ns, bool timeval)
{
	if (uts && rel_ns > 0 && write_left(t, uts, t->sys.deadline, timeval) < 0)
		return -EINTR;
	return -ERESTARTNOHAND;
}

/* One pass; with wait, registers t on the queue of every file not ready. */
static int poll_pass(struct thread *t, struct lx_pollfd *fds, unsigned n, bool wait)
{
	int count = 0;
	for (unsigned i = 0; i < n; i++) {
		struct file *f;
		struct waitq *wq = NULL;
		unsigned m;
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		f = fd_get(t->proc, fds[i].fd);
		if (!f || (f->flags & LX_O_PATH)) {
			file_put(f);
			fds[i].revents = POLLNVAL;
			count++;
			continue;
		}
		m = file_poll(f, &wq);
		m &= (unsigned)(uint16_t)fds[i].events | POLLERR | POLLHUP;
		fds[i].revents = (int16_t)m;
		if (m)
			count++;
		else if (wait && wq)
			thread_wait_on(t, wq);
		file_put(f);
	}
	return count;
}

static long do_poll(struct thread *t, uint64_t ufds, uint64_t nfds, int64_t rel_ns, uint64_t uts)
{
	struct lx_pollfd *fds;
	bool no_wait;
	uint64_t deadline;
	long r;

	if (t->wake == WAKE_SIGNAL)
		return interrupted(t, uts, rel_ns, false);
	if (nfds > fd_limit(t->proc))
		return -EINVAL;
	deadline = poll_deadline(t, rel_ns, &no_wait);
	fds = malloc(sizeof *fds * (nfds ? nfds : 1));
	if (!fds)
		return -ENOMEM;
	if (copy_from_user(t, fds, ufds, sizeof *fds * nfds) < 0) {
		free(fds);
		return -EFAULT;
	}
	r = poll_pass(t, fds, (unsigned)nfds, !no_wait);
	if (r == 0 && !no_wait) {
		free(fds);
		t->sees_signal_wake = true;
		return thread_park(t, deadline);
	}
	for (unsigned i = 0; i < nfds; i++)
		if (copy_to_user(t, ufds + i * sizeof *fds + 6, &fds[i].revents, 2) < 0)
			r = -EFAULT;
	free(fds);
	if (uts && rel_ns > 0 && r >= 0)
		write_left(t, uts, deadline, false);
	return r;
}

static long poll_restart(struct thread *t);

/* poll has no timeout to write back: a signal leaves its deadline in the
 * restart block. */
static long poll_common(struct thread *t, uint64_t ufds, uint64_t nfds, int64_t rel_ns)
{
	if (t->wake == WAKE_SIGNAL) {
		t->restart = (struct restart_block){
		    .fn = poll_restart, .deadline = t->sys.deadline, .a = {ufds, nfds}};
		return -ERESTART_RESTARTBLOCK;
	}
	return do_poll(t, ufds, nfds, rel_ns, 0);
}

static long poll_restart(struct thread *t)
{
	uint64_t d = t->restart.deadline;
	return poll_common(t, t->restart.a[0], t->restart.a[1], d ? remaining(d) : -1);
}

long sys_poll(struct thread *t, const struct sysargs *a)
{
	int timeout = (int)a->a[2];
	return poll_common(t, a->a[0], (unsigned)a->a[1],
	                   timeout < 0 ? -1 : (int64_t)timeout * 1000000);
}

int poll_get_timespec(struct thread *t, uint64_t uts, int64_t *rel_ns)
{
	int64_t ts[2];
	*rel_ns = -1;
	if (!uts)
		return 0;
	if (copy_from_user(t, ts, uts, sizeof ts) < 0)
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] > 999999999)
		return -EINVAL;
	*rel_ns = ts[0] > INT64_MAX / 1000000000 - 1 ? INT64_MAX / 2 : ts[0] * 1000000000 + ts[1];
	return 0;
}

/* The sigmask argument of ppoll/pselect6: checked, then the call runs
 * under it (set once, on the first entry; re-dispatches keep it). */
int poll_apply_sigmask(struct thread *t, uint64_t umask, uint64_t size)
{
	uint64_t mask;
	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(t, &mask, umask, 8) < 0)
		return -EFAULT;
	if (t->wake == WAKE_NONE)
		sig_set_temp_mask(t, mask);
	return 0;
}

long sys_ppoll(struct thread *t, const struct sysargs *a)
{
	int64_t rel;
	int r = poll_get_timespec(t, a->a[2], &rel);
	if (r == 0)
		r = poll_apply_sigmask(t, a->a[3], a->a[4]);
	if (r < 0)
		return r;
	return do_poll(t, a->a[0], (unsigned)a->a[1], rel, a->a[2]);
}

/* ---- select ------------------------------------------------------------------- */

/* Linux looks only at the fds its descriptor table has room for: nfds
 * beyond that is cut down, never an error (select(FD_SETSIZE, ...) under
 * a smaller RLIMIT_NOFILE is common).  The table holds 64 fds, then
 * grows to 128 * 2^k to fit the highest fd; ours says only which fd is
 * the highest open now, so a table Linux grew and kept can be larger. */
static int select_clamp(struct proc *p, int nfds)
{
	unsigned n = (unsigned)fd_count(p), cap = 64;
	if (n > 64) {
		unsigned k = 1;
		while (k < n / 128 + 1)
			k *= 2;
		cap = 128 * k;
	}
	return (unsigned)nfds > cap ? (int)cap : nfds;
}

static long do_select(struct thread *t, int nfds, uint64_t uin, uint64_t uout, uint64_t uex,
                      int64_t rel_ns, uint64_t uts, bool timeval)
{
	size_t words = ((size_t)nfds + 63) / 64, bytes = words * 8;
	uint64_t *in = NULL, *out = NULL, *ex = NULL, *rin, *rout, *rex;
	uint64_t deadline;
	bool no_wait;
	long r = 0;
	int count = 0;

	if (t->wake == WAKE_SIGNAL)
		return interrupted(t, uts, rel_ns, timeval);
	if (nfds < 0)
		return -EINVAL;
	nfds = select_clamp(t->proc, nfds);
	deadline = poll_deadline(t, rel_ns, &no_wait);
	in = calloc(6, bytes ? bytes : 8);
	if (!in)
		return -ENOMEM;
	out = in + words;
	ex = out + words;
	rin = ex + words;
	rout = rin + words;
	rex = rout + words;
	if ((uin && copy_from_user(t, in, uin, bytes) < 0) ||
	    (uout && copy_from_user(t, out, uout, bytes) < 0) ||
	    (uex && copy_from_user(t, ex, uex, bytes) < 0)) {
		free(in);
		return -EFAULT;
	}
	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ull << (fd % 64);
		size_t w = (size_t)fd / 64;
		bool want_in = in[w] & bit, want_out = out[w] & bit, want_ex = ex[w] & bit;
		struct waitq *wq = NULL;
		struct file *f;
		unsigned m;
		if (!want_in && !want_out && !want_ex)
			continue;
		f = fd_get(t->proc, fd);
		if (!f || (f->flags & LX_O_PATH)) {
			file_put(f);
			r = -EBADF;
			break;
		}
		m = file_poll(f, &wq);
		bool any = false;
		if (want_in && (m & (POLLIN | POLLRDNORM | POLLHUP | POLLERR))) {
			rin[w] |= bit;
			any = true;
			count++;
		}
		if (want_out && (m & (POLLOUT | POLLWRNORM | POLLERR))) {
			rout[w] |= bit;
			any = true;
			count++;
		}
		if (want_ex && (m & POLLPRI)) {
			rex[w] |= bit;
			any = true;
			count++;
		}
		if (!any && !no_wait && wq)
			thread_wait_on(t, wq);
		file_put(f);
	}
	if (r == 0 && count == 0 && !no_wait) {
		free(in);
		t->sees_signal_wake = true;
		return thread_park(t, deadline);
	}
	if (r == 0) {
		if ((uin && copy_to_user(t, uin, rin, bytes) < 0) ||
		    (uout && copy_to_user(t, uout, rout, bytes) < 0) ||
		    (uex && copy_to_user(t, uex, rex, bytes) < 0))
			r = -EFAULT;
		else
			r = count;
	}
	free(in);
	if (r >= 0 && uts && rel_ns > 0)
		write_left(t, uts, deadline, timeval);
	return r;
}

long sys_select(struct thread *t, const struct sysargs *a)
{
	int64_t rel = -1, tv[2];
	if (a->a[4]) {
		if (copy_from_user(t, tv, a->a[4], sizeof tv) < 0)
			return -EFAULT;
		if (tv[0] < 0 || tv[1] < 0)
			return -EINVAL;
		/* Linux carries whole seconds of tv_usec over into tv_sec. */
		int64_t sec = tv[1] / 1000000, nsec = tv[1] % 1000000 * 1000;
		sec = tv[0] > INT64_MAX - sec ? INT64_MAX : tv[0] + sec;
		rel = sec > INT64_MAX / 2000000000 ? INT64_MAX / 2 : sec * 1000000000 + nsec;
	}
	return do_select(t, (int)a->a[0], a->a[1], a->a[2], a->a[3], rel, a->a[4], true);
}

long sys_pselect6(struct thread *t, const struct sysargs *a)
{
	int64_t rel;
	uint64_t sig[2]; /* { const sigset_t *ss; size_t ss_len; } */
	int r = poll_get_timespec(t, a->a[4], &rel);
	if (r < 0)
		return r;
	if (a->a[5]) {
		if (copy_from_user(t, sig, a->a[5], sizeof sig) < 0)
			return -EFAULT;
		r = poll_apply_sigmask(t, sig[0], sig[1]);
		if (r < 0)
			return r;
	}
	return do_select(t, (int)a->a[0], a->a[1], a->a[2], a->a[3], rel, a->a[4], false);
}
