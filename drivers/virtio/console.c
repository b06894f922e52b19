/*
 * virtio-console (virtio 1.2, 5.3) with VIRTIO_CONSOLE_F_MULTIPORT: the
 * program's standard streams, apart from the kernel's own messages.
 *
 * Why this design: the serial console carries one byte stream that the
 * kernel shares with the program, one byte per port write (a VM exit
 * each), and no end of file. A virtio-console device gives each stream a
 * port of its own, moves a 64 KiB write in one descriptor and one
 * notification, and says through its control queue when the host side of
 * a port connects or goes away: that is the end of file for standard
 * input and EPIPE for standard output. `osprey run` (tools/osprey/vm.c)
 * adds the device with three ports, each a socket whose other end it
 * copies to and from its own stdin, stdout and stderr:
 *
 *	port 1  stdin   fd 0  (read only; its receive queue)
 *	port 2  stdout  fd 1  (write only; its transmit queue)
 *	port 3  stderr  fd 2
 *	port 4  `osprey run`'s messages (a terminal's size; read only)
 *
 * A port the host left out (its stream was closed, `<&-`) leaves the
 * program's fd closed, as Linux would. Without the device (tools/qemu-run)
 * fds 0-2 are the serial console as before. The fds are character
 * devices /dev/vport0pN that are not terminals (TCGETS: ENOTTY), as a
 * pipe or file would be on the host. When the host's stdin is a
 * terminal, port 1 is the console terminal /dev/hvc0 (see "the console
 * terminal" below) and port 4 carries its size.
 *
 * The handshake (5.3.6.2): after DRIVER_OK the driver sends DEVICE_READY;
 * the device sends DEVICE_ADD for each port; the driver answers
 * PORT_READY and, since the program's fds are open from the start,
 * PORT_OPEN 1; the device sends PORT_OPEN 1 or 0 whenever the host side
 * of a port connects or disconnects. Under QEMU with TCG each notification
 * is handled before the write to the doorbell returns, so the whole
 * exchange is done after a few loops; with KVM's ioeventfd it is not, and
 * the boot waits for it (at most SETTLE_NS).
 *
 * Concurrency: every queue's interrupt only queues the device's deferred
 * work (poll_defer); that runs in a kernel thread, reads the control
 * queue under ctl_lock and notifies every port's waitq. A port's data
 * queue and buffers are under the port's lock, taken by its readers and
 * writers; they look at the used ring themselves. present and host_open
 * are written under ctl_lock and read without it (atomic): the device
 * makes a port's last data used before it sends PORT_OPEN 0, so a reader
 * that sees the port closed looks at the used ring once more before it
 * says end of file. Lock order: a port's lock, then ctl_lock, then a
 * waitq's lock.
 */
#include "drivers/virtio/console_ctl.h"
#include "drivers/virtio/virtio.h"
#include "fs/fs_private.h"
#include "fs/poll.h"
#include "fs/tty.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"

#define VCON_F_MULTIPORT 1
#define VCON_CFG_MAX_PORTS 4 /* le32 max_nr_ports in the configuration */
#define VCON_PORTS 5	     /* port 0 (unused), the streams, control */
#define VCON_CTL_PORT 4	     /* `osprey run`'s messages (a terminal's size) */
#define HVC_MAJOR 229	     /* Linux's /dev/hvc0 */
#define VCON_MAJOR 243	     /* Linux gives virtio-ports a dynamic major */
/* Port 2's name when the host's stdout and stderr are one file (a
 * terminal, `>log 2>&1`): fd 2 is then port 2 too, so that the two keep
 * their order, as they would in that file on Linux. */
#define STDOUT_STDERR "org.osprey.stdout+stderr"
#define TTY_SIZE_NS 1000000000ull /* for the terminal's first size */
#define CTL_RX_BUFS (PAGE_SIZE / VCON_CTL_BUF)
#define CTL_TX_SLOTS 16
#define RX_BUFS 8
#define RX_BUF PAGE_SIZE /* QEMU hands over at most 4 KiB at a time */
#define TX_BUFS 2
#define TX_ORDER 4 /* 64 KiB: a `cat` write in one descriptor */
#define TX_BUF (PAGE_SIZE << TX_ORDER)
#define SETTLE_NS 200000000ull
#define QUIET_NS 2000000ull
#define POLL_NS 10000000ull /* a queue without interrupt: look this often */
/* With interrupts, a look anyway this often: QEMU 7.2's microvm has been
 * seen to leave a used ring past used_event without raising its line
 * (see net.c); a lost interrupt then costs a pause, not a hang. */
#define CHECK_NS 100000000ull

struct vcon;
struct vcon_port {
	/* set at start, then read-only */
	struct vcon *vc;
	uint32_t id;
	struct virtq *rxq, *txq; /* NULL: not this port's direction */
	/* atomic; written under vc->ctl_lock */
	int present;   /* the device added it and we said PORT_READY */
	int host_open; /* the host side is connected */
	/* under vc->ctl_lock: DEVICE_REMOVE came; the port never comes back,
	 * since a reader may still be at its queue */
	bool removed;
	/* atomic; written under vc->ctl_lock: port 2 named STDOUT_STDERR */
	int with_stderr;
	/* atomic; written under vc->ctl_lock: the port has its name; port
	 * 1's TTY_* streams when it is the terminal (TTY_NAME), else 0 */
	int named, tty;
	/* under lock */
	struct mutex lock;
	char *rx_cur; /* the buffer being read, [rx_off, rx_len) unread */
	uint32_t rx_off, rx_len;
	char *tx_free[TX_BUFS]; /* buffers not in flight */
	unsigned ntx_free, ntx; /* of ntx allocated */
	/* readers, writers and pollers */
	struct waitq wq;
};

struct vcon {
	/* set at start, then read-only */
	struct virtio_dev *d;
	uint32_t nports;
	struct virtq *crx, *ctx;
	bool polled; /* some queue has no interrupt */
	struct poll_deferred defer;
	/* under ctl_lock: the control queues and their buffers */
	struct mutex ctl_lock;
	uint8_t *ctl_out;	     /* CTL_TX_SLOTS messages of 8 bytes */
	bool ctl_busy[CTL_TX_SLOTS]; /* slot in flight */
	uint64_t bad_ctl;	     /* messages refused */
	struct vcon_port ports[VCON_PORTS];
	struct con_tty *tty; /* set at boot when port 1 is a terminal */
};

/* The console terminal: port 1 both ways through the line discipline. */
struct con_tty {
	struct tty tty;
	struct vcon *vc; /* read-only */
	int sending;	 /* atomic: the output thread holds unsent bytes */
	/* the control port's thread only: a message being put together */
	uint8_t msg[VCON_RESIZE_LEN];
	unsigned msg_len;
};

static struct vcon *the_vcon; /* set once at boot, then read-only */

static const struct file_ops port_ops;

/* The queue index of port `id`'s receive (tx = false) or transmit queue. */
static unsigned port_queue(uint32_t id, bool tx)
{
	return (id == 0 ? 0 : 2 + 2 * id) + tx;
}

/* ---- the control queues ---- */
static void ctl_post(struct vcon *vc, uint8_t *buf)
{
	struct virtq_buf b = {virt_to_phys(buf), VCON_CTL_BUF, true};

	virtq_add(vc->crx, &b, 1, buf);
}

/* Under ctl_lock: gives back the slots the device has read. */
static void ctl_reclaim(struct vcon *vc)
{
	uint32_t len;
	bool ok;
	uint8_t *slot;

	while ((slot = virtq_get(vc->ctx, &len, &ok)))
		vc->ctl_busy[(slot - vc->ctl_out) / VCON_CTL_HDR] = false;
}

static int free_slot(struct vcon *vc)
{
	for (int i = 0; i < CTL_TX_SLOTS; i++)
		if (!vc->ctl_busy[i])
			return i;
	return -1;
}

/* Under ctl_lock: one message to the device. The device reads them at
 * once under QEMU; a device that keeps all slots 100 ms loses one. */
static void ctl_send(struct vcon *vc, uint32_t id, uint16_t event,
		     uint16_t value)
{
	int slot = -1;
	struct virtq_buf b;

	for (int tries = 0; tries < 1000 && slot < 0; tries++) {
		ctl_reclaim(vc);
		slot = free_slot(vc);
		if (slot < 0)
			thread_sleep_ns(100000);
	}
	if (slot < 0) {
		kprintf("osprey: virtio-console %s: the control queue is "
			"stuck; message %u dropped\n",
			vc->d->where, event);
		return;
	}
	vcon_ctl_build(vc->ctl_out + slot * VCON_CTL_HDR, id, event, value);
	b = (struct virtq_buf){virt_to_phys(vc->ctl_out + slot * VCON_CTL_HDR),
			       VCON_CTL_HDR, false};
	if (virtq_add(vc->ctx, &b, 1, vc->ctl_out + slot * VCON_CTL_HDR))
		return;
	vc->ctl_busy[slot] = true;
	virtq_kick(vc->ctx);
}

static void rx_post(struct vcon_port *p, char *buf)
{
	struct virtq_buf b = {virt_to_phys(buf), RX_BUF, true};

	virtq_add(p->rxq, &b, 1, buf);
}

/* Under ctl_lock: DEVICE_ADD. The receive buffers are given before the
 * port is present: no reader can be at them yet. */
static void port_add(struct vcon *vc, uint32_t id)
{
	struct vcon_port *p = &vc->ports[id];

	if (id == 0 || LOAD(p->present) || p->removed) {
		ctl_send(vc, id, VCON_PORT_READY, id != 0 && !p->removed);
		return;
	}
	for (int i = 0; p->rxq && i < RX_BUFS; i++) {
		char *buf = page_alloc(0);

		if (buf)
			rx_post(p, buf);
	}
	if (p->rxq)
		virtq_kick(p->rxq);
	__atomic_store_n(&p->host_open, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&p->present, 1, __ATOMIC_RELEASE);
	ctl_send(vc, id, VCON_PORT_READY, 1);
	ctl_send(vc, id, VCON_PORT_OPEN, 1);
}

static void con_tty_resize(struct con_tty *ct, const struct vcon_ctl *m)
{
	struct winsize_k ws = {m->rows, m->cols, 0, 0};

	tty_resize(&ct->tty, &ws);
}

static void ctl_handle(struct vcon *vc, const struct vcon_ctl *m)
{
	struct vcon_port *p = &vc->ports[m->id < VCON_PORTS ? m->id : 0];

	switch (m->event) {
	case VCON_DEVICE_ADD:
		port_add(vc, m->id);
		break;
	case VCON_DEVICE_REMOVE:
		__atomic_store_n(&p->host_open, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&p->present, 0, __ATOMIC_RELEASE);
		p->removed = m->id != 0;
		break;
	case VCON_PORT_OPEN:
		__atomic_store_n(&p->host_open, m->value != 0,
				 __ATOMIC_RELEASE);
		break;
	case VCON_PORT_NAME:
		__atomic_store_n(&p->with_stderr,
				 m->id == 2 && !strcmp(m->name, STDOUT_STDERR),
				 __ATOMIC_RELEASE);
		__atomic_store_n(&p->tty, m->id == 1 ? vcon_tty_streams(m->name) : 0,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&p->named, 1, __ATOMIC_RELEASE);
		break;
	case VCON_RESIZE:
		if (vc->tty && m->id == 1)
			con_tty_resize(vc->tty, m);
		break;
	default: /* CONSOLE_PORT: our terminal is named, not a console */
		break;
	}
}

/* Under ctl_lock: handles every message the device has sent; how many. */
static unsigned ctl_drain(struct vcon *vc)
{
	unsigned n = 0;

	do {
		uint32_t len;
		bool ok;
		uint8_t *buf;

		while ((buf = virtq_get(vc->crx, &len, &ok))) {
			struct vcon_ctl m;

			if (ok && vcon_ctl_parse(buf, len, vc->nports, &m))
				ctl_handle(vc, &m);
			else if (vc->bad_ctl++ == 0)
				kprintf("osprey: virtio-console %s: a bad "
					"control message (dropped; counting)\n",
					vc->d->where);
			ctl_post(vc, buf);
			n++;
		}
		if (n)
			virtq_kick(vc->crx);
	} while (virtq_enable_cb(vc->crx));
	return n;
}

static void ctl_service(struct vcon *vc)
{
	mutex_lock(&vc->ctl_lock);
	ctl_drain(vc);
	mutex_unlock(&vc->ctl_lock);
}

/* Thread context, after any queue's interrupt. */
static void vcon_deferred(struct poll_deferred *d)
{
	struct vcon *vc = container_of(d, struct vcon, defer);

	ctl_service(vc);
	for (uint32_t i = 1; i < vc->nports; i++)
		poll_notify(&vc->ports[i].wq, 0);
}

static void vcon_interrupt(struct virtq *q)
{
	struct vcon *vc = q->priv;

	poll_defer(&vc->defer);
}

/* ---- reading and writing a port ---- */
static struct vcon_port *port_of(struct file *f)
{
	uint32_t minor = (uint32_t)(f->inode->rdev & 0xff);

	return &the_vcon->ports[minor < VCON_PORTS ? minor : 0];
}

static bool nonblocking(struct file *f)
{
	return LOAD(f->flags) & O_NONBLOCK;
}

static bool port_up(struct vcon_port *p)
{
	return __atomic_load_n(&p->present, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&p->host_open, __ATOMIC_ACQUIRE);
}

/* Under p->lock: sleeps until a notification, a signal (-ERESTARTSYS)
 * or POLL_NS (a queue without interrupt) or CHECK_NS; after a timeout
 * it reads the control queue itself. */
static int port_sleep(struct vcon_port *p)
{
	uint64_t dl =
	    clock_monotonic_ns() + (p->vc->polled ? POLL_NS : CHECK_NS);
	int r = waitq_wait(&p->wq, &p->lock, dl);

	if (r != -ETIMEDOUT)
		return r;
	ctl_service(p->vc);
	return 0;
}

/* Under p->lock: whether a received buffer with data is at hand. */
static bool rx_ready(struct vcon_port *p)
{
	uint32_t len;
	bool ok;
	char *buf;

	while (!p->rx_cur) {
		buf = virtq_get(p->rxq, &len, &ok);
		if (!buf) {
			if (!virtq_enable_cb(p->rxq))
				return false;
			continue;
		}
		if (!ok || !len || len > RX_BUF) {
			rx_post(p, buf);
			virtq_kick(p->rxq);
			continue;
		}
		p->rx_cur = buf, p->rx_off = 0, p->rx_len = len;
	}
	return true;
}

static size_t rx_copy(struct vcon_port *p, void *buf, size_t n)
{
	size_t k = MIN(n, (size_t)(p->rx_len - p->rx_off));

	memcpy(buf, p->rx_cur + p->rx_off, k);
	p->rx_off += (uint32_t)k;
	if (p->rx_off == p->rx_len) {
		rx_post(p, p->rx_cur);
		virtq_kick(p->rxq);
		p->rx_cur = NULL;
	}
	return k;
}

/* Up to n bytes from port p; 0 at its end. */
static int64_t port_recv(struct vcon_port *p, void *buf, size_t n,
			 bool nonblock)
{
	int64_t r = 0;

	if (!n)
		return 0;
	if (!p->rxq)
		return -EINVAL; /* Linux: a port opened for what it lacks */
	mutex_lock(&p->lock);
	for (;;) {
		if (rx_ready(p)) {
			r = (int64_t)rx_copy(p, buf, n);
			break;
		}
		/* closed: the data used before the news is read first */
		if (!port_up(p) && !rx_ready(p)) {
			r = 0;
			break;
		}
		if (!port_up(p))
			continue;
		r = -EAGAIN;
		if (nonblock || (r = port_sleep(p)))
			break;
	}
	mutex_unlock(&p->lock);
	return r;
}

static int64_t port_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return port_recv(port_of(f), buf, n, nonblocking(f));
}

/* Under p->lock: takes back what the device has sent; whether a buffer
 * is free (or may be made). */
static bool tx_reclaim(struct vcon_port *p)
{
	uint32_t len;
	bool ok;
	char *buf;

	while ((buf = virtq_get(p->txq, &len, &ok)))
		p->tx_free[p->ntx_free++] = buf;
	return p->ntx_free || p->ntx < TX_BUFS;
}

/* tx_reclaim, and when there is no room the interrupt that says there
 * is: asked for only then, since QEMU takes a buffer before the kick
 * returns and an interrupt for each would be wasted. */
static bool tx_room(struct vcon_port *p)
{
	while (!tx_reclaim(p))
		if (!virtq_enable_cb(p->txq))
			return false;
	return true;
}

/* Under p->lock, tx_room true: one buffer of up to TX_BUF bytes to the
 * device; the bytes taken or -ENOMEM. */
static int64_t tx_send(struct vcon_port *p, const char *buf, size_t n)
{
	size_t k = MIN(n, (size_t)TX_BUF);
	struct virtq_buf b;
	char *out;

	if (!p->ntx_free) {
		out = page_alloc(TX_ORDER);
		if (!out)
			return -ENOMEM;
		p->ntx++;
	} else {
		out = p->tx_free[--p->ntx_free];
	}
	memcpy(out, buf, k);
	b = (struct virtq_buf){virt_to_phys(out), (uint32_t)k, false};
	if (virtq_add(p->txq, &b, 1, out)) {
		p->tx_free[p->ntx_free++] = out;
		return -EIO; /* the queue is broken */
	}
	virtq_kick(p->txq);
	return (int64_t)k;
}

/* n bytes to port p; -EPIPE once the host side closed it. */
static int64_t port_send(struct vcon_port *p, const void *buf, size_t n,
			 bool nonblock)
{
	size_t done = 0;
	int64_t r = 0;

	if (!p->txq)
		return -EINVAL;
	mutex_lock(&p->lock);
	while (done < n) {
		if (!port_up(p)) {
			r = -EPIPE; /* Linux: the host closed the port */
			break;
		}
		if (tx_room(p)) {
			r = tx_send(p, (const char *)buf + done, n - done);
			if (r < 0)
				break;
			done += (size_t)r;
			continue;
		}
		r = -EAGAIN;
		if (nonblock || (r = port_sleep(p)))
			break;
	}
	mutex_unlock(&p->lock);
	return done ? (int64_t)done : r;
}

static int64_t port_write(struct file *f, const void *buf, size_t n,
			  int64_t *pos)
{
	int64_t r = port_send(port_of(f), buf, n, nonblocking(f));

	if (r == -EPIPE)
		linux_raise_sigpipe();
	return r;
}

/* As Linux's virtio_console: readable with data or at the end, writable
 * when a write would not block, HUP once the host side is gone. */
static unsigned port_poll(struct file *f, struct poll_table *pt)
{
	struct vcon_port *p = port_of(f);
	unsigned mask = 0;

	poll_wait(f, &p->wq, pt);
	mutex_lock(&p->lock);
	if (p->rxq && (rx_ready(p) || !port_up(p)))
		mask |= POLLIN | POLLRDNORM;
	if (p->txq && (!port_up(p) || tx_room(p)))
		mask |= POLLOUT | POLLWRNORM;
	if (!port_up(p))
		mask |= POLLHUP;
	mutex_unlock(&p->lock);
	return mask;
}

static const struct file_ops port_ops = {
    .read = port_read,
    .write = port_write,
    .poll = port_poll,
};

/* ---- the console terminal ---- */
/*
 * When `osprey run`'s stdin is a terminal (in raw mode there), port 1
 * carries it both ways: what the host's keyboard sends comes in on its
 * receive queue and goes through the line discipline (fs/tty.c), and
 * what the line discipline has for the screen (echoes, and what the
 * program writes to /dev/hvc0) goes out on its transmit queue. Three
 * kernel threads do it, so that Ctrl-C reaches a program that is not
 * reading: one copies port 1 into the terminal, one the terminal into
 * port 1, and one reads port 4, on which `osprey run` sends the
 * terminal's size as virtio-console RESIZE messages (virtio 1.2,
 * 5.3.6.2: QEMU 7.2 cannot send them on the control queue, which is
 * also heard). Port 1's end of file is the terminal's hang-up.
 */
static void tty_in_loop(void *arg)
{
	struct con_tty *ct = arg;
	struct vcon_port *p = &ct->vc->ports[1];
	char buf[256];
	int64_t n;

	while ((n = port_recv(p, buf, sizeof(buf), false)) != 0)
		if (n > 0)
			tty_input(&ct->tty, buf, (size_t)n, false);
	tty_hangup(&ct->tty);
	thread_exit();
}

static void tty_out_loop(void *arg)
{
	struct con_tty *ct = arg;
	struct vcon_port *p = &ct->vc->ports[1];
	char buf[1024];
	int64_t n;

	for (;;) {
		n = tty_output(&ct->tty, buf, sizeof(buf), false);
		if (n <= 0)
			continue;
		__atomic_store_n(&ct->sending, 1, __ATOMIC_RELEASE);
		for (int64_t off = 0, k; off < n; off += k) {
			k = port_send(p, buf + off, (size_t)(n - off), false);
			if (k <= 0)
				break; /* the host is gone: dropped */
		}
		__atomic_store_n(&ct->sending, 0, __ATOMIC_RELEASE);
	}
}

/* Takes what port 4 has (waiting unless nonblock); false at its end.
 * A message may come in pieces: they are put together. */
static bool ctl_port_read(struct con_tty *ct, bool nonblock)
{
	struct vcon_port *p = &ct->vc->ports[VCON_CTL_PORT];
	struct vcon_ctl m;
	int64_t n = port_recv(p, ct->msg + ct->msg_len,
			      sizeof(ct->msg) - ct->msg_len, nonblock);

	if (n == 0)
		return false;
	if (n < 0)
		return true;
	ct->msg_len += (unsigned)n;
	if (ct->msg_len < sizeof(ct->msg))
		return true;
	ct->msg_len = 0;
	if (vcon_ctl_parse(ct->msg, sizeof(ct->msg), 0, &m) &&
	    m.event == VCON_RESIZE)
		con_tty_resize(ct, &m);
	else
		kprintf("osprey: virtio-console: a bad message on the "
			"control port (dropped)\n");
	return true;
}

static void tty_ctl_loop(void *arg)
{
	while (ctl_port_read(arg, false))
		;
	thread_exit();
}

/* The size `osprey run` sent before the boot, waited for a while. */
static void first_size(struct con_tty *ct)
{
	uint64_t end = clock_monotonic_ns() + TTY_SIZE_NS;
	struct winsize_k ws0 = ct->tty.ws;

	while (!memcmp(&ct->tty.ws, &ws0, sizeof(ws0)) &&
	       clock_monotonic_ns() < end) {
		ctl_port_read(ct, true);
		thread_sleep_ns(1000000);
	}
}

static bool start_thread(const char *name, void (*fn)(void *), void *arg)
{
	return thread_create(name, fn, arg, 0) != NULL;
}

static void con_tty_start(struct vcon *vc)
{
	struct con_tty *ct = calloc(1, sizeof(*ct));
	bool ctl = LOAD(vc->ports[VCON_CTL_PORT].present);

	if (!ct)
		goto out_fail;
	tty_init(&ct->tty, 24, 80);
	ct->vc = vc;
	if (ctl)
		first_size(ct);
	__atomic_store_n(&vc->tty, ct, __ATOMIC_RELEASE);
	if (!start_thread("tty-in", tty_in_loop, ct) ||
	    !start_thread("tty-out", tty_out_loop, ct) ||
	    (ctl && !start_thread("tty-ctl", tty_ctl_loop, ct)))
		goto out_fail; /* ct stays: threads may hold it */
	return;
out_fail:
	kprintf("osprey: virtio-console: no memory for the terminal\n");
}

static struct tty *hvc_tty(void)
{
	struct con_tty *ct =
	    the_vcon ? __atomic_load_n(&the_vcon->tty, __ATOMIC_ACQUIRE) : NULL;

	return ct ? &ct->tty : NULL;
}

static int hvc_open(struct file *f, int flags)
{
	struct tty *tty = hvc_tty();

	if (!tty)
		return -ENXIO; /* Linux: no console port behind it */
	tty_open_ctty(tty, flags);
	return 0;
}

static int64_t hvc_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return tty_read(hvc_tty(), f, buf, n);
}

static int64_t hvc_write(struct file *f, const void *buf, size_t n,
			 int64_t *pos)
{
	return tty_write(hvc_tty(), f, buf, n);
}

static unsigned hvc_poll(struct file *f, struct poll_table *pt)
{
	return tty_poll(hvc_tty(), f, pt);
}

static int hvc_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	return tty_ioctl(hvc_tty(), cmd, arg);
}

static const struct file_ops hvc_ops = {
    .open = hvc_open,
    .read = hvc_read,
    .write = hvc_write,
    .ioctl = hvc_ioctl,
    .poll = hvc_poll,
};

/* The terminal's screen output sent, waited for at most until `end`. */
static void tty_flush(struct con_tty *ct, uint64_t end)
{
	while (clock_monotonic_ns() < end) {
		mutex_lock(&ct->tty.lock);
		bool idle = !ct->tty.out_len;
		mutex_unlock(&ct->tty.lock);
		if (idle && !__atomic_load_n(&ct->sending, __ATOMIC_ACQUIRE))
			return;
		thread_sleep_ns(200000);
	}
}

/* ---- the program's standard streams ---- */
int virtio_console_stdio(int fd, const char **path)
{
	static const char *const paths[] = {"/dev/vport0p1", "/dev/vport0p2",
					    "/dev/vport0p3"};
	bool any = false;

	if (!the_vcon || fd < 0 || fd > 2)
		return -ENODEV;
	for (uint32_t i = 1; i < the_vcon->nports; i++)
		any |= LOAD(the_vcon->ports[i].present);
	if (!any)
		return -ENODEV; /* the handshake failed: the serial console */
	if (the_vcon->tty && (LOAD(the_vcon->ports[1].tty) & (1 << fd))) {
		*path = "/dev/hvc0";
		return 1;
	}
	if (fd == 2 && !LOAD(the_vcon->ports[3].present) &&
	    LOAD(the_vcon->ports[2].with_stderr))
		fd = 1;
	*path = paths[fd];
	return LOAD(the_vcon->ports[fd + 1].present) ? 0 : -EBADF;
}

/* How many of p's buffers the device has not taken yet. */
static unsigned tx_pending(struct vcon_port *p)
{
	unsigned pending;

	mutex_lock(&p->lock);
	tx_room(p);
	pending = port_up(p) ? p->ntx - p->ntx_free : 0;
	mutex_unlock(&p->lock);
	return pending;
}

/* A slow reader on the host is waited for as long as it keeps reading,
 * as Linux's exit waits for nothing but a write did wait for room. */
void virtio_console_flush(uint64_t idle_ns)
{
	if (!the_vcon)
		return;
	if (the_vcon->tty)
		tty_flush(the_vcon->tty, clock_monotonic_ns() + idle_ns);
	for (uint32_t i = 1; i < the_vcon->nports; i++) {
		struct vcon_port *p = &the_vcon->ports[i];
		uint64_t end = clock_monotonic_ns() + idle_ns;
		unsigned n, last = ~0u;

		while (p->txq && (n = tx_pending(p)) &&
		       clock_monotonic_ns() < end) {
			if (n < last)
				end = clock_monotonic_ns() + idle_ns;
			last = n;
			thread_sleep_ns(200000);
		}
	}
}

/* The NMI state dump: reads only, no locks. */
static void vcon_dump(void)
{
	struct vcon *vc = the_vcon;

	kprintf("virtio-console %s: %lu bad control messages\n", vc->d->where,
		LOAD(vc->bad_ctl));
	virtq_dump(vc->crx, "control rx");
	for (uint32_t id = 1; id < vc->nports; id++) {
		struct vcon_port *p = &vc->ports[id];

		kprintf("  port %u: %s, host side %s, %u of %u tx buffers "
			"free\n",
			id, LOAD(p->present) ? "present" : "absent",
			LOAD(p->host_open) ? "open" : "closed", p->ntx_free,
			p->ntx);
		if (p->rxq)
			virtq_dump(p->rxq, "rx");
		if (p->txq)
			virtq_dump(p->txq, "tx");
	}
}

/* ---- starting ---- */
static struct virtq *port_queue_setup(struct vcon *vc, uint32_t id, bool tx)
{
	struct virtq *q =
	    virtio_setup_queue(vc->d, port_queue(id, tx), vcon_interrupt, 0);

	if (q)
		q->priv = vc;
	return q;
}

/* Port 1 both ways (stdin, or the terminal), 2 and 3 out, 4 in. */
static int port_queues(struct vcon *vc, uint32_t id)
{
	struct vcon_port *p = &vc->ports[id];
	bool in = id == 1 || id == VCON_CTL_PORT, out = id != VCON_CTL_PORT;

	p->vc = vc;
	p->id = id;
	mutex_init(&p->lock);
	waitq_init(&p->wq);
	if (in && !(p->rxq = port_queue_setup(vc, id, false)))
		return -ENOMEM;
	if (out && !(p->txq = port_queue_setup(vc, id, true)))
		return -ENOMEM;
	return 0;
}

static int vcon_queues(struct vcon *vc)
{
	uint8_t *in = page_alloc(0);

	vc->ctl_out = page_alloc(0);
	vc->crx = virtio_setup_queue(vc->d, 2, vcon_interrupt, 0);
	vc->ctx = virtio_setup_queue(vc->d, 3, NULL, 0);
	if (!in || !vc->ctl_out || !vc->crx || !vc->ctx)
		return -ENOMEM;
	vc->crx->priv = vc;
	for (uint32_t id = 1; id < vc->nports; id++)
		if (port_queues(vc, id))
			return -ENOMEM;
	for (unsigned i = 0; i < MIN(CTL_RX_BUFS, (unsigned)vc->crx->size); i++)
		ctl_post(vc, in + i * VCON_CTL_BUF);
	return 0;
}

static const char *present_word(struct vcon *vc, uint32_t id)
{
	if (id == 3 && !LOAD(vc->ports[3].present) &&
	    LOAD(vc->ports[2].with_stderr))
		return "stdout's port";
	return id < vc->nports && LOAD(vc->ports[id].present) ? "a port"
							      : "none";
}

/* Whether port i is present and named, or another stands for it. */
static bool port_settled(struct vcon *vc, uint32_t i)
{
	int tty = LOAD(vc->ports[1].tty);

	if (LOAD(vc->ports[i].present) && LOAD(vc->ports[i].named))
		return true;
	if (i == 2)
		return tty & VCON_TTY_STDOUT;
	if (i == 3)
		return (tty & VCON_TTY_STDERR) || LOAD(vc->ports[2].with_stderr);
	return false;
}

/* The ports settled (see port_settled). */
static unsigned ports_present(struct vcon *vc)
{
	unsigned n = 0;

	for (uint32_t i = 1; i < vc->nports; i++)
		n += port_settled(vc, i);
	return n;
}

/*
 * Sends DEVICE_READY and waits until the ports are added: all of them,
 * or some and then QUIET_NS without news (a device that handles the
 * control queue in another thread adds them one by one), or SETTLE_NS.
 */
static void vcon_settle(struct vcon *vc)
{
	uint64_t now = clock_monotonic_ns(), last = now + SETTLE_NS, end = last;

	mutex_lock(&vc->ctl_lock);
	virtq_kick(vc->crx); /* the receive buffers vcon_queues gave */
	ctl_send(vc, ~0u, VCON_DEVICE_READY, 1);
	for (;;) {
		if (ctl_drain(vc) && ports_present(vc))
			end = MIN(last, now + QUIET_NS);
		if (ports_present(vc) + 1 >= vc->nports || now >= end)
			break;
		thread_sleep_ns(100000);
		now = clock_monotonic_ns();
	}
	mutex_unlock(&vc->ctl_lock);
	if (boot_options.verbose)
		kprintf("osprey: virtio-console %s: %u ports, stdin %s, stdout "
			"%s, stderr %s\n",
			vc->d->where, vc->nports, present_word(vc, 1),
			present_word(vc, 2), present_word(vc, 3));
}

static int make_nodes(struct vcon *vc)
{
	char name[16];

	for (uint32_t id = 1; id < vc->nports; id++) {
		snprintf(name, sizeof(name), "vport0p%u", id);
		if (devfs_add(name, VCON_MAJOR, id, 0600, &port_ops))
			return -ENOMEM;
	}
	return devfs_add("hvc0", HVC_MAJOR, 0, 0620, &hvc_ops) ? -ENOMEM : 0;
}

static void vcon_setup(struct vcon *vc, struct virtio_dev *d)
{
	uint32_t max = 0;

	vc->d = d;
	mutex_init(&vc->ctl_lock);
	vc->defer.fn = vcon_deferred;
	virtio_config_read(d, VCON_CFG_MAX_PORTS, &max, sizeof(max));
	vc->nports = MIN(max, (uint32_t)VCON_PORTS);
}

static bool any_polled(struct vcon *vc)
{
	bool polled = !vc->crx->irq;

	for (uint32_t id = 1; id < vc->nports; id++) {
		struct vcon_port *p = &vc->ports[id];

		polled |= (p->rxq && !p->rxq->irq) || (p->txq && !p->txq->irq);
	}
	return polled;
}

int virtio_console_start(struct virtio_dev *d)
{
	struct vcon *vc;

	if (the_vcon) {
		kprintf("osprey: virtio %s: a second virtio-console is not "
			"used\n",
			d->where);
		return 0;
	}
	if (virtio_negotiate(d, VIRTIO_BIT(VCON_F_MULTIPORT), NULL))
		return -ENODEV;
	if (!virtio_has(d, VCON_F_MULTIPORT)) {
		kprintf("osprey: virtio %s: virtio-console without "
			"MULTIPORT is not used\n",
			d->where);
		virtio_fail(d);
		return -ENODEV;
	}
	vc = calloc(1, sizeof(*vc));
	if (!vc)
		goto out_fail;
	vcon_setup(vc, d);
	if (vcon_queues(vc) || virtio_ready(d) || make_nodes(vc) ||
	    poll_defer_start())
		goto out_fail; /* vc leaks: the device may hold its rings */
	vc->polled = any_polled(vc);
	the_vcon = vc;
	sched_add_dump_hook(vcon_dump);
	vcon_settle(vc);
	if (LOAD(vc->ports[1].present) && LOAD(vc->ports[1].tty))
		con_tty_start(vc);
	return 0;
out_fail:
	kprintf("osprey: virtio %s: virtio-console could not start\n",
		d->where);
	virtio_fail(d);
	return -ENOMEM;
}
