/*
 * mount(2)'s option string: comma-separated options, each a flag ("ro")
 * or key=value ("mode=1777"). Empty options (",,") are skipped, as
 * Linux's generic_parse_monolithic does. The generic superblock flags
 * "ro" and "rw" are taken by every file system (Linux: vfs_parse_sb_flag),
 * the last one winning; then each file system's own (man 5 tmpfs, the
 * 9p mount options in Linux's Documentation/filesystems/9p.rst).
 */
#include "fs/mount_opts.h"

#include "lib/lib.h"

#define EINVAL 22 /* as kernel/kernel.h */

/* How many bytes of p[0..len) come before the first c (len: none). */
static size_t span_to(const char *p, size_t len, char c)
{
	size_t i = 0;

	while (i < len && p[i] != c)
		i++;
	return i;
}

/* Whether opt[0..len) is exactly `word`. */
static bool opt_is(const char *opt, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(opt, word, len);
}

/* Whether opt[0..len) is "key=..."; its value then starts at *val. */
static bool opt_key(const char *opt, size_t len, const char *key,
		    const char **val, size_t *vlen)
{
	size_t k = strlen(key);

	if (len <= k || opt[k] != '=' || memcmp(opt, key, k))
		return false;
	*val = opt + k + 1;
	*vlen = len - k - 1;
	return true;
}

/* The digits p[0..*len) in `base`, up to `max`: 0 or -EINVAL. Stops at
 * the first non-digit and leaves in *len how many digits it took. */
static int opt_digits(const char *p, size_t *len, unsigned base, uint64_t max,
		      uint64_t *v)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < *len; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (p[i] < '0' || d >= base)
			break;
		if (n > (max - d) / base)
			return -EINVAL;
		n = n * base + d;
	}
	if (!i)
		return -EINVAL;
	*len = i;
	*v = n;
	return 0;
}

/* A whole number in `base`, up to 2^32 - 1. */
static int opt_u32(const char *p, size_t len, unsigned base, uint32_t *v)
{
	size_t n = len;
	uint64_t x;

	if (opt_digits(p, &n, base, 0xffffffffu, &x) || n != len)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* Linux's memparse: a number with an optional k, m, g, t, p or e. */
static int opt_memparse(const char *p, size_t len, uint64_t *v)
{
	static const char units[] = "kmgtpe";
	size_t n = len;
	const char *u;
	unsigned shift;

	if (opt_digits(p, &n, 10, UINT64_MAX, v))
		return -EINVAL;
	if (n == len)
		return 0;
	u = n + 1 == len ? strchr(units, p[n] | 0x20) : NULL;
	if (!u || !*u)
		return -EINVAL;
	shift = 10 * (unsigned)(u - units + 1);
	if (*v > UINT64_MAX >> shift)
		return -EINVAL;
	*v <<= shift;
	return 0;
}

/* tmpfs's size=: bytes with memparse's units, or a percentage of RAM. */
static int opt_size(const char *p, size_t len, uint64_t *v)
{
	size_t n = len - 1;

	if (len > 1 && p[len - 1] == '%') {
		if (opt_digits(p, &n, 10, 100, v) || n != len - 1)
			return -EINVAL;
		*v = 0; /* a share of memory: nothing to enforce it with */
		return 0;
	}
	return opt_memparse(p, len, v);
}

static int tmpfs_opt(const char *opt, size_t len, struct mount_opts *o)
{
	const char *v;
	size_t n;

	if (opt_key(opt, len, "mode", &v, &n)) {
		o->set |= MOUNT_OPT_MODE;
		return opt_u32(v, n, 8, &o->mode);
	}
	if (opt_key(opt, len, "uid", &v, &n)) {
		o->set |= MOUNT_OPT_UID;
		return opt_u32(v, n, 10, &o->uid);
	}
	if (opt_key(opt, len, "gid", &v, &n)) {
		o->set |= MOUNT_OPT_GID;
		return opt_u32(v, n, 10, &o->gid);
	}
	if (opt_key(opt, len, "size", &v, &n)) {
		o->set |= MOUNT_OPT_LIMITS;
		return opt_size(v, n, &o->size);
	}
	if (opt_key(opt, len, "nr_inodes", &v, &n)) {
		o->set |= MOUNT_OPT_LIMITS;
		return opt_memparse(v, n, &o->nr_inodes);
	}
	return -EINVAL;
}

/* 9p: the transport and protocol we speak are the only ones taken. */
static int p9_opt(const char *opt, size_t len)
{
	if (opt_is(opt, len, "trans=virtio") ||
	    opt_is(opt, len, "version=9p2000.L"))
		return 0;
	return -EINVAL;
}

static int one_opt(const char *opt, size_t len, enum mount_fs fs,
		   struct mount_opts *o)
{
	if (opt_is(opt, len, "ro") || opt_is(opt, len, "rw")) {
		o->set |= MOUNT_OPT_RO;
		o->rdonly = opt[1] == 'o';
		return 0;
	}
	if (fs == MOUNT_FS_TMPFS)
		return tmpfs_opt(opt, len, o);
	if (fs == MOUNT_FS_9P)
		return p9_opt(opt, len);
	return -EINVAL; /* ext4: none of its own yet */
}

int mount_opts_parse(const char *data, size_t len, enum mount_fs fs,
		     struct mount_opts *o)
{
	int err = 0;

	memset(o, 0, sizeof(*o));
	len = span_to(data, len, '\0');
	while (len && !err) {
		size_t n = span_to(data, len, ',');

		err = n ? one_opt(data, n, fs, o) : 0;
		n += n < len; /* the comma */
		data += n;
		len -= n;
	}
	return err;
}
