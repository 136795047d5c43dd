/* eventfd and eventfd2: counter semantics, flags, blocking, fstat, lseek. */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define MS 1000000LL

static int efd(unsigned int initval, int flags)
{
	long fd = syscall(SYS_eventfd2, initval, flags);
	if (fd < 0)
		harness_fail(__FILE__, __LINE__, "eventfd2: errno %s",
			     harness_errno_name(errno));
	return (int)fd;
}

static volatile sig_atomic_t handled;

static void count_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	handled++;
}

TEST(eventfd_initial_value_then_zero)
{
	int fd = efd(5, EFD_NONBLOCK);
	ASSERT_GE(fd, 0);
	uint64_t v = 0;
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(v, 5);
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
	close(fd);
}

TEST(eventfd_legacy_syscall)
{
	long fd = syscall(SYS_eventfd, 3);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQ(fcntl(fd, F_GETFL), O_RDWR);
	uint64_t v = 0;
	EXPECT_EQ(read(fd, &v, sizeof(v)), 8);
	EXPECT_EQ(v, 3);
	close(fd);
}

TEST(eventfd_flags)
{
	int fd = efd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	close(fd);
	static const int bad[] = {0x2, 0x4, O_RDWR, O_APPEND, 1 << 30};
	for (int i = 0; i < 5; i++)
		EXPECT_ERRNO(syscall(SYS_eventfd2, 0, bad[i]), EINVAL);
}

TEST(eventfd_writes_add)
{
	int fd = efd(0, EFD_NONBLOCK);
	uint64_t v = 2;
	EXPECT_EQ(write(fd, &v, 8), 8);
	v = 40;
	EXPECT_EQ(write(fd, &v, 8), 8);
	v = 0;
	EXPECT_EQ(write(fd, &v, 8), 8);
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(v, 42);
	close(fd);
}

TEST(eventfd_semaphore)
{
	int fd = efd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	uint64_t v;
	for (int i = 0; i < 3; i++) {
		v = 0;
		EXPECT_EQ(read(fd, &v, 8), 8);
		EXPECT_EQ(v, 1);
	}
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
	close(fd);
}

TEST(eventfd_short_buffers_einval)
{
	int fd = efd(1, EFD_NONBLOCK);
	char buf[16] = {0};
	for (int n = 1; n < 8; n++) {
		EXPECT_ERRNO(read(fd, buf, n), EINVAL);
		EXPECT_ERRNO(write(fd, buf, n), EINVAL);
	}
	/* A longer read reads exactly 8 bytes; a write must be exactly 8. */
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 8);
	EXPECT_ERRNO(write(fd, buf, 9), EINVAL);
	EXPECT_ERRNO(write(fd, buf, sizeof(buf)), EINVAL);
	EXPECT_EQ(write(fd, buf, 8), 8);
	close(fd);
}

TEST(eventfd_overflow)
{
	int fd = efd(0, EFD_NONBLOCK);
	uint64_t v = UINT64_MAX;
	EXPECT_ERRNO(write(fd, &v, 8), EINVAL);
	v = UINT64_MAX - 1;
	EXPECT_EQ(write(fd, &v, 8), 8);
	v = 1;
	EXPECT_ERRNO(write(fd, &v, 8), EAGAIN);
	/* Writing 0 to a full counter succeeds. */
	v = 0;
	EXPECT_EQ(write(fd, &v, 8), 8);
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN);
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(v, UINT64_MAX - 1);
	close(fd);
}

TEST(eventfd_poll_readiness)
{
	int fd = efd(0, EFD_NONBLOCK);
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDNORM, 0};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLOUT);
	uint64_t v = 7;
	EXPECT_EQ(write(fd, &v, 8), 8);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN | POLLOUT);
	close(fd);
}

static void *delayed_reader(void *arg)
{
	struct harness_delayed_io *d = arg;
	struct timespec ts = harness_ns_to_ts(d->delay_ns);
	nanosleep(&ts, 0);
	uint64_t v;
	if (read(d->fd, &v, 8) != 8)
		return (void *)1;
	d->value = v;
	return 0;
}

TEST(eventfd_read_blocks_until_write)
{
	int fd = efd(0, 0);
	struct harness_delayed_io d = {fd, 9, 20 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	uint64_t v = 0;
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(v, 9);
	void *ret;
	pthread_join(th, &ret);
	EXPECT_EQ(ret, 0);
	close(fd);
}

TEST(eventfd_write_blocks_until_read)
{
	int fd = efd(0, 0);
	uint64_t v = UINT64_MAX - 1;
	ASSERT_EQ(write(fd, &v, 8), 8);
	struct harness_delayed_io d = {fd, 0, 20 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, delayed_reader, &d), 0);
	v = 5;
	EXPECT_EQ(write(fd, &v, 8), 8);
	void *ret;
	pthread_join(th, &ret);
	EXPECT_EQ(ret, 0);
	EXPECT_EQ(d.value, UINT64_MAX - 1);
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(v, 5);
	close(fd);
}

TEST(eventfd_blocked_read_eintr)
{
	harness_set_handler(SIGUSR1, count_handler, 0);
	handled = 0;
	int fd = efd(0, 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EINTR);
	harness_signaller_stop(&s);
	EXPECT_GE(handled, 1);
	close(fd);
}

TEST(eventfd_fstat_and_lseek)
{
	int fd = efd(0, 0);
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	/* An anonymous inode: no file type bits. */
	EXPECT_EQ(st.st_mode, 0600);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(st.st_size, 0);
	/* eventfd uses noop_llseek: lseek succeeds at position 0. */
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(lseek(fd, 100, SEEK_CUR), 0);
	char buf[8];
	EXPECT_ERRNO(pread(fd, buf, 8, 0), ESPIPE);
	EXPECT_ERRNO(pwrite(fd, buf, 8, 0), ESPIPE);
	EXPECT_ERRNO(ioctl(fd, FIONREAD, buf), ENOTTY);
	close(fd);
}

TEST(eventfd_readv_writev)
{
	int fd = efd(0, EFD_NONBLOCK);
	uint64_t v = 11, got = 0;
	struct iovec iov = {&v, 8};
	EXPECT_EQ(writev(fd, &iov, 1), 8);
	iov.iov_base = &got;
	EXPECT_EQ(readv(fd, &iov, 1), 8);
	EXPECT_EQ(got, 11);
	close(fd);
}

TEST(eventfd_fsetfl_nonblock)
{
	int fd = efd(0, 0);
	ASSERT_SYSCALL_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
	close(fd);
}
