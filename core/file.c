/*
 * Open files (struct file: an inode, an operations table, flags and a
 * position, shared between fd tables after fork/dup), fd tables (one per
 * process or CLONE_FILES group, reference counted) and fs contexts (cwd
 * and umask).  Also the operations of tmpfs files and directories.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "task.h"
#include "vfs.h"

struct fd_entry {
	struct file *f;
	bool cloexec;
};

struct fdtable {
	int refs;
	int size; /* entries allocated */
	struct fd_entry *fd;
};

struct fs_context {
	int refs;
	struct inode *cwd;
	uint32_t umask;
};

/* ---- Files -------------------------------------------------------------- */

struct file *file_alloc(struct inode *ino, const struct file_ops *ops, unsigned flags)
{
	struct file *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->refs = 1;
	f->ops = ops;
	f->ino = ino;
	inode_ref(ino);
	f->flags = flags;
	return f;
}

void file_get(struct file *f)
{
	f->refs++;
}

void file_put(struct file *f)
{
	if (!f || --f->refs > 0)
		return;
	if (f->epitems)
		epoll_file_released(f);
	if (f->ino->locks)
		locks_file_released(f);
	if (f->ops->release)
		f->ops->release(f);
	inode_put(f->ino);
	free(f->path);
	free(f);
}

/* Flags open() keeps in the file (F_GETFL shows them). */
#define KEPT_FLAGS                                                                                 \
	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | O_LARGEFILE |           \
	 O_NOATIME | LX_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_ASYNC)

int file_open_inode(struct thread *t, struct inode *ino, unsigned flags, const char *path,
                    struct file **out)
{
	const struct file_ops *ops;
	unsigned kept = flags & KEPT_FLAGS;
	int r;

	/* Linux reports O_LARGEFILE on 64-bit for every open(). */
	kept |= O_LARGEFILE;
	if (flags & LX_O_PATH) {
		kept = LX_O_PATH | (flags & (O_DIRECTORY | O_NOFOLLOW));
		ops = &path_file_ops;
	} else if (ino->fops) {
		ops = ino->fops;
	} else if (S_ISDIR(ino->mode)) {
		ops = &tmpfs_dir_ops;
	} else {
		ops = &tmpfs_file_ops;
	}
	struct file *f = file_alloc(ino, ops, kept & ~(unsigned)(O_DIRECTORY | O_NOFOLLOW));
	if (!f)
		return -ENOMEM;
	f->path = path ? strdup(path) : NULL;
	if (path && !f->path) {
		file_put(f);
		return -ENOMEM;
	}
	if (ops->open && !(flags & LX_O_PATH)) {
		r = ops->open(f, t);
		if (r < 0) {
			f->ops = &path_file_ops; /* nothing to release */
			file_put(f);
			return r;
		}
	}
	*out = f;
	return 0;
}

long file_read(struct thread *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	if (!file_readable(f))
		return -EBADF;
	if (!f->ops->read)
		return -EINVAL;
	return f->ops->read(f, t, buf, len, pos);
}

long file_write(struct thread *t, struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	if (!file_writable(f))
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	return f->ops->write(f, t, buf, len, pos);
}

unsigned file_poll(struct file *f, struct waitq **wq)
{
	*wq = NULL;
	if (f->ops->poll)
		return f->ops->poll(f, wq);
	/* Regular files and directories are always ready. */
	return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

void file_describe(struct file *f, char *buf, size_t size)
{
	if (f->ops->describe)
		f->ops->describe(f, buf, size);
	else if (f->ops->anon_name)
		snprintf(buf, size, "anon_inode:[%s]", f->ops->anon_name);
	else if (f->path && f->path[0])
		snprintf(buf, size, "%s%s", f->path,
		         f->ino->nlink || f->ino->transient ? "" : " (deleted)");
	else
		snprintf(buf, size, "anon_inode:[%lu]", (unsigned long)f->ino->ino);
}

/* ---- tmpfs files ---------------------------------------------------------- */

static long tmpfs_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	long r = inode_read(f->ino, buf, len, *pos);
	if (r > 0)
		*pos += (uint64_t)r;
	return r;
}

static long tmpfs_write(struct file *f, struct thread *t, const void *buf, size_t len,
                        uint64_t *pos)
{
	long r;
	if (f->flags & O_APPEND)
		*pos = f->ino->size;
	r = inode_write(f->ino, buf, len, *pos);
	if (r > 0) {
		*pos += (uint64_t)r;
		/* Writing clears set-user-ID / set-group-ID, as Linux does
		 * for an unprivileged writer. */
		if (!capable(LX_CAP_FSETID))
			f->ino->mode &= ~(uint32_t)(S_ISUID | S_ISGID);
	}
	return r;
}

const struct file_ops tmpfs_file_ops = {
    .read = tmpfs_read,
    .write = tmpfs_write,
    .seekable = true,
};

static long dir_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	return -EISDIR;
}

const struct file_ops tmpfs_dir_ops = {
    .read = dir_read,
    .seekable = true,
};

/* O_PATH: a handle on a name; reads and writes fail with EBADF. */
const struct file_ops path_file_ops = {
    .seekable = false,
};

/* ---- fd tables -------------------------------------------------------------- */

struct fdtable *fdtable_create(void)
{
	struct fdtable *fdt = calloc(1, sizeof *fdt);
	if (fdt)
		fdt->refs = 1;
	return fdt;
}

static int fdt_grow(struct fdtable *fdt, int need)
{
	if (need <= fdt->size)
		return 0;
	int n = fdt->size ? fdt->size : 64;
	while (n < need)
		n *= 2;
	struct fd_entry *e = realloc(fdt->fd, (size_t)n * sizeof *e);
	if (!e)
		return -ENOMEM;
	memset(e + fdt->size, 0, (size_t)(n - fdt->size) * sizeof *e);
	fdt->fd = e;
	fdt->size = n;
	return 0;
}

struct fdtable *fdtable_clone(struct fdtable *src)
{
	struct fdtable *fdt = fdtable_create();
	if (!fdt || !src)
		return fdt;
	if (fdt_grow(fdt, src->size) < 0) {
		free(fdt);
		return NULL;
	}
	for (int i = 0; i < src->size; i++) {
		fdt->fd[i] = src->fd[i];
		if (fdt->fd[i].f)
			file_get(fdt->fd[i].f);
	}
	return fdt;
}

void fdtable_get(struct fdtable *fdt)
{
	fdt->refs++;
}

/* An fd of fdt no longer holds f: the table's POSIX locks on the file go
 * (Linux's close rule), then the reference. */
static void fd_drop(struct fdtable *fdt, struct file *f)
{
	if (f && f->ino->locks)
		locks_fd_closed(f, fdt);
	file_put(f);
}

const void *fd_owner(struct proc *p)
{
	return p->fds;
}

void fdtable_put(struct fdtable *fdt)
{
	if (!fdt || --fdt->refs > 0)
		return;
	for (int i = 0; i < fdt->size; i++)
		fd_drop(fdt, fdt->fd[i].f);
	free(fdt->fd);
	free(fdt);
}

unsigned fd_limit(struct proc *p)
{
	uint64_t lim = p->rlim[LX_RLIMIT_NOFILE].cur;
	if (lim == 0)
		lim = LX_NOFILE_DEFAULT;
	/* Linux's nr_open ceiling. */
	return lim > 1048576 ? 1048576 : (unsigned)lim;
}

struct file *fd_get(struct proc *p, int fd)
{
	struct fdtable *fdt = p->fds;
	if (!fdt || fd < 0 || fd >= fdt->size || !fdt->fd[fd].f)
		return NULL;
	file_get(fdt->fd[fd].f);
	return fdt->fd[fd].f;
}

struct file *fd_get_nopath(struct proc *p, int fd)
{
	struct file *f = fd_get(p, fd);
	if (f && (f->flags & LX_O_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

int fd_get_inode(struct proc *p, int fd, struct inode **out)
{
	struct file *f = fd_get(p, fd);
	if (!f)
		return -EBADF;
	*out = f->ino;
	inode_ref(*out);
	file_put(f);
	return 0;
}

int fd_install(struct proc *p, struct file *f, int min, bool cloexec)
{
	struct fdtable *fdt = p->fds;
	int lim = (int)fd_limit(p);
	for (int fd = min < 0 ? 0 : min; fd < lim; fd++) {
		if (fd >= fdt->size && fdt_grow(fdt, fd + 1) < 0)
			return -ENOMEM;
		if (!fdt->fd[fd].f) {
			fdt->fd[fd].f = f;
			fdt->fd[fd].cloexec = cloexec;
			return fd;
		}
	}
	return -EMFILE;
}

int fd_install_new(struct proc *p, struct file *f, bool cloexec)
{
	int fd = fd_install(p, f, 0, cloexec);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* dup2 / dup3: replace whatever fd held. */
int fd_install_at(struct proc *p, struct file *f, int fd, bool cloexec)
{
	struct fdtable *fdt = p->fds;
	if (fd < 0 || (unsigned)fd >= fd_limit(p))
		return -EBADF;
	if (fdt_grow(fdt, fd + 1) < 0)
		return -ENOMEM;
	struct file *old = fdt->fd[fd].f;
	fdt->fd[fd].f = f;
	fdt->fd[fd].cloexec = cloexec;
	fd_drop(fdt, old);
	return fd;
}

int fd_close(struct proc *p, int fd)
{
	struct fdtable *fdt = p->fds;
	if (!fdt || fd < 0 || fd >= fdt->size || !fdt->fd[fd].f)
		return -EBADF;
	struct file *f = fdt->fd[fd].f;
	fdt->fd[fd].f = NULL;
	fdt->fd[fd].cloexec = false;
	fd_drop(fdt, f);
	return 0;
}

int fd_get_cloexec(struct proc *p, int fd)
{
	struct fdtable *fdt = p->fds;
	if (fd < 0 || fd >= fdt->size || !fdt->fd[fd].f)
		return -EBADF;
	return fdt->fd[fd].cloexec;
}

int fd_set_cloexec(struct proc *p, int fd, bool on)
{
	struct fdtable *fdt = p->fds;
	if (fd < 0 || fd >= fdt->size || !fdt->fd[fd].f)
		return -EBADF;
	fdt->fd[fd].cloexec = on;
	return 0;
}

int fd_count(struct proc *p)
{
	struct fdtable *fdt = p->fds;
	int n = fdt ? fdt->size : 0;
	while (n > 0 && !fdt->fd[n - 1].f)
		n--;
	return n;
}

int fdtable_install_console(struct fdtable *fdt)
{
	int r = fdt_grow(fdt, 3);
	if (r < 0)
		return r;
	for (int i = 0; i < 3; i++) {
		struct inode *ino = console_inode(i);
		if (!ino)
			return -ENOMEM;
		/* A terminal is open for reading and writing on all three, as
		 * a login shell leaves it; otherwise each stream is one-way. */
		unsigned acc = (ino->mode & S_IFMT) == S_IFCHR ? O_RDWR
		               : i == 0                        ? O_RDONLY
		                                               : O_WRONLY;
		struct file *f = file_alloc(ino, &console_ops, acc | O_LARGEFILE);
		if (!f)
			return -ENOMEM;
		f->priv = (void *)(uintptr_t)i;
		file_put(fdt->fd[i].f);
		fdt->fd[i].f = f;
		fdt->fd[i].cloexec = false;
	}
	return 0;
}

/* ---- fs contexts ------------------------------------------------------------ */

struct fs_context *fs_context_create(void)
{
	struct fs_context *fs = calloc(1, sizeof *fs);
	if (!fs)
		return NULL;
	fs->refs = 1;
	fs->cwd = vfs_root;
	if (fs->cwd)
		inode_ref(fs->cwd);
	fs->umask = 022;
	return fs;
}

struct fs_context *fs_context_clone(struct fs_context *src)
{
	struct fs_context *fs = fs_context_create();
	if (!fs || !src)
		return fs;
	inode_put(fs->cwd);
	fs->cwd = src->cwd;
	if (fs->cwd)
		inode_ref(fs->cwd);
	fs->umask = src->umask;
	return fs;
}

void fs_context_get(struct fs_context *fs)
{
	fs->refs++;
}

void fs_context_put(struct fs_context *fs)
{
	if (!fs || --fs->refs > 0)
		return;
	inode_put(fs->cwd);
	free(fs);
}

/* A referenced cwd. */
struct inode *fs_cwd(struct proc *p)
{
	struct inode *ino = p->fs && p->fs->cwd ? p->fs->cwd : vfs_root;
	inode_ref(ino);
	return ino;
}

void fs_set_cwd(struct proc *p, struct inode *dir)
{
	inode_ref(dir);
	inode_put(p->fs->cwd);
	p->fs->cwd = dir;
}

/* The umask; set >= 0 replaces it (the old value is returned). */
uint32_t fs_umask(struct proc *p, int set)
{
	if (!p->fs)
		return 022;
	uint32_t old = p->fs->umask;
	if (set >= 0)
		p->fs->umask = (uint32_t)set & 0777;
	return old;
}

/* ---- mmap ---------------------------------------------------------------- */

int fd_get_kind(struct proc *p, int fd, const struct file_ops *ops, int wrong, struct file **out)
{
	struct file *f = fd_get_nopath(p, fd);
	if (!f)
		return -EBADF;
	if (f->ops != ops) {
		file_put(f);
		return wrong;
	}
	*out = f;
	return 0;
}

struct file *anon_file_new(const struct file_ops *ops, unsigned flags, size_t priv_size)
{
	struct inode *ino = inode_new(SB_ANON, 0600);
	void *priv = calloc(1, priv_size);
	struct file *f = ino && priv ? file_alloc(ino, ops, flags) : NULL;
	inode_put(ino);
	if (!f) {
		free(priv);
		return NULL;
	}
	f->priv = priv;
	return f;
}

int fd_inode_for_mmap(struct proc *p, int fd, int prot, int flags, struct inode **out)
{
	struct file *f = fd_get(p, fd);
	int r = 0;
	if (!f)
		return -EBADF;
	if (f->flags & LX_O_PATH)
		r = -EBADF;
	else if (!S_ISREG(f->ino->mode) || f->ino->iops || f->ops != &tmpfs_file_ops)
		r = -ENODEV;
	else if (!file_readable(f))
		r = -EACCES;
	else if ((flags & 0x0f) == 0x01 /* MAP_SHARED */ && (prot & PLAT_PROT_WRITE) &&
	         !file_writable(f))
		r = -EACCES;
	if (r == 0) {
		inode_set_map_name(f->ino, f->path);
		inode_ref(f->ino);
		*out = f->ino;
	}
	file_put(f);
	return r;
}

/* ---- stat --------------------------------------------------------------------- */

void vfs_fill_stat(struct inode *ino, struct lx_stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = (uint64_t)ino->sb;
	st->st_ino = ino->ino;
	st->st_nlink = ino->transient ? (S_ISDIR(ino->mode) ? 2 : 1) : ino->nlink;
	st->st_mode = ino->mode;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = ino->rdev;
	st->st_size =
	    S_ISREG(ino->mode) || S_ISLNK(ino->mode) || S_ISDIR(ino->mode) ? (int64_t)ino->size : 0;
	st->st_blksize = 4096;
	uint64_t pages = 0;
	pages = pm_count(&ino->reg.pages);
	st->st_blocks = (int64_t)(pages * 8);
	st->st_atime_sec = ino->atime / 1000000000ull;
	st->st_atime_nsec = ino->atime % 1000000000ull;
	st->st_mtime_sec = ino->mtime / 1000000000ull;
	st->st_mtime_nsec = ino->mtime % 1000000000ull;
	st->st_ctime_sec = ino->ctime / 1000000000ull;
	st->st_ctime_nsec = ino->ctime % 1000000000ull;
}

int fdtable_unshare(struct proc *p)
{
	if (!p->fds || p->fds->refs == 1)
		return 0;
	struct fdtable *n = fdtable_clone(p->fds);
	if (!n)
		return -ENOMEM;
	fdtable_put(p->fds);
	p->fds = n;
	return 0;
}

void fdtable_close_on_exec(struct proc *p)
{
	struct fdtable *fdt = p->fds;
	for (int fd = 0; fdt && fd < fdt->size; fd++)
		if (fdt->fd[fd].f && fdt->fd[fd].cloexec)
			fd_close(p, fd);
}
