/*
 * Fuzzes fs/ext4 with the input as a disk image: mounts it over a memory
 * device (the input, then zeros up to at least 256 KiB, so the seeds need
 * not carry their empty tail) and walks what it can reach: every
 * directory (depth and count bounded, as a directory loop would
 * otherwise never end), every file's first and last bytes, link targets,
 * xattrs, and path lookups through "..". ASan and UBSan see any bad
 * access; libFuzzer's -timeout sees a hang. Checks: a failure is a
 * negative errno with a message; a read never returns more than asked.
 *
 * A mutation almost anywhere breaks a checksum, and the walk would then
 * stop at the first one: when the input's first byte (in the boot
 * block, unused by ext4) is odd, the copy mounted has metadata_csum and
 * gdt_csum turned off, so that the mutated structures themselves are
 * parsed.
 *
 * Then, mounted read-write over its own copy, a few changes: a file
 * created, written, truncated and removed, a directory made and
 * removed, and the root's first entries truncated and unlinked (freeing
 * whatever they claim to own).
 */
#include <stdlib.h>

#include "fs/ext4/ext4_private.h"

#define FUZZ_MIN_DEV (256 * 1024)
#define FUZZ_MAX_INODES 200
#define FUZZ_MAX_DEPTH 6

struct mem {
	uint8_t *data;
	size_t len;
};

static int mem_read(struct ext4_dev *dev, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = dev->ctx;
	size_t have;

	if (off > dev->size || len > dev->size - off)
		abort(); /* ext4 must never ask past the device */
	memset(buf, 0, len);
	if (off < m->len) {
		have = MIN(len, m->len - (size_t)off);
		memcpy(buf, m->data + off, have);
	}
	return 0;
}

static int mem_write(struct ext4_dev *dev, uint64_t off, const void *buf,
		     size_t len)
{
	struct mem *m = dev->ctx;

	if (off > dev->size || len > dev->size - off || off + len > m->len)
		abort(); /* past the device, or the fuzzer's copy */
	memcpy(m->data + off, buf, len);
	return 0;
}

static int visited;

static void check_err(struct ext4_fs *fs, long r)
{
	if (r < 0 && r != -ENOMEM && r != -ENOENT && r != -ENOTDIR &&
	    r != -ENODATA && r != -ERANGE && r != -EINVAL && r != -ELOOP &&
	    r != -ENAMETOOLONG && r != -EISDIR && r != -EOPNOTSUPP &&
	    r != -ENOTEMPTY && r != -EEXIST && r != -EROFS && r != -EFBIG &&
	    r != -EPERM && r != -EMLINK && !*ext4_last_error(fs))
		abort(); /* a corruption error without its message */
}

static void read_file(struct ext4_fs *fs, struct ext4_inode *ip)
{
	static uint8_t buf[8192];
	long r;

	r = ext4_read(fs, ip, 0, buf, sizeof(buf));
	if (r > (long)sizeof(buf))
		abort();
	check_err(fs, r);
	if (ip->size > sizeof(buf)) {
		r = ext4_read(fs, ip, ip->size - 5000, buf, sizeof(buf));
		if (r > 5000)
			abort();
		check_err(fs, r);
	}
	r = ext4_readlink(fs, ip, (char *)buf, 4096);
	check_err(fs, r);
}

static void read_xattrs(struct ext4_fs *fs, struct ext4_inode *ip)
{
	static char names[4096];
	static uint8_t value[4096];
	long n = ext4_listxattr(fs, ip, names, sizeof(names));

	check_err(fs, n);
	for (long i = 0; i < n; i += (long)strlen(names + i) + 1)
		check_err(
		    fs, ext4_getxattr(fs, ip, names + i, value, sizeof(value)));
	check_err(fs, ext4_getxattr(fs, ip, "system.posix_acl_access", value,
				    sizeof(value)));
}

static void walk(struct ext4_fs *fs, uint32_t ino, int depth);

struct walk_arg {
	struct ext4_fs *fs;
	int depth;
};

static int child(void *arg, const struct ext4_dirent *d)
{
	struct walk_arg *a = arg;

	if (strlen(d->name) != d->name_len)
		return 0; /* a NUL in a name: ext4 hands it out as it is */
	if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
		return 0;
	walk(a->fs, d->ino, a->depth + 1);
	return visited >= FUZZ_MAX_INODES;
}

static void walk(struct ext4_fs *fs, uint32_t ino, int depth)
{
	struct walk_arg a = {fs, depth};
	struct ext4_inode *ip;
	struct ext4_stat st;
	uint64_t pos = 0;
	int r;

	if (depth > FUZZ_MAX_DEPTH || visited++ >= FUZZ_MAX_INODES)
		return;
	r = ext4_iget(fs, ino, &ip);
	check_err(fs, r);
	if (r)
		return;
	ext4_stat(ip, &st);
	read_xattrs(fs, ip);
	if (ext4_is_dir(ip))
		check_err(fs, ext4_iterate_dir(fs, ip, &pos, child, &a));
	else
		read_file(fs, ip);
	ext4_iput(ip);
}

static uint8_t *copy_input(const uint8_t *data, size_t size)
{
	uint8_t *copy = calloc(1, MAX(size, (size_t)FUZZ_MIN_DEV));
	size_t ro = EXT4_SB_OFFSET + EXT4_SB_FEATURE_RO_COMPAT;

	memcpy(copy, data, size);
	if (size > ro + 1 && (data[0] & 1))
		copy[ro] &= (uint8_t)~EXT4_RO_COMPAT_GDT_CSUM,
		    copy[ro + 1] &=
		    (uint8_t) ~(EXT4_RO_COMPAT_METADATA_CSUM >> 8);
	return copy;
}

static int unlink_one(void *arg, const struct ext4_dirent *d)
{
	struct ext4_inode **dirp = arg;
	struct ext4_fs *fs = dirp[0]->fs;
	struct ext4_inode *dir = dirp[0], *ip;

	if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
		return 0;
	if (!ext4_iget(fs, d->ino, &ip)) {
		check_err(fs, ext4_punch_hole(fs, ip, ip->size / 2, 9000));
		check_err(fs, ext4_truncate(fs, ip, ip->size / 3));
		ext4_iput(ip);
	}
	check_err(fs, ext4_unlink(fs, dir, d->name, d->name_len));
	check_err(fs, ext4_rmdir(fs, dir, d->name, d->name_len));
	return ++visited > 3;
}

/* ip (named fz in root) gets a second name, moved into a new directory
 * and removed there; the directory goes too. */
static void names(struct ext4_fs *fs, struct ext4_inode *root,
		  struct ext4_inode *ip)
{
	struct ext4_inode *dir;
	uint32_t ino;

	if (ext4_create(fs, root, "fzd", 3, 040755, 0, 0, &ino) ||
	    ext4_iget(fs, ino, &dir))
		return;
	check_err(fs, ext4_link(fs, root, "fzh", 3, ip));
	check_err(fs,
		  ext4_rename(fs, root, "fzh", 3, ip, dir, "h", 1, NULL, 0));
	check_err(fs, ext4_rename(fs, dir, "h", 1, ip, root, "fz", 2, ip, 0));
	check_err(fs, ext4_unlink(fs, dir, "h", 1));
	check_err(fs, ext4_rename(fs, root, "fzd", 3, dir, root, "fze", 3, NULL,
				  EXT4_RENAME_NOREPLACE));
	ext4_iput(dir);
	check_err(fs, ext4_rmdir(fs, root, "fze", 3));
}

static void change(struct ext4_fs *fs)
{
	static uint8_t buf[10000];
	struct ext4_inode *root, *ip;
	uint64_t pos = 0;
	uint32_t ino;

	if (ext4_iget(fs, EXT4_ROOT_INO, &root))
		return;
	if (!ext4_create(fs, root, "fz", 2, 0100644, 0, 0, &ino) &&
	    !ext4_iget(fs, ino, &ip)) {
		check_err(fs, ext4_write(fs, ip, 5000, buf, sizeof(buf)));
		check_err(fs, ext4_punch_hole(fs, ip, 6000, 5000));
		check_err(fs, ext4_sync(fs)); /* a commit through the journal */
		check_err(fs, ext4_truncate(fs, ip, 7001));
		names(fs, root, ip);
		ext4_iput(ip);
		check_err(fs, ext4_unlink(fs, root, "fz", 2));
	}
	if (!ext4_create(fs, root, "fzd", 3, 040755, 0, 0, &ino))
		check_err(fs, ext4_rmdir(fs, root, "fzd", 3));
	check_err(fs, ext4_symlink(fs, root, "fzl", 3, "target", 0, 0, &ino));
	visited = 0;
	check_err(fs, ext4_iterate_dir(fs, root, &pos, unlink_one, &root));
	ext4_iput(root);
}

static void fuzz_rw(uint8_t *data, size_t size)
{
	struct mem m = {data, MAX(size, (size_t)FUZZ_MIN_DEV)};
	struct ext4_dev dev = {.read = mem_read, .write = mem_write, .ctx = &m};
	struct ext4_fs *fs;

	dev.size = m.len;
	if (ext4_mount(&dev, 0, &fs))
		return;
	if (!ext4_is_readonly(fs))
		change(fs);
	ext4_unmount(fs);
}

static void fuzz_one(uint8_t *data, size_t size)
{
	struct mem m = {data, size};
	struct ext4_dev dev = {.read = mem_read, .ctx = &m};
	struct ext4_statfs sf;
	struct ext4_fs *fs;
	uint32_t ino;

	dev.size = MAX(size, (size_t)FUZZ_MIN_DEV);
	if (ext4_mount(&dev, EXT4_MOUNT_RDONLY, &fs))
		return;
	ext4_statfs(fs, &sf);
	visited = 0;
	walk(fs, EXT4_ROOT_INO, 0);
	check_err(fs, ext4_namei(fs, "/a/../b/./c", true, &ino));
	check_err(fs, ext4_namei(fs, "lost+found/..", false, &ino));
	ext4_unmount(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = copy_input(data, size);

	fuzz_one(copy, size);
	fuzz_rw(copy, size);
	free(copy);
	return 0;
}
