/*
 * The host unit tests' harness. A test case is a function run by
 * RUN_TEST; a failed CHECK prints
 *   FAIL <test>: <file>:<line>: expected X, got Y
 * (later failures in the same case print an indented "also" line, so that
 * each case prints exactly one PASS or FAIL line), and check_exit() gives
 * the status: 1 if any case failed.
 */
#ifndef TESTS_HOST_CHECK_H
#define TESTS_HOST_CHECK_H

#include <stdio.h>
#include <string.h>

#define CHECK_UNUSED __attribute__((unused))

static const char *check_test = "?";
static int check_case_failures, check_failed_cases, check_cases;

/* Starts the line for a failed check; the caller prints "got ...". */
static CHECK_UNUSED void check_fail_begin(const char *file, int line)
{
	if (check_case_failures++ == 0)
		printf("FAIL %s: %s:%d: ", check_test, file, line);
	else
		printf("    also %s:%d: ", file, line);
}

static CHECK_UNUSED void check_print_value(unsigned long long v)
{
	long long s = (long long)v;

	if (s > -(1ll << 32) && s < (1ll << 32))
		printf("%lld", s);
	else
		printf("%#llx", v);
}

static CHECK_UNUSED int check_true(int ok, const char *expr, const char *file,
				   int line)
{
	if (!ok) {
		check_fail_begin(file, line);
		printf("expected %s, got false\n", expr);
	}
	return ok;
}

static CHECK_UNUSED int check_eq(unsigned long long got,
				 unsigned long long want, const char *gexpr,
				 const char *file, int line)
{
	if (got == want)
		return 1;
	check_fail_begin(file, line);
	printf("expected %s == ", gexpr);
	check_print_value(want);
	printf(", got ");
	check_print_value(got);
	printf("\n");
	return 0;
}

static CHECK_UNUSED int check_str(const char *got, const char *want,
				  const char *gexpr, const char *file, int line)
{
	if (got && want && !strcmp(got, want))
		return 1;
	if (!got && !want)
		return 1;
	check_fail_begin(file, line);
	printf("expected %s == \"%s\", got %s%s%s\n", gexpr,
	       want ? want : "(null)", got ? "\"" : "", got ? got : "NULL",
	       got ? "\"" : "");
	return 0;
}

/* Each returns whether the check held, for early exits. */
#define CHECK(cond) check_true(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(got, want)                                                    \
	check_eq((unsigned long long)(got), (unsigned long long)(want), #got,  \
		 __FILE__, __LINE__)
#define CHECK_STR(got, want) check_str((got), (want), #got, __FILE__, __LINE__)

static CHECK_UNUSED void check_run(const char *name, void (*fn)(void))
{
	check_test = name;
	check_case_failures = 0;
	check_cases++;
	fn();
	if (check_case_failures)
		check_failed_cases++;
	else
		printf("PASS %s\n", name);
	fflush(stdout);
}

#define RUN_TEST(fn) check_run(#fn, fn)

static CHECK_UNUSED int check_exit(void)
{
	fprintf(stderr, "%d cases, %d failed\n", check_cases,
		check_failed_cases);
	return check_failed_cases ? 1 : 0;
}

#endif
