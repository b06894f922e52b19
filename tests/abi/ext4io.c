/*
 * Files on a disk file system, written in one run and read back in
 * another: regular files (small, multi-block, truncated down and grown
 * with a hole), nested directories, fast and slow symlinks, a file and
 * a directory made and removed, chmod and utimensat, fsync, getdents,
 * link and rename (over a file, a directory across parents, over an
 * empty directory, RENAME_NOREPLACE, RENAME_EXCHANGE, EXDEV).
 *
 *   ext4io                     write then verify in /tmp/abi-ext4io-PID
 *                              (removed after): the ABI run, host and guest
 *   ext4io DIR write [ext4]    write into DIR (and check statfs says ext4)
 *   ext4io DIR verify          check what `write` left, e.g. after a reboot
 *
 * tests/blk/ext4.sh runs `write` on an ext4 disk in Osprey, checks the
 * image with e2fsck and debugfs on the host, and runs `verify` in a
 * second boot.
 */
#define _GNU_SOURCE
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define BIG_SIZE (200 * 1024 + 123)
#define LONG_TARGET                                                            \
	"sub/dir/../dir/./nested.txt-is-not-here-but-a-long-target-makes-"     \
	"a-slow-symlink-0123456789"
#define MTIME_SEC 1000000000
#define MTIME_NSEC 500000000

static const char *dir;

static const char *P(const char *name)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

static void put_file(const char *name, const void *buf, size_t n)
{
	int fd = open(P(name), O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(write(fd, buf, n), (long long)n);
	CHECK_EQ_INT(fsync(fd), 0);
	CHECK_EQ_INT(close(fd), 0);
}

/* The whole file into buf (at most size); its length or -1. */
static ssize_t get_file(const char *name, void *buf, size_t size)
{
	int fd = open(P(name), O_RDONLY);
	ssize_t n = 0, r;

	if (fd < 0)
		return -1;
	while ((size_t)n < size &&
	       (r = read(fd, (char *)buf + n, size - n)) > 0)
		n += r;
	close(fd);
	return n;
}

static void write_small(void)
{
	put_file("hello.txt", "hello, ext4\n", 12);
	CHECK_EQ_INT(chmod(P("hello.txt"), 0600), 0);
}

static void write_big(void)
{
	unsigned char *b = malloc(BIG_SIZE);

	for (size_t i = 0; i < BIG_SIZE; i++)
		b[i] = pattern(i);
	put_file("big.bin", b, BIG_SIZE);
	free(b);
}

static void write_trunc(void)
{
	char b[10000];
	int fd;

	memset(b, 'x', sizeof(b));
	put_file("trunc.bin", b, sizeof(b));
	CHECK_EQ_INT(truncate(P("trunc.bin"), 5000), 0);
	fd = open(P("trunc.bin"), O_WRONLY);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(ftruncate(fd, 8192), 0); /* a hole from 5000 */
	CHECK_EQ_INT(pwrite(fd, "end", 3, 8189), 3);
	CHECK_EQ_INT(close(fd), 0);
}

static void write_tree(void)
{
	CHECK_EQ_INT(mkdir(P("sub"), 0755), 0);
	CHECK_EQ_INT(mkdir(P("sub/dir"), 0750), 0);
	put_file("sub/dir/nested.txt", "deep\n", 5);
	CHECK_EQ_INT(symlink("hello.txt", P("link")), 0);
	CHECK_EQ_INT(symlink(LONG_TARGET, P("longlink")), 0);
	CHECK_ERRNO(mkdir(P("sub"), 0755), EEXIST);
	CHECK_ERRNO(rmdir(P("sub")), ENOTEMPTY);
}

static void write_removed(void)
{
	put_file("gone.txt", "bye\n", 4);
	CHECK_EQ_INT(unlink(P("gone.txt")), 0);
	CHECK_ERRNO(open(P("gone.txt"), O_RDONLY), ENOENT);
	CHECK_EQ_INT(mkdir(P("gonedir"), 0755), 0);
	CHECK_EQ_INT(rmdir(P("gonedir")), 0);
	CHECK_ERRNO(rmdir(P("gonedir")), ENOENT);
	CHECK_ERRNO(unlink(P("sub")), EISDIR);
}

static void write_times(void)
{
	struct timespec ts[2] = {{MTIME_SEC, 0}, {MTIME_SEC, MTIME_NSEC}};

	CHECK_EQ_INT(utimensat(AT_FDCWD, P("sub/dir/nested.txt"), ts, 0), 0);
}

/* Names come and go: mv/inner ends in mv after a trip through dest. */
static void write_renames(void)
{
	struct stat st;

	put_file("orig.txt", "linked\n", 7);
	CHECK_EQ_INT(link(P("orig.txt"), P("hard.txt")), 0);
	CHECK_ERRNO(link(P("orig.txt"), P("hard.txt")), EEXIST);
	CHECK_ERRNO(link(P("sub"), P("subhard")), EPERM);
	CHECK_ERRNO(rename(P("orig.txt"), "/proc/x"), EXDEV);
	CHECK_EQ_INT(mkdir(P("mv"), 0755), 0);
	CHECK_EQ_INT(mkdir(P("mv/inner"), 0755), 0);
	put_file("mv/inner/f", "f\n", 2);
	CHECK_EQ_INT(mkdir(P("dest"), 0755), 0);
	CHECK_EQ_INT(rename(P("mv/inner"), P("dest/inner")), 0);
	CHECK_EQ_INT(stat(P("mv"), &st), 0);
	CHECK_EQ_INT(st.st_nlink, 2);
	CHECK_EQ_INT(stat(P("dest"), &st), 0);
	CHECK_EQ_INT(st.st_nlink, 3);
	put_file("over.txt", "old\n", 4);
	put_file("new.txt", "new\n", 4);
	CHECK_EQ_INT(rename(P("new.txt"), P("over.txt")), 0);
	CHECK_ERRNO(renameat2(AT_FDCWD, P("hard.txt"), AT_FDCWD, P("orig.txt"),
			      RENAME_NOREPLACE),
		    EEXIST);
	CHECK_EQ_INT(
	    renameat2(AT_FDCWD, P("dest"), AT_FDCWD, P("mv"), RENAME_EXCHANGE),
	    0);
	CHECK_EQ_INT(mkdir(P("emptyd"), 0700), 0);
	CHECK_EQ_INT(rename(P("dest"), P("emptyd")), 0);
	CHECK_ERRNO(rename(P("emptyd"), P("mv")), ENOTEMPTY);
	CHECK_ERRNO(rename(P("mv"), P("mv/inner/x")), EINVAL);
}

/* ---- what a later run checks ---- */
static void verify_small(void)
{
	char b[64] = {0};
	struct stat st;

	CHECK_EQ_INT(get_file("hello.txt", b, sizeof(b)), 12);
	CHECK_EQ_STR(b, "hello, ext4\n");
	CHECK_EQ_INT(stat(P("hello.txt"), &st), 0);
	CHECK_EQ_INT(st.st_mode, S_IFREG | 0600);
	CHECK_EQ_INT(st.st_nlink, 1);
}

static void verify_big(void)
{
	unsigned char *b = malloc(BIG_SIZE + 1);
	size_t bad = 0;
	struct stat st;

	CHECK_EQ_INT(get_file("big.bin", b, BIG_SIZE + 1), BIG_SIZE);
	for (size_t i = 0; i < BIG_SIZE; i++)
		bad += b[i] != pattern(i);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(stat(P("big.bin"), &st), 0);
	CHECK(st.st_blocks * 512 >= BIG_SIZE);
	free(b);
}

static void verify_trunc(void)
{
	char b[9000];
	size_t bad = 0;

	CHECK_EQ_INT(get_file("trunc.bin", b, sizeof(b)), 8192);
	for (int i = 0; i < 5000; i++)
		bad += b[i] != 'x';
	for (int i = 5000; i < 8189; i++)
		bad += b[i] != 0;
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_MEM(b + 8189, "end", 3);
}

static void verify_tree(void)
{
	char b[256] = {0};
	struct stat st;

	CHECK_EQ_INT(get_file("sub/dir/nested.txt", b, sizeof(b)), 5);
	CHECK_EQ_STR(b, "deep\n");
	CHECK_EQ_INT(stat(P("sub/dir"), &st), 0);
	CHECK_EQ_INT(st.st_mode, S_IFDIR | 0750);
	CHECK_EQ_INT(stat(P("sub"), &st), 0);
	CHECK_EQ_INT(st.st_nlink, 3); /* ".", its name, dir's ".." */
	CHECK_EQ_INT(readlink(P("link"), b, sizeof(b)), 9);
	CHECK_EQ_MEM(b, "hello.txt", 9);
	CHECK_EQ_INT(readlink(P("longlink"), b, sizeof(b)),
		     strlen(LONG_TARGET));
	CHECK_EQ_MEM(b, LONG_TARGET, strlen(LONG_TARGET));
	memset(b, 0, sizeof(b));
	CHECK_EQ_INT(get_file("link", b, sizeof(b)), 12); /* followed */
	CHECK_EQ_INT(lstat(P("link"), &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_ERRNO(stat(P("gone.txt"), &st), ENOENT);
	CHECK_ERRNO(stat(P("gonedir"), &st), ENOENT);
	CHECK_EQ_INT(stat(P("sub/dir/nested.txt"), &st), 0);
	CHECK_EQ_INT(st.st_mtim.tv_sec, MTIME_SEC);
	CHECK_EQ_INT(st.st_mtim.tv_nsec, MTIME_NSEC);
}

static void verify_renames(void)
{
	char b[64] = {0};
	struct stat a, c;

	CHECK_EQ_INT(get_file("hard.txt", b, sizeof(b)), 7);
	CHECK_EQ_STR(b, "linked\n");
	CHECK_EQ_INT(stat(P("orig.txt"), &a), 0);
	CHECK_EQ_INT(stat(P("hard.txt"), &c), 0);
	CHECK_EQ_INT(a.st_ino, c.st_ino);
	CHECK_EQ_INT(a.st_nlink, 2);
	memset(b, 0, sizeof(b));
	CHECK_EQ_INT(get_file("over.txt", b, sizeof(b)), 4);
	CHECK_EQ_STR(b, "new\n");
	CHECK_ERRNO(stat(P("new.txt"), &a), ENOENT);
	CHECK_ERRNO(stat(P("dest"), &a), ENOENT);
	CHECK_EQ_INT(get_file("mv/inner/f", b, sizeof(b)), 2);
	CHECK_EQ_INT(stat(P("mv"), &a), 0);
	CHECK_EQ_INT(a.st_nlink, 3);
	CHECK_EQ_INT(stat(P("mv/inner/.."), &c), 0);
	CHECK_EQ_INT(a.st_ino, c.st_ino);
	CHECK_EQ_INT(stat(P("emptyd"), &a), 0);
	CHECK_EQ_INT(a.st_nlink, 2);
	CHECK_EQ_INT(a.st_mode, S_IFDIR | 0755); /* dest's, not emptyd's */
}

/* getdents: every name once, with its type. */
static void verify_listing(void)
{
	static const char *const want[] = {
	    "hello.txt", "big.bin",  "trunc.bin", "sub", "link",  "longlink",
	    "orig.txt",	 "hard.txt", "over.txt",  "mv",	 "emptyd"};
	enum { NWANT = sizeof(want) / sizeof(want[0]) };
	int seen[NWANT] = {0}, others = 0, dots = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!CHECK(d != NULL))
		return;
	while ((e = readdir(d))) {
		int k = -1;

		for (int i = 0; i < NWANT; i++)
			if (!strcmp(e->d_name, want[i]))
				k = i;
		if (k >= 0)
			seen[k]++;
		else if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			dots++;
		else if (strcmp(e->d_name, "lost+found"))
			others++;
		if (k == 3)
			CHECK_EQ_INT(e->d_type, DT_DIR);
		if (k == 4)
			CHECK_EQ_INT(e->d_type, DT_LNK);
	}
	closedir(d);
	for (int i = 0; i < NWANT; i++)
		CHECK_EQ_INT(seen[i], 1);
	CHECK_EQ_INT(dots, 2);
	CHECK_EQ_INT(others, 0);
}

static void check_ext4(void)
{
	struct statfs sf;

	CHECK_EQ_INT(statfs(dir, &sf), 0);
	CHECK_EQ_INT(sf.f_type, 0xEF53);
	CHECK(sf.f_bfree > 0 && sf.f_bfree <= sf.f_blocks);
}

static void do_write(void)
{
	ABI_RUN(write_small);
	ABI_RUN(write_big);
	ABI_RUN(write_trunc);
	ABI_RUN(write_tree);
	ABI_RUN(write_removed);
	ABI_RUN(write_times);
	ABI_RUN(write_renames);
	sync();
}

static void do_verify(void)
{
	ABI_RUN(verify_small);
	ABI_RUN(verify_big);
	ABI_RUN(verify_trunc);
	ABI_RUN(verify_tree);
	ABI_RUN(verify_renames);
	ABI_RUN(verify_listing);
}

int main(int argc, char **argv)
{
	static char tmp[64];

	abi_init("ext4io");
	if (argc < 3) {
		snprintf(tmp, sizeof(tmp), "/tmp/abi-ext4io-%d", getpid());
		dir = tmp;
		if (CHECK_EQ_INT(mkdir(dir, 0755), 0)) {
			do_write();
			do_verify();
		}
		abi_rmtree(dir);
		return abi_done();
	}
	dir = argv[1];
	if (!strcmp(argv[2], "write")) {
		if (argc > 3 && !strcmp(argv[3], "ext4"))
			ABI_RUN(check_ext4);
		do_write();
	}
	do_verify();
	return abi_done();
}
