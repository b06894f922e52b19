/*
 * netstat_after SECONDS [FILE...]: sleeps SECONDS, then prints each FILE
 * (default /proc/net/snmp and /proc/net/dev) under a "== FILE" line and
 * exits 0 (1 if a file could not be read). The hostile-frame test runs it
 * in the guest so that the guest's counters are printed after the attack,
 * with one program and no fork.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int show(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return 1;
	}
	printf("== %s\n", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const dflt[] = {"/proc/net/snmp", "/proc/net/dev"};
	struct timespec ts = {0};
	int failed = 0;
	char *end;

	if (argc < 2 || (ts.tv_sec = strtol(argv[1], &end, 10)) < 0 || *end) {
		fprintf(stderr, "usage: netstat_after SECONDS [FILE...]\n");
		return 2;
	}
	printf("netstat_after: sleeping %ld s\n", (long)ts.tv_sec);
	fflush(stdout);
	while (nanosleep(&ts, &ts))
		; /* EINTR: sleep the rest */
	if (argc == 2)
		for (int i = 0; i < 2; i++)
			failed |= show(dflt[i]);
	for (int i = 2; i < argc; i++)
		failed |= show(argv[i]);
	fflush(stdout);
	return failed;
}
