/*
 * STAND-IN, deleted at merge: dhcp_input belongs to the config helper's
 * net/dhcp.c. Until it lands, a DHCP reply that no socket took is
 * dropped and counted in its interface's rx_dropped.
 */
#include "net/net_private.h"

void dhcp_input(struct netdev *dev, struct pkt *p)
{
	net_drop(dev, p);
}
