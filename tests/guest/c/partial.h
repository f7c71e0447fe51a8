/*
 * A read from a stream (pipe or stream socket) into a buffer that runs
 * into a PROT_NONE page, shared by pipes.c and socketpair.c.  Linux copies
 * what fits before the bad page and returns that count (EFAULT when
 * nothing fits), and the bytes it could not deliver stay for the next
 * read.  The data goes in one page per write: Linux's pipe and socket
 * deliver whole pipe buffers / skbs, so page-sized pieces make its count
 * the page.
 */
#ifndef GUEST_PARTIAL_H
#define GUEST_PARTIAL_H

#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

static inline void check_partial_read(int rfd, int wfd, const char *what)
{
	enum { PG = 4096, N = 2 * PG };
	static unsigned char src[N], dst[N];
	unsigned char *m =
	    mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long r, k = 0;

	if (m == MAP_FAILED || mprotect(m + PG, PG, PROT_NONE)) {
		CHECK(0, "%s: mmap/mprotect for the partial read", what);
		return;
	}
	for (int i = 0; i < N; i++)
		src[i] = (unsigned char)(i * 7 + i / 251);
	CHECK(write(wfd, src, PG) == PG && write(wfd, src + PG, PG) == PG, "%s: 8 KiB written",
	      what);
	errno = 0;
	r = read(rfd, m + PG, 100);
	CHECK(r == -1 && errno == EFAULT, "%s: read into a PROT_NONE page: EFAULT", what);
	r = read(rfd, m, N);
	CHECK(r == PG, "%s: read of 8 KiB whose second page is PROT_NONE: the first page", what);
	if (r > 0) {
		memcpy(dst, m, (size_t)r);
		k = r;
	}
	close(wfd);
	while (k < N && (r = read(rfd, dst + k, (size_t)(N - k))) > 0)
		k += r;
	CHECK(k == N && !memcmp(src, dst, N), "%s: every byte arrived, in order, the rest later",
	      what);
	close(rfd);
	munmap(m, 2 * PG);
}

#endif
