/*
 * Credentials: getres*id, and, when started as root, what Linux lets root
 * do and undo: seteuid and back through the saved id, setresuid/setresgid,
 * setreuid's saved-id rule, setfsuid, setgroups/getgroups, capget before
 * and after, file access by the new ids (EACCES, access(2) asking as the
 * real user, chown and chmod rules, sticky directories), kill permission
 * (EPERM), AT_SECURE after a set-user-ID exec, and that root, once every
 * uid is gone, cannot come back.  Started as another user it checks the
 * refusals instead.  Each scenario runs in a child, so the next starts
 * from the same credentials.
 */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define U1 12345
#define U2 12346
#define G1 23456

static char dir[64];

struct cap_hdr {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t eff, perm, inh;
};

/* Effective and permitted capability words (low 32 bits). */
static void caps(uint32_t *eff, uint32_t *perm)
{
	struct cap_hdr h = {0x20080522, 0};
	struct cap_data d[2];
	memset(d, 0, sizeof d);
	syscall(SYS_capget, &h, d);
	*eff = d[0].eff;
	*perm = d[0].perm;
}

static int run(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		check_failures = 0; /* this scenario's own count */
		fn();
		fflush(stdout);
		_exit(check_failures ? 1 : 0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void ids(uid_t r, uid_t e, uid_t s, const char *what)
{
	uid_t a, b, c;
	getresuid(&a, &b, &c);
	CHECK(a == r && b == e && c == s, "%s: uids %s", what,
	      a == r && b == e && c == s ? "as expected" : "differ");
}

static void effective_and_back(void)
{
	char f[96];
	snprintf(f, sizeof f, "%s/secret", dir);
	CHECK_OK(seteuid(U1));
	ids(0, U1, 0, "seteuid");
	CHECK(geteuid() == U1 && getuid() == 0, "geteuid/getuid follow");
	CHECK_ERR(open(f, O_RDONLY), EACCES);
	CHECK_OK(access(f, R_OK)); /* asked as the real user: root */
	CHECK_ERR(faccessat(AT_FDCWD, f, R_OK, AT_EACCESS), EACCES);
	uint32_t eff, perm;
	caps(&eff, &perm);
	CHECK(eff == 0 && perm != 0, "euid not 0: no effective capabilities, permitted kept");
	CHECK_OK(kill(1, 0)); /* our real uid is still init's */
	CHECK_OK(kill(getpid(), 0));
	CHECK(prctl(PR_GET_DUMPABLE) == 0, "no longer dumpable");
	CHECK_OK(seteuid(0));
	caps(&eff, &perm);
	CHECK(geteuid() == 0 && eff == perm, "back to root through the saved uid");
	int fd = open(f, O_RDONLY);
	CHECK(fd >= 0, "and the file opens again");
	close(fd);
}

static void full_drop(void)
{
	char f[96];
	snprintf(f, sizeof f, "%s/mine", dir);
	CHECK_ERR(setgroups(1, (gid_t[]){(gid_t)-1}), EINVAL);
	gid_t gl[3] = {G1 + 2, G1, G1 + 1}, got[8];
	CHECK_OK(setgroups(3, gl));
	CHECK(getgroups(0, NULL) == 3, "getgroups(0) counts them");
	CHECK_ERR(getgroups(2, got), EINVAL);
	CHECK(getgroups(8, got) == 3 && got[0] == G1 && got[2] == G1 + 2,
	      "getgroups gives them sorted");
	CHECK_OK(setresgid(G1, G1, G1));
	CHECK_OK(setresuid(U1, U1, U1));
	ids(U1, U1, U1, "setresuid");
	uint32_t eff, perm;
	caps(&eff, &perm);
	CHECK(eff == 0 && perm == 0, "every uid gone: no capabilities at all");
	CHECK_ERR(setuid(0), EPERM);
	CHECK_ERR(seteuid(0), EPERM);
	CHECK_ERR(setresuid(-1, 0, -1), EPERM);
	CHECK_ERR(setgroups(0, NULL), EPERM);
	CHECK_ERR(setgid(0), EPERM);

	/* Files made now are U1's, group G1. */
	int fd = open(f, O_CREAT | O_RDWR, 0640);
	struct stat st;
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == U1 && st.st_gid == G1,
	      "a new file belongs to the new uid and gid");
	CHECK_OK(fchown(fd, -1, G1 + 1)); /* a supplementary group */
	CHECK_ERR(fchown(fd, -1, 999), EPERM);
	CHECK_ERR(fchown(fd, 0, -1), EPERM);
	CHECK_OK(fchmod(fd, 02750));
	fstat(fd, &st);
	CHECK((st.st_mode & 07777) == 02750, "chmod g+s in a group of ours is kept");
	close(fd);
	snprintf(f, sizeof f, "%s/secret", dir);
	CHECK_ERR(open(f, O_RDONLY), EACCES);
	CHECK_ERR(chmod(f, 0777), EPERM);
	CHECK_ERR(unlink(f), EPERM); /* dir is root's, 01777: sticky */
	CHECK_ERR(kill(1, SIGTERM), EPERM);
	/* Device nodes need CAP_MKNOD (after the name's own checks); a
	 * whiteout does not. */
	char dev[96];
	snprintf(dev, sizeof dev, "%s/null", dir);
	CHECK_ERR(mknod(dev, S_IFCHR | 0600, makedev(1, 3)), EPERM);
	CHECK_ERR(stat(dev, &st), ENOENT);
	CHECK_ERR(mknod(f, S_IFCHR | 0600, makedev(1, 3)), EEXIST);
	CHECK_OK(mknod(dev, S_IFCHR | 0600, 0));
	CHECK_OK(unlink(dev));
	/* setfsuid reports the old value and refuses what it may not. */
	CHECK(setfsuid(0) == U1 && setfsuid(-1) == U1, "setfsuid(0) refused, old value back");
}

static void reuid_rule(void)
{
	/* setreuid(-1, e) with e != ruid moves the saved uid too; going back
	 * to the real uid does not. */
	CHECK_OK(setreuid(-1, U1));
	ids(0, U1, U1, "setreuid(-1, U1)");
	CHECK_ERR(setreuid(U2, -1), EPERM);
	CHECK_OK(setreuid(-1, 0));
	ids(0, 0, U1, "setreuid(-1, 0)");
	/* setfsuid: the old value back each time. */
	CHECK(setfsuid(U2) == 0 && setfsuid(0) == U2, "setfsuid to U2 and back");
	CHECK_OK(setreuid(U1, U2));
	ids(U1, U2, U2, "setreuid(U1, U2)");
	CHECK_ERR(setreuid(-1, 0), EPERM);
}

static void secure_exec(void)
{
	/* A set-user-ID program: AT_SECURE for the user who runs it. */
	char prog[96];
	snprintf(prog, sizeof prog, "%s/prog", dir);
	CHECK_OK(setresuid(U1, U1, U1));
	pid_t pid = fork();
	if (pid == 0) {
		execl(prog, prog, "secure", NULL);
		_exit(90);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a set-user-ID root program runs as euid 0 with AT_SECURE");
}

static void unprivileged(void)
{
	uid_t u = getuid();
	CHECK_ERR(setuid(u + 1), EPERM);
	CHECK_ERR(setgroups(0, NULL), EPERM);
	CHECK_OK(setuid(u));
	uint32_t eff, perm;
	caps(&eff, &perm);
	CHECK(eff == 0 && perm == 0, "no capabilities");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "secure"))
		return geteuid() == 0 && getuid() == U1 && getauxval(AT_SECURE) == 1 ? 0 : 1;

	uid_t r, e, s;
	CHECK_OK(getresuid(&r, &e, &s));
	CHECK(r == e && e == s, "a new process has one uid in all three places");
	struct cap_hdr h = {0, 0};
	CHECK(syscall(SYS_capget, &h, NULL) == 0 && h.version == 0x20080522,
	      "capget with no data tells the version it wants");
	h.version = 1;
	struct cap_data d[2];
	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
	if (geteuid() != 0) {
		unprivileged();
		return check_done();
	}

	strcpy(dir, "/tmp/creds.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 01777);
	char f[96];
	snprintf(f, sizeof f, "%s/secret", dir);
	close(open(f, O_CREAT | O_WRONLY, 0600));
	/* This very program, set-user-ID root, for secure_exec. */
	char prog[96], self[256];
	snprintf(prog, sizeof prog, "%s/prog", dir);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	int in = open(self, O_RDONLY), out = open(prog, O_CREAT | O_WRONLY, 0755);
	char buf[65536];
	while ((n = read(in, buf, sizeof buf)) > 0)
		(void)!write(out, buf, (size_t)n);
	close(in);
	close(out);
	chmod(prog, 04755);

	CHECK(run(effective_and_back) == 0, "seteuid away and back");
	CHECK(run(full_drop) == 0, "dropping root for good");
	CHECK(run(reuid_rule) == 0, "setreuid and setfsuid");
	CHECK(run(secure_exec) == 0, "set-user-ID exec");

	unlink(prog);
	unlink(f);
	snprintf(f, sizeof f, "%s/mine", dir);
	unlink(f);
	rmdir(dir);
	return check_done();
}
