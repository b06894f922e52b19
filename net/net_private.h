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

#endif
