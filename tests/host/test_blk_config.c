/*
 * virtio-blk's configuration checks (drivers/virtio/blk_config.c): what a
 * well-behaved device (QEMU's defaults) gives comes through unchanged;
 * every value out of bounds is replaced by a safe one and reported.
 */
#include <string.h>

#include "drivers/virtio/blk_config.h"
#include "tests/host/check.h"

#define ALL                                                                    \
	((1ull << VBLK_F_SIZE_MAX) | (1ull << VBLK_F_SEG_MAX) |                \
	 (1ull << VBLK_F_BLK_SIZE) | (1ull << VBLK_F_FLUSH) |                  \
	 (1ull << VBLK_F_TOPOLOGY) | (1ull << VBLK_F_MQ) |                     \
	 (1ull << VBLK_F_DISCARD) | (1ull << VBLK_F_WRITE_ZEROES))

static uint8_t cfg[VBLK_CFG_SIZE];

static void put(size_t off, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		cfg[off + i] = (uint8_t)(v >> (8 * i));
}

/* QEMU 7.2's virtio-blk-pci with 4 vCPUs and a 64 MiB raw file. */
static void qemu_like(void)
{
	memset(cfg, 0, sizeof(cfg));
	put(VBLK_CFG_CAPACITY, 131072, 8);
	put(VBLK_CFG_SIZE_MAX, 0, 4);
	put(VBLK_CFG_SEG_MAX, 254, 4);
	put(VBLK_CFG_BLK_SIZE, 512, 4);
	put(VBLK_CFG_NUM_QUEUES, 4, 2);
	put(VBLK_CFG_MAX_DISCARD, 0x3fffff, 4);
	put(VBLK_CFG_MAX_DISCARD_SEG, 1, 4);
	put(VBLK_CFG_DISCARD_ALIGN, 1, 4);
	put(VBLK_CFG_MAX_ZEROES, 0x3fffff, 4);
	put(VBLK_CFG_MAX_ZEROES_SEG, 1, 4);
}

static unsigned parse(uint64_t features, struct vblk_limits *l)
{
	return vblk_config_parse(
	    cfg, sizeof(cfg), features & ~(1ull << VBLK_F_SIZE_MAX), 256, 4, l);
}

static void test_qemu_defaults_unchanged(void)
{
	struct vblk_limits l;

	qemu_like();
	CHECK_EQ(parse(ALL, &l), 0);
	CHECK_EQ(l.sectors, 131072);
	CHECK_EQ(l.lbs, 512);
	CHECK_EQ(l.pbs, 512);
	CHECK_EQ(l.seg_max, 254);
	CHECK_EQ(l.size_max, 0xfffff000u);
	CHECK_EQ(l.nqueues, 4);
	CHECK(l.flush && l.discard && l.zeroes && !l.ro);
	CHECK_EQ(l.max_discard, 0x3fffff);
}

static void test_features_not_negotiated_are_ignored(void)
{
	struct vblk_limits l;

	qemu_like();
	put(VBLK_CFG_NUM_QUEUES, 0, 2);
	put(VBLK_CFG_BLK_SIZE, 3, 4);
	CHECK_EQ(
	    vblk_config_parse(cfg, sizeof(cfg), 1ull << VBLK_F_RO, 256, 4, &l),
	    0);
	CHECK_EQ(l.lbs, 512);
	CHECK_EQ(l.nqueues, 1);
	CHECK_EQ(l.seg_max, 1);
	CHECK(l.ro && !l.flush && !l.discard && !l.zeroes);
}

static void test_bad_block_sizes(void)
{
	static const uint32_t bad[] = {0, 256, 511, 513, 8192, 0xffffffffu};
	struct vblk_limits l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		qemu_like();
		put(VBLK_CFG_BLK_SIZE, bad[i], 4);
		CHECK_EQ(parse(ALL, &l), 1u << VBLK_FIX_BLK_SIZE);
		CHECK_EQ(l.lbs, 512);
	}
	qemu_like();
	put(VBLK_CFG_BLK_SIZE, 4096, 4);
	put(VBLK_CFG_PHYS_EXP, 200, 1);
	CHECK_EQ(parse(ALL, &l), 1u << VBLK_FIX_PHYS);
	CHECK_EQ(l.lbs, 4096);
	CHECK_EQ(l.pbs, 4096);
}

static void test_capacity_bounded_and_whole_blocks(void)
{
	struct vblk_limits l;

	qemu_like();
	put(VBLK_CFG_CAPACITY, ~0ull, 8);
	CHECK_EQ(parse(ALL, &l), 1u << VBLK_FIX_CAPACITY);
	CHECK_EQ(l.sectors, 1ull << 53);
	qemu_like();
	put(VBLK_CFG_BLK_SIZE, 4096, 4);
	put(VBLK_CFG_CAPACITY, 1001, 8);
	CHECK_EQ(parse(ALL, &l), 1u << VBLK_FIX_CAPACITY);
	CHECK_EQ(l.sectors, 1000);
}

static void test_segments_and_queues_bounded(void)
{
	struct vblk_limits l;

	qemu_like();
	put(VBLK_CFG_SEG_MAX, 100000, 4);
	put(VBLK_CFG_NUM_QUEUES, 65535, 2);
	CHECK_EQ(parse(ALL, &l), 0);
	CHECK_EQ(l.seg_max, 254);
	CHECK_EQ(l.nqueues, 4);
	qemu_like();
	put(VBLK_CFG_SEG_MAX, 0, 4);
	put(VBLK_CFG_NUM_QUEUES, 0, 2);
	CHECK_EQ(parse(ALL, &l),
		 (1u << VBLK_FIX_SEG_MAX) | (1u << VBLK_FIX_QUEUES));
	CHECK_EQ(l.seg_max, 1);
	CHECK_EQ(l.nqueues, 1);
	qemu_like();
	put(VBLK_CFG_SIZE_MAX, 100, 4);
	CHECK_EQ(vblk_config_parse(cfg, sizeof(cfg), ALL, 8, 4, &l),
		 1u << VBLK_FIX_SIZE_MAX);
	CHECK_EQ(l.size_max, 4096);
	CHECK_EQ(l.seg_max, 6); /* a ring of 8 */
}

static void test_zero_range_limits_turn_features_off(void)
{
	struct vblk_limits l;

	qemu_like();
	put(VBLK_CFG_MAX_DISCARD_SEG, 0, 4);
	put(VBLK_CFG_MAX_ZEROES, 0, 4);
	CHECK_EQ(parse(ALL, &l),
		 (1u << VBLK_FIX_DISCARD) | (1u << VBLK_FIX_ZEROES));
	CHECK(!l.discard && !l.zeroes);
}

static void test_short_config_reads_as_zero(void)
{
	struct vblk_limits l;

	qemu_like();
	for (size_t n = 0; n < sizeof(cfg); n++)
		vblk_config_parse(cfg, n, ALL, 256, 4, &l);
	vblk_config_parse(cfg, 8, ALL, 256, 4, &l);
	CHECK_EQ(l.sectors, 131072);
	CHECK_EQ(l.nqueues, 1);
	CHECK(!l.discard);
}

int main(void)
{
	RUN_TEST(test_qemu_defaults_unchanged);
	RUN_TEST(test_features_not_negotiated_are_ignored);
	RUN_TEST(test_bad_block_sizes);
	RUN_TEST(test_capacity_bounded_and_whole_blocks);
	RUN_TEST(test_segments_and_queues_bounded);
	RUN_TEST(test_zero_range_limits_turn_features_off);
	RUN_TEST(test_short_config_reads_as_zero);
	return check_exit();
}
