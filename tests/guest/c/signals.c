/* Signals: handlers with siginfo, masks, raise/kill/tgkill, sigaltstack. */
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

static volatile int got_sig, got_code, got_pid_ok, got_value;
static volatile int on_altstack;
static char *alt_base;
static size_t alt_size;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	got_sig = sig;
	got_code = si->si_code;
	got_pid_ok = si->si_pid == getpid();
	got_value = si->si_value.sival_int;
}

static void on_alt(int sig, siginfo_t *si, void *uc)
{
	char here;
	stack_t ss;

	on_altstack = &here >= alt_base && &here < alt_base + alt_size;
	sigaltstack(NULL, &ss);
	on_altstack &= (ss.ss_flags & SS_ONSTACK) != 0;
}

static volatile int nested_depth, max_depth, usr2_calls;

static void on_usr2(int sig)
{
	nested_depth++;
	usr2_calls++;
	if (nested_depth > max_depth)
		max_depth = nested_depth;
	/* SIGUSR2 is blocked while its handler runs: this stays pending */
	if (usr2_calls == 1)
		raise(SIGUSR2);
	nested_depth--;
}

/* A SIGILL handler that skips the faulting ud2 by editing the saved RIP. */
static volatile int ill_count;
static void on_ill(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	ill_count++;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

int main(void)
{
	struct sigaction sa = {0}, old;
	sigset_t set, cur;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	CHECK_OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_sigaction == on_usr1 && (old.sa_flags & SA_SIGINFO), "sigaction reads back");
	CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(0, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(65, &sa, NULL), EINVAL);

	CHECK_OK(raise(SIGUSR1));
	CHECK(got_sig == SIGUSR1, "raise runs the handler");
	CHECK(got_code == SI_TKILL, "raise gives si_code SI_TKILL");
	got_sig = 0;
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK(got_sig == SIGUSR1 && got_code == SI_USER && got_pid_ok,
	      "kill runs the handler with SI_USER and our pid");
	got_sig = 0;
	CHECK_OK(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
	CHECK(got_sig == SIGUSR1 && got_code == SI_TKILL, "tgkill to ourselves");
	got_sig = 0;
	union sigval sv = {.sival_int = 1234};
	CHECK_OK(sigqueue(getpid(), SIGUSR1, sv));
	CHECK(got_sig == SIGUSR1 && got_code == SI_QUEUE && got_value == 1234,
	      "sigqueue carries si_value");
	CHECK_OK(kill(getpid(), 0));
	CHECK_ERR(kill(getpid(), 99), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1), ESRCH);

	/* masks and pending signals */
	got_sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	raise(SIGUSR1);
	CHECK(got_sig == 0, "a blocked signal is not delivered");
	sigpending(&cur);
	CHECK(sigismember(&cur, SIGUSR1), "sigpending shows it");
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
	CHECK(got_sig == SIGUSR1, "unblocking delivers it");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGUSR1), "the mask reads back without SIGUSR1");
	sigaddset(&set, SIGKILL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGKILL), "SIGKILL cannot be blocked");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	CHECK_ERR(sigprocmask(42, &set, NULL), EINVAL);

	/* a handler's own signal is blocked while it runs, then delivered */
	signal(SIGUSR2, on_usr2);
	raise(SIGUSR2);
	CHECK(max_depth == 1 && nested_depth == 0 && usr2_calls == 2,
	      "a signal raised in its handler waits for the return");

	/* ignored signals */
	signal(SIGUSR2, SIG_IGN);
	CHECK_OK(raise(SIGUSR2));
	sigpending(&cur);
	CHECK(!sigismember(&cur, SIGUSR2), "an ignored signal is discarded");

	/* sigaltstack */
	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0}, oss;
	CHECK_OK(sigaltstack(&ss, NULL));
	CHECK_OK(sigaltstack(NULL, &oss));
	CHECK(oss.ss_sp == alt_base && oss.ss_size == alt_size && oss.ss_flags == 0,
	      "sigaltstack reads back");
	stack_t small = {.ss_sp = alt_base, .ss_size = 100};
	CHECK_ERR(sigaltstack(&small, NULL), ENOMEM);
	sa.sa_sigaction = on_alt;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGURG, &sa, NULL);
	raise(SIGURG);
	CHECK(on_altstack, "an SA_ONSTACK handler runs on the alternate stack");

	/* a handler that edits the saved registers */
	sa.sa_sigaction = on_ill;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	__asm__ volatile("ud2");
	__asm__ volatile("ud2");
	CHECK(ill_count == 2, "SIGILL handler skipped two ud2 via the ucontext");

	/* SA_RESETHAND */
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &old);
	CHECK(old.sa_handler == SIG_DFL, "SA_RESETHAND restores SIG_DFL");
	return check_done();
}
