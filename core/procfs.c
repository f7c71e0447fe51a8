/*
 * /proc: every entry is made on lookup as a transient inode (freed at its
 * last reference) that records what it shows (kind, pid, tid, fd).  File
 * content is generated at open time into a buffer the file reads from;
 * links to objects (exe, fd/N, cwd) resolve to the object itself, as
 * Linux's "magic links" do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "file.h"
#include "mm.h"

/* What uname() should agree with. */
#define PROC_OSRELEASE UTS_RELEASE
#define PROC_HOSTNAME UTS_NODENAME

enum pkind {
	P_ROOT,
	P_SELF,
	P_THREAD_SELF,
	P_MOUNTS_LINK,
	P_CPUINFO,
	P_MEMINFO,
	P_UPTIME,
	P_VERSION,
	P_FILESYSTEMS,
	P_LOADAVG,
	P_SYS,
	P_SYS_KERNEL,
	P_SYS_VM,
	P_OSRELEASE,
	P_OSTYPE,
	P_HOSTNAME,
	P_PIDMAX,
	P_OVERCOMMIT,
	P_MAXMAPCOUNT,
	P_PERSONA,
	/* per process */
	P_PID,
	P_EXE,
	P_MAPS,
	P_FD,
	P_FDLINK,
	P_CMDLINE,
	P_STATUS,
	P_STAT,
	P_TASK,
	P_COMM,
	P_CWD,
	P_ROOTLINK,
	P_MOUNTS,
	/* per thread */
	P_TID,
};

struct pent {
	const char *name;
	enum pkind kind;
	uint32_t mode;
};

static const struct pent root_ents[] = {
    {"self", P_SELF, S_IFLNK | 0777},
    {"thread-self", P_THREAD_SELF, S_IFLNK | 0777},
    {"cpuinfo", P_CPUINFO, S_IFREG | 0444},
    {"meminfo", P_MEMINFO, S_IFREG | 0444},
    {"uptime", P_UPTIME, S_IFREG | 0444},
    {"version", P_VERSION, S_IFREG | 0444},
    {"loadavg", P_LOADAVG, S_IFREG | 0444},
    {"mounts", P_MOUNTS_LINK, S_IFLNK | 0777},
    {"filesystems", P_FILESYSTEMS, S_IFREG | 0444},
    {"sys", P_SYS, S_IFDIR | 0555},
    /* Not in Linux: the server's own figures, for leak tests. */
    {"persona", P_PERSONA, S_IFREG | 0444},
    {NULL, 0, 0},
};
static const struct pent pid_ents[] = {
    {"cmdline", P_CMDLINE, S_IFREG | 0444}, {"comm", P_COMM, S_IFREG | 0644},
    {"cwd", P_CWD, S_IFLNK | 0777},         {"exe", P_EXE, S_IFLNK | 0777},
    {"fd", P_FD, S_IFDIR | 0500},           {"maps", P_MAPS, S_IFREG | 0444},
    {"mounts", P_MOUNTS, S_IFREG | 0444},   {"root", P_ROOTLINK, S_IFLNK | 0777},
    {"stat", P_STAT, S_IFREG | 0444},       {"status", P_STATUS, S_IFREG | 0444},
    {"task", P_TASK, S_IFDIR | 0555},       {NULL, 0, 0},
};
static const struct pent tid_ents[] = {
    {"comm", P_COMM, S_IFREG | 0644},
    {"stat", P_STAT, S_IFREG | 0444},
    {"status", P_STATUS, S_IFREG | 0444},
    {"maps", P_MAPS, S_IFREG | 0444},
    {NULL, 0, 0},
};
static const struct pent sys_ents[] = {
    {"kernel", P_SYS_KERNEL, S_IFDIR | 0555},
    {"vm", P_SYS_VM, S_IFDIR | 0555},
    {NULL, 0, 0},
};
static const struct pent sys_kernel_ents[] = {
    {"hostname", P_HOSTNAME, S_IFREG | 0644},
    {"osrelease", P_OSRELEASE, S_IFREG | 0444},
    {"ostype", P_OSTYPE, S_IFREG | 0444},
    {"pid_max", P_PIDMAX, S_IFREG | 0644},
    {NULL, 0, 0},
};
static const struct pent sys_vm_ents[] = {
    {"overcommit_memory", P_OVERCOMMIT, S_IFREG | 0644},
    {"max_map_count", P_MAXMAPCOUNT, S_IFREG | 0644},
    {NULL, 0, 0},
};

static const struct pent *table_of(int kind)
{
	switch (kind) {
	case P_ROOT:
		return root_ents;
	case P_PID:
		return pid_ents;
	case P_TID:
		return tid_ents;
	case P_SYS:
		return sys_ents;
	case P_SYS_KERNEL:
		return sys_kernel_ents;
	case P_SYS_VM:
		return sys_vm_ents;
	default:
		return NULL;
	}
}

static const struct inode_ops proc_iops;
static const struct file_ops proc_file_ops;

static struct thread *main_thread(struct proc *p)
{
	struct thread *t;
	list_for_each_entry(t, &p->threads, proc_link) return t;
	return NULL;
}

static struct thread *proc_thread(struct proc *p, int tid)
{
	struct thread *t;
	list_for_each_entry(t, &p->threads, proc_link) if (t->tid == tid) return t;
	return NULL;
}

static struct inode *make(struct inode *dir, const char *name, int kind, uint32_t mode, int pid,
                          int tid, int sub)
{
	struct inode *ino = calloc(1, sizeof *ino);
	if (!ino)
		return NULL;
	/* Stable numbers: the same entry always has the same inode. */
	ino->ino = ((uint64_t)pid << 32 | (uint64_t)kind << 24 | (uint64_t)(sub & 0xffffff)) + 2;
	if (tid)
		ino->ino ^= (uint64_t)tid << 40;
	ino->mode = mode;
	ino->uid = pid ? core_cfg.uid : 0;
	ino->gid = pid ? core_cfg.gid : 0;
	ino->nlink = 1;
	ino->refs = 1;
	ino->transient = true;
	ino->sb = SB_PROC;
	ino->atime = ino->mtime = ino->ctime = plat_clock_ns(0);
	ino->iops = &proc_iops;
	ino->fops = S_ISREG(mode) ? &proc_file_ops : NULL;
	list_init(&ino->dir.entries);
	ino->kind = kind;
	ino->pid = pid;
	ino->tid = tid;
	ino->sub = sub;
	ino->name = strdup(name);
	if (!ino->name) {
		free(ino);
		return NULL;
	}
	ino->dir.parent = dir;
	inode_ref(dir);
	return ino;
}

static bool parse_num(const char *s, int *out)
{
	long v = 0;
	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > 0x7fffffff)
			return false;
	}
	*out = (int)v;
	return true;
}

static int proc_lookup(struct inode *dir, struct thread *t, const char *name, struct inode **out)
{
	const struct pent *tab = table_of(dir->kind);
	struct proc *p = NULL;
	int n;

	if (dir->pid) {
		p = proc_by_pid(dir->pid);
		if (!p)
			return -ENOENT;
	}
	for (; tab && tab->name; tab++) {
		if (!strcmp(tab->name, name)) {
			*out = make(dir, name, tab->kind, tab->mode, dir->pid, dir->tid, 0);
			return *out ? 0 : -ENOMEM;
		}
	}
	if (!parse_num(name, &n))
		return -ENOENT;
	switch (dir->kind) {
	case P_ROOT:
		if (!proc_by_pid(n)) {
			/* Threads are reachable as /proc/<tid> too (unlisted). */
			struct thread *th = thread_by_tid(n);
			if (!th)
				return -ENOENT;
			*out = make(dir, name, P_TID, S_IFDIR | 0555, th->proc->pid, n, 0);
		} else {
			*out = make(dir, name, P_PID, S_IFDIR | 0555, n, 0, 0);
		}
		break;
	case P_FD: {
		struct file *f = fd_get(p, n);
		if (!f)
			return -ENOENT;
		uint32_t mode = S_IFLNK | ((f->flags & O_ACCMODE) == O_RDONLY   ? 0500
		                           : (f->flags & O_ACCMODE) == O_WRONLY ? 0300
		                                                                : 0700);
		file_put(f);
		*out = make(dir, name, P_FDLINK, mode, dir->pid, 0, n);
		break;
	}
	case P_TASK:
		if (!proc_thread(p, n))
			return -ENOENT;
		*out = make(dir, name, P_TID, S_IFDIR | 0555, dir->pid, n, 0);
		break;
	default:
		return -ENOENT;
	}
	return *out ? 0 : -ENOMEM;
}

/* The smallest id >= from among the processes (tids: threads of p). */
static int next_id(struct proc *p, int from)
{
	int best = -1;
	if (p) {
		struct thread *th;
		list_for_each_entry(th, &p->threads,
		                    proc_link) if (th->tid >= from && (best < 0 || th->tid < best))
		    best = th->tid;
	} else {
		struct proc *q;
		list_for_each_entry(q, &all_procs,
		                    all_link) if (q->pid >= from && (best < 0 || q->pid < best))
		    best = q->pid;
	}
	return best;
}

/* Positions: 2 + index in the static table, then 2 + ntab + id for the
 * numbered entries (pids, tids, fds), so that the position survives
 * entries coming and going. */
static int proc_readdir(struct inode *dir, struct thread *t, uint64_t *pos, filldir_t fill,
                        void *ctx)
{
	const struct pent *tab = table_of(dir->kind);
	uint64_t ntab = 0;
	struct proc *p = NULL;
	char name[16];

	if (dir->pid && !(p = proc_by_pid(dir->pid)))
		return -ENOENT;
	while (tab && tab[ntab].name)
		ntab++;
	for (; *pos - 2 < ntab; (*pos)++) {
		const struct pent *e = &tab[*pos - 2];
		uint64_t ino = ((uint64_t)dir->pid << 32 | (uint64_t)e->kind << 24) + 2;
		if (!fill(ctx, e->name, strlen(e->name), ino, (e->mode & S_IFMT) >> 12, *pos + 1))
			return 0;
	}
	for (;;) {
		int64_t from = (int64_t)(*pos - 2 - ntab);
		int id;
		unsigned dtype = LX_DT_DIR;
		if (from > 0x7fffffff)
			return 0;
		if (dir->kind == P_ROOT) {
			id = next_id(NULL, (int)from);
		} else if (dir->kind == P_TASK) {
			id = next_id(p, (int)from);
		} else if (dir->kind == P_FD) {
			int n = fd_count(p);
			struct file *f = NULL;
			for (id = (int)from; id < n && !(f = fd_get(p, id)); id++)
				;
			file_put(f);
			if (id >= n)
				id = -1;
			dtype = LX_DT_LNK;
		} else {
			return 0;
		}
		if (id < 0)
			return 0;
		*pos = 2 + ntab + (uint64_t)id;
		int len = snprintf(name, sizeof name, "%d", id);
		if (!fill(ctx, name, (size_t)len, ((uint64_t)id << 32) + 1, dtype, *pos + 1))
			return 0;
		(*pos)++;
	}
}

static int proc_readlink(struct inode *ino, struct thread *t, char *buf, size_t size)
{
	struct proc *p = ino->pid ? proc_by_pid(ino->pid) : NULL;
	if (ino->pid && !p)
		return -ENOENT;
	switch (ino->kind) {
	case P_SELF:
		snprintf(buf, size, "%d", t->proc->pid);
		break;
	case P_THREAD_SELF:
		snprintf(buf, size, "%d/task/%d", t->proc->pid, t->tid);
		break;
	case P_MOUNTS_LINK:
		snprintf(buf, size, "self/mounts");
		break;
	case P_EXE:
		snprintf(buf, size, "%s", p->exe_path);
		break;
	case P_ROOTLINK:
		snprintf(buf, size, "/");
		break;
	case P_CWD: {
		struct inode *cwd = fs_cwd(p);
		int r = inode_dir_path(cwd, buf, size);
		inode_put(cwd);
		if (r < 0)
			return r;
		break;
	}
	case P_FDLINK: {
		struct file *f = fd_get(p, ino->sub);
		if (!f)
			return -ENOENT;
		file_describe(f, buf, size);
		file_put(f);
		break;
	}
	default:
		return -EINVAL;
	}
	return (int)strlen(buf);
}

static int proc_follow(struct inode *ino, struct thread *t, struct inode **out)
{
	struct proc *p = ino->pid ? proc_by_pid(ino->pid) : NULL;
	switch (ino->kind) {
	case P_EXE:
		if (!p)
			return -ENOENT;
		if (!p->exe)
			return -ENOSYS;
		*out = p->exe;
		inode_ref(*out);
		return 0;
	case P_CWD:
		if (!p)
			return -ENOENT;
		*out = fs_cwd(p);
		return 0;
	case P_FDLINK: {
		struct file *f = p ? fd_get(p, ino->sub) : NULL;
		if (!f)
			return -ENOENT;
		*out = f->ino;
		inode_ref(*out);
		file_put(f);
		return 0;
	}
	default:
		return -ENOSYS;
	}
}

/* ---- Generated files ---------------------------------------------------- */

struct sbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = sb->cap - sb->len;
		va_start(ap, fmt);
		int n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			sb->len += (size_t)n;
			return;
		}
		size_t cap = sb->cap ? sb->cap * 2 : 1024;
		while (cap < sb->len + (size_t)n + 1)
			cap *= 2;
		char *nb = realloc(sb->buf, cap);
		if (!nb) {
			sb->oom = true;
			return;
		}
		sb->buf = nb;
		sb->cap = cap;
	}
}

/* Each processor's paragraph comes from the arch layer (the format
 * differs between x86_64 and riscv64). */
static void gen_cpuinfo(struct sbuf *sb)
{
	char para[1024];
	unsigned n = plat_ncpus();
	for (unsigned i = 0; i < (n ? n : 1); i++) {
		arch_cpuinfo(para, sizeof para, i, n);
		sb_printf(sb, "%s", para);
	}
}

/* Linux's task state letter and name: a zombie, a thread waiting in a
 * call, or one running in the client. */
static char state_of(const struct proc *p, const struct thread *th, const char **name)
{
	if (p->zombie) {
		*name = "zombie";
		return 'Z';
	}
	if (p->stopped) {
		*name = "stopped";
		return 'T';
	}
	if (th && th->state == TS_PARKED) {
		*name = "sleeping";
		return 'S';
	}
	*name = "running";
	return 'R';
}

static void gen_status(struct sbuf *sb, struct proc *p, struct thread *th)
{
	const char *sname;
	char st = state_of(p, th, &sname);
	uint64_t vm = 0, rss = 0;
	if (p->mm)
		mm_usage(p->mm, &vm, &rss);
	/* Each group followed by a space, as Linux prints them. */
	size_t glen = (size_t)p->ngroups * 11 + 1, used = 0;
	char *groups = malloc(glen);
	if (groups) {
		groups[0] = 0;
		for (int i = 0; i < p->ngroups; i++)
			used += (size_t)snprintf(groups + used, glen - used, "%u ", p->groups[i]);
	}
	sb_printf(
	    sb,
	    "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
	    "PPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
	    "FDSize:\t%d\nGroups:\t%s\nVmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t       0 kB\n"
	    "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nThreads:\t%d\n"
	    "SigQ:\t0/63335\nSigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n"
	    "Cpus_allowed_list:\t0-%u\nvoluntary_ctxt_switches:\t0\n"
	    "nonvoluntary_ctxt_switches:\t0\n",
	    th ? th->comm : "", fs_umask(p, -1), st, sname, p->pid, th ? th->tid : p->pid, p->ppid,
	    p->uid, p->euid, p->suid, p->fsuid, p->gid, p->egid, p->sgid, p->fsgid,
	    fd_count(p) > 64 ? fd_count(p) : 64, groups ? groups : "", (unsigned long)(vm / 1024),
	    (unsigned long)(vm / 1024), (unsigned long)(rss * 4), (unsigned long)(rss * 4),
	    p->nthreads, (unsigned long long)(th ? th->sigpending : 0),
	    (unsigned long long)p->sigpending, (unsigned long long)(th ? th->sigmask : 0),
	    plat_ncpus() ? plat_ncpus() - 1 : 0);
	free(groups);
}

static void gen_stat(struct sbuf *sb, struct proc *p, struct thread *th)
{
	const char *sname;
	char st = state_of(p, th, &sname);
	uint64_t vm = 0, rss = 0;
	if (p->mm)
		mm_usage(p->mm, &vm, &rss);
	sb_printf(sb,
	          "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 %d 0 0 %lu %lu "
	          "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
	          th ? th->tid : p->pid, th ? th->comm : "", st, p->ppid,
	          p->pgid ? p->pgid : p->pid, p->sid ? p->sid : p->pid, p->nthreads,
	          (unsigned long)vm, (unsigned long)rss);
}

static const char proc_mounts[] = "rootfs / tmpfs rw,relatime 0 0\n"
                                  "devtmpfs /dev devtmpfs rw,nosuid,relatime,mode=755 0 0\n"
                                  "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
                                  "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n";

static int proc_generate(struct inode *ino, struct thread *t, char **buf, size_t *len)
{
	struct sbuf sb = {0};
	struct proc *p = ino->pid ? proc_by_pid(ino->pid) : NULL;
	struct thread *th = NULL;

	if (ino->pid && !p)
		return -ESRCH;
	if (p)
		th = ino->tid ? proc_thread(p, ino->tid) : main_thread(p);
	if (ino->tid && !th)
		return -ESRCH;
	switch (ino->kind) {
	case P_CPUINFO:
		gen_cpuinfo(&sb);
		break;
	case P_MEMINFO: {
		uint64_t total = (uint64_t)plat_frame_limit() * 4;
		uint64_t used = (uint64_t)plat_frames_in_use() * 4;
		uint64_t fr = total > used ? total - used : 0;
		sb_printf(
		    &sb,
		    "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n"
		    "Buffers:               0 kB\nCached:                0 kB\n"
		    "SwapCached:            0 kB\nSwapTotal:             0 kB\n"
		    "SwapFree:              0 kB\nShmem:                 0 kB\n",
		    (unsigned long)total, (unsigned long)fr, (unsigned long)fr);
		break;
	}
	case P_UPTIME: {
		uint64_t ns = plat_clock_ns(1);
		sb_printf(&sb, "%lu.%02lu %lu.%02lu\n", (unsigned long)(ns / 1000000000ull),
		          (unsigned long)(ns / 10000000ull % 100),
		          (unsigned long)(ns / 1000000000ull),
		          (unsigned long)(ns / 10000000ull % 100));
		break;
	}
	case P_VERSION:
		sb_printf(&sb, "Linux version " PROC_OSRELEASE " (persona) " UTS_VERSION "\n");
		break;
	case P_LOADAVG:
		sb_printf(&sb, "0.00 0.00 0.00 1/1 %d\n", t->proc->pid);
		break;
	case P_PERSONA: {
		/* Not a Linux file: what the server itself holds, so that a
		 * test can check that many cycles leave nothing behind. */
		unsigned long nt = 0, np = 0;
		struct thread *it;
		struct proc *ip;
		list_for_each_entry(it, &all_threads, all_link) nt++;
		list_for_each_entry(ip, &all_procs, all_link) np++;
		sb_printf(&sb, "frames %lu\nheap %lu\nthreads %lu\nprocesses %lu\n",
		          (unsigned long)plat_frames_in_use(), (unsigned long)plat_heap_in_use(),
		          nt, np);
		break;
	}
	case P_FILESYSTEMS:
		sb_printf(&sb, "nodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tpipefs\n");
		break;
	case P_OSRELEASE:
		sb_printf(&sb, PROC_OSRELEASE "\n");
		break;
	case P_OSTYPE:
		sb_printf(&sb, "Linux\n");
		break;
	case P_HOSTNAME:
		sb_printf(&sb, PROC_HOSTNAME "\n");
		break;
	case P_PIDMAX:
		sb_printf(&sb, "4194304\n");
		break;
	case P_OVERCOMMIT:
		/* Memory is committed lazily, as with Linux's heuristic mode. */
		sb_printf(&sb, "0\n");
		break;
	case P_MAXMAPCOUNT:
		sb_printf(&sb, "%d\n", MM_MAX_MAP_COUNT);
		break;
	case P_MOUNTS:
		sb_printf(&sb, "%s", proc_mounts);
		break;
	case P_CMDLINE:
		if (p->cmdline_len) {
			sb.buf = malloc(p->cmdline_len);
			if (!sb.buf)
				return -ENOMEM;
			memcpy(sb.buf, p->cmdline, p->cmdline_len);
			sb.len = sb.cap = p->cmdline_len;
		}
		break;
	case P_COMM:
		sb_printf(&sb, "%s\n", th ? th->comm : "");
		break;
	case P_STATUS:
		gen_status(&sb, p, th);
		break;
	case P_STAT:
		gen_stat(&sb, p, th);
		break;
	case P_MAPS: {
		if (!p->mm)
			break;
		int r = mm_format_maps(p->mm, p->exe_path, buf, len);
		return r;
	}
	default:
		return -EINVAL;
	}
	if (sb.oom) {
		free(sb.buf);
		return -ENOMEM;
	}
	*buf = sb.buf;
	*len = sb.len;
	return 0;
}

static void proc_destroy(struct inode *ino) {}

static const struct inode_ops proc_iops = {
    .lookup = proc_lookup,
    .readdir = proc_readdir,
    .readlink = proc_readlink,
    .follow = proc_follow,
    .generate = proc_generate,
    .destroy = proc_destroy,
};

/* Only directories answer lookup/readdir: a regular proc file or link
 * has the same iops but no table and a non-directory mode, and the path
 * walker checks S_ISDIR before asking. */

static int proc_open(struct file *f, struct thread *t)
{
	char *buf = NULL;
	size_t len = 0;
	int r = proc_generate(f->ino, t, &buf, &len);
	if (r < 0)
		return r;
	f->priv = buf;
	f->priv_len = len;
	return 0;
}

static long proc_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	if (*pos >= f->priv_len)
		return 0;
	size_t n = f->priv_len - *pos;
	if (n > len)
		n = len;
	memcpy(buf, (char *)f->priv + *pos, n);
	*pos += n;
	return (long)n;
}

/* Deliberate difference: nothing in /proc is writable here; Linux accepts
 * writes to some entries (comm, sys/kernel/hostname ...).  Permission
 * bits already gave EACCES to non-root writers. */
static long proc_write(struct file *f, struct thread *t, const void *buf, size_t len, uint64_t *pos)
{
	return -EIO;
}

static void procfile_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops proc_file_ops = {
    .open = proc_open,
    .read = proc_read,
    .write = proc_write,
    .release = procfile_release,
    .seekable = true,
};

int procfs_init(struct inode *proc)
{
	proc->iops = &proc_iops;
	proc->kind = P_ROOT;
	return 0;
}
