/* struct tcp_info's fields but the bit-fields, in order, for X-macros:
 * test_tcp.c and tcp_info_linux.c expand it over each struct. */
#ifndef TESTS_HOST_TCP_INFO_FIELDS_H
#define TESTS_HOST_TCP_INFO_FIELDS_H

#define TCP_INFO_FIELDS(X)                                                     \
	X(tcpi_state) X(tcpi_ca_state) X(tcpi_retransmits) X(tcpi_probes)      \
	X(tcpi_backoff) X(tcpi_options) X(tcpi_rto) X(tcpi_ato)                \
	X(tcpi_snd_mss) X(tcpi_rcv_mss) X(tcpi_unacked) X(tcpi_sacked)         \
	X(tcpi_lost) X(tcpi_retrans) X(tcpi_fackets) X(tcpi_last_data_sent)    \
	X(tcpi_last_ack_sent) X(tcpi_last_data_recv) X(tcpi_last_ack_recv)     \
	X(tcpi_pmtu) X(tcpi_rcv_ssthresh) X(tcpi_rtt) X(tcpi_rttvar)           \
	X(tcpi_snd_ssthresh) X(tcpi_snd_cwnd) X(tcpi_advmss)                   \
	X(tcpi_reordering) X(tcpi_rcv_rtt) X(tcpi_rcv_space)                   \
	X(tcpi_total_retrans) X(tcpi_pacing_rate) X(tcpi_max_pacing_rate)      \
	X(tcpi_bytes_acked) X(tcpi_bytes_received) X(tcpi_segs_out)            \
	X(tcpi_segs_in) X(tcpi_notsent_bytes) X(tcpi_min_rtt)                  \
	X(tcpi_data_segs_in) X(tcpi_data_segs_out) X(tcpi_delivery_rate)       \
	X(tcpi_busy_time) X(tcpi_rwnd_limited) X(tcpi_sndbuf_limited)          \
	X(tcpi_delivered) X(tcpi_delivered_ce) X(tcpi_bytes_sent)              \
	X(tcpi_bytes_retrans) X(tcpi_dsack_dups) X(tcpi_reord_seen)            \
	X(tcpi_rcv_ooopack) X(tcpi_snd_wnd)

extern const size_t linux_tcp_info_offsets[];
extern const size_t linux_tcp_info_size;
void linux_tcp_info_bits(uint8_t out[2], unsigned snd_wscale,
			 unsigned rcv_wscale, unsigned app_limited,
			 unsigned fo_fail);

#endif
