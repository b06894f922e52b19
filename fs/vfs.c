/*
 * The namespace: opening, making, linking, renaming and removing names,
 * the working directory, and the root file system's setup. Everything
 * here runs under vfs_mutex (see fs_private.h for who owns what); an
 * inode that loses its last name and reference is freed after the mutex
 * is dropped, so freeing a large file never holds up other lookups.
 */
#include "fs/fs_private.h"

static uint32_t umask_bits = 022; /* atomic */

/* ---- references ---- */
struct inode *inode_unref_locked(struct inode *ip)
{
	assert(ip->refs > 0);
	ip->refs--;
	return ip->refs == 0 && ip->nlink == 0 ? ip : NULL;
}

void inode_put(struct inode *ip)
{
	struct inode *dead;

	mutex_lock(&vfs_mutex);
	dead = inode_unref_locked(ip);
	mutex_unlock(&vfs_mutex);
	if (dead)
		ramfs_inode_free(dead);
}

static void set_nlink(struct inode *ip, uint32_t n)
{
	__atomic_store_n(&ip->nlink, n, __ATOMIC_RELAXED);
}

void inode_touch(struct inode *ip, bool mtime, bool ctime)
{
	struct timespec_k now = ramfs_now();

	mutex_lock(&ip->lock);
	if (mtime)
		ip->mtime = now;
	if (ctime)
		ip->ctime = now;
	mutex_unlock(&ip->lock);
}

uint32_t vfs_umask(uint32_t mask)
{
	return __atomic_exchange_n(&umask_bits, mask & 0777, __ATOMIC_RELAXED);
}

uint32_t vfs_umask_get(void)
{
	return LOAD(umask_bits);
}

static uint32_t apply_umask(uint32_t mode)
{
	return mode & ~LOAD(umask_bits);
}

/* ---- making names ---- */
/* Under vfs_mutex: a new inode named `name` in `dir`. */
static int create(struct lookup *l, uint32_t mode, uint64_t rdev,
		  struct inode **out)
{
	struct inode *ip;

	if (l->dir->proc)
		return -EACCES; /* /proc makes its own entries */
	ip = ramfs_inode_new(mode, rdev);
	if (!ip)
		return -ENOMEM;
	if (!dir_add(l->dir, l->last, l->len, ip)) {
		ramfs_inode_free(ip);
		return -ENOMEM;
	}
	set_nlink(ip, 1);
	if (S_ISDIR(mode)) {
		set_nlink(ip, 2);
		ip->dir.parent = l->dir;
		set_nlink(l->dir, l->dir->nlink + 1);
	}
	if (S_ISCHR(mode))
		ip->dev_ops = devfs_find(rdev);
	else if ((mode & S_IFMT) == S_IFBLK)
		ip->dev_ops = devfs_find_block(rdev);
	inode_touch(l->dir, true, true);
	fsnotify_dir(l->dir, IN_CREATE | (S_ISDIR(mode) ? IN_ISDIR : 0), l->last,
		     l->len, 0);
	*out = ip;
	return 0;
}

/* Under vfs_mutex: what open(2) finds or makes. */
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
		return create(&l, mode, 0, out);
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
	*out = ip;
	return 0;
}

static void truncate_on_open(struct inode *ip)
{
	struct timespec_k now = ramfs_now();

	mutex_lock(&ip->lock);
	ramfs_truncate(ip, 0);
	ip->mtime = ip->ctime = now;
	mutex_unlock(&ip->lock);
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
		return procfs_reopen(outside_fd, flags, out);
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
		     uint64_t rdev, char *target)
{
	struct lookup l;
	struct inode *ip;
	int err;

	mutex_lock(&vfs_mutex);
	err = lookup_create(dir, path, S_ISDIR(mode), &l);
	if (!err)
		err = create(&l, mode, rdev, &ip);
	if (!err && target) {
		ip->target = target;
		ip->size = strlen(target);
	}
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
		err = create(&l, S_IFSOCK | apply_umask(mode & 07777), 0, &ip);
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
	char *copy;
	int err;

	if (n == PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, target, n + 1);
	err = make_node(dir, linkpath, S_IFLNK | 0777, 0, copy);
	if (err)
		free(copy);
	return err;
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
	if (!err && l.dir->proc)
		err = -EPERM;
	if (!err && !dir_add(l.dir, l.last, l.len, ip))
		err = -ENOMEM;
	if (!err) {
		set_nlink(ip, ip->nlink + 1);
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
	const struct proc_entry *proc = NULL;
	struct inode *ip;
	size_t n = 0;
	int err, arg = 0;

	if (size == 0)
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	/* An empty path reads an O_PATH|O_NOFOLLOW file's own link. */
	err = lookup_inode(dir, path, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &ip);
	if (!err && ip->type != S_IFLNK)
		err = -EINVAL;
	if (!err && ip->proc) {
		proc = ip->proc; /* its text is made without the mutex */
		arg = ip->proc_arg;
	} else if (!err) {
		n = MIN(size, strlen(ip->target));
		memcpy(buf, ip->target, n);
	}
	mutex_unlock(&vfs_mutex);
	if (proc)
		return procfs_readlink(proc, arg, buf, size);
	return err ? err : (int)n;
}

/* ---- removing names ---- */
/* Under vfs_mutex, before d goes: Linux's order of inotify events. */
static void notify_unlink(struct inode *dir, struct dentry *d)
{
	struct inode *ip = d->inode;
	bool is_dir = ip->type == S_IFDIR;

	if (!is_dir)
		fsnotify_inode(ip, IN_ATTRIB); /* its link count */
	if ((is_dir || ip->nlink == 1) && ip->refs == 0)
		fsnotify_gone(ip);
	fsnotify_dir(dir, IN_DELETE | (is_dir ? IN_ISDIR : 0), d->name,
		     d->namelen, 0);
}

/* Under vfs_mutex: removes d from dir; the inode if it is now unused. */
static struct inode *unlink_entry(struct inode *dir, struct dentry *d)
{
	struct inode *ip = d->inode;

	notify_unlink(dir, d);
	dir_remove(dir, d);
	if (ip->type == S_IFDIR) {
		set_nlink(ip, 0);
		ip->dir.parent = NULL;
		set_nlink(dir, dir->nlink - 1);
	} else {
		set_nlink(ip, ip->nlink - 1);
	}
	inode_touch(dir, true, true);
	inode_touch(ip, false, true);
	return ip->nlink == 0 && ip->refs == 0 ? ip : NULL;
}

static int do_unlink(struct lookup *l, struct inode **dead)
{
	struct dentry *d;

	if (lookup_is_special(l))
		return -EISDIR;
	if (l->len > NAME_MAX)
		return -ENAMETOOLONG;
	d = dir_lookup(l->dir, l->last, l->len);
	if (!d)
		return -ENOENT;
	if (d->inode->type == S_IFDIR)
		return -EISDIR;
	if (l->slash)
		return -ENOTDIR;
	*dead = unlink_entry(l->dir, d);
	return 0;
}

static int do_rmdir(struct lookup *l, struct inode **dead)
{
	struct dentry *d;

	if (l->len == 0)
		return -EBUSY; /* the root */
	if (lookup_is_dot(l))
		return -EINVAL;
	if (lookup_is_special(l))
		return -ENOTEMPTY; /* ".." */
	if (l->len > NAME_MAX)
		return -ENAMETOOLONG;
	d = dir_lookup(l->dir, l->last, l->len);
	if (!d)
		return -ENOENT;
	if (d->inode->type != S_IFDIR)
		return -ENOTDIR;
	if (d->inode->dir.count)
		return -ENOTEMPTY;
	*dead = unlink_entry(l->dir, d);
	return 0;
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
	if (!err && l.dir->proc)
		err = -EPERM;
	if (!err)
		err = at_flags & AT_REMOVEDIR ? do_rmdir(&l, &dead)
					      : do_unlink(&l, &dead);
	mutex_unlock(&vfs_mutex);
	if (dead)
		ramfs_inode_free(dead);
	return err;
}

/* ---- rename ---- */
/* Whether `a` is `d` or one of its ancestors. */
static bool is_ancestor(struct inode *a, struct inode *d)
{
	for (; d; d = d->dir.parent) {
		if (d == a)
			return true;
		if (d == fs_root)
			break;
	}
	return false;
}

/* A directory moving from one parent to another takes its ".." along. */
static void reparent(struct inode *ip, struct inode *from, struct inode *to)
{
	if (ip->type != S_IFDIR || from == to)
		return;
	ip->dir.parent = to;
	set_nlink(from, from->nlink - 1);
	set_nlink(to, to->nlink + 1);
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

static int exchange(struct lookup *o, struct dentry *od, struct lookup *n,
		    struct dentry *nd)
{
	struct inode *a = od->inode, *b;

	if (!nd)
		return -ENOENT;
	b = nd->inode;
	if ((o->slash && a->type != S_IFDIR) ||
	    (n->slash && b->type != S_IFDIR))
		return -ENOTDIR;
	if (a == b)
		return 0;
	if ((a->type == S_IFDIR && is_ancestor(a, n->dir)) ||
	    (b->type == S_IFDIR && is_ancestor(b, o->dir)))
		return -EINVAL;
	od->inode = b;
	nd->inode = a;
	reparent(a, o->dir, n->dir);
	reparent(b, n->dir, o->dir);
	touch_dirs(o, n);
	notify_move(o, n, a);
	notify_move(n, o, b);
	return 0;
}

/* rename(2)'s checks, in Linux's order; 1 when there is nothing to do. */
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
	if (victim->type == S_IFDIR && victim->dir.count)
		return -ENOTEMPTY;
	return 0;
}

/* Under vfs_mutex: moves od's inode to n, replacing whatever is there. */
static int move(struct lookup *o, struct dentry *od, struct lookup *n,
		struct dentry *nd, struct inode **dead)
{
	struct inode *ip = od->inode, *victim;

	if (nd) {
		/* Reuse the victim's entry: nothing can fail past here. */
		victim = nd->inode;
		nd->inode = ip;
		if (victim->type == S_IFDIR) {
			set_nlink(victim, 0);
			victim->dir.parent = NULL;
			set_nlink(n->dir, n->dir->nlink - 1);
		} else {
			set_nlink(victim, victim->nlink - 1);
		}
		inode_touch(victim, false, true);
		if (victim->name_dir == n->dir)
			victim->name_dir = NULL;
		if (victim->nlink == 0 && victim->refs == 0)
			*dead = victim;
	} else if (!dir_add(n->dir, n->last, n->len, ip)) {
		return -ENOMEM;
	}
	dir_remove(o->dir, od);
	reparent(ip, o->dir, n->dir);
	inode_touch(ip, false, true);
	touch_dirs(o, n);
	notify_move(o, n, ip);
	return 0;
}

static int rename_locked(struct lookup *o, struct lookup *n, unsigned flags,
			 struct inode **dead)
{
	struct dentry *od, *nd;
	int err;

	if (lookup_is_special(o) || lookup_is_special(n))
		return -EBUSY;
	if (o->len > NAME_MAX || n->len > NAME_MAX)
		return -ENAMETOOLONG;
	od = dir_lookup(o->dir, o->last, o->len);
	if (!od)
		return -ENOENT;
	if (o->dir->proc || n->dir->proc || od->inode->proc)
		return -EBUSY; /* as a mount point */
	nd = dir_lookup(n->dir, n->last, n->len);
	if (flags & RENAME_EXCHANGE)
		return exchange(o, od, n, nd);
	err = rename_check(o, od->inode, n, nd ? nd->inode : NULL, flags);
	if (err)
		return err > 0 ? 0 : err;
	return move(o, od, n, nd, dead);
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
		ramfs_inode_free(dead);
	return err;
}

/* ---- the working directory ---- */
/* Under vfs_mutex: makes ip the working directory. */
static struct inode *set_cwd(struct inode *ip)
{
	struct inode *old = fs_cwd;

	ip->refs++;
	fs_cwd = ip;
	return inode_unref_locked(old);
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
		ramfs_inode_free(dead);
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
		ramfs_inode_free(dead);
	return 0;
}

#define SEARCH_DEPTH 64

/*
 * Under vfs_mutex: an entry naming the non-directory ip, with its
 * directory in *dir, or NULL. Files do not know their directory, so the
 * tree is searched depth first (to SEARCH_DEPTH levels); only readlink of
 * /proc's links asks, and it is rare.
 */
static struct dentry *find_entry(struct inode *ip, struct inode **dir)
{
	struct dentry *stack[SEARCH_DEPTH]; /* the way down from the root */
	struct inode *cur = fs_root;
	struct dentry *d = dir_next(cur, NULL);
	unsigned depth = 0;

	for (;;) {
		while (!d) {
			if (!depth)
				return NULL;
			cur = cur->dir.parent;
			d = dir_next(cur, stack[--depth]);
		}
		if (d->inode == ip) {
			*dir = cur;
			return d;
		}
		if (d->inode->type == S_IFDIR && depth < SEARCH_DEPTH) {
			stack[depth++] = d;
			cur = d->inode;
			d = dir_next(cur, NULL);
		} else {
			d = dir_next(cur, d);
		}
	}
}

/* Puts "/name" in front of p (within tmp); NULL if it does not fit. */
static char *prepend(char *tmp, char *p, const struct dentry *d)
{
	if ((size_t)(p - tmp) < d->namelen + 1u)
		return NULL;
	p -= d->namelen;
	memcpy(p, d->name, d->namelen);
	*--p = '/';
	return p;
}

char *inode_path(struct inode *ip, char *tmp, int *err)
{
	char *p = tmp + PATH_MAX - 1;
	struct dentry *d;

	*p = '\0';
	*err = -ENOENT;
	if (!ip->nlink)
		return NULL;
	if (ip->type != S_IFDIR) {
		d = find_entry(ip, &ip);
		if (!d)
			return NULL;
		p = prepend(tmp, p, d);
	}
	while (p && ip != fs_root) {
		struct inode *parent = ip->dir.parent;

		d = dir_find_inode(parent, ip);
		if (!d)
			return NULL;
		p = prepend(tmp, p, d);
		ip = parent;
	}
	*err = -ENAMETOOLONG;
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
	p = inode_path(fs_cwd, tmp, &err);
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

/* ---- setup ---- */
static int make_dir(const char *path, uint32_t mode)
{
	int err = vfs_mkdirat(NULL, path, 0);

	return err ? err : vfs_chmodat(NULL, path, mode, 0);
}

int fs_init(void)
{
	int err;

	fs_root = ramfs_inode_new(S_IFDIR | 0755, 0);
	if (!fs_root)
		return -ENOMEM;
	fs_root->nlink = 2;
	fs_root->refs = 2; /* its own, and as the working directory */
	fs_root->dir.parent = fs_root;
	fs_cwd = fs_root;
	err = make_dir("/dev", 0755);
	if (!err)
		err = make_dir("/dev/shm", 01777);
	if (!err)
		err = make_dir("/tmp", 01777);
	if (!err)
		err = make_dir("/proc", 0555);
	if (!err)
		err = devfs_init();
	if (!err)
		err = procfs_init();
	return err;
}
INIT_STEP(55, fs_init);
