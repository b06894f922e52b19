/*
 * Path lookup, under vfs_mutex (Linux: path_resolution(7)).
 *
 * A path is split at runs of '/'; an absolute path starts at the root, a
 * relative one at the given directory or the working directory. "." is
 * the directory itself and ".." its parent (the root's is the root).
 * Every component but the last must be a directory, or a symlink to one;
 * the last is left to the caller (lookup_parent) or looked up with or
 * without following a final symlink (walk_last). A trailing slash makes
 * the last component a directory: it follows a symlink even without
 * "follow", and anything else is -ENOTDIR.
 *
 * Symlinks are followed without recursion: the rest of the path after a
 * link waits on a small stack while the link's target is walked from the
 * link's directory (or from the root when absolute). Symlink targets
 * never change once made, and vfs_mutex keeps every inode on the way
 * alive, so the walk holds plain pointers into them. At most MAXSYMLINKS
 * links are followed in one lookup: -ELOOP beyond.
 *
 * /proc's links (fs/procfs.c) have no target string: they lead straight
 * to an inode (an open file's, the working directory), as Linux's "magic"
 * links do, so they work for files that have no name any more.
 */
#include "fs/fs_private.h"

struct mutex vfs_mutex = MUTEX_INIT;
struct inode *fs_root;
struct inode *fs_cwd;

static bool is_dot(const char *s, size_t n)
{
	return n == 1 && s[0] == '.';
}

static bool is_dotdot(const char *s, size_t n)
{
	return n == 2 && s[0] == '.' && s[1] == '.';
}

bool lookup_is_special(const struct lookup *l)
{
	return l->len == 0 || is_dot(l->last, l->len) ||
	       is_dotdot(l->last, l->len);
}

bool lookup_is_dot(const struct lookup *l)
{
	return is_dot(l->last, l->len);
}

int lookup_step(struct inode *dir, const char *name, size_t len,
		struct inode **out)
{
	struct dentry *d;

	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (is_dot(name, len)) {
		*out = dir;
		return 0;
	}
	if (is_dotdot(name, len)) {
		*out = dir->dir.parent; /* NULL once the directory is gone */
		return *out ? 0 : -ENOENT;
	}
	d = dir->proc ? procfs_lookup(dir, name, len)
		      : dir_lookup(dir, name, len);
	if (!d)
		return -ENOENT;
	*out = d->inode;
	return 0;
}

/* Records the last component of the path being walked. */
static int set_last(struct lookup *l, struct inode *dir, const char *name,
		    const char *end, const char *rest)
{
	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	l->dir = dir;
	l->last = name;
	l->len = end - name;
	l->slash = rest != end;
	return 0;
}

/* Walks all but the last component of `path`, starting at `cur`. */
static int walk_parent(struct lookup *l, struct inode *cur, const char *p)
{
	const char *stack[MAXSYMLINKS]; /* what follows each open link */
	unsigned depth = 0;

	if (*p == '/')
		cur = fs_root;
	for (;;) {
		const char *name, *end, *rest;
		struct inode *next;
		int err;

		while (*p == '/')
			p++;
		if (!*p && depth) {
			p = stack[--depth];
			continue;
		}
		for (name = end = p; *end && *end != '/'; end++)
			;
		for (rest = end; *rest == '/'; rest++)
			;
		if (end == name || (!*rest && !depth))
			return set_last(l, cur, name, end, rest);
		err = lookup_step(cur, name, end - name, &next);
		if (err)
			return err;
		if (next->type != S_IFLNK) {
			cur = next;
			p = rest;
			continue;
		}
		if (++l->links > MAXSYMLINKS)
			return -ELOOP;
		if (next->proc) {
			err = procfs_follow(next, &cur, NULL);
			if (err)
				return err;
			p = rest;
			continue;
		}
		if (*rest)
			stack[depth++] = rest;
		p = next->target;
		if (!*p)
			return -ENOENT;
		if (*p == '/')
			cur = fs_root;
	}
}

int walk_last(struct lookup *l, bool follow)
{
	for (;;) {
		bool slash = l->slash;
		const char *t;
		int err;

		if (l->len == 0) {
			l->ip = l->dir;
			break;
		}
		err = lookup_step(l->dir, l->last, l->len, &l->ip);
		if (err) {
			l->ip = NULL;
			l->missing =
			    err == -ENOENT && !is_dotdot(l->last, l->len);
			return err;
		}
		if (l->ip->type != S_IFLNK || !(follow || l->slash))
			break;
		if (++l->links > MAXSYMLINKS)
			return -ELOOP;
		if (l->ip->proc) {
			err = procfs_follow(l->ip, &l->ip, &l->outside_fd);
			if (err) {
				l->ip = NULL;
				return err;
			}
			break;
		}
		t = l->ip->target;
		if (!*t)
			return -ENOENT;
		err = walk_parent(l, l->dir, t);
		if (err)
			return err;
		l->slash |= slash;
	}
	if (l->slash && l->ip->type != S_IFDIR)
		return -ENOTDIR;
	return 0;
}

static int check_path(const char *path)
{
	size_t n = strnlen(path, PATH_MAX);

	if (n == PATH_MAX)
		return -ENAMETOOLONG;
	return n ? 0 : -ENOENT;
}

int lookup_parent(struct file *dir, const char *path, struct lookup *l)
{
	struct inode *start = dir ? dir->inode : fs_cwd;
	int err = check_path(path);

	memset(l, 0, sizeof(*l));
	l->outside_fd = -1;
	if (err)
		return err;
	if (!start && *path != '/')
		return -ENOTDIR; /* a pipe or socket as the directory */
	return walk_parent(l, start, path);
}

int lookup(struct file *dir, const char *path, bool follow, struct lookup *l)
{
	int err = lookup_parent(dir, path, l);

	return err ? err : walk_last(l, follow);
}

int lookup_create(struct file *dir, const char *path, bool is_dir,
		  struct lookup *l)
{
	int err = lookup_parent(dir, path, l);

	if (err)
		return err;
	if (lookup_is_special(l))
		return -EEXIST;
	err = lookup_step(l->dir, l->last, l->len, &l->ip);
	if (!err)
		return -EEXIST;
	if (err != -ENOENT)
		return err;
	if (l->slash && !is_dir)
		return -ENOENT;
	return LOAD(l->dir->nlink) ? 0 : -ENOENT; /* a removed directory */
}

int lookup_inode_fd(struct file *dir, const char *path, int at_flags,
		    struct inode **out, int *outside_fd)
{
	struct lookup l;
	int err;

	*outside_fd = -1;
	if ((at_flags & AT_EMPTY_PATH) && path && !*path)
		path = NULL;
	if (!path) {
		*out = dir ? dir->inode : fs_cwd;
		return *out ? 0 : -EOPNOTSUPP; /* a file outside the tree */
	}
	err = lookup(dir, path, !(at_flags & AT_SYMLINK_NOFOLLOW), &l);
	*out = l.ip;
	*outside_fd = l.outside_fd;
	return err;
}

int lookup_inode(struct file *dir, const char *path, int at_flags,
		 struct inode **out)
{
	int outside_fd;

	return lookup_inode_fd(dir, path, at_flags, out, &outside_fd);
}
