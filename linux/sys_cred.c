/*
 * Credentials (man 7 credentials, man 7 capabilities): the user and group
 * ids, the supplementary groups and the capability sets of each thread,
 * the first of which starts as root with every capability, and the host
 * and domain names (man 2 sethostname). The set*id calls follow Linux's
 * rules (kernel/sys.c): with CAP_SETUID/CAP_SETGID anything goes, without
 * it only the ids the thread already has; and Linux's capability rules on
 * uid changes (security/commoncap.c's cap_emulate_setxuid): leaving uid 0
 * everywhere clears the permitted and effective sets, an effective uid
 * leaving 0 clears the effective set and coming back to 0 restores it.
 *
 * Credentials are per thread, as Linux's task->cred: the raw system calls
 * change the calling thread only, and glibc makes a process's threads
 * change together (setuid() signals every thread with SIGSETXID and each
 * makes the raw call). clone (a thread or a process) starts the child
 * with its creator's; execve keeps them: Osprey honours no set-user-id
 * or set-group-id bit and no file capabilities.
 *
 * Protocol: a struct cred never changes once a thread points at it. Only
 * the thread itself replaces its thread->cred (or its creator, before it
 * starts): it fills a new cred, publishes it with rcu_assign_pointer and
 * drops its reference to the old one. Threads share a cred by reference
 * (clone takes one); the last reference frees it a grace period later
 * (call_rcu), so another thread reading thread->cred inside a read
 * section (kill, /proc, process_vm_readv) sees a whole set that stays
 * alive until the section ends. A thread reads its own without a lock.
 * NULL stands for root_cred, never freed.
 */
#include "fs/fs.h"
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/sys.h"

#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define CAP_FOWNER 3
#define CAP_FSETID 4
#define CAP_KILL 5
#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_LINUX_IMMUTABLE 9
#define CAP_SYS_PTRACE 19
#define CAP_SYS_ADMIN 21
#define CAP_MKNOD 27
#define CAP_MAC_OVERRIDE 32
#define CAP_LAST_CAP 40
#define CAP_FULL ((2ull << CAP_LAST_CAP) - 1)
#define BIT(cap) (1ull << (cap))
/* The capabilities setfsuid moves with the fsuid (Linux: CAP_FS_MASK). */
#define CAP_FS_MASK                                                            \
	(BIT(CAP_CHOWN) | BIT(CAP_MKNOD) | BIT(CAP_DAC_OVERRIDE) |             \
	 BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_FOWNER) | BIT(CAP_FSETID) |        \
	 BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_MAC_OVERRIDE))
#define NGROUPS_MAX 65536
#define LINUX_CAPABILITY_VERSION_1 0x19980330
#define LINUX_CAPABILITY_VERSION_2 0x20071026
#define LINUX_CAPABILITY_VERSION_3 0x20080522
#define UTS_LEN 64

/* Immutable once published (see the protocol above). */
struct cred {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	uint64_t cap_eff, cap_prm, cap_inh;
	uint32_t *groups; /* sorted, as Linux's groups_sort; owned */
	unsigned ngroups;
	int refs; /* atomic: the threads pointing at it */
	struct rcu_head rcu;
};

static struct cred root_cred = {
    .cap_eff = CAP_FULL, .cap_prm = CAP_FULL, .refs = 1};

static struct mutex uts_lock = MUTEX_INIT;
static char nodename[UTS_LEN + 1] = "osprey"; /* under uts_lock */
static char domainname[UTS_LEN + 1] = "(none)";

/* ---- a thread's credentials ---- */
/* t's (its own, or in a read section). */
static const struct cred *cred_of(struct thread *t)
{
	struct cred *c = t ? rcu_dereference(t->cred) : NULL;

	return c ? c : &root_cred;
}

static const struct cred *me(void)
{
	return cred_of(current_thread());
}

static bool has_cap(const struct cred *c, int cap)
{
	return c->cap_eff & BIT(cap);
}

static void cred_free(struct rcu_head *h)
{
	struct cred *c =
	    (struct cred *)((char *)h - offsetof(struct cred, rcu));

	free(c->groups);
	free(c);
}

static void cred_put(struct cred *c)
{
	if (c && c != &root_cred &&
	    __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		call_rcu(&c->rcu, cred_free);
}

/* A private copy of the caller's credentials to change; NULL: no memory.
 * groups: the new supplementary groups (taken over), or NULL to copy. */
static struct cred *cred_copy(uint32_t *groups, unsigned ngroups)
{
	const struct cred *old = me();
	struct cred *c = malloc(sizeof(*c));

	if (!c)
		goto out_free_groups;
	*c = *old;
	c->refs = 1;
	if (groups) {
		c->groups = groups;
		c->ngroups = ngroups;
		return c;
	}
	c->groups = old->ngroups ? malloc(old->ngroups * 4) : NULL;
	if (old->ngroups && !c->groups)
		goto out_free_cred;
	if (old->ngroups)
		memcpy(c->groups, old->groups, old->ngroups * 4);
	return c;
out_free_cred:
	free(c);
out_free_groups:
	free(groups);
	return NULL;
}

/* Publishes c as the calling thread's credentials. */
static void cred_commit(struct cred *c)
{
	struct thread *t = current_thread();
	struct cred *old = t->cred;

	rcu_assign_pointer(t->cred, c);
	cred_put(old);
}

void cred_thread_inherit(struct thread *child)
{
	struct cred *c = current_thread()->cred;

	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	child->cred = c;
}

void cred_thread_exit(struct thread *t)
{
	struct cred *c = t->cred;

	/* Out of the thread table already: a reader that found t earlier
	 * still has c for its read section (cred_put frees after one). */
	rcu_assign_pointer(t->cred, NULL);
	cred_put(c);
}

bool cred_capable(int cap)
{
	return has_cap(me(), cap);
}

/* ---- the uids ---- */
long sys_getuid(long a, long b, long c, long d, long e, long f)
{
	return me()->ruid;
}

long sys_geteuid(long a, long b, long c, long d, long e, long f)
{
	return me()->euid;
}

long sys_getgid(long a, long b, long c, long d, long e, long f)
{
	return me()->rgid;
}

long sys_getegid(long a, long b, long c, long d, long e, long f)
{
	return me()->egid;
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
	const struct cred *c = me();
	uint32_t v[3] = {c->ruid, c->euid, c->suid};

	return put_three(r, e, s, v);
}

long sys_getresgid(long r, long e, long s, long d, long e2, long f)
{
	const struct cred *c = me();
	uint32_t v[3] = {c->rgid, c->egid, c->sgid};

	return put_three(r, e, s, v);
}

/* Linux's capability changes for a uid change, c's from old's. */
static void uid_changed(struct cred *c, const struct cred *old)
{
	bool was_root = !old->ruid || !old->euid || !old->suid;

	if (was_root && c->ruid && c->euid && c->suid) {
		c->cap_prm = 0;
		c->cap_eff = 0;
	}
	if (!old->euid && c->euid)
		c->cap_eff = 0;
	if (old->euid && !c->euid)
		c->cap_eff = c->cap_prm;
}

/* Whether id is one of the three (or -1, "unchanged"). */
static bool one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == (uint32_t)-1 || id == a || id == b || id == c;
}

/* The new ids, -1 keeping one; EPERM without the capability (priv) for
 * an id the thread does not have. */
static long set_ids(uint32_t *ids, const uint32_t *want, bool priv)
{
	for (int i = 0; i < 3; i++)
		if (!priv && !one_of(want[i], ids[0], ids[1], ids[2]))
			return -EPERM;
	for (int i = 0; i < 3; i++)
		if (want[i] != (uint32_t)-1)
			ids[i] = want[i];
	ids[3] = ids[1]; /* the file-system id follows the effective one */
	return 0;
}

/* The real, effective, saved and file-system ids of c: uids or gids. */
static uint32_t *ids_of(struct cred *c, bool gids)
{
	return gids ? &c->rgid : &c->ruid;
}

static long setres(uint32_t r, uint32_t e, uint32_t s, bool gids)
{
	const struct cred *old = me();
	uint32_t want[3] = {r, e, s}, ids[4];
	long err;

	memcpy(ids, ids_of((struct cred *)old, gids), sizeof(ids));
	err = set_ids(ids, want, has_cap(old, gids ? CAP_SETGID : CAP_SETUID));
	if (err)
		return err;
	struct cred *c = cred_copy(NULL, 0);
	if (!c)
		return -ENOMEM;
	memcpy(ids_of(c, gids), ids, sizeof(ids));
	if (!gids)
		uid_changed(c, old);
	cred_commit(c);
	return 0;
}

long sys_setresuid(long r, long e, long s, long d, long e2, long f)
{
	return setres((uint32_t)r, (uint32_t)e, (uint32_t)s, false);
}

long sys_setresgid(long r, long e, long s, long d, long e2, long f)
{
	return setres((uint32_t)r, (uint32_t)e, (uint32_t)s, true);
}

/*
 * setreuid: without the capability the real id may become the effective
 * one, the effective one the real or saved; the saved id follows the new
 * effective one when the real one is set or the effective one changes to
 * other than the old real one (kernel/sys.c).
 */
static long set_re(uint32_t r, uint32_t e, bool gids)
{
	const struct cred *c = me();
	const uint32_t *ids = ids_of((struct cred *)c, gids);
	bool priv = has_cap(c, gids ? CAP_SETGID : CAP_SETUID);
	uint32_t s = (uint32_t)-1;

	if (!priv && r != (uint32_t)-1 && r != ids[0] && r != ids[1])
		return -EPERM;
	if (!priv && !one_of(e, ids[0], ids[1], ids[2]))
		return -EPERM;
	if (r != (uint32_t)-1 || (e != (uint32_t)-1 && e != ids[0]))
		s = e != (uint32_t)-1 ? e : ids[1];
	return setres(r, e, s, gids);
}

long sys_setreuid(long r, long e, long c, long d, long e2, long f)
{
	return set_re((uint32_t)r, (uint32_t)e, false);
}

long sys_setregid(long r, long e, long c, long d, long e2, long f)
{
	return set_re((uint32_t)r, (uint32_t)e, true);
}

/* setuid: with the capability all three ids, else only the effective
 * one, to the real or saved id. */
static long set_one(uint32_t id, bool gids)
{
	const struct cred *c = me();
	const uint32_t *ids = ids_of((struct cred *)c, gids);

	if (id == (uint32_t)-1)
		return -EINVAL;
	if (has_cap(c, gids ? CAP_SETGID : CAP_SETUID))
		return setres(id, id, id, gids);
	if (id != ids[0] && id != ids[2])
		return -EPERM; /* the real or saved id only */
	return setres((uint32_t)-1, id, (uint32_t)-1, gids);
}

long sys_setuid(long uid, long b, long c, long d, long e, long f)
{
	return set_one((uint32_t)uid, false);
}

long sys_setgid(long gid, long b, long c, long d, long e, long f)
{
	return set_one((uint32_t)gid, true);
}

/* Linux's cap_task_fix_setuid for LSM_SETID_FS: the file-system
 * capabilities leave with a file-system uid leaving 0 and come back
 * (within the permitted set) with it. */
static void fsuid_changed(struct cred *c, uint32_t old)
{
	if (!old && c->fsuid)
		c->cap_eff &= ~CAP_FS_MASK;
	if (old && !c->fsuid)
		c->cap_eff |= c->cap_prm & CAP_FS_MASK;
}

/* setfsuid/setfsgid: the old id whatever happens (man 2 setfsuid); the
 * new one is taken with the capability, or if it is one of the ids the
 * thread has. */
static long set_fs(uint32_t id, bool gids)
{
	const struct cred *old = me();
	const uint32_t *ids = ids_of((struct cred *)old, gids);
	uint32_t was = ids[3];
	bool priv = has_cap(old, gids ? CAP_SETGID : CAP_SETUID);

	if (id == (uint32_t)-1 || id == was ||
	    !(priv || one_of(id, ids[0], ids[1], ids[2])))
		return was;
	struct cred *c = cred_copy(NULL, 0);
	if (!c)
		return was; /* Linux: the old id, unchanged, on failure */
	ids_of(c, gids)[3] = id;
	if (!gids)
		fsuid_changed(c, was);
	cred_commit(c);
	return was;
}

long sys_setfsuid(long uid, long b, long c, long d, long e, long f)
{
	return set_fs((uint32_t)uid, false);
}

long sys_setfsgid(long gid, long b, long c, long d, long e, long f)
{
	return set_fs((uint32_t)gid, true);
}

/* ---- supplementary groups ---- */
long sys_getgroups(long size, long list, long c, long d, long e, long f)
{
	const struct cred *cr = me();

	if ((int)size < 0)
		return -EINVAL;
	if (size && (unsigned)size < cr->ngroups)
		return -EINVAL;
	if (size && cr->ngroups &&
	    copy_to_user(list, cr->groups, cr->ngroups * 4))
		return -EFAULT;
	return cr->ngroups;
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
	struct cred *cr =
	    size ? cred_copy(g, (unsigned)size) : cred_copy(NULL, 0);
	if (!cr)
		return -ENOMEM;
	if (!size) {
		free(cr->groups);
		cr->groups = NULL;
		cr->ngroups = 0;
	}
	cred_commit(cr);
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

/* The capability sets of thread pid (0: the caller): 0 or -ESRCH. */
static long cap_sets(int32_t pid, uint64_t sets[3])
{
	long r = 0;

	if (pid < 0)
		return -EINVAL;
	rcu_read_lock();
	struct thread *t = pid ? process_find_thread(pid) : current_thread();
	if (t) {
		const struct cred *c = cred_of(t);
		sets[0] = c->cap_eff, sets[1] = c->cap_prm,
		sets[2] = c->cap_inh;
	} else {
		r = -ESRCH;
	}
	rcu_read_unlock();
	return r;
}

long sys_capget(long uhdr, long udata, long c, long d, long e, long f)
{
	struct cap_header h;
	struct cap_data out[2];
	uint64_t sets[3];
	int words;
	long r = cap_version(uhdr, &h, &words);

	if (!udata || r)
		return !udata && r == -EINVAL ? 0 : r;
	r = cap_sets(h.pid, sets);
	if (r)
		return r;
	for (int i = 0; i < 2; i++)
		out[i] = (struct cap_data){(uint32_t)(sets[0] >> (32 * i)),
					   (uint32_t)(sets[1] >> (32 * i)),
					   (uint32_t)(sets[2] >> (32 * i))};
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
	const struct cred *o = me();
	if ((prm & ~o->cap_prm) || (eff & ~prm) ||
	    (inh & ~(o->cap_inh | o->cap_prm)))
		return -EPERM;
	struct cred *cr = cred_copy(NULL, 0);
	if (!cr)
		return -ENOMEM;
	cr->cap_eff = eff, cr->cap_prm = prm, cr->cap_inh = inh;
	cred_commit(cr);
	return 0;
}

/* ---- what the credentials allow ---- */
static bool in_groups(const struct cred *c, uint32_t mine, uint32_t gid)
{
	if (gid == mine)
		return true;
	for (unsigned i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/* The capabilities that count for an access check: access(2) without
 * AT_EACCESS uses the real ids, with root's permitted set for uid 0 and
 * none for others (Linux: do_faccessat's override credentials). */
static uint64_t access_caps(const struct cred *c, bool real)
{
	if (!real)
		return c->cap_eff;
	return c->ruid ? 0 : c->cap_prm;
}

/* Linux: generic_permission, then capable_wrt_inode_uidgid. */
int linux_cred_permission(uint32_t uid, uint32_t gid, uint32_t mode, int mask,
			  bool real)
{
	const struct cred *c = me();
	uint32_t u = real ? c->ruid : c->fsuid, g = real ? c->rgid : c->fsgid;
	uint32_t bits = u == uid	       ? mode >> 6
			: in_groups(c, g, gid) ? mode >> 3
					       : mode;
	uint64_t caps = access_caps(c, real);
	bool dir = (mode & S_IFMT) == S_IFDIR;

	mask &= 7;
	if (!(mask & ~bits & 7))
		return 0;
	if ((caps & BIT(CAP_DAC_OVERRIDE)) &&
	    (!(mask & 1) || dir || (mode & 0111)))
		return 0; /* execute needs someone's execute bit */
	if ((caps & BIT(CAP_DAC_READ_SEARCH)) &&
	    (mask == 4 || (dir && !(mask & 2))))
		return 0;
	return -EACCES;
}

void linux_cred_fsids(uint32_t *uid, uint32_t *gid)
{
	const struct cred *c = me();

	*uid = c->fsuid;
	*gid = c->fsgid;
}

/* Linux's kill_ok_by_cred: the sender's real or effective uid is the
 * target's real or saved one, or CAP_KILL. */
bool cred_may_signal(struct thread *t)
{
	const struct cred *m = me(), *c = cred_of(t);

	return has_cap(m, CAP_KILL) || m->euid == c->suid ||
	       m->euid == c->ruid || m->ruid == c->suid || m->ruid == c->ruid;
}

/* Linux's __ptrace_may_access with real credentials: every id of the
 * target's is the caller's real one, or CAP_SYS_PTRACE. */
bool cred_may_ptrace(struct thread *t)
{
	const struct cred *m = me(), *c = cred_of(t);

	if (has_cap(m, CAP_SYS_PTRACE))
		return true;
	return m->ruid == c->ruid && m->ruid == c->euid && m->ruid == c->suid &&
	       m->rgid == c->rgid && m->rgid == c->egid && m->rgid == c->sgid;
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
	mutex_lock(&uts_lock);
	memcpy(dst, tmp, (size_t)len);
	dst[len] = '\0';
	mutex_unlock(&uts_lock);
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

static void cred_show(const struct cred *cr, struct linux_cred *c)
{
	memcpy(c->uid, &cr->ruid, sizeof(c->uid));
	memcpy(c->gid, &cr->rgid, sizeof(c->gid));
	c->cap_inh = cr->cap_inh;
	c->cap_prm = cr->cap_prm;
	c->cap_eff = cr->cap_eff;
	c->ngroups = cr->ngroups;
	for (unsigned i = 0; i < cr->ngroups && i < LINUX_CRED_GROUPS; i++)
		c->groups[i] = cr->groups[i];
}

void linux_cred_get(int tid, struct linux_cred *c)
{
	rcu_read_lock();
	struct thread *t = tid ? process_find_thread(tid) : current_thread();
	cred_show(cred_of(t), c); /* a thread gone: root's */
	rcu_read_unlock();
}

void uts_names(char node[65], char domain[65])
{
	mutex_lock(&uts_lock);
	memcpy(node, nodename, sizeof(nodename));
	memcpy(domain, domainname, sizeof(domainname));
	mutex_unlock(&uts_lock);
}
