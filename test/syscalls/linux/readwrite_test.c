/* write, writev and readv on the standard descriptors. */
#include "harness.h"

#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

TEST(write_returns_count)
{
	static const char msg[] = "# readwrite: plain write\n";
	EXPECT_EQ(syscall(SYS_write, 1, msg, sizeof(msg) - 1), sizeof(msg) - 1);
	EXPECT_EQ(syscall(SYS_write, 1, msg, 0), 0);
	/* A zero-length write does not look at the buffer. */
	EXPECT_EQ(syscall(SYS_write, 1, (void *)1, 0), 0);
}

TEST(write_bad_buffer_efault)
{
	EXPECT_ERRNO(syscall(SYS_write, 1, (void *)1, 10), EFAULT);
	void *gone = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(syscall(SYS_write, 1, gone, 10), EFAULT);
	void *none = harness_map(harness_page_size(), PROT_NONE);
	EXPECT_ERRNO(syscall(SYS_write, 1, none, 10), EFAULT);
	munmap(none, harness_page_size());
}

TEST(write_ebadf)
{
	EXPECT_ERRNO(syscall(SYS_write, -1, "x", 1), EBADF);
	EXPECT_ERRNO(syscall(SYS_write, 1000, "x", 1), EBADF);
}

TEST(writev_gathers)
{
	char a[] = "# readwrite: ", b[] = "writev ", c[] = "gathers\n";
	struct iovec iov[4] = {
		{a, strlen(a)}, {b, strlen(b)}, {0, 0}, {c, strlen(c)},
	};
	EXPECT_EQ(syscall(SYS_writev, 1, iov, 4),
		  strlen(a) + strlen(b) + strlen(c));
}

TEST(writev_iovcnt_zero)
{
	EXPECT_EQ(syscall(SYS_writev, 1, 0, 0), 0);
	struct iovec iov = {"x", 1};
	EXPECT_EQ(syscall(SYS_writev, 1, &iov, 0), 0);
	EXPECT_EQ(syscall(SYS_readv, 0, 0, 0), 0);
}

TEST(writev_einval)
{
	struct iovec iov = {"x", 1};
	EXPECT_ERRNO(syscall(SYS_writev, 1, &iov, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_writev, 1, &iov, IOV_MAX + 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_readv, 0, &iov, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_readv, 0, &iov, IOV_MAX + 1), EINVAL);
	/* A negative length (as ssize_t) is refused. */
	struct iovec neg = {"x", (size_t)-1};
	EXPECT_ERRNO(syscall(SYS_writev, 1, &neg, 1), EINVAL);
	struct iovec neg2[2] = {{"x", 1}, {"y", (size_t)SSIZE_MAX + 1}};
	EXPECT_ERRNO(syscall(SYS_writev, 1, neg2, 2), EINVAL);
}

TEST(writev_efault)
{
	EXPECT_ERRNO(syscall(SYS_writev, 1, (void *)1, 1), EFAULT);
	void *gone = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(syscall(SYS_writev, 1, gone, 2), EFAULT);
	/* A valid iovec array pointing at a bad buffer. */
	struct iovec iov = {(void *)1, 5};
	EXPECT_ERRNO(syscall(SYS_writev, 1, &iov, 1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_readv, 0, (void *)1, 1), EFAULT);
}

TEST(writev_ebadf)
{
	struct iovec iov = {"x", 1};
	EXPECT_ERRNO(syscall(SYS_writev, -1, &iov, 1), EBADF);
	EXPECT_ERRNO(syscall(SYS_readv, 1000, &iov, 1), EBADF);
}

TEST(readv_write_only_ebadf)
{
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(1, &st));
	if (!S_ISFIFO(st.st_mode))
		SKIP("stdout is not a pipe (run outside the runner)");
	char buf[4];
	struct iovec iov = {buf, sizeof(buf)};
	EXPECT_ERRNO(syscall(SYS_readv, 1, &iov, 1), EBADF);
}

TEST(write_large_through_dup)
{
	/* Several KiB in one call to the pipe, through a dup. */
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_GE(fd, 0);
	static char buf[8192];
	/* 128 lines of 64 bytes: "# readwrite: large write ....\n". */
	for (size_t line = 0; line < sizeof(buf) / 64; line++) {
		char *l = buf + line * 64;
		memset(l, '.', 64);
		memcpy(l, "# readwrite: large write ", 25);
		l[63] = '\n';
	}
	EXPECT_EQ(syscall(SYS_write, fd, buf, sizeof(buf)), sizeof(buf));
	close(fd);
}
