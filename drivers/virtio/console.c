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
 *
 * A port the host left out (its stream was closed, `<&-`) leaves the
 * program's fd closed, as Linux would. Without the device (tools/qemu-run)
 * fds 0-2 are the serial console as before. The fds are character
 * devices /dev/vport0pN that are not terminals (TCGETS: ENOTTY), as a
 * pipe or file would be on the host; a terminal (issue 13, item 2) will
 * put a line discipline in front of the same ports.
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
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"

#define VCON_F_MULTIPORT 1
#define VCON_CFG_MAX_PORTS 4 /* le32 max_nr_ports in the configuration */
#define VCON_PORTS 4	     /* port 0 (unused) and the three streams */
#define VCON_MAJOR 243	     /* Linux gives virtio-ports a dynamic major */
/* Port 2's name when the host's stdout and stderr are one file (a
 * terminal, `>log 2>&1`): fd 2 is then port 2 too, so that the two keep
 * their order, as they would in that file on Linux. */
#define STDOUT_STDERR "org.osprey.stdout+stderr"
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
		break;
	default: /* CONSOLE_PORT, RESIZE: for a terminal, later */
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

static int64_t port_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct vcon_port *p = port_of(f);
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
		if (nonblocking(f) || (r = port_sleep(p)))
			break;
	}
	mutex_unlock(&p->lock);
	return r;
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

static int64_t port_write(struct file *f, const void *buf, size_t n,
			  int64_t *pos)
{
	struct vcon_port *p = port_of(f);
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
		if (nonblocking(f) || (r = port_sleep(p)))
			break;
	}
	mutex_unlock(&p->lock);
	if (!done && r == -EPIPE)
		linux_raise_sigpipe();
	return done ? (int64_t)done : r;
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
static int port_queues(struct vcon *vc, uint32_t id)
{
	struct vcon_port *p = &vc->ports[id];
	bool input = id == 1; /* see the header comment */
	struct virtq *q;

	p->vc = vc;
	p->id = id;
	mutex_init(&p->lock);
	waitq_init(&p->wq);
	q = virtio_setup_queue(vc->d, port_queue(id, !input), vcon_interrupt,
			       0);
	if (!q)
		return -ENOMEM;
	q->priv = vc;
	if (input)
		p->rxq = q;
	else
		p->txq = q;
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

/* The ports present, and port 3 when port 2 stands for it. */
static unsigned ports_present(struct vcon *vc)
{
	unsigned n = 0;

	for (uint32_t i = 1; i < vc->nports; i++)
		n += LOAD(vc->ports[i].present) ||
		     (i == 3 && LOAD(vc->ports[2].with_stderr));
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
	return 0;
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
	return 0;
out_fail:
	kprintf("osprey: virtio %s: virtio-console could not start\n",
		d->where);
	virtio_fail(d);
	return -ENOMEM;
}
