/*
 * Private to fs/: inodes, directory entries, the path walk's helpers and
 * the pieces each file of fs/ offers the others.
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
 * open files, the working directory, the root); whoever brings both to 0,
 * under vfs_mutex, frees it after unlocking.
 */
#ifndef FS_FS_PRIVATE_H
#define FS_FS_PRIVATE_H

#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "lib/list.h"

#define MAXSYMLINKS 40		 /* Linux's limit of symlinks in one lookup */
#define MAX_RW_COUNT 0x7ffff000l /* Linux caps one read/write there */
#define RAMFS_DEV 1		 /* st_dev of everything but /proc */
#define PROC_DEV 22		 /* st_dev of /proc: 0:22, as Linux's procfs */

/* For fields read without their lock (a racy read is good enough). */
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

extern struct mutex vfs_mutex;
extern struct inode *fs_root;
extern struct inode *fs_cwd; /* holds a reference */

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
	struct inode *parent; /* NULL once removed; the root's is itself */
};

/* A radix tree of data pages, 512 slots per node, like a page table. */
struct pages {
	void *root;
	unsigned levels; /* 0: empty; else the root covers 512^levels pages */
	uint64_t count;	 /* data pages present */
};

struct proc_entry;

struct inode {
	/* set when made, then read-only */
	uint64_t ino;
	uint32_t type; /* S_IF* */
	uint64_t rdev;
	const struct file_ops *dev_ops; /* character devices; NULL: -ENXIO */
	char *target; /* symlinks, NUL-terminated; NULL for procfs links */
	const struct proc_entry *proc; /* procfs nodes: what they show */
	int proc_arg;		       /* procfs: the pid, tid or fd */
	/* under vfs_mutex */
	int refs;
	uint32_t nlink; /* written under vfs_mutex, read atomically */
	struct dir dir;
	/* under lock */
	struct mutex lock;
	uint32_t mode; /* permission bits, 07777 */
	uint32_t uid, gid;
	struct timespec_k atime, mtime, ctime;
	int64_t size;
	struct pages pages;
	unsigned pins;
	struct xattr *xattrs; /* extended attributes (fs/xattr.c) */
	bool memfd;	      /* made by memfd_create: seals apply */
	unsigned seals;	      /* F_SEAL_* (fs/memfd.c) */
	/* S_IFSOCK nodes bound by AF_UNIX: the socket (net/unix.c's), NULL
	 * once it is closed; under vfs_mutex */
	void *sock;
	/* a directory holding a name of it (the last linked), for inotify's
	 * events on children; NULL: none known; under vfs_mutex */
	struct inode *name_dir;
	struct inotify_mark *marks; /* its inotify watches; fs/inotify.c's */
};

/* ---- ramfs.c: inodes, directories, data ---- */
/* A new inode (nlink 0, refs 0); NULL when out of memory. */
struct inode *ramfs_inode_new(uint32_t mode, uint64_t rdev);
void ramfs_inode_free(struct inode *ip);
struct timespec_k ramfs_now(void);
/* Under vfs_mutex. */
struct dentry *dir_lookup(struct inode *dir, const char *name, size_t len);
struct dentry *dir_add(struct inode *dir, const char *name, size_t len,
		       struct inode *ip);
void dir_remove(struct inode *dir, struct dentry *d);
struct dentry *dir_first_from(struct inode *dir, uint64_t pos);
struct dentry *dir_next(struct inode *dir, struct dentry *d);
struct dentry *dir_find_inode(struct inode *dir, struct inode *ip);
/* Under ip->lock. */
int64_t ramfs_read(struct inode *ip, void *buf, size_t n, int64_t off);
int64_t ramfs_write(struct inode *ip, const void *buf, size_t n, int64_t off);
int ramfs_truncate(struct inode *ip, int64_t size);
void *ramfs_page(struct inode *ip, uint64_t index);
bool ramfs_page_present(struct inode *ip, uint64_t index);
extern uint64_t ramfs_pages; /* atomic: data pages of all files */
#define RAMFS_MAX_SIZE (1ll << 48)

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
int lookup_step(struct inode *dir, const char *name, size_t len,
		struct inode **out);
/* The last component is missing, ".", ".." (no name to act on). */
bool lookup_is_special(const struct lookup *l);
bool lookup_is_dot(const struct lookup *l);

/* ---- vfs.c: references and inode helpers ---- */
/* Under vfs_mutex: the inode if its last name and reference are gone. */
struct inode *inode_unref_locked(struct inode *ip);
void inode_put(struct inode *ip);
void inode_touch(struct inode *ip, bool mtime, bool ctime);
void inode_stat(struct inode *ip, struct kstat *st);
/* Under vfs_mutex: ip's path, built backwards from the end of tmp
 * (PATH_MAX bytes), or NULL with -ENOENT (it has no name) or
 * -ENAMETOOLONG in *err. */
char *inode_path(struct inode *ip, char *tmp, int *err);
uint32_t vfs_umask_get(void);

/* ---- file.c ---- */
/* Takes a reference unless the count is already 0 (the file is being
 * released); for lookups under rcu_read_lock that hold none yet. */
bool file_tryget(struct file *f);
/* A file for an inode the caller holds a reference to (taken over). */
int file_open_inode(struct inode *ip, int flags, struct file **out);

/* ---- fdtable.c, for /proc/<pid>/fd ---- */
/* The lowest open descriptor >= from, or -1. */
int fd_next_open(int from);
/* Under vfs_mutex: the inode of fd's file, valid while the mutex is held
 * (the file's last put needs it to drop the inode); NULL when fd is not
 * open (*open false) or its file is outside the tree. */
struct inode *fd_inode(int fd, bool *open);

/* ---- procfs.c: /proc, ramfs nodes whose contents are computed ---- */
int procfs_init(void);
/* Under vfs_mutex: the entry `name` of a procfs directory, made when
 * the pid, tid or fd it stands for exists; NULL if there is none. */
struct dentry *procfs_lookup(struct inode *dir, const char *name, size_t len);
/* Under vfs_mutex, outside any path walk (getdents): brings the entries
 * of a procfs directory up to date, freeing those of what is gone. */
void procfs_refresh(struct inode *dir);
/* Under vfs_mutex: whether the entry stands for something gone. */
bool procfs_gone(struct inode *dir, struct dentry *d);
/* Under vfs_mutex: where a procfs link leads; -ENXIO with *outside_fd
 * set (if not NULL) for a descriptor whose file is outside the tree. */
int procfs_follow(struct inode *link, struct inode **out, int *outside_fd);
/* readlink(2) of a procfs link, without vfs_mutex. */
int procfs_readlink(const struct proc_entry *e, int arg, char *buf,
		    size_t size);
/* open(2) through /proc/<pid>/fd/N of a file outside the tree: that file
 * again, if it allows the access asked for. */
int procfs_reopen(int fd, int flags, struct file **out);
/* Opens a procfs file (taking over the inode reference): its contents
 * are computed now, and again by a read at offset 0 after the first. */
int procfs_open(struct inode *ip, int flags, struct file **out);

/* ---- devfs.c ---- */
int devfs_init(void);
/* The operations of the device with this st_rdev, or NULL. */
const struct file_ops *devfs_find(uint64_t rdev);
const struct file_ops *devfs_find_block(uint64_t rdev);

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

#endif
