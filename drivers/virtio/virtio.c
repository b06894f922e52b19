/*
 * The virtio driver model (virtio 1.2, 3.1: device initialisation) over
 * whichever transport found the device, and the boot step that finds
 * devices: PCI (pci.c's list) and virtio-mmio (the kernel command line's
 * virtio_mmio.device= and the ACPI DSDT, whichever names them; a base
 * named twice is probed once).
 */
#include "drivers/virtio/virtio.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"

unsigned virtio_devices_found;

void virtio_fail(struct virtio_dev *d)
{
	d->t->set_status(d, d->t->get_status(d) | VIRTIO_STATUS_FAILED);
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted,
		     uint64_t (*fix)(uint64_t features))
{
	uint64_t offered;

	d->t->set_status(d, 0); /* reset */
	d->t->set_status(d, VIRTIO_STATUS_ACK);
	d->t->set_status(d, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	offered = d->t->get_features(d);
	if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		kprintf("osprey: virtio %s: no VIRTIO_F_VERSION_1 (a legacy "
			"device): skipped\n",
			d->where);
		virtio_fail(d);
		return -ENODEV;
	}
	wanted |=
	    VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	d->features = offered & wanted;
	if (fix)
		d->features = fix(d->features);
	d->t->set_features(d, d->features);
	d->t->set_status(d, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
				VIRTIO_STATUS_FEATURES_OK);
	if (!(d->t->get_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		kprintf("osprey: virtio %s: features 0x%lx refused\n", d->where,
			d->features);
		virtio_fail(d);
		return -ENODEV;
	}
	return 0;
}

/* 2.5.1: a multi-byte field is consistent if the generation did not
 * move while it was read. Bounded: a device that keeps changing it gets
 * whatever the last try read. */
void virtio_config_read(struct virtio_dev *d, unsigned off, void *buf,
			size_t len)
{
	uint8_t *out = buf;

	for (int tries = 0; tries < 8; tries++) {
		uint32_t gen = d->t->generation(d);

		for (size_t i = 0; i < len; i++)
			out[i] = off + i < d->t->config_size
				     ? d->t->config8(d, (unsigned)(off + i))
				     : 0;
		if (d->t->generation(d) == gen)
			return;
	}
}

struct virtq *virtio_setup_queue(struct virtio_dev *d, unsigned index,
				 virtq_callback cb, unsigned cpu)
{
	struct virtq *q;
	uint16_t max;

	max = d->t->queue_max(d, index);
	if (max == 0 || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->vdev = d;
	q->index = (uint16_t)index;
	q->cb = cb;
	q->cpu = cpu;
	q->event_idx = virtio_has(d, VIRTIO_F_EVENT_IDX);
	if (virtq_alloc(q, max < VIRTQ_MAX_SIZE ? max : VIRTQ_MAX_SIZE))
		goto out_free;
	if (d->t->queue_enable(d, q))
		goto out_free; /* the rings leak: the device may hold them */
	if (index < VIRTIO_MAX_QUEUES) { /* the ones with interrupts */
		d->queues[index] = q;
		d->nqueues = MAX(d->nqueues, index + 1);
	}
	return q;
out_free:
	free(q);
	return NULL;
}

int virtio_ready(struct virtio_dev *d)
{
	int err = d->t->irq_setup ? d->t->irq_setup(d) : 0;

	if (err)
		return err;
	d->t->set_status(d, d->t->get_status(d) | VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

int virtio_driver_start(struct virtio_dev *d)
{
	virtio_devices_found++;
	switch (d->device_id) {
	case VIRTIO_ID_NET:
		return virtio_net_start(d);
	case VIRTIO_ID_RNG:
		return virtio_rng_start(d);
	case VIRTIO_ID_BLOCK:
		return virtio_blk_start(d);
	case VIRTIO_ID_CONSOLE:
		return virtio_console_start(d);
	case VIRTIO_ID_9P:
		return virtio_9p_start(d);
	default:
		if (boot_options.verbose)
			kprintf("osprey: virtio %s: device type %u has no "
				"driver\n",
				d->where, d->device_id);
		return 0;
	}
}

/* ---- finding devices at boot ---- */

static bool listed(const uint64_t *bases, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++)
		if (bases[i] == base)
			return true;
	return false;
}

static void probe_mmio(void)
{
	uint64_t seen[CMDLINE_MAX_MMIO + ACPI_MAX_MMIO];
	unsigned nseen = 0;

	for (unsigned i = 0; i < boot_options.nmmio; i++) {
		const struct cmdline_mmio *m = &boot_options.mmio[i];

		if (listed(seen, nseen, m->base))
			continue;
		seen[nseen++] = m->base;
		virtio_mmio_probe(m->base, m->size, m->irq);
	}
	for (unsigned i = 0; i < acpi_nmmio; i++) {
		if (listed(seen, nseen, acpi_mmio[i].base))
			continue;
		seen[nseen++] = acpi_mmio[i].base;
		virtio_mmio_probe(acpi_mmio[i].base, acpi_mmio[i].size,
				  acpi_mmio[i].gsi);
	}
}

static __attribute__((noinline)) void probe_all(void)
{
	pci_init();
	for (struct pci_dev *p = pci_devices(); p; p = p->next)
		if (p->vendor == 0x1af4 && p->device >= 0x1000 &&
		    p->device <= 0x107f)
			virtio_pci_probe(p);
	probe_mmio();
	if (boot_options.verbose && (boot_options.nmmio || acpi_nmmio))
		kprintf(
		    "osprey: virtio-mmio: %u on the command line, %u in the "
		    "DSDT\n",
		    boot_options.nmmio, acpi_nmmio);
}

static int virtio_init(void)
{
	/* A machine with nothing to probe (microvm without devices) pays
	 * one test, inline: boot time is a headline number. */
	if (acpi_hw_reduced && !acpi_ecam.base && !acpi_nmmio &&
	    !boot_options.nmmio)
		return 0;
	probe_all();
	return 0;
}
/* After the scheduler (50: drivers make threads) and ACPI (70). */
INIT_STEP(72, virtio_init);
