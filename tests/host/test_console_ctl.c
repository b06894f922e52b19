/*
 * Host tests for drivers/virtio/console_ctl.c: virtio-console's control
 * messages as QEMU sends them, and the ones a hostile device might.
 */
#include "drivers/virtio/console_ctl.h"
#include "tests/host/check.h"

static uint32_t msg(uint8_t *b, uint32_t id, uint16_t event, uint16_t value,
		    const char *name)
{
	uint32_t n = VCON_CTL_HDR;

	vcon_ctl_build(b, id, event, value);
	if (name) {
		memcpy(b + n, name, strlen(name) + 1);
		n += (uint32_t)strlen(name) + 1;
	}
	return n;
}

static void test_device_add_and_open(void)
{
	uint8_t b[VCON_CTL_BUF];
	struct vcon_ctl m;

	CHECK(vcon_ctl_parse(b, msg(b, 2, VCON_DEVICE_ADD, 1, NULL), 4, &m));
	CHECK_EQ(m.id, 2);
	CHECK_EQ(m.event, VCON_DEVICE_ADD);
	CHECK(vcon_ctl_parse(b, msg(b, 3, VCON_PORT_OPEN, 0, NULL), 4, &m));
	CHECK_EQ(m.event, VCON_PORT_OPEN);
	CHECK_EQ(m.value, 0);
}

static void test_port_name(void)
{
	uint8_t b[VCON_CTL_BUF];
	struct vcon_ctl m;
	uint32_t n = msg(b, 1, VCON_PORT_NAME, 1, "org.osprey.stdin");

	CHECK(vcon_ctl_parse(b, n, 4, &m));
	CHECK_STR(m.name, "org.osprey.stdin");
	/* without the NUL: the length ends it */
	CHECK(vcon_ctl_parse(b, n - 1, 4, &m));
	CHECK_STR(m.name, "org.osprey.stdin");
}

static void test_refused(void)
{
	uint8_t b[VCON_CTL_BUF];
	struct vcon_ctl m;
	char longname[VCON_NAME_MAX + 2];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!vcon_ctl_parse(b, msg(b, 1, VCON_DEVICE_ADD, 1, NULL) - 1, 4,
			      &m)); /* short */
	CHECK(!vcon_ctl_parse(b, msg(b, 4, VCON_DEVICE_ADD, 1, NULL), 4, &m));
	CHECK(!vcon_ctl_parse(b, msg(b, 1, 8, 1, NULL), 4, &m)); /* unknown */
	CHECK(!vcon_ctl_parse(b, msg(b, 1, VCON_PORT_READY, 1, NULL), 4, &m));
	CHECK(!vcon_ctl_parse(b, msg(b, 1, VCON_PORT_NAME, 1, NULL), 4, &m));
	CHECK(
	    !vcon_ctl_parse(b, msg(b, 1, VCON_PORT_NAME, 1, longname), 4, &m));
	/* RESIZE without its size */
	CHECK(!vcon_ctl_parse(b, msg(b, 1, VCON_RESIZE, 0, NULL), 4, &m));
}

static void test_resize(void)
{
	uint8_t b[VCON_CTL_BUF];
	struct vcon_ctl m;
	uint32_t n = msg(b, 9, VCON_RESIZE, 0, NULL);

	b[n++] = 132, b[n++] = 0; /* le16 cols, then rows (virtio 5.3.6.2) */
	b[n++] = 0x2c, b[n++] = 1;
	/* RESIZE names the console port, whatever the limit */
	CHECK(vcon_ctl_parse(b, n, 4, &m));
	CHECK_EQ(m.cols, 132);
	CHECK_EQ(m.rows, 300);
}

static void test_tty_name(void)
{
	CHECK_EQ(vcon_tty_streams("org.osprey.tty"), VCON_TTY_STDIN);
	CHECK_EQ(vcon_tty_streams("org.osprey.tty+stdout+stderr"),
		 VCON_TTY_STDIN | VCON_TTY_STDOUT | VCON_TTY_STDERR);
	CHECK_EQ(vcon_tty_streams("org.osprey.tty+stderr"),
		 VCON_TTY_STDIN | VCON_TTY_STDERR);
	CHECK_EQ(vcon_tty_streams("org.osprey.stdin"), 0);
	CHECK_EQ(vcon_tty_streams("org.osprey.tty+std"), 0);
	CHECK_EQ(vcon_tty_streams("org.osprey.ttyx"), 0);
	CHECK_EQ(vcon_tty_streams(""), 0);
}

int main(void)
{
	RUN_TEST(test_device_add_and_open);
	RUN_TEST(test_port_name);
	RUN_TEST(test_refused);
	RUN_TEST(test_resize);
	RUN_TEST(test_tty_name);
	return check_exit();
}
