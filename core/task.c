/*
 * Processes and threads: the registry of pids and tids, creating them, and
 * ending them (clear_child_tid, robust futex lists, releasing everything a
 * process holds).
 */
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "task.h"
#include "vfs.h"

struct list_head all_procs = LIST_INIT(all_procs);
struct list_head all_threads = LIST_INIT(all_threads);

/* Linux's default pid_max; ids wrap around below it. */
#define PID_MAX 4194304
#define RLIM_INF UINT64_MAX

static int next_id = 1;

/* ---- Registry -------------------------------------------------------------- */
struct proc *proc_by_pid(int pid)
{
	struct proc *p;
	list_for_each_entry(p, &all_procs, all_link) if (p->pid == pid) return p;
	return NULL;
}

bool proc_pgrp_exists(int pgid)
{
	struct proc *p;
	list_for_each_entry(p, &all_procs,
	                    all_link) if (p->pgid == pgid && !p->exiting) return true;
	return false;
}

bool proc_pgrp_orphaned(int pgid)
{
	struct proc *p, *parent;
	/* The first process counts as a parent like any other: it plays a
	 * namespace's init, not the global init Linux leaves out.  Its own
	 * parent is the caller of `persona run`, taken to be a shell in the
	 * same session (as for a program a shell started), so its group is
	 * not orphaned while it is there. */
	list_for_each_entry(p, &all_procs, all_link)
	{
		if (p->pgid != pgid || p->exiting)
			continue;
		if (p->pid == sched_first_pid())
			return false;
		parent = proc_by_pid(p->ppid);
		if (parent && !parent->exiting && parent->pgid != pgid && parent->sid == p->sid)
			return false;
	}
	return true;
}

void proc_signal_pgrp(int pgid, int signo)
{
	struct proc *p;
	list_for_each_entry(p, &all_procs, all_link) if (p->pgid == pgid && !p->exiting)
	    sig_send_proc(p, signo, NULL);
}

struct thread *thread_by_tid(int tid)
{
	struct thread *t;
	list_for_each_entry(t, &all_threads, all_link) if (t->tid == tid) return t;
	return NULL;
}

/* A pid is also taken while it names a process whose first thread left. */
static bool id_in_use(int id)
{
	return thread_by_tid(id) || proc_by_pid(id);
}

int task_alloc_id(void)
{
	for (int tries = 0; tries < PID_MAX; tries++) {
		int id = next_id;
		next_id = next_id >= PID_MAX - 1 ? 2 : next_id + 1;
		if (!id_in_use(id))
			return id;
	}
	return -EAGAIN;
}

/* ---- Creation ------------------------------------------------------------------- */
/* Linux's defaults for a process started from a login shell. */
static void rlimit_defaults(struct proc *p)
{
	static const struct {
		uint64_t cur, max;
	} def[16] = {
	    [0] = {RLIM_INF, RLIM_INF},   /* CPU */
	    [1] = {RLIM_INF, RLIM_INF},   /* FSIZE */
	    [2] = {RLIM_INF, RLIM_INF},   /* DATA */
	    [3] = {8UL << 20, RLIM_INF},  /* STACK */
	    [4] = {0, RLIM_INF},          /* CORE */
	    [5] = {RLIM_INF, RLIM_INF},   /* RSS */
	    [6] = {63704, 63704},         /* NPROC */
	    [7] = {1024, 1048576},        /* NOFILE */
	    [8] = {8UL << 20, 8UL << 20}, /* MEMLOCK */
	    [9] = {RLIM_INF, RLIM_INF},   /* AS */
	    [10] = {RLIM_INF, RLIM_INF},  /* LOCKS */
	    [11] = {63704, 63704},        /* SIGPENDING */
	    [12] = {819200, 819200},      /* MSGQUEUE */
	    [13] = {0, 0},                /* NICE */
	    [14] = {0, 0},                /* RTPRIO */
	    [15] = {RLIM_INF, RLIM_INF},  /* RTTIME */
	};
	for (int i = 0; i < 16; i++) {
		p->rlim[i].cur = def[i].cur;
		p->rlim[i].max = def[i].max;
	}
}

struct proc *proc_create(void)
{
	struct proc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	int id = task_alloc_id();
	if (id < 0) {
		free(p);
		return NULL;
	}
	p->pid = p->pgid = p->sid = id;
	p->ppid = 0; /* the first process has no parent we show */
	list_init(&p->threads);
	list_init(&p->children);
	list_init(&p->sibling);
	list_init(&p->rtqueue);
	list_init(&p->ptimers);
	static uint64_t serials;
	p->serial = ++serials;
	waitq_init(&p->child_wq);
	waitq_init(&p->vfork_wq);
	waitq_init(&p->sigfd_wq);
	p->exit_signal = SIGCHLD;
	cred_init(p, core_cfg.uid, core_cfg.gid);
	rlimit_defaults(p);
	p->dumpable = 1;
	p->start_ns = now_ns();
	list_add_tail(&p->all_link, &all_procs);
	return p;
}

static void comm_from_path(char *comm, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	memset(comm, 0, 16);
	memcpy(comm, base, strnlen(base, 15));
}

/* Linux's threads-max, from the memory the guest is given (kernel/fork.c:
 * one task per 128 KiB, at least 20) bounds all tasks together, so that a
 * fork bomb meets EAGAIN before the server, or the host (one host process
 * per client process on the Linux backend), runs out of anything.
 * RLIMIT_NPROC bounds a non-root user's tasks as on Linux (root is exempt
 * there too). */
static unsigned task_limit(void)
{
	uint32_t n = plat_frame_limit() / 32;
	return n < 20 ? 20 : n;
}

static int task_room(struct proc *p)
{
	struct thread *t;
	uint64_t all = 0, mine = 0, nproc = p->rlim[6].cur; /* NPROC */
	list_for_each_entry(t, &all_threads, all_link)
	{
		all++;
		mine += t->proc->uid == p->uid;
	}
	if (all >= task_limit())
		return -EAGAIN;
	if (p->uid != 0 && mine >= nproc)
		return -EAGAIN;
	return 0;
}

int thread_create(struct proc *p, struct thread **out)
{
	struct thread *t = calloc(1, sizeof *t);
	int r;

	if (!t)
		return -ENOMEM;
	list_init(&t->all_link);
	list_init(&t->proc_link);
	list_init(&t->ready_link);
	list_init(&t->waiters);
	list_init(&t->timer_link);
	list_init(&t->rtqueue);
	t->proc = p;
	t->state = TS_RUNNING;
	t->altstack.ss_flags = LX_SS_DISABLE;
	t->start_ns = now_ns();

	r = task_room(p);
	if (r < 0) {
		free(t);
		return r;
	}
	if (list_empty(&p->threads) && !thread_by_tid(p->pid)) {
		t->tid = p->pid;
	} else {
		t->tid = task_alloc_id();
		if (t->tid < 0) {
			free(t);
			return -EAGAIN;
		}
	}
	if (!list_empty(&p->threads))
		memcpy(t->comm, list_entry(p->threads.next, struct thread, proc_link)->comm,
		       sizeof t->comm);
	else
		comm_from_path(t->comm, p->exe_path);

	r = plat_thread_create(p->as, t, &t->pt);
	if (r < 0) {
		free(t);
		return r;
	}
	list_add_tail(&t->all_link, &all_threads);
	list_add_tail(&t->proc_link, &p->threads);
	p->nthreads++;
	*out = t;
	return 0;
}

/* ---- Robust futex lists --------------------------------------------------------- */
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define ROBUST_LIST_LIMIT 2048

/* Linux's handle_futex_death: the dead thread held the lock at uaddr.
 * Returns false when the walk must stop (bad address). */
static bool futex_owner_died(struct thread *t, uint64_t uaddr, bool pi, bool pending)
{
	struct mm *mm = t->proc->mm;
	uint32_t val, nval;

	if (uaddr & 3)
		return false;
	if (mm_copy_from(mm, &val, uaddr, sizeof val) < 0)
		return false;
	/* An unlock or lock in progress when the thread died and nobody
	 * holds it: wake a waiter so it retries. */
	if (pending && !pi && !val) {
		futex_wake(mm, uaddr, 1, ~0u);
		return true;
	}
	if ((val & FUTEX_TID_MASK) != (uint32_t)t->tid)
		return true;
	/* Other threads of the client run concurrently: this write is not
	 * an atomic compare-and-exchange as Linux's is (see futex.c). */
	nval = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (mm_copy_to(mm, uaddr, &nval, sizeof nval) < 0)
		return false;
	if (!pi && (val & FUTEX_WAITERS))
		futex_wake(mm, uaddr, 1, ~0u);
	return true;
}

/* Walk struct robust_list_head { next; futex_offset; list_op_pending; }.
 * Bounded, and any unreadable pointer ends the walk, as on Linux. */
static void exit_robust_list(struct thread *t)
{
	struct mm *mm = t->proc->mm;
	uint64_t head = t->robust_list, h[3], entry, pending;
	int64_t off;
	bool pi, ppi;

	if (!head || !mm || mm_copy_from(mm, h, head, sizeof h) < 0)
		return;
	entry = h[0] & ~1UL;
	pi = h[0] & 1;
	off = (int64_t)h[1];
	pending = h[2] & ~1UL;
	ppi = h[2] & 1;
	for (int n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
		uint64_t next;
		if (mm_copy_from(mm, &next, entry, sizeof next) < 0)
			return;
		if (entry != pending && !futex_owner_died(t, entry + (uint64_t)off, pi, false))
			return;
		entry = next & ~1UL;
		pi = next & 1;
	}
	if (pending)
		futex_owner_died(t, pending + (uint64_t)off, ppi, true);
}

/* ---- Ending threads and processes ----------------------------------------------- */
/* Everything about ending one thread except what it means for its
 * process.  t is freed. */
static void thread_release(struct thread *t, bool group_exit)
{
	struct proc *p = t->proc;

	if (p->mm) {
		exit_robust_list(t);
		/* pthread_join and Rust's JoinHandle wait on this word.  When
		 * the whole process goes nobody is left to look at it. */
		if (t->clear_child_tid && !group_exit) {
			uint32_t zero = 0;
			if (mm_copy_to(p->mm, t->clear_child_tid, &zero, sizeof zero) == 0)
				futex_wake(p->mm, t->clear_child_tid, 1, ~0u);
		}
	}
	sched_forget_thread(t);
	sig_forget_queue(p, &t->rtqueue, 0);
	if (t->pt)
		plat_thread_destroy(t->pt);
	t->state = TS_DEAD;
	list_del(&t->all_link);
	list_del(&t->proc_link);
	p->nthreads--;
	free(t);
}

void thread_kill_others(struct thread *t)
{
	struct proc *p = t->proc;
	struct thread *o, *n;
	list_for_each_entry_safe(o, n, &p->threads, proc_link) if (o != t) thread_release(o, true);
	/* The survivor takes the process's id, as Linux's de_thread. */
	t->tid = p->pid;
}

void thread_exit(struct thread *t)
{
	struct proc *p = t->proc;

	thread_release(t, p->exiting);
	if (list_empty(&p->threads) && !p->exiting)
		proc_exit(p, p->exit_status);
}

/* Free a process that has exited and that nobody will wait for. */
void proc_release(struct proc *p)
{
	list_del(&p->all_link);
	if (list_linked(&p->sibling))
		list_del(&p->sibling);
	free(p->cmdline);
	cred_free(p);
	/* An epoll set elsewhere may still watch its signalfd queue. */
	waitq_drop_watches(&p->sigfd_wq);
	free(p);
	pidfd_proc_changed(); /* reaped: its pidfds hang up */
}

void proc_set_parent(struct proc *p, struct proc *parent)
{
	if (list_linked(&p->sibling))
		list_del(&p->sibling);
	p->parent = parent;
	p->ppid = parent ? parent->pid : 0;
	if (parent)
		list_add_tail(&p->sibling, &parent->children);
}

void vfork_release(struct proc *p)
{
	if (!p->vfork_pending)
		return;
	p->vfork_pending = false;
	waitq_wake_all(&p->vfork_wq);
}

/* The siginfo of a child's end (or stop, or continuation). */
void proc_chld_info(struct proc *p, int code, int status, struct siginfo_lx *si)
{
	memset(si, 0, sizeof *si);
	si->si_signo = SIGCHLD;
	si->si_code = code;
	si->u.chld.pid = p->pid;
	si->u.chld.uid = p->uid;
	si->u.chld.status = status;
}

/* A child's end as its parent sees it: its exit signal (SIGCHLD with
 * CLD_EXITED/KILLED/DUMPED), and a zombie to reap, or none when the parent
 * ignores SIGCHLD or set SA_NOCLDWAIT (Linux's do_notify_parent). */
static void notify_parent(struct proc *p)
{
	struct proc *parent = p->parent;
	if (!parent || parent->exiting) {
		proc_release(p);
		return;
	}
	if (p->exit_signal) {
		struct siginfo_lx si;
		int st = p->exit_status;
		if ((st & 0x7f) == 0)
			proc_chld_info(p, LX_CLD_EXITED, (st >> 8) & 0xff, &si);
		else
			proc_chld_info(p, (st & 0x80) ? LX_CLD_DUMPED : LX_CLD_KILLED, st & 0x7f,
			               &si);
		si.si_signo = p->exit_signal;
		sig_send_proc(parent, p->exit_signal, &si); /* dropped if ignored */
	}
	if (p->exit_signal == SIGCHLD && sig_child_autoreap(parent)) {
		proc_release(p);
		/* Waiters find no child any more: ECHILD. */
		waitq_wake_all(&parent->child_wq);
		return;
	}
	p->zombie = true;
	waitq_wake_all(&parent->child_wq);
}

void proc_exit(struct proc *p, int wait_status)
{
	if (p->exiting)
		return;
	p->exiting = true;
	p->exit_status = wait_status;

	while (!list_empty(&p->threads))
		thread_release(list_entry(p->threads.next, struct thread, proc_link), true);
	ktimer_cancel(&p->itimer);
	ptimer_exit_all(p);
	sig_forget_queue(p, &p->rtqueue, 0);
	mm_put(p->mm); /* the address space goes with its last user */
	p->mm = NULL;
	p->as = NULL;
	if (p->fds)
		fdtable_put(p->fds);
	if (p->fs)
		fs_context_put(p->fs);
	sighand_put(p->sighand);
	p->fds = NULL;
	p->fs = NULL;
	p->sighand = NULL;
	if (p->exe)
		inode_put(p->exe);
	p->exe = NULL;
	vfork_release(p);

	/* Orphans go to the first process, as to a namespace's init. */
	struct proc *init = proc_by_pid(sched_first_pid());
	if (init == p || (init && init->exiting))
		init = NULL;
	while (!list_empty(&p->children)) {
		struct proc *c = list_entry(p->children.next, struct proc, sibling);
		proc_set_parent(c, init);
		/* As Linux's reparent_leader: a clone's exit_signal was
		 * meant for its parent; an orphan must not slay init. */
		c->exit_signal = SIGCHLD;
		if (c->zombie) {
			c->zombie = false;
			notify_parent(c);
		}
	}
	sched_proc_exited(p);
	notify_parent(p);
	pidfd_proc_changed(); /* exited: its pidfds are readable */
}

void proc_end_all(void)
{
	struct proc *p;
	for (;;) {
		bool found = false;
		list_for_each_entry(p, &all_procs, all_link)
		{
			if (!p->exiting) {
				found = true;
				break;
			}
		}
		if (!found)
			break;
		proc_exit(p, SIGKILL);
	}
	while (!list_empty(&all_procs))
		proc_release(list_entry(all_procs.next, struct proc, all_link));
}
