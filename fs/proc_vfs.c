/*
 * /proc's entries that show the VFS's own state: the magic links
 * (/proc/self, /proc/<pid>/cwd, root, exe, fd/N) and the mount table
 * (/proc/mounts, /proc/<pid>/mounts, mountinfo). linux/proc_pid.c puts
 * them in /proc/<pid>.
 */
#include "fs/fs_private.h"
#include "fs/procfs.h"

/* Under vfs_mutex: ip's path into buf (PATH_MAX bytes); its length. A
 * file without a name shows as Linux's "(deleted)", under its number. */
static int path_of(struct inode *ip, char *buf)
{
	char *tmp = malloc(PATH_MAX), *p;
	int n;

	if (!tmp)
		return -ENOMEM;
	p = inode_path(ip, tmp, &n);
	if (p) {
		n = strlen(p);
		memcpy(buf, p, n);
	} else if (n == -ENOENT) {
		n = snprintf(buf, PATH_MAX, "/%lu (deleted)", ip->ino);
	}
	free(tmp);
	return n;
}

static int self_follow(int arg, struct inode **out)
{
	char name[16];
	int pid = linux_pid(), len;

	if (!pid)
		return -ENOENT;
	len = snprintf(name, sizeof(name), "%d", pid);
	return procfs_find_root(name, len, out);
}

static int self_link(int arg, char *buf)
{
	int pid = linux_pid();

	return pid ? snprintf(buf, PATH_MAX, "%d", pid) : -ENOENT;
}

static struct inode *exe_inode; /* under vfs_mutex; holds a reference */
static bool exe_looking;	/* under vfs_mutex */

/* Under vfs_mutex: the program's file, found the first time where the
 * loader found it (argv[0] from "/"), and kept as Linux's exe_file. */
static struct inode *exe(void)
{
	struct lookup l;
	char *path;

	if (exe_inode || exe_looking || !linux_pid() || !boot_options.argc)
		return exe_inode;
	path = malloc(PATH_MAX);
	if (!path)
		return NULL;
	snprintf(path, PATH_MAX, "/%s", boot_options.argv[0]);
	exe_looking = true; /* argv[0] might lead through /proc/self/exe */
	if (!lookup(NULL, path, true, &l) && l.ip->type == S_IFREG) {
		exe_inode = l.ip;
		exe_inode->refs++;
	}
	exe_looking = false;
	free(path);
	return exe_inode;
}

static int exe_follow(int arg, struct inode **out)
{
	*out = exe();
	return *out ? 0 : -ENOENT;
}

static int exe_link(int arg, char *buf)
{
	struct inode *ip;
	int n = -ENOENT;

	mutex_lock(&vfs_mutex);
	ip = exe();
	if (ip)
		n = path_of(ip, buf);
	mutex_unlock(&vfs_mutex);
	return n;
}

static int cwd_follow(int arg, struct inode **out)
{
	*out = fs_cwd();
	return 0;
}

static int cwd_link(int arg, char *buf)
{
	int n;

	mutex_lock(&vfs_mutex);
	n = path_of(fs_cwd(), buf);
	mutex_unlock(&vfs_mutex);
	return n;
}

static int root_follow(int arg, struct inode **out)
{
	*out = fs_root;
	return 0;
}

static int root_link(int arg, char *buf)
{
	buf[0] = '/';
	return 1;
}

/* -ENXIO: a file outside the tree, which open takes from the fd table. */
static int fd_follow(int fd, struct inode **out)
{
	bool open;

	*out = fd_inode(fd, &open);
	if (!open)
		return -ENOENT;
	return *out ? 0 : -ENXIO;
}

/* What Linux shows for a file without a path. */
static int outside_name(struct file *f, char *buf)
{
	struct kstat st;
	int err = vfs_fstat(f, &st);

	if (err)
		return err;
	if ((st.mode & S_IFMT) == S_IFIFO)
		return snprintf(buf, PATH_MAX, "pipe:[%lu]", st.ino);
	if ((st.mode & S_IFMT) == S_IFSOCK)
		return snprintf(buf, PATH_MAX, "socket:[%lu]", st.ino);
	return snprintf(buf, PATH_MAX, "anon_inode:%s",
			f->ops->anon_name ? f->ops->anon_name : "[unknown]");
}

static int fd_link(int fd, char *buf)
{
	struct file *f = fd_get(fd);
	int n;

	if (!f)
		return -ENOENT;
	if (f->inode) {
		mutex_lock(&vfs_mutex);
		n = path_of(f->inode, buf);
		mutex_unlock(&vfs_mutex);
	} else {
		n = outside_name(f, buf);
	}
	file_put(f);
	return n;
}

/* ---- /proc/mounts and /proc/self/mountinfo: the mount table ---- */
static void mount_line(struct proc_buf *b, struct mount *m, const char *path,
		       bool info)
{
	struct super_block *sb = m->sb;
	const char *rw = m->rdonly ? "ro" : "rw";
	uint64_t dev = sb->dev;
	unsigned major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffu);
	unsigned minor = (dev & 0xff) | ((dev >> 12) & ~0xffu);

	if (info)
		proc_printf(b, "%u %u %u:%u / %s %s - %s %s %s\n", m->id,
			    m->parent->id, major, minor, path, rw, sb->type,
			    sb->source, rw);
	else
		proc_printf(b, "%s %s %s %s 0 0\n", sb->source, path, sb->type,
			    rw);
}

static int show_mount_table(struct proc_buf *b, bool info)
{
	char *tmp = malloc(PATH_MAX);
	const char *path;
	int err;

	if (!tmp)
		return -ENOMEM;
	mutex_lock(&vfs_mutex);
	for (struct mount *m = mount_next(NULL); m; m = mount_next(m)) {
		path =
		    m->mountpoint ? inode_path(m->mountpoint, tmp, &err) : "/";
		if (path)
			mount_line(b, m, path, info);
	}
	mutex_unlock(&vfs_mutex);
	free(tmp);
	return 0;
}

static int show_mounts(struct proc_buf *b, int arg)
{
	return show_mount_table(b, false);
}

static int show_mountinfo(struct proc_buf *b, int arg)
{
	return show_mount_table(b, true);
}

const struct proc_entry procfs_self = PLINK("self", self_follow, self_link);
const struct proc_entry procfs_cwd = PLINK("cwd", cwd_follow, cwd_link);
const struct proc_entry procfs_exe = PLINK("exe", exe_follow, exe_link);
const struct proc_entry procfs_root = PLINK("root", root_follow, root_link);
static const struct proc_entry fd_entry = PLINK(NULL, fd_follow, fd_link);
const struct proc_entry procfs_fd = PNUMBERED("fd", &fd_entry, fd_next_open);
const struct proc_entry procfs_mounts = PFILE("mounts", show_mounts);
const struct proc_entry procfs_mountinfo = PFILE("mountinfo", show_mountinfo);
