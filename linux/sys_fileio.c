/*
 * The second pass over file I/O (issue 12): fadvise64, readahead,
 * sync_file_range, preadv2/pwritev2 with their RWF_* flags, the old
 * getdents, fchmodat2, and name_to_handle_at/open_by_handle_at answered
 * as Linux answers on a file system without file handles (procfs).
 * Everything Osprey holds is in memory and written synchronously, so the
 * hints and the syncs have nothing to do once their arguments are
 * checked; what each one checks is Linux's (mm/fadvise.c, mm/readahead.c,
 * fs/sync.c, fs/read_write.c, fs/fhandle.c, fs/readdir.c).
 */
#include "fs/fs.h"
#include "fs/poll.h"
#include "kernel/mm/mm.h"
#include "linux/sys.h"

#define POSIX_FADV_NOREUSE 5  /* the last advice value */
#define SYNC_FILE_RANGE_ALL 7 /* WAIT_BEFORE | WRITE | WAIT_AFTER */
#define RWF_HIPRI 0x01
#define RWF_DSYNC 0x02
#define RWF_SYNC 0x04
#define RWF_NOWAIT 0x08
#define RWF_APPEND 0x10
#define RWF_DONE (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)
#define RWF_NOAPPEND 0x20
#define RWF_ATOMIC 0x40
#define RWF_DONTCACHE 0x80
#define RWF_KNOWN (RWF_DONE | RWF_NOAPPEND | RWF_ATOMIC | RWF_DONTCACHE)
#define AT_HANDLE_FID 0x200
#define AT_HANDLE_MNT_ID_UNIQUE 0x001
#define AT_HANDLE_CONNECTABLE 0x002
#define MAX_HANDLE_SZ 128
#define ESTALE 116

static int file_type(struct file *f)
{
	struct kstat st;

	return vfs_fstat(f, &st) ? 0 : (int)(st.mode & S_IFMT);
}

static bool readable(struct file *f)
{
	int acc = f->flags & O_ACCMODE;

	return !(f->flags & O_PATH) && acc != O_WRONLY;
}

/* ---- hints and syncs ---- */
static long fadvise(struct file *f, long len, long advice)
{
	if (file_type(f) == S_IFIFO)
		return -ESPIPE;
	if (len < 0 || advice < 0 || advice > POSIX_FADV_NOREUSE)
		return -EINVAL;
	return 0; /* the data is in memory whatever the advice */
}

long sys_fadvise64(long fd, long off, long len, long advice, long e, long g)
{
	struct file *f = fd_get((int)fd);
	long r = f ? fadvise(f, len, advice) : -EBADF;

	if (f)
		file_put(f);
	return r;
}

long sys_readahead(long fd, long off, long count, long d, long e, long g)
{
	struct file *f = fd_get((int)fd);
	long r = -EBADF;

	if (f && readable(f))
		r = file_type(f) == S_IFREG ? 0 : -EINVAL;
	if (f)
		file_put(f);
	return r;
}

static long sync_range(struct file *f, int64_t off, int64_t n, long flags)
{
	int type = file_type(f);
	int64_t end;

	if (flags & ~(long)SYNC_FILE_RANGE_ALL)
		return -EINVAL;
	if (off < 0 || __builtin_add_overflow(off, n, &end) || end < 0 ||
	    end < off)
		return -EINVAL;
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK &&
	    type != 0060000 /* S_IFBLK */)
		return -ESPIPE;
	return 0; /* nothing is waiting to be written */
}

long sys_sync_file_range(long fd, long off, long n, long flags, long e, long g)
{
	struct file *f = fd_get((int)fd);
	long r = f ? sync_range(f, off, n, flags) : -EBADF;

	if (f)
		file_put(f);
	return r;
}

/* ---- preadv2 and pwritev2 ---- */
static long rwf_check(long flags)
{
	if (flags & ~(long)RWF_KNOWN)
		return -EOPNOTSUPP;
	if (flags & RWF_NOAPPEND) {
		linux_missing("pwritev2 RWF_NOAPPEND");
		return -EOPNOTSUPP;
	}
	if (flags & (RWF_ATOMIC | RWF_DONTCACHE)) {
		linux_missing("preadv2/pwritev2 RWF_ATOMIC/RWF_DONTCACHE");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* RWF_NOWAIT: a file that would wait (a pipe, a socket) answers EAGAIN;
 * regular files never wait here. 0 when it may go on. */
static long nowait_check(long fd, bool write)
{
	struct file *f = fd_get((int)fd);
	long r = -EBADF;

	if (f) {
		unsigned want = write ? POLLOUT : POLLIN | POLLHUP;
		r = vfs_poll(f, NULL) & want ? 0 : -EAGAIN;
		file_put(f);
	}
	return r;
}

/* RWF_APPEND: where the write goes, the end of the file. */
static long append_at(long fd, long *pos)
{
	struct file *f = fd_get((int)fd);
	struct kstat st;
	int64_t end;

	if (!f)
		return -EBADF;
	/* the size from stat: files without pages (ext4's) have one too */
	end = *pos == -1	     ? vfs_lseek(f, 0, SEEK_END)
	      : vfs_fstat(f, &st) ? -EINVAL
	      : S_ISREG(st.mode)  ? st.size
				  : -ESPIPE;
	file_put(f);
	if (end >= 0 && *pos != -1)
		*pos = end; /* else: not seekable, the write says so */
	return 0;
}

static long rwv2(long fd, long uiov, long n, long pos, long flags, bool write)
{
	long r = rwf_check(flags);

	if (!r && pos < -1)
		r = -EINVAL;
	if (!r && (flags & RWF_NOWAIT))
		r = nowait_check(fd, write);
	if (!r && write && (flags & RWF_APPEND))
		r = append_at(fd, &pos);
	if (r)
		return r;
	if (pos == -1)
		return write ? sys_writev(fd, uiov, n, 0, 0, 0)
			     : sys_readv(fd, uiov, n, 0, 0, 0);
	return write ? sys_pwritev(fd, uiov, n, pos, 0, 0)
		     : sys_preadv(fd, uiov, n, pos, 0, 0);
}

/* x86-64 passes the whole offset in pos_l (pos_h is shifted out). */
long sys_preadv2(long fd, long uiov, long n, long pos_l, long pos_h, long flags)
{
	return rwv2(fd, uiov, n, pos_l, flags, false);
}

long sys_pwritev2(long fd, long uiov, long n, long pos_l, long pos_h,
		  long flags)
{
	return rwv2(fd, uiov, n, pos_l, flags, true);
}

/* ---- getdents: struct linux_dirent, the layout before d_type moved ---- */
/*
 * The old record is as long as the new one (8 + 8 + 2 bytes, the name,
 * its NUL and d_type in the last byte, rounded to 8), so each record of
 * getdents64 is rewritten in place: the name moves back one byte and
 * d_type goes last.
 */
static void to_old_dirents(char *buf, size_t n)
{
	for (size_t at = 0; at < n;) {
		struct linux_dirent64 *d = (void *)(buf + at);
		uint16_t len = d->d_reclen;
		uint8_t type = d->d_type;
		char *name = buf + at + 18;

		memmove(name, d->d_name, strlen(d->d_name) + 1);
		buf[at + len - 1] = (char)type;
		at += len;
	}
}

long sys_getdents(long fd, long ubuf, long size, long d, long e, long g)
{
	struct file *f = fd_get((int)fd);
	char *tmp;
	long r;

	if (!f)
		return -EBADF;
	size = MIN(size, 65536);
	tmp = size > 0 ? malloc((size_t)size) : NULL;
	if (size <= 0)
		r = -EINVAL;
	else
		r = tmp ? vfs_getdents64(f, tmp, (size_t)size) : -ENOMEM;
	if (r > 0)
		to_old_dirents(tmp, (size_t)r);
	if (r > 0 && copy_to_user(ubuf, tmp, (size_t)r))
		r = -EFAULT;
	free(tmp);
	file_put(f);
	return r;
}

/* ---- fchmodat2: fchmodat with flags ---- */
long sys_fchmodat2(long dirfd, long upath, long mode, long flags, long e,
		   long g)
{
	struct at_path p;
	long r;

	if (flags & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = at_get(dirfd, upath, &p);
	if (r)
		return r;
	r = vfs_chmodat(p.dir, p.path, (uint32_t)mode, (int)flags);
	at_put(&p);
	return r;
}

/* ---- file handles: none of Osprey's file systems has them ---- */
long sys_name_to_handle_at(long dirfd, long upath, long uhandle, long umnt,
			   long flags, long g)
{
	long ok = AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID |
		  AT_HANDLE_MNT_ID_UNIQUE | AT_HANDLE_CONNECTABLE;
	int at_flags = (flags & AT_EMPTY_PATH) |
		       (flags & AT_SYMLINK_FOLLOW ? 0 : AT_SYMLINK_NOFOLLOW);
	struct at_path p;
	struct kstat st;
	long r;

	if (flags & ~ok)
		return -EINVAL;
	r = at_get(dirfd, upath, &p);
	if (r)
		return r;
	r = vfs_statat(p.dir, p.path, &st, at_flags);
	at_put(&p);
	if (!r && (flags & AT_HANDLE_FID))
		linux_missing("name_to_handle_at AT_HANDLE_FID");
	return r ? r : -EOPNOTSUPP; /* Linux: no export operations */
}

struct file_handle_k {
	uint32_t bytes;
	int32_t type;
};

long sys_open_by_handle_at(long mountfd, long uhandle, long flags, long d,
			   long e, long g)
{
	struct file_handle_k h;
	struct file *m = NULL;

	if ((int)mountfd != AT_FDCWD && !(m = fd_get((int)mountfd)))
		return -EBADF;
	if (m)
		file_put(m);
	if (copy_from_user(&h, uhandle, sizeof(h)))
		return -EFAULT;
	if (h.bytes == 0 || h.bytes > MAX_HANDLE_SZ || h.type < 0)
		return -EINVAL;
	/* No handle names anything here: Linux's answer for a file system
	 * without fh_to_dentry. */
	return -ESTALE;
}
