/*
 * TCP options (RFC 9293 3.2): a list of kind, length, value, ended by EOL
 * or the header's end, NOPs between for alignment. The area comes from
 * the network, so every length is checked against what is left before it
 * is used. Lengths of the options we know are fixed: MSS 4, window scale
 * 3 (RFC 7323 2.2), SACK-permitted 2 and SACK 2 + 8n (RFC 2018 2, 3),
 * timestamps 10 (RFC 7323 3.2).
 */
#include "net/tcp.h"

#include "kernel/kernel.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One option of kind k with n value bytes at v; -EINVAL if n is wrong. */
static int take(struct tcp_opts *o, uint8_t k, const uint8_t *v, size_t n)
{
	switch (k) {
	case TCP_OPT_MSS:
		if (n != 2)
			return -EINVAL;
		o->mss = (uint16_t)(v[0] << 8 | v[1]);
		o->has |= TCP_HAS_MSS;
		return 0;
	case TCP_OPT_WSCALE:
		if (n != 1)
			return -EINVAL;
		o->wscale = v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : v[0];
		o->has |= TCP_HAS_WSCALE;
		return 0;
	case TCP_OPT_SACK_OK:
		if (n != 0)
			return -EINVAL;
		o->has |= TCP_HAS_SACK_OK;
		return 0;
	case TCP_OPT_SACK:
		if (n == 0 || n % 8 || n / 8 > TCP_MAX_SACK)
			return -EINVAL;
		o->nsack = (unsigned)(n / 8);
		for (unsigned i = 0; i < o->nsack; i++)
			o->sack[i] = (struct tcp_sack_block){
			    get32(v + 8 * i), get32(v + 8 * i + 4)};
		o->has |= TCP_HAS_SACK;
		return 0;
	case TCP_OPT_TIMESTAMP:
		if (n != 8)
			return -EINVAL;
		o->ts_val = get32(v);
		o->ts_ecr = get32(v + 4);
		o->has |= TCP_HAS_TS;
		return 0;
	default:
		return 0; /* unknown: skipped (RFC 9293 3.2, RFC 1122 4.2.2.5) */
	}
}

int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	if (len > TCP_OPT_SPACE)
		return -EINVAL;
	while (i < len) {
		uint8_t kind = p[i];

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || p[i + 1] < 2 || p[i + 1] > len - i)
			return -EINVAL;
		if (take(o, kind, p + i + 2, p[i + 1] - 2u))
			return -EINVAL;
		i += p[i + 1];
	}
	return 0;
}

/* Appends bytes if they fit; false (nothing written) if not. */
static bool emit(uint8_t *p, size_t room, size_t *at, const uint8_t *b,
		 size_t n)
{
	if (n > room - *at)
		return false;
	memcpy(p + *at, b, n);
	*at += n;
	return true;
}

static void emit_mss_ws_sackok(uint8_t *p, size_t room, size_t *at,
			       const struct tcp_opts *o)
{
	if (o->has & TCP_HAS_MSS) {
		uint8_t b[4] = {TCP_OPT_MSS, 4, (uint8_t)(o->mss >> 8),
				(uint8_t)o->mss};
		emit(p, room, at, b, 4);
	}
	/* SACK-permitted rides in the timestamp's NOPs when both go. */
	if ((o->has & TCP_HAS_SACK_OK) && !(o->has & TCP_HAS_TS)) {
		uint8_t b[4] = {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK_OK, 2};
		emit(p, room, at, b, 4);
	}
	if (o->has & TCP_HAS_WSCALE) {
		uint8_t b[4] = {TCP_OPT_NOP, TCP_OPT_WSCALE, 3, o->wscale};
		emit(p, room, at, b, 4);
	}
}

static void emit_ts(uint8_t *p, size_t room, size_t *at,
		    const struct tcp_opts *o)
{
	uint8_t b[12] = {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_TIMESTAMP, 10};

	if (o->has & TCP_HAS_SACK_OK) {
		b[0] = TCP_OPT_SACK_OK;
		b[1] = 2;
	}
	put32(b + 4, o->ts_val);
	put32(b + 8, o->ts_ecr);
	emit(p, room, at, b, 12);
}

static void emit_sack(uint8_t *p, size_t room, size_t *at,
		      const struct tcp_opts *o)
{
	uint8_t b[4 + 8 * TCP_MAX_SACK] = {TCP_OPT_NOP, TCP_OPT_NOP,
					  TCP_OPT_SACK};
	unsigned n = o->nsack > TCP_MAX_SACK ? TCP_MAX_SACK : o->nsack;

	while (n && 4 + 8 * n > room - *at)
		n--;
	if (!n)
		return;
	b[3] = (uint8_t)(2 + 8 * n);
	for (unsigned i = 0; i < n; i++) {
		put32(b + 4 + 8 * i, o->sack[i].left);
		put32(b + 8 + 8 * i, o->sack[i].right);
	}
	emit(p, room, at, b, 4 + 8 * n);
}

size_t tcp_opts_build(uint8_t *p, size_t room, const struct tcp_opts *o)
{
	size_t at = 0;

	if (room > TCP_OPT_SPACE)
		room = TCP_OPT_SPACE;
	room &= ~(size_t)3;
	emit_mss_ws_sackok(p, room, &at, o);
	if (o->has & TCP_HAS_TS)
		emit_ts(p, room, &at, o);
	if (o->has & TCP_HAS_SACK)
		emit_sack(p, room, &at, o);
	return at;
}
