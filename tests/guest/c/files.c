/*
 * Files and directories on the tmpfs at /tmp: the *at calls, reads and
 * writes at offsets, stat, directory listing, renames, links, modes, fds,
 * and the errno of each kind of failure.  Everything happens in a fresh
 * directory made by mkdtemp, removed at the end, so a native run and a run
 * under Persona see the same tree.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

/* musl 1.2.3 has no statx or renameat2 wrappers: call the kernel. */
struct kstatx {
	unsigned int mask, blksize;
	unsigned long long attributes;
	unsigned int nlink, uid, gid;
	unsigned short mode, pad0;
	unsigned long long ino, size, blocks, attributes_mask;
	unsigned char rest[256 - 64];
};
#define KSTATX_TYPE 0x1
#define KSTATX_MODE 0x2
#define KSTATX_SIZE 0x200
#define KSTATX_BASIC_STATS 0x7ff
#define KRENAME_NOREPLACE 1
#define KRENAME_EXCHANGE 2
#define kstatx(dfd, path, flags, mask, buf) syscall(SYS_statx, dfd, path, flags, mask, buf)
#define krenameat2(odfd, old, ndfd, new, flags) syscall(SYS_renameat2, odfd, old, ndfd, new, flags)

static char top[64];

/* List the names in dir (without . and ..) through getdents64, sorted,
 * as one line. */
static void list_dir(const char *path)
{
	char buf[4096], names[64][300];
	int n = 0;
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	long len;
	int dots = 0;

	while ((len = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < len;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				dots++;
			else if (n < 64)
				snprintf(names[n++], sizeof names[0], "%s%s", d->d_name,
				         d->d_type == DT_DIR   ? "/"
				         : d->d_type == DT_LNK ? "@"
				                               : "");
			off += d->d_reclen;
		}
	}
	close(fd);
	qsort(names, n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
	printf("     %s:", path + strlen(top));
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
	CHECK(dots == 2, "getdents64 lists . and ..");
}

static void test_rw(int dfd)
{
	char buf[64];
	int fd = openat(dfd, "a.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
	CHECK(fd >= 0, "openat O_CREAT|O_EXCL a.txt");
	CHECK(write(fd, "hello world\n", 12) == 12, "write 12 bytes");
	CHECK(lseek(fd, 0, SEEK_CUR) == 12, "lseek SEEK_CUR == 12");
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek SEEK_SET 0");
	memset(buf, 0, sizeof buf);
	CHECK(read(fd, buf, sizeof buf) == 12 && !memcmp(buf, "hello world\n", 12),
	      "read back 12 bytes");
	CHECK(read(fd, buf, sizeof buf) == 0, "read at EOF returns 0");
	CHECK(pwrite(fd, "W", 1, 6) == 1, "pwrite at 6");
	CHECK(pread(fd, buf, 5, 6) == 5 && !memcmp(buf, "World", 5), "pread at 6 sees it");
	CHECK(lseek(fd, 0, SEEK_CUR) == 12, "pread/pwrite leave the offset alone");
	CHECK(lseek(fd, -2, SEEK_END) == 10, "lseek SEEK_END -2");
	CHECK(lseek(fd, 100, SEEK_END) == 112, "lseek past the end");
	CHECK(write(fd, "!", 1) == 1, "write past the end makes a hole");
	CHECK(pread(fd, buf, 4, 50) == 4 && !memcmp(buf, "\0\0\0\0", 4), "the hole reads as zeros");
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERR(lseek(fd, 0, 42), EINVAL);

	struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	CHECK(writev(fd, iov, 3) == 5, "writev 2+0+3 bytes");
	char x[2], y[4];
	struct iovec rv[2] = {{x, 2}, {y, 4}};
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && readv(fd, rv, 2) == 6, "readv 2+4 bytes");
	CHECK(!memcmp(x, "ab", 2) && !memcmp(y, "cde ", 4), "readv content");

	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode) && st.st_size == 113, "fstat: regular, size 113");
	CHECK((st.st_mode & 07777) == (0644 & ~022), "fstat: mode 0644 under umask 022");
	CHECK(st.st_nlink == 1, "fstat: nlink 1");
	CHECK_OK(ftruncate(fd, 5));
	CHECK_OK(fstatat(dfd, "a.txt", &st, 0));
	CHECK(st.st_size == 5, "ftruncate to 5, newfstatat sees 5");
	CHECK_OK(ftruncate(fd, 8192));
	CHECK(pread(fd, buf, 3, 8000) == 3 && !memcmp(buf, "\0\0\0", 3),
	      "ftruncate up reads zeros");
	CHECK_ERR(ftruncate(fd, -1), EINVAL);
	CHECK_OK(fsync(fd));
	CHECK_OK(fdatasync(fd));
	CHECK_OK(fchmod(fd, 0600));
	struct kstatx sx;
	CHECK_OK(kstatx(dfd, "a.txt", 0, KSTATX_BASIC_STATS, &sx));
	CHECK((sx.mode & 07777) == 0600 && S_ISREG(sx.mode), "statx: mode 0600 after fchmod");
	CHECK(sx.size == 8192, "statx: size 8192");
	CHECK((sx.mask & (KSTATX_TYPE | KSTATX_MODE | KSTATX_SIZE)) ==
	          (KSTATX_TYPE | KSTATX_MODE | KSTATX_SIZE),
	      "statx: mask has type, mode, size");
	CHECK_ERR(kstatx(dfd, "missing", 0, KSTATX_BASIC_STATS, &sx), ENOENT);
	CHECK_ERR(kstatx(dfd, "a.txt", 0x12345678, KSTATX_BASIC_STATS, &sx), EINVAL);

	/* the file offset is shared by dup'd descriptors */
	int fd2 = dup(fd);
	CHECK(fd2 > fd, "dup gives the lowest free descriptor above");
	CHECK(lseek(fd, 3, SEEK_SET) == 3 && lseek(fd2, 0, SEEK_CUR) == 3, "dup shares the offset");
	CHECK(dup2(fd, 100) == 100, "dup2 to 100");
	CHECK(dup2(fd, fd) == fd, "dup2 to itself");
	CHECK_ERR(dup3(fd, fd, O_CLOEXEC), EINVAL);
	CHECK(dup3(fd, 101, O_CLOEXEC) == 101, "dup3 O_CLOEXEC to 101");
	CHECK(fcntl(101, F_GETFD) == FD_CLOEXEC, "fcntl F_GETFD shows FD_CLOEXEC");
	CHECK(fcntl(100, F_GETFD) == 0, "dup2 clears FD_CLOEXEC");
	CHECK_OK(fcntl(100, F_SETFD, FD_CLOEXEC));
	CHECK(fcntl(100, F_GETFD) == FD_CLOEXEC, "fcntl F_SETFD");
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "fcntl F_GETFL O_RDWR");
	CHECK_OK(fcntl(fd, F_SETFL, O_APPEND));
	CHECK(fcntl(fd2, F_GETFL) & O_APPEND, "O_APPEND is shared with the dup");
	CHECK(write(fd, "Z", 1) == 1 && lseek(fd, 0, SEEK_CUR) == 8193,
	      "O_APPEND writes at the end");
	CHECK(fcntl(fd, F_DUPFD, 50) == 50, "F_DUPFD from 50");
	CHECK(fcntl(fd, F_DUPFD_CLOEXEC, 50) == 51, "F_DUPFD_CLOEXEC gives 51");
	CHECK(fcntl(51, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC sets the flag");
	close(50);
	close(51);
	close(100);
	close(101);
	close(fd2);
	close(fd);
	CHECK_ERR(close(fd), EBADF);
	CHECK_ERR(read(fd, buf, 1), EBADF);
	CHECK_ERR(write(-1, buf, 1), EBADF);
	CHECK_ERR(fstat(999, &st), EBADF);
	CHECK_ERR(dup(999), EBADF);
	CHECK_ERR(fcntl(999, F_GETFD), EBADF);

	fd = openat(dfd, "a.txt", O_RDONLY);
	CHECK_ERR(write(fd, "x", 1), EBADF);
	close(fd);
	fd = openat(dfd, "a.txt", O_WRONLY | O_TRUNC);
	CHECK_ERR(read(fd, buf, 1), EBADF);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC empties the file");
	close(fd);
	fd = openat(dfd, "a.txt", O_WRONLY | O_APPEND);
	CHECK(write(fd, "12", 2) == 2 && write(fd, "34", 2) == 2, "O_APPEND writes");
	close(fd);
	fd = openat(dfd, "a.txt", O_RDONLY);
	CHECK(read(fd, buf, 10) == 4 && !memcmp(buf, "1234", 4), "appended content");
	close(fd);
}

static void test_tree(int dfd)
{
	char buf[PATH_MAX];
	struct stat st;

	CHECK_OK(mkdirat(dfd, "d", 0755));
	CHECK_OK(mkdirat(dfd, "d/sub", 0700));
	CHECK_ERR(mkdirat(dfd, "d", 0755), EEXIST);
	CHECK_ERR(mkdirat(dfd, "nodir/x", 0755), ENOENT);
	CHECK_ERR(mkdirat(dfd, "a.txt/x", 0755), ENOTDIR);
	CHECK_ERR(openat(dfd, "a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	CHECK_ERR(openat(dfd, "missing", O_RDONLY), ENOENT);
	CHECK_ERR(openat(dfd, "a.txt/x", O_RDONLY), ENOTDIR);
	CHECK_ERR(openat(dfd, "d", O_WRONLY), EISDIR);
	CHECK_ERR(openat(dfd, "a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(unlinkat(dfd, "d", 0), EISDIR);
	CHECK_ERR(unlinkat(dfd, "d", AT_REMOVEDIR), ENOTEMPTY);
	CHECK_ERR(unlinkat(dfd, "a.txt", AT_REMOVEDIR), ENOTDIR);
	CHECK_ERR(unlinkat(dfd, "missing", 0), ENOENT);
	CHECK_ERR(unlinkat(dfd, "a.txt", 0x1234), EINVAL);

	int fd = openat(dfd, "d/sub/f", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && write(fd, "data", 4) == 4, "create d/sub/f");
	close(fd);
	CHECK_OK(fstatat(dfd, "d/sub", &st, 0));
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700, "d/sub is a directory 0700");

	/* symbolic links */
	CHECK_OK(symlinkat("d/sub/f", dfd, "link"));
	CHECK_OK(symlinkat("loop2", dfd, "loop1"));
	CHECK_OK(symlinkat("loop1", dfd, "loop2"));
	CHECK_OK(symlinkat("nowhere", dfd, "dangling"));
	CHECK_ERR(symlinkat("x", dfd, "link"), EEXIST);
	ssize_t n = readlinkat(dfd, "link", buf, sizeof buf);
	CHECK(n == 7 && !memcmp(buf, "d/sub/f", 7), "readlinkat gives the target");
	CHECK_ERR(readlinkat(dfd, "a.txt", buf, sizeof buf), EINVAL);
	CHECK_ERR(readlinkat(dfd, "missing", buf, sizeof buf), ENOENT);
	CHECK(readlinkat(dfd, "link", buf, 3) == 3 && !memcmp(buf, "d/s", 3),
	      "readlinkat truncates");
	CHECK_OK(fstatat(dfd, "link", &st, 0));
	CHECK(S_ISREG(st.st_mode) && st.st_size == 4, "stat follows the link");
	CHECK_OK(fstatat(dfd, "link", &st, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISLNK(st.st_mode) && st.st_size == 7, "lstat sees the link, size 7");
	CHECK_ERR(openat(dfd, "loop1", O_RDONLY), ELOOP);
	CHECK_ERR(openat(dfd, "link", O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK_ERR(openat(dfd, "dangling", O_RDONLY), ENOENT);
	fd = openat(dfd, "link", O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, 10) == 4 && !memcmp(buf, "data", 4),
	      "open through the link");
	close(fd);

	/* access checks: we run as root on both sides, so only F_OK/X_OK tell */
	CHECK_OK(faccessat(dfd, "a.txt", F_OK, 0));
	CHECK_OK(faccessat(dfd, "a.txt", R_OK | W_OK, 0));
	CHECK_ERR(faccessat(dfd, "missing", F_OK, 0), ENOENT);
	CHECK_ERR(faccessat(dfd, "a.txt", 0x10, 0), EINVAL);

	/* names too long */
	char longname[NAME_MAX + 2];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	CHECK_ERR(openat(dfd, longname, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	CHECK_ERR(mkdirat(dfd, longname, 0755), ENAMETOOLONG);
	static char longpath[PATH_MAX + 16];
	memset(longpath, 'p', sizeof longpath - 1);
	for (size_t i = 100; i < sizeof longpath - 1; i += 100)
		longpath[i] = '/';
	CHECK_ERR(openat(dfd, longpath, O_RDONLY), ENAMETOOLONG);
	CHECK_ERR(openat(dfd, "", O_RDONLY), ENOENT);

	/* renames */
	CHECK_OK(renameat(dfd, "a.txt", dfd, "b.txt"));
	CHECK_ERR(fstatat(dfd, "a.txt", &st, 0), ENOENT);
	CHECK_OK(fstatat(dfd, "b.txt", &st, 0));
	fd = openat(dfd, "c.txt", O_CREAT | O_WRONLY, 0644);
	close(fd);
	CHECK_ERR(krenameat2(dfd, "b.txt", dfd, "c.txt", KRENAME_NOREPLACE), EEXIST);
	CHECK_OK(krenameat2(dfd, "b.txt", dfd, "c.txt", KRENAME_EXCHANGE));
	CHECK(fstatat(dfd, "c.txt", &st, 0) == 0 && st.st_size == 4, "RENAME_EXCHANGE swapped");
	CHECK(fstatat(dfd, "b.txt", &st, 0) == 0 && st.st_size == 0, "RENAME_EXCHANGE other side");
	CHECK_OK(renameat(dfd, "b.txt", dfd, "c.txt"));
	CHECK(fstatat(dfd, "c.txt", &st, 0) == 0 && st.st_size == 0, "rename replaces the target");
	CHECK_ERR(renameat(dfd, "c.txt", dfd, "d"), EISDIR);
	CHECK_ERR(renameat(dfd, "d", dfd, "c.txt"), ENOTDIR);
	CHECK_ERR(renameat(dfd, "d", dfd, "d/sub/x"), EINVAL);
	CHECK_ERR(renameat(dfd, "missing", dfd, "x"), ENOENT);
	CHECK_OK(mkdirat(dfd, "empty", 0755));
	CHECK_OK(renameat(dfd, "empty", dfd, "d2"));
	CHECK_ERR(renameat(dfd, "d2", dfd, "d"), ENOTEMPTY);

	/* hard links */
	CHECK_OK(linkat(dfd, "c.txt", dfd, "hard", 0));
	CHECK(fstatat(dfd, "hard", &st, 0) == 0 && st.st_nlink == 2, "link: nlink 2");
	CHECK_ERR(linkat(dfd, "d", dfd, "dl", 0), EPERM);

	list_dir(top);
	list_dir(strcat(strcpy(buf, top), "/d"));

	/* cwd */
	char old[PATH_MAX];
	CHECK(getcwd(old, sizeof old) != NULL, "getcwd");
	CHECK_OK(chdir(top));
	CHECK(getcwd(buf, sizeof buf) && !strcmp(buf, top), "getcwd after chdir is the directory");
	CHECK_OK(chdir("d/sub"));
	CHECK(getcwd(buf, sizeof buf) && !strcmp(buf + strlen(top), "/d/sub"), "relative chdir");
	CHECK_OK(chdir(".."));
	CHECK(access("sub/f", F_OK) == 0, "relative paths resolve from the new cwd");
	CHECK_ERR(chdir("missing"), ENOENT);
	CHECK_ERR(chdir("../c.txt"), ENOTDIR);
	CHECK_ERR(syscall(SYS_getcwd, buf, 2), ERANGE);
	fd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK_OK(chdir("/"));
	CHECK_OK(fchdir(fd));
	CHECK(getcwd(buf, sizeof buf) && !strcmp(buf + strlen(top), "/d"), "fchdir");
	close(fd);
	CHECK_OK(chdir(old));

	/* umask applies to creation */
	mode_t prev = umask(077);
	CHECK(prev == 022, "umask was 022");
	fd = openat(dfd, "private", O_CREAT | O_WRONLY, 0666);
	CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600, "umask 077 gives 0600");
	close(fd);
	umask(prev);

	/* clean up */
	unlinkat(dfd, "private", 0);
	unlinkat(dfd, "hard", 0);
	unlinkat(dfd, "c.txt", 0);
	unlinkat(dfd, "link", 0);
	unlinkat(dfd, "loop1", 0);
	unlinkat(dfd, "loop2", 0);
	unlinkat(dfd, "dangling", 0);
	unlinkat(dfd, "d/sub/f", 0);
	CHECK_OK(unlinkat(dfd, "d/sub", AT_REMOVEDIR));
	CHECK_OK(unlinkat(dfd, "d", AT_REMOVEDIR));
	CHECK_OK(unlinkat(dfd, "d2", AT_REMOVEDIR));
	list_dir(top);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	strcpy(top, "/tmp/persona-files-XXXXXX");
	CHECK(mkdtemp(top) != NULL, "mkdtemp under /tmp");
	int dfd = open(top, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open the directory");
	test_rw(dfd);
	test_tree(dfd);
	/* An O_PATH fd only names the file: futimens on it is EBADF. */
	int pfd = open(top, O_PATH);
	CHECK(pfd >= 0, "open the directory O_PATH");
	CHECK_ERR(syscall(SYS_utimensat, pfd, NULL, NULL, 0), EBADF);
	close(pfd);
	close(dfd);
	CHECK_OK(rmdir(top));
	CHECK_ERR(rmdir(top), ENOENT);
	return check_done();
}
