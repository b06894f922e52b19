/*
 * Fuzzes the cpio reader with the input as an archive (libFuzzer's buffer
 * is exactly the input's size, so ASan sees any overread). Checks:
 * cpio_validate and a walk with cpio_next agree on the count or the
 * error; offsets only move forward, stay 4-aligned and inside the input;
 * every name and data block lies inside the input, the name ending in its
 * NUL.
 */
#include <stdlib.h>

#include "fs/cpio.h"
#include "kernel/kernel.h"

static void check_entry(const struct cpio_entry *e, const uint8_t *buf,
			size_t len)
{
	const uint8_t *name = (const uint8_t *)e->name;
	const uint8_t *data = e->data;

	if (name < buf || name >= buf + len || e->namelen >= len ||
	    name + e->namelen >= buf + len || name[e->namelen] != '\0' ||
	    strlen(e->name) != e->namelen)
		abort();
	if (data < buf || data > buf + len || e->size > len ||
	    e->size > (size_t)(buf + len - data))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *err = NULL, *err2 = NULL;
	long n = cpio_validate(data, size, &err), seen = 0;
	struct cpio_entry e;
	size_t off = 0, prev;
	int r;

	if (n < 0 && (n != -EINVAL || !err || !*err))
		abort();
	for (;;) {
		prev = off;
		r = cpio_next(data, size, &off, &e, &err2);
		if (r <= 0)
			break;
		if (off <= prev || off > size || off % 4)
			abort();
		check_entry(&e, data, size);
		seen++;
	}
	if (n >= 0 && (r != 0 || seen != n || off != size))
		abort();
	if (n < 0 && (r != -EINVAL || strcmp(err, err2)))
		abort();
	return 0;
}
