/*
 * Internet sockets on loopback: AF_INET and AF_INET6 with TCP
 * (SOCK_STREAM) and UDP (SOCK_DGRAM), as on a Linux machine whose only
 * interface is lo (127.0.0.0/8 and ::1).  The endpoints, their rings and
 * wait queues, and the server-side endpoint connect() makes are
 * socket.c's; this file adds what Internet sockets have of their own:
 *
 *  - names: addresses and ports in and out of sockaddr_in/sockaddr_in6,
 *    bind (with Linux's rules for SO_REUSEADDR, SO_REUSEPORT, IPv4 next
 *    to dual-stack IPv6, and TIME_WAIT), the ephemeral range
 *    32768-60999, and the route: anything but loopback is unreachable;
 *  - TCP's connection as Linux keeps it: a FIN when a side shuts down
 *    writing or closes, a reset when it closes with data unread (or
 *    SO_LINGER 0), or when data comes to a side that is gone; what send,
 *    recv, poll and connect then say in each state;
 *  - UDP's delivery: to the socket bound to the destination (the most
 *    specific, as Linux scores them), never blocking the sender; a
 *    datagram nobody takes is dropped, and a connected sender then gets
 *    ECONNREFUSED (Linux's ICMP port unreachable).
 *
 * Every address is kept as IPv6, an IPv4 one as ::ffff:a.b.c.d, so that
 * an AF_INET socket and a dual-stack AF_INET6 one meet on one port.
 *
 * Deliberate differences from Linux: a non-blocking connect completes at
 * once even when the listener's backlog is full (Linux's would wait for
 * room, its blocking connect does here too, with no SO_SNDTIMEO bound);
 * a simultaneous open (a socket connecting to its own port) is refused;
 * with SO_REUSEPORT the last bound listener or receiver takes all (no
 * load balancing); SO_RCVBUF and SO_SNDBUF change no buffer, and a UDP
 * receive buffer counts bytes, not Linux's per-packet overhead (more
 * small datagrams fit); MSG_MORE does not cork; broadcast (UDP too:
 * ENETUNREACH, not EACCES), multicast and IPv6 link-local destinations
 * are unreachable; no IP options, no MSG_OOB.
 */
#include <stdlib.h>
#include <string.h>

#include "sock.h"
#include "task.h"

#define PORT_FIRST 32768 /* ip_local_port_range */
#define PORT_LAST 60999
#define PORT_PRIVILEGED 1024 /* ip_unprivileged_port_start */
#define SIN_SIZE 16
#define SIN6_MIN 24 /* SIN6_LEN_RFC2133: no sin6_scope_id */
#define SIN6_SIZE 28
#define LOOPBACK4 0x7f000001u
#define TW_NS (60 * 1000000000ull) /* TCP_TIMEWAIT_LEN */
#define TW_MAX 4096                /* beyond, no TIME_WAIT (Linux's tw bucket limit) */
#define UDP4_MAX 65507             /* 65535 - IP and UDP headers */
#define UDP6_MAX 65527             /* 65535 - UDP header */

/* Every Internet socket that holds a port, in bind order. */
static struct list_head inet_bound = LIST_INIT(inet_bound);

/* What the port rules look at of a holder of a port: a socket, or a
 * connection that closed here and lingers in TIME_WAIT. */
struct holder {
	struct inet_name local;
	bool v6only, reuse, reuseport, listening;
};

struct time_wait {
	struct list_head link;
	struct holder h;
	uint64_t until;
};
static struct list_head tw_list = LIST_INIT(tw_list);
static int tw_count;

/* ---- Addresses ------------------------------------------------------------------ */

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_v4(const uint8_t *a)
{
	return !memcmp(a, v4_prefix, sizeof v4_prefix);
}

static uint32_t v4_of(const uint8_t *a)
{
	return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
}

static void set_v4(uint8_t *a, uint32_t v)
{
	memcpy(a, v4_prefix, sizeof v4_prefix);
	for (int i = 0; i < 4; i++)
		a[12 + i] = (uint8_t)(v >> (24 - 8 * i));
}

static bool is_any6(const uint8_t *a)
{
	static const uint8_t zero[16];
	return !memcmp(a, zero, sizeof zero);
}

/* 0.0.0.0 or :: */
static bool is_any(const uint8_t *a)
{
	return is_any6(a) || (is_v4(a) && !v4_of(a));
}

static bool is_loop6(const uint8_t *a)
{
	static const uint8_t loop[16] = {[15] = 1};
	return !memcmp(a, loop, sizeof loop);
}

static bool v6only(const struct usock *s)
{
	return s->domain == LX_AF_INET6 && s->opt.v6only;
}

/* The wildcard address of s's family. */
static void set_any(const struct usock *s, uint8_t *a)
{
	memset(a, 0, 16);
	if (s->domain == LX_AF_INET)
		set_v4(a, 0);
}

void inet_init(struct usock *s)
{
	set_any(s, s->local.a);
}

/* What a bound address takes in, for each family: nothing, one address
 * or all of them. */
enum { SPAN_NONE, SPAN_ONE, SPAN_ALL };

static void span(const uint8_t *a, bool only6, int *v4, int *v6)
{
	if (is_any6(a)) {
		*v4 = only6 ? SPAN_NONE : SPAN_ALL;
		*v6 = SPAN_ALL;
	} else if (is_v4(a)) {
		*v4 = v4_of(a) ? SPAN_ONE : SPAN_ALL;
		*v6 = SPAN_NONE;
	} else {
		*v4 = SPAN_NONE;
		*v6 = SPAN_ONE;
	}
}

static bool meet(int x, int y, bool same)
{
	return x != SPAN_NONE && y != SPAN_NONE && (x == SPAN_ALL || y == SPAN_ALL || same);
}

/* Whether two bound addresses take in a common one (Linux's
 * inet_rcv_saddr_equal with wildcards); b6only for b. */
static bool overlap(const uint8_t *a, bool a6only, const uint8_t *b, bool b6only)
{
	int a4, a6, b4, b6;
	span(a, a6only, &a4, &a6);
	span(b, b6only, &b4, &b6);
	bool same = !memcmp(a, b, 16);
	return meet(a4, b4, same) || meet(a6, b6, same);
}

/* Whether s, bound as it is, receives what is sent to dst. */
static bool takes(const struct usock *s, const struct inet_name *dst)
{
	return s->local.port == dst->port && overlap(s->local.a, v6only(s), dst->a, false);
}

static bool same_name(const struct inet_name *x, const struct inet_name *y)
{
	return x->port == y->port && !memcmp(x->a, y->a, 16);
}

static int sa_family(const struct sock_addr *sa)
{
	return (uint8_t)sa->sa[0] | (uint8_t)sa->sa[1] << 8;
}

static uint16_t sa_port(const struct sock_addr *sa)
{
	return (uint16_t)((uint8_t)sa->sa[2] << 8 | (uint8_t)sa->sa[3]);
}

/* An address of family fam (checked) from sockaddr bytes. */
static void name_from(int fam, const struct sock_addr *sa, struct inet_name *n)
{
	n->port = sa_port(sa);
	if (fam == LX_AF_INET6) {
		memcpy(n->a, sa->sa + 8, 16);
	} else {
		memcpy(n->a, v4_prefix, sizeof v4_prefix);
		memcpy(n->a + 12, sa->sa + 4, 4);
	}
}

/* The sockaddr of s's family (an IPv4 address on an AF_INET6 socket is
 * ::ffff:a.b.c.d). */
static void name_to(int domain, const struct inet_name *n, struct sock_addr *out)
{
	memset(out, 0, sizeof *out);
	out->sa[0] = (char)domain;
	out->sa[2] = (char)(n->port >> 8);
	out->sa[3] = (char)n->port;
	if (domain == LX_AF_INET) {
		out->len = SIN_SIZE;
		memcpy(out->sa + 4, n->a + 12, 4);
	} else {
		out->len = SIN6_SIZE;
		memcpy(out->sa + 8, n->a, 16);
	}
}

/* The address a bind or connect of s names, checked as Linux's
 * inet_bind/inet6_bind and tcp_v4_connect/tcp_v6_connect do first: the
 * length (EINVAL), then the family (EAFNOSUPPORT; bind takes AF_UNSPEC
 * for 0.0.0.0, a UDP AF_INET6 socket connects to an AF_INET address). */
static int name_in(const struct usock *s, const struct sock_addr *sa, bool bind,
                   struct inet_name *n)
{
	int fam = sa_family(sa), need = LX_AF_INET;
	if (s->domain == LX_AF_INET6 && (bind || s->type != LX_SOCK_DGRAM || fam != LX_AF_INET)) {
		need = LX_AF_INET6;
		if (sa->len < SIN6_MIN)
			return -EINVAL;
	} else if (sa->len < SIN_SIZE) {
		return -EINVAL;
	}
	name_from(need, sa, n);
	if (fam == need || (bind && need == LX_AF_INET && fam == LX_AF_UNSPEC && !v4_of(n->a)))
		return 0;
	return -EAFNOSUPPORT;
}

/* Where a packet to dst goes on a machine whose only interface is lo.
 * dst is made concrete (0.0.0.0 and :: mean the loopback address, as
 * Linux takes them) and *src gets the source address for an unbound s
 * (127.0.0.1 for all of 127/8, as lo's route says); anywhere else
 * (broadcast 127.255.255.255 too) is -ENETUNREACH. */
static int route(const struct usock *s, struct inet_name *dst, uint8_t src[16])
{
	if (is_v4(dst->a)) {
		uint32_t v = v4_of(dst->a);
		if (v6only(s))
			return -ENETUNREACH;
		if (!v)
			set_v4(dst->a, LOOPBACK4);
		else if (v >> 24 != 127 || (v & 0xffffff) == 0xffffff)
			return -ENETUNREACH;
		set_v4(src, LOOPBACK4);
	} else {
		if (is_any6(dst->a))
			dst->a[15] = 1;
		else if (!is_loop6(dst->a))
			return -ENETUNREACH;
		memcpy(src, dst->a, 16);
	}
	/* A socket bound to an address sends from it (one of the other
	 * family has no route there). */
	if (!is_any(s->local.a)) {
		if (is_v4(s->local.a) != is_v4(dst->a))
			return -ENETUNREACH;
		memcpy(src, s->local.a, 16);
	}
	return 0;
}

/* ---- Ports ------------------------------------------------------------------------ */

static struct holder holder_of(const struct usock *o)
{
	struct holder h = {o->local, v6only(o), o->opt.reuseaddr, o->opt.reuseport,
	                   o->state == SS_LISTENING};
	return h;
}

/* Whether h keeps s from port on address a.  strict: bind(0) and
 * autobind, which take a port nobody holds.  Otherwise Linux's
 * inet_bind_conflict (TCP) and udp_lib_lport_inuse (UDP): on a common
 * address only if both asked for SO_REUSEADDR (and, for TCP, h does not
 * listen) or both for SO_REUSEPORT. */
static bool clash(const struct usock *s, const uint8_t *a, uint16_t port, bool strict,
                  const struct holder *h)
{
	if (h->local.port != port)
		return false;
	if (strict)
		return true;
	if (!overlap(a, v6only(s), h->local.a, h->v6only))
		return false;
	return !((s->opt.reuseaddr && h->reuse && !h->listening) ||
	         (s->opt.reuseport && h->reuseport));
}

static void tw_expire(void)
{
	struct time_wait *w, *n;
	uint64_t now = now_ns();
	list_for_each_entry_safe(w, n, &tw_list, link)
	{
		if (w->until <= now) {
			list_del(&w->link);
			tw_count--;
			free(w);
		}
	}
}

/* The closed connection of s lingers in TIME_WAIT for a minute, holding
 * its port (Linux's tcp_time_wait; the reuse flags go with it). */
static void tw_add(struct usock *s)
{
	struct time_wait *w;
	if (s->tw || !s->local.port)
		return;
	s->tw = true;
	tw_expire();
	if (tw_count >= TW_MAX || !(w = malloc(sizeof *w)))
		return;
	w->h = holder_of(s);
	w->h.listening = false;
	w->until = now_ns() + TW_NS;
	list_add_tail(&w->link, &tw_list);
	tw_count++;
}

static bool port_free(const struct usock *s, const uint8_t *a, uint16_t port, bool strict)
{
	struct usock *o;
	list_for_each_entry(o, &inet_bound, bound_link)
	{
		struct holder h = holder_of(o);
		if (o != s && o->proto == s->proto && clash(s, a, port, strict, &h))
			return false;
	}
	struct time_wait *w;
	tw_expire();
	list_for_each_entry(w, &tw_list, link)
	{
		if (s->proto == LX_IPPROTO_TCP && clash(s, a, port, strict, &w->h))
			return false;
	}
	return true;
}

/* A free port of the ephemeral range for s on a, or 0. */
static uint16_t pick_port(const struct usock *s, const uint8_t *a)
{
	static unsigned next;
	const unsigned range = PORT_LAST - PORT_FIRST + 1;
	for (unsigned i = 0; i < range; i++) {
		uint16_t p = (uint16_t)(PORT_FIRST + next++ % range);
		if (port_free(s, a, p, true))
			return p;
	}
	return 0;
}

/* s holds port (Linux's inet_num; s->listed while it does). */
static void hold_port(struct usock *s, uint16_t port)
{
	s->local.port = port;
	list_add_tail(&s->bound_link, &inet_bound);
	s->listed = true;
}

/* s lets its port go; getsockname still shows it (Linux's inet_sport). */
static void drop_port(struct usock *s)
{
	if (s->listed) {
		list_del(&s->bound_link);
		s->listed = false;
	}
}

/* An automatic port for a socket that holds none; false if none is free. */
static bool autobind(struct usock *s)
{
	if (s->listed)
		return true;
	uint16_t p = pick_port(s, s->local.a);
	if (p)
		hold_port(s, p);
	return p;
}

/* Whether an IPv4 address may be bound here (Linux's
 * inet_addr_valid_or_nonlocal with lo alone): the wildcard, loopback,
 * multicast, broadcast. */
static bool local4(uint32_t v)
{
	return !v || v >> 24 == 127 || v >> 28 == 0xe || v == 0xffffffffu;
}

/* inet6_bind's checks of the address, after its EACCES and EINVAL. */
static int check_local6(const struct usock *s, const struct sock_addr *sa,
                        const struct inet_name *n)
{
	bool multicast = n->a[0] == 0xff;
	if (is_v4(n->a)) {
		if (v6only(s))
			return -EINVAL;
		return local4(v4_of(n->a)) ? 0 : -EADDRNOTAVAIL;
	}
	/* Link-local unicast and link-scope multicast want a scope id;
	 * lo has no link-local address. */
	if ((n->a[0] == 0xfe && (n->a[1] & 0xc0) == 0x80) || (multicast && (n->a[1] & 0xf) == 2)) {
		bool scoped = sa->len >= SIN6_SIZE && memcmp(sa->sa + 24, "\0\0\0\0", 4);
		return !scoped ? -EINVAL : multicast ? 0 : -EADDRNOTAVAIL;
	}
	return is_any6(n->a) || is_loop6(n->a) || multicast ? 0 : -EADDRNOTAVAIL;
}

int inet_bind(struct thread *t, struct usock *s, const struct sock_addr *sa)
{
	struct inet_name n;
	int r = name_in(s, sa, true, &n);
	if (r < 0)
		return r;
	bool v6 = s->domain == LX_AF_INET6;
	if (v6 && n.a[0] == 0xff && s->type == LX_SOCK_STREAM)
		return -EINVAL;
	if (!v6 && !local4(v4_of(n.a)))
		return -EADDRNOTAVAIL;
	/* Without CAP_NET_BIND_SERVICE (which root has). */
	if (n.port && n.port < PORT_PRIVILEGED && !capable(LX_CAP_NET_BIND_SERVICE))
		return -EACCES;
	if (s->listed || s->est || s->state != SS_UNCONNECTED)
		return -EINVAL;
	if (v6 && (r = check_local6(s, sa, &n)) < 0)
		return r;
	bool fixed = n.port;
	if (!n.port)
		n.port = pick_port(s, n.a);
	if (!n.port || !port_free(s, n.a, n.port, false))
		return -EADDRINUSE;
	memcpy(s->local.a, n.a, 16);
	s->port_locked = fixed;
	s->addr_locked = !is_any(n.a);
	hold_port(s, n.port);
	return 0;
}

int inet_listen(struct usock *s)
{
	if (s->type != LX_SOCK_STREAM)
		return -EOPNOTSUPP;
	if (s->state == SS_LISTENING)
		return 0;
	if (s->state != SS_UNCONNECTED || s->est)
		return -EINVAL;
	/* Listening takes the port again: one bound next to this socket
	 * with SO_REUSEADDR may not listen too. */
	if (!autobind(s) || !port_free(s, s->local.a, s->local.port, false))
		return -EADDRINUSE;
	return 0;
}

/* ---- TCP ----------------------------------------------------------------------------- */

/* A TCP socket in TCP_CLOSE lets an automatic port go (Linux's
 * tcp_set_state). */
static void tcp_closed(struct usock *s)
{
	s->est = false;
	if (!s->port_locked)
		drop_port(s);
}

/* The connection is over for s (Linux's tcp_done): TCP_CLOSE, both ways
 * shut down. */
static void tcp_done(struct usock *s)
{
	tcp_closed(s);
	s->shut_rd = s->shut_wr = true;
	sock_wake(s);
}

/* A reset came to s (Linux's tcp_reset: EPIPE if the peer had already
 * finished, ECONNRESET otherwise). */
static void tcp_reset(struct usock *s)
{
	s->err = s->fin_in ? EPIPE : ECONNRESET;
	tcp_done(s);
}

/* s sends its FIN: the peer will read end of file.  When the peer had
 * sent its own already, the connection is over on both sides and the
 * peer, which closed first, lingers in TIME_WAIT. */
static void tcp_fin(struct usock *s)
{
	struct usock *p = s->peer;
	s->shut_wr = true;
	if (!s->fin_in)
		s->fin_first = true;
	if (p) {
		p->fin_in = p->shut_rd = true;
		if (s->fin_in) {
			tw_add(p);
			tcp_done(p);
		}
		sock_wake(p);
	}
	if (s->fin_in)
		tcp_done(s);
	sock_wake(s);
}

/* Back to an unconnected socket that may connect again (Linux's
 * tcp_disconnect): its port stays, an automatic address goes. */
static void tcp_unconnect(struct usock *s)
{
	tcp_closed(s);
	s->state = SS_UNCONNECTED;
	s->fin_in = s->fin_first = s->tw = false;
	s->shut_rd = s->shut_wr = false;
	s->len = s->head = 0;
	if (!s->addr_locked)
		set_any(s, s->local.a);
}

void inet_release(struct usock *s, bool embryo)
{
	struct usock *p = s->peer;
	if (s->type != LX_SOCK_STREAM)
		return;
	/* Unread data, SO_LINGER with 0 s or an embryo its listener
	 * dropped: a reset; otherwise a FIN if not sent yet, and the side
	 * that sent the first FIN keeps its port in TIME_WAIT. */
	bool reset = s->len || embryo || (s->opt.linger && !s->opt.linger_secs);
	if (s->est && p && reset)
		tcp_reset(p);
	else if (s->est && !s->shut_wr)
		tcp_fin(s);
	if (s->fin_first && !reset)
		tw_add(s);
	sock_unlink_peer(s);
}

/* connect() on a socket a non-blocking connect left connecting: its
 * outcome, once (Linux's __inet_stream_connect in SS_CONNECTING). */
static int tcp_connect_again(struct usock *s)
{
	if (s->est) {
		s->state = SS_CONNECTED;
		return 0;
	}
	int e = sock_take_err(s);
	tcp_unconnect(s);
	return e ? -e : -ECONNABORTED;
}

/* connect(AF_UNSPEC): a listener stops, a connection is reset. */
static int tcp_disconnect(struct usock *s)
{
	if (s->state == SS_LISTENING)
		drop_pending(s);
	if (s->est && s->peer)
		tcp_reset(s->peer);
	sock_unlink_peer(s);
	tcp_unconnect(s);
	return 0;
}

/* The listener that takes a connection to dst: one bound to exactly that
 * address before a wildcard one, an AF_INET one before a dual-stack
 * one for IPv4, the last bound among equals (Linux's inet_lhash2
 * lookup scores). */
static struct usock *find_listener(const struct inet_name *dst)
{
	struct usock *o, *best = NULL;
	int top = -1;
	list_for_each_entry(o, &inet_bound, bound_link)
	{
		if (o->proto != LX_IPPROTO_TCP || o->state != SS_LISTENING || !takes(o, dst))
			continue;
		int score = (is_any(o->local.a) ? 0 : 2) + (o->domain == LX_AF_INET);
		if (score >= top) {
			best = o;
			top = score;
		}
	}
	return best;
}

static int tcp_connect(struct usock *s, const struct sock_addr *sa, bool nonblock,
                       struct waitq **wait)
{
	struct inet_name dst;
	uint8_t src[16];
	if (sa_family(sa) == LX_AF_UNSPEC)
		return tcp_disconnect(s);
	if (s->state == SS_CONNECTED || s->state == SS_LISTENING)
		return -EISCONN;
	if (s->state == SS_CONNECTING)
		return tcp_connect_again(s);
	int r = name_in(s, sa, false, &dst);
	if (r < 0 || (r = route(s, &dst, src)) < 0)
		return r;
	struct usock *l = find_listener(&dst);
	if (l && l->npending > l->backlog && !nonblock) {
		*wait = l->wqp;
		return -EAGAIN;
	}
	if (!autobind(s))
		return -EADDRNOTAVAIL;
	memcpy(s->local.a, src, 16);
	s->remote = dst;
	if (!l) {
		/* Refused (a reset answers the SYN): a blocking connect says
		 * so now, a non-blocking one through SO_ERROR and poll. */
		if (!nonblock) {
			tcp_unconnect(s);
			return -ECONNREFUSED;
		}
		s->state = SS_CONNECTING;
		s->err = ECONNREFUSED;
		tcp_done(s);
		return -EINPROGRESS;
	}
	struct usock *e = embryo_new(s, l);
	if (!e)
		return -ENOMEM;
	e->local = dst;
	e->remote = s->local;
	e->port_locked = l->port_locked;
	e->addr_locked = true;
	/* The accepted socket holds the listener's port too (Linux's
	 * inet_inherit_port): a bind without SO_REUSEADDR there fails. */
	hold_port(e, dst.port);
	e->est = s->est = true;
	sock_wake(s); /* Linux's sk_state_change: pollers of s see it connected */
	if (!nonblock)
		return 0;
	s->state = SS_CONNECTING;
	return -EINPROGRESS;
}

static long tcp_send(struct usock *s, struct thread *t, const void *buf, size_t len,
                     const struct sock_io *io)
{
	/* Not connected, or shut down: the pending error, else EPIPE
	 * (Linux's sk_stream_wait_connect and sk_stream_error). */
	if (!s->est || s->err || s->shut_wr) {
		int e = sock_take_err(s);
		return e ? -e : sock_epipe(t, io->nosignal);
	}
	if (!s->peer) {
		/* The peer closed: what is left of it answers data with a
		 * reset, so this write succeeds and the next one fails. */
		if (len) {
			s->err = EPIPE;
			tcp_done(s);
		}
		return (long)len;
	}
	return stream_put(s->peer, buf, len);
}

/* ---- UDP ----------------------------------------------------------------------------- */

/* The socket a datagram from src to dst goes to: one bound to exactly
 * dst before a wildcard one, one connected to src before an unconnected
 * one (one connected elsewhere takes nothing), AF_INET before
 * dual-stack, the last bound among equals (Linux's udp compute_score). */
static struct usock *find_receiver(const struct inet_name *dst, const struct inet_name *src)
{
	struct usock *o, *best = NULL;
	int top = -1;
	list_for_each_entry(o, &inet_bound, bound_link)
	{
		if (o->proto != LX_IPPROTO_UDP || !takes(o, dst) ||
		    (o->remote_set && !same_name(&o->remote, src)))
			continue;
		int score = (is_any(o->local.a) ? 0 : 4) + (o->remote_set ? 4 : 0) +
		            (o->domain == LX_AF_INET);
		if (score >= top) {
			best = o;
			top = score;
		}
	}
	return best;
}

static void udp_disconnect(struct usock *s)
{
	s->remote_set = false;
	memset(&s->remote, 0, sizeof s->remote);
	if (!s->addr_locked)
		set_any(s, s->local.a);
	if (!s->port_locked) {
		drop_port(s);
		s->local.port = 0;
	}
}

static int udp_connect(struct usock *s, const struct sock_addr *sa)
{
	struct inet_name dst;
	uint8_t src[16];
	if (sa_family(sa) == LX_AF_UNSPEC) {
		udp_disconnect(s);
		return 0;
	}
	/* Linux binds first, whatever the address turns out to be. */
	if (!autobind(s))
		return -EAGAIN;
	if (v6only(s) && sa_family(sa) == LX_AF_INET)
		return -EINVAL;
	int r = name_in(s, sa, false, &dst);
	if (r < 0 || (r = route(s, &dst, src)) < 0)
		return r;
	memcpy(s->local.a, src, 16);
	s->remote = dst;
	s->remote_set = true;
	return 0;
}

/* sendto's address for a UDP socket (Linux's udp_sendmsg and
 * udpv6_sendmsg checks): 0 and *dst, 1 for none (an AF_INET6 socket
 * reads AF_UNSPEC so), or -errno. */
static int udp_dest(const struct usock *s, const struct sock_addr *sa, struct inet_name *dst)
{
	int fam = sa_family(sa);
	if (s->domain == LX_AF_INET6) {
		if (sa->len < 2)
			return -EINVAL;
		if (fam == LX_AF_UNSPEC)
			return 1;
		if (fam == LX_AF_INET && v6only(s))
			return -ENETUNREACH;
		if (fam != LX_AF_INET && fam != LX_AF_INET6)
			return -EINVAL;
	} else if (fam != LX_AF_INET && fam != LX_AF_UNSPEC) {
		return sa->len < SIN_SIZE ? -EINVAL : -EAFNOSUPPORT;
	}
	if (sa->len < (fam == LX_AF_INET6 ? SIN6_MIN : SIN_SIZE))
		return -EINVAL;
	name_from(fam == LX_AF_INET6 ? fam : LX_AF_INET, sa, dst);
	return dst->port ? 0 : -EINVAL;
}

static long udp_send(struct usock *s, const void *buf, size_t len, const struct sock_io *io)
{
	struct inet_name dst, from;
	struct sock_addr fa;
	/* The order of Linux's checks: autobind, length, address, route,
	 * size, pending error, shutdown (EPIPE without SIGPIPE). */
	if (!autobind(s))
		return -EAGAIN;
	if (len > 0xffff)
		return -EMSGSIZE;
	int r = io->to ? udp_dest(s, io->to, &dst) : 1;
	if (r < 0)
		return r;
	if (r) {
		if (!s->remote_set)
			return -EDESTADDRREQ;
		dst = s->remote;
	}
	from = s->local;
	if ((r = route(s, &dst, from.a)) < 0)
		return r;
	if (len > (is_v4(dst.a) ? UDP4_MAX : UDP6_MAX))
		return -EMSGSIZE;
	if (s->err)
		return -sock_take_err(s);
	if (s->shut_wr)
		return -EPIPE;
	struct usock *d = find_receiver(&dst, &from);
	if (!d) {
		/* Port unreachable: only a connected socket hears of it. */
		if (s->remote_set) {
			s->err = ECONNREFUSED;
			sock_wake(s);
		}
		return (long)len;
	}
	name_to(d->domain, &from, &fa);
	/* A full receiver drops the datagram; the sender never waits. */
	long n = message_put(d, fa.sa, fa.len, buf, len);
	return n == -EAGAIN ? (long)len : n;
}

/* ---- The calls -------------------------------------------------------------------- */

int inet_connect(struct usock *s, const struct sock_addr *sa, bool nonblock, struct waitq **wait)
{
	if (sa->len < 2)
		return -EINVAL;
	if (s->type == LX_SOCK_STREAM)
		return tcp_connect(s, sa, nonblock, wait);
	return udp_connect(s, sa);
}

long inet_send(struct usock *s, struct thread *t, const void *buf, size_t len,
               const struct sock_io *io)
{
	/* TCP ignores sendto's address, as Linux does. */
	if (s->type == LX_SOCK_STREAM)
		return tcp_send(s, t, buf, len, io);
	return udp_send(s, buf, len, io);
}

int inet_recv_state(struct usock *s)
{
	if (s->type == LX_SOCK_DGRAM) {
		/* Linux's __skb_recv_udp: the pending error first. */
		if (s->err)
			return -sock_take_err(s);
		return s->len ? 1 : s->shut_rd ? 0 : -EAGAIN;
	}
	/* Linux's tcp_recvmsg: queued data, then end of file after the
	 * peer's FIN, the pending error, a shutdown, "never connected". */
	if (s->state == SS_LISTENING)
		return -ENOTCONN;
	if (s->len)
		return 1;
	if (s->fin_in)
		return 0;
	if (s->err)
		return -sock_take_err(s);
	if (s->shut_rd)
		return 0;
	return s->est ? -EAGAIN : -ENOTCONN;
}

/* Linux's tcp_poll and datagram_poll. */
unsigned inet_poll(struct usock *s)
{
	unsigned m = s->err ? POLLERR : 0;
	if (s->shut_rd)
		m |= POLLIN | POLLRDNORM | LX_POLLRDHUP;
	if (s->len)
		m |= POLLIN | POLLRDNORM;
	if (s->type == LX_SOCK_DGRAM) {
		if (s->shut_rd && s->shut_wr)
			m |= POLLHUP;
		return m | POLLOUT | POLLWRNORM | POLLWRBAND;
	}
	if (s->state == SS_LISTENING)
		return s->npending ? POLLIN | POLLRDNORM : 0;
	if ((s->shut_rd && s->shut_wr) || !s->est)
		m |= POLLHUP;
	if (s->shut_wr || !s->peer || sock_room(s->peer))
		m |= POLLOUT | POLLWRNORM;
	return m;
}

int inet_shutdown(struct usock *s, bool rd, bool wr)
{
	if (s->state == SS_LISTENING) {
		/* SHUT_RD stops listening (Linux disconnects the socket). */
		if (rd) {
			drop_pending(s);
			tcp_closed(s);
			s->state = SS_UNCONNECTED;
		}
		return 0;
	}
	bool connected = s->type == LX_SOCK_STREAM ? s->est : s->remote_set;
	s->shut_rd |= rd;
	if (wr && connected && s->type == LX_SOCK_STREAM && !s->shut_wr)
		tcp_fin(s);
	s->shut_wr |= wr;
	sock_wake(s);
	/* Not connected: the flags are set all the same (Linux's inet_shutdown). */
	return connected ? 0 : -ENOTCONN;
}

int inet_getname(struct usock *s, bool peer, struct sock_addr *out)
{
	if (peer) {
		bool connected = s->type == LX_SOCK_STREAM ? s->est : s->remote_set;
		if (!connected)
			return -ENOTCONN;
		name_to(s->domain, &s->remote, out);
		return 0;
	}
	name_to(s->domain, &s->local, out);
	return 0;
}
