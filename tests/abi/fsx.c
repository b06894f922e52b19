/*
 * fsx-style random file I/O against an in-memory model: writes, reads,
 * truncates down and up (holes), fallocate (mode 0, KEEP_SIZE, and
 * PUNCH_HOLE|KEEP_SIZE), for a bounded number of operations from a
 * seed. After every operation the file's size is the model's; every
 * read and a full read-back every 64 operations must equal the model.
 * As xfstests' fsx does, fallocate modes the file system refuses
 * (EOPNOTSUPP) are said once by name and left out.
 *
 *   fsx [DIR [OPS [SEED]]]    default /tmp/abi-fsx-PID, 2000 ops, seed 1
 *
 * tests/blk/ext4.sh runs it on /data (ext4) in Osprey.
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <stdbool.h>
#include <sys/stat.h>

#define MAXLEN (192 * 1024) /* the file never grows past it */
#define MAXOP (48 * 1024)   /* the longest write, read or punch */

static unsigned char model[MAXLEN], buf[MAXLEN];
static size_t size;
static unsigned long long rng;
static bool keep_ok = true, punch_ok = true;
static int fd;
static long opno;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rng >> 33) % n);
}

/* Checks stay quiet per operation (thousands of them): the first one
 * that goes wrong is told, with errno, and ends the run. */
static bool fail_at(const char *what, size_t off, size_t len)
{
	printf("fsx: op %ld (%s at %zu, %zu bytes) went wrong: %s\n", opno,
	       what, off, len, strerror(errno));
	return false;
}

static bool do_write(size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(rnd(255) + 1);
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		return fail_at("write", off, len);
	memcpy(model + off, buf, len);
	if (off > size)
		memset(model + size, 0, off - size); /* a hole */
	if (off + len > size)
		size = off + len;
	return true;
}

static bool do_read(size_t off, size_t len)
{
	size_t want = off >= size ? 0 : off + len > size ? size - off : len;

	if (pread(fd, buf, len, (off_t)off) != (ssize_t)want ||
	    memcmp(buf, model + off, want))
		return fail_at("read", off, len);
	return true;
}

static bool do_truncate(size_t to)
{
	if (ftruncate(fd, (off_t)to))
		return fail_at("truncate", to, 0);
	if (to > size)
		memset(model + size, 0, to - size);
	size = to;
	return true;
}

/* mode 0 grows the size; KEEP_SIZE does not; a punch reads as zeros. */
static bool do_falloc(int mode, size_t off, size_t len)
{
	int r = fallocate(fd, mode, (off_t)off, (off_t)len);

	if (r && errno == EOPNOTSUPP && mode) {
		printf("fsx: fallocate mode 0x%x: EOPNOTSUPP, left out\n",
		       mode);
		*(mode & FALLOC_FL_PUNCH_HOLE ? &punch_ok : &keep_ok) = false;
		return true;
	}
	if (r)
		return fail_at("fallocate", off, len);
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (off < size)
			memset(model + off, 0,
			       off + len > size ? size - off : len);
	} else if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > size) {
		memset(model + size, 0, off + len - size);
		size = off + len;
	}
	return true;
}

static bool check_all(void)
{
	struct stat st;

	if (fstat(fd, &st) || st.st_size != (off_t)size)
		return fail_at("size", size, 0);
	return opno % 64 ? true : do_read(0, MAXLEN);
}

static bool one_op(void)
{
	size_t off = rnd(MAXLEN), len = rnd(MAXOP) + 1;

	if (off + len > MAXLEN)
		len = MAXLEN - off;
	switch (rnd(10)) {
	case 0:
	case 1:
	case 2:
		return do_write(off, len);
	case 3:
	case 4:
		return do_read(off, len);
	case 5:
		return do_truncate(rnd(MAXLEN));
	case 6:
		return do_falloc(0, off, len);
	case 7:
		return !keep_ok || do_falloc(FALLOC_FL_KEEP_SIZE, off, len);
	default:
		return !punch_ok ||
		       do_falloc(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 off, len);
	}
}

static const char *path;
static long ops = 2000;

static void random_ops(void)
{
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (!CHECK(fd >= 0))
		return;
	for (opno = 1; opno <= ops; opno++)
		if (!one_op() || !check_all())
			break;
	CHECK_EQ_INT(opno, ops + 1); /* every operation matched */
	CHECK_EQ_INT(fsync(fd), 0);
	CHECK_EQ_INT(close(fd), 0);
	fd = open(path, O_RDONLY); /* again, from a fresh descriptor */
	if (CHECK(fd >= 0)) {
		CHECK(do_read(0, MAXLEN));
		close(fd);
	}
}

int main(int argc, char **argv)
{
	static char dir[64], file[512];
	bool mine = argc < 2;

	abi_init("fsx");
	if (mine) {
		snprintf(dir, sizeof(dir), "/tmp/abi-fsx-%d", getpid());
		if (!CHECK_EQ_INT(mkdir(dir, 0755), 0))
			return abi_done();
	}
	snprintf(file, sizeof(file), "%s/fsx.file", mine ? dir : argv[1]);
	path = file;
	if (argc > 2)
		ops = atol(argv[2]);
	rng = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	printf("fsx: %ld operations, seed %llu, on %s\n", ops, rng, path);
	ABI_RUN(random_ops);
	unlink(path);
	if (mine)
		abi_rmtree(dir);
	return abi_done();
}
