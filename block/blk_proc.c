/*
 * /proc/partitions, as Linux's block/genhd.c prints it: a header, a blank
 * line, then "major minor #blocks name" for every disk with a capacity,
 * #blocks in KiB. Disks only: Osprey reads no partition tables yet, so
 * there are no vdXN lines.
 */
#include "block/block.h"
#include "fs/fs.h"
#include "kernel/kernel.h"

static int show_partitions(struct proc_buf *b, int arg)
{
	proc_printf(b, "major minor  #blocks  name\n\n");
	for (struct blkdev *d = blk_first(); d; d = d->next)
		if (d->sectors)
			proc_printf(
			    b, "%4u  %7u %10llu %s\n", d->major, d->minor,
			    (unsigned long long)d->sectors >> 1, d->name);
	return 0;
}

static const struct proc_entry blk_proc_table[] = {
    PFILE("partitions", show_partitions),
    {NULL},
};

static int blk_proc_init(void)
{
	return procfs_register(NULL, blk_proc_table);
}
INIT_STEP(56, blk_proc_init);
