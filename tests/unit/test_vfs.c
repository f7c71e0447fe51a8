/*
 * Unit tests of the files module against the fake platform: path
 * resolution, rename/unlink rules, getdents, sparse files, pipes (the
 * non-blocking paths), /dev and /proc entries, fd tables, and an injected
 * frame allocation failure while writing.  They use the in-server entry
 * points of core/file.h (server buffers, no client memory).  Every test
 * removes what it created: the tree outlives fake_reset().
 */
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "file.h"
#include "mm.h"
#include "task.h"
#include "unit.h"

static struct proc *tp;
static struct thread tt;

static struct thread *setup(void)
{
	CHECK_EQ(vfs_init(), 0);
	if (!tp) {
		tp = proc_create();
		tp->nthreads = 1;
		tt.proc = tp;
		tt.tid = tp->pid;
		strcpy(tt.comm, "unit");
		list_add_tail(&tt.proc_link, &tp->threads);
		list_init(&tt.waiters);
		snprintf(tp->exe_path, sizeof tp->exe_path, "/bin/unit");
	}
	tp->rlim[LX_RLIMIT_NOFILE].cur = 0;
	tp->fds = fdtable_create();
	tp->fs = fs_context_create();
	CHECK_EQ(fdtable_install_console(tp->fds), 0);
	tt.wake = WAKE_NONE;
	return &tt;
}

static void teardown(void)
{
	fdtable_put(tp->fds);
	fs_context_put(tp->fs);
	tp->fds = NULL;
	tp->fs = NULL;
}

static int put_file(struct thread *t, const char *path, const char *data)
{
	struct file *f;
	int r = vfs_open(t, LX_AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, 0644, &f);
	if (r < 0)
		return r;
	long w = file_write(t, f, data, strlen(data), &f->pos);
	file_put(f);
	return w < 0 ? (int)w : 0;
}

/* Whole content of path into buf (NUL-terminated); length or -errno. */
static long get_file(struct thread *t, const char *path, char *buf, size_t size)
{
	struct file *f;
	int r = vfs_open(t, LX_AT_FDCWD, path, O_RDONLY, 0, &f);
	if (r < 0)
		return r;
	long n = 0, k;
	while ((k = file_read(t, f, buf + n, size - 1 - (size_t)n, &f->pos)) > 0)
		n += k;
	buf[n] = 0;
	file_put(f);
	return k < 0 ? k : n;
}

static uint64_t ino_of(struct thread *t, const char *path, int lflags)
{
	struct inode *ino;
	if (vfs_lookup(t, LX_AT_FDCWD, path, lflags, &ino) < 0)
		return 0;
	uint64_t n = ino->ino;
	inode_put(ino);
	return n;
}

static int lookup_err(struct thread *t, const char *path, int lflags)
{
	struct inode *ino;
	int r = vfs_lookup(t, LX_AT_FDCWD, path, lflags, &ino);
	if (r == 0)
		inode_put(ino);
	return r;
}

TEST(test_vfs_path_resolution)
{
	struct thread *t = setup();
	char name[300];

	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/pr", 0755), 0);
	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/pr/a", 0755), 0);
	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/pr/a/b", 0755), 0);
	CHECK_EQ(put_file(t, "/tmp/pr/f", "x"), 0);
	uint64_t b = ino_of(t, "/tmp/pr/a/b", 0);
	CHECK(b != 0);
	CHECK_EQ(ino_of(t, "//tmp///pr/a/./b/../b/", 0), b);
	CHECK_EQ(ino_of(t, "/../../tmp/pr/a/b", 0), b);
	CHECK_EQ(ino_of(t, "/..", 0), ino_of(t, "/", 0));
	/* relative to the cwd and to a dirfd */
	struct inode *a;
	CHECK_EQ(vfs_lookup(t, LX_AT_FDCWD, "/tmp/pr/a", 0, &a), 0);
	fs_set_cwd(t->proc, a);
	CHECK_EQ(ino_of(t, "b", 0), b);
	CHECK_EQ(ino_of(t, "../a/b", 0), b);
	struct file *df;
	CHECK_EQ(file_open_inode(t, a, O_RDONLY, "/tmp/pr/a", &df), 0);
	int dfd = fd_install(t->proc, df, 0, false);
	CHECK_EQ(dfd, 3);
	struct inode *ino;
	CHECK_EQ(vfs_lookup(t, dfd, "b", 0, &ino), 0);
	CHECK_EQ(ino->ino, b);
	inode_put(ino);
	CHECK_EQ(vfs_lookup(t, dfd, "", 0, &ino), -ENOENT);
	CHECK_EQ(vfs_lookup(t, dfd, "", LOOKUP_EMPTY, &ino), 0);
	CHECK(ino == a);
	inode_put(ino);
	CHECK_EQ(vfs_lookup(t, 77, "b", 0, &ino), -EBADF);
	CHECK_EQ(vfs_lookup(t, 77, "/tmp", 0, &ino), 0); /* absolute: dirfd unused */
	inode_put(ino);
	inode_put(a);

	/* errors */
	CHECK_EQ(lookup_err(t, "/tmp/pr/nope/x", 0), -ENOENT);
	CHECK_EQ(lookup_err(t, "/tmp/pr/f/x", 0), -ENOTDIR);
	CHECK_EQ(lookup_err(t, "/tmp/pr/f/", 0), -ENOTDIR);
	CHECK_EQ(lookup_err(t, "", 0), -ENOENT);
	memset(name, 'n', 256);
	strcpy(name + 256, "");
	CHECK_EQ(lookup_err(t, name, 0), -ENAMETOOLONG);

	/* symlinks */
	CHECK_EQ(vfs_symlink(t, "a/b", LX_AT_FDCWD, "/tmp/pr/l"), 0);
	CHECK_EQ(ino_of(t, "/tmp/pr/l", LOOKUP_FOLLOW), b);
	CHECK(ino_of(t, "/tmp/pr/l", 0) != b);
	CHECK_EQ(ino_of(t, "/tmp/pr/l/", 0), b); /* a trailing slash follows */
	CHECK_EQ(ino_of(t, "/tmp/pr/l/..", 0), ino_of(t, "/tmp/pr/a", 0));
	CHECK_EQ(vfs_symlink(t, "l2", LX_AT_FDCWD, "/tmp/pr/l1"), 0);
	CHECK_EQ(vfs_symlink(t, "l1", LX_AT_FDCWD, "/tmp/pr/l2"), 0);
	CHECK_EQ(lookup_err(t, "/tmp/pr/l1", LOOKUP_FOLLOW), -ELOOP);
	CHECK_EQ(lookup_err(t, "/tmp/pr/l1/x", 0), -ELOOP);
	CHECK_EQ(vfs_symlink(t, "", LX_AT_FDCWD, "/tmp/pr/le"), -ENOENT);
	/* a chain of 40 links resolves, 41 do not */
	CHECK_EQ(vfs_symlink(t, "f", LX_AT_FDCWD, "/tmp/pr/c0"), 0);
	for (int i = 1; i <= 40; i++) {
		char from[32], to[32];
		snprintf(from, sizeof from, "/tmp/pr/c%d", i);
		snprintf(to, sizeof to, "c%d", i - 1);
		CHECK_EQ(vfs_symlink(t, to, LX_AT_FDCWD, from), 0);
	}
	CHECK(ino_of(t, "/tmp/pr/c39", LOOKUP_FOLLOW) == ino_of(t, "/tmp/pr/f", 0));
	CHECK_EQ(lookup_err(t, "/tmp/pr/c40", LOOKUP_FOLLOW), -ELOOP);

	/* open flags on names */
	struct file *f;
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/pr/l", O_RDONLY | O_NOFOLLOW, 0, &f), -ELOOP);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/pr/f", O_RDONLY | O_DIRECTORY, 0, &f), -ENOTDIR);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/pr/a", O_RDWR, 0, &f), -EISDIR);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/pr/f", O_CREAT | O_EXCL | O_RDWR, 0644, &f),
	         -EEXIST);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/pr/new/", O_CREAT | O_RDWR, 0644, &f), -EISDIR);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/pr/.", O_CREAT | O_RDWR, 0644, &f), -EISDIR);
	/* O_CREAT through a dangling symlink creates its target */
	CHECK_EQ(vfs_symlink(t, "made", LX_AT_FDCWD, "/tmp/pr/dl"), 0);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/pr/dl", O_CREAT | O_WRONLY, 0600, &f), 0);
	file_put(f);
	CHECK(ino_of(t, "/tmp/pr/made", 0) != 0);

	/* clean up */
	fs_set_cwd(t->proc, vfs_root);
	const char *files[] = {"f", "l", "l1", "l2", "dl", "made"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char p[64];
		snprintf(p, sizeof p, "/tmp/pr/%s", files[i]);
		CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, p, false), 0);
	}
	for (int i = 0; i <= 40; i++) {
		char p[32];
		snprintf(p, sizeof p, "/tmp/pr/c%d", i);
		CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, p, false), 0);
	}
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/pr/a/b", true), 0);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/pr/a", true), 0);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/pr", true), 0);
	teardown();
	CHECK_EQ(plat_frames_in_use(), 0);
}

TEST(test_vfs_rename_unlink_rules)
{
	struct thread *t = setup();
	struct file *f;
	char buf[64];

	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/rn", 0755), 0);
	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/rn/d", 0755), 0);
	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/rn/d/sub", 0755), 0);
	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/rn/e", 0755), 0);
	CHECK_EQ(put_file(t, "/tmp/rn/x", "xx"), 0);
	CHECK_EQ(put_file(t, "/tmp/rn/y", "yyy"), 0);

	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/rn/d", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/rn/d/.", 0755), -EEXIST);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/d", false), -EISDIR);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/x", true), -ENOTDIR);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/x/", false), -ENOTDIR);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/d", true), -ENOTEMPTY);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/d/.", true), -EINVAL);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/d/..", true), -ENOTEMPTY);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/", true), -EBUSY);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/proc", true), -EBUSY);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/none", false), -ENOENT);

	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/d", LX_AT_FDCWD, "/tmp/rn/d/sub/in", 0),
	         -EINVAL);
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/d", LX_AT_FDCWD, "/tmp/rn/x", 0), -ENOTDIR);
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/x", LX_AT_FDCWD, "/tmp/rn/d", 0), -EISDIR);
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/e", LX_AT_FDCWD, "/tmp/rn/d", 0), -ENOTEMPTY);
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/d/.", LX_AT_FDCWD, "/tmp/rn/z", 0), -EBUSY);
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/none", LX_AT_FDCWD, "/tmp/rn/z", 0), -ENOENT);
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/x", LX_AT_FDCWD, "/dev/shm/x", 0), -EXDEV);
	CHECK_EQ(
	    vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/x", LX_AT_FDCWD, "/tmp/rn/y", LX_RENAME_NOREPLACE),
	    -EEXIST);
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/x", LX_AT_FDCWD, "/tmp/rn/x", 0), 0);

	/* exchange, then replace */
	CHECK_EQ(
	    vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/x", LX_AT_FDCWD, "/tmp/rn/y", LX_RENAME_EXCHANGE),
	    0);
	CHECK_EQ(get_file(t, "/tmp/rn/x", buf, sizeof buf), 3);
	CHECK_EQ(get_file(t, "/tmp/rn/y", buf, sizeof buf), 2);
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/x", LX_AT_FDCWD, "/tmp/rn/y", 0), 0);
	CHECK_EQ(get_file(t, "/tmp/rn/y", buf, sizeof buf), 3);
	CHECK_EQ(lookup_err(t, "/tmp/rn/x", 0), -ENOENT);
	/* a directory moves, and its ".." follows */
	CHECK_EQ(vfs_rename(t, LX_AT_FDCWD, "/tmp/rn/e", LX_AT_FDCWD, "/tmp/rn/d/sub/e2", 0), 0);
	CHECK_EQ(ino_of(t, "/tmp/rn/d/sub/e2/..", 0), ino_of(t, "/tmp/rn/d/sub", 0));
	struct inode *sub;
	CHECK_EQ(vfs_lookup(t, LX_AT_FDCWD, "/tmp/rn/d/sub", 0, &sub), 0);
	CHECK_EQ(sub->nlink, 3);
	inode_put(sub);

	/* hard links; data survives unlink while open */
	CHECK_EQ(vfs_link(t, LX_AT_FDCWD, "/tmp/rn/y", LX_AT_FDCWD, "/tmp/rn/h", 0), 0);
	CHECK_EQ(vfs_link(t, LX_AT_FDCWD, "/tmp/rn/d", LX_AT_FDCWD, "/tmp/rn/h2", 0), -EPERM);
	CHECK_EQ(vfs_link(t, LX_AT_FDCWD, "/tmp/rn/y", LX_AT_FDCWD, "/tmp/rn/h", 0), -EEXIST);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/rn/h", O_RDONLY, 0, &f), 0);
	CHECK_EQ(f->ino->nlink, 2);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/h", false), 0);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/y", false), 0);
	CHECK_EQ(f->ino->nlink, 0);
	CHECK_EQ(file_read(t, f, buf, sizeof buf, &f->pos), 3);
	file_describe(f, buf, sizeof buf);
	CHECK(strstr(buf, "(deleted)") != NULL);
	file_put(f);

	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/d/sub/e2", true), 0);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/d/sub", true), 0);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn/d", true), 0);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/rn", true), 0);
	teardown();
	CHECK_EQ(plat_frames_in_use(), 0);
}

/* Count the entries of a getdents64 buffer; remove those named f*. */
static int scan_dirents(struct thread *t, char *buf, long n, bool unlink_them)
{
	int count = 0;
	for (long off = 0; off < n;) {
		uint16_t reclen;
		memcpy(&reclen, buf + off + 16, 2);
		const char *name = buf + off + 19;
		if (unlink_them && name[0] == 'f') {
			char p[64];
			snprintf(p, sizeof p, "/tmp/gd/%s", name);
			CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, p, false), 0);
		}
		count++;
		off += reclen;
	}
	return count;
}

TEST(test_vfs_getdents)
{
	struct thread *t = setup();
	struct file *d;
	char buf[256];
	long n;
	int total = 0;

	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/tmp/gd", 0755), 0);
	for (int i = 0; i < 100; i++) {
		char p[64];
		snprintf(p, sizeof p, "/tmp/gd/f%03d", i);
		CHECK_EQ(put_file(t, p, ""), 0);
	}
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/gd", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	CHECK_EQ(vfs_getdents(t, d, buf, 10, true), -EINVAL);
	/* Removing what was seen between calls must not skip anything. */
	while ((n = vfs_getdents(t, d, buf, sizeof buf, true)) > 0)
		total += scan_dirents(t, buf, n, true);
	CHECK_EQ(n, 0);
	CHECK_EQ(total, 102);
	/* Old-style getdents ends with the type in the last byte. */
	d->pos = 0;
	n = vfs_getdents(t, d, buf, sizeof buf, false);
	CHECK_EQ(n, 48);
	CHECK_EQ(buf[23], LX_DT_DIR);
	file_put(d);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/gd", true), 0);
	teardown();
	CHECK_EQ(plat_frames_in_use(), 0);
}

TEST(test_vfs_sparse_files)
{
	struct thread *t = setup();
	struct file *f;
	char buf[8192];

	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/sparse", O_CREAT | O_RDWR, 0644, &f), 0);
	uint64_t pos = (1 << 20) + 5;
	CHECK_EQ(file_write(t, f, "z", 1, &pos), 1);
	CHECK_EQ(f->ino->size, (1 << 20) + 6);
	CHECK_EQ(plat_frames_in_use(), 1);
	pos = 4000;
	memset(buf, 1, sizeof buf);
	CHECK_EQ(file_read(t, f, buf, sizeof buf, &pos), 8192);
	CHECK(buf[0] == 0 && buf[8191] == 0);
	CHECK_EQ(inode_seek_data(f->ino, 0, false), 1 << 20);
	CHECK_EQ(inode_seek_data(f->ino, 0, true), 0);
	CHECK_EQ(inode_seek_data(f->ino, (1 << 20) + 1, true), (1 << 20) + 6);
	CHECK_EQ(inode_seek_data(f->ino, (1 << 20) + 6, false), -ENXIO);
	/* shrink into the page, grow again: the tail reads as zeros */
	CHECK_EQ(inode_truncate(f->ino, (1 << 20) + 3), 0);
	CHECK_EQ(inode_truncate(f->ino, (1 << 20) + 10), 0);
	pos = (1 << 20) + 5;
	CHECK_EQ(file_read(t, f, buf, 10, &pos), 5);
	CHECK_EQ(buf[0], 0);
	/* the page mm would map is the one read() sees */
	frame_t fr;
	CHECK_EQ(inode_get_page(f->ino, 256, false, &fr), 0);
	CHECK(fr != FRAME_NONE);
	((char *)plat_frame_ptr(fr))[7] = 'q';
	frame_unref(fr);
	pos = (1 << 20) + 7;
	CHECK_EQ(file_read(t, f, buf, 1, &pos), 1);
	CHECK_EQ(buf[0], 'q');
	CHECK_EQ(inode_get_page(f->ino, 3, false, &fr), 0);
	CHECK(fr == FRAME_NONE);
	CHECK_EQ(inode_truncate(f->ino, 0), 0);
	CHECK_EQ(plat_frames_in_use(), 0);
	file_put(f);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/sparse", false), 0);
	teardown();
}

TEST(test_vfs_write_enomem)
{
	struct thread *t = setup();
	struct file *f;
	static char data[5 * 4096];

	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/tmp/oom", O_CREAT | O_RDWR, 0644, &f), 0);
	fake_fail_frame_alloc_after(2);
	CHECK_EQ(file_write(t, f, data, sizeof data, &f->pos), 8192);
	CHECK_EQ(file_write(t, f, data, sizeof data, &f->pos), -ENOMEM);
	CHECK_EQ(f->ino->size, 8192);
	fake_fail_frame_alloc_after(-1);
	CHECK_EQ(file_write(t, f, data, sizeof data, &f->pos), (long)sizeof data);
	file_put(f);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/tmp/oom", false), 0);
	CHECK_EQ(plat_frames_in_use(), 0);
	/* creating a file when memory is gone fails cleanly too */
	fake_fail_frame_alloc_after(0);
	CHECK_EQ(vfs_add_file("/tmp/oom2", 0644, data, 10), -ENOMEM);
	CHECK_EQ(lookup_err(t, "/tmp/oom2", 0), -ENOENT);
	teardown();
}

TEST(test_vfs_pipes_nonblocking)
{
	struct thread *t = setup();
	struct file *rd, *wr;
	struct waitq *wq;
	static char buf[70000];

	CHECK_EQ(pipe_create(&rd, &wr, O_NONBLOCK), 0);
	CHECK_EQ(file_read(t, rd, buf, 10, &rd->pos), -EAGAIN);
	CHECK_EQ(file_poll(rd, &wq) & POLLIN, 0);
	CHECK(wq != NULL);
	CHECK_EQ(file_poll(wr, &wq) & POLLOUT, POLLOUT);
	CHECK_EQ(file_write(t, wr, "hello", 5, &wr->pos), 5);
	CHECK_EQ(file_poll(rd, &wq) & POLLIN, POLLIN);
	CHECK_EQ(pipe_nread(rd), 5);
	CHECK_EQ(file_read(t, rd, buf, 3, &rd->pos), 3);
	CHECK_EQ(file_read(t, rd, buf, 10, &rd->pos), 2);
	CHECK(!memcmp(buf, "lo", 2));
	CHECK_EQ(file_write(t, rd, "x", 1, &rd->pos), -EBADF);
	CHECK_EQ(file_read(t, wr, buf, 1, &wr->pos), -EBADF);

	/* fill: 64 KiB, then a PIPE_BUF write must not split */
	long total = 0, r;
	while ((r = file_write(t, wr, buf, 4000, &wr->pos)) > 0)
		total += r;
	CHECK_EQ(r, -EAGAIN);
	CHECK_EQ(total, 65536 - 65536 % 4000);
	CHECK_EQ(file_write(t, wr, buf, 5000, &wr->pos), 65536 % 4000); /* partial */
	CHECK_EQ(file_write(t, wr, buf, 1, &wr->pos), -EAGAIN);
	CHECK_EQ(file_poll(wr, &wq) & POLLOUT, 0);
	CHECK_EQ(file_read(t, rd, buf, 100, &rd->pos), 100);
	CHECK_EQ(file_write(t, wr, buf, 200, &wr->pos), -EAGAIN);
	CHECK_EQ(file_write(t, wr, buf, 100, &wr->pos), 100);
	CHECK_EQ(pipe_set_size(wr, 4096), -EBUSY);
	CHECK_EQ(pipe_get_size(rd), 65536);

	/* no writer: data, then EOF */
	file_put(wr);
	CHECK_EQ(file_poll(rd, &wq) & (POLLIN | POLLHUP), POLLIN | POLLHUP);
	total = 0;
	while ((r = file_read(t, rd, buf, sizeof buf, &rd->pos)) > 0)
		total += r;
	CHECK_EQ(r, 0);
	CHECK_EQ(total, 65536);
	file_put(rd);

	/* no reader: EPIPE and SIGPIPE */
	CHECK_EQ(pipe_create(&rd, &wr, 0), 0);
	CHECK_EQ(pipe_set_size(wr, 5000), 8192);
	file_put(rd);
	CHECK_EQ(file_write(NULL, wr, "x", 1, &wr->pos), -EPIPE);
	CHECK(file_poll(wr, &wq) & POLLERR);
	file_put(wr);
	teardown();
	CHECK_EQ(plat_frames_in_use(), 0);
}

TEST(test_vfs_dev_entries)
{
	struct thread *t = setup();
	struct file *f;
	char buf[64];

	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/dev/null", O_RDWR, 0, &f), 0);
	CHECK_EQ(file_read(t, f, buf, 10, &f->pos), 0);
	CHECK_EQ(file_write(t, f, buf, 10, &f->pos), 10);
	file_put(f);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/dev/full", O_RDWR, 0, &f), 0);
	CHECK_EQ(file_write(t, f, buf, 10, &f->pos), -ENOSPC);
	memset(buf, 7, sizeof buf);
	CHECK_EQ(file_read(t, f, buf, 10, &f->pos), 10);
	CHECK_EQ(buf[9], 0);
	file_put(f);
	CHECK_EQ(vfs_readlink(t, LX_AT_FDCWD, "/dev/stdin", buf, sizeof buf), 15);
	CHECK(!memcmp(buf, "/proc/self/fd/0", 15));
	CHECK_EQ(ino_of(t, "/dev/shm", 0) != 0, 1);
	CHECK_EQ(put_file(t, "/dev/shm/s", "1"), 0);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/dev/shm/s", false), 0);
	teardown();
}

TEST(test_vfs_proc_entries)
{
	struct thread *t = setup();
	struct file *rd, *wr, *f;
	char buf[4096], want[64];
	long n;

	n = vfs_readlink(t, LX_AT_FDCWD, "/proc/self", buf, sizeof buf);
	snprintf(want, sizeof want, "%d", t->proc->pid);
	CHECK_EQ(n, (long)strlen(want));
	CHECK(!memcmp(buf, want, strlen(want)));
	CHECK(get_file(t, "/proc/meminfo", buf, sizeof buf) > 0);
	CHECK(!strncmp(buf, "MemTotal:", 9));
	CHECK(get_file(t, "/proc/cpuinfo", buf, sizeof buf) > 0);
	CHECK(!strncmp(buf, "processor\t: 0\n", 14));
	CHECK(strstr(buf, ARCH_SYS_NR("model name", "isa\t\t: rv64imafdc")) != NULL);
	CHECK_EQ(get_file(t, "/proc/sys/kernel/ostype", buf, sizeof buf), 6);
	CHECK(!strcmp(buf, "Linux\n"));
	CHECK(get_file(t, "/proc/self/status", buf, sizeof buf) > 0);
	CHECK(strstr(buf, "Name:\tunit\n") != NULL);
	CHECK(get_file(t, "/proc/self/maps", buf, sizeof buf) >= 0);
	CHECK_EQ(vfs_readlink(t, LX_AT_FDCWD, "/proc/self/exe", buf, sizeof buf), 9);

	/* fd/ lists open fds; a pipe reads as pipe:[N] */
	CHECK_EQ(pipe_create(&rd, &wr, 0), 0);
	int fd = fd_install(t->proc, rd, 0, false);
	CHECK_EQ(fd, 3);
	snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)rd->ino->ino);
	n = vfs_readlink(t, LX_AT_FDCWD, "/proc/self/fd/3", buf, sizeof buf);
	CHECK_EQ(n, (long)strlen(want));
	CHECK(!memcmp(buf, want, strlen(want)));
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY, 0, &f), 0);
	n = vfs_getdents(t, f, buf, sizeof buf, true);
	CHECK_EQ(scan_dirents(t, buf, n, false), 6); /* . .. 0 1 2 3 */
	file_put(f);
	/* opening /proc/self/fd/3 reaches the pipe itself */
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/proc/self/fd/3", O_WRONLY, 0, &f), 0);
	CHECK_EQ(file_write(t, f, "ab", 2, &f->pos), 2);
	CHECK_EQ(file_read(t, rd, buf, 10, &rd->pos), 2);
	file_put(f);
	file_put(wr);
	CHECK_EQ(fd_close(t->proc, 3), 0);
	CHECK_EQ(lookup_err(t, "/proc/self/fd/3", 0), -ENOENT);

	/* /proc is not writable */
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/proc/version", O_WRONLY, 0, &f), 0);
	CHECK_EQ(file_write(t, f, "x", 1, &f->pos), -EIO);
	file_put(f);
	CHECK_EQ(vfs_mkdir(t, LX_AT_FDCWD, "/proc/foo", 0755), -ENOENT);
	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/proc/foo", O_CREAT | O_WRONLY, 0644, &f), -ENOENT);
	CHECK_EQ(vfs_unlink(t, LX_AT_FDCWD, "/proc/cpuinfo", false), -EPERM);
	CHECK_EQ(lookup_err(t, "/proc/999999", 0), -ENOENT);
	teardown();
	CHECK_EQ(plat_frames_in_use(), 0);
}

TEST(test_vfs_fd_table)
{
	struct thread *t = setup();
	struct file *f;

	CHECK_EQ(vfs_open(t, LX_AT_FDCWD, "/dev/null", O_RDONLY, 0, &f), 0);
	t->proc->rlim[LX_RLIMIT_NOFILE].cur = 6;
	file_get(f);
	CHECK_EQ(fd_install(t->proc, f, 0, true), 3);
	CHECK_EQ(fd_get_cloexec(t->proc, 3), 1);
	file_get(f);
	CHECK_EQ(fd_install(t->proc, f, 0, false), 4);
	file_get(f);
	CHECK_EQ(fd_install(t->proc, f, 0, false), 5);
	CHECK_EQ(fd_install(t->proc, f, 0, false), -EMFILE);
	CHECK_EQ(fd_close(t->proc, 4), 0);
	CHECK_EQ(fd_close(t->proc, 4), -EBADF);
	CHECK_EQ(fd_install(t->proc, f, 0, false), 4);
	file_get(f);
	CHECK_EQ(fd_install_at(t->proc, f, 6, false), -EBADF);
	CHECK_EQ(fd_install_at(t->proc, f, 1, false), 1);
	CHECK_EQ(fd_get_cloexec(t->proc, 9), -EBADF);
	CHECK(fd_get(t->proc, -1) == NULL);
	teardown();
}
