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
 * Magic links (inode_ops.follow: /proc's) have no target string: they
 * lead straight to an inode (an open file's, the working directory), as
 * Linux's do, so they work for files that have no name any more.
 *
 * Mount points: a step onto a directory with something mounted on it
 * lands on the mounted root, and ".." from a mounted root leaves through
 * the mount point, so a walk never sees a covered directory.
 */
#include "fs/fs_private.h"

struct mutex vfs_mutex = MUTEX_INIT;
struct inode *fs_root;

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

int lookup_name(struct inode *dir, const char *name, size_t len,
		struct inode **out)
{
	if (!dir->ops->lookup)
		return -ENOENT;
	return dir->ops->lookup(dir, name, len, out);
}

/* What is mounted on ip, if anything: the root of the top mount. */
static struct inode *cross(struct inode *ip)
{
	while (ip->mounted)
		ip = ip->mounted->sb->root;
	return ip;
}

/* "..": from a mounted root, the mount point's parent. */
static struct inode *parent_of(struct inode *dir)
{
	if (dir == fs_proc_root())
		return dir; /* "/.." is "/", also after chroot */
	while (dir == dir->sb->root && dir != fs_root && dir->sb->mnt &&
	       dir->sb->mnt->mountpoint)
		dir = dir->sb->mnt->mountpoint;
	return dir->parent; /* NULL once the directory is gone */
}

int lookup_step(struct inode *dir, const char *name, size_t len,
		struct inode **out)
{
	int err;

	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (is_dot(name, len)) {
		*out = dir;
		return 0;
	}
	if (is_dotdot(name, len)) {
		*out = parent_of(dir);
		return *out ? 0 : -ENOENT;
	}
	err = lookup_name(dir, name, len, out);
	if (!err)
		*out = cross(*out);
	return err;
}

/* Under vfs_mutex: the name of ip in dir (NAME_MAX + 1 bytes, with its
 * NUL), found by listing dir; its length or -ENOENT. */
struct name_search {
	struct dir_context ctx;
	uint64_t ino;
	char *name;
	int len;
};

static bool name_match(struct dir_context *ctx, const char *name, size_t len,
		       uint64_t ino, uint32_t type, int64_t next)
{
	struct name_search *s = container_of(ctx, struct name_search, ctx);

	if (ino != s->ino)
		return true;
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	s->len = len;
	return false;
}

int inode_name_in(struct inode *dir, struct inode *ip, char *name)
{
	struct name_search s = {{name_match, false}, ip->ino, name, -ENOENT};
	int64_t pos = 2;

	if (!dir->ops->iterate || dir->sb != ip->sb)
		return -ENOENT;
	dir->ops->iterate(dir, &pos, &s.ctx);
	return s.len;
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

/* A symlink's target; "" (-ENOENT) when the file system has none. */
static const char *link_text(struct inode *ip)
{
	return ip->ops->get_link ? ip->ops->get_link(ip) : "";
}

/* A magic link's inode; -ENXIO with *outside_fd for a file outside the
 * tree, which only the last component may be (else -ENOTDIR). */
static int follow_magic(struct inode *link, struct inode **out,
			int *outside_fd)
{
	int fd = -1;
	int err = link->ops->follow(link, out, &fd);

	if (err != -ENXIO)
		return err;
	if (!outside_fd)
		return -ENOTDIR; /* a pipe in the middle of a path */
	*outside_fd = fd;
	return err;
}

/* Walks all but the last component of `path`, starting at `cur`. */
static int walk_parent(struct lookup *l, struct inode *cur, const char *p)
{
	const char *stack[MAXSYMLINKS]; /* what follows each open link */
	unsigned depth = 0;

	if (*p == '/')
		cur = fs_proc_root();
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
		if (next->ops->follow) {
			err = follow_magic(next, &cur, NULL);
			if (err)
				return err;
			p = rest;
			continue;
		}
		if (*rest)
			stack[depth++] = rest;
		p = link_text(next);
		if (!*p)
			return -ENOENT;
		if (*p == '/')
			cur = fs_proc_root();
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
		if (l->ip->ops->follow) {
			err = follow_magic(l->ip, &l->ip, &l->outside_fd);
			if (err) {
				l->ip = NULL;
				return err;
			}
			break;
		}
		t = link_text(l->ip);
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
	struct inode *start = dir ? dir->inode : fs_cwd();
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
		*out = dir ? dir->inode : fs_cwd();
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
