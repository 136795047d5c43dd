/*
 * The inherited standard descriptors: fstat, lseek, ioctl, pread/pwrite and
 * close on them.
 *
 * Assumption: the runner gives the test a pipe as stdout (and stderr). Tests
 * that depend on that check it with fstat and, when stdout is something else
 * (a terminal when run by hand), check what that file type implies instead or
 * skip with the reason.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

static int stdout_is_fifo(void)
{
	struct stat st;
	ASSERT_SYSCALL_OK(syscall(SYS_fstat, 1, &st));
	return S_ISFIFO(st.st_mode);
}

TEST(fstat_stdout)
{
	struct stat st;
	memset(&st, 0xff, sizeof(st));
	ASSERT_SYSCALL_OK(syscall(SYS_fstat, 1, &st));
	EXPECT_TRUE(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ||
		    S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode));
	EXPECT_GE(st.st_nlink, 0);
	EXPECT_GT(st.st_blksize, 0);
	if (S_ISFIFO(st.st_mode)) {
		/* A pipe's size is not its buffered byte count. */
		EXPECT_EQ(st.st_size, 0);
	}
}

TEST(fstat_matches_between_dups)
{
	struct stat a, b;
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_GE(fd, 0);
	ASSERT_SYSCALL_OK(syscall(SYS_fstat, 1, &a));
	ASSERT_SYSCALL_OK(syscall(SYS_fstat, fd, &b));
	EXPECT_EQ(a.st_dev, b.st_dev);
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_mode, b.st_mode);
	close(fd);
}

TEST(fstat_errors)
{
	struct stat st;
	EXPECT_ERRNO(syscall(SYS_fstat, -1, &st), EBADF);
	EXPECT_ERRNO(syscall(SYS_fstat, 1000, &st), EBADF);
	EXPECT_ERRNO(syscall(SYS_fstat, 1, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_fstat, 1, 0), EFAULT);
}

TEST(lseek_on_pipe_espipe)
{
	struct stat st;
	ASSERT_SYSCALL_OK(syscall(SYS_fstat, 1, &st));
	if (S_ISREG(st.st_mode))
		SKIP("stdout is a regular file: lseek is allowed on it");
	/* Pipes and terminals cannot seek. */
	EXPECT_ERRNO(syscall(SYS_lseek, 1, 0, SEEK_CUR), ESPIPE);
	EXPECT_ERRNO(syscall(SYS_lseek, 1, 0, SEEK_SET), ESPIPE);
	EXPECT_ERRNO(syscall(SYS_lseek, 1, 10, SEEK_END), ESPIPE);
	/* A bad whence is refused before the file is asked. */
	EXPECT_ERRNO(syscall(SYS_lseek, 1, 0, 42), EINVAL);
}

TEST(lseek_ebadf)
{
	EXPECT_ERRNO(syscall(SYS_lseek, -1, 0, SEEK_SET), EBADF);
	EXPECT_ERRNO(syscall(SYS_lseek, 1000, 0, SEEK_SET), EBADF);
}

TEST(pread_pwrite_on_pipe_espipe)
{
	if (!stdout_is_fifo())
		SKIP("stdout is not a pipe (run outside the runner)");
	char buf[4] = "x\n";
	EXPECT_ERRNO(syscall(SYS_pwrite64, 1, buf, 2, 0), ESPIPE);
	EXPECT_ERRNO(syscall(SYS_pread64, 1, buf, 1, 0), ESPIPE);
	struct iovec iov = {buf, 1};
	EXPECT_ERRNO(syscall(SYS_preadv, 1, &iov, 1, 0, 0), ESPIPE);
	EXPECT_ERRNO(syscall(SYS_pwritev, 1, &iov, 1, 0, 0), ESPIPE);
}

TEST(pread_ebadf)
{
	char buf[4];
	EXPECT_ERRNO(syscall(SYS_pread64, 1000, buf, 1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_pwrite64, -1, buf, 1, 0), EBADF);
}

TEST(ioctl_tcgets_on_non_tty)
{
	if (!stdout_is_fifo())
		SKIP("stdout is not a pipe (run outside the runner); a tty would answer TCGETS");
	struct termios t;
	EXPECT_ERRNO(syscall(SYS_ioctl, 1, TCGETS, &t), ENOTTY);
	EXPECT_ERRNO(syscall(SYS_ioctl, 1, TIOCGWINSZ, &t), ENOTTY);
	EXPECT_FALSE(isatty(1));
	EXPECT_EQ(errno, ENOTTY);
}

TEST(ioctl_fionread_on_pipe)
{
	if (!stdout_is_fifo())
		SKIP("stdout is not a pipe (run outside the runner)");
	int n = -1;
	EXPECT_SYSCALL_OK(syscall(SYS_ioctl, 1, FIONREAD, &n));
	EXPECT_GE(n, 0);
}

TEST(ioctl_ebadf)
{
	struct termios t;
	EXPECT_ERRNO(syscall(SYS_ioctl, -1, TCGETS, &t), EBADF);
	EXPECT_ERRNO(syscall(SYS_ioctl, 1000, TCGETS, &t), EBADF);
}

TEST(close_twice_ebadf)
{
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(syscall(SYS_close, fd), 0);
	EXPECT_ERRNO(syscall(SYS_close, fd), EBADF);
	EXPECT_ERRNO(syscall(SYS_close, -1), EBADF);
	EXPECT_ERRNO(syscall(SYS_close, 1000), EBADF);
	EXPECT_ERRNO(syscall(SYS_close, 0x7fffffff), EBADF);
}

TEST(closed_fd_is_reused_lowest_first)
{
	int a = (int)syscall(SYS_dup, 1);
	int b = (int)syscall(SYS_dup, 1);
	ASSERT_GE(a, 3);
	ASSERT_GT(b, a);
	ASSERT_SYSCALL_OK(close(a));
	/* a is now the lowest free number. */
	EXPECT_EQ(syscall(SYS_dup, 1), a);
	close(a);
	close(b);
}

TEST(read_from_closed_or_write_only_fd)
{
	char buf[8];
	int fd = (int)syscall(SYS_dup, 1);
	ASSERT_GE(fd, 0);
	ASSERT_SYSCALL_OK(close(fd));
	EXPECT_ERRNO(syscall(SYS_read, fd, buf, sizeof(buf)), EBADF);
	EXPECT_ERRNO(syscall(SYS_write, fd, "x", 1), EBADF);
	EXPECT_ERRNO(syscall(SYS_read, -1, buf, sizeof(buf)), EBADF);
	if (stdout_is_fifo()) {
		/* The write end of a pipe is not readable. */
		EXPECT_ERRNO(syscall(SYS_read, 1, buf, sizeof(buf)), EBADF);
	}
}
