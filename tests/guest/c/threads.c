/* Threads: create/join, mutex, condition variable, barrier, TLS, futex. */
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* musl-gcc has no kernel headers: the futex operations we use */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

#define NTHREADS 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static long counter;
static int ready;
static __thread long tls_value = 7;
static int tls_ok[NTHREADS];
static int serial_threads;

static void *worker(void *arg)
{
	long id = (long)arg;

	tls_ok[id] = tls_value == 7;
	tls_value = 100 + id;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
		__atomic_fetch_add(&serial_threads, 1, __ATOMIC_SEQ_CST);
	tls_ok[id] &= tls_value == 100 + id;
	return (void *)(id * 2);
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return (void *)42;
}

static long futex(int *uaddr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static int fword;

static void *futex_waker(void *arg)
{
	struct timespec ts = {0, 30 * 1000 * 1000};
	nanosleep(&ts, NULL);
	__atomic_store_n(&fword, 1, __ATOMIC_SEQ_CST);
	futex(&fword, FUTEX_WAKE_PRIVATE, 1, NULL);
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];
	void *ret;
	int joined = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, worker, (void *)i) == 0, "pthread_create %ld",
		      i);
	for (long i = 0; i < NTHREADS; i++)
		joined &= pthread_join(th[i], &ret) == 0 && (long)ret == i * 2;
	CHECK(joined, "pthread_join returns each thread's value");
	CHECK(counter == (long)NTHREADS * ROUNDS, "mutex-protected counter == %d",
	      NTHREADS * ROUNDS);
	CHECK(serial_threads == 1, "exactly one thread is the barrier's serial thread");
	int tls = 1;
	for (int i = 0; i < NTHREADS; i++)
		tls &= tls_ok[i];
	CHECK(tls, "each thread has its own __thread variable");
	CHECK(tls_value == 7, "the main thread's TLS is untouched");

	pthread_t w;
	pthread_create(&w, NULL, waiter, NULL);
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	CHECK(pthread_join(w, &ret) == 0 && (long)ret == 42, "condition variable wakes the waiter");

	/* timed wait on a condition that never comes */
	struct timespec abs;
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	CHECK(pthread_cond_timedwait(&cond, &lock, &abs) == ETIMEDOUT,
	      "pthread_cond_timedwait times out");
	pthread_mutex_unlock(&lock);
	CHECK(pthread_mutex_trylock(&lock) == 0, "trylock on a free mutex");
	CHECK(pthread_mutex_trylock(&lock) == EBUSY, "trylock on a held mutex is EBUSY");
	pthread_mutex_unlock(&lock);

	/* the futex call itself */
	int word = 5;
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL), EAGAIN);
	struct timespec shortwait = {0, 10 * 1000 * 1000};
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 5, &shortwait), ETIMEDOUT);
	CHECK(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL) == 0, "FUTEX_WAKE with no waiter wakes 0");
	struct timespec badts = {0, 2000000000};
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 5, &badts), EINVAL);
	CHECK_ERR(futex((int *)((uintptr_t)&word + 1), FUTEX_WAIT_PRIVATE, 5, NULL), EINVAL);
	CHECK_ERR(futex(&word, 0x7f, 5, NULL), ENOSYS);
	pthread_t fw;
	pthread_create(&fw, NULL, futex_waker, NULL);
	long r;
	while ((r = futex(&fword, FUTEX_WAIT_PRIVATE, 0, NULL)) == -1 && errno == EINTR)
		;
	CHECK((r == 0 || errno == EAGAIN) && fword == 1, "FUTEX_WAIT woken by another thread");
	pthread_join(fw, NULL);

	CHECK(syscall(SYS_gettid) == getpid(), "the main thread's tid is the pid");
	return check_done();
}
