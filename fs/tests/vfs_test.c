/*
 * Self-tests of the VFS: files, holes and truncation, directories and
 * getdents64, rename, unlink while open, hard and symbolic links, path
 * walking, the fd table, the devices, and unpacking cpio archives built
 * here (good and broken). Everything happens under /tmp/vfs and /ct, with
 * the expected errno values of Linux.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"

/* ---- helpers ---- */
static struct file *open_f(const char *path, int flags, uint32_t mode)
{
	struct file *f = NULL;
	int err = vfs_openat(NULL, path, flags, mode, &f);

	if (err)
		kprintf("  open %s: error %d\n", path, err);
	return err ? NULL : f;
}

static int open_err(const char *path, int flags)
{
	struct file *f;
	int err = vfs_openat(NULL, path, flags, 0644, &f);

	if (!err)
		file_put(f);
	return err;
}

static int64_t put_str(struct file *f, const char *s)
{
	return vfs_write(f, s, strlen(s));
}

/* Whether the file holds exactly `want` at off. */
static bool holds(struct file *f, int64_t off, const char *want)
{
	char buf[64];
	size_t n = strlen(want);

	return n <= sizeof(buf) && vfs_pread(f, buf, n, off) == (int64_t)n &&
	       !memcmp(buf, want, n);
}

static bool file_is(const char *path, const char *want)
{
	struct file *f = open_f(path, O_RDONLY, 0);
	bool ok =
	    f && holds(f, 0, want) && vfs_file_size(f) == (int64_t)strlen(want);

	if (f)
		file_put(f);
	return ok;
}

static struct kstat stat_of(const char *path, int flags)
{
	struct kstat st;

	if (vfs_statat(NULL, path, &st, flags))
		memset(&st, 0xff, sizeof(st));
	return st;
}

static bool all_zero(const char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static uint64_t free_pages_now(void)
{
	struct mm_stats s;

	mm_get_stats(&s);
	return s.free_pages;
}

/* ---- regular files ---- */
static int files_basic(void)
{
	int failures = 0;
	struct file *f = open_f("/tmp/vfs/a", O_CREAT | O_RDWR, 0666);
	struct kstat st;
	char buf[16];

	if (!f)
		return 1;
	CHECK_EQ(put_str(f, "hello"), 5);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_SET), 0);
	CHECK_EQ(vfs_read(f, buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(vfs_read(f, buf, sizeof(buf)), 0);
	CHECK_EQ(vfs_fstat(f, &st), 0);
	CHECK_EQ(st.mode, S_IFREG | 0644); /* umask 022 */
	CHECK_EQ(st.size, 5);
	CHECK_EQ(st.nlink, 1);
	file_put(f);
	CHECK_EQ(open_err("/tmp/vfs/a", O_CREAT | O_EXCL | O_RDWR), -EEXIST);
	CHECK_EQ(open_err("/tmp/vfs/none", O_RDONLY), -ENOENT);
	CHECK_EQ(open_err("/tmp/vfs/none/x", O_CREAT | O_RDWR), -ENOENT);
	CHECK_EQ(open_err("/tmp/vfs/a/x", O_RDONLY), -ENOTDIR);
	CHECK_EQ(open_err("/tmp/vfs/a", O_RDONLY | O_DIRECTORY), -ENOTDIR);
	CHECK_EQ(open_err("/tmp/vfs", O_WRONLY), -EISDIR);
	CHECK_EQ(open_err("/tmp/vfs", O_RDONLY | O_CREAT), -EISDIR);
	CHECK_EQ(open_err("/tmp/vfs", O_RDONLY), 0);
	CHECK_EQ(open_err("/tmp/vfs/new/", O_CREAT | O_RDWR), -EISDIR);
	CHECK_EQ(open_err("/tmp/vfs/new2/", O_CREAT | O_WRONLY), -EISDIR);
	CHECK_EQ(open_err("/tmp/vfs/a", O_TMPFILE | O_RDWR), -EOPNOTSUPP);

	f = open_f("/tmp/vfs/a", O_WRONLY | O_APPEND, 0);
	if (!f)
		return failures + 1;
	CHECK_EQ(vfs_lseek(f, 0, SEEK_SET), 0);
	CHECK_EQ(put_str(f, " world"), 6);
	CHECK_EQ(vfs_read(f, buf, 1), -EBADF);
	CHECK_EQ(vfs_file_size(f), 11);
	CHECK_EQ(vfs_getfl(f), O_WRONLY | O_APPEND | O_LARGEFILE);
	file_put(f);
	CHECK(file_is("/tmp/vfs/a", "hello world"));

	f = open_f("/tmp/vfs/a", O_RDONLY | O_TRUNC, 0);
	if (!f)
		return failures + 1;
	CHECK_EQ(vfs_file_size(f), 0);
	CHECK_EQ(put_str(f, "x"), -EBADF);
	CHECK_EQ(vfs_ftruncate(f, 0), -EINVAL); /* not open for writing */
	file_put(f);
	return failures;
}

static int files_holes(void)
{
	int failures = 0;
	struct file *f = open_f("/tmp/vfs/holes", O_CREAT | O_RDWR, 0600);
	char buf[64];
	struct kstat st;

	if (!f)
		return 1;
	CHECK_EQ(put_str(f, "hello"), 5);
	CHECK_EQ(vfs_lseek(f, 10000, SEEK_SET), 10000);
	CHECK_EQ(vfs_file_size(f), 5); /* seeking alone does not grow it */
	CHECK_EQ(put_str(f, "x"), 1);
	CHECK_EQ(vfs_file_size(f), 10001);
	CHECK_EQ(vfs_pread(f, buf, 16, 5000), 16);
	CHECK(all_zero(buf, 16));
	CHECK(holds(f, 10000, "x"));
	CHECK_EQ(vfs_fstat(f, &st), 0);
	CHECK_EQ(st.blocks, 2 * 8); /* pages 0 and 2 only */
	CHECK_EQ(vfs_lseek(f, -1, SEEK_END), 10000);
	CHECK_EQ(vfs_lseek(f, 5, SEEK_CUR), 10005);
	CHECK_EQ(vfs_lseek(f, -20000, SEEK_CUR), -EINVAL);
	CHECK_EQ(vfs_lseek(f, 0, 99), -EINVAL);
	CHECK_EQ(vfs_pread(f, buf, 1, -1), -EINVAL);

	/* Shrink into page 0 then grow: the cut bytes must read as zero. */
	CHECK_EQ(vfs_ftruncate(f, 3), 0);
	CHECK_EQ(vfs_file_size(f), 3);
	CHECK_EQ(vfs_ftruncate(f, 8192), 0);
	CHECK(holds(f, 0, "hel"));
	CHECK_EQ(vfs_pread(f, buf, 8, 3), 8);
	CHECK(all_zero(buf, 8));
	CHECK_EQ(vfs_fstat(f, &st), 0);
	CHECK_EQ(st.blocks, 8);
	CHECK_EQ(vfs_ftruncate(f, -1), -EINVAL);
	CHECK_EQ(vfs_truncate("/tmp/vfs/holes", 2), 0);
	CHECK_EQ(vfs_file_size(f), 2);
	CHECK_EQ(vfs_truncate("/tmp/vfs", 0), -EISDIR);

	/* 100 GiB out: three levels of the page tree, one data page. */
	CHECK_EQ(vfs_pwrite(f, "Z", 1, 100ll << 30), 1);
	CHECK_EQ(vfs_file_size(f), (100ll << 30) + 1);
	CHECK_EQ(vfs_pread(f, buf, 8, 50ll << 30), 8);
	CHECK(all_zero(buf, 8));
	CHECK(holds(f, 100ll << 30, "Z"));
	CHECK_EQ(vfs_fstat(f, &st), 0);
	CHECK_EQ(st.blocks, 2 * 8);
	CHECK_EQ(vfs_pwrite(f, "Z", 1, 1ll << 48), -EFBIG);
	file_put(f);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/holes", 0), 0);
	return failures;
}

#define BIG_SIZE (16u << 20)
#define CHUNK 65536

static void pattern(uint32_t *p, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n / 4; i++)
		p[i] = (uint32_t)((off / 4 + i) * 2654435761u);
}

/* 16 MiB written in 64 KiB pieces, read back, and its pages freed. */
static int files_large(void)
{
	int failures = 0, bad = 0;
	uint64_t before = free_pages_now();
	uint32_t *buf = malloc(CHUNK), *want = malloc(CHUNK);
	struct file *f = open_f("/tmp/vfs/big", O_CREAT | O_RDWR, 0600);

	if (!f || !buf || !want) {
		free(buf);
		free(want);
		return 1;
	}
	for (uint64_t off = 0; off < BIG_SIZE; off += CHUNK) {
		pattern(buf, off, CHUNK);
		bad += vfs_write(f, buf, CHUNK) != CHUNK;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(vfs_file_size(f), BIG_SIZE);
	CHECK(before - free_pages_now() >= BIG_SIZE / PAGE_SIZE);
	for (uint64_t off = 0; off < BIG_SIZE; off += CHUNK * 7) {
		pattern(want, off, CHUNK);
		bad += vfs_pread(f, buf, CHUNK, off) != CHUNK ||
		       memcmp(buf, want, CHUNK);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/big", 0), 0);
	CHECK_EQ(vfs_pread(f, buf, 4, BIG_SIZE - 4), 4); /* still readable */
	file_put(f);
	/* Per-CPU page caches may keep a few; the 4096 pages came back. */
	CHECK(free_pages_now() + 256 >= before);
	free(buf);
	free(want);
	return failures;
}

static int unlink_while_open(void)
{
	int failures = 0;
	struct file *f = open_f("/tmp/vfs/gone", O_CREAT | O_RDWR, 0600);
	struct kstat st;

	if (!f)
		return 1;
	CHECK_EQ(put_str(f, "still here"), 10);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/gone", 0), 0);
	CHECK_EQ(open_err("/tmp/vfs/gone", O_RDONLY), -ENOENT);
	CHECK(holds(f, 0, "still here"));
	CHECK_EQ(put_str(f, "!"), 1);
	CHECK_EQ(vfs_fstat(f, &st), 0);
	CHECK_EQ(st.nlink, 0);
	CHECK_EQ(st.size, 11);
	CHECK_EQ(vfs_linkat(f, "", NULL, "/tmp/vfs/back", AT_EMPTY_PATH),
		 -ENOENT);
	file_put(f);
	return failures;
}

/* ---- directories ---- */
struct listing {
	char names[16][16];
	uint8_t types[16];
	int n;
};

/* Reads the whole directory with a buffer of `size` bytes. */
static int list_dir(struct file *d, size_t size, struct listing *l)
{
	char buf[512];
	int r;

	l->n = 0;
	while ((r = vfs_getdents64(d, buf, size)) > 0) {
		for (int off = 0; off < r;) {
			struct linux_dirent64 *e = (void *)(buf + off);

			if (l->n < 16 && strlen(e->d_name) < 16) {
				memcpy(l->names[l->n], e->d_name,
				       strlen(e->d_name) + 1);
				l->types[l->n++] = e->d_type;
			}
			off += e->d_reclen;
		}
	}
	return r;
}

static int listed(const struct listing *l, const char *name)
{
	int count = 0;

	for (int i = 0; i < l->n; i++)
		count += !strcmp(l->names[i], name);
	return count;
}

static int dirs_listing(void)
{
	int failures = 0;
	struct listing l;
	struct file *d;
	char small[16];

	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/d", 0755), 0);
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/d", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/d/sub/", 0755), 0);
	CHECK_EQ(open_err("/tmp/vfs/d/f1", O_CREAT | O_WRONLY), 0);
	CHECK_EQ(open_err("/tmp/vfs/d/f2", O_CREAT | O_WRONLY), 0);
	CHECK_EQ(stat_of("/tmp/vfs/d", 0).nlink, 3);
	CHECK_EQ(stat_of("/tmp/vfs/d/sub/", 0).mode, S_IFDIR | 0755);
	d = open_f("/tmp/vfs/d", O_RDONLY | O_DIRECTORY, 0);
	if (!d)
		return failures + 1;
	CHECK_EQ(vfs_getdents64(d, small, sizeof(small)), -EINVAL);
	CHECK_EQ(list_dir(d, 512, &l), 0);
	CHECK_EQ(l.n, 5);
	CHECK_EQ(listed(&l, "."), 1);
	CHECK_EQ(listed(&l, ".."), 1);
	CHECK_EQ(listed(&l, "f1") + listed(&l, "f2") + listed(&l, "sub"), 3);
	for (int i = 0; i < l.n; i++)
		CHECK_EQ(l.types[i],
			 strcmp(l.names[i], "f1") && strcmp(l.names[i], "f2")
			     ? DT_DIR
			     : DT_REG);
	/* One record per call, and a removal halfway through the listing. */
	CHECK_EQ(vfs_lseek(d, 0, SEEK_SET), 0);
	CHECK_EQ(vfs_getdents64(d, small + 0, 0), -EINVAL);
	CHECK_EQ(list_dir(d, 24, &l), 0);
	CHECK_EQ(l.n, 5);
	CHECK_EQ(vfs_lseek(d, 0, SEEK_SET), 0);
	CHECK(vfs_getdents64(d, small, 24) > 0); /* "." */
	CHECK(vfs_getdents64(d, small, 24) > 0); /* ".." */
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/f2", 0), 0);
	CHECK_EQ(list_dir(d, 32, &l), 0);
	CHECK_EQ(l.n, 2); /* sub and f1, each once */
	CHECK_EQ(listed(&l, "f2"), 0);
	CHECK_EQ(vfs_read(d, small, 1), -EISDIR);
	CHECK_EQ(vfs_lseek(d, 0, SEEK_END), -EINVAL);
	file_put(d);
	return failures;
}

static int dirs_errors(void)
{
	int failures = 0;

	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d", AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/f1", AT_REMOVEDIR), -ENOTDIR);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/sub", 0), -EISDIR);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/f1/", 0), -ENOTDIR);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/.", AT_REMOVEDIR), -EINVAL);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/..", AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(vfs_unlinkat(NULL, "/", AT_REMOVEDIR), -EBUSY);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/nope", 0), -ENOENT);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/f1", 0x1), -EINVAL);
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/d/f1/x", 0755), -ENOTDIR);
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/d/.", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdirat(NULL, "/", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/d/e", 0755), 0);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/d/e/", AT_REMOVEDIR), 0);
	CHECK_EQ(stat_of("/tmp/vfs/d", 0).nlink, 3);
	CHECK_EQ(stat_of("/tmp/stat/../vfs", 0).ino, (uint64_t)-1);
	CHECK_EQ(stat_of("/tmp", 0).mode, S_IFDIR | 01777);
	return failures;
}

/* ---- rename ---- */
static int renames(void)
{
	int failures = 0;
	struct file *f;

	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/r", 0755), 0);
	f = open_f("/tmp/vfs/r/one", O_CREAT | O_WRONLY, 0644);
	if (!f)
		return failures + 1;
	CHECK_EQ(put_str(f, "one"), 3);
	file_put(f);
	f = open_f("/tmp/vfs/r/two", O_CREAT | O_WRONLY, 0644);
	if (!f)
		return failures + 1;
	CHECK_EQ(put_str(f, "two"), 3);
	file_put(f);
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/one", NULL, "/tmp/vfs/r/two",
			      RENAME_NOREPLACE),
		 -EEXIST);
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/one", NULL, "/tmp/vfs/r/two",
			      RENAME_EXCHANGE),
		 0);
	CHECK(file_is("/tmp/vfs/r/one", "two"));
	CHECK(file_is("/tmp/vfs/r/two", "one"));
	CHECK_EQ(
	    vfs_renameat(NULL, "/tmp/vfs/r/one", NULL, "/tmp/vfs/r/two", 0),
	    0); /* over an existing file */
	CHECK(file_is("/tmp/vfs/r/two", "two"));
	CHECK_EQ(open_err("/tmp/vfs/r/one", O_RDONLY), -ENOENT);
	CHECK_EQ(
	    vfs_renameat(NULL, "/tmp/vfs/r/two", NULL, "/tmp/vfs/r/two", 0), 0);
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/nope", NULL, "/tmp/vfs/r/x", 0),
		 -ENOENT);
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/two", NULL, "/tmp/vfs/r/x", 8),
		 -EINVAL);
	return failures;
}

static int renames_dirs(void)
{
	int failures = 0;

	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/r/a", 0755), 0);
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/r/a/b", 0755), 0);
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/r/c", 0755), 0);
	CHECK_EQ(
	    vfs_renameat(NULL, "/tmp/vfs/r/a", NULL, "/tmp/vfs/r/a/b/z", 0),
	    -EINVAL); /* into itself */
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/a", NULL, "/tmp/vfs/r/a", 0),
		 0);
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/c", NULL, "/tmp/vfs/r/a", 0),
		 -ENOTEMPTY);
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/two", NULL, "/tmp/vfs/r/c", 0),
		 -EISDIR);
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/c", NULL, "/tmp/vfs/r/two", 0),
		 -ENOTDIR);
	CHECK_EQ(
	    vfs_renameat(NULL, "/tmp/vfs/r/two/", NULL, "/tmp/vfs/r/t2", 0),
	    -ENOTDIR);
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/.", NULL, "/tmp/vfs/r/t2", 0),
		 -EBUSY);
	/* Moving b from a to c moves a link count with its "..". */
	CHECK_EQ(stat_of("/tmp/vfs/r/a", 0).nlink, 3);
	CHECK_EQ(
	    vfs_renameat(NULL, "/tmp/vfs/r/a/b", NULL, "/tmp/vfs/r/c/b", 0), 0);
	CHECK_EQ(stat_of("/tmp/vfs/r/a", 0).nlink, 2);
	CHECK_EQ(stat_of("/tmp/vfs/r/c", 0).nlink, 3);
	CHECK_EQ(stat_of("/tmp/vfs/r/c/b/..", 0).ino,
		 stat_of("/tmp/vfs/r/c", 0).ino);
	/* An empty directory may be replaced by a directory. */
	CHECK_EQ(vfs_renameat(NULL, "/tmp/vfs/r/c", NULL, "/tmp/vfs/r/a", 0),
		 0);
	CHECK_EQ(stat_of("/tmp/vfs/r/a/b", 0).mode, S_IFDIR | 0755);
	CHECK_EQ(stat_of("/tmp/vfs/r", 0).nlink, 3);
	return failures;
}

/* ---- links ---- */
static int hard_links(void)
{
	int failures = 0;
	struct kstat a, b;

	CHECK_EQ(open_err("/tmp/vfs/h", O_CREAT | O_WRONLY), 0);
	CHECK_EQ(vfs_linkat(NULL, "/tmp/vfs/h", NULL, "/tmp/vfs/h2", 0), 0);
	CHECK_EQ(vfs_linkat(NULL, "/tmp/vfs/h", NULL, "/tmp/vfs/h2", 0),
		 -EEXIST);
	CHECK_EQ(vfs_linkat(NULL, "/tmp/vfs/d", NULL, "/tmp/vfs/dl", 0),
		 -EPERM);
	CHECK_EQ(vfs_linkat(NULL, "/tmp/vfs/nope", NULL, "/tmp/vfs/x", 0),
		 -ENOENT);
	a = stat_of("/tmp/vfs/h", 0);
	b = stat_of("/tmp/vfs/h2", 0);
	CHECK_EQ(a.ino, b.ino);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/vfs/h", 0), 0);
	CHECK_EQ(stat_of("/tmp/vfs/h2", 0).nlink, 1);
	return failures;
}

static int symlinks(void)
{
	int failures = 0;
	char buf[32];
	struct file *f;
	struct kstat st;

	CHECK_EQ(vfs_symlinkat("a", NULL, "/tmp/vfs/s"), 0);
	CHECK_EQ(vfs_symlinkat("a", NULL, "/tmp/vfs/s"), -EEXIST);
	CHECK_EQ(vfs_symlinkat("", NULL, "/tmp/vfs/s0"), -ENOENT);
	CHECK_EQ(vfs_readlinkat(NULL, "/tmp/vfs/s", buf, sizeof(buf)), 1);
	CHECK_EQ(buf[0], 'a');
	CHECK_EQ(vfs_readlinkat(NULL, "/tmp/vfs/a", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(vfs_readlinkat(NULL, "/tmp/vfs/s", buf, 0), -EINVAL);
	CHECK_EQ(stat_of("/tmp/vfs/s", 0).mode, S_IFREG | 0644);
	CHECK_EQ(stat_of("/tmp/vfs/s", AT_SYMLINK_NOFOLLOW).mode,
		 S_IFLNK | 0777);
	CHECK_EQ(stat_of("/tmp/vfs/s", AT_SYMLINK_NOFOLLOW).size, 1);
	CHECK_EQ(open_err("/tmp/vfs/s", O_RDONLY | O_NOFOLLOW), -ELOOP);
	CHECK_EQ(open_err("/tmp/vfs/s", O_RDONLY), 0);
	/* O_PATH|O_NOFOLLOW opens the link itself. */
	f = open_f("/tmp/vfs/s", O_PATH | O_NOFOLLOW, 0);
	if (f) {
		CHECK_EQ(vfs_fstat(f, &st), 0);
		CHECK_EQ(st.mode & S_IFMT, S_IFLNK);
		CHECK_EQ(vfs_readlinkat(f, "", buf, sizeof(buf)), 1);
		CHECK_EQ(vfs_read(f, buf, 1), -EBADF);
		file_put(f);
	}
	/* Through directories, relative to the link, and absolute. */
	CHECK_EQ(vfs_symlinkat("d", NULL, "/tmp/vfs/sd"), 0);
	CHECK_EQ(vfs_symlinkat("/tmp/vfs/d/", NULL, "/tmp/vfs/d/sub/up"), 0);
	CHECK_EQ(stat_of("/tmp/vfs/sd/f1", 0).mode, S_IFREG | 0644);
	CHECK_EQ(stat_of("/tmp/vfs/d/sub/up/sub/up/f1", 0).mode,
		 S_IFREG | 0644);
	CHECK_EQ(stat_of("/tmp/vfs/sd/", AT_SYMLINK_NOFOLLOW).mode,
		 S_IFDIR | 0755);
	CHECK_EQ(open_err("/tmp/vfs/s/", O_RDONLY), -ENOTDIR);
	/* A dangling link: O_CREAT makes its target, O_EXCL refuses. */
	CHECK_EQ(vfs_symlinkat("made", NULL, "/tmp/vfs/dangle"), 0);
	CHECK_EQ(open_err("/tmp/vfs/dangle", O_RDONLY), -ENOENT);
	CHECK_EQ(open_err("/tmp/vfs/dangle", O_CREAT | O_EXCL | O_WRONLY),
		 -EEXIST);
	CHECK_EQ(open_err("/tmp/vfs/dangle", O_CREAT | O_WRONLY), 0);
	CHECK_EQ(stat_of("/tmp/vfs/made", 0).mode, S_IFREG | 0644);
	return failures;
}

static int symlink_loops(void)
{
	int failures = 0;
	char name[32], target[32];

	CHECK_EQ(vfs_symlinkat("loop2", NULL, "/tmp/vfs/loop1"), 0);
	CHECK_EQ(vfs_symlinkat("loop1", NULL, "/tmp/vfs/loop2"), 0);
	CHECK_EQ(vfs_symlinkat("self/x", NULL, "/tmp/vfs/self"), 0);
	CHECK_EQ(open_err("/tmp/vfs/loop1", O_RDONLY), -ELOOP);
	CHECK_EQ(open_err("/tmp/vfs/loop1/x", O_RDONLY), -ELOOP);
	CHECK_EQ(open_err("/tmp/vfs/self", O_RDONLY), -ELOOP);
	CHECK_EQ(stat_of("/tmp/vfs/loop1", AT_SYMLINK_NOFOLLOW).mode,
		 S_IFLNK | 0777);
	/* A chain of 40 links resolves; 41 is too many. */
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/chain", 0755), 0);
	CHECK_EQ(vfs_symlinkat("../a", NULL, "/tmp/vfs/chain/c0"), 0);
	for (int i = 1; i <= 40; i++) {
		snprintf(name, sizeof(name), "/tmp/vfs/chain/c%d", i);
		snprintf(target, sizeof(target), "c%d", i - 1);
		CHECK_EQ(vfs_symlinkat(target, NULL, name), 0);
	}
	CHECK_EQ(open_err("/tmp/vfs/chain/c39", O_RDONLY), 0);
	CHECK_EQ(open_err("/tmp/vfs/chain/c40", O_RDONLY), -ELOOP);
	return failures;
}

/* ---- paths and the working directory ---- */
static int relative_paths(void)
{
	int failures = 0;
	char buf[64], name[300];
	struct file *d;

	CHECK_EQ(vfs_chdir("/tmp/vfs/d/sub"), 0);
	CHECK_EQ(vfs_getcwd(buf, sizeof(buf)), 15);
	CHECK(!strcmp(buf, "/tmp/vfs/d/sub"));
	CHECK_EQ(vfs_getcwd(buf, 10), -ERANGE);
	CHECK_EQ(open_err("../f1", O_RDONLY), 0);
	CHECK_EQ(open_err(".//..//./f1", O_RDONLY), 0);
	CHECK_EQ(stat_of("../../../../../..", 0).ino, stat_of("/", 0).ino);
	CHECK_EQ(vfs_chdir(".."), 0);
	CHECK_EQ(vfs_getcwd(buf, sizeof(buf)), 11);
	CHECK_EQ(vfs_chdir("f1"), -ENOTDIR);
	d = open_f("/tmp/vfs/d", O_RDONLY | O_DIRECTORY, 0);
	CHECK_EQ(vfs_chdir("/"), 0);
	if (d) {
		struct file *f = NULL, *g;

		CHECK_EQ(vfs_openat(d, "f1", O_RDONLY, 0, &f), 0);
		if (f) {
			CHECK_EQ(vfs_openat(f, "x", O_RDONLY, 0, &g), -ENOTDIR);
			file_put(f);
		}
		CHECK_EQ(vfs_fchdir(d), 0);
		CHECK_EQ(open_err("sub/../f1", O_RDONLY), 0);
		file_put(d);
	}
	CHECK_EQ(vfs_getcwd(buf, sizeof(buf)), 11);
	/* A removed working directory. */
	CHECK_EQ(vfs_mkdirat(NULL, "doomed", 0755), 0);
	CHECK_EQ(vfs_chdir("doomed"), 0);
	CHECK_EQ(vfs_unlinkat(NULL, "../doomed", AT_REMOVEDIR), 0);
	CHECK_EQ(vfs_getcwd(buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(open_err("new", O_CREAT | O_RDWR), -ENOENT);
	CHECK_EQ(open_err("..", O_RDONLY), -ENOENT);
	CHECK_EQ(vfs_chdir("/"), 0);
	CHECK_EQ(vfs_getcwd(buf, sizeof(buf)), 2);
	/* Length limits: a 256-byte name, a 4096-byte path. */
	memset(name, 'n', 256);
	name[256] = '\0';
	CHECK_EQ(open_err(name, O_CREAT | O_RDWR), -ENAMETOOLONG);
	name[255] = '\0';
	CHECK_EQ(open_err(name, O_RDONLY), -ENOENT);
	char *longp = malloc(PATH_MAX + 1);
	if (longp) {
		for (int i = 0; i < PATH_MAX; i++)
			longp[i] = i % 2 ? '/' : 'x';
		longp[PATH_MAX] = '\0';
		CHECK_EQ(open_err(longp, O_RDONLY), -ENAMETOOLONG);
		free(longp);
	}
	CHECK_EQ(open_err("", O_RDONLY), -ENOENT);
	return failures;
}

static int attributes(void)
{
	int failures = 0;
	struct timespec_k t[2] = {{1000, 5}, {2000, UTIME_OMIT}};
	struct kstat st;

	CHECK_EQ(vfs_faccessat(NULL, "/tmp/vfs/a", R_OK | W_OK, 0), 0);
	CHECK_EQ(vfs_faccessat(NULL, "/tmp/vfs/a", X_OK, 0), -EACCES);
	CHECK_EQ(vfs_faccessat(NULL, "/tmp/vfs/d", X_OK, 0), 0);
	CHECK_EQ(vfs_faccessat(NULL, "/tmp/vfs/a", 8, 0), -EINVAL);
	CHECK_EQ(vfs_chmodat(NULL, "/tmp/vfs/a", 04755, 0), 0);
	CHECK_EQ(vfs_faccessat(NULL, "/tmp/vfs/a", X_OK, 0), 0);
	CHECK_EQ(stat_of("/tmp/vfs/a", 0).mode, S_IFREG | 04755);
	CHECK_EQ(vfs_chownat(NULL, "/tmp/vfs/a", 7, -1, 0), 0);
	st = stat_of("/tmp/vfs/a", 0);
	CHECK_EQ(st.mode, S_IFREG | 0755); /* chown clears set-uid */
	CHECK_EQ(st.uid, 7);
	CHECK_EQ(st.gid, 0);
	CHECK_EQ(vfs_utimensat(NULL, "/tmp/vfs/a", t, 0), 0);
	st = stat_of("/tmp/vfs/a", 0);
	CHECK_EQ(st.atime.sec, 1000);
	CHECK_EQ(st.atime.nsec, 5);
	CHECK(st.mtime.sec != 2000);
	t[1].nsec = 1000000000;
	CHECK_EQ(vfs_utimensat(NULL, "/tmp/vfs/a", t, 0), -EINVAL);
	CHECK_EQ(vfs_chmodat(NULL, "/tmp/vfs/s", 0600, AT_SYMLINK_NOFOLLOW),
		 -EOPNOTSUPP);
	return failures;
}

/* ---- the fd table ---- */
static int fd_table(void)
{
	int failures = 0;
	struct file *f = open_f("/dev/null", O_RDWR, 0), *g;
	unsigned old_limit = fd_get_limit();

	if (!f)
		return 1;
	file_get(f);
	CHECK_EQ(fd_install(f, 100, false), 100);
	file_get(f);
	CHECK_EQ(fd_install(f, 100, true), 101);
	CHECK_EQ(fd_get_cloexec(100), 0);
	CHECK_EQ(fd_get_cloexec(101), 1);
	CHECK_EQ(fd_set_cloexec(101, false), 0);
	CHECK_EQ(fd_get_cloexec(101), 0);
	CHECK_EQ(fd_close(100), 0);
	CHECK_EQ(fd_close(100), -EBADF);
	file_get(f);
	CHECK_EQ(fd_install(f, 100, false), 100); /* the lowest again */
	CHECK_EQ(fd_dup2(100, 200, true), 200);
	CHECK_EQ(fd_get_cloexec(200), 1);
	g = fd_get(200);
	CHECK(g == f);
	if (g)
		file_put(g);
	CHECK_EQ(fd_dup2(100, 100, false), 100);
	CHECK_EQ(fd_dup2(150, 151, false), -EBADF);
	CHECK_EQ(fd_dup2(100, -1, false), -EBADF);
	CHECK_EQ(fd_dup2(100, old_limit, false), -EBADF);
	CHECK(fd_get(-1) == NULL);
	CHECK(fd_get(150) == NULL);
	CHECK(fd_get(1 << 30) == NULL);
	CHECK_EQ(fd_set_cloexec(150, true), -EBADF);
	CHECK_EQ(fd_get_cloexec(150), -EBADF);
	CHECK_EQ(fd_close(-1), -EBADF);
	/* The limit: 102..104 fill up, then -EMFILE. */
	CHECK_EQ(fd_set_limit(105), 0);
	for (int i = 102; i < 105; i++) {
		file_get(f);
		CHECK_EQ(fd_install(f, 100, false), i);
	}
	CHECK_EQ(fd_install(f, 100, false), -EMFILE);
	CHECK_EQ(fd_install(f, 105, false), -EINVAL);
	CHECK_EQ(fd_set_limit(old_limit), 0);
	CHECK_EQ(fd_set_limit(1ull << 40), -EPERM);
	for (int i = 100; i < 105; i++)
		CHECK_EQ(fd_close(i), 0);
	CHECK_EQ(fd_close(200), 0);
	CHECK_EQ(f->refs, 1);
	file_put(f);
	return failures;
}

/* ---- devices ---- */
struct termios_t {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
};

static int dev_basic(void)
{
	int failures = 0;
	char buf[64];
	struct file *f;

	memset(buf, 'q', sizeof(buf));
	if ((f = open_f("/dev/null", O_RDWR, 0))) {
		CHECK_EQ(vfs_read(f, buf, sizeof(buf)), 0);
		CHECK_EQ(vfs_write(f, buf, sizeof(buf)), sizeof(buf));
		CHECK_EQ(vfs_lseek(f, 100, SEEK_SET), 0);
		file_put(f);
	}
	if ((f = open_f("/dev/zero", O_RDWR, 0))) {
		CHECK_EQ(vfs_read(f, buf, sizeof(buf)), sizeof(buf));
		CHECK(all_zero(buf, sizeof(buf)));
		CHECK_EQ(vfs_write(f, buf, 3), 3);
		file_put(f);
	}
	if ((f = open_f("/dev/full", O_RDWR, 0))) {
		memset(buf, 'q', sizeof(buf));
		CHECK_EQ(vfs_write(f, buf, 1), -ENOSPC);
		CHECK_EQ(vfs_read(f, buf, 8), 8);
		CHECK(all_zero(buf, 8));
		file_put(f);
	}
	CHECK_EQ(stat_of("/dev/null", 0).rdev, fs_makedev(1, 3));
	CHECK_EQ(stat_of("/dev/null", 0).mode, S_IFCHR | 0666);
	CHECK_EQ(stat_of("/dev/console", 0).mode, S_IFCHR | 0600);
	CHECK_EQ(stat_of("/dev/shm", 0).mode, S_IFDIR | 01777);
	CHECK_EQ(stat_of("/dev/stdin", AT_SYMLINK_NOFOLLOW).mode,
		 S_IFLNK | 0777);
	CHECK_EQ(vfs_mknodat(NULL, "/tmp/vfs/mynull", S_IFCHR | 0666,
			     fs_makedev(1, 3)),
		 0);
	CHECK_EQ(open_err("/tmp/vfs/mynull", O_RDWR), 0);
	CHECK_EQ(vfs_mknodat(NULL, "/tmp/vfs/nodev", S_IFCHR | 0666,
			     fs_makedev(99, 1)),
		 0);
	CHECK_EQ(open_err("/tmp/vfs/nodev", O_RDWR), -ENXIO);
	CHECK_EQ(vfs_mknodat(NULL, "/tmp/vfs/fifo", S_IFIFO | 0666, 0), 0);
	CHECK_EQ(vfs_mknodat(NULL, "/tmp/vfs/dirnode", S_IFDIR | 0666, 0),
		 -EPERM);
	return failures;
}

static int dev_random_tty(void)
{
	int failures = 0;
	uint8_t a[32], b[32], big[1000];
	struct termios_t t;
	uint16_t ws[4];
	struct file *f;

	if ((f = open_f("/dev/urandom", O_RDONLY, 0))) {
		CHECK_EQ(vfs_read(f, a, sizeof(a)), 32);
		CHECK_EQ(vfs_read(f, b, sizeof(b)), 32);
		CHECK(memcmp(a, b, sizeof(a)) != 0);
		CHECK(!all_zero((char *)a, sizeof(a)));
		CHECK_EQ(vfs_read(f, big, sizeof(big)), sizeof(big));
		CHECK(memcmp(big + 900, big + 936, 32) != 0);
		file_put(f);
	}
	if ((f = open_f("/dev/console", O_RDWR, 0))) {
		CHECK_EQ(vfs_ioctl_arg_size(TCGETS), sizeof(t));
		CHECK_EQ(vfs_ioctl(f, TCGETS, &t), 0);
		CHECK(t.lflag & 2);   /* ICANON */
		CHECK_EQ(t.cc[0], 3); /* VINTR is ^C */
		CHECK_EQ(vfs_ioctl(f, TIOCGWINSZ, ws), 0);
		CHECK_EQ(ws[0], 24);
		CHECK_EQ(ws[1], 80);
		CHECK_EQ(vfs_read(f, a, 1), 0); /* no input yet: EOF */
		CHECK_EQ(vfs_write(f, "", 0), 0);
		CHECK_EQ(vfs_lseek(f, 0, SEEK_SET), -ESPIPE);
		CHECK_EQ(vfs_ioctl(f, 0x1234, NULL), -ENOTTY);
		file_put(f);
	}
	if ((f = open_f("/tmp/vfs/a", O_RDONLY, 0))) {
		int n = -1;

		CHECK_EQ(vfs_ioctl(f, TCGETS, &t), -ENOTTY);
		CHECK_EQ(vfs_ioctl(f, FIONREAD, &n), 0);
		CHECK_EQ(n, vfs_file_size(f));
		file_put(f);
	}
	return failures;
}

/* ---- cpio ---- */
struct cpio_buf {
	char p[2048];
	size_t len;
};

static void cpio_pad(struct cpio_buf *b)
{
	while (b->len & 3)
		b->p[b->len++] = '\0';
}

static void cpio_add(struct cpio_buf *b, const char *name, uint32_t ino,
		     uint32_t mode, uint32_t nlink, const char *data,
		     uint32_t rdev_minor)
{
	size_t size = data ? strlen(data) : 0, namesize = strlen(name) + 1;

	b->len += snprintf(b->p + b->len, sizeof(b->p) - b->len,
			   "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x"
			   "%08x%08x%08zx%08x",
			   ino, mode, 5, 6, nlink, 1234567890, size, 0, 0,
			   rdev_minor ? 1 : 0, rdev_minor, namesize, 0);
	memcpy(b->p + b->len, name, namesize);
	b->len += namesize;
	cpio_pad(b);
	if (size)
		memcpy(b->p + b->len, data, size);
	b->len += size;
	cpio_pad(b);
}

static void cpio_trailer(struct cpio_buf *b)
{
	cpio_add(b, "TRAILER!!!", 0, 0, 1, NULL, 0);
}

/* An archive as GNU cpio writes one: the hard link's data comes last. */
static void good_archive(struct cpio_buf *b)
{
	b->len = 0;
	cpio_add(b, ".", 1, S_IFDIR | 0755, 2, NULL, 0);
	cpio_add(b, "./ct", 2, S_IFDIR | 0750, 2, NULL, 0);
	cpio_add(b, "ct/a.txt", 3, S_IFREG | 0640, 1, "hello\n", 0);
	cpio_add(b, "ct/link", 4, S_IFLNK | 0777, 1, "a.txt", 0);
	cpio_add(b, "ct/h1", 77, S_IFREG | 0644, 2, NULL, 0);
	cpio_add(b, "ct/h2", 77, S_IFREG | 0644, 2, "linked", 0);
	cpio_add(b, "/ct/deep/er/f", 5, S_IFREG | 0600, 1, "x", 0);
	cpio_add(b, "ct/null", 6, S_IFCHR | 0666, 1, NULL, 3);
	cpio_trailer(b);
}

static int cpio_good_checks(void)
{
	int failures = 0;
	struct kstat st = stat_of("/ct/a.txt", 0), h1, h2;
	char buf[16];

	CHECK_EQ(st.mode, S_IFREG | 0640);
	CHECK_EQ(st.uid, 5);
	CHECK_EQ(st.gid, 6);
	CHECK_EQ(st.mtime.sec, 1234567890);
	CHECK(file_is("/ct/a.txt", "hello\n"));
	CHECK(file_is("/ct/link", "hello\n"));
	CHECK_EQ(vfs_readlinkat(NULL, "/ct/link", buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "a.txt", 5));
	h1 = stat_of("/ct/h1", 0);
	h2 = stat_of("/ct/h2", 0);
	CHECK_EQ(h1.ino, h2.ino);
	CHECK_EQ(h1.nlink, 2);
	CHECK(file_is("/ct/h1", "linked"));
	CHECK(file_is("/ct/deep/er/f", "x"));
	CHECK_EQ(stat_of("/ct/deep", 0).mode, S_IFDIR | 0755);
	CHECK_EQ(stat_of("/ct", 0).mode, S_IFDIR | 0750);
	CHECK_EQ(stat_of("/ct", 0).mtime.sec, 1234567890);
	CHECK_EQ(stat_of("/ct/null", 0).rdev, fs_makedev(1, 3));
	CHECK_EQ(open_err("/ct/null", O_RDWR), 0);
	CHECK_EQ(stat_of("/", 0).mode, S_IFDIR | 0755);
	return failures;
}

static int cpio_bad(const char *name, uint32_t mode, const char *data)
{
	static struct cpio_buf b;

	b.len = 0;
	cpio_add(&b, name, 9, mode, 1, data, 0);
	cpio_trailer(&b);
	return fs_unpack_initrd(b.p, b.len);
}

static int cpio_unpack(void)
{
	static struct cpio_buf b;
	int failures = 0;

	good_archive(&b);
	CHECK_EQ(fs_unpack_initrd(b.p, b.len), 0);
	failures += cpio_good_checks();
	/* Again, over what is there: the same result. */
	CHECK_EQ(fs_unpack_initrd(b.p, b.len), 0);
	failures += cpio_good_checks();
	kprintf("  (six error messages expected)\n");
	CHECK_EQ(cpio_bad("../evil", S_IFREG | 0644, "x"), -EINVAL);
	CHECK_EQ(cpio_bad("ct/../../evil", S_IFREG | 0644, "x"), -EINVAL);
	CHECK_EQ(cpio_bad("ct/nolink", S_IFLNK | 0777, NULL), -EINVAL);
	CHECK_EQ(cpio_bad("ct/weird", 0170644, "x"), -EINVAL);
	CHECK_EQ(open_err("/evil", O_RDONLY), -ENOENT);
	CHECK_EQ(fs_unpack_initrd("garbage, not cpio!!!", 20), -EINVAL);
	CHECK_EQ(fs_unpack_initrd(b.p, b.len / 2 & ~3ul), -EINVAL);
	CHECK_EQ(fs_unpack_initrd(b.p, 0), 0);
	/* The archive's "." gave / its owner (5:6); give it back. */
	CHECK_EQ(vfs_chownat(NULL, "/", 0, 0, 0), 0);
	return failures;
}

/* ---- threads ---- */
#define NTHREADS 4
#define RECORDS 100

static void appender(void *arg)
{
	struct file *f = open_f("/tmp/vfs/log", O_WRONLY | O_APPEND, 0);
	char name[32];
	int id = (int)(uintptr_t)arg;

	for (int i = 0; f && i < RECORDS; i++) {
		snprintf(name, sizeof(name), "/tmp/vfs/t/%d-%d", id, i % 5);
		if (vfs_write(f, "0123456789", 10) != 10 ||
		    open_err(name, O_CREAT | O_WRONLY) ||
		    vfs_unlinkat(NULL, name, 0))
			break;
		if (i % 10 == 0)
			thread_yield();
	}
	if (f)
		file_put(f);
}

static int threads(void)
{
	int failures = 0;
	struct thread *ts[NTHREADS];
	struct listing l;
	struct file *d;

	CHECK_EQ(open_err("/tmp/vfs/log", O_CREAT | O_WRONLY), 0);
	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs/t", 0755), 0);
	for (int i = 0; i < NTHREADS; i++)
		ts[i] = thread_create("vfs", appender, (void *)(uintptr_t)i, 0);
	for (int i = 0; i < NTHREADS; i++)
		if (ts[i])
			thread_join(ts[i]);
	CHECK_EQ(stat_of("/tmp/vfs/log", 0).size, NTHREADS * RECORDS * 10);
	d = open_f("/tmp/vfs/t", O_RDONLY, 0);
	if (d) {
		CHECK_EQ(list_dir(d, 512, &l), 0);
		CHECK_EQ(l.n, 2); /* only "." and ".." are left */
		file_put(d);
	}
	return failures;
}

static int vfs_test(void)
{
	int failures = 0;

	CHECK_EQ(vfs_mkdirat(NULL, "/tmp/vfs", 0755), 0);
	failures += files_basic() + files_holes() + files_large();
	failures += unlink_while_open() + dirs_listing() + dirs_errors();
	failures += renames() + renames_dirs() + hard_links() + symlinks();
	failures += symlink_loops() + relative_paths() + attributes();
	failures += fd_table() + dev_basic() + dev_random_tty();
	failures += cpio_unpack() + threads();
	return failures;
}
SELFTEST("vfs", vfs_test);
