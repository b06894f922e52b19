/*
 * cachestat (man 2 cachestat, Linux 6.5): the page-cache state of a range
 * of a file. Osprey's files are in memory, so every page of a regular
 * file's range that lies within its size counts as cached, none as dirty,
 * under writeback or evicted; other files (pipes, sockets, devices) have
 * no pages, as Linux's anonymous inodes.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "linux/sys.h"

struct cachestat_range {
	uint64_t off, len;
};

struct cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
	    nr_recently_evicted;
};

/* Pages of [first, last] below a file of `size` bytes. */
static uint64_t pages_in(uint64_t first, uint64_t last, int64_t size)
{
	if (size <= 0)
		return 0;
	uint64_t end = ((uint64_t)size - 1) / PAGE_SIZE;

	return first > end ? 0 : MIN(last, end) - first + 1;
}

long sys_cachestat(long fd, long urange, long ustat, long flags, long e,
		   long f)
{
	struct cachestat_range cr;
	struct cachestat cs = {0};
	struct kstat st;
	struct file *file = fd_get((int)fd);
	long r = !file ? -EBADF : flags ? -EINVAL : 0;

	if (!r && copy_from_user(&cr, (uint64_t)urange, sizeof(cr)))
		r = -EFAULT;
	if (!r && !vfs_fstat(file, &st) && S_ISREG(st.mode)) {
		uint64_t first = cr.off / PAGE_SIZE;
		uint64_t last = !cr.len || cr.off + cr.len < cr.off
				    ? UINT64_MAX
				    : (cr.off + cr.len - 1) / PAGE_SIZE;
		cs.nr_cache = pages_in(first, last, st.size);
	}
	if (file)
		file_put(file);
	if (!r && copy_to_user((uint64_t)ustat, &cs, sizeof(cs)))
		r = -EFAULT;
	return r;
}
