/*
 * The ABI tests' harness. An ABI test is an ordinary Linux program: it runs
 * on the host Linux first, then unchanged inside Osprey, and must pass on
 * both (DESIGN.md section 7).
 *
 * A program is a list of cases run by ABI_RUN(fn); each check prints one
 * line to stdout (unbuffered, so a crash loses nothing):
 *   PASS <test>:<case>: <expression>
 *   FAIL <test>:<case>: <expression>: expected X, got Y (file:line)
 * and abi_done() prints "abi <test>: N passed, M failed" and gives the exit
 * status: 0 iff nothing failed. The lines are deterministic: no pids,
 * addresses or times in them, only in the values of a failed check.
 *
 * Each check evaluates to whether it held, for early exits:
 *	if (!CHECK_EQ_INT(fd = open(...), 3)) return;
 */
#ifndef TESTS_ABI_COMMON_H
#define TESTS_ABI_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ABI_UNUSED __attribute__((unused))

static const char *abi_test = "?";
static const char *abi_case = "main";
static int abi_passed, abi_failed;

/* "ENOENT (No such file or directory)", or the number if glibc lacks it. */
static ABI_UNUSED const char *abi_errno_text(int e)
{
	static char buf[160];
	const char *name = strerrorname_np(e);

	if (name)
		snprintf(buf, sizeof(buf), "%s (%s)", name, strerror(e));
	else
		snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static ABI_UNUSED void abi_pass(const char *expr)
{
	abi_passed++;
	printf("PASS %s:%s: %s\n", abi_test, abi_case, expr);
}

/* Starts a FAIL line; the caller prints "expected X, got Y" and ends it. */
static ABI_UNUSED void abi_fail_begin(const char *expr)
{
	abi_failed++;
	printf("FAIL %s:%s: %s: ", abi_test, abi_case, expr);
}

static ABI_UNUSED void abi_fail_end(const char *file, int line)
{
	printf(" (%s:%d)\n", file, line);
}

static ABI_UNUSED int abi_check(int ok, const char *expr, const char *file,
				int line)
{
	if (ok) {
		abi_pass(expr);
	} else {
		abi_fail_begin(expr);
		printf("expected true, got false");
		abi_fail_end(file, line);
	}
	return ok;
}

/*
 * `err` is errno sampled right after `got` was computed: when got is -1
 * (a failed call where success was expected) the FAIL line names it.
 */
static ABI_UNUSED int abi_check_eq(long long got, long long want, int err,
				   const char *expr, const char *file, int line)
{
	if (got == want) {
		abi_pass(expr);
		return 1;
	}
	abi_fail_begin(expr);
	printf("expected %lld, got %lld", want, got);
	if (got == -1)
		printf(" with errno %s", abi_errno_text(err));
	abi_fail_end(file, line);
	return 0;
}

static ABI_UNUSED int abi_check_errno(long long got, int err, int want,
				      const char *expr, const char *file,
				      int line)
{
	if (got == -1 && err == want) {
		abi_pass(expr);
		return 1;
	}
	abi_fail_begin(expr);
	printf("expected -1 with errno %s, got ", abi_errno_text(want));
	if (got == -1)
		printf("-1 with errno %s", abi_errno_text(err));
	else
		printf("%lld (success)", got);
	abi_fail_end(file, line);
	return 0;
}

static ABI_UNUSED int abi_check_str(const char *got, const char *want,
				    const char *expr, const char *file,
				    int line)
{
	if (got && want && !strcmp(got, want)) {
		abi_pass(expr);
		return 1;
	}
	abi_fail_begin(expr);
	printf("expected \"%s\", got %s%s%s", want ? want : "(null)",
	       got ? "\"" : "", got ? got : "NULL", got ? "\"" : "");
	abi_fail_end(file, line);
	return 0;
}

/* Compares n bytes; a mismatch names the first differing offset. */
static ABI_UNUSED int abi_check_mem(const void *got, const void *want, size_t n,
				    const char *expr, const char *file,
				    int line)
{
	const unsigned char *g = got, *w = want;
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i] != w[i])
			break;
	if (i == n) {
		abi_pass(expr);
		return 1;
	}
	abi_fail_begin(expr);
	printf("expected byte %zu == 0x%02x, got 0x%02x", i, w[i], g[i]);
	abi_fail_end(file, line);
	return 0;
}

#define CHECK(cond) abi_check(!!(cond), #cond, __FILE__, __LINE__)

/* Evaluates `actual` once; on -1 the FAIL line also names errno. */
#define CHECK_EQ_INT(actual, expected)                                         \
	({                                                                     \
		long long abi_got_ = (long long)(actual);                      \
		int abi_err_ = errno;                                          \
		abi_check_eq(abi_got_, (long long)(expected), abi_err_,        \
			     #actual " == " #expected, __FILE__, __LINE__);    \
	})

/* Checks that `call` returns -1 with errno == expected_errno. */
#define CHECK_ERRNO(call, expected_errno)                                      \
	({                                                                     \
		long long abi_got_;                                            \
		int abi_err_;                                                  \
		errno = 0;                                                     \
		abi_got_ = (long long)(call);                                  \
		abi_err_ = errno;                                              \
		abi_check_errno(abi_got_, abi_err_, (expected_errno),          \
				#call " fails with " #expected_errno,          \
				__FILE__, __LINE__);                           \
	})

#define CHECK_EQ_STR(actual, expected)                                         \
	abi_check_str((actual), (expected), #actual " == " #expected,          \
		      __FILE__, __LINE__)

#define CHECK_EQ_MEM(actual, expected, n)                                      \
	abi_check_mem((actual), (expected), (n),                               \
		      "memcmp(" #actual ", " #expected ", " #n ") == 0",       \
		      __FILE__, __LINE__)

/* Names the program in every line; makes stdout unbuffered. */
static ABI_UNUSED void abi_init(const char *test)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	abi_test = test;
}

/* Runs one case: its checks' lines carry the function's name. */
#define ABI_RUN(fn)                                                            \
	do {                                                                   \
		abi_case = #fn;                                                \
		fn();                                                          \
		abi_case = "main";                                             \
	} while (0)

static ABI_UNUSED int abi_done(void)
{
	printf("abi %s: %d passed, %d failed\n", abi_test, abi_passed,
	       abi_failed);
	return abi_failed ? 1 : 0;
}

static ABI_UNUSED int abi_rm_one(const char *path, const struct stat *st,
				 int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

/*
 * Removes a tree a test left behind after a failure (`rm -rf`), so that a
 * failing test still leaves nothing behind. Not itself a check.
 */
static ABI_UNUSED void abi_rmtree(const char *path)
{
	nftw(path, abi_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The raw futex call (glibc has no wrapper). */
static inline long futex(int *uaddr, int op, int val, const struct timespec *ts,
			 int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* CLOCK_MONOTONIC in nanoseconds. */
/* A small file whole, as a string in buf (size bytes with the NUL; the
 * rest of buf zeroed): its length, or -1 when it cannot be opened. */
static ABI_UNUSED int abi_slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY), n = 0, r;

	memset(buf, 0, size);
	if (fd < 0)
		return -1;
	while ((size_t)n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	close(fd);
	return n;
}

static inline long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

#endif
