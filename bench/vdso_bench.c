/*
 * The cost of reading the clock: glibc's clock_gettime (through the vDSO
 * where there is one) against the system call it replaces, in ns per
 * call, timed with CLOCK_MONOTONIC over a fixed number of calls. Prints
 * figures only; it passes or fails nothing. `make vdso-bench` runs it in
 * Osprey and on the host.
 *   vdso_bench [CALLS]   (default 1000000)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static double per_call_libc(clockid_t clk, long calls)
{
	struct timespec ts;
	long long t0 = now_ns();

	for (long i = 0; i < calls; i++)
		clock_gettime(clk, &ts);
	return (double)(now_ns() - t0) / calls;
}

static double per_call_syscall(clockid_t clk, long calls)
{
	struct timespec ts;
	long long t0 = now_ns();

	for (long i = 0; i < calls; i++)
		syscall(SYS_clock_gettime, clk, &ts);
	return (double)(now_ns() - t0) / calls;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 1000000;

	if (calls <= 0)
		calls = 1000000;
	printf("vdso_bench: %ld calls each, vDSO %s\n", calls,
	       getauxval(AT_SYSINFO_EHDR) ? "present" : "absent");
	per_call_libc(CLOCK_MONOTONIC, calls / 10); /* warm up */
	printf("clock_gettime(CLOCK_MONOTONIC) libc:    %8.1f ns/call\n",
	       per_call_libc(CLOCK_MONOTONIC, calls));
	printf("clock_gettime(CLOCK_MONOTONIC) syscall: %8.1f ns/call\n",
	       per_call_syscall(CLOCK_MONOTONIC, calls));
	printf("clock_gettime(CLOCK_REALTIME) libc:     %8.1f ns/call\n",
	       per_call_libc(CLOCK_REALTIME, calls));
	printf("clock_gettime(CLOCK_REALTIME) syscall:  %8.1f ns/call\n",
	       per_call_syscall(CLOCK_REALTIME, calls));
	return 0;
}
