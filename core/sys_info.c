/*
 * Identity and limits: the get*id family, uname, getrandom, resource
 * limits, prctl, rseq, sysinfo, getrusage and times.
 *
 * Differences from Linux, on purpose for now:
 *  - no supplementary groups (getgroups returns 0);
 *  - getrusage and times report the time since the process started as
 *    user time, and no system time, page faults or context switches (the
 *    platform does not report CPU time);
 *  - prctl keeps PDEATHSIG and NO_NEW_PRIVS per process, not per thread.
 */
#include <string.h>

#include "mm.h"
#include "syscall.h"
#include "task.h"

#define NSEC_PER_SEC 1000000000ULL

/* ---- Identity ------------------------------------------------------------------ */
long sys_getpid(struct thread *t, const struct sysargs *a)
{
	return t->proc->pid;
}
long sys_getppid(struct thread *t, const struct sysargs *a)
{
	return t->proc->ppid;
}
long sys_getuid(struct thread *t, const struct sysargs *a)
{
	return t->proc->uid;
}
long sys_geteuid(struct thread *t, const struct sysargs *a)
{
	return t->proc->euid;
}
long sys_getgid(struct thread *t, const struct sysargs *a)
{
	return t->proc->gid;
}
long sys_getegid(struct thread *t, const struct sysargs *a)
{
	return t->proc->egid;
}
long sys_getpgrp(struct thread *t, const struct sysargs *a)
{
	return t->proc->pgid;
}

/* Three ids out: real, effective, saved. */
static long put_res_ids(struct thread *t, const struct sysargs *a, uint32_t r, uint32_t e,
                        uint32_t s)
{
	uint32_t v[3] = {r, e, s};
	for (int i = 0; i < 3; i++)
		if (copy_to_user(t, a->a[i], &v[i], sizeof v[i]) < 0)
			return -EFAULT;
	return 0;
}

long sys_getresuid(struct thread *t, const struct sysargs *a)
{
	return put_res_ids(t, a, t->proc->uid, t->proc->euid, t->proc->suid);
}

long sys_getresgid(struct thread *t, const struct sysargs *a)
{
	return put_res_ids(t, a, t->proc->gid, t->proc->egid, t->proc->sgid);
}

static struct proc *proc_arg(struct thread *t, int pid)
{
	if (pid == 0)
		return t->proc;
	struct proc *p = pid > 0 ? proc_by_pid(pid) : NULL;
	return p && !p->exiting ? p : NULL;
}

long sys_getpgid(struct thread *t, const struct sysargs *a)
{
	struct proc *p = proc_arg(t, (int)a->a[0]);
	return p ? p->pgid : -ESRCH;
}

long sys_getsid(struct thread *t, const struct sysargs *a)
{
	struct proc *p = proc_arg(t, (int)a->a[0]);
	return p ? p->sid : -ESRCH;
}

struct utsname_lx {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

long sys_uname(struct thread *t, const struct sysargs *a)
{
	struct utsname_lx u;
	memset(&u, 0, sizeof u);
	strcpy(u.sysname, "Linux");
	strcpy(u.nodename, UTS_NODENAME);
	strcpy(u.release, UTS_RELEASE);
	strcpy(u.version, UTS_VERSION);
	strcpy(u.machine, ARCH_NAME);
	strcpy(u.domainname, "(none)");
	return copy_to_user(t, a->a[0], &u, sizeof u);
}

/* ---- getrandom -------------------------------------------------------------------- */
#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

long sys_getrandom(struct thread *t, const struct sysargs *a)
{
	uint64_t buf = a->a[0], len = a->a[1];
	unsigned flags = (unsigned)a->a[2];
	uint8_t chunk[256];
	uint64_t done = 0;

	if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM))
		return -EINVAL;
	if (len > 0x7fffffff)
		len = 0x7fffffff;
	/* The platform's generator is always ready: nothing blocks. */
	while (done < len) {
		/* Chunks never cross a page, so a fault leaves exactly the
		 * bytes before the bad page written, as Linux reports them. */
		size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
		size_t to_page = PAGE_SIZE - ((buf + done) & (PAGE_SIZE - 1));
		if (n > to_page)
			n = to_page;
		plat_random(chunk, n);
		if (copy_to_user(t, buf + done, chunk, n) < 0)
			return done ? (long)done : -EFAULT;
		done += n;
	}
	memset(chunk, 0, sizeof chunk);
	return (long)done;
}

/* ---- Resource limits ------------------------------------------------------------------- */
#define RLIM_NLIMITS 16
#define RLIMIT_NOFILE 7
#define NR_OPEN 1048576 /* Linux's fs.nr_open */

struct rlimit_lx {
	uint64_t cur, max;
};

/* Linux's do_prlimit on checked values. */
static long do_prlimit(struct proc *p, unsigned res, const struct rlimit_lx *new,
                       struct rlimit_lx *old)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (new) {
		if (new->cur > new->max)
			return -EINVAL;
		if (res == RLIMIT_NOFILE && new->max > NR_OPEN)
			return -EPERM;
		/* Raising a hard limit needs CAP_SYS_RESOURCE. */
		if (new->max > p->rlim[res].max && !capable(LX_CAP_SYS_RESOURCE))
			return -EPERM;
	}
	if (old) {
		old->cur = p->rlim[res].cur;
		old->max = p->rlim[res].max;
	}
	if (new) {
		p->rlim[res].cur = new->cur;
		p->rlim[res].max = new->max;
	}
	return 0;
}

long sys_getrlimit(struct thread *t, const struct sysargs *a)
{
	struct rlimit_lx old;
	long r = do_prlimit(t->proc, (unsigned)a->a[0], NULL, &old);
	if (r < 0)
		return r;
	return copy_to_user(t, a->a[1], &old, sizeof old);
}

long sys_setrlimit(struct thread *t, const struct sysargs *a)
{
	struct rlimit_lx new;
	if (copy_from_user(t, &new, a->a[1], sizeof new) < 0)
		return -EFAULT;
	return do_prlimit(t->proc, (unsigned)a->a[0], &new, NULL);
}

long sys_prlimit64(struct thread *t, const struct sysargs *a)
{
	int pid = (int)a->a[0];
	unsigned res = (unsigned)a->a[1];
	uint64_t unew = a->a[2], uold = a->a[3];
	struct rlimit_lx new, old;
	struct proc *p;
	long r;

	if (unew && copy_from_user(t, &new, unew, sizeof new) < 0)
		return -EFAULT;
	p = pid ? proc_by_pid(pid) : t->proc;
	if (!p || p->exiting) {
		/* A thread id names its process here too. */
		struct thread *x = pid > 0 ? thread_by_tid(pid) : NULL;
		if (!x)
			return -ESRCH;
		p = x->proc;
	}
	r = do_prlimit(p, res, unew ? &new : NULL, uold ? &old : NULL);
	if (r < 0)
		return r;
	if (uold && copy_to_user(t, uold, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* ---- prctl -------------------------------------------------------------------------- */
#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_GET_SECCOMP 21
#define PR_CAPBSET_READ 23
#define PR_GET_TIMERSLACK 30
#define PR_GET_CHILD_SUBREAPER 37
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PR_SET_VMA 0x53564d41
#define CAP_LAST_CAP 40
#define TIMERSLACK_NS 50000

long sys_prctl(struct thread *t, const struct sysargs *a)
{
	int option = (int)a->a[0];
	uint64_t arg2 = a->a[1];
	struct proc *p = t->proc;

	switch (option) {
	case PR_SET_PDEATHSIG:
		if (arg2 > NSIG_LX)
			return -EINVAL;
		p->pdeathsig = (int)arg2;
		return 0;
	case PR_GET_PDEATHSIG: {
		int32_t v = p->pdeathsig;
		return copy_to_user(t, arg2, &v, sizeof v);
	}
	case PR_GET_DUMPABLE:
		return p->dumpable;
	case PR_SET_DUMPABLE:
		if (arg2 > 1)
			return -EINVAL;
		p->dumpable = (int)arg2;
		return 0;
	case PR_SET_NAME: {
		/* Up to 15 bytes, NUL-terminated or not (strncpy_from_user). */
		char comm[16];
		memset(comm, 0, sizeof comm);
		for (int i = 0; i < 15; i++) {
			if (copy_from_user(t, &comm[i], arg2 + (uint64_t)i, 1) < 0)
				return -EFAULT;
			if (!comm[i])
				break;
		}
		memcpy(t->comm, comm, sizeof t->comm);
		return 0;
	}
	case PR_GET_NAME:
		return copy_to_user(t, arg2, t->comm, sizeof t->comm);
	case PR_GET_SECCOMP:
		return 0; /* no filter installed */
	case PR_CAPBSET_READ:
		if (arg2 > CAP_LAST_CAP)
			return -EINVAL;
		return 1; /* the bounding set is full, as for any login session */
	case PR_GET_TIMERSLACK:
		return TIMERSLACK_NS;
	case PR_GET_CHILD_SUBREAPER: {
		int32_t v = 0;
		return copy_to_user(t, arg2, &v, sizeof v);
	}
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || a->a[2] || a->a[3] || a->a[4])
			return -EINVAL;
		p->no_new_privs = true;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (arg2 || a->a[2] || a->a[3] || a->a[4])
			return -EINVAL;
		return p->no_new_privs;
	case PR_SET_VMA:
		return -EINVAL; /* as a kernel without CONFIG_ANON_VMA_NAME */
	default:
		return -EINVAL;
	}
}

/* Linux without CONFIG_RSEQ: glibc and Rust then do without it. */
long sys_rseq(struct thread *t, const struct sysargs *a)
{
	return -ENOSYS;
}

/* ---- sysinfo, getrusage, times -------------------------------------------------------- */
struct sysinfo_lx {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char _f[4];
};
_Static_assert(sizeof(struct sysinfo_lx) == 112, "struct sysinfo layout");

long sys_sysinfo(struct thread *t, const struct sysargs *a)
{
	struct sysinfo_lx si;
	struct thread *x;
	unsigned n = 0;

	memset(&si, 0, sizeof si);
	si.uptime = (int64_t)(now_ns() / NSEC_PER_SEC);
	si.totalram = (uint64_t)plat_frame_limit() * PAGE_SIZE;
	si.freeram = (uint64_t)(plat_frame_limit() - plat_frames_in_use()) * PAGE_SIZE;
	list_for_each_entry(x, &all_threads, all_link) n++;
	si.procs = (uint16_t)n;
	si.mem_unit = 1;
	return copy_to_user(t, a->a[0], &si, sizeof si);
}

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

struct rusage_lx {
	int64_t utime[2], stime[2];
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd,
	    msgrcv, nsignals, nvcsw, nivcsw;
};

long sys_getrusage(struct thread *t, const struct sysargs *a)
{
	int who = (int)a->a[0];
	struct rusage_lx ru;
	uint64_t ns = 0;

	memset(&ru, 0, sizeof ru);
	switch (who) {
	case RUSAGE_SELF:
		ns = now_ns() - t->proc->start_ns;
		break;
	case RUSAGE_THREAD:
		ns = now_ns() - t->start_ns;
		break;
	case RUSAGE_CHILDREN:
		break; /* no children yet */
	default:
		return -EINVAL;
	}
	ru.utime[0] = (int64_t)(ns / NSEC_PER_SEC);
	ru.utime[1] = (int64_t)(ns % NSEC_PER_SEC / 1000);
	if (who != RUSAGE_CHILDREN && t->proc->mm) {
		uint64_t vm, rss;
		mm_usage(t->proc->mm, &vm, &rss);
		ru.maxrss = (int64_t)(rss * (PAGE_SIZE / 1024)); /* KiB, now rather than the peak */
	}
	return copy_to_user(t, a->a[1], &ru, sizeof ru);
}

#define USER_HZ 100

long sys_times(struct thread *t, const struct sysargs *a)
{
	int64_t tms[4] = {0, 0, 0, 0};
	tms[0] = (int64_t)((now_ns() - t->proc->start_ns) / (NSEC_PER_SEC / USER_HZ));
	if (a->a[0] && copy_to_user(t, a->a[0], tms, sizeof tms) < 0)
		return -EFAULT;
	/* Clock ticks since an arbitrary point: the monotonic clock's origin. */
	return (long)(now_ns() / (NSEC_PER_SEC / USER_HZ));
}
