/*
 * The extended-attribute calls (man 2 getxattr, setxattr, listxattr,
 * removexattr): path, l-path (no final symlink) and fd forms of each,
 * with Linux's argument checks; the attributes themselves are fs/'s.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "linux/sys.h"

enum form { BY_PATH, BY_LPATH, BY_FD };

/* What a call names: an open file, or a path from the working directory. */
struct target {
	struct at_path p;
	struct file *f;
	int at_flags;
};

static int target_get(enum form form, long arg, struct target *t)
{
	*t = (struct target){.at_flags = form == BY_LPATH ? AT_SYMLINK_NOFOLLOW
							  : 0};
	if (form == BY_FD) {
		t->f = fd_get((int)arg);
		return t->f ? 0 : -EBADF;
	}
	return at_get(AT_FDCWD, arg, &t->p);
}

static void target_put(struct target *t)
{
	if (t->f)
		file_put(t->f);
	else
		at_put(&t->p);
}

/* The file and path to hand fs/: (file, NULL) or (NULL, path). */
#define TARGET_ARGS(t) (t)->f ? (t)->f : (t)->p.dir, (t)->f ? NULL : (t)->p.path

/* An attribute name: 1 to 255 bytes, else -ERANGE (Linux's import). */
static int name_get(long uname, char name[XATTR_NAME_MAX + 1])
{
	long n = strncpy_from_user(name, uname, XATTR_NAME_MAX + 1);

	if (n == -ENAMETOOLONG || n == 0)
		return -ERANGE;
	return n < 0 ? (int)n : 0;
}

static long do_get(enum form form, long arg, long uname, long uval, long size)
{
	char name[XATTR_NAME_MAX + 1];
	struct target t;
	int err = name_get(uname, name);

	if (err)
		return err;
	size_t n = (size_t)size > XATTR_SIZE_MAX ? XATTR_SIZE_MAX : (size_t)size;
	void *buf = n ? malloc(n) : NULL;
	if (n && !buf)
		return -ENOMEM;
	err = target_get(form, arg, &t);
	int64_t r = err ? err : vfs_getxattr(TARGET_ARGS(&t), t.at_flags, name,
					     buf, n);
	if (!err)
		target_put(&t);
	if (r > 0 && n && copy_to_user(uval, buf, (size_t)r))
		r = -EFAULT;
	free(buf);
	return r;
}

static long do_set(enum form form, long arg, long uname, long uval, long size,
		   long flags)
{
	char name[XATTR_NAME_MAX + 1];
	struct target t;

	if (flags & ~(long)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	int err = name_get(uname, name);
	if (err)
		return err;
	if ((size_t)size > XATTR_SIZE_MAX)
		return -E2BIG;
	void *buf = size ? malloc((size_t)size) : NULL;
	if (size && !buf)
		return -ENOMEM;
	if (size && copy_from_user(buf, uval, (size_t)size))
		err = -EFAULT;
	if (!err)
		err = target_get(form, arg, &t);
	if (!err) {
		err = vfs_setxattr(TARGET_ARGS(&t), t.at_flags, name, buf,
				   (size_t)size, (int)flags);
		target_put(&t);
	}
	free(buf);
	return err;
}

static long do_list(enum form form, long arg, long ulist, long size)
{
	struct target t;
	size_t n = (size_t)size > XATTR_LIST_MAX ? XATTR_LIST_MAX : (size_t)size;
	char *buf = n ? malloc(n) : NULL;

	if (n && !buf)
		return -ENOMEM;
	int err = target_get(form, arg, &t);
	int64_t r = err ? err : vfs_listxattr(TARGET_ARGS(&t), t.at_flags, buf, n);
	if (!err)
		target_put(&t);
	if (r > 0 && n && copy_to_user(ulist, buf, (size_t)r))
		r = -EFAULT;
	free(buf);
	return r;
}

static long do_remove(enum form form, long arg, long uname)
{
	char name[XATTR_NAME_MAX + 1];
	struct target t;
	int err = name_get(uname, name);

	if (!err)
		err = target_get(form, arg, &t);
	if (err)
		return err;
	err = vfs_removexattr(TARGET_ARGS(&t), t.at_flags, name);
	target_put(&t);
	return err;
}

long sys_getxattr(long path, long name, long val, long size, long e, long f)
{
	return do_get(BY_PATH, path, name, val, size);
}

long sys_lgetxattr(long path, long name, long val, long size, long e, long f)
{
	return do_get(BY_LPATH, path, name, val, size);
}

long sys_fgetxattr(long fd, long name, long val, long size, long e, long f)
{
	return do_get(BY_FD, fd, name, val, size);
}

long sys_setxattr(long path, long name, long val, long size, long flags,
		  long f)
{
	return do_set(BY_PATH, path, name, val, size, flags);
}

long sys_lsetxattr(long path, long name, long val, long size, long flags,
		   long f)
{
	return do_set(BY_LPATH, path, name, val, size, flags);
}

long sys_fsetxattr(long fd, long name, long val, long size, long flags, long f)
{
	return do_set(BY_FD, fd, name, val, size, flags);
}

long sys_listxattr(long path, long list, long size, long d, long e, long f)
{
	return do_list(BY_PATH, path, list, size);
}

long sys_llistxattr(long path, long list, long size, long d, long e, long f)
{
	return do_list(BY_LPATH, path, list, size);
}

long sys_flistxattr(long fd, long list, long size, long d, long e, long f)
{
	return do_list(BY_FD, fd, list, size);
}

long sys_removexattr(long path, long name, long c, long d, long e, long f)
{
	return do_remove(BY_PATH, path, name);
}

long sys_lremovexattr(long path, long name, long c, long d, long e, long f)
{
	return do_remove(BY_LPATH, path, name);
}

long sys_fremovexattr(long fd, long name, long c, long d, long e, long f)
{
	return do_remove(BY_FD, fd, name);
}
