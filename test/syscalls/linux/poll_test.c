/* poll and ppoll: readiness masks, bad and negative fds, limits, timeouts,
 * blocking, signals and ppoll's signal mask and timeout write-back. */
#include "harness.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define MS 1000000LL

static volatile sig_atomic_t handled;

static void count_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	handled++;
}

static int new_efd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		harness_fail(__FILE__, __LINE__, "eventfd: %s",
			     harness_errno_name(errno));
	return fd;
}

static long raw_poll(struct pollfd *fds, unsigned long n, int timeout)
{
	return syscall(SYS_poll, fds, n, timeout);
}

TEST(poll_readiness_masks)
{
	int efd = new_efd();
	struct pollfd p[3] = {
		{efd, POLLIN, 0x7777},
		{efd, POLLOUT, 0x7777},
		{efd, POLLIN | POLLOUT | POLLPRI, 0x7777},
	};
	EXPECT_EQ(raw_poll(p, 3, 0), 2);
	EXPECT_EQ(p[0].revents, 0);
	EXPECT_EQ(p[1].revents, POLLOUT);
	EXPECT_EQ(p[2].revents, POLLOUT);
	uint64_t v = 1;
	ASSERT_EQ(write(efd, &v, 8), 8);
	EXPECT_EQ(raw_poll(p, 3, 0), 3);
	EXPECT_EQ(p[0].revents, POLLIN);
	EXPECT_EQ(p[1].revents, POLLOUT);
	EXPECT_EQ(p[2].revents, POLLIN | POLLOUT);
	/* Fields other than revents are untouched. */
	EXPECT_EQ(p[2].fd, efd);
	EXPECT_EQ(p[2].events, POLLIN | POLLOUT | POLLPRI);
	close(efd);
}

TEST(poll_negative_and_bad_fds)
{
	int efd = new_efd();
	struct pollfd p[4] = {
		{-1, POLLIN, 0x7777},
		{-12345, POLLOUT, 0x7777},
		{1000, POLLIN, 0x7777},
		{efd, POLLIN, 0x7777},
	};
	/* The bad fd counts; its POLLNVAL is reported whatever was asked. */
	EXPECT_EQ(raw_poll(p, 4, 0), 1);
	EXPECT_EQ(p[0].revents, 0);
	EXPECT_EQ(p[1].revents, 0);
	EXPECT_EQ(p[2].revents, POLLNVAL);
	EXPECT_EQ(p[3].revents, 0);
	p[2].events = 0;
	EXPECT_EQ(raw_poll(&p[2], 1, 0), 1);
	EXPECT_EQ(p[2].revents, POLLNVAL);
	close(efd);
}

TEST(poll_nfds_limit_and_efault)
{
	struct rlimit rl;
	ASSERT_SYSCALL_OK(getrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_ERRNO(raw_poll(0, rl.rlim_cur + 1, 0), EINVAL);
	EXPECT_ERRNO(raw_poll((void *)8, 1, 0), EFAULT);
	/* nfds 0 with a bad pointer reads nothing. */
	EXPECT_EQ(raw_poll((void *)8, 0, 0), 0);
}

TEST(poll_timeouts)
{
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(raw_poll(0, 0, 20), 0);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 20 * MS);
	int efd = new_efd();
	struct pollfd p = {efd, POLLIN, 0};
	start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(raw_poll(&p, 1, 20), 0);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 20 * MS);
	EXPECT_EQ(p.revents, 0);
	close(efd);
}

TEST(poll_blocks_until_ready)
{
	int a = new_efd(), b = new_efd();
	struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
	struct harness_delayed_io d = {b, 1, 20 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	EXPECT_EQ(raw_poll(p, 2, -1), 1);
	EXPECT_EQ(p[0].revents, 0);
	EXPECT_EQ(p[1].revents, POLLIN);
	void *ret;
	pthread_join(th, &ret);
	EXPECT_EQ(ret, 0);
	close(a);
	close(b);
}

TEST(poll_eintr_with_handler)
{
	harness_set_handler(SIGUSR1, count_handler, SA_RESTART);
	handled = 0;
	int efd = new_efd();
	struct pollfd p = {efd, POLLIN, 0x7777};
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	/* poll is not restarted after a handler, even with SA_RESTART. */
	EXPECT_ERRNO(raw_poll(&p, 1, -1), EINTR);
	harness_signaller_stop(&s);
	EXPECT_GE(handled, 1);
	EXPECT_EQ(p.revents, 0);
	close(efd);
}

TEST(ppoll_timespec)
{
	int efd = new_efd();
	struct pollfd p = {efd, POLLIN, 0};
	struct timespec ts = {0, 20 * MS};
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(syscall(SYS_ppoll, &p, 1, &ts, 0, 8), 0);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 20 * MS);
	/* The time left is written back: none. */
	EXPECT_EQ(ts.tv_sec, 0);
	EXPECT_EQ(ts.tv_nsec, 0);
	/* Ready at once: most of the timeout is left. */
	uint64_t v = 1;
	ASSERT_EQ(write(efd, &v, 8), 8);
	ts.tv_sec = 100;
	ts.tv_nsec = 0;
	EXPECT_EQ(syscall(SYS_ppoll, &p, 1, &ts, 0, 8), 1);
	EXPECT_GE(ts.tv_sec, 98);
	EXPECT_LE(ts.tv_sec, 100);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERRNO(syscall(SYS_ppoll, &p, 1, &bad, 0, 8), EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	EXPECT_ERRNO(syscall(SYS_ppoll, &p, 1, &bad, 0, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_ppoll, &p, 1, (void *)8, 0, 8), EFAULT);
	close(efd);
}

TEST(ppoll_sigmask)
{
	harness_set_handler(SIGUSR1, count_handler, 0);
	handled = 0;
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &block, 0));
	ASSERT_SYSCALL_OK(harness_tgkill(getpid(), harness_gettid(), SIGUSR1));
	int efd = new_efd();
	struct pollfd p = {efd, POLLIN, 0};
	EXPECT_ERRNO(syscall(SYS_ppoll, &p, 1, 0, &empty, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_ppoll, &p, 1, 0, &empty, 8), EINTR);
	EXPECT_EQ(handled, 1);
	sigset_t now;
	sigprocmask(SIG_SETMASK, 0, &now);
	EXPECT_TRUE(sigismember(&now, SIGUSR1));
	/* Ready: the old mask comes back before the signal can be taken. */
	uint64_t v = 1;
	ASSERT_EQ(write(efd, &v, 8), 8);
	ASSERT_SYSCALL_OK(harness_tgkill(getpid(), harness_gettid(), SIGUSR1));
	EXPECT_EQ(syscall(SYS_ppoll, &p, 1, 0, &empty, 8), 1);
	EXPECT_EQ(handled, 1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_UNBLOCK, &block, 0));
	EXPECT_EQ(handled, 2);
	close(efd);
}

TEST(poll_host_pipe_stdout)
{
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(1, &st));
	if (!S_ISFIFO(st.st_mode))
		SKIP("stdout is not a pipe");
	struct pollfd p = {1, POLLIN | POLLOUT, 0};
	EXPECT_EQ(raw_poll(&p, 1, 1000), 1);
	EXPECT_EQ(p.revents, POLLOUT);
}
