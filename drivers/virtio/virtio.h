/*
 * virtio 1.x (OASIS virtio 1.2): one driver model over two transports,
 * PCI modern (4.1: the common/notify/ISR/device configuration structures
 * found through vendor capabilities) and MMIO version 2 (4.2). Legacy
 * (pre-1.0) devices are reported once and skipped.
 *
 * A device driver (net.c, rng.c) sees a struct virtio_dev: it negotiates
 * features (virtio_negotiate: VIRTIO_F_VERSION_1 always, EVENT_IDX when
 * offered), reads its configuration, makes its queues (virtio_setup_queue,
 * with an interrupt callback and the CPU that takes it, or none for a
 * queue it polls) and says DRIVER_OK (virtio_ready).
 *
 * A queue has one user at a time: its receive thread, or whoever holds
 * its transmit mutex; nothing in struct virtq is locked. The interrupt
 * callback runs in interrupt context and may only wake that user.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_H
#define DRIVERS_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/drivers.h"
#include "drivers/virtio/virtq.h"

/* Device types (5): the ones we drive. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_9P 9

/* Device status (2.1) */
#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Reserved feature bits (6) */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BIT(b) (1ull << (b))

#define VIRTIO_MAX_QUEUES 17 /* 8 queue pairs and a control queue */

struct virtio_dev;
struct virtq;
struct netdev;
typedef void (*virtq_callback)(struct virtq *q);

/* What a transport does (virtio_pci.c, virtio_mmio.c). */
struct virtio_transport {
	const char *name;
	uint8_t (*get_status)(struct virtio_dev *d);
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *d);
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	/* a config byte and the generation counter (2.5.1) */
	uint8_t (*config8)(struct virtio_dev *d, unsigned off);
	uint32_t (*generation)(struct virtio_dev *d);
	uint16_t (*queue_max)(struct virtio_dev *d, unsigned index);
	/* gives the rings to the device and arranges its interrupt */
	int (*queue_enable)(struct virtio_dev *d, struct virtq *q);
	void (*notify)(struct virtq *q);
	/* after all queues: the shared interrupt of transports that have one */
	int (*irq_setup)(struct virtio_dev *d);
	size_t config_size;
};

/* One split virtqueue. */
struct virtq {
	/* set by virtio_setup_queue, then read-only */
	struct virtio_dev *vdev;
	uint16_t index, size;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	volatile uint16_t *notify_addr; /* PCI: this queue's doorbell */
	virtq_callback cb;		/* NULL: polled, no interrupt */
	unsigned cpu;			/* where cb runs */
	void *priv;			/* the device driver's */
	bool event_idx;
	bool irq; /* the transport gave cb an interrupt (else: poll) */
	/* the queue's one user's (see the header comment) */
	struct virtq_shadow shadow; /* chains in flight, free descriptors */
	void **token;	     /* at each head in flight: the caller's cookie */
	struct virtq_desc *itab; /* indirect tables, itab_max per head */
	uint16_t itab_max;	     /* 0: chains only */
	uint16_t avail_idx;  /* next avail slot (published at kick) */
	uint16_t kicked_idx; /* avail idx at the last notification */
	uint16_t last_used;  /* next used entry to read */
	bool broken;	     /* the device misbehaved beyond recovery */
	/* atomic: readable by anyone */
	uint64_t bad_used;   /* entries refused by virtq_check_used */
	uint64_t interrupts; /* cb calls from the interrupt */
	uint64_t rescues;    /* kicks for a device idle behind us (virtq.c) */
};

struct virtio_dev {
	/* set by the transport's probe, then read-only */
	const struct virtio_transport *t;
	uint16_t device_id;
	char where[32]; /* "pci 00:03.0", "mmio 0xfeb00000" */
	/* set by virtio_negotiate */
	uint64_t features;
	/* the transport's */
	struct pci_dev *pci;
	volatile uint8_t *common, *isr, *devcfg; /* PCI structures */
	volatile uint8_t *notify_base;
	uint32_t notify_mult, notify_len, devcfg_len;
	unsigned msix_next;	/* next free MSI-X entry */
	uint64_t spurious; /* atomic: MMIO interrupts with no status bit */
	volatile uint8_t *mmio; /* MMIO registers */
	uint32_t gsi;
	int vector; /* MMIO: the one vector of the device */
	struct virtq *queues[VIRTIO_MAX_QUEUES];
	unsigned nqueues;
	void *priv; /* the device driver's */
};

static inline bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
	return d->features & VIRTIO_BIT(bit);
}

/* Resets the device, says ACK and DRIVER, accepts what it offers of
 * `wanted` (plus VERSION_1 and EVENT_IDX), less what `fix` (may be NULL)
 * takes away from that (features whose dependencies are missing), and
 * sets FEATURES_OK; -ENODEV when the device lacks VERSION_1 or refuses.
 * d->features is what both sides have. */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted,
		     uint64_t (*fix)(uint64_t features));
/* Device configuration, read consistently (the generation counter). */
void virtio_config_read(struct virtio_dev *d, unsigned off, void *buf,
			size_t len);
/* Queue `index` with at most VIRTQ_MAX_SIZE entries; cb (may be NULL)
 * runs on CPU `cpu` when the device used buffers. NULL on failure. */
struct virtq *virtio_setup_queue(struct virtio_dev *d, unsigned index,
				 virtq_callback cb, unsigned cpu);
/* After the queues: the transport's interrupt, then DRIVER_OK. */
int virtio_ready(struct virtio_dev *d);
/* Marks the device FAILED (a driver gives up on it). */
void virtio_fail(struct virtio_dev *d);

/* ---- virtqueue operations (virtq.c); by the queue's user only ---- */
/* The rings and the driver's records for a queue of `size`; -ENOMEM. */
int virtq_alloc(struct virtq *q, uint16_t size);
/* Makes a chain of n buffers available (not yet visible: virtq_kick).
 * -ENOSPC when fewer than n descriptors are free. */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
	      void *token);
/* From now on a chain of 3 to max read-only buffers takes one descriptor
 * (VIRTIO_F_INDIRECT_DESC, negotiated by the driver): -EINVAL when
 * the device did not take it, -ENOMEM. */
int virtq_use_indirect(struct virtq *q, unsigned max);
/* Publishes what was added and notifies the device if it wants it. */
void virtq_kick(struct virtq *q);
/*
 * The next used chain: its token and the bytes the device wrote. NULL
 * when none. *ok false: the device's entry was refused (counted in
 * bad_used); the token is still given back so its buffer can be reused,
 * but what the device wrote must not be trusted.
 */
void *virtq_get(struct virtq *q, uint32_t *len, bool *ok);
/* Whether used entries are waiting. */
bool virtq_pending(struct virtq *q);
/* Interrupt suppression (2.7.7, 2.7.10): asks for no interrupt while
 * the user polls; re-enables and returns true if entries arrived in
 * between (the user must poll again). */
void virtq_disable_cb(struct virtq *q);
bool virtq_enable_cb(struct virtq *q);
/* Prints the queue's indices and counters (the NMI state dump: reads
 * only, no locks). */
void virtq_dump(const struct virtq *q, const char *what);
static inline unsigned virtq_free(const struct virtq *q)
{
	return q->shadow.nfree;
}

/* ---- transports' probes and the drivers' entry points ---- */
int virtio_pci_probe(struct pci_dev *p);
int virtio_mmio_probe(uint64_t base, uint64_t size, uint32_t gsi);
/* The state dump's view of an MMIO device's interrupt line. */
void virtio_mmio_dump_irq(struct virtio_dev *d);
/* Called by a transport once a modern device is found. */
int virtio_driver_start(struct virtio_dev *d);
int virtio_net_start(struct virtio_dev *d);
int virtio_rng_start(struct virtio_dev *d);
int virtio_blk_start(struct virtio_dev *d);
int virtio_console_start(struct virtio_dev *d);
int virtio_9p_start(struct virtio_dev *d);
/* For the self-test: interrupts taken by a virtio-net interface's
 * receive queues (-1 if dev is not one); *polled: some queue has no
 * interrupt and is looked at every millisecond instead. */
int64_t virtio_net_rx_interrupts(struct netdev *dev, bool *polled);
/* Devices found at boot, for the self-test's "none" message. */
extern unsigned virtio_devices_found;

#endif
