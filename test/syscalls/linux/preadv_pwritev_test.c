/* preadv/pwritev and preadv2/pwritev2 on regular files. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>

#ifndef RWF_APPEND
#define RWF_APPEND 0x10
#endif

/*
 * The raw calls take the offset split in two longs (low, high); on x86-64
 * the whole offset goes in the low one.
 */
static long preadv_raw(int fd, const struct iovec *iov, int n, long off)
{
	return syscall(SYS_preadv, fd, iov, n, off, 0);
}

static long pwritev_raw(int fd, const struct iovec *iov, int n, long off)
{
	return syscall(SYS_pwritev, fd, iov, n, off, 0);
}

static long preadv2_raw(int fd, const struct iovec *iov, int n, long off,
			int flags)
{
	return syscall(SYS_preadv2, fd, iov, n, off, 0, flags);
}

static long pwritev2_raw(int fd, const struct iovec *iov, int n, long off,
			 int flags)
{
	return syscall(SYS_pwritev2, fd, iov, n, off, 0, flags);
}

static int open_file(const char *content)
{
	char *p = harness_path("f");
	harness_write_file(p, content, strlen(content), 0644);
	return harness_open(p, O_RDWR);
}

TEST(pwritev_gathers_at_offset)
{
	int fd = open_file("..........");
	char a[] = "ab", b[] = "cde";
	struct iovec iov[3] = {{a, 2}, {0, 0}, {b, 3}};
	EXPECT_EQ(pwritev_raw(fd, iov, 3, 3), 5);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	char buf[16] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 10);
	EXPECT_STREQ(buf, "...abcde..");
	close(fd);
}

TEST(preadv_scatters_at_offset)
{
	int fd = open_file("0123456789");
	char a[3] = {0}, b[5] = {0};
	struct iovec iov[2] = {{a, 2}, {b, 4}};
	EXPECT_EQ(preadv_raw(fd, iov, 2, 1), 6);
	EXPECT_STREQ(a, "12");
	EXPECT_STREQ(b, "3456");
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	/* Short at the end of the file. */
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	EXPECT_EQ(preadv_raw(fd, iov, 2, 7), 3);
	EXPECT_STREQ(a, "78");
	EXPECT_STREQ(b, "9");
	EXPECT_EQ(preadv_raw(fd, iov, 2, 10), 0);
	close(fd);
}

TEST(preadv2_pwritev2_offset_minus_one_uses_file_offset)
{
	int fd = open_file("0123456789");
	ASSERT_EQ(lseek(fd, 4, SEEK_SET), 4);
	char buf[4] = {0};
	struct iovec iov = {buf, 3};
	EXPECT_EQ(preadv2_raw(fd, &iov, 1, -1, 0), 3);
	EXPECT_STREQ(buf, "456");
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 7);
	struct iovec w = {"XY", 2};
	EXPECT_EQ(pwritev2_raw(fd, &w, 1, -1, 0), 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 9);
	/* With an explicit offset the file offset stays. */
	EXPECT_EQ(pwritev2_raw(fd, &w, 1, 0, 0), 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 9);
	char all[16] = {0};
	EXPECT_EQ(pread(fd, all, sizeof(all), 0), 10);
	EXPECT_STREQ(all, "XY23456XY9");
	close(fd);
}

TEST(pwritev2_rwf_append)
{
	int fd = open_file("abc");
	struct iovec w = {"Z", 1};
	/* RWF_APPEND (Linux 4.16) appends whatever the offset says. */
	EXPECT_EQ(pwritev2_raw(fd, &w, 1, 0, RWF_APPEND), 1);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	EXPECT_STREQ(buf, "abcZ");
	close(fd);
}

TEST(preadv2_unknown_flags_eopnotsupp)
{
	int fd = open_file("abc");
	char buf[4];
	struct iovec iov = {buf, 1};
	EXPECT_ERRNO(preadv2_raw(fd, &iov, 1, 0, 0x40000000), EOPNOTSUPP);
	EXPECT_ERRNO(pwritev2_raw(fd, &iov, 1, 0, 0x40000000), EOPNOTSUPP);
	close(fd);
}

TEST(preadv_pwritev_einval)
{
	int fd = open_file("abc");
	char buf[4];
	struct iovec iov = {buf, 1};
	EXPECT_ERRNO(preadv_raw(fd, &iov, 1, -1), EINVAL);
	EXPECT_ERRNO(pwritev_raw(fd, &iov, 1, -5), EINVAL);
	/* -1 means "current offset" only for the *v2 calls; -2 is bad. */
	EXPECT_ERRNO(preadv2_raw(fd, &iov, 1, -2, 0), EINVAL);
	EXPECT_ERRNO(preadv_raw(fd, &iov, -1, 0), EINVAL);
	EXPECT_ERRNO(preadv_raw(fd, &iov, IOV_MAX + 1, 0), EINVAL);
	struct iovec neg = {buf, (size_t)-1};
	EXPECT_ERRNO(pwritev_raw(fd, &neg, 1, 0), EINVAL);
	close(fd);
}

TEST(preadv_pwritev_ebadf_efault)
{
	char *p = harness_path("f");
	harness_write_file(p, "abc", 3, 0644);
	int ro = harness_open(p, O_RDONLY);
	char buf[4];
	struct iovec iov = {buf, 1};
	EXPECT_ERRNO(pwritev_raw(ro, &iov, 1, 0), EBADF);
	EXPECT_ERRNO(pwritev2_raw(ro, &iov, 1, -1, 0), EBADF);
	EXPECT_ERRNO(preadv_raw(-1, &iov, 1, 0), EBADF);
	EXPECT_ERRNO(preadv_raw(ro, (void *)1, 1, 0), EFAULT);
	struct iovec bad = {(void *)1, 3};
	EXPECT_ERRNO(preadv_raw(ro, &bad, 1, 0), EFAULT);
	close(ro);
}
