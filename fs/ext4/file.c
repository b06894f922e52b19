/*
 * Reading a file's bytes: through the block map (extent.c, blockmap.c),
 * runs of contiguous blocks in one device read straight into the
 * caller's buffer, holes and unwritten extents as zeros; or, with
 * EXT4_INLINE_DATA_FL, from i_block (60 bytes) continued in the
 * "system.data" extended attribute. Symlinks shorter than i_block keep
 * their target there ("fast" symlinks) and have no blocks.
 */
#include "fs/ext4/ext4_private.h"

/* Bytes [xoff, xoff + len) of the "system.data" value. */
static long inline_tail(struct ext4_fs *fs, struct ext4_inode *ip,
			uint64_t xoff, uint8_t *out, size_t len)
{
	long r =
	    ext4_xattr_get(fs, ip, EXT4_XATTR_INDEX_SYSTEM, "data", 4, NULL, 0);
	uint8_t *val;

	if (r == -ENODATA || (r >= 0 && xoff >= (uint64_t)r))
		return 0; /* i_size past the data: the rest reads as zeros */
	if (r < 0)
		return r;
	val = malloc((size_t)r);
	if (!val)
		return -ENOMEM;
	r = ext4_xattr_get(fs, ip, EXT4_XATTR_INDEX_SYSTEM, "data", 4, val,
			   (size_t)r);
	if (r >= 0) {
		len = (size_t)MIN((uint64_t)len, (uint64_t)r - xoff);
		memcpy(out, val + xoff, len);
		r = (long)len;
	}
	free(val);
	return r;
}

long ext4_inline_read(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
		      void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t n = 0;
	long r;

	if (off < EXT4_I_BLOCK_LEN) {
		n = (size_t)MIN((uint64_t)len, EXT4_I_BLOCK_LEN - off);
		memcpy(out, ip->raw + EXT4_I_BLOCK + off, n);
	}
	if (n == len)
		return (long)n;
	r = inline_tail(fs, ip, off + n - EXT4_I_BLOCK_LEN, out + n, len - n);
	if (r < 0)
		return r;
	memset(out + n + r, 0, len - n - (size_t)r);
	return (long)len;
}

static bool is_fast_symlink(const struct ext4_inode *ip)
{
	uint64_t blocks = get32(ip->raw, EXT4_I_BLOCKS_LO);

	if ((ip->mode & S_IFMT_) != S_IFLNK_ ||
	    ip->flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))
		return false;
	if (ext4_inode_file_acl(ip))
		blocks -= MIN(blocks, (uint64_t)ip->fs->block_size >> 9);
	return ip->size < EXT4_I_BLOCK_LEN && blocks == 0;
}

/* Reads blocks [lblk, lblk + count) of the file into out (count > 0). */
static int read_run(struct ext4_fs *fs, struct ext4_inode *ip, uint32_t lblk,
		    uint32_t count, uint8_t *out, uint32_t *done)
{
	struct ext4_map m;
	int err = ext4_map_blocks(fs, ip, lblk, &m);

	*done = 0;
	if (err)
		return err;
	*done = MIN(count, m.len);
	if (!m.pblk || m.unwritten) {
		memset(out, 0, (size_t)*done * fs->block_size);
		return 0;
	}
	return ext4_read_blocks(fs, m.pblk, *done, out);
}

/* Whole blocks straight into buf, partial ones through a bounce block. */
static long read_blocks(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
			uint8_t *buf, size_t len)
{
	uint32_t bs = fs->block_size, n, skip;
	uint8_t *bounce = NULL;
	size_t done = 0;
	int err = 0;

	while (done < len && !err) {
		uint64_t lblk = (off + done) / bs;
		size_t chunk = len - done;

		skip = (uint32_t)((off + done) % bs);
		if (lblk > UINT32_MAX)
			break; /* past the largest extent-mapped block: EOF */
		if (skip == 0 && chunk >= bs) {
			err = read_run(fs, ip, (uint32_t)lblk,
				       (uint32_t)MIN(chunk / bs, 1u << 20),
				       buf + done, &n);
			done += (size_t)n * bs;
			continue;
		}
		if (!bounce && !(bounce = ext4_block_alloc(fs)))
			return -ENOMEM;
		err = read_run(fs, ip, (uint32_t)lblk, 1, bounce, &n);
		chunk = MIN(chunk, (size_t)(bs - skip));
		if (!err)
			memcpy(buf + done, bounce + skip, chunk);
		done += chunk;
	}
	free(bounce);
	return err ? err : (long)done;
}

long ext4_read(struct ext4_fs *fs, struct ext4_inode *ip, uint64_t off,
	       void *buf, size_t len)
{
	if (ext4_is_dir(ip))
		return -EISDIR;
	if (off >= ip->size)
		return 0;
	len = (size_t)MIN((uint64_t)len, ip->size - off);
	if (len > (1ul << 30))
		len = 1ul << 30; /* a read of more reads in pieces */
	if (ip->flags & EXT4_INLINE_DATA_FL)
		return ext4_inline_read(fs, ip, off, buf, len);
	if (is_fast_symlink(ip)) {
		memcpy(buf, ip->raw + EXT4_I_BLOCK + off, len);
		return (long)len;
	}
	return read_blocks(fs, ip, off, buf, len);
}

long ext4_readlink(struct ext4_fs *fs, struct ext4_inode *ip, char *buf,
		   size_t len)
{
	if ((ip->mode & S_IFMT_) != S_IFLNK_)
		return -EINVAL;
	if (ip->size > 4096)
		return ext4_fail(fs, -EUCLEAN,
				 "ext4: inode %u: symlink of %llu "
				 "bytes",
				 ip->ino, (unsigned long long)ip->size);
	return ext4_read(fs, ip, 0, buf, len);
}
