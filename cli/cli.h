/*
 * Shared between the files of the command-line front end.
 */
#ifndef PERSONA_CLI_H
#define PERSONA_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Print "persona: " and a formatted message on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A walk of a host directory given with --root, as the guest's /: each
 * directory, regular file and symlink (directories before what they hold;
 * the tree's own dev, proc and sys left out, since the core provides
 * them; other file types skipped).  Each callback returns 0 or a negative
 * errno; the walk stops at the first failure and says, with verb, what
 * could not be done. */
struct root_visitor {
	int (*dir)(void *ctx, const char *gpath, unsigned mode, long long mtime);
	int (*file)(void *ctx, const char *gpath, unsigned mode, long long mtime, const void *data,
	            size_t len);
	int (*symlink)(void *ctx, const char *gpath, const char *target, size_t len,
	               long long mtime);
	const char *verb; /* "cannot <verb> PATH" */
};
struct deps;
/* 0, or -1 after printing why.  With deps, what each dynamically linked
 * program of the tree needs is added too (cli_add_deps_of). */
int cli_walk_root(const char *dir, const struct root_visitor *v, void *ctx, struct deps *deps);

/* The guest filesystem of the Linux backend: the host directory root (if
 * any; its files, directories, symlinks, with their modes) under /, and
 * what the program (image, at exe_path in the guest) and the programs of
 * root need to be loaded.  0 or -1 after printing why. */
int cli_import_guest(const char *root, const void *image, size_t len, const char *exe_path);

/* ---- A dynamically linked program's loader and libraries (deps.c) ---- */
/* What is under root (may be NULL) is the guest's already; the rest goes
 * in through v->file (whose -EEXIST is fine). */
struct deps *cli_deps_new(const char *root, const struct root_visitor *v, void *ctx);
/* Add what the ELF image (whose directory in the guest is origin_dir,
 * for $ORIGIN) needs, transitively.  0, or -1 after printing why. */
int cli_add_deps(struct deps *d, const void *image, size_t len, const char *origin_dir);
/* The same for a file of --root at gpath, leaving out what cannot be
 * found (it may never run).  0, or -1 after printing why. */
int cli_add_deps_of(struct deps *d, const void *image, size_t len, const char *gpath);
void cli_deps_free(struct deps *d);
/* The directory part of an absolute path ("/" for a top-level file). */
void cli_dirname(const char *path, char *out, size_t size);

/* Read a whole host file into memory (malloc'd).  0 or a negative errno. */
int cli_read_file(int fd, void **data, size_t *len);

/* ---- A growable byte buffer (cpio.c) ---- */
struct cli_buf {
	char *data;
	size_t len, cap;
};
/* Append len bytes; 0 or -ENOMEM. */
int cli_buf_put(struct cli_buf *b, const void *data, size_t len);
/* Append zeros up to a multiple of align (at most 16). */
int cli_buf_pad(struct cli_buf *b, size_t align);
void cli_buf_free(struct cli_buf *b);

/* ---- newc cpio archives (cpio.c): the seL4 guest's filesystem ---- */
struct cpio {
	struct cli_buf *out;
	unsigned ino;
	char **names; /* entries written so far, for cpio_add_parents */
	size_t nnames, capnames;
};
/* One entry: gpath is a guest path ("/bin/x" is stored as "bin/x"), mode
 * holds the file type bits; data is a file's content or a symlink's
 * target.  0 or a negative errno. */
int cpio_add(struct cpio *c, const char *gpath, unsigned mode, long long mtime, const void *data,
             size_t len);
/* A directory entry for each parent of gpath not written yet. */
int cpio_add_parents(struct cpio *c, const char *gpath);
/* The contents of the host directory dir, as the guest's / (without its
 * dev, proc and sys, like cli_import_guest), and with deps what its
 * programs need.  0 or -1 after printing why. */
int cpio_add_tree(struct cpio *c, const char *dir, struct deps *deps);
/* The trailer; frees what the writer kept.  0 or a negative errno. */
int cpio_finish(struct cpio *c);

/* ---- The seL4 backend, host side (sel4.c) ---- */
struct sel4_opts {
	const char *root;    /* --root DIR or NULL */
	unsigned timeout;    /* seconds, 0: none */
	unsigned memory_mib; /* QEMU's -m */
	bool verbose;        /* show the kernel's boot messages on stderr */
};
/* persona run --backend sel4: build the image, boot it in QEMU, stream
 * the console; returns persona's exit status. */
int sel4_run(const struct sel4_opts *o, int argc, char **argv);
/* persona image -o FILE [--root DIR] [--env NAME=VALUE]... PROGRAM [ARGS...] */
int sel4_image_cmd(int argc, char **argv);
/* Exit status for a Linux wait status, after saying how prog was killed
 * (main.c; shared by both backends). */
int cli_report_status(const char *prog, int status);
/* Like a shell: a name with a '/' is a path, any other is looked up in
 * PATH.  0 and the path in buf, or the exit status after printing why
 * (main.c). */
int cli_find_program(const char *name, char *buf, size_t size);
/* The program to run and the name the guest knows it by (exe, in
 * /proc/self/exe): with a root DIR, an absolute name is first looked for
 * inside DIR, as the guest would see it; else as cli_find_program. */
int cli_find_guest_program(const char *root, const char *name, char *path, char *exe, size_t size);

#endif
