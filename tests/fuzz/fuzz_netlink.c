/*
 * Fuzzes the netlink message and attribute walk (net/nlmsg.c) that
 * AF_NETLINK sendmsg runs over what the application sent. Checked: no
 * read outside the input (ASan), every message returned lies inside it
 * with a length of at least its header, the walk always advances, and
 * every attribute value found lies inside its message.
 */
#include <stdlib.h>
#include <string.h>

#include "net/nlmsg.h"

static void check_attrs(const uint8_t *msg, size_t len)
{
	for (uint16_t type = 0; type < 4; type++) {
		size_t vlen = 0;
		bool bad;
		const uint8_t *v =
		    nlattr_find(msg, len, NLMSG_HDRLEN + 16, type, &vlen, &bad);

		if (v && (v < msg || v + vlen > msg + len))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees a read past the end. */
	uint8_t *t = malloc(size ? size : 1);
	struct nlmsghdr_k h;
	const uint8_t *msg;
	size_t off = 0, before;

	memcpy(t, data, size);
	for (;;) {
		before = off;
		msg = nlmsg_next(t, size, &off, &h);
		if (!msg)
			break;
		if (msg < t || h.len < NLMSG_HDRLEN || msg + h.len > t + size ||
		    off <= before || off > size)
			abort();
		check_attrs(msg, h.len);
	}
	free(t);
	return 0;
}
