/*
 * The image being built: a set of entries keyed by their absolute path,
 * written out as a cpio "newc" archive (Linux:
 * Documentation/driver-api/early-userspace/buffer-format.rst), the format
 * fs/cpio.c reads. Each member is
 *
 *   "070701" and 13 fields of 8 hex digits: ino mode uid gid nlink mtime
 *   filesize devmajor devminor rdevmajor rdevminor namesize check,
 *   the name and its NUL, padded to 4 bytes, then the data padded to 4;
 *
 * and the archive ends with a member named "TRAILER!!!". Names are
 * written without the leading "/", as the kernel's cpio does; members are
 * sorted by name, so a directory always comes before what it holds;
 * everything belongs to root (uid and gid 0) and every member has its own
 * inode number (no hard links).
 */
#define _GNU_SOURCE /* strchrnul, vasprintf, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

#define CPIO_MAX_SIZE 0xffffffffull /* newc sizes are 32-bit */
#define MAX_LINKS 40		    /* Linux's symlink limit */

static size_t hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

struct image *image_new(void)
{
	struct image *img = xcalloc(1, sizeof(*img));

	img->nbuckets = 4096;
	img->buckets = xcalloc(img->nbuckets, sizeof(*img->buckets));
	return img;
}

struct entry *image_find(const struct image *img, const char *path)
{
	struct entry *e = img->buckets[hash(path) % img->nbuckets];

	while (e && strcmp(e->path, path))
		e = e->hash_next;
	return e;
}

static void rehash(struct image *img)
{
	size_t n = img->nbuckets * 4;
	struct entry **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < img->n; i++) {
		struct entry *e = img->entries[i];
		size_t h = hash(e->path) % n;

		e->hash_next = b[h];
		b[h] = e;
	}
	free(img->buckets);
	img->buckets = b;
	img->nbuckets = n;
}

static void insert(struct image *img, struct entry *e)
{
	size_t h;

	if (img->n == img->cap) {
		img->cap = img->cap ? img->cap * 2 : 256;
		img->entries =
		    xrealloc(img->entries, img->cap * sizeof(*img->entries));
	}
	img->entries[img->n++] = e;
	if (img->n > img->nbuckets)
		rehash(img);
	h = hash(e->path) % img->nbuckets;
	e->hash_next = img->buckets[h];
	img->buckets[h] = e;
}

static const char *describe(const struct entry *e)
{
	if (e->type == ENTRY_SYMLINK)
		return xasprintf("a symlink to %s", e->data);
	if (e->type == ENTRY_DIR)
		return "a directory";
	return e->source ? xasprintf("a copy of %s", e->source)
			 : xasprintf("a generated %s", e->why);
}

static bool same(const struct entry *a, const struct entry *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case ENTRY_DIR:
		return true;
	case ENTRY_SYMLINK:
		return strcmp(a->data, b->data) == 0;
	case ENTRY_FILE:
		if (a->source || b->source)
			return a->source && b->source && a->dev == b->dev &&
			       a->ino == b->ino;
		return a->size == b->size && !memcmp(a->data, b->data, a->size);
	}
	return false;
}

/* Each directory above `path` must be a directory entry; missing ones are
 * made (mode 0755). A symlink there would put the entry out of reach. */
static void make_parents(struct image *img, const char *path)
{
	char *p = xstrdup(path);

	for (char *slash = strchr(p + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		struct entry *e;

		*slash = '\0';
		e = image_find(img, p);
		if (!e) {
			e = xcalloc(1, sizeof(*e));
			e->path = xstrdup(p);
			e->type = ENTRY_DIR;
			e->mode = 0755;
			e->why = "parent";
			insert(img, e);
		} else if (e->type != ENTRY_DIR) {
			fail(FAIL_OTHER,
			     "cannot add %s to the image: %s is %s there", path,
			     p, describe(e));
		}
		*slash = '/';
	}
	free(p);
}

static struct entry *add(struct image *img, struct entry *want)
{
	struct entry *e = image_find(img, want->path);

	if (e && same(e, want)) {
		/* A directory made as a parent takes the real one's mode. */
		if (e->type == ENTRY_DIR && strcmp(e->why, "parent") == 0) {
			e->mode = want->mode;
			e->mtime = want->mtime;
			e->why = want->why;
		}
		return e;
	}
	if (e)
		fail(FAIL_OTHER, "%s is in the image twice: %s and %s",
		     want->path, describe(e), describe(want));
	if (want->path[0] != '/' || !want->path[1])
		fail(FAIL_USAGE, "'%s': not an absolute path to a file",
		     want->path);
	make_parents(img, want->path);
	e = xmalloc(sizeof(*e));
	*e = *want;
	e->path = xstrdup(want->path);
	insert(img, e);
	return e;
}

struct entry *image_add_dir(struct image *img, const char *path, uint32_t mode,
			    uint32_t mtime)
{
	struct entry want = {.path = (char *)path,
			     .type = ENTRY_DIR,
			     .mode = mode & 07777,
			     .mtime = mtime,
			     .why = "directory"};

	return add(img, &want);
}

uint32_t image_mtime(const struct stat *st)
{
	if (st->st_mtime < 0)
		return 0;
	return (uint64_t)st->st_mtime > UINT32_MAX ? UINT32_MAX
						   : (uint32_t)st->st_mtime;
}

struct entry *image_add_file(struct image *img, const char *path,
			     const char *source, const struct stat *st,
			     const char *why)
{
	struct entry want = {.path = (char *)path,
			     .type = ENTRY_FILE,
			     .mode = st->st_mode & 07777,
			     .mtime = image_mtime(st),
			     .source = (char *)source,
			     .dev = st->st_dev,
			     .ino = st->st_ino,
			     .size = st->st_size,
			     .why = why};
	struct entry *e;

	if ((uint64_t)st->st_size > CPIO_MAX_SIZE)
		fail(FAIL_OTHER, "%s: too big for a cpio image (4 GiB at most)",
		     source);
	e = add(img, &want);
	if (e->source == source)
		e->source = xstrdup(source);
	return e;
}

struct entry *image_add_data(struct image *img, const char *path,
			     const char *data, size_t len, uint32_t mode,
			     const char *why)
{
	struct entry want = {.path = (char *)path,
			     .type = ENTRY_FILE,
			     .mode = mode & 07777,
			     .data = (char *)data,
			     .size = len,
			     .why = why};
	struct entry *e = add(img, &want);

	if (e->data == data) {
		e->data = xmalloc(len);
		memcpy(e->data, data, len);
	}
	return e;
}

struct entry *image_add_symlink(struct image *img, const char *path,
				const char *target, const char *why)
{
	struct entry want = {.path = (char *)path,
			     .type = ENTRY_SYMLINK,
			     .mode = 0777,
			     .data = (char *)target,
			     .size = strlen(target),
			     .why = why};
	struct entry *e;

	if (!*target)
		fail(FAIL_OTHER, "%s: an empty symlink", path);
	e = add(img, &want);
	if (e->data == target)
		e->data = xstrdup(target);
	return e;
}

/* Appends `path` ("/a/../b/./c") to `out`, ".." and "." removed. */
static void append_normal(struct strbuf *out, const char *path)
{
	char *copy = xstrdup(path), *save, *part;

	for (part = strtok_r(copy, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			char *slash = out->s ? strrchr(out->s, '/') : NULL;

			if (slash) {
				out->len = slash - out->s;
				*slash = '\0';
			}
			continue;
		}
		sb_puts(out, "/");
		sb_puts(out, part);
	}
	free(copy);
}

/*
 * The directory `dir` (absolute) with the image's symlinks resolved;
 * *links counts the symlinks followed, at most MAX_LINKS in all.
 */
static char *resolve_dir(const struct image *img, const char *dir, int *links)
{
	char *out = xstrdup(""); /* resolved so far; "" is the root */
	char *copy = xstrdup(dir), *save, *part;

	for (part = strtok_r(copy, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		struct entry *e;
		char *next, *target;

		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			char *slash = strrchr(out, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		next = xasprintf("%s/%s", out, part);
		e = image_find(img, next);
		if (e && e->type == ENTRY_SYMLINK) {
			if (++*links > MAX_LINKS)
				fail(FAIL_OTHER,
				     "%s: too many levels of symlinks", dir);
			target = e->data[0] == '/'
				     ? xstrdup(e->data)
				     : xasprintf("%s/%s", out, e->data);
			free(next);
			next = resolve_dir(img, target, links);
			free(target);
			if (!strcmp(next, "/"))
				next[0] = '\0';
		}
		free(out);
		out = next;
	}
	free(copy);
	if (!*out) {
		free(out);
		out = xstrdup("/");
	}
	return out;
}

char *image_resolve_parent(const struct image *img, const char *path)
{
	struct strbuf norm = {0};
	char *dir, *resolved, *whole;
	const char *base;
	int links = 0;

	append_normal(&norm, path);
	if (!norm.s || path[0] != '/')
		fail(FAIL_USAGE, "'%s': not an absolute path to a file", path);
	base = strrchr(norm.s, '/') + 1;
	dir = path_dirname(norm.s);
	resolved = resolve_dir(img, dir, &links);
	whole = path_join(resolved, base);
	free(dir);
	free(resolved);
	free(norm.s);
	return whole;
}

static int by_path(const void *a, const void *b)
{
	return strcmp((*(struct entry *const *)a)->path,
		      (*(struct entry *const *)b)->path);
}

void image_sort(struct image *img)
{
	qsort(img->entries, img->n, sizeof(*img->entries), by_path);
}

/* ---- the manifest ---- */

/* "-> TARGET", "host (library)" for a host file at its own path,
 * "/host/path (--add)" for one placed elsewhere, "(generated)". */
static char *source_of(const struct entry *e)
{
	if (e->type == ENTRY_SYMLINK)
		return xasprintf("-> %s", e->data);
	if (!e->source)
		return xasprintf("(%s)", e->why);
	if (!strcmp(e->source, e->path))
		return xasprintf("host (%s)", e->why);
	return xasprintf("%s (%s)", e->source, e->why);
}

char *image_manifest(struct image *img, const char *cmdline)
{
	struct strbuf sb = {0};
	int width = 0;

	image_sort(img);
	for (size_t i = 0; i < img->n; i++) {
		int n = strlen(img->entries[i]->path);

		if (img->entries[i]->type != ENTRY_DIR && n > width && n <= 60)
			width = n;
	}
	sb_puts(&sb, "# Osprey image manifest, written by `osprey build`.\n"
		     "# Kernel command line: ");
	sb_puts(&sb, cmdline);
	sb_puts(&sb, "\n# Each file and symlink (directories are left out): "
		     "its path in the image,\n"
		     "# its size in bytes, where it comes from.\n");
	for (size_t i = 0; i < img->n; i++) {
		const struct entry *e = img->entries[i];
		char *source;

		if (e->type == ENTRY_DIR)
			continue;
		source = source_of(e);
		sb_printf(&sb, "%-*s %10llu  %s\n", width, e->path,
			  (unsigned long long)e->size, source);
		free(source);
	}
	sb_printf(&sb, "%-*s %10s  %s\n", width, "/etc/osprey/manifest", "-",
		  "(this file)");
	return sb.s;
}

/* ---- the cpio writer ---- */

struct writer {
	FILE *f;
	const char *path;
	uint64_t bytes;
};

static void put(struct writer *w, const void *data, size_t n)
{
	if (n && fwrite(data, 1, n, w->f) != n)
		fail(FAIL_OTHER, "cannot write %s: %s", w->path,
		     strerror(errno));
	w->bytes += n;
}

static void pad(struct writer *w)
{
	static const char zeros[4];

	put(w, zeros, (4 - w->bytes % 4) % 4);
}

static void put_header(struct writer *w, uint32_t ino, uint32_t mode,
		       uint32_t nlink, uint32_t mtime, uint32_t size,
		       const char *name)
{
	char hdr[111];
	size_t namesize = strlen(name) + 1;

	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino, mode, 0, 0, nlink, mtime, size, 0, 0, 0, 0,
		 (uint32_t)namesize, 0);
	put(w, hdr, 110);
	put(w, name, namesize);
	pad(w);
}

/* A host file's bytes; it must still have the size it had when added. */
static void put_source(struct writer *w, const struct entry *e)
{
	char buf[1 << 16];
	uint64_t done = 0;
	ssize_t n;
	int fd = open(e->source, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail(FAIL_NOTFOUND, "cannot read %s: %s", e->source,
		     strerror(errno));
	while (done < e->size && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(FAIL_OTHER, "cannot read %s: %s", e->source,
			     strerror(errno));
		}
		if ((uint64_t)n > e->size - done)
			n = e->size - done;
		put(w, buf, n);
		done += n;
	}
	close(fd);
	if (done != e->size)
		fail(FAIL_OTHER, "%s changed while the image was written",
		     e->source);
}

static void put_entry(struct writer *w, uint32_t ino, const struct entry *e)
{
	static const uint32_t types[] = {S_IFDIR, S_IFREG, S_IFLNK};

	put_header(w, ino, types[e->type] | e->mode,
		   e->type == ENTRY_DIR ? 2 : 1, e->mtime, (uint32_t)e->size,
		   e->path + 1);
	if (e->type == ENTRY_FILE && e->source)
		put_source(w, e);
	else if (e->type != ENTRY_DIR)
		put(w, e->data, e->size);
	pad(w);
}

uint64_t image_write(struct image *img, const char *out)
{
	struct writer w = {.path = out};
	char *tmp = xasprintf("%s.XXXXXX", out);
	int fd;

	image_sort(img);
	fd = mkstemp_cleanup(tmp);
	if (fd < 0)
		fail(FAIL_OTHER, "cannot create %s: %s", out, strerror(errno));
	fchmod(fd, 0644);
	w.f = fdopen(fd, "wb");
	if (!w.f)
		fail(FAIL_OTHER, "cannot write %s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < img->n; i++)
		put_entry(&w, i + 1, img->entries[i]);
	put_header(&w, 0, 0, 1, 0, 0, "TRAILER!!!");
	if (fflush(w.f) || fsync(fd) || fclose(w.f))
		fail(FAIL_OTHER, "cannot write %s: %s", out, strerror(errno));
	if (rename(tmp, out))
		fail(FAIL_OTHER, "cannot rename %s to %s: %s", tmp, out,
		     strerror(errno));
	cleanup_forget(tmp);
	free(tmp);
	return w.bytes;
}
