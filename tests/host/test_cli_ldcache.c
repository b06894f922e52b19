/*
 * Host tests for tools/osprey/ldcache.c, the /etc/ld.so.cache reader of
 * `osprey build`: caches built here (new format alone, and after the old
 * libc5 table) answer lookups as ld.so would, entries it must pass over
 * (other architectures, glibc-hwcaps variants, offsets outside the file)
 * are passed over, broken headers are refused with their own message, and
 * the host's own cache agrees with `ldconfig -p`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/host/check.h"
#include "tools/osprey/ldcache.h"

#define HEADER 48
#define ENTRY 24

struct cache_entry {
	int32_t flags;
	uint32_t key, value; /* offsets into the strings, or raw if raw */
	uint64_t hwcap;
	bool raw;
};

static const char strings[] = "libc.so.6\0/lib/x86_64-linux-gnu/libc.so.6\0"
			      "libm.so.6\0/lib32/libm.so.6\0"
			      "/usr/lib/x86_64-linux-gnu/libm.so.6\0"
			      "libz.so.1\0/hwcaps/libz.so.1\0/lib/libz.so.1";
enum {
	K_LIBC = 0,
	V_LIBC = 10,
	K_LIBM = 42,
	V_LIBM32 = 52,
	V_LIBM = 69,
	K_LIBZ = 105,
	V_LIBZ_HW = 115,
	V_LIBZ = 133,
};

static const struct cache_entry good_entries[] = {
    {0x0303, K_LIBC, V_LIBC, 0, false},
    {0x0003, K_LIBM, V_LIBM32, 0, false}, /* i386: not ours */
    {0x0303, K_LIBM, V_LIBM, 0, false},
    {0x0303, K_LIBZ, V_LIBZ_HW, 1ull << 62, false}, /* glibc-hwcaps */
    {0x0303, K_LIBZ, V_LIBZ, 0, false},
};

struct buf {
	uint8_t *b;
	size_t len;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A cache of `n` entries, after an old-format table of `old` entries if
 * old >= 0. String offsets count from the new header, as ldconfig writes
 * them. */
static struct buf build(const struct cache_entry *e, size_t n, int old)
{
	size_t start = old < 0 ? 0 : (16 + (size_t)old * 12 + 7) & ~7ul;
	size_t str = HEADER + n * ENTRY;
	struct buf c = {calloc(1, start + str + sizeof(strings)),
			start + str + sizeof(strings)};
	uint8_t *h = c.b + start;

	if (old >= 0) {
		memcpy(c.b, "ld.so-1.7.0", 11);
		put32(c.b + 12, old);
	}
	memcpy(h, "glibc-ld.so.cache1.1", 20);
	put32(h + 20, n);
	put32(h + 24, sizeof(strings));
	h[28] = 2; /* little-endian */
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = h + HEADER + i * ENTRY;

		put32(p, e[i].flags);
		put32(p + 4, e[i].raw ? e[i].key : str + e[i].key);
		put32(p + 8, e[i].raw ? e[i].value : str + e[i].value);
		put64(p + 16, e[i].hwcap);
	}
	memcpy(h + str, strings, sizeof(strings));
	return c;
}

#define N(a) (sizeof(a) / sizeof(*(a)))

/* Opens a copy of exactly c.len bytes, so ASan sees any overread. */
static int open_copy(struct buf c, struct ldcache *lc, uint8_t **copy,
		     const char **err)
{
	*copy = malloc(c.len ? c.len : 1);
	memcpy(*copy, c.b, c.len);
	return ldcache_open(*copy, c.len, lc, err);
}

static void test_lookups(void)
{
	for (int old = -1; old <= 3; old += 4) {
		struct buf c = build(good_entries, N(good_entries), old);
		struct ldcache lc;
		uint8_t *copy;

		CHECK_EQ(open_copy(c, &lc, &copy, NULL), 0);
		CHECK_STR(ldcache_lookup(&lc, "libc.so.6"),
			  "/lib/x86_64-linux-gnu/libc.so.6");
		CHECK_STR(ldcache_lookup(&lc, "libm.so.6"),
			  "/usr/lib/x86_64-linux-gnu/libm.so.6");
		CHECK_STR(ldcache_lookup(&lc, "libz.so.1"), "/lib/libz.so.1");
		CHECK_STR(ldcache_lookup(&lc, "libnope.so"), NULL);
		CHECK_STR(ldcache_lookup(&lc, "libc.so"), NULL);
		free(copy);
		free(c.b);
	}
}

static void test_bad_offsets_are_passed_over(void)
{
	const struct cache_entry e[] = {
	    {0x0303, 0xfffffff0, 0, 0, true},	    /* key outside */
	    {0x0303, K_LIBC, 0xfffffff0, 0, false}, /* value outside */
	    {0x0303, K_LIBC, K_LIBC, 0, false},	    /* value not a path */
	    {0x0303, K_LIBC, V_LIBC, 0, false},
	};
	struct buf c = build(e, N(e), -1);
	struct ldcache lc;
	uint8_t *copy;

	CHECK_EQ(open_copy(c, &lc, &copy, NULL), 0);
	CHECK_STR(ldcache_lookup(&lc, "libc.so.6"),
		  "/lib/x86_64-linux-gnu/libc.so.6");
	free(copy);
	free(c.b);
}

/* The last string without its NUL, at the very end of the file. */
static void test_unterminated_string(void)
{
	struct buf c = build(good_entries, N(good_entries), -1);
	struct ldcache lc;
	uint8_t *copy;

	c.len--; /* drop the final NUL of "/lib/libz.so.1" */
	CHECK_EQ(open_copy(c, &lc, &copy, NULL), 0);
	CHECK_STR(ldcache_lookup(&lc, "libz.so.1"), NULL);
	CHECK_STR(ldcache_lookup(&lc, "libc.so.6"),
		  "/lib/x86_64-linux-gnu/libc.so.6");
	free(copy);
	free(c.b);
}

static void test_broken_headers(void)
{
	static const struct {
		const char *name;
		int at, value; /* byte to change; at -1: truncate to value */
		int old;
		const char *msg;
	} cases[] = {
	    {"empty", -1, 0, -1, "no glibc-ld.so.cache1.1 table"},
	    {"short", -1, 47, -1, "no glibc-ld.so.cache1.1 table"},
	    {"magic", 3, 'X', -1, "no glibc-ld.so.cache1.1 table"},
	    {"version", 19, '2', -1, "no glibc-ld.so.cache1.1 table"},
	    {"big-endian", 28, 3, -1, "not a little-endian cache"},
	    {"nlibs", 23, 0x10, -1, "the table runs past the end of the file"},
	    {"table-cut", -1, HEADER + 2 * ENTRY, -1,
	     "the table runs past the end of the file"},
	    {"old-nlibs", 15, 0x40, 3, "the old-format table is cut short"},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct buf c =
		    build(good_entries, N(good_entries), cases[i].old);
		struct ldcache lc;
		const char *err = NULL;
		uint8_t *copy;

		if (cases[i].at < 0)
			c.len = cases[i].value;
		else
			c.b[cases[i].at] = cases[i].value;
		if (!CHECK_EQ(open_copy(c, &lc, &copy, &err), -EINVAL) ||
		    !CHECK_STR(err, cases[i].msg))
			printf("    (case %s)\n", cases[i].name);
		free(copy);
		free(c.b);
	}
}

/* ---- the host's cache against ldconfig -p ---- */

static struct buf slurp(const char *path)
{
	struct buf c = {0};
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return c;
	c.b = malloc(st.st_size);
	if (read(fd, c.b, st.st_size) == st.st_size)
		c.len = st.st_size;
	close(fd);
	return c;
}

/*
 * Each "NAME (libc6,x86-64) => PATH" line of `ldconfig -p` (no hwcap)
 * is what ld.so would take for NAME; the first such line per name wins,
 * as in ld.so's search of the sorted table.
 */
static void test_host_cache_matches_ldconfig(void)
{
	struct buf c = slurp("/etc/ld.so.cache");
	FILE *p = popen("ldconfig -p 2>/dev/null || /sbin/ldconfig -p", "r");
	char line[4096], name[1024], path[2048], seen[1024] = "";
	struct ldcache lc;
	int checked = 0;

	if (!c.len || !p) {
		fprintf(stderr, "test_host_cache_matches_ldconfig: skipped "
				"(no /etc/ld.so.cache or ldconfig)\n");
		if (p)
			pclose(p);
		free(c.b);
		return;
	}
	CHECK_EQ(ldcache_open(c.b, c.len, &lc, NULL), 0);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, " %1023s (libc6,x86-64) => %2047s", name,
			   path) != 2 ||
		    !strcmp(name, seen))
			continue;
		snprintf(seen, sizeof(seen), "%s", name);
		if (!CHECK_STR(ldcache_lookup(&lc, name), path))
			break;
		checked++;
	}
	pclose(p);
	CHECK(checked > 0);
	free(c.b);
}

int main(void)
{
	RUN_TEST(test_lookups);
	RUN_TEST(test_bad_offsets_are_passed_over);
	RUN_TEST(test_unterminated_string);
	RUN_TEST(test_broken_headers);
	RUN_TEST(test_host_cache_matches_ldconfig);
	return check_exit();
}
