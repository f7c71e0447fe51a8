/*
 * /dev: the character devices programs expect (null, zero, full, random,
 * urandom, tty, console), the stdin/stdout/stderr and fd symlinks, and
 * /dev/shm (a tmpfs of its own).  /dev itself is a tmpfs directory, so
 * root may create files in it as on Linux's devtmpfs.  A device node made
 * with mknod(2) anywhere opens the device of its number, if it is one of
 * these, and fails with ENXIO otherwise.
 */
#include <string.h>

#include "file.h"

static long null_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	return 0;
}

static long null_write(struct file *f, struct thread *t, const void *buf, size_t len, uint64_t *pos)
{
	return (long)len;
}

static long zero_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	memset(buf, 0, len);
	return (long)len;
}

static long full_write(struct file *f, struct thread *t, const void *buf, size_t len, uint64_t *pos)
{
	return len ? -ENOSPC : 0;
}

static long random_read(struct file *f, struct thread *t, void *buf, size_t len, uint64_t *pos)
{
	plat_random(buf, len);
	return (long)len;
}

static unsigned always_ready(struct file *f, struct waitq **wq)
{
	*wq = NULL;
	return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

/* Devices keep no position but accept lseek (returning 0), as Linux's. */
static const struct file_ops null_ops = {.read = null_read,
                                         .write = null_write,
                                         .poll = always_ready,
                                         .seekable = true,
                                         .no_epoll = true};
static const struct file_ops zero_ops = {.read = zero_read,
                                         .write = null_write,
                                         .poll = always_ready,
                                         .seekable = true,
                                         .no_epoll = true};
static const struct file_ops full_ops = {.read = zero_read,
                                         .write = full_write,
                                         .poll = always_ready,
                                         .seekable = true,
                                         .no_epoll = true};
static const struct file_ops random_ops = {
    .read = random_read, .write = null_write, .poll = always_ready, .seekable = true};
static const struct file_ops tty_ops = {.open = console_open_tty};

/* A device number nothing here drives: open() says so, as Linux's does. */
static int nodev_open(struct file *f, struct thread *t)
{
	return -ENXIO;
}
static const struct file_ops nodev_ops = {.open = nodev_open};

static const struct {
	const char *name;
	uint32_t mode, rdev;
	const struct file_ops *ops;
} devs[] = {
    {"null", 0666, (1 << 8) | 3, &null_ops},      {"zero", 0666, (1 << 8) | 5, &zero_ops},
    {"full", 0666, (1 << 8) | 7, &full_ops},      {"random", 0666, (1 << 8) | 8, &random_ops},
    {"urandom", 0666, (1 << 8) | 9, &random_ops}, {"tty", 0666, (5 << 8) | 0, &tty_ops},
    {"console", 0600, (5 << 8) | 1, &tty_ops},
};

void devfs_bind_node(struct inode *ino)
{
	ino->fops = &nodev_ops;
	if (!S_ISCHR(ino->mode))
		return;
	for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
		if (devs[i].rdev == ino->rdev)
			ino->fops = devs[i].ops;
}

static int add_dev(struct inode *dev, const char *name, uint32_t mode, uint32_t rdev,
                   const struct file_ops *ops)
{
	struct inode *ino = inode_new(SB_DEV, S_IFCHR | mode);
	int r;
	if (!ino)
		return -ENOMEM;
	ino->uid = ino->gid = 0;
	ino->rdev = rdev;
	ino->fops = ops;
	r = dir_link(dev, name, ino);
	inode_put(ino);
	return r;
}

static int add_link(struct inode *dev, const char *name, const char *target)
{
	struct inode *ino = inode_new(SB_DEV, S_IFLNK | 0777);
	int r;
	if (!ino)
		return -ENOMEM;
	ino->uid = ino->gid = 0;
	ino->link = strdup(target);
	ino->size = strlen(target);
	r = ino->link ? dir_link(dev, name, ino) : -ENOMEM;
	inode_put(ino);
	return r;
}

int devfs_init(struct inode *dev)
{
	static const char *const links[][2] = {
	    {"stdin", "/proc/self/fd/0"},
	    {"stdout", "/proc/self/fd/1"},
	    {"stderr", "/proc/self/fd/2"},
	    {"fd", "/proc/self/fd"},
	};
	int r = 0;

	for (size_t i = 0; i < sizeof devs / sizeof devs[0] && r == 0; i++)
		r = add_dev(dev, devs[i].name, devs[i].mode, devs[i].rdev, devs[i].ops);
	for (size_t i = 0; i < sizeof links / sizeof links[0] && r == 0; i++)
		r = add_link(dev, links[i][0], links[i][1]);
	if (r == 0) {
		struct inode *shm = inode_new(SB_SHM, S_IFDIR | 01777);
		if (!shm)
			return -ENOMEM;
		shm->uid = shm->gid = 0;
		r = dir_link(dev, "shm", shm);
		inode_put(shm);
	}
	return r;
}
