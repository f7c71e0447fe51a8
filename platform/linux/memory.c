/*
 * The Linux backend's memory pool and start-up: one memfd as large as the
 * memory limit (sparse: a page costs host memory only once touched),
 * mapped once in the server; frame f is the page at offset f * 4096.
 * Clients map the same memfd, so the server's view of a frame is the
 * client's memory itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lx.h"

int lx_memfd = -1;
static char *pool;          /* the server's mapping of the whole memfd */
static uint32_t nframes;    /* frame limit */
static uint32_t next_fresh; /* frames >= this were never handed out */
static uint32_t in_use;

/* Frames given back, oldest first (a ring of nframes entries): reusing
 * them in the order they were freed keeps runs of consecutive frames
 * together, so the client maps them with one mmap. */
static uint32_t *free_ring;
static uint32_t free_head, free_count;

/* Past this many free frames, a frame given back is also punched out of
 * the memfd so that its host memory really goes back; below it, free
 * frames stay resident for quick reuse (the core zeroes what it needs). */
#define KEEP_FREE_FRAMES 32768U /* 128 MiB */

static char last_error[256];

void lx_set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
}

const char *linux_plat_error(void)
{
	return last_error[0] ? last_error : NULL;
}

int lx_memory_init(uint64_t limit)
{
	if (limit < 16 * PLAT_PAGE_SIZE || limit / PLAT_PAGE_SIZE >= UINT32_MAX) {
		lx_set_error("memory limit %llu bytes is out of range", (unsigned long long)limit);
		return -EINVAL;
	}
	limit &= ~(PLAT_PAGE_SIZE - 1);
	int fd = memfd_create("persona-memory", MFD_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		lx_set_error("cannot create the memory pool (memfd_create: %s)", strerror(e));
		return -e;
	}
	if (ftruncate(fd, (off_t)limit) < 0) {
		int e = errno;
		lx_set_error("cannot size the memory pool to %llu bytes (%s)",
		             (unsigned long long)limit, strerror(e));
		close(fd);
		return -e;
	}
	void *p = mmap(NULL, limit, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		lx_set_error(
		    "cannot map the memory pool of %llu bytes (%s): try a smaller --memory",
		    (unsigned long long)limit, strerror(e));
		close(fd);
		return -e;
	}
	/* Untouched pages of this array cost nothing either. */
	uint32_t *ring = mmap(NULL, (limit / PLAT_PAGE_SIZE) * sizeof *ring, PROT_READ | PROT_WRITE,
	                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ring == MAP_FAILED) {
		int e = errno;
		lx_set_error("cannot allocate the frame list (%s)", strerror(e));
		munmap(p, limit);
		close(fd);
		return -e;
	}
	lx_memfd = fd;
	pool = p;
	free_ring = ring;
	nframes = (uint32_t)(limit / PLAT_PAGE_SIZE);
	return 0;
}

unsigned lx_host_cpus = 1;

/* Every round trip between a client and the server is two wake-ups; when
 * they are on different CPUs each costs an idle CPU's wake-up, which in a
 * VM is tens of microseconds (measured here: 50 us per emulated getpid
 * spread over two vCPUs, 4 us on one).  So the server and its clients
 * share the CPU the server started on (clients inherit the affinity).
 * The price: a guest's threads never compute in parallel.  Setting
 * PERSONA_NO_PIN=1 in the environment lets the host spread them. */
static void pin_to_one_cpu(void)
{
	cpu_set_t set;
	const char *no = getenv("PERSONA_NO_PIN");

	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		lx_host_cpus = (unsigned)CPU_COUNT(&set);
	if (no && *no && strcmp(no, "0"))
		return;
	int cpu = sched_getcpu();
	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
}

int linux_plat_init(uint64_t memory_limit)
{
	if (lx_memfd >= 0)
		return 0;
	int r = lx_memory_init(memory_limit);
	if (r < 0)
		return r;
	pin_to_one_cpu();
	return lx_events_init();
}

uint32_t plat_frame_limit(void)
{
	return nframes;
}

/* Frames to punch out, as one run [punch_lo, punch_hi): frames are mostly
 * freed in runs (munmap of a range), and one fallocate per run is far
 * cheaper than one per page.  Flushed before any frame is handed out
 * again, so a punch never hits a frame in use. */
static uint32_t punch_lo, punch_hi;

static void punch_flush(void)
{
	if (punch_hi > punch_lo)
		fallocate(lx_memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		          (off_t)punch_lo * PLAT_PAGE_SIZE,
		          (off_t)(punch_hi - punch_lo) * PLAT_PAGE_SIZE);
	punch_lo = punch_hi = 0;
}

int plat_frame_alloc(frame_t *out)
{
	punch_flush();
	if (free_count) {
		*out = free_ring[free_head];
		free_head = free_head + 1 == nframes ? 0 : free_head + 1;
		free_count--;
	} else if (next_fresh < nframes) {
		*out = next_fresh++;
	} else {
		return -ENOMEM;
	}
	in_use++;
	return 0;
}

void plat_frame_free(frame_t f)
{
	if (f >= next_fresh || free_count >= nframes) {
		lx_log("persona: linux backend: bad frame freed");
		return;
	}
	if (free_count >= KEEP_FREE_FRAMES) {
		if (f == punch_hi && punch_hi > punch_lo) {
			punch_hi++;
		} else if (f + 1 == punch_lo) {
			punch_lo--;
		} else {
			punch_flush();
			punch_lo = f;
			punch_hi = f + 1;
		}
	}
	uint32_t tail = free_head + free_count;
	if (tail >= nframes)
		tail -= nframes;
	free_ring[tail] = f;
	free_count++;
	in_use--;
}

void *plat_frame_ptr(frame_t f)
{
	/* The core only passes frames it allocated; a bad one gives NULL so
	 * that the bug shows at once rather than corrupting another frame. */
	if (f >= next_fresh)
		return NULL;
	return pool + (size_t)f * PLAT_PAGE_SIZE;
}

uint32_t plat_frames_in_use(void)
{
	return in_use;
}

/* Under ASan malloc is the sanitizer's, which mallinfo2 does not see. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

size_t plat_heap_in_use(void)
{
	if (__sanitizer_get_current_allocated_bytes)
		return __sanitizer_get_current_allocated_bytes();
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}
