/*
 * Socket endpoints, and Unix domain sockets: socketpair(AF_UNIX, ...) and
 * socket(AF_UNIX, ...) with bind, listen, accept, connect.  Internet
 * sockets (inet.c) are the same endpoints with other names and TCP's and
 * UDP's rules.  Each endpoint has a receive ring of 208 KiB (Linux's
 * default socket buffer).  SOCK_STREAM is a byte stream
 * both ways; SOCK_SEQPACKET and SOCK_DGRAM keep message boundaries (each
 * message is stored behind a small header in the ring; a short read
 * discards the rest, as Linux does; a datagram's header carries the
 * sender's address).  Nothing here blocks: -EAGAIN sends the syscall
 * layer to park on the endpoint's wait queue, as for pipes.
 *
 * Names: a path binds a socket inode (S_IFSOCK) in the guest filesystem;
 * an abstract name (sun_path[0] == 0) lives in one server-wide namespace.
 * Every named socket is on one list (bound), looked up by inode or by
 * name bytes.  connect() on a stream or seqpacket socket makes the
 * server-side endpoint at once, as Linux does ("embryo"), connects the
 * caller to it and queues it on the listener until accept().
 *
 * An endpoint's peer pointer holds a reference on the peer's inode (so a
 * datagram socket may point at a socket that has been closed); a close
 * clears the peer's pointer back to it, if any.
 *
 * Deliberate differences: no SCM_RIGHTS or other control messages, no
 * SO_PASSCRED autobind, no MSG_OOB, and a message larger than the
 * server's transfer step (256 KiB) is split.
 */
#include <stdlib.h>
#include <string.h>

#include "sock.h"
#include "task.h"

/* The ring: a full buffer of data plus room for message headers. */
#define SOCK_RING (SOCK_BUF + 256)
#define MSG_MAX (SOCK_BUF - 32) /* Linux: sk_sndbuf - 32 */
#define LX_SOMAXCONN 4096
#define SUN_PATH_OFF 2 /* offsetof(struct sockaddr_un, sun_path) */

static struct list_head bound = LIST_INIT(bound);
static struct waitq dgram_wq = {LIST_INIT(dgram_wq.waiters), NULL};
static const struct file_ops sock_ops;

static struct usock *sock_of(struct file *f)
{
	return f->ops == &sock_ops ? f->ino->priv : NULL;
}

bool file_is_socket(struct file *f)
{
	return f->ops == &sock_ops;
}

int sock_fd_get(struct thread *t, uint64_t fd, struct file **out)
{
	return fd_get_kind(t->proc, (int)fd, &sock_ops, -ENOTSOCK, out);
}

static bool message_type(const struct usock *s)
{
	return s->type != LX_SOCK_STREAM;
}

static bool connection_type(const struct usock *s)
{
	return s->type != LX_SOCK_DGRAM;
}

static bool is_unix(const struct usock *s)
{
	return s->domain == LX_AF_UNIX;
}

static void set_peer(struct usock *s, struct usock *p)
{
	inode_ref(p->ino);
	s->peer = p;
}

static void drop_peer(struct usock *s)
{
	struct usock *p = s->peer;
	s->peer = NULL;
	if (p)
		inode_put(p->ino);
}

/* s and its peer forget each other. */
void sock_unlink_peer(struct usock *s)
{
	struct usock *p = s->peer;
	if (p && p->peer == s)
		drop_peer(p);
	drop_peer(s);
}

void sock_wake(struct usock *s)
{
	waitq_wake_all(s->wqp);
}

int sock_take_err(struct usock *s)
{
	int e = s->err;
	s->err = 0;
	return e;
}

long sock_epipe(struct thread *t, bool nosignal)
{
	if (t && !nosignal)
		sig_send_thread(t, SIGPIPE, NULL);
	return -EPIPE;
}

static void creds_of(struct thread *t, int32_t c[3])
{
	c[0] = t->proc->pid;
	c[1] = (int32_t)t->proc->uid;
	c[2] = (int32_t)t->proc->gid;
}

/* Copy n bytes from offset off of s's queued data into dst. */
static void ring_copy(const struct usock *s, size_t off, void *dst, size_t n)
{
	size_t at = (s->head + off) % s->cap;
	size_t first = s->cap - at < n ? s->cap - at : n;
	memcpy(dst, s->buf + at, first);
	memcpy((char *)dst + first, s->buf, n - first);
}

static void ring_put(struct usock *s, const void *src, size_t n)
{
	size_t tail = (s->head + s->len) % s->cap;
	size_t first = s->cap - tail < n ? s->cap - tail : n;
	memcpy(s->buf + tail, src, first);
	memcpy(s->buf, (const char *)src + first, n - first);
	s->len += n;
}

/* Take n bytes off the ring into dst (NULL: discard). */
static void ring_get(struct usock *s, void *dst, size_t n)
{
	if (dst && n)
		ring_copy(s, 0, dst, n);
	s->head = (s->head + n) % s->cap;
	s->len -= n;
	if (!s->len)
		s->head = 0;
}

/* What precedes each message in the ring. */
struct mhdr {
	uint32_t len;  /* data bytes */
	uint32_t alen; /* sender's address bytes that follow (datagrams) */
};

/* A stream's bytes the client could not take go back in front
 * (file_ops.unread); a message is gone, as on Linux. */
static void sock_unread(struct file *f, const void *buf, size_t n)
{
	struct usock *s = sock_of(f);
	if (message_type(s))
		return;
	s->head = (s->head + s->cap - n) % s->cap;
	s->len += n;
	size_t first = s->cap - s->head < n ? s->cap - s->head : n;
	memcpy(s->buf + s->head, buf, first);
	memcpy(s->buf, (const char *)buf + first, n - first);
}

/* The address an unnamed socket reports: the family alone. */
static void unnamed(struct sock_addr *a)
{
	memset(a, 0, sizeof *a);
	a->len = SUN_PATH_OFF;
	a->sa[0] = LX_AF_UNIX;
}

static void name_of(const struct usock *s, struct sock_addr *a)
{
	if (s && s->addr.len)
		*a = s->addr;
	else
		unnamed(a);
}

/* A received message's source: an unnamed sender gives no address at all
 * (length 0), as recvfrom shows on Linux. */
static void source_of(const struct usock *s, struct sock_addr *a)
{
	if (s && s->addr.len)
		*a = s->addr;
	else
		memset(a, 0, sizeof *a);
}

/* Linux's checks before an AF_UNIX receive, as inet_recv_state. */
static int unix_recv_state(struct usock *s)
{
	if (s->type == LX_SOCK_STREAM && s->state != SS_CONNECTED)
		return -EINVAL;
	if (s->type == LX_SOCK_SEQPACKET && s->state != SS_CONNECTED)
		return -ENOTCONN;
	if (s->len)
		return 1;
	if (s->err)
		return -sock_take_err(s);
	if (s->shut_rd || (connection_type(s) && (!s->peer || s->peer->shut_wr)))
		return 0; /* end of file */
	return -EAGAIN;
}

/* Take (or with io->peek copy) the first message off s's ring. */
static long recv_message(struct usock *s, void *buf, size_t len, struct sock_io *io)
{
	struct mhdr h;
	struct sock_addr a;
	memset(&a, 0, sizeof a);
	ring_copy(s, 0, &h, sizeof h);
	if (h.alen)
		ring_copy(s, sizeof h, a.sa, h.alen);
	a.len = h.alen;
	if (s->type == LX_SOCK_SEQPACKET)
		source_of(s->peer, &a);
	size_t n = h.len < len ? h.len : len;
	if (n)
		ring_copy(s, sizeof h + h.alen, buf, n);
	io->trunc = n < h.len;
	io->msglen = h.len;
	if (io->from)
		*io->from = a;
	if (io->peek)
		return (long)n;
	ring_get(s, NULL, sizeof h + h.alen + h.len);
	sock_wake(s);
	if (s->peer)
		sock_wake(s->peer);
	return (long)n;
}

long sock_recv(struct file *f, struct thread *t, void *buf, size_t len, struct sock_io *io)
{
	struct usock *s = sock_of(f);
	if (!s)
		return -ENOTSOCK;
	int r = is_unix(s) ? unix_recv_state(s) : inet_recv_state(s);
	if (r <= 0)
		return r;
	if (message_type(s))
		return recv_message(s, buf, len, io);
	size_t n = s->len < len ? s->len : len;
	io->msglen = n;
	if (io->from && is_unix(s))
		source_of(s->peer, io->from);
	if (io->peek) {
		ring_copy(s, 0, buf, n);
		return (long)n;
	}
	ring_get(s, buf, n);
	if (s->peer)
		sock_wake(s->peer);
	return (long)n;
}

/* The bound socket a name designates: its usock, or -errno as Linux's
 * unix_find_other. */
static int find_bound(struct thread *t, const struct sock_addr *a, int type, struct usock **out)
{
	struct inode *ino = NULL;
	if (a->sa[SUN_PATH_OFF]) {
		int r = vfs_lookup(t, LX_AT_FDCWD, a->sa + SUN_PATH_OFF, LOOKUP_FOLLOW, &ino);
		if (r < 0)
			return r;
		r = inode_permission(ino, 2 /* MAY_WRITE */);
		if (r < 0 || !S_ISSOCK(ino->mode)) {
			inode_put(ino);
			return r < 0 ? r : -ECONNREFUSED;
		}
	}
	struct usock *s, *found = NULL;
	list_for_each_entry(s, &bound, bound_link)
	{
		if (ino ? s->path == ino
		        : (!s->path && s->addr.len == a->len &&
		           !memcmp(s->addr.sa, a->sa, a->len))) {
			found = s;
			break;
		}
	}
	inode_put(ino);
	if (!found)
		return -ECONNREFUSED;
	if (found->type != type)
		return -EPROTOTYPE;
	*out = found;
	return 0;
}

/* Room for n more bytes in d's ring, which grows by doubling up to
 * SOCK_RING as data comes (an idle socket costs no buffer, one holding a
 * few bytes a small one: the server's memory is the guests' too). */
static int make_room(struct usock *d, size_t n)
{
	size_t want = d->len + n, cap = d->cap ? d->cap : 256;
	if (want <= d->cap)
		return 0;
	while (cap < want && cap < SOCK_RING)
		cap = cap * 2 < SOCK_RING ? cap * 2 : SOCK_RING;
	char *nb = malloc(cap);
	if (!nb)
		return -ENOMEM;
	size_t len = d->len;
	if (len)
		ring_get(d, nb, len);
	free(d->buf);
	d->buf = nb;
	d->cap = cap;
	d->head = 0;
	d->len = len;
	return 0;
}

bool sock_room(const struct usock *d)
{
	return d->len + 4096 <= SOCK_BUF;
}

long message_put(struct usock *d, const char *addr, uint32_t alen, const void *buf, size_t len)
{
	struct mhdr h = {(uint32_t)len, alen};
	if (len > MSG_MAX)
		return -EMSGSIZE;
	if (SOCK_RING - d->len < len + sizeof h + alen || (d->len && d->len + len > SOCK_BUF))
		return -EAGAIN;
	int r = make_room(d, len + sizeof h + alen);
	if (r < 0)
		return r;
	ring_put(d, &h, sizeof h);
	ring_put(d, addr, alen);
	ring_put(d, buf, len);
	sock_wake(d);
	return (long)len;
}

long stream_put(struct usock *d, const void *buf, size_t len)
{
	size_t room = SOCK_BUF - d->len;
	if (!len)
		return 0;
	if (!room)
		return -EAGAIN;
	size_t n = len < room ? len : room;
	int r = make_room(d, n);
	if (r < 0)
		return r;
	ring_put(d, buf, n);
	sock_wake(d);
	return (long)n;
}

/* A message of s to d: a datagram carries s's name. */
static long send_message(struct usock *s, struct usock *d, const void *buf, size_t len)
{
	bool dgram = s->type == LX_SOCK_DGRAM;
	return message_put(d, s->addr.sa, dgram ? s->addr.len : 0, buf, len);
}

static long send_dgram(struct usock *s, struct thread *t, const void *buf, size_t len,
                       const struct sock_addr *to)
{
	struct usock *d = s->peer;
	if (to) {
		int r = sock_addr_check(to);
		if (r == 0)
			r = find_bound(t, to, s->type, &d);
		if (r < 0)
			return r;
		/* A socket connected elsewhere takes datagrams from its peer
		 * only (Linux's unix_may_send). */
		if (d->peer && d->peer != s)
			return -EPERM;
	} else if (!d) {
		return -ENOTCONN;
	}
	if (d->dead) {
		/* The peer was closed: Linux forgets it and refuses. */
		if (d == s->peer)
			drop_peer(s);
		return -ECONNREFUSED;
	}
	if (d->shut_rd || s->shut_wr)
		return -EPIPE;
	return send_message(s, d, buf, len);
}

static long unix_send(struct usock *s, struct thread *t, const void *buf, size_t len,
                      const struct sock_io *io)
{
	if (s->type == LX_SOCK_DGRAM) {
		long r = send_dgram(s, t, buf, len, io->to);
		return r == -EPIPE ? sock_epipe(t, io->nosignal) : r;
	}
	if (s->type == LX_SOCK_STREAM && io->to)
		return s->state == SS_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (s->type == LX_SOCK_SEQPACKET && s->err)
		return -sock_take_err(s);
	if (s->state != SS_CONNECTED)
		return -ENOTCONN; /* a seqpacket socket ignores an address */
	struct usock *d = s->peer;
	if (s->shut_wr || !d || d->shut_rd)
		return sock_epipe(t, io->nosignal);
	if (message_type(s))
		return send_message(s, d, buf, len);
	return stream_put(d, buf, len);
}

long sock_send(struct file *f, struct thread *t, const void *buf, size_t len, struct sock_io *io)
{
	struct usock *s = sock_of(f);
	if (!s)
		return -ENOTSOCK;
	return is_unix(s) ? unix_send(s, t, buf, len, io) : inet_send(s, t, buf, len, io);
}

static long sock_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	struct sock_io io = {0};
	return sock_recv(f, t, buf, len, &io);
}

static long sock_write(struct file *f, struct thread *t, const void *buf, size_t len, uint64_t *pos)
{
	struct sock_io io = {0};
	return sock_send(f, t, buf, len, &io);
}

static unsigned unix_poll(struct usock *s)
{
	unsigned m = 0;
	if (s->state == SS_LISTENING)
		return s->npending ? POLLIN | POLLRDNORM : 0;
	if (s->err)
		m |= POLLERR;
	if (s->len)
		m |= POLLIN | POLLRDNORM;
	if (s->type == LX_SOCK_DGRAM) {
		/* Linux's unix_dgram_poll: no end of file for a peer gone. */
		if (s->shut_rd)
			m |= POLLIN | POLLRDNORM | LX_POLLRDHUP;
		if (s->shut_rd && s->shut_wr)
			m |= POLLHUP;
		struct usock *d = s->peer;
		if (!d || d->dead || sock_room(d))
			m |= POLLOUT | POLLWRNORM;
		return m;
	}
	if (s->state != SS_CONNECTED)
		return POLLOUT | POLLWRNORM | POLLHUP; /* Linux's TCP_CLOSE */
	/* The peer will send no more (Linux's RCV_SHUTDOWN): POLLRDHUP. */
	if (s->shut_rd || !s->peer || s->peer->shut_wr)
		m |= POLLIN | POLLRDNORM | LX_POLLRDHUP;
	if (!s->peer || (s->shut_rd && s->shut_wr) || (s->peer->shut_wr && s->shut_wr))
		m |= POLLHUP;
	if (s->peer && !s->shut_wr && !s->peer->shut_rd && sock_room(s->peer))
		m |= POLLOUT | POLLWRNORM;
	if (!s->peer)
		m |= POLLOUT | POLLWRNORM; /* a write would fail at once (EPIPE) */
	return m;
}

static unsigned sock_poll(struct file *f, struct waitq **wq)
{
	struct usock *s = sock_of(f);
	*wq = s->wqp;
	return is_unix(s) ? unix_poll(s) : inet_poll(s);
}

/* What FIONREAD counts: a stream's bytes, a datagram socket's next
 * message, a seqpacket socket's messages (their data, not headers). */
static size_t queued(const struct usock *s)
{
	struct mhdr h;
	size_t n = 0;
	if (!message_type(s))
		return s->len;
	for (size_t off = 0; off < s->len; off += sizeof h + h.alen + h.len) {
		ring_copy(s, off, &h, sizeof h);
		n += h.len;
		if (s->type == LX_SOCK_DGRAM)
			break;
	}
	return n;
}

#define LX_FIONREAD 0x541b
#define LX_TIOCOUTQ 0x5411

/* FIONREAD: a stream's queued bytes, the next datagram's size, or a
 * seqpacket socket's whole messages (Linux's unix_inq_len, tcp_inq,
 * udp's first_packet_length); TIOCOUTQ on an Internet socket: nothing is
 * ever left unsent or unacknowledged on loopback. */
static long sock_ioctl(struct file *f, struct thread *t, unsigned long cmd, uint64_t arg)
{
	struct usock *s = sock_of(f);
	int32_t v = 0;
	if (cmd != LX_FIONREAD && (cmd != LX_TIOCOUTQ || is_unix(s)))
		return -ENOTTY;
	if (s->state == SS_LISTENING)
		return -EINVAL;
	if (cmd == LX_FIONREAD)
		v = (int32_t)queued(s);
	return copy_to_user(t, arg, &v, sizeof v) < 0 ? -EFAULT : 0;
}

static void unbind(struct usock *s)
{
	if (s->listed) {
		list_del(&s->bound_link);
		s->listed = false;
	}
	inode_put(s->path);
	s->path = NULL;
}

static void usock_release(struct usock *s, bool embryo);

void drop_pending(struct usock *l)
{
	while (!list_empty(&l->pending)) {
		struct usock *e = list_entry(l->pending.next, struct usock, pend_link);
		list_del(&e->pend_link);
		l->npending--;
		usock_release(e, true);
		inode_put(e->ino);
	}
}

/* The endpoint is gone (closed, or an embryo its listener dropped):
 * Linux's unix_release_sock.  A connected peer sees end of file, and
 * ECONNRESET if data was left unread or the connection never was
 * accepted.  An Internet socket's peer hears of it as TCP says
 * (inet_release). */
static void usock_release(struct usock *s, bool embryo)
{
	if (!is_unix(s))
		inet_release(s, embryo);
	s->dead = true;
	s->shut_rd = s->shut_wr = true;
	unbind(s);
	struct usock *p = s->peer;
	if (p) {
		/* A datagram peer keeps pointing here: its next send
		 * finds this end dead (ECONNREFUSED) and forgets it. */
		if (p->peer == s && connection_type(s)) {
			if (s->len || embryo)
				p->err = ECONNRESET;
			drop_peer(p);
		}
		sock_wake(p);
		drop_peer(s);
	}
	drop_pending(s);
	/* Threads waiting to connect or accept look again (and find the
	 * listener gone). */
	sock_wake(s);
}

static void sock_release(struct file *f)
{
	struct usock *s = sock_of(f);
	if (s)
		usock_release(s, false);
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
    .ioctl = sock_ioctl,
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

/* A new endpoint in a new anonymous inode (referenced), no file yet. */
static struct usock *usock_new(int domain, int type, int proto)
{
	struct inode *ino = inode_new(SB_PIPE, S_IFSOCK | 0777);
	struct usock *s = calloc(1, sizeof *s);
	if (!ino || !s) {
		free(s);
		if (ino)
			inode_put(ino);
		return NULL;
	}
	s->domain = domain;
	s->type = type;
	s->proto = proto;
	s->ino = ino;
	waitq_init(&s->wq);
	/* A datagram sender may wait on any AF_UNIX socket it sends to, not
	 * only its peer: all of them share one queue, so that whoever frees
	 * room wakes it.  (UDP never waits for its receiver.) */
	s->wqp = type == LX_SOCK_DGRAM && domain == LX_AF_UNIX ? &dgram_wq : &s->wq;
	list_init(&s->pending);
	list_init(&s->bound_link);
	/* Linux's defaults (sysctl wmem_default, rmem_default, tcp_wmem and
	 * tcp_rmem; SO_RCVLOWAT 1). */
	s->opt.rcvbuf = proto == LX_IPPROTO_TCP ? 131072 : SOCK_BUF;
	s->opt.sndbuf = proto == LX_IPPROTO_TCP ? 16384 : SOCK_BUF;
	s->opt.rcvlowat = 1;
	s->opt.ttl = s->opt.hops = -1;
	s->opt.keepidle = 7200;
	s->opt.keepintvl = 75;
	s->opt.keepcnt = 9;
	if (domain != LX_AF_UNIX)
		inet_init(s);
	ino->priv = s;
	ino->iops = &sock_iops;
	ino->transient = true;
	return s;
}

/* A file for endpoint s; consumes the caller's inode reference. */
static struct file *usock_file(struct usock *s, unsigned flags)
{
	struct file *f = file_alloc(s->ino, &sock_ops, O_RDWR | (flags & O_NONBLOCK));
	inode_put(s->ino);
	return f;
}

int sock_create(int domain, int type, int proto, unsigned flags, struct file **out)
{
	struct usock *s = usock_new(domain, type, proto);
	*out = s ? usock_file(s, flags) : NULL;
	return *out ? 0 : -ENOMEM;
}

int socketpair_create(struct thread *t, int type, unsigned flags, struct file **a, struct file **b)
{
	int r = sock_create(LX_AF_UNIX, type, 0, flags, a);
	if (r < 0)
		return r;
	if ((r = sock_create(LX_AF_UNIX, type, 0, flags, b)) < 0) {
		file_put(*a);
		return r;
	}
	struct usock *x = sock_of(*a), *y = sock_of(*b);
	set_peer(x, y);
	set_peer(y, x);
	x->state = y->state = SS_CONNECTED;
	/* Both ends report the creator as their peer. */
	creds_of(t, x->cred);
	creds_of(t, y->cred);
	return 0;
}

int sock_shutdown(struct file *f, int how)
{
	struct usock *s = sock_of(f);
	if (!s)
		return -ENOTSOCK;
	if (how < 0 || how > 2)
		return -EINVAL;
	if (!is_unix(s))
		return inet_shutdown(s, how != 1, how != 0);
	if (how != 1)
		s->shut_rd = true;
	if (how != 0)
		s->shut_wr = true;
	sock_wake(s);
	if (s->peer)
		sock_wake(s->peer);
	return 0;
}

int sock_type(struct file *f)
{
	struct usock *s = sock_of(f);
	return s ? s->type : -ENOTSOCK;
}

int sock_domain(struct file *f)
{
	return sock_of(f)->domain;
}

int sock_protocol(struct file *f)
{
	return sock_of(f)->proto;
}

struct sock_opts *sock_opts(struct file *f)
{
	return &sock_of(f)->opt;
}

bool sock_may_set_v6only(struct file *f)
{
	return !sock_of(f)->listed;
}

/* ---- Names ----------------------------------------------------------------- */

static bool abstract_taken(const struct sock_addr *a)
{
	struct usock *s;
	list_for_each_entry(s, &bound, bound_link)
	{
		if (!s->path && s->addr.len == a->len && !memcmp(s->addr.sa, a->sa, a->len))
			return true;
	}
	return false;
}

static void publish(struct usock *s, const struct sock_addr *a, struct inode *path)
{
	s->addr = *a;
	s->path = path;
	list_add_tail(&s->bound_link, &bound);
	s->listed = true;
}

/* Autobind: an abstract name of five hex digits, as Linux gives. */
static int autobind(struct usock *s)
{
	static unsigned next = 0x1234;
	struct sock_addr a;
	if (s->addr.len)
		return 0;
	for (unsigned i = 0; i < 0x100000; i++) {
		memset(&a, 0, sizeof a);
		a.sa[0] = LX_AF_UNIX;
		snprintf(a.sa + SUN_PATH_OFF + 1, sizeof a.sa - SUN_PATH_OFF - 1, "%05x",
		         (next++) & 0xfffff);
		a.len = SUN_PATH_OFF + 1 + 5;
		if (!abstract_taken(&a)) {
			publish(s, &a, NULL);
			return 0;
		}
	}
	return -ENOSPC;
}

int sock_bind(struct thread *t, struct file *f, const struct sock_addr *a)
{
	struct usock *s = sock_of(f);
	if (!is_unix(s))
		return inet_bind(t, s, a);
	if (a->len == SUN_PATH_OFF)
		return autobind(s);
	if (!a->sa[SUN_PATH_OFF]) {
		if (s->addr.len)
			return -EINVAL;
		if (abstract_taken(a))
			return -EADDRINUSE;
		publish(s, a, NULL);
		return 0;
	}
	/* A path: the name is made first, so its errors come before the
	 * socket's own EINVAL (then the name goes again), as on Linux. */
	struct inode *ino;
	uint32_t mode = S_IFSOCK | (0777 & ~fs_umask(t->proc, -1));
	int r = vfs_mknod(t, LX_AT_FDCWD, a->sa + SUN_PATH_OFF, mode, 0, &ino);
	if (r == -EEXIST)
		return -EADDRINUSE;
	if (r < 0)
		return r;
	if (s->addr.len) {
		inode_put(ino);
		vfs_unlink(t, LX_AT_FDCWD, a->sa + SUN_PATH_OFF, false);
		return -EINVAL;
	}
	struct sock_addr n = *a;
	n.len = (uint32_t)(SUN_PATH_OFF + strlen(a->sa + SUN_PATH_OFF) + 1);
	publish(s, &n, ino);
	return 0;
}

int sock_listen(struct thread *t, struct file *f, int backlog)
{
	struct usock *s = sock_of(f);
	if (!is_unix(s)) {
		int r = inet_listen(s);
		if (r < 0)
			return r;
	} else if (!connection_type(s)) {
		return -EOPNOTSUPP;
	} else if (!s->addr.len || (s->state != SS_UNCONNECTED && s->state != SS_LISTENING)) {
		return -EINVAL;
	}
	if ((unsigned)backlog > LX_SOMAXCONN)
		backlog = LX_SOMAXCONN;
	s->backlog = backlog;
	if (s->state != SS_LISTENING) {
		s->state = SS_LISTENING;
		if (is_unix(s))
			creds_of(t, s->own);
	}
	/* A larger backlog may let waiting connectors in. */
	sock_wake(s);
	return 0;
}

struct usock *embryo_new(struct usock *s, struct usock *l)
{
	struct usock *e = usock_new(l->domain, s->type, l->proto);
	if (!e)
		return NULL;
	e->state = s->state = SS_CONNECTED;
	e->opt = l->opt; /* an accepted socket has its listener's options */
	set_peer(e, s);
	set_peer(s, e);
	/* The listener's queue takes over e's first reference. */
	list_add_tail(&e->pend_link, &l->pending);
	l->npending++;
	sock_wake(l);
	return e;
}

static int unix_connect(struct thread *t, struct usock *s, const struct sock_addr *a,
                        struct waitq **wait)
{
	struct usock *l;
	if (s->type == LX_SOCK_DGRAM) {
		if (a->len >= 2 && a->sa[0] == 0 && a->sa[1] == 0) { /* AF_UNSPEC */
			drop_peer(s);
			return 0;
		}
		int r = find_bound(t, a, s->type, &l);
		if (r < 0)
			return r;
		if (l->dead)
			return -ECONNREFUSED;
		drop_peer(s);
		set_peer(s, l);
		return 0;
	}
	int r = find_bound(t, a, s->type, &l);
	if (r < 0)
		return r;
	if (l->state != SS_LISTENING || l->shut_rd)
		return -ECONNREFUSED;
	/* A full backlog first, then this socket's own state, as on Linux. */
	if (l->npending > l->backlog) {
		*wait = l->wqp;
		return -EAGAIN;
	}
	if (s->state == SS_CONNECTED)
		return -EISCONN;
	if (s->state != SS_UNCONNECTED)
		return -EINVAL;
	struct usock *e = embryo_new(s, l);
	if (!e)
		return -ENOMEM;
	e->addr = l->addr; /* an accepted socket has its listener's name */
	creds_of(t, e->cred);
	memcpy(s->cred, l->own, sizeof s->cred);
	return 0;
}

int sock_connect(struct thread *t, struct file *f, const struct sock_addr *a, struct waitq **wait)
{
	struct usock *s = sock_of(f);
	*wait = NULL;
	if (!is_unix(s))
		return inet_connect(s, a, f->flags & O_NONBLOCK, wait);
	return unix_connect(t, s, a, wait);
}

int sock_accept(struct file *f, unsigned flags, struct file **out, struct sock_addr *peer)
{
	struct usock *s = sock_of(f);
	if (!connection_type(s))
		return -EOPNOTSUPP;
	if (s->state != SS_LISTENING)
		return -EINVAL;
	if (list_empty(&s->pending))
		return -EAGAIN;
	struct usock *e = list_entry(s->pending.next, struct usock, pend_link);
	inode_ref(e->ino);
	struct file *nf = usock_file(e, flags);
	if (!nf)
		return -ENOMEM;
	list_del(&e->pend_link);
	s->npending--;
	inode_put(e->ino); /* the queue's reference */
	/* A connector waiting for room may come in now. */
	sock_wake(s);
	if (is_unix(e)) {
		name_of(e->peer, peer);
	} else if (inet_getname(e, true, peer) < 0) {
		/* Reset before it was accepted: Linux's accept says so. */
		file_put(nf);
		return -ECONNABORTED;
	}
	*out = nf;
	return 0;
}

int sock_getname(struct file *f, bool peer, struct sock_addr *out)
{
	struct usock *s = sock_of(f);
	if (!is_unix(s))
		return inet_getname(s, peer, out);
	if (peer) {
		if (!s->peer || (connection_type(s) && s->state != SS_CONNECTED))
			return -ENOTCONN;
		name_of(s->peer, out);
		return 0;
	}
	name_of(s, out);
	return 0;
}

int sock_peercred(struct file *f, int32_t cred[3])
{
	struct usock *s = sock_of(f);
	const int32_t *c = s->state == SS_LISTENING ? s->own : s->cred;
	/* No peer known (pid 0 never is one; Internet sockets have none):
	 * pid 0, uid and gid -1. */
	if (!c[0]) {
		cred[0] = 0;
		cred[1] = cred[2] = -1;
	} else {
		memcpy(cred, c, sizeof s->cred);
	}
	return 0;
}

int sock_take_error(struct file *f)
{
	return sock_take_err(sock_of(f));
}

bool sock_listening(struct file *f)
{
	struct usock *s = sock_of(f);
	return s && s->state == SS_LISTENING;
}
