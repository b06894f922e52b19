/*
 * mount(2)'s option string (the `data` argument), parsed without side
 * effects so that the host fuzzer (tests/fuzz/fuzz_mountopt.c) links it
 * alone. The caller applies the result (fs/mount.c).
 */
#ifndef FS_MOUNT_OPTS_H
#define FS_MOUNT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mount_fs { MOUNT_FS_TMPFS, MOUNT_FS_9P, MOUNT_FS_EXT4 };

/* Which fields of struct mount_opts an option set. */
#define MOUNT_OPT_MODE 0x01u
#define MOUNT_OPT_UID 0x02u
#define MOUNT_OPT_GID 0x04u
#define MOUNT_OPT_RO 0x08u     /* "ro" or "rw": rdonly says which */
#define MOUNT_OPT_LIMITS 0x10u /* size= or nr_inodes=: not enforced */

/* The caller's, on its stack; filled by mount_opts_parse. */
struct mount_opts {
	uint32_t set; /* MOUNT_OPT_* */
	uint32_t mode, uid, gid;
	bool rdonly;   /* the last of "ro"/"rw" */
	uint64_t size; /* size= in bytes (0 with a % size) */
	uint64_t nr_inodes;
};

/* Parses data[0..len) (stops early at a NUL): 0, or -EINVAL for an
 * option `fs` does not take or a bad value (Linux: "Unknown parameter",
 * "Bad value for"). */
int mount_opts_parse(const char *data, size_t len, enum mount_fs fs,
		     struct mount_opts *o);

#endif
