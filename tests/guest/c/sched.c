/*
 * Scheduling policy calls (sched_setscheduler, sched_setparam and their
 * getters: per thread, inherited, SCHED_RESET_ON_FORK, the errors and the
 * privilege rule), and the small fd calls syncfs, sync_file_range and
 * readahead, and unshare(CLONE_FILES | CLONE_FS).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static int policy_of(pid_t tid)
{
	return (int)syscall(SYS_sched_getscheduler, tid);
}

static int prio_of(pid_t tid)
{
	struct sched_param sp;
	memset(&sp, 0, sizeof sp);
	sp.sched_priority = -1;
	syscall(SYS_sched_getparam, tid, &sp);
	return sp.sched_priority;
}

static void *thread_policy(void *arg)
{
	return (void *)(long)(policy_of(0) * 1000 + prio_of(0));
}

static void policies(void)
{
	struct sched_param sp;
	memset(&sp, 0, sizeof sp);
	CHECK(policy_of(0) == SCHED_OTHER && prio_of(0) == 0, "a new process is SCHED_OTHER, 0");
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, 42, &sp), EINVAL);
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, -1, &sp), EINVAL);
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_sched_setscheduler, -1, SCHED_OTHER, &sp), EINVAL);
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_sched_setscheduler, 4000000, SCHED_OTHER, &sp), ESRCH);
	sp.sched_priority = 5;
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp), EINVAL);
	sp.sched_priority = 0;
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp), EINVAL);
	sp.sched_priority = 100;
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_RR, &sp), EINVAL);
	sp.sched_priority = 0;
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_DEADLINE, &sp), EINVAL);

	CHECK_OK(syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp));
	CHECK(policy_of(0) == SCHED_BATCH, "SCHED_BATCH is kept");
	CHECK_OK(syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &sp));
	CHECK(policy_of(getpid()) == SCHED_IDLE, "SCHED_IDLE, read by pid");
	pthread_t th;
	void *ret;
	pthread_create(&th, NULL, thread_policy, NULL);
	pthread_join(th, &ret);
	CHECK((long)ret == SCHED_IDLE * 1000, "a new thread inherits it");
	CHECK_OK(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp));

	if (geteuid() == 0) {
		sp.sched_priority = 10;
		CHECK_OK(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp));
		CHECK(policy_of(0) == (SCHED_FIFO | SCHED_RESET_ON_FORK) && prio_of(0) == 10,
		      "root: SCHED_FIFO 10 with SCHED_RESET_ON_FORK");
		sp.sched_priority = 20;
		CHECK_OK(syscall(SYS_sched_setparam, 0, &sp));
		CHECK(prio_of(0) == 20, "sched_setparam changes the priority only");
		sp.sched_priority = 0;
		CHECK_ERR(syscall(SYS_sched_setparam, 0, &sp), EINVAL);
		pid_t pid = fork();
		if (pid == 0)
			_exit(policy_of(0) == SCHED_OTHER && prio_of(0) == 0 ? 0 : 1);
		int st;
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child is reset to SCHED_OTHER");
		CHECK_OK(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp));
		CHECK(policy_of(0) == SCHED_OTHER, "and back: root may clear the reset flag");
	} else {
		sp.sched_priority = 10;
		CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp), EPERM);
	}
}

static void fdcalls(void)
{
	char path[] = "/tmp/sched.XXXXXX";
	int fd = mkstemp(path), p[2];
	unlink(path);
	(void)!pipe(p);
	CHECK_OK(syncfs(fd));
	CHECK_ERR(syncfs(999), EBADF);
	CHECK_OK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	CHECK_ERR(sync_file_range(fd, 0, 0, 8), EINVAL);
	CHECK_ERR(sync_file_range(fd, -1, 0, 0), EINVAL);
	CHECK_ERR(sync_file_range(fd, 10, -5, 0), EINVAL);
	CHECK_ERR(sync_file_range(999, 0, 0, 0), EBADF);
	CHECK_ERR(sync_file_range(p[0], 0, 0, 0), ESPIPE);
	CHECK_OK(readahead(fd, 0, 4096));
	CHECK_ERR(readahead(p[0], 0, 4096), EINVAL);
	CHECK_ERR(readahead(p[1], 0, 4096), EBADF);
	CHECK_ERR(readahead(999, 0, 4096), EBADF);
	close(fd);
	close(p[0]);
	close(p[1]);
}

static char stack[64 * 1024];

/* A CLONE_FILES|CLONE_FS child unshares both, then closes fd 0's copy
 * and changes directory: the parent keeps its fd and its cwd. */
static int unsharer(void *arg)
{
	if (syscall(SYS_unshare, CLONE_FILES | CLONE_FS) != 0)
		return 1;
	close(0);
	return chdir("/tmp") == 0 ? 0 : 2;
}

static void unshares(void)
{
	CHECK_OK(syscall(SYS_unshare, 0));
	CHECK_OK(syscall(SYS_unshare, CLONE_FILES | CLONE_FS | CLONE_SYSVSEM));
	CHECK_ERR(syscall(SYS_unshare, 0x1), EINVAL);
	CHECK_OK(syscall(SYS_unshare, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM));
	CHECK(1, "a single-threaded process may unshare thread, handlers and memory");
	char before[256], after[256];
	(void)!chdir("/");
	(void)!getcwd(before, sizeof before);
	int fd0 = dup(0);
	pid_t pid = clone(unsharer, stack + sizeof stack, CLONE_FILES | CLONE_FS | SIGCHLD, NULL);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the sharing child unshared and changed");
	(void)!getcwd(after, sizeof after);
	CHECK(fcntl(0, F_GETFD) >= 0 && !strcmp(before, after),
	      "the parent's fd 0 and cwd are untouched");
	close(fd0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	policies();
	fdcalls();
	unshares();
	return check_done();
}
