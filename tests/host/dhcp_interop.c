/*
 * The DHCP client of net/dhcp_msg.c against a real server: a host program
 * that drives it over a raw socket on an interface (tests/host/
 * dhcp-interop.sh puts dnsmasq on the other end of a veth pair inside a
 * network namespace). It sends the client's frames as they are, feeds it
 * every UDP datagram to port 68, answers ARP for the leased address (as
 * the stack will), and checks: a lease is bound, then renewed at T1 by a
 * unicast REQUEST (the clock is moved forward), then, with the server
 * silenced, rebound at T2. With a directory argument it also records the
 * server's replies there (seeds for the fuzzer and the host tests).
 *
 * Usage: dhcp_interop IFNAME [RECORD_DIR]; prints "dhcp_interop: PASS" or
 * "dhcp_interop: FAIL: why" and exits 0 or 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/dhcp.h"

#define NS 1000000000ull

static int fd, ifindex, recorded;
static uint8_t mac[6];
static uint64_t skew; /* added to the real clock: the test's time travel */
static const char *record_dir;
static struct dhcp_client c;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec + skew;
}

static uint32_t rnd(void *arg)
{
	(void)arg;
	return (uint32_t)random();
}

static void print_drops(void)
{
	for (int i = 1; i < DHCP_NDROPS; i++)
		if (c.drops[i])
			printf("dhcp_interop: %llu replies ignored: %s\n",
			       (unsigned long long)c.drops[i],
			       dhcp_drop_names[i]);
}

static void fail(const char *why)
{
	print_drops();
	printf("dhcp_interop: FAIL: %s (state %d)\n", why, c.state);
	exit(1);
}

static void open_raw(const char *ifname)
{
	struct ifreq ifr;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL)};

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		fail("socket(AF_PACKET)");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		fail("SIOCGIFHWADDR");
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	ifindex = (int)if_nametoindex(ifname);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		fail("bind(AF_PACKET)");
}

static void send_frame(const uint8_t *f, size_t len)
{
	if (send(fd, f, len, 0) != (ssize_t)len)
		fail("send");
}

static void record(const uint8_t *msg, size_t len)
{
	char path[512];
	FILE *f;

	if (!record_dir)
		return;
	snprintf(path, sizeof(path), "%s/reply-%d", record_dir, recorded++);
	f = fopen(path, "wb");
	if (f) {
		fwrite(msg, 1, len, f);
		fclose(f);
	}
}

/* ARP (RFC 826): a request for our leased address gets a reply. */
static void answer_arp(const uint8_t *f, size_t len)
{
	uint8_t r[42];

	if (len < 42 || f[20] != 0 || f[21] != 1 || !c.lease.addr ||
	    memcmp(f + 38, &c.lease.addr, 4))
		return;
	memcpy(r, f + 6, 6);
	memcpy(r + 6, mac, 6);
	memcpy(r + 12, f + 12, 8); /* type, htype, ptype, hlen, plen */
	r[20] = 0;
	r[21] = 2;
	memcpy(r + 22, mac, 6);
	memcpy(r + 28, &c.lease.addr, 4);
	memcpy(r + 32, f + 22, 10); /* the asker's MAC and address */
	send_frame(r, sizeof(r));
}

/* A gratuitous ARP (RFC 5227 3) for a new address, as the stack sends
 * one: the server's neighbour entry for it, left failed by its ping
 * check, becomes usable, so that the unicast replies of renewal arrive. */
static void announce(void)
{
	uint8_t r[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	memcpy(r + 6, mac, 6);
	memcpy(r + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10);
	memcpy(r + 22, mac, 6);
	memcpy(r + 28, &c.lease.addr, 4);
	memset(r + 32, 0, 6);
	memcpy(r + 38, &c.lease.addr, 4);
	send_frame(r, sizeof(r));
}

static void act(const struct dhcp_action *a, unsigned *seen)
{
	uint8_t frame[DHCP_FRAME_MAX];

	*seen |= a->what;
	if (a->what & DHCP_ACT_BIND)
		announce();
	if (a->what & DHCP_ACT_SEND)
		send_frame(frame, dhcp_frame(frame, a, mac, (uint16_t)rnd(0)));
}

/* One received frame: ARP, or UDP to port 68 for the client. */
static void frame_in(const uint8_t *f, size_t len, unsigned *seen)
{
	struct dhcp_action a;
	size_t ihl, udp_len;

	if (len >= 14 && f[12] == 0x08 && f[13] == 0x06)
		answer_arp(f, len);
	if (len < 42 || f[12] != 0x08 || f[13] != 0 || f[23] != 17)
		return;
	ihl = (size_t)(f[14] & 15) * 4;
	if (ihl < 20 || len < 14 + ihl + 8)
		return;
	if (f[14 + ihl + 2] != 0 || f[14 + ihl + 3] != 68)
		return;
	udp_len = (size_t)(f[14 + ihl + 4] << 8 | f[14 + ihl + 5]);
	if (udp_len < 8 || udp_len > len - 14 - ihl)
		return;
	record(f + 14 + ihl + 8, udp_len - 8);
	dhcp_client_input(&c, f + 14 + ihl + 8, udp_len - 8, f + 6, now_ns(),
			  &a);
	act(&a, seen);
}

/* Runs the client until an action in `want` happened or `wait` passed;
 * the actions seen. With `deaf`, replies are not fed (a silent server). */
static unsigned run(unsigned want, uint64_t wait, bool deaf)
{
	uint64_t end = now_ns() + wait;
	unsigned seen = 0;

	while (!(seen & want) && now_ns() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t next = dhcp_client_deadline(&c), t = now_ns();
		int ms = next <= t ? 0 : (int)((next - t) / 1000000 + 1);
		struct dhcp_action a;
		uint8_t f[2048];

		poll(&p, 1, ms > 100 ? 100 : ms);
		if (p.revents & POLLIN) {
			ssize_t n = recv(fd, f, sizeof(f), 0);

			if (n > 0 && !deaf)
				frame_in(f, (size_t)n, &seen);
		}
		dhcp_client_timer(&c, now_ns(), &a);
		act(&a, &seen);
	}
	return seen;
}

static void print_lease(const char *what)
{
	char a[16], r[16], d[16];

	inet_ntop(AF_INET, &c.lease.addr, a, sizeof(a));
	inet_ntop(AF_INET, &c.lease.router, r, sizeof(r));
	inet_ntop(AF_INET, &c.lease.dns[0], d, sizeof(d));
	printf("dhcp_interop: %s %s/%d gw %s dns %s domain '%s' lease %u s "
	       "(T1 %u, T2 %u)\n",
	       what, a, dhcp_mask_prefix(c.lease.mask), r, d, c.lease.domain,
	       c.lease.lease_s, c.lease.t1_s, c.lease.t2_s);
}

int main(int argc, char **argv)
{
	struct dhcp_action a;
	uint64_t t0;
	unsigned seen;

	if (argc < 2)
		fail("usage: dhcp_interop IFNAME [RECORD_DIR]");
	record_dir = argc > 2 ? argv[2] : NULL;
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	setvbuf(stdout, NULL, _IONBF, 0);
	open_raw(argv[1]);
	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	t0 = now_ns();
	dhcp_client_start(&c, t0, &a);
	act(&a, &seen);
	seen = run(DHCP_ACT_BIND, 20 * NS, false);
	if (!(seen & DHCP_ACT_BIND))
		fail("no lease in 20 s");
	printf("dhcp_interop: bound after %llu ms (%llu messages sent)\n",
	       (unsigned long long)((now_ns() - t0) / 1000000),
	       (unsigned long long)c.sent);
	print_lease("bound");
	/* to T1: a unicast REQUEST to the server, answered with an ACK */
	skew += dhcp_client_deadline(&c) - now_ns();
	seen = run(DHCP_ACT_RENEW | DHCP_ACT_BIND, 10 * NS, false);
	if (!(seen & (DHCP_ACT_RENEW | DHCP_ACT_BIND)))
		fail("no ACK to the renewal at T1");
	print_lease(seen & DHCP_ACT_RENEW ? "renewed" : "rebound (changed)");
	/* to T1 again, the server unheard until T2: a broadcast REQUEST */
	skew += dhcp_client_deadline(&c) - now_ns();
	run(0, 1 * NS, true);
	if (c.state != DHCP_RENEWING)
		fail("not renewing after T1");
	skew += c.bound_ns + (uint64_t)c.lease.t2_s * NS - now_ns();
	seen = run(DHCP_ACT_RENEW | DHCP_ACT_BIND, 10 * NS, false);
	if (!(seen & (DHCP_ACT_RENEW | DHCP_ACT_BIND)))
		fail("no ACK while rebinding after T2");
	print_lease("rebound");
	print_drops();
	printf("dhcp_interop: PASS\n");
	return 0;
}
