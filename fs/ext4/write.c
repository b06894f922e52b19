/*
 * Writing file data: each block of the range is mapped (a hole gets a
 * run of new blocks near the file's last one, entered in the extent
 * tree), partial blocks are read, changed and written back, and the
 * size grows to cover what was written. The inode (size, i_blocks,
 * times, tree root) is written last.
 */
#include "fs/ext4/ext4_private.h"

int ext4_writable(struct ext4_fs *fs, struct ext4_inode *ip)
{
	const char *why = NULL;

	if (fs->readonly)
		return -EROFS;
	if (ip->flags & EXT4_INLINE_DATA_FL)
		why = "inline data";
	else if (!(ip->flags & EXT4_EXTENTS_FL))
		why = "a block-mapped (ext2/3) file";
	else if (ip->flags & EXT4_HUGE_FILE_FL)
		why = "a huge_file inode";
	else if (ext4_is_dir(ip) && (ip->flags & EXT4_INDEX_FL))
		why = "an htree directory";
	if (why)
		return ext4_fail(fs, -EOPNOTSUPP,
				 "ext4: inode %u: %s is not written yet",
				 ip->ino, why);
	return 0;
}

/* Where new blocks for lblk should go: after the block before it. */
static uint64_t goal_for(struct ext4_fs *fs, struct ext4_inode *ip,
			 uint32_t lblk)
{
	struct ext4_map m;

	if (lblk && !ext4_map_blocks(fs, ip, lblk - 1, &m) && m.pblk)
		return m.pblk + 1;
	return fs->first_data_block + 1 +
	       (uint64_t)((ip->ino - 1) / fs->inodes_per_group) *
		   fs->blocks_per_group;
}

int ext4_map_alloc(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		   uint32_t want, uint64_t *pblk, uint32_t *got, bool *fresh)
{
	struct ext4_map m;
	int err = ext4_map_blocks(fs, ip, lblk, &m);

	*fresh = false;
	if (err)
		return err;
	if (m.unwritten)
		return ext4_fail(fs, -EOPNOTSUPP,
				 "ext4: inode %u: writing "
				 "into an unwritten extent",
				 ip->ino);
	if (m.pblk) {
		*pblk = m.pblk;
		*got = MIN(want, m.len);
		return 0;
	}
	want = MIN(want, MIN(m.len, (uint32_t)EXT4_EXT_INIT_MAX_LEN));
	err = ext4_alloc_blocks(fs, goal_for(fs, ip, lblk), want, pblk, got);
	if (err)
		return err;
	err = ext4_ext_insert(fs, ip, lblk, *got, *pblk);
	if (err) {
		ext4_free_blocks(fs, *pblk, *got);
		return err;
	}
	ext4_inode_add_blocks(ip, *got);
	*fresh = true;
	return 0;
}

/* Writes the part of block lblk at [skip, skip + n) from src. */
static int write_block(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		       uint32_t skip, const uint8_t *src, uint32_t n,
		       uint8_t *bounce)
{
	uint64_t pblk;
	uint32_t got;
	bool fresh;
	int err = ext4_map_alloc(fs, ip, lblk, 1, &pblk, &got, &fresh);

	if (err)
		return err;
	if (n == fs->block_size)
		return ext4_write_blocks(fs, pblk, 1, src);
	if (fresh)
		memset(bounce, 0, fs->block_size);
	else if ((err = ext4_read_blocks(fs, pblk, 1, bounce)))
		return err;
	memcpy(bounce + skip, src, n);
	return ext4_write_blocks(fs, pblk, 1, bounce);
}

/* Whole blocks from lblk: as long a run as is mapped or allocated. */
static int write_run(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		     uint32_t count, const uint8_t *src, uint32_t *done)
{
	uint64_t pblk;
	bool fresh;
	int err = ext4_map_alloc(fs, ip, lblk, count, &pblk, done, &fresh);

	return err ? err : ext4_write_blocks(fs, pblk, *done, src);
}

static long write_range(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
			const uint8_t *buf, size_t len, uint8_t *bounce)
{
	uint32_t bs = fs->block_size, n;
	size_t done = 0;
	int err = 0;

	while (done < len && !err) {
		uint64_t pos = off + done;
		uint32_t lblk = (uint32_t)(pos / bs), skip = pos % bs;
		size_t chunk = len - done;

		if (!skip && chunk >= bs) {
			err = write_run(fs, ip, lblk,
					(uint32_t)MIN(chunk / bs, 1u << 15),
					buf + done, &n);
			if (!err)
				done += (size_t)n * bs;
			continue;
		}
		chunk = MIN(chunk, (size_t)(bs - skip));
		err = write_block(fs, ip, lblk, skip, buf + done,
				  (uint32_t)chunk, bounce);
		if (!err)
			done += chunk;
	}
	if (off + done > ip->size)
		ip->size = off + done;
	return done ? (long)done : err;
}

long ext4_write(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
		const void *buf, size_t len)
{
	uint64_t end;
	uint8_t *bounce;
	long r;
	int err;

	if ((err = ext4_writable(fs, ip)))
		return err;
	if (ext4_is_dir(ip))
		return -EISDIR;
	if (add_overflows(off, len, &end) ||
	    end > ((uint64_t)UINT32_MAX << (10 + fs->log_block_size)))
		return -EFBIG;
	if (!len)
		return 0;
	if (!(bounce = ext4_block_alloc(fs)))
		return -ENOMEM;
	r = write_range(fs, ip, off, buf, len, bounce);
	free(bounce);
	ext4_inode_touch(fs, ip, EXT4_T_MTIME | EXT4_T_CTIME);
	err = ext4_inode_write(fs, ip);
	return r < 0 ? r : err ? err : r;
}

/* Zeroes the bytes of the block holding `size` past it, so that a file
 * grown again reads zeros there (as Linux does on truncate). */
static int zero_tail(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t size)
{
	uint32_t skip = (uint32_t)(size % fs->block_size);
	struct ext4_map m;
	uint8_t *blk;
	int err;

	if (!skip)
		return 0;
	err = ext4_map_blocks(fs, ip, (uint32_t)(size / fs->block_size), &m);
	if (err || !m.pblk || m.unwritten)
		return err;
	if (!(blk = ext4_block_alloc(fs)))
		return -ENOMEM;
	err = ext4_read_blocks(fs, m.pblk, 1, blk);
	if (!err) {
		memset(blk + skip, 0, fs->block_size - skip);
		err = ext4_write_blocks(fs, m.pblk, 1, blk);
	}
	free(blk);
	return err;
}

int ext4_truncate(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t size)
{
	uint64_t end = (size + fs->block_size - 1) / fs->block_size;
	int err;

	if ((err = ext4_writable(fs, ip)))
		return err;
	if (ext4_is_dir(ip))
		return -EISDIR;
	if (end > UINT32_MAX)
		return -EFBIG;
	if (size < ip->size && ((err = ext4_ext_trim(fs, ip, (uint32_t)end)) ||
				(err = zero_tail(fs, ip, size))))
		return err;
	ip->size = size;
	ext4_inode_touch(fs, ip, EXT4_T_MTIME | EXT4_T_CTIME);
	return ext4_inode_write(fs, ip);
}

/* Zeroes bytes [from, to) of block lblk on the disk, if it holds data. */
static int zero_part(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t lblk,
		     uint32_t from, uint32_t to)
{
	struct ext4_map m;
	uint8_t *blk;
	int err;

	if (from >= to)
		return 0;
	err = ext4_map_blocks(fs, ip, (uint32_t)lblk, &m);
	if (err || !m.pblk || m.unwritten)
		return err;
	if (!(blk = ext4_block_alloc(fs)))
		return -ENOMEM;
	err = ext4_read_blocks(fs, m.pblk, 1, blk);
	if (!err) {
		memset(blk + from, 0, to - from);
		err = ext4_write_blocks(fs, m.pblk, 1, blk);
	}
	free(blk);
	return err;
}

int ext4_punch_hole(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
		    uint64_t len)
{
	uint64_t bs = fs->block_size, end, first, last;
	int err;

	if ((err = ext4_writable(fs, ip)))
		return err;
	if (ext4_is_dir(ip))
		return -EISDIR;
	if (add_overflows(off, len, &end) || !len)
		return -EINVAL;
	end = MIN(end, (uint64_t)UINT32_MAX * bs);
	if (off >= end)
		return 0;
	first = (off + bs - 1) / bs; /* the whole blocks [first, last) */
	last = end / bs;
	if (first > last) /* inside one block */
		err = zero_part(fs, ip, off / bs, (uint32_t)(off % bs),
				(uint32_t)(end - off / bs * bs));
	else if (!(err = zero_part(fs, ip, off / bs, (uint32_t)(off % bs),
				   off % bs ? (uint32_t)bs : 0)))
		err = zero_part(fs, ip, last, 0, (uint32_t)(end % bs));
	if (!err && first < last)
		err = ext4_ext_punch(fs, ip, (uint32_t)first, (uint32_t)last);
	if (err)
		return err;
	ext4_inode_touch(fs, ip, EXT4_T_MTIME | EXT4_T_CTIME);
	return ext4_inode_write(fs, ip);
}

int ext4_sync(struct ext4_fs *fs)
{
	int err = ext4_journal_commit(fs);

	if (err)
		return err;
	return fs->dev->flush ? fs->dev->flush(fs->dev) : 0;
}
