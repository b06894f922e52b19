/*
 * The file systems at boot (init step 55), the one place that names
 * them: a ramfs as "/" with /dev (devtmpfs, devpts under it), /tmp and
 * /proc (procfs), and the ramfs instance memfd_create's files live on.
 */
#include "fs/fs_private.h"

static int make_dir(const char *path, uint32_t mode)
{
	int err = vfs_mkdirat(NULL, path, 0);

	return err ? err : vfs_chmodat(NULL, path, mode, 0);
}

/* Linux's device numbers for its pseudo file systems, so that st_dev
 * and mountinfo look familiar. */
#define ROOT_DEV fs_makedev(0, 1)
#define SHM_DEV fs_makedev(0, 2)

int fs_init(void)
{
	struct super_block *root = ramfs_mount("ramfs", "rootfs", ROOT_DEV);
	int err;

	ramfs_shm_sb = ramfs_mount("tmpfs", "shm", SHM_DEV);
	if (!root || !ramfs_shm_sb)
		return -ENOMEM;
	err = vfs_mount(root, "/", false);
	if (!err)
		err = make_dir("/dev", 0755);
	if (!err)
		err = make_dir("/tmp", 01777);
	if (!err)
		err = make_dir("/proc", 0555);
	if (!err)
		err = devfs_init();
	if (!err)
		err = procfs_mount();
	return err;
}
INIT_STEP(55, fs_init);
