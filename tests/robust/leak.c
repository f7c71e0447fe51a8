/*
 * Nothing leaks when a client is killed in the middle of something: many
 * cycles of "fork a child, let it block (read on an empty pipe, a futex
 * wait, a write to a full pipe, nanosleep, wait4 on a child of its own
 * that blocks too, a second thread in a futex wait), SIGKILL it, reap it",
 * then the server's own figures from /proc/persona (a Persona file: frames
 * in use, heap bytes, threads, processes) must be where they were after a
 * warm-up round.  Runs only under Persona (tests/robust.sh).
 *
 *   leak [CYCLES [SLACK]]   CYCLES (default 1200) spread over the six
 *                           kinds; SLACK: heap bytes the figure may grow
 *                           by (default 0: exact, as under ASan, whose
 *                           allocator counts exactly; glibc's malloc
 *                           counts the chunks its per-thread cache holds)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct figs {
	unsigned long frames, heap, threads, processes;
};

static int read_figs(struct figs *f)
{
	FILE *fp = fopen("/proc/persona", "r");
	if (!fp)
		return -1;
	int n = fscanf(fp, "frames %lu heap %lu threads %lu processes %lu", &f->frames, &f->heap,
	               &f->threads, &f->processes);
	fclose(fp);
	return n == 4 ? 0 : -1;
}

static int futex_word;

static void *futex_waiter(void *arg)
{
	syscall(SYS_futex, &futex_word, 0 /* FUTEX_WAIT */, 0, NULL);
	return arg;
}

/* What the child does until it is killed. */
static void block(int kind, int p[2])
{
	char buf[65536];
	switch (kind) {
	case 0: /* read on an empty pipe */
		read(p[0], buf, 1);
		break;
	case 1: /* futex wait */
		syscall(SYS_futex, &futex_word, 0, 0, NULL);
		break;
	case 2: /* write to a full pipe: the second write blocks */
		memset(buf, 'x', sizeof buf);
		write(p[1], buf, sizeof buf);
		write(p[1], buf, sizeof buf);
		break;
	case 3: {
		struct timespec ts = {100, 0};
		nanosleep(&ts, NULL);
		break;
	}
	case 4: { /* a child of its own, both blocked */
		pid_t g = fork();
		if (g == 0) {
			close(p[1]); /* so that it sees end of file later */
			read(p[0], buf, 1);
			_exit(0);
		}
		waitpid(g, NULL, 0);
		break;
	}
	case 5: { /* two threads in futex waits */
		pthread_t th;
		pthread_create(&th, NULL, futex_waiter, NULL);
		syscall(SYS_futex, &futex_word, 0, 0, NULL);
		break;
	}
	case 6: { /* unix sockets: a listener with a pending connection that
		   * holds data, an accepted one, a datagram peer, and a
		   * blocked accept */
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "leak-%d", getpid());
		socklen_t l = (socklen_t)(sizeof(sa_family_t) + 1 + (size_t)n);
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		bind(s, (struct sockaddr *)&a, l);
		listen(s, 4);
		int c1 = socket(AF_UNIX, SOCK_STREAM, 0), c2 = socket(AF_UNIX, SOCK_STREAM, 0);
		connect(c1, (struct sockaddr *)&a, l);
		accept(s, NULL, NULL);
		connect(c2, (struct sockaddr *)&a, l);
		write(c2, "data", 4);
		int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
		sa_family_t fam = AF_UNIX;
		bind(d1, (struct sockaddr *)&fam, sizeof fam);
		struct sockaddr_un da;
		socklen_t dl = sizeof da;
		getsockname(d1, (struct sockaddr *)&da, &dl);
		connect(d2, (struct sockaddr *)&da, dl);
		connect(d1, (struct sockaddr *)&da, dl);
		write(d2, "x", 1);
		accept(s, NULL, NULL);
		accept(s, NULL, NULL); /* blocks */
		break;
	}
	}
	_exit(3); /* not reached unless the call failed */
}

/* Wait until pid sleeps in the server (state S in /proc/PID/stat), or give
 * up after a while: killing it earlier is a fine cycle too. */
static void wait_sleeping(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (int i = 0; i < 2000; i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			return;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			return;
		buf[n] = 0;
		char *rp = strrchr(buf, ')');
		if (rp && rp[1] == ' ' && rp[2] == 'S')
			return;
		sched_yield();
	}
}

static void cycle(int kind)
{
	int p[2];
	if (pipe(p) < 0) {
		perror("leak: pipe");
		exit(2);
	}
	pid_t c = fork();
	if (c < 0) {
		perror("leak: fork");
		exit(2);
	}
	if (c == 0)
		block(kind, p);
	wait_sleeping(c);
	kill(c, SIGKILL);
	int st;
	waitpid(c, &st, 0);
	close(p[0]);
	close(p[1]);
	/* The grandchild of kind 4 is an orphan now, still blocked in its
	 * read: the pipe's last writer just went, so it sees end of file,
	 * exits, and comes back to us to be reaped. */
	while (waitpid(-1, NULL, kind == 4 ? 0 : WNOHANG) > 0)
		;
}

int main(int argc, char **argv)
{
	int cycles = argc > 1 ? atoi(argv[1]) : 1200, failed = 0;
	unsigned long slack = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	struct figs before, after;

	/* Warm-up: caches, tables and once-only allocations settle. */
	for (int k = 0; k < 6; k++)
		for (int i = 0; i < 5; i++)
			cycle(k);
	if (read_figs(&before)) {
		printf("FAIL /proc/persona unreadable (not under Persona?)\n");
		return 1;
	}
	for (int i = 0; i < cycles; i++)
		cycle(i % 7);
	if (read_figs(&after)) {
		printf("FAIL /proc/persona unreadable\n");
		return 1;
	}
	printf("leak: %d kill cycles: frames %lu -> %lu, heap %lu -> %lu bytes, threads %lu -> "
	       "%lu, processes %lu -> %lu\n",
	       cycles, before.frames, after.frames, before.heap, after.heap, before.threads,
	       after.threads, before.processes, after.processes);
#define SAME(what)                                                                                 \
	do {                                                                                       \
		int ok_ = after.what == before.what;                                               \
		printf("%s %s in use as before\n", ok_ ? "ok  " : "FAIL", #what);                  \
		failed += !ok_;                                                                    \
	} while (0)
	SAME(frames);
	int ok = after.heap <= before.heap + slack;
	printf("%s heap in use as before (%lu bytes of slack)\n", ok ? "ok  " : "FAIL", slack);
	failed += !ok;
	SAME(threads);
	SAME(processes);
	return failed ? 1 : 0;
}
