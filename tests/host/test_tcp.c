/*
 * Host tests of TCP's pure parts (net/tcp_opt.c, tcp_rtt.c, tcp_cc.c,
 * tcp_ooo.c, tcp_cookie.c, tcp_tw.c): sequence arithmetic, options both
 * ways, the RFC 6298 estimator, congestion control (Reno, NewReno's
 * recovery, CUBIC's curve), the out-of-order queue, SipHash, ISNs, SYN
 * cookies, ephemeral ports and the TIME_WAIT table.
 */
#include "net/tcp.h"
#include "kernel/kernel.h"
#include "lib/lib.h"
#include "tests/host/check.h"
#include "tests/host/tcp_info_fields.h"

static void seq_compares_across_the_wrap(void)
{
	CHECK(seq_lt(0xfffffff0u, 0x10));
	CHECK(seq_gt(0x10, 0xfffffff0u));
	CHECK(seq_le(5, 5) && seq_ge(5, 5) && !seq_lt(5, 5));
	CHECK(seq_in(0xffffffffu, 0xfffffff0u, 0x10));
	CHECK(!seq_in(0x10, 0xfffffff0u, 0x10));
	CHECK(seq_in(0xfffffff0u, 0xfffffff0u, 0x10));
}

static void opts_parse_a_linux_syn(void)
{
	/* What Linux sends on SYN: MSS 1460, SACK-perm, TS, NOP, WS 7. */
	static const uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
					0, 42, 0, 0, 0, 0, 1, 3, 3, 7};
	struct tcp_opts o;

	CHECK_EQ(tcp_opts_parse(syn, sizeof(syn), &o), 0);
	CHECK_EQ(o.has, TCP_HAS_MSS | TCP_HAS_SACK_OK | TCP_HAS_TS |
			    TCP_HAS_WSCALE);
	CHECK_EQ(o.mss, 1460);
	CHECK_EQ(o.wscale, 7);
	CHECK_EQ(o.ts_val, 42);
	CHECK_EQ(o.ts_ecr, 0);
}

static void opts_reject_malformed(void)
{
	static const uint8_t zero_len[] = {2, 0, 0, 0};
	static const uint8_t past_end[] = {1, 1, 8, 10, 0, 0};
	static const uint8_t bad_mss[] = {2, 3, 5, 1};
	static const uint8_t bad_sack[] = {5, 6, 0, 0, 0, 0};
	static const uint8_t lone_kind[] = {1, 1, 1, 2};
	static const uint8_t too_long[41] = {1};
	struct tcp_opts o;

	CHECK_EQ(tcp_opts_parse(zero_len, sizeof(zero_len), &o), -EINVAL);
	CHECK_EQ(tcp_opts_parse(past_end, sizeof(past_end), &o), -EINVAL);
	CHECK_EQ(tcp_opts_parse(bad_mss, sizeof(bad_mss), &o), -EINVAL);
	CHECK_EQ(tcp_opts_parse(bad_sack, sizeof(bad_sack), &o), -EINVAL);
	CHECK_EQ(tcp_opts_parse(lone_kind, sizeof(lone_kind), &o), -EINVAL);
	CHECK_EQ(tcp_opts_parse(too_long, sizeof(too_long), &o), -EINVAL);
}

static void opts_skip_unknown_stop_at_eol_clamp_wscale(void)
{
	static const uint8_t area[] = {30, 4, 9, 9, 3, 3, 20, 0, 2, 1};
	struct tcp_opts o;

	CHECK_EQ(tcp_opts_parse(area, sizeof(area), &o), 0);
	CHECK_EQ(o.has, TCP_HAS_WSCALE);
	CHECK_EQ(o.wscale, TCP_MAX_WSCALE); /* RFC 7323 2.3 */
}

static void opts_build_round_trips(void)
{
	struct tcp_opts in = {.has = TCP_HAS_MSS | TCP_HAS_WSCALE |
				     TCP_HAS_SACK_OK | TCP_HAS_TS,
			      .mss = 1460, .wscale = 9, .ts_val = 7,
			      .ts_ecr = 0x89abcdef};
	struct tcp_opts out;
	uint8_t buf[40];

	size_t n = tcp_opts_build(buf, sizeof(buf), &in);
	CHECK_EQ(n, 20);
	CHECK_EQ(n % 4, 0);
	CHECK_EQ(tcp_opts_parse(buf, n, &out), 0);
	CHECK_EQ(out.has, in.has);
	CHECK_EQ(out.mss, 1460);
	CHECK_EQ(out.wscale, 9);
	CHECK_EQ(out.ts_val, 7);
	CHECK_EQ(out.ts_ecr, 0x89abcdef);
}

static void opts_build_fits_sack_blocks_beside_timestamps(void)
{
	struct tcp_opts in = {.has = TCP_HAS_TS | TCP_HAS_SACK, .nsack = 4};
	struct tcp_opts out;
	uint8_t buf[40];

	for (unsigned i = 0; i < 4; i++)
		in.sack[i] = (struct tcp_sack_block){1000 * i, 1000 * i + 500};
	size_t n = tcp_opts_build(buf, sizeof(buf), &in);
	CHECK(n <= 40 && n % 4 == 0);
	CHECK_EQ(tcp_opts_parse(buf, n, &out), 0);
	CHECK_EQ(out.nsack, 3); /* 12 + 2 + 24 + padding: three fit */
	CHECK_EQ(out.sack[2].right, 2500);
	in.has = TCP_HAS_SACK;
	n = tcp_opts_build(buf, sizeof(buf), &in);
	CHECK_EQ(tcp_opts_parse(buf, n, &out), 0);
	CHECK_EQ(out.nsack, 4);
	CHECK_EQ(tcp_opts_build(buf, 3, &in), 0); /* no room at all */
}

static void rtt_follows_rfc6298(void)
{
	struct tcp_rtt r;

	tcp_rtt_init(&r);
	CHECK_EQ(r.rto_us, 1000000);
	tcp_rtt_sample(&r, 100000); /* 2.2: SRTT = R, RTTVAR = R/2 */
	CHECK_EQ(r.srtt_us, 100000);
	CHECK_EQ(r.rttvar_us, 50000);
	CHECK_EQ(r.rto_us, 300000);
	tcp_rtt_sample(&r, 100000); /* 2.3 */
	CHECK_EQ(r.rttvar_us, 37500);
	CHECK_EQ(r.srtt_us, 100000);
	CHECK_EQ(r.rto_us, 250000);
	for (int i = 0; i < 50; i++)
		tcp_rtt_sample(&r, 1000);
	CHECK_EQ(r.rto_us, TCP_RTO_MIN_US);
	tcp_rtt_backoff(&r);
	CHECK_EQ(r.rto_us, 2 * TCP_RTO_MIN_US);
	for (int i = 0; i < 20; i++)
		tcp_rtt_backoff(&r);
	CHECK_EQ(r.rto_us, TCP_RTO_MAX_US);
	CHECK_EQ(r.backoff, 21);
}

static void reno_slow_start_then_avoidance(void)
{
	struct tcp_cc c;

	tcp_cc_init(&c, TCP_CC_RENO, 1000);
	CHECK_EQ(c.cwnd, 10000);
	tcp_cc_on_ack(&c, 5000, 0, 0, true); /* at most two segments */
	CHECK_EQ(c.cwnd, 12000);
	tcp_cc_on_ack(&c, 1000, 0, 0, false); /* not limited: no growth */
	CHECK_EQ(c.cwnd, 12000);
	c.ssthresh = 12000;
	for (int i = 0; i < 11; i++)
		tcp_cc_on_ack(&c, 1000, 0, 0, true);
	CHECK_EQ(c.cwnd, 12000);
	tcp_cc_on_ack(&c, 1000, 0, 0, true); /* a window acked: + 1 MSS */
	CHECK_EQ(c.cwnd, 13000);
}

static void newreno_recovery_deflates_on_partial_acks(void)
{
	struct tcp_cc c;

	tcp_cc_init(&c, TCP_CC_RENO, 1000);
	c.cwnd = 20000;
	CHECK(tcp_cc_on_fast_loss(&c, 20000, 5000));
	CHECK_EQ(c.ssthresh, 10000);
	CHECK_EQ(c.cwnd, 13000);
	CHECK(!tcp_cc_on_fast_loss(&c, 20000, 5000)); /* once per window */
	tcp_cc_on_dupack(&c);
	CHECK_EQ(c.cwnd, 14000);
	CHECK(!tcp_cc_recovery_ack(&c, 3000, 2000)); /* partial */
	CHECK_EQ(c.cwnd, 13000);
	CHECK(tcp_cc_recovery_ack(&c, 5000, 2000)); /* covers recover */
	CHECK_EQ(c.cwnd, 10000);
	CHECK(!c.in_recovery);
	tcp_cc_on_timeout(&c, 8000);
	CHECK_EQ(c.cwnd, 1000);
	CHECK_EQ(c.ssthresh, 4000);
}

static void cbrt_is_exact(void)
{
	CHECK_EQ(tcp_cbrt(0), 0);
	CHECK_EQ(tcp_cbrt(26), 2);
	CHECK_EQ(tcp_cbrt(27), 3);
	CHECK_EQ(tcp_cbrt(1000000000000ull), 10000);
	CHECK_EQ(tcp_cbrt(UINT64_MAX), 2642245);
	CHECK_EQ(tcp_cbrt(2642245ull * 2642245 * 2642245 - 1), 2642244);
}

/* The window after acknowledging a full window every RTT for `ms`. */
static void run_acks(struct tcp_cc *c, uint64_t start, int from_ms, int to_ms,
		     uint32_t rtt_ms)
{
	for (int ms = from_ms; ms <= to_ms; ms++)
		tcp_cc_on_ack(c, c->cwnd / rtt_ms, start + ms * 1000ull,
			      rtt_ms * 1000, true);
}

/* CUBIC after a loss at 1000 segments with a 100 ms RTT: cwnd 700, W_max
 * 1000, K = cbrt(299.8 / 0.4) = 9.083 s; the window is back near W_max at K
 * and grows beyond it after (RFC 9438 4.2). */
static void cubic_returns_to_w_max_after_k(void)
{
	struct tcp_cc c;

	tcp_cc_init(&c, TCP_CC_CUBIC, 1000);
	c.cwnd = 1000000;
	c.ssthresh = 500000;
	CHECK(tcp_cc_on_fast_loss(&c, 1000000, 1));
	CHECK_EQ(c.ssthresh, 700195); /* 0.7 is 717/1024 */
	CHECK(tcp_cc_recovery_ack(&c, 1, 0));
	run_acks(&c, 1000000, 1, 9083, 100);
	CHECK_EQ(c.k_us / 1000, 9083);
	CHECK(c.cwnd > 970000 && c.cwnd < 1030000);
	run_acks(&c, 1000000, 9084, 13000, 100);
	CHECK(c.cwnd > 1010000);
}

/* With a short RTT CUBIC grows at least as Reno would (4.3): 10 ms for
 * 6 s is 600 RTTs of 0.53 segments over a cwnd of 70 segments. */
static void cubic_is_reno_friendly_on_short_rtts(void)
{
	struct tcp_cc c;

	tcp_cc_init(&c, TCP_CC_CUBIC, 1000);
	c.cwnd = 100000;
	tcp_cc_on_fast_loss(&c, 100000, 1);
	tcp_cc_recovery_ack(&c, 1, 0);
	run_acks(&c, 1000000, 1, 6000, 10);
	CHECK(c.cwnd > 350000); /* the cubic alone: about 102 segments */
}

static void cubic_fast_convergence_lowers_w_max(void)
{
	struct tcp_cc c;

	tcp_cc_init(&c, TCP_CC_CUBIC, 1000);
	c.cwnd = 100000;
	tcp_cc_on_fast_loss(&c, 100000, 1);
	tcp_cc_recovery_ack(&c, 1, 0);
	CHECK_EQ(c.w_max, 100000);
	c.cwnd = 80000; /* lost again below the last maximum */
	tcp_cc_on_fast_loss(&c, 80000, 2);
	CHECK_EQ(c.w_max, 67968); /* 80000 * 0.85 */
	CHECK_EQ(c.w_last_max, 80000);
}

/* ---- the out-of-order queue ---- */
static struct tcp_ooo_seg segs[300];
static int released;

static void count_release(struct tcp_ooo_seg *s)
{
	(void)s;
	released++;
}

static struct tcp_ooo_seg *mkseg(unsigned i, uint32_t seq, uint32_t len)
{
	segs[i] = (struct tcp_ooo_seg){.seq = seq, .len = len, .off = 0};
	return &segs[i];
}

static void ooo_sorts_trims_and_pops(void)
{
	struct tcp_ooo q;

	released = 0;
	tcp_ooo_init(&q, 100000, count_release);
	CHECK_EQ(tcp_ooo_insert(&q, mkseg(0, 3000, 1000)), 1000);
	CHECK_EQ(tcp_ooo_insert(&q, mkseg(1, 1000, 1000)), 1000);
	CHECK_EQ(tcp_ooo_insert(&q, mkseg(2, 3200, 100)), 0); /* inside */
	CHECK_EQ(released, 1);
	/* Covers the end of [1000,2000) and the start of [3000,4000). */
	CHECK_EQ(tcp_ooo_insert(&q, mkseg(3, 1500, 2000)), 2000);
	CHECK_EQ(q.bytes, 3000);
	CHECK_EQ(segs[1].len, 500);
	CHECK_EQ(segs[0].seq, 3500);
	CHECK_EQ(segs[0].off, 500);
	CHECK(tcp_ooo_pop(&q, 900) == NULL); /* a hole first */
	struct tcp_ooo_seg *s = tcp_ooo_pop(&q, 1200);
	CHECK(s == &segs[1]);
	CHECK_EQ(s->seq, 1200);
	CHECK_EQ(s->off, 200);
	CHECK_EQ(s->len, 300);
	CHECK(tcp_ooo_pop(&q, 1500) == &segs[3]);
	CHECK(tcp_ooo_pop(&q, 3500) == &segs[0]);
	CHECK(tcp_ooo_pop(&q, 4000) == NULL);
	CHECK_EQ(q.bytes, 0);
	CHECK_EQ(q.nsegs, 0);
}

static void ooo_newcomer_covering_several_drops_them(void)
{
	struct tcp_ooo q;

	released = 0;
	tcp_ooo_init(&q, 100000, count_release);
	tcp_ooo_insert(&q, mkseg(0, 100, 10));
	tcp_ooo_insert(&q, mkseg(1, 200, 10));
	tcp_ooo_insert(&q, mkseg(2, 300, 10));
	CHECK_EQ(tcp_ooo_insert(&q, mkseg(3, 50, 400)), 400);
	CHECK_EQ(released, 3);
	CHECK_EQ(q.nsegs, 1);
	CHECK_EQ(q.bytes, 400);
	/* Wrapping sequence numbers sort the same. */
	tcp_ooo_purge(&q);
	tcp_ooo_insert(&q, mkseg(4, 0x10, 0x10));
	tcp_ooo_insert(&q, mkseg(5, 0xfffffff0u, 0x10));
	CHECK(q.head == &segs[5]);
	CHECK(tcp_ooo_pop(&q, 0xfffffff0u) == &segs[5]);
}

static void ooo_is_bounded(void)
{
	struct tcp_ooo q;

	released = 0;
	tcp_ooo_init(&q, 5000, count_release);
	CHECK_EQ(tcp_ooo_insert(&q, mkseg(0, 0, 4000)), 4000);
	CHECK_EQ(tcp_ooo_insert(&q, mkseg(1, 10000, 2000)), -ENOBUFS);
	tcp_ooo_purge(&q);
	tcp_ooo_init(&q, 1u << 30, count_release);
	int refused = 0;
	for (unsigned i = 0; i < 300; i++) /* 1-byte segments with gaps */
		refused += tcp_ooo_insert(&q, mkseg(i, 2 * i, 1)) == -ENOBUFS;
	CHECK_EQ(q.nsegs, TCP_OOO_MAX_SEGS);
	CHECK_EQ(refused, 300 - TCP_OOO_MAX_SEGS);
	tcp_ooo_purge(&q);
	CHECK_EQ(released, 2 + 300);
}

static void ooo_sack_blocks_latest_first(void)
{
	struct tcp_ooo q;
	struct tcp_sack_block b[4];

	tcp_ooo_init(&q, 100000, count_release);
	tcp_ooo_insert(&q, mkseg(0, 1000, 100));
	tcp_ooo_insert(&q, mkseg(1, 1100, 100)); /* joins the first run */
	tcp_ooo_insert(&q, mkseg(2, 3000, 100));
	tcp_ooo_insert(&q, mkseg(3, 5000, 100));
	tcp_ooo_insert(&q, mkseg(4, 3100, 50)); /* latest: the 2nd run */
	CHECK_EQ(tcp_ooo_sack(&q, b, 4), 3);
	CHECK_EQ(b[0].left, 3000);
	CHECK_EQ(b[0].right, 3150);
	CHECK_EQ(b[1].left, 1000);
	CHECK_EQ(b[1].right, 1200);
	CHECK_EQ(b[2].left, 5000);
	CHECK_EQ(tcp_ooo_sack(&q, b, 1), 1);
	CHECK_EQ(b[0].left, 3000);
	tcp_ooo_purge(&q);
}

/* ---- SipHash, ISNs, SYN cookies, ephemeral ports ---- */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void) /* xorshift64*, for reproducible noise */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* The paper's appendix A: key 00..0f, message 00..0e. The others are
 * from the reference implementation's table of 64 vectors. */
static void siphash_matches_the_papers_vectors(void)
{
	uint8_t key[16], msg[64];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = i;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = i;
	CHECK_EQ(siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
	CHECK_EQ(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
	CHECK_EQ(siphash24(key, msg, 8), 0x93f5f5799a932462ull);
	CHECK_EQ(siphash24(key, msg, 63), 0x958a324ceb064572ull);
	key[15] ^= 1; /* keyed: another key, another value */
	CHECK(siphash24(key, msg, 15) != 0xa129ca6149be45e5ull);
}

static void set_secret(void)
{
	uint8_t k[16];

	for (unsigned i = 0; i < sizeof(k); i++)
		k[i] = 0xa5 ^ (i * 37);
	tcp_secret_init(k);
}

#define LA 0x010012c6u /* 198.18.0.1, network order */
#define RA 0x020012c6u /* 198.18.0.2 */
#define LP 0x5000      /* 80 */
#define RP 0x3930      /* 12345 */

static void cookie_round_trips_every_mss(void)
{
	static const uint16_t table[] = TCP_COOKIE_MSS;
	static const struct {
		uint16_t in, out;
	} rounding[] = {{0, 536},      {100, 536},   {536, 536},
			{1299, 536},   {1300, 1300}, {1439, 1300},
			{1440, 1440},  {1459, 1440}, {1460, 1460},
			{65535, 1460}, {9000, 1460}};

	set_secret();
	for (unsigned i = 0; i < ARRAY_SIZE(table); i++) {
		for (uint32_t now = 0; now < 100000; now += 997) {
			uint32_t isn = rnd();
			uint32_t c = tcp_cookie_make(LA, LP, RA, RP, isn,
						     table[i], now);
			CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, isn, c, now),
				 table[i]);
		}
	}
	for (unsigned i = 0; i < ARRAY_SIZE(rounding); i++) {
		uint32_t c = tcp_cookie_make(LA, LP, RA, RP, 7, rounding[i].in,
					     5000);
		CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 7, c, 5000),
			 rounding[i].out);
	}
}

static void cookie_rejects_another_tuple_or_isn(void)
{
	set_secret();
	uint32_t c = tcp_cookie_make(LA, LP, RA, RP, 1000, 1460, 777);

	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 1000, c, 777), 1460);
	CHECK_EQ(tcp_cookie_check(LA + 1, LP, RA, RP, 1000, c, 777), 0);
	CHECK_EQ(tcp_cookie_check(LA, LP + 1, RA, RP, 1000, c, 777), 0);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA ^ 0x01000000, RP, 1000, c, 777),
		 0);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP ^ 1, 1000, c, 777), 0);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 1001, c, 777), 0);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 1000, c + 1, 777), 0);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 1000, c ^ 0x80000000u, 777),
		 0);
	CHECK_EQ(tcp_cookie_check(RA, RP, LA, LP, 1000, c, 777), 0);
}

/* Periods of 64 s: good in the period made and the next, not after, not
 * before, and not 32 periods on (when the 5 time bits come round). */
static void cookie_expires_after_two_periods(void)
{
	set_secret();
	uint32_t start = 64 * 1000;
	uint32_t c = tcp_cookie_make(LA, LP, RA, RP, 5, 1440, start);
	uint32_t late = tcp_cookie_make(LA, LP, RA, RP, 5, 1440, start + 63);

	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 5, c, start + 127), 1440);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 5, c, start + 128), 0);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 5, late, start + 64), 1440);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 5, late, start + 128), 0);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 5, c, start - 1), 0);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 5, c, start + 32 * 64), 0);
	/* near the clock's start, no period before the first */
	c = tcp_cookie_make(LA, LP, RA, RP, 5, 536, 10);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 5, c, 10), 536);
	CHECK_EQ(tcp_cookie_check(LA, LP, RA, RP, 5, c + (31u << 27), 10), 0);
}

/* A random ACK passes with probability 2/32 (the period field) x 2^-25
 * (the MAC; all four MSS codes are valid): 2^-29, so over 10^6 tries
 * about 0.002 are expected; more than one means the MAC is broken. */
static void cookie_random_values_are_refused(void)
{
	unsigned accepted = 0;

	set_secret();
	for (unsigned i = 0; i < 1000000; i++)
		accepted += tcp_cookie_check(LA, LP, RA, RP, rnd(), rnd(),
					     100000) != 0;
	CHECK(accepted <= 1);
	/* and random cookies for a fixed peer ISN */
	accepted = 0;
	for (unsigned i = 0; i < 1000000; i++)
		accepted += tcp_cookie_check(LA, LP, RA, RP, 42, rnd(),
					     100000) != 0;
	CHECK(accepted <= 1);
}

static void isn_grows_with_time_and_differs_across_tuples(void)
{
	set_secret();
	uint64_t t0 = 123456789;
	uint32_t prev = tcp_isn(LA, LP, RA, RP, t0);

	CHECK_EQ(tcp_isn(LA, LP, RA, RP, t0 + 4) - prev, 1); /* 4 us ticks */
	for (unsigned i = 1; i <= 1000; i++) {
		uint32_t isn = tcp_isn(LA, LP, RA, RP, t0 + i * 1000ull);
		if (!CHECK(seq_gt(isn, prev)))
			break;
		prev = isn;
	}
	/* Tuples differing in one port: offsets spread over the space. */
	unsigned hist[16] = {0};
	for (unsigned p = 0; p < 1600; p++)
		hist[tcp_isn(LA, LP, RA, (uint16_t)p, t0) >> 28]++;
	for (unsigned b = 0; b < 16; b++)
		CHECK(hist[b] > 50 && hist[b] < 150);
	uint32_t d1 = tcp_isn(LA, LP, RA, 1, t0) - tcp_isn(LA, LP, RA, 0, t0);
	uint32_t d2 = tcp_isn(LA, LP, RA, 2, t0) - tcp_isn(LA, LP, RA, 1, t0);
	CHECK(d1 != d2);
	CHECK(tcp_isn(LA, LP, RA, RP, t0) != tcp_isn(RA, RP, LA, LP, t0));
}

static uint8_t taken[65536 / 8];

static bool port_taken(uint16_t port, void *arg)
{
	(*(unsigned *)arg)++;
	return taken[port / 8] >> (port % 8) & 1;
}

static void take(uint16_t port)
{
	taken[port / 8] |= 1 << (port % 8);
}

static bool never_busy(uint16_t port, void *arg)
{
	(void)port;
	(void)arg;
	return false;
}

static void port_pick_covers_the_range_and_honours_busy(void)
{
	unsigned calls = 0;

	set_secret();
	memset(taken, 0, sizeof(taken));
	for (unsigned i = 0; i < 1000; i++) {
		uint16_t p = tcp_port_pick(LA, RA, RP, 40000, 40999,
					   port_taken, &calls);
		if (!CHECK(p >= 40000 && p <= 40999 && !(port_taken(p, &calls))))
			return;
		take(p);
	}
	for (unsigned p = 40000; p <= 40999; p++)
		CHECK(taken[p / 8] >> (p % 8) & 1);
	calls = 0;
	CHECK_EQ(tcp_port_pick(LA, RA, RP, 40000, 40999, port_taken, &calls),
		 0);
	CHECK_EQ(calls, 1000); /* each port asked once, then given up */
	CHECK_EQ(tcp_port_pick(LA, RA, RP, 5, 4, never_busy, NULL), 0);
	CHECK_EQ(tcp_port_pick(LA, RA, RP, 0, 0, never_busy, NULL), 0);
	CHECK_EQ(tcp_port_pick(LA, RA, RP, 7, 7, never_busy, NULL), 7);
	uint16_t p = tcp_port_pick(LA, RA, RP, 0, 65535, never_busy, NULL);
	CHECK(p != 0);
}

static void port_pick_spreads_across_destinations(void)
{
	unsigned hist[16] = {0};
	const uint16_t lo = 32768, hi = 60999; /* Linux's default range */

	set_secret();
	uint16_t a = tcp_port_pick(LA, RA, RP, lo, hi, never_busy, NULL);
	uint16_t b = tcp_port_pick(LA, RA, RP, lo, hi, never_busy, NULL);
	CHECK(a != b); /* successive calls for one destination */
	for (uint32_t i = 0; i < 4096; i++) {
		uint16_t p = tcp_port_pick(LA, RA + (i << 24), RP, lo, hi,
					   never_busy, NULL);
		hist[(p - lo) * 16 / (hi - lo + 1)]++;
	}
	for (unsigned k = 0; k < 16; k++) /* 256 each expected */
		CHECK(hist[k] > 160 && hist[k] < 360);
}

/* ---- TIME_WAIT ---- */
#define SEC 1000000000ull
static const struct tcp_tw_key twk = {LA, RA, LP, RP};

static struct tcp_tw_state tw_state(bool ts)
{
	return (struct tcp_tw_state){.snd_nxt = 5000, .rcv_nxt = 9000,
				     .ts_recent = ts ? 1000 : 0, .ts_ok = ts,
				     .snd_wscale = 7, .rcv_wnd = 65535};
}

static enum tcp_tw_verdict tw_in(uint8_t flags, uint32_t seq, bool has_ts,
				 uint32_t ts_val, uint64_t now,
				 struct tcp_tw_state *st, uint32_t *isn)
{
	return tcp_tw_input(&twk, flags, seq, 5000, has_ts, ts_val, now, st,
			    isn);
}

static void tw_fin_retransmission_is_acked_and_restarts(void)
{
	struct tcp_tw_state in = tw_state(false), st = {0};
	uint32_t isn = 0;

	tcp_tw_init();
	CHECK(tcp_tw_add(&twk, &in, 10 * SEC));
	CHECK_EQ(tcp_tw_count(), 1);
	CHECK_EQ(tw_in(TCP_FLAG_FIN | TCP_FLAG_ACK, 8999, false, 0, 40 * SEC,
		       &st, &isn),
		 TCP_TW_ACK);
	CHECK_EQ(st.snd_nxt, 5000);
	CHECK_EQ(st.rcv_nxt, 9000);
	CHECK_EQ(st.rcv_wnd, 65535);
	/* FINs are never rate-limited: each retransmission is answered */
	CHECK_EQ(tw_in(TCP_FLAG_FIN | TCP_FLAG_ACK, 8999, false, 0,
		       40 * SEC + 1, &st, &isn),
		 TCP_TW_ACK);
	CHECK(tcp_tw_busy(&twk, 100 * SEC)); /* restarted at 40 s + 1 ns */
	CHECK(!tcp_tw_busy(&twk, 100 * SEC + 1));
	CHECK_EQ(tcp_tw_count(), 0);
	CHECK_EQ(tw_in(TCP_FLAG_FIN | TCP_FLAG_ACK, 8999, false, 0, 100 * SEC,
		       &st, &isn),
		 TCP_TW_NONE);
	CHECK(tcp_tw_check());
}

static void tw_rst_at_rcv_nxt_kills_others_drop(void)
{
	struct tcp_tw_state in = tw_state(false), st = {0};

	tcp_tw_init();
	tcp_tw_add(&twk, &in, SEC);
	CHECK_EQ(tw_in(TCP_FLAG_RST, 9001, false, 0, 2 * SEC, &st, NULL),
		 TCP_TW_DROP);
	CHECK_EQ(tw_in(TCP_FLAG_RST | TCP_FLAG_ACK, 8000, false, 0, 2 * SEC,
		       &st, NULL),
		 TCP_TW_DROP);
	CHECK_EQ(tcp_tw_count(), 1);
	CHECK_EQ(tw_in(TCP_FLAG_RST, 9000, false, 0, 2 * SEC, &st, NULL),
		 TCP_TW_KILL);
	CHECK_EQ(st.rcv_nxt, 9000);
	CHECK_EQ(tcp_tw_count(), 0);
	CHECK(!tcp_tw_busy(&twk, 2 * SEC));
	CHECK(tcp_tw_check());
}

static void tw_new_syn_reuses(void)
{
	struct tcp_tw_state in = tw_state(false), st = {0};
	uint32_t isn = 0;

	tcp_tw_init();
	tcp_tw_add(&twk, &in, SEC);
	/* SYN+ACK is no new connection; nor is a SYN at or below rcv_nxt */
	CHECK_EQ(tw_in(TCP_FLAG_SYN | TCP_FLAG_ACK, 20000, false, 0, 2 * SEC,
		       &st, &isn),
		 TCP_TW_ACK);
	CHECK_EQ(tw_in(TCP_FLAG_SYN, 8000, false, 0, 3 * SEC, &st, &isn),
		 TCP_TW_ACK);
	CHECK_EQ(tw_in(TCP_FLAG_SYN, 9000, false, 0, 4 * SEC, &st, &isn),
		 TCP_TW_ACK);
	CHECK_EQ(tw_in(TCP_FLAG_SYN, 9001, false, 0, 5 * SEC, &st, &isn),
		 TCP_TW_REUSE);
	CHECK_EQ(isn, 5000 + 65535 + 2);
	CHECK_EQ(tcp_tw_count(), 0);
	/* the hint skips 0 */
	in.snd_nxt = 0xfffeffffu;
	tcp_tw_add(&twk, &in, SEC);
	CHECK_EQ(tw_in(TCP_FLAG_SYN, 1u << 31, false, 0, 2 * SEC, &st, &isn),
		 TCP_TW_REUSE);
	CHECK_EQ(isn, 1);
	CHECK_EQ(st.snd_nxt, 0xfffeffffu);
	/* RFC 6191: with timestamps, a newer TSval reopens at any seq */
	in = tw_state(true);
	tcp_tw_add(&twk, &in, SEC);
	CHECK_EQ(tw_in(TCP_FLAG_SYN, 100, true, 1000, 2 * SEC, &st, &isn),
		 TCP_TW_ACK); /* not newer */
	CHECK_EQ(tw_in(TCP_FLAG_SYN, 100, true, 1001, 3 * SEC, &st, &isn),
		 TCP_TW_REUSE);
	CHECK(tcp_tw_check());
}

static void tw_bare_ack_at_rcv_nxt_is_dropped_and_restarts(void)
{
	struct tcp_tw_state in = tw_state(true), st = {0};

	tcp_tw_init();
	tcp_tw_add(&twk, &in, SEC);
	CHECK_EQ(tw_in(TCP_FLAG_ACK, 9000, true, 2000, 50 * SEC, &st, NULL),
		 TCP_TW_DROP);
	CHECK_EQ(st.ts_recent, 2000); /* refreshed */
	CHECK(tcp_tw_busy(&twk, 109 * SEC));
	CHECK(!tcp_tw_busy(&twk, 110 * SEC));
}

/* Out-of-window segments get an ACK, those without sequence space at
 * most one per 500 ms; data is always answered. */
static void tw_old_duplicates_acked_at_a_limited_rate(void)
{
	struct tcp_tw_state in = tw_state(false), st = {0};
	struct tcp_tw_seg data = {.flags = TCP_FLAG_ACK | TCP_FLAG_PSH,
				  .seq = 7000, .ack = 5000, .len = 100};

	tcp_tw_init();
	tcp_tw_add(&twk, &in, SEC);
	CHECK_EQ(tw_in(TCP_FLAG_ACK, 8500, false, 0, 2 * SEC, &st, NULL),
		 TCP_TW_ACK);
	CHECK_EQ(tw_in(TCP_FLAG_ACK, 8500, false, 0, 2 * SEC + SEC / 4, &st,
		       NULL),
		 TCP_TW_DROP);
	CHECK_EQ(tw_in(TCP_FLAG_ACK, 9500, false, 0, 2 * SEC + SEC / 3, &st,
		       NULL),
		 TCP_TW_DROP); /* beyond rcv_nxt: out of window too */
	CHECK_EQ(tcp_tw_segment(&twk, &data, 2 * SEC + SEC / 3, &st, NULL),
		 TCP_TW_ACK);
	CHECK_EQ(tcp_tw_segment(&twk, &data, 2 * SEC + SEC / 3, &st, NULL),
		 TCP_TW_ACK);
	CHECK_EQ(tw_in(TCP_FLAG_ACK, 8500, false, 0, 2 * SEC + SEC / 2, &st,
		       NULL),
		 TCP_TW_ACK);
	/* data at rcv_nxt (past the peer's FIN) is answered too */
	data.seq = 9000;
	CHECK_EQ(tcp_tw_segment(&twk, &data, 3 * SEC, &st, NULL), TCP_TW_ACK);
	/* an ACK-less segment does not restart the timer */
	CHECK_EQ(tw_in(0, 100, false, 0, 4 * SEC, &st, NULL), TCP_TW_ACK);
	CHECK(!tcp_tw_busy(&twk, 63 * SEC));
}

static void tw_paws_rejects_old_timestamps(void)
{
	struct tcp_tw_state in = tw_state(true), st = {0};
	uint32_t isn = 0;

	tcp_tw_init();
	tcp_tw_add(&twk, &in, SEC);
	/* at rcv_nxt but TSval older than ts_recent: an ACK, not silence */
	CHECK_EQ(tw_in(TCP_FLAG_ACK, 9000, true, 999, 2 * SEC, &st, NULL),
		 TCP_TW_ACK);
	CHECK_EQ(st.ts_recent, 1000);
	/* an RST with an old TSval does not kill */
	CHECK_EQ(tw_in(TCP_FLAG_RST, 9000, true, 999, 3 * SEC, &st, NULL),
		 TCP_TW_DROP);
	/* a SYN beyond rcv_nxt with an old TSval does not reopen */
	CHECK_EQ(tw_in(TCP_FLAG_SYN, 20000, true, 999, 4 * SEC, &st, &isn),
		 TCP_TW_ACK);
	CHECK_EQ(tcp_tw_count(), 1);
	/* an RST at rcv_nxt whose TSval is not older kills */
	CHECK_EQ(tw_in(TCP_FLAG_RST, 9000, true, 1000, 5 * SEC, &st, NULL),
		 TCP_TW_KILL);
	/* ts_recent 0 (a host whose SYN carried 0): no PAWS */
	in.ts_recent = 0;
	tcp_tw_add(&twk, &in, SEC);
	CHECK_EQ(tw_in(TCP_FLAG_RST, 9000, true, 0xffff0000u, 2 * SEC, &st,
		       NULL),
		 TCP_TW_KILL);
	/* without timestamps negotiated, a segment's TSval is ignored */
	in = tw_state(false);
	in.ts_recent = 1000;
	tcp_tw_add(&twk, &in, SEC);
	CHECK_EQ(tw_in(TCP_FLAG_RST, 9000, true, 1, 2 * SEC, &st, NULL),
		 TCP_TW_KILL);
}

static struct tcp_tw_key nth_key(unsigned i)
{
	return (struct tcp_tw_key){LA, RA + (i >> 16), LP, (uint16_t)i};
}

static void tw_table_is_bounded_and_evicts_the_oldest(void)
{
	struct tcp_tw_state in = tw_state(false);

	tcp_tw_init();
	for (unsigned i = 0; i < TCP_TW_MAX; i++) {
		struct tcp_tw_key k = nth_key(i);
		if (!CHECK(tcp_tw_add(&k, &in, SEC + i)))
			return;
	}
	CHECK_EQ(tcp_tw_count(), TCP_TW_MAX);
	struct tcp_tw_key extra = nth_key(TCP_TW_MAX);
	struct tcp_tw_key first = nth_key(0), second = nth_key(1);
	CHECK(!tcp_tw_add(&extra, &in, SEC + SEC / 2)); /* all too young */
	CHECK_EQ(tcp_tw_count(), TCP_TW_MAX);
	/* re-adding a present key needs no room; it restarts that entry */
	CHECK(tcp_tw_add(&first, &in, SEC + SEC / 2));
	CHECK(tcp_tw_add(&extra, &in, 2 * SEC + 1)); /* evicts the 2nd */
	CHECK_EQ(tcp_tw_count(), TCP_TW_MAX);
	CHECK(!tcp_tw_busy(&second, 2 * SEC + 1));
	CHECK(tcp_tw_busy(&first, 2 * SEC + 1));
	CHECK(tcp_tw_busy(&extra, 2 * SEC + 1));
	for (unsigned i = 0; i < 3 * TCP_TW_MAX; i++) {
		struct tcp_tw_key k = nth_key(TCP_TW_MAX + 1 + i);
		tcp_tw_add(&k, &in, 3 * SEC + i * (SEC / 1000));
		if (!CHECK(tcp_tw_count() <= TCP_TW_MAX))
			break;
	}
	CHECK(tcp_tw_check());
}

static void tw_expire_removes_only_the_finished(void)
{
	struct tcp_tw_state in = tw_state(false);

	tcp_tw_init();
	for (unsigned i = 0; i < 100; i++) {
		struct tcp_tw_key k = nth_key(i);
		tcp_tw_add(&k, &in, i * SEC);
	}
	struct tcp_tw_key k0 = nth_key(0);
	tcp_tw_input(&k0, TCP_FLAG_ACK, 9000, 0, false, 0, 30 * SEC, NULL,
		     NULL); /* restarts k0 at 30 s */
	tcp_tw_expire(60 * SEC + SEC / 2); /* entry 0's time was up */
	CHECK_EQ(tcp_tw_count(), 100);
	tcp_tw_expire(80 * SEC); /* 1..20 go */
	CHECK_EQ(tcp_tw_count(), 80);
	CHECK(tcp_tw_busy(&k0, 80 * SEC));
	struct tcp_tw_key k20 = nth_key(20), k21 = nth_key(21);
	CHECK(!tcp_tw_busy(&k20, 80 * SEC));
	CHECK(tcp_tw_busy(&k21, 80 * SEC));
	tcp_tw_expire(1000 * SEC);
	CHECK_EQ(tcp_tw_count(), 0);
	CHECK(tcp_tw_check());
}

#define FIELD_NAME(f) #f,
#define FIELD_OFFSET(f) offsetof(struct tcp_info_k, f),
static const char *const info_names[] = {TCP_INFO_FIELDS(FIELD_NAME)};
static const size_t info_offsets[] = {TCP_INFO_FIELDS(FIELD_OFFSET)};

/* Field for field against the host's <linux/tcp.h> (tcp_info_linux.c). */
static void tcp_info_matches_the_hosts(void)
{
	uint8_t bits[2];

	CHECK_EQ(sizeof(struct tcp_info_k), linux_tcp_info_size);
	for (unsigned i = 0; i < ARRAY_SIZE(info_offsets); i++)
		if (info_offsets[i] != linux_tcp_info_offsets[i])
			CHECK_STR(info_names[i], "a field at Linux's offset");
	struct tcp_info_k ti = {0};
	ti.tcpi_snd_wscale = 3;
	ti.tcpi_rcv_wscale = 12;
	ti.tcpi_delivery_rate_app_limited = 1;
	ti.tcpi_fastopen_client_fail = 2;
	linux_tcp_info_bits(bits, 3, 12, 1, 2);
	CHECK_EQ(((uint8_t *)&ti)[6], bits[0]);
	CHECK_EQ(((uint8_t *)&ti)[7], bits[1]);
}

static void tcp_info_matches_linux(void)
{
	/* what the _Static_asserts in net/tcp.h promise, and the values */
	CHECK_EQ(sizeof(struct tcp_info_k), 232);
	CHECK_EQ(TCP_INFO, 11);
	CHECK_EQ(TCP_CONGESTION, 13);
	CHECK_EQ(TCP_USER_TIMEOUT, 18);
	CHECK_EQ(TCP_NOTSENT_LOWAT, 25);
	CHECK_EQ(TCP_ESTABLISHED, 1);
	CHECK_EQ(TCP_LISTEN, 10);
	CHECK_EQ(TCP_NEW_SYN_RECV, 12);
	struct tcp_info_k ti = {0};
	ti.tcpi_snd_wscale = 7;
	ti.tcpi_rcv_wscale = 9;
	CHECK_EQ(((uint8_t *)&ti)[6], 7 | 9 << 4);
	CHECK_EQ(ti.tcpi_wscale, 7 | 9 << 4);
	ti.tcpi_wscale = 2 | 14 << 4;
	CHECK_EQ(ti.tcpi_snd_wscale, 2);
	CHECK_EQ(ti.tcpi_rcv_wscale, 14);
}

int main(void)
{
	check_test = "tcp";
	RUN_TEST(seq_compares_across_the_wrap);
	RUN_TEST(opts_parse_a_linux_syn);
	RUN_TEST(opts_reject_malformed);
	RUN_TEST(opts_skip_unknown_stop_at_eol_clamp_wscale);
	RUN_TEST(opts_build_round_trips);
	RUN_TEST(opts_build_fits_sack_blocks_beside_timestamps);
	RUN_TEST(rtt_follows_rfc6298);
	RUN_TEST(reno_slow_start_then_avoidance);
	RUN_TEST(newreno_recovery_deflates_on_partial_acks);
	RUN_TEST(cbrt_is_exact);
	RUN_TEST(cubic_returns_to_w_max_after_k);
	RUN_TEST(cubic_is_reno_friendly_on_short_rtts);
	RUN_TEST(cubic_fast_convergence_lowers_w_max);
	RUN_TEST(ooo_sorts_trims_and_pops);
	RUN_TEST(ooo_newcomer_covering_several_drops_them);
	RUN_TEST(ooo_is_bounded);
	RUN_TEST(ooo_sack_blocks_latest_first);
	RUN_TEST(siphash_matches_the_papers_vectors);
	RUN_TEST(cookie_round_trips_every_mss);
	RUN_TEST(cookie_rejects_another_tuple_or_isn);
	RUN_TEST(cookie_expires_after_two_periods);
	RUN_TEST(cookie_random_values_are_refused);
	RUN_TEST(isn_grows_with_time_and_differs_across_tuples);
	RUN_TEST(port_pick_covers_the_range_and_honours_busy);
	RUN_TEST(port_pick_spreads_across_destinations);
	RUN_TEST(tw_fin_retransmission_is_acked_and_restarts);
	RUN_TEST(tw_rst_at_rcv_nxt_kills_others_drop);
	RUN_TEST(tw_new_syn_reuses);
	RUN_TEST(tw_bare_ack_at_rcv_nxt_is_dropped_and_restarts);
	RUN_TEST(tw_old_duplicates_acked_at_a_limited_rate);
	RUN_TEST(tw_paws_rejects_old_timestamps);
	RUN_TEST(tw_table_is_bounded_and_evicts_the_oldest);
	RUN_TEST(tw_expire_removes_only_the_finished);
	RUN_TEST(tcp_info_matches_linux);
	RUN_TEST(tcp_info_matches_the_hosts);
	return check_exit();
}
