/*
 * File locks between processes and threads: flock (shared, exclusive,
 * conversion, LOCK_NB, waiting, inherited descriptions, release at the
 * last close, a wait ended by a signal), POSIX record locks (conflicts
 * seen from a child with F_GETLK, merging and splitting ranges, SEEK_CUR
 * and SEEK_END ranges, F_SETLKW waiting, EDEADLK, the close-any-fd rule,
 * release at exit, threads sharing an owner) and OFD locks, with the
 * errors of each.  In a directory made by mkdtemp under /tmp.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static char path[64];

static int lk(int fd, int cmd, int type, int whence, long start, long len)
{
	struct flock fl = {
	    .l_type = (short)type, .l_whence = (short)whence, .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &fl);
}

/* F_GETLK for a write lock on [start, start+len): what conflicts, as text. */
static const char *probe(int fd, int cmd, long start, long len, int type)
{
	/* Several calls may feed one printf: a buffer each. */
	static char bufs[4][96];
	static int next;
	char *buf = bufs[next++ % 4];
	struct flock fl = {
	    .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	if (fcntl(fd, cmd, &fl) < 0)
		snprintf(buf, sizeof bufs[0], "error %s", errname(errno));
	else if (fl.l_type == F_UNLCK)
		snprintf(buf, sizeof bufs[0], "free");
	else
		snprintf(buf, sizeof bufs[0], "%s %ld+%ld pid %s", fl.l_type == F_WRLCK ? "W" : "R",
		         (long)fl.l_start, (long)fl.l_len,
		         fl.l_pid == getppid()  ? "parent"
		         : fl.l_pid == getpid() ? "self"
		         : fl.l_pid == -1       ? "-1"
		                                : "other");
	return buf;
}

/* Run fn in a child and wait for it; its exit status. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* ---- flock ---- */

static int child_flock_nb(void)
{
	int fd = open(path, O_RDONLY);
	int sh = flock(fd, LOCK_SH | LOCK_NB) == 0 ? 1 : errno == EWOULDBLOCK ? 2 : 3;
	return sh;
}

static void on_alarm(int sig) {}

static void flocks(void)
{
	int a = open(path, O_RDWR), b = open(path, O_RDWR);
	CHECK_ERR(flock(a, 0), EINVAL);
	CHECK_ERR(flock(a, LOCK_SH | LOCK_EX), EINVAL);
	CHECK_ERR(flock(a, LOCK_NB), EINVAL);
	CHECK_ERR(flock(999, LOCK_SH), EBADF);

	CHECK_OK(flock(a, LOCK_EX));
	CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	CHECK(in_child(child_flock_nb) == 2, "a child's own open cannot share it either");
	int d = dup(a);
	CHECK_OK(flock(d, LOCK_EX | LOCK_NB));
	CHECK(1, "a dup is the same description: it already holds the lock");
	close(d);
	CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_OK(flock(a, LOCK_SH)); /* convert */
	CHECK_OK(flock(b, LOCK_SH | LOCK_NB));
	CHECK(in_child(child_flock_nb) == 1, "shared locks share: the child gets one too");
	CHECK_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_OK(flock(b, LOCK_UN));
	CHECK_OK(flock(a, LOCK_EX | LOCK_NB));

	/* A forked child inherits the description: its unlock is ours. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(flock(a, LOCK_UN) == 0 ? 0 : 1);
	waitpid(pid, NULL, 0);
	CHECK_OK(flock(b, LOCK_EX | LOCK_NB));
	CHECK(1, "the child's LOCK_UN on the inherited fd released it");
	close(b); /* the last reference: released */
	CHECK_OK(flock(a, LOCK_EX | LOCK_NB));

	/* Waiting: a child holds it for a while. */
	int p[2];
	(void)!pipe(p);
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDONLY);
		flock(fd, LOCK_EX);
		(void)!write(p[1], "x", 1);
		sleep_ms(150);
		_exit(0); /* the exit closes it */
	}
	flock(a, LOCK_UN);
	char c;
	(void)!read(p[0], &c, 1);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_OK(flock(a, LOCK_EX));
	CHECK(ms_since(&t0) >= 80, "a blocking flock waits until the holder exits");
	waitpid(pid, NULL, 0);

	/* A signal ends the wait. */
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDONLY);
		flock(fd, LOCK_EX);
		for (;;)
			pause();
	}
	flock(a, LOCK_UN);
	sleep_ms(100);
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	CHECK_ERR(flock(a, LOCK_EX), EINTR);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK_OK(flock(a, LOCK_EX | LOCK_NB));
	close(a);
	close(p[0]);
	close(p[1]);
}

/* ---- POSIX record locks ---- */

static int pfd;

static int child_ranges(void)
{
	int fd = open(path, O_RDWR);
	printf("     child sees at 50: %s\n", probe(fd, F_GETLK, 50, 10, F_RDLCK));
	printf("     child sees at 100: %s\n", probe(fd, F_GETLK, 100, 10, F_WRLCK));
	int ok = lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 50, 10) < 0 && errno == EAGAIN;
	ok &= lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 100, 10) == 0;
	return ok ? 0 : 1;
}

static int child_split(void)
{
	int fd = open(path, O_RDWR);
	printf("     after unlocking 40+20: at 45 %s; at 30 %s; at 70 %s\n",
	       probe(fd, F_GETLK, 45, 1, F_WRLCK), probe(fd, F_GETLK, 30, 1, F_WRLCK),
	       probe(fd, F_GETLK, 70, 1, F_WRLCK));
	printf("     a read lock inside: read at 12 %s; write at 12 %s; at 5 %s; at 25 %s\n",
	       probe(fd, F_GETLK, 12, 1, F_RDLCK), probe(fd, F_GETLK, 12, 1, F_WRLCK),
	       probe(fd, F_GETLK, 5, 1, F_WRLCK), probe(fd, F_GETLK, 25, 1, F_WRLCK));
	printf("     merged neighbours: at 95 %s\n", probe(fd, F_GETLK, 95, 1, F_WRLCK));
	printf("     from the end: at 150 %s\n", probe(fd, F_GETLK, 150, 1, F_WRLCK));
	return 0;
}

static int child_free(void)
{
	int fd = open(path, O_RDWR);
	printf("     child sees at 0: %s; at 150: %s\n", probe(fd, F_GETLK, 0, 1000, F_WRLCK),
	       probe(fd, F_GETLK, 150, 1, F_WRLCK));
	return 0;
}

static void *thread_lock(void *arg)
{
	return (void *)(long)lk(pfd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
}

static void posix(void)
{
	pfd = open(path, O_RDWR);
	(void)!ftruncate(pfd, 100);

	/* Errors, in Linux's order. */
	CHECK_ERR(lk(pfd, F_SETLK, F_WRLCK, 5, 0, 1), EINVAL);
	CHECK_ERR(lk(pfd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), EINVAL);
	CHECK_ERR(lk(pfd, F_SETLK, F_WRLCK, SEEK_SET, 5, -10), EINVAL);
	CHECK_ERR(lk(pfd, F_SETLK, 7, SEEK_SET, 0, 1), EINVAL);
	CHECK_ERR(lk(pfd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1), EINVAL);
	CHECK_ERR(lk(pfd, F_SETLK, F_WRLCK, SEEK_SET, 0x7fffffffffffffffL, 2), EOVERFLOW);
	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);
	CHECK_ERR(lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERR(lk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERR(fcntl(pfd, F_SETLK, (void *)8), EFAULT);

	CHECK_OK(lk(pfd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
	CHECK(!strcmp(probe(pfd, F_GETLK, 50, 10, F_WRLCK), "free"),
	      "the owner's own lock never conflicts");
	CHECK(in_child(child_ranges) == 0, "a child is refused inside it, granted beside it");

	CHECK_OK(lk(pfd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
	CHECK_OK(lk(pfd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10));
	CHECK_OK(lk(pfd, F_SETLK, F_WRLCK, SEEK_SET, 100, 20));
	lseek(pfd, 0, SEEK_END);
	CHECK_OK(lk(pfd, F_SETLK, F_WRLCK, SEEK_END, 40, 0)); /* from 140 on */
	lseek(pfd, 30, SEEK_SET);
	CHECK_OK(lk(pfd, F_SETLK, F_UNLCK, SEEK_CUR, 0, 1)); /* byte 30 */
	CHECK_OK(lk(pfd, F_SETLK, F_WRLCK, SEEK_CUR, 0, 1)); /* and back */
	CHECK(in_child(child_split) == 0, "the child saw the ranges");

	/* Threads of one process are one owner. */
	pthread_t th;
	void *ret;
	pthread_create(&th, NULL, thread_lock, NULL);
	pthread_join(th, &ret);
	CHECK(ret == NULL, "another thread's lock over ours is granted (one owner)");

	/* Closing any fd of the file drops all of the process's locks. */
	close(ro);
	CHECK(in_child(child_free) == 0, "closing another fd of the file released them");
	close(wo);
}

static void waiting(void)
{
	int p[2], q[2];
	(void)!pipe(p);
	(void)!pipe(q);
	char c;

	/* F_SETLKW waits for the holder. */
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
		(void)!write(p[1], "x", 1);
		sleep_ms(150);
		lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
		(void)!read(q[0], &c, 1);
		_exit(0);
	}
	(void)!read(p[0], &c, 1);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(lk(pfd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EAGAIN);
	CHECK_OK(lk(pfd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
	CHECK(ms_since(&t0) >= 80, "F_SETLKW waited for the unlock");
	(void)!write(q[1], "x", 1);
	waitpid(pid, NULL, 0);
	lk(pfd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);

	/* EDEADLK: we hold 0, the child holds 1 and waits for 0; our wait
	 * for 1 would never end. */
	CHECK_OK(lk(pfd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
		(void)!write(p[1], "x", 1);
		int r = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
		_exit(r == 0 ? 0 : 1);
	}
	(void)!read(p[0], &c, 1);
	sleep_ms(100);
	CHECK_ERR(lk(pfd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1), EDEADLK);
	CHECK_OK(lk(pfd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child got its lock once we let go");
	CHECK(!strcmp(probe(pfd, F_GETLK, 0, 2, F_WRLCK), "free"), "its exit released its locks");
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static int child_ofd(void)
{
	int fd = open(path, O_RDWR);
	printf("     child F_GETLK at 0: %s\n", probe(fd, F_GETLK, 0, 1, F_WRLCK));
	int r = lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1) < 0 && errno == EAGAIN;
	return r ? 0 : 1;
}

static void ofd(void)
{
	int a = open(path, O_RDWR), b = open(path, O_RDWR);
	struct flock fl = {
	    .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
	CHECK_ERR(fcntl(a, F_OFD_SETLK, &fl), EINVAL);
	CHECK_OK(lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	CHECK_ERR(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), EAGAIN);
	CHECK(!strcmp(probe(b, F_OFD_GETLK, 0, 1, F_WRLCK), "W 0+1 pid -1"),
	      "F_OFD_GETLK from another description sees it, pid -1");
	CHECK(!strcmp(probe(a, F_GETLK, 0, 1, F_WRLCK), "W 0+1 pid -1"),
	      "a POSIX probe of the same process conflicts with it too");
	CHECK(in_child(child_ofd) == 0, "a child's POSIX lock conflicts with it");
	close(b); /* another description: the lock stays */
	b = open(path, O_RDWR);
	CHECK_ERR(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), EAGAIN);
	close(a);
	CHECK_OK(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	CHECK(1, "closing its description released it");
	close(b);
}

int main(void)
{
	char dir[] = "/tmp/locks.XXXXXX";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/f", dir);
	close(open(path, O_CREAT | O_RDWR, 0644));
	flocks();
	posix();
	waiting();
	ofd();
	close(pfd);
	unlink(path);
	rmdir(dir);
	return check_done();
}
