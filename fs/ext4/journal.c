/*
 * Opening the jbd2 journal (format: jbd2.h): its superblock read and
 * checked as hostile input (block size, the log's bounds inside the
 * journal inode, features, checksum), and block I/O at log positions
 * through the journal inode's block map.
 */
#include "fs/ext4/jbd2.h"

static int jfail(struct jbd2 *j, int err, const char *why)
{
	return ext4_fail(j->fs, err, "ext4: journal: %s", why);
}

uint32_t jbd2_block_csum(const struct jbd2 *j, const uint8_t *blk,
			 uint32_t csum_off)
{
	static const uint8_t zero[4];
	uint32_t c = crc32c(j->seed, blk, csum_off);

	c = crc32c(c, zero, 4);
	return crc32c(c, blk + csum_off + 4, j->fs->block_size - csum_off - 4);
}

uint32_t jbd2_data_csum(const struct jbd2 *j, uint32_t seq, const uint8_t *blk)
{
	uint8_t s[4];

	put_be32(s, seq);
	return crc32c(crc32c(j->seed, s, 4), blk, j->fs->block_size);
}

static uint32_t sb_csum(const uint8_t *sb)
{
	static const uint8_t zero[4];
	uint32_t c = crc32c(~0u, sb, JBD2_SB_CHECKSUM);

	c = crc32c(c, zero, 4);
	return crc32c(c, sb + JBD2_SB_CHECKSUM + 4,
		      JBD2_SB_SIZE - JBD2_SB_CHECKSUM - 4);
}

int jbd2_bmap(struct jbd2 *j, uint32_t blk, uint64_t *pblk)
{
	struct ext4_map m;
	int err = ext4_map_blocks(j->fs, j->ip, blk, &m);

	if (err)
		return err;
	if (!m.pblk || m.unwritten || m.pblk >= j->fs->blocks_count)
		return ext4_fail(j->fs, -EUCLEAN,
				 "ext4: journal block %u is not mapped", blk);
	*pblk = m.pblk;
	return 0;
}

int jbd2_read(struct jbd2 *j, uint32_t blk, uint8_t *buf)
{
	uint64_t pblk = 0;
	int err = jbd2_bmap(j, blk, &pblk);

	return err ? err : ext4_read_blocks(j->fs, pblk, 1, buf);
}

int jbd2_write(struct jbd2 *j, uint32_t blk, const uint8_t *buf)
{
	uint64_t pblk = 0;
	int err = jbd2_bmap(j, blk, &pblk);

	return err ? err : ext4_write_blocks(j->fs, pblk, 1, buf);
}

int jbd2_write_sb(struct jbd2 *j)
{
	uint8_t *blk = ext4_block_alloc(j->fs);
	int err;

	if (!blk)
		return -ENOMEM;
	memset(blk, 0, j->fs->block_size);
	if (j->csum)
		put_be32(j->sb + JBD2_SB_CHECKSUM, sb_csum(j->sb));
	memcpy(blk, j->sb, JBD2_SB_SIZE);
	err = jbd2_write(j, 0, blk);
	free(blk);
	return err;
}

uint32_t jbd2_next(const struct jbd2 *j, uint32_t blk)
{
	return blk + 1 >= j->maxlen ? j->first : blk + 1;
}

/* The superblock's fields, each checked before the log is walked. */
static int parse_sb(struct jbd2 *j)
{
	const uint8_t *sb = j->sb;
	uint32_t type = be32(sb + 4), unknown;

	if (be32(sb) != JBD2_MAGIC ||
	    (type != JBD2_SB_V1 && type != JBD2_SB_V2))
		return jfail(j, -EUCLEAN, "bad superblock magic");
	if (be32(sb + JBD2_SB_BLOCKSIZE) != j->fs->block_size)
		return jfail(j, -EUCLEAN, "block size differs");
	j->maxlen = be32(sb + JBD2_SB_MAXLEN);
	j->first = be32(sb + JBD2_SB_FIRST);
	j->start = be32(sb + JBD2_SB_START);
	j->seq = be32(sb + JBD2_SB_SEQUENCE);
	if (j->maxlen > j->ip->size / j->fs->block_size || j->first < 1 ||
	    j->first >= j->maxlen || j->maxlen - j->first < 4 ||
	    (j->start && (j->start < j->first || j->start >= j->maxlen)))
		return jfail(j, -EUCLEAN, "log bounds out of range");
	j->incompat = type == JBD2_SB_V2 ? be32(sb + JBD2_SB_INCOMPAT) : 0;
	unknown = j->incompat & ~JBD2_INCOMPAT_OK;
	if (unknown)
		return ext4_fail(
		    j->fs, -EINVAL, "ext4: journal: unsupported feature%s 0x%x",
		    unknown & JBD2_INCOMPAT_FAST_COMMIT ? " fast_commit" : "s",
		    unknown);
	return 0;
}

/* Tag size (Linux: journal_tag_bytes). */
static uint32_t tag_bytes(const struct jbd2 *j)
{
	uint32_t sz = 12;

	if (j->incompat & JBD2_INCOMPAT_CSUM_V3)
		return 16;
	if (j->incompat & JBD2_INCOMPAT_CSUM_V2)
		sz += 2;
	return (j->incompat & JBD2_INCOMPAT_64BIT) ? sz : sz - 4;
}

static int check_sb_csum(struct jbd2 *j)
{
	j->csum = j->incompat & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3);
	if (!j->csum)
		return 0;
	if (j->sb[JBD2_SB_CSUM_TYPE] != JBD2_CRC32C)
		return jfail(j, -EINVAL, "unknown checksum type");
	if (be32(j->sb + JBD2_SB_CHECKSUM) != sb_csum(j->sb))
		return jfail(j, -EBADMSG, "superblock checksum mismatch");
	j->seed = crc32c(~0u, j->sb + JBD2_SB_UUID, 16);
	return 0;
}

int jbd2_open(struct ext4_fs *fs, struct jbd2 *j)
{
	uint32_t ino = get32(fs->sb, EXT4_SB_JOURNAL_INUM);
	uint8_t *blk;
	int err;

	memset(j, 0, sizeof(*j));
	j->fs = fs;
	if (!ino || ino > fs->inodes_count)
		return jfail(j, -EUCLEAN, "no journal inode");
	if ((err = ext4_iget(fs, ino, &j->ip)))
		return err;
	if (!(blk = ext4_block_alloc(fs))) {
		err = -ENOMEM;
		goto out_close;
	}
	err = j->ip->size < 4ull * fs->block_size
		  ? jfail(j, -EUCLEAN, "journal inode too small")
		  : jbd2_read(j, 0, blk);
	if (!err) {
		memcpy(j->sb, blk, JBD2_SB_SIZE);
		err = parse_sb(j);
	}
	free(blk);
	if (!err && !(err = check_sb_csum(j)))
		j->tag_bytes = tag_bytes(j);
out_close:
	if (err)
		jbd2_close(j);
	return err;
}

void jbd2_close(struct jbd2 *j)
{
	ext4_iput(j->ip);
	j->ip = NULL;
}
