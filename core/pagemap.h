/*
 * A sparse map from page index to frame, for the pages of a regular file:
 * a radix tree of 512-entry nodes whose height grows with the highest
 * index, so a one-page file costs one 2 KiB leaf and a file with a page at
 * offset 2^50 costs a handful of nodes, never an array sized by the offset.
 */
#ifndef PERSONA_PAGEMAP_H
#define PERSONA_PAGEMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "plat.h"

struct pagemap {
	void *root;
	unsigned height; /* 0: empty; h: indexes below 512^h */
};

/* The frame at idx, or FRAME_NONE. */
frame_t pm_get(const struct pagemap *pm, uint64_t idx);
/* The slot for idx, creating nodes on the way (it holds FRAME_NONE when
 * new).  NULL when out of memory. */
frame_t *pm_slot(struct pagemap *pm, uint64_t idx);
/* The first index in [idx, end) that holds a frame, or end. */
uint64_t pm_next_present(const struct pagemap *pm, uint64_t idx, uint64_t end);
/* How many indexes hold a frame. */
uint64_t pm_count(const struct pagemap *pm);
/* Remove every frame at an index >= first, handing each to drop. */
void pm_truncate(struct pagemap *pm, uint64_t first, void (*drop)(frame_t));
/* Remove everything and free the nodes. */
void pm_destroy(struct pagemap *pm, void (*drop)(frame_t));

#endif
