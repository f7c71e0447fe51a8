/*
 * Internals shared by the files of the Linux backend: the memory pool,
 * the traced host processes and threads that stand for the core's address
 * spaces and threads, and the queue of events found while the server was
 * busy with something else.
 */
#ifndef PERSONA_LX_H
#define PERSONA_LX_H

#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <sys/user.h>

#include "linux.h"
#include "plat.h"

/* Where every client process finds the memory memfd. */
#define LX_MEMFD_FD 3

/* The stub is linked at this address; the core gets everything below. */
#define LX_USER_BASE 0x10000UL
#define LX_USER_TOP 0x7ff000000000UL

/* ---- memory.c ------------------------------------------------------------ */
extern int lx_memfd;          /* -1 until linux_plat_init */
extern unsigned lx_host_cpus; /* CPUs we were given at start */
int lx_memory_init(uint64_t limit);
void lx_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define lx_log(s) plat_log(s, strlen(s))

/* ---- process.c ----------------------------------------------------------- */
enum lx_state {
	LX_STOPPED, /* in a ptrace stop: the core (or the backend) may use it */
	LX_RUNNING, /* resumed; its next stop is an event */
	LX_DEAD,    /* reaped */
};

struct plat_thread {
	pid_t tid;
	struct plat_as *as;
	void *owner; /* NULL while no core thread stands for it */
	enum lx_state state;
	bool destroyed;      /* the core let go of it (a kept leader) */
	bool at_syscall;     /* stopped at a SYSEMU syscall stop */
	bool regs_valid;     /* uregs holds its registers of this stop */
	bool kick_wanted;    /* plat_thread_kick sent PTRACE_INTERRUPT */
	unsigned resume_seq; /* as->map_seq when it was last let run */
	struct user_regs_struct uregs;
	struct plat_thread *hash_next; /* by tid */
	struct plat_thread *as_next;   /* in as->threads */
};

struct plat_as {
	pid_t pid;           /* the host process (its leader's tid) */
	bool leader_claimed; /* the stub's first thread went to the core */
	unsigned map_seq;    /* counts plat_map and plat_protect calls */
	struct plat_thread *threads;
};

struct plat_thread *lx_thread_by_tid(pid_t tid);
extern unsigned lx_live_threads; /* host threads not yet reaped */
/* Turn one waitpid status of th into an event.  Returns 1 if ev was filled
 * (th is now stopped and the core's), 0 if nothing to report (th was
 * resumed, or was not ours to report). */
int lx_handle_status(struct plat_thread *th, int status, struct plat_event *ev);

/* ---- events.c -------------------------------------------------------------- */
int lx_events_init(void);
/* The next waitpid status of host thread tid (blocking).  Statuses of
 * other threads seen meanwhile are kept for plat_wait_event.  -ECHILD if
 * tid is no child of ours. */
int lx_wait_tid(pid_t tid, int *status);
/* Events found while waiting for something else, handed out first. */
void lx_queue_event(const struct plat_event *ev);
/* Forget queued events of a thread that goes away. */
void lx_unqueue_thread(struct plat_thread *th);

#endif
