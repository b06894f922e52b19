/*
 * The mount table: which superblock shows where. A mount point is a
 * directory inode with ->mounted set (holding a reference, so it stays
 * while covered); the path walk (fs/namei.c) crosses it both ways. The
 * table is a list in mount order under vfs_mutex, the order
 * /proc/mounts prints. Unmounting comes with umount2(2).
 */
#include "fs/fs_private.h"

static struct mount *mounts; /* under vfs_mutex */
static unsigned next_id = 1; /* under vfs_mutex */

/* Under vfs_mutex: the first mount (the root). */
static int mount_root(struct mount *m)
{
	if (fs_root)
		return -EBUSY;
	fs_root = m->sb->root;
	fs_root->refs++; /* as the working directory */
	fs_cwd_set(fs_root);
	m->parent = m;
	return 0;
}

/* Under vfs_mutex: m on the directory at path. */
static int mount_on(struct mount *m, const char *path)
{
	struct lookup l;
	int err = lookup(NULL, path, true, &l);

	if (err)
		return err;
	if (l.ip->type != S_IFDIR)
		return -ENOTDIR;
	if (l.ip->mounted)
		return -EBUSY;
	l.ip->refs++;
	l.ip->mounted = m;
	m->mountpoint = l.ip;
	m->parent = l.ip->sb->mnt;
	return 0;
}

int vfs_mount(struct super_block *sb, const char *path, bool rdonly)
{
	struct mount *m = calloc(1, sizeof(*m));
	struct mount **tail;
	int err;

	if (!m)
		return -ENOMEM;
	m->sb = sb;
	m->rdonly = rdonly || sb->rdonly;
	mutex_lock(&vfs_mutex);
	err = strcmp(path, "/") ? mount_on(m, path) : mount_root(m);
	if (!err) {
		sb->mnt = m;
		m->id = next_id++;
		for (tail = &mounts; *tail; tail = &(*tail)->next)
			;
		*tail = m;
	}
	mutex_unlock(&vfs_mutex);
	if (err)
		free(m);
	return err;
}

struct mount *mount_next(struct mount *m)
{
	return m ? m->next : mounts;
}
