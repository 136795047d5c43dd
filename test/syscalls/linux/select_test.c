/* select and pselect6: readiness of pipes, timeouts, the time left, and
 * errors. */
#include "harness.h"

#include <sys/select.h>

static long select_raw(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	return syscall(SYS_select, n, r, w, e, tv);
}

TEST(select_pipe_readiness)
{
	int p[2];
	ASSERT_SYSCALL_OK(pipe(p));
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	struct timeval tv = {0, 0};
	/* Empty pipe: only the write end is ready. */
	EXPECT_EQ(select_raw(p[1] + 1, &r, &w, 0, &tv), 1);
	EXPECT_FALSE(FD_ISSET(p[0], &r));
	EXPECT_TRUE(FD_ISSET(p[1], &w));
	ASSERT_EQ(write(p[1], "x", 1), 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	EXPECT_EQ(select_raw(p[1] + 1, &r, &w, 0, &tv), 2);
	EXPECT_TRUE(FD_ISSET(p[0], &r));
	/* A read end whose writers are gone is readable (EOF). */
	char c;
	ASSERT_EQ(read(p[0], &c, 1), 1);
	close(p[1]);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	EXPECT_EQ(select_raw(p[0] + 1, &r, 0, 0, &tv), 1);
	EXPECT_TRUE(FD_ISSET(p[0], &r));
	close(p[0]);
}

TEST(select_timeout_and_time_left)
{
	int p[2];
	ASSERT_SYSCALL_OK(pipe(p));
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval tv = {0, 30 * 1000};
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(select_raw(p[0] + 1, &r, 0, 0, &tv), 0);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 30 * 1000 * 1000);
	/* The set is cleared and the time left written back. */
	EXPECT_FALSE(FD_ISSET(p[0], &r));
	EXPECT_EQ(tv.tv_sec, 0);
	EXPECT_EQ(tv.tv_usec, 0);
	/* No fds at all: a plain sleep. */
	tv.tv_sec = 0;
	tv.tv_usec = 1000;
	EXPECT_EQ(select_raw(0, 0, 0, 0, &tv), 0);
	close(p[0]);
	close(p[1]);
}

TEST(select_errors)
{
	fd_set r;
	struct timeval tv = {0, 0};
	int fd = harness_free_fd(3);
	FD_ZERO(&r);
	FD_SET(fd, &r);
	EXPECT_ERRNO(select_raw(fd + 1, &r, 0, 0, &tv), EBADF);
	EXPECT_ERRNO(select_raw(-1, 0, 0, 0, &tv), EINVAL);
	struct timeval bad = {-1, 0};
	EXPECT_ERRNO(select_raw(0, 0, 0, 0, &bad), EINVAL);
	bad.tv_sec = 0;
	bad.tv_usec = -1;
	EXPECT_ERRNO(select_raw(0, 0, 0, 0, &bad), EINVAL);
	/* Microseconds beyond a second carry into the seconds (a ready fd
	 * makes the call return at once). */
	int p[2];
	ASSERT_SYSCALL_OK(pipe(p));
	fd_set w;
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	struct timeval carry = {0, 1500000};
	EXPECT_EQ(select_raw(p[1] + 1, 0, &w, 0, &carry), 1);
	close(p[0]);
	close(p[1]);
	FD_ZERO(&r);
	FD_SET(0, &r);
	EXPECT_ERRNO(select_raw(1, (fd_set *)harness_unmapped(4096), 0, 0, &tv), EFAULT);
}

TEST(pselect6_mask_and_timespec)
{
	int p[2];
	ASSERT_SYSCALL_OK(pipe(p));
	ASSERT_EQ(write(p[1], "x", 1), 1);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec ts = {1, 0};
	sigset_t mask;
	sigemptyset(&mask);
	struct {
		const sigset_t *ss;
		size_t len;
	} arg = {&mask, 8};
	EXPECT_EQ(syscall(SYS_pselect6, p[0] + 1, &r, 0, 0, &ts, &arg), 1);
	EXPECT_TRUE(FD_ISSET(p[0], &r));
	/* A wrong sigset size is EINVAL. */
	arg.len = 4;
	EXPECT_ERRNO(syscall(SYS_pselect6, p[0] + 1, &r, 0, 0, &ts, &arg), EINVAL);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERRNO(syscall(SYS_pselect6, 0, 0, 0, 0, &bad, 0), EINVAL);
	close(p[0]);
	close(p[1]);
}
