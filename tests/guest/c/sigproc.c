/*
 * Signals between processes and blocking calls: SIGPIPE and EPIPE, EINTR
 * versus SA_RESTART (read on a pipe, nanosleep, wait4), rt_sigsuspend,
 * sigtimedwait/sigwaitinfo (a signal from another process, SIGCHLD,
 * queued real-time signals, the timeout), pause, alarm and the
 * ITIMER_REAL interval timer (getitimer, not inherited by fork).
 */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

static volatile int hits;

static void on_sig(int sig)
{
	hits++;
}

static void handle(int sig, int flags)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_sig;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

static void timer_ms(int first, int interval)
{
	struct itimerval it = {{interval / 1000, interval % 1000 * 1000},
	                       {first / 1000, first % 1000 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void test_sigpipe(void)
{
	int p[2], st;

	pipe(p);
	close(p[0]);
	pid_t pid = fork_flushed();
	if (pid == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	st = reap(pid);
	CHECK(killed_by(st, SIGPIPE), "a write to a pipe without readers kills with SIGPIPE (%s)",
	      status_str(st));

	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);

	/* blocked: EPIPE, and SIGPIPE left pending */
	block(SIGPIPE, SIG_BLOCK);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	sigset_t pend;
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGPIPE), "with SIGPIPE blocked, it is left pending");
	signal(SIGPIPE, SIG_IGN); /* discard it */
	block(SIGPIPE, SIG_UNBLOCK);
	signal(SIGPIPE, SIG_DFL);

	/* handled: the handler runs and write gives EPIPE */
	handle(SIGPIPE, 0);
	hits = 0;
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	CHECK(hits == 1, "a SIGPIPE handler ran once");
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

static void test_eintr(void)
{
	int p[2];
	char buf[16];

	/* no SA_RESTART: a blocking read gives EINTR (the timer repeats, so it
	 * also fires after the read blocked) */
	handle(SIGALRM, 0);
	pipe(p);
	hits = 0;
	timer_ms(30, 30);
	CHECK_ERR(read(p[0], buf, sizeof buf), EINTR);
	timer_ms(0, 0);
	CHECK(hits >= 1, "the handler ran before read returned EINTR");

	/* SA_RESTART: the read goes on and returns the data a child writes
	 * after signalling us several times */
	handle(SIGUSR1, SA_RESTART);
	hits = 0;
	pid_t parent = getpid();
	pid_t pid = fork_flushed();
	if (pid == 0) {
		for (int i = 0; i < 3; i++) {
			usleep(30000);
			kill(parent, SIGUSR1);
		}
		usleep(30000);
		write(p[1], "data", 4);
		_exit(0);
	}
	ssize_t n = read(p[0], buf, sizeof buf);
	CHECK(n == 4 && memcmp(buf, "data", 4) == 0,
	      "SA_RESTART: read continues after the handler and returns the data");
	CHECK(hits == 3, "the handler ran three times");
	reap(pid);

	/* nanosleep is never restarted */
	handle(SIGALRM, SA_RESTART);
	hits = 0;
	timer_ms(30, 0);
	struct timespec ts = {5, 0}, rem = {0, 0};
	CHECK_ERR(nanosleep(&ts, &rem), EINTR);
	CHECK(hits == 1 && rem.tv_sec >= 3 && rem.tv_sec <= 5,
	      "nanosleep with SA_RESTART: EINTR and the remaining time");

	/* wait4: EINTR without SA_RESTART, restarted with it */
	handle(SIGALRM, 0);
	pid = fork_flushed();
	if (pid == 0) {
		usleep(200000);
		_exit(5);
	}
	timer_ms(30, 0);
	int st;
	CHECK_ERR(waitpid(pid, &st, 0), EINTR);
	handle(SIGALRM, SA_RESTART);
	hits = 0;
	timer_ms(30, 0);
	CHECK(waitpid(pid, &st, 0) == pid && exited_with(st, 5) && hits == 1,
	      "waitpid with SA_RESTART: restarted after the handler, gets the child");
	signal(SIGALRM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

static void test_sigsuspend(void)
{
	sigset_t empty, cur;

	sigemptyset(&empty);
	handle(SIGUSR1, 0);
	block(SIGUSR1, SIG_BLOCK);
	hits = 0;
	raise(SIGUSR1);
	CHECK(hits == 0, "a blocked signal waits");
	CHECK_ERR(sigsuspend(&empty), EINTR);
	CHECK(hits == 1, "sigsuspend: a pending signal runs its handler at once");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "sigsuspend restores the old mask");

	/* waiting for a signal sent later by another process */
	hits = 0;
	pid_t parent = getpid();
	pid_t pid = fork_flushed();
	if (pid == 0) {
		usleep(30000);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK_ERR(sigsuspend(&empty), EINTR);
	CHECK(hits == 1, "sigsuspend woken by another process's signal");
	reap(pid);

	/* the temporary mask applies while waiting: SIGUSR2 blocked in it */
	handle(SIGUSR2, 0);
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	block(SIGUSR2, SIG_BLOCK);
	raise(SIGUSR2);
	hits = 0;
	pid = fork_flushed();
	if (pid == 0) {
		usleep(30000);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK_ERR(sigsuspend(&only2), EINTR);
	sigset_t pend;
	sigpending(&pend);
	CHECK(hits == 1 && sigismember(&pend, SIGUSR2),
	      "sigsuspend's mask keeps SIGUSR2 pending while SIGUSR1 wakes it");
	reap(pid);
	hits = 0;
	block(SIGUSR2, SIG_UNBLOCK);
	CHECK(hits == 1, "unblocking SIGUSR2 runs its handler");
	block(SIGUSR1, SIG_UNBLOCK);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

static void test_sigwait(void)
{
	sigset_t set;
	siginfo_t si;
	struct timespec ts = {0, 50000000};
	pid_t parent = getpid();

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	CHECK_ERR(sigtimedwait(&set, &si, &ts), EAGAIN);
	struct timespec bad = {0, 1000000000};
	CHECK_ERR(sigtimedwait(&set, &si, &bad), EINVAL);

	kill(getpid(), SIGUSR2);
	memset(&si, 0, sizeof si);
	CHECK(sigtimedwait(&set, &si, &ts) == SIGUSR2 && si.si_signo == SIGUSR2 &&
	          si.si_code == SI_USER && si.si_pid == getpid() && si.si_uid == getuid(),
	      "sigtimedwait: our own kill, SI_USER, si_pid, si_uid");
	sigset_t pend;
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR2), "the accepted signal is no longer pending");

	pid_t pid = fork_flushed();
	if (pid == 0) {
		usleep(30000);
		kill(parent, SIGUSR2);
		/* exit while the parent waits again: the exit's SIGCHLD must
		 * wake a waiting sigtimedwait */
		usleep(50000);
		_exit(6);
	}
	memset(&si, 0, sizeof si);
	CHECK(sigwaitinfo(&set, &si) == SIGUSR2 && si.si_pid == pid && si.si_code == SI_USER,
	      "sigwaitinfo: a signal from a child, si_pid the child's");
	memset(&si, 0, sizeof si);
	struct timespec ten = {10, 0}; /* a limit, so that a lost SIGCHLD fails, not hangs */
	CHECK(sigtimedwait(&set, &si, &ten) == SIGCHLD && si.si_pid == pid &&
	          si.si_code == CLD_EXITED && si.si_status == 6,
	      "sigtimedwait: then the SIGCHLD of its exit, CLD_EXITED, si_status 6");
	CHECK(exited_with(reap(pid), 6), "and the child is reaped");

	/* real-time signals queue, in order, with their values */
	int order_ok = 1;
	for (int i = 1; i <= 3; i++)
		sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = i * 10});
	for (int i = 1; i <= 3; i++) {
		memset(&si, 0, sizeof si);
		if (sigtimedwait(&set, &si, &ts) != SIGRTMIN + 1 || si.si_code != SI_QUEUE ||
		    si.si_value.sival_int != i * 10)
			order_ok = 0;
	}
	CHECK(order_ok, "three queued SIGRTMIN+1 come back in order with their values");
	CHECK_ERR(sigtimedwait(&set, &si, &ts), EAGAIN);

	/* standard signals do not queue */
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR2);
	CHECK(sigtimedwait(&set, &si, &ts) == SIGUSR2, "two SIGUSR2 sent, one accepted");
	CHECK_ERR(sigtimedwait(&set, &si, &ts), EAGAIN);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void test_pause_alarm(void)
{
	struct itimerval it;

	handle(SIGALRM, 0);
	hits = 0;
	timer_ms(30, 0);
	CHECK_ERR(pause(), EINTR);
	CHECK(hits == 1, "pause returns after the handler of SIGALRM");

	CHECK(alarm(10) == 0, "alarm(10) with no alarm pending returns 0");
	CHECK(alarm(5) == 10, "alarm(5) returns the 10 s left of the previous alarm");
	getitimer(ITIMER_REAL, &it);
	CHECK(it.it_value.tv_sec >= 4 && it.it_value.tv_sec <= 5 && it.it_interval.tv_sec == 0,
	      "getitimer sees the alarm");
	CHECK(alarm(0) == 5, "alarm(0) cancels it and returns 5");
	getitimer(ITIMER_REAL, &it);
	CHECK(it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0, "no timer left");
	hits = 0;
	alarm(1);
	while (hits == 0)
		pause();
	CHECK(hits == 1, "alarm(1): SIGALRM arrives");

	/* an interval timer: five expiries, then disabled */
	sigset_t set, empty;
	sigemptyset(&empty);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	hits = 0;
	timer_ms(20, 20);
	getitimer(ITIMER_REAL, &it);
	CHECK(it.it_interval.tv_sec == 0 && it.it_interval.tv_usec == 20000 &&
	          it.it_value.tv_sec == 0 && it.it_value.tv_usec > 0 &&
	          it.it_value.tv_usec <= 20000,
	      "getitimer: interval 20 ms, value at most 20 ms");
	while (hits < 5)
		sigsuspend(&empty);
	struct itimerval zero = {{0, 0}, {0, 0}}, old;
	setitimer(ITIMER_REAL, &zero, &old);
	CHECK(old.it_interval.tv_usec == 20000, "setitimer returns the old interval");
	CHECK(hits == 5, "five expiries of the 20 ms interval timer");
	usleep(60000);
	sigset_t pend;
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGALRM), "no expiry after the timer was disabled");
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	struct itimerval badit = {{0, 0}, {0, 1000000}};
	CHECK_ERR(setitimer(ITIMER_REAL, &badit, NULL), EINVAL);
	CHECK_ERR(setitimer(7, &zero, NULL), EINVAL);

	/* timers are not inherited by fork */
	timer_ms(2000, 0);
	pid_t pid = fork_flushed();
	if (pid == 0) {
		struct itimerval c;
		getitimer(ITIMER_REAL, &c);
		_exit(c.it_value.tv_sec == 0 && c.it_value.tv_usec == 0 && alarm(0) == 0 ? 0 : 1);
	}
	int st = reap(pid);
	CHECK(exited_with(st, 0), "a forked child has no timer (%s)", status_str(st));
	CHECK(alarm(0) == 2, "the parent's timer is still there");
	signal(SIGALRM, SIG_DFL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	require_fork();
	test_sigpipe();
	test_eintr();
	test_sigsuspend();
	test_sigwait();
	test_pause_alarm();
	return check_done();
}
