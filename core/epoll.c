/*
 * epoll: epoll_create/create1, epoll_ctl, epoll_wait/pwait/pwait2.
 *
 * An epoll set is a file whose private data lists its items, one per
 * (file, fd) registered.  An item hears of changes to its file through a
 * wq_watch on the queue the file's poll names (as Linux's ep_poll_callback
 * does): the callback puts it on the set's ready list and wakes the set's
 * own queue, where epoll_wait parks and where an outer epoll set or a
 * poll() on the epoll fd listens.  epoll_wait polls each item on the ready
 * list again: level-triggered items stay on it while ready, edge-triggered
 * ones leave it until the next wake of their file, one-shot ones are
 * disabled until EPOLL_CTL_MOD.  Items do not hold their file: the last
 * close of a file removes it from every set (epoll_file_released).
 *
 * Deliberate difference: Linux passes the wake's event mask to the
 * callback and ignores wakes an item is not interested in; here every
 * wake of the file's queue counts, so an edge-triggered item may be
 * reported once more after a wake that added nothing it asked for (a
 * program that reads until EAGAIN, as edge-triggered use requires, sees
 * only an empty read).  And a thread waiting in epoll_wait when another
 * closes the set's last descriptor gets EBADF (Linux keeps the set alive
 * until that wait ends).
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "task.h"

#define LX_EPOLLIN 0x001U
#define LX_EPOLLOUT 0x004U
#define LX_EPOLLERR 0x008U
#define LX_EPOLLHUP 0x010U
#define LX_EPOLLRDNORM 0x040U
#define LX_EPOLLEXCLUSIVE (1U << 28)
#define LX_EPOLLWAKEUP (1U << 29)
#define LX_EPOLLONESHOT (1U << 30)
#define LX_EPOLLET (1U << 31)
#define EP_PRIVATE_BITS (LX_EPOLLWAKEUP | LX_EPOLLONESHOT | LX_EPOLLET | LX_EPOLLEXCLUSIVE)
#define EP_EXCLUSIVE_OK                                                                            \
	(LX_EPOLLIN | LX_EPOLLOUT | LX_EPOLLERR | LX_EPOLLHUP | LX_EPOLLWAKEUP | LX_EPOLLET |      \
	 LX_EPOLLEXCLUSIVE)
#define LX_EPOLL_CTL_ADD 1
#define LX_EPOLL_CTL_DEL 2
#define LX_EPOLL_CTL_MOD 3
/* Linux's EP_MAX_NESTS: sets inside sets, at most this deep. */
#define EP_MAX_NESTS 4
/* Registrations in the whole server, as Linux's max_user_watches bounds
 * them per user (ENOSPC): each costs server memory. */
#define EP_MAX_WATCHES (1U << 20)

struct eventpoll {
	struct list_head items, ready;
	struct waitq wq; /* epoll_wait parks here; outer sets watch it */
	struct file *self;
};

struct epitem {
	struct list_head ep_link, ready_link; /* ready_link empty: not ready */
	struct epitem *file_next;             /* in file->epitems */
	struct eventpoll *ep;
	struct file *file; /* not referenced: it removes us when it goes */
	int fd;
	uint32_t events; /* what the program asked for, with EPOLLERR|HUP */
	uint64_t data;
	struct wq_watch watch;
};

static unsigned nwatches;
static const struct file_ops epoll_ops;

static bool is_epoll(const struct file *f)
{
	return f->ops == &epoll_ops;
}

static struct eventpoll *ep_of(struct file *f)
{
	return f->priv;
}

/* What the item's file has that the program asked for. */
static uint32_t item_poll(struct epitem *it)
{
	struct waitq *wq;
	if (!(it->events & ~EP_PRIVATE_BITS))
		return 0; /* a fired one-shot */
	return file_poll(it->file, &wq) & it->events & ~EP_PRIVATE_BITS;
}

static void mark_ready(struct epitem *it)
{
	if (list_empty(&it->ready_link))
		list_add_tail(&it->ready_link, &it->ep->ready);
	waitq_wake_all(&it->ep->wq);
}

static void item_woken(struct wq_watch *w)
{
	struct epitem *it = (struct epitem *)((char *)w - offsetof(struct epitem, watch));
	if (it->events & ~EP_PRIVATE_BITS)
		mark_ready(it);
}

static void item_free(struct epitem *it)
{
	waitq_unwatch(&it->watch);
	for (struct epitem **pp = &it->file->epitems; *pp; pp = &(*pp)->file_next) {
		if (*pp == it) {
			*pp = it->file_next;
			break;
		}
	}
	list_del(&it->ep_link);
	if (!list_empty(&it->ready_link))
		list_del(&it->ready_link);
	nwatches--;
	free(it);
}

void epoll_file_released(struct file *f)
{
	while (f->epitems)
		item_free(f->epitems);
}

/* ---- The epoll file ---------------------------------------------------------- */
static unsigned epoll_poll(struct file *f, struct waitq **wq)
{
	struct eventpoll *ep = ep_of(f);
	struct epitem *it;
	*wq = &ep->wq;
	list_for_each_entry(it, &ep->ready, ready_link) if (item_poll(it)) return POLLIN |
	    POLLRDNORM;
	return 0;
}

static void epoll_release(struct file *f)
{
	struct eventpoll *ep = ep_of(f);
	while (!list_empty(&ep->items))
		item_free(list_entry(ep->items.next, struct epitem, ep_link));
	/* Threads parked in epoll_wait on it (another thread closed the
	 * last descriptor) leave its queue before it goes. */
	waitq_wake_all(&ep->wq);
	free(ep);
}

static const struct file_ops epoll_ops = {
    .poll = epoll_poll,
    .release = epoll_release,
    .anon_name = "eventpoll",
};

static long do_create(struct thread *t, unsigned flags)
{
	if (flags & ~(unsigned)O_CLOEXEC)
		return -EINVAL;
	struct file *f = anon_file_new(&epoll_ops, O_RDWR, sizeof(struct eventpoll));
	if (!f)
		return -ENOMEM;
	struct eventpoll *ep = ep_of(f);
	list_init(&ep->items);
	list_init(&ep->ready);
	waitq_init(&ep->wq);
	ep->self = f;
	return fd_install_new(t->proc, f, flags & O_CLOEXEC);
}

long sys_epoll_create(struct thread *t, const struct sysargs *a)
{
	if ((int)a->a[0] <= 0)
		return -EINVAL;
	return do_create(t, 0);
}

long sys_epoll_create1(struct thread *t, const struct sysargs *a)
{
	return do_create(t, (unsigned)a->a[0]);
}

/* ---- epoll_ctl --------------------------------------------------------------- */
static struct epitem *find_item(struct eventpoll *ep, struct file *f, int fd)
{
	struct epitem *it;
	list_for_each_entry(it, &ep->items, ep_link) if (it->file == f && it->fd == fd) return it;
	return NULL;
}

/* How deep the sets under f go (1: f is a set of plain files), or -1 if
 * target is among them: adding f to target would make a loop. */
static int nest_depth(struct file *f, struct file *target, int level)
{
	if (f == target)
		return -1;
	if (level > EP_MAX_NESTS)
		return level;
	int deepest = level;
	struct epitem *it;
	list_for_each_entry(it, &ep_of(f)->items, ep_link)
	{
		if (!is_epoll(it->file))
			continue;
		int d = nest_depth(it->file, target, level + 1);
		if (d < 0)
			return -1;
		if (d > deepest)
			deepest = d;
	}
	return deepest;
}

static int item_add(struct eventpoll *ep, struct file *f, int fd, uint32_t events, uint64_t data)
{
	if (nwatches >= EP_MAX_WATCHES)
		return -ENOSPC;
	if (is_epoll(f)) {
		/* Linux's loop check: no set inside itself, nesting bounded. */
		int d = nest_depth(f, ep->self, 1);
		if (d < 0 || d >= EP_MAX_NESTS)
			return -ELOOP;
	}
	struct epitem *it = calloc(1, sizeof *it);
	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->file = f;
	it->fd = fd;
	it->events = events | LX_EPOLLERR | LX_EPOLLHUP;
	it->data = data;
	list_init(&it->ready_link);
	list_add_tail(&it->ep_link, &ep->items);
	it->file_next = f->epitems;
	f->epitems = it;
	nwatches++;
	struct waitq *wq;
	unsigned m = file_poll(f, &wq);
	it->watch.fn = item_woken;
	if (wq)
		waitq_watch(wq, &it->watch);
	if (m & it->events & ~EP_PRIVATE_BITS)
		mark_ready(it);
	return 0;
}

static void item_modify(struct epitem *it, uint32_t events, uint64_t data)
{
	it->events = events | LX_EPOLLERR | LX_EPOLLHUP;
	it->data = data;
	/* As Linux: a modified item is polled again, re-arming a one-shot
	 * and reporting an edge that is already there. */
	if (item_poll(it))
		mark_ready(it);
}

long sys_epoll_ctl(struct thread *t, const struct sysargs *a)
{
	int op = (int)a->a[1], fd = (int)a->a[2];
	uint8_t ev[ARCH_EPOLL_EVENT_SIZE];
	uint32_t events = 0;
	uint64_t data = 0;

	if (op != LX_EPOLL_CTL_DEL) {
		if (copy_from_user(t, ev, a->a[3], sizeof ev) < 0)
			return -EFAULT;
		memcpy(&events, ev, 4);
		memcpy(&data, ev + ARCH_EPOLL_EVENT_DATA_OFF, 8);
	}
	struct file *f = fd_get_nopath(t->proc, (int)a->a[0]);
	struct file *tf = f ? fd_get_nopath(t->proc, fd) : NULL;
	long r;
	if (!f || !tf)
		r = -EBADF;
	else if (!tf->ops->poll || tf->ops->no_epoll)
		r = -EPERM;
	else if (f == tf || !is_epoll(f))
		r = -EINVAL;
	else if (op != LX_EPOLL_CTL_DEL && (events & LX_EPOLLEXCLUSIVE) &&
	         (op == LX_EPOLL_CTL_MOD ||
	          (op == LX_EPOLL_CTL_ADD && (is_epoll(tf) || (events & ~EP_EXCLUSIVE_OK)))))
		r = -EINVAL;
	else {
		struct eventpoll *ep = ep_of(f);
		struct epitem *it = find_item(ep, tf, fd);
		switch (op) {
		case LX_EPOLL_CTL_ADD:
			r = it ? -EEXIST : item_add(ep, tf, fd, events, data);
			break;
		case LX_EPOLL_CTL_DEL:
			r = it ? (item_free(it), 0) : -ENOENT;
			break;
		case LX_EPOLL_CTL_MOD:
			if (!it)
				r = -ENOENT;
			else if (it->events & LX_EPOLLEXCLUSIVE)
				r = -EINVAL;
			else {
				item_modify(it, events, data);
				r = 0;
			}
			break;
		default:
			r = -EINVAL;
		}
	}
	file_put(tf);
	file_put(f);
	return r;
}

/* ---- epoll_wait -------------------------------------------------------------- */
#define EP_MAX_EVENTS (0x7fffffff / ARCH_EPOLL_EVENT_SIZE)

/* Report what is ready, up to max events; each event copied out before
 * the item's state moves (a fault leaves the rest as they were). */
static long send_events(struct thread *t, struct eventpoll *ep, uint64_t uev, int max)
{
	struct list_head again;
	struct epitem *it, *nx;
	long n = 0;
	list_init(&again);
	list_for_each_entry_safe(it, nx, &ep->ready, ready_link)
	{
		if (n == max)
			break;
		uint32_t m = item_poll(it);
		list_del(&it->ready_link);
		if (!m)
			continue; /* no longer ready: the next wake brings it back */
		uint8_t ev[ARCH_EPOLL_EVENT_SIZE] = {0};
		memcpy(ev, &m, 4);
		memcpy(ev + ARCH_EPOLL_EVENT_DATA_OFF, &it->data, 8);
		if (copy_to_user(t, uev + (uint64_t)n * sizeof ev, ev, sizeof ev) < 0) {
			list_add(&it->ready_link, &ep->ready);
			if (!n)
				n = -EFAULT;
			break;
		}
		n++;
		if (it->events & LX_EPOLLONESHOT)
			it->events &= EP_PRIVATE_BITS;
		else if (!(it->events & LX_EPOLLET))
			list_add_tail(&it->ready_link, &again); /* level: still there */
	}
	/* Level-triggered items go to the back, so that the next call
	 * reports the others first (Linux's round robin). */
	while (!list_empty(&again)) {
		it = list_entry(again.next, struct epitem, ready_link);
		list_del(&it->ready_link);
		list_add_tail(&it->ready_link, &ep->ready);
	}
	return n;
}

static long do_wait(struct thread *t, int epfd, uint64_t uev, int max, int64_t rel_ns)
{
	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	if (uev >= plat_user_top() || (uint64_t)max * ARCH_EPOLL_EVENT_SIZE > plat_user_top() - uev)
		return -EFAULT;
	struct file *f;
	int r = fd_get_kind(t->proc, epfd, &epoll_ops, -EINVAL, &f);
	if (r < 0)
		return r;
	bool no_wait;
	uint64_t deadline = poll_deadline(t, rel_ns, &no_wait);
	struct eventpoll *ep = ep_of(f);
	long n = send_events(t, ep, uev, max);
	if (n == 0 && !no_wait) {
		if (thread_wait_on(t, &ep->wq) < 0) {
			file_put(f);
			return -ENOMEM;
		}
		file_put(f);
		return thread_park(t, deadline);
	}
	file_put(f);
	return n;
}

long sys_epoll_wait(struct thread *t, const struct sysargs *a)
{
	int timeout = (int)a->a[3];
	return do_wait(t, (int)a->a[0], a->a[1], (int)a->a[2],
	               timeout < 0 ? -1 : (int64_t)timeout * 1000000);
}

long sys_epoll_pwait(struct thread *t, const struct sysargs *a)
{
	int timeout = (int)a->a[3];
	int r = poll_apply_sigmask(t, a->a[4], a->a[5]);
	if (r < 0)
		return r;
	return do_wait(t, (int)a->a[0], a->a[1], (int)a->a[2],
	               timeout < 0 ? -1 : (int64_t)timeout * 1000000);
}

long sys_epoll_pwait2(struct thread *t, const struct sysargs *a)
{
	int64_t rel;
	int r = poll_get_timespec(t, a->a[3], &rel);
	if (r == 0)
		r = poll_apply_sigmask(t, a->a[4], a->a[5]);
	if (r < 0)
		return r;
	return do_wait(t, (int)a->a[0], a->a[1], (int)a->a[2], rel);
}
