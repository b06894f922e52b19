/*
 * Inodes: inode n lives in group (n - 1) / inodes_per_group, at index
 * (n - 1) % inodes_per_group of that group's inode table. The first 128
 * bytes are ext2's; i_extra_isize more bytes (up to the inode size) hold
 * ext4's additions: the high half of the checksum, and the "extra" words
 * of the timestamps (2 epoch bits extending the signed 32-bit seconds,
 * then 30 bits of nanoseconds), and the creation time. The space after
 * them holds extended attributes (xattr.c).
 */
#include "fs/ext4/ext4_private.h"

bool ext4_inode_fits(const struct ext4_inode *ip, uint32_t off, uint32_t n)
{
	if (ip->fs->inode_size <= EXT4_GOOD_OLD_INODE_SIZE)
		return off + n <= EXT4_GOOD_OLD_INODE_SIZE;
	return off + n <= EXT4_GOOD_OLD_INODE_SIZE +
			      (uint32_t)get16(ip->raw, EXT4_I_EXTRA_ISIZE);
}

uint64_t ext4_inode_file_acl(const struct ext4_inode *ip)
{
	uint64_t b = get32(ip->raw, EXT4_I_FILE_ACL_LO);

	if (ip->fs->incompat & EXT4_INCOMPAT_64BIT)
		b |= (uint64_t)get16(ip->raw, EXT4_I_FILE_ACL_HI) << 32;
	return b;
}

bool ext4_is_dir(const struct ext4_inode *ip)
{
	return (ip->mode & S_IFMT_) == S_IFDIR_;
}

static int read_raw(struct ext4_fs *fs, uint32_t ino, uint8_t *raw)
{
	uint32_t group = (ino - 1) / fs->inodes_per_group;
	uint32_t index = (ino - 1) % fs->inodes_per_group;
	const uint8_t *gd = ext4_group_desc(fs, group);
	uint64_t table = get32(gd, EXT4_GD_INODE_TABLE_LO), byte;
	uint8_t *blk;
	int err;

	if (fs->desc_size >= EXT4_DESC_SIZE_64)
		table |= (uint64_t)get32(gd, EXT4_GD_INODE_TABLE_HI) << 32;
	byte = (uint64_t)index * fs->inode_size;
	blk = ext4_block_alloc(fs);
	if (!blk)
		return -ENOMEM;
	err = ext4_read_blocks(fs, table + byte / fs->block_size, 1, blk);
	if (!err)
		memcpy(raw, blk + byte % fs->block_size, fs->inode_size);
	free(blk);
	return err;
}

static int check_inode(struct ext4_fs *fs, struct ext4_inode *ip)
{
	uint32_t extra = 0;

	if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE) {
		extra = get16(ip->raw, EXT4_I_EXTRA_ISIZE);
		if (extra > fs->inode_size - EXT4_GOOD_OLD_INODE_SIZE ||
		    extra % 4)
			return ext4_fail(fs, -EUCLEAN,
					 "ext4: inode %u: extra size %u",
					 ip->ino, extra);
	}
	ip->csum_seed =
	    ext4_inode_seed(fs, ip->ino, get32(ip->raw, EXT4_I_GENERATION));
	if (fs->csum && !ext4_inode_csum_ok(fs, ip->raw, ip->csum_seed))
		return ext4_fail(fs, -EBADMSG, "ext4: inode %u checksum",
				 ip->ino);
	if (!get16(ip->raw, EXT4_I_LINKS) && !get16(ip->raw, EXT4_I_MODE))
		return ext4_fail(fs, -EUCLEAN, "ext4: inode %u is free",
				 ip->ino);
	if (ip->flags & (EXT4_ENCRYPT_FL | EXT4_CASEFOLD_FL))
		return ext4_fail(fs, -EOPNOTSUPP,
				 "ext4: inode %u: encrypted or casefolded",
				 ip->ino);
	return 0;
}

int ext4_iget(struct ext4_fs *fs, uint32_t ino, struct ext4_inode **out)
{
	struct ext4_inode *ip;
	int err;

	if (ino < 1 || ino > fs->inodes_count)
		return ext4_fail(fs, -EUCLEAN, "ext4: inode %u out of range",
				 ino);
	ip = malloc(sizeof(*ip) + fs->inode_size);
	if (!ip)
		return -ENOMEM;
	ip->fs = fs;
	ip->ino = ino;
	err = read_raw(fs, ino, ip->raw);
	if (err)
		goto out_free;
	ip->mode = get16(ip->raw, EXT4_I_MODE);
	ip->flags = get32(ip->raw, EXT4_I_FLAGS);
	ip->size = get32(ip->raw, EXT4_I_SIZE_LO) |
		   (uint64_t)get32(ip->raw, EXT4_I_SIZE_HI) << 32;
	err = check_inode(fs, ip);
	if (err)
		goto out_free;
	*out = ip;
	return 0;
out_free:
	free(ip);
	return err;
}

void ext4_iput(struct ext4_inode *ip)
{
	free(ip);
}

/* A timestamp: seconds at `off`, and the extra word at `xoff` if present. */
static struct ext4_timespec get_time(const struct ext4_inode *ip, uint32_t off,
				     uint32_t xoff)
{
	struct ext4_timespec t = {(int32_t)get32(ip->raw, off), 0};
	uint32_t extra;

	if (xoff && ext4_inode_fits(ip, xoff, 4)) {
		extra = get32(ip->raw, xoff);
		t.sec += (int64_t)(extra & 3) << 32;
		t.nsec = extra >> 2;
	}
	return t;
}

static uint64_t get_blocks(const struct ext4_inode *ip)
{
	uint64_t n = get32(ip->raw, EXT4_I_BLOCKS_LO);

	if (!(ip->fs->ro_compat & EXT4_RO_COMPAT_HUGE_FILE))
		return n;
	n |= (uint64_t)get16(ip->raw, EXT4_I_BLOCKS_HI) << 32;
	if (ip->flags & EXT4_HUGE_FILE_FL)
		n <<= ip->fs->log_block_size + 1;
	return n;
}

/* Linux's encoding of a device number in i_block: old (8:8) in word 0,
 * else new (12:20 split as Linux's new_encode_dev) in word 1. */
static uint32_t get_rdev(const struct ext4_inode *ip)
{
	uint32_t fmt = ip->mode & S_IFMT_, old, v;

	if (fmt != S_IFCHR_ && fmt != S_IFBLK_)
		return 0;
	old = get32(ip->raw, EXT4_I_BLOCK);
	if (!old)
		return get32(ip->raw, EXT4_I_BLOCK + 4);
	v = ((old >> 8) & 0xFF) << 8 | (old & 0xFF); /* to new encoding */
	return v;
}

void ext4_stat(const struct ext4_inode *ip, struct ext4_stat *st)
{
	const uint8_t *r = ip->raw;

	memset(st, 0, sizeof(*st));
	st->ino = ip->ino;
	st->mode = ip->mode;
	st->nlink = get16(r, EXT4_I_LINKS);
	st->uid = get16(r, EXT4_I_UID) | (uint32_t)get16(r, EXT4_I_UID_HI)
					     << 16;
	st->gid = get16(r, EXT4_I_GID) | (uint32_t)get16(r, EXT4_I_GID_HI)
					     << 16;
	st->size = ip->size;
	st->blocks = get_blocks(ip);
	st->atime = get_time(ip, EXT4_I_ATIME, EXT4_I_ATIME_EXTRA);
	st->mtime = get_time(ip, EXT4_I_MTIME, EXT4_I_MTIME_EXTRA);
	st->ctime = get_time(ip, EXT4_I_CTIME, EXT4_I_CTIME_EXTRA);
	if (ext4_inode_fits(ip, EXT4_I_CRTIME, 4))
		st->crtime = get_time(ip, EXT4_I_CRTIME, EXT4_I_CRTIME_EXTRA);
	st->flags = ip->flags;
	st->generation = get32(r, EXT4_I_GENERATION);
	st->rdev = get_rdev(ip);
}

/* ---- writing inodes back ---- */

int ext4_inode_write(struct ext4_fs *fs, struct ext4_inode *ip)
{
	uint32_t group = (ip->ino - 1) / fs->inodes_per_group;
	uint32_t index = (ip->ino - 1) % fs->inodes_per_group;
	const uint8_t *gd = ext4_group_desc(fs, group);
	uint64_t table = get32(gd, EXT4_GD_INODE_TABLE_LO), byte, pblk;
	uint8_t *blk;
	int err;

	if (fs->desc_size >= EXT4_DESC_SIZE_64)
		table |= (uint64_t)get32(gd, EXT4_GD_INODE_TABLE_HI) << 32;
	put16le(ip->raw + EXT4_I_MODE, ip->mode);
	put32(ip->raw + EXT4_I_FLAGS, ip->flags);
	put32(ip->raw + EXT4_I_SIZE_LO, (uint32_t)ip->size);
	put32(ip->raw + EXT4_I_SIZE_HI, (uint32_t)(ip->size >> 32));
	ext4_inode_csum_set(ip, ip->raw);
	byte = (uint64_t)index * fs->inode_size;
	pblk = table + byte / fs->block_size;
	if (!(blk = ext4_block_alloc(fs)))
		return -ENOMEM;
	err = ext4_read_blocks(fs, pblk, 1, blk);
	if (!err) {
		memcpy(blk + byte % fs->block_size, ip->raw, fs->inode_size);
		err = ext4_write_meta(fs, pblk, blk);
	}
	free(blk);
	return err;
}

/* Sets the times in `which` (bit 0 atime, 1 mtime, 2 ctime, 3 crtime)
 * to now, nanoseconds 0. */
void ext4_inode_touch(struct ext4_fs *fs, struct ext4_inode *ip, unsigned which)
{
	static const uint32_t off[4] = {EXT4_I_ATIME, EXT4_I_MTIME,
					EXT4_I_CTIME, EXT4_I_CRTIME};
	static const uint32_t xoff[4] = {EXT4_I_ATIME_EXTRA, EXT4_I_MTIME_EXTRA,
					 EXT4_I_CTIME_EXTRA,
					 EXT4_I_CRTIME_EXTRA};
	int64_t now = fs->dev->now ? fs->dev->now(fs->dev) : 0;

	for (int i = 0; i < 4; i++) {
		if (!(which & (1u << i)))
			continue;
		if (i < 3 || ext4_inode_fits(ip, off[i], 4))
			put32(ip->raw + off[i], (uint32_t)now);
		if (ext4_inode_fits(ip, xoff[i], 4))
			put32(ip->raw + xoff[i],
			      (uint32_t)(((uint64_t)now >> 32) & 3));
	}
}

void ext4_inode_add_blocks(struct ext4_inode *ip, int64_t nblocks)
{
	uint64_t v = get32(ip->raw, EXT4_I_BLOCKS_LO) |
		     (uint64_t)get16(ip->raw, EXT4_I_BLOCKS_HI) << 32;

	v += (uint64_t)nblocks << (ip->fs->log_block_size + 1);
	put32(ip->raw + EXT4_I_BLOCKS_LO, (uint32_t)v);
	put16le(ip->raw + EXT4_I_BLOCKS_HI, (uint16_t)(v >> 32));
}

void ext4_inode_set_links(struct ext4_inode *ip, uint16_t n)
{
	put16le(ip->raw + EXT4_I_LINKS, n);
}

uint16_t ext4_inode_links(const struct ext4_inode *ip)
{
	return get16(ip->raw, EXT4_I_LINKS);
}

/* A new inode in memory: mode, owner, times now, an empty extent root. */
struct ext4_inode *ext4_inode_new(struct ext4_fs *fs, uint32_t ino,
				  uint16_t mode, uint32_t uid, uint32_t gid)
{
	struct ext4_inode *ip = calloc(1, sizeof(*ip) + fs->inode_size);
	uint8_t *r;

	if (!ip)
		return NULL;
	r = ip->raw;
	ip->fs = fs;
	ip->ino = ino;
	ip->mode = mode;
	put16le(r + EXT4_I_UID, (uint16_t)uid);
	put16le(r + EXT4_I_UID_HI, (uint16_t)(uid >> 16));
	put16le(r + EXT4_I_GID, (uint16_t)gid);
	put16le(r + EXT4_I_GID_HI, (uint16_t)(gid >> 16));
	if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE)
		put16le(r + EXT4_I_EXTRA_ISIZE, 32);
	ext4_inode_touch(fs, ip, 0xF);
	ip->flags = EXT4_EXTENTS_FL;
	put16le(r + EXT4_I_BLOCK, EXT4_EXT_MAGIC);
	put16le(r + EXT4_I_BLOCK + 4, 4); /* max entries in the root */
	ip->csum_seed = ext4_inode_seed(fs, ino, 0);
	return ip;
}
