/*
 * tcp_echo PORT [COUNT]: a TCP echo server for the network tests and the
 * benchmark. Listens on 0.0.0.0:PORT, prints "tcp_echo: ready on PORT"
 * once it listens, and serves one connection at a time, sending back
 * everything it reads until the client shuts its side down; with COUNT,
 * exits 0 after that many connections. Errors go to stderr with exit
 * status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "tcp_echo: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Echoes one connection to its end; 0, or -1 on an error. */
static int serve(int c)
{
	static char buf[65536];

	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf)), off = 0;

		if (n == 0)
			return 0;
		if (n < 0)
			return -1;
		while (off < n) {
			ssize_t w = write(c, buf + off, (size_t)(n - off));

			if (w <= 0)
				return -1;
			off += w;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	long port, count = -1;
	int fd, one = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: tcp_echo PORT [COUNT]\n");
		return 2;
	}
	port = strtol(argv[1], NULL, 10);
	if (argc == 3)
		count = strtol(argv[2], NULL, 10);
	if (port <= 0 || port > 65535 || (argc == 3 && count < 0)) {
		fprintf(stderr, "tcp_echo: bad port or count\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		return fail("bind");
	if (listen(fd, 16))
		return fail("listen");
	printf("tcp_echo: ready on %ld\n", port);
	fflush(stdout);
	for (long n = 0; count < 0 || n < count; n++) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			return fail("accept");
		if (serve(c))
			return fail("echo");
		close(c);
	}
	close(fd);
	return 0;
}
