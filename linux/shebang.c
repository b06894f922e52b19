/*
 * The `#!` line: see linux/shebang.h. Only buf[0..n] is ever read or
 * written (buf[n] is the terminator this code stores).
 */
#include "linux/shebang.h"

#include <stdbool.h>

#define ENOEXEC 8 /* as linux/elf.h */

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Where the line ends: its newline, or the end of what was read. */
static size_t line_end(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			return i;
	return n;
}

/* With no newline in a full buffer the line may go on: the interpreter
 * is whole only if a blank or a NUL follows it inside the buffer. */
static bool interp_cut(const char *buf, size_t n)
{
	size_t i = 2;

	while (i < n && blank(buf[i]))
		i++;
	if (i == n)
		return true;
	while (i < n && buf[i] && !blank(buf[i]))
		i++;
	return i == n;
}

int shebang_parse(char *buf, size_t n, char **interp, char **arg)
{
	if (n < 2 || n > SHEBANG_MAX || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	size_t end = line_end(buf, n);

	if (end == n && n == SHEBANG_MAX && interp_cut(buf, n))
		return -ENOEXEC;
	buf[end] = 0;
	/* A NUL inside the line ends it there, as a C string. */
	for (size_t i = 2; i < end; i++)
		if (!buf[i])
			end = i;
	while (end > 2 && blank(buf[end - 1]))
		buf[--end] = 0;
	char *p = buf + 2;
	while (blank(*p))
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && !blank(*p))
		p++;
	while (blank(*p))
		*p++ = 0;
	*arg = *p ? p : NULL;
	return 0;
}
