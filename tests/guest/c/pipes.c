/* Pipes: data, EOF, EAGAIN, EPIPE, poll readiness, a read running into a
 * PROT_NONE page, and a writer thread. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "partial.h"

#define TOTAL (1 << 20)

static int pfd[2];

static void *writer(void *arg)
{
	static char chunk[4000];
	long sent = 0;

	for (unsigned i = 0; i < sizeof chunk; i++)
		chunk[i] = (char)i;
	while (sent < TOTAL) {
		long n = TOTAL - sent < (long)sizeof chunk ? TOTAL - sent : (long)sizeof chunk;
		long w = write(pfd[1], chunk, n);
		if (w <= 0)
			break;
		sent += w;
	}
	close(pfd[1]);
	return (void *)sent;
}

int main(void)
{
	int p[2];
	char buf[8192];
	struct timespec t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC, "pipe2 O_CLOEXEC sets the flag");
	CHECK((fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY, "read end is O_RDONLY");
	CHECK((fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY, "write end is O_WRONLY");
	CHECK(write(p[1], "hello", 5) == 5, "write 5 bytes");
	CHECK(read(p[0], buf, sizeof buf) == 5 && !memcmp(buf, "hello", 5), "read them back");
	CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERR(write(p[0], "x", 1), EBADF);
	CHECK_ERR(pipe2(p, 0x1234), EINVAL);

	/* readiness */
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(poll(&pf, 1, 50) == 0, "poll on an empty pipe times out");
	CHECK(ms_since(&t0) >= 45, "poll waited about 50 ms");
	pf.revents = 0;
	CHECK(poll(&pf, 1, 0) == 0, "poll with timeout 0 returns at once");
	write(p[1], "x", 1);
	CHECK(poll(&pf, 1, 1000) == 1 && pf.revents == POLLIN, "poll sees POLLIN");
	struct pollfd wf = {.fd = p[1], .events = POLLOUT};
	CHECK(poll(&wf, 1, 0) == 1 && wf.revents == POLLOUT, "write end is POLLOUT");
	struct timespec ts = {0, 20 * 1000 * 1000};
	read(p[0], buf, 1);
	CHECK(ppoll(&pf, 1, &ts, NULL) == 0, "ppoll times out on an empty pipe");
	struct pollfd bad = {.fd = 999, .events = POLLIN};
	CHECK(poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL, "poll on a bad fd gives POLLNVAL");

	/* non-blocking */
	CHECK_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(p[0], buf, 1), EAGAIN);
	CHECK_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
	long filled = 0, w;
	memset(buf, 'f', sizeof buf);
	while ((w = write(p[1], buf, sizeof buf)) > 0)
		filled += w;
	CHECK(w == -1 && errno == EAGAIN, "a full non-blocking pipe gives EAGAIN");
	CHECK(filled == 65536, "the pipe holds 64 KiB");
	CHECK(poll(&wf, 1, 0) == 0, "a full pipe is not POLLOUT");

	/* EOF and EPIPE */
	close(p[1]);
	long got = 0, r;
	while ((r = read(p[0], buf, sizeof buf)) > 0)
		got += r;
	CHECK(r == 0 && got == filled, "drain then EOF after the writer closed");
	CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP), "POLLHUP after the writer closed");
	close(p[0]);
	CHECK_OK(pipe(p));
	close(p[0]);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	close(p[1]);

	CHECK_OK(pipe(p));
	check_partial_read(p[0], p[1], "pipe");

	/* a writer thread and a blocking reader */
	CHECK_OK(pipe(pfd));
	pthread_t th;
	pthread_create(&th, NULL, writer, NULL);
	long total = 0, sum = 0;
	while ((r = read(pfd[0], buf, sizeof buf)) > 0) {
		for (long i = 0; i < r; i++)
			sum += (unsigned char)buf[i];
		total += r;
	}
	void *sent;
	pthread_join(th, &sent);
	CHECK(total == TOTAL && (long)sent == TOTAL, "1 MiB through the pipe from a thread");
	printf("     checksum %ld\n", sum);
	close(pfd[0]);
	return check_done();
}
