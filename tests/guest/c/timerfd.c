/*
 * timerfd: one-shot and periodic timers on CLOCK_MONOTONIC, an absolute
 * CLOCK_REALTIME deadline (future and past), timerfd_gettime and the old
 * setting settime returns, disarming, a blocking read, EAGAIN when
 * nonblocking, readiness through poll and epoll, and the errors of
 * timerfd_create, timerfd_settime, timerfd_gettime and read.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static struct itimerspec its(long value_ms, long interval_ms)
{
	struct itimerspec s = {
	    .it_interval = {interval_ms / 1000, (interval_ms % 1000) * 1000000},
	    .it_value = {value_ms / 1000, (value_ms % 1000) * 1000000},
	};
	return s;
}

static void test_errors(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0), p[2];
	struct itimerspec s = its(10, 0), bad = its(10, 0), cur;
	uint32_t small;
	CHECK(fd >= 0, "timerfd_create(CLOCK_MONOTONIC)");
	CHECK(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0) < 0 && errno == EINVAL,
	      "a CPU-time clock: EINVAL");
	CHECK(timerfd_create(99, 0) < 0 && errno == EINVAL, "an unknown clock: EINVAL");
	CHECK(timerfd_create(CLOCK_MONOTONIC, 4) < 0 && errno == EINVAL, "an unknown flag: EINVAL");
	CHECK(timerfd_settime(fd, 8, &s, NULL) < 0 && errno == EINVAL,
	      "settime unknown flag: EINVAL");
	bad.it_value.tv_nsec = 1000000000;
	CHECK(timerfd_settime(fd, 0, &bad, NULL) < 0 && errno == EINVAL,
	      "settime nsec out of range: EINVAL");
	bad = its(10, 0);
	bad.it_interval.tv_sec = -1;
	CHECK(timerfd_settime(fd, 0, &bad, NULL) < 0 && errno == EINVAL,
	      "settime negative interval: EINVAL");
	CHECK(syscall(SYS_timerfd_settime, fd, 0, NULL, NULL) < 0 && errno == EFAULT,
	      "settime NULL: EFAULT");
	CHECK(timerfd_settime(-1, 0, &s, NULL) < 0 && errno == EBADF, "settime fd -1: EBADF");
	pipe(p);
	CHECK(timerfd_settime(p[0], 0, &s, NULL) < 0 && errno == EINVAL,
	      "settime on a pipe: EINVAL");
	CHECK(timerfd_gettime(p[0], &cur) < 0 && errno == EINVAL, "gettime on a pipe: EINVAL");
	CHECK(syscall(SYS_timerfd_gettime, fd, NULL) < 0 && errno == EFAULT,
	      "gettime NULL: EFAULT");
	CHECK(read(fd, &small, sizeof small) < 0 && errno == EINVAL, "read of 4 bytes: EINVAL");
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void test_oneshot(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec s = its(40, 0), cur, old;
	struct timespec t0;
	uint64_t ticks = 0;
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "TFD_CLOEXEC");
	CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
	          cur.it_value.tv_nsec == 0,
	      "a new timer is disarmed");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(timerfd_settime(fd, 0, &s, NULL) == 0, "arm 40 ms");
	CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
	          cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 40000000,
	      "gettime: some of the 40 ms left");
	CHECK(read(fd, &ticks, 8) == 8 && ticks == 1, "a blocking read: 1 expiration");
	CHECK(ms_since(&t0) >= 40, "after the 40 ms");
	CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_nsec == 0,
	      "expired one-shot: disarmed");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	CHECK(read(fd, &ticks, 8) < 0 && errno == EAGAIN, "nothing more: EAGAIN");
	s = its(5000, 1000);
	timerfd_settime(fd, 0, &s, NULL);
	s = its(0, 0);
	CHECK(timerfd_settime(fd, 0, &s, &old) == 0 && old.it_interval.tv_sec == 1 &&
	          old.it_value.tv_sec >= 4 && old.it_value.tv_sec <= 5,
	      "disarming returns the old setting");
	CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
	          cur.it_value.tv_nsec == 0 && cur.it_interval.tv_sec == 0,
	      "disarmed");
	close(fd);
}

static void test_periodic(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec s = its(10, 10);
	uint64_t ticks = 0;
	timerfd_settime(fd, 0, &s, NULL);
	usleep(65000);
	CHECK(read(fd, &ticks, 8) == 8 && ticks >= 4, "10 ms period over 65 ms: at least 4");
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	CHECK(poll(&pf, 1, 0) == 0, "after the read: not readable");
	CHECK(poll(&pf, 1, 1000) == 1 && pf.revents == POLLIN, "poll waits for the next one");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && out.data.u32 == 7, "epoll sees it");
	read(fd, &ticks, 8);
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1, "and the next period");
	close(ep);
	close(fd); /* closed while armed */
}

static void test_absolute(void)
{
	int fd = timerfd_create(CLOCK_REALTIME, 0);
	struct timespec now, t0;
	struct itimerspec s = {{0, 0}, {0, 0}};
	uint64_t ticks = 0;
	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s.it_value.tv_sec = now.tv_sec + (now.tv_nsec + 30000000) / 1000000000;
	s.it_value.tv_nsec = (now.tv_nsec + 30000000) % 1000000000;
	CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0, "CLOCK_REALTIME, 30 ms ahead");
	CHECK(read(fd, &ticks, 8) == 8 && ticks == 1 && ms_since(&t0) >= 25,
	      "expires at that time");
	s.it_value.tv_sec = now.tv_sec - 10;
	CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &s, NULL) == 0,
	      "a time already past");
	CHECK(read(fd, &ticks, 8) == 8 && ticks == 1, "expires at once");
	close(fd);
	fd = timerfd_create(CLOCK_BOOTTIME, 0);
	struct timespec b;
	clock_gettime(CLOCK_BOOTTIME, &b);
	s.it_value.tv_sec = b.tv_sec;
	s.it_value.tv_nsec = b.tv_nsec;
	s.it_value.tv_nsec += 20000000;
	if (s.it_value.tv_nsec >= 1000000000) {
		s.it_value.tv_sec++;
		s.it_value.tv_nsec -= 1000000000;
	}
	CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0 && read(fd, &ticks, 8) == 8 &&
	          ticks == 1,
	      "CLOCK_BOOTTIME absolute");
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_errors();
	test_oneshot();
	test_periodic();
	test_absolute();
	return check_done();
}
