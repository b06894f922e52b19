/*
 * getrandom and the kernel's random numbers for ASLR and AT_RANDOM: all
 * from the ChaCha20 generator behind /dev/urandom (fs/devfs.c), seeded
 * from RDSEED/RDRAND.
 */
#include "fs/fs.h"
#include "linux/sys.h"

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

uint64_t linux_random_u64(void)
{
	uint64_t v;

	devfs_random_bytes(&v, sizeof(v));
	return v;
}

void linux_random_bytes(void *buf, size_t n)
{
	devfs_random_bytes(buf, n);
}

long sys_getrandom(long buf, long len, long flags, long d, long e, long f)
{
	uint8_t chunk[256];
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (len < 0)
		return -EINVAL;
	while (done < (size_t)len) {
		size_t k = MIN(sizeof(chunk), (size_t)len - done);

		linux_random_bytes(chunk, k);
		if (copy_to_user(buf + done, chunk, k))
			return done ? (long)done : -EFAULT;
		done += k;
	}
	return (long)done;
}
