/*
 * Disk I/O patterns for bench/blk.sh, the same static program in any
 * guest: on DEVICE, with O_DIRECT and one request in flight (psync):
 *   seqwrite-1M, seqread-1M   SEQ_MB MiB in 1 MiB requests (MiB/s)
 *   randread-4K, randwrite-4K RAND_OPS requests of 4 KiB at random
 *                             aligned offsets in the first 256 MiB
 *                             (IOPS, and the mean latency in us)
 * bench/blk.sh also runs Debian's fio (bench/blk.fio) in both guests.
 *
 *   blk_bench DEVICE [SEQ_MB] [RAND_OPS]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int seq(int fd, char *buf, int mb, int write)
{
	double t = now();

	for (int i = 0; i < mb; i++) {
		off_t off = (off_t)i << 20;
		ssize_t r = write ? pwrite(fd, buf, 1 << 20, off)
				  : pread(fd, buf, 1 << 20, off);
		if (r != 1 << 20) {
			perror(write ? "pwrite" : "pread");
			return 1;
		}
	}
	if (write)
		fdatasync(fd);
	t = now() - t;
	printf("blk %s-1M %.1f MiB/s\n", write ? "seqwrite" : "seqread",
	       mb / t);
	return 0;
}

static int rnd(int fd, char *buf, int ops, int write, uint64_t span)
{
	double t = now();

	for (int i = 0; i < ops; i++) {
		off_t off = (off_t)(xorshift() % (span / 4096)) * 4096;
		ssize_t r = write ? pwrite(fd, buf, 4096, off)
				  : pread(fd, buf, 4096, off);
		if (r != 4096) {
			perror(write ? "pwrite" : "pread");
			return 1;
		}
	}
	t = now() - t;
	printf("blk %s-4K %.0f IOPS %.1f us\n",
	       write ? "randwrite" : "randread", ops / t, t / ops * 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	int mb = argc > 2 ? atoi(argv[2]) : 64;
	int ops = argc > 3 ? atoi(argv[3]) : 2000;
	int fd = argc > 1 ? open(argv[1], O_RDWR | O_DIRECT) : -1;
	char *buf = aligned_alloc(4096, 1 << 20);
	off_t size;

	if (fd < 0 || !buf) {
		perror("usage: blk_bench DEVICE [SEQ_MB] [RAND_OPS]");
		return 2;
	}
	size = lseek(fd, 0, SEEK_END);
	memset(buf, 0x5a, 1 << 20);
	if ((off_t)mb << 20 > size)
		mb = (int)(size >> 20);
	uint64_t span = size < (256 << 20) ? (uint64_t)size : 256u << 20;
	return seq(fd, buf, mb, 1) || seq(fd, buf, mb, 0) ||
	       rnd(fd, buf, ops, 0, span) || rnd(fd, buf, ops, 1, span);
}
