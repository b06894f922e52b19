/*
 * System V shared memory (man 2 shmget, shmat, shmctl; man 7 sysvipc):
 * segments named by a key, attached anywhere in any process.
 *
 * A segment's memory is an anonymous in-memory file (fs/memfd.c's kind,
 * named "SYSV<key>" as Linux's), and shmat is a MAP_SHARED mapping of it,
 * so faults, fork and teardown are the file mappings' (kernel/mm/vma.c):
 * every VMA holds a reference to the file. What a segment adds is its
 * table entry: key, permissions, times and the number of attaches.
 *
 * The attach count is Linux's shm_nattch: the VMAs showing the segment in
 * every process. The mapping layer's get/put of a file (linux/sys_fs.c's
 * vma_file_ops) call shm_vma_get/shm_vma_put, so an attach, a fork that
 * copies one, a split by a partial munmap and the end of a process count
 * as Linux's vm_ops open/close do. IPC_RMID marks a segment SHM_DEST and
 * takes its key away; the table drops it (and its reference to the file)
 * when the count reaches zero, so a segment removed while attached lives
 * until the last detach, and the memory itself until the last VMA goes.
 *
 * Locking: shm_lock guards the table and every entry's mutable fields. It
 * is a leaf: it is taken under an address space's lock (the get/put hooks
 * run there), so nothing that takes another lock (the file system, the
 * address space) is called while holding it; a segment's file is made,
 * mapped and put outside it.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/sys.h"

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHM_HUGETLB 04000
#define SHM_NORESERVE 010000
#define SHM_DEST 01000	 /* in the mode: removed, waiting for detaches */
#define SHM_LOCKED 02000 /* in the mode: SHM_LOCK (memory never swaps) */
#define CAP_IPC_LOCK 14
#define CAP_IPC_OWNER 15
#define CAP_SYS_ADMIN 21

/* Linux's defaults (include/uapi/linux/shm.h) */
#define SHMMNI 4096
#define SHMMIN 1
#define SHMMAX (UINT64_MAX - (1ull << 24))
#define SHMALL (UINT64_MAX - (1ull << 24))
#define SHMLBA PAGE_SIZE
#define IDX_SHIFT 15 /* Linux's IPCMNI_SHIFT: id = seq << 15 | index */

struct shm_seg {
	/* set by shmget, then read-only */
	struct file *file; /* the memory; the table's reference */
	uint64_t size;
	int id;
	int cpid;
	uint32_t cuid, cgid;
	/* under shm_lock */
	int32_t key;		 /* IPC_PRIVATE once removed */
	uint32_t uid, gid, mode; /* mode: 0777 | SHM_DEST | SHM_LOCKED */
	int lpid;
	int64_t atime, dtime, ctime;
	uint64_t nattch; /* VMAs showing it */
};

/* Linux's struct ipc64_perm and shmid64_ds (x86-64) */
struct ipc64_perm {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint16_t mode, pad1, seq, pad2;
	uint64_t unused1, unused2;
};

struct shmid64_ds {
	struct ipc64_perm perm;
	uint64_t segsz;
	int64_t atime, dtime, ctime;
	int32_t cpid, lpid;
	uint64_t nattch, unused4, unused5;
};

struct shminfo64 {
	uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};

struct shm_info {
	int32_t used_ids;
	uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

static struct mutex shm_lock = MUTEX_INIT;
static struct shm_seg *segs[SHMMNI]; /* under shm_lock */
static uint16_t seqs[SHMMNI];	     /* under shm_lock: ids not reused */
static unsigned nsegs;		     /* written under shm_lock; atomic */

static int64_t now_s(void)
{
	return (int64_t)(clock_realtime_ns() / 1000000000ull);
}

static int cur_pid(void)
{
	return (int)sys_getpid(0, 0, 0, 0, 0, 0);
}

/* ---- the table (under shm_lock) ---- */
static struct shm_seg *by_key(int32_t key)
{
	for (unsigned i = 0; i < SHMMNI; i++)
		if (segs[i] && segs[i]->key == key &&
		    !(segs[i]->mode & SHM_DEST))
			return segs[i];
	return NULL;
}

static struct shm_seg *by_id(long id)
{
	if (id < 0)
		return NULL;
	struct shm_seg *s =
	    segs[(unsigned long)id % (1u << IDX_SHIFT) % SHMMNI];

	return s && s->id == id ? s : NULL;
}

static struct shm_seg *by_file(const void *file)
{
	for (unsigned i = 0; i < SHMMNI; i++)
		if (segs[i] && segs[i]->file == file)
			return segs[i];
	return NULL;
}

static int insert(struct shm_seg *s)
{
	for (unsigned i = 0; i < SHMMNI; i++)
		if (!segs[i]) {
			s->id = (int)((unsigned)seqs[i] << IDX_SHIFT | i);
			seqs[i] = (uint16_t)((seqs[i] + 1) & 0xffff);
			segs[i] = s;
			__atomic_store_n(&nsegs, nsegs + 1, __ATOMIC_RELAXED);
			return 0;
		}
	return -ENOSPC;
}

static void unlink_seg(struct shm_seg *s)
{
	segs[(unsigned)s->id % (1u << IDX_SHIFT)] = NULL;
	__atomic_store_n(&nsegs, nsegs - 1, __ATOMIC_RELAXED);
}

static void seg_free(struct shm_seg *s)
{
	file_put(s->file);
	free(s);
}

/* ---- permissions: Linux's ipcperms and ipcctl_obtain_check ---- */
static bool may(const struct shm_seg *s, unsigned want)
{
	uint32_t euid = (uint32_t)sys_geteuid(0, 0, 0, 0, 0, 0);
	uint32_t egid = (uint32_t)sys_getegid(0, 0, 0, 0, 0, 0);
	unsigned granted = s->mode;

	if (euid == s->cuid || euid == s->uid)
		granted >>= 6;
	else if (egid == s->cgid || egid == s->gid)
		granted >>= 3;
	return !(want & ~granted & 7) || cred_capable(CAP_IPC_OWNER);
}

static bool owns(const struct shm_seg *s)
{
	uint32_t euid = (uint32_t)sys_geteuid(0, 0, 0, 0, 0, 0);

	return euid == s->cuid || euid == s->uid || cred_capable(CAP_SYS_ADMIN);
}

/* ---- the mapping layer's hooks ---- */
void shm_vma_get(void *file)
{
	if (!__atomic_load_n(&nsegs, __ATOMIC_RELAXED))
		return;
	mutex_lock(&shm_lock);
	struct shm_seg *s = by_file(file);
	if (s)
		s->nattch++;
	mutex_unlock(&shm_lock);
}

/* Called before the VMA's own reference to the file is put. */
void shm_vma_put(void *file)
{
	struct shm_seg *gone = NULL;

	if (!__atomic_load_n(&nsegs, __ATOMIC_RELAXED))
		return;
	mutex_lock(&shm_lock);
	struct shm_seg *s = by_file(file);
	if (s && s->nattch && !--s->nattch && (s->mode & SHM_DEST)) {
		unlink_seg(s);
		gone = s;
	}
	mutex_unlock(&shm_lock);
	if (gone)
		seg_free(gone);
}

/* ---- shmget ---- */
static struct shm_seg *seg_new(int32_t key, uint64_t size, unsigned flg)
{
	char name[16];
	struct shm_seg *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	snprintf(name, sizeof(name), "SYSV%08x", (unsigned)key);
	if (vfs_memfd_create(name, 0, &s->file)) {
		free(s);
		return NULL;
	}
	if (vfs_ftruncate(s->file, (int64_t)size)) {
		seg_free(s);
		return NULL;
	}
	s->size = size;
	s->key = key;
	s->mode = flg & 0777;
	s->cuid = s->uid = (uint32_t)sys_geteuid(0, 0, 0, 0, 0, 0);
	s->cgid = s->gid = (uint32_t)sys_getegid(0, 0, 0, 0, 0, 0);
	s->cpid = cur_pid();
	s->ctime = now_s();
	return s;
}

static bool fits_in_ram(uint64_t size)
{
	struct mm_stats st;

	mm_get_stats(&st);
	return size / PAGE_SIZE <= st.total_pages;
}

/* Linux's order for an existing key: EEXIST, EACCES, then EINVAL. */
static long existing(struct shm_seg *s, uint64_t size, unsigned flg)
{
	unsigned want = (flg >> 6 | flg >> 3 | flg) & 7;

	if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
		return -EEXIST;
	if (!may(s, want))
		return -EACCES;
	if (size > s->size)
		return -EINVAL;
	return s->id;
}

/* Finds key or, with IPC_CREAT, adds the new segment made meanwhile. */
static long get_or_add(int32_t key, uint64_t size, unsigned flg,
		       struct shm_seg **fresh)
{
	mutex_lock(&shm_lock);
	struct shm_seg *s = key == IPC_PRIVATE ? NULL : by_key(key);
	long r;
	if (s)
		r = existing(s, size, flg);
	else if (!(flg & IPC_CREAT) && key != IPC_PRIVATE)
		r = -ENOENT;
	else if (!*fresh)
		r = -EAGAIN; /* the caller makes one and comes back */
	else if ((r = insert(*fresh)) == 0) {
		r = (*fresh)->id;
		*fresh = NULL;
	}
	mutex_unlock(&shm_lock);
	return r;
}

long sys_shmget(long key, long size, long flg, long d, long e, long f)
{
	struct shm_seg *fresh = NULL;
	uint64_t sz = (uint64_t)size;
	long r = get_or_add((int32_t)key, sz, (unsigned)flg, &fresh);

	if (r != -EAGAIN)
		return r;
	if (sz < SHMMIN || sz > SHMMAX)
		return -EINVAL;
	if (!(flg & SHM_NORESERVE) && !fits_in_ram(sz))
		return -ENOMEM; /* Linux's overcommit heuristic */
	if (flg & SHM_HUGETLB) {
		linux_missing("shmget SHM_HUGETLB");
		return -ENOMEM; /* Linux's answer with no huge pages reserved */
	}
	fresh = seg_new((int32_t)key, sz, (unsigned)flg);
	if (!fresh)
		return -ENOMEM;
	r = get_or_add((int32_t)key, sz, (unsigned)flg, &fresh);
	if (fresh) /* lost a race for the key, or the table is full */
		seg_free(fresh);
	return r;
}

/* ---- shmat and shmdt ---- */
/* The segment's file (a reference) and size, if the caller may map it. */
static long attach_check(long id, unsigned want, struct file **file,
			 uint64_t *size)
{
	long r = 0;

	mutex_lock(&shm_lock);
	struct shm_seg *s = by_id(id);
	if (!s)
		r = -EINVAL;
	else if (!may(s, want))
		r = -EACCES;
	else {
		*file = s->file;
		*size = s->size;
		file_get(s->file);
	}
	mutex_unlock(&shm_lock);
	return r;
}

static void attached(long id, bool attach)
{
	mutex_lock(&shm_lock);
	struct shm_seg *s = by_id(id);
	if (s) {
		*(attach ? &s->atime : &s->dtime) = now_s();
		s->lpid = cur_pid();
	}
	mutex_unlock(&shm_lock);
}

long sys_shmat(long id, long uaddr, long flg, long d, long e, long f)
{
	uint64_t addr = (uint64_t)uaddr;
	uint32_t prot = PROT_READ, flags = VMA_SHARED;
	unsigned want = 4;

	if (addr & (SHMLBA - 1)) {
		if (!(flg & SHM_RND))
			return -EINVAL;
		addr &= ~(uint64_t)(SHMLBA - 1);
		if (!addr && (flg & SHM_REMAP))
			return -EINVAL;
	}
	if (!(flg & SHM_RDONLY))
		prot |= PROT_WRITE, want |= 2;
	if (flg & SHM_EXEC)
		prot |= PROT_EXEC, want |= 1;
	if (addr)
		flags |= (flg & SHM_REMAP) ? VMA_FIXED : VMA_NOREPLACE;
	struct file *file;
	uint64_t size;
	long r = attach_check(id, want, &file, &size);
	if (r)
		return r;
	r = as_map_file(&addr, size, prot, flags, file, 0);
	file_put(file); /* the VMA took its own */
	if (r)
		return r == -EEXIST ? -EINVAL : r;
	attached(id, true);
	return (long)addr;
}

/* The size of the segment whose file is `file`, and its id; 0: none. */
static uint64_t seg_of(const void *file, long *id)
{
	mutex_lock(&shm_lock);
	struct shm_seg *s = file ? by_file(file) : NULL;
	uint64_t size = s ? s->size : 0;
	if (s)
		*id = s->id;
	mutex_unlock(&shm_lock);
	return size;
}

/*
 * Linux: the mapping at addr must be the start of a segment; every piece
 * of that segment's mapping in [addr, addr + size) at its own offset goes
 * (what else a partial munmap let be mapped there stays).
 */
long sys_shmdt(long uaddr, long b, long c, long d, long e, long f)
{
	uint64_t addr = (uint64_t)uaddr, pgoff = 0, end;
	long id = -1;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	void *file = as_file_at(addr, &pgoff, &end);
	uint64_t size = pgoff ? 0 : seg_of(file, &id);
	if (!size)
		return -EINVAL;
	uint64_t limit = addr + ALIGN_UP(size, PAGE_SIZE);
	for (uint64_t a = addr; a < limit; a = MIN(end, limit)) {
		void *here = as_file_at(a, &pgoff, &end);

		if (here == file && pgoff == (a - addr) / PAGE_SIZE)
			as_unmap(a, MIN(end, limit) - a);
	}
	attached(id, false);
	return 0;
}

/* ---- shmctl ---- */
static void stat_of(const struct shm_seg *s, struct shmid64_ds *ds)
{
	*ds = (struct shmid64_ds){
	    .perm = {.key = s->key,
		     .uid = s->uid,
		     .gid = s->gid,
		     .cuid = s->cuid,
		     .cgid = s->cgid,
		     .mode = (uint16_t)s->mode,
		     .seq = (uint16_t)((unsigned)s->id >> IDX_SHIFT)},
	    .segsz = s->size,
	    .atime = s->atime,
	    .dtime = s->dtime,
	    .ctime = s->ctime,
	    .cpid = s->cpid,
	    .lpid = s->lpid,
	    .nattch = s->nattch,
	};
}

static long top_index(void)
{
	long top = 0;

	for (unsigned i = 0; i < SHMMNI; i++)
		if (segs[i])
			top = i;
	return top;
}

static long info(int cmd, long ubuf)
{
	struct shminfo64 in = {SHMMAX, SHMMIN, SHMMNI, SHMMNI, SHMALL, {0}};
	struct shm_info si = {0};

	mutex_lock(&shm_lock);
	long top = top_index();
	for (unsigned i = 0; i < SHMMNI; i++)
		if (segs[i]) {
			si.used_ids++;
			si.shm_tot +=
			    ALIGN_UP(segs[i]->size, PAGE_SIZE) / PAGE_SIZE;
		}
	mutex_unlock(&shm_lock);
	si.shm_rss = si.shm_tot; /* no swap: every page is resident or none */
	long r = cmd == IPC_INFO ? copy_to_user(ubuf, &in, sizeof(in))
				 : copy_to_user(ubuf, &si, sizeof(si));
	return r ? r : top;
}

/* IPC_STAT, SHM_STAT and SHM_STAT_ANY (whose id is a table index). */
static long stat_cmd(long id, int cmd, long ubuf)
{
	struct shmid64_ds ds;
	long r;

	mutex_lock(&shm_lock);
	struct shm_seg *s =
	    cmd == IPC_STAT ? by_id(id) : (id < SHMMNI ? segs[id] : NULL);
	if (!s)
		r = -EINVAL;
	else if (cmd != SHM_STAT_ANY && !may(s, 4))
		r = -EACCES;
	else {
		stat_of(s, &ds);
		r = cmd == IPC_STAT ? 0 : s->id;
	}
	mutex_unlock(&shm_lock);
	if (r >= 0) {
		long c = copy_to_user(ubuf, &ds, sizeof(ds));
		r = c ? c : r;
	}
	return r;
}

/* IPC_SET, IPC_RMID, SHM_LOCK and SHM_UNLOCK. */
static long change(struct shm_seg *s, int cmd, const struct ipc64_perm *p)
{
	if (cmd == SHM_LOCK || cmd == SHM_UNLOCK) {
		if (!cred_capable(CAP_IPC_LOCK) && !owns(s))
			return -EPERM;
		s->mode = cmd == SHM_LOCK ? s->mode | SHM_LOCKED
					  : s->mode & ~SHM_LOCKED;
		return 0;
	}
	if (!owns(s))
		return -EPERM;
	if (cmd == IPC_SET) {
		s->uid = p->uid;
		s->gid = p->gid;
		s->mode = (s->mode & ~0777u) | (p->mode & 0777u);
	} else {
		s->mode |= SHM_DEST;
		s->key = IPC_PRIVATE;
	}
	s->ctime = now_s();
	return 0;
}

static long change_cmd(long id, int cmd, long ubuf)
{
	struct ipc64_perm p = {0};
	struct shm_seg *gone = NULL;

	if (cmd == IPC_SET) {
		struct shmid64_ds ds;
		long c = copy_from_user(&ds, ubuf, sizeof(ds));
		if (c)
			return c;
		p = ds.perm;
	}
	mutex_lock(&shm_lock);
	struct shm_seg *s = by_id(id);
	long r = s ? change(s, cmd, &p) : -EINVAL;
	if (!r && cmd == IPC_RMID && !s->nattch) {
		unlink_seg(s);
		gone = s;
	}
	mutex_unlock(&shm_lock);
	if (gone)
		seg_free(gone);
	return r;
}

long sys_shmctl(long id, long cmd, long ubuf, long d, long e, long f)
{
	if (cmd < 0 || id < 0)
		return -EINVAL;
	switch (cmd) {
	case IPC_INFO:
	case SHM_INFO:
		return info((int)cmd, ubuf);
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		return stat_cmd(id, (int)cmd, ubuf);
	case IPC_SET:
	case IPC_RMID:
	case SHM_LOCK:
	case SHM_UNLOCK:
		return change_cmd(id, (int)cmd, ubuf);
	}
	return -EINVAL;
}

/* ---- /proc/sysvipc/shm, as Linux's ipc/shm.c prints it ---- */
static int show_shm(struct proc_buf *b, int arg)
{
	proc_printf(b, "       key      shmid perms                  size  cpid"
		       "  lpid nattch   uid   gid  cuid  cgid      atime"
		       "      dtime      ctime                   rss"
		       "                  swap\n");
	mutex_lock(&shm_lock);
	for (unsigned i = 0; i < SHMMNI; i++) {
		const struct shm_seg *s = segs[i];

		if (!s)
			continue;
		proc_printf(
		    b,
		    "%10d %10d  %4o %21llu %5u %5u  %5llu %5u %5u %5u "
		    "%5u %10lld %10lld %10lld %21llu %21u\n",
		    s->key, s->id, s->mode, (unsigned long long)s->size,
		    s->cpid, s->lpid, (unsigned long long)s->nattch, s->uid,
		    s->gid, s->cuid, s->cgid, (long long)s->atime,
		    (long long)s->dtime, (long long)s->ctime,
		    (unsigned long long)ALIGN_UP(s->size, PAGE_SIZE), 0u);
	}
	mutex_unlock(&shm_lock);
	return 0;
}

static const struct proc_entry sysvipc_table[] = {
    PFILE("shm", show_shm),
    {NULL},
};

static const struct proc_entry proc_table[] = {
    PDIR("sysvipc", sysvipc_table),
    {NULL},
};

const struct proc_entry *sysvipc_dir(void)
{
	return &proc_table[0];
}

static int shm_init(void)
{
	return procfs_register(NULL, proc_table);
}
INIT_STEP(56, shm_init);
