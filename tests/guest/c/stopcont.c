/*
 * Timed waits interrupted by a stop and by a handler.  A child sleeps
 * 400 ms in one call (nanosleep, clock_nanosleep relative and
 * TIMER_ABSTIME, poll, ppoll, select, pselect6, a futex wait with a
 * timeout); the parent either stops it with SIGSTOP (or SIGTSTP) for
 * about 100 ms and continues it, or sends a signal whose handler has
 * SA_RESTART.  Linux resumes the call after SIGCONT, to its first deadline
 * (restart_syscall or the time left written back), so the program never
 * sees EINTR (a relative sleep still writes the time left to rem when it
 * is stopped); after a handler these calls answer EINTR whatever
 * SA_RESTART says, nanosleep with the time left in rem.  The calls are
 * made with syscall() so that each C library's choice of wrapper does not
 * matter.  The child reports coarse facts in its exit status.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define SLEEP_MS 400
#define FUTEX_WAIT_PRIVATE 128

enum call { NANOSLEEP, CLOCK_REL, CLOCK_ABS, POLL, PPOLL, SELECT, PSELECT6, FUTEX, NCALLS };
static const char *const names[NCALLS] = {
    "nanosleep",
    "clock_nanosleep relative",
    "clock_nanosleep TIMER_ABSTIME",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "futex wait with a timeout",
};

/* Bits of the child's exit status. */
#define R_TIMEOUT 1  /* the call ended as its timeout says (0 or ETIMEDOUT) */
#define R_EINTR 2    /* it failed with EINTR */
#define R_FULL 4     /* at least SLEEP_MS passed */
#define R_NOT_LONG 8 /* and not a second full timeout after SIGCONT */
#define R_REM 16     /* nanosleep wrote a time left between 0 and SLEEP_MS */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_usr1(int sig) {}

static long do_call(enum call c, int rfd, struct timespec *rem)
{
	struct timespec rel = {0, SLEEP_MS * 1000000L}, abs;
	struct timeval tv = {0, SLEEP_MS * 1000};
	struct pollfd pfd = {rfd, POLLIN, 0};
	static int word;
	fd_set set;

	FD_ZERO(&set);
	FD_SET(rfd, &set);
	switch (c) {
	case NANOSLEEP:
		return syscall(SYS_nanosleep, &rel, rem);
	case CLOCK_REL:
		return syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &rel, rem);
	case CLOCK_ABS:
		clock_gettime(CLOCK_MONOTONIC, &abs);
		abs.tv_nsec += SLEEP_MS * 1000000L;
		if (abs.tv_nsec >= 1000000000L) {
			abs.tv_sec++;
			abs.tv_nsec -= 1000000000L;
		}
		return syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
	case POLL:
		return syscall(SYS_poll, &pfd, 1, SLEEP_MS);
	case PPOLL:
		return syscall(SYS_ppoll, &pfd, 1, &rel, NULL, 8);
	case SELECT:
		return syscall(SYS_select, rfd + 1, &set, NULL, NULL, &tv);
	case PSELECT6:
		return syscall(SYS_pselect6, rfd + 1, &set, NULL, NULL, &rel, NULL);
	default:
		return syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0);
	}
}

/* The child: one call, its outcome in the exit status. */
static void child(enum call c, int rfd)
{
	struct timespec rem = {-1, -1};
	uint64_t t0 = now_ms();
	long r = do_call(c, rfd, &rem);
	int e = errno;
	uint64_t took = now_ms() - t0;
	int out = 0;

	if ((c == FUTEX && r == -1 && e == ETIMEDOUT) || (c != FUTEX && r == 0))
		out |= R_TIMEOUT;
	if (r == -1 && e == EINTR)
		out |= R_EINTR;
	if (took >= SLEEP_MS)
		out |= R_FULL;
	if (took < SLEEP_MS + 180)
		out |= R_NOT_LONG;
	if (rem.tv_sec == 0 && rem.tv_nsec > 0 && rem.tv_nsec < SLEEP_MS * 1000000L)
		out |= R_REM;
	_exit(out);
}

static const char *facts(int st)
{
	static char buf[128];
	if (!WIFEXITED(st))
		return status_str(st);
	int v = WEXITSTATUS(st);
	snprintf(buf, sizeof buf, "%s%s%s%s%s", v & R_TIMEOUT ? " timeout-result" : "",
	         v & R_EINTR ? " EINTR" : "", v & R_FULL ? " full" : " short",
	         v & R_NOT_LONG ? "" : " too-long", v & R_REM ? " rem" : "");
	return buf;
}

static int run(enum call c, int stopsig, int *p)
{
	pid_t pid = fork_flushed();
	if (pid == 0) {
		struct sigaction sa = {0};
		sa.sa_handler = on_usr1;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		close(p[1]);
		child(c, p[0]);
	}
	usleep(100000);
	if (stopsig) {
		int st;
		kill(pid, stopsig);
		waitpid(pid, &st, WUNTRACED);
		usleep(100000);
		kill(pid, SIGCONT);
	} else {
		kill(pid, SIGUSR1);
	}
	return reap(pid);
}

int main(void)
{
	int p[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	require_fork();
	start_watchdog(30);
	if (pipe(p) < 0) {
		printf("FAIL pipe\n");
		return 1;
	}
	for (int c = 0; c < NCALLS; c++) {
		/* Linux writes the time left when the stop interrupts a
		 * relative sleep, then goes on. */
		int rem = c == NANOSLEEP || c == CLOCK_REL ? R_REM : 0;
		int stopsig = c % 2 ? SIGTSTP : SIGSTOP;
		int st = run(c, stopsig, p);
		CHECK(exited_with(st, R_TIMEOUT | R_FULL | R_NOT_LONG | rem),
		      "%s, stopped by %s and continued: ends at its deadline, no EINTR%s (%s)",
		      names[c], stopsig == SIGSTOP ? "SIGSTOP" : "SIGTSTP",
		      rem ? ", rem written" : "", facts(st));
	}
	for (int c = 0; c < NCALLS; c++) {
		int want = R_EINTR | R_NOT_LONG | (c == NANOSLEEP || c == CLOCK_REL ? R_REM : 0);
		int st = run(c, 0, p);
		CHECK(exited_with(st, want), "%s, a handler with SA_RESTART: EINTR%s (%s)",
		      names[c], want & R_REM ? ", the time left in rem" : "", facts(st));
	}
	return check_failures ? 1 : 0;
}
