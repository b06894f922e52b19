/*
 * Fuzzes the /etc/ld.so.cache reader of `osprey build`
 * (tools/osprey/ldcache.c) with the input as the cache file (libFuzzer's
 * buffer is exactly the input's size, so ASan sees any overread). A
 * refused cache must say why; an accepted one is searched for a few names
 * (one that is never there walks every entry), and a path found must be
 * absolute and end inside the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tools/osprey/ldcache.h"

static void check_path(const char *s, const uint8_t *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t room;

	if (!s)
		return;
	if (p < buf || p >= buf + len)
		abort();
	room = buf + len - p;
	if (strnlen(s, room) == room || s[0] != '/')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
	    "libc.so.6",
	    "libm.so.6",
	    "",
	    "never-a-library-name.so",
	};
	struct ldcache c;
	const char *err = NULL;

	if (ldcache_open(data, size, &c, &err)) {
		if (!err || !*err)
			abort();
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		check_path(ldcache_lookup(&c, names[i]), data, size);
	return 0;
}
