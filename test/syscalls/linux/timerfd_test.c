/* timerfd: create flags and clocks, settime/gettime, reads, readiness. */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#define MS 1000000LL

#ifndef TFD_IOC_SET_TICKS
/* include/uapi/linux/timerfd.h: _IOW('T', 0, __u64). */
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static void close_fd(void *arg)
{
	close((int)(intptr_t)arg);
}

/* timerfd_create (ASSERTed); the harness closes it after the test. */
static int tfd(clockid_t clock, int flags)
{
	int fd = timerfd_create(clock, flags);
	ASSERT_SYSCALL_OK(fd);
	harness_defer(close_fd, (void *)(intptr_t)fd);
	return fd;
}

static void arm(int fd, int flags, int64_t value_ns, int64_t interval_ns)
{
	struct itimerspec its = {harness_ns_to_ts(interval_ns),
				 harness_ns_to_ts(value_ns)};
	ASSERT_SYSCALL_OK(timerfd_settime(fd, flags, &its, 0));
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = harness_ns_to_ts(ns);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A blocking read of the expiration count (ASSERTs 8 bytes). */
static uint64_t read_count(int fd)
{
	uint64_t v = 0;
	ASSERT_EQ(read(fd, &v, sizeof(v)), 8);
	return v;
}

TEST(timerfd_create_flags_and_clocks)
{
	EXPECT_ERRNO(timerfd_create(CLOCK_MONOTONIC, 0x1234), EINVAL);
	/* TFD_TIMER_ABSTIME is a settime flag, not a create flag. */
	EXPECT_ERRNO(timerfd_create(CLOCK_MONOTONIC, TFD_TIMER_ABSTIME),
		     EINVAL);
	static const clockid_t bad[] = {CLOCK_PROCESS_CPUTIME_ID,
					CLOCK_THREAD_CPUTIME_ID,
					CLOCK_MONOTONIC_RAW,
					CLOCK_REALTIME_COARSE,
					CLOCK_MONOTONIC_COARSE,
					CLOCK_TAI,
					10,
					100,
					-1};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERRNO(timerfd_create(bad[i], 0), EINVAL);
	/* Root has CAP_WAKE_ALARM: the alarm clocks work. */
	static const clockid_t ok[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
				       CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM,
				       CLOCK_BOOTTIME_ALARM};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		tfd(ok[i], 0);
}

TEST(timerfd_alarm_clocks_need_cap_wake_alarm)
{
	/* A non-zero effective uid has no effective capabilities. */
	harness_set_eids(65534, 65534);
	EXPECT_ERRNO(timerfd_create(CLOCK_REALTIME_ALARM, 0), EPERM);
	EXPECT_ERRNO(timerfd_create(CLOCK_BOOTTIME_ALARM, 0), EPERM);
	/* The clock is checked first. */
	EXPECT_ERRNO(timerfd_create(CLOCK_TAI, 0), EINVAL);
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	EXPECT_SYSCALL_OK(fd);
	harness_restore_eids();
	if (fd >= 0)
		close(fd);
}

TEST(timerfd_status_flags)
{
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	int plain = tfd(CLOCK_MONOTONIC, 0);
	EXPECT_EQ(fcntl(plain, F_GETFL), O_RDWR);
	EXPECT_EQ(fcntl(plain, F_GETFD), 0);
}

TEST(timerfd_file_operations)
{
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK);
	uint64_t v[2];
	EXPECT_ERRNO(read(fd, v, 7), EINVAL);
	EXPECT_ERRNO(read(fd, v, 8), EAGAIN);
	EXPECT_ERRNO(read(fd, v, 16), EAGAIN);
	EXPECT_ERRNO(write(fd, v, 8), EINVAL);
	EXPECT_ERRNO(pread(fd, v, 8, 0), ESPIPE);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	EXPECT_EQ(lseek(fd, 10, SEEK_SET), 0);
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_mode, 0600);
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = 0;
	EXPECT_STREQ(link, "anon_inode:[timerfd]");
}

TEST(timerfd_settime_errors)
{
	int fd = tfd(CLOCK_MONOTONIC, 0);
	int efd = eventfd(0, 0);
	ASSERT_SYSCALL_OK(efd);
	harness_defer(close_fd, (void *)(intptr_t)efd);
	int unused = harness_free_fd(0);
	void *bad = harness_unmapped(harness_page_size());
	struct itimerspec ok, cur;
	memset(&ok, 0, sizeof(ok));
	EXPECT_ERRNO(timerfd_settime(fd, 0x100, &ok, 0), EINVAL);
	EXPECT_ERRNO(timerfd_settime(efd, 0, &ok, 0), EINVAL);
	EXPECT_ERRNO(timerfd_settime(unused, 0, &ok, 0), EBADF);
	EXPECT_ERRNO(timerfd_settime(-1, 0, &ok, 0), EBADF);
	/* The new value is read and checked before the descriptor. */
	EXPECT_ERRNO(timerfd_settime(unused, 0, 0, 0), EFAULT);
	EXPECT_ERRNO(timerfd_settime(fd, 0, bad, 0), EFAULT);
	static const struct itimerspec badv[] = {
		{{0, 0}, {0, 1000000000}},
		{{0, 0}, {-1, 0}},
		{{0, -1}, {1, 0}},
	};
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		EXPECT_ERRNO(timerfd_settime(fd, 0, &badv[i], 0), EINVAL);
		EXPECT_ERRNO(timerfd_settime(unused, 0, &badv[i], 0), EINVAL);
	}
	EXPECT_ERRNO(timerfd_settime(fd, 0, &ok, bad), EFAULT);
	EXPECT_ERRNO(timerfd_gettime(fd, 0), EFAULT);
	EXPECT_ERRNO(timerfd_gettime(efd, &cur), EINVAL);
	EXPECT_ERRNO(timerfd_gettime(unused, &cur), EBADF);
	/* TFD_TIMER_CANCEL_ON_SET is accepted, with or without
	 * TFD_TIMER_ABSTIME, on any clock. */
	EXPECT_SYSCALL_OK(timerfd_settime(fd, TFD_TIMER_CANCEL_ON_SET, &ok, 0));
	int rt = tfd(CLOCK_REALTIME, 0);
	EXPECT_SYSCALL_OK(timerfd_settime(
		rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &ok, 0));
}

TEST(timerfd_one_shot_read_blocks_until_expiry)
{
	int fd = tfd(CLOCK_MONOTONIC, 0);
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	arm(fd, 0, 20 * MS, 0);
	EXPECT_EQ(read_count(fd), 1);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 20 * MS);
	/* Disarmed once expired. */
	struct itimerspec cur;
	ASSERT_SYSCALL_OK(timerfd_gettime(fd, &cur));
	EXPECT_EQ(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 0);
	ASSERT_SYSCALL_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
}

TEST(timerfd_periodic_counts_expirations)
{
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK);
	arm(fd, 0, 5 * MS, 5 * MS);
	/* Sleep well over three intervals. */
	sleep_ns(30 * MS);
	uint64_t v = 0;
	ASSERT_EQ(read(fd, &v, 8), 8);
	EXPECT_GE(v, 3);
	/* Read resets the count; it keeps expiring. */
	ASSERT_SYSCALL_OK(fcntl(fd, F_SETFL, 0));
	EXPECT_GE(read_count(fd), 1);
}

TEST(timerfd_gettime_and_old_value)
{
	int fd = tfd(CLOCK_MONOTONIC, 0);
	struct itimerspec cur, old;
	ASSERT_SYSCALL_OK(timerfd_gettime(fd, &cur));
	EXPECT_EQ(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 0);

	arm(fd, 0, 30000 * MS, 700 * MS);
	ASSERT_SYSCALL_OK(timerfd_gettime(fd, &cur));
	EXPECT_GT(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_LE(harness_ts_to_ns(&cur.it_value), 30000 * MS);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 700 * MS);

	struct itimerspec interval_only = {{1, 0}, {0, 0}};
	ASSERT_SYSCALL_OK(timerfd_settime(fd, 0, &interval_only, &old));
	EXPECT_GT(harness_ts_to_ns(&old.it_value), 0);
	EXPECT_LE(harness_ts_to_ns(&old.it_value),
		  harness_ts_to_ns(&cur.it_value));
	EXPECT_EQ(harness_ts_to_ns(&old.it_interval), 700 * MS);
	/* Disarmed, but a timerfd keeps the interval it was given. */
	ASSERT_SYSCALL_OK(timerfd_gettime(fd, &cur));
	EXPECT_EQ(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 1000 * MS);
}

TEST(timerfd_periodic_gettime_after_expiry)
{
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK);
	arm(fd, 0, 10 * MS, 10 * MS);
	sleep_ns(35 * MS);
	struct itimerspec cur;
	ASSERT_SYSCALL_OK(timerfd_gettime(fd, &cur));
	EXPECT_GT(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_LE(harness_ts_to_ns(&cur.it_value), 10 * MS);
	uint64_t v = 0;
	ASSERT_EQ(read(fd, &v, 8), 8);
	EXPECT_GE(v, 3);
}

TEST(timerfd_settime_clears_count)
{
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK);
	arm(fd, 0, 1 * MS, 1 * MS);
	sleep_ns(10 * MS);
	arm(fd, 0, 30000 * MS, 0);
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
}

TEST(timerfd_abstime)
{
	static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME,
					   CLOCK_BOOTTIME};
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		int fd = tfd(clocks[i], 0);
		int64_t now = harness_now_ns(clocks[i]);
		arm(fd, TFD_TIMER_ABSTIME, now + 20000 * MS, 0);
		struct itimerspec cur;
		ASSERT_SYSCALL_OK(timerfd_gettime(fd, &cur));
		EXPECT_GT(harness_ts_to_ns(&cur.it_value), 0);
		EXPECT_LE(harness_ts_to_ns(&cur.it_value), 20000 * MS);
		/* In the past: expired at once. */
		arm(fd, TFD_TIMER_ABSTIME, now / 2, 0);
		EXPECT_EQ(read_count(fd), 1);
		/* A periodic timer that started long ago counts every
		 * period since. */
		arm(fd, TFD_TIMER_ABSTIME, now - 1000 * MS, 100 * MS);
		EXPECT_GE(read_count(fd), 10);
	}
}

TEST(timerfd_poll_and_epoll_readiness)
{
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_SYSCALL_OK(ep);
	harness_defer(close_fd, (void *)(intptr_t)ep);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0xabc};
	ASSERT_SYSCALL_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);

	arm(fd, 0, 10 * MS, 0);
	/* epoll_wait blocks until the expiration. */
	memset(&ev, 0, sizeof(ev));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 30000), 1);
	EXPECT_EQ(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, 0xabc);
	p.revents = 0;
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN);
	EXPECT_EQ(read_count(fd), 1);
	EXPECT_EQ(poll(&p, 1, 0), 0);

	/* poll blocks until the next one. */
	arm(fd, 0, 10 * MS, 0);
	p.revents = 0;
	EXPECT_EQ(poll(&p, 1, 30000), 1);
	EXPECT_EQ(p.revents, POLLIN);
}

static volatile sig_atomic_t usr1_hits;

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	usr1_hits++;
}

TEST(timerfd_blocking_read_interrupted)
{
	int fd = tfd(CLOCK_MONOTONIC, 0);
	arm(fd, 0, 30000 * MS, 0);
	usr1_hits = 0;
	harness_set_handler(SIGUSR1, on_usr1, 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 2 * MS);
	uint64_t v;
	errno = 0;
	long r = read(fd, &v, 8);
	int err = errno;
	harness_signaller_stop(&s);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, EINTR);
	EXPECT_GE(usr1_hits, 1);
}

TEST(timerfd_blocking_read_restarts_with_sa_restart)
{
	int fd = tfd(CLOCK_MONOTONIC, 0);
	usr1_hits = 0;
	harness_set_handler(SIGUSR1, on_usr1, SA_RESTART);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 2 * MS);
	arm(fd, 0, 50 * MS, 0);
	uint64_t v = 0;
	long r = read(fd, &v, 8);
	harness_signaller_stop(&s);
	EXPECT_EQ(r, 8);
	EXPECT_EQ(v, 1);
}

TEST(timerfd_ioctl_set_ticks)
{
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK);
	uint64_t ticks = 5;
	errno = 0;
	if (ioctl(fd, TFD_IOC_SET_TICKS, &ticks) != 0 && errno == ENOTTY)
		SKIP("kernel built without CONFIG_CHECKPOINT_RESTORE");
	EXPECT_EQ(read_count(fd), 5);
	ticks = 0;
	EXPECT_ERRNO(ioctl(fd, TFD_IOC_SET_TICKS, &ticks), EINVAL);
	EXPECT_ERRNO(ioctl(fd, TFD_IOC_SET_TICKS,
			   harness_unmapped(harness_page_size())),
		     EFAULT);
	EXPECT_ERRNO(ioctl(fd, FIONREAD, &ticks), ENOTTY);
}

TEST(timerfd_close_while_armed)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	ASSERT_SYSCALL_OK(fd);
	arm(fd, 0, 1 * MS, 1 * MS);
	ASSERT_SYSCALL_OK(close(fd));
	sleep_ns(10 * MS);
	/* The number is reused by a new timer that has not expired. */
	int again = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK);
	EXPECT_EQ(again, fd);
	uint64_t v;
	EXPECT_ERRNO(read(again, &v, 8), EAGAIN);
}
