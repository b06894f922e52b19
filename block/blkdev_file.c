/*
 * /dev/vda and its kind: a disk as a file, as Linux shows block devices
 * (Linux: block/fops.c and block/ioctl.c are the specification).
 *
 * There is no page cache yet, so every read and write goes to the device
 * (what O_DIRECT asks for anyway); unaligned ones go through the block
 * layer's bounce buffer. O_DIRECT is accepted and keeps Linux's rule:
 * the offset and length must be multiples of the logical block size
 * (-EINVAL). The position ends at the capacity: seeks past it are
 * -EINVAL, reads there return 0, writes -ENOSPC, and a write that
 * crosses it is cut short. fsync and fdatasync flush the device's
 * cache. A read-only disk opens for writing but refuses writes with
 * -EPERM, as Linux's virtio and loop disks do.
 */
#include "block/block.h"
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "linux/linux.h"

static struct blkdev *disk_of_rdev(uint64_t rdev)
{
	for (struct blkdev *d = blk_first(); d; d = d->next)
		if (fs_makedev(d->major, d->minor) == rdev)
			return d;
	return NULL;
}

static int blkf_open(struct file *f, int flags)
{
	struct kstat st;
	struct blkdev *d;

	if (vfs_fstat(f, &st) || !(d = disk_of_rdev(st.rdev)))
		return -ENXIO;
	f->priv = d;
	return 0;
}

/* O_DIRECT's alignment rule (the buffer's is the syscall layer's). */
static bool direct_ok(struct file *f, size_t n, int64_t pos)
{
	struct blkdev *d = f->priv;

	return !(__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_DIRECT) ||
	       ((uint64_t)pos | n) % d->lbs == 0;
}

static int64_t blkf_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	int64_t r;

	if (!direct_ok(f, n, *pos))
		return -EINVAL;
	r = blk_pread(f->priv, buf, n, (uint64_t)*pos);
	if (r > 0)
		*pos += r;
	return r;
}

static int64_t blkf_write(struct file *f, const void *buf, size_t n,
			  int64_t *pos)
{
	struct blkdev *d = f->priv;
	unsigned flags =
	    (__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_DSYNC) ? BLK_FUA
								     : 0;
	int64_t r;

	if (d->caps & BLK_CAP_RO)
		return -EPERM;
	if (!n)
		return 0;
	if (!direct_ok(f, n, *pos))
		return -EINVAL;
	r = blk_pwrite(d, buf, n, (uint64_t)*pos, flags);
	if (r > 0)
		*pos += r;
	return r;
}

/* Linux's fixed_size_llseek: the capacity is the file's size. */
static int64_t blkf_llseek(struct file *f, int64_t off, int whence)
{
	int64_t size = (int64_t)blk_bytes(f->priv), base = 0;

	switch (whence) {
	case SEEK_SET:
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA:
		return off >= 0 && off < size ? off : -ENXIO;
	case SEEK_HOLE:
		return off >= 0 && off < size ? size : -ENXIO;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &off) || off < 0 || off > size)
		return -EINVAL;
	return off;
}

static int blkf_fsync(struct file *f, bool datasync)
{
	return blk_flush(f->priv);
}

/* BLKDISCARD and BLKZEROOUT: range[0] start, range[1] length, in bytes,
 * block aligned and inside the disk (Linux: blk_ioctl_discard and
 * blk_ioctl_zeroout). */
static int range_ioctl(struct file *f, unsigned long cmd, const uint64_t *r)
{
	struct blkdev *d = f->priv;
	uint64_t end;

	if ((__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_ACCMODE) ==
	    O_RDONLY)
		return -EBADF;
	if (d->caps & BLK_CAP_RO)
		return -EPERM;
	if (cmd == BLKDISCARD && !(d->caps & BLK_CAP_DISCARD))
		return -EOPNOTSUPP;
	if ((r[0] | r[1]) % d->lbs ||
	    __builtin_add_overflow(r[0], r[1], &end) || end > blk_bytes(d))
		return -EINVAL;
	if (!r[1])
		return 0;
	if (cmd == BLKDISCARD)
		return blk_discard(d, r[0] >> BLK_SECTOR_SHIFT,
				   r[1] >> BLK_SECTOR_SHIFT);
	return blk_write_zeroes(d, r[0] >> BLK_SECTOR_SHIFT,
				r[1] >> BLK_SECTOR_SHIFT);
}

static int blkf_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	struct blkdev *d = f->priv;

	switch (cmd) {
	case BLKGETSIZE64:
		*(uint64_t *)arg = blk_bytes(d);
		return 0;
	case BLKGETSIZE: /* 512-byte sectors in an unsigned long */
		*(uint64_t *)arg = d->sectors;
		return 0;
	case BLKSSZGET:
		*(int *)arg = (int)d->lbs;
		return 0;
	case BLKPBSZGET:
	case BLKIOMIN:
		*(uint32_t *)arg = d->pbs;
		return 0;
	case BLKBSZGET: /* the soft block size: Linux's default */
		*(uint64_t *)arg = MAX(d->lbs, 4096u);
		return 0;
	case BLKIOOPT:
	case BLKALIGNOFF:
	case BLKDISCARDZEROES:
		*(uint32_t *)arg = 0;
		return 0;
	case BLKROGET:
		*(int *)arg = !!(d->caps & BLK_CAP_RO);
		return 0;
	case BLKSECTGET:
		*(uint16_t *)arg =
		    (uint16_t)MIN(blk_max_io(d) >> BLK_SECTOR_SHIFT, 0xffffu);
		return 0;
	case BLKFLSBUF: /* no buffers to drop; Linux also writes back */
		return blk_flush(d);
	case BLKDISCARD:
	case BLKZEROOUT:
		return range_ioctl(f, cmd, arg);
	case BLKROSET:
		linux_missing("ioctl BLKROSET");
		return -EOPNOTSUPP;
	}
	return -ENOTTY;
}

const struct file_ops blk_file_ops = {
    .open = blkf_open,
    .read = blkf_read,
    .write = blkf_write,
    .llseek = blkf_llseek,
    .ioctl = blkf_ioctl,
    .fsync = blkf_fsync,
};
