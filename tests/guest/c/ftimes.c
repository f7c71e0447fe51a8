/*
 * File times: utimensat (explicit times, UTIME_NOW, UTIME_OMIT, a symlink
 * itself, an fd), futimens, and the older utimes, futimesat and utime,
 * each read back with stat; and their errors in Linux's order.  In a
 * directory made by mkdtemp under /tmp, removed at the end.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "check.h"

static struct stat st_of(const char *path, int nofollow)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	if (nofollow)
		lstat(path, &st);
	else
		stat(path, &st);
	return st;
}

int main(void)
{
	char dir[] = "/tmp/ftimes.XXXXXX", f[64], l[64];
	struct stat st;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir))
		return 1;
	snprintf(f, sizeof f, "%s/f", dir);
	snprintf(l, sizeof l, "%s/l", dir);
	int fd = open(f, O_CREAT | O_RDWR, 0644);
	CHECK_OK(symlink("f", l));

	struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 987654321}};
	CHECK_OK(utimensat(AT_FDCWD, f, ts, 0));
	st = st_of(f, 0);
	CHECK(st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789 &&
	          st.st_mtim.tv_sec == 1200000000 && st.st_mtim.tv_nsec == 987654321,
	      "utimensat sets both times to the nanosecond");

	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = (struct timespec){1300000000, 0};
	CHECK_OK(utimensat(AT_FDCWD, f, ts, 0));
	st = st_of(f, 0);
	CHECK(st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 1300000000,
	      "UTIME_OMIT leaves the access time");

	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_nsec = UTIME_OMIT;
	CHECK_OK(utimensat(AT_FDCWD, f, ts, 0));
	st = st_of(f, 0);
	CHECK(st.st_atim.tv_sec > 1600000000 && st.st_mtim.tv_sec == 1300000000,
	      "UTIME_NOW sets the access time to now");

	ts[0] = (struct timespec){1100000000, 0};
	ts[1] = (struct timespec){1100000000, 0};
	CHECK_OK(utimensat(AT_FDCWD, l, ts, AT_SYMLINK_NOFOLLOW));
	CHECK(st_of(l, 1).st_mtim.tv_sec == 1100000000 && st_of(f, 0).st_mtim.tv_sec == 1300000000,
	      "AT_SYMLINK_NOFOLLOW sets the link's own times");

	ts[0] = (struct timespec){1400000000, 0};
	CHECK_OK(futimens(fd, ts));
	CHECK(st_of(f, 0).st_mtim.tv_sec == 1100000000 && st_of(f, 0).st_atim.tv_sec == 1400000000,
	      "futimens sets the times of the open file");

	/* Errors, in Linux's order. */
	ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
	CHECK_OK(syscall(SYS_utimensat, AT_FDCWD, "/nonexistent", ts, 0x7000));
	CHECK(1, "two UTIME_OMITs end the call before the flags or the path");
	ts[0].tv_nsec = 1000000000;
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, f, ts, 0x7000), EINVAL);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, f, (void *)8, 0), EFAULT);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0), EFAULT);
	CHECK_ERR(syscall(SYS_utimensat, 999, NULL, NULL, 0), EBADF);
	CHECK_ERR(syscall(SYS_utimensat, fd, NULL, NULL, AT_SYMLINK_NOFOLLOW), EINVAL);
	CHECK_ERR(utimensat(AT_FDCWD, "/nonexistent", NULL, 0), ENOENT);

	/* utimes and futimesat: microseconds. */
	struct timeval tv[2] = {{1500000000, 250000}, {1500000001, 500000}};
	CHECK_OK(utimes(f, tv));
	st = st_of(f, 0);
	CHECK(st.st_atim.tv_sec == 1500000000 && st.st_atim.tv_nsec == 250000000 &&
	          st.st_mtim.tv_sec == 1500000001 && st.st_mtim.tv_nsec == 500000000,
	      "utimes sets both times to the microsecond");
	tv[0].tv_usec = 1000000;
	CHECK_ERR(utimes(f, tv), EINVAL);
	tv[0].tv_usec = -1;
	CHECK_ERR(utimes(f, tv), EINVAL);
	tv[0].tv_usec = 0;
	CHECK_ERR(utimes("/nonexistent", tv), ENOENT);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	tv[1].tv_sec = 1600000000;
	CHECK_OK(syscall(SYS_futimesat, dfd, "f", tv));
	CHECK(st_of(f, 0).st_mtim.tv_sec == 1600000000, "futimesat resolves against its fd");
	tv[1].tv_sec = 1600000002;
	CHECK_OK(syscall(SYS_futimesat, fd, NULL, tv));
	CHECK(st_of(f, 0).st_mtim.tv_sec == 1600000002, "futimesat with no path: the fd's file");
	CHECK_OK(syscall(SYS_futimesat, dfd, "f", NULL));
	CHECK(st_of(f, 0).st_mtim.tv_sec > 1700000000, "futimesat with no times: now");

	/* utime: whole seconds. */
	struct utimbuf ub = {1234567890, 1234567891};
	CHECK_OK(utime(f, &ub));
	st = st_of(f, 0);
	CHECK(st.st_atim.tv_sec == 1234567890 && st.st_atim.tv_nsec == 0 &&
	          st.st_mtim.tv_sec == 1234567891,
	      "utime sets whole seconds");
	CHECK_OK(utime(f, NULL));
	CHECK(st_of(f, 0).st_mtim.tv_sec > 1700000000, "utime with no times: now");
	CHECK_ERR(syscall(SYS_utime, f, (void *)8), EFAULT);

	close(dfd);
	close(fd);
	unlink(l);
	unlink(f);
	rmdir(dir);
	return check_done();
}
