/*
 * The used-ring checks of virtq.h, pure so that the host test and the
 * fuzz target run the very code the kernel runs.
 */
#include "drivers/virtio/virtq.h"

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
		uint16_t flags = __atomic_load_n(&desc[i].flags, __ATOMIC_RELAXED);
		uint16_t next = __atomic_load_n(&desc[i].next, __ATOMIC_RELAXED);

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
