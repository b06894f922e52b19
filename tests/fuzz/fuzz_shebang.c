/*
 * Fuzzes shebang_parse (linux/shebang.c) with the input as the first
 * bytes of a file (cut to SHEBANG_MAX, in a buffer of exactly n + 1 bytes
 * so ASan sees any overrun). Checks: the result is 0 or -ENOEXEC; on
 * success the interpreter and the argument lie in the buffer's first
 * line, NUL-terminated, non-empty, the interpreter with no blank and the
 * argument with none at either end, neither with a newline; a line with
 * its newline and a word after "#!" is never refused; and parsing is
 * stable (the words parsed again as "#!interp arg\n" come back equal).
 */
#include <stdlib.h>
#include <string.h>

#include "linux/shebang.h"

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

static void check_word(const char *w, const char *buf, size_t n, int inner_blanks)
{
	if (w < buf + 2 || w > buf + n)
		abort();
	size_t len = strnlen(w, buf + n + 1 - w);

	if (w + len > buf + n || !len || blank(w[0]) || blank(w[len - 1]))
		abort();
	if (memchr(w, '\n', len) || (!inner_blanks && (memchr(w, ' ', len) ||
						      memchr(w, '\t', len))))
		abort();
}

/* A whole first line (a newline in what was read) with a word after
 * "#!" before any NUL. */
static int must_parse(const char *data, size_t n)
{
	const char *nl = memchr(data, '\n', n);

	if (n < 2 || data[0] != '#' || data[1] != '!' || !nl)
		return 0;
	for (const char *p = data + 2; p < nl && *p; p++)
		if (!blank(*p))
			return 1;
	return 0;
}

static void check_again(const char *interp, const char *arg)
{
	size_t li = strlen(interp), la = arg ? strlen(arg) : 0;
	size_t n = 2 + li + (arg ? 1 + la : 0) + 1;
	char *interp2, *arg2;

	if (n > SHEBANG_MAX)
		return;
	char *b = malloc(n + 1);
	if (!b)
		return;
	memcpy(b, "#!", 2);
	memcpy(b + 2, interp, li);
	if (arg) {
		b[2 + li] = ' ';
		memcpy(b + 3 + li, arg, la);
	}
	b[n - 1] = '\n';
	if (shebang_parse(b, n, &interp2, &arg2) || strcmp(interp, interp2) ||
	    (!arg != !arg2) || (arg && strcmp(arg, arg2)))
		abort();
	free(b);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	size_t n = size < SHEBANG_MAX ? size : SHEBANG_MAX;
	char *buf = malloc(n + 1);
	char *interp = NULL, *arg = NULL;

	if (!buf)
		return 0;
	memcpy(buf, data, n);
	int r = shebang_parse(buf, n, &interp, &arg);

	if (r != 0 && r != -8)
		abort();
	if (r && must_parse((const char *)data, n))
		abort();
	if (!r) {
		check_word(interp, buf, n, 0);
		if (arg && arg <= interp)
			abort();
		if (arg)
			check_word(arg, buf, n, 1);
		check_again(interp, arg);
	}
	free(buf);
	return 0;
}
