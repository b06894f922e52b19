/*
 * Fuzzes mount_opts_parse (fs/mount_opts.c), mount(2)'s option string,
 * for each file system kind, with the input in a buffer of exactly its
 * size (no NUL: ASan sees any read past it). Checks: the result is 0 or
 * -EINVAL; only tmpfs sets mode/uid/gid/limits; a field is nonzero only
 * when its bit is set; the same bytes with a NUL after them parse the
 * same; a refused option list stays refused with ",ro" after it, and an
 * accepted one accepted with ",rw" after it, read-write.
 */
#include <stdlib.h>
#include <string.h>

#include "fs/mount_opts.h"

static void check_fields(const struct mount_opts *o, enum mount_fs fs)
{
	uint32_t tmpfs_only =
	    MOUNT_OPT_MODE | MOUNT_OPT_UID | MOUNT_OPT_GID | MOUNT_OPT_LIMITS;

	if (fs != MOUNT_FS_TMPFS && (o->set & tmpfs_only))
		abort();
	if (o->set & ~(tmpfs_only | MOUNT_OPT_RO))
		abort();
	if ((o->mode && !(o->set & MOUNT_OPT_MODE)) ||
	    (o->uid && !(o->set & MOUNT_OPT_UID)) ||
	    (o->gid && !(o->set & MOUNT_OPT_GID)) ||
	    (o->rdonly && !(o->set & MOUNT_OPT_RO)) ||
	    ((o->size || o->nr_inodes) && !(o->set & MOUNT_OPT_LIMITS)))
		abort();
}

/* data + suffix, in a buffer of exactly that size. */
static int parse_with(const uint8_t *data, size_t size, const char *suffix,
		      enum mount_fs fs, struct mount_opts *o)
{
	size_t n = strlen(suffix);
	char *buf = malloc(size + n + 1);
	int err;

	memcpy(buf, data, size);
	memcpy(buf + size, suffix, n);
	err = mount_opts_parse(buf, size + n, fs, o);
	free(buf);
	return err;
}

static void one_fs(const uint8_t *data, size_t size, enum mount_fs fs)
{
	struct mount_opts o, again;
	int err = parse_with(data, size, "", fs, &o);
	int nul_err = parse_with(data, size, "\0", fs, &again);

	if (err != 0 && err != -22)
		abort();
	if (err == 0)
		check_fields(&o, fs);
	if (nul_err != err || (!err && memcmp(&o, &again, sizeof(o))))
		abort();
	if (memchr(data, '\0', size))
		return; /* a suffix after a NUL is never read */
	if (err && !parse_with(data, size, ",ro", fs, &again))
		abort();
	if (!err && (parse_with(data, size, ",rw", fs, &again) || again.rdonly))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_fs(data, size, MOUNT_FS_TMPFS);
	one_fs(data, size, MOUNT_FS_9P);
	one_fs(data, size, MOUNT_FS_EXT4);
	return 0;
}
