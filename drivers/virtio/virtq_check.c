/*
 * The driver's record of its descriptor chains and the checks of used
 * entries against it (virtq.h), pure so that the host test and the fuzz
 * target run the very code the kernel runs.
 */
#include "drivers/virtio/virtq.h"

void virtq_shadow_init(struct virtq_shadow *s, uint16_t size)
{
	s->size = size;
	for (uint16_t i = 0; i < size; i++) {
		s->next[i] = (uint16_t)(i + 1 < size ? i + 1 : 0);
		s->chain_n[i] = 0;
		s->wlen[i] = 0;
	}
	s->free_head = 0;
	s->nfree = size;
}

/* The chain takes the first n free descriptors, linked as the free list
 * already links them, so `next` needs no change until it is freed. */
int virtq_chain_add(struct virtq_shadow *s, struct virtq_desc *desc,
		    const struct virtq_buf *bufs, unsigned n)
{
	uint16_t head = s->free_head, i = head;
	uint64_t wlen = 0;

	if (n == 0 || n > s->nfree)
		return -1;
	for (unsigned k = 0; k < n; k++) {
		struct virtq_desc *d = &desc[i];

		d->addr = bufs[k].phys;
		d->len = bufs[k].len;
		d->flags = (uint16_t)((bufs[k].write ? VIRTQ_DESC_F_WRITE : 0) |
				      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		d->next = s->next[i];
		if (bufs[k].write)
			wlen += bufs[k].len;
		if (k + 1 < n)
			i = s->next[i];
	}
	s->free_head = s->next[i];
	s->nfree = (uint16_t)(s->nfree - n);
	s->chain_n[head] = (uint16_t)n;
	s->wlen[head] = wlen > UINT32_MAX ? UINT32_MAX : (uint32_t)wlen;
	return head;
}

void virtq_chain_free(struct virtq_shadow *s, uint16_t head)
{
	uint16_t n = s->chain_n[head], last = head;

	for (uint16_t k = 1; k < n; k++)
		last = s->next[last];
	s->next[last] = s->free_head;
	s->free_head = head;
	s->nfree = (uint16_t)(s->nfree + n);
	s->chain_n[head] = 0;
}

enum virtq_verdict virtq_check_used(const struct virtq_shadow *s,
				    const struct virtq_desc *desc, uint32_t id,
				    uint32_t len)
{
	uint16_t n, i;

	if (id >= s->size)
		return VIRTQ_BAD_ID;
	n = s->chain_n[id];
	if (n == 0)
		return VIRTQ_NOT_IN_FLIGHT;
	if (len > s->wlen[id])
		return VIRTQ_BAD_LEN;
	/* The shared chain must still be the one we wrote: exactly n
	 * descriptors, linked as our copy says. A loop cannot run past n. */
	i = (uint16_t)id;
	for (uint16_t k = 1; k < n; k++) {
		uint16_t flags =
		    __atomic_load_n(&desc[i].flags, __ATOMIC_RELAXED);
		uint16_t next =
		    __atomic_load_n(&desc[i].next, __ATOMIC_RELAXED);

		if (!(flags & VIRTQ_DESC_F_NEXT) || next >= s->size ||
		    next != s->next[i])
			return VIRTQ_BAD_CHAIN;
		i = next;
	}
	if (__atomic_load_n(&desc[i].flags, __ATOMIC_RELAXED) &
	    VIRTQ_DESC_F_NEXT)
		return VIRTQ_BAD_CHAIN;
	return VIRTQ_OK;
}

int virtq_used_pending(uint16_t used_idx, uint16_t last_used,
		       uint16_t in_flight)
{
	uint16_t n = (uint16_t)(used_idx - last_used);

	return n > in_flight ? -1 : n;
}
