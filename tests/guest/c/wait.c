/*
 * Waiting for children: wait4/waitpid (WNOHANG, a pid, -1, ECHILD, EFAULT,
 * rusage), waitid (P_ALL, P_PID, WNOHANG, WNOWAIT, the siginfo fields),
 * exit statuses of exit, exit_group from a thread, a main thread exiting
 * before the others, deaths by signal; zombies until reaped, SIGCHLD with its
 * siginfo, SIGCHLD ignored and SA_NOCLDWAIT (automatic reaping), orphans
 * re-parented to a subreaper.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

/* A child that blocks until FD (a pipe's read end) gives end of file, then
 * exits CODE. */
static pid_t child_waiting_on(int fds[2], int code)
{
	pid_t pid = fork_flushed();
	if (pid == 0) {
		char c;
		close(fds[1]);
		while (read(fds[0], &c, 1) > 0)
			;
		_exit(code);
	}
	close(fds[0]);
	return pid;
}

/* A child that blocks for ever (until a signal kills it). */
static pid_t child_pausing(void)
{
	int p[2];
	if (pipe(p))
		return -1;
	pid_t pid = fork_flushed();
	if (pid == 0) {
		close(p[0]);
		close(p[1]); /* "I am about to pause" */
		for (;;)
			pause();
	}
	close(p[1]);
	read_byte(p[0]); /* end of file: the child runs */
	close(p[0]);
	return pid;
}

static void test_wait4(void)
{
	int p[2], st;
	struct rusage ru;

	CHECK_OK(pipe(p));
	pid_t pid = child_waiting_on(p, 3);
	st = -1;
	CHECK(wait4(pid, &st, WNOHANG, NULL) == 0, "wait4 WNOHANG on a running child gives 0");
	CHECK(waitpid(-1, &st, WNOHANG) == 0, "waitpid(-1, WNOHANG) on a running child gives 0");
	close(p[1]);
	memset(&ru, 0xff, sizeof ru);
	CHECK(wait4(pid, &st, 0, &ru) == pid && exited_with(st, 3),
	      "wait4 with a rusage blocks until the child exits 3 (%s)", status_str(st));
	CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
	          ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000,
	      "the rusage was filled in");
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD);
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	CHECK_ERR(waitpid(getppid(), &st, 0), ECHILD);
	CHECK_ERR(waitpid(-1, &st, 0x1000), EINVAL);

	/* exit codes are 8 bits */
	pid = fork_flushed();
	if (pid == 0)
		_exit(0x1ff);
	st = reap(pid);
	CHECK(exited_with(st, 255), "_exit(0x1ff) gives exit status 255 (%s)", status_str(st));
	pid = fork_flushed();
	if (pid == 0)
		exit(0);
	st = reap(pid);
	CHECK(st == 0, "exit(0) gives status 0");

	/* a bad status pointer: the child is reaped all the same */
	pid = fork_flushed();
	if (pid == 0)
		_exit(1);
	usleep(1000);
	CHECK_ERR(wait4(pid, (int *)8, 0, NULL), EFAULT);
	CHECK_ERR(waitpid(pid, NULL, WNOHANG), ECHILD);
}

static void test_signaled(void)
{
	int st;
	pid_t pid;

	pid = child_pausing();
	CHECK_OK(kill(pid, SIGKILL));
	st = reap(pid);
	CHECK(killed_by(st, SIGKILL), "a child killed by SIGKILL (%s)", status_str(st));
	pid = child_pausing();
	CHECK_OK(kill(pid, SIGTERM));
	st = reap(pid);
	CHECK(killed_by(st, SIGTERM), "a child killed by SIGTERM (%s)", status_str(st));

	pid = fork_flushed();
	if (pid == 0) {
		struct rlimit rl = {0, 0};
		setrlimit(RLIMIT_CORE, &rl);
		*(volatile int *)16 = 1;
		_exit(0);
	}
	st = reap(pid);
	CHECK(killed_by(st, SIGSEGV), "a child dying of its own SIGSEGV (%s)", status_str(st));
	pid = fork_flushed();
	if (pid == 0) {
		struct rlimit rl = {0, 0};
		setrlimit(RLIMIT_CORE, &rl);
		abort();
	}
	st = reap(pid);
	CHECK(killed_by(st, SIGABRT), "a child calling abort (%s)", status_str(st));

	/* a handled signal does not end the child; an ignored one neither */
	pid = fork_flushed();
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		raise(SIGTERM);
		_exit(4);
	}
	st = reap(pid);
	CHECK(exited_with(st, 4), "an ignored SIGTERM does not end the child (%s)", status_str(st));
}

static void *group_exit_thread(void *arg)
{
	syscall(SYS_exit_group, 6);
	return NULL;
}

static void *late_exit_thread(void *arg)
{
	usleep(50000);
	syscall(SYS_exit_group, 8);
	return NULL;
}

/* Not checked: the status when the main thread exits alone first and the
 * last thread then calls exit (not exit_group) -- kernels disagree (the
 * leader's code on older ones, the last thread's on newer ones). */

static void test_thread_exits(void)
{
	pthread_t t;
	int st;

	pid_t pid = fork_flushed();
	if (pid == 0) {
		pthread_create(&t, NULL, group_exit_thread, NULL);
		for (;;)
			pause();
	}
	st = reap(pid);
	CHECK(exited_with(st, 6), "exit_group(6) from a second thread ends the process (%s)",
	      status_str(st));

	pid = fork_flushed();
	if (pid == 0) {
		pthread_create(&t, NULL, late_exit_thread, NULL);
		syscall(SYS_exit, 2); /* the main thread alone */
	}
	st = reap(pid);
	CHECK(exited_with(st, 8),
	      "the main thread exits alone, a thread later calls exit_group(8): status 8 (%s)",
	      status_str(st));
}

static void test_waitpid_choice(void)
{
	int p1[2], p2[2], st;

	pipe(p1);
	pid_t a = child_waiting_on(p1, 21);
	pipe(p2); /* after the first fork, so that only the second child holds it */
	pid_t b = child_waiting_on(p2, 22);
	close(p2[1]);
	st = -1;
	CHECK(waitpid(b, &st, 0) == b && exited_with(st, 22),
	      "waitpid of the second child while the first still runs (%s)", status_str(st));
	CHECK(waitpid(a, &st, WNOHANG) == 0, "the first child is still running");
	close(p1[1]);
	CHECK(waitpid(-1, &st, 0) == a && exited_with(st, 21),
	      "waitpid(-1) then gives the first child (%s)", status_str(st));

	/* three children exited: waitpid(-1) returns each once */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork_flushed();
		if (kids[i] == 0)
			_exit(30 + i);
	}
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		pid_t r = waitpid(-1, &st, 0);
		for (int k = 0; k < 3; k++)
			if (r == kids[k] && exited_with(st, 30 + k))
				seen |= 1 << k;
	}
	CHECK(seen == 7, "waitpid(-1) reaps three children once each with their status");
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
}

static void test_waitid(void)
{
	int p[2];
	siginfo_t si;

	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	pipe(p);
	pid_t pid = child_waiting_on(p, 4);
	memset(&si, 0, sizeof si);
	si.si_pid = 12345;
	CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0,
	      "waitid WNOHANG on a running child: 0 and si_pid cleared");
	CHECK_ERR(waitid(P_PID, pid, &si, 0), EINVAL);
	CHECK_ERR(waitid(7, pid, &si, WEXITED), EINVAL);
	close(p[1]);
	memset(&si, 0, sizeof si);
	CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == pid &&
	          si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_status == 4,
	      "waitid WNOWAIT: si_signo SIGCHLD, si_pid, CLD_EXITED, si_status 4");
	CHECK(si.si_uid == getuid(), "waitid: si_uid is ours");
	CHECK(kill(pid, 0) == 0, "the zombie still exists for kill(pid, 0)");
	memset(&si, 0, sizeof si);
	CHECK(waitid(P_ALL, 0, &si, WEXITED) == 0 && si.si_pid == pid && si.si_status == 4,
	      "waitid P_ALL after WNOWAIT reports the same child again");
	CHECK_ERR(kill(pid, 0), ESRCH);
	CHECK_ERR(waitid(P_PID, pid, &si, WEXITED | WNOHANG), ECHILD);

	pid = child_pausing();
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof si);
	CHECK(waitid(P_PID, pid, &si, WEXITED) == 0 && si.si_pid == pid &&
	          si.si_code == CLD_KILLED && si.si_status == SIGKILL,
	      "waitid on a killed child: CLD_KILLED, si_status SIGKILL");

	/* WNOWAIT belongs to waitid: wait4 refuses it */
	pid = fork_flushed();
	if (pid == 0)
		_exit(0);
	int st;
	CHECK_ERR(waitpid(pid, &st, WNOWAIT), EINVAL);
	CHECK(waitpid(pid, &st, __WALL) == pid, "waitpid __WALL reaps an ordinary child");
}

static void test_zombie(void)
{
	int st;
	siginfo_t si;
	pid_t pid = fork_flushed();
	if (pid == 0)
		_exit(17);
	/* wait until it is a zombie without reaping it */
	for (int i = 0; i < 5000; i++) {
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			break;
		usleep(1000);
	}
	CHECK(si.si_pid == pid, "the exited child is waitable (WNOWAIT)");
	CHECK(kill(pid, 0) == 0, "kill(pid, 0) succeeds on a zombie");
	CHECK(kill(pid, SIGKILL) == 0, "kill(pid, SIGKILL) on a zombie succeeds and does nothing");
	st = reap(pid);
	CHECK(exited_with(st, 17), "the zombie is reaped with its own status 17 (%s)",
	      status_str(st));
	CHECK_ERR(kill(pid, 0), ESRCH);
	CHECK_ERR(getpgid(pid), ESRCH);
}

static volatile int chld_count, chld_code, chld_status, chld_pid_ok;
static pid_t chld_expect;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	chld_count++;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid_ok = si->si_pid == chld_expect;
}

static void test_sigchld(void)
{
	struct sigaction sa = {0};
	sigset_t block, empty;
	int st;

	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	chld_count = 0;
	pid_t pid = fork_flushed();
	if (pid == 0)
		_exit(9);
	chld_expect = pid;
	while (chld_count == 0)
		sigsuspend(&empty);
	CHECK(chld_count == 1 && chld_code == CLD_EXITED && chld_status == 9 && chld_pid_ok,
	      "SIGCHLD handler: si_pid, si_code CLD_EXITED, si_status 9");
	st = reap(pid);
	CHECK(exited_with(st, 9), "the child is still reaped by waitpid after SIGCHLD");

	chld_count = 0;
	pid = child_pausing();
	chld_expect = pid;
	kill(pid, SIGTERM);
	while (chld_count == 0)
		sigsuspend(&empty);
	CHECK(chld_code == CLD_KILLED && chld_status == SIGTERM && chld_pid_ok,
	      "SIGCHLD for a killed child: CLD_KILLED, si_status SIGTERM");
	reap(pid);
	sigprocmask(SIG_UNBLOCK, &block, NULL);

	/* SIGCHLD ignored: children are reaped by the kernel, wait blocks until
	 * they are gone and gives ECHILD */
	signal(SIGCHLD, SIG_IGN);
	pid = fork_flushed();
	if (pid == 0) {
		usleep(20000);
		_exit(1);
	}
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD);
	CHECK_ERR(kill(pid, 0), ESRCH);
	signal(SIGCHLD, SIG_DFL);

	/* SA_NOCLDWAIT with a handler: no zombie, but the signal comes */
	sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &block, NULL);
	chld_count = 0;
	pid = fork_flushed();
	if (pid == 0)
		_exit(2);
	chld_expect = pid;
	while (chld_count == 0)
		sigsuspend(&empty);
	CHECK(chld_code == CLD_EXITED && chld_status == 2 && chld_pid_ok,
	      "SA_NOCLDWAIT: the handler still gets SIGCHLD");
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGCHLD, SIG_DFL);

	/* SIGCHLD's default action is to ignore it: nothing happens */
	pid = fork_flushed();
	if (pid == 0)
		_exit(0);
	st = reap(pid);
	CHECK(st == 0, "default SIGCHLD leaves a zombie to reap, status 0");
}

/* An orphan goes to the nearest subreaper or to the namespace's init.  We
 * make ourselves a subreaper, so that natively the orphan comes to us
 * whatever runs the test; under Persona the first program is the init
 * (pid 1), so it comes to us there too, even if the prctl is refused. */
static void test_orphan(void)
{
	int p[2], q[2], st;
	pid_t top = getpid();

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pipe(p); /* grandchild to us */
	pipe(q); /* grandchild to the middle child */
	pid_t a = fork_flushed();
	if (a == 0) {
		pid_t me = getpid();
		pid_t b = fork();
		if (b == 0) {
			int bad = getppid() != me;
			write_byte(p[1], 'r');
			write_byte(q[1], 'r'); /* the middle child may exit now */
			/* wait (at most 10 s) for the re-parenting */
			for (int i = 0; i < 10000 && getppid() == me; i++)
				usleep(1000);
			write_byte(p[1], bad                ? 'B'
			                 : getppid() == me  ? 'N'
			                 : getppid() == top ? 'Y'
			                                    : 'O');
			_exit(0);
		}
		read_byte(q[0]);
		_exit(12);
	}
	close(q[0]);
	close(q[1]);
	st = reap(a);
	CHECK(exited_with(st, 12), "the middle child exits 12 (%s)", status_str(st));
	close(p[1]);
	int first = read_byte(p[0]);
	int verdict = read_byte(p[0]);
	CHECK(first == 'r', "the grandchild started with the middle child as parent");
	CHECK(verdict == 'Y', "the orphaned grandchild's parent is now us (verdict %c)", verdict);
	CHECK(read_byte(p[0]) == -1, "the grandchild closed its pipe");
	close(p[0]);
	pid_t r = waitpid(-1, &st, 0);
	CHECK(r > 0 && r != a && exited_with(st, 0), "we reap the adopted grandchild, status 0");
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	require_fork();
	start_watchdog(30);
	test_wait4();
	test_signaled();
	test_thread_exits();
	test_waitpid_choice();
	test_waitid();
	test_zombie();
	test_sigchld();
	test_orphan();
	return check_done();
}
