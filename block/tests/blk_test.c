/*
 * The block layer's self-test, on the first disk (a scratch disk the
 * harness attached: tests/blk/run.sh): more asynchronous requests at once
 * than a queue's ring holds (so some wait for room and go in from the
 * completion thread), in any order of completion, then read back; FUA
 * writes; and the checks blk_submit makes on bad requests.
 */
#include "block/block.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"

#define NREQ 600 /* more than a ring of 256 */
#define WAIT_NS 60000000000ull

struct batch {
	struct thread *waiter;
	int left;   /* atomic */
	int all;    /* atomic: left reached 0 */
	int errors; /* atomic */
};

static void batch_done(struct blk_req *r)
{
	struct batch *b = r->priv;

	if (r->status)
		__atomic_fetch_add(&b->errors, 1, __ATOMIC_RELAXED);
	if (__atomic_sub_fetch(&b->left, 1, __ATOMIC_ACQ_REL) == 0)
		thread_wake_flag(&b->all, b->waiter);
}

static bool batch_finished(void *arg)
{
	return __atomic_load_n(&((struct batch *)arg)->all, __ATOMIC_ACQUIRE);
}

/* NREQ requests of one 512-byte sector each, every other sector; the
 * number that failed to submit or complete, -1 on a timeout. */
static int batch(struct blkdev *d, enum blk_op op, uint8_t *data,
		 struct blk_req *reqs, struct blk_seg *segs)
{
	struct batch b = {current_thread(), NREQ, 0, 0};
	int refused = 0;

	for (int i = 0; i < NREQ; i++) {
		segs[i] = (struct blk_seg){data + i * 512, 512};
		reqs[i] = (struct blk_req){.op = op,
					   .flags = i % 7 == 0 ? BLK_FUA : 0,
					   .sector = 2 * (uint64_t)i,
					   .segs = &segs[i],
					   .nsegs = 1,
					   .done = batch_done,
					   .priv = &b};
		if (blk_submit(d, &reqs[i])) {
			refused++;
			batch_done(
			    &(struct blk_req){.status = -EIO, .priv = &b});
		}
	}
	if (!sched_wait_for(batch_finished, &b, clock_monotonic_ns() + WAIT_NS))
		return -1; /* the requests stay in flight: leak their memory */
	return refused + b.errors;
}

static void never(struct blk_req *r)
{
	kprintf("  FAIL blk: a refused request completed\n");
}

static int bad_requests(struct blkdev *d, uint8_t *heap)
{
	int failures = 0;
	uint8_t stack[512];
	struct blk_seg s = {heap, 512};
	struct blk_req r = {.op = BLK_READ, .segs = &s, .nsegs = 1};

	CHECK_EQ(blk_submit(d, &r), -EINVAL); /* no done */
	r.done = never;
	r.sector = d->sectors;
	CHECK_EQ(blk_submit(d, &r), -ENOSPC);
	r.sector = 0;
	s.len = 100;
	CHECK_EQ(blk_submit(d, &r), -EINVAL);
	s = (struct blk_seg){(void *)0x10000, 512}; /* the lower half */
	CHECK_EQ(blk_submit(d, &r), -EINVAL);
	s = (struct blk_seg){heap, 512};
	r.nsegs = 0;
	CHECK_EQ(blk_submit(d, &r), -EINVAL);
	CHECK_EQ(blk_pread(d, stack, 512, 0), 512); /* bounced */
	CHECK_EQ(blk_pread(d, stack, 512, blk_bytes(d)), 0);
	CHECK_EQ(blk_pwrite(d, stack, 1, blk_bytes(d), 0), -ENOSPC);
	return failures;
}

static int blk_required_test(void)
{
	struct blkdev *d = blk_first();
	uint8_t *out = page_alloc(9), *in = page_alloc(9); /* 2 MiB each */
	struct blk_req *reqs = calloc(NREQ, sizeof(*reqs));
	struct blk_seg *segs = calloc(NREQ, sizeof(*segs));
	int failures = 0;

	if (!d || d->lbs != 512 || d->sectors < 2 * NREQ ||
	    (d->caps & BLK_CAP_RO)) {
		kprintf("  FAIL blk: needs a writable disk of 512-byte blocks "
			"and %d sectors\n",
			2 * NREQ);
		return 1;
	}
	if (!out || !in || !reqs || !segs)
		return 1;
	for (int i = 0; i < NREQ * 512; i++)
		out[i] = (uint8_t)(i * 7 + i / 512);
	memset(in, 0, NREQ * 512);
	CHECK_EQ(batch(d, BLK_WRITE, out, reqs, segs), 0);
	CHECK_EQ(blk_flush(d), 0);
	CHECK_EQ(batch(d, BLK_READ, in, reqs, segs), 0);
	CHECK(memcmp(in, out, NREQ * 512) == 0);
	failures += bad_requests(d, in);
	kprintf("  blk: %s, %u queue%s: %lu reads, %lu writes, %lu flushes, "
		"%lu errors\n",
		d->name, d->nqueues, d->nqueues > 1 ? "s" : "", d->reads,
		d->writes, d->flushes, d->errors);
	if (d->ops->dump)
		d->ops->dump(d);
	free(reqs);
	free(segs);
	page_free(out, 9);
	page_free(in, 9);
	return failures;
}
SELFTEST_EXPLICIT("blk_required", blk_required_test);
