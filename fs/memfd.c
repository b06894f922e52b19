/*
 * memfd_create(2): a regular file with no name, in memory, and its seals
 * (man 2 fcntl, "File Sealing"). A seal can only be added: F_SEAL_SEAL
 * stops further seals, F_SEAL_SHRINK and F_SEAL_GROW fix the size from
 * one side, F_SEAL_WRITE stops writes and writable shared mappings (none
 * may exist when it is added: -EBUSY), F_SEAL_FUTURE_WRITE stops new
 * ones, F_SEAL_EXEC keeps the mode's execute bits. A memfd made without
 * MFD_ALLOW_SEALING is born with F_SEAL_SEAL. The seals live on the inode
 * (under its lock); fs/file.c and fs/attr.c check them on write and on
 * size changes, the mmap path asks vfs_file_seals.
 */
#include "fs/fs_private.h"

#define MFD_CLOEXEC 1u
#define MFD_ALLOW_SEALING 2u
#define MFD_HUGETLB 4u
#define MFD_NOEXEC_SEAL 8u
#define MFD_EXEC 0x10u
#define MEMFD_NAME_MAX 249 /* Linux: NAME_MAX - strlen("memfd:") */

int vfs_memfd_create(const char *name, unsigned flags, struct file **out)
{
	if (strlen(name) > MEMFD_NAME_MAX)
		return -EINVAL;
	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL |
		      MFD_EXEC | MFD_HUGETLB) ||
	    (flags & MFD_NOEXEC_SEAL && flags & MFD_EXEC))
		return -EINVAL;
	if (flags & MFD_HUGETLB)
		return -EINVAL; /* no hugetlbfs: Linux's answer without it */
	uint32_t mode = flags & MFD_NOEXEC_SEAL ? 0666 : 0777;
	struct inode *ip = ramfs_new_inode(ramfs_shm_sb, S_IFREG | mode);
	if (!ip)
		return -ENOMEM;
	ip->memfd = true;
	ip->seals = flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL)
			? 0
			: F_SEAL_SEAL;
	if (flags & MFD_NOEXEC_SEAL)
		ip->seals |= F_SEAL_EXEC;
	mutex_lock(&vfs_mutex);
	ip->refs++;
	mutex_unlock(&vfs_mutex);
	return file_open_inode(ip, O_RDWR | O_LARGEFILE, out);
}

/* The memfd behind f, or NULL (fcntl's seal commands: -EINVAL). */
static struct inode *memfd_inode(struct file *f)
{
	struct inode *ip = f->inode;

	return ip && ip->memfd && !(f->flags & O_PATH) ? ip : NULL;
}

int vfs_get_seals(struct file *f)
{
	struct inode *ip = memfd_inode(f);

	if (!ip)
		return -EINVAL;
	mutex_lock(&ip->lock);
	int seals = (int)ip->seals;
	mutex_unlock(&ip->lock);
	return seals;
}

int vfs_add_seals(struct file *f, unsigned seals)
{
	struct inode *ip = memfd_inode(f);
	int err = 0;

	if (!ip || (seals & ~F_SEAL_ALL))
		return -EINVAL;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EPERM; /* Linux: only through a writable descriptor */
	mutex_lock(&ip->lock);
	if (ip->seals & F_SEAL_SEAL)
		err = -EPERM;
	else if ((seals & F_SEAL_WRITE) && !(ip->seals & F_SEAL_WRITE) &&
		 ip->pins)
		err = -EBUSY; /* shared mappings could still write */
	else
		ip->seals |= seals;
	mutex_unlock(&ip->lock);
	return err;
}

unsigned vfs_file_seals(struct file *f)
{
	struct inode *ip = f->inode;

	if (!ip || !ip->memfd)
		return 0;
	mutex_lock(&ip->lock);
	unsigned seals = ip->seals;
	mutex_unlock(&ip->lock);
	return seals;
}

int memfd_check_size(const struct inode *ip, int64_t new_size)
{
	if ((ip->seals & F_SEAL_SHRINK) && new_size < ip->size)
		return -EPERM;
	if ((ip->seals & F_SEAL_GROW) && new_size > ip->size)
		return -EPERM;
	return 0;
}
