/*
 * tcp_stream: both ends of the network tests' TCP streams (tests/net/run.sh).
 *
 *   tcp_stream serve PORT [COUNT]     in the guest: on 0.0.0.0:PORT, prints
 *                                     "tcp_stream: ready on PORT", serves
 *                                     each connection in a thread of its
 *                                     own; with COUNT, exits 0 after COUNT
 *                                     connections served without error
 *   tcp_stream sink HOST PORT N       sends N bytes, the guest answers
 *                                     their checksum
 *   tcp_stream source HOST PORT N S   the guest sends N bytes of stream S
 *   tcp_stream sendfile HOST PORT N S the same from a file, by sendfile
 *   tcp_stream echo HOST PORT N       the guest echoes N bytes
 *   tcp_stream ping HOST PORT N       N connections at once each send 16
 *                                     bytes, read their echo, shut down
 *                                     and read EOF (sock_tcp_epoll --serve)
 *
 * The protocol: the client's first line is its command, at most 63 bytes
 * with its newline: "sink N" (N bytes follow; the server answers
 * "ok N SUM\n"), "source N SEED" (the server sends N bytes and closes),
 * "sendfile N SEED" (the same bytes written to a file in /tmp first and
 * sent with sendfile(2), which Osprey sends from the file's pages)
 * or "echo" (the server echoes until EOF). Anything else gets
 * "error: ...\n" and a close. The bytes are a seeded xorshift64 stream
 * and SUM is their FNV-1a 64 checksum in hex, so that each end checks
 * the other without sharing the data. A client prints one line with the
 * size and rate and exits 0 when everything matched, 1 otherwise; every
 * blocking call gives up after IO_TIMEOUT_S seconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_S 30
#define CHUNK 65536
#define LINE_MAX_LEN 64
#define SINK_SEED 0x5eed

/* xorshift64 from the seed, 8 bytes at a time; FNV-1a 64 over bytes. */
struct stream {
	uint64_t x, sum;
	uint64_t left; /* bytes of the current word not yet produced */
	uint64_t word;
};

static void stream_init(struct stream *s, uint64_t seed)
{
	s->x = seed ? seed : 0x9e3779b97f4a7c15ull;
	s->sum = 0xcbf29ce484222325ull;
	s->left = 0;
}

static void stream_fill(struct stream *s, unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!s->left) {
			s->x ^= s->x << 13;
			s->x ^= s->x >> 7;
			s->x ^= s->x << 17;
			s->word = s->x;
			s->left = 8;
		}
		p[i] = (unsigned char)s->word;
		s->word >>= 8;
		s->left--;
	}
}

static void stream_sum(struct stream *s, const unsigned char *p, size_t n)
{
	uint64_t h = s->sum;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	s->sum = h;
}

static void set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Reads a line of at most LINE_MAX_LEN - 1 bytes, newline dropped. */
static int read_line(int fd, char *line)
{
	size_t n = 0;

	while (n < LINE_MAX_LEN - 1) {
		ssize_t r = recv(fd, line + n, 1, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (line[n] == '\n') {
			line[n] = 0;
			return 0;
		}
		n++;
	}
	return -1;
}

/* Reads exactly n bytes into the checksum (NULL: just count); 0 or -1. */
static int recv_sum(int fd, struct stream *s, uint64_t n, uint64_t *got)
{
	static __thread unsigned char buf[CHUNK];

	*got = 0;
	while (*got < n) {
		size_t want = n - *got < CHUNK ? (size_t)(n - *got) : CHUNK;
		ssize_t r = recv(fd, buf, want, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		stream_sum(s, buf, (size_t)r);
		*got += (uint64_t)r;
	}
	return 0;
}

static int send_stream(int fd, uint64_t seed, uint64_t n, uint64_t *sum)
{
	static __thread unsigned char buf[CHUNK];
	struct stream s;

	stream_init(&s, seed);
	while (n) {
		size_t k = n < CHUNK ? (size_t)n : CHUNK;

		stream_fill(&s, buf, k);
		stream_sum(&s, buf, k);
		if (send_all(fd, buf, k))
			return -1;
		n -= k;
	}
	if (sum)
		*sum = s.sum;
	return 0;
}

/* ---- the server ---- */

static atomic_long served, failed;

static int serve_sink(int fd, uint64_t n)
{
	struct stream s;
	uint64_t got;
	char reply[80];

	stream_init(&s, 0);
	if (recv_sum(fd, &s, n, &got))
		return -1;
	snprintf(reply, sizeof(reply), "ok %" PRIu64 " %016" PRIx64 "\n", got,
		 s.sum);
	return send_all(fd, reply, strlen(reply));
}

static int serve_echo(int fd)
{
	static __thread char buf[CHUNK];
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || send_all(fd, buf, (size_t)r))
			return -1;
	}
	return 0;
}

/* The stream written to a new unlinked file in /tmp, then sent with
 * sendfile in pieces of up to 1 MiB (the last from the file position). */
static int sendfile_stream(int fd, uint64_t seed, uint64_t n)
{
	static __thread unsigned char buf[CHUNK];
	char path[] = "/tmp/tcp_stream_XXXXXX";
	int f = mkstemp(path);
	struct stream s;
	off_t off = 0;

	if (f < 0)
		return -1;
	unlink(path);
	stream_init(&s, seed);
	for (uint64_t left = n; left;) {
		size_t k = left < CHUNK ? (size_t)left : CHUNK;

		stream_fill(&s, buf, k);
		if (write(f, buf, k) != (ssize_t)k)
			goto fail;
		left -= k;
	}
	while ((uint64_t)off < n) {
		size_t k = n - (uint64_t)off > (1 << 20) ? 1 << 20
							  : (size_t)(n - (uint64_t)off);
		ssize_t r = sendfile(fd, f, &off, k);

		if (r <= 0 && !(r < 0 && errno == EINTR))
			goto fail;
	}
	close(f);
	return 0;
fail:
	close(f);
	return -1;
}

/* Parses and runs the connection's command; 0 when it went through. */
static int serve_command(int fd)
{
	char line[LINE_MAX_LEN], extra;
	uint64_t n, seed;
	const char *why = "error: unknown command\n";

	if (read_line(fd, line)) {
		why = "error: no command line\n";
	} else if (sscanf(line, "sink %" SCNu64 " %c", &n, &extra) == 1) {
		return serve_sink(fd, n);
	} else if (sscanf(line, "source %" SCNu64 " %" SCNu64 " %c", &n, &seed,
			  &extra) == 2) {
		return send_stream(fd, seed, n, NULL);
	} else if (sscanf(line, "sendfile %" SCNu64 " %" SCNu64 " %c", &n,
			  &seed, &extra) == 2) {
		return sendfile_stream(fd, seed, n);
	} else if (!strcmp(line, "echo")) {
		return serve_echo(fd);
	}
	send_all(fd, why, strlen(why));
	return -1;
}

/*
 * close() does not wait for the data to leave, and the VM ends when the
 * program exits: so the server sends its FIN and waits for the client's,
 * which comes only after the client has read everything.
 */
static int linger_for_eof(int fd)
{
	char buf[256];
	ssize_t r;

	shutdown(fd, SHUT_WR);
	while ((r = recv(fd, buf, sizeof(buf), 0)) != 0)
		if (r < 0 && errno != EINTR)
			return -1;
	return 0;
}

static void *serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;

	set_timeouts(fd);
	if (serve_command(fd) || linger_for_eof(fd))
		atomic_fetch_add(&failed, 1);
	else
		atomic_fetch_add(&served, 1);
	close(fd);
	return NULL;
}

/*
 * Without COUNT, serves for ever (each connection's thread detached); with
 * COUNT, accepts COUNT connections, joins their threads and exits 0 iff
 * every one was served without error.
 */
static int serve(long port, long count)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pthread_t *t = count > 0 ? calloc((size_t)count, sizeof(*t)) : NULL;
	long accepted = 0, started = 0;

	if (l < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 128)) {
		fprintf(stderr, "tcp_stream: listen on %ld: %s\n", port,
			strerror(errno));
		return 1;
	}
	printf("tcp_stream: ready on %ld\n", port);
	while (count < 0 || accepted < count) {
		int fd = accept(l, NULL, NULL);
		pthread_t self;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "tcp_stream: accept: %s\n",
				strerror(errno));
			return 1;
		}
		accepted++;
		if (pthread_create(count > 0 ? &t[started] : &self, NULL,
				   serve_conn, (void *)(intptr_t)fd)) {
			close(fd);
			atomic_fetch_add(&failed, 1);
			continue;
		}
		if (count > 0)
			started++;
		else
			pthread_detach(self);
	}
	for (long i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	printf("tcp_stream: served %ld, failed %ld\n", (long)served,
	       (long)failed);
	return failed ? 1 : 0;
}

/* ---- the clients ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(const char *host, long port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	set_timeouts(fd);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "tcp_stream: connect %s:%ld: %s\n", host, port,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int report(const char *what, uint64_t n, double t0, int ok,
		  const char *detail)
{
	double t = now_s() - t0;

	printf("tcp_stream: %s %" PRIu64 " bytes in %.1f s (%.1f MB/s): %s%s\n",
	       what, n, t, t > 0 ? (double)n / t / 1e6 : 0.0,
	       ok ? "checksum ok" : "FAILED ", ok ? "" : detail);
	return ok ? 0 : 1;
}

static int client_sink(int fd, uint64_t n)
{
	char cmd[LINE_MAX_LEN], line[LINE_MAX_LEN], want[LINE_MAX_LEN];
	uint64_t sum = 0;
	double t0 = now_s();

	snprintf(cmd, sizeof(cmd), "sink %" PRIu64 "\n", n);
	if (send_all(fd, cmd, strlen(cmd)) ||
	    send_stream(fd, SINK_SEED, n, &sum))
		return report("sink", n, t0, 0, strerror(errno));
	if (read_line(fd, line))
		return report("sink", n, t0, 0, "no answer");
	snprintf(want, sizeof(want), "ok %" PRIu64 " %016" PRIx64, n, sum);
	return report("sink", n, t0, !strcmp(line, want), line);
}

/* "source" or "sendfile": n bytes of stream `seed` from the guest. */
static int client_source(int fd, const char *how, uint64_t n, uint64_t seed)
{
	char cmd[LINE_MAX_LEN], extra;
	struct stream got, want;
	static unsigned char buf[CHUNK];
	uint64_t count;
	double t0 = now_s();

	snprintf(cmd, sizeof(cmd), "%s %" PRIu64 " %" PRIu64 "\n", how, n,
		 seed);
	if (send_all(fd, cmd, strlen(cmd)))
		return report(how, n, t0, 0, strerror(errno));
	stream_init(&got, 0);
	if (recv_sum(fd, &got, n, &count))
		return report(how, count, t0, 0, "short stream");
	if (recv(fd, &extra, 1, 0) != 0)
		return report(how, count, t0, 0, "more than asked or no EOF");
	stream_init(&want, seed);
	for (uint64_t left = n; left;) {
		size_t k = left < CHUNK ? (size_t)left : CHUNK;

		stream_fill(&want, buf, k);
		stream_sum(&want, buf, k);
		left -= k;
	}
	return report(how, n, t0, got.sum == want.sum, "checksum differs");
}

/* Sends and receives at once (poll), so that neither side's buffer fills. */
static int client_echo(int fd, uint64_t n)
{
	static unsigned char buf[CHUNK], in[CHUNK];
	struct stream tx, rx;
	uint64_t sent = 0, got = 0;
	double t0 = now_s();
	size_t have = 0, off = 0;

	if (send_all(fd, "echo\n", 5))
		return report("echo", n, t0, 0, strerror(errno));
	stream_init(&tx, SINK_SEED);
	stream_init(&rx, 0);
	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (sent < n)
			p.events |= POLLOUT;
		if (poll(&p, 1, IO_TIMEOUT_S * 1000) != 1)
			return report("echo", got, t0, 0, "stalled");
		if (p.revents & POLLOUT) {
			if (off == have) {
				have = n - sent < CHUNK ? n - sent : CHUNK;
				stream_fill(&tx, buf, have);
				stream_sum(&tx, buf, have);
				off = 0;
			}
			ssize_t r = send(fd, buf + off, have - off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r > 0) {
				off += (size_t)r;
				sent += (uint64_t)r;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(fd, in, sizeof(in), MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN))
				return report("echo", got, t0, 0,
					      "closed early");
			if (r > 0) {
				stream_sum(&rx, in, (size_t)r);
				got += (uint64_t)r;
			}
		}
	}
	return report("echo", n, t0, got == n && rx.sum == tx.sum,
		      "checksum differs");
}

/* N connections at once: message, echo, shutdown, EOF each. */
static int client_ping(const char *host, long port, long n)
{
	int *fd = calloc((size_t)n, sizeof(int)), ok = 0;

	if (!fd)
		return 1;
	double t0 = now_s();

	for (long i = 0; i < n; i++)
		fd[i] = dial(host, port);
	for (long i = 0; i < n; i++) {
		char msg[17];

		snprintf(msg, sizeof(msg), "client %8d", (int)(i % 100000000));
		if (fd[i] >= 0)
			send_all(fd[i], msg, 16);
	}
	for (long i = 0; i < n; i++) {
		char want[17], got[17];
		size_t have = 0;
		ssize_t r = 1;

		snprintf(want, sizeof(want), "client %8d",
			 (int)(i % 100000000));
		if (fd[i] < 0)
			continue;
		while (have < 16 && r > 0) {
			r = recv(fd[i], got + have, 16 - have, 0);
			if (r > 0)
				have += (size_t)r;
		}
		if (have == 16 && !memcmp(got, want, 16) &&
		    !shutdown(fd[i], SHUT_WR) && recv(fd[i], got, 1, 0) == 0)
			ok++;
		close(fd[i]);
	}
	free(fd);
	printf("tcp_stream: ping %d of %ld connections echoed and closed in "
	       "%.1f s\n",
	       ok, n, now_s() - t0);
	return ok == n ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: tcp_stream serve PORT [COUNT] | "
		"sink|echo|ping HOST PORT N | source|sendfile HOST PORT N SEED\n");
	return 2;
}

int main(int argc, char **argv)
{
	long port;
	uint64_t n;
	int fd, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "serve") && argc <= 4) {
		port = strtol(argv[2], NULL, 10);
		if (port <= 0 || port > 65535)
			return usage();
		return serve(port, argc == 4 ? strtol(argv[3], NULL, 10) : -1);
	}
	if (argc < 5)
		return usage();
	port = strtol(argv[3], NULL, 10);
	n = strtoull(argv[4], NULL, 10);
	if (port <= 0 || port > 65535)
		return usage();
	if (!strcmp(argv[1], "ping") && argc == 5)
		return client_ping(argv[2], port, (long)n);
	fd = dial(argv[2], port);
	if (fd < 0)
		return 1;
	if (!strcmp(argv[1], "sink") && argc == 5)
		rc = client_sink(fd, n);
	else if (!strcmp(argv[1], "echo") && argc == 5)
		rc = client_echo(fd, n);
	else if ((!strcmp(argv[1], "source") || !strcmp(argv[1], "sendfile")) &&
		 argc == 6)
		rc = client_source(fd, argv[1], n, strtoull(argv[5], NULL, 10));
	else
		rc = usage();
	close(fd);
	return rc;
}
