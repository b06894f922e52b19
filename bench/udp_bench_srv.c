/*
 * udp_bench_srv PORT [busy]: the guest side of bench/net.sh, the very same
 * static binary in Osprey and in the Linux guest. Echoes every datagram on
 * 0.0.0.0:PORT back to its sender, and keeps counters for the host:
 *
 *   "MARK"    (a datagram starting with it) zeroes them and notes the
 *             CLOCK_MONOTONIC time; it is echoed like any other.
 *   "REPORT"  is answered with "REPORT packets=N ns=T polls=E
 *             poll_ns=P": N datagrams echoed since MARK, T ns from MARK
 *             to the last, E empty polls among them (busy), and P ns per
 *             empty poll measured at the start (busy).
 *   "QUIT"    is echoed, and the program exits 0.
 *
 * busy: the socket is polled with MSG_DONTWAIT and never waited on, so
 * the vCPU never idles. That is for -icount shift=0,sleep=off, where the
 * guest's clock advances one ns per guest instruction, but jumps to the
 * next timer whenever the vCPU idles: busy, (T - E * P) / N is the guest's
 * instructions per datagram received and echoed, everything included
 * (driver, stack, system calls, interrupts). P, the cost of one empty
 * poll, is the least of 5 rounds of 2000 measured before any traffic.
 * Prints "udp_bench_srv: ready on PORT" when it is listening.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ns of one recvfrom that finds nothing (the least of 5 rounds). */
static double empty_poll_ns(int fd, char *buf, size_t len)
{
	double best = 1e18;

	for (int round = 0; round < 5; round++) {
		unsigned long long t0 = now_ns();

		for (int i = 0; i < 2000; i++) {
			ssize_t n = recvfrom(fd, buf, len, MSG_DONTWAIT, 0, 0);

			if (n >= 0)
				return 0; /* traffic already: no figure */
		}
		if ((now_ns() - t0) / 2000.0 < best)
			best = (now_ns() - t0) / 2000.0;
	}
	return best;
}

int main(int argc, char **argv)
{
	struct sockaddr_in me = {.sin_family = AF_INET}, peer;
	unsigned long long t0 = now_ns(), tlast = t0, packets = 0, polls = 0;
	static char buf[65536];
	double poll_ns = 0;
	int fd, busy = argc == 3 && !strcmp(argv[2], "busy");

	if (argc < 2 || argc > 3 || (argc == 3 && !busy) ||
	    atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
		fprintf(stderr, "usage: udp_bench_srv PORT [busy]\n");
		return 2;
	}
	me.sin_port = htons(atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me))) {
		perror("udp_bench_srv: socket/bind");
		return 1;
	}
	if (busy)
		poll_ns = empty_poll_ns(fd, buf, sizeof(buf));
	printf("udp_bench_srv: ready on %s%s\n", argv[1],
	       busy ? " (busy polling)" : "");
	fflush(stdout);
	for (;;) {
		socklen_t plen = sizeof(peer);
		ssize_t n =
		    recvfrom(fd, buf, sizeof(buf), busy ? MSG_DONTWAIT : 0,
			     (struct sockaddr *)&peer, &plen);

		if (n < 0 && busy &&
		    (errno == EAGAIN || errno == EWOULDBLOCK)) {
			polls++;
			continue;
		}
		if (n < 0) {
			perror("udp_bench_srv: recvfrom");
			return 1;
		}
		if (n >= 6 && !memcmp(buf, "REPORT", 6)) {
			n = snprintf(buf, sizeof(buf),
				     "REPORT packets=%llu ns=%llu polls=%llu "
				     "poll_ns=%.1f",
				     packets, tlast - t0, polls, poll_ns);
		} else if (n >= 4 && !memcmp(buf, "MARK", 4)) {
			packets = polls = 0;
			t0 = tlast = now_ns();
		} else {
			packets++;
		}
		if (sendto(fd, buf, n, 0, (struct sockaddr *)&peer, plen) < 0)
			perror("udp_bench_srv: sendto");
		if (packets)
			tlast = now_ns();
		if (n >= 4 && !memcmp(buf, "QUIT", 4))
			return 0;
	}
}
