/* dup, dup2 and dup3 of the standard descriptors. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

TEST(dup_lowest_free)
{
	int want = harness_free_fd(0);
	int a = (int)syscall(SYS_dup, 1);
	EXPECT_EQ(a, want);
	ASSERT_GE(a, 3);
	want = harness_free_fd(0);
	int b = (int)syscall(SYS_dup, 2);
	EXPECT_EQ(b, want);
	EXPECT_GT(b, a);
	struct stat s1, sa;
	ASSERT_SYSCALL_OK(fstat(1, &s1));
	ASSERT_SYSCALL_OK(fstat(a, &sa));
	EXPECT_EQ(s1.st_ino, sa.st_ino);
	close(a);
	close(b);
}

TEST(write_to_dup_of_stdout)
{
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_GE(fd, 0);
	static const char msg[] = "written through a dup of stdout\n";
	EXPECT_EQ(syscall(SYS_write, fd, msg, sizeof(msg) - 1),
		  sizeof(msg) - 1);
	/* Still writable through the original after closing the dup. */
	ASSERT_SYSCALL_OK(close(fd));
	EXPECT_EQ(syscall(SYS_write, 1, "", 0), 0);
}

TEST(dup_ebadf)
{
	EXPECT_ERRNO(syscall(SYS_dup, -1), EBADF);
	EXPECT_ERRNO(syscall(SYS_dup, 1000), EBADF);
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_SYSCALL_OK(close(fd));
	EXPECT_ERRNO(syscall(SYS_dup, fd), EBADF);
}

TEST(dup2_same_fd_returns_it)
{
	EXPECT_EQ(syscall(SYS_dup2, 1, 1), 1);
	EXPECT_EQ(syscall(SYS_dup2, 2, 2), 2);
	/* ...but only if it is open. */
	int closed = harness_free_fd(3);
	EXPECT_ERRNO(syscall(SYS_dup2, closed, closed), EBADF);
}

TEST(dup2_to_chosen_number)
{
	int n = harness_free_fd(50);
	EXPECT_EQ(syscall(SYS_dup2, 1, n), n);
	EXPECT_EQ(fcntl(n, F_GETFD), 0);
	EXPECT_EQ(syscall(SYS_write, n, "dup2 ok\n", 8), 8);
	close(n);
}

TEST(dup2_replaces_open_fd_and_clears_cloexec)
{
	int n = harness_free_fd(60);
	ASSERT_EQ(syscall(SYS_dup3, 1, n, O_CLOEXEC), n);
	EXPECT_EQ(fcntl(n, F_GETFD), FD_CLOEXEC);
	/* Replacing an open descriptor closes it silently. */
	EXPECT_EQ(syscall(SYS_dup2, 2, n), n);
	EXPECT_EQ(fcntl(n, F_GETFD), 0);
	close(n);
}

TEST(dup2_ebadf)
{
	int n = harness_free_fd(50);
	int closed = harness_free_fd(n + 1);
	EXPECT_ERRNO(syscall(SYS_dup2, -1, n), EBADF);
	EXPECT_ERRNO(syscall(SYS_dup2, closed, n), EBADF);
	EXPECT_ERRNO(syscall(SYS_dup2, 1, -1), EBADF);
	/* At or above RLIMIT_NOFILE. */
	EXPECT_ERRNO(syscall(SYS_dup2, 1, 0x7fffffff), EBADF);
	/* The failed calls opened nothing. */
	EXPECT_ERRNO(fcntl(n, F_GETFD), EBADF);
}

TEST(dup3_flags)
{
	int a = harness_free_fd(70);
	EXPECT_EQ(syscall(SYS_dup3, 1, a, 0), a);
	EXPECT_EQ(fcntl(a, F_GETFD), 0);
	int b = harness_free_fd(a + 1);
	EXPECT_EQ(syscall(SYS_dup3, 1, b, O_CLOEXEC), b);
	EXPECT_EQ(fcntl(b, F_GETFD), FD_CLOEXEC);
	close(a);
	close(b);
}

TEST(dup3_einval)
{
	/* Unlike dup2, dup3 refuses oldfd == newfd. */
	EXPECT_ERRNO(syscall(SYS_dup3, 1, 1, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_dup3, 1, 1, O_CLOEXEC), EINVAL);
	int n = harness_free_fd(80);
	static const int bad_flags[] = {1, O_NONBLOCK, O_CLOEXEC | 1, -1};
	for (int i = 0; i < 4; i++)
		EXPECT_ERRNO(syscall(SYS_dup3, 1, n, bad_flags[i]), EINVAL);
	EXPECT_ERRNO(fcntl(n, F_GETFD), EBADF);
}

TEST(dup3_ebadf)
{
	int closed = harness_free_fd(80);
	int target = harness_free_fd(closed + 1);
	EXPECT_ERRNO(syscall(SYS_dup3, closed, target, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_dup3, 1, -1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_dup3, 1, 0x7fffffff, 0), EBADF);
}

TEST(dup_shares_file_offset_and_flags)
{
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(fcntl(fd, F_GETFL), fcntl(1, F_GETFL));
	close(fd);
}
