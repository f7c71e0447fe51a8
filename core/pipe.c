/*
 * Pipes (a ring buffer between a read end and a write end, with Linux's
 * 64 KiB default capacity and PIPE_BUF atomicity) and eventfd counters.
 * Neither blocks here: an operation that would block returns -EAGAIN and
 * the syscall layer parks the thread on the object's wait queue.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "task.h"

#define PIPE_DEF_SIZE (64 * 1024)
#define PIPE_MAX_SIZE (1024 * 1024) /* /proc/sys/fs/pipe-max-size */

struct pipe {
	char *buf;
	size_t cap, head, len; /* data is buf[head .. head+len) modulo cap */
	int readers, writers;
	struct waitq wq; /* both directions: readers and writers */
};

static const struct file_ops pipe_read_ops, pipe_write_ops;

bool file_is_pipe(struct file *f)
{
	return f->ops == &pipe_read_ops || f->ops == &pipe_write_ops;
}

static struct pipe *pipe_of(struct file *f)
{
	return f->ino->priv;
}

static void pipe_destroy(struct inode *ino)
{
	struct pipe *p = ino->priv;
	if (p) {
		free(p->buf);
		free(p);
	}
}

static const struct inode_ops pipe_iops = {.destroy = pipe_destroy};

static long pipe_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	struct pipe *p = pipe_of(f);
	size_t n = 0;
	if (len == 0)
		return 0;
	if (p->len == 0)
		return p->writers ? -EAGAIN : 0;
	while (n < len && p->len) {
		size_t chunk = p->cap - p->head;
		if (chunk > p->len)
			chunk = p->len;
		if (chunk > len - n)
			chunk = len - n;
		memcpy((char *)buf + n, p->buf + p->head, chunk);
		p->head = (p->head + chunk) % p->cap;
		p->len -= chunk;
		n += chunk;
	}
	if (p->len == 0)
		p->head = 0;
	waitq_wake_all(&p->wq);
	return (long)n;
}

static void pipe_unread(struct file *f, const void *buf, size_t n)
{
	struct pipe *p = pipe_of(f);
	/* The bytes were just taken: there is room for them before head. */
	p->head = (p->head + p->cap - n) % p->cap;
	p->len += n;
	size_t first = p->cap - p->head < n ? p->cap - p->head : n;
	memcpy(p->buf + p->head, buf, first);
	memcpy(p->buf, (const char *)buf + first, n - first);
}

static long pipe_write(struct file *f, struct thread *t, const void *buf, size_t len, uint64_t *pos)
{
	struct pipe *p = pipe_of(f);
	size_t room, n = 0;
	if (!p->readers) {
		if (t)
			sig_send_thread(t, SIGPIPE, NULL);
		return -EPIPE;
	}
	if (len == 0)
		return 0;
	room = p->cap - p->len;
	/* Up to PIPE_BUF bytes go in whole or not at all. */
	if (room == 0 || (len <= LX_PIPE_BUF && room < len))
		return -EAGAIN;
	if (!p->buf) {
		p->buf = malloc(p->cap);
		if (!p->buf)
			return -ENOMEM;
	}
	while (n < len && p->len < p->cap) {
		size_t tail = (p->head + p->len) % p->cap;
		size_t chunk = tail >= p->head ? p->cap - tail : p->head - tail;
		if (chunk > p->cap - p->len)
			chunk = p->cap - p->len;
		if (chunk > len - n)
			chunk = len - n;
		memcpy(p->buf + tail, (const char *)buf + n, chunk);
		p->len += chunk;
		n += chunk;
	}
	waitq_wake_all(&p->wq);
	return (long)n;
}

static unsigned pipe_poll(struct file *f, struct waitq **wq)
{
	struct pipe *p = pipe_of(f);
	unsigned m = 0;
	*wq = &p->wq;
	if (f->ops == &pipe_read_ops) {
		if (p->len)
			m |= POLLIN | POLLRDNORM;
		if (!p->writers)
			m |= POLLHUP;
	} else {
		if (p->cap - p->len >= LX_PIPE_BUF)
			m |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			m |= POLLERR;
	}
	return m;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = pipe_of(f);
	if (f->ops == &pipe_read_ops)
		p->readers--;
	else
		p->writers--;
	waitq_wake_all(&p->wq);
}

static void pipe_describe(struct file *f, char *buf, size_t size)
{
	snprintf(buf, size, "pipe:[%lu]", (unsigned long)f->ino->ino);
}

static const struct file_ops pipe_read_ops = {
    .read = pipe_read,
    .unread = pipe_unread,
    .poll = pipe_poll,
    .release = pipe_release,
    .describe = pipe_describe,
};
static const struct file_ops pipe_write_ops = {
    .write = pipe_write,
    .poll = pipe_poll,
    .release = pipe_release,
    .describe = pipe_describe,
};

/* Opening a pipe's inode again (/proc/self/fd/N): an end chosen by the
 * access mode.  Linux's FIFO open would wait for the other side; here the
 * pipe already has both. */
static int pipe_reopen(struct file *f, struct thread *t)
{
	struct pipe *p = pipe_of(f);
	unsigned acc = f->flags & O_ACCMODE;
	if (acc == O_RDWR) {
		return -EINVAL; /* one end per file here */
	} else if (acc == O_RDONLY) {
		f->ops = &pipe_read_ops;
		p->readers++;
	} else {
		f->ops = &pipe_write_ops;
		p->writers++;
	}
	return 0;
}

const struct file_ops pipe_reopen_ops = {
    .open = pipe_reopen,
};

int pipe_create(struct file **rd, struct file **wr, unsigned flags)
{
	struct inode *ino = inode_new(SB_PIPE, S_IFIFO | 0600);
	struct pipe *p = calloc(1, sizeof *p);
	if (!ino || !p) {
		free(p);
		inode_put(ino);
		return -ENOMEM;
	}
	p->cap = PIPE_DEF_SIZE;
	waitq_init(&p->wq);
	ino->priv = p;
	ino->iops = &pipe_iops;
	ino->fops = &pipe_reopen_ops;
	ino->transient = true;
	*rd = file_alloc(ino, &pipe_read_ops, O_RDONLY | (flags & O_NONBLOCK));
	*wr = file_alloc(ino, &pipe_write_ops, O_WRONLY | (flags & O_NONBLOCK));
	inode_put(ino);
	if (!*rd || !*wr) {
		/* A half-made pipe: the ends that exist go through release. */
		if (*rd)
			p->readers = 1;
		if (*wr)
			p->writers = 1;
		file_put(*rd);
		file_put(*wr);
		return -ENOMEM;
	}
	p->readers = p->writers = 1;
	return 0;
}

long pipe_set_size(struct file *f, unsigned long size)
{
	struct pipe *p;
	size_t cap = PAGE_SIZE;
	if (!file_is_pipe(f))
		return -EBADF;
	p = pipe_of(f);
	if (size > PIPE_MAX_SIZE)
		return core_cfg.uid == 0 && size <= (1ul << 31) ? -ENOMEM : -EPERM;
	while (cap < size)
		cap *= 2;
	if (cap < p->len)
		return -EBUSY;
	if (cap != p->cap) {
		char *nb = NULL;
		if (p->buf || p->len) {
			nb = malloc(cap);
			if (!nb)
				return -ENOMEM;
			for (size_t i = 0; i < p->len; i++)
				nb[i] = p->buf[(p->head + i) % p->cap];
		}
		free(p->buf);
		p->buf = nb;
		p->head = 0;
		p->cap = cap;
		waitq_wake_all(&p->wq);
	}
	return (long)cap;
}

long pipe_get_size(struct file *f)
{
	return file_is_pipe(f) ? (long)pipe_of(f)->cap : -EBADF;
}

long pipe_nread(struct file *f)
{
	return (long)pipe_of(f)->len;
}

/* ---- eventfd ------------------------------------------------------------ */

#define EFD_SEMAPHORE 1

struct eventfd {
	uint64_t count;
	bool semaphore;
	struct waitq wq;
};

static long efd_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	struct eventfd *e = f->ino->priv;
	uint64_t v;
	if (len < 8)
		return -EINVAL;
	if (e->count == 0)
		return -EAGAIN;
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	memcpy(buf, &v, 8);
	waitq_wake_all(&e->wq);
	return 8;
}

static long efd_write(struct file *f, struct thread *t, const void *buf, size_t len, uint64_t *pos)
{
	struct eventfd *e = f->ino->priv;
	uint64_t v;
	if (len < 8)
		return -EINVAL;
	memcpy(&v, buf, 8);
	if (v == UINT64_MAX)
		return -EINVAL;
	if (UINT64_MAX - 1 - e->count < v)
		return -EAGAIN;
	e->count += v;
	if (v)
		waitq_wake_all(&e->wq);
	return 8;
}

static unsigned efd_poll(struct file *f, struct waitq **wq)
{
	struct eventfd *e = f->ino->priv;
	unsigned m = 0;
	*wq = &e->wq;
	if (e->count)
		m |= POLLIN | POLLRDNORM;
	if (e->count < UINT64_MAX - 1)
		m |= POLLOUT | POLLWRNORM;
	return m;
}

static void efd_describe(struct file *f, char *buf, size_t size)
{
	snprintf(buf, size, "anon_inode:[eventfd]");
}

static void efd_destroy(struct inode *ino)
{
	free(ino->priv);
}

static const struct inode_ops efd_iops = {.destroy = efd_destroy};
static const struct file_ops efd_ops = {
    .read = efd_read,
    .write = efd_write,
    .poll = efd_poll,
    .describe = efd_describe,
};

int eventfd_create(unsigned initval, unsigned flags, struct file **out)
{
	struct inode *ino = inode_new(SB_ANON, 0600);
	struct eventfd *e = calloc(1, sizeof *e);
	if (!ino || !e) {
		free(e);
		inode_put(ino);
		return -ENOMEM;
	}
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	waitq_init(&e->wq);
	ino->priv = e;
	ino->iops = &efd_iops;
	ino->transient = true;
	ino->fops = &efd_ops;
	*out = file_alloc(ino, &efd_ops, O_RDWR | (flags & O_NONBLOCK));
	inode_put(ino);
	return *out ? 0 : -ENOMEM;
}
