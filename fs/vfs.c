/*
 * The namespace: opening, making, linking, renaming and removing names,
 * the working directory, and the root file system's setup. Everything
 * here runs under vfs_mutex (see fs_private.h for who owns what); an
 * inode that loses its last name and reference is freed after the mutex
 * is dropped, so freeing a large file never holds up other lookups.
 */
#include "fs/fs_private.h"
#include "linux/linux.h"

/* ---- inodes ---- */
struct timespec_k vfs_now(void)
{
	uint64_t ns = clock_realtime_ns();

	return (struct timespec_k){ns / 1000000000, ns % 1000000000};
}

void inode_init(struct inode *ip, struct super_block *sb,
		const struct inode_ops *ops, uint32_t mode, uint64_t rdev,
		uint64_t ino)
{
	ip->sb = sb;
	ip->ops = ops;
	ip->ino = ino ? ino
		      : __atomic_fetch_add(&sb->next_ino, 1, __ATOMIC_RELAXED);
	ip->type = mode & S_IFMT;
	ip->mode = mode & 07777;
	ip->rdev = rdev;
	mutex_init(&ip->lock);
	ip->atime = ip->mtime = ip->ctime = vfs_now();
}

void inode_free_vfs(struct inode *ip)
{
	assert(ip->refs == 0);
	fsnotify_gone(ip);
	xattr_free_all(ip);
}

void inode_set_nlink(struct inode *ip, uint32_t n)
{
	__atomic_store_n(&ip->nlink, n, __ATOMIC_RELAXED);
}

/* Under vfs_mutex: whether an inode nothing holds goes now. */
static bool inode_dead(struct inode *ip)
{
	if (ip->refs)
		return false;
	if (ip->sb->ops->drop)
		return ip->sb->ops->drop(ip);
	return ip->nlink == 0;
}

struct inode *inode_unref_locked(struct inode *ip)
{
	assert(ip->refs > 0);
	ip->refs--;
	return inode_dead(ip) ? ip : NULL;
}

void inode_evict(struct inode *ip)
{
	ip->sb->ops->evict(ip);
}

void inode_put(struct inode *ip)
{
	struct inode *dead;

	mutex_lock(&vfs_mutex);
	dead = inode_unref_locked(ip);
	mutex_unlock(&vfs_mutex);
	if (dead)
		inode_evict(dead);
}

/* Under ip->lock: tells the file system an attribute changed. */
void inode_dirty(struct inode *ip)
{
	if (ip->sb->ops->dirty_inode)
		ip->sb->ops->dirty_inode(ip);
}

void inode_touch(struct inode *ip, bool mtime, bool ctime)
{
	struct timespec_k now = vfs_now();

	mutex_lock(&ip->lock);
	if (mtime)
		ip->mtime = now;
	if (ctime)
		ip->ctime = now;
	inode_dirty(ip);
	mutex_unlock(&ip->lock);
}

uint32_t vfs_umask(uint32_t mask)
{
	return __atomic_exchange_n(fs_umask_of_caller(), mask & 0777,
				   __ATOMIC_RELAXED);
}

uint32_t vfs_umask_get(void)
{
	return __atomic_load_n(fs_umask_of_caller(), __ATOMIC_RELAXED);
}

static uint32_t apply_umask(uint32_t mode)
{
	return mode & ~vfs_umask_get();
}

/* ---- making names ---- */
/* Under vfs_mutex: a new inode belongs to the caller's file-system ids;
 * its group is the directory's if that has S_ISGID (Linux:
 * inode_init_owner), which a new directory inherits. */
static void new_owner(struct inode *ip, const struct inode *dir)
{
	linux_cred_fsids(&ip->uid, &ip->gid);
	if (!(LOAD(dir->mode) & S_ISGID))
		return;
	ip->gid = dir->gid;
	if (ip->type == S_IFDIR)
		__atomic_or_fetch(&ip->mode, S_ISGID, __ATOMIC_RELAXED);
}

/* Under vfs_mutex: a new inode named l->last in l->dir (target: a
 * symlink's). */
static int create(struct lookup *l, uint32_t mode, uint64_t rdev,
		  const char *target, struct inode **out)
{
	struct inode *dir = l->dir;
	const struct inode_ops *ops = dir->ops;
	int err;

	if (dir->sb->rdonly)
		return -EROFS;
	if (target)
		err = ops->symlink ? ops->symlink(dir, l->last, l->len, target,
						  out)
				   : -EACCES;
	else
		err = ops->create ? ops->create(dir, l->last, l->len, mode,
						rdev, out)
				  : -EACCES;
	if (err)
		return err;
	(*out)->name_dir = dir;
	new_owner(*out, dir);
	inode_touch(dir, true, true);
	fsnotify_dir(dir, IN_CREATE | (S_ISDIR(mode) ? IN_ISDIR : 0), l->last,
		     l->len, 0);
	return 0;
}

/* Under vfs_mutex: what open(2) finds or makes. */
/* Linux: may_open's inode_permission, for the access flags ask for. */
static int open_permission(const struct inode *ip, int flags)
{
	int acc = flags & O_ACCMODE;
	int mask = (acc != O_WRONLY ? R_OK : 0) |
		   (acc != O_RDONLY || (flags & O_TRUNC) ? W_OK : 0);

	return linux_cred_permission(ip->uid, ip->gid,
				     ip->type | LOAD(ip->mode), mask, false);
}

static int open_lookup(struct file *dir, const char *path, int flags,
		       uint32_t mode, struct inode **out, int *outside_fd,
		       bool *created)
{
	bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	bool follow = !(flags & O_NOFOLLOW) && !excl;
	struct lookup l;
	struct inode *ip;
	int err = lookup(dir, path, follow, &l);

	*outside_fd = l.outside_fd;
	if (err == -ENOENT && l.missing && (flags & O_CREAT)) {
		if (l.slash)
			return -EISDIR;
		if (!LOAD(l.dir->nlink))
			return -ENOENT;
		mode = S_IFREG | apply_umask(mode & 07777);
		*created = true;
		return create(&l, mode, 0, NULL, out);
	}
	if (err)
		return err;
	ip = l.ip;
	if (excl)
		return -EEXIST;
	if (ip->type == S_IFLNK && !(flags & O_PATH))
		return -ELOOP; /* O_NOFOLLOW */
	if ((flags & O_DIRECTORY) && ip->type != S_IFDIR)
		return -ENOTDIR;
	if (ip->type == S_IFDIR && !(flags & O_PATH) &&
	    ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC))))
		return -EISDIR;
	/* Linux: may_open, a file of a read-only file system */
	if (ip->sb->rdonly && !(flags & O_PATH) &&
	    (ip->type == S_IFREG || ip->type == S_IFDIR) &&
	    ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	*out = ip;
	return flags & O_PATH ? 0 : open_permission(ip, flags);
}

/* Files that cannot change size (/proc's) open as they are. */
static void truncate_on_open(struct inode *ip)
{
	struct timespec_k now = vfs_now();

	if (!ip->ops->setsize)
		return;
	mutex_lock(&ip->lock);
	if (!ip->ops->setsize(ip, 0)) {
		ip->mtime = ip->ctime = now;
		inode_dirty(ip);
	}
	mutex_unlock(&ip->lock);
}

/* open(2) through /proc/<pid>/fd/N of a file outside the tree: that file
 * again, if it allows the access asked for. */
static int reopen_fd(int fd, int flags, struct file **out)
{
	struct file *f = fd_get(fd);
	int want = flags & O_ACCMODE, have;

	if (!f)
		return -ENOENT;
	have = f->flags & O_ACCMODE;
	if (!(flags & O_PATH) && want != have && have != O_RDWR) {
		file_put(f);
		return -EACCES;
	}
	*out = f;
	return 0;
}

int vfs_openat(struct file *dir, const char *path, int flags, uint32_t mode,
	       struct file **out)
{
	struct inode *ip = NULL;
	bool created = false;
	int err, outside_fd;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	mutex_lock(&vfs_mutex);
	err = open_lookup(dir, path, flags, mode, &ip, &outside_fd, &created);
	if (!err)
		ip->refs++;
	mutex_unlock(&vfs_mutex);
	if (err == -ENXIO && outside_fd >= 0)
		return reopen_fd(outside_fd, flags, out);
	if (err)
		return err;
	/* Linux truncates even with O_RDONLY; a new file is empty anyway. */
	if ((flags & O_TRUNC) && ip->type == S_IFREG && !created) {
		truncate_on_open(ip);
		fsnotify_change(ip, IN_MODIFY);
	}
	return file_open_inode(ip, flags, out);
}

/* mkdir, mknod and symlink: a new inode at `path`. */
static int make_node(struct file *dir, const char *path, uint32_t mode,
		     uint64_t rdev, const char *target)
{
	struct lookup l;
	struct inode *ip;
	int err;

	mutex_lock(&vfs_mutex);
	err = lookup_create(dir, path, S_ISDIR(mode), &l);
	if (!err)
		err = create(&l, mode, rdev, target, &ip);
	mutex_unlock(&vfs_mutex);
	return err;
}

int vfs_mkdirat(struct file *dir, const char *path, uint32_t mode)
{
	return make_node(dir, path, S_IFDIR | apply_umask(mode & 01777), 0,
			 NULL);
}

int vfs_mknodat(struct file *dir, const char *path, uint32_t mode, uint64_t dev)
{
	uint32_t type = mode & S_IFMT;

	if (type == S_IFDIR)
		return -EPERM;
	if (type == 0)
		type = S_IFREG;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK &&
	    type != S_IFIFO && type != S_IFSOCK)
		return -EINVAL;
	if (type == S_IFREG)
		dev = 0;
	return make_node(dir, path, type | apply_umask(mode & 07777), dev,
			 NULL);
}

/* ---- sockets bound to a path (net/unix.c) ---- */
#define ECONNREFUSED 111 /* net/net.h's; fs/ does not include it */

int vfs_bind_socket(struct file *dir, const char *path, uint32_t mode,
		    void *sock, void **node)
{
	struct lookup l;
	struct inode *ip;
	int err;

	mutex_lock(&vfs_mutex);
	err = lookup_create(dir, path, false, &l);
	if (!err)
		err = create(&l, S_IFSOCK | apply_umask(mode & 07777), 0, NULL,
			     &ip);
	if (!err) {
		ip->sock = sock;
		ip->refs++; /* the bound socket's */
		*node = ip;
	}
	mutex_unlock(&vfs_mutex);
	return err;
}

void vfs_unbind_socket(void *node)
{
	struct inode *ip = node;

	mutex_lock(&vfs_mutex);
	ip->sock = NULL;
	mutex_unlock(&vfs_mutex);
	inode_put(ip);
}

int vfs_lookup_socket(struct file *dir, const char *path,
		      bool (*get)(void *sock), void **sock)
{
	struct inode *ip;
	int err;

	mutex_lock(&vfs_mutex);
	err = lookup_inode(dir, path, 0, &ip);
	if (!err && (ip->type != S_IFSOCK || !ip->sock || !get(ip->sock)))
		err = -ECONNREFUSED;
	if (!err)
		*sock = ip->sock;
	mutex_unlock(&vfs_mutex);
	return err;
}

int vfs_symlinkat(const char *target, struct file *dir, const char *linkpath)
{
	size_t n = strnlen(target, PATH_MAX);

	if (n == PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	return make_node(dir, linkpath, S_IFLNK | 0777, 0, target);
}

/* Under vfs_mutex: the inode linkat(2) links. */
static int link_source(struct file *dir, const char *path, int at_flags,
		       struct inode **out)
{
	int flags = at_flags & AT_EMPTY_PATH;
	int err;

	if (!(at_flags & AT_SYMLINK_FOLLOW))
		flags |= AT_SYMLINK_NOFOLLOW;
	err = lookup_inode(dir, path, flags, out);
	if (err)
		return err;
	if ((*out)->type == S_IFDIR)
		return -EPERM;
	return LOAD((*out)->nlink) ? 0 : -ENOENT; /* unlinked but open */
}

int vfs_linkat(struct file *olddir, const char *oldpath, struct file *newdir,
	       const char *newpath, int at_flags)
{
	struct inode *ip;
	struct lookup l;
	int err;

	if (at_flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	err = link_source(olddir, oldpath, at_flags, &ip);
	if (!err)
		err = lookup_create(newdir, newpath, false, &l);
	if (!err && ip->sb != l.dir->sb)
		err = -EXDEV;
	if (!err && l.dir->sb->rdonly)
		err = -EROFS;
	if (!err)
		err = l.dir->ops->link ? l.dir->ops->link(l.dir, l.last, l.len,
							  ip)
				       : -EPERM;
	if (!err) {
		ip->name_dir = l.dir;
		inode_touch(ip, false, true);
		inode_touch(l.dir, true, true);
		fsnotify_inode(ip, IN_ATTRIB); /* its link count */
		fsnotify_dir(l.dir, IN_CREATE, l.last, l.len, 0);
	}
	mutex_unlock(&vfs_mutex);
	return err;
}

int vfs_readlinkat(struct file *dir, const char *path, char *buf, size_t size)
{
	struct inode *ip, *held = NULL;
	const char *t;
	size_t n = 0;
	int err;

	if (size == 0)
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	/* An empty path reads an O_PATH|O_NOFOLLOW file's own link. */
	err = lookup_inode(dir, path, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &ip);
	if (!err && ip->type != S_IFLNK)
		err = -EINVAL;
	if (!err && ip->ops->readlink) {
		held = ip; /* its text is made without the mutex */
		ip->refs++;
	} else if (!err) {
		t = ip->ops->get_link ? ip->ops->get_link(ip) : "";
		n = MIN(size, strlen(t));
		memcpy(buf, t, n);
	}
	mutex_unlock(&vfs_mutex);
	if (held) {
		err = held->ops->readlink(held, buf, size);
		inode_put(held);
		return err;
	}
	return err ? err : (int)n;
}

/* ---- removing names ---- */
/* Under vfs_mutex, after ip lost its name in dir: times, Linux's order
 * of inotify events, and the inode if it is now unused. */
static struct inode *after_remove(struct inode *dir, const char *name,
				  size_t len, struct inode *ip)
{
	bool is_dir = ip->type == S_IFDIR;

	if (ip->name_dir == dir)
		ip->name_dir = NULL;
	inode_touch(dir, true, true);
	inode_touch(ip, false, true);
	if (!is_dir)
		fsnotify_inode(ip, IN_ATTRIB); /* its link count */
	if (ip->nlink == 0 && ip->refs == 0)
		fsnotify_gone(ip);
	fsnotify_dir(dir, IN_DELETE | (is_dir ? IN_ISDIR : 0), name, len, 0);
	return inode_dead(ip) ? ip : NULL;
}

/* Under vfs_mutex: the inode a name in dir stands for, not crossing
 * into what is mounted on it. */
static int name_of_victim(struct lookup *l, struct inode **out)
{
	if (l->len > NAME_MAX)
		return -ENAMETOOLONG;
	return lookup_name(l->dir, l->last, l->len, out);
}

static int do_unlink(struct lookup *l, struct inode **dead)
{
	struct inode *ip;
	int err;

	if (lookup_is_special(l))
		return -EISDIR;
	err = name_of_victim(l, &ip);
	if (err)
		return err;
	if (ip->type == S_IFDIR)
		return -EISDIR;
	if (l->slash)
		return -ENOTDIR;
	if (ip->mounted)
		return -EBUSY;
	if (l->dir->sb->rdonly)
		return -EROFS;
	err = l->dir->ops->unlink
		  ? l->dir->ops->unlink(l->dir, l->last, l->len, ip)
		  : -EPERM;
	if (!err)
		*dead = after_remove(l->dir, l->last, l->len, ip);
	return err;
}

static int do_rmdir(struct lookup *l, struct inode **dead)
{
	struct inode *ip;
	int err;

	if (l->len == 0)
		return -EBUSY; /* the root */
	if (lookup_is_dot(l))
		return -EINVAL;
	if (lookup_is_special(l))
		return -ENOTEMPTY; /* ".." */
	err = name_of_victim(l, &ip);
	if (err)
		return err;
	if (ip->type != S_IFDIR)
		return -ENOTDIR;
	if (ip->mounted)
		return -EBUSY;
	if (l->dir->sb->rdonly)
		return -EROFS;
	err = l->dir->ops->rmdir
		  ? l->dir->ops->rmdir(l->dir, l->last, l->len, ip)
		  : -EPERM;
	if (!err)
		*dead = after_remove(l->dir, l->last, l->len, ip);
	return err;
}

int vfs_unlinkat(struct file *dir, const char *path, int at_flags)
{
	struct inode *dead = NULL;
	struct lookup l;
	int err;

	if (at_flags & ~AT_REMOVEDIR)
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	err = lookup_parent(dir, path, &l);
	if (!err)
		err = at_flags & AT_REMOVEDIR ? do_rmdir(&l, &dead)
					      : do_unlink(&l, &dead);
	mutex_unlock(&vfs_mutex);
	if (dead)
		inode_evict(dead);
	return err;
}

/* ---- rename ---- */
/* Whether `a` is `d` or one of its ancestors (in d's file system). */
static bool is_ancestor(struct inode *a, struct inode *d)
{
	for (; d; d = d->parent) {
		if (d == a)
			return true;
		if (d->parent == d)
			break;
	}
	return false;
}

/* Under vfs_mutex: inotify's view of ip moving from o to n. */
static void notify_move(struct lookup *o, struct lookup *n, struct inode *ip)
{
	uint32_t cookie = fsnotify_cookie();
	uint32_t dir = ip->type == S_IFDIR ? IN_ISDIR : 0;

	ip->name_dir = n->dir;
	fsnotify_dir(o->dir, IN_MOVED_FROM | dir, o->last, o->len, cookie);
	fsnotify_dir(n->dir, IN_MOVED_TO | dir, n->last, n->len, cookie);
	fsnotify_inode(ip, IN_MOVE_SELF);
}

static void touch_dirs(struct lookup *o, struct lookup *n)
{
	inode_touch(o->dir, true, true);
	if (n->dir != o->dir)
		inode_touch(n->dir, true, true);
}

static int call_rename(struct lookup *o, struct inode *a, struct lookup *n,
		       struct inode *b, unsigned flags)
{
	return o->dir->ops->rename(o->dir, o->last, o->len, a, n->dir, n->last,
				   n->len, b, flags);
}

static int exchange(struct lookup *o, struct inode *a, struct lookup *n,
		    struct inode *b)
{
	int err;

	if (!b)
		return -ENOENT;
	if ((o->slash && a->type != S_IFDIR) ||
	    (n->slash && b->type != S_IFDIR))
		return -ENOTDIR;
	if (a == b)
		return 0;
	if ((a->type == S_IFDIR && is_ancestor(a, n->dir)) ||
	    (b->type == S_IFDIR && is_ancestor(b, o->dir)))
		return -EINVAL;
	err = call_rename(o, a, n, b, RENAME_EXCHANGE);
	if (err)
		return err;
	touch_dirs(o, n);
	notify_move(o, n, a);
	notify_move(n, o, b);
	return 0;
}

/* rename(2)'s checks, in Linux's order; 1 when there is nothing to do.
 * A directory victim that is not empty is the file system's to find. */
static int rename_check(struct lookup *o, struct inode *ip, struct lookup *n,
			struct inode *victim, unsigned flags)
{
	if (ip->type != S_IFDIR && (o->slash || n->slash))
		return -ENOTDIR;
	if (victim && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (victim == ip)
		return 1;
	if (ip->type == S_IFDIR && is_ancestor(ip, n->dir))
		return -EINVAL; /* into itself */
	if (!LOAD(n->dir->nlink))
		return -ENOENT;
	if (!victim)
		return 0;
	if (ip->type == S_IFDIR && victim->type != S_IFDIR)
		return -ENOTDIR;
	if (ip->type != S_IFDIR && victim->type == S_IFDIR)
		return -EISDIR;
	return 0;
}

/* Under vfs_mutex: moves ip to n, replacing victim if there is one. */
static int move(struct lookup *o, struct inode *ip, struct lookup *n,
		struct inode *victim, unsigned flags, struct inode **dead)
{
	int err = rename_check(o, ip, n, victim, flags);

	if (err)
		return err > 0 ? 0 : err;
	err = call_rename(o, ip, n, victim, 0);
	if (err)
		return err;
	if (victim) {
		inode_touch(victim, false, true);
		if (victim->name_dir == n->dir)
			victim->name_dir = NULL;
		*dead = inode_dead(victim) ? victim : NULL;
	}
	inode_touch(ip, false, true);
	touch_dirs(o, n);
	notify_move(o, n, ip);
	return 0;
}

static int rename_locked(struct lookup *o, struct lookup *n, unsigned flags,
			 struct inode **dead)
{
	struct inode *ip, *victim = NULL;
	int err;

	if (lookup_is_special(o) || lookup_is_special(n))
		return -EBUSY;
	if (o->len > NAME_MAX || n->len > NAME_MAX)
		return -ENAMETOOLONG;
	err = lookup_name(o->dir, o->last, o->len, &ip);
	if (err)
		return err;
	if (o->dir->sb != n->dir->sb)
		return -EXDEV;
	err = lookup_name(n->dir, n->last, n->len, &victim);
	if (err && err != -ENOENT)
		return err;
	if (err)
		victim = NULL;
	if (ip->mounted || (victim && victim->mounted))
		return -EBUSY;
	if (o->dir->sb->rdonly)
		return -EROFS;
	if (!o->dir->ops->rename)
		return -EPERM;
	if (flags & RENAME_EXCHANGE)
		return exchange(o, ip, n, victim);
	return move(o, ip, n, victim, flags, dead);
}

int vfs_renameat(struct file *olddir, const char *oldpath, struct file *newdir,
		 const char *newpath, unsigned flags)
{
	struct inode *dead = NULL;
	struct lookup o, n;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	err = lookup_parent(olddir, oldpath, &o);
	if (!err)
		err = lookup_parent(newdir, newpath, &n);
	if (!err)
		err = rename_locked(&o, &n, flags, &dead);
	mutex_unlock(&vfs_mutex);
	if (dead)
		inode_evict(dead);
	return err;
}

/* ---- the working directory ---- */
/* Under vfs_mutex: makes ip the working directory. */
static struct inode *set_cwd(struct inode *ip)
{
	struct inode *old;

	ip->refs++;
	old = fs_cwd_set(ip);
	return old ? inode_unref_locked(old) : NULL;
}

int vfs_chdir(const char *path)
{
	struct inode *dead = NULL;
	struct lookup l;
	int err;

	mutex_lock(&vfs_mutex);
	err = lookup(NULL, path, true, &l);
	if (!err && l.ip->type != S_IFDIR)
		err = -ENOTDIR;
	if (!err)
		dead = set_cwd(l.ip);
	mutex_unlock(&vfs_mutex);
	if (dead)
		inode_evict(dead);
	return err;
}

int vfs_fchdir(struct file *f)
{
	struct inode *dead = NULL;

	if (!f->inode || f->inode->type != S_IFDIR)
		return -ENOTDIR;
	mutex_lock(&vfs_mutex);
	dead = set_cwd(f->inode);
	mutex_unlock(&vfs_mutex);
	if (dead)
		inode_evict(dead);
	return 0;
}

/* chroot: path becomes the process's root; the working directory stays
 * (Linux). allowed: the caller has CAP_SYS_CHROOT (else -EPERM, once
 * the path is found to be a directory, as Linux orders the checks). */
int vfs_chroot(const char *path, bool allowed)
{
	struct inode *old = NULL, *dead = NULL;
	struct lookup l;
	int err;

	mutex_lock(&vfs_mutex);
	err = lookup(NULL, path, true, &l);
	if (!err && l.ip->type != S_IFDIR)
		err = -ENOTDIR;
	if (!err && !allowed)
		err = -EPERM;
	if (!err) {
		l.ip->refs++;
		old = fs_proc_root_set(l.ip);
		dead = old ? inode_unref_locked(old) : NULL;
	}
	mutex_unlock(&vfs_mutex);
	if (dead)
		inode_evict(dead);
	return err;
}

/* Puts "/name" in front of p (within tmp); NULL if it does not fit. */
static char *prepend(char *tmp, char *p, const char *name, size_t len)
{
	if ((size_t)(p - tmp) < len + 1)
		return NULL;
	p -= len;
	memcpy(p, name, len);
	*--p = '/';
	return p;
}

/* The step up from a directory: a mounted root gives way to its mount
 * point first. */
static struct inode *up(struct inode *ip)
{
	while (ip == ip->sb->root && ip != fs_root && ip->sb->mnt &&
	       ip->sb->mnt->mountpoint)
		ip = ip->sb->mnt->mountpoint;
	return ip;
}

/* Under vfs_mutex: "/name" of ip in dir in front of p; NULL with *err
 * set when it has no name there or it does not fit. */
static char *prepend_name(char *tmp, char *p, struct inode *dir,
			  struct inode *ip, int *err)
{
	char name[NAME_MAX + 1];
	int len = inode_name_in(dir, ip, name);

	*err = len < 0 ? len : -ENAMETOOLONG;
	return len < 0 ? NULL : prepend(tmp, p, name, len);
}

char *inode_path(struct inode *ip, char *tmp, int *err)
{
	char *p = tmp + PATH_MAX - 1;

	*p = '\0';
	*err = -ENOENT;
	if (!ip->nlink)
		return NULL;
	if (ip->type != S_IFDIR) {
		/* a file's name: in the directory that last linked it */
		if (!ip->name_dir)
			return NULL;
		p = prepend_name(tmp, p, ip->name_dir, ip, err);
		ip = ip->name_dir;
	}
	struct inode *root = fs_proc_root();

	while (p && ip != root && (ip = up(ip)) != fs_root && ip != root) {
		struct inode *parent = ip->parent;

		if (!parent)
			return NULL;
		p = prepend_name(tmp, p, parent, ip, err);
		ip = parent;
	}
	if (p && !*p)
		*--p = '/';
	return p;
}

int vfs_getcwd(char *buf, size_t size)
{
	char *tmp = malloc(PATH_MAX), *p;
	int err = 0;
	size_t n;

	if (!tmp)
		return -ENOMEM;
	mutex_lock(&vfs_mutex);
	p = inode_path(fs_cwd(), tmp, &err);
	mutex_unlock(&vfs_mutex);
	if (p) {
		n = strlen(p) + 1;
		err = n <= size ? (int)n : -ERANGE;
		if (n <= size)
			memcpy(buf, p, n);
	}
	free(tmp);
	return err;
}
