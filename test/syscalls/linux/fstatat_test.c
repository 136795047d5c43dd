/* newfstatat: dirfd-relative stat, AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long fstatat_raw(int dirfd, const char *path, struct stat *st, int flags)
{
	return syscall(SYS_newfstatat, dirfd, path, st, flags);
}

static int open_dir(void)
{
	return harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
}

TEST(fstatat_relative)
{
	harness_write_file(harness_path("f"), "abcd", 4, 0644);
	int d = open_dir();
	struct stat a, b;
	ASSERT_SYSCALL_OK(fstatat_raw(d, "f", &a, 0));
	ASSERT_SYSCALL_OK(stat(harness_path("f"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_size, 4);
	/* "." is the directory itself. */
	struct stat dot, dir;
	ASSERT_SYSCALL_OK(fstatat_raw(d, ".", &dot, 0));
	ASSERT_SYSCALL_OK(fstat(d, &dir));
	EXPECT_EQ(dot.st_ino, dir.st_ino);
	EXPECT_ERRNO(fstatat_raw(d, "missing", &a, 0), ENOENT);
	close(d);
}

TEST(fstatat_at_fdcwd_and_absolute)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	harness_chdir(harness_tmpdir());
	struct stat st;
	EXPECT_SYSCALL_OK(fstatat_raw(AT_FDCWD, "f", &st, 0));
	/* The dirfd is not used for an absolute path. */
	EXPECT_SYSCALL_OK(fstatat_raw(-1, harness_path("f"), &st, 0));
}

TEST(fstatat_empty_path)
{
	char *p = harness_path("f");
	harness_write_file(p, "xyz", 3, 0644);
	int fd = harness_open(p, O_RDONLY);
	struct stat st;
	ASSERT_SYSCALL_OK(fstatat_raw(fd, "", &st, AT_EMPTY_PATH));
	EXPECT_EQ(st.st_size, 3);
	/* Without AT_EMPTY_PATH, "" is ENOENT. */
	EXPECT_ERRNO(fstatat_raw(fd, "", &st, 0), ENOENT);
	close(fd);
	/* An O_PATH descriptor of a symlink stats the symlink. */
	ASSERT_SYSCALL_OK(symlink("f", harness_path("l")));
	fd = harness_open(harness_path("l"), O_PATH | O_NOFOLLOW);
	ASSERT_SYSCALL_OK(fstatat_raw(fd, "", &st, AT_EMPTY_PATH));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	close(fd);
	/* AT_FDCWD with an empty path is the working directory. */
	harness_chdir(harness_tmpdir());
	struct stat cwd, dir;
	ASSERT_SYSCALL_OK(fstatat_raw(AT_FDCWD, "", &cwd, AT_EMPTY_PATH));
	ASSERT_SYSCALL_OK(stat(harness_tmpdir(), &dir));
	EXPECT_EQ(cwd.st_ino, dir.st_ino);
	EXPECT_ERRNO(fstatat_raw(-1, "", &st, AT_EMPTY_PATH), EBADF);
}

TEST(fstatat_symlink_nofollow)
{
	harness_write_file(harness_path("f"), "12", 2, 0644);
	ASSERT_SYSCALL_OK(symlink("f", harness_path("l")));
	int d = open_dir();
	struct stat st;
	ASSERT_SYSCALL_OK(fstatat_raw(d, "l", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_SYSCALL_OK(fstatat_raw(d, "l", &st, 0));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_size, 2);
	/* Intermediate symlinks are followed either way. */
	ASSERT_SYSCALL_OK(mkdir(harness_path("sub"), 0755));
	harness_write_file(harness_path("sub/g"), "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("sub", harness_path("ls")));
	EXPECT_SYSCALL_OK(fstatat_raw(d, "ls/g", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	close(d);
}

TEST(fstatat_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	int filefd = harness_open(harness_path("f"), O_RDONLY);
	int d = open_dir();
	struct stat st;
	EXPECT_ERRNO(fstatat_raw(-1, "f", &st, 0), EBADF);
	EXPECT_ERRNO(fstatat_raw(harness_free_fd(100), "f", &st, 0), EBADF);
	EXPECT_ERRNO(fstatat_raw(filefd, "f", &st, 0), ENOTDIR);
	EXPECT_ERRNO(fstatat_raw(d, "f", &st, 0x10000000), EINVAL);
	EXPECT_ERRNO(fstatat_raw(d, "f", &st, AT_REMOVEDIR), EINVAL);
	EXPECT_ERRNO(fstatat_raw(d, "f/", &st, 0), ENOTDIR);
	EXPECT_ERRNO(fstatat_raw(d, (const char *)1, &st, 0), EFAULT);
	EXPECT_ERRNO(fstatat_raw(d, "f", (struct stat *)1, 0), EFAULT);
	/* AT_NO_AUTOMOUNT is accepted (and means nothing here). */
	EXPECT_SYSCALL_OK(fstatat_raw(d, "f", &st, AT_NO_AUTOMOUNT));
	close(d);
	close(filefd);
}
