/*
 * Private header of the socket module: socket.c (endpoints with their
 * rings and wait queues, the server-side endpoint made at connect(),
 * AF_UNIX names) and inet.c (Internet addresses and ports, and what TCP
 * and UDP do differently on the same endpoints).  Other files use the
 * socket section of file.h.
 */
#ifndef PERSONA_SOCK_H
#define PERSONA_SOCK_H

#include "file.h"

#define LX_AF_UNSPEC 0
#define LX_AF_UNIX 1
#define LX_AF_INET 2
#define LX_AF_INET6 10
#define LX_SOCK_STREAM 1
#define LX_SOCK_DGRAM 2
#define LX_SOCK_SEQPACKET 5
#define LX_IPPROTO_TCP 6
#define LX_IPPROTO_UDP 17
#define LX_POLLRDHUP 0x2000
#define SOCK_BUF (208 * 1024) /* Linux's default socket buffer */

/* Linux's sock->state; SS_CONNECTING: a non-blocking TCP connect whose
 * outcome no connect() has reported yet. */
enum { SS_UNCONNECTED, SS_LISTENING, SS_CONNECTED, SS_CONNECTING };

/* An Internet address and port: IPv6, an IPv4 address as ::ffff:a.b.c.d,
 * so that an AF_INET socket and a dual-stack AF_INET6 one meet. */
struct inet_name {
	uint8_t a[16];
	uint16_t port; /* host order; 0: none */
};

struct usock {
	struct usock *peer; /* referenced; NULL once the other end is closed */
	struct inode *ino;  /* the anonymous inode this endpoint lives in */
	int domain, type, proto, state;
	char *buf; /* receive ring of cap bytes (make_room) */
	size_t cap, head, len;
	bool shut_rd, shut_wr;       /* this end's shutdown (TCP: Linux's sk_shutdown) */
	bool dead;                   /* closed: datagrams to it are refused */
	int err;                     /* pending error (SO_ERROR): ECONNRESET... */
	struct waitq wq;             /* readers, writers, acceptors, connectors */
	struct waitq *wqp;           /* the queue in use: wq, or dgram_wq */
	struct sock_opts opt;        /* setsockopt's */
	struct list_head bound_link; /* in socket.c's or inet.c's list of names */
	bool listed;
	int backlog;              /* listener */
	struct list_head pending; /* listener: embryos not yet accepted */
	struct list_head pend_link;
	int npending;
	/* AF_UNIX */
	struct sock_addr addr; /* addr.len == 0: unnamed */
	struct inode *path;    /* the socket inode of a path name (referenced) */
	int32_t cred[3];       /* the peer's pid, uid, gid (SO_PEERCRED) */
	int32_t own[3];        /* a listener's own, given to those that connect */
	/* Internet (inet.c) */
	struct inet_name local, remote;
	bool port_locked, addr_locked; /* bound by the caller, not automatically */
	bool remote_set;               /* UDP: connected to remote */
	/* TCP: est while the connection lives (Linux's states from
	 * ESTABLISHED to CLOSING); fin_in once the peer's FIN came
	 * (SOCK_DONE); fin_first: this end sent its FIN before the peer's
	 * came, so its port lingers in TIME_WAIT (tw: recorded). */
	bool est, fin_in, fin_first, tw;
};

/* socket.c */
int sock_take_err(struct usock *s);
/* -EPIPE, with SIGPIPE for t unless nosignal. */
long sock_epipe(struct thread *t, bool nosignal);
/* Whether d's ring has room for another page of data (POLLOUT). */
bool sock_room(const struct usock *d);
/* Put up to len bytes of a stream into d's ring: how many, or -EAGAIN. */
long stream_put(struct usock *d, const void *buf, size_t len);
/* Put one message into d's ring, with the sender's address bytes (alen
 * may be 0): len, -EAGAIN when it does not fit now, -EMSGSIZE. */
long message_put(struct usock *d, const char *addr, uint32_t alen, const void *buf, size_t len);
/* A server-side endpoint of listener l connected to s, queued on l; NULL
 * when out of memory. */
struct usock *embryo_new(struct usock *s, struct usock *l);
/* Drop l's endpoints not yet accepted (each is released as an embryo). */
void drop_pending(struct usock *l);
void sock_unlink_peer(struct usock *s);
void sock_wake(struct usock *s);

/* inet.c */
void inet_init(struct usock *s);
int inet_bind(struct thread *t, struct usock *s, const struct sock_addr *a);
int inet_listen(struct usock *s);
int inet_connect(struct usock *s, const struct sock_addr *a, bool nonblock, struct waitq **wait);
long inet_send(struct usock *s, struct thread *t, const void *buf, size_t len,
               const struct sock_io *io);
/* 1: data is there to read; 0: end of file; -errno. */
int inet_recv_state(struct usock *s);
unsigned inet_poll(struct usock *s);
int inet_shutdown(struct usock *s, bool rd, bool wr);
int inet_getname(struct usock *s, bool peer, struct sock_addr *out);
/* s is closed (embryo: a connection its listener never accepted). */
void inet_release(struct usock *s, bool embryo);

#endif
