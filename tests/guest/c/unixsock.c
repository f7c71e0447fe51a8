/*
 * AF_UNIX sockets made with socket(2): a stream server and clients across
 * fork and across threads, accept4 flags, nonblocking connect and accept,
 * path, abstract and automatic names, datagrams with addresses,
 * getsockname/getpeername, SO_PEERCRED and the other options, poll and
 * epoll on a listener, closing a listener with pending connections, and
 * the errors of each call.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char dir[64];

/* An address for name in the scratch directory; *len as bind wants it. */
static struct sockaddr_un path_addr(const char *name, socklen_t *len)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", dir, name);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1);
	return a;
}

static struct sockaddr_un abstract_addr(const char *name, socklen_t *len)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	memcpy(a.sun_path + 1, name, strlen(name));
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	return a;
}

#define ERR(call, e) ((call) < 0 && errno == (e))

static void *echo_client(void *arg)
{
	socklen_t l;
	struct sockaddr_un a = path_addr("srv", &l);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	char b[16];
	long ok = c >= 0 && connect(c, (struct sockaddr *)&a, l) == 0 &&
	          write(c, arg, strlen(arg)) == (ssize_t)strlen(arg) &&
	          read(c, b, sizeof b) == (ssize_t)strlen(arg) && !memcmp(b, arg, strlen(arg));
	close(c);
	return (void *)ok;
}

static void errors(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	socklen_t l;
	struct sockaddr_un a = path_addr("srv", &l);
	char b[4];

	/* (AF_INET works natively: the emulated-family case is checked with
	 * a family Linux no longer has.) */
	CHECK(ERR(socket(12 /* AF_DECnet */, SOCK_STREAM, 0), EAFNOSUPPORT),
	      "AF_DECnet: EAFNOSUPPORT");
	CHECK(ERR(socket(99, SOCK_STREAM, 0), EAFNOSUPPORT), "domain 99: EAFNOSUPPORT");
	CHECK(ERR(socket(AF_UNIX, 4, 0), ESOCKTNOSUPPORT), "SOCK_RDM: ESOCKTNOSUPPORT");
	CHECK(ERR(socket(AF_UNIX, SOCK_STREAM, 5), EPROTONOSUPPORT), "protocol 5: EPROTONOSUPPORT");
	CHECK(ERR(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL), "bad type flag: EINVAL");
	CHECK(ERR(bind(s, (struct sockaddr *)&a, 1), EINVAL), "bind with 1 byte: EINVAL");
	CHECK(ERR(bind(s, (struct sockaddr *)&a, 111), EINVAL), "bind with 111 bytes: EINVAL");
	CHECK(ERR(bind(s, (struct sockaddr *)&a, 200), EINVAL), "bind with 200 bytes: EINVAL");
	CHECK(ERR(bind(s, (struct sockaddr *)8, l), EFAULT), "bind from a bad pointer: EFAULT");
	a.sun_family = AF_INET;
	CHECK(ERR(bind(s, (struct sockaddr *)&a, l), EINVAL), "bind AF_INET family: EINVAL");
	a = path_addr("no/such", &l);
	CHECK(ERR(bind(s, (struct sockaddr *)&a, l), ENOENT), "bind in a missing dir: ENOENT");
	a = path_addr("file/x", &l);
	CHECK(ERR(bind(s, (struct sockaddr *)&a, l), ENOTDIR), "bind under a file: ENOTDIR");
	a = path_addr("file", &l);
	CHECK(ERR(bind(s, (struct sockaddr *)&a, l), EADDRINUSE), "bind on a file: EADDRINUSE");
	CHECK(ERR(connect(s, (struct sockaddr *)&a, l), ECONNREFUSED),
	      "connect to a file: ECONNREFUSED");
	a = path_addr("nothing", &l);
	CHECK(ERR(connect(s, (struct sockaddr *)&a, l), ENOENT), "connect to nothing: ENOENT");
	a = abstract_addr("persona-nobody", &l);
	CHECK(ERR(connect(s, (struct sockaddr *)&a, l), ECONNREFUSED),
	      "connect to a free abstract name: ECONNREFUSED");
	CHECK(ERR(listen(s, 1), EINVAL), "listen unbound: EINVAL");
	CHECK(ERR(accept(s, NULL, NULL), EINVAL), "accept not listening: EINVAL");
	CHECK(ERR(accept4(s, NULL, NULL, 0x10), EINVAL), "accept4 bad flags: EINVAL");
	CHECK(ERR(send(s, "x", 1, MSG_NOSIGNAL), ENOTCONN), "send unconnected: ENOTCONN");
	CHECK(ERR(recv(s, b, 1, 0), EINVAL), "stream recv unconnected: EINVAL");
	CHECK(ERR(sendto(s, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, l), EOPNOTSUPP),
	      "stream sendto unconnected: EOPNOTSUPP");
	CHECK(ERR(getpeername(s, (struct sockaddr *)&a, &l), ENOTCONN),
	      "getpeername unconnected: ENOTCONN");
	CHECK(ERR(bind(0, (struct sockaddr *)&a, l), ENOTSOCK), "bind on stdin: ENOTSOCK");
	CHECK(ERR(listen(99, 1), EBADF), "listen on a bad fd: EBADF");
	CHECK(ERR(accept(99, NULL, NULL), EBADF), "accept on a bad fd: EBADF");
	struct ucred cr;
	l = sizeof cr;
	CHECK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 && cr.pid == 0 &&
	          cr.uid == (uid_t)-1,
	      "SO_PEERCRED unconnected: pid 0, uid -1");
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(ERR(listen(d, 1), EOPNOTSUPP), "listen on a datagram socket: EOPNOTSUPP");
	CHECK(ERR(send(d, "x", 1, 0), ENOTCONN), "datagram send unconnected: ENOTCONN");
	int q = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK(ERR(recv(q, b, 1, 0), ENOTCONN), "seqpacket recv unconnected: ENOTCONN");
	close(q);
	close(d);
	close(s);
}

static void names(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0), t;
	socklen_t l, gl;
	struct sockaddr_un a = path_addr("named", &l), g;
	struct stat st;

	gl = sizeof g;
	CHECK(getsockname(s, (struct sockaddr *)&g, &gl) == 0 && gl == 2,
	      "unbound getsockname: 2 bytes");
	umask(022);
	CHECK(bind(s, (struct sockaddr *)&a, l) == 0, "bind to a path");
	CHECK(stat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0755,
	      "stat: a socket, mode 0755 after umask 022");
	CHECK(ERR(open(a.sun_path, O_RDWR), ENXIO), "open the socket path: ENXIO");
	gl = sizeof g;
	CHECK(getsockname(s, (struct sockaddr *)&g, &gl) == 0 && gl == l &&
	          !strcmp(g.sun_path, a.sun_path),
	      "getsockname: the path, offsetof + strlen + 1 bytes");
	gl = 4;
	memset(&g, 0, sizeof g);
	CHECK(getsockname(s, (struct sockaddr *)&g, &gl) == 0 && gl == l && g.sun_path[1] &&
	          !g.sun_path[2],
	      "a short buffer: truncated, the full length returned");
	struct sockaddr_un b = path_addr("other", &l);
	CHECK(ERR(bind(s, (struct sockaddr *)&b, l), EINVAL), "bind again: EINVAL");
	CHECK(access(b.sun_path, F_OK) != 0, "and the second path is not left behind");
	t = socket(AF_UNIX, SOCK_STREAM, 0);
	a = path_addr("named", &l);
	CHECK(ERR(bind(t, (struct sockaddr *)&a, l), EADDRINUSE),
	      "bind to a bound path: EADDRINUSE");
	CHECK(unlink(a.sun_path) == 0, "unlink the socket path");
	CHECK(bind(t, (struct sockaddr *)&a, l) == 0, "the path binds again after unlink");
	close(t);
	close(s);
	unlink(a.sun_path);

	/* A full sun_path with no NUL: Linux takes all 108 bytes. */
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un full = {.sun_family = AF_UNIX};
	int n = snprintf(full.sun_path, sizeof full.sun_path, "%s/", dir);
	memset(full.sun_path + n, 'x', sizeof full.sun_path - (size_t)n);
	CHECK(bind(s, (struct sockaddr *)&full, sizeof full) == 0, "bind a 108-byte path");
	gl = sizeof g + 8;
	char big[sizeof g + 8];
	CHECK(getsockname(s, (struct sockaddr *)big, &gl) == 0 && gl == sizeof full + 1,
	      "its name is 111 bytes long");
	char p[sizeof full.sun_path + 1];
	memcpy(p, full.sun_path, sizeof full.sun_path);
	p[sizeof full.sun_path] = 0;
	CHECK(unlink(p) == 0, "unlink it");
	close(s);

	s = socket(AF_UNIX, SOCK_STREAM, 0);
	a = abstract_addr("persona-unixsock-test", &l);
	CHECK(bind(s, (struct sockaddr *)&a, l) == 0, "bind an abstract name");
	t = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(ERR(bind(t, (struct sockaddr *)&a, l), EADDRINUSE),
	      "the abstract name again: EADDRINUSE");
	gl = sizeof g;
	CHECK(getsockname(s, (struct sockaddr *)&g, &gl) == 0 && gl == l && g.sun_path[0] == 0 &&
	          !memcmp(g.sun_path + 1, "persona-unixsock-test", 21),
	      "getsockname: the abstract name, exact length");
	close(s);
	CHECK(bind(t, (struct sockaddr *)&a, l) == 0, "free again after close");
	close(t);

	s = socket(AF_UNIX, SOCK_STREAM, 0);
	sa_family_t fam = AF_UNIX;
	CHECK(bind(s, (struct sockaddr *)&fam, sizeof fam) == 0, "autobind");
	gl = sizeof g;
	memset(&g, 0, sizeof g);
	CHECK(getsockname(s, (struct sockaddr *)&g, &gl) == 0 && gl == 8 && g.sun_path[0] == 0 &&
	          strspn(g.sun_path + 1, "0123456789abcdef") == 5,
	      "autobind: NUL and five hex digits");
	CHECK(bind(s, (struct sockaddr *)&fam, sizeof fam) == 0, "autobind again: 0");
	CHECK(listen(s, 1) == 0, "listen on the automatic name");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&g, gl) == 0, "connect to it");
	close(c);
	close(s);
}

static void stream(void)
{
	socklen_t l, gl;
	struct sockaddr_un a = path_addr("srv", &l), g;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char b[64];

	CHECK(bind(s, (struct sockaddr *)&a, l) == 0 && listen(s, 8) == 0, "bind and listen");
	int v;
	gl = sizeof v;
	CHECK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &gl) == 0 && v == 1, "SO_ACCEPTCONN 1");
	CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &gl) == 0 && v == SOCK_STREAM, "SO_TYPE");
	CHECK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &gl) == 0 && v == AF_UNIX, "SO_DOMAIN");

	pid_t p = fork();
	if (p == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, l) < 0)
			_exit(1);
		struct ucred cr;
		socklen_t cl = sizeof cr;
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.pid != getppid())
			_exit(2);
		ssize_t n = read(c, b, sizeof b);
		if (n <= 0 || write(c, b, (size_t)n) != n)
			_exit(3);
		_exit(0);
	}
	gl = sizeof g;
	memset(&g, 0x55, sizeof g);
	int x = accept(s, (struct sockaddr *)&g, &gl);
	CHECK(x >= 0 && gl == 2 && g.sun_family == AF_UNIX, "accept: the unnamed peer, 2 bytes");
	CHECK(fcntl(x, F_GETFD) == 0, "accepted socket: no FD_CLOEXEC");
	struct ucred cr;
	gl = sizeof cr;
	CHECK(getsockopt(x, SOL_SOCKET, SO_PEERCRED, &cr, &gl) == 0 && cr.pid == p &&
	          cr.uid == getuid() && cr.gid == getgid(),
	      "SO_PEERCRED: the child's pid, uid, gid");
	gl = sizeof g;
	CHECK(getsockname(x, (struct sockaddr *)&g, &gl) == 0 && gl == l &&
	          !strcmp(g.sun_path, a.sun_path),
	      "accepted socket has the listener's name");
	CHECK(write(x, "hello", 5) == 5 && read(x, b, sizeof b) == 5 && !memcmp(b, "hello", 5),
	      "echo across fork");
	int st;
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "child connected, saw the parent as peer");
	CHECK(read(x, b, sizeof b) == 0, "end of file after the child exited");
	close(x);

	/* Threads: three clients, one accept loop. */
	pthread_t th[3];
	const char *msgs[3] = {"one", "two", "three"};
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, echo_client, (void *)msgs[i]);
	int served = 0;
	for (int i = 0; i < 3; i++) {
		int y = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n = y >= 0 ? read(y, b, sizeof b) : -1;
		if (n > 0 && write(y, b, (size_t)n) == n)
			served++;
		close(y);
	}
	long all = 1;
	for (int i = 0; i < 3; i++) {
		void *r;
		pthread_join(th[i], &r);
		all &= (long)r;
	}
	CHECK(served == 3 && all, "three client threads echoed");

	/* Nonblocking accept, and readiness. */
	CHECK(fcntl(s, F_SETFL, O_NONBLOCK) == 0, "listener nonblocking");
	CHECK(ERR(accept(s, NULL, NULL), EAGAIN), "accept with nothing pending: EAGAIN");
	struct pollfd pf = {s, POLLIN | POLLOUT, 0};
	CHECK(poll(&pf, 1, 0) == 0, "poll: an idle listener is not ready");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0, "epoll watches the listener");
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "epoll: nothing yet");
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(connect(c, (struct sockaddr *)&a, l) == 0, "nonblocking connect succeeds at once");
	CHECK(ERR(connect(c, (struct sockaddr *)&a, l), EISCONN), "connect again: EISCONN");
	CHECK(epoll_wait(ep, &out, 1, 0) == 1 && out.data.u32 == 7 && (out.events & EPOLLIN),
	      "epoll: the listener is readable");
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "poll: POLLIN alone");
	pf = (struct pollfd){c, POLLIN | POLLOUT, 0};
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT, "the connected client: POLLOUT");
	gl = sizeof g;
	CHECK(getpeername(c, (struct sockaddr *)&g, &gl) == 0 && gl == l &&
	          !strcmp(g.sun_path, a.sun_path),
	      "getpeername: the listener's path");
	CHECK(send(c, "early", 5, 0) == 5, "send before accept");
	int y = accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(y >= 0 && (fcntl(y, F_GETFL) & O_NONBLOCK) && fcntl(y, F_GETFD) == FD_CLOEXEC,
	      "accept4: SOCK_NONBLOCK and SOCK_CLOEXEC");
	CHECK(read(y, b, sizeof b) == 5 && !memcmp(b, "early", 5), "the early bytes arrive");
	CHECK(ERR(read(y, b, sizeof b), EAGAIN), "then EAGAIN");
	gl = sizeof g;
	CHECK(getpeername(y, (struct sockaddr *)&g, &gl) == 0 && gl == 2, "its peer: unnamed");
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "epoll: drained");
	close(y);
	close(c);
	close(ep);

	/* A full backlog. */
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a2 = path_addr("small", &l);
	CHECK(bind(s2, (struct sockaddr *)&a2, l) == 0 && listen(s2, 0) == 0, "backlog 0");
	int k1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int k2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(connect(k1, (struct sockaddr *)&a2, l) == 0, "one connection fits");
	CHECK(ERR(connect(k2, (struct sockaddr *)&a2, l), EAGAIN), "the next: EAGAIN");
	p = fork();
	if (p == 0) {
		int k = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(k, (struct sockaddr *)&a2, l) == 0 ? 0 : 1);
	}
	usleep(100000);
	int z = accept(s2, NULL, NULL);
	CHECK(z >= 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a blocking connect waits for room");
	close(z); /* k1's connection */
	close(k1);
	close(s2);
	unlink(a2.sun_path);
	s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(s2, (struct sockaddr *)&a2, l) == 0 && listen(s2, 4) == 0, "a new listener");
	k1 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(k1, (struct sockaddr *)&a2, l) == 0, "connect, not accepted");
	CHECK(send(k1, "abc", 3, 0) == 3, "send into the pending connection");
	close(s2);
	CHECK(ERR(recv(k1, b, 3, 0), ECONNRESET), "listener closed: ECONNRESET");
	CHECK(recv(k1, b, 3, 0) == 0, "then end of file");
	CHECK(ERR(send(k1, "x", 1, MSG_NOSIGNAL), EPIPE), "and EPIPE");
	CHECK(ERR(connect(k2, (struct sockaddr *)&a2, l), ECONNREFUSED),
	      "connect to a closed listener's path: ECONNREFUSED");
	unlink(a2.sun_path);
	close(k1);
	close(k2);
	close(s);
	unlink(a.sun_path);
	a = path_addr("srv", &l);
}

static void dgram(void)
{
	socklen_t l, gl, bl;
	struct sockaddr_un a = path_addr("dg", &l), g, bn;
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	int c = socket(AF_UNIX, SOCK_DGRAM, 0);
	char b[64];

	CHECK(bind(d, (struct sockaddr *)&a, l) == 0, "bind a datagram socket");
	CHECK(sendto(c, "hi", 2, 0, (struct sockaddr *)&a, l) == 2, "sendto the path");
	gl = sizeof g;
	CHECK(recvfrom(d, b, sizeof b, 0, (struct sockaddr *)&g, &gl) == 2 && gl == 0,
	      "recvfrom an unnamed sender: no address");
	struct sockaddr_un cb = path_addr("dgc", &bl);
	CHECK(bind(c, (struct sockaddr *)&cb, bl) == 0, "bind the sender");
	CHECK(sendto(c, "named", 5, 0, (struct sockaddr *)&a, l) == 5, "sendto again");
	gl = sizeof g;
	CHECK(recvfrom(d, b, sizeof b, 0, (struct sockaddr *)&g, &gl) == 5 && gl == bl &&
	          !strcmp(g.sun_path, cb.sun_path),
	      "recvfrom: the sender's path");
	CHECK(sendto(d, "back", 4, 0, (struct sockaddr *)&g, gl) == 4, "reply to it");
	struct msghdr m = {0};
	struct iovec iv = {b, sizeof b};
	m.msg_iov = &iv;
	m.msg_iovlen = 1;
	m.msg_name = &bn;
	m.msg_namelen = sizeof bn;
	CHECK(recvmsg(c, &m, 0) == 4 && m.msg_namelen == l && !strcmp(bn.sun_path, a.sun_path),
	      "recvmsg: the replier's path");
	CHECK(connect(c, (struct sockaddr *)&a, l) == 0, "connect sets a default peer");
	CHECK(send(c, "dflt", 4, 0) == 4 && recv(d, b, sizeof b, 0) == 4, "send to the default");
	gl = sizeof g;
	CHECK(getpeername(c, (struct sockaddr *)&g, &gl) == 0 && gl == l, "getpeername");
	int e = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(connect(d, (struct sockaddr *)&cb, bl) == 0, "d connects to c");
	CHECK(ERR(sendto(e, "x", 1, 0, (struct sockaddr *)&a, l), EPERM),
	      "a third socket may not send to d: EPERM");
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	CHECK(connect(d, &un, sizeof un) == 0, "AF_UNSPEC disconnects");
	CHECK(sendto(e, "x", 1, 0, (struct sockaddr *)&a, l) == 1, "then it may");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = path_addr("st", &gl);
	bind(s, (struct sockaddr *)&sa, gl);
	CHECK(ERR(sendto(e, "x", 1, 0, (struct sockaddr *)&sa, gl), EPROTOTYPE),
	      "sendto a stream socket: EPROTOTYPE");
	CHECK(ERR(sendto(e, "x", 1, 0, (struct sockaddr *)&a, 1), EINVAL),
	      "sendto with a 1-byte address: EINVAL");
	close(s);
	unlink(sa.sun_path);
	close(d);
	CHECK(ERR(send(c, "x", 1, 0), ECONNREFUSED), "peer closed: ECONNREFUSED");
	CHECK(ERR(send(c, "x", 1, 0), ENOTCONN), "then ENOTCONN");
	close(c);
	close(e);
	unlink(a.sun_path);
	unlink(cb.sun_path);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof dir, "/tmp/unixsock.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	char fp[96];
	snprintf(fp, sizeof fp, "%s/file", dir);
	close(open(fp, O_CREAT | O_WRONLY, 0600));
	errors();
	names();
	stream();
	dgram();
	unlink(fp);
	CHECK(rmdir(dir) == 0, "scratch directory empty at the end");
	printf("%d failed\n", check_failures);
	return check_failures != 0;
}
