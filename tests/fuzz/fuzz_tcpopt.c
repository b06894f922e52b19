/*
 * Fuzzes TCP option parsing (net/tcp_opt.c) with arbitrary option areas,
 * and checks that what parses builds back into an area that parses to
 * the same values (the SACK blocks that fit).
 */
#include <stdlib.h>

#include "kernel/kernel.h"
#include "net/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_opts o, back;
	uint8_t area[TCP_OPT_SPACE];
	/* An exact-size copy, so that ASan sees a read past the end. */
	uint8_t *p = malloc(size ? size : 1);

	memcpy(p, data, size);
	int r = tcp_opts_parse(p, size, &o);
	free(p);
	if (r)
		return 0;
	if (o.nsack > TCP_MAX_SACK || o.wscale > TCP_MAX_WSCALE)
		abort();
	size_t n = tcp_opts_build(area, sizeof(area), &o);
	if (n > TCP_OPT_SPACE || n % 4 || tcp_opts_parse(area, n, &back))
		abort();
	if ((back.has & ~TCP_HAS_SACK) != (o.has & ~TCP_HAS_SACK) ||
	    back.mss != o.mss || back.wscale != o.wscale ||
	    back.ts_val != o.ts_val || back.ts_ecr != o.ts_ecr)
		abort();
	return 0;
}
