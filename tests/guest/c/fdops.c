/*
 * close_range (closing, CLOSE_RANGE_CLOEXEC across exec-like checks,
 * CLOSE_RANGE_UNSHARE with a shared fd table) and preadv2/pwritev2 (offset
 * -1 as the file position, RWF_APPEND, RWF_NOWAIT on an empty pipe, the
 * errors).  Called through syscall(2), as not every C library wraps them.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define CR_UNSHARE (1u << 1)
#define CR_CLOEXEC (1u << 2)
#define RWF_APPEND_ 0x10
#define RWF_NOWAIT_ 0x08

static long close_range_(unsigned first, unsigned last, unsigned flags)
{
	return syscall(SYS_close_range, first, last, flags);
}

static long preadv2_(int fd, const struct iovec *iov, int cnt, long pos, int flags)
{
	return syscall(SYS_preadv2, fd, iov, cnt, pos, 0L, flags);
}

static long pwritev2_(int fd, const struct iovec *iov, int cnt, long pos, int flags)
{
	return syscall(SYS_pwritev2, fd, iov, cnt, pos, 0L, flags);
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static char stack[64 * 1024];
static int child_fd;

/* A CLONE_FILES child: unshares, then closes everything from child_fd. */
static int unsharer(void *arg)
{
	return close_range_((unsigned)child_fd, ~0u, CR_UNSHARE) == 0 && !is_open(child_fd) ? 0 : 1;
}

static void ranges(void)
{
	int fds[6];
	for (int i = 0; i < 6; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	int lo = fds[0], hi = fds[5];
	CHECK(hi == lo + 5, "six fds in a row");

	CHECK_ERR(close_range_((unsigned)hi, (unsigned)lo, 0), EINVAL);
	CHECK_ERR(close_range_((unsigned)lo, (unsigned)hi, 1u << 0), EINVAL);
	CHECK_ERR(close_range_((unsigned)lo, (unsigned)hi, 1u << 3), EINVAL);

	CHECK_OK(close_range_((unsigned)lo + 1, (unsigned)lo + 2, 0));
	CHECK(is_open(lo) && !is_open(lo + 1) && !is_open(lo + 2) && is_open(lo + 3),
	      "close_range closes exactly its range");
	CHECK_OK(close_range_((unsigned)lo + 1, (unsigned)lo + 2, 0));
	CHECK(1, "closing a range with nothing open is no error");

	CHECK_OK(close_range_((unsigned)lo + 3, (unsigned)hi, CR_CLOEXEC));
	CHECK(is_open(lo + 3) && fcntl(lo + 3, F_GETFD) == FD_CLOEXEC &&
	          fcntl(hi, F_GETFD) == FD_CLOEXEC && fcntl(lo, F_GETFD) == 0,
	      "CLOSE_RANGE_CLOEXEC marks the range and closes nothing");

	/* A child sharing the fd table unshares before closing: the
	 * parent's fds stay open. */
	child_fd = lo;
	pid_t pid = clone(unsharer, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the CLONE_FILES child closed its own copy");
	CHECK(is_open(lo) && is_open(hi), "the parent's fds are still open");

	CHECK_OK(close_range_((unsigned)lo, ~0u, 0));
	CHECK(!is_open(lo) && !is_open(hi) && is_open(2), "close_range(lo, ~0) closes the rest");
	CHECK_OK(close_range_(1000, 2000, 0));
}

static void vectors(void)
{
	char path[] = "/tmp/fdops.XXXXXX", a[8] = {0}, b[8] = {0};
	int fd = mkstemp(path);
	struct iovec w[2] = {{"hello", 5}, {" world", 6}};
	struct iovec r[2] = {{a, 5}, {b, 6}};

	unlink(path);
	CHECK(pwritev2_(fd, w, 2, 0, 0) == 11, "pwritev2 at offset 0 writes 11 bytes");
	CHECK(lseek(fd, 0, SEEK_CUR) == 0, "and leaves the position alone");
	CHECK(pwritev2_(fd, w, 1, -1, 0) == 5 && lseek(fd, 0, SEEK_CUR) == 5,
	      "offset -1 writes at the position and moves it");
	CHECK(preadv2_(fd, r, 2, 0, 0) == 11 && !memcmp(a, "hello", 5) && !memcmp(b, " world", 6),
	      "preadv2 at offset 0 reads the two pieces");
	lseek(fd, 6, SEEK_SET);
	memset(a, 0, sizeof a);
	CHECK(preadv2_(fd, r, 1, -1, 0) == 5 && !memcmp(a, "world", 5) &&
	          lseek(fd, 0, SEEK_CUR) == 11,
	      "offset -1 reads at the position and moves it");
	CHECK(pwritev2_(fd, w, 1, 0, RWF_APPEND_) == 5 && lseek(fd, 0, SEEK_END) == 16,
	      "RWF_APPEND writes at the end whatever the offset");
	CHECK(preadv2_(fd, r, 1, 11, 0) == 5 && !memcmp(a, "hello", 5), "and the bytes are there");
	CHECK(preadv2_(fd, r, 1, 0, 0x1 | 0x2 | 0x4) == 5, "the sync and priority hints are taken");
	CHECK_ERR(preadv2_(fd, r, 1, 0, 0x4000), EOPNOTSUPP);
	CHECK_ERR(preadv2_(fd, r, 1, -2, 0), EINVAL);
	CHECK_ERR(preadv2_(fd, r, -1, 0, 0), EINVAL);
	CHECK_ERR(preadv2_(fd, (struct iovec *)8, 1, 0, 0), EFAULT);
	CHECK_ERR(preadv2_(999, r, 1, 0, 0), EBADF);
	close(fd);

	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERR(preadv2_(p[0], r, 1, -1, RWF_NOWAIT_), EAGAIN);
	CHECK_ERR(preadv2_(p[0], r, 1, 0, 0), ESPIPE);
	CHECK(pwritev2_(p[1], w, 2, -1, 0) == 11, "pwritev2 at -1 on a pipe writes");
	CHECK(preadv2_(p[0], r, 2, -1, RWF_NOWAIT_) == 11, "and RWF_NOWAIT reads what is there");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ranges();
	vectors();
	return check_done();
}
