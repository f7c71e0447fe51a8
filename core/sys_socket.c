/*
 * The socket system calls other than the transfers (sendto, recvfrom,
 * sendmsg, recvmsg live with the read/write family in sys_fd.c):
 * socket, socketpair, bind, listen, accept, connect, getsockname,
 * getpeername, shutdown, getsockopt, setsockopt.  Each copies in and
 * checks the client's arguments (addresses as Linux's move_addr_to_kernel
 * and unix_validate_addr; an Internet address is checked by inet.c, whose
 * order of checks depends on the socket), then calls socket.c.  AF_UNIX,
 * AF_INET and AF_INET6 (TCP and UDP); other families get EAFNOSUPPORT
 * from socket() with a warning, and socketpair() is AF_UNIX only (as on
 * Linux).
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"

#define LX_AF_UNIX 1
#define LX_AF_INET 2
#define LX_AF_INET6 10
#define LX_AF_PACKET 17
#define LX_AF_MAX 46
#define LX_SOCK_STREAM 1
#define LX_SOCK_DGRAM 2
#define LX_SOCK_RAW 3
#define LX_SOCK_SEQPACKET 5
#define LX_SOCK_PACKET 10
#define LX_SOCK_TYPE_MASK 0xf
#define LX_SOCK_NONBLOCK 04000
#define LX_SOCK_CLOEXEC 02000000
#define LX_IPPROTO_ICMP 1
#define LX_IPPROTO_TCP 6
#define LX_IPPROTO_UDP 17
#define LX_IPPROTO_ICMPV6 58
#define SUN_PATH_OFF 2
#define SOCKADDR_UN_SIZE 110
#define SOCKADDR_STORAGE_SIZE 128
#define LX_SOL_SOCKET 1
#define LX_SOL_IP 0
#define LX_SOL_IPV6 41
#define LX_SO_TYPE 3
#define LX_SO_ERROR 4
#define LX_SO_PEERCRED 17
#define LX_SO_SNDLOWAT 19
#define LX_SO_ACCEPTCONN 30
#define LX_SO_PROTOCOL 38
#define LX_SO_DOMAIN 39
#define LX_IPV6_V6ONLY 26
#define LX_RMEM_MAX 212992 /* sysctl net.core.rmem_max and wmem_max */

/* An Internet socket's protocol for a type (Linux's inet_create and
 * inet6_create with TCP, UDP, ping and raw sockets registered), or
 * -errno: ping and raw sockets are refused as to an unprivileged
 * program (ping_group_range "1 0"; no CAP_NET_RAW, which Persona never
 * grants: it has no raw network to give). */
static int inet_protocol(int domain, int kind, int proto)
{
	int icmp = domain == LX_AF_INET ? LX_IPPROTO_ICMP : LX_IPPROTO_ICMPV6;
	switch (kind) {
	case LX_SOCK_STREAM:
		return proto == 0 || proto == LX_IPPROTO_TCP ? LX_IPPROTO_TCP : -EPROTONOSUPPORT;
	case LX_SOCK_DGRAM:
		if (proto == 0 || proto == LX_IPPROTO_UDP)
			return LX_IPPROTO_UDP;
		return proto == icmp ? -EACCES : -EPROTONOSUPPORT;
	case LX_SOCK_RAW:
		return proto == 0 ? -EPROTONOSUPPORT : -EPERM;
	case LX_SOCK_PACKET: /* Linux makes it an AF_PACKET socket */
		return domain == LX_AF_INET ? -EPERM : -ESOCKTNOSUPPORT;
	default:
		return -ESOCKTNOSUPPORT;
	}
}

/* The socket type socket() or socketpair() asks for (domain, type,
 * protocol in a->a[0..2]), with its protocol in *proto, or -errno in
 * Linux's order. */
static int socket_kind(const struct sysargs *a, bool pair, int *proto)
{
	int domain = (int)a->a[0], type = (int)a->a[1];
	int kind = type & LX_SOCK_TYPE_MASK;

	*proto = (int)a->a[2];
	if (type & ~(LX_SOCK_TYPE_MASK | LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
		return -EINVAL;
	if (domain < 0 || domain >= LX_AF_MAX)
		return -EAFNOSUPPORT;
	if (kind >= 11) /* SOCK_MAX */
		return -EINVAL;
	if ((domain == LX_AF_INET || domain == LX_AF_INET6) && !pair) {
		int p = inet_protocol(domain, kind, *proto);
		if (p < 0)
			return p;
		*proto = p;
		return kind;
	}
	if (domain == LX_AF_INET || domain == LX_AF_INET6)
		return -EOPNOTSUPP; /* Linux's inet socketpair */
	if (domain != LX_AF_UNIX) {
		pr_warn_once(
		    "persona: warning: sockets of a domain other than AF_UNIX, AF_INET and "
		    "AF_INET6 are not supported; the program gets EAFNOSUPPORT "
		    "(socketpair: EOPNOTSUPP)");
		return pair ? -EOPNOTSUPP : -EAFNOSUPPORT;
	}
	if (kind == 3)
		kind = 2; /* SOCK_RAW on AF_UNIX is SOCK_DGRAM, as on Linux */
	if (kind != 1 && kind != 2 && kind != 5)
		return -ESOCKTNOSUPPORT;
	if (*proto != 0 && *proto != LX_AF_UNIX)
		return -EPROTONOSUPPORT;
	*proto = 0;
	return kind;
}

int sockaddr_from_user(struct thread *t, uint64_t uaddr, uint64_t len, struct sock_addr *out)
{
	memset(out, 0, sizeof *out);
	if ((int32_t)len < 0 || len > SOCKADDR_STORAGE_SIZE)
		return -EINVAL;
	if (len && copy_from_user(t, out->sa, uaddr, len) < 0)
		return -EFAULT;
	out->len = (uint32_t)len;
	return 0;
}

/* Linux's unix_validate_addr; a path is NUL-terminated at len already
 * (the bytes after it are zero), as unix_mkname_bsd makes it. */
int sock_addr_check(const struct sock_addr *a)
{
	if (a->len < SUN_PATH_OFF || a->sa[0] != LX_AF_UNIX || a->sa[1] != 0 ||
	    a->len > SOCKADDR_UN_SIZE)
		return -EINVAL;
	return 0;
}

int sockaddr_to_user(struct thread *t, const struct sock_addr *a, uint64_t uaddr, uint64_t ulen)
{
	int32_t len, klen = (int32_t)a->len;
	if (copy_from_user(t, &len, ulen, sizeof len) < 0)
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && copy_to_user(t, uaddr, a->sa, (size_t)len) < 0)
		return -EFAULT;
	return copy_to_user(t, ulen, &klen, sizeof klen) < 0 ? -EFAULT : 0;
}

long sys_socket(struct thread *t, const struct sysargs *a)
{
	int proto, type = (int)a->a[1], kind = socket_kind(a, false, &proto);
	struct file *f;
	if (kind < 0)
		return kind;
	int r =
	    sock_create((int)a->a[0], kind, proto, (type & LX_SOCK_NONBLOCK) ? O_NONBLOCK : 0, &f);
	if (r < 0)
		return r;
	return fd_install_new(t->proc, f, type & LX_SOCK_CLOEXEC);
}

long sys_bind(struct thread *t, const struct sysargs *a)
{
	struct sock_addr sa;
	struct file *f;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	if ((r = sockaddr_from_user(t, a->a[1], (uint32_t)a->a[2], &sa)) == 0) {
		/* The family alone asks for an automatic name. */
		bool unix_ = sock_domain(f) == LX_AF_UNIX;
		if (unix_ && !(sa.len == SUN_PATH_OFF && sa.sa[0] == LX_AF_UNIX && !sa.sa[1]))
			r = sock_addr_check(&sa);
		if (r == 0)
			r = sock_bind(t, f, &sa);
	}
	file_put(f);
	return r;
}

long sys_listen(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	r = sock_listen(t, f, (int)a->a[1]);
	file_put(f);
	return r;
}

long sys_connect(struct thread *t, const struct sysargs *a)
{
	struct sock_addr sa;
	struct file *f;
	struct waitq *wq;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	if ((r = sockaddr_from_user(t, a->a[1], (uint32_t)a->a[2], &sa)) < 0)
		goto out;
	/* A datagram socket is disconnected by AF_UNSPEC. */
	bool unspec = sock_type(f) == 2 && sa.len >= SUN_PATH_OFF && !sa.sa[0] && !sa.sa[1];
	if (sock_domain(f) == LX_AF_UNIX && !unspec && (r = sock_addr_check(&sa)) < 0)
		goto out;
	r = sock_connect(t, f, &sa, &wq);
	if (r == -EAGAIN && wq && !(f->flags & O_NONBLOCK)) {
		/* The backlog is full: wait for an accept, then try again. */
		r = thread_wait_on(t, wq) < 0 ? -ENOMEM : thread_park(t, 0);
	}
out:
	file_put(f);
	return r;
}

static long do_accept(struct thread *t, const struct sysargs *a, int flags)
{
	struct file *f, *nf;
	struct sock_addr peer;
	if (flags & ~(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
		return -EINVAL;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	/* SO_RCVTIMEO bounds the wait (EAGAIN), as Linux's inet_csk_accept. */
	uint64_t timeo = sock_opts(f)->rcvtimeo;
	if (t->wake == WAKE_NONE)
		t->sys.generic.deadline = timeo ? now_ns() + timeo : 0;
	r = sock_accept(f, (flags & LX_SOCK_NONBLOCK) ? O_NONBLOCK : 0, &nf, &peer);
	if (r == -EAGAIN && !(f->flags & O_NONBLOCK) && t->wake != WAKE_TIMEOUT) {
		struct waitq *wq;
		file_poll(f, &wq);
		r = thread_wait_on(t, wq) < 0 ? -ENOMEM : thread_park(t, t->sys.generic.deadline);
	}
	file_put(f);
	if (r < 0)
		return r;
	/* A bad address buffer loses the connection, as on Linux. */
	if (a->a[1] && (r = sockaddr_to_user(t, &peer, a->a[1], a->a[2])) < 0) {
		file_put(nf);
		return r;
	}
	return fd_install_new(t->proc, nf, flags & LX_SOCK_CLOEXEC);
}

long sys_accept(struct thread *t, const struct sysargs *a)
{
	return do_accept(t, a, 0);
}

long sys_accept4(struct thread *t, const struct sysargs *a)
{
	return do_accept(t, a, (int)a->a[3]);
}

static long getname(struct thread *t, const struct sysargs *a, bool peer)
{
	struct sock_addr sa;
	struct file *f;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	r = sock_getname(f, peer, &sa);
	file_put(f);
	return r < 0 ? r : sockaddr_to_user(t, &sa, a->a[1], a->a[2]);
}

long sys_getsockname(struct thread *t, const struct sysargs *a)
{
	return getname(t, a, false);
}

long sys_getpeername(struct thread *t, const struct sysargs *a)
{
	return getname(t, a, true);
}

long sys_socketpair(struct thread *t, const struct sysargs *a)
{
	int proto, type = (int)a->a[1], kind = socket_kind(a, true, &proto);
	struct file *x, *y;
	int fds[2];

	if (kind < 0)
		return kind;
	int r = socketpair_create(t, kind, (type & LX_SOCK_NONBLOCK) ? O_NONBLOCK : 0, &x, &y);
	if (r < 0)
		return r;
	bool cloexec = type & LX_SOCK_CLOEXEC;
	fds[0] = fd_install_new(t->proc, x, cloexec);
	if (fds[0] < 0) {
		file_put(y);
		return fds[0];
	}
	fds[1] = fd_install_new(t->proc, y, cloexec);
	if (fds[1] < 0) {
		fd_close(t->proc, fds[0]);
		return fds[1];
	}
	if (copy_to_user(t, a->a[3], fds, sizeof fds) < 0) {
		fd_close(t->proc, fds[0]);
		fd_close(t->proc, fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_shutdown(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	r = sock_shutdown(f, (int)a->a[1]);
	file_put(f);
	return r;
}

/* ---- Options ------------------------------------------------------------------ */

enum opt_kind {
	OPT_BOOL,  /* an int, stored as 0 or 1 */
	OPT_INT,   /* an int within lo..hi, else EINVAL */
	OPT_HOPS,  /* IP_TTL, IPV6_UNICAST_HOPS: lo..255 or -1 (the default, 64) */
	OPT_BUF,   /* SO_RCVBUF, SO_SNDBUF: doubled within lo..2 * rmem_max */
	OPT_LOWAT, /* SO_RCVLOWAT: 0 means 1, negative INT_MAX */
	OPT_TIME,  /* SO_RCVTIMEO, SO_SNDTIMEO: a struct timeval */
	OPT_LINGER,
};

struct sockopt {
	int level, name;
	enum opt_kind kind;
	size_t off; /* in struct sock_opts */
	int32_t lo, hi;
};

/* The options stored as given, from sockopts.def. */
static const struct sockopt sockopts[] = {
#define SOCKOPT(level, name, kind, field, lo, hi)                                                  \
	{LX_##level, name, kind, offsetof(struct sock_opts, field), lo, hi},
#include "sockopts.def"
#undef SOCKOPT
};

/* Whether f has options of this level at all, or what Linux answers for
 * an unknown level: an AF_UNIX socket has only SOL_SOCKET (EOPNOTSUPP);
 * an Internet socket SOL_IP, its protocol's level and for AF_INET6
 * SOL_IPV6 (ENOPROTOOPT, except that an AF_INET one's getsockopt ends in
 * ip_getsockopt's EOPNOTSUPP). */
static int opt_level(struct file *f, int level, bool set)
{
	int domain = sock_domain(f), proto = sock_protocol(f);
	if (level == LX_SOL_SOCKET)
		return 0;
	if (domain == LX_AF_UNIX)
		return -EOPNOTSUPP;
	if (level == LX_SOL_IP || level == proto || (level == LX_SOL_IPV6 && domain == LX_AF_INET6))
		return 0;
	return set || domain == LX_AF_INET6 ? -ENOPROTOOPT : -EOPNOTSUPP;
}

static const struct sockopt *find_opt(int level, int name)
{
	for (size_t i = 0; i < sizeof sockopts / sizeof sockopts[0]; i++)
		if (sockopts[i].level == level && sockopts[i].name == name)
			return &sockopts[i];
	return NULL;
}

static int listening(struct file *f)
{
	return sock_listening(f);
}

static int always_one(struct file *f)
{
	return 1;
}

/* The SOL_SOCKET options that report the socket's state. */
static const struct {
	int name;
	int (*get)(struct file *f);
} computed[] = {
    {LX_SO_TYPE, sock_type},
    {LX_SO_ERROR, sock_take_error},
    {LX_SO_ACCEPTCONN, listening},
    {LX_SO_DOMAIN, sock_domain},
    {LX_SO_PROTOCOL, sock_protocol},
    {LX_SO_SNDLOWAT, always_one}, /* Linux's SO_SNDLOWAT is always 1 */
};

/* The value of option (level, name) of f into v, its size in *n (len:
 * the caller's buffer, for SOL_IP's one-byte answers), or -errno. */
static int get_opt(struct file *f, int level, int name, int32_t len, int32_t v[4], size_t *n)
{
	int r = opt_level(f, level, false);
	if (r < 0)
		return r;
	if (level == LX_SOL_SOCKET && name == LX_SO_PEERCRED) {
		*n = 3 * sizeof(int32_t);
		return sock_peercred(f, v);
	}
	for (size_t i = 0; level == LX_SOL_SOCKET && i < sizeof computed / sizeof computed[0];
	     i++) {
		if (computed[i].name == name) {
			v[0] = computed[i].get(f);
			return 0;
		}
	}
	const struct sockopt *o = find_opt(level, name);
	if (!o)
		return -ENOPROTOOPT;
	const char *p = (const char *)sock_opts(f) + o->off;
	uint64_t ns;
	switch (o->kind) {
	case OPT_BOOL:
		v[0] = *(const bool *)p;
		break;
	case OPT_HOPS:
		v[0] = *(const int32_t *)p < 0 ? 64 : *(const int32_t *)p;
		break;
	case OPT_TIME:
		memcpy(&ns, p, sizeof ns);
		int64_t tv[2] = {(int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000 / 1000)};
		memcpy(v, tv, sizeof tv);
		*n = sizeof tv;
		break;
	case OPT_LINGER:
		v[0] = sock_opts(f)->linger;
		v[1] = sock_opts(f)->linger_secs;
		*n = 2 * sizeof(int32_t);
		break;
	default:
		v[0] = *(const int32_t *)p;
		break;
	}
	/* ip_getsockopt answers a short buffer with one byte. */
	if (level == LX_SOL_IP && len > 0 && len < 4 && v[0] >= 0 && v[0] <= 255)
		*n = 1;
	return 0;
}

long sys_getsockopt(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	int32_t len, v[4] = {0, 0, 0, 0};
	size_t n = sizeof(int32_t);
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	if (copy_from_user(t, &len, a->a[4], sizeof len) < 0)
		r = -EFAULT;
	else if (len < 0)
		r = -EINVAL;
	else
		r = get_opt(f, (int)a->a[1], (int)a->a[2], len, v, &n);
	file_put(f);
	if (r < 0)
		return r;
	if ((size_t)len < n)
		n = (size_t)len;
	if (copy_to_user(t, a->a[3], v, n) < 0)
		return -EFAULT;
	len = (int32_t)n;
	return copy_to_user(t, a->a[4], &len, sizeof len) < 0 ? -EFAULT : 0;
}

/* A struct timeval option as ns (0: none), as Linux's sock_set_timeout:
 * EDOM for microseconds out of range, a negative time is "do not wait"
 * (one ns here), an enormous one none at all. */
static int timeval_ns(const int64_t tv[2], uint64_t *ns)
{
	if (tv[1] < 0 || tv[1] >= 1000000)
		return -EDOM;
	if (tv[0] < 0)
		*ns = 1;
	else if (tv[0] >= (int64_t)(UINT64_MAX / 1000000000 - 1))
		*ns = 0;
	else
		*ns = (uint64_t)tv[0] * 1000000000 + (uint64_t)tv[1] * 1000;
	return 0;
}

/* Store option o of f from the client's ulen bytes at uval. */
static long set_opt(struct thread *t, struct file *f, const struct sockopt *o, uint64_t uval,
                    int32_t ulen)
{
	struct sock_opts *so = sock_opts(f);
	char *p = (char *)so + o->off;
	int32_t v = 0, lg[2];
	int64_t tv[2];
	uint64_t ns;
	/* SOL_IP takes an int option from one byte too. */
	size_t need = o->kind == OPT_TIME     ? sizeof tv
	              : o->kind == OPT_LINGER ? sizeof lg
	                                      : sizeof v;
	if (ulen < 0 || (size_t)ulen < (o->level == LX_SOL_IP ? 1 : need))
		return -EINVAL;
	if (copy_from_user(t,
	                   o->kind == OPT_TIME     ? (void *)tv
	                   : o->kind == OPT_LINGER ? (void *)lg
	                                           : &v,
	                   uval, (size_t)ulen < need ? (size_t)ulen : need) < 0)
		return -EFAULT;
	switch (o->kind) {
	case OPT_BOOL:
		if (o->name == LX_IPV6_V6ONLY && o->level == LX_SOL_IPV6 && !sock_may_set_v6only(f))
			return -EINVAL;
		*(bool *)p = v != 0;
		return 0;
	case OPT_HOPS:
		if (v != -1 && (v < o->lo || v > 255))
			return -EINVAL;
		break;
	case OPT_INT:
		if (v < o->lo || v > o->hi)
			return -EINVAL;
		break;
	case OPT_BUF:
		v = (uint32_t)v < LX_RMEM_MAX ? 2 * v : 2 * LX_RMEM_MAX;
		v = v < o->lo ? o->lo : v;
		break;
	case OPT_LOWAT:
		v = v < 0 ? INT32_MAX : v ? v : 1;
		break;
	case OPT_TIME: {
		int r = timeval_ns(tv, &ns);
		if (r == 0)
			memcpy(p, &ns, sizeof ns);
		return r;
	}
	case OPT_LINGER:
		/* Linux keeps the old time when turning it off. */
		so->linger = lg[0] != 0;
		if (lg[0])
			so->linger_secs = lg[1];
		return 0;
	}
	*(int32_t *)p = v;
	return 0;
}

long sys_setsockopt(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	int level = (int)a->a[1], name = (int)a->a[2];
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	const struct sockopt *o = find_opt(level, name);
	if ((r = opt_level(f, level, true)) == 0) {
		/* Linux checks an int's length before it looks at the name. */
		if (!o && (int)a->a[4] < 4 && level != LX_SOL_IP)
			r = -EINVAL;
		else
			r = o ? set_opt(t, f, o, a->a[3], (int32_t)a->a[4]) : -ENOPROTOOPT;
	}
	file_put(f);
	return r;
}
