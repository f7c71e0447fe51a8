/* The device files of /dev: null, zero, full and urandom. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	char buf[256];
	struct stat st;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0, "open /dev/null");
	CHECK(write(fd, buf, sizeof buf) == sizeof buf, "/dev/null swallows writes");
	CHECK(read(fd, buf, sizeof buf) == 0, "/dev/null reads EOF");
	CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is a character device");
	CHECK(major(st.st_rdev) == 1 && minor(st.st_rdev) == 3, "/dev/null is 1:3");
	close(fd);

	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 0x77, sizeof buf);
	CHECK(read(fd, buf, sizeof buf) == sizeof buf, "/dev/zero fills the buffer");
	int zero = 1;
	for (unsigned i = 0; i < sizeof buf; i++)
		zero &= buf[i] == 0;
	CHECK(zero, "/dev/zero reads zeros");
	close(fd);

	fd = open("/dev/full", O_WRONLY);
	CHECK(fd >= 0, "open /dev/full");
	CHECK_ERR(write(fd, "x", 1), ENOSPC);
	close(fd);
	fd = open("/dev/full", O_RDONLY);
	CHECK(read(fd, buf, 16) == 16 && buf[0] == 0 && buf[15] == 0, "/dev/full reads zeros");
	close(fd);

	fd = open("/dev/urandom", O_RDONLY);
	char a[32] = {0}, b[32] = {0};
	CHECK(read(fd, a, 32) == 32 && read(fd, b, 32) == 32, "/dev/urandom gives 32 bytes twice");
	CHECK(memcmp(a, b, 32) != 0, "two urandom reads differ");
	close(fd);

	CHECK(stat("/dev", &st) == 0 && S_ISDIR(st.st_mode), "/dev is a directory");
	CHECK_ERR(open("/dev/no-such-device", O_RDONLY), ENOENT);
	CHECK_ERR(open("/dev/null/x", O_RDONLY), ENOTDIR);
	return check_done();
}
