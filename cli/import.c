/*
 * `persona run --root DIR`: the guest's filesystem starts as a copy of a
 * host directory.  Everything is copied into the core's tmpfs when the
 * server starts, so whatever the client writes never reaches DIR.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "vfs.h"

int cli_read_file(int fd, void **data, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	size_t cap = st.st_size > 0 ? (size_t)st.st_size : 4096, n = 0;
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			/* The file grew while we read it. */
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* The core owns /dev and /proc (and there is no /sys): a root file
 * system's own copies of them are left out. */
static bool skipped_top(const char *name)
{
	return !strcmp(name, "dev") || !strcmp(name, "proc") || !strcmp(name, "sys");
}

struct walk {
	const struct root_visitor *v;
	void *ctx;
	struct deps *deps;
};

static int walk_entry(const struct walk *w, int dirfd, const char *name, const char *gpath);

static int walk_dir(const struct walk *w, int fd, const char *gpath)
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
		if (!strcmp(gpath, "/") && skipped_top(de->d_name))
			continue;
		if (snprintf(child, sizeof child, "%s%s%s", gpath, strcmp(gpath, "/") ? "/" : "",
		             de->d_name) >= (int)sizeof child) {
			cli_error("--root: path too long under %s", gpath);
			r = -1;
			break;
		}
		if (walk_entry(w, dirfd(d), de->d_name, child) < 0) {
			r = -1;
			break;
		}
	}
	closedir(d);
	return r;
}

static int walk_entry(const struct walk *w, int dirfd, const char *name, const char *gpath)
{
	const struct root_visitor *v = w->v;
	void *ctx = w->ctx;
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
		target[n] = 0;
		r = v->symlink(ctx, gpath, target, (size_t)n, st.st_mtime);
	} else if (S_ISDIR(st.st_mode)) {
		r = v->dir(ctx, gpath, st.st_mode & 07777, st.st_mtime);
		if (r == 0) {
			int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0) {
				cli_error("--root: cannot open %s (%s)", gpath, strerror(errno));
				return -1;
			}
			return walk_dir(w, fd, gpath);
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
		r = v->file(ctx, gpath, st.st_mode & 07777, st.st_mtime, data, len);
		/* A dynamically linked program of the tree may be run by
		 * another: what it needs comes along (if the host has it). */
		if (r == 0 && w->deps && cli_add_deps_of(w->deps, data, len, gpath) < 0)
			r = -ENOMEM;
		free(data);
	} else {
		/* Device nodes, fifos and sockets of a host tree mean nothing
		 * in the guest. */
		return 0;
	}
	if (r < 0) {
		cli_error("--root: cannot %s %s (%s)", v->verb, gpath, strerror(-r));
		return -1;
	}
	return 0;
}

int cli_walk_root(const char *dir, const struct root_visitor *v, void *ctx, struct deps *deps)
{
	const struct walk w = {v, ctx, deps};
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		cli_error("--root %s: %s", dir,
		          errno == ENOTDIR ? "not a directory" : strerror(errno));
		return -1;
	}
	return walk_dir(&w, fd, "/");
}

/* ---- Into the core's tmpfs (the Linux backend) ---- */
static int import_dir(void *ctx, const char *gpath, unsigned mode, long long mtime)
{
	int r = vfs_add_dir(gpath, mode);
	return r == -EEXIST ? 0 : r; /* /tmp and the like: the core made them already */
}

static int import_file(void *ctx, const char *gpath, unsigned mode, long long mtime,
                       const void *data, size_t len)
{
	return vfs_add_file(gpath, mode, data, len);
}

static int import_symlink(void *ctx, const char *gpath, const char *target, size_t len,
                          long long mtime)
{
	return vfs_add_symlink(gpath, target);
}

static const struct root_visitor importer = {import_dir, import_file, import_symlink,
                                             "create in the guest"};

/* The directory part of an absolute path, "/" for a top-level file. */
void cli_dirname(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s", path);
	char *slash = strrchr(out, '/');
	if (slash)
		*(slash == out ? slash + 1 : slash) = 0;
}

int cli_import_guest(const char *root, const void *image, size_t len, const char *exe_path)
{
	char dir[PATH_MAX];
	struct deps *d = cli_deps_new(root, &importer, NULL);
	if (!d) {
		cli_error("out of memory");
		return -1;
	}
	int r = root ? cli_walk_root(root, &importer, NULL, d) : 0;
	cli_dirname(exe_path, dir, sizeof dir);
	if (r == 0)
		r = cli_add_deps(d, image, len, dir);
	cli_deps_free(d);
	return r;
}
