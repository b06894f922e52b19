/*
 * The virtio-mmio devices of QEMU's microvm in its DSDT, found without an
 * AML interpreter (drivers/acpi.c calls it on the firmware's table).
 * Pure, so that the host fuzz target runs it: every byte read is inside
 * the AML it was given.
 */
#include "drivers/drivers.h"
#include "lib/lib.h"

/* A resource descriptor at p: Memory32Fixed (0x86, length 9: info, base,
 * size) followed by an Extended Interrupt (0x89, length >= 6: flags,
 * count, the first GSI). */
static bool mmio_resources(const uint8_t *p, const uint8_t *end,
			   struct acpi_mmio_dev *d)
{
	uint32_t base, size, gsi;

	if (end - p < 12 + 9 || p[0] != 0x86 || p[1] != 9 || p[2] != 0)
		return false;
	const uint8_t *irq = p + 12;
	if (irq[0] != 0x89 || irq[1] < 6 || irq[2] != 0 || irq[4] < 1)
		return false;
	memcpy(&base, p + 4, 4);
	memcpy(&size, p + 8, 4);
	memcpy(&gsi, irq + 5, 4);
	*d = (struct acpi_mmio_dev){base, size, gsi};
	return base && size;
}

/*
 * QEMU's microvm (hw/i386/acpi-microvm.c) writes each virtio-mmio
 * transport that has a device as a Device with Name(_HID, "LNRO0005") and, a
 * few bytes on, Name(_CRS, ResourceTemplate { Memory32Fixed, Interrupt }).
 * Without an AML interpreter: find the _HID string, then the two descriptors
 * within the next 64 bytes. Everything read is inside [aml, aml+len).
 */
unsigned acpi_scan_virtio_mmio(const uint8_t *aml, size_t len,
			       struct acpi_mmio_dev *out, unsigned max)
{
	static const char hid[] = "LNRO0005";
	unsigned n = 0;

	for (size_t i = 0; i + 8 <= len && n < max; i++) {
		if (aml[i] != 'L' || memcmp(aml + i, hid, 8) != 0)
			continue;
		size_t stop = MIN(len, i + 8 + 64);
		for (size_t j = i + 8; j < stop; j++) {
			if (mmio_resources(aml + j, aml + stop, &out[n])) {
				n++;
				break;
			}
		}
	}
	return n;
}
