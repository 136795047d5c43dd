/* fallocate: allocation, KEEP_SIZE, PUNCH_HOLE and the argument checks. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <sys/stat.h>

static long fallocate_raw(int fd, int mode, long off, long len)
{
	return syscall(SYS_fallocate, fd, mode, off, len);
}

static struct stat fstat_of(int fd)
{
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	return st;
}

static int open_new(const char *content)
{
	char *p = harness_path("f");
	harness_write_file(p, content, strlen(content), 0644);
	return harness_open(p, O_RDWR);
}

TEST(fallocate_grows_size)
{
	int fd = open_new("abc");
	EXPECT_EQ(fallocate_raw(fd, 0, 0, 8192), 0);
	struct stat st = fstat_of(fd);
	EXPECT_EQ(st.st_size, 8192);
	EXPECT_GE(st.st_blocks * 512, 8192);
	static char buf[8192];
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 8192);
	EXPECT_EQ(memcmp(buf, "abc", 3), 0);
	int zeros = 1;
	for (size_t i = 3; i < sizeof(buf); i++)
		zeros &= buf[i] == 0;
	EXPECT_TRUE(zeros);
	/* Past the end with an offset. */
	EXPECT_EQ(fallocate_raw(fd, 0, 10000, 100), 0);
	EXPECT_EQ(fstat_of(fd).st_size, 10100);
	/* Inside the file the size does not change. */
	EXPECT_EQ(fallocate_raw(fd, 0, 0, 10), 0);
	EXPECT_EQ(fstat_of(fd).st_size, 10100);
	/* The offset is not moved. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	close(fd);
}

TEST(fallocate_keep_size)
{
	int fd = open_new("abc");
	blkcnt_t before = fstat_of(fd).st_blocks;
	EXPECT_EQ(fallocate_raw(fd, FALLOC_FL_KEEP_SIZE, 0, 65536), 0);
	struct stat st = fstat_of(fd);
	EXPECT_EQ(st.st_size, 3);
	/* The blocks are allocated all the same. */
	EXPECT_GT(st.st_blocks, before);
	EXPECT_GE(st.st_blocks * 512, 65536);
	char buf[8];
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 3);
	close(fd);
}

TEST(fallocate_punch_hole_zeroes)
{
	static char data[16384];
	memset(data, 'x', sizeof(data));
	char *p = harness_path("f");
	harness_write_file(p, data, sizeof(data), 0644);
	int fd = harness_open(p, O_RDWR);
	EXPECT_EQ(fallocate_raw(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				4096, 8192),
		  0);
	EXPECT_EQ(fstat_of(fd).st_size, sizeof(data));
	static char buf[16384];
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), sizeof(buf));
	int ok = 1;
	for (size_t i = 0; i < sizeof(buf); i++)
		ok &= buf[i] == (i >= 4096 && i < 12288 ? 0 : 'x');
	EXPECT_TRUE(ok);
	/* A partial page is zeroed too; past EOF nothing happens. */
	EXPECT_EQ(fallocate_raw(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				1, 2),
		  0);
	EXPECT_EQ(pread(fd, buf, 4, 0), 4);
	EXPECT_EQ(memcmp(buf, "x\0\0x", 4), 0);
	EXPECT_EQ(fallocate_raw(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				100000, 4096),
		  0);
	EXPECT_EQ(fstat_of(fd).st_size, sizeof(data));
	close(fd);
}

TEST(fallocate_punch_hole_needs_keep_size)
{
	int fd = open_new("abc");
	EXPECT_ERRNO(fallocate_raw(fd, FALLOC_FL_PUNCH_HOLE, 0, 1), EOPNOTSUPP);
	/* Unknown mode bits. */
	EXPECT_ERRNO(fallocate_raw(fd, 0x40000000, 0, 1), EOPNOTSUPP);
	close(fd);
}

TEST(fallocate_einval)
{
	int fd = open_new("abc");
	EXPECT_ERRNO(fallocate_raw(fd, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(fallocate_raw(fd, 0, 0, -1), EINVAL);
	EXPECT_ERRNO(fallocate_raw(fd, 0, -1, 10), EINVAL);
	/* offset + len overflowing is "file too big". */
	EXPECT_ERRNO(fallocate_raw(fd, 0, LONG_MAX - 10, 100), EFBIG);
	EXPECT_EQ(fstat_of(fd).st_size, 3);
	close(fd);
}

TEST(fallocate_ebadf)
{
	char *p = harness_path("f");
	harness_write_file(p, "abc", 3, 0644);
	int ro = harness_open(p, O_RDONLY);
	EXPECT_ERRNO(fallocate_raw(ro, 0, 0, 10), EBADF);
	close(ro);
	int path = harness_open(p, O_PATH);
	EXPECT_ERRNO(fallocate_raw(path, 0, 0, 10), EBADF);
	close(path);
	EXPECT_ERRNO(fallocate_raw(-1, 0, 0, 10), EBADF);
	/* A directory can only be opened read-only: EBADF before EISDIR. */
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO(fallocate_raw(d, 0, 0, 10), EBADF);
	close(d);
}

TEST(fallocate_o_append_allowed)
{
	char *p = harness_path("f");
	harness_write_file(p, "abc", 3, 0644);
	int fd = harness_open(p, O_WRONLY | O_APPEND);
	EXPECT_EQ(fallocate_raw(fd, 0, 0, 100), 0);
	EXPECT_EQ(fstat_of(fd).st_size, 100);
	close(fd);
}
