/*
 * Internet sockets on loopback (AF_INET, AF_INET6; TCP and UDP): socket
 * types and protocols, bind (ephemeral ports, EADDRINUSE, SO_REUSEADDR,
 * dual-stack IPv6 next to IPv4, TIME_WAIT after a server's close,
 * addresses that are not local), TCP connections (names on both sides,
 * every transfer call, MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, SO_RCVTIMEO,
 * shutdown, close with unread data, a write to a closed peer and
 * SIGPIPE, refused and non-blocking connects, poll and epoll readiness in
 * each state, a threaded echo server), UDP (datagrams with source
 * addresses, connect and its filter, ECONNREFUSED after a datagram
 * nobody took, sizes), socket options, FIONREAD, and the errors of each.
 *
 * Natively the program first moves into a network namespace of its own
 * with only lo up, and drops its capabilities: the machine Persona
 * presents (loopback only, an unprivileged program).  Where that is not
 * allowed, the checks that depend on the machine (routes, the ephemeral
 * range, raw and ping sockets, defaults set by sysctl) accept what the
 * host says, printing the same lines; under Persona they are always
 * strict.  Ports are never printed: only whether they are in range or
 * equal.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define ERR(call, e) ((call) < 0 && errno == (e))
#define SA(x) ((struct sockaddr *)&(x))

/* The checks that depend on the machine are exact (see the top). */
static int strict;
static volatile int sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* A network namespace with lo alone, no capabilities (natively). */
static int isolate(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522, 0}; /* _LINUX_CAPABILITY_VERSION_3 */
	struct {
		uint32_t effective, permitted, inheritable;
	} caps[2] = {{0, 0, 0}, {0, 0, 0}};
	uid_t uid = getuid();
	char map[64];

	if (unshare(CLONE_NEWNET) < 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			return 0;
		/* Keep our own uid inside the new user namespace. */
		int fd = open("/proc/self/uid_map", O_WRONLY);
		int n = snprintf(map, sizeof map, "%u %u 1\n", uid, uid);
		if (fd >= 0 && write(fd, map, (size_t)n) < 0)
			n = 0;
		close(fd);
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	int up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	up = up && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
	close(s);
	syscall(SYS_capset, &hdr, caps);
	return up;
}

/* ip:port as a sockaddr of family fam (both keep the family and the
 * port at the same place); addr is where its address goes. */
static void fill(void *sa, size_t size, int fam, const char *ip, int port, void *addr)
{
	struct sockaddr_in *a = sa;
	memset(sa, 0, size);
	a->sin_family = (sa_family_t)fam;
	a->sin_port = htons((uint16_t)port);
	inet_pton(fam, ip, addr);
}

static struct sockaddr_in in4(const char *ip, int port)
{
	struct sockaddr_in a;
	fill(&a, sizeof a, AF_INET, ip, port, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 in6(const char *ip, int port)
{
	struct sockaddr_in6 a;
	fill(&a, sizeof a, AF_INET6, ip, port, &a.sin6_addr);
	return a;
}

/* A socket's own (or its peer's) address as text and port; the length
 * getsockname gave in *len.  "-" on failure. */
static int name_of(int fd, int peer, char *ip, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	memset(&ss, 0, sizeof ss);
	int r = peer ? getpeername(fd, SA(ss), &l) : getsockname(fd, SA(ss), &l);
	strcpy(ip, "-");
	if (len)
		*len = l;
	if (r < 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, 64);
		return ntohs(a->sin_port);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	inet_ntop(AF_INET6, &a->sin6_addr, ip, 64);
	return ntohs(a->sin6_port);
}

static int port_of(int fd)
{
	char ip[64];
	return name_of(fd, 0, ip, NULL);
}

/* Whether fd's own or peer address is ip (and, if port >= 0, port). */
static int named(int fd, int peer, const char *ip, int port)
{
	char got[64];
	int p = name_of(fd, peer, got, NULL);
	return p >= 0 && !strcmp(got, ip) && (port < 0 || p == port);
}

/* Linux's default ip_local_port_range. */
static int ephemeral(int port)
{
	return strict ? port >= 32768 && port <= 60999 : port >= 1024;
}

static unsigned ready(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0};
	return poll(&p, 1, 0) < 0 ? 0xffff : (unsigned)p.revents;
}

/* A TCP socket bound to 127.0.0.1:0 and listening; its port in *port. */
static int listener(int *port, int backlog)
{
	struct sockaddr_in a = in4("127.0.0.1", 0);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, SA(a), sizeof a) < 0 || listen(s, backlog) < 0)
		return -1;
	*port = port_of(s);
	return s;
}

static int connect_to(const char *ip, int port, int flags)
{
	struct sockaddr_in a = in4(ip, port);
	int c = socket(AF_INET, SOCK_STREAM | flags, 0);
	if (connect(c, SA(a), sizeof a) < 0 && errno != EINPROGRESS) {
		close(c);
		return -1;
	}
	return c;
}

/* A connected pair: *c the client, the accepted end returned. */
static int tcp_pair(int s, int port, int *c)
{
	*c = connect_to("127.0.0.1", port, 0);
	return accept(s, NULL, NULL);
}

static int intopt(int fd, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof v;
	return getsockopt(fd, level, name, &v, &l) < 0 ? -errno - 100000 : v;
}

static int setint(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof v);
}

/* e is want, or on a host that could not be isolated whatever its own
 * addresses and routes give. */
static int machine(int e, int want)
{
	return e == want || !strict;
}

/* What socket() gives: 0 (the socket is closed again) or the errno. */
static int socket_err(int fam, int type, int proto)
{
	int s = socket(fam, type, proto), e = s < 0 ? errno : 0;
	if (s >= 0)
		close(s);
	return e;
}

/* What bind (or connect, with TRY_CONNECT) of a new socket of family fam
 * and type to ip:port (a sockaddr_in or sockaddr_in6 by the notation of
 * ip) gives: 0 or the errno.  The socket is closed again. */
enum { TRY_REUSE = 1, TRY_V6ONLY = 2, TRY_CONNECT = 4 };
static int try_addr(int fam, int type, const char *ip, int port, int how)
{
	struct sockaddr_in a = in4(ip, port);
	struct sockaddr_in6 w = in6(ip, port);
	int v6 = strchr(ip, ':') != NULL, s = socket(fam, type, 0);
	struct sockaddr *sa = v6 ? SA(w) : SA(a);
	socklen_t l = v6 ? sizeof w : sizeof a;
	if (how & TRY_REUSE)
		setint(s, SOL_SOCKET, SO_REUSEADDR, 1);
	if (how & TRY_V6ONLY)
		setint(s, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	errno = 0;
	int r = how & TRY_CONNECT ? connect(s, sa, l) : bind(s, sa, l), e = r < 0 ? errno : 0;
	close(s);
	return e;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void creation(void)
{
	int s;
	CHECK((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0 && intopt(s, SOL_SOCKET, SO_TYPE) == 1 &&
	          intopt(s, SOL_SOCKET, SO_DOMAIN) == AF_INET &&
	          intopt(s, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP,
	      "AF_INET SOCK_STREAM: SO_TYPE, SO_DOMAIN, SO_PROTOCOL (TCP)");
	close(s);
	CHECK((s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)) >= 0 &&
	          intopt(s, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM &&
	          intopt(s, SOL_SOCKET, SO_DOMAIN) == AF_INET6 &&
	          intopt(s, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_UDP,
	      "AF_INET6 SOCK_DGRAM IPPROTO_UDP: SO_TYPE, SO_DOMAIN, SO_PROTOCOL (UDP)");
	close(s);
	CHECK((s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP)) >=
	              0 &&
	          (fcntl(s, F_GETFL) & O_NONBLOCK) && fcntl(s, F_GETFD) == FD_CLOEXEC,
	      "SOCK_NONBLOCK and SOCK_CLOEXEC");
	close(s);
	CHECK((s = socket(AF_INET, SOCK_DGRAM, 0)) >= 0 &&
	          intopt(s, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_UDP,
	      "AF_INET SOCK_DGRAM 0: UDP");
	close(s);
	CHECK(socket_err(AF_INET, SOCK_STREAM, IPPROTO_UDP) == EPROTONOSUPPORT,
	      "SOCK_STREAM IPPROTO_UDP: EPROTONOSUPPORT");
	CHECK(socket_err(AF_INET6, SOCK_DGRAM, IPPROTO_TCP) == EPROTONOSUPPORT,
	      "SOCK_DGRAM IPPROTO_TCP: EPROTONOSUPPORT");
	CHECK(socket_err(AF_INET, SOCK_STREAM, 99) == EPROTONOSUPPORT,
	      "protocol 99: EPROTONOSUPPORT");
	CHECK(socket_err(AF_INET, SOCK_RAW, 0) == EPROTONOSUPPORT, "SOCK_RAW 0: EPROTONOSUPPORT");
	CHECK(machine(socket_err(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM),
	      "SOCK_RAW IPPROTO_ICMP unprivileged: EPERM");
	CHECK(machine(socket_err(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), EPERM),
	      "AF_INET6 SOCK_RAW: EPERM");
	CHECK(machine(socket_err(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EACCES),
	      "ping socket outside ping_group_range: EACCES");
	CHECK(socket_err(AF_INET, SOCK_SEQPACKET, 0) == ESOCKTNOSUPPORT,
	      "SOCK_SEQPACKET: ESOCKTNOSUPPORT");
	CHECK(ERR(socket(AF_INET, SOCK_STREAM | 0x100, 0), EINVAL), "bad type flag: EINVAL");
	int sv[2];
	CHECK(ERR(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP), "socketpair: EOPNOTSUPP");
	CHECK(ERR(socketpair(AF_INET6, SOCK_DGRAM, 0, sv), EOPNOTSUPP),
	      "socketpair AF_INET6: EOPNOTSUPP");
}

static void binding(void)
{
	struct sockaddr_in a = in4("127.0.0.1", 0), b;
	struct sockaddr_in6 a6 = in6("::1", 0);
	char ip[64];
	socklen_t l;
	int s = socket(AF_INET, SOCK_STREAM, 0), t;

	CHECK(name_of(s, 0, ip, &l) == 0 && l == sizeof a && !strcmp(ip, "0.0.0.0"),
	      "unbound: 0.0.0.0 port 0, 16 bytes");
	CHECK(ERR(getpeername(s, SA(b), &l), ENOTCONN), "unbound getpeername: ENOTCONN");
	CHECK(ERR(bind(s, SA(a), 15), EINVAL), "bind with 15 bytes: EINVAL");
	CHECK(ERR(bind(s, SA(a), 129), EINVAL), "bind with 129 bytes: EINVAL");
	CHECK(ERR(bind(s, SA(a6), sizeof a6), EAFNOSUPPORT), "bind a sockaddr_in6: EAFNOSUPPORT");
	b = a;
	b.sin_family = AF_UNSPEC;
	CHECK(ERR(bind(s, SA(b), sizeof b), EAFNOSUPPORT),
	      "AF_UNSPEC with 127.0.0.1: EAFNOSUPPORT");
	CHECK(ERR(bind(s, (struct sockaddr *)8, sizeof a), EFAULT),
	      "bind from a bad pointer: EFAULT");
	CHECK(machine(try_addr(AF_INET, SOCK_STREAM, "10.1.2.3", 0, 0), EADDRNOTAVAIL),
	      "bind 10.1.2.3 (not local): EADDRNOTAVAIL");
	b = in4("127.1.2.3", 0);
	CHECK(bind(s, SA(b), sizeof b) == 0 && named(s, 0, "127.1.2.3", -1) &&
	          ephemeral(port_of(s)),
	      "bind 127.1.2.3:0: an ephemeral port");
	CHECK(ERR(bind(s, SA(a), sizeof a), EINVAL), "bind again: EINVAL");
	close(s);

	s = socket(AF_INET, SOCK_STREAM, 0);
	b = in4("0.0.0.0", 0);
	b.sin_family = AF_UNSPEC;
	CHECK(bind(s, SA(b), sizeof b) == 0 && named(s, 0, "0.0.0.0", -1),
	      "AF_UNSPEC with 0.0.0.0 binds the wildcard");
	close(s);

	/* Who may share a port. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(bind(s, SA(a), sizeof a) == 0, "bind 127.0.0.1:0");
	int p = port_of(s);
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", p, 0) == EADDRINUSE,
	      "the same address and port: EADDRINUSE");
	CHECK(try_addr(AF_INET, SOCK_STREAM, "0.0.0.0", p, 0) == EADDRINUSE,
	      "the wildcard on that port: EADDRINUSE");
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.2", p, 0) == 0,
	      "127.0.0.2 on that port: free");
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", p, TRY_REUSE) == EADDRINUSE,
	      "SO_REUSEADDR on one side only: EADDRINUSE");
	t = socket(AF_INET, SOCK_STREAM, 0);
	setint(t, SOL_SOCKET, SO_REUSEADDR, 1);
	b = in4("127.0.0.1", p);
	setint(s, SOL_SOCKET, SO_REUSEADDR, 1);
	CHECK(bind(t, SA(b), sizeof b) == 0, "SO_REUSEADDR on both, neither listening: shared");
	CHECK(listen(s, 1) == 0, "the first listens");
	CHECK(ERR(listen(t, 1), EADDRINUSE), "the second may not listen too: EADDRINUSE");
	close(t);
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", p, TRY_REUSE) == EADDRINUSE,
	      "a listener's port, even with SO_REUSEADDR: EADDRINUSE");
	CHECK(try_addr(AF_INET6, SOCK_STREAM, "::", p, 0) == EADDRINUSE,
	      "dual-stack [::] on that port: EADDRINUSE");
	CHECK(try_addr(AF_INET6, SOCK_STREAM, "::", p, TRY_V6ONLY) == 0,
	      "IPV6_V6ONLY [::] on that port: free");
	CHECK(try_addr(AF_INET6, SOCK_STREAM, "::ffff:127.0.0.1", p, 0) == EADDRINUSE,
	      "[::ffff:127.0.0.1] there: EADDRINUSE");
	CHECK(try_addr(AF_INET6, SOCK_STREAM, "::1", p, 0) == 0, "[::1] there: free");
	CHECK(try_addr(AF_INET, SOCK_DGRAM, "127.0.0.1", p, 0) == 0, "UDP on the TCP port: free");
	close(s);
	t = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 w = in6("::", 0);
	CHECK(bind(t, SA(w), sizeof w) == 0 && ERR(setint(t, IPPROTO_IPV6, IPV6_V6ONLY, 1), EINVAL),
	      "IPV6_V6ONLY after bind: EINVAL");
	close(t);

	/* IPv6 addresses. */
	s = socket(AF_INET6, SOCK_STREAM, 0);
	CHECK(name_of(s, 0, ip, &l) == 0 && l == sizeof(struct sockaddr_in6) && !strcmp(ip, "::"),
	      "unbound AF_INET6: [::] port 0, 28 bytes");
	CHECK(intopt(s, IPPROTO_IPV6, IPV6_V6ONLY) == 0, "IPV6_V6ONLY is off by default");
	w = in6("::", 0);
	CHECK(ERR(bind(s, SA(w), 23), EINVAL), "bind with 23 bytes: EINVAL");
	CHECK(ERR(bind(s, SA(a), sizeof a), EINVAL), "a sockaddr_in on AF_INET6: EINVAL");
	w.sin6_family = AF_INET;
	CHECK(ERR(bind(s, SA(w), sizeof w), EAFNOSUPPORT),
	      "family AF_INET in 28 bytes: EAFNOSUPPORT");
	CHECK(machine(try_addr(AF_INET6, SOCK_STREAM, "2001:db8::1", 0, 0), EADDRNOTAVAIL),
	      "bind 2001:db8::1: EADDRNOTAVAIL");
	CHECK(try_addr(AF_INET6, SOCK_STREAM, "fe80::1", 0, 0) == EINVAL,
	      "link-local without a scope: EINVAL");
	CHECK(try_addr(AF_INET6, SOCK_STREAM, "ff02::1", 0, 0) == EINVAL,
	      "multicast on a stream socket: EINVAL");
	CHECK(machine(try_addr(AF_INET6, SOCK_STREAM, "::ffff:10.0.0.1", 0, 0), EADDRNOTAVAIL),
	      "bind ::ffff:10.0.0.1: EADDRNOTAVAIL");
	w = in6("::", 0);
	CHECK(bind(s, SA(w), 24) == 0 && named(s, 0, "::", -1) && ephemeral(port_of(s)),
	      "bind [::]:0 with 24 bytes (no scope id)");
	close(s);
	CHECK(try_addr(AF_INET6, SOCK_DGRAM, "::ffff:127.0.0.1", 0, TRY_V6ONLY) == EINVAL,
	      "IPV6_V6ONLY binding an IPv4 address: EINVAL");
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	w = in6("::ffff:0.0.0.0", 0);
	CHECK(bind(s, SA(w), sizeof w) == 0 && named(s, 0, "::ffff:0.0.0.0", -1),
	      "[::ffff:0.0.0.0] binds the IPv4 wildcard");
	close(s);
}

/* A client whose connect may have to wait (natively the SYN is dropped
 * while the accept queue is full). */
static void *late_send(void *arg)
{
	int fd = (int)(intptr_t)arg;
	usleep(100000);
	return (void *)(intptr_t)(send(fd, "ld", 2, 0) == 2);
}

static void tcp_names_and_io(void)
{
	int p, c, x;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char ip[64], b[64];
	socklen_t l;

	CHECK(listen(s, 4) == 0 && named(s, 0, "0.0.0.0", -1) && ephemeral(port_of(s)),
	      "listen unbound: an ephemeral port on 0.0.0.0");
	p = port_of(s);
	CHECK(ready(s) == 0, "listener with nothing pending: no events");
	CHECK(ERR(recv(s, b, 1, 0), ENOTCONN), "recv on a listener: ENOTCONN");
	struct sockaddr_in a = in4("127.0.0.1", p);
	CHECK(ERR(connect(s, SA(a), sizeof a), EISCONN), "connect on a listener: EISCONN");
	CHECK(intopt(s, SOL_SOCKET, SO_ACCEPTCONN) == 1, "SO_ACCEPTCONN 1");
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, SA(a), sizeof a) == 0, "connect to 127.0.0.1");
	CHECK(ready(s) == (POLLIN), "listener with a connection pending: POLLIN");
	int cp = name_of(c, 0, ip, &l);
	CHECK(!strcmp(ip, "127.0.0.1") && ephemeral(cp) && cp != p && l == 16,
	      "client: 127.0.0.1 and an ephemeral port of its own");
	CHECK(named(c, 1, "127.0.0.1", p), "client's peer: the listener's port");
	struct sockaddr_in pa;
	l = sizeof pa;
	memset(&pa, 0, sizeof pa);
	x = accept(s, SA(pa), &l);
	CHECK(x >= 0 && l == 16 && pa.sin_family == AF_INET && ntohs(pa.sin_port) == cp &&
	          pa.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "accept: the client's address and port");
	CHECK(named(x, 0, "127.0.0.1", p) && named(x, 1, "127.0.0.1", cp),
	      "accepted socket: the listener's port, the client as peer");
	l = 4;
	CHECK(getsockname(x, SA(pa), &l) == 0 && l == 16, "a short buffer: the full length back");
	CHECK(ERR(connect(c, SA(a), sizeof a), EISCONN), "connect again: EISCONN");
	CHECK(ERR(bind(c, SA(a), sizeof a), EINVAL), "bind a connected socket: EINVAL");
	CHECK(ERR(listen(c, 1), EINVAL), "listen on a connected socket: EINVAL");
	CHECK(ready(c) == POLLOUT, "connected, nothing to read: POLLOUT");

	/* Every way through. */
	CHECK(write(c, "abc", 3) == 3 && read(x, b, sizeof b) == 3 && !memcmp(b, "abc", 3),
	      "write / read");
	CHECK(send(x, "defg", 4, 0) == 4 && ready(c) == (POLLIN | POLLOUT),
	      "POLLIN once data came");
	int n = -1;
	CHECK(ioctl(c, FIONREAD, &n) == 0 && n == 4, "FIONREAD: 4");
	CHECK(recv(c, b, sizeof b, MSG_PEEK) == 4 && !memcmp(b, "defg", 4), "MSG_PEEK sees 4");
	CHECK(recv(c, b, 2, 0) == 2 && recv(c, b + 2, sizeof b, 0) == 2 && !memcmp(b, "defg", 4),
	      "recv takes them in two parts");
	CHECK(ERR(recv(c, b, sizeof b, MSG_DONTWAIT), EAGAIN),
	      "MSG_DONTWAIT, nothing there: EAGAIN");
	struct sockaddr_in other = in4("127.0.0.1", 9);
	CHECK(sendto(c, "hij", 3, 0, SA(other), sizeof other) == 3,
	      "sendto with an address on a connected socket: the address is ignored");
	struct sockaddr_storage ss;
	l = sizeof ss;
	CHECK(recvfrom(x, b, sizeof b, 0, SA(ss), &l) == 3 && l == 0 && !memcmp(b, "hij", 3),
	      "recvfrom on TCP: no address (length 0)");
	struct iovec iov[2] = {{(void *)"kl", 2}, {(void *)"mno", 3}};
	CHECK(writev(x, iov, 2) == 5, "writev");
	char r1[3], r2[8];
	struct iovec riov[2] = {{r1, 3}, {r2, 8}};
	CHECK(readv(c, riov, 2) == 5 && !memcmp(r1, "klm", 3) && !memcmp(r2, "no", 2), "readv");
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	CHECK(sendmsg(c, &m, MSG_NOSIGNAL) == 5, "sendmsg");
	memset(&m, 0, sizeof m);
	m.msg_iov = riov;
	m.msg_iovlen = 2;
	CHECK(recvmsg(x, &m, 0) == 5 && m.msg_flags == 0 && !memcmp(r1, "klm", 3), "recvmsg");
	pthread_t th;
	pthread_create(&th, NULL, late_send, (void *)(intptr_t)x);
	CHECK(send(x, "wa", 2, 0) == 2 && recv(c, b, 4, MSG_WAITALL) == 4 && !memcmp(b, "wald", 4),
	      "MSG_WAITALL waits for all four bytes");
	void *ok;
	pthread_join(th, &ok);
	CHECK(ok != NULL, "the late sender sent");
	struct timeval tv = {0, 200000};
	CHECK(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "SO_RCVTIMEO 0.2 s");
	double t0 = now();
	CHECK(ERR(recv(c, b, sizeof b, 0), EAGAIN) && now() - t0 > 0.15,
	      "recv with nothing: EAGAIN after the timeout");
	CHECK(ERR(read(c, b, sizeof b), EAGAIN), "read too");
	CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
	          ERR(accept(s, NULL, NULL), EAGAIN),
	      "accept with SO_RCVTIMEO, nobody connecting: EAGAIN");
	tv.tv_usec = 0;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

	/* Shutdown, each side. */
	CHECK(shutdown(x, SHUT_WR) == 0, "server: shutdown(SHUT_WR)");
	CHECK(ready(c) == (POLLIN | POLLOUT | POLLRDHUP), "client: POLLIN, POLLOUT, POLLRDHUP");
	CHECK(ready(x) == POLLOUT, "server: POLLOUT only");
	CHECK(read(c, b, sizeof b) == 0, "client reads end of file");
	CHECK(send(c, "pq", 2, 0) == 2 && recv(x, b, sizeof b, 0) == 2,
	      "client still sends, server still receives");
	sigpipes = 0;
	CHECK(ERR(send(x, "z", 1, 0), EPIPE) && sigpipes == 1,
	      "server writes after SHUT_WR: EPIPE, SIGPIPE");
	CHECK(shutdown(c, SHUT_WR) == 0, "client: shutdown(SHUT_WR)");
	CHECK(ready(c) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP) &&
	          ready(x) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP),
	      "both shut down: POLLHUP on both");
	CHECK(read(x, b, sizeof b) == 0, "server reads end of file");
	CHECK(ERR(shutdown(c, SHUT_RD), ENOTCONN), "the connection is over: shutdown ENOTCONN");
	CHECK(ERR(getpeername(c, SA(ss), &l), ENOTCONN), "and getpeername ENOTCONN");
	CHECK(ERR(shutdown(c, 3), EINVAL) && ERR(shutdown(c, -1), EINVAL),
	      "shutdown how 3, -1: EINVAL");
	close(c);
	close(x);

	/* SHUT_RD: data still comes and is read. */
	x = tcp_pair(s, p, &c);
	CHECK(shutdown(x, SHUT_RD) == 0 && send(c, "rd", 2, 0) == 2,
	      "SHUT_RD, then the peer sends");
	CHECK(ready(x) == (POLLIN | POLLOUT | POLLRDHUP), "POLLIN, POLLOUT, POLLRDHUP");
	CHECK(recv(x, b, sizeof b, 0) == 2 && recv(x, b, sizeof b, 0) == 0,
	      "the data, then end of file");
	close(c);
	close(x);

	/* Connect to 0.0.0.0 and to another loopback address. */
	c = connect_to("0.0.0.0", p, 0);
	x = accept(s, NULL, NULL);
	CHECK(c >= 0 && named(c, 1, "127.0.0.1", p) && named(c, 0, "127.0.0.1", -1),
	      "connect to 0.0.0.0 reaches 127.0.0.1");
	close(c);
	close(x);
	c = connect_to("127.0.0.2", p, 0);
	x = accept(s, NULL, NULL);
	CHECK(c >= 0 && named(c, 0, "127.0.0.1", -1) && named(x, 0, "127.0.0.2", p),
	      "connect to 127.0.0.2: from 127.0.0.1, accepted as 127.0.0.2");
	close(c);
	close(x);
	close(s);
}

static void tcp_closing(void)
{
	int p, c, x;
	int s = listener(&p, 8);
	char b[16];

	/* The peer closes: end of file, the first write "succeeds" (the
	 * reset comes back), the next gets EPIPE. */
	x = tcp_pair(s, p, &c);
	close(x);
	CHECK(ready(c) == (POLLIN | POLLOUT | POLLRDHUP),
	      "peer closed: POLLIN, POLLOUT, POLLRDHUP");
	CHECK(named(c, 1, "127.0.0.1", p), "getpeername still names it");
	CHECK(read(c, b, sizeof b) == 0, "end of file");
	sigpipes = 0;
	CHECK(send(c, "a", 1, 0) == 1, "the first write after the peer closed succeeds");
	CHECK(ready(c) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP | POLLERR),
	      "then POLLHUP and POLLERR (a reset came)");
	CHECK(intopt(c, SOL_SOCKET, SO_ERROR) == EPIPE, "SO_ERROR: EPIPE");
	CHECK(ERR(send(c, "a", 1, 0), EPIPE) && sigpipes == 1, "the next write: EPIPE and SIGPIPE");
	CHECK(ERR(send(c, "a", 1, MSG_NOSIGNAL), EPIPE) && sigpipes == 1,
	      "MSG_NOSIGNAL: EPIPE without SIGPIPE");
	CHECK(read(c, b, sizeof b) == 0, "reads still give end of file");
	close(c);

	/* The peer closes with data unread: a reset. */
	x = tcp_pair(s, p, &c);
	CHECK(send(c, "unread", 6, 0) == 6 && send(x, "yy", 2, 0) == 2, "data both ways");
	close(x);
	CHECK(ready(c) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP | POLLERR),
	      "peer closed with data unread: POLLHUP, POLLERR");
	CHECK(recv(c, b, sizeof b, 0) == 2, "what came before the reset is read first");
	CHECK(ERR(recv(c, b, sizeof b, 0), ECONNRESET), "then ECONNRESET");
	CHECK(recv(c, b, sizeof b, 0) == 0, "then end of file");
	CHECK(ERR(send(c, "a", 1, MSG_NOSIGNAL), EPIPE), "writes: EPIPE");
	CHECK(ERR(getpeername(c, SA(b), &(socklen_t){16}), ENOTCONN), "getpeername: ENOTCONN");
	close(c);

	/* A reset, then a write first. */
	x = tcp_pair(s, p, &c);
	send(c, "zz", 2, 0);
	close(x);
	CHECK(ERR(send(c, "a", 1, MSG_NOSIGNAL), ECONNRESET), "a write after a reset: ECONNRESET");
	CHECK(ERR(send(c, "a", 1, MSG_NOSIGNAL), EPIPE), "then EPIPE");
	close(c);

	/* SO_LINGER with 0 s: close resets. */
	x = tcp_pair(s, p, &c);
	struct linger lg = {1, 0};
	CHECK(setsockopt(x, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0, "SO_LINGER {1, 0}");
	close(x);
	CHECK(ERR(recv(c, b, sizeof b, 0), ECONNRESET), "close resets: ECONNRESET");
	close(c);

	/* The client goes before it is accepted. */
	c = connect_to("127.0.0.1", p, 0);
	close(c);
	x = accept(s, NULL, NULL);
	CHECK(x >= 0 && ready(x) == (POLLIN | POLLOUT | POLLRDHUP) && read(x, b, sizeof b) == 0,
	      "a connection closed before accept: end of file");
	close(x);

	/* The listener goes with a connection pending. */
	c = connect_to("127.0.0.1", p, 0);
	close(s);
	CHECK(ready(c) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP | POLLERR),
	      "listener closed with the connection pending: POLLHUP, POLLERR");
	CHECK(ERR(recv(c, b, sizeof b, 0), ECONNRESET) && recv(c, b, sizeof b, 0) == 0,
	      "ECONNRESET, then end of file");
	close(c);

	/* Refused. */
	struct sockaddr_in a = in4("127.0.0.1", p);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(ERR(connect(c, SA(a), sizeof a), ECONNREFUSED), "nobody listens: ECONNREFUSED");
	CHECK(ready(c) == (POLLOUT | POLLHUP), "then POLLOUT, POLLHUP");
	CHECK(named(c, 0, "0.0.0.0", -1) && ephemeral(port_of(c)),
	      "the port it took stays, the address goes");
	CHECK(ERR(connect(c, SA(a), sizeof a), ECONNREFUSED), "again: ECONNREFUSED");
	close(c);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(ERR(connect(c, SA(a), sizeof a), EINPROGRESS), "non-blocking: EINPROGRESS");
	CHECK(ready(c) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP | POLLERR),
	      "then POLLERR and POLLHUP");
	CHECK(ERR(connect(c, SA(a), sizeof a), ECONNREFUSED), "connect again: ECONNREFUSED");
	CHECK(ERR(connect(c, SA(a), sizeof a), EINPROGRESS), "and again: a new attempt");
	CHECK(intopt(c, SOL_SOCKET, SO_ERROR) == ECONNREFUSED, "SO_ERROR: ECONNREFUSED");
	CHECK(intopt(c, SOL_SOCKET, SO_ERROR) == 0, "read once");
	CHECK(ERR(connect(c, SA(a), sizeof a), ECONNABORTED), "connect after that: ECONNABORTED");
	close(c);

	/* Unreachable. */
	struct sockaddr_in far = in4("10.1.2.3", 80);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	CHECK(machine(connect(c, SA(far), sizeof far) < 0 ? errno : 0, ENETUNREACH),
	      "connect to 10.1.2.3 (no route): ENETUNREACH");
	CHECK(machine(port_of(c), 0), "and no port taken");
	close(c);
	far = in4("255.255.255.255", 80);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(ERR(connect(c, SA(far), sizeof far), ENETUNREACH),
	      "connect to broadcast: ENETUNREACH");
	CHECK(ERR(connect(c, SA(far), 15), EINVAL), "connect with 15 bytes: EINVAL");
	struct sockaddr_in6 w = in6("::1", p);
	CHECK(ERR(connect(c, SA(w), sizeof w), EAFNOSUPPORT), "a sockaddr_in6: EAFNOSUPPORT");
	close(c);
	c = socket(AF_INET, SOCK_STREAM, 0);
	sigpipes = 0;
	CHECK(ERR(send(c, "x", 1, 0), EPIPE) && sigpipes == 1,
	      "send unconnected: EPIPE and SIGPIPE");
	CHECK(ERR(recv(c, b, 1, 0), ENOTCONN), "recv unconnected: ENOTCONN");
	CHECK(ERR(sendto(c, "x", 1, MSG_NOSIGNAL, SA(a), sizeof a), EPIPE),
	      "sendto unconnected: EPIPE (TCP ignores the address)");
	CHECK(ERR(shutdown(c, SHUT_RDWR), ENOTCONN), "shutdown unconnected: ENOTCONN");
	CHECK(ready(c) == (POLLIN | POLLOUT | POLLHUP | POLLRDHUP), "yet it is shut down");
	close(c);
}

static void tcp_nonblocking(void)
{
	int p, c, x;
	int s = listener(&p, 8);
	struct sockaddr_in a = in4("127.0.0.1", p);
	char b[8];

	CHECK(fcntl(s, F_SETFL, O_NONBLOCK) == 0 && ERR(accept(s, NULL, NULL), EAGAIN),
	      "non-blocking accept, nothing pending: EAGAIN");
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(ERR(connect(c, SA(a), sizeof a), EINPROGRESS), "non-blocking connect: EINPROGRESS");
	CHECK(ready(c) == POLLOUT, "then POLLOUT (connected)");
	CHECK(intopt(c, SOL_SOCKET, SO_ERROR) == 0, "SO_ERROR: 0");
	CHECK(named(c, 1, "127.0.0.1", p), "getpeername names the listener");
	CHECK(connect(c, SA(a), sizeof a) == 0, "connect again: 0");
	CHECK(ERR(connect(c, SA(a), sizeof a), EISCONN), "and again: EISCONN");
	x = accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(x >= 0 && (fcntl(x, F_GETFL) & O_NONBLOCK) && fcntl(x, F_GETFD) == FD_CLOEXEC,
	      "accept4 SOCK_NONBLOCK | SOCK_CLOEXEC");
	CHECK(ERR(read(x, b, sizeof b), EAGAIN), "non-blocking read: EAGAIN");
	CHECK(ERR(syscall(SYS_accept4, s, NULL, NULL, 0x10), EINVAL), "accept4 bad flags: EINVAL");
	/* Fill the peer: EAGAIN, and POLLOUT goes. */
	static char big[65536];
	long total = 0, r;
	while ((r = send(c, big, sizeof big, 0)) > 0)
		total += r;
	CHECK(r < 0 && errno == EAGAIN && total > 0, "filling the connection: EAGAIN");
	CHECK(!(ready(c) & POLLOUT), "no POLLOUT while full");
	while ((r = read(x, big, sizeof big)) > 0)
		total -= r;
	CHECK(total == 0 && (ready(c) & POLLOUT), "all read back, POLLOUT again");
	close(c);
	close(x);

	/* epoll on a listener and a connection. */
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1}, out[4];
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "epoll: listener idle");
	c = connect_to("127.0.0.1", p, 0);
	CHECK(epoll_wait(ep, out, 4, 100) == 1 && out[0].data.u32 == 1, "epoll: listener readable");
	x = accept(s, NULL, NULL);
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u32 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, x, &ev);
	CHECK(epoll_wait(ep, out, 4, 0) == 1 && out[0].events == EPOLLOUT,
	      "epoll, edge-triggered: EPOLLOUT");
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "no new edge");
	send(c, "e", 1, 0);
	CHECK(epoll_wait(ep, out, 4, 100) == 1 && (out[0].events & EPOLLIN), "data: EPOLLIN");
	shutdown(c, SHUT_WR);
	CHECK(epoll_wait(ep, out, 4, 100) == 1 && (out[0].events & EPOLLRDHUP),
	      "peer's SHUT_WR: EPOLLRDHUP");
	close(ep);
	close(c);
	close(x);

	/* shutdown(SHUT_RD) stops a listener. */
	c = connect_to("127.0.0.1", p, 0);
	CHECK(shutdown(s, SHUT_WR) == 0 && intopt(s, SOL_SOCKET, SO_ACCEPTCONN) == 1,
	      "listener SHUT_WR: nothing happens");
	CHECK(shutdown(s, SHUT_RD) == 0 && intopt(s, SOL_SOCKET, SO_ACCEPTCONN) == 0,
	      "listener SHUT_RD: it stops listening");
	CHECK(ERR(recv(c, b, 1, 0), ECONNRESET), "its pending connection: ECONNRESET");
	CHECK(ready(s) == (POLLOUT | POLLHUP) && ERR(accept(s, NULL, NULL), EINVAL),
	      "POLLOUT, POLLHUP; accept EINVAL");
	close(c);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(ERR(connect(c, SA(a), sizeof a), ECONNREFUSED), "connect: ECONNREFUSED");
	close(c);
	CHECK(listen(s, 4) == 0 && named(s, 0, "127.0.0.1", -1) && ephemeral(port_of(s)),
	      "listen again (an automatic port went when it stopped: another)");
	close(s);
}

/* Rebinding a server's port after it closed. */
static void tcp_restart(void)
{
	int p, c, x, t;
	int s = listener(&p, 4);
	struct sockaddr_in a = in4("127.0.0.1", p);
	char b[4];

	/* The client closes first: the server's port is free at once. */
	x = tcp_pair(s, p, &c);
	close(c);
	CHECK(read(x, b, sizeof b) == 0, "client closed first");
	close(x);
	close(s);
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", p, 0) == 0,
	      "the server's port binds again at once");

	/* The server closes first: its side lingers in TIME_WAIT. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	setint(s, SOL_SOCKET, SO_REUSEADDR, 1);
	CHECK(bind(s, SA(a), sizeof a) == 0 && listen(s, 4) == 0, "a server with SO_REUSEADDR");
	x = tcp_pair(s, p, &c);
	close(x);
	CHECK(read(c, b, sizeof b) == 0, "server closed first");
	close(c);
	close(s);
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", p, 0) == EADDRINUSE,
	      "TIME_WAIT: bind without SO_REUSEADDR fails");
	t = socket(AF_INET, SOCK_STREAM, 0);
	setint(t, SOL_SOCKET, SO_REUSEADDR, 1);
	CHECK(bind(t, SA(a), sizeof a) == 0 && listen(t, 4) == 0,
	      "with SO_REUSEADDR the restarted server binds and listens");
	/* A connection still open keeps the port. */
	x = tcp_pair(t, p, &c);
	close(t);
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", p, TRY_REUSE) == 0,
	      "listener gone, connection open: SO_REUSEADDR binds");
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", p, 0) == EADDRINUSE,
	      "without it: EADDRINUSE");
	CHECK(try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", port_of(c), 0) == EADDRINUSE,
	      "the client's port is taken too");
	close(c);
	close(x);
}

/* A threaded echo server and several client threads. */
struct echo_arg {
	int port, id, ok;
};

static void *echo_server(void *arg)
{
	int s = *(int *)arg, served = 0;
	char b[256];
	for (int i = 0; i < 4; i++) {
		int x = accept(s, NULL, NULL);
		ssize_t n, all = 0;
		while ((n = read(x, b, sizeof b)) > 0) {
			if (write(x, b, (size_t)n) != n)
				break;
			all += n;
		}
		served += all == 3000;
		close(x);
	}
	return (void *)(intptr_t)served;
}

static void *echo_client(void *arg)
{
	struct echo_arg *e = arg;
	int c = connect_to("127.0.0.1", e->port, 0);
	char out[3000], in[3000];
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (char)(e->id * 7 + i);
	size_t got = 0;
	e->ok = c >= 0 && write(c, out, sizeof out) == (ssize_t)sizeof out;
	shutdown(c, SHUT_WR);
	ssize_t n;
	while (e->ok && (n = read(c, in + got, sizeof in - got)) > 0)
		got += (size_t)n;
	e->ok = e->ok && got == sizeof in && !memcmp(in, out, sizeof in);
	close(c);
	return NULL;
}

static void tcp_threads(void)
{
	int p, s = listener(&p, 16);
	pthread_t srv, cl[4];
	struct echo_arg args[4];
	pthread_create(&srv, NULL, echo_server, &s);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct echo_arg){p, i, 0};
		pthread_create(&cl[i], NULL, echo_client, &args[i]);
	}
	int all = 1;
	for (int i = 0; i < 4; i++) {
		pthread_join(cl[i], NULL);
		all &= args[i].ok;
	}
	void *served;
	pthread_join(srv, &served);
	CHECK(all && (intptr_t)served == 4, "four client threads echoed 3000 bytes each");
	close(s);
}

static void tcp_v6(void)
{
	int s = socket(AF_INET6, SOCK_STREAM, 0), c, x;
	struct sockaddr_in6 w = in6("::", 0);
	char b[4];
	CHECK(bind(s, SA(w), sizeof w) == 0 && listen(s, 8) == 0, "AF_INET6 listener on [::]");
	int p = port_of(s);
	c = connect_to("127.0.0.1", p, 0);
	x = accept(s, NULL, NULL);
	socklen_t l;
	char ip[64];
	CHECK(c >= 0 && named(x, 0, "::ffff:127.0.0.1", p) && name_of(x, 1, ip, &l) == port_of(c) &&
	          !strcmp(ip, "::ffff:127.0.0.1") && l == 28,
	      "an IPv4 client: ::ffff:127.0.0.1 on both sides");
	CHECK(write(c, "v4", 2) == 2 && read(x, b, sizeof b) == 2, "data flows");
	close(c);
	close(x);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	w = in6("::1", p);
	CHECK(connect(c, SA(w), sizeof w) == 0 && named(c, 0, "::1", -1) && ephemeral(port_of(c)),
	      "an IPv6 client from [::1]");
	x = accept(s, NULL, NULL);
	CHECK(named(x, 1, "::1", port_of(c)), "accepted: its peer is [::1]");
	close(c);
	close(x);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	w = in6("::ffff:127.0.0.1", p);
	CHECK(connect(c, SA(w), sizeof w) == 0 && named(c, 0, "::ffff:127.0.0.1", -1),
	      "an AF_INET6 client to ::ffff:127.0.0.1");
	close(accept(s, NULL, NULL));
	close(c);
	CHECK(try_addr(AF_INET6, SOCK_STREAM, "::ffff:127.0.0.1", p, TRY_V6ONLY | TRY_CONNECT) ==
	          ENETUNREACH,
	      "IPV6_V6ONLY to an IPv4 address: ENETUNREACH");
	c = socket(AF_INET6, SOCK_STREAM, 0);
	w = in6("::", p);
	CHECK(connect(c, SA(w), sizeof w) == 0 && named(c, 1, "::1", p),
	      "connect to [::] reaches [::1]");
	close(accept(s, NULL, NULL));
	close(c);
	CHECK(
	    machine(try_addr(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, "2001:db8::1", p, TRY_CONNECT),
	            ENETUNREACH),
	    "connect to 2001:db8::1: ENETUNREACH");
	CHECK(try_addr(AF_INET6, SOCK_STREAM, "127.0.0.1", p, TRY_CONNECT) == EINVAL,
	      "a sockaddr_in on AF_INET6: EINVAL");
	close(s);

	s = socket(AF_INET6, SOCK_STREAM, 0);
	setint(s, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	w = in6("::", 0);
	CHECK(bind(s, SA(w), sizeof w) == 0 && listen(s, 4) == 0 &&
	          try_addr(AF_INET, SOCK_STREAM, "127.0.0.1", port_of(s), TRY_CONNECT) ==
	              ECONNREFUSED,
	      "an IPV6_V6ONLY listener refuses IPv4: ECONNREFUSED");
	close(s);
}

static int udp_bound(const char *ip, int *port)
{
	struct sockaddr_in a = in4(ip, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(u, SA(a), sizeof a) < 0)
		return -1;
	*port = port_of(u);
	return u;
}

/* recvfrom: the length, and whether the source is ip:port. */
static long recv_from(int fd, char *b, size_t len, int flags, const char *ip, int port, int *src)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	char got[64] = "-";
	memset(&ss, 0, sizeof ss);
	long n = recvfrom(fd, b, len, flags, SA(ss), &l);
	int p = -1;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, got, sizeof got);
		p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, got, sizeof got);
		p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	*src =
	    n >= 0 && !strcmp(got, ip) && p == port && l == (ss.ss_family == AF_INET ? 16u : 28u);
	return n;
}

static void udp(void)
{
	int p = 0, q, src, u = socket(AF_INET, SOCK_DGRAM, 0);
	char b[70000];
	memset(b, 'u', sizeof b);

	CHECK(ready(u) == POLLOUT, "fresh UDP socket: POLLOUT");
	CHECK(ERR(send(u, "x", 1, 0), EDESTADDRREQ), "send with no address: EDESTADDRREQ");
	CHECK(ephemeral(port_of(u)) && named(u, 0, "0.0.0.0", -1), "... and it took a port");
	CHECK(ERR(recv(u, b, 1, MSG_DONTWAIT), EAGAIN), "nothing to read: EAGAIN");
	CHECK(ERR(getpeername(u, SA(b), &(socklen_t){16}), ENOTCONN), "getpeername: ENOTCONN");
	CHECK(ERR(listen(u, 1), EOPNOTSUPP) && ERR(accept(u, NULL, NULL), EOPNOTSUPP),
	      "listen, accept: EOPNOTSUPP");
	close(u);

	int r = udp_bound("127.0.0.1", &p);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = in4("127.0.0.1", p);
	CHECK(sendto(u, "hello", 5, 0, SA(to), sizeof to) == 5, "sendto from an unbound socket");
	q = port_of(u);
	CHECK(ephemeral(q) && named(u, 0, "0.0.0.0", -1), "it was bound to an ephemeral port");
	CHECK(sendto(u, "", 0, 0, SA(to), sizeof to) == 0 &&
	          sendto(u, "wor", 3, 0, SA(to), 16) == 3,
	      "a zero-length datagram and another");
	CHECK(ready(r) == (POLLIN | POLLOUT), "receiver: POLLIN, POLLOUT");
	int n = -1;
	CHECK(ioctl(r, FIONREAD, &n) == 0 && n == 5, "FIONREAD: the next datagram's 5 bytes");
	CHECK(recv(r, b, sizeof b, MSG_PEEK) == 5, "MSG_PEEK: 5");
	CHECK(recv_from(r, b, sizeof b, 0, "127.0.0.1", q, &src) == 5 && src &&
	          !memcmp(b, "hello", 5),
	      "recvfrom: 5 bytes from the sender's address and port");
	CHECK(ioctl(r, FIONREAD, &n) == 0 && n == 0 && recv(r, b, sizeof b, 0) == 0,
	      "the empty datagram: FIONREAD 0, recv 0");
	CHECK(recv(r, b, 2, MSG_TRUNC) == 3, "MSG_TRUNC: the whole length (3) though 2 were read");
	CHECK(sendto(u, "abcdef", 6, 0, SA(to), sizeof to) == 6, "a 6-byte datagram");
	struct iovec iov = {b, 4};
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	CHECK(recvmsg(r, &m, 0) == 4 && (m.msg_flags & MSG_TRUNC),
	      "recvmsg into 4 bytes: MSG_TRUNC");
	CHECK(ERR(recv(r, b, sizeof b, MSG_DONTWAIT), EAGAIN), "the rest is gone: EAGAIN");
	CHECK(sendto(u, b, 65507, 0, SA(to), sizeof to) == 65507 &&
	          recv(r, b, sizeof b, 0) == 65507,
	      "65507 bytes: the largest IPv4 datagram");
	CHECK(ERR(sendto(u, b, 65508, 0, SA(to), sizeof to), EMSGSIZE), "65508: EMSGSIZE");
	CHECK(ERR(sendto(u, b, 70000, 0, SA(to), sizeof to), EMSGSIZE), "70000: EMSGSIZE");
	struct sockaddr_in z = in4("127.0.0.1", 0);
	CHECK(ERR(sendto(u, "x", 1, 0, SA(z), sizeof z), EINVAL), "to port 0: EINVAL");
	CHECK(ERR(sendto(u, "x", 1, 0, SA(to), 15), EINVAL), "a 15-byte address: EINVAL");
	z = to;
	z.sin_family = 99;
	CHECK(ERR(sendto(u, "x", 1, 0, SA(z), sizeof z), EAFNOSUPPORT), "family 99: EAFNOSUPPORT");
	z.sin_family = AF_UNSPEC;
	CHECK(sendto(u, "un", 2, 0, SA(z), sizeof z) == 2 && recv(r, b, sizeof b, 0) == 2,
	      "AF_UNSPEC is taken as AF_INET");
	z = in4("10.1.2.3", 53);
	CHECK(machine(sendto(u, "x", 1, 0, SA(z), sizeof z) < 0 ? errno : 0, ENETUNREACH),
	      "to 10.1.2.3: ENETUNREACH");
	z = in4("127.0.0.1", 1);
	CHECK(sendto(u, "x", 1, 0, SA(z), sizeof z) == 1 && intopt(u, SOL_SOCKET, SO_ERROR) == 0,
	      "to a port nobody has: no error (not connected)");

	/* connect: a default peer and a filter. */
	int v = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(connect(v, SA(to), sizeof to) == 0, "connect a UDP socket");
	CHECK(named(v, 0, "127.0.0.1", -1) && ephemeral(port_of(v)) && named(v, 1, "127.0.0.1", p),
	      "its name: 127.0.0.1 and a port; its peer");
	CHECK(send(v, "dflt", 4, 0) == 4 &&
	          recv_from(r, b, sizeof b, 0, "127.0.0.1", port_of(v), &src) == 4 && src,
	      "send goes to the peer");
	struct sockaddr_in back = in4("127.0.0.1", port_of(v));
	CHECK(connect(r, SA(back), sizeof back) == 0, "the receiver connects back");
	CHECK(sendto(u, "no", 2, 0, SA(to), sizeof to) == 2 && send(v, "yes", 3, 0) == 3,
	      "a third socket and the peer both send");
	CHECK(recv(r, b, sizeof b, 0) == 3 && !memcmp(b, "yes", 3) &&
	          ERR(recv(r, b, sizeof b, MSG_DONTWAIT), EAGAIN),
	      "only the peer's datagram came");
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	CHECK(connect(r, &un, sizeof un) == 0 &&
	          ERR(getpeername(r, SA(b), &(socklen_t){16}), ENOTCONN),
	      "connect AF_UNSPEC: no peer");
	CHECK(named(r, 0, "127.0.0.1", 0), "the bound address stays, the automatic port goes");
	CHECK(ERR(connect(r, &un, 1), EINVAL), "a 1-byte address: EINVAL");
	CHECK(shutdown(v, SHUT_WR) == 0 && ERR(send(v, "x", 1, 0), EPIPE),
	      "connected: shutdown(SHUT_WR), then EPIPE (no SIGPIPE for UDP)");
	close(v);

	/* Connected to nobody: ECONNREFUSED comes with the next call. */
	v = socket(AF_INET, SOCK_DGRAM, 0);
	z = in4("127.0.0.1", 1);
	CHECK(connect(v, SA(z), sizeof z) == 0, "connect to a port nobody has");
	CHECK(send(v, "x", 1, 0) == 1, "the first send succeeds");
	CHECK(ready(v) == (POLLOUT | POLLERR), "then POLLERR");
	CHECK(ERR(send(v, "x", 1, 0), ECONNREFUSED), "the next send: ECONNREFUSED");
	CHECK(send(v, "x", 1, 0) == 1 && ERR(recv(v, b, 1, MSG_DONTWAIT), ECONNREFUSED),
	      "another send; recv: ECONNREFUSED");
	CHECK(ERR(recv(v, b, 1, MSG_DONTWAIT), EAGAIN), "then EAGAIN");
	CHECK(send(v, "x", 1, 0) == 1 && intopt(v, SOL_SOCKET, SO_ERROR) == ECONNREFUSED,
	      "SO_ERROR: ECONNREFUSED");
	CHECK(connect(v, &un, sizeof un) == 0 && named(v, 0, "0.0.0.0", 0),
	      "AF_UNSPEC: an automatic address and port go");
	close(v);
	v = socket(AF_INET, SOCK_DGRAM, 0);
	z = in4("10.1.2.3", 53);
	CHECK(machine(connect(v, SA(z), sizeof z) < 0 ? errno : 0, ENETUNREACH),
	      "connect to 10.1.2.3: ENETUNREACH");
	CHECK(ERR(connect(v, SA(z), 15), EINVAL) && ephemeral(port_of(v)),
	      "a 15-byte address: EINVAL (the port is taken first)");
	close(v);
	CHECK(ERR(shutdown(u, SHUT_RD), ENOTCONN), "shutdown unconnected: ENOTCONN");
	CHECK(ready(u) == (POLLIN | POLLOUT | POLLRDHUP) && recv(u, b, 1, 0) == 0,
	      "yet reads end: POLLIN, POLLRDHUP, recv 0");
	close(u);

	/* IPv6 receiving from IPv4 and IPv6. */
	int w6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 w = in6("::", 0);
	bind(w6, SA(w), sizeof w);
	int wp = port_of(w6);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	to = in4("127.0.0.1", wp);
	CHECK(sendto(u, "m", 1, 0, SA(to), sizeof to) == 1 &&
	          recv_from(w6, b, sizeof b, 0, "::ffff:127.0.0.1", port_of(u), &src) == 1 && src,
	      "AF_INET6 from IPv4: ::ffff:127.0.0.1");
	v = socket(AF_INET6, SOCK_DGRAM, 0);
	w = in6("::1", wp);
	CHECK(sendto(v, "n", 1, 0, SA(w), sizeof w) == 1 &&
	          recv_from(w6, b, sizeof b, 0, "::1", port_of(v), &src) == 1 && src,
	      "from IPv6: ::1");
	CHECK(sendto(v, "o", 1, 0, SA(to), sizeof to) == 1 &&
	          recv_from(w6, b, sizeof b, 0, "::ffff:127.0.0.1", port_of(v), &src) == 1 && src,
	      "an AF_INET6 socket sends to a sockaddr_in");
	CHECK(sendto(v, b, 65527, 0, SA(w), sizeof w) == 65527 && recv(w6, b, sizeof b, 0) == 65527,
	      "65527 bytes: the largest IPv6 datagram");
	CHECK(ERR(sendto(v, b, 65528, 0, SA(w), sizeof w), EMSGSIZE), "65528: EMSGSIZE");
	close(u);
	close(v);
	close(w6);
	close(r);

	/* SO_REUSEADDR on both: the last bound takes unicast. */
	int r1 = socket(AF_INET, SOCK_DGRAM, 0), r2 = socket(AF_INET, SOCK_DGRAM, 0);
	setint(r1, SOL_SOCKET, SO_REUSEADDR, 1);
	setint(r2, SOL_SOCKET, SO_REUSEADDR, 1);
	struct sockaddr_in a = in4("127.0.0.1", 0);
	bind(r1, SA(a), sizeof a);
	to = in4("127.0.0.1", port_of(r1));
	CHECK(bind(r2, SA(to), sizeof to) == 0, "UDP: SO_REUSEADDR on both shares the port");
	u = socket(AF_INET, SOCK_DGRAM, 0);
	sendto(u, "r", 1, 0, SA(to), sizeof to);
	CHECK(ERR(recv(r1, b, 1, MSG_DONTWAIT), EAGAIN) && recv(r2, b, 1, MSG_DONTWAIT) == 1,
	      "the last bound receives");
	close(u);
	close(r1);
	close(r2);
}

static void options(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int t6 = socket(AF_INET6, SOCK_STREAM, 0);
	socklen_t l;

	CHECK(intopt(t, SOL_SOCKET, SO_REUSEADDR) == 0 &&
	          setint(t, SOL_SOCKET, SO_REUSEADDR, 5) == 0 &&
	          intopt(t, SOL_SOCKET, SO_REUSEADDR) == 1,
	      "SO_REUSEADDR: 0, set 5, read 1");
	CHECK(setint(t, SOL_SOCKET, SO_REUSEPORT, 1) == 0 &&
	          intopt(t, SOL_SOCKET, SO_REUSEPORT) == 1,
	      "SO_REUSEPORT");
	CHECK(setint(t, SOL_SOCKET, SO_KEEPALIVE, 1) == 0 &&
	          intopt(t, SOL_SOCKET, SO_KEEPALIVE) == 1,
	      "SO_KEEPALIVE");
	CHECK(!strict || (intopt(t, SOL_SOCKET, SO_RCVBUF) == 131072 &&
	                  intopt(t, SOL_SOCKET, SO_SNDBUF) == 16384),
	      "TCP buffers: 131072 and 16384 (tcp_rmem, tcp_wmem)");
	CHECK(setint(t, SOL_SOCKET, SO_RCVBUF, 65536) == 0 &&
	          intopt(t, SOL_SOCKET, SO_RCVBUF) == 131072 &&
	          setint(u, SOL_SOCKET, SO_SNDBUF, 50000) == 0 &&
	          intopt(u, SOL_SOCKET, SO_SNDBUF) == 100000,
	      "SO_RCVBUF, SO_SNDBUF: doubled");
	CHECK(intopt(t, SOL_SOCKET, SO_ERROR) == 0 && intopt(t, SOL_SOCKET, SO_ACCEPTCONN) == 0,
	      "SO_ERROR 0, SO_ACCEPTCONN 0");
	struct linger lg = {1, 7}, lo;
	l = sizeof lo;
	CHECK(setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0 &&
	          getsockopt(t, SOL_SOCKET, SO_LINGER, &lo, &l) == 0 && l == 8 && lo.l_onoff == 1 &&
	          lo.l_linger == 7,
	      "SO_LINGER {1, 7}");
	CHECK(ERR(setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, 4), EINVAL),
	      "SO_LINGER in 4 bytes: EINVAL");
	struct timeval tv = {1, 500000}, tg;
	l = sizeof tg;
	CHECK(setsockopt(u, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 &&
	          getsockopt(u, SOL_SOCKET, SO_SNDTIMEO, &tg, &l) == 0 && l == sizeof tg &&
	          tg.tv_sec == 1 && tg.tv_usec == 500000,
	      "SO_SNDTIMEO 1.5 s");
	tv.tv_usec = 1000000;
	CHECK(ERR(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM),
	      "SO_RCVTIMEO with 1000000 us: EDOM");
	CHECK(ERR(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL), "in 8 bytes: EINVAL");
	CHECK(setint(t, IPPROTO_TCP, TCP_NODELAY, 1) == 0 &&
	          intopt(t, IPPROTO_TCP, TCP_NODELAY) == 1,
	      "TCP_NODELAY");
	CHECK(intopt(t, IPPROTO_TCP, TCP_KEEPIDLE) == 7200 &&
	          intopt(t, IPPROTO_TCP, TCP_KEEPCNT) == 9,
	      "TCP_KEEPIDLE 7200, TCP_KEEPCNT 9");
	CHECK(ERR(setint(t, IPPROTO_TCP, TCP_KEEPIDLE, 0), EINVAL), "TCP_KEEPIDLE 0: EINVAL");
	CHECK(intopt(t, IPPROTO_IP, IP_TTL) == 64 && setint(t, IPPROTO_IP, IP_TTL, 7) == 0 &&
	          intopt(t, IPPROTO_IP, IP_TTL) == 7 && setint(t, IPPROTO_IP, IP_TTL, -1) == 0 &&
	          intopt(t, IPPROTO_IP, IP_TTL) == 64,
	      "IP_TTL: 64, set 7, -1 restores 64");
	CHECK(ERR(setint(u, IPPROTO_IP, IP_TTL, 0), EINVAL) &&
	          ERR(setint(u, IPPROTO_IP, IP_TTL, 256), EINVAL),
	      "IP_TTL 0, 256: EINVAL");
	char c = 0;
	l = 1;
	CHECK(getsockopt(t, IPPROTO_IP, IP_TTL, &c, &l) == 0 && l == 1 && c == 64,
	      "IP_TTL into one byte");
	CHECK(setint(t6, IPPROTO_IPV6, IPV6_V6ONLY, 1) == 0 &&
	          intopt(t6, IPPROTO_IPV6, IPV6_V6ONLY) == 1,
	      "IPV6_V6ONLY");
	CHECK(ERR(setsockopt(t6, IPPROTO_IPV6, IPV6_V6ONLY, &c, 1), EINVAL),
	      "IPV6_V6ONLY in 1 byte: EINVAL");
	CHECK(setint(t6, IPPROTO_IP, IP_TTL, 9) == 0 && intopt(t6, IPPROTO_IP, IP_TTL) == 9,
	      "IP_TTL on AF_INET6");
	CHECK(ERR(setint(t, SOL_SOCKET, 999, 1), ENOPROTOOPT) &&
	          intopt(t, SOL_SOCKET, 999) == -ENOPROTOOPT - 100000,
	      "unknown SOL_SOCKET option: ENOPROTOOPT");
	CHECK(ERR(setint(t, IPPROTO_TCP, 999, 1), ENOPROTOOPT), "unknown TCP option: ENOPROTOOPT");
	CHECK(ERR(setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &c, 1), EINVAL),
	      "TCP_NODELAY in 1 byte: EINVAL");
	CHECK(intopt(t, IPPROTO_IPV6, IPV6_V6ONLY) == -EOPNOTSUPP - 100000 &&
	          ERR(setint(t, IPPROTO_IPV6, IPV6_V6ONLY, 1), ENOPROTOOPT),
	      "SOL_IPV6 on AF_INET: get EOPNOTSUPP, set ENOPROTOOPT");
	CHECK(intopt(u, IPPROTO_TCP, TCP_NODELAY) == -EOPNOTSUPP - 100000 &&
	          ERR(setint(u, IPPROTO_TCP, TCP_NODELAY, 1), ENOPROTOOPT),
	      "SOL_TCP on UDP: get EOPNOTSUPP, set ENOPROTOOPT");
	CHECK(intopt(t6, 99, 1) == -ENOPROTOOPT - 100000,
	      "an unknown level on AF_INET6: ENOPROTOOPT");
	struct {
		int pid, uid, gid;
	} cr;
	l = sizeof cr;
	CHECK(getsockopt(t, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 && cr.pid == 0 && cr.uid == -1,
	      "SO_PEERCRED: nobody");
	int n = -1;
	CHECK(ioctl(t, FIONREAD, &n) == 0 && n == 0, "FIONREAD on an unconnected TCP socket: 0");
	listen(t, 1);
	CHECK(ERR(ioctl(t, FIONREAD, &n), EINVAL), "FIONREAD on a listener: EINVAL");
	close(t);
	close(u);
	close(t6);
}

int main(void)
{
	struct utsname un;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	int isolated = isolate();
	strict = isolated || (uname(&un) == 0 && strstr(un.release, "persona"));
	creation();
	binding();
	tcp_names_and_io();
	tcp_closing();
	tcp_nonblocking();
	tcp_restart();
	tcp_threads();
	tcp_v6();
	udp();
	options();
	return check_done();
}
