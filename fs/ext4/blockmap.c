/*
 * The old block map of ext2/3 (inodes without EXT4_EXTENTS_FL): i_block
 * holds 12 direct block numbers, then one single-, one double- and one
 * triple-indirect block, each indirect block an array of block_size / 4
 * 32-bit numbers. A zero anywhere on the path is a hole.
 */
#include "fs/ext4/ext4_private.h"

#define EXT4_NDIR 12

/* The path to lblk: *levels indexes, the first into i_block. */
static int ind_path(const struct ext4_fs *fs, uint32_t lblk, uint32_t *path,
		    int *levels)
{
	uint64_t per = fs->block_size / 4, b = lblk;

	if (b < EXT4_NDIR) {
		path[0] = (uint32_t)b;
		*levels = 1;
		return 0;
	}
	b -= EXT4_NDIR;
	for (int depth = 1; depth <= 3; depth++) {
		uint64_t span = per;

		for (int k = 1; k < depth; k++)
			span *= per;
		if (b < span) {
			path[0] = EXT4_NDIR + depth - 1;
			for (int k = depth; k >= 1; k--, b /= per)
				path[k] = (uint32_t)(b % per);
			*levels = depth + 1;
			return 0;
		}
		b -= span;
	}
	return -EFBIG;
}

/* How many consecutive numbers follow ptrs[i] in the same array. */
static uint32_t run_length(const uint8_t *ptrs, uint32_t i, uint32_t n)
{
	uint32_t first = get32(ptrs, 4 * i), len = 1;

	while (i + len < n && get32(ptrs, 4 * (i + len)) == first + len)
		len++;
	return len;
}

static int map_at(struct ext4_inode *ip, const uint8_t *ptrs, uint32_t i,
		  uint32_t n, struct ext4_map *m)
{
	uint32_t b = get32(ptrs, 4 * i);

	m->pblk = b;
	m->len = 1;
	if (!b)
		return 0;
	m->len = run_length(ptrs, i, n);
	if (!ext4_block_valid(ip->fs, b, m->len))
		return ext4_fail(ip->fs, -EUCLEAN,
				 "ext4: inode %u: block %u out of range",
				 ip->ino, b);
	return 0;
}

/* The length of the hole when the pointer at level k of path is zero:
 * the rest of the subtree it would have covered. */
static uint32_t hole_len(const uint32_t *path, int levels, int k, uint32_t per)
{
	uint64_t span = 1, off = 0;

	for (int j = levels - 1; j > k; j--) {
		off += path[j] * span;
		span *= per;
	}
	return (uint32_t)MIN(span - off, (uint64_t)UINT32_MAX);
}

int ext4_ind_map(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		 struct ext4_map *m)
{
	uint32_t path[4], per = fs->block_size / 4;
	uint8_t *blk;
	int levels, err, k = 1;

	m->unwritten = false;
	if (ind_path(fs, lblk, path, &levels)) {
		m->pblk = 0; /* past what the map can address: a hole */
		m->len = 1;
		return 0;
	}
	if (levels == 1)
		return map_at(ip, ip->raw + EXT4_I_BLOCK, path[0], EXT4_NDIR,
			      m);
	err = map_at(ip, ip->raw + EXT4_I_BLOCK, path[0], path[0] + 1, m);
	if (!err && !m->pblk)
		m->len = hole_len(path, levels, 0, per);
	if (err || !m->pblk)
		return err;
	if (!(blk = ext4_block_alloc(fs)))
		return -ENOMEM;
	for (; k < levels && !err && m->pblk; k++) {
		err = ext4_read_blocks(fs, m->pblk, 1, blk);
		if (!err)
			err = map_at(ip, blk, path[k],
				     k == levels - 1 ? per : path[k] + 1, m);
	}
	free(blk);
	if (!err && !m->pblk)
		m->len = hole_len(path, levels, k - 1, per);
	return err;
}

int ext4_map_blocks(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		    struct ext4_map *m)
{
	if (ip->flags & EXT4_EXTENTS_FL)
		return ext4_ext_map(fs, ip, lblk, m);
	return ext4_ind_map(fs, ip, lblk, m);
}
