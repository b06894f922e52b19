/*
 * The jbd2 journal's on-disk format, private to fs/ext4/journal*.c.
 *
 * The journal is a circular log in the blocks of an inode (usually 8).
 * Its block 0 is the journal superblock; blocks [s_first, s_maxlen) hold
 * transactions. Every log block starts with a 12-byte big-endian header
 * (magic, block type, transaction id). A transaction is a descriptor
 * block (tags naming the home block of each following data block; a
 * data block that starts with the magic is stored with it zeroed and its
 * tag marked ESCAPE), any revoke blocks (home blocks whose earlier
 * copies must not be replayed), and a commit block. s_start is the log
 * block of the oldest transaction still needed (0: the log is empty),
 * s_sequence its id. With csum v2/v3 (crc32c seeded by the journal's
 * uuid) descriptor and revoke blocks end in a 4-byte checksum of the
 * block, each tag carries its data block's checksum (seeded by the id),
 * and the commit block holds the checksum of itself.
 */
#ifndef FS_EXT4_JBD2_H
#define FS_EXT4_JBD2_H

#include "fs/ext4/ext4_private.h"

#define JBD2_MAGIC 0xC03B3998u
#define JBD2_DESCRIPTOR 1
#define JBD2_COMMIT 2
#define JBD2_SB_V1 3
#define JBD2_SB_V2 4
#define JBD2_REVOKE 5

#define JBD2_HDR 12
#define JBD2_SB_BLOCKSIZE 0x0C
#define JBD2_SB_MAXLEN 0x10
#define JBD2_SB_FIRST 0x14
#define JBD2_SB_SEQUENCE 0x18
#define JBD2_SB_START 0x1C
#define JBD2_SB_ERRNO 0x20
#define JBD2_SB_COMPAT 0x24
#define JBD2_SB_INCOMPAT 0x28
#define JBD2_SB_RO_COMPAT 0x2C
#define JBD2_SB_UUID 0x30
#define JBD2_SB_CSUM_TYPE 0x50
#define JBD2_SB_CHECKSUM 0xFC
#define JBD2_SB_SIZE 1024

#define JBD2_COMPAT_CHECKSUM 0x1
#define JBD2_INCOMPAT_REVOKE 0x1
#define JBD2_INCOMPAT_64BIT 0x2
#define JBD2_INCOMPAT_ASYNC_COMMIT 0x4
#define JBD2_INCOMPAT_CSUM_V2 0x8
#define JBD2_INCOMPAT_CSUM_V3 0x10
#define JBD2_INCOMPAT_FAST_COMMIT 0x20
#define JBD2_INCOMPAT_OK                                                       \
	(JBD2_INCOMPAT_REVOKE | JBD2_INCOMPAT_64BIT |                          \
	 JBD2_INCOMPAT_ASYNC_COMMIT | JBD2_INCOMPAT_CSUM_V2 |                  \
	 JBD2_INCOMPAT_CSUM_V3)
#define JBD2_CRC32C 4 /* s_checksum_type */

#define JBD2_FLAG_ESCAPE 1
#define JBD2_FLAG_SAME_UUID 2
#define JBD2_FLAG_LAST_TAG 8

#define JBD2_COMMIT_CSUM 0x10 /* h_chksum[0] */
#define JBD2_REVOKE_COUNT 0x0C
#define JBD2_TAIL 4 /* the checksum closing descriptor and revoke blocks */

#define EXT4_SB_JOURNAL_INUM 0xE0

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An open journal: its geometry from the journal superblock. */
struct jbd2 {
	struct ext4_fs *fs;
	struct ext4_inode *ip; /* the journal inode */
	uint8_t sb[JBD2_SB_SIZE];
	uint32_t first, maxlen, start, seq;
	uint32_t incompat;
	bool csum; /* v2 or v3 */
	uint32_t seed;
	uint32_t tag_bytes;
};

/* journal.c */
int jbd2_open(struct ext4_fs *fs, struct jbd2 *j);
void jbd2_close(struct jbd2 *j);
int jbd2_bmap(struct jbd2 *j, uint32_t blk, uint64_t *pblk);
int jbd2_read(struct jbd2 *j, uint32_t blk, uint8_t *buf);
int jbd2_write(struct jbd2 *j, uint32_t blk, const uint8_t *buf);
int jbd2_write_sb(struct jbd2 *j);
uint32_t jbd2_next(const struct jbd2 *j, uint32_t blk);
uint32_t jbd2_block_csum(const struct jbd2 *j, const uint8_t *blk,
			 uint32_t csum_off);
uint32_t jbd2_data_csum(const struct jbd2 *j, uint32_t seq, const uint8_t *blk);

/* recovery.c */
int jbd2_recover(struct ext4_fs *fs);

#endif
