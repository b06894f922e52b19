/*
 * cpio "newc" (SVR4, portable ASCII) archives. Each entry is
 *
 *   a 110-byte header: the magic "070701" ("070702" when the check field
 *     of a regular file holds the 32-bit sum of its data bytes), then 13 fields
 *     of 8 hex digits: ino mode uid gid nlink mtime filesize devmajor
 *     devminor rdevmajor rdevminor namesize check;
 *   the name, namesize bytes counting its NUL, padded with NULs so that
 *     header and name end on a multiple of 4;
 *   the data, filesize bytes, padded to a multiple of 4.
 *
 * An archive ends with an entry named "TRAILER!!!". Linux unpacks several
 * archives one after another, with zero bytes between them, and so do we;
 * each one starts 4-byte aligned. Offsets are counted from the start of
 * the whole input, as Linux does (init/initramfs.c).
 */
#include "fs/cpio.h"
#include "kernel/kernel.h"

#define HDR_LEN 110
#define MAGIC_LEN 6
#define NFIELDS 13
#define TRAILER "TRAILER!!!"
#define S_IFMT 0170000 /* the file type bits of mode */
#define S_IFREG 0100000

enum {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
};

/* Where one entry's parts lie, all checked to be inside the input. */
struct raw_entry {
	uint32_t f[NFIELDS];
	size_t name_off, data_off, next;
	bool trailer;
};

static int cpio_fail(const char **err, const char *msg)
{
	if (err)
		*err = msg;
	return -EINVAL;
}

/* *end = off + n, if that is no further than len. */
static bool span(size_t off, size_t n, size_t len, size_t *end)
{
	return !__builtin_add_overflow(off, n, end) && *end <= len;
}

static bool align4(size_t x, size_t *out)
{
	if (__builtin_add_overflow(x, (size_t)3, out))
		return false;
	*out &= ~(size_t)3;
	return true;
}

static bool parse_hex8(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* The magic and fields of the header at off; *crc for "070702". */
static int read_header(const char *p, size_t len, size_t off,
		       struct raw_entry *r, bool *crc, const char **err)
{
	if (len - off < HDR_LEN)
		return cpio_fail(err, "truncated header");
	p += off;
	if (memcmp(p, "07070", 5) || (p[5] != '1' && p[5] != '2'))
		return cpio_fail(err, "bad magic (not a newc cpio archive)");
	*crc = p[5] == '2';
	for (int i = 0; i < NFIELDS; i++)
		if (!parse_hex8(p + MAGIC_LEN + 8 * i, &r->f[i]))
			return cpio_fail(err, "non-hex digit in a header");
	return 0;
}

/* Checks the name at r->name_off and finds where the data starts. */
static int read_name(const char *p, size_t len, struct raw_entry *r,
		     const char **err)
{
	size_t n = r->f[F_NAMESIZE], end;

	if (n == 0)
		return cpio_fail(err, "name without its NUL");
	if (!span(r->name_off, n, len, &end))
		return cpio_fail(err, "truncated name");
	if (p[end - 1] != '\0')
		return cpio_fail(err, "name without its NUL");
	if (strnlen(p + r->name_off, n - 1) != n - 1)
		return cpio_fail(err, "NUL inside a name");
	r->trailer = n == sizeof(TRAILER) &&
		     !memcmp(p + r->name_off, TRAILER, sizeof(TRAILER));
	if (!align4(end, &r->data_off))
		return cpio_fail(err, "truncated name");
	return 0;
}

static uint32_t byte_sum(const unsigned char *d, size_t n)
{
	uint32_t sum = 0;

	while (n--)
		sum += *d++;
	return sum;
}

/* Checks the data and finds where the next entry starts. */
static int read_data(const char *p, size_t len, struct raw_entry *r, bool crc,
		     const char **err)
{
	size_t size = r->f[F_FILESIZE], end;

	uint32_t sum = 0;

	/* With no data, data_off may lie past the end of a cut trailer. */
	end = r->data_off;
	if (size && !span(r->data_off, size, len, &end))
		return cpio_fail(err, "file size runs past the end");
	/* GNU cpio sums regular files only: a symlink's check field is 0. */
	crc = crc && (r->f[F_MODE] & S_IFMT) == S_IFREG;
	if (crc && size)
		sum = byte_sum((const unsigned char *)p + r->data_off, size);
	if (crc && sum != r->f[F_CHECK])
		return cpio_fail(err, "checksum mismatch");
	if (!align4(end, &r->next))
		return cpio_fail(err, "truncated data");
	if (r->trailer) {
		/* The last trailer's padding may be cut off: harmless. */
		r->next = MIN(r->next, len);
	} else if (r->next >= len) {
		return cpio_fail(err, "missing trailer");
	}
	return 0;
}

static int read_entry(const char *p, size_t len, size_t off,
		      struct raw_entry *r, const char **err)
{
	bool crc;
	int ret;

	ret = read_header(p, len, off, r, &crc, err);
	if (ret)
		return ret;
	r->name_off = off + HDR_LEN; /* cannot overflow: read_header checked */
	ret = read_name(p, len, r, err);
	if (ret)
		return ret;
	return read_data(p, len, r, crc, err);
}

/*
 * After a trailer: skips the zero bytes that may pad the archive. Returns
 * 0 with *off at the next archive, 1 at the end of the input.
 */
static int skip_padding(const char *p, size_t len, size_t *off,
			const char **err)
{
	while (*off < len && p[*off] == '\0')
		(*off)++;
	if (*off == len)
		return 1;
	if (*off & 3)
		return cpio_fail(err, "garbage after a trailer");
	return 0;
}

static void fill_entry(const char *p, const struct raw_entry *r,
		       struct cpio_entry *e)
{
	e->name = p + r->name_off;
	e->namelen = r->f[F_NAMESIZE] - 1;
	e->ino = r->f[F_INO];
	e->mode = r->f[F_MODE];
	e->uid = r->f[F_UID];
	e->gid = r->f[F_GID];
	e->nlink = r->f[F_NLINK];
	e->mtime = r->f[F_MTIME];
	e->devmajor = r->f[F_DEVMAJOR];
	e->devminor = r->f[F_DEVMINOR];
	e->rdevmajor = r->f[F_RDEVMAJOR];
	e->rdevminor = r->f[F_RDEVMINOR];
	e->data = p + r->data_off;
	e->size = r->f[F_FILESIZE];
}

int cpio_next(const void *buf, size_t len, size_t *offset, struct cpio_entry *e,
	      const char **err)
{
	const char *p = buf;
	size_t off = *offset;
	struct raw_entry r;
	int ret;

	if (off > len || (off & 3))
		return cpio_fail(err, "bad offset");
	if (off == len)
		return 0;
	for (;;) {
		ret = read_entry(p, len, off, &r, err);
		if (ret)
			return ret;
		if (!r.trailer)
			break;
		off = r.next;
		ret = skip_padding(p, len, &off, err);
		if (ret) {
			if (ret > 0)
				*offset = len;
			return ret < 0 ? ret : 0;
		}
	}
	fill_entry(p, &r, e);
	*offset = r.next;
	return 1;
}

long cpio_validate(const void *buf, size_t len, const char **err)
{
	struct cpio_entry e;
	size_t off = 0;
	long n = 0;
	int ret;

	while ((ret = cpio_next(buf, len, &off, &e, err)) > 0)
		n++;
	return ret < 0 ? ret : n;
}
