/*
 * virtio-blk's configuration checks: drivers/virtio/blk_config.h says
 * what each bound is and why.
 */
#include "drivers/virtio/blk_config.h"

#define MAX_SECTORS (1ull << 53)
#define NO_SIZE_MAX 0xfffff000u

static const char *const fix_names[VBLK_FIX_COUNT] = {
    [VBLK_FIX_CAPACITY] = "capacity",
    [VBLK_FIX_BLK_SIZE] = "blk_size",
    [VBLK_FIX_PHYS] = "physical_block_exp",
    [VBLK_FIX_SEG_MAX] = "seg_max",
    [VBLK_FIX_SIZE_MAX] = "size_max",
    [VBLK_FIX_QUEUES] = "num_queues",
    [VBLK_FIX_DISCARD] = "discard limits",
    [VBLK_FIX_ZEROES] = "write_zeroes limits",
};

const char *vblk_fix_name(unsigned fix)
{
	return fix < VBLK_FIX_COUNT ? fix_names[fix] : "?";
}

/* Little-endian fields; bytes past cfg_len read as 0. */
static uint64_t le(const uint8_t *cfg, size_t cfg_len, size_t off,
		   unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		if (off + i < cfg_len)
			v |= (uint64_t)cfg[off + i] << (8 * i);
	return v;
}

static bool has(uint64_t features, unsigned bit)
{
	return features & (1ull << bit);
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

struct parse {
	const uint8_t *cfg;
	size_t len;
	uint64_t features;
	unsigned fixes;
};

static uint32_t field(struct parse *p, size_t off, unsigned bytes)
{
	return (uint32_t)le(p->cfg, p->len, off, bytes);
}

static void block_sizes(struct parse *p, struct vblk_limits *o)
{
	o->lbs = 512;
	if (has(p->features, VBLK_F_BLK_SIZE)) {
		uint32_t v = field(p, VBLK_CFG_BLK_SIZE, 4);

		if (pow2(v) && v >= 512 && v <= 4096)
			o->lbs = v;
		else
			p->fixes |= 1u << VBLK_FIX_BLK_SIZE;
	}
	o->pbs = o->lbs;
	if (has(p->features, VBLK_F_TOPOLOGY)) {
		uint32_t exp = field(p, VBLK_CFG_PHYS_EXP, 1);

		if (exp < 8 && (uint64_t)o->lbs << exp <= 65536)
			o->pbs = o->lbs << exp;
		else
			p->fixes |= 1u << VBLK_FIX_PHYS;
	}
}

static void capacity(struct parse *p, struct vblk_limits *o)
{
	uint64_t v = le(p->cfg, p->len, VBLK_CFG_CAPACITY, 8);
	uint64_t per = o->lbs / 512;

	if (v > MAX_SECTORS) {
		v = MAX_SECTORS;
		p->fixes |= 1u << VBLK_FIX_CAPACITY;
	}
	if (v % per)
		p->fixes |= 1u << VBLK_FIX_CAPACITY;
	o->sectors = v - v % per;
}

static void segments(struct parse *p, struct vblk_limits *o, uint16_t ring_size)
{
	uint32_t most = ring_size - 2u;

	o->seg_max = 1;
	if (has(p->features, VBLK_F_SEG_MAX)) {
		uint32_t v = field(p, VBLK_CFG_SEG_MAX, 4);

		if (v == 0 || v > most)
			p->fixes |= v ? 0 : 1u << VBLK_FIX_SEG_MAX;
		o->seg_max = v == 0 ? 1 : v > most ? most : v;
	}
	o->size_max = NO_SIZE_MAX;
	if (has(p->features, VBLK_F_SIZE_MAX)) {
		uint32_t v = field(p, VBLK_CFG_SIZE_MAX, 4);

		if (v < 4096)
			p->fixes |= 1u << VBLK_FIX_SIZE_MAX;
		o->size_max = v < 4096		? 4096
			      : v > NO_SIZE_MAX ? NO_SIZE_MAX
						: v;
	}
}

static void queues(struct parse *p, struct vblk_limits *o, uint32_t max)
{
	o->nqueues = 1;
	if (has(p->features, VBLK_F_MQ)) {
		uint32_t v = field(p, VBLK_CFG_NUM_QUEUES, 2);

		if (v == 0)
			p->fixes |= 1u << VBLK_FIX_QUEUES;
		o->nqueues = v == 0 ? 1 : v > max ? max : v;
	}
}

/* A range operation's maximum: 0 (off) when absent or nonsense. */
static uint32_t range_max(struct parse *p, unsigned bit, size_t off,
			  size_t seg_off, enum vblk_fix fix, uint32_t lbs)
{
	uint32_t v, segs;

	if (!has(p->features, bit))
		return 0;
	v = field(p, off, 4);
	segs = field(p, seg_off, 4);
	v -= v % (lbs / 512);
	if (v == 0 || segs == 0) {
		p->fixes |= 1u << fix;
		return 0;
	}
	return v;
}

unsigned vblk_config_parse(const uint8_t *cfg, size_t cfg_len,
			   uint64_t features, uint16_t ring_size,
			   uint32_t max_queues, struct vblk_limits *o)
{
	struct parse p = {cfg, cfg_len, features, 0};

	block_sizes(&p, o);
	capacity(&p, o);
	segments(&p, o, ring_size < 3 ? 3 : ring_size);
	queues(&p, o, max_queues ? max_queues : 1);
	o->ro = has(features, VBLK_F_RO);
	o->flush = has(features, VBLK_F_FLUSH);
	o->max_discard =
	    range_max(&p, VBLK_F_DISCARD, VBLK_CFG_MAX_DISCARD,
		      VBLK_CFG_MAX_DISCARD_SEG, VBLK_FIX_DISCARD, o->lbs);
	o->discard_align = field(&p, VBLK_CFG_DISCARD_ALIGN, 4);
	o->max_zeroes =
	    range_max(&p, VBLK_F_WRITE_ZEROES, VBLK_CFG_MAX_ZEROES,
		      VBLK_CFG_MAX_ZEROES_SEG, VBLK_FIX_ZEROES, o->lbs);
	o->discard = o->max_discard != 0;
	o->zeroes = o->max_zeroes != 0;
	return p.fixes;
}
