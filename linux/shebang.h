/*
 * The `#!` line of a script execve runs (linux/shebang.c): pure, so that
 * the host fuzzes it (tests/fuzz/fuzz_shebang.c).
 */
#ifndef LINUX_SHEBANG_H
#define LINUX_SHEBANG_H

#include <stddef.h>

#define SHEBANG_MAX 256 /* bytes of the file read: Linux's BINPRM_BUF_SIZE */

/*
 * buf holds the first n bytes of a file (n <= SHEBANG_MAX; buf has room
 * for n + 1) that start with "#!". Splits the first line in place, as
 * Linux does: the interpreter is the first word after "#!" (words end at
 * a space, a tab, a NUL or the line's end), the optional argument is the
 * rest of the line with the blanks around it trimmed (one string, blanks
 * inside kept). A line longer than the buffer is cut, its argument with
 * it, unless the interpreter itself may be cut. Returns 0 with *interp
 * and *arg (NULL if none) pointing into buf, or -ENOEXEC (no interpreter,
 * or one that may be cut).
 */
int shebang_parse(char *buf, size_t n, char **interp, char **arg);

#endif
