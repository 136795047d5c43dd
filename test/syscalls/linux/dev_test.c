/* The basic devices: /dev/null, zero, full, random, urandom, fd and stdin. */
#include "harness.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

TEST(dev_nodes)
{
	static const struct {
		const char *path;
		unsigned major, minor;
	} devs[] = {
		{"/dev/null", 1, 3},	{"/dev/zero", 1, 5},
		{"/dev/full", 1, 7},	{"/dev/random", 1, 8},
		{"/dev/urandom", 1, 9},
	};
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		struct stat st;
		if (stat(devs[i].path, &st) != 0) {
			harness_fail(__FILE__, __LINE__, "stat %s: %s",
				     devs[i].path, harness_errno_name(errno));
			continue;
		}
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(st.st_mode & 0777, 0666);
		EXPECT_EQ(major(st.st_rdev), devs[i].major);
		EXPECT_EQ(minor(st.st_rdev), devs[i].minor);
	}
}

TEST(dev_null)
{
	int fd = harness_open("/dev/null", O_RDWR);
	char buf[16] = {1};
	EXPECT_EQ(write(fd, "anything", 8), 8);
	EXPECT_EQ(write(fd, buf, 0), 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	EXPECT_EQ(buf[0], 1);
	/* Seeking works and always lands at 0. */
	EXPECT_EQ(lseek(fd, 100, SEEK_SET), 0);
	EXPECT_EQ(pwrite(fd, "x", 1, 1000), 1);
	EXPECT_EQ(pread(fd, buf, 1, 1000), 0);
	close(fd);
	/* O_CREAT and O_TRUNC on an existing device are harmless. */
	fd = harness_open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC);
	close(fd);
}

TEST(dev_zero)
{
	int fd = harness_open("/dev/zero", O_RDWR);
	char buf[100];
	memset(buf, 0x77, sizeof(buf));
	EXPECT_EQ(read(fd, buf, sizeof(buf)), sizeof(buf));
	int zeros = 1;
	for (size_t i = 0; i < sizeof(buf); i++)
		zeros &= buf[i] == 0;
	EXPECT_TRUE(zeros);
	EXPECT_EQ(write(fd, buf, sizeof(buf)), sizeof(buf));
	/* A private mapping of /dev/zero is anonymous memory. */
	size_t pg = harness_page_size();
	unsigned char *p =
		mmap(0, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(p[0], 0);
	p[pg] = 5;
	EXPECT_EQ(p[pg], 5);
	EXPECT_SYSCALL_OK(munmap(p, 2 * pg));
	close(fd);
}

TEST(dev_full)
{
	int fd = harness_open("/dev/full", O_RDWR);
	EXPECT_ERRNO(write(fd, "x", 1), ENOSPC);
	char buf[32];
	memset(buf, 1, sizeof(buf));
	EXPECT_EQ(read(fd, buf, sizeof(buf)), sizeof(buf));
	EXPECT_EQ(buf[0], 0);
	EXPECT_EQ(buf[31], 0);
	close(fd);
}

TEST(dev_random_and_urandom)
{
	static const char *paths[] = {"/dev/urandom", "/dev/random"};
	for (size_t i = 0; i < 2; i++) {
		int fd = harness_open(paths[i], O_RDONLY);
		unsigned char a[64] = {0}, b[64] = {0};
		EXPECT_EQ(read(fd, a, sizeof(a)), sizeof(a));
		EXPECT_EQ(read(fd, b, sizeof(b)), sizeof(b));
		/* Two 512-bit reads are equal with probability 2^-512. */
		EXPECT_NE(memcmp(a, b, sizeof(a)), 0);
		close(fd);
	}
	/* Writing adds to the pool and is allowed. */
	int fd = harness_open("/dev/urandom", O_WRONLY);
	EXPECT_EQ(write(fd, "seed", 4), 4);
	close(fd);
}

TEST(dev_fd_reopens_descriptor)
{
	char *p = harness_path("f");
	harness_write_file(p, "0123456789", 10, 0644);
	int fd = harness_open(p, O_RDONLY);
	ASSERT_EQ(lseek(fd, 5, SEEK_SET), 5);
	int again = harness_open(harness_strf("/dev/fd/%d", fd), O_RDONLY);
	struct stat a, b;
	ASSERT_SYSCALL_OK(fstat(fd, &a));
	ASSERT_SYSCALL_OK(fstat(again, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	/* A reopen is a new open file: its own offset. */
	EXPECT_EQ(lseek(again, 0, SEEK_CUR), 0);
	char c = 0;
	EXPECT_EQ(read(again, &c, 1), 1);
	EXPECT_EQ(c, '0');
	close(again);
	/* It can even be opened for writing, which fd itself is not. */
	again = harness_open(harness_strf("/dev/fd/%d", fd), O_WRONLY);
	EXPECT_EQ(write(again, "X", 1), 1);
	close(again);
	EXPECT_EQ(pread(fd, &c, 1, 0), 1);
	EXPECT_EQ(c, 'X');
	close(fd);
	struct stat st;
	EXPECT_ERRNO(stat(harness_strf("/dev/fd/%d", harness_free_fd(100)),
			  &st),
		     ENOENT);
}

TEST(dev_std_symlinks)
{
	static const struct {
		const char *link, *target;
	} links[] = {
		{"/dev/stdin", "/proc/self/fd/0"},
		{"/dev/stdout", "/proc/self/fd/1"},
		{"/dev/stderr", "/proc/self/fd/2"},
		{"/dev/fd", "/proc/self/fd"},
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char buf[64] = {0};
		long n = readlink(links[i].link, buf, sizeof(buf) - 1);
		if (n < 0) {
			harness_fail(__FILE__, __LINE__, "readlink %s: %s",
				     links[i].link, harness_errno_name(errno));
			continue;
		}
		EXPECT_STREQ(buf, links[i].target);
	}
	/* /dev/stdin is the same file as descriptor 0. */
	struct stat a, b;
	ASSERT_SYSCALL_OK(stat("/dev/stdin", &a));
	ASSERT_SYSCALL_OK(fstat(0, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
}
