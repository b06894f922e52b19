/*
 * Congestion control: how much a connection may have in flight.
 *
 * Reno (RFC 5681): slow start grows cwnd by what each ACK covers (at most
 * two segments, RFC 3465's L = 2) until ssthresh, then congestion
 * avoidance adds a segment per window acknowledged. NewReno's fast
 * recovery (RFC 6582) holds on through partial ACKs until everything sent
 * before the loss (`recover`) is acknowledged.
 *
 * CUBIC (RFC 9438), the default: after a reduction the window follows
 * W(t) = C (t - K)^3 + W_max (C = 0.4 segments/s^3; K the time to get
 * back to W_max), growing fast far from W_max and flat near it, and never
 * slower than Reno would (the Reno-friendly estimate W_est). Reductions
 * multiply by beta = 0.7. Integer arithmetic only (the kernel has no
 * floating point): times in milliseconds inside the cubic, windows in
 * bytes, fractions in units of 1/1024.
 */
#include "net/tcp.h"

#define FP 10			   /* fixed point: 1 << 10 is 1.0 */
#define CUBIC_BETA_FP 717	   /* 0.7 */
#define CUBIC_ALPHA_FP 542	   /* 3 (1 - beta) / (1 + beta) = 0.529 */
#define CUBIC_FAST_CONV_FP 870	   /* (1 + beta) / 2 = 0.85 */
#define INITIAL_WINDOW_SEGMENTS 10 /* RFC 6928, Linux */
#define MAX_CUBE_MS 2000000ll	   /* |t - K| beyond: the cube would
				    * overflow and the clamp decides */

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

void tcp_cc_init(struct tcp_cc *c, enum tcp_cc_algo algo, uint32_t mss)
{
	*c = (struct tcp_cc){.algo = algo, .mss = mss ? mss : 536};
	c->cwnd = INITIAL_WINDOW_SEGMENTS * c->mss;
	c->ssthresh = UINT32_MAX;
}

uint64_t tcp_cbrt(uint64_t x)
{
	uint64_t r = 0;

	/* Bit by bit from the top: the largest r with r^3 <= x. */
	for (int b = 21; b >= 0; b--) {
		uint64_t t = r | (1ull << b);

		if (t <= x / t / t) /* t^3 <= x without overflow */
			r = t;
	}
	return r;
}

/* ---- Reno ---- */
static void reno_avoidance(struct tcp_cc *c, uint32_t acked)
{
	c->acked_partial += acked;
	if (c->acked_partial >= c->cwnd) {
		c->acked_partial -= c->cwnd;
		c->cwnd += c->mss;
	}
}

/* ---- CUBIC (RFC 9438 4.2-4.4) ---- */
/* The start of an epoch: K from how far below W_max the window is. */
static void cubic_begin_epoch(struct tcp_cc *c, uint64_t now_us)
{
	c->epoch_us = now_us ? now_us : 1;
	c->cwnd_epoch = c->cwnd;
	c->w_est = (uint64_t)c->cwnd << FP;
	c->acked_partial = 0;
	if (c->w_max <= c->cwnd) {
		c->k_us = 0;
		c->w_max = c->cwnd;
		return;
	}
	/* K = cbrt((W_max - cwnd_epoch) / C) seconds; in milliseconds with
	 * the window in thousandths of a segment: cbrt(msegs * 2.5e6). */
	uint64_t msegs = (uint64_t)(c->w_max - c->cwnd) * 1000 / c->mss;
	c->k_us = tcp_cbrt(msegs * 2500000) * 1000;
}

/* W_cubic(t) in bytes, t in microseconds since the epoch began. */
static int64_t cubic_window(const struct tcp_cc *c, uint64_t t_us)
{
	int64_t d = ((int64_t)t_us - (int64_t)c->k_us) / 1000;

	if (d > MAX_CUBE_MS)
		d = MAX_CUBE_MS;
	if (d < -MAX_CUBE_MS)
		d = -MAX_CUBE_MS;
	/* 0.4 * d^3 / 1e9 segments = (d^3 / 1e7) * 4 / 1000 segments */
	int64_t msegs = d * d * d / 10000000 * 4;
	return (int64_t)c->w_max + msegs * (int64_t)c->mss / 1000;
}

static void cubic_avoidance(struct tcp_cc *c, uint32_t acked, uint64_t now_us,
			    uint32_t srtt_us)
{
	if (!c->epoch_us)
		cubic_begin_epoch(c, now_us);
	acked = min_u32(acked, c->cwnd);
	/* Reno-friendly region (4.3): what AIMD(alpha, beta) would have. */
	c->w_est += (uint64_t)CUBIC_ALPHA_FP * acked * c->mss / c->cwnd;
	int64_t target = cubic_window(c, now_us - c->epoch_us + srtt_us);
	int64_t lo = c->cwnd, hi = c->cwnd + c->cwnd / 2;
	if ((int64_t)(c->w_est >> FP) > target) {
		target = (int64_t)(c->w_est >> FP);
		hi = target;
	}
	if (target < lo)
		target = lo;
	if (target > hi)
		target = hi;
	/* 4.4: cwnd grows by (target - cwnd) / cwnd per acked segment. */
	c->acked_partial += (uint32_t)((uint64_t)(target - lo) *
				       (((uint64_t)acked << FP) / c->cwnd));
	c->cwnd += c->acked_partial >> FP;
	c->acked_partial &= (1u << FP) - 1;
}

/* 4.6, 4.7: W_max with fast convergence, and the new ssthresh. */
static uint32_t cubic_reduce(struct tcp_cc *c)
{
	if (c->cwnd < c->w_last_max) {
		c->w_last_max = c->cwnd;
		c->w_max = (uint32_t)((uint64_t)c->cwnd * CUBIC_FAST_CONV_FP >> FP);
	} else {
		c->w_last_max = c->w_max = c->cwnd;
	}
	c->epoch_us = 0;
	return (uint32_t)((uint64_t)c->cwnd * CUBIC_BETA_FP >> FP);
}

/* ---- common ---- */
void tcp_cc_on_ack(struct tcp_cc *c, uint32_t acked, uint64_t now_us,
		   uint32_t srtt_us, bool cwnd_limited)
{
	if (!acked || c->in_recovery || !cwnd_limited)
		return;
	if (c->cwnd < c->ssthresh) { /* slow start (RFC 5681 3.1) */
		c->cwnd = min_u32(c->cwnd + min_u32(acked, 2 * c->mss),
				  max_u32(c->ssthresh, c->cwnd));
		return;
	}
	if (c->algo == TCP_CC_CUBIC)
		cubic_avoidance(c, acked, now_us, srtt_us);
	else
		reno_avoidance(c, acked);
}

static uint32_t reduced_ssthresh(struct tcp_cc *c, uint32_t flight)
{
	uint32_t t = c->algo == TCP_CC_CUBIC ? cubic_reduce(c) : flight / 2;

	return max_u32(t, 2 * c->mss); /* RFC 5681 equation 4 */
}

bool tcp_cc_on_fast_loss(struct tcp_cc *c, uint32_t flight, uint32_t nxt)
{
	if (c->in_recovery)
		return false;
	c->ssthresh = reduced_ssthresh(c, flight);
	c->cwnd = c->ssthresh + 3 * c->mss; /* RFC 5681 3.2 step 4 */
	c->recover = nxt;
	c->in_recovery = true;
	c->acked_partial = 0;
	return true;
}

void tcp_cc_on_dupack(struct tcp_cc *c)
{
	if (c->in_recovery)
		c->cwnd += c->mss;
}

bool tcp_cc_recovery_ack(struct tcp_cc *c, uint32_t ack, uint32_t acked)
{
	if (!c->in_recovery)
		return false;
	if (seq_ge(ack, c->recover)) { /* full ACK: deflate (step 3) */
		c->cwnd = c->ssthresh;
		c->in_recovery = false;
		return true;
	}
	/* Partial ACK: deflate by what it covers, add back one segment if
	 * that was at least one (RFC 6582 3.2 step 5). */
	c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->mss;
	if (acked >= c->mss)
		c->cwnd += c->mss;
	return false;
}

void tcp_cc_on_timeout(struct tcp_cc *c, uint32_t flight)
{
	c->ssthresh = reduced_ssthresh(c, flight);
	c->cwnd = c->mss; /* the loss window (RFC 5681 3.1) */
	c->in_recovery = false;
	c->acked_partial = 0;
}
