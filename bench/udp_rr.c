/*
 * udp_rr: the host side of bench/net.sh, against bench/udp_bench_srv.c
 * in a guest. Every mode is bounded in time and in count.
 *
 *   udp_rr HOST PORT wait SECONDS         until the server echoes (exit 1
 *                                         if it never does)
 *   udp_rr HOST PORT rr COUNT SIZE        COUNT request/response round trips
 *                                         of SIZE bytes, one at a time:
 *                                         latency (avg, p50, p99 in us)
 *   udp_rr HOST PORT pps SECONDS WINDOW SIZE   WINDOW datagrams in flight
 *                                         for SECONDS: echoed per second,
 *                                         and the server's own count and
 *                                         time per datagram (MARK/REPORT)
 *   udp_rr HOST PORT quit                 ends the server
 *
 * Output: one line of key=value pairs per mode.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fd;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One datagram in, or -1 after timeout_ms. */
static ssize_t recv_wait(char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	return recv(fd, buf, len, 0);
}

/* Sends `req` until a reply starting with `want` comes, at most `tries`
 * times, `ms` apart. Returns the reply's length or -1. */
static ssize_t ask(const char *req, const char *want, char *reply, size_t len,
		   int tries, int ms)
{
	for (int i = 0; i < tries; i++) {
		double until = now_s() + ms / 1000.0;
		ssize_t n;

		if (send(fd, req, strlen(req), 0) < 0 && errno != ECONNREFUSED)
			perror("udp_rr: send");
		while (now_s() < until) {
			n = recv_wait(reply, len - 1,
				      (int)((until - now_s()) * 1000) + 1);
			if (n >= (ssize_t)strlen(want) &&
			    !memcmp(reply, want, strlen(want))) {
				reply[n] = '\0';
				return n;
			}
		}
	}
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void fill(char *buf, size_t size, unsigned long seq)
{
	memset(buf, 'x', size);
	memcpy(buf, &seq, size < sizeof(seq) ? size : sizeof(seq));
}

static int rr(long count, size_t size)
{
	double *lat = calloc(count, sizeof(double)), sum = 0;
	char *buf = malloc(size + 16), *in = malloc(65536);
	long done = 0, lost = 0;

	for (unsigned long seq = 1; done < count && lost < 100; seq++) {
		double t0 = now_s(), until = t0 + 1.0;
		ssize_t n;

		fill(buf, size, seq);
		send(fd, buf, size, 0);
		for (;;) {
			n = recv_wait(in, 65536,
				      (int)((until - now_s()) * 1000) + 1);
			if (n < 0) {
				lost++;
				break;
			}
			if ((size_t)n == size && !memcmp(in, buf, size)) {
				lat[done] = (now_s() - t0) * 1e6;
				sum += lat[done++];
				break;
			}
		}
	}
	if (!done) {
		printf("rr size=%zu n=0 lost=%ld\n", size, lost);
		return 1;
	}
	qsort(lat, done, sizeof(double), cmp_double);
	printf(
	    "rr size=%zu n=%ld lost=%ld avg_us=%.1f p50_us=%.1f p99_us=%.1f\n",
	    size, done, lost, sum / done, lat[done / 2], lat[done * 99 / 100]);
	return 0;
}

static int pps(double seconds, int window, size_t size)
{
	char *buf = malloc(size + 16), in[65536], rep[256];
	unsigned long sent = 0, got = 0, stalls = 0;
	double t0, end;
	unsigned long long gp = 0, gns = 0, polls = 0;
	double poll_ns = 0, per;

	if (ask("MARK", "MARK", rep, sizeof(rep), 10, 500) < 0) {
		printf("pps no answer to MARK\n");
		return 1;
	}
	fill(buf, size, 0);
	t0 = now_s();
	end = t0 + seconds;
	for (int i = 0; i < window; i++, sent++)
		send(fd, buf, size, 0);
	while (now_s() < end) {
		ssize_t n = recv_wait(in, sizeof(in), 200);

		if (n < 0) { /* the window was lost: fill it again */
			stalls++;
			for (int i = 0; i < window; i++, sent++)
				send(fd, buf, size, 0);
			continue;
		}
		if ((size_t)n != size)
			continue;
		got++;
		send(fd, buf, size, 0);
		sent++;
	}
	end = now_s();
	while (recv_wait(in, sizeof(in), 300) >= 0)
		; /* what is still in flight */
	if (ask("REPORT", "REPORT", rep, sizeof(rep), 10, 500) > 0)
		sscanf(rep,
		       "REPORT packets=%llu ns=%llu polls=%llu poll_ns=%lf",
		       &gp, &gns, &polls, &poll_ns);
	/* The server's time less its empty polls, per datagram echoed. */
	per = gp ? (gns - polls * poll_ns) / gp : 0;
	printf("pps size=%zu window=%d seconds=%.1f sent=%lu echoed=%lu "
	       "stalls=%lu pps=%.0f guest_packets=%llu guest_ns=%llu "
	       "guest_polls=%llu guest_poll_ns=%.1f guest_ns_per_packet=%.0f\n",
	       size, window, end - t0, sent, got, stalls, got / (end - t0), gp,
	       gns, polls, poll_ns, per);
	return got ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	char rep[256];

	if (argc < 4 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr,
			"usage: udp_rr HOST PORT wait|rr|pps|quit ...\n");
		return 2;
	}
	to.sin_port = htons(atoi(argv[2]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		perror("udp_rr: socket/connect");
		return 1;
	}
	if (!strcmp(argv[3], "wait") && argc == 5) {
		int tries = atoi(argv[4]) * 2;

		return ask("PING", "PING", rep, sizeof(rep), tries, 500) < 0;
	}
	if (!strcmp(argv[3], "rr") && argc == 6)
		return rr(atol(argv[4]), atol(argv[5]));
	if (!strcmp(argv[3], "pps") && argc == 7)
		return pps(atof(argv[4]), atoi(argv[5]), atol(argv[6]));
	if (!strcmp(argv[3], "quit"))
		return ask("QUIT", "QUIT", rep, sizeof(rep), 3, 300) < 0;
	fprintf(stderr, "udp_rr: bad mode or arguments\n");
	return 2;
}
