/*
 * epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2: errors, level/edge/one-shot triggering, close semantics,
 * nesting, blocking and signals. eventfds are the watched files.
 */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define MS 1000000LL

static int new_efd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		harness_fail(__FILE__, __LINE__, "eventfd: %s",
			     harness_errno_name(errno));
	return fd;
}

static void efd_add(int fd, uint64_t v)
{
	if (write(fd, &v, 8) != 8)
		harness_fail(__FILE__, __LINE__, "eventfd write: %s",
			     harness_errno_name(errno));
}

static uint64_t efd_take(int fd)
{
	uint64_t v = 0;
	if (read(fd, &v, 8) != 8)
		return 0;
	return v;
}

static int ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data = {.u64 = data}};
	return (int)syscall(SYS_epoll_ctl, ep, op, fd, &ev);
}

static int wait_raw(int ep, struct epoll_event *evs, int max, int timeout)
{
	return (int)syscall(SYS_epoll_wait, ep, evs, max, timeout);
}

static volatile sig_atomic_t handled;

static void count_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	handled++;
}

TEST(epoll_struct_is_packed)
{
	EXPECT_EQ(sizeof(struct epoll_event), 12);
	EXPECT_EQ(offsetof(struct epoll_event, data), 4);
}

TEST(epoll_create_errors)
{
	EXPECT_ERRNO(syscall(SYS_epoll_create, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_create, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_create1, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_create1, O_NONBLOCK), EINVAL);
	long ep = syscall(SYS_epoll_create, 1);
	ASSERT_GE(ep, 0);
	EXPECT_EQ(fcntl(ep, F_GETFD), 0);
	EXPECT_EQ(fcntl(ep, F_GETFL), O_RDWR);
	close(ep);
	ep = syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
	ASSERT_GE(ep, 0);
	EXPECT_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	close(ep);
}

TEST(epoll_file_operations)
{
	int ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	char buf[16];
	EXPECT_ERRNO(read(ep, buf, 8), EINVAL);
	EXPECT_ERRNO(write(ep, buf, 8), EINVAL);
	EXPECT_EQ(lseek(ep, 0, SEEK_SET), 0);
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(ep, &st));
	EXPECT_EQ(st.st_mode, 0600);
	close(ep);
}

TEST(epoll_ctl_errors)
{
	int ep = epoll_create1(0);
	int efd = new_efd();
	ASSERT_GE(ep, 0);
	EXPECT_ERRNO(ctl(-1, EPOLL_CTL_ADD, efd, EPOLLIN, 0), EBADF);
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, -1, EPOLLIN, 0), EBADF);
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, 1000, EPOLLIN, 0), EBADF);
	/* epfd that is not an epoll instance. */
	EXPECT_ERRNO(ctl(efd, EPOLL_CTL_ADD, efd, EPOLLIN, 0), EINVAL);
	/* An instance cannot watch itself. */
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0), EINVAL);
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN, 0), ENOENT);
	EXPECT_ERRNO(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, efd, 0), ENOENT);
	EXPECT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0), 0);
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0), EEXIST);
	EXPECT_ERRNO(ctl(ep, 0, efd, EPOLLIN, 0), EINVAL);
	EXPECT_ERRNO(ctl(ep, 4, efd, EPOLLIN, 0), EINVAL);
	/* The event is read for every op but DEL. */
	EXPECT_ERRNO(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, efd, (void *)8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, efd, (void *)8), EFAULT);
	EXPECT_EQ(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, efd, (void *)8), 0);
	EXPECT_ERRNO(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, efd, 0), ENOENT);
	close(efd);
	close(ep);
}

TEST(epoll_ctl_eperm_for_unpollable)
{
	/*
	 * The syscall tests have no open() yet; stdin is /dev/null (or a
	 * regular file) under the runner, neither of which supports poll.
	 */
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(0, &st));
	if (!S_ISREG(st.st_mode) && !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)))
		SKIP("stdin is neither /dev/null nor a regular file");
	int ep = epoll_create1(0);
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, 0, EPOLLIN, 0), EPERM);
	close(ep);
}

TEST(epoll_exclusive_rules)
{
	int ep = epoll_create1(0), ep2 = epoll_create1(0);
	int a = new_efd(), b = new_efd();
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, a, EPOLLEXCLUSIVE | EPOLLIN | EPOLLPRI, 0), EINVAL);
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, a, EPOLLEXCLUSIVE | EPOLLONESHOT | EPOLLIN, 0), EINVAL);
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, ep2, EPOLLEXCLUSIVE | EPOLLIN, 0), EINVAL);
	EXPECT_EQ(ctl(ep, EPOLL_CTL_ADD, a, EPOLLEXCLUSIVE | EPOLLIN | EPOLLET, 0), 0);
	/* An exclusive item cannot be modified, and MOD cannot set it. */
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_MOD, a, EPOLLIN, 0), EINVAL);
	EXPECT_EQ(ctl(ep, EPOLL_CTL_ADD, b, EPOLLIN, 0), 0);
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_MOD, b, EPOLLEXCLUSIVE | EPOLLIN, 0), EINVAL);
	/* It still reports events. */
	efd_add(a, 1);
	struct epoll_event ev[2];
	EXPECT_EQ(wait_raw(ep, ev, 2, 0), 1);
	EXPECT_EQ(ev[0].events, EPOLLIN);
	close(a);
	close(b);
	close(ep);
	close(ep2);
}

TEST(epoll_wait_errors)
{
	int ep = epoll_create1(0), efd = new_efd();
	struct epoll_event ev[4];
	EXPECT_ERRNO(wait_raw(ep, ev, 0, 0), EINVAL);
	EXPECT_ERRNO(wait_raw(ep, ev, -1, 0), EINVAL);
	EXPECT_ERRNO(wait_raw(ep, ev, 0x7fffffff, 0), EINVAL);
	EXPECT_ERRNO(wait_raw(-1, ev, 4, 0), EBADF);
	EXPECT_ERRNO(wait_raw(efd, ev, 4, 0), EINVAL);
	/* The buffer is checked against the address space up front... */
	EXPECT_ERRNO(wait_raw(ep, (void *)-4096L, 4, 0), EFAULT);
	/* ...and faults when an event is copied out. */
	EXPECT_EQ(wait_raw(ep, (void *)8, 4, 0), 0);
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0), 0);
	efd_add(efd, 1);
	EXPECT_ERRNO(wait_raw(ep, (void *)8, 4, 0), EFAULT);
	/* The event was not lost. */
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 1);
	close(efd);
	close(ep);
}

TEST(epoll_level_triggered)
{
	int ep = epoll_create1(0), efd = new_efd();
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLOUT, 0x1122334455667788ULL), 0);
	struct epoll_event ev[4];
	/* Writable right away. */
	ASSERT_EQ(wait_raw(ep, ev, 4, 0), 1);
	EXPECT_EQ(ev[0].events, EPOLLOUT);
	EXPECT_EQ(ev[0].data.u64, 0x1122334455667788ULL);
	efd_add(efd, 3);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(wait_raw(ep, ev, 4, 0), 1);
		EXPECT_EQ(ev[0].events, EPOLLIN | EPOLLOUT);
	}
	ASSERT_EQ(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN, 7), 0);
	ASSERT_EQ(wait_raw(ep, ev, 4, 0), 1);
	EXPECT_EQ(ev[0].events, EPOLLIN);
	EXPECT_EQ(ev[0].data.u64, 7);
	EXPECT_EQ(efd_take(efd), 3);
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	close(efd);
	close(ep);
}

TEST(epoll_edge_triggered)
{
	int ep = epoll_create1(0), efd = new_efd();
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET, 1), 0);
	struct epoll_event ev[4];
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	efd_add(efd, 1);
	ASSERT_EQ(wait_raw(ep, ev, 4, 0), 1);
	EXPECT_EQ(ev[0].events, EPOLLIN);
	/* Still readable, but no new edge. */
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	/* Each write is an edge, even without reading. */
	efd_add(efd, 1);
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 1);
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	close(efd);
	close(ep);
}

TEST(epoll_oneshot)
{
	int ep = epoll_create1(0), efd = new_efd();
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLONESHOT, 5), 0);
	efd_add(efd, 1);
	struct epoll_event ev[4];
	ASSERT_EQ(wait_raw(ep, ev, 4, 0), 1);
	EXPECT_EQ(ev[0].data.u64, 5);
	/* Disabled: no report, not even for new writes. */
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	efd_add(efd, 1);
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	/* Still in the set. */
	EXPECT_ERRNO(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0), EEXIST);
	/* MOD re-arms it. */
	ASSERT_EQ(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN | EPOLLONESHOT, 6), 0);
	ASSERT_EQ(wait_raw(ep, ev, 4, 0), 1);
	EXPECT_EQ(ev[0].data.u64, 6);
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	close(efd);
	close(ep);
}

TEST(epoll_maxevents_round_robin)
{
	int ep = epoll_create1(0), a = new_efd(), b = new_efd();
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, a, EPOLLIN, 'a'), 0);
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, b, EPOLLIN, 'b'), 0);
	efd_add(a, 1);
	efd_add(b, 1);
	struct epoll_event ev[2];
	ASSERT_EQ(wait_raw(ep, ev, 1, 0), 1);
	uint64_t first = ev[0].data.u64;
	ASSERT_EQ(wait_raw(ep, ev, 1, 0), 1);
	EXPECT_NE(ev[0].data.u64, first);
	ASSERT_EQ(wait_raw(ep, ev, 2, 0), 2);
	EXPECT_NE(ev[0].data.u64, ev[1].data.u64);
	close(a);
	close(b);
	close(ep);
}

TEST(epoll_close_removes_item)
{
	int ep = epoll_create1(0), efd = new_efd();
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0), 0);
	efd_add(efd, 1);
	close(efd);
	struct epoll_event ev[4];
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	/* A new file at the same number is a new item. */
	int efd2 = new_efd();
	ASSERT_EQ(efd2, efd);
	EXPECT_EQ(ctl(ep, EPOLL_CTL_ADD, efd2, EPOLLIN, 0), 0);
	close(efd2);
	close(ep);
}

TEST(epoll_dup_keeps_item_alive)
{
	int ep = epoll_create1(0), efd = new_efd();
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 42), 0);
	int dupfd = dup(efd);
	ASSERT_GE(dupfd, 0);
	close(efd);
	/* The file lives on in dupfd, and so does the item (keyed by the old fd). */
	efd_add(dupfd, 1);
	struct epoll_event ev[4];
	ASSERT_EQ(wait_raw(ep, ev, 4, 0), 1);
	EXPECT_EQ(ev[0].data.u64, 42);
	/* The dup is a different (file, fd) pair: it can be added too. */
	EXPECT_EQ(ctl(ep, EPOLL_CTL_ADD, dupfd, EPOLLIN, 43), 0);
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 2);
	close(dupfd);
	EXPECT_EQ(wait_raw(ep, ev, 4, 0), 0);
	close(ep);
}

TEST(epoll_timeouts)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(wait_raw(ep, ev, 1, 20), 0);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 20 * MS);
	struct timespec ts = {0, 20 * MS};
	start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(syscall(SYS_epoll_pwait2, ep, ev, 1, &ts, 0, 8), 0);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 20 * MS);
	ts.tv_nsec = 0;
	EXPECT_EQ(syscall(SYS_epoll_pwait2, ep, ev, 1, &ts, 0, 8), 0);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERRNO(syscall(SYS_epoll_pwait2, ep, ev, 1, &bad, 0, 8), EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	EXPECT_ERRNO(syscall(SYS_epoll_pwait2, ep, ev, 1, &bad, 0, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_pwait2, ep, ev, 1, (void *)8, 0, 8), EFAULT);
	close(ep);
}

TEST(epoll_wait_blocks_until_ready)
{
	int ep = epoll_create1(0), efd = new_efd();
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 9), 0);
	struct harness_delayed_io d = {efd, 1, 20 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	struct epoll_event ev[1];
	EXPECT_EQ(wait_raw(ep, ev, 1, -1), 1);
	EXPECT_EQ(ev[0].data.u64, 9);
	void *ret;
	pthread_join(th, &ret);
	EXPECT_EQ(ret, 0);
	close(efd);
	close(ep);
}

TEST(epoll_wait_eintr_even_with_sa_restart)
{
	harness_set_handler(SIGUSR1, count_handler, SA_RESTART);
	handled = 0;
	int ep = epoll_create1(0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	struct epoll_event ev[1];
	EXPECT_ERRNO(wait_raw(ep, ev, 1, -1), EINTR);
	harness_signaller_stop(&s);
	EXPECT_GE(handled, 1);
	close(ep);
}

TEST(epoll_pwait_sigmask)
{
	harness_set_handler(SIGUSR1, count_handler, 0);
	handled = 0;
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &block, 0));
	ASSERT_SYSCALL_OK(harness_tgkill(getpid(), harness_gettid(), SIGUSR1));
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	EXPECT_ERRNO(syscall(SYS_epoll_pwait, ep, ev, 1, -1, &empty, 7), EINVAL);
	/* The pending signal is unblocked for the wait and interrupts it. */
	EXPECT_ERRNO(syscall(SYS_epoll_pwait, ep, ev, 1, -1, &empty, 8), EINTR);
	EXPECT_EQ(handled, 1);
	sigset_t now;
	sigprocmask(SIG_SETMASK, 0, &now);
	EXPECT_TRUE(sigismember(&now, SIGUSR1));
	/* When events are ready, the old mask comes back before delivery. */
	int efd = new_efd();
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0), 0);
	efd_add(efd, 1);
	ASSERT_SYSCALL_OK(harness_tgkill(getpid(), harness_gettid(), SIGUSR1));
	EXPECT_EQ(syscall(SYS_epoll_pwait, ep, ev, 1, -1, &empty, 8), 1);
	EXPECT_EQ(handled, 1);
	sigset_t pending;
	sigpending(&pending);
	EXPECT_TRUE(sigismember(&pending, SIGUSR1));
	ASSERT_SYSCALL_OK(sigprocmask(SIG_UNBLOCK, &block, 0));
	EXPECT_EQ(handled, 2);
	close(efd);
	close(ep);
}

TEST(epoll_nested)
{
	int outer = epoll_create1(0), inner = epoll_create1(0), efd = new_efd();
	ASSERT_EQ(ctl(inner, EPOLL_CTL_ADD, efd, EPOLLIN, 1), 0);
	ASSERT_EQ(ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 2), 0);
	/* A loop is refused. */
	EXPECT_ERRNO(ctl(inner, EPOLL_CTL_ADD, outer, EPOLLIN, 3), ELOOP);
	struct epoll_event ev[2];
	EXPECT_EQ(wait_raw(outer, ev, 2, 0), 0);
	struct pollfd p = {inner, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	struct harness_delayed_io d = {efd, 1, 10 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	ASSERT_EQ(wait_raw(outer, ev, 2, 5000), 1);
	EXPECT_EQ(ev[0].events, EPOLLIN);
	EXPECT_EQ(ev[0].data.u64, 2);
	pthread_join(th, 0);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN);
	ASSERT_EQ(wait_raw(inner, ev, 2, 0), 1);
	EXPECT_EQ(ev[0].data.u64, 1);
	close(efd);
	/* Closing the inner instance removes it from the outer one. */
	close(inner);
	EXPECT_EQ(wait_raw(outer, ev, 2, 0), 0);
	close(outer);
}

TEST(epoll_nesting_depth_limit)
{
	int eps[7];
	for (int i = 0; i < 7; i++)
		eps[i] = epoll_create1(0);
	/* eps[i] watches eps[i+1]: a chain of instances. */
	int i;
	for (i = 0; i < 6; i++)
		if (ctl(eps[i], EPOLL_CTL_ADD, eps[i + 1], EPOLLIN, 0) != 0)
			break;
	EXPECT_EQ(i, 4);
	EXPECT_EQ(errno, ELOOP);
	for (i = 0; i < 7; i++)
		close(eps[i]);
}

TEST(epoll_host_pipe_stdout)
{
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(1, &st));
	if (!S_ISFIFO(st.st_mode))
		SKIP("stdout is not a pipe");
	int ep = epoll_create1(0);
	ASSERT_EQ(ctl(ep, EPOLL_CTL_ADD, 1, EPOLLOUT, 77), 0);
	struct epoll_event ev[1];
	ASSERT_EQ(wait_raw(ep, ev, 1, 1000), 1);
	EXPECT_EQ(ev[0].events, EPOLLOUT);
	EXPECT_EQ(ev[0].data.u64, 77);
	close(ep);
}
