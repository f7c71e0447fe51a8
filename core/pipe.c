/*
 * Pipes (a ring buffer between a read end and a write end, with Linux's
 * 64 KiB default capacity and PIPE_BUF atomicity), FIFOs (the same ring,
 * behind a name in the filesystem) and eventfd counters.  Transfers never
 * block here: one that would returns -EAGAIN and the syscall layer parks
 * the thread on the object's wait queue.
 *
 * A FIFO has its ring only while someone has it open.  Opening one waits
 * for the other side as Linux's fifo_open does: a reader until a writer
 * has opened since it began (so a writer that came and went still counts),
 * a writer until a reader has; O_NONBLOCK readers do not wait, O_NONBLOCK
 * writers get ENXIO without a reader, O_RDWR never waits.  A waiting
 * opener already counts as a reader or writer (the partner's open does
 * not wait for it); the scheduler gives that count back if the open ends
 * any other way (thread->park_undo).
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
	/* Opens so far of each side: a FIFO opener waits for the partner's to
	 * move; a reader's file keeps the writers' figure of its open in
	 * priv_len, and sees POLLHUP only once it has moved (Linux: f_version). */
	uint64_t r_counter, w_counter;
	bool fifo;       /* named: freed when the last opener goes */
	struct waitq wq; /* readers, writers and waiting openers */
};

static const struct file_ops pipe_read_ops, pipe_write_ops, pipe_rdwr_ops;

bool file_is_pipe(struct file *f)
{
	return f->ops == &pipe_read_ops || f->ops == &pipe_write_ops || f->ops == &pipe_rdwr_ops;
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
	if (file_readable(f)) {
		if (p->len)
			m |= POLLIN | POLLRDNORM;
		if (!p->writers && p->w_counter != f->priv_len)
			m |= POLLHUP;
	}
	if (file_writable(f)) {
		if (p->cap - p->len >= LX_PIPE_BUF)
			m |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			m |= POLLERR;
	}
	return m;
}

/* One reader and/or writer fewer.  A FIFO nobody holds loses its ring and
 * what was left in it, as on Linux. */
static void pipe_drop(struct inode *ino, bool reader, bool writer)
{
	struct pipe *p = ino->priv;
	p->readers -= reader;
	p->writers -= writer;
	waitq_wake_all(&p->wq);
	if (p->fifo && !p->readers && !p->writers) {
		ino->priv = NULL;
		free(p->buf);
		free(p);
	}
}

static void pipe_release(struct file *f)
{
	pipe_drop(f->ino, file_readable(f), file_writable(f));
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

static const struct file_ops pipe_rdwr_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .unread = pipe_unread,
    .poll = pipe_poll,
    .release = pipe_release,
    .describe = pipe_describe,
};

static struct pipe *pipe_new(void)
{
	struct pipe *p = calloc(1, sizeof *p);
	if (p) {
		p->cap = PIPE_DEF_SIZE;
		waitq_init(&p->wq);
	}
	return p;
}

/* A FIFO open that parked gives its count back (park_undo). */
static void fifo_undo(struct thread *t)
{
	struct inode *ino = t->sys.fifo.ino;
	pipe_drop(ino, t->sys.fifo.acc == O_RDONLY, t->sys.fifo.acc == O_WRONLY);
	inode_put(ino);
}

/* Wait, holding the count taken, for the partner's open counter to move
 * from what it is now (again, after a wake that did not move it). */
static int fifo_wait(struct file *f, struct thread *t, uint64_t counter)
{
	struct pipe *p = pipe_of(f);
	if (t->park_undo != fifo_undo) {
		inode_ref(f->ino);
		t->sys.fifo.ino = f->ino;
		t->sys.fifo.acc = f->flags & O_ACCMODE;
		t->sys.fifo.counter = counter;
		t->park_undo = fifo_undo;
	}
	if (thread_wait_on(t, &p->wq) < 0)
		return -ENOMEM; /* the scheduler undoes the count */
	return (int)thread_park(t, 0);
}

/*
 * open() of a FIFO, or of a pipe's inode again (/proc/N/fd/M): an end chosen
 * by the access mode.  Only a FIFO waits for its partner (see the top of
 * this file); t is NULL for the server's own opens, which never wait.
 */
static int pipe_open(struct file *f, struct thread *t)
{
	struct inode *ino = f->ino;
	struct pipe *p = ino->priv;
	unsigned acc = f->flags & O_ACCMODE;
	bool wait_ok = t && !(f->flags & O_NONBLOCK);

	if (t && t->park_undo == fifo_undo) {
		/* Woken while waiting for the partner: the count is held. */
		if (t->sys.fifo.ino == ino && t->sys.fifo.acc == acc) {
			uint64_t now = acc == O_RDONLY ? p->w_counter : p->r_counter;
			if (now == t->sys.fifo.counter)
				return fifo_wait(f, t, now);
			t->park_undo = NULL;
			inode_put(ino);
			f->ops = acc == O_RDONLY ? &pipe_read_ops : &pipe_write_ops;
			return 0;
		}
		/* The path now names another FIFO: start again there. */
		t->park_undo = NULL;
		fifo_undo(t);
		p = ino->priv;
	}
	if (!p) {
		/* Only a FIFO can be without its ring: the first opener makes it. */
		if (!(p = pipe_new()))
			return -ENOMEM;
		p->fifo = true;
		ino->priv = p;
	}
	if (acc == O_RDONLY) {
		p->r_counter++;
		if (p->readers++ == 0)
			waitq_wake_all(&p->wq);
		f->ops = &pipe_read_ops;
		if (p->fifo && !p->writers) {
			if (wait_ok)
				return fifo_wait(f, t, p->w_counter);
			f->priv_len = p->w_counter; /* no POLLHUP before a writer came */
		}
	} else if (acc == O_WRONLY) {
		if (p->fifo && !p->readers && !wait_ok) {
			pipe_drop(ino, false, false); /* frees a ring made for nothing */
			return -ENXIO;
		}
		p->w_counter++;
		if (p->writers++ == 0)
			waitq_wake_all(&p->wq);
		f->ops = &pipe_write_ops;
		if (p->fifo && !p->readers)
			return fifo_wait(f, t, p->r_counter);
	} else {
		p->r_counter++;
		p->w_counter++;
		if (p->readers++ == 0 || p->writers == 0)
			waitq_wake_all(&p->wq);
		p->writers++;
		f->ops = &pipe_rdwr_ops;
	}
	return 0;
}

const struct file_ops pipe_open_ops = {
    .open = pipe_open,
};

int pipe_create(struct file **rd, struct file **wr, unsigned flags)
{
	struct inode *ino = inode_new(SB_PIPE, S_IFIFO | 0600);
	struct pipe *p = pipe_new();
	if (!ino || !p) {
		free(p);
		inode_put(ino);
		return -ENOMEM;
	}
	p->r_counter = p->w_counter = 1;
	ino->priv = p;
	ino->iops = &pipe_iops;
	ino->fops = &pipe_open_ops;
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
		return capable(LX_CAP_SYS_RESOURCE) && size <= (1ul << 31) ? -ENOMEM : -EPERM;
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

static void efd_destroy(struct inode *ino)
{
	free(ino->priv);
}

static const struct inode_ops efd_iops = {.destroy = efd_destroy};
static const struct file_ops efd_ops = {
    .read = efd_read,
    .write = efd_write,
    .poll = efd_poll,
    .anon_name = "eventfd",
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
