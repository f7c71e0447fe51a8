/*
 * Helpers shared by the C guest tests.  A guest test prints one line per
 * check, saying what it checked and the outcome, never a value that may
 * legitimately differ between two runs (pids, addresses, times, inode
 * numbers).  The runner compares the output of a native run with the output
 * of a run under Persona, so a line must read the same on both sides when
 * the behaviour is the same.  The program exits 0 when every check held.
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check_failures;

/* CHECK(cond, what): print "ok   what" or "FAIL what". */
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		int ok_ = !!(cond);                                                                \
		printf(ok_ ? "ok   " : "FAIL ");                                                   \
		printf(__VA_ARGS__);                                                               \
		if (!ok_) {                                                                        \
			printf("  [%s:%d]", __FILE__, __LINE__);                                   \
			check_failures++;                                                          \
		}                                                                                  \
		printf("\n");                                                                      \
	} while (0)

/* The symbolic name of the errno values these tests expect. */
static inline const char *errname(int e)
{
	switch (e) {
	case 0:
		return "0";
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case ENXIO:
		return "ENXIO";
	case EINTR:
		return "EINTR";
	case EBADF:
		return "EBADF";
	case EAGAIN:
		return "EAGAIN";
	case ENOMEM:
		return "ENOMEM";
	case EACCES:
		return "EACCES";
	case EFAULT:
		return "EFAULT";
	case EEXIST:
		return "EEXIST";
	case EXDEV:
		return "EXDEV";
	case ENOTDIR:
		return "ENOTDIR";
	case EISDIR:
		return "EISDIR";
	case EINVAL:
		return "EINVAL";
	case EMFILE:
		return "EMFILE";
	case ENOSPC:
		return "ENOSPC";
	case ESPIPE:
		return "ESPIPE";
	case EPIPE:
		return "EPIPE";
	case ERANGE:
		return "ERANGE";
	case ENAMETOOLONG:
		return "ENAMETOOLONG";
	case ENOSYS:
		return "ENOSYS";
	case ENOTEMPTY:
		return "ENOTEMPTY";
	case ELOOP:
		return "ELOOP";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ESRCH:
		return "ESRCH";
	case E2BIG:
		return "E2BIG";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case ENODATA:
		return "ENODATA";
	case EDEADLK:
		return "EDEADLK";
	case ECHILD:
		return "ECHILD";
	case ENOTTY:
		return "ENOTTY";
	case EOVERFLOW:
		return "EOVERFLOW";
	default: {
		static char buf[32];
		snprintf(buf, sizeof buf, "errno %d", e);
		return buf;
	}
	}
}

/* CHECK_ERR(expr, E): expr must return -1 (or MAP_FAILED) with errno E. */
#define CHECK_ERR(expr, E)                                                                         \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		int e_ = errno;                                                                    \
		int ok_ = r_ == -1 && e_ == (E);                                                   \
		if (ok_)                                                                           \
			printf("ok   %s -> %s\n", #expr, #E);                                      \
		else {                                                                             \
			printf("FAIL %s -> %ld %s, expected %s  [%s:%d]\n", #expr, r_,             \
			       errname(e_), #E, __FILE__, __LINE__);                               \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* CHECK_OK(expr): expr must not return -1. */
#define CHECK_OK(expr)                                                                             \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		int e_ = errno;                                                                    \
		if (r_ != -1)                                                                      \
			printf("ok   %s\n", #expr);                                                \
		else {                                                                             \
			printf("FAIL %s -> -1 %s  [%s:%d]\n", #expr, errname(e_), __FILE__,        \
			       __LINE__);                                                          \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* Milliseconds on the monotonic clock since *t0. */
static inline long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Sleep n milliseconds, whatever signals arrive meanwhile. */
static inline void sleep_ms(long n)
{
	struct timespec ts = {n / 1000, (n % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0)
		;
}

static inline int check_done(void)
{
	printf("%s: %d failed\n", check_failures ? "FAILED" : "done", check_failures);
	fflush(stdout);
	return check_failures ? 1 : 0;
}

#endif
