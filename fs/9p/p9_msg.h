/*
 * 9P2000.L messages (the Linux dialect of Plan 9's file protocol, as
 * QEMU's virtio-9p server speaks it): encoding requests and decoding
 * replies. Pure: no kernel headers, so the host fuzz target builds it.
 *
 * The wire format: every message is size[4] type[1] tag[2] body, all
 * integers little-endian, size counting the whole message. A string is
 * len[2] bytes (not NUL-terminated); a qid is type[1] version[4]
 * path[8]. A T-message of type t is answered by type t+1 with the same
 * tag, or by Rlerror (ecode[4], a Linux errno) on failure.
 *
 * The server is not trusted. A decoder checks the reply's size against
 * the bytes the transport says arrived, its type and tag against the
 * request's, and every length inside against what is left; anything
 * wrong is -EIO (-EPROTO never reaches a program), never a read past
 * the buffer. An Rlerror with an errno outside 1..4095 is -EIO too.
 */
#ifndef FS_9P_P9_MSG_H
#define FS_9P_P9_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum p9_type {
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_TLOPEN = 12,
	P9_TLCREATE = 14,
	P9_TSYMLINK = 16,
	P9_TREADLINK = 22,
	P9_TGETATTR = 24,
	P9_TSETATTR = 26,
	P9_TREADDIR = 40,
	P9_TFSYNC = 50,
	P9_TLINK = 70,
	P9_TMKDIR = 72,
	P9_TRENAMEAT = 74,
	P9_TUNLINKAT = 76,
	P9_TVERSION = 100,
	P9_TATTACH = 104,
	P9_TWALK = 110,
	P9_TREAD = 116,
	P9_TWRITE = 118,
	P9_TCLUNK = 120,
};

#define P9_HDR 7    /* size[4] type[1] tag[2] */
#define P9_IOHDR 24 /* Twrite's header, the largest I/O one */
#define P9_NOTAG 0xffff
#define P9_NOFID 0xffffffffu
#define P9_MAXWELEM 16
#define P9_GETATTR_BASIC 0x7ffull
/* Tsetattr's valid bits (Linux: include/net/9p/9p.h) */
#define P9_SETATTR_MODE 0x1u
#define P9_SETATTR_UID 0x2u
#define P9_SETATTR_GID 0x4u
#define P9_SETATTR_SIZE 0x8u
#define P9_SETATTR_ATIME 0x10u
#define P9_SETATTR_MTIME 0x20u
#define P9_SETATTR_CTIME 0x40u
#define P9_SETATTR_ATIME_SET 0x80u
#define P9_SETATTR_MTIME_SET 0x100u
#define P9_AT_REMOVEDIR 0x200u
#define P9_QTDIR 0x80
#define P9_QTSYMLINK 0x02

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

struct p9_attr {
	uint64_t valid;
	struct p9_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
	uint64_t ctime_sec, ctime_nsec;
};

struct p9_setattr {
	uint32_t valid, mode, uid, gid;
	uint64_t size, atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

struct p9_statfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

/* A name or other string inside a message (not NUL-terminated). */
struct p9_str {
	const char *s;
	uint16_t len;
};

/* A message being written: buf of cap bytes; over set when it did not
 * fit (the encoders then answer -ENOSPC). */
struct p9_wbuf {
	uint8_t *buf;
	uint32_t cap, len;
	bool over;
};

/* A reply being read: body bytes [pos, len) are left. */
struct p9_rbuf {
	const uint8_t *buf;
	uint32_t len, pos;
	bool bad;
};

/* ---- requests: each writes a whole message into w, 0 or -ENOSPC ---- */
int p9_tversion(struct p9_wbuf *w, uint32_t msize, const char *version);
int p9_tattach(struct p9_wbuf *w, uint16_t tag, uint32_t fid, const char *uname,
	       const char *aname, uint32_t n_uname);
int p9_twalk(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint32_t newfid,
	     unsigned n, const struct p9_str *names);
int p9_tlopen(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint32_t flags);
int p9_tlcreate(struct p9_wbuf *w, uint16_t tag, uint32_t fid,
		struct p9_str name, uint32_t flags, uint32_t mode,
		uint32_t gid);
int p9_tread(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint64_t off,
	     uint32_t count);
int p9_twrite(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint64_t off,
	      const void *data, uint32_t count);
int p9_tgetattr(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint64_t mask);
int p9_tsetattr(struct p9_wbuf *w, uint16_t tag, uint32_t fid,
		const struct p9_setattr *a);
int p9_treaddir(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint64_t off,
		uint32_t count);
int p9_tmkdir(struct p9_wbuf *w, uint16_t tag, uint32_t dfid,
	      struct p9_str name, uint32_t mode, uint32_t gid);
int p9_tunlinkat(struct p9_wbuf *w, uint16_t tag, uint32_t dfid,
		 struct p9_str name, uint32_t flags);
int p9_trenameat(struct p9_wbuf *w, uint16_t tag, uint32_t odfid,
		 struct p9_str oname, uint32_t ndfid, struct p9_str nname);
int p9_tsymlink(struct p9_wbuf *w, uint16_t tag, uint32_t dfid,
		struct p9_str name, struct p9_str target, uint32_t gid);
int p9_tlink(struct p9_wbuf *w, uint16_t tag, uint32_t dfid, uint32_t fid,
	     struct p9_str name);
/* Treadlink, Tstatfs and Tclunk: just a fid */
int p9_tfid(struct p9_wbuf *w, uint8_t type, uint16_t tag, uint32_t fid);
int p9_tfsync(struct p9_wbuf *w, uint16_t tag, uint32_t fid, bool datasync);

/* ---- replies ---- */
/*
 * Checks the header of a reply of n bytes in buf to a request of type
 * `type` with `tag`, and sets r to its body: 0; the server's -errno for
 * an Rlerror; -EIO for anything malformed.
 */
int p9_reply(struct p9_rbuf *r, const void *buf, size_t n, uint8_t type,
	     uint16_t tag);
/* Each decodes the body of a checked reply: 0 or -EIO. The decoded
 * strings and data point into the reply's buffer. */
int p9_rversion(struct p9_rbuf *r, uint32_t *msize, struct p9_str *version);
int p9_rqid(struct p9_rbuf *r, struct p9_qid *qid); /* attach mkdir symlink */
int p9_rwalk(struct p9_rbuf *r, unsigned max, unsigned *n, struct p9_qid *qids);
int p9_ropen(struct p9_rbuf *r, struct p9_qid *qid, uint32_t *iounit);
/* Rread and Rreaddir: count bytes of data, at most max */
int p9_rdata(struct p9_rbuf *r, uint32_t max, const uint8_t **data,
	     uint32_t *count);
int p9_rwrite(struct p9_rbuf *r, uint32_t *count);
int p9_rgetattr(struct p9_rbuf *r, struct p9_attr *a);
int p9_rreadlink(struct p9_rbuf *r, struct p9_str *target);
int p9_rstatfs(struct p9_rbuf *r, struct p9_statfs *st);
/* A reply with no body (setattr, unlinkat, renameat, fsync, clunk). */
int p9_rempty(struct p9_rbuf *r);

/* One entry of Rreaddir's data: qid[13] offset[8] type[1] name[s]. */
struct p9_dirent {
	struct p9_qid qid;
	uint64_t next; /* the offset of the entry after it */
	uint8_t type;  /* DT_* */
	struct p9_str name;
};
/* The entry at r's position (r over Rreaddir's data): 1 and the entry,
 * 0 at the end, -EIO when it runs past the data. */
int p9_dirent_next(struct p9_rbuf *r, struct p9_dirent *d);

#endif
