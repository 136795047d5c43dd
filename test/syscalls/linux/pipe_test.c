/*
 * pipe(2): data, EOF, EPIPE and SIGPIPE, capacity and F_GETPIPE_SZ /
 * F_SETPIPE_SZ, PIPE_BUF atomicity, packet mode (O_DIRECT), blocking and
 * interrupted I/O, fstat, /proc/self/fd, FIONREAD, ESPIPE.
 */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define MS 1000000LL
#define PAGE 4096
#define PIPE_SIZE (16 * PAGE)

static void make_pipe(int p[2], int flags)
{
	long r = syscall(SYS_pipe2, p, flags);
	if (r != 0)
		harness_fail(__FILE__, __LINE__, "pipe2: errno %s",
			     harness_errno_name(errno));
}

static void close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* n bytes of a pattern starting at offset from. */
static void fill_pattern(unsigned char *buf, size_t n, size_t from)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)((from + i) % 251);
}

/* Whether the process has CAP_SYS_RESOURCE (from /proc/self/status). */
static int has_cap_sys_resource(void)
{
	char buf[4096];
	size_t n = harness_read_file("/proc/self/status", buf, sizeof(buf));
	buf[n] = 0;
	char *p = strstr(buf, "CapEff:");
	if (!p)
		return 0;
	unsigned long long caps = strtoull(p + 7, 0, 16);
	return (caps >> 24) & 1;
}

static volatile sig_atomic_t sigpipes;
static volatile sig_atomic_t sigpipe_code;
static volatile sig_atomic_t sigpipe_pid;

static void sigpipe_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	sigpipes++;
	sigpipe_code = info->si_code;
	sigpipe_pid = info->si_pid;
}

TEST(pipe_write_then_read)
{
	int p[2];
	ASSERT_EQ(syscall(SYS_pipe, p), 0);
	EXPECT_NE(p[0], p[1]);
	EXPECT_EQ(write(p[1], "hello", 5), 5);
	char buf[16] = {0};
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 5);
	EXPECT_STREQ(buf, "hello");
	close_pipe(p);
}

TEST(pipe_end_flags)
{
	int p[2];
	ASSERT_EQ(syscall(SYS_pipe, p), 0);
	EXPECT_EQ(fcntl(p[0], F_GETFL) & ~O_LARGEFILE, O_RDONLY);
	EXPECT_EQ(fcntl(p[1], F_GETFL) & ~O_LARGEFILE, O_WRONLY);
	EXPECT_EQ(fcntl(p[0], F_GETFD), 0);
	EXPECT_EQ(fcntl(p[1], F_GETFD), 0);
	close_pipe(p);
}

TEST(pipe_fstat)
{
	int p[2], q[2];
	make_pipe(p, 0);
	make_pipe(q, 0);
	ASSERT_EQ(write(p[1], "data", 4), 4);
	struct stat r, w, other;
	ASSERT_EQ(fstat(p[0], &r), 0);
	ASSERT_EQ(fstat(p[1], &w), 0);
	ASSERT_EQ(fstat(q[0], &other), 0);
	EXPECT_EQ(r.st_mode, S_IFIFO | 0600);
	EXPECT_EQ(w.st_mode, S_IFIFO | 0600);
	/* Linux reports 0, not the bytes held. */
	EXPECT_EQ(r.st_size, 0);
	EXPECT_EQ(r.st_nlink, 1);
	EXPECT_EQ(r.st_blksize, PAGE);
	EXPECT_EQ(r.st_uid, geteuid());
	EXPECT_EQ(r.st_gid, getegid());
	EXPECT_EQ(r.st_ino, w.st_ino);
	EXPECT_EQ(r.st_dev, w.st_dev);
	EXPECT_NE(r.st_ino, other.st_ino);
	EXPECT_EQ(r.st_dev, other.st_dev);
	close_pipe(p);
	close_pipe(q);
}

TEST(pipe_proc_fd_link)
{
	int p[2];
	make_pipe(p, 0);
	struct stat st;
	ASSERT_EQ(fstat(p[0], &st), 0);
	char want[64], link[64];
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.st_ino);
	for (int i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		ASSERT_GT(n, 0);
		link[n] = 0;
		EXPECT_STREQ(link, want);
	}
	close_pipe(p);
}

/* Opening /proc/self/fd/N of a pipe opens a new end of the same pipe. */
TEST(pipe_proc_fd_reopen)
{
	int p[2];
	make_pipe(p, 0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	int w;
	ASSERT_SYSCALL_OK(w = open(path, O_WRONLY));
	struct stat a, b;
	ASSERT_SYSCALL_OK(fstat(w, &a));
	ASSERT_SYSCALL_OK(fstat(p[0], &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(write(w, "ab", 2), 2);
	char buf[4];
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 2);
	EXPECT_EQ(memcmp(buf, "ab", 2), 0);
	/* A read end made from the write end's link reads the same pipe. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	int r;
	ASSERT_SYSCALL_OK(r = open(path, O_RDONLY | O_NONBLOCK));
	EXPECT_EQ(write(p[1], "c", 1), 1);
	EXPECT_EQ(read(r, buf, sizeof(buf)), 1);
	EXPECT_ERRNO(read(r, buf, sizeof(buf)), EAGAIN);
	close(r);
	close(w);
	close_pipe(p);
}

TEST(pipe_no_offset)
{
	int p[2];
	make_pipe(p, 0);
	char c = 'x';
	EXPECT_ERRNO(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	EXPECT_ERRNO(lseek(p[1], 0, SEEK_SET), ESPIPE);
	EXPECT_ERRNO(pread(p[0], &c, 1, 0), ESPIPE);
	EXPECT_ERRNO(pwrite(p[1], &c, 1, 0), ESPIPE);
	/* A negative offset is EINVAL before anything else. */
	EXPECT_ERRNO(syscall(SYS_pread64, p[0], &c, 1, -1L), EINVAL);
	struct iovec iov = {&c, 1};
	EXPECT_ERRNO(preadv(p[0], &iov, 1, 0), ESPIPE);
	EXPECT_ERRNO(pwritev(p[1], &iov, 1, 0), ESPIPE);
	close_pipe(p);
}

TEST(pipe_wrong_end_ebadf)
{
	int p[2];
	make_pipe(p, 0);
	char c = 'x';
	EXPECT_ERRNO(read(p[1], &c, 1), EBADF);
	EXPECT_ERRNO(write(p[0], &c, 1), EBADF);
	close_pipe(p);
}

TEST(pipe_eof_after_writer_closes)
{
	int p[2];
	make_pipe(p, 0);
	ASSERT_EQ(write(p[1], "abc", 3), 3);
	close(p[1]);
	char buf[8];
	/* Data written before the close is still there, then EOF. */
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 3);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 0);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

TEST(pipe_nonblocking_read)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	char c;
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
	/* Zero-byte reads succeed at once. */
	EXPECT_EQ(read(p[0], &c, 0), 0);
	close(p[1]);
	/* Without writers it is EOF, not EAGAIN. */
	EXPECT_EQ(read(p[0], &c, 1), 0);
	close(p[0]);
}

TEST(pipe_epipe_raises_sigpipe)
{
	int p[2];
	make_pipe(p, 0);
	close(p[0]);
	sigpipes = 0;
	harness_set_handler(SIGPIPE, sigpipe_handler, 0);
	EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
	EXPECT_EQ(sigpipes, 1);
	EXPECT_EQ(sigpipe_code, SI_USER);
	EXPECT_EQ(sigpipe_pid, getpid());
	struct iovec iov = {"yz", 2};
	EXPECT_ERRNO(writev(p[1], &iov, 1), EPIPE);
	EXPECT_EQ(sigpipes, 2);
	/* An empty write succeeds without looking for readers. */
	EXPECT_EQ(write(p[1], "x", 0), 0);
	EXPECT_EQ(sigpipes, 2);
	close(p[1]);
}

TEST(pipe_epipe_with_sigpipe_ignored)
{
	int p[2];
	make_pipe(p, 0);
	close(p[0]);
	ASSERT_NE(signal(SIGPIPE, SIG_IGN), SIG_ERR);
	EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
	close(p[1]);
}

TEST(pipe_sigpipe_pending_when_blocked)
{
	int p[2];
	make_pipe(p, 0);
	close(p[0]);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ASSERT_EQ(sigprocmask(SIG_BLOCK, &set, &old), 0);
	EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
	sigset_t pending;
	ASSERT_EQ(sigpending(&pending), 0);
	EXPECT_TRUE(sigismember(&pending, SIGPIPE));
	struct timespec zero = {0, 0};
	siginfo_t si;
	EXPECT_EQ(sigtimedwait(&set, &si, &zero), SIGPIPE);
	EXPECT_EQ(si.si_code, SI_USER);
	ASSERT_EQ(sigprocmask(SIG_SETMASK, &old, 0), 0);
	close(p[1]);
}

static void write_to_closed_pipe(void *arg)
{
	(void)arg;
	int p[2];
	make_pipe(p, 0);
	close(p[0]);
	(void)!write(p[1], "x", 1);
	/* Not reached: SIGPIPE's default action ends the process. */
	_exit(3);
}

TEST(pipe_sigpipe_default_kills)
{
	pid_t pid = harness_fork_child(write_to_closed_pipe, 0);
	EXPECT_CHILD_KILLED(pid, SIGPIPE);
}

static void child_writes(void *arg)
{
	int *p = arg;
	close(p[0]);
	EXPECT_EQ(write(p[1], "from the child", 14), 14);
	close(p[1]);
}

TEST(pipe_between_processes)
{
	int p[2];
	make_pipe(p, 0);
	pid_t pid = harness_fork_child(child_writes, p);
	close(p[1]);
	char buf[32] = {0};
	size_t got = 0;
	ssize_t n;
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	EXPECT_EQ(n, 0);
	EXPECT_STREQ(buf, "from the child");
	close(p[0]);
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(pipe_default_capacity)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), PIPE_SIZE);
	EXPECT_EQ(fcntl(p[1], F_GETPIPE_SZ), PIPE_SIZE);
	static unsigned char buf[PIPE_SIZE + 5000];
	/* A nonblocking write larger than the room writes what fits. */
	EXPECT_EQ(write(p[1], buf, sizeof(buf)), PIPE_SIZE);
	EXPECT_ERRNO(write(p[1], buf, 1), EAGAIN);
	int n = -1;
	EXPECT_EQ(ioctl(p[0], FIONREAD, &n), 0);
	EXPECT_EQ(n, PIPE_SIZE);
	close_pipe(p);
}

TEST(pipe_setpipe_sz_rounds)
{
	static const struct {
		unsigned int arg;
		int want;
	} cases[] = {
		{0, PAGE},         {1, PAGE},          {PAGE, PAGE},
		{PAGE + 1, 2 * PAGE}, {3 * PAGE, 4 * PAGE}, {5000, 2 * PAGE},
		{12289, 4 * PAGE}, {1 << 20, 1 << 20}, {PIPE_SIZE, PIPE_SIZE},
	};
	int p[2];
	make_pipe(p, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, cases[i].arg), cases[i].want);
		/* Both ends see the pipe's size. */
		EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), cases[i].want);
	}
	/* The argument is an unsigned int: the high bits are ignored. */
	EXPECT_EQ(syscall(SYS_fcntl, p[0], F_SETPIPE_SZ, (1L << 32) | 8192),
		  8192);
	close_pipe(p);
}

TEST(pipe_setpipe_sz_limits)
{
	int p[2];
	make_pipe(p, 0);
	/* Sizes above 1 << 31 cannot be rounded. */
	EXPECT_ERRNO(fcntl(p[0], F_SETPIPE_SZ, 0xffffffffu), EINVAL);
	EXPECT_ERRNO(fcntl(p[0], F_SETPIPE_SZ, (1u << 31) + 1), EINVAL);
	/*
	 * Beyond /proc/sys/fs/pipe-max-size (1 MiB) only with
	 * CAP_SYS_RESOURCE, which root may lack (in containers).
	 */
	if (has_cap_sys_resource()) {
		EXPECT_EQ(fcntl(p[0], F_SETPIPE_SZ, 2 << 20), 2 << 20);
	} else {
		EXPECT_ERRNO(fcntl(p[0], F_SETPIPE_SZ, 2 << 20), EPERM);
		EXPECT_ERRNO(fcntl(p[0], F_SETPIPE_SZ, (1 << 20) + 1), EPERM);
	}
	close_pipe(p);
}

TEST(pipe_setpipe_sz_busy)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	static unsigned char buf[3 * PAGE];
	ASSERT_EQ(write(p[1], buf, 3 * PAGE - 10), 3 * PAGE - 10);
	/* Three buffers are in use: two pages are too few. */
	EXPECT_ERRNO(fcntl(p[0], F_SETPIPE_SZ, 2 * PAGE), EBUSY);
	EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), PIPE_SIZE);
	EXPECT_EQ(fcntl(p[0], F_SETPIPE_SZ, 3 * PAGE), 4 * PAGE);
	/* The smaller pipe takes one more page, then is full. */
	EXPECT_EQ(write(p[1], buf, 2 * PAGE), PAGE);
	EXPECT_ERRNO(write(p[1], buf, 1), EAGAIN);
	close_pipe(p);
}

TEST(pipe_getpipe_sz_not_a_pipe)
{
	int fd = harness_open(harness_path("f"), O_CREAT | O_RDWR, 0600);
	EXPECT_ERRNO(fcntl(fd, F_GETPIPE_SZ), EBADF);
	EXPECT_ERRNO(fcntl(fd, F_SETPIPE_SZ, PAGE), EBADF);
	close(fd);
}

TEST(pipe_small_writes_are_atomic)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	static unsigned char buf[PIPE_SIZE];
	ASSERT_EQ(write(p[1], buf, PIPE_SIZE - 100), PIPE_SIZE - 100);
	/* 100 bytes are free, but a 200-byte write is never split. */
	EXPECT_ERRNO(write(p[1], buf, 200), EAGAIN);
	EXPECT_EQ(write(p[1], buf, 100), 100);
	EXPECT_ERRNO(write(p[1], buf, 1), EAGAIN);
	close_pipe(p);
}

TEST(pipe_page_write_needs_a_free_buffer)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	static unsigned char buf[PIPE_SIZE];
	/* Sixteen buffers in use, the last holding one byte. */
	ASSERT_EQ(write(p[1], buf, PIPE_SIZE - PAGE + 1),
		  PIPE_SIZE - PAGE + 1);
	EXPECT_ERRNO(write(p[1], buf, PAGE), EAGAIN);
	EXPECT_EQ(write(p[1], buf, PAGE - 1), PAGE - 1);
	close_pipe(p);
}

TEST(pipe_capacity_counts_buffers)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	static unsigned char buf[PIPE_SIZE];
	ASSERT_EQ(write(p[1], buf, PIPE_SIZE), PIPE_SIZE);
	/* Reading one byte frees no buffer: the pipe is still full. */
	ASSERT_EQ(read(p[0], buf, 1), 1);
	EXPECT_ERRNO(write(p[1], buf, 1), EAGAIN);
	ASSERT_EQ(read(p[0], buf, PAGE - 1), PAGE - 1);
	EXPECT_EQ(write(p[1], buf, 1), 1);
	close_pipe(p);
}

TEST(pipe_data_order_across_buffers)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	static unsigned char in[20000], out[20000];
	fill_pattern(in, sizeof(in), 0);
	/* Odd sizes: merged remainders and whole pages interleave. */
	ASSERT_EQ(write(p[1], in, 100), 100);
	ASSERT_EQ(write(p[1], in + 100, 10000), 10000);
	ASSERT_EQ(write(p[1], in + 10100, 5), 5);
	EXPECT_EQ(read(p[0], out, 7), 7);
	EXPECT_EQ(read(p[0], out + 7, sizeof(out) - 7), 10098);
	EXPECT_EQ(memcmp(in, out, 10105), 0);
	close_pipe(p);
}

TEST(pipe_packet_mode)
{
	int p[2];
	make_pipe(p, O_DIRECT | O_NONBLOCK);
	char buf[8192];
	ASSERT_EQ(write(p[1], "abc", 3), 3);
	ASSERT_EQ(write(p[1], "defgh", 5), 5);
	/* Each read returns one packet. */
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 3);
	EXPECT_EQ(memcmp(buf, "abc", 3), 0);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 5);
	EXPECT_EQ(memcmp(buf, "defgh", 5), 0);
	/* A short read discards the rest of the packet. */
	ASSERT_EQ(write(p[1], "0123456789", 10), 10);
	ASSERT_EQ(write(p[1], "xy", 2), 2);
	EXPECT_EQ(read(p[0], buf, 4), 4);
	EXPECT_EQ(memcmp(buf, "0123", 4), 0);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 2);
	EXPECT_EQ(memcmp(buf, "xy", 2), 0);
	EXPECT_ERRNO(read(p[0], buf, 1), EAGAIN);
	/* A write of more than a page is a packet per page. */
	static char big[5000];
	ASSERT_EQ(write(p[1], big, sizeof(big)), 5000);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), PAGE);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 5000 - PAGE);
	close_pipe(p);
}

TEST(pipe_packets_take_a_buffer_each)
{
	int p[2];
	make_pipe(p, O_DIRECT | O_NONBLOCK);
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(write(p[1], "p", 1), 1);
	EXPECT_ERRNO(write(p[1], "p", 1), EAGAIN);
	close_pipe(p);
}

TEST(pipe_setfl_o_direct)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	ASSERT_EQ(fcntl(p[1], F_SETFL, O_NONBLOCK | O_DIRECT), 0);
	EXPECT_EQ(fcntl(p[1], F_GETFL) & ~O_LARGEFILE,
		  O_WRONLY | O_NONBLOCK | O_DIRECT);
	ASSERT_EQ(write(p[1], "ab", 2), 2);
	ASSERT_EQ(write(p[1], "cd", 2), 2);
	char buf[8];
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 2);
	/* Back to a byte stream: later writes merge. */
	ASSERT_EQ(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	ASSERT_EQ(write(p[1], "ef", 2), 2);
	ASSERT_EQ(write(p[1], "gh", 2), 2);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 2);
	EXPECT_EQ(memcmp(buf, "cd", 2), 0);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 4);
	EXPECT_EQ(memcmp(buf, "efgh", 4), 0);
	close_pipe(p);
}

TEST(pipe_fionread)
{
	int p[2];
	make_pipe(p, 0);
	int n = -1;
	EXPECT_EQ(ioctl(p[0], FIONREAD, &n), 0);
	EXPECT_EQ(n, 0);
	ASSERT_EQ(write(p[1], "12345", 5), 5);
	EXPECT_EQ(ioctl(p[0], FIONREAD, &n), 0);
	EXPECT_EQ(n, 5);
	/* The write end answers too. */
	n = -1;
	EXPECT_EQ(ioctl(p[1], FIONREAD, &n), 0);
	EXPECT_EQ(n, 5);
	EXPECT_ERRNO(ioctl(p[0], FIONREAD, (void *)8), EFAULT);
	close_pipe(p);
}

TEST(pipe_bad_array_efault_no_leak)
{
	int before = harness_free_fd(0);
	EXPECT_ERRNO(syscall(SYS_pipe, (void *)8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pipe2, (void *)8, 0), EFAULT);
	void *ro = harness_map(PAGE, PROT_READ);
	EXPECT_ERRNO(syscall(SYS_pipe2, ro, O_CLOEXEC), EFAULT);
	/* Only the second int unwritable. */
	char *rw = harness_map(2 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_EQ(mprotect(rw + PAGE, PAGE, PROT_READ), 0);
	EXPECT_ERRNO(syscall(SYS_pipe2, rw + PAGE - 4, 0), EFAULT);
	EXPECT_EQ(harness_free_fd(0), before);
	munmap(ro, PAGE);
	munmap(rw, 2 * PAGE);
}

TEST(pipe_write_efault)
{
	int p[2];
	make_pipe(p, O_NONBLOCK);
	EXPECT_ERRNO(syscall(SYS_write, p[1], 8, 10), EFAULT);
	char c;
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	EXPECT_ERRNO(syscall(SYS_read, p[0], 8, 1), EFAULT);
	close_pipe(p);
}

TEST(pipe_blocking_read_waits_for_data)
{
	int p[2];
	make_pipe(p, 0);
	struct harness_delayed_io d = {p[1], 0x1122334455667788ull, 20 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	uint64_t v = 0;
	EXPECT_EQ(read(p[0], &v, sizeof(v)), 8);
	EXPECT_EQ(v, 0x1122334455667788ull);
	void *ret;
	pthread_join(th, &ret);
	EXPECT_EQ(ret, 0);
	close_pipe(p);
}

struct drain_arg {
	int fd;
	size_t total;
	int ok;
};

static void *drain_thread(void *arg)
{
	struct drain_arg *d = arg;
	static unsigned char buf[8192];
	size_t got = 0;
	d->ok = 1;
	struct timespec ts = harness_ns_to_ts(20 * MS);
	nanosleep(&ts, 0);
	while (got < d->total) {
		ssize_t n = read(d->fd, buf, sizeof(buf));
		if (n <= 0) {
			d->ok = 0;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != (unsigned char)((got + i) % 251))
				d->ok = 0;
		got += n;
	}
	return 0;
}

TEST(pipe_blocking_write_of_a_megabyte)
{
	int p[2];
	make_pipe(p, 0);
	size_t total = 1 << 20;
	unsigned char *buf = malloc(total);
	ASSERT_TRUE(buf != 0);
	fill_pattern(buf, total, 0);
	struct drain_arg d = {p[0], total, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, drain_thread, &d), 0);
	/* A blocking write completes once the reader has taken it all. */
	EXPECT_EQ(write(p[1], buf, total), (ssize_t)total);
	pthread_join(th, 0);
	EXPECT_TRUE(d.ok);
	free(buf);
	close_pipe(p);
}

struct record_writer {
	int fd;
	unsigned char tag;
	int records;
};

static void *write_records(void *arg)
{
	struct record_writer *w = arg;
	static __thread unsigned char rec[PAGE];
	memset(rec, w->tag, sizeof(rec));
	for (int i = 0; i < w->records; i++)
		if (write(w->fd, rec, sizeof(rec)) != sizeof(rec))
			return (void *)1;
	return 0;
}

TEST(pipe_buf_writes_do_not_interleave)
{
	int p[2];
	make_pipe(p, 0);
	struct record_writer a = {p[1], 'a', 64}, b = {p[1], 'b', 64};
	pthread_t ta, tb;
	ASSERT_EQ(pthread_create(&ta, 0, write_records, &a), 0);
	ASSERT_EQ(pthread_create(&tb, 0, write_records, &b), 0);
	static unsigned char rec[PAGE];
	int bad = 0;
	for (int i = 0; i < 128; i++) {
		size_t got = 0;
		while (got < PAGE) {
			ssize_t n = read(p[0], rec + got, PAGE - got);
			ASSERT_GT(n, 0);
			got += n;
		}
		for (int j = 1; j < PAGE; j++)
			if (rec[j] != rec[0])
				bad++;
	}
	EXPECT_EQ(bad, 0);
	void *ra, *rb;
	pthread_join(ta, &ra);
	pthread_join(tb, &rb);
	EXPECT_EQ(ra, 0);
	EXPECT_EQ(rb, 0);
	close_pipe(p);
}

static void count_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
}

TEST(pipe_read_interrupted_eintr)
{
	int p[2];
	make_pipe(p, 0);
	harness_set_handler(SIGUSR1, count_handler, 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	char c;
	EXPECT_ERRNO(read(p[0], &c, 1), EINTR);
	harness_signaller_stop(&s);
	close_pipe(p);
}

TEST(pipe_write_interrupted_eintr)
{
	int p[2];
	make_pipe(p, 0);
	static unsigned char buf[PIPE_SIZE];
	ASSERT_EQ(write(p[1], buf, PIPE_SIZE), PIPE_SIZE);
	harness_set_handler(SIGUSR1, count_handler, 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	EXPECT_ERRNO(write(p[1], buf, 1), EINTR);
	harness_signaller_stop(&s);
	close_pipe(p);
}

TEST(pipe_read_restarts_with_sa_restart)
{
	int p[2];
	make_pipe(p, 0);
	harness_set_handler(SIGUSR1, count_handler, SA_RESTART);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	struct harness_delayed_io d = {p[1], 42, 50 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	uint64_t v = 0;
	EXPECT_EQ(read(p[0], &v, sizeof(v)), 8);
	EXPECT_EQ(v, 42);
	harness_signaller_stop(&s);
	pthread_join(th, 0);
	close_pipe(p);
}
