/*
 * What TCP draws from a secret (net/tcp.h says the interface): initial
 * sequence numbers, SYN cookies and ephemeral port offsets, all from one
 * keyed hash (SipHash-2-4) of the 4-tuple, kept apart by a domain word.
 *
 * ISNs (RFC 6528 3): ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4 us clock. An off-path attacker cannot guess F, and one
 * tuple's successive ISNs move forward with the clock, which keeps a new
 * incarnation's sequence space clear of the last one's (RFC 9293 3.4.1).
 *
 * SYN cookies (RFC 4987 3.6): the listener answers a SYN without keeping
 * state and rebuilds what it needs from the handshake's ACK. The cookie is
 *
 *   cookie = H1(tuple, peer_isn)
 *	      + ((t mod 32) << 27 | mss_index << 25
 *		 | H2(tuple, peer_isn, t, mss_index) mod 2^25)
 *
 * with t = now_s / 64. Subtracting H1 gives the time and MSS fields and a
 * 25-bit MAC; the check rebuilds the full t from the 5 bits (the current
 * period or the one before; older is refused) and recomputes the MAC over
 * it, so a cookie replayed 32 periods later fails too. H1 hides the
 * fields from anyone without the secret. A random ACK passes with
 * probability 2/32 (period) x 2^-25 (MAC), about 2 in 10^9.
 *
 * Ephemeral ports (RFC 6056 3.3.3, algorithm 3): port = lo + (F(laddr,
 * raddr, rport) + next) mod n, next one counter advanced on every try
 * (both reduced mod n first, so that one call walks all n ports), so
 * a destination sees ports one after another from an offset nobody else
 * can compute, and different destinations' sequences are unrelated.
 *
 * Nothing here locks: the secret is written once at boot, and the port
 * counter is the caller's to serialise (a race only repeats a candidate,
 * which busy() then refuses).
 */
#include "net/tcp.h"

#include "lib/lib.h"

static uint8_t tcp_secret[16] = {'o', 's', 'p', 'r', 'e', 'y', '-', 't',
				 'c', 'p', '-', 'u', 'n', 's', 'e', 't'};
static uint32_t next_ephemeral; /* RFC 6056's counter; caller-serialised */

static const uint16_t cookie_mss[] = TCP_COOKIE_MSS;
_Static_assert(ARRAY_SIZE(cookie_mss) == 4, "the MSS code is 2 bits");

#define COOKIE_MAC_BITS 25
#define COOKIE_MSS_SHIFT COOKIE_MAC_BITS
#define COOKIE_T_SHIFT 27
#define COOKIE_MAC_MASK ((1u << COOKIE_MAC_BITS) - 1)
#define COOKIE_MAX_AGE 1 /* periods */

void tcp_secret_init(const uint8_t key[16])
{
	memcpy(tcp_secret, key, sizeof(tcp_secret));
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

uint64_t tcp_tuple_hash(enum tcp_hash_domain domain, uint32_t laddr,
			uint16_t lport, uint32_t raddr, uint16_t rport,
			uint32_t x, uint32_t y)
{
	uint8_t m[24];

	put_be32(m, domain);
	memcpy(m + 4, &laddr, 4);
	memcpy(m + 8, &raddr, 4);
	memcpy(m + 12, &lport, 2);
	memcpy(m + 14, &rport, 2);
	put_be32(m + 16, x);
	put_be32(m + 20, y);
	return siphash24(tcp_secret, m, sizeof(m));
}

uint32_t tcp_isn(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
		 uint64_t now_us)
{
	uint32_t f = (uint32_t)tcp_tuple_hash(TCP_HASH_ISN, laddr, lport, raddr,
					      rport, 0, 0);

	return f + (uint32_t)(now_us / 4);
}

/* The largest table entry not above mss; the smallest for less. */
static unsigned mss_index(uint16_t mss)
{
	unsigned i = ARRAY_SIZE(cookie_mss) - 1;

	while (i > 0 && mss < cookie_mss[i])
		i--;
	return i;
}

static uint32_t cookie_mac(uint32_t laddr, uint16_t lport, uint32_t raddr,
			   uint16_t rport, uint32_t peer_isn, uint32_t t,
			   unsigned idx)
{
	return (uint32_t)tcp_tuple_hash(TCP_HASH_COOKIE_MAC, laddr, lport,
					raddr, rport, peer_isn, t << 2 | idx) &
	       COOKIE_MAC_MASK;
}

static uint32_t cookie_offset(uint32_t laddr, uint16_t lport, uint32_t raddr,
			      uint16_t rport, uint32_t peer_isn)
{
	return (uint32_t)tcp_tuple_hash(TCP_HASH_COOKIE_OFF, laddr, lport,
					raddr, rport, peer_isn, 0);
}

uint32_t tcp_cookie_make(uint32_t laddr, uint16_t lport, uint32_t raddr,
			 uint16_t rport, uint32_t peer_isn, uint16_t mss,
			 uint32_t now_s)
{
	uint32_t t = now_s / TCP_COOKIE_PERIOD_S;
	unsigned idx = mss_index(mss);
	uint32_t mac = cookie_mac(laddr, lport, raddr, rport, peer_isn, t, idx);
	uint32_t v = (t % 32) << COOKIE_T_SHIFT | idx << COOKIE_MSS_SHIFT | mac;

	return cookie_offset(laddr, lport, raddr, rport, peer_isn) + v;
}

uint16_t tcp_cookie_check(uint32_t laddr, uint16_t lport, uint32_t raddr,
			  uint16_t rport, uint32_t peer_isn, uint32_t cookie,
			  uint32_t now_s)
{
	uint32_t v =
	    cookie - cookie_offset(laddr, lport, raddr, rport, peer_isn);
	uint32_t now_t = now_s / TCP_COOKIE_PERIOD_S;
	uint32_t age = (now_t - (v >> COOKIE_T_SHIFT)) % 32;
	unsigned idx = (v >> COOKIE_MSS_SHIFT) & 3;

	if (age > COOKIE_MAX_AGE || age > now_t)
		return 0;
	if (cookie_mac(laddr, lport, raddr, rport, peer_isn, now_t - age,
		       idx) != (v & COOKIE_MAC_MASK))
		return 0;
	return cookie_mss[idx];
}

uint16_t tcp_port_pick(uint32_t laddr, uint32_t raddr, uint16_t rport,
		       uint16_t lo, uint16_t hi,
		       bool (*busy)(uint16_t port, void *arg), void *arg)
{
	if (lo > hi)
		return 0;
	uint32_t n = (uint32_t)hi - lo + 1;
	uint32_t offset = (uint32_t)tcp_tuple_hash(TCP_HASH_PORT, laddr, 0,
						   raddr, rport, 0, 0);

	uint32_t start = (offset % n + next_ephemeral % n) % n;

	for (uint32_t tries = 0; tries < n; tries++) {
		uint16_t port = lo + (start + tries) % n;

		next_ephemeral++;
		if (port && !busy(port, arg))
			return port;
	}
	return 0;
}
