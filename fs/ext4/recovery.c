/*
 * Journal replay at mount (format: jbd2.h), in jbd2's three passes over
 * the log from s_start:
 *   scan    finds the end: the first block that is not the next
 *           transaction's (wrong magic or id), or a commit block whose
 *           checksum fails (a torn commit). Everything before it is
 *           committed; a committed transaction with a bad descriptor or
 *           revoke checksum, a bad data block checksum or a home block
 *           out of range stops the replay (-EBADMSG, -EUCLEAN) before
 *           anything was written, with a message.
 *   revoke  collects the revoke records of the committed transactions.
 *   replay  writes each data block home (its magic restored if it was
 *           escaped) unless a later transaction revoked it.
 * Then the device is flushed, the log marked empty (s_start 0, the next
 * id in s_sequence) and needs_recovery cleared in the ext4 superblock.
 * Every walk is bounded by the log's length.
 */
#include "fs/ext4/jbd2.h"

enum pass { SCAN, REVOKE, REPLAY };

struct revoke {
	uint64_t blk;
	uint32_t seq;
};

struct recovery {
	struct jbd2 j;
	uint8_t *buf, *data; /* one block each */
	uint32_t end;	     /* the id of the first uncommitted transaction */
	int tx_err;	     /* scan: what is wrong with this transaction, */
	const char *tx_what; /* said only if it commits */
	uint64_t tx_blk;
	struct revoke *revs; /* sorted by blk after the revoke pass */
	size_t nrevs, caprevs;
};

/* tid order, wrapping as jbd2's tid_gt */
static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* A structural error in the transaction being scanned: fatal if it
 * commits (said then), the end of the log if it does not. */
static void tx_bad(struct recovery *r, int err, const char *what, uint64_t blk)
{
	if (r->tx_err)
		return;
	r->tx_err = err;
	r->tx_what = what;
	r->tx_blk = blk;
}

static int tx_fail(struct recovery *r)
{
	return ext4_fail(r->j.fs, r->tx_err,
			 "ext4: journal: transaction %u: %s (block %llu): "
			 "replay stopped",
			 r->end, r->tx_what, (unsigned long long)r->tx_blk);
}

struct tag {
	uint64_t blk;
	uint32_t flags, csum;
};

/* The tag at *off of descriptor d; false past the last. */
static bool next_tag(const struct recovery *r, const uint8_t *d, size_t *off,
		     struct tag *t)
{
	const struct jbd2 *j = &r->j;
	size_t end = r->j.fs->block_size - (j->csum ? JBD2_TAIL : 0);
	bool v3 = j->incompat & JBD2_INCOMPAT_CSUM_V3;
	const uint8_t *p = d + *off;

	if (*off + j->tag_bytes > end)
		return false;
	t->blk = be32(p);
	t->flags = v3 ? be32(p + 4) : be16(p + 6);
	t->csum = v3 ? be32(p + 12) : be16(p + 4);
	if (j->incompat & JBD2_INCOMPAT_64BIT)
		t->blk |= (uint64_t)be32(p + 8) << 32;
	*off += j->tag_bytes + ((t->flags & JBD2_FLAG_SAME_UUID) ? 0 : 16);
	return *off <= end;
}

static bool data_csum_ok(const struct recovery *r, const struct tag *t,
			 uint32_t seq)
{
	uint32_t c = jbd2_data_csum(&r->j, seq, r->data);

	if (!r->j.csum)
		return true;
	if (r->j.incompat & JBD2_INCOMPAT_CSUM_V3)
		return c == t->csum;
	return (c & 0xFFFF) == t->csum;
}

static int replay_block(struct recovery *r, const struct tag *t, uint32_t seq)
{
	struct ext4_fs *fs = r->j.fs;
	size_t lo = 0, hi = r->nrevs;

	while (lo < hi) { /* the revoke of t->blk, if any */
		size_t mid = (lo + hi) / 2;

		if (r->revs[mid].blk < t->blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->nrevs && r->revs[lo].blk == t->blk &&
	    !seq_after(seq, r->revs[lo].seq))
		return 0; /* revoked by a later transaction (or this one) */
	if (t->flags & JBD2_FLAG_ESCAPE)
		put_be32(r->data, JBD2_MAGIC);
	return fs->dev->write(fs->dev, t->blk << (10 + fs->log_block_size),
			      r->data, fs->block_size);
}

/* The data blocks that follow descriptor r->buf at *pos. */
static int walk_tags(struct recovery *r, enum pass pass, uint32_t *pos,
		     uint32_t seq, uint32_t *steps)
{
	size_t off = JBD2_HDR;
	struct tag t;
	int err = 0;

	while (!err && next_tag(r, r->buf, &off, &t)) {
		if (++*steps > r->j.maxlen)
			return ext4_fail(r->j.fs, -EUCLEAN,
					 "ext4: journal: log loops");
		if (pass == SCAN && t.blk >= r->j.fs->blocks_count)
			tx_bad(r, -EUCLEAN, "home block out of range", t.blk);
		if ((pass == REPLAY || (pass == SCAN && r->j.csum)) &&
		    !(err = jbd2_read(&r->j, *pos, r->data))) {
			if (pass == SCAN && !data_csum_ok(r, &t, seq))
				tx_bad(r, -EBADMSG, "data block checksum",
				       t.blk);
			if (pass == REPLAY)
				err = replay_block(r, &t, seq);
		}
		*pos = jbd2_next(&r->j, *pos);
		if (t.flags & JBD2_FLAG_LAST_TAG)
			break;
	}
	return err;
}

static bool tail_ok(const struct recovery *r)
{
	uint32_t off = r->j.fs->block_size - JBD2_TAIL;

	return !r->j.csum ||
	       be32(r->buf + off) == jbd2_block_csum(&r->j, r->buf, off);
}

static int add_revoke(struct recovery *r, uint64_t blk, uint32_t seq)
{
	if (r->nrevs == r->caprevs) {
		size_t cap = r->caprevs ? 2 * r->caprevs : 64;
		struct revoke *n = malloc(cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		if (r->nrevs)
			memcpy(n, r->revs, r->nrevs * sizeof(*n));
		free(r->revs);
		r->revs = n;
		r->caprevs = cap;
	}
	r->revs[r->nrevs++] = (struct revoke){blk, seq};
	return 0;
}

static int walk_revoke(struct recovery *r, enum pass pass, uint32_t seq,
		       uint64_t pblk)
{
	bool wide = r->j.incompat & JBD2_INCOMPAT_64BIT;
	uint32_t n = be32(r->buf + JBD2_REVOKE_COUNT), step = wide ? 8 : 4;
	int err = 0;

	if (n < 16 || n > r->j.fs->block_size - (r->j.csum ? JBD2_TAIL : 0)) {
		tx_bad(r, -EUCLEAN, "revoke count out of range", pblk);
		return 0;
	}
	if (pass == SCAN && !tail_ok(r))
		tx_bad(r, -EBADMSG, "revoke block checksum", pblk);
	for (uint32_t off = 16; pass == REVOKE && !err && off + step <= n;
	     off += step) {
		uint64_t b = be32(r->buf + off);

		if (wide)
			b = b << 32 | be32(r->buf + off + 4);
		err = add_revoke(r, b, seq);
	}
	return err;
}

static bool commit_ok(const struct recovery *r)
{
	return !r->j.csum ||
	       be32(r->buf + JBD2_COMMIT_CSUM) ==
		   jbd2_block_csum(&r->j, r->buf, JBD2_COMMIT_CSUM);
}

/* One block of the log at *pos: 1 at the end of the log. */
static int step(struct recovery *r, enum pass pass, uint32_t *pos,
		uint32_t *seq, uint32_t *steps)
{
	uint64_t pblk;
	uint32_t type;
	int err;

	if (pass != SCAN && *seq == r->end)
		return 1;
	if (++*steps > r->j.maxlen)
		return pass == SCAN ? 1 : -EUCLEAN;
	if ((err = jbd2_bmap(&r->j, *pos, &pblk)) ||
	    (err = ext4_read_blocks(r->j.fs, pblk, 1, r->buf)))
		return err;
	type = be32(r->buf + 4);
	if (be32(r->buf) != JBD2_MAGIC || be32(r->buf + 8) != *seq)
		return 1;
	*pos = jbd2_next(&r->j, *pos);
	if (type == JBD2_DESCRIPTOR) {
		if (pass == SCAN && !tail_ok(r))
			tx_bad(r, -EBADMSG, "descriptor checksum", pblk);
		return walk_tags(r, pass, pos, *seq, steps);
	}
	if (type == JBD2_REVOKE)
		return walk_revoke(r, pass, *seq, pblk);
	if (type != JBD2_COMMIT)
		return 1; /* not a log block: the end */
	if (pass == SCAN && !commit_ok(r))
		return 1; /* a torn commit: the end */
	if (pass == SCAN && r->tx_err)
		return tx_fail(r);
	*seq += 1;
	if (pass == SCAN) {
		r->end = *seq;
		r->tx_err = 0;
	}
	return 0;
}

static int walk(struct recovery *r, enum pass pass)
{
	uint32_t pos = r->j.start, seq = r->j.seq, steps = 0;
	int err;

	r->tx_err = 0;
	if (pass == SCAN)
		r->end = seq;
	while (!(err = step(r, pass, &pos, &seq, &steps)))
		;
	return err < 0 ? err : 0;
}

/* Order: by block, the latest revoke of a block first. */
static bool revoke_before(const struct revoke *x, const struct revoke *y)
{
	return x->blk != y->blk ? x->blk < y->blk : seq_after(x->seq, y->seq);
}

/* Heapsort (no qsort in the kernel): n log n for any log. */
static void sift(struct revoke *v, size_t i, size_t n)
{
	for (size_t c; (c = 2 * i + 1) < n; i = c) {
		struct revoke t;

		if (c + 1 < n && revoke_before(&v[c], &v[c + 1]))
			c++;
		if (!revoke_before(&v[i], &v[c]))
			return;
		t = v[i], v[i] = v[c], v[c] = t;
	}
}

static void heapsort_revokes(struct revoke *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (size_t end = n; end-- > 1;) {
		struct revoke t = v[0];

		v[0] = v[end], v[end] = t;
		sift(v, 0, end);
	}
}

/* Sorted by block, the latest revoke of each block first, then alone. */
static void sort_revokes(struct recovery *r)
{
	size_t n = 0;

	if (!r->nrevs)
		return;
	heapsort_revokes(r->revs, r->nrevs);
	for (size_t i = 0; i < r->nrevs; i++)
		if (!n || r->revs[n - 1].blk != r->revs[i].blk)
			r->revs[n++] = r->revs[i];
	r->nrevs = n;
}

/* needs_recovery off, in the superblock as the replay left it. */
static int clear_recover(struct ext4_fs *fs)
{
	int err = fs->dev->read(fs->dev, EXT4_SB_OFFSET, fs->sb, EXT4_SB_SIZE);

	if (err)
		return err;
	put32(fs->sb + EXT4_SB_FEATURE_INCOMPAT,
	      get32(fs->sb, EXT4_SB_FEATURE_INCOMPAT) & ~EXT4_INCOMPAT_RECOVER);
	return ext4_write_super(fs);
}

static int replay(struct recovery *r)
{
	struct ext4_fs *fs = r->j.fs;
	int err;

	if ((err = walk(r, SCAN)) || (err = walk(r, REVOKE)))
		return err;
	sort_revokes(r);
	if ((err = walk(r, REPLAY)))
		return err;
	if (fs->dev->flush && (err = fs->dev->flush(fs->dev)))
		return err;
	put_be32(r->j.sb + JBD2_SB_START, 0);
	put_be32(r->j.sb + JBD2_SB_SEQUENCE, r->end);
	if ((err = jbd2_write_sb(&r->j)))
		return err;
	if (fs->dev->flush && (err = fs->dev->flush(fs->dev)))
		return err;
	return clear_recover(fs);
}

int jbd2_recover(struct ext4_fs *fs)
{
	struct recovery r = {0};
	int err;

	if (!fs->dev->write)
		return ext4_fail(
		    fs, -EROFS,
		    "ext4: the journal needs replay but the device "
		    "is read-only");
	if ((err = jbd2_open(fs, &r.j)))
		return err;
	r.buf = ext4_block_alloc(fs);
	r.data = ext4_block_alloc(fs);
	if (!r.buf || !r.data)
		err = -ENOMEM;
	else if (r.j.start) /* 0: nothing logged */
		err = replay(&r);
	else
		err = clear_recover(fs);
	if (!err && fs->dev->flush)
		err = fs->dev->flush(fs->dev);
	free(r.buf);
	free(r.data);
	free(r.revs);
	jbd2_close(&r.j);
	return err;
}
