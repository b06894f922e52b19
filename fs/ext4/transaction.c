/*
 * Metadata through the journal (jbd2, format: jbd2.h), in ordered mode.
 *
 * One running transaction collects, by home block number, a copy of every
 * metadata block the write path changed (bitmaps, group descriptors,
 * inode tables, extent and directory blocks, and the block holding the
 * superblock): ext4_write_meta puts the copy here instead of on the disk,
 * and ext4_read_blocks lays the copies over what it read, so the library
 * sees its own changes. File data is not journaled: write() puts it on
 * the disk at once, before any transaction that points at it commits.
 *
 * Commit, in this order, each step on the disk before the next starts
 * (a flush between):
 *   1. the log from its first block: descriptor blocks (a tag per block:
 *      home number, flags, the copy's checksum with csum v2/v3), each
 *      followed by its copies (one starting with the jbd2 magic is
 *      stored with it zeroed and its tag marked ESCAPE); the journal
 *      superblock pointing at them (s_start = s_first, s_sequence = the
 *      transaction's id); the ext4 superblock as last committed, with
 *      needs_recovery set. File data written before is flushed with it.
 *   2. the commit block (its own checksum with csum v2/v3). From here on
 *      a crash replays the transaction (recovery.c, or e2fsck).
 *   3. checkpoint: every copy written home.
 *   4. the journal superblock marked empty (s_start 0, the next id),
 *      then the superblock without needs_recovery.
 * So between commits the file system on disk is clean: a crash loses
 * the running transaction (what no fsync acknowledged) and nothing
 * else; inside a commit it needs the replay of one transaction.
 *
 * Blocks freed in the running transaction are not handed out again until
 * it commits (ext4_journal_busy): a crash before the commit leaves the
 * old owner pointing at them, so they must still hold what it wrote. A
 * journaled block that is freed leaves the transaction (forget), so that
 * its stale copy cannot overwrite a later owner's data at checkpoint.
 *
 * A transaction commits on fsync, fdatasync, syncfs and sync
 * (ext4_sync), at unmount, when the VFS adapter finds it more than half
 * the log between two operations (ext4_commit_if_full) or old (its
 * timer), and, mid-operation, when it fills the log (reported: the
 * operation is then not atomic) or when an allocation finds no free
 * block but those the transaction freed (as Linux retries one).
 *
 * All of it runs under the callers' write serialization (ext4.h).
 */
#include "fs/ext4/jbd2.h"

#define JHASH 256

struct jblock {
	uint64_t pblk;
	struct jblock *next; /* hash chain */
	uint8_t data[];	     /* block_size bytes */
};

struct freed {
	uint64_t start;
	uint32_t n;
};

struct ext4_journal {
	struct jbd2 j;
	uint32_t tid; /* the running transaction's id */
	struct jblock *hash[JHASH];
	struct jblock **blocks; /* in order of first change; NULL: forgotten */
	uint32_t nblocks, cap, live;
	uint32_t limit; /* copies that fit in the log with their descriptors */
	struct freed *freed;
	size_t nfreed, capfreed;
	uint64_t sb_pblk;	       /* the block holding the superblock */
	uint32_t sb_off;	       /* its byte offset there */
	uint8_t sb_home[EXT4_SB_SIZE]; /* the superblock as committed */
	uint8_t *buf;		       /* a block: descriptors, commit */
	bool full_said;
};

static unsigned jhash(uint64_t pblk)
{
	return (unsigned)((pblk * 0x9E3779B97F4A7C15ull) >> 56) % JHASH;
}

static struct jblock *jfind(struct ext4_journal *jn, uint64_t pblk)
{
	struct jblock *b = jn->hash[jhash(pblk)];

	while (b && b->pblk != pblk)
		b = b->next;
	return b;
}

/* Tags one descriptor holds (the first one carries the 16-byte uuid). */
static uint32_t tags_per_desc(const struct ext4_journal *jn)
{
	const struct jbd2 *j = &jn->j;
	uint32_t space =
	    j->fs->block_size - JBD2_HDR - (j->csum ? JBD2_TAIL : 0);

	return 1 + (space - j->tag_bytes - 16) / j->tag_bytes;
}

/* ---- the running transaction ---- */
static int grow(struct ext4_journal *jn)
{
	uint32_t cap = jn->cap ? 2 * jn->cap : 64;
	struct jblock **n = malloc(cap * sizeof(*n));

	if (!n)
		return -ENOMEM;
	if (jn->nblocks)
		memcpy(n, jn->blocks, jn->nblocks * sizeof(*n));
	free(jn->blocks);
	jn->blocks = n;
	jn->cap = cap;
	return 0;
}

static void txn_drop(struct ext4_journal *jn)
{
	for (uint32_t i = 0; i < jn->nblocks; i++)
		free(jn->blocks[i]);
	memset(jn->hash, 0, sizeof(jn->hash));
	jn->nblocks = jn->live = 0;
	jn->nfreed = 0;
}

static int txn_add(struct ext4_fs *fs, uint64_t pblk, const void *buf)
{
	struct ext4_journal *jn = fs->jnl;
	struct jblock *b = jfind(jn, pblk);
	int err;

	if (!b && jn->live >= jn->limit) {
		if (!jn->full_said)
			ext4_fail(fs, 0,
				  "ext4: journal: an operation filled "
				  "the log: committed in its middle");
		jn->full_said = true;
		if ((err = ext4_journal_commit(fs)))
			return err;
	}
	if (!b) {
		if (jn->nblocks == jn->cap && (err = grow(jn)))
			return err;
		if (!(b = malloc(sizeof(*b) + fs->block_size)))
			return -ENOMEM;
		b->pblk = pblk;
		b->next = jn->hash[jhash(pblk)];
		jn->hash[jhash(pblk)] = b;
		jn->blocks[jn->nblocks++] = b;
		jn->live++;
	}
	memcpy(b->data, buf, fs->block_size);
	return 0;
}

int ext4_write_meta(struct ext4_fs *fs, uint64_t pblk, const void *buf)
{
	if (!fs->jnl)
		return ext4_write_blocks(fs, pblk, 1, buf);
	if (!ext4_block_valid(fs, pblk, 1))
		return ext4_fail(fs, -EUCLEAN, "ext4: writing block %llu",
				 (unsigned long long)pblk);
	return txn_add(fs, pblk, buf);
}

/* The superblock joins the transaction as the block that holds it,
 * needs_recovery set (as Linux journals it). */
int ext4_journal_super(struct ext4_fs *fs)
{
	struct ext4_journal *jn = fs->jnl;
	struct jblock *b = jfind(jn, jn->sb_pblk);
	uint8_t *blk = ext4_block_alloc(fs);
	int err;

	if (!blk)
		return -ENOMEM;
	if (b)
		memcpy(blk, b->data, fs->block_size);
	else if ((err = fs->dev->read(fs->dev, jn->sb_pblk * fs->block_size,
				      blk, fs->block_size)))
		goto out;
	memcpy(blk + jn->sb_off, fs->sb, EXT4_SB_SIZE);
	put32(blk + jn->sb_off + EXT4_SB_FEATURE_INCOMPAT,
	      get32(fs->sb, EXT4_SB_FEATURE_INCOMPAT) | EXT4_INCOMPAT_RECOVER);
	ext4_sb_csum_set(fs, blk + jn->sb_off);
	err = txn_add(fs, jn->sb_pblk, blk);
out:
	free(blk);
	return err;
}

void ext4_journal_overlay(struct ext4_fs *fs, uint64_t pblk, uint32_t count,
			  uint8_t *buf)
{
	struct ext4_journal *jn = fs->jnl;

	if (!jn || !jn->live)
		return;
	for (uint32_t i = 0; i < count; i++) {
		struct jblock *b = jfind(jn, pblk + i);

		if (b)
			memcpy(buf + (size_t)i * fs->block_size, b->data,
			       fs->block_size);
	}
}

static void forget_one(struct ext4_journal *jn, uint64_t pblk)
{
	struct jblock **pp = &jn->hash[jhash(pblk)], *b;

	while ((b = *pp) && b->pblk != pblk)
		pp = &b->next;
	if (!b)
		return;
	*pp = b->next;
	for (uint32_t i = 0; i < jn->nblocks; i++)
		if (jn->blocks[i] == b)
			jn->blocks[i] = NULL;
	free(b);
	jn->live--;
}

int ext4_journal_forget(struct ext4_fs *fs, uint64_t start, uint32_t n)
{
	struct ext4_journal *jn = fs->jnl;

	if (!jn)
		return 0;
	for (uint32_t i = 0; i < n && jn->live; i++)
		forget_one(jn, start + i);
	if (jn->nfreed &&
	    jn->freed[jn->nfreed - 1].start + jn->freed[jn->nfreed - 1].n ==
		start) {
		jn->freed[jn->nfreed - 1].n += n;
		return 0;
	}
	if (jn->nfreed == jn->capfreed) {
		size_t cap = jn->capfreed ? 2 * jn->capfreed : 32;
		struct freed *f = malloc(cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		if (jn->nfreed)
			memcpy(f, jn->freed, jn->nfreed * sizeof(*f));
		free(jn->freed);
		jn->freed = f;
		jn->capfreed = cap;
	}
	jn->freed[jn->nfreed++] = (struct freed){start, n};
	return 0;
}

bool ext4_journal_busy(const struct ext4_fs *fs, uint64_t pblk)
{
	const struct ext4_journal *jn = fs->jnl;

	for (size_t i = 0; jn && i < jn->nfreed; i++)
		if (pblk - jn->freed[i].start < jn->freed[i].n)
			return true;
	return false;
}

bool ext4_journal_has_freed(const struct ext4_fs *fs)
{
	return fs->jnl && fs->jnl->nfreed;
}

/* ---- commit ---- */
/* Writes the superblock as committed, with needs_recovery or not. */
static int write_home_sb(struct ext4_fs *fs, bool recover)
{
	struct ext4_journal *jn = fs->jnl;
	uint8_t sb[EXT4_SB_SIZE];
	uint32_t in = get32(jn->sb_home, EXT4_SB_FEATURE_INCOMPAT);
	int err;

	memcpy(sb, jn->sb_home, EXT4_SB_SIZE);
	in = recover ? in | EXT4_INCOMPAT_RECOVER : in & ~EXT4_INCOMPAT_RECOVER;
	put32(sb + EXT4_SB_FEATURE_INCOMPAT, in);
	ext4_sb_csum_set(fs, sb);
	err = fs->dev->write(fs->dev, EXT4_SB_OFFSET, sb, EXT4_SB_SIZE);
	return err ? ext4_fail(fs, err, "ext4: writing the superblock") : 0;
}

static int flush(struct ext4_fs *fs)
{
	int err = fs->dev->flush ? fs->dev->flush(fs->dev) : 0;

	return err ? ext4_fail(fs, err, "ext4: journal: flush failed") : 0;
}

static int write_jsb(struct ext4_journal *jn, uint32_t start, uint32_t seq)
{
	put_be32(jn->j.sb + JBD2_SB_START, start);
	put_be32(jn->j.sb + JBD2_SB_SEQUENCE, seq);
	return jbd2_write_sb(&jn->j);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One tag at p for block b, whose log copy is `copy`. */
static void put_tag(const struct ext4_journal *jn, uint8_t *p, uint64_t blk,
		    uint32_t flags, const uint8_t *copy)
{
	const struct jbd2 *j = &jn->j;
	uint32_t c = j->csum ? jbd2_data_csum(j, jn->tid, copy) : 0;

	put_be32(p, (uint32_t)blk);
	if (j->incompat & JBD2_INCOMPAT_CSUM_V3) {
		put_be32(p + 4, flags);
		put_be32(p + 12, c);
	} else {
		put_be16(p + 4, (uint16_t)c);
		put_be16(p + 6, (uint16_t)flags);
	}
	if (j->incompat & JBD2_INCOMPAT_64BIT)
		put_be32(p + 8, (uint32_t)(blk >> 32));
}

static void put_hdr(uint8_t *blk, uint32_t type, uint32_t tid)
{
	put_be32(blk, JBD2_MAGIC);
	put_be32(blk + 4, type);
	put_be32(blk + 8, tid);
}

/* The copies blocks[*i..] that one descriptor at *pos covers: the copies
 * after it, then the descriptor. */
static int write_desc(struct ext4_journal *jn, uint32_t *i, uint32_t *pos,
		      uint8_t *copy)
{
	struct ext4_fs *fs = jn->j.fs;
	uint32_t bs = fs->block_size, dpos = *pos, per = tags_per_desc(jn);
	size_t off = JBD2_HDR;
	uint8_t *last = NULL;
	int err = 0;

	memset(jn->buf, 0, bs);
	put_hdr(jn->buf, JBD2_DESCRIPTOR, jn->tid);
	*pos = jbd2_next(&jn->j, *pos);
	for (uint32_t k = 0; k < per && *i < jn->nblocks && !err; (*i)++) {
		struct jblock *b = jn->blocks[*i];
		uint32_t flags = k ? JBD2_FLAG_SAME_UUID : 0;

		if (!b)
			continue;
		memcpy(copy, b->data, bs);
		if (be32(copy) == JBD2_MAGIC) {
			put_be32(copy, 0);
			flags |= JBD2_FLAG_ESCAPE;
		}
		put_tag(jn, jn->buf + off, b->pblk, flags, copy);
		last = jn->buf + off;
		off += jn->j.tag_bytes;
		if (!k++) {
			memcpy(jn->buf + off, jn->j.sb + JBD2_SB_UUID, 16);
			off += 16;
		}
		err = jbd2_write(&jn->j, *pos, copy);
		*pos = jbd2_next(&jn->j, *pos);
	}
	if (err || !last)
		return err;
	if (jn->j.incompat & JBD2_INCOMPAT_CSUM_V3)
		put_be32(last + 4, be32(last + 4) | JBD2_FLAG_LAST_TAG);
	else
		put_be16(last + 6,
			 (uint16_t)(be16(last + 6) | JBD2_FLAG_LAST_TAG));
	if (jn->j.csum)
		put_be32(jn->buf + bs - JBD2_TAIL,
			 jbd2_block_csum(&jn->j, jn->buf, bs - JBD2_TAIL));
	return jbd2_write(&jn->j, dpos, jn->buf);
}

/* Step 1: descriptors and copies from the log's first block; *pos ends
 * where the commit block goes. */
static int write_log(struct ext4_journal *jn, uint32_t *pos)
{
	uint8_t *copy = ext4_block_alloc(jn->j.fs);
	uint32_t i = 0;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	*pos = jn->j.first;
	while (!err && i < jn->nblocks)
		err = write_desc(jn, &i, pos, copy);
	free(copy);
	return err;
}

static int write_commit(struct ext4_journal *jn, uint32_t pos)
{
	struct ext4_fs *fs = jn->j.fs;
	int64_t now = fs->dev->now ? fs->dev->now(fs->dev) : 0;

	memset(jn->buf, 0, fs->block_size);
	put_hdr(jn->buf, JBD2_COMMIT, jn->tid);
	put_be32(jn->buf + 0x30, (uint32_t)((uint64_t)now >> 32));
	put_be32(jn->buf + 0x34, (uint32_t)now);
	if (jn->j.csum)
		put_be32(jn->buf + JBD2_COMMIT_CSUM,
			 jbd2_block_csum(&jn->j, jn->buf, JBD2_COMMIT_CSUM));
	return jbd2_write(&jn->j, pos, jn->buf);
}

/* Step 3: every copy home; the superblock's becomes the committed one. */
static int checkpoint(struct ext4_journal *jn)
{
	struct ext4_fs *fs = jn->j.fs;
	int err = 0;

	for (uint32_t i = 0; i < jn->nblocks && !err; i++) {
		struct jblock *b = jn->blocks[i];

		if (!b)
			continue;
		err = fs->dev->write(fs->dev, b->pblk * fs->block_size, b->data,
				     fs->block_size);
		if (b->pblk == jn->sb_pblk)
			memcpy(jn->sb_home, b->data + jn->sb_off, EXT4_SB_SIZE);
	}
	return err ? ext4_fail(fs, err, "ext4: journal: checkpoint failed") : 0;
}

int ext4_journal_commit(struct ext4_fs *fs)
{
	struct ext4_journal *jn = fs->jnl;
	uint32_t pos;
	int err;

	if (!jn || !jn->live) {
		if (jn)
			jn->nfreed = 0;
		return 0;
	}
	if ((err = write_log(jn, &pos)) ||
	    (err = write_jsb(jn, jn->j.first, jn->tid)) ||
	    (err = write_home_sb(fs, true)) || (err = flush(fs)) ||
	    (err = write_commit(jn, pos)) || (err = flush(fs)) ||
	    (err = checkpoint(jn)) || (err = flush(fs)) ||
	    (err = write_jsb(jn, 0, jn->tid + 1)) || (err = flush(fs)) ||
	    (err = write_home_sb(fs, false)) || (err = flush(fs)))
		return ext4_fail(fs, err ? err : -EIO,
				 "ext4: journal: commit of transaction %u "
				 "failed (error %d)",
				 jn->tid, err);
	jn->tid++;
	txn_drop(jn);
	return 0;
}

bool ext4_journal_pending(const struct ext4_fs *fs)
{
	return fs->jnl && fs->jnl->live;
}

int ext4_commit_if_full(struct ext4_fs *fs)
{
	struct ext4_journal *jn = fs->jnl;

	return jn && jn->live > jn->limit / 2 ? ext4_journal_commit(fs) : 0;
}

/* ---- opening and closing ---- */
/* Linux sets csum v3 (and 64bit) on the journal of a metadata_csum (a
 * 64bit) file system when it mounts it; we do as it does. */
static void set_features(struct ext4_journal *jn)
{
	struct jbd2 *j = &jn->j;
	uint32_t want = j->incompat;

	if (be32(j->sb + 4) != JBD2_SB_V2)
		return;
	if (j->fs->csum)
		want = (want & ~JBD2_INCOMPAT_CSUM_V2) | JBD2_INCOMPAT_CSUM_V3;
	if (j->fs->incompat & EXT4_INCOMPAT_64BIT)
		want |= JBD2_INCOMPAT_64BIT;
	put_be32(j->sb + JBD2_SB_COMPAT,
		 be32(j->sb + JBD2_SB_COMPAT) & ~JBD2_COMPAT_CHECKSUM);
	put_be32(j->sb + JBD2_SB_INCOMPAT, want);
	j->incompat = want;
	j->csum = want & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3);
	if (j->csum) {
		j->sb[JBD2_SB_CSUM_TYPE] = JBD2_CRC32C;
		j->seed = crc32c(~0u, j->sb + JBD2_SB_UUID, 16);
	}
	j->tag_bytes = want & JBD2_INCOMPAT_CSUM_V3 ? 16
		       : want & JBD2_INCOMPAT_64BIT ? 12 + (j->csum ? 2 : 0)
						    : 8 + (j->csum ? 2 : 0);
}

static int load(struct ext4_fs *fs, struct ext4_journal *jn)
{
	uint32_t per, room;
	int err;

	if ((err = jbd2_open(fs, &jn->j)))
		return err;
	set_features(jn);
	jn->tid = jn->j.seq;
	per = tags_per_desc(jn);
	room = jn->j.maxlen - jn->j.first - 1; /* less the commit block */
	jn->limit = room - (room + per) / (per + 1);
	jn->sb_pblk = EXT4_SB_OFFSET / fs->block_size;
	jn->sb_off = EXT4_SB_OFFSET % fs->block_size;
	memcpy(jn->sb_home, fs->sb, EXT4_SB_SIZE);
	if (!(jn->buf = ext4_block_alloc(fs)))
		return -ENOMEM;
	/* the log empty (the replay left it so, or it was), our features */
	return write_jsb(jn, 0, jn->tid) ?: flush(fs);
}

int ext4_journal_start(struct ext4_fs *fs)
{
	struct ext4_journal *jn;
	int err;

	if (fs->readonly || !(fs->compat & EXT4_COMPAT_HAS_JOURNAL))
		return 0;
	if (!(jn = calloc(1, sizeof(*jn))))
		return -ENOMEM;
	err = load(fs, jn);
	if (!err && jn->limit < 8)
		err = ext4_fail(fs, -EUCLEAN, "ext4: journal: log too small");
	if (err) {
		free(jn->buf);
		if (jn->j.ip)
			jbd2_close(&jn->j);
		free(jn);
		return err;
	}
	fs->jnl = jn;
	return 0;
}

void ext4_journal_stop(struct ext4_fs *fs)
{
	struct ext4_journal *jn = fs->jnl;

	if (!jn)
		return;
	ext4_journal_commit(fs);
	txn_drop(jn);
	fs->jnl = NULL;
	jbd2_close(&jn->j);
	free(jn->blocks);
	free(jn->freed);
	free(jn->buf);
	free(jn);
}
