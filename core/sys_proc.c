/*
 * Processes: fork, vfork and clone without CLONE_THREAD (proc_clone),
 * execve and execveat (with #! scripts), wait4 and waitid, process groups
 * and sessions (setpgid, setsid), and the real-time interval timer
 * (alarm, setitimer, getitimer).  What ending a process means for its
 * parent (zombies, SIGCHLD, orphans) lives in task.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "syscall.h"
#include "task.h"
#include "vfs.h"

/* ---- fork, vfork, clone ------------------------------------------------------ */
#define CLONE_NEWCGROUP 0x02000000ULL
#define CLONE_NEWUTS 0x04000000ULL
#define CLONE_NEWIPC 0x08000000ULL
#define CLONE_NEWNET 0x40000000ULL
#define CLONE_NAMESPACES                                                                           \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

static int copy_cmdline(struct proc *to, const struct proc *from)
{
	if (!from->cmdline)
		return 0;
	to->cmdline = malloc(from->cmdline_len ? from->cmdline_len : 1);
	if (!to->cmdline)
		return -ENOMEM;
	memcpy(to->cmdline, from->cmdline, from->cmdline_len);
	to->cmdline_len = from->cmdline_len;
	return 0;
}

/* Everything of the new process but its thread: memory, files, cwd,
 * signal actions, identity. */
static int proc_copy(struct proc *p, struct proc *parent, uint64_t f)
{
	int r;

	p->pgid = parent->pgid;
	p->sid = parent->sid;
	if ((r = cred_copy(p, parent)) < 0)
		return r;
	memcpy(p->rlim, parent->rlim, sizeof p->rlim);
	memcpy(p->exe_path, parent->exe_path, sizeof p->exe_path);
	p->nice = parent->nice;
	p->dumpable = parent->dumpable;
	p->no_new_privs = parent->no_new_privs;
	p->personality = parent->personality;
	p->sigtramp = parent->sigtramp;
	p->did_exec = false;
	if (parent->exe) {
		inode_ref(parent->exe);
		p->exe = parent->exe;
	}
	if ((r = copy_cmdline(p, parent)) < 0)
		return r;

	if (f & CLONE_VM) {
		mm_get(parent->mm);
		p->mm = parent->mm;
	} else {
		struct plat_as *as;
		if ((r = plat_as_create(&as)) < 0)
			return r;
		p->mm = mm_fork(parent->mm, as);
		if (!p->mm)
			return -ENOMEM;
	}
	p->as = mm_as(p->mm);

	if (f & CLONE_FILES) {
		fdtable_get(parent->fds);
		p->fds = parent->fds;
	} else if (!(p->fds = fdtable_clone(parent->fds))) {
		return -ENOMEM;
	}
	if (f & CLONE_FS) {
		fs_context_get(parent->fs);
		p->fs = parent->fs;
	} else if (!(p->fs = fs_context_clone(parent->fs))) {
		return -ENOMEM;
	}
	if (f & CLONE_SIGHAND) {
		sighand_get(parent->sighand);
		p->sighand = parent->sighand;
	} else if (!(p->sighand = sighand_clone(parent->sighand))) {
		return -ENOMEM;
	}
	if (f & CLONE_CLEAR_SIGHAND)
		sig_exec_reset(p);
	return 0;
}

long proc_clone(struct thread *t, const struct clone_req *c)
{
	struct proc *parent = t->proc, *p;
	struct thread *nt;
	uint64_t f = c->flags;
	int r;

	if (f & CLONE_NAMESPACES) {
		/* What an unprivileged caller gets on Linux. */
		pr_warn_once("persona: warning: clone with new namespaces is not supported; "
		             "the program gets EPERM");
		return -EPERM;
	}
	if ((f & CLONE_SETTLS) && (r = arch_check_tls(c->tls)) < 0)
		return r;

	p = proc_create();
	if (!p)
		return -EAGAIN;
	p->exit_signal = c->exit_signal > 0 && c->exit_signal <= NSIG_LX ? c->exit_signal : 0;
	r = proc_copy(p, parent, f);
	if (r == 0)
		r = thread_create(p, &nt);
	if (r == 0 && (f & CLONE_PIDFD)) {
		/* The parent's pidfd is made before the child runs; if it
		 * cannot be told where it is, there is no child (Linux). */
		r = pidfd_for_clone(t, p, c->pidfd);
	}
	if (r < 0) {
		proc_exit(p, 0); /* no parent yet: everything is freed */
		return r == -ENOMEM || r == -EAGAIN || r == -EFAULT || r == -EMFILE ? r : -ENOMEM;
	}

	nt->regs = t->regs;
	arch_sys_set_ret(&nt->regs, 0);
	if (c->sp)
		arch_set_sp(&nt->regs, c->sp);
	if (f & CLONE_SETTLS)
		arch_set_tls(&nt->regs, c->tls);
	nt->sigmask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
	/* Linux clears the alternate stack of a child sharing the memory
	 * (it would run on the parent's) unless the parent waits (vfork). */
	if ((f & (CLONE_VM | CLONE_VFORK)) != CLONE_VM)
		nt->altstack = t->altstack;
	memcpy(nt->comm, t->comm, sizeof nt->comm);
	sched_inherit(nt, t);
	uint8_t fpu[ARCH_FPU_STATE_SIZE];
	if (plat_thread_get_fpu(t->pt, fpu) == 0)
		(void)plat_thread_set_fpu(nt->pt, fpu);
	if (f & CLONE_CHILD_CLEARTID)
		nt->clear_child_tid = c->child_tid;
	/* Linux ignores a fault on either tid pointer; the child's is in
	 * the child's memory. */
	if (f & CLONE_CHILD_SETTID)
		(void)mm_copy_to(p->mm, c->child_tid, &nt->tid, sizeof nt->tid);
	if (f & CLONE_PARENT_SETTID)
		(void)copy_to_user(t, c->parent_tid, &nt->tid, sizeof nt->tid);

	proc_set_parent(p, (f & CLONE_PARENT) ? parent->parent : parent);
	sched_start_thread(nt);
	if (!(f & CLONE_VFORK))
		return p->pid;

	/* vfork: the parent sleeps until the child execs or exits.  Only
	 * SIGKILL may end the wait, as on Linux (the others stay pending). */
	p->vfork_pending = true;
	t->sys.generic.cookie = (void *)(intptr_t)p->pid;
	sig_set_temp_mask(t, ~0ULL);
	return proc_vfork_wait(t);
}

long proc_vfork_wait(struct thread *t)
{
	int pid = (int)(intptr_t)t->sys.generic.cookie;
	struct proc *c = proc_by_pid(pid);

	if (!c || !c->vfork_pending || t->wake == WAKE_SIGNAL)
		return pid;
	if (thread_wait_on(t, &c->vfork_wq) < 0)
		return pid; /* cannot wait: go on as if it were a fork */
	t->sees_signal_wake = true;
	return thread_park(t, 0);
}

/* unshare(2): a process's own fd table (CLONE_FILES) or fs context
 * (CLONE_FS); the thread, signal-handler and memory flags only when there
 * is nothing to unshare them from, as Linux allows; new namespaces, as for
 * clone, EPERM. */
long sys_unshare(struct thread *t, const struct sysargs *a)
{
	uint64_t f = a->a[0];
	struct proc *p = t->proc;
	if (f & ~(CLONE_THREAD | CLONE_FS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM |
	          CLONE_NAMESPACES))
		return -EINVAL;
	if (f & CLONE_NEWUSER)
		f |= CLONE_THREAD | CLONE_FS;
	if (f & CLONE_VM)
		f |= CLONE_SIGHAND;
	if (f & CLONE_SIGHAND)
		f |= CLONE_THREAD;
	if (f & CLONE_NEWNS)
		f |= CLONE_FS;
	if ((f & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) && p->nthreads > 1)
		return -EINVAL;
	if ((f & (CLONE_SIGHAND | CLONE_VM)) && sig_sighand_shared(p))
		return -EINVAL;
	if ((f & CLONE_VM) && mm_users(p->mm) > 1)
		return -EINVAL;
	if (f & CLONE_NAMESPACES) {
		pr_warn_once(
		    "persona: warning: unshare of namespaces is not supported; the program "
		    "gets EPERM");
		return -EPERM;
	}
	if (f & CLONE_FS) {
		struct fs_context *fs = fs_context_clone(p->fs);
		if (!fs)
			return -ENOMEM;
		fs_context_put(p->fs);
		p->fs = fs;
	}
	if (f & CLONE_FILES)
		return fdtable_unshare(p);
	return 0;
}

long sys_fork(struct thread *t, const struct sysargs *a)
{
	struct clone_req c = {.exit_signal = SIGCHLD};
	return proc_clone(t, &c);
}

long sys_vfork(struct thread *t, const struct sysargs *a)
{
	if (t->wake != WAKE_NONE)
		return proc_vfork_wait(t);
	struct clone_req c = {.flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD};
	return proc_clone(t, &c);
}

/* ---- execve ---------------------------------------------------------------------- */
/* Linux's limits: one string, and all of argv and envp with their
 * pointers against a quarter of the stack limit (at least 32 pages). */
#define MAX_ARG_STRLEN (32 * PAGE_SIZE)
#define ARG_BYTES_MAX (6ULL << 20) /* three quarters of the default 8 MiB stack */
#define BINPRM_BUF_SIZE 256
#define MAX_SCRIPT_DEPTH 4

/* Strings copied in from the client, packed in one buffer. */
struct strvec {
	char *buf;
	size_t len, cap;
	size_t n;
};

static int strvec_add(struct strvec *v, const char *s, size_t n)
{
	if (v->len + n + 1 > v->cap) {
		size_t ncap = v->cap ? v->cap : 4096;
		while (ncap < v->len + n + 1)
			ncap *= 2;
		char *nb = realloc(v->buf, ncap);
		if (!nb)
			return -ENOMEM;
		v->buf = nb;
		v->cap = ncap;
	}
	memcpy(v->buf + v->len, s, n);
	v->buf[v->len + n] = 0;
	v->len += n + 1;
	v->n++;
	return 0;
}

/* A NULL-terminated array of pointers into v's buffer (malloc'd). */
static char **strvec_array(const struct strvec *v)
{
	char **a = malloc((v->n + 1) * sizeof *a);
	if (!a)
		return NULL;
	size_t off = 0;
	for (size_t i = 0; i < v->n; i++) {
		a[i] = v->buf + off;
		off += strlen(v->buf + off) + 1;
	}
	a[v->n] = NULL;
	return a;
}

/* Copy a client argv or envp.  *budget is what is left of the limit. */
static int copy_strings(struct thread *t, uint64_t uvec, struct strvec *v, char *tmp,
                        uint64_t *budget)
{
	if (!uvec)
		return 0; /* Linux takes NULL as empty */
	for (uint64_t i = 0;; i++) {
		uint64_t ptr;
		if (copy_from_user(t, &ptr, uvec + i * 8, 8) < 0)
			return -EFAULT;
		if (!ptr)
			return 0;
		long n = mm_strncpy_from(t->proc->mm, tmp, ptr, MAX_ARG_STRLEN);
		if (n == -ENAMETOOLONG)
			return -E2BIG;
		if (n < 0)
			return (int)n;
		if ((uint64_t)n + 1 + 8 > *budget)
			return -E2BIG;
		*budget -= (uint64_t)n + 1 + 8;
		if (strvec_add(v, tmp, (size_t)n) < 0)
			return -ENOMEM;
	}
}

/* The #! line of a script: interpreter and optional argument (Linux's
 * binfmt_script: the rest of the line after the name is one argument).
 * -ENOEXEC if it names nothing. */
static int parse_shebang(char *line, size_t len, char **interp, char **arg)
{
	char *end = memchr(line, '\n', len);
	if (!end) {
		/* A line longer than the buffer: fine as long as the name
		 * itself ended inside it. */
		end = line + len;
	}
	*end = 0;
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (!*p && end == line + len && len == BINPRM_BUF_SIZE)
		return -ENOEXEC; /* the name ran past the buffer */
	*arg = NULL;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		char *q = p + strlen(p);
		while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
			*--q = 0;
		if (*p)
			*arg = p;
	}
	return 0;
}

static void comm_set(char *comm, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	memset(comm, 0, 16);
	memcpy(comm, base, strnlen(base, 15));
}

static int set_cmdline(struct proc *p, char *const argv[])
{
	size_t len = 0;
	for (int i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	char *c = malloc(len ? len : 1);
	if (!c)
		return -ENOMEM;
	char *d = c;
	for (int i = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(d, argv[i], n);
		d += n;
	}
	free(p->cmdline);
	p->cmdline = c;
	p->cmdline_len = len;
	return 0;
}

/* Find the program, following #! scripts: the inode to load, its name
 * for /proc/<pid>/exe, and argv as the program will get it. */
static int find_program(struct thread *t, int dirfd, const char *path, int flags,
                        struct strvec *argv, struct inode **out, char *abs, size_t abs_size)
{
	char filename[LX_PATH_MAX];
	snprintf(filename, sizeof filename, "%s", path);
	for (int depth = 0;; depth++) {
		struct inode *ino;
		char head[BINPRM_BUF_SIZE + 1];
		int r = vfs_open_exec(t, dirfd, filename, flags, &ino, abs, abs_size);
		if (r < 0)
			return r;
		long n = inode_read(ino, head, BINPRM_BUF_SIZE, 0);
		if (n >= 4 && !memcmp(head, "\177ELF", 4)) {
			*out = ino;
			return 0;
		}
		if (n < 2 || head[0] != '#' || head[1] != '!') {
			inode_put(ino);
			return -ENOEXEC;
		}
		inode_put(ino);
		if (depth >= MAX_SCRIPT_DEPTH)
			return -ELOOP;
		char *interp, *arg;
		r = parse_shebang(head, (size_t)n, &interp, &arg);
		if (r < 0)
			return r;
		/* argv[0] gives way to interpreter, argument, script name. */
		struct strvec nv = {0};
		size_t skip = argv->n ? strlen(argv->buf) + 1 : 0;
		r = strvec_add(&nv, interp, strlen(interp));
		if (!r && arg)
			r = strvec_add(&nv, arg, strlen(arg));
		if (!r)
			r = strvec_add(&nv, filename, strlen(filename));
		for (size_t off = skip, i = argv->n ? 1 : 0; !r && i < argv->n; i++) {
			size_t l = strlen(argv->buf + off);
			r = strvec_add(&nv, argv->buf + off, l);
			off += l + 1;
		}
		if (r < 0) {
			free(nv.buf);
			return r;
		}
		free(argv->buf);
		*argv = nv;
		snprintf(filename, sizeof filename, "%s", interp);
		dirfd = LX_AT_FDCWD;
		flags = 0;
	}
}

static long do_execve(struct thread *t, int dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp,
                      int flags)
{
	struct proc *p = t->proc;
	struct strvec argv = {0}, envp = {0};
	char *path = NULL, *tmp = NULL, **av = NULL, **ev = NULL, *abs = NULL;
	struct inode *exe = NULL;
	struct mm *old = p->mm, *mm = NULL;
	long r;

	if (flags & ~(LX_AT_EMPTY_PATH | LX_AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	path = malloc(LX_PATH_MAX);
	tmp = malloc(MAX_ARG_STRLEN);
	abs = malloc(sizeof p->exe_path);
	if (!path || !tmp || !abs) {
		r = -ENOMEM;
		goto out;
	}
	r = mm_strncpy_from(p->mm, path, upath, LX_PATH_MAX);
	if (r < 0)
		goto out;
	if (!path[0] && !(flags & LX_AT_EMPTY_PATH)) {
		r = -ENOENT;
		goto out;
	}
	uint64_t budget = p->rlim[3 /* RLIMIT_STACK */].cur / 4;
	if (budget > ARG_BYTES_MAX)
		budget = ARG_BYTES_MAX;
	if (budget < 32 * PAGE_SIZE)
		budget = 32 * PAGE_SIZE;
	if ((r = copy_strings(t, uargv, &argv, tmp, &budget)) < 0 ||
	    (r = copy_strings(t, uenvp, &envp, tmp, &budget)) < 0)
		goto out;
	/* Linux (since 5.18) gives a program started with an empty argv
	 * one empty argument, so that argv[0] exists. */
	if (!argv.n && (r = strvec_add(&argv, "", 0)) < 0)
		goto out;

	r = fdtable_unshare(p);
	if (r < 0)
		goto out;
	r = find_program(t, dirfd, path, flags, &argv, &exe, abs, sizeof p->exe_path);
	if (r < 0)
		goto out;
	av = strvec_array(&argv);
	ev = strvec_array(&envp);
	if (!av || !ev) {
		r = -ENOMEM;
		goto out;
	}

	/* Load into a new address space; the old one stays until the new
	 * program is known to load. */
	struct plat_as *as;
	if ((r = plat_as_create(&as)) < 0)
		goto out;
	if (!(mm = mm_create(as))) {
		plat_as_destroy(as);
		r = -ENOMEM;
		goto out;
	}
	if (p->sighand) {
		/* Handlers are per-process after exec: stop sharing them. */
		struct sighand *sh = sighand_clone(p->sighand);
		if (!sh) {
			r = -ENOMEM;
			goto out;
		}
		sighand_put(p->sighand);
		p->sighand = sh;
	}
	uint64_t old_tramp = p->sigtramp;
	struct arch_regs regs;
	const char *why = NULL;
	struct cred_ids old_cred;
	cred_save(p, &old_cred);
	cred_exec(p, exe);
	p->mm = mm;
	r = elf_load(t, exe, path, av, ev, &regs, &why);
	if (r < 0) {
		p->mm = old;
		p->sigtramp = old_tramp;
		cred_restore(p, &old_cred);
		if (why)
			pr_log("persona: execve %s: %s", path, why);
		goto out;
	}

	/* ---- The point of no return. ---- */
	thread_kill_others(t);
	plat_thread_destroy(t->pt);
	t->pt = NULL;
	mm_put(old);
	old = NULL;
	mm = NULL; /* p's now */
	p->as = mm_as(p->mm);
	r = plat_thread_create(p->as, t, &t->pt);
	if (r < 0) {
		pr_log("persona: execve %s: could not create the new program's thread; ending "
		       "process %d",
		       path, p->pid);
		t->pt = NULL;
		proc_exit(p, SIGKILL);
		r = SYS_GONE;
		goto out;
	}
	t->regs = regs;
	fdtable_close_on_exec(p);
	ptimer_exit_all(p);
	sig_exec_reset(p);
	t->altstack = (struct sigaltstack_lx){.ss_flags = LX_SS_DISABLE};
	t->clear_child_tid = 0;
	t->robust_list = t->robust_len = 0;
	if (p->exe)
		inode_put(p->exe);
	p->exe = exe;
	exe = NULL;
	snprintf(p->exe_path, sizeof p->exe_path, "%s", abs);
	(void)set_cmdline(p, av);
	comm_set(t->comm, path);
	p->did_exec = true;
	if (p->secure_exec)
		p->pdeathsig = 0; /* the parent may not signal a privileged program */
	vfork_release(p);
	r = SYS_NORETURN;
out:
	if (mm && mm != p->mm)
		mm_put(mm);
	if (exe)
		inode_put(exe);
	free(av);
	free(ev);
	free(argv.buf);
	free(envp.buf);
	free(path);
	free(tmp);
	free(abs);
	return r;
}

long sys_execve(struct thread *t, const struct sysargs *a)
{
	return do_execve(t, LX_AT_FDCWD, a->a[0], a->a[1], a->a[2], 0);
}

long sys_execveat(struct thread *t, const struct sysargs *a)
{
	return do_execve(t, (int)a->a[0], a->a[1], a->a[2], a->a[3], (int)a->a[4]);
}

/* ---- wait4, waitid ---------------------------------------------------------------- */
#define LX_WNOHANG 0x1
#define LX_WUNTRACED 0x2
#define LX_WSTOPPED 0x2
#define LX_WEXITED 0x4
#define LX_WCONTINUED 0x8
#define LX_WNOWAIT 0x01000000
#define LX_WNOTHREAD 0x20000000
#define LX_WALL 0x40000000
#define LX_WCLONE 0x80000000
#define LX_P_ALL 0
#define LX_P_PID 1
#define LX_P_PGID 2
#define LX_P_PIDFD 3
#define RUSAGE_SIZE 144

struct wait_result {
	int pid, status; /* status: the wait status word */
	uint32_t uid;
	int code, sistatus; /* waitid: CLD_* and si_status */
};

/* Linux's eligible_child: which children a wait with these options
 * selects, by id and by the signal they report their end with. */
static bool child_selected(const struct proc *c, int which, int id, unsigned options)
{
	if (which == LX_P_PID && c->pid != id)
		return false;
	if (which == LX_P_PGID && c->pgid != id)
		return false;
	if (options & LX_WALL)
		return true;
	return (c->exit_signal != SIGCHLD) == !!(options & LX_WCLONE);
}

/* One pass over the children: the pid reaped (or seen, WNOWAIT), 0 if
 * some child may still end, -ECHILD if none can; parks when told to. */
static long do_wait(struct thread *t, int which, int id, unsigned options, struct wait_result *res)
{
	struct proc *c;
	bool any = false;

	list_for_each_entry(c, &t->proc->children, sibling)
	{
		if (!child_selected(c, which, id, options))
			continue;
		any = true;
		res->pid = c->pid;
		res->uid = c->uid;
		if (c->zombie && (options & LX_WEXITED)) {
			int st = c->exit_status;
			res->status = st;
			if ((st & 0x7f) == 0) {
				res->code = LX_CLD_EXITED;
				res->sistatus = (st >> 8) & 0xff;
			} else {
				res->code = (st & 0x80) ? LX_CLD_DUMPED : LX_CLD_KILLED;
				res->sistatus = st & 0x7f;
			}
			if (!(options & LX_WNOWAIT))
				proc_release(c);
			return res->pid;
		}
		/* Job control: a stop or a continuation is told once. */
		if (!c->zombie && c->stopped && c->stop_report && (options & LX_WSTOPPED)) {
			res->status = (c->stop_signo << 8) | 0x7f;
			res->code = LX_CLD_STOPPED;
			res->sistatus = c->stop_signo;
			if (!(options & LX_WNOWAIT))
				c->stop_report = false;
			return res->pid;
		}
		if (!c->zombie && c->cont_report && (options & LX_WCONTINUED)) {
			res->status = 0xffff;
			res->code = LX_CLD_CONTINUED;
			res->sistatus = SIGCONT;
			if (!(options & LX_WNOWAIT))
				c->cont_report = false;
			return res->pid;
		}
	}
	if (!any)
		return -ECHILD;
	if (options & LX_WNOHANG)
		return 0;
	if (thread_wait_on(t, &t->proc->child_wq) < 0)
		return -ENOMEM;
	return thread_park(t, 0);
}

long sys_wait4(struct thread *t, const struct sysargs *a)
{
	int upid = (int)a->a[0];
	unsigned options = (unsigned)a->a[2];
	struct wait_result res = {0};
	int which, id;

	if (options &
	    ~(LX_WNOHANG | LX_WUNTRACED | LX_WCONTINUED | LX_WNOTHREAD | LX_WCLONE | LX_WALL))
		return -EINVAL;
	if (upid == INT32_MIN)
		return -ESRCH;
	if (upid < -1) {
		which = LX_P_PGID;
		id = -upid;
	} else if (upid == -1) {
		which = LX_P_ALL;
		id = 0;
	} else if (upid == 0) {
		which = LX_P_PGID;
		id = t->proc->pgid;
	} else {
		which = LX_P_PID;
		id = upid;
	}
	long r = do_wait(t, which, id, options | LX_WEXITED, &res);
	if (r <= 0)
		return r;
	/* The child is reaped already when a copy out fails, as on Linux. */
	if (a->a[1] && copy_to_user(t, a->a[1], &res.status, sizeof res.status) < 0)
		return -EFAULT;
	if (a->a[3]) {
		uint8_t ru[RUSAGE_SIZE];
		memset(ru, 0, sizeof ru);
		if (copy_to_user(t, a->a[3], ru, sizeof ru) < 0)
			return -EFAULT;
	}
	return r;
}

long sys_waitid(struct thread *t, const struct sysargs *a)
{
	int which = (int)a->a[0], id = (int)a->a[1];
	unsigned options = (unsigned)a->a[3];
	struct wait_result res = {0};
	bool eagain = false; /* a nonblocking pidfd, waited on without WNOHANG */

	if (options & ~(LX_WNOHANG | LX_WNOWAIT | LX_WEXITED | LX_WSTOPPED | LX_WCONTINUED |
	                LX_WNOTHREAD | LX_WCLONE | LX_WALL))
		return -EINVAL;
	if (!(options & (LX_WEXITED | LX_WSTOPPED | LX_WCONTINUED)))
		return -EINVAL;
	switch (which) {
	case LX_P_ALL:
		break;
	case LX_P_PID:
		if (id <= 0)
			return -EINVAL;
		break;
	case LX_P_PGID:
		if (id < 0)
			return -EINVAL;
		if (id == 0)
			id = t->proc->pgid;
		break;
	case LX_P_PIDFD: {
		/* The process the pidfd names (ECHILD once reaped); a
		 * nonblocking pidfd makes the wait WNOHANG, and EAGAIN
		 * when nothing has happened yet unless the caller asked
		 * for WNOHANG itself (Linux's kernel_waitid). */
		struct proc *p;
		bool nonblock;
		if (id < 0)
			return -EINVAL;
		long r = pidfd_target(t, id, &p, &nonblock);
		if (r < 0)
			return r;
		eagain = nonblock && !(options & LX_WNOHANG);
		if (nonblock)
			options |= LX_WNOHANG;
		if (!p)
			return -ECHILD;
		which = LX_P_PID;
		id = p->pid;
		break;
	}
	default:
		return -EINVAL;
	}
	long r = do_wait(t, which, id, options, &res);
	if (r < 0)
		return r;
	if (r == SYS_PARKED)
		return r;
	if (r == 0 && eagain)
		return -EAGAIN;
	if (a->a[2]) {
		/* Linux writes these six fields, zeros when nothing ended. */
		int32_t f[6] = {0, 0, 0, 0, 0, 0};
		if (r > 0) {
			f[0] = SIGCHLD;
			f[2] = res.code;
			f[3] = res.pid;
			f[4] = (int32_t)res.uid;
			f[5] = res.sistatus;
		}
		if (copy_to_user(t, a->a[2], f, 3 * sizeof f[0]) < 0 ||
		    copy_to_user(t, a->a[2] + 16, &f[3], 3 * sizeof f[0]) < 0)
			return -EFAULT;
	}
	if (a->a[4]) {
		uint8_t ru[RUSAGE_SIZE];
		memset(ru, 0, sizeof ru);
		if (copy_to_user(t, a->a[4], ru, sizeof ru) < 0)
			return -EFAULT;
	}
	return 0;
}

/* ---- Process groups and sessions -------------------------------------------------- */
static bool pgrp_exists_in_session(int pgid, int sid)
{
	struct proc *q;
	list_for_each_entry(q, &all_procs, all_link) if (!q->exiting && q->pgid == pgid &&
	                                                 q->sid == sid) return true;
	return false;
}

/* Linux's setpgid, check for check. */
long sys_setpgid(struct thread *t, const struct sysargs *a)
{
	struct proc *me = t->proc, *p;
	int pid = (int)a->a[0], pgid = (int)a->a[1];

	if (!pid)
		pid = me->pid;
	if (!pgid)
		pgid = pid;
	if (pgid < 0)
		return -EINVAL;
	p = proc_by_pid(pid);
	if (!p || p->zombie || (p != me && p->parent != me))
		return -ESRCH;
	if (p != me) {
		if (p->sid != me->sid)
			return -EPERM;
		if (p->did_exec)
			return -EACCES;
	}
	if (p->sid == p->pid)
		return -EPERM; /* a session leader */
	if (pgid != pid && !pgrp_exists_in_session(pgid, me->sid))
		return -EPERM;
	p->pgid = pgid;
	return 0;
}

long sys_setsid(struct thread *t, const struct sysargs *a)
{
	struct proc *me = t->proc, *q;
	list_for_each_entry(q, &all_procs, all_link) if (q->pgid == me->pid) return -EPERM;
	me->sid = me->pgid = me->pid;
	return me->sid;
}

/* ---- alarm, setitimer, getitimer (ITIMER_REAL) --------------------------------------- */
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL
#define LX_ITIMER_REAL 0
#define LX_ITIMER_VIRTUAL 1
#define LX_ITIMER_PROF 2

struct timeval_lx {
	int64_t sec, usec;
};
struct itimerval_lx {
	struct timeval_lx interval, value;
};

static void itimer_fire(struct ktimer *kt)
{
	struct proc *p = kt->arg;
	struct siginfo_lx si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGALRM;
	si.si_code = LX_SI_KERNEL;
	if (p->itimer_interval)
		ktimer_arm(&p->itimer, kt->deadline + p->itimer_interval);
	sig_send_proc(p, SIGALRM, &si);
}

static uint64_t tv_to_ns(const struct timeval_lx *tv)
{
	return (uint64_t)tv->sec * NSEC_PER_SEC + (uint64_t)tv->usec * NSEC_PER_USEC;
}

static void ns_to_tv(uint64_t ns, struct timeval_lx *tv)
{
	tv->sec = (int64_t)(ns / NSEC_PER_SEC);
	tv->usec = (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
}

static void itimer_get(struct proc *p, struct itimerval_lx *out)
{
	uint64_t left = 0, now = now_ns();
	if (list_linked(&p->itimer.link)) {
		left = p->itimer.deadline > now ? p->itimer.deadline - now : 0;
		/* An armed timer never reads as zero (Linux rounds up). */
		if (left < NSEC_PER_USEC)
			left = NSEC_PER_USEC;
	}
	ns_to_tv(left, &out->value);
	ns_to_tv(p->itimer_interval, &out->interval);
}

static void itimer_set(struct proc *p, const struct itimerval_lx *in)
{
	uint64_t value = tv_to_ns(&in->value);
	p->itimer.fn = itimer_fire;
	p->itimer.arg = p;
	p->itimer_interval = value ? tv_to_ns(&in->interval) : 0;
	if (value)
		ktimer_arm(&p->itimer, now_ns() + value);
	else
		ktimer_cancel(&p->itimer);
}

static bool tv_valid(const struct timeval_lx *tv)
{
	return tv->sec >= 0 && tv->usec >= 0 && tv->usec < 1000000;
}

long sys_setitimer(struct thread *t, const struct sysargs *a)
{
	int which = (int)a->a[0];
	struct itimerval_lx in, old;

	memset(&in, 0, sizeof in);
	/* A NULL new value disarms, as Linux still accepts. */
	if (a->a[1] && copy_from_user(t, &in, a->a[1], sizeof in) < 0)
		return -EFAULT;
	if (which == LX_ITIMER_VIRTUAL || which == LX_ITIMER_PROF) {
		pr_warn_once("persona: warning: ITIMER_VIRTUAL and ITIMER_PROF are not supported "
		             "(no CPU time accounting); the program gets EINVAL");
		return -EINVAL;
	}
	if (which != LX_ITIMER_REAL)
		return -EINVAL;
	if (!tv_valid(&in.value) || !tv_valid(&in.interval))
		return -EINVAL;
	itimer_get(t->proc, &old);
	itimer_set(t->proc, &in);
	if (a->a[2] && copy_to_user(t, a->a[2], &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

long sys_getitimer(struct thread *t, const struct sysargs *a)
{
	int which = (int)a->a[0];
	struct itimerval_lx cur;

	if (which == LX_ITIMER_VIRTUAL || which == LX_ITIMER_PROF) {
		memset(&cur, 0, sizeof cur);
	} else if (which == LX_ITIMER_REAL) {
		itimer_get(t->proc, &cur);
	} else {
		return -EINVAL;
	}
	return copy_to_user(t, a->a[1], &cur, sizeof cur) < 0 ? -EFAULT : 0;
}

long sys_alarm(struct thread *t, const struct sysargs *a)
{
	unsigned secs = (unsigned)a->a[0];
	struct itimerval_lx in, old;

	memset(&in, 0, sizeof in);
	in.value.sec = secs;
	itimer_get(t->proc, &old);
	itimer_set(t->proc, &in);
	/* Whole seconds left, rounded to nearest, never 0 while armed. */
	long left = (long)old.value.sec;
	if (old.value.usec >= 500000 || (!left && old.value.usec))
		left++;
	return left;
}
