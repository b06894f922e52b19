/*
 * The System V IPC object table that semaphores and message queues share
 * (linux/ipc.h): ids as Linux makes them (a sequence number over the
 * slot's index, so a removed object's id does not soon name a new one),
 * lookups by key and id, and Linux's permission rules (ipc/util.c's
 * ipcperms and ipcctl_obtain_check). Every function runs under the
 * caller's family mutex.
 */
#include "kernel/sched/sched.h"
#include "linux/ipc.h"
#include "linux/sys.h"

int64_t ipc_now(void)
{
	return (int64_t)(clock_realtime_ns() / 1000000000ull);
}

int ipc_pid(void)
{
	return (int)sys_getpid(0, 0, 0, 0, 0, 0);
}

static uint32_t euid(void)
{
	return (uint32_t)sys_geteuid(0, 0, 0, 0, 0, 0);
}

static uint32_t egid(void)
{
	return (uint32_t)sys_getegid(0, 0, 0, 0, 0, 0);
}

void ipc_obj_init(struct ipc_obj *o, int32_t key, unsigned flg)
{
	o->key = key;
	o->mode = flg & 0777;
	o->cuid = o->uid = euid();
	o->cgid = o->gid = egid();
	o->cpid = ipc_pid();
	o->ctime = ipc_now();
}

struct ipc_obj *ipc_by_key(struct ipc_table *t, int32_t key)
{
	for (unsigned i = 0; i < IPC_MNI; i++)
		if (t->slot[i] && t->slot[i]->key == key)
			return t->slot[i];
	return NULL;
}

struct ipc_obj *ipc_by_id(struct ipc_table *t, long id)
{
	if (id < 0)
		return NULL;
	unsigned idx = (unsigned)((unsigned long)id % (1u << IPC_IDX_SHIFT));
	struct ipc_obj *o = idx < IPC_MNI ? t->slot[idx] : NULL;

	return o && o->id == id ? o : NULL;
}

int ipc_insert(struct ipc_table *t, struct ipc_obj *o)
{
	for (unsigned i = 0; i < IPC_MNI; i++)
		if (!t->slot[i]) {
			o->id = (int)((unsigned)t->seq[i] << IPC_IDX_SHIFT | i);
			t->seq[i] = (uint16_t)((t->seq[i] + 1) & 0xffff);
			t->slot[i] = o;
			t->used++;
			return 0;
		}
	return -ENOSPC;
}

void ipc_remove(struct ipc_table *t, struct ipc_obj *o)
{
	t->slot[(unsigned)o->id % (1u << IPC_IDX_SHIFT)] = NULL;
	t->used--;
}

long ipc_top(const struct ipc_table *t)
{
	long top = 0;

	for (unsigned i = 0; i < IPC_MNI; i++)
		if (t->slot[i])
			top = i;
	return top;
}

bool ipc_may(const struct ipc_obj *o, unsigned want)
{
	uint32_t u = euid(), g = egid();
	unsigned granted = o->mode;

	if (u == o->cuid || u == o->uid)
		granted >>= 6;
	else if (g == o->cgid || g == o->gid)
		granted >>= 3;
	return !(want & ~granted & 7) || cred_capable(CAP_IPC_OWNER);
}

bool ipc_owns(const struct ipc_obj *o)
{
	uint32_t u = euid();

	return u == o->cuid || u == o->uid || cred_capable(CAP_SYS_ADMIN);
}

void ipc_perm_out(const struct ipc_obj *o, struct ipc64_perm *p)
{
	*p = (struct ipc64_perm){
	    .key = o->key,
	    .uid = o->uid,
	    .gid = o->gid,
	    .cuid = o->cuid,
	    .cgid = o->cgid,
	    .mode = (uint16_t)o->mode,
	    .seq = (uint16_t)((unsigned)o->id >> IPC_IDX_SHIFT),
	};
}

void ipc_perm_set(struct ipc_obj *o, const struct ipc64_perm *p)
{
	o->uid = p->uid;
	o->gid = p->gid;
	o->mode = (o->mode & ~0777u) | (p->mode & 0777u);
	o->ctime = ipc_now();
}

long ipc_existing(struct ipc_obj *o, unsigned flg, bool too_small)
{
	unsigned want = (flg >> 6 | flg >> 3 | flg) & 7;

	if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
		return -EEXIST;
	if (too_small)
		return -EINVAL;
	if (!ipc_may(o, want))
		return -EACCES;
	return o->id;
}
