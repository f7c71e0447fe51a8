/*
 * Limits with Linux's errno: a request to commit more memory than any
 * machine here has (ENOMEM from mmap, brk left where it was) next to the
 * same size reserved with MAP_NORESERVE or PROT_NONE (granted; Persona
 * does not charge a later mprotect or mremap as Linux does);
 * RLIMIT_NOFILE met by open, pipe, dup and fcntl (EMFILE, EINVAL, EBADF);
 * RLIMIT_NPROC met by fork and by a thread (EAGAIN for a user, not for
 * root: the line says what this uid got, the same natively and under
 * Persona); the mapping count limit (/proc/sys/vm/max_map_count) met by
 * mprotect, mmap and a munmap that would split (ENOMEM), and room given
 * back by unmapping.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define HUGE (1UL << 46) /* 64 TiB */

static void test_memory(void)
{
	void *p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "64 TiB private writable: ENOMEM");
	p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "64 TiB shared anonymous: ENOMEM");
	p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	         -1, 0);
	CHECK(p != MAP_FAILED, "64 TiB with MAP_NORESERVE is granted");
	if (p != MAP_FAILED) {
		((char *)p)[0] = 1;
		((char *)p)[HUGE - 1] = 2;
		CHECK(((char *)p)[0] + ((char *)p)[HUGE - 1] == 3, "its first and last pages work");
		CHECK_OK(munmap(p, HUGE));
	}
	p = mmap(NULL, HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "64 TiB PROT_NONE is granted");
	if (p != MAP_FAILED) {
		CHECK_OK(munmap(p, HUGE));
	}
	char *cur = (char *)syscall(SYS_brk, 0);
	CHECK((char *)syscall(SYS_brk, cur + HUGE) == cur, "brk 64 TiB further: the break stays");
	CHECK(sbrk(HUGE) == (void *)-1 && errno == ENOMEM, "sbrk 64 TiB: ENOMEM");
}

static void test_nofile(void)
{
	struct rlimit old, rl = {16, 16};
	getrlimit(RLIMIT_NOFILE, &old);
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	int n = 0, fd, last = -1;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		n++;
		last = fd;
	}
	CHECK(errno == EMFILE && last == 15, "open until EMFILE: the last fd is 15");
	int p[2];
	CHECK_ERR(pipe(p), EMFILE);
	CHECK_ERR(dup(0), EMFILE);
	CHECK_ERR(fcntl(0, F_DUPFD, 16), EINVAL);
	CHECK_ERR(dup2(0, 16), EBADF);
	close(last);
	CHECK_ERR(pipe(p), EMFILE);
	CHECK(dup(0) == last, "one fd freed: dup gets it");
	for (fd = 3; fd < 16; fd++)
		close(fd);
	rl.rlim_cur = 17;
	CHECK_ERR(setrlimit(RLIMIT_NOFILE, &rl), EINVAL);
	setrlimit(RLIMIT_NOFILE, &old);
}

static void *thread_fn(void *arg)
{
	return arg;
}

static void test_nproc(void)
{
	struct rlimit old, rl;
	getrlimit(RLIMIT_NPROC, &old);
	rl.rlim_cur = 1;
	rl.rlim_max = old.rlim_max;
	CHECK_OK(setrlimit(RLIMIT_NPROC, &rl));
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	int e = errno;
	if (c > 0)
		waitpid(c, NULL, 0);
	printf("     fork with RLIMIT_NPROC 1 as %s: %s\n", getuid() ? "a user" : "root",
	       c > 0 ? "ok" : errname(e));
	pthread_t th;
	int r = pthread_create(&th, NULL, thread_fn, NULL);
	if (r == 0)
		pthread_join(th, NULL);
	printf("     a thread with RLIMIT_NPROC 1 as %s: %s\n", getuid() ? "a user" : "root",
	       r ? errname(r) : "ok");
	setrlimit(RLIMIT_NPROC, &old);
}

static long read_long(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof buf, f))
		buf[0] = 0;
	fclose(f);
	return strtol(buf, NULL, 10);
}

static long maps_lines(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;
	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Split a reserved region page by page (mprotect every other page,
 * upwards) until the count is at the limit. */
static void test_map_count(void)
{
	long max = read_long("/proc/sys/vm/max_map_count");
	CHECK(max > 0, "/proc/sys/vm/max_map_count readable");
	if (max <= 0 || max > 1000000)
		return;
	size_t pg = 4096, npages = (size_t)max + 4096;
	char *base =
	    mmap(NULL, npages * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(base != MAP_FAILED, "reserve %zu pages", npages);
	if (base == MAP_FAILED)
		return;
	size_t i = 0;
	int err = 0;
	for (; 2 * i + 1 < npages; i++) {
		if (mprotect(base + 2 * i * pg, pg, PROT_READ) < 0) {
			err = errno;
			break;
		}
	}
	CHECK(err == ENOMEM, "mprotect splitting past the limit: %s", errname(err));
	long lines = maps_lines();
	/* maps may show a mapping that is not counted ([vsyscall]). */
	CHECK(lines >= max - 2 && lines <= max + 2, "/proc/self/maps at the limit: within 2 lines");
	/* New mappings that cannot merge (alternate rights) run out too. */
	void *extra[16];
	int n = 0;
	err = 0;
	for (; n < 16; n++) {
		extra[n] = mmap(NULL, pg, n % 2 ? PROT_READ : PROT_NONE,
		                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (extra[n] == MAP_FAILED) {
			err = errno;
			break;
		}
	}
	CHECK(err == ENOMEM && n < 4, "mmap at the limit: %s within 4 calls", errname(err));
	/* Unmapping a page inside a mapping needs a split: refused. */
	char *tail = base + (2 * i + 2) * pg;
	int r = munmap(tail + 8 * pg, pg);
	CHECK(r < 0 && errno == ENOMEM, "munmap that would split, at the limit: %s",
	      errname(r < 0 ? errno : 0));
	/* Whole mappings go without splitting; then there is room again. */
	while (n-- > 0)
		munmap(extra[n], pg);
	/* Giving the split part one protection merges it back into one. */
	CHECK(mprotect(base, (2 * i - 1) * pg, PROT_READ) == 0, "mprotect merging the split part");
	long merged = maps_lines();
	CHECK(merged > 0 && merged < 100, "/proc/self/maps after the merge: a few lines");
	CHECK(munmap(base, npages * pg) == 0, "munmap of the whole region");
	void *p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap after freeing");
	long after = maps_lines();
	CHECK(after > 0 && after < 100, "/proc/self/maps back to a few lines");
}

int main(void)
{
	test_map_count();
	test_memory();
	test_nofile();
	test_nproc();
	return check_done();
}
