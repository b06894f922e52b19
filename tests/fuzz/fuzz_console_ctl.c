/*
 * Fuzzes virtio-console's control-message decoder
 * (drivers/virtio/console_ctl.c) with whatever a hostile device writes
 * into a control receive buffer: any length up to the buffer's, any
 * bytes. Checked: no read past the message (ASan, on an exact-size copy);
 * an accepted message names a port below the limit (but RESIZE), a known
 * event the device may send, and for PORT_NAME a non-empty name that
 * fits and ends in a NUL; and encoding an accepted header gives the
 * same first 8 bytes back.
 */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/console_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcon_ctl m;
	uint8_t *buf, hdr[VCON_CTL_HDR];
	uint32_t nports = size ? data[0] % 8 : 4;

	if (size > VCON_CTL_BUF + 1)
		return 0;
	size = size ? size - 1 : 0;
	buf = malloc(size ? size : 1);
	memcpy(buf, data + 1 - (size == 0), size);
	if (vcon_ctl_parse(buf, (uint32_t)size, nports, &m)) {
		if (m.event != VCON_RESIZE && m.id >= nports)
			abort();
		if (m.event == VCON_DEVICE_READY ||
		    m.event == VCON_PORT_READY || m.event > VCON_PORT_NAME)
			abort();
		if (m.event == VCON_PORT_NAME &&
		    (!m.name[0] || strlen(m.name) > VCON_NAME_MAX))
			abort();
		if (m.event == VCON_PORT_NAME &&
		    vcon_tty_streams(m.name) > 7)
			abort();
		vcon_ctl_build(hdr, m.id, m.event, m.value);
		if (memcmp(hdr, buf, VCON_CTL_HDR))
			abort();
	}
	free(buf);
	return 0;
}
