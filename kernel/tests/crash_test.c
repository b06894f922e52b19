/*
 * --test=crash touches unmapped memory on purpose: the kernel must print
 * the fault, the registers and a symbolised backtrace, and end the VM with
 * EXIT_PANIC. make test checks all of that. Not part of --test=all.
 */
#include "kernel/tests/selftest.h"

static __attribute__((noinline)) uint64_t crash_test_touch(volatile uint64_t *p)
{
	return *p;
}

static int crash_test(void)
{
	kprintf("crash: reading unmapped address 0xdead000\n");
	return (int)crash_test_touch((volatile uint64_t *)0xdead000);
}
SELFTEST_EXPLICIT("crash", crash_test);
