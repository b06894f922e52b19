/*
 * Just enough ACPI to power off and to find devices: find the RSDP (from the PVH start info or
 * by scanning the BIOS area), walk the XSDT/RSDT to the FADT, take the PM1
 * control ports (or, for hardware-reduced ACPI as on microvm, the sleep
 * control register), and find the \_S5 sleep type in the DSDT by scanning
 * for its name, without an AML interpreter. The MADT gives the CPUs, the
 * IOAPICs and the ISA interrupt overrides, the MCFG the PCI Express
 * configuration window (ECAM), and the DSDT the virtio-mmio devices of
 * QEMU's microvm (found by their _HID, again without an interpreter).
 * Tables are firmware input:
 * every length is checked against the table that holds it.
 */
#include "drivers/drivers.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

struct acpi_power acpi_power;
bool acpi_hw_reduced;
static bool acpi_done;

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

/* The direct map covers at least the first 4 GiB, where firmware puts ACPI. */
static const void *table_at(uint64_t phys)
{
	if (phys == 0 || phys >= (4ull << 30))
		return NULL;
	return phys_to_virt(phys);
}

static bool checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

static const uint8_t *find_rsdp(void)
{
	if (boot_info.rsdp_phys)
		return table_at(boot_info.rsdp_phys);
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
		const uint8_t *p = phys_to_virt(a);

		if (memcmp(p, "RSD PTR ", 8) == 0 && checksum_ok(p, 20))
			return p;
	}
	return NULL;
}

static const struct sdt_header *sdt_at(uint64_t phys)
{
	const struct sdt_header *h = table_at(phys);

	if (!h || h->length < sizeof(*h) || h->length > (1u << 24))
		return NULL;
	if (!checksum_ok(h, h->length))
		return NULL;
	return h;
}

/* Calls fn for each table the XSDT (or RSDT) lists, each checked once:
 * one walk for all the tables we read. */
static void for_each_table(const uint8_t *rsdp,
			   void (*fn)(const struct sdt_header *h))
{
	uint64_t root_phys;
	unsigned entry_size;

	if (rsdp[15] >= 2) {
		memcpy(&root_phys, rsdp + 24, 8);
		entry_size = 8;
	} else {
		uint32_t r;

		memcpy(&r, rsdp + 16, 4);
		root_phys = r;
		entry_size = 4;
	}
	const struct sdt_header *root = sdt_at(root_phys);
	if (!root)
		return;
	size_t n = (root->length - sizeof(*root)) / entry_size;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t phys = 0;

		memcpy(&phys, entries + i * entry_size, entry_size);
		const struct sdt_header *h = sdt_at(phys);
		if (h)
			fn(h);
	}
}

/* An AML integer of a package element: ZeroOp, OneOp or BytePrefix n. */
static int aml_small_int(const uint8_t *p, const uint8_t *end, uint16_t *v,
			 const uint8_t **next)
{
	if (p >= end)
		return -EINVAL;
	if (*p == 0x00 || *p == 0x01) {
		*v = *p;
		*next = p + 1;
		return 0;
	}
	if (*p == 0x0a && p + 1 < end) {
		*v = p[1];
		*next = p + 2;
		return 0;
	}
	return -EINVAL;
}

/* Name(_S5_, Package() {typ_a, typ_b, ...}) somewhere in the DSDT. */
static void find_s5(const struct sdt_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)(dsdt + 1);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
			continue;
		const uint8_t *q = p + 5;
		q += 1 + (*q >> 6); /* PkgLength: lead byte + follow bytes */
		q++;		    /* NumElements */
		if (aml_small_int(q, end, &acpi_power.s5_typ_a, &q) == 0 &&
		    aml_small_int(q, end, &acpi_power.s5_typ_b, &q) == 0) {
			acpi_power.have_s5 = true;
			return;
		}
	}
}

struct acpi_mmio_dev acpi_mmio[ACPI_MAX_MMIO];
unsigned acpi_nmmio;

static void find_mmio_devices(const struct sdt_header *dsdt)
{
	acpi_nmmio = acpi_scan_virtio_mmio(
		(const uint8_t *)(dsdt + 1), dsdt->length - sizeof(*dsdt),
		acpi_mmio, ACPI_MAX_MMIO);
}

static void parse_fadt(const struct sdt_header *fadt)
{
	const uint8_t *f = (const uint8_t *)fadt;
	uint32_t dsdt32 = 0, flags = 0;
	uint64_t dsdt = 0;

	if (fadt->length >= 72) {
		uint32_t a, b;

		memcpy(&a, f + 64, 4);
		memcpy(&b, f + 68, 4);
		acpi_power.pm1a_cnt = (uint16_t)a;
		acpi_power.pm1b_cnt = (uint16_t)b;
		memcpy(&dsdt32, f + 40, 4);
		dsdt = dsdt32;
	}
	if (fadt->length >= 116)
		memcpy(&flags, f + 112, 4);
	if (fadt->length >= 148) {
		uint64_t x;

		memcpy(&x, f + 140, 8);
		if (x)
			dsdt = x;
	}
	/* HW_REDUCED_ACPI: the sleep control register, a GAS in I/O or
	 * memory space. */
	acpi_hw_reduced = flags & (1u << 20);
	if ((flags & (1u << 20)) && fadt->length >= 256 &&
	    (f[244] == 0 || f[244] == 1)) {
		memcpy(&acpi_power.sleep_control, f + 248, 8);
		acpi_power.sleep_control_mmio = f[244] == 0;
	}
	const struct sdt_header *d = sdt_at(dsdt);
	if (d) {
		find_s5(d);
		/* virtio-mmio in the DSDT is microvm's (hardware-reduced);
		 * pc and q35 have large DSDTs and no such devices. */
		if (acpi_hw_reduced)
			find_mmio_devices(d);
	}
}

uint32_t acpi_cpu_apic_ids[64];
unsigned acpi_ncpus;

static void add_cpu(uint32_t apic_id, uint32_t flags)
{
	/* Bit 0: enabled; bit 1: can be brought online. */
	if ((flags & 3) && acpi_ncpus < ARRAY_SIZE(acpi_cpu_apic_ids))
		acpi_cpu_apic_ids[acpi_ncpus++] = apic_id;
}

struct acpi_ioapic acpi_ioapics[ACPI_MAX_IOAPICS];
unsigned acpi_nioapics;
struct acpi_irq_override acpi_overrides[ACPI_MAX_OVERRIDES];
unsigned acpi_noverrides;

/* MADT type 1: id, reserved, address (4), GSI base (4). */
static void add_ioapic(const uint8_t *p)
{
	uint32_t addr, gsi_base;

	if (acpi_nioapics == ACPI_MAX_IOAPICS)
		return;
	memcpy(&addr, p + 4, 4);
	memcpy(&gsi_base, p + 8, 4);
	acpi_ioapics[acpi_nioapics++] = (struct acpi_ioapic){addr, gsi_base};
}

/* MADT type 2: bus (0: ISA), source IRQ, GSI (4), flags (2). */
static void add_override(const uint8_t *p)
{
	struct acpi_irq_override o = {.isa_irq = p[3]};

	if (p[2] != 0 || acpi_noverrides == ACPI_MAX_OVERRIDES)
		return;
	memcpy(&o.gsi, p + 4, 4);
	memcpy(&o.flags, p + 8, 2);
	acpi_overrides[acpi_noverrides++] = o;
}

/* MADT entries: type 0 (local APIC) and 9 (x2APIC) name the CPUs, 1 the
 * IOAPICs, 2 the ISA interrupt source overrides. */
static void parse_madt(const struct sdt_header *madt)
{
	const uint8_t *p = (const uint8_t *)madt + 44;
	const uint8_t *end = (const uint8_t *)madt + madt->length;

	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t id, flags;

		if (p[0] == 0 && p[1] >= 8) {
			memcpy(&flags, p + 4, 4);
			add_cpu(p[3], flags);
		} else if (p[0] == 9 && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			add_cpu(id, flags);
		} else if (p[0] == 1 && p[1] >= 12) {
			add_ioapic(p);
		} else if (p[0] == 2 && p[1] >= 10) {
			add_override(p);
		}
		p += p[1];
	}
}

struct acpi_ecam acpi_ecam;

/* MCFG: 8 reserved bytes after the header, then 16-byte entries (base,
 * segment, first and last bus). Segment 0 is the one we use. */
static void parse_mcfg(const struct sdt_header *mcfg)
{
	const uint8_t *p = (const uint8_t *)mcfg + sizeof(*mcfg) + 8;
	const uint8_t *end = (const uint8_t *)mcfg + mcfg->length;

	for (; p + 16 <= end; p += 16) {
		uint16_t seg;

		memcpy(&seg, p + 8, 2);
		if (seg != 0 || p[10] > p[11])
			continue;
		memcpy(&acpi_ecam.base, p, 8);
		acpi_ecam.bus_start = p[10];
		acpi_ecam.bus_end = p[11];
		return;
	}
}

static void parse_table(const struct sdt_header *h)
{
	if (memcmp(h->sig, "FACP", 4) == 0)
		parse_fadt(h);
	else if (memcmp(h->sig, "APIC", 4) == 0)
		parse_madt(h);
	else if (memcmp(h->sig, "MCFG", 4) == 0)
		parse_mcfg(h);
}

int acpi_init(void)
{
	const uint8_t *rsdp;

	if (acpi_done)
		return 0;
	acpi_done = true;
	rsdp = find_rsdp();
	if (!rsdp)
		return 0; /* no ACPI: isa-debug-exit or i8042 will do */
	for_each_table(rsdp, parse_table);
	return 0;
}
INIT_STEP(70, acpi_init);
