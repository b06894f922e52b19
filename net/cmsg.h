/*
 * Control messages (Linux: man 3 cmsg): the layout of struct cmsghdr on
 * x86-64 and the walk over a send's control buffer, which is application
 * input. Pure, built for the host too (tests/fuzz/fuzz_cmsg.c).
 */
#ifndef NET_CMSG_H
#define NET_CMSG_H

#include <stddef.h>
#include <stdint.h>

struct cmsghdr_k {
	uint64_t len; /* header and data */
	int32_t level, type;
};
#define CMSG_ALIGN_K(n) (((n) + 7) & ~(size_t)7)
#define CMSG_HDR_K CMSG_ALIGN_K(sizeof(struct cmsghdr_k))

/*
 * The first (c NULL) or next control message of buf[0, len), or NULL at
 * the end (less than a header left); *err is -EINVAL (22) when one is
 * malformed, shorter than its header or running past the buffer (Linux's
 * CMSG_OK in __scm_send), else 0. buf is 8-byte aligned.
 */
const struct cmsghdr_k *cmsg_next(const void *buf, size_t len,
				  const struct cmsghdr_k *c, int *err);

#endif
