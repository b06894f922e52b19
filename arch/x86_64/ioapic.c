/*
 * The I/O APIC (Intel 82093AA datasheet): an index register at base+0 and
 * a data window at base+0x10. Register 1 holds the number of redirection
 * entries (bits 16-23, minus one); entry i is the pair 0x10+2i (low:
 * vector, delivery mode, polarity bit 13, trigger bit 15, mask bit 16)
 * and 0x11+2i (high: destination APIC id in bits 24-31).
 *
 * The IOAPICs and their first GSIs come from the ACPI MADT; a machine
 * without one (microvm with acpi=off) has a single IOAPIC at the standard
 * 0xfec00000 with GSIs from 0, which is also what QEMU's MP table says.
 * Routing is done by drivers as they start (thread context); the index
 * register makes each access two writes, so accesses are serialised by
 * a mutex (interrupt handlers never touch the IOAPIC: edge sources need
 * nothing and level sources are acknowledged at their device).
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sync/sync.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000ull
#define REG_VER 1
#define RED_MASKED (1u << 16)
#define RED_LEVEL (1u << 15)
#define RED_ACTIVE_LOW (1u << 13)

static struct ioapic {
	volatile uint32_t *regs;
	uint32_t gsi_base, count;
} ioapics[ACPI_MAX_IOAPICS]; /* set by ioapic_init, then read-only */
static unsigned nioapics;
static struct mutex ioapic_lock = MUTEX_INIT; /* index/data pairs */
static bool ioapic_done;

static uint32_t reg_read(struct ioapic *a, uint32_t reg)
{
	a->regs[0] = reg;
	return a->regs[4];
}

static void reg_write(struct ioapic *a, uint32_t reg, uint32_t v)
{
	a->regs[0] = reg;
	a->regs[4] = v;
}

static void add(uint64_t base, uint32_t gsi_base)
{
	struct ioapic *a = &ioapics[nioapics];

	a->regs = mm_map_mmio(base, PAGE_SIZE);
	if (!a->regs)
		return;
	a->gsi_base = gsi_base;
	a->count = ((reg_read(a, REG_VER) >> 16) & 0xff) + 1;
	/* Everything masked until a driver routes it. */
	for (uint32_t i = 0; i < a->count; i++)
		reg_write(a, 0x10 + 2 * i, RED_MASKED);
	nioapics++;
}

/* Idempotent; called by the first driver that needs it, so a machine
 * without such devices pays nothing at boot. */
int ioapic_init(void)
{
	mutex_lock(&ioapic_lock);
	if (!ioapic_done) {
		ioapic_done = true;
		acpi_init();
		for (unsigned i = 0; i < acpi_nioapics; i++)
			add(acpi_ioapics[i].base, acpi_ioapics[i].gsi_base);
		if (!acpi_nioapics)
			add(IOAPIC_DEFAULT_BASE, 0);
	}
	mutex_unlock(&ioapic_lock);
	return nioapics ? 0 : -ENODEV;
}

static struct ioapic *find(uint32_t gsi)
{
	for (unsigned i = 0; i < nioapics; i++)
		if (gsi >= ioapics[i].gsi_base &&
		    gsi - ioapics[i].gsi_base < ioapics[i].count)
			return &ioapics[i];
	return NULL;
}

int ioapic_route(uint32_t gsi, int vector, unsigned cpu, unsigned flags)
{
	uint32_t low = (uint32_t)vector & 0xff;
	struct ioapic *a;
	int err = 0;

	if (ioapic_init())
		return -ENODEV;
	if (flags & IOAPIC_LEVEL)
		low |= RED_LEVEL;
	if (flags & IOAPIC_ACTIVE_LOW)
		low |= RED_ACTIVE_LOW;
	mutex_lock(&ioapic_lock);
	a = find(gsi);
	if (a) {
		uint32_t idx = 0x10 + 2 * (gsi - a->gsi_base);

		reg_write(a, idx, RED_MASKED);
		reg_write(a, idx + 1, (cpus[cpu].apic_id & 0xff) << 24);
		reg_write(a, idx, low);
	} else {
		err = -ENODEV;
	}
	mutex_unlock(&ioapic_lock);
	return err;
}

/* For the state dump (NMI: no lock; the index register may race with a
 * thread's access, which a dump of a hung machine accepts). */
void ioapic_dump_gsi(uint32_t gsi)
{
	struct ioapic *a = find(gsi);

	if (!a)
		return;
	uint32_t low = reg_read(a, 0x10 + 2 * (gsi - a->gsi_base));
	kprintf("    IOAPIC GSI %u: vector %u, %s, %s, remote IRR %u, "
		"delivery pending %u\n",
		gsi, low & 0xff, low & RED_LEVEL ? "level" : "edge",
		low & RED_MASKED ? "masked" : "unmasked", (low >> 14) & 1,
		(low >> 12) & 1);
}

void ioapic_mask(uint32_t gsi)
{
	struct ioapic *a;

	mutex_lock(&ioapic_lock);
	a = find(gsi);
	if (a)
		reg_write(a, 0x10 + 2 * (gsi - a->gsi_base), RED_MASKED);
	mutex_unlock(&ioapic_lock);
}

/* ACPI 6.5, 5.2.12.5: MPS INTI flags; polarity 3 is active low, trigger
 * mode 3 is level; 0 means the bus's default (ISA: edge, high). */
uint32_t ioapic_isa_gsi(unsigned irq, unsigned *flags)
{
	*flags = 0;
	acpi_init();
	for (unsigned i = 0; i < acpi_noverrides; i++) {
		const struct acpi_irq_override *o = &acpi_overrides[i];

		if (o->isa_irq != irq)
			continue;
		if ((o->flags & 3) == 3)
			*flags |= IOAPIC_ACTIVE_LOW;
		if (((o->flags >> 2) & 3) == 3)
			*flags |= IOAPIC_LEVEL;
		return o->gsi;
	}
	return irq;
}
