/*
 * The block layer: disks (struct blkdev) that drivers register, and the
 * requests the rest of the kernel sends them. Its own folder, as Linux's
 * block/, because it sits between two others: drivers (virtio-blk, later
 * others) implement struct blkdev_ops, and its users (the /dev/vdX files
 * here in block/blkdev_file.c, later ext4 and a page cache) call only
 * this header. Neither side sees the other.
 *
 * Units: requests address 512-byte sectors, as Linux and virtio do,
 * whatever the disk's logical block size; a request's sector and length
 * must be multiples of that block size. The byte-level helpers
 * (blk_pread/blk_pwrite) take any offset and length and do the
 * read-modify-write of partial blocks themselves.
 *
 * Memory: a request's buffers are kernel memory the device can reach
 * by physical address: the direct map (malloc, page_alloc) or the
 * kernel image, never a thread stack (blk_dma_ok says; blk_submit
 * refuses others with -EINVAL). The synchronous helpers bounce anything
 * else.
 *
 * Asynchronous requests: blk_submit queues a request and returns; the
 * driver calls its `done` once, from a kernel thread of the driver (not
 * an interrupt handler), with `status` set (0 or -EIO, -EOPNOTSUPP,
 * -ENOSPC past the end, -EROFS ...). Many requests may be in flight
 * from many threads at once; no lock is shared between the queues of
 * a device with several (the driver says how: drivers/virtio/blk.c).
 * The caller owns the request and its buffers until done runs.
 *
 * Synchronous: blk_io does one request and sleeps the calling thread
 * until it is done (kernel/sched's wait, woken by `done`).
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/sync/sync.h"

#define BLK_SECTOR_SHIFT 9
#define BLK_SECTOR_SIZE 512

/* Linux's device number for virtio disks (virtblk, 16 minors a disk). */
#define BLK_VIRTIO_MAJOR 254
#define BLK_MINORS_PER_DISK 16

enum blk_op {
	BLK_READ,
	BLK_WRITE,
	BLK_FLUSH,	  /* the device's volatile cache to stable storage */
	BLK_DISCARD,	  /* nsectors from sector may be forgotten */
	BLK_WRITE_ZEROES, /* nsectors from sector read as zeros after */
};

/* Capabilities (struct blkdev.caps) */
#define BLK_CAP_RO 1u	 /* writes are refused (-EROFS) */
#define BLK_CAP_FLUSH 2u /* a volatile write cache: FLUSH means it */
#define BLK_CAP_DISCARD 4u
#define BLK_CAP_WRITE_ZEROES 8u

/* Request flags */
#define BLK_FUA 1u /* write through to stable storage before done */

struct blk_seg {
	void *buf; /* blk_dma_ok memory */
	uint32_t len;
};

struct blk_req {
	/* the caller's, read-only while in flight */
	enum blk_op op;
	unsigned flags;
	uint64_t sector;
	uint64_t nsectors;	    /* DISCARD, WRITE_ZEROES: the range */
	const struct blk_seg *segs; /* READ, WRITE: the data, in order */
	unsigned nsegs;
	void (*done)(struct blk_req *r);
	void *priv; /* the caller's */
	/* set by the layer before done */
	int status;
	/* the layer's and driver's while in flight */
	struct blkdev *dev;
	uint64_t bytes;	      /* READ/WRITE: the sum of the segments */
	bool fua_flush;	      /* BLK_FUA emulated: the flush after the write */
	struct blk_req *next; /* the driver's: its queue of waiting requests */
	void *drv;	      /* the driver's */
};

struct blkdev;
struct blkdev_ops {
	/* Queues r (checked by the layer: in range, aligned, allowed, DMA
	 * memory within the limits below) and later calls blk_end(r, status)
	 * from thread context. 0 or -errno (then blk_end is not called).
	 * Any thread, the driver's completion threads (FUA) included: it
	 * never sleeps for room, a full queue keeps the request waiting. */
	int (*submit)(struct blkdev *d, struct blk_req *r);
	/* Optional: counters and queue state for the NMI state dump. */
	void (*dump)(struct blkdev *d);
};

/* Set by the driver before blk_register, then read-only. */
struct blkdev {
	char name[16];	  /* "vda": made by blk_register from prefix */
	char prefix[8];	  /* the driver's: "vd" */
	uint64_t sectors; /* capacity, 512-byte sectors */
	uint32_t lbs;	  /* logical block size: 512..4096, a power of two */
	uint32_t pbs;	  /* physical block size (>= lbs) */
	unsigned caps;	  /* BLK_CAP_* */
	unsigned nqueues;
	uint32_t max_segs;	/* segments (after max_seg_bytes) a request */
	uint32_t max_seg_bytes; /* bytes a segment */
	uint32_t max_discard_sectors, max_zeroes_sectors;
	uint32_t major, minor;
	const struct blkdev_ops *ops;
	struct mutex rmw; /* the layer's: partial-block writes, one at a time */
	void *priv;	  /* the driver's */
	struct blkdev *next; /* blk_register's list */
	/* atomic, for /proc and the dump */
	uint64_t reads, writes, flushes, errors;
};

/* Names the disk (prefix + a, b, ...), gives it a device number and
 * /dev/NAME (a block device node); -ENOMEM, -ENOSPC past 26 disks. */
int blk_register(struct blkdev *d);
/* The registered disks in order; NULL at the end. */
struct blkdev *blk_first(void);
struct blkdev *blk_find(const char *name);
static inline uint64_t blk_bytes(const struct blkdev *d)
{
	return d->sectors << BLK_SECTOR_SHIFT;
}

/* Whether the device can reach [p, p + len) by physical address. */
bool blk_dma_ok(const void *p, size_t len);
/* Most bytes a single READ/WRITE request may carry on d. */
uint64_t blk_max_io(const struct blkdev *d);

/* Asynchronous (see the top). */
int blk_submit(struct blkdev *d, struct blk_req *r);
/* For drivers: r finished with status (0 or -errno); runs r->done. */
void blk_end(struct blk_req *r, int status);

/* Synchronous, sleeping until done: one READ or WRITE of len bytes at
 * `sector` (block aligned; any length up to blk_max_io is one request,
 * longer ones are split), FLUSH, DISCARD and WRITE_ZEROES (of
 * nsectors). 0 or -errno. */
int blk_io(struct blkdev *d, enum blk_op op, unsigned flags, uint64_t sector,
	   void *buf, uint64_t len);
int blk_flush(struct blkdev *d);
/* sync(2): every disk's cache; errors are the caller's to ignore. */
void blk_flush_all(void);
int blk_discard(struct blkdev *d, uint64_t sector, uint64_t nsectors);
/* Writes zeros where the device has no WRITE_ZEROES, as Linux's
 * blkdev_issue_zeroout. */
int blk_write_zeroes(struct blkdev *d, uint64_t sector, uint64_t nsectors);

/* Byte-level, any offset and length, any kernel buffer: what was read
 * or written (short at the end of the disk; 0 at or past it for reads,
 * -ENOSPC for writes), or -errno when nothing was. Partial blocks go
 * through a bounce buffer (read-modify-write for writes); so do buffers
 * that are not blk_dma_ok. */
int64_t blk_pread(struct blkdev *d, void *buf, uint64_t len, uint64_t off);
int64_t blk_pwrite(struct blkdev *d, const void *buf, uint64_t len,
		   uint64_t off, unsigned flags);

/* The /dev/NAME file operations (blkdev_file.c). */
struct file_ops;
extern const struct file_ops blk_file_ops;

#endif
