/*
 * File system calls: thin translations from Linux arguments (application
 * pointers, fd numbers) to the VFS (fs/fs.h). Paths are copied in first,
 * so a bad pointer is -EFAULT and a long path -ENAMETOOLONG before the VFS
 * sees anything. Every function keeps one exit path that drops its file
 * references.
 */
#include "fs/fs.h"
#include "fs/poll.h"
#include "kernel/mm/mm.h"
#include "linux/sys.h"

#define PATH_MAX 4096
#define IOV_MAX 1024
#define BOUNCE 4096 /* bytes copied through the kernel per step */
#define COPY_CHUNK (64u * 1024) /* ... when the file takes big steps */
#define BLK_BOUNCE (1 << 20) /* ... for large I/O on a block device */

/* "Why doesn't my program run": files it looked for and did not find. */
static void note_missing_file(const char *path)
{
	char what[160];

	snprintf(what, sizeof(what), "file %s", path);
	linux_missing(what);
}


/* ---- reading and writing through a bounce buffer ---- */
/* Files whose reads return what is there now (pipes, devices): one read
 * must not wait for more once it has something. */
static bool vfs_seekable(const struct file *f)
{
	return f->ops->llseek != NULL && (f->mode & 0170000) != 0010000;
}

static long rw(struct file *f, long ubuf, size_t n, int64_t off, bool write)
{
	char small[256];
	/* Block devices take a request per step: big steps for big I/O;
	 * regular files one file-system call per COPY_CHUNK. */
	uint32_t type = f->mode & 0170000;
	size_t step = n < 65536		 ? BOUNCE
		      : type == 0060000 ? BLK_BOUNCE
		      : type == 0100000 ? COPY_CHUNK
					 : BOUNCE;
	char *tmp = n <= sizeof(small) ? small : malloc(step);
	size_t done = 0;
	long r = 0;
	bool locked;

	if (!tmp)
		return -ENOMEM;
	/* One read or write at the position, whatever its steps. */
	locked = off < 0 && vfs_pos_lock(f);
	while (done < n) {
		size_t k = MIN(tmp == small ? sizeof(small) : step,
			       n - done);

		if (write && copy_from_user(tmp, ubuf + done, k)) {
			r = -EFAULT;
			break;
		}
		if (write)
			r = off < 0 ? vfs_write_locked(f, tmp, k)
				    : vfs_pwrite(f, tmp, k, off + done);
		else
			r = off < 0 ? vfs_read_locked(f, tmp, k)
				    : vfs_pread(f, tmp, k, off + done);
		if (r <= 0)
			break;
		if (!write && copy_to_user(ubuf + done, tmp, (size_t)r)) {
			r = -EFAULT;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < k)
			break; /* short: end of file, a pipe, the console */
		/* A pipe or device: go on only while more is there now. */
		if (!write && !vfs_seekable(f) && !(vfs_poll(f, NULL) & POLLIN))
			break;
	}
	vfs_pos_unlock(f, locked);
	if (tmp != small)
		free(tmp);
	return done ? (long)done : r;
}

static long fd_rw(long fd, long buf, long count, int64_t off, bool write)
{
	struct file *f = fd_get((int)fd);
	long r;

	if (!f)
		return -EBADF;
	if (count < 0)
		r = -EINVAL;
	else if (!user_range_ok(buf, count) ||
		 (count && !as_accessible(buf, count, write ? PROT_READ : PROT_WRITE)))
		r = -EFAULT; /* before any I/O: the file position stays */
	else if (off < 0 && sock_file(f))
		r = sock_file_rw(f, buf, (size_t)count, write); /* sys_net.c */
	else
		r = rw(f, buf, (size_t)count, off, write);
	file_put(f);
	return r;
}

long sys_read(long fd, long buf, long count, long d, long e, long f)
{
	return fd_rw(fd, buf, count, -1, false);
}

long sys_write(long fd, long buf, long count, long d, long e, long f)
{
	return fd_rw(fd, buf, count, -1, true);
}

long sys_pread64(long fd, long buf, long count, long off, long e, long f)
{
	return off < 0 ? -EINVAL : fd_rw(fd, buf, count, off, false);
}

long sys_pwrite64(long fd, long buf, long count, long off, long e, long f)
{
	return off < 0 ? -EINVAL : fd_rw(fd, buf, count, off, true);
}

struct iovec_user {
	uint64_t base, len;
};

static long vec_rw(long fd, long uiov, long iovcnt, int64_t off, bool write)
{
	struct iovec_user iov;
	long total = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if (off < 0 && (total = sock_fd_rwv(fd, uiov, iovcnt, write)) !=
			   -ENOTSOCK)
		return total; /* a socket: one message (sys_net.c) */
	total = 0;
	for (long i = 0; i < iovcnt; i++) {
		if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov)))
			return total ? total : -EFAULT;
		if ((int64_t)iov.len < 0)
			return -EINVAL;
		if (!iov.len)
			continue;
		long r = fd_rw(fd, iov.base, iov.len,
			       off < 0 ? -1 : off + total, write);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((uint64_t)r < iov.len)
			break;
	}
	return total;
}

long sys_readv(long fd, long iov, long n, long d, long e, long f)
{
	return vec_rw(fd, iov, n, -1, false);
}

long sys_writev(long fd, long iov, long n, long d, long e, long f)
{
	return vec_rw(fd, iov, n, -1, true);
}

long sys_preadv(long fd, long iov, long n, long off, long e, long f)
{
	return off < 0 ? -EINVAL : vec_rw(fd, iov, n, off, false);
}

long sys_pwritev(long fd, long iov, long n, long off, long e, long f)
{
	return off < 0 ? -EINVAL : vec_rw(fd, iov, n, off, true);
}

/* ---- opening and closing ---- */
long sys_openat(long dirfd, long upath, long flags, long mode, long e, long f)
{
	struct at_path p;
	struct file *file;
	long r = at_get(dirfd, upath, &p);

	if (r)
		return r;
	r = vfs_openat(p.dir, p.path, (int)flags, (uint32_t)mode, &file);
	if (r == -ENOENT)
		note_missing_file(p.path);
	if (!r) {
		r = fd_install(file, 0, flags & O_CLOEXEC); /* takes our ref */
		if (r < 0)
			file_put(file);
	}
	at_put(&p);
	return r;
}

long sys_open(long upath, long flags, long mode, long d, long e, long f)
{
	return sys_openat(AT_FDCWD, upath, flags, mode, 0, 0);
}

long sys_creat(long upath, long mode, long c, long d, long e, long f)
{
	return sys_openat(AT_FDCWD, upath, O_CREAT | O_WRONLY | O_TRUNC, mode,
			  0, 0);
}

long sys_close(long fd, long b, long c, long d, long e, long f)
{
	return fd_close((int)fd);
}

long sys_lseek(long fd, long off, long whence, long d, long e, long f)
{
	struct file *file = fd_get((int)fd);

	if (!file)
		return -EBADF;
	long r = vfs_lseek(file, off, (int)whence);
	file_put(file);
	return r;
}

/* ---- stat ---- */
struct stat_user {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	int64_t unused[3];
};

static int stat_out(long ubuf, const struct kstat *k)
{
	struct stat_user s = {
		.dev = k->dev, .ino = k->ino, .nlink = k->nlink,
		.mode = k->mode, .uid = k->uid, .gid = k->gid,
		.rdev = k->rdev, .size = k->size, .blksize = k->blksize,
		.blocks = k->blocks,
		.atime = k->atime.sec, .atime_ns = k->atime.nsec,
		.mtime = k->mtime.sec, .mtime_ns = k->mtime.nsec,
		.ctime = k->ctime.sec, .ctime_ns = k->ctime.nsec,
	};

	return copy_to_user(ubuf, &s, sizeof(s));
}

long sys_fstat(long fd, long ubuf, long c, long d, long e, long f)
{
	struct file *file = fd_get((int)fd);
	struct kstat k;
	long r;

	if (!file)
		return -EBADF;
	r = vfs_fstat(file, &k);
	if (!r)
		r = stat_out(ubuf, &k);
	file_put(file);
	return r;
}

long sys_newfstatat(long dirfd, long upath, long ubuf, long flags, long e,
		    long f)
{
	struct at_path p;
	struct kstat k;
	long r = at_get(dirfd, upath, &p);

	if (r)
		return r;
	if (!p.path[0] && (flags & AT_EMPTY_PATH)) {
		r = p.dir ? vfs_fstat(p.dir, &k) : vfs_statat(NULL, ".", &k, 0);
	} else {
		r = vfs_statat(p.dir, p.path, &k, (int)flags);
		if (r == -ENOENT)
			note_missing_file(p.path);
	}
	if (!r)
		r = stat_out(ubuf, &k);
	at_put(&p);
	return r;
}

long sys_stat(long upath, long ubuf, long c, long d, long e, long f)
{
	return sys_newfstatat(AT_FDCWD, upath, ubuf, 0, 0, 0);
}

long sys_lstat(long upath, long ubuf, long c, long d, long e, long f)
{
	return sys_newfstatat(AT_FDCWD, upath, ubuf, AT_SYMLINK_NOFOLLOW, 0, 0);
}

/* ---- descriptors ---- */
long sys_dup(long fd, long b, long c, long d, long e, long f)
{
	struct file *file = fd_get((int)fd);

	if (!file)
		return -EBADF;
	long r = fd_install(file, 0, false); /* takes our reference */
	if (r < 0)
		file_put(file);
	return r;
}

long sys_dup3(long oldfd, long newfd, long flags, long d, long e, long f)
{
	if (oldfd == newfd || (flags & ~O_CLOEXEC))
		return -EINVAL;
	return fd_dup2((int)oldfd, (int)newfd, flags & O_CLOEXEC);
}

long sys_dup2(long oldfd, long newfd, long c, long d, long e, long f)
{
	if (oldfd == newfd) {
		struct file *file = fd_get((int)oldfd);

		if (!file)
			return -EBADF;
		file_put(file);
		return newfd;
	}
	return fd_dup2((int)oldfd, (int)newfd, false);
}

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define F_UNLCK 2
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#define F_NOTIFY 1026
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define FD_CLOEXEC 1

/* F_GETLK: nobody else can hold a lock, so the answer is "unlocked". */
static long getlk_unlocked(long uflock)
{
	int16_t type = F_UNLCK;

	return copy_to_user(uflock, &type, sizeof(type)); /* l_type first */
}

long sys_fcntl(long fd, long cmd, long arg, long d, long e, long f)
{
	struct file *file = fd_get((int)fd);
	long r;

	if (!file)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg < 0) {
			r = -EINVAL;
			break;
		}
		file_get(file); /* for fd_install to take over */
		r = fd_install(file, (int)arg, cmd == F_DUPFD_CLOEXEC);
		if (r < 0)
			file_put(file);
		break;
	case F_GETFD:
		r = fd_get_cloexec((int)fd) ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		r = fd_set_cloexec((int)fd, arg & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = vfs_getfl(file);
		break;
	case F_SETPIPE_SZ:
		r = pipe_set_size(file, (unsigned long)arg);
		break;
	case F_GETPIPE_SZ:
		r = pipe_get_size(file);
		break;
	case F_NOTIFY:
		/* Linux without dnotify answers EINVAL (inotify is the way) */
		linux_missing("fcntl F_NOTIFY (dnotify)");
		r = -EINVAL;
		break;
	case F_ADD_SEALS:
		r = vfs_add_seals(file, (unsigned)arg);
		break;
	case F_GET_SEALS:
		r = vfs_get_seals(file);
		break;
	case F_GETLK:
	case F_OFD_GETLK:
		r = getlk_unlocked(arg);
		break;
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		/* POSIX record locks never conflict within one process, and
		 * there is one process. (OFD locks could conflict between two
		 * opens of the same file; not modelled yet.) */
		r = 0;
		break;
	case F_SETFL:
		r = vfs_setfl(file, (int)arg);
		if (!r)
			r = fasync_update(file, (int)fd);
		break;
	case F_SETOWN:
	case F_GETOWN:
	case F_SETSIG:
	case F_GETSIG:
	case F_SETOWN_EX:
	case F_GETOWN_EX:
		r = fcntl_sigio(file, cmd, arg);
		break;
	default: {
		char what[40];

		snprintf(what, sizeof(what), "fcntl command %ld", cmd);
		linux_missing(what);
		r = -EINVAL;
	}
	}
	file_put(file);
	return r;
}

/*
 * The argument of a pointer-taking ioctl is copied in and back out around
 * the VFS call, which sees only kernel memory.
 */
long sys_ioctl(long fd, long cmd, long arg, long d, long e, long f)
{
	struct file *file = fd_get((int)fd);
	size_t size = vfs_ioctl_arg_size((unsigned long)cmd);
	uint8_t buf[256];
	long r;

	if (!file)
		return -EBADF;
	if (!(file->flags & O_PATH) && ioctl_sigio(file, (int)fd, cmd, arg, &r))
		goto out;
	if (size > sizeof(buf)) {
		r = -EINVAL;
		goto out;
	}
	if (size && copy_from_user(buf, arg, size)) {
		r = -EFAULT;
		goto out;
	}
	r = vfs_ioctl(file, (unsigned long)cmd, size ? buf : (void *)arg);
	if (r >= 0 && size && copy_to_user(arg, buf, size))
		r = -EFAULT;
out:
	file_put(file);
	return r;
}

/* ---- names ---- */
long sys_readlinkat(long dirfd, long upath, long ubuf, long size, long e,
		    long f)
{
	struct at_path p;
	char *out;
	long r;

	if (size <= 0)
		return -EINVAL;
	r = at_get(dirfd, upath, &p);
	if (r)
		return r;
	out = malloc(PATH_MAX);
	r = out ? vfs_readlinkat(p.dir, p.path, out, MIN((size_t)size, PATH_MAX))
		: -ENOMEM;
	if (r > 0 && copy_to_user(ubuf, out, (size_t)r))
		r = -EFAULT;
	free(out);
	at_put(&p);
	return r;
}

long sys_readlink(long upath, long ubuf, long size, long d, long e, long f)
{
	return sys_readlinkat(AT_FDCWD, upath, ubuf, size, 0, 0);
}

long sys_faccessat2(long dirfd, long upath, long mode, long flags, long e,
		    long f)
{
	struct at_path p;
	long r = at_get(dirfd, upath, &p);

	if (r)
		return r;
	r = vfs_faccessat(p.dir, p.path, (int)mode, (int)flags);
	at_put(&p);
	return r;
}

long sys_faccessat(long dirfd, long upath, long mode, long d, long e, long f)
{
	return sys_faccessat2(dirfd, upath, mode, 0, 0, 0);
}

long sys_access(long upath, long mode, long c, long d, long e, long f)
{
	return sys_faccessat2(AT_FDCWD, upath, mode, 0, 0, 0);
}

long sys_getcwd(long ubuf, long size, long c, long d, long e, long f)
{
	char *buf = malloc(PATH_MAX);
	long r;

	if (!buf)
		return -ENOMEM;
	r = vfs_getcwd(buf, PATH_MAX);
	if (r >= 0) {
		size_t len = strlen(buf) + 1;

		if ((size_t)size < len)
			r = -ERANGE;
		else if (copy_to_user(ubuf, buf, len))
			r = -EFAULT;
		else
			r = (long)len;
	}
	free(buf);
	return r;
}

long sys_getdents64(long fd, long ubuf, long size, long d, long e, long f)
{
	struct file *file = fd_get((int)fd);
	long r;

	if (!file)
		return -EBADF;
	size = MIN(size, 65536);
	char *tmp = size > 0 ? malloc((size_t)size) : NULL;
	if (size <= 0)
		r = -EINVAL;
	else if (!tmp)
		r = -ENOMEM;
	else
		r = vfs_getdents64(file, tmp, (size_t)size);
	if (r > 0 && copy_to_user(ubuf, tmp, (size_t)r))
		r = -EFAULT;
	free(tmp);
	file_put(file);
	return r;
}

/* ---- statx ---- */
#define STATX_BASIC_STATS 0x7ff
#define STATX__RESERVED 0x80000000u
struct statx_ts {
	int64_t sec;
	uint32_t nsec, pad;
};
struct statx_user {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	struct statx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};

static struct statx_ts sx_ts(struct timespec_k t)
{
	return (struct statx_ts){t.sec, (uint32_t)t.nsec, 0};
}

long sys_statx(long dirfd, long upath, long flags, long mask, long ubuf,
	       long f)
{
	struct at_path p;
	struct kstat k;
	long r;

	if ((uint32_t)mask & STATX__RESERVED)
		return -EINVAL;
	if (!user_range_ok(ubuf, sizeof(struct statx_user)))
		return -EFAULT;
	r = at_get(dirfd, upath, &p);
	if (r)
		return r;
	if (!p.path[0] && (flags & AT_EMPTY_PATH))
		r = p.dir ? vfs_fstat(p.dir, &k) : vfs_statat(NULL, ".", &k, 0);
	else
		r = vfs_statat(p.dir, p.path, &k, (int)flags & AT_SYMLINK_NOFOLLOW);
	at_put(&p);
	if (r)
		return r;
	struct statx_user s = {
		.mask = STATX_BASIC_STATS, .blksize = (uint32_t)k.blksize,
		.nlink = (uint32_t)k.nlink, .uid = k.uid, .gid = k.gid,
		.mode = (uint16_t)k.mode, .ino = k.ino, .size = (uint64_t)k.size,
		.blocks = (uint64_t)k.blocks, .atime = sx_ts(k.atime),
		.ctime = sx_ts(k.ctime), .mtime = sx_ts(k.mtime),
		.rdev_major = (uint32_t)(k.rdev >> 8) & 0xfff,
		.rdev_minor = (uint32_t)(k.rdev & 0xff),
		.dev_major = (uint32_t)(k.dev >> 8) & 0xfff,
		.dev_minor = (uint32_t)(k.dev & 0xff),
	};
	return copy_to_user(ubuf, &s, sizeof(s));
}

/* Linux: EACCES for a mapping the file's open mode does not allow. */
long mmap_file_check(int fd, long prot, long flags)
{
	struct file *file = fd_get(fd);

	if (!file)
		return -EBADF;
	int mode = vfs_getfl(file) & O_ACCMODE;
	long r = 0;
	if (mode == O_WRONLY)
		r = -EACCES;
	else if ((flags & 0x0f) != 0x02 && (prot & 2) && mode != O_RDWR)
		r = -EACCES; /* shared and writable needs O_RDWR */
	else if (vfs_file_size(file) < 0)
		r = -ENODEV;
	else if ((flags & 0x0f) != 0x02 && (prot & 2) &&
		 (vfs_file_seals(file) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		r = -EPERM; /* a sealed memfd: no writable shared mapping */
	file_put(file);
	return r;
}

#define MFD_CLOEXEC 1u
#define MEMFD_NAME_ROOM 250 /* 249 bytes and the NUL */

long sys_memfd_create(long uname, long flags, long c, long d, long e, long f)
{
	char name[MEMFD_NAME_ROOM];
	struct file *file;
	long n = strncpy_from_user(name, uname, sizeof(name));

	if (n < 0)
		return n == -ENAMETOOLONG ? -EINVAL : n;
	if ((unsigned long)flags >> 32)
		return -EINVAL;
	if (flags & 4 /* MFD_HUGETLB */)
		linux_missing("memfd_create MFD_HUGETLB");
	int err = vfs_memfd_create(name, (unsigned)flags, &file);
	if (err)
		return err;
	err = fd_install(file, 0, flags & MFD_CLOEXEC);
	if (err < 0)
		file_put(file);
	return err;
}

/* flock(2): with one process only its own descriptors could conflict. */
long sys_flock(long fd, long op, long c, long d, long e, long f)
{
	struct file *file = fd_get((int)fd);

	if (!file)
		return -EBADF;
	file_put(file);
	return (op & ~(1 | 2 | 4 | 8)) ? -EINVAL : 0;
}

/*
 * File mappings: the VMA holds the file (pinned, so truncation zeroes
 * ramfs's pages rather than freeing them under a shared mapping) and
 * faults map the page cache's frames (kernel/mm/vma.c): a shared
 * mapping's writes are the file's contents at once, a private one's
 * first write copies the page; a page wholly past the end of the file
 * is SIGBUS.
 */
static uint64_t file_page_phys(void *file, uint64_t index, bool shared)
{
	return vfs_file_page_get(file, index, shared);
}

static bool file_past_eof(void *file, uint64_t index)
{
	int64_t size = vfs_file_size(file);

	return size < 0 || index >= ALIGN_UP((uint64_t)size, PAGE_SIZE) / PAGE_SIZE;
}

static void file_map_get(void *file)
{
	file_get(file);
	vfs_file_pin(file);
	shm_vma_get(file);
}

static void file_map_put(void *file)
{
	shm_vma_put(file);
	vfs_file_unpin(file);
	file_put(file);
}

static const struct vma_file_ops mapping_ops = {
	file_page_phys, file_past_eof, file_map_get, file_map_put,
};

long mmap_file_map(uint64_t *addr, uint64_t len, uint32_t prot,
		   uint32_t flags, int fd, uint64_t off)
{
	struct file *file = fd_get(fd);

	if (!file)
		return -EBADF;
	long r = as_map_file(addr, len, prot, flags, file, off / PAGE_SIZE);
	file_put(file); /* the VMA took its own */
	return r;
}

static int mapping_init(void)
{
	as_set_file_ops(&mapping_ops);
	return 0;
}
INIT_STEP(56, mapping_init);

/*
 * sendfile and copy_file_range: a copy through the kernel, in chunks of
 * COPY_CHUNK (one TSO segment's worth: a socket given 4 KiB a call sends
 * 4 KiB segments; 64 KiB go out as one), or BOUNCE when memory is short.
 * With an offset pointer the input's own position stays, as Linux.
 */
static long copy_between(struct file *in, int64_t *in_off, struct file *out,
			 int64_t *out_off, size_t count)
{
	size_t chunk = count > BOUNCE ? COPY_CHUNK : BOUNCE;
	char *buf = malloc(chunk);
	size_t done = 0;
	long r = 0;

	if (!buf && chunk > BOUNCE)
		buf = malloc(chunk = BOUNCE);
	if (!buf)
		return -ENOMEM;
	while (done < count) {
		size_t k = MIN(chunk, count - done);

		r = in_off ? vfs_pread(in, buf, k, *in_off) : vfs_read(in, buf, k);
		if (r <= 0)
			break;
		long w = out_off ? vfs_pwrite(out, buf, (size_t)r, *out_off)
				 : vfs_write(out, buf, (size_t)r);
		if (w < 0) {
			r = w;
			break;
		}
		if (in_off)
			*in_off += w;
		if (out_off)
			*out_off += w;
		done += (size_t)w;
		if (w < r || (size_t)r < k)
			break;
	}
	free(buf);
	return done ? (long)done : r;
}

/* sendfile to a socket: the input's pages sent in place, from *in_off or
 * the input's position (held for the call, as Linux's f_pos_lock);
 * -EOPNOTSUPP when they cannot be (copy_between then). */
static long send_pages(struct file *in, int64_t *in_off, struct file *out,
		       size_t count)
{
	bool locked = !in_off && vfs_pos_lock(in);
	int64_t pos = in_off ? *in_off : in->pos;
	long r = sock_file_sendfile(out, in, pos, count);

	if (r > 0 && in_off)
		*in_off += r;
	else if (r > 0)
		in->pos += r;
	vfs_pos_unlock(in, locked);
	return r;
}

static long offset_in(long uptr, int64_t *off)
{
	if (!uptr)
		return 0;
	if (copy_from_user(off, uptr, sizeof(*off)))
		return -EFAULT;
	return *off < 0 ? -EINVAL : 0;
}

/*
 * Linux's checks (fs/read_write.c's do_sendfile): an offset needs an input
 * that can seek; a pipe as input has no splice_read (EINVAL, its data
 * kept), and an O_APPEND output is refused.
 */
static long sendfile_check(struct file *in, struct file *out, long uoff)
{
	if (uoff && file_is_pipe(in))
		return -ESPIPE;
	if (file_is_pipe(in) || (vfs_getfl(out) & O_APPEND))
		return -EINVAL;
	return 0;
}

long sys_sendfile(long out_fd, long in_fd, long uoff, long count, long e,
		  long f)
{
	struct file *in = fd_get((int)in_fd), *out = fd_get((int)out_fd);
	int64_t off = 0;
	long r = !in || !out ? -EBADF : count < 0 ? -EINVAL : offset_in(uoff, &off);

	if (!r)
		r = sendfile_check(in, out, uoff);
	if (!r) {
		r = send_pages(in, uoff ? &off : NULL, out, (size_t)count);
		if (r == -EOPNOTSUPP)
			r = copy_between(in, uoff ? &off : NULL, out, NULL,
					 (size_t)count);
	}
	if (r >= 0 && uoff && copy_to_user(uoff, &off, sizeof(off)))
		r = -EFAULT;
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return r;
}

long sys_copy_file_range(long in_fd, long uin_off, long out_fd, long uout_off,
			 long count, long flags)
{
	struct file *in = fd_get((int)in_fd), *out = fd_get((int)out_fd);
	int64_t ioff = 0, ooff = 0;
	long r = !in || !out ? -EBADF : (flags || count < 0) ? -EINVAL : 0;

	if (!r)
		r = offset_in(uin_off, &ioff);
	if (!r)
		r = offset_in(uout_off, &ooff);
	if (!r)
		r = copy_between(in, uin_off ? &ioff : NULL, out,
				 uout_off ? &ooff : NULL, (size_t)count);
	if (r >= 0 && uin_off && copy_to_user(uin_off, &ioff, sizeof(ioff)))
		r = -EFAULT;
	if (r >= 0 && uout_off && copy_to_user(uout_off, &ooff, sizeof(ooff)))
		r = -EFAULT;
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return r;
}
