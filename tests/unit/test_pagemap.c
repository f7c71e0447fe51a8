/* The sparse page map behind regular files, and what it buys: a write at
 * a huge offset costs one frame and a handful of nodes, and range
 * operations visit only present pages. */
#include "fake.h"
#include "file.h"
#include "mm.h"
#include "pagemap.h"
#include "unit.h"

static int dropped;
static void count_drop(frame_t f)
{
	(void)f;
	dropped++;
}

TEST(test_pagemap_sparse)
{
	struct pagemap pm = {0};
	uint64_t far = (1ull << 40) + 5;
	CHECK_EQ(pm_get(&pm, 3), FRAME_NONE);
	frame_t *s = pm_slot(&pm, 3);
	CHECK(s && *s == FRAME_NONE);
	*s = 7;
	s = pm_slot(&pm, far);
	CHECK(s != NULL);
	*s = 9;
	CHECK_EQ(pm_get(&pm, 3), 7);
	CHECK_EQ(pm_get(&pm, far), 9);
	CHECK_EQ(pm_get(&pm, far - 1), FRAME_NONE);
	CHECK_EQ(pm_count(&pm), 2);
	CHECK_EQ(pm_next_present(&pm, 0, UINT64_MAX), 3);
	CHECK_EQ(pm_next_present(&pm, 4, UINT64_MAX), far);
	CHECK_EQ(pm_next_present(&pm, 4, far), far);
	CHECK_EQ(pm_next_present(&pm, far + 1, UINT64_MAX), UINT64_MAX);
	dropped = 0;
	pm_truncate(&pm, 4, count_drop);
	CHECK_EQ(dropped, 1);
	CHECK_EQ(pm_get(&pm, 3), 7);
	CHECK_EQ(pm_get(&pm, far), FRAME_NONE);
	pm_destroy(&pm, count_drop);
	CHECK_EQ(dropped, 2);
	CHECK(pm.root == NULL && pm.height == 0);
}

TEST(test_pagemap_file_at_huge_offset)
{
	CHECK_EQ(vfs_init(), 0);
	uint32_t before = plat_frames_in_use();
	struct inode *ino = vfs_anon_file("x", 1, 0644);
	CHECK(ino != NULL);
	uint64_t off = 1ull << 50;
	CHECK_EQ(inode_write(ino, "y", 1, off), 1);
	CHECK_EQ(inode_size(ino), off + 1);
	CHECK_EQ(plat_frames_in_use() - before, 2); /* page 0 and the far page */
	char c = 0;
	CHECK_EQ(inode_read(ino, &c, 1, off), 1);
	CHECK_EQ(c, 'y');
	CHECK_EQ(inode_read(ino, &c, 1, off / 2), 1);
	CHECK_EQ(c, 0);
	CHECK_EQ(inode_seek_data(ino, 4096, false), (long)(off & ~4095ull));
	CHECK_EQ(inode_seek_data(ino, 0, true), 4096);
	/* Punching the whole range must not walk 2^38 pages; the last,
	 * partial page is zeroed and kept, as on Linux. */
	inode_punch(ino, 0, off + 1);
	CHECK_EQ(plat_frames_in_use() - before, 1);
	CHECK_EQ(inode_read(ino, &c, 1, off), 1);
	CHECK_EQ(c, 0);
	CHECK_EQ(inode_write(ino, "z", 1, (1ull << 52)), -EFBIG);
	inode_put(ino);
	CHECK_EQ(plat_frames_in_use(), before);
}
