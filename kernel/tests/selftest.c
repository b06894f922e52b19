#include "kernel/tests/selftest.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

extern const struct selftest __selftests_start[], __selftests_end[];

static const struct selftest *find(const char *name)
{
	for (const struct selftest *t = __selftests_start; t < __selftests_end;
	     t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static bool run_one(const struct selftest *t)
{
	uint64_t start;
	int failures;

	/* Frees deferred by earlier tests land before this one counts. */
	rcu_barrier();
	start = clock_monotonic_ns();
	kprintf("selftest %s: start\n", t->name);
	failures = t->fn();
	kprintf("selftest %s: %s (%lu ms)\n", t->name,
		failures ? "FAIL" : "PASS",
		(clock_monotonic_ns() - start) / 1000000);
	return failures == 0;
}

static void list_tests(void)
{
	kprintf("osprey: self-tests in this kernel:");
	for (const struct selftest *t = __selftests_start; t < __selftests_end;
	     t++)
		kprintf(" %s", t->name);
	kprintf("\n");
}

int selftests_run(void)
{
	unsigned passed = 0, failed = 0;

	for (unsigned i = 0; i < boot_options.ntests; i++) {
		const char *name = boot_options.tests[i];

		if (strcmp(name, "all") != 0 && !find(name)) {
			kprintf("osprey: no self-test named '%s'\n", name);
			list_tests();
			return EXIT_BAD_CMDLINE;
		}
	}
	for (unsigned i = 0; i < boot_options.ntests; i++) {
		const char *name = boot_options.tests[i];

		if (strcmp(name, "all") == 0) {
			for (const struct selftest *t = __selftests_start;
			     t < __selftests_end; t++)
				if (!t->explicit_only)
					run_one(t) ? passed++ : failed++;
			continue;
		}
		run_one(find(name)) ? passed++ : failed++;
	}
	kprintf("selftests: %u passed, %u failed\n", passed, failed);
	return failed ? EXIT_TESTS_FAILED : 0;
}
