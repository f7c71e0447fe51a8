/*
 * The platform interface: everything the personality core asks of the
 * machine underneath it.  The core decides (which frame backs which page,
 * with which rights, which thread runs next); a backend only carries those
 * decisions out.  Backends: platform/linux (each client is a ptrace'd host
 * process), platform/fake (in-process, for unit tests), platform/sel4.
 *
 * Conventions: functions returning int/long give 0 (or a count) on success
 * and a negative Linux errno on failure.  Nothing here ever aborts because
 * of something a client did.
 */
#ifndef PERSONA_PLAT_H
#define PERSONA_PLAT_H

#include <stddef.h>
#include <stdint.h>

#include "arch_regs.h"

#define PLAT_PAGE_SIZE 4096UL

/* ---- Frames -------------------------------------------------------------
 * A frame is one 4 KiB page of memory that the server can read and write
 * directly and that can be mapped into client address spaces.  Frames are
 * numbered 0 .. plat_frame_limit()-1.  The core keeps reference counts; the
 * backend only hands frames out and takes them back.
 */
typedef uint32_t frame_t;
#define FRAME_NONE ((frame_t)UINT32_MAX)

/* Upper bound (exclusive) on frame numbers this backend can hand out. */
uint32_t plat_frame_limit(void);
/* Allocate a frame; its contents are unspecified (the core zeroes it if it
 * needs to).  -ENOMEM when the memory limit is reached or an injected
 * failure is armed. */
int plat_frame_alloc(frame_t *out);
/* Give a frame back.  It must no longer be mapped in any client. */
void plat_frame_free(frame_t f);
/* The server's view of a frame: PLAT_PAGE_SIZE bytes, valid until freed. */
void *plat_frame_ptr(frame_t f);
/* Frames currently handed out (for leak checks and /proc/meminfo). */
uint32_t plat_frames_in_use(void);
/* Bytes of the server's own heap now allocated (leak checks, /proc/persona),
 * or 0 if the backend cannot tell. */
size_t plat_heap_in_use(void);

/* ---- Address spaces ----------------------------------------------------- */
struct plat_as;

/* Protection bits, same values as Linux's PROT_*. */
#define PLAT_PROT_READ 1
#define PLAT_PROT_WRITE 2
#define PLAT_PROT_EXEC 4

/* Lowest and highest (exclusive) client virtual address the core may use. */
uintptr_t plat_user_base(void);
uintptr_t plat_user_top(void);

int plat_as_create(struct plat_as **out);
/* Destroys the address space and every thread still in it. */
void plat_as_destroy(struct plat_as *as);
/* Map npages frames at va (page aligned), frames[i] at va + i*4096, with
 * prot.  Replaces whatever was mapped there.  -ENOMEM on failure, in which
 * case none, some or all pages may be mapped: the core unmaps the range. */
int plat_map(struct plat_as *as, uintptr_t va, const frame_t *frames, size_t npages, int prot);
/* Remove any mapping in [va, va+len).  Never fails. */
void plat_unmap(struct plat_as *as, uintptr_t va, size_t len);
/* Change the rights of pages already mapped in [va, va+len). */
int plat_protect(struct plat_as *as, uintptr_t va, size_t len, int prot);

/* ---- Threads ------------------------------------------------------------ */
struct plat_thread;

/* Create a thread in as, stopped.  It runs only after plat_thread_resume.
 * owner is the core's cookie, handed back in every event of this thread.
 * -EAGAIN / -ENOMEM on failure. */
int plat_thread_create(struct plat_as *as, void *owner, struct plat_thread **out);
/* Destroy a thread (running, stopped or parked).  Never fails. */
void plat_thread_destroy(struct plat_thread *th);
/* Registers as of the thread's last stop.  Valid only while it is stopped
 * (between an event for it and plat_thread_resume). */
int plat_thread_get_regs(struct plat_thread *th, struct arch_regs *r);
/* Floating point / vector state in the FXSAVE layout (512 bytes on x86_64). */
int plat_thread_get_fpu(struct plat_thread *th, void *buf);
int plat_thread_set_fpu(struct plat_thread *th, const void *buf);
/* Set all registers and let the thread run. */
int plat_thread_resume(struct plat_thread *th, const struct arch_regs *r);
/* Ask a running thread to stop soon: it produces an EV_KICKED event
 * (unless it produces another event first).  No effect on a stopped one. */
void plat_thread_kick(struct plat_thread *th);

/* ---- Events ------------------------------------------------------------- */
enum plat_event_kind {
	EV_SYSCALL,     /* th stopped at a system call; regs: IP after the insn */
	EV_PAGEFAULT,   /* th touched addr; access: PLAT_PROT_* wanted if known */
	EV_EXCEPTION,   /* th raised an exception: signo/code say what (SIGILL..) */
	EV_KICKED,      /* th stopped because of plat_thread_kick */
	EV_THREAD_LOST, /* th vanished underneath us (host killed it) */
	EV_TIMER,       /* the deadline given to plat_timer_set passed */
	EV_CONSOLE,     /* console input may be readable */
	EV_HOST_SIGNAL, /* the server itself got SIGINT/SIGTERM/SIGHUP: signo */
};

struct plat_event {
	enum plat_event_kind kind;
	struct plat_thread *th; /* the thread, for thread events */
	void *owner;            /* its owner cookie */
	uintptr_t addr;         /* fault address (EV_PAGEFAULT, EV_EXCEPTION) */
	int access;             /* EV_PAGEFAULT: PLAT_PROT_* or 0 if unknown */
	int present;            /* EV_PAGEFAULT: 1 if a mapping existed */
	int signo;              /* EV_EXCEPTION, EV_HOST_SIGNAL */
	int code;               /* EV_EXCEPTION: si_code */
};

/* Block until the next event.  Returns 0, or a negative errno when the
 * backend itself failed (the core then shuts down). */
int plat_wait_event(struct plat_event *ev);

/* ---- Time ----------------------------------------------------------------
 * clock: 0 = CLOCK_REALTIME, 1 = CLOCK_MONOTONIC (Linux numbering). */
uint64_t plat_clock_ns(int clock);
/* One-shot timer on the monotonic clock: an EV_TIMER event once
 * plat_clock_ns(1) >= deadline.  0 cancels.  A new call replaces the old. */
void plat_timer_set(uint64_t deadline_ns);

/* ---- Console ---------------------------------------------------------------
 * stream: 0 stdin, 1 stdout, 2 stderr of the caller of persona. */
long plat_console_write(int stream, const void *buf, size_t len);
/* Non-blocking: bytes read, 0 at end of input, -EAGAIN if none now. */
long plat_console_read(void *buf, size_t len);
/* Ask for (on != 0) or stop asking for EV_CONSOLE events. */
void plat_console_watch(int on);
/* Terminal ioctls on a stream (TCGETS, TCSETS*, TIOCGWINSZ, TIOCGPGRP...):
 * arg points to server memory of the ioctl's size.  -ENOTTY if not a tty. */
long plat_console_ioctl(int stream, unsigned long cmd, void *arg);
/* Whether a stream is a terminal (1), a pipe (2), a regular file (3) or
 * something else (0): used to answer fstat on it like Linux would. */
int plat_console_kind(int stream);

/* ---- Miscellaneous -------------------------------------------------------- */
void plat_random(void *buf, size_t len);
unsigned plat_ncpus(void);
/* Write one line of diagnostics (trace, warnings) to the server's log. */
void plat_log(const char *msg, size_t len);

#endif
