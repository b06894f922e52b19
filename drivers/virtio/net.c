/*
 * virtio-net (virtio 1.2, 5.1): an Ethernet interface for net/.
 *
 * Queues: receive queue 2i and transmit queue 2i+1 for each queue pair
 * i, and with VIRTIO_NET_F_MQ a control queue after the last pair,
 * through which we ask for one pair per vCPU (up to what the device
 * offers). Every frame carries struct vnet_hdr first (12 bytes: with
 * VERSION_1 num_buffers is always there).
 *
 * Receive: each pair's receive queue has its own interrupt, aimed at
 * CPU i, and its own kernel thread, bound to CPU i, so a flow the device
 * steers to a queue stays on one CPU. The interrupt only wakes the
 * thread (never protocol work in the handler). The thread turns the
 * queue's interrupt off and polls the used ring while frames keep
 * coming, refills the ring, re-enables the interrupt and looks once
 * more (a frame that arrived in between is not left waiting for the
 * next interrupt), then sleeps.
 *
 * Receive buffers are packets: each is a pkt_alloc buffer of RX_BUF
 * bytes (the packet and its buffer fill one 2 KiB heap object) posted
 * whole; a frame that fits one buffer is handed to net_rx in place, no
 * copy, and the stack frees it like any packet. A frame in several
 * buffers (VIRTIO_NET_F_MRG_RXBUF) is copied into one packet, since a
 * received struct pkt is one contiguous buffer. With GUEST_TSO4 that is
 * the common case for a TCP stream: the host's stack hands the tap whole
 * 64 KiB segments, and one copy of 64 KiB costs far less than taking the
 * same bytes as 45 frames through the stack (Linux receives the same
 * frames, as page fragments). The ring is refilled with fresh buffers.
 *
 * Transmit: any thread, under the queue's mutex; used descriptors are
 * reclaimed on the way in (no transmit interrupt). A full ring drops.
 * At the program's exit net_flush waits (bounded) until the device has
 * taken every frame: QEMU takes them from its own thread, and the exit
 * port ends the VM at once, which would lose a reply sent just before.
 *
 * A lost kick: under QEMU 7.2's TCG with one vCPU our fences are not
 * fences (virtq.c's header), and now and then the device went idle
 * waiting for a kick at an avail index we had already passed without
 * kicking: under a sustained TCP stream the transmit queue then stopped
 * for good (used index fixed at the device's avail_event, frames queued
 * behind it, not even ARP replies leaving; the state dump showed it,
 * and QEMU's `info virtio-queue-status` had last_avail_idx and
 * shadow_avail_idx at that same index). virtq_kick notifies such an idle
 * device too, so the next frame sent wakes it, and vnet_tx_busy, which
 * net_flush polls, kicks the same way.
 */
#include "net/net.h"
#include "arch/x86_64/arch.h"
#include "drivers/virtio/virtio.h"
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

#define NET_F_CSUM 0
#define NET_F_GUEST_CSUM 1
#define NET_F_MAC 5
#define NET_F_GUEST_TSO4 7
#define NET_F_HOST_TSO4 11
#define NET_F_MRG_RXBUF 15
#define NET_F_STATUS 16
#define NET_F_CTRL_VQ 17
#define NET_F_MQ 22

#define HDR_F_NEEDS_CSUM 1
#define HDR_F_DATA_VALID 2
#define GSO_NONE 0
#define GSO_TCPV4 1
#define STATUS_LINK_UP 1
#define ETH_HLEN 14
#define MAX_PAIRS 8
#define RX_BATCH 64
#define MAX_FRAME (65535 + ETH_HLEN)
/* A packet and its buffer in one 2 KiB heap object. */
#define RX_BUF (2048 - sizeof(struct pkt))

struct vnet_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} __attribute__((packed));

struct vnet;
struct vnet_rxq {
	/* set at start, then read-only */
	struct vnet *vn;
	struct virtq *vq; /* the thread's alone */
	struct thread *thread;
	unsigned cpu;
	int kicked; /* atomic: set by the interrupt, cleared by the thread */
	uint64_t missed; /* atomic: looks that found work no interrupt told of */
	struct idle_poller idle; /* on CPU cpu (see rx_idle_look) */
};
struct vnet_txq {
	struct mutex lock; /* the queue's user */
	struct virtq *vq;  /* under lock */
};
struct vnet {
	struct netdev dev; /* first: dev->priv is also the vnet */
	/* set at start, then read-only */
	struct virtio_dev *vdev;
	unsigned npairs;
	bool mrg;
	struct vnet_rxq rx[MAX_PAIRS];
	struct vnet_txq tx[MAX_PAIRS];
};

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* ---- receive ---- */

/* Interrupt context: wake the queue's thread, nothing more. */
static void rx_interrupt(struct virtq *q)
{
	struct vnet_rxq *r = q->priv;

	thread_wake_flag(&r->kicked, r->thread);
}

static void rx_refill(struct vnet_rxq *r)
{
	bool added = false;

	while (virtq_free(r->vq)) {
		struct pkt *p = pkt_alloc(0, RX_BUF);
		struct virtq_buf b;

		if (!p)
			break; /* the thread retries on its next round */
		b = (struct virtq_buf){virt_to_phys(p->head), p->size, true};
		if (virtq_add(r->vq, &b, 1, p)) {
			pkt_free(p);
			break;
		}
		added = true;
	}
	if (added)
		virtq_kick(r->vq);
}

static void rx_drop(struct vnet *vn, struct pkt *p)
{
	count(&vn->dev.stats.rx_dropped, 1);
	pkt_free(p);
}

/* Hands a frame (data, len set) to the stack. */
static void rx_deliver(struct vnet *vn, struct pkt *p, const struct vnet_hdr *h)
{
	p->dev = &vn->dev;
	p->flags = 0;
	/* DATA_VALID: checked by the device; NEEDS_CSUM: a local sender
	 * left it partial, the data is intact (as Linux's CHECKSUM_PARTIAL
	 * on receive). */
	if (virtio_has(vn->vdev, NET_F_GUEST_CSUM) &&
	    (h->flags & (HDR_F_DATA_VALID | HDR_F_NEEDS_CSUM)))
		p->flags |= PKT_CSUM_VALID;
	if (p->data[0] & 1) {
		static const uint8_t bcast[6] = {0xff, 0xff, 0xff,
						 0xff, 0xff, 0xff};

		if (!memcmp(p->data, bcast, 6))
			p->flags |= PKT_BCAST;
		else
			count(&vn->dev.stats.rx_multicast, 1);
	}
	count(&vn->dev.stats.rx_packets, 1);
	count(&vn->dev.stats.rx_bytes, p->len);
	net_rx(&vn->dev, p);
}

/* The rest of a frame the device spread over n buffers (5.1.6.4): the
 * first is `first` (len bytes with the header); the others follow in
 * the used ring and hold frame bytes only. NULL (counted) if any is
 * missing or refused; every buffer taken is freed. */
static struct pkt *rx_merge(struct vnet_rxq *r, struct pkt *first, uint32_t len,
			    unsigned n)
{
	struct pkt *p = pkt_alloc(0, (size_t)n * RX_BUF);
	bool good = p != NULL;

	if (p)
		memcpy(pkt_put(p, len - sizeof(struct vnet_hdr)),
		       first->head + sizeof(struct vnet_hdr),
		       len - sizeof(struct vnet_hdr));
	pkt_free(first);
	for (unsigned i = 1; i < n; i++) {
		uint32_t slen;
		bool ok;
		struct pkt *seg = virtq_get(r->vq, &slen, &ok);

		if (!seg) { /* the device announced more than it gave */
			good = false;
			break;
		}
		if (good && ok)
			memcpy(pkt_put(p, slen), seg->head, slen);
		good &= ok;
		pkt_free(seg);
	}
	if (!good && p) {
		pkt_free(p);
		p = NULL;
	}
	return p;
}

/* Whether the header's GSO type is one we asked for: none, or TCP/IPv4
 * frames past the MTU once GUEST_TSO4 is on (5.1.6.4: ECN only with
 * GUEST_ECN, which we do not ask for). The stack takes such a frame as
 * one large segment; its checksum comes from the device (GUEST_CSUM). */
static bool rx_gso_ok(const struct vnet *vn, const struct vnet_hdr *h)
{
	if (h->gso_type == GSO_NONE)
		return true;
	return h->gso_type == GSO_TCPV4 &&
	       (vn->dev.features & NETDEV_F_LRO4);
}

/* One used buffer (and the ones merged with it); false when none. */
static bool rx_one(struct vnet_rxq *r)
{
	struct vnet *vn = r->vn;
	struct vnet_hdr h;
	uint32_t len;
	bool ok;
	struct pkt *p = virtq_get(r->vq, &len, &ok);
	unsigned n = 1;

	if (!p)
		return false;
	if (!ok || len < sizeof(h) + ETH_HLEN) {
		rx_drop(vn, p);
		return true;
	}
	memcpy(&h, p->head, sizeof(h));
	if (vn->mrg)
		n = h.num_buffers;
	/* num_buffers: at least this one, at most what is in flight, and no
	 * frame beyond MAX_FRAME. */
	unsigned in_flight = r->vq->size - virtq_free(r->vq);
	if (n == 0 || n - 1 > in_flight ||
	    (uint64_t)(n - 1) * RX_BUF > MAX_FRAME) {
		rx_drop(vn, p);
		return true;
	}
	if (n > 1) {
		p = rx_merge(r, p, len, n);
		if (!p) {
			count(&vn->dev.stats.rx_dropped, 1);
			return true;
		}
	} else {
		p->data = p->head + sizeof(h);
		p->len = len - sizeof(h);
	}
	if (!rx_gso_ok(vn, &h)) { /* taken whole, then dropped */
		count(&vn->dev.stats.rx_errors, 1);
		rx_drop(vn, p);
		return true;
	}
	rx_deliver(vn, p, &h);
	return true;
}

/* Polled mode while busy, then interrupts again (see the top). The ring
 * is refilled every RX_BATCH frames, so a long burst does not leave the
 * device without buffers. */
static void rx_poll(struct vnet_rxq *r)
{
	for (;;) {
		unsigned n = 0;

		virtq_disable_cb(r->vq);
		while (n < RX_BATCH && rx_one(r))
			n++;
		rx_refill(r);
		if (n < RX_BATCH && !virtq_enable_cb(r->vq))
			return;
	}
}

static bool rx_kicked(void *arg)
{
	struct vnet_rxq *r = arg;

	return __atomic_load_n(&r->kicked, __ATOMIC_ACQUIRE);
}

/*
 * When the thread must look without being told. Without an interrupt (or
 * without buffers, after running out of memory) nothing would wake it:
 * every millisecond. Otherwise as a safety net every 100 ms, on every
 * transport: a flood sometimes ends with the used ring full past
 * used_event and no interrupt raised, and the queue would otherwise stay
 * full for good. That is the lost kick's mirror image (virtq.c's header:
 * under QEMU 7.2's TCG with one vCPU the fence in virtq_enable_cb is
 * none, so our load of used->idx can pass our store of used_event while
 * the device's load of used_event passes its store of used->idx); seen
 * on microvm and on q35 with MSI-X alike.
 */
#define RX_LOOK_NS 1000000
#define RX_SAFETY_NS 100000000
static uint64_t rx_deadline(struct vnet_rxq *r)
{
	if (!r->vq->irq || virtq_free(r->vq) == r->vq->size)
		return clock_monotonic_ns() + RX_LOOK_NS;
	return clock_monotonic_ns() + RX_SAFETY_NS;
}

/* A look found used buffers that no interrupt announced. */
static void rx_missed(struct vnet_rxq *r)
{
	if (__atomic_fetch_add(&r->missed, 1, __ATOMIC_RELAXED) == 0)
		kprintf("osprey: %s: a receive interrupt did not come; the "
			"queue is also looked at every 100 ms\n",
			r->vn->dev.name);
}

/*
 * The idle loop of the queue's CPU polls it before halting (sched.h's
 * struct idle_poller): its interrupt is off meanwhile, and a frame found
 * wakes the thread as the interrupt would. The idle loop runs only while
 * the thread sleeps, i.e. after its own enable_cb found nothing, so the
 * two never change used_event at once. When the thread is woken (kicked,
 * by look or by the interrupt), loud leaves the interrupt off: the thread,
 * runnable on this CPU, takes the queue with its own protocol (rx_poll
 * ends with enable_cb and a look).
 * Turned on there, it would come anyway: the device tests used_event a
 * moment after it publishes the used index that look saw.
 */
static void rx_idle_quiet(struct idle_poller *p)
{
	virtq_disable_cb(container_of(p, struct vnet_rxq, idle)->vq);
}

static bool rx_idle_look(struct idle_poller *p)
{
	struct vnet_rxq *r = container_of(p, struct vnet_rxq, idle);

	if (!virtq_pending(r->vq))
		return false;
	thread_wake_flag(&r->kicked, r->thread);
	return true;
}

static void rx_idle_loud(struct idle_poller *p)
{
	struct vnet_rxq *r = container_of(p, struct vnet_rxq, idle);

	if (!rx_kicked(r) && virtq_enable_cb(r->vq))
		thread_wake_flag(&r->kicked, r->thread);
}

static void rx_thread(void *arg)
{
	struct vnet_rxq *r = arg;

	for (;;) {
		bool kicked = sched_wait_for(rx_kicked, r, rx_deadline(r));

		__atomic_store_n(&r->kicked, 0, __ATOMIC_RELAXED);
		if (!kicked && r->vq->irq && virtq_pending(r->vq))
			rx_missed(r);
		rx_poll(r);
	}
}

/* ---- transmit ---- */

/* Whether [p, p+len) is physically contiguous where the device can find
 * it: the direct map or the kernel image (not a thread stack). */
static bool dma_ok(const void *p)
{
	uint64_t a = (uint64_t)p;

	return (a >= PHYS_MAP_BASE && a < MMIO_BASE) || a >= KERNEL_VMA;
}

/* Whether the device can read p in place: room for the header before
 * it, and every byte in the direct map. */
static bool tx_readable(const struct pkt *p)
{
	if ((size_t)(p->data - p->head) < sizeof(struct vnet_hdr) ||
	    !dma_ok(p->head))
		return false;
	for (unsigned i = 0; i < p->nfrags; i++)
		if (!dma_ok(p->frag[i].addr))
			return false;
	return true;
}

/* A packet the device can read: p itself, or a linear copy (p freed).
 * NULL when out of memory. */
static struct pkt *tx_own(struct pkt *p)
{
	return tx_readable(p) ? p : pkt_copy(p, NET_HEADROOM);
}

/* The header for p (frame at p->data); -EINVAL for a packet asking for
 * what the device cannot do or pointing outside itself. */
static int tx_header(struct vnet *vn, struct pkt *p, struct vnet_hdr *h)
{
	uint32_t start;

	memset(h, 0, sizeof(*h));
	if (!(p->flags & (PKT_CSUM_PARTIAL | PKT_GSO_TCP4)))
		return 0;
	start = (uint32_t)(p->csum_start - (p->data - p->head));
	if (p->csum_start < p->data - p->head ||
	    (uint64_t)start + p->csum_off + 2 > p->len)
		return -EINVAL;
	if (!virtio_has(vn->vdev, NET_F_CSUM)) {
		if (p->flags & PKT_GSO_TCP4)
			return -EINVAL;
		/* The field holds the pseudo-header sum; finish it here. */
		uint16_t c = net_csum_fold(
		    net_csum_add(0, p->data + start, p->len - start));
		memcpy(p->data + start + p->csum_off, &c, 2);
		return 0;
	}
	h->flags = HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)start;
	h->csum_offset = p->csum_off;
	if (p->flags & PKT_GSO_TCP4) {
		if (!virtio_has(vn->vdev, NET_F_HOST_TSO4) || !p->gso_size ||
		    start + 13 > p->len)
			return -EINVAL;
		h->gso_type = GSO_TCPV4;
		h->gso_size = p->gso_size;
		h->hdr_len = (uint16_t)(start + (p->data[start + 12] >> 4) * 4);
	}
	return 0;
}

static void tx_reclaim(struct vnet_txq *t)
{
	uint32_t len;
	bool ok;
	struct pkt *p;

	while ((p = virtq_get(t->vq, &len, &ok)))
		pkt_free(p);
}

static int vnet_xmit(struct netdev *dev, struct pkt *p, unsigned q)
{
	struct vnet *vn = dev->priv;
	struct vnet_txq *t = &vn->tx[q % vn->npairs];
	struct vnet_hdr h;
	struct virtq_buf b[1 + PKT_FRAGS_MAX];
	uint32_t len = pkt_wire_len(p);
	int err;

	if (len < ETH_HLEN || len > MAX_FRAME || tx_header(vn, p, &h)) {
		count(&dev->stats.tx_errors, 1);
		pkt_free(p);
		return -EINVAL;
	}
	if (!(p = tx_own(p))) {
		count(&dev->stats.tx_dropped, 1);
		return -ENOBUFS;
	}
	memcpy(pkt_push(p, sizeof(h)), &h, sizeof(h));
	b[0] = (struct virtq_buf){virt_to_phys(p->data), p->len, false};
	for (unsigned i = 0; i < p->nfrags; i++)
		b[1 + i] = (struct virtq_buf){virt_to_phys(p->frag[i].addr),
					      p->frag[i].len, false};
	mutex_lock(&t->lock);
	tx_reclaim(t);
	err = virtq_add(t->vq, b, 1 + p->nfrags, p);
	if (!err)
		virtq_kick(t->vq);
	mutex_unlock(&t->lock);
	if (err) {
		count(&dev->stats.tx_dropped, 1);
		pkt_free(p);
		return -ENOBUFS;
	}
	count(&dev->stats.tx_packets, 1);
	count(&dev->stats.tx_bytes, len);
	return 0;
}

/* Whether a transmit queue still holds frames the device has not taken. */
static bool vnet_tx_busy(struct netdev *dev)
{
	struct vnet *vn = dev->priv;
	bool busy = false;

	for (unsigned i = 0; i < vn->npairs && !busy; i++) {
		struct vnet_txq *t = &vn->tx[i];

		mutex_lock(&t->lock);
		tx_reclaim(t);
		busy = !t->vq->broken && virtq_free(t->vq) < t->vq->size;
		if (busy) /* a lost kick for the last frames (see the top) */
			virtq_kick(t->vq);
		mutex_unlock(&t->lock);
	}
	return busy;
}

int64_t virtio_net_rx_interrupts(struct netdev *dev, bool *polled)
{
	struct vnet *vn = (struct vnet *)dev;
	int64_t n = 0;

	if (dev->xmit != vnet_xmit)
		return -1;
	*polled = false;
	for (unsigned i = 0; i < vn->npairs; i++) {
		n += (int64_t)__atomic_load_n(&vn->rx[i].vq->interrupts,
					      __ATOMIC_RELAXED);
		*polled |= !vn->rx[i].vq->irq;
	}
	return n;
}

/* ---- setup ---- */

/* 5.1.6.5.5: VIRTIO_NET_CTRL_MQ, VQ_PAIRS_SET. The control queue is
 * polled (sleeping between looks, 1 s at most): it is used once. */
static int set_pairs(struct virtio_dev *d, struct virtq *ctrl, uint16_t n)
{
	struct {
		uint8_t class, cmd;
		uint16_t pairs;
		uint8_t ack;
	} __attribute__((packed)) *c = calloc(1, sizeof(*c));
	int err = -ETIMEDOUT;

	if (!c)
		return -ENOMEM;
	*c = (typeof(*c)){4, 0, n, 0xff};
	struct virtq_buf b[2] = {{virt_to_phys(c), 4, false},
				 {virt_to_phys(&c->ack), 1, true}};
	if (virtq_add(ctrl, b, 2, c) == 0) {
		virtq_kick(ctrl);
		for (int i = 0; i < 10000 && err == -ETIMEDOUT; i++) {
			uint32_t len;
			bool ok;

			if (virtq_get(ctrl, &len, &ok))
				err = ok && len == 1 && c->ack == 0 ? 0 : -EIO;
			else
				thread_sleep_ns(100000);
		}
	}
	if (err != -ETIMEDOUT)
		free(c); /* else the device may still write the ack */
	return err;
}

static unsigned want_pairs(struct virtio_dev *d)
{
	uint16_t max = 1;

	if (!virtio_has(d, NET_F_MQ) || !virtio_has(d, NET_F_CTRL_VQ))
		return 1;
	virtio_config_read(d, 8, &max, 2);
	return MAX(1u, MIN(MIN((unsigned)max, cpu_count), (unsigned)MAX_PAIRS));
}

static int start_rx_thread(struct vnet *vn, unsigned i)
{
	struct vnet_rxq *r = &vn->rx[i];
	char name[16];

	snprintf(name, sizeof(name), "virtio-rx%u", i);
	r->thread = thread_create(name, rx_thread, r, THREAD_SUSPENDED);
	if (!r->thread)
		return -ENOMEM;
	thread_set_affinity(r->thread, 1ull << r->cpu);
	rx_refill(r);
	thread_start(r->thread);
	r->idle = (struct idle_poller){rx_idle_quiet, rx_idle_look, rx_idle_loud,
				       NULL};
	sched_idle_poller_add(r->cpu, &r->idle);
	return 0;
}

static int setup_queues(struct vnet *vn)
{
	struct virtio_dev *d = vn->vdev;

	for (unsigned i = 0; i < vn->npairs; i++) {
		struct vnet_rxq *r = &vn->rx[i];

		r->vn = vn;
		r->cpu = i % cpu_count;
		r->vq = virtio_setup_queue(d, 2 * i, rx_interrupt, r->cpu);
		vn->tx[i].vq = virtio_setup_queue(d, 2 * i + 1, NULL, 0);
		mutex_init(&vn->tx[i].lock);
		if (!r->vq || !vn->tx[i].vq)
			return -ENOMEM;
		/* a segment of file pages: one slot, not 1 + 18 */
		virtq_use_indirect(vn->tx[i].vq, 1 + PKT_FRAGS_MAX);
		r->vq->priv = r;
	}
	return 0;
}

static void read_mac(struct vnet *vn)
{
	if (virtio_has(vn->vdev, NET_F_MAC)) {
		virtio_config_read(vn->vdev, 0, vn->dev.mac, 6);
		return;
	}
	devfs_random_bytes(vn->dev.mac, 6);
	vn->dev.mac[0] = (uint8_t)((vn->dev.mac[0] & ~1u) | 2u); /* local */
}

static bool link_up(struct vnet *vn)
{
	uint16_t status = STATUS_LINK_UP;

	if (virtio_has(vn->vdev, NET_F_STATUS))
		virtio_config_read(vn->vdev, 6, &status, 2);
	return status & STATUS_LINK_UP;
}

static void report(struct vnet *vn)
{
	const uint8_t *m = vn->dev.mac;

	if (!boot_options.verbose)
		return;
	kprintf("osprey: %s: virtio-net %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, "
		"%u queue pair%s,%s%s%s%s%s%s\n",
		vn->dev.name, vn->vdev->where, m[0], m[1], m[2], m[3], m[4],
		m[5], vn->npairs, vn->npairs > 1 ? "s" : "",
		vn->dev.features & NETDEV_F_TX_CSUM ? " csum" : "",
		vn->dev.features & NETDEV_F_RX_CSUM ? " guest-csum" : "",
		vn->dev.features & NETDEV_F_TSO4 ? " tso4" : "",
		vn->dev.features & NETDEV_F_LRO4 ? " guest-tso4" : "",
		vn->mrg ? " mrg" : "", link_up(vn) ? "" : " (link down)");
}

static void set_features(struct vnet *vn)
{
	struct virtio_dev *d = vn->vdev;

	vn->mrg = virtio_has(d, NET_F_MRG_RXBUF);
	if (virtio_has(d, NET_F_CSUM))
		vn->dev.features |= NETDEV_F_TX_CSUM;
	if (virtio_has(d, NET_F_GUEST_CSUM))
		vn->dev.features |= NETDEV_F_RX_CSUM;
	if (virtio_has(d, NET_F_HOST_TSO4))
		vn->dev.features |= NETDEV_F_TSO4;
	if (virtio_has(d, NET_F_GUEST_TSO4))
		vn->dev.features |= NETDEV_F_LRO4;
	if (vn->mrg)
		vn->dev.features |= NETDEV_F_MRG_RX;
	vn->dev.features |= NETDEV_F_SG; /* a frame may span descriptors */
}

/* 5.1.3.1: TSO needs checksum offload, several queue pairs need the
 * control queue. Receiving TSO frames needs receive checksum offload,
 * and mergeable buffers here (5.1.6.3.1: without them every receive
 * buffer would have to hold 64 KiB). */
static uint64_t feature_deps(uint64_t f)
{
	if (!(f & VIRTIO_BIT(NET_F_CSUM)))
		f &= ~VIRTIO_BIT(NET_F_HOST_TSO4);
	if (!(f & VIRTIO_BIT(NET_F_GUEST_CSUM)) ||
	    !(f & VIRTIO_BIT(NET_F_MRG_RXBUF)))
		f &= ~VIRTIO_BIT(NET_F_GUEST_TSO4);
	if (!(f & VIRTIO_BIT(NET_F_CTRL_VQ)))
		f &= ~VIRTIO_BIT(NET_F_MQ);
	return f;
}

/* With several pairs wanted: the control queue, which comes after the
 * device's last possible pair. Without it the device uses one pair. */
static struct virtq *setup_ctrl(struct vnet *vn)
{
	uint16_t offered = 1;
	struct virtq *ctrl;

	if (vn->npairs == 1)
		return NULL;
	virtio_config_read(vn->vdev, 8, &offered, 2);
	ctrl = virtio_setup_queue(vn->vdev, 2u * offered, NULL, 0);
	if (!ctrl)
		vn->npairs = 1;
	return ctrl;
}

/* ---- the state dump (NMI) ---- */
#define MAX_DUMPED 4
static struct vnet *dumped[MAX_DUMPED]; /* set at start */

static void dump_all(void)
{
	for (unsigned i = 0; i < MAX_DUMPED && dumped[i]; i++) {
		struct vnet *vn = dumped[i];
		const struct netdev_stats *st = &vn->dev.stats;

		kprintf("%s (virtio-net %s): rx %lu dropped %lu errors %lu, tx "
			"%lu dropped %lu\n",
			vn->dev.name, vn->vdev->where, st->rx_packets,
			st->rx_dropped, st->rx_errors, st->tx_packets,
			st->tx_dropped);
		for (unsigned q = 0; q < vn->npairs; q++) {
			struct vnet_rxq *r = &vn->rx[q];

			virtq_dump(r->vq, "rx");
			kprintf("    kicked %d, %lu looks found work no interrupt "
				"told of, %lu spurious interrupts\n",
				__atomic_load_n(&r->kicked, __ATOMIC_RELAXED),
				__atomic_load_n(&r->missed, __ATOMIC_RELAXED),
				__atomic_load_n(&vn->vdev->spurious,
						__ATOMIC_RELAXED));
			thread_dump(r->thread);
			if (vn->vdev->vector > 0) {
				lapic_dump_vector((unsigned)vn->vdev->vector);
				virtio_mmio_dump_irq(vn->vdev);
			}
			virtq_dump(vn->tx[q].vq, "tx");
		}
	}
}

static void dump_add(struct vnet *vn)
{
	for (unsigned i = 0; i < MAX_DUMPED; i++)
		if (!dumped[i]) {
			if (i == 0)
				sched_add_dump_hook(dump_all);
			dumped[i] = vn;
			return;
		}
}

/* What net/ reads of the interface, set before netdev_register. */
static void fill_netdev(struct vnet *vn)
{
	vn->dev.mtu = 1500;
	vn->dev.nqueues = vn->npairs;
	vn->dev.xmit = vnet_xmit;
	vn->dev.tx_busy = vnet_tx_busy;
	vn->dev.priv = vn;
	read_mac(vn);
	set_features(vn);
}

int virtio_net_start(struct virtio_dev *d)
{
	uint64_t wanted =
	    VIRTIO_BIT(NET_F_CSUM) | VIRTIO_BIT(NET_F_GUEST_CSUM) |
	    VIRTIO_BIT(NET_F_MAC) | VIRTIO_BIT(NET_F_HOST_TSO4) |
	    VIRTIO_BIT(NET_F_GUEST_TSO4) | VIRTIO_BIT(NET_F_MRG_RXBUF) |
	    VIRTIO_BIT(NET_F_STATUS) |
	    VIRTIO_BIT(NET_F_CTRL_VQ) | VIRTIO_BIT(NET_F_MQ) |
	    VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	struct virtq *ctrl;
	struct vnet *vn;
	int err;

	if ((err = virtio_negotiate(d, wanted, feature_deps)))
		return err;
	if (!(vn = calloc(1, sizeof(*vn))))
		goto out_fail;
	vn->vdev = d;
	d->priv = vn;
	vn->npairs = want_pairs(d);
	ctrl = setup_ctrl(vn);
	if (setup_queues(vn) || virtio_ready(d))
		goto out_fail;
	if (ctrl && set_pairs(d, ctrl, (uint16_t)vn->npairs)) {
		kprintf("osprey: virtio %s: the device refused %u queue pairs: "
			"using one\n",
			d->where, vn->npairs);
		vn->npairs = 1;
	}
	fill_netdev(vn);
	for (unsigned i = 0; i < vn->npairs; i++)
		if (start_rx_thread(vn, i))
			goto out_fail;
	netdev_register(&vn->dev);
	dump_add(vn);
	if (!link_up(vn))
		__atomic_and_fetch(&vn->dev.flags, ~(unsigned)IFF_RUNNING,
				   __ATOMIC_RELAXED);
	report(vn);
	return 0;
out_fail:
	kprintf("osprey: virtio %s: virtio-net could not start\n", d->where);
	virtio_fail(d);
	return -ENOMEM;
}
