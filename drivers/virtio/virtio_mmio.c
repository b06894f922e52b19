/*
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2): one page of
 * registers per device and one interrupt line, which QEMU's microvm
 * wires to an IOAPIC input and names on the kernel command line or in
 * the DSDT. The line is level-triggered: the interrupt handler reads
 * InterruptStatus, acknowledges those bits at the device (so the line
 * drops before the EOI) and calls every queue's callback; the callbacks
 * only wake their threads.
 *
 * Version 1 is the legacy interface (QEMU's default for virtio-mmio
 * unless -global virtio-mmio.force-legacy=false): one message, skipped.
 */
#include "arch/x86_64/arch.h"
#include "drivers/virtio/virtio.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INT_STATUS 0x060
#define R_INT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define R_GENERATION 0x0fc
#define R_CONFIG 0x100
#define MMIO_MAGIC 0x74726976 /* "virt" */
#define INT_USED_BUFFER 1u

static uint32_t rd(struct virtio_dev *d, unsigned off)
{
	return *(volatile uint32_t *)(d->mmio + off);
}

static void wr(struct virtio_dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->mmio + off) = v;
}

static uint8_t mmio_get_status(struct virtio_dev *d)
{
	return (uint8_t)rd(d, R_STATUS);
}

static void mmio_set_status(struct virtio_dev *d, uint8_t s)
{
	wr(d, R_STATUS, s);
}

static uint64_t mmio_get_features(struct virtio_dev *d)
{
	wr(d, R_DEV_FEATURES_SEL, 0);
	uint64_t lo = rd(d, R_DEV_FEATURES);
	wr(d, R_DEV_FEATURES_SEL, 1);
	return lo | (uint64_t)rd(d, R_DEV_FEATURES) << 32;
}

static void mmio_set_features(struct virtio_dev *d, uint64_t f)
{
	wr(d, R_DRV_FEATURES_SEL, 0);
	wr(d, R_DRV_FEATURES, (uint32_t)f);
	wr(d, R_DRV_FEATURES_SEL, 1);
	wr(d, R_DRV_FEATURES, (uint32_t)(f >> 32));
}

static uint8_t mmio_config8(struct virtio_dev *d, unsigned off)
{
	return *(volatile uint8_t *)(d->mmio + R_CONFIG + off);
}

static uint32_t mmio_generation(struct virtio_dev *d)
{
	return rd(d, R_GENERATION);
}

static uint16_t mmio_queue_max(struct virtio_dev *d, unsigned index)
{
	wr(d, R_QUEUE_SEL, index);
	if (rd(d, R_QUEUE_READY))
		return 0; /* 4.2.3.2: must not be in use */
	uint32_t max = rd(d, R_QUEUE_NUM_MAX);
	return max > 0xffff ? 0xffff : (uint16_t)max;
}

static void wr64(struct virtio_dev *d, unsigned off, uint64_t v)
{
	wr(d, off, (uint32_t)v);
	wr(d, off + 4, (uint32_t)(v >> 32));
}

static int mmio_queue_enable(struct virtio_dev *d, struct virtq *q)
{
	wr(d, R_QUEUE_SEL, q->index);
	wr(d, R_QUEUE_NUM, q->size);
	wr64(d, R_QUEUE_DESC, virt_to_phys(q->desc));
	wr64(d, R_QUEUE_DRIVER, virt_to_phys(q->avail));
	wr64(d, R_QUEUE_DEVICE, virt_to_phys(q->used));
	wr(d, R_QUEUE_READY, 1);
	return 0;
}

static void mmio_notify(struct virtq *q)
{
	wr(q->vdev, R_QUEUE_NOTIFY, q->index);
}

/* For the state dump: the device's InterruptStatus (reading it changes
 * nothing) and where its line goes. */
void virtio_mmio_dump_irq(struct virtio_dev *d)
{
	kprintf("    InterruptStatus 0x%x\n", rd(d, R_INT_STATUS));
	ioapic_dump_gsi(d->gsi < 16 ? ioapic_isa_gsi(d->gsi, &(unsigned){0})
				    : d->gsi);
}

/* Interrupt context: acknowledge, then wake the queues' users. */
static void mmio_irq(void *arg)
{
	struct virtio_dev *d = arg;
	uint32_t status = rd(d, R_INT_STATUS);

	wr(d, R_INT_ACK, status);
	if (!status)
		__atomic_fetch_add(&d->spurious, 1, __ATOMIC_RELAXED);
	if (!(status & INT_USED_BUFFER))
		return; /* a configuration change: nothing watches it yet */
	for (unsigned i = 0; i < d->nqueues; i++) {
		struct virtq *q = d->queues[i];

		if (q && q->cb) {
			__atomic_fetch_add(&q->interrupts, 1, __ATOMIC_RELAXED);
			q->cb(q);
		}
	}
}

/* One vector for the device, the line routed level/high to the CPU of
 * its first queue with a callback (ISA IRQs through the MADT's
 * overrides to their GSI). */
static int mmio_irq_setup(struct virtio_dev *d)
{
	unsigned cpu = 0, flags;
	bool any = false;

	for (unsigned i = 0; i < d->nqueues; i++)
		if (d->queues[i] && d->queues[i]->cb && !any) {
			any = true;
			cpu = d->queues[i]->cpu;
		}
	if (!any)
		return 0;
	uint32_t gsi = d->gsi < 16 ? ioapic_isa_gsi(d->gsi, &flags) : d->gsi;
	d->vector = arch_irq_alloc(mmio_irq, d);
	if (d->vector < 0)
		return d->vector;
	if (ioapic_route(gsi, d->vector, cpu, IOAPIC_LEVEL)) {
		kprintf("osprey: virtio %s: no IOAPIC input for GSI %u: "
			"polled\n",
			d->where, gsi);
		arch_irq_free(d->vector);
		return 0;
	}
	for (unsigned i = 0; i < d->nqueues; i++)
		if (d->queues[i] && d->queues[i]->cb)
			d->queues[i]->irq = true;
	return 0;
}

static const struct virtio_transport mmio_transport = {
    .name = "mmio",
    .get_status = mmio_get_status,
    .set_status = mmio_set_status,
    .get_features = mmio_get_features,
    .set_features = mmio_set_features,
    .config8 = mmio_config8,
    .generation = mmio_generation,
    .queue_max = mmio_queue_max,
    .queue_enable = mmio_queue_enable,
    .notify = mmio_notify,
    .irq_setup = mmio_irq_setup,
    .config_size = 256,
};

int virtio_mmio_probe(uint64_t base, uint64_t size, uint32_t gsi)
{
	struct virtio_dev *d;
	volatile uint8_t *regs;

	if (size < 0x200 || base & 3)
		return -EINVAL;
	regs = mm_map_mmio(base, 0x200);
	if (!regs)
		return -ENOMEM;
	if (*(volatile uint32_t *)regs != MMIO_MAGIC)
		return -ENODEV;
	uint32_t version = *(volatile uint32_t *)(regs + R_VERSION);
	uint32_t id = *(volatile uint32_t *)(regs + R_DEVICE_ID);
	if (id == 0)
		return 0; /* a transport with no device behind it */
	if (version != 2) {
		kprintf("osprey: virtio mmio 0x%lx: a legacy (version %u) "
			"device: skipped (Osprey drives virtio 1.x only; QEMU: "
			"-global virtio-mmio.force-legacy=false)\n",
			base, version);
		return -ENODEV;
	}
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->t = &mmio_transport;
	d->mmio = regs;
	d->gsi = gsi;
	d->vector = -1;
	d->device_id = (uint16_t)id;
	snprintf(d->where, sizeof(d->where), "mmio 0x%lx", base);
	return virtio_driver_start(d);
}
