/*
 * Fuzzes the control-message walk (net/cmsg.c) that sendmsg runs over
 * the application's msg_control. Checked: no read outside the input
 * (ASan), every message returned lies inside it with a length of at
 * least its header, the walk advances, and an error ends it.
 */
#include <stdlib.h>
#include <string.h>

#include "net/cmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy (8-byte aligned, as the kernel's buffer). */
	uint8_t *t = malloc(size ? size : 1);
	const struct cmsghdr_k *c = NULL, *prev;
	int err;

	memcpy(t, data, size);
	for (;;) {
		prev = c;
		c = cmsg_next(t, size, c, &err);
		if (!c)
			break;
		if (err || (const uint8_t *)c < t ||
		    (const uint8_t *)c + c->len > t + size ||
		    c->len < sizeof(*c) || (prev && c <= prev))
			abort();
	}
	if (err && err != -22)
		abort();
	free(t);
	return 0;
}
