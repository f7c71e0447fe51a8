/*
 * Private header of the files module (vfs.c, namei.c, file.c, pipe.c,
 * console.c, devfs.c, procfs.c, poll.c, sys_fs.c, sys_fd.c): inodes,
 * directory entries, open files and their operations, fd tables, and the
 * in-server (kernel-buffer) entry points the syscall handlers and the unit
 * tests call.  Other modules use vfs.h only.
 */
#ifndef PERSONA_FILE_H
#define PERSONA_FILE_H

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>

#include "pagemap.h"
#include "vfs.h"

/* Linux limits and flags the module needs (asm-generic values, the same
 * on x86_64 and riscv64). */
#define LX_NAME_MAX 255
#define LX_MAXSYMLINKS 40
#define LX_PIPE_BUF 4096
#define LX_AT_REMOVEDIR 0x200
#define LX_AT_EACCESS 0x200
#define LX_AT_SYMLINK_FOLLOW 0x400
#define LX_AT_NO_AUTOMOUNT 0x800
#define LX_AT_STATX_SYNC_TYPE 0x6000
#define LX_O_PATH 010000000
#define LX_O_TMPFILE 020000000
#define LX_RLIMIT_NOFILE 7
#define LX_RENAME_NOREPLACE 1U
#define LX_RENAME_EXCHANGE 2U
#define LX_RENAME_WHITEOUT 4U
#define LX_DT_DIR 4
#define LX_DT_LNK 10
#define LX_NOFILE_DEFAULT 1024

/* Filesystem ids (st_dev) and their statfs magic. */
enum { SB_ROOT = 1, SB_DEV = 2, SB_PROC = 3, SB_SHM = 4, SB_PIPE = 5, SB_ANON = 6 };
#define LX_TMPFS_MAGIC 0x01021994
#define LX_PROC_SUPER_MAGIC 0x9fa0
#define LX_PIPEFS_MAGIC 0x50495045
#define LX_ANON_INODE_FS_MAGIC 0x09041934

struct file;
struct thread;

/* Called for each directory entry; false when the caller's buffer is full
 * (the entry was not taken). */
typedef bool (*filldir_t)(void *ctx, const char *name, size_t namelen, uint64_t ino, unsigned dtype,
                          uint64_t next_off);

/* Operations of inodes whose content is computed (procfs); tmpfs inodes
 * have iops == NULL. */
struct inode_ops {
	/* Directory: a referenced child or -ENOENT. */
	int (*lookup)(struct inode *dir, struct thread *t, const char *name, struct inode **out);
	/* Directory: entries from position *pos on (after . and ..). */
	int (*readdir)(struct inode *dir, struct thread *t, uint64_t *pos, filldir_t fill,
	               void *ctx);
	/* Symlink: its text into buf (NUL-terminated), length or -errno. */
	int (*readlink)(struct inode *ino, struct thread *t, char *buf, size_t size);
	/* Symlink that resolves to an object rather than a path (/proc/N/fd/M,
	 * exe, cwd): the referenced inode, or -ENOSYS to follow the text. */
	int (*follow)(struct inode *ino, struct thread *t, struct inode **out);
	/* Regular file: generate the content at open time (malloc'd). */
	int (*generate)(struct inode *ino, struct thread *t, char **buf, size_t *len);
	void (*destroy)(struct inode *ino);
};

/* One name in a tmpfs directory. */
struct dentry {
	struct list_head link; /* in dir.entries, in creation order */
	struct inode *ino;
	uint64_t seq; /* directory offset: stable while other entries come and go */
	char name[];
};

/* fcntl's struct flock (and flock64: the same on 64-bit). */
#define LX_F_RDLCK 0
#define LX_F_WRLCK 1
#define LX_F_UNLCK 2
struct lx_flock {
	int16_t l_type, l_whence;
	int32_t pad;
	int64_t l_start, l_len;
	int32_t l_pid, pad2;
};
struct inode_locks;
struct xattr;

struct inode {
	uint64_t ino;
	uint32_t mode; /* S_IFMT | permission bits */
	uint32_t uid, gid;
	uint32_t nlink;
	int refs;       /* in-memory references: files, walks, cwd, mappings */
	bool transient; /* procfs: freed at the last reference, never linked */
	bool counted;   /* one of the tmpfs inodes vfs_inode_room() bounds */
	int sb;         /* SB_*: st_dev, EXDEV decisions */
	uint32_t rdev;  /* device number (major << 8 | minor, small values) */
	uint64_t size;
	uint64_t atime, mtime, ctime; /* ns since the epoch */
	const struct inode_ops *iops;
	const struct file_ops *fops; /* how open() makes a file of it (devices) */
	struct {
		struct pagemap pages; /* page index -> frame; holes absent */
	} reg;
	struct {
		struct list_head entries;
		struct inode *parent; /* NULL once removed; referenced if transient */
		uint64_t next_seq;
		unsigned nentries;
	} dir;
	char *link;                /* symlink target (tmpfs) */
	char *name;                /* transient directories: own name, for getcwd */
	char *map_name;            /* the path /proc/N/maps shows (first mmap's file path) */
	int pid, tid, kind, sub;   /* procfs: what this entry shows */
	void *priv;                /* pipe, eventfd, device state */
	struct inode_locks *locks; /* flock and record locks (locks.c), NULL: none */
	struct xattr *xattrs;      /* extended attributes (xattr.c) */
};

/* ---- Open files ------------------------------------------------------------ */
struct file_ops {
	/* Transfer with a server buffer.  -EAGAIN when it would block; the
	 * syscall layer then parks on the queue poll() names unless the file
	 * is O_NONBLOCK.  pos is the file position to use and advance. */
	long (*read)(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos);
	long (*write)(struct file *f, struct thread *t, const void *buf, size_t len, uint64_t *pos);
	/* Put back the last n bytes a read of a stream just gave (the client
	 * could not take them: a bad page), so that the next read gets them
	 * as on Linux.  NULL: a file with a position, or messages. */
	void (*unread)(struct file *f, const void *buf, size_t n);
	/* Readiness (POLL* bits) and the queue woken when it may change. */
	unsigned (*poll)(struct file *f, struct waitq **wq);
	/* ioctl beyond the generic ones (FIONBIO, FIOCLEX...); -ENOTTY. */
	long (*ioctl)(struct file *f, struct thread *t, unsigned long cmd, uint64_t arg);
	/* The open() of this inode: set up f->priv.  May fail. */
	int (*open)(struct file *f, struct thread *t);
	void (*release)(struct file *f);
	/* Text for /proc/N/fd/M ("pipe:[5]"), if not the path. */
	void (*describe)(struct file *f, char *buf, size_t size);
	/* An anonymous-inode file's kind: /proc/N/fd shows "anon_inode:[NAME]"
	 * (for the types with no describe of their own). */
	const char *anon_name;
	bool seekable;
	/* Linux's file has no poll method of its own (select and poll see it
	 * always ready, epoll_ctl refuses it with EPERM). */
	bool no_epoll;
};

struct file {
	int refs;
	const struct file_ops *ops;
	struct inode *ino; /* referenced; every file has one */
	unsigned flags;    /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH ... */
	uint64_t pos;
	char *path; /* absolute path at open time, for /proc/N/fd */
	void *priv;
	size_t priv_len;
	struct epitem *epitems; /* epoll registrations of this file (epoll.c) */
};

static inline bool file_readable(const struct file *f)
{
	return !(f->flags & LX_O_PATH) && (f->flags & O_ACCMODE) != O_WRONLY;
}
static inline bool file_writable(const struct file *f)
{
	return !(f->flags & LX_O_PATH) && (f->flags & O_ACCMODE) != O_RDONLY;
}

/* ---- vfs.c: inodes and tmpfs ---------------------------------------------- */
extern struct inode *vfs_root;
struct inode *inode_new(int sb, uint32_t mode);
/* 0 if a client may make one more inode in a directory of sb, -ENOSPC if
 * the tmpfs inode limit is reached (half the guest's memory in pages, as
 * Linux's tmpfs nr_inodes default): inodes and names cost the server
 * memory that frames do not count. */
int vfs_inode_room(int sb);
/* The limit and the inodes in use, for statfs. */
uint64_t vfs_inode_limit(void);
uint64_t vfs_inodes_used(void);
uint64_t inode_next_ino(void);
int inode_truncate(struct inode *ino, uint64_t size);
long inode_write(struct inode *ino, const void *buf, size_t len, uint64_t off);
/* Punch [off, off+len) out of a regular file (fallocate). */
void inode_punch(struct inode *ino, uint64_t off, uint64_t len);
/* SEEK_DATA / SEEK_HOLE on a regular file. */
long inode_seek_data(struct inode *ino, uint64_t off, bool hole);
bool inode_is_dir_empty(struct inode *dir);
struct dentry *dir_find(struct inode *dir, const char *name);
int dir_link(struct inode *dir, const char *name, struct inode *ino);
void dir_unlink(struct inode *dir, struct dentry *d);
/* rename: move entry od of odir to name in ndir, replacing entry victim
 * (may be NULL) there. */
int dir_move(struct inode *odir, struct dentry *od, struct inode *ndir, const char *name,
             struct dentry *victim);
/* Whether the caller may access ino with mask (MAY_*: 4 r, 2 w, 1 x). */
/* mask: MAY_READ | MAY_WRITE | MAY_EXEC, as access(2)'s R_OK, W_OK, X_OK. */
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4
int inode_permission(struct inode *ino, int mask);
void inode_touch(struct inode *ino, bool m, bool c);
/* The absolute path of a directory ("/" for the root), -ENOENT if removed. */
int inode_dir_path(struct inode *dir, char *buf, size_t size);
unsigned inode_dtype(const struct inode *ino);

/* ---- namei.c: path resolution ------------------------------------------- */
enum last_type { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };
#define LOOKUP_FOLLOW 1    /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY 2 /* the result must be a directory */
#define LOOKUP_EMPTY 4     /* "" means the starting directory / file */

struct nameidata {
	struct inode *dir; /* parent of the last component (referenced) */
	struct inode *ino; /* the last component or NULL (referenced) */
	char last[LX_NAME_MAX + 1];
	enum last_type last_type;
	bool slash;        /* path ended with '/' */
	bool missing_last; /* only the last component does not exist */
	int links;         /* symlinks followed so far */
};

/* Resolve path (server memory) from dirfd.  On success nd->ino is the
 * referenced result. */
int vfs_lookup(struct thread *t, int dirfd, const char *path, int lflags, struct inode **out);
/* Resolve everything but the last component: nd->dir referenced,
 * nd->last filled, nd->ino the existing child (not followed) or NULL. */
int vfs_lookup_parent(struct thread *t, int dirfd, const char *path, struct nameidata *nd);
void nd_release(struct nameidata *nd);
/* Follow symlink ino found in dir: into *out (referenced). */
int vfs_follow(struct thread *t, struct inode *dir, struct inode *link, struct nameidata *nd,
               struct inode **out);

/* ---- Operations on checked values (sys_fs.c / namei.c) ------------------- */
int vfs_open(struct thread *t, int dirfd, const char *path, int flags, uint32_t mode,
             struct file **out);
int vfs_mkdir(struct thread *t, int dirfd, const char *path, uint32_t mode);
/* Make a special file (mode has its S_IFMT) at path: *out referenced. */
int vfs_mknod(struct thread *t, int dirfd, const char *path, uint32_t mode, uint32_t rdev,
              struct inode **out);
int vfs_unlink(struct thread *t, int dirfd, const char *path, bool rmdir);
int vfs_rename(struct thread *t, int odfd, const char *oldp, int ndfd, const char *newp,
               unsigned flags);
int vfs_symlink(struct thread *t, const char *target, int dirfd, const char *path);
int vfs_link(struct thread *t, int odfd, const char *oldp, int ndfd, const char *newp, int flags);
int vfs_readlink(struct thread *t, int dirfd, const char *path, char *buf, size_t size);
long vfs_getdents(struct thread *t, struct file *f, void *buf, size_t size, bool is64);

/* ---- file.c: files and fd tables ----------------------------------------- */
struct file *file_alloc(struct inode *ino, const struct file_ops *ops, unsigned flags);
void file_get(struct file *f);
void file_put(struct file *f);
/* Open ino as open() would (permission checks already done). */
int file_open_inode(struct thread *t, struct inode *ino, unsigned flags, const char *path,
                    struct file **out);
/* A referenced file for fd, or NULL. */
struct file *fd_get(struct proc *p, int fd);
/* fd_get for the calls that act on the open file (I/O, ioctl, getdents,
 * fchmod...): an O_PATH file is no file to them (EBADF), as with Linux's
 * fdget(). */
struct file *fd_get_nopath(struct proc *p, int fd);
/* fd's file if it is of the kind ops makes (an epoll set, a timerfd, a
 * socket...): 0 and a reference in *out; -EBADF if there is no such open
 * file, wrong (-EINVAL, -ENOTSOCK) if it is another kind. */
int fd_get_kind(struct proc *p, int fd, const struct file_ops *ops, int wrong, struct file **out);
/* A file on a fresh anonymous inode (Linux's anon_inode_getfile) with a
 * zeroed private block of priv_size in f->priv, which its release frees;
 * NULL when out of memory. */
struct file *anon_file_new(const struct file_ops *ops, unsigned flags, size_t priv_size);
/* The referenced inode of fd's file (O_PATH files too), or -EBADF. */
int fd_get_inode(struct proc *p, int fd, struct inode **out);
/* Install f (takes over the caller's reference) at the lowest free fd
 * >= min. -EMFILE. */
int fd_install(struct proc *p, struct file *f, int min, bool cloexec);
/* Install a file just made at the lowest free fd; on failure drop the
 * caller's reference, so there is nothing left to undo. */
int fd_install_new(struct proc *p, struct file *f, bool cloexec);
int fd_install_at(struct proc *p, struct file *f, int fd, bool cloexec);
int fd_close(struct proc *p, int fd);
int fd_get_cloexec(struct proc *p, int fd);
int fd_set_cloexec(struct proc *p, int fd, bool on);
unsigned fd_limit(struct proc *p);
/* Highest open fd + 1. */
int fd_count(struct proc *p);
struct inode *fs_cwd(struct proc *p);
void fs_set_cwd(struct proc *p, struct inode *dir);
uint32_t fs_umask(struct proc *p, int set);

long file_read(struct thread *t, struct file *f, void *buf, size_t len, uint64_t *pos);
long file_write(struct thread *t, struct file *f, const void *buf, size_t len, uint64_t *pos);
unsigned file_poll(struct file *f, struct waitq **wq);

/* ---- poll.c: shared with epoll.c ------------------------------------------- */
/* The absolute deadline of a call waiting rel_ns (-1: forever), fixed on
 * its first entry and kept across re-dispatches; *no_wait when it must
 * not park (a zero timeout, or the deadline passed). */
uint64_t poll_deadline(struct thread *t, int64_t rel_ns, bool *no_wait);
/* A struct timespec argument as ns (-1 if uts is NULL); EFAULT, EINVAL. */
int poll_get_timespec(struct thread *t, uint64_t uts, int64_t *rel_ns);
/* The signal mask argument of ppoll/pselect6/epoll_pwait: checked, then
 * the call runs under it. */
int poll_apply_sigmask(struct thread *t, uint64_t umask, uint64_t size);

/* ---- epoll.c ---------------------------------------------------------------- */
/* The file is going away: drop it from every epoll set that watches it
 * (Linux: closing the last descriptor of a file removes it). */
void epoll_file_released(struct file *f);
/* Text of /proc/N/fd/M for f. */
void file_describe(struct file *f, char *buf, size_t size);
extern const struct file_ops tmpfs_file_ops, tmpfs_dir_ops, path_file_ops;

/* ---- stat ------------------------------------------------------------------ */
void vfs_fill_stat(struct inode *ino, struct lx_stat *st);

/* ---- pipe.c ------------------------------------------------------------------ */
int pipe_create(struct file **rd, struct file **wr, unsigned flags);
bool file_is_pipe(struct file *f);
/* ---- socket.c, inet.c: sockets ------------------------------------------------- */
/* A socket address as the client gave or gets it: the bytes of a struct
 * sockaddr_un, sockaddr_in or sockaddr_in6 (one more byte for the NUL
 * Linux adds after a full sun_path) and how many of them count. */
struct sock_addr {
	uint32_t len;
	char sa[129]; /* up to sockaddr_storage, zero after len */
};
/* Copy an address in as Linux's move_addr_to_kernel (EINVAL past 128
 * bytes, EFAULT); -EINVAL from sock_addr_check if it is no valid
 * AF_UNIX address. */
int sockaddr_from_user(struct thread *t, uint64_t uaddr, uint64_t len, struct sock_addr *out);
int sock_addr_check(const struct sock_addr *a);
/* Give an address out as Linux's move_addr_to_user: as many bytes as the
 * caller's *ulen allows, then the full length in *ulen. */
int sockaddr_to_user(struct thread *t, const struct sock_addr *a, uint64_t uaddr, uint64_t ulen);
/* The options setsockopt stores and getsockopt reads back (sys_socket.c
 * checks and converts them; socket.c and inet.c act on a few). */
struct sock_opts {
	bool reuseaddr, reuseport, keepalive, broadcast, oobinline, dontroute;
	bool linger;        /* SO_LINGER on, for linger_secs */
	bool v6only;        /* IPV6_V6ONLY: set before bind only */
	bool nodelay, cork; /* TCP_NODELAY, TCP_CORK: no effect on loopback */
	int32_t rcvbuf, sndbuf, rcvlowat, priority, linger_secs;
	int32_t ttl, tos, hops; /* IP_TTL, IP_TOS, IPV6_UNICAST_HOPS; -1: the default */
	int32_t keepidle, keepintvl, keepcnt, user_timeout;
	uint64_t rcvtimeo, sndtimeo; /* SO_RCVTIMEO, SO_SNDTIMEO in ns; 0: none */
};
/* What a transfer asks beyond the bytes (send/recv flags, addresses) and
 * what it learns. */
struct sock_io {
	bool peek;                  /* MSG_PEEK: the data stays queued */
	bool nosignal;              /* MSG_NOSIGNAL: EPIPE without SIGPIPE */
	const struct sock_addr *to; /* a datagram's destination, or NULL */
	struct sock_addr *from;     /* out (may be NULL): the sender */
	bool trunc;                 /* out: a message was cut short */
	size_t msglen;              /* out: the last message's whole length */
};
bool file_is_socket(struct file *f);
/* fd's socket: -EBADF, or -ENOTSOCK for another file. */
int sock_fd_get(struct thread *t, uint64_t fd, struct file **out);
/* A socket of a checked domain (AF_UNIX, AF_INET, AF_INET6), type and
 * protocol (0 for AF_UNIX, IPPROTO_TCP or IPPROTO_UDP). */
int sock_create(int domain, int type, int proto, unsigned flags, struct file **out);
int socketpair_create(struct thread *t, int type, unsigned flags, struct file **a, struct file **b);
/* One transfer; -ENOTSOCK if f is not a socket. */
long sock_recv(struct file *f, struct thread *t, void *buf, size_t len, struct sock_io *io);
long sock_send(struct file *f, struct thread *t, const void *buf, size_t len, struct sock_io *io);
int sock_shutdown(struct file *f, int how);
int sock_type(struct file *f);
int sock_domain(struct file *f);
int sock_protocol(struct file *f);
struct sock_opts *sock_opts(struct file *f);
/* The calls below take a socket file and an address copied in; an
 * AF_UNIX one is checked already (len within 2..110, family AF_UNIX, a
 * path NUL-terminated within sa), an Internet one is checked by inet.c
 * in Linux's order. */
int sock_bind(struct thread *t, struct file *f, const struct sock_addr *a);
int sock_listen(struct thread *t, struct file *f, int backlog);
/* -EAGAIN with *wait set: the listener's backlog is full, wait there. */
int sock_connect(struct thread *t, struct file *f, const struct sock_addr *a, struct waitq **wait);
/* -EAGAIN: nothing pending (wait on the file's poll queue). */
int sock_accept(struct file *f, unsigned flags, struct file **out, struct sock_addr *peer);
int sock_getname(struct file *f, bool peer, struct sock_addr *out);
int sock_peercred(struct file *f, int32_t cred[3]);
int sock_take_error(struct file *f);
bool sock_listening(struct file *f);
/* Whether setting IPV6_V6ONLY is still allowed (not bound yet). */
bool sock_may_set_v6only(struct file *f);
long pipe_set_size(struct file *f, unsigned long size);
long pipe_get_size(struct file *f);
long pipe_nread(struct file *f);
int eventfd_create(unsigned initval, unsigned flags, struct file **out);
/* How open() makes a file of a FIFO, or of a pipe again (/proc/N/fd/M). */
extern const struct file_ops pipe_open_ops;

/* ---- console.c -------------------------------------------------------------- */
struct inode *console_inode(int stream);
/* Open the terminal (/dev/tty, /dev/console): -ENXIO if there is none. */
int console_open_tty(struct file *f, struct thread *t);
extern const struct file_ops console_ops;

/* ---- devfs.c / procfs.c ------------------------------------------------------ */
int devfs_init(struct inode *dev);

/* ---- xattr.c: extended attributes ---------------------------------------------- */
#define LX_XATTR_CREATE 1
#define LX_XATTR_REPLACE 2
#define LX_XATTR_NAME_MAX 255
#define LX_XATTR_SIZE_MAX 65536
/* Linux's xattr_permission for name on ino (write: set or remove). */
int xattr_check(struct inode *ino, const char *name, bool write);
int xattr_set(struct inode *ino, const char *name, const void *value, size_t size, int flags);
/* The value's size (size 0: only that), -ERANGE if it does not fit. */
long xattr_get(struct inode *ino, const char *name, void *buf, size_t size);
/* The names the caller may see, each NUL-terminated; as xattr_get. */
long xattr_list(struct inode *ino, char *buf, size_t size);
int xattr_remove(struct inode *ino, const char *name);
void xattr_free_all(struct inode *ino);

/* ---- locks.c: flock and record locks ----------------------------------------- */
/* flock on f: type LX_F_RDLCK (shared), LX_F_WRLCK or LX_F_UNLCK; parks
 * when wait and it cannot be had, else -EAGAIN. */
int locks_flock(struct thread *t, struct file *f, int type, bool wait);
/* F_GETLK/F_SETLK/F_SETLKW (ofd: the F_OFD_ forms) with the client's
 * struct flock at arg. */
long locks_fcntl(struct thread *t, struct file *f, bool ofd, bool get, bool wait, uint64_t arg);
/* fd_owner closed an fd of f's file: its POSIX locks there go. */
void locks_fd_closed(struct file *f, const void *fd_owner);
/* f's last reference is gone: its flock and OFD locks go. */
void locks_file_released(struct file *f);
/* The owner of p's POSIX locks: its fd table. */
const void *fd_owner(struct proc *p);
/* Give a device node made by mknod(2) (mode and rdev set) what open() does. */
void devfs_bind_node(struct inode *ino);
int procfs_init(struct inode *proc);

#endif
