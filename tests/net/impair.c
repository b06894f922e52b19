/*
 * impair GUEST_TAP BRIDGE_TAP SECONDS LOSS% DELAY_MS REORDER% DUP% SEED:
 * netem's loss, delay, reordering and duplication in user space, for
 * hosts whose kernel has no sch_netem (tests/net/run.sh uses `tc qdisc
 * ... netem` where it can and this where it cannot).
 *
 * It relays Ethernet frames between the guest's TAP device (GUEST_TAP,
 * outside the bridge, NOARP, read and written through an AF_PACKET
 * socket) and a second TAP device that is a port of the test's bridge
 * (BRIDGE_TAP, opened here through /dev/net/tun: what the bridge sends to
 * it is read from the fd, what is written to the fd enters the bridge).
 * Both directions are impaired the way netem's "loss L delay D reorder R
 * duplicate P" is: a frame is dropped with probability L, sent twice with
 * probability P, sent at once with probability R (so it overtakes the
 * frames held back), otherwise held for D ms. The random numbers come
 * from SEED: a run is repeatable. Runs SECONDS seconds (or until TERM),
 * then prints what it did and exits 0.
 *
 * QEMU's TAP backend hands the kernel the guest's offloads (a
 * virtio_net_hdr per frame): a checksum left for the device to fill and
 * TCP segments of up to 64 KiB (TSO). A bridge port honours them; a
 * packet socket sees them raw, so this reads the guest's side with
 * PACKET_VNET_HDR and does the device's part: fills the checksum, cuts a
 * TSO frame into gso_size segments (IPv4 TCP; other GSO kinds are
 * dropped and counted). Frames to the guest go out with an empty header.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 70000
#define HELD_MAX 4096 /* frames held per direction; more are dropped */

struct held {
	uint64_t due_ns;
	size_t len;
	unsigned char *data;
};

/* One direction: frames read from `in`, written to `out`, a FIFO of held
 * frames (all held the same delay, so their due times only grow). */
struct dir {
	const char *name;
	int in, out;
	int in_is_packet;  /* AF_PACKET: skip our own outgoing frames */
	int out_is_packet; /* AF_PACKET with PACKET_VNET_HDR */
	struct held q[HELD_MAX];
	unsigned head, count;
	unsigned long frames, dropped, duplicated, reordered, overflow;
	unsigned long offloaded, bad_gso;
};

static double loss, reorder, dup_pct;
static uint64_t delay_ns, rng;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Uniform in [0, 100). */
static double chance(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / (double)(1ull << 53) * 100.0;
}

static void emit(struct dir *d, const unsigned char *p, size_t len)
{
	static unsigned char buf[sizeof(struct virtio_net_hdr) + FRAME_MAX];
	ssize_t r;

	if (d->out_is_packet) { /* an empty header: nothing offloaded */
		memset(buf, 0, sizeof(struct virtio_net_hdr));
		memcpy(buf + sizeof(struct virtio_net_hdr), p, len);
		r = write(d->out, buf, len + sizeof(struct virtio_net_hdr));
	} else {
		r = write(d->out, p, len);
	}
	if (r < 0 && errno != EAGAIN && errno != ENOBUFS)
		perror("impair: write");
}

static void hold(struct dir *d, const unsigned char *p, size_t len)
{
	struct held *h;

	if (d->count == HELD_MAX) {
		d->overflow++;
		return;
	}
	h = &d->q[(d->head + d->count) % HELD_MAX];
	h->data = malloc(len);
	if (!h->data) {
		d->overflow++;
		return;
	}
	memcpy(h->data, p, len);
	h->len = len;
	h->due_ns = now_ns() + delay_ns;
	d->count++;
}

static void impair_one(struct dir *d, const unsigned char *p, size_t len)
{
	int copies = 1;

	d->frames++;
	if (chance() < loss) {
		d->dropped++;
		return;
	}
	if (chance() < dup_pct) {
		d->duplicated++;
		copies = 2;
	}
	while (copies--) {
		if (chance() < reorder) {
			d->reordered++;
			emit(d, p, len);
		} else {
			hold(d, p, len);
		}
	}
}

/* The Internet checksum's running sum over big-endian 16-bit words. */
static uint32_t csum_add(uint32_t sum, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds the pseudo-header's sum;
 * the device sums from csum_start to the end and stores the complement. */
static void fill_csum(unsigned char *f, size_t len,
		      const struct virtio_net_hdr *h)
{
	if (h->csum_start + h->csum_offset + 2u > len)
		return;
	put16(f + h->csum_start + h->csum_offset,
	      csum_fold(csum_add(0, f + h->csum_start, len - h->csum_start)));
}

/* One segment of a TSO frame: the headers (hl bytes, IPv4 at 14) with
 * the payload at off, n bytes; IP length, id and checksum, TCP sequence,
 * flags and checksum made right. */
static void tso_segment(struct dir *d, const unsigned char *f, size_t hl,
			size_t off, size_t n, unsigned i, int last)
{
	static unsigned char seg[FRAME_MAX];
	unsigned char *ip = seg + 14, *tcp;
	size_t ihl = (size_t)(f[14] & 15) * 4;
	uint32_t seq, sum;

	memcpy(seg, f, hl);
	memcpy(seg + hl, f + hl + off, n);
	tcp = ip + ihl;
	put16(ip + 2, (uint16_t)(hl - 14 + n));
	put16(ip + 4, (uint16_t)((ip[4] << 8 | ip[5]) + i));
	put16(ip + 10, 0);
	put16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
	seq = (uint32_t)tcp[4] << 24 | tcp[5] << 16 | tcp[6] << 8 | tcp[7];
	seq += (uint32_t)off;
	tcp[4] = (unsigned char)(seq >> 24);
	tcp[5] = (unsigned char)(seq >> 16);
	tcp[6] = (unsigned char)(seq >> 8);
	tcp[7] = (unsigned char)seq;
	if (!last)
		tcp[13] &= (unsigned char)~0x09; /* FIN, PSH: last only */
	if (i)
		tcp[13] &= (unsigned char)~0x80; /* CWR: first only */
	put16(tcp + 16, 0);
	sum = csum_add(0, ip + 12, 8); /* pseudo-header */
	sum += 6 + (uint32_t)(hl - 14 - ihl + n);
	put16(tcp + 16, csum_fold(csum_add(sum, tcp, hl - 14 - ihl + n)));
	impair_one(d, seg, hl + n);
}

/* A frame from the guest, with its virtio_net_hdr: the device's part. */
static void from_guest(struct dir *d, unsigned char *f, size_t len,
		       const struct virtio_net_hdr *h)
{
	size_t ihl, hl, payload, mss = h->gso_size;

	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			d->offloaded++;
			fill_csum(f, len, h);
		}
		impair_one(d, f, len);
		return;
	}
	d->offloaded++;
	ihl = len > 34 ? (size_t)(f[14] & 15) * 4 : 0;
	if ((h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) !=
		VIRTIO_NET_HDR_GSO_TCPV4 ||
	    f[12] != 0x08 || f[13] != 0x00 || ihl < 20 || !mss ||
	    14 + ihl + 20 > len) {
		d->bad_gso++;
		return;
	}
	hl = 14 + ihl + (size_t)(f[14 + ihl + 12] >> 4) * 4;
	if (hl > len) {
		d->bad_gso++;
		return;
	}
	payload = len - hl;
	for (size_t off = 0, i = 0; off < payload; off += mss, i++) {
		size_t n = payload - off < mss ? payload - off : mss;

		tso_segment(d, f, hl, off, n, (unsigned)i, off + n >= payload);
	}
}

/* Takes what is waiting (at most 256 frames, then the other side's turn). */
static void receive(struct dir *d)
{
	static unsigned char buf[FRAME_MAX];

	for (int i = 0; i < 256; i++) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t r;

		if (d->in_is_packet) {
			struct virtio_net_hdr h;

			r = recvfrom(d->in, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
			if (r <= 0)
				return;
			if (from.sll_pkttype == PACKET_OUTGOING ||
			    (size_t)r < sizeof(h))
				continue;
			memcpy(&h, buf, sizeof(h));
			from_guest(d, buf + sizeof(h), (size_t)r - sizeof(h),
				   &h);
			continue;
		} else {
			r = read(d->in, buf, sizeof(buf));
		}
		if (r <= 0)
			return;
		impair_one(d, buf, (size_t)r);
	}
}

/* Sends the held frames that are due; the ms until the next one, or -1. */
static int release(struct dir *d, uint64_t now)
{
	while (d->count) {
		struct held *h = &d->q[d->head];

		if (h->due_ns > now)
			return (int)((h->due_ns - now) / 1000000) + 1;
		emit(d, h->data, h->len);
		free(h->data);
		d->head = (d->head + 1) % HELD_MAX;
		d->count--;
	}
	return -1;
}

static int open_packet(const char *ifname)
{
	struct sockaddr_ll a = {.sll_family = AF_PACKET,
				.sll_protocol = htons(ETH_P_ALL)};
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)), one = 1;

	if (fd >= 0 &&
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))) {
		perror("PACKET_VNET_HDR");
		return -1;
	}
	a.sll_ifindex = (int)if_nametoindex(ifname);
	if (fd < 0 || !a.sll_ifindex ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror(ifname);
		return -1;
	}
	return fd;
}

static int open_tap(const char *ifname)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr)) {
		perror(ifname);
		return -1;
	}
	return fd;
}

static void report(const struct dir *d)
{
	printf("impair: %s: %lu frames, %lu dropped, %lu duplicated, "
	       "%lu sent early (reordered), %lu over the queue, "
	       "%lu offloaded (checksum, TSO), %lu unknown GSO dropped\n",
	       d->name, d->frames, d->dropped, d->duplicated, d->reordered,
	       d->overflow, d->offloaded, d->bad_gso);
}

int main(int argc, char **argv)
{
	static struct dir to_host = {.name = "guest->host", .in_is_packet = 1},
			  to_guest = {.name = "host->guest",
				      .out_is_packet = 1};
	uint64_t end;
	int pkt, tap;

	if (argc != 9) {
		fprintf(stderr, "usage: impair GUEST_TAP BRIDGE_TAP SECONDS "
				"LOSS%% DELAY_MS REORDER%% DUP%% SEED\n");
		return 2;
	}
	loss = atof(argv[4]);
	delay_ns = (uint64_t)(atof(argv[5]) * 1e6);
	reorder = atof(argv[6]);
	dup_pct = atof(argv[7]);
	rng = strtoull(argv[8], NULL, 10) | 1;
	pkt = open_packet(argv[1]);
	tap = open_tap(argv[2]);
	if (pkt < 0 || tap < 0)
		return 1;
	to_host.in = pkt;
	to_host.out = tap;
	to_guest.in = tap;
	to_guest.out = pkt;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("impair: relaying %s <-> %s\n", argv[1], argv[2]);
	end = now_ns() + (uint64_t)(atof(argv[3]) * 1e9);
	while (!stop && now_ns() < end) {
		struct pollfd p[2] = {{.fd = pkt, .events = POLLIN},
				      {.fd = tap, .events = POLLIN}};
		uint64_t now = now_ns();
		int a = release(&to_host, now), b = release(&to_guest, now);
		int ms = 100;

		if (a >= 0 && a < ms)
			ms = a;
		if (b >= 0 && b < ms)
			ms = b;
		if (poll(p, 2, ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			receive(&to_host);
		if (p[1].revents & POLLIN)
			receive(&to_guest);
	}
	report(&to_host);
	report(&to_guest);
	return 0;
}
