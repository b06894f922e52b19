/*
 * Block device I/O as Linux gives it, checked on a whole disk: run on the
 * host against a loop device first (tests/blk/run.sh), then unchanged in
 * Osprey against /dev/vda. Uses the ABI tests' harness (PASS/FAIL lines).
 *
 *   blkio rw DEVICE SIZE MAJOR   writes patterns at many offsets from many
 *                                threads, unaligned writes, vectored I/O,
 *                                the end of the disk, O_DIRECT, the ioctls
 *                                (MAJOR "any": not checked)
 *   blkio ro DEVICE SIZE MAJOR   a read-only disk: reads the host's
 *                                pattern, writes are refused (EPERM)
 *   blkio verify FILE SIZE       on the host after the VM: the file holds
 *                                what `rw` left (no harness lines but one
 *                                PASS or FAIL per region)
 *   blkio fill FILE SIZE         writes the pattern `ro` expects
 *
 * The pattern: every 8-byte word at byte offset o holds o ^ SEED, so any
 * misplaced, lost or torn block shows where it went wrong.
 */
#include "../abi/common.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#define SEED 0x0123456789abcdefull
#define BLOCK 4096
#define NBLOCKS 512 /* pattern blocks, spread over the disk */
#define NTHREADS 8
#define ODD_OFF 37   /* an unaligned write inside block 1 of the spread */
#define ODD_LEN 1000 /* crossing into the next sector */

static const char *dev;
static uint64_t size;
static const char *major_arg;
static int fd = -1;

static void fill(uint8_t *buf, uint64_t off, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = (off + i) ^ seed;

		memcpy(buf + i, &w, 8);
	}
}

/* Block i of the spread: NBLOCKS blocks at even steps over the disk. */
static uint64_t spread(unsigned i)
{
	uint64_t step = (size / NBLOCKS) & ~(uint64_t)(BLOCK - 1);

	return (uint64_t)i * step;
}

/* ---- identity and ioctls ---- */
static void identity(void)
{
	struct stat st;
	uint64_t bytes = 0;
	unsigned long sectors = 0;
	int ssz = 0, ro = -1;
	unsigned pbs = 0;

	if (!CHECK_EQ_INT(fstat(fd, &st), 0))
		return;
	CHECK(S_ISBLK(st.st_mode));
	if (strcmp(major_arg, "any"))
		CHECK_EQ_INT(major(st.st_rdev), atoi(major_arg));
	CHECK_EQ_INT(ioctl(fd, BLKGETSIZE64, &bytes), 0);
	CHECK_EQ_INT(bytes, size);
	CHECK_EQ_INT(ioctl(fd, BLKGETSIZE, &sectors), 0);
	CHECK_EQ_INT(sectors, size / 512);
	CHECK_EQ_INT(ioctl(fd, BLKSSZGET, &ssz), 0);
	CHECK_EQ_INT(ssz, 512);
	CHECK_EQ_INT(ioctl(fd, BLKPBSZGET, &pbs), 0);
	CHECK(pbs >= 512 && pbs <= 65536 && !(pbs & (pbs - 1)));
	CHECK_EQ_INT(ioctl(fd, BLKROGET, &ro), 0);
	CHECK_EQ_INT(ro, 0);
	CHECK_EQ_INT(ioctl(fd, BLKFLSBUF, 0), 0);
}

/* /proc/partitions has the disk, in KiB, under its numbers (Linux's
 * block/genhd.c format); statfs of the node describes the file system
 * the node is on (devtmpfs: tmpfs), not the disk. */
static void partitions_and_statfs(void)
{
	char line[256], want[128];
	const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	struct stat st;
	struct statfs a, b, c;
	bool found = false;
	FILE *f = fopen("/proc/partitions", "r");

	if (!CHECK(f != NULL) || !CHECK_EQ_INT(fstat(fd, &st), 0))
		return;
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK_EQ_STR(line, "major minor  #blocks  name\n");
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK_EQ_STR(line, "\n");
	snprintf(want, sizeof(want), "%4u  %7u %10llu %s\n", major(st.st_rdev),
		 minor(st.st_rdev), (unsigned long long)size / 1024, name);
	while (fgets(line, sizeof(line), f))
		found |= !strcmp(line, want);
	fclose(f);
	CHECK(found);
	CHECK_EQ_INT(statfs(dev, &a), 0);
	CHECK_EQ_INT(statfs("/dev", &b), 0);
	CHECK_EQ_INT(fstatfs(fd, &c), 0);
	CHECK_EQ_INT(a.f_type, 0x01021994); /* TMPFS_MAGIC */
	CHECK_EQ_INT(b.f_type, a.f_type);
	CHECK_EQ_INT(c.f_type, a.f_type);
	CHECK_EQ_INT(a.f_bsize, 4096);
	CHECK_EQ_INT(a.f_namelen, 255);
	CHECK(a.f_flags & 0x20); /* ST_VALID */
	CHECK(!(a.f_flags & 1)); /* ST_RDONLY */
}

static void seeking(void)
{
	CHECK_EQ_INT(lseek(fd, 0, SEEK_END), size);
	CHECK_EQ_INT(lseek(fd, -512, SEEK_END), size - 512);
	CHECK_EQ_INT(lseek(fd, 100, SEEK_CUR), size - 412);
	CHECK_ERRNO(lseek(fd, 1, SEEK_END), EINVAL);
	CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_SET), 0);
}

/* ---- many threads, many offsets ---- */
struct worker {
	unsigned t;
	bool write;
	unsigned bad;
	int err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t *buf = malloc(BLOCK), *want = malloc(BLOCK);

	for (unsigned i = w->t; i < NBLOCKS && !w->err; i += NTHREADS) {
		uint64_t off = spread(i);

		fill(want, off, BLOCK, SEED);
		if (w->write) {
			if (pwrite(fd, want, BLOCK, off) != BLOCK)
				w->err = errno ? errno : -1;
		} else if (pread(fd, buf, BLOCK, off) != BLOCK)
			w->err = errno ? errno : -1;
		else if (memcmp(buf, want, BLOCK))
			w->bad++;
	}
	free(buf);
	free(want);
	return NULL;
}

static void run_workers(bool write)
{
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	unsigned bad = 0;
	int err = 0;

	for (unsigned t = 0; t < NTHREADS; t++) {
		w[t] = (struct worker){t, write, 0, 0};
		pthread_create(&th[t], NULL, work, &w[t]);
	}
	for (unsigned t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		bad += w[t].bad;
		err = err ? err : w[t].err;
	}
	CHECK_EQ_INT(err, 0);
	CHECK_EQ_INT(bad, 0);
}

static void threads_write_read(void)
{
	run_workers(true);
	CHECK_EQ_INT(fsync(fd), 0);
	CHECK_EQ_INT(fdatasync(fd), 0);
	sync();
	run_workers(false);
}

/* ---- unaligned, vectored, the end ---- */
static void unaligned(void)
{
	uint64_t base = spread(1);
	uint8_t buf[ODD_LEN + 2 * 512], before[sizeof(buf)], want[sizeof(buf)];
	uint64_t at = base + ODD_OFF - 512;

	CHECK_EQ_INT(pread(fd, before, sizeof(before), at), sizeof(before));
	memcpy(want, before, sizeof(want));
	memset(want + 512, 0xa5, ODD_LEN);
	memset(buf + 512, 0xa5, ODD_LEN);
	CHECK_EQ_INT(pwrite(fd, buf + 512, ODD_LEN, base + ODD_OFF), ODD_LEN);
	CHECK_EQ_INT(pread(fd, buf, sizeof(buf), at), sizeof(buf));
	CHECK_EQ_MEM(buf, want, sizeof(buf));
	/* put the pattern back, unaligned again */
	CHECK_EQ_INT(pwrite(fd, before + 512, ODD_LEN, base + ODD_OFF),
		     ODD_LEN);
	CHECK_EQ_INT(pread(fd, buf, 3, base + 5), 3);
	fill(want, base, 8, SEED);
	CHECK_EQ_MEM(buf, want + 5, 3);
}

static void vectored(void)
{
	uint64_t off = spread(2);
	static uint8_t a[512], b[3 * 512], c[512], r[5 * 512], want[5 * 512];
	struct iovec w[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
	struct iovec rv[2] = {{r, 2 * 512}, {r + 2 * 512, 3 * 512}};

	fill(want, off, sizeof(want), SEED);
	memcpy(a, want, 512);
	memcpy(b, want + 512, 3 * 512);
	memcpy(c, want + 4 * 512, 512);
	CHECK_EQ_INT(pwritev(fd, w, 3, off), 5 * 512);
	CHECK_EQ_INT(preadv(fd, rv, 2, off), 5 * 512);
	CHECK_EQ_MEM(r, want, sizeof(want));
	CHECK_EQ_INT(lseek(fd, off, SEEK_SET), off);
	CHECK_EQ_INT(readv(fd, rv, 2), 5 * 512);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), off + 5 * 512);
}

static void the_end(void)
{
	uint8_t buf[1024], want[1024];

	CHECK_EQ_INT(pread(fd, buf, sizeof(buf), size), 0);
	CHECK_EQ_INT(pread(fd, buf, sizeof(buf), size + 4096), 0);
	CHECK_ERRNO(pwrite(fd, buf, sizeof(buf), size), ENOSPC);
	fill(want, size - 512, 512, SEED);
	CHECK_EQ_INT(pwrite(fd, want, sizeof(want), size - 512), 512);
	CHECK_EQ_INT(pread(fd, buf, sizeof(buf), size - 512), 512);
	CHECK_EQ_MEM(buf, want, 512);
}

static void direct(void)
{
	int d = open(dev, O_RDWR | O_DIRECT);
	uint8_t *buf = aligned_alloc(BLOCK, 2 * BLOCK), want[BLOCK];
	uint64_t off = spread(3);

	if (!CHECK(d >= 0))
		return;
	fill(want, off, BLOCK, SEED);
	CHECK_EQ_INT(pread(d, buf, BLOCK, off), BLOCK);
	CHECK_EQ_MEM(buf, want, BLOCK);
	CHECK_EQ_INT(pwrite(d, buf, BLOCK, off), BLOCK);
	CHECK_ERRNO(pread(d, buf, BLOCK, off + 1), EINVAL);
	CHECK_ERRNO(pread(d, buf, 100, off), EINVAL);
	CHECK(fcntl(d, F_GETFL) & O_DIRECT);
	close(d);
	free(buf);
}

/* BLKZEROOUT zeroes; BLKDISCARD may be unsupported (EOPNOTSUPP). The
 * range lies after the last pattern block, before the last sector. */
static void ranges(void)
{
	uint64_t start = spread(NBLOCKS - 1) + BLOCK;
	uint64_t len = (size - 512 - start) & ~511ull;
	uint64_t r[2] = {start, len < 65536 ? len : 65536};
	uint8_t *buf = malloc(r[1]), *zero = calloc(1, r[1]);
	int ro = open(dev, O_RDONLY);
	long d;

	memset(buf, 0x77, r[1]);
	CHECK_EQ_INT(pwrite(fd, buf, r[1], r[0]), r[1]);
	CHECK_EQ_INT(ioctl(fd, BLKZEROOUT, r), 0);
	CHECK_EQ_INT(pread(fd, buf, r[1], r[0]), r[1]);
	CHECK_EQ_MEM(buf, zero, r[1]);
	d = ioctl(fd, BLKDISCARD, r);
	CHECK(d == 0 || errno == EOPNOTSUPP);
	r[0] += 1;
	CHECK_ERRNO(ioctl(fd, BLKZEROOUT, r), EINVAL);
	r[0] = size;
	CHECK_ERRNO(ioctl(fd, BLKZEROOUT, r), EINVAL);
	CHECK_ERRNO(ioctl(ro, BLKZEROOUT, r), EBADF);
	close(ro);
	free(buf);
	free(zero);
}

/* ---- a read-only disk ---- */
static void read_only(void)
{
	uint8_t buf[BLOCK], want[BLOCK];
	int ro = -1, w;

	CHECK_EQ_INT(ioctl(fd, BLKROGET, &ro), 0);
	CHECK_EQ_INT(ro, 1);
	for (unsigned i = 0; i < NBLOCKS; i += 37) {
		fill(want, spread(i), BLOCK, SEED);
		CHECK_EQ_INT(pread(fd, buf, BLOCK, spread(i)), BLOCK);
		CHECK_EQ_MEM(buf, want, BLOCK);
	}
	w = open(dev, O_RDWR);
	if (w < 0) { /* some Linux drivers refuse at open */
		CHECK(errno == EROFS || errno == EACCES);
		return;
	}
	CHECK_ERRNO(pwrite(w, buf, BLOCK, 0), EPERM);
	CHECK_ERRNO(pwrite(w, buf, 10, 3), EPERM);
	close(w);
}

/* ---- host side ---- */
static int host_file(const char *what, const char *file)
{
	int f = open(file, O_RDWR);
	uint8_t *buf = malloc(BLOCK), *want = malloc(BLOCK);
	unsigned bad = 0;

	if (f < 0) {
		printf("FAIL blkio:%s: open %s: %s\n", what, file,
		       strerror(errno));
		return 1;
	}
	for (unsigned i = 0; i < NBLOCKS; i++) {
		fill(want, spread(i), BLOCK, SEED);
		if (!strcmp(what, "fill"))
			bad += pwrite(f, want, BLOCK, spread(i)) != BLOCK;
		else if (pread(f, buf, BLOCK, spread(i)) != BLOCK ||
			 memcmp(buf, want, BLOCK)) {
			if (bad++ < 5)
				printf("FAIL blkio:verify: block %u at %llu "
				       "differs\n",
				       i, (unsigned long long)spread(i));
		}
	}
	close(f);
	printf("%s blkio:%s: %u blocks of %s (%u bad)\n", bad ? "FAIL" : "PASS",
	       what, NBLOCKS, file, bad);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: blkio rw|ro DEVICE SIZE MAJOR | "
				"verify|fill FILE SIZE\n");
		return 2;
	}
	dev = argv[2];
	size = strtoull(argv[3], NULL, 0);
	if (!strcmp(argv[1], "verify") || !strcmp(argv[1], "fill"))
		return host_file(argv[1], dev);
	major_arg = argc > 4 ? argv[4] : "any";
	abi_init(!strcmp(argv[1], "ro") ? "blkio-ro" : "blkio");
	fd = open(dev, !strcmp(argv[1], "ro") ? O_RDONLY : O_RDWR);
	if (!CHECK(fd >= 0))
		return abi_done();
	if (!strcmp(argv[1], "ro")) {
		ABI_RUN(read_only);
		return abi_done();
	}
	ABI_RUN(identity);
	ABI_RUN(partitions_and_statfs);
	ABI_RUN(seeking);
	ABI_RUN(threads_write_read);
	ABI_RUN(unaligned);
	ABI_RUN(vectored);
	ABI_RUN(the_end);
	ABI_RUN(direct);
	ABI_RUN(ranges);
	CHECK_EQ_INT(fsync(fd), 0);
	close(fd);
	return abi_done();
}
