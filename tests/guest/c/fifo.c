/*
 * FIFOs and mknod(2): making them and the errors of mknod, the open rules
 * (O_NONBLOCK readers and writers, ENXIO, O_RDWR, waiting for the other
 * side across fork and threads, a writer that came and went), poll's
 * POLLHUP only after a writer, data dropped when the last opener goes,
 * a blocked open interrupted by a signal or its process killed (its count
 * given back), a pipe opened again through /proc/self/fd with O_RDWR, and
 * device, socket and regular nodes.  Everything lives in a directory made
 * by mkdtemp under /tmp, removed at the end.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char dir[64], fifo[96];

static short revents(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* Opens the write side after a pause, writes a byte and closes at once. */
static void *late_writer(void *arg)
{
	sleep_ms(150);
	int fd = open(fifo, O_WRONLY);
	if (fd >= 0) {
		(void)!write(fd, "x", 1);
		close(fd);
	}
	return NULL;
}

/* Opens the read side after a pause and keeps it until told. */
static int late_reader_fd = -1;
static void *late_reader(void *arg)
{
	sleep_ms(150);
	late_reader_fd = open(fifo, O_RDONLY);
	return NULL;
}

static void on_alarm(int sig) {}

static void opens(void)
{
	char buf[64];
	int rd, wr, fd;
	struct stat st;

	/* No reader: a nonblocking writer is refused; a nonblocking reader is
	 * not, reads EOF, and sees no POLLHUP until a writer has come. */
	CHECK_ERR(open(fifo, O_WRONLY | O_NONBLOCK), ENXIO);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(rd >= 0, "a nonblocking reader opens without a writer");
	CHECK(read(rd, buf, sizeof buf) == 0, "it reads EOF");
	CHECK(revents(rd) == 0, "poll reports nothing before any writer");
	CHECK_ERR(lseek(rd, 0, SEEK_SET), ESPIPE);
	CHECK(fstat(rd, &st) == 0 && S_ISFIFO(st.st_mode), "fstat says FIFO");
	wr = open(fifo, O_WRONLY | O_NONBLOCK);
	CHECK(wr >= 0, "a nonblocking writer opens once there is a reader");
	CHECK(write(wr, "abc", 3) == 3, "write 3 bytes");
	CHECK(revents(rd) == POLLIN, "poll: POLLIN with a writer");
	CHECK(read(rd, buf, sizeof buf) == 3 && !memcmp(buf, "abc", 3), "read them");
	CHECK_ERR(read(rd, buf, sizeof buf), EAGAIN);
	close(wr);
	CHECK(revents(rd) == POLLHUP, "poll: POLLHUP once the writer went");
	CHECK(read(rd, buf, sizeof buf) == 0, "then EOF");

	/* What is left when everyone closes is gone at the next open. */
	wr = open(fifo, O_WRONLY | O_NONBLOCK);
	CHECK(write(wr, "lost", 4) == 4, "write 4 bytes nobody reads");
	close(wr);
	close(rd);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	wr = open(fifo, O_WRONLY | O_NONBLOCK);
	CHECK_ERR(read(rd, buf, sizeof buf), EAGAIN);
	close(rd);
	CHECK_ERR(write(wr, "x", 1), EPIPE);
	close(wr);

	/* O_RDWR never waits and is both ends. */
	fd = open(fifo, O_RDWR);
	CHECK(fd >= 0, "O_RDWR opens alone");
	CHECK(write(fd, "self", 4) == 4 && read(fd, buf, sizeof buf) == 4 &&
	          !memcmp(buf, "self", 4),
	      "and reads back what it wrote");
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "F_GETFL says O_RDWR");
	close(fd);
}

static void waits(void)
{
	char buf[64];
	struct timespec t0;
	pthread_t th;
	int fd, st;

	/* A blocking reader waits for a writer (a thread, later). */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&th, NULL, late_writer, NULL);
	fd = open(fifo, O_RDONLY);
	CHECK(fd >= 0 && ms_since(&t0) >= 100, "a blocking reader waits for a writer");
	pthread_join(th, NULL);
	/* The writer came, wrote and went before the read: still delivered. */
	CHECK(read(fd, buf, sizeof buf) == 1 && buf[0] == 'x', "the writer's byte is there");
	CHECK(read(fd, buf, sizeof buf) == 0, "then EOF");
	close(fd);

	/* A blocking writer waits for a reader. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&th, NULL, late_reader, NULL);
	fd = open(fifo, O_WRONLY);
	CHECK(fd >= 0 && ms_since(&t0) >= 100, "a blocking writer waits for a reader");
	pthread_join(th, NULL);
	CHECK(write(fd, "hi", 2) == 2 && read(late_reader_fd, buf, sizeof buf) == 2,
	      "and they talk");
	close(fd);
	close(late_reader_fd);

	/* Across fork: the child's writer waits in open; the parent's reader
	 * then does not wait (the child already counts). */
	pid_t pid = fork();
	if (pid == 0) {
		fd = open(fifo, O_WRONLY);
		_exit(fd >= 0 && write(fd, "from child", 10) == 10 ? 0 : 1);
	}
	sleep_ms(100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = open(fifo, O_RDONLY);
	CHECK(fd >= 0 && ms_since(&t0) < 1000, "a reader finds the child's waiting writer");
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child wrote and exited");
	CHECK(read(fd, buf, sizeof buf) == 10 && !memcmp(buf, "from child", 10),
	      "the parent reads what it wrote");
	close(fd);

	/* A signal without SA_RESTART ends a waiting open with EINTR, and
	 * the reader it would have been is gone. */
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {0, 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_ERR(open(fifo, O_RDONLY), EINTR);
	CHECK_ERR(open(fifo, O_WRONLY | O_NONBLOCK), ENXIO);

	/* Processes killed while they wait in open leave no reader behind. */
	pid = fork();
	if (pid == 0) {
		open(fifo, O_RDONLY);
		_exit(3);
	}
	pid_t pid2 = fork();
	if (pid2 == 0) {
		open(fifo, O_RDONLY);
		_exit(3);
	}
	sleep_ms(200);
	kill(pid, SIGKILL);
	kill(pid2, SIGKILL);
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child died of SIGKILL");
	waitpid(pid2, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "so did the other");
	CHECK_ERR(open(fifo, O_WRONLY | O_NONBLOCK), ENXIO);
}

static void nodes(void)
{
	char path[128], buf[16];
	struct stat st;
	int fd, p[2];

	/* The errors of mknod, in Linux's order. */
	CHECK_ERR(mkfifo(fifo, 0600), EEXIST);
	snprintf(path, sizeof path, "%s/d", dir);
	CHECK_ERR(mknod(path, S_IFDIR | 0755, 0), EPERM);
	CHECK_ERR(mknod(path, S_IFLNK | 0777, 0), EINVAL);
	CHECK_ERR(mknod(fifo, S_IFDIR | 0755, 0), EPERM);
	CHECK_ERR(mknod("/nonexistent/x", S_IFIFO | 0600, 0), ENOENT);
	CHECK_ERR(mknod((char *)8, S_IFIFO | 0600, 0), EFAULT);
	CHECK_ERR(mkfifoat(12345, "x", 0600), EBADF);

	/* A regular file (type 0 or S_IFREG), with the umask applied. */
	snprintf(path, sizeof path, "%s/reg", dir);
	CHECK_OK(mknod(path, 0666, 0));
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644 &&
	          st.st_size == 0,
	      "mknod with type 0 makes an empty regular file, umask applied");
	fd = open(path, O_RDWR);
	CHECK(fd >= 0 && write(fd, "data", 4) == 4, "it opens and takes data");
	close(fd);
	unlink(path);

	/* A socket node: it exists, but open() says ENXIO. */
	snprintf(path, sizeof path, "%s/sock", dir);
	CHECK_OK(mknod(path, S_IFSOCK | 0600, 0));
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "S_IFSOCK makes a socket node");
	CHECK_ERR(open(path, O_RDONLY), ENXIO);
	unlink(path);

	/* Device nodes: root only.  /dev/null's number opens /dev/null. */
	snprintf(path, sizeof path, "%s/null", dir);
	if (geteuid() == 0) {
		CHECK_OK(mknod(path, S_IFCHR | 0666, makedev(1, 3)));
		CHECK(stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
		      "a character node has its number");
		fd = open(path, O_RDWR);
		CHECK(fd >= 0 && write(fd, "gone", 4) == 4 && read(fd, buf, sizeof buf) == 0,
		      "and is the null device");
		close(fd);
		unlink(path);
		snprintf(path, sizeof path, "%s/blk", dir);
		CHECK_OK(mknod(path, S_IFBLK | 0600, makedev(7, 200)));
		CHECK(stat(path, &st) == 0 && S_ISBLK(st.st_mode) && major(st.st_rdev) == 7 &&
		          minor(st.st_rdev) == 200,
		      "a block node has its number");
		unlink(path);
	} else {
		CHECK_ERR(mknod(path, S_IFCHR | 0666, makedev(1, 3)), EPERM);
		CHECK_ERR(mknod(path, S_IFBLK | 0666, makedev(7, 200)), EPERM);
		CHECK(stat(path, &st) < 0 && errno == ENOENT, "nothing is left behind");
	}
	/* A whiteout (0:0) needs no privilege, and opens nothing. */
	snprintf(path, sizeof path, "%s/wh", dir);
	CHECK_OK(mknod(path, S_IFCHR, 0));
	CHECK_ERR(open(path, O_RDONLY), ENXIO);
	unlink(path);

	/* A pipe opened again through /proc/self/fd: O_RDWR is one more
	 * reader and writer. */
	CHECK_OK(pipe(p));
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	fd = open(path, O_RDWR);
	CHECK(fd >= 0, "a pipe reopens O_RDWR through /proc/self/fd");
	CHECK(write(fd, "rw", 2) == 2 && read(p[0], buf, sizeof buf) == 2,
	      "what it writes comes out of the read end");
	close(p[1]);
	CHECK(revents(p[0]) == 0, "no POLLHUP while it is still a writer");
	close(fd);
	CHECK(revents(p[0]) == POLLHUP, "POLLHUP once it is closed too");
	close(p[0]);

	/* An unlinked FIFO keeps working for those who have it open. */
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	int wr = open(fifo, O_WRONLY | O_NONBLOCK);
	CHECK_OK(unlink(fifo));
	CHECK(write(wr, "still", 5) == 5 && read(rd, buf, sizeof buf) == 5,
	      "an unlinked FIFO still carries data");
	close(rd);
	close(wr);
}

int main(void)
{
	struct stat st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	strcpy(dir, "/tmp/fifo.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(fifo, sizeof fifo, "%s/f", dir);
	CHECK_OK(mkfifo(fifo, 0666));
	CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0644 &&
	          st.st_size == 0,
	      "mkfifo makes a FIFO, umask applied");
	opens();
	waits();
	nodes();
	rmdir(dir);
	return check_done();
}
