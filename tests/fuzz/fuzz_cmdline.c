/*
 * Fuzzes cmdline_parse with the input as the command line (up to its
 * first NUL). Checks: the result is 0 or -EINVAL; on success the counts
 * are in bounds and every string lies, NUL-terminated, inside the storage
 * (which is exactly strlen + 1 bytes, so ASan sees any overrun); on
 * failure the message is one printable line; one byte less of storage is
 * refused; and quoting the argv words back into a line gives them back.
 */
#include <stdlib.h>

#include "kernel/kernel.h"

static struct boot_options opt, again;

static void check_string(const char *s, const char *storage, size_t size)
{
	if (s < storage || s >= storage + size)
		abort();
	if (!memchr(s, '\0', storage + size - s))
		abort();
}

static void check_ok(const char *storage, size_t size)
{
	if (opt.argc > CMDLINE_MAX_ARGS || opt.ntests > CMDLINE_MAX_TESTS ||
	    opt.nenv > CMDLINE_MAX_ENV || opt.error[0])
		abort();
	for (unsigned i = 0; i < opt.argc; i++)
		check_string(opt.argv[i], storage, size);
	for (unsigned i = 0; i < opt.ntests; i++) {
		check_string(opt.tests[i], storage, size);
		if (!opt.tests[i][0] || strchr(opt.tests[i], ','))
			abort();
	}
	for (unsigned i = 0; i < opt.nenv; i++) {
		check_string(opt.env[i], storage, size);
		if (opt.env[i][0] == '=' || !strchr(opt.env[i], '='))
			abort();
	}
}

static void check_error(void)
{
	size_t n = strnlen(opt.error, sizeof(opt.error));

	if (n == 0 || n == sizeof(opt.error) || opt.argc || opt.ntests ||
	    opt.nenv)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)opt.error[i] < 0x20)
			abort();
}

/* "-- 'w1' 'w2' ...", with ' written as '\'' : must parse to the same argv. */
static void check_requote(void)
{
	size_t cap = 3;
	char *line, *p, *storage;

	for (unsigned i = 0; i < opt.argc; i++)
		cap += 3 + 4 * strlen(opt.argv[i]);
	p = line = malloc(cap + 1);
	memcpy(p, "--", 2);
	p += 2;
	for (unsigned i = 0; i < opt.argc; i++) {
		*p++ = ' ';
		*p++ = '\'';
		for (const char *c = opt.argv[i]; *c; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = '\0';
	storage = malloc(strlen(line) + 1);
	if (cmdline_parse(line, storage, strlen(line) + 1, &again) ||
	    again.argc != opt.argc)
		abort();
	for (unsigned i = 0; i < opt.argc; i++)
		if (strcmp(again.argv[i], opt.argv[i]))
			abort();
	free(storage);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	char *storage;
	size_t len;
	int r;

	memcpy(line, data, size);
	line[size] = '\0';
	len = strlen(line);
	storage = malloc(len + 1);
	r = cmdline_parse(line, storage, len + 1, &opt);
	if (r == 0) {
		check_ok(storage, len + 1);
		check_requote();
	} else if (r == -EINVAL) {
		check_error();
	} else {
		abort();
	}
	if (cmdline_parse(line, storage, len, &opt) != -EINVAL)
		abort();
	free(storage);
	free(line);
	return 0;
}
