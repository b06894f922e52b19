/*
 * The virtual file system: one in-memory root file system (ramfs) with
 * character devices under /dev, open files, and the file-descriptor table
 * of the one process. Linux semantics and Linux's numbers (flags, mode
 * bits, errno values) are the specification; functions return 0 or a
 * count, or a negative errno.
 *
 * Pointers passed in (paths, buffers, stat structures) are kernel-readable
 * memory: the system-call layer copies or checks application memory first.
 * Buffers given to read, write, getdents64 and readlink are written while
 * fs/ holds its locks, so a fault in them must not come back into fs/
 * (lock order below).
 *
 * Lock order: file position lock -> vfs_mutex (the namespace) -> an
 * inode's lock -> anything the page-fault path takes. The fd table's lock
 * is a leaf. So nothing may call into fs/ while holding the address-space
 * lock: mmap gathers file pages (vfs_file_page) before taking it.
 */
#ifndef FS_FS_H
#define FS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/sync/sync.h"

/* ---- Linux errno values beyond kernel/kernel.h's (same spelling as
 * linux/sys.h, so both can be included) ---- */
#define ENXIO 6
#define ENOTBLK 15
#define ESRCH 3
#define ECHILD 10
#define EACCES 13
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ETXTBSY 26
#define EFBIG 27
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define ENAMETOOLONG 36
#define ENOTEMPTY 39
#define ELOOP 40
#define EOVERFLOW 75
#define EOPNOTSUPP 95

/* ---- open flags (x86-64 values, octal as in Linux's headers) ---- */
#define O_ACCMODE 03
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DSYNC 010000
#define O_ASYNC 020000
#define O_DIRECT 040000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define O_SYNC 04010000
#define O_PATH 010000000
#define O_TMPFILE 020200000 /* includes O_DIRECTORY; not supported */

/* ---- mode bits ---- */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#define S_IXGRP 00010
#define S_IXUGO 00111
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)

/* ---- *at() flags and friends ---- */
#define AT_FDCWD (-100) /* the system-call layer passes dir = NULL */
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200 /* faccessat */
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4 /* not supported: -EINVAL */
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
#define PATH_MAX 4096 /* with the NUL */
#define NAME_MAX 255

/* d_type in struct linux_dirent64 */
#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

/* ---- terminal ioctls (asm-generic/ioctls.h) ---- */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define TIOCOUTQ 0x5411 /* SIOCOUTQ on sockets */
#define FIONREAD 0x541B /* SIOCINQ on sockets */
#define FIONBIO 0x5421
/* ptys and controlling terminals (fs/pty.c) */
#define TCSBRK 0x5409
#define TCXONC 0x540A
#define TCFLSH 0x540B
#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCNOTTY 0x5422
#define TCSBRKP 0x5425
#define TIOCGSID 0x5429
#define TIOCGPTN 0x80045430
#define TIOCSPTLCK 0x40045431
#define TIOCGPTLCK 0x80045439
#define TIOCGPTPEER 0x5441
/* sockets' interface ioctls (linux/sockios.h; net/ifioctl.c answers) */
#define SIOCGIFNAME 0x8910
#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCGIFADDR 0x8915
#define SIOCGIFBRDADDR 0x8919
#define SIOCGIFNETMASK 0x891b
#define SIOCGIFMTU 0x8921
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
/* block devices (linux/fs.h; block/blkdev_file.c answers) */
#define BLKROSET 0x125d
#define BLKROGET 0x125e
#define BLKRRPART 0x125f
#define BLKGETSIZE 0x1260
#define BLKFLSBUF 0x1261
#define BLKSSZGET 0x1268
#define BLKSECTGET 0x1267
#define BLKBSZGET 0x80081270
#define BLKGETSIZE64 0x80081272
#define BLKDISCARD 0x1277
#define BLKIOMIN 0x1278
#define BLKIOOPT 0x1279
#define BLKALIGNOFF 0x127a
#define BLKPBSZGET 0x127b
#define BLKDISCARDZEROES 0x127c
#define BLKZEROOUT 0x127f

/* Device numbers as user space sees them in st_rdev (glibc's makedev). */
static inline uint64_t fs_makedev(uint32_t major, uint32_t minor)
{
	return ((uint64_t)(major & 0xfffff000) << 32) |
	       ((uint64_t)(major & 0xfff) << 8) |
	       ((uint64_t)(minor & 0xffffff00) << 12) | (minor & 0xff);
}

struct timespec_k {
	int64_t sec, nsec;
};

/* What stat reports; the system-call layer converts it to struct stat. */
struct kstat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid;
	uint64_t rdev;
	int64_t size, blksize, blocks; /* blocks of 512 bytes */
	struct timespec_k atime, mtime, ctime;
};

/* The layout getdents64 writes (Linux: struct linux_dirent64). */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off; /* the position after this entry (a cookie) */
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
} __attribute__((packed));

struct inode; /* a ramfs node (file, directory, symlink, device node) */
struct file;
struct poll_table; /* readiness: fs/poll.h */
struct epitem;

/*
 * What an open file does. Regular files, directories and devices get
 * theirs from fs/; other subsystems (pipes, sockets, eventfd) make files
 * with their own through file_alloc. A NULL hook means: read/write -EINVAL,
 * llseek -ESPIPE, ioctl -ENOTTY, stat a zeroed kstat but for the mode.
 * *pos is the file's position (or a pread/pwrite offset); hooks that have
 * no position ignore it.
 */
struct file_ops {
	int64_t (*read)(struct file *f, void *buf, size_t n, int64_t *pos);
	int64_t (*write)(struct file *f, const void *buf, size_t n,
			 int64_t *pos);
	/* The new position for (off, whence), or -errno; pos_lock held. */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	int (*ioctl)(struct file *f, unsigned long cmd, void *arg);
	int (*stat)(struct file *f, struct kstat *st);
	void (*release)(struct file *f); /* the last reference went */
	/* Optional, for character devices: called when the device node is
	 * opened (f->inode set, f->priv NULL) with open's flags; an error
	 * fails the open (release then sees f->priv NULL). */
	int (*open)(struct file *f, int flags);
	/* Readiness now (POLLIN, POLLOUT, ... of fs/poll.h), registering on
	 * the file's wait queues with poll_wait(). NULL: always readable and
	 * writable, and epoll refuses the file (-EPERM, as Linux). */
	unsigned (*poll)(struct file *f, struct poll_table *pt);
	/* fsync(2)/fdatasync(2): write back the file's data (and with
	 * !datasync its attributes). NULL: nothing to write back (0). */
	int (*fsync)(struct file *f, bool datasync);
	/* Files outside the tree that are not pipes or sockets: the name
	 * /proc/<pid>/fd shows, as Linux's anon_inode:[eventfd]. */
	const char *anon_name;
};

/* One sequential reader's readahead (fs/pagecache.c): the page it
 * reads next if it goes on in order, and the window of pages the next
 * miss reads at once (0: not known to be sequential). */
struct pcache_ra {
	uint64_t next;
	uint32_t pages;
};

struct file {
	/* set when opened, then read-only */
	const struct file_ops *ops;
	struct inode *inode; /* NULL for files outside the tree */
	void *priv;	     /* the ops' own */
	uint32_t mode;	     /* S_IF* type (+0600) for files without inode */
	/* atomic */
	int refs;
	int flags; /* O_* as open left them; vfs_setfl changes some */
	/* under pos_lock */
	struct mutex pos_lock;
	int64_t pos;
	struct pcache_ra ra; /* read()'s readahead, for page-cached files */
	/* the epoll registrations watching this file; under fs/epoll.c's
	 * epoll_mutex (NULL: none) */
	struct epitem *epitems;
	/* O_ASYNC's owner and registration (fs/fasync.c; NULL: none) */
	struct fasync *fasync;
	/* the memory is freed a grace period after the last put: fd_get
	 * may still be looking at refs */
	struct rcu_head rcu;
};

/* ---- open files ---- */
/* A file with one reference, outside the tree; NULL when out of memory. */
struct file *file_alloc(const struct file_ops *ops, void *priv, int flags,
			uint32_t mode);
void file_get(struct file *f);
/* Drops a reference; the last one releases the file (and its inode) at
 * once and frees its memory after an RCU grace period. */
void file_put(struct file *f);

/*
 * Opens `path` relative to `dir` (NULL: the working directory) with
 * Linux's open(2) semantics; *out gets a file with one reference. O_PATH
 * gives a file usable only as a directory for *at(), fstat and fchdir;
 * O_TMPFILE is -EOPNOTSUPP. FIFOs, sockets and unknown devices: -ENXIO.
 */
int vfs_openat(struct file *dir, const char *path, int flags, uint32_t mode,
	       struct file **out);
int64_t vfs_read(struct file *f, void *buf, size_t n);
/*
 * The position lock (Linux's f_pos_lock), for a read or write that the
 * caller makes of several steps (a bounce buffer): hold it over the whole
 * call so that another thread's read or write of the same file cannot
 * come between the steps (POSIX: read and write are atomic with respect
 * to the file offset). vfs_pos_lock returns whether it took it (files
 * without a position take none); vfs_*_locked then read or write at the
 * position, as vfs_read and vfs_write do with the lock taken inside.
 */
bool vfs_pos_lock(struct file *f);
void vfs_pos_unlock(struct file *f, bool locked);
int64_t vfs_read_locked(struct file *f, void *buf, size_t n);
int64_t vfs_write_locked(struct file *f, const void *buf, size_t n);
int64_t vfs_pread(struct file *f, void *buf, size_t n, int64_t off);
int64_t vfs_write(struct file *f, const void *buf, size_t n);
/* As Linux: with O_APPEND it appends whatever `off` says. */
int64_t vfs_pwrite(struct file *f, const void *buf, size_t n, int64_t off);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
int vfs_fstat(struct file *f, struct kstat *st);
/* at_flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH (path "" = dir itself). */
int vfs_statat(struct file *dir, const char *path, struct kstat *st,
	       int at_flags);
/* statfs(2) and fstatfs(2) (fs/statfs.c): the file system holding the
 * file (a device node's is the one the node is on, as Linux). */
struct kstatfs;
int vfs_statfs(struct file *dir, const char *path, struct kstatfs *st);
int vfs_fstatfs(struct file *f, struct kstatfs *st);
/* linux_dirent64 records with "." and ".." first; bytes written, 0 at the
 * end, -EINVAL when not even one record fits. */
int vfs_getdents64(struct file *dir, void *buf, size_t size);
/* F_SETFL: changes O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME. */
int vfs_setfl(struct file *f, int flags);
/* F_GETFL: the status flags and access mode (O_LARGEFILE always set). */
int vfs_getfl(struct file *f);

/* ---- the namespace ---- */
int vfs_mkdirat(struct file *dir, const char *path, uint32_t mode);
/* mknod(2): S_IFREG/0, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK; dev as in
 * st_rdev (fs_makedev). Character nodes of known devices work. */
int vfs_mknodat(struct file *dir, const char *path, uint32_t mode,
		uint64_t dev);
/* at_flags: 0 (unlink) or AT_REMOVEDIR (rmdir). */
int vfs_unlinkat(struct file *dir, const char *path, int at_flags);
/* renameat2(2); flags RENAME_NOREPLACE, RENAME_EXCHANGE. */
int vfs_renameat(struct file *olddir, const char *oldpath, struct file *newdir,
		 const char *newpath, unsigned flags);
int vfs_symlinkat(const char *target, struct file *dir, const char *linkpath);
/* at_flags: AT_SYMLINK_FOLLOW, AT_EMPTY_PATH. Directories: -EPERM. */
int vfs_linkat(struct file *olddir, const char *oldpath, struct file *newdir,
	       const char *newpath, int at_flags);
/* The target's length (no NUL written, cut to size); -EINVAL if not a
 * symlink or size is 0. */
int vfs_readlinkat(struct file *dir, const char *path, char *buf, size_t size);
/* truncate(2) (relative to the working directory) and ftruncate(2):
 * growing makes a hole that reads as zeros; shrinking frees pages. */
int vfs_truncate(const char *path, int64_t len);
int vfs_ftruncate(struct file *f, int64_t len);
/* fallocate(2) FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE (fs/attr.c). */
int vfs_punch_hole(struct file *f, int64_t off, int64_t len);
int vfs_fchmod(struct file *f, uint32_t mode);
/* at_flags: AT_SYMLINK_NOFOLLOW (-EOPNOTSUPP on a symlink, as Linux). */
int vfs_chmodat(struct file *dir, const char *path, uint32_t mode,
		int at_flags);
/* uid/gid (uint32_t)-1: unchanged. Clears set-id bits of non-directories. */
int vfs_fchown(struct file *f, uint32_t uid, uint32_t gid);
int vfs_chownat(struct file *dir, const char *path, uint32_t uid, uint32_t gid,
		int at_flags);
/* times NULL: both now; nsec UTIME_NOW / UTIME_OMIT; path NULL: dir
 * itself (futimens). at_flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
int vfs_utimensat(struct file *dir, const char *path,
		  const struct timespec_k times[2], int at_flags);
/* We are root: everything is allowed but X_OK on a non-directory that
 * has no execute bit (-EACCES). */
int vfs_faccessat(struct file *dir, const char *path, int mode, int at_flags);
/* The file's fsync hook (none: 0); -EINVAL for files outside the tree
 * without one (pipes, sockets), as Linux. */
int vfs_fsync(struct file *f);
/* syncfs(2): the file system holding f writes back what is dirty. */
int vfs_syncfs(struct file *f);
/* sync(2), and the VM's end: every mounted file system does (fs/pagecache.c). */
int vfs_sync_all(void);
int vfs_fdatasync(struct file *f); /* the same, datasync */

/* ---- extended attributes (fs/xattr.c; man 7 xattr) ---- */
#define ENODATA 61
#define XATTR_CREATE 1
#define XATTR_REPLACE 2
#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536
#define XATTR_LIST_MAX 65536
/*
 * getxattr/setxattr/listxattr/removexattr on what (dir, path, at_flags)
 * names, as vfs_chmodat: at_flags AT_SYMLINK_NOFOLLOW for the l* calls;
 * path NULL means the open file dir itself (the f* calls). get and list
 * with size 0 return the size needed; a buffer too small is -ERANGE.
 */
int64_t vfs_getxattr(struct file *dir, const char *path, int at_flags,
		     const char *name, void *buf, size_t size);
int vfs_setxattr(struct file *dir, const char *path, int at_flags,
		 const char *name, const void *val, size_t size, int flags);
int64_t vfs_listxattr(struct file *dir, const char *path, int at_flags,
		      char *buf, size_t size);
int vfs_removexattr(struct file *dir, const char *path, int at_flags,
		    const char *name);

/* ---- memfd_create and file seals (fs/memfd.c) ---- */
#define F_SEAL_SEAL 0x01
#define F_SEAL_SHRINK 0x02
#define F_SEAL_GROW 0x04
#define F_SEAL_WRITE 0x08
#define F_SEAL_FUTURE_WRITE 0x10
#define F_SEAL_EXEC 0x20
#define F_SEAL_ALL 0x3f
/* memfd_create(2) after the name is copied in: *out gets the file
 * (O_RDWR); MFD_CLOEXEC is the caller's to apply. */
int vfs_memfd_create(const char *name, unsigned flags, struct file **out);
/* F_GET_SEALS and F_ADD_SEALS: -EINVAL for a file that is not a memfd. */
int vfs_get_seals(struct file *f);
int vfs_add_seals(struct file *f, unsigned seals);
/* The seals of f (0 for any other file), for mmap's checks. */
unsigned vfs_file_seals(struct file *f);

/* ---- inotify (fs/inotify.c; man 7 inotify) ---- */
#define IN_ACCESS 0x1
#define IN_MODIFY 0x2
#define IN_ATTRIB 0x4
#define IN_CLOSE_WRITE 0x8
#define IN_CLOSE_NOWRITE 0x10
#define IN_OPEN 0x20
#define IN_MOVED_FROM 0x40
#define IN_MOVED_TO 0x80
#define IN_CREATE 0x100
#define IN_DELETE 0x200
#define IN_DELETE_SELF 0x400
#define IN_MOVE_SELF 0x800
#define IN_ALL_EVENTS 0xfff
#define IN_UNMOUNT 0x2000
#define IN_Q_OVERFLOW 0x4000
#define IN_IGNORED 0x8000
#define IN_ONLYDIR 0x01000000
#define IN_DONT_FOLLOW 0x02000000
#define IN_EXCL_UNLINK 0x04000000
#define IN_MASK_CREATE 0x10000000
#define IN_MASK_ADD 0x20000000
#define IN_ISDIR 0x40000000
#define IN_ONESHOT 0x80000000
/* inotify_init1 after its flag check: O_NONBLOCK may be in flags;
 * -EMFILE past 128 instances. */
int inotify_create(int flags, struct file **out);
/* inotify_add_watch on path (relative to the working directory): the
 * watch descriptor; -EINVAL if f is not an inotify instance, -ENOTDIR
 * (IN_ONLYDIR), -EEXIST (IN_MASK_CREATE), -ENOSPC, lookup errors. */
int inotify_add(struct file *f, const char *path, uint32_t mask);
/* inotify_rm_watch: 0, or -EINVAL for an unknown wd or a file that is
 * not an instance. */
int inotify_rm(struct file *f, int wd);

/* ---- sockets bound to a path (AF_UNIX; net/unix.c) ---- */
/*
 * bind(2) to a path: makes an S_IFSOCK node (mode less the umask) that
 * stands for `sock`; -EEXIST when the name exists. *node gets a handle
 * that keeps the inode, even unlinked, until vfs_unbind_socket, which
 * detaches the socket (the node stays, as Linux's, and refuses connects).
 */
int vfs_bind_socket(struct file *dir, const char *path, uint32_t mode,
		    void *sock, void **node);
void vfs_unbind_socket(void *node);
/*
 * connect(2) or sendto(2) to a path (a final symlink followed): passes
 * the socket bound there to `get` under the namespace lock, where it
 * cannot be unbound; get may refuse it (false: a socket being closed).
 * 0 with *sock set; -ECONNREFUSED for a node with no (live) socket or
 * that is not a socket; the lookup's errors (-ENOENT, ...).
 */
int vfs_lookup_socket(struct file *dir, const char *path,
		      bool (*get)(void *sock), void **sock);

/* ---- the process's directories ---- */
int vfs_chdir(const char *path);
int vfs_fchdir(struct file *f);
int vfs_chroot(const char *path, bool allowed);
/* As the system call: the length with the NUL; -ERANGE if size is too
 * small; -ENOENT when the working directory was removed. */
int vfs_getcwd(char *buf, size_t size);
uint32_t vfs_umask(uint32_t mask); /* sets, returns the old one */
uint32_t vfs_umask_get(void);
int vfs_umask_of(int pid); /* process pid's, or -ENOENT (/proc) */

/* ---- ioctl ---- */
/*
 * Runs `cmd` on the file: the file type's hook, then the generic FIONBIO
 * and FIONREAD; -ENOTTY otherwise. `arg` points to kernel memory holding
 * what the command reads or writes: vfs_ioctl_arg_size says how much,
 * so the system-call layer copies it in and out.
 */
int vfs_ioctl(struct file *f, unsigned long cmd, void *arg);
/* The bytes `cmd`'s argument points to (copied in and back out); 0 when
 * the argument is not a pointer or the command is unknown. */
size_t vfs_ioctl_arg_size(unsigned long cmd);

/* ---- file data, for the loader and mmap ---- */
/* The size of a regular file; -EINVAL for anything else. */
int64_t vfs_file_size(struct file *f);
/*
 * The page cache's frame holding bytes [index * 4096, +4096) of a
 * regular file, made (zeroed, or read from the disk) if missing, with a
 * reference for the caller (pmm_frame_put drops it); 0 past the end of
 * the file, out of memory, on a read error, or not a regular file.
 */
uint64_t vfs_file_page_get(struct file *f, uint64_t index, bool shared);
/* `shared`: for a MAP_SHARED mapping, which on a file open for writing
 * may write the page: the file system counts it dirty. */
/* While pinned (a counter: file mappings), truncation zeroes ramfs's
 * pages instead of freeing them, so that a shared mapping and the file
 * keep showing the same frame when the file grows again. The last unpin
 * writes a disk file's dirty pages back. */
int vfs_file_pin(struct file *f);
void vfs_file_unpin(struct file *f);

/* ---- the file-descriptor table (one process) ---- */
/*
 * Puts f at the lowest free descriptor >= min_fd, taking over the
 * caller's reference on success. -EMFILE when none is free below the
 * limit, -EINVAL when min_fd is not below it (as F_DUPFD).
 */
/* Descriptor tables of several processes (the caller's is thread->files;
 * NULL: the first process's): a copy sharing the open files (fork; NULL
 * without memory), references, and execve's closing of the close-on-exec
 * ones. */
struct fd_table;
struct fd_table *fd_table_fork(void);
void fd_table_get(struct fd_table *t);
void fd_table_put(struct fd_table *t);
void fd_close_on_exec(void);
int fd_install(struct file *f, int min_fd, bool cloexec);
struct file *fd_get(int fd); /* with a reference; NULL if not open */
int fd_close(int fd);	     /* 0 or -EBADF */
/* dup2/dup3: newfd refers to oldfd's file (closing what it was); returns
 * newfd, or -EBADF (bad oldfd, newfd outside [0, limit)). oldfd == newfd
 * returns newfd without change (dup3 must refuse that itself). */
int fd_dup2(int oldfd, int newfd, bool cloexec);
int fd_set_cloexec(int fd, bool on);
int fd_get_cloexec(int fd); /* 1, 0, or -EBADF */
/* RLIMIT_NOFILE (default 1024, at most 1 << 20); lowering it closes
 * nothing, as Linux. */
int fd_set_limit(uint64_t limit);
unsigned fd_get_limit(void);

/* ---- pipes and epoll, for the VFS and fcntl (the rest: fs/poll.h) ---- */
/* Opens a FIFO (S_IFIFO inode) as Linux's fifo_open: taking over the
 * caller's inode reference; blocks for the other end unless O_NONBLOCK
 * or O_RDWR; -ENXIO for O_WRONLY|O_NONBLOCK without a reader. */
int pipe_fifo_open(struct inode *ip, int flags, struct file **out);
/* F_GETPIPE_SZ and F_SETPIPE_SZ: the size in bytes; -EBADF if f is not a
 * pipe, -EINVAL above 2^31, -EBUSY if the data would not fit. */
long pipe_get_size(struct file *f);
long pipe_set_size(struct file *f, unsigned long size);
/*
 * splice, tee and vmsplice (fs/pipe.c). pipe_splice_read is read(2) on
 * a pipe, nonblocking if asked; pipe_splice_write puts in what fits of
 * buf, waiting (unless nonblock) only while the pipe is full; -EPIPE
 * (and SIGPIPE) without readers. pipe_splice_pipes moves (tee: copies)
 * up to n bytes between two different pipes, waiting for data and room.
 * Only `nonblock` says not to wait: the caller decides whether the pipe
 * files' O_NONBLOCK counts (it does for splice and tee, not vmsplice).
 */
bool file_is_pipe(struct file *f);
int64_t pipe_splice_read(struct file *f, void *buf, size_t n, bool nonblock);
int64_t pipe_splice_write(struct file *f, const void *buf, size_t n,
			  bool nonblock);
int64_t pipe_splice_pipes(struct file *in, struct file *out, size_t n,
			  bool nonblock, bool tee);
/*
 * splice with a socket or terminal at the other end (fs/pipe.c): under
 * the pipe's lock, fill is given room for at most n bytes (what the pipe
 * takes now) in buf and returns what it put there; drain is given the
 * first bytes (at most n) and returns how many it consumed. Either
 * returns a negative errno to stop. The waits are as pipe_splice_write's
 * and pipe_splice_read's.
 */
typedef int64_t (*pipe_io_fn)(void *arg, void *buf, size_t n);
int64_t pipe_splice_fill(struct file *f, void *buf, size_t n, bool nonblock,
			 pipe_io_fn fill, void *arg);
int64_t pipe_splice_drain(struct file *f, void *buf, size_t n, bool nonblock,
			  pipe_io_fn drain, void *arg);
/* Drops f from every epoll set; a file's last put must call it before
 * release (pipes, eventfd, timerfd and epoll call it from theirs). */
void epoll_file_release(struct file *f);
/* The same for O_ASYNC's registration (fs/fasync.c). */
void fasync_release(struct file *f);
/* Whether O_ASYNC works on f (Linux: f_op->fasync; F_SETFL drops the
 * flag on other files): pipes, sockets and pollable devices. */
bool fasync_supported(struct file *f);

/* ---- random bytes (ChaCha20, seeded from RDSEED/RDRAND), for
 * /dev/urandom and getrandom ---- */
void devfs_random_bytes(void *buf, size_t n);
/* Mixes n bytes of entropy from a device (virtio-rng) into the pool. */
void devfs_random_seed(const void *buf, size_t n);
/* A character device of a driver, /dev/NAME (after init step 55);
 * -ENOMEM when the table is full. */
int devfs_add(const char *name, uint32_t major, uint32_t minor,
	      uint32_t mode, const struct file_ops *ops);
/* The same for a block device (block/: /dev/vda is 254:0). */
int devfs_add_block(const char *name, uint32_t major, uint32_t minor,
		    uint32_t mode, const struct file_ops *ops);

/* ---- terminals (fs/pty.c) ---- */
/* Provided by linux/: sends sig to the process, whose controlling
 * terminal raised it (an ISIG character, a window change), and the
 * process group a controlling terminal reports. */
void linux_tty_signal(int sig);
int linux_tty_pgrp(void);

/* ---- /proc: fs/procfs.c is the mechanism; who knows the facts registers
 * the files (fs/proc_sys.c the system, fs/proc_vfs.c the VFS's links
 * and mounts, linux/proc_pid.c the process, net/procnet.c /proc/net) ---- */
struct proc_buf; /* a file's text being made; what does not fit is counted */
void proc_printf(struct proc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void proc_write(struct proc_buf *b, const void *p, size_t n);
/* Application memory [addr, addr + n); nothing if it is not readable. */
void proc_user(struct proc_buf *b, uint64_t addr, size_t n);
/* Blanks until the text since offset `start` is `column` wide. */
void proc_pad(struct proc_buf *b, size_t start, size_t column);
size_t proc_len(const struct proc_buf *b);
/* The text of a maker that writes at most size bytes (with a NUL) and
 * returns the length, as snprintf, or -errno. */
int proc_text(struct proc_buf *b, int (*text)(char *buf, size_t size));

struct proc_entry {
	const char *name; /* NULL ends a table */
	uint32_t mode;	  /* S_IFREG | 0444, S_IFDIR | 0555, S_IFLNK | 0777 */
	/* files: what makes the text (0 or -errno), or a fixed text; arg
	 * is the number of the directory of numbers above (pid, tid, fd);
	 * pid (in next, follow, link, show_in) is that of the /proc/<pid>
	 * the entry is under (0: none) */
	int (*show)(struct proc_buf *b, int arg);
	/* or this, for a file below a /proc/<pid> that needs the pid too */
	int (*show_in)(struct proc_buf *b, int pid, int arg);
	const char *text;
	/* directories: their entries; for directories of numbers, the entry
	 * each number gets and the lowest existing number >= from (or -1) */
	const struct proc_entry *table;
	const struct proc_entry *numbered;
	int (*next)(int pid, int from);
	/* links: where they lead (under the VFS's lock) and what readlink
	 * says (its length, at most PATH_MAX bytes in buf; without it) */
	int (*follow)(int pid, int arg, struct inode **out);
	int (*link)(int pid, int arg, char *buf);
	/* this entry is `same` under another name (PSAME) */
	const struct proc_entry *same;
};
#define PFILE(n, fn) {.name = n, .mode = S_IFREG | 0444, .show = fn}
#define PTEXT(n, s) {.name = n, .mode = S_IFREG | 0444, .text = s}
#define PDIR(n, t) {.name = n, .mode = S_IFDIR | 0555, .table = t}
#define PLINK(n, f, l) {.name = n, .mode = S_IFLNK | 0777, .follow = f, .link = l}
#define PNUMBERED(n, e, fn)                                                    \
	{.name = n, .mode = S_IFDIR | 0555, .numbered = e, .next = fn}
#define PSAME(n, e) {.name = n, .same = e}

/* Adds a table (ended by a NULL name) to the directory dir (NULL: /proc
 * itself). At boot (an init step), before anything reads /proc; -ENOMEM
 * when the registry is full. */
int procfs_register(const struct proc_entry *dir,
		    const struct proc_entry *table);
/* The directories /proc/<pid>: `each` for the numbers next() gives. */
void procfs_set_pids(const struct proc_entry *each,
		     int (*next)(int pid, int from));
/* Directories others add to, and the entries of /proc/<pid> that show
 * the VFS's state (fs/proc_vfs.c). */
extern const struct proc_entry procfs_net, procfs_sys_kernel;
extern const struct proc_entry procfs_self, procfs_cwd, procfs_exe;
extern const struct proc_entry procfs_root, procfs_fd, procfs_mounts;
extern const struct proc_entry procfs_mountinfo, procfs_fdinfo;
/* Provided by linux/: the process's pid (0 before it starts). */
int linux_pid(void);
/* Provided by linux/: fn(process pid's descriptor table, arg) while the
 * table cannot go (under a lock: fn may take only the table's own lock
 * and vfs_mutex must already be held if it is wanted); fn's result, or
 * -ENOENT when pid is no live process. The first process's table is
 * NULL. */
struct fd_table;
int linux_with_files(int pid, int (*fn)(struct fd_table *t, void *arg),
		     void *arg);
/* execve: the caller's /proc/self/exe becomes the file at path (from
 * dir; NULL: the working directory); nothing changes if it is gone. */
void vfs_exe_set(struct file *dir, const char *path);
/* Pages of file data held in memory (ramfs), for memory statistics. */
uint64_t vfs_file_pages(void);
/* Pages the application uses, estimated: what is allocated less the
 * kernel heap and file data (pages are not accounted to their users;
 * /proc/meminfo's and /proc/<pid>'s, proc_sys.c). */
uint64_t proc_app_pages(void);

/* ---- setup ---- */
/* Init step 55: the root ramfs with /dev (devices), /dev/shm, /tmp
 * (1777) and /proc (empty); the working directory is /. */
int fs_init(void);
/*
 * Unpacks cpio newc archives into /, as Linux's initramfs: directories,
 * files, symlinks, device nodes, hard links (same ino, nlink > 1), modes,
 * owners, mtimes; missing parent directories are made. Leading "/" and
 * "./" are stripped; names with ".." are refused. 0, or -EINVAL (or
 * -ENOMEM) after a message naming the entry.
 */
int fs_unpack_initrd(const void *buf, size_t len);
/* The same, handing the archive's bytes to `release` as they are
 * unpacked, the whole of it by the end (error or not). */
int fs_unpack_initrd_freeing(const void *buf, size_t len,
			     void (*release)(const void *start, const void *end));

/* ext4 (fs/ext4_vfs.c): mounts the file system on disk `disk` ("vda")
 * at path (absolute; missing directories are made). 0 or -errno: -ENODEV
 * no such disk; the library's errors for a disk it refuses, its message
 * printed once. */
int ext4_vfs_mount(const char *disk, const char *path, bool rdonly);

/* mount(2) and umount2(2) (fs/mount.c; linux/sys_mount.c copies the
 * arguments and sorts the flags). vfs_mount_new mounts a new instance of
 * `type` ("ext4" on a block device node, "9p" by tag, "tmpfs"/"ramfs")
 * on the existing directory target; data is the options string ("" for
 * none). vfs_remount changes the read-only flag of the mount whose root
 * target names. vfs_umount: flags are umount2's (MNT_DETACH of a busy
 * mount takes it out of the tree and leaves its superblock to the
 * inodes still held). 0 or -errno as Linux. */
int vfs_mount_new(const char *source, const char *target, const char *type,
		  bool rdonly, const char *data);
int vfs_remount(const char *target, bool rdonly);
/* 0 when target names a mount's root, else -EINVAL (or the walk's). */
int vfs_mount_check(const char *target);
#define FS_MNT_FORCE 1
#define FS_MNT_DETACH 2
#define FS_UMOUNT_NOFOLLOW 8
int vfs_umount(const char *target, int flags);

#endif
