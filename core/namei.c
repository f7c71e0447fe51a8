/*
 * Path resolution and the operations that act on names: open (with
 * O_CREAT), mkdir, unlink/rmdir, rename, symlink, link, readlink, and
 * directory reading.  All take paths already copied into the server;
 * sys_fs.c does the copying and the argument checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "task.h"

static bool is_dynamic(const struct inode *dir)
{
	return dir->iops && dir->iops->lookup;
}

void nd_release(struct nameidata *nd)
{
	inode_put(nd->dir);
	inode_put(nd->ino);
	nd->dir = nd->ino = NULL;
}

/* The directory a relative path starts from (referenced). */
static int start_dir(struct thread *t, int dirfd, const char *path, struct inode **out)
{
	struct inode *ino;
	if (path[0] == '/') {
		ino = vfs_root;
	} else if (dirfd == LX_AT_FDCWD) {
		*out = fs_cwd(t->proc); /* referenced */
		return 0;
	} else {
		int r = fd_get_inode(t->proc, dirfd, &ino);
		if (r < 0)
			return r;
		if (path[0] && !S_ISDIR(ino->mode)) {
			inode_put(ino);
			return -ENOTDIR;
		}
		*out = ino;
		return 0;
	}
	inode_ref(ino);
	*out = ino;
	return 0;
}

/* One step down from dir (no symlink following). */
static int lookup_child(struct thread *t, struct inode *dir, const char *name, struct inode **out)
{
	int r;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	r = inode_permission(dir, MAY_EXEC);
	if (r < 0)
		return r;
	if (!strcmp(name, ".")) {
		*out = dir;
	} else if (!strcmp(name, "..")) {
		if (dir == vfs_root)
			*out = dir;
		else if (dir->dir.parent)
			*out = dir->dir.parent;
		else
			return -ENOENT;
	} else if (is_dynamic(dir)) {
		return dir->iops->lookup(dir, t, name, out);
	} else {
		if (dir->nlink == 0)
			return -ENOENT; /* a removed directory has no entries */
		struct dentry *d = dir_find(dir, name);
		if (!d)
			return -ENOENT;
		*out = d->ino;
	}
	inode_ref(*out);
	return 0;
}

static int walk(struct thread *t, struct inode *start, const char *path, int lflags,
                struct nameidata *nd);

int vfs_follow(struct thread *t, struct inode *dir, struct inode *link, struct nameidata *nd,
               struct inode **out)
{
	char buf[LX_PATH_MAX];
	int r;

	if (++nd->links > LX_MAXSYMLINKS)
		return -ELOOP;
	if (link->iops && link->iops->follow) {
		r = link->iops->follow(link, t, out);
		if (r != -ENOSYS)
			return r;
	}
	if (link->iops && link->iops->readlink) {
		r = link->iops->readlink(link, t, buf, sizeof buf);
		if (r < 0)
			return r;
	} else if (link->link) {
		snprintf(buf, sizeof buf, "%s", link->link);
	} else {
		return -ENOENT;
	}
	if (!buf[0])
		return -ENOENT;

	struct nameidata sub = {.links = nd->links};
	struct inode *from = buf[0] == '/' ? vfs_root : dir;
	inode_ref(from);
	r = walk(t, from, buf, LOOKUP_FOLLOW, &sub);
	nd->links = sub.links;
	if (r < 0) {
		nd_release(&sub);
		return r;
	}
	/* The name the object was finally found under replaces ours. */
	inode_put(nd->dir);
	nd->dir = sub.dir;
	memcpy(nd->last, sub.last, sizeof nd->last);
	nd->last_type = sub.last_type;
	*out = sub.ino;
	return 0;
}

/* Split off the next component of *pp into name; false at the end. */
static int next_component(const char **pp, char *name, bool *last, bool *slash)
{
	const char *p = *pp;
	while (*p == '/')
		p++;
	const char *e = p;
	while (*e && *e != '/')
		e++;
	size_t n = (size_t)(e - p);
	if (n > LX_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, p, n);
	name[n] = 0;
	const char *rest = e;
	while (*rest == '/')
		rest++;
	*last = !*rest;
	*slash = *e == '/';
	*pp = rest;
	return 0;
}

/*
 * Walk path from start (a reference the walk consumes).  On return nd->dir
 * is the directory holding the last component and nd->last its name; with
 * LOOKUP_FOLLOW a symlink in the last place is followed (nd->dir/last then
 * name the target).  nd->ino is the object, or NULL with -ENOENT when only
 * the last component is missing (nd->dir then valid: creation).
 */
static int walk(struct thread *t, struct inode *start, const char *path, int lflags,
                struct nameidata *nd)
{
	struct inode *cur = start;
	const char *p = path;
	char name[LX_NAME_MAX + 1];
	bool last = false, slash = false;
	int r;

	nd->dir = NULL;
	nd->ino = NULL;
	nd->slash = false;
	nd->missing_last = false;
	if (!*p) {
		inode_put(cur);
		return -ENOENT;
	}
	/* "/" alone (or "///"). */
	while (*p == '/')
		p++;
	if (!*p) {
		nd->dir = cur;
		inode_ref(cur);
		nd->ino = cur;
		nd->last_type = LAST_ROOT;
		strcpy(nd->last, "/");
		nd->slash = true;
		return 0;
	}
	p = path;
	for (;;) {
		struct inode *child = NULL;
		r = next_component(&p, name, &last, &slash);
		if (r < 0)
			break;
		if (last) {
			nd->dir = cur;
			strcpy(nd->last, name);
			nd->last_type = !strcmp(name, ".")    ? LAST_DOT
			                : !strcmp(name, "..") ? LAST_DOTDOT
			                                      : LAST_NORM;
			nd->slash = slash;
			r = lookup_child(t, cur, name, &nd->ino);
			if (r < 0) {
				nd->missing_last = r == -ENOENT;
				return r;
			}
			if (S_ISLNK(nd->ino->mode) && ((lflags & LOOKUP_FOLLOW) || slash)) {
				struct inode *link = nd->ino, *target = NULL;
				nd->ino = NULL;
				r = vfs_follow(t, cur, link, nd, &target);
				inode_put(link);
				if (r < 0)
					return r == -ENOENT ? -ENOENT : r;
				nd->ino = target;
			}
			if (slash && !S_ISDIR(nd->ino->mode))
				return -ENOTDIR;
			return 0;
		}
		r = lookup_child(t, cur, name, &child);
		if (r < 0)
			break;
		if (S_ISLNK(child->mode)) {
			struct inode *target = NULL;
			struct nameidata tmp = {.links = nd->links};
			r = vfs_follow(t, cur, child, &tmp, &target);
			nd->links = tmp.links;
			inode_put(tmp.dir);
			inode_put(child);
			if (r < 0)
				break;
			child = target;
		}
		inode_put(cur);
		cur = child;
		if (!S_ISDIR(cur->mode)) {
			r = -ENOTDIR;
			break;
		}
	}
	inode_put(cur);
	return r;
}

static int resolve(struct thread *t, int dirfd, const char *path, int lflags, struct nameidata *nd)
{
	struct inode *start;
	int r;

	memset(nd, 0, sizeof *nd);
	if (!*path && !(lflags & LOOKUP_EMPTY))
		return -ENOENT;
	r = start_dir(t, dirfd, path, &start);
	if (r < 0)
		return r;
	if (!*path) {
		nd->ino = start;
		nd->last_type = LAST_DOT;
		return 0;
	}
	r = walk(t, start, path, lflags, nd);
	if (r == 0 && (lflags & LOOKUP_DIRECTORY) && !S_ISDIR(nd->ino->mode))
		r = -ENOTDIR;
	return r;
}

int vfs_lookup(struct thread *t, int dirfd, const char *path, int lflags, struct inode **out)
{
	struct nameidata nd;
	int r = resolve(t, dirfd, path, lflags, &nd);
	if (r == 0) {
		*out = nd.ino;
		nd.ino = NULL;
	}
	nd_release(&nd);
	return r;
}

int vfs_lookup_parent(struct thread *t, int dirfd, const char *path, struct nameidata *nd)
{
	int r = resolve(t, dirfd, path, 0, nd);
	/* A missing last component is what creation wants. */
	if (r == -ENOENT && nd->missing_last)
		return 0;
	if (r == -ENOTDIR && nd->dir && nd->ino && nd->slash)
		return 0; /* the caller decides (unlink("file/") ...) */
	if (r < 0)
		nd_release(nd);
	return r;
}

/* May the caller create or remove names in dir? */
static int may_modify_dir(struct inode *dir)
{
	if (is_dynamic(dir))
		return -EACCES;
	if (dir->nlink == 0)
		return -ENOENT;
	return inode_permission(dir, MAY_WRITE | MAY_EXEC);
}

/* The sticky bit: in /tmp only the owner of a name (or of the directory)
 * may remove or replace it. */
static int sticky_ok(struct inode *dir, struct inode *ino)
{
	uint32_t uid = cred_fsuid();
	if (!(dir->mode & S_ISVTX) || ino->uid == uid || dir->uid == uid || capable(LX_CAP_FOWNER))
		return 0;
	return -EPERM;
}

static int path_of(struct nameidata *nd, char **out)
{
	char buf[LX_PATH_MAX];
	int r;
	if (nd->last_type != LAST_NORM || !nd->dir)
		r = inode_dir_path(nd->ino, buf, sizeof buf);
	else {
		r = inode_dir_path(nd->dir, buf, sizeof buf);
		if (r >= 0) {
			size_t n = strlen(buf);
			snprintf(buf + n, sizeof buf - n, "%s%s", n > 1 ? "/" : "", nd->last);
		}
	}
	if (r < 0)
		buf[0] = 0;
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

/* Make name in dir.  refuse: an errno for a node the caller may not make,
 * given after the directory's own checks, as Linux's vfs_mknod does. */
static int create_file(struct thread *t, struct inode *dir, const char *name, uint32_t mode,
                       int refuse, struct inode **out)
{
	int r = may_modify_dir(dir);
	if (r < 0)
		return r == -EACCES && is_dynamic(dir) ? -ENOENT : r;
	if (refuse)
		return refuse;
	r = vfs_inode_room(dir->sb);
	if (r < 0)
		return r;
	struct inode *ino = inode_new(dir->sb, mode);
	if (!ino)
		return -ENOMEM;
	r = dir_link(dir, name, ino);
	if (r < 0) {
		inode_put(ino);
		return r;
	}
	*out = ino;
	return 0;
}

static int open_nd(struct thread *t, struct nameidata *nd, int flags, uint32_t mode,
                   struct file **out)
{
	struct inode *ino = nd->ino;
	int acc = flags & O_ACCMODE, r;
	char *path;

	if (flags & LX_O_PATH) {
		if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
			return -ENOTDIR;
	} else {
		if (S_ISLNK(ino->mode))
			return -ELOOP;
		if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
			return -ENOTDIR;
		if (S_ISDIR(ino->mode) && (acc != O_RDONLY || (flags & O_CREAT)))
			return -EISDIR;
		int mask = (acc != O_WRONLY ? MAY_READ : 0) | (acc != O_RDONLY ? MAY_WRITE : 0);
		if ((flags & O_TRUNC) && acc == O_RDONLY)
			mask |= MAY_WRITE;
		r = inode_permission(ino, mask);
		if (r < 0)
			return r;
		if (S_ISSOCK(ino->mode))
			return -ENXIO; /* a socket is connected to, not opened */
	}
	r = path_of(nd, &path);
	if (r < 0)
		return r;
	r = file_open_inode(t, ino, (unsigned)flags, path, out);
	free(path);
	if (r < 0)
		return r;
	if ((flags & O_TRUNC) && S_ISREG(ino->mode) && !ino->iops && !(flags & LX_O_PATH) &&
	    ino->size)
		inode_truncate(ino, 0);
	return 0;
}

static int open_at(struct thread *t, struct inode *start, int dirfd, const char *path, int flags,
                   uint32_t mode, int links, struct file **out)
{
	struct nameidata nd;
	int r;

	if (!(flags & O_CREAT) || (flags & LX_O_PATH)) {
		int lflags = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		memset(&nd, 0, sizeof nd);
		nd.links = links;
		if (start) {
			r = *path ? walk(t, start, path, lflags, &nd) : -ENOENT;
			if (!*path)
				inode_put(start);
		} else {
			r = resolve(t, dirfd, path, lflags, &nd);
		}
		if (r == 0 && (flags & O_DIRECTORY) && !S_ISDIR(nd.ino->mode))
			r = -ENOTDIR;
		if (r == 0)
			r = open_nd(t, &nd, flags, mode, out);
		nd_release(&nd);
		return r;
	}

	memset(&nd, 0, sizeof nd);
	nd.links = links;
	if (start) {
		r = walk(t, start, path, 0, &nd);
		if (r == -ENOENT && nd.missing_last)
			r = 0;
	} else {
		r = vfs_lookup_parent(t, dirfd, path, &nd);
	}
	if (r < 0) {
		nd_release(&nd);
		return r;
	}
	if (nd.last_type != LAST_NORM) {
		nd_release(&nd);
		return -EISDIR;
	}
	if (!nd.ino) {
		if (nd.slash) {
			r = -EISDIR;
		} else {
			uint32_t m = S_IFREG | (mode & 07777 & ~fs_umask(t->proc, -1));
			r = create_file(t, nd.dir, nd.last, m, 0, &nd.ino);
			if (r == 0) {
				/* A file one just created is opened whatever its
				 * mode says. */
				char *p = NULL;
				r = path_of(&nd, &p);
				if (r == 0)
					r = file_open_inode(t, nd.ino, (unsigned)flags, p, out);
				free(p);
			}
		}
		nd_release(&nd);
		return r;
	}
	if (flags & O_EXCL) {
		nd_release(&nd);
		return -EEXIST;
	}
	if (S_ISLNK(nd.ino->mode)) {
		if (flags & O_NOFOLLOW) {
			nd_release(&nd);
			return -ELOOP;
		}
		struct inode *link = nd.ino;
		nd.ino = NULL;
		if (++links > LX_MAXSYMLINKS) {
			r = -ELOOP;
		} else if (link->iops) {
			/* procfs links: resolve, never create. */
			struct nameidata sub = {.links = links - 1};
			struct inode *target = NULL;
			r = vfs_follow(t, nd.dir, link, &sub, &target);
			if (r == 0) {
				sub.ino = target;
				r = open_nd(t, &sub, flags & ~O_CREAT, mode, out);
			}
			nd_release(&sub);
		} else if (!link->link || !link->link[0]) {
			r = -ENOENT;
		} else {
			/* A dangling symlink with O_CREAT creates its target. */
			struct inode *from = link->link[0] == '/' ? vfs_root : nd.dir;
			inode_ref(from);
			r = open_at(t, from, 0, link->link, flags, mode, links, out);
		}
		inode_put(link);
		nd_release(&nd);
		return r;
	}
	if (nd.slash && !S_ISDIR(nd.ino->mode))
		r = -ENOTDIR;
	else
		r = open_nd(t, &nd, flags, mode, out);
	nd_release(&nd);
	return r;
}

/* O_TMPFILE: an unnamed regular file in the directory path names. */
static int open_tmpfile(struct thread *t, int dirfd, const char *path, int flags, uint32_t mode,
                        struct file **out)
{
	struct inode *dir = NULL, *ino;
	int r = vfs_lookup(t, dirfd, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir);
	if (r < 0)
		return r;
	r = may_modify_dir(dir);
	if (r == 0)
		r = vfs_inode_room(dir->sb);
	if (r == 0) {
		ino = inode_new(dir->sb, S_IFREG | (mode & 07777 & ~fs_umask(t->proc, -1)));
		if (!ino) {
			r = -ENOMEM;
		} else {
			char buf[LX_PATH_MAX], *p;
			if (inode_dir_path(dir, buf, sizeof buf) < 0)
				buf[0] = 0;
			p = buf;
			r = file_open_inode(
			    t, ino, (unsigned)flags & ~(LX_O_TMPFILE & ~O_DIRECTORY), p, out);
			inode_put(ino);
		}
	}
	inode_put(dir);
	return r;
}

int vfs_open(struct thread *t, int dirfd, const char *path, int flags, uint32_t mode,
             struct file **out)
{
	if ((flags & LX_O_TMPFILE) == LX_O_TMPFILE)
		return open_tmpfile(t, dirfd, path, flags, mode, out);
	return open_at(t, NULL, dirfd, path, flags, mode, 0, out);
}

int vfs_mkdir(struct thread *t, int dirfd, const char *path, uint32_t mode)
{
	struct nameidata nd;
	struct inode *ino;
	int r = vfs_lookup_parent(t, dirfd, path, &nd);
	if (r < 0)
		return r;
	if (nd.last_type != LAST_NORM || nd.ino) {
		r = -EEXIST;
	} else {
		int sb = nd.dir->sb;
		r = create_file(t, nd.dir, nd.last,
		                S_IFDIR | (mode & 01777 & ~fs_umask(t->proc, -1)), 0, &ino);
		if (r == 0) {
			ino->sb = sb;
			inode_put(ino);
		}
	}
	nd_release(&nd);
	return r;
}

int vfs_mknod(struct thread *t, int dirfd, const char *path, uint32_t mode, uint32_t rdev,
              struct inode **out)
{
	struct nameidata nd;
	/* A device node needs CAP_MKNOD; a whiteout (character 0:0) does not. */
	bool device = S_ISBLK(mode) || (S_ISCHR(mode) && rdev != 0);
	int refuse = device && !capable(LX_CAP_MKNOD) ? -EPERM : 0;
	int r = vfs_lookup_parent(t, dirfd, path, &nd);
	if (r < 0)
		return r;
	if (nd.last_type != LAST_NORM || nd.ino)
		r = -EEXIST;
	else if (nd.slash)
		r = -ENOENT; /* "name/" names a directory that does not exist */
	else if ((r = create_file(t, nd.dir, nd.last, mode, refuse, out)) == 0)
		(*out)->rdev = rdev;
	nd_release(&nd);
	return r;
}

int vfs_unlink(struct thread *t, int dirfd, const char *path, bool rmdir)
{
	struct nameidata nd;
	int r = vfs_lookup_parent(t, dirfd, path, &nd);
	if (r < 0)
		return r;
	if (nd.last_type != LAST_NORM) {
		r = !rmdir                        ? -EISDIR
		    : nd.last_type == LAST_DOT    ? -EINVAL
		    : nd.last_type == LAST_DOTDOT ? -ENOTEMPTY
		                                  : -EBUSY;
	} else if (!nd.ino) {
		r = -ENOENT;
	} else if (rmdir && !S_ISDIR(nd.ino->mode)) {
		r = -ENOTDIR;
	} else if (!rmdir && S_ISDIR(nd.ino->mode)) {
		r = -EISDIR;
	} else if (!rmdir && nd.slash) {
		r = -ENOTDIR;
	} else if (is_dynamic(nd.dir)) {
		r = -EPERM;
	} else if ((r = may_modify_dir(nd.dir)) < 0 || (r = sticky_ok(nd.dir, nd.ino)) < 0) {
		/* r set */
	} else if (rmdir && (nd.ino->sb != nd.dir->sb || nd.ino == vfs_root)) {
		r = -EBUSY; /* a mount point */
	} else if (rmdir && !inode_is_dir_empty(nd.ino)) {
		r = -ENOTEMPTY;
	} else {
		struct dentry *d = dir_find(nd.dir, nd.last);
		if (d)
			dir_unlink(nd.dir, d);
		r = 0;
	}
	nd_release(&nd);
	return r;
}

int vfs_symlink(struct thread *t, const char *target, int dirfd, const char *path)
{
	struct nameidata nd;
	struct inode *ino;
	int r;

	if (!*target)
		return -ENOENT;
	r = vfs_lookup_parent(t, dirfd, path, &nd);
	if (r < 0)
		return r;
	if (nd.last_type != LAST_NORM || nd.ino) {
		r = -EEXIST;
	} else if (nd.slash) {
		r = -ENOENT;
	} else {
		r = create_file(t, nd.dir, nd.last, S_IFLNK | 0777, 0, &ino);
		if (r == 0) {
			ino->link = strdup(target);
			ino->size = strlen(target);
			if (!ino->link) {
				struct dentry *d = dir_find(nd.dir, nd.last);
				if (d)
					dir_unlink(nd.dir, d);
				r = -ENOMEM;
			}
			inode_put(ino);
		}
	}
	nd_release(&nd);
	return r;
}

int vfs_link(struct thread *t, int odfd, const char *oldp, int ndfd, const char *newp, int flags)
{
	struct inode *old = NULL;
	struct nameidata nd;
	int r = vfs_lookup(t, odfd, oldp,
	                   ((flags & LX_AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0) |
	                       ((flags & LX_AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
	                   &old);
	if (r < 0)
		return r;
	r = vfs_lookup_parent(t, ndfd, newp, &nd);
	if (r < 0) {
		inode_put(old);
		return r;
	}
	if (nd.last_type != LAST_NORM || nd.ino)
		r = -EEXIST;
	else if (nd.slash)
		r = -ENOENT;
	else if (old->sb != nd.dir->sb)
		r = -EXDEV;
	else if (S_ISDIR(old->mode))
		r = -EPERM;
	else if ((r = may_modify_dir(nd.dir)) < 0)
		;
	else if (old->nlink == 0 || old->iops)
		r = -ENOENT;
	else
		r = dir_link(nd.dir, nd.last, old);
	nd_release(&nd);
	inode_put(old);
	return r;
}

int vfs_readlink(struct thread *t, int dirfd, const char *path, char *buf, size_t size)
{
	struct inode *ino = NULL;
	char tmp[LX_PATH_MAX];
	int r = vfs_lookup(t, dirfd, path, LOOKUP_EMPTY, &ino);
	if (r < 0)
		return r;
	if (!S_ISLNK(ino->mode)) {
		r = -EINVAL;
	} else if (ino->iops && ino->iops->readlink) {
		r = ino->iops->readlink(ino, t, tmp, sizeof tmp);
	} else {
		snprintf(tmp, sizeof tmp, "%s", ino->link ? ino->link : "");
		r = (int)strlen(tmp);
		ino->atime = plat_clock_ns(0);
	}
	if (r >= 0) {
		if ((size_t)r > size)
			r = (int)size;
		memcpy(buf, tmp, (size_t)r);
	}
	inode_put(ino);
	return r;
}

/* Is a an ancestor of (or equal to) b? */
static bool is_ancestor(struct inode *a, struct inode *b)
{
	for (struct inode *c = b; c; c = c->dir.parent) {
		if (c == a)
			return true;
		if (c == vfs_root)
			break;
	}
	return false;
}

static int rename_checks(struct nameidata *o, struct nameidata *n, unsigned flags)
{
	int r;
	if (o->last_type != LAST_NORM || n->last_type != LAST_NORM)
		return -EBUSY;
	if (!o->ino)
		return -ENOENT;
	if (o->dir->sb != n->dir->sb)
		return -EXDEV;
	if (is_dynamic(o->dir))
		return -EPERM;
	if (is_dynamic(n->dir))
		return -ENOENT;
	if ((r = may_modify_dir(o->dir)) < 0 || (r = may_modify_dir(n->dir)) < 0)
		return r;
	if ((r = sticky_ok(o->dir, o->ino)) < 0)
		return r;
	if (n->ino && (r = sticky_ok(n->dir, n->ino)) < 0)
		return r;
	if ((flags & LX_RENAME_EXCHANGE) && !n->ino)
		return -ENOENT;
	if ((o->slash || n->slash) && !S_ISDIR(o->ino->mode))
		return -ENOTDIR;
	if ((flags & LX_RENAME_EXCHANGE) && o->slash && !S_ISDIR(n->ino->mode))
		return -ENOTDIR;
	if (o->ino == n->ino)
		return 1; /* the same file: nothing to do */
	if ((flags & LX_RENAME_NOREPLACE) && n->ino)
		return -EEXIST;
	/* A directory cannot move inside itself. */
	if (S_ISDIR(o->ino->mode) && is_ancestor(o->ino, n->dir))
		return -EINVAL;
	if (flags & LX_RENAME_EXCHANGE) {
		if (S_ISDIR(n->ino->mode) && is_ancestor(n->ino, o->dir))
			return -EINVAL;
		return 0;
	}
	if (n->ino) {
		if (is_ancestor(n->ino, o->dir))
			return -ENOTEMPTY;
		if (S_ISDIR(o->ino->mode) && !S_ISDIR(n->ino->mode))
			return -ENOTDIR;
		if (!S_ISDIR(o->ino->mode) && S_ISDIR(n->ino->mode))
			return -EISDIR;
		if (S_ISDIR(n->ino->mode) && !inode_is_dir_empty(n->ino))
			return -ENOTEMPTY;
		if (S_ISDIR(n->ino->mode) && n->ino->sb != n->dir->sb)
			return -EBUSY;
	}
	if (S_ISDIR(o->ino->mode) && o->ino->sb != o->dir->sb)
		return -EBUSY;
	return 0;
}

int vfs_rename(struct thread *t, int odfd, const char *oldp, int ndfd, const char *newp,
               unsigned flags)
{
	struct nameidata o, n;
	int r = vfs_lookup_parent(t, odfd, oldp, &o);
	if (r < 0)
		return r;
	r = vfs_lookup_parent(t, ndfd, newp, &n);
	if (r < 0) {
		nd_release(&o);
		return r;
	}
	r = rename_checks(&o, &n, flags);
	if (r == 0) {
		struct dentry *od = dir_find(o.dir, o.last);
		struct dentry *nd = n.ino ? dir_find(n.dir, n.last) : NULL;
		if (flags & LX_RENAME_EXCHANGE) {
			/* Swap which inode each name points at. */
			struct inode *a = od->ino, *b = nd->ino;
			od->ino = b;
			nd->ino = a;
			if (S_ISDIR(a->mode) != S_ISDIR(b->mode) && o.dir != n.dir) {
				struct inode *dd = S_ISDIR(a->mode) ? n.dir : o.dir;
				struct inode *fd = S_ISDIR(a->mode) ? o.dir : n.dir;
				dd->nlink++;
				fd->nlink--;
			}
			if (S_ISDIR(a->mode))
				a->dir.parent = n.dir;
			if (S_ISDIR(b->mode))
				b->dir.parent = o.dir;
			inode_touch(o.dir, true, true);
			inode_touch(n.dir, true, true);
		} else {
			r = dir_move(o.dir, od, n.dir, n.last, nd);
		}
	} else if (r == 1) {
		r = 0;
	}
	nd_release(&o);
	nd_release(&n);
	return r;
}

/* ---- Directory reading ------------------------------------------------------ */

struct dirent_buf {
	char *buf;
	size_t size, used;
	bool is64, full;
};

static bool fill_dirent(void *ctx, const char *name, size_t namelen, uint64_t ino, unsigned dtype,
                        uint64_t next_off)
{
	struct dirent_buf *db = ctx;
	/* struct linux_dirent64: ino, off, reclen, type, name, NUL.
	 * struct linux_dirent:   ino, off, reclen, name, NUL, ..., type. */
	size_t name_off = db->is64 ? 19 : 18;
	size_t reclen = (name_off + namelen + (db->is64 ? 1 : 2) + 7) & ~(size_t)7;
	if (db->used + reclen > db->size) {
		db->full = true;
		return false;
	}
	char *p = db->buf + db->used;
	uint16_t rl = (uint16_t)reclen;
	memset(p, 0, reclen);
	memcpy(p, &ino, 8);
	memcpy(p + 8, &next_off, 8);
	memcpy(p + 16, &rl, 2);
	memcpy(p + name_off, name, namelen);
	p[db->is64 ? 18 : reclen - 1] = (char)dtype;
	db->used += reclen;
	return true;
}

long vfs_getdents(struct thread *t, struct file *f, void *buf, size_t size, bool is64)
{
	struct inode *dir = f->ino;
	struct dirent_buf db = {buf, size, 0, is64, false};

	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->nlink == 0 && !dir->transient)
		return 0; /* removed: no entries, not even . and .. */
	if (f->pos == 0) {
		if (!fill_dirent(&db, ".", 1, dir->ino, LX_DT_DIR, 1))
			goto full;
		f->pos = 1;
	}
	if (f->pos == 1) {
		struct inode *up = dir == vfs_root || !dir->dir.parent ? dir : dir->dir.parent;
		if (!fill_dirent(&db, "..", 2, up->ino, LX_DT_DIR, 2))
			goto full;
		f->pos = 2;
	}
	if (is_dynamic(dir)) {
		uint64_t pos = f->pos;
		int r = dir->iops->readdir(dir, t, &pos, fill_dirent, &db);
		f->pos = pos;
		if (r < 0 && db.used == 0)
			return r;
	} else {
		struct dentry *d;
		list_for_each_entry(d, &dir->dir.entries, link)
		{
			if (d->seq < f->pos)
				continue;
			if (!fill_dirent(&db, d->name, strlen(d->name), d->ino->ino,
			                 inode_dtype(d->ino), d->seq + 1))
				goto full;
			f->pos = d->seq + 1;
		}
	}
full:
	if (db.used == 0 && db.full)
		return -EINVAL; /* the buffer cannot hold one entry */
	dir->atime = plat_clock_ns(0);
	return (long)db.used;
}

/* ---- execve --------------------------------------------------------------- */
int vfs_open_exec(struct thread *t, int dirfd, const char *path, int atflags, struct inode **out,
                  char *abs, size_t abs_size)
{
	struct nameidata nd;
	struct inode *ino;
	int lflags = (atflags & LX_AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	int r;

	if (atflags & LX_AT_EMPTY_PATH)
		lflags |= LOOKUP_EMPTY;
	r = resolve(t, dirfd, path, lflags, &nd);
	if (r < 0) {
		nd_release(&nd);
		return r;
	}
	ino = nd.ino;
	if (S_ISLNK(ino->mode))
		r = -ELOOP; /* AT_SYMLINK_NOFOLLOW on a symlink */
	else if (!S_ISREG(ino->mode))
		r = -EACCES; /* directories, devices, fifos: Linux's may_open */
	else
		r = inode_permission(ino, 1 /* MAY_EXEC */);
	if (r < 0) {
		nd_release(&nd);
		return r;
	}

	/* The name /proc/<pid>/exe shows: where the file is, symlinks
	 * followed (the walk leaves the target's directory and name).  A
	 * program's own /proc/self/exe keeps its name. */
	char base[LX_PATH_MAX];
	if (ino == t->proc->exe) {
		snprintf(abs, abs_size, "%s", t->proc->exe_path);
	} else if (nd.dir && nd.last_type == LAST_NORM &&
	           inode_dir_path(nd.dir, base, sizeof base) == 0) {
		snprintf(abs, abs_size, "%s%s%s", base, strcmp(base, "/") ? "/" : "", nd.last);
	} else {
		snprintf(abs, abs_size, "%s", path);
	}
	nd.ino = NULL;
	nd_release(&nd);
	*out = ino;
	return 0;
}
