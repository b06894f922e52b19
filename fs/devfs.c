/*
 * Character devices under /dev, with Linux's numbers (Linux:
 * Documentation/admin-guide/devices.txt): null, zero, full, random,
 * urandom (1:3..1:9), tty (5:0) and console (5:1).
 *
 * random and urandom are one generator: ChaCha20 (RFC 8439 2.3, with a
 * 64-bit block counter) with fast key erasure, as Linux's crng: each
 * request makes a block with the current key, keeps its first half as
 * the next key and hands out the second half and any further blocks, so
 * the output of a request cannot be recovered from a later state. The
 * key is seeded once at boot from RDSEED or RDRAND; a CPU with neither
 * leaves only the TSC, and then the output is predictable (and --verbose
 * says so). It never blocks, as getrandom after the pool is ready.
 *
 * ptmx (5:2) makes pseudo-terminals, whose slaves are /dev/pts/N
 * (136:N): fs/pty.c.
 *
 * tty and console are the serial console: writes go to console_write();
 * reads return end of file, since serial input is a later issue. The
 * terminal settings are kept so that what TCSETS sets TCGETS returns.
 */
#include "arch/x86_64/arch.h"
#include "fs/fs_private.h"
#include "kernel/sched/sched.h"

/* ---- null, zero, full ---- */
static int64_t nothing_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return 0;
}

static int64_t zeros_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	memset(buf, 0, n);
	return n;
}

static int64_t sink_write(struct file *f, const void *buf, size_t n,
			  int64_t *pos)
{
	return n;
}

static int64_t full_write(struct file *f, const void *buf, size_t n,
			  int64_t *pos)
{
	return -ENOSPC;
}

/* Linux: seeking these always succeeds and leaves the position at 0. */
static int64_t zero_llseek(struct file *f, int64_t off, int whence)
{
	return 0;
}

static const struct file_ops null_ops = {
	.read = nothing_read,
	.write = sink_write,
	.llseek = zero_llseek,
};
static const struct file_ops zero_ops = {
	.read = zeros_read,
	.write = sink_write,
	.llseek = zero_llseek,
};
static const struct file_ops full_ops = {
	.read = zeros_read,
	.write = full_write,
	.llseek = zero_llseek,
};

/* ---- random ---- */
#define ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                                         \
	do {                                                                   \
		a += b, d ^= a, d = ROTL(d, 16);                               \
		c += d, b ^= c, b = ROTL(b, 12);                               \
		a += b, d ^= a, d = ROTL(d, 8);                                \
		c += d, b ^= c, b = ROTL(b, 7);                                \
	} while (0)

static void chacha20_block(const uint32_t key[8], uint64_t counter,
			   uint32_t out[16])
{
	uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
	uint32_t *x = out;

	memcpy(&in[4], key, 32);
	in[12] = (uint32_t)counter;
	in[13] = counter >> 32;
	memcpy(x, in, sizeof(in));
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++)
		x[i] += in[i];
}

static struct {
	struct mutex lock;
	uint32_t key[8]; /* under lock */
} crng = {MUTEX_INIT, {0}};

/* Clears secrets in a way the compiler cannot drop. */
static void wipe(void *p, size_t n)
{
	memset(p, 0, n);
	asm volatile("" : : "r"(p) : "memory");
}

void devfs_random_bytes(void *buf, size_t n)
{
	uint32_t key[8], block[16];
	char *out = buf;
	size_t chunk;

	mutex_lock(&crng.lock);
	memcpy(key, crng.key, sizeof(key));
	chacha20_block(key, 0, block);
	memcpy(crng.key, block, sizeof(crng.key));
	mutex_unlock(&crng.lock);
	chunk = MIN(n, (size_t)32);
	memcpy(out, &block[8], chunk);
	out += chunk;
	n -= chunk;
	for (uint64_t ctr = 1; n; ctr++) {
		chacha20_block(key, ctr, block);
		chunk = MIN(n, sizeof(block));
		memcpy(out, block, chunk);
		out += chunk;
		n -= chunk;
	}
	wipe(key, sizeof(key));
	wipe(block, sizeof(block));
}

/* Writes are mixed into the key (credited with nothing), as Linux does. */
static void crng_mix(const void *buf, size_t n)
{
	const uint8_t *p = buf;

	mutex_lock(&crng.lock);
	for (size_t i = 0; i < n; i++)
		((uint8_t *)crng.key)[i % 32] ^= p[i];
	mutex_unlock(&crng.lock);
	if (n) {
		uint8_t scratch[32]; /* stir: the next key depends on all */

		devfs_random_bytes(scratch, sizeof(scratch));
		wipe(scratch, sizeof(scratch));
	}
}

/* Entropy from a device (drivers/virtio/rng.c), mixed in as a write. */
void devfs_random_seed(const void *buf, size_t n)
{
	crng_mix(buf, n);
}

static bool hw_random(uint64_t *v)
{
	bool ok = false;

	for (int i = 0; i < 10 && !ok; i++) {
		if (cpu_features.rdseed)
			asm volatile("rdseed %0; setc %1"
				     : "=r"(*v), "=qm"(ok));
		else if (cpu_features.rdrand)
			asm volatile("rdrand %0; setc %1"
				     : "=r"(*v), "=qm"(ok));
		else
			return false;
	}
	return ok;
}

static void crng_seed(void)
{
	bool hw = true;
	uint64_t v;

	for (int i = 0; i < 8; i++) {
		if (!hw_random(&v))
			hw = false, v = 0;
		v ^= rdtsc() * 0x9e3779b97f4a7c15ull ^ clock_realtime_ns();
		crng.key[i] ^= (uint32_t)v ^ (uint32_t)(v >> 32);
	}
	if (!hw && boot_options.verbose)
		kprintf("osprey: no RDSEED/RDRAND: /dev/urandom is seeded "
			"from the TSC only and is predictable\n");
}

static int64_t random_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	devfs_random_bytes(buf, n);
	return n;
}

static int64_t random_write(struct file *f, const void *buf, size_t n,
			    int64_t *pos)
{
	crng_mix(buf, n);
	return n;
}

static const struct file_ops random_ops = {
	.read = random_read,
	.write = random_write,
	.llseek = zero_llseek,
};

/* ---- the console ---- */
static struct {
	struct mutex lock;
	struct termios_k t; /* under lock */
	struct winsize_k ws;
} tty = {
	MUTEX_INIT,
	TTY_STD_TERMIOS,
	{24, 80, 0, 0},
};

static int64_t tty_write(struct file *f, const void *buf, size_t n,
			 int64_t *pos)
{
	console_write(buf, n);
	return n;
}

static int tty_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	int err = 0;

	mutex_lock(&tty.lock);
	switch (cmd) {
	case TCGETS:
		memcpy(arg, &tty.t, sizeof(tty.t));
		break;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		memcpy(&tty.t, arg, sizeof(tty.t));
		break;
	case TIOCGWINSZ:
		memcpy(arg, &tty.ws, sizeof(tty.ws));
		break;
	case TIOCSWINSZ:
		memcpy(&tty.ws, arg, sizeof(tty.ws));
		break;
	default:
		err = -ENOTTY;
	}
	mutex_unlock(&tty.lock);
	return err;
}

static const struct file_ops tty_ops = {
	.read = nothing_read, /* end of file until serial input exists */
	.write = tty_write,
	.ioctl = tty_ioctl,
};

/* ---- the table ---- */
static const struct chrdev {
	const char *name;
	uint32_t major, minor, mode;
	const struct file_ops *ops;
} devices[] = {
	{"null", 1, 3, 0666, &null_ops},
	{"zero", 1, 5, 0666, &zero_ops},
	{"full", 1, 7, 0666, &full_ops},
	{"random", 1, 8, 0666, &random_ops},
	{"urandom", 1, 9, 0666, &random_ops},
	{"tty", 5, 0, 0666, &tty_ops},
	{"console", 5, 1, 0600, &tty_ops},
	{"ptmx", 5, 2, 0666, &ptmx_ops},
};

/* Links that programs expect; their targets come with /proc/self/fd. */
static const char *const links[][2] = {
	{"/dev/fd", "/proc/self/fd"},
	{"/dev/stdin", "/proc/self/fd/0"},
	{"/dev/stdout", "/proc/self/fd/1"},
	{"/dev/stderr", "/proc/self/fd/2"},
};

/* Drivers' devices (devfs_add, devfs_add_block), found after the
 * table's. */
#define ADDED_MAX 40 /* consoles' ports, disks */
static struct {
	uint64_t rdev;
	uint32_t type; /* S_IFCHR or S_IFBLK */
	const struct file_ops *ops;
} added[ADDED_MAX];
static unsigned nadded; /* atomic; entries below it are complete */

static const struct file_ops *added_find(uint64_t rdev, uint32_t type)
{
	unsigned n = __atomic_load_n(&nadded, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++)
		if (added[i].rdev == rdev && added[i].type == type)
			return added[i].ops;
	return NULL;
}

const struct file_ops *chrdev_find(uint64_t rdev)
{
	if (pty_is_slave(rdev))
		return &pts_ops;
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
		if (fs_makedev(devices[i].major, devices[i].minor) == rdev)
			return devices[i].ops;
	return added_find(rdev, S_IFCHR);
}

const struct file_ops *blkdev_find(uint64_t rdev)
{
	return added_find(rdev, S_IFBLK);
}

/* At boot, from the driver's init step: one adder at a time. */
static int add(const char *name, uint32_t type, uint32_t major,
	       uint32_t minor, uint32_t mode, const struct file_ops *ops)
{
	char path[32];
	uint64_t rdev = fs_makedev(major, minor);
	int err;

	if (nadded == ADDED_MAX)
		return -ENOMEM;
	added[nadded].rdev = rdev;
	added[nadded].type = type;
	added[nadded].ops = ops;
	__atomic_store_n(&nadded, nadded + 1, __ATOMIC_RELEASE);
	snprintf(path, sizeof(path), "/dev/%s", name);
	err = vfs_mknodat(NULL, path, type, rdev);
	if (!err)
		err = vfs_chmodat(NULL, path, mode, 0);
	return err;
}

int devfs_add(const char *name, uint32_t major, uint32_t minor,
	      uint32_t mode, const struct file_ops *ops)
{
	return add(name, S_IFCHR, major, minor, mode, ops);
}

int devfs_add_block(const char *name, uint32_t major, uint32_t minor,
		    uint32_t mode, const struct file_ops *ops)
{
	return add(name, S_IFBLK, major, minor, mode, ops);
}

/* /dev is a devtmpfs (a ramfs instance) and /dev/pts a devpts, each a
 * mount of its own with Linux's usual device numbers. */
static int mount_ramfs(const char *type, uint32_t minor, const char *path)
{
	struct super_block *sb = ramfs_mount(type, type, fs_makedev(0, minor));

	return sb ? vfs_mount(sb, path, false) : -ENOMEM;
}

static int make_dirs(void)
{
	int err = mount_ramfs("devtmpfs", 5, "/dev");

	if (!err)
		err = vfs_mkdirat(NULL, "/dev/pts", 0755);
	if (!err)
		err = vfs_mkdirat(NULL, "/dev/shm", 0);
	if (!err)
		err = vfs_chmodat(NULL, "/dev/shm", 01777, 0);
	if (!err)
		err = mount_ramfs("devpts", 24, "/dev/pts");
	return err;
}

int devfs_init(void)
{
	char path[32];
	int err = 0;

	crng_seed();
	err = make_dirs();
	for (size_t i = 0; i < ARRAY_SIZE(devices) && !err; i++) {
		const struct chrdev *d = &devices[i];

		snprintf(path, sizeof(path), "/dev/%s", d->name);
		err = vfs_mknodat(NULL, path, S_IFCHR,
				  fs_makedev(d->major, d->minor));
		if (!err)
			err = vfs_chmodat(NULL, path, d->mode, 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(links) && !err; i++)
		err = vfs_symlinkat(links[i][1], NULL, links[i][0]);
	return err;
}
