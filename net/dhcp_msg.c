/*
 * The DHCP client's messages and state machine (RFC 2131, options of
 * RFC 2132), with no kernel dependencies: the host tests and the fuzzer
 * run this file as it is.
 *
 * A message is BOOTP's fixed header (236 bytes: op, htype, hlen, hops,
 * xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr[16],
 * sname[64], file[128]), the magic cookie 99.130.83.99 and options as
 * code, length, value (pad 0 and end 255 have no length). Option 52 may
 * "overload" the file and sname fields with more options (RFC 2132 9.3);
 * an option may come in pieces that are concatenated (RFC 3396).
 *
 * The client: SELECTING (DISCOVER broadcast until an OFFER), REQUESTING
 * (REQUEST for the offer until the ACK: BOUND; a NAK or silence: back to
 * the start), BOUND until T1, RENEWING (REQUEST unicast to our server)
 * until T2, REBINDING (REQUEST broadcast to any server) until the lease
 * ends, and then the address goes and it starts again (RFC 2131 4.4).
 * Replies are trusted in nothing: each check that fails drops the whole
 * message and counts why.
 */
#include "net/dhcp.h"

#include "lib/lib.h"
#include "net/net.h"

#define NS 1000000000ull
#define RTO_FIRST_NS (1 * NS)
#define RTO_MAX_NS (64 * NS)   /* RFC 2131 4.1 */
#define RENEW_MIN_NS (60 * NS) /* RFC 2131 4.4.5 */
#define REQUEST_TRIES 4
#define BOOTREQUEST 1
#define BOOTREPLY 2
#define HDR_LEN 236
#define COOKIE 0x63825363u
#define FLAG_BROADCAST 0x8000

/* Options (RFC 2132) */
enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_DOMAIN = 15,
	OPT_BROADCAST = 28,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE = 51,
	OPT_OVERLOAD = 52,
	OPT_TYPE = 53,
	OPT_SERVER = 54,
	OPT_PARAMS = 55,
	OPT_MAX_SIZE = 57,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_END = 255,
};

/* Field offsets in the fixed header */
enum {
	OFF_OP = 0,
	OFF_HTYPE = 1,
	OFF_HLEN = 2,
	OFF_XID = 4,
	OFF_SECS = 8,
	OFF_FLAGS = 10,
	OFF_CIADDR = 12,
	OFF_YIADDR = 16,
	OFF_CHADDR = 28,
	OFF_SNAME = 44,
	OFF_FILE = 108,
	OFF_COOKIE = 236,
	OFF_OPTIONS = 240,
};

const char *const dhcp_drop_names[DHCP_NDROPS] = {
    [DHCP_OK] = "ok",
    [DHCP_DROP_SHORT] = "short",
    [DHCP_DROP_OP] = "not a reply",
    [DHCP_DROP_HW] = "not Ethernet",
    [DHCP_DROP_XID] = "other transaction",
    [DHCP_DROP_CHADDR] = "other client",
    [DHCP_DROP_COOKIE] = "no magic cookie",
    [DHCP_DROP_OPTIONS] = "bad options",
    [DHCP_DROP_TYPE] = "bad message type",
    [DHCP_DROP_SERVER] = "bad server",
    [DHCP_DROP_ADDR] = "bad address",
    [DHCP_DROP_STATE] = "unexpected",
};

/* ---- reading options ---- */

/* The options we read, each the concatenation of its pieces. */
enum {
	S_MASK,
	S_ROUTER,
	S_DNS,
	S_DOMAIN,
	S_BCAST,
	S_LEASE,
	S_OVERLOAD,
	S_TYPE,
	S_SERVER,
	S_T1,
	S_T2,
	NSLOTS
};
static const uint8_t slot_code[NSLOTS] = {
    OPT_MASK,	  OPT_ROUTER, OPT_DNS,	  OPT_DOMAIN, OPT_BROADCAST, OPT_LEASE,
    OPT_OVERLOAD, OPT_TYPE,   OPT_SERVER, OPT_T1,     OPT_T2,
};

struct opt {
	uint16_t len; /* bytes in v; > 255: too long, unusable */
	uint8_t v[255];
};
struct opts {
	struct opt s[NSLOTS];
};

static void opt_take(struct opts *o, uint8_t code, const uint8_t *v,
		     uint8_t len, bool main_field)
{
	for (int i = 0; i < NSLOTS; i++) {
		struct opt *s = &o->s[i];

		if (slot_code[i] != code)
			continue;
		/* Only the options field may say what else holds options. */
		if (code == OPT_OVERLOAD && !main_field)
			return;
		if (s->len + len > sizeof(s->v)) {
			s->len = sizeof(s->v) + 1;
			return;
		}
		memcpy(s->v + s->len, v, len);
		s->len += len;
		return;
	}
}

/* One field of options; false if an option runs past its end. A field
 * without an end option ends where it does. */
static bool opt_walk(const uint8_t *p, size_t n, struct opts *o, bool main)
{
	size_t i = 0;

	while (i < n) {
		uint8_t code = p[i++], len;

		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			return true;
		if (i == n)
			return false;
		len = p[i++];
		if (len > n - i)
			return false;
		opt_take(o, code, p + i, len, main);
		i += len;
	}
	return true;
}

/* RFC 2131 4.1: the options field, then file, then sname when overloaded. */
static bool opt_read(const uint8_t *msg, size_t len, struct opts *o)
{
	const struct opt *ov = &o->s[S_OVERLOAD];

	memset(o, 0, sizeof(*o));
	if (!opt_walk(msg + OFF_OPTIONS, len - OFF_OPTIONS, o, true))
		return false;
	if (ov->len == 0)
		return true;
	if (ov->len != 1 || ov->v[0] < 1 || ov->v[0] > 3)
		return false;
	if ((ov->v[0] & 1) && !opt_walk(msg + OFF_FILE, 128, o, false))
		return false;
	if ((ov->v[0] & 2) && !opt_walk(msg + OFF_SNAME, 64, o, false))
		return false;
	return true;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* An address as stored (network order) from 4 wire bytes. */
static uint32_t get_addr(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

/*
 * A 4-byte option into *out: 1 if present, 0 if absent, -1 if its length
 * is wrong. Addresses keep their wire order, numbers become host order.
 */
static int opt_u32(const struct opts *o, int slot, bool addr, uint32_t *out)
{
	const struct opt *s = &o->s[slot];

	if (s->len == 0)
		return 0;
	if (s->len != 4)
		return -1;
	*out = addr ? get_addr(s->v) : get_be32(s->v);
	return 1;
}

/* An address a host may have: not 0/8, loopback, multicast, reserved or
 * broadcast (RFC 1122 3.2.1.3). */
static bool host_addr_ok(uint32_t a)
{
	uint8_t first = net_ntohl(a) >> 24;

	return first != 0 && first != 127 && first < 224;
}

int dhcp_mask_prefix(uint32_t mask)
{
	uint32_t m = net_ntohl(mask), hosts = ~m;

	if (hosts & (hosts + 1)) /* the host part is not all low bits */
		return -1;
	return m ? 32 - __builtin_ctz(m) : 0;
}

uint32_t dhcp_prefix_mask(unsigned prefix)
{
	return net_htonl(prefix ? ~0u << (32 - prefix) : 0);
}

/* The classful mask of addr: what a lease without option 1 implies. */
static uint32_t classful_mask(uint32_t addr)
{
	uint8_t first = net_ntohl(addr) >> 24;

	return dhcp_prefix_mask(first < 128 ? 8 : first < 192 ? 16 : 24);
}

/* The list options: every usable address, up to max. */
static unsigned addr_list(const struct opt *s, uint32_t *out, unsigned max)
{
	unsigned n = 0;

	for (size_t i = 0; i + 4 <= s->len && n < max; i += 4) {
		uint32_t a = get_addr(s->v + i);

		if (host_addr_ok(a))
			out[n++] = a;
	}
	return n;
}

static bool list_len_ok(const struct opt *s)
{
	return s->len % 4 == 0 && s->len <= sizeof(s->v);
}

/*
 * The domain name (option 15) goes into /etc/resolv.conf, so only what
 * a domain name may hold passes: letters, digits, '-', '.', '_'. Trailing
 * NULs (some servers count one) are dropped; anything else drops the
 * name, not the lease.
 */
static void read_domain(const struct opt *s, char *out)
{
	size_t n = s->len;

	out[0] = '\0';
	if (n > sizeof(s->v))
		return;
	while (n && s->v[n - 1] == '\0')
		n--;
	if (n > DHCP_DOMAIN_MAX)
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s->v[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		      ch == '_'))
			return;
	}
	memcpy(out, s->v, n);
	out[n] = '\0';
}

/* The address and its subnet: a host of the subnet, not its network or
 * broadcast address (for prefixes up to /30). */
static bool addr_in_subnet_ok(uint32_t addr, uint32_t mask)
{
	uint32_t host = net_ntohl(addr & ~mask), hostmask = net_ntohl(~mask);

	if (hostmask < 3)
		return true;
	return host != 0 && host != hostmask;
}

/* The lease's times (RFC 2131 4.4.5): T1 0.5, T2 0.875 of the lease,
 * unless the server gave 0 < T1 < T2 < lease. */
static void lease_times(const struct opts *o, struct dhcp_lease *l)
{
	uint32_t t1 = 0, t2 = 0;

	if (opt_u32(o, S_LEASE, false, &l->lease_s) <= 0)
		l->lease_s = 3600; /* RFC 2131 requires it in an ACK */
	if (l->lease_s < DHCP_LEASE_MIN_S)
		l->lease_s = DHCP_LEASE_MIN_S;
	if (l->lease_s == DHCP_LEASE_INFINITE) {
		l->t1_s = l->t2_s = DHCP_LEASE_INFINITE;
		return;
	}
	opt_u32(o, S_T1, false, &t1);
	opt_u32(o, S_T2, false, &t2);
	if (!(t1 && t1 < t2 && t2 < l->lease_s)) {
		t1 = l->lease_s / 2;
		t2 = (uint32_t)((uint64_t)l->lease_s * 7 / 8);
	}
	l->t1_s = t1;
	l->t2_s = t2;
}

/* The fixed-length options have their lengths, or the message goes. */
static bool opt_lengths_ok(const struct opts *o)
{
	static const uint8_t four[] = {S_MASK,	 S_BCAST, S_LEASE,
				       S_SERVER, S_T1,	  S_T2};

	for (size_t i = 0; i < ARRAY_SIZE(four); i++)
		if (o->s[four[i]].len && o->s[four[i]].len != 4)
			return false;
	return list_len_ok(&o->s[S_ROUTER]) && list_len_ok(&o->s[S_DNS]) &&
	       o->s[S_TYPE].len <= 1;
}

/* What an OFFER or ACK gives; DHCP_OK or why not. */
static enum dhcp_drop read_lease(const uint8_t *msg, const struct opts *o,
				 struct dhcp_lease *l)
{
	uint32_t router[1];
	int prefix;

	l->addr = get_addr(msg + OFF_YIADDR);
	if (!host_addr_ok(l->addr))
		return DHCP_DROP_ADDR;
	if (opt_u32(o, S_MASK, true, &l->mask) <= 0)
		l->mask = classful_mask(l->addr);
	prefix = dhcp_mask_prefix(l->mask);
	if (prefix <= 0 || !addr_in_subnet_ok(l->addr, l->mask))
		return DHCP_DROP_ADDR;
	if (addr_list(&o->s[S_ROUTER], router, 1) && router[0] != l->addr)
		l->router = router[0];
	l->ndns = addr_list(&o->s[S_DNS], l->dns, DHCP_MAX_DNS);
	l->broadcast = l->addr | ~l->mask;
	opt_u32(o, S_BCAST, true, &l->broadcast);
	read_domain(&o->s[S_DOMAIN], l->domain);
	lease_times(o, l);
	return DHCP_OK;
}

static enum dhcp_drop check_header(const uint8_t *msg, size_t len, uint32_t xid,
				   const uint8_t mac[6])
{
	if (len < OFF_OPTIONS)
		return DHCP_DROP_SHORT;
	if (msg[OFF_OP] != BOOTREPLY)
		return DHCP_DROP_OP;
	if (msg[OFF_HTYPE] != 1 || msg[OFF_HLEN] != 6)
		return DHCP_DROP_HW;
	if (get_be32(msg + OFF_XID) != xid)
		return DHCP_DROP_XID;
	if (memcmp(msg + OFF_CHADDR, mac, 6))
		return DHCP_DROP_CHADDR;
	if (get_be32(msg + OFF_COOKIE) != COOKIE)
		return DHCP_DROP_COOKIE;
	return DHCP_OK;
}

enum dhcp_drop dhcp_parse(const uint8_t *msg, size_t len, uint32_t xid,
			  const uint8_t mac[6], struct dhcp_reply *r)
{
	enum dhcp_drop why = check_header(msg, len, xid, mac);
	struct opts o;

	if (why != DHCP_OK)
		return why;
	memset(r, 0, sizeof(*r));
	if (!opt_read(msg, len, &o) || !opt_lengths_ok(&o))
		return DHCP_DROP_OPTIONS;
	if (o.s[S_TYPE].len != 1)
		return DHCP_DROP_TYPE;
	r->type = o.s[S_TYPE].v[0];
	if (r->type != DHCPOFFER && r->type != DHCPACK && r->type != DHCPNAK)
		return DHCP_DROP_TYPE;
	/* RFC 2131 4.3.1, table 3: every reply names its server. */
	if (opt_u32(&o, S_SERVER, true, &r->lease.server) <= 0 ||
	    !host_addr_ok(r->lease.server))
		return DHCP_DROP_SERVER;
	if (r->type == DHCPNAK)
		return DHCP_OK;
	return read_lease(msg, &o, &r->lease);
}

/* ---- writing messages ---- */

static uint8_t *put_opt(uint8_t *p, uint8_t code, const void *v, uint8_t len)
{
	p[0] = code;
	p[1] = len;
	memcpy(p + 2, v, len);
	return p + 2 + len;
}

static const uint8_t params[] = {OPT_MASK,	OPT_ROUTER, OPT_DNS, OPT_DOMAIN,
				 OPT_BROADCAST, OPT_LEASE,  OPT_T1,  OPT_T2};

/*
 * A DISCOVER or REQUEST (RFC 2131 4.4.1, table 5) into act->msg. `want`
 * (REQUESTING) adds the requested address and the server; ciaddr is our
 * address while renewing and rebinding. Before we have an address the
 * server is asked to broadcast its reply (the broadcast flag, 4.1).
 */
static void build(const struct dhcp_client *c, uint8_t type, uint32_t ciaddr,
		  const struct dhcp_lease *want, uint64_t now,
		  struct dhcp_action *act)
{
	uint8_t *m = act->msg, *p = m + OFF_OPTIONS;
	uint64_t secs = (now - c->started_ns) / NS;
	uint8_t max_size[2] = {c->max_msg >> 8, c->max_msg & 0xff};

	memset(m, 0, DHCP_MSG_MIN);
	m[OFF_OP] = BOOTREQUEST;
	m[OFF_HTYPE] = 1;
	m[OFF_HLEN] = 6;
	put_be32(m + OFF_XID, c->xid);
	m[OFF_SECS] = MIN(secs, 0xffff) >> 8;
	m[OFF_SECS + 1] = MIN(secs, 0xffff) & 0xff;
	if (!ciaddr)
		m[OFF_FLAGS] = FLAG_BROADCAST >> 8;
	memcpy(m + OFF_CIADDR, &ciaddr, 4);
	memcpy(m + OFF_CHADDR, c->mac, 6);
	put_be32(m + OFF_COOKIE, COOKIE);
	p = put_opt(p, OPT_TYPE, &type, 1);
	p = put_opt(p, OPT_MAX_SIZE, max_size, 2);
	if (want) {
		p = put_opt(p, OPT_REQUESTED_IP, &want->addr, 4);
		p = put_opt(p, OPT_SERVER, &want->server, 4);
	}
	p = put_opt(p, OPT_PARAMS, params, sizeof(params));
	*p++ = OPT_END;
	act->len = MAX((size_t)(p - m), (size_t)DHCP_MSG_MIN);
	act->what |= DHCP_ACT_SEND;
}

/* ---- the state machine ---- */

void dhcp_client_init(struct dhcp_client *c, const uint8_t mac[6], uint16_t mtu,
		      uint32_t (*random)(void *), void *arg)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	c->max_msg = MAX(mtu, 576) - 28; /* RFC 2132 9.10: at least 576 */
	c->random = random;
	c->random_arg = arg;
	c->deadline_ns = ~0ull;
}

static uint64_t ns_of_s(uint32_t s)
{
	return (uint64_t)s * NS;
}

/* RFC 2131 4.1: exponential backoff, randomised. The first delay is 1 s,
 * not 4: a boot waits on it, and a virtual link loses little. */
static uint64_t backoff(struct dhcp_client *c)
{
	uint64_t rto = c->rto_ns, jitter = rto / 4;

	c->rto_ns = MIN(rto * 2, RTO_MAX_NS);
	return rto - jitter / 2 + c->random(c->random_arg) % (jitter + 1);
}

static uint64_t lease_end(const struct dhcp_client *c, uint32_t s)
{
	if (c->lease.lease_s == DHCP_LEASE_INFINITE)
		return ~0ull;
	return c->bound_ns + ns_of_s(s);
}

/* RFC 2131 4.4.5: half the time left until `end`, at least 60 s. */
static uint64_t half_way(uint64_t now, uint64_t end)
{
	uint64_t half = end > now ? (end - now) / 2 : 0;

	return MIN(end, now + MAX(half, RENEW_MIN_NS));
}

/* Sends what the state sends, and sets when to send it again. */
static void transmit(struct dhcp_client *c, uint64_t now,
		     struct dhcp_action *act)
{
	uint64_t t2 = lease_end(c, c->lease.t2_s);
	uint64_t end = lease_end(c, c->lease.lease_s);

	c->tries++;
	c->sent++;
	act->unicast = false;
	act->src = 0;
	act->dst = 0xffffffff;
	switch (c->state) {
	case DHCP_SELECTING:
		build(c, DHCPDISCOVER, 0, NULL, now, act);
		c->deadline_ns = now + backoff(c);
		break;
	case DHCP_REQUESTING:
		build(c, DHCPREQUEST, 0, &c->offer, now, act);
		c->deadline_ns = now + backoff(c);
		break;
	case DHCP_RENEWING:
		build(c, DHCPREQUEST, c->lease.addr, NULL, now, act);
		act->unicast = true;
		act->src = c->lease.addr;
		act->dst = c->lease.server;
		memcpy(act->dst_mac, c->server_mac, 6);
		c->deadline_ns = half_way(now, t2);
		break;
	case DHCP_REBINDING:
		build(c, DHCPREQUEST, c->lease.addr, NULL, now, act);
		act->src = c->lease.addr;
		c->deadline_ns = half_way(now, end);
		break;
	default:
		break;
	}
}

/* Enters `state` with a new transaction and sends its first message. */
static void enter(struct dhcp_client *c, enum dhcp_state state, uint64_t now,
		  struct dhcp_action *act)
{
	if (state == DHCP_SELECTING || state == DHCP_RENEWING ||
	    state == DHCP_REBINDING) {
		c->xid = c->random(c->random_arg);
		c->started_ns = now;
	}
	c->state = state;
	c->tries = 0;
	c->rto_ns = RTO_FIRST_NS;
	transmit(c, now, act);
}

void dhcp_client_start(struct dhcp_client *c, uint64_t now,
		       struct dhcp_action *act)
{
	act->what = 0;
	enter(c, DHCP_SELECTING, now, act);
}

static bool same_config(const struct dhcp_lease *a, const struct dhcp_lease *b)
{
	return a->addr == b->addr && a->mask == b->mask &&
	       a->router == b->router && a->ndns == b->ndns &&
	       !memcmp(a->dns, b->dns, sizeof(a->dns)) &&
	       !strcmp(a->domain, b->domain);
}

static void bind_lease(struct dhcp_client *c, const struct dhcp_reply *r,
		       const uint8_t src_mac[6], uint64_t now,
		       struct dhcp_action *act)
{
	bool renewal = c->state == DHCP_RENEWING || c->state == DHCP_REBINDING;

	act->what |= renewal && same_config(&c->lease, &r->lease)
			 ? DHCP_ACT_RENEW
			 : DHCP_ACT_BIND;
	c->lease = r->lease;
	memcpy(c->server_mac, src_mac, 6);
	c->bound_ns = now;
	c->state = DHCP_BOUND;
	c->naks = 0;
	c->deadline_ns = lease_end(c, c->lease.t1_s);
	act->lease = c->lease;
}

/*
 * A NAK, or a lease that ended: drop any address and start again, at
 * once the first time, then after 1, 2, 4 ... 64 s, so that a server
 * that refuses everything cannot keep us sending.
 */
static void restart(struct dhcp_client *c, uint64_t now,
		    struct dhcp_action *act)
{
	uint64_t delay = c->naks ? MIN(NS << (c->naks - 1), RTO_MAX_NS) : 0;

	if (c->state >= DHCP_BOUND)
		act->what |= DHCP_ACT_UNBIND;
	memset(&c->lease, 0, sizeof(c->lease));
	c->naks = MIN(c->naks + 1, 16);
	c->state = DHCP_INIT;
	c->deadline_ns = now + delay;
	if (!delay)
		enter(c, DHCP_SELECTING, now, act);
}

/* Whether reply r is from the server the state talks to. */
static bool from_our_server(const struct dhcp_client *c,
			    const struct dhcp_reply *r)
{
	if (c->state == DHCP_REQUESTING)
		return r->lease.server == c->offer.server;
	if (c->state == DHCP_RENEWING)
		return r->lease.server == c->lease.server;
	return true; /* REBINDING: any server may answer */
}

/* A valid reply for our transaction: what the state makes of it. */
static enum dhcp_drop react(struct dhcp_client *c, const struct dhcp_reply *r,
			    const uint8_t src_mac[6], uint64_t now,
			    struct dhcp_action *act)
{
	if (c->state == DHCP_SELECTING) {
		if (r->type != DHCPOFFER)
			return DHCP_DROP_STATE;
		c->offer = r->lease;
		enter(c, DHCP_REQUESTING, now, act);
		return DHCP_OK;
	}
	if (c->state < DHCP_REQUESTING || c->state == DHCP_BOUND ||
	    r->type == DHCPOFFER)
		return DHCP_DROP_STATE;
	if (!from_our_server(c, r))
		return DHCP_DROP_SERVER;
	if (r->type == DHCPNAK) {
		restart(c, now, act);
		return DHCP_OK;
	}
	if (c->state == DHCP_REQUESTING && r->lease.addr != c->offer.addr)
		return DHCP_DROP_ADDR;
	bind_lease(c, r, src_mac, now, act);
	return DHCP_OK;
}

void dhcp_client_input(struct dhcp_client *c, const uint8_t *msg, size_t len,
		       const uint8_t src_mac[6], uint64_t now,
		       struct dhcp_action *act)
{
	struct dhcp_reply r;
	enum dhcp_drop why;

	act->what = 0;
	c->received++;
	why = dhcp_parse(msg, len, c->xid, c->mac, &r);
	if (why == DHCP_OK)
		why = react(c, &r, src_mac, now, act);
	if (why != DHCP_OK)
		c->drops[why]++;
}

void dhcp_client_timer(struct dhcp_client *c, uint64_t now,
		       struct dhcp_action *act)
{
	act->what = 0;
	if (now < c->deadline_ns)
		return;
	switch (c->state) {
	case DHCP_INIT:
		enter(c, DHCP_SELECTING, now, act);
		break;
	case DHCP_SELECTING:
		transmit(c, now, act);
		break;
	case DHCP_REQUESTING:
		if (c->tries >= REQUEST_TRIES)
			enter(c, DHCP_SELECTING, now, act);
		else
			transmit(c, now, act);
		break;
	case DHCP_BOUND:
	case DHCP_RENEWING:
	case DHCP_REBINDING:
		if (now >= lease_end(c, c->lease.lease_s))
			restart(c, now, act);
		else if (now >= lease_end(c, c->lease.t2_s) &&
			 c->state != DHCP_REBINDING)
			enter(c, DHCP_REBINDING, now, act);
		else if (c->state == DHCP_BOUND)
			enter(c, DHCP_RENEWING, now, act);
		else
			transmit(c, now, act);
		break;
	case DHCP_STOPPED:
		break;
	}
}

/* ---- frames ---- */

/*
 * Ethernet, IPv4 (RFC 791: no options, TTL 64) and UDP (RFC 768) around
 * act's message, checksums computed: the DHCP client sends before the
 * interface has an address, so the stack's own output path is not used.
 */
size_t dhcp_frame(uint8_t *buf, const struct dhcp_action *act,
		  const uint8_t mac[6], uint16_t ip_id)
{
	uint8_t *ip = buf + 14, *udp = ip + 20;
	uint16_t udp_len = (uint16_t)(8 + act->len), csum;
	uint8_t pseudo[12];

	memset(buf, 0xff, 6);
	if (act->unicast)
		memcpy(buf, act->dst_mac, 6);
	memcpy(buf + 6, mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (20 + udp_len) >> 8;
	ip[3] = (20 + udp_len) & 0xff;
	ip[4] = ip_id >> 8;
	ip[5] = ip_id & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &act->src, 4);
	memcpy(ip + 16, &act->dst, 4);
	csum = net_csum(ip, 20);
	memcpy(ip + 10, &csum, 2);
	udp[0] = 0;
	udp[1] = DHCP_CLIENT_PORT;
	udp[2] = 0;
	udp[3] = DHCP_SERVER_PORT;
	udp[4] = udp_len >> 8;
	udp[5] = udp_len & 0xff;
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, act->msg, act->len);
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = udp[4];
	pseudo[11] = udp[5];
	csum = net_csum_fold(
	    net_csum_add(net_csum_add(0, pseudo, 12), udp, udp_len));
	if (!csum)
		csum = 0xffff; /* RFC 768: 0 means no checksum */
	memcpy(udp + 6, &csum, 2);
	return 14 + 20 + udp_len;
}
