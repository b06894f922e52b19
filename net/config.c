/*
 * Network configuration at boot (net_start) and whenever a DHCP lease
 * changes: loopback always; then the first Ethernet interface, set from
 * --ip=ADDR/PREFIX[,GATEWAY] (no DHCP at all) or by DHCP, which the boot
 * waits for only a few seconds. What glibc's resolver reads follows the
 * configuration: /etc/resolv.conf (nameservers from --dns or the lease,
 * the lease's domain as the search list), /etc/hosts (localhost and
 * our address with the host name) and, if the image has none,
 * /etc/nsswitch.conf, written into the ramfs through the VFS. Lines of
 * /etc/hosts that the image brought are kept: ours are marked and replaced,
 * theirs stay.
 */
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "net/dhcp.h"
#include "net/net_private.h"

#define DHCP_BOOT_WAIT_NS (5 * 1000000000ull) /* "a few seconds" */
#define HOSTNAME "osprey" /* what uname's nodename says (linux/sys_proc.c) */
#define MARK "# osprey"	  /* ends every line we add to /etc/hosts */
#define HOSTS_MAX (16u << 20) /* a larger /etc/hosts is left alone */

static struct mutex config_lock = MUTEX_INIT; /* the files, the messages */

/* "a.b.c.d" of an address in network order; buf has 16 bytes. */
static const char *ip_str(uint32_t a, char *buf)
{
	const uint8_t *b = (const uint8_t *)&a;

	snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

/* ---- files ---- */

static int write_file(const char *path, const char *text, size_t len)
{
	struct file *f;
	int64_t n;
	int err;

	err = vfs_mkdirat(NULL, "/etc", 0755);
	if (err && err != -EEXIST)
		return err;
	err = vfs_openat(NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
	if (err)
		return err;
	n = vfs_write(f, text, len);
	file_put(f);
	return n < 0 ? (int)n : n == (int64_t)len ? 0 : -EIO;
}

/*
 * The whole of path in a new buffer, its length in *len (an absent file
 * is empty); NULL when memory is short or the file is larger than max.
 */
static char *read_file(const char *path, size_t max, size_t *len)
{
	struct kstat st;
	struct file *f;
	char *buf;
	int64_t n = 1;

	*len = 0;
	if (vfs_openat(NULL, path, O_RDONLY, 0, &f))
		return malloc(1);
	if (vfs_fstat(f, &st) || st.size < 0 || (uint64_t)st.size > max) {
		file_put(f);
		return NULL;
	}
	buf = malloc((size_t)st.size + 1);
	while (buf && *len < (size_t)st.size && n > 0) {
		n = vfs_read(f, buf + *len, (size_t)st.size - *len);
		if (n > 0)
			*len += (size_t)n;
	}
	file_put(f);
	return buf;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* Whether a line of /etc/hosts names localhost (as an alias or name). */
static bool names_localhost(const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && line[i] != '#') {
		size_t start;

		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		start = i;
		while (i < n && line[i] != ' ' && line[i] != '\t' &&
		       line[i] != '#')
			i++;
		if (start > 0 && i - start == 9 &&
		    !memcmp(line + start, "localhost", 9))
			return true;
	}
	return false;
}

/*
 * The image's /etc/hosts (n bytes) without our earlier lines, into out
 * (which has room for n + 1 bytes); whether it already names localhost.
 */
static bool hosts_keep(const char *old, size_t n, char *out, size_t *len)
{
	bool localhost = false;
	const char *end = old + n;

	*len = 0;
	while (old < end) {
		size_t k = 0;

		while (old + k < end && old[k] != '\n')
			k++;
		if (!ends_with(old, k, MARK)) {
			localhost |= names_localhost(old, k);
			memcpy(out + *len, old, k);
			*len += k;
			out[(*len)++] = '\n';
		}
		old += k + 1;
	}
	return localhost;
}

/* /etc/hosts: the image's lines, then localhost (unless it has one) and
 * our address with the host name (addr 0: none yet). */
static int write_hosts(uint32_t addr)
{
	size_t oldlen, len;
	char *old = read_file("/etc/hosts", HOSTS_MAX, &oldlen), *text, a[16];
	int err = -ENOMEM;

	if (!old)
		return -EFBIG; /* or out of memory: the file stays as it is */
	text = malloc(oldlen + 1 + 2 * 64);
	if (!text)
		goto out;
	if (!hosts_keep(old, oldlen, text, &len))
		len += snprintf(text + len, 64,
				"127.0.0.1\tlocalhost\t" MARK "\n");
	if (addr)
		len += snprintf(text + len, 64, "%s\t" HOSTNAME "\t" MARK "\n",
				ip_str(addr, a));
	err = write_file("/etc/hosts", text, len);
out:
	free(old);
	free(text);
	return err;
}

/* /etc/resolv.conf (man 5 resolv.conf), when we know a nameserver. */
static int write_resolv(const uint32_t *dns, unsigned ndns, const char *domain,
			const char *how)
{
	char text[512], a[16];
	size_t len;
	struct kstat st;

	static const char none[] = "# osprey: no nameserver known\n";

	/* No server known: the image's file, if any, stays; else one without
	 * servers, which glibc reads as an absent one (127.0.0.1). */
	if (!ndns && !vfs_statat(NULL, "/etc/resolv.conf", &st, 0))
		return 0;
	if (!ndns)
		return write_file("/etc/resolv.conf", none, sizeof(none) - 1);
	len = snprintf(text, sizeof(text), "# written by osprey (%s)\n", how);
	for (unsigned i = 0; i < ndns && i < DHCP_MAX_DNS; i++)
		len += snprintf(text + len, sizeof(text) - len,
				"nameserver %s\n", ip_str(dns[i], a));
	if (domain[0])
		len += snprintf(text + len, sizeof(text) - len, "search %s\n",
				domain);
	return write_file("/etc/resolv.conf", text, len);
}

/*
 * Without /etc/nsswitch.conf glibc asks DNS before /etc/hosts ("dns
 * [!UNAVAIL=return] files"), so "localhost" would wait on a nameserver;
 * an image without one gets Debian's order.
 */
static int write_nsswitch(void)
{
	static const char text[] = "# written by osprey\n"
				   "passwd: files\ngroup: files\n"
				   "shadow: files\nhosts: files dns\n"
				   "networks: files\nprotocols: files\n"
				   "services: files\n";
	struct kstat st;

	if (!vfs_statat(NULL, "/etc/nsswitch.conf", &st, 0))
		return 0;
	return write_file("/etc/nsswitch.conf", text, sizeof(text) - 1);
}

/* ---- configuring ---- */

static void print_config(const struct netdev *dev, const struct dhcp_lease *l,
			 const uint32_t *dns, unsigned ndns, const char *how)
{
	char line[512], a[16]; /* room for all: a domain is 253 at most */
	size_t len;

	len = snprintf(line, sizeof(line), "osprey: %s %s/%d", dev->name,
		       ip_str(l->addr, a), dhcp_mask_prefix(l->mask));
	if (l->router)
		len += snprintf(line + len, sizeof(line) - len, " gw %s",
				ip_str(l->router, a));
	for (unsigned i = 0; i < ndns; i++)
		len += snprintf(line + len, sizeof(line) - len, "%s%s",
				i ? "," : " dns ", ip_str(dns[i], a));
	if (l->domain[0])
		len += snprintf(line + len, sizeof(line) - len, " domain %s",
				l->domain);
	if (l->lease_s && l->lease_s != DHCP_LEASE_INFINITE)
		snprintf(line + len, sizeof(line) - len, " (%s, lease %u s)",
			 how, l->lease_s);
	else
		snprintf(line + len, sizeof(line) - len, " (%s)", how);
	kprintf("%s\n", line);
}

/* Under config_lock: the address and the default route (a lease
 * without a router takes away one an earlier lease gave). */
static int set_routing(struct netdev *dev, const struct dhcp_lease *l)
{
	char a[16];
	int err = net_if_set_addr(dev, l->addr, dhcp_mask_prefix(l->mask));

	if (err) {
		kprintf("osprey: %s: cannot set address %s: %d\n", dev->name,
			ip_str(l->addr, a), err);
		return err;
	}
	if (l->router || net_gateway())
		err = net_set_gateway(l->router);
	if (err)
		kprintf("osprey: %s: cannot use gateway %s: %d\n", dev->name,
			ip_str(l->router, a), err);
	return 0;
}

void net_config_bind(struct netdev *dev, const struct dhcp_lease *l,
		     const char *how)
{
	/* --dns wins over the lease's servers */
	const uint32_t *dns = boot_options.ndns ? boot_options.dns : l->dns;
	unsigned ndns = boot_options.ndns ? boot_options.ndns : l->ndns;
	int err;

	ndns = MIN(ndns, DHCP_MAX_DNS);
	mutex_lock(&config_lock);
	if (set_routing(dev, l))
		goto out;
	if ((err = write_resolv(dns, ndns, l->domain, how)))
		kprintf("osprey: cannot write /etc/resolv.conf: %d\n", err);
	if ((err = write_hosts(l->addr)))
		kprintf("osprey: cannot write /etc/hosts: %d\n", err);
	if (boot_options.verbose)
		print_config(dev, l, dns, ndns, how);
out:
	mutex_unlock(&config_lock);
}

void net_config_unbind(struct netdev *dev)
{
	mutex_lock(&config_lock);
	if (net_gateway())
		net_set_gateway(0);
	net_if_set_addr(dev, 0, 0);
	write_hosts(0);
	if (boot_options.verbose)
		kprintf("osprey: %s: the DHCP lease ended\n", dev->name);
	mutex_unlock(&config_lock);
}

/* eth0, else the first interface that is not a loopback one. */
static struct netdev *first_ethernet(void)
{
	struct netdev *d = netdev_by_name("eth0");

	for (d = d ? d : netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE))
		if (!(__atomic_load_n(&d->flags, __ATOMIC_RELAXED) &
		      IFF_LOOPBACK))
			return d;
	return NULL;
}

/* --ip=ADDR/PREFIX[,GATEWAY] as a lease that never ends. */
static void config_static(struct netdev *dev)
{
	struct dhcp_lease l = {
	    .addr = boot_options.ip,
	    .mask = dhcp_prefix_mask(boot_options.prefix),
	    .router = boot_options.gateway,
	    .lease_s = DHCP_LEASE_INFINITE,
	};

	net_config_bind(dev, &l, "static");
}

static void config_dhcp(struct netdev *dev)
{
	int err = dhcp_start(dev, DHCP_BOOT_WAIT_NS);

	if (err == -ETIMEDOUT && !boot_options.quiet)
		kprintf("osprey: %s: no DHCP answer in %llu s; going on with "
			"loopback only (still asking)\n",
			dev->name, DHCP_BOOT_WAIT_NS / 1000000000);
	else if (err && err != -ETIMEDOUT)
		kprintf("osprey: %s: cannot start DHCP: %d\n", dev->name, err);
}

int net_start(void)
{
	struct netdev *dev;
	int err = net_loopback_init();

	if (err)
		return err;
	mutex_lock(&config_lock);
	if ((err = write_hosts(0)))
		kprintf("osprey: cannot write /etc/hosts: %d\n", err);
	if ((err = write_resolv(boot_options.dns, boot_options.ndns, "",
				"--dns")))
		kprintf("osprey: cannot write /etc/resolv.conf: %d\n", err);
	if ((err = write_nsswitch()))
		kprintf("osprey: cannot write /etc/nsswitch.conf: %d\n", err);
	mutex_unlock(&config_lock);
	dev = first_ethernet();
	if (!dev) {
		if (boot_options.ip && !boot_options.quiet)
			kprintf("osprey: --ip: there is no network interface; "
				"loopback only\n");
		else if (boot_options.verbose)
			kprintf(
			    "osprey: no network interface; loopback only\n");
		return 0;
	}
	if (boot_options.ip)
		config_static(dev);
	else
		config_dhcp(dev);
	return 0;
}
