/*
 * UNTIL TCPAUX LANDS: simple, correct stand-ins for the helpers branch
 * tcpaux adds (net/tcp_cookie.c: ISNs and ephemeral ports; net/tcp_tw.c:
 * the TIME_WAIT table), with the interfaces it declares in net/tcp.h.
 * The integrator deletes this file and tcp_int.h's "until tcpaux lands"
 * block when merging that branch. No tests here: tcpaux tests its own.
 */
#include "net/tcp_int.h"

#ifdef TCP_AUX_TEMP /* tcpaux's net/tcp.h replaces all of this */

static uint8_t secret[16];

void tcp_secret_init(const uint8_t key[16])
{
	memcpy(secret, key, 16);
}

/* RFC 6528 wants a keyed hash of the 4-tuple plus a clock; here the
 * clock (4 us ticks, as RFC 793) plus random bits. */
uint32_t tcp_isn(uint32_t laddr, uint16_t lport, uint32_t raddr,
		 uint16_t rport, uint64_t now_us)
{
	(void)laddr, (void)lport, (void)raddr, (void)rport;
	return (uint32_t)(now_us / 4) + (net_random() & 0xffffff);
}

uint16_t tcp_port_pick(uint32_t laddr, uint32_t raddr, uint16_t rport,
		       uint16_t lo, uint16_t hi,
		       bool (*busy)(uint16_t port, void *arg), void *arg)
{
	unsigned span = (unsigned)(hi - lo) + 1;
	unsigned start = net_random() % span;

	(void)laddr, (void)raddr, (void)rport;
	for (unsigned i = 0; i < span; i++) {
		uint16_t p = (uint16_t)(lo + (start + i) % span);

		if (!busy(p, arg))
			return p;
	}
	return 0;
}

/* ---- TIME_WAIT: a list, bounded; the caller serialises ---- */
struct tw_ent {
	struct tw_ent *next;
	struct tcp_tw_key k;
	struct tcp_tw_state st;
	uint64_t expires;
};
static struct tw_ent *tw_head;
static unsigned tw_n;

void tcp_tw_init(void)
{
}

static bool key_eq(const struct tcp_tw_key *a, const struct tcp_tw_key *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr &&
	       a->lport == b->lport && a->rport == b->rport;
}

static struct tw_ent **tw_find(const struct tcp_tw_key *k)
{
	struct tw_ent **pp = &tw_head;

	while (*pp && !key_eq(&(*pp)->k, k))
		pp = &(*pp)->next;
	return pp;
}

static void tw_del(struct tw_ent **pp)
{
	struct tw_ent *e = *pp;

	*pp = e->next;
	free(e);
	tw_n--;
}

bool tcp_tw_add(const struct tcp_tw_key *k, const struct tcp_tw_state *st,
		uint64_t now_ns)
{
	struct tw_ent **pp = tw_find(k), *e;

	if (*pp)
		tw_del(pp);
	if (tw_n >= TCP_TW_MAX)
		return false;
	e = malloc(sizeof(*e));
	if (!e)
		return false;
	*e = (struct tw_ent){tw_head, *k, *st, now_ns + TCP_TIMEWAIT_NS};
	tw_head = e;
	tw_n++;
	return true;
}

enum tcp_tw_verdict tcp_tw_input(const struct tcp_tw_key *k, uint8_t flags,
				 uint32_t seq, uint32_t ack, bool has_ts,
				 uint32_t ts_val, uint64_t now_ns,
				 struct tcp_tw_state *st, uint32_t *isn_hint)
{
	struct tw_ent **pp = tw_find(k);
	struct tw_ent *e = *pp;

	(void)ack, (void)has_ts, (void)ts_val;
	if (!e)
		return TCP_TW_NONE;
	if (e->expires <= now_ns) {
		tw_del(pp);
		return TCP_TW_NONE;
	}
	*st = e->st;
	if (flags & 4) { /* RST: Linux's default (tcp_rfc1337 = 0) */
		tw_del(pp);
		return TCP_TW_KILL;
	}
	if ((flags & 2) && seq_gt(seq, e->st.rcv_nxt)) {
		*isn_hint = e->st.snd_nxt + 65535 + 2;
		tw_del(pp);
		return TCP_TW_REUSE;
	}
	if (flags & 1) /* a retransmitted FIN: 2 MSL again */
		e->expires = now_ns + TCP_TIMEWAIT_NS;
	return (flags & 3) || seq != e->st.rcv_nxt ? TCP_TW_ACK : TCP_TW_DROP;
}

bool tcp_tw_busy(const struct tcp_tw_key *k, uint64_t now_ns)
{
	struct tw_ent *e = *tw_find(k);

	return e && e->expires > now_ns;
}

void tcp_tw_expire(uint64_t now_ns)
{
	for (struct tw_ent **pp = &tw_head; *pp;)
		if ((*pp)->expires <= now_ns)
			tw_del(pp);
		else
			pp = &(*pp)->next;
}

unsigned tcp_tw_count(void)
{
	return tw_n;
}

#endif
