/*
 * Control messages of virtio-console (see console_ctl.h).
 */
#include "drivers/virtio/console_ctl.h"

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Whether p starts with the 7 characters of w (no libc: pure). */
static int strncmp_7(const char *p, const char *w)
{
	for (int i = 0; i < 7; i++)
		if (p[i] != w[i])
			return 1;
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* PORT_NAME's name: the bytes after the header, up to a NUL if any
 * (QEMU sends one; the standard does not say). */
static bool parse_name(const uint8_t *p, uint32_t n, char *name)
{
	uint32_t k = 0;

	while (k < n && p[k])
		k++;
	if (k == 0 || k > VCON_NAME_MAX)
		return false;
	for (uint32_t i = 0; i < k; i++)
		name[i] = (char)p[i];
	name[k] = '\0';
	return true;
}

bool vcon_ctl_parse(const uint8_t *buf, uint32_t len, uint32_t nports,
		    struct vcon_ctl *out)
{
	struct vcon_ctl m = {0};

	if (len < VCON_CTL_HDR)
		return false;
	m.id = le32(buf);
	m.event = le16(buf + 4);
	m.value = le16(buf + 6);
	if (m.event > VCON_PORT_NAME || m.event == VCON_DEVICE_READY ||
	    m.event == VCON_PORT_READY)
		return false; /* unknown, or only the driver sends it */
	if (m.event != VCON_RESIZE && m.id >= nports)
		return false;
	if (m.event == VCON_RESIZE) {
		if (len < VCON_RESIZE_LEN)
			return false;
		m.cols = le16(buf + VCON_CTL_HDR);
		m.rows = le16(buf + VCON_CTL_HDR + 2);
	}
	if (m.event == VCON_PORT_NAME &&
	    !parse_name(buf + VCON_CTL_HDR, len - VCON_CTL_HDR, m.name))
		return false;
	*out = m;
	return true;
}

int vcon_tty_streams(const char *name)
{
	const char *p = name;
	int streams = VCON_TTY_STDIN;

	for (const char *t = VCON_TTY_NAME; *t; t++, p++)
		if (*p != *t)
			return 0;
	while (*p) {
		if (!strncmp_7(p, "+stdout"))
			streams |= VCON_TTY_STDOUT;
		else if (!strncmp_7(p, "+stderr"))
			streams |= VCON_TTY_STDERR;
		else
			return 0; /* not ours: a plain port */
		p += 7;
	}
	return streams;
}

void vcon_ctl_build(uint8_t *buf, uint32_t id, uint16_t event, uint16_t value)
{
	for (int i = 0; i < 4; i++)
		buf[i] = (uint8_t)(id >> (8 * i));
	buf[4] = (uint8_t)event, buf[5] = (uint8_t)(event >> 8);
	buf[6] = (uint8_t)value, buf[7] = (uint8_t)(value >> 8);
}
