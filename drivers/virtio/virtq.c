/*
 * Split virtqueues (virtio 1.2, 2.7): the driver side.
 *
 * The driver owns the descriptor table and the available ring; the
 * device owns the used ring. The driver writes descriptors and ring
 * entries, then publishes them by storing avail->idx with release order
 * (x86 keeps stores in order; the release keeps the compiler from moving
 * them). Reading the used ring starts with an acquire load of used->idx,
 * after which the entries below it are the device's finished work.
 *
 * Notifications both ways are suppressed with VIRTIO_F_EVENT_IDX when
 * negotiated (2.7.10): the device writes avail_event (the avail index at
 * which it wants a kick), the driver writes used_event (the used index at
 * which it wants an interrupt). Each side's store of its index and its
 * load of the other's event field need a full fence between them, or
 * both could miss each other (store-load reordering).
 *
 * Under QEMU's TCG before 8.1 the guest's fence is not one: with a
 * single vCPU, TCG drops every guest barrier (mfence, locked
 * instructions; tcg_gen_mb without CF_PARALLEL; QEMU commit c914d46d0a,
 * "tcg: Do not elide memory barriers for !CF_PARALLEL in system mode",
 * fixed it in 8.1), yet the device runs in QEMU's main-loop thread on
 * another host CPU. Our store of avail->idx can then sit in the host's
 * store buffer while our load of avail_event reads the old value, and
 * the device, between its own store of avail_event and its fenced
 * re-read of avail->idx, reads our old index: it goes idle waiting for a
 * kick at an index we have already passed, and none comes (QEMU 7.2's
 * virtio-net transmit queue stopped for good under a TCP stream this
 * way, with tx=bh and tx=timer alike; with -smp 1,maxcpus=2, which
 * keeps the barriers, it never did). So virtq_kick also notifies when
 * the device looks idle behind what we published (virtq_idle_behind:
 * its used index at its avail_event, our index past it): that state is
 * stable once reached, so the next kick, or a caller polling with
 * virtq_kick (net_flush), sees it and wakes the device.
 *
 * Every used entry goes through virtq_check_used (virtq_check.c) before
 * it is believed; chains are freed along the driver's own links.
 */
#include "drivers/virtio/virtio.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

static uint16_t *used_event(struct virtq *q)
{
	return &q->avail->ring[q->size];
}

static uint16_t *avail_event(struct virtq *q)
{
	return (uint16_t *)&q->used->ring[q->size];
}

/* desc at 0 (16 bytes per entry, one page for 256), the available ring at
 * 4096, the used ring at 5120: one order-1 block holds a queue of 256. */
int virtq_alloc(struct virtq *q, uint16_t size)
{
	uint8_t *mem = page_alloc(1);

	q->shadow.next = calloc(size, sizeof(uint16_t));
	q->shadow.chain_n = calloc(size, sizeof(uint16_t));
	q->shadow.wlen = calloc(size, sizeof(uint32_t));
	q->token = calloc(size, sizeof(void *));
	if (!mem || !q->shadow.next || !q->shadow.chain_n || !q->shadow.wlen ||
	    !q->token) {
		if (mem)
			page_free(mem, 1);
		free(q->shadow.next);
		free(q->shadow.chain_n);
		free(q->shadow.wlen);
		free(q->token);
		return -ENOMEM;
	}
	memset(mem, 0, 2 * PAGE_SIZE);
	q->size = size;
	q->desc = (struct virtq_desc *)mem;
	q->avail = (struct virtq_avail *)(mem + 4096);
	q->used = (struct virtq_used *)(mem + 5120);
	virtq_shadow_init(&q->shadow, size);
	return 0;
}

/*
 * Indirect descriptors (2.7.5.3): a chain of n read-only buffers written
 * into the table kept for the head it will get, and one descriptor
 * pointing at it, so a packet of many fragments takes one slot of the
 * ring. The table is the driver's until the head comes back used; the
 * device only reads it.
 */
int virtq_use_indirect(struct virtq *q, unsigned max)
{
	if (!virtio_has(q->vdev, VIRTIO_F_INDIRECT_DESC) || max < 2 ||
	    max > UINT16_MAX)
		return -EINVAL; /* not negotiated */
	q->itab = calloc((size_t)q->size * max, sizeof(struct virtq_desc));
	if (!q->itab)
		return -ENOMEM;
	q->itab_max = (uint16_t)max;
	return 0;
}

static bool indirect_fits(const struct virtq *q, const struct virtq_buf *bufs,
			  unsigned n)
{
	if (n <= 2 || n > q->itab_max || !q->shadow.nfree)
		return false;
	for (unsigned k = 0; k < n; k++)
		if (bufs[k].write)
			return false;
	return true;
}

static int add_indirect(struct virtq *q, const struct virtq_buf *bufs,
			unsigned n)
{
	uint16_t h = q->shadow.free_head;
	struct virtq_desc *t = q->itab + (size_t)h * q->itab_max;
	struct virtq_buf one = {virt_to_phys(t), n * sizeof(*t), false};
	int head;

	for (unsigned k = 0; k < n; k++)
		t[k] = (struct virtq_desc){
		    bufs[k].phys, bufs[k].len,
		    (uint16_t)(k + 1 < n ? VIRTQ_DESC_F_NEXT : 0),
		    (uint16_t)(k + 1)};
	head = virtq_chain_add(&q->shadow, q->desc, &one, 1);
	if (head >= 0)
		q->desc[head].flags |= VIRTQ_DESC_F_INDIRECT;
	return head;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
	      void *token)
{
	int head;

	if (q->broken)
		return -ENOSPC;
	head = indirect_fits(q, bufs, n)
		   ? add_indirect(q, bufs, n)
		   : virtq_chain_add(&q->shadow, q->desc, bufs, n);
	if (head < 0)
		return -ENOSPC;
	q->token[head] = token;
	q->avail->ring[q->avail_idx % q->size] = (uint16_t)head;
	q->avail_idx++;
	return 0;
}

void virtq_kick(struct virtq *q)
{
	bool need;

	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		uint16_t event =
		    __atomic_load_n(avail_event(q), __ATOMIC_RELAXED);

		need = virtq_need_event(event, q->avail_idx, q->kicked_idx);
		if (!need &&
		    virtq_idle_behind(
			event, __atomic_load_n(&q->used->idx, __ATOMIC_RELAXED),
			q->avail_idx)) {
			need = true;
			__atomic_fetch_add(&q->rescues, 1, __ATOMIC_RELAXED);
		}
	} else
		need = !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) &
			 VIRTQ_USED_F_NO_NOTIFY);
	q->kicked_idx = q->avail_idx;
	if (need)
		q->vdev->t->notify(q);
}

static void refuse(struct virtq *q, const char *why)
{
	uint64_t n = __atomic_fetch_add(&q->bad_used, 1, __ATOMIC_RELAXED);

	if (n == 0)
		kprintf("osprey: virtio %s queue %u: %s (dropped; counting)\n",
			q->vdev->where, q->index, why);
}

bool virtq_pending(struct virtq *q)
{
	return !q->broken &&
	       __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used;
}

void *virtq_get(struct virtq *q, uint32_t *len, bool *ok)
{
	static const char *const why[] = {
	    [VIRTQ_BAD_ID] = "used id out of range",
	    [VIRTQ_NOT_IN_FLIGHT] = "used id not in flight",
	    [VIRTQ_BAD_LEN] = "used length beyond the buffer",
	    [VIRTQ_BAD_CHAIN] = "descriptor chain changed under us",
	};

	while (!q->broken) {
		uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
		int pending = virtq_used_pending(
		    idx, q->last_used, (uint16_t)(q->size - q->shadow.nfree));

		if (pending < 0) {
			q->broken = true;
			refuse(q, "used index past what it was given; "
				  "queue stopped");
			return NULL;
		}
		if (pending == 0)
			return NULL;
		/* One load of each field: the device may rewrite the entry
		 * while we look, and we must check what we use. */
		struct virtq_used_elem *u =
		    &q->used->ring[q->last_used % q->size];
		struct virtq_used_elem e = {
		    __atomic_load_n(&u->id, __ATOMIC_RELAXED),
		    __atomic_load_n(&u->len, __ATOMIC_RELAXED)};
		q->last_used++;
		enum virtq_verdict v =
		    virtq_check_used(&q->shadow, q->desc, e.id, e.len);
		if (v == VIRTQ_BAD_ID || v == VIRTQ_NOT_IN_FLIGHT) {
			refuse(q, why[v]);
			continue;
		}
		if (v != VIRTQ_OK)
			refuse(q, why[v]);
		virtq_chain_free(&q->shadow, (uint16_t)e.id);
		*len = e.len;
		*ok = v == VIRTQ_OK;
		return q->token[e.id];
	}
	return NULL;
}

void virtq_disable_cb(struct virtq *q)
{
	/* With EVENT_IDX, used_event half the index space ahead: the device
	 * interrupts when its used index passes it, 32768 entries from now,
	 * long after enable_cb has set it back. (Left where it was, the
	 * device would interrupt for the next entry while we poll.) */
	if (q->event_idx)
		__atomic_store_n(used_event(q), (uint16_t)(q->last_used + 0x8000),
				 __ATOMIC_RELAXED);
	else
		q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
}

bool virtq_enable_cb(struct virtq *q)
{
	if (q->event_idx)
		__atomic_store_n(used_event(q), q->last_used, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&q->avail->flags, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_pending(q);
}

void virtq_dump(const struct virtq *q, const char *what)
{
	kprintf("  %s queue %u: avail %u (kicked at %u, device wants a kick "
		"at %u), used %u (read to %u, interrupt wanted at %u), %u of "
		"%u free, %lu interrupts, %lu refused, %lu kicks for an idle "
		"device%s\n",
		what, q->index, q->avail_idx, q->kicked_idx,
		*(const volatile uint16_t *)&q->used->ring[q->size],
		*(const volatile uint16_t *)&q->used->idx, q->last_used,
		*(const volatile uint16_t *)&q->avail->ring[q->size],
		q->shadow.nfree, q->size,
		__atomic_load_n(&q->interrupts, __ATOMIC_RELAXED),
		__atomic_load_n(&q->bad_used, __ATOMIC_RELAXED),
		__atomic_load_n(&q->rescues, __ATOMIC_RELAXED),
		q->broken ? ", BROKEN" : "");
}
