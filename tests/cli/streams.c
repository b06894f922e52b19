/*
 * The standard streams' test program (tests/cli/run.sh), run on the host
 * and in Osprey with the same redirections:
 *   streams both    "to-out" on fd 1, "to-err" on fd 2; exit 1 if the
 *                   first write failed, 2 if the second, 3 if both
 *   streams stdin   reads fd 0 to its end: "bytes N reads R" on fd 1, or
 *                   "read: ERROR" and exit 1
 *   streams epipe   SIGPIPE ignored, writes lines on fd 1 until a write
 *                   fails (at most 100M): "write: ERROR" on fd 2, exit 3
 *                   for EPIPE, 4 for another error, 5 if none failed
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int both(void)
{
	int bad = 0;

	if (write(1, "to-out\n", 7) != 7)
		bad |= 1;
	if (write(2, "to-err\n", 7) != 7)
		bad |= 2;
	return bad;
}

static int input(void)
{
	char buf[65536], line[64];
	long total = 0, reads = 0;
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0 && reads < 100000000)
		total += n, reads++;
	if (n < 0) {
		fprintf(stderr, "read: %s\n", strerror(errno));
		return 1;
	}
	snprintf(line, sizeof(line), "bytes %ld reads %ld\n", total, reads);
	return write(1, line, strlen(line)) < 0;
}

static int epipe(void)
{
	static const char line[] = "a line that nobody reads to its end\n";

	signal(SIGPIPE, SIG_IGN);
	for (long i = 0; i < 100000000; i++) {
		if (write(1, line, sizeof(line) - 1) >= 0)
			continue;
		int e = errno;
		fprintf(stderr, "write: %s\n", strerror(e));
		return e == EPIPE ? 3 : 4;
	}
	return 5;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "both"))
		return both();
	if (argc == 2 && !strcmp(argv[1], "stdin"))
		return input();
	if (argc == 2 && !strcmp(argv[1], "epipe"))
		return epipe();
	fprintf(stderr, "usage: streams both|stdin|epipe\n");
	return 100;
}
