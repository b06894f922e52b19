/*
 * ext4's checksums. With metadata_csum every structure carries a crc32c
 * (lib/crc32c.c, seeded and stored as Linux's raw crc32c) over its bytes
 * with the checksum field itself read as zeros, seeded per file system
 * (crc32c of the uuid, or s_checksum_seed with csum_seed) and, for what
 * belongs to one inode, further by its number and generation:
 *   superblock      crc32c(~0, sb[0..0x3FC))
 *   group desc      crc32c(seed, le32 group, desc) & 0xFFFF
 *   inode           crc32c(iseed, inode); 32 bits when i_checksum_hi fits
 *   extent block    crc32c(iseed, header + eh_max entries), tail after
 *   directory leaf  crc32c(iseed, block less its 12-byte tail entry)
 *   htree node      crc32c(iseed, up to the last dx entry, 8-byte tail)
 *   xattr block     crc32c(seed, le64 block number, block)
 * where iseed = crc32c(crc32c(seed, le32 ino), le32 generation). Without
 * metadata_csum, gdt_csum (uninit_bg) protects the descriptors with a
 * crc16 (polynomial 0x8005, reflected) of uuid, group and descriptor.
 */
#include "fs/ext4/ext4_private.h"

uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (uint16_t)((crc >> 1) ^
					 (0xA001 & (0u - (crc & 1))));
	}
	return crc;
}

static const uint8_t zeros[4];

/* crc32c of buf[0..len) with the n bytes at `hole` read as zeros. */
static uint32_t crc_skip(uint32_t crc, const uint8_t *buf, size_t len,
			 size_t hole, size_t n)
{
	crc = crc32c(crc, buf, hole);
	crc = crc32c(crc, zeros, n);
	return crc32c(crc, buf + hole + n, len - hole - n);
}

static uint32_t le32_crc(uint32_t crc, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	return crc32c(crc, b, 4);
}

bool ext4_sb_csum_ok(const uint8_t *sb)
{
	return crc32c(~0u, sb, EXT4_SB_CHECKSUM) == get32(sb, EXT4_SB_CHECKSUM);
}

static uint16_t gd_csum(const struct ext4_fs *fs, uint32_t group,
			const uint8_t *gd)
{
	uint16_t crc;
	uint8_t g[4];

	put32(g, group);
	if (fs->csum) {
		uint32_t c = crc32c(fs->csum_seed, g, 4);

		c = crc_skip(c, gd, fs->desc_size, EXT4_GD_CHECKSUM, 2);
		return (uint16_t)c;
	}
	crc = ext4_crc16(0xFFFF, fs->sb + EXT4_SB_UUID, 16);
	crc = ext4_crc16(crc, g, 4);
	crc = ext4_crc16(crc, gd, EXT4_GD_CHECKSUM);
	if (fs->incompat & EXT4_INCOMPAT_64BIT)
		crc = ext4_crc16(crc, gd + EXT4_GD_CHECKSUM + 2,
				 fs->desc_size - EXT4_GD_CHECKSUM - 2);
	return crc;
}

bool ext4_gd_csum_ok(const struct ext4_fs *fs, uint32_t group,
		     const uint8_t *gd)
{
	if (!fs->csum && !fs->gdt_csum)
		return true;
	return gd_csum(fs, group, gd) == get16(gd, EXT4_GD_CHECKSUM);
}

uint32_t ext4_inode_seed(const struct ext4_fs *fs, uint32_t ino, uint32_t gen)
{
	return le32_crc(le32_crc(fs->csum_seed, ino), gen);
}

static bool inode_csum_hi(const struct ext4_fs *fs, const uint8_t *raw)
{
	return fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE &&
	       get16(raw, EXT4_I_EXTRA_ISIZE) >= 4;
}

static uint32_t inode_csum(const struct ext4_fs *fs, const uint8_t *raw,
			   uint32_t seed)
{
	bool hi = inode_csum_hi(fs, raw);
	uint32_t c;

	c = crc_skip(seed, raw, EXT4_GOOD_OLD_INODE_SIZE, EXT4_I_CHECKSUM_LO,
		     2);
	if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE) {
		const uint8_t *x = raw + EXT4_GOOD_OLD_INODE_SIZE;
		size_t n = fs->inode_size - EXT4_GOOD_OLD_INODE_SIZE;

		c = hi ? crc_skip(c, x, n, 2, 2) : crc32c(c, x, n);
	}
	return hi ? c : c & 0xFFFF;
}

bool ext4_inode_csum_ok(const struct ext4_fs *fs, const uint8_t *raw,
			uint32_t seed)
{
	uint32_t want = get16(raw, EXT4_I_CHECKSUM_LO);

	if (inode_csum_hi(fs, raw))
		want |= (uint32_t)get16(raw, EXT4_I_CHECKSUM_HI) << 16;
	return inode_csum(fs, raw, seed) == want;
}

bool ext4_ext_csum_ok(const struct ext4_inode *ip, const uint8_t *blk,
		      uint16_t eh_max)
{
	size_t off = EXT4_EXT_HDR + (size_t)eh_max * EXT4_EXT_HDR;

	return crc32c(ip->csum_seed, blk, off) == get32(blk, off);
}

bool ext4_dirblock_csum_ok(const struct ext4_inode *ip, const uint8_t *blk)
{
	size_t off = ip->fs->block_size - EXT4_DIR_TAIL_SIZE;

	return crc32c(ip->csum_seed, blk, off) == get32(blk, off + 8);
}

/* count_off: where the node's limit and count are; the caller checked
 * that count <= limit and the tail lies inside the block. */
bool ext4_dx_csum_ok(const struct ext4_inode *ip, const uint8_t *blk,
		     uint32_t count_off)
{
	uint32_t limit = get16(blk, count_off),
		 count = get16(blk, count_off + 2);
	size_t tail = count_off + (size_t)limit * 8;
	uint32_t c = crc32c(ip->csum_seed, blk, count_off + (size_t)count * 8);

	c = crc_skip(c, blk + tail, 8, 4, 4);
	return c == get32(blk, tail + 4);
}

bool ext4_xattr_block_csum_ok(const struct ext4_fs *fs, uint64_t pblk,
			      const uint8_t *blk)
{
	uint8_t b[8];
	uint32_t c;

	put32(b, (uint32_t)pblk);
	put32(b + 4, (uint32_t)(pblk >> 32));
	c = crc32c(fs->csum_seed, b, 8);
	c = crc_skip(c, blk, fs->block_size, EXT4_XATTR_BLOCK_CSUM, 4);
	return c == get32(blk, EXT4_XATTR_BLOCK_CSUM);
}

/* ---- setting them, for the write path ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void ext4_sb_csum_set(const struct ext4_fs *fs, uint8_t *sb)
{
	if (fs->csum)
		put32(sb + EXT4_SB_CHECKSUM, crc32c(~0u, sb, EXT4_SB_CHECKSUM));
}

void ext4_gd_csum_set(const struct ext4_fs *fs, uint32_t group, uint8_t *gd)
{
	if (fs->csum || fs->gdt_csum)
		put16(gd + EXT4_GD_CHECKSUM, gd_csum(fs, group, gd));
}

void ext4_inode_csum_set(const struct ext4_inode *ip, uint8_t *raw)
{
	uint32_t c;

	if (!ip->fs->csum)
		return;
	c = inode_csum(ip->fs, raw, ip->csum_seed);
	put16(raw + EXT4_I_CHECKSUM_LO, (uint16_t)c);
	if (inode_csum_hi(ip->fs, raw))
		put16(raw + EXT4_I_CHECKSUM_HI, (uint16_t)(c >> 16));
}

void ext4_ext_csum_set(const struct ext4_inode *ip, uint8_t *blk)
{
	size_t off = EXT4_EXT_HDR + (size_t)get16(blk, 4) * EXT4_EXT_HDR;

	if (ip->fs->csum)
		put32(blk + off, crc32c(ip->csum_seed, blk, off));
}

void ext4_dirblock_csum_set(const struct ext4_inode *ip, uint8_t *blk)
{
	size_t off = ip->fs->block_size - EXT4_DIR_TAIL_SIZE;

	if (ip->fs->csum)
		put32(blk + off + 8, crc32c(ip->csum_seed, blk, off));
}

/* A bitmap's crc32c, split between the descriptor's lo and hi halves. */
void ext4_bitmap_csum_set(const struct ext4_fs *fs, uint8_t *gd, bool inode,
			  const uint8_t *bitmap)
{
	uint32_t bits = inode ? fs->inodes_per_group : fs->blocks_per_group;
	uint32_t c;

	if (!fs->csum)
		return;
	c = crc32c(fs->csum_seed, bitmap, bits / 8);
	put16(gd + (inode ? 0x1A : 0x18), (uint16_t)c);
	if (fs->desc_size >= EXT4_DESC_SIZE_64)
		put16(gd + (inode ? 0x3A : 0x38), (uint16_t)(c >> 16));
}

bool ext4_bitmap_csum_ok(const struct ext4_fs *fs, const uint8_t *gd,
			 bool inode, const uint8_t *bitmap)
{
	uint32_t bits = inode ? fs->inodes_per_group : fs->blocks_per_group;
	uint32_t c, want;

	if (!fs->csum)
		return true;
	c = crc32c(fs->csum_seed, bitmap, bits / 8);
	want = get16(gd, inode ? 0x1A : 0x18);
	if (fs->desc_size < EXT4_DESC_SIZE_64)
		return (c & 0xFFFF) == want;
	return c == (want | (uint32_t)get16(gd, inode ? 0x3A : 0x38) << 16);
}

void ext4_xattr_block_csum_set(const struct ext4_fs *fs, uint64_t pblk,
			       uint8_t *blk)
{
	uint8_t b[8];
	uint32_t c;

	if (!fs->csum)
		return;
	put32(b, (uint32_t)pblk);
	put32(b + 4, (uint32_t)(pblk >> 32));
	c = crc32c(fs->csum_seed, b, 8);
	c = crc_skip(c, blk, fs->block_size, EXT4_XATTR_BLOCK_CSUM, 4);
	put32(blk + EXT4_XATTR_BLOCK_CSUM, c);
}
