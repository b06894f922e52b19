/*
 * The old time-setting calls (man 2 utime, utimes, futimesat): utime's
 * whole seconds and utimes' microseconds become utimensat's nanoseconds
 * (linux/sys_namei.c's vfs_utimensat); a NULL times means "now" for both,
 * and futimesat with a NULL path sets the directory descriptor's own file
 * as Linux does.
 */
#include "fs/fs.h"
#include "linux/sys.h"

struct timeval_k {
	int64_t sec, usec;
};

static long set_times(long dirfd, long upath, const struct timespec_k *t)
{
	struct at_path p = {0};
	long r;

	if (!upath && dirfd == AT_FDCWD)
		return -EFAULT; /* Linux looks up the NULL path */
	if (upath) {
		if ((r = at_get(dirfd, upath, &p)))
			return r;
	} else if (!(p.dir = fd_get((int)dirfd))) {
		return -EBADF;
	}
	r = vfs_utimensat(p.dir, p.path, t, 0);
	at_put(&p);
	return r;
}

/* utimes' and futimesat's struct timeval[2]: EINVAL for a bad usec. */
static long from_timevals(long utv, struct timespec_k *t)
{
	struct timeval_k tv[2];

	if (copy_from_user(tv, (uint64_t)utv, sizeof(tv)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].usec < 0 || tv[i].usec >= 1000000)
			return -EINVAL;
		t[i] = (struct timespec_k){tv[i].sec, tv[i].usec * 1000};
	}
	return 0;
}

long sys_futimesat(long dirfd, long upath, long utv, long d, long e, long f)
{
	struct timespec_k t[2];
	long r = utv ? from_timevals(utv, t) : 0;

	return r ? r : set_times(dirfd, upath, utv ? t : NULL);
}

long sys_utimes(long upath, long utv, long c, long d, long e, long f)
{
	return sys_futimesat(AT_FDCWD, upath, utv, 0, 0, 0);
}

long sys_utime(long upath, long ubuf, long c, long d, long e, long f)
{
	int64_t secs[2]; /* struct utimbuf: actime, modtime */
	struct timespec_k t[2];

	if (ubuf && copy_from_user(secs, (uint64_t)ubuf, sizeof(secs)))
		return -EFAULT;
	t[0] = (struct timespec_k){ubuf ? secs[0] : 0, 0};
	t[1] = (struct timespec_k){ubuf ? secs[1] : 0, 0};
	return set_times(AT_FDCWD, upath, ubuf ? t : NULL);
}
