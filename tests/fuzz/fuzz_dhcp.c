/*
 * Fuzzes the DHCP client (net/dhcp_msg.c) with hostile replies. The
 * first input byte picks the client's state (bits 0-1: selecting,
 * requesting, renewing, rebinding) and whether the reply gets the
 * client's transaction id and MAC written in (bit 2), so that the
 * fuzzer reaches the options; the rest is the reply. Checks: the parser
 * and the state machine never read outside the input (ASan), what a
 * reply makes the client send fits in a message and a frame, and a lease
 * it binds has a usable address, a contiguous mask, at most three DNS
 * servers and a domain name of safe characters only.
 */
#include <stdlib.h>
#include <string.h>

#include "net/dhcp.h"

static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static uint32_t seed;

static uint32_t rnd(void *arg)
{
	(void)arg;
	seed = seed * 1103515245u + 12345u;
	return seed;
}

/* A well-formed OFFER or ACK for the client's transaction. */
static size_t good_reply(const struct dhcp_client *c, uint8_t type, uint8_t *m)
{
	static const uint8_t opts[] = {53, 1,  0, 54, 4, 10, 0,	 2,
				       2,  51, 4, 0,  0, 14, 16, 255};
	memset(m, 0, 300);
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	m[4] = c->xid >> 24;
	m[5] = c->xid >> 16;
	m[6] = c->xid >> 8;
	m[7] = c->xid;
	memcpy(m + 16, "\x0a\x00\x02\x0f", 4);
	memcpy(m + 28, mac, 6);
	memcpy(m + 236, "\x63\x82\x53\x63", 4);
	memcpy(m + 240, opts, sizeof(opts));
	m[242] = type;
	return 300;
}

static void check_action(const struct dhcp_action *a)
{
	uint8_t frame[DHCP_FRAME_MAX];

	if (a->what & DHCP_ACT_SEND) {
		if (a->len < DHCP_MSG_MIN || a->len > DHCP_MSG_MAX)
			abort();
		if (dhcp_frame(frame, a, mac, 1) > sizeof(frame))
			abort();
	}
	if (a->what & DHCP_ACT_BIND) {
		const struct dhcp_lease *l = &a->lease;
		uint8_t first = ((const uint8_t *)&l->addr)[0];

		if (!first || first == 127 || first >= 224)
			abort();
		if (dhcp_mask_prefix(l->mask) <= 0 || l->ndns > DHCP_MAX_DNS)
			abort();
		if (strlen(l->domain) != strspn(l->domain,
						"abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						"0123456789-._"))
			abort();
		if (l->lease_s < DHCP_LEASE_MIN_S)
			abort();
	}
}

/* Brings a new client to the state `mode` picks. */
static void prepare(struct dhcp_client *c, unsigned mode)
{
	struct dhcp_action a;
	uint8_t m[300];

	dhcp_client_init(c, mac, 1500, rnd, NULL);
	dhcp_client_start(c, 0, &a);
	if (mode == 0)
		return;
	dhcp_client_input(c, m, good_reply(c, 2, m), mac, 0, &a);
	if (mode == 1)
		return;
	dhcp_client_input(c, m, good_reply(c, 5, m), mac, 0, &a);
	dhcp_client_timer(c, 1800ull * 1000000000, &a);
	if (mode == 3)
		dhcp_client_timer(c, 3150ull * 1000000000, &a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_client c;
	struct dhcp_action a;
	struct dhcp_reply r;
	uint8_t *msg;
	size_t len;

	if (size < 1)
		return 0;
	seed = 1;
	prepare(&c, data[0] & 3);
	len = size - 1;
	msg = malloc(len ? len : 1); /* exactly the input: ASan sees overruns */
	memcpy(msg, data + 1, len);
	if ((data[0] & 4) && len >= 34) {
		msg[4] = c.xid >> 24;
		msg[5] = c.xid >> 16;
		msg[6] = c.xid >> 8;
		msg[7] = c.xid;
		memcpy(msg + 28, mac, 6);
	}
	dhcp_parse(msg, len, c.xid, mac, &r);
	dhcp_client_input(&c, msg, len, mac, 2000ull * 1000000000, &a);
	check_action(&a);
	dhcp_client_timer(&c, dhcp_client_deadline(&c), &a);
	check_action(&a);
	free(msg);
	return 0;
}
