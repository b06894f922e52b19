/*
 * virtio-console's control messages (virtio 1.2, 5.3.6.2) with
 * VIRTIO_CONSOLE_F_MULTIPORT: each is a little-endian header (port id,
 * event, value), PORT_NAME followed by the name, RESIZE by the console's
 * size (le16 cols, le16 rows). Pure: no kernel
 * headers, so the host test and the fuzz target build it as is.
 *
 * The device is not trusted: a message shorter than its header, an id
 * past the ports we drive, an unknown event or a name that does not fit
 * is refused whole by vcon_ctl_parse, never half believed.
 */
#ifndef DRIVERS_VIRTIO_CONSOLE_CTL_H
#define DRIVERS_VIRTIO_CONSOLE_CTL_H

#include <stdbool.h>
#include <stdint.h>

/* Events (5.3.6.2) */
#define VCON_DEVICE_READY 0
#define VCON_DEVICE_ADD 1
#define VCON_DEVICE_REMOVE 2
#define VCON_PORT_READY 3
#define VCON_CONSOLE_PORT 4
#define VCON_RESIZE 5
#define VCON_PORT_OPEN 6
#define VCON_PORT_NAME 7

#define VCON_CTL_HDR 8	 /* le32 id, le16 event, le16 value */
#define VCON_RESIZE_LEN 12 /* the header and cols, rows */
#define VCON_NAME_MAX 63 /* the longest port name we keep */
#define VCON_CTL_BUF 128 /* a control receive buffer */

struct vcon_ctl {
	uint32_t id;
	uint16_t event, value;
	uint16_t cols, rows;	      /* RESIZE: struct virtio_console_resize */
	char name[VCON_NAME_MAX + 1]; /* PORT_NAME: NUL-terminated */
};

/* Decodes the `len` bytes the device wrote into buf for ports below
 * `nports`; false (and *out untouched in part) when the message is
 * malformed. */
bool vcon_ctl_parse(const uint8_t *buf, uint32_t len, uint32_t nports,
		    struct vcon_ctl *out);
/*
 * `osprey run`'s name for port 1 when its stdin is a terminal:
 * "org.osprey.tty", then "+stdout" and "+stderr" for the streams that
 * are the same terminal. The VCON_TTY_* streams the name gives, or 0
 * when it is not such a name.
 */
#define VCON_TTY_NAME "org.osprey.tty"
#define VCON_TTY_STDIN 1
#define VCON_TTY_STDOUT 2
#define VCON_TTY_STDERR 4
int vcon_tty_streams(const char *name);
/* Encodes a message to the device into buf[VCON_CTL_HDR]. */
void vcon_ctl_build(uint8_t *buf, uint32_t id, uint16_t event, uint16_t value);

#endif
