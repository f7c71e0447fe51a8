/*
 * Extended attributes of tmpfs inodes, as Linux's tmpfs keeps them: the
 * user.*, trusted.* and security.* namespaces (system.* -- POSIX ACLs --
 * and any other prefix give EOPNOTSUPP), with xattr_permission's rules:
 * user.* only on regular files and directories (and not in someone
 * else's sticky directory), trusted.* only with CAP_SYS_ADMIN (and then
 * hidden from others' listxattr), security.* left to the (absent) LSM;
 * then the file's own read or write permission.
 *
 * An inode's attributes are a short list of name/value pairs.  Their
 * total size per inode is bounded (XATTR_INODE_MAX, ENOSPC past it, as a
 * filesystem says when an inode's attribute space is full), so a client
 * cannot grow the server's heap through them beyond what tmpfs's inode
 * limit already bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "task.h"

#define XATTR_INODE_MAX (128 * 1024)

struct xattr {
	struct xattr *next;
	size_t name_len, size;
	char *name; /* NUL-terminated, name_len bytes before the NUL */
	char value[];
};

static bool has_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

int xattr_check(struct inode *ino, const char *name, bool write)
{
	if (has_prefix(name, "security.") || has_prefix(name, "system."))
		return 0;
	if (has_prefix(name, "trusted.")) {
		if (!capable(LX_CAP_SYS_ADMIN))
			return write ? -EPERM : -ENODATA;
		return 0;
	}
	if (has_prefix(name, "user.")) {
		if (!S_ISREG(ino->mode) && !S_ISDIR(ino->mode))
			return write ? -EPERM : -ENODATA;
		if (S_ISDIR(ino->mode) && (ino->mode & S_ISVTX) && write &&
		    ino->uid != cred_fsuid() && !capable(LX_CAP_FOWNER))
			return -EPERM;
	}
	return inode_permission(ino, write ? MAY_WRITE : MAY_READ);
}

/* The namespaces tmpfs has handlers for: EOPNOTSUPP for the others, and
 * EINVAL for a bare prefix. */
static int resolve(const char *name)
{
	static const char *const ok[] = {"user.", "trusted.", "security."};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (has_prefix(name, ok[i]))
			return name[strlen(ok[i])] ? 0 : -EINVAL;
	return -EOPNOTSUPP;
}

static struct xattr **find(struct inode *ino, const char *name)
{
	struct xattr **pp;
	for (pp = &ino->xattrs; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name))
			return pp;
	return pp;
}

static size_t used(const struct inode *ino)
{
	size_t n = 0;
	for (const struct xattr *x = ino->xattrs; x; x = x->next)
		n += x->name_len + 1 + x->size;
	return n;
}

int xattr_set(struct inode *ino, const char *name, const void *value, size_t size, int flags)
{
	int r = resolve(name);
	if (r < 0)
		return r;
	struct xattr **pp = find(ino, name), *old = *pp;
	if (old && (flags & LX_XATTR_CREATE))
		return -EEXIST;
	if (!old && (flags & LX_XATTR_REPLACE))
		return -ENODATA;
	size_t name_len = strlen(name);
	size_t total = used(ino) - (old ? old->name_len + 1 + old->size : 0) + name_len + 1 + size;
	if (total > XATTR_INODE_MAX)
		return -ENOSPC;
	struct xattr *x = malloc(sizeof *x + size + name_len + 1);
	if (!x)
		return -ENOMEM;
	x->name_len = name_len;
	x->size = size;
	if (size)
		memcpy(x->value, value, size);
	x->name = x->value + size;
	memcpy(x->name, name, name_len + 1);
	x->next = old ? old->next : NULL;
	*pp = x;
	free(old);
	inode_touch(ino, false, true);
	return 0;
}

long xattr_get(struct inode *ino, const char *name, void *buf, size_t size)
{
	int r = resolve(name);
	if (r < 0)
		return r;
	struct xattr *x = *find(ino, name);
	if (!x)
		return -ENODATA;
	if (!size)
		return (long)x->size;
	if (size < x->size)
		return -ERANGE;
	if (x->size)
		memcpy(buf, x->value, x->size);
	return (long)x->size;
}

long xattr_list(struct inode *ino, char *buf, size_t size)
{
	size_t n = 0;
	bool admin = capable(LX_CAP_SYS_ADMIN);
	for (const struct xattr *x = ino->xattrs; x; x = x->next) {
		if (has_prefix(x->name, "trusted.") && !admin)
			continue;
		if (size) {
			if (n + x->name_len + 1 > size)
				return -ERANGE;
			memcpy(buf + n, x->name, x->name_len + 1);
		}
		n += x->name_len + 1;
	}
	return (long)n;
}

int xattr_remove(struct inode *ino, const char *name)
{
	int r = resolve(name);
	if (r < 0)
		return r;
	struct xattr **pp = find(ino, name), *x = *pp;
	if (!x)
		return -ENODATA;
	*pp = x->next;
	free(x);
	inode_touch(ino, false, true);
	return 0;
}

void xattr_free_all(struct inode *ino)
{
	while (ino->xattrs) {
		struct xattr *x = ino->xattrs;
		ino->xattrs = x->next;
		free(x);
	}
}
