/*
 * The host's struct tcp_info (Debian 12's <linux/tcp.h>), in a file of
 * its own because that header's names are net/tcp.h's too: test_tcp
 * compares struct tcp_info_k with it field by field.
 */
#include <linux/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/host/tcp_info_fields.h"

#define FIELD_OFFSET(f) offsetof(struct tcp_info, f),
const size_t linux_tcp_info_offsets[] = {TCP_INFO_FIELDS(FIELD_OFFSET)};
const size_t linux_tcp_info_size = sizeof(struct tcp_info);

/* The two bytes of bit-fields after tcpi_options, as Linux lays them. */
void linux_tcp_info_bits(uint8_t out[2], unsigned snd_wscale,
			 unsigned rcv_wscale, unsigned app_limited,
			 unsigned fo_fail)
{
	struct tcp_info ti;

	memset(&ti, 0, sizeof(ti));
	ti.tcpi_snd_wscale = snd_wscale;
	ti.tcpi_rcv_wscale = rcv_wscale;
	ti.tcpi_delivery_rate_app_limited = app_limited;
	ti.tcpi_fastopen_client_fail = fo_fail;
	memcpy(out,
	       (uint8_t *)&ti + offsetof(struct tcp_info, tcpi_options) + 1, 2);
}
