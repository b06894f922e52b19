/*
 * Self-test of the network configuration in the kernel: the DHCP client's
 * thread against a DHCP server played by a fake Ethernet device (its
 * xmit checks each frame's checksums and answers through dhcp_input, a
 * reply of another transaction first), then what the lease configured:
 * the address, the gateway, /etc/resolv.conf, /etc/hosts (keeping the
 * image's own line) and /proc/net/route and dev.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/tests/selftest.h"
#include "net/net_private.h"

#define TEXT_MAX 8192
#define DEV_HEADER                                                             \
	"Inter-|   Receive                                                "    \
	"|  Transmit\n"                                                        \
	" face |bytes    packets errs drop fifo frame compressed multicast"    \
	"|bytes    packets errs drop fifo colls carrier compressed\n"
#define NS 1000000000ull

static struct {
	int discovers, requests, bad_frames, others;
} server; /* written by the client's thread in xmit, read after */

static uint8_t client_mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
static const uint8_t server_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

static uint32_t addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a | (uint32_t)b << 8 | (uint32_t)c << 16 |
	       (uint32_t)d << 24;
}

/* The DHCP message type of a BOOTP message we sent; -1 if none. */
static int msg_type(const uint8_t *m, size_t len)
{
	for (size_t i = 240; i + 2 < len && m[i] != 255;) {
		if (m[i] == 0) {
			i++;
			continue;
		}
		if (m[i] == 53 && m[i + 1] == 1)
			return m[i + 2];
		i += 2 + m[i + 1];
	}
	return -1;
}

static bool frame_ok(const uint8_t *f, size_t len)
{
	uint8_t pseudo[12];
	size_t udp_len;

	if (len < 42 + 240 || f[12] != 8 || f[13] != 0 || f[23] != 17)
		return false;
	if (net_csum(f + 14, 20) != 0)
		return false;
	udp_len = (size_t)(f[38] << 8 | f[39]);
	if (udp_len != len - 34 || f[35] != 68 || f[37] != 67)
		return false;
	memcpy(pseudo, f + 26, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = f[38];
	pseudo[11] = f[39];
	return net_csum_fold(net_csum_add(net_csum_add(0, pseudo, 12), f + 34,
					  udp_len)) == 0;
}

static uint8_t *opt(uint8_t *p, uint8_t code, const void *v, uint8_t len)
{
	p[0] = code;
	p[1] = len;
	memcpy(p + 2, v, len);
	return p + 2 + len;
}

/* A reply of `type` for transaction xid, as the IPv4 input hands it to
 * dhcp_input: data at the UDP payload, l3_off after an Ethernet header. */
static void reply(struct netdev *dev, uint8_t type, const uint8_t *xid)
{
	struct pkt *p = pkt_alloc(NET_HEADROOM, 400);
	uint32_t yi = addr(10, 0, 2, 15), srv = addr(10, 0, 2, 2);
	uint32_t mask = addr(255, 255, 255, 0), dns = addr(10, 0, 2, 3);
	uint8_t lease[4] = {0, 0, 0x0e, 0x10}, *m, *o;

	if (!p)
		return;
	m = pkt_put(p, 400);
	memset(m, 0, 400);
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	memcpy(m + 4, xid, 4);
	memcpy(m + 16, &yi, 4);
	memcpy(m + 28, client_mac, 6);
	memcpy(m + 236, "\x63\x82\x53\x63", 4);
	o = opt(m + 240, 53, &type, 1);
	o = opt(o, 54, &srv, 4);
	o = opt(o, 1, &mask, 4);
	o = opt(o, 3, &srv, 4);
	o = opt(o, 6, &dns, 4);
	o = opt(o, 15, "osprey.test", 11);
	o = opt(o, 51, lease, 4);
	*o = 255;
	/* the headers before the payload, as received */
	p->l4_off = (uint16_t)(p->data - p->head - 8);
	p->l3_off = p->l4_off - 20;
	memcpy(p->head + p->l3_off - 14 + 6, server_mac, 6);
	dhcp_input(dev, p);
}

static int server_xmit(struct netdev *dev, struct pkt *p, unsigned q)
{
	const uint8_t *m = p->data + 42;
	uint8_t bad_xid[4];
	int type = -1;

	if (p->len < 14 || p->data[12] != 8 || p->data[13] != 0)
		server.others++; /* ARP: the stack announcing the address */
	else if (!frame_ok(p->data, p->len))
		server.bad_frames++;
	else
		type = msg_type(m, p->len - 42);
	if (type == 1) {
		server.discovers++;
		memcpy(bad_xid, m + 4, 4);
		bad_xid[0] ^= 0xff;
		reply(dev, 2, bad_xid); /* not ours: ignored */
		reply(dev, 2, m + 4);
	} else if (type == 3) {
		server.requests++;
		reply(dev, 5, m + 4);
	}
	pkt_free(p);
	return 0;
}

static struct netdev fake = {
    .mtu = 1500,
    .xmit = server_xmit,
};

static char *slurp(const char *path)
{
	char *buf = malloc(TEXT_MAX + 1);
	struct file *f;
	int64_t n = 0, r;

	if (!buf)
		return NULL;
	buf[0] = '\0';
	if (vfs_openat(NULL, path, O_RDONLY, 0, &f))
		return buf;
	while (n < TEXT_MAX && (r = vfs_read(f, buf + n, TEXT_MAX - n)) > 0)
		n += r;
	file_put(f);
	buf[n] = '\0';
	return buf;
}

static bool has(const char *text, const char *what)
{
	size_t n = strlen(what);

	for (; text && *text; text++)
		if (!strncmp(text, what, n))
			return true;
	return false;
}

static void put_file(const char *path, const char *text)
{
	struct file *f;

	vfs_mkdirat(NULL, "/etc", 0755);
	if (vfs_openat(NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f))
		return;
	vfs_write(f, text, strlen(text));
	file_put(f);
}

static int check_files(void)
{
	char *resolv = slurp("/etc/resolv.conf"), *hosts = slurp("/etc/hosts");
	char *route = slurp("/proc/net/route"), *dev = slurp("/proc/net/dev");
	char line[64];
	int failures = 0;

	CHECK(has(resolv, "\nnameserver 10.0.2.3\n"));
	CHECK(has(resolv, "\nsearch osprey.test\n"));
	CHECK(has(hosts, "10.1.1.1 userbox\n"));
	CHECK(has(hosts, "127.0.0.1\tlocalhost"));
	CHECK(has(hosts, "10.0.2.15\tosprey"));
	snprintf(line, sizeof(line), "\n%s\t0002000A\t00000000\t0001\t",
		 fake.name);
	CHECK(has(route, line));
	snprintf(line, sizeof(line), "\n%s\t00000000\t0202000A\t0003\t",
		 fake.name);
	CHECK(has(route, line));
	snprintf(line, sizeof(line), "%6s: ", fake.name);
	CHECK(has(dev, line));
	/* Linux's headers, to the byte (route pads lines to 127) */
	CHECK(!strncmp(dev, DEV_HEADER, strlen(DEV_HEADER)));
	CHECK(!strncmp(route, "Iface\tDestination\tGateway \tFlags\t", 32));
	CHECK(strlen(route) % 128 == 0 && route[127] == '\n');
	free(resolv);
	free(hosts);
	free(route);
	free(dev);
	return failures;
}

static int test_dhcp_configures(void)
{
	int failures = 0;

	memcpy(fake.mac, client_mac, 6);
	CHECK_EQ(netdev_register(&fake), 0);
	put_file("/etc/hosts", "10.1.1.1 userbox\n");
	CHECK_EQ(dhcp_start(&fake, 5 * NS), 0);
	CHECK_EQ(server.discovers, 1);
	CHECK_EQ(server.requests, 1);
	CHECK_EQ(server.bad_frames, 0);
	CHECK_EQ(fake.ip, addr(10, 0, 2, 15));
	CHECK_EQ(fake.netmask, addr(255, 255, 255, 0));
	CHECK_EQ(net_gateway(), addr(10, 0, 2, 2));
	/* a second client on the same interface is refused */
	CHECK_EQ(dhcp_start(&fake, 0), -EBUSY);
	return failures + check_files();
}

/* ---- a device where no server answers ---- */
static struct {
	int discovers, others;
	uint8_t xid[4];
	bool xid_changed;
} silence;

static int silent_xmit(struct netdev *dev, struct pkt *p, unsigned q)
{
	const uint8_t *m = p->data + 42;

	if (frame_ok(p->data, p->len) && msg_type(m, p->len - 42) == 1) {
		if (silence.discovers++ && memcmp(silence.xid, m + 4, 4))
			silence.xid_changed = true;
		memcpy(silence.xid, m + 4, 4);
	} else {
		silence.others++;
	}
	pkt_free(p);
	return 0;
}

static struct netdev silent = {
    .mac = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcd},
    .mtu = 1500,
    .xmit = silent_xmit,
};

/* The boot's wait is bounded, DISCOVERs are retransmitted with the same
 * xid (1 s, then 2 s), and nothing is configured. */
static int test_dhcp_gives_up(void)
{
	uint64_t t0 = clock_monotonic_ns(), ms;
	int failures = 0;

	CHECK_EQ(netdev_register(&silent), 0);
	CHECK_EQ(dhcp_start(&silent, 1600 * NS / 1000), -ETIMEDOUT);
	ms = (clock_monotonic_ns() - t0) / 1000000;
	CHECK(ms >= 1600 && ms < 3000);
	CHECK_EQ(silence.discovers, 2);
	CHECK(!silence.xid_changed);
	CHECK_EQ(silence.others, 0);
	CHECK_EQ(silent.ip, 0);
	return failures;
}

static int test_netconfig(void)
{
	return test_dhcp_configures() + test_dhcp_gives_up();
}
SELFTEST("netconfig", test_netconfig);
