/* close_range: closing and marking close-on-exec a range of descriptors. */
#include "harness.h"

#include <fcntl.h>
#include <linux/close_range.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static long close_range_raw(unsigned first, unsigned last, unsigned flags)
{
	return syscall(SYS_close_range, first, last, flags);
}

static int is_open(int fd)
{
	return syscall(SYS_fcntl, fd, F_GETFD) >= 0;
}

/*
 * The first descriptor number above every open one below 1024, so that a
 * range starting there touches only what the test opens itself (a process
 * started by the runner or a shell has nothing open that high).
 */
static int above_all_open(void)
{
	int top = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (is_open(fd))
			top = fd + 1;
	return top;
}

/* Opens n descriptors first..first+n-1 of a file in the temp dir. */
static void open_at(int first, int n)
{
	char *p = harness_path("f");
	int fd = harness_open(p, O_RDWR | O_CREAT, 0644);
	for (int i = 0; i < n; i++)
		ASSERT_EQ(syscall(SYS_dup3, fd, first + i, 0), first + i);
	close(fd);
}

TEST(close_range_closes_range)
{
	int base = above_all_open() + 10;
	open_at(base, 6);
	EXPECT_EQ(close_range_raw(base + 1, base + 3, 0), 0);
	EXPECT_TRUE(is_open(base));
	EXPECT_FALSE(is_open(base + 1));
	EXPECT_FALSE(is_open(base + 2));
	EXPECT_FALSE(is_open(base + 3));
	EXPECT_TRUE(is_open(base + 4));
	EXPECT_TRUE(is_open(base + 5));
	/* A range with holes and closed descriptors is fine. */
	EXPECT_EQ(close_range_raw(base, base + 4, 0), 0);
	EXPECT_FALSE(is_open(base));
	EXPECT_FALSE(is_open(base + 4));
	EXPECT_TRUE(is_open(base + 5));
	close(base + 5);
}

TEST(close_range_to_the_end)
{
	int base = above_all_open() + 10;
	open_at(base, 3);
	open_at(base + 100, 1);
	EXPECT_EQ(close_range_raw(base, ~0U, 0), 0);
	EXPECT_FALSE(is_open(base));
	EXPECT_FALSE(is_open(base + 2));
	EXPECT_FALSE(is_open(base + 100));
	/* Descriptors below the range are untouched. */
	EXPECT_TRUE(is_open(1));
}

TEST(close_range_single_and_empty)
{
	int base = above_all_open() + 10;
	open_at(base, 1);
	EXPECT_EQ(close_range_raw(base, base, 0), 0);
	EXPECT_FALSE(is_open(base));
	/* Nothing open in the range. */
	EXPECT_EQ(close_range_raw(base, base + 50, 0), 0);
	EXPECT_EQ(close_range_raw(~0U, ~0U, 0), 0);
}

TEST(close_range_cloexec)
{
	int base = above_all_open() + 10;
	open_at(base, 3);
	EXPECT_EQ(close_range_raw(base, base + 1, CLOSE_RANGE_CLOEXEC), 0);
	/* Still open, now close-on-exec. */
	EXPECT_EQ(syscall(SYS_fcntl, base, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(syscall(SYS_fcntl, base + 1, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(syscall(SYS_fcntl, base + 2, F_GETFD), 0);
	EXPECT_EQ(close_range_raw(base, ~0U, CLOSE_RANGE_CLOEXEC), 0);
	EXPECT_EQ(syscall(SYS_fcntl, base + 2, F_GETFD), FD_CLOEXEC);
	EXPECT_TRUE(is_open(base + 2));
	EXPECT_EQ(close_range_raw(base, base + 2, 0), 0);
	EXPECT_FALSE(is_open(base));
}

TEST(close_range_unshare)
{
	int base = above_all_open() + 10;
	open_at(base, 2);
	/* The table is not shared here: UNSHARE changes nothing visible. */
	EXPECT_EQ(close_range_raw(base, base + 1, CLOSE_RANGE_UNSHARE), 0);
	EXPECT_FALSE(is_open(base));
	EXPECT_FALSE(is_open(base + 1));
	EXPECT_TRUE(is_open(1));
}

TEST(close_range_einval)
{
	int base = above_all_open() + 10;
	open_at(base, 2);
	EXPECT_ERRNO(close_range_raw(base + 1, base, 0), EINVAL);
	EXPECT_ERRNO(close_range_raw(base, base + 1, 0x1), EINVAL);
	EXPECT_ERRNO(close_range_raw(base, base + 1, 0x80000000), EINVAL);
	/* Nothing was closed by the failed calls. */
	EXPECT_TRUE(is_open(base));
	EXPECT_TRUE(is_open(base + 1));
	EXPECT_EQ(close_range_raw(base, base + 1, 0), 0);
}
