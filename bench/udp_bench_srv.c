/*
 * udp_bench_srv PORT: the guest side of bench/net.sh, the very same static
 * binary in Osprey and in the Linux guest. Echoes every datagram on
 * 0.0.0.0:PORT back to its sender, and keeps two counters for the host:
 *
 *   "MARK"    (a datagram starting with it) zeroes them and notes the
 *             CLOCK_MONOTONIC time; it is echoed like any other.
 *   "REPORT"  is answered with "REPORT packets=N ns=T" instead: N
 *             datagrams echoed since MARK, T ns from MARK to the last.
 *   "QUIT"    is echoed, and the program exits 0.
 *
 * Under TCG with -icount shift=0,sleep=off the guest's clock advances one
 * ns per guest instruction, so while the host keeps the guest busy, T/N
 * is the guest's instructions per echoed datagram (receive and send).
 * Prints "udp_bench_srv: ready on PORT" when it is listening.
 */
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

int main(int argc, char **argv)
{
	struct sockaddr_in me = {.sin_family = AF_INET}, peer;
	unsigned long long t0 = now_ns(), tlast = t0, packets = 0;
	static char buf[65536];
	int fd;

	if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
		fprintf(stderr, "usage: udp_bench_srv PORT\n");
		return 2;
	}
	me.sin_port = htons(atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me))) {
		perror("udp_bench_srv: socket/bind");
		return 1;
	}
	printf("udp_bench_srv: ready on %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&peer, &plen);

		if (n < 0) {
			perror("udp_bench_srv: recvfrom");
			return 1;
		}
		if (n >= 6 && !memcmp(buf, "REPORT", 6)) {
			n = snprintf(buf, sizeof(buf),
				     "REPORT packets=%llu ns=%llu", packets,
				     tlast - t0);
		} else if (n >= 4 && !memcmp(buf, "MARK", 4)) {
			packets = 0;
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
