/*
 * File locks, with Linux's rules: flock(2) locks, POSIX record locks
 * (fcntl F_SETLK, F_SETLKW, F_GETLK) and open-file-description locks
 * (F_OFD_SETLK...).
 *
 * A flock lock belongs to an open file description (struct file) and
 * covers the whole file; it conflicts only with other flock locks.  A
 * POSIX lock belongs to a process's fd table (Linux's files_struct) and an
 * OFD lock to an open file description; both cover byte ranges, conflict
 * with each other, and an owner's own ranges never overlap: setting one
 * merges, trims and splits what the owner held.  A POSIX owner loses all
 * its locks on a file when it closes any fd of that file; a flock or OFD
 * lock goes with the last close of its description.
 *
 * A lock that cannot be had parks the caller on the inode's lock queue
 * (F_SETLKW, flock without LOCK_NB); every change wakes the queue and the
 * call tries again.  F_SETLKW refuses with EDEADLK when the owner it
 * waits for is, through a chain of waiting POSIX owners, waiting for the
 * caller (as Linux, up to 10 links).  Each owner holds at most
 * MAX_LOCKS_PER_OWNER ranges on a file (ENOLCK), so a client cannot grow
 * the server's heap without bound.
 */
#include <stdlib.h>

#include "file.h"
#include "task.h"

#define OFFSET_MAX INT64_MAX
#define MAX_LOCKS_PER_OWNER 4096
#define MAX_DEADLK_LINKS 10

enum { LK_FLOCK, LK_POSIX, LK_OFD };

struct file_lock {
	struct list_head link;
	int kind;
	const void *owner;  /* struct file (flock, OFD) or struct fdtable (POSIX) */
	int pid;            /* who set it: F_GETLK's l_pid */
	int type;           /* LX_F_RDLCK or LX_F_WRLCK */
	int64_t start, end; /* inclusive */
};

struct inode_locks {
	struct list_head list;
	struct waitq wq;
};

static struct inode_locks *locks_of(struct inode *ino, bool make)
{
	if (!ino->locks && make) {
		ino->locks = calloc(1, sizeof *ino->locks);
		if (ino->locks) {
			list_init(&ino->locks->list);
			waitq_init(&ino->locks->wq);
		}
	}
	return ino->locks;
}

/* After a change: wake the waiters; an inode with no locks left keeps no
 * state (its waiters, now woken, are off the queue). */
static void changed(struct inode *ino)
{
	struct inode_locks *il = ino->locks;
	waitq_wake_all(&il->wq);
	if (list_empty(&il->list)) {
		ino->locks = NULL;
		free(il);
	}
}

static bool same_family(int a, int b)
{
	return (a == LK_FLOCK) == (b == LK_FLOCK);
}

static bool conflicts(const struct file_lock *held, const struct file_lock *want)
{
	if (!same_family(held->kind, want->kind) || held->owner == want->owner)
		return false;
	if (held->type != LX_F_WRLCK && want->type != LX_F_WRLCK)
		return false;
	return held->start <= want->end && want->start <= held->end;
}

static struct file_lock *first_conflict(struct inode_locks *il, const struct file_lock *want)
{
	struct file_lock *l;
	if (!il)
		return NULL;
	list_for_each_entry(l, &il->list, link) if (conflicts(l, want)) return l;
	return NULL;
}

static void drop(struct file_lock *l)
{
	list_del(&l->link);
	free(l);
}

/* ---- Waiting, and deadlock detection --------------------------------------- */

/* What a thread parked in F_SETLKW is: its owner and the owner it waits
 * for (thread->lockwait), cleared by the scheduler when the call ends. */
static void lockwait_clear(struct thread *t)
{
	t->lockwait.self = t->lockwait.blocker = NULL;
}

/* The owner that owner waits for, if one of its threads is parked on a
 * POSIX lock. */
static const void *waits_for(const void *owner)
{
	struct thread *t;
	list_for_each_entry(t, &all_threads,
	                    all_link) if (t->state == TS_PARKED && t->park_undo == lockwait_clear &&
	                                  t->lockwait.self == owner) return t->lockwait.blocker;
	return NULL;
}

static bool would_deadlock(const void *me, const void *blocker)
{
	for (int i = 0; blocker && i < MAX_DEADLK_LINKS; i++) {
		if (blocker == me)
			return true;
		blocker = waits_for(blocker);
	}
	return false;
}

static long park_for(struct thread *t, struct inode_locks *il, const struct file_lock *want,
                     const struct file_lock *held)
{
	if (want->kind == LK_POSIX && held->kind == LK_POSIX) {
		if (would_deadlock(want->owner, held->owner))
			return -EDEADLK;
		t->lockwait.self = want->owner;
		t->lockwait.blocker = held->owner;
		t->park_undo = lockwait_clear;
	}
	if (thread_wait_on(t, &il->wq) < 0)
		return -ENOLCK;
	return thread_park(t, 0);
}

/* Each (re)run of a waiting call starts from a clean slate. */
static void lockwait_reset(struct thread *t)
{
	if (t->park_undo == lockwait_clear) {
		t->park_undo = NULL;
		lockwait_clear(t);
	}
}

/* ---- flock(2) ------------------------------------------------------------------ */

int locks_flock(struct thread *t, struct file *f, int type, bool wait)
{
	struct inode *ino = f->ino;
	struct inode_locks *il = locks_of(ino, false);
	struct file_lock *l, *mine = NULL;

	lockwait_reset(t);
	if (il)
		list_for_each_entry(l, &il->list, link) if (l->kind == LK_FLOCK && l->owner == f)
		    mine = l;
	if (mine && mine->type == type)
		return 0;
	if (mine) {
		/* A conversion is an unlock and a new lock, as on Linux:
		 * someone waiting may get in between. */
		drop(mine);
		changed(ino);
	}
	if (type == LX_F_UNLCK)
		return 0;
	struct file_lock want = {
	    .kind = LK_FLOCK, .owner = f, .type = type, .start = 0, .end = OFFSET_MAX};
	il = locks_of(ino, false);
	struct file_lock *held = first_conflict(il, &want);
	if (held)
		return wait ? park_for(t, il, &want, held) : -EAGAIN;
	if (!(il = locks_of(ino, true)) || !(l = malloc(sizeof *l)))
		return -ENOLCK;
	*l = want;
	l->pid = t->proc->pid;
	list_add_tail(&l->link, &il->list);
	return 0;
}

/* ---- Record locks ---------------------------------------------------------------- */

/* struct flock's range as [start, end], Linux's flock_to_posix_lock. */
static int to_range(const struct file *f, const struct lx_flock *fl, struct file_lock *out)
{
	int64_t base;
	switch (fl->l_whence) {
	case 0: /* SEEK_SET */
		base = 0;
		break;
	case 1: /* SEEK_CUR */
		base = (int64_t)f->pos;
		break;
	case 2: /* SEEK_END */
		base = (int64_t)f->ino->size;
		break;
	default:
		return -EINVAL;
	}
	if (fl->l_start > OFFSET_MAX - base)
		return -EOVERFLOW;
	int64_t start = base + fl->l_start;
	if (start < 0)
		return -EINVAL;
	if (fl->l_len > 0) {
		if (fl->l_len - 1 > OFFSET_MAX - start)
			return -EOVERFLOW;
		out->start = start;
		out->end = start + (fl->l_len - 1);
	} else if (fl->l_len < 0) {
		if (start + fl->l_len < 0)
			return -EINVAL;
		out->start = start + fl->l_len;
		out->end = start - 1;
	} else {
		out->start = start;
		out->end = OFFSET_MAX;
	}
	if (fl->l_type != LX_F_RDLCK && fl->l_type != LX_F_WRLCK && fl->l_type != LX_F_UNLCK)
		return -EINVAL;
	out->type = fl->l_type;
	return 0;
}

static int owner_count(struct inode_locks *il, const void *owner)
{
	struct file_lock *l;
	int n = 0;
	if (il)
		list_for_each_entry(l, &il->list, link) n += l->owner == owner;
	return n;
}

/* Put want (or, for F_UNLCK, a hole) into its owner's ranges: same-type
 * neighbours merge into it, other ranges it covers are cut back. */
static int apply(struct inode *ino, const struct file_lock *want)
{
	struct inode_locks *il = locks_of(ino, want->type != LX_F_UNLCK);
	struct file_lock *l, *n, *add = NULL, *rest = NULL;
	int64_t start = want->start, end = want->end;

	if (!il)
		return want->type == LX_F_UNLCK ? 0 : -ENOLCK;
	/* Allocate first: nothing changes unless all of it can. */
	if (owner_count(il, want->owner) + 2 > MAX_LOCKS_PER_OWNER ||
	    !(add = malloc(sizeof *add)) || !(rest = malloc(sizeof *rest))) {
		free(add);
		if (list_empty(&il->list))
			changed(ino);
		return -ENOLCK;
	}
	list_for_each_entry_safe(l, n, &il->list, link)
	{
		if (l->owner != want->owner || l->kind != want->kind)
			continue;
		bool touch = l->start <= (end == OFFSET_MAX ? end : end + 1) &&
		             start <= (l->end == OFFSET_MAX ? l->end : l->end + 1);
		bool overlap = l->start <= end && start <= l->end;
		if (want->type != LX_F_UNLCK && l->type == want->type && touch) {
			if (l->start < start)
				start = l->start;
			if (l->end > end)
				end = l->end;
			drop(l);
		} else if (overlap) {
			if (l->start < want->start && l->end > want->end) {
				/* Split: l keeps the part before, rest the part after. */
				*rest = *l;
				rest->start = want->end + 1;
				list_add_tail(&rest->link, &il->list);
				rest = NULL;
				l->end = want->start - 1;
			} else if (l->start < want->start) {
				l->end = want->start - 1;
			} else if (l->end > want->end) {
				l->start = want->end + 1;
			} else {
				drop(l);
			}
		}
	}
	free(rest);
	if (want->type == LX_F_UNLCK) {
		free(add);
	} else {
		*add = *want;
		add->start = start;
		add->end = end;
		list_add_tail(&add->link, &il->list);
	}
	changed(ino);
	return 0;
}

long locks_fcntl(struct thread *t, struct file *f, bool ofd, bool get, bool wait, uint64_t arg)
{
	struct lx_flock fl;
	struct file_lock want = {.kind = ofd ? LK_OFD : LK_POSIX};
	int r;

	lockwait_reset(t);
	if (copy_from_user(t, &fl, arg, sizeof fl) < 0)
		return -EFAULT;
	if (get && fl.l_type != LX_F_RDLCK && fl.l_type != LX_F_WRLCK)
		return -EINVAL;
	if ((r = to_range(f, &fl, &want)) < 0)
		return r;
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	want.owner = ofd ? (const void *)f : (const void *)fd_owner(t->proc);
	want.pid = ofd ? -1 : t->proc->pid;

	struct inode_locks *il = locks_of(f->ino, false);
	if (get) {
		struct file_lock *held = first_conflict(il, &want);
		if (!held) {
			fl.l_type = LX_F_UNLCK;
		} else {
			fl.l_type = (int16_t)held->type;
			fl.l_whence = 0;
			fl.l_start = held->start;
			fl.l_len = held->end == OFFSET_MAX ? 0 : held->end - held->start + 1;
			fl.l_pid = held->kind == LK_OFD ? -1 : held->pid;
		}
		return copy_to_user(t, arg, &fl, sizeof fl) < 0 ? -EFAULT : 0;
	}
	if (want.type == LX_F_RDLCK && !file_readable(f))
		return -EBADF;
	if (want.type == LX_F_WRLCK && !file_writable(f))
		return -EBADF;
	if (want.type != LX_F_UNLCK) {
		struct file_lock *held = first_conflict(il, &want);
		if (held)
			return wait ? park_for(t, il, &want, held) : -EAGAIN;
	}
	return apply(f->ino, &want);
}

/* ---- Letting go --------------------------------------------------------------------- */

static void release_owned(struct inode *ino, const void *owner, bool (*which)(int kind))
{
	struct inode_locks *il = ino->locks;
	struct file_lock *l, *n;
	bool any = false;
	if (!il)
		return;
	list_for_each_entry_safe(l, n, &il->list, link)
	{
		if (l->owner == owner && which(l->kind)) {
			drop(l);
			any = true;
		}
	}
	if (any)
		changed(ino);
}

static bool is_posix(int kind)
{
	return kind == LK_POSIX;
}

static bool is_description_lock(int kind)
{
	return kind != LK_POSIX;
}

void locks_fd_closed(struct file *f, const void *fd_owner)
{
	release_owned(f->ino, fd_owner, is_posix);
}

void locks_file_released(struct file *f)
{
	release_owned(f->ino, f, is_description_lock);
}
