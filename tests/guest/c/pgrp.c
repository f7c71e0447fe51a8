/*
 * Process groups and sessions: getpgrp/getpgid/setpgid (a child into its
 * own group, EPERM, ESRCH, EINVAL, EACCES after exec), setsid/getsid,
 * signals to groups (kill(0, sig), kill(-pgid, sig), waitpid(0) and
 * waitpid(-pgid)), kill(pid, 0), ESRCH for a reaped pid, and the terminal
 * ioctls on things that are not terminals (ENOTTY).  The test's own group
 * and session ids are never printed or compared with a constant: the
 * runner decides them.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

/* A child that calls setpgid(0, 0) when SETPGRP, then says it is ready on
 * READY and pauses until killed. */
static pid_t pauser(int setpgrp, int ready)
{
	pid_t pid = fork_flushed();
	if (pid == 0) {
		if (setpgrp && setpgid(0, 0) != 0)
			_exit(1);
		write_byte(ready, 'r');
		for (;;)
			pause();
	}
	return pid;
}

static void test_ids(void)
{
	pid_t pg = getpgrp();
	CHECK(getpgid(0) == pg && getpgid(getpid()) == pg,
	      "getpgid(0) == getpgid(getpid()) == getpgrp()");
	CHECK(getsid(0) == getsid(getpid()), "getsid(0) == getsid(getpid())");
	CHECK_ERR(getpgid(-1), ESRCH);
	CHECK_ERR(getsid(-1), ESRCH);
	CHECK_ERR(setpgid(0, -1), EINVAL);
	CHECK_ERR(setpgid(-1, 0), EINVAL);
	/* the rest in a child: the test itself may be a session leader (the
	 * first process under Persona is), for which setpgid gives EPERM */
	pid_t pid = fork_flushed();
	if (pid == 0) {
		int bad = 0;
		if (setpgid(getppid(), 0) != -1 || errno != ESRCH)
			bad |= 1; /* our parent is not our child */
		if (setpgid(0, getpgrp()) != 0 || getpgrp() != pg)
			bad |= 2;
		_exit(bad);
	}
	int st = reap(pid);
	CHECK(exited_with(st, 0),
	      "child: setpgid(parent) gives ESRCH, setpgid(0, own group) is a no-op (%s)",
	      status_str(st));
}

static void test_child_group(void)
{
	int p[2], st;
	pid_t me_pg = getpgrp(), me_sid = getsid(0);

	pid_t pid = fork_flushed();
	if (pid == 0) {
		int bad = 0;
		if (getpgrp() != me_pg || getsid(0) != me_sid)
			bad |= 1;
		if (setpgid(0, 0) != 0 || getpgrp() != getpid())
			bad |= 2;
		if (getsid(0) != me_sid)
			bad |= 4;
		/* back into the parent's group: same session, allowed */
		if (setpgid(0, me_pg) != 0 || getpgrp() != me_pg)
			bad |= 8;
		/* a group that does not exist in the session */
		if (setpgid(0, getpid() + 100000) != -1 || errno != EPERM)
			bad |= 16;
		_exit(bad);
	}
	st = reap(pid);
	CHECK(exited_with(st, 0),
	      "child: inherits group and session, setpgid(0, 0), back, EPERM for a missing group "
	      "(%s)",
	      status_str(st));

	/* the parent moves a child into a new group */
	pipe(p);
	pid = pauser(0, p[1]);
	read_byte(p[0]);
	CHECK(getpgid(pid) == me_pg, "a new child is in our group");
	CHECK(setpgid(pid, pid) == 0 && getpgid(pid) == pid,
	      "the parent puts the child into its own group");
	CHECK(getsid(pid) == me_sid, "the child stays in our session");
	kill(pid, SIGKILL);
	reap(pid);
	CHECK_ERR(setpgid(pid, pid), ESRCH);
	CHECK_ERR(getpgid(pid), ESRCH);
	CHECK_ERR(getsid(pid), ESRCH);
	CHECK_ERR(kill(pid, 0), ESRCH);
	close(p[0]);
	close(p[1]);
}

static void test_setsid(void)
{
	int st, p[2];

	pid_t pid = fork_flushed();
	if (pid == 0) {
		int bad = 0;
		pid_t sid = setsid();
		if (sid != getpid())
			bad |= 1;
		if (getsid(0) != getpid() || getpgrp() != getpid())
			bad |= 2;
		if (setsid() != -1 || errno != EPERM)
			bad |= 4; /* already a session (and group) leader */
		if (setpgid(0, 0) != -1 || errno != EPERM)
			bad |= 8; /* a session leader cannot change its group */
		_exit(bad);
	}
	st = reap(pid);
	CHECK(exited_with(st, 0),
	      "child: setsid returns its pid, it leads session and group, a second setsid and "
	      "setpgid give EPERM (%s)",
	      status_str(st));

	pid = fork_flushed();
	if (pid == 0) {
		if (setpgid(0, 0) != 0)
			_exit(1);
		_exit(setsid() == -1 && errno == EPERM ? 0 : 2);
	}
	st = reap(pid);
	CHECK(exited_with(st, 0), "setsid in a group leader gives EPERM (%s)", status_str(st));

	/* from the parent: a child in another session */
	pipe(p);
	pid = fork_flushed();
	if (pid == 0) {
		setsid();
		write_byte(p[1], 'r');
		for (;;)
			pause();
	}
	read_byte(p[0]);
	CHECK(getsid(pid) == pid && getpgid(pid) == pid,
	      "getsid and getpgid of a session leader child");
	CHECK_ERR(setpgid(pid, getpgrp()), EPERM);
	CHECK_ERR(setpgid(pid, pid), EPERM);
	kill(pid, SIGKILL);
	reap(pid);
	close(p[0]);
	close(p[1]);
}

static void test_exec_then_setpgid(void)
{
	int p[2];

	pipe(p);
	pid_t pid = fork_flushed();
	if (pid == 0) {
		close(p[0]);
		/* the exec closes p[1]: the parent's end of file says the
		 * new image runs */
		fcntl(p[1], F_SETFD, FD_CLOEXEC);
		execve("/proc/self/exe", (char *[]){"pgrp", NULL},
		       (char *[]){"PGRP_MODE=pause", NULL});
		_exit(127);
	}
	close(p[1]);
	read_byte(p[0]); /* end of file at the exec */
	close(p[0]);
	CHECK_ERR(setpgid(pid, pid), EACCES);
	kill(pid, SIGKILL);
	int st = reap(pid);
	CHECK(killed_by(st, SIGKILL), "the exec'd child is killed (%s)", status_str(st));
}

static void test_group_signals(void)
{
	int p[2], st;

	/* kill(0, sig) reaches every process of the caller's group, the
	 * caller included */
	pid_t leader = fork_flushed();
	if (leader == 0) {
		int q[2];
		if (setpgid(0, 0) != 0)
			_exit(1);
		pipe(q);
		pauser(0, q[1]);
		read_byte(q[0]);
		kill(0, SIGUSR1);
		_exit(2);
	}
	/* the leader dies of its own SIGUSR1 too: it is in the group */
	st = reap(leader);
	CHECK(killed_by(st, SIGUSR1), "kill(0, SIGUSR1) reaches the sender itself (%s)",
	      status_str(st));

	leader = fork_flushed();
	if (leader == 0) {
		int q[2], bad = 0;
		if (setpgid(0, 0) != 0)
			_exit(1);
		signal(SIGUSR1, SIG_IGN);
		pipe(q);
		pid_t a = fork();
		if (a == 0) {
			signal(SIGUSR1, SIG_DFL);
			write_byte(q[1], 'r');
			for (;;)
				pause();
		}
		pid_t b = fork();
		if (b == 0) {
			signal(SIGUSR1, SIG_DFL);
			write_byte(q[1], 'r');
			for (;;)
				pause();
		}
		read_byte(q[0]);
		read_byte(q[0]);
		if (kill(0, SIGUSR1) != 0)
			bad |= 2;
		if (!killed_by(reap(a), SIGUSR1) || !killed_by(reap(b), SIGUSR1))
			bad |= 4;
		_exit(bad);
	}
	st = reap(leader);
	CHECK(exited_with(st, 0),
	      "kill(0, SIGUSR1) kills both group members; the sender ignores it (%s)",
	      status_str(st));

	/* kill(-pgid) from outside the group; waitpid(-pgid) and waitpid(0) */
	pipe(p);
	pid_t a = pauser(1, p[1]);
	read_byte(p[0]);
	pid_t b = fork_flushed();
	if (b == 0) {
		setpgid(0, a);
		write_byte(p[1], 'r');
		for (;;)
			pause();
	}
	read_byte(p[0]);
	CHECK(getpgid(a) == a && getpgid(b) == a, "two children in a group of their own");
	pid_t c = pauser(0, p[1]); /* one in our own group */
	read_byte(p[0]);
	CHECK(waitpid(-a, &st, WNOHANG) == 0, "waitpid(-pgid, WNOHANG) while they run gives 0");
	CHECK_OK(kill(-a, SIGTERM));
	int got = 0;
	for (int i = 0; i < 2; i++) {
		pid_t r = waitpid(-a, &st, 0);
		if ((r == a || r == b) && killed_by(st, SIGTERM))
			got++;
	}
	CHECK(got == 2, "kill(-pgid, SIGTERM) killed both; waitpid(-pgid) reaped both");
	CHECK_ERR(waitpid(-a, &st, WNOHANG), ECHILD);
	CHECK(kill(c, 0) == 0, "the child in our own group was not signalled");
	CHECK(waitpid(0, &st, WNOHANG) == 0, "waitpid(0, WNOHANG) sees our group's running child");
	kill(c, SIGKILL);
	CHECK(waitpid(0, &st, 0) == c && killed_by(st, SIGKILL), "waitpid(0) reaps it");
	CHECK_ERR(kill(-a, SIGTERM), ESRCH);
	CHECK_ERR(killpg(a, 0), ESRCH);
	CHECK_ERR(kill(c, SIGTERM), ESRCH);
	CHECK_ERR(kill(getpid(), 65), EINVAL);
	CHECK_OK(kill(getpid(), 0));
	CHECK_OK(kill(0, 0));
	close(p[0]);
	close(p[1]);
}

static void test_tty_ioctls(void)
{
	int p[2];
	struct termios t;
	struct winsize ws;
	pid_t pg;

	pipe(p);
	CHECK_ERR(ioctl(p[0], TCGETS, &t), ENOTTY);
	CHECK_ERR(ioctl(p[1], TCSETS, &t), ENOTTY);
	CHECK_ERR(ioctl(p[0], TIOCGPGRP, &pg), ENOTTY);
	CHECK_ERR(ioctl(p[0], TIOCSPGRP, &pg), ENOTTY);
	CHECK_ERR(ioctl(p[0], TIOCGWINSZ, &ws), ENOTTY);
	CHECK_ERR(tcgetpgrp(p[0]), ENOTTY);
	CHECK(!isatty(p[0]) && errno == ENOTTY, "isatty on a pipe: 0, ENOTTY");
	close(p[0]);
	close(p[1]);
	int fd = open("/dev/null", O_RDWR);
	CHECK_ERR(ioctl(fd, TCGETS, &t), ENOTTY);
	CHECK_ERR(ioctl(fd, TIOCGPGRP, &pg), ENOTTY);
	CHECK(!isatty(fd), "isatty(/dev/null) is 0");
	close(fd);
	fd = open("/proc/self/cmdline", O_RDONLY);
	CHECK_ERR(ioctl(fd, TCGETS, &t), ENOTTY);
	close(fd);
	CHECK_ERR(ioctl(99, TCGETS, &t), EBADF);
	CHECK(!isatty(0), "stdin (/dev/null from the runner) is no terminal");
}

int main(void)
{
	const char *mode = getenv("PGRP_MODE");

	if (mode && strcmp(mode, "pause") == 0)
		for (;;)
			pause();
	setvbuf(stdout, NULL, _IOLBF, 0);
	require_fork();
	test_ids();
	test_child_group();
	test_setsid();
	test_exec_then_setpgid();
	test_group_signals();
	test_tty_ioctls();
	return check_done();
}
