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
/* A synchronous fault signal for t (SIGSEGV, SIGILL, ...): delivered even
 * if blocked or ignored, as Linux's force_sig_fault does. */
void sig_force_fault(struct thread *t, int signo, int code, uint64_t addr);
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

/* ---- Futexes (futex.c) ---------------------------------------------------- */
/* Wake up to n waiters of the futex at uaddr in mm whose bitset matches
 * (thread exit: clear_child_tid and robust lists).  Returns how many. */
int futex_wake(struct mm *mm, uint64_t uaddr, int n, uint32_t bitset);
/* Forget the (empty) futex queues of an mm that is going away. */
void futex_forget_mm(struct mm *mm);

#endif
