/* truncate and ftruncate: growing, shrinking and the error cases. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

static off_t size_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(stat(path, &st));
	return st.st_size;
}

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

TEST(ftruncate_grow_zero_fills)
{
	char *f = harness_path("f");
	harness_write_file(f, "abc", 3, 0644);
	int fd = harness_open(f, O_RDWR);
	EXPECT_EQ(syscall(SYS_ftruncate, fd, 10000L), 0);
	EXPECT_EQ(size_of(f), 10000);
	static char buf[10000];
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 10000);
	EXPECT_EQ(memcmp(buf, "abc", 3), 0);
	EXPECT_TRUE(all_zero(buf + 3, sizeof(buf) - 3));
	/* The file offset is not moved. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	close(fd);
}

TEST(ftruncate_shrink_then_grow_gives_zeros)
{
	char *f = harness_path("f");
	harness_write_file(f, "0123456789", 10, 0644);
	int fd = harness_open(f, O_RDWR);
	ASSERT_EQ(lseek(fd, 8, SEEK_SET), 8);
	EXPECT_EQ(syscall(SYS_ftruncate, fd, 4L), 0);
	EXPECT_EQ(size_of(f), 4);
	char c;
	EXPECT_EQ(read(fd, &c, 1), 0);
	/* The cut-off bytes do not come back. */
	EXPECT_EQ(syscall(SYS_ftruncate, fd, 10L), 0);
	char buf[10];
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 10);
	EXPECT_EQ(memcmp(buf, "0123", 4), 0);
	EXPECT_TRUE(all_zero(buf + 4, 6));
	EXPECT_EQ(syscall(SYS_ftruncate, fd, 0L), 0);
	EXPECT_EQ(size_of(f), 0);
	close(fd);
}

TEST(truncate_path)
{
	char *f = harness_path("f");
	harness_write_file(f, "0123456789", 10, 0644);
	EXPECT_EQ(syscall(SYS_truncate, f, 5L), 0);
	EXPECT_EQ(size_of(f), 5);
	EXPECT_EQ(syscall(SYS_truncate, f, 4096L * 3 + 1), 0);
	EXPECT_EQ(size_of(f), 4096 * 3 + 1);
	/* Through a symlink. */
	ASSERT_SYSCALL_OK(symlink("f", harness_path("l")));
	EXPECT_EQ(syscall(SYS_truncate, harness_path("l"), 1L), 0);
	EXPECT_EQ(size_of(f), 1);
}

TEST(truncate_updates_mtime)
{
	char *f = harness_path("f");
	harness_write_file(f, "abc", 3, 0644);
	struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
	ASSERT_SYSCALL_OK(utimensat(AT_FDCWD, f, old, 0));
	ASSERT_SYSCALL_OK(syscall(SYS_truncate, f, 1L));
	struct stat st;
	ASSERT_SYSCALL_OK(stat(f, &st));
	EXPECT_GT(st.st_mtim.tv_sec, 1000000);
	EXPECT_GT(st.st_ctim.tv_sec, 1000000);
}

TEST(truncate_einval_negative)
{
	char *f = harness_path("f");
	harness_write_file(f, "abc", 3, 0644);
	EXPECT_ERRNO(syscall(SYS_truncate, f, -1L), EINVAL);
	int fd = harness_open(f, O_RDWR);
	EXPECT_ERRNO(syscall(SYS_ftruncate, fd, -1L), EINVAL);
	EXPECT_ERRNO(syscall(SYS_ftruncate, fd, LONG_MIN), EINVAL);
	close(fd);
	EXPECT_EQ(size_of(f), 3);
}

TEST(truncate_directory_eisdir)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	EXPECT_ERRNO(syscall(SYS_truncate, d, 0L), EISDIR);
	/* ftruncate of a directory descriptor (necessarily read-only). */
	int fd = harness_open(d, O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO(syscall(SYS_ftruncate, fd, 0L), EINVAL);
	close(fd);
}

TEST(ftruncate_needs_writable_fd)
{
	char *f = harness_path("f");
	harness_write_file(f, "abc", 3, 0644);
	int fd = harness_open(f, O_RDONLY);
	/* Linux says EINVAL for a descriptor not open for writing. */
	EXPECT_ERRNO(syscall(SYS_ftruncate, fd, 0L), EINVAL);
	close(fd);
	fd = harness_open(f, O_PATH);
	EXPECT_ERRNO(syscall(SYS_ftruncate, fd, 0L), EBADF);
	close(fd);
	EXPECT_ERRNO(syscall(SYS_ftruncate, -1, 0L), EBADF);
	EXPECT_ERRNO(syscall(SYS_ftruncate, harness_free_fd(100), 0L), EBADF);
	EXPECT_EQ(size_of(f), 3);
	/* O_WRONLY and O_APPEND descriptors may truncate. */
	fd = harness_open(f, O_WRONLY | O_APPEND);
	EXPECT_EQ(syscall(SYS_ftruncate, fd, 1L), 0);
	close(fd);
	EXPECT_EQ(size_of(f), 1);
}

TEST(truncate_path_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(syscall(SYS_truncate, harness_path("missing"), 0L),
		     ENOENT);
	EXPECT_ERRNO(syscall(SYS_truncate, harness_path("f/x"), 0L), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_truncate, "", 0L), ENOENT);
	EXPECT_ERRNO(syscall(SYS_truncate, (const char *)1, 0L), EFAULT);
	ASSERT_SYSCALL_OK(symlink("nowhere", harness_path("dl")));
	EXPECT_ERRNO(syscall(SYS_truncate, harness_path("dl"), 0L), ENOENT);
}
