/*
 * The 9P2000.L client (fs/9p/client.c): one call per request type over
 * a transport, each building the request (p9_msg.c), sending it, and
 * decoding the checked reply. Private to fs/9p.
 *
 * Fids name server-side file references: the client hands out numbers
 * (p9c_fid, never reused while the channel lives) and the caller clunks
 * what it walked, opened or created. Tags tell requests in flight
 * apart; several calls run at once from different threads.
 */
#ifndef FS_9P_CLIENT_H
#define FS_9P_CLIENT_H

#include "fs/9p/9p.h"
#include "fs/9p/p9_msg.h"

struct p9_client {
	/* set at p9c_connect, then read-only */
	struct p9_transport *t;
	uint32_t msize; /* negotiated */
	/* atomic */
	uint32_t next_fid;
	uint32_t next_tag;
};

int p9c_connect(struct p9_client *c, struct p9_transport *t);
uint32_t p9c_fid(struct p9_client *c);
int p9c_attach(struct p9_client *c, uint32_t fid, struct p9_qid *qid);
/* newfid: fid's file (len 0) or its child `name` */
int p9c_walk(struct p9_client *c, uint32_t fid, uint32_t newfid,
	     const char *name, size_t len, struct p9_qid *qid);
int p9c_lopen(struct p9_client *c, uint32_t fid, uint32_t flags);
/* fid (a directory) becomes the new file `name`, opened with flags */
int p9c_lcreate(struct p9_client *c, uint32_t fid, const char *name, size_t len,
		uint32_t flags, uint32_t mode, uint32_t gid);
/* bytes moved (short at the end of the file), or -errno */
int64_t p9c_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf,
		 size_t n);
int64_t p9c_write(struct p9_client *c, uint32_t fid, uint64_t off,
		  const void *buf, size_t n);
int p9c_getattr(struct p9_client *c, uint32_t fid, struct p9_attr *a);
int p9c_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *a);
/* Calls fn for each entry of the directory fid (opened) from off,
 * until fn returns false or the directory ends. */
int p9c_readdir(struct p9_client *c, uint32_t fid, uint64_t off,
		bool (*fn)(void *arg, const struct p9_dirent *d), void *arg);
int p9c_mkdir(struct p9_client *c, uint32_t dfid, const char *name, size_t len,
	      uint32_t mode, uint32_t gid);
int p9c_unlinkat(struct p9_client *c, uint32_t dfid, const char *name,
		 size_t len, uint32_t flags);
int p9c_renameat(struct p9_client *c, uint32_t odfid, const char *oname,
		 size_t olen, uint32_t ndfid, const char *nname, size_t nlen);
int p9c_symlink(struct p9_client *c, uint32_t dfid, const char *name,
		size_t len, const char *target, uint32_t gid);
int p9c_link(struct p9_client *c, uint32_t dfid, uint32_t fid,
	     const char *name, size_t len);
/* the target's length (NUL-terminated in buf), or -errno */
int p9c_readlink(struct p9_client *c, uint32_t fid, char *buf, size_t size);
int p9c_fsync(struct p9_client *c, uint32_t fid, bool datasync);
int p9c_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *st);
int p9c_clunk(struct p9_client *c, uint32_t fid);

#endif
