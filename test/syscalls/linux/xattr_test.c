/*
 * Extended attributes: set/get/list/remove and their errors.
 *
 * Each test runs in /dev/shm (tmpfs) and in /tmp (tmpfs in the sandbox, often
 * a disk file system natively). tmpfs has supported trusted.* for a long time
 * and user.* since Linux 6.6; the host kernel here is 6.x.
 */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#ifndef XATTR_SIZE_MAX
#define XATTR_SIZE_MAX 65536
#endif

/* The test body, run once per directory. */
typedef void (*xattr_case)(char *(*path)(const char *));

static void in_both(xattr_case c)
{
	c(harness_shm_path);
	c(harness_path);
}

static char *make_file(char *(*path)(const char *))
{
	char *f = path("f");
	harness_write_file(f, "", 0, 0644);
	return f;
}

static void set_get(char *(*path)(const char *))
{
	char *f = make_file(path);
	EXPECT_EQ(setxattr(f, "user.color", "blue", 4, 0), 0);
	char buf[16] = {0};
	EXPECT_EQ(getxattr(f, "user.color", buf, sizeof(buf)), 4);
	EXPECT_EQ(memcmp(buf, "blue", 4), 0);
	/* Size 0 asks for the length. */
	EXPECT_EQ(getxattr(f, "user.color", 0, 0), 4);
	/* Replace with a longer and a shorter value. */
	EXPECT_EQ(setxattr(f, "user.color", "turquoise", 9, 0), 0);
	EXPECT_EQ(getxattr(f, "user.color", buf, sizeof(buf)), 9);
	EXPECT_EQ(setxattr(f, "user.color", "red", 3, 0), 0);
	EXPECT_EQ(getxattr(f, "user.color", buf, sizeof(buf)), 3);
	EXPECT_EQ(memcmp(buf, "red", 3), 0);
	/* Values are binary and may be empty. */
	EXPECT_EQ(setxattr(f, "user.bin", "\0\1\2", 3, 0), 0);
	EXPECT_EQ(getxattr(f, "user.bin", buf, sizeof(buf)), 3);
	EXPECT_EQ(memcmp(buf, "\0\1\2", 3), 0);
	EXPECT_EQ(setxattr(f, "user.empty", "", 0, 0), 0);
	EXPECT_EQ(getxattr(f, "user.empty", buf, sizeof(buf)), 0);
}

TEST(xattr_set_get)
{
	in_both(set_get);
}

static void missing_and_range(char *(*path)(const char *))
{
	char *f = make_file(path);
	char buf[16];
	EXPECT_ERRNO(getxattr(f, "user.missing", buf, sizeof(buf)), ENODATA);
	EXPECT_ERRNO(getxattr(f, "user.missing", 0, 0), ENODATA);
	ASSERT_SYSCALL_OK(setxattr(f, "user.k", "0123456789", 10, 0));
	EXPECT_ERRNO(getxattr(f, "user.k", buf, 9), ERANGE);
	EXPECT_EQ(getxattr(f, "user.k", buf, 10), 10);
}

TEST(xattr_enodata_erange)
{
	in_both(missing_and_range);
}

static void create_replace(char *(*path)(const char *))
{
	char *f = make_file(path);
	char buf[8] = {0};
	EXPECT_ERRNO(setxattr(f, "user.k", "v", 1, XATTR_REPLACE), ENODATA);
	EXPECT_EQ(setxattr(f, "user.k", "v1", 2, XATTR_CREATE), 0);
	EXPECT_ERRNO(setxattr(f, "user.k", "v2", 2, XATTR_CREATE), EEXIST);
	EXPECT_EQ(getxattr(f, "user.k", buf, sizeof(buf)), 2);
	EXPECT_EQ(memcmp(buf, "v1", 2), 0);
	EXPECT_EQ(setxattr(f, "user.k", "v3", 2, XATTR_REPLACE), 0);
	EXPECT_EQ(getxattr(f, "user.k", buf, sizeof(buf)), 2);
	EXPECT_EQ(memcmp(buf, "v3", 2), 0);
	/* Both flags together: each applies, so one always fails. */
	EXPECT_ERRNO(setxattr(f, "user.k", "v", 1,
			      XATTR_CREATE | XATTR_REPLACE),
		     EEXIST);
	EXPECT_ERRNO(setxattr(f, "user.new", "v", 1,
			      XATTR_CREATE | XATTR_REPLACE),
		     ENODATA);
	EXPECT_ERRNO(setxattr(f, "user.k", "v", 1, 0x4), EINVAL);
}

TEST(xattr_create_replace)
{
	in_both(create_replace);
}

/* Whether the NUL-separated list holds name. */
static int list_has(const char *list, long len, const char *name)
{
	for (long off = 0; off < len; off += (long)strlen(list + off) + 1)
		if (strcmp(list + off, name) == 0)
			return 1;
	return 0;
}

static void list_remove(char *(*path)(const char *))
{
	char *f = make_file(path);
	char list[256];
	long base = listxattr(f, list, sizeof(list));
	ASSERT_GE(base, 0);
	ASSERT_SYSCALL_OK(setxattr(f, "user.a", "1", 1, 0));
	ASSERT_SYSCALL_OK(setxattr(f, "user.bb", "2", 1, 0));
	long n = listxattr(f, list, sizeof(list));
	/* Names with their NULs: "user.a\0user.bb\0" is 15 bytes. */
	EXPECT_EQ(n, base + 15);
	EXPECT_TRUE(list_has(list, n, "user.a"));
	EXPECT_TRUE(list_has(list, n, "user.bb"));
	EXPECT_EQ(listxattr(f, 0, 0), n);
	EXPECT_ERRNO(listxattr(f, list, (size_t)n - 1), ERANGE);
	EXPECT_EQ(removexattr(f, "user.a"), 0);
	char buf[4];
	EXPECT_ERRNO(getxattr(f, "user.a", buf, sizeof(buf)), ENODATA);
	EXPECT_ERRNO(removexattr(f, "user.a"), ENODATA);
	n = listxattr(f, list, sizeof(list));
	EXPECT_EQ(n, base + 8);
	EXPECT_FALSE(list_has(list, n, "user.a"));
	EXPECT_TRUE(list_has(list, n, "user.bb"));
}

TEST(xattr_list_remove)
{
	in_both(list_remove);
}

static void bad_names(char *(*path)(const char *))
{
	char *f = make_file(path);
	char buf[4];
	/* No namespace, or one the kernel does not know. */
	EXPECT_ERRNO(setxattr(f, "plain", "v", 1, 0), EOPNOTSUPP);
	EXPECT_ERRNO(setxattr(f, "bogus.k", "v", 1, 0), EOPNOTSUPP);
	EXPECT_ERRNO(getxattr(f, "bogus.k", buf, sizeof(buf)), EOPNOTSUPP);
	/* An empty name after the prefix, and no name at all. */
	EXPECT_ERRNO(setxattr(f, "user.", "v", 1, 0), EINVAL);
	EXPECT_ERRNO(setxattr(f, "", "v", 1, 0), ERANGE);
	EXPECT_ERRNO(getxattr(f, "", buf, sizeof(buf)), ERANGE);
	/* Names are at most 255 bytes. */
	char name[300] = "user.";
	memset(name + 5, 'n', 251);
	EXPECT_ERRNO(setxattr(f, name, "v", 1, 0), ERANGE);
	name[255] = 0;
	EXPECT_EQ(setxattr(f, name, "v", 1, 0), 0);
	EXPECT_EQ(getxattr(f, name, buf, sizeof(buf)), 1);
}

TEST(xattr_bad_names)
{
	in_both(bad_names);
}

TEST(xattr_value_too_big)
{
	char *f = harness_shm_path("f");
	harness_write_file(f, "", 0, 0644);
	char *big = calloc(1, XATTR_SIZE_MAX + 1);
	ASSERT_TRUE(big != 0);
	EXPECT_ERRNO(setxattr(f, "user.big", big, XATTR_SIZE_MAX + 1, 0),
		     E2BIG);
	free(big);
}

static void fd_and_link_variants(char *(*path)(const char *))
{
	char *f = make_file(path);
	char *l = path("l");
	ASSERT_SYSCALL_OK(symlink("f", l));
	int fd = harness_open(f, O_RDONLY);
	/* A read-only descriptor will do: the file's permissions count. */
	EXPECT_EQ(fsetxattr(fd, "user.k", "fd", 2, 0), 0);
	char buf[8] = {0};
	EXPECT_EQ(fgetxattr(fd, "user.k", buf, sizeof(buf)), 2);
	EXPECT_GT(flistxattr(fd, buf, sizeof(buf)), 0);
	/* getxattr follows the link, lgetxattr looks at the link. */
	EXPECT_EQ(getxattr(l, "user.k", buf, sizeof(buf)), 2);
	EXPECT_ERRNO(lgetxattr(l, "user.k", buf, sizeof(buf)), ENODATA);
	/* user.* is not allowed on symlinks. */
	EXPECT_ERRNO(lsetxattr(l, "user.k", "v", 1, 0), EPERM);
	EXPECT_EQ(fremovexattr(fd, "user.k"), 0);
	EXPECT_ERRNO(fremovexattr(fd, "user.k"), ENODATA);
	close(fd);
	int p = harness_open(f, O_PATH);
	EXPECT_ERRNO(fsetxattr(p, "user.k", "v", 1, 0), EBADF);
	close(p);
}

TEST(xattr_fd_and_symlink)
{
	in_both(fd_and_link_variants);
}

static void on_directory(char *(*path)(const char *))
{
	char *d = path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	EXPECT_EQ(setxattr(d, "user.dir", "x", 1, 0), 0);
	char buf[4];
	EXPECT_EQ(getxattr(d, "user.dir", buf, sizeof(buf)), 1);
}

TEST(xattr_on_directory)
{
	in_both(on_directory);
}

static void trusted_as_root(char *(*path)(const char *))
{
	char *f = make_file(path);
	EXPECT_EQ(setxattr(f, "trusted.t", "root", 4, 0), 0);
	char buf[8];
	EXPECT_EQ(getxattr(f, "trusted.t", buf, sizeof(buf)), 4);
	/* trusted.* is hidden from, and refused to, non-root users. */
	ASSERT_SYSCALL_OK(chmod(harness_shmdir(), 0755));
	ASSERT_SYSCALL_OK(chmod(harness_tmpdir(), 0755));
	harness_set_eids(65534, 65534);
	EXPECT_ERRNO(getxattr(f, "trusted.t", buf, sizeof(buf)), ENODATA);
	char list[64];
	long n = listxattr(f, list, sizeof(list));
	EXPECT_GE(n, 0);
	EXPECT_FALSE(list_has(list, n, "trusted.t"));
	harness_restore_eids();
}

TEST(xattr_trusted_namespace)
{
	if (geteuid() != 0 || getuid() != 0)
		SKIP("needs root (CAP_SYS_ADMIN) for trusted.*");
	in_both(trusted_as_root);
}

TEST(xattr_errors)
{
	char buf[4];
	char *missing = harness_path("missing");
	EXPECT_ERRNO(setxattr(missing, "user.k", "v", 1, 0), ENOENT);
	EXPECT_ERRNO(getxattr(missing, "user.k", buf, sizeof(buf)), ENOENT);
	EXPECT_ERRNO(listxattr(missing, buf, sizeof(buf)), ENOENT);
	EXPECT_ERRNO(removexattr(missing, "user.k"), ENOENT);
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(getxattr(harness_path("f/x"), "user.k", buf, sizeof(buf)),
		     ENOTDIR);
	EXPECT_ERRNO(fgetxattr(-1, "user.k", buf, sizeof(buf)), EBADF);
	EXPECT_ERRNO(getxattr((const char *)1, "user.k", buf, sizeof(buf)),
		     EFAULT);
	EXPECT_ERRNO(getxattr(harness_path("f"), (const char *)1, buf,
			      sizeof(buf)),
		     EFAULT);
}
