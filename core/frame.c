/*
 * Frames as the core sees them: the platform hands out raw 4 KiB frames,
 * and this file keeps a reference count for each, so that a frame shared by
 * several mappings (file pages, later fork's copy-on-write) goes back to
 * the platform exactly when its last user lets go.
 */
#include <stdlib.h>
#include <string.h>

#include "mm.h"

static uint32_t *refcount; /* indexed by frame number */
static uint32_t refcount_len;

/* The array is sized lazily from plat_frame_limit(): the limit is only
 * known once the platform is up (and the fake platform changes it between
 * unit tests). */
static int refcount_fit(void)
{
	uint32_t limit = plat_frame_limit();
	if (limit <= refcount_len)
		return 0;
	uint32_t *n = realloc(refcount, (size_t)limit * sizeof *n);
	if (!n)
		return -ENOMEM;
	memset(n + refcount_len, 0, (size_t)(limit - refcount_len) * sizeof *n);
	refcount = n;
	refcount_len = limit;
	return 0;
}

int frame_alloc_zeroed(frame_t *out)
{
	frame_t f;
	int r = refcount_fit();
	if (r < 0)
		return r;
	r = plat_frame_alloc(&f);
	if (r < 0)
		return r;
	if (f >= refcount_len) {
		/* The platform broke its own limit: refuse rather than overrun. */
		plat_frame_free(f);
		return -ENOMEM;
	}
	memset(plat_frame_ptr(f), 0, PAGE_SIZE);
	refcount[f] = 1;
	*out = f;
	return 0;
}

void frame_ref(frame_t f)
{
	if (f < refcount_len)
		refcount[f]++;
}

void frame_unref(frame_t f)
{
	if (f >= refcount_len || refcount[f] == 0) {
		pr_log("persona: internal error: frame %u released too often", f);
		return;
	}
	if (--refcount[f] == 0)
		plat_frame_free(f);
}

int frame_alloc_copy(frame_t src, frame_t *out)
{
	frame_t f;
	int r = refcount_fit();
	if (r < 0)
		return r;
	r = plat_frame_alloc(&f);
	if (r < 0)
		return r;
	if (f >= refcount_len) {
		plat_frame_free(f);
		return -ENOMEM;
	}
	memcpy(plat_frame_ptr(f), plat_frame_ptr(src), PAGE_SIZE);
	refcount[f] = 1;
	*out = f;
	return 0;
}

uint32_t frame_refs(frame_t f)
{
	return f < refcount_len ? refcount[f] : 0;
}
