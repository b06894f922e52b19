/*
 * Path lookup from the root directory, component by component, following
 * symbolic links met on the way (and the last one when asked) as Linux
 * does: at most 40 links, paths at most 4096 bytes, names at most 255.
 * An absolute link target restarts at the root; a relative one continues
 * in the directory that holds the link.
 */
#include "fs/ext4/ext4_private.h"

#define EXT4_PATH_MAX 4096
#define EXT4_MAX_SYMLINKS 40

struct walk {
	char *path, *link; /* EXT4_PATH_MAX bytes each */
	const char *p;	   /* what is left of path */
	uint32_t dir;	   /* where p is resolved */
	int links;
};

/* path := target + "/" + the rest; the rest may live inside path. */
static int splice_link(struct ext4_fs *fs, struct ext4_inode *ip,
		       struct walk *w, const char *rest)
{
	size_t rlen = strlen(rest);
	long n;

	if (++w->links > EXT4_MAX_SYMLINKS)
		return -ELOOP;
	n = ext4_readlink(fs, ip, w->link, EXT4_PATH_MAX);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT;
	if ((size_t)n + 1 + rlen + 1 > EXT4_PATH_MAX)
		return -ENAMETOOLONG;
	w->link[n] = '/';
	memcpy(w->link + n + 1, rest, rlen + 1);
	memcpy(w->path, w->link, (size_t)n + rlen + 2);
	w->p = w->path;
	if (w->path[0] == '/')
		w->dir = EXT4_ROOT_INO;
	return 0;
}

/* Resolves one component of w->p; 1 when the path is used up. */
static int step(struct ext4_fs *fs, struct walk *w, bool follow)
{
	const char *name = w->p, *rest;
	struct ext4_inode *dir, *ip;
	size_t len;
	uint32_t ino;
	int err;

	while (*name == '/')
		name++;
	if (!*name)
		return 1;
	for (len = 0; name[len] && name[len] != '/'; len++)
		;
	for (rest = name + len; *rest == '/'; rest++)
		;
	if ((err = ext4_iget(fs, w->dir, &dir)))
		return err;
	err = ext4_lookup(fs, dir, name, len, &ino);
	ext4_iput(dir);
	if (err || (err = ext4_iget(fs, ino, &ip)))
		return err;
	if ((ip->mode & S_IFMT_) == S_IFLNK_ && (*rest || follow))
		err = splice_link(fs, ip, w, rest);
	else if (*rest && !ext4_is_dir(ip))
		err = -ENOTDIR;
	else
		w->dir = ino, w->p = rest;
	ext4_iput(ip);
	return err;
}

int ext4_namei(struct ext4_fs *fs, const char *path, bool follow, uint32_t *ino)
{
	struct walk w = {.dir = EXT4_ROOT_INO};
	size_t len = strlen(path);
	int err;

	if (len >= EXT4_PATH_MAX)
		return -ENAMETOOLONG;
	w.path = malloc(2 * EXT4_PATH_MAX);
	if (!w.path)
		return -ENOMEM;
	w.link = w.path + EXT4_PATH_MAX;
	memcpy(w.path, path, len + 1);
	w.p = w.path;
	while (!(err = step(fs, &w, follow)))
		;
	free(w.path);
	if (err == 1)
		*ino = w.dir;
	return err == 1 ? 0 : err;
}
