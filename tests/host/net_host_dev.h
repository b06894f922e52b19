/* The fake interface of net/'s host builds (tests/host/net_host.c). */
#ifndef TESTS_HOST_NET_HOST_DEV_H
#define TESTS_HOST_NET_HOST_DEV_H

#include "net/net_private.h"

#define HOST_MAC ((const uint8_t *)"\x02\x00\x00\x00\x00\x01")
#define PEER_MAC ((const uint8_t *)"\x02\x00\x00\x00\x00\x02")
#define HOST_IP 0x0200000au /* 10.0.0.2, network order */
#define HOST_GW 0x0100000au /* 10.0.0.1 */
#define PEER_IP 0x0500000au /* 10.0.0.5 */
#define HOST_SENT_MAX 256

extern uint64_t host_now_ns;
extern int host_notifications;
extern struct netdev host_eth;
extern struct pkt *host_sent[HOST_SENT_MAX]; /* what host_eth sent */
extern unsigned host_nsent;
extern bool host_keep_sent; /* false: xmit frees (the fuzzer) */
void host_sent_clear(void);
/* A file of `size` bytes for sendfile (one reference; its pages are the
 * bytes' 4 KiB pieces); the references on them not yet put. */
struct file *host_file_new(const void *bytes, size_t size);
extern long host_page_refs;
/* lo, host_eth 10.0.0.2/24 via 10.0.0.1, AF_INET; once. */
void host_net_setup(void);

#endif
