/* The sparse page map of regular files (see pagemap.h). */
#include <stdlib.h>

#include "pagemap.h"

#define PM_BITS 9
#define PM_FAN (1u << PM_BITS)
#define PM_MAX_HEIGHT 6 /* 54 bits of page index: more than any file size */

struct pm_leaf {
	frame_t f[PM_FAN];
};
struct pm_node {
	void *child[PM_FAN];
};

static unsigned shift_of(unsigned height)
{
	return (height - 1) * PM_BITS;
}

static uint64_t span(unsigned height)
{
	return height >= PM_MAX_HEIGHT ? UINT64_MAX : (uint64_t)1 << (height * PM_BITS);
}

static void *new_leaf(void)
{
	struct pm_leaf *l = malloc(sizeof *l);
	if (l)
		for (unsigned i = 0; i < PM_FAN; i++)
			l->f[i] = FRAME_NONE;
	return l;
}

frame_t pm_get(const struct pagemap *pm, uint64_t idx)
{
	if (!pm->height || idx >= span(pm->height))
		return FRAME_NONE;
	void *n = pm->root;
	for (unsigned h = pm->height; h > 1; h--) {
		n = ((struct pm_node *)n)->child[(idx >> shift_of(h)) & (PM_FAN - 1)];
		if (!n)
			return FRAME_NONE;
	}
	return ((struct pm_leaf *)n)->f[idx & (PM_FAN - 1)];
}

frame_t *pm_slot(struct pagemap *pm, uint64_t idx)
{
	if (!pm->height) {
		if (!(pm->root = new_leaf()))
			return NULL;
		pm->height = 1;
	}
	/* Grow upwards: the old root becomes child 0 of a new one. */
	while (idx >= span(pm->height)) {
		if (pm->height >= PM_MAX_HEIGHT)
			return NULL;
		struct pm_node *top = calloc(1, sizeof *top);
		if (!top)
			return NULL;
		top->child[0] = pm->root;
		pm->root = top;
		pm->height++;
	}
	void **link = &pm->root;
	for (unsigned h = pm->height; h > 1; h--) {
		struct pm_node *n = *link;
		link = &n->child[(idx >> shift_of(h)) & (PM_FAN - 1)];
		if (!*link) {
			*link = h == 2 ? new_leaf() : calloc(1, sizeof(struct pm_node));
			if (!*link)
				return NULL;
		}
	}
	return &((struct pm_leaf *)*link)->f[idx & (PM_FAN - 1)];
}

/* First present index >= idx below this subtree's end, or UINT64_MAX. */
static uint64_t next_in(void *n, unsigned h, uint64_t base, uint64_t idx)
{
	if (h == 1) {
		struct pm_leaf *l = n;
		for (uint64_t i = idx > base ? idx - base : 0; i < PM_FAN; i++)
			if (l->f[i] != FRAME_NONE)
				return base + i;
		return UINT64_MAX;
	}
	struct pm_node *nd = n;
	uint64_t step = (uint64_t)1 << shift_of(h);
	for (uint64_t i = idx > base ? (idx - base) / step : 0; i < PM_FAN; i++) {
		if (!nd->child[i])
			continue;
		uint64_t r = next_in(nd->child[i], h - 1, base + i * step, idx);
		if (r != UINT64_MAX)
			return r;
	}
	return UINT64_MAX;
}

uint64_t pm_next_present(const struct pagemap *pm, uint64_t idx, uint64_t end)
{
	if (!pm->height || idx >= span(pm->height) || idx >= end)
		return end;
	uint64_t r = next_in(pm->root, pm->height, 0, idx);
	return r < end ? r : end;
}

static uint64_t count_in(const void *n, unsigned h)
{
	uint64_t c = 0;
	for (unsigned i = 0; i < PM_FAN; i++) {
		if (h == 1)
			c += ((const struct pm_leaf *)n)->f[i] != FRAME_NONE;
		else if (((const struct pm_node *)n)->child[i])
			c += count_in(((const struct pm_node *)n)->child[i], h - 1);
	}
	return c;
}

uint64_t pm_count(const struct pagemap *pm)
{
	return pm->height ? count_in(pm->root, pm->height) : 0;
}

/* Drop frames at indexes >= first in this subtree; true if it is now
 * empty (and freed). */
static bool trunc_in(void *n, unsigned h, uint64_t base, uint64_t first, void (*drop)(frame_t))
{
	bool empty = true;
	if (h == 1) {
		struct pm_leaf *l = n;
		for (uint64_t i = 0; i < PM_FAN; i++) {
			if (l->f[i] == FRAME_NONE)
				continue;
			if (base + i >= first) {
				drop(l->f[i]);
				l->f[i] = FRAME_NONE;
			} else {
				empty = false;
			}
		}
	} else {
		struct pm_node *nd = n;
		uint64_t step = (uint64_t)1 << shift_of(h);
		for (uint64_t i = 0; i < PM_FAN; i++) {
			if (!nd->child[i])
				continue;
			if (base + (i + 1) * step > first &&
			    trunc_in(nd->child[i], h - 1, base + i * step, first, drop))
				nd->child[i] = NULL;
			else
				empty = false;
		}
	}
	if (empty)
		free(n);
	return empty;
}

void pm_truncate(struct pagemap *pm, uint64_t first, void (*drop)(frame_t))
{
	if (pm->height && trunc_in(pm->root, pm->height, 0, first, drop)) {
		pm->root = NULL;
		pm->height = 0;
	}
}

void pm_destroy(struct pagemap *pm, void (*drop)(frame_t))
{
	pm_truncate(pm, 0, drop);
}
