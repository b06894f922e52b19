/*
 * openat2 (man 2 openat2): openat with a struct open_how that is checked
 * strictly, as Linux's build_open_flags does: unknown open flags, unknown
 * RESOLVE_* bits, a mode without O_CREAT/O_TMPFILE, O_PATH with flags it
 * does not take are EINVAL; a larger struct with non-zero tail bytes is
 * E2BIG. RESOLVE_CACHED is honoured (everything is cached; O_CREAT,
 * O_TRUNC and O_TMPFILE are EAGAIN as Linux). The path-walk restrictions
 * (RESOLVE_NO_XDEV, NO_MAGICLINKS, NO_SYMLINKS, BENEATH, IN_ROOT) are not
 * yet honoured by fs/'s walk: they are ENOSYS, reported once, so that
 * callers take the fallback they have for kernels without openat2 rather
 * than an unchecked open.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "linux/sys.h"

#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20
#define RESOLVE_WALK 0x1f /* the ones fs/ does not honour yet */
#define VALID_OPEN_FLAGS 0x7fffc3ull /* Linux's, x86-64 */
#define O_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define O_TMPFILE_BIT 020000000
#define OPEN_HOW_SIZE 24

struct open_how {
	uint64_t flags, mode, resolve;
};

/* copy_struct_from_user: a larger struct's tail must be zero. */
static long how_from_user(long uhow, long size, struct open_how *how)
{
	if (size < OPEN_HOW_SIZE)
		return -EINVAL;
	if (size > (long)PAGE_SIZE)
		return -E2BIG;
	if (copy_from_user(how, (uint64_t)uhow, sizeof(*how)))
		return -EFAULT;
	for (long off = OPEN_HOW_SIZE; off < size; off += 8) {
		uint64_t w = 0;
		size_t n = (size_t)MIN(8, size - off);
		if (copy_from_user(&w, (uint64_t)uhow + (uint64_t)off, n))
			return -EFAULT;
		if (w)
			return -E2BIG;
	}
	return 0;
}

static long how_check(const struct open_how *how)
{
	bool creates = how->flags & (O_CREAT | O_TMPFILE_BIT);

	if (how->flags & ~VALID_OPEN_FLAGS || how->resolve & ~0x3full)
		return -EINVAL;
	if ((how->resolve & RESOLVE_BENEATH) && (how->resolve & RESOLVE_IN_ROOT))
		return -EINVAL;
	if (creates ? how->mode & ~07777ull : how->mode != 0)
		return -EINVAL;
	if ((how->flags & O_PATH) && (how->flags & ~(uint64_t)O_PATH_FLAGS))
		return -EINVAL;
	if ((how->resolve & RESOLVE_CACHED) &&
	    (how->flags & (O_CREAT | O_TRUNC | O_TMPFILE_BIT)))
		return -EAGAIN;
	if (how->resolve & RESOLVE_WALK) {
		linux_missing("openat2 RESOLVE_NO_XDEV, NO_MAGICLINKS, "
			      "NO_SYMLINKS, BENEATH or IN_ROOT");
		return -ENOSYS;
	}
	return 0;
}

long sys_openat2(long dirfd, long upath, long uhow, long size, long e, long f)
{
	struct open_how how;
	long r = how_from_user(uhow, size, &how);

	if (!r)
		r = how_check(&how);
	return r ? r : sys_openat(dirfd, upath, (long)how.flags, (long)how.mode,
				  0, 0);
}
