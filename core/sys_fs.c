/*
 * System calls on names: open/creat, the stat family, getdents, mkdir,
 * unlink, rename, links, access, chmod/chown, utimensat, statfs, and the
 * working directory.  Each copies its path(s) in (PATH_MAX, EFAULT,
 * ENAMETOOLONG), checks flags, then calls namei.c.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "task.h"

/* A client path into buf (LX_PATH_MAX bytes). */
static int get_path(struct thread *t, uint64_t uaddr, char *buf)
{
	long r = mm_strncpy_from(t->proc->mm, buf, uaddr, LX_PATH_MAX);
	return r < 0 ? (int)r : 0;
}

/* Two client paths, for the calls that name an old and a new one; the
 * first failure wins, as in Linux. */
static int get_two_paths(struct thread *t, uint64_t ua, char *a, uint64_t ub, char *b)
{
	int r = get_path(t, ua, a);
	return r < 0 ? r : get_path(t, ub, b);
}

static long do_open(struct thread *t, int dirfd, uint64_t upath, int flags, uint32_t mode)
{
	char path[LX_PATH_MAX];
	struct file *f;
	int r = get_path(t, upath, path);
	if (r < 0)
		return r;
	if ((flags & LX_O_TMPFILE) == LX_O_TMPFILE && (flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	if ((flags & LX_O_TMPFILE) == LX_O_TMPFILE && (flags & O_CREAT))
		return -EINVAL;
	r = vfs_open(t, dirfd, path, flags, mode, &f);
	return r < 0 ? r : fd_install_new(t->proc, f, flags & O_CLOEXEC);
}

long sys_open(struct thread *t, const struct sysargs *a)
{
	return do_open(t, LX_AT_FDCWD, a->a[0], (int)a->a[1], (uint32_t)a->a[2]);
}

long sys_openat(struct thread *t, const struct sysargs *a)
{
	return do_open(t, (int)a->a[0], a->a[1], (int)a->a[2], (uint32_t)a->a[3]);
}

long sys_creat(struct thread *t, const struct sysargs *a)
{
	return do_open(t, LX_AT_FDCWD, a->a[0], O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)a->a[1]);
}

/* ---- stat ------------------------------------------------------------------- */

/* The inode a stat-like call names: path from dirfd, or the fd itself for
 * AT_EMPTY_PATH with "" (and a NULL path, as Linux 6.11 allows). */
static int stat_target(struct thread *t, int dirfd, uint64_t upath, int flags, struct inode **out)
{
	char path[LX_PATH_MAX];
	int r;
	if (upath == 0 && (flags & LX_AT_EMPTY_PATH))
		path[0] = 0;
	else if ((r = get_path(t, upath, path)) < 0)
		return r;
	return vfs_lookup(t, dirfd, path,
	                  ((flags & LX_AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
	                      ((flags & LX_AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
	                  out);
}

static long stat_out(struct thread *t, struct inode *ino, uint64_t ubuf)
{
	struct lx_stat st;
	vfs_fill_stat(ino, &st);
	inode_put(ino);
	return copy_to_user(t, ubuf, &st, sizeof st) < 0 ? -EFAULT : 0;
}

static long do_fstatat(struct thread *t, int dirfd, uint64_t upath, uint64_t ubuf, int flags)
{
	struct inode *ino;
	int r;
	if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | LX_AT_NO_AUTOMOUNT))
		return -EINVAL;
	r = stat_target(t, dirfd, upath, flags, &ino);
	return r < 0 ? r : stat_out(t, ino, ubuf);
}

long sys_stat(struct thread *t, const struct sysargs *a)
{
	return do_fstatat(t, LX_AT_FDCWD, a->a[0], a->a[1], 0);
}
long sys_lstat(struct thread *t, const struct sysargs *a)
{
	return do_fstatat(t, LX_AT_FDCWD, a->a[0], a->a[1], LX_AT_SYMLINK_NOFOLLOW);
}
long sys_newfstatat(struct thread *t, const struct sysargs *a)
{
	return do_fstatat(t, (int)a->a[0], a->a[1], a->a[2], (int)a->a[3]);
}

long sys_fstat(struct thread *t, const struct sysargs *a)
{
	struct inode *ino;
	int r = fd_get_inode(t->proc, (int)a->a[0], &ino);
	return r < 0 ? r : stat_out(t, ino, a->a[1]);
}

struct lx_statx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

struct lx_statx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, spare0;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct lx_statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align, stx_dio_offset_align;
	uint64_t spare[12];
};
_Static_assert(sizeof(struct lx_statx) == 256, "struct statx is 256 bytes");

#define LX_STATX_BASIC_STATS 0x7ffU
#define LX_STATX_RESERVED 0x80000000U

long sys_statx(struct thread *t, const struct sysargs *a)
{
	int dirfd = (int)a->a[0], flags = (int)a->a[2];
	unsigned mask = (unsigned)a->a[3];
	struct lx_statx sx;
	struct lx_stat st;
	struct inode *ino;
	int r;

	if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | LX_AT_NO_AUTOMOUNT |
	              LX_AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & LX_AT_STATX_SYNC_TYPE) == LX_AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & LX_STATX_RESERVED)
		return -EINVAL;
	r = stat_target(t, dirfd, a->a[1], flags, &ino);
	if (r < 0)
		return r;
	vfs_fill_stat(ino, &st);
	inode_put(ino);
	memset(&sx, 0, sizeof sx);
	sx.stx_mask = LX_STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (uint64_t)st.st_size;
	sx.stx_blocks = (uint64_t)st.st_blocks;
	sx.stx_atime =
	    (struct lx_statx_ts){(int64_t)st.st_atime_sec, (uint32_t)st.st_atime_nsec, 0};
	sx.stx_mtime =
	    (struct lx_statx_ts){(int64_t)st.st_mtime_sec, (uint32_t)st.st_mtime_nsec, 0};
	sx.stx_ctime =
	    (struct lx_statx_ts){(int64_t)st.st_ctime_sec, (uint32_t)st.st_ctime_nsec, 0};
	sx.stx_rdev_major = (uint32_t)(st.st_rdev >> 8);
	sx.stx_rdev_minor = (uint32_t)(st.st_rdev & 0xff);
	sx.stx_dev_major = 0;
	sx.stx_dev_minor = (uint32_t)st.st_dev;
	sx.stx_mnt_id = st.st_dev;
	return copy_to_user(t, a->a[4], &sx, sizeof sx) < 0 ? -EFAULT : 0;
}

/* ---- Directories ------------------------------------------------------------- */

static long do_getdents(struct thread *t, const struct sysargs *a, bool is64)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	size_t count = (size_t)(unsigned)a->a[2];
	long r;
	if (!f)
		return -EBADF;
	if (!S_ISDIR(f->ino->mode)) {
		file_put(f);
		return -ENOTDIR;
	}
	if (count > 65536)
		count = 65536;
	char *buf = malloc(count ? count : 1);
	if (!buf) {
		file_put(f);
		return -ENOMEM;
	}
	uint64_t saved = f->pos;
	r = vfs_getdents(t, f, buf, count, is64);
	if (r > 0 && copy_to_user(t, a->a[1], buf, (size_t)r) < 0) {
		f->pos = saved; /* nothing was delivered */
		r = -EFAULT;
	}
	free(buf);
	file_put(f);
	return r;
}

long sys_getdents64(struct thread *t, const struct sysargs *a)
{
	return do_getdents(t, a, true);
}
long sys_getdents(struct thread *t, const struct sysargs *a)
{
	return do_getdents(t, a, false);
}

static long do_mkdirat(struct thread *t, int dirfd, uint64_t upath, uint32_t mode)
{
	char path[LX_PATH_MAX];
	int r = get_path(t, upath, path);
	return r < 0 ? r : vfs_mkdir(t, dirfd, path, mode);
}

long sys_mkdir(struct thread *t, const struct sysargs *a)
{
	return do_mkdirat(t, LX_AT_FDCWD, a->a[0], (uint32_t)a->a[1]);
}
long sys_mkdirat(struct thread *t, const struct sysargs *a)
{
	return do_mkdirat(t, (int)a->a[0], a->a[1], (uint32_t)a->a[2]);
}

/* mknod(2): regular files, FIFOs, socket names and device nodes (with
 * CAP_MKNOD; the devices of /dev open, other numbers give ENXIO).  Linux's
 * order: the kind of node, then the name, then the right to make a device
 * (vfs_mknod). */
static long do_mknodat(struct thread *t, int dirfd, uint64_t upath, uint32_t mode, uint32_t dev)
{
	char path[LX_PATH_MAX];
	struct inode *ino;
	uint32_t type = mode & S_IFMT;
	int r = get_path(t, upath, path);
	if (r < 0)
		return r;
	if (type == S_IFDIR)
		return -EPERM;
	if (type == 0)
		type = S_IFREG;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
	    type != S_IFSOCK)
		return -EINVAL;
	mode = type | (mode & 07777 & ~fs_umask(t->proc, -1));
	bool device = type == S_IFCHR || type == S_IFBLK;
	r = vfs_mknod(t, dirfd, path, mode, device ? dev : 0, &ino);
	if (r < 0)
		return r;
	if (device) {
		devfs_bind_node(ino);
	} else if (type == S_IFIFO) {
		ino->fops = &pipe_open_ops;
	}
	inode_put(ino);
	return 0;
}

long sys_mknod(struct thread *t, const struct sysargs *a)
{
	return do_mknodat(t, LX_AT_FDCWD, a->a[0], (uint32_t)a->a[1], (uint32_t)a->a[2]);
}
long sys_mknodat(struct thread *t, const struct sysargs *a)
{
	return do_mknodat(t, (int)a->a[0], a->a[1], (uint32_t)a->a[2], (uint32_t)a->a[3]);
}

static long do_unlinkat(struct thread *t, int dirfd, uint64_t upath, int flags)
{
	char path[LX_PATH_MAX];
	int r;
	if (flags & ~LX_AT_REMOVEDIR)
		return -EINVAL;
	r = get_path(t, upath, path);
	return r < 0 ? r : vfs_unlink(t, dirfd, path, flags & LX_AT_REMOVEDIR);
}

long sys_unlink(struct thread *t, const struct sysargs *a)
{
	return do_unlinkat(t, LX_AT_FDCWD, a->a[0], 0);
}
long sys_rmdir(struct thread *t, const struct sysargs *a)
{
	return do_unlinkat(t, LX_AT_FDCWD, a->a[0], LX_AT_REMOVEDIR);
}
long sys_unlinkat(struct thread *t, const struct sysargs *a)
{
	return do_unlinkat(t, (int)a->a[0], a->a[1], (int)a->a[2]);
}

static long do_renameat2(struct thread *t, int odfd, uint64_t uold, int ndfd, uint64_t unew,
                         unsigned flags)
{
	char oldp[LX_PATH_MAX], newp[LX_PATH_MAX];
	int r;
	/* LX_RENAME_WHITEOUT is for overlay filesystems: not offered. */
	if (flags & ~(LX_RENAME_NOREPLACE | LX_RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & LX_RENAME_NOREPLACE) && (flags & LX_RENAME_EXCHANGE))
		return -EINVAL;
	if ((r = get_two_paths(t, uold, oldp, unew, newp)) < 0)
		return r;
	return vfs_rename(t, odfd, oldp, ndfd, newp, flags);
}

long sys_rename(struct thread *t, const struct sysargs *a)
{
	return do_renameat2(t, LX_AT_FDCWD, a->a[0], LX_AT_FDCWD, a->a[1], 0);
}
long sys_renameat(struct thread *t, const struct sysargs *a)
{
	return do_renameat2(t, (int)a->a[0], a->a[1], (int)a->a[2], a->a[3], 0);
}
long sys_renameat2(struct thread *t, const struct sysargs *a)
{
	return do_renameat2(t, (int)a->a[0], a->a[1], (int)a->a[2], a->a[3], (unsigned)a->a[4]);
}

static long do_symlinkat(struct thread *t, uint64_t utarget, int dirfd, uint64_t upath)
{
	char target[LX_PATH_MAX], path[LX_PATH_MAX];
	int r;
	if ((r = get_two_paths(t, utarget, target, upath, path)) < 0)
		return r;
	return vfs_symlink(t, target, dirfd, path);
}

long sys_symlink(struct thread *t, const struct sysargs *a)
{
	return do_symlinkat(t, a->a[0], LX_AT_FDCWD, a->a[1]);
}
long sys_symlinkat(struct thread *t, const struct sysargs *a)
{
	return do_symlinkat(t, a->a[0], (int)a->a[1], a->a[2]);
}

static long do_linkat(struct thread *t, int odfd, uint64_t uold, int ndfd, uint64_t unew, int flags)
{
	char oldp[LX_PATH_MAX], newp[LX_PATH_MAX];
	int r;
	if (flags & ~(LX_AT_SYMLINK_FOLLOW | LX_AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = get_two_paths(t, uold, oldp, unew, newp)) < 0)
		return r;
	return vfs_link(t, odfd, oldp, ndfd, newp, flags);
}

long sys_link(struct thread *t, const struct sysargs *a)
{
	return do_linkat(t, LX_AT_FDCWD, a->a[0], LX_AT_FDCWD, a->a[1], 0);
}
long sys_linkat(struct thread *t, const struct sysargs *a)
{
	return do_linkat(t, (int)a->a[0], a->a[1], (int)a->a[2], a->a[3], (int)a->a[4]);
}

static long do_readlinkat(struct thread *t, int dirfd, uint64_t upath, uint64_t ubuf, int size)
{
	char path[LX_PATH_MAX], buf[LX_PATH_MAX];
	int r;
	if (size <= 0)
		return -EINVAL;
	r = get_path(t, upath, path);
	if (r < 0)
		return r;
	r = vfs_readlink(t, dirfd, path, buf,
	                 (size_t)size < sizeof buf ? (size_t)size : sizeof buf);
	if (r > 0 && copy_to_user(t, ubuf, buf, (size_t)r) < 0)
		return -EFAULT;
	return r;
}

long sys_readlink(struct thread *t, const struct sysargs *a)
{
	return do_readlinkat(t, LX_AT_FDCWD, a->a[0], a->a[1], (int)a->a[2]);
}
long sys_readlinkat(struct thread *t, const struct sysargs *a)
{
	return do_readlinkat(t, (int)a->a[0], a->a[1], a->a[2], (int)a->a[3]);
}

/* ---- Permissions and attributes ------------------------------------------- */

static long do_faccessat(struct thread *t, int dirfd, uint64_t upath, int mode, int flags)
{
	struct inode *ino;
	int r;
	if (mode & ~7)
		return -EINVAL;
	if (flags & ~(LX_AT_EACCESS | LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
		return -EINVAL;
	r = stat_target(t, dirfd, upath, flags, &ino);
	if (r < 0)
		return r;
	/* Asked as the real user unless AT_EACCESS. */
	struct cred_ids saved;
	if (!(flags & LX_AT_EACCESS))
		cred_access_begin(t->proc, &saved);
	r = mode ? inode_permission(ino, mode) : 0;
	if (!(flags & LX_AT_EACCESS))
		cred_restore(t->proc, &saved);
	inode_put(ino);
	return r;
}

long sys_access(struct thread *t, const struct sysargs *a)
{
	return do_faccessat(t, LX_AT_FDCWD, a->a[0], (int)a->a[1], 0);
}
long sys_faccessat(struct thread *t, const struct sysargs *a)
{
	return do_faccessat(t, (int)a->a[0], a->a[1], (int)a->a[2], 0);
}
long sys_faccessat2(struct thread *t, const struct sysargs *a)
{
	return do_faccessat(t, (int)a->a[0], a->a[1], (int)a->a[2], (int)a->a[3]);
}

static bool owner_or_root(struct inode *ino)
{
	return ino->uid == cred_fsuid() || capable(LX_CAP_FOWNER);
}

static long chmod_inode(struct inode *ino, uint32_t mode)
{
	if (!owner_or_root(ino))
		return -EPERM;
	if (ino->iops && ino->sb == SB_PROC)
		return -EPERM; /* procfs modes are fixed */
	/* Linux's setattr_prepare: set-group-ID only for a member of the
	 * file's group (or with CAP_FSETID). */
	if ((mode & S_ISGID) && !cred_in_group(ino->gid) && !capable(LX_CAP_FSETID))
		mode &= ~(uint32_t)S_ISGID;
	ino->mode = (ino->mode & S_IFMT) | (mode & 07777);
	inode_touch(ino, false, true);
	return 0;
}

long sys_fchmod(struct thread *t, const struct sysargs *a)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	long r;
	if (!f)
		return -EBADF;
	r = chmod_inode(f->ino, (uint32_t)a->a[1]);
	file_put(f);
	return r;
}

static long do_fchmodat(struct thread *t, int dirfd, uint64_t upath, uint32_t mode)
{
	struct inode *ino;
	int r = stat_target(t, dirfd, upath, 0, &ino);
	if (r < 0)
		return r;
	r = (int)chmod_inode(ino, mode);
	inode_put(ino);
	return r;
}

long sys_chmod(struct thread *t, const struct sysargs *a)
{
	return do_fchmodat(t, LX_AT_FDCWD, a->a[0], (uint32_t)a->a[1]);
}
long sys_fchmodat(struct thread *t, const struct sysargs *a)
{
	return do_fchmodat(t, (int)a->a[0], a->a[1], (uint32_t)a->a[2]);
}

static long chown_inode(struct inode *ino, uint32_t uid, uint32_t gid)
{
	if (!capable(LX_CAP_CHOWN)) {
		/* An unprivileged owner may only "change" to itself and to one
		 * of its groups. */
		if (uid != (uint32_t)-1 && uid != ino->uid)
			return -EPERM;
		if (ino->uid != cred_fsuid() && (uid != (uint32_t)-1 || gid != (uint32_t)-1))
			return -EPERM;
		if (gid != (uint32_t)-1 && gid != ino->gid && !cred_in_group(gid))
			return -EPERM;
	}
	if (ino->sb == SB_PROC && ino->iops)
		return -EPERM;
	if (uid != (uint32_t)-1)
		ino->uid = uid;
	if (gid != (uint32_t)-1)
		ino->gid = gid;
	if (!S_ISDIR(ino->mode) && (uid != (uint32_t)-1 || gid != (uint32_t)-1))
		ino->mode &= ~(uint32_t)(S_ISUID | ((ino->mode & S_IXGRP) ? S_ISGID : 0));
	inode_touch(ino, false, true);
	return 0;
}

long sys_fchown(struct thread *t, const struct sysargs *a)
{
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	long r;
	if (!f)
		return -EBADF;
	r = chown_inode(f->ino, (uint32_t)a->a[1], (uint32_t)a->a[2]);
	file_put(f);
	return r;
}

static long do_fchownat(struct thread *t, int dirfd, uint64_t upath, uint32_t uid, uint32_t gid,
                        int flags)
{
	struct inode *ino;
	int r;
	if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
		return -EINVAL;
	r = stat_target(t, dirfd, upath, flags, &ino);
	if (r < 0)
		return r;
	r = (int)chown_inode(ino, uid, gid);
	inode_put(ino);
	return r;
}

long sys_chown(struct thread *t, const struct sysargs *a)
{
	return do_fchownat(t, LX_AT_FDCWD, a->a[0], (uint32_t)a->a[1], (uint32_t)a->a[2], 0);
}
long sys_lchown(struct thread *t, const struct sysargs *a)
{
	return do_fchownat(t, LX_AT_FDCWD, a->a[0], (uint32_t)a->a[1], (uint32_t)a->a[2],
	                   LX_AT_SYMLINK_NOFOLLOW);
}
long sys_fchownat(struct thread *t, const struct sysargs *a)
{
	return do_fchownat(t, (int)a->a[0], a->a[1], (uint32_t)a->a[2], (uint32_t)a->a[3],
	                   (int)a->a[4]);
}

#define LX_UTIME_NOW ((1L << 30) - 1)
#define LX_UTIME_OMIT ((1L << 30) - 2)

/* Set a file's access and modification times: ts holds two timespecs
 * (UTIME_NOW and UTIME_OMIT allowed, already checked), or is NULL for
 * "now" for both.  upath 0 names the file dirfd refers to (futimens). */
static long set_times(struct thread *t, int dirfd, uint64_t upath, const int64_t *ts, int flags)
{
	bool now_both = !ts || (ts[1] == LX_UTIME_NOW && ts[3] == LX_UTIME_NOW);
	struct inode *ino;
	int r;

	if (ts && ts[1] == LX_UTIME_OMIT && ts[3] == LX_UTIME_OMIT)
		return 0;
	if (upath == 0) {
		/* No path: the file fd refers to (futimens), which Linux takes
		 * with fdget(), so an O_PATH fd is EBADF; AT_FDCWD is no file
		 * and the missing path then faults. */
		if (dirfd == LX_AT_FDCWD)
			return -EFAULT;
		if (flags & LX_AT_SYMLINK_NOFOLLOW)
			return -EINVAL;
		struct file *f = fd_get_nopath(t->proc, dirfd);
		if (!f)
			return -EBADF;
		ino = f->ino;
		inode_ref(ino);
		file_put(f);
		r = 0;
	} else {
		r = stat_target(t, dirfd, upath, flags, &ino);
	}
	if (r < 0)
		return r;
	/* Setting "now" needs write access or ownership; explicit times need
	 * ownership. */
	if (!owner_or_root(ino) && (!now_both || inode_permission(ino, 2) < 0))
		r = now_both ? -EACCES : -EPERM;
	else if (ino->sb == SB_PROC && ino->iops)
		r = -EPERM;
	else
		r = 0;
	if (r == 0) {
		uint64_t now = plat_clock_ns(0);
		for (int i = 0; i < 2; i++) {
			uint64_t v = now;
			if (ts) {
				int64_t ns = ts[i * 2 + 1];
				if (ns == LX_UTIME_OMIT)
					continue;
				if (ns != LX_UTIME_NOW)
					v = (uint64_t)ts[i * 2] * 1000000000ull + (uint64_t)ns;
			}
			if (i == 0)
				ino->atime = v;
			else
				ino->mtime = v;
		}
		ino->ctime = now;
	}
	inode_put(ino);
	return r;
}

long sys_utimensat(struct thread *t, const struct sysargs *a)
{
	int flags = (int)a->a[3];
	int64_t ts[4]; /* two struct timespec */

	/* Linux's order: the times are read, two UTIME_OMITs end the call
	 * before anything else is looked at, then the checks. */
	if (a->a[2]) {
		if (copy_from_user(t, ts, a->a[2], sizeof ts) < 0)
			return -EFAULT;
		if (ts[1] == LX_UTIME_OMIT && ts[3] == LX_UTIME_OMIT)
			return 0;
		for (int i = 0; i < 2; i++) {
			int64_t ns = ts[i * 2 + 1];
			if (ns != LX_UTIME_NOW && ns != LX_UTIME_OMIT && (ns < 0 || ns > 999999999))
				return -EINVAL;
		}
	}
	if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
		return -EINVAL;
	return set_times(t, (int)a->a[0], a->a[1], a->a[2] ? ts : NULL, flags);
}

/* futimesat and utimes: two struct timeval, whole microseconds. */
static long set_times_tv(struct thread *t, int dirfd, uint64_t upath, uint64_t utv)
{
	int64_t tv[4], ts[4];
	if (!utv)
		return set_times(t, dirfd, upath, NULL, 0);
	if (copy_from_user(t, tv, utv, sizeof tv) < 0)
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i * 2 + 1] < 0 || tv[i * 2 + 1] >= 1000000)
			return -EINVAL;
		ts[i * 2] = tv[i * 2];
		ts[i * 2 + 1] = tv[i * 2 + 1] * 1000;
	}
	return set_times(t, dirfd, upath, ts, 0);
}

long sys_futimesat(struct thread *t, const struct sysargs *a)
{
	return set_times_tv(t, (int)a->a[0], a->a[1], a->a[2]);
}

long sys_utimes(struct thread *t, const struct sysargs *a)
{
	return set_times_tv(t, LX_AT_FDCWD, a->a[0], a->a[1]);
}

/* utime(path, struct utimbuf {actime, modtime}): whole seconds. */
long sys_utime(struct thread *t, const struct sysargs *a)
{
	int64_t ub[2], ts[4];
	if (!a->a[1])
		return set_times(t, LX_AT_FDCWD, a->a[0], NULL, 0);
	if (copy_from_user(t, ub, a->a[1], sizeof ub) < 0)
		return -EFAULT;
	ts[0] = ub[0];
	ts[1] = 0;
	ts[2] = ub[1];
	ts[3] = 0;
	return set_times(t, LX_AT_FDCWD, a->a[0], ts, 0);
}

/* ---- Extended attributes --------------------------------------------------------------- */

/* A name from the client: ERANGE if empty or longer than XATTR_NAME_MAX. */
static int get_xattr_name(struct thread *t, uint64_t u, char name[LX_XATTR_NAME_MAX + 1])
{
	long r = mm_strncpy_from(t->proc->mm, name, u, LX_XATTR_NAME_MAX + 1);
	if (r == -ENAMETOOLONG || r == 0)
		return -ERANGE;
	return r < 0 ? (int)r : 0;
}

enum xattr_how { XA_PATH, XA_LPATH, XA_FD };

/* The file of path (following a last symlink or not) or of an fd (an
 * O_PATH one is EBADF, as Linux's fdget). */
static int xattr_target(struct thread *t, enum xattr_how how, uint64_t arg, struct inode **out)
{
	if (how == XA_FD) {
		struct file *f = fd_get_nopath(t->proc, (int)arg);
		if (!f)
			return -EBADF;
		*out = f->ino;
		inode_ref(*out);
		file_put(f);
		return 0;
	}
	return stat_target(t, LX_AT_FDCWD, arg, how == XA_LPATH ? LX_AT_SYMLINK_NOFOLLOW : 0, out);
}

/* procfs keeps no attributes: Linux finds no handler there. */
static int xattr_fs_ok(struct inode *ino)
{
	return ino->sb == SB_PROC ? -EOPNOTSUPP : 0;
}

/* The calls in Linux 6.1's order: the file, then the flags, the name, the
 * size and the value, then the permission and the namespace. */
static long do_setxattr(struct thread *t, enum xattr_how how, const struct sysargs *a)
{
	char name[LX_XATTR_NAME_MAX + 1];
	size_t size = a->a[3];
	int flags = (int)a->a[4];
	struct inode *ino;
	void *value = NULL;
	long r = xattr_target(t, how, a->a[0], &ino);
	if (r < 0)
		return r;
	if (flags & ~(LX_XATTR_CREATE | LX_XATTR_REPLACE))
		r = -EINVAL;
	else if ((r = get_xattr_name(t, a->a[1], name)) < 0)
		;
	else if (size > LX_XATTR_SIZE_MAX)
		r = -E2BIG;
	else if (size && !(value = malloc(size)))
		r = -ENOMEM;
	else if (size && copy_from_user(t, value, a->a[2], size) < 0)
		r = -EFAULT;
	else if ((r = xattr_check(ino, name, true)) == 0 && (r = xattr_fs_ok(ino)) == 0)
		r = xattr_set(ino, name, value, size, flags);
	free(value);
	inode_put(ino);
	return r;
}

static long do_getxattr(struct thread *t, enum xattr_how how, const struct sysargs *a)
{
	char name[LX_XATTR_NAME_MAX + 1];
	size_t size = a->a[3] > LX_XATTR_SIZE_MAX ? LX_XATTR_SIZE_MAX : a->a[3];
	struct inode *ino;
	char *buf = NULL;
	long r = xattr_target(t, how, a->a[0], &ino);
	if (r < 0)
		return r;
	if ((r = get_xattr_name(t, a->a[1], name)) < 0)
		;
	else if (size && !(buf = malloc(size)))
		r = -ENOMEM;
	else if ((r = xattr_check(ino, name, false)) == 0 && (r = xattr_fs_ok(ino)) == 0) {
		r = xattr_get(ino, name, buf, size);
		if (r > 0 && size && copy_to_user(t, a->a[2], buf, (size_t)r) < 0)
			r = -EFAULT;
	}
	free(buf);
	inode_put(ino);
	return r;
}

static long do_listxattr(struct thread *t, enum xattr_how how, const struct sysargs *a)
{
	size_t size = a->a[2] > LX_XATTR_SIZE_MAX ? LX_XATTR_SIZE_MAX : a->a[2];
	struct inode *ino;
	char *buf = NULL;
	long r = xattr_target(t, how, a->a[0], &ino);
	if (r < 0)
		return r;
	if (size && !(buf = malloc(size))) {
		r = -ENOMEM;
	} else {
		r = ino->sb == SB_PROC ? 0 : xattr_list(ino, buf, size);
		if (r == -ERANGE && a->a[2] >= LX_XATTR_SIZE_MAX)
			r = -E2BIG;
		if (r > 0 && size && copy_to_user(t, a->a[1], buf, (size_t)r) < 0)
			r = -EFAULT;
	}
	free(buf);
	inode_put(ino);
	return r;
}

static long do_removexattr(struct thread *t, enum xattr_how how, const struct sysargs *a)
{
	char name[LX_XATTR_NAME_MAX + 1];
	struct inode *ino;
	long r = xattr_target(t, how, a->a[0], &ino);
	if (r < 0)
		return r;
	if ((r = get_xattr_name(t, a->a[1], name)) == 0 &&
	    (r = xattr_check(ino, name, true)) == 0 && (r = xattr_fs_ok(ino)) == 0)
		r = xattr_remove(ino, name);
	inode_put(ino);
	return r;
}

long sys_setxattr(struct thread *t, const struct sysargs *a)
{
	return do_setxattr(t, XA_PATH, a);
}
long sys_lsetxattr(struct thread *t, const struct sysargs *a)
{
	return do_setxattr(t, XA_LPATH, a);
}
long sys_fsetxattr(struct thread *t, const struct sysargs *a)
{
	return do_setxattr(t, XA_FD, a);
}
long sys_getxattr(struct thread *t, const struct sysargs *a)
{
	return do_getxattr(t, XA_PATH, a);
}
long sys_lgetxattr(struct thread *t, const struct sysargs *a)
{
	return do_getxattr(t, XA_LPATH, a);
}
long sys_fgetxattr(struct thread *t, const struct sysargs *a)
{
	return do_getxattr(t, XA_FD, a);
}
long sys_listxattr(struct thread *t, const struct sysargs *a)
{
	return do_listxattr(t, XA_PATH, a);
}
long sys_llistxattr(struct thread *t, const struct sysargs *a)
{
	return do_listxattr(t, XA_LPATH, a);
}
long sys_flistxattr(struct thread *t, const struct sysargs *a)
{
	return do_listxattr(t, XA_FD, a);
}
long sys_removexattr(struct thread *t, const struct sysargs *a)
{
	return do_removexattr(t, XA_PATH, a);
}
long sys_lremovexattr(struct thread *t, const struct sysargs *a)
{
	return do_removexattr(t, XA_LPATH, a);
}
long sys_fremovexattr(struct thread *t, const struct sysargs *a)
{
	return do_removexattr(t, XA_FD, a);
}

/* ---- statfs ------------------------------------------------------------------- */

struct lx_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};

#define LX_ST_NOSUID 2
#define LX_ST_NODEV 4
#define LX_ST_NOEXEC 8
#define LX_ST_RELATIME 4096

static long statfs_out(struct thread *t, struct inode *ino, uint64_t ubuf)
{
	struct lx_statfs s;
	uint64_t total = plat_frame_limit(), used = plat_frames_in_use();
	memset(&s, 0, sizeof s);
	s.f_bsize = s.f_frsize = 4096;
	s.f_namelen = LX_NAME_MAX;
	s.f_flags = LX_ST_RELATIME;
	switch (ino->sb) {
	case SB_PROC:
		s.f_type = LX_PROC_SUPER_MAGIC;
		s.f_flags |= LX_ST_NOSUID | LX_ST_NODEV | LX_ST_NOEXEC;
		break;
	case SB_PIPE:
		s.f_type = LX_PIPEFS_MAGIC;
		break;
	default:
		s.f_type = LX_TMPFS_MAGIC;
		s.f_blocks = total;
		s.f_bfree = s.f_bavail = total > used ? total - used : 0;
		s.f_files = vfs_inode_limit();
		s.f_ffree = s.f_files > vfs_inodes_used() ? s.f_files - vfs_inodes_used() : 0;
		break;
	}
	s.f_fsid[0] = ino->sb;
	inode_put(ino);
	return copy_to_user(t, ubuf, &s, sizeof s) < 0 ? -EFAULT : 0;
}

long sys_statfs(struct thread *t, const struct sysargs *a)
{
	struct inode *ino;
	int r = stat_target(t, LX_AT_FDCWD, a->a[0], 0, &ino);
	return r < 0 ? r : statfs_out(t, ino, a->a[1]);
}

long sys_fstatfs(struct thread *t, const struct sysargs *a)
{
	struct inode *ino;
	int r = fd_get_inode(t->proc, (int)a->a[0], &ino);
	return r < 0 ? r : statfs_out(t, ino, a->a[1]);
}

/* ---- truncate ----------------------------------------------------------------- */

long sys_truncate(struct thread *t, const struct sysargs *a)
{
	struct inode *ino;
	int64_t len = (int64_t)a->a[1];
	int r;
	if (len < 0)
		return -EINVAL;
	r = stat_target(t, LX_AT_FDCWD, a->a[0], 0, &ino);
	if (r < 0)
		return r;
	if (S_ISDIR(ino->mode))
		r = -EISDIR;
	else if (!S_ISREG(ino->mode) || ino->iops)
		r = -EINVAL;
	else if ((r = inode_permission(ino, 2)) == 0)
		r = inode_truncate(ino, (uint64_t)len);
	inode_put(ino);
	return r;
}

/* ---- Working directory and umask --------------------------------------- */

long sys_getcwd(struct thread *t, const struct sysargs *a)
{
	char buf[LX_PATH_MAX];
	struct inode *cwd = fs_cwd(t->proc);
	int r = inode_dir_path(cwd, buf, sizeof buf);
	inode_put(cwd);
	if (r < 0)
		return r;
	if ((size_t)r + 1 > a->a[1])
		return -ERANGE;
	if (copy_to_user(t, a->a[0], buf, (size_t)r + 1) < 0)
		return -EFAULT;
	return r + 1;
}

static long chdir_to(struct thread *t, struct inode *ino)
{
	int r = 0;
	if (!S_ISDIR(ino->mode))
		r = -ENOTDIR;
	else if ((r = inode_permission(ino, 1)) == 0)
		fs_set_cwd(t->proc, ino);
	inode_put(ino);
	return r;
}

long sys_chdir(struct thread *t, const struct sysargs *a)
{
	struct inode *ino;
	int r = stat_target(t, LX_AT_FDCWD, a->a[0], 0, &ino);
	return r < 0 ? r : chdir_to(t, ino);
}

long sys_fchdir(struct thread *t, const struct sysargs *a)
{
	struct inode *ino;
	int r = fd_get_inode(t->proc, (int)a->a[0], &ino);
	return r < 0 ? r : chdir_to(t, ino);
}

long sys_umask(struct thread *t, const struct sysargs *a)
{
	return fs_umask(t->proc, (int)(a->a[0] & 0777));
}
