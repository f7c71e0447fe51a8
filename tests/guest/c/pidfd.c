/*
 * pidfds: pidfd_open and its errors, poll (nothing while the child runs,
 * POLLIN once it exited, POLLHUP too once reaped), pidfd_send_signal
 * (to a running child, to a zombie, to a reaped one, with a siginfo),
 * waitid(P_PIDFD) blocking and with a nonblocking pidfd, clone3 and
 * clone with CLONE_PIDFD, and pidfd_getfd.  Called through syscall(2):
 * not every C library wraps them.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#define SYS_pidfd_send_signal 424
#define SYS_pidfd_getfd 438
#endif
#define P_PIDFD_ 3
#define CLONE_PIDFD_ 0x1000

static int pidfd_open_(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int send_(int fd, int sig, siginfo_t *si, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, si, flags);
}

static short revents(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void basics(void)
{
	CHECK_ERR(pidfd_open_(0, 0), EINVAL);
	CHECK_ERR(pidfd_open_(-5, 0), EINVAL);
	CHECK_ERR(pidfd_open_(getpid(), 1), EINVAL);
	CHECK_ERR(pidfd_open_(4000000, 0), ESRCH);
	int self = pidfd_open_(getpid(), 0);
	CHECK(self >= 0 && fcntl(self, F_GETFD) == FD_CLOEXEC, "pidfd_open: close-on-exec");
	CHECK(revents(self, 0) == 0, "our own pidfd is not readable");
	CHECK_ERR(send_(self, SIGUSR1, NULL, 1u << 8), EINVAL);
	CHECK_ERR(send_(0, SIGUSR1, NULL, 0), EBADF);
	CHECK_ERR(send_(999, SIGUSR1, NULL, 0), EBADF);
	CHECK_OK(send_(self, 0, NULL, 0));
	CHECK_ERR(send_(self, 99, NULL, 0), EINVAL);
	close(self);

	pid_t pid = sleeper();
	int fd = pidfd_open_(pid, 0);
	CHECK(fd >= 0, "pidfd_open of a child");
	CHECK(revents(fd, 50) == 0, "not readable while the child runs");
	CHECK_OK(send_(fd, SIGTERM, NULL, 0));
	CHECK(revents(fd, 2000) == POLLIN, "POLLIN once it has exited");
	CHECK_OK(send_(fd, SIGTERM, NULL, 0)); /* a zombie: no error */
	siginfo_t si = {0};
	CHECK_OK(waitid(P_PIDFD_, fd, &si, WEXITED));
	CHECK(si.si_pid == pid && si.si_code == CLD_KILLED && si.si_status == SIGTERM,
	      "waitid(P_PIDFD) reaps it: killed by SIGTERM");
	CHECK(revents(fd, 0) == (POLLIN | POLLHUP), "POLLIN|POLLHUP once reaped");
	CHECK_ERR(send_(fd, SIGTERM, NULL, 0), ESRCH);
	CHECK_ERR(waitid(P_PIDFD_, fd, &si, WEXITED), ECHILD);
	close(fd);

	/* Not a pidfd. */
	CHECK_ERR(waitid(P_PIDFD_, 0, &si, WEXITED), EBADF);
	CHECK_ERR(waitid(P_PIDFD_, -1, &si, WEXITED), EINVAL);

	/* A forged siginfo may go only to oneself. */
	pid = sleeper();
	fd = pidfd_open_(pid, 0);
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	CHECK_ERR(send_(fd, SIGUSR1, &si, 0), EPERM);
	si.si_signo = SIGUSR2;
	CHECK_ERR(send_(fd, SIGUSR1, &si, 0), EINVAL);
	si.si_signo = SIGKILL;
	si.si_code = SI_QUEUE;
	CHECK_OK(send_(fd, SIGKILL, &si, 0));
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "SIGKILL with SI_QUEUE killed it");
	close(fd);
}

static void nonblocking(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(200);
		_exit(7);
	}
	int fd = pidfd_open_(pid, O_NONBLOCK);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "PIDFD_NONBLOCK");
	siginfo_t si;
	CHECK_ERR(waitid(P_PIDFD_, fd, &si, WEXITED), EAGAIN);
	si.si_pid = 1;
	CHECK(waitid(P_PIDFD_, fd, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0,
	      "with WNOHANG of its own: 0 and no child, not EAGAIN");
	CHECK(revents(fd, 3000) == POLLIN, "it becomes readable");
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PIDFD_, fd, &si, WEXITED));
	CHECK(si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 7,
	      "then waitid reaps it: exit 7");
	close(fd);
}

static void clones(void)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} ca;
	int pfd = -1;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_PIDFD_;
	ca.pidfd = (uint64_t)(uintptr_t)&pfd;
	ca.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		_exit(3);
	CHECK(pid > 0 && pfd >= 0 && fcntl(pfd, F_GETFD) == FD_CLOEXEC,
	      "clone3 CLONE_PIDFD: a close-on-exec pidfd");
	siginfo_t si = {0};
	CHECK_OK(waitid(P_PIDFD_, pfd, &si, WEXITED));
	CHECK(si.si_pid == pid && si.si_status == 3, "it names the child");
	close(pfd);

	ca.pidfd = 8; /* unwritable: no child is made */
	CHECK_ERR(syscall(SYS_clone3, &ca, sizeof ca), EFAULT);
	CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);

	/* clone(): the pidfd goes where parent_tid would. */
	pfd = -1;
	pid = syscall(SYS_clone, CLONE_PIDFD_ | SIGCHLD, 0, &pfd, 0, 0);
	if (pid == 0)
		_exit(4);
	CHECK(pid > 0 && pfd >= 0, "clone CLONE_PIDFD");
	CHECK_OK(waitid(P_PIDFD_, pfd, &si, WEXITED));
	CHECK(si.si_status == 4, "it names that child");
	close(pfd);
	CHECK_ERR(syscall(SYS_clone, CLONE_PIDFD_ | CLONE_PARENT_SETTID | SIGCHLD, 0, &pfd, 0, 0),
	          EINVAL);
}

static void getfd(void)
{
	int p[2];
	CHECK_OK(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		int q[2];
		(void)!pipe(q); /* q[0] is the fd the parent takes: it equals p[0] */
		(void)!write(q[1], "via getfd", 9);
		(void)!write(p[1], "r", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	char c, buf[16] = {0};
	(void)!read(p[0], &c, 1);
	int fd = pidfd_open_(pid, 0);
	int got = (int)syscall(SYS_pidfd_getfd, fd, p[0], 0);
	CHECK(got >= 0 && fcntl(got, F_GETFD) == FD_CLOEXEC, "pidfd_getfd copies a child's fd");
	CHECK(read(got, buf, sizeof buf) == 9 && !strcmp(buf, "via getfd"),
	      "and reads what the child wrote into that pipe");
	CHECK_ERR(syscall(SYS_pidfd_getfd, fd, 500, 0), EBADF);
	CHECK_ERR(syscall(SYS_pidfd_getfd, fd, p[0], 1), EINVAL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK_ERR(syscall(SYS_pidfd_getfd, fd, p[0], 0), ESRCH);
	close(got);
	close(fd);
	close(p[0]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	basics();
	nonblocking();
	clones();
	getfd();
	return check_done();
}
