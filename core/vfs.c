/*
 * Inodes and tmpfs: directories (named entries in creation order),
 * regular files whose data lives in frames indexed by page (so that
 * MAP_SHARED mappings see the very frames read() and write() use), and
 * symlinks.  Also the guest filesystem set-up calls of vfs.h.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "mm.h"
#include "task.h"

struct inode *vfs_root;
static uint64_t ino_counter = 1;

uint64_t inode_next_ino(void)
{
	return ++ino_counter;
}

void inode_touch(struct inode *ino, bool m, bool c)
{
	uint64_t now = plat_clock_ns(0);
	if (m)
		ino->mtime = now;
	if (c || m)
		ino->ctime = now;
}

static uint64_t tmpfs_inodes;

static bool is_tmpfs(int sb)
{
	return sb == SB_ROOT || sb == SB_SHM;
}

uint64_t vfs_inode_limit(void)
{
	return plat_frame_limit() / 2;
}

uint64_t vfs_inodes_used(void)
{
	return tmpfs_inodes;
}

int vfs_inode_room(int sb)
{
	return is_tmpfs(sb) && tmpfs_inodes >= vfs_inode_limit() ? -ENOSPC : 0;
}

struct inode *inode_new(int sb, uint32_t mode)
{
	struct inode *ino = calloc(1, sizeof *ino);
	if (!ino)
		return NULL;
	if (is_tmpfs(sb)) {
		ino->counted = true;
		tmpfs_inodes++;
	}
	ino->ino = inode_next_ino();
	ino->mode = mode;
	ino->uid = cred_fsuid();
	ino->gid = cred_fsgid();
	ino->refs = 1;
	ino->sb = sb;
	ino->atime = ino->mtime = ino->ctime = plat_clock_ns(0);
	list_init(&ino->dir.entries);
	ino->dir.next_seq = 2; /* 0 and 1 are "." and ".." */
	return ino;
}

static void inode_free(struct inode *ino)
{
	if (ino->iops && ino->iops->destroy)
		ino->iops->destroy(ino);
	pm_destroy(&ino->reg.pages, frame_unref);
	if (ino->transient && ino->dir.parent)
		inode_put(ino->dir.parent);
	free(ino->link);
	free(ino->name);
	free(ino->map_name);
	xattr_free_all(ino);
	if (ino->counted)
		tmpfs_inodes--;
	free(ino);
}

void inode_set_map_name(struct inode *ino, const char *path)
{
	if (!ino->map_name && path && path[0] == '/')
		ino->map_name = strdup(path); /* NULL: shown unnamed, no worse */
}

const char *inode_map_name(const struct inode *ino, unsigned *dev, unsigned long *inum)
{
	*dev = (unsigned)ino->sb;
	*inum = (unsigned long)ino->ino;
	return ino->map_name;
}

void inode_ref(struct inode *ino)
{
	ino->refs++;
}

void inode_put(struct inode *ino)
{
	if (!ino)
		return;
	if (--ino->refs == 0 && (ino->nlink == 0 || ino->transient))
		inode_free(ino);
}

uint64_t inode_size(struct inode *ino)
{
	return ino->size;
}

unsigned inode_dtype(const struct inode *ino)
{
	return (ino->mode & S_IFMT) >> 12;
}

/* Linux's generic_permission: the owner's, the group's or the others'
 * bits, then the capabilities that override them (read and search with
 * CAP_DAC_READ_SEARCH; anything with CAP_DAC_OVERRIDE, but executing a
 * file needs some execute bit). */
int inode_permission(struct inode *ino, int mask)
{
	uint32_t m = ino->mode;
	mask &= 7;
	if (ino->uid == cred_fsuid())
		m >>= 6;
	else if (cred_in_group(ino->gid))
		m >>= 3;
	if ((m & (uint32_t)mask) == (uint32_t)mask)
		return 0;
	if (S_ISDIR(ino->mode)) {
		if (!(mask & 2) && capable(LX_CAP_DAC_READ_SEARCH))
			return 0;
		return capable(LX_CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	if ((!(mask & 1) || (ino->mode & 0111)) && capable(LX_CAP_DAC_OVERRIDE))
		return 0;
	if (mask == 4 && capable(LX_CAP_DAC_READ_SEARCH))
		return 0;
	return -EACCES;
}

/* ---- Directories ------------------------------------------------------------ */

struct dentry *dir_find(struct inode *dir, const char *name)
{
	struct dentry *d;
	list_for_each_entry(d, &dir->dir.entries, link) if (!strcmp(d->name, name)) return d;
	return NULL;
}

static struct dentry *dentry_new(const char *name, struct inode *ino)
{
	size_t n = strlen(name);
	struct dentry *d = malloc(sizeof *d + n + 1);
	if (d) {
		memcpy(d->name, name, n + 1);
		d->ino = ino;
	}
	return d;
}

/* Entry bookkeeping shared by link, unlink and rename: the directory's
 * offsets, entry count and size. */
static void dir_insert(struct inode *dir, struct dentry *d)
{
	d->seq = dir->dir.next_seq++;
	list_add_tail(&d->link, &dir->dir.entries);
	dir->dir.nentries++;
	dir->size = dir->dir.nentries * 20 + 40; /* tmpfs-like, unimportant */
}

static void dir_remove(struct inode *dir, struct dentry *d)
{
	list_del(&d->link);
	free(d);
	dir->dir.nentries--;
	dir->size = dir->dir.nentries * 20 + 40;
}

int dir_link(struct inode *dir, const char *name, struct inode *ino)
{
	struct dentry *d = dentry_new(name, ino);
	if (!d)
		return -ENOMEM;
	dir_insert(dir, d);
	ino->nlink++;
	if (S_ISDIR(ino->mode)) {
		ino->nlink++; /* its "." */
		dir->nlink++; /* its ".." */
		ino->dir.parent = dir;
	}
	inode_touch(dir, true, true);
	inode_touch(ino, false, true);
	return 0;
}

/* Remove an entry.  The inode goes when neither names nor references
 * remain. */
void dir_unlink(struct inode *dir, struct dentry *d)
{
	struct inode *ino = d->ino;
	dir_remove(dir, d);
	inode_touch(dir, true, true);
	inode_touch(ino, false, true);
	if (S_ISDIR(ino->mode)) {
		dir->nlink--;
		ino->nlink = 0;
		ino->dir.parent = NULL;
	} else {
		ino->nlink--;
	}
	if (ino->nlink == 0 && ino->refs == 0)
		inode_free(ino);
}

bool inode_is_dir_empty(struct inode *dir)
{
	return dir->dir.nentries == 0;
}

int inode_dir_path(struct inode *dir, char *buf, size_t size)
{
	/* Built backwards from the end of buf. */
	size_t pos = size;
	struct inode *cur = dir;
	if (size < 2)
		return -ERANGE;
	buf[--pos] = 0;
	while (cur != vfs_root) {
		struct inode *parent = cur->dir.parent;
		const char *name = cur->name;
		if (!parent)
			return -ENOENT;
		if (!name) {
			struct dentry *d;
			list_for_each_entry(d, &parent->dir.entries, link) if (d->ino == cur) name =
			    d->name;
			if (!name)
				return -ENOENT;
		}
		size_t n = strlen(name);
		if (pos < n + 2)
			return -ENAMETOOLONG;
		pos -= n;
		memcpy(buf + pos, name, n);
		buf[--pos] = '/';
		cur = parent;
	}
	if (pos == size - 1)
		buf[--pos] = '/';
	memmove(buf, buf + pos, size - pos);
	return (int)(size - pos - 1);
}

/* ---- Regular files -------------------------------------------------------- */

/* Largest file size: Linux's tmpfs allows more, but the page map would not
 * be cheaper for it and no program needs it (writes beyond: EFBIG). */
#define REG_MAX_SIZE (1ull << 52)

static frame_t reg_page(struct inode *ino, uint64_t pg)
{
	return pm_get(&ino->reg.pages, pg);
}

int inode_get_page(struct inode *ino, uint64_t pgoff, bool create, frame_t *out)
{
	*out = FRAME_NONE;
	if (!S_ISREG(ino->mode) || ino->iops)
		return -ENODEV;
	frame_t f = reg_page(ino, pgoff);
	if (f == FRAME_NONE) {
		if (!create)
			return 0;
		frame_t *slot =
		    pgoff < REG_MAX_SIZE / PAGE_SIZE ? pm_slot(&ino->reg.pages, pgoff) : NULL;
		if (!slot)
			return -ENOMEM;
		int r = frame_alloc_zeroed(&f);
		if (r < 0)
			return r;
		*slot = f;
	}
	frame_ref(f);
	*out = f;
	return 0;
}

long inode_read(struct inode *ino, void *buf, size_t len, uint64_t off)
{
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (off >= ino->size)
		return 0;
	if (len > ino->size - off)
		len = ino->size - off;
	size_t done = 0;
	while (done < len) {
		uint64_t o = off + done;
		size_t in = o % PAGE_SIZE, n = PAGE_SIZE - in;
		if (n > len - done)
			n = len - done;
		frame_t f = reg_page(ino, o / PAGE_SIZE);
		if (f == FRAME_NONE)
			memset((char *)buf + done, 0, n);
		else
			memcpy((char *)buf + done, (char *)frame_ptr(f) + in, n);
		done += n;
	}
	ino->atime = plat_clock_ns(0);
	return (long)done;
}

/* Write at off, allocating frames as needed.  A partial count if memory
 * ran out after some bytes, -ENOMEM if before any. */
long inode_write(struct inode *ino, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	if (len == 0)
		return 0;
	if (off + len < off || off + len > REG_MAX_SIZE)
		return -EFBIG;
	while (done < len) {
		uint64_t o = off + done;
		size_t in = o % PAGE_SIZE, n = PAGE_SIZE - in;
		if (n > len - done)
			n = len - done;
		frame_t *slot = pm_slot(&ino->reg.pages, o / PAGE_SIZE);
		if (!slot)
			break;
		if (*slot == FRAME_NONE && frame_alloc_zeroed(slot) < 0) {
			*slot = FRAME_NONE;
			break;
		}
		memcpy((char *)frame_ptr(*slot) + in, (const char *)buf + done, n);
		done += n;
	}
	if (done == 0)
		return -ENOMEM;
	if (off + done > ino->size)
		ino->size = off + done;
	inode_touch(ino, true, true);
	return (long)done;
}

/* Zero [from, to) within one page if it is present. */
static void zero_in_page(struct inode *ino, uint64_t pg, size_t from, size_t to)
{
	frame_t f = reg_page(ino, pg);
	if (f != FRAME_NONE && to > from)
		memset((char *)frame_ptr(f) + from, 0, to - from);
}

static void drop_page(struct inode *ino, uint64_t pg)
{
	if (reg_page(ino, pg) != FRAME_NONE) {
		/* A MAP_SHARED mapping may still hold the frame: it keeps its
		 * reference and the file forgets it, as Linux's truncate
		 * would unmap it (the mm module only sees new faults).  The
		 * slot exists, so pm_slot allocates nothing here. */
		frame_t *slot = pm_slot(&ino->reg.pages, pg);
		frame_unref(*slot);
		*slot = FRAME_NONE;
	}
}

void inode_punch(struct inode *ino, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	if (end < off || end > ino->size)
		end = ino->size;
	if (off >= end) {
		inode_touch(ino, true, true);
		return;
	}
	/* Partial pages at either end are zeroed; whole pages in between are
	 * dropped, visiting only those present (the range may be huge). */
	uint64_t first = (off + PAGE_SIZE - 1) / PAGE_SIZE, last = end / PAGE_SIZE;
	if (off % PAGE_SIZE) {
		uint64_t pg = off / PAGE_SIZE, pend = (pg + 1) * PAGE_SIZE;
		zero_in_page(ino, pg, off % PAGE_SIZE, (pend <= end ? pend : end) - pg * PAGE_SIZE);
	}
	if (end % PAGE_SIZE && last >= first)
		zero_in_page(ino, last, 0, end % PAGE_SIZE);
	for (uint64_t pg = pm_next_present(&ino->reg.pages, first, last); pg < last;
	     pg = pm_next_present(&ino->reg.pages, pg + 1, last))
		drop_page(ino, pg);
	inode_touch(ino, true, true);
}

int inode_truncate(struct inode *ino, uint64_t size)
{
	if (size > REG_MAX_SIZE)
		return -EFBIG;
	if (size < ino->size) {
		pm_truncate(&ino->reg.pages, (size + PAGE_SIZE - 1) / PAGE_SIZE, frame_unref);
		/* The tail of the last page must read as zeros if the file
		 * grows again. */
		if (size % PAGE_SIZE)
			zero_in_page(ino, size / PAGE_SIZE, size % PAGE_SIZE, PAGE_SIZE);
	}
	ino->size = size;
	inode_touch(ino, true, true);
	return 0;
}

long inode_seek_data(struct inode *ino, uint64_t off, bool hole)
{
	if (off >= ino->size)
		return -ENXIO;
	uint64_t pg = off / PAGE_SIZE, npg = (ino->size + PAGE_SIZE - 1) / PAGE_SIZE;
	if (!hole) {
		uint64_t d = pm_next_present(&ino->reg.pages, pg, npg);
		if (d >= npg)
			return -ENXIO;
		return d == pg ? (long)off : (long)(d * PAGE_SIZE);
	}
	/* A hole: step over present pages only (bounded by how many exist). */
	while (pg < npg && reg_page(ino, pg) != FRAME_NONE)
		pg++;
	if (pg >= npg)
		return (long)ino->size;
	return pg == off / PAGE_SIZE ? (long)off : (long)(pg * PAGE_SIZE);
}

/* ---- Setting up the guest filesystem ------------------------------------ */

/* Walk an absolute path from the root, creating missing directories. */
static int mkparents(const char *path, struct inode **dirp, char *last)
{
	struct inode *dir = vfs_root;
	const char *p = path;
	for (;;) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n > LX_NAME_MAX)
			return -ENAMETOOLONG;
		const char *rest = p + n;
		while (*rest == '/')
			rest++;
		if (!*rest) {
			if (n == 0)
				return -EEXIST; /* the root itself */
			memcpy(last, p, n);
			last[n] = 0;
			*dirp = dir;
			return 0;
		}
		char name[LX_NAME_MAX + 1];
		memcpy(name, p, n);
		name[n] = 0;
		struct dentry *d = dir_find(dir, name);
		if (d) {
			if (!S_ISDIR(d->ino->mode) || d->ino->iops)
				return -ENOTDIR;
			dir = d->ino;
		} else {
			struct inode *sub = inode_new(dir->sb, S_IFDIR | 0755);
			if (!sub)
				return -ENOMEM;
			int r = dir_link(dir, name, sub);
			sub->refs = 0;
			if (r < 0) {
				inode_free(sub);
				return r;
			}
			dir = sub;
		}
		p = rest;
	}
}

static int add_node(const char *path, struct inode *ino)
{
	struct inode *dir;
	char last[LX_NAME_MAX + 1];
	int r = mkparents(path, &dir, last);
	if (r == 0) {
		struct dentry *d = dir_find(dir, last);
		if (d) {
			/* An existing directory is fine for vfs_add_dir. */
			r = S_ISDIR(d->ino->mode) && S_ISDIR(ino->mode) ? 0 : -EEXIST;
			if (r == 0)
				d->ino->mode = ino->mode;
		} else {
			ino->sb = dir->sb;
			r = dir_link(dir, last, ino);
		}
	}
	inode_put(ino);
	return r;
}

struct inode *vfs_add_program(const char *path, const void *data, size_t len)
{
	struct inode *dir, *ino;
	char last[LX_NAME_MAX + 1];
	if (path[0] == '/' && mkparents(path, &dir, last) == 0) {
		struct dentry *d = dir_find(dir, last);
		if (d && S_ISREG(d->ino->mode) && !d->ino->iops) {
			inode_ref(d->ino);
			return d->ino; /* it is in the guest's tree already (--root) */
		}
		if (!d && (ino = vfs_anon_file(data, len, 0755))) {
			ino->sb = dir->sb;
			if (dir_link(dir, last, ino) == 0)
				return ino;
			inode_put(ino);
		}
	}
	/* Somewhere the guest cannot have a file (under /proc...): unnamed. */
	return vfs_anon_file(data, len, 0755);
}

int vfs_add_dir(const char *path, uint32_t mode)
{
	struct inode *ino = inode_new(SB_ROOT, S_IFDIR | (mode & 07777));
	return ino ? add_node(path, ino) : -ENOMEM;
}

int vfs_add_file(const char *path, uint32_t mode, const void *data, size_t len)
{
	struct inode *ino = inode_new(SB_ROOT, S_IFREG | (mode & 07777));
	if (!ino)
		return -ENOMEM;
	long w = inode_write(ino, data, len, 0);
	if (len && w != (long)len) {
		inode_put(ino);
		return w < 0 ? (int)w : -ENOMEM;
	}
	return add_node(path, ino);
}

int vfs_add_symlink(const char *path, const char *target)
{
	struct inode *ino = inode_new(SB_ROOT, S_IFLNK | 0777);
	if (!ino)
		return -ENOMEM;
	ino->link = strdup(target);
	ino->size = strlen(target);
	if (!ino->link) {
		inode_put(ino);
		return -ENOMEM;
	}
	return add_node(path, ino);
}

struct inode *vfs_anon_file(const void *data, size_t len, uint32_t mode)
{
	struct inode *ino = inode_new(SB_ANON, S_IFREG | (mode & 07777));
	if (!ino)
		return NULL;
	if (len && inode_write(ino, data, len, 0) != (long)len) {
		inode_put(ino);
		return NULL;
	}
	return ino;
}

struct inode *vfs_anon_shared(uint64_t size)
{
	struct inode *ino = inode_new(SB_ANON, S_IFREG | 0600);
	if (!ino)
		return NULL;
	if (inode_truncate(ino, size) < 0) {
		inode_put(ino);
		return NULL;
	}
	return ino;
}

static int mkdir_sb(struct inode *parent, const char *name, uint32_t mode, int sb,
                    struct inode **out)
{
	struct inode *d = inode_new(sb, S_IFDIR | mode);
	if (!d)
		return -ENOMEM;
	d->uid = d->gid = 0;
	int r = dir_link(parent, name, d);
	d->refs--;
	if (r < 0) {
		inode_free(d);
		return r;
	}
	if (out)
		*out = d;
	return 0;
}

int vfs_init(void)
{
	struct inode *dev, *proc;
	int r;

	if (vfs_root)
		return 0;
	vfs_root = inode_new(SB_ROOT, S_IFDIR | 0755);
	if (!vfs_root)
		return -ENOMEM;
	vfs_root->uid = vfs_root->gid = 0;
	vfs_root->nlink = 2; /* never freed */
	r = mkdir_sb(vfs_root, "tmp", 01777, SB_ROOT, NULL);
	if (r == 0)
		r = mkdir_sb(vfs_root, "dev", 0755, SB_DEV, &dev);
	if (r == 0)
		r = devfs_init(dev);
	if (r == 0)
		r = mkdir_sb(vfs_root, "proc", 0555, SB_PROC, &proc);
	if (r == 0)
		r = procfs_init(proc);
	return r;
}

int dir_move(struct inode *odir, struct dentry *od, struct inode *ndir, const char *name,
             struct dentry *victim)
{
	struct inode *ino = od->ino;
	struct dentry *d = dentry_new(name, ino);
	if (!d)
		return -ENOMEM;
	/* Keep ino alive while its old name goes. */
	ino->refs++;
	if (victim)
		dir_unlink(ndir, victim);
	dir_remove(odir, od);
	dir_insert(ndir, d);
	if (S_ISDIR(ino->mode)) {
		odir->nlink--;
		ndir->nlink++;
		ino->dir.parent = ndir;
	}
	inode_touch(odir, true, true);
	inode_touch(ndir, true, true);
	inode_touch(ino, false, true);
	ino->refs--;
	return 0;
}
