/* unlink and unlinkat: removing names, open files and AT_REMOVEDIR. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long unlink_raw(const char *path)
{
	return syscall(SYS_unlink, path);
}

static long unlinkat_raw(int dirfd, const char *path, int flags)
{
	return syscall(SYS_unlinkat, dirfd, path, flags);
}

TEST(unlink_removes_name)
{
	char *f = harness_path("f");
	harness_write_file(f, "x", 1, 0644);
	EXPECT_EQ(unlink_raw(f), 0);
	struct stat st;
	EXPECT_ERRNO(stat(f, &st), ENOENT);
	EXPECT_ERRNO(unlink_raw(f), ENOENT);
}

TEST(unlink_open_file_stays_usable)
{
	char *f = harness_path("f");
	harness_write_file(f, "data", 4, 0644);
	int fd = harness_open(f, O_RDWR);
	ASSERT_SYSCALL_OK(unlink_raw(f));
	char buf[8] = {0};
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 4);
	EXPECT_STREQ(buf, "data");
	EXPECT_EQ(write(fd, "more", 4), 4);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_EQ(st.st_size, 8);
	/* The name is free for a new file. */
	harness_write_file(f, "new", 3, 0644);
	struct stat st2;
	EXPECT_SYSCALL_OK(stat(f, &st2));
	EXPECT_EQ(st2.st_size, 3);
	close(fd);
}

TEST(unlink_hard_link_count)
{
	char *a = harness_path("a"), *b = harness_path("b");
	harness_write_file(a, "", 0, 0644);
	ASSERT_SYSCALL_OK(link(a, b));
	ASSERT_SYSCALL_OK(unlink_raw(a));
	struct stat st;
	ASSERT_SYSCALL_OK(stat(b, &st));
	EXPECT_EQ(st.st_nlink, 1);
}

TEST(unlink_directory_eisdir)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	/* Linux says EISDIR where POSIX allows EPERM. */
	EXPECT_ERRNO(unlink_raw(d), EISDIR);
	EXPECT_ERRNO(unlink_raw(harness_path("d/")), EISDIR);
	EXPECT_ERRNO(unlink_raw(harness_path("d/.")), EISDIR);
	EXPECT_ERRNO(unlink_raw(harness_path("d/..")), EISDIR);
	EXPECT_ERRNO(unlink_raw("/"), EISDIR);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(d, &st));
}

TEST(unlink_symlink_not_target)
{
	char *f = harness_path("f"), *l = harness_path("l");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("f", l));
	EXPECT_EQ(unlink_raw(l), 0);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(f, &st));
	EXPECT_ERRNO(lstat(l, &st), ENOENT);
	/* A symlink to a directory is unlinked like a file. */
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(symlink("d", harness_path("dl")));
	EXPECT_EQ(unlink_raw(harness_path("dl")), 0);
	/*
	 * A trailing slash does not make unlink follow the link: the name is
	 * a symlink, not a directory.
	 */
	ASSERT_SYSCALL_OK(symlink("d", harness_path("dl")));
	EXPECT_ERRNO(unlink_raw(harness_path("dl/")), ENOTDIR);
	EXPECT_SYSCALL_OK(lstat(harness_path("dl"), &st));
}

TEST(unlink_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(unlink_raw(harness_path("missing")), ENOENT);
	EXPECT_ERRNO(unlink_raw(harness_path("missing/")), ENOENT);
	EXPECT_ERRNO(unlink_raw(harness_path("missing/x")), ENOENT);
	EXPECT_ERRNO(unlink_raw(harness_path("f/")), ENOTDIR);
	EXPECT_ERRNO(unlink_raw(harness_path("f/x")), ENOTDIR);
	EXPECT_ERRNO(unlink_raw(""), ENOENT);
	EXPECT_ERRNO(unlink_raw((const char *)1), EFAULT);
	char name[300];
	memset(name, 'u', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	EXPECT_ERRNO(unlink_raw(harness_path(name)), ENAMETOOLONG);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(harness_path("f"), &st));
}

TEST(unlinkat_dirfd_and_removedir)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d/sub"), 0755));
	harness_write_file(harness_path("d/f"), "", 0, 0644);
	int d = harness_open(harness_path("d"), O_RDONLY | O_DIRECTORY);
	/* Each flavour refuses the other kind. */
	EXPECT_ERRNO(unlinkat_raw(d, "f", AT_REMOVEDIR), ENOTDIR);
	EXPECT_ERRNO(unlinkat_raw(d, "sub", 0), EISDIR);
	EXPECT_EQ(unlinkat_raw(d, "f", 0), 0);
	EXPECT_EQ(unlinkat_raw(d, "sub", AT_REMOVEDIR), 0);
	EXPECT_ERRNO(unlinkat_raw(d, "sub", AT_REMOVEDIR), ENOENT);
	EXPECT_ERRNO(unlinkat_raw(d, ".", AT_REMOVEDIR), EINVAL);
	EXPECT_ERRNO(unlinkat_raw(d, "..", AT_REMOVEDIR), ENOTEMPTY);
	close(d);
}

TEST(unlinkat_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	int f = harness_open(harness_path("f"), O_RDONLY);
	EXPECT_ERRNO(unlinkat_raw(-1, "f", 0), EBADF);
	EXPECT_ERRNO(unlinkat_raw(f, "x", 0), ENOTDIR);
	EXPECT_ERRNO(unlinkat_raw(AT_FDCWD, harness_path("f"), 0x1), EINVAL);
	EXPECT_ERRNO(unlinkat_raw(AT_FDCWD, harness_path("f"),
				  AT_SYMLINK_NOFOLLOW),
		     EINVAL);
	/* An absolute path ignores the dirfd. */
	EXPECT_EQ(unlinkat_raw(f, harness_path("f"), 0), 0);
	close(f);
	harness_write_file(harness_path("g"), "", 0, 0644);
	harness_chdir(harness_tmpdir());
	EXPECT_EQ(unlinkat_raw(AT_FDCWD, "g", 0), 0);
}
