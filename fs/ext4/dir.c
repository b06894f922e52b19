/*
 * Directories. A directory's data is a chain of entries: inode (0: an
 * unused slot), record length (to the next entry; entries never cross a
 * block), name length, file type (with the filetype feature), name. With
 * metadata_csum each leaf block ends in a 12-byte fake entry (inode 0,
 * length 12, type 0xDE) holding the block's crc32c. An htree (dx)
 * directory keeps a hash index in its first block after "." and ".."
 * and in blocks that look like one empty entry spanning the block; read
 * linearly, as Linux allows, the index blocks contribute no entries, so
 * we walk every directory linearly (their checksums are checked too).
 * An inline directory keeps the parent's inode number in the first 4
 * bytes of i_block, then entries in the remaining 56 bytes and in the
 * "system.data" attribute; its "." and ".." are made up.
 *
 * A position is a byte offset in the directory (for inline ones: 0 is
 * ".", 1 is "..", then offsets into i_block and, past 60, into the
 * attribute). Walking a block always starts at its first entry, so a
 * stale position can never land inside a name.
 */
#include "fs/ext4/ext4_private.h"

/* Called for each entry; nonzero stops the walk at that entry. */
typedef int (*dir_fn)(void *arg, const struct ext4_dirent *d);

struct dir_walk {
	struct ext4_fs *fs;
	struct ext4_inode *ip;
	uint64_t *pos;
	dir_fn fn;
	void *arg;
};

/* DT_* by the entry's file type (1 regular ... 7 symlink). */
static const uint8_t dt_of[8] = {0, 8, 4, 2, 6, 1, 12, 10};

static uint32_t rec_len(const struct ext4_fs *fs, const uint8_t *e)
{
	uint32_t len = get16(e, 4);

	if (fs->block_size >= 65536 && (len == 65535 || len == 0))
		return fs->block_size;
	return (len & 65532) | ((len & 3) << 16);
}

static int bad_dirent(struct dir_walk *w, uint64_t pos, const char *why)
{
	return ext4_fail(w->fs, -EUCLEAN,
			 "ext4: directory inode %u at %llu: %s", w->ip->ino,
			 (unsigned long long)pos, why);
}

static int emit(struct dir_walk *w, const uint8_t *e, uint64_t pos)
{
	struct ext4_dirent d;
	uint8_t type = e[7];
	int r;

	d.ino = get32(e, 0);
	d.name_len = e[6];
	d.type = (w->fs->incompat & EXT4_INCOMPAT_FILETYPE) && type < 8
		     ? dt_of[type]
		     : EXT4_DT_UNKNOWN;
	memcpy(d.name, e + EXT4_DIRENT_HDR, d.name_len);
	d.name[d.name_len] = '\0';
	d.next = pos + 1;
	r = w->fn(w->arg, &d);
	if (r)
		*w->pos = pos;
	return r;
}

/* Walks the entries of p[0..len), at positions base..; stops at *pos. */
static int walk_entries(struct dir_walk *w, const uint8_t *p, uint32_t len,
			uint64_t base)
{
	uint32_t off = 0, rl;
	int r;

	while (off < len) {
		const uint8_t *e = p + off;

		if (len - off < EXT4_DIRENT_HDR + 4)
			return bad_dirent(w, base + off, "entry past the end");
		rl = rec_len(w->fs, e);
		if (rl < 12 || rl % 4 || rl > len - off ||
		    EXT4_DIRENT_HDR + (uint32_t)e[6] > rl)
			return bad_dirent(w, base + off, "bad record length");
		if (get32(e, 0) > w->fs->inodes_count)
			return bad_dirent(w, base + off, "inode out of range");
		if (get32(e, 0) && e[6] && base + off >= *w->pos &&
		    (r = emit(w, e, base + off)))
			return r;
		off += rl;
	}
	return 0;
}

static bool has_tail(const struct ext4_fs *fs, const uint8_t *blk)
{
	const uint8_t *t = blk + fs->block_size - EXT4_DIR_TAIL_SIZE;

	return !get32(t, 0) && get16(t, 4) == EXT4_DIR_TAIL_SIZE && !t[6] &&
	       t[7] == EXT4_DIR_TAIL_FT;
}

/* Where an htree block's limit and count are, or 0 if not one. */
static uint32_t dx_count_off(const struct ext4_fs *fs,
			     const struct ext4_inode *ip, const uint8_t *blk,
			     uint32_t lblk)
{
	if (!(ip->flags & EXT4_INDEX_FL))
		return 0;
	if (lblk == 0)
		return 24 + blk[24 + 5]; /* after dx_root_info */
	if (!get32(blk, 0) && rec_len(fs, blk) == fs->block_size)
		return 8;
	return 0;
}

static int check_dirblock(struct dir_walk *w, const uint8_t *blk, uint32_t lblk)
{
	struct ext4_fs *fs = w->fs;
	uint32_t co, limit, count;

	if (!fs->csum)
		return 0;
	if (has_tail(fs, blk)) {
		if (ext4_dirblock_csum_ok(w->ip, blk))
			return 0;
	} else if ((co = dx_count_off(fs, w->ip, blk, lblk))) {
		limit = get16(blk, co);
		count = get16(blk, co + 2);
		if (count > limit ||
		    co + (uint64_t)limit * 8 + 8 > fs->block_size)
			return bad_dirent(w, (uint64_t)lblk * fs->block_size,
					  "bad htree node");
		if (ext4_dx_csum_ok(w->ip, blk, co))
			return 0;
	}
	return ext4_fail(fs, -EBADMSG,
			 "ext4: directory inode %u block %u: checksum",
			 w->ip->ino, lblk);
}

static uint64_t inode_bytes(const struct ext4_inode *ip)
{
	return (uint64_t)get32(ip->raw, EXT4_I_BLOCKS_LO) << 9;
}

static int walk_blocks(struct dir_walk *w)
{
	uint32_t bs = w->fs->block_size;
	uint8_t *blk = ext4_block_alloc(w->fs);
	struct ext4_map m;
	uint64_t seen = 0;
	int r = 0;

	if (!blk)
		return -ENOMEM;
	while (!r && *w->pos < w->ip->size) {
		uint32_t lblk = (uint32_t)(*w->pos / bs);

		if (*w->pos / bs > UINT32_MAX)
			break;
		r = ext4_map_blocks(w->fs, w->ip, lblk, &m);
		if (!r && (!m.pblk || m.unwritten)) {
			/* a hole: Linux skips it, and stops past i_blocks */
			if (*w->pos > inode_bytes(w->ip))
				break;
			*w->pos = ((uint64_t)lblk + m.len) * bs;
			continue;
		}
		/* more blocks than the disk has: extents that overlap */
		if (!r && ++seen > w->fs->blocks_count)
			r = bad_dirent(w, *w->pos, "larger than the disk");
		if (!r)
			r = ext4_read_blocks(w->fs, m.pblk, 1, blk);
		if (!r)
			r = check_dirblock(w, blk, lblk);
		if (!r)
			r = walk_entries(w, blk, bs, (uint64_t)lblk * bs);
		if (!r)
			*w->pos = ((uint64_t)lblk + 1) * bs;
	}
	free(blk);
	return r;
}

/* An inline directory: ".", "..", then entries in i_block and after. */
static int walk_inline(struct dir_walk *w)
{
	uint32_t parent = get32(w->ip->raw, EXT4_I_BLOCK);
	uint8_t dots[EXT4_DIRENT_HDR + 4] = {0};
	uint64_t size = w->ip->size;
	uint8_t *data;
	long n;
	int r = 0;

	if (size < EXT4_I_BLOCK_LEN || size > EXT4_I_BLOCK_LEN + 65536 ||
	    parent > w->fs->inodes_count)
		return bad_dirent(w, 0, "bad inline directory");
	dots[4] = 12;
	dots[6] = 1;
	dots[7] = 2;
	dots[8] = dots[9] = '.';
	put32(dots, w->ip->ino);
	if (*w->pos == 0 && (r = emit(w, dots, 0)))
		return r;
	put32(dots, parent);
	dots[6] = 2;
	if (*w->pos <= 1 && (r = emit(w, dots, 1)))
		return r;
	if (!(data = malloc((size_t)size)))
		return -ENOMEM;
	n = ext4_inline_read(w->fs, w->ip, 0, data, (size_t)size);
	if (n < 0)
		r = (int)n;
	if (!r)
		r = walk_entries(w, data + EXT4_INLINE_DOTDOT,
				 EXT4_I_BLOCK_LEN - EXT4_INLINE_DOTDOT,
				 EXT4_INLINE_DOTDOT);
	if (!r && size > EXT4_I_BLOCK_LEN)
		r = walk_entries(w, data + EXT4_I_BLOCK_LEN,
				 (uint32_t)(size - EXT4_I_BLOCK_LEN),
				 EXT4_I_BLOCK_LEN);
	if (!r)
		*w->pos = size;
	free(data);
	return r;
}

int ext4_iterate_dir(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t *pos,
		     int (*fn)(void *arg, const struct ext4_dirent *d),
		     void *arg)
{
	struct dir_walk w = {fs, ip, pos, fn, arg};

	if (!ext4_is_dir(ip))
		return -ENOTDIR;
	if (ip->flags & EXT4_INLINE_DATA_FL)
		return walk_inline(&w);
	return walk_blocks(&w);
}

static int take_one(void *arg, const struct ext4_dirent *d)
{
	memcpy(arg, d, sizeof(*d));
	return 1;
}

int ext4_readdir(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t *pos,
		 struct ext4_dirent *d)
{
	int r = ext4_iterate_dir(fs, ip, pos, take_one, d);

	if (r == 1)
		*pos = d->next;
	return r;
}

struct find_arg {
	const char *name;
	size_t len;
	uint32_t ino;
};

static int find_one(void *arg, const struct ext4_dirent *d)
{
	struct find_arg *a = arg;

	if (d->name_len != a->len || memcmp(d->name, a->name, a->len))
		return 0;
	a->ino = d->ino;
	return 1;
}

int ext4_lookup(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		size_t len, uint32_t *ino)
{
	struct find_arg a = {name, len, 0};
	uint64_t pos = 0;
	int r;

	if (len > 255)
		return -ENAMETOOLONG;
	r = ext4_iterate_dir(fs, dir, &pos, find_one, &a);
	if (r < 0)
		return r;
	if (!r)
		return -ENOENT;
	*ino = a.ino;
	return 0;
}
