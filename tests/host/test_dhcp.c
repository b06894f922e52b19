/*
 * Host tests of the DHCP client (net/dhcp_msg.c): the messages it sends,
 * the frames around them, its state machine against a scripted server
 * (DISCOVER, OFFER, REQUEST, ACK; NAK; retransmission; renewal at T1,
 * rebinding at T2, expiry) and the parser against hostile replies.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>

#include "net/dhcp.h"
#include "tests/host/check.h"

#define NS 1000000000ull

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t server_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
static uint32_t rnd_state = 1;

/* A fixed sequence, so the xids and jitters are the same every run. */
static uint32_t rnd(void *arg)
{
	(void)arg;
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state;
}

static uint32_t ip(const char *s)
{
	return inet_addr(s);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* ---- a scripted server ---- */
struct msg {
	uint8_t b[1500];
	size_t len;
};

static void m_header(struct msg *m, uint32_t xid, const char *yiaddr)
{
	uint32_t y = ip(yiaddr);

	memset(m, 0, sizeof(*m));
	m->b[0] = 2;
	m->b[1] = 1;
	m->b[2] = 6;
	m->b[4] = xid >> 24;
	m->b[5] = xid >> 16;
	m->b[6] = xid >> 8;
	m->b[7] = xid;
	memcpy(m->b + 16, &y, 4);
	memcpy(m->b + 28, mac, 6);
	m->b[236] = 99;
	m->b[237] = 130;
	m->b[238] = 83;
	m->b[239] = 99;
	m->len = 240;
}

static void m_opt(struct msg *m, uint8_t code, size_t len, const void *v)
{
	m->b[m->len++] = code;
	m->b[m->len++] = (uint8_t)len;
	memcpy(m->b + m->len, v, len);
	m->len += len;
}

static void m_addr(struct msg *m, uint8_t code, const char *a)
{
	uint32_t v = ip(a);

	m_opt(m, code, 4, &v);
}

static void m_u32(struct msg *m, uint8_t code, uint32_t v)
{
	uint8_t b[4] = {v >> 24, v >> 16, v >> 8, v};

	m_opt(m, code, 4, b);
}

static void m_end(struct msg *m)
{
	m->b[m->len++] = 255;
}

/* An OFFER or ACK as QEMU's user network gives one. */
static void m_lease(struct msg *m, uint8_t type, uint32_t xid,
		    const char *yiaddr, const char *server)
{
	m_header(m, xid, yiaddr);
	m_opt(m, 53, 1, &type);
	m_addr(m, 54, server);
	m_addr(m, 1, "255.255.255.0");
	m_addr(m, 3, "10.0.2.2");
	m_addr(m, 6, "10.0.2.3");
	m_opt(m, 15, 12, "example.test");
	m_u32(m, 51, 3600);
	m_end(m);
}

/* The option `code` of a message we sent; NULL if absent. */
static const uint8_t *find_opt(const uint8_t *msg, size_t len, uint8_t code,
			       uint8_t *olen)
{
	for (size_t i = 240; i < len && msg[i] != 255;) {
		if (msg[i] == 0) {
			i++;
			continue;
		}
		if (msg[i] == code) {
			*olen = msg[i + 1];
			return msg + i + 2;
		}
		i += 2 + msg[i + 1];
	}
	return NULL;
}

static int msg_type(const struct dhcp_action *a)
{
	uint8_t n;
	const uint8_t *v = find_opt(a->msg, a->len, 53, &n);

	return v && n == 1 ? v[0] : -1;
}

static uint32_t msg_xid(const struct dhcp_action *a)
{
	return be32(a->msg + 4);
}

/* A client through DISCOVER, OFFER, REQUEST and ACK, at time 0. */
static void bound_client(struct dhcp_client *c, struct dhcp_action *a)
{
	struct msg m;

	dhcp_client_init(c, mac, 1500, rnd, NULL);
	dhcp_client_start(c, 0, a);
	m_lease(&m, DHCPOFFER, c->xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(c, m.b, m.len, server_mac, 0, a);
	m_lease(&m, DHCPACK, c->xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(c, m.b, m.len, server_mac, 0, a);
}

static uint64_t total_drops(const struct dhcp_client *c)
{
	uint64_t n = 0;

	for (int i = 0; i < DHCP_NDROPS; i++)
		n += c->drops[i];
	return n;
}

/* ---- what we send ---- */

static void discover_has_the_fields_of_rfc2131_table5(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	const uint8_t *prl;
	uint8_t n;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	CHECK_EQ(a.what, DHCP_ACT_SEND);
	CHECK_EQ(c.state, DHCP_SELECTING);
	CHECK(a.len >= DHCP_MSG_MIN);
	CHECK_EQ(a.msg[0], 1);
	CHECK_EQ(a.msg[1], 1);
	CHECK_EQ(a.msg[2], 6);
	CHECK_EQ(msg_xid(&a), c.xid);
	CHECK_EQ(a.msg[10], 0x80); /* broadcast flag */
	CHECK(!memcmp(a.msg + 28, mac, 6));
	CHECK_EQ(be32(a.msg + 236), 0x63825363);
	CHECK_EQ(msg_type(&a), DHCPDISCOVER);
	CHECK(!find_opt(a.msg, a.len, 50, &n));
	prl = find_opt(a.msg, a.len, 55, &n);
	CHECK(prl && memchr(prl, 1, n) && memchr(prl, 3, n) &&
	      memchr(prl, 6, n) && memchr(prl, 15, n) && memchr(prl, 51, n));
	CHECK(!a.unicast);
	CHECK_EQ(a.src, 0);
	CHECK_EQ(a.dst, 0xffffffff);
}

static uint32_t fold_check(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void frame_has_valid_ip_and_udp_checksums(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	uint8_t f[DHCP_FRAME_MAX], pseudo[12];
	size_t n;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	n = dhcp_frame(f, &a, mac, 0x1234);
	CHECK_EQ(n, 14 + 20 + 8 + a.len);
	CHECK(!memcmp(f, "\xff\xff\xff\xff\xff\xff", 6));
	CHECK(!memcmp(f + 6, mac, 6));
	CHECK_EQ(f[12] << 8 | f[13], 0x0800);
	CHECK_EQ(f[14], 0x45);
	CHECK_EQ(f[16] << 8 | f[17], 20 + 8 + a.len);
	CHECK_EQ(f[23], 17);
	CHECK_EQ(fold_check(f + 14, 20, 0), 0xffff);
	CHECK_EQ(be32(f + 26), 0);
	CHECK_EQ(be32(f + 30), 0xffffffff);
	CHECK_EQ(f[34] << 8 | f[35], 68);
	CHECK_EQ(f[36] << 8 | f[37], 67);
	CHECK_EQ(f[38] << 8 | f[39], 8 + a.len);
	memcpy(pseudo, f + 26, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = f[38];
	pseudo[11] = f[39];
	CHECK(f[40] | f[41]);
	CHECK_EQ(fold_check(f + 34, 8 + a.len, fold_check(pseudo, 12, 0)),
		 0xffff);
	CHECK(!memcmp(f + 42, a.msg, a.len));
}

/* ---- the exchange ---- */

static void offer_then_ack_binds_the_lease(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;
	uint32_t xid;
	uint8_t n;
	const uint8_t *v;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	xid = c.xid;
	m_lease(&m, DHCPOFFER, xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, NS / 10, &a);
	CHECK_EQ(a.what, DHCP_ACT_SEND);
	CHECK_EQ(c.state, DHCP_REQUESTING);
	CHECK_EQ(msg_type(&a), DHCPREQUEST);
	CHECK_EQ(msg_xid(&a), xid); /* RFC 2131 4.4.1: the OFFER's xid */
	v = find_opt(a.msg, a.len, 50, &n);
	CHECK(v && n == 4 && !memcmp(v, "\x0a\x00\x02\x0f", 4));
	v = find_opt(a.msg, a.len, 54, &n);
	CHECK(v && n == 4 && !memcmp(v, "\x0a\x00\x02\x02", 4));
	CHECK_EQ(be32(a.msg + 12), 0); /* ciaddr */
	m_lease(&m, DHCPACK, xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, NS / 5, &a);
	CHECK_EQ(a.what, DHCP_ACT_BIND);
	CHECK_EQ(c.state, DHCP_BOUND);
	CHECK_EQ(a.lease.addr, ip("10.0.2.15"));
	CHECK_EQ(a.lease.mask, ip("255.255.255.0"));
	CHECK_EQ(a.lease.router, ip("10.0.2.2"));
	CHECK_EQ(a.lease.server, ip("10.0.2.2"));
	CHECK_EQ(a.lease.ndns, 1);
	CHECK_EQ(a.lease.dns[0], ip("10.0.2.3"));
	CHECK_STR(a.lease.domain, "example.test");
	CHECK_EQ(a.lease.lease_s, 3600);
	CHECK_EQ(a.lease.t1_s, 1800);
	CHECK_EQ(a.lease.t2_s, 3150);
	CHECK_EQ(a.lease.broadcast, ip("10.0.2.255"));
	CHECK_EQ(dhcp_client_deadline(&c), NS / 5 + 1800 * NS);
	CHECK_EQ(total_drops(&c), 0);
}

static void nak_while_requesting_starts_over_with_a_new_xid(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;
	uint32_t xid;
	uint8_t type = DHCPNAK;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	xid = c.xid;
	m_lease(&m, DHCPOFFER, xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	m_header(&m, xid, "0.0.0.0");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_end(&m);
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(a.what, DHCP_ACT_SEND);
	CHECK_EQ(c.state, DHCP_SELECTING);
	CHECK_EQ(msg_type(&a), DHCPDISCOVER);
	CHECK(c.xid != xid);
	/* A second NAK in a row waits 1 s before the DISCOVER. */
	m_lease(&m, DHCPOFFER, c.xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, NS, &a);
	m_header(&m, c.xid, "0.0.0.0");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_end(&m);
	dhcp_client_input(&c, m.b, m.len, server_mac, NS, &a);
	CHECK_EQ(a.what, 0);
	CHECK_EQ(c.state, DHCP_INIT);
	CHECK_EQ(dhcp_client_deadline(&c), 2 * NS);
	dhcp_client_timer(&c, 2 * NS, &a);
	CHECK_EQ(msg_type(&a), DHCPDISCOVER);
}

static void nak_from_another_server_is_ignored(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;
	uint8_t type = DHCPNAK;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	m_lease(&m, DHCPOFFER, c.xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	m_header(&m, c.xid, "0.0.0.0");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.9");
	m_end(&m);
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(a.what, 0);
	CHECK_EQ(c.state, DHCP_REQUESTING);
	CHECK_EQ(c.drops[DHCP_DROP_SERVER], 1);
}

static void discover_is_retransmitted_with_backoff(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	uint64_t now = 0, prev = 0, want = NS;
	uint32_t xid;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	xid = c.xid;
	for (int i = 0; i < 10; i++) {
		uint64_t delay = dhcp_client_deadline(&c) - now;

		/* 1, 2, 4 ... 64 s, each within a quarter either way */
		CHECK(delay >= want - want / 8 && delay <= want + want / 8);
		now = dhcp_client_deadline(&c);
		dhcp_client_timer(&c, now - 1, &a);
		CHECK_EQ(a.what, 0);
		dhcp_client_timer(&c, now, &a);
		CHECK_EQ(a.what, DHCP_ACT_SEND);
		CHECK_EQ(msg_type(&a), DHCPDISCOVER);
		CHECK_EQ(msg_xid(&a), xid);
		CHECK(now > prev);
		prev = now;
		want = want * 2 > 64 * NS ? 64 * NS : want * 2;
	}
	/* secs: the time since the first DISCOVER */
	CHECK_EQ(a.msg[8] << 8 | a.msg[9], now / NS);
}

static void request_gives_up_after_four_tries(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;
	uint32_t xid;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	xid = c.xid;
	m_lease(&m, DHCPOFFER, xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	for (int i = 0; i < 3; i++) {
		dhcp_client_timer(&c, dhcp_client_deadline(&c), &a);
		CHECK_EQ(msg_type(&a), DHCPREQUEST);
	}
	dhcp_client_timer(&c, dhcp_client_deadline(&c), &a);
	CHECK_EQ(msg_type(&a), DHCPDISCOVER);
	CHECK_EQ(c.state, DHCP_SELECTING);
	CHECK(c.xid != xid);
}

static void renewal_at_t1_is_unicast_and_keeps_the_address(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;
	uint64_t t1;

	bound_client(&c, &a);
	t1 = dhcp_client_deadline(&c);
	CHECK_EQ(t1, 1800 * NS);
	dhcp_client_timer(&c, t1, &a);
	CHECK_EQ(a.what, DHCP_ACT_SEND);
	CHECK_EQ(c.state, DHCP_RENEWING);
	CHECK(a.unicast);
	CHECK(!memcmp(a.dst_mac, server_mac, 6));
	CHECK_EQ(a.src, ip("10.0.2.15"));
	CHECK_EQ(a.dst, ip("10.0.2.2"));
	CHECK_EQ(msg_type(&a), DHCPREQUEST);
	CHECK(!memcmp(a.msg + 12, "\x0a\x00\x02\x0f", 4)); /* ciaddr */
	CHECK_EQ(a.msg[10], 0);				   /* no broadcast */
	{
		uint8_t n;

		CHECK(!find_opt(a.msg, a.len, 50, &n));
		CHECK(!find_opt(a.msg, a.len, 54, &n));
	}
	/* RFC 2131 4.4.5: next try half way to T2, at least 60 s */
	CHECK_EQ(dhcp_client_deadline(&c), t1 + (3150 - 1800) * NS / 2);
	m_lease(&m, DHCPACK, c.xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, t1 + NS, &a);
	CHECK_EQ(a.what, DHCP_ACT_RENEW);
	CHECK_EQ(c.state, DHCP_BOUND);
	CHECK_EQ(dhcp_client_deadline(&c), t1 + NS + 1800 * NS);
}

static void rebinding_at_t2_broadcasts_and_expiry_unbinds(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;

	bound_client(&c, &a);
	dhcp_client_timer(&c, 1800 * NS, &a);
	while (c.state == DHCP_RENEWING) {
		CHECK(dhcp_client_deadline(&c) <= 3150 * NS);
		dhcp_client_timer(&c, dhcp_client_deadline(&c), &a);
	}
	CHECK_EQ(c.state, DHCP_REBINDING);
	CHECK(!a.unicast);
	CHECK_EQ(a.dst, 0xffffffff);
	CHECK_EQ(a.src, ip("10.0.2.15"));
	CHECK_EQ(msg_type(&a), DHCPREQUEST);
	/* an ACK from an OFFER of the old transaction is not ours */
	m_lease(&m, DHCPACK, c.xid + 1, "10.0.2.15", "10.0.2.9");
	dhcp_client_input(&c, m.b, m.len, server_mac, 3200 * NS, &a);
	CHECK_EQ(c.drops[DHCP_DROP_XID], 1);
	while (c.state == DHCP_REBINDING) {
		CHECK(dhcp_client_deadline(&c) <= 3600 * NS);
		dhcp_client_timer(&c, dhcp_client_deadline(&c), &a);
	}
	CHECK_EQ(a.what, DHCP_ACT_UNBIND | DHCP_ACT_SEND);
	CHECK_EQ(c.state, DHCP_SELECTING);
	CHECK_EQ(msg_type(&a), DHCPDISCOVER);
}

static void rebinding_ack_from_a_new_server_with_a_new_address_rebinds(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;

	bound_client(&c, &a);
	dhcp_client_timer(&c, 3150 * NS, &a);
	CHECK_EQ(c.state, DHCP_REBINDING);
	m_lease(&m, DHCPACK, c.xid, "10.0.2.16", "10.0.2.9");
	dhcp_client_input(&c, m.b, m.len, server_mac, 3151 * NS, &a);
	CHECK_EQ(a.what, DHCP_ACT_BIND);
	CHECK_EQ(a.lease.addr, ip("10.0.2.16"));
	CHECK_EQ(a.lease.server, ip("10.0.2.9"));
}

static void renewing_nak_unbinds_and_restarts(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;
	uint8_t type = DHCPNAK;

	bound_client(&c, &a);
	dhcp_client_timer(&c, 1800 * NS, &a);
	m_header(&m, c.xid, "0.0.0.0");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_end(&m);
	dhcp_client_input(&c, m.b, m.len, server_mac, 1801 * NS, &a);
	CHECK_EQ(a.what, DHCP_ACT_UNBIND | DHCP_ACT_SEND);
	CHECK_EQ(msg_type(&a), DHCPDISCOVER);
}

static void lease_times_are_checked(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;
	uint8_t type = DHCPOFFER;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	/* T1 after T2: both default; a 1 s lease: taken as the minimum */
	m_header(&m, c.xid, "192.168.1.20");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "192.168.1.1");
	m_u32(&m, 51, 1);
	m_u32(&m, 58, 900);
	m_u32(&m, 59, 800);
	m_end(&m);
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(c.offer.lease_s, DHCP_LEASE_MIN_S);
	CHECK_EQ(c.offer.t1_s, DHCP_LEASE_MIN_S / 2);
	CHECK_EQ(c.offer.t2_s, DHCP_LEASE_MIN_S * 7 / 8);
	/* no mask: the classful one (C) */
	CHECK_EQ(c.offer.mask, ip("255.255.255.0"));
	CHECK_EQ(c.offer.router, 0);
	CHECK_EQ(c.offer.ndns, 0);
	/* an infinite lease is never renewed */
	type = DHCPACK;
	m_header(&m, c.xid, "192.168.1.20");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "192.168.1.1");
	m_u32(&m, 51, 0xffffffff);
	m_u32(&m, 58, 100);
	m_u32(&m, 59, 200);
	m_end(&m);
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(a.what, DHCP_ACT_BIND);
	CHECK_EQ(dhcp_client_deadline(&c), ~0ull);
}

/* ---- hostile replies ---- */

/* Parses m for a client in SELECTING; the reason it was dropped. */
static enum dhcp_drop parse(const struct msg *m, struct dhcp_reply *r)
{
	return dhcp_parse(m->b, m->len, 0x11223344, mac, r);
}

static void wrong_header_fields_are_dropped_with_their_reason(void)
{
	struct dhcp_reply r;
	struct msg m;

	m_lease(&m, DHCPOFFER, 0x11223344, "10.0.2.15", "10.0.2.2");
	CHECK_EQ(parse(&m, &r), DHCP_OK);
	m.b[0] = 1;
	CHECK_EQ(parse(&m, &r), DHCP_DROP_OP);
	m.b[0] = 2;
	m.b[2] = 8;
	CHECK_EQ(parse(&m, &r), DHCP_DROP_HW);
	m.b[2] = 6;
	m.b[7] ^= 1;
	CHECK_EQ(parse(&m, &r), DHCP_DROP_XID);
	m.b[7] ^= 1;
	m.b[33] ^= 1;
	CHECK_EQ(parse(&m, &r), DHCP_DROP_CHADDR);
	m.b[33] ^= 1;
	m.b[239] = 0;
	CHECK_EQ(parse(&m, &r), DHCP_DROP_COOKIE);
	m.b[239] = 99;
	for (size_t n = 0; n < 240; n++)
		CHECK_EQ(dhcp_parse(m.b, n, 0x11223344, mac, &r),
			 DHCP_DROP_SHORT);
}

static void truncated_options_drop_the_message(void)
{
	struct dhcp_reply r;
	struct msg m;
	size_t full;

	m_lease(&m, DHCPOFFER, 0x11223344, "10.0.2.15", "10.0.2.2");
	full = m.len;
	/* cut inside the last option (the lease time) after its code */
	for (m.len = full - 2; m.len > full - 7; m.len--)
		CHECK_EQ(parse(&m, &r), DHCP_DROP_OPTIONS);
	/* a length running past the end */
	m.len = full;
	m.b[m.len - 1] = 51;
	m.b[m.len++] = 200;
	m.b[m.len++] = 0;
	CHECK_EQ(parse(&m, &r), DHCP_DROP_OPTIONS);
}

static void wrong_option_lengths_drop_the_message(void)
{
	struct dhcp_reply r;
	struct msg m;
	uint8_t type = DHCPOFFER;

	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_opt(&m, 1, 3, "\xff\xff\xff");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_OPTIONS);
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_opt(&m, 6, 6, "\x0a\x00\x02\x03\x0a\x00");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_OPTIONS);
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 2, "\x02\x02");
	m_addr(&m, 54, "10.0.2.2");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_OPTIONS);
	/* no type at all, or one we do not take */
	m_header(&m, 0x11223344, "10.0.2.15");
	m_addr(&m, 54, "10.0.2.2");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_TYPE);
	type = DHCPREQUEST;
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_TYPE);
	/* no server identifier */
	type = DHCPOFFER;
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_SERVER);
}

static void impossible_addresses_are_dropped(void)
{
	static const char *const bad[] = {"0.0.0.0",   "255.255.255.255",
					  "127.0.0.1", "224.0.0.1",
					  "10.0.2.0",  "10.0.2.255"};
	struct dhcp_reply r;
	struct msg m;
	uint8_t type = DHCPOFFER;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m_lease(&m, DHCPOFFER, 0x11223344, bad[i], "10.0.2.2");
		CHECK_EQ(parse(&m, &r), DHCP_DROP_ADDR);
	}
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_addr(&m, 1, "255.0.255.0"); /* a mask with holes */
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_ADDR);
	m_lease(&m, DHCPOFFER, 0x11223344, "10.0.2.15", "255.255.255.255");
	CHECK_EQ(parse(&m, &r), DHCP_DROP_SERVER);
}

static void options_in_file_and_sname_count_only_when_overloaded(void)
{
	struct dhcp_reply r;
	struct msg m;
	uint8_t type = DHCPOFFER, ov = 3;
	uint32_t dns = ip("10.0.2.3");

	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_opt(&m, 52, 1, &ov);
	m_end(&m);
	/* the server id in file, the DNS server in sname */
	memcpy(m.b + 108, "\x36\x04\x0a\x00\x02\x02\xff", 7);
	m.b[44] = 6;
	m.b[45] = 4;
	memcpy(m.b + 46, &dns, 4);
	m.b[50] = 255;
	CHECK_EQ(parse(&m, &r), DHCP_OK);
	CHECK_EQ(r.lease.server, ip("10.0.2.2"));
	CHECK_EQ(r.lease.ndns, 1);
	CHECK_EQ(r.lease.dns[0], dns);
	/* without option 52 they are a server name and a file name */
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_end(&m);
	memcpy(m.b + 108, "\x36\x04\x0a\x00\x02\x02\xff", 7);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_SERVER);
	/* an overload option inside the file field is not obeyed */
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	ov = 1;
	m_opt(&m, 52, 1, &ov);
	m_end(&m);
	memcpy(m.b + 108, "\x34\x01\x02\x36\x04\x0a\x00\x02\x02\xff", 10);
	memcpy(m.b + 44, "\x06\x04\x0a\x00\x02\x03\xff", 7);
	CHECK_EQ(parse(&m, &r), DHCP_OK);
	CHECK_EQ(r.lease.ndns, 0);
	/* a truncated option in the file field drops the message */
	memset(m.b + 108 + 9, 0, 119);
	memcpy(m.b + 108 + 120, "\x0f\x20", 2);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_OPTIONS);
	/* a bad overload value */
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	ov = 4;
	m_opt(&m, 52, 1, &ov);
	m_addr(&m, 54, "10.0.2.2");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_DROP_OPTIONS);
}

static void split_options_are_concatenated_rfc3396(void)
{
	struct dhcp_reply r;
	struct msg m;
	uint8_t type = DHCPOFFER;

	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_opt(&m, 15, 7, "example");
	m_addr(&m, 54, "10.0.2.2");
	m_opt(&m, 15, 5, ".test");
	m_opt(&m, 6, 4, "\x0a\x00\x02\x03");
	m_opt(&m, 6, 4, "\x0a\x00\x02\x04");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_OK);
	CHECK_STR(r.lease.domain, "example.test");
	CHECK_EQ(r.lease.ndns, 2);
	CHECK_EQ(r.lease.dns[1], ip("10.0.2.4"));
	/* pieces beyond 255 bytes in all: the option is unusable */
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	for (int i = 0; i < 3; i++) {
		uint8_t v[100];

		memset(v, 'a', sizeof(v));
		m_opt(&m, 15, sizeof(v), v);
	}
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_OK);
	CHECK_STR(r.lease.domain, "");
}

static void a_domain_that_could_inject_resolv_conf_lines_is_ignored(void)
{
	struct dhcp_reply r;
	struct msg m;
	uint8_t type = DHCPOFFER;
	const char *evil = "x\nnameserver 6.6.6.6";

	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_opt(&m, 15, strlen(evil), evil);
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_OK);
	CHECK_STR(r.lease.domain, "");
	/* a trailing NUL is tolerated */
	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_opt(&m, 15, 5, "lan.\0");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_OK);
	CHECK_STR(r.lease.domain, "lan.");
}

static void unusable_dns_and_routers_are_skipped(void)
{
	struct dhcp_reply r;
	struct msg m;
	uint8_t type = DHCPOFFER;

	m_header(&m, 0x11223344, "10.0.2.15");
	m_opt(&m, 53, 1, &type);
	m_addr(&m, 54, "10.0.2.2");
	m_opt(&m, 6, 20,
	      "\0\0\0\0\xff\xff\xff\xff\x0a\0\0\x01\x0a\0\0\x02\x0a\0\0\x03");
	m_opt(&m, 3, 8, "\0\0\0\0\x0a\0\x02\x01");
	m_end(&m);
	CHECK_EQ(parse(&m, &r), DHCP_OK);
	CHECK_EQ(r.lease.ndns, 3);
	CHECK_EQ(r.lease.dns[0], ip("10.0.0.1"));
	CHECK_EQ(r.lease.dns[2], ip("10.0.0.3"));
	CHECK_EQ(r.lease.router, ip("10.0.2.1")); /* the first usable one */
}

static void replies_in_the_wrong_state_are_counted(void)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;

	dhcp_client_init(&c, mac, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	m_lease(&m, DHCPACK, c.xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(a.what, 0);
	CHECK_EQ(c.drops[DHCP_DROP_STATE], 1);
	m_lease(&m, DHCPOFFER, c.xid, "10.0.2.15", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	/* a second OFFER while requesting; an ACK for another address */
	m_lease(&m, DHCPOFFER, c.xid, "10.0.2.16", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(c.drops[DHCP_DROP_STATE], 2);
	m_lease(&m, DHCPACK, c.xid, "10.0.2.16", "10.0.2.2");
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(c.drops[DHCP_DROP_ADDR], 1);
	CHECK_EQ(c.state, DHCP_REQUESTING);
	CHECK_EQ(c.received, 4);
}

/* ---- replies recorded from dnsmasq 2.90 (tests/host/dhcp-interop.sh) ---- */

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2)
		out[n++] = (uint8_t)strtoul((char[3]){h[0], h[1], 0}, NULL, 16);
	return n;
}

/* A recorded reply: its first 34 bytes (to chaddr) and, from the magic
 * cookie on, its options; the rest of its 305 bytes are zeros. The
 * client's transaction id is written in. */
static void recorded(struct msg *m, const char *head, const char *cookie_on,
		     uint32_t xid)
{
	memset(m, 0, sizeof(*m));
	unhex(head, m->b);
	unhex(cookie_on, m->b + 236);
	m->len = 305;
	m->b[4] = xid >> 24;
	m->b[5] = xid >> 16;
	m->b[6] = xid >> 8;
	m->b[7] = xid;
}

/* After the message type: server, lease, T1, T2, mask, broadcast, domain,
 * DNS, router, end. */
#define DNSMASQ_OPTIONS                                                        \
	"3604c61200013304000000783a040000003c3b04000000690104ffffff00"         \
	"1c04c61200ff0f0b6f73707265792e746573740604c61200010304c61200"         \
	"01ff"

static void dnsmasq_offer_and_ack_bind_its_lease(void)
{
	static const uint8_t recorded_chaddr[6] = {0xf6, 0xf3, 0xf3,
						   0xff, 0x6e, 0x6c};
	struct dhcp_client c;
	struct dhcp_action a;
	struct msg m;

	dhcp_client_init(&c, recorded_chaddr, 1500, rnd, NULL);
	dhcp_client_start(&c, 0, &a);
	recorded(&m,
		 "020106007e197bc80000800000000000c612000dc612000100000000"
		 "f6f3f3ff6e6c",
		 "63825363350102" DNSMASQ_OPTIONS, c.xid);
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(c.state, DHCP_REQUESTING);
	CHECK_EQ(msg_type(&a), DHCPREQUEST);
	recorded(&m,
		 "020106007e197bc80003800000000000c612000dc612000100000000"
		 "f6f3f3ff6e6c",
		 "63825363350105" DNSMASQ_OPTIONS, c.xid);
	dhcp_client_input(&c, m.b, m.len, server_mac, 0, &a);
	CHECK_EQ(a.what, DHCP_ACT_BIND);
	CHECK_EQ(a.lease.addr, ip("198.18.0.13"));
	CHECK_EQ(a.lease.mask, ip("255.255.255.0"));
	CHECK_EQ(a.lease.router, ip("198.18.0.1"));
	CHECK_EQ(a.lease.server, ip("198.18.0.1"));
	CHECK_EQ(a.lease.ndns, 1);
	CHECK_EQ(a.lease.dns[0], ip("198.18.0.1"));
	CHECK_EQ(a.lease.broadcast, ip("198.18.0.255"));
	CHECK_STR(a.lease.domain, "osprey.test");
	CHECK_EQ(a.lease.lease_s, 120);
	CHECK_EQ(a.lease.t1_s, 60);
	CHECK_EQ(a.lease.t2_s, 105);
	CHECK_EQ(total_drops(&c), 0);
}

static void masks_and_prefixes(void)
{
	CHECK_EQ(dhcp_mask_prefix(ip("255.255.255.0")), 24);
	CHECK_EQ(dhcp_mask_prefix(ip("255.255.255.255")), 32);
	CHECK_EQ(dhcp_mask_prefix(ip("0.0.0.0")), 0);
	CHECK_EQ(dhcp_mask_prefix(ip("255.255.0.255")), -1);
	CHECK_EQ(dhcp_mask_prefix(ip("128.0.0.0")), 1);
	CHECK_EQ(dhcp_prefix_mask(20), ip("255.255.240.0"));
	CHECK_EQ(dhcp_prefix_mask(0), 0);
	CHECK_EQ(dhcp_prefix_mask(32), 0xffffffff);
}

int main(void)
{
	RUN_TEST(discover_has_the_fields_of_rfc2131_table5);
	RUN_TEST(frame_has_valid_ip_and_udp_checksums);
	RUN_TEST(offer_then_ack_binds_the_lease);
	RUN_TEST(nak_while_requesting_starts_over_with_a_new_xid);
	RUN_TEST(nak_from_another_server_is_ignored);
	RUN_TEST(discover_is_retransmitted_with_backoff);
	RUN_TEST(request_gives_up_after_four_tries);
	RUN_TEST(renewal_at_t1_is_unicast_and_keeps_the_address);
	RUN_TEST(rebinding_at_t2_broadcasts_and_expiry_unbinds);
	RUN_TEST(rebinding_ack_from_a_new_server_with_a_new_address_rebinds);
	RUN_TEST(renewing_nak_unbinds_and_restarts);
	RUN_TEST(lease_times_are_checked);
	RUN_TEST(wrong_header_fields_are_dropped_with_their_reason);
	RUN_TEST(truncated_options_drop_the_message);
	RUN_TEST(wrong_option_lengths_drop_the_message);
	RUN_TEST(impossible_addresses_are_dropped);
	RUN_TEST(options_in_file_and_sname_count_only_when_overloaded);
	RUN_TEST(split_options_are_concatenated_rfc3396);
	RUN_TEST(a_domain_that_could_inject_resolv_conf_lines_is_ignored);
	RUN_TEST(unusable_dns_and_routers_are_skipped);
	RUN_TEST(replies_in_the_wrong_state_are_counted);
	RUN_TEST(dnsmasq_offer_and_ack_bind_its_lease);
	RUN_TEST(masks_and_prefixes);
	return check_exit();
}
