/*
 * One file seen through read/write and through mappings at once (the
 * page cache): bytes written by write() show in a shared mapping, bytes
 * stored through the mapping show to read() at once and reach the file
 * by msync, a private mapping's writes stay its own, and what the
 * mapping wrote is still there after munmap and a reopen.
 *
 *   mmapio            in /tmp/mmapio-PID (removed after): the ABI run
 *   mmapio DIR        in DIR/mmapio.bin, left there: tests/blk/ext4.sh
 *                     runs it on an ext4 disk and reads the file back
 *                     with debugfs (page k holds 'A' + k, but bytes
 *                     100..105 of page 1 say "mapped" and the last
 *                     page ends at 3 pages + 1000 bytes)
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <sys/mman.h>

#define PAGE 4096
#define SIZE (3 * PAGE + 1000)

static char path[512];

static int all(const char *p, size_t n, char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static int make(void)
{
	static char buf[SIZE];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int i = 0; i < SIZE; i++)
		buf[i] = (char)('A' + i / PAGE);
	if (fd >= 0 && write(fd, buf, SIZE) != SIZE) {
		close(fd);
		return -1;
	}
	return fd;
}

static void shared_mapping_and_read_agree(void)
{
	char buf[16];
	int fd = make();

	if (!CHECK(fd >= 0))
		return;
	char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK(p != MAP_FAILED))
		return;
	CHECK(all(p, PAGE, 'A') && all(p + PAGE, PAGE, 'B'));
	CHECK(all(p + 3 * PAGE, 1000, 'D'));
	CHECK_EQ_INT(p[3 * PAGE + 1000], 0); /* past the end: zero */
	memcpy(p + PAGE + 100, "mapped", 6);
	CHECK_EQ_INT(pread(fd, buf, 6, PAGE + 100), 6);
	CHECK_EQ_MEM(buf, "mapped", 6);
	CHECK_EQ_INT(pwrite(fd, "written", 7, 2 * PAGE + 10), 7);
	CHECK_EQ_MEM(p + 2 * PAGE + 10, "written", 7);
	CHECK_EQ_INT(pwrite(fd, "CC", 2, 2 * PAGE + 10), 2); /* put back */
	CHECK_EQ_INT(pwrite(fd, "CCCCC", 5, 2 * PAGE + 12), 5);
	CHECK_EQ_INT(msync(p, SIZE, MS_SYNC), 0);
	CHECK_EQ_INT(fsync(fd), 0);
	CHECK_EQ_INT(fdatasync(fd), 0);
	CHECK_EQ_INT(munmap(p, SIZE), 0);
	close(fd);
}

static void private_mapping_keeps_its_writes(void)
{
	char buf[8];
	int fd = open(path, O_RDWR);

	if (!CHECK(fd >= 0))
		return;
	char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (!CHECK(p != MAP_FAILED))
		return;
	CHECK_EQ_MEM(p + PAGE + 100, "mapped", 6);
	p[0] = 'x';
	CHECK_EQ_INT(pread(fd, buf, 1, 0), 1);
	CHECK_EQ_INT(buf[0], 'A');
	munmap(p, SIZE);
	close(fd);
}

static void the_file_keeps_what_the_mapping_wrote(void)
{
	static char buf[SIZE + 10];
	int fd = open(path, O_RDONLY);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), SIZE);
	CHECK(all(buf, PAGE, 'A') && all(buf + 2 * PAGE, PAGE, 'C'));
	CHECK_EQ_MEM(buf + PAGE + 100, "mapped", 6);
	CHECK(all(buf + PAGE, 100, 'B') &&
	      all(buf + PAGE + 106, PAGE - 106, 'B'));
	close(fd);
}

int main(int argc, char **argv)
{
	abi_init("mmapio");
	if (argc > 1)
		snprintf(path, sizeof(path), "%s/mmapio.bin", argv[1]);
	else
		snprintf(path, sizeof(path), "/tmp/mmapio-%d", (int)getpid());
	ABI_RUN(shared_mapping_and_read_agree);
	ABI_RUN(private_mapping_keeps_its_writes);
	ABI_RUN(the_file_keeps_what_the_mapping_wrote);
	if (argc < 2)
		unlink(path);
	return abi_done();
}
