/*
 * Changing extent trees: mapping a new run of blocks, and freeing them
 * all. A run that continues the extent before it (logically and on disk)
 * lengthens it; else a new extent goes in sorted place. A full root (4
 * entries in i_block) moves into a new leaf block under a root index
 * (depth 1); a full leaf splits in two under the root. Trees deeper than
 * that are left to later (-EOPNOTSUPP), as are writes into unwritten
 * extents.
 */
#include "fs/ext4/ext4_private.h"

#define EXT_ENTRY(node, i) ((node) + EXT4_EXT_HDR * ((size_t)(i) + 1))

static void ext_set(uint8_t *e, uint32_t lblk, uint16_t len, uint64_t pblk)
{
	put32(e, lblk);
	put16le(e + 4, len);
	put16le(e + 6, (uint16_t)(pblk >> 32));
	put32(e + 8, (uint32_t)pblk);
}

static void index_set(uint8_t *e, uint32_t lblk, uint64_t child)
{
	put32(e, lblk);
	put32(e + 4, (uint32_t)child);
	put16le(e + 8, (uint16_t)(child >> 32));
	put16le(e + 10, 0);
}

static uint64_t ext_pblk(const uint8_t *e)
{
	return (uint64_t)get16(e, 6) << 32 | get32(e, 8);
}

static uint64_t index_pblk(const uint8_t *e)
{
	return (uint64_t)get16(e, 8) << 32 | get32(e, 4);
}

/* Whether node h (room bytes) is a sane header at depth. */
static bool node_ok(const uint8_t *h, size_t room, uint16_t depth)
{
	uint16_t n = get16(h, 2), max = get16(h, 4);

	return get16(h, 0) == EXT4_EXT_MAGIC && n <= max &&
	       EXT4_EXT_HDR * ((size_t)max + 1) <= room && get16(h, 6) == depth;
}

static int bad_node(struct ext4_inode *ip, uint64_t pblk)
{
	return ext4_fail(ip->fs, -EUCLEAN,
			 "ext4: inode %u: bad extent node at block %llu",
			 ip->ino, (unsigned long long)pblk);
}

static int unsupported(struct ext4_inode *ip, const char *what)
{
	return ext4_fail(ip->fs, -EOPNOTSUPP,
			 "ext4: inode %u: %s not "
			 "written yet",
			 ip->ino, what);
}

/* Puts (lblk, len, pblk) in leaf node h; false if it is full. */
static bool leaf_insert(uint8_t *h, uint32_t lblk, uint32_t len, uint64_t pblk)
{
	uint16_t n = get16(h, 2), max = get16(h, 4), i = n;

	if (n) {
		uint8_t *last = NULL;

		for (i = 0; i < n && get32(EXT_ENTRY(h, i), 0) < lblk; i++)
			last = EXT_ENTRY(h, i);
		if (last && len <= EXT4_EXT_INIT_MAX_LEN &&
		    get16(last, 4) <= EXT4_EXT_INIT_MAX_LEN - len &&
		    get32(last, 0) + get16(last, 4) == lblk &&
		    ext_pblk(last) + get16(last, 4) == pblk) {
			put16le(last + 4, (uint16_t)(get16(last, 4) + len));
			return true;
		}
	}
	if (n >= max)
		return false;
	memmove(EXT_ENTRY(h, i + 1), EXT_ENTRY(h, i),
		(size_t)(n - i) * EXT4_EXT_HDR);
	ext_set(EXT_ENTRY(h, i), lblk, (uint16_t)len, pblk);
	put16le(h + 2, (uint16_t)(n + 1));
	return true;
}

static void init_header(const struct ext4_fs *fs, uint8_t *h, uint16_t depth)
{
	memset(h, 0, fs->block_size);
	put16le(h, EXT4_EXT_MAGIC);
	put16le(h + 4,
		(uint16_t)((fs->block_size - EXT4_EXT_HDR) / EXT4_EXT_HDR));
	put16le(h + 6, depth);
}

/* A new tree block near the inode's data, counted in i_blocks. */
static int new_tree_block(struct ext4_fs *fs, struct ext4_inode *ip,
			  uint64_t goal, uint64_t *pblk)
{
	uint32_t got;
	int err = ext4_alloc_blocks(fs, goal, 1, pblk, &got);

	if (!err)
		ext4_inode_add_blocks(ip, 1);
	return err;
}

static int write_node(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t pblk,
		      uint8_t *blk)
{
	ext4_ext_csum_set(ip, blk);
	return ext4_write_meta(fs, pblk, blk);
}

/* Depth 0 to 1: the root's extents move into a new leaf. */
static int grow_root(struct ext4_fs *fs, struct ext4_inode *ip, uint8_t *blk)
{
	uint8_t *root = ip->raw + EXT4_I_BLOCK;
	uint16_t n = get16(root, 2);
	uint64_t pblk;
	int err =
	    new_tree_block(fs, ip, n ? ext_pblk(EXT_ENTRY(root, 0)) : 0, &pblk);

	if (err)
		return err;
	init_header(fs, blk, 0);
	memcpy(EXT_ENTRY(blk, 0), EXT_ENTRY(root, 0), n * EXT4_EXT_HDR);
	put16le(blk + 2, n);
	if ((err = write_node(fs, ip, pblk, blk)))
		return err;
	put16le(root + 2, 1);
	put16le(root + 6, 1);
	index_set(EXT_ENTRY(root, 0), n ? get32(EXT_ENTRY(blk, 0), 0) : 0,
		  pblk);
	return 0;
}

/* Splits full leaf i of the root (read into blk) in two halves, or,
 * when lblk goes past its end, starts a new leaf after it. */
static int split_leaf(struct ext4_fs *fs, struct ext4_inode *ip, int i,
		      uint64_t pblk, uint8_t *blk, uint32_t lblk)
{
	uint8_t *root = ip->raw + EXT4_I_BLOCK, *nb;
	uint16_t n = get16(blk, 2), half = n / 2, rn = get16(root, 2);

	/* appending (the common case): the new leaf starts empty */
	if (n && lblk > get32(EXT_ENTRY(blk, n - 1), 0))
		half = n;
	uint64_t npblk;
	int err;

	if (rn >= get16(root, 4))
		return unsupported(ip, "an extent tree of depth 2");
	if (!(nb = ext4_block_alloc(fs)))
		return -ENOMEM;
	err = new_tree_block(fs, ip, pblk, &npblk);
	if (err)
		goto out;
	init_header(fs, nb, 0);
	memcpy(EXT_ENTRY(nb, 0), EXT_ENTRY(blk, half),
	       (size_t)(n - half) * EXT4_EXT_HDR);
	put16le(nb + 2, (uint16_t)(n - half));
	put16le(blk + 2, half);
	if ((err = write_node(fs, ip, npblk, nb)) ||
	    (err = write_node(fs, ip, pblk, blk)))
		goto out;
	memmove(EXT_ENTRY(root, i + 2), EXT_ENTRY(root, i + 1),
		(size_t)(rn - i - 1) * EXT4_EXT_HDR);
	index_set(EXT_ENTRY(root, i + 1),
		  n > half ? get32(EXT_ENTRY(nb, 0), 0) : lblk, npblk);
	put16le(root + 2, (uint16_t)(rn + 1));
out:
	free(nb);
	return err;
}

/* The root index to descend for lblk (the first if lblk precedes all). */
static int root_index(const uint8_t *root, uint32_t lblk)
{
	int i = 0;

	while (i + 1 < get16(root, 2) &&
	       get32(EXT_ENTRY(root, i + 1), 0) <= lblk)
		i++;
	return i;
}

static int insert_depth1(struct ext4_fs *fs, struct ext4_inode *ip,
			 uint32_t lblk, uint32_t len, uint64_t pblk,
			 uint8_t *blk)
{
	uint8_t *root = ip->raw + EXT4_I_BLOCK;

	for (int tries = 0; tries < 2; tries++) {
		int i = root_index(root, lblk), err;
		uint64_t leaf = index_pblk(EXT_ENTRY(root, i));

		if ((err = ext4_read_blocks(fs, leaf, 1, blk)))
			return err;
		if (!node_ok(blk, fs->block_size - 4, 0))
			return bad_node(ip, leaf);
		if (leaf_insert(blk, lblk, len, pblk)) {
			if (lblk < get32(EXT_ENTRY(root, i), 0))
				put32(EXT_ENTRY(root, i), lblk);
			return write_node(fs, ip, leaf, blk);
		}
		if ((err = split_leaf(fs, ip, i, leaf, blk, lblk)))
			return err;
	}
	return ext4_fail(fs, -EUCLEAN, "ext4: inode %u: extent split", ip->ino);
}

/* Maps [lblk, lblk + len) to [pblk, ...); the caller writes the inode. */
int ext4_ext_insert(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		    uint32_t len, uint64_t pblk)
{
	uint8_t *root = ip->raw + EXT4_I_BLOCK, *blk;
	int err = 0;

	if (get16(root, 6) > 1)
		return unsupported(ip, "an extent tree of depth 2");
	if (!node_ok(root, EXT4_I_BLOCK_LEN, get16(root, 6)))
		return bad_node(ip, 0);
	if (get16(root, 6) == 0 && leaf_insert(root, lblk, len, pblk))
		return 0;
	if (!(blk = ext4_block_alloc(fs)))
		return -ENOMEM;
	if (get16(root, 6) == 0)
		err = grow_root(fs, ip, blk);
	if (!err)
		err = insert_depth1(fs, ip, lblk, len, pblk, blk);
	free(blk);
	return err;
}

/* Frees what leaf h maps at or past block end, shortening the extent
 * that straddles it; the kept extents are a prefix (they are sorted). */
static int trim_leaf(struct ext4_fs *fs, struct ext4_inode *ip, uint8_t *h,
		     uint32_t end)
{
	uint16_t keep = 0;
	int err = 0;

	for (int i = 0; i < get16(h, 2) && !err; i++) {
		uint8_t *e = EXT_ENTRY(h, i);
		uint32_t first = get32(e, 0), len = get16(e, 4), cut;
		uint16_t unwritten = 0;

		if (len > EXT4_EXT_INIT_MAX_LEN)
			len -= EXT4_EXT_INIT_MAX_LEN,
			    unwritten = EXT4_EXT_INIT_MAX_LEN;
		if (!ext4_block_valid(fs, ext_pblk(e), len))
			return bad_node(ip, ext_pblk(e));
		cut = first >= end	  ? len
		      : first + len > end ? first + len - end
					  : 0;
		if (cut)
			err =
			    ext4_free_blocks(fs, ext_pblk(e) + len - cut, cut);
		if (!err)
			ext4_inode_add_blocks(ip, -(int64_t)cut);
		if (!err && cut < len)
			put16le(e + 4, (uint16_t)(len - cut + unwritten)),
			    keep++;
	}
	put16le(h + 2, keep);
	return err;
}

/* Trims leaf i of a depth-1 root; an emptied leaf is freed and its
 * index removed (*removed). */
static int trim_child(struct ext4_fs *fs, struct ext4_inode *ip, int i,
		      uint32_t end, uint8_t *blk, bool *removed)
{
	uint8_t *root = ip->raw + EXT4_I_BLOCK;
	uint64_t leaf = index_pblk(EXT_ENTRY(root, i));
	uint16_t rn = get16(root, 2);
	int err = ext4_read_blocks(fs, leaf, 1, blk);

	*removed = false;
	if (!err && !node_ok(blk, fs->block_size - 4, 0))
		err = bad_node(ip, leaf);
	if (!err)
		err = trim_leaf(fs, ip, blk, end);
	if (err || get16(blk, 2))
		return err ? err : write_node(fs, ip, leaf, blk);
	if ((err = ext4_free_blocks(fs, leaf, 1)))
		return err;
	ext4_inode_add_blocks(ip, -1);
	memmove(EXT_ENTRY(root, i), EXT_ENTRY(root, i + 1),
		(size_t)(rn - i - 1) * EXT4_EXT_HDR);
	put16le(root + 2, (uint16_t)(rn - 1));
	*removed = true;
	return 0;
}

/* Frees every block at or past logical block end (depth <= 1); the
 * caller writes the inode. */
int ext4_ext_trim(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t end)
{
	uint8_t *root = ip->raw + EXT4_I_BLOCK, *blk;
	bool removed;
	int err = 0;

	if (get16(root, 6) > 1)
		return unsupported(ip, "freeing an extent tree of depth 2");
	if (!node_ok(root, EXT4_I_BLOCK_LEN, get16(root, 6)))
		return bad_node(ip, 0);
	if (get16(root, 6) == 0)
		return trim_leaf(fs, ip, root, end);
	if (!(blk = ext4_block_alloc(fs)))
		return -ENOMEM;
	for (int i = get16(root, 2) - 1; i >= 0 && !err; i--)
		err = trim_child(fs, ip, i, end, blk, &removed);
	free(blk);
	if (!err && !get16(root, 2)) { /* back to an empty leaf root */
		put16le(root + 4, 4);
		put16le(root + 6, 0);
	}
	return err;
}

/* Frees every block of the file and empties its tree. */
int ext4_ext_free_all(struct ext4_fs *fs, struct ext4_inode *ip)
{
	int err = ext4_ext_trim(fs, ip, 0);

	if (!err)
		ip->size = 0;
	return err;
}

/* ---- punching holes ---- */
struct ext_tail {
	uint32_t lblk, raw_len; /* raw_len: with the unwritten bit */
	uint64_t pblk;
};

/* Takes [from, to) out of extent e (raw length, unwritten bit kept):
 * frees the blocks; returns false when nothing of e is left. An extent
 * across the whole range keeps its head and hands its tail back. */
static int punch_extent(struct ext4_fs *fs, struct ext4_inode *ip, uint8_t *e,
			uint32_t from, uint32_t to, struct ext_tail *tail,
			bool *keep)
{
	uint32_t first = get32(e, 0), len = get16(e, 4), unw = 0;
	uint64_t pblk = ext_pblk(e);
	uint32_t a, b;
	int err;

	if (len > EXT4_EXT_INIT_MAX_LEN)
		len -= EXT4_EXT_INIT_MAX_LEN, unw = EXT4_EXT_INIT_MAX_LEN;
	*keep = true;
	a = MAX(first, from);
	b = (uint32_t)MIN((uint64_t)first + len, (uint64_t)to);
	if (a >= b)
		return 0;
	if (!ext4_block_valid(fs, pblk, len))
		return bad_node(ip, pblk);
	if ((err = ext4_free_blocks(fs, pblk + (a - first), b - a)))
		return err;
	ext4_inode_add_blocks(ip, -(int64_t)(b - a));
	if (a == first && b == first + len)
		*keep = false;
	else if (a == first)
		ext_set(e, b, (uint16_t)(first + len - b + unw),
			pblk + (b - first));
	else if (b == first + len)
		put16le(e + 4, (uint16_t)(a - first + unw));
	else {
		*tail = (struct ext_tail){b, first + len - b + unw,
					  pblk + (b - first)};
		put16le(e + 4, (uint16_t)(a - first + unw));
	}
	return 0;
}

/* Punches leaf h, dropping the extents that go whole. */
static int punch_leaf(struct ext4_fs *fs, struct ext4_inode *ip, uint8_t *h,
		      uint32_t from, uint32_t to, struct ext_tail *tail)
{
	uint16_t n = get16(h, 2), kept = 0;
	int err = 0;

	for (uint16_t i = 0; i < n && !err; i++) {
		bool keep;

		err = punch_extent(fs, ip, EXT_ENTRY(h, i), from, to, tail,
				   &keep);
		if (!err && keep && kept != i)
			memcpy(EXT_ENTRY(h, kept), EXT_ENTRY(h, i),
			       EXT4_EXT_HDR);
		kept += keep;
	}
	if (!err)
		put16le(h + 2, kept);
	return err;
}

/* Punches leaf i of a depth-1 root: an emptied leaf goes (as trim), a
 * kept one's index follows its first extent. */
static int punch_child(struct ext4_fs *fs, struct ext4_inode *ip, int i,
		       uint32_t from, uint32_t to, uint8_t *blk,
		       struct ext_tail *tail)
{
	uint8_t *root = ip->raw + EXT4_I_BLOCK;
	uint64_t leaf = index_pblk(EXT_ENTRY(root, i));
	uint16_t rn = get16(root, 2);
	int err = ext4_read_blocks(fs, leaf, 1, blk);

	if (!err && !node_ok(blk, fs->block_size - 4, 0))
		err = bad_node(ip, leaf);
	if (!err)
		err = punch_leaf(fs, ip, blk, from, to, tail);
	if (err)
		return err;
	if (get16(blk, 2)) {
		put32(EXT_ENTRY(root, i), get32(EXT_ENTRY(blk, 0), 0));
		return write_node(fs, ip, leaf, blk);
	}
	if ((err = ext4_free_blocks(fs, leaf, 1)))
		return err;
	ext4_inode_add_blocks(ip, -1);
	memmove(EXT_ENTRY(root, i), EXT_ENTRY(root, i + 1),
		(size_t)(rn - i - 1) * EXT4_EXT_HDR);
	put16le(root + 2, (uint16_t)(rn - 1));
	return 0;
}

/* Unmaps and frees logical blocks [from, to) (depth <= 1); the caller
 * writes the inode. */
int ext4_ext_punch(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t from,
		   uint32_t to)
{
	uint8_t *root = ip->raw + EXT4_I_BLOCK, *blk;
	struct ext_tail tail = {0};
	int err = 0;

	if (get16(root, 6) > 1)
		return unsupported(ip, "punching an extent tree of depth 2");
	if (!node_ok(root, EXT4_I_BLOCK_LEN, get16(root, 6)))
		return bad_node(ip, 0);
	if (get16(root, 6) == 0) {
		err = punch_leaf(fs, ip, root, from, to, &tail);
	} else {
		if (!(blk = ext4_block_alloc(fs)))
			return -ENOMEM;
		for (int i = get16(root, 2) - 1; i >= 0 && !err; i--)
			err = punch_child(fs, ip, i, from, to, blk, &tail);
		free(blk);
		if (!err && !get16(root, 2)) { /* an empty leaf root again */
			put16le(root + 4, 4);
			put16le(root + 6, 0);
		}
	}
	if (!err && tail.raw_len)
		err =
		    ext4_ext_insert(fs, ip, tail.lblk, tail.raw_len, tail.pblk);
	return err;
}
