/*
 * Kernel self-tests: compiled into the kernel, chosen on the command line
 * with --test=NAME (or --test=all), run in the boot thread after the boot
 * finished. A test returns the number of checks that failed; each failed
 * check prints what was expected and what was found.
 */
#ifndef KERNEL_TESTS_SELFTEST_H
#define KERNEL_TESTS_SELFTEST_H

#include "kernel/kernel.h"

/* 32 bytes, aligned to 32: the linker packs the table without gaps. */
struct selftest {
	const char *name;
	int (*fn)(void);
	bool explicit_only; /* not part of --test=all (it ends the VM) */
	const void *reserved;
} __attribute__((aligned(32)));

#define SELFTEST(name, func)                                                   \
	static const struct selftest __selftest_##func                        \
		__attribute__((used, section(".selftests"))) = {name, func,  \
								  false, 0}
#define SELFTEST_EXPLICIT(name, func)                                          \
	static const struct selftest __selftest_##func                        \
		__attribute__((used, section(".selftests"))) = {name, func,  \
								  true, 0}

/* In a test function with a local `int failures`. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			kprintf("  FAIL %s:%d: %s\n", __FILE__, __LINE__,      \
				#cond);                                        \
			failures++;                                            \
		}                                                              \
	} while (0)

#define CHECK_EQ(actual, expected)                                             \
	do {                                                                   \
		int64_t a_ = (int64_t)(actual), e_ = (int64_t)(expected);      \
		if (a_ != e_) {                                                \
			kprintf("  FAIL %s:%d: %s: expected %ld, got %ld\n",   \
				__FILE__, __LINE__, #actual, e_, a_);          \
			failures++;                                            \
		}                                                              \
	} while (0)

/* Runs the tests named in boot_options; returns the exit status. */
int selftests_run(void);

#endif
