/*
 * What the Linux backend takes straight from the host: clocks, the
 * server's own stdin/stdout/stderr as the console, randomness, the number
 * of CPUs, and the diagnostics log (the server's stderr).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lx.h"

uint64_t plat_clock_ns(int clock)
{
	struct timespec ts;
	clock_gettime(clock == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- Console -------------------------------------------------------------------- */
long plat_console_write(int stream, const void *buf, size_t len)
{
	if (stream != 1 && stream != 2)
		return -EBADF;
	ssize_t n;
	do
		n = write(stream, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

long plat_console_read(void *buf, size_t len)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};
	int n = poll(&p, 1, 0);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (n == 0)
		return -EAGAIN;
	if (p.revents & POLLNVAL)
		return -EBADF;
	ssize_t r = read(0, buf, len);
	if (r < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	return r;
}

long plat_console_ioctl(int stream, unsigned long cmd, void *arg)
{
	if (stream < 0 || stream > 2)
		return -EBADF;
	switch (cmd) {
	case TCGETS:
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TIOCGWINSZ:
	case TIOCSWINSZ:
	case TIOCGPGRP:
	case TIOCSPGRP:
		/* ioctl(2) itself, not tcgetattr: arg has the kernel's layout. */
		if (ioctl(stream, cmd, arg) < 0)
			return -errno;
		return 0;
	default:
		return -ENOTTY;
	}
}

int plat_console_kind(int stream)
{
	/* The host's streams do not change kind while we run. */
	static int kind[3] = {-1, -1, -1};
	struct stat st;

	if (stream < 0 || stream > 2)
		return 0;
	if (kind[stream] >= 0)
		return kind[stream];
	if (fstat(stream, &st) < 0)
		kind[stream] = 0;
	else if (S_ISCHR(st.st_mode) && isatty(stream))
		kind[stream] = 1;
	else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		kind[stream] = 2;
	else if (S_ISREG(st.st_mode))
		kind[stream] = 3;
	else
		kind[stream] = 0;
	return kind[stream];
}

/* ---- Miscellaneous ------------------------------------------------------------------ */
void plat_random(void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			/* Never on a working Linux; do not hand out zeros
			 * silently all the same. */
			lx_log("persona: linux backend: getrandom failed");
			memset(p, 0, len);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* The CPUs the server was given, even when it runs its clients on one of
 * them (see memory.c): the guest sees the machine a native run would. */
unsigned plat_ncpus(void)
{
	return lx_host_cpus;
}

void plat_log(const char *msg, size_t len)
{
	struct iovec iov[2] = {{(void *)msg, len}, {"\n", 1}};
	ssize_t r = writev(2, iov, 2);
	(void)r;
}
