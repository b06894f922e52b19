/*
 * The block layer's core: the list of disks, the checks every request
 * passes before its driver sees it, emulated FUA, and the synchronous
 * helpers.
 *
 * Nothing here is locked on the submission path: a request goes from
 * blk_submit to the driver's submit hook, which picks its queue (one per
 * vCPU where the device has them) and takes only that queue's lock. The
 * list of disks is written at boot by the drivers' init step, one at a
 * time, and published with a release store; readers walk it without a
 * lock.
 *
 * FUA: virtio-blk has no forced-unit-access write, so a BLK_FUA write on
 * a disk with a volatile cache is the write and then a flush, the second
 * issued from the first's completion (as Linux does for devices without
 * FUA); done runs after both.
 *
 * Synchronous waits: a struct blk_wait on the caller's stack holds the
 * status and a flag; `done` (a driver thread) stores the status, then
 * sets the flag and wakes the caller with thread_wake_flag, whose RCU
 * section keeps the caller's thread alive until the wake is done. The
 * caller sleeps in sched_wait_for on the flag, so a wake that comes
 * before it sleeps is not lost.
 */
#include "block/block.h"
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

static struct blkdev *disks; /* atomic: published complete */
static unsigned ndisks;	     /* the registering init step's */

struct blkdev *blk_first(void)
{
	return __atomic_load_n(&disks, __ATOMIC_ACQUIRE);
}

struct blkdev *blk_find(const char *name)
{
	for (struct blkdev *d = blk_first(); d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

int blk_register(struct blkdev *d)
{
	struct blkdev **tail = &disks;
	int err;

	if (ndisks >= 26)
		return -ENOSPC;
	mutex_init(&d->rmw);
	snprintf(d->name, sizeof(d->name), "%s%c", d->prefix, 'a' + ndisks);
	d->minor = ndisks * BLK_MINORS_PER_DISK;
	if (!d->major)
		d->major = BLK_VIRTIO_MAJOR;
	err = devfs_add_block(d->name, d->major, d->minor, 0660, &blk_file_ops);
	if (err)
		return err;
	ndisks++;
	while (*tail)
		tail = &(*tail)->next;
	__atomic_store_n(tail, d, __ATOMIC_RELEASE);
	return 0;
}

bool blk_dma_ok(const void *p, size_t len)
{
	uint64_t a = (uint64_t)p;

	if (a + len < a)
		return false;
	return (a >= PHYS_MAP_BASE && a + len <= MMIO_BASE) || a >= KERNEL_VMA;
}

uint64_t blk_max_io(const struct blkdev *d)
{
	uint64_t n = (uint64_t)d->max_segs * d->max_seg_bytes;

	n = MIN(n, (uint64_t)1 << 20);
	return MAX(n & ~(uint64_t)(d->lbs - 1), (uint64_t)d->lbs);
}

/* ---- checks ---- */
static bool aligned(const struct blkdev *d, uint64_t sector, uint64_t nsec)
{
	uint64_t per = d->lbs >> BLK_SECTOR_SHIFT;

	return sector % per == 0 && nsec % per == 0;
}

/* The sectors the request covers end within the disk. */
static bool in_range(const struct blkdev *d, uint64_t sector, uint64_t nsec)
{
	return sector <= d->sectors && nsec <= d->sectors - sector;
}

/* Sums the segments into r->bytes; -EINVAL for memory the device cannot
 * reach, a length that is not whole blocks or one past the limits. */
static int check_segs(struct blkdev *d, struct blk_req *r)
{
	uint64_t segs = 0;

	r->bytes = 0;
	for (unsigned i = 0; i < r->nsegs; i++) {
		const struct blk_seg *s = &r->segs[i];

		if (!s->len || !blk_dma_ok(s->buf, s->len))
			return -EINVAL;
		r->bytes += s->len;
		segs += (s->len + d->max_seg_bytes - 1) / d->max_seg_bytes;
	}
	if (!r->bytes || r->bytes % d->lbs || segs > d->max_segs)
		return -EINVAL;
	return 0;
}

static int check(struct blkdev *d, struct blk_req *r)
{
	bool write = r->op != BLK_READ;
	int err;

	if (!r->done)
		return -EINVAL;
	if (write && (d->caps & BLK_CAP_RO))
		return -EROFS;
	switch (r->op) {
	case BLK_READ:
	case BLK_WRITE:
		if ((err = check_segs(d, r)))
			return err;
		r->nsectors = r->bytes >> BLK_SECTOR_SHIFT;
		break;
	case BLK_FLUSH:
		return 0;
	case BLK_DISCARD:
	case BLK_WRITE_ZEROES: {
		unsigned cap = r->op == BLK_DISCARD ? BLK_CAP_DISCARD
						    : BLK_CAP_WRITE_ZEROES;
		uint32_t max = r->op == BLK_DISCARD ? d->max_discard_sectors
						    : d->max_zeroes_sectors;
		if (!(d->caps & cap))
			return -EOPNOTSUPP;
		if (!r->nsectors || r->nsectors > max)
			return -EINVAL;
		break;
	}
	default:
		return -EINVAL;
	}
	if (!aligned(d, r->sector, r->nsectors))
		return -EINVAL;
	if (!in_range(d, r->sector, r->nsectors))
		return -ENOSPC;
	return 0;
}

/* ---- submission, completion, FUA ---- */
static void count_done(struct blkdev *d, struct blk_req *r)
{
	uint64_t *c = r->op == BLK_READ	   ? &d->reads
		      : r->op == BLK_FLUSH ? &d->flushes
					   : &d->writes;

	__atomic_fetch_add(r->status ? &d->errors : c, 1, __ATOMIC_RELAXED);
}

static bool needs_flush(const struct blkdev *d, const struct blk_req *r)
{
	return (r->flags & BLK_FUA) && r->op == BLK_WRITE &&
	       (d->caps & BLK_CAP_FLUSH);
}

void blk_end(struct blk_req *r, int status)
{
	struct blkdev *d = r->dev;

	r->status = status;
	count_done(d, r);
	if (status == 0 && needs_flush(d, r) && !r->fua_flush) {
		/* The write of a FUA request is done: now its flush, on the
		 * same request (its op is put back before done). */
		r->fua_flush = true;
		r->op = BLK_FLUSH;
		if (d->ops->submit(d, r) == 0)
			return;
		r->status = -EIO;
	}
	if (r->fua_flush)
		r->op = BLK_WRITE;
	r->done(r);
}

int blk_submit(struct blkdev *d, struct blk_req *r)
{
	int err = check(d, r);

	if (err)
		return err;
	r->status = 0;
	r->dev = d;
	r->fua_flush = false;
	return d->ops->submit(d, r);
}

/* ---- synchronous ---- */
struct blk_wait {
	struct thread *thread;
	int flag; /* atomic: done ran */
};

static void wait_done(struct blk_req *r)
{
	struct blk_wait *w = r->priv;

	thread_wake_flag(&w->flag, w->thread);
}

static bool wait_flag(void *arg)
{
	return __atomic_load_n(&((struct blk_wait *)arg)->flag,
			       __ATOMIC_ACQUIRE);
}

/* One request, waited for. */
static int one(struct blkdev *d, struct blk_req *r)
{
	struct blk_wait w = {current_thread(), 0};
	int err;

	r->done = wait_done;
	r->priv = &w;
	if ((err = blk_submit(d, r)))
		return err;
	sched_wait_for(wait_flag, &w, 0);
	return r->status;
}

int blk_io(struct blkdev *d, enum blk_op op, unsigned flags, uint64_t sector,
	   void *buf, uint64_t len)
{
	uint64_t max = blk_max_io(d);

	if (op != BLK_READ && op != BLK_WRITE)
		return -EINVAL;
	while (len) {
		uint64_t n = MIN(len, max);
		struct blk_seg s = {buf, (uint32_t)n};
		struct blk_req r = {.op = op,
				    .flags = flags,
				    .sector = sector,
				    .segs = &s,
				    .nsegs = 1};
		int err = one(d, &r);

		if (err)
			return err;
		len -= n;
		buf = (char *)buf + n;
		sector += n >> BLK_SECTOR_SHIFT;
	}
	return 0;
}

int blk_flush(struct blkdev *d)
{
	struct blk_req r = {.op = BLK_FLUSH};

	if (!(d->caps & BLK_CAP_FLUSH))
		return 0; /* no volatile cache: every write is stable */
	return one(d, &r);
}

void blk_flush_all(void)
{
	for (struct blkdev *d = blk_first(); d; d = d->next)
		if (!(d->caps & BLK_CAP_RO))
			blk_flush(d);
}

/* DISCARD or WRITE_ZEROES over a range, in pieces the device takes. */
static int range_op(struct blkdev *d, enum blk_op op, uint64_t sector,
		    uint64_t nsectors)
{
	uint32_t max =
	    op == BLK_DISCARD ? d->max_discard_sectors : d->max_zeroes_sectors;
	uint64_t per = d->lbs >> BLK_SECTOR_SHIFT;

	max -= max % per;
	if (!max)
		return -EOPNOTSUPP;
	while (nsectors) {
		struct blk_req r = {.op = op,
				    .sector = sector,
				    .nsectors = MIN(nsectors, (uint64_t)max)};
		int err = one(d, &r);

		if (err)
			return err;
		sector += r.nsectors;
		nsectors -= r.nsectors;
	}
	return 0;
}

int blk_discard(struct blkdev *d, uint64_t sector, uint64_t nsectors)
{
	return range_op(d, BLK_DISCARD, sector, nsectors);
}

/* Without WRITE_ZEROES: zeros written from one zeroed buffer. */
static int write_zeros(struct blkdev *d, uint64_t sector, uint64_t nsectors)
{
	uint64_t size = MIN(blk_max_io(d), (uint64_t)256 << 10);
	void *z = calloc(1, size);
	int err = 0;

	if (!z)
		return -ENOMEM;
	while (nsectors && !err) {
		uint64_t n = MIN(nsectors, size >> BLK_SECTOR_SHIFT);

		err = blk_io(d, BLK_WRITE, 0, sector, z, n << BLK_SECTOR_SHIFT);
		sector += n;
		nsectors -= n;
	}
	free(z);
	return err;
}

int blk_write_zeroes(struct blkdev *d, uint64_t sector, uint64_t nsectors)
{
	if (!(d->caps & BLK_CAP_WRITE_ZEROES))
		return write_zeros(d, sector, nsectors);
	return range_op(d, BLK_WRITE_ZEROES, sector, nsectors);
}

/* ---- bytes ---- */
/*
 * Partial blocks are read, patched and written back under d->rmw, so two
 * unaligned writes into one block do not lose each other's bytes. An
 * aligned write that races with them over the same block is not ordered
 * with them (as O_DIRECT writes on Linux).
 */
struct span {
	uint64_t off, len;   /* the caller's bytes */
	uint64_t start, end; /* the blocks holding them */
};

static struct span span_of(const struct blkdev *d, uint64_t off, uint64_t len)
{
	uint64_t mask = d->lbs - 1;

	return (struct span){off, len, off & ~mask, (off + len + mask) & ~mask};
}

static bool direct(const struct blkdev *d, const void *buf, uint64_t off,
		   uint64_t len)
{
	return (off | len) % d->lbs == 0 && blk_dma_ok(buf, len);
}

/* A bounce buffer for up to `want` bytes: at most blk_max_io. */
static void *bounce_alloc(const struct blkdev *d, uint64_t want, uint64_t *size)
{
	*size = MIN(want, blk_max_io(d));
	return malloc(*size);
}

int64_t blk_pread(struct blkdev *d, void *buf, uint64_t len, uint64_t off)
{
	uint64_t size, done = 0;
	struct span s;
	char *b;
	int err = 0;

	if (off >= blk_bytes(d) || !len)
		return 0;
	len = MIN(len, blk_bytes(d) - off);
	if (direct(d, buf, off, len)) {
		err = blk_io(d, BLK_READ, 0, off >> BLK_SECTOR_SHIFT, buf, len);
		return err ? err : (int64_t)len;
	}
	s = span_of(d, off, len);
	if (!(b = bounce_alloc(d, s.end - s.start, &size)))
		return -ENOMEM;
	for (uint64_t at = s.start; at < s.end && !err; at += size) {
		uint64_t n = MIN(size, s.end - at);
		uint64_t from = MAX(at, off), to = MIN(at + n, off + len);

		err = blk_io(d, BLK_READ, 0, at >> BLK_SECTOR_SHIFT, b, n);
		if (!err) {
			memcpy((char *)buf + (from - off), b + (from - at),
			       to - from);
			done += to - from;
		}
	}
	free(b);
	return done ? (int64_t)done : err;
}

/* Reads the block at `at` into b if [at, at + lbs) is only partly
 * covered by the caller's bytes. */
static int fill_partial(struct blkdev *d, const struct span *s, uint64_t at,
			char *b)
{
	if (at >= s->off && at + d->lbs <= s->off + s->len)
		return 0;
	return blk_io(d, BLK_READ, 0, at >> BLK_SECTOR_SHIFT, b, d->lbs);
}

/* One bounce-sized piece [at, at + n) of a write. */
static int write_piece(struct blkdev *d, const struct span *s, const char *buf,
		       uint64_t at, uint64_t n, char *b, unsigned flags)
{
	uint64_t from = MAX(at, s->off), to = MIN(at + n, s->off + s->len);
	bool partial = from != at || to != at + n;
	int err = 0;

	if (partial) {
		mutex_lock(&d->rmw);
		err = fill_partial(d, s, at, b);
		if (!err && n > d->lbs)
			err =
			    fill_partial(d, s, at + n - d->lbs, b + n - d->lbs);
	}
	if (!err) {
		memcpy(b + (from - at), buf + (from - s->off), to - from);
		err = blk_io(d, BLK_WRITE, flags, at >> BLK_SECTOR_SHIFT, b, n);
	}
	if (partial)
		mutex_unlock(&d->rmw);
	return err;
}

int64_t blk_pwrite(struct blkdev *d, const void *buf, uint64_t len,
		   uint64_t off, unsigned flags)
{
	uint64_t size, done = 0;
	struct span s;
	char *b;
	int err = 0;

	if (d->caps & BLK_CAP_RO)
		return -EROFS;
	if (!len)
		return 0;
	if (off >= blk_bytes(d))
		return -ENOSPC;
	len = MIN(len, blk_bytes(d) - off);
	if (direct(d, buf, off, len)) {
		err = blk_io(d, BLK_WRITE, flags, off >> BLK_SECTOR_SHIFT,
			     (void *)buf, len);
		return err ? err : (int64_t)len;
	}
	s = span_of(d, off, len);
	if (!(b = bounce_alloc(d, s.end - s.start, &size)))
		return -ENOMEM;
	for (uint64_t at = s.start; at < s.end && !err; at += size) {
		uint64_t n = MIN(size, s.end - at);

		err = write_piece(d, &s, buf, at, n, b, flags);
		if (!err)
			done += MIN(at + n, off + len) - MAX(at, off);
	}
	free(b);
	return done ? (int64_t)done : err;
}
