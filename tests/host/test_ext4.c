/*
 * Host tests for fs/ext4 and lib/crc32c.c. The checksums against known
 * vectors; then a tree of files made here (sizes around block edges,
 * sparse files with many extents and one past 4 GiB, hard links, fast and
 * slow symlinks, xattrs in the inode and in a block, a directory of many
 * files) is put into images by Debian's mke2fs -d with several feature
 * sets, and every file's bytes, name, mode, size, owner, times, link
 * target and xattrs read through fs/ext4 are compared with the tree's.
 * Last, broken images: a bad checksum, an unsupported feature, an unknown
 * read-only one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/ext4/ext4_private.h"
#include "tests/host/check.h"

static char tree[256], work[256];

/* ---- checksums ---- */

static void test_crc32c_vectors(void)
{
	uint8_t buf[32];

	CHECK_EQ(~crc32c(~0u, "123456789", 9), 0xE3069283u);
	memset(buf, 0, 32); /* RFC 3720 B.4 */
	CHECK_EQ(~crc32c(~0u, buf, 32), 0x8A9136AAu);
	memset(buf, 0xFF, 32);
	CHECK_EQ(~crc32c(~0u, buf, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	CHECK_EQ(~crc32c(~0u, buf, 32), 0x46DD794Eu);
	/* in pieces of every split, unaligned: the same */
	for (int k = 0; k <= 32; k++)
		CHECK_EQ(crc32c(crc32c(~0u, buf, k), buf + k, 32 - k),
			 crc32c(~0u, buf, 32));
	CHECK_EQ(crc32c(7, buf, 0), 7);
}

static void test_crc16_vector(void)
{
	/* CRC-16/ARC (reflected 0x8005), the check value */
	CHECK_EQ(ext4_crc16(0, "123456789", 9), 0xBB3D);
}

/* ---- a block device over a file ---- */

static int file_read(struct ext4_dev *dev, uint64_t off, void *buf, size_t len)
{
	int fd = (int)(intptr_t)dev->ctx;

	return pread(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static int dev_open(const char *path, struct ext4_dev *dev)
{
	int fd = open(path, O_RDONLY);
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return -1;
	memset(dev, 0, sizeof(*dev));
	dev->read = file_read;
	dev->size = (uint64_t)st.st_size;
	dev->ctx = (void *)(intptr_t)fd;
	return 0;
}

static void dev_close(struct ext4_dev *dev)
{
	close((int)(intptr_t)dev->ctx);
}

/* ---- the tree ---- */

static void pattern(uint8_t *buf, size_t n, uint64_t off, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (off + i) * 2654435761u + seed;
		buf[i] = (uint8_t)(x >> 13);
	}
}

static void write_at(int fd, uint64_t off, size_t n, unsigned seed)
{
	uint8_t *buf = malloc(n);

	pattern(buf, n, off, seed);
	if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
		abort();
	free(buf);
}

static void make_file(const char *name, size_t size, unsigned seed)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tree, name);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		abort();
	if (size)
		write_at(fd, 0, size, seed);
	close(fd);
}

static void make_dir(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tree, name);
	if (mkdir(path, 0755))
		abort();
}

/* Data at `count` places `gap` apart (holes between), size at the end. */
static void make_sparse(const char *name, unsigned count, uint64_t gap,
			uint64_t size)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tree, name);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	for (unsigned i = 0; i < count; i++)
		write_at(fd, i * gap, 5000, i);
	write_at(fd, size - 3000, 3000, 99);
	if (ftruncate(fd, (off_t)size))
		abort();
	close(fd);
}

static void set_xattr(const char *name, const char *key, size_t len)
{
	char path[512], *v = malloc(len);

	snprintf(path, sizeof(path), "%s/%s", tree, name);
	pattern((uint8_t *)v, len, 0, (unsigned)len);
	if (lsetxattr(path, key, v, len, 0))
		abort();
	free(v);
}

static void make_links(void)
{
	char path[512], target[200];

	snprintf(path, sizeof(path), "%s/short-link", tree);
	if (symlink("files/f4096", path))
		abort();
	memset(target, 'x', 150);
	strcpy(target + 150, "/long/target");
	snprintf(path, sizeof(path), "%s/dir/long-link", tree);
	if (symlink(target, path))
		abort();
	snprintf(path, sizeof(path), "%s/dir/up-link", tree);
	if (symlink("../files", path))
		abort();
	snprintf(path, sizeof(path), "%s/loop-a", tree);
	if (symlink("loop-b", path))
		abort();
	snprintf(path, sizeof(path), "%s/loop-b", tree);
	if (symlink("/loop-a", path))
		abort();
	snprintf(target, sizeof(target), "%s/files/f1", tree);
	snprintf(path, sizeof(path), "%s/dir/hard-f1", tree);
	if (link(target, path))
		abort();
}

static void make_tree(void)
{
	static const size_t sizes[] = {0,    1,	    59,	    60,	  61,
				       1023, 1024,  1025,   4095, 4096,
				       4097, 65536, 1048579};
	char name[512];

	make_dir("files");
	make_dir("dir");
	make_dir("dir/sub");
	make_dir("dir/sub/deeper");
	make_dir("many");
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(name, sizeof(name), "files/f%zu", sizes[i]);
		make_file(name, sizes[i], (unsigned)i);
	}
	make_file("dir/sub/deeper/leaf", 777, 9);
	/* a hole at the end (mke2fs -O inline_data cuts it: not there) */
	make_file("files/tail-hole", 5000, 3);
	snprintf(name, sizeof(name), "%s/files/tail-hole", tree);
	if (truncate(name, 100000))
		abort();
	/* 12 extents: an extent tree of depth 1 */
	make_sparse("files/holes", 12, 3 * 65536, 12 * 3 * 65536 + 123);
	/* past 4 GiB: 64-bit sizes and block numbers beyond 2^20 */
	make_sparse("files/huge", 3, 2300ull << 20, 5ull << 30);
	for (int i = 0; i < 400; i++) {
		snprintf(name, sizeof(name), "many/entry-with-a-long-name-%04d",
			 i);
		make_file(name, (size_t)(i % 7) * 13, (unsigned)i);
	}
	make_links();
	set_xattr("files/f1", "user.small", 10);
	set_xattr("files/f1", "user.another", 40);
	set_xattr("files/f4096", "user.big", 700);
	set_xattr("dir", "user.on-a-dir", 5);
	set_xattr("dir/sub", "trusted.t", 7);
}

/* ---- making images ---- */

static int run(const char *cmd)
{
	char full[1024];
	int st;

	snprintf(full, sizeof(full),
		 "PATH=$PATH:/usr/sbin:/sbin; ( %s ) >>%s/log 2>&1", cmd, work);
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool mkimage(const char *img, const char *opts, const char *size)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -f %s && mke2fs -F -q %s -d %s %s %s",
		 img, opts, tree, img, size);
	return run(cmd) == 0;
}

/* ---- comparing ---- */

struct cmp {
	bool no_tail_hole; /* the image lacks files/tail-hole */
	struct ext4_fs *fs;
	int files, errors;
	const char *variant;
};

static void mismatch(struct cmp *c, const char *path, const char *what,
		     long long want, long long got)
{
	if (c->errors++ < 8)
		CHECK(!printf("%s: %s: %s: expected %lld, got %lld\n",
			      c->variant, path, what, want, got));
}

static void cmp_range(struct cmp *c, struct ext4_inode *ip, int fd,
		      const char *path, uint64_t off, size_t len)
{
	uint8_t *a = malloc(len), *b = malloc(len);
	long n = ext4_read(c->fs, ip, off, b, len);
	ssize_t m = pread(fd, a, len, (off_t)off);

	if (n != m)
		mismatch(c, path, "read length", m, n);
	else if (memcmp(a, b, (size_t)n))
		mismatch(c, path, "bytes differ at offset", (long long)off, -1);
	free(a);
	free(b);
}

/* Every byte of small files, in odd pieces; data and hole edges of big. */
static void cmp_data(struct cmp *c, struct ext4_inode *ip, const char *host,
		     const char *path, uint64_t size)
{
	int fd = open(host, O_RDONLY);
	off_t d = 0, h;

	if (size <= (4u << 20)) {
		for (uint64_t off = 0; off <= size; off += 7001)
			cmp_range(c, ip, fd, path, off, 7001);
		cmp_range(c, ip, fd, path, 0, (size_t)size + 10);
	} else {
		while ((d = lseek(fd, d, SEEK_DATA)) >= 0) {
			h = lseek(fd, d, SEEK_HOLE);
			cmp_range(c, ip, fd, path, d ? (uint64_t)d - 100 : 0,
				  (size_t)(h - d) + 200);
			d = h;
		}
		cmp_range(c, ip, fd, path, size - 5000, 6000);
	}
	close(fd);
}

static void cmp_xattrs(struct cmp *c, struct ext4_inode *ip, const char *host,
		       const char *path)
{
	char want[4096], got[4096], v1[4096], v2[4096];
	ssize_t n = llistxattr(host, want, sizeof(want));
	long m = ext4_listxattr(c->fs, ip, got, sizeof(got));

	if (n < 0)
		n = 0;
	if (m != n || memcmp(want, got, (size_t)n)) {
		mismatch(c, path, "xattr list length", n, m);
		return;
	}
	for (char *k = want; k < want + n; k += strlen(k) + 1) {
		ssize_t a = lgetxattr(host, k, v1, sizeof(v1));
		long b = ext4_getxattr(c->fs, ip, k, v2, sizeof(v2));

		if (a != b || memcmp(v1, v2, (size_t)a))
			mismatch(c, path, k, a, b);
	}
	if (ext4_getxattr(c->fs, ip, "user.absent", v2, 10) != -ENODATA)
		mismatch(c, path, "absent xattr", -ENODATA, 0);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted, joined by '/'. */
static void host_names(const char *host, char *out, size_t size)
{
	DIR *d = opendir(host);
	struct dirent *e;
	char *names[1024];
	int n = 0;

	while ((e = readdir(d)) && n < 1024)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(char *), name_cmp);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		strncat(out, names[i], size - strlen(out) - 2);
		strcat(out, "/");
		free(names[i]);
	}
}

static void ext4_names(struct cmp *c, struct ext4_inode *ip, bool root,
		       char *out, size_t size)
{
	struct ext4_dirent d;
	char *names[1024];
	uint64_t pos = 0;
	int n = 0, r;

	while ((r = ext4_readdir(c->fs, ip, &pos, &d)) == 1 && n < 1024)
		if (!root || strcmp(d.name, "lost+found"))
			names[n++] = strdup(d.name);
	if (r < 0)
		mismatch(c, "readdir", ext4_last_error(c->fs), 0, r);
	qsort(names, (size_t)n, sizeof(char *), name_cmp);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		strncat(out, names[i], size - strlen(out) - 2);
		strcat(out, "/");
		free(names[i]);
	}
}

static void cmp_dir(struct cmp *c, struct ext4_inode *ip, const char *host,
		    const char *path)
{
	static char a[65536], b[65536];

	host_names(host, a, sizeof(a));
	ext4_names(c, ip, !strcmp(path, "/"), b, sizeof(b));
	if (strcmp(a, b))
		mismatch(c, path, "directory names differ", 0, 1);
}

static void cmp_stat(struct cmp *c, struct ext4_inode *ip,
		     const struct stat *st, const char *path)
{
	struct ext4_stat es;

	ext4_stat(ip, &es);
	if (es.mode != st->st_mode)
		mismatch(c, path, "mode", st->st_mode, es.mode);
	if (!S_ISDIR(st->st_mode) && es.size != (uint64_t)st->st_size)
		mismatch(c, path, "size", st->st_size, (long long)es.size);
	if (!S_ISDIR(st->st_mode) && es.nlink != st->st_nlink)
		mismatch(c, path, "nlink", (long long)st->st_nlink, es.nlink);
	if (es.uid != st->st_uid || es.gid != st->st_gid)
		mismatch(c, path, "owner", st->st_uid, es.uid);
	/* mke2fs -d copies seconds only, and makes the root anew */
	if (strcmp(path, "/") && es.mtime.sec != st->st_mtim.tv_sec)
		mismatch(c, path, "mtime", st->st_mtim.tv_sec, es.mtime.sec);
}

static void cmp_link(struct cmp *c, struct ext4_inode *ip, const char *host,
		     const char *path)
{
	char a[512], b[512];
	ssize_t n = readlink(host, a, sizeof(a));
	long m = ext4_readlink(c->fs, ip, b, sizeof(b));

	if (n != m || memcmp(a, b, (size_t)n))
		mismatch(c, path, "link target length", n, m);
}

static void cmp_path(struct cmp *c, const char *rel);

static void cmp_children(struct cmp *c, const char *host, const char *rel)
{
	DIR *d = opendir(host);
	struct dirent *e;
	char sub[1024];

	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", strcmp(rel, "/") ? rel : "",
			 e->d_name);
		cmp_path(c, sub);
	}
	closedir(d);
}

static void cmp_path(struct cmp *c, const char *rel)
{
	char host[1024];
	struct ext4_inode *ip;
	struct stat st;
	uint32_t ino;
	int r;

	if (c->no_tail_hole && !strcmp(rel, "/files/tail-hole"))
		return;
	snprintf(host, sizeof(host), "%s%s", tree, rel);
	if (lstat(host, &st))
		abort();
	c->files++;
	if ((r = ext4_namei(c->fs, rel, false, &ino)) ||
	    (r = ext4_iget(c->fs, ino, &ip))) {
		mismatch(c, rel, ext4_last_error(c->fs), 0, r);
		return;
	}
	cmp_stat(c, ip, &st, rel);
	cmp_xattrs(c, ip, host, rel);
	if (S_ISREG(st.st_mode))
		cmp_data(c, ip, host, rel, (uint64_t)st.st_size);
	else if (S_ISLNK(st.st_mode))
		cmp_link(c, ip, host, rel);
	else if (S_ISDIR(st.st_mode))
		cmp_dir(c, ip, host, rel);
	ext4_iput(ip);
	if (S_ISDIR(st.st_mode))
		cmp_children(c, host, rel);
}

/* Lookups through symlinks, "..", hard links; errors as Linux's. */
static void cmp_lookups(struct cmp *c)
{
	uint32_t a, b;

	CHECK_EQ(ext4_namei(c->fs, "/short-link", true, &a), 0);
	CHECK_EQ(ext4_namei(c->fs, "/files/f4096", false, &b), 0);
	CHECK_EQ(a, b);
	CHECK_EQ(ext4_namei(c->fs, "dir/up-link/../dir/sub/./deeper/leaf",
			    false, &a),
		 0);
	CHECK_EQ(ext4_namei(c->fs, "/files/f1", false, &a), 0);
	CHECK_EQ(ext4_namei(c->fs, "/dir/hard-f1", false, &b), 0);
	CHECK_EQ(a, b);
	CHECK_EQ(ext4_namei(c->fs, "/files/nope", false, &a), -ENOENT);
	CHECK_EQ(ext4_namei(c->fs, "/files/f1/x", false, &a), -ENOTDIR);
	CHECK_EQ(ext4_namei(c->fs, "/dir/long-link", true, &a), -ENOENT);
	CHECK_EQ(ext4_namei(c->fs, "/loop-a", true, &a), -ELOOP);
	CHECK_EQ(ext4_namei(c->fs, "/loop-a", false, &a), 0);
}

static void check_image(const char *variant, const char *opts, const char *size,
			bool htree)
{
	char img[512], cmd[1024];
	struct ext4_dev dev;
	struct cmp c = {.variant = variant,
			.no_tail_hole = strstr(opts, "inline_data") != NULL};
	int r;

	snprintf(img, sizeof(img), "%s/%s.img", work, variant);
	if (!CHECK(mkimage(img, opts, size)))
		return;
	if (htree) { /* index the big directories */
		snprintf(cmd, sizeof(cmd), "e2fsck -fyD %s", img);
		r = run(cmd);
		CHECK(r == 0 || r == 1);
	}
	if (!CHECK(!dev_open(img, &dev)))
		return;
	r = ext4_mount(&dev, EXT4_MOUNT_RDONLY, &c.fs);
	if (!CHECK_EQ(r, 0)) {
		printf("    %s: %s\n", variant, c.fs ? "" : "mount failed");
		dev_close(&dev);
		return;
	}
	cmp_path(&c, "/");
	cmp_lookups(&c);
	CHECK_EQ(c.errors, 0);
	CHECK(c.files > 400);
	if (htree) {
		struct ext4_inode *ip;
		uint32_t ino;

		CHECK_EQ(ext4_namei(c.fs, "/many", false, &ino), 0);
		CHECK_EQ(ext4_iget(c.fs, ino, &ip), 0);
		CHECK(ip->flags & EXT4_INDEX_FL);
		ext4_iput(ip);
	}
	ext4_unmount(c.fs);
	dev_close(&dev);
}

#define VARIANT(fn, name, opts, size, htree)                                   \
	static void fn(void)                                                   \
	{                                                                      \
		check_image(name, opts, size, htree);                          \
	}

VARIANT(test_ext4_default, "default", "-t ext4 -b 4096", "64M", false)
VARIANT(test_ext4_no_csum, "no-csum", "-t ext4 -b 4096 -O ^metadata_csum",
	"64M", false)
VARIANT(test_ext4_32bit, "32bit", "-t ext4 -b 4096 -O ^64bit", "64M", false)
VARIANT(test_ext4_1k_blocks, "1k", "-t ext4 -b 1024", "64M", false)
VARIANT(test_ext4_few_inodes, "few-inodes", "-t ext4 -N 600 -b 1024 -g 1024",
	"32M", false)
VARIANT(test_ext4_htree, "htree", "-t ext4 -b 1024", "64M", true)
VARIANT(test_ext4_inline_data, "inline", "-t ext4 -b 4096 -O inline_data",
	"64M", false)
VARIANT(test_ext4_meta_bg, "meta-bg", "-t ext4 -O meta_bg,^resize_inode", "64M",
	false)
VARIANT(test_ext3_block_map, "ext3", "-t ext3", "64M", false)
VARIANT(test_ext2_1k_small_inodes, "ext2", "-t ext2 -b 1024 -I 128", "64M",
	false)
VARIANT(test_ext4_no_extent, "no-extent", "-t ext4 -O ^extent,^64bit", "64M",
	false)

/* ---- that the images hold what the variants are about ---- */

static struct ext4_fs *open_img(const char *variant, struct ext4_dev *dev)
{
	char img[512];
	struct ext4_fs *fs = NULL;

	snprintf(img, sizeof(img), "%s/%s.img", work, variant);
	if (dev_open(img, dev) || ext4_mount(dev, EXT4_MOUNT_RDONLY, &fs))
		return NULL;
	return fs;
}

/* The flags and extent depth of path in variant's image. */
static void inode_shape(const char *variant, const char *path, uint32_t *flags,
			int *depth, uint64_t *size)
{
	struct ext4_dev dev;
	struct ext4_fs *fs = open_img(variant, &dev);
	struct ext4_inode *ip;
	uint32_t ino;

	*flags = 0, *depth = -1, *size = 0;
	if (!CHECK(fs))
		return;
	if (CHECK_EQ(ext4_namei(fs, path, false, &ino), 0) &&
	    CHECK_EQ(ext4_iget(fs, ino, &ip), 0)) {
		*flags = ip->flags;
		*size = ip->size;
		if (ip->flags & EXT4_EXTENTS_FL)
			*depth = get16(ip->raw + EXT4_I_BLOCK, 6);
		ext4_iput(ip);
	}
	ext4_unmount(fs);
	dev_close(&dev);
}

static void test_ext4_images_have_the_features(void)
{
	uint32_t flags;
	uint64_t size;
	int depth;

	inode_shape("default", "/files/holes", &flags, &depth, &size);
	CHECK(depth >= 1); /* an extent tree with index blocks */
	inode_shape("default", "/files/huge", &flags, &depth, &size);
	CHECK(size > (4ull << 30));
	inode_shape("inline", "/files/f59", &flags, &depth, &size);
	CHECK(flags & EXT4_INLINE_DATA_FL);
	inode_shape("inline", "/dir/sub", &flags, &depth, &size);
	CHECK(flags & EXT4_INLINE_DATA_FL);
	inode_shape("inline", "/files/f61", &flags, &depth, &size);
	CHECK(flags & EXT4_INLINE_DATA_FL); /* past i_block: system.data */
	inode_shape("ext3", "/files/huge", &flags, &depth, &size);
	CHECK(!(flags & EXT4_EXTENTS_FL)); /* the block map, triple */
	inode_shape("ext2", "/dir/long-link", &flags, &depth, &size);
	CHECK(!(flags & EXT4_EXTENTS_FL) && size > 60); /* a slow link */
}

/* Times past 2038 and nanoseconds, set by debugfs in the extra words. */
static void test_ext4_nsec_and_epoch_times(void)
{
	char cmd[1024];
	struct ext4_dev dev;
	struct ext4_fs *fs;
	struct ext4_inode *ip;
	struct ext4_stat st;
	uint32_t ino;

	snprintf(cmd, sizeof(cmd),
		 "cp %s/default.img %s/times.img && debugfs -w -R "
		 "'sif /files/f1 mtime_extra 0x1d6f3455' %s/times.img && "
		 "debugfs -w -R 'sif /files/f1 crtime_extra 0x4' %s/times.img",
		 work, work, work, work);
	CHECK_EQ(run(cmd), 0);
	if (!CHECK(fs = open_img("times", &dev)))
		return;
	if (CHECK_EQ(ext4_namei(fs, "/files/f1", false, &ino), 0) &&
	    CHECK_EQ(ext4_iget(fs, ino, &ip), 0)) {
		struct ext4_stat plain;

		ext4_stat(ip, &st);
		CHECK_EQ(st.mtime.nsec, 0x1d6f3455u >> 2);
		CHECK_EQ(st.crtime.nsec, 1);
		plain = st;
		CHECK_EQ(st.mtime.sec -
			     (int64_t)(int32_t)get32(ip->raw, EXT4_I_MTIME),
			 1ll << 32);
		CHECK_EQ(plain.ctime.nsec, 0);
		ext4_iput(ip);
	}
	ext4_unmount(fs);
	dev_close(&dev);
}

/* A value too big for a block goes in its own inode (ea_inode). */
static void test_ext4_ea_inode_value(void)
{
	char cmd[1024], path[512];
	static char want[70000], got[70000];
	struct ext4_dev dev;
	struct ext4_fs *fs;
	struct ext4_inode *ip;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/value", work);
	f = fopen(path, "w");
	pattern((uint8_t *)want, 4096, 0, 77);
	fwrite(want, 1, 4096, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "rm -f %s/ea.img && mke2fs -F -q -t ext4 -b 4096 -O ea_inode "
		 "%s/ea.img 16M && debugfs -w -R 'ea_set -f %s / user.huge' "
		 "%s/ea.img",
		 work, work, path, work);
	CHECK_EQ(run(cmd), 0);
	if (!CHECK(fs = open_img("ea", &dev)))
		return;
	if (CHECK_EQ(ext4_iget(fs, EXT4_ROOT_INO, &ip), 0)) {
		CHECK_EQ(ext4_inode_file_acl(ip), 0); /* not in a block */
		n = ext4_getxattr(fs, ip, "user.huge", got, sizeof(got));
		CHECK_EQ(n, 4096);
		CHECK(!memcmp(want, got, 4096));
		CHECK_EQ(ext4_getxattr(fs, ip, "user.huge", got, 100), -ERANGE);
		CHECK_EQ(ext4_getxattr(fs, ip, "user.huge", NULL, 0), 4096);
		ext4_iput(ip);
	}
	ext4_unmount(fs);
	dev_close(&dev);
}

/* ---- writing, checked by e2fsck -fn and debugfs ---- */

static char last_log[256];

static void log_msg(struct ext4_dev *dev, const char *msg)
{
	(void)dev;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

/* A crash in the middle: with cut_flushes >= 0, every write after that
 * many flushes is dropped (and said to succeed), as a VM killed there. */
static int cut_flushes = -1, flushes_seen;

static int file_write(struct ext4_dev *dev, uint64_t off, const void *buf,
		      size_t len)
{
	int fd = (int)(intptr_t)dev->ctx;

	if (cut_flushes >= 0 && flushes_seen >= cut_flushes)
		return 0;
	return pwrite(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static int file_flush(struct ext4_dev *dev)
{
	flushes_seen++;
	return fsync((int)(intptr_t)dev->ctx) ? -EIO : 0;
}

static int64_t clock_now(struct ext4_dev *dev)
{
	(void)dev;
	return 1700000000;
}

static struct ext4_fs *open_rw(const char *img, struct ext4_dev *dev)
{
	int fd = open(img, O_RDWR);
	struct ext4_fs *fs = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	memset(dev, 0, sizeof(*dev));
	dev->read = file_read;
	dev->write = file_write;
	dev->flush = file_flush;
	dev->now = clock_now;
	dev->log = log_msg;
	dev->size = (uint64_t)st.st_size;
	dev->ctx = (void *)(intptr_t)fd;
	if (ext4_mount(dev, 0, &fs) || ext4_is_readonly(fs)) {
		printf("    mount rw: %s\n", last_log);
		return NULL;
	}
	return fs;
}

static struct ext4_inode *iget_path(struct ext4_fs *fs, const char *path)
{
	struct ext4_inode *ip = NULL;
	uint32_t ino;

	if (ext4_namei(fs, path, false, &ino) || ext4_iget(fs, ino, &ip))
		return NULL;
	return ip;
}

/* Creates `name` in dir and writes the pattern's [off, off + n) to it. */
static bool write_new(struct ext4_fs *fs, struct ext4_inode *dir,
		      const char *name, uint64_t off, size_t n, unsigned seed)
{
	struct ext4_inode *ip;
	uint8_t *buf = malloc(n);
	uint32_t ino;
	bool ok;

	pattern(buf, n, off, seed);
	ok = CHECK_EQ(ext4_create(fs, dir, name, strlen(name), S_IFREG | 0640,
				  1000, 100, &ino),
		      0) &&
	     CHECK_EQ(ext4_iget(fs, ino, &ip), 0);
	if (ok) {
		ok = CHECK_EQ(ext4_write(fs, ip, off, buf, n), (long)n);
		ext4_iput(ip);
	}
	free(buf);
	return ok;
}

/* debugfs's view of path equals the pattern [off, off + n) at off. */
static void check_debugfs_cat(const char *img, const char *path, uint64_t off,
			      size_t n, unsigned seed)
{
	char cmd[1024], out[512];
	uint8_t *want = malloc(n), *got = malloc(n);
	int fd;

	snprintf(out, sizeof(out), "%s/cat.out", work);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'dump %s %s' %s", path, out,
		 img);
	CHECK_EQ(run(cmd), 0);
	pattern(want, n, off, seed);
	fd = open(out, O_RDONLY);
	CHECK_EQ(pread(fd, got, n, (off_t)off), (long)n);
	CHECK(!memcmp(want, got, n));
	close(fd);
	free(want);
	free(got);
}

/* debugfs's view of path has n zeros at off, and then the 10 digits. */
static void check_debugfs_zeros(const char *img, const char *path, uint64_t off,
				size_t n)
{
	char cmd[1024], out[512];
	uint8_t *got = malloc(n + 10), *zero = calloc(1, n);
	int fd;

	snprintf(out, sizeof(out), "%s/cat.out", work);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'dump %s %s' %s", path, out,
		 img);
	CHECK_EQ(run(cmd), 0);
	fd = open(out, O_RDONLY);
	CHECK_EQ(pread(fd, got, n + 10, (off_t)off), (long)n + 10);
	CHECK(!memcmp(got, zero, n));
	CHECK(!memcmp(got + n, "0123456789", 10));
	close(fd);
	free(got);
	free(zero);
}

/* Many extents: a block every other block, past one leaf's 340. */
static void write_fragmented(struct ext4_fs *fs, struct ext4_inode *dir)
{
	/* three full leaves' worth: four leaves under the root */
	uint32_t n = 3 * (fs->block_size - 12) / 12, ino;
	struct ext4_inode *ip;
	uint8_t buf[4096];

	if (!CHECK_EQ(
		ext4_create(fs, dir, "frag", 4, S_IFREG | 0600, 0, 0, &ino),
		0) ||
	    !CHECK_EQ(ext4_iget(fs, ino, &ip), 0))
		return;
	for (uint32_t b = 0; b < 2 * n; b += 2) {
		pattern(buf, fs->block_size, (uint64_t)b * fs->block_size, 5);
		if (!CHECK_EQ(ext4_write(fs, ip, (uint64_t)b * fs->block_size,
					 buf, fs->block_size),
			      fs->block_size))
			break;
	}
	CHECK_EQ(get16(ip->raw + EXT4_I_BLOCK, 6), 1); /* depth 1 */
	CHECK(get16(ip->raw + EXT4_I_BLOCK, 2) >= 2);  /* split leaves */
	ext4_iput(ip);
}

/* Shrinks file to 50001 bytes and writes 10 at 60000 (zeros between);
 * cuts frag to its first half (leaves freed); grows sparse to 20 MiB. */
static void truncate_some(struct ext4_fs *fs)
{
	struct ext4_inode *ip;
	uint64_t frag_half;

	if (CHECK(ip = iget_path(fs, "/new-dir/file"))) {
		CHECK_EQ(ext4_truncate(fs, ip, 50001), 0);
		CHECK_EQ(ext4_write(fs, ip, 60000, "0123456789", 10), 10);
		ext4_iput(ip);
	}
	if (CHECK(ip = iget_path(fs, "/new-dir/frag"))) {
		frag_half = ip->size / 2 + 100;
		CHECK_EQ(ext4_truncate(fs, ip, frag_half), 0);
		CHECK(ip->size == frag_half);
		ext4_iput(ip);
	}
	if (CHECK(ip = iget_path(fs, "/new-dir/sparse"))) {
		CHECK_EQ(ext4_truncate(fs, ip, 20 << 20), 0);
		ext4_iput(ip);
	}
	CHECK(ip = iget_path(fs, "/new-dir"));
	if (ip) {
		CHECK_EQ(ext4_truncate(fs, ip, 0), -EISDIR);
		ext4_iput(ip);
	}
}

/* ext4_rename from path to path (full paths under the root). */
static int rename_paths(struct ext4_fs *fs, const char *from, const char *to,
			unsigned flags)
{
	const char *of = strrchr(from, '/') + 1, *nf = strrchr(to, '/') + 1;
	char od[256], nd[256];
	struct ext4_inode *odir, *ndir, *ip, *victim;
	int err;

	snprintf(od, sizeof(od), "%.*s", (int)(of - from), from);
	snprintf(nd, sizeof(nd), "%.*s", (int)(nf - to), to);
	odir = iget_path(fs, od); /* one copy per inode, as the VFS keeps */
	ndir = strcmp(od, nd) ? iget_path(fs, nd) : odir;
	ip = iget_path(fs, from);
	victim = iget_path(fs, to);
	err = !odir || !ndir || !ip
		  ? -ENOENT
		  : ext4_rename(fs, odir, of, strlen(of), ip, ndir, nf,
				strlen(nf), victim, flags);
	if (ndir != odir)
		ext4_iput(ndir);
	ext4_iput(odir);
	ext4_iput(ip);
	ext4_iput(victim);
	return err;
}

static uint32_t ino_of(struct ext4_fs *fs, const char *path)
{
	uint32_t ino = 0;

	return ext4_namei(fs, path, false, &ino) ? 0 : ino;
}

static uint16_t links_of(struct ext4_fs *fs, const char *path)
{
	struct ext4_inode *ip = iget_path(fs, path);
	uint16_t n = ip ? ext4_inode_links(ip) : 0;

	ext4_iput(ip);
	return n;
}

/* link and rename: over files, directories across parents (".."),
 * RENAME_NOREPLACE and RENAME_EXCHANGE; e2fsck judges the counts. */
static void link_and_rename(struct ext4_fs *fs)
{
	struct ext4_inode *root = iget_path(fs, "/"), *ip;
	uint32_t ino, file = ino_of(fs, "/new-dir/file");

	if (!CHECK(root) || !CHECK(ip = iget_path(fs, "/new-dir/file")))
		return;
	CHECK_EQ(ext4_link(fs, root, "hard", 4, ip), 0);
	CHECK_EQ(ext4_link(fs, root, "hard", 4, ip), -EEXIST);
	ext4_iput(ip);
	CHECK_EQ(links_of(fs, "/new-dir/file"), 2);
	CHECK_EQ(ext4_create(fs, root, "a", 1, S_IFDIR | 0755, 0, 0, &ino), 0);
	CHECK_EQ(ext4_create(fs, root, "b", 1, S_IFDIR | 0755, 0, 0, &ino), 0);
	CHECK_EQ(ext4_create(fs, root, "c", 1, S_IFDIR | 0755, 0, 0, &ino), 0);
	CHECK_EQ(ext4_create(fs, root, "victim", 6, S_IFREG | 0644, 0, 0, &ino),
		 0);
	ext4_iput(root); /* the renames below take their own copies */
	CHECK_EQ(rename_paths(fs, "/hard", "/a/moved", 0), 0);
	CHECK_EQ(ino_of(fs, "/a/moved"), file);
	CHECK_EQ(rename_paths(fs, "/a/moved", "/victim", EXT4_RENAME_NOREPLACE),
		 -EEXIST);
	CHECK_EQ(rename_paths(fs, "/a/moved", "/victim", 0), 0);
	CHECK_EQ(ino_of(fs, "/victim"), file);
	CHECK_EQ(ino_of(fs, "/a/moved"), 0);
	CHECK_EQ(rename_paths(fs, "/a", "/b/a", 0), 0); /* ".." now b */
	CHECK_EQ(ino_of(fs, "/b/a/.."), ino_of(fs, "/b"));
	CHECK_EQ(links_of(fs, "/b"), 3);
	CHECK_EQ(rename_paths(fs, "/b/a", "/c", 0), 0); /* over an empty dir */
	CHECK_EQ(links_of(fs, "/b"), 2);
	CHECK_EQ(rename_paths(fs, "/c", "/new-dir", 0), -ENOTEMPTY);
	CHECK_EQ(rename_paths(fs, "/c", "/victim", 0), -ENOTDIR);
	CHECK_EQ(rename_paths(fs, "/victim", "/c", 0), -EISDIR);
	CHECK_EQ(rename_paths(fs, "/victim", "/b", EXT4_RENAME_EXCHANGE), 0);
	CHECK_EQ(ino_of(fs, "/b"), file);
	CHECK_EQ(rename_paths(fs, "/victim", "/new-dir/sub", 0), 0);
	CHECK_EQ(ino_of(fs, "/new-dir/sub/.."), ino_of(fs, "/new-dir"));
	CHECK_EQ(rename_paths(fs, "/new-dir/sub", "/b", EXT4_RENAME_EXCHANGE),
		 0);
	CHECK_EQ(ino_of(fs, "/new-dir/sub"), file);
	CHECK_EQ(ino_of(fs, "/b/.."), EXT4_ROOT_INO);
}

static void write_session(struct ext4_fs *fs)
{
	struct ext4_inode *root = iget_path(fs, "/"), *dir, *ip;
	uint32_t ino;

	if (!CHECK(root))
		return;
	CHECK_EQ(
	    ext4_create(fs, root, "new-dir", 7, S_IFDIR | 0755, 0, 0, &ino), 0);
	CHECK_EQ(
	    ext4_create(fs, root, "new-dir", 7, S_IFDIR | 0755, 0, 0, &ino),
	    -EEXIST);
	CHECK(dir = iget_path(fs, "/new-dir"));
	if (dir) {
		write_new(fs, dir, "file", 0, 100000, 1);
		write_new(fs, dir, "sparse", 10 << 20, 5000, 2);
		write_fragmented(fs, dir);
		for (int i = 0; i < 150; i++) { /* a second directory block */
			char name[64];

			snprintf(name, sizeof(name), "empty-file-%03d", i);
			CHECK_EQ(ext4_create(fs, dir, name, strlen(name),
					     S_IFREG | 0644, 0, 0, &ino),
				 0);
		}
		CHECK_EQ(ext4_unlink(fs, dir, "empty-file-007", 14), 0);
		CHECK_EQ(ext4_unlink(fs, dir, "empty-file-007", 14), -ENOENT);
		ext4_iput(dir);
	}
	truncate_some(fs);
	CHECK_EQ(ext4_symlink(fs, root, "fast", 4, "new-dir/file", 0, 0, &ino),
		 0);
	CHECK_EQ(ext4_create(fs, root, "gone", 4, S_IFDIR | 0700, 0, 0, &ino),
		 0);
	CHECK_EQ(ext4_rmdir(fs, root, "new-dir", 7), -ENOTEMPTY);
	CHECK_EQ(ext4_rmdir(fs, root, "gone", 4), 0);
	/* files of the tree: an xattr block freed, an append */
	CHECK_EQ(ext4_unlink(fs, root, "short-link", 10), 0);
	if ((dir = iget_path(fs, "/files"))) {
		CHECK_EQ(ext4_unlink(fs, dir, "f4096", 5), 0);
		CHECK_EQ(ext4_unlink(fs, dir, "holes", 5), 0);
		ext4_iput(dir);
	}
	if ((ip = iget_path(fs, "/files/f1025"))) {
		uint8_t buf[3000];

		pattern(buf, 3000, 1025, 7);
		CHECK_EQ(ext4_write(fs, ip, 1025, buf, 3000), 3000);
		ext4_iput(ip);
	}
	ext4_iput(root);
	link_and_rename(fs);
	CHECK_EQ(ext4_sync(fs), 0);
}

static void check_written(const char *variant, const char *opts)
{
	char img[512], cmd[1024];
	struct ext4_dev dev;
	struct ext4_fs *fs;
	int r;

	snprintf(img, sizeof(img), "%s/w-%s.img", work, variant);
	if (!CHECK(mkimage(img, opts, "64M")) ||
	    !CHECK(fs = open_rw(img, &dev)))
		return;
	write_session(fs);
	ext4_unmount(fs);
	dev_close(&dev);
	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s", img);
	r = run(cmd);
	if (!CHECK_EQ(r, 0)) {
		snprintf(cmd, sizeof(cmd), "tail -25 %s/log", work);
		if (system(cmd))
			return;
	}
	check_debugfs_cat(img, "/new-dir/file", 0, 50001, 1);
	check_debugfs_zeros(img, "/new-dir/file", 50001, 60000 - 50001);
	check_debugfs_cat(img, "/new-dir/sparse", 10 << 20, 5000, 2);
	check_debugfs_cat(img, "/files/f1025", 1025, 3000, 7);
	check_debugfs_cat(img, "/new-dir/frag", 0, 1024, 5);
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/cat.out", work);
		CHECK(!truncate(path, 0));
	}
}

static void test_ext4_write_4k(void)
{
	check_written("4k", "-t ext4 -b 4096");
}

static void test_ext4_write_1k_32bit_nocsum(void)
{
	check_written("1k", "-t ext4 -b 1024 -O ^64bit,^metadata_csum");
}

static void test_ext4_readonly_refuses_writes(void)
{
	struct ext4_dev dev;
	struct ext4_fs *fs = open_img("32bit", &dev);
	struct ext4_inode *root;
	uint32_t ino;

	if (!CHECK(fs))
		return;
	if (CHECK(root = iget_path(fs, "/"))) {
		CHECK_EQ(
		    ext4_create(fs, root, "x", 1, S_IFREG | 0644, 0, 0, &ino),
		    -EROFS);
		ext4_iput(root);
	}
	ext4_unmount(fs);
	dev_close(&dev);
}

/* ---- broken images ---- */

/* Byte offsets in an image, found through a mount of it. */
struct where {
	uint32_t ino;
	uint64_t inode_off;  /* the inode in its table */
	uint64_t block0_off; /* the file's logical block 0 */
	uint32_t block_size;
};

static bool locate(const char *variant, const char *path, struct where *w)
{
	struct ext4_dev dev;
	struct ext4_fs *fs = open_img(variant, &dev);
	struct ext4_inode *ip;
	struct ext4_map m;
	uint32_t g, i;
	bool ok = false;

	if (!fs)
		return false;
	if (!ext4_namei(fs, path, false, &w->ino) &&
	    !ext4_iget(fs, w->ino, &ip)) {
		g = (w->ino - 1) / fs->inodes_per_group;
		i = (w->ino - 1) % fs->inodes_per_group;
		w->block_size = fs->block_size;
		w->inode_off = (uint64_t)get32(ext4_group_desc(fs, g),
					       EXT4_GD_INODE_TABLE_LO) *
				   fs->block_size +
			       (uint64_t)i * fs->inode_size;
		ok = !ext4_map_blocks(fs, ip, 0, &m);
		w->block0_off = m.pblk * fs->block_size;
		ext4_iput(ip);
	}
	ext4_unmount(fs);
	dev_close(&dev);
	return ok;
}

static void poke(const char *variant, uint64_t off, const void *p, size_t n)
{
	char img[512];
	int fd;

	snprintf(img, sizeof(img), "%s/%s.img", work, variant);
	fd = open(img, O_RDWR);
	if (fd < 0 || pwrite(fd, p, n, (off_t)off) != (ssize_t)n)
		abort();
	close(fd);
}

/* Reads path in a fresh no-checksum image after fn broke it; expects
 * err and a message that contains `want` (%u: the inode). */
static void expect_broken(const char *at, const char *path,
			  void (*fn)(const struct where *), long err,
			  const char *want)
{
	struct ext4_dev dev;
	struct ext4_fs *fs;
	struct ext4_inode *ip;
	struct where w;
	char buf[8192], msg[128];
	uint32_t ino;
	long r;

	snprintf(buf, sizeof(buf), "%s/hostile.img", work);
	if (!CHECK(mkimage(buf, "-t ext4 -b 4096 -O ^metadata_csum", "64M")))
		return;
	if (!CHECK(locate("hostile", at, &w)))
		return;
	fn(&w);
	if (!CHECK(fs = open_img("hostile", &dev)))
		return;
	dev.log = log_msg;
	last_log[0] = 0;
	r = ext4_namei(fs, path, false, &ino);
	if (!r && !(r = ext4_iget(fs, ino, &ip))) {
		r = ext4_read(fs, ip, 0, buf, sizeof(buf));
		ext4_iput(ip);
	}
	CHECK_EQ(r, err);
	snprintf(msg, sizeof(msg), want, w.ino);
	CHECK_STR(strstr(last_log, msg) ? msg : last_log, msg);
	ext4_unmount(fs);
	dev_close(&dev);
}

/* The index's child claims to be an index too (a loop, at any depth). */
static void break_extent_depth(const struct where *w)
{
	uint8_t raw[64], one[2] = {1, 0};
	char img[512];
	uint64_t child;
	int fd;

	snprintf(img, sizeof(img), "%s/hostile.img", work);
	fd = open(img, O_RDONLY);
	if (pread(fd, raw, 64, (off_t)(w->inode_off + EXT4_I_BLOCK)) != 64)
		abort();
	close(fd);
	child = get32(raw, 12 + 4) | (uint64_t)get16(raw, 12 + 8) << 32;
	poke("hostile", child * w->block_size + 6, one, 2);
}

static void test_ext4_extent_loop_is_euclean(void)
{
	expect_broken("/files/holes", "/files/holes", break_extent_depth,
		      -EUCLEAN, "inode %u: bad extent header in block");
}

/* An extent that points past the end of the disk. */
static void break_extent_start(const struct where *w)
{
	uint8_t big[4] = {0xFF, 0xFF, 0xFF, 0x0F};

	poke("hostile", w->inode_off + EXT4_I_BLOCK + 12 + 8, big, 4);
}

static void test_ext4_extent_out_of_range_is_euclean(void)
{
	expect_broken("/files/f4096", "/files/f4096", break_extent_start,
		      -EUCLEAN, "inode %u: bad extent 0");
}

/* A directory entry whose record length is not a multiple of 4. */
static void break_rec_len(const struct where *w)
{
	uint8_t odd[2] = {13, 0};

	poke("hostile", w->block0_off + 4, odd, 2);
}

static void test_ext4_bad_dirent_is_euclean(void)
{
	expect_broken("/dir/sub/deeper", "/dir/sub/deeper/leaf", break_rec_len,
		      -EUCLEAN, "directory inode %u at 0: bad record length");
}

static void patch_sb(const char *img, uint32_t off, uint32_t or_bits)
{
	int fd = open(img, O_RDWR);
	uint8_t sb[1024];

	if (pread(fd, sb, 1024, 1024) != 1024)
		abort();
	put32(sb + off, get32(sb, off) | or_bits);
	put32(sb + EXT4_SB_CHECKSUM, crc32c(~0u, sb, EXT4_SB_CHECKSUM));
	if (pwrite(fd, sb, 1024, 1024) != 1024)
		abort();
	close(fd);
}

static void test_ext4_refuses_unknown_incompat(void)
{
	char img[512];
	struct ext4_dev dev;
	struct ext4_fs *fs;

	snprintf(img, sizeof(img), "%s/default.img", work);
	patch_sb(img, EXT4_SB_FEATURE_INCOMPAT, EXT4_INCOMPAT_CASEFOLD);
	dev_open(img, &dev);
	dev.log = log_msg;
	CHECK_EQ(ext4_mount(&dev, 0, &fs), -EINVAL);
	CHECK(strstr(last_log, "unsupported feature casefold"));
	dev_close(&dev);
}

static void test_ext4_unknown_ro_compat_mounts_readonly(void)
{
	char img[512];
	struct ext4_dev dev;
	struct ext4_fs *fs;

	snprintf(img, sizeof(img), "%s/no-csum.img", work);
	patch_sb(img, EXT4_SB_FEATURE_RO_COMPAT, 0x100000);
	dev_open(img, &dev);
	dev.log = log_msg;
	if (CHECK_EQ(ext4_mount(&dev, 0, &fs), 0)) {
		CHECK(ext4_is_readonly(fs));
		CHECK_STR(last_log, "ext4: unknown ro_compat features "
				    "0x100000: mounted read-only");
		ext4_unmount(fs);
	}
	dev_close(&dev);
}

/* Flips a byte of file f1's inode: EBADMSG naming the inode. */
static void test_ext4_bad_inode_checksum(void)
{
	char img[512];
	struct ext4_dev dev;
	struct ext4_fs *fs;
	struct ext4_inode *ip;
	uint32_t ino, ipg, group, index;
	uint64_t table, off;
	uint8_t b;
	int fd;

	snprintf(img, sizeof(img), "%s/32bit.img", work);
	dev_open(img, &dev);
	if (!CHECK_EQ(ext4_mount(&dev, EXT4_MOUNT_RDONLY, &fs), 0))
		return;
	CHECK_EQ(ext4_namei(fs, "/files/f61", false, &ino), 0);
	ipg = fs->inodes_per_group;
	group = (ino - 1) / ipg;
	index = (ino - 1) % ipg;
	table = get32(ext4_group_desc(fs, group), EXT4_GD_INODE_TABLE_LO);
	off = table * fs->block_size + (uint64_t)index * fs->inode_size;
	ext4_unmount(fs);
	dev_close(&dev);
	fd = open(img, O_RDWR);
	pread(fd, &b, 1, (off_t)off + 0x10); /* mtime */
	b ^= 1;
	pwrite(fd, &b, 1, (off_t)off + 0x10);
	close(fd);
	dev_open(img, &dev);
	dev.log = log_msg;
	CHECK_EQ(ext4_mount(&dev, EXT4_MOUNT_RDONLY, &fs), 0);
	CHECK_EQ(ext4_iget(fs, ino, &ip), -EBADMSG);
	{
		char want[64];

		snprintf(want, sizeof(want), "inode %u checksum", ino);
		CHECK_STR(strstr(last_log, want) ? want : last_log, want);
	}
	ext4_unmount(fs);
	dev_close(&dev);
}

/* ---- the journal ---- */

/* An image whose journal holds three transactions, made by debugfs:
 * blocks 5000 and 5001 (the second starting with jbd2's magic, so
 * escaped), then a revoke of 5001, then 5002 again. jopen is "jo -c"
 * (checksums v3) or "jo". The host's e2fsck -fy replays a copy into
 * ref.img, the judge of our replay. */
static bool journal_image(const char *opts, const char *jopen)
{
	char cmd[1500];
	uint8_t buf[3 * 4096];
	int fd;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + i / 4096);
	memcpy(buf + 4096, "\xc0\x3b\x39\x98", 4);
	snprintf(cmd, sizeof(cmd), "%s/jdata", work);
	fd = open(cmd, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return false;
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "rm -f %s/j.img && mke2fs -F -q -t ext4 -b 4096 %s %s/j.img "
		 "32M && printf '%s\\njw -b 5000,5001,5002 %s/jdata\\njc\\n"
		 "jo\\njw -r 5001\\njc\\njo\\njw -b 5002 %s/jdata\\njc\\n' | "
		 "debugfs -w -f - %s/j.img && cp %s/j.img %s/ref.img && "
		 "{ e2fsck -fy %s/ref.img; [ $? -le 1 ]; }",
		 work, opts, work, jopen, work, work, work, work, work, work);
	return run(cmd) == 0;
}

static bool block_eq(const char *a, const char *b, uint64_t blk)
{
	char pa[512], pb[512];
	uint8_t x[4096], y[4096];
	int fa, fb;
	bool eq;

	snprintf(pa, sizeof(pa), "%s/%s", work, a);
	snprintf(pb, sizeof(pb), "%s/%s", work, b);
	fa = open(pa, O_RDONLY);
	fb = open(pb, O_RDONLY);
	eq = pread(fa, x, 4096, (off_t)blk * 4096) == 4096 &&
	     pread(fb, y, 4096, (off_t)blk * 4096) == 4096 &&
	     !memcmp(x, y, 4096);
	close(fa);
	close(fb);
	return eq;
}

static int mount_journal_image_at(const char *img)
{
	struct ext4_dev dev;
	struct ext4_fs *fs;
	int err;

	last_log[0] = 0;
	if (!(fs = open_rw(img, &dev)))
		return -1;
	err = ext4_is_readonly(fs) ? -EROFS : 0;
	ext4_unmount(fs);
	dev_close(&dev);
	return err;
}

static int mount_journal_image(void)
{
	char img[512];

	snprintf(img, sizeof(img), "%s/j.img", work);
	return mount_journal_image_at(img);
}

static void check_replay(const char *opts, const char *jopen)
{
	char cmd[600];

	if (!CHECK(journal_image(opts, jopen)))
		return;
	CHECK(!block_eq("j.img", "ref.img", 5000)); /* still in the log */
	CHECK_EQ(mount_journal_image(), 0);
	for (uint64_t b = 5000; b <= 5002; b++)
		CHECK(block_eq("j.img", "ref.img", b));
	snprintf(cmd, sizeof(cmd),
		 "e2fsck -fn %s/j.img && dumpe2fs -h %s/j.img | "
		 "grep -q 'Journal start: *0$' && ! dumpe2fs -h %s/j.img | "
		 "grep needs_recovery",
		 work, work, work);
	CHECK_EQ(run(cmd), 0);
}

/* A session whose last commit is cut after its cut-th flush: "before"
 * (committed whole) is unlinked, "after" and directory "newdir" made. */
static bool crash_session(const char *img, int cut)
{
	struct ext4_dev dev;
	struct ext4_fs *fs = open_rw(img, &dev);
	struct ext4_inode *root;
	uint32_t ino;
	bool ok;

	if (!CHECK(fs) || !CHECK(root = iget_path(fs, "/")))
		return false;
	ok = write_new(fs, root, "before", 0, 5000, 7) &&
	     CHECK_EQ(ext4_sync(fs), 0) &&
	     write_new(fs, root, "after", 4096, 20000, 9) &&
	     CHECK_EQ(ext4_create(fs, root, "newdir", 6, S_IFDIR | 0755, 0, 0,
				  &ino),
		      0) &&
	     CHECK_EQ(ext4_unlink(fs, root, "before", 6), 0);
	flushes_seen = 0;
	cut_flushes = cut;
	ext4_sync(fs); /* as far as the cut lets it */
	ext4_iput(root);
	ext4_unmount(fs);
	cut_flushes = -1;
	dev_close(&dev);
	return ok;
}

/* Whether debugfs lists name in the root of img. */
static bool has_name(const char *img, const char *name)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "debugfs -R 'ls -l /' %s | grep -qw %s",
		 img, name);
	return run(cmd) == 0;
}

/* The image after the replay holds the whole last transaction (cut
 * after its commit block: committed) or none of it. */
static void check_atomic(const char *img, bool committed)
{
	CHECK_EQ(has_name(img, "after"), committed);
	CHECK_EQ(has_name(img, "newdir"), committed);
	CHECK_EQ(has_name(img, "before"), !committed);
	if (committed)
		check_debugfs_cat(img, "/after", 4096, 20000, 9);
	else
		check_debugfs_cat(img, "/before", 0, 5000, 7);
}

/*
 * Commits cut after each of their flushes (1: the log written, 2: the
 * commit block, 3: the blocks home, 4: the journal marked empty), each
 * leaving needs_recovery set (as a crash inside a commit does): the
 * host's e2fsck -fy replays a copy, our mount the image, and both are
 * then clean for e2fsck -fn and hold all of the transaction or none.
 */
static void check_commit_cuts(const char *opts)
{
	char img[512], cp[600], cmd[2048];

	snprintf(img, sizeof(img), "%s/cut.img", work);
	snprintf(cp, sizeof(cp), "%s/cut-e2fsck.img", work);
	for (int cut = 1; cut <= 4; cut++) {
		if (!CHECK(mkimage(img, opts, "32M")) ||
		    !crash_session(img, cut))
			return;
		snprintf(cmd, sizeof(cmd),
			 "dumpe2fs -h %s | grep -q needs_recovery", img);
		CHECK_EQ(run(cmd), 0); /* set for the whole commit */
		snprintf(cmd, sizeof(cmd),
			 "cp %s %s && { e2fsck -fy %s; [ $? -le 1 ]; } && "
			 "e2fsck -fn %s",
			 img, cp, cp, cp);
		if (!CHECK_EQ(run(cmd), 0))
			printf("    cut %d: e2fsck -fy then -fn failed\n", cut);
		check_atomic(cp, cut >= 2);
		CHECK_EQ(mount_journal_image_at(img), 0);
		snprintf(cmd, sizeof(cmd), "e2fsck -fn %s", img);
		if (!CHECK_EQ(run(cmd), 0))
			printf("    cut %d: e2fsck -fn after our replay\n", cut);
		check_atomic(img, cut >= 2);
	}
}

static void test_ext4_journal_commit_cut_replays(void)
{
	check_commit_cuts("-t ext4 -b 4096");
}

static void test_ext4_journal_commit_cut_replays_nocsum_1k(void)
{
	check_commit_cuts("-t ext4 -b 1024 -O ^64bit,^metadata_csum");
}

/* ---- fallocate: punching holes ---- */
#define PUNCH_SIZE (300 * 1024)

static uint8_t punch_model[PUNCH_SIZE];

static bool punch_write(struct ext4_fs *fs, struct ext4_inode *ip,
			uint64_t off, size_t n, unsigned seed)
{
	pattern(punch_model + off, n, off, seed);
	return CHECK_EQ(ext4_write(fs, ip, off, punch_model + off, n), (long)n);
}

static bool punch(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
		  uint64_t len)
{
	uint64_t end = MIN(off + len, (uint64_t)PUNCH_SIZE);

	if (off < end)
		memset(punch_model + off, 0, end - off);
	return CHECK_EQ(ext4_punch_hole(fs, ip, off, len), 0);
}

/* A file of many extents (a depth-1 tree: every other 8 KiB written),
 * then holes punched across extents, inside one (split in two), at
 * block edges and not, and past the end: e2fsck -fn is clean and
 * debugfs reads the model; the size never moves. */
static void test_ext4_punch_hole(void)
{
	char img[512], cmd[1024], out[512];
	struct ext4_dev dev;
	struct ext4_fs *fs;
	struct ext4_inode *root, *ip;
	uint8_t *got = malloc(PUNCH_SIZE);
	uint32_t ino;
	bool ok;
	int fd;

	snprintf(img, sizeof(img), "%s/punch.img", work);
	memset(punch_model, 0, sizeof(punch_model));
	if (!CHECK(mkimage(img, "-t ext4 -b 4096", "32M")) ||
	    !CHECK(fs = open_rw(img, &dev)) || !CHECK(root = iget_path(fs, "/")))
		return;
	ok = CHECK_EQ(ext4_create(fs, root, "p", 1, S_IFREG | 0644, 0, 0, &ino),
		      0) &&
	     CHECK_EQ(ext4_iget(fs, ino, &ip), 0);
	for (uint64_t off = 0; ok && off < PUNCH_SIZE; off += 16384)
		ok = punch_write(fs, ip, off, 8192, 3);
	ok = ok && punch_write(fs, ip, PUNCH_SIZE - 100, 100, 4) &&
	     punch(fs, ip, 20000, 30000) &&	/* across extents */
	     punch(fs, ip, 65536 + 4096, 2000) && /* in one block */
	     punch(fs, ip, 131072, 8192) &&	/* whole extent */
	     punch_write(fs, ip, 163840, 49152, 5) && /* one long extent */
	     punch(fs, ip, 163840 + 8192, 12288) &&	/* split it */
	     punch(fs, ip, PUNCH_SIZE - 50, 1 << 20) && /* past the end */
	     CHECK_EQ(ext4_punch_hole(fs, ip, 0, 0), -EINVAL);
	if (ok) {
		struct ext4_stat st;

		ext4_stat(ip, &st);
		CHECK_EQ(st.size, (uint64_t)PUNCH_SIZE);
		ext4_iput(ip);
	}
	ext4_iput(root);
	ext4_unmount(fs);
	dev_close(&dev);
	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s", img);
	CHECK_EQ(run(cmd), 0);
	snprintf(out, sizeof(out), "%s/punch.out", work);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'dump /p %s' %s", out, img);
	CHECK_EQ(run(cmd), 0);
	fd = open(out, O_RDONLY);
	CHECK_EQ(pread(fd, got, PUNCH_SIZE, 0), (long)PUNCH_SIZE);
	CHECK(!memcmp(got, punch_model, PUNCH_SIZE));
	close(fd);
	free(got);
}

/* Blocks a running transaction freed are not reused before it commits,
 * but a full disk commits it rather than answer ENOSPC: a file filling
 * the disk, unlinked, then written again in the same transaction. */
static void test_ext4_full_disk_reuses_freed_blocks(void)
{
	static uint8_t buf[64 * 1024];
	char img[512], cmd[600];
	struct ext4_dev dev;
	struct ext4_fs *fs;
	struct ext4_inode *root, *ip;
	uint64_t filled = 0, again = 0;
	uint32_t ino;
	long r;

	snprintf(img, sizeof(img), "%s/full.img", work);
	if (!CHECK(mkimage(img, "-t ext4 -b 4096", "16M")) ||
	    !CHECK(fs = open_rw(img, &dev)) || !CHECK(root = iget_path(fs, "/")))
		return;
	for (int round = 0; round < 2; round++) {
		uint64_t *n = round ? &again : &filled;

		if (!CHECK_EQ(ext4_create(fs, root, "big", 3, S_IFREG | 0644,
					  0, 0, &ino),
			      0) ||
		    !CHECK_EQ(ext4_iget(fs, ino, &ip), 0))
			break;
		while ((r = ext4_write(fs, ip, *n, buf, sizeof(buf))) > 0)
			*n += (uint64_t)r;
		CHECK_EQ(r, -ENOSPC);
		ext4_iput(ip);
		if (!round)
			CHECK_EQ(ext4_unlink(fs, root, "big", 3), 0);
	}
	CHECK(filled > (8u << 20));
	CHECK(again + (1u << 20) >= filled); /* not ENOSPC at the start */
	ext4_iput(root);
	ext4_unmount(fs);
	dev_close(&dev);
	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s", img);
	CHECK_EQ(run(cmd), 0);
}

static void test_ext4_journal_replay_csum_v3(void)
{
	check_replay("", "jo -c");
}

static void test_ext4_journal_replay_no_csum(void)
{
	check_replay("-O ^metadata_csum", "jo");
}

/* The journal inode's log block lblk on disk (debugfs bmap). */
static uint64_t journal_pblk(uint32_t lblk)
{
	char cmd[600], out[64] = {0};
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "debugfs -R 'bmap <8> %u' %s/j.img 2>/dev/null", lblk, work);
	f = popen(cmd, "r");
	if (!f || !fgets(out, sizeof(out), f))
		abort();
	pclose(f);
	return strtoull(out, NULL, 10);
}

static void poke_j(uint64_t off, const void *p, size_t n)
{
	char img[512];
	int fd;

	snprintf(img, sizeof(img), "%s/j.img", work);
	fd = open(img, O_RDWR);
	if (fd < 0 || pwrite(fd, p, n, (off_t)off) != (ssize_t)n)
		abort();
	close(fd);
}

/* A committed transaction with a broken data block stops the replay
 * with a message, before anything is written. */
static void test_ext4_journal_bad_data_csum(void)
{
	if (!CHECK(journal_image("", "jo -c")))
		return;
	poke_j(journal_pblk(2) * 4096 + 100, "\xff", 1);
	CHECK_EQ(mount_journal_image(), -1);
	CHECK(strstr(last_log, "data block checksum") != NULL);
	CHECK(strstr(last_log, "replay stopped") != NULL);
}

/* A torn commit block ends the log there: nothing of it is replayed. */
static void test_ext4_journal_torn_commit(void)
{
	if (!CHECK(journal_image("", "jo -c")))
		return;
	poke_j(journal_pblk(5) * 4096 + 100, "\xff", 1); /* 1st commit */
	CHECK_EQ(mount_journal_image(), 0);
	CHECK(!block_eq("j.img", "ref.img", 5000));
}

/* A home block past the end of the file system, in a transaction that
 * commits (its descriptor's checksum made right again). */
static void test_ext4_journal_out_of_range(void)
{
	uint64_t off;
	uint8_t d[4096];
	int fd;
	char img[512];

	if (!CHECK(journal_image("-O ^metadata_csum", "jo")))
		return;
	off = journal_pblk(1) * 4096;
	snprintf(img, sizeof(img), "%s/j.img", work);
	fd = open(img, O_RDWR);
	if (fd < 0 || pread(fd, d, 4096, (off_t)off) != 4096)
		abort();
	close(fd);
	poke_j(off + 12, "\x7f\xff\xff\xff", 4); /* the first tag's block */
	CHECK_EQ(mount_journal_image(), -1);
	CHECK(strstr(last_log, "home block out of range") != NULL);
}

int main(void)
{
	char cmd[600];

	RUN_TEST(test_crc32c_vectors);
	RUN_TEST(test_crc16_vector);
	snprintf(work, sizeof(work), "/tmp/osprey-test-ext4-XXXXXX");
	if (!mkdtemp(work))
		return 1;
	snprintf(tree, sizeof(tree), "%s/tree", work);
	if (mkdir(tree, 0755))
		return 1;
	make_tree();
	RUN_TEST(test_ext4_default);
	RUN_TEST(test_ext4_no_csum);
	RUN_TEST(test_ext4_32bit);
	RUN_TEST(test_ext4_1k_blocks);
	RUN_TEST(test_ext4_few_inodes);
	RUN_TEST(test_ext4_htree);
	RUN_TEST(test_ext4_inline_data);
	RUN_TEST(test_ext4_meta_bg);
	RUN_TEST(test_ext3_block_map);
	RUN_TEST(test_ext2_1k_small_inodes);
	RUN_TEST(test_ext4_no_extent);
	RUN_TEST(test_ext4_images_have_the_features);
	RUN_TEST(test_ext4_nsec_and_epoch_times);
	RUN_TEST(test_ext4_ea_inode_value);
	RUN_TEST(test_ext4_write_4k);
	RUN_TEST(test_ext4_write_1k_32bit_nocsum);
	RUN_TEST(test_ext4_readonly_refuses_writes);
	RUN_TEST(test_ext4_refuses_unknown_incompat);
	RUN_TEST(test_ext4_unknown_ro_compat_mounts_readonly);
	RUN_TEST(test_ext4_bad_inode_checksum);
	RUN_TEST(test_ext4_extent_loop_is_euclean);
	RUN_TEST(test_ext4_extent_out_of_range_is_euclean);
	RUN_TEST(test_ext4_bad_dirent_is_euclean);
	RUN_TEST(test_ext4_journal_replay_csum_v3);
	RUN_TEST(test_ext4_journal_replay_no_csum);
	RUN_TEST(test_ext4_journal_bad_data_csum);
	RUN_TEST(test_ext4_journal_torn_commit);
	RUN_TEST(test_ext4_journal_out_of_range);
	RUN_TEST(test_ext4_journal_commit_cut_replays);
	RUN_TEST(test_ext4_punch_hole);
	RUN_TEST(test_ext4_full_disk_reuses_freed_blocks);
	RUN_TEST(test_ext4_journal_commit_cut_replays_nocsum_1k);
	if (!getenv("KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", work);
		if (system(cmd))
			return 1;
	}
	return check_exit();
}
