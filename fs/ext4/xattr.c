/*
 * Extended attributes live in two places: after the inode's extra fields
 * (a 4-byte magic 0xEA020000, then entries, values addressed from the
 * first entry) and in one block named by i_file_acl (a 32-byte header
 * with the magic, a reference count and, with metadata_csum, a crc32c;
 * then entries, values addressed from the block's start). An entry is
 * name length, name index (the prefix: 1 "user.", 4 "trusted.", ...),
 * value offset, value inode (ea_inode: the value is that inode's data),
 * value size, hash, then the name, padded to 4 bytes; a zero word ends
 * the list. Every offset and size is checked against its region.
 */
#include "fs/ext4/ext4_private.h"

struct xattr_region {
	const uint8_t *p, *end; /* the entries */
	const uint8_t *vbase;	/* values are at vbase + offset */
	size_t vlen;		/* ... and inside vbase + vlen */
	uint32_t ino;		/* for messages */
	uint64_t pblk;		/* the block, or 0 in the inode */
};

struct xattr_entry {
	uint8_t index, name_len;
	const char *name;
	uint32_t value_inum, value_size;
	const uint8_t *value; /* NULL when in an inode */
};

/* The prefixes Linux shows for each name index (2 and 3 are whole). */
static const char *const prefixes[] = {
    [1] = "user.",
    [2] = "system.posix_acl_access",
    [3] = "system.posix_acl_default",
    [4] = "trusted.",
    [6] = "security.",
};

static int bad_entry(struct ext4_fs *fs, const struct xattr_region *r)
{
	if (r->pblk)
		return ext4_fail(fs, -EUCLEAN,
				 "ext4: inode %u: bad xattr block %llu", r->ino,
				 (unsigned long long)r->pblk);
	return ext4_fail(fs, -EUCLEAN, "ext4: inode %u: bad in-inode xattr",
			 r->ino);
}

/* Decodes the entry at r->p and advances; 1 if one, 0 at the end. */
static int next_entry(struct ext4_fs *fs, struct xattr_region *r,
		      struct xattr_entry *e)
{
	const uint8_t *p = r->p;
	uint32_t offs;
	size_t size;

	if (r->end - p < 4)
		return bad_entry(fs, r);
	if (!get32(p, 0))
		return 0;
	if (r->end - p < EXT4_XATTR_ENTRY_HDR ||
	    (size_t)(r->end - p) < EXT4_XATTR_ENTRY_HDR + (size_t)p[0])
		return bad_entry(fs, r);
	e->name_len = p[0];
	e->index = p[1];
	offs = get16(p, 2);
	e->value_inum = get32(p, 4);
	e->value_size = get32(p, 8);
	e->name = (const char *)p + EXT4_XATTR_ENTRY_HDR;
	e->value = NULL;
	size = ALIGN_UP(EXT4_XATTR_ENTRY_HDR + (size_t)p[0], 4);
	r->p = (size_t)(r->end - p) < size ? r->end : p + size;
	if (e->value_inum)
		return (fs->incompat & EXT4_INCOMPAT_EA_INODE)
			   ? 1
			   : bad_entry(fs, r);
	if ((uint64_t)offs + e->value_size > r->vlen)
		return bad_entry(fs, r);
	e->value = r->vbase + offs;
	return 1;
}

static bool inode_region(const struct ext4_inode *ip, struct xattr_region *r)
{
	uint32_t start, size = ip->fs->inode_size;

	if (size <= EXT4_GOOD_OLD_INODE_SIZE)
		return false;
	start = EXT4_GOOD_OLD_INODE_SIZE + get16(ip->raw, EXT4_I_EXTRA_ISIZE);
	if (start + 4 > size || get32(ip->raw, start) != EXT4_XATTR_MAGIC)
		return false;
	r->p = r->vbase = ip->raw + start + 4;
	r->end = ip->raw + size;
	r->vlen = (size_t)(r->end - r->p);
	r->ino = ip->ino;
	r->pblk = 0;
	return true;
}

/* Reads and checks the xattr block (there is one) into blk. */
static int block_region(struct ext4_fs *fs, const struct ext4_inode *ip,
			uint8_t *blk, struct xattr_region *r)
{
	uint64_t pblk = ext4_inode_file_acl(ip);
	int err;

	r->ino = ip->ino;
	r->pblk = pblk;
	if ((err = ext4_read_blocks(fs, pblk, 1, blk)))
		return err;
	if (get32(blk, 0) != EXT4_XATTR_MAGIC || get32(blk, 8) != 1)
		return bad_entry(fs, r);
	if (fs->csum && !ext4_xattr_block_csum_ok(fs, pblk, blk))
		return ext4_fail(fs, -EBADMSG,
				 "ext4: inode %u: xattr block %llu checksum",
				 ip->ino, (unsigned long long)pblk);
	r->p = blk + EXT4_XATTR_BLOCK_HDR;
	r->vbase = blk;
	r->end = blk + fs->block_size;
	r->vlen = fs->block_size;
	return 0;
}

typedef int (*xattr_fn)(struct ext4_fs *fs, const struct xattr_entry *e,
			void *arg);

/* Calls fn for each entry of r; fn's nonzero return stops the walk and
 * is returned (errors are negative, a found entry positive). */
static int walk_region(struct ext4_fs *fs, struct xattr_region *r, xattr_fn fn,
		       void *arg)
{
	struct xattr_entry e;
	int more, err;

	while ((more = next_entry(fs, r, &e)) > 0)
		if ((err = fn(fs, &e, arg)))
			return err;
	return more;
}

/* Every attribute, in the inode and then in the block. */
static int xattr_walk(struct ext4_fs *fs, const struct ext4_inode *ip,
		      xattr_fn fn, void *arg)
{
	struct xattr_region r;
	uint8_t *blk;
	int err;

	if (inode_region(ip, &r) && (err = walk_region(fs, &r, fn, arg)))
		return err;
	if (!ext4_inode_file_acl(ip))
		return 0;
	if (!(blk = ext4_block_alloc(fs)))
		return -ENOMEM;
	err = block_region(fs, ip, blk, &r);
	if (!err)
		err = walk_region(fs, &r, fn, arg);
	free(blk);
	return err;
}

/* ---- getting one value ---- */

struct get_arg {
	uint8_t index;
	const char *name;
	size_t name_len, size;
	void *buf;
	struct ext4_inode *ip;
	long result;
};

static long ea_inode_value(struct ext4_fs *fs, const struct xattr_entry *e,
			   struct get_arg *a)
{
	struct ext4_inode *vi;
	long r;

	if ((r = ext4_iget(fs, e->value_inum, &vi)))
		return r;
	/* an xattr inode keeps its value in blocks: no inline data, whose
	 * own attribute could lead back here */
	if (!(vi->flags & EXT4_EA_INODE_FL) || vi->size != e->value_size ||
	    vi->ino == a->ip->ino || (vi->flags & EXT4_INLINE_DATA_FL) ||
	    ext4_is_dir(vi))
		r = ext4_fail(fs, -EUCLEAN,
			      "ext4: inode %u: bad xattr inode %u", a->ip->ino,
			      e->value_inum);
	else
		r = ext4_read(fs, vi, 0, a->buf, e->value_size);
	ext4_iput(vi);
	return r;
}

static int get_one(struct ext4_fs *fs, const struct xattr_entry *e, void *arg)
{
	struct get_arg *a = arg;

	if (e->index != a->index || e->name_len != a->name_len ||
	    memcmp(e->name, a->name, a->name_len))
		return 0;
	if (!a->size)
		a->result = e->value_size;
	else if (a->size < e->value_size)
		a->result = -ERANGE;
	else if (e->value)
		memcpy(a->buf, e->value, e->value_size),
		    a->result = e->value_size;
	else
		a->result = ea_inode_value(fs, e, a);
	return 1;
}

long ext4_xattr_get(struct ext4_fs *fs, struct ext4_inode *ip, uint8_t index,
		    const char *name, size_t name_len, void *buf, size_t size)
{
	struct get_arg a = {index, name, name_len, size, buf, ip, -ENODATA};
	int err = xattr_walk(fs, ip, get_one, &a);

	return err < 0 ? err : a.result;
}

/* ---- POSIX ACLs ---- */
/*
 * ext4 stores an ACL compactly (version 1; the entries USER_OBJ,
 * GROUP_OBJ, MASK and OTHER without an id); getxattr returns Linux's
 * posix_acl_xattr form (version 2, every entry tag, perm and a 32-bit id,
 * -1 where there is none).
 */
#define ACL_USER 0x02
#define ACL_GROUP 0x08
#define ACL_UNDEFINED_ID 0xFFFFFFFFu

/* The number of entries, or -EUCLEAN; writes them if out != NULL. */
static long acl_convert(const uint8_t *v, size_t len, uint8_t *out)
{
	size_t off = 4;
	long n = 0;

	if (len < 4 || get32(v, 0) != 1)
		return -EUCLEAN;
	while (off < len) {
		uint16_t tag;
		bool id;

		if (len - off < 4)
			return -EUCLEAN;
		tag = get16(v, off);
		id = tag == ACL_USER || tag == ACL_GROUP;
		if (id && len - off < 8)
			return -EUCLEAN;
		if (out) {
			memcpy(out + 4 + 8 * n, v + off, 4);
			put32(out + 8 + 8 * n,
			      id ? get32(v, off + 4) : ACL_UNDEFINED_ID);
		}
		off += id ? 8 : 4;
		n++;
	}
	if (out)
		put32(out, 2);
	return n;
}

long ext4_acl_get(struct ext4_fs *fs, struct ext4_inode *ip, uint8_t index,
		  void *buf, size_t size)
{
	long len = ext4_xattr_get(fs, ip, index, "", 0, NULL, 0), n;
	uint8_t *v;

	if (len < 0)
		return len;
	if (!(v = malloc((size_t)len + 1)))
		return -ENOMEM;
	len = ext4_xattr_get(fs, ip, index, "", 0, v, (size_t)len + 1);
	n = len < 0 ? len : acl_convert(v, (size_t)len, NULL);
	if (n >= 0 && size && size < 4 + 8 * (size_t)n)
		n = -ERANGE;
	else if (n >= 0 && size)
		acl_convert(v, (size_t)len, buf);
	free(v);
	if (n == -EUCLEAN)
		return ext4_fail(fs, n, "ext4: inode %u: bad ACL", ip->ino);
	return n < 0 ? n : 4 + 8 * n;
}

/* ---- the public calls ---- */

static bool parse_name(const char *name, uint8_t *index, const char **rest)
{
	for (uint8_t i = 1; i < ARRAY_SIZE(prefixes); i++) {
		size_t n;

		if (!prefixes[i])
			continue;
		n = strlen(prefixes[i]);
		if (strncmp(name, prefixes[i], n))
			continue;
		if ((i == 2 || i == 3) && name[n])
			continue;
		*index = i;
		*rest = name + n;
		return true;
	}
	return false;
}

long ext4_getxattr(struct ext4_fs *fs, struct ext4_inode *ip, const char *name,
		   void *buf, size_t size)
{
	const char *rest;
	uint8_t index;

	if (!parse_name(name, &index, &rest))
		return -EOPNOTSUPP;
	if (strlen(rest) > 255)
		return -ERANGE;
	if (index == 2 || index == 3)
		return ext4_acl_get(fs, ip, index, buf, size);
	return ext4_xattr_get(fs, ip, index, rest, strlen(rest), buf, size);
}

struct list_arg {
	char *buf;
	size_t size, len;
};

static int list_one(struct ext4_fs *fs, const struct xattr_entry *e, void *arg)
{
	struct list_arg *a = arg;
	const char *prefix;
	size_t n;

	(void)fs;
	if (e->index >= ARRAY_SIZE(prefixes) || !prefixes[e->index])
		return 0; /* system.data and unknown indexes: not listed */
	prefix = prefixes[e->index];
	n = strlen(prefix) + e->name_len + 1;
	if (a->size && a->len + n <= a->size) {
		memcpy(a->buf + a->len, prefix, strlen(prefix));
		memcpy(a->buf + a->len + strlen(prefix), e->name, e->name_len);
		a->buf[a->len + n - 1] = '\0';
	}
	a->len += n;
	return 0;
}

long ext4_listxattr(struct ext4_fs *fs, struct ext4_inode *ip, char *buf,
		    size_t size)
{
	struct list_arg a = {buf, size, 0};
	int err = xattr_walk(fs, ip, list_one, &a);

	if (err < 0)
		return err;
	if (size && a.len > size)
		return -ERANGE;
	return (long)a.len;
}
