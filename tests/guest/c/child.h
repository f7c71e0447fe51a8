/*
 * Helpers shared by the process guest tests (fork, wait, exec, pgrp,
 * sigproc, jobctl).  A child never prints a check line of its own unless
 * the parent is blocked waiting for it: it reports through its exit status
 * or a pipe, so the output has one order natively and under Persona.
 */
#ifndef GUEST_CHILD_H
#define GUEST_CHILD_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* fork after flushing stdout, so that no buffered line is printed twice. */
static inline pid_t fork_flushed(void)
{
	fflush(stdout);
	fflush(stderr);
	return fork();
}

/* The wait status of PID (blocking), or -1 if waitpid failed. */
static inline int reap(pid_t pid)
{
	int st;
	pid_t r;

	if (pid <= 0) /* fork failed: waitpid(-1) would reap something else */
		return -1;
	do
		r = waitpid(pid, &st, 0);
	while (r == -1 && errno == EINTR);
	return r == pid ? st : -1;
}

/* Without fork nothing in these tests can work, and many checks would
 * block for ever waiting for a child: say so in one line and stop. */
static inline void require_fork(void)
{
	pid_t pid = fork_flushed();

	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		printf("FAIL fork: %s; nothing else can be checked\n", strerror(errno));
		exit(1);
	}
	reap(pid);
}

static inline void on_watchdog(int sig)
{
	static const char msg[] = "FAIL timed out waiting for a child or a signal\n";
	if (write(1, msg, sizeof msg - 1) < 0)
		_exit(2);
	_exit(1);
}

/* Some checks wait for a signal or a state change that a wrong
 * implementation never delivers: give up after SECONDS with a line saying
 * so, rather than at the runner's timeout.  (SIGALRM: only for tests that
 * use no alarm of their own.) */
static inline void start_watchdog(unsigned seconds)
{
	signal(SIGALRM, on_watchdog);
	alarm(seconds);
}

/* True when STATUS says the child called exit(CODE). */
static inline int exited_with(int status, int code)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

/* True when STATUS says the child was killed by SIG. */
static inline int killed_by(int status, int sig)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* A description of a wait status for FAIL lines (never printed on success,
 * so it may hold values that differ between runs). */
static inline const char *status_str(int st)
{
	static char buf[64];

	if (st == -1)
		snprintf(buf, sizeof buf, "waitpid failed: %s", strerror(errno));
	else if (WIFEXITED(st))
		snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof buf, "signal %d", WTERMSIG(st));
	else
		snprintf(buf, sizeof buf, "status 0x%x", st);
	return buf;
}

/* The number of threads of the calling process, from /proc/self/task. */
static inline int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Read exactly one byte from FD (retrying on EINTR): the byte, or -1. */
static inline int read_byte(int fd)
{
	unsigned char c;
	ssize_t r;

	do
		r = read(fd, &c, 1);
	while (r == -1 && errno == EINTR);
	return r == 1 ? c : -1;
}

static inline void write_byte(int fd, int c)
{
	unsigned char b = c;
	if (write(fd, &b, 1) != 1)
		_exit(120);
}

#endif
