/* creat: open(O_WRONLY | O_CREAT | O_TRUNC) under another name. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long raw_creat(const char *path, mode_t mode)
{
	return syscall(SYS_creat, path, mode);
}

TEST(creat_new_file)
{
	harness_umask(027);
	char *p = harness_path("f");
	long fd = raw_creat(p, 0777);
	ASSERT_GE(fd, 0);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0750);
	/* Write-only. */
	EXPECT_EQ(syscall(SYS_fcntl, (int)fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	char c;
	EXPECT_ERRNO(read((int)fd, &c, 1), EBADF);
	EXPECT_EQ(write((int)fd, "abc", 3), 3);
	close((int)fd);
}

TEST(creat_truncates_existing)
{
	char *p = harness_path("f");
	harness_write_file(p, "old content", 11, 0600);
	long fd = raw_creat(p, 0777);
	ASSERT_GE(fd, 0);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_EQ(st.st_size, 0);
	/* The mode of an existing file is unchanged. */
	EXPECT_EQ(st.st_mode & 07777, 0600);
	close((int)fd);
}

TEST(creat_errors)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(raw_creat(d, 0644), EISDIR);
	EXPECT_ERRNO(raw_creat(harness_path("missing/f"), 0644), ENOENT);
	EXPECT_ERRNO(raw_creat(harness_path("f/g"), 0644), ENOTDIR);
	EXPECT_ERRNO(raw_creat("", 0644), ENOENT);
	EXPECT_ERRNO(raw_creat((const char *)1, 0644), EFAULT);
}

TEST(creat_through_symlink)
{
	char *l = harness_path("l");
	ASSERT_SYSCALL_OK(symlink("target", l));
	long fd = raw_creat(l, 0644);
	ASSERT_GE(fd, 0);
	close((int)fd);
	struct stat st;
	EXPECT_SYSCALL_OK(lstat(harness_path("target"), &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
}
