/* Who and where the program is: uname, ids, limits, name, affinity, random. */
#include <sched.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	struct utsname u;

	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK_OK(uname(&u));
	printf("     sysname %s, machine %s\n", u.sysname, u.machine);
	CHECK(!strcmp(u.sysname, "Linux"), "sysname is Linux");
	CHECK(!strcmp(u.machine, "x86_64"), "machine is x86_64");
	CHECK(u.release[0] >= '3' && u.release[0] <= '9', "release looks like a version");

	CHECK(getpid() > 0, "getpid > 0");
	CHECK(getppid() >= 0, "getppid >= 0");
	CHECK(syscall(SYS_gettid) == getpid(), "gettid == getpid in a single thread");
	CHECK(getuid() == geteuid() && getgid() == getegid(), "real and effective ids agree");
	/* 0 when the group or session leader lives outside our pid namespace
	 * (containers, CI runners), so only the sign is portable */
	CHECK(getpgrp() >= 0 && getsid(0) >= 0, "process group and session ids are valid");
	CHECK(getsid(0) == getsid(getpid()), "getsid(0) == getsid(getpid())");

	unsigned char r1[64] = {0}, r2[64] = {0};
	CHECK(getrandom(r1, sizeof r1, 0) == sizeof r1, "getrandom 64 bytes");
	CHECK(getrandom(r2, sizeof r2, GRND_NONBLOCK) == sizeof r2, "getrandom GRND_NONBLOCK");
	CHECK(memcmp(r1, r2, sizeof r1) != 0, "two getrandom calls differ");
	CHECK_ERR(getrandom(r1, 8, 0x4000), EINVAL);

	/* the limits a fresh Linux process sees from a shell with defaults */
	struct rlimit rl;
	CHECK_OK(prlimit(0, RLIMIT_STACK, NULL, &rl));
	CHECK(rl.rlim_cur >= 8 << 20 || rl.rlim_cur == RLIM_INFINITY,
	      "RLIMIT_STACK soft limit is at least 8 MiB");
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK(rl.rlim_cur >= 1024 && rl.rlim_max >= rl.rlim_cur, "RLIMIT_NOFILE at least 1024");
	struct rlimit lower = {256, rl.rlim_max};
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &lower));
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 256, "setrlimit NOFILE to 256");
	CHECK_ERR(dup2(0, 300), EBADF);
	CHECK_ERR(getrlimit(999, &rl), EINVAL);

	char name[16] = {0};
	CHECK_OK(prctl(PR_SET_NAME, "persona-test"));
	CHECK_OK(prctl(PR_GET_NAME, name));
	printf("     PR_GET_NAME: %s\n", name);
	CHECK(!strcmp(name, "persona-test"), "PR_GET_NAME reads what PR_SET_NAME wrote");
	CHECK_OK(prctl(PR_SET_NAME, "a-name-longer-than-sixteen"));
	prctl(PR_GET_NAME, name);
	CHECK(!strcmp(name, "a-name-longer-t"), "PR_SET_NAME truncates to 15 bytes");

	cpu_set_t set;
	CHECK_OK(sched_getaffinity(0, sizeof set, &set));
	CHECK(CPU_COUNT(&set) > 0, "sched_getaffinity: at least one CPU");
	CHECK_OK(sched_yield());

	char host[65];
	CHECK_OK(gethostname(host, sizeof host));
	CHECK(!strcmp(host, u.nodename), "gethostname == uname nodename");
	return check_done();
}
