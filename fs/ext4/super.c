/*
 * Mounting: the superblock at byte 1024 and the group descriptor table.
 *
 * The superblock gives the geometry (block size 1 KiB to 64 KiB, blocks
 * and inodes per group, inode size) and three feature sets: compat
 * (ignorable), incompat (a reader that lacks one must refuse the file
 * system) and ro_compat (a writer that lacks one must refuse to write).
 * The descriptors, one per group of blocks, follow the superblock's block
 * (32 bytes each, or s_desc_size with 64bit); with meta_bg, those past
 * s_first_meta_bg live instead in the first block (after any superblock
 * backup) of the first group of each "meta group", a block's worth of
 * groups. Everything checked here is trusted afterwards: the geometry
 * fits the device, every group's inode table fits the file system.
 */
#include "fs/ext4/jbd2.h"

/* What this code reads correctly; anything else refuses the mount. */
#define EXT4_INCOMPAT_OK                                                       \
	(EXT4_INCOMPAT_FILETYPE | EXT4_INCOMPAT_META_BG |                      \
	 EXT4_INCOMPAT_EXTENTS | EXT4_INCOMPAT_64BIT | EXT4_INCOMPAT_MMP |     \
	 EXT4_INCOMPAT_FLEX_BG | EXT4_INCOMPAT_EA_INODE |                      \
	 EXT4_INCOMPAT_CSUM_SEED | EXT4_INCOMPAT_LARGEDIR |                    \
	 EXT4_INCOMPAT_INLINE_DATA)
/* ro_compat features that do not change what a reader sees. */
#define EXT4_RO_COMPAT_OK                                                      \
	(EXT4_RO_COMPAT_SPARSE_SUPER | EXT4_RO_COMPAT_LARGE_FILE |             \
	 EXT4_RO_COMPAT_BTREE_DIR | EXT4_RO_COMPAT_HUGE_FILE |                 \
	 EXT4_RO_COMPAT_GDT_CSUM | EXT4_RO_COMPAT_DIR_NLINK |                  \
	 EXT4_RO_COMPAT_EXTRA_ISIZE | EXT4_RO_COMPAT_QUOTA |                   \
	 EXT4_RO_COMPAT_BIGALLOC | EXT4_RO_COMPAT_METADATA_CSUM |              \
	 EXT4_RO_COMPAT_PROJECT | EXT4_RO_COMPAT_VERITY |                      \
	 EXT4_RO_COMPAT_ORPHAN_PRESENT)

struct feature_name {
	uint32_t bit;
	const char *name;
};

/* The names e2fsprogs (mke2fs -O, tune2fs) uses. */
static const struct feature_name incompat_names[] = {
    {EXT4_INCOMPAT_COMPRESSION, "compression"},
    {EXT4_INCOMPAT_RECOVER, "needs_recovery (journal replay)"},
    {EXT4_INCOMPAT_JOURNAL_DEV, "journal_dev"},
    {EXT4_INCOMPAT_DIRDATA, "dirdata"},
    {EXT4_INCOMPAT_ENCRYPT, "encrypt"},
    {EXT4_INCOMPAT_CASEFOLD, "casefold"},
    {0x40000, "incompat_0x40000"},
    {0x80000, "incompat_0x80000"},
};

int ext4_fail(struct ext4_fs *fs, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fs->err, sizeof(fs->err), fmt, ap);
	va_end(ap);
	if (fs->dev->log)
		fs->dev->log(fs->dev, fs->err);
	return err;
}

const char *ext4_last_error(const struct ext4_fs *fs)
{
	return fs->err;
}

bool ext4_is_readonly(const struct ext4_fs *fs)
{
	return fs->readonly;
}

/* Names the first unhandled incompat feature in the refusal. */
static int check_incompat(struct ext4_fs *fs)
{
	uint32_t bad = fs->incompat & ~EXT4_INCOMPAT_OK;

	if (fs->compat & EXT4_COMPAT_HAS_JOURNAL)
		bad &= ~EXT4_INCOMPAT_RECOVER; /* ext4_mount replays it */

	if (!bad)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(incompat_names); i++)
		if (bad & incompat_names[i].bit)
			return ext4_fail(fs, -EINVAL,
					 "ext4: unsupported feature %s",
					 incompat_names[i].name);
	return ext4_fail(fs, -EINVAL,
			 "ext4: unsupported incompat features 0x%x", bad);
}

/* Features whose structures the write path does not maintain yet. */
#define EXT4_RO_COMPAT_NO_WRITE                                                \
	(EXT4_RO_COMPAT_QUOTA | EXT4_RO_COMPAT_BIGALLOC |                      \
	 EXT4_RO_COMPAT_PROJECT | EXT4_RO_COMPAT_VERITY |                      \
	 EXT4_RO_COMPAT_ORPHAN_PRESENT)

static void check_ro_compat(struct ext4_fs *fs, unsigned flags)
{
	uint32_t bad = fs->ro_compat & ~EXT4_RO_COMPAT_OK;

	fs->readonly = true;
	if (flags & EXT4_MOUNT_RDONLY)
		return;
	if (fs->ro_compat & EXT4_RO_COMPAT_READONLY)
		ext4_fail(fs, 0,
			  "ext4: read-only feature set: mounted read-only");
	else if (bad)
		ext4_fail(fs, 0,
			  "ext4: unknown ro_compat features 0x%x: mounted "
			  "read-only",
			  bad);
	else if (fs->ro_compat & EXT4_RO_COMPAT_NO_WRITE)
		ext4_fail(fs, 0,
			  "ext4: writing with ro_compat features 0x%x not "
			  "implemented: mounted read-only",
			  fs->ro_compat & EXT4_RO_COMPAT_NO_WRITE);
	else if (!fs->dev->write)
		ext4_fail(fs, 0, "ext4: read-only device: mounted read-only");
	else
		fs->readonly = false;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int read_geometry(struct ext4_fs *fs)
{
	const uint8_t *sb = fs->sb;
	uint32_t rev = get32(sb, EXT4_SB_REV_LEVEL);

	fs->log_block_size = get32(sb, EXT4_SB_LOG_BLOCK_SIZE);
	if (fs->log_block_size > 6)
		return ext4_fail(fs, -EUCLEAN, "ext4: block size 2^%u KiB",
				 fs->log_block_size);
	fs->block_size = 1024u << fs->log_block_size;
	fs->blocks_count = get32(sb, EXT4_SB_BLOCKS_COUNT_LO);
	if (fs->incompat & EXT4_INCOMPAT_64BIT)
		fs->blocks_count |= (uint64_t)get32(sb, EXT4_SB_BLOCKS_COUNT_HI)
				    << 32;
	fs->first_data_block = get32(sb, EXT4_SB_FIRST_DATA_BLOCK);
	fs->blocks_per_group = get32(sb, EXT4_SB_BLOCKS_PER_GROUP);
	fs->inodes_per_group = get32(sb, EXT4_SB_INODES_PER_GROUP);
	fs->inodes_count = get32(sb, EXT4_SB_INODES_COUNT);
	fs->inode_size =
	    rev ? get16(sb, EXT4_SB_INODE_SIZE) : EXT4_GOOD_OLD_INODE_SIZE;
	fs->first_ino =
	    rev ? get32(sb, EXT4_SB_FIRST_INO) : EXT4_GOOD_OLD_FIRST_INO;
	fs->desc_size = EXT4_DESC_SIZE_32;
	if (fs->incompat & EXT4_INCOMPAT_64BIT)
		fs->desc_size = get16(sb, EXT4_SB_DESC_SIZE);
	return 0;
}

static int check_geometry(struct ext4_fs *fs)
{
	uint32_t bs = fs->block_size;
	uint64_t data_blocks;

	if (fs->blocks_count > fs->dev->size / bs)
		return ext4_fail(fs, -EUCLEAN,
				 "ext4: %llu blocks but the device has %llu",
				 (unsigned long long)fs->blocks_count,
				 (unsigned long long)(fs->dev->size / bs));
	if (fs->first_data_block >= fs->blocks_count ||
	    fs->first_data_block > 1)
		return ext4_fail(fs, -EUCLEAN, "ext4: first data block %llu",
				 (unsigned long long)fs->first_data_block);
	if (!fs->blocks_per_group || fs->blocks_per_group > 8 * bs ||
	    !fs->inodes_per_group || fs->inodes_per_group > 8 * bs)
		return ext4_fail(fs, -EUCLEAN,
				 "ext4: %u blocks, %u inodes per group",
				 fs->blocks_per_group, fs->inodes_per_group);
	if (!is_pow2(fs->inode_size) || fs->inode_size < 128 ||
	    fs->inode_size > bs)
		return ext4_fail(fs, -EUCLEAN, "ext4: inode size %u",
				 fs->inode_size);
	if (fs->desc_size < EXT4_DESC_SIZE_32 ||
	    fs->desc_size > EXT4_DESC_SIZE_MAX || !is_pow2(fs->desc_size) ||
	    ((fs->incompat & EXT4_INCOMPAT_64BIT) &&
	     fs->desc_size < EXT4_DESC_SIZE_64))
		return ext4_fail(fs, -EUCLEAN, "ext4: descriptor size %u",
				 fs->desc_size);
	data_blocks = fs->blocks_count - fs->first_data_block;
	fs->groups = (uint32_t)((data_blocks + fs->blocks_per_group - 1) /
				fs->blocks_per_group);
	if ((uint64_t)fs->groups * fs->inodes_per_group < fs->inodes_count ||
	    fs->inodes_count < EXT4_GOOD_OLD_FIRST_INO ||
	    fs->first_ino < EXT4_GOOD_OLD_FIRST_INO ||
	    fs->first_ino >= fs->inodes_count)
		return ext4_fail(fs, -EUCLEAN,
				 "ext4: %u inodes (first %u) in %u groups",
				 fs->inodes_count, fs->first_ino, fs->groups);
	return 0;
}

static int check_csum(struct ext4_fs *fs)
{
	fs->csum = fs->ro_compat & EXT4_RO_COMPAT_METADATA_CSUM;
	fs->gdt_csum = fs->ro_compat & EXT4_RO_COMPAT_GDT_CSUM;
	if (!fs->csum)
		return 0;
	if (fs->sb[EXT4_SB_CHECKSUM_TYPE] != 1)
		return ext4_fail(fs, -EINVAL, "ext4: checksum type %u",
				 fs->sb[EXT4_SB_CHECKSUM_TYPE]);
	if (!ext4_sb_csum_ok(fs->sb))
		return ext4_fail(fs, -EBADMSG, "ext4: superblock checksum");
	if (fs->incompat & EXT4_INCOMPAT_CSUM_SEED)
		fs->csum_seed = get32(fs->sb, EXT4_SB_CHECKSUM_SEED);
	else
		fs->csum_seed = crc32c(~0u, fs->sb + EXT4_SB_UUID, 16);
	return 0;
}

static bool is_power_of(uint32_t n, uint32_t base)
{
	while (n % base == 0)
		n /= base;
	return n == 1;
}

/* Whether group holds a superblock backup (and descriptors after it). */
bool ext4_has_super(const struct ext4_fs *fs, uint32_t group)
{
	if (group == 0)
		return true;
	if (fs->compat & EXT4_COMPAT_SPARSE_SUPER2)
		return group == get32(fs->sb, EXT4_SB_BACKUP_BGS) ||
		       group == get32(fs->sb, EXT4_SB_BACKUP_BGS + 4);
	if (!(fs->ro_compat & EXT4_RO_COMPAT_SPARSE_SUPER) || group == 1)
		return true;
	return is_power_of(group, 3) || is_power_of(group, 5) ||
	       is_power_of(group, 7);
}

/* The disk block of descriptor block i. */
uint64_t ext4_gdt_block(const struct ext4_fs *fs, uint32_t i)
{
	uint32_t per_block = fs->block_size / fs->desc_size, group;

	if (!(fs->incompat & EXT4_INCOMPAT_META_BG) ||
	    i < get32(fs->sb, EXT4_SB_FIRST_META_BG))
		return fs->first_data_block + 1 + i;
	group = i * per_block;
	return fs->first_data_block + (uint64_t)group * fs->blocks_per_group +
	       ext4_has_super(fs, group);
}

const uint8_t *ext4_group_desc(const struct ext4_fs *fs, uint32_t group)
{
	return fs->gdt + (size_t)group * fs->desc_size;
}

static uint64_t gd_inode_table(const struct ext4_fs *fs, const uint8_t *gd)
{
	uint64_t t = get32(gd, EXT4_GD_INODE_TABLE_LO);

	if (fs->desc_size >= EXT4_DESC_SIZE_64)
		t |= (uint64_t)get32(gd, EXT4_GD_INODE_TABLE_HI) << 32;
	return t;
}

static int check_group(struct ext4_fs *fs, uint32_t g)
{
	const uint8_t *gd = ext4_group_desc(fs, g);
	uint64_t itable_blocks =
	    ((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size -
	     1) /
	    fs->block_size;

	if ((fs->csum || fs->gdt_csum) && !ext4_gd_csum_ok(fs, g, gd))
		return ext4_fail(fs, -EBADMSG,
				 "ext4: group %u descriptor checksum", g);
	if (!ext4_block_valid(fs, gd_inode_table(fs, gd), itable_blocks))
		return ext4_fail(fs, -EUCLEAN,
				 "ext4: group %u inode table at block %llu", g,
				 (unsigned long long)gd_inode_table(fs, gd));
	return 0;
}

static int read_gdt(struct ext4_fs *fs)
{
	uint32_t bs = fs->block_size, nblocks;
	uint64_t bytes = (uint64_t)fs->groups * fs->desc_size;
	int err;

	nblocks = (uint32_t)((bytes + bs - 1) / bs);
	fs->gdt = malloc((size_t)nblocks * bs);
	if (!fs->gdt)
		return -ENOMEM;
	for (uint32_t i = 0; i < nblocks; i++) {
		err = ext4_read_blocks(fs, ext4_gdt_block(fs, i), 1,
				       fs->gdt + (size_t)i * bs);
		if (err)
			return ext4_fail(fs, err,
					 "ext4: group descriptor block %u", i);
	}
	for (uint32_t g = 0; g < fs->groups; g++)
		if ((err = check_group(fs, g)))
			return err;
	return 0;
}

static int read_super(struct ext4_fs *fs, unsigned flags)
{
	int err;

	if (fs->dev->size < EXT4_SB_OFFSET + EXT4_SB_SIZE)
		return ext4_fail(fs, -EINVAL, "ext4: device too small");
	err = fs->dev->read(fs->dev, EXT4_SB_OFFSET, fs->sb, EXT4_SB_SIZE);
	if (err)
		return ext4_fail(fs, err, "ext4: reading the superblock");
	if (get16(fs->sb, EXT4_SB_MAGIC) != EXT4_MAGIC)
		return ext4_fail(fs, -EINVAL, "ext4: no ext2/3/4 magic");
	fs->compat = get32(fs->sb, EXT4_SB_FEATURE_COMPAT);
	fs->incompat = get32(fs->sb, EXT4_SB_FEATURE_INCOMPAT);
	fs->ro_compat = get32(fs->sb, EXT4_SB_FEATURE_RO_COMPAT);
	if ((err = check_incompat(fs)) || (err = check_csum(fs)) ||
	    (err = read_geometry(fs)) || (err = check_geometry(fs)))
		return err;
	check_ro_compat(fs, flags);
	return read_gdt(fs);
}

/* A journal that needs replay is replayed (journal's recovery.c), and
 * the file system read again as the replay left it. */
static int mount_once(struct ext4_dev *dev, unsigned flags, bool replay,
		      struct ext4_fs **out)
{
	struct ext4_fs *fs = calloc(1, sizeof(*fs));
	int err;

	if (!fs)
		return -ENOMEM;
	fs->dev = dev;
	err = read_super(fs, flags);
	if (!err && (fs->incompat & EXT4_INCOMPAT_RECOVER))
		err = replay ? jbd2_recover(fs)
			     : ext4_fail(fs, -EUCLEAN,
					 "ext4: needs_recovery after replay");
	if (!err && (fs->incompat & EXT4_INCOMPAT_RECOVER)) {
		ext4_unmount(fs);
		return mount_once(dev, flags, false, out);
	}
	if (err) {
		ext4_unmount(fs);
		return err;
	}
	*out = fs;
	return 0;
}

/* A read-write mount of a file system with a journal writes its
 * metadata through it (transaction.c). */
int ext4_mount(struct ext4_dev *dev, unsigned flags, struct ext4_fs **out)
{
	int err = mount_once(dev, flags, true, out);

	if (!err && (err = ext4_journal_start(*out))) {
		ext4_unmount(*out);
		*out = NULL;
	}
	return err;
}

void ext4_unmount(struct ext4_fs *fs)
{
	if (!fs)
		return;
	ext4_journal_stop(fs);
	free(fs->gdt);
	free(fs);
}

void ext4_statfs(const struct ext4_fs *fs, struct ext4_statfs *st)
{
	const uint8_t *sb = fs->sb;
	uint64_t free_blocks = get32(sb, EXT4_SB_FREE_BLOCKS_LO);
	uint64_t reserved = get32(sb, EXT4_SB_R_BLOCKS_COUNT_LO);

	if (fs->incompat & EXT4_INCOMPAT_64BIT) {
		free_blocks |= (uint64_t)get32(sb, EXT4_SB_FREE_BLOCKS_HI)
			       << 32;
		reserved |= (uint64_t)get32(sb, EXT4_SB_R_BLOCKS_COUNT_HI)
			    << 32;
	}
	memset(st, 0, sizeof(*st));
	st->block_size = fs->block_size;
	st->blocks = fs->blocks_count;
	st->free_blocks = free_blocks;
	st->avail_blocks = free_blocks > reserved ? free_blocks - reserved : 0;
	st->inodes = fs->inodes_count;
	st->free_inodes = get32(sb, EXT4_SB_FREE_INODES);
	st->name_max = 255;
	memcpy(st->uuid, sb + EXT4_SB_UUID, 16);
}
