/*
 * Job control between a parent and its child: SIGSTOP and SIGCONT seen
 * through waitpid(WUNTRACED / WCONTINUED), waitid(WSTOPPED / WCONTINUED)
 * and SIGCHLD (CLD_STOPPED, CLD_CONTINUED, unless SA_NOCLDSTOP); a stopped
 * child still dies of SIGKILL; an orphaned process group is not stopped by
 * SIGTSTP/SIGTTIN/SIGTTOU (only by SIGSTOP); a background group writing
 * to an output that is not a terminal is not stopped.  Kept apart from wait.c so that a backend
 * without stop signals fails only here.
 */
#include <signal.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

static volatile int chld_code, chld_status, chld_hits;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	chld_hits++;
	chld_code = si->si_code;
	chld_status = si->si_status;
}

/* A child that sleeps for about 20 s unless stopped or killed. */
static pid_t worker(void)
{
	pid_t pid = fork_flushed();
	if (pid == 0) {
		for (int i = 0; i < 2000; i++)
			usleep(10000);
		_exit(0);
	}
	return pid;
}

int main(void)
{
	int st;
	siginfo_t si;
	struct sigaction sa = {0};
	sigset_t chld, empty;

	setvbuf(stdout, NULL, _IOLBF, 0);
	require_fork();
	start_watchdog(20);
	sigemptyset(&empty);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);

	pid_t pid = worker();
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "waitpid(WUNTRACED): stopped by SIGSTOP");
	CHECK(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0, "the stop is reported once");
	CHECK_OK(kill(pid, SIGCONT));
	CHECK(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st),
	      "waitpid(WCONTINUED): continued");
	CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED | WCONTINUED) == 0, "running again");

	CHECK_OK(kill(pid, SIGTSTP));
	memset(&si, 0, sizeof si);
	CHECK(waitid(P_PID, pid, &si, WSTOPPED) == 0 && si.si_pid == pid &&
	          si.si_code == CLD_STOPPED && si.si_status == SIGTSTP,
	      "waitid(WSTOPPED): CLD_STOPPED by SIGTSTP");
	kill(pid, SIGCONT);
	memset(&si, 0, sizeof si);
	CHECK(waitid(P_PID, pid, &si, WCONTINUED) == 0 && si.si_code == CLD_CONTINUED &&
	          si.si_status == SIGCONT,
	      "waitid(WCONTINUED): CLD_CONTINUED");

	/* a stopped child dies of SIGKILL */
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGKILL);
	st = reap(pid);
	CHECK(killed_by(st, SIGKILL), "a stopped child killed by SIGKILL (%s)", status_str(st));

	/* SIGCHLD for stop and continue, each taken before the next event (a
	 * second SIGCHLD would merge with a pending one) */
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	pid = worker();
	chld_hits = 0;
	kill(pid, SIGSTOP);
	while (chld_hits == 0)
		sigsuspend(&empty);
	CHECK(chld_hits == 1 && chld_code == CLD_STOPPED && chld_status == SIGSTOP,
	      "SIGCHLD with CLD_STOPPED");
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st), "and waitpid sees the stop");
	chld_hits = 0;
	kill(pid, SIGCONT);
	while (chld_hits == 0)
		sigsuspend(&empty);
	CHECK(chld_hits == 1 && chld_code == CLD_CONTINUED && chld_status == SIGCONT,
	      "SIGCHLD with CLD_CONTINUED");
	CHECK(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st),
	      "and waitpid sees the continue");

	/* SA_NOCLDSTOP: no SIGCHLD for stops */
	sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	chld_hits = 0;
	kill(pid, SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st), "stopped again");
	sigset_t pend;
	sigpending(&pend);
	CHECK(chld_hits == 0 && !sigismember(&pend, SIGCHLD), "SA_NOCLDSTOP: no SIGCHLD for it");
	kill(pid, SIGKILL);
	reap(pid);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	signal(SIGCHLD, SIG_DFL);

	/* SIGCONT with a handler, sent to a running child: the handler runs */
	int p[2];
	pipe(p);
	pid = fork_flushed();
	if (pid == 0) {
		struct sigaction h = {0};
		h.sa_sigaction = on_chld; /* any handler: it counts */
		h.sa_flags = SA_SIGINFO;
		sigaction(SIGCONT, &h, NULL);
		chld_hits = 0;
		write_byte(p[1], 'r');
		while (chld_hits == 0)
			pause();
		_exit(3);
	}
	read_byte(p[0]);
	kill(pid, SIGCONT);
	st = reap(pid);
	CHECK(exited_with(st, 3), "SIGCONT runs the child's handler (%s)", status_str(st));

	/* A new session's group is orphaned (its parent is in another
	 * session): Linux discards the terminal's stop signals there. */
	pid = fork_flushed();
	if (pid == 0) {
		setsid();
		raise(SIGTSTP);
		raise(SIGTTIN);
		raise(SIGTTOU);
		_exit(4);
	}
	if (waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st))
		kill(pid, SIGKILL);
	st = WIFSTOPPED(st) ? reap(pid) : st;
	CHECK(exited_with(st, 4),
	      "an orphaned group is not stopped by SIGTSTP, SIGTTIN, SIGTTOU (%s)", status_str(st));
	pid = fork_flushed();
	if (pid == 0) {
		setsid();
		raise(SIGSTOP);
		_exit(5);
	}
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "but SIGSTOP stops it");
	kill(pid, SIGCONT);
	st = reap(pid);
	CHECK(exited_with(st, 5), "and SIGCONT continues it (%s)", status_str(st));

	/* A background group (not orphaned: its parent is in this session)
	 * writing where no terminal is: no SIGTTOU, whatever TOSTOP is.  The
	 * line is the child's, printed while the parent waits. */
	pid = fork_flushed();
	if (pid == 0) {
		setpgid(0, 0);
		printf("ok   a background group writes to an output that is not a terminal\n");
		fflush(stdout);
		_exit(isatty(1) ? 7 : 6);
	}
	if (waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st))
		kill(pid, SIGKILL);
	st = WIFSTOPPED(st) ? reap(pid) : st;
	CHECK(exited_with(st, 6), "and is not stopped (%s)", status_str(st));
	return check_done();
}
