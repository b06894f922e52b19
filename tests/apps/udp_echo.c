/*
 * udp_echo PORT [COUNT]: a UDP echo server for the network tests and the
 * benchmark. Binds 0.0.0.0:PORT, prints "udp_echo: ready on PORT" once it
 * is bound, and sends every datagram back to where it came from; with
 * COUNT, exits 0 after echoing that many. Errors go to stderr with exit
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
	fprintf(stderr, "udp_echo: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_in a = {.sin_family = AF_INET};
	long port, count = -1;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: udp_echo PORT [COUNT]\n");
		return 2;
	}
	port = strtol(argv[1], NULL, 10);
	if (argc == 3)
		count = strtol(argv[2], NULL, 10);
	if (port <= 0 || port > 65535 || (argc == 3 && count < 0)) {
		fprintf(stderr, "udp_echo: bad port or count\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fail("socket");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		return fail("bind");
	printf("udp_echo: ready on %ld\n", port);
	fflush(stdout);
	for (long n = 0; count < 0 || n < count; n++) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return fail("recvfrom");
		}
		if (sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from,
			   len) < 0 &&
		    errno != EINTR)
			return fail("sendto");
	}
	return 0;
}
