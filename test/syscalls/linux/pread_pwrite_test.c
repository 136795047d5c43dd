/* pread64 and pwrite64 on regular files: offsets, holes and errors. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

static int open_file(const char *content, int flags)
{
	char *p = harness_path("f");
	harness_write_file(p, content, strlen(content), 0644);
	return harness_open(p, flags);
}

TEST(pread_does_not_move_offset)
{
	int fd = open_file("0123456789", O_RDWR);
	ASSERT_EQ(lseek(fd, 2, SEEK_SET), 2);
	char buf[8] = {0};
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, 3, 5), 3);
	EXPECT_STREQ(buf, "567");
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
	/* A short read at the end, then nothing at and past EOF. */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, 5, 8), 2);
	EXPECT_STREQ(buf, "89");
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, 5, 10), 0);
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, 5, 1 << 30), 0);
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, 0, 0), 0);
	close(fd);
}

TEST(pwrite_does_not_move_offset)
{
	int fd = open_file("0123456789", O_RDWR);
	ASSERT_EQ(lseek(fd, 1, SEEK_SET), 1);
	EXPECT_EQ(syscall(SYS_pwrite64, fd, "ab", 2, 4), 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 1);
	char buf[16] = {0};
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, sizeof(buf), 0), 10);
	EXPECT_STREQ(buf, "0123ab6789");
	close(fd);
}

TEST(pwrite_past_eof_leaves_zeroed_gap)
{
	int fd = open_file("abc", O_RDWR);
	EXPECT_EQ(syscall(SYS_pwrite64, fd, "xyz", 3, 10000), 3);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 10003);
	static char buf[10003];
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, sizeof(buf), 0), 10003);
	EXPECT_EQ(memcmp(buf, "abc", 3), 0);
	int zeros = 1;
	for (int i = 3; i < 10000; i++)
		zeros &= buf[i] == 0;
	EXPECT_TRUE(zeros);
	EXPECT_EQ(memcmp(buf + 10000, "xyz", 3), 0);
	close(fd);
}

TEST(pwrite_with_o_append_appends)
{
	/* Linux ignores the offset of pwrite on an O_APPEND file. */
	int fd = open_file("abc", O_RDWR | O_APPEND);
	EXPECT_EQ(syscall(SYS_pwrite64, fd, "Z", 1, 0), 1);
	char buf[8] = {0};
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, sizeof(buf), 0), 4);
	EXPECT_STREQ(buf, "abcZ");
	close(fd);
}

TEST(pread_pwrite_einval)
{
	int fd = open_file("abc", O_RDWR);
	char buf[4];
	EXPECT_ERRNO(syscall(SYS_pread64, fd, buf, 1, -1L), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, "x", 1, -1L), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pread64, fd, buf, 1, LLONG_MIN), EINVAL);
	/* offset + count must not overflow. */
	EXPECT_ERRNO(syscall(SYS_pread64, fd, buf, 4, LLONG_MAX - 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, "xyzw", 4, LLONG_MAX - 1),
		     EINVAL);
	close(fd);
}

TEST(pread_pwrite_ebadf)
{
	int ro = open_file("abc", O_RDONLY);
	int wo = harness_open(harness_path("f"), O_WRONLY);
	int path = harness_open(harness_path("f"), O_PATH);
	char buf[4];
	EXPECT_ERRNO(syscall(SYS_pwrite64, ro, "x", 1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_pread64, wo, buf, 1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_pread64, path, buf, 1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_pwrite64, path, "x", 1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_pread64, -1, buf, 1, 0), EBADF);
	close(path);
	close(wo);
	close(ro);
}

TEST(pread_directory_eisdir)
{
	int fd = harness_open(harness_tmpdir(), O_RDONLY);
	char buf[4];
	EXPECT_ERRNO(syscall(SYS_pread64, fd, buf, sizeof(buf), 0), EISDIR);
	close(fd);
}

TEST(pread_pwrite_efault)
{
	int fd = open_file("abcdef", O_RDWR);
	EXPECT_ERRNO(syscall(SYS_pread64, fd, (void *)1, 4, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, (void *)1, 4, 0), EFAULT);
	/* The file is unchanged by the failed write. */
	char buf[8] = {0};
	EXPECT_EQ(syscall(SYS_pread64, fd, buf, sizeof(buf), 0), 6);
	EXPECT_STREQ(buf, "abcdef");
	close(fd);
}
