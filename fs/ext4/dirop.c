/*
 * Changing directories: an entry goes into the first slot of a leaf
 * block with room (an unused entry, or the slack after an entry's name,
 * which is split off), else into a new block appended to the directory;
 * a removed entry is merged into the one before it (or, first in its
 * block, marked unused). Each block changed gets its checksum tail anew.
 * create, mkdir, unlink and rmdir are built on these with alloc.c.
 */
#include "fs/ext4/ext4_private.h"

#define S_IFSOCK_ 0140000
#define S_IFIFO_ 0010000

static uint32_t entry_size(uint32_t name_len)
{
	return ALIGN_UP(EXT4_DIRENT_HDR + name_len, 4);
}

/* The entry's file type (1 regular ... 7 symlink) from a mode. */
uint8_t ext4_ftype(const struct ext4_fs *fs, uint16_t mode)
{
	static const uint16_t fmt[8] = {0,	   S_IFREG_, S_IFDIR_,
					S_IFCHR_,  S_IFBLK_, S_IFIFO_,
					S_IFSOCK_, S_IFLNK_};

	if (!(fs->incompat & EXT4_INCOMPAT_FILETYPE))
		return 0;
	for (uint8_t t = 1; t < 8; t++)
		if ((mode & S_IFMT_) == fmt[t])
			return t;
	return 0;
}

static void put_entry(uint8_t *e, uint32_t ino, uint32_t rec_len,
		      const char *name, size_t len, uint8_t type)
{
	put32(e, ino);
	put16le(e + 4, (uint16_t)rec_len);
	e[6] = (uint8_t)len;
	e[7] = type;
	memcpy(e + EXT4_DIRENT_HDR, name, len);
}

/* The usable bytes of a leaf block (less its checksum tail). */
static uint32_t leaf_room(const struct ext4_fs *fs)
{
	return fs->block_size - (fs->csum ? EXT4_DIR_TAIL_SIZE : 0);
}

static void init_leaf(const struct ext4_fs *fs, uint8_t *blk)
{
	uint8_t *t = blk + fs->block_size - EXT4_DIR_TAIL_SIZE;

	memset(blk, 0, fs->block_size);
	put16le(blk + 4, (uint16_t)leaf_room(fs));
	if (fs->csum) {
		put16le(t + 4, EXT4_DIR_TAIL_SIZE);
		t[7] = EXT4_DIR_TAIL_FT;
	}
}

/* Puts the entry in blk if it has room; true if it did. */
static bool leaf_add(const struct ext4_fs *fs, uint8_t *blk, const char *name,
		     size_t len, uint32_t ino, uint8_t type)
{
	uint32_t need = entry_size((uint32_t)len), off = 0, end = leaf_room(fs);

	while (off + EXT4_DIRENT_HDR <= end) {
		uint8_t *e = blk + off;
		uint32_t rl = get16(e, 4), used;

		if (rl < 12 || off + rl > end)
			return false;
		used = get32(e, 0) ? entry_size(e[6]) : 0;
		if (rl - used >= need) {
			if (used)
				put16le(e + 4, (uint16_t)used);
			put_entry(e + used, ino, rl - used, name, len, type);
			return true;
		}
		off += rl;
	}
	return false;
}

static int dir_block(struct ext4_fs *fs, struct ext4_inode *dir, uint32_t lblk,
		     uint8_t *blk, uint64_t *pblk)
{
	struct ext4_map m;
	int err = ext4_map_blocks(fs, dir, lblk, &m);

	if (!err && (!m.pblk || m.unwritten))
		return ext4_fail(fs, -EUCLEAN,
				 "ext4: directory inode %u: "
				 "hole at block %u",
				 dir->ino, lblk);
	*pblk = m.pblk;
	return err ? err : ext4_read_blocks(fs, m.pblk, 1, blk);
}

static int write_leaf(struct ext4_fs *fs, struct ext4_inode *dir, uint64_t pblk,
		      uint8_t *blk)
{
	ext4_dirblock_csum_set(dir, blk);
	return ext4_write_meta(fs, pblk, blk);
}

/* A new last block for dir, holding the entry. */
static int dir_append(struct ext4_fs *fs, struct ext4_inode *dir, uint8_t *blk,
		      const char *name, size_t len, uint32_t ino, uint8_t type)
{
	uint32_t lblk = (uint32_t)(dir->size / fs->block_size), got;
	uint64_t pblk;
	bool fresh;
	int err = ext4_map_alloc(fs, dir, lblk, 1, &pblk, &got, &fresh);

	if (err)
		return err;
	init_leaf(fs, blk);
	leaf_add(fs, blk, name, len, ino, type);
	dir->size += fs->block_size;
	return write_leaf(fs, dir, pblk, blk);
}

int ext4_dir_add(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		 size_t len, uint32_t ino, uint8_t type)
{
	uint32_t nblocks = (uint32_t)(dir->size / fs->block_size);
	uint8_t *blk = ext4_block_alloc(fs);
	uint64_t pblk;
	int err = 0;

	if (!blk)
		return -ENOMEM;
	for (uint32_t b = 0; b < nblocks && !err; b++) {
		err = dir_block(fs, dir, b, blk, &pblk);
		if (!err && leaf_add(fs, blk, name, len, ino, type)) {
			err = write_leaf(fs, dir, pblk, blk);
			goto out;
		}
	}
	if (!err)
		err = dir_append(fs, dir, blk, name, len, ino, type);
out:
	free(blk);
	return err;
}

/* The entry `name` in leaf blk, and the one before it (NULL if first). */
static uint8_t *leaf_find(const struct ext4_fs *fs, uint8_t *blk,
			  const char *name, size_t len, uint8_t **prev)
{
	uint32_t off = 0, end = leaf_room(fs);

	*prev = NULL;
	while (off + EXT4_DIRENT_HDR <= end) {
		uint8_t *e = blk + off;
		uint32_t rl = get16(e, 4);

		if (rl < 12 || off + rl > end)
			return NULL;
		if (get32(e, 0) && e[6] == len &&
		    !memcmp(e + EXT4_DIRENT_HDR, name, len))
			return e;
		*prev = e;
		off += rl;
	}
	return NULL;
}

/* Removes name from leaf blk (ino 0), or points it at ino; true if it
 * was there. */
static bool leaf_edit(const struct ext4_fs *fs, uint8_t *blk, const char *name,
		      size_t len, uint32_t ino, uint8_t type)
{
	uint8_t *prev, *e = leaf_find(fs, blk, name, len, &prev);

	if (!e)
		return false;
	if (ino) {
		put32(e, ino);
		e[7] = type;
	} else if (prev) {
		put16le(prev + 4, (uint16_t)(get16(prev, 4) + get16(e, 4)));
	} else {
		put32(e, 0);
	}
	return true;
}

/* The entry `name` of dir removed (ino 0) or pointed at ino: -ENOENT
 * when there is none. */
static int dir_edit(struct ext4_fs *fs, struct ext4_inode *dir,
		    const char *name, size_t len, uint32_t ino, uint8_t type)
{
	uint32_t nblocks = (uint32_t)(dir->size / fs->block_size);
	uint8_t *blk = ext4_block_alloc(fs);
	uint64_t pblk;
	int err = -ENOENT;

	if (!blk)
		return -ENOMEM;
	for (uint32_t b = 0; b < nblocks && err == -ENOENT; b++) {
		int r = dir_block(fs, dir, b, blk, &pblk);

		if (r)
			err = r;
		else if (leaf_edit(fs, blk, name, len, ino, type))
			err = write_leaf(fs, dir, pblk, blk);
	}
	free(blk);
	return err;
}

int ext4_dir_remove(struct ext4_fs *fs, struct ext4_inode *dir,
		    const char *name, size_t len)
{
	return dir_edit(fs, dir, name, len, 0, 0);
}

int ext4_dir_set(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		 size_t len, uint32_t ino, uint8_t type)
{
	return ino ? dir_edit(fs, dir, name, len, ino, type) : -EINVAL;
}

/* A new directory's first block: "." and "..". */
static int make_dot_block(struct ext4_fs *fs, struct ext4_inode *ip,
			  uint32_t parent)
{
	uint8_t *blk = ext4_block_alloc(fs);
	uint8_t dt = ext4_ftype(fs, S_IFDIR_);
	uint64_t pblk;
	uint32_t got;
	bool fresh;
	int err;

	if (!blk)
		return -ENOMEM;
	err = ext4_map_alloc(fs, ip, 0, 1, &pblk, &got, &fresh);
	if (!err) {
		init_leaf(fs, blk);
		put_entry(blk, ip->ino, 12, ".", 1, dt);
		put_entry(blk + 12, parent, leaf_room(fs) - 12, "..", 2, dt);
		ip->size = fs->block_size;
		err = write_leaf(fs, ip, pblk, blk);
	}
	free(blk);
	return err;
}

static bool has_byte(const char *s, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == c)
			return true;
	return false;
}

int ext4_check_name(struct ext4_fs *fs, struct ext4_inode *dir,
		    const char *name, size_t len)
{
	uint32_t ino;
	int err;

	if ((err = ext4_writable(fs, dir)))
		return err;
	if (!ext4_is_dir(dir))
		return -ENOTDIR;
	if (len > 255)
		return -ENAMETOOLONG;
	if (!len || has_byte(name, len, '/') || has_byte(name, len, 0))
		return -EINVAL;
	err = ext4_lookup(fs, dir, name, len, &ino);
	return err == -ENOENT ? 0 : err ? err : -EEXIST;
}

/* Links the new inode ip into dir, and a directory's ".." into dir. */
static int link_new(struct ext4_fs *fs, struct ext4_inode *dir,
		    struct ext4_inode *ip, const char *name, size_t len)
{
	bool is_dir = ext4_is_dir(ip);
	int err = 0;

	ext4_inode_set_links(ip, is_dir ? 2 : 1);
	if (is_dir)
		err = make_dot_block(fs, ip, dir->ino);
	if (!err)
		err = ext4_inode_write(fs, ip);
	if (!err)
		err = ext4_dir_add(fs, dir, name, len, ip->ino,
				   ext4_ftype(fs, ip->mode));
	if (err)
		return err;
	if (is_dir && ext4_inode_links(dir) < 65000)
		ext4_inode_set_links(dir, ext4_inode_links(dir) + 1);
	ext4_inode_touch(fs, dir, EXT4_T_MTIME | EXT4_T_CTIME);
	return ext4_inode_write(fs, dir);
}

int ext4_create(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		size_t len, uint16_t mode, uint32_t uid, uint32_t gid,
		uint32_t *ino)
{
	uint16_t fmt = mode & S_IFMT_;
	struct ext4_inode *ip;
	int err;

	if ((err = ext4_check_name(fs, dir, name, len)))
		return err;
	if (fmt != S_IFREG_ && fmt != S_IFDIR_ && fmt != S_IFLNK_)
		return ext4_fail(fs, -EOPNOTSUPP,
				 "ext4: creating mode 0%o not written yet",
				 mode);
	if ((err = ext4_alloc_inode(fs, dir->ino, fmt == S_IFDIR_, ino)))
		return err;
	if (!(ip = ext4_inode_new(fs, *ino, mode, uid, gid))) {
		ext4_free_inode(fs, *ino, fmt == S_IFDIR_);
		return -ENOMEM;
	}
	err = link_new(fs, dir, ip, name, len);
	if (err) { /* undo what can be undone */
		ext4_ext_free_all(fs, ip);
		ext4_free_inode(fs, *ino, fmt == S_IFDIR_);
	}
	ext4_iput(ip);
	return err;
}

int ext4_symlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		 size_t len, const char *target, uint32_t uid, uint32_t gid,
		 uint32_t *ino)
{
	size_t n = strlen(target);
	struct ext4_inode *ip;
	long r;
	int err;

	if (!n || n >= 4096)
		return n ? -ENAMETOOLONG : -ENOENT;
	err = ext4_create(fs, dir, name, len, S_IFLNK_ | 0777, uid, gid, ino);
	if (err || (err = ext4_iget(fs, *ino, &ip)))
		return err;
	if (n < EXT4_I_BLOCK_LEN) { /* fast: the target in i_block */
		ip->flags &= ~EXT4_EXTENTS_FL;
		memset(ip->raw + EXT4_I_BLOCK, 0, EXT4_I_BLOCK_LEN);
		memcpy(ip->raw + EXT4_I_BLOCK, target, n);
		ip->size = n;
		err = ext4_inode_write(fs, ip);
	} else {
		r = ext4_write(fs, ip, 0, target, n);
		err = r < 0 ? (int)r : 0;
	}
	ext4_iput(ip);
	return err;
}

/* The inode's xattr block loses a reference (and is freed with the last). */
static int drop_xattr_block(struct ext4_fs *fs, struct ext4_inode *ip)
{
	uint64_t pblk = ext4_inode_file_acl(ip);
	uint8_t *blk;
	uint32_t refs;
	int err;

	if (!pblk)
		return 0;
	if (!(blk = ext4_block_alloc(fs)))
		return -ENOMEM;
	err = ext4_read_blocks(fs, pblk, 1, blk);
	if (!err && get32(blk, 0) != EXT4_XATTR_MAGIC)
		err = ext4_fail(fs, -EUCLEAN,
				"ext4: inode %u: bad xattr "
				"block %llu",
				ip->ino, (unsigned long long)pblk);
	refs = err ? 0 : get32(blk, 4);
	if (!err && refs <= 1) {
		err = ext4_free_blocks(fs, pblk, 1);
	} else if (!err) {
		put32(blk + 4, refs - 1);
		ext4_xattr_block_csum_set(fs, pblk, blk);
		err = ext4_write_meta(fs, pblk, blk);
	}
	free(blk);
	if (err)
		return err;
	put32(ip->raw + EXT4_I_FILE_ACL_LO, 0);
	put16le(ip->raw + EXT4_I_FILE_ACL_HI, 0);
	ext4_inode_add_blocks(ip, -1);
	return 0;
}

/* Drops one link of ip; with the last, frees its blocks and itself. */
int ext4_drop_link(struct ext4_fs *fs, struct ext4_inode *ip)
{
	uint16_t links = ext4_inode_links(ip);
	bool is_dir = ext4_is_dir(ip);
	int err;

	if (links > (is_dir ? 2 : 1)) {
		ext4_inode_set_links(ip, links - 1);
		ext4_inode_touch(fs, ip, EXT4_T_CTIME);
		return ext4_inode_write(fs, ip);
	}
	if ((ip->flags & EXT4_EXTENTS_FL) && (err = ext4_ext_free_all(fs, ip)))
		return err;
	if ((err = drop_xattr_block(fs, ip)))
		return err;
	ext4_inode_set_links(ip, 0);
	ext4_inode_touch(fs, ip, EXT4_T_CTIME);
	put32(ip->raw + 0x14, get32(ip->raw, EXT4_I_CTIME)); /* i_dtime */
	if ((err = ext4_inode_write(fs, ip)))
		return err;
	return ext4_free_inode(fs, ip->ino, is_dir);
}

struct empty_arg {
	int others;
};

static int count_other(void *arg, const struct ext4_dirent *d)
{
	struct empty_arg *a = arg;

	if (strcmp(d->name, ".") && strcmp(d->name, ".."))
		a->others++;
	return a->others > 0;
}

/* Whether ip may lose a name, its last one included: a directory must
 * be empty (-ENOTEMPTY), and freeing must meet only what we write. */
int ext4_may_drop(struct ext4_fs *fs, struct ext4_inode *ip)
{
	struct empty_arg a = {0};
	uint64_t pos = 0;
	int err = 0;

	if (ext4_is_dir(ip) && !(err = ext4_writable(fs, ip)) &&
	    (err = ext4_iterate_dir(fs, ip, &pos, count_other, &a)) >= 0)
		err = a.others ? -ENOTEMPTY : 0;
	/* freeing what is not an extent tree (but a fast symlink's target) */
	if (!err &&
	    ((ip->flags & EXT4_INLINE_DATA_FL) ||
	     (!(ip->flags & EXT4_EXTENTS_FL) &&
	      get32(ip->raw, EXT4_I_BLOCKS_LO) >
		  (ext4_inode_file_acl(ip) ? fs->block_size / 512 : 0))))
		err = ext4_writable(fs, ip);
	return err;
}

static int remove_entry(struct ext4_fs *fs, struct ext4_inode *dir,
			const char *name, size_t len, bool want_dir)
{
	struct ext4_inode *ip;
	uint32_t ino;
	int err;

	if ((err = ext4_writable(fs, dir)) ||
	    (err = ext4_lookup(fs, dir, name, len, &ino)) ||
	    (err = ext4_iget(fs, ino, &ip)))
		return err;
	if (ext4_is_dir(ip) != want_dir)
		err = want_dir ? -ENOTDIR : -EISDIR;
	else
		err = ext4_may_drop(fs, ip);
	if (!err)
		err = ext4_dir_remove(fs, dir, name, len);
	if (!err)
		err = ext4_drop_link(fs, ip);
	if (!err && want_dir && ext4_inode_links(dir) > 2)
		ext4_inode_set_links(dir, ext4_inode_links(dir) - 1);
	if (!err) {
		ext4_inode_touch(fs, dir, EXT4_T_MTIME | EXT4_T_CTIME);
		err = ext4_inode_write(fs, dir);
	}
	ext4_iput(ip);
	return err;
}

int ext4_unlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		size_t len)
{
	return remove_entry(fs, dir, name, len, false);
}

int ext4_rmdir(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
	       size_t len)
{
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return len == 1 ? -EINVAL : -ENOTEMPTY;
	return remove_entry(fs, dir, name, len, true);
}
