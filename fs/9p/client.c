/*
 * The 9P2000.L client: each call allocates its request and reply
 * buffers (pages, so the transport can hand them to a device by
 * physical address), encodes the request under a fresh tag, sends it
 * through the transport and decodes the reply (fs/9p/p9_msg.c checks
 * every byte the server sent). Nothing is shared between calls but the
 * atomic fid and tag counters, so threads call concurrently and the
 * transport keeps as many requests in flight as it has room for.
 *
 * msize: we offer P9_MSIZE (less if the transport carries less); the
 * server answers with what it takes, at most that, and no read or write
 * ever asks for more than msize less the I/O header.
 */
#include "fs/9p/client.h"
#include "fs/fs_private.h"

#define P9_MSIZE (128u * 1024)
#define P9_MIN_MSIZE 4096u
#define SMALL 4096u /* a request or reply without data */

struct call {
	struct p9_wbuf w;
	struct p9_rbuf r;
	uint8_t *rx;
	uint32_t rxcap;
	unsigned txorder, rxorder;
	uint16_t tag;
	bool lost; /* the transport broke holding the buffers: never freed */
};

static unsigned order_of(uint32_t bytes)
{
	unsigned o = 0;

	while ((4096u << o) < bytes)
		o++;
	return o;
}

/* Buffers for a request of at most txcap bytes and a reply of rxcap. */
static int call_begin(struct p9_client *c, struct call *k, uint32_t txcap,
		      uint32_t rxcap)
{
	k->txorder = order_of(txcap);
	k->rxorder = order_of(rxcap);
	k->w = (struct p9_wbuf){page_alloc(k->txorder), txcap, 0, false};
	k->rx = page_alloc(k->rxorder);
	k->rxcap = rxcap;
	k->lost = false;
	k->tag =
	    (uint16_t)(__atomic_fetch_add(&c->next_tag, 1, __ATOMIC_RELAXED) %
		       P9_NOTAG);
	if (k->w.buf && k->rx)
		return 0;
	if (k->w.buf)
		page_free(k->w.buf, k->txorder);
	if (k->rx)
		page_free(k->rx, k->rxorder);
	return -ENOMEM;
}

static void call_end(struct call *k)
{
	if (k->lost)
		return;
	page_free(k->w.buf, k->txorder);
	page_free(k->rx, k->rxorder);
}

/* Sends the encoded request (enc: the encoder's answer) and checks the
 * reply's header: then k->r is its body. */
static int call_send(struct p9_client *c, struct call *k, int enc, uint8_t type)
{
	int64_t n;

	if (enc)
		return enc == -ENOSPC ? -ENAMETOOLONG : enc;
	n = c->t->rpc(c->t, k->w.buf, k->w.len, k->rx, k->rxcap);
	if (n == -EPIPE)
		k->lost = true;
	if (n < 0)
		return n == -EPIPE ? -EIO : (int)n;
	return p9_reply(&k->r, k->rx, (size_t)n, type, k->tag);
}

static struct p9_str str(const char *s, size_t len)
{
	return (struct p9_str){s, (uint16_t)MIN(len, 0xffffu)};
}

uint32_t p9c_fid(struct p9_client *c)
{
	uint32_t f = __atomic_fetch_add(&c->next_fid, 1, __ATOMIC_RELAXED);

	return f == P9_NOFID ? p9c_fid(c) : f;
}

static int check_version(struct p9_client *c, struct call *k)
{
	struct p9_str v;
	uint32_t msize;
	int err = p9_rversion(&k->r, &msize, &v);

	if (err)
		return err;
	if (v.len != 8 || memcmp(v.s, "9P2000.L", 8)) {
		kprintf("osprey: 9p %s: the server does not speak 9P2000.L\n",
			c->t->tag);
		return -EOPNOTSUPP;
	}
	if (msize < P9_MIN_MSIZE || msize > c->msize)
		return -EIO;
	c->msize = msize;
	return 0;
}

int p9c_connect(struct p9_client *c, struct p9_transport *t)
{
	struct call k;
	int err;

	c->t = t;
	c->msize = MIN(P9_MSIZE, t->max_msize);
	c->next_fid = 1;
	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	k.tag = P9_NOTAG;
	err = call_send(c, &k, p9_tversion(&k.w, c->msize, "9P2000.L"),
			P9_TVERSION);
	if (!err)
		err = check_version(c, &k);
	call_end(&k);
	return err;
}

int p9c_attach(struct p9_client *c, uint32_t fid, struct p9_qid *qid)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	err = call_send(c, &k, p9_tattach(&k.w, k.tag, fid, "root", "", 0),
			P9_TATTACH);
	if (!err)
		err = p9_rqid(&k.r, qid);
	call_end(&k);
	return err;
}

int p9c_walk(struct p9_client *c, uint32_t fid, uint32_t newfid,
	     const char *name, size_t len, struct p9_qid *qid)
{
	struct p9_str s = str(name, len);
	struct p9_qid q[1];
	unsigned n = 0;
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	err = call_send(c, &k,
			p9_twalk(&k.w, k.tag, fid, newfid, len ? 1 : 0, &s),
			P9_TWALK);
	if (!err)
		err = p9_rwalk(&k.r, 1, &n, q);
	if (!err && len && n != 1)
		err = -ENOENT; /* a walk that stopped short made no fid */
	if (!err && len)
		*qid = q[0];
	call_end(&k);
	return err;
}

/* A request whose reply is a qid and an iounit (lopen, lcreate). */
static int opened(struct p9_client *c, struct call *k, int enc, uint8_t type)
{
	struct p9_qid qid;
	uint32_t iounit;
	int err = call_send(c, k, enc, type);

	if (!err)
		err = p9_ropen(&k->r, &qid, &iounit);
	call_end(k);
	return err;
}

int p9c_lopen(struct p9_client *c, uint32_t fid, uint32_t flags)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	return opened(c, &k, p9_tlopen(&k.w, k.tag, fid, flags), P9_TLOPEN);
}

int p9c_lcreate(struct p9_client *c, uint32_t fid, const char *name, size_t len,
		uint32_t flags, uint32_t mode, uint32_t gid)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	return opened(
	    c, &k,
	    p9_tlcreate(&k.w, k.tag, fid, str(name, len), flags, mode, gid),
	    P9_TLCREATE);
}

/* The most data one read, write or readdir moves. */
static uint32_t io_max(struct p9_client *c)
{
	return c->msize - P9_IOHDR;
}

int64_t p9c_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf,
		 size_t n)
{
	uint32_t count = (uint32_t)MIN(n, (size_t)io_max(c)), got;
	const uint8_t *data;
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, count + P9_IOHDR)))
		return err;
	err =
	    call_send(c, &k, p9_tread(&k.w, k.tag, fid, off, count), P9_TREAD);
	if (!err)
		err = p9_rdata(&k.r, count, &data, &got);
	if (!err)
		memcpy(buf, data, got);
	call_end(&k);
	return err ? err : (int64_t)got;
}

int64_t p9c_write(struct p9_client *c, uint32_t fid, uint64_t off,
		  const void *buf, size_t n)
{
	uint32_t count = (uint32_t)MIN(n, (size_t)io_max(c)), done = 0;
	struct call k;
	int err;

	if ((err = call_begin(c, &k, count + P9_IOHDR, SMALL)))
		return err;
	err = call_send(c, &k, p9_twrite(&k.w, k.tag, fid, off, buf, count),
			P9_TWRITE);
	if (!err)
		err = p9_rwrite(&k.r, &done);
	if (!err && done > count)
		err = -EIO;
	call_end(&k);
	return err ? err : (int64_t)done;
}

int p9c_getattr(struct p9_client *c, uint32_t fid, struct p9_attr *a)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	err = call_send(c, &k, p9_tgetattr(&k.w, k.tag, fid, P9_GETATTR_BASIC),
			P9_TGETATTR);
	if (!err)
		err = p9_rgetattr(&k.r, a);
	call_end(&k);
	return err;
}

/* A request whose reply has no body. */
static int empty(struct p9_client *c, struct call *k, int enc, uint8_t type)
{
	int err = call_send(c, k, enc, type);

	if (!err)
		err = p9_rempty(&k->r);
	call_end(k);
	return err;
}

int p9c_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *a)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	return empty(c, &k, p9_tsetattr(&k.w, k.tag, fid, a), P9_TSETATTR);
}

/* One Rreaddir's entries to fn; the offset after the last one taken,
 * or -1 when fn said stop; *n the entries seen. */
static int64_t dirents(struct p9_rbuf *r, uint64_t off, unsigned *n,
		       bool (*fn)(void *, const struct p9_dirent *), void *arg)
{
	struct p9_dirent d;
	int k;

	while ((k = p9_dirent_next(r, &d)) == 1) {
		if (!fn(arg, &d))
			return -1;
		off = d.next;
		(*n)++;
	}
	return k < 0 ? -2 : (int64_t)off;
}

int p9c_link(struct p9_client *c, uint32_t dfid, uint32_t fid,
	     const char *name, size_t len)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	return empty(c, &k, p9_tlink(&k.w, k.tag, dfid, fid, str(name, len)),
		     P9_TLINK);
}

int p9c_readdir(struct p9_client *c, uint32_t fid, uint64_t off,
		bool (*fn)(void *arg, const struct p9_dirent *d), void *arg)
{
	uint32_t count = MIN(io_max(c), 16384u), got;
	const uint8_t *data;
	unsigned n;
	int64_t next;
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, count + P9_IOHDR)))
		return err;
	do {
		err =
		    call_send(c, &k, p9_treaddir(&k.w, k.tag, fid, off, count),
			      P9_TREADDIR);
		if (!err)
			err = p9_rdata(&k.r, count, &data, &got);
		if (err)
			break;
		struct p9_rbuf r = {data, got, 0, false};
		n = 0;
		next = dirents(&r, off, &n, fn, arg);
		if (next == -2)
			err = -EIO;
		off = (uint64_t)next;
	} while (!err && next >= 0 && n);
	call_end(&k);
	return err;
}

int p9c_mkdir(struct p9_client *c, uint32_t dfid, const char *name, size_t len,
	      uint32_t mode, uint32_t gid)
{
	struct p9_qid qid;
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	err = call_send(c, &k,
			p9_tmkdir(&k.w, k.tag, dfid, str(name, len), mode, gid),
			P9_TMKDIR);
	if (!err)
		err = p9_rqid(&k.r, &qid);
	call_end(&k);
	return err;
}

int p9c_unlinkat(struct p9_client *c, uint32_t dfid, const char *name,
		 size_t len, uint32_t flags)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	return empty(c, &k,
		     p9_tunlinkat(&k.w, k.tag, dfid, str(name, len), flags),
		     P9_TUNLINKAT);
}

int p9c_renameat(struct p9_client *c, uint32_t odfid, const char *oname,
		 size_t olen, uint32_t ndfid, const char *nname, size_t nlen)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	return empty(c, &k,
		     p9_trenameat(&k.w, k.tag, odfid, str(oname, olen), ndfid,
				  str(nname, nlen)),
		     P9_TRENAMEAT);
}

int p9c_symlink(struct p9_client *c, uint32_t dfid, const char *name,
		size_t len, const char *target, uint32_t gid)
{
	struct p9_qid qid;
	struct call k;
	int err;

	if ((err = call_begin(c, &k, 2 * SMALL, SMALL)))
		return err;
	err = call_send(c, &k,
			p9_tsymlink(&k.w, k.tag, dfid, str(name, len),
				    str(target, strlen(target)), gid),
			P9_TSYMLINK);
	if (!err)
		err = p9_rqid(&k.r, &qid);
	call_end(&k);
	return err;
}

int p9c_readlink(struct p9_client *c, uint32_t fid, char *buf, size_t size)
{
	struct p9_str s;
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, 2 * SMALL)))
		return err;
	err = call_send(c, &k, p9_tfid(&k.w, P9_TREADLINK, k.tag, fid),
			P9_TREADLINK);
	if (!err)
		err = p9_rreadlink(&k.r, &s);
	if (!err && (s.len >= size || strnlen(s.s, s.len) != s.len))
		err = -EIO;
	if (!err) {
		memcpy(buf, s.s, s.len);
		buf[s.len] = '\0';
		err = s.len;
	}
	call_end(&k);
	return err;
}

int p9c_fsync(struct p9_client *c, uint32_t fid, bool datasync)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	return empty(c, &k, p9_tfsync(&k.w, k.tag, fid, datasync), P9_TFSYNC);
}

int p9c_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *st)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	err =
	    call_send(c, &k, p9_tfid(&k.w, P9_TSTATFS, k.tag, fid), P9_TSTATFS);
	if (!err)
		err = p9_rstatfs(&k.r, st);
	call_end(&k);
	return err;
}

int p9c_clunk(struct p9_client *c, uint32_t fid)
{
	struct call k;
	int err;

	if ((err = call_begin(c, &k, SMALL, SMALL)))
		return err;
	return empty(c, &k, p9_tfid(&k.w, P9_TCLUNK, k.tag, fid), P9_TCLUNK);
}
