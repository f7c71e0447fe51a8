/*
 * The Linux backend's one blocking wait: stops of the traced client
 * threads (waitpid), the core's timer (a timerfd), console input (poll on
 * stdin while the core asks for it) and the signals that ask the server
 * itself to stop or the terminal signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGTSTP, SIGWINCH, through a signalfd).  Events
 * found while the backend was busy with something else (an injection that
 * had to stop a running thread) wait in a queue and are handed out first.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx.h"

static int sig_fd = -1, timer_fd = -1;
static bool console_watched;
static uint64_t timer_deadline; /* armed deadline, 0: none */
/* Thread events in a row without a look at the other sources. */
static unsigned thread_streak;
#define FAIRNESS_STREAK 8

/* waitpid statuses collected by lx_wait_tid for other threads, in order. */
struct status {
	pid_t pid;
	int st;
};
static struct status *stash;
static size_t stash_len, stash_cap;

static struct plat_event *evq;
static size_t evq_len, evq_cap;

int lx_events_init(void)
{
	sigset_t set;

	/* Writing to a closed pipe is an error for the core to report, not
	 * the end of the server. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* The terminal's other signals (^\, ^Z, a resize) are the guest's
	 * too: the core decides where they go. */
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sig_fd < 0 || timer_fd < 0) {
		lx_set_error("cannot set up the server's event sources (%s)", strerror(errno));
		return -errno;
	}
	return 0;
}

/* ---- Queues ------------------------------------------------------------------- */
static int grow(void **arr, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

void lx_queue_event(const struct plat_event *ev)
{
	if (evq_len == evq_cap && grow((void **)&evq, &evq_cap, sizeof *evq) < 0) {
		lx_log("persona: linux backend: out of memory, event lost");
		return;
	}
	evq[evq_len++] = *ev;
}

void lx_unqueue_thread(struct plat_thread *th)
{
	size_t j = 0;
	for (size_t i = 0; i < evq_len; i++)
		if (evq[i].th != th)
			evq[j++] = evq[i];
	evq_len = j;
}

static void stash_status(pid_t pid, int st)
{
	if (stash_len == stash_cap && grow((void **)&stash, &stash_cap, sizeof *stash) < 0) {
		lx_log("persona: linux backend: out of memory, thread status lost");
		return;
	}
	stash[stash_len++] = (struct status){pid, st};
}

static bool unstash(pid_t pid, int *st)
{
	for (size_t i = 0; i < stash_len; i++) {
		if (pid <= 0 || stash[i].pid == pid) {
			*st = stash[i].st;
			memmove(&stash[i], &stash[i + 1], (stash_len - i - 1) * sizeof *stash);
			stash_len--;
			return true;
		}
	}
	return false;
}

int lx_wait_tid(pid_t tid, int *status)
{
	if (unstash(tid, status))
		return 0;
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid == tid) {
			*status = st;
			return 0;
		}
		if (pid > 0)
			stash_status(pid, st);
		else if (errno != EINTR)
			return -errno;
	}
}

/* ---- The wait ---------------------------------------------------------------------- */
static int thread_status(pid_t pid, int st, struct plat_event *ev)
{
	struct plat_thread *th = lx_thread_by_tid(pid);
	return th ? lx_handle_status(th, st, ev) : 0; /* a thread we let go */
}

static void read_signals(void)
{
	struct signalfd_siginfo si[8];
	ssize_t n;
	while ((n = read(sig_fd, si, sizeof si)) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
			if (si[i].ssi_signo == SIGCHLD)
				continue; /* waitpid tells the rest */
			struct plat_event ev = {.kind = EV_HOST_SIGNAL,
			                        .signo = (int)si[i].ssi_signo};
			lx_queue_event(&ev);
		}
	}
}

/* Look at the sources other than the threads, waiting up to timeout ms
 * (-1: until one of them, or a thread, has something). */
static int poll_sources(int timeout)
{
	struct pollfd p[3] = {
	    {.fd = sig_fd, .events = POLLIN},
	    {.fd = timer_fd, .events = POLLIN},
	    {.fd = 0, .events = POLLIN},
	};
	int n = poll(p, console_watched ? 3 : 2, timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents & POLLIN)
		read_signals();
	if (p[1].revents & POLLIN) {
		uint64_t ticks;
		if (read(timer_fd, &ticks, sizeof ticks) > 0 && timer_deadline &&
		    plat_clock_ns(1) >= timer_deadline) {
			struct plat_event ev = {.kind = EV_TIMER};
			timer_deadline = 0;
			lx_queue_event(&ev);
		}
	}
	if (console_watched && (p[2].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
		struct plat_event ev = {.kind = EV_CONSOLE};
		/* One event per watch: the core asks again when it wants more. */
		console_watched = false;
		lx_queue_event(&ev);
	}
	return 0;
}

static bool pop_event(struct plat_event *ev)
{
	if (!evq_len)
		return false;
	*ev = evq[0];
	memmove(&evq[0], &evq[1], (evq_len - 1) * sizeof *evq);
	evq_len--;
	return true;
}

int plat_wait_event(struct plat_event *ev)
{
	int st, r;

	if (sig_fd < 0)
		return -EINVAL; /* linux_plat_init was not called */
	for (;;) {
		if (pop_event(ev))
			return 0;
		if (stash_len) {
			pid_t pid = stash[0].pid;
			unstash(0, &st);
			if (thread_status(pid, st, ev))
				return 0;
			continue;
		}
		/* A client that keeps making system calls must not starve the
		 * timer, the console or Ctrl-C. */
		if (++thread_streak >= FAIRNESS_STREAK) {
			thread_streak = 0;
			r = poll_sources(0);
			if (r < 0)
				return r;
			if (evq_len)
				continue;
		}
		pid_t pid = waitpid(-1, &st, WNOHANG | __WALL);
		if (pid > 0 && lx_live_threads > 1) {
			/* waitpid always prefers the oldest tracee: take every
			 * status there is and serve them in turn, so that a
			 * busy thread cannot starve the others. */
			stash_status(pid, st);
			while ((pid = waitpid(-1, &st, WNOHANG | __WALL)) > 0)
				stash_status(pid, st);
			continue;
		}
		if (pid > 0) {
			if (thread_status(pid, st, ev))
				return 0;
			continue;
		}
		if (pid < 0 && errno != ECHILD && errno != EINTR)
			return -errno;
		/* Nothing from the threads yet: sleep on everything (a thread's
		 * stop arrives as SIGCHLD on the signalfd). */
		thread_streak = 0;
		r = poll_sources(-1);
		if (r < 0)
			return r;
	}
}

/* ---- Timer and console watch ----------------------------------------------------- */
void plat_timer_set(uint64_t deadline_ns)
{
	/* The core sets the timer before every wait: only changes cost a
	 * system call. */
	if (deadline_ns == timer_deadline || timer_fd < 0)
		return;
	timer_deadline = deadline_ns;
	struct itimerspec its = {
	    .it_value = {.tv_sec = (time_t)(deadline_ns / 1000000000ULL),
	                 .tv_nsec = (long)(deadline_ns % 1000000000ULL)},
	};
	timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void plat_console_watch(int on)
{
	console_watched = on != 0;
}
