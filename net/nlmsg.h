/*
 * Walking netlink messages and their attributes (Linux: man 7 netlink,
 * include/uapi/linux/netlink.h): pure functions over application input,
 * built for the host too (tests/fuzz/fuzz_netlink.c, tests/host/
 * test_netlink.c). net/netlink.c answers the requests they find.
 */
#ifndef NET_NLMSG_H
#define NET_NLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct nlmsghdr */
struct nlmsghdr_k {
	uint32_t len; /* header included */
	uint16_t type, flags;
	uint32_t seq, pid;
};
#define NLMSG_ALIGN(n) (((n) + 3) & ~(size_t)3)
#define NLMSG_HDRLEN sizeof(struct nlmsghdr_k)
#define NLA_HDRLEN 4 /* struct rtattr / nlattr: u16 len, u16 type */

/*
 * The message at *off of buf[0, len): its header copied to *h, its bytes
 * returned (h->len of them), and *off moved past it (aligned). NULL at
 * the end, and at a malformed message (shorter than its header or longer
 * than what is left), which ends the buffer as Linux's netlink_rcv_skb.
 */
const uint8_t *nlmsg_next(const uint8_t *buf, size_t len, size_t *off,
			  struct nlmsghdr_k *h);

/*
 * The first attribute of `type` among those from byte `at` to `len` of
 * a message: its value (*vlen bytes), or NULL when there is none; *bad
 * is set when an attribute before it is malformed (shorter than its
 * header or running past the message).
 */
const uint8_t *nlattr_find(const uint8_t *msg, size_t len, size_t at,
			   uint16_t type, size_t *vlen, bool *bad);

#endif
