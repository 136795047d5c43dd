/* openat: resolution relative to a directory descriptor and AT_FDCWD. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long raw_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return syscall(SYS_openat, dirfd, path, flags, mode);
}

static int open_dir(const char *path, int extra)
{
	return harness_open(path, O_RDONLY | O_DIRECTORY | extra);
}

TEST(openat_relative_to_dirfd)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	harness_write_file(harness_path("d/f"), "in d", 4, 0644);
	int dfd = open_dir(harness_path("d"), 0);
	long fd = raw_openat(dfd, "f", O_RDONLY, 0);
	ASSERT_GE(fd, 0);
	char buf[8] = {0};
	EXPECT_EQ(read((int)fd, buf, sizeof(buf)), 4);
	EXPECT_STREQ(buf, "in d");
	close((int)fd);
	/* Creation relative to the descriptor. */
	fd = raw_openat(dfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0600);
	EXPECT_GE(fd, 0);
	close((int)fd);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(harness_path("d/new"), &st));
	/* ".." from the descriptor. */
	harness_write_file(harness_path("top"), "", 0, 0644);
	fd = raw_openat(dfd, "../top", O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	close(dfd);
}

TEST(openat_dirfd_follows_renames)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	harness_write_file(harness_path("d/f"), "", 0, 0644);
	int dfd = open_dir(harness_path("d"), 0);
	ASSERT_SYSCALL_OK(rename(harness_path("d"), harness_path("moved")));
	long fd = raw_openat(dfd, "f", O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	close(dfd);
}

TEST(openat_at_fdcwd)
{
	harness_write_file(harness_path("f"), "cwd", 3, 0644);
	harness_chdir(harness_tmpdir());
	long fd = raw_openat(AT_FDCWD, "f", O_RDONLY, 0);
	ASSERT_GE(fd, 0);
	close((int)fd);
	fd = raw_openat(AT_FDCWD, "./f", O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	EXPECT_ERRNO(raw_openat(AT_FDCWD, "g", O_RDONLY, 0), ENOENT);
}

TEST(openat_absolute_ignores_dirfd)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	/* The dirfd is not even looked at for an absolute path. */
	long fd = raw_openat(-1, f, O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	fd = raw_openat(1000000, f, O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	int filefd = (int)raw_openat(AT_FDCWD, f, O_RDONLY, 0);
	ASSERT_GE(filefd, 0);
	fd = raw_openat(filefd, f, O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	close(filefd);
}

TEST(openat_ebadf)
{
	int bad = harness_free_fd(100);
	EXPECT_ERRNO(raw_openat(-1, "f", O_RDONLY, 0), EBADF);
	EXPECT_ERRNO(raw_openat(bad, "f", O_RDONLY, 0), EBADF);
	EXPECT_ERRNO(raw_openat(bad, "f", O_RDWR | O_CREAT, 0644), EBADF);
	EXPECT_ERRNO(raw_openat(-1, "", O_RDONLY, 0), ENOENT);
}

TEST(openat_enotdir_dirfd)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	int filefd = (int)raw_openat(AT_FDCWD, f, O_RDONLY, 0);
	ASSERT_GE(filefd, 0);
	EXPECT_ERRNO(raw_openat(filefd, "x", O_RDONLY, 0), ENOTDIR);
	EXPECT_ERRNO(raw_openat(filefd, "x", O_RDWR | O_CREAT, 0644), ENOTDIR);
	EXPECT_ERRNO(raw_openat(filefd, ".", O_RDONLY, 0), ENOTDIR);
	close(filefd);
}

TEST(openat_o_path_dirfd)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	harness_write_file(harness_path("d/f"), "", 0, 0644);
	int dfd = open_dir(harness_path("d"), O_PATH);
	long fd = raw_openat(dfd, "f", O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	fd = raw_openat(dfd, ".", O_RDONLY | O_DIRECTORY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	close(dfd);
}

TEST(openat_in_removed_directory)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	int dfd = open_dir(harness_path("d"), 0);
	ASSERT_SYSCALL_OK(rmdir(harness_path("d")));
	/* Nothing can be created in a directory that was removed. */
	EXPECT_ERRNO(raw_openat(dfd, "f", O_RDWR | O_CREAT, 0644), ENOENT);
	EXPECT_ERRNO(raw_openat(dfd, "f", O_RDONLY, 0), ENOENT);
	/* The directory itself is still reachable through the descriptor. */
	long fd = raw_openat(dfd, ".", O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	close(dfd);
}

TEST(openat_dotdot_of_root_is_root)
{
	int root = open_dir("/", 0);
	struct stat a, b;
	long fd = raw_openat(root, "..", O_RDONLY | O_DIRECTORY, 0);
	ASSERT_GE(fd, 0);
	EXPECT_SYSCALL_OK(fstat((int)fd, &a));
	EXPECT_SYSCALL_OK(fstat(root, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
	close((int)fd);
	close(root);
}
