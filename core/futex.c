/*
 * Futexes: a table of wait queues keyed by (address space, address), and
 * the futex system call (WAIT, WAKE, their BITSET forms, REQUEUE,
 * CMP_REQUEUE, WAKE_OP).  Waiting uses the park contract of kernel.h.
 *
 * Differences from Linux, on purpose for now:
 *  - the client's other threads keep running while the server handles a
 *    call, and the core reaches client memory by copying, so FUTEX_WAKE_OP's
 *    read-modify-write (and the robust-list update in task.c) is not atomic
 *    against a concurrent atomic instruction in the client;
 *  - PI futexes (LOCK_PI, UNLOCK_PI, TRYLOCK_PI, *_REQUEUE_PI, LOCK_PI2)
 *    return ENOSYS, as on a kernel built without CONFIG_FUTEX_PI.
 */
#include <stdlib.h>

#include "mm.h"
#include "syscall.h"
#include "task.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define NSEC_PER_SEC 1000000000ULL

/* A futex's identity, as Linux's futex key: (mm, address) for a private
 * futex or private memory, (file, offset) for a shared futex in a shared
 * mapping, where every process mapping the file must meet it. */
struct fkey {
	const void *obj;
	uint64_t off;
};

static struct fkey key_of(struct mm *mm, uint64_t addr, bool private)
{
	struct fkey k = {mm, addr};
	if (!private)
		(void)mm_shared_key(mm, addr, &k.obj, &k.off);
	return k;
}

/* One futex word somebody waits on. */
struct futex_q {
	struct list_head link; /* in its bucket */
	struct fkey key;
	struct waitq wq;
};

#define NBUCKETS 256
static struct list_head buckets[NBUCKETS];
static bool buckets_ready;

static struct list_head *bucket_of(struct fkey k)
{
	if (!buckets_ready) {
		for (int i = 0; i < NBUCKETS; i++)
			list_init(&buckets[i]);
		buckets_ready = true;
	}
	uint64_t h = (k.off >> 2) ^ ((uintptr_t)k.obj >> 4);
	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return &buckets[(h >> 56) % NBUCKETS];
}

/* Queues come and go with every wait and wake on a busy futex: a few are
 * kept for reuse rather than given back to malloc each time. */
#define Q_CACHE 16
static struct futex_q *q_cache[Q_CACHE];
static int q_cached;

static struct futex_q *q_alloc(void)
{
	return q_cached ? q_cache[--q_cached] : malloc(sizeof(struct futex_q));
}

static void q_free(struct futex_q *q)
{
	if (q_cached < Q_CACHE)
		q_cache[q_cached++] = q;
	else
		free(q);
}

/* The queue for a key; created if create.  Queues nobody waits on any
 * more are freed as the bucket is scanned (waiters leave their queues
 * inside sched.c, which does not tell us). */
static struct futex_q *queue_of(struct fkey k, bool create)
{
	struct list_head *b = bucket_of(k);
	struct futex_q *q, *n, *found = NULL;

	list_for_each_entry_safe(q, n, b, link)
	{
		if (q->key.obj == k.obj && q->key.off == k.off)
			found = q;
		else if (list_empty(&q->wq.waiters)) {
			list_del(&q->link);
			q_free(q);
		}
	}
	if (found || !create)
		return found;
	q = q_alloc();
	if (!q)
		return NULL;
	q->key = k;
	waitq_init(&q->wq);
	list_add(&q->link, b);
	return q;
}

static void queue_put(struct futex_q *q)
{
	if (q && list_empty(&q->wq.waiters)) {
		list_del(&q->link);
		q_free(q);
	}
}

void futex_forget_mm(struct mm *mm)
{
	if (!buckets_ready)
		return;
	for (int i = 0; i < NBUCKETS; i++) {
		struct futex_q *q, *n;
		list_for_each_entry_safe(q, n, &buckets[i], link)
		{
			if (q->key.obj == mm && list_empty(&q->wq.waiters)) {
				list_del(&q->link);
				q_free(q);
			}
		}
	}
}

/* ---- Waking -------------------------------------------------------------------- */
/* waitq_wake calls this for a parked waiter and wakes it when it returns
 * true: the waiter learns here that it was woken (rather than by a
 * spurious WAKE_EVENT), so that it returns 0 without re-reading the word. */
static bool wake_match(struct thread *t, void *arg)
{
	uint32_t bitset = *(uint32_t *)arg;
	if (!(t->sys.futex.bitset & bitset))
		return false;
	t->sys.futex.woken = true;
	return true;
}

static int wake_queue(struct futex_q *q, int n, uint32_t bitset)
{
	if (!q)
		return 0;
	int woken = waitq_wake(&q->wq, n, wake_match, &bitset);
	queue_put(q);
	return woken;
}

static int wake_key(struct fkey k, int n, uint32_t bitset)
{
	/* Linux wakes one waiter even when asked for 0 or fewer. */
	return wake_queue(queue_of(k, false), n <= 0 ? 1 : n, bitset);
}

/* Thread exit's wakes (clear_child_tid, robust lists) are shared ones,
 * as on Linux. */
int futex_wake(struct mm *mm, uint64_t uaddr, int n, uint32_t bitset)
{
	return wake_key(key_of(mm, uaddr, false), n, bitset);
}

/* waitq_requeue moves every waiter this accepts (up to its count): the
 * waiter's key follows it, so that a spurious wake-up parks it again on
 * the futex it was moved to. */
static bool requeue_match(struct thread *t, void *arg)
{
	const struct fkey *k = arg;
	t->sys.futex.key_obj = k->obj;
	t->sys.futex.key_addr = k->off;
	return true;
}

/* ---- Waiting ---------------------------------------------------------------------- */
/* Register t on its futex's queue and park it until t->sys.futex.deadline. */
static long futex_park(struct thread *t)
{
	struct fkey k = {t->sys.futex.key_obj, t->sys.futex.key_addr};
	struct futex_q *q = queue_of(k, true);
	if (!q)
		return -ENOMEM;
	int r = thread_wait_on(t, &q->wq);
	if (r < 0) {
		queue_put(q);
		return r;
	}
	t->sees_signal_wake = true;
	return thread_park(t, t->sys.futex.deadline);
}

static int read_timespec(struct thread *t, uint64_t uts, int64_t *sec, int64_t *nsec)
{
	int64_t ts[2];
	if (copy_from_user(t, ts, uts, sizeof ts) < 0)
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	*sec = ts[0];
	*nsec = ts[1];
	return 0;
}

/* A monotonic deadline (never 0, which means "none" to thread_park). */
static uint64_t deadline_after(uint64_t base, int64_t sec, int64_t nsec)
{
	uint64_t d;
	if ((uint64_t)sec > (UINT64_MAX - base) / NSEC_PER_SEC - 1)
		return UINT64_MAX;
	d = base + (uint64_t)sec * NSEC_PER_SEC + (uint64_t)nsec;
	return d ? d : 1;
}

/* The deadline of a wait as the monotonic time thread_park uses.  WAIT
 * takes a relative timeout; WAIT_BITSET an absolute time on the monotonic
 * clock, or on the realtime clock with FUTEX_CLOCK_REALTIME (converted
 * once: a later change of the realtime clock does not move it, unlike on
 * Linux). */
static long wait_deadline(struct thread *t, int cmd, bool realtime, uint64_t uts,
                          uint64_t *deadline)
{
	int64_t sec, nsec;
	int r;

	*deadline = 0;
	if (!uts)
		return 0;
	r = read_timespec(t, uts, &sec, &nsec);
	if (r < 0)
		return r;
	if (cmd == FUTEX_WAIT) {
		*deadline = deadline_after(now_ns(), sec, nsec);
		return 0;
	}
	uint64_t abs = (uint64_t)sec * NSEC_PER_SEC + (uint64_t)nsec;
	if ((uint64_t)sec > UINT64_MAX / NSEC_PER_SEC - 1)
		abs = UINT64_MAX;
	if (realtime) {
		uint64_t rt = plat_clock_ns(0), mono = now_ns();
		uint64_t left = abs <= rt ? 0 : abs - rt;
		abs = left > UINT64_MAX - mono ? UINT64_MAX : mono + left;
	}
	*deadline = abs ? abs : 1;
	return 0;
}

static long futex_wait(struct thread *t, struct mm *mm, bool private, uint64_t uaddr, uint32_t val,
                       uint32_t bitset, uint64_t deadline)
{
	uint32_t cur;

	if (copy_from_user(t, &cur, uaddr, sizeof cur) < 0)
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	t->sys.futex.deadline = deadline;
	t->sys.futex.bitset = bitset;
	struct fkey k = key_of(mm, uaddr, private);
	t->sys.futex.key_addr = k.off;
	t->sys.futex.key_obj = k.obj;
	t->sys.futex.woken = false;
	return futex_park(t);
}

static long futex_restart(struct thread *t);

/* A re-dispatch of a parked wait (uaddr, val, private: its arguments):
 * woken, timed out, interrupted, or spurious.  Interrupted, a wait without
 * a timeout runs again after a handler with SA_RESTART; one with a timeout
 * answers EINTR to a handler, and after a stop and SIGCONT goes on to the
 * same deadline (restart_syscall), re-reading the word as Linux does. */
static long futex_wait_again(struct thread *t, uint64_t uaddr, uint32_t val, bool private)
{
	if (t->sys.futex.woken)
		return 0;
	if (t->wake == WAKE_TIMEOUT)
		return -ETIMEDOUT;
	if (t->wake == WAKE_SIGNAL) {
		if (!t->sys.futex.deadline)
			return -ERESTARTSYS;
		t->restart =
		    (struct restart_block){.fn = futex_restart,
		                           .deadline = t->sys.futex.deadline,
		                           .a = {uaddr, val, t->sys.futex.bitset, private}};
		return -ERESTART_RESTARTBLOCK;
	}
	/* A wake-up that was not ours: wait on, without re-reading. */
	return futex_park(t);
}

static long futex_restart(struct thread *t)
{
	const uint64_t *a = t->restart.a;
	if (t->wake != WAKE_NONE)
		return futex_wait_again(t, a[0], (uint32_t)a[1], a[3]);
	return futex_wait(t, t->proc->mm, a[3], a[0], (uint32_t)a[1], (uint32_t)a[2],
	                  t->restart.deadline);
}

/* ---- WAKE_OP, REQUEUE -------------------------------------------------------------- */
static int32_t sign_extend12(uint32_t v)
{
	return (int32_t)(v << 20) >> 20;
}

static long futex_wake_op(struct thread *t, struct mm *mm, bool private, uint64_t uaddr,
                          uint64_t uaddr2, int nr_wake, int nr_wake2, uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = sign_extend12(encoded >> 12), cmparg = sign_extend12(encoded);
	uint32_t oldval, newval;
	bool cond;

	if (encoded & (8u << 28)) { /* FUTEX_OP_OPARG_SHIFT */
		/* Linux warns about a shift outside 0..31 and masks it. */
		oparg = 1 << (oparg & 31);
	}
	if (op > 4 || cmp > 5)
		return -ENOSYS;
	if (uaddr2 & 3)
		return -EINVAL;
	if (copy_from_user(t, &oldval, uaddr2, sizeof oldval) < 0)
		return -EFAULT;
	switch (op) {
	case 0:
		newval = (uint32_t)oparg;
		break; /* SET */
	case 1:
		newval = oldval + (uint32_t)oparg;
		break; /* ADD */
	case 2:
		newval = oldval | (uint32_t)oparg;
		break; /* OR */
	case 3:
		newval = oldval & ~(uint32_t)oparg;
		break; /* ANDN */
	default:
		newval = oldval ^ (uint32_t)oparg;
		break; /* XOR */
	}
	if (copy_to_user(t, uaddr2, &newval, sizeof newval) < 0)
		return -EFAULT;
	switch (cmp) {
	case 0:
		cond = (int32_t)oldval == cmparg;
		break;
	case 1:
		cond = (int32_t)oldval != cmparg;
		break;
	case 2:
		cond = (int32_t)oldval < cmparg;
		break;
	case 3:
		cond = (int32_t)oldval <= cmparg;
		break;
	case 4:
		cond = (int32_t)oldval > cmparg;
		break;
	default:
		cond = (int32_t)oldval >= cmparg;
		break;
	}
	int woken = wake_key(key_of(mm, uaddr, private), nr_wake, FUTEX_BITSET_MATCH_ANY);
	if (cond)
		woken += wake_key(key_of(mm, uaddr2, private), nr_wake2, FUTEX_BITSET_MATCH_ANY);
	return woken;
}

static long futex_requeue(struct thread *t, struct mm *mm, bool private, uint64_t uaddr,
                          uint64_t uaddr2, int nr_wake, int nr_requeue, bool cmp, uint32_t cmpval)
{
	struct futex_q *q, *q2;
	int woken, moved = 0;

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	if (uaddr2 & 3)
		return -EINVAL;
	if (cmp) {
		uint32_t cur;
		if (copy_from_user(t, &cur, uaddr, sizeof cur) < 0)
			return -EFAULT;
		if (cur != cmpval)
			return -EAGAIN;
	}
	struct fkey k1 = key_of(mm, uaddr, private), k2 = key_of(mm, uaddr2, private);
	q = queue_of(k1, false);
	if (!q)
		return 0;
	uint32_t any = FUTEX_BITSET_MATCH_ANY;
	woken = waitq_wake(&q->wq, nr_wake, wake_match, &any);
	bool same = k1.obj == k2.obj && k1.off == k2.off;
	if (nr_requeue > 0 && !list_empty(&q->wq.waiters) && !same) {
		q2 = queue_of(k2, true);
		if (!q2)
			return -ENOMEM;
		moved = waitq_requeue(&q->wq, &q2->wq, nr_requeue, requeue_match, &k2);
		queue_put(q2);
	} else if (nr_requeue > 0 && same) {
		/* Requeueing onto the same word moves nobody, but Linux counts
		 * them. */
		struct list_head *pos;
		for (pos = q->wq.waiters.next; pos != &q->wq.waiters && moved < nr_requeue;
		     pos = pos->next)
			moved++;
	}
	queue_put(q);
	return woken + moved;
}

/* ---- The system call ---------------------------------------------------------------- */
long sys_futex(struct thread *t, const struct sysargs *a)
{
	uint64_t uaddr = a->a[0], utime = a->a[3], uaddr2 = a->a[4];
	int op = (int)a->a[1];
	int cmd = op & FUTEX_CMD_MASK;
	uint32_t val = (uint32_t)a->a[2], val3 = (uint32_t)a->a[5];
	bool private = op & FUTEX_PRIVATE_FLAG, realtime = op & FUTEX_CLOCK_REALTIME;
	struct mm *mm = t->proc->mm;
	uint64_t deadline;
	long r;

	/* The same call again after a park (see kernel.h). */
	if (t->wake != WAKE_NONE && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET))
		return futex_wait_again(t, uaddr, val, private);

	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_WAKE_OP:
		break;
	case FUTEX_LOCK_PI:
	case FUTEX_UNLOCK_PI:
	case FUTEX_TRYLOCK_PI:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_CMP_REQUEUE_PI:
	case FUTEX_LOCK_PI2:
		pr_warn_once("persona: warning: priority-inheritance futexes are not implemented; "
		             "the program gets ENOSYS");
		return -ENOSYS;
	default:
		return -ENOSYS;
	}
	if (uaddr & 3)
		return -EINVAL;
	/* A shared futex's key comes from the page behind it, so Linux
	 * faults on an unmapped word even for a wake. */
	if (!private) {
		uint32_t probe;
		if (copy_from_user(t, &probe, uaddr, sizeof probe) < 0)
			return -EFAULT;
	}
	/* Linux takes the second futex's key before comparing or waking. */
	if (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP) {
		uint32_t probe;
		if (uaddr2 & 3)
			return -EINVAL;
		if (uaddr2 > ARCH_TASK_SIZE_MAX - sizeof probe ||
		    (!private && copy_from_user(t, &probe, uaddr2, sizeof probe) < 0))
			return -EFAULT;
	}

	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT)
			val3 = FUTEX_BITSET_MATCH_ANY;
		if (!val3)
			return -EINVAL;
		r = wait_deadline(t, cmd, realtime, utime, &deadline);
		if (r < 0)
			return r;
		return futex_wait(t, mm, private, uaddr, val, val3, deadline);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE)
			val3 = FUTEX_BITSET_MATCH_ANY;
		if (!val3)
			return -EINVAL;
		return wake_key(key_of(mm, uaddr, private), (int)val, val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		/* val2 travels in the timeout register. */
		return futex_requeue(t, mm, private, uaddr, uaddr2, (int)val, (int)(uint32_t)utime,
		                     cmd == FUTEX_CMP_REQUEUE, val3);
	default: /* FUTEX_WAKE_OP */
		return futex_wake_op(t, mm, private, uaddr, uaddr2, (int)val, (int)(uint32_t)utime,
		                     val3);
	}
}
