/*
 * Host folders: `osprey run --share HOSTDIR:GUESTDIR[:ro]` exports a
 * host directory to the guest over virtio-9p (QEMU's -fsdev local with
 * security_model=none: the guest sees the host's owners and modes, and
 * its files are made as the user running QEMU), speaking 9P2000.L. Each
 * share gets the mount tag "shareN" and goes to the kernel as
 * --mount=shareN:GUESTDIR:9p[,ro] (fs/9p/vfs.c mounts it at boot,
 * making the directory). With :ro QEMU refuses writes too.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/osprey/osprey.h"

void share_add(struct share_options *o, const char *arg)
{
	char *spec = xstrdup(arg), *colon = strchr(spec, ':'), *ro;
	struct share s = {0};
	struct stat st;

	if (!colon || colon == spec || colon[1] != '/')
		fail(FAIL_USAGE,
		     "--share %s: HOSTDIR:GUESTDIR[:ro], GUESTDIR "
		     "absolute",
		     arg);
	*colon = '\0';
	s.host = spec;
	s.guest = colon + 1;
	if ((ro = strchr(s.guest, ':'))) {
		if (strcmp(ro, ":ro"))
			fail(FAIL_USAGE, "--share %s: unknown option '%s' (ro)",
			     arg, ro + 1);
		*ro = '\0';
		s.ro = true;
	}
	if (strpbrk(s.guest, ", "))
		fail(FAIL_USAGE,
		     "--share %s: GUESTDIR may not hold commas or "
		     "spaces",
		     arg);
	if (stat(s.host, &st) || !S_ISDIR(st.st_mode))
		fail(FAIL_USAGE, "--share %s: %s is not a directory", arg,
		     s.host);
	o->shares = xrealloc(o->shares, (o->n + 1) * sizeof(*o->shares));
	o->shares[o->n++] = s;
}

void share_kernel_options(const struct share_options *o, struct strbuf *sb)
{
	for (size_t k = 0; k < o->n; k++) {
		char *opt =
		    xasprintf(" --mount=share%zu:%s:9p%s", k,
			      o->shares[k].guest, o->shares[k].ro ? ",ro" : "");

		sb_puts(sb, opt);
		free(opt);
	}
}

int share_qemu_args(const struct share_options *o, const char *machine,
		    char **v, int i)
{
	bool mmio = !strcmp(machine, "microvm");
	const char *dev = mmio ? "virtio-9p-device" : "virtio-9p-pci";

	for (size_t k = 0; k < o->n; k++) {
		const struct share *s = &o->shares[k];

		v[i++] = "-fsdev";
		v[i++] = xasprintf("local,id=fs%zu,path=%s,security_model=none"
				   "%s",
				   k, commas_doubled(s->host),
				   s->ro ? ",readonly=on" : "");
		v[i++] = "-device";
		v[i++] =
		    xasprintf("%s,fsdev=fs%zu,mount_tag=share%zu", dev, k, k);
		note("share: %s on %s (%s%s)", s->host, s->guest, dev,
		     s->ro ? ", read-only" : "");
	}
	if (o->n && mmio) {
		v[i++] = "-global";
		v[i++] = "virtio-mmio.force-legacy=false";
	}
	return i;
}
