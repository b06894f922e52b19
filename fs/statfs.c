/*
 * statfs(2) and fstatfs(2): the file system that holds the file, through
 * its super_ops.statfs. For a device node that is the file system the
 * node lives on, never what is on the device: as on Linux, statfs of
 * /dev/vda describes /dev's devtmpfs, whatever the disk holds.
 *
 * Without a statfs hook: ramfs instances (the root, devtmpfs, /dev/shm,
 * memfd's) report what Linux reports for tmpfs, sized by memory, since
 * Linux's rootfs and devtmpfs are tmpfs; anything else is an empty file
 * system of its magic number. Files without an inode (pipes, sockets,
 * epoll and the other anonymous files) are on Linux's pipefs, sockfs and
 * anon_inodefs. f_flags carries ST_VALID, as Linux since 2.6.36, and
 * ST_RDONLY for a read-only mount; f_fsid is zero, as tmpfs's.
 */
#include "fs/fs_private.h"
#include "kernel/mm/mm.h"

/* Linux: include/uapi/linux/magic.h */
#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534f434b
#define ANON_INODE_FS_MAGIC 0x09041934
#define ST_RDONLY 1
#define ST_VALID 0x20
#define NAME_MAX_LINUX 255

static void memory_fs(struct kstatfs *st)
{
	struct mm_stats m;

	mm_get_stats(&m);
	st->type = TMPFS_MAGIC;
	st->blocks = m.total_pages;
	st->bfree = st->bavail = m.free_pages;
	st->files = st->ffree = 1 << 20;
}

/* Under vfs_mutex: sb stays mounted. */
static int sb_statfs(struct super_block *sb, struct kstatfs *st)
{
	int err = 0;

	memset(st, 0, sizeof(*st));
	st->bsize = st->frsize = PAGE_SIZE;
	st->namelen = NAME_MAX_LINUX;
	if (sb->ops && sb->ops->statfs)
		err = sb->ops->statfs(sb, st);
	else if (sb->magic == RAMFS_MAGIC)
		memory_fs(st);
	else
		st->type = sb->magic;
	st->flags |= ST_VALID | (sb->rdonly ? ST_RDONLY : 0);
	return err;
}

int vfs_fstatfs(struct file *f, struct kstatfs *st)
{
	if (f->inode) {
		mutex_lock(&vfs_mutex);
		int err = sb_statfs(f->inode->sb, st);
		mutex_unlock(&vfs_mutex);
		return err;
	}
	uint32_t type = f->mode & S_IFMT;
	memset(st, 0, sizeof(*st));
	st->type = type == S_IFSOCK  ? SOCKFS_MAGIC
		   : type == S_IFIFO ? PIPEFS_MAGIC
				     : ANON_INODE_FS_MAGIC;
	st->bsize = st->frsize = PAGE_SIZE;
	st->namelen = NAME_MAX_LINUX;
	st->flags = ST_VALID;
	return 0;
}

int vfs_statfs(struct file *dir, const char *path, struct kstatfs *st)
{
	struct inode *ip;
	struct file *f;
	int fd;

	mutex_lock(&vfs_mutex);
	int err = lookup_inode_fd(dir, path, 0, &ip, &fd);
	if (!err)
		err = sb_statfs(ip->sb, st);
	mutex_unlock(&vfs_mutex);
	/* /proc/<pid>/fd/N of a pipe or socket: the file's own */
	if (err == -ENXIO && fd >= 0 && (f = fd_get(fd))) {
		err = vfs_fstatfs(f, st);
		file_put(f);
	}
	return err;
}
