/*
 * FIFOs (fifo(7)): open(2) rules (blocking for the other side, O_NONBLOCK,
 * ENXIO, O_RDWR), data through the FIFO's one pipe, EOF/EPIPE, POLLHUP
 * only after a writer came, fstat and /proc/self/fd, F_GETPIPE_SZ.
 */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#define MS 1000000LL

static char *make_fifo(const char *name)
{
	char *p = harness_path(name);
	if (mknod(p, S_IFIFO | 0600, 0) != 0)
		harness_fail(__FILE__, __LINE__, "mknod %s: errno %s", p,
			     harness_errno_name(errno));
	return p;
}

/* A thread that opens path with flags after delay_ns. */
struct delayed_open {
	const char *path;
	int flags;
	int64_t delay_ns;
	int fd;
	int err;
};

static void *open_later(void *arg)
{
	struct delayed_open *d = arg;
	struct timespec ts = harness_ns_to_ts(d->delay_ns);
	nanosleep(&ts, 0);
	d->fd = open(d->path, d->flags);
	d->err = d->fd < 0 ? errno : 0;
	return 0;
}

static void no_op_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
}

TEST(fifo_is_a_fifo)
{
	char *p = make_fifo("f");
	struct stat st;
	ASSERT_EQ(stat(p, &st), 0);
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0600);
	EXPECT_EQ(st.st_size, 0);
}

TEST(fifo_nonblocking_opens)
{
	char *p = make_fifo("f");
	/* Without a reader, a nonblocking writer fails... */
	EXPECT_ERRNO(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
	/* ...and a nonblocking reader does not wait. */
	int r = open(p, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(r, 0);
	int w = open(p, O_WRONLY | O_NONBLOCK);
	EXPECT_GE(w, 0);
	close(w);
	close(r);
	EXPECT_ERRNO(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
}

TEST(fifo_read_write_open_never_waits)
{
	char *p = make_fifo("f");
	int a = open(p, O_RDWR);
	ASSERT_GE(a, 0);
	int b = open(p, O_RDWR | O_NONBLOCK);
	ASSERT_GE(b, 0);
	EXPECT_EQ(fcntl(a, F_GETFL) & O_ACCMODE, O_RDWR);
	/* One end both writes and reads; both opens share the pipe. */
	ASSERT_EQ(write(a, "xyz", 3), 3);
	char buf[8];
	EXPECT_EQ(read(b, buf, sizeof(buf)), 3);
	EXPECT_EQ(memcmp(buf, "xyz", 3), 0);
	close(a);
	close(b);
}

TEST(fifo_bad_open_modes)
{
	char *p = make_fifo("f");
	EXPECT_ERRNO(open(p, O_ACCMODE), EINVAL);
	EXPECT_ERRNO(open(p, O_ACCMODE | O_NONBLOCK), EINVAL);
	/* No direct I/O on a FIFO (packet mode comes through F_SETFL). */
	EXPECT_ERRNO(open(p, O_RDWR | O_DIRECT), EINVAL);
	/* The refused opens left no end open. */
	EXPECT_ERRNO(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
	/* O_TRUNC is ignored. */
	int fd = open(p, O_RDWR | O_TRUNC);
	EXPECT_GE(fd, 0);
	close(fd);
}

TEST(fifo_data_flows)
{
	char *p = make_fifo("f");
	int r = open(p, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(r, 0);
	int w = open(p, O_WRONLY | O_NONBLOCK);
	ASSERT_GE(w, 0);
	char buf[16];
	EXPECT_ERRNO(read(r, buf, sizeof(buf)), EAGAIN);
	ASSERT_EQ(write(w, "hello fifo", 10), 10);
	EXPECT_EQ(read(r, buf, sizeof(buf)), 10);
	EXPECT_EQ(memcmp(buf, "hello fifo", 10), 0);
	close(w);
	EXPECT_EQ(read(r, buf, sizeof(buf)), 0);
	close(r);
}

TEST(fifo_reader_waits_for_writer)
{
	char *p = make_fifo("f");
	struct delayed_open d = {p, O_WRONLY | O_NONBLOCK, 20 * MS, -1, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, open_later, &d), 0);
	/* The waiting reader already counts: the nonblocking writer works. */
	int r = open(p, O_RDONLY);
	EXPECT_GE(r, 0);
	pthread_join(th, 0);
	EXPECT_EQ(d.err, 0);
	ASSERT_GE(d.fd, 0);
	ASSERT_EQ(write(d.fd, "z", 1), 1);
	char c;
	EXPECT_EQ(read(r, &c, 1), 1);
	close(d.fd);
	close(r);
}

TEST(fifo_writer_waits_for_reader)
{
	char *p = make_fifo("f");
	struct delayed_open d = {p, O_RDONLY | O_NONBLOCK, 20 * MS, -1, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, open_later, &d), 0);
	int w = open(p, O_WRONLY);
	EXPECT_GE(w, 0);
	pthread_join(th, 0);
	ASSERT_GE(d.fd, 0);
	ASSERT_EQ(write(w, "q", 1), 1);
	char c = 0;
	EXPECT_EQ(read(d.fd, &c, 1), 1);
	EXPECT_EQ(c, 'q');
	close(d.fd);
	close(w);
}

TEST(fifo_read_write_open_wakes_a_waiting_reader)
{
	char *p = make_fifo("f");
	struct delayed_open d = {p, O_RDWR, 20 * MS, -1, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, open_later, &d), 0);
	int r = open(p, O_RDONLY);
	EXPECT_GE(r, 0);
	pthread_join(th, 0);
	EXPECT_GE(d.fd, 0);
	close(d.fd);
	close(r);
}

TEST(fifo_open_interrupted)
{
	char *p = make_fifo("f");
	harness_set_handler(SIGUSR1, no_op_handler, 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	EXPECT_ERRNO(open(p, O_RDONLY), EINTR);
	harness_signaller_stop(&s);
	/* The abandoned reader does not count any more. */
	EXPECT_ERRNO(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
}

TEST(fifo_open_restarts_with_sa_restart)
{
	char *p = make_fifo("f");
	harness_set_handler(SIGUSR1, no_op_handler, SA_RESTART);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	struct delayed_open d = {p, O_RDONLY | O_NONBLOCK, 50 * MS, -1, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, open_later, &d), 0);
	int w = open(p, O_WRONLY);
	EXPECT_GE(w, 0);
	harness_signaller_stop(&s);
	pthread_join(th, 0);
	EXPECT_GE(d.fd, 0);
	close(d.fd);
	close(w);
}

TEST(fifo_data_dropped_when_every_end_closes)
{
	char *p = make_fifo("f");
	int rw = open(p, O_RDWR | O_NONBLOCK);
	ASSERT_GE(rw, 0);
	ASSERT_EQ(write(rw, "lost", 4), 4);
	close(rw);
	rw = open(p, O_RDWR | O_NONBLOCK);
	ASSERT_GE(rw, 0);
	char buf[8];
	EXPECT_ERRNO(read(rw, buf, sizeof(buf)), EAGAIN);
	/* The capacity went back to the default too. */
	EXPECT_EQ(fcntl(rw, F_GETPIPE_SZ), 65536);
	close(rw);
}

TEST(fifo_data_kept_while_an_end_is_open)
{
	char *p = make_fifo("f");
	int holder = open(p, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(holder, 0);
	int w = open(p, O_WRONLY | O_NONBLOCK);
	ASSERT_GE(w, 0);
	ASSERT_EQ(write(w, "kept", 4), 4);
	close(w);
	int r = open(p, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(r, 0);
	char buf[8];
	EXPECT_EQ(read(r, buf, sizeof(buf)), 4);
	EXPECT_EQ(memcmp(buf, "kept", 4), 0);
	close(r);
	close(holder);
}

TEST(fifo_epipe_without_readers)
{
	char *p = make_fifo("f");
	int r = open(p, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(r, 0);
	int w = open(p, O_WRONLY | O_NONBLOCK);
	ASSERT_GE(w, 0);
	close(r);
	ASSERT_NE(signal(SIGPIPE, SIG_IGN), SIG_ERR);
	EXPECT_ERRNO(write(w, "x", 1), EPIPE);
	close(w);
}

TEST(fifo_hangup_only_after_a_writer)
{
	char *p = make_fifo("f");
	int r = open(p, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(r, 0);
	struct pollfd pfd = {r, POLLIN, 0};
	/* No writer yet: not hung up (and not readable). */
	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	int w = open(p, O_WRONLY | O_NONBLOCK);
	ASSERT_GE(w, 0);
	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	close(w);
	EXPECT_EQ(poll(&pfd, 1, 0), 1);
	EXPECT_EQ(pfd.revents, POLLHUP);
	close(r);
}

TEST(fifo_fstat_and_proc_link)
{
	char *p = make_fifo("f");
	int fd = open(p, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, "abc", 3), 3);
	struct stat fst, pst;
	ASSERT_EQ(fstat(fd, &fst), 0);
	ASSERT_EQ(stat(p, &pst), 0);
	EXPECT_TRUE(S_ISFIFO(fst.st_mode));
	EXPECT_EQ(fst.st_ino, pst.st_ino);
	EXPECT_EQ(fst.st_dev, pst.st_dev);
	EXPECT_EQ(fst.st_size, 0);
	char link[256];
	ssize_t n = readlink(harness_strf("/proc/self/fd/%d", fd), link,
			     sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = 0;
	EXPECT_STREQ(link, p);
	close(fd);
}

TEST(fifo_pipe_size_is_shared)
{
	char *p = make_fifo("f");
	int a = open(p, O_RDWR);
	ASSERT_GE(a, 0);
	int b = open(p, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(b, 0);
	EXPECT_EQ(fcntl(a, F_GETPIPE_SZ), 65536);
	EXPECT_EQ(fcntl(a, F_SETPIPE_SZ, 8192), 8192);
	EXPECT_EQ(fcntl(b, F_GETPIPE_SZ), 8192);
	close(a);
	close(b);
}

TEST(fifo_packet_mode_through_setfl)
{
	char *p = make_fifo("f");
	int fd = open(p, O_RDWR | O_NONBLOCK);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fcntl(fd, F_SETFL, O_NONBLOCK | O_DIRECT), 0);
	ASSERT_EQ(write(fd, "ab", 2), 2);
	ASSERT_EQ(write(fd, "cd", 2), 2);
	char buf[8];
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 2);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 2);
	close(fd);
}

TEST(fifo_each_fifo_has_its_pipe)
{
	char *a = make_fifo("a");
	char *b = make_fifo("b");
	int ra = open(a, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(ra, 0);
	EXPECT_ERRNO(open(b, O_WRONLY | O_NONBLOCK), ENXIO);
	int wa = open(a, O_WRONLY | O_NONBLOCK);
	EXPECT_GE(wa, 0);
	close(wa);
	close(ra);
}

TEST(fifo_unlinked_while_open)
{
	char *p = make_fifo("f");
	int r = open(p, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(r, 0);
	int w = open(p, O_WRONLY | O_NONBLOCK);
	ASSERT_GE(w, 0);
	ASSERT_EQ(unlink(p), 0);
	ASSERT_EQ(write(w, "still", 5), 5);
	char buf[8];
	EXPECT_EQ(read(r, buf, sizeof(buf)), 5);
	close(w);
	close(r);
}

static void child_writes_fifo(void *arg)
{
	const char *p = arg;
	int w = open(p, O_WRONLY);
	ASSERT_GE(w, 0);
	EXPECT_EQ(write(w, "across fork", 11), 11);
	close(w);
}

TEST(fifo_between_processes)
{
	char *p = make_fifo("f");
	pid_t pid = harness_fork_child(child_writes_fifo, p);
	int r = open(p, O_RDONLY);
	ASSERT_GE(r, 0);
	char buf[32] = {0};
	size_t got = 0;
	ssize_t n;
	while ((n = read(r, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	EXPECT_EQ(n, 0);
	EXPECT_STREQ(buf, "across fork");
	close(r);
	EXPECT_CHILD_EXIT(pid, 0);
}
