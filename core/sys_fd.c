/*
 * System calls on file descriptors: the read/write family, lseek, close,
 * dup, fcntl, ioctl, pipes, eventfd, memfd, sendfile, copy_file_range,
 * ftruncate, fallocate, fsync and friends.  Each handler checks its
 * arguments, then acts through struct file's operations.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "vfs.h"

#define MAX_RW_COUNT 0x7ffff000UL /* Linux clamps every transfer to this */
#define IO_CHUNK (256 * 1024UL)   /* server buffer per step */
#define LX_IOV_MAX 1024

struct uiov {
	uint64_t base, len;
};

/* Copy n bytes between kbuf and the client iovecs, starting at logical
 * offset off of their concatenation.  Returns the bytes copied: fewer
 * than n when a bad page stopped the copy (Linux keeps what came before). */
static size_t iov_copy(struct thread *t, const struct uiov *iov, int cnt, size_t off, void *kbuf,
                       size_t n, bool to_user)
{
	size_t done = 0;
	for (int i = 0; i < cnt && done < n; i++) {
		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		size_t k = iov[i].len - off, got;
		if (k > n - done)
			k = n - done;
		got = to_user ? mm_copy_to_partial(t->proc->mm, iov[i].base + off,
		                                   (char *)kbuf + done, k)
		              : mm_copy_from_partial(t->proc->mm, (char *)kbuf + done,
		                                     iov[i].base + off, k);
		done += got;
		if (got < k)
			break;
		off = 0;
	}
	return done;
}

/* Linux's access_ok: a range that leaves user space is -EFAULT before
 * anything is transferred, even when fewer bytes would be. */
static bool user_range_ok(uint64_t addr, uint64_t len)
{
	return len <= ARCH_TASK_SIZE_MAX && addr <= ARCH_TASK_SIZE_MAX - len;
}

/* Park t until f may be ready or the deadline (0: none) passes; -EAGAIN
 * if f has nothing to wait on. */
static long park_on(struct thread *t, struct file *f, uint64_t deadline)
{
	struct waitq *wq;
	file_poll(f, &wq);
	if (!wq)
		return -EAGAIN;
	if (thread_wait_on(t, wq) < 0)
		return -ENOMEM;
	return thread_park(t, deadline);
}

/* What send/recv add to a transfer on a socket (MSG_* flags). */
struct io_opts {
	bool dontwait; /* MSG_DONTWAIT: this call only is non-blocking */
	bool waitall;  /* MSG_WAITALL on a stream: wait for all of it */
	bool whole;    /* MSG_TRUNC: a message's whole length, not what fit */
	struct sock_io sio;
};

static long xfer(struct thread *t, struct file *f, void *buf, size_t n, uint64_t *p, bool write,
                 struct io_opts *o)
{
	if (o && file_is_socket(f)) {
		bool tr = o->sio.trunc;
		long r =
		    write ? sock_send(f, t, buf, n, &o->sio) : sock_recv(f, t, buf, n, &o->sio);
		o->sio.trunc |= tr;
		return r;
	}
	return write ? f->ops->write(f, t, buf, n, p) : f->ops->read(f, t, buf, n, p);
}

/* A socket's SO_SNDTIMEO or SO_RCVTIMEO in ns, 0 for none (or no socket). */
static uint64_t io_timeout(struct file *f, bool write)
{
	if (!file_is_socket(f))
		return 0;
	return write ? sock_opts(f)->sndtimeo : sock_opts(f)->rcvtimeo;
}

/* The end of a transfer that waited: what it moved, else err.  A call
 * with a socket timeout is not restarted after a signal (Linux's
 * sock_intr_errno). */
static long io_end(size_t done, long err, uint64_t timeo)
{
	if (done)
		return (long)done;
	return err == -ERESTARTSYS && timeo ? -EINTR : err;
}

static long do_io_opts(struct thread *t, struct file *f, const struct uiov *iov, int cnt,
                       uint64_t *pos, bool write, struct io_opts *o);

static long do_io(struct thread *t, struct file *f, const struct uiov *iov, int cnt, uint64_t *pos,
                  bool write)
{
	return do_io_opts(t, f, iov, cnt, pos, write, NULL);
}

/*
 * The one transfer loop behind read, write, pread, pwrite, the socket
 * transfers and their vector forms.  pos == NULL: use and advance the
 * file position.  A blocking write that fills a pipe (or a MSG_WAITALL
 * read) parks and continues from where it was after the wake (the count
 * so far is kept in t->sys.generic.cookie); a signal or a socket's
 * timeout then ends it with what it moved.
 */
static long do_io_opts(struct thread *t, struct file *f, const struct uiov *iov, int cnt,
                       uint64_t *pos, bool write, struct io_opts *o)
{
	size_t total = 0, done = 0;
	uint64_t *p = pos ? pos : &f->pos;
	bool stream = !f->ops->seekable || !S_ISREG(f->ino->mode);
	bool resumes = write || (o && o->waitall); /* goes on after a partial transfer */
	uint64_t timeo = io_timeout(f, write);
	long r = 0;

	if (write ? !file_writable(f) : !file_readable(f))
		return -EBADF;
	if (write ? !f->ops->write : !f->ops->read)
		return S_ISDIR(f->ino->mode) ? -EISDIR : -EINVAL;
	for (int i = 0; i < cnt; i++) {
		if (iov[i].len > MAX_RW_COUNT - total) {
			total = MAX_RW_COUNT;
			break;
		}
		total += iov[i].len;
	}
	if (t->wake == WAKE_NONE)
		t->sys.generic.deadline = timeo ? now_ns() + timeo : 0;
	else if (resumes)
		done = (size_t)(uintptr_t)t->sys.generic.cookie;
	if (t->wake == WAKE_SIGNAL)
		return io_end(done, -ERESTARTSYS, timeo);
	if (total == 0) {
		/* Zero bytes still go through the file (a pipe's EPIPE, a
		 * terminal's EOF), with a real buffer: memcpy and memset
		 * want one even for no bytes. */
		static char none[1];
		r = xfer(t, f, none, 0, p, write, o);
		return r >= 0 && o && o->whole ? (long)o->sio.msglen : r;
	}

	char *kbuf = malloc(total - done < IO_CHUNK ? total - done : IO_CHUNK);
	if (!kbuf)
		return -ENOMEM;
	while (done < total) {
		size_t n = total - done < IO_CHUNK ? total - done : IO_CHUNK;
		bool fault = false;
		if (write) {
			/* A bad page: a regular file gets the bytes before it,
			 * as Linux's generic write does; a pipe or device gets
			 * nothing more (Linux's pipe drops a partial page). */
			size_t got = iov_copy(t, iov, cnt, done, kbuf, n, false);
			if (got < n) {
				fault = true;
				n = stream ? 0 : got;
				if (!n) {
					r = -EFAULT;
					break;
				}
			}
			/* A pipe write of up to PIPE_BUF must stay whole. */
			r = xfer(t, f, kbuf, n, p, true, o);
		} else {
			/* The position moves only over bytes the client got;
			 * a pipe or stream socket takes the others back, so
			 * the next read has them, as on Linux.  (Deliberate
			 * difference: Linux's pipe gives only whole pipe
			 * buffers, the bytes of one write up to a page; we
			 * give every byte before the bad page.) */
			uint64_t rp = *p, start = *p;
			r = xfer(t, f, kbuf, n, &rp, false, o);
			if (r > 0) {
				size_t got = iov_copy(t, iov, cnt, done, kbuf, (size_t)r, true);
				if (got < (size_t)r) {
					fault = true;
					if (f->ops->unread && !(o && o->sio.peek))
						f->ops->unread(f, kbuf + got, (size_t)r - got);
					r = got ? (long)got : -EFAULT;
					rp = start + got;
				}
			}
			if (r >= 0 || !fault)
				*p = rp;
		}
		if (r == -EAGAIN && !(f->flags & O_NONBLOCK) && !(o && o->dontwait) &&
		    (resumes || done == 0) && t->wake != WAKE_TIMEOUT) {
			free(kbuf);
			t->sys.generic.cookie = (void *)(uintptr_t)done;
			/* Re-entered on a signal when there is a count to
			 * give or a timeout to honour. */
			t->sees_signal_wake = done || timeo;
			r = park_on(t, f, t->sys.generic.deadline);
			return r == SYS_PARKED ? r : io_end(done, r, timeo);
		}
		if (r <= 0)
			break;
		done += (size_t)r;
		if (fault || (!write && (stream || (size_t)r < n) && !(o && o->waitall)))
			break;
	}
	free(kbuf);
	if (done && o && o->whole && o->sio.msglen > done)
		return (long)o->sio.msglen;
	return io_end(done, r, 0);
}

static struct file *getf(struct thread *t, uint64_t fd)
{
	return fd_get(t->proc, (int)fd);
}

static long rw_one(struct thread *t, const struct sysargs *a, bool write, bool positional)
{
	struct file *f = getf(t, a->a[0]);
	struct uiov iov = {a->a[1], a->a[2]};
	uint64_t pos = a->a[3];
	long r;
	if (!f)
		return -EBADF;
	if (positional && (int64_t)pos < 0)
		r = -EINVAL;
	else if (positional && (!f->ops->seekable || (f->flags & LX_O_PATH)))
		r = (f->flags & LX_O_PATH) ? -EBADF : -ESPIPE;
	else if (!user_range_ok(iov.base, iov.len) &&
	         (write ? file_writable(f) && f->ops->write : file_readable(f) && f->ops->read))
		r = -EFAULT;
	else
		r = do_io(t, f, &iov, 1, positional ? &pos : NULL, write);
	file_put(f);
	return r;
}

long sys_read(struct thread *t, const struct sysargs *a)
{
	return rw_one(t, a, false, false);
}
long sys_write(struct thread *t, const struct sysargs *a)
{
	return rw_one(t, a, true, false);
}
long sys_pread64(struct thread *t, const struct sysargs *a)
{
	return rw_one(t, a, false, true);
}
long sys_pwrite64(struct thread *t, const struct sysargs *a)
{
	return rw_one(t, a, true, true);
}

/* preadv2/pwritev2 flags (RWF_*).  The filesystem is memory, so the sync
 * and priority hints change nothing; NOWAIT makes this call non-blocking,
 * APPEND writes at the end. */
#define LX_RWF_HIPRI 0x01u
#define LX_RWF_DSYNC 0x02u
#define LX_RWF_SYNC 0x04u
#define LX_RWF_NOWAIT 0x08u
#define LX_RWF_APPEND 0x10u
#define LX_RWF_KNOWN (LX_RWF_HIPRI | LX_RWF_DSYNC | LX_RWF_SYNC | LX_RWF_NOWAIT | LX_RWF_APPEND)

static long rw_vec(struct thread *t, const struct sysargs *a, bool write, bool positional,
                   unsigned rwf)
{
	int cnt = (int)a->a[2];
	uint64_t pos = a->a[3];
	struct uiov *iov;
	struct file *f = getf(t, a->a[0]);
	struct io_opts o = {.dontwait = rwf & LX_RWF_NOWAIT};
	long r;

	if (!f)
		return -EBADF;
	if (cnt < 0 || cnt > LX_IOV_MAX) {
		file_put(f);
		return -EINVAL;
	}
	iov = malloc(sizeof *iov * (size_t)(cnt ? cnt : 1));
	if (!iov) {
		file_put(f);
		return -ENOMEM;
	}
	r = copy_from_user(t, iov, a->a[1], sizeof *iov * (size_t)cnt);
	for (int i = 0; r == 0 && i < cnt; i++)
		if ((int64_t)iov[i].len < 0)
			r = -EINVAL;
		else if (!user_range_ok(iov[i].base, iov[i].len))
			r = -EFAULT;
	if (r == 0 && positional && (int64_t)pos < 0)
		r = -EINVAL;
	if (r == 0 && positional && !f->ops->seekable)
		r = -ESPIPE;
	if (r == 0 && (rwf & ~LX_RWF_KNOWN))
		r = -EOPNOTSUPP;
	if (r == 0 && write && (rwf & LX_RWF_APPEND) && f->ops->seekable && S_ISREG(f->ino->mode)) {
		/* At the end for this call; a positional write leaves the
		 * file position alone, a plain one moves it as O_APPEND would. */
		if (positional)
			pos = f->ino->size;
		else
			f->pos = f->ino->size;
	}
	if (r == 0)
		r = do_io_opts(t, f, iov, cnt, positional ? &pos : NULL, write, rwf ? &o : NULL);
	free(iov);
	file_put(f);
	return r;
}

long sys_readv(struct thread *t, const struct sysargs *a)
{
	return rw_vec(t, a, false, false, 0);
}
long sys_writev(struct thread *t, const struct sysargs *a)
{
	return rw_vec(t, a, true, false, 0);
}
long sys_preadv(struct thread *t, const struct sysargs *a)
{
	return rw_vec(t, a, false, true, 0);
}
long sys_pwritev(struct thread *t, const struct sysargs *a)
{
	return rw_vec(t, a, true, true, 0);
}
/* preadv2/pwritev2: offset -1 is the file position (readv/writev). */
long sys_preadv2(struct thread *t, const struct sysargs *a)
{
	return rw_vec(t, a, false, a->a[3] != UINT64_MAX, (unsigned)a->a[5]);
}
long sys_pwritev2(struct thread *t, const struct sysargs *a)
{
	return rw_vec(t, a, true, a->a[3] != UINT64_MAX, (unsigned)a->a[5]);
}

long sys_close(struct thread *t, const struct sysargs *a)
{
	return fd_close(t->proc, (int)a->a[0]);
}

#define LX_CLOSE_RANGE_UNSHARE (1u << 1)
#define LX_CLOSE_RANGE_CLOEXEC (1u << 2)

/* close_range(first, last, flags): close (or mark close-on-exec) every open
 * fd in [first, last], after giving the process its own fd table if asked;
 * fds not open are no error. */
long sys_close_range(struct thread *t, const struct sysargs *a)
{
	unsigned first = (unsigned)a->a[0], last = (unsigned)a->a[1], flags = (unsigned)a->a[2];
	struct proc *p = t->proc;
	if ((flags & ~(LX_CLOSE_RANGE_UNSHARE | LX_CLOSE_RANGE_CLOEXEC)) || first > last)
		return -EINVAL;
	if (flags & LX_CLOSE_RANGE_UNSHARE) {
		int r = fdtable_unshare(p);
		if (r < 0)
			return r;
	}
	unsigned end = (unsigned)fd_count(p);
	for (unsigned fd = first; fd <= last && fd < end; fd++) {
		if (flags & LX_CLOSE_RANGE_CLOEXEC)
			fd_set_cloexec(p, (int)fd, true);
		else
			fd_close(p, (int)fd);
	}
	return 0;
}

#define LX_SEEK_SET 0
#define LX_SEEK_CUR 1
#define LX_SEEK_END 2
#define LX_SEEK_DATA 3
#define LX_SEEK_HOLE 4

long sys_lseek(struct thread *t, const struct sysargs *a)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	int64_t off = (int64_t)a->a[1], base;
	unsigned whence = (unsigned)a->a[2];
	long r;

	if (!f)
		return -EBADF;
	if (!f->ops->seekable) {
		r = -ESPIPE;
	} else if (whence > LX_SEEK_HOLE) {
		r = -EINVAL;
	} else if (S_ISCHR(f->ino->mode)) {
		f->pos = 0; /* /dev/null and friends: always 0 */
		r = 0;
	} else if (S_ISDIR(f->ino->mode) && whence != LX_SEEK_SET && whence != LX_SEEK_CUR) {
		r = -EINVAL;
	} else if (whence == LX_SEEK_DATA || whence == LX_SEEK_HOLE) {
		r = off < 0 ? -ENXIO
		            : inode_seek_data(f->ino, (uint64_t)off, whence == LX_SEEK_HOLE);
		if (r >= 0)
			f->pos = (uint64_t)r;
	} else {
		uint64_t size = f->ino->iops && S_ISREG(f->ino->mode) ? f->priv_len : f->ino->size;
		base = whence == LX_SEEK_SET   ? 0
		       : whence == LX_SEEK_CUR ? (int64_t)f->pos
		                               : (int64_t)size;
		if ((off > 0 && base > INT64_MAX - off) || base + off < 0) {
			r = -EINVAL;
		} else {
			f->pos = (uint64_t)(base + off);
			r = (long)f->pos;
		}
	}
	file_put(f);
	return r;
}

/* ---- dup and fcntl ---------------------------------------------------------- */

long sys_dup(struct thread *t, const struct sysargs *a)
{
	struct file *f = getf(t, a->a[0]);
	if (!f)
		return -EBADF;
	return fd_install_new(t->proc, f, false);
}

static long do_dup3(struct thread *t, int oldfd, int newfd, unsigned flags)
{
	struct file *f;
	int r;
	if (flags & ~(unsigned)O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	f = fd_get(t->proc, oldfd);
	if (!f)
		return -EBADF;
	r = fd_install_at(t->proc, f, newfd, flags & O_CLOEXEC);
	if (r < 0)
		file_put(f);
	return r;
}

long sys_dup2(struct thread *t, const struct sysargs *a)
{
	int oldfd = (int)a->a[0], newfd = (int)a->a[1];
	if (oldfd == newfd) {
		struct file *f = fd_get(t->proc, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

long sys_dup3(struct thread *t, const struct sysargs *a)
{
	return do_dup3(t, (int)a->a[0], (int)a->a[1], (unsigned)a->a[2]);
}

#define LX_F_DUPFD 0
#define LX_F_GETFD 1
#define LX_F_SETFD 2
#define LX_F_GETFL 3
#define LX_F_SETFL 4
#define LX_F_GETLK 5
#define LX_F_SETLK 6
#define LX_F_SETLKW 7
#define LX_F_OFD_GETLK 36
#define LX_F_OFD_SETLK 37
#define LX_F_OFD_SETLKW 38
#define LX_F_DUPFD_CLOEXEC 1030
#define LX_F_SETPIPE_SZ 1031
#define LX_F_GETPIPE_SZ 1032
long sys_fcntl(struct thread *t, const struct sysargs *a)
{
	int fd = (int)a->a[0], cmd = (int)a->a[1];
	uint64_t arg = a->a[2];
	struct file *f = getf(t, a->a[0]);
	long r;

	if (!f)
		return -EBADF;
	if ((f->flags & LX_O_PATH) && cmd != LX_F_DUPFD && cmd != LX_F_DUPFD_CLOEXEC &&
	    cmd != LX_F_GETFD && cmd != LX_F_SETFD && cmd != LX_F_GETFL) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case LX_F_DUPFD:
	case LX_F_DUPFD_CLOEXEC:
		if ((int)arg < 0 || (unsigned)(int)arg >= fd_limit(t->proc)) {
			r = -EINVAL;
			break;
		}
		r = fd_install(t->proc, f, (int)arg, cmd == LX_F_DUPFD_CLOEXEC);
		if (r >= 0)
			return r; /* the new fd keeps our reference */
		break;
	case LX_F_GETFD:
		r = fd_get_cloexec(t->proc, fd);
		break;
	case LX_F_SETFD:
		r = fd_set_cloexec(t->proc, fd, arg & 1);
		break;
	case LX_F_GETFL:
		r = f->flags;
		break;
	case LX_F_SETFL: {
		/* What Linux lets F_SETFL change; other bits are ignored. */
		unsigned mask = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
		f->flags = (f->flags & ~mask) | ((unsigned)arg & mask);
		r = 0;
		break;
	}
	case LX_F_GETLK:
	case LX_F_SETLK:
	case LX_F_SETLKW:
	case LX_F_OFD_GETLK:
	case LX_F_OFD_SETLK:
	case LX_F_OFD_SETLKW:
		r = locks_fcntl(t, f, cmd >= LX_F_OFD_GETLK,
		                cmd == LX_F_GETLK || cmd == LX_F_OFD_GETLK,
		                cmd == LX_F_SETLKW || cmd == LX_F_OFD_SETLKW, arg);
		break;
	case LX_F_SETPIPE_SZ:
		r = (long)arg > 0x7fffffff ? -EINVAL
		                           : pipe_set_size(f, (unsigned long)(unsigned)arg);
		break;
	case LX_F_GETPIPE_SZ:
		r = pipe_get_size(f);
		break;
	default:
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}

#define LX_FIONCLEX 0x5450
#define LX_FIOCLEX 0x5451
#define LX_FIONBIO 0x5421
#define LX_FIOASYNC 0x5452
#define LX_FIONREAD 0x541b

long sys_ioctl(struct thread *t, const struct sysargs *a)
{
	int fd = (int)a->a[0];
	unsigned cmd = (unsigned)a->a[1];
	uint64_t arg = a->a[2];
	struct file *f = fd_get_nopath(t->proc, fd);
	int32_t v;
	long r;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case LX_FIOCLEX:
	case LX_FIONCLEX:
		r = fd_set_cloexec(t->proc, fd, cmd == LX_FIOCLEX);
		break;
	case LX_FIONBIO:
	case LX_FIOASYNC:
		if (copy_from_user(t, &v, arg, 4) < 0) {
			r = -EFAULT;
			break;
		}
		{
			unsigned bit = cmd == LX_FIONBIO ? O_NONBLOCK : O_ASYNC;
			f->flags = v ? f->flags | bit : f->flags & ~bit;
		}
		r = 0;
		break;
	case LX_FIONREAD:
		if (file_is_pipe(f)) {
			v = (int32_t)pipe_nread(f);
		} else if (S_ISREG(f->ino->mode) && !f->ops->ioctl) {
			v = f->pos < f->ino->size ? (int32_t)(f->ino->size - f->pos) : 0;
		} else if (f->ops->ioctl) {
			r = f->ops->ioctl(f, t, cmd, arg);
			break;
		} else {
			r = S_ISDIR(f->ino->mode) ? -EINVAL : -ENOTTY;
			break;
		}
		r = copy_to_user(t, arg, &v, 4) < 0 ? -EFAULT : 0;
		break;
	default:
		r = f->ops->ioctl ? f->ops->ioctl(f, t, cmd, arg) : -ENOTTY;
		break;
	}
	file_put(f);
	return r;
}

/* ---- Pipes, eventfd, memfd ------------------------------------------------ */

static long do_pipe2(struct thread *t, uint64_t uaddr, unsigned flags)
{
	struct file *rd, *wr;
	int32_t fds[2];
	int r;

	if (flags & ~(unsigned)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	r = pipe_create(&rd, &wr, flags);
	if (r < 0)
		return r;
	fds[0] = fd_install_new(t->proc, rd, flags & O_CLOEXEC);
	if (fds[0] < 0) {
		file_put(wr);
		return fds[0];
	}
	fds[1] = fd_install_new(t->proc, wr, flags & O_CLOEXEC);
	if (fds[1] < 0) {
		fd_close(t->proc, fds[0]);
		return fds[1];
	}
	if (copy_to_user(t, uaddr, fds, sizeof fds) < 0) {
		fd_close(t->proc, fds[0]);
		fd_close(t->proc, fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(struct thread *t, const struct sysargs *a)
{
	return do_pipe2(t, a->a[0], 0);
}
long sys_pipe2(struct thread *t, const struct sysargs *a)
{
	return do_pipe2(t, a->a[0], (unsigned)a->a[1]);
}

#define LX_EFD_SEMAPHORE 1

static long do_eventfd(struct thread *t, unsigned initval, unsigned flags)
{
	struct file *f;
	int r;
	if (flags & ~(unsigned)(O_CLOEXEC | O_NONBLOCK | LX_EFD_SEMAPHORE))
		return -EINVAL;
	r = eventfd_create(initval, flags, &f);
	return r < 0 ? r : fd_install_new(t->proc, f, flags & O_CLOEXEC);
}

long sys_eventfd(struct thread *t, const struct sysargs *a)
{
	return do_eventfd(t, (unsigned)a->a[0], 0);
}
long sys_eventfd2(struct thread *t, const struct sysargs *a)
{
	return do_eventfd(t, (unsigned)a->a[0], (unsigned)a->a[1]);
}

#define LX_MFD_CLOEXEC 1U
#define LX_MFD_ALLOW_SEALING 2U
#define LX_MFD_HUGETLB 4U
#define LX_MFD_NOEXEC_SEAL 8U
#define LX_MFD_EXEC 0x10U

long sys_memfd_create(struct thread *t, const struct sysargs *a)
{
	char name[LX_NAME_MAX + 1], path[LX_NAME_MAX + 16];
	unsigned flags = (unsigned)a->a[1];
	struct inode *ino;
	struct file *f;
	long r;

	/* Hugetlb pages are not offered: Linux without hugetlbfs says EINVAL. */
	if (flags & ~(LX_MFD_CLOEXEC | LX_MFD_ALLOW_SEALING | LX_MFD_NOEXEC_SEAL | LX_MFD_EXEC))
		return -EINVAL;
	if ((flags & LX_MFD_NOEXEC_SEAL) && (flags & LX_MFD_EXEC))
		return -EINVAL;
	r = mm_strncpy_from(t->proc->mm, name, a->a[0], sizeof name);
	if (r == -ENAMETOOLONG || r > LX_NAME_MAX - 6)
		return -EINVAL;
	if (r < 0)
		return r;
	ino = inode_new(SB_SHM, S_IFREG | ((flags & LX_MFD_NOEXEC_SEAL) ? 0666 : 0777));
	if (!ino)
		return -ENOMEM;
	snprintf(path, sizeof path, "/memfd:%s", name);
	r = file_open_inode(t, ino, O_RDWR, path, &f);
	inode_put(ino);
	return r < 0 ? r : fd_install_new(t->proc, f, flags & LX_MFD_CLOEXEC);
}

/* ---- Copying between files --------------------------------------------------- */

/* Move up to count bytes from in (at *inpos, or its position) to out.
 * Blocking on the output parks only before anything moved. */
static long splice_files(struct thread *t, struct file *in, uint64_t *inpos, struct file *out,
                         uint64_t *outpos, size_t count)
{
	size_t done = 0;
	uint64_t *ip = inpos ? inpos : &in->pos;
	uint64_t *op = outpos ? outpos : &out->pos;
	long r = 0;
	bool in_blocked = false;
	char *kbuf;

	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	if (count == 0)
		return 0;
	kbuf = malloc(count < IO_CHUNK ? count : IO_CHUNK);
	if (!kbuf)
		return -ENOMEM;
	while (done < count) {
		size_t n = count - done < IO_CHUNK ? count - done : IO_CHUNK;
		uint64_t rp = *ip;
		r = file_read(t, in, kbuf, n, &rp);
		in_blocked = r == -EAGAIN;
		if (r <= 0)
			break;
		long w = file_write(t, out, kbuf, (size_t)r, op);
		if (w < 0) {
			r = w;
			break;
		}
		/* Only what was written counts as taken from the input (for a
		 * seekable input; a pipe input loses nothing because its write
		 * side is the same size as this read). */
		*ip = in->ops->seekable ? *ip + (uint64_t)w : rp;
		done += (size_t)w;
		if (w < r || (size_t)r < n)
			break;
	}
	free(kbuf);
	if (r == -EAGAIN && done == 0 && !(out->flags & O_NONBLOCK) && !(in->flags & O_NONBLOCK)) {
		struct waitq *wq = NULL;
		file_poll(in_blocked ? in : out, &wq);
		if (wq && thread_wait_on(t, wq) == 0)
			return thread_park(t, 0);
	}
	return done ? (long)done : r;
}

long sys_sendfile(struct thread *t, const struct sysargs *a)
{
	struct file *out = getf(t, a->a[0]), *in = getf(t, a->a[1]);
	int64_t off;
	long r;

	if (!out || !in) {
		r = -EBADF;
	} else if (!file_readable(in) || !file_writable(out)) {
		r = -EBADF;
	} else if (out->flags & O_APPEND) {
		r = -EINVAL;
	} else if (S_ISDIR(in->ino->mode)) {
		r = -EINVAL;
	} else if (a->a[2]) {
		if (copy_from_user(t, &off, a->a[2], 8) < 0) {
			r = -EFAULT;
		} else if (off < 0) {
			r = -EINVAL;
		} else if (!in->ops->seekable) {
			r = -ESPIPE;
		} else {
			uint64_t p = (uint64_t)off;
			r = splice_files(t, in, &p, out, NULL, a->a[3]);
			off = (int64_t)p;
			if (r >= 0 && copy_to_user(t, a->a[2], &off, 8) < 0)
				r = -EFAULT;
		}
	} else {
		r = splice_files(t, in, NULL, out, NULL, a->a[3]);
	}
	file_put(out);
	file_put(in);
	return r;
}

long sys_copy_file_range(struct thread *t, const struct sysargs *a)
{
	struct file *in = getf(t, a->a[0]), *out = getf(t, a->a[2]);
	int64_t ioff = 0, ooff = 0;
	uint64_t ip, opos;
	size_t len = a->a[4];
	long r = 0;

	if (!in || !out)
		r = -EBADF;
	else if (a->a[5] != 0)
		r = -EINVAL;
	else if (!file_readable(in) || !file_writable(out) || (out->flags & O_APPEND))
		r = -EBADF;
	else if (S_ISDIR(in->ino->mode) || S_ISDIR(out->ino->mode))
		r = -EISDIR;
	else if (!S_ISREG(in->ino->mode) || !S_ISREG(out->ino->mode))
		r = -EINVAL;
	else if ((a->a[1] && copy_from_user(t, &ioff, a->a[1], 8) < 0) ||
	         (a->a[3] && copy_from_user(t, &ooff, a->a[3], 8) < 0))
		r = -EFAULT;
	else if (ioff < 0 || ooff < 0)
		r = -EINVAL;
	if (r == 0) {
		ip = a->a[1] ? (uint64_t)ioff : in->pos;
		opos = a->a[3] ? (uint64_t)ooff : out->pos;
		if (in->ino == out->ino && ip < opos + len && opos < ip + len)
			r = -EINVAL; /* overlapping ranges of one file */
	}
	if (r == 0) {
		r = splice_files(t, in, &ip, out, &opos, len);
		if (r >= 0) {
			if (a->a[1]) {
				ioff = (int64_t)ip;
				if (copy_to_user(t, a->a[1], &ioff, 8) < 0)
					r = -EFAULT;
			} else {
				in->pos = ip;
			}
			if (a->a[3]) {
				ooff = (int64_t)opos;
				if (copy_to_user(t, a->a[3], &ooff, 8) < 0)
					r = -EFAULT;
			} else {
				out->pos = opos;
			}
		}
	}
	file_put(in);
	file_put(out);
	return r;
}

/* ---- Size, sync, advice, locks ------------------------------------------------ */

long sys_ftruncate(struct thread *t, const struct sysargs *a)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	int64_t len = (int64_t)a->a[1];
	long r;
	if (!f)
		return -EBADF;
	if (len < 0)
		r = -EINVAL;
	else if (!S_ISREG(f->ino->mode) || f->ino->iops || !file_writable(f))
		r = -EINVAL;
	else
		r = inode_truncate(f->ino, (uint64_t)len);
	file_put(f);
	return r;
}

static long sync_fd(struct thread *t, uint64_t fd)
{
	struct file *f = fd_get_nopath(t->proc, (int)fd);
	long r;
	if (!f)
		return -EBADF;
	/* Everything is in memory; only files that can be synced answer 0. */
	r = S_ISREG(f->ino->mode) || S_ISDIR(f->ino->mode) ? 0 : -EINVAL;
	file_put(f);
	return r;
}

long sys_fsync(struct thread *t, const struct sysargs *a)
{
	return sync_fd(t, a->a[0]);
}
long sys_fdatasync(struct thread *t, const struct sysargs *a)
{
	return sync_fd(t, a->a[0]);
}
long sys_sync(struct thread *t, const struct sysargs *a)
{
	return 0;
}

long sys_syncfs(struct thread *t, const struct sysargs *a)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

#define LX_SYNC_FILE_RANGE_ALL 7u

/* Everything is in memory: only Linux's checks, in its order. */
long sys_sync_file_range(struct thread *t, const struct sysargs *a)
{
	int64_t off = (int64_t)a->a[1], n = (int64_t)a->a[2];
	if (a->a[3] & ~(uint64_t)LX_SYNC_FILE_RANGE_ALL)
		return -EINVAL;
	if (off < 0 || (uint64_t)off + (uint64_t)n > INT64_MAX ||
	    (int64_t)((uint64_t)off + (uint64_t)n) < off)
		return -EINVAL;
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	if (!f)
		return -EBADF;
	uint32_t m = f->ino->mode;
	long r = S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m) || S_ISBLK(m) ? 0 : -ESPIPE;
	file_put(f);
	return r;
}

long sys_readahead(struct thread *t, const struct sysargs *a)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	if (!f || !file_readable(f)) {
		file_put(f);
		return -EBADF;
	}
	long r = S_ISREG(f->ino->mode) ? 0 : -EINVAL;
	file_put(f);
	return r;
}

long sys_fadvise64(struct thread *t, const struct sysargs *a)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	int64_t len = (int64_t)a->a[2];
	int advice = (int)a->a[3];
	long r = 0;
	if (!f)
		return -EBADF;
	if (file_is_pipe(f))
		r = -ESPIPE;
	else if (advice < 0 || advice > 5 || len < 0)
		r = -EINVAL;
	file_put(f);
	return r;
}

#define LX_LOCK_SH 1
#define LX_LOCK_EX 2
#define LX_LOCK_NB 4
#define LX_LOCK_UN 8

/* flock(fd, op): locks.c has the rules. */
long sys_flock(struct thread *t, const struct sysargs *a)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	unsigned op = (unsigned)a->a[1];
	bool wait = !(op & LX_LOCK_NB);
	long r;
	if (!f)
		return -EBADF;
	op &= ~(unsigned)LX_LOCK_NB;
	if (op == LX_LOCK_SH)
		r = locks_flock(t, f, LX_F_RDLCK, wait);
	else if (op == LX_LOCK_EX)
		r = locks_flock(t, f, LX_F_WRLCK, wait);
	else if (op == LX_LOCK_UN)
		r = locks_flock(t, f, LX_F_UNLCK, false);
	else
		r = -EINVAL;
	file_put(f);
	return r;
}

#define LX_FALLOC_FL_KEEP_SIZE 1
#define LX_FALLOC_FL_PUNCH_HOLE 2

long sys_fallocate(struct thread *t, const struct sysargs *a)
{
	struct file *f = getf(t, a->a[0]);
	int mode = (int)a->a[1];
	int64_t off = (int64_t)a->a[2], len = (int64_t)a->a[3];
	long r = 0;

	if (!f)
		return -EBADF;
	if (off < 0 || len <= 0)
		r = -EINVAL;
	else if (mode & ~(LX_FALLOC_FL_KEEP_SIZE | LX_FALLOC_FL_PUNCH_HOLE))
		r = -EOPNOTSUPP;
	else if ((mode & LX_FALLOC_FL_PUNCH_HOLE) && !(mode & LX_FALLOC_FL_KEEP_SIZE))
		r = -EOPNOTSUPP;
	else if (!file_writable(f))
		r = -EBADF;
	else if (file_is_pipe(f))
		r = -ESPIPE;
	else if (S_ISDIR(f->ino->mode))
		r = -EISDIR;
	else if (!S_ISREG(f->ino->mode) || f->ino->iops)
		r = -ENODEV;
	else if (off > INT64_MAX - len)
		r = -EFBIG;
	else if (mode & LX_FALLOC_FL_PUNCH_HOLE)
		inode_punch(f->ino, (uint64_t)off, (uint64_t)len);
	else if (!(mode & LX_FALLOC_FL_KEEP_SIZE) && (uint64_t)(off + len) > f->ino->size)
		/* Deliberate difference: the range is not populated up front;
		 * pages come at first touch, so ENOSPC shows up later. */
		r = inode_truncate(f->ino, (uint64_t)(off + len));
	file_put(f);
	return r;
}

/* ---- Socket transfers (the other socket calls: sys_socket.c) ------------------------ */
#define LX_MSG_OOB 0x1
#define LX_MSG_PEEK 0x2
#define LX_MSG_TRUNC 0x20
#define LX_MSG_DONTWAIT 0x40
#define LX_MSG_WAITALL 0x100
#define LX_MSG_NOSIGNAL 0x4000
#define LX_MSG_ERRQUEUE 0x2000

/* The flags of a send or receive on socket f as io options, or -errno.
 * Linux ignores the flags a protocol does not know; out-of-band data is
 * not supported, and the error queue is always empty. */
static long sock_flags(struct file *f, int flags, bool send, struct io_opts *o)
{
	memset(o, 0, sizeof *o);
	if (flags & LX_MSG_OOB) {
		pr_warn_once("persona: warning: MSG_OOB is not supported; the program gets "
		             "EOPNOTSUPP");
		return -EOPNOTSUPP;
	}
	if (!send && (flags & LX_MSG_ERRQUEUE))
		return -EAGAIN;
	o->dontwait = flags & LX_MSG_DONTWAIT;
	o->sio.nosignal = flags & LX_MSG_NOSIGNAL;
	if (!send) {
		o->sio.peek = flags & LX_MSG_PEEK;
		o->whole = (flags & LX_MSG_TRUNC) && sock_type(f) != 1;
		o->waitall = (flags & LX_MSG_WAITALL) && !o->sio.peek && sock_type(f) == 1;
	}
	return 0;
}

long sys_sendto(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	struct io_opts o;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	struct uiov iov = {a->a[1], a->a[2]};
	struct sock_addr to;
	if ((r = sock_flags(f, (int)a->a[3], true, &o)) == 0 && a->a[4] && (uint32_t)a->a[5]) {
		r = sockaddr_from_user(t, a->a[4], (uint32_t)a->a[5], &to);
		o.sio.to = &to;
	}
	if (r == 0)
		r = do_io_opts(t, f, &iov, 1, NULL, true, &o);
	file_put(f);
	return r;
}

long sys_recvfrom(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	struct io_opts o;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	struct sock_addr from = {0};
	struct uiov iov = {a->a[1], a->a[2]};
	if ((r = sock_flags(f, (int)a->a[3], false, &o)) == 0) {
		o.sio.from = &from;
		r = do_io_opts(t, f, &iov, 1, NULL, false, &o);
	}
	file_put(f);
	if (r >= 0 && a->a[4]) {
		long e = sockaddr_to_user(t, &from, a->a[4], a->a[5]);
		if (e < 0)
			return e;
	}
	return r;
}

struct msghdr_lx {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov;
	uint64_t iovlen;
	uint64_t control;
	uint64_t controllen;
	int32_t flags, pad1;
};

static long sock_msg(struct thread *t, const struct sysargs *a, bool send)
{
	struct msghdr_lx m;
	struct file *f;
	int flags = (int)a->a[2];
	struct uiov *iov = NULL;
	struct io_opts o;
	struct sock_addr addr = {0};
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	if (copy_from_user(t, &m, a->a[1], sizeof m) < 0) {
		r = -EFAULT;
		goto out;
	}
	if ((r = sock_flags(f, flags, send, &o)) < 0)
		goto out;
	if (m.iovlen > LX_IOV_MAX) {
		r = -EMSGSIZE;
		goto out;
	}
	if (send && m.controllen) {
		pr_warn_once("persona: warning: control messages (SCM_RIGHTS...) are not "
		             "supported; sendmsg gets EOPNOTSUPP");
		r = -EOPNOTSUPP;
		goto out;
	}
	iov = malloc(sizeof *iov * (m.iovlen ? m.iovlen : 1));
	if (!iov) {
		r = -ENOMEM;
		goto out;
	}
	if (copy_from_user(t, iov, m.iov, sizeof *iov * m.iovlen) < 0) {
		r = -EFAULT;
		goto out;
	}
	for (uint64_t i = 0; i < m.iovlen; i++)
		if ((int64_t)iov[i].len < 0) {
			r = -EINVAL;
			goto out;
		}
	if (send && m.name && m.namelen) {
		if ((r = sockaddr_from_user(t, m.name, m.namelen, &addr)) < 0)
			goto out;
		o.sio.to = &addr;
	}
	if (!send)
		o.sio.from = &addr;
	r = do_io_opts(t, f, iov, (int)m.iovlen, NULL, send, &o);
	if (!send && r >= 0) {
		/* No control data ever; the flags say whether a message was
		 * cut short. */
		uint64_t zero = 0;
		int32_t mf = o.sio.trunc ? LX_MSG_TRUNC : 0;
		if (copy_to_user(t, a->a[1] + offsetof(struct msghdr_lx, controllen), &zero,
		                 sizeof zero) < 0 ||
		    copy_to_user(t, a->a[1] + offsetof(struct msghdr_lx, flags), &mf, sizeof mf) <
		        0)
			r = -EFAULT;
		else if (m.name) {
			long e = sockaddr_to_user(t, &addr, m.name,
			                          a->a[1] + offsetof(struct msghdr_lx, namelen));
			if (e < 0)
				r = e;
		}
	}
out:
	free(iov);
	file_put(f);
	return r;
}

long sys_sendmsg(struct thread *t, const struct sysargs *a)
{
	return sock_msg(t, a, true);
}

long sys_recvmsg(struct thread *t, const struct sysargs *a)
{
	return sock_msg(t, a, false);
}
