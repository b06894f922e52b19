/*
 * PCI: configuration space through the PCI Express ECAM window the ACPI
 * MCFG describes (q35), else through the legacy ports 0xcf8/0xcfc (pc);
 * enumeration of every bus reachable from bus 0 through bridges; BARs
 * (32- and 64-bit, sized by the write-ones protocol with decoding off);
 * the capability list; MSI-X tables.
 *
 * Firmware (SeaBIOS on pc and q35) has already assigned the BARs; we do
 * not move them. Configuration accesses happen in thread context only
 * (drivers starting), under pci_lock: the port pair is an address and a
 * data register, and sizing changes a BAR for a moment. The device list
 * is built once, under the lock, and read-only after pci_init.
 *
 * Configuration space is trusted no more than it must be: capability
 * lists are walked at most 48 steps (a loop ends), offsets stay inside
 * the 256 bytes (4096 with ECAM), BARs out of range are ignored.
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sync/sync.h"

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc
#define PCI_COMMAND 0x04
#define CMD_IO 1u
#define CMD_MEMORY 2u
#define CMD_MASTER 4u
#define CMD_INTX_OFF (1u << 10)
#define PCI_STATUS_CAPS (1u << 4)
#define PCI_CAP_MSIX 0x11

static struct mutex pci_lock = MUTEX_INIT;
static struct pci_dev *devices; /* built by pci_init; then read-only */
static bool pci_done;

/* ---- configuration space ---- */

static volatile void *ecam_addr(const struct pci_dev *d, unsigned off)
{
	uint64_t phys = acpi_ecam.base +
			((uint64_t)(d->bus - acpi_ecam.bus_start) << 20) +
			((uint64_t)d->dev << 15) + ((uint64_t)d->fn << 12);
	uint8_t *page = mm_map_mmio(phys, PAGE_SIZE); /* idempotent */

	return page ? page + off : NULL;
}

static bool use_ecam(const struct pci_dev *d)
{
	return acpi_ecam.base && d->bus >= acpi_ecam.bus_start &&
	       d->bus <= acpi_ecam.bus_end;
}

static void port_select(const struct pci_dev *d, unsigned off)
{
	outl(CFG_ADDR, 0x80000000u | (uint32_t)d->bus << 16 |
			   (uint32_t)d->dev << 11 | (uint32_t)d->fn << 8 |
			   (off & 0xfc));
}

/* Under pci_lock. Offsets are aligned to the access size by callers. */
static uint32_t cfg_read32(const struct pci_dev *d, unsigned off)
{
	if (use_ecam(d)) {
		volatile uint32_t *p = ecam_addr(d, off & 0xffc);

		return p ? *p : 0xffffffff;
	}
	if (off >= 256)
		return 0xffffffff;
	port_select(d, off);
	return inl(CFG_DATA);
}

static void cfg_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	if (use_ecam(d)) {
		volatile uint32_t *p = ecam_addr(d, off & 0xffc);

		if (p)
			*p = v;
		return;
	}
	if (off >= 256)
		return;
	port_select(d, off);
	outl(CFG_DATA, v);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
	mutex_lock(&pci_lock);
	uint32_t v = cfg_read32(d, off);
	mutex_unlock(&pci_lock);
	return v;
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(pci_read32(d, off & ~3u) >> (8 * (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *d, unsigned off)
{
	return (uint8_t)(pci_read32(d, off & ~3u) >> (8 * (off & 3)));
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	mutex_lock(&pci_lock);
	cfg_write32(d, off, v);
	mutex_unlock(&pci_lock);
}

/* Read-modify-write of the dword: ECAM would allow a 16-bit store, the
 * ports too, but one path is simpler; the neighbouring half is written
 * back unchanged (for the command register that is status, whose bits
 * are write-one-to-clear: they are masked off). */
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
	unsigned shift = 8 * (off & 2);

	mutex_lock(&pci_lock);
	uint32_t old = cfg_read32(d, off & ~3u);
	if ((off & ~3u) == PCI_COMMAND)
		old &= 0xffff; /* status: RW1C, leave alone */
	old &= ~(0xffffu << shift);
	cfg_write32(d, off & ~3u, old | (uint32_t)v << shift);
	mutex_unlock(&pci_lock);
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from)
{
	unsigned off;

	if (!(pci_read16(d, 0x06) & PCI_STATUS_CAPS))
		return 0;
	off = from ? pci_read8(d, from + 1) : pci_read8(d, 0x34);
	for (int steps = 0; steps < 48 && off >= 0x40 && off < 256; steps++) {
		off &= 0xfc;
		if (pci_read8(d, off) == id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

/* ---- BARs ---- */

/* Under pci_lock, decoding off: the size of BAR i (and of its upper half
 * for a 64-bit one); *next is the index of the following BAR. */
static void size_bar(struct pci_dev *d, unsigned i, unsigned *next)
{
	unsigned off = 0x10 + 4 * i;
	uint32_t lo = cfg_read32(d, off), hi = 0, mlo, mhi = 0xffffffff;
	bool is64 = !(lo & 1) && ((lo >> 1) & 3) == 2;

	*next = i + (is64 ? 2 : 1);
	cfg_write32(d, off, 0xffffffff);
	mlo = cfg_read32(d, off);
	cfg_write32(d, off, lo);
	if (is64 && i < 5) {
		hi = cfg_read32(d, off + 4);
		cfg_write32(d, off + 4, 0xffffffff);
		mhi = cfg_read32(d, off + 4);
		cfg_write32(d, off + 4, hi);
	}
	d->bar_io[i] = lo & 1;
	uint64_t mask = ((uint64_t)(is64 ? mhi : 0xffffffff) << 32) |
			(mlo & (d->bar_io[i] ? ~3u : ~15u));
	if (d->bar_io[i])
		mask |= 0xffffffffffff0000ull; /* 16-bit port space */
	d->bar_size[i] = mlo && mlo != 0xffffffff ? ~mask + 1 : 0;
	d->bar[i] = ((uint64_t)hi << 32) | (lo & (d->bar_io[i] ? ~3u : ~15u));
	if (!d->bar_size[i])
		d->bar[i] = 0;
}

static void size_bars(struct pci_dev *d)
{
	uint32_t cmd = cfg_read32(d, PCI_COMMAND) & 0xffff;

	cfg_write32(d, PCI_COMMAND, cmd & ~(CMD_IO | CMD_MEMORY));
	for (unsigned i = 0, next; i < 6; i = next)
		size_bar(d, i, &next);
	cfg_write32(d, PCI_COMMAND, cmd);
}

/* Under pci_lock: the registers enumeration left for later. */
static void read_details(struct pci_dev *d)
{
	uint32_t cls = cfg_read32(d, 0x08), intr = cfg_read32(d, 0x3c);

	d->revision = (uint8_t)cls;
	d->prog_if = (uint8_t)(cls >> 8);
	d->subclass = (uint8_t)(cls >> 16);
	d->class_code = (uint8_t)(cls >> 24);
	d->subsys_device = (uint16_t)(cfg_read32(d, 0x2c) >> 16);
	d->irq_line = (uint8_t)intr;
	d->irq_pin = (uint8_t)(intr >> 8);
}

/* BARs are sized and capabilities found only for devices a driver takes:
 * sizing turns decoding off for a moment, which other devices (the ISA
 * bridge behind the console) are better spared. */
void pci_enable(struct pci_dev *d)
{
	mutex_lock(&pci_lock);
	read_details(d);
	size_bars(d);
	uint32_t cmd = cfg_read32(d, PCI_COMMAND) & 0xffff;
	cfg_write32(d, PCI_COMMAND, cmd | CMD_MEMORY | CMD_MASTER);
	mutex_unlock(&pci_lock);
	d->msix_cap = (uint8_t)pci_find_cap(d, PCI_CAP_MSIX, 0);
}

void *pci_map_bar(struct pci_dev *d, unsigned bar, uint64_t off, uint64_t len)
{
	if (bar >= 6 || d->bar_io[bar] || !d->bar[bar] ||
	    off > d->bar_size[bar] || len > d->bar_size[bar] - off)
		return NULL;
	return mm_map_mmio(d->bar[bar] + off, len);
}

/* ---- MSI-X (PCI Local Bus 3.0, 6.8.2) ---- */
#define MSIX_CTRL_ENABLE (1u << 15)
#define MSIX_CTRL_MASKALL (1u << 14)
#define MSIX_ENTRY_MASKED 1u

int pci_msix_enable(struct pci_dev *d)
{
	unsigned cap = d->msix_cap;

	if (!cap)
		return -ENODEV;
	uint16_t ctrl = pci_read16(d, cap + 2);
	uint32_t table = pci_read32(d, cap + 4);
	d->msix_size = (ctrl & 0x7ff) + 1;
	d->msix_table =
	    pci_map_bar(d, table & 7, table & ~7u, (uint64_t)d->msix_size * 16);
	if (!d->msix_table)
		return -ENODEV;
	for (unsigned i = 0; i < d->msix_size; i++)
		d->msix_table[4 * i + 3] = MSIX_ENTRY_MASKED;
	pci_write16(d, cap + 2, (ctrl & 0x7ff) | MSIX_CTRL_ENABLE);
	/* With MSI-X on, INTx is off by definition; say so anyway. */
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | CMD_INTX_OFF);
	return 0;
}

int pci_msix_set(struct pci_dev *d, unsigned entry, int vector, unsigned cpu)
{
	volatile uint32_t *e;
	uint64_t addr;
	uint32_t data;

	if (!d->msix_table || entry >= d->msix_size)
		return -EINVAL;
	e = d->msix_table + 4 * entry;
	arch_msi_message(cpu, vector, &addr, &data);
	e[3] = MSIX_ENTRY_MASKED;
	e[0] = (uint32_t)addr;
	e[1] = (uint32_t)(addr >> 32);
	e[2] = data;
	e[3] = 0;
	return 0;
}

/* ---- enumeration ---- */

static void scan_bus(uint8_t bus, int depth);

/* Under pci_lock: a function that answers, with its header dword 0x0c.
 * Enumeration reads as little as it can (each access is a trap to the
 * hypervisor, at boot): the class, subsystem and interrupt registers
 * are read when a driver enables the device. */
static void add_function(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id,
			 uint32_t header, int depth)
{
	struct pci_dev probe = {.bus = bus, .dev = dev, .fn = fn};
	uint8_t htype = (uint8_t)(header >> 16) & 0x7f;
	struct pci_dev *d, **tail;

	if (htype == 1) { /* a bridge: its secondary bus */
		uint8_t secondary = (uint8_t)(cfg_read32(&probe, 0x18) >> 8);

		if (secondary > bus && depth < 8)
			scan_bus(secondary, depth + 1);
		return;
	}
	if (htype != 0 || !(d = calloc(1, sizeof(*d))))
		return;
	*d = probe;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	for (tail = &devices; *tail; tail = &(*tail)->next)
		;
	*tail = d;
}

static void scan_bus(uint8_t bus, int depth)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		for (uint8_t fn = 0; fn < 8; fn++) {
			struct pci_dev p = {.bus = bus, .dev = dev, .fn = fn};
			uint32_t id = cfg_read32(&p, 0), header;

			if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0) {
				if (fn == 0)
					break;
				continue;
			}
			header = cfg_read32(&p, 0x0c);
			add_function(bus, dev, fn, id, header, depth);
			/* Header type bit 7: more functions than 0. */
			if (fn == 0 && !(header & (0x80u << 16)))
				break;
		}
	}
}

static void report(void)
{
	unsigned n = 0;

	for (struct pci_dev *d = devices; d; d = d->next)
		n++;
	kprintf("osprey: PCI: %u functions, configuration through %s\n", n,
		acpi_ecam.base ? "ECAM (MCFG)" : "ports 0xcf8/0xcfc");
}

/* Whether PCI can be there at all: a hardware-reduced ACPI machine
 * (microvm) has no configuration ports, only ECAM when the MCFG says so. */
bool pci_possible(void)
{
	return acpi_ecam.base || !acpi_hw_reduced;
}

int pci_init(void)
{
	if (!pci_possible())
		return 0;
	mutex_lock(&pci_lock);
	if (!pci_done) {
		struct pci_dev host = {0};

		pci_done = true;
		acpi_init();
		/* Every PCI system has a host bridge at 00:00.0; without one
		 * (microvm without ACPI) this one read is all PCI costs. */
		uint32_t id = cfg_read32(&host, 0);
		if ((id & 0xffff) != 0xffff && (id & 0xffff) != 0)
			scan_bus(acpi_ecam.base ? acpi_ecam.bus_start : 0, 0);
		if (boot_options.verbose && devices)
			report();
	}
	mutex_unlock(&pci_lock);
	return 0;
}

struct pci_dev *pci_devices(void)
{
	return devices;
}
