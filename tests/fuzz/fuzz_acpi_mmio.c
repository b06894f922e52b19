/*
 * Fuzzes the DSDT scan for virtio-mmio devices (drivers/acpi_mmio.c):
 * the input is the AML. Checked: no read outside it (ASan) and no more
 * devices than asked for, each with a base and a size.
 */
#include <stdlib.h>
#include <string.h>

#include "drivers/drivers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acpi_mmio_dev d[4];
	uint8_t *aml = malloc(size ? size : 1); /* exact size for ASan */

	memcpy(aml, data, size);
	unsigned n = acpi_scan_virtio_mmio(aml, size, d, 4);
	if (n > 4)
		abort();
	for (unsigned i = 0; i < n; i++)
		if (!d[i].base || !d[i].size)
			abort();
	free(aml);
	return 0;
}
