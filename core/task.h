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

#endif
