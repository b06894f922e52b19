/*
 * Private to linux/: what System V semaphores (sys_sem.c) and message
 * queues (sys_msg.c) share (linux/ipc.c): a table of objects named by a
 * key and found by an id, Linux's permission checks and its struct
 * ipc64_perm. Each family keeps its own table under its own mutex; the
 * helpers here are called with that mutex held.
 */
#ifndef LINUX_IPC_H
#define LINUX_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sync/sync.h"

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_NOWAIT 04000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define IPC_MNI 4096	 /* objects per family (Linux: 32000) */
#define IPC_IDX_SHIFT 15 /* Linux's IPCMNI_SHIFT: id = seq << 15 | index */
#define CAP_SYS_RESOURCE 24
#define CAP_IPC_OWNER 15
#define CAP_SYS_ADMIN 21
#ifndef EIDRM
#define EIDRM 43
#endif
#ifndef ENOMSG
#define ENOMSG 42
#endif
#ifndef E2BIG
#define E2BIG 7
#endif
#ifndef EFBIG
#define EFBIG 27
#endif
#ifndef ERANGE
#define ERANGE 34
#endif

/* The head of every object; key, uid, gid and mode change under the
 * family's mutex, the rest is set when it is made. */
struct ipc_obj {
	int32_t key; /* IPC_PRIVATE once removed */
	int id;
	int cpid;
	uint32_t uid, gid, cuid, cgid, mode; /* mode: 0777 */
	int64_t ctime;
};

/* Linux's struct ipc64_perm (x86-64). */
struct ipc64_perm {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint16_t mode, pad1, seq, pad2;
	uint64_t unused1, unused2;
};

/* A family's table: owned by it, under its mutex. */
struct ipc_table {
	struct ipc_obj *slot[IPC_MNI];
	uint16_t seq[IPC_MNI]; /* ids are not soon reused */
	unsigned used;
};

/* A new object's head, for the caller: key, mode, creator, time. */
void ipc_obj_init(struct ipc_obj *o, int32_t key, unsigned flg);
struct ipc_obj *ipc_by_key(struct ipc_table *t, int32_t key);
struct ipc_obj *ipc_by_id(struct ipc_table *t, long id);
/* Gives o its id: 0 or -ENOSPC. */
int ipc_insert(struct ipc_table *t, struct ipc_obj *o);
void ipc_remove(struct ipc_table *t, struct ipc_obj *o);
/* The highest index in use (IPC_INFO's answer). */
long ipc_top(const struct ipc_table *t);
/* Linux's ipcperms: may the caller have `want` (4 read, 2 write)? */
bool ipc_may(const struct ipc_obj *o, unsigned want);
/* Linux's ipcctl_obtain_check: is the caller its owner, creator or
 * CAP_SYS_ADMIN? */
bool ipc_owns(const struct ipc_obj *o);
void ipc_perm_out(const struct ipc_obj *o, struct ipc64_perm *p);
/* IPC_SET's part on the head: uid, gid, mode's 0777 and ctime. */
void ipc_perm_set(struct ipc_obj *o, const struct ipc64_perm *p);
/* An existing key's checks in Linux's order (EEXIST, more(): EINVAL,
 * EACCES): its id or the error. */
long ipc_existing(struct ipc_obj *o, unsigned flg, bool too_small);
int64_t ipc_now(void);
int ipc_pid(void);

#endif
