/*
 * Hostile arguments: many system calls made with bad pointers (NULL, -1,
 * kernel-half, unmapped, straddling the end of a mapping, an unterminated
 * path running into a PROT_NONE page), huge and negative lengths, bad and
 * closed fds, unknown flags and commands, overlong paths and names.  Each
 * line prints the call and its outcome (the errno's name, or the result
 * when it is a count): Linux itself is the oracle, so the runner's
 * comparison of the native and the Persona output is the check.  Results
 * that differ between two runs (addresses, pids) print as "ok".
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL
#define KERN 0xffff800000000000UL /* first kernel-half address */
#define NEG1 ((uintptr_t)-1)
/* <linux/futex.h> is not in musl's include path */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9

/* The names of every errno a call here can give (musl has no
 * strerrorname_np). */
static const char *ename(int e)
{
	static const char *names[] = {
	    [EPERM] = "EPERM",
	    [ENOENT] = "ENOENT",
	    [ESRCH] = "ESRCH",
	    [EINTR] = "EINTR",
	    [EIO] = "EIO",
	    [ENXIO] = "ENXIO",
	    [E2BIG] = "E2BIG",
	    [ENOEXEC] = "ENOEXEC",
	    [EBADF] = "EBADF",
	    [ECHILD] = "ECHILD",
	    [EAGAIN] = "EAGAIN",
	    [ENOMEM] = "ENOMEM",
	    [EACCES] = "EACCES",
	    [EFAULT] = "EFAULT",
	    [EBUSY] = "EBUSY",
	    [EEXIST] = "EEXIST",
	    [EXDEV] = "EXDEV",
	    [ENODEV] = "ENODEV",
	    [ENOTDIR] = "ENOTDIR",
	    [EISDIR] = "EISDIR",
	    [EINVAL] = "EINVAL",
	    [ENFILE] = "ENFILE",
	    [EMFILE] = "EMFILE",
	    [ENOTTY] = "ENOTTY",
	    [EFBIG] = "EFBIG",
	    [ENOSPC] = "ENOSPC",
	    [ESPIPE] = "ESPIPE",
	    [EROFS] = "EROFS",
	    [EMLINK] = "EMLINK",
	    [EPIPE] = "EPIPE",
	    [EDOM] = "EDOM",
	    [ERANGE] = "ERANGE",
	    [EDEADLK] = "EDEADLK",
	    [ENAMETOOLONG] = "ENAMETOOLONG",
	    [ENOSYS] = "ENOSYS",
	    [ENOTEMPTY] = "ENOTEMPTY",
	    [ELOOP] = "ELOOP",
	    [ENODATA] = "ENODATA",
	    [EOVERFLOW] = "EOVERFLOW",
	    [ENOTSOCK] = "ENOTSOCK",
	    [EOPNOTSUPP] = "EOPNOTSUPP",
	    [ETIMEDOUT] = "ETIMEDOUT",
	};
	static char buf[32];
	if (e > 0 && e < (int)(sizeof names / sizeof names[0]) && names[e])
		return names[e];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* Print one call's outcome: its errno, a small result, or "ok". */
static void report(const char *what, long r, int e)
{
	if (r == -1)
		printf("%-60s -> %s\n", what, ename(e));
	else if (r >= 0 && r < 65536)
		printf("%-60s -> %ld\n", what, r);
	else
		printf("%-60s -> ok\n", what);
	fflush(stdout);
}

#define T(expr)                                                                                    \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		report(#expr, r_, errno);                                                          \
	} while (0)

/* syscall() reads every argument as a long: the sixth travels on the
 * stack, where an int leaves the upper half undefined, so such arguments
 * are written as longs below. */
#define S(...) syscall(__VA_ARGS__)

static char *rw;       /* one read-write page followed by a PROT_NONE page */
static char *tail4;    /* the last 4 bytes of rw: 8-byte accesses straddle */
static char *unmapped; /* a page that was mapped and is no longer */
static char *longpath; /* PATH_MAX + 1 bytes of "a/", NUL-terminated */
static char *longname; /* NAME_MAX + 1 letters */
static char dir[64];
static int zero_fd, file_fd, closed_fd, pipe_r, pipe_w;

static void setup(void)
{
	/* poll and select judge nfds against RLIMIT_NOFILE: the same limit
	 * natively and under Persona, whatever the caller's is. */
	struct rlimit rl = {256, 256};
	setrlimit(RLIMIT_NOFILE, &rl);
	rw = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rw == MAP_FAILED || mprotect(rw + PAGE, PAGE, PROT_NONE)) {
		perror("setup mmap");
		exit(2);
	}
	tail4 = rw + PAGE - 4;
	unmapped = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, PAGE);
	longpath = malloc(PATH_MAX + 2);
	for (int i = 0; i < PATH_MAX + 1; i++)
		longpath[i] = i % 2 ? '/' : 'a';
	longpath[PATH_MAX + 1] = 0;
	longname = malloc(NAME_MAX + 2);
	memset(longname, 'n', NAME_MAX + 1);
	longname[NAME_MAX + 1] = 0;

	strcpy(dir, "/tmp/hostile.XXXXXX");
	if (!mkdtemp(dir) || chdir(dir)) {
		perror("setup mkdtemp");
		exit(2);
	}
	zero_fd = open("/dev/zero", O_RDONLY);
	file_fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (write(file_fd, "0123456789", 10) != 10)
		exit(2);
	/* high enough that no later open reuses it */
	closed_fd = dup2(zero_fd, 200);
	close(closed_fd);
	int p[2];
	/* non-blocking: a read after a failed write must not hang */
	if (pipe2(p, O_NONBLOCK))
		exit(2);
	pipe_r = p[0], pipe_w = p[1];
}

static void test_io(void)
{
	puts("-- read/write family");
	T(S(SYS_read, -1, rw, 1));
	T(S(SYS_read, 1000000, rw, 1));
	T(S(SYS_read, closed_fd, rw, 1));
	T(S(SYS_read, zero_fd, NULL, 1));
	T(S(SYS_read, zero_fd, NEG1, 1));
	T(S(SYS_read, zero_fd, KERN, 16));
	T(S(SYS_read, zero_fd, unmapped, 16));
	T(S(SYS_read, zero_fd, tail4, 8));
	T(S(SYS_read, zero_fd, rw, 0));
	T(S(SYS_read, zero_fd, NULL, 0));
	T(S(SYS_read, file_fd, rw, -1L));
	T(S(SYS_write, -1, rw, 1));
	T(S(SYS_write, zero_fd, rw, 1));
	T(S(SYS_write, pipe_r, rw, 1));
	T(S(SYS_write, pipe_w, NULL, 1));
	T(S(SYS_write, pipe_w, KERN, 1));
	T(S(SYS_write, pipe_w, NULL, 0));
	T(S(SYS_write, file_fd, unmapped, 4));
	/* A write that runs off the end of a mapping writes what it can. */
	memcpy(tail4, "WXYZ", 4);
	T(S(SYS_pwrite64, file_fd, tail4, 8, 0));
	T(S(SYS_pread64, file_fd, rw, 10, 0));
	printf("file now starts with %.6s\n", rw);
	T(S(SYS_pread64, file_fd, rw, 1, -1L));
	T(S(SYS_pwrite64, file_fd, rw, 1, -1L));
	T(S(SYS_pread64, pipe_r, rw, 1, 0));
	T(S(SYS_pread64, file_fd, tail4, 8, 0));
	T(S(SYS_lseek, file_fd, 0, 99));
	T(S(SYS_lseek, file_fd, -1L, SEEK_SET));
	T(S(SYS_lseek, pipe_r, 0, SEEK_SET));
	T(S(SYS_lseek, -1, 0, SEEK_SET));

	struct iovec iov[2] = {{rw, 4}, {NULL, 4}};
	T(S(SYS_readv, zero_fd, NULL, 1));
	T(S(SYS_readv, zero_fd, KERN, 1));
	T(S(SYS_readv, zero_fd, iov, -1));
	T(S(SYS_readv, zero_fd, iov, 1025));
	T(S(SYS_readv, zero_fd, iov, 2));
	T(S(SYS_readv, zero_fd, iov, 0));
	T(S(SYS_writev, pipe_w, iov, 2));
	T(S(SYS_read, pipe_r, rw, 64));
	struct iovec big[2] = {{rw, 0x7fffffffffffffffUL}, {rw, 0x7fffffffffffffffUL}};
	T(S(SYS_writev, pipe_w, big, 2));
	struct iovec *iov_tail = (struct iovec *)(rw + PAGE - sizeof(struct iovec));
	*iov_tail = (struct iovec){rw, 1};
	T(S(SYS_readv, zero_fd, iov_tail, 2));
	T(S(SYS_preadv, file_fd, iov, 1, -1L, 0L));
	T(S(SYS_sendfile, pipe_w, file_fd, NULL, 4));
	T(S(SYS_read, pipe_r, rw, 64));
	T(S(SYS_sendfile, pipe_w, file_fd, KERN, 4));
	T(S(SYS_sendfile, pipe_w, -1, NULL, 4));
}

static void test_paths(void)
{
	puts("-- paths");
	struct stat st;
	char statx_buf[256];
	T(S(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
	T(S(SYS_openat, AT_FDCWD, NEG1, O_RDONLY));
	T(S(SYS_openat, AT_FDCWD, KERN, O_RDONLY));
	T(S(SYS_openat, AT_FDCWD, unmapped, O_RDONLY));
	T(S(SYS_openat, AT_FDCWD, "", O_RDONLY));
	T(S(SYS_openat, AT_FDCWD, longpath, O_RDONLY));
	T(S(SYS_openat, AT_FDCWD, longname, O_RDONLY));
	T(S(SYS_openat, AT_FDCWD, longname, O_RDWR | O_CREAT, 0600));
	T(S(SYS_openat, -1, "x", O_RDONLY));
	T(S(SYS_openat, 1000000, "x", O_RDONLY));
	T(S(SYS_openat, file_fd, "x", O_RDONLY));
	T(S(SYS_openat, AT_FDCWD, "f", O_RDONLY | O_DIRECTORY));
	T(S(SYS_openat, AT_FDCWD, "f", O_WRONLY | O_RDWR));
	T(S(SYS_openat, AT_FDCWD, "t", O_TMPFILE | O_RDONLY, 0600));
	/* The path's bytes run into a PROT_NONE page: EFAULT. */
	memset(rw + PAGE - 100, 'a', 100);
	T(S(SYS_openat, AT_FDCWD, rw + PAGE - 100, O_RDONLY));
	/* A whole page of 'a's without a NUL: longer than PATH_MAX. */
	memset(rw, 'a', PAGE);
	T(S(SYS_openat, AT_FDCWD, rw, O_RDONLY));
	/* A path ending exactly at the mapping's end is fine. */
	memcpy(rw + PAGE - 2, "f", 2);
	T(S(SYS_faccessat, AT_FDCWD, rw + PAGE - 2, R_OK));
	T(S(SYS_newfstatat, AT_FDCWD, "f", NULL, 0));
	T(S(SYS_newfstatat, AT_FDCWD, "f", KERN, 0));
	T(S(SYS_newfstatat, AT_FDCWD, "f", rw + PAGE - 16, 0));
	T(S(SYS_newfstatat, AT_FDCWD, "f", &st, 0x12345678));
	T(S(SYS_newfstatat, AT_FDCWD, "", &st, 0));
	T(S(SYS_newfstatat, file_fd, "", &st, AT_EMPTY_PATH));
	T(S(SYS_newfstatat, -1, "", &st, AT_EMPTY_PATH));
	T(S(SYS_fstat, -1, &st));
	T(S(SYS_fstat, file_fd, NULL));
	T(S(SYS_fstat, file_fd, tail4));
	T(S(SYS_statx, AT_FDCWD, "f", 0, 0x7ff, NULL));
	T(S(SYS_statx, AT_FDCWD, "f", 0x40000000, 0x7ff, statx_buf));
	T(S(SYS_statx, AT_FDCWD, "f", 0, 0x80000000, statx_buf));
	T(S(SYS_statx, AT_FDCWD, NULL, 0, 0x7ff, statx_buf));
	T(S(SYS_statx, AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, 0x7ff, statx_buf));
	T(S(SYS_readlinkat, AT_FDCWD, "f", rw, 64));
	T(S(SYS_symlinkat, "f", AT_FDCWD, "l"));
	T(S(SYS_readlinkat, AT_FDCWD, "l", NULL, 64));
	T(S(SYS_readlinkat, AT_FDCWD, "l", rw, 0));
	T(S(SYS_readlinkat, AT_FDCWD, "l", rw, -1));
	T(S(SYS_readlinkat, AT_FDCWD, "l", tail4, 1));
	T(S(SYS_readlinkat, AT_FDCWD, NULL, rw, 64));
	T(S(SYS_mkdirat, AT_FDCWD, longname, 0700));
	T(S(SYS_mkdirat, AT_FDCWD, NULL, 0700));
	T(S(SYS_mkdirat, AT_FDCWD, "f/x", 0700));
	T(S(SYS_unlinkat, AT_FDCWD, "f", 0x1234));
	T(S(SYS_unlinkat, AT_FDCWD, NULL, 0));
	T(S(SYS_unlinkat, AT_FDCWD, "l", 0));
	T(S(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "g", 0x80));
	T(S(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, NULL, 0));
	T(S(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "f/", 0));
	T(S(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, longpath, 0));
	T(S(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, "h", 0x1));
	T(S(SYS_fchmodat, AT_FDCWD, NULL, 0600));
	T(S(SYS_utimensat, AT_FDCWD, "f", KERN, 0));
	T(S(SYS_utimensat, AT_FDCWD, "f", NULL, 0x7000));
	T(S(SYS_chdir, NULL));
	T(S(SYS_chdir, "f"));
	T(S(SYS_fchdir, -1));
	T(S(SYS_fchdir, file_fd));
	T(S(SYS_getcwd, NULL, 256));
	T(S(SYS_getcwd, rw, 0));
	T(S(SYS_getcwd, rw, 1));
	T(S(SYS_getcwd, KERN, 256));
	T(S(SYS_truncate, "f", -1L));
	T(S(SYS_ftruncate, file_fd, -1L));
	T(S(SYS_ftruncate, zero_fd, 0));
	T(S(SYS_ftruncate, -1, 0L));

	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	T(S(SYS_getdents64, dfd, NULL, 4096));
	T(S(SYS_getdents64, dfd, KERN, 4096));
	T(S(SYS_getdents64, dfd, rw, 0));
	T(S(SYS_getdents64, dfd, rw, 1));
	T(S(SYS_getdents64, file_fd, rw, 4096));
	T(S(SYS_getdents64, -1, rw, 4096));
	close(dfd);
}

static void test_fds(void)
{
	puts("-- fds");
	T(S(SYS_close, -1));
	T(S(SYS_close, 1000000));
	T(S(SYS_close, closed_fd));
	T(S(SYS_dup, -1));
	T(S(SYS_dup, closed_fd));
	T(S(SYS_dup3, file_fd, file_fd, 0));
	T(S(SYS_dup3, file_fd, 100, 0x1234));
	T(S(SYS_dup3, -1, 100, 0));
	T(S(SYS_dup3, file_fd, -1, 0L));
	T(S(SYS_dup3, file_fd, 1 << 30, 0));
	T(S(SYS_dup2, file_fd, -1));
	T(S(SYS_fcntl, file_fd, 9999));
	T(S(SYS_fcntl, -1, F_GETFD));
	T(S(SYS_fcntl, file_fd, F_DUPFD, -1));
	T(S(SYS_fcntl, file_fd, F_DUPFD, 1 << 30));
	T(S(SYS_fcntl, file_fd, F_GETLK, NULL));
	T(S(SYS_fcntl, file_fd, F_SETLK, KERN));
	T(S(SYS_ioctl, -1, 0x5401, rw));
	T(S(SYS_ioctl, file_fd, 0x5401, rw));
	T(S(SYS_ioctl, file_fd, 0xdeadbeef, rw));
	T(S(SYS_ioctl, file_fd, FIONREAD, NULL));
	T(S(SYS_ioctl, pipe_r, FIONREAD, NULL));
	T(S(SYS_ioctl, pipe_r, FIONREAD, tail4 + 2));
	T(S(SYS_pipe2, NULL, 0));
	T(S(SYS_pipe2, KERN, 0));
	T(S(SYS_pipe2, tail4 + 2, 0));
	T(S(SYS_pipe2, rw, 0x1234));
	T(S(SYS_pipe2, rw, O_RDWR));
}

static void test_memory(void)
{
	puts("-- memory");
	T(S(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L));
	T(S(SYS_mmap, 0, -1L, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L));
	T(S(SYS_mmap, 0, 1UL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ, 0x7f, -1, 0L));
	T(S(SYS_mmap, 0, PAGE, 0x1000, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L));
	T(S(SYS_mmap, 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0L));
	T(S(SYS_mmap, KERN, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0L));
	T(S(SYS_mmap, 0x7ffffffff000UL, 2 * PAGE, PROT_READ,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, -1, 0L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 1000000, 0L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, file_fd, 1L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, file_fd, -4096L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, pipe_r, 0L));
	T(S(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, open("f", O_RDONLY), 0L));
	T(S(SYS_munmap, 0, 0));
	T(S(SYS_munmap, rw + 1, PAGE));
	T(S(SYS_munmap, KERN, PAGE));
	T(S(SYS_munmap, unmapped, -1L));
	T(S(SYS_munmap, 0x7ffffffff000UL, 2 * PAGE));
	T(S(SYS_munmap, unmapped, PAGE));
	T(S(SYS_mprotect, rw + 1, PAGE, PROT_READ));
	T(S(SYS_mprotect, rw, PAGE, 0x1000));
	T(S(SYS_mprotect, unmapped, PAGE, PROT_READ));
	T(S(SYS_mprotect, rw, -1L, PROT_READ));
	T(S(SYS_mprotect, KERN, PAGE, PROT_READ));
	T(S(SYS_mprotect, rw, 0, PROT_READ));
	T(S(SYS_mremap, rw + 1, PAGE, PAGE, 0));
	T(S(SYS_mremap, rw, PAGE, 0, 0));
	T(S(SYS_mremap, rw, PAGE, PAGE, 0x10));
	T(S(SYS_mremap, unmapped, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
	T(S(SYS_mremap, rw, PAGE, 2 * PAGE, MREMAP_FIXED));
	T(S(SYS_mremap, rw, PAGE, -1L, MREMAP_MAYMOVE));
	T(S(SYS_madvise, rw + 1, PAGE, MADV_DONTNEED));
	T(S(SYS_madvise, rw, PAGE, 9999));
	T(S(SYS_madvise, unmapped, PAGE, MADV_DONTNEED));
	T(S(SYS_msync, rw + 1, PAGE, MS_SYNC));
	T(S(SYS_msync, rw, PAGE, MS_SYNC | MS_ASYNC));
	T(S(SYS_msync, unmapped, PAGE, MS_SYNC));
	T(S(SYS_mincore, rw, PAGE, NULL));
	T(S(SYS_brk, KERN));
	T(S(SYS_brk, -1L));
}

static void test_time_futex(void)
{
	puts("-- time, futex");
	struct timespec bad_ns = {0, 1000000000L}, neg = {-1, 0}, zero = {0, 0};
	T(S(SYS_clock_gettime, CLOCK_MONOTONIC, NULL));
	T(S(SYS_clock_gettime, CLOCK_MONOTONIC, KERN));
	T(S(SYS_clock_gettime, CLOCK_MONOTONIC, tail4));
	T(S(SYS_clock_gettime, 99, rw));
	T(S(SYS_clock_gettime, -1, rw));
	T(S(SYS_clock_getres, 99, rw));
	T(S(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
	T(S(SYS_nanosleep, NULL, NULL));
	T(S(SYS_nanosleep, &bad_ns, NULL));
	T(S(SYS_nanosleep, &neg, NULL));
	T(S(SYS_nanosleep, tail4, NULL));
	T(S(SYS_nanosleep, &zero, KERN));
	T(S(SYS_clock_nanosleep, 99, 0, &zero, NULL));
	T(S(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, NULL, NULL));
	T(S(SYS_gettimeofday, KERN, NULL));
	T(S(SYS_time, KERN));

	int *fw = (int *)rw;
	*fw = 7;
	T(S(SYS_futex, NULL, FUTEX_WAIT, 7, NULL));
	T(S(SYS_futex, KERN, FUTEX_WAIT, 7, NULL));
	T(S(SYS_futex, rw + 1, FUTEX_WAIT, 7, NULL));
	T(S(SYS_futex, rw, FUTEX_WAIT, 8, NULL));
	T(S(SYS_futex, rw, FUTEX_WAIT, 7, KERN));
	T(S(SYS_futex, rw, FUTEX_WAIT, 7, &bad_ns));
	T(S(SYS_futex, rw, FUTEX_WAIT, 7, &neg));
	T(S(SYS_futex, rw, 99, 7, NULL));
	T(S(SYS_futex, rw, FUTEX_WAKE, -1, NULL));
	T(S(SYS_futex, rw, FUTEX_WAIT_BITSET, 7, NULL, NULL, 0));
	T(S(SYS_futex, unmapped, FUTEX_WAKE, 1, NULL));
	T(S(SYS_futex, rw, FUTEX_CMP_REQUEUE, 1, 1, NULL, 99));
	T(S(SYS_futex, rw, FUTEX_CMP_REQUEUE, 1, 1, unmapped, 7));
	T(S(SYS_futex, rw, FUTEX_WAKE_OP, 1, 1, unmapped, 0));
	T(S(SYS_set_robust_list, rw, 1));
	T(S(SYS_get_robust_list, 0, NULL, NULL));
	T(S(SYS_get_robust_list, 999999, rw, rw + 8));
}

static void test_signals(void)
{
	puts("-- signals");
	char act[64] = {0};
	T(S(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 8L));
	T(S(SYS_rt_sigaction, SIGUSR1, KERN, NULL, 8L));
	T(S(SYS_rt_sigaction, SIGUSR1, NULL, KERN, 8L));
	T(S(SYS_rt_sigaction, SIGUSR1, tail4, NULL, 8L));
	T(S(SYS_rt_sigaction, SIGUSR1, act, NULL, 4));
	T(S(SYS_rt_sigaction, SIGUSR1, act, NULL, 16));
	T(S(SYS_rt_sigaction, 0, act, NULL, 8L));
	T(S(SYS_rt_sigaction, 65, act, NULL, 8L));
	T(S(SYS_rt_sigaction, -1, act, NULL, 8L));
	T(S(SYS_rt_sigaction, SIGKILL, act, NULL, 8L));
	T(S(SYS_rt_sigaction, SIGKILL, NULL, act, 8));
	T(S(SYS_rt_sigprocmask, 99, act, NULL, 8L));
	T(S(SYS_rt_sigprocmask, SIG_BLOCK, KERN, NULL, 8L));
	T(S(SYS_rt_sigprocmask, SIG_BLOCK, NULL, KERN, 8L));
	T(S(SYS_rt_sigprocmask, SIG_BLOCK, act, NULL, 7));
	T(S(SYS_rt_sigprocmask, 99, NULL, NULL, 8L));
	T(S(SYS_rt_sigpending, NULL, 8L));
	T(S(SYS_rt_sigpending, rw, 99));
	T(S(SYS_sigaltstack, KERN, NULL));
	T(S(SYS_sigaltstack, NULL, KERN));
	T(S(SYS_rt_sigtimedwait, act, NULL, &(struct timespec){0, 0}, 8));
	T(S(SYS_rt_sigtimedwait, KERN, NULL, NULL, 8L));
	T(S(SYS_rt_sigtimedwait, act, NULL, &(struct timespec){0, 0}, 4));
	T(S(SYS_kill, getpid(), 65));
	T(S(SYS_kill, getpid(), -1));
	T(S(SYS_kill, 999999, 0));
	T(S(SYS_kill, getpid(), 0));
	T(S(SYS_tgkill, getpid(), 999999, 0));
	T(S(SYS_tgkill, -1, getpid(), 0));
	T(S(SYS_tgkill, getpid(), getpid(), 65));
	T(S(SYS_tkill, -5, 0));
	T(S(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, NULL));
	T(S(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, KERN));
}

static void test_poll(void)
{
	puts("-- poll, select");
	struct pollfd pfd = {pipe_r, POLLIN, 0};
	T(S(SYS_poll, NULL, 1, 0));
	T(S(SYS_poll, KERN, 1, 0));
	T(S(SYS_poll, &pfd, 1UL << 40, 0));
	T(S(SYS_poll, &pfd, 100000, 0));
	T(S(SYS_poll, NULL, 0, 0));
	T(S(SYS_poll, rw + PAGE - 4, 1, 0));
	T(S(SYS_ppoll, &pfd, 1, KERN, NULL, 8L));
	T(S(SYS_ppoll, &pfd, 1, &(struct timespec){0, 2000000000L}, NULL, 8L));
	T(S(SYS_ppoll, &pfd, 1, &(struct timespec){0, 0}, KERN, 8L));
	T(S(SYS_ppoll, &pfd, 1, &(struct timespec){0, 0}, rw, 4L));
	T(S(SYS_select, -1, NULL, NULL, NULL, &(struct timeval){0, 0}));
	T(S(SYS_select, 1, KERN, NULL, NULL, &(struct timeval){0, 0}));
	T(S(SYS_select, 1, NULL, NULL, NULL, KERN));
	T(S(SYS_select, 0, NULL, NULL, NULL, &(struct timeval){0, -1}));
	T(S(SYS_select, 0, NULL, NULL, NULL, &(struct timeval){-1, 0}));
	T(S(SYS_select, 1, NULL, NULL, NULL, &(struct timeval){0, 2000000}));
	T(S(SYS_select, 1 << 20, NULL, NULL, NULL, &(struct timeval){0, 0}));
	memset(rw, 0xff, 128);
	T(S(SYS_select, 1000, rw, NULL, NULL, &(struct timeval){0, 0}));
	T(S(SYS_pselect6, 1, NULL, NULL, NULL, KERN, NULL));
}

static void test_procs(void)
{
	puts("-- processes");
	int st = 0;
	T(S(SYS_wait4, -1, NULL, 0, NULL));
	T(S(SYS_wait4, -1, &st, 0x12345678, NULL));
	T(S(SYS_wait4, 999999, &st, 0, NULL));
	T(S(SYS_waitid, 99, 0, NULL, WEXITED, NULL));
	T(S(SYS_waitid, P_ALL, 0, NULL, 0, NULL));
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	T(S(SYS_wait4, c, KERN, 0, NULL));
	T(S(SYS_wait4, c, &st, 0, KERN));
	T(S(SYS_wait4, c, &st, 0, NULL) == c);
	printf("status after a faulting wait4: %d\n", WEXITSTATUS(st));

	T(S(SYS_execve, NULL, NULL, NULL));
	T(S(SYS_execve, KERN, NULL, NULL));
	T(S(SYS_execve, "/nonexistent", NULL, NULL));
	T(S(SYS_execve, "f", NULL, NULL));
	T(S(SYS_execve, ".", NULL, NULL));
	T(S(SYS_execve, longpath, NULL, NULL));
	char *bad_argv[] = {"x", (char *)KERN, NULL};
	T(S(SYS_execve, "/proc/self/exe", bad_argv, NULL));
	T(S(SYS_execve, "/proc/self/exe", KERN, NULL));
	T(S(SYS_execve, "/proc/self/exe", tail4, NULL));
	T(S(SYS_execveat, -1, "x", NULL, NULL, 0));
	T(S(SYS_execveat, AT_FDCWD, "f", NULL, NULL, 0x1234));

	char cl[128] = {0};
	T(S(SYS_clone3, NULL, 88));
	T(S(SYS_clone3, KERN, 88));
	T(S(SYS_clone3, cl, 8));
	T(S(SYS_clone3, cl, 1UL << 20));
	((uint64_t *)cl)[0] = 1ULL << 40; /* an unknown flag */
	T(S(SYS_clone3, cl, 88));
	((uint64_t *)cl)[0] = CLONE_THREAD; /* without CLONE_SIGHAND */
	T(S(SYS_clone3, cl, 88));
	((uint64_t *)cl)[0] = CLONE_SIGHAND; /* without CLONE_VM */
	T(S(SYS_clone3, cl, 88));
	((uint64_t *)cl)[0] = 0;
	((uint64_t *)cl)[4] = 65; /* exit_signal */
	T(S(SYS_clone3, cl, 88));
	T(S(SYS_clone, CLONE_THREAD, 0, NULL, NULL, 0));
	T(S(SYS_setpgid, -1, 0L));
	T(S(SYS_setpgid, 999999, 0));
	T(S(SYS_getpgid, 999999));
	T(S(SYS_getsid, 999999));
	T(S(SYS_prlimit64, 0, 999, NULL, rw));
	T(S(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, KERN));
	T(S(SYS_prlimit64, 999999, RLIMIT_NOFILE, NULL, rw));
	T(S(SYS_setrlimit, RLIMIT_NOFILE, KERN));
	struct {
		unsigned long cur, max;
	} lim = {10, 5};
	T(S(SYS_setrlimit, RLIMIT_NOFILE, &lim));
	T(S(SYS_uname, KERN));
	T(S(SYS_getrandom, KERN, 16, 0));
	T(S(SYS_getrandom, rw, 16, 0x1234));
	T(S(SYS_sched_getaffinity, 0, 0, rw));
	T(S(SYS_sched_getaffinity, 0, 7, rw));
	T(S(SYS_sched_getaffinity, 0, 128, KERN));
	T(S(SYS_prctl, 9999, 0, 0, 0, 0));
	T(S(SYS_prctl, PR_SET_NAME, KERN, 0, 0, 0));
	T(S(SYS_arch_prctl, 0x9999, 0));
	T(S(SYS_arch_prctl, 0x1003, KERN)); /* ARCH_GET_FS into the kernel half */
	T(S(SYS_set_tid_address, KERN) > 0);
	T(S(SYS_sysinfo, KERN));
	T(S(SYS_times, KERN));
	T(S(SYS_getrusage, 99, rw));
	T(S(SYS_getrusage, RUSAGE_SELF, KERN));
	T(S(SYS_getgroups, -1, rw));
	T(S(SYS_getresuid, KERN, rw, rw));
	T(S(SYS_setitimer, 99, NULL, NULL));
	T(S(SYS_setitimer, ITIMER_REAL, KERN, NULL));
	T(S(SYS_getitimer, 99, rw));
	T(S(SYS_getitimer, ITIMER_REAL, KERN));
	T(S(SYS_sched_getparam, 0, NULL));
	T(S(SYS_sched_setaffinity, 0, 8, KERN));
	T(S(100000));
	T(S(-1));
	T(S(0x40000000 | SYS_getpid));
}

int main(void)
{
	setup();
	test_io();
	test_paths();
	test_fds();
	test_memory();
	test_time_futex();
	test_signals();
	test_poll();
	test_procs();
	unlink("f");
	unlink("g");
	unlink("h");
	unlink("l");
	unlink("new");
	rmdir(dir);
	puts("done");
	return 0;
}
