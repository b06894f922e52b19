/*
 * ext4's internals, shared by the files of fs/ext4/ and nobody else.
 *
 * The on-disk structures are little-endian and read field by field at
 * their byte offsets (the EXT4_SB_*, EXT4_GD_*, EXT4_I_* ... constants
 * below), never by casting a packed struct over a buffer: a hostile image
 * cannot then cause an unaligned or out-of-range access that a bounds
 * check did not see.
 */
#ifndef FS_EXT4_EXT4_PRIVATE_H
#define FS_EXT4_EXT4_PRIVATE_H

#include "fs/ext4/ext4.h"
#include "kernel/kernel.h"

#ifdef OSPREY_HOST
#include <stdlib.h>
#else
#include "kernel/mm/mm.h"
#endif

/* ---- little-endian fields ---- */
static inline uint16_t get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static inline uint32_t get32(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* ---- the superblock (1024 bytes at byte 1024) ---- */
#define EXT4_SB_OFFSET 1024
#define EXT4_SB_SIZE 1024
#define EXT4_SB_INODES_COUNT 0x00
#define EXT4_SB_BLOCKS_COUNT_LO 0x04
#define EXT4_SB_R_BLOCKS_COUNT_LO 0x08
#define EXT4_SB_FREE_BLOCKS_LO 0x0C
#define EXT4_SB_FREE_INODES 0x10
#define EXT4_SB_FIRST_DATA_BLOCK 0x14
#define EXT4_SB_LOG_BLOCK_SIZE 0x18
#define EXT4_SB_BLOCKS_PER_GROUP 0x20
#define EXT4_SB_INODES_PER_GROUP 0x28
#define EXT4_SB_MAGIC 0x38
#define EXT4_SB_REV_LEVEL 0x4C
#define EXT4_SB_FIRST_INO 0x54
#define EXT4_SB_INODE_SIZE 0x58
#define EXT4_SB_FEATURE_COMPAT 0x5C
#define EXT4_SB_FEATURE_INCOMPAT 0x60
#define EXT4_SB_FEATURE_RO_COMPAT 0x64
#define EXT4_SB_UUID 0x68
#define EXT4_SB_DESC_SIZE 0xFE
#define EXT4_SB_FIRST_META_BG 0x104
#define EXT4_SB_BLOCKS_COUNT_HI 0x150
#define EXT4_SB_R_BLOCKS_COUNT_HI 0x154
#define EXT4_SB_FREE_BLOCKS_HI 0x158
#define EXT4_SB_CHECKSUM_TYPE 0x175
#define EXT4_SB_BACKUP_BGS 0x24C
#define EXT4_SB_CHECKSUM_SEED 0x270
#define EXT4_SB_CHECKSUM 0x3FC

#define EXT4_MAGIC 0xEF53
#define EXT4_GOOD_OLD_INODE_SIZE 128
#define EXT4_GOOD_OLD_FIRST_INO 11

/* compat */
#define EXT4_COMPAT_HAS_JOURNAL 0x0004
#define EXT4_COMPAT_SPARSE_SUPER2 0x0200
/* incompat */
#define EXT4_INCOMPAT_COMPRESSION 0x0001
#define EXT4_INCOMPAT_FILETYPE 0x0002
#define EXT4_INCOMPAT_RECOVER 0x0004
#define EXT4_INCOMPAT_JOURNAL_DEV 0x0008
#define EXT4_INCOMPAT_META_BG 0x0010
#define EXT4_INCOMPAT_EXTENTS 0x0040
#define EXT4_INCOMPAT_64BIT 0x0080
#define EXT4_INCOMPAT_MMP 0x0100
#define EXT4_INCOMPAT_FLEX_BG 0x0200
#define EXT4_INCOMPAT_EA_INODE 0x0400
#define EXT4_INCOMPAT_DIRDATA 0x1000
#define EXT4_INCOMPAT_CSUM_SEED 0x2000
#define EXT4_INCOMPAT_LARGEDIR 0x4000
#define EXT4_INCOMPAT_INLINE_DATA 0x8000
#define EXT4_INCOMPAT_ENCRYPT 0x10000
#define EXT4_INCOMPAT_CASEFOLD 0x20000
/* ro_compat */
#define EXT4_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT4_RO_COMPAT_LARGE_FILE 0x0002
#define EXT4_RO_COMPAT_BTREE_DIR 0x0004
#define EXT4_RO_COMPAT_HUGE_FILE 0x0008
#define EXT4_RO_COMPAT_GDT_CSUM 0x0010
#define EXT4_RO_COMPAT_DIR_NLINK 0x0020
#define EXT4_RO_COMPAT_EXTRA_ISIZE 0x0040
#define EXT4_RO_COMPAT_QUOTA 0x0100
#define EXT4_RO_COMPAT_BIGALLOC 0x0200
#define EXT4_RO_COMPAT_METADATA_CSUM 0x0400
#define EXT4_RO_COMPAT_READONLY 0x1000
#define EXT4_RO_COMPAT_PROJECT 0x2000
#define EXT4_RO_COMPAT_VERITY 0x8000
#define EXT4_RO_COMPAT_ORPHAN_PRESENT 0x10000

/* ---- group descriptors (32 bytes, or s_desc_size with 64bit) ---- */
#define EXT4_GD_INODE_TABLE_LO 0x08
#define EXT4_GD_FLAGS 0x12
#define EXT4_GD_CHECKSUM 0x1E
#define EXT4_GD_INODE_TABLE_HI 0x28
#define EXT4_DESC_SIZE_32 32
#define EXT4_DESC_SIZE_64 64
#define EXT4_DESC_SIZE_MAX 1024

/* ---- inodes ---- */
#define EXT4_I_MODE 0x00
#define EXT4_I_UID 0x02
#define EXT4_I_SIZE_LO 0x04
#define EXT4_I_ATIME 0x08
#define EXT4_I_CTIME 0x0C
#define EXT4_I_MTIME 0x10
#define EXT4_I_GID 0x18
#define EXT4_I_LINKS 0x1A
#define EXT4_I_BLOCKS_LO 0x1C
#define EXT4_I_FLAGS 0x20
#define EXT4_I_BLOCK 0x28 /* 15 words: extent root, block map or data */
#define EXT4_I_GENERATION 0x64
#define EXT4_I_FILE_ACL_LO 0x68
#define EXT4_I_SIZE_HI 0x6C
#define EXT4_I_BLOCKS_HI 0x74
#define EXT4_I_FILE_ACL_HI 0x76
#define EXT4_I_UID_HI 0x78
#define EXT4_I_GID_HI 0x7A
#define EXT4_I_CHECKSUM_LO 0x7C
#define EXT4_I_EXTRA_ISIZE 0x80
#define EXT4_I_CHECKSUM_HI 0x82
#define EXT4_I_CTIME_EXTRA 0x84
#define EXT4_I_MTIME_EXTRA 0x88
#define EXT4_I_ATIME_EXTRA 0x8C
#define EXT4_I_CRTIME 0x90
#define EXT4_I_CRTIME_EXTRA 0x94
#define EXT4_N_BLOCKS 15
#define EXT4_I_BLOCK_LEN (EXT4_N_BLOCKS * 4)

#define EXT4_INDEX_FL 0x1000
#define EXT4_ENCRYPT_FL 0x800
#define EXT4_HUGE_FILE_FL 0x40000
#define EXT4_EXTENTS_FL 0x80000
#define EXT4_EA_INODE_FL 0x200000
#define EXT4_INLINE_DATA_FL 0x10000000
#define EXT4_CASEFOLD_FL 0x40000000

#define S_IFMT_ 0170000
#define S_IFDIR_ 0040000
#define S_IFREG_ 0100000
#define S_IFLNK_ 0120000
#define S_IFCHR_ 0020000
#define S_IFBLK_ 0060000

/* ---- extents ---- */
#define EXT4_EXT_MAGIC 0xF30A
#define EXT4_EXT_HDR 12 /* and each entry, index or leaf, is 12 too */
#define EXT4_EXT_MAX_DEPTH 5
#define EXT4_EXT_INIT_MAX_LEN 32768

/* ---- directories ---- */
#define EXT4_DIRENT_HDR 8
#define EXT4_DIR_TAIL_SIZE 12
#define EXT4_DIR_TAIL_FT 0xDE
#define EXT4_INLINE_DOTDOT 4

/* ---- extended attributes ---- */
#define EXT4_XATTR_MAGIC 0xEA020000
#define EXT4_XATTR_BLOCK_HDR 32
#define EXT4_XATTR_BLOCK_CSUM 0x10
#define EXT4_XATTR_ENTRY_HDR 16
#define EXT4_XATTR_INDEX_SYSTEM 7 /* "system.data": inline data */

/*
 * A mounted file system. Written only by ext4_mount; read-only after, so
 * readers share it without a lock (err is the exception: advisory).
 */
struct ext4_fs {
	struct ext4_dev *dev;
	uint8_t sb[EXT4_SB_SIZE]; /* the superblock as read */
	uint32_t block_size, log_block_size;
	uint64_t blocks_count, first_data_block;
	uint32_t blocks_per_group, inodes_per_group, inodes_count;
	uint32_t groups, desc_size, inode_size, first_ino;
	uint32_t incompat, ro_compat, compat;
	bool readonly, csum, gdt_csum;
	uint32_t csum_seed; /* metadata_csum: crc32c of the uuid, or given */
	uint8_t *gdt;	    /* groups * desc_size bytes */
	char err[192];	    /* the last error's message */
	/* the running transaction (transaction.c), NULL without a journal
	 * or read-only; under the callers' write serialization */
	struct ext4_journal *jnl;
};

/* An inode as read (private copy; freed by ext4_iput). */
struct ext4_inode {
	struct ext4_fs *fs;
	uint32_t ino;
	uint32_t csum_seed; /* crc32c(fs seed, ino, generation) */
	uint16_t mode;
	uint32_t flags;
	uint64_t size;
	uint8_t raw[]; /* inode_size bytes */
};

/* A mapping of logical blocks to disk (extent.c, blockmap.c): `len`
 * blocks from lblk are at pblk.., or a hole (pblk 0) or unwritten. */
struct ext4_map {
	uint64_t pblk;
	uint32_t len;
	bool unwritten;
};

/* super.c */
uint64_t ext4_gdt_block(const struct ext4_fs *fs, uint32_t i);
int ext4_fail(struct ext4_fs *fs, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const uint8_t *ext4_group_desc(const struct ext4_fs *fs, uint32_t group);
bool ext4_has_super(const struct ext4_fs *fs, uint32_t group);

/* io.c: whole blocks, range-checked against the file system. */
int ext4_read_blocks(struct ext4_fs *fs, uint64_t pblk, uint32_t count,
		     void *buf);
bool ext4_block_valid(const struct ext4_fs *fs, uint64_t pblk, uint64_t n);
void *ext4_block_alloc(const struct ext4_fs *fs);

/* alloc.c: bitmaps and counts (descriptors, superblock) written back */
int ext4_write_blocks(struct ext4_fs *fs, uint64_t pblk, uint32_t count,
		      const void *buf);
int ext4_write_super(struct ext4_fs *fs);
int ext4_alloc_blocks(struct ext4_fs *fs, uint64_t goal, uint32_t want,
		      uint64_t *start, uint32_t *got);
int ext4_free_blocks(struct ext4_fs *fs, uint64_t start, uint32_t n);
int ext4_alloc_inode(struct ext4_fs *fs, uint32_t near, bool dir,
		     uint32_t *ino);
int ext4_free_inode(struct ext4_fs *fs, uint32_t ino, bool dir);

/* transaction.c: metadata through the journal (ordered mode) */
int ext4_write_meta(struct ext4_fs *fs, uint64_t pblk, const void *buf);
int ext4_journal_super(struct ext4_fs *fs);
void ext4_journal_overlay(struct ext4_fs *fs, uint64_t pblk, uint32_t count,
			  uint8_t *buf);
int ext4_journal_forget(struct ext4_fs *fs, uint64_t start, uint32_t n);
bool ext4_journal_busy(const struct ext4_fs *fs, uint64_t pblk);
bool ext4_journal_has_freed(const struct ext4_fs *fs);
int ext4_journal_commit(struct ext4_fs *fs);
int ext4_journal_start(struct ext4_fs *fs);
void ext4_journal_stop(struct ext4_fs *fs);

/* csum.c */
uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len);
bool ext4_sb_csum_ok(const uint8_t *sb);
bool ext4_gd_csum_ok(const struct ext4_fs *fs, uint32_t group,
		     const uint8_t *gd);
bool ext4_inode_csum_ok(const struct ext4_fs *fs, const uint8_t *raw,
			uint32_t seed);
uint32_t ext4_inode_seed(const struct ext4_fs *fs, uint32_t ino, uint32_t gen);
bool ext4_ext_csum_ok(const struct ext4_inode *ip, const uint8_t *blk,
		      uint16_t eh_max);
bool ext4_dirblock_csum_ok(const struct ext4_inode *ip, const uint8_t *blk);
bool ext4_dx_csum_ok(const struct ext4_inode *ip, const uint8_t *blk,
		     uint32_t count_off);
bool ext4_xattr_block_csum_ok(const struct ext4_fs *fs, uint64_t pblk,
			      const uint8_t *blk);

void ext4_sb_csum_set(const struct ext4_fs *fs, uint8_t *sb);
void ext4_gd_csum_set(const struct ext4_fs *fs, uint32_t group, uint8_t *gd);
void ext4_inode_csum_set(const struct ext4_inode *ip, uint8_t *raw);
void ext4_ext_csum_set(const struct ext4_inode *ip, uint8_t *blk);
void ext4_dirblock_csum_set(const struct ext4_inode *ip, uint8_t *blk);
void ext4_bitmap_csum_set(const struct ext4_fs *fs, uint8_t *gd, bool inode,
			  const uint8_t *bitmap);
void ext4_xattr_block_csum_set(const struct ext4_fs *fs, uint64_t pblk,
			       uint8_t *blk);
bool ext4_bitmap_csum_ok(const struct ext4_fs *fs, const uint8_t *gd,
			 bool inode, const uint8_t *bitmap);

/* inode.c */
bool ext4_inode_fits(const struct ext4_inode *ip, uint32_t off, uint32_t n);
uint64_t ext4_inode_file_acl(const struct ext4_inode *ip);
bool ext4_is_dir(const struct ext4_inode *ip);
int ext4_inode_write(struct ext4_fs *fs, struct ext4_inode *ip);
void ext4_inode_touch(struct ext4_fs *fs, struct ext4_inode *ip,
		      unsigned which);
void ext4_inode_add_blocks(struct ext4_inode *ip, int64_t nblocks);
void ext4_inode_set_links(struct ext4_inode *ip, uint16_t n);
uint16_t ext4_inode_links(const struct ext4_inode *ip);
struct ext4_inode *ext4_inode_new(struct ext4_fs *fs, uint32_t ino,
				  uint16_t mode, uint32_t uid, uint32_t gid);
#define EXT4_T_ATIME 1u
#define EXT4_T_MTIME 2u
#define EXT4_T_CTIME 4u

/* extent.c and blockmap.c: map lblk; a hole's len runs to the next data */
int ext4_map_blocks(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		    struct ext4_map *m);
int ext4_ext_map(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		 struct ext4_map *m);
int ext4_ind_map(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		 struct ext4_map *m);

/* extent_write.c */
int ext4_ext_insert(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		    uint32_t len, uint64_t pblk);
int ext4_ext_trim(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t end);
int ext4_ext_free_all(struct ext4_fs *fs, struct ext4_inode *ip);
int ext4_ext_punch(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t from,
		   uint32_t to);
/* write.c: whether ip may be written; -EROFS, -EOPNOTSUPP (named) */
int ext4_writable(struct ext4_fs *fs, struct ext4_inode *ip);
/* Makes block lblk of ip mapped (allocated, zeroed when new): *pblk. */
int ext4_map_alloc(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		   uint32_t want, uint64_t *pblk, uint32_t *got, bool *fresh);

/* dirop.c: entries of leaf directories, and names coming and going */
uint8_t ext4_ftype(const struct ext4_fs *fs, uint16_t mode);
int ext4_dir_add(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		 size_t len, uint32_t ino, uint8_t type);
int ext4_dir_remove(struct ext4_fs *fs, struct ext4_inode *dir,
		    const char *name, size_t len);
/* Points the existing entry `name` at ino (-ENOENT if there is none). */
int ext4_dir_set(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		 size_t len, uint32_t ino, uint8_t type);
/* dir writable, name valid and free (-EEXIST). */
int ext4_check_name(struct ext4_fs *fs, struct ext4_inode *dir,
		    const char *name, size_t len);
int ext4_may_drop(struct ext4_fs *fs, struct ext4_inode *ip);
int ext4_drop_link(struct ext4_fs *fs, struct ext4_inode *ip);

/* xattr.c: the value of the (index, name) attribute; -ENODATA if absent */
long ext4_xattr_get(struct ext4_fs *fs, struct ext4_inode *ip, uint8_t index,
		    const char *name, size_t name_len, void *buf, size_t size);
/* A POSIX ACL (index 2 or 3) in Linux's posix_acl_xattr form. */
long ext4_acl_get(struct ext4_fs *fs, struct ext4_inode *ip, uint8_t index,
		  void *buf, size_t size);

/* file.c: inline data (i_block then system.data) */
long ext4_inline_read(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
		      void *buf, size_t len);

#endif
