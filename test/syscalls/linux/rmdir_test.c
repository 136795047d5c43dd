/* rmdir: empty directories only, and the special names. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long rmdir_raw(const char *path)
{
	return syscall(SYS_rmdir, path);
}

TEST(rmdir_empty)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	struct stat before, after, st;
	ASSERT_SYSCALL_OK(stat(harness_tmpdir(), &before));
	EXPECT_EQ(rmdir_raw(d), 0);
	EXPECT_ERRNO(stat(d, &st), ENOENT);
	ASSERT_SYSCALL_OK(stat(harness_tmpdir(), &after));
	EXPECT_EQ(after.st_nlink, before.st_nlink - 1);
	/* A trailing slash is fine for a directory. */
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	EXPECT_EQ(rmdir_raw(harness_path("d/")), 0);
}

TEST(rmdir_not_empty)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	harness_write_file(harness_path("d/f"), "", 0, 0644);
	EXPECT_ERRNO(rmdir_raw(harness_path("d")), ENOTEMPTY);
	ASSERT_SYSCALL_OK(unlink(harness_path("d/f")));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d/sub"), 0755));
	EXPECT_ERRNO(rmdir_raw(harness_path("d")), ENOTEMPTY);
	/* A dangling symlink counts as an entry too. */
	ASSERT_SYSCALL_OK(rmdir_raw(harness_path("d/sub")));
	ASSERT_SYSCALL_OK(symlink("x", harness_path("d/l")));
	EXPECT_ERRNO(rmdir_raw(harness_path("d")), ENOTEMPTY);
}

TEST(rmdir_dot_and_dotdot)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d/sub"), 0755));
	EXPECT_ERRNO(rmdir_raw(harness_path("d/sub/.")), EINVAL);
	EXPECT_ERRNO(rmdir_raw(harness_path("d/sub/..")), ENOTEMPTY);
	/* Even when the directory ".." names is empty. */
	ASSERT_SYSCALL_OK(rmdir_raw(harness_path("d/sub")));
	ASSERT_SYSCALL_OK(mkdir(harness_path("e"), 0755));
	EXPECT_ERRNO(rmdir_raw(harness_path("e/..")), ENOTEMPTY);
	harness_chdir(harness_path("d"));
	EXPECT_ERRNO(rmdir_raw("."), EINVAL);
	EXPECT_ERRNO(rmdir_raw(".."), ENOTEMPTY);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(harness_path("d"), &st));
}

TEST(rmdir_root_ebusy)
{
	EXPECT_ERRNO(rmdir_raw("/"), EBUSY);
}

TEST(rmdir_enotdir)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(symlink("d", harness_path("dl")));
	EXPECT_ERRNO(rmdir_raw(harness_path("f")), ENOTDIR);
	EXPECT_ERRNO(rmdir_raw(harness_path("f/")), ENOTDIR);
	EXPECT_ERRNO(rmdir_raw(harness_path("f/x")), ENOTDIR);
	/* A symlink to a directory is not a directory. */
	EXPECT_ERRNO(rmdir_raw(harness_path("dl")), ENOTDIR);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(harness_path("d"), &st));
	EXPECT_SYSCALL_OK(lstat(harness_path("dl"), &st));
}

TEST(rmdir_enoent)
{
	EXPECT_ERRNO(rmdir_raw(harness_path("missing")), ENOENT);
	EXPECT_ERRNO(rmdir_raw(harness_path("missing/x")), ENOENT);
	EXPECT_ERRNO(rmdir_raw(""), ENOENT);
	EXPECT_ERRNO(rmdir_raw((const char *)1), EFAULT);
}

TEST(rmdir_cwd)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	harness_chdir(d);
	/* Removing the working directory is allowed... */
	EXPECT_EQ(rmdir_raw(d), 0);
	/* ...and leaves it unnamed and empty for good. */
	char buf[4096];
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, sizeof(buf)), ENOENT);
	EXPECT_ERRNO(syscall(SYS_open, "f", O_RDWR | O_CREAT, 0644), ENOENT);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(".", &st));
	EXPECT_EQ(st.st_nlink, 0);
}

TEST(rmdir_open_directory)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	int fd = harness_open(d, O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(rmdir_raw(d), 0);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_ERRNO(syscall(SYS_mkdirat, fd, "x", 0755), ENOENT);
	close(fd);
}
