/*
 * Files in a host folder shared into the guest (osprey run --share, 9p):
 * create, write, read back, readdir, rename, unlink, symlink, mkdir and
 * rmdir, truncate, stat sizes and modes, fsync, a file larger than one
 * 9P message, and four threads writing at once (several requests in
 * flight), mmap (private: reads the file, its writes stay private;
 * shared read-only: sees write(); shared writable: reaches the file by
 * msync and munmap). The host then checks what the guest left.
 *
 *   share9p                   write then verify in /tmp/abi-share9p-PID
 *                             (removed after): the ABI run, host and guest
 *   share9p DIR write [9p]    write into DIR (and check statfs says 9p)
 *   share9p DIR verify        check what `write` left
 *   share9p DIR ro            DIR is mounted read-only: every change is
 *                             EROFS, and what `write` left reads back
 *
 * tests/blk/share.sh runs `write` in Osprey on microvm and q35, checks
 * the host folder with the host's tools, and runs `ro` with :ro.
 */
#define _GNU_SOURCE
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define BIG_SIZE (300 * 1024 + 77) /* more than a 128 KiB message */
#define NTHREADS 4
#define THREAD_SIZE (64 * 1024)
#define V9FS_MAGIC 0x01021997

static const char *dir;

static const char *P(const char *name)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static unsigned char pattern(size_t i, unsigned seed)
{
	return (unsigned char)(i * 13 + i / 509 + seed);
}

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pattern(i, seed);
}

static void put_file(const char *name, const void *buf, size_t n, int mode)
{
	int fd = open(P(name), O_CREAT | O_EXCL | O_WRONLY, mode);

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
	size_t got = 0;
	ssize_t r = 0;

	if (fd < 0)
		return -1;
	while (got < size && (r = read(fd, (char *)buf + got, size - got)) > 0)
		got += (size_t)r;
	close(fd);
	return r < 0 ? -1 : (ssize_t)got;
}

static void check_9p(void)
{
	struct statfs sf;

	if (CHECK_EQ_INT(statfs(dir, &sf), 0))
		CHECK_EQ_INT(sf.f_type, V9FS_MAGIC);
}

static void *thread_write(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;
	static unsigned char bufs[NTHREADS][THREAD_SIZE];
	char name[32];

	snprintf(name, sizeof(name), "thread%u.bin", k);
	fill(bufs[k], THREAD_SIZE, k + 1);
	put_file(name, bufs[k], THREAD_SIZE, 0644);
	return NULL;
}

static void write_threads(void)
{
	pthread_t t[NTHREADS];

	for (unsigned k = 0; k < NTHREADS; k++) {
		int r = pthread_create(&t[k], NULL, thread_write,
				       (void *)(uintptr_t)k);

		CHECK_EQ_INT(r, 0);
	}
	for (unsigned k = 0; k < NTHREADS; k++)
		pthread_join(t[k], NULL);
}

static void write_files(void)
{
	static unsigned char big[BIG_SIZE];
	int fd;

	put_file("hello.txt", "hello, 9p\n", 10, 0644);
	put_file("exec.sh", "#!/bin/sh\n", 10, 0750);
	fill(big, BIG_SIZE, 0);
	put_file("big.bin", big, BIG_SIZE, 0600);
	put_file("moved-from.txt", "moving\n", 7, 0644);
	CHECK_EQ_INT(rename(P("moved-from.txt"), P("moved-to.txt")), 0);
	put_file("gone.txt", "bye\n", 4, 0644);
	CHECK_EQ_INT(unlink(P("gone.txt")), 0);
	CHECK_ERRNO(open(P("gone.txt"), O_RDONLY), ENOENT);
	fd = open(P("trunc.bin"), O_CREAT | O_RDWR, 0644);
	if (CHECK(fd >= 0)) {
		CHECK_EQ_INT(write(fd, big, 5000), 5000);
		CHECK_EQ_INT(ftruncate(fd, 100), 0);
		CHECK_EQ_INT(pwrite(fd, "end", 3, 200), 3);
		CHECK_EQ_INT(close(fd), 0);
	}
	fd = open(P("hello.txt"), O_WRONLY | O_APPEND);
	if (CHECK(fd >= 0)) {
		CHECK_EQ_INT(write(fd, "again\n", 6), 6);
		CHECK_EQ_INT(close(fd), 0);
	}
}

/* link(2): a second name for moved-to.txt, two links, one inode. */
static void check_hard(void)
{
	struct stat a, b;

	if (CHECK_EQ_INT(stat(P("moved-to.txt"), &a), 0) &&
	    CHECK_EQ_INT(stat(P("hard.txt"), &b), 0)) {
		CHECK_EQ_INT(a.st_ino, b.st_ino);
		CHECK_EQ_INT(a.st_nlink, 2);
		CHECK_EQ_INT(b.st_nlink, 2);
	}
}

static void hard_link(void)
{
	CHECK_EQ_INT(link(P("moved-to.txt"), P("hard.txt")), 0);
	CHECK_ERRNO(link(P("moved-to.txt"), P("hello.txt")), EEXIST);
	CHECK_ERRNO(link(P("sub"), P("sub-link")), EPERM);
	CHECK_ERRNO(link(P("no-such"), P("x")), ENOENT);
	check_hard();
}

static void write_tree(void)
{
	CHECK_EQ_INT(mkdir(P("sub"), 0755), 0);
	CHECK_EQ_INT(mkdir(P("sub/dir"), 0700), 0);
	put_file("sub/dir/nested.txt", "deep\n", 5, 0644);
	CHECK_EQ_INT(mkdir(P("empty"), 0755), 0);
	CHECK_EQ_INT(rmdir(P("empty")), 0);
	CHECK_ERRNO(rmdir(P("sub")), ENOTEMPTY);
	CHECK_EQ_INT(symlink("hello.txt", P("link")), 0);
	ABI_RUN(hard_link);
	CHECK_ERRNO(mkdir(P("sub"), 0755), EEXIST);
}

#define MAP_SIZE (3 * 4096 + 100) /* a partial last page */

/* MAP_PRIVATE: the file's bytes, zeros past its end in the last page,
 * and a copy-on-write that the file never sees. */
static void mmap_private(void)
{
	static unsigned char big[BIG_SIZE], back[64];
	int fd = open(P("big.bin"), O_RDONLY);
	unsigned char *m;

	if (!CHECK(fd >= 0))
		return;
	fill(big, BIG_SIZE, 0);
	m = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (CHECK(m != MAP_FAILED)) {
		CHECK_EQ_MEM(m, big, BIG_SIZE);
		CHECK_EQ_INT(m[BIG_SIZE], 0); /* the last page's tail */
		memset(m + 4096, 0xa5, 64);
		CHECK_EQ_INT(pread(fd, back, 64, 4096), 64);
		CHECK_EQ_MEM(back, big + 4096, 64);
		CHECK_EQ_INT(munmap(m, BIG_SIZE), 0);
	}
	CHECK_EQ_INT(close(fd), 0);
}

/* The bytes "mmap.bin" holds once mmap_shared is done with it. */
static void map_want(unsigned char *b)
{
	fill(b, MAP_SIZE, 7);
	memcpy(b + 10, "written by write", 16);
	memcpy(b + 5000, "written by a mapping", 20);
	memcpy(b + MAP_SIZE - 4, "tail", 4);
}

/* MAP_SHARED: a read-only mapping sees pwrite at once; a writable one's
 * stores reach read() after msync and the file after munmap. */
static void mmap_shared(void)
{
	static unsigned char b[MAP_SIZE], want[MAP_SIZE], got[MAP_SIZE];
	unsigned char *r, *w;
	int fd;

	fill(b, MAP_SIZE, 7);
	put_file("mmap.bin", b, MAP_SIZE, 0644);
	map_want(want);
	fd = open(P("mmap.bin"), O_RDWR);
	if (!CHECK(fd >= 0))
		return;
	r = mmap(NULL, MAP_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	w = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (CHECK(r != MAP_FAILED) && CHECK(w != MAP_FAILED)) {
		CHECK_EQ_MEM(r, b, MAP_SIZE);
		CHECK_EQ_INT(pwrite(fd, "written by write", 16, 10), 16);
		CHECK_EQ_MEM(r + 10, "written by write", 16);
		memcpy(w + 5000, "written by a mapping", 20);
		memcpy(w + MAP_SIZE - 4, "tail", 4);
		CHECK_EQ_MEM(r + 5000, "written by a mapping", 20);
		CHECK_EQ_INT(msync(w, MAP_SIZE, MS_SYNC), 0);
		CHECK_EQ_INT(pread(fd, got, MAP_SIZE, 0), MAP_SIZE);
		CHECK_EQ_MEM(got, want, MAP_SIZE);
		memcpy(w + 4096, "after msync", 11); /* munmap writes it */
		CHECK_EQ_INT(munmap(r, MAP_SIZE), 0);
		CHECK_EQ_INT(munmap(w, MAP_SIZE), 0);
	}
	CHECK_EQ_INT(close(fd), 0);
}

static void do_write(void)
{
	ABI_RUN(write_files);
	ABI_RUN(write_tree);
	ABI_RUN(write_threads);
	ABI_RUN(mmap_private);
	ABI_RUN(mmap_shared);
}

static void verify_file(const char *name, const void *want, size_t n,
			mode_t mode)
{
	static unsigned char buf[BIG_SIZE + 1];
	struct stat st;

	if (!CHECK_EQ_INT(stat(P(name), &st), 0))
		return;
	CHECK_EQ_INT(st.st_size, (long long)n);
	CHECK_EQ_INT(st.st_mode, (long long)(S_IFREG | mode));
	if (CHECK_EQ_INT(get_file(name, buf, sizeof(buf)), (long long)n))
		CHECK_EQ_MEM(buf, want, n);
}

static void verify_files(void)
{
	static unsigned char big[BIG_SIZE], t[THREAD_SIZE], mapped[MAP_SIZE];
	unsigned char tr[203] = {0};
	char name[32];

	verify_file("hello.txt", "hello, 9p\nagain\n", 16, 0644);
	verify_file("exec.sh", "#!/bin/sh\n", 10, 0750);
	fill(big, BIG_SIZE, 0);
	verify_file("big.bin", big, BIG_SIZE, 0600);
	verify_file("moved-to.txt", "moving\n", 7, 0644);
	verify_file("hard.txt", "moving\n", 7, 0644);
	check_hard();
	CHECK_ERRNO(access(P("moved-from.txt"), F_OK), ENOENT);
	CHECK_ERRNO(access(P("gone.txt"), F_OK), ENOENT);
	memcpy(tr, big, 100);
	memcpy(tr + 200, "end", 3);
	verify_file("trunc.bin", tr, sizeof(tr), 0644);
	for (unsigned k = 0; k < NTHREADS; k++) {
		snprintf(name, sizeof(name), "thread%u.bin", k);
		fill(t, THREAD_SIZE, k + 1);
		verify_file(name, t, THREAD_SIZE, 0644);
	}
	map_want(mapped);
	memcpy(mapped + 4096, "after msync", 11);
	verify_file("mmap.bin", mapped, MAP_SIZE, 0644);
}

static void verify_tree(void)
{
	char target[64] = {0};
	struct stat st;

	verify_file("sub/dir/nested.txt", "deep\n", 5, 0644);
	if (CHECK_EQ_INT(stat(P("sub/dir"), &st), 0))
		CHECK_EQ_INT(st.st_mode, S_IFDIR | 0700);
	if (CHECK_EQ_INT(lstat(P("link"), &st), 0))
		CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ_INT(readlink(P("link"), target, sizeof(target) - 1), 9);
	CHECK_EQ_STR(target, "hello.txt");
	if (CHECK_EQ_INT(stat(P("link"), &st), 0))
		CHECK_EQ_INT(st.st_size, 16);
	CHECK_ERRNO(access(P("empty"), F_OK), ENOENT);
}

/* getdents: exactly the names `write` left. */
static void verify_listing(void)
{
	static const char *const want[] = {
	    "big.bin",	   "exec.sh",	  "hard.txt",	  "hello.txt",
	    "link",	   "mmap.bin",	  "moved-to.txt", "sub",
	    "thread0.bin", "thread1.bin", "thread2.bin",  "thread3.bin",
	    "trunc.bin"};
	unsigned seen = 0, n = 0, dots = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!CHECK(d != NULL))
		return;
	while ((e = readdir(d)) && n < 1000) {
		unsigned i;

		n++;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
			dots++;
			continue;
		}
		for (i = 0; i < sizeof(want) / sizeof(*want); i++)
			if (!strcmp(e->d_name, want[i]))
				break;
		if (!CHECK(i < sizeof(want) / sizeof(*want)))
			printf("  unexpected name %s\n", e->d_name);
		else
			seen |= 1u << i;
	}
	closedir(d);
	CHECK_EQ_INT(dots, 2);
	CHECK_EQ_INT(seen, (1u << (sizeof(want) / sizeof(*want))) - 1);
}

static void do_verify(void)
{
	ABI_RUN(verify_files);
	ABI_RUN(verify_tree);
	ABI_RUN(verify_listing);
}

/* A read-only mount: every change is EROFS. */
static void check_ro(void)
{
	CHECK_ERRNO(open(P("new.txt"), O_CREAT | O_WRONLY, 0644), EROFS);
	CHECK_ERRNO(open(P("hello.txt"), O_WRONLY), EROFS);
	CHECK_ERRNO(mkdir(P("newdir"), 0755), EROFS);
	CHECK_ERRNO(unlink(P("hello.txt")), EROFS);
	CHECK_ERRNO(rename(P("hello.txt"), P("x.txt")), EROFS);
	CHECK_ERRNO(truncate(P("hello.txt"), 0), EROFS);
	CHECK_ERRNO(chmod(P("hello.txt"), 0600), EROFS);
}

int main(int argc, char **argv)
{
	static char tmp[64];

	abi_init("share9p");
	if (argc < 3) {
		snprintf(tmp, sizeof(tmp), "/tmp/abi-share9p-%d", getpid());
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
		if (argc > 3 && !strcmp(argv[3], "9p"))
			ABI_RUN(check_9p);
		do_write();
	}
	if (!strcmp(argv[2], "ro"))
		ABI_RUN(check_ro);
	do_verify();
	return abi_done();
}
