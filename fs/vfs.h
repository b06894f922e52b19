/*
 * The interface a file system implements (ramfs, devtmpfs and procfs
 * today; ext4 and 9p next), and the VFS objects it shares with the core.
 * The core (fs/namei.c, vfs.c, file.c, attr.c, xattr.c) knows no file
 * system by name: it walks paths, checks what Linux checks, and calls
 * these tables.
 *
 * Objects and who owns them:
 *  - struct super_block: one mounted instance of a file system. Made by
 *    the file system's mount function, which also makes its root inode;
 *    it lives until umount (the root's is forever).
 *  - struct mount: where a superblock shows in the tree (fs/mount.c). A
 *    mount point is a directory inode with ->mounted set; the path walk
 *    steps from it to the mounted root, and ".." from a mounted root
 *    steps to the mount point first. The table is under vfs_mutex and
 *    is what /proc/mounts and /proc/self/mountinfo print.
 *  - struct inode: the VFS part of a file system object. A file system
 *    embeds it first in its own inode (struct ramfs_inode, struct
 *    proc_inode, later struct ext4_inode) and allocates the whole with
 *    inode_init(); the core never looks past it.
 *
 * Inode lifetime. refs counts what holds an inode across vfs_mutex
 * releases (open files, the working directory, a mount point, a bound
 * socket, a readlink in progress); nlink counts its names. Under
 * vfs_mutex the path walk holds plain pointers, so an inode may go only
 * with vfs_mutex held, or after it left every table under vfs_mutex.
 * When the last reference goes (inode_put), the superblock's `drop`
 * decides: NULL or true and nlink == 0 -> evict now (the inode is
 * unreachable); a file system with an inode cache (ext4) returns false
 * for an inode that still has names, keeps it cached, and evicts it
 * itself later under vfs_mutex (memory pressure, umount). evict frees
 * the file system's part and then the memory (inode_free).
 *
 * Locks (see also fs.h): vfs_mutex guards the namespace, so every
 * directory operation below runs under it; ip->lock guards an inode's
 * data and attributes; a file's pos_lock is taken first. Order: pos_lock
 * -> vfs_mutex -> ip->lock. A disk file system may sleep on I/O under
 * them (they are sleeping mutexes); nothing may call back into the VFS
 * path walk from a hook.
 *
 * Errors: hooks return 0 or -errno as Linux's file systems do; a NULL
 * hook gets the errno Linux gives for a file system without it (noted
 * at each).
 */
#ifndef FS_VFS_H
#define FS_VFS_H

#include "fs/fs.h"

struct inode;
struct super_block;
struct mount;
struct inotify_mark;
struct xattr;

/* ---- superblocks ---- */
struct kstatfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree;
	uint64_t namelen, frsize, flags;
};

struct super_ops {
	/* statfs(2): NULL reports an empty file system of type `magic` */
	int (*statfs)(struct super_block *sb, struct kstatfs *st);
	/* sync(2)/syncfs(2): write back everything dirty; NULL: nothing */
	int (*sync)(struct super_block *sb);
	/* Under ip->lock, after the VFS changed an attribute (mode, owner,
	 * times, size): mark the inode for write-back. NULL: in memory. */
	void (*dirty_inode)(struct inode *ip);
	/* Under vfs_mutex, refs and nlink as they are: whether the inode
	 * goes now (true) or stays cached. NULL: only without names. */
	bool (*drop)(struct inode *ip);
	/* Without locks, the inode unreachable: frees it (inode_free
	 * last). */
	void (*evict)(struct inode *ip);
	/* umount2(2), under vfs_mutex: -EBUSY when an inode of it is held
	 * (the root by more than the superblock's reference, or one with a
	 * mount on it); else writes back, frees every inode and the
	 * superblock. NULL: -EBUSY (cannot unmount). */
	int (*umount)(struct super_block *sb);
};

struct super_block {
	/* set at mount, then read-only */
	const struct super_ops *ops;
	const char *type;   /* "ramfs", "proc": /proc/mounts' third field */
	const char *source; /* what was mounted: "rootfs", "proc", "/dev/vda" */
	uint64_t dev;	    /* st_dev of its inodes (fs_makedev) */
	uint64_t magic; /* statfs f_type (Linux: include/uapi/linux/magic.h) */
	bool rdonly;	/* every change is -EROFS */
	struct inode *root; /* holds a reference */
	struct mount
	    *mnt;   /* where it is mounted (one place); under vfs_mutex */
	void *priv; /* the file system's own */
	/* inode numbers for file systems that make them up; atomic */
	uint64_t next_ino;
	/* under vfs_mutex: vfs_sync_all calls that hold it (umount: EBUSY) */
	unsigned syncing;
};

/* ---- inodes ---- */
/*
 * Directory listing: iterate calls emit once per entry from *pos on,
 * with the position after the entry (a cookie the file system chooses,
 * >= 2: 0 and 1 are "." and ".." which the core emits), and advances
 * *pos past what emit accepted. emit returns false when the buffer is
 * full; iterate then returns 0 too.
 */
struct dir_context {
	bool (*emit)(struct dir_context *ctx, const char *name, size_t len,
		     uint64_t ino, uint32_t type, int64_t next);
	/* a getdents call, outside any path walk: a file system may drop
	 * stale entries of its own (procfs: what is gone) */
	bool getdents;
};

struct inode_ops {
	/* ---- names: under vfs_mutex; dir is a directory, name is not "."
	 * or ".." (1..NAME_MAX bytes, not NUL-terminated) ---- */
	/* The inode named `name` in dir, or -ENOENT. NULL: always -ENOENT. */
	int (*lookup)(struct inode *dir, const char *name, size_t len,
		      struct inode **out);
	/* A new regular file, directory, device node, FIFO or socket
	 * (mode has the type), linked as `name` (known to be free), nlink
	 * and dir's nlink set. NULL: -EACCES (Linux: procfs). */
	int (*create)(struct inode *dir, const char *name, size_t len,
		      uint32_t mode, uint64_t rdev, struct inode **out);
	/* A symlink to `target` (NUL-terminated, checked). NULL: -EACCES */
	int (*symlink)(struct inode *dir, const char *name, size_t len,
		       const char *target, struct inode **out);
	/* A new name for ip (not a directory) in dir. NULL: -EPERM */
	int (*link)(struct inode *dir, const char *name, size_t len,
		    struct inode *ip);
	/* Removes the name of ip (unlink: not a directory; rmdir: a
	 * directory, -ENOTEMPTY unless empty), nlinks updated. NULL: -EPERM */
	int (*unlink)(struct inode *dir, const char *name, size_t len,
		      struct inode *ip);
	int (*rmdir)(struct inode *dir, const char *name, size_t len,
		     struct inode *ip);
	/*
	 * renameat2 within one superblock after the core's checks (types,
	 * ancestry, RENAME_NOREPLACE): moves ip from (odir, oname) to
	 * (ndir, nname), replacing victim (NULL if none; for a directory
	 * victim -ENOTEMPTY unless empty), or with RENAME_EXCHANGE swaps ip
	 * and victim. Directories' parents and nlinks are the file
	 * system's to update. NULL: -EPERM
	 */
	int (*rename)(struct inode *odir, const char *oname, size_t olen,
		      struct inode *ip, struct inode *ndir, const char *nname,
		      size_t nlen, struct inode *victim, unsigned flags);
	/* A symlink's target, valid while vfs_mutex is held. */
	const char *(*get_link)(struct inode *ip);
	/* "Magic" links (/proc/self/fd/N): the inode the link leads to,
	 * under vfs_mutex; -ENXIO with *outside_fd set for a descriptor
	 * whose file is outside the tree. Takes precedence over get_link. */
	int (*follow)(struct inode *ip, struct inode **out, int *outside_fd);
	/* readlink(2) text when it is not get_link's: without vfs_mutex,
	 * the caller holding a reference. The length, at most size. */
	int (*readlink)(struct inode *ip, char *buf, size_t size);
	/* getdents (see struct dir_context), under vfs_mutex. */
	int (*iterate)(struct inode *dir, int64_t *pos,
		       struct dir_context *ctx);
	/* ---- data and attributes: under ip->lock ---- */
	/* Changes i_size: a hole reads as zeros; shrinking frees. NULL:
	 * -EPERM (Linux: a file system without setattr of the size). */
	int (*setsize)(struct inode *ip, int64_t size);
	/* fallocate(2) PUNCH_HOLE|KEEP_SIZE: bytes [off, off + len) read as
	 * zeros after, their whole blocks freed; the size stays. NULL:
	 * -EOPNOTSUPP. */
	int (*punch)(struct inode *ip, int64_t off, int64_t len);
	/* stat: fills what the core does not know (st_blocks). */
	void (*getattr)(struct inode *ip, struct kstat *st);
	/* The page caching bytes [index * 4096, +4096), made (zeroed, or
	 * read from the disk) if missing, for mmap and the loader; ramfs's
	 * stays while the inode has pins. The cache holds one reference to
	 * the frame (pmm_frame_share's); it drops it with pmm_frame_put.
	 * NULL: the file cannot be mapped (-ENODEV). */
	void *(*page)(struct inode *ip, uint64_t index);
	/* A page handed to a shared mapping that may write it: it may
	 * differ from the disk from now on. NULL: memory is the file. */
	void (*page_mkdirty)(struct inode *ip, uint64_t index);
	/* Writes the dirty pages back (msync, fsync, the last mapping
	 * going away). NULL: nothing to write. */
	int (*writeback)(struct inode *ip);
	/* Extended attributes, without locks (the core checked the name
	 * against Linux's namespaces). NULL get/set/remove: -EOPNOTSUPP;
	 * NULL list: none. */
	int64_t (*getxattr)(struct inode *ip, const char *name, void *buf,
			    size_t size);
	int (*setxattr)(struct inode *ip, const char *name, const void *val,
			size_t size, int flags);
	int64_t (*listxattr)(struct inode *ip, char *buf, size_t size);
	int (*removexattr)(struct inode *ip, const char *name);
	/* ---- opening a regular file (not O_PATH): without locks, taking
	 * over the caller's reference. NULL: a file with ip->fops (so
	 * directories always; character devices go by number, FIFOs to
	 * pipes); set to make the file some other way (procfs). */
	int (*open)(struct inode *ip, int flags, struct file **out);
};

struct inode {
	/* set when made, then read-only */
	struct super_block *sb;
	const struct inode_ops *ops;
	const struct file_ops *fops; /* regular files and directories */
	uint64_t ino;
	uint32_t type; /* S_IF* */
	uint64_t rdev;
	/* under vfs_mutex */
	int refs;
	uint32_t nlink; /* written under vfs_mutex, read atomically */
	/* directories: the directory holding it (a file system root's is
	 * itself), NULL once removed; kept by the file system */
	struct inode *parent;
	struct mount *mounted; /* something is mounted here (fs/mount.c) */
	/* S_IFSOCK nodes bound by AF_UNIX: the socket (net/unix.c's), NULL
	 * once it is closed */
	void *sock;
	/* a directory holding a name of it (the last linked), for inotify's
	 * events on children and /proc's paths; NULL: none known */
	struct inode *name_dir;
	/* under lock */
	struct mutex lock;
	uint32_t mode; /* permission bits, 07777 */
	uint32_t uid, gid;
	struct timespec_k atime, mtime, ctime;
	int64_t size;
	unsigned pins;		    /* shared mappings: pages must stay */
	struct xattr *xattrs;	    /* in-memory xattrs (fs/xattr.c's store) */
	bool memfd;		    /* made by memfd_create: seals apply */
	unsigned seals;		    /* F_SEAL_* (fs/memfd.c) */
	struct inotify_mark *marks; /* its inotify watches; fs/inotify.c's */
};

/* For file systems: sets up the VFS part of a new inode (the memory is
 * the file system's, zeroed): refs 0, nlink 0, times now, an inode
 * number from sb->next_ino when ino is 0. */
void inode_init(struct inode *ip, struct super_block *sb,
		const struct inode_ops *ops, uint32_t mode, uint64_t rdev,
		uint64_t ino);
/* Frees what the VFS keeps for an inode (its xattrs, inotify marks):
 * an evict hook calls it before freeing its memory. */
void inode_free_vfs(struct inode *ip);
/* Under vfs_mutex: one more name (nlink), atomically readable. */
void inode_set_nlink(struct inode *ip, uint32_t n);
struct timespec_k vfs_now(void);

/* The file operations of directories for every file system: getdents
 * goes through inode_ops.iterate. */
extern const struct file_ops vfs_dir_fops;
/* lseek for files of `size` bytes (Linux's generic_file_llseek): SEEK_DATA
 * and SEEK_HOLE see the whole file as data. */
int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence,
			   int64_t size);

/* ---- in-memory xattrs (fs/xattr.c), for file systems without their
 * own store (ramfs): the inode_ops hooks, as tmpfs's limits ---- */
int64_t simple_getxattr(struct inode *ip, const char *name, void *buf,
			size_t size);
int simple_setxattr(struct inode *ip, const char *name, const void *val,
		    size_t size, int flags);
int64_t simple_listxattr(struct inode *ip, char *buf, size_t size);
int simple_removexattr(struct inode *ip, const char *name);

/* ---- mounts (fs/mount.c) ---- */
struct mount {
	/* under vfs_mutex */
	struct super_block *sb;
	struct inode *mountpoint; /* holds a reference; NULL for "/" */
	struct mount *parent;	  /* the mount the mount point is on */
	struct mount *next;	  /* the table, in mount order */
	unsigned id;		  /* mountinfo's first field */
	bool rdonly;
	bool fixed_ro; /* the superblock was made read-only: no remount rw */
};
/* Mounts sb on the directory `path` (absolute); "/" only first. */
int vfs_mount(struct super_block *sb, const char *path, bool rdonly);

#endif
