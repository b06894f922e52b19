/*
 * Extent trees. i_block holds the root: a 12-byte header (magic 0xF30A,
 * entries, max, depth) and up to 4 twelve-byte entries. At depth 0 the
 * entries are extents: first logical block, length (above 32768: an
 * unwritten extent of length - 32768, read as zeros) and a 48-bit start;
 * above, they are indexes: the first logical block a child covers and
 * the child's 48-bit block number, whose block holds a header, entries and,
 * with metadata_csum, a crc32c right after eh_max entries. Entries are
 * sorted by logical block; a block not covered is a hole.
 *
 * A hostile tree: the depth is bounded (5, as Linux), each child must be
 * exactly one level below its parent, entries may not exceed max nor max
 * the space, extents must be sorted without overlap and lie inside the
 * file system.
 */
#include "fs/ext4/ext4_private.h"

struct ext_node {
	const uint8_t *p; /* header, then entries */
	uint16_t entries, depth;
};

static int check_header(struct ext4_inode *ip, const uint8_t *p, size_t room,
			int want_depth, uint64_t pblk, struct ext_node *n)
{
	uint16_t max = get16(p, 4);

	n->p = p;
	n->entries = get16(p, 2);
	n->depth = get16(p, 6);
	if (get16(p, 0) != EXT4_EXT_MAGIC || n->entries > max ||
	    EXT4_EXT_HDR + (size_t)max * EXT4_EXT_HDR > room ||
	    n->depth > EXT4_EXT_MAX_DEPTH ||
	    (want_depth >= 0 && n->depth != want_depth))
		return ext4_fail(ip->fs, -EUCLEAN,
				 "ext4: inode %u: bad extent header in "
				 "block %llu",
				 ip->ino, (unsigned long long)pblk);
	if (pblk && ip->fs->csum &&
	    (room < EXT4_EXT_HDR * (size_t)(max + 1) + 4 ||
	     !ext4_ext_csum_ok(ip, p, max)))
		return ext4_fail(ip->fs, -EBADMSG,
				 "ext4: inode %u: extent block %llu checksum",
				 ip->ino, (unsigned long long)pblk);
	return 0;
}

/* A leaf extent's start: ee_start_hi (16 bits) at 6, ee_start_lo at 8. */
static uint64_t ext_start(const uint8_t *e)
{
	return (uint64_t)get16(e, 6) << 32 | get32(e, 8);
}

/* An index's child: ei_leaf_lo at 4, ei_leaf_hi (16 bits) at 8. */
static uint64_t index_child(const uint8_t *e)
{
	return (uint64_t)get16(e, 8) << 32 | get32(e, 4);
}

/* The index entry to descend for lblk: the last whose first block is
 * <= lblk, or -1 if lblk precedes them all (*next: the first block after
 * lblk that the node covers, for the hole's length). */
static int find_index(const struct ext_node *n, uint32_t lblk, uint64_t *next)
{
	int found = -1;

	for (int i = 0; i < n->entries; i++) {
		uint32_t first = get32(n->p + EXT4_EXT_HDR * (i + 1), 0);

		if (first > lblk) {
			*next = MIN(*next, first);
			break;
		}
		found = i;
	}
	return found;
}

static int map_leaf(struct ext4_inode *ip, const struct ext_node *n,
		    uint32_t lblk, uint64_t next, struct ext4_map *m)
{
	uint64_t prev_end = 0;

	for (int i = 0; i < n->entries; i++) {
		const uint8_t *e = n->p + EXT4_EXT_HDR * (i + 1);
		uint32_t first = get32(e, 0), len = get16(e, 4);
		bool unwritten = len > EXT4_EXT_INIT_MAX_LEN;

		if (unwritten)
			len -= EXT4_EXT_INIT_MAX_LEN;
		if (!len || first < prev_end ||
		    !ext4_block_valid(ip->fs, ext_start(e), len))
			return ext4_fail(ip->fs, -EUCLEAN,
					 "ext4: inode %u: bad extent %d "
					 "(logical %u, length %u)",
					 ip->ino, i, first, len);
		prev_end = (uint64_t)first + len;
		if (first > lblk) {
			next = MIN(next, first);
			break;
		}
		if (lblk < prev_end) {
			m->pblk = ext_start(e) + (lblk - first);
			m->len = (uint32_t)(prev_end - lblk);
			m->unwritten = unwritten;
			return 0;
		}
	}
	m->pblk = 0;
	m->len = (uint32_t)MIN(next - lblk, (uint64_t)UINT32_MAX);
	return 0;
}

int ext4_ext_map(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		 struct ext4_map *m)
{
	uint8_t *blk = NULL;
	uint64_t next = (uint64_t)UINT32_MAX + 1, pblk = 0;
	struct ext_node n;
	int err, i;

	m->unwritten = false;
	err = check_header(ip, ip->raw + EXT4_I_BLOCK, EXT4_I_BLOCK_LEN, -1, 0,
			   &n);
	while (!err && n.depth > 0) {
		i = find_index(&n, lblk, &next);
		if (i < 0) {
			m->pblk = 0;
			m->len =
			    (uint32_t)MIN(next - lblk, (uint64_t)UINT32_MAX);
			goto out;
		}
		pblk = index_child(n.p + EXT4_EXT_HDR * (i + 1));
		if (!blk && !(blk = ext4_block_alloc(fs)))
			return -ENOMEM;
		err = ext4_read_blocks(fs, pblk, 1, blk);
		if (!err)
			err = check_header(ip, blk, fs->block_size, n.depth - 1,
					   pblk, &n);
	}
	if (!err)
		err = map_leaf(ip, &n, lblk, next, m);
out:
	free(blk);
	return err;
}
