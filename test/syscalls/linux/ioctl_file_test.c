/* ioctl on regular files and directories: FIONREAD, FIOCLEX, FIONBIO, ... */
#include "harness.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

static long ioctl_raw(int fd, unsigned long cmd, void *arg)
{
	return syscall(SYS_ioctl, fd, cmd, arg);
}

static int open_file(const char *content, int flags)
{
	char *p = harness_path("f");
	struct stat st;
	if (stat(p, &st) != 0)
		harness_write_file(p, content, strlen(content), 0644);
	return harness_open(p, flags);
}

TEST(fionread_regular_file)
{
	int fd = open_file("0123456789", O_RDONLY);
	int n = -1;
	/* For a regular file: bytes between the offset and the end. */
	EXPECT_EQ(ioctl_raw(fd, FIONREAD, &n), 0);
	EXPECT_EQ(n, 10);
	ASSERT_EQ(lseek(fd, 3, SEEK_SET), 3);
	EXPECT_EQ(ioctl_raw(fd, FIONREAD, &n), 0);
	EXPECT_EQ(n, 7);
	ASSERT_EQ(lseek(fd, 10, SEEK_SET), 10);
	EXPECT_EQ(ioctl_raw(fd, FIONREAD, &n), 0);
	EXPECT_EQ(n, 0);
	EXPECT_ERRNO(ioctl_raw(fd, FIONREAD, (void *)1), EFAULT);
	close(fd);
	/* It works on a write-only descriptor too. */
	fd = open_file("", O_WRONLY);
	EXPECT_EQ(ioctl_raw(fd, FIONREAD, &n), 0);
	EXPECT_EQ(n, 10);
	close(fd);
}

TEST(fionread_directory_enotty)
{
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	int n;
	EXPECT_ERRNO(ioctl_raw(d, FIONREAD, &n), ENOTTY);
	close(d);
}

TEST(fioclex_fionclex)
{
	int fd = open_file("", O_RDONLY);
	EXPECT_EQ(ioctl_raw(fd, FIOCLEX, 0), 0);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(ioctl_raw(fd, FIONCLEX, 0), 0);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GETFD), 0);
	close(fd);
}

TEST(fionbio_sets_nonblock)
{
	int fd = open_file("", O_RDONLY);
	int on = 1, off = 0;
	EXPECT_EQ(ioctl_raw(fd, FIONBIO, &on), 0);
	EXPECT_TRUE(syscall(SYS_fcntl, fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(ioctl_raw(fd, FIONBIO, &off), 0);
	EXPECT_FALSE(syscall(SYS_fcntl, fd, F_GETFL) & O_NONBLOCK);
	EXPECT_ERRNO(ioctl_raw(fd, FIONBIO, (void *)1), EFAULT);
	close(fd);
}

TEST(figetbsz_matches_blksize)
{
	int fd = open_file("x", O_RDONLY);
	int bs = 0;
	EXPECT_EQ(ioctl_raw(fd, FIGETBSZ, &bs), 0);
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(bs, st.st_blksize);
	close(fd);
}

TEST(ioctl_unknown_and_tty_requests_enotty)
{
	int fd = open_file("", O_RDWR);
	struct termios t;
	EXPECT_ERRNO(ioctl_raw(fd, TCGETS, &t), ENOTTY);
	struct winsize ws;
	EXPECT_ERRNO(ioctl_raw(fd, TIOCGWINSZ, &ws), ENOTTY);
	EXPECT_ERRNO(ioctl_raw(fd, _IO('Z', 0x7f), 0), ENOTTY);
	close(fd);
}

TEST(ioctl_ebadf)
{
	int n;
	EXPECT_ERRNO(ioctl_raw(-1, FIONREAD, &n), EBADF);
	EXPECT_ERRNO(ioctl_raw(harness_free_fd(100), FIOCLEX, 0), EBADF);
	int p = open_file("", O_PATH);
	EXPECT_ERRNO(ioctl_raw(p, FIONREAD, &n), EBADF);
	EXPECT_ERRNO(ioctl_raw(p, FIOCLEX, 0), EBADF);
	close(p);
}
