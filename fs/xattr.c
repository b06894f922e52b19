/*
 * Extended attributes on ramfs inodes, with the rules of Linux's tmpfs
 * (man 7 xattr; fs/xattr.c's xattr_permission): names carry a namespace
 * prefix, "user." (regular files and directories only), "trusted." and
 * "security." are kept; "system." (POSIX ACLs) and anything else is
 * -EOPNOTSUPP. A name is 1 to 255 bytes (else -ERANGE), a value at most
 * 64 KiB (-E2BIG), and one inode holds at most XATTR_INODE_MAX bytes of
 * names and values (-ENOSPC), so attributes cannot eat the memory.
 *
 * Each inode keeps a list of attributes under its lock; the path calls
 * find the inode under vfs_mutex first, as the other attribute calls do.
 */
#include "fs/fs_private.h"

#include "kernel/mm/mm.h"

#define XATTR_INODE_MAX (1u << 20)

struct xattr {
	struct xattr *next;
	size_t size; /* of the value */
	char *value;
	char name[];
};

struct xattr_op {
	enum { XGET, XSET, XLIST, XREMOVE } what;
	const char *name;
	void *buf; /* get, list: out; set: in */
	size_t size;
	int flags;
};

static bool has_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

/* -ERANGE for a bad length, -EOPNOTSUPP for a namespace we do not keep,
 * and the user namespace's rule (-EPERM to write, -ENODATA to read). */
static int name_check_type(uint32_t type, const char *name, bool write)
{
	size_t len = strlen(name);

	if (!len || len > XATTR_NAME_MAX)
		return -ERANGE;
	if (has_prefix(name, "user.")) {
		if (type != S_IFREG && type != S_IFDIR)
			return write ? -EPERM : -ENODATA;
		return 0;
	}
	if (has_prefix(name, "trusted.") || has_prefix(name, "security."))
		return 0;
	return -EOPNOTSUPP;
}


/* A file outside the tree (a pipe, a socket) keeps no attributes, but
 * the user namespace's rule is checked first, as Linux does. */
static int64_t run_outside(const struct file *f, const struct xattr_op *op)
{
	if (op->what == XLIST)
		return 0;
	int err = name_check_type(f->mode & S_IFMT, op->name,
				  op->what != XGET);
	return err ? err : -EOPNOTSUPP;
}

/* Under ip->lock. */
static struct xattr **find(struct inode *ip, const char *name)
{
	struct xattr **pp = &ip->xattrs;

	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	return pp;
}

static size_t held_bytes(const struct inode *ip)
{
	size_t n = 0;

	for (const struct xattr *x = ip->xattrs; x; x = x->next)
		n += strlen(x->name) + 1 + x->size;
	return n;
}

static struct xattr *xattr_new(const char *name, const void *val, size_t size)
{
	size_t len = strlen(name) + 1;
	struct xattr *x = malloc(sizeof(*x) + len);

	if (!x)
		return NULL;
	x->value = size ? malloc(size) : NULL;
	if (size && !x->value) {
		free(x);
		return NULL;
	}
	memcpy(x->name, name, len);
	if (size)
		memcpy(x->value, val, size);
	x->size = size;
	x->next = NULL;
	return x;
}

static void xattr_free(struct xattr *x)
{
	free(x->value);
	free(x);
}

void xattr_free_all(struct inode *ip)
{
	while (ip->xattrs) {
		struct xattr *x = ip->xattrs;

		ip->xattrs = x->next;
		xattr_free(x);
	}
}

int64_t simple_getxattr(struct inode *ip, const char *name, void *buf,
			size_t size)
{
	int64_t r = 0;

	mutex_lock(&ip->lock);
	struct xattr *x = *find(ip, name);
	if (!x)
		r = -ENODATA;
	else if (size && size < x->size)
		r = -ERANGE;
	else if (size)
		memcpy(buf, x->value, x->size);
	if (x && r == 0)
		r = (int64_t)x->size;
	mutex_unlock(&ip->lock);
	return r;
}

/* Under ip->lock: puts x in the place of what pp points at (or adds it). */
static int replace(struct inode *ip, struct xattr **pp, struct xattr *x)
{
	size_t old = *pp ? strlen((*pp)->name) + 1 + (*pp)->size : 0;
	size_t add = strlen(x->name) + 1 + x->size;

	if (held_bytes(ip) - old + add > XATTR_INODE_MAX)
		return -ENOSPC;
	if (*pp) {
		x->next = (*pp)->next;
		xattr_free(*pp);
	}
	*pp = x;
	return 0;
}

int simple_setxattr(struct inode *ip, const char *name, const void *val,
		    size_t size, int flags)
{
	int err;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	struct xattr *x = xattr_new(name, val, size);
	if (!x)
		return -ENOMEM;
	mutex_lock(&ip->lock);
	struct xattr **pp = find(ip, name);
	if (*pp && (flags & XATTR_CREATE))
		err = -EEXIST;
	else if (!*pp && (flags & XATTR_REPLACE))
		err = -ENODATA;
	else
		err = replace(ip, pp, x);
	mutex_unlock(&ip->lock);
	if (err)
		xattr_free(x);
	else
		inode_touch(ip, false, true);
	return err;
}

int64_t simple_listxattr(struct inode *ip, char *buf, size_t size)
{
	int64_t len = 0;

	mutex_lock(&ip->lock);
	for (const struct xattr *x = ip->xattrs; x; x = x->next) {
		size_t n = strlen(x->name) + 1;

		if (size && (size_t)len + n > size) {
			len = -ERANGE;
			break;
		}
		if (size)
			memcpy(buf + len, x->name, n);
		len += (int64_t)n;
	}
	mutex_unlock(&ip->lock);
	return len;
}

int simple_removexattr(struct inode *ip, const char *name)
{
	mutex_lock(&ip->lock);
	struct xattr **pp = find(ip, name), *x = *pp;
	if (x)
		*pp = x->next;
	mutex_unlock(&ip->lock);
	if (!x)
		return -ENODATA;
	xattr_free(x);
	inode_touch(ip, false, true);
	return 0;
}

/* ---- the calls: one inode, found as the other attribute calls do ---- */
/* The file system's hook, after the namespace rules; a file system
 * without xattrs lists none and keeps none (-EOPNOTSUPP). */
static int64_t run(struct inode *ip, const struct xattr_op *op)
{
	const struct inode_ops *o = ip->ops;
	int64_t err = 0;

	if (op->what != XLIST)
		err = name_check_type(ip->type, op->name, op->what != XGET);
	if (err)
		return err;
	if (op->what != XGET && op->what != XLIST && ip->sb->rdonly)
		return -EROFS;
	switch (op->what) {
	case XGET:
		return o->getxattr ? o->getxattr(ip, op->name, op->buf, op->size)
				   : -EOPNOTSUPP;
	case XSET:
		return o->setxattr ? o->setxattr(ip, op->name, op->buf, op->size,
						 op->flags)
				   : -EOPNOTSUPP;
	case XLIST:
		return o->listxattr ? o->listxattr(ip, op->buf, op->size) : 0;
	default:
		return o->removexattr ? o->removexattr(ip, op->name)
				      : -EOPNOTSUPP;
	}
}

static bool changes(const struct xattr_op *op)
{
	return op->what == XSET || op->what == XREMOVE;
}

static int64_t xattr_at(struct file *dir, const char *path, int at_flags,
			const struct xattr_op *op)
{
	struct inode *ip;
	int64_t r;

	if (!path) { /* the f*xattr calls: dir is the file */
		if (dir->flags & O_PATH)
			return -EBADF;
		if (!dir->inode)
			return run_outside(dir, op);
		r = run(dir->inode, op);
		if (r >= 0 && changes(op))
			fsnotify_change(dir->inode, IN_ATTRIB);
		return r;
	}
	mutex_lock(&vfs_mutex);
	r = lookup_inode(dir, path, at_flags, &ip);
	if (!r)
		r = run(ip, op);
	if (r >= 0 && changes(op))
		fsnotify_change_locked(ip, IN_ATTRIB);
	mutex_unlock(&vfs_mutex);
	return r;
}

int64_t vfs_getxattr(struct file *dir, const char *path, int at_flags,
		     const char *name, void *buf, size_t size)
{
	struct xattr_op op = {XGET, name, buf, size, 0};

	return xattr_at(dir, path, at_flags, &op);
}

int vfs_setxattr(struct file *dir, const char *path, int at_flags,
		 const char *name, const void *val, size_t size, int flags)
{
	struct xattr_op op = {XSET, name, (void *)val, size, flags};

	return (int)xattr_at(dir, path, at_flags, &op);
}

int64_t vfs_listxattr(struct file *dir, const char *path, int at_flags,
		      char *buf, size_t size)
{
	struct xattr_op op = {XLIST, NULL, buf, size, 0};

	return xattr_at(dir, path, at_flags, &op);
}

int vfs_removexattr(struct file *dir, const char *path, int at_flags,
		    const char *name)
{
	struct xattr_op op = {XREMOVE, name, NULL, 0, 0};

	return (int)xattr_at(dir, path, at_flags, &op);
}
