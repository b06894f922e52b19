/*
 * Host tests for lib/printf.c: its vsnprintf against the host C library's
 * for every format the kernel uses, at every buffer size that truncates.
 *
 * mk/host.mk renames lib/printf.c's functions to osprey_snprintf and
 * osprey_vsnprintf (with -D), so that they do not replace the host's;
 * undoing the rename here gives this file the host's under the usual names.
 */
#undef snprintf
#undef vsnprintf
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/host/check.h"

int osprey_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#define MIN(a, b) ((a) < (b) ? (a) : (b))

static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 8, 13, 64, 256};

/* One comparison: same return value, same bytes, nothing written past. */
static void compare(const char *file, int line, size_t size, const char *fmt,
		    va_list ap)
{
	char want[300], got[300];
	va_list ap2;
	int wn, gn;

	memset(want, 0x7e, sizeof(want));
	memset(got, 0x7e, sizeof(got));
	va_copy(ap2, ap);
	wn = vsnprintf(want, size, fmt, ap);
	gn = osprey_vsnprintf(got, size, fmt, ap2);
	va_end(ap2);
	if (wn != gn) {
		check_fail_begin(file, line);
		printf("expected \"%s\" at size %zu to return %d, got %d\n",
		       fmt, size, wn, gn);
	} else if (memcmp(want, got, sizeof(want))) {
		check_fail_begin(file, line);
		printf("expected \"%s\" at size %zu to give \"%.*s\", got "
		       "\"%.*s\"\n",
		       fmt, size, (int)MIN(size, 256), want,
		       (int)MIN(size, 256), got);
	}
}

static __attribute__((format(printf, 3, 4))) void
same_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		va_start(ap, fmt);
		compare(file, line, sizes[i], fmt, ap);
		va_end(ap);
	}
}

#define SAME(...) same_at(__FILE__, __LINE__, __VA_ARGS__)

/* Ours alone, for what the host does differently or leaves undefined. */
static void ours_is(const char *want, const char *fmt, ...)
{
	char got[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = osprey_vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	CHECK_STR(got, want);
	CHECK_EQ(n, strlen(want));
}

static void printf_signed_decimal(void)
{
	SAME("%d", 0);
	SAME("%d", 42);
	SAME("%d", -42);
	SAME("%d", INT_MAX);
	SAME("%d", INT_MIN);
	SAME("%i|%i", -7, 7);
	SAME("%ld", LONG_MAX);
	SAME("%ld", LONG_MIN);
	SAME("%ld", -1L);
	SAME("%lld", LLONG_MIN);
	SAME("%zd", (ssize_t)-5);
}

static void printf_unsigned_and_hex(void)
{
	SAME("%u", 0u);
	SAME("%u", UINT_MAX);
	SAME("%x", 0u);
	SAME("%x", 0xdeadbeefu);
	SAME("%X", 0xabcdefu);
	SAME("%x", -1);
	SAME("%lx", ULONG_MAX);
	SAME("%lx", 0x123456789abcUL);
	SAME("%lX", 0xfedcba9876543210UL);
	SAME("%lu", ULONG_MAX);
	SAME("%lu", 0UL);
	SAME("%llu", ULLONG_MAX);
	SAME("%llx", 0x8000000000000000ULL);
	SAME("%zu", SIZE_MAX);
	SAME("%zx", (size_t)4096);
}

static void printf_strings_and_chars(void)
{
	SAME("%s", "hello");
	SAME("%s", "");
	SAME("[%s][%s]", "a", "bc");
	SAME("%c", 'A');
	SAME("%c%c%c", 'x', 'y', 'z');
	SAME("%5c|", 'q');
	SAME("%-3c|", 'q');
	SAME("%c", 0); /* a NUL in the output still counts */
	SAME("%8s|", "abc");
	SAME("%-8s|", "abc");
	SAME("%2s|", "longer");
	SAME("%-2s|", "longer");
}

static void printf_null_string(void)
{
	const char *volatile null = NULL;

	SAME("%s", null);
	ours_is("[(null)]", "[%s]", null);
}

static void printf_pointers(void)
{
	int x;

	SAME("%p", (void *)0x1234);
	SAME("%p", (void *)&x);
	SAME("%p", (void *)UINTPTR_MAX);
	SAME("%20p|", (void *)0xabc);
	SAME("%-20p|", (void *)0xabc);
	/* glibc prints "(nil)"; the kernel prints the number. */
	ours_is("0x0", "%p", (void *)0);
}

static void printf_width_and_flags(void)
{
	SAME("%5d|", 42);
	SAME("%5d|", -42);
	SAME("%-5d|", 42);
	SAME("%-5d|", -42);
	SAME("%05d", 42);
	SAME("%05d", -42);
	SAME("%05d", 123456);
	SAME("%1d", 12345);
	SAME("%0d", 7);
	SAME("%08x", 0xbeefu);
	SAME("%016lx", 0x1234UL);
	SAME("%010ld", -1234567L);
	SAME("%-10lu|", 99UL);
	SAME("%40d|", -1);
	SAME("%-40u|", 1u);
	SAME("%200d|", 5);		 /* wider than several buffer sizes */
	ours_is("42   |", "%-05d|", 42); /* '-' wins over '0', as in C */
}

static void printf_percent(void)
{
	SAME("%%");
	SAME("100%% sure");
	SAME("a%%b%dc%%", 5);
	SAME("%%%d%%", 1);
}

static void printf_mixed(void)
{
	SAME("[%s:%d] %lu bytes at %p (%x)", "mm.c", 120, 4096UL,
	     (void *)0xffff800000001000, 0u);
	SAME("%s=%lx,%s=%ld,%c%%", "cr3", 0x1000UL, "n", -3L, '!');
	SAME("osprey: %u overlapping RAM entries, %u cut (%s)\n", 1u, 2u,
	     "handled");
	SAME("no conversions at all, just a long plain string of text");
}

static int ours_n(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = osprey_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* C99 7.19.6.5: the length it would have had; at most size - 1 written. */
static void printf_truncation(void)
{
	char buf[8];

	CHECK_EQ(ours_n(NULL, 0, "abc%d", 12), 5);
	memset(buf, 'z', sizeof(buf));
	CHECK_EQ(ours_n(buf, 0, "abcdef"), 6);
	CHECK_EQ(buf[0], 'z');
	CHECK_EQ(ours_n(buf, 1, "abcdef"), 6);
	CHECK_STR(buf, "");
	CHECK_EQ(buf[1], 'z');
	CHECK_EQ(ours_n(buf, 4, "%s", "abcdef"), 6);
	CHECK_STR(buf, "abc");
	CHECK_EQ(buf[4], 'z');
	CHECK_EQ(ours_n(buf, 4, "%5d", -1), 5);
	CHECK_STR(buf, "   ");
	CHECK_EQ(ours_n(buf, 7, "%d", 123456), 6);
	CHECK_STR(buf, "123456");
}

/* What only the kernel's does: unknown conversions are shown as they are. */
static void printf_unknown_conversions(void)
{
	ours_is("%q", "%q");
	ours_is("50%", "50%");
	ours_is("%y1", "%y%d", 1);
}

int main(void)
{
	RUN_TEST(printf_signed_decimal);
	RUN_TEST(printf_unsigned_and_hex);
	RUN_TEST(printf_strings_and_chars);
	RUN_TEST(printf_null_string);
	RUN_TEST(printf_pointers);
	RUN_TEST(printf_width_and_flags);
	RUN_TEST(printf_percent);
	RUN_TEST(printf_mixed);
	RUN_TEST(printf_truncation);
	RUN_TEST(printf_unknown_conversions);
	return check_exit();
}
