/*
 * signalfd: blocked signals read as struct signalfd_siginfo instead of
 * delivered — from raise (SI_TKILL), kill (SI_USER), sigqueue (queued,
 * with their value) and a child's exit (SIGCHLD: pid, status); several in
 * one read; EAGAIN and EINVAL on read; readiness through poll and epoll;
 * a thread blocked in read woken by a process-directed signal; the mask
 * changed through signalfd4 on the same fd; and the errors of signalfd4.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int sfd;

static void *reader(void *arg)
{
	struct signalfd_siginfo si;
	ssize_t n = read(sfd, &si, sizeof si);
	*(int *)arg = n == (ssize_t)sizeof si ? (int)si.ssi_signo : -1;
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);

	CHECK(signalfd(-1, &set, 0x10) < 0 && errno == EINVAL, "unknown flag: EINVAL");
	CHECK(syscall(SYS_signalfd4, -1, &set, 4, 0) < 0 && errno == EINVAL, "mask size 4: EINVAL");
	CHECK(syscall(SYS_signalfd4, -1, NULL, 8, 0) < 0 && errno == EFAULT, "NULL mask: EFAULT");
	CHECK(signalfd(99, &set, 0) < 0 && errno == EBADF, "fd 99: EBADF");
	CHECK(signalfd(1, &set, 0) < 0 && errno == EINVAL, "stdout is no signalfd: EINVAL");
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK(sfd >= 0 && (fcntl(sfd, F_GETFD) & FD_CLOEXEC), "signalfd(SFD_NONBLOCK|SFD_CLOEXEC)");

	struct signalfd_siginfo si[4];
	CHECK(read(sfd, si, sizeof si) < 0 && errno == EAGAIN, "nothing pending: EAGAIN");
	CHECK(read(sfd, si, 100) < 0 && errno == EINVAL, "a buffer under 128 bytes: EINVAL");
	struct pollfd pf = {.fd = sfd, .events = POLLIN};
	CHECK(poll(&pf, 1, 0) == 0, "poll: not readable");

	raise(SIGUSR1);
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "poll: readable after raise");
	CHECK(read(sfd, si, sizeof si) == sizeof si[0] && si[0].ssi_signo == SIGUSR1 &&
	          si[0].ssi_code == SI_TKILL && si[0].ssi_pid == (uint32_t)getpid() &&
	          si[0].ssi_uid == getuid(),
	      "raise: SIGUSR1, SI_TKILL, our pid and uid");
	kill(getpid(), SIGUSR2);
	CHECK(read(sfd, si, sizeof si) == sizeof si[0] && si[0].ssi_signo == SIGUSR2 &&
	          si[0].ssi_code == SI_USER,
	      "kill: SIGUSR2, SI_USER");
	union sigval v = {.sival_int = 42};
	sigqueue(getpid(), SIGRTMIN, v);
	v.sival_int = 43;
	sigqueue(getpid(), SIGRTMIN, v);
	ssize_t n = read(sfd, si, sizeof si);
	CHECK(n == 2 * sizeof si[0] && si[0].ssi_int == 42 && si[1].ssi_int == 43 &&
	          si[0].ssi_code == SI_QUEUE,
	      "two queued real-time signals in one read, values in order");

	pid_t child = fork();
	if (child == 0)
		_exit(7);
	pf.revents = 0;
	CHECK(poll(&pf, 1, 5000) == 1, "poll waits for SIGCHLD");
	CHECK(read(sfd, si, sizeof si) == sizeof si[0] && si[0].ssi_signo == SIGCHLD &&
	          si[0].ssi_code == CLD_EXITED && si[0].ssi_pid == (uint32_t)child &&
	          si[0].ssi_status == 7,
	      "SIGCHLD: CLD_EXITED, the child's pid, status 7");
	waitpid(child, NULL, 0);

	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "epoll: nothing");
	raise(SIGUSR2);
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && out.data.u32 == 5, "epoll: the signalfd");
	read(sfd, si, sizeof si);
	close(ep);

	/* A blocking read in a thread, woken by a process-directed signal. */
	fcntl(sfd, F_SETFL, 0);
	int got = 0;
	pthread_t th;
	pthread_create(&th, NULL, reader, &got);
	usleep(30000);
	kill(getpid(), SIGUSR1);
	pthread_join(th, NULL);
	CHECK(got == SIGUSR1, "a thread blocked in read gets it");

	/* The mask changed on the same fd. */
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	CHECK(signalfd(sfd, &only2, 0) == sfd, "signalfd on the same fd changes its mask");
	fcntl(sfd, F_SETFL, O_NONBLOCK);
	raise(SIGUSR1);
	CHECK(read(sfd, si, sizeof si) < 0 && errno == EAGAIN, "SIGUSR1 is no longer read");
	sigset_t pend;
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR1), "and stays pending");
	sigset_t all;
	sigfillset(&all);
	int sfd2 = signalfd(-1, &all, SFD_NONBLOCK);
	CHECK(sfd2 >= 0 && read(sfd2, si, sizeof si) == sizeof si[0] && si[0].ssi_signo == SIGUSR1,
	      "a full mask (SIGKILL and SIGSTOP left out) reads it");
	close(sfd2);
	close(sfd);
	return check_done();
}
