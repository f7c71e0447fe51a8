/*
 * Extended attributes: set, get, list and remove in the user.*, trusted.*
 * and security.* namespaces on files and directories, through paths, fds
 * and (l*) symlinks themselves; XATTR_CREATE and XATTR_REPLACE, the size
 * probes and ERANGE, empty values, and the errors (ENODATA, EOPNOTSUPP for
 * an unknown namespace, EPERM for user.* on a symlink or a FIFO, ERANGE
 * for bad names, E2BIG, EINVAL, EBADF, EFAULT), and what another user may
 * do.  Small values only: every Linux filesystem keeps them.  In a
 * directory made by mkdtemp under /tmp.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"

/* The names of path, sorted, comma-separated (the order is the
 * filesystem's own). */
static const char *names(const char *path, int follow)
{
	static char out[512];
	char buf[512], *v[32];
	ssize_t n = follow ? listxattr(path, buf, sizeof buf) : llistxattr(path, buf, sizeof buf);
	int k = 0;
	out[0] = 0;
	if (n < 0) {
		snprintf(out, sizeof out, "error %s", errname(errno));
		return out;
	}
	for (char *p = buf; p < buf + n && k < 32; p += strlen(p) + 1)
		if (strncmp(p, "security.", 9)) /* an LSM may add its own */
			v[k++] = p;
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	for (int i = 0; i < k; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "", v[i]);
	return out;
}

int main(void)
{
	char dir[] = "/tmp/xattr.XXXXXX", f[64], d[64], l[64], p[64], buf[256];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir))
		return 1;
	snprintf(f, sizeof f, "%s/f", dir);
	snprintf(d, sizeof d, "%s/d", dir);
	snprintf(l, sizeof l, "%s/l", dir);
	snprintf(p, sizeof p, "%s/p", dir);
	int fd = open(f, O_CREAT | O_RDWR, 0644);
	mkdir(d, 0755);
	symlink("f", l);
	mkfifo(p, 0644);

	CHECK(!strcmp(names(f, 1), ""), "a new file has no user attributes");
	CHECK_OK(setxattr(f, "user.colour", "blue", 4, 0));
	CHECK(getxattr(f, "user.colour", NULL, 0) == 4, "a size probe gives the length");
	memset(buf, 0, sizeof buf);
	CHECK(getxattr(f, "user.colour", buf, sizeof buf) == 4 && !memcmp(buf, "blue", 4),
	      "getxattr reads the value");
	CHECK_ERR(getxattr(f, "user.colour", buf, 2), ERANGE);
	CHECK_ERR(setxattr(f, "user.colour", "red", 3, XATTR_CREATE), EEXIST);
	CHECK_OK(setxattr(f, "user.colour", "red", 3, XATTR_REPLACE));
	CHECK(getxattr(f, "user.colour", buf, sizeof buf) == 3 && !memcmp(buf, "red", 3),
	      "XATTR_REPLACE replaced it");
	CHECK_ERR(setxattr(f, "user.size", "x", 1, XATTR_REPLACE), ENODATA);
	CHECK_OK(setxattr(f, "user.empty", "", 0, 0));
	CHECK(getxattr(f, "user.empty", buf, sizeof buf) == 0, "an empty value");
	CHECK_OK(fsetxattr(fd, "user.viafd", "1", 1, 0));
	CHECK(fgetxattr(fd, "user.colour", buf, sizeof buf) == 3, "fgetxattr");
	CHECK(!strcmp(names(f, 1), "user.colour,user.empty,user.viafd"), "listxattr: %s",
	      names(f, 1));
	CHECK(listxattr(f, NULL, 0) == (ssize_t)strlen("user.colour user.empty user.viafd "),
	      "a list size probe");
	CHECK_ERR(listxattr(f, buf, 5), ERANGE);
	CHECK(flistxattr(fd, buf, sizeof buf) > 0, "flistxattr");
	CHECK_OK(removexattr(f, "user.empty"));
	CHECK_ERR(removexattr(f, "user.empty"), ENODATA);
	CHECK_OK(fremovexattr(fd, "user.viafd"));
	CHECK(!strcmp(names(f, 1), "user.colour"), "after removing two: %s", names(f, 1));

	/* Through the symlink: getxattr follows it, the l* calls do not. */
	CHECK(getxattr(l, "user.colour", buf, sizeof buf) == 3, "getxattr follows a symlink");
	CHECK_ERR(lgetxattr(l, "user.colour", buf, sizeof buf), ENODATA);
	CHECK_ERR(lsetxattr(l, "user.x", "1", 1, 0), EPERM);
	CHECK(!strcmp(names(l, 0), ""), "a symlink itself lists none");
	CHECK_ERR(setxattr(p, "user.x", "1", 1, 0), EPERM);
	CHECK_ERR(getxattr(p, "user.x", buf, sizeof buf), ENODATA);

	/* Directories, trusted.* (root) and security.*. */
	CHECK_OK(setxattr(d, "user.dir", "yes", 3, 0));
	CHECK(getxattr(d, "user.dir", buf, sizeof buf) == 3, "a directory keeps one too");
	if (geteuid() == 0) {
		CHECK_OK(setxattr(f, "trusted.secret", "t", 1, 0));
		CHECK(!strcmp(names(f, 1), "trusted.secret,user.colour"),
		      "root lists trusted.*: %s", names(f, 1));
	}
	CHECK_OK(setxattr(f, "security.test", "s", 1, 0));
	CHECK(getxattr(f, "security.test", buf, sizeof buf) == 1, "security.* without an LSM");

	/* Errors. */
	CHECK_ERR(setxattr(f, "other.x", "1", 1, 0), EOPNOTSUPP);
	CHECK_ERR(getxattr(f, "other.x", buf, sizeof buf), EOPNOTSUPP);
	CHECK_ERR(setxattr(f, "user.", "1", 1, 0), EINVAL);
	CHECK_ERR(setxattr(f, "", "1", 1, 0), ERANGE);
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	memcpy(longname, "user.", 5);
	longname[sizeof longname - 1] = 0;
	CHECK_ERR(setxattr(f, longname, "1", 1, 0), ERANGE);
	CHECK_ERR(syscall(SYS_setxattr, f, "user.x", "1", 70000, 0), E2BIG);
	CHECK_ERR(setxattr(f, "user.x", "1", 1, 4), EINVAL);
	CHECK_ERR(syscall(SYS_setxattr, f, "user.x", (void *)8, 1, 0), EFAULT);
	CHECK_ERR(getxattr(f, (void *)8, buf, sizeof buf), EFAULT);
	CHECK_ERR(getxattr(f, "user.nothere", buf, sizeof buf), ENODATA);
	CHECK_ERR(getxattr("/nonexistent", "user.x", buf, sizeof buf), ENOENT);
	CHECK_ERR(fgetxattr(999, "user.x", buf, sizeof buf), EBADF);

	/* Another user: reads need read permission, writes write permission,
	 * and trusted.* is hidden. */
	if (geteuid() == 0) {
		chmod(dir, 0755);
		pid_t pid = fork();
		if (pid == 0) {
			if (setuid(12345) < 0)
				_exit(9);
			int ok = getxattr(f, "user.colour", buf, sizeof buf) == 3;
			ok &= setxattr(f, "user.colour", "x", 1, 0) < 0 && errno == EACCES;
			ok &= !strcmp(names(f, 1), "user.colour");
			ok &=
			    getxattr(f, "trusted.secret", buf, sizeof buf) < 0 && errno == ENODATA;
			_exit(ok ? 0 : 1);
		}
		int st;
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "another user reads, may not write, does not see trusted.*");
	}

	close(fd);
	unlink(f);
	unlink(l);
	unlink(p);
	rmdir(d);
	rmdir(dir);
	return check_done();
}
