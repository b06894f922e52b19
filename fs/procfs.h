/*
 * Private to fs/procfs.c and the /proc files fs/ makes itself
 * (fs/proc_sys.c, fs/proc_vfs.c): the text buffer's insides.
 */
#ifndef FS_PROCFS_H
#define FS_PROCFS_H

#include "fs/fs.h"

#define PROC_MAX (1u << 20) /* the most text one file holds */

/* What does not fit is counted but not written, so the caller can retry
 * with a buffer of the size it learns. */
struct proc_buf {
	char *buf;	 /* cap + 1 bytes: room for vsnprintf's NUL */
	size_t cap, len; /* len > cap: it did not fit */
};

/* Under vfs_mutex: the inode of /proc/<name>; -ENOENT if none. */
int procfs_find_root(const char *name, size_t len, struct inode **out);

#endif
