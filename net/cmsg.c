/*
 * The walk over control messages: each length is checked against what
 * is left of the buffer before the next header is looked at.
 */
#include "net/cmsg.h"

#include "kernel/kernel.h"

const struct cmsghdr_k *cmsg_next(const void *buf, size_t len,
				  const struct cmsghdr_k *c, int *err)
{
	const uint8_t *base = buf;
	size_t at = 0;

	*err = 0;
	if (c)
		at = (size_t)((const uint8_t *)c - base) + CMSG_ALIGN_K(c->len);
	if (!buf || at > len || len - at < sizeof(*c))
		return NULL;
	c = (const struct cmsghdr_k *)(base + at);
	if (c->len < sizeof(*c) || c->len > len - at) {
		*err = -EINVAL;
		return NULL;
	}
	return c;
}
