/*
 * The virtio PCI transport, modern only (virtio 1.2, 4.1). The device's
 * vendor capabilities (id 0x09) point into its BARs at the common
 * configuration, the notification area, the ISR byte and the device's
 * own configuration; each is mapped uncached. Interrupts are MSI-X, one
 * table entry per queue that has a callback, aimed at the queue's CPU;
 * queues without one get VIRTIO_MSI_NO_VECTOR and are polled.
 *
 * A device with none of these capabilities is legacy (pre-1.0, device
 * ids 0x1000-0x103f without a modern interface): one message, skipped.
 */
#include "arch/x86_64/arch.h"
#include "drivers/virtio/virtio.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"

#define PCI_CAP_VENDOR 0x09
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define NO_VECTOR 0xffff

/* struct virtio_pci_common_cfg (4.1.4.3) */
#define C_DFSELECT 0
#define C_DF 4
#define C_GFSELECT 8
#define C_GF 12
#define C_MSIX_CONFIG 16
#define C_NUM_QUEUES 18
#define C_STATUS 20
#define C_GENERATION 21
#define C_Q_SELECT 22
#define C_Q_SIZE 24
#define C_Q_MSIX 26
#define C_Q_ENABLE 28
#define C_Q_NOTIFY_OFF 30
#define C_Q_DESC 32
#define C_Q_DRIVER 40
#define C_Q_DEVICE 48

static void w8(struct virtio_dev *d, unsigned off, uint8_t v)
{
	*(volatile uint8_t *)(d->common + off) = v;
}
static void w16(struct virtio_dev *d, unsigned off, uint16_t v)
{
	*(volatile uint16_t *)(d->common + off) = v;
}
static void w32(struct virtio_dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->common + off) = v;
}
/* 64-bit fields as two 32-bit writes, low first (4.1.3.1). */
static void w64(struct virtio_dev *d, unsigned off, uint64_t v)
{
	w32(d, off, (uint32_t)v);
	w32(d, off + 4, (uint32_t)(v >> 32));
}
static uint8_t r8(struct virtio_dev *d, unsigned off)
{
	return *(volatile uint8_t *)(d->common + off);
}
static uint16_t r16(struct virtio_dev *d, unsigned off)
{
	return *(volatile uint16_t *)(d->common + off);
}
static uint32_t r32(struct virtio_dev *d, unsigned off)
{
	return *(volatile uint32_t *)(d->common + off);
}

static uint8_t pci_get_status(struct virtio_dev *d)
{
	return r8(d, C_STATUS);
}

/* 4.1.4.3.2: after writing 0, wait until the device reads back 0. */
static void pci_set_status(struct virtio_dev *d, uint8_t s)
{
	w8(d, C_STATUS, s);
	for (int i = 0; s == 0 && i < 1000 && r8(d, C_STATUS); i++)
		thread_sleep_ns(10000);
}

static uint64_t pci_get_features(struct virtio_dev *d)
{
	w32(d, C_DFSELECT, 0);
	uint64_t lo = r32(d, C_DF);
	w32(d, C_DFSELECT, 1);
	return lo | (uint64_t)r32(d, C_DF) << 32;
}

static void pci_set_features(struct virtio_dev *d, uint64_t f)
{
	w32(d, C_GFSELECT, 0);
	w32(d, C_GF, (uint32_t)f);
	w32(d, C_GFSELECT, 1);
	w32(d, C_GF, (uint32_t)(f >> 32));
}

static uint8_t pci_config8(struct virtio_dev *d, unsigned off)
{
	return off < d->devcfg_len ? d->devcfg[off] : 0;
}

static uint32_t pci_generation(struct virtio_dev *d)
{
	return r8(d, C_GENERATION);
}

static uint16_t pci_queue_max(struct virtio_dev *d, unsigned index)
{
	if (index >= r16(d, C_NUM_QUEUES))
		return 0;
	w16(d, C_Q_SELECT, (uint16_t)index);
	return r16(d, C_Q_SIZE);
}

static void queue_irq(void *arg)
{
	struct virtq *q = arg;

	__atomic_fetch_add(&q->interrupts, 1, __ATOMIC_RELAXED);
	q->cb(q);
}

/* An MSI-X entry and a vector for q, aimed at its CPU; NO_VECTOR when it
 * has no callback or the table is used up (then it is polled only). */
static uint16_t queue_vector(struct virtio_dev *d, struct virtq *q)
{
	int vector;

	if (!q->cb || d->msix_next >= d->pci->msix_size)
		return NO_VECTOR;
	vector = arch_irq_alloc(queue_irq, q);
	if (vector < 0)
		return NO_VECTOR;
	pci_msix_set(d->pci, d->msix_next, vector, q->cpu);
	return (uint16_t)d->msix_next++;
}

static int pci_queue_enable(struct virtio_dev *d, struct virtq *q)
{
	uint16_t entry = queue_vector(d, q);

	w16(d, C_Q_SELECT, q->index);
	w16(d, C_Q_SIZE, q->size);
	w64(d, C_Q_DESC, virt_to_phys(q->desc));
	w64(d, C_Q_DRIVER, virt_to_phys(q->avail));
	w64(d, C_Q_DEVICE, virt_to_phys(q->used));
	w16(d, C_Q_MSIX, entry);
	if (r16(d, C_Q_MSIX) != entry) {
		kprintf("osprey: virtio %s: queue %u: MSI-X entry refused\n",
			d->where, q->index);
		return -EIO;
	}
	uint64_t off = (uint64_t)r16(d, C_Q_NOTIFY_OFF) * d->notify_mult;
	if (off + 2 > d->notify_len) {
		kprintf("osprey: virtio %s: queue %u: doorbell outside the "
			"notification area\n",
			d->where, q->index);
		return -EIO;
	}
	q->notify_addr = (volatile uint16_t *)(d->notify_base + off);
	w16(d, C_Q_ENABLE, 1);
	q->irq = entry != NO_VECTOR;
	if (q->cb && entry == NO_VECTOR && boot_options.verbose)
		kprintf("osprey: virtio %s: queue %u has no interrupt: "
			"polled\n",
			d->where, q->index);
	return 0;
}

static void pci_notify(struct virtq *q)
{
	*q->notify_addr = q->index;
}

static const struct virtio_transport pci_transport = {
    .name = "pci",
    .get_status = pci_get_status,
    .set_status = pci_set_status,
    .get_features = pci_get_features,
    .set_features = pci_set_features,
    .config8 = pci_config8,
    .generation = pci_generation,
    .queue_max = pci_queue_max,
    .queue_enable = pci_queue_enable,
    .notify = pci_notify,
    .config_size = 256,
};

/* One virtio capability (4.1.4): cfg_type at +3, bar +4, offset +8,
 * length +12; notify's multiplier at +16. The length is the device's
 * word: at least what the structure needs (min), mapped up to max; the
 * BAR must hold it. Maps it into *out and *len; false if unusable. */
static bool map_cap(struct virtio_dev *d, unsigned cap, uint32_t min,
		    uint32_t max, volatile uint8_t **out, uint32_t *len)
{
	struct pci_dev *p = d->pci;
	uint8_t bar = pci_read8(p, cap + 4);
	uint32_t off = pci_read32(p, cap + 8), n = pci_read32(p, cap + 12);

	if (n < min || *out)
		return false;
	n = MIN(n, max);
	*out = pci_map_bar(p, bar, off, n);
	*len = *out ? n : 0;
	return *out != NULL;
}

static void find_caps(struct virtio_dev *d)
{
	for (unsigned cap = pci_find_cap(d->pci, PCI_CAP_VENDOR, 0); cap;
	     cap = pci_find_cap(d->pci, PCI_CAP_VENDOR, cap)) {
		uint8_t type = pci_read8(d->pci, cap + 3);

		uint32_t unused;

		if (type == CAP_COMMON)
			map_cap(d, cap, 56, 4096, &d->common, &unused);
		else if (type == CAP_NOTIFY &&
			 map_cap(d, cap, 2, 65536, &d->notify_base,
				 &d->notify_len))
			d->notify_mult = pci_read32(d->pci, cap + 16);
		else if (type == CAP_ISR)
			map_cap(d, cap, 1, 4, &d->isr, &unused);
		else if (type == CAP_DEVICE)
			map_cap(d, cap, 1, 256, &d->devcfg, &d->devcfg_len);
	}
}

/* Transitional devices (0x1000-0x103f) name their type in the subsystem
 * id; modern ones are 0x1040 + type (4.1.2.1). */
static uint16_t device_type(const struct pci_dev *p)
{
	return p->device >= 0x1040 ? (uint16_t)(p->device - 0x1040)
				   : p->subsys_device;
}

int virtio_pci_probe(struct pci_dev *p)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->pci = p;
	d->t = &pci_transport;
	pci_enable(p);
	d->device_id = device_type(p);
	snprintf(d->where, sizeof(d->where), "pci %02x:%02x.%x", p->bus, p->dev,
		 p->fn);
	find_caps(d);
	if (!d->common || !d->notify_base || !d->isr) {
		kprintf("osprey: virtio %s: a legacy (pre-1.0) device without "
			"the modern interface: skipped (Osprey drives virtio "
			"1.x only)\n",
			d->where);
		free(d);
		return -ENODEV;
	}
	if (pci_msix_enable(p))
		kprintf("osprey: virtio %s: no MSI-X: its queues are "
			"polled\n",
			d->where);
	w16(d, C_MSIX_CONFIG, NO_VECTOR);
	return virtio_driver_start(d);
}
