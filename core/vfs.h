/*
 * Files: the inode layer (tmpfs, devfs, procfs), path resolution, open
 * files, fd tables, pipes.  What other modules need of it is here.
 */
#ifndef PERSONA_VFS_H
#define PERSONA_VFS_H

#include "kernel.h"

/* ---- Setting up the guest's filesystem (used by the front end) -------------
 * Paths are absolute guest paths; missing parents are created. */
int vfs_init(void); /* empty / with /tmp, /dev, /proc */
int vfs_add_dir(const char *path, uint32_t mode);
int vfs_add_file(const char *path, uint32_t mode, const void *data, size_t len);
int vfs_add_symlink(const char *path, const char *target);
/* A regular inode not linked anywhere, holding a copy of data (for the
 * program given on the command line).  Returns a referenced inode. */
/* The path /proc/N/maps shows for ino's mappings, if it has none yet (the
 * path the file was opened by, as Linux's d_path at the time). */
void inode_set_map_name(struct inode *ino, const char *path);
/* That path (NULL if none), with the device and inode numbers stat shows. */
const char *inode_map_name(const struct inode *ino, unsigned *dev, unsigned long *inum);
struct inode *vfs_anon_file(const void *data, size_t len, uint32_t mode);
/* The first program's file, at path in the guest's tree (as on Linux,
 * /proc/self/exe then names a file that is there): the file already at
 * path, or a new one holding data (parents made as needed), or an unnamed
 * one if path cannot be had.  Referenced; NULL if out of memory. */
struct inode *vfs_add_program(const char *path, const void *data, size_t len);
/* The memory behind a MAP_SHARED|MAP_ANONYMOUS mapping: an unnamed file of
 * size bytes (zeros), shared by fork. */
struct inode *vfs_anon_shared(uint64_t size);

/* ---- Inodes as mm sees them ------------------------------------------------ */
void inode_ref(struct inode *ino);
void inode_put(struct inode *ino);
uint64_t inode_size(struct inode *ino);
/* The frame that holds page pgoff of a regular file, with a reference the
 * caller must drop.  Holes and pages past the end: a zero-filled frame is
 * allocated and inserted if create, else *out = FRAME_NONE.  -ENOMEM, or
 * -ENODEV if the inode cannot be mapped. */
int inode_get_page(struct inode *ino, uint64_t pgoff, bool create, frame_t *out);
/* Read from a regular file's content (elf.c reads headers with this). */
long inode_read(struct inode *ino, void *buf, size_t len, uint64_t off);

/* ---- Per-process state ------------------------------------------------------- */
struct fdtable *fdtable_create(void);               /* empty */
struct fdtable *fdtable_clone(struct fdtable *src); /* fork: share files */
void fdtable_put(struct fdtable *fdt);              /* closes everything at last ref */
void fdtable_get(struct fdtable *fdt);              /* CLONE_FILES */
/* execve: a table of p's own if it shares one (-ENOMEM), then the
 * close-on-exec descriptors closed. */
int fdtable_unshare(struct proc *p);
void fdtable_close_on_exec(struct proc *p);
/* Path limits and *at() flags execve needs too (the same on every arch). */
#define LX_PATH_MAX 4096
#define LX_AT_FDCWD (-100)
#define LX_AT_SYMLINK_NOFOLLOW 0x100
#define LX_AT_EMPTY_PATH 0x1000
/* execve's lookup: the referenced regular file at path (AT_* flags) that
 * the caller may execute, and in abs the name /proc/<pid>/exe shows.
 * -ENOENT, -EACCES (not a regular file, no x bit), -ELOOP... */
int vfs_open_exec(struct thread *t, int dirfd, const char *path, int atflags, struct inode **out,
                  char *abs, size_t abs_size);
/* Install the console as fds 0, 1, 2. */
int fdtable_install_console(struct fdtable *fdt);
struct fs_context *fs_context_create(void); /* cwd /, umask 022 */
struct fs_context *fs_context_clone(struct fs_context *src);
void fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);

/* For mmap: the inode behind fd with a reference, after checking that the
 * file may be mapped with prot/flags (-EBADF, -EACCES, -ENODEV). */
int fd_inode_for_mmap(struct proc *p, int fd, int prot, int flags, struct inode **out);

/* The event loop calls this on EV_CONSOLE. */
void console_input_ready(void);
/* The process group a terminal signal (^C on the console) goes to. */
int console_foreground_pgrp(void);
/* Whether a program took the console for job control (TIOCSPGRP). */
bool console_job_control(void);

#endif
