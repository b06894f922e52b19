/*
 * mount(2) and umount2(2): the arguments copied in and the flags sorted
 * as Linux's path_mount() sorts them (man 2 mount: a remount, then a
 * bind, then a propagation change, then a move, else a new mount); the
 * work is fs/mount.c's.
 *
 * Osprey has one mount namespace with no peers, so every mount is
 * private already: MS_PRIVATE, MS_SLAVE (a slave of nothing is private)
 * and MS_UNBINDABLE (there are no bind mounts) change nothing and
 * succeed; MS_SHARED, MS_BIND and MS_MOVE are not there (EINVAL,
 * reported once). Of the per-mount flags, MS_RDONLY is kept; the atime
 * policies, MS_NOSUID (Osprey's exec never changes credentials),
 * MS_SILENT and MS_MANDLOCK (Linux ignores it too) are accepted;
 * MS_NODEV, MS_NOEXEC, MS_SYNCHRONOUS, MS_DIRSYNC and MS_NOSYMFOLLOW,
 * which would need enforcing, are EINVAL, reported once.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "linux/ipc.h"
#include "linux/linux.h"
#include "linux/sys.h"

/* Linux: include/uapi/linux/mount.h */
#define MS_RDONLY 1ul
#define MS_NOSUID 2ul
#define MS_NODEV 4ul
#define MS_NOEXEC 8ul
#define MS_SYNCHRONOUS 16ul
#define MS_REMOUNT 32ul
#define MS_MANDLOCK 64ul
#define MS_DIRSYNC 128ul
#define MS_NOSYMFOLLOW 256ul
#define MS_NOATIME 1024ul
#define MS_NODIRATIME 2048ul
#define MS_BIND 4096ul
#define MS_MOVE 8192ul
#define MS_REC 16384ul
#define MS_SILENT 32768ul
#define MS_UNBINDABLE (1ul << 17)
#define MS_PRIVATE (1ul << 18)
#define MS_SLAVE (1ul << 19)
#define MS_SHARED (1ul << 20)
#define MS_RELATIME (1ul << 21)
#define MS_STRICTATIME (1ul << 24)
#define MS_LAZYTIME (1ul << 25)
#define MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
#define MS_MGC_MSK 0xffff0000ul
#define MS_MGC_VAL 0xc0ed0000ul
#define MS_ACCEPTED                                                            \
	(MS_RDONLY | MS_NOSUID | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME |    \
	 MS_SILENT | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_REMOUNT)
#define MS_ENFORCED_ONLY                                                       \
	(MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC | MS_NOSYMFOLLOW)

#define MNT_FORCE 1
#define MNT_DETACH 2
#define MNT_EXPIRE 4
#define UMOUNT_NOFOLLOW 8

/* A string argument into a new buffer of max bytes (NULL pointer: "").
 * Too long: -ENAMETOOLONG for paths; options are cut (as Linux copies
 * one page of them). */
static long arg_string(long uptr, size_t max, bool cut, char **out)
{
	char *buf = malloc(max);
	long n = 0;

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	if (uptr)
		n = strncpy_from_user(buf, (uint64_t)uptr, max);
	if (n == -ENAMETOOLONG && cut)
		n = 0, buf[max - 1] = '\0';
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	return 0;
}

static long mount_propagation(const char *target, unsigned long flags)
{
	unsigned long type = flags & MS_PROPAGATION;

	if (type & (type - 1))
		return -EINVAL; /* exactly one, as Linux */
	if (type == MS_SHARED) {
		linux_missing("mount MS_SHARED (one namespace, no peers)");
		return -EINVAL;
	}
	/* every mount is private already: only check it is one */
	return vfs_mount_check(target);
}

static long mount_sorted(const char *src, const char *target, const char *type,
			 unsigned long flags, const char *data)
{
	if (flags & MS_REMOUNT)
		return vfs_remount(target, flags & MS_RDONLY);
	if (flags & MS_BIND) {
		linux_missing("mount MS_BIND");
		return -EINVAL;
	}
	if (flags & MS_PROPAGATION)
		return mount_propagation(target, flags);
	if (flags & MS_MOVE) {
		linux_missing("mount MS_MOVE");
		return -EINVAL;
	}
	if (flags & MS_ENFORCED_ONLY) {
		linux_missing("mount MS_NODEV/MS_NOEXEC/MS_SYNCHRONOUS/"
			      "MS_DIRSYNC/MS_NOSYMFOLLOW");
		return -EINVAL;
	}
	if (flags & ~(MS_ACCEPTED | MS_REC))
		return -EINVAL;
	return vfs_mount_new(src, target, type, flags & MS_RDONLY, data);
}

long sys_mount(long usrc, long utarget, long utype, long flags, long udata,
	       long f)
{
	char *src = NULL, *target = NULL, *type = NULL, *data = NULL;
	unsigned long fl = (unsigned long)flags;
	long r;

	if ((fl & MS_MGC_MSK) == MS_MGC_VAL)
		fl &= ~MS_MGC_MSK;
	if ((r = arg_string(utarget, PATH_MAX, false, &target)) ||
	    (r = arg_string(usrc, PATH_MAX, false, &src)) ||
	    (r = arg_string(utype, 256, true, &type)) ||
	    (r = arg_string(udata, PAGE_SIZE, true, &data)))
		goto out;
	r = cred_capable(CAP_SYS_ADMIN)
		? mount_sorted(src, target, type, fl, data)
		: -EPERM;
out:
	free(src), free(target), free(type), free(data);
	return r;
}

long sys_umount2(long utarget, long flags, long c, long d, long e, long f)
{
	char *target = NULL;
	int fs_flags = 0;
	long r;

	if (flags &
	    ~(long)(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	if ((r = arg_string(utarget, PATH_MAX, false, &target)))
		return r;
	if (!cred_capable(CAP_SYS_ADMIN)) {
		r = -EPERM;
	} else if (flags & MNT_EXPIRE) {
		linux_missing("umount2 MNT_EXPIRE");
		r = -EINVAL;
	} else {
		/* MNT_FORCE: none of our file systems can abort its
		 * requests, so it is a plain umount, as on Linux's */
		fs_flags |= (flags & MNT_DETACH) ? FS_MNT_DETACH : 0;
		fs_flags |= (flags & UMOUNT_NOFOLLOW) ? FS_UMOUNT_NOFOLLOW : 0;
		r = vfs_umount(target, fs_flags);
	}
	free(target);
	return r;
}
