/*
 * virtio-rng (virtio 1.2, 5.4): one queue of device-writable buffers the
 * device fills with entropy. At boot we take 64 bytes and mix them into
 * the kernel's random pool (fs/devfs.c's ChaCha20 key), after the
 * RDSEED/RDRAND seed: a CPU without either gets real entropy this way.
 * The queue is polled (sleeping between looks, at most 100 ms in all):
 * it is used once, at boot.
 */
#include "drivers/virtio/virtio.h"
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"

#define SEED_BYTES 64

/* Up to n bytes from the device into buf (heap memory); how many. */
static uint32_t rng_read(struct virtq *q, uint8_t *buf, uint32_t n)
{
	struct virtq_buf b = {virt_to_phys(buf), n, true};
	uint32_t len = 0;
	bool ok = false;

	if (virtq_add(q, &b, 1, buf))
		return 0;
	virtq_kick(q);
	for (int i = 0; i < 1000; i++) {
		if (virtq_get(q, &len, &ok))
			return ok ? len : 0;
		thread_sleep_ns(100000);
	}
	q->broken = true; /* it still holds buf: never reuse the queue */
	return 0;
}

int virtio_rng_start(struct virtio_dev *d)
{
	uint8_t *buf;
	struct virtq *q;
	uint32_t got = 0;

	if (virtio_negotiate(d, 0, NULL))
		return -ENODEV;
	q = virtio_setup_queue(d, 0, NULL, 0);
	buf = malloc(SEED_BYTES);
	if (!q || !buf || virtio_ready(d)) {
		kprintf("osprey: virtio %s: virtio-rng could not start\n",
			d->where);
		virtio_fail(d);
		free(buf);
		return -ENOMEM;
	}
	for (int tries = 0; tries < 8 && got < SEED_BYTES && !q->broken;
	     tries++) {
		uint32_t n = rng_read(q, buf + got, SEED_BYTES - got);

		got += n;
	}
	devfs_random_seed(buf, got);
	if (boot_options.verbose)
		kprintf("osprey: virtio-rng %s: %u bytes mixed into the random "
			"pool\n",
			d->where, got);
	if (!q->broken)
		free(buf);
	return 0;
}
