/*
 * Credentials (man 7 credentials, man 7 capabilities): the user and group
 * ids, the supplementary groups and the capability sets of the one
 * process, which starts as root with every capability, and the host and
 * domain names (man 2 sethostname). The set*id calls follow Linux's rules
 * (kernel/sys.c): with CAP_SETUID/CAP_SETGID anything goes, without it
 * only the ids the process already has; and Linux's capability rules on
 * uid changes (security/commoncap.c's cap_emulate_setxuid): leaving uid 0
 * everywhere clears the permitted and effective sets, an effective uid
 * leaving 0 clears the effective set and coming back to 0 restores it.
 *
 * The ids are the process's (Linux keeps them per thread, and glibc makes
 * every thread change them together); they are under cred_lock. What the
 * ids allow is not enforced on files: fs/ treats the process as root.
 */
#include "kernel/sync/sync.h"
#include "linux/sys.h"

#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_SYS_ADMIN 21
#define CAP_LAST_CAP 40
#define CAP_FULL ((2ull << CAP_LAST_CAP) - 1)
#define NGROUPS_MAX 65536
#define LINUX_CAPABILITY_VERSION_1 0x19980330
#define LINUX_CAPABILITY_VERSION_2 0x20071026
#define LINUX_CAPABILITY_VERSION_3 0x20080522
#define UTS_LEN 64

struct cred {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	uint64_t cap_eff, cap_prm, cap_inh;
	uint32_t *groups; /* sorted, as Linux's groups_sort */
	unsigned ngroups;
};

#define LOAD_ID(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static struct mutex cred_lock = MUTEX_INIT;
static struct cred cred = {.cap_eff = CAP_FULL, .cap_prm = CAP_FULL};
static char nodename[UTS_LEN + 1] = "osprey"; /* under cred_lock */
static char domainname[UTS_LEN + 1] = "(none)";

bool cred_capable(int cap)
{
	mutex_lock(&cred_lock);
	bool has = cred.cap_eff & (1ull << cap);
	mutex_unlock(&cred_lock);
	return has;
}

/* ---- the uids ---- */
long sys_getuid(long a, long b, long c, long d, long e, long f)
{
	return LOAD_ID(cred.ruid);
}

long sys_geteuid(long a, long b, long c, long d, long e, long f)
{
	return LOAD_ID(cred.euid);
}

long sys_getgid(long a, long b, long c, long d, long e, long f)
{
	return LOAD_ID(cred.rgid);
}

long sys_getegid(long a, long b, long c, long d, long e, long f)
{
	return LOAD_ID(cred.egid);
}

static long put_three(long ur, long ue, long us, const uint32_t v[3])
{
	if (copy_to_user(ur, &v[0], 4) || copy_to_user(ue, &v[1], 4) ||
	    copy_to_user(us, &v[2], 4))
		return -EFAULT;
	return 0;
}

long sys_getresuid(long r, long e, long s, long d, long e2, long f)
{
	mutex_lock(&cred_lock);
	uint32_t v[3] = {cred.ruid, cred.euid, cred.suid};
	mutex_unlock(&cred_lock);
	return put_three(r, e, s, v);
}

long sys_getresgid(long r, long e, long s, long d, long e2, long f)
{
	mutex_lock(&cred_lock);
	uint32_t v[3] = {cred.rgid, cred.egid, cred.sgid};
	mutex_unlock(&cred_lock);
	return put_three(r, e, s, v);
}

/* Under cred_lock: Linux's capability changes for a uid change. */
static void uid_changed(uint32_t old_r, uint32_t old_e, uint32_t old_s)
{
	bool was_root = !old_r || !old_e || !old_s;

	if (was_root && cred.ruid && cred.euid && cred.suid) {
		cred.cap_prm = 0;
		cred.cap_eff = 0;
	}
	if (!old_e && cred.euid)
		cred.cap_eff = 0;
	if (old_e && !cred.euid)
		cred.cap_eff = cred.cap_prm;
}

/* Whether id is one of the three (or -1, "unchanged"). */
static bool one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == (uint32_t)-1 || id == a || id == b || id == c;
}

/* Under cred_lock: the new ids, -1 keeping one; EPERM without the
 * capability for an id the process does not have. */
static long set_ids(uint32_t *ids, const uint32_t *want, int cap)
{
	bool priv = cred.cap_eff & (1ull << cap);

	for (int i = 0; i < 3; i++)
		if (!priv && !one_of(want[i], ids[0], ids[1], ids[2]))
			return -EPERM;
	for (int i = 0; i < 3; i++)
		if (want[i] != (uint32_t)-1)
			ids[i] = want[i];
	ids[3] = ids[1]; /* the file-system id follows the effective one */
	return 0;
}

static long setres_uid(uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t want[3] = {r, e, s}, ids[4];
	long err;

	mutex_lock(&cred_lock);
	uint32_t o_r = cred.ruid, o_e = cred.euid, o_s = cred.suid;
	memcpy(ids, &cred.ruid, sizeof(ids));
	err = set_ids(ids, want, CAP_SETUID);
	if (!err) {
		memcpy(&cred.ruid, ids, sizeof(ids));
		uid_changed(o_r, o_e, o_s);
	}
	mutex_unlock(&cred_lock);
	return err;
}

static long setres_gid(uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t want[3] = {r, e, s}, ids[4];
	long err;

	mutex_lock(&cred_lock);
	memcpy(ids, &cred.rgid, sizeof(ids));
	err = set_ids(ids, want, CAP_SETGID);
	if (!err)
		memcpy(&cred.rgid, ids, sizeof(ids));
	mutex_unlock(&cred_lock);
	return err;
}

long sys_setresuid(long r, long e, long s, long d, long e2, long f)
{
	return setres_uid((uint32_t)r, (uint32_t)e, (uint32_t)s);
}

long sys_setresgid(long r, long e, long s, long d, long e2, long f)
{
	return setres_gid((uint32_t)r, (uint32_t)e, (uint32_t)s);
}

/*
 * setreuid: without the capability the real id may become the effective
 * one, the effective one the real or saved; the saved id follows the new
 * effective one when the real one is set or the effective one changes to
 * other than the old real one (kernel/sys.c).
 */
static void re_rules(uint32_t r, uint32_t e, const uint32_t *ids, bool priv,
		     uint32_t want[3], long *err)
{
	*err = 0;
	if (!priv && r != (uint32_t)-1 && r != ids[0] && r != ids[1])
		*err = -EPERM;
	if (!priv && !one_of(e, ids[0], ids[1], ids[2]))
		*err = -EPERM;
	want[0] = r;
	want[1] = e;
	want[2] = (uint32_t)-1;
	if (r != (uint32_t)-1 || (e != (uint32_t)-1 && e != ids[0]))
		want[2] = e != (uint32_t)-1 ? e : ids[1];
}

long sys_setreuid(long r, long e, long c, long d, long e2, long f)
{
	uint32_t want[3];
	long err;

	mutex_lock(&cred_lock);
	re_rules((uint32_t)r, (uint32_t)e, &cred.ruid,
		 cred.cap_eff & (1ull << CAP_SETUID), want, &err);
	mutex_unlock(&cred_lock);
	return err ? err : setres_uid(want[0], want[1], want[2]);
}

long sys_setregid(long r, long e, long c, long d, long e2, long f)
{
	uint32_t want[3];
	long err;

	mutex_lock(&cred_lock);
	re_rules((uint32_t)r, (uint32_t)e, &cred.rgid,
		 cred.cap_eff & (1ull << CAP_SETGID), want, &err);
	mutex_unlock(&cred_lock);
	return err ? err : setres_gid(want[0], want[1], want[2]);
}

/* setuid: with the capability all three ids, else only the effective
 * one, to the real or saved id. */
long sys_setuid(long uid, long b, long c, long d, long e, long f)
{
	uint32_t id = (uint32_t)uid;

	if (id == (uint32_t)-1)
		return -EINVAL;
	if (cred_capable(CAP_SETUID))
		return setres_uid(id, id, id);
	if (id != LOAD_ID(cred.ruid) && id != LOAD_ID(cred.suid))
		return -EPERM; /* the real or saved id only */
	return setres_uid((uint32_t)-1, id, (uint32_t)-1);
}

long sys_setgid(long gid, long b, long c, long d, long e, long f)
{
	uint32_t id = (uint32_t)gid;

	if (id == (uint32_t)-1)
		return -EINVAL;
	if (cred_capable(CAP_SETGID))
		return setres_gid(id, id, id);
	if (id != LOAD_ID(cred.rgid) && id != LOAD_ID(cred.sgid))
		return -EPERM;
	return setres_gid((uint32_t)-1, id, (uint32_t)-1);
}

/* setfsuid/setfsgid: the old id whatever happens (man 2 setfsuid); the
 * new one is taken with the capability, or if it is one of the ids the
 * process has. ids: the real, effective, saved and file-system ids. */
static long set_fs(uint32_t *ids, uint32_t id, int cap)
{
	mutex_lock(&cred_lock);
	uint32_t old = ids[3];
	bool priv = cred.cap_eff & (1ull << cap);
	if (id != (uint32_t)-1 &&
	    (priv || id == ids[3] || one_of(id, ids[0], ids[1], ids[2])))
		ids[3] = id;
	mutex_unlock(&cred_lock);
	return old;
}

long sys_setfsuid(long uid, long b, long c, long d, long e, long f)
{
	return set_fs(&cred.ruid, (uint32_t)uid, CAP_SETUID);
}

long sys_setfsgid(long gid, long b, long c, long d, long e, long f)
{
	return set_fs(&cred.rgid, (uint32_t)gid, CAP_SETGID);
}

/* ---- supplementary groups ---- */
long sys_getgroups(long size, long list, long c, long d, long e, long f)
{
	long r;

	if ((int)size < 0)
		return -EINVAL;
	mutex_lock(&cred_lock);
	r = cred.ngroups;
	if (size && (unsigned)size < cred.ngroups)
		r = -EINVAL;
	else if (size && cred.ngroups &&
		 copy_to_user(list, cred.groups, cred.ngroups * 4))
		r = -EFAULT;
	mutex_unlock(&cred_lock);
	return r;
}

static int cmp_gid(const uint32_t *a, const uint32_t *b)
{
	return *a < *b ? -1 : *a > *b;
}

static void sort_gids(uint32_t *g, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j && cmp_gid(&g[j - 1], &g[j]) > 0; j--) {
			uint32_t t = g[j];
			g[j] = g[j - 1];
			g[j - 1] = t;
		}
}

long sys_setgroups(long size, long list, long c, long d, long e, long f)
{
	uint32_t *g = NULL;

	if ((unsigned long)size > NGROUPS_MAX)
		return -EINVAL;
	if (!cred_capable(CAP_SETGID))
		return -EPERM;
	if (size && !(g = malloc((size_t)size * 4)))
		return -ENOMEM;
	if (size && copy_from_user(g, list, (size_t)size * 4)) {
		free(g);
		return -EFAULT;
	}
	sort_gids(g, (unsigned)size);
	mutex_lock(&cred_lock);
	uint32_t *old = cred.groups;
	cred.groups = g;
	cred.ngroups = (unsigned)size;
	mutex_unlock(&cred_lock);
	free(old);
	return 0;
}

/* ---- capabilities (man 2 capget) ---- */
struct cap_header {
	uint32_t version;
	int32_t pid;
};

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

/* The number of 32-bit sets the version carries; 0: unknown (then the
 * preferred version is written back, as Linux). */
static long cap_version(long uhdr, struct cap_header *h, int *words)
{
	uint32_t v3 = LINUX_CAPABILITY_VERSION_3;

	if (copy_from_user(h, uhdr, sizeof(*h)))
		return -EFAULT;
	*words = h->version == LINUX_CAPABILITY_VERSION_1 ? 1
		 : h->version == LINUX_CAPABILITY_VERSION_2 ||
			 h->version == LINUX_CAPABILITY_VERSION_3
		     ? 2
		     : 0;
	if (*words)
		return 0;
	return copy_to_user(uhdr, &v3, sizeof(v3)) ? -EFAULT : -EINVAL;
}

static long cap_target(int32_t pid)
{
	if (pid < 0)
		return -EINVAL;
	if (!pid || pid == sys_getpid(0, 0, 0, 0, 0, 0))
		return 0;
	return sys_sched_getscheduler(pid, 0, 0, 0, 0, 0) < 0 ? -ESRCH : 0;
}

long sys_capget(long uhdr, long udata, long c, long d, long e, long f)
{
	struct cap_header h;
	struct cap_data out[2];
	int words;
	long r = cap_version(uhdr, &h, &words);

	if (!udata || r)
		return !udata && r == -EINVAL ? 0 : r;
	r = cap_target(h.pid);
	if (r)
		return r;
	mutex_lock(&cred_lock);
	for (int i = 0; i < 2; i++)
		out[i] =
		    (struct cap_data){(uint32_t)(cred.cap_eff >> (32 * i)),
				      (uint32_t)(cred.cap_prm >> (32 * i)),
				      (uint32_t)(cred.cap_inh >> (32 * i))};
	mutex_unlock(&cred_lock);
	return copy_to_user(udata, out, words * sizeof(out[0]));
}

static uint64_t join(const struct cap_data *d, int words, size_t field)
{
	uint64_t v = 0;

	for (int i = 0; i < words; i++)
		v |=
		    (uint64_t) * (const uint32_t *)((const char *)&d[i] + field)
		    << (32 * i);
	return v & CAP_FULL;
}

/* Linux's cap_capset: no new permitted capabilities, effective within
 * permitted, inheritable within the old inheritable and permitted. */
long sys_capset(long uhdr, long udata, long c, long d, long e, long f)
{
	struct cap_header h;
	struct cap_data in[2] = {0};
	int words;
	long r = cap_version(uhdr, &h, &words);

	if (r)
		return r;
	if (h.pid && h.pid != sys_gettid(0, 0, 0, 0, 0, 0))
		return -EPERM;
	if (copy_from_user(in, udata, words * sizeof(in[0])))
		return -EFAULT;
	uint64_t eff = join(in, words, 0), prm = join(in, words, 4),
		 inh = join(in, words, 8);
	mutex_lock(&cred_lock);
	if ((prm & ~cred.cap_prm) || (eff & ~prm) ||
	    (inh & ~(cred.cap_inh | cred.cap_prm)))
		r = -EPERM;
	else
		cred.cap_eff = eff, cred.cap_prm = prm, cred.cap_inh = inh;
	mutex_unlock(&cred_lock);
	return r;
}

/* ---- host and domain names ---- */
static long set_uts(char *dst, long uname, long len)
{
	char tmp[UTS_LEN];

	if (len < 0 || len > UTS_LEN)
		return -EINVAL;
	if (!cred_capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(tmp, uname, (size_t)len))
		return -EFAULT;
	mutex_lock(&cred_lock);
	memcpy(dst, tmp, (size_t)len);
	dst[len] = '\0';
	mutex_unlock(&cred_lock);
	return 0;
}

long sys_sethostname(long name, long len, long c, long d, long e, long f)
{
	return set_uts(nodename, name, len);
}

long sys_setdomainname(long name, long len, long c, long d, long e, long f)
{
	return set_uts(domainname, name, len);
}

void linux_cred_get(struct linux_cred *c)
{
	mutex_lock(&cred_lock);
	memcpy(c->uid, &cred.ruid, sizeof(c->uid));
	memcpy(c->gid, &cred.rgid, sizeof(c->gid));
	c->cap_inh = cred.cap_inh;
	c->cap_prm = cred.cap_prm;
	c->cap_eff = cred.cap_eff;
	c->ngroups = cred.ngroups;
	for (unsigned i = 0; i < cred.ngroups && i < LINUX_CRED_GROUPS; i++)
		c->groups[i] = cred.groups[i];
	mutex_unlock(&cred_lock);
}

void uts_names(char node[65], char domain[65])
{
	mutex_lock(&cred_lock);
	memcpy(node, nodename, sizeof(nodename));
	memcpy(domain, domainname, sizeof(domainname));
	mutex_unlock(&cred_lock);
}
