/* Clocks and sleeping.  Durations are checked, never printed. */
#include <sys/time.h>
#include <time.h>

#include "check.h"

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void)
{
	struct timespec a, b, res;
	struct timeval tv;

	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &a));
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &b));
	CHECK(ns(&b) >= ns(&a), "CLOCK_MONOTONIC does not go back");
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &a));
	CHECK(a.tv_sec > 1600000000, "CLOCK_REALTIME is after 2020");
	CHECK_OK(gettimeofday(&tv, NULL));
	CHECK(tv.tv_sec >= a.tv_sec - 1 && tv.tv_sec <= a.tv_sec + 1,
	      "gettimeofday agrees with CLOCK_REALTIME");
	CHECK(time(NULL) >= a.tv_sec - 1, "time() agrees");
	CHECK_OK(clock_gettime(CLOCK_BOOTTIME, &a));
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC_RAW, &a));
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC_COARSE, &a));
	CHECK_OK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
	CHECK_OK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a));
	CHECK_ERR(clock_gettime(12345, &a), EINVAL);

	CHECK_OK(clock_getres(CLOCK_MONOTONIC, &res));
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000,
	      "CLOCK_MONOTONIC resolution is at most 1 ms");
	CHECK_OK(clock_getres(CLOCK_REALTIME, &res));
	CHECK_ERR(clock_getres(12345, &res), EINVAL);

	struct timespec d = {0, 10 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_OK(nanosleep(&d, NULL));
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(ns(&b) - ns(&a) >= 10000000, "nanosleep 10 ms takes at least 10 ms");
	CHECK(ns(&b) - ns(&a) < 2000000000, "nanosleep 10 ms takes less than 2 s");

	struct timespec bad = {0, 1000000000};
	CHECK_ERR(nanosleep(&bad, NULL), EINVAL);
	struct timespec neg = {-1, 0};
	CHECK_ERR(nanosleep(&neg, NULL), EINVAL);

	/* absolute deadline 20 ms ahead */
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec until = a;
	until.tv_nsec += 20 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0,
	      "clock_nanosleep TIMER_ABSTIME");
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(ns(&b) >= ns(&until), "woke at or after the deadline");
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL) == 0,
	      "a deadline in the past returns at once");
	CHECK(clock_nanosleep(CLOCK_REALTIME, 0, &d, NULL) == 0,
	      "clock_nanosleep relative on REALTIME");
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL) == EINVAL,
	      "clock_nanosleep returns EINVAL for a bad timespec");
	CHECK(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &d, NULL) == EINVAL,
	      "clock_nanosleep on the thread CPU clock is EINVAL");
	return check_done();
}
