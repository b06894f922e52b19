/*
 * The inotify calls (man 7 inotify, inotify_init1, inotify_add_watch,
 * inotify_rm_watch) with Linux's argument checks; the watches and events
 * are fs/inotify.c's.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "linux/sys.h"

#define IN_FLAG_BITS                                                           \
	(IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR |                \
	 IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD |      \
	 IN_ISDIR | IN_ONESHOT)

long sys_inotify_init1(long flags, long b, long c, long d, long e, long g)
{
	struct file *f;
	int r, fd;

	if (flags & ~(long)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	r = inotify_create((int)flags, &f);
	if (r)
		return r;
	fd = fd_install(f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_inotify_init(long a, long b, long c, long d, long e, long g)
{
	return sys_inotify_init1(0, 0, 0, 0, 0, 0);
}

long sys_inotify_add_watch(long fd, long upath, long umask, long d, long e,
			   long g)
{
	uint32_t mask = (uint32_t)umask;
	struct at_path p;
	struct file *f;
	long r;

	if (!(mask & (IN_ALL_EVENTS | IN_FLAG_BITS)))
		return -EINVAL;
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	f = fd_get((int)fd);
	if (!f)
		return -EBADF;
	r = at_get(AT_FDCWD, upath, &p);
	if (!r) {
		r = inotify_add(f, p.path, mask);
		at_put(&p);
	}
	file_put(f);
	return r;
}

long sys_inotify_rm_watch(long fd, long wd, long c, long d, long e, long g)
{
	struct file *f = fd_get((int)fd);
	long r;

	if (!f)
		return -EBADF;
	r = inotify_rm(f, (int)wd);
	file_put(f);
	return r;
}
