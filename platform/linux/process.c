/*
 * Address spaces and threads of the Linux backend.  An address space is a
 * host process running the stub (stub/stub.S) under ptrace; a thread is one
 * of its host threads, stopped with PTRACE_SYSEMU at every system call so
 * that the host kernel never runs one of the client's calls.
 *
 * The server changes a client's memory map by making one of its stopped
 * threads execute a system call (mmap of the memory memfd, munmap,
 * mprotect, clone, exit): registers set, RIP at the stub's `syscall`,
 * PTRACE_CONT, and the `int3` after it brings the thread back.  The core's
 * view of the thread's registers stays in th->uregs meanwhile and is
 * written back when the core resumes it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx.h"

extern const char linux_stub_image[], linux_stub_image_end[];

#define PTRACE_OPTIONS                                                                             \
	(PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC)

/* Threads of a new process share everything but the stack (which the
 * core's registers give it before it runs). */
#define THREAD_CLONE_FLAGS                                                                         \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

static int stub_fd = -1;
static uintptr_t stub_ip; /* the stub's `syscall`; `int3` follows */

uintptr_t plat_user_base(void)
{
	return LX_USER_BASE;
}
uintptr_t plat_user_top(void)
{
	return LX_USER_TOP;
}

/* ---- Threads by host tid ------------------------------------------------------ */
#define TID_HASH 1024
static struct plat_thread *tid_hash[TID_HASH];
unsigned lx_live_threads;

static struct plat_thread **tid_slot(pid_t tid)
{
	return &tid_hash[(unsigned)tid % TID_HASH];
}

struct plat_thread *lx_thread_by_tid(pid_t tid)
{
	for (struct plat_thread *th = *tid_slot(tid); th; th = th->hash_next)
		if (th->tid == tid)
			return th;
	return NULL;
}

static void tid_unhash(struct plat_thread *th)
{
	for (struct plat_thread **pp = tid_slot(th->tid); *pp; pp = &(*pp)->hash_next) {
		if (*pp == th) {
			*pp = th->hash_next;
			lx_live_threads--;
			return;
		}
	}
}

static struct plat_thread *thread_new(struct plat_as *as, pid_t tid)
{
	struct plat_thread *th = calloc(1, sizeof *th);
	if (!th)
		return NULL;
	th->tid = tid;
	th->as = as;
	th->state = LX_STOPPED;
	th->hash_next = *tid_slot(tid);
	*tid_slot(tid) = th;
	lx_live_threads++;
	th->as_next = as->threads;
	as->threads = th;
	return th;
}

static void thread_free(struct plat_thread *th)
{
	lx_unqueue_thread(th);
	if (th->state != LX_DEAD)
		tid_unhash(th);
	for (struct plat_thread **pp = &th->as->threads; *pp; pp = &(*pp)->as_next) {
		if (*pp == th) {
			*pp = th->as_next;
			break;
		}
	}
	free(th);
}

/* The host thread is gone (its exit status was reaped).  An event if the
 * core still counts on it. */
static int thread_gone(struct plat_thread *th, struct plat_event *ev)
{
	if (th->state == LX_DEAD)
		return 0;
	tid_unhash(th);
	th->state = LX_DEAD;
	if (!th->owner || th->destroyed)
		return 0;
	memset(ev, 0, sizeof *ev);
	ev->kind = EV_THREAD_LOST;
	ev->th = th;
	ev->owner = th->owner;
	return 1;
}

static void thread_died(struct plat_thread *th)
{
	struct plat_event ev;
	if (thread_gone(th, &ev))
		lx_queue_event(&ev);
}

/* A ptrace request on a thread we believed stopped failed: it was killed
 * and is on its way out.  Its exit status, seen later, finishes it. */
static int thread_dying(struct plat_thread *th)
{
	if (th->state == LX_STOPPED)
		th->state = LX_RUNNING;
	return -ESRCH;
}

static int fetch_regs(struct plat_thread *th)
{
	if (th->regs_valid)
		return 0;
	if (ptrace(PTRACE_GETREGS, th->tid, 0, &th->uregs) < 0)
		return thread_dying(th);
	th->regs_valid = true;
	return 0;
}

/* Let a thread that stopped for nothing the core needs to see go on. */
static int resume_quiet(struct plat_thread *th)
{
	th->resume_seq = th->as->map_seq;
	ptrace(PTRACE_SYSEMU, th->tid, 0, 0);
	return 0;
}

/* ---- Turning host stops into events --------------------------------------- */
static void stopped_for_core(struct plat_thread *th, struct plat_event *ev,
                             enum plat_event_kind kind)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->th = th;
	ev->owner = th->owner;
	th->state = LX_STOPPED;
	th->kick_wanted = false; /* any event answers a kick */
}

int lx_handle_status(struct plat_thread *th, int status, struct plat_event *ev)
{
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return thread_gone(th, ev);
	if (!WIFSTOPPED(status) || th->state != LX_RUNNING)
		return 0;

	int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
	th->regs_valid = false;
	th->at_syscall = false;
	if (sig == (SIGTRAP | 0x80)) {
		th->at_syscall = true;
		stopped_for_core(th, ev, EV_SYSCALL);
		return 1;
	}
	if (event == PTRACE_EVENT_STOP) {
		/* PTRACE_INTERRUPT: a kick, or a stale one whose thread has
		 * been through an event since (then nothing to say). */
		if (!th->kick_wanted)
			return resume_quiet(th);
		stopped_for_core(th, ev, EV_KICKED);
		return 1;
	}
	if (event)
		return resume_quiet(th);

	siginfo_t si;
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		if (ptrace(PTRACE_GETSIGINFO, th->tid, 0, &si) < 0)
			return 0; /* killed meanwhile: its exit status follows */
		if (si.si_code <= 0)
			return resume_quiet(th); /* sent by a host process */
		/* Threads run while the core maps pages: a fault taken before
		 * a map that came since the thread last ran may be stale (two
		 * threads touching a new page at once).  Let it retry: a real
		 * fault comes back at once. */
		if ((sig == SIGSEGV || sig == SIGBUS) && th->resume_seq != th->as->map_seq)
			return resume_quiet(th);
		break;
	default:
		/* A host signal (kill from outside, SIGSTOP...): never
		 * delivered to a client; the core decides about signals. */
		return resume_quiet(th);
	}
	if ((sig == SIGSEGV && si.si_code != SI_KERNEL) ||
	    (sig == SIGBUS && si.si_code == BUS_ADRERR)) {
		stopped_for_core(th, ev, EV_PAGEFAULT);
		ev->addr = (uintptr_t)si.si_addr;
		ev->present = sig == SIGBUS || si.si_code == SEGV_ACCERR;
		ev->access = 0; /* the host does not tell */
		return 1;
	}
	/* SIGSEGV with SI_KERNEL is a general protection fault (privileged
	 * or non-canonical access), not a page fault: Linux reports it with
	 * address 0, and so does the core. */
	stopped_for_core(th, ev, EV_EXCEPTION);
	ev->signo = sig;
	ev->code = si.si_code;
	ev->addr = sig == SIGSEGV ? 0 : (uintptr_t)si.si_addr;
	return 1;
}

/* ---- Injected system calls ----------------------------------------------------- */
struct inject {
	long nr;
	uint64_t a[6];
	long ret;
	pid_t clone_tid; /* PTRACE_EVENT_CLONE's new thread */
};

/* Make the stopped thread th execute one system call.  0 with the result
 * in in->ret, or -ESRCH if the thread died (then it is marked dead, or
 * dying). */
static int inject_on(struct plat_thread *th, struct inject *in)
{
	struct user_regs_struct r;
	int st;

	if (fetch_regs(th) < 0)
		return -ESRCH;
	r = th->uregs;
	r.rax = (uint64_t)in->nr;
	r.orig_rax = (uint64_t)-1;
	r.rdi = in->a[0];
	r.rsi = in->a[1];
	r.rdx = in->a[2];
	r.r10 = in->a[3];
	r.r8 = in->a[4];
	r.r9 = in->a[5];
	r.rip = stub_ip;
	if (ptrace(PTRACE_SETREGS, th->tid, 0, &r) < 0 || ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
		return thread_dying(th);
	for (;;) {
		if (lx_wait_tid(th->tid, &st) < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
			thread_died(th);
			return -ESRCH;
		}
		if (!WIFSTOPPED(st))
			continue;
		int event = (unsigned)st >> 16;
		if (event == PTRACE_EVENT_CLONE) {
			unsigned long msg = 0;
			if (ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &msg) == 0)
				in->clone_tid = (pid_t)msg;
		} else if (event == 0 && WSTOPSIG(st) == SIGTRAP) {
			if (ptrace(PTRACE_GETREGS, th->tid, 0, &r) < 0)
				return thread_dying(th);
			if (r.rip == stub_ip + 3) {
				in->ret = (long)r.rax;
				return 0;
			}
		}
		/* A pending interrupt, a host signal: not ours, go on. */
		if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
			return thread_dying(th);
	}
}

/* Stop a running thread of the address space to inject through it.  The
 * stop may turn out to be an event of its own: it is queued for the core
 * and the thread stays stopped; *borrowed says whether it must be resumed
 * after the injection. */
static struct plat_thread *borrow(struct plat_as *as, bool *borrowed)
{
	struct plat_event ev;
	int st;

	for (struct plat_thread *th = as->threads; th; th = th->as_next) {
		if (th->state != LX_RUNNING)
			continue;
		ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
		while (th->state == LX_RUNNING) {
			if (lx_wait_tid(th->tid, &st) < 0) {
				thread_died(th);
				break;
			}
			if (WIFSTOPPED(st) && ((unsigned)st >> 16) == PTRACE_EVENT_STOP) {
				th->state = LX_STOPPED;
				th->regs_valid = false;
				th->at_syscall = false;
				if (th->kick_wanted) {
					/* The core asked for this stop anyway. */
					stopped_for_core(th, &ev, EV_KICKED);
					lx_queue_event(&ev);
					*borrowed = false;
				} else {
					*borrowed = true;
				}
				return th;
			}
			if (lx_handle_status(th, st, &ev)) {
				lx_queue_event(&ev);
				if (th->state == LX_STOPPED) {
					*borrowed = false;
					return th;
				}
			}
		}
	}
	return NULL;
}

/* Run one system call in the host process of as, through whichever of its
 * threads is stopped (or can be stopped). */
static int as_syscall(struct plat_as *as, struct inject *in)
{
	for (int tries = 0; tries < 64; tries++) {
		struct plat_thread *th;
		bool borrowed = false;
		for (th = as->threads; th; th = th->as_next)
			if (th->state == LX_STOPPED)
				break;
		if (!th)
			th = borrow(as, &borrowed);
		if (!th)
			return -ESRCH; /* nothing left alive in it */
		int r = inject_on(th, in);
		if (borrowed && th->state == LX_STOPPED) {
			th->resume_seq = as->map_seq;
			if (ptrace(PTRACE_SETREGS, th->tid, 0, &th->uregs) < 0 ||
			    ptrace(PTRACE_SYSEMU, th->tid, 0, 0) < 0)
				thread_dying(th);
			th->state = LX_RUNNING;
			th->regs_valid = false;
		}
		if (r == 0)
			return 0;
	}
	return -ESRCH;
}

static long as_call(struct plat_as *as, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                    uint64_t a4, uint64_t a5)
{
	struct inject in = {.nr = nr, .a = {a0, a1, a2, a3, a4, a5}};
	int r = as_syscall(as, &in);
	return r < 0 ? r : in.ret;
}

/* ---- Memory maps ------------------------------------------------------------------ */
static bool range_ok(uintptr_t va, size_t len)
{
	return !(va & (PLAT_PAGE_SIZE - 1)) && va >= LX_USER_BASE && len <= LX_USER_TOP &&
	       va <= LX_USER_TOP - len;
}

int plat_map(struct plat_as *as, uintptr_t va, const frame_t *frames, size_t npages, int prot)
{
	if (!range_ok(va, npages * PLAT_PAGE_SIZE))
		return -ENOMEM;
	as->map_seq++;
	/* One mmap per run of consecutive frames. */
	for (size_t i = 0, j; i < npages; i = j) {
		if (frames[i] >= plat_frame_limit())
			return -ENOMEM;
		for (j = i + 1; j < npages && frames[j] == frames[j - 1] + 1; j++)
			;
		long r = as_call(as, SYS_mmap, va + i * PLAT_PAGE_SIZE, (j - i) * PLAT_PAGE_SIZE,
		                 (uint64_t)(prot & 7), MAP_SHARED | MAP_FIXED, LX_MEMFD_FD,
		                 (uint64_t)frames[i] * PLAT_PAGE_SIZE);
		if (r < 0 && r > -4096)
			return -ENOMEM;
	}
	return 0;
}

void plat_unmap(struct plat_as *as, uintptr_t va, size_t len)
{
	if (len == 0 || va >= LX_USER_TOP)
		return;
	if (len > LX_USER_TOP - va)
		len = LX_USER_TOP - va; /* never the stub */
	as_call(as, SYS_munmap, va, len, 0, 0, 0, 0);
}

int plat_protect(struct plat_as *as, uintptr_t va, size_t len, int prot)
{
	if (!range_ok(va, len))
		return -ENOMEM;
	as->map_seq++;
	long r = as_call(as, SYS_mprotect, va, len, (uint64_t)(prot & 7), 0, 0, 0);
	return r < 0 ? (r < -4095 ? -ENOMEM : (int)r) : 0;
}

/* ---- Address spaces ------------------------------------------------------------------ */
static int stub_prepare(void)
{
	const Elf64_Ehdr *eh = (const void *)linux_stub_image;
	size_t len = (size_t)(linux_stub_image_end - linux_stub_image);

	if (stub_fd >= 0)
		return 0;
	if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_entry < LX_USER_TOP) {
		lx_set_error(
		    "internal error: the embedded client stub is not what the build should make");
		return -ENOEXEC;
	}
	/* MFD_EXEC: newer kernels may make memfds non-executable by default. */
	int fd = memfd_create("persona-stub", MFD_CLOEXEC | 0x10U /* MFD_EXEC */);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("persona-stub", MFD_CLOEXEC);
	if (fd < 0) {
		lx_set_error("cannot create the client stub (memfd_create: %s)", strerror(errno));
		return -errno;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, linux_stub_image + off, len - off);
		if (n <= 0) {
			close(fd);
			lx_set_error("cannot write the client stub");
			return -EIO;
		}
		off += (size_t)n;
	}
	stub_fd = fd;
	stub_ip = eh->e_entry;
	return 0;
}

/* In the forked child: become the bare stub process, once traced. */
static void __attribute__((noreturn)) child_exec(pid_t server, int sync_fd)
{
	char *argv[] = {"persona-client", NULL}, *envp[] = {NULL};
	sigset_t none;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != server)
		_exit(1);
	/* Out of the terminal's foreground group: a Ctrl-C reaches the
	 * server only, which tells the core. */
	setpgid(0, 0);
	personality(ADDR_NO_RANDOMIZE);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int m = fcntl(lx_memfd, F_DUPFD, 100);
	int s = fcntl(stub_fd, F_DUPFD_CLOEXEC, 100);
	int p = fcntl(sync_fd, F_DUPFD_CLOEXEC, 100);
	if (m < 0 || s < 0 || p < 0 || dup2(m, LX_MEMFD_FD) < 0 || dup3(s, 4, O_CLOEXEC) < 0 ||
	    dup3(p, 5, O_CLOEXEC) < 0)
		_exit(1);
	/* The client holds the memory memfd and nothing else. */
	syscall(SYS_close_range, 6U, ~0U, 0U);
	close(0);
	close(1);
	close(2);
	if (read(5, &c, 1) != 1)
		_exit(1); /* the server gave up on us */
	syscall(SYS_execveat, 4, "", argv, envp, AT_EMPTY_PATH);
	_exit(127);
}

static void reap(pid_t pid)
{
	int st;
	kill(pid, SIGKILL);
	while (lx_wait_tid(pid, &st) == 0 && !WIFEXITED(st) && !WIFSIGNALED(st))
		;
}

int plat_as_create(struct plat_as **out)
{
	int sync[2], st, r;
	pid_t pid, server = getpid();

	if (lx_memfd < 0)
		return -ENOMEM; /* linux_plat_init was not called */
	r = stub_prepare();
	if (r < 0)
		return r;
	struct plat_as *as = calloc(1, sizeof *as);
	if (!as)
		return -ENOMEM;
	if (pipe2(sync, O_CLOEXEC) < 0) {
		free(as);
		return -errno;
	}
	pid = fork();
	if (pid == 0)
		child_exec(server, sync[0]);
	close(sync[0]);
	if (pid < 0) {
		r = -errno;
		close(sync[1]);
		free(as);
		lx_set_error("cannot create a client process (fork: %s)", strerror(-r));
		return r;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_OPTIONS) < 0) {
		r = -errno;
		close(sync[1]);
		reap(pid);
		free(as);
		if (r == -EPERM)
			lx_set_error("this host does not allow ptrace (in a container, run it with "
			             "--cap-add=SYS_PTRACE or --security-opt seccomp=unconfined; "
			             "check /proc/sys/kernel/yama/ptrace_scope)");
		else
			lx_set_error("cannot trace a client process (ptrace: %s)", strerror(-r));
		return r;
	}
	if (write(sync[1], "go", 1) != 1) {
		close(sync[1]);
		reap(pid);
		free(as);
		return -EIO;
	}
	close(sync[1]);
	r = lx_wait_tid(pid, &st);
	if (r < 0 || !WIFSTOPPED(st) || st >> 8 != (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
		if (r == 0 && !WIFEXITED(st) && !WIFSIGNALED(st))
			reap(pid);
		free(as);
		lx_set_error("cannot start a client process (the stub did not execute: is "
		             "executing from a memfd forbidden here?)");
		return -ENOEXEC;
	}
	/* Stopped inside execve, whose return value would overwrite rax:
	 * let the stub run its own `syscall; int3` once (a harmless read of
	 * the closed fd 0) to have it stopped at a clean place. */
	if (ptrace(PTRACE_CONT, pid, 0, 0) < 0 || lx_wait_tid(pid, &st) < 0 || !WIFSTOPPED(st) ||
	    WSTOPSIG(st) != SIGTRAP) {
		reap(pid);
		free(as);
		lx_set_error("cannot start a client process (the stub misbehaved)");
		return -ENOEXEC;
	}
	as->pid = pid;
	struct plat_thread *leader = thread_new(as, pid);
	if (!leader) {
		reap(pid);
		free(as);
		return -ENOMEM;
	}
	/* With ASLR off the host put nothing below the stub; whatever it
	 * did put there (stack, vdso) must go all the same: the range is
	 * the core's. */
	long m = as_call(as, SYS_munmap, LX_USER_BASE, LX_USER_TOP - LX_USER_BASE, 0, 0, 0, 0);
	if (m < 0) {
		plat_as_destroy(as);
		lx_set_error("cannot prepare a client process's address space");
		return -ENOMEM;
	}
	*out = as;
	return 0;
}

void plat_as_destroy(struct plat_as *as)
{
	int st;

	if (!as)
		return;
	kill(as->pid, SIGKILL);
	/* Reap every thread before the frames it maps can be reused: the
	 * leader last, Linux reports it only once the others are gone. */
	for (int leader = 0; leader < 2; leader++) {
		for (struct plat_thread *th = as->threads; th; th = th->as_next) {
			if ((th->tid == as->pid) != leader || th->state == LX_DEAD)
				continue;
			while (lx_wait_tid(th->tid, &st) == 0 && !WIFEXITED(st) && !WIFSIGNALED(st))
				;
			tid_unhash(th);
			th->state = LX_DEAD;
		}
	}
	while (as->threads)
		thread_free(as->threads);
	free(as);
}

/* ---- Threads ----------------------------------------------------------------------- */
int plat_thread_create(struct plat_as *as, void *owner, struct plat_thread **out)
{
	struct plat_thread *th;
	int st;

	if (!as->leader_claimed) {
		/* The stub's own first thread is the process's first. */
		th = lx_thread_by_tid(as->pid);
		if (th && th->state == LX_STOPPED) {
			as->leader_claimed = true;
			th->owner = owner;
			*out = th;
			return 0;
		}
		as->leader_claimed = true;
	}
	struct inject in = {.nr = SYS_clone, .a = {THREAD_CLONE_FLAGS, 0, 0, 0, 0, 0}};
	int r = as_syscall(as, &in);
	if (r < 0)
		return -EAGAIN;
	if (in.ret < 0 || in.clone_tid <= 0)
		return in.ret == -ENOMEM ? -ENOMEM : -EAGAIN;
	/* The new thread starts in a ptrace stop (PTRACE_EVENT_STOP) and
	 * stays there until the core gives it registers. */
	if (lx_wait_tid(in.clone_tid, &st) < 0 || !WIFSTOPPED(st))
		return -EAGAIN;
	th = thread_new(as, in.clone_tid);
	if (!th) {
		struct inject ex = {.nr = SYS_exit};
		struct plat_thread tmp = {
		    .tid = in.clone_tid, .as = as, .state = LX_STOPPED, .destroyed = true};
		inject_on(&tmp, &ex);
		return -ENOMEM;
	}
	th->owner = owner;
	*out = th;
	return 0;
}

/* Bring a running thread to a stop, whatever stop it is (for destroy). */
static void stop_thread(struct plat_thread *th)
{
	int st;
	ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
	while (th->state == LX_RUNNING) {
		if (lx_wait_tid(th->tid, &st) < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
			thread_died(th);
			return;
		}
		if (WIFSTOPPED(st)) {
			th->state = LX_STOPPED;
			th->regs_valid = false;
			th->at_syscall = false;
		}
	}
}

void plat_thread_destroy(struct plat_thread *th)
{
	if (!th)
		return;
	lx_unqueue_thread(th);
	th->owner = NULL;
	th->destroyed = true;
	th->kick_wanted = false;
	if (th->state == LX_RUNNING)
		stop_thread(th);
	if (th->state == LX_DEAD) {
		thread_free(th);
		return;
	}
	/* The leader cannot go before the other threads (Linux keeps it as a
	 * zombie); it stays stopped instead, and serves the injections for
	 * the rest of the process. */
	if (th->tid == th->as->pid)
		return;
	struct inject ex = {.nr = SYS_exit};
	inject_on(th, &ex); /* returns once the thread is reaped */
	thread_free(th);
}

int plat_thread_get_regs(struct plat_thread *th, struct arch_regs *r)
{
	if (th->state != LX_STOPPED)
		return -ESRCH;
	if (fetch_regs(th) < 0)
		return -ESRCH;
	const struct user_regs_struct *u = &th->uregs;
	/* At a syscall stop the kernel has put -ENOSYS in rax; the number
	 * is in orig_rax, and the core reads it from rax. */
	r->rax = th->at_syscall ? u->orig_rax : u->rax;
	r->rbx = u->rbx;
	r->rcx = u->rcx;
	r->rdx = u->rdx;
	r->rsi = u->rsi;
	r->rdi = u->rdi;
	r->rbp = u->rbp;
	r->rsp = u->rsp;
	r->r8 = u->r8;
	r->r9 = u->r9;
	r->r10 = u->r10;
	r->r11 = u->r11;
	r->r12 = u->r12;
	r->r13 = u->r13;
	r->r14 = u->r14;
	r->r15 = u->r15;
	r->rip = u->rip;
	r->rflags = u->eflags;
	r->fs_base = u->fs_base;
	r->gs_base = u->gs_base;
	return 0;
}

int plat_thread_resume(struct plat_thread *th, const struct arch_regs *r)
{
	if (th->state != LX_STOPPED || th->destroyed)
		return -ESRCH;
	if (fetch_regs(th) < 0)
		return -ESRCH;
	struct user_regs_struct *u = &th->uregs;
	u->rax = r->rax;
	u->rbx = r->rbx;
	u->rcx = r->rcx;
	u->rdx = r->rdx;
	u->rsi = r->rsi;
	u->rdi = r->rdi;
	u->rbp = r->rbp;
	u->rsp = r->rsp;
	u->r8 = r->r8;
	u->r9 = r->r9;
	u->r10 = r->r10;
	u->r11 = r->r11;
	u->r12 = r->r12;
	u->r13 = r->r13;
	u->r14 = r->r14;
	u->r15 = r->r15;
	u->rip = r->rip;
	u->eflags = r->rflags;
	u->fs_base = r->fs_base;
	u->gs_base = r->gs_base;
	/* No syscall in progress as far as the host is concerned: keeps its
	 * restart logic out of the way. */
	u->orig_rax = (uint64_t)-1;
	if (ptrace(PTRACE_SETREGS, th->tid, 0, u) < 0) {
		if (errno != EIO)
			return thread_dying(th);
		/* The host refuses a TLS base beyond the user range (Linux's
		 * arch_prctl would have said EPERM); run with none. */
		lx_log("persona: linux backend: invalid TLS base, cleared");
		u->fs_base = u->fs_base >= LX_USER_TOP ? 0 : u->fs_base;
		u->gs_base = u->gs_base >= LX_USER_TOP ? 0 : u->gs_base;
		if (ptrace(PTRACE_SETREGS, th->tid, 0, u) < 0)
			return thread_dying(th);
	}
	th->resume_seq = th->as->map_seq;
	if (ptrace(PTRACE_SYSEMU, th->tid, 0, 0) < 0)
		return thread_dying(th);
	th->state = LX_RUNNING;
	th->regs_valid = false;
	th->at_syscall = false;
	return 0;
}

int plat_thread_get_fpu(struct plat_thread *th, void *buf)
{
	struct user_fpregs_struct f;
	if (th->state != LX_STOPPED)
		return -ESRCH;
	if (ptrace(PTRACE_GETFPREGS, th->tid, 0, &f) < 0)
		return thread_dying(th);
	memcpy(buf, &f, sizeof f);
	return 0;
}

int plat_thread_set_fpu(struct plat_thread *th, const void *buf)
{
	struct user_fpregs_struct f;
	if (th->state != LX_STOPPED)
		return -ESRCH;
	memcpy(&f, buf, sizeof f);
	if (ptrace(PTRACE_SETFPREGS, th->tid, 0, &f) < 0)
		return errno == ESRCH ? thread_dying(th) : -errno;
	return 0;
}

void plat_thread_kick(struct plat_thread *th)
{
	if (th->state != LX_RUNNING || th->kick_wanted)
		return;
	th->kick_wanted = true;
	ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
}
