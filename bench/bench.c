/*
 * The benchmark suite's one C program: what a Linux program pays for
 * system calls, page faults, threads and processes, run unchanged natively,
 * under Persona (both backends) and on Linux in QEMU, built with
 * `gcc -O2 -static` (scripts/bench.sh).
 *
 *   bench [-q] [-r RUST_PROGRAM] [-e SELF] [NAME...]
 *   bench -l                      the names, one a line
 *
 * Runs the named benchmarks (all by default) and prints one line per
 * figure, for scripts/bench.sh to collect:
 *   bench NAME VALUE ticks       TSC ticks per operation
 *   bench NAME VALUE ns          nanoseconds per operation (CLOCK_MONOTONIC)
 *   bench NAME VALUE MiB/s       throughput, for the tmpfs streams
 *   bench NAME unsupported WHY   the system under test cannot run it
 * Each figure is the best of ROUNDS rounds of a fixed number of
 * operations, so one preemption or one slow first round does not count.
 * -q: a quick run (few iterations, one round) that only shows every
 * benchmark still works: scripts/test.sh's smoke test.  -e: where this
 * program is in the filesystem it runs on, for fork_exec_wait to execute
 * (default: what /proc/self/exe names, which under Persona's Linux
 * backend is a host path the guest's filesystem may not have).
 * Compare ticks only between runs on the same (virtual) machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define STREAM_CHUNK (64 * 1024)
#define STREAM_BYTES (4 * 1024 * 1024)

static int rounds = 5;
static unsigned scale = 1; /* iterations are divided by this (-q) */
static const char *rust_program;
static char self_exe[4096];

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned iters(unsigned n)
{
	return n / scale ? n / scale : 1;
}

/* The best round so far, per operation. */
struct best {
	uint64_t ticks, ns;
};

struct timer {
	uint64_t t0, n0;
};

static void start(struct timer *t)
{
	t->n0 = now_ns();
	t->t0 = rdtsc();
}

/* End a round of ops operations and keep it if it is the best. */
static void stop(const struct timer *t, struct best *b, uint64_t ops)
{
	uint64_t ticks = rdtsc() - t->t0, ns = now_ns() - t->n0;
	if (ticks / ops < b->ticks)
		b->ticks = ticks / ops, b->ns = ns / ops;
}

static struct best fresh(void)
{
	return (struct best){UINT64_MAX, UINT64_MAX};
}

static void report(const char *name, const struct best *b)
{
	printf("bench %s %llu ticks\n", name, (unsigned long long)b->ticks);
	printf("bench %s %llu ns\n", name, (unsigned long long)b->ns);
	fflush(stdout);
}

static void unsupported(const char *name, const char *what, int err)
{
	printf("bench %s unsupported %s: %s\n", name, what, strerror(err));
	fflush(stdout);
}

/* ---- System calls ---------------------------------------------------------------- */
static void b_getpid(const char *name)
{
	struct best b = fresh();
	unsigned n = iters(1000);
	for (int r = 0; r < rounds; r++) {
		struct timer t;
		start(&t);
		for (unsigned i = 0; i < n; i++)
			syscall(SYS_getpid); /* not glibc's getpid: no caching */
		stop(&t, &b, n);
	}
	report(name, &b);
}

static void b_write_null(const char *name)
{
	struct best b = fresh();
	unsigned n = iters(1000);
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		unsupported(name, "open /dev/null", errno);
		return;
	}
	for (int r = 0; r < rounds; r++) {
		struct timer t;
		start(&t);
		for (unsigned i = 0; i < n; i++)
			if (write(fd, "x", 1) != 1) {
				unsupported(name, "write", errno);
				close(fd);
				return;
			}
		stop(&t, &b, n);
	}
	close(fd);
	report(name, &b);
}

/* A directory on tmpfs: /dev/shm natively (the host's /tmp may be a
 * disk), else /tmp (Persona's and the test VM's are in memory). */
static const char *tmpdir(void)
{
	struct stat st;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

static int tmpfile_open(char *path, size_t size)
{
	snprintf(path, size, "%s/persona-bench.%d", tmpdir(), (int)getpid());
	return open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

static void b_read_4k(const char *name)
{
	static char buf[PAGE];
	char path[256];
	struct best b = fresh();
	unsigned n = iters(1000);
	int fd = tmpfile_open(path, sizeof path);
	if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf) {
		unsupported(name, "a tmpfs file", errno);
		if (fd >= 0)
			close(fd), unlink(path);
		return;
	}
	for (int r = 0; r < rounds; r++) {
		struct timer t;
		start(&t);
		for (unsigned i = 0; i < n; i++)
			if (pread(fd, buf, sizeof buf, 0) != sizeof buf) {
				unsupported(name, "pread", errno);
				close(fd), unlink(path);
				return;
			}
		stop(&t, &b, n);
	}
	close(fd);
	unlink(path);
	report(name, &b);
}

/* Throughput: STREAM_BYTES written to a fresh file (its pages allocated
 * as it grows) or read back, STREAM_CHUNK at a time.  Per chunk in ticks
 * and ns, and as MiB/s. */
static void b_stream(const char *name, bool writing)
{
	static char buf[STREAM_CHUNK];
	char path[256];
	struct best b = fresh();
	unsigned chunks = iters(STREAM_BYTES / STREAM_CHUNK);
	int fd = tmpfile_open(path, sizeof path);
	if (fd < 0) {
		unsupported(name, "a tmpfs file", errno);
		return;
	}
	memset(buf, 'x', sizeof buf);
	for (unsigned i = 0; !writing && i < chunks; i++)
		if (write(fd, buf, sizeof buf) != sizeof buf) {
			unsupported(name, "write", errno);
			close(fd), unlink(path);
			return;
		}
	for (int r = 0; r < rounds; r++) {
		if (writing && ftruncate(fd, 0) < 0) {
			unsupported(name, "ftruncate", errno);
			close(fd), unlink(path);
			return;
		}
		struct timer t;
		start(&t);
		for (unsigned i = 0; i < chunks; i++) {
			ssize_t k = writing ? pwrite(fd, buf, sizeof buf, (off_t)i * sizeof buf)
			                    : pread(fd, buf, sizeof buf, (off_t)i * sizeof buf);
			if (k != sizeof buf) {
				unsupported(name, writing ? "pwrite" : "pread", errno);
				close(fd), unlink(path);
				return;
			}
		}
		stop(&t, &b, chunks);
	}
	close(fd);
	unlink(path);
	report(name, &b);
	printf("bench %s %llu MiB/s\n", name,
	       (unsigned long long)(b.ns ? (uint64_t)STREAM_CHUNK * 1000000000u / b.ns >> 20 : 0));
	fflush(stdout);
}

static void b_tmpfs_write(const char *name)
{
	b_stream(name, true);
}

static void b_tmpfs_read(const char *name)
{
	b_stream(name, false);
}

/* ---- Two threads taking turns -------------------------------------------------- */
struct pingpong {
	unsigned n;
	int fds[4]; /* pipe to the partner, pipe back */
	_Atomic int turn;
	int err;
};

static void *pipe_partner(void *arg)
{
	struct pingpong *p = arg;
	char c;
	for (unsigned i = 0; i < p->n; i++)
		if (read(p->fds[0], &c, 1) != 1 || write(p->fds[3], &c, 1) != 1) {
			p->err = errno ? errno : EIO;
			break;
		}
	return NULL;
}

static long futex(_Atomic int *addr, int op, int val)
{
	return syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

/* turn: 1 while the partner is to move, 0 while the main thread is. */
static void *futex_partner(void *arg)
{
	struct pingpong *p = arg;
	for (unsigned i = 0; i < p->n; i++) {
		while (atomic_load(&p->turn) == 0)
			futex(&p->turn, FUTEX_WAIT, 0);
		atomic_store(&p->turn, 0);
		futex(&p->turn, FUTEX_WAKE, 1);
	}
	return NULL;
}

/* Round trips between this thread and a partner, through two pipes or
 * through one futex word.  One round per partner thread. */
static void b_pingpong(const char *name, bool use_pipe)
{
	struct best b = fresh();
	unsigned n = iters(500);
	for (int r = 0; r < rounds; r++) {
		struct pingpong p = {.n = n};
		pthread_t th;
		int e;
		if (use_pipe && (pipe(p.fds) < 0 || pipe(p.fds + 2) < 0)) {
			unsupported(name, "pipe", errno);
			return;
		}
		e = pthread_create(&th, NULL, use_pipe ? pipe_partner : futex_partner, &p);
		if (e) {
			unsupported(name, "pthread_create", e);
			return;
		}
		struct timer t;
		start(&t);
		for (unsigned i = 0; i < n && !p.err; i++) {
			if (use_pipe) {
				char c = 'x';
				if (write(p.fds[1], &c, 1) != 1 || read(p.fds[2], &c, 1) != 1)
					p.err = errno ? errno : EIO;
			} else {
				atomic_store(&p.turn, 1);
				futex(&p.turn, FUTEX_WAKE, 1);
				while (atomic_load(&p.turn) == 1)
					futex(&p.turn, FUTEX_WAIT, 1);
			}
		}
		stop(&t, &b, n);
		if (use_pipe && p.err)
			close(p.fds[1]), close(p.fds[3]); /* let the partner out */
		pthread_join(th, NULL);
		if (use_pipe)
			for (int i = 0; i < 4; i++)
				close(p.fds[i]);
		if (p.err) {
			unsupported(name, "pipe round trip", p.err);
			return;
		}
	}
	report(name, &b);
}

static void b_pipe_pingpong(const char *name)
{
	b_pingpong(name, true);
}

static void b_futex_pingpong(const char *name)
{
	b_pingpong(name, false);
}

/* ---- Memory -------------------------------------------------------------------- */
/* mmap, touch every page once (a lazy first-touch fault each), munmap;
 * per page. */
static void b_mmap_touch(const char *name, unsigned pages, unsigned n)
{
	struct best b = fresh();
	for (int r = 0; r < rounds; r++) {
		struct timer t;
		start(&t);
		for (unsigned i = 0; i < n; i++) {
			char *p = mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE,
			               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED) {
				unsupported(name, "mmap", errno);
				return;
			}
			for (unsigned k = 0; k < pages; k++)
				p[(size_t)k * PAGE] = 1;
			munmap(p, (size_t)pages * PAGE);
		}
		stop(&t, &b, (uint64_t)n * pages);
	}
	report(name, &b);
}

static void b_mmap_1(const char *name)
{
	b_mmap_touch(name, 1, iters(500));
}

static void b_mmap_256(const char *name)
{
	b_mmap_touch(name, 256, scale > 1 ? 1 : 4);
}

/* ---- Threads and processes ------------------------------------------------------ */
static void *nothing(void *arg)
{
	return arg;
}

static void b_thread(const char *name)
{
	struct best b = fresh();
	unsigned n = iters(100);
	for (int r = 0; r < rounds; r++) {
		struct timer t;
		start(&t);
		for (unsigned i = 0; i < n; i++) {
			pthread_t th;
			int e = pthread_create(&th, NULL, nothing, NULL);
			if (e) {
				unsupported(name, "pthread_create", e);
				return;
			}
			pthread_join(th, NULL);
		}
		stop(&t, &b, n);
	}
	report(name, &b);
}

/* fork, execve(prog, argv), wait: the whole life of a child.  A system
 * without processes (Persona today answers fork with ENOSYS) gets
 * "unsupported" with the reason. */
static void spawn(const char *name, const char *prog, char *const argv[])
{
	struct best b = fresh();
	unsigned n = iters(20);
	for (int r = 0; r < rounds; r++) {
		struct timer t;
		start(&t);
		for (unsigned i = 0; i < n; i++) {
			int status;
			fflush(stdout);
			pid_t pid = fork();
			if (pid < 0) {
				unsupported(name, "fork", errno);
				return;
			}
			if (pid == 0) {
				execv(prog, argv);
				_exit(127);
			}
			if (waitpid(pid, &status, 0) < 0) {
				unsupported(name, "waitpid", errno);
				return;
			}
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				printf("bench %s unsupported %s did not run (wait status %#x)\n",
				       name, prog, status);
				fflush(stdout);
				return;
			}
		}
		stop(&t, &b, n);
	}
	report(name, &b);
}

static void b_fork_exec(const char *name)
{
	char *argv[] = {"bench", "--exit", NULL};
	spawn(name, self_exe, argv);
}

static void b_rust_start(const char *name)
{
	char *argv[] = {"bench-rust-start", NULL};
	if (!rust_program || access(rust_program, X_OK) < 0) {
		printf("bench %s unsupported no Rust program (-r PATH)\n", name);
		return;
	}
	spawn(name, rust_program, argv);
}

/* ---- Driver ------------------------------------------------------------------ */
static const struct {
	const char *name;
	void (*run)(const char *name);
} benches[] = {
    {"getpid", b_getpid},
    {"write_null", b_write_null},
    {"read_tmpfs_4k", b_read_4k},
    {"tmpfs_write", b_tmpfs_write},
    {"tmpfs_read", b_tmpfs_read},
    {"pipe_pingpong", b_pipe_pingpong},
    {"futex_pingpong", b_futex_pingpong},
    {"mmap_touch_1", b_mmap_1},
    {"mmap_touch_256", b_mmap_256},
    {"thread_create_join", b_thread},
    {"fork_exec_wait", b_fork_exec},
    {"rust_start_exit", b_rust_start},
};
#define NBENCH (sizeof benches / sizeof benches[0])

int main(int argc, char **argv)
{
	int i;
	bool any = false;

	if (argc > 1 && !strcmp(argv[1], "--exit"))
		return 0; /* the child of fork_exec_wait */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q")) {
			scale = 100;
			rounds = 1;
		} else if (!strcmp(argv[i], "-l")) {
			for (size_t j = 0; j < NBENCH; j++)
				puts(benches[j].name);
			return 0;
		} else if (!strcmp(argv[i], "-e") && i + 1 < argc) {
			snprintf(self_exe, sizeof self_exe, "%s", argv[++i]);
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			rust_program = argv[++i];
		} else {
			fprintf(stderr,
			        "bench: unknown option %s (usage: bench [-q] [-r RUST_PROGRAM] "
			        "[-e SELF] [NAME...], or bench -l)\n",
			        argv[i]);
			return 2;
		}
	}
	ssize_t k = self_exe[0] ? 0 : readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	if (k > 0)
		self_exe[k] = 0;
	else if (!self_exe[0])
		snprintf(self_exe, sizeof self_exe, "%s", argv[0]);

	for (int a = i; a < argc; a++) {
		size_t j;
		for (j = 0; j < NBENCH && strcmp(benches[j].name, argv[a]); j++)
			;
		if (j == NBENCH) {
			fprintf(stderr, "bench: no benchmark called %s (bench -l lists them)\n",
			        argv[a]);
			return 2;
		}
	}
	for (size_t j = 0; j < NBENCH; j++) {
		bool wanted = i == argc;
		for (int a = i; a < argc && !wanted; a++)
			wanted = !strcmp(benches[j].name, argv[a]);
		if (wanted) {
			benches[j].run(benches[j].name);
			any = true;
		}
	}
	return any ? 0 : 1;
}
