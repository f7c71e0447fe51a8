/*
 * Processes and threads (task.c), signals (signal.c), and what the event
 * loop (sched.c) needs of them.
 */
#ifndef PERSONA_TASK_H
#define PERSONA_TASK_H

#include "kernel.h"

/* A new process with a fresh pid and nothing attached; the caller fills
 * mm/as/fds/fs/sighand.  NULL if out of memory. */
struct proc *proc_create(void);
/* A new thread in p with a fresh tid (the first thread of a process gets
 * tid == pid), with its platform thread created stopped.  -errno. */
int thread_create(struct proc *p, struct thread **out);

/* ---- Signals (signal.c) ---------------------------------------------------- */
struct sighand *sighand_create(void);
struct sighand *sighand_clone(struct sighand *src);
void sighand_get(struct sighand *sh);
void sighand_put(struct sighand *sh);

/* Queue a signal for one thread / for a process (kill).  info may be NULL
 * (SI_USER from the sender's pid is filled in). */
void sig_send_thread(struct thread *t, int signo, const struct siginfo_lx *info);
void sig_send_proc(struct proc *p, int signo, const struct siginfo_lx *info);
/* Whether t blocks signo or its process ignores it with SIG_IGN (Linux's
 * is_ignored, for the terminal's SIGTTIN/SIGTTOU). */
bool sig_ignored_or_blocked(struct thread *t, int signo);
/* A synchronous fault signal for t (SIGSEGV, SIGILL, ...): delivered even
 * if blocked or ignored, as Linux's force_sig_fault does. */
void sig_force_fault(struct thread *t, int signo, int code, uint64_t addr);
/* Drop the queued real-time signals of a queue (signo, or all if 0). */
void sig_forget_queue(struct proc *p, struct list_head *q, int signo);
/* execve: handlers back to SIG_DFL, ignored signals stay ignored. */
void sig_exec_reset(struct proc *p);
/* Whether p's children are reaped without wait (SIGCHLD ignored or
 * SA_NOCLDWAIT), so that they never become zombies. */
bool sig_child_autoreap(struct proc *p);
/* Take the first pending signal of set (thread's, then process's) into
 * info: its number, or 0 if none is pending (sigtimedwait). */
int sig_dequeue_from(struct thread *t, uint64_t set, struct siginfo_lx *info);
/* True if t has a pending signal it does not block. */
bool sig_pending_unblocked(struct thread *t);
/* Called by the event loop before t goes back to the client: deliver
 * pending unblocked signals (build a frame on the user stack, run the
 * default action).  Returns false if t no longer exists afterwards (its
 * process was killed). */
bool sig_deliver_pending(struct thread *t);

/* ---- Signal internals shared by signal.c, sys_signal.c and the arch's
 * sigframe.c (added by the task module).  Linux's values under LX_ names,
 * because the host's <signal.h> (included by kernel.h) owns SA_* etc. */
#define LX_SA_NOCLDSTOP 0x1UL
#define LX_SA_NOCLDWAIT 0x2UL
#define LX_SA_SIGINFO 0x4UL
#define LX_SA_EXPOSE_TAGBITS 0x800UL
#define LX_SA_RESTORER 0x04000000UL
#define LX_SA_ONSTACK 0x08000000UL
#define LX_SA_RESTART 0x10000000UL
#define LX_SA_NODEFER 0x40000000UL
#define LX_SA_RESETHAND 0x80000000UL
#define LX_SS_ONSTACK 1
#define LX_SS_DISABLE 2
#define LX_SS_AUTODISARM (1U << 31)
#define LX_MINSIGSTKSZ 2048
#define LX_SIG_DFL 0UL
#define LX_SIG_IGN 1UL
/* si_code values */
#define LX_SI_USER 0
#define LX_SI_KERNEL 0x80
#define LX_SI_TKILL (-6)
#define LX_SI_TIMER (-2)
#define LX_RLIMIT_SIGPENDING 11
#define LX_CLD_EXITED 1
#define LX_CLD_KILLED 2
#define LX_CLD_DUMPED 3
#define LX_CLD_TRAPPED 4
#define LX_CLD_STOPPED 5
#define LX_CLD_CONTINUED 6
/* SIGCHLD's siginfo about p: code CLD_*, status the exit code or signal. */
void proc_chld_info(struct proc *p, int code, int status, struct siginfo_lx *si);
#define LX_SIGMASK(sig) (1ULL << ((sig)-1))
#define LX_SIG_UNBLOCKABLE (LX_SIGMASK(SIGKILL) | LX_SIGMASK(SIGSTOP))

/* A signal action as the core keeps it (the arch's sigframe.h says how it
 * is laid out for rt_sigaction). */
struct sigaction_lx;
void sig_get_action(struct proc *p, int signo, struct sigaction_lx *out);
/* Install an action (mask already cleaned); discards pending instances
 * when the new disposition ignores the signal, as Linux does. */
void sig_set_action(struct proc *p, int signo, const struct sigaction_lx *act);
/* Set the blocked mask (SIGKILL and SIGSTOP are dropped from it). */
void sig_set_mask(struct thread *t, uint64_t mask);
/* Run the rest of the current call under mask; the thread's own mask is
 * restored on the way back to the client (see struct thread). */
void sig_set_temp_mask(struct thread *t, uint64_t mask);
/* Pending signals of t and its process. */
uint64_t sig_pending_set(struct thread *t);
/* Like sig_send_proc, preferring cur as the receiving thread (kill(2) to
 * one's own process is seen by the caller first, as on Linux). */
void sig_send_proc_from(struct proc *p, int signo, const struct siginfo_lx *info,
                        struct thread *cur);
/* Alternate signal stack: whether sp is on it, its ss_flags as reported
 * to the program, and do_sigaltstack's checks and update. */
bool sig_on_altstack(const struct thread *t, uint64_t sp);
int sig_altstack_flags(const struct thread *t, uint64_t sp);
int sig_altstack_set(struct thread *t, const struct sigaltstack_lx *ss, uint64_t sp);

/* Whether p shares its signal actions with another process. */
bool sig_sighand_shared(struct proc *p);
/* Whether a signal of POSIX timer id is pending in p or one of its
 * threads (a timer has at most one queued). */
bool sig_timer_queued(struct proc *p, int signo, int id);

/* ---- Credentials (cred.c) ---------------------------------------------------- */
#define LX_CAP_CHOWN 0
#define LX_CAP_DAC_OVERRIDE 1
#define LX_CAP_DAC_READ_SEARCH 2
#define LX_CAP_FOWNER 3
#define LX_CAP_FSETID 4
#define LX_CAP_KILL 5
#define LX_CAP_SETGID 6
#define LX_CAP_SETUID 7
#define LX_CAP_NET_BIND_SERVICE 10
#define LX_CAP_IPC_LOCK 14
#define LX_CAP_SYS_ADMIN 21
#define LX_CAP_SYS_NICE 23
#define LX_CAP_SYS_RESOURCE 24
#define LX_CAP_MKNOD 27
void cred_init(struct proc *p, uint32_t uid, uint32_t gid);
int cred_copy(struct proc *to, const struct proc *from);
void cred_free(struct proc *p);
/* Whether the calling process (sched_current) has capability cap;
 * outside a call, whether persona runs as root. */
bool capable(int cap);
/* The caller's filesystem ids, and whether gid is one of its groups. */
uint32_t cred_fsuid(void);
uint32_t cred_fsgid(void);
bool cred_in_group(uint32_t gid);
/* Linux's check_kill_permission. */
bool cred_may_signal(const struct proc *from, const struct proc *to, int sig);
/* exec of exe: set-user-ID and set-group-ID bits, capabilities,
 * secure_exec (AT_SECURE) and dumpable.  Done before the new program is
 * loaded (its auxv tells the ids); cred_save/cred_restore undo it if the
 * load fails. */
struct cred_ids {
	uint32_t id[8];
	uint64_t cap[3];
	int dumpable;
	bool secure;
};
void cred_save(const struct proc *p, struct cred_ids *s);
void cred_restore(struct proc *p, const struct cred_ids *s);
void cred_exec(struct proc *p, const struct inode *exe);
/* access(2): check as the real user from here until cred_restore. */
void cred_access_begin(struct proc *p, struct cred_ids *s);

/* ---- pidfds (pidfd.c) ------------------------------------------------------ */
/* A process exited or was reaped: pidfd polls look again. */
void pidfd_proc_changed(void);
/* The process pidfd fd names: -EBADF if fd is no pidfd, else 0 with *out
 * NULL once it has been reaped; *nonblock: the file is O_NONBLOCK. */
int pidfd_target(struct thread *t, int fd, struct proc **out, bool *nonblock);
/* CLONE_PIDFD: a pidfd for child p in t's process, its number written to
 * uaddr; -errno (and no fd) if either fails. */
int pidfd_for_clone(struct thread *t, struct proc *p, uint64_t uaddr);

/* ---- POSIX timers (ptimer.c) ---------------------------------------------- */
/* A timer's signal is being taken: fill in its overrun count. */
void ptimer_taken(struct proc *p, struct siginfo_lx *info);
/* Delete all of p's timers (exec, exit). */
void ptimer_exit_all(struct proc *p);

/* ---- Futexes (futex.c) ---------------------------------------------------- */
/* Wake up to n waiters of the futex at uaddr in mm whose bitset matches
 * (thread exit: clear_child_tid and robust lists).  Returns how many. */
int futex_wake(struct mm *mm, uint64_t uaddr, int n, uint32_t bitset);
/* Forget the (empty) futex queues of an mm that is going away. */
void futex_forget_mm(struct mm *mm);

/* ---- Processes (sys_proc.c) ------------------------------------------------ */
/* clone's flags, Linux's values. */
#define CSIGNAL 0xffULL
#define CLONE_VM 0x100ULL
#define CLONE_FS 0x200ULL
#define CLONE_FILES 0x400ULL
#define CLONE_SIGHAND 0x800ULL
#define CLONE_PIDFD 0x1000ULL
#define CLONE_PTRACE 0x2000ULL
#define CLONE_VFORK 0x4000ULL
#define CLONE_PARENT 0x8000ULL
#define CLONE_THREAD 0x10000ULL
#define CLONE_NEWNS 0x20000ULL
#define CLONE_SYSVSEM 0x40000ULL
#define CLONE_SETTLS 0x80000ULL
#define CLONE_PARENT_SETTID 0x100000ULL
#define CLONE_CHILD_CLEARTID 0x200000ULL
#define CLONE_DETACHED 0x400000ULL
#define CLONE_UNTRACED 0x800000ULL
#define CLONE_CHILD_SETTID 0x1000000ULL
#define CLONE_NEWUSER 0x10000000ULL
#define CLONE_NEWPID 0x20000000ULL
#define CLONE_IO 0x80000000ULL
#define CLONE_NEWTIME 0x80ULL
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#define CLONE_INTO_CGROUP 0x200000000ULL
#define CLONE_LEGACY_FLAGS 0xffffffffULL

/* A clone or clone3 request with its arguments decoded. */
struct clone_req {
	uint64_t flags;
	uint64_t sp; /* 0: the parent's */
	uint64_t tls;
	uint64_t parent_tid, child_tid;
	uint64_t pidfd; /* CLONE_PIDFD: where the parent gets the child's pidfd */
	int exit_signal;
};

/* A new thread's scheduling policy from its creator's (reset to
 * SCHED_OTHER when the creator asked for SCHED_RESET_ON_FORK). */
void sched_inherit(struct thread *child, const struct thread *parent);

/* clone without CLONE_THREAD: a new process (fork, vfork, posix_spawn's
 * CLONE_VM|CLONE_VFORK).  Returns the child's pid, or parks the caller
 * until a vfork child execs or exits. */
long proc_clone(struct thread *t, const struct clone_req *c);
/* The vfork parent's re-dispatch (t->wake != WAKE_NONE in clone). */
long proc_vfork_wait(struct thread *t);
/* End every thread of t's process but t (execve). */
void thread_kill_others(struct thread *t);

#endif
