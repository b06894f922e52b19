/*
 * The retransmission timeout (RFC 6298 2): a smoothed round-trip time and
 * its variation, updated from each measurement with gains 1/8 and 1/4,
 * RTO = SRTT + max(G, 4 * RTTVAR), bounded by Linux's minimum (200 ms,
 * where the RFC says 1 s: Linux's value is what the peers we talk to
 * expect of a Linux host) and maximum (120 s). Expiries double it (5.5)
 * until a new measurement arrives.
 */
#include "net/tcp.h"

#define CLOCK_GRANULARITY_US 1000 /* G: the timers' resolution, about */

static uint32_t clamp_rto(uint64_t us)
{
	if (us < TCP_RTO_MIN_US)
		return TCP_RTO_MIN_US;
	return us > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : (uint32_t)us;
}

void tcp_rtt_init(struct tcp_rtt *r)
{
	*r = (struct tcp_rtt){.rto_us = TCP_RTO_INITIAL_US};
}

static uint32_t abs_diff(uint32_t a, uint32_t b)
{
	return a > b ? a - b : b - a;
}

void tcp_rtt_sample(struct tcp_rtt *r, uint32_t rtt_us)
{
	if (!rtt_us)
		rtt_us = 1;
	if (!r->srtt_us) { /* 2.2: the first measurement */
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
	} else { /* 2.3: RTTVAR first, with the old SRTT */
		r->rttvar_us = r->rttvar_us - r->rttvar_us / 4 +
			       abs_diff(r->srtt_us, rtt_us) / 4;
		r->srtt_us = r->srtt_us - r->srtt_us / 8 + rtt_us / 8;
	}
	uint64_t var = 4ull * r->rttvar_us;
	r->rto_us = clamp_rto(r->srtt_us + (var > CLOCK_GRANULARITY_US
						? var
						: CLOCK_GRANULARITY_US));
	r->backoff = 0;
}

void tcp_rtt_backoff(struct tcp_rtt *r)
{
	r->rto_us = clamp_rto(2ull * r->rto_us);
	r->backoff++;
}
