/*
 * link(2) and rename(2) on leaf directories (Linux: man 2 rename,
 * renameat2's RENAME_NOREPLACE and RENAME_EXCHANGE).
 *
 * A rename writes the new name before it removes the old one, so that a
 * crash between the two (there is no journal yet) leaves a file with one
 * name too many, which e2fsck counts again, never a file with none. A
 * directory moved to another parent has its ".." entry pointed at the
 * new parent, and the parents' link counts follow (".." is a link).
 * Replacing a name drops a link of the inode it named, and frees that
 * inode with its last link, as unlink(2) does.
 */
#include "fs/ext4/ext4_private.h"

#define EXT4_LINK_MAX 65000

/* A directory's count follows its subdirectories, saturating as
 * ext4_create does; 1 (dir_nlink: too many to count) stays. */
static void add_links(struct ext4_inode *dir, int delta)
{
	uint16_t n = ext4_inode_links(dir);

	if (n == 1 || (delta > 0 && n >= EXT4_LINK_MAX) ||
	    (delta < 0 && n <= 2))
		return;
	ext4_inode_set_links(dir, (uint16_t)(n + delta));
}

static int touch_write(struct ext4_fs *fs, struct ext4_inode *ip,
		       unsigned which)
{
	ext4_inode_touch(fs, ip, which);
	return ext4_inode_write(fs, ip);
}

int ext4_link(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
	      size_t len, struct ext4_inode *ip)
{
	int err;

	if ((err = ext4_check_name(fs, dir, name, len)))
		return err;
	if (ext4_is_dir(ip))
		return -EPERM;
	if (!ext4_inode_links(ip))
		return -ENOENT; /* Linux: an unlinked inode gets no name */
	if (ext4_inode_links(ip) >= EXT4_LINK_MAX)
		return -EMLINK;
	err =
	    ext4_dir_add(fs, dir, name, len, ip->ino, ext4_ftype(fs, ip->mode));
	if (err)
		return err;
	ext4_inode_set_links(ip, ext4_inode_links(ip) + 1);
	if ((err = touch_write(fs, ip, EXT4_T_CTIME)))
		return err;
	return touch_write(fs, dir, EXT4_T_MTIME | EXT4_T_CTIME);
}

/* The names are the caller's inodes': -ENOENT (or -EEXIST, a victim
 * that was not named) when the directories say otherwise. */
static int check_names(struct ext4_fs *fs, struct ext4_inode *odir,
		       const char *oname, size_t olen, struct ext4_inode *ip,
		       struct ext4_inode *ndir, const char *nname, size_t nlen,
		       struct ext4_inode *victim)
{
	uint32_t ino;
	int err;

	if ((err = ext4_writable(fs, odir)) || (err = ext4_writable(fs, ndir)))
		return err;
	if ((err = ext4_lookup(fs, odir, oname, olen, &ino)))
		return err;
	if (ino != ip->ino)
		return -ENOENT;
	err = ext4_lookup(fs, ndir, nname, nlen, &ino);
	if (err == -ENOENT)
		return victim ? -ENOENT
			      : ext4_check_name(fs, ndir, nname, nlen);
	if (err)
		return err;
	return !victim ? -EEXIST : ino != victim->ino ? -ENOENT : 0;
}

/* A directory moved from `from` to `to`: its ".." and the counts. */
static int reparent(struct ext4_fs *fs, struct ext4_inode *ip,
		    struct ext4_inode *from, struct ext4_inode *to)
{
	int err;

	if (!ext4_is_dir(ip) || from == to)
		return 0;
	err = ext4_dir_set(fs, ip, "..", 2, to->ino, ext4_ftype(fs, S_IFDIR_));
	if (err)
		return err;
	add_links(from, -1);
	add_links(to, 1);
	return 0;
}

static int exchange(struct ext4_fs *fs, struct ext4_inode *odir,
		    const char *oname, size_t olen, struct ext4_inode *a,
		    struct ext4_inode *ndir, const char *nname, size_t nlen,
		    struct ext4_inode *b)
{
	int err;

	if ((ext4_is_dir(a) && (err = ext4_writable(fs, a))) ||
	    (ext4_is_dir(b) && (err = ext4_writable(fs, b))))
		return err;
	if ((err = ext4_dir_set(fs, ndir, nname, nlen, a->ino,
				ext4_ftype(fs, a->mode))) ||
	    (err = ext4_dir_set(fs, odir, oname, olen, b->ino,
				ext4_ftype(fs, b->mode))) ||
	    (err = reparent(fs, a, odir, ndir)) ||
	    (err = reparent(fs, b, ndir, odir)) ||
	    (err = touch_write(fs, a, EXT4_T_CTIME)))
		return err;
	return touch_write(fs, b, EXT4_T_CTIME);
}

/* ip takes (ndir, nname), over victim if there is one. */
static int move(struct ext4_fs *fs, struct ext4_inode *odir, const char *oname,
		size_t olen, struct ext4_inode *ip, struct ext4_inode *ndir,
		const char *nname, size_t nlen, struct ext4_inode *victim)
{
	uint8_t type = ext4_ftype(fs, ip->mode);
	int err;

	if (ext4_is_dir(ip) && odir != ndir && (err = ext4_writable(fs, ip)))
		return err;
	if (victim && (err = ext4_may_drop(fs, victim)))
		return err;
	err = victim ? ext4_dir_set(fs, ndir, nname, nlen, ip->ino, type)
		     : ext4_dir_add(fs, ndir, nname, nlen, ip->ino, type);
	if (err || (err = ext4_dir_remove(fs, odir, oname, olen)) ||
	    (err = reparent(fs, ip, odir, ndir)) ||
	    (err = touch_write(fs, ip, EXT4_T_CTIME)))
		return err;
	if (!victim)
		return 0;
	if (ext4_is_dir(victim))
		add_links(ndir, -1); /* its ".." */
	return ext4_drop_link(fs, victim);
}

int ext4_rename(struct ext4_fs *fs, struct ext4_inode *odir, const char *oname,
		size_t olen, struct ext4_inode *ip, struct ext4_inode *ndir,
		const char *nname, size_t nlen, struct ext4_inode *victim,
		unsigned flags)
{
	int err;

	if (flags & ~(EXT4_RENAME_NOREPLACE | EXT4_RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & EXT4_RENAME_EXCHANGE) && !victim)
		return -ENOENT;
	if (victim && (flags & EXT4_RENAME_NOREPLACE))
		return -EEXIST;
	err = check_names(fs, odir, oname, olen, ip, ndir, nname, nlen, victim);
	if (err || (victim && victim->ino == ip->ino))
		return err; /* two names of one inode: nothing to do */
	if (victim && !(flags & EXT4_RENAME_EXCHANGE) &&
	    ext4_is_dir(ip) != ext4_is_dir(victim))
		return ext4_is_dir(ip) ? -ENOTDIR : -EISDIR;
	if (flags & EXT4_RENAME_EXCHANGE)
		err = exchange(fs, odir, oname, olen, ip, ndir, nname, nlen,
			       victim);
	else
		err =
		    move(fs, odir, oname, olen, ip, ndir, nname, nlen, victim);
	if (!err && ndir != odir)
		err = touch_write(fs, ndir, EXT4_T_MTIME | EXT4_T_CTIME);
	if (!err)
		err = touch_write(fs, odir, EXT4_T_MTIME | EXT4_T_CTIME);
	return err;
}
