/*
 * Readiness of pipes for poll, epoll and select: POLLIN while data is held,
 * POLLOUT while a buffer is free, POLLHUP once the writers are gone,
 * POLLERR once the readers are gone; blocking waits woken by the other
 * side; edge-triggered epoll's events.
 */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#define MS 1000000LL
#define PAGE 4096
#define PIPE_SIZE (16 * PAGE)

static void make_pipe(int p[2], int flags)
{
	if (syscall(SYS_pipe2, p, flags) != 0)
		harness_fail(__FILE__, __LINE__, "pipe2: errno %s",
			     harness_errno_name(errno));
}

static void close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* revents of fd for events, polled without waiting. */
static int revents(int fd, short events)
{
	struct pollfd pfd = {fd, events, 0};
	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

static unsigned char fill[PIPE_SIZE];

/* A thread that sleeps, then closes fd or reads len bytes from it. */
struct later {
	int fd;
	int close_it;
	size_t len;
};

static void *act_later(void *arg)
{
	struct later *l = arg;
	struct timespec ts = harness_ns_to_ts(20 * MS);
	nanosleep(&ts, 0);
	if (l->close_it) {
		close(l->fd);
	} else {
		static unsigned char buf[PIPE_SIZE];
		if (read(l->fd, buf, l->len) != (ssize_t)l->len)
			return (void *)1;
	}
	return 0;
}

TEST(poll_empty_pipe)
{
	int p[2];
	make_pipe(p, 0);
	EXPECT_EQ(revents(p[0], POLLIN | POLLOUT), 0);
	/* The read end is never writable, the write end never readable. */
	EXPECT_EQ(revents(p[1], POLLIN | POLLOUT), POLLOUT);
	EXPECT_EQ(revents(p[1], POLLOUT | POLLWRNORM), POLLOUT | POLLWRNORM);
	struct pollfd pfd = {p[0], POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	close_pipe(p);
}

TEST(poll_data)
{
	int p[2];
	make_pipe(p, 0);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(revents(p[0], POLLIN), POLLIN);
	EXPECT_EQ(revents(p[0], POLLIN | POLLRDNORM | POLLPRI),
		  POLLIN | POLLRDNORM);
	char c;
	ASSERT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(revents(p[0], POLLIN), 0);
	close_pipe(p);
}

TEST(poll_full_pipe)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	ASSERT_EQ(write(p[1], fill, PIPE_SIZE), PIPE_SIZE);
	EXPECT_EQ(revents(p[1], POLLOUT), 0);
	/* One byte read frees no buffer. */
	unsigned char buf[PAGE];
	ASSERT_EQ(read(p[0], buf, 1), 1);
	EXPECT_EQ(revents(p[1], POLLOUT), 0);
	ASSERT_EQ(read(p[0], buf, PAGE - 1), PAGE - 1);
	EXPECT_EQ(revents(p[1], POLLOUT), POLLOUT);
	close_pipe(p);
}

TEST(poll_writable_while_a_buffer_is_free)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	/* Fifteen full buffers: one free. */
	ASSERT_EQ(write(p[1], fill, PIPE_SIZE - PAGE), PIPE_SIZE - PAGE);
	EXPECT_EQ(revents(p[1], POLLOUT), POLLOUT);
	/* One byte more takes the last buffer, 4095 bytes are left. */
	ASSERT_EQ(write(p[1], fill, 1), 1);
	EXPECT_EQ(revents(p[1], POLLOUT), 0);
	close_pipe(p);
}

TEST(poll_hangup_without_writers)
{
	int p[2];
	make_pipe(p, 0);
	ASSERT_EQ(write(p[1], "ab", 2), 2);
	close(p[1]);
	EXPECT_EQ(revents(p[0], POLLIN), POLLIN | POLLHUP);
	/* POLLHUP is reported even when not asked for. */
	EXPECT_EQ(revents(p[0], 0), POLLHUP);
	char buf[4];
	ASSERT_EQ(read(p[0], buf, sizeof(buf)), 2);
	EXPECT_EQ(revents(p[0], POLLIN), POLLHUP);
	close(p[0]);
}

TEST(poll_error_without_readers)
{
	int p[2];
	make_pipe(p, 0);
	close(p[0]);
	EXPECT_EQ(revents(p[1], POLLOUT), POLLOUT | POLLERR);
	EXPECT_EQ(revents(p[1], 0), POLLERR);
	close(p[1]);
}

TEST(poll_waits_for_data)
{
	int p[2];
	make_pipe(p, 0);
	struct harness_delayed_io d = {p[1], 7, 20 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	struct pollfd pfd = {p[0], POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, -1), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	pthread_join(th, 0);
	close_pipe(p);
}

TEST(poll_waits_for_hangup)
{
	int p[2];
	make_pipe(p, 0);
	struct later l = {p[1], 1, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, act_later, &l), 0);
	struct pollfd pfd = {p[0], POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, -1), 1);
	EXPECT_EQ(pfd.revents, POLLHUP);
	pthread_join(th, 0);
	close(p[0]);
}

TEST(poll_waits_for_room)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	ASSERT_EQ(write(p[1], fill, PIPE_SIZE), PIPE_SIZE);
	struct later l = {p[0], 0, PAGE};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, act_later, &l), 0);
	struct pollfd pfd = {p[1], POLLOUT, 0};
	EXPECT_EQ(poll(&pfd, 1, -1), 1);
	EXPECT_EQ(pfd.revents, POLLOUT);
	void *ret;
	pthread_join(th, &ret);
	EXPECT_EQ(ret, 0);
	close_pipe(p);
}

TEST(poll_waits_for_error)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	ASSERT_EQ(write(p[1], fill, PIPE_SIZE), PIPE_SIZE);
	struct later l = {p[0], 1, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, act_later, &l), 0);
	struct pollfd pfd = {p[1], POLLOUT, 0};
	EXPECT_EQ(poll(&pfd, 1, -1), 1);
	/* Still full (no POLLOUT), but nobody reads any more. */
	EXPECT_EQ(pfd.revents, POLLERR);
	pthread_join(th, 0);
	close(p[1]);
}

TEST(epoll_level_triggered)
{
	int p[2];
	make_pipe(p, 0);
	int ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	struct epoll_event ev = {EPOLLIN, {.u32 = 1}};
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	ev = (struct epoll_event){EPOLLOUT, {.u32 = 2}};
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev), 0);
	struct epoll_event out[4];
	ASSERT_EQ(epoll_wait(ep, out, 4, 0), 1);
	EXPECT_EQ(out[0].data.u32, 2);
	EXPECT_EQ(out[0].events, EPOLLOUT);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	/* Level-triggered: reported on every wait while true. */
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(epoll_wait(ep, out, 4, 0), 2);
		int in = out[0].data.u32 == 1 ? 0 : 1;
		EXPECT_EQ(out[in].events, EPOLLIN);
	}
	close(p[1]);
	ASSERT_EQ(epoll_wait(ep, out, 4, 0), 1);
	EXPECT_EQ(out[0].events, EPOLLIN | EPOLLHUP);
	close(p[0]);
	close(ep);
}

TEST(epoll_error_without_readers)
{
	int p[2];
	make_pipe(p, 0);
	int ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	struct epoll_event ev = {EPOLLOUT, {.u32 = 1}};
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev), 0);
	close(p[0]);
	struct epoll_event out[2];
	ASSERT_EQ(epoll_wait(ep, out, 2, 0), 1);
	EXPECT_EQ(out[0].events, EPOLLOUT | EPOLLERR);
	close(p[1]);
	close(ep);
}

TEST(epoll_edge_triggered_read_end)
{
	int p[2];
	make_pipe(p, 0);
	int ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	struct epoll_event ev = {EPOLLIN | EPOLLET, {.u32 = 1}};
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	struct epoll_event out[2];
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	ASSERT_EQ(write(p[1], "a", 1), 1);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 1);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	/* Every write to a watched pipe is a new edge, data or not. */
	ASSERT_EQ(write(p[1], "b", 1), 1);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 1);
	close(p[1]);
	ASSERT_EQ(epoll_wait(ep, out, 2, 0), 1);
	EXPECT_EQ(out[0].events, EPOLLIN | EPOLLHUP);
	close(p[0]);
	close(ep);
}

TEST(epoll_edge_triggered_write_end)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	int ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	struct epoll_event ev = {EPOLLOUT | EPOLLET, {.u32 = 1}};
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev), 0);
	struct epoll_event out[2];
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 1);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	/* Writing, or reading from a pipe that was not full: no edge. */
	ASSERT_EQ(write(p[1], "abc", 3), 3);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	unsigned char buf[PAGE];
	ASSERT_EQ(read(p[0], buf, 1), 1);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	/* Freeing a buffer of a full pipe is one. */
	ASSERT_EQ(read(p[0], buf, 2), 2);
	ASSERT_EQ(write(p[1], fill, PIPE_SIZE), PIPE_SIZE);
	ASSERT_EQ(read(p[0], buf, PAGE), PAGE);
	ASSERT_EQ(epoll_wait(ep, out, 2, 0), 1);
	EXPECT_EQ(out[0].events, EPOLLOUT);
	close_pipe(p);
	close(ep);
}

TEST(epoll_waits_for_data)
{
	int p[2];
	make_pipe(p, 0);
	int ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	struct epoll_event ev = {EPOLLIN, {.u32 = 5}};
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	struct harness_delayed_io d = {p[1], 7, 20 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	struct epoll_event out[2];
	EXPECT_EQ(epoll_wait(ep, out, 2, -1), 1);
	EXPECT_EQ(out[0].data.u32, 5);
	pthread_join(th, 0);
	close_pipe(p);
	close(ep);
}

TEST(epoll_forgets_a_closed_end)
{
	int p[2];
	make_pipe(p, 0);
	int ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	struct epoll_event ev = {EPOLLOUT, {.u32 = 1}};
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev), 0);
	ev = (struct epoll_event){EPOLLIN, {.u32 = 2}};
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	/* Closing the read end drops it from the set; the write end stays. */
	close(p[0]);
	struct epoll_event out[2];
	ASSERT_EQ(epoll_wait(ep, out, 2, 0), 1);
	EXPECT_EQ(out[0].data.u32, 1);
	close(p[1]);
	close(ep);
}

TEST(select_pipe)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	int n = (p[0] > p[1] ? p[0] : p[1]) + 1;
	fd_set r, w;
	struct timeval zero = {0, 0};
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	EXPECT_EQ(select(n, &r, &w, 0, &zero), 1);
	EXPECT_FALSE(FD_ISSET(p[0], &r));
	EXPECT_TRUE(FD_ISSET(p[1], &w));
	ASSERT_EQ(write(p[1], fill, PIPE_SIZE), PIPE_SIZE);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	zero = (struct timeval){0, 0};
	EXPECT_EQ(select(n, &r, &w, 0, &zero), 1);
	EXPECT_TRUE(FD_ISSET(p[0], &r));
	EXPECT_FALSE(FD_ISSET(p[1], &w));
	/* No reader: the write end selects as writable (POLLERR). */
	close(p[0]);
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	zero = (struct timeval){0, 0};
	EXPECT_EQ(select(p[1] + 1, 0, &w, 0, &zero), 1);
	EXPECT_TRUE(FD_ISSET(p[1], &w));
	close(p[1]);
}

TEST(select_hangup_is_readable)
{
	int p[2];
	make_pipe(p, 0);
	close(p[1]);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval zero = {0, 0};
	EXPECT_EQ(select(p[0] + 1, &r, 0, 0, &zero), 1);
	EXPECT_TRUE(FD_ISSET(p[0], &r));
	close(p[0]);
}
