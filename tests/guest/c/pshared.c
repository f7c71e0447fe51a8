/*
 * Process-shared synchronisation across fork: a semaphore, a mutex and a
 * condition variable with PTHREAD_PROCESS_SHARED in MAP_SHARED anonymous
 * memory, and a raw shared futex in a shared file mapping.  Each needs the
 * waiter in one process and the waker in another to meet on the same
 * futex (Linux keys a shared futex by the page behind it).
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define FUTEX_WAIT 0 /* <linux/futex.h>, which musl-gcc cannot see */
#define FUTEX_WAKE 1

struct shared {
	sem_t sem;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready;
	int value;
};

static int reap(pid_t pid)
{
	int st = -1;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(30); /* a wait nobody can end fails instead of hanging */
	struct shared *s =
	    mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(s != MAP_FAILED, "shared anonymous mapping");
	if (s == MAP_FAILED)
		return 1;

	/* A semaphore posted by the child, waited for by the parent. */
	CHECK(sem_init(&s->sem, 1, 0) == 0, "sem_init(pshared)");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		s->value = 42;
		sem_post(&s->sem);
		_exit(0);
	}
	CHECK(sem_wait(&s->sem) == 0 && s->value == 42, "sem_wait woken by the child's sem_post");
	CHECK(reap(pid) == 0, "the child exits 0");

	/* A mutex and a condition variable shared by both processes. */
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	CHECK(pthread_mutex_init(&s->mu, &ma) == 0 && pthread_cond_init(&s->cv, &ca) == 0,
	      "mutex and condvar with PTHREAD_PROCESS_SHARED");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		pthread_mutex_lock(&s->mu);
		s->ready = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		_exit(0);
	}
	pthread_mutex_lock(&s->mu);
	while (!s->ready)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	CHECK(s->ready == 1, "pthread_cond_wait woken from the other process");
	CHECK(reap(pid) == 0, "the child exits 0");

	/* A raw shared futex in a file both processes map. */
	char path[] = "/tmp/pshared-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && ftruncate(fd, 4096) == 0, "a file to share");
	uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(word != MAP_FAILED, "MAP_SHARED file mapping");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The child maps the file again, at another address, and wakes
		 * until its wake finds the parent waiting (2 s at most): with
		 * keys that do not meet, it never does. */
		uint32_t *w2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		for (int i = 0; i < 2000; i++) {
			if (syscall(SYS_futex, w2, FUTEX_WAKE, 1, NULL, NULL, 0) == 1)
				_exit(0);
			usleep(1000);
		}
		_exit(3);
	}
	struct timespec five = {5, 0};
	long w = syscall(SYS_futex, word, FUTEX_WAIT, 0, &five, NULL, 0);
	CHECK(w == 0, "FUTEX_WAIT woken by FUTEX_WAKE through another mapping");
	CHECK(reap(pid) == 0, "the child's FUTEX_WAKE found the waiter");
	unlink(path);
	close(fd);

	if (check_failures)
		printf("FAILED: %d failed\n", check_failures);
	else
		printf("done: 0 failed\n");
	return check_failures != 0;
}
