/*
 * POSIX timers: timer_create with the default event, SIGEV_SIGNAL,
 * SIGEV_NONE, SIGEV_THREAD_ID and the C library's SIGEV_THREAD; one-shot
 * and periodic timers, absolute deadlines on CLOCK_REALTIME, the old
 * setting, overruns while the signal is blocked (si_overrun and
 * timer_getoverrun agree), timers not inherited by fork, the
 * RLIMIT_SIGPENDING bound, and the errors of each call.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* Older glibc names SIGEV_THREAD_ID's field only by its union member. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile sig_atomic_t got_signo, got_code, got_timerid, got_overrun;
static void *volatile got_ptr;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	got_signo = sig;
	got_code = si->si_code;
	got_timerid = si->si_timerid;
	got_overrun = si->si_overrun;
	got_ptr = si->si_value.sival_ptr;
}

static long ms(const struct timespec *ts)
{
	return ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

/* Wait (up to 2 s) for the handler to run. */
static int wait_signal(void)
{
	for (int i = 0; i < 400 && !got_signo; i++)
		sleep_ms(5);
	return got_signo;
}

static void errors(void)
{
	timer_t id;
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	struct itimerspec its = {.it_value = {1, 0}};

	CHECK_ERR(timer_create(100, &ev, &id), EINVAL);
	ev.sigev_notify = 99;
	CHECK_ERR(timer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = 0;
	CHECK_ERR(timer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	ev.sigev_signo = 65;
	CHECK_ERR(timer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	/* SIGEV_THREAD_ID names a thread of another process. */
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGUSR1;
	ev.sigev_notify_thread_id = getppid();
	CHECK_ERR(timer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &id), EFAULT);

	int kid = -1;
	CHECK_OK(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &kid));
	CHECK_ERR(syscall(SYS_timer_settime, kid + 1000, 0, &its, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_timer_settime, kid, 0, NULL, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_timer_settime, kid, 0, (void *)8, NULL), EFAULT);
	its.it_value.tv_nsec = 1000000000;
	CHECK_ERR(syscall(SYS_timer_settime, kid, 0, &its, NULL), EINVAL);
	its.it_value.tv_nsec = 0;
	CHECK_ERR(syscall(SYS_timer_gettime, kid + 1000, &its), EINVAL);
	CHECK_ERR(syscall(SYS_timer_gettime, kid, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_timer_getoverrun, kid + 1000), EINVAL);
	CHECK_OK(syscall(SYS_timer_delete, kid));
	CHECK_ERR(syscall(SYS_timer_delete, kid), EINVAL);
	CHECK_ERR(syscall(SYS_timer_gettime, kid, &its), EINVAL);
}

static void signals(void)
{
	timer_t id;
	int marker;
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	struct itimerspec its = {.it_value = {0, 50000000}}, cur, old;

	/* The kernel's default event (the C libraries pass their own):
	 * SIGALRM carrying the timer's id. */
	int kid = -1;
	got_signo = 0;
	CHECK_OK(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &kid));
	CHECK_OK(syscall(SYS_timer_settime, kid, 0, &its, NULL));
	CHECK(wait_signal() == SIGALRM && got_code == SI_TIMER,
	      "no sigevent: SIGALRM with SI_TIMER");
	CHECK(got_timerid == kid && (int)(intptr_t)got_ptr == kid,
	      "its si_timerid and value are the timer's id");
	CHECK_OK(syscall(SYS_timer_delete, kid));

	/* SIGEV_SIGNAL, one shot, our own value. */
	ev.sigev_value.sival_ptr = &marker;
	CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &id));
	got_signo = 0;
	CHECK_OK(timer_settime(id, 0, &its, NULL));
	CHECK_OK(timer_gettime(id, &cur));
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
	          cur.it_value.tv_nsec <= 50000000 && cur.it_interval.tv_nsec == 0,
	      "timer_gettime: time left of an armed one-shot");
	CHECK(wait_signal() == SIGUSR1 && got_code == SI_TIMER && got_ptr == &marker &&
	          got_overrun == 0,
	      "SIGEV_SIGNAL: our signal, SI_TIMER, our value, no overrun");
	CHECK_OK(timer_gettime(id, &cur));
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0, "disarmed once expired");

	/* The old setting comes back. */
	its.it_value = (struct timespec){1, 0};
	CHECK_OK(timer_settime(id, 0, &its, NULL));
	its.it_value = (struct timespec){2, 0};
	CHECK_OK(timer_settime(id, 0, &its, &old));
	CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 500000000,
	      "timer_settime returns the time the old setting had left");
	its.it_value = (struct timespec){0, 0};
	CHECK_OK(timer_settime(id, 0, &its, &old));
	CHECK(old.it_value.tv_sec == 1 || old.it_value.tv_sec == 2, "and again");
	CHECK_OK(timer_gettime(id, &cur));
	CHECK(!cur.it_value.tv_sec && !cur.it_value.tv_nsec, "a zero value disarms");

	/* An absolute CLOCK_REALTIME deadline, and one already past. */
	timer_t rid;
	CHECK_OK(timer_create(CLOCK_REALTIME, &ev, &rid));
	clock_gettime(CLOCK_REALTIME, &its.it_value);
	its.it_value.tv_nsec += 50000000;
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000;
	}
	got_signo = 0;
	CHECK_OK(timer_settime(rid, TIMER_ABSTIME, &its, NULL));
	CHECK(wait_signal() == SIGUSR1, "TIMER_ABSTIME on CLOCK_REALTIME fires");
	its.it_value.tv_sec -= 10;
	got_signo = 0;
	CHECK_OK(timer_settime(rid, TIMER_ABSTIME, &its, NULL));
	CHECK(wait_signal() == SIGUSR1, "a deadline in the past fires at once");
	CHECK_OK(timer_delete(rid));

	/* Periodic, its signal blocked: one instance, the rest overruns. */
	sigset_t set;
	siginfo_t si;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ev.sigev_signo = SIGRTMIN;
	timer_t pid_;
	CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &pid_));
	its.it_value = (struct timespec){0, 10000000};
	its.it_interval = (struct timespec){0, 10000000};
	CHECK_OK(timer_settime(pid_, 0, &its, NULL));
	sleep_ms(150);
	CHECK(sigwaitinfo(&set, &si) == SIGRTMIN && si.si_code == SI_TIMER,
	      "a periodic timer's signal is pending");
	CHECK(si.si_overrun >= 3, "the expirations while it was pending are its overruns");
	CHECK(timer_getoverrun(pid_) == si.si_overrun, "timer_getoverrun says the same");
	CHECK_OK(timer_gettime(pid_, &cur));
	CHECK(cur.it_interval.tv_nsec == 10000000 && ms(&cur.it_value) <= 10,
	      "timer_gettime: the period and the time to the next expiry");
	CHECK_OK(timer_delete(pid_));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	CHECK_OK(timer_delete(id));
}

static void none_and_fork(void)
{
	timer_t id;
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	struct itimerspec its = {.it_value = {0, 200000000}}, cur;

	got_signo = 0;
	CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &id));
	CHECK_OK(timer_settime(id, 0, &its, NULL));
	CHECK_OK(timer_gettime(id, &cur));
	CHECK(cur.it_value.tv_nsec > 100000000, "SIGEV_NONE: the timer runs");
	pid_t pid = fork();
	if (pid == 0)
		_exit(timer_gettime(id, &cur) == -1 && errno == EINVAL ? 0 : 1);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a forked child has no timers");
	sleep_ms(250);
	CHECK_OK(timer_gettime(id, &cur));
	CHECK(!cur.it_value.tv_sec && !cur.it_value.tv_nsec && !got_signo,
	      "SIGEV_NONE: it expired and sent nothing");
	CHECK_OK(timer_delete(id));
}

static atomic_int thread_tid, thread_got;

static void *waiter(void *arg)
{
	sigset_t set;
	siginfo_t si;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	thread_tid = (int)syscall(SYS_gettid);
	if (sigwaitinfo(&set, &si) == SIGUSR2 && si.si_code == SI_TIMER)
		thread_got = 1;
	return NULL;
}

static atomic_int notified;
static void notify_fn(union sigval v)
{
	if (v.sival_int == 42)
		notified++;
}

static void threads(void)
{
	sigset_t set;
	pthread_t th;
	timer_t id;
	struct itimerspec its = {.it_value = {0, 30000000}};

	/* SIGEV_THREAD_ID: the signal goes to that thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pthread_create(&th, NULL, waiter, NULL);
	while (!thread_tid)
		sleep_ms(1);
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR2};
	ev.sigev_notify_thread_id = thread_tid;
	CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &id));
	CHECK_OK(timer_settime(id, 0, &its, NULL));
	pthread_join(th, NULL);
	CHECK(thread_got == 1, "SIGEV_THREAD_ID: the named thread takes the signal");
	CHECK_OK(timer_delete(id));
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	/* SIGEV_THREAD: the C library runs the function in a thread. */
	struct sigevent tev = {.sigev_notify = SIGEV_THREAD,
	                       .sigev_notify_function = notify_fn,
	                       .sigev_value.sival_int = 42};
	CHECK_OK(timer_create(CLOCK_MONOTONIC, &tev, &id));
	its.it_value = (struct timespec){0, 20000000};
	its.it_interval = (struct timespec){0, 20000000};
	CHECK_OK(timer_settime(id, 0, &its, NULL));
	for (int i = 0; i < 200 && notified < 3; i++)
		sleep_ms(10);
	CHECK(notified >= 3, "SIGEV_THREAD: the function ran for each expiry");
	CHECK_OK(timer_delete(id));
}

static void limit(void)
{
	struct rlimit old, rl = {8, 8};
	timer_t ids[16];
	int n = 0;
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};

	getrlimit(RLIMIT_SIGPENDING, &old);
	setrlimit(RLIMIT_SIGPENDING, &rl);
	while (n < 16 && timer_create(CLOCK_MONOTONIC, &ev, &ids[n]) == 0)
		n++;
	CHECK(n <= 8 && errno == EAGAIN, "RLIMIT_SIGPENDING bounds the timers: EAGAIN");
	while (n > 0)
		timer_delete(ids[--n]);
	setrlimit(RLIMIT_SIGPENDING, &old);
}

int main(void)
{
	struct sigaction sa = {.sa_sigaction = on_timer, .sa_flags = SA_SIGINFO};
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	errors();
	signals();
	none_and_fork();
	threads();
	limit();
	return check_done();
}
