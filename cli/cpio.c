/*
 * A writer of "newc" cpio archives (the format of Linux initramfs images,
 * `cpio -H newc`), in memory.  The seL4 backend hands the guest its whole
 * filesystem this way: the program and the --root directory, packed on the
 * host and unpacked by the root task into the core's tmpfs.
 *
 * Each entry is a 110-byte ASCII header (magic 070701 and thirteen 8-digit
 * hex fields), the NUL-terminated name padded to a multiple of 4, then the
 * data padded to a multiple of 4; the archive ends with the entry
 * "TRAILER!!!".  Names are relative to the guest's / ("bin/busybox"), and
 * a directory always comes before what it holds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_buf_put(struct cli_buf *b, const void *data, size_t len)
{
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		char *nd = realloc(b->data, cap);
		if (!nd)
			return -ENOMEM;
		b->data = nd;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int cli_buf_pad(struct cli_buf *b, size_t align)
{
	static const char zeros[16];
	size_t n = (align - b->len % align) % align;
	return n <= sizeof zeros ? cli_buf_put(b, zeros, n) : -EINVAL;
}

void cli_buf_free(struct cli_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Remember a name, so that cpio_add_parents does not emit it twice. */
static int remember(struct cpio *c, const char *name)
{
	if (c->nnames == c->capnames) {
		size_t n = c->capnames ? c->capnames * 2 : 64;
		char **nn = realloc(c->names, n * sizeof *nn);
		if (!nn)
			return -ENOMEM;
		c->names = nn;
		c->capnames = n;
	}
	c->names[c->nnames] = strdup(name);
	if (!c->names[c->nnames])
		return -ENOMEM;
	c->nnames++;
	return 0;
}

static bool known(const struct cpio *c, const char *name)
{
	for (size_t i = 0; i < c->nnames; i++)
		if (!strcmp(c->names[i], name))
			return true;
	return false;
}

/* Guest paths are written without their leading '/' (and "/" itself is
 * never an entry: the root task's / exists already). */
static const char *relative(const char *gpath)
{
	while (*gpath == '/')
		gpath++;
	return gpath;
}

int cpio_add(struct cpio *c, const char *gpath, unsigned mode, long long mtime, const void *data,
             size_t len)
{
	const char *name = relative(gpath);
	size_t namesize = strlen(name) + 1;
	char hdr[111];
	int r;

	if (!*name)
		return 0;
	if (len > 0xffffffffu || namesize > 0xffffffffu)
		return -EFBIG;
	if (mtime < 0 || mtime > 0xffffffffLL)
		mtime = 0;
	/* ino counts up from 1: entries are never hard links of each
	 * other (the root task must not link files with equal numbers). */
	snprintf(hdr, sizeof hdr, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
	         ++c->ino, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, (unsigned)mtime, len, 0u, 0u, 0u,
	         0u, namesize, 0u);
	if ((r = cli_buf_put(c->out, hdr, 110)) < 0 ||
	    (r = cli_buf_put(c->out, name, namesize)) < 0 || (r = cli_buf_pad(c->out, 4)) < 0 ||
	    (r = cli_buf_put(c->out, data, len)) < 0 || (r = cli_buf_pad(c->out, 4)) < 0)
		return r;
	return remember(c, name);
}

int cpio_add_parents(struct cpio *c, const char *gpath)
{
	char dir[PATH_MAX];
	const char *name = relative(gpath);

	for (const char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
		size_t n = (size_t)(s - name);
		if (n == 0 || n >= sizeof dir)
			continue;
		memcpy(dir, name, n);
		dir[n] = 0;
		if (known(c, dir))
			continue;
		int r = cpio_add(c, dir, S_IFDIR | 0755, 0, NULL, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- A host directory tree ---------------------------------------------------------------- */
static int add_entry(struct cpio *c, int dirfd, const char *name, const char *gpath);

static int add_dir(struct cpio *c, int fd, const char *gpath)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		close(fd);
		cli_error("--root: cannot read %s (%s)", gpath, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char child[PATH_MAX];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* As cli_import_root: the core owns /dev and /proc, and there
		 * is no /sys. */
		if (!strcmp(gpath, "/") &&
		    (!strcmp(de->d_name, "dev") || !strcmp(de->d_name, "proc") ||
		     !strcmp(de->d_name, "sys")))
			continue;
		if (snprintf(child, sizeof child, "%s%s%s", gpath, strcmp(gpath, "/") ? "/" : "",
		             de->d_name) >= (int)sizeof child) {
			cli_error("--root: path too long under %s", gpath);
			r = -1;
			break;
		}
		if (add_entry(c, dirfd(d), de->d_name, child) < 0) {
			r = -1;
			break;
		}
	}
	closedir(d);
	return r;
}

static int add_entry(struct cpio *c, int dirfd, const char *name, const char *gpath)
{
	struct stat st;
	int r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		cli_error("--root: cannot stat %s (%s)", gpath, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
		if (n < 0) {
			cli_error("--root: cannot read the link %s (%s)", gpath, strerror(errno));
			return -1;
		}
		/* newc stores a symlink's target as its data, without a NUL */
		r = cpio_add(c, gpath, S_IFLNK | 0777, st.st_mtime, target, (size_t)n);
	} else if (S_ISDIR(st.st_mode)) {
		r = cpio_add(c, gpath, S_IFDIR | (st.st_mode & 07777), st.st_mtime, NULL, 0);
		if (r == 0) {
			int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0) {
				cli_error("--root: cannot open %s (%s)", gpath, strerror(errno));
				return -1;
			}
			return add_dir(c, fd, gpath);
		}
	} else if (S_ISREG(st.st_mode)) {
		void *data;
		size_t len;
		int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			cli_error("--root: cannot open %s (%s)", gpath, strerror(errno));
			return -1;
		}
		r = cli_read_file(fd, &data, &len);
		close(fd);
		if (r < 0) {
			cli_error("--root: cannot read %s (%s)", gpath, strerror(-r));
			return -1;
		}
		r = cpio_add(c, gpath, S_IFREG | (st.st_mode & 07777), st.st_mtime, data, len);
		free(data);
	} else {
		/* Device nodes, fifos and sockets of a host tree mean nothing
		 * in the guest (as with the Linux backend). */
		return 0;
	}
	if (r < 0) {
		cli_error("--root: cannot pack %s (%s)", gpath, strerror(-r));
		return -1;
	}
	return 0;
}

int cpio_add_tree(struct cpio *c, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		cli_error("--root: cannot open %s (%s)", dir, strerror(errno));
		return -1;
	}
	return add_dir(c, fd, "/");
}

int cpio_finish(struct cpio *c)
{
	int r = cpio_add(c, "TRAILER!!!", 0, 0, NULL, 0);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	c->names = NULL;
	c->nnames = c->capnames = 0;
	return r;
}
