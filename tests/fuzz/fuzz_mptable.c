/*
 * Fuzzes the MP table parsers (drivers/mptable.c). The input is the
 * configuration table itself; the floating pointer parser gets its first
 * 16 bytes. Checked: no read outside the input (ASan), a result that is
 * -EINVAL or a count within bounds, and ids that are APIC ids (< 256).
 */
#include <stdlib.h>

#include "drivers/drivers.h"
#include "kernel/kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t ids[8];
	/* An exact-size copy, so that ASan sees a read past the end. */
	uint8_t *t = malloc(size ? size : 1);

	memcpy(t, data, size);
	mptable_floating_pointer(t, size);
	int n = mptable_cpus(t, size, ids, 8);
	if (n != -EINVAL && (n < 0 || n > 8))
		abort();
	for (int i = 0; i < n; i++)
		if (ids[i] > 255)
			abort();
	free(t);
	return 0;
}
