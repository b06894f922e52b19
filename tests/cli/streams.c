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
 *   streams mixed   "out N" on fd 1 and "err N" on fd 2 by turns, 200 each
 *   streams wait    fd 0 nonblocking, for a writer that is late: "eagain"
 *                   (nothing yet), epoll says "ready", "got N", poll says
 *                   "ready" again at the end, "eof"
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
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

static int mixed(void)
{
	char line[32];

	for (int i = 0; i < 200; i++) {
		int n = snprintf(line, sizeof(line), "out %d\n", i);

		if (write(1, line, n) != n)
			return 1;
		n = snprintf(line, sizeof(line), "err %d\n", i);
		if (write(2, line, n) != n)
			return 1;
	}
	return 0;
}

/* epoll (first) or poll (then) for fd 0, at most 10 s. */
static int ready(bool use_epoll)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int ep, n;

	if (!use_epoll)
		return poll(&p, 1, 10000) == 1;
	ep = epoll_create1(0);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev))
		return 0;
	n = epoll_wait(ep, &out, 1, 10000);
	close(ep);
	return n == 1;
}

static int wait_input(void)
{
	char buf[256];
	ssize_t n;

	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	n = read(0, buf, sizeof(buf));
	printf("%s\n", n < 0 && errno == EAGAIN ? "eagain" : "not eagain");
	printf("%s\n", ready(true) ? "ready" : "not ready");
	n = read(0, buf, sizeof(buf));
	printf("got %zd\n", n);
	printf("%s\n", ready(false) ? "ready" : "not ready");
	n = read(0, buf, sizeof(buf));
	printf("%s\n", n == 0 ? "eof" : "not eof");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "both"))
		return both();
	if (argc == 2 && !strcmp(argv[1], "stdin"))
		return input();
	if (argc == 2 && !strcmp(argv[1], "epipe"))
		return epipe();
	if (argc == 2 && !strcmp(argv[1], "wait"))
		return wait_input();
	if (argc == 2 && !strcmp(argv[1], "mixed"))
		return mixed();
	fprintf(stderr, "usage: streams both|stdin|epipe|wait|mixed\n");
	return 100;
}
