/*
 * The server's own limits, run under `persona run --memory 16M`
 * (tests/robust.sh): a child touching more memory than the guest has is
 * killed with SIGKILL as by Linux's OOM killer while its parent goes on;
 * a request for more than the whole memory is ENOMEM at once; forks and
 * threads meet EAGAIN at Linux's threads-max for that memory (16 MiB:
 * 128 tasks), and work again once the others are gone; files, directories
 * and symlinks meet ENOSPC at the tmpfs inode limit (half the memory in
 * pages: 2048), which statfs reports, and there is room again after an
 * unlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1UL << 20)
static int failed;

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		int ok_ = !!(cond);                                                                \
		printf("%s %s\n", ok_ ? "ok  " : "FAIL", what);                                    \
		failed += !ok_;                                                                    \
	} while (0)

static void *sleeper(void *arg)
{
	pause();
	return arg;
}

int main(void)
{
	/* 1. The OOM kill of a child; the parent keeps running. */
	pid_t c = fork();
	if (c == 0) {
		/* Requests of 8 MiB each are granted (overcommit); touching
		 * eight of them is more than there is. */
		for (int k = 0; k < 8; k++) {
			char *p = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE,
			               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(2);
			for (size_t i = 0; i < 8 * MiB; i += 4096)
				p[i] = 1;
		}
		_exit(0);
	}
	int st = 0;
	waitpid(c, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "a child touching 64 MiB of 16 is killed by SIGKILL");
	char *q = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q != MAP_FAILED)
		memset(q, 1, 4 * MiB);
	CHECK(q != MAP_FAILED && q[4 * MiB - 1] == 1, "its parent goes on and uses 4 MiB");
	if (q != MAP_FAILED)
		munmap(q, 4 * MiB);

	/* 1b. The victim is the process holding the most, not the one
	 * asking: a child sits on 10 MiB, the parent then touches 8. */
	int pp[2];
	char go;
	if (pipe(pp) == 0 && (c = fork()) == 0) {
		char *h = mmap(NULL, 10 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		               -1, 0);
		if (h == MAP_FAILED)
			_exit(2);
		memset(h, 1, 10 * MiB);
		(void)!write(pp[1], "x", 1);
		pause();
		_exit(0);
	}
	(void)!read(pp[0], &go, 1);
	q = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q != MAP_FAILED)
		memset(q, 2, 8 * MiB);
	waitpid(c, &st, 0);
	CHECK(q != MAP_FAILED && q[8 * MiB - 1] == 2 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "the larger child is killed, the parent touching memory goes on");
	if (q != MAP_FAILED)
		munmap(q, 8 * MiB);
	close(pp[0]);
	close(pp[1]);

	/* 2. One request for more than all of it. */
	void *big =
	    mmap(NULL, 32 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(big == MAP_FAILED && errno == ENOMEM, "mmap of 32 MiB: ENOMEM");
	char *brk0 = (char *)syscall(SYS_brk, 0);
	CHECK((char *)syscall(SYS_brk, brk0 + 32 * MiB) == brk0, "brk 32 MiB further: refused");

	/* 3. Processes up to threads-max. */
	pid_t kids[256];
	int n = 0, e = 0;
	for (; n < 256; n++) {
		kids[n] = fork();
		if (kids[n] == 0) {
			pause();
			_exit(0);
		}
		if (kids[n] < 0) {
			e = errno;
			break;
		}
	}
	char line[128];
	snprintf(line, sizeof line, "fork fails with EAGAIN at the limit (%s after %d)",
	         e == EAGAIN ? "EAGAIN" : strerror(e), n);
	CHECK(e == EAGAIN && n == 127, line);
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	c = fork();
	if (c == 0)
		_exit(0);
	CHECK(c > 0 && waitpid(c, NULL, 0) == c, "fork works again once they are reaped");

	/* 4. Inodes: files until ENOSPC, then directories and symlinks. */
	struct statfs sf;
	CHECK(statfs("/tmp", &sf) == 0 && sf.f_files == 2048 && sf.f_ffree > 1900,
	      "statfs: 2048 inodes, most of them free");
	int files = 0, fe = 0;
	for (; files < 4096; files++) {
		snprintf(line, sizeof line, "/tmp/f%d", files);
		int fd = open(line, O_CREAT | O_WRONLY, 0600);
		if (fd < 0) {
			fe = errno;
			break;
		}
		close(fd);
	}
	CHECK(fe == ENOSPC && files > 1900 && files < 2048, "creating files stops with ENOSPC");
	CHECK(statfs("/tmp", &sf) == 0 && sf.f_ffree == 0, "statfs: no inode free");
	CHECK(mkdir("/tmp/d", 0700) < 0 && errno == ENOSPC, "mkdir: ENOSPC");
	CHECK(symlink("x", "/tmp/l") < 0 && errno == ENOSPC, "symlink: ENOSPC");
	CHECK(unlink("/tmp/f0") == 0 && mkdir("/tmp/d", 0700) == 0, "room again after an unlink");
	rmdir("/tmp/d");
	for (int i = 1; i < files; i++) {
		snprintf(line, sizeof line, "/tmp/f%d", i);
		unlink(line);
	}
	CHECK(statfs("/tmp", &sf) == 0 && sf.f_ffree > 1900, "all free again");

	/* 5. Threads count too. */
	pthread_t th[256];
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	int r = 0, m = 0;
	for (; m < 256; m++)
		if ((r = pthread_create(&th[m], &at, sleeper, NULL)) != 0)
			break;
	snprintf(line, sizeof line, "pthread_create fails with EAGAIN at the limit (%s after %d)",
	         r == EAGAIN ? "EAGAIN" : strerror(r), m);
	CHECK(r == EAGAIN && m == 127, line);
	printf("%s\n", failed ? "FAILED" : "done");
	fflush(stdout);
	/* The sleeping threads end with the process. */
	_exit(failed ? 1 : 0);
}
