/*
 * virtio-blk (virtio 1.2, 5.2): disks for the block layer (block/).
 *
 * A request is a chain: a 16-byte header (type, sector), the data (or,
 * for DISCARD and WRITE_ZEROES, one 16-byte range), and a status byte
 * the device writes last. Header, range and status live in a command
 * slot of the queue (heap memory, so the device reaches it by physical
 * address); the data are the caller's buffers, split at size_max.
 *
 * Queues: with VIRTIO_BLK_F_MQ one per vCPU (up to what the device
 * offers and 16), else one. The protocol, per queue:
 *
 *  - Producers are the submitting threads. A thread picks the queue of
 *    the CPU it runs on (only a hint: moving to another CPU meanwhile
 *    costs nothing but locality), takes that queue's mutex, puts the
 *    chain in the ring (or, when the ring or the command slots are
 *    full, at the tail of the queue's waiting list, which keeps the
 *    order), kicks and leaves. Nobody sleeps for room, so the block
 *    layer may submit from a completion (FUA's flush).
 *  - The consumer is the queue's completion thread, bound to the CPU
 *    that takes the queue's interrupt. The interrupt only sets the
 *    thread's flag and wakes it. The thread takes the mutex, turns the
 *    queue's interrupt off (event index: used_event stays behind),
 *    takes every used chain, moves waiting requests into the room that
 *    made, re-enables the interrupt and looks once more (a chain used in
 *    between would otherwise wait for the next interrupt), and repeats
 *    while it finds work: polling while busy, interrupts when idle. It
 *    ends each request (blk_end, which runs the caller's done) after
 *    dropping the mutex, so a done that submits again cannot deadlock.
 *  - Atomic: the thread's flag (set by the interrupt, cleared by the
 *    thread) and the counters. Everything else in a queue is under its
 *    mutex; queues share nothing, so threads on different vCPUs never
 *    contend.
 *
 * Lost notifications: under QEMU 7.2's TCG with one vCPU our fences are
 * none (virtq.c's header), so a kick or an interrupt can be lost. While
 * requests are in flight the thread also looks every 10 ms without being
 * told, and kicks the device if it sits idle behind what we published
 * (virtq_kick's rescue); a queue without an interrupt is looked at every
 * 100 us while busy.
 *
 * The device's answers are checked: the used entry by virtq_get, the
 * status byte (OK, IOERR -> -EIO, UNSUPP -> -EOPNOTSUPP, anything else
 * -EIO), and every configuration value by vblk_config_parse.
 */
#include "arch/x86_64/arch.h"
#include "block/block.h"
#include "drivers/virtio/blk_config.h"
#include "drivers/virtio/virtio.h"
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define MAX_QUEUES 16
#define LOOK_NS 10000000ull /* the safety look while busy */
#define POLL_NS 100000ull   /* a queue without an interrupt */

struct vblk_cmd {
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	struct {
		uint64_t sector;
		uint32_t num, flags;
	} range;
	uint8_t status;
	struct blk_req *req;
};

struct vblk;
struct vblk_queue {
	/* set at start, then read-only */
	struct vblk *vb;
	struct thread *thread;
	unsigned cpu;
	/* the queue's user: whoever holds lock */
	struct mutex lock;
	struct virtq *vq;
	struct vblk_cmd *cmds; /* ring size slots */
	uint16_t *free;	       /* stack of free slots */
	unsigned nfree;
	struct virtq_buf *bufs;		       /* a chain being built */
	struct blk_req *wait_head, *wait_tail; /* for room, in order */
	/* atomic */
	int kicked;	   /* set by the interrupt, cleared by the thread */
	unsigned inflight; /* chains in the ring */
	uint64_t waited;   /* requests that found the ring full */
	uint64_t missed;   /* looks that found work no interrupt told of */
};

struct vblk {
	struct blkdev bd; /* first: bd.priv is the vblk */
	/* set at start, then read-only */
	struct virtio_dev *vdev;
	struct vblk_limits lim;
	uint16_t ring;
	unsigned nq;
	struct vblk_queue q[MAX_QUEUES];
};

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* ---- submission ---- */
static uint32_t type_of(enum blk_op op)
{
	static const uint32_t types[] = {
	    [BLK_READ] = T_IN,
	    [BLK_WRITE] = T_OUT,
	    [BLK_FLUSH] = T_FLUSH,
	    [BLK_DISCARD] = T_DISCARD,
	    [BLK_WRITE_ZEROES] = T_WRITE_ZEROES,
	};
	return types[op];
}

/* The data of r as device buffers after the header; how many. */
static unsigned data_bufs(struct vblk_queue *q, struct blk_req *r,
			  struct virtq_buf *b)
{
	uint32_t max = q->vb->lim.size_max;
	bool write = r->op == BLK_READ; /* the device writes what we read */
	unsigned n = 0;

	for (unsigned i = 0; i < r->nsegs; i++) {
		const struct blk_seg *s = &r->segs[i];

		for (uint32_t off = 0; off < s->len; off += max) {
			uint32_t len = MIN(max, s->len - off);

			b[n++] = (struct virtq_buf){
			    virt_to_phys((char *)s->buf + off), len, write};
		}
	}
	return n;
}

/* The chain for r in q's ring; -ENOSPC when it does not fit now. */
static int add(struct vblk_queue *q, struct blk_req *r)
{
	struct vblk_cmd *c;
	unsigned n = 1;
	uint16_t slot;

	if (!q->nfree)
		return -ENOSPC;
	slot = q->free[q->nfree - 1];
	c = &q->cmds[slot];
	c->hdr.type = type_of(r->op);
	c->hdr.reserved = 0;
	c->hdr.sector = r->op == BLK_READ || r->op == BLK_WRITE ? r->sector : 0;
	c->status = 0xff;
	c->req = r;
	q->bufs[0] =
	    (struct virtq_buf){virt_to_phys(&c->hdr), sizeof(c->hdr), false};
	if (r->op == BLK_READ || r->op == BLK_WRITE)
		n += data_bufs(q, r, &q->bufs[1]);
	else if (r->op != BLK_FLUSH) {
		c->range.sector = r->sector;
		c->range.num = (uint32_t)r->nsectors;
		c->range.flags = 0;
		q->bufs[n++] = (struct virtq_buf){virt_to_phys(&c->range),
						  sizeof(c->range), false};
	}
	q->bufs[n++] = (struct virtq_buf){virt_to_phys(&c->status), 1, true};
	if (virtq_add(q->vq, q->bufs, n, c))
		return -ENOSPC;
	q->nfree--;
	__atomic_fetch_add(&q->inflight, 1, __ATOMIC_RELAXED);
	return 0;
}

static void wait_push(struct vblk_queue *q, struct blk_req *r)
{
	r->next = NULL;
	if (q->wait_tail)
		q->wait_tail->next = r;
	else
		q->wait_head = r;
	q->wait_tail = r;
	count(&q->waited);
}

/* Under q->lock: waiting requests into the ring while they fit. */
static bool wait_drain(struct vblk_queue *q)
{
	bool added = false;

	while (q->wait_head && add(q, q->wait_head) == 0) {
		q->wait_head = q->wait_head->next;
		if (!q->wait_head)
			q->wait_tail = NULL;
		added = true;
	}
	return added;
}

static int vblk_submit(struct blkdev *d, struct blk_req *r)
{
	struct vblk *vb = d->priv;
	struct vblk_queue *q = &vb->q[cpu_id() % vb->nq];
	int err = 0;

	mutex_lock(&q->lock);
	if (q->vq->broken)
		err = -EIO;
	else if (q->wait_head || add(q, r))
		wait_push(q, r);
	else
		virtq_kick(q->vq);
	mutex_unlock(&q->lock);
	if (!q->vq->irq && !err) /* the thread polls: tell it */
		thread_wake_flag(&q->kicked, q->thread);
	return err;
}

/* ---- completion ---- */
static int status_errno(uint8_t s, bool ok)
{
	if (!ok)
		return -EIO; /* the used entry was refused: trust nothing */
	switch (s) {
	case S_OK:
		return 0;
	case S_UNSUPP:
		return -EOPNOTSUPP;
	case S_IOERR:
	default:
		return -EIO;
	}
}

/* Under q->lock: the used chains, as a list of requests (status in
 * r->status) for the caller to end once the lock is dropped. */
static struct blk_req *drain(struct vblk_queue *q)
{
	struct blk_req *head = NULL, **tail = &head;
	struct vblk_cmd *c;
	uint32_t len;
	bool ok;

	while ((c = virtq_get(q->vq, &len, &ok))) {
		struct blk_req *r = c->req;

		r->status = status_errno(c->status, ok && len >= 1);
		c->req = NULL;
		r->next = NULL;
		*tail = r;
		tail = &r->next;
		q->free[q->nfree++] = (uint16_t)(c - q->cmds);
		__atomic_fetch_sub(&q->inflight, 1, __ATOMIC_RELAXED);
	}
	return head;
}

/* A broken queue (the device misbehaved, virtq.c stopped it): every
 * request in it or waiting for it fails. Under q->lock. */
static struct blk_req *fail_all(struct vblk_queue *q)
{
	struct blk_req *head = q->wait_head, **tail = &head;

	while (*tail)
		tail = &(*tail)->next;
	for (unsigned i = 0; i < q->vq->size; i++) {
		struct vblk_cmd *c = &q->cmds[i];

		if (c->req) { /* its buffers stay the device's: not freed */
			c->req->next = NULL;
			*tail = c->req;
			tail = &c->req->next;
			c->req = NULL;
		}
	}
	q->wait_head = q->wait_tail = NULL;
	for (struct blk_req *r = head; r; r = r->next)
		r->status = -EIO;
	return head;
}

static void end_all(struct blk_req *r)
{
	while (r) {
		struct blk_req *next = r->next;

		blk_end(r, r->status);
		r = next;
	}
}

/* One round: what is used, then the waiting requests; whether any. */
static bool round(struct vblk_queue *q)
{
	struct blk_req *done;

	mutex_lock(&q->lock);
	virtq_disable_cb(q->vq);
	done = drain(q);
	if (wait_drain(q))
		virtq_kick(q->vq);
	if (q->vq->broken) {
		struct blk_req *failed = fail_all(q);

		mutex_unlock(&q->lock);
		end_all(failed);
		end_all(done);
		return false;
	}
	mutex_unlock(&q->lock);
	end_all(done);
	return done != NULL;
}

static void poll_queue(struct vblk_queue *q)
{
	bool again;

	do {
		while (round(q))
			;
		mutex_lock(&q->lock);
		again = !q->vq->broken && virtq_enable_cb(q->vq);
		mutex_unlock(&q->lock);
	} while (again);
}

static void vq_interrupt(struct virtq *vq)
{
	struct vblk_queue *q = vq->priv;

	thread_wake_flag(&q->kicked, q->thread);
}

static bool queue_kicked(void *arg)
{
	struct vblk_queue *q = arg;

	return __atomic_load_n(&q->kicked, __ATOMIC_ACQUIRE);
}

static uint64_t deadline(struct vblk_queue *q)
{
	if (!__atomic_load_n(&q->inflight, __ATOMIC_RELAXED))
		return 0; /* idle: a submission or interrupt wakes us */
	return clock_monotonic_ns() + (q->vq->irq ? LOOK_NS : POLL_NS);
}

/* A look nobody asked for: count work no interrupt announced, and
 * rescue a device idle behind what we published (see the top). */
static void safety_look(struct vblk_queue *q)
{
	mutex_lock(&q->lock);
	if (q->vq->irq && virtq_pending(q->vq) &&
	    __atomic_fetch_add(&q->missed, 1, __ATOMIC_RELAXED) == 0)
		kprintf("osprey: %s: a completion interrupt did not come; "
			"the queue is also looked at every 10 ms\n",
			q->vb->bd.name);
	if (!q->vq->broken)
		virtq_kick(q->vq);
	mutex_unlock(&q->lock);
}

static void queue_thread(void *arg)
{
	struct vblk_queue *q = arg;

	for (;;) {
		bool kicked = sched_wait_for(queue_kicked, q, deadline(q));

		__atomic_store_n(&q->kicked, 0, __ATOMIC_RELAXED);
		if (!kicked)
			safety_look(q);
		poll_queue(q);
	}
}

/* ---- the state dump (NMI) ---- */
static void vblk_dump(struct blkdev *d)
{
	struct vblk *vb = d->priv;

	kprintf("%s (virtio-blk %s): %lu reads, %lu writes, %lu flushes, "
		"%lu errors\n",
		d->name, vb->vdev->where, d->reads, d->writes, d->flushes,
		d->errors);
	for (unsigned i = 0; i < vb->nq; i++) {
		struct vblk_queue *q = &vb->q[i];

		virtq_dump(q->vq, "blk");
		kprintf(
		    "    %u in flight, %lu waited for room, %lu looks found "
		    "work no interrupt told of\n",
		    q->inflight, q->waited, q->missed);
		thread_dump(q->thread);
	}
}

static const struct blkdev_ops vblk_ops = {
    .submit = vblk_submit,
    .dump = vblk_dump,
};

#define MAX_DUMPED 8
static struct vblk *dumped[MAX_DUMPED]; /* set at start */

static void dump_all(void)
{
	for (unsigned i = 0; i < MAX_DUMPED && dumped[i]; i++)
		vblk_dump(&dumped[i]->bd);
}

static void dump_add(struct vblk *vb)
{
	for (unsigned i = 0; i < MAX_DUMPED; i++)
		if (!dumped[i]) {
			if (i == 0)
				sched_add_dump_hook(dump_all);
			dumped[i] = vb;
			return;
		}
}

/* ---- setup ---- */
static int setup_queue(struct vblk *vb, unsigned i)
{
	struct vblk_queue *q = &vb->q[i];

	q->vb = vb;
	q->cpu = i % cpu_count;
	mutex_init(&q->lock);
	q->vq = virtio_setup_queue(vb->vdev, i, vq_interrupt, q->cpu);
	if (!q->vq)
		return -ENOMEM;
	q->vq->priv = q;
	if (q->vq->size != vb->ring) /* seg_max was checked against it */
		return -EINVAL;
	q->cmds = calloc(q->vq->size, sizeof(*q->cmds));
	q->free = calloc(q->vq->size, sizeof(*q->free));
	q->bufs = calloc(vb->lim.seg_max + 2u, sizeof(*q->bufs));
	if (!q->cmds || !q->free || !q->bufs)
		return -ENOMEM;
	for (unsigned s = 0; s < q->vq->size; s++)
		q->free[q->nfree++] = (uint16_t)s;
	return 0;
}

static int start_thread(struct vblk_queue *q, unsigned i)
{
	char name[16];

	snprintf(name, sizeof(name), "virtio-blk%u", i);
	q->thread = thread_create(name, queue_thread, q, THREAD_SUSPENDED);
	if (!q->thread)
		return -ENOMEM;
	thread_set_affinity(q->thread, 1ull << q->cpu);
	thread_start(q->thread);
	return 0;
}

/* The configuration, checked; reports what the device got wrong. */
static void read_limits(struct vblk *vb)
{
	struct virtio_dev *d = vb->vdev;
	uint8_t cfg[VBLK_CFG_SIZE];
	unsigned fixes;

	virtio_config_read(d, 0, cfg, sizeof(cfg));
	fixes = vblk_config_parse(
	    cfg, MIN(sizeof(cfg), d->t->config_size), d->features, vb->ring,
	    MIN(cpu_count, (unsigned)MAX_QUEUES), &vb->lim);
	for (unsigned i = 0; i < VBLK_FIX_COUNT; i++)
		if (fixes & (1u << i))
			kprintf("osprey: virtio %s: virtio-blk's %s is out of "
				"bounds: using a safe value\n",
				d->where, vblk_fix_name(i));
	vb->nq = vb->lim.nqueues;
}

static void fill_blkdev(struct vblk *vb)
{
	struct blkdev *bd = &vb->bd;
	const struct vblk_limits *l = &vb->lim;

	memcpy(bd->prefix, "vd", 3);
	bd->sectors = l->sectors;
	bd->lbs = l->lbs;
	bd->pbs = l->pbs;
	bd->caps = (l->ro ? BLK_CAP_RO : 0) | (l->flush ? BLK_CAP_FLUSH : 0) |
		   (l->discard ? BLK_CAP_DISCARD : 0) |
		   (l->zeroes ? BLK_CAP_WRITE_ZEROES : 0);
	bd->nqueues = vb->nq;
	bd->max_segs = l->seg_max;
	bd->max_seg_bytes = l->size_max;
	bd->max_discard_sectors = l->max_discard;
	bd->max_zeroes_sectors = l->max_zeroes;
	bd->ops = &vblk_ops;
	bd->priv = vb;
}

static void report(struct vblk *vb)
{
	const struct blkdev *bd = &vb->bd;

	if (!boot_options.verbose)
		return;
	kprintf("osprey: %s: virtio-blk %s, %lu sectors (%lu MiB), block "
		"%u/%u, %u queue%s, seg_max %u%s%s%s%s\n",
		bd->name, vb->vdev->where, bd->sectors, bd->sectors >> 11,
		bd->lbs, bd->pbs, vb->nq, vb->nq > 1 ? "s" : "",
		vb->lim.seg_max, bd->caps & BLK_CAP_RO ? ", read-only" : "",
		bd->caps & BLK_CAP_FLUSH ? ", flush" : "",
		bd->caps & BLK_CAP_DISCARD ? ", discard" : "",
		bd->caps & BLK_CAP_WRITE_ZEROES ? ", write-zeroes" : "");
}

int virtio_blk_start(struct virtio_dev *d)
{
	uint64_t wanted =
	    VIRTIO_BIT(VBLK_F_SIZE_MAX) | VIRTIO_BIT(VBLK_F_SEG_MAX) |
	    VIRTIO_BIT(VBLK_F_RO) | VIRTIO_BIT(VBLK_F_BLK_SIZE) |
	    VIRTIO_BIT(VBLK_F_FLUSH) | VIRTIO_BIT(VBLK_F_TOPOLOGY) |
	    VIRTIO_BIT(VBLK_F_MQ) | VIRTIO_BIT(VBLK_F_DISCARD) |
	    VIRTIO_BIT(VBLK_F_WRITE_ZEROES);
	struct vblk *vb;
	int err;

	if ((err = virtio_negotiate(d, wanted, NULL)))
		return err;
	if (!(vb = calloc(1, sizeof(*vb))))
		goto out_fail;
	vb->vdev = d;
	d->priv = vb;
	vb->ring = MIN(d->t->queue_max(d, 0), (uint16_t)VIRTQ_MAX_SIZE);
	if (vb->ring < 3)
		goto out_fail;
	read_limits(vb);
	for (unsigned i = 0; i < vb->nq; i++)
		if (setup_queue(vb, i))
			goto out_fail;
	if (virtio_ready(d))
		goto out_fail;
	for (unsigned i = 0; i < vb->nq; i++)
		if (start_thread(&vb->q[i], i))
			goto out_fail;
	fill_blkdev(vb);
	if ((err = blk_register(&vb->bd))) {
		kprintf("osprey: virtio %s: virtio-blk: no disk name (%d)\n",
			d->where, err);
		return err;
	}
	dump_add(vb);
	report(vb);
	return 0;
out_fail:
	kprintf("osprey: virtio %s: virtio-blk could not start\n", d->where);
	virtio_fail(d);
	return -ENOMEM;
}
