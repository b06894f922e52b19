/*
 * mem_probe PROGRAM [ARGS...]: runs PROGRAM as a child and says how much
 * memory it took, for bench/mem.sh. The same static binary runs in
 * Osprey and in the Linux guest.
 *
 * While the child runs, the parent samples every 2 ms (bounded: at most
 * MAX_SAMPLES, then it only waits) two figures:
 *   - the child's VmHWM from /proc/PID/status (its peak resident set as
 *     its kernel counts it; the last value read before it exited), and
 *   - MemTotal - MemFree from /proc/meminfo (what the whole kernel has in
 *     use: the program, its page cache and page tables, the kernel's own),
 *     the highest value seen, and the same before the fork as a base.
 * A sample can miss a short peak of MemTotal - MemFree; VmHWM is a peak
 * by itself where the kernel keeps one (Linux does), but a program that
 * ends within a sample is missed: wait4's ru_maxrss is the child's peak
 * as the kernel counted it at its exit. After the child ends, one line
 * on stderr:
 *   mem_probe: status=S maxrss_kb=M vmhwm_kb=H used_peak_kb=P used_base_kb=B
 * and the probe exits with the child's status (128+N for signal N).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 150000 /* 2 ms each: 5 minutes */

/* The value in kB of the line that starts with KEY in FILE, or -1. */
static long read_kb(const char *file, const char *key)
{
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n)) {
			v = strtol(line + n, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long used_kb(void)
{
	long total = read_kb("/proc/meminfo", "MemTotal:");
	long free_kb = read_kb("/proc/meminfo", "MemFree:");

	return total < 0 || free_kb < 0 ? -1 : total - free_kb;
}

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	struct timespec tick = {0, 2000000};
	struct rusage ru = {0};
	long hwm = -1, peak, base = used_kb(), v;
	char status_file[64];
	int st = 0;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: mem_probe PROGRAM [ARGS...]\n");
		return 2;
	}
	peak = base;
	pid = fork();
	if (pid < 0) {
		perror("mem_probe: fork");
		return 2;
	}
	if (pid == 0) {
		execv(argv[1], argv + 1);
		perror("mem_probe: exec");
		_exit(127);
	}
	snprintf(status_file, sizeof(status_file), "/proc/%d/status", pid);
	for (long i = 0; wait4(pid, &st, i < MAX_SAMPLES ? WNOHANG : 0, &ru) == 0;
	     i++) {
		if ((v = read_kb(status_file, "VmHWM:")) > 0)
			hwm = v;
		if ((v = used_kb()) > peak)
			peak = v;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr,
		"mem_probe: status=%d maxrss_kb=%ld vmhwm_kb=%ld "
		"used_peak_kb=%ld used_base_kb=%ld\n",
		exit_code(st), ru.ru_maxrss, hwm, peak, base);
	return exit_code(st);
}
