/*
 * A reader for glibc's /etc/ld.so.cache, the table ldconfig writes and
 * ld.so consults before the default directories. Only the format glibc
 * has used since 2.2 ("glibc-ld.so.cache" "1.1") is read, alone (glibc
 * 2.32 and later) or after the old libc5 table ("ld.so-1.7.0"):
 *
 *   header (48 bytes): magic[17] version[3] u32 nlibs u32 len_strings
 *                      u8 flags (endianness: 0 unknown, 2 little, 3 big)
 *                      u8 pad[3] u32 extension_offset u32 unused[3]
 *   nlibs entries (24 bytes): i32 flags u32 key u32 value u32 osversion
 *                             u64 hwcap
 *   strings
 *
 * key (the library's name, e.g. "libc.so.6") and value (its path) are
 * offsets from the start of this header (which, in a new-format-only
 * file, is the start of the file). glibc: elf/dl-cache.c,
 * sysdeps/generic/dl-cache.h. Pure (no I/O), fuzzed:
 * tests/fuzz/fuzz_cli_ldcache.c.
 */
#ifndef OSPREY_CLI_LDCACHE_H
#define OSPREY_CLI_LDCACHE_H

#include <stddef.h>
#include <stdint.h>

/* x86-64 libraries: FLAG_ELF_LIBC6 | FLAG_X8664_LIB64. */
#define LDCACHE_FLAGS_X86_64 0x0303

struct ldcache {
	const char *base; /* the new-format header; offsets count from it */
	size_t size;	  /* bytes from base to the end of the file */
	const uint8_t *entries;
	uint32_t nlibs;
};

/* Checks the header and that the entries lie inside buf[0..len). Returns
 * 0, or -EINVAL with *err (if err is not NULL) set to a static message. */
int ldcache_open(const void *buf, size_t len, struct ldcache *c,
		 const char **err);

/*
 * The path of the x86-64 library called `name` (the first entry for it
 * that is not a glibc-hwcaps variant), or NULL. The path points into the
 * buffer and is NUL-terminated there; entries with offsets outside it are
 * skipped.
 */
const char *ldcache_lookup(const struct ldcache *c, const char *name);

#endif
