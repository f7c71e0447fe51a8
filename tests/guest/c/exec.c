/*
 * execve and execveat.  The test re-executes itself through /proc/self/exe
 * (the guest root holds no other program); EXEC_MODE in the new
 * environment selects what the new image checks: its argv and envp, pid,
 * /proc/self/exe and cmdline, that the old memory is gone ("image"), which
 * fds survived close-on-exec ("fds"), signal dispositions, mask and pending
 * signals ("sigs"), the argv a #! interpreter receives ("script"), and that
 * an exec from a second thread leaves one thread with the old pid ("mt").
 * Then the errors: ENOENT, EACCES, ENOEXEC, E2BIG, EFAULT, ENOTDIR, ELOOP,
 * EINVAL.  A new image prints its check lines while the parent is blocked
 * in waitpid, so the order of lines is fixed.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

extern char **environ;

static char self[PATH_MAX]; /* where /proc/self/exe points */

static long env_num(const char *name)
{
	const char *v = getenv(name);
	return v ? strtol(v, NULL, 0) : -1;
}

static int env_is(const char *name, const char *want)
{
	const char *v = getenv(name);
	return v && strcmp(v, want) == 0;
}

/* The new image's exit: its own check lines were printed; no "done" line,
 * the parent reports the status. */
static void mode_exit(void)
{
	fflush(stdout);
	_exit(check_failures ? 1 : 0);
}

static void mode_image(int argc, char **argv)
{
	char buf[512], exe[PATH_MAX];
	int n = 0, fd;

	CHECK(argc == 4 && strcmp(argv[0], "argv-zero") == 0 && strcmp(argv[1], "one") == 0 &&
	          strcmp(argv[2], "two words") == 0 && strcmp(argv[3], "") == 0 && !argv[4],
	      "image: argv as given to execve");
	while (environ[n])
		n++;
	CHECK(n == 6 && strcmp(environ[0], "EXEC_MODE=image") == 0 &&
	          strcmp(environ[1], "B=two words") == 0 && strcmp(environ[2], "EMPTY=") == 0,
	      "image: envp as given to execve, in order");
	CHECK(getpid() == env_num("EXPECT_PID"), "image: the pid is unchanged");
	CHECK(getppid() == env_num("EXPECT_PPID"), "image: the parent is unchanged");
	/* the mapping the old image made is gone */
	void *old = (void *)(uintptr_t)env_num("OLD_MAP");
	CHECK_ERR(msync(old, 4096, MS_ASYNC), ENOMEM);
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[len > 0 ? len : 0] = 0;
	CHECK(len > 0 && strcmp(exe, self) == 0, "image: /proc/self/exe names the program");
	fd = open("/proc/self/cmdline", O_RDONLY);
	len = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	CHECK(len == 25 && memcmp(buf, "argv-zero\0one\0two words\0\0", 25) == 0,
	      "image: /proc/self/cmdline holds the new argv");
	close(fd);
	mode_exit();
}

static void mode_fds(void)
{
	char c = 0, cwd[PATH_MAX];

	CHECK_ERR(fcntl(10, F_GETFD), EBADF);
	CHECK(fcntl(11, F_GETFD) == 0, "fds: a plain fd stays open, FD_CLOEXEC clear");
	CHECK(lseek(11, 0, SEEK_CUR) == 3 && read(11, &c, 1) == 1 && c == 'd',
	      "fds: it keeps its offset (3)");
	CHECK(fcntl(12, F_GETFD) == 0, "fds: O_CLOEXEC cleared with F_SETFD stays open");
	CHECK_ERR(fcntl(13, F_GETFD), EBADF);
	CHECK(fcntl(14, F_GETFD) == 0, "fds: a dup of a close-on-exec fd stays open");
	CHECK_ERR(fcntl(15, F_GETFD), EBADF);
	CHECK(getcwd(cwd, sizeof cwd) && env_is("EXPECT_CWD", cwd), "fds: cwd kept");
	CHECK(umask(0) == 027, "fds: umask kept");
	mode_exit();
}

static void mode_sigs(void)
{
	struct sigaction sa;
	sigset_t set;
	stack_t ss;

	sigaction(SIGUSR1, NULL, &sa);
	CHECK(sa.sa_handler == SIG_DFL, "sigs: a handled signal is back to SIG_DFL");
	sigaction(SIGUSR2, NULL, &sa);
	CHECK(sa.sa_handler == SIG_IGN, "sigs: an ignored signal stays ignored");
	sigaction(SIGINT, NULL, &sa);
	CHECK(sa.sa_handler == SIG_DFL, "sigs: a default signal stays SIG_DFL");
	sigprocmask(SIG_BLOCK, NULL, &set);
	CHECK(sigismember(&set, SIGHUP) && !sigismember(&set, SIGUSR1),
	      "sigs: the signal mask is kept");
	sigpending(&set);
	CHECK(sigismember(&set, SIGHUP), "sigs: a pending signal is still pending");
	CHECK(sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE),
	      "sigs: the alternate stack is gone");
	mode_exit();
}

/* EXPECT_ARGC and EXPECT_ARG<i> say what the interpreter must receive. */
static void mode_script(int argc, char **argv)
{
	char name[32];
	int ok = argc == env_num("EXPECT_ARGC");

	for (int i = 0; ok && i < argc; i++) {
		snprintf(name, sizeof name, "EXPECT_ARG%d", i);
		if (!env_is(name, argv[i])) {
			printf("     script: argv[%d] is \"%s\"\n", i, argv[i]);
			ok = 0;
		}
	}
	if (argc != env_num("EXPECT_ARGC"))
		printf("     script: argc is %d, expected %ld\n", argc, env_num("EXPECT_ARGC"));
	CHECK(ok, "script: the interpreter's argv (%ld strings)", env_num("EXPECT_ARGC"));
	mode_exit();
}

static void mode_mt(void)
{
	CHECK(getpid() == env_num("EXPECT_PID"), "mt: the pid is the old process's");
	CHECK(syscall(SYS_gettid) == getpid(), "mt: the one thread's tid is the pid");
	CHECK(count_threads() == 1, "mt: one thread left");
	mode_exit();
}

/* Run BODY in a child and check that it (or the image it executes) exits 0. */
#define IN_CHILD(what, ...)                                                                        \
	do {                                                                                       \
		pid_t pid_ = fork_flushed();                                                       \
		if (pid_ == 0) {                                                                   \
			__VA_ARGS__;                                                               \
			_exit(127);                                                                \
		}                                                                                  \
		int st_ = reap(pid_);                                                              \
		CHECK(exited_with(st_, 0), "%s (%s)", what, status_str(st_));                      \
	} while (0)

static void test_image(void)
{
	char *argv[] = {"argv-zero", "one", "two words", "", NULL};
	char e_pid[64], e_ppid[64], e_map[64];
	char *envp[] = {"EXEC_MODE=image", "B=two words", "EMPTY=", e_pid, e_ppid, e_map, NULL};

	IN_CHILD("execve: the new image checked its argv, envp, pid, memory", {
		void *m =
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		snprintf(e_pid, sizeof e_pid, "EXPECT_PID=%d", getpid());
		snprintf(e_ppid, sizeof e_ppid, "EXPECT_PPID=%d", getppid());
		snprintf(e_map, sizeof e_map, "OLD_MAP=%p", m);
		execve("/proc/self/exe", argv, envp);
	});
}

static void test_fds(const char *dir)
{
	char path[PATH_MAX], cwd[PATH_MAX + 16];
	char *argv[] = {"fds", NULL};
	char *envp[] = {"EXEC_MODE=fds", cwd, NULL};

	snprintf(path, sizeof path, "%s/data", dir);
	snprintf(cwd, sizeof cwd, "EXPECT_CWD=%s", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(write(fd, "abcdef", 6) == 6, "a data file");
	close(fd);
	IN_CHILD("execve: close-on-exec closed exactly the marked fds", {
		dup3(open(path, O_RDONLY), 10, O_CLOEXEC);
		int plain = open(path, O_RDONLY);
		lseek(plain, 3, SEEK_SET);
		dup2(plain, 11);
		dup3(open(path, O_RDONLY), 12, O_CLOEXEC);
		fcntl(12, F_SETFD, 0);
		dup2(open(path, O_RDONLY), 13);
		fcntl(13, F_SETFD, FD_CLOEXEC);
		dup2(13, 14); /* dup2 gives a copy without FD_CLOEXEC */
		fcntl(open(path, O_RDONLY), F_DUPFD_CLOEXEC, 15);
		umask(027);
		if (chdir(dir))
			_exit(126);
		execve("/proc/self/exe", argv, envp);
	});
	unlink(path);
}

static void on_usr1(int sig) {}

static void test_sigs(void)
{
	char *argv[] = {"sigs", NULL};
	char *envp[] = {"EXEC_MODE=sigs", NULL};

	IN_CHILD("execve: dispositions reset, mask and pending signals kept", {
		static char alt[65536];
		stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
		struct sigaction sa = {0};
		sigset_t set;
		sa.sa_handler = on_usr1;
		sa.sa_flags = SA_ONSTACK;
		sigaltstack(&ss, NULL);
		sigaction(SIGUSR1, &sa, NULL);
		signal(SIGUSR2, SIG_IGN);
		sigemptyset(&set);
		sigaddset(&set, SIGHUP);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGHUP);
		execve("/proc/self/exe", argv, envp);
	});
}

/* Write a script whose first line is FIRST. */
static void write_script(const char *path, const char *first, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	dprintf(fd, "%s\nthis line is never read\n", first);
	close(fd);
	chmod(path, mode);
}

/* Exec PATH with ARGV; the interpreter must receive WANT (NULL-ended). */
static void exec_script(const char *what, const char *path, char *const argv[],
                        const char *const want[])
{
	char *envp[24];
	static char bufs[20][PATH_MAX + 32];
	int n = 0, e = 0;

	envp[e++] = "EXEC_MODE=script";
	for (; want[n]; n++) {
		snprintf(bufs[n], sizeof bufs[n], "EXPECT_ARG%d=%s", n, want[n]);
		envp[e++] = bufs[n];
	}
	snprintf(bufs[n], sizeof bufs[n], "EXPECT_ARGC=%d", n);
	envp[e++] = bufs[n];
	envp[e] = NULL;
	IN_CHILD(what, execve(path, argv, envp));
}

static void test_scripts(const char *dir)
{
	char s1[PATH_MAX], s2[PATH_MAX], s3[PATH_MAX], s4[PATH_MAX], line[PATH_MAX + 64];
	char *argv[] = {"ignored-argv0", "a1", "a 2", NULL};
	/* the interpreter: the program doing the exec (it is in every guest's
	 * filesystem, whatever the path it was started by) */
	const char *interp = "/proc/self/exe";

	snprintf(s1, sizeof s1, "%s/s1", dir);
	snprintf(line, sizeof line, "#!%s script-arg", interp);
	write_script(s1, line, 0755);
	exec_script("#! with one argument", s1, argv,
	            (const char *[]){interp, "script-arg", s1, "a1", "a 2", NULL});

	snprintf(s2, sizeof s2, "%s/s2", dir);
	snprintf(line, sizeof line, "#!  %s   one  two  ", interp);
	write_script(s2, line, 0755);
	exec_script("#! with blanks: the rest of the line is one argument", s2, argv,
	            (const char *[]){interp, "one  two", s2, "a1", "a 2", NULL});

	snprintf(s3, sizeof s3, "%s/s3", dir);
	snprintf(line, sizeof line, "#!%s", interp);
	write_script(s3, line, 0755);
	exec_script("#! without an argument", s3, (char *[]){"x", NULL},
	            (const char *[]){interp, s3, NULL});

	snprintf(s4, sizeof s4, "%s/s4", dir);
	snprintf(line, sizeof line, "#!%s", s1);
	write_script(s4, line, 0755);
	exec_script("#! naming another script", s4, argv,
	            (const char *[]){interp, "script-arg", s1, s4, "a1", "a 2", NULL});

	CHECK_OK(chdir(dir));
	exec_script("a script run by a relative path gets that path", "./s1", (char *[]){"x", NULL},
	            (const char *[]){interp, "script-arg", "./s1", NULL});
	CHECK_OK(chdir("/tmp"));

	char *envp[] = {"EXEC_MODE=exit7", NULL};
	write_script(s2, "#!/nonexistent/interpreter", 0755);
	CHECK_ERR(execve(s2, argv, envp), ENOENT);
	write_script(s2, "#!/tmp", 0755);
	CHECK_ERR(execve(s2, argv, envp), EACCES);
	write_script(s2, line, 0644);
	CHECK_ERR(execve(s2, argv, envp), EACCES);
	unlink(s1);
	unlink(s2);
	unlink(s3);
	unlink(s4);
}

static void test_errors(const char *dir)
{
	char path[PATH_MAX], big_path[PATH_MAX];
	char *argv[] = {"x", NULL};
	char *envp[] = {"EXEC_MODE=exit7", NULL};

	CHECK_ERR(execve("/nonexistent", argv, envp), ENOENT);
	CHECK_ERR(execve("", argv, envp), ENOENT);
	CHECK_ERR(execve(dir, argv, envp), EACCES);
	snprintf(path, sizeof path, "%s/garbage", dir);
	write_script(path, "this is not a program", 0755);
	CHECK_ERR(execve(path, argv, envp), ENOEXEC);
	write_script(path,
	             "\x7f"
	             "ELF but not really",
	             0755);
	CHECK_ERR(execve(path, argv, envp), ENOEXEC);
	chmod(path, 0644);
	CHECK_ERR(execve(path, argv, envp), EACCES);
	int fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	chmod(path, 0755);
	CHECK_ERR(execve(path, argv, envp), ENOEXEC);
	snprintf(big_path, sizeof big_path, "%s/garbage/x", dir);
	CHECK_ERR(execve(big_path, argv, envp), ENOTDIR);

	/* one string longer than MAX_ARG_STRLEN (32 pages) */
	char *huge = malloc(200000);
	memset(huge, 'h', 199999);
	huge[199999] = 0;
	CHECK_ERR(execve("/proc/self/exe", ((char *[]){"x", huge, NULL}), envp), E2BIG);
	CHECK_ERR(execve("/proc/self/exe", argv, ((char *[]){huge, NULL})), E2BIG);
	free(huge);

	CHECK_ERR(syscall(SYS_execve, "/proc/self/exe", 8, envp), EFAULT);
	CHECK_ERR(execve("/proc/self/exe", ((char *[]){"x", (char *)8, NULL}), envp), EFAULT);
	CHECK_ERR(syscall(SYS_execve, "/proc/self/exe", argv, 8), EFAULT);
	CHECK_ERR(syscall(SYS_execve, NULL, argv, envp), EFAULT);

	/* execveat */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	char link[PATH_MAX];
	snprintf(link, sizeof link, "%s/link", dir);
	CHECK_OK(symlink("/proc/self/exe", link));
	CHECK_ERR(syscall(SYS_execveat, dfd, "link", argv, envp, AT_SYMLINK_NOFOLLOW), ELOOP);
	CHECK_ERR(syscall(SYS_execveat, dfd, "link", argv, envp, 0x10), EINVAL);
	CHECK_ERR(syscall(SYS_execveat, dfd, "missing", argv, envp, 0), ENOENT);
	CHECK_ERR(syscall(SYS_execveat, 99, "link", argv, envp, 0), EBADF);
	CHECK_ERR(syscall(SYS_execveat, dfd, "", argv, envp, 0), ENOENT);
	IN_CHILD("execveat(dirfd, \"link\"): a symlink to the program", {
		syscall(SYS_execveat, dfd, "link", (char *[]){"x", NULL},
		        (char *[]){"EXEC_MODE=exit0", NULL}, 0);
	});
	IN_CHILD("execveat(fd, \"\", AT_EMPTY_PATH) runs the open file", {
		int pfd = open("/proc/self/exe", O_RDONLY);
		syscall(SYS_execveat, pfd, "", (char *[]){"x", NULL},
		        (char *[]){"EXEC_MODE=exit0", NULL}, AT_EMPTY_PATH);
	});
	/* exec through a symlink: /proc/self/exe names the target */
	IN_CHILD("execve through a symlink: /proc/self/exe names the program", {
		char e_pid[64], e_ppid[64], e_map[64];
		snprintf(e_pid, sizeof e_pid, "EXPECT_PID=%d", getpid());
		snprintf(e_ppid, sizeof e_ppid, "EXPECT_PPID=%d", getppid());
		snprintf(e_map, sizeof e_map, "OLD_MAP=%p", (void *)8192);
		execve(link, (char *[]){"argv-zero", "one", "two words", "", NULL},
		       (char *[]){"EXEC_MODE=image", "B=two words", "EMPTY=", e_pid, e_ppid, e_map,
		                  NULL});
	});
	close(dfd);
	unlink(link);
	unlink(path);
}

static void *exec_thread(void *arg)
{
	char e_pid[64];
	snprintf(e_pid, sizeof e_pid, "EXPECT_PID=%d", getpid());
	execve("/proc/self/exe", (char *[]){"mt", NULL}, (char *[]){"EXEC_MODE=mt", e_pid, NULL});
	_exit(127);
}

static void *blocker(void *arg)
{
	while (pause())
		;
	return arg;
}

static void test_threads(void)
{
	IN_CHILD("execve from a second thread of three", {
		pthread_t t;
		pthread_create(&t, NULL, blocker, NULL);
		pthread_create(&t, NULL, exec_thread, NULL);
		for (;;)
			pause();
	});
}

int main(int argc, char **argv)
{
	const char *mode = getenv("EXEC_MODE");
	char dir[] = "/tmp/persona-exec.XXXXXX";

	setvbuf(stdout, NULL, _IOLBF, 0);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	if (mode) {
		if (strcmp(mode, "image") == 0)
			mode_image(argc, argv);
		if (strcmp(mode, "fds") == 0)
			mode_fds();
		if (strcmp(mode, "sigs") == 0)
			mode_sigs();
		if (strcmp(mode, "script") == 0)
			mode_script(argc, argv);
		if (strcmp(mode, "mt") == 0)
			mode_mt();
		if (strcmp(mode, "exit0") == 0)
			_exit(0);
		_exit(7); /* "exit7": an exec that should have failed */
	}
	require_fork();
	CHECK(n > 0, "readlink /proc/self/exe");
	/* programs exec the path they read there (Rust's current_exe) */
	CHECK(access(self, X_OK) == 0, "the path /proc/self/exe names is an executable file");
	CHECK(mkdtemp(dir) != NULL, "scratch directory");
	test_image();
	test_fds(dir);
	test_sigs();
	test_scripts(dir);
	test_errors(dir);
	test_threads();
	rmdir(dir);
	return check_done();
}
