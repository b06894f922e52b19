/*
 * Unpacking the initramfs (cpio newc, read by fs/cpio.c) into the root,
 * the way Linux's init/initramfs.c does:
 *  - leading "/" and "./" are stripped, so every name is relative to the
 *    root; "." (or nothing) is the root itself; names with a ".."
 *    component are refused;
 *  - an existing entry of another type is removed first; an existing
 *    directory is kept and gets the new attributes; an existing file is
 *    truncated and rewritten;
 *  - regular files with nlink > 1 and the same (dev, ino) are hard links:
 *    the first becomes the file, later ones are linked to it, and
 *    whichever carries data writes it (GNU cpio puts it on the last);
 *  - a directory's mtime is set at the end, after its entries are made;
 *  - unlike Linux, missing parent directories are made (mode 0755).
 * Anything malformed stops the unpacking with -EINVAL after one message
 * naming the entry; what was made so far stays.
 */
#include "fs/cpio.h"
#include "fs/fs_private.h"

struct hardlink {
	struct hardlink *next;
	uint32_t ino, major, minor;
	char name[];
};

struct dirtime {
	struct dirtime *next;
	uint32_t mtime;
	char name[];
};

struct unpack {
	struct file *root;
	/* hands unpacked bytes of the archive back (NULL: keep them) */
	void (*release)(const void *start, const void *end);
	struct hardlink *links;
	struct dirtime *dirs;
	char parent[PATH_MAX];
};

static int bad(const struct cpio_entry *e, const char *why)
{
	kprintf("osprey: initrd: entry '%s': %s\n", e->name, why);
	return -EINVAL;
}

/* Reports a failed file-system call on e's behalf. */
static int failed(const struct cpio_entry *e, const char *what, int err)
{
	kprintf("osprey: initrd: entry '%s': cannot %s (error %d)\n", e->name,
		what, -err);
	return err == -ENOMEM || err == -ENOSPC ? -ENOMEM : -EINVAL;
}

static const char *strip(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else if (name[0] == '.' && name[1] == '\0')
			name++;
		else
			return name;
	}
}

static bool has_dotdot(const char *name)
{
	while (*name) {
		const char *end = name;

		while (*end && *end != '/')
			end++;
		if (end - name == 2 && name[0] == '.' && name[1] == '.')
			return true;
		name = *end ? end + 1 : end;
	}
	return false;
}

/* A record whose name[] starts at `off`, holding a copy of name. */
static void *record(size_t off, const char *name)
{
	size_t n = strlen(name) + 1;
	char *r = malloc(off + n);

	if (r)
		memcpy(r + off, name, n);
	return r;
}

/* Makes each missing parent directory of name (like mkdir -p). */
static void make_parents(struct unpack *u, const char *name)
{
	size_t n = strlen(name);

	memcpy(u->parent, name, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (u->parent[i] != '/' || u->parent[i - 1] == '/')
			continue;
		u->parent[i] = '\0';
		vfs_mkdirat(u->root, u->parent, 0755); /* -EEXIST is fine */
		u->parent[i] = '/';
	}
}

/* Removes what is at name unless it is of type `keep` (0: anything). */
static int clear_path(struct unpack *u, const char *name, uint32_t keep)
{
	struct kstat st;

	if (vfs_statat(u->root, name, &st, AT_SYMLINK_NOFOLLOW))
		return 0;
	if ((st.mode & S_IFMT) == keep)
		return 0;
	return vfs_unlinkat(u->root, name, S_ISDIR(st.mode) ? AT_REMOVEDIR : 0);
}

/* Mode, owner and (but for directories, done at the end) mtime. */
static int set_attrs(struct unpack *u, const char *name,
		     const struct cpio_entry *e)
{
	struct timespec_k t[2] = {{e->mtime, 0}, {e->mtime, 0}};
	int err = 0;

	if (!S_ISLNK(e->mode))
		err = vfs_chmodat(u->root, name, e->mode & 07777, 0);
	if (!err)
		err = vfs_chownat(u->root, name, e->uid, e->gid,
				  AT_SYMLINK_NOFOLLOW);
	if (!err && !S_ISDIR(e->mode))
		err = vfs_utimensat(u->root, name, t, AT_SYMLINK_NOFOLLOW);
	return err ? failed(e, "set its attributes", err) : 0;
}

static int unpack_dir(struct unpack *u, const char *name,
		      const struct cpio_entry *e)
{
	struct dirtime *d;
	int err = clear_path(u, name, S_IFDIR);

	if (!err) {
		err = vfs_mkdirat(u->root, name, 0700);
		if (err == -EEXIST)
			err = 0;
	}
	if (err)
		return failed(e, "make the directory", err);
	d = record(offsetof(struct dirtime, name), name);
	if (!d)
		return failed(e, "remember its time", -ENOMEM);
	d->mtime = e->mtime;
	d->next = u->dirs;
	u->dirs = d;
	return set_attrs(u, name, e);
}

/* The earlier name of a hard-linked file, if this is a later one. */
static struct hardlink *find_link(struct unpack *u, const struct cpio_entry *e)
{
	for (struct hardlink *h = u->links; h; h = h->next)
		if (h->ino == e->ino && h->major == e->devmajor &&
		    h->minor == e->devminor)
			return h;
	return NULL;
}

static int remember_link(struct unpack *u, const char *name,
			 const struct cpio_entry *e)
{
	struct hardlink *h = record(offsetof(struct hardlink, name), name);

	if (!h)
		return -ENOMEM;
	h->ino = e->ino;
	h->major = e->devmajor;
	h->minor = e->devminor;
	h->next = u->links;
	u->links = h;
	return 0;
}

/* A large file's data goes back in chunks as it is copied: the page
 * holding the entry's header and name stays (see fs_unpack_initrd). */
#define RELEASE_CHUNK (256 * 1024)
static int write_data(struct unpack *u, struct file *f,
		      const struct cpio_entry *e)
{
	const char *data = e->data;
	size_t done = 0;

	while (done < e->size) {
		size_t want = MIN(e->size - done, (size_t)RELEASE_CHUNK);
		int64_t n = vfs_write(f, data + done, want);

		if (n <= 0)
			return n < 0 ? (int)n : -ENOSPC;
		done += n;
		if (u->release)
			u->release((const void *)ALIGN_UP((uintptr_t)data + 1, PAGE_SIZE),
				   data + done);
	}
	return 0;
}

/* Makes (or links) the file; the open file is left in *f. */
static int open_file(struct unpack *u, const char *name,
		     const struct cpio_entry *e, struct file **f)
{
	struct hardlink *h = e->nlink > 1 ? find_link(u, e) : NULL;
	int err;

	if (h) {
		err = clear_path(u, name, 0);
		if (!err)
			err = vfs_linkat(u->root, h->name, u->root, name, 0);
		if (!err)
			err = vfs_openat(u->root, name, O_WRONLY | O_NOFOLLOW,
					 0, f);
		return err;
	}
	if (e->nlink > 1 && remember_link(u, name, e))
		return -ENOMEM;
	err = clear_path(u, name, S_IFREG);
	if (!err)
		err = vfs_openat(u->root, name,
				 O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
				 0600, f);
	return err;
}

static int unpack_file(struct unpack *u, const char *name,
		       const struct cpio_entry *e)
{
	struct file *f;
	int err = open_file(u, name, e, &f);

	if (err)
		return failed(e, "make the file", err);
	err = write_data(u, f, e);
	file_put(f);
	if (err)
		return failed(e, "write the file", err);
	return set_attrs(u, name, e);
}

static int unpack_symlink(struct unpack *u, const char *name,
			  const struct cpio_entry *e)
{
	char *target;
	int err;

	if (e->size == 0 || e->size >= PATH_MAX ||
	    strnlen(e->data, e->size) != e->size)
		return bad(e, "a symlink target that is empty, too long or "
			      "holds a NUL");
	target = malloc(e->size + 1);
	if (!target)
		return failed(e, "copy the target", -ENOMEM);
	memcpy(target, e->data, e->size);
	target[e->size] = '\0';
	err = clear_path(u, name, 0);
	if (!err)
		err = vfs_symlinkat(target, u->root, name);
	free(target);
	if (err)
		return failed(e, "make the symlink", err);
	return set_attrs(u, name, e);
}

static int unpack_node(struct unpack *u, const char *name,
		       const struct cpio_entry *e)
{
	uint64_t dev = fs_makedev(e->rdevmajor, e->rdevminor);
	int err = clear_path(u, name, 0);

	if (!err)
		err =
		    vfs_mknodat(u->root, name, e->mode & (S_IFMT | 07777), dev);
	if (err)
		return failed(e, "make the node", err);
	return set_attrs(u, name, e);
}

static int unpack_entry(struct unpack *u, const struct cpio_entry *e)
{
	const char *name = strip(e->name);

	if (has_dotdot(name))
		return bad(e, "a \"..\" component");
	if (e->namelen >= PATH_MAX)
		return bad(e, "a name longer than PATH_MAX");
	if (!*name) {
		if (!S_ISDIR(e->mode))
			return bad(e, "the root that is not a directory");
		name = ".";
	}
	make_parents(u, name);
	switch (e->mode & S_IFMT) {
	case S_IFDIR:
		return unpack_dir(u, name, e);
	case S_IFREG:
		return unpack_file(u, name, e);
	case S_IFLNK:
		return unpack_symlink(u, name, e);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return unpack_node(u, name, e);
	}
	return bad(e, "an unknown file type");
}

/* Sets the directories' mtimes and frees the bookkeeping. */
static void finish(struct unpack *u)
{
	for (struct dirtime *d = u->dirs, *next; d; d = next) {
		struct timespec_k t[2] = {{d->mtime, 0}, {d->mtime, 0}};

		next = d->next;
		vfs_utimensat(u->root, d->name, t, AT_SYMLINK_NOFOLLOW);
		free(d);
	}
	for (struct hardlink *h = u->links, *next; h; h = next) {
		next = h->next;
		free(h);
	}
	file_put(u->root);
	free(u);
}

int fs_unpack_initrd(const void *buf, size_t len)
{
	return fs_unpack_initrd_freeing(buf, len, NULL);
}

/*
 * The archive is read front to back, so what lies before the entry being
 * unpacked is never read again: it goes to `release` as soon as the entry
 * after it is unpacked (the last entry's name stays for the message
 * about a malformed archive after it), a large file's data as it is
 * copied (write_data), and the rest at the end. The archive and the
 * files made from it are then never both whole in memory. Releasing a
 * page twice is harmless (the allocator skips what it has).
 */
int fs_unpack_initrd_freeing(const void *buf, size_t len,
			     void (*release)(const void *start, const void *end))
{
	struct unpack *u = calloc(1, sizeof(*u));
	const char *why = "", *last = "(none)";
	struct cpio_entry e;
	size_t off = 0;
	int r;

	if (!u)
		return -ENOMEM;
	u->release = release;
	r = vfs_openat(NULL, "/", O_PATH | O_DIRECTORY, 0, &u->root);
	if (r) {
		free(u);
		return r;
	}
	size_t last_off = 0, done = 0;
	for (size_t at = off; (r = cpio_next(buf, len, &off, &e, &why)) > 0;
	     at = off) {
		r = unpack_entry(u, &e);
		if (r)
			break;
		if (release && last_off > done)
			release((const char *)buf + done, (const char *)buf + last_off);
		done = MAX(done, last_off);
		last = e.name;
		last_off = at;
	}
	if (r == -EINVAL && *why)
		kprintf("osprey: initrd: malformed archive after entry '%s' "
			"(byte %lu): %s\n",
			last, off, why);
	if (release)
		release((const char *)buf + done, (const char *)buf + len);
	finish(u);
	return r < 0 ? r : 0;
}
