/*
 * Unix domain socket pairs (socketpair(AF_UNIX, ...)): two connected
 * endpoints, each with a receive ring of 208 KiB (Linux's default socket
 * buffer).  SOCK_STREAM is a byte stream both ways; SOCK_SEQPACKET and
 * SOCK_DGRAM keep message boundaries (each message is stored behind a
 * 4-byte length in the ring; a short read discards the rest, as Linux
 * does).  Nothing here blocks: -EAGAIN sends the syscall layer to park on
 * the endpoint's wait queue, as for pipes.
 *
 * Deliberate differences: no named sockets (socket(2), bind, connect are
 * not implemented), no SCM_RIGHTS or other control messages, no
 * MSG_PEEK, and a message larger than the server's transfer step (256
 * KiB) is split.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "task.h"

#define SOCK_BUF (208 * 1024)
#define LX_SOCK_STREAM 1
#define LX_SOCK_DGRAM 2
#define LX_SOCK_SEQPACKET 5

struct usock {
	struct usock *peer; /* NULL once the other end is closed */
	int type;
	char *buf; /* receive ring, allocated at the first message */
	size_t head, len;
	bool shut_rd, shut_wr; /* this end's shutdown */
	struct waitq wq;       /* readers and writers of this end */
};

static const struct file_ops sock_ops;

static struct usock *sock_of(struct file *f)
{
	return f->ops == &sock_ops ? f->ino->priv : NULL;
}

bool file_is_socket(struct file *f)
{
	return f->ops == &sock_ops;
}

static bool message_type(const struct usock *s)
{
	return s->type != LX_SOCK_STREAM;
}

static void ring_put(struct usock *s, const void *src, size_t n)
{
	size_t tail = (s->head + s->len) % SOCK_BUF;
	size_t first = SOCK_BUF - tail < n ? SOCK_BUF - tail : n;
	memcpy(s->buf + tail, src, first);
	memcpy(s->buf, (const char *)src + first, n - first);
	s->len += n;
}

/* Take n bytes off the ring into dst (NULL: discard). */
static void ring_get(struct usock *s, void *dst, size_t n)
{
	size_t first = SOCK_BUF - s->head < n ? SOCK_BUF - s->head : n;
	if (dst) {
		memcpy(dst, s->buf + s->head, first);
		memcpy((char *)dst + first, s->buf, n - first);
	}
	s->head = (s->head + n) % SOCK_BUF;
	s->len -= n;
	if (!s->len)
		s->head = 0;
}

/* A stream's bytes the client could not take go back in front
 * (file_ops.unread); a message is gone, as on Linux. */
static void sock_unread(struct file *f, const void *buf, size_t n)
{
	struct usock *s = sock_of(f);
	if (message_type(s))
		return;
	s->head = (s->head + SOCK_BUF - n) % SOCK_BUF;
	s->len += n;
	size_t first = SOCK_BUF - s->head < n ? SOCK_BUF - s->head : n;
	memcpy(s->buf + s->head, buf, first);
	memcpy(s->buf, (const char *)buf + first, n - first);
}

long sock_recv(struct file *f, struct thread *t, void *buf, size_t len, bool *trunc)
{
	struct usock *s = sock_of(f);
	if (!s)
		return -ENOTSOCK;
	if (!s->len) {
		if (s->shut_rd || !s->peer || s->peer->shut_wr)
			return 0; /* end of file */
		return -EAGAIN;
	}
	if (message_type(s)) {
		uint32_t mlen;
		ring_get(s, &mlen, sizeof mlen);
		size_t n = mlen < len ? mlen : len;
		ring_get(s, buf, n);
		ring_get(s, NULL, mlen - n);
		if (trunc)
			*trunc = n < mlen;
		waitq_wake_all(&s->wq);
		if (s->peer)
			waitq_wake_all(&s->peer->wq);
		return (long)n;
	}
	size_t n = s->len < len ? s->len : len;
	ring_get(s, buf, n);
	if (s->peer)
		waitq_wake_all(&s->peer->wq);
	return (long)n;
}

long sock_send(struct file *f, struct thread *t, const void *buf, size_t len, bool nosignal)
{
	struct usock *s = sock_of(f);
	if (!s)
		return -ENOTSOCK;
	struct usock *d = s->peer;
	if (s->shut_wr || !d || d->shut_rd) {
		if (t && !nosignal)
			sig_send_thread(t, SIGPIPE, NULL);
		return -EPIPE;
	}
	if (!d->buf && !(d->buf = malloc(SOCK_BUF)))
		return -ENOMEM;
	size_t room = SOCK_BUF - d->len;
	if (message_type(s)) {
		if (len > SOCK_BUF - sizeof(uint32_t))
			return -EMSGSIZE;
		if (room < len + sizeof(uint32_t))
			return -EAGAIN;
		uint32_t mlen = (uint32_t)len;
		ring_put(d, &mlen, sizeof mlen);
		ring_put(d, buf, len);
		waitq_wake_all(&d->wq);
		return (long)len;
	}
	if (!len)
		return 0;
	if (!room)
		return -EAGAIN;
	size_t n = len < room ? len : room;
	ring_put(d, buf, n);
	waitq_wake_all(&d->wq);
	return (long)n;
}

static long sock_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	return sock_recv(f, t, buf, len, NULL);
}

static long sock_write(struct file *f, struct thread *t, const void *buf, size_t len, uint64_t *pos)
{
	return sock_send(f, t, buf, len, false);
}

static unsigned sock_poll(struct file *f, struct waitq **wq)
{
	struct usock *s = sock_of(f);
	unsigned m = 0;
	*wq = &s->wq;
	if (s->len || s->shut_rd || !s->peer || s->peer->shut_wr)
		m |= POLLIN | POLLRDNORM;
	/* The peer will send no more (Linux's RCV_SHUTDOWN): POLLRDHUP. */
	if (s->shut_rd || !s->peer || s->peer->shut_wr)
		m |= 0x2000;
	if (!s->peer || (s->shut_rd && s->shut_wr) || (s->peer->shut_wr && s->shut_wr))
		m |= POLLHUP;
	if (s->peer && !s->shut_wr && !s->peer->shut_rd && SOCK_BUF - s->peer->len >= 4096)
		m |= POLLOUT | POLLWRNORM;
	if (!s->peer)
		m |= POLLOUT | POLLWRNORM; /* a write would fail at once (EPIPE) */
	return m;
}

static void sock_release(struct file *f)
{
	struct usock *s = sock_of(f);
	if (s && s->peer) {
		s->peer->peer = NULL;
		waitq_wake_all(&s->peer->wq);
		s->peer = NULL;
	}
}

static void sock_describe(struct file *f, char *buf, size_t size)
{
	snprintf(buf, size, "socket:[%lu]", (unsigned long)f->ino->ino);
}

static const struct file_ops sock_ops = {
    .read = sock_read,
    .write = sock_write,
    .unread = sock_unread,
    .poll = sock_poll,
    .release = sock_release,
    .describe = sock_describe,
};

static void sock_destroy(struct inode *ino)
{
	struct usock *s = ino->priv;
	if (s) {
		free(s->buf);
		free(s);
	}
}

static const struct inode_ops sock_iops = {.destroy = sock_destroy};

static struct file *sock_new(int type, unsigned flags)
{
	struct inode *ino = inode_new(SB_PIPE, S_IFSOCK | 0777);
	struct usock *s = calloc(1, sizeof *s);
	struct file *f = NULL;
	if (ino && s) {
		s->type = type;
		waitq_init(&s->wq);
		ino->priv = s;
		ino->iops = &sock_iops;
		ino->transient = true;
		s = NULL;
		f = file_alloc(ino, &sock_ops, O_RDWR | (flags & O_NONBLOCK));
	}
	free(s);
	inode_put(ino);
	return f;
}

int socketpair_create(int type, unsigned flags, struct file **a, struct file **b)
{
	*a = sock_new(type, flags);
	*b = sock_new(type, flags);
	if (!*a || !*b) {
		if (*a)
			file_put(*a);
		if (*b)
			file_put(*b);
		return -ENOMEM;
	}
	struct usock *x = sock_of(*a), *y = sock_of(*b);
	x->peer = y;
	y->peer = x;
	return 0;
}

int sock_shutdown(struct file *f, int how)
{
	struct usock *s = sock_of(f);
	if (!s)
		return -ENOTSOCK;
	if (how < 0 || how > 2)
		return -EINVAL;
	if (how != 1)
		s->shut_rd = true;
	if (how != 0)
		s->shut_wr = true;
	waitq_wake_all(&s->wq);
	if (s->peer)
		waitq_wake_all(&s->peer->wq);
	return 0;
}

int sock_type(struct file *f)
{
	struct usock *s = sock_of(f);
	return s ? s->type : -ENOTSOCK;
}
