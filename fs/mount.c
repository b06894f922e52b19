/*
 * The mount table: which superblock shows where. A mount point is a
 * directory inode with ->mounted set (holding a reference, so it stays
 * while covered); the path walk (fs/namei.c) crosses it both ways. The
 * table is a list in mount order under vfs_mutex, the order
 * /proc/mounts prints.
 *
 * mount(2) makes a new superblock through the file system's own mount
 * function and puts it here; umount2(2) asks the superblock's umount
 * hook, which answers -EBUSY while any of its inodes is held (an open
 * file, a working directory, a mapping, a mount on one of its
 * directories) and otherwise writes back and frees everything. The
 * mount's read-only flag is the superblock's (one mount per superblock),
 * so a remount flips both.
 */
#include "block/block.h"
#include "fs/9p/9p.h"
#include "fs/fs_private.h"
#include "fs/mount_opts.h"

static struct mount *mounts; /* under vfs_mutex */
static int tmpfs_new(const char *source, const char *target, const char *type,
		     bool rdonly, const char *data);
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

/* Under vfs_mutex: m moves from its mount point to the directory to. */
static void mount_move(struct mount *m, struct inode *to)
{
	struct inode *from = m->mountpoint;

	from->mounted = NULL;
	inode_unref_locked(from); /* still named or the root: not dead */
	to->refs++;
	to->mounted = m;
	m->mountpoint = to;
	m->parent = to->sb->mnt;
}

/* The boot root's mounts and RAM directories that a disk root takes
 * over, as the initramfs root has them. */
static const char *const carried[] = {"dev", "proc", "tmp"};
#define NCARRIED 3

/* Under vfs_mutex: the directories of the new root that take the boot
 * root's /dev, /proc and /tmp (-ENOENT, reported, when one is
 * missing). */
static int carried_dirs(struct inode *root, struct inode **to)
{
	for (unsigned i = 0; i < NCARRIED; i++) {
		int err =
		    lookup_name(root, carried[i], strlen(carried[i]), &to[i]);

		if (!err && to[i]->type != S_IFDIR)
			err = -ENOTDIR;
		if (err) {
			kprintf("osprey: the root file system has no /%s "
				"directory\n",
				carried[i]);
			return err;
		}
	}
	return 0;
}

/* Under vfs_mutex: m becomes "/" over the boot root (a disk as the root
 * file system, --mount=vda:/). It covers the boot root's directory,
 * takes over as fs_root and the working directory, and the boot
 * root's /dev and /proc mounts move onto its own; /tmp gets a tmpfs
 * afterwards (vfs_mount). What stays beneath is out of every path. */
static int mount_over_root(struct mount *m)
{
	struct inode *to[NCARRIED], *old = fs_root;
	struct mount *boot[2];
	struct lookup l;
	int err = carried_dirs(m->sb->root, to);

	for (unsigned i = 0; i < 2 && !err; i++) {
		err = lookup_name(old, carried[i], strlen(carried[i]), &l.ip);
		if (!err && !l.ip->mounted)
			err = -ENOENT;
		if (!err)
			boot[i] = l.ip->mounted;
	}
	if (err)
		return err;
	old->refs++;
	old->mounted = m;
	m->mountpoint = old;
	m->parent = old->sb->mnt;
	fs_root = m->sb->root;
	fs_root->refs++;			 /* as the working directory */
	inode_unref_locked(fs_cwd_set(fs_root)); /* old: still covered */
	for (unsigned i = 0; i < 2; i++)
		mount_move(boot[i], to[i]);
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
	m->fixed_ro = sb->rdonly;
	m->rdonly = rdonly || sb->rdonly;
	sb->rdonly = m->rdonly;
	mutex_lock(&vfs_mutex);
	err = strcmp(path, "/") ? mount_on(m, path)
	      : fs_root		? mount_over_root(m)
				: mount_root(m);
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
	if (!err && m->mountpoint && !strcmp(path, "/"))
		err = tmpfs_new("tmpfs", "/tmp", "tmpfs", false, "mode=1777");
	return err;
}

struct mount *mount_next(struct mount *m)
{
	return m ? m->next : mounts;
}

/* ---- mount(2), umount2(2) ---- */
/* Reports `what` once (each call site has its own flag), from any
 * context: no lock. */
#define mount_missing(what)                                                    \
	do {                                                                   \
		static bool seen_;                                             \
		if (!__atomic_exchange_n(&seen_, true, __ATOMIC_RELAXED))      \
			kprintf("osprey: %s\n", what);                         \
	} while (0)

/* Under vfs_mutex: the mount whose root path names (-EINVAL: not one). */
static int mount_at(const char *path, bool follow, struct mount **out)
{
	struct lookup l;
	int err = lookup(NULL, path, follow, &l);

	if (err)
		return err;
	if (l.ip != l.ip->sb->root || !l.ip->sb->mnt)
		return -EINVAL;
	*out = l.ip->sb->mnt;
	return 0;
}

/* Under vfs_mutex: m leaves the table and its mount point; the mount
 * point's inode if that was its last reference. */
static struct inode *mount_unlink(struct mount *m)
{
	struct mount **p = &mounts;
	struct inode *mp = m->mountpoint;

	while (*p != m)
		p = &(*p)->next;
	*p = m->next;
	mp->mounted = NULL;
	free(m);
	return inode_unref_locked(mp);
}

int vfs_umount(const char *target, int flags)
{
	struct inode *dead = NULL;
	struct mount *m = NULL;
	int err;

	mutex_lock(&vfs_mutex);
	err = mount_at(target, !(flags & FS_UMOUNT_NOFOLLOW), &m);
	if (!err && (!m->mountpoint || m->sb->syncing))
		err = -EBUSY; /* "/", or a sync(2) is writing it back */
	if (!err)
		err = m->sb->ops->umount ? m->sb->ops->umount(m->sb) : -EBUSY;
	if (err == -EBUSY && (flags & FS_MNT_DETACH) && m && m->mountpoint) {
		m->sb->mnt = NULL; /* lives on for what holds its inodes */
		err = 0;
		mount_missing("umount2: MNT_DETACH of a busy mount keeps its "
			      "superblock in memory for good");
	}
	if (!err)
		dead = mount_unlink(m);
	mutex_unlock(&vfs_mutex);
	if (dead)
		inode_evict(dead);
	return err;
}

int vfs_mount_check(const char *target)
{
	struct mount *m;
	int err;

	mutex_lock(&vfs_mutex);
	err = mount_at(target, true, &m);
	mutex_unlock(&vfs_mutex);
	return err;
}

int vfs_remount(const char *target, bool rdonly)
{
	struct super_block *sb = NULL;
	struct mount *m;
	int err;

	mutex_lock(&vfs_mutex);
	err = mount_at(target, true, &m);
	if (!err && !rdonly && m->fixed_ro)
		err = -EROFS;
	if (!err) {
		sb = m->sb;
		m->rdonly = sb->rdonly = rdonly;
	}
	mutex_unlock(&vfs_mutex);
	if (!err && rdonly && sb->ops->sync)
		err = sb->ops->sync(sb); /* what was written so far */
	return err;
}

/* Under vfs_mutex: whether a mounted superblock has st_dev dev. */
static bool dev_mounted(uint64_t dev)
{
	for (struct mount *m = mounts; m; m = m->next)
		if (m->sb->dev == dev)
			return true;
	return false;
}

/* ext4 on the block device node `source`: its disk's name. */
static int ext4_source(const char *source, const char **disk)
{
	struct lookup l;
	int err;

	mutex_lock(&vfs_mutex);
	err = lookup(NULL, source, true, &l);
	if (!err && l.ip->type != S_IFBLK)
		err = -ENOTBLK;
	if (!err && dev_mounted(l.ip->rdev))
		err = -EBUSY;
	for (struct blkdev *d = blk_first(); !err; d = d->next) {
		if (!d) {
			err = -ENXIO;
		} else if (fs_makedev(d->major, d->minor) == l.ip->rdev) {
			*disk = d->name;
			break;
		}
	}
	mutex_unlock(&vfs_mutex);
	if (err == -EBUSY)
		mount_missing("mount: a disk mounted twice (Linux shares the "
			      "superblock between the two)");
	return err;
}

static unsigned next_anon_minor = 64; /* atomic: tmpfs st_dev */

/* Applies tmpfs's parsed options to its new root. */
static void tmpfs_apply(struct inode *root, const struct mount_opts *o)
{
	if (o->set & MOUNT_OPT_MODE)
		root->mode = o->mode & 07777;
	if (o->set & MOUNT_OPT_UID)
		root->uid = o->uid;
	if (o->set & MOUNT_OPT_GID)
		root->gid = o->gid;
	if (o->set & MOUNT_OPT_LIMITS)
		mount_missing("tmpfs: size= and nr_inodes= are not enforced");
}

static int tmpfs_new(const char *source, const char *target, const char *type,
		     bool rdonly, const char *data)
{
	unsigned minor =
	    __atomic_fetch_add(&next_anon_minor, 1, __ATOMIC_RELAXED);
	size_t n = strnlen(source, PATH_MAX);
	char *src = malloc(n + 1);
	struct super_block *sb = NULL;
	struct mount_opts o;
	int err = -ENOMEM;

	if (src)
		memcpy(src, source, n + 1);
	if (src)
		sb = ramfs_mount(type, src, fs_makedev(0, minor));
	if (!sb)
		goto out_free_src;
	sb->priv = src; /* ramfs's umount frees it */
	err = mount_opts_parse(data, strlen(data), MOUNT_FS_TMPFS, &o);
	if (!err)
		tmpfs_apply(sb->root, &o);
	if (!err)
		err = vfs_mount(sb, target, rdonly || o.rdonly);
	if (!err)
		return 0;
	sb->root->refs = 0;
	inode_evict(sb->root);
	free(sb);
out_free_src:
	free(src);
	return err;
}

/* The target exists and is a directory (the file systems' mount
 * functions would make it). */
static int target_ok(const char *target)
{
	struct lookup l;
	int err;

	mutex_lock(&vfs_mutex);
	err = lookup(NULL, target, true, &l);
	if (!err && l.ip->type != S_IFDIR)
		err = -ENOTDIR;
	mutex_unlock(&vfs_mutex);
	return err;
}

int vfs_mount_new(const char *source, const char *target, const char *type,
		  bool rdonly, const char *data)
{
	struct mount_opts o;
	const char *disk;
	int err = target_ok(target);

	if (err)
		return err;
	if (!strcmp(type, "tmpfs") || !strcmp(type, "ramfs"))
		return tmpfs_new(source, target,
				 type[0] == 't' ? "tmpfs" : "ramfs", rdonly,
				 data);
	if (!strcmp(type, "ext4") &&
	    mount_opts_parse(data, strlen(data), MOUNT_FS_EXT4, &o)) {
		mount_missing("mount: ext4 takes only ro/rw yet");
		return -EINVAL;
	}
	if (!strcmp(type, "ext4")) {
		err = ext4_source(source, &disk);
		return err ? err
			   : ext4_vfs_mount(disk, target, rdonly || o.rdonly);
	}
	if (!strcmp(type, "9p")) {
		if (mount_opts_parse(data, strlen(data), MOUNT_FS_9P, &o))
			return -EINVAL;
		err = p9_vfs_mount(source, target, rdonly || o.rdonly);
		return err == -ENODEV ? -ENOENT : err; /* no such tag */
	}
	if (!strcmp(type, "proc")) {
		mount_missing("mount: proc has one instance, at /proc");
		return -EBUSY;
	}
	return -ENODEV;
}
