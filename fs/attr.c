/*
 * Attributes: stat, chmod, chown, utimensat, access and truncate. The
 * path forms look the inode up under vfs_mutex and change it under its
 * own lock; the file forms need only the inode's lock, since an open file
 * keeps its inode alive. There is one user, root, so permission checks
 * reduce to what root is refused (Linux: capabilities(7), CAP_DAC_OVERRIDE).
 */
#include "fs/fs_private.h"
#include "linux/linux.h"

void inode_stat(struct inode *ip, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = ip->sb->dev;
	st->ino = ip->ino;
	st->nlink = LOAD(ip->nlink);
	st->rdev = ip->rdev;
	st->blksize = PAGE_SIZE;
	mutex_lock(&ip->lock);
	st->mode = ip->type | ip->mode;
	st->uid = ip->uid;
	st->gid = ip->gid;
	st->size = ip->type == S_IFDIR ? (int64_t)PAGE_SIZE : ip->size;
	st->atime = ip->atime;
	st->mtime = ip->mtime;
	st->ctime = ip->ctime;
	if (ip->ops->getattr)
		ip->ops->getattr(ip, st);
	mutex_unlock(&ip->lock);
}

int vfs_fstat(struct file *f, struct kstat *st)
{
	if (f->inode) {
		inode_stat(f->inode, st);
		return 0;
	}
	if (f->ops->stat)
		return f->ops->stat(f, st);
	memset(st, 0, sizeof(*st));
	st->mode = f->mode;
	st->nlink = 1;
	st->ino = (uintptr_t)f >> 4; /* unique while it is open */
	st->blksize = PAGE_SIZE;
	return 0;
}

int vfs_statat(struct file *dir, const char *path, struct kstat *st,
	       int at_flags)
{
	struct inode *ip;
	struct file *f;
	int err, fd;

	if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	if ((at_flags & AT_EMPTY_PATH) && !*path && dir)
		return vfs_fstat(dir, st);
	mutex_lock(&vfs_mutex);
	err = lookup_inode_fd(dir, path, at_flags, &ip, &fd);
	if (!err)
		inode_stat(ip, st);
	mutex_unlock(&vfs_mutex);
	/* /proc/<pid>/fd/N of a pipe or socket: the file's own stat */
	if (err == -ENXIO && fd >= 0 && (f = fd_get(fd))) {
		err = vfs_fstat(f, st);
		file_put(f);
	}
	return err;
}

/* ---- changes, each under the inode's lock ---- */
static int set_mode(struct inode *ip, uint32_t mode)
{
	if (ip->sb->rdonly)
		return -EROFS;
	if (ip->type == S_IFLNK)
		return -EOPNOTSUPP; /* Linux: fchmodat2 with NOFOLLOW */
	mutex_lock(&ip->lock);
	bool exec_sealed = ip->memfd && (ip->seals & F_SEAL_EXEC) &&
			   ((ip->mode ^ mode) & S_IXUGO);
	if (!exec_sealed) {
		ip->mode = mode & 07777;
		ip->ctime = vfs_now();
		inode_dirty(ip);
	}
	mutex_unlock(&ip->lock);
	return exec_sealed ? -EPERM : 0;
}

static int set_owner(struct inode *ip, uint32_t uid, uint32_t gid)
{
	if (ip->sb->rdonly)
		return -EROFS;
	mutex_lock(&ip->lock);
	if (uid != (uint32_t)-1)
		ip->uid = uid;
	if (gid != (uint32_t)-1)
		ip->gid = gid;
	/* Linux clears set-id bits on any chown of a non-directory. */
	if (ip->type != S_IFDIR) {
		ip->mode &= ~S_ISUID;
		if (ip->mode & S_IXGRP)
			ip->mode &= ~S_ISGID;
	}
	ip->ctime = vfs_now();
	inode_dirty(ip);
	mutex_unlock(&ip->lock);
	return 0;
}

static void set_time(struct timespec_k *t, const struct timespec_k *want,
		     struct timespec_k now)
{
	if (want->nsec == UTIME_NOW)
		*t = now;
	else if (want->nsec != UTIME_OMIT)
		*t = *want;
}

static int set_times(struct inode *ip, const struct timespec_k times[2])
{
	struct timespec_k now = vfs_now();

	if (ip->sb->rdonly)
		return -EROFS;
	mutex_lock(&ip->lock);
	if (!times) {
		ip->atime = ip->mtime = now;
	} else {
		set_time(&ip->atime, &times[0], now);
		set_time(&ip->mtime, &times[1], now);
	}
	if (!times || times[0].nsec != UTIME_OMIT ||
	    times[1].nsec != UTIME_OMIT)
		ip->ctime = now;
	inode_dirty(ip);
	mutex_unlock(&ip->lock);
	return 0;
}

/* An open file's inode for changing attributes. */
static int file_inode(struct file *f, struct inode **out)
{
	if (f->flags & O_PATH)
		return -EBADF;
	*out = f->inode;
	return f->inode ? 0 : -EOPNOTSUPP; /* a pipe or socket */
}

int vfs_fchmod(struct file *f, uint32_t mode)
{
	struct inode *ip;
	int err = file_inode(f, &ip);

	if (!err)
		err = set_mode(ip, mode);
	if (!err)
		fsnotify_change(ip, IN_ATTRIB);
	return err;
}

int vfs_chmodat(struct file *dir, const char *path, uint32_t mode, int at_flags)
{
	struct inode *ip;
	int err;

	if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	err = lookup_inode(dir, path, at_flags, &ip);
	if (!err)
		err = set_mode(ip, mode);
	if (!err)
		fsnotify_change_locked(ip, IN_ATTRIB);
	mutex_unlock(&vfs_mutex);
	return err;
}

int vfs_fchown(struct file *f, uint32_t uid, uint32_t gid)
{
	struct inode *ip;
	int err = file_inode(f, &ip);

	if (!err)
		err = set_owner(ip, uid, gid);
	if (!err)
		fsnotify_change(ip, IN_ATTRIB);
	return err;
}

int vfs_chownat(struct file *dir, const char *path, uint32_t uid, uint32_t gid,
		int at_flags)
{
	struct inode *ip;
	int err;

	if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	err = lookup_inode(dir, path, at_flags, &ip);
	if (!err)
		err = set_owner(ip, uid, gid);
	if (!err)
		fsnotify_change_locked(ip, IN_ATTRIB);
	mutex_unlock(&vfs_mutex);
	return err;
}

static bool time_ok(const struct timespec_k *t)
{
	return t->nsec == UTIME_NOW || t->nsec == UTIME_OMIT ||
	       (t->nsec >= 0 && t->nsec < 1000000000);
}

int vfs_utimensat(struct file *dir, const char *path,
		  const struct timespec_k times[2], int at_flags)
{
	struct inode *ip;
	int err;

	if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (times && (!time_ok(&times[0]) || !time_ok(&times[1])))
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	err = lookup_inode(dir, path, at_flags, &ip);
	if (!err)
		err = set_times(ip, times);
	if (!err)
		fsnotify_change_locked(ip, IN_ATTRIB);
	mutex_unlock(&vfs_mutex);
	return err;
}

int vfs_faccessat(struct file *dir, const char *path, int mode, int at_flags)
{
	struct inode *ip;
	int err;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (at_flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	err = lookup_inode(dir, path, at_flags, &ip);
	/* Linux: the real ids unless AT_EACCESS; root may execute only
	 * what has an execute bit for someone. */
	if (!err && mode)
		err = linux_cred_permission(ip->uid, ip->gid,
					    ip->type | LOAD(ip->mode), mode,
					    !(at_flags & AT_EACCESS));
	mutex_unlock(&vfs_mutex);
	return err;
}

/* ---- truncate ---- */
static int truncate_inode(struct inode *ip, int64_t len)
{
	struct timespec_k now = vfs_now();
	int err;

	if (ip->sb->rdonly)
		return -EROFS;
	if (!ip->ops->setsize)
		return -EPERM;
	mutex_lock(&ip->lock);
	err = ip->memfd ? memfd_check_size(ip, len) : 0;
	if (!err)
		err = ip->ops->setsize(ip, len);
	if (!err) {
		ip->mtime = ip->ctime = now;
		inode_dirty(ip);
	}
	mutex_unlock(&ip->lock);
	return err;
}

int vfs_ftruncate(struct file *f, int64_t len)
{
	struct inode *ip;
	int err = file_inode(f, &ip);

	if (err)
		return err == -EOPNOTSUPP ? -EINVAL : err;
	if (len < 0 || ip->type != S_IFREG)
		return -EINVAL;
	if ((f->flags & O_ACCMODE) != O_WRONLY &&
	    (f->flags & O_ACCMODE) != O_RDWR)
		return -EINVAL; /* Linux: not open for writing */
	err = truncate_inode(ip, len);
	if (!err)
		fsnotify_change(ip, IN_MODIFY);
	return err;
}

int vfs_punch_hole(struct file *f, int64_t off, int64_t len)
{
	struct timespec_k now = vfs_now();
	struct inode *ip;
	int err = file_inode(f, &ip);

	if (err)
		return err == -EOPNOTSUPP ? -ENODEV : err;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (ip->type == S_IFDIR)
		return -EISDIR;
	if (ip->type != S_IFREG)
		return -ENODEV; /* Linux: vfs_fallocate */
	if (ip->sb->rdonly)
		return -EROFS;
	if (!ip->ops->punch)
		return -EOPNOTSUPP;
	mutex_lock(&ip->lock);
	err = ip->ops->punch(ip, off, len);
	if (!err) {
		ip->mtime = ip->ctime = now;
		inode_dirty(ip);
	}
	mutex_unlock(&ip->lock);
	if (!err)
		fsnotify_change(ip, IN_MODIFY);
	return err;
}

int vfs_truncate(const char *path, int64_t len)
{
	struct lookup l;
	int err;

	if (len < 0)
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	err = lookup(NULL, path, true, &l);
	if (!err && l.ip->type == S_IFDIR)
		err = -EISDIR;
	else if (!err && l.ip->type != S_IFREG)
		err = -EINVAL;
	if (!err)
		l.ip->refs++;
	mutex_unlock(&vfs_mutex);
	if (err)
		return err;
	err = truncate_inode(l.ip, len);
	if (!err)
		fsnotify_change(l.ip, IN_MODIFY);
	inode_put(l.ip);
	return err;
}
