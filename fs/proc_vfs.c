/*
 * /proc's entries that show the VFS's own state: the magic links
 * (/proc/self, /proc/<pid>/cwd, root, exe, fd/N), fdinfo/N and the
 * mount table
 * (/proc/mounts, /proc/<pid>/mounts, mountinfo). linux/proc_pid.c puts
 * them in /proc/<pid>.
 */
#include "fs/fs_private.h"
#include "fs/procfs.h"
#include "linux/linux.h" /* linux_missing */

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

static int self_follow(int pid_dir, int arg, struct inode **out)
{
	char name[16];
	int pid = linux_pid(), len;

	if (!pid)
		return -ENOENT;
	len = snprintf(name, sizeof(name), "%d", pid);
	return procfs_find_root(name, len, out);
}

static int self_link(int pid_dir, int arg, char *buf)
{
	int pid = linux_pid();

	return pid ? snprintf(buf, PATH_MAX, "%d", pid) : -ENOENT;
}

/* ---- a process's program and working directory (in its fd table) ---- */
static bool exe_looking; /* under vfs_mutex */

/* Under vfs_mutex: the first program's file, found where the loader
 * found it (argv[0] from "/"), and kept as Linux's exe_file. */
static struct inode *first_exe(void)
{
	struct inode *ip = NULL;
	struct lookup l;
	char *path;

	if (exe_looking || !linux_pid() || !boot_options.argc)
		return NULL;
	path = malloc(PATH_MAX);
	if (!path)
		return NULL;
	snprintf(path, PATH_MAX, "/%s", boot_options.argv[0]);
	exe_looking = true; /* argv[0] might lead through /proc/self/exe */
	if (!lookup(NULL, path, true, &l) && l.ip->type == S_IFREG)
		ip = l.ip;
	exe_looking = false;
	free(path);
	return ip;
}

struct exe_of {
	struct inode *ip;
	bool first; /* the first process's table */
};

static int get_exe(struct fd_table *t, void *arg)
{
	struct exe_of *e = arg;

	e->ip = fd_table_exe(t);
	e->first = !t;
	return 0;
}

/* Under vfs_mutex: process pid's program; NULL if unknown. */
static struct inode *exe(int pid)
{
	struct exe_of e = {0};

	if (linux_with_files(pid, get_exe, &e) || e.ip || !e.first)
		return e.ip;
	e.ip = first_exe();
	if (e.ip && !fd_table_exe(NULL)) {
		e.ip->refs++;
		fd_table_exe_set(NULL, e.ip);
	}
	return e.ip;
}

void vfs_exe_set(struct file *dir, const char *path)
{
	struct inode *old = NULL;
	struct lookup l;

	mutex_lock(&vfs_mutex);
	if (!lookup(dir, path, true, &l)) {
		l.ip->refs++;
		old = fd_table_exe_set(fd_table_caller(), l.ip);
		if (old)
			old = inode_unref_locked(old);
	}
	mutex_unlock(&vfs_mutex);
	if (old)
		inode_evict(old);
}

static int exe_follow(int pid, int arg, struct inode **out)
{
	*out = exe(pid);
	return *out ? 0 : -ENOENT;
}

static int exe_link(int pid, int arg, char *buf)
{
	struct inode *ip;
	int n = -ENOENT;

	mutex_lock(&vfs_mutex);
	ip = exe(pid);
	if (ip)
		n = path_of(ip, buf);
	mutex_unlock(&vfs_mutex);
	return n;
}

static int get_cwd(struct fd_table *t, void *arg)
{
	*(struct inode **)arg = fd_table_cwd(t);
	return 0;
}

/* Under vfs_mutex. */
static int cwd_follow(int pid, int arg, struct inode **out)
{
	int err = linux_with_files(pid, get_cwd, out);

	return err ? err : *out ? 0 : -ENOENT;
}

static int cwd_link(int pid, int arg, char *buf)
{
	struct inode *ip;
	int n;

	mutex_lock(&vfs_mutex);
	n = cwd_follow(pid, arg, &ip);
	if (!n)
		n = path_of(ip, buf);
	mutex_unlock(&vfs_mutex);
	return n;
}

static int root_follow(int pid, int arg, struct inode **out)
{
	*out = fs_root;
	return 0;
}

static int root_link(int pid, int arg, char *buf)
{
	buf[0] = '/';
	return 1;
}

/* ---- /proc/<pid>/fd and fdinfo ---- */
struct fd_query {
	int fd;
	bool open;
	struct inode *ip;
	struct file *f;
};

static int get_fd_inode(struct fd_table *t, void *arg)
{
	struct fd_query *q = arg;

	q->ip = fd_inode(t, q->fd, &q->open);
	return 0;
}

static int get_fd_file(struct fd_table *t, void *arg)
{
	struct fd_query *q = arg;

	q->f = fd_get_in(t, q->fd);
	return 0;
}

static int next_fd(struct fd_table *t, void *arg)
{
	return fd_next_open(t, *(int *)arg);
}

static int fd_next(int pid, int from)
{
	int n = linux_with_files(pid, next_fd, &from);

	return n < 0 ? -1 : n;
}

/* Under vfs_mutex. -ENXIO: a file outside the tree, which open takes
 * from the caller's fd table: only the caller's own descriptors. */
static int fd_follow(int pid, int fd, struct inode **out)
{
	struct fd_query q = {.fd = fd};

	if (linux_with_files(pid, get_fd_inode, &q) || !q.open)
		return -ENOENT;
	*out = q.ip;
	if (q.ip)
		return 0;
	if (pid == linux_pid())
		return -ENXIO;
	linux_missing("open of another process's pipe or socket by "
		      "/proc/<pid>/fd");
	return -EACCES;
}

static struct file *fd_file(int pid, int fd)
{
	struct fd_query q = {.fd = fd};

	return linux_with_files(pid, get_fd_file, &q) ? NULL : q.f;
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

static int fd_link(int pid, int fd, char *buf)
{
	struct file *f = fd_file(pid, fd);
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

/* Linux: fs/proc/fd.c, seq_show (pos, flags in octal, mnt_id, ino). */
static int show_fdinfo(struct proc_buf *b, int pid, int fd)
{
	struct file *f = fd_file(pid, fd);
	struct kstat st;
	int err;

	if (!f)
		return -ENOENT;
	err = vfs_fstat(f, &st);
	if (!err)
		proc_printf(
		    b, "pos:\t%ld\nflags:\t0%o\nmnt_id:\t%u\nino:\t%lu\n",
		    (long)LOAD(f->pos), (unsigned)LOAD(f->flags),
		    f->inode && f->inode->sb->mnt ? f->inode->sb->mnt->id : 0,
		    st.ino);
	file_put(f);
	return err;
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
		/* a mount beneath the root (a boot root a disk root
		 * covers) is out of every path: not shown, as Linux */
		path = m->sb->root == fs_root ? "/"
		       : m->mountpoint	      ? inode_path(m->mountpoint, tmp, &err)
					      : NULL;
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
const struct proc_entry procfs_fd = PNUMBERED("fd", &fd_entry, fd_next);
static const struct proc_entry fdinfo_entry = {.mode = S_IFREG | 0444,
					       .show_in = show_fdinfo};
const struct proc_entry procfs_fdinfo =
    PNUMBERED("fdinfo", &fdinfo_entry, fd_next);
const struct proc_entry procfs_mounts = PFILE("mounts", show_mounts);
const struct proc_entry procfs_mountinfo = PFILE("mountinfo", show_mountinfo);
