/* fcntl on the standard descriptors: FD flags, status flags, F_DUPFD*. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long fcntl_raw(int fd, int cmd, long arg)
{
	return syscall(SYS_fcntl, fd, cmd, arg);
}

TEST(getfd_setfd)
{
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_GE(fd, 0);
	/* dup never copies FD_CLOEXEC. */
	EXPECT_EQ(fcntl_raw(fd, F_GETFD, 0), 0);
	EXPECT_EQ(fcntl_raw(fd, F_SETFD, FD_CLOEXEC), 0);
	EXPECT_EQ(fcntl_raw(fd, F_GETFD, 0), FD_CLOEXEC);
	/* Per descriptor, not per open file. */
	EXPECT_EQ(fcntl_raw(1, F_GETFD, 0), 0);
	/* Unknown bits are dropped. */
	EXPECT_EQ(fcntl_raw(fd, F_SETFD, 0xfe), 0);
	EXPECT_EQ(fcntl_raw(fd, F_GETFD, 0), 0);
	close(fd);
}

TEST(getfl_access_mode)
{
	long fl = fcntl_raw(1, F_GETFL, 0);
	ASSERT_GE(fl, 0);
	int acc = (int)(fl & O_ACCMODE);
	EXPECT_TRUE(acc == O_WRONLY || acc == O_RDWR);
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(1, &st));
	if (S_ISFIFO(st.st_mode)) {
		/* The runner's stdout: the write end of a pipe. */
		EXPECT_EQ(acc, O_WRONLY);
	}
}

TEST(setfl_nonblock_shared_by_dups)
{
	long orig = fcntl_raw(1, F_GETFL, 0);
	ASSERT_GE(orig, 0);
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_GE(fd, 0);
	ASSERT_SYSCALL_OK(fcntl_raw(fd, F_SETFL, orig | O_NONBLOCK));
	/* Status flags live in the open file description, shared by dups. */
	long now = fcntl_raw(1, F_GETFL, 0);
	ASSERT_SYSCALL_OK(fcntl_raw(fd, F_SETFL, orig));
	EXPECT_TRUE(now & O_NONBLOCK);
	EXPECT_EQ(fcntl_raw(1, F_GETFL, 0), orig);
	close(fd);
}

TEST(setfl_cannot_change_access_mode)
{
	long orig = fcntl_raw(1, F_GETFL, 0);
	ASSERT_GE(orig, 0);
	/* Access mode and creation flags are silently ignored. */
	EXPECT_SYSCALL_OK(fcntl_raw(1, F_SETFL,
				    (orig & ~O_ACCMODE) | O_RDONLY | O_CREAT |
					    O_TRUNC | O_EXCL));
	EXPECT_EQ(fcntl_raw(1, F_GETFL, 0), orig);
}

TEST(dupfd_lowest_at_or_above)
{
	int want = harness_free_fd(10);
	long fd = fcntl_raw(1, F_DUPFD, 10);
	EXPECT_EQ(fd, want);
	want = harness_free_fd(10);
	long fd2 = fcntl_raw(1, F_DUPFD, 10);
	EXPECT_EQ(fd2, want);
	EXPECT_EQ(fcntl_raw((int)fd, F_GETFD, 0), 0);
	want = harness_free_fd(0);
	long low = fcntl_raw(1, F_DUPFD, 0);
	EXPECT_EQ(low, want);
	EXPECT_GE(low, 3);
	close((int)fd);
	close((int)fd2);
	close((int)low);
}

TEST(dupfd_cloexec)
{
	int want = harness_free_fd(20);
	long fd = fcntl_raw(1, F_DUPFD_CLOEXEC, 20);
	EXPECT_EQ(fd, want);
	EXPECT_EQ(fcntl_raw((int)fd, F_GETFD, 0), FD_CLOEXEC);
	/* The new descriptor writes to the same place. */
	EXPECT_EQ(syscall(SYS_write, fd, "fcntl dup ok\n", 13), 13);
	close((int)fd);
}

TEST(einval)
{
	EXPECT_ERRNO(fcntl_raw(1, F_DUPFD, -1), EINVAL);
	EXPECT_ERRNO(fcntl_raw(1, F_DUPFD_CLOEXEC, -5), EINVAL);
	EXPECT_ERRNO(fcntl_raw(1, F_DUPFD, 0x7fffffff), EINVAL);
	EXPECT_ERRNO(fcntl_raw(1, 12345, 0), EINVAL);
	EXPECT_ERRNO(fcntl_raw(1, -1, 0), EINVAL);
}

TEST(ebadf)
{
	static const int bad_fds[] = {-1, 1000, 0x7fffffff};
	for (int i = 0; i < 3; i++) {
		EXPECT_ERRNO(fcntl_raw(bad_fds[i], F_GETFD, 0), EBADF);
		EXPECT_ERRNO(fcntl_raw(bad_fds[i], F_SETFD, 0), EBADF);
		EXPECT_ERRNO(fcntl_raw(bad_fds[i], F_GETFL, 0), EBADF);
		EXPECT_ERRNO(fcntl_raw(bad_fds[i], F_SETFL, 0), EBADF);
		EXPECT_ERRNO(fcntl_raw(bad_fds[i], F_DUPFD, 0), EBADF);
	}
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_SYSCALL_OK(close(fd));
	EXPECT_ERRNO(fcntl_raw(fd, F_GETFD, 0), EBADF);
}

TEST(libc_fcntl)
{
	int fd = fcntl(1, F_DUPFD_CLOEXEC, 0);
	ASSERT_GE(fd, 3);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_ERRNO(fcntl(-1, F_GETFD), EBADF);
	close(fd);
}
