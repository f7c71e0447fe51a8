/*
 * New processes: fork, vfork, clone and clone3 without CLONE_VM.  What the
 * child inherits (fds and their shared offsets, cwd, umask, signal mask and
 * dispositions, but not pending signals) and what copy-on-write keeps apart
 * (stack, heap, a large buffer, private mappings) while MAP_SHARED memory
 * stays shared.  Children report through their exit status: bit N set
 * means their check N failed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* The kernel's struct clone_args (version 0: 64 bytes). */
struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

#define BIG (64u << 20)
#define PAGE 4096u

static int data_var = 11; /* .data */
static int bss_var;       /* .bss */

static void on_hup(int sig) {}

/* The child mode selected by FORK_MODE after a vfork + execve. */
static void child_mode(const char *mode)
{
	if (strcmp(mode, "exit33") == 0)
		_exit(33);
	_exit(99);
}

/* Every page of BUF holds V (a byte at the start and the end of the page). */
static int big_is(const unsigned char *buf, unsigned char v)
{
	for (size_t i = 0; i < BIG; i += PAGE)
		if (buf[i] != v || buf[i + PAGE - 1] != v)
			return 0;
	return 1;
}

static void big_fill(unsigned char *buf, unsigned char v)
{
	for (size_t i = 0; i < BIG; i += PAGE)
		buf[i] = buf[i + PAGE - 1] = v;
}

static void test_basics(void)
{
	pid_t parent = getpid(), pid;
	int p[2], st;

	CHECK_OK(pipe(p));
	pid = fork_flushed();
	if (pid == 0) {
		pid_t me = getpid();
		int bad = 0;
		if (getppid() != parent)
			bad |= 1;
		if (me == parent)
			bad |= 2;
		if (write(p[1], &me, sizeof me) != sizeof me)
			bad |= 4;
		_exit(bad);
	}
	CHECK(pid > 0, "fork returns a positive pid in the parent");
	pid_t reported = 0;
	CHECK(read(p[0], &reported, sizeof reported) == sizeof reported && reported == pid,
	      "the child's getpid equals what fork returned to the parent");
	st = reap(pid);
	CHECK(exited_with(st, 0), "child: getppid is the parent, its pid differs (%s)",
	      status_str(st));
	close(p[0]);
	close(p[1]);

	pid = fork_flushed();
	if (pid == 0)
		_exit(7);
	st = reap(pid);
	CHECK(exited_with(st, 7), "fork returns 0 in the child, which exits 7 (%s)",
	      status_str(st));
}

static void test_memory(void)
{
	int stack_var = 21;
	int *heap = malloc(sizeof *heap);
	unsigned char *big = malloc(BIG);
	int *priv =
	    mmap(NULL, PAGE * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int *shared =
	    mmap(NULL, PAGE * 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2], back[2], st;

	*heap = 31;
	big_fill(big, 0x5a);
	priv[0] = 41;
	priv[PAGE * 3 / sizeof(int)] = 42;
	shared[0] = 51;
	shared[PAGE / sizeof(int)] = 0;
	bss_var = 61;
	CHECK_OK(pipe(go));
	CHECK_OK(pipe(back));

	pid_t pid = fork_flushed();
	if (pid == 0) {
		int bad = 0;
		/* the child sees the parent's values from before the fork */
		if (stack_var != 21 || *heap != 31 || data_var != 11 || bss_var != 61)
			bad |= 1;
		if (!big_is(big, 0x5a))
			bad |= 2;
		if (priv[0] != 41 || priv[PAGE * 3 / sizeof(int)] != 42 || shared[0] != 51)
			bad |= 4;
		/* its writes stay its own, except in the shared mapping */
		stack_var = 22;
		*heap = 32;
		data_var = 12;
		bss_var = 62;
		big_fill(big, 0xa5);
		priv[0] = 43;
		shared[0] = 52;
		write_byte(back[1], 'w');
		/* now the parent writes; we must not see it, except shared */
		if (read_byte(go[0]) != 'g')
			bad |= 8;
		if (stack_var != 22 || *heap != 32 || data_var != 12 || bss_var != 62 ||
		    !big_is(big, 0xa5) || priv[0] != 43)
			bad |= 16;
		if (shared[PAGE / sizeof(int)] != 71)
			bad |= 32;
		_exit(bad);
	}
	CHECK(read_byte(back[0]) == 'w', "the child wrote its copies");
	CHECK(stack_var == 21 && *heap == 31 && data_var == 11 && bss_var == 61,
	      "the child's writes to stack, heap, .data and .bss do not reach the parent");
	CHECK(big_is(big, 0x5a), "the child's writes to a 64 MiB buffer do not reach the parent");
	CHECK(priv[0] == 41 && priv[PAGE * 3 / sizeof(int)] == 42,
	      "the child's writes to a MAP_PRIVATE mapping do not reach the parent");
	CHECK(shared[0] == 52, "the child's write to MAP_SHARED|MAP_ANONYMOUS reaches the parent");
	stack_var = 23;
	*heap = 33;
	data_var = 13;
	bss_var = 63;
	big_fill(big, 0x33);
	priv[0] = 44;
	shared[PAGE / sizeof(int)] = 71;
	write_byte(go[1], 'g');
	st = reap(pid);
	CHECK(exited_with(st, 0),
	      "child: saw the pre-fork values, kept its own writes, saw the shared write (%s)",
	      status_str(st));
	CHECK(stack_var == 23 && *heap == 33 && big_is(big, 0x33) && priv[0] == 44,
	      "the parent keeps its own writes after the child exits");
	munmap(priv, PAGE * 4);
	munmap(shared, PAGE * 4);
	free(big);
	free(heap);
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);
}

static void test_file_mappings(const char *dir)
{
	char path[256];
	int fd, st;

	snprintf(path, sizeof path, "%s/mapped", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, PAGE) == 0, "a one-page file to map");
	char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	priv[0] = 'p';
	pid_t pid = fork_flushed();
	if (pid == 0) {
		int bad = priv[0] != 'p';
		priv[0] = 'c';
		priv[1] = 'c';
		shared[100] = 's';
		_exit(bad);
	}
	st = reap(pid);
	CHECK(exited_with(st, 0), "child sees the parent's MAP_PRIVATE file copy (%s)",
	      status_str(st));
	CHECK(priv[0] == 'p' && priv[1] == 0, "the child's MAP_PRIVATE file writes stay its own");
	char c = 0;
	CHECK(shared[100] == 's' && pread(fd, &c, 1, 100) == 1 && c == 's',
	      "the child's MAP_SHARED file write reaches the parent and the file");
	munmap(priv, PAGE);
	munmap(shared, PAGE);
	close(fd);
	unlink(path);
}

static void test_inherited(const char *dir)
{
	char path[256], cwd[256];
	int p[2], fd, st;
	sigset_t set;
	struct sigaction sa = {0};

	/* a pipe from child to parent */
	CHECK_OK(pipe(p));
	pid_t pid = fork_flushed();
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], "through the pipe", 16) == 16 ? 0 : 1);
	}
	close(p[1]);
	char buf[32] = {0};
	CHECK(read(p[0], buf, sizeof buf) == 16 && strcmp(buf, "through the pipe") == 0,
	      "the child writes into an inherited pipe, the parent reads it");
	CHECK(read(p[0], buf, sizeof buf) == 0, "end of file once the child exited");
	reap(pid);
	close(p[0]);

	/* one open file description: the offset is shared */
	snprintf(path, sizeof path, "%s/offset", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(write(fd, "abc", 3) == 3, "parent writes 3 bytes");
	pid = fork_flushed();
	if (pid == 0) {
		int bad = lseek(fd, 0, SEEK_CUR) != 3;
		if (write(fd, "defg", 4) != 4)
			bad |= 2;
		close(fd); /* closes the child's fd only */
		_exit(bad);
	}
	st = reap(pid);
	CHECK(exited_with(st, 0), "the child sees offset 3 and appends (%s)", status_str(st));
	CHECK(lseek(fd, 0, SEEK_CUR) == 7, "the child's write moved the shared offset to 7");
	CHECK(fcntl(fd, F_GETFD) != -1, "the child's close leaves the parent's fd open");
	close(fd);
	unlink(path);

	/* cwd, umask, signal mask and dispositions; pending signals are not
	 * inherited */
	CHECK_OK(chdir(dir));
	mode_t old_umask = umask(027);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1); /* pending in the parent only */
	signal(SIGUSR2, SIG_IGN);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	pid = fork_flushed();
	if (pid == 0) {
		int bad = 0;
		sigset_t cur, pend;
		struct sigaction o;
		if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, dir) != 0)
			bad |= 1;
		if (umask(0) != 027)
			bad |= 2;
		sigprocmask(SIG_BLOCK, NULL, &cur);
		if (!sigismember(&cur, SIGUSR1))
			bad |= 4;
		sigpending(&pend);
		if (sigismember(&pend, SIGUSR1))
			bad |= 8;
		sigaction(SIGUSR2, NULL, &o);
		if (o.sa_handler != SIG_IGN)
			bad |= 16;
		sigaction(SIGHUP, NULL, &o);
		if (o.sa_handler != on_hup)
			bad |= 32;
		if (chdir("/") != 0)
			bad |= 64;
		_exit(bad);
	}
	st = reap(pid);
	CHECK(exited_with(st, 0),
	      "child inherits cwd, umask, mask, dispositions but no pending signal (%s)",
	      status_str(st));
	CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0,
	      "the child's chdir leaves the parent's cwd alone");
	sigpending(&set);
	CHECK(sigismember(&set, SIGUSR1), "the parent's SIGUSR1 is still pending");
	signal(SIGUSR1, SIG_IGN); /* discard it */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	umask(old_umask);
	CHECK_OK(chdir("/tmp"));
}

static volatile int vfork_flag;

static void test_vfork(void)
{
	int st;
	char *argv[] = {"fork-child", NULL};
	char *envp[] = {"FORK_MODE=exit33", NULL};

	fflush(stdout);
	vfork_flag = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		/* the child runs in the parent's memory, the parent waits */
		vfork_flag = 1;
		_exit(5);
	}
	CHECK(vfork_flag == 1, "vfork: the parent resumes after the child, seeing its write");
	st = reap(pid);
	CHECK(exited_with(st, 5), "vfork + _exit(5) (%s)", status_str(st));

	pid = vfork();
	if (pid == 0) {
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	st = reap(pid);
	CHECK(exited_with(st, 33), "vfork + execve of ourselves in a mode that exits 33 (%s)",
	      status_str(st));

	pid = vfork();
	if (pid == 0) {
		execve("/nonexistent/program", argv, envp);
		vfork_flag = errno;
		_exit(127);
	}
	st = reap(pid);
	CHECK(exited_with(st, 127) && vfork_flag == ENOENT,
	      "vfork + failing execve: the child's errno ENOENT seen by the parent, exit 127");
}

static void test_clone(void)
{
	int st;
	int local = 1;

	fflush(stdout);
	long r = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (r == 0) {
		local = 2;
		syscall(SYS_exit_group, getppid() > 0 && local == 2 ? 9 : 1);
	}
	CHECK(r > 0, "clone(SIGCHLD) without CLONE_VM returns the child's pid");
	st = r > 0 ? reap(r) : -1;
	CHECK(exited_with(st, 9) && local == 1, "clone child exits 9, its write stays its own (%s)",
	      status_str(st));

	struct clone_args_v0 ca = {0};
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	r = syscall(SYS_clone3, &ca, sizeof ca);
	if (r == 0) {
		local = 3;
		syscall(SYS_exit_group, 10);
	}
	CHECK(r > 0, "clone3 without CLONE_VM returns the child's pid");
	st = r > 0 ? reap(r) : -1;
	CHECK(exited_with(st, 10) && local == 1, "clone3 child exits 10 (%s)", status_str(st));
	CHECK_ERR(syscall(SYS_clone3, &ca, 32), EINVAL);
	CHECK_ERR(syscall(SYS_clone3, NULL, sizeof ca), EFAULT);

	/* a child with no exit signal is waited for with __WALL */
	fflush(stdout);
	r = syscall(SYS_clone, 0, 0, NULL, NULL, 0);
	if (r == 0)
		syscall(SYS_exit_group, 11);
	CHECK(r > 0, "clone with exit signal 0");
	st = -1;
	CHECK(r > 0 && waitpid(r, &st, __WALL) == r && exited_with(st, 11),
	      "waitpid(__WALL) reaps it (%s)", status_str(st));
}

static void test_many(void)
{
	int bad = 0;

	for (int i = 0; i < 200; i++) {
		pid_t pid = fork_flushed();
		if (pid == 0)
			_exit(i & 0x7f);
		if (pid < 0 || !exited_with(reap(pid), i & 0x7f))
			bad++;
	}
	CHECK(bad == 0, "200 sequential fork + waitpid, each exit status right (%d wrong)", bad);
}

/* A second thread that spins, so a forked child can see whether it exists. */
static volatile unsigned long spin_count;
static volatile int spin_stop;

static void *spinner(void *arg)
{
	while (!spin_stop)
		spin_count++;
	return NULL;
}

static void *other_thread(void *arg)
{
	return NULL;
}

static void *fork_from_thread(void *arg)
{
	pid_t pid = fork_flushed();
	if (pid == 0) {
		int bad = 0;
		if (syscall(SYS_gettid) != getpid())
			bad |= 1;
		if (count_threads() != 1)
			bad |= 2;
		_exit(bad);
	}
	return (void *)(intptr_t)reap(pid);
}

static void test_threads(void)
{
	pthread_t t, t2;
	int st;

	pthread_create(&t, NULL, spinner, NULL);
	while (spin_count == 0)
		sched_yield();
	pid_t pid = fork_flushed();
	if (pid == 0) {
		int bad = 0;
		unsigned long before = spin_count;
		usleep(50000);
		if (spin_count != before)
			bad |= 1; /* the spinner runs in the child too */
		if (count_threads() != 1)
			bad |= 2;
		/* the child can make threads of its own and fork again */
		if (pthread_create(&t2, NULL, other_thread, NULL) != 0 ||
		    pthread_join(t2, NULL) != 0)
			bad |= 4;
		pid_t g = fork();
		if (g == 0)
			_exit(3);
		if (!exited_with(reap(g), 3))
			bad |= 8;
		_exit(bad);
	}
	st = reap(pid);
	CHECK(exited_with(st, 0),
	      "fork from a 2-thread process: only the caller runs in the child, which can "
	      "make threads and fork (%s)",
	      status_str(st));
	spin_stop = 1;
	pthread_join(t, NULL);

	void *ret;
	pthread_create(&t, NULL, fork_from_thread, NULL);
	pthread_join(t, &ret);
	st = (int)(intptr_t)ret;
	CHECK(exited_with(st, 0),
	      "fork from a second thread: the child's only thread has tid == pid (%s)",
	      status_str(st));
}

int main(int argc, char **argv)
{
	const char *mode = getenv("FORK_MODE");
	char dir[] = "/tmp/persona-fork.XXXXXX";

	if (mode)
		child_mode(mode);
	setvbuf(stdout, NULL, _IOLBF, 0);
	require_fork();
	CHECK(mkdtemp(dir) != NULL, "scratch directory");
	test_basics();
	test_memory();
	test_file_mappings(dir);
	test_inherited(dir);
	test_vfork();
	test_clone();
	test_many();
	test_threads();
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "no child left behind");
	rmdir(dir);
	return check_done();
}
