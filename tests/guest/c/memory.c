/*
 * Memory: brk, anonymous mappings and their errors, a sparse reservation
 * much larger than the machine's memory, a SIGSEGV handler that learns
 * the faulting address and leaves with siglongjmp, and the mlock family.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL

static sigjmp_buf jb;
static void *volatile fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jb, 1);
}

/* Touch p with a read or a write; return 1 if it faulted. */
static int faults(volatile char *p, int write)
{
	if (sigsetjmp(jb, 1))
		return 1;
	if (write)
		*p = 1;
	else
		(void)*p;
	return 0;
}

static void test_brk(void)
{
	char *base = (char *)syscall(SYS_brk, 0);
	CHECK(base != NULL && base != (char *)-1, "brk(0) gives the break");
	char *want = base + 64 * PAGE;
	char *got = (char *)syscall(SYS_brk, want);
	CHECK(got == want, "brk grows by 64 pages");
	int zero = 1;
	for (char *p = base; p < want; p += PAGE)
		zero &= *p == 0;
	CHECK(zero, "new brk memory reads as zero");
	memset(base, 0x5a, 64 * PAGE);
	CHECK(base[64 * PAGE - 1] == 0x5a, "new brk memory is writable");
	got = (char *)syscall(SYS_brk, base + PAGE);
	CHECK(got == base + PAGE, "brk shrinks");
	got = (char *)syscall(SYS_brk, base + 2 * PAGE);
	CHECK(got == base + 2 * PAGE && base[PAGE] == 0,
	      "memory past a shrunk brk comes back zeroed");
	syscall(SYS_brk, base);
	/* sbrk through the C library still works afterwards */
	void *s = sbrk(0);
	CHECK(s != (void *)-1, "sbrk(0)");
}

static void test_mmap(void)
{
	char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap 8 anonymous pages");
	CHECK(((uintptr_t)p & (PAGE - 1)) == 0, "mmap result is page aligned");
	CHECK(p[0] == 0 && p[8 * PAGE - 1] == 0, "anonymous memory reads as zero");
	memset(p, 0xab, 8 * PAGE);
	CHECK((unsigned char)p[5 * PAGE + 7] == 0xab, "anonymous memory is writable");

	CHECK_OK(mprotect(p, PAGE, PROT_READ));
	CHECK(!faults(p, 0), "read of a PROT_READ page succeeds");
	CHECK(faults(p, 1), "write to a PROT_READ page faults");
	CHECK(fault_addr == p, "si_addr is the faulting address");
	CHECK(fault_code == SEGV_ACCERR, "si_code is SEGV_ACCERR");
	CHECK((unsigned char)p[0] == 0xab, "content kept across mprotect");
	CHECK_OK(mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	CHECK(!faults(p, 1), "write after mprotect back to RW succeeds");

	CHECK_OK(munmap(p + 2 * PAGE, PAGE));
	CHECK(faults(p + 2 * PAGE + 100, 0), "read of an unmapped hole faults");
	CHECK(fault_addr == p + 2 * PAGE + 100, "si_addr is the exact address");
	CHECK(fault_code == SEGV_MAPERR, "si_code is SEGV_MAPERR");
	CHECK((unsigned char)p[3 * PAGE] == 0xab, "pages after the hole keep their content");

	CHECK_OK(madvise(p + 4 * PAGE, PAGE, MADV_DONTNEED));
	CHECK(p[4 * PAGE] == 0, "MADV_DONTNEED on private anonymous memory zeroes it");
	CHECK_OK(msync(p, PAGE, MS_SYNC));

	/* mremap: grow in place or move; the content must follow */
	char *q = mremap(p + 5 * PAGE, 3 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED, "mremap grows 3 pages to 16");
	if (q != MAP_FAILED) {
		CHECK((unsigned char)q[2 * PAGE + 5] == 0xab, "mremap keeps the content");
		CHECK(q[15 * PAGE] == 0, "the grown part reads as zero");
		char *r = mremap(q, 16 * PAGE, PAGE, 0);
		CHECK(r == q, "mremap shrinks in place");
		munmap(r, PAGE);
	}
	munmap(p, 5 * PAGE);

	/* errors */
	CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERR(mmap((void *)(PAGE + 1), PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
	               -1, 0),
	          EINVAL);
	CHECK_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0),
	          EINVAL);
	CHECK_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	CHECK_ERR(munmap((void *)(PAGE + 1), PAGE), EINVAL);
	CHECK_ERR(munmap(NULL, 0), EINVAL);
	/* musl rounds mprotect's address down: ask the kernel directly */
	CHECK_ERR(syscall(SYS_mprotect, PAGE + 1, PAGE, PROT_READ), EINVAL);
	CHECK_ERR(syscall(SYS_madvise, PAGE + 1, PAGE, MADV_DONTNEED), EINVAL);
	CHECK_ERR(syscall(SYS_mremap, PAGE + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EINVAL);
	CHECK_ERR(syscall(SYS_mprotect, 0x10000000000UL, PAGE, PROT_READ), ENOMEM);
}

static void test_sparse(void)
{
	size_t size = 16UL << 30;
	char *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(p != MAP_FAILED, "reserve 16 GiB PROT_NONE");
	if (p == MAP_FAILED)
		return;
	CHECK(faults(p + (1UL << 30), 0), "PROT_NONE reservation faults on read");
	CHECK(fault_code == SEGV_ACCERR, "si_code is SEGV_ACCERR in a PROT_NONE area");
	size_t offs[] = {0, 1UL << 30, 8UL << 30, size - PAGE};
	for (unsigned i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		char *page = p + offs[i];
		int ok = mprotect(page, PAGE, PROT_READ | PROT_WRITE) == 0;
		ok = ok && !faults(page, 0) && page[0] == 0 && !faults(page + 17, 1);
		CHECK(ok, "open and touch page at offset %zu MiB", offs[i] >> 20);
	}
	CHECK(!faults(p + (8UL << 30) + 17, 0) && p[(8UL << 30) + 17] == 1,
	      "touched page keeps its byte");
	CHECK(faults(p + (8UL << 30) + PAGE, 0), "the next page is still PROT_NONE");
	CHECK_OK(munmap(p, size));
}

static void test_mlock(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_OK(mlock(p, 4 * PAGE));
	CHECK_OK(munlock(p + 1, PAGE)); /* an unaligned start takes its page */
	CHECK_OK(syscall(SYS_mlock2, p, 2 * PAGE, 1 /* MLOCK_ONFAULT */));
	CHECK_ERR(syscall(SYS_mlock2, p, PAGE, 2), EINVAL);
	CHECK_OK(munmap(p + PAGE, PAGE));
	CHECK_ERR(mlock(p, 4 * PAGE), ENOMEM); /* a hole in the range */
	CHECK_ERR(syscall(SYS_mlock2, p, 4 * PAGE, 0), ENOMEM);
	munmap(p, 4 * PAGE);
	CHECK_ERR(mlockall(0), EINVAL);
	CHECK_ERR(mlockall(MCL_ONFAULT), EINVAL);
	CHECK_ERR(mlockall(0x10), EINVAL);
	if (geteuid() == 0) {
		/* An unprivileged process may hit RLIMIT_MEMLOCK natively. */
		CHECK_OK(mlockall(MCL_CURRENT | MCL_FUTURE));
		CHECK_OK(munlockall());
	}
	CHECK_OK(munlockall());
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	test_brk();
	test_mmap();
	test_sparse();
	test_mlock();
	return check_done();
}
