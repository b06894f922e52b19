/*
 * 9P2000.L file systems (fs/9p): host folders shared into the guest.
 * A transport driver (drivers/virtio/9p.c) registers each channel it
 * finds under its mount tag; `--mount=TAG:PATH:9p[,ro]` mounts the
 * channel with that tag on PATH (fs/9p/vfs.c).
 */
#ifndef FS_9P_9P_H
#define FS_9P_9P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct p9_transport {
	/* set by the driver before p9_register, then read-only */
	char tag[64];	    /* the mount tag, NUL-terminated */
	uint32_t max_msize; /* the largest message it carries */
	/*
	 * Sends the request tx (txlen bytes) and waits for its reply in rx
	 * (rxcap bytes): the reply's length, or -errno; -EPIPE: the
	 * channel broke and the device may still write rx (the caller must
	 * not free the buffers). Callable from many threads at once; tx
	 * and rx are physically contiguous (page_alloc).
	 */
	int64_t (*rpc)(struct p9_transport *t, const void *tx, size_t txlen,
		       void *rx, size_t rxcap);
	void *priv; /* the driver's */
	/* under the registry's mutex */
	struct p9_transport *next;
	bool taken; /* mounted (one mount per channel) */
};

/* A driver's channel, found later by tag. */
void p9_register(struct p9_transport *t);
/* Mounts the channel `tag` on path (made if missing): 0 or -errno
 * (-ENODEV: no such tag; -EBUSY: already mounted). */
int p9_vfs_mount(const char *tag, const char *path, bool rdonly);

#endif
