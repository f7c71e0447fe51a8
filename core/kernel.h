/*
 * The personality core's central types: processes, threads, the syscall
 * handler signature, parking and waking, timers and logging.  Everything
 * in core/ includes this; nothing in core/ includes a backend's headers
 * (plat.h is the whole of the platform as the core sees it).
 */
#ifndef PERSONA_KERNEL_H
#define PERSONA_KERNEL_H

#include <errno.h>
#include <signal.h> /* SIG* numbers: the same on every Linux arch we target */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "list.h"
#include "plat.h"

#define PAGE_SIZE PLAT_PAGE_SIZE
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN_UP(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)

struct mm;
struct fdtable;
struct fs_context;
struct sighand;
struct inode;
struct file;

/* Internal result of a handler that parked its thread (see thread_park). */
#define SYS_PARKED (-100001L)
/* Internal result of a handler after which its thread no longer exists. */
#define SYS_GONE (-100002L)
/* Internal result: registers were replaced wholesale (rt_sigreturn), do
 * not store a return value. */
#define SYS_NORETURN (-100003L)
/* Linux's internal answers of a call a signal interrupted, never seen by a
 * client: the dispatcher stores -EINTR and keeps the code in
 * t->restart_pending, and signal delivery (signal.c) decides as Linux does:
 *   ERESTARTSYS            runs again after a handler with SA_RESTART, or
 *                          when no handler runs (a stop, an ignored signal);
 *   ERESTARTNOHAND         runs again only when no handler runs;
 *   ERESTART_RESTARTBLOCK  like ERESTARTNOHAND, but as restart_syscall,
 *                          which goes on with what the call left in
 *                          t->restart (a sleep's deadline: no new full
 *                          timeout after SIGCONT). */
#define ERESTARTSYS 512
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
#define SYS_NR_RESTART_SYSCALL ARCH_SYS_NR(219, 128)

/* ---- Syscall arguments and handlers --------------------------------------- */
struct sysargs {
	uint64_t nr;
	uint64_t a[6];
};
struct thread;
typedef long (*sys_handler)(struct thread *t, const struct sysargs *a);

/* ---- Wait queues and parking ----------------------------------------------
 * A handler that must wait registers its thread on one or more wait queues
 * with thread_wait_on(), then returns thread_park(t, deadline).  When a
 * queue is woken, the deadline passes, or an unblocked signal arrives, the
 * thread leaves every queue and the SAME syscall is dispatched again from
 * the start with the same arguments; t->wake says why:
 *   WAKE_NONE   first entry (not a re-dispatch)
 *   WAKE_EVENT  a queue it waited on was woken (re-check the condition;
 *               park again if it does not hold)
 *   WAKE_TIMEOUT the deadline passed
 * A signal does not re-enter the handler unless it set t->sees_signal_wake
 * (then t->wake is WAKE_SIGNAL): the dispatcher answers -EINTR or one of
 * the ERESTART* codes above, as Linux does for that call.
 * State a handler wants to keep across parks lives in t->sys (a union
 * below) and is valid while t->wake != WAKE_NONE.
 */
struct wq_watch;
struct waitq {
	struct list_head waiters;
	struct wq_watch *watches; /* callbacks run at every wake (epoll) */
};

/* A callback on a wait queue rather than a parked thread: fn runs each
 * time the queue is woken, before the threads are (epoll's way of hearing
 * that a file it watches may have changed).  Zeroed: on no queue. */
struct wq_watch {
	struct wq_watch *next;
	struct waitq *q;
	void (*fn)(struct wq_watch *w);
};
void waitq_watch(struct waitq *q, struct wq_watch *w);
void waitq_unwatch(struct wq_watch *w);
/* q is going away: its watches are left on no queue. */
void waitq_drop_watches(struct waitq *q);
/* The thread whose system call the core is running, or NULL (what a
 * file's poll means by "the caller", as Linux's current). */
struct thread *sched_current(void);
/* The unit tests call handlers directly: this names the caller they stand
 * for (credentials, "current" for poll), as the dispatcher does. */
void sched_set_current(struct thread *t);

/* One registration of a parked thread on one wait queue (sched.c). */
struct waiter {
	struct list_head q_link; /* in waitq->waiters */
	struct list_head t_link; /* in thread->waiters */
	struct thread *t;
	struct waitq *q;
};

enum wake_reason { WAKE_NONE, WAKE_EVENT, WAKE_TIMEOUT, WAKE_SIGNAL };

void waitq_init(struct waitq *q);
/* Wake every thread on q.  Returns how many were woken. */
int waitq_wake_all(struct waitq *q);
/* Wake up to n threads on q for which match(t, arg) is true (match may be
 * NULL: all).  Returns how many were woken. */
int waitq_wake(struct waitq *q, int n, bool (*match)(struct thread *, void *), void *arg);
/* Like waitq_wake, but instead of waking, moves up to n matching waiters
 * from q to q2 (futex requeue).  Returns how many were moved. */
int waitq_requeue(struct waitq *q, struct waitq *q2, int n, bool (*match)(struct thread *, void *),
                  void *arg);
/* Register t on q for its coming park.  -ENOMEM if out of memory. */
int thread_wait_on(struct thread *t, struct waitq *q);
/* Park t until woken, until the monotonic clock reaches deadline_ns (0: no
 * deadline), or until a signal.  Returns SYS_PARKED: the handler must
 * return it unchanged. */
long thread_park(struct thread *t, uint64_t deadline_ns);

/* A timer not tied to a parked thread (ITIMER_REAL): fn runs from the
 * event loop once the monotonic clock reaches deadline.  Zeroed memory is
 * a disarmed timer. */
struct ktimer {
	struct list_head link;
	uint64_t deadline;
	void (*fn)(struct ktimer *kt);
	void *arg;
};
void ktimer_arm(struct ktimer *kt, uint64_t deadline_ns);
void ktimer_cancel(struct ktimer *kt);

/* clocktimer.c: a deadline on one of Linux's clocks with an optional
 * period, for timerfd and POSIX timers.  expired(ct, n) runs from the
 * event loop with the number of periods that passed (at least 1). */
#define LX_CLOCK_REALTIME 0
#define LX_CLOCK_MONOTONIC 1
#define LX_CLOCK_BOOTTIME 7
#define LX_CLOCK_REALTIME_ALARM 8
#define LX_CLOCK_BOOTTIME_ALARM 9
struct clock_timer {
	int clock;
	uint64_t interval; /* ns, 0: one shot */
	struct ktimer kt;  /* the deadline on the monotonic clock */
	bool armed;
	void (*expired)(struct clock_timer *ct, uint64_t n);
};
bool clock_timer_clock_ok(int clock);
void clock_timer_init(struct clock_timer *ct, int clock,
                      void (*expired)(struct clock_timer *ct, uint64_t n));
/* A struct itimerspec (interval, value) from the client: -EFAULT, or
 * -EINVAL if a field is out of range. */
int clock_timer_spec_in(struct thread *t, uint64_t uaddr, int64_t its[4]);
void clock_timer_get(const struct clock_timer *ct, int64_t out[4]);
void clock_timer_set(struct clock_timer *ct, bool abstime, const int64_t its[4]);
void clock_timer_cancel(struct clock_timer *ct);

/* ---- Processes and threads ------------------------------------------------ */
struct sigaltstack_lx {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct siginfo_lx {
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
		} kill;
		struct {
			int32_t pid;
			uint32_t uid;
			int32_t status;
			int32_t pad;
			int64_t utime, stime;
		} chld;
		struct {
			uint64_t addr;
		} fault;
		struct {
			int32_t tid, overrun; /* the timer's id, its overruns */
			uint64_t value;       /* sigev_value */
		} timer;
		uint8_t raw[112];
	} u;
};

#define NSIG_LX 64

enum thread_state {
	TS_RUNNING, /* in the client (or about to be resumed) */
	TS_PARKED,  /* waiting inside a syscall */
	TS_READY,   /* woken, its syscall to be re-dispatched */
	TS_STOPPED, /* held by a job-control stop of its process (SIGSTOP...) */
	TS_DEAD,
};

struct thread {
	struct list_head all_link;   /* in the global thread list */
	struct list_head proc_link;  /* in proc->threads */
	struct list_head ready_link; /* in the ready list while TS_READY */
	struct proc *proc;
	struct plat_thread *pt;
	int tid;
	enum thread_state state;
	struct arch_regs regs; /* valid while stopped in the server */

	/* syscall in progress (for re-dispatch after a park) */
	struct sysargs cur;
	enum wake_reason wake;
	/* Set by a handler before it parks when it wants to be re-entered on
	 * WAKE_SIGNAL too (nanosleep writes back the time left); otherwise a
	 * signal makes the call return -EINTR without re-entering it. */
	bool sees_signal_wake;
	uint64_t park_deadline;   /* 0: none */
	struct list_head waiters; /* struct waiter entries while parked */
	struct waiter wait1;      /* the first of them: most parks wait on one queue */
	bool wait1_used;
	struct list_head timer_link; /* in the timer list while it has one */
	union {
		uint64_t deadline; /* sleeps: absolute monotonic ns */
		struct {
			uint64_t deadline;
			uint32_t bitset;
			uint64_t key_addr;
			const void *key_obj; /* futex.c's key: an mm or a file */
			bool woken;
		} futex;
		struct {
			uint64_t deadline;
			void *cookie;
		} generic;
		struct {
			struct inode *ino; /* referenced while the thread holds its count */
			unsigned acc;      /* O_RDONLY or O_WRONLY */
			uint64_t counter;  /* the partner's open count when it began */
		} fifo;
	} sys;
	/* What a parked call holds that must be given back if it ends any other
	 * way than the handler taking it over (a signal, or the thread's
	 * death): a FIFO open waiting for its partner keeps its count, as in
	 * Linux.  Called once by the scheduler, then cleared. */
	void (*park_undo)(struct thread *t);
	/* A thread parked in F_SETLKW: its lock owner and the owner it waits
	 * for (locks.c's deadlock detection). */
	struct {
		const void *self, *blocker;
	} lockwait;

	/* thread lifetime */
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;

	/* signals (owned by signal.c) */
	uint64_t sigmask;
	/* ppoll/pselect6/rt_sigsuspend run under a temporary mask; the real
	 * one comes back when the call returns (or is saved in the frame of
	 * the handler that interrupted it), as Linux's restore_sigmask. */
	uint64_t saved_sigmask;
	bool restore_sigmask;
	uint64_t waitset; /* rt_sigtimedwait: the signals it waits for, while it does */
	uint64_t sigpending;
	struct siginfo_lx pending_info[NSIG_LX];
	struct list_head rtqueue; /* further instances of pending real-time signals */
	struct sigaltstack_lx altstack;
	int in_sigreturn_frame;
	/* The syscall just interrupted may run again: 0 or the ERESTART*
	 * code it ended with, settled at delivery (signal.c). */
	int restart_pending;
	/* What restart_syscall goes on with (Linux's restart_block): set by
	 * a call that answers ERESTART_RESTARTBLOCK, cleared by sigreturn. */
	struct restart_block {
		long (*fn)(struct thread *t); /* NULL: restart_syscall is EINTR */
		uint64_t deadline;            /* absolute monotonic ns, 0: none */
		uint64_t a[4];
	} restart;

	char comm[16];
	uint64_t start_ns; /* creation time (THREAD_CPUTIME approximation) */
	/* sched_setscheduler's policy and priority, per thread as on Linux:
	 * reported back; the platform's scheduler does not apply them. */
	int sched_policy, sched_prio;
	bool sched_reset_on_fork;
};

struct proc {
	struct list_head all_link;
	struct list_head threads;
	int nthreads;
	int pid, ppid, pgid, sid;
	struct mm *mm;
	struct plat_as *as;
	struct fdtable *fds;
	struct fs_context *fs; /* cwd, umask */
	struct sighand *sighand;
	uint64_t sigpending; /* process-directed signals */
	struct siginfo_lx pending_info[NSIG_LX];
	struct list_head rtqueue; /* further instances of pending real-time signals */
	uint64_t rtqueued;        /* entries queued here and in the threads' queues */
	uint32_t uid, gid, euid, egid;
	/* credentials (cred.c): saved and filesystem ids, supplementary
	 * groups (sorted), capability sets */
	uint32_t suid, sgid, fsuid, fsgid;
	int ngroups;
	uint32_t *groups;
	uint64_t cap_eff, cap_perm, cap_inh;
	bool secure_exec; /* the last exec changed ids: AT_SECURE */
	char exe_path[256];
	struct inode *exe; /* the program's inode (/proc/<pid>/exe) */
	char *cmdline;     /* NUL-separated argv, for /proc/<pid>/cmdline */
	size_t cmdline_len;
	struct {
		uint64_t cur, max;
	} rlim[16];
	bool exiting;
	int exit_status; /* wait status word, Linux encoding */

	/* The process tree (task.c).  A process that exits stays in
	 * all_procs as a zombie until its parent reaps it with wait. */
	struct proc *parent;       /* NULL for the first process */
	struct list_head children; /* struct proc, by sibling */
	struct list_head sibling;  /* in parent->children */
	int exit_signal;           /* sent to the parent at exit (SIGCHLD, or 0) */
	bool zombie;               /* exited, not yet reaped */
	bool did_exec;             /* since fork (setpgid's EACCES) */
	/* Job control (signal.c): stopped by a stop signal until SIGCONT;
	 * what the parent's wait has yet to be told (WUNTRACED, WCONTINUED). */
	bool stopped;
	int stop_signo;
	bool stop_report, cont_report;
	struct waitq child_wq; /* threads of this process in wait4/waitid */
	bool vfork_pending;    /* a vfork parent waits for exec or exit */
	struct waitq vfork_wq; /* ... here */
	struct waitq sigfd_wq; /* woken when a signal becomes pending (signalfd) */
	/* ITIMER_REAL (alarm, setitimer): absolute monotonic ns, 0 off */
	struct ktimer itimer;
	uint64_t itimer_interval;
	uint64_t serial; /* unique for the server's life: pidfds name it */
	/* POSIX timers (ptimer.c) */
	struct list_head ptimers;
	int nptimers, ptimer_next_id;
	/* task module: creation time (CPU clock approximations), nice value,
	 * prctl and personality state, membarrier registrations */
	uint64_t start_ns;
	int nice, pdeathsig, dumpable;
	bool no_new_privs;
	uint32_t personality;
	uint32_t membarrier_registered;
	uint64_t sigtramp; /* arch: sigreturn trampoline set at exec (riscv64), or 0 */
};

/* Registry (task.c) */
struct proc *proc_by_pid(int pid);
/* Whether a live process is in process group pgid. */
bool proc_pgrp_exists(int pgid);
/* Whether process group pgid is orphaned: no live member has a parent in
 * another group of the same session (Linux's is_current_pgrp_orphaned). */
bool proc_pgrp_orphaned(int pgid);
/* Send signo to every live process of group pgid, from the kernel. */
void proc_signal_pgrp(int pgid, int signo);
struct thread *thread_by_tid(int tid);
int task_alloc_id(void);
extern struct list_head all_procs, all_threads;

/* End one thread (exit): releases its waits, wakes clear_child_tid,
 * destroys its platform thread; when the last thread of a process goes,
 * the process exits with proc->exit_status.  t is freed. */
void thread_exit(struct thread *t);
/* End a whole process with a wait status (exit_group, fatal signal): it
 * becomes a zombie for its parent to reap, or is freed at once. */
void proc_exit(struct proc *p, int wait_status);
/* Free an exited process (wait reaped it). */
void proc_release(struct proc *p);
/* Move p under parent (NULL: nobody will wait for it). */
void proc_set_parent(struct proc *p, struct proc *parent);
/* A vfork child has exec'd or exited: its parent goes on. */
void vfork_release(struct proc *p);
/* At the end of the run: kill every process left and free them all. */
void proc_end_all(void);

/* ---- The event loop (sched.c) ------------------------------------------------ */

/* Let a newly created (stopped) thread run from t->regs. */
void sched_start_thread(struct thread *t);
/* Wake a parked thread (signal delivery uses WAKE_SIGNAL); no effect on a
 * thread that is not parked. */
void thread_wake(struct thread *t, enum wake_reason why);
/* Ask a thread running in the client to come back to the server so that
 * pending signals are looked at (kicks it through the platform). */
void sched_kick(struct thread *t);
/* Let a thread held by a job-control stop go back to its client (from the
 * event loop, soon: SIGCONT arrives in the middle of someone's call). */
void sched_continue(struct thread *t);
/* Take a thread out of every scheduler structure (wait queues, timers,
 * the ready list) before it is freed; thread_exit calls this. */
void sched_forget_thread(struct thread *t);
/* proc_exit calls this once a process is gone (the loop ends after the
 * first process). */
void sched_proc_exited(struct proc *p);
/* The pid of the first process (orphans are given to it), or -1. */
int sched_first_pid(void);

/* ---- Memory access to a client (mm.c) -------------------------------------
 * The only way the core touches client memory.  Each returns 0 or -EFAULT;
 * the range is checked byte for byte against the process's mappings and
 * pages not yet populated are populated as a client access would. */
int mm_copy_from(struct mm *mm, void *dst, uint64_t src, size_t n);
int mm_copy_to(struct mm *mm, uint64_t dst, const void *src, size_t n);
/* Like the two above, but copy what the mappings allow from the start of
 * the range and return how many bytes that was (n: all).  Linux's read
 * and write transfer the bytes before a bad page and return that count. */
size_t mm_copy_from_partial(struct mm *mm, void *dst, uint64_t src, size_t n);
size_t mm_copy_to_partial(struct mm *mm, uint64_t dst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most max bytes including the NUL.
 * Returns its length, -EFAULT, or -ENAMETOOLONG if no NUL within max. */
long mm_strncpy_from(struct mm *mm, char *dst, uint64_t src, size_t max);

static inline int copy_from_user(struct thread *t, void *dst, uint64_t src, size_t n);
static inline int copy_to_user(struct thread *t, uint64_t dst, const void *src, size_t n);

/* ---- Time and timers ---------------------------------------------------- */
static inline uint64_t now_ns(void)
{
	return plat_clock_ns(1);
}

/* ---- Logging ----------------------------------------------------------------
 * pr_warn_once: at most once per call site. */
void pr_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define pr_warn_once(...)                                                                          \
	do {                                                                                       \
		static bool warned_;                                                               \
		if (!warned_) {                                                                    \
			warned_ = true;                                                            \
			pr_log(__VA_ARGS__);                                                       \
		}                                                                                  \
	} while (0)

/* ---- What the guest is told it runs on (uname, /proc) ----------------------- */
#define UTS_SYSNAME "Linux"
#define UTS_NODENAME "persona"
#define UTS_RELEASE "6.1.0-persona"
#define UTS_VERSION "#1 SMP persona"

/* ---- Global configuration ------------------------------------------------- */
struct core_config {
	bool trace;
	uint64_t memory_limit;
	uint32_t uid, gid; /* identity the guest sees (the caller's) */
};
extern struct core_config core_cfg;

/* The current process of a thread, its mm. */
static inline int copy_from_user(struct thread *t, void *dst, uint64_t src, size_t n)
{
	return mm_copy_from(t->proc->mm, dst, src, n);
}
static inline int copy_to_user(struct thread *t, uint64_t dst, const void *src, size_t n)
{
	return mm_copy_to(t->proc->mm, dst, src, n);
}

#endif
