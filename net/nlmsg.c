/*
 * Walking netlink messages and attributes: every length read from the
 * input is checked against the bytes that are there before it is used.
 */
#include "net/nlmsg.h"

#include "kernel/kernel.h"

const uint8_t *nlmsg_next(const uint8_t *buf, size_t len, size_t *off,
			  struct nlmsghdr_k *h)
{
	const uint8_t *msg;
	size_t left;

	if (*off >= len || len - *off < NLMSG_HDRLEN)
		return NULL;
	left = len - *off;
	msg = buf + *off;
	memcpy(h, msg, sizeof(*h));
	if (h->len < NLMSG_HDRLEN || h->len > left)
		return NULL;
	/* the padding of the last message may be missing */
	*off += NLMSG_ALIGN((size_t)h->len) < left ? NLMSG_ALIGN((size_t)h->len)
						   : left;
	return msg;
}

const uint8_t *nlattr_find(const uint8_t *msg, size_t len, size_t at,
			   uint16_t type, size_t *vlen, bool *bad)
{
	*bad = false;
	while (at < len && len - at >= NLA_HDRLEN) {
		uint16_t alen, atype;

		memcpy(&alen, msg + at, 2);
		memcpy(&atype, msg + at + 2, 2);
		if (alen < NLA_HDRLEN || alen > len - at) {
			*bad = true;
			return NULL;
		}
		if ((atype & 0x3fff) == type) { /* less NLA_F_NESTED etc. */
			*vlen = alen - NLA_HDRLEN;
			return msg + at + NLA_HDRLEN;
		}
		at += NLMSG_ALIGN((size_t)alen);
	}
	return NULL;
}
