/*
 * Fuzzes the ELF reader of `osprey build` (tools/osprey/elfdeps.c) with
 * the input as a file (libFuzzer's buffer is exactly the input's size, so
 * ASan sees any overread). A failure must be -ENOEXEC or -EINVAL with a
 * message and leave nothing behind. A success must give strings that lie
 * inside the input and end there: the interpreter absolute, every name
 * non-empty, at most ELFDEPS_MAX_NEEDED of them, and no DT_RPATH beside a
 * DT_RUNPATH.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tools/osprey/elfdeps.h"

static void check_string(const char *s, const uint8_t *buf, size_t len,
			 bool may_be_empty)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t room;

	if (!s)
		return;
	if (p < buf || p >= buf + len)
		abort();
	room = buf + len - p;
	if (strnlen(s, room) == room || strlen(s) >= ELFDEPS_MAX_PATH)
		abort();
	if (!may_be_empty && !*s)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elfdeps d;
	const char *err = NULL;
	int r = elfdeps_parse(data, size, &d, &err);

	if (r != 0) {
		if ((r != -ENOEXEC && r != -EINVAL) || !err || !*err ||
		    d.nneeded || d.interp || d.soname || d.runpath || d.rpath)
			abort();
		return 0;
	}
	if (d.nneeded > ELFDEPS_MAX_NEEDED || (d.runpath && d.rpath))
		abort();
	if (d.interp && d.interp[0] != '/')
		abort();
	check_string(d.interp, data, size, false);
	check_string(d.soname, data, size, false);
	check_string(d.runpath, data, size, false);
	check_string(d.rpath, data, size, false);
	for (unsigned i = 0; i < d.nneeded; i++) {
		if (!d.needed[i])
			abort();
		check_string(d.needed[i], data, size, false);
	}
	return 0;
}
