/*
 * resolve NAME...: looks each NAME up with getaddrinfo (IPv4, as glibc's
 * resolver does it: /etc/nsswitch.conf, /etc/hosts, /etc/resolv.conf) and
 * prints "NAME ADDR" for each address, or "NAME error: WHY" on stderr.
 * Exit status: 0 when every name resolved, 1 otherwise, 2 on bad usage.
 * An ordinary Linux program: it runs on the host as well as in Osprey.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int resolve(const char *name)
{
	struct addrinfo hints, *res, *ai;
	char buf[INET_ADDRSTRLEN];
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM; /* one entry per address */
	err = getaddrinfo(name, NULL, &hints, &res);
	if (err) {
		fprintf(stderr, "%s error: %s\n", name, gai_strerror(err));
		return 1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;

		inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
		printf("%s %s\n", name, buf);
	}
	freeaddrinfo(res);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: resolve NAME...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		failed |= resolve(argv[i]);
	fflush(stdout);
	return failed;
}
