/*
 * Block I/O over struct ext4_dev: every block number that came from the
 * disk is checked against the file system's size before it is read.
 */
#include "fs/ext4/ext4_private.h"

/* Whether blocks [pblk, pblk + n) are inside the file system and past
 * the superblock (block 0 or 1 is never file data or metadata we follow). */
bool ext4_block_valid(const struct ext4_fs *fs, uint64_t pblk, uint64_t n)
{
	uint64_t end;

	if (pblk <= fs->first_data_block || !n)
		return false;
	return !add_overflows(pblk, n, &end) && end <= fs->blocks_count;
}

int ext4_read_blocks(struct ext4_fs *fs, uint64_t pblk, uint32_t count,
		     void *buf)
{
	uint64_t off = pblk << (10 + fs->log_block_size);
	size_t len = (size_t)count << (10 + fs->log_block_size);
	int err;

	if (!ext4_block_valid(fs, pblk, count))
		return ext4_fail(fs, -EUCLEAN,
				 "ext4: block %llu (+%u) out of range",
				 (unsigned long long)pblk, count);
	err = fs->dev->read(fs->dev, off, buf, len);
	if (err)
		return ext4_fail(fs, err, "ext4: reading block %llu: error %d",
				 (unsigned long long)pblk, err);
	ext4_journal_overlay(fs, pblk, count, buf); /* our own changes */
	return 0;
}

void *ext4_block_alloc(const struct ext4_fs *fs)
{
	return malloc(fs->block_size);
}
