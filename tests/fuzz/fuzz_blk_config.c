/*
 * Fuzzes virtio-blk's configuration checks (drivers/virtio/blk_config.c)
 * with whatever a hostile device can put in its configuration space and
 * feature bits. The input: 8 bytes of features, 2 of ring size, 1 of
 * the queue limit, then the configuration bytes (any length).
 *
 * Checked: no read outside the buffer (ASan), and every limit the driver
 * will use is within the bounds blk_config.h promises.
 */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/blk_config.h"

static void check(const struct vblk_limits *l, uint16_t ring, uint32_t maxq)
{
	if (ring < 3)
		ring = 3;
	if (!maxq)
		maxq = 1;
	if (l->lbs < 512 || l->lbs > 4096 || (l->lbs & (l->lbs - 1)) ||
	    l->pbs < l->lbs || l->pbs > 65536 || (l->pbs & (l->pbs - 1)) ||
	    l->sectors > (1ull << 53) || l->sectors % (l->lbs / 512) ||
	    l->seg_max < 1 || l->seg_max > ring - 2u || l->size_max < 4096 ||
	    l->nqueues < 1 || l->nqueues > maxq ||
	    (l->discard != (l->max_discard != 0)) ||
	    (l->zeroes != (l->max_zeroes != 0)) ||
	    l->max_discard % (l->lbs / 512) || l->max_zeroes % (l->lbs / 512))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vblk_limits l;
	uint64_t features = 0;
	uint16_t ring;
	uint32_t maxq;

	if (size < 11)
		return 0;
	memcpy(&features, data, 8);
	ring = (uint16_t)(data[8] | data[9] << 8);
	maxq = data[10];
	vblk_config_parse(data + 11, size - 11, features, ring, maxq, &l);
	check(&l, ring, maxq);
	return 0;
}
