/*
 * Private to fs/: the path walk's helpers, in-memory directories, and
 * the pieces each file of fs/ offers the others. What a file system
 * implements (superblocks, inodes, their operations) is fs/vfs.h.
 *
 * Who owns what:
 *  - vfs_mutex guards the namespace: every directory's entries, every
 *    inode's nlink, refs and parent, the working directory, and the
 *    inode numbers of new inodes. A path walk holds it throughout, so the
 *    inodes it passes need no references.
 *  - An inode's own lock guards its data and attributes: pages, size,
 *    mode, owner, timestamps, the pin count.
 *  - A file's pos_lock serialises read/write/lseek/getdents on it (only
 *    for files with a position: regular files and directories).
 * Order: pos_lock -> vfs_mutex -> inode lock.
 *
 * An inode lives while it has a name (nlink > 0) or a reference (refs > 0:
 * open files, the working directory, a mount point, the root); whoever
 * brings both to 0, under vfs_mutex, evicts it after unlocking (fs/vfs.h
 * says how a file system with an inode cache keeps it longer).
 */
#ifndef FS_FS_PRIVATE_H
#define FS_FS_PRIVATE_H

#include "fs/fs.h"
#include "fs/vfs.h"
#include "kernel/mm/mm.h"
#include "lib/list.h"

#define MAXSYMLINKS 40		 /* Linux's limit of symlinks in one lookup */
#define MAX_RW_COUNT 0x7ffff000l /* Linux caps one read/write there */

/* For fields read without their lock (a racy read is good enough). */
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

extern struct mutex vfs_mutex;
extern struct inode *fs_root;
/* The caller's process's working directory (fs/fdtable.c: it lives with
 * the descriptor table), under vfs_mutex: fs_cwd_set installs ip (whose
 * reference the table takes over) and returns the old one (its
 * reference now the caller's). fs_umask_of_caller: its umask (atomic). */
struct inode *fs_cwd(void);
struct inode *fs_cwd_set(struct inode *ip);
uint32_t *fs_umask_of_caller(void);
/* chroot: the caller's process's root directory (fs_root unless it
 * chrooted), where "/" starts and ".." stops; kept with the working
 * directory, under vfs_mutex. _set installs ip (its reference taken
 * over) and returns the old one (NULL: it was fs_root). */
struct inode *fs_proc_root(void);
struct inode *fs_proc_root_set(struct inode *ip);

/* ---- memdir.c: in-memory directories, the library of file systems
 * that keep their directories in RAM (ramfs, procfs); under vfs_mutex.
 * The entries are in creation order, each numbered by a sequence number
 * that getdents uses as its position. ---- */
struct dentry {
	struct list link;     /* in the directory's list, by seq */
	struct dentry *hnext; /* the hash bucket's chain */
	struct inode *inode;
	uint64_t seq; /* its getdents position; grows in each directory */
	uint32_t hash;
	uint8_t namelen; /* 1..255 */
	char name[];	 /* NUL-terminated */
};

struct dir {
	struct list entries; /* by seq, oldest first */
	struct dentry **buckets;
	uint32_t nbuckets, count;
	uint64_t next_seq;
};

void dir_init(struct dir *d);
void dir_destroy(struct dir *d); /* empty; frees the table */
struct dentry *dir_lookup(struct dir *d, const char *name, size_t len);
struct dentry *dir_add(struct dir *d, const char *name, size_t len,
		       struct inode *ip);
void dir_remove(struct dir *d, struct dentry *e);
struct dentry *dir_first_from(struct dir *d, uint64_t pos);
struct dentry *dir_next(struct dir *d, struct dentry *e);
/* iterate for a struct dir: entries from *pos, skipping those `hide`
 * says are gone (NULL: none). */
int dir_iterate(struct dir *d, int64_t *pos, struct dir_context *ctx,
		bool (*hide)(struct inode *dir, struct dentry *e),
		struct inode *dirip);

/* ---- ramfs.c ---- */
/* A ramfs instance (the root, devtmpfs, devpts, memfd's); NULL when out
 * of memory. */
struct super_block *ramfs_mount(const char *type, const char *source,
				uint64_t dev);
/* An inode of sb with no name (memfd_create). */
struct inode *ramfs_new_inode(struct super_block *sb, uint32_t mode);
extern struct super_block *ramfs_shm_sb; /* memfd's, made at fs_init */
extern uint64_t ramfs_pages; /* atomic: data pages of all files */

/* ---- memfd.c ---- */
/* Under ip->lock: whether a memfd's seals let its size become new_size
 * (0 or -EPERM). */
int memfd_check_size(const struct inode *ip, int64_t new_size);

/* ---- xattr.c ---- */
/* Frees an inode's extended attributes (it is going). */
void xattr_free_all(struct inode *ip);

/* ---- inotify.c: what the VFS reports when it changes something ---- */
/*
 * mask is IN_* of fs.h. fsnotify_dir: an event about the child `name` of
 * dir (IN_CREATE, IN_DELETE, IN_MOVED_*; IN_ISDIR when the child is a
 * directory), under vfs_mutex. fsnotify_inode: an event on ip itself
 * (IN_ATTRIB for its link count, IN_MOVE_SELF). fsnotify_change: a change
 * of ip's data or attributes (IN_MODIFY, IN_ATTRIB, IN_OPEN, IN_CLOSE_*,
 * IN_ACCESS), to ip's watches and its directory's, with its name; the
 * _locked form under vfs_mutex, the other without it. fsnotify_gone: ip
 * is going (IN_DELETE_SELF, IN_IGNORED). All cost one load while no
 * watch exists.
 */
struct inotify_mark;
void fsnotify_dir(struct inode *dir, uint32_t mask, const char *name,
		  size_t len, uint32_t cookie);
void fsnotify_inode(struct inode *ip, uint32_t mask);
void fsnotify_change_locked(struct inode *ip, uint32_t mask);
void fsnotify_change(struct inode *ip, uint32_t mask);
void fsnotify_gone(struct inode *ip);
uint32_t fsnotify_cookie(void); /* a new IN_MOVED_FROM/TO cookie */

/* ---- namei.c: path lookup, all under vfs_mutex ---- */
struct lookup {
	struct inode *dir; /* holds the last component */
	const char *last;  /* the last component, not NUL-terminated */
	size_t len;	   /* 0: the path names `dir` itself ("/") */
	bool slash;	   /* slashes follow the last component */
	bool missing;	   /* walk_last: only the last component is missing */
	struct inode *ip;  /* walk_last: what the path names */
	unsigned links;	   /* symlinks followed so far */
	int outside_fd;	   /* walk_last's -ENXIO: the descriptor a
			    * /proc/<pid>/fd link named whose file is outside
			    * the tree (a pipe, a socket); else -1 */
};
/* Walks all but the last component; dir NULL: the working directory. */
int lookup_parent(struct file *dir, const char *path, struct lookup *l);
/* Looks up the last component too, following a final symlink if asked. */
int walk_last(struct lookup *l, bool follow);
int lookup(struct file *dir, const char *path, bool follow, struct lookup *l);
/* Where a new name would go: -EEXIST if something is there already;
 * trailing slashes only for directories. */
int lookup_create(struct file *dir, const char *path, bool is_dir,
		  struct lookup *l);
/* The inode an *at() call names: path NULL (or "" with AT_EMPTY_PATH)
 * means dir itself; follows a final symlink unless AT_SYMLINK_NOFOLLOW. */
int lookup_inode(struct file *dir, const char *path, int at_flags,
		 struct inode **out);
/* The same, with walk_last's outside_fd (-1 if none). */
int lookup_inode_fd(struct file *dir, const char *path, int at_flags,
		    struct inode **out, int *outside_fd);
/* One step of a walk: ".", "..", or a name (crossing into a mount). */
int lookup_step(struct inode *dir, const char *name, size_t len,
		struct inode **out);
/* The file system's lookup of a name in dir, not crossing mounts. */
int lookup_name(struct inode *dir, const char *name, size_t len,
		struct inode **out);
/* The name of ip in dir (NAME_MAX + 1 bytes); its length or -ENOENT. */
int inode_name_in(struct inode *dir, struct inode *ip, char *name);
/* The last component is missing, ".", ".." (no name to act on). */
bool lookup_is_special(const struct lookup *l);
bool lookup_is_dot(const struct lookup *l);

/* ---- vfs.c: references and inode helpers ---- */
/* Under vfs_mutex: the inode if its last name and reference are gone. */
struct inode *inode_unref_locked(struct inode *ip);
void inode_put(struct inode *ip);
/* Frees an inode inode_unref_locked or inode_dead gave, without locks. */
void inode_evict(struct inode *ip);
/* Under ip->lock: an attribute changed (the superblock's dirty_inode). */
void inode_dirty(struct inode *ip);
void inode_touch(struct inode *ip, bool mtime, bool ctime);
void inode_stat(struct inode *ip, struct kstat *st);
/* Under vfs_mutex: ip's path, built backwards from the end of tmp
 * (PATH_MAX bytes), or NULL with -ENOENT (it has no name) or
 * -ENAMETOOLONG in *err. */
char *inode_path(struct inode *ip, char *tmp, int *err);

/* ---- file.c ---- */
/* Takes a reference unless the count is already 0 (the file is being
 * released); for lookups under rcu_read_lock that hold none yet. */
bool file_tryget(struct file *f);
/* A file for an inode the caller holds a reference to (taken over). */
int file_open_inode(struct inode *ip, int flags, struct file **out);

/* ---- fdtable.c, for /proc/<pid>: a table `t` is one linux_with_files
 * gave (NULL: the first process's) ---- */
/* The lowest open descriptor >= from, or -1. */
int fd_next_open(struct fd_table *t, int from);
/* Under vfs_mutex: the inode of fd's file, valid while the mutex is held
 * (the file's last put needs it to drop the inode); NULL when fd is not
 * open (*open false) or its file is outside the tree. */
struct inode *fd_inode(struct fd_table *t, int fd, bool *open);
/* fd_get of t's descriptor fd. */
struct file *fd_get_in(struct fd_table *t, int fd);
/* Under vfs_mutex: t's working directory; its program (NULL: not set
 * since boot); fd_table_exe_set installs ip's reference and returns the
 * old one's. The caller's own table, as linux_with_files names it. */
struct inode *fd_table_cwd(struct fd_table *t);
struct inode *fd_table_exe(struct fd_table *t);
struct inode *fd_table_exe_set(struct fd_table *t, struct inode *ip);
struct fd_table *fd_table_caller(void);

/* ---- mount.c ---- */
/* Under vfs_mutex: the table in mount order (m NULL: the first). */
struct mount *mount_next(struct mount *m);

/* ---- procfs.c ---- */
int procfs_mount(void);

/* ---- devfs.c ---- */
int devfs_init(void);
/* The operations of the character device with this st_rdev, or NULL
 * (the open of a character node, whatever file system holds it). */
const struct file_ops *chrdev_find(uint64_t rdev);
/* ... of the block device with this st_rdev (block/: /dev/vda is
 * 254:0), or NULL. */
const struct file_ops *blkdev_find(uint64_t rdev);

/* ---- terminals ---- */
/* Linux's struct termios for TCGETS (asm-generic/termbits.h). */
struct termios_k {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
};
_Static_assert(sizeof(struct termios_k) == 36, "struct termios is 36 bytes");

struct winsize_k {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* Linux's tty_std_termios, a new terminal's settings (the console's and
 * every pty's): ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD|HUPCL,
 * ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN, INIT_C_CC. */
#define TTY_STD_TERMIOS                                                        \
	{                                                                      \
		0x500, 0x5, 0x4bf, 0x8a3b, 0,                                  \
		{3, 034, 0177, 025, 4, 0, 1, 0, 021, 023, 032, 0, 022, 017,    \
		 027, 026}                                                     \
	}

/* fs/pty.c: /dev/ptmx and the slaves /dev/pts/N (major 136) */
extern const struct file_ops ptmx_ops, pts_ops;
bool pty_is_slave(uint64_t rdev);

/*
 * fs/pagecache.c: a disk file's cached pages (see the file's comment).
 * All calls under *lock (the inode's lock) given at init.
 *   find:      the cached page at index, or NULL;
 *   insert:    a page (the cache takes over its reference), -ENOMEM;
 *   set_dirty: marks a cached page as differing from the disk;
 *   cut:       drops the pages from index `first` on;
 *   writeback: calls fn on each dirty page (stopping at its first
 *              error, returned), clearing the marks unless keep_dirty.
 */
struct pcache {
	struct mutex *lock;
	void *root;
	unsigned levels;      /* 0: empty; else the root covers 512^levels */
	uint64_t count, dirty; /* pages cached, pages marked dirty */
	struct list link;     /* the shrinker's list; under its lock */
	struct pcache_ra ra;  /* the mappings' faults, as one stream */
};
extern uint64_t pcache_pages, pcache_dirty; /* every cache's; atomic */
extern uint64_t pcache_evicted; /* clean pages the shrinker freed; atomic */
void pcache_init(struct pcache *pc, struct mutex *lock);
void *pcache_find(struct pcache *pc, uint64_t index);
int pcache_insert(struct pcache *pc, uint64_t index, void *page);
void pcache_set_dirty(struct pcache *pc, uint64_t index);
/* Readahead, under the owner's lock. pcache_ra_window: the reader of
 * `ra` wants page `index` of a file whose last page is `last`; how many
 * pages from index to read now (1 unless it reads in order, then a
 * window that doubles from PCACHE_RA_MIN to PCACHE_RA_MAX). pcache_fill:
 * the missing pages [index, index + n) (up to the first one cached) in
 * one `read` of consecutive bytes, copied into the cache; 0 or -errno. */
#define PCACHE_RA_MIN 4
#define PCACHE_RA_MAX 32 /* 128 KiB, one block request */
unsigned pcache_ra_window(struct pcache_ra *ra, uint64_t index, uint64_t last,
			  bool miss);
typedef long (*pcache_read_fn)(void *arg, uint64_t off, void *buf,
			       size_t len);
int pcache_fill(struct pcache *pc, uint64_t index, unsigned n,
		pcache_read_fn read, void *arg);
void pcache_cut(struct pcache *pc, uint64_t first);
int pcache_writeback(struct pcache *pc, bool keep_dirty,
		     int (*fn)(void *arg, uint64_t index, void *page), void *arg);

/* ---- icache.c: one VFS inode per inode number, for the file systems
 * whose inodes live elsewhere (ext4's disk, 9p's server), under vfs_mutex.
 * The file system's inode embeds an icache_link; `cached` says whether
 * it is in the table (names keep it there, see each file system). */
#define ICACHE_BUCKETS 256
struct icache_link {
	struct icache_link *next;
	uint64_t ino;
	bool cached;
};
struct icache {
	struct icache_link *bucket[ICACHE_BUCKETS];
};
void icache_add(struct icache *c, struct icache_link *l, uint64_t ino);
struct icache_link *icache_find(struct icache *c, uint64_t ino); /* NULL */
void icache_remove(struct icache *c, struct icache_link *l); /* if cached */
/* fn on every cached inode (fn must not add or remove) */
void icache_foreach(struct icache *c, void (*fn)(struct icache_link *l, void *arg),
		    void *arg);
/* Any cached inode, NULL when empty (umount empties the table with it). */
struct icache_link *icache_first(struct icache *c);
/* umount's part, under vfs_mutex: -EBUSY when an inode of sb is held (by
 * more than the table, or by a mount on it); else every cached inode
 * leaves the table and goes to evict, the root last. */
int icache_umount(struct icache *c, struct super_block *sb,
		  struct inode *(*inode_of)(struct icache_link *l),
		  void (*evict)(struct inode *ip));

#endif
