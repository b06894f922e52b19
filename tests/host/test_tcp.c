/*
 * Host tests of TCP's pure parts (net/tcp_opt.c, tcp_rtt.c, tcp_cc.c):
 * sequence arithmetic, options both ways, the RFC 6298 estimator and
 * congestion control (Reno, NewReno's recovery, CUBIC's curve).
 */
#include "net/tcp.h"
#include "kernel/kernel.h"
#include "tests/host/check.h"

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
	return check_exit();
}
