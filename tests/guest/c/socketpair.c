/*
 * socketpair(AF_UNIX): a stream pair across fork (data both ways, end of
 * file and EPIPE once the peer is gone), message boundaries and
 * truncation on SOCK_SEQPACKET, a stream read running into a PROT_NONE page, poll, shutdown, socket
 * options, and the errors for bad domains, types and non-socket fds.
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "partial.h"

int main(void)
{
	int sv[2];
	char b[64];
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	errno = 0;
	CHECK(socketpair(AF_INET, SOCK_STREAM, 0, sv) < 0 && errno == EOPNOTSUPP,
	      "AF_INET pair: EOPNOTSUPP");
	CHECK(socketpair(AF_UNIX, 4, 0, sv) < 0 && errno == ESOCKTNOSUPPORT,
	      "SOCK_RDM: ESOCKTNOSUPPORT");
	CHECK(socketpair(AF_UNIX, 11, 0, sv) < 0 && errno == EINVAL, "type past SOCK_MAX: EINVAL");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 7, sv) < 0 && errno == EPROTONOSUPPORT,
	      "bad protocol: EPROTONOSUPPORT");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)8) < 0 && errno == EFAULT,
	      "bad pointer: EFAULT");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "stream pair");

	pid_t p = fork();
	if (p == 0) {
		close(sv[0]);
		n = read(sv[1], b, sizeof b);
		if (n > 0 && write(sv[1], b, (size_t)n) == n && write(sv[1], "!", 1) == 1)
			_exit(0);
		_exit(1);
	}
	close(sv[1]);
	CHECK(send(sv[0], "ping", 4, 0) == 4, "send to the child");
	int st;
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child echoed");
	n = recv(sv[0], b, sizeof b, 0);
	CHECK(n == 5 && !memcmp(b, "ping!", 5), "both writes arrive as one stream");
	CHECK(recv(sv[0], b, sizeof b, 0) == 0, "end of file after the peer closed");
	errno = 0;
	CHECK(send(sv[0], "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE,
	      "send without a peer: EPIPE");
	CHECK(recv(sv[0], b, sizeof b, MSG_DONTWAIT) == 0, "MSG_DONTWAIT at end of file: 0");
	close(sv[0]);

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "seqpacket pair");
	CHECK(send(sv[0], "abcdef", 6, 0) == 6 && send(sv[0], "gh", 2, 0) == 2, "two messages");
	struct msghdr m = {0};
	struct iovec iv = {b, 3};
	m.msg_iov = &iv;
	m.msg_iovlen = 1;
	n = recvmsg(sv[1], &m, 0);
	CHECK(n == 3 && !memcmp(b, "abc", 3) && (m.msg_flags & MSG_TRUNC), "short read truncates");
	n = recv(sv[1], b, sizeof b, 0);
	CHECK(n == 2 && !memcmp(b, "gh", 2), "the next message is whole");
	struct pollfd pf = {sv[1], POLLIN, 0};
	CHECK(poll(&pf, 1, 0) == 0, "nothing left to read");
	errno = 0;
	CHECK(recv(sv[1], b, sizeof b, MSG_DONTWAIT) < 0 && errno == EAGAIN,
	      "MSG_DONTWAIT: EAGAIN");
	int type = 0;
	socklen_t len = sizeof type;
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET &&
	          len == sizeof type,
	      "SO_TYPE");
	CHECK(shutdown(sv[0], SHUT_WR) == 0, "shutdown(SHUT_WR)");
	CHECK(recv(sv[1], b, sizeof b, 0) == 0, "the peer sees end of file");
	pf.revents = 0;
	CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN), "poll says readable at end of file");
	errno = 0;
	CHECK(shutdown(sv[0], 7) < 0 && errno == EINVAL, "shutdown(7): EINVAL");
	errno = 0;
	CHECK(send(1, "x", 1, 0) < 0 && errno == ENOTSOCK, "send on a non-socket: ENOTSOCK");
	errno = 0;
	CHECK(send(99, "x", 1, 0) < 0 && errno == EBADF, "send on a closed fd: EBADF");
	close(sv[0]);
	close(sv[1]);

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	check_partial_read(sv[0], sv[1], "stream pair");

	if (check_failures)
		printf("FAILED: %d failed\n", check_failures);
	else
		printf("done: 0 failed\n");
	return check_failures != 0;
}
