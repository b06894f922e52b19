/*
 * 9P2000.L encoding and decoding (see p9_msg.h for the format and the
 * rules on what a reply may do). Writers append and note overflow once;
 * readers consume and note a short message once, so a message is checked
 * by looking at one flag at the end.
 */
#include "fs/9p/p9_msg.h"

/* Linux's numbers; this file has no kernel headers. */
#define E_IO 5
#define E_NOSPC 28
#define E_MAX 4095

/* ---- writing ---- */
static uint8_t *room(struct p9_wbuf *w, uint32_t n)
{
	uint8_t *p;

	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return 0;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static void put_le(struct p9_wbuf *w, uint64_t v, unsigned n)
{
	uint8_t *p = room(w, n);

	for (unsigned i = 0; p && i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put8(struct p9_wbuf *w, uint8_t v)
{
	put_le(w, v, 1);
}
static void put16(struct p9_wbuf *w, uint16_t v)
{
	put_le(w, v, 2);
}
static void put32(struct p9_wbuf *w, uint32_t v)
{
	put_le(w, v, 4);
}
static void put64(struct p9_wbuf *w, uint64_t v)
{
	put_le(w, v, 8);
}

static void put_bytes(struct p9_wbuf *w, const void *b, uint32_t n)
{
	uint8_t *p = room(w, n);

	if (p && n)
		__builtin_memcpy(p, b, n);
}

static void put_str(struct p9_wbuf *w, struct p9_str s)
{
	put16(w, s.len);
	put_bytes(w, s.s, s.len);
}

static struct p9_str cstr(const char *s)
{
	size_t n = __builtin_strlen(s);

	return (struct p9_str){s, (uint16_t)(n > 0xffff ? 0xffff : n)};
}

/* Starts a message: size (filled by end), type, tag. */
static void begin(struct p9_wbuf *w, uint8_t type, uint16_t tag)
{
	w->len = 0;
	w->over = false;
	put32(w, 0);
	put8(w, type);
	put16(w, tag);
}

static int end(struct p9_wbuf *w)
{
	if (w->over)
		return -E_NOSPC;
	for (unsigned i = 0; i < 4; i++)
		w->buf[i] = (uint8_t)(w->len >> (8 * i));
	return 0;
}

int p9_tversion(struct p9_wbuf *w, uint32_t msize, const char *version)
{
	begin(w, P9_TVERSION, P9_NOTAG);
	put32(w, msize);
	put_str(w, cstr(version));
	return end(w);
}

int p9_tattach(struct p9_wbuf *w, uint16_t tag, uint32_t fid, const char *uname,
	       const char *aname, uint32_t n_uname)
{
	begin(w, P9_TATTACH, tag);
	put32(w, fid);
	put32(w, P9_NOFID);
	put_str(w, cstr(uname));
	put_str(w, cstr(aname));
	put32(w, n_uname);
	return end(w);
}

int p9_twalk(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint32_t newfid,
	     unsigned n, const struct p9_str *names)
{
	if (n > P9_MAXWELEM)
		return -E_NOSPC;
	begin(w, P9_TWALK, tag);
	put32(w, fid);
	put32(w, newfid);
	put16(w, (uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		put_str(w, names[i]);
	return end(w);
}

int p9_tlopen(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint32_t flags)
{
	begin(w, P9_TLOPEN, tag);
	put32(w, fid);
	put32(w, flags);
	return end(w);
}

int p9_tlcreate(struct p9_wbuf *w, uint16_t tag, uint32_t fid,
		struct p9_str name, uint32_t flags, uint32_t mode, uint32_t gid)
{
	begin(w, P9_TLCREATE, tag);
	put32(w, fid);
	put_str(w, name);
	put32(w, flags);
	put32(w, mode);
	put32(w, gid);
	return end(w);
}

/* Tread and Treaddir share a layout. */
static int t_io(struct p9_wbuf *w, uint8_t type, uint16_t tag, uint32_t fid,
		uint64_t off, uint32_t count)
{
	begin(w, type, tag);
	put32(w, fid);
	put64(w, off);
	put32(w, count);
	return end(w);
}

int p9_tread(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint64_t off,
	     uint32_t count)
{
	return t_io(w, P9_TREAD, tag, fid, off, count);
}

int p9_treaddir(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint64_t off,
		uint32_t count)
{
	return t_io(w, P9_TREADDIR, tag, fid, off, count);
}

int p9_twrite(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint64_t off,
	      const void *data, uint32_t count)
{
	begin(w, P9_TWRITE, tag);
	put32(w, fid);
	put64(w, off);
	put32(w, count);
	put_bytes(w, data, count);
	return end(w);
}

int p9_tgetattr(struct p9_wbuf *w, uint16_t tag, uint32_t fid, uint64_t mask)
{
	begin(w, P9_TGETATTR, tag);
	put32(w, fid);
	put64(w, mask);
	return end(w);
}

int p9_tsetattr(struct p9_wbuf *w, uint16_t tag, uint32_t fid,
		const struct p9_setattr *a)
{
	begin(w, P9_TSETATTR, tag);
	put32(w, fid);
	put32(w, a->valid);
	put32(w, a->mode);
	put32(w, a->uid);
	put32(w, a->gid);
	put64(w, a->size);
	put64(w, a->atime_sec);
	put64(w, a->atime_nsec);
	put64(w, a->mtime_sec);
	put64(w, a->mtime_nsec);
	return end(w);
}

int p9_tmkdir(struct p9_wbuf *w, uint16_t tag, uint32_t dfid,
	      struct p9_str name, uint32_t mode, uint32_t gid)
{
	begin(w, P9_TMKDIR, tag);
	put32(w, dfid);
	put_str(w, name);
	put32(w, mode);
	put32(w, gid);
	return end(w);
}

int p9_tunlinkat(struct p9_wbuf *w, uint16_t tag, uint32_t dfid,
		 struct p9_str name, uint32_t flags)
{
	begin(w, P9_TUNLINKAT, tag);
	put32(w, dfid);
	put_str(w, name);
	put32(w, flags);
	return end(w);
}

int p9_trenameat(struct p9_wbuf *w, uint16_t tag, uint32_t odfid,
		 struct p9_str oname, uint32_t ndfid, struct p9_str nname)
{
	begin(w, P9_TRENAMEAT, tag);
	put32(w, odfid);
	put_str(w, oname);
	put32(w, ndfid);
	put_str(w, nname);
	return end(w);
}

int p9_tsymlink(struct p9_wbuf *w, uint16_t tag, uint32_t dfid,
		struct p9_str name, struct p9_str target, uint32_t gid)
{
	begin(w, P9_TSYMLINK, tag);
	put32(w, dfid);
	put_str(w, name);
	put_str(w, target);
	put32(w, gid);
	return end(w);
}

/* size[4] Tlink tag[2] dfid[4] fid[4] name[s]: name in dfid for fid's
 * file; Rlink has no body. */
int p9_tlink(struct p9_wbuf *w, uint16_t tag, uint32_t dfid, uint32_t fid,
	     struct p9_str name)
{
	begin(w, P9_TLINK, tag);
	put32(w, dfid);
	put32(w, fid);
	put_str(w, name);
	return end(w);
}

int p9_tfid(struct p9_wbuf *w, uint8_t type, uint16_t tag, uint32_t fid)
{
	begin(w, type, tag);
	put32(w, fid);
	return end(w);
}

int p9_tfsync(struct p9_wbuf *w, uint16_t tag, uint32_t fid, bool datasync)
{
	begin(w, P9_TFSYNC, tag);
	put32(w, fid);
	put32(w, datasync);
	return end(w);
}

/* ---- reading ---- */
static const uint8_t *take(struct p9_rbuf *r, uint32_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return 0;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

static uint64_t get_le(struct p9_rbuf *r, unsigned n)
{
	const uint8_t *p = take(r, n);
	uint64_t v = 0;

	for (unsigned i = 0; p && i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t get8(struct p9_rbuf *r)
{
	return (uint8_t)get_le(r, 1);
}
static uint16_t get16(struct p9_rbuf *r)
{
	return (uint16_t)get_le(r, 2);
}
static uint32_t get32(struct p9_rbuf *r)
{
	return (uint32_t)get_le(r, 4);
}
static uint64_t get64(struct p9_rbuf *r)
{
	return get_le(r, 8);
}

static struct p9_str get_str(struct p9_rbuf *r)
{
	uint16_t n = get16(r);
	const uint8_t *p = take(r, n);

	return (struct p9_str){(const char *)p, p ? n : 0};
}

static void get_qid(struct p9_rbuf *r, struct p9_qid *q)
{
	q->type = get8(r);
	q->version = get32(r);
	q->path = get64(r);
}

/* The end of a decoder: all read, and nothing read past the end. */
static int done(struct p9_rbuf *r)
{
	return r->bad || r->pos != r->len ? -E_IO : 0;
}

int p9_reply(struct p9_rbuf *r, const void *buf, size_t n, uint8_t type,
	     uint16_t tag)
{
	uint32_t size;
	uint8_t rtype;

	*r = (struct p9_rbuf){buf, n > 0xffffffffu ? 0 : (uint32_t)n, 0, false};
	size = get32(r);
	rtype = get8(r);
	if (r->bad || size < P9_HDR || size > r->len || get16(r) != tag)
		return -E_IO;
	r->len = size; /* the rest of the buffer is not the message's */
	if (rtype == P9_RLERROR) {
		uint32_t e = get32(r);

		return done(r) || e == 0 || e > E_MAX ? -E_IO : -(int)e;
	}
	return rtype == type + 1 ? 0 : -E_IO;
}

int p9_rversion(struct p9_rbuf *r, uint32_t *msize, struct p9_str *version)
{
	*msize = get32(r);
	*version = get_str(r);
	return done(r);
}

int p9_rqid(struct p9_rbuf *r, struct p9_qid *qid)
{
	get_qid(r, qid);
	return done(r);
}

int p9_rwalk(struct p9_rbuf *r, unsigned max, unsigned *n, struct p9_qid *qids)
{
	*n = get16(r);
	if (*n > max)
		return -E_IO;
	for (unsigned i = 0; i < *n; i++)
		get_qid(r, &qids[i]);
	return done(r);
}

int p9_ropen(struct p9_rbuf *r, struct p9_qid *qid, uint32_t *iounit)
{
	get_qid(r, qid);
	*iounit = get32(r);
	return done(r);
}

int p9_rdata(struct p9_rbuf *r, uint32_t max, const uint8_t **data,
	     uint32_t *count)
{
	*count = get32(r);
	if (*count > max)
		return -E_IO;
	*data = take(r, *count);
	return done(r);
}

int p9_rwrite(struct p9_rbuf *r, uint32_t *count)
{
	*count = get32(r);
	return done(r);
}

int p9_rgetattr(struct p9_rbuf *r, struct p9_attr *a)
{
	a->valid = get64(r);
	get_qid(r, &a->qid);
	a->mode = get32(r);
	a->uid = get32(r);
	a->gid = get32(r);
	a->nlink = get64(r);
	a->rdev = get64(r);
	a->size = get64(r);
	a->blksize = get64(r);
	a->blocks = get64(r);
	a->atime_sec = get64(r);
	a->atime_nsec = get64(r);
	a->mtime_sec = get64(r);
	a->mtime_nsec = get64(r);
	a->ctime_sec = get64(r);
	a->ctime_nsec = get64(r);
	take(r, 8 * 4); /* btime, gen, data_version: unused */
	return done(r);
}

int p9_rreadlink(struct p9_rbuf *r, struct p9_str *target)
{
	*target = get_str(r);
	return done(r);
}

int p9_rstatfs(struct p9_rbuf *r, struct p9_statfs *st)
{
	st->type = get32(r);
	st->bsize = get32(r);
	st->blocks = get64(r);
	st->bfree = get64(r);
	st->bavail = get64(r);
	st->files = get64(r);
	st->ffree = get64(r);
	st->fsid = get64(r);
	st->namelen = get32(r);
	return done(r);
}

int p9_rempty(struct p9_rbuf *r)
{
	return done(r);
}

int p9_dirent_next(struct p9_rbuf *r, struct p9_dirent *d)
{
	if (r->pos == r->len)
		return 0;
	get_qid(r, &d->qid);
	d->next = get64(r);
	d->type = get8(r);
	d->name = get_str(r);
	return r->bad ? -E_IO : 1;
}
