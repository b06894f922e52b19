/*
 * System calls on names: directories, links, renames, attributes, the
 * working directory. Each copies its path(s) in with at_get, which also
 * resolves the dirfd, and hands over to the VFS.
 */
#include "block/block.h"
#include "fs/fs.h"
#include "fs/vfs.h" /* struct kstatfs */
#include "kernel/mm/mm.h"
#include "linux/sys.h"

#define PATH_MAX 4096

int at_get(long dirfd, long upath, struct at_path *p)
{
	long n;

	p->dir = NULL;
	p->path = malloc(PATH_MAX);
	if (!p->path)
		return -ENOMEM;
	n = strncpy_from_user(p->path, upath, PATH_MAX);
	if (n < 0)
		goto fail;
	if ((int)dirfd != AT_FDCWD) {
		p->dir = fd_get((int)dirfd);
		/* An absolute path ignores dirfd, as Linux. */
		if (!p->dir && p->path[0] != '/') {
			n = -EBADF;
			goto fail;
		}
	}
	return 0;
fail:
	free(p->path);
	p->path = NULL;
	return (int)n;
}

void at_put(struct at_path *p)
{
	if (p->dir)
		file_put(p->dir);
	free(p->path);
}

long sys_mkdirat(long dirfd, long upath, long mode, long d, long e, long f)
{
	struct at_path p;
	long r = at_get(dirfd, upath, &p);

	if (r)
		return r;
	r = vfs_mkdirat(p.dir, p.path, (uint32_t)mode);
	at_put(&p);
	return r;
}

long sys_mkdir(long upath, long mode, long c, long d, long e, long f)
{
	return sys_mkdirat(AT_FDCWD, upath, mode, 0, 0, 0);
}

long sys_mknodat(long dirfd, long upath, long mode, long dev, long e, long f)
{
	struct at_path p;
	long r = at_get(dirfd, upath, &p);

	if (r)
		return r;
	r = vfs_mknodat(p.dir, p.path, (uint32_t)mode, (uint64_t)dev);
	at_put(&p);
	return r;
}

long sys_mknod(long upath, long mode, long dev, long d, long e, long f)
{
	return sys_mknodat(AT_FDCWD, upath, mode, dev, 0, 0);
}

long sys_unlinkat(long dirfd, long upath, long flags, long d, long e, long f)
{
	struct at_path p;
	long r;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	r = at_get(dirfd, upath, &p);
	if (r)
		return r;
	r = vfs_unlinkat(p.dir, p.path, (int)flags);
	at_put(&p);
	return r;
}

long sys_unlink(long upath, long b, long c, long d, long e, long f)
{
	return sys_unlinkat(AT_FDCWD, upath, 0, 0, 0, 0);
}

long sys_rmdir(long upath, long b, long c, long d, long e, long f)
{
	return sys_unlinkat(AT_FDCWD, upath, AT_REMOVEDIR, 0, 0, 0);
}

long sys_renameat2(long olddirfd, long oldpath, long newdirfd, long newpath,
		   long flags, long f)
{
	struct at_path o, n;
	long r = at_get(olddirfd, oldpath, &o);

	if (r)
		return r;
	r = at_get(newdirfd, newpath, &n);
	if (!r) {
		r = vfs_renameat(o.dir, o.path, n.dir, n.path, (unsigned)flags);
		at_put(&n);
	}
	at_put(&o);
	return r;
}

long sys_renameat(long od, long op, long nd, long np, long e, long f)
{
	return sys_renameat2(od, op, nd, np, 0, 0);
}

long sys_rename(long op, long np, long c, long d, long e, long f)
{
	return sys_renameat2(AT_FDCWD, op, AT_FDCWD, np, 0, 0);
}

long sys_symlinkat(long utarget, long dirfd, long upath, long d, long e,
		   long f)
{
	struct at_path t, p;
	long r = at_get(AT_FDCWD, utarget, &t);

	if (r)
		return r;
	r = at_get(dirfd, upath, &p);
	if (!r) {
		r = vfs_symlinkat(t.path, p.dir, p.path);
		at_put(&p);
	}
	at_put(&t);
	return r;
}

long sys_symlink(long utarget, long upath, long c, long d, long e, long f)
{
	return sys_symlinkat(utarget, AT_FDCWD, upath, 0, 0, 0);
}

long sys_linkat(long od, long op, long nd, long np, long flags, long f)
{
	struct at_path o, n;
	long r = at_get(od, op, &o);

	if (r)
		return r;
	r = at_get(nd, np, &n);
	if (!r) {
		r = vfs_linkat(o.dir, o.path, n.dir, n.path, (int)flags);
		at_put(&n);
	}
	at_put(&o);
	return r;
}

long sys_link(long op, long np, long c, long d, long e, long f)
{
	return sys_linkat(AT_FDCWD, op, AT_FDCWD, np, 0, 0);
}

long sys_fchmodat(long dirfd, long upath, long mode, long d, long e, long f)
{
	struct at_path p;
	long r = at_get(dirfd, upath, &p);

	if (r)
		return r;
	r = vfs_chmodat(p.dir, p.path, (uint32_t)mode, 0);
	at_put(&p);
	return r;
}

long sys_chmod(long upath, long mode, long c, long d, long e, long f)
{
	return sys_fchmodat(AT_FDCWD, upath, mode, 0, 0, 0);
}

/* The calls on an open file share this shape. */
#define WITH_FILE(fd, expr)                                                    \
	({                                                                     \
		struct file *file = fd_get((int)(fd));                         \
		long r_ = -EBADF;                                              \
		if (file) {                                                    \
			r_ = (expr);                                           \
			file_put(file);                                        \
		}                                                              \
		r_;                                                            \
	})

long sys_fchmod(long fd, long mode, long c, long d, long e, long f)
{
	return WITH_FILE(fd, vfs_fchmod(file, (uint32_t)mode));
}

long sys_fchownat(long dirfd, long upath, long uid, long gid, long flags,
		  long f)
{
	struct at_path p;
	long r = at_get(dirfd, upath, &p);

	if (r)
		return r;
	if (!p.path[0] && (flags & AT_EMPTY_PATH) && p.dir)
		r = vfs_fchown(p.dir, (uint32_t)uid, (uint32_t)gid);
	else
		r = vfs_chownat(p.dir, p.path, (uint32_t)uid, (uint32_t)gid,
				(int)flags);
	at_put(&p);
	return r;
}

long sys_chown(long upath, long uid, long gid, long d, long e, long f)
{
	return sys_fchownat(AT_FDCWD, upath, uid, gid, 0, 0);
}

long sys_lchown(long upath, long uid, long gid, long d, long e, long f)
{
	return sys_fchownat(AT_FDCWD, upath, uid, gid, AT_SYMLINK_NOFOLLOW, 0);
}

long sys_fchown(long fd, long uid, long gid, long d, long e, long f)
{
	return WITH_FILE(fd, vfs_fchown(file, (uint32_t)uid, (uint32_t)gid));
}

long sys_truncate(long upath, long len, long c, long d, long e, long f)
{
	struct at_path p;
	long r;

	if (len < 0)
		return -EINVAL;
	r = at_get(AT_FDCWD, upath, &p);
	if (r)
		return r;
	r = vfs_truncate(p.path, len);
	at_put(&p);
	return r;
}

long sys_ftruncate(long fd, long len, long c, long d, long e, long f)
{
	if (len < 0)
		return -EINVAL;
	return WITH_FILE(fd, vfs_ftruncate(file, len));
}

#define FALLOC_FL_KEEP_SIZE 1 /* Linux: include/uapi/linux/falloc.h */
#define FALLOC_FL_PUNCH_HOLE 2

/* fallocate: mode 0 makes sure the range exists (extends the size);
 * PUNCH_HOLE|KEEP_SIZE goes to the file system (ext4 frees the blocks). */
long sys_fallocate(long fd, long mode, long off, long len, long e, long f)
{
	struct kstat st;

	if (off < 0 || len <= 0 || off + len < off)
		return -EINVAL;
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return WITH_FILE(fd, vfs_punch_hole(file, off, len));
	if (mode) {
		linux_missing("fallocate with a mode other than "
			      "PUNCH_HOLE|KEEP_SIZE");
		return -EOPNOTSUPP;
	}
	return WITH_FILE(fd, ({
		long r = vfs_fstat(file, &st);
		if (!r && (vfs_getfl(file) & O_ACCMODE) == O_RDONLY)
			r = -EBADF;
		if (!r && st.size < off + len)
			r = vfs_ftruncate(file, off + len);
		r;
	}));
}

long sys_fsync(long fd, long b, long c, long d, long e, long f)
{
	return WITH_FILE(fd, vfs_fsync(file));
}

long sys_fdatasync(long fd, long b, long c, long d, long e, long f)
{
	return WITH_FILE(fd, vfs_fdatasync(file));
}

long sys_sync(long a, long b, long c, long d, long e, long f)
{
	vfs_sync_all(); /* every file system's dirty data and metadata */
	blk_flush_all(); /* then the disks' caches */
	return 0;
}

long sys_syncfs(long fd, long b, long c, long d, long e, long f)
{
	return WITH_FILE(fd, vfs_syncfs(file));
}

long sys_utimensat(long dirfd, long upath, long utimes, long flags, long e,
		   long f)
{
	struct timespec_k times[2];
	struct at_path p = {0};
	long r;

	if (utimes && copy_from_user(times, utimes, sizeof(times)))
		return -EFAULT;
	if (upath) {
		r = at_get(dirfd, upath, &p);
		if (r)
			return r;
	} else {
		/* futimens: the fd itself. */
		p.dir = fd_get((int)dirfd);
		if (!p.dir)
			return -EBADF;
	}
	r = vfs_utimensat(p.dir, p.path, utimes ? times : NULL, (int)flags);
	at_put(&p);
	return r;
}

long sys_chdir(long upath, long b, long c, long d, long e, long f)
{
	struct at_path p;
	long r = at_get(AT_FDCWD, upath, &p);

	if (r)
		return r;
	r = vfs_chdir(p.path);
	at_put(&p);
	return r;
}

#define CAP_SYS_CHROOT 18

/* chroot: the process's root, where "/" starts and ".." stops (fs/). */
long sys_chroot(long upath, long b, long c, long d, long e, long f)
{
	struct at_path p;
	long r = at_get(AT_FDCWD, upath, &p);

	if (r)
		return r;
	r = vfs_chroot(p.path, cred_capable(CAP_SYS_CHROOT));
	at_put(&p);
	return r;
}

long sys_fchdir(long fd, long b, long c, long d, long e, long f)
{
	return WITH_FILE(fd, vfs_fchdir(file));
}

long sys_umask(long mask, long b, long c, long d, long e, long f)
{
	return vfs_umask((uint32_t)mask & 0777);
}

/* statfs and fstatfs: the VFS says (fs/statfs.c); Linux's struct statfs. */
struct statfs_user {
	int64_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags, spare[4];
};

static long statfs_out(long ubuf, const struct kstatfs *k)
{
	struct statfs_user s = {
	    .type = (int64_t)k->type,
	    .bsize = (int64_t)k->bsize,
	    .frsize = (int64_t)k->frsize,
	    .blocks = k->blocks,
	    .bfree = k->bfree,
	    .bavail = k->bavail,
	    .files = k->files,
	    .ffree = k->ffree,
	    .namelen = (int64_t)k->namelen,
	    .flags = (int64_t)k->flags,
	};
	return copy_to_user(ubuf, &s, sizeof(s));
}

long sys_statfs(long upath, long ubuf, long c, long d, long e, long f)
{
	struct at_path p;
	struct kstatfs st;
	long r = at_get(AT_FDCWD, upath, &p);

	if (r)
		return r;
	r = vfs_statfs(NULL, p.path, &st);
	at_put(&p);
	return r ? r : statfs_out(ubuf, &st);
}

long sys_fstatfs(long fd, long ubuf, long c, long d, long e, long f)
{
	struct kstatfs st;
	long r = WITH_FILE(fd, vfs_fstatfs(file, &st));

	return r ? r : statfs_out(ubuf, &st);
}

long sys_close_range(long first, long last, long flags, long d, long e,
		     long f)
{
#define CLOSE_RANGE_CLOEXEC 4
	if ((unsigned long)first > (unsigned long)last ||
	    (flags & ~CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	unsigned lim = fd_get_limit();
	for (unsigned long fd = first; fd <= (unsigned long)last && fd < lim; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC)
			fd_set_cloexec((int)fd, true);
		else
			fd_close((int)fd);
	}
	return 0;
}
