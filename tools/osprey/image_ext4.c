/*
 * The image as an ext4 file system (`osprey build --format ext4`), for a
 * root file system on a disk that the kernel pages in on demand instead
 * of unpacking into RAM. The same entries as the cpio archive are staged
 * as a directory tree in $TMPDIR, then Debian's `mke2fs -d` writes the
 * file system: no ext4 writer of ours stands between the user and a
 * format that e2fsck and Linux read. Everything belongs to root when we
 * run as root (mke2fs copies the staged owners); the image adds /dev
 * and /proc, which the kernel's devtmpfs and procfs cover, beside the
 * /tmp every image has.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

#define BLOCK 4096ull

static uint64_t blocks_of(uint64_t bytes)
{
	return (bytes + BLOCK - 1) / BLOCK;
}

/* Copies the host file src to dst; false on an error (errno set). */
static bool copy_file(const char *src, const char *dst, uint32_t mode)
{
	char buf[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1;
	ssize_t n = 0;
	bool ok = false;

	if (in < 0)
		return false;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		goto out_close_in;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	ok = n == 0;
	if (close(out))
		ok = false;
out_close_in:
	close(in);
	return ok;
}

static bool write_data(const char *dst, const char *data, uint64_t len,
		       uint32_t mode)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len;
	return close(fd) == 0 && ok;
}

/* One entry under the staging directory; false on an error. */
static bool stage_entry(const char *stage, const struct entry *e)
{
	char *dst = xasprintf("%s%s", stage, e->path);
	struct timespec t[2] = {{e->mtime, 0}, {e->mtime, 0}};
	bool ok;

	switch (e->type) {
	case ENTRY_DIR:
		ok = mkdir(dst, 0700) == 0 || errno == EEXIST;
		break;
	case ENTRY_SYMLINK:
		ok = symlink(e->data, dst) == 0;
		break;
	default:
		ok = e->source ? copy_file(e->source, dst, 0600)
			       : write_data(dst, e->data, e->size, 0600);
	}
	if (ok && e->type != ENTRY_SYMLINK)
		ok = chmod(dst, e->mode) == 0;
	if (ok)
		utimensat(AT_FDCWD, dst, t, AT_SYMLINK_NOFOLLOW);
	if (!ok)
		fail(FAIL_OTHER, "staging %s for ext4: %s", e->path,
		     strerror(errno));
	free(dst);
	return ok;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* Blocks the file system needs: the files' data, an inode (256 bytes)
 * and a directory entry's share for each, a quarter more for ext4's own
 * metadata and the journal, and 8 MiB of room to write in. */
static uint64_t fs_blocks(const struct image *img, uint64_t *data_blocks)
{
	uint64_t data = 0;

	for (size_t i = 0; i < img->n; i++)
		if (img->entries[i]->type != ENTRY_SYMLINK)
			data += blocks_of(img->entries[i]->size) + 1;
	*data_blocks = data;
	return data + data / 4 + img->n / 8 + (8u << 20) / BLOCK;
}

uint64_t image_write_ext4(struct image *img, const char *out)
{
	char stage[] = "/tmp/osprey-stage.XXXXXX";
	char *tmp = xasprintf("%s.XXXXXX", out), *size;
	uint64_t data, blocks;
	int fd, rc;

	image_add_dir(img, "/dev", 0755, 0);
	image_add_dir(img, "/proc", 0555, 0);
	image_sort(img);
	if (!mkdtemp(stage))
		fail(FAIL_OTHER, "mkdtemp: %s", strerror(errno));
	cleanup_add(stage);
	for (size_t i = 0; i < img->n; i++)
		stage_entry(stage, img->entries[i]);
	chmod(stage, 0755);
	blocks = fs_blocks(img, &data);
	size = xasprintf("%llu", (unsigned long long)blocks);
	fd = mkstemp_cleanup(tmp);
	if (fd < 0)
		fail(FAIL_OTHER, "cannot create %s: %s", out, strerror(errno));
	close(fd);
	char *mk[] = {"mke2fs", "-q",	"-F", "-t",	     "ext4",
		      "-b",	"4096", "-L", "osprey-root", "-d",
		      stage,	tmp,	size, NULL};
	rc = spawn(mk);
	nftw(stage, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	cleanup_forget(stage);
	if (rc)
		fail(FAIL_OTHER, "mke2fs -d could not write %s (status %d)",
		     out, rc);
	chmod(tmp, 0644);
	if (rename(tmp, out))
		fail(FAIL_OTHER, "cannot rename %s to %s: %s", tmp, out,
		     strerror(errno));
	cleanup_forget(tmp);
	free(tmp);
	free(size);
	return data * BLOCK;
}
