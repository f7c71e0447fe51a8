/*
 * epoll: level-triggered, edge-triggered and one-shot items on pipes, an
 * eventfd and a socket pair; the errors of epoll_create1, epoll_ctl and
 * epoll_wait; an item leaving its set when its file's last descriptor is
 * closed (and staying while a dup keeps the file); a wait woken by another
 * thread and one that times out; sets inside sets, the loop they must not
 * make, and poll() on an epoll descriptor; which item comes first when
 * fewer events are asked for than are ready.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? errno : 0;
}

static int ctl_err(int ep, int op, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events};
	return epoll_ctl(ep, op, fd, &ev) < 0 ? errno : 0;
}

/* "n: data/events data/events ..." of one epoll_wait. */
static const char *wait_str(int ep, int max, int timeout)
{
	static char buf[256];
	struct epoll_event ev[8];
	int n = epoll_wait(ep, ev, max, timeout);
	if (n < 0) {
		snprintf(buf, sizeof buf, "-1 %s", errname(errno));
		return buf;
	}
	int len = snprintf(buf, sizeof buf, "%d:", n);
	for (int i = 0; i < n && len < (int)sizeof buf - 32; i++)
		len += snprintf(buf + len, sizeof buf - (size_t)len, " %llu/%#x",
		                (unsigned long long)ev[i].data.u64, ev[i].events);
	return buf;
}

static void test_errors(void)
{
	int p[2], ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0 && (fcntl(ep, F_GETFD) & FD_CLOEXEC), "epoll_create1(EPOLL_CLOEXEC)");
	CHECK(epoll_create1(1) < 0 && errno == EINVAL, "epoll_create1 unknown flag: EINVAL");
	CHECK(syscall(SYS_epoll_create, 0) < 0 && errno == EINVAL, "epoll_create(0): EINVAL");
	int e2 = (int)syscall(SYS_epoll_create, 1);
	CHECK(e2 >= 0, "epoll_create(1)");
	close(e2);
	pipe(p);
	int fd = open("/tmp/epoll-file", O_CREAT | O_RDWR | O_TRUNC, 0600);
	int null = open("/dev/null", O_RDWR);
	CHECK(ctl_err(ep, EPOLL_CTL_ADD, p[0], EPOLLIN) == 0, "add a pipe");
	CHECK(ctl_err(ep, EPOLL_CTL_ADD, p[0], EPOLLIN) == EEXIST, "add it again: EEXIST");
	CHECK(ctl_err(ep, EPOLL_CTL_MOD, p[1], EPOLLOUT) == ENOENT, "mod one not added: ENOENT");
	CHECK(ctl_err(ep, EPOLL_CTL_DEL, p[1], 0) == ENOENT, "del one not added: ENOENT");
	CHECK(ctl_err(ep, 99, p[0], EPOLLIN) == EINVAL, "unknown op: EINVAL");
	CHECK(ctl_err(-1, EPOLL_CTL_ADD, p[0], EPOLLIN) == EBADF, "bad epoll fd: EBADF");
	CHECK(ctl_err(ep, EPOLL_CTL_ADD, 999, EPOLLIN) == EBADF, "bad target fd: EBADF");
	CHECK(ctl_err(p[1], EPOLL_CTL_ADD, p[0], EPOLLIN) == EINVAL, "not an epoll fd: EINVAL");
	CHECK(ctl_err(ep, EPOLL_CTL_ADD, ep, EPOLLIN) == EINVAL, "a set in itself: EINVAL");
	CHECK(ctl_err(ep, EPOLL_CTL_ADD, fd, EPOLLIN) == EPERM, "a regular file: EPERM");
	CHECK(ctl_err(ep, EPOLL_CTL_ADD, null, EPOLLIN) == EPERM, "/dev/null: EPERM");
	CHECK(ctl_err(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE) == EINVAL,
	      "mod with EPOLLEXCLUSIVE: EINVAL");
	CHECK(ctl_err(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT) == EINVAL,
	      "EPOLLEXCLUSIVE with EPOLLONESHOT: EINVAL");
	CHECK(ctl_err(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT | EPOLLEXCLUSIVE) == 0,
	      "add with EPOLLEXCLUSIVE");
	CHECK(ctl_err(ep, EPOLL_CTL_MOD, p[1], EPOLLOUT) == EINVAL,
	      "mod an EPOLLEXCLUSIVE item: EINVAL");
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)8) < 0 && errno == EFAULT,
	      "bad event pointer: EFAULT");
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "del needs no event");
	struct epoll_event ev[2];
	CHECK(epoll_wait(ep, ev, 0, 0) < 0 && errno == EINVAL, "wait for 0 events: EINVAL");
	CHECK(syscall(SYS_epoll_wait, ep, NULL, 2, 0) < 0 && errno == EFAULT,
	      "wait into NULL: EFAULT");
	CHECK(epoll_wait(p[0], ev, 2, 0) < 0 && errno == EINVAL, "wait on a pipe: EINVAL");
	CHECK(epoll_wait(-1, ev, 2, 0) < 0 && errno == EBADF, "wait on fd -1: EBADF");
	CHECK(syscall(SYS_epoll_pwait, ep, ev, 2, 0, (sigset_t[1]){0}, 4) < 0 && errno == EINVAL,
	      "epoll_pwait with a 4-byte mask: EINVAL");
	close(fd);
	unlink("/tmp/epoll-file");
	close(null);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void test_triggers(void)
{
	int lt[2], et[2], os[2], ep = epoll_create1(0);
	pipe(lt);
	pipe(et);
	pipe(os);
	add(ep, lt[0], EPOLLIN, 1);
	add(ep, et[0], EPOLLIN | EPOLLET, 2);
	add(ep, os[0], EPOLLIN | EPOLLONESHOT, 3);
	printf("nothing ready: %s\n", wait_str(ep, 8, 0));
	write(lt[1], "ab", 2);
	write(et[1], "ab", 2);
	write(os[1], "ab", 2);
	printf("all three: %s\n", wait_str(ep, 8, 0));
	printf("again, level only: %s\n", wait_str(ep, 8, 0));
	write(et[1], "c", 1);
	write(os[1], "c", 1);
	printf("new data: %s\n", wait_str(ep, 8, 0));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 33};
	epoll_ctl(ep, EPOLL_CTL_MOD, os[0], &ev);
	printf("one-shot re-armed: %s\n", wait_str(ep, 8, 0));
	char buf[8];
	read(lt[0], buf, sizeof buf);
	printf("level drained: %s\n", wait_str(ep, 8, 0));
	close(lt[1]);
	printf("writer gone, HUP unasked: %s\n", wait_str(ep, 8, 0));
	add(ep, et[1], EPOLLOUT, 4);
	printf("write end writable: %s\n", wait_str(ep, 8, 0));
	close(et[0]);
	printf("reader gone, ERR: %s\n", wait_str(ep, 8, 0));
	close(ep);
	close(lt[0]);
	close(et[1]);
	close(os[0]);
	close(os[1]);
}

static void test_close(void)
{
	int p[2], ep = epoll_create1(0);
	pipe(p);
	add(ep, p[0], EPOLLIN, 7);
	write(p[1], "x", 1);
	int d = dup(p[0]);
	close(p[0]);
	printf("closed but duped: %s\n", wait_str(ep, 8, 0));
	close(d);
	printf("last descriptor closed: %s\n", wait_str(ep, 8, 0));
	/* A new file on the same number is not the old item. */
	int q[2];
	pipe(q);
	write(q[1], "y", 1);
	printf("fd number reused: %s\n", wait_str(ep, 8, 0));
	CHECK(ctl_err(ep, EPOLL_CTL_DEL, q[0], 0) == ENOENT || q[0] != p[0],
	      "the removed item is gone for del");
	close(q[0]);
	close(q[1]);
	close(p[1]);
	close(ep);
}

static int wfd;
static void *writer(void *arg)
{
	(void)arg;
	usleep(50000);
	write(wfd, "z", 1);
	return NULL;
}

static void test_blocking(void)
{
	int p[2], ep = epoll_create1(0);
	pthread_t th;
	pipe(p);
	wfd = p[1];
	add(ep, p[0], EPOLLIN, 9);
	pthread_create(&th, NULL, writer, NULL);
	printf("woken by a thread: %s\n", wait_str(ep, 8, -1));
	pthread_join(th, NULL);
	char c;
	read(p[0], &c, 1);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	printf("timeout: %s\n", wait_str(ep, 8, 30));
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 29, "the timeout waited");
	struct timespec ts = {0, 20000000};
	CHECK(syscall(SYS_epoll_pwait2, ep, (struct epoll_event[1]){0}, 1, &ts, NULL, 8) == 0,
	      "epoll_pwait2 with a timespec times out");
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void test_nested(void)
{
	int p[2], outer = epoll_create1(0), inner = epoll_create1(0);
	pipe(p);
	add(inner, p[0], EPOLLIN, 1);
	CHECK(add(outer, inner, EPOLLIN, 100) == 0, "a set inside a set");
	CHECK(add(inner, outer, EPOLLIN, 0) == ELOOP, "and the loop back: ELOOP");
	printf("outer, nothing: %s\n", wait_str(outer, 8, 0));
	struct pollfd pf = {.fd = outer, .events = POLLIN};
	CHECK(poll(&pf, 1, 0) == 0, "poll on the outer set: not ready");
	write(p[1], "x", 1);
	printf("outer, pipe written: %s\n", wait_str(outer, 8, 0));
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "poll on the outer set: POLLIN");
	printf("inner: %s\n", wait_str(inner, 8, 0));
	close(p[0]);
	close(p[1]);
	close(inner);
	close(outer);
}

static void test_others(void)
{
	int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK), sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	add(ep, efd, EPOLLIN | EPOLLET, 1);
	add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 2);
	printf("eventfd and socket idle: %s\n", wait_str(ep, 8, 0));
	uint64_t one = 1;
	write(efd, &one, 8);
	write(sv[1], "hi", 2);
	printf("both written: %s\n", wait_str(ep, 8, 0));
	char buf[4];
	read(sv[0], buf, sizeof buf);
	shutdown(sv[1], SHUT_WR);
	printf("peer shut down: %s\n", wait_str(ep, 8, 0));
	close(ep);
	close(efd);
	close(sv[0]);
	close(sv[1]);
}

static void test_order(void)
{
	int p[3][2], ep = epoll_create1(0);
	for (int i = 0; i < 3; i++) {
		pipe(p[i]);
		write(p[i][1], "x", 1);
		add(ep, p[i][0], EPOLLIN, 10 + (unsigned)i);
	}
	printf("two of three: %s\n", wait_str(ep, 2, 0));
	printf("the next two: %s\n", wait_str(ep, 2, 0));
	for (int i = 0; i < 3; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	close(ep);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_errors();
	test_triggers();
	test_close();
	test_blocking();
	test_nested();
	test_others();
	test_order();
	return check_done();
}
