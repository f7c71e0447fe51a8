/*
 * What a dynamically linked program needs in the guest's tree: its
 * dynamic loader (PT_INTERP) and, transitively, the shared libraries its
 * DT_NEEDED entries name.  Each is looked for the way the loader will
 * look in the guest (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, then the
 * system directories), first under --root, then on the host; what only
 * the host has is added to the guest at the same path, so the loader
 * finds it there as it would on the host.  Files the program opens later
 * itself (dlopen, gconv modules, NSS) are not followed.
 */
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
#include "elf64.h"

#define MAX_OBJECTS 256

/* The directories Debian's loader searches when nothing else names one. */
static const char *const system_dirs[] = {
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
};

struct deps {
	const char *root; /* --root DIR or NULL */
	char interp[256]; /* the loader's file name: needed by libc, never loaded twice */
	const struct root_visitor *v;
	void *ctx;
	char *seen[MAX_OBJECTS]; /* guest paths handled */
	size_t nseen;
	bool lenient; /* a file of --root: what cannot be found is its loader's business */
};

/* A program or library image being read: every header is copied out
 * before use (the image has no alignment to rely on). */
struct elf_view {
	const unsigned char *p;
	size_t len;
	struct elf64_ehdr eh;
};

static struct elf64_phdr phdr(const struct elf_view *e, uint64_t i)
{
	struct elf64_phdr ph;
	memcpy(&ph, e->p + e->eh.phoff + i * sizeof ph, sizeof ph);
	return ph;
}

/* The file offset of a virtual address, through the PT_LOAD headers. */
static bool vaddr_off(const struct elf_view *e, uint64_t va, uint64_t *off)
{
	for (uint64_t i = 0; i < e->eh.phnum; i++) {
		struct elf64_phdr ph = phdr(e, i);
		if (ph.type == PT_LOAD && va >= ph.vaddr && va - ph.vaddr < ph.filesz) {
			*off = ph.offset + (va - ph.vaddr);
			return *off < e->len;
		}
	}
	return false;
}

/* A string of the image at off, if it is one inside the file. */
static const char *str_at(const struct elf_view *e, uint64_t off)
{
	if (off >= e->len || !memchr(e->p + off, 0, e->len - off))
		return NULL;
	return (const char *)e->p + off;
}

static bool seen(struct deps *d, const char *gpath)
{
	for (size_t i = 0; i < d->nseen; i++)
		if (!strcmp(d->seen[i], gpath))
			return true;
	return false;
}

static int visit(struct deps *d, const char *gpath);

/* Where the loader will find name: the guest path and the host file that
 * holds it (under --root, or the host's own). */
static bool find_lib(struct deps *d, const char *name, const char *dirs, char *gpath, char *host)
{
	char list[PATH_MAX * 2];
	snprintf(list, sizeof list, "%s", dirs);
	for (char *save = NULL, *dir = strtok_r(list, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			continue;
		snprintf(gpath, PATH_MAX, "%s/%s", dir, name);
		if (d->root) {
			snprintf(host, PATH_MAX, "%s%s", d->root, gpath);
			if (access(host, R_OK) == 0)
				return true;
		}
		snprintf(host, PATH_MAX, "%s", gpath);
		if (access(host, R_OK) == 0)
			return true;
	}
	return false;
}

/* dirs with $ORIGIN (and ${ORIGIN}) replaced by origin_dir. */
static void expand_origin(const char *dirs, const char *origin_dir, char *out, size_t size)
{
	size_t n = 0;
	for (const char *s = dirs; *s && n + 1 < size;) {
		size_t k = !strncmp(s, "$ORIGIN", 7) ? 7 : !strncmp(s, "${ORIGIN}", 9) ? 9 : 0;
		if (k) {
			n += (size_t)snprintf(out + n, size - n, "%s", origin_dir);
			s += k;
		} else {
			out[n++] = *s++;
		}
		if (n >= size)
			n = size - 1;
	}
	out[n] = 0;
}

static int need(struct deps *d, const char *name, const char *rpath, const char *runpath,
                const char *origin_dir)
{
	char gpath[PATH_MAX], host[PATH_MAX], dirs[PATH_MAX * 2];
	const char *llp = getenv("LD_LIBRARY_PATH");
	bool found = false;

	if (strchr(name, '/'))
		return name[0] == '/' ? visit(d, name) : 0;
	if (d->interp[0] && !strcmp(name, d->interp))
		return 0; /* the loader itself, already there */
	/* The loader's order: DT_RPATH (only without DT_RUNPATH),
	 * LD_LIBRARY_PATH, DT_RUNPATH, the system directories. */
	if (rpath && !runpath) {
		expand_origin(rpath, origin_dir, dirs, sizeof dirs);
		found = find_lib(d, name, dirs, gpath, host);
	}
	if (!found && llp)
		found = find_lib(d, name, llp, gpath, host);
	if (!found && runpath) {
		expand_origin(runpath, origin_dir, dirs, sizeof dirs);
		found = find_lib(d, name, dirs, gpath, host);
	}
	for (size_t i = 0; !found && i < sizeof system_dirs / sizeof *system_dirs; i++)
		found = find_lib(d, name, system_dirs[i], gpath, host);
	if (!found) {
		if (d->lenient)
			return 0;
		cli_error("the program needs the shared library %s, found neither under --root nor "
		          "in the host's library directories (or LD_LIBRARY_PATH)",
		          name);
		return -1;
	}
	return visit(d, gpath);
}

/* Add gpath to the guest (unless --root has it) and follow what it needs. */
static int visit(struct deps *d, const char *gpath)
{
	char host[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	bool in_root = false;
	void *data = NULL;
	size_t len = 0;
	int r = -1, fd = -1;

	if (seen(d, gpath))
		return 0;
	if (d->nseen == MAX_OBJECTS) {
		cli_error("the program needs more than %d shared objects", MAX_OBJECTS);
		return -1;
	}
	if (!(d->seen[d->nseen] = strdup(gpath))) {
		cli_error("out of memory");
		return -1;
	}
	d->nseen++;
	if (d->root) {
		snprintf(host, sizeof host, "%s%s", d->root, gpath);
		in_root = access(host, R_OK) == 0;
	}
	if (!in_root)
		snprintf(host, sizeof host, "%s", gpath);
	fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    cli_read_file(fd, &data, &len) < 0) {
		if (d->lenient) {
			r = 0;
			goto out;
		}
		cli_error("cannot read %s, which the program needs (%s)", host,
		          fd < 0 ? strerror(errno) : "not a readable file");
		goto out;
	}
	if (!in_root) {
		int a = d->v->file(d->ctx, gpath, st.st_mode & 07777, st.st_mtime, data, len);
		if (a < 0 && a != -EEXIST) {
			cli_error("cannot add %s to the guest (%s)", gpath, strerror(-a));
			goto out;
		}
	}
	cli_dirname(gpath, dir, sizeof dir);
	r = cli_add_deps(d, data, len, dir);
out:
	if (fd >= 0)
		close(fd);
	free(data);
	return r;
}

int cli_add_deps(struct deps *d, const void *image, size_t len, const char *origin_dir)
{
	struct elf_view e = {.p = image, .len = len};
	if (len < sizeof e.eh || memcmp(image, "\177ELF\2\1", 6))
		return 0; /* not ours to judge: the loader says what is wrong */
	memcpy(&e.eh, image, sizeof e.eh);
	if (e.eh.phentsize != sizeof(struct elf64_phdr) || e.eh.phoff > len ||
	    (uint64_t)e.eh.phnum * sizeof(struct elf64_phdr) > len - e.eh.phoff)
		return 0;
	const char *interp = NULL;
	uint64_t dyn_off = 0, dyn_size = 0;
	for (uint64_t i = 0; i < e.eh.phnum; i++) {
		struct elf64_phdr ph = phdr(&e, i);
		if (ph.offset > len || ph.filesz > len - ph.offset)
			continue;
		if (ph.type == PT_INTERP && ph.filesz && e.p[ph.offset + ph.filesz - 1] == 0)
			interp = (const char *)e.p + ph.offset;
		if (ph.type == PT_DYNAMIC) {
			dyn_off = ph.offset;
			dyn_size = ph.filesz;
		}
	}
	if (interp && interp[0] == '/') {
		if (!d->interp[0])
			snprintf(d->interp, sizeof d->interp, "%s", strrchr(interp, '/') + 1);
		if (visit(d, interp) < 0)
			return -1;
	}
	size_t ndyn = dyn_size / sizeof(struct elf64_dyn);
	struct elf64_dyn *dyn = ndyn ? malloc(ndyn * sizeof *dyn) : NULL;
	if (!dyn)
		return 0;
	memcpy(dyn, e.p + dyn_off, ndyn * sizeof *dyn);
	/* First the string table and the search paths, then the names. */
	uint64_t strtab = 0, strsz = 0, rpath = UINT64_MAX, runpath = UINT64_MAX;
	int r = 0;
	for (size_t k = 0; k < ndyn && dyn[k].tag != DT_NULL; k++) {
		if (dyn[k].tag == DT_STRTAB && !vaddr_off(&e, dyn[k].val, &strtab))
			goto out;
		if (dyn[k].tag == DT_STRSZ)
			strsz = dyn[k].val;
		if (dyn[k].tag == DT_RPATH)
			rpath = dyn[k].val;
		if (dyn[k].tag == DT_RUNPATH)
			runpath = dyn[k].val;
	}
	if (!strtab || !strsz || strsz > len - strtab)
		goto out;
	const char *rp = rpath < strsz ? str_at(&e, strtab + rpath) : NULL;
	const char *rn = runpath < strsz ? str_at(&e, strtab + runpath) : NULL;
	for (size_t k = 0; k < ndyn && dyn[k].tag != DT_NULL && r == 0; k++) {
		const char *name = dyn[k].tag == DT_NEEDED && dyn[k].val < strsz
		                       ? str_at(&e, strtab + dyn[k].val)
		                       : NULL;
		if (name && need(d, name, rp, rn, origin_dir) < 0)
			r = -1;
	}
out:
	free(dyn);
	return r;
}

int cli_add_deps_of(struct deps *d, const void *image, size_t len, const char *gpath)
{
	char dir[PATH_MAX];
	cli_dirname(gpath, dir, sizeof dir);
	d->lenient = true;
	int r = cli_add_deps(d, image, len, dir);
	d->lenient = false;
	return r;
}

struct deps *cli_deps_new(const char *root, const struct root_visitor *v, void *ctx)
{
	struct deps *d = calloc(1, sizeof *d);
	if (d) {
		d->root = root;
		d->v = v;
		d->ctx = ctx;
	}
	return d;
}

void cli_deps_free(struct deps *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nseen; i++)
		free(d->seen[i]);
	free(d);
}
