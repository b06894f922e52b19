/*
 * virtio-blk's device configuration (virtio 1.2, 5.2.4) read into the
 * limits the driver works with. Pure: no kernel headers, so the host
 * unit test and the fuzz target build it as is.
 *
 * The device is not trusted: every field it gives is checked against
 * what the spec allows and what the driver can use, and a value out of
 * bounds is replaced by a safe one and reported (a bit in the returned
 * mask, named by vblk_fix_name), never used as it came:
 *  - capacity: at most 2^53 sectors (so bytes fit in a signed 64-bit
 *    offset with room), cut to whole logical blocks;
 *  - blk_size: a power of two in 512..4096, else 512;
 *  - physical block exponent: the physical block at most 64 KiB and not
 *    below the logical one;
 *  - seg_max: 1..ring size - 2 (a request also needs a header and a
 *    status descriptor); absent: 1;
 *  - size_max: at least 4096 (as Linux raises it), absent: 4 GiB - 4 KiB;
 *  - num_queues: 1..max_queues;
 *  - discard and write-zeroes limits: a zero maximum turns the feature
 *    off; segment counts are 1 (we send one range a request).
 */
#ifndef DRIVERS_VIRTIO_BLK_CONFIG_H
#define DRIVERS_VIRTIO_BLK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Feature bits (5.2.3) */
#define VBLK_F_SIZE_MAX 1
#define VBLK_F_SEG_MAX 2
#define VBLK_F_GEOMETRY 4
#define VBLK_F_RO 5
#define VBLK_F_BLK_SIZE 6
#define VBLK_F_FLUSH 9
#define VBLK_F_TOPOLOGY 10
#define VBLK_F_CONFIG_WCE 11
#define VBLK_F_MQ 12
#define VBLK_F_DISCARD 13
#define VBLK_F_WRITE_ZEROES 14

/* Offsets in the configuration space (5.2.4) */
#define VBLK_CFG_CAPACITY 0
#define VBLK_CFG_SIZE_MAX 8
#define VBLK_CFG_SEG_MAX 12
#define VBLK_CFG_BLK_SIZE 20
#define VBLK_CFG_PHYS_EXP 24
#define VBLK_CFG_NUM_QUEUES 34
#define VBLK_CFG_MAX_DISCARD 36
#define VBLK_CFG_MAX_DISCARD_SEG 40
#define VBLK_CFG_DISCARD_ALIGN 44
#define VBLK_CFG_MAX_ZEROES 48
#define VBLK_CFG_MAX_ZEROES_SEG 52
#define VBLK_CFG_SIZE 60 /* what we read */

struct vblk_limits {
	uint64_t sectors; /* 512-byte sectors */
	uint32_t lbs, pbs;
	uint32_t seg_max, size_max;
	uint32_t nqueues;
	bool ro, flush, discard, zeroes;
	uint32_t max_discard, discard_align, max_zeroes; /* sectors */
};

/* What was corrected (bits of the returned mask). */
enum vblk_fix {
	VBLK_FIX_CAPACITY,
	VBLK_FIX_BLK_SIZE,
	VBLK_FIX_PHYS,
	VBLK_FIX_SEG_MAX,
	VBLK_FIX_SIZE_MAX,
	VBLK_FIX_QUEUES,
	VBLK_FIX_DISCARD,
	VBLK_FIX_ZEROES,
	VBLK_FIX_COUNT
};
const char *vblk_fix_name(unsigned fix);

/*
 * Fills *out from the cfg_len bytes of configuration the device gave
 * (missing bytes read as 0), with `features` negotiated, for queues of
 * ring_size entries (>= 3) and at most max_queues (>= 1) of them.
 * Returns the mask of corrections (1 << enum vblk_fix).
 */
unsigned vblk_config_parse(const uint8_t *cfg, size_t cfg_len,
			   uint64_t features, uint16_t ring_size,
			   uint32_t max_queues, struct vblk_limits *out);

#endif
