/*
 * Attributes that chmod(2), chown(2) and utimensat(2) change: the mode's
 * permission bits, the owner and the three times, written back into the
 * inode (times with their nanoseconds and epoch bits in the _extra words
 * when the inode is large enough to have them, as Linux's ext4 does).
 */
#include "fs/ext4/ext4_private.h"

/* Linux: fs/ext4/ext4.h, ext4_encode_extra_time: two epoch bits that
 * extend the signed 32-bit seconds, then the nanoseconds. */
static void put_time(struct ext4_inode *ip, uint32_t off, uint32_t xoff,
		     struct ext4_timespec t)
{
	uint32_t epoch = (uint32_t)(((uint64_t)(t.sec - (int32_t)t.sec)) >> 32);

	put32(ip->raw + off, (uint32_t)t.sec);
	if (ext4_inode_fits(ip, xoff, 4))
		put32(ip->raw + xoff, (epoch & 3) | (t.nsec << 2));
}

int ext4_setattr(struct ext4_fs *fs, struct ext4_inode *ip,
		 const struct ext4_stat *st, unsigned mask)
{
	uint8_t *r = ip->raw;

	if (fs->readonly)
		return -EROFS;
	if (mask & EXT4_SET_MODE)
		ip->mode =
		    (uint16_t)((ip->mode & S_IFMT_) | (st->mode & 07777));
	if (mask & EXT4_SET_UID) {
		put16le(r + EXT4_I_UID, (uint16_t)st->uid);
		put16le(r + EXT4_I_UID_HI, (uint16_t)(st->uid >> 16));
	}
	if (mask & EXT4_SET_GID) {
		put16le(r + EXT4_I_GID, (uint16_t)st->gid);
		put16le(r + EXT4_I_GID_HI, (uint16_t)(st->gid >> 16));
	}
	if (mask & EXT4_SET_ATIME)
		put_time(ip, EXT4_I_ATIME, EXT4_I_ATIME_EXTRA, st->atime);
	if (mask & EXT4_SET_MTIME)
		put_time(ip, EXT4_I_MTIME, EXT4_I_MTIME_EXTRA, st->mtime);
	if (mask & EXT4_SET_CTIME)
		put_time(ip, EXT4_I_CTIME, EXT4_I_CTIME_EXTRA, st->ctime);
	return ext4_inode_write(fs, ip);
}
