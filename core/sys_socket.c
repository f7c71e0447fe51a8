/*
 * The socket system calls other than the transfers (sendto, recvfrom,
 * sendmsg, recvmsg live with the read/write family in sys_fd.c):
 * socket, socketpair, bind, listen, accept, connect, getsockname,
 * getpeername, shutdown, getsockopt, setsockopt.  Each copies in and
 * checks the client's arguments (addresses as Linux's move_addr_to_kernel
 * and unix_validate_addr), then calls socket.c.  AF_UNIX only: other
 * families get EAFNOSUPPORT from socket() and EOPNOTSUPP from
 * socketpair(), with a warning.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"

#define LX_AF_UNIX 1
#define LX_AF_MAX 46
#define LX_SOCK_TYPE_MASK 0xf
#define LX_SOCK_NONBLOCK 04000
#define LX_SOCK_CLOEXEC 02000000
#define LX_SOL_SOCKET 1
#define LX_SO_TYPE 3
#define LX_SO_ERROR 4
#define LX_SO_SNDBUF 7
#define LX_SO_RCVBUF 8
#define LX_SO_PEERCRED 17
#define LX_SO_ACCEPTCONN 30
#define LX_SO_DOMAIN 39
#define SUN_PATH_OFF 2
#define SOCKADDR_UN_SIZE 110
#define SOCKADDR_STORAGE_SIZE 128

/* The socket type socket() or socketpair() asks for (domain, type,
 * protocol in a->a[0..2]), or -errno in Linux's order. */
static int socket_kind(const struct sysargs *a, bool pair)
{
	int domain = (int)a->a[0], type = (int)a->a[1], proto = (int)a->a[2];
	int kind = type & LX_SOCK_TYPE_MASK;

	if (type & ~(LX_SOCK_TYPE_MASK | LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
		return -EINVAL;
	if (domain < 0 || domain >= LX_AF_MAX)
		return -EAFNOSUPPORT;
	if (kind >= 11) /* SOCK_MAX */
		return -EINVAL;
	if (domain != LX_AF_UNIX) {
		pr_warn_once("persona: warning: sockets of a domain other than AF_UNIX are not "
		             "supported; the program gets EAFNOSUPPORT (socketpair: EOPNOTSUPP)");
		return pair ? -EOPNOTSUPP : -EAFNOSUPPORT;
	}
	if (kind == 3)
		kind = 2; /* SOCK_RAW on AF_UNIX is SOCK_DGRAM, as on Linux */
	if (kind != 1 && kind != 2 && kind != 5)
		return -ESOCKTNOSUPPORT;
	if (proto != 0 && proto != LX_AF_UNIX)
		return -EPROTONOSUPPORT;
	return kind;
}

int sockaddr_from_user(struct thread *t, uint64_t uaddr, uint64_t len, struct sock_addr *out)
{
	memset(out, 0, sizeof *out);
	if ((int32_t)len < 0 || len > SOCKADDR_STORAGE_SIZE)
		return -EINVAL;
	if (len && copy_from_user(t, out->sa, uaddr, len) < 0)
		return -EFAULT;
	out->len = (uint32_t)len;
	return 0;
}

/* Linux's unix_validate_addr; a path is NUL-terminated at len already
 * (the bytes after it are zero), as unix_mkname_bsd makes it. */
int sock_addr_check(const struct sock_addr *a)
{
	if (a->len < SUN_PATH_OFF || a->sa[0] != LX_AF_UNIX || a->sa[1] != 0 ||
	    a->len > SOCKADDR_UN_SIZE)
		return -EINVAL;
	return 0;
}

int sockaddr_to_user(struct thread *t, const struct sock_addr *a, uint64_t uaddr, uint64_t ulen)
{
	int32_t len, klen = (int32_t)a->len;
	if (copy_from_user(t, &len, ulen, sizeof len) < 0)
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && copy_to_user(t, uaddr, a->sa, (size_t)len) < 0)
		return -EFAULT;
	return copy_to_user(t, ulen, &klen, sizeof klen) < 0 ? -EFAULT : 0;
}

long sys_socket(struct thread *t, const struct sysargs *a)
{
	int type = (int)a->a[1], kind = socket_kind(a, false);
	struct file *f;
	if (kind < 0)
		return kind;
	int r = sock_create(kind, (type & LX_SOCK_NONBLOCK) ? O_NONBLOCK : 0, &f);
	if (r < 0)
		return r;
	return fd_install_new(t->proc, f, type & LX_SOCK_CLOEXEC);
}

long sys_bind(struct thread *t, const struct sysargs *a)
{
	struct sock_addr sa;
	struct file *f;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	if ((r = sockaddr_from_user(t, a->a[1], (uint32_t)a->a[2], &sa)) == 0) {
		/* The family alone asks for an automatic name. */
		if (!(sa.len == SUN_PATH_OFF && sa.sa[0] == LX_AF_UNIX && !sa.sa[1]))
			r = sock_addr_check(&sa);
		if (r == 0)
			r = sock_bind(t, f, &sa);
	}
	file_put(f);
	return r;
}

long sys_listen(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	r = sock_listen(t, f, (int)a->a[1]);
	file_put(f);
	return r;
}

long sys_connect(struct thread *t, const struct sysargs *a)
{
	struct sock_addr sa;
	struct file *f;
	struct waitq *wq;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	if ((r = sockaddr_from_user(t, a->a[1], (uint32_t)a->a[2], &sa)) < 0)
		goto out;
	/* A datagram socket is disconnected by AF_UNSPEC. */
	bool unspec = sock_type(f) == 2 && sa.len >= SUN_PATH_OFF && !sa.sa[0] && !sa.sa[1];
	if (!unspec && (r = sock_addr_check(&sa)) < 0)
		goto out;
	r = sock_connect(t, f, &sa, &wq);
	if (r == -EAGAIN && wq && !(f->flags & O_NONBLOCK)) {
		/* The backlog is full: wait for an accept, then try again. */
		r = thread_wait_on(t, wq) < 0 ? -ENOMEM : thread_park(t, 0);
	}
out:
	file_put(f);
	return r;
}

static long do_accept(struct thread *t, const struct sysargs *a, int flags)
{
	struct file *f, *nf;
	struct sock_addr peer;
	if (flags & ~(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
		return -EINVAL;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	r = sock_accept(f, (flags & LX_SOCK_NONBLOCK) ? O_NONBLOCK : 0, &nf, &peer);
	if (r == -EAGAIN && !(f->flags & O_NONBLOCK)) {
		struct waitq *wq;
		file_poll(f, &wq);
		r = thread_wait_on(t, wq) < 0 ? -ENOMEM : thread_park(t, 0);
	}
	file_put(f);
	if (r < 0)
		return r;
	/* A bad address buffer loses the connection, as on Linux. */
	if (a->a[1] && (r = sockaddr_to_user(t, &peer, a->a[1], a->a[2])) < 0) {
		file_put(nf);
		return r;
	}
	return fd_install_new(t->proc, nf, flags & LX_SOCK_CLOEXEC);
}

long sys_accept(struct thread *t, const struct sysargs *a)
{
	return do_accept(t, a, 0);
}

long sys_accept4(struct thread *t, const struct sysargs *a)
{
	return do_accept(t, a, (int)a->a[3]);
}

static long getname(struct thread *t, const struct sysargs *a, bool peer)
{
	struct sock_addr sa;
	struct file *f;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	r = sock_getname(f, peer, &sa);
	file_put(f);
	return r < 0 ? r : sockaddr_to_user(t, &sa, a->a[1], a->a[2]);
}

long sys_getsockname(struct thread *t, const struct sysargs *a)
{
	return getname(t, a, false);
}

long sys_getpeername(struct thread *t, const struct sysargs *a)
{
	return getname(t, a, true);
}

long sys_socketpair(struct thread *t, const struct sysargs *a)
{
	int type = (int)a->a[1], kind = socket_kind(a, true);
	struct file *x, *y;
	int fds[2];

	if (kind < 0)
		return kind;
	int r = socketpair_create(t, kind, (type & LX_SOCK_NONBLOCK) ? O_NONBLOCK : 0, &x, &y);
	if (r < 0)
		return r;
	bool cloexec = type & LX_SOCK_CLOEXEC;
	fds[0] = fd_install_new(t->proc, x, cloexec);
	if (fds[0] < 0) {
		file_put(y);
		return fds[0];
	}
	fds[1] = fd_install_new(t->proc, y, cloexec);
	if (fds[1] < 0) {
		fd_close(t->proc, fds[0]);
		return fds[1];
	}
	if (copy_to_user(t, a->a[3], fds, sizeof fds) < 0) {
		fd_close(t->proc, fds[0]);
		fd_close(t->proc, fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_shutdown(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	r = sock_shutdown(f, (int)a->a[1]);
	file_put(f);
	return r;
}

long sys_getsockopt(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	int level = (int)a->a[1], opt = (int)a->a[2];
	int32_t len, v[3] = {0, 0, 0};
	size_t n = sizeof(int32_t);
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	int type = sock_type(f);
	if (copy_from_user(t, &len, a->a[4], sizeof len) < 0)
		r = -EFAULT;
	else if (len < 0)
		r = -EINVAL;
	else if (level != LX_SOL_SOCKET)
		r = -EOPNOTSUPP;
	if (r < 0) {
		file_put(f);
		return r;
	}
	switch (opt) {
	case LX_SO_TYPE:
		v[0] = type;
		break;
	case LX_SO_ERROR:
		v[0] = sock_take_error(f);
		break;
	case LX_SO_ACCEPTCONN:
		v[0] = sock_listening(f);
		break;
	case LX_SO_DOMAIN:
		v[0] = LX_AF_UNIX;
		break;
	case LX_SO_SNDBUF:
	case LX_SO_RCVBUF:
		v[0] = 2 * 208 * 1024; /* Linux reports double what it was given */
		break;
	case LX_SO_PEERCRED:
		sock_peercred(f, v);
		n = sizeof v;
		break;
	default:
		file_put(f);
		return -ENOPROTOOPT;
	}
	file_put(f);
	if ((size_t)len < n)
		n = (size_t)len;
	if (copy_to_user(t, a->a[3], v, n) < 0)
		return -EFAULT;
	len = (int32_t)n;
	return copy_to_user(t, a->a[4], &len, sizeof len) < 0 ? -EFAULT : 0;
}

long sys_setsockopt(struct thread *t, const struct sysargs *a)
{
	struct file *f;
	int level = (int)a->a[1], opt = (int)a->a[2];
	long r = sock_fd_get(t, a->a[0], &f);
	if (r < 0)
		return r;
	file_put(f);
	if ((int)a->a[4] < (int)sizeof(int32_t))
		return -EINVAL;
	if (level != LX_SOL_SOCKET)
		return -EOPNOTSUPP;
	/* Buffer sizes are accepted and change nothing. */
	if (opt == LX_SO_SNDBUF || opt == LX_SO_RCVBUF)
		return 0;
	return -ENOPROTOOPT;
}
