/*
 * virtio-9p (virtio 1.2, 5.11 "9P transport"): a channel to a 9P server
 * in the hypervisor (QEMU's -virtfs / -fsdev), registered with fs/9p
 * under the mount tag from the device's configuration (tag_len[2]
 * tag[tag_len], present with VIRTIO_9P_MOUNT_TAG).
 *
 * A request is a chain of two buffers: the T-message (device-readable)
 * and room for the R-message (device-writable); the device answers each
 * chain on its own, in any order, so many requests are in flight at
 * once, each told apart by its chain (and by its tag, which the client
 * checks).
 *
 * The protocol, on the one queue:
 *  - Callers (any thread) take the queue's mutex, add their chain with
 *    their own struct req as its token, kick, drop the mutex, and sleep
 *    until req.done is set. When the ring is full they sleep a
 *    millisecond and try again.
 *  - The completion thread, woken by the queue's interrupt (which only
 *    sets its flag), takes the mutex, takes every used chain and, for
 *    each, records the length and sets its req.done with
 *    thread_wake_flag (the waiter is read before the flag is set: once
 *    set, the req on the waiter's stack may be gone). It re-enables the
 *    interrupt and looks again before sleeping (a chain used in between
 *    would otherwise wait).
 *  - While requests are in flight it also looks every 10 ms unasked and
 *    kicks a device idle behind what we published (blk.c's reasons:
 *    a notification lost under TCG).
 *  - A queue the device broke (virtq.c refused its entries) fails every
 *    request in flight with -EIO; their buffers stay the device's and
 *    are left to it: the rpc answers -EPIPE, which tells the client
 *    (fs/9p/client.c) not to free them. The channel is dead from then
 *    on.
 */
#include "fs/9p/9p.h"
#include "drivers/virtio/virtio.h"
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

#define VIRTIO_9P_MOUNT_TAG 0
#define LOOK_NS 10000000ull
#define MAX_MSG (512u * 1024)

struct req {
	struct thread *waiter; /* set before the chain is added */
	uint32_t len;	       /* written by the completion thread ... */
	bool ok;
	bool lost; /* the broken device still holds the buffers */
	int done;  /* ... before this flag (release) */
};

struct v9p {
	struct p9_transport t; /* first: t.priv is the v9p */
	/* set at start, then read-only */
	struct virtio_dev *vdev;
	struct thread *thread;
	/* the queue's user: whoever holds lock */
	struct mutex lock;
	struct virtq *vq;
	/* atomic */
	int kicked;	   /* set by the interrupt, cleared by the thread */
	unsigned inflight; /* chains in the ring */
};

static bool req_done(void *arg)
{
	struct req *r = arg;

	return __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
}

/* Under v->lock: ends every used chain. */
static void drain(struct v9p *v)
{
	struct req *r;
	uint32_t len;
	bool ok;

	while ((r = virtq_get(v->vq, &len, &ok))) {
		struct thread *t = r->waiter;

		r->len = len;
		r->ok = ok;
		__atomic_fetch_sub(&v->inflight, 1, __ATOMIC_RELAXED);
		thread_wake_flag(&r->done, t);
	}
}

/* Under v->lock, the queue broken: fails every request in flight. */
static void fail_all(struct v9p *v)
{
	for (unsigned i = 0; i < v->vq->size; i++) {
		struct req *r = v->vq->token[i];

		if (!r || !v->vq->shadow.chain_n[i])
			continue;
		v->vq->token[i] = NULL;
		r->ok = false;
		r->lost = true;
		r->len = 0;
		thread_wake_flag(&r->done, r->waiter);
	}
	v->inflight = 0;
}

static void poll_queue(struct v9p *v)
{
	bool again;

	do {
		mutex_lock(&v->lock);
		virtq_disable_cb(v->vq);
		drain(v);
		if (v->vq->broken)
			fail_all(v);
		again = !v->vq->broken && virtq_enable_cb(v->vq);
		mutex_unlock(&v->lock);
	} while (again);
}

static bool kicked(void *arg)
{
	struct v9p *v = arg;

	return __atomic_load_n(&v->kicked, __ATOMIC_ACQUIRE);
}

static void queue_thread(void *arg)
{
	struct v9p *v = arg;

	for (;;) {
		uint64_t deadline =
		    __atomic_load_n(&v->inflight, __ATOMIC_RELAXED)
			? clock_monotonic_ns() + LOOK_NS
			: 0;
		bool woken = sched_wait_for(kicked, v, deadline);

		__atomic_store_n(&v->kicked, 0, __ATOMIC_RELAXED);
		if (!woken) { /* a look nobody asked for: rescue a lost kick */
			mutex_lock(&v->lock);
			if (!v->vq->broken)
				virtq_kick(v->vq);
			mutex_unlock(&v->lock);
		}
		poll_queue(v);
	}
}

static void vq_interrupt(struct virtq *vq)
{
	struct v9p *v = vq->priv;

	thread_wake_flag(&v->kicked, v->thread);
}

/* Adds the chain; -EAGAIN when the ring is full, -EIO when broken. */
static int submit(struct v9p *v, struct req *r, const void *tx, size_t txlen,
		  void *rx, size_t rxcap)
{
	struct virtq_buf b[2] = {
	    {virt_to_phys(tx), (uint32_t)txlen, false},
	    {virt_to_phys(rx), (uint32_t)rxcap, true},
	};
	int err = 0;

	mutex_lock(&v->lock);
	if (v->vq->broken)
		err = -EIO;
	else if (virtq_add(v->vq, b, 2, r))
		err = -EAGAIN;
	else {
		__atomic_fetch_add(&v->inflight, 1, __ATOMIC_RELAXED);
		virtq_kick(v->vq);
	}
	mutex_unlock(&v->lock);
	if (!err && !v->vq->irq)
		thread_wake_flag(&v->kicked, v->thread);
	return err;
}

static int64_t v9p_rpc(struct p9_transport *t, const void *tx, size_t txlen,
		       void *rx, size_t rxcap)
{
	struct v9p *v = t->priv;
	struct req r = {.waiter = current_thread()};
	int err;

	if (txlen > MAX_MSG || rxcap > MAX_MSG)
		return -EINVAL;
	while ((err = submit(v, &r, tx, txlen, rx, rxcap)) == -EAGAIN)
		thread_sleep_ns(1000000);
	if (err)
		return err;
	while (!sched_wait_for(req_done, &r, 0))
		;
	if (r.lost)
		return -EPIPE;
	if (!r.ok || r.len > rxcap)
		return -EIO;
	return r.len;
}

/* The mount tag from the configuration; false without one. */
static bool read_tag(struct v9p *v)
{
	struct virtio_dev *d = v->vdev;
	uint8_t len[2];
	size_t n;

	if (!virtio_has(d, VIRTIO_9P_MOUNT_TAG) || d->t->config_size < 2)
		return false;
	virtio_config_read(d, 0, len, 2);
	n = (size_t)len[0] | (size_t)len[1] << 8;
	if (!n || n >= sizeof(v->t.tag) || n > d->t->config_size - 2)
		return false;
	virtio_config_read(d, 2, v->t.tag, n);
	v->t.tag[n] = '\0';
	return strlen(v->t.tag) == n; /* a NUL inside: not a usable name */
}

static int start_thread(struct v9p *v)
{
	v->thread =
	    thread_create("virtio-9p", queue_thread, v, THREAD_SUSPENDED);
	if (!v->thread)
		return -ENOMEM;
	thread_set_affinity(v->thread, 1ull << v->vq->cpu);
	thread_start(v->thread);
	return 0;
}

int virtio_9p_start(struct virtio_dev *d)
{
	struct v9p *v;

	if (virtio_negotiate(d, VIRTIO_BIT(VIRTIO_9P_MOUNT_TAG), NULL))
		return -ENODEV;
	if (!(v = calloc(1, sizeof(*v))))
		goto out_fail;
	v->vdev = d;
	d->priv = v;
	mutex_init(&v->lock);
	if (!read_tag(v)) {
		kprintf("osprey: virtio %s: virtio-9p without a usable mount "
			"tag: skipped\n",
			d->where);
		goto out_fail;
	}
	v->vq = virtio_setup_queue(d, 0, vq_interrupt, 0);
	if (!v->vq || v->vq->size < 2)
		goto out_fail;
	v->vq->priv = v;
	if (virtio_ready(d) || start_thread(v))
		goto out_fail;
	v->t.max_msize = MAX_MSG;
	v->t.rpc = v9p_rpc;
	v->t.priv = v;
	p9_register(&v->t);
	if (boot_options.verbose)
		kprintf("osprey: virtio-9p %s: mount tag '%s'\n", d->where,
			v->t.tag);
	return 0;
out_fail:
	kprintf("osprey: virtio %s: virtio-9p could not start\n", d->where);
	virtio_fail(d);
	return -ENODEV;
}
