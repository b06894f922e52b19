/*
 * Reading /etc/ld.so.cache; the format is described in ldcache.h. The
 * file is outside input (a stale or foreign cache, or a hostile image
 * source): the header and the entry table are checked once, and each
 * string offset when it is used.
 *
 * ld.so searches the table by binary search with its own name order; a
 * linear scan finds the same entry (ldconfig writes one entry per name and
 * hwcaps variant) and does not depend on the order being right.
 */
#include <errno.h>
#include <string.h>

#include "tools/osprey/ldcache.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define OLD_HEADER 16 /* char magic[11], pad, u32 nlibs */
#define OLD_ENTRY 12  /* i32 flags, u32 key, u32 value */
#define NEW_HEADER 48
#define NEW_ENTRY 24
#define FLAGS_OFFSET 28 /* the header's endianness byte */
#define ENDIAN_UNSET 0
#define ENDIAN_LITTLE 2

static int bad(const char **err, const char *why)
{
	if (err)
		*err = why;
	return -EINVAL;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Where the new-format header starts: after the old table, if any,
 * aligned to 8 (the alignment of struct cache_file_new). */
static int new_header_offset(const uint8_t *buf, size_t len, size_t *off,
			     const char **err)
{
	uint64_t end;

	if (len >= OLD_HEADER && !memcmp(buf, OLD_MAGIC, strlen(OLD_MAGIC))) {
		end = OLD_HEADER + (uint64_t)get32(buf + 12) * OLD_ENTRY;
		end = (end + 7) & ~(uint64_t)7;
		if (end > len)
			return bad(err, "the old-format table is cut short");
		*off = end;
		return 0;
	}
	*off = 0;
	return 0;
}

int ldcache_open(const void *buf, size_t len, struct ldcache *c,
		 const char **err)
{
	const uint8_t *b = buf;
	uint64_t end;
	size_t off;
	int r;

	memset(c, 0, sizeof(*c));
	r = new_header_offset(b, len, &off, err);
	if (r)
		return r;
	if (len - off < NEW_HEADER ||
	    memcmp(b + off, NEW_MAGIC, strlen(NEW_MAGIC)))
		return bad(err, "no glibc-ld.so.cache1.1 table");
	if (b[off + FLAGS_OFFSET] != ENDIAN_UNSET &&
	    b[off + FLAGS_OFFSET] != ENDIAN_LITTLE)
		return bad(err, "not a little-endian cache");
	end = NEW_HEADER + (uint64_t)get32(b + off + 20) * NEW_ENTRY;
	if (end > len - off)
		return bad(err, "the table runs past the end of the file");
	c->base = (const char *)b + off;
	c->size = len - off;
	c->entries = b + off + NEW_HEADER;
	c->nlibs = get32(b + off + 20);
	return 0;
}

/* The string at offset `off`, if it ends inside the cache. */
static const char *string_at(const struct ldcache *c, uint32_t off)
{
	if (off >= c->size || !memchr(c->base + off, '\0', c->size - off))
		return NULL;
	return c->base + off;
}

const char *ldcache_lookup(const struct ldcache *c, const char *name)
{
	for (uint32_t i = 0; i < c->nlibs; i++) {
		const uint8_t *e = c->entries + (size_t)i * NEW_ENTRY;
		const char *key, *value;

		if (get32(e) != LDCACHE_FLAGS_X86_64 || get64(e + 16) != 0)
			continue;
		key = string_at(c, get32(e + 4));
		if (!key || strcmp(key, name))
			continue;
		value = string_at(c, get32(e + 8));
		if (value && value[0] == '/')
			return value;
	}
	return NULL;
}
