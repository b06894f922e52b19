/*
 * ext4, our own, written from the on-disk format: a self-contained library
 * over a tiny block-I/O interface (struct ext4_dev), so that the same code
 * runs in the kernel over virtio-blk and on the host over a file or a
 * memory buffer (tests/host/test_ext4.c, tests/fuzz/fuzz_ext4.c).
 *
 * What it reads today: the superblock and group descriptors (32 and 64
 * bit, meta_bg), metadata_csum (crc32c) and gdt_csum (crc16) verified on
 * superblock, descriptors, inodes, extent blocks and directory blocks
 * (leaf tails and htree nodes), inodes with their extra fields and
 * nanosecond times, extent trees and the old indirect block map, holes and
 * unwritten extents (read as zeros), directories (htree ones read as
 * linear, which the format allows), path lookup, fast and slow symlinks,
 * inline data (files and directories), and extended attributes in the
 * inode and in a block (and in an inode, ea_inode).
 *
 * Errors (Linux's): -EIO when the device fails, -EUCLEAN (Linux's
 * EFSCORRUPTED) for a structure that cannot be right, -EBADMSG (Linux's
 * EFSBADCRC) for a checksum that does not match, -EINVAL for a mount
 * refused for a feature we do not handle. Each comes with one message
 * naming the inode or block (ext4_dev.log, and ext4_last_error()).
 *
 * Concurrency: a struct ext4_fs is read-only after ext4_mount but for
 * the running transaction, which reads consult: on a read-write mount
 * with a journal, reads are serialized with writes like writes are (the
 * VFS adapter runs every call under one mutex); a read-only mount may
 * be read by any number of threads at once (the device's read must be
 * thread-safe). An ext4_inode belongs to whoever got it from ext4_iget.
 * The last-error text is advisory: concurrent errors may overwrite it.
 *
 * The VFS adapter point: once the VFS has its operations table (branch
 * vfs) and the block layer exists (branch blk), fs/ext4_vfs.c implements
 * the superblock, inode and file operations with these calls, keeps an
 * ext4_inode per VFS inode (ext4_iget at lookup, ext4_iput at eviction),
 * and fills struct ext4_dev from the block device (read and write through
 * the page cache, flush as a FLUSH request).
 *
 * Writing (without the journal yet, see below): blocks and inodes
 * allocated from the group bitmaps (the bitmaps' crc32c in the
 * descriptors), extents added in place (the root, then one level of
 * leaves) with their tails rechecksummed, directory entries inserted into
 * leaf blocks, truncation, and the descriptors' and superblock's free
 * counts and checksums kept. Still to come: htree directories kept
 * indexed (they are refused now), deeper extent trees, unwritten
 * extents and fallocate, xattr writes. link and rename: rename.c.
 *
 * The journal (jbd2): at mount, when needs_recovery is set, the log is
 * replayed (recovery.c: descriptor, revoke and commit blocks, checksums
 * v2/v3; a hostile log stops the mount with a message before anything
 * is written), then the file system is read again. A read-write mount
 * then writes metadata through the journal in ordered mode
 * (transaction.c): one running transaction collects the metadata
 * blocks the calls changed, reads see them, and a commit (ext4_sync,
 * unmount, a full log) writes them to the log after the file data is
 * on the disk, then home. Between commits the disk holds a clean file
 * system.
 */
#ifndef FS_EXT4_EXT4_H
#define FS_EXT4_EXT4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux's errnos that kernel/kernel.h does not define (yet). */
#ifndef ENOTDIR
#define ENOTDIR 20
#endif
#ifndef EISDIR
#define EISDIR 21
#endif
#ifndef EFBIG
#define EFBIG 27
#endif
#ifndef EMLINK
#define EMLINK 31
#endif
#ifndef EROFS
#define EROFS 30
#endif
#ifndef ENAMETOOLONG
#define ENAMETOOLONG 36
#endif
#ifndef ELOOP
#define ELOOP 40
#endif
#ifndef ENODATA
#define ENODATA 61
#endif
#ifndef EBADMSG
#define EBADMSG 74
#endif
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif
#ifndef ENOTEMPTY
#define ENOTEMPTY 39
#endif
#ifndef EUCLEAN
#define EUCLEAN 117
#endif

/*
 * The block device under a file system, filled in by its owner. Offsets
 * and lengths are in bytes; ext4 asks only for whole file-system blocks
 * (and the superblock at byte 1024), never past size. Each call returns 0
 * or a negative errno. Thread-safe reads are the owner's business.
 */
struct ext4_dev {
	int (*read)(struct ext4_dev *dev, uint64_t off, void *buf, size_t len);
	int (*write)(struct ext4_dev *dev, uint64_t off, const void *buf,
		     size_t len);	    /* NULL: a read-only device */
	int (*flush)(struct ext4_dev *dev); /* NULL: nothing to flush */
	void (*log)(struct ext4_dev *dev, const char *msg); /* NULL: silent */
	int64_t (*now)(struct ext4_dev *dev); /* seconds; NULL: 0 */
	uint64_t size;			      /* bytes */
	void *ctx;			      /* the owner's */
};

#define EXT4_MOUNT_RDONLY 1u

struct ext4_fs;	   /* a mounted file system (private) */
struct ext4_inode; /* an inode read from disk (private) */

/* Reads and checks the superblock and group descriptors. A feature we do
 * not handle fails the mount with -EINVAL and a message naming it; an
 * unknown read-only-compatible one mounts read-only, and says so. */
int ext4_mount(struct ext4_dev *dev, unsigned flags, struct ext4_fs **out);
void ext4_unmount(struct ext4_fs *fs);
bool ext4_is_readonly(const struct ext4_fs *fs);
/* The message of the last error (empty if none). */
const char *ext4_last_error(const struct ext4_fs *fs);

#define EXT4_ROOT_INO 2u

struct ext4_timespec {
	int64_t sec;
	uint32_t nsec;
};

struct ext4_stat {
	uint32_t ino;
	uint16_t mode; /* S_IFMT bits and permissions, as st_mode */
	uint32_t nlink, uid, gid;
	uint64_t size;
	uint64_t blocks; /* 512-byte units, as st_blocks */
	struct ext4_timespec atime, mtime, ctime, crtime;
	uint32_t flags; /* EXT4_*_FL, as FS_IOC_GETFLAGS */
	uint32_t generation;
	uint32_t rdev; /* Linux's new_encode_dev for devices, else 0 */
};

struct ext4_statfs {
	uint32_t block_size;
	uint64_t blocks, free_blocks, avail_blocks; /* avail: less reserved */
	uint64_t inodes, free_inodes;
	uint32_t name_max;
	uint8_t uuid[16];
};

/* The file types of directory entries (DT_* values, as d_type). */
#define EXT4_DT_UNKNOWN 0
#define EXT4_DT_REG 8
#define EXT4_DT_DIR 4
#define EXT4_DT_LNK 10

struct ext4_dirent {
	uint64_t next; /* the position just past this entry */
	uint32_t ino;
	uint8_t type; /* DT_* */
	uint8_t name_len;
	char name[256]; /* NUL-terminated */
};

int ext4_iget(struct ext4_fs *fs, uint32_t ino, struct ext4_inode **out);
void ext4_iput(struct ext4_inode *ip);
void ext4_stat(const struct ext4_inode *ip, struct ext4_stat *st);
void ext4_statfs(const struct ext4_fs *fs, struct ext4_statfs *st);

/* Reads up to len bytes of a regular file (or a symlink's target) at off;
 * returns the count (0 at or past the end) or a negative errno. */
long ext4_read(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
	       void *buf, size_t len);
/* A symlink's target, truncated to len as readlink(2); returns its length
 * or a negative errno (-EINVAL if ip is not a symlink). */
long ext4_readlink(struct ext4_fs *fs, struct ext4_inode *ip, char *buf,
		   size_t len);

/* The entry at or after *pos in directory ip (pos starts at 0; opaque,
 * a byte offset as Linux's linear readdir). Returns 1 with *d filled and
 * *pos moved past it, 0 at the end, or a negative errno. "." and ".."
 * are returned as they are on disk (an inline directory makes them up). */
int ext4_readdir(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t *pos,
		 struct ext4_dirent *d);
/* Calls fn for each entry from *pos on; when fn returns nonzero the walk
 * stops there, *pos is that entry's (it was not consumed: getdents) and
 * the value is returned. 0 at the end (*pos past the last), or errno. */
int ext4_iterate_dir(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t *pos,
		     int (*fn)(void *arg, const struct ext4_dirent *d),
		     void *arg);
/* The inode number of `name` (len bytes) in directory dir. */
int ext4_lookup(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		size_t len, uint32_t *ino);
/* Resolves an absolute or root-relative path; symlinks in the middle are
 * followed (at most 40, -ELOOP), a final one too when `follow`. */
int ext4_namei(struct ext4_fs *fs, const char *path, bool follow,
	       uint32_t *ino);

/* listxattr(2): "user.a\0trusted.b\0..." into buf; size 0 asks the length.
 * Returns the length or a negative errno (-ERANGE: buf too small). */
long ext4_listxattr(struct ext4_fs *fs, struct ext4_inode *ip, char *buf,
		    size_t size);
/* getxattr(2) of a full name ("user.x"); -ENODATA when absent. */
long ext4_getxattr(struct ext4_fs *fs, struct ext4_inode *ip, const char *name,
		   void *buf, size_t size);

/* ---- writing ----
 * Callers serialize every call that writes (the VFS adapter holds the
 * file system's mutex), and no read runs beside a write. With a journal
 * a crash loses what was not committed and leaves a file system that
 * e2fsck finds clean (after the replay of at most one transaction);
 * without one (ext2), a crash mid-operation is e2fsck's to repair. Directories with an htree index,
 * inline data, block-mapped (ext2/3) files and extent trees deeper than
 * one level are not written yet: -EOPNOTSUPP, with a message naming the
 * inode. A read-only mount answers -EROFS. */

/* Creates name in dir: a regular file, a directory (S_IFDIR, with "."
 * and "..") or a symlink (S_IFLNK; then ext4_write its target). */
int ext4_create(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		size_t len, uint16_t mode, uint32_t uid, uint32_t gid,
		uint32_t *ino);
/* symlink(2): a fast link (target in the inode) under 60 bytes. */
int ext4_symlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		 size_t len, const char *target, uint32_t uid, uint32_t gid,
		 uint32_t *ino);
/* Writes len bytes at off, allocating blocks where there were holes;
 * returns the count or a negative errno. */
long ext4_write(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
		const void *buf, size_t len);
/* fallocate(2) FALLOC_FL_PUNCH_HOLE|KEEP_SIZE: the whole blocks of
 * [off, off + len) are unmapped and freed, the bytes of partial blocks
 * zeroed; the size stays. Extent files only (-EOPNOTSUPP, named). */
int ext4_punch_hole(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
		    uint64_t len);
/* truncate(2): frees the blocks past size, or grows the file sparse. */
int ext4_truncate(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t size);
/* unlink(2) and rmdir(2): remove the entry; the last link frees the
 * inode and its blocks. */
int ext4_unlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		size_t len);
int ext4_rmdir(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
	       size_t len);
/* link(2): a new name for ip (not a directory: -EPERM) in dir. */
int ext4_link(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
	      size_t len, struct ext4_inode *ip);
/* renameat2(2): ip, named oname in odir, takes nname in ndir, replacing
 * victim (the inode nname names, NULL if none; a directory one must be
 * empty), or with EXT4_RENAME_EXCHANGE the two swap names. A directory
 * that changes parent gets its ".." and the parents' counts fixed. The
 * caller has checked that ip is not an ancestor of ndir; names that do
 * not name ip and victim answer -ENOENT (-EEXIST: an unnamed victim). */
#define EXT4_RENAME_NOREPLACE 1u /* Linux's values */
#define EXT4_RENAME_EXCHANGE 2u
int ext4_rename(struct ext4_fs *fs, struct ext4_inode *odir, const char *oname,
		size_t olen, struct ext4_inode *ip, struct ext4_inode *ndir,
		const char *nname, size_t nlen, struct ext4_inode *victim,
		unsigned flags);
/* chmod(2), chown(2), utimensat(2): the fields of st that mask names
 * (EXT4_SET_*) are written into the inode (mode: permission bits). */
#define EXT4_SET_MODE 1u
#define EXT4_SET_UID 2u
#define EXT4_SET_GID 4u
#define EXT4_SET_ATIME 8u
#define EXT4_SET_MTIME 16u
#define EXT4_SET_CTIME 32u
int ext4_setattr(struct ext4_fs *fs, struct ext4_inode *ip,
		 const struct ext4_stat *st, unsigned mask);
/* Commits the running transaction (metadata through the journal, see
 * above) and flushes the device: what was written is on it, and the
 * file system on disk is clean. fsync, syncfs, sync. */
int ext4_sync(struct ext4_fs *fs);
/* Whether a transaction is running (changes not yet committed). */
bool ext4_journal_pending(const struct ext4_fs *fs);
/* Between two operations: commits when the transaction holds more than
 * half of what the log can take. */
int ext4_commit_if_full(struct ext4_fs *fs);

#endif
