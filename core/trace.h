/* --trace: strace-style lines generated from the syscall table (trace.c). */
#ifndef PERSONA_TRACE_H
#define PERSONA_TRACE_H

#include "kernel.h"
#include "syscall.h"

/* Argument kinds named in core/syscalls.def. */
enum trace_kind {
	TK__,
	TK_I,
	TK_U,
	TK_X,
	TK_FD,
	TK_DIRFD,
	TK_PATH,
	TK_STR,
	TK_PTR,
	TK_SIZE,
	TK_MODE,
	TK_OFLAGS,
	TK_PROT,
	TK_MFLAGS,
	TK_SIG,
	TK_CLOCK,
	TK_FUTEXOP,
	TK_BUF,
	TK_OBUF,
	TK_SDOMAIN, /* socket's domain (AF_INET...) */
	TK_STYPE,   /* socket's type and its SOCK_NONBLOCK, SOCK_CLOEXEC */
	TK_SADDR,   /* a sockaddr the call reads, its length the next argument */
	TK_OSADDR,  /* a sockaddr the call writes, its length's address next */
	TK_OSLEN,   /* that length (a socklen_t the call reads and writes) */
};

/* What trace_enter saw, so that the line can be finished after the call
 * (input strings are read before the handler runs; the thread may be
 * gone afterwards). */
struct trace_call {
	char text[512];
	size_t len;
	const struct sys_entry *e;
	int tid;
	/* The arguments rendered as addresses that are replaced by what
	 * the call wrote (an output buffer, a socket address and its
	 * length), in argument order. */
	struct {
		int arg;
		size_t at, end;
	} out[3];
	int nout;
};

void trace_enter(struct thread *t, const struct sys_entry *e, struct trace_call *tc);
void trace_parked(struct trace_call *tc);
void trace_exit(struct thread *t, struct trace_call *tc, long result);

/* Handler for numbers outside the table: -ENOSYS, warned about once. */
long sys_unknown(struct thread *t, const struct sysargs *a);
/* The name of a Linux errno value ("ENOENT"), or NULL. */
const char *errno_name(int e);

#endif
