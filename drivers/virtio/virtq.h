/*
 * The split virtqueue's shared layout (virtio 1.2, 2.7) and the checks
 * the driver makes on what the device writes back. Pure: no kernel
 * headers, so the host unit test and the fuzz target build it as is.
 *
 * The device is not trusted. The driver keeps its own record of every
 * chain it made available (struct virtq_shadow: the links, the chain
 * lengths, the bytes the device may write) in memory the device cannot
 * reach, and checks each used-ring entry against it before believing
 * it: an id out of range or not the head of a chain in flight, a length
 * larger than the chain's writable bytes, or a descriptor chain in the
 * shared table that no longer matches what the driver wrote (a loop, a
 * link out of range, a different length) is refused and counted. The
 * driver frees chains by its own links, never by the shared table's.
 */
#ifndef DRIVERS_VIRTIO_VIRTQ_H
#define DRIVERS_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_MAX_SIZE 256 /* what we ask for at most */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
struct virtq_avail {
	uint16_t flags, idx;
	uint16_t ring[]; /* size entries, then used_event */
};
struct virtq_used_elem {
	uint32_t id, len;
};
struct virtq_used {
	uint16_t flags, idx;
	struct virtq_used_elem ring[]; /* size entries, then avail_event */
};

/* The driver's private record of the chains in flight, and the free
 * descriptors (a list through `next`). */
struct virtq_shadow {
	uint16_t size;
	uint16_t free_head, nfree;
	uint16_t *next;	   /* link of each descriptor (driver's copy) */
	uint16_t *chain_n; /* at a head in flight: its descriptors; else 0 */
	uint32_t *wlen;	   /* at a head in flight: device-writable bytes */
};

/* One buffer of a chain. */
struct virtq_buf {
	uint64_t phys;
	uint32_t len;
	bool write; /* the device writes it (after every read-only one) */
};

/* All `size` descriptors free (the arrays are the caller's). */
void virtq_shadow_init(struct virtq_shadow *s, uint16_t size);
/* Writes a chain of n buffers into desc from the free list and records
 * it; its head, or -1 when fewer than n descriptors are free. */
int virtq_chain_add(struct virtq_shadow *s, struct virtq_desc *desc,
		    const struct virtq_buf *bufs, unsigned n);
/* Gives the chain at `head` (in flight) back to the free list, by the
 * driver's own links. */
void virtq_chain_free(struct virtq_shadow *s, uint16_t head);

enum virtq_verdict {
	VIRTQ_OK = 0,
	VIRTQ_BAD_ID,	     /* id >= size: nothing to give back */
	VIRTQ_NOT_IN_FLIGHT, /* not a head we made available: ignore */
	VIRTQ_BAD_LEN,	     /* the chain is ours again, its data is not */
	VIRTQ_BAD_CHAIN,     /* the same, the shared table was changed */
};

/*
 * Checks a used-ring entry (id, len) against the shadow and the shared
 * descriptor table `desc` (size entries, which the device may have
 * scribbled on). Reads at most chain_n[id] descriptors.
 */
enum virtq_verdict virtq_check_used(const struct virtq_shadow *s,
				    const struct virtq_desc *desc, uint32_t id,
				    uint32_t len);

/*
 * How many used entries the device announces: used_idx - last_used, or
 * -1 when that is more than the `in_flight` chains it holds (a device
 * that moved its index past what it was given is broken; the queue stops).
 */
int virtq_used_pending(uint16_t used_idx, uint16_t last_used,
		       uint16_t in_flight);

/*
 * virtio 1.2, 2.7.10: with VIRTIO_F_EVENT_IDX the other side wants a
 * notification when its index passes `event`, i.e. when event lies in
 * [old, new). Wrap-around is modulo 2^16.
 */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx,
				    uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/*
 * Whether a device is idle short of what the driver published: it has
 * returned every buffer before `event` (its used index is there), asks
 * for a notification at `event`, and the driver's avail index `new_idx`
 * is already past it. That is the state a lost notification leaves
 * behind (virtq.c's header says how one gets lost under QEMU's TCG); a
 * busy device passes through it only between two entries, where one
 * more notification costs nothing but the exit.
 */
static inline bool virtq_idle_behind(uint16_t event, uint16_t used_idx,
				     uint16_t new_idx)
{
	return event == used_idx && event != new_idx;
}

#endif
