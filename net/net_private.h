/*
 * Private to net/: what its files call in one another. Owned by the IPv4
 * stack; the configuration (net/config.c, net/dhcp.c) and the socket
 * layer (net/socket.c, net/unix.c, net/netlink.c) add what they share.
 */
#ifndef NET_NET_PRIVATE_H
#define NET_NET_PRIVATE_H

#include "net/net.h"

/* A UDP datagram to port 68 (the DHCP client) that no socket took: the
 * IPv4 input hands it to net/dhcp.c. p->data is at the UDP payload,
 * p->l3_off and p->l4_off locate the headers; dhcp_input owns p. */
void dhcp_input(struct netdev *dev, struct pkt *p);

/* ---- the configuration (net/config.c, net/dhcp.c) ---- */
/* The loopback interface lo with 127.0.0.1/8 (the IPv4 stack's). */
int net_loopback_init(void);
struct dhcp_lease;
/*
 * Configures dev with a lease (from DHCP, or the command line's --ip as
 * one): address, prefix, gateway, /etc/resolv.conf and /etc/hosts; `how`
 * names its source for --verbose. Unbind removes the address again.
 */
void net_config_bind(struct netdev *dev, const struct dhcp_lease *l,
		     const char *how);
void net_config_unbind(struct netdev *dev);
/*
 * Starts the DHCP client on dev (its own thread, which keeps the lease
 * renewed) and waits up to wait_ns for a lease: 0 once bound, -ETIMEDOUT
 * if none came (the client goes on asking), or an error.
 */
int dhcp_start(struct netdev *dev, uint64_t wait_ns);

#endif
