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

/* ---- A host directory tree ------------------------------------------------------------------ */
static int pack_dir(void *ctx, const char *gpath, unsigned mode, long long mtime)
{
	return cpio_add(ctx, gpath, S_IFDIR | mode, mtime, NULL, 0);
}

static int pack_file(void *ctx, const char *gpath, unsigned mode, long long mtime, const void *data,
                     size_t len)
{
	return cpio_add(ctx, gpath, S_IFREG | mode, mtime, data, len);
}

static int pack_symlink(void *ctx, const char *gpath, const char *target, size_t len,
                        long long mtime)
{
	/* newc stores a symlink's target as its data, without a NUL */
	return cpio_add(ctx, gpath, S_IFLNK | 0777, mtime, target, len);
}

int cpio_add_tree(struct cpio *c, const char *dir, struct deps *deps)
{
	static const struct root_visitor packer = {pack_dir, pack_file, pack_symlink, "pack"};
	return cli_walk_root(dir, &packer, c, deps);
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
