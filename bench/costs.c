/*
 * What the personality costs per emulated system call and per lazily
 * mapped page, in TSC ticks and in nanoseconds: the best of five rounds of
 * 1,000 getpid calls, and of first touches of 256 fresh anonymous pages.
 * Run it natively, under `persona run`, and under `persona run --backend
 * sel4`; compare figures only with a baseline measured in the same run on
 * the same (virtual) machine.  A seed for the benchmark suite.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	enum { CALLS = 1000, PAGES = 256, ROUNDS = 5 };
	uint64_t best_t = UINT64_MAX, best_n = UINT64_MAX;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t n0 = now_ns(), t0 = rdtsc();
		for (int i = 0; i < CALLS; i++)
			syscall(SYS_getpid);
		uint64_t t = rdtsc() - t0, n = now_ns() - n0;
		if (t < best_t)
			best_t = t, best_n = n;
	}
	printf("getpid: %llu ticks, %llu ns per call\n", (unsigned long long)(best_t / CALLS),
	       (unsigned long long)(best_n / CALLS));

	best_t = best_n = UINT64_MAX;
	for (int r = 0; r < ROUNDS; r++) {
		char *p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		uint64_t n0 = now_ns(), t0 = rdtsc();
		for (int i = 0; i < PAGES; i++)
			p[i * 4096] = 1;
		uint64_t t = rdtsc() - t0, n = now_ns() - n0;
		munmap(p, PAGES * 4096);
		if (t < best_t)
			best_t = t, best_n = n;
	}
	printf("first touch: %llu ticks, %llu ns per page\n", (unsigned long long)(best_t / PAGES),
	       (unsigned long long)(best_n / PAGES));
	return 0;
}
