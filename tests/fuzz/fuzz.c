/*
 * A system-call fuzzer run as a Persona guest (scripts/fuzz.sh): from a
 * fixed seed it makes N system calls with random numbers and arguments,
 * mixed with valid ones (pointers into its own arena, open fds, short
 * timeouts, paths that exist) so that deep paths of the server are
 * reached.  What it judges is the server, not the calls: the script fails
 * when the server crashes, prints a sanitizer report or stops answering.
 *
 *   fuzz SEED CALLS [BATCH]
 *
 * Environment: FUZZ_CALLS=N,N,... the numbers the server implements
 * (most calls are drawn from them), FUZZ_ONLY=K to run batch K alone,
 * FUZZ_VERBOSE=FD to write each batch's number to FD.
 *
 * Calls run in batches of BATCH (default 100), each in a forked child, so
 * a call that kills its caller (a bad sigaction, munmap of the stack) ends
 * only its batch; a child that blocks is killed with SIGKILL after its
 * deadline, which also exercises the server's clean-up of a process
 * killed in the middle of a call.  Calls that would end the run rather
 * than a batch are never made with arguments that reach outside the
 * batch: exit and exit_group are skipped, and kill-like calls only ever
 * target the batch's own process group.  A new process or thread made by
 * fork/clone leaves at once.  Output: one line of figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define ARENA_PAGES 64
#define KERN 0xffff800000000000UL

/* Figures shared by the batch children and the parent. */
struct figures {
	unsigned long calls, batches, crashed, timed_out, exited;
	unsigned long by_errno[8]; /* 0 success, 1 EFAULT, 2 EINVAL, 3 EBADF, 4 ENOSYS, 5 other */
};
static struct figures *fig;
static char *arena;     /* ARENA_PAGES read-write pages, then one PROT_NONE page */
static uint64_t rng;    /* xorshift64* state */
static pid_t batch_pid; /* the batch child's pid: anyone else leaves */
static pid_t batch_tid;
static int fds[8];
static int devnull;
/* Numbers that gave ENOSYS in this batch (per batch, so that a batch
 * replays alone with FUZZ_ONLY). */
static unsigned char nosys[512];
/* The numbers the server implements (FUZZ_CALLS, from `persona
 * syscalls`): most calls are drawn from these so that few end in ENOSYS. */
static long known[512];
static unsigned nknown;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}
static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static const char *paths[] = {
    "/tmp/fz",
    "/tmp/fz/a",
    "/tmp/fz/dir",
    "/tmp/fz/link",
    "/dev/null",
    "/dev/zero",
    "/proc/self/maps",
    "/proc/self/stat",
    "/proc/self/fd",
    "/",
    ".",
    "..",
    "/nonexistent",
    "/tmp/fz/a/",
    "/proc/self/exe",
    "/dev/full",
    "/proc/meminfo",
    "",
};
#define NPATHS (sizeof paths / sizeof paths[0])

/* Paths live in the arena's first page, rewritten before every call (a
 * call may have scribbled over them). */
static uint64_t path_arg(void)
{
	unsigned i = (unsigned)below(NPATHS);
	char *p = arena + 64 * i;
	strcpy(p, paths[i]);
	return (uint64_t)(uintptr_t)p;
}

/* A pointer: mostly into the arena (whose bytes are random), sometimes
 * at its very end (straddling the PROT_NONE page), sometimes bad. */
static uint64_t ptr_arg(void)
{
	switch (below(16)) {
	case 0:
		return 0;
	case 1:
		return KERN + below(1 << 20);
	case 2:
		return (uint64_t)(uintptr_t)(arena + ARENA_PAGES * PAGE - 1 - below(16));
	case 3:
		return rnd();
	case 4:
		return path_arg();
	default:
		return (uint64_t)(uintptr_t)(arena + PAGE + below((ARENA_PAGES - 1) * PAGE - 512));
	}
}

static uint64_t int_arg(void)
{
	static const uint64_t interesting[] = {
	    0,           1,        2,          3,          4,          8,
	    16,          64,       255,        256,        4095,       4096,
	    4097,        65536,    0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 32,
	    1ULL << 47,  -1ULL,    -2ULL,      -4096ULL,   1ULL << 63, 0x7fffffffffffffffULL,
	    PAGE * 1024, 0x1000000};
	switch (below(8)) {
	case 0:
		return rnd();
	case 1:
		return below(64);
	case 2:
		return rnd() & 0xffffffff;
	default:
		return interesting[below(sizeof interesting / sizeof interesting[0])];
	}
}

static uint64_t fd_arg(void)
{
	switch (below(8)) {
	case 0:
		return int_arg();
	case 1:
		return (uint64_t)-100; /* AT_FDCWD */
	default:
		return (uint64_t)fds[below(8)];
	}
}

/* Any argument: the kinds mixed, so every position sees every kind. */
static uint64_t any_arg(void)
{
	switch (below(4)) {
	case 0:
		return ptr_arg();
	case 1:
		return fd_arg();
	default:
		return int_arg();
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* One call.  Returns 0 if it was skipped. */
static int one_call(void)
{
	long nr;
	uint64_t a[6];
	if (below(50) == 0)
		nr = (long)int_arg(); /* numbers Linux does not have */
	else if (nknown && below(8))
		nr = known[below(nknown)];
	else
		do {
			nr = (long)below(335 + 27);
			if (nr >= 335)
				nr += 424 - 335; /* the 424..450 range */
			/* Calls the server said ENOSYS to come back rarely. */
		} while (nosys[nr] && below(16));
	for (int i = 0; i < 6; i++)
		a[i] = any_arg();

	switch (nr) {
	case SYS_exit:
	case SYS_exit_group:
	case SYS_rt_sigreturn:
		return 0;
	/* Signals only to the batch itself (its own process group). */
	case SYS_kill:
		a[0] = below(2) ? 0 : (uint64_t)batch_pid;
		break;
	case SYS_tkill:
		a[0] = (uint64_t)batch_tid;
		break;
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		a[0] = (uint64_t)batch_pid;
		a[1] = (uint64_t)batch_tid;
		break;
	case SYS_rt_sigqueueinfo:
		a[0] = (uint64_t)batch_pid;
		break;
	case SYS_setpgid:
		/* never into another group: kill(0, ...) must stay inside */
		a[0] = 0;
		a[1] = 0;
		break;
	case SYS_pidfd_send_signal:
	case SYS_pidfd_open:
	case SYS_getpgid:
	case SYS_prlimit64:
		a[0] = below(2) ? 0 : (uint64_t)batch_pid;
		break;
	/* Paths where paths are expected, most of the time. */
	case SYS_open:
	case SYS_stat:
	case SYS_lstat:
	case SYS_access:
	case SYS_execve:
	case SYS_truncate:
	case SYS_chdir:
	case SYS_mkdir:
	case SYS_rmdir:
	case SYS_unlink:
	case SYS_readlink:
	case SYS_chmod:
	case SYS_creat:
		if (below(4))
			a[0] = path_arg();
		break;
	case SYS_rename:
	case SYS_link:
	case SYS_symlink:
		a[0] = path_arg();
		a[1] = path_arg();
		break;
	case SYS_openat:
	case SYS_newfstatat:
	case SYS_mkdirat:
	case SYS_unlinkat:
	case SYS_faccessat:
	case SYS_faccessat2:
	case SYS_readlinkat:
	case SYS_fchmodat:
	case SYS_utimensat:
	case SYS_statx:
	case SYS_execveat:
	case SYS_renameat2:
	case SYS_linkat:
		if (below(4))
			a[1] = path_arg();
		if ((nr == SYS_renameat2 || nr == SYS_linkat) && below(4))
			a[3] = path_arg();
		break;
	/* Memory calls on the arena's upper half most of the time, so the
	 * fuzzer's own text and stack usually survive. */
	case SYS_munmap:
	case SYS_mprotect:
	case SYS_mremap:
	case SYS_madvise:
	case SYS_msync:
	case SYS_mlock:
	case SYS_munlock:
	case SYS_mincore:
		if (below(8))
			a[0] = (uint64_t)(uintptr_t)(arena +
			                             (ARENA_PAGES / 2 + below(ARENA_PAGES / 2)) *
			                                 PAGE);
		if (below(2))
			a[1] = below(ARENA_PAGES / 2) * PAGE + below(2);
		break;
	case SYS_mmap:
		if (below(2))
			a[0] = (uint64_t)(uintptr_t)(arena +
			                             (ARENA_PAGES / 2 + below(ARENA_PAGES / 2)) *
			                                 PAGE);
		if (below(2))
			a[1] = below(64) * PAGE;
		break;
	case SYS_brk:
		if (below(2))
			a[0] = 0;
		break;
	/* Timeouts short enough not to stall the batch. */
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_futex:
	case SYS_ppoll:
	case SYS_pselect6:
	case SYS_rt_sigtimedwait:
	case SYS_select:
	case SYS_poll:
		if (below(2)) {
			struct timespec *ts = (struct timespec *)(arena + 3 * PAGE);
			ts->tv_sec = 0;
			ts->tv_nsec = (long)below(2000000);
			int at = nr == SYS_nanosleep         ? 0
			         : nr == SYS_clock_nanosleep ? 2
			         : nr == SYS_ppoll           ? 2
			         : nr == SYS_rt_sigtimedwait ? 2
			         : nr == SYS_futex           ? 3
			                                     : 4;
			a[at] = (uint64_t)(uintptr_t)ts;
			if (nr == SYS_poll)
				a[2] = below(3);
		}
		break;
	}

	/* A wayward blocking call ends with EINTR after this, as long as
	 * SIGALRM is still handled; otherwise the batch deadline ends it. */
	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	__atomic_add_fetch(&fig->calls, 1, __ATOMIC_RELAXED);
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	int e = r == -1 ? errno : 0;
	/* A new process or thread made by fork/clone/vfork leaves at once. */
	if (syscall(SYS_getpid) != batch_pid)
		_exit(0);
	if (syscall(SYS_gettid) != batch_tid)
		syscall(SYS_exit, 0);
	if (e == ENOSYS && nr >= 0 && nr < 512)
		nosys[nr] = 1;
	int k = e == 0        ? 0
	        : e == EFAULT ? 1
	        : e == EINVAL ? 2
	        : e == EBADF  ? 3
	        : e == ENOSYS ? 4
	                      : 5;
	__atomic_add_fetch(&fig->by_errno[k], 1, __ATOMIC_RELAXED);
	return 1;
}

static void batch(uint64_t seed, unsigned long n)
{
	rng = seed ? seed : 1;
	batch_pid = getpid();
	batch_tid = (pid_t)syscall(SYS_gettid);
	setpgid(0, 0);
	/* The parent's /dev/null: a batch may have removed the file. */
	int null = devnull;
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	uint64_t none = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);

	arena = mmap(NULL, (ARENA_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		_exit(3);
	mprotect(arena + ARENA_PAGES * PAGE, PAGE, PROT_NONE);
	for (size_t i = PAGE / 8; i < ARENA_PAGES * PAGE / 8; i++)
		((uint64_t *)arena)[i] = below(4) ? rnd() : below(4096);

	int p[2] = {-1, -1};
	pipe(p);
	fds[0] = 0;
	fds[1] = p[0];
	fds[2] = p[1];
	fds[3] = open("/tmp/fz/a", O_RDWR | O_CREAT, 0644);
	fds[4] = open("/tmp/fz", O_RDONLY | O_DIRECTORY);
	fds[5] = open("/dev/zero", O_RDONLY);
	fds[6] = open("/proc/self/maps", O_RDONLY);
	fds[7] = 1000;
	for (unsigned long i = 0; i < n;)
		i += (unsigned long)one_call();
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		/* Also what a batch's execve of /proc/self/exe comes to. */
		fprintf(stderr, "usage: fuzz SEED CALLS [BATCH]\n");
		return 2;
	}
	/* Random system calls on a real Linux as root could do anything:
	 * run only under Persona (whose uname says so). */
	struct utsname u;
	if (uname(&u) || !strstr(u.release, "persona")) {
		fprintf(stderr,
		        "fuzz: not running under Persona; refusing to make random system calls "
		        "on the host (run it with persona run)\n");
		return 2;
	}
	uint64_t seed = strtoull(argv[1], NULL, 0);
	unsigned long calls = strtoul(argv[2], NULL, 0);
	unsigned long per = argc > 3 ? strtoul(argv[3], NULL, 0) : 100;
	fig = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fig == MAP_FAILED)
		return 2;
	devnull = open("/dev/null", O_RDWR);
	mkdir("/tmp/fz", 0755);
	mkdir("/tmp/fz/dir", 0755);
	symlink("a", "/tmp/fz/link");
	/* A batch may legitimately signal us: a clone with CLONE_PARENT
	 * makes a sibling whose exit_signal (random) comes to us.  Block
	 * every signal (raw call: the C library keeps 32 and 33 for itself);
	 * the batches unblock them. */
	uint64_t all = ~0ULL;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8);
	for (const char *c = getenv("FUZZ_CALLS"); c && *c && nknown < 512;) {
		char *end;
		known[nknown++] = strtol(c, &end, 10);
		c = *end ? end + 1 : end;
	}
	/* FUZZ_ONLY=K runs batch K alone, to look at one that found something. */
	const char *only = getenv("FUZZ_ONLY");
	unsigned long first = only ? strtoul(only, NULL, 0) : 0;
	for (unsigned long b = first; fig->calls < calls && (!only || b == first); b++) {
		pid_t c = fork();
		if (c < 0) {
			perror("fuzz: fork");
			return 1;
		}
		if (c == 0)
			batch(seed * 0x9E3779B97F4A7C15ULL + b, per);
		fig->batches++;
		if (getenv("FUZZ_VERBOSE"))
			dprintf(atoi(getenv("FUZZ_VERBOSE")), "fuzz: batch %lu\n", b);
		/* 2 s per batch at most: most of a stuck batch's calls have
		 * hit their 20 ms alarm long before. */
		int st = 0, waited = 0;
		for (;;) {
			pid_t w = waitpid(c, &st, WNOHANG);
			if (w == c)
				break;
			if (w < 0) {
				perror("fuzz: waitpid");
				return 1;
			}
			if (++waited > 200) {
				kill(-c, SIGKILL);
				kill(c, SIGKILL);
				waitpid(c, &st, 0);
				fig->timed_out++;
				st = 0;
				break;
			}
			struct timespec ts = {0, 10000000};
			nanosleep(&ts, NULL);
		}
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			fig->crashed++;
		else if (WIFSIGNALED(st))
			fig->timed_out++; /* a SIGKILL it sent itself */
		else
			fig->exited++;
		/* Children of a batch (fork in a fuzzed call) left at once;
		 * reap any that came back to us as orphans. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	printf(
	    "fuzz: seed %llu: %lu calls in %lu batches (%lu ended, %lu died of a signal, %lu "
	    "killed); results: %lu ok, %lu EFAULT, %lu EINVAL, %lu EBADF, %lu ENOSYS, %lu other\n",
	    (unsigned long long)seed, fig->calls, fig->batches, fig->exited, fig->crashed,
	    fig->timed_out, fig->by_errno[0], fig->by_errno[1], fig->by_errno[2], fig->by_errno[3],
	    fig->by_errno[4], fig->by_errno[5]);
	return 0;
}
