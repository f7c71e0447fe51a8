/*
 * --trace: one strace-style line per system call, decoded with the
 * argument kinds of core/syscalls.def:
 *   [tid] openat(AT_FDCWD, "/tmp/x", O_RDWR|O_CREAT, 0644) = 3
 *   [tid] read(3, 0x7ffc..., 16) = -1 EBADF (Bad file descriptor)
 * A call that parks prints "<unfinished ...>" first, then the whole line
 * when it completes.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "trace.h"

static const char *const errno_names[] = {
    [EPERM] = "EPERM",
    [ENOENT] = "ENOENT",
    [ESRCH] = "ESRCH",
    [EINTR] = "EINTR",
    [EIO] = "EIO",
    [ENXIO] = "ENXIO",
    [E2BIG] = "E2BIG",
    [ENOEXEC] = "ENOEXEC",
    [EBADF] = "EBADF",
    [ECHILD] = "ECHILD",
    [EAGAIN] = "EAGAIN",
    [ENOMEM] = "ENOMEM",
    [EACCES] = "EACCES",
    [EFAULT] = "EFAULT",
    [EBUSY] = "EBUSY",
    [EEXIST] = "EEXIST",
    [EXDEV] = "EXDEV",
    [ENODEV] = "ENODEV",
    [ENOTDIR] = "ENOTDIR",
    [EISDIR] = "EISDIR",
    [EINVAL] = "EINVAL",
    [ENFILE] = "ENFILE",
    [EMFILE] = "EMFILE",
    [ENOTTY] = "ENOTTY",
    [EFBIG] = "EFBIG",
    [ENOSPC] = "ENOSPC",
    [ESPIPE] = "ESPIPE",
    [EROFS] = "EROFS",
    [EMLINK] = "EMLINK",
    [EPIPE] = "EPIPE",
    [EDOM] = "EDOM",
    [ERANGE] = "ERANGE",
    [EDEADLK] = "EDEADLK",
    [ENAMETOOLONG] = "ENAMETOOLONG",
    [ENOSYS] = "ENOSYS",
    [ENOTEMPTY] = "ENOTEMPTY",
    [ELOOP] = "ELOOP",
    [ENODATA] = "ENODATA",
    [EOVERFLOW] = "EOVERFLOW",
    [ENOTSOCK] = "ENOTSOCK",
    [EDESTADDRREQ] = "EDESTADDRREQ",
    [EMSGSIZE] = "EMSGSIZE",
    [EPROTOTYPE] = "EPROTOTYPE",
    [ENOPROTOOPT] = "ENOPROTOOPT",
    [EPROTONOSUPPORT] = "EPROTONOSUPPORT",
    [ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT",
    [EOPNOTSUPP] = "EOPNOTSUPP",
    [EAFNOSUPPORT] = "EAFNOSUPPORT",
    [EADDRINUSE] = "EADDRINUSE",
    [EADDRNOTAVAIL] = "EADDRNOTAVAIL",
    [ENETUNREACH] = "ENETUNREACH",
    [ECONNABORTED] = "ECONNABORTED",
    [ECONNRESET] = "ECONNRESET",
    [EISCONN] = "EISCONN",
    [ENOTCONN] = "ENOTCONN",
    [ETIMEDOUT] = "ETIMEDOUT",
    [ECONNREFUSED] = "ECONNREFUSED",
    [EALREADY] = "EALREADY",
    [EINPROGRESS] = "EINPROGRESS",
};

const char *errno_name(int e)
{
	if (e <= 0 || e >= (int)(sizeof errno_names / sizeof errno_names[0]))
		return NULL;
	return errno_names[e];
}

struct flag_name {
	uint64_t bit;
	const char *name;
};

static const struct flag_name oflag_names[] = {
    {O_WRONLY, "O_WRONLY"},
    {O_RDWR, "O_RDWR"},
    {O_CREAT, "O_CREAT"},
    {O_EXCL, "O_EXCL"},
    {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},
    {O_APPEND, "O_APPEND"},
    {O_NONBLOCK, "O_NONBLOCK"},
    {O_DSYNC, "O_DSYNC"},
    {O_DIRECTORY, "O_DIRECTORY"},
    {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_CLOEXEC, "O_CLOEXEC"},
    {O_PATH, "O_PATH"},
    {O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE"},
    {0, NULL},
};
static const struct flag_name prot_names[] = {
    {PROT_READ, "PROT_READ"},
    {PROT_WRITE, "PROT_WRITE"},
    {PROT_EXEC, "PROT_EXEC"},
    {0, NULL},
};
static const struct flag_name mflag_names[] = {
    {MAP_SHARED, "MAP_SHARED"},
    {MAP_PRIVATE, "MAP_PRIVATE"},
    {MAP_FIXED, "MAP_FIXED"},
    {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
    {MAP_GROWSDOWN, "MAP_GROWSDOWN"},
    {MAP_NORESERVE, "MAP_NORESERVE"},
    {MAP_POPULATE, "MAP_POPULATE"},
    {MAP_STACK, "MAP_STACK"},
    {MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
    {0, NULL},
};
static const char *const clock_names[] = {
    "CLOCK_REALTIME",          "CLOCK_MONOTONIC",     "CLOCK_PROCESS_CPUTIME_ID",
    "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE",
    "CLOCK_MONOTONIC_COARSE",  "CLOCK_BOOTTIME",
};
static const char *const futex_op_names[] = {
    "FUTEX_WAIT",        "FUTEX_WAKE",        "FUTEX_FD",          "FUTEX_REQUEUE",
    "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",     "FUTEX_LOCK_PI",     "FUTEX_UNLOCK_PI",
    "FUTEX_TRYLOCK_PI",  "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET",
};
static const char *const sig_names[] = {
    NULL,        "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
};

static void put(struct trace_call *tc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct trace_call *tc, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof tc->text - tc->len;
	if (room <= 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(tc->text + tc->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		tc->len += (size_t)n < room ? (size_t)n : room - 1;
}

static void put_flags(struct trace_call *tc, uint64_t v, const struct flag_name *names,
                      const char *zero)
{
	bool any = false;
	for (const struct flag_name *f = names; f->name; f++) {
		if (f->bit && (v & f->bit) == f->bit) {
			put(tc, "%s%s", any ? "|" : "", f->name);
			v &= ~f->bit;
			any = true;
		}
	}
	if (v || !any)
		put(tc, "%s%s", any ? "|" : "", !any && !v ? zero : "");
	if (v)
		put(tc, "%#llx", (unsigned long long)v);
}

/* Bytes as a C string literal, at most 32 shown. */
static void put_bytes(struct trace_call *tc, const unsigned char *b, size_t n, bool more)
{
	put(tc, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		if (c == '\n')
			put(tc, "\\n");
		else if (c == '\t')
			put(tc, "\\t");
		else if (c == '"' || c == '\\')
			put(tc, "\\%c", c);
		else if (c >= 32 && c < 127)
			put(tc, "%c", c);
		else
			put(tc, "\\%o", c);
	}
	put(tc, "\"%s", more ? "..." : "");
}

static const char *const domain_names[] = {
    [0] = "AF_UNSPEC", [1] = "AF_UNIX",     [2] = "AF_INET",
    [10] = "AF_INET6", [16] = "AF_NETLINK", [17] = "AF_PACKET",
};
static const char *const socktype_names[] = {
    NULL, "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET",
};
static const struct flag_name socktype_flags[] = {
    {04000, "SOCK_NONBLOCK"},
    {02000000, "SOCK_CLOEXEC"},
    {0, NULL},
};

/* A name from a table indexed by value, else the number. */
static void put_name(struct trace_call *tc, uint64_t v, const char *const *names, size_t n)
{
	if (v < n && names[v])
		put(tc, "%s", names[v]);
	else
		put(tc, "%lld", (long long)v);
}

/* An IPv6 address as inet_ntop writes it: the longest run of two or more
 * zero groups as "::", an IPv4-mapped one as ::ffff:a.b.c.d. */
static void put_in6(struct trace_call *tc, const unsigned char *a)
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
	int best = -1, bestlen = 1;
	if (!memcmp(a, mapped, sizeof mapped)) {
		put(tc, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	for (int i = 0; i < 8; i++) {
		int n = 0;
		while (i + n < 8 && !a[2 * (i + n)] && !a[2 * (i + n) + 1])
			n++;
		if (n > bestlen) {
			best = i;
			bestlen = n;
		}
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			put(tc, "::");
			i += bestlen - 1;
			continue;
		}
		put(tc, "%s%x", i && i != best + bestlen ? ":" : "", a[2 * i] << 8 | a[2 * i + 1]);
	}
}

/* A socket address of len bytes at addr, as strace shows it. */
static void put_sockaddr(struct thread *t, struct trace_call *tc, uint64_t addr, uint64_t len)
{
	unsigned char b[128];
	size_t n = len < sizeof b ? (size_t)len : sizeof b;
	if (n < 2 || mm_copy_from(t->proc->mm, b, addr, n) < 0) {
		put(tc, addr ? "%#llx" : "NULL", (unsigned long long)addr);
		return;
	}
	unsigned fam = b[0] | b[1] << 8, port = b[2] << 8 | b[3];
	put(tc, "{sa_family=");
	put_name(tc, fam, domain_names, sizeof domain_names / sizeof domain_names[0]);
	if (fam == 2 && n >= 16) {
		put(tc, ", sin_port=htons(%u), sin_addr=inet_addr(\"%u.%u.%u.%u\")", port, b[4],
		    b[5], b[6], b[7]);
	} else if (fam == 10 && n >= 24) {
		put(tc, ", sin6_port=htons(%u), sin6_addr=\"", port);
		put_in6(tc, b + 8);
		put(tc, "\"");
	} else if (fam == 1 && n > 2) {
		put(tc, ", sun_path=%s", b[2] ? "" : "@");
		put_bytes(tc, b + 2 + !b[2], strnlen((char *)b + 2 + !b[2], n - 2 - !b[2]), false);
	}
	put(tc, "}");
}

static void put_user_bytes(struct thread *t, struct trace_call *tc, uint64_t addr, uint64_t len)
{
	unsigned char b[32];
	size_t n = len < sizeof b ? (size_t)len : sizeof b;
	if (mm_copy_from(t->proc->mm, b, addr, n) < 0)
		put(tc, "%#llx", (unsigned long long)addr);
	else
		put_bytes(tc, b, n, len > n);
}

static void put_arg(struct thread *t, struct trace_call *tc, int kind, uint64_t v, uint64_t next)
{
	switch (kind) {
	case TK_I:
	case TK_FD:
		put(tc, "%lld", (long long)v);
		break;
	case TK_DIRFD:
		if ((int)v == -100)
			put(tc, "AT_FDCWD");
		else
			put(tc, "%d", (int)v);
		break;
	case TK_U:
	case TK_SIZE:
		put(tc, "%llu", (unsigned long long)v);
		break;
	case TK_MODE:
		put(tc, "%#llo", (unsigned long long)v);
		break;
	case TK_PATH:
	case TK_STR: {
		char s[64];
		long n = v ? mm_strncpy_from(t->proc->mm, s, v, sizeof s) : -EFAULT;
		if (n >= 0)
			put_bytes(tc, (const unsigned char *)s, (size_t)n, false);
		else if (n == -ENAMETOOLONG)
			put_bytes(tc, (const unsigned char *)s, sizeof s - 1, true);
		else
			put(tc, "%#llx", (unsigned long long)v);
		break;
	}
	case TK_OFLAGS:
		put_flags(tc, v, oflag_names, "O_RDONLY");
		break;
	case TK_PROT:
		put_flags(tc, v, prot_names, "PROT_NONE");
		break;
	case TK_MFLAGS:
		put_flags(tc, v, mflag_names, "0");
		break;
	case TK_SIG:
		if (v < sizeof sig_names / sizeof sig_names[0] && sig_names[v])
			put(tc, "%s", sig_names[v]);
		else
			put(tc, "%lld", (long long)v);
		break;
	case TK_CLOCK:
		if (v < sizeof clock_names / sizeof clock_names[0])
			put(tc, "%s", clock_names[v]);
		else
			put(tc, "%lld", (long long)v);
		break;
	case TK_FUTEXOP: {
		unsigned op = (unsigned)v & 127;
		if (op < sizeof futex_op_names / sizeof futex_op_names[0])
			put(tc, "%s", futex_op_names[op]);
		else
			put(tc, "%u", op);
		if (v & 128)
			put(tc, "_PRIVATE");
		if (v & 256)
			put(tc, "|FUTEX_CLOCK_REALTIME");
		break;
	}
	case TK_BUF:
		put_user_bytes(t, tc, v, next);
		break;
	case TK_SDOMAIN:
		put_name(tc, v, domain_names, sizeof domain_names / sizeof domain_names[0]);
		break;
	case TK_STYPE:
		put_name(tc, v & 0xf, socktype_names,
		         sizeof socktype_names / sizeof socktype_names[0]);
		if (v & ~0xfull) {
			put(tc, "|");
			put_flags(tc, v & ~0xfull, socktype_flags, "");
		}
		break;
	case TK_SADDR:
		put_sockaddr(t, tc, v, next);
		break;
	case TK_OBUF: /* shown after the call, when the result says how much */
	case TK_OSADDR:
	case TK_OSLEN:
	case TK_PTR:
		put(tc, v ? "%#llx" : "NULL", (unsigned long long)v);
		break;
	default:
		put(tc, "%#llx", (unsigned long long)v);
		break;
	}
}

static int nargs(const struct sys_entry *e)
{
	int n = 0;
	while (n < 6 && e->kind[n] != TK__)
		n++;
	return n;
}

void trace_enter(struct thread *t, const struct sys_entry *e, struct trace_call *tc)
{
	tc->len = 0;
	tc->e = e;
	tc->tid = t->tid;
	put(tc, "[%d] ", t->tid);
	if (!e) {
		put(tc, "syscall_%llu(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx",
		    (unsigned long long)t->cur.nr, (unsigned long long)t->cur.a[0],
		    (unsigned long long)t->cur.a[1], (unsigned long long)t->cur.a[2],
		    (unsigned long long)t->cur.a[3], (unsigned long long)t->cur.a[4],
		    (unsigned long long)t->cur.a[5]);
		return;
	}
	put(tc, "%s(", e->name);
	tc->nout = 0;
	int n = nargs(e);
	for (int i = 0; i < n; i++) {
		if (i)
			put(tc, ", ");
		size_t at = tc->len;
		int k = e->kind[i];
		put_arg(t, tc, k, t->cur.a[i], i < 5 ? t->cur.a[i + 1] : 0);
		if ((k == TK_OBUF || k == TK_OSADDR || k == TK_OSLEN) &&
		    tc->nout < (int)(sizeof tc->out / sizeof tc->out[0])) {
			tc->out[tc->nout].arg = i;
			tc->out[tc->nout].at = at;
			tc->out[tc->nout++].end = tc->len;
		}
	}
}

/* What the call wrote to output argument i (kind k): a buffer of r
 * bytes, a socket address of the length the next argument points at,
 * that length. */
static void put_output(struct thread *t, struct trace_call *tc, int i, long r)
{
	uint64_t v = t->cur.a[i];
	uint32_t len = 0;
	if (tc->e->kind[i] == TK_OBUF) {
		put_user_bytes(t, tc, v, (uint64_t)r);
		return;
	}
	uint64_t ulen = tc->e->kind[i] == TK_OSLEN ? v : i < 5 ? t->cur.a[i + 1] : 0;
	if (mm_copy_from(t->proc->mm, &len, ulen, sizeof len) < 0)
		put(tc, "%#llx", (unsigned long long)v);
	else if (tc->e->kind[i] == TK_OSLEN)
		put(tc, "[%u]", len);
	else
		put_sockaddr(t, tc, v, len);
}

void trace_parked(struct trace_call *tc)
{
	char line[600];
	int n = snprintf(line, sizeof line, "%.*s <unfinished ...>", (int)tc->len, tc->text);
	plat_log(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

void trace_exit(struct thread *t, struct trace_call *tc, long r)
{
	/* Output arguments: show what the call wrote in place of their
	 * addresses (strace's read(3, "data", 4096) = 4), the last first so
	 * that the earlier ones' places stay where they were. */
	for (int j = tc->e && r >= 0 && r != SYS_GONE && r != SYS_NORETURN ? tc->nout - 1 : -1;
	     j >= 0; j--) {
		int i = tc->out[j].arg;
		if (!t->cur.a[i] || tc->out[j].end > tc->len ||
		    (tc->e->kind[i] == TK_OBUF && r == 0))
			continue;
		char rest[sizeof tc->text];
		size_t restlen = tc->len - tc->out[j].end;
		memcpy(rest, tc->text + tc->out[j].end, restlen);
		tc->len = tc->out[j].at;
		put_output(t, tc, i, r);
		put(tc, "%.*s", (int)restlen, rest);
	}
	put(tc, ")");
	if (r == SYS_GONE)
		put(tc, " = ?");
	else if (r == SYS_NORETURN && tc->e && !strncmp(tc->e->name, "execve", 6))
		put(tc, " = 0"); /* the new program starts */
	else if (r == SYS_NORETURN)
		put(tc, " = (registers restored)");
	else if (r == -ERESTARTSYS)
		put(tc, " = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
	else if (r < 0 && r >= -4095) {
		const char *name = errno_name((int)-r);
		put(tc, " = -1 %s (%s)", name ? name : "E?", strerror((int)-r));
	} else if (tc->e && (!strcmp(tc->e->name, "brk") || !strcmp(tc->e->name, "mmap") ||
	                     !strcmp(tc->e->name, "mremap")))
		put(tc, " = %#lx", (unsigned long)r);
	else
		put(tc, " = %ld", r);
	plat_log(tc->text, tc->len);
}
