/*
 * A validating reader for cpio "newc" archives, the initramfs format
 * (Linux: Documentation/driver-api/early-userspace/buffer-format.rst).
 * The archive is outside input: nothing is read past buf + len, and every
 * offset is computed with overflow checks.
 */
#ifndef FS_CPIO_H
#define FS_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct cpio_entry {
	const char *name; /* NUL-terminated in the archive */
	size_t namelen;	  /* without the NUL */
	uint32_t ino, mode, uid, gid, nlink, mtime, devmajor, devminor,
	    rdevmajor, rdevminor;
	const void *data; /* file contents, or a symlink's target */
	size_t size;
};

/*
 * Reads the entry at *offset (0 to start; always 4-byte aligned). Returns
 * 1 and advances *offset past it; 0 at the end of the input (after the
 * last trailer and any zero padding, or for empty input); -EINVAL for a
 * malformed archive with *err (if err is not NULL) set to a static
 * message. Trailers are consumed, not returned; after one, zero bytes up
 * to the next archive or the end are skipped.
 *
 * Names are only checked to be NUL-terminated with no NUL inside: they
 * may be absolute or hold "..", which is the caller's to refuse.
 */
int cpio_next(const void *buf, size_t len, size_t *offset, struct cpio_entry *e,
	      const char **err);

/* Walks the whole archive: the number of entries, or -EINVAL with *err. */
long cpio_validate(const void *buf, size_t len, const char **err);

#endif
