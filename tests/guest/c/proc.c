/* A few /proc files that C libraries and runtimes read. */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "check.h"

/* Read a whole small file into buf; return its length or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n, total = 0;

	if (fd < 0)
		return -1;
	while (total < (long)size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	close(fd);
	return total;
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	char exe[PATH_MAX];

	setvbuf(stdout, NULL, _IOLBF, 0);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	CHECK(n > 0, "readlink /proc/self/exe");
	if (n > 0) {
		exe[n] = 0;
		char *me = basename(argv[0]);
		CHECK(exe[0] == '/', "/proc/self/exe is absolute");
		CHECK(!strcmp(basename(exe), me), "/proc/self/exe ends with the program name");
	}
	CHECK(slurp("/proc/self/maps", buf, sizeof buf) > 0, "read /proc/self/maps");
	CHECK(strstr(buf, "[stack]") != NULL, "/proc/self/maps has [stack]");
	CHECK(strstr(buf, " r-xp ") != NULL || strstr(buf, " r-xs ") != NULL,
	      "/proc/self/maps has an executable mapping");
	/* The mapping holding the C library's code names its file (the
	 * program itself when static, libc when dynamic), with a device and
	 * inode number. */
	uintptr_t fn = (uintptr_t)&strlen;
	const char *line_name = NULL;
	unsigned long ino_n = 0;
	for (char *l = buf; l && *l;) {
		char *nl = strchr(l, '\n');
		unsigned long long lo, hi;
		char perms[8], dev[16], path[512] = "";
		unsigned long long off;
		if (nl)
			*nl = 0;
		if (sscanf(l, "%llx-%llx %7s %llx %15s %lu %511s", &lo, &hi, perms, &off, dev,
		           &ino_n, path) >= 6 &&
		    fn >= lo && fn < hi) {
			line_name = strstr(path, "/libc.so") ? "libc"
			            : path[0] == '/'         ? "a file"
			                                     : "nothing";
			break;
		}
		l = nl ? nl + 1 : NULL;
	}
	CHECK(line_name != NULL, "strlen's code is in a mapping");
	printf("strlen's mapping is named by %s\n", line_name ? line_name : "?");
	CHECK(ino_n != 0, "that mapping shows an inode number");

	int extra = open("/dev/null", O_RDONLY);
	CHECK(extra >= 3, "open an extra descriptor");
	DIR *d = opendir("/proc/self/fd");
	CHECK(d != NULL, "opendir /proc/self/fd");
	int seen[4] = {0}, seen_extra = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		if (fd < 3)
			seen[fd] = 1;
		if (fd == extra)
			seen_extra = 1;
	}
	if (d)
		closedir(d);
	CHECK(seen[0] && seen[1] && seen[2], "/proc/self/fd lists 0, 1 and 2");
	CHECK(seen_extra, "/proc/self/fd lists the extra descriptor");
	snprintf(exe, sizeof exe, "/proc/self/fd/%d", extra);
	n = readlink(exe, buf, 100);
	CHECK(n == 9 && !memcmp(buf, "/dev/null", 9), "/proc/self/fd/N links to /dev/null");
	close(extra);
	/* Anonymous-inode files name their kind. */
	sigset_t none;
	sigemptyset(&none);
	struct {
		int fd;
		const char *name;
	} anon[] = {{eventfd(0, 0), "anon_inode:[eventfd]"},
	            {epoll_create1(0), "anon_inode:[eventpoll]"},
	            {timerfd_create(CLOCK_MONOTONIC, 0), "anon_inode:[timerfd]"},
	            {signalfd(-1, &none, 0), "anon_inode:[signalfd]"}};
	for (size_t i = 0; i < sizeof anon / sizeof anon[0]; i++) {
		snprintf(exe, sizeof exe, "/proc/self/fd/%d", anon[i].fd);
		n = readlink(exe, buf, 100);
		CHECK(n == (ssize_t)strlen(anon[i].name) && !memcmp(buf, anon[i].name, (size_t)n),
		      "/proc/self/fd names %s", anon[i].name);
		close(anon[i].fd);
	}

	CHECK(slurp("/proc/cpuinfo", buf, sizeof buf) > 0, "read /proc/cpuinfo");
	CHECK(strstr(buf, "processor") != NULL, "/proc/cpuinfo has 'processor'");
	CHECK(slurp("/proc/meminfo", buf, sizeof buf) > 0, "read /proc/meminfo");
	CHECK(!strncmp(buf, "MemTotal:", 9), "/proc/meminfo starts with MemTotal");
	CHECK(slurp("/proc/self/stat", buf, sizeof buf) > 0, "read /proc/self/stat");
	CHECK(atoi(buf) == getpid(), "/proc/self/stat starts with the pid");
	CHECK(sysconf(_SC_NPROCESSORS_ONLN) > 0, "sysconf(_SC_NPROCESSORS_ONLN) > 0");
	CHECK_ERR(open("/proc/self/no-such-file", O_RDONLY), ENOENT);
	return check_done();
}
