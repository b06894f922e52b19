/*
 * The mount table as programs see it (man 5 proc: /proc/self/mountinfo,
 * /proc/mounts): "/" and /proc are mounts with their own st_dev, the
 * table names them with their types, and a rename between two mounts is
 * -EXDEV. What /proc shows comes from where each subsystem registered it.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>

static char text[1 << 16];

static const char *slurp(const char *path)
{
	return abi_slurp(path, text, sizeof(text)) < 0 ? NULL : text;
}

/* Whether mountinfo has a line for mount point `at` of type `type` (""
 * any): "ID PARENT MAJ:MIN ROOT AT OPTS... - TYPE SOURCE OPTS". */
static int mountinfo_has(const char *info, const char *at, const char *type)
{
	char want_at[64], want_type[64];

	snprintf(want_at, sizeof(want_at), " %s ", at);
	snprintf(want_type, sizeof(want_type), " - %s%s", type,
		 *type ? " " : "");
	for (const char *l = info; l && *l; l = strchr(l, '\n') + 1) {
		const char *end = strchr(l, '\n'), *p = l;
		int field = 0;

		if (!end)
			break;
		while (p < end && field < 4) /* to the fifth field */
			if (*p++ == ' ')
				field++;
		if (!strncmp(p - 1, want_at, strlen(want_at)) &&
		    memmem(l, end - l, want_type, strlen(want_type)))
			return 1;
	}
	return 0;
}

static void table_names_root_and_proc(void)
{
	const char *t = slurp("/proc/self/mountinfo");

	CHECK(t && *t);
	CHECK(mountinfo_has(t, "/", ""));
	CHECK(mountinfo_has(t, "/proc", "proc"));
	t = slurp("/proc/mounts");
	CHECK(t && strstr(t, "proc /proc proc "));
}

static void mounts_have_their_own_dev(void)
{
	struct stat root, proc;

	CHECK_EQ_INT(stat("/", &root), 0);
	CHECK_EQ_INT(stat("/proc", &proc), 0);
	CHECK(root.st_dev != proc.st_dev);
	CHECK_EQ_INT(stat("/proc/self/status", &proc), 0);
	CHECK(root.st_dev != proc.st_dev);
}

static void rename_across_mounts_is_exdev(void)
{
	CHECK_ERRNO(rename("/proc/version", "/tmp/abi-mounts-v"), EXDEV);
	CHECK_ERRNO(link("/proc/version", "/tmp/abi-mounts-v"), EXDEV);
}

/* Files registered from outside fs/ (the process's, the network's). */
static void registered_files_are_there(void)
{
	const char *t;

	t = slurp("/proc/net/dev");
	CHECK(t && strstr(t, "Inter-|"));
	t = slurp("/proc/self/net/dev");
	CHECK(t && strstr(t, "Inter-|"));
	t = slurp("/proc/loadavg");
	CHECK(t && strchr(t, '/'));
	t = slurp("/proc/sys/kernel/hostname");
	CHECK(t && *t);
	t = slurp("/proc/sys/kernel/ostype");
	CHECK(t && !strcmp(t, "Linux\n"));
	t = slurp("/proc/self/status");
	CHECK(t && strstr(t, "\nPid:\t"));
	CHECK_EQ_INT(access("/proc/self/fd/0", F_OK), 0);
}

int main(void)
{
	abi_init("mounts");
	ABI_RUN(table_names_root_and_proc);
	ABI_RUN(mounts_have_their_own_dev);
	ABI_RUN(rename_across_mounts_is_exdev);
	ABI_RUN(registered_files_are_there);
	return abi_done();
}
