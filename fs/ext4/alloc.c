/*
 * Allocation: each group has a block bitmap and an inode bitmap (one
 * block each, a bit per block or inode of the group, with metadata_csum a
 * crc32c of the bitmap kept in the descriptor) and counts of free blocks,
 * free inodes, directories and never-used inodes (itable_unused) in its
 * descriptor; the superblock sums the free counts. An allocation sets
 * bits and then writes bitmap, descriptor and superblock, each with its
 * checksum. Groups whose bitmaps were never initialized (BLOCK_UNINIT,
 * INODE_UNINIT with flex_bg and lazy init) are skipped for now.
 *
 * All of it runs under the caller's write serialization (ext4.h).
 */
#include "fs/ext4/ext4_private.h"

#define GD_BLOCK_BITMAP 0x00
#define GD_INODE_BITMAP 0x04
#define GD_FREE_BLOCKS 0x0C
#define GD_FREE_INODES 0x0E
#define GD_USED_DIRS 0x10
#define GD_ITABLE_UNUSED 0x1C
#define GD_HI(off)                                                             \
	((off) < 0x0C ? (off) + 0x20 : (off) == 0x1C ? 0x32 : (off) + 0x20)
#define BG_INODE_UNINIT 1
#define BG_BLOCK_UNINIT 2

static uint8_t *gd_of(struct ext4_fs *fs, uint32_t group)
{
	return fs->gdt + (size_t)group * fs->desc_size;
}

/* A descriptor's 16-bit count (with its high half on 64-byte ones). */
static uint32_t gd_count(const struct ext4_fs *fs, const uint8_t *gd,
			 unsigned off)
{
	uint32_t v = get16(gd, off);

	if (fs->desc_size >= EXT4_DESC_SIZE_64)
		v |= (uint32_t)get16(gd, GD_HI(off)) << 16;
	return v;
}

static void gd_count_set(const struct ext4_fs *fs, uint8_t *gd, unsigned off,
			 uint32_t v)
{
	put16le(gd + off, (uint16_t)v);
	if (fs->desc_size >= EXT4_DESC_SIZE_64)
		put16le(gd + GD_HI(off), (uint16_t)(v >> 16));
}

static uint64_t gd_bitmap(const struct ext4_fs *fs, const uint8_t *gd,
			  bool inode)
{
	unsigned off = inode ? GD_INODE_BITMAP : GD_BLOCK_BITMAP;
	uint64_t b = get32(gd, off);

	if (fs->desc_size >= EXT4_DESC_SIZE_64)
		b |= (uint64_t)get32(gd, off + 0x20) << 32;
	return b;
}

int ext4_write_blocks(struct ext4_fs *fs, uint64_t pblk, uint32_t count,
		      const void *buf)
{
	uint64_t off = pblk << (10 + fs->log_block_size);
	int err;

	if (!ext4_block_valid(fs, pblk, count))
		return ext4_fail(fs, -EUCLEAN, "ext4: writing block %llu",
				 (unsigned long long)pblk);
	err = fs->dev->write(fs->dev, off, buf,
			     (size_t)count << (10 + fs->log_block_size));
	if (err)
		return ext4_fail(fs, err, "ext4: writing block %llu: error %d",
				 (unsigned long long)pblk, err);
	return 0;
}

int ext4_write_super(struct ext4_fs *fs)
{
	int err;

	ext4_sb_csum_set(fs, fs->sb);
	if (fs->jnl)
		return ext4_journal_super(fs);
	err = fs->dev->write(fs->dev, EXT4_SB_OFFSET, fs->sb, EXT4_SB_SIZE);
	return err ? ext4_fail(fs, err, "ext4: writing the superblock") : 0;
}

/* Writes the descriptor block that holds group's descriptor. */
static int write_gd(struct ext4_fs *fs, uint32_t group)
{
	uint32_t per = fs->block_size / fs->desc_size, i = group / per;

	ext4_gd_csum_set(fs, group, gd_of(fs, group));
	return ext4_write_meta(fs, ext4_gdt_block(fs, i),
			       fs->gdt + (size_t)i * fs->block_size);
}

/* Adds delta to the superblock's free blocks (or inodes) count. */
static void sb_add_free(struct ext4_fs *fs, bool inode, int64_t delta)
{
	uint64_t v;

	if (inode) {
		v = get32(fs->sb, EXT4_SB_FREE_INODES) + delta;
		put32(fs->sb + EXT4_SB_FREE_INODES, (uint32_t)v);
		return;
	}
	v = get32(fs->sb, EXT4_SB_FREE_BLOCKS_LO);
	if (fs->incompat & EXT4_INCOMPAT_64BIT)
		v |= (uint64_t)get32(fs->sb, EXT4_SB_FREE_BLOCKS_HI) << 32;
	v += delta;
	put32(fs->sb + EXT4_SB_FREE_BLOCKS_LO, (uint32_t)v);
	if (fs->incompat & EXT4_INCOMPAT_64BIT)
		put32(fs->sb + EXT4_SB_FREE_BLOCKS_HI, (uint32_t)(v >> 32));
}

static int bitmap_read(struct ext4_fs *fs, uint32_t group, bool inode,
		       uint8_t *bm)
{
	const uint8_t *gd = gd_of(fs, group);
	int err = ext4_read_blocks(fs, gd_bitmap(fs, gd, inode), 1, bm);

	if (!err && !ext4_bitmap_csum_ok(fs, gd, inode, bm))
		return ext4_fail(fs, -EBADMSG,
				 "ext4: group %u %s bitmap checksum", group,
				 inode ? "inode" : "block");
	return err;
}

/* Writes the bitmap, then the group's counts (+delta free), then the
 * superblock's. */
static int bitmap_commit(struct ext4_fs *fs, uint32_t group, bool inode,
			 const uint8_t *bm, int32_t delta)
{
	uint8_t *gd = gd_of(fs, group);
	unsigned off = inode ? GD_FREE_INODES : GD_FREE_BLOCKS;
	int err;

	ext4_bitmap_csum_set(fs, gd, inode, bm);
	gd_count_set(fs, gd, off, gd_count(fs, gd, off) + (uint32_t)delta);
	err = ext4_write_meta(fs, gd_bitmap(fs, gd, inode), bm);
	if (!err)
		err = write_gd(fs, group);
	sb_add_free(fs, inode, delta);
	return err ? err : ext4_write_super(fs);
}

static bool bit(const uint8_t *bm, uint32_t i)
{
	return bm[i / 8] & (1u << (i % 8));
}

static void bit_set(uint8_t *bm, uint32_t i, bool on)
{
	if (on)
		bm[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		bm[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

static uint32_t group_blocks(const struct ext4_fs *fs, uint32_t group)
{
	uint64_t left = fs->blocks_count - fs->first_data_block -
			(uint64_t)group * fs->blocks_per_group;

	return (uint32_t)MIN(left, (uint64_t)fs->blocks_per_group);
}

/* Whether bit i of group g's block bitmap may be handed out: clear, and
 * not freed by the transaction still running (transaction.c). */
static bool block_free(const struct ext4_fs *fs, const uint8_t *bm,
		       uint64_t base, uint32_t i)
{
	return !bit(bm, i) && !ext4_journal_busy(fs, base + i);
}

/* Takes up to want free blocks in a row from bitmap bm, from bit `from`;
 * base is the group's first block. */
static uint32_t take_run(const struct ext4_fs *fs, uint8_t *bm, uint64_t base,
			 uint32_t from, uint32_t n, uint32_t want,
			 uint32_t *first)
{
	uint32_t got = 0;

	for (uint32_t i = from; i < n; i++) {
		if (!block_free(fs, bm, base, i))
			continue;
		*first = i;
		while (i < n && got < want && block_free(fs, bm, base, i))
			bit_set(bm, i++, true), got++;
		break;
	}
	return got;
}

static int alloc_in_group(struct ext4_fs *fs, uint32_t g, uint32_t from,
			  uint32_t want, uint64_t *start, uint32_t *got)
{
	const uint8_t *gd = gd_of(fs, g);
	uint8_t *bm;
	uint32_t first = 0;
	uint64_t base;
	int err;

	*got = 0;
	if ((get16(gd, EXT4_GD_FLAGS) & BG_BLOCK_UNINIT) ||
	    !gd_count(fs, gd, GD_FREE_BLOCKS))
		return 0;
	if (!(bm = ext4_block_alloc(fs)))
		return -ENOMEM;
	err = bitmap_read(fs, g, false, bm);
	base = fs->first_data_block + (uint64_t)g * fs->blocks_per_group;
	if (!err)
		*got = take_run(fs, bm, base, from, group_blocks(fs, g), want,
				&first);
	if (!err && *got) {
		*start = base + first;
		err = bitmap_commit(fs, g, false, bm, -(int32_t)*got);
	}
	free(bm);
	return err;
}

/* Up to want blocks in a row, at or after goal if it can. */
int ext4_alloc_blocks(struct ext4_fs *fs, uint64_t goal, uint32_t want,
		      uint64_t *start, uint32_t *got)
{
	uint32_t g0 = 0, from = 0;
	int err;

	if (goal > fs->first_data_block && goal < fs->blocks_count) {
		g0 = (uint32_t)((goal - fs->first_data_block) /
				fs->blocks_per_group);
		from = (uint32_t)((goal - fs->first_data_block) %
				  fs->blocks_per_group);
	}
	for (uint32_t k = 0; k <= fs->groups; k++) {
		uint32_t g = (g0 + k) % fs->groups;

		err = alloc_in_group(fs, g, k ? 0 : from, want, start, got);
		if (err || *got)
			return err;
	}
	/* blocks freed by the running transaction become usable once it
	 * commits (as Linux's ext4_should_retry_alloc) */
	if (ext4_journal_has_freed(fs) && !(err = ext4_journal_commit(fs)))
		return ext4_alloc_blocks(fs, goal, want, start, got);
	return err ? err : ext4_fail(fs, -ENOSPC, "ext4: no free blocks");
}

int ext4_free_blocks(struct ext4_fs *fs, uint64_t start, uint32_t n)
{
	uint8_t *bm = ext4_block_alloc(fs);
	int err = 0;

	if (!bm)
		return -ENOMEM;
	while (n && !err) {
		uint64_t rel = start - fs->first_data_block;
		uint32_t g = (uint32_t)(rel / fs->blocks_per_group);
		uint32_t i = (uint32_t)(rel % fs->blocks_per_group);
		uint32_t k = MIN(n, fs->blocks_per_group - i);

		err = bitmap_read(fs, g, false, bm);
		for (uint32_t j = 0; !err && j < k; j++) {
			if (!bit(bm, i + j))
				err = ext4_fail(fs, -EUCLEAN,
						"ext4: freeing "
						"free block %llu",
						(unsigned long long)start + j);
			bit_set(bm, i + j, false);
		}
		if (!err)
			err = bitmap_commit(fs, g, false, bm, (int32_t)k);
		if (!err)
			err = ext4_journal_forget(fs, start, k);
		start += k;
		n -= k;
	}
	free(bm);
	return err;
}

/* Marks inode index i of group g used and updates its counts. */
static int take_inode(struct ext4_fs *fs, uint32_t g, uint8_t *bm, uint32_t i,
		      bool dir)
{
	uint8_t *gd = gd_of(fs, g);
	uint32_t unused = gd_count(fs, gd, GD_ITABLE_UNUSED);

	bit_set(bm, i, true);
	if (dir)
		gd_count_set(fs, gd, GD_USED_DIRS,
			     gd_count(fs, gd, GD_USED_DIRS) + 1);
	if ((fs->csum || fs->gdt_csum) && i >= fs->inodes_per_group - unused)
		gd_count_set(fs, gd, GD_ITABLE_UNUSED,
			     fs->inodes_per_group - i - 1);
	return bitmap_commit(fs, g, true, bm, -1);
}

static int alloc_inode_in(struct ext4_fs *fs, uint32_t g, bool dir, uint8_t *bm,
			  uint32_t *ino)
{
	const uint8_t *gd = gd_of(fs, g);
	int err;

	if ((get16(gd, EXT4_GD_FLAGS) & BG_INODE_UNINIT) ||
	    !gd_count(fs, gd, GD_FREE_INODES))
		return 0;
	if ((err = bitmap_read(fs, g, true, bm)))
		return err;
	for (uint32_t i = 0; i < fs->inodes_per_group; i++) {
		uint64_t n = (uint64_t)g * fs->inodes_per_group + i + 1;

		if (bit(bm, i) || n < fs->first_ino || n > fs->inodes_count)
			continue;
		*ino = (uint32_t)n;
		return take_inode(fs, g, bm, i, dir);
	}
	return 0;
}

int ext4_alloc_inode(struct ext4_fs *fs, uint32_t near, bool dir, uint32_t *ino)
{
	uint32_t g0 = (near - 1) / fs->inodes_per_group;
	uint8_t *bm = ext4_block_alloc(fs);
	int err = 0;

	if (!bm)
		return -ENOMEM;
	*ino = 0;
	for (uint32_t k = 0; k < fs->groups && !err && !*ino; k++)
		err = alloc_inode_in(fs, (g0 + k) % fs->groups, dir, bm, ino);
	free(bm);
	if (!err && !*ino)
		return ext4_fail(fs, -ENOSPC, "ext4: no free inodes");
	return err;
}

int ext4_free_inode(struct ext4_fs *fs, uint32_t ino, bool dir)
{
	uint32_t g = (ino - 1) / fs->inodes_per_group;
	uint32_t i = (ino - 1) % fs->inodes_per_group;
	uint8_t *bm = ext4_block_alloc(fs), *gd = gd_of(fs, g);
	int err;

	if (!bm)
		return -ENOMEM;
	err = bitmap_read(fs, g, true, bm);
	if (!err && dir)
		gd_count_set(fs, gd, GD_USED_DIRS,
			     gd_count(fs, gd, GD_USED_DIRS) - 1);
	if (!err && !bit(bm, i))
		err =
		    ext4_fail(fs, -EUCLEAN, "ext4: freeing free inode %u", ino);
	if (!err) {
		bit_set(bm, i, false);
		err = bitmap_commit(fs, g, true, bm, 1);
	}
	free(bm);
	return err;
}
