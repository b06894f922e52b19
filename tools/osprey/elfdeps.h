/*
 * What `osprey build` needs to know about an ELF file to pack it the way
 * ld.so will load it: its interpreter (PT_INTERP) and, from its dynamic
 * section (PT_DYNAMIC), the DT_NEEDED names, DT_RUNPATH or DT_RPATH,
 * DT_SONAME and DF_1_NODEFLIB. Only x86-64 ELF64 little-endian
 * executables and shared objects are accepted. Pure (no I/O), so that it
 * is fuzzed: tests/fuzz/fuzz_cli_elf.c.
 */
#ifndef OSPREY_CLI_ELFDEPS_H
#define OSPREY_CLI_ELFDEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELFDEPS_MAX_NEEDED 512
#define ELFDEPS_MAX_PATH 4096 /* PATH_MAX, with its NUL */

/* Every string points into the parsed buffer, NUL-terminated there. */
struct elfdeps {
	uint16_t type;	    /* ET_EXEC or ET_DYN */
	bool dynamic;	    /* has PT_DYNAMIC */
	const char *interp; /* PT_INTERP (absolute), or NULL */
	const char *soname; /* or NULL */
	/* DT_RUNPATH, or NULL. When it is set, DT_RPATH is ignored, as ld.so
	 * does (glibc elf/get-dynamic-info.h), and rpath is NULL. */
	const char *runpath;
	const char *rpath;
	bool nodeflib; /* DF_1_NODEFLIB: no ld.so.cache, no default dirs */
	unsigned nneeded;
	const char *needed[ELFDEPS_MAX_NEEDED];
};

/*
 * Parses buf[0..len) as hostile input: nothing outside it is read.
 * Returns 0; -ENOEXEC when it is not an x86-64 ELF executable or shared
 * object (wrong magic, class, byte order, machine or type); -EINVAL when
 * it claims to be one but is malformed. On failure *err (if err is not
 * NULL) is set to a static message.
 */
int elfdeps_parse(const void *buf, size_t len, struct elfdeps *d,
		  const char **err);

#endif
