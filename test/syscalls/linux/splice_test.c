/*
 * splice(2), tee(2) and vmsplice(2): between pipes and files, offsets,
 * blocking and O_NONBLOCK/SPLICE_F_NONBLOCK, EPIPE/SIGPIPE, and the
 * errno of every bad argument.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define MS 1000000LL

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

static long splice_raw(int in, loff_t *off_in, int out, loff_t *off_out,
		       size_t len, unsigned int flags)
{
	return syscall(SYS_splice, in, off_in, out, off_out, len, flags);
}

/* A file in the test's directory holding "hello world". */
static int hello_file(void)
{
	char *p = harness_path("hello");
	harness_write_file(p, "hello world", 11, 0600);
	return harness_open(p, O_RDWR);
}

static volatile sig_atomic_t sigpipes;

static void sigpipe_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	sigpipes++;
}

TEST(splice_file_to_pipe_at_file_offset)
{
	int fd = hello_file();
	int p[2];
	make_pipe(p, 0);
	EXPECT_EQ(splice_raw(fd, 0, p[1], 0, 5, 0), 5);
	/* The file offset moved. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	EXPECT_EQ(splice_raw(fd, 0, p[1], 0, 100, 0), 6);
	/* End of file. */
	EXPECT_EQ(splice_raw(fd, 0, p[1], 0, 100, 0), 0);
	char buf[32];
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 11);
	EXPECT_EQ(memcmp(buf, "hello world", 11), 0);
	close_pipe(p);
	close(fd);
}

TEST(splice_file_to_pipe_at_given_offset)
{
	int fd = hello_file();
	int p[2];
	make_pipe(p, 0);
	loff_t off = 6;
	EXPECT_EQ(splice_raw(fd, &off, p[1], 0, 100, 0), 5);
	EXPECT_EQ(off, 11);
	/* The file offset did not move. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	off = 1LL << 40;
	EXPECT_EQ(splice_raw(fd, &off, p[1], 0, 100, 0), 0);
	EXPECT_EQ(off, 1LL << 40);
	char buf[16];
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 5);
	EXPECT_EQ(memcmp(buf, "world", 5), 0);
	close_pipe(p);
	close(fd);
}

TEST(splice_pipe_to_file)
{
	int fd = harness_open(harness_path("out"), O_CREAT | O_RDWR, 0600);
	int p[2];
	make_pipe(p, 0);
	ASSERT_EQ(write(p[1], "0123456789", 10), 10);
	EXPECT_EQ(splice_raw(p[0], 0, fd, 0, 4, 0), 4);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 4);
	loff_t off = 100;
	EXPECT_EQ(splice_raw(p[0], 0, fd, &off, 100, 0), 6);
	EXPECT_EQ(off, 106);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 4);
	char buf[16];
	EXPECT_EQ(pread(fd, buf, 4, 0), 4);
	EXPECT_EQ(memcmp(buf, "0123", 4), 0);
	EXPECT_EQ(pread(fd, buf, 16, 100), 6);
	EXPECT_EQ(memcmp(buf, "456789", 6), 0);
	struct stat st;
	ASSERT_EQ(fstat(fd, &st), 0);
	EXPECT_EQ(st.st_size, 106);
	close_pipe(p);
	close(fd);
}

TEST(splice_pipe_to_pipe)
{
	int a[2], b[2];
	make_pipe(a, 0);
	make_pipe(b, 0);
	static char big[10000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 97);
	ASSERT_EQ(write(a[1], big, sizeof(big)), (ssize_t)sizeof(big));
	EXPECT_EQ(splice_raw(a[0], 0, b[1], 0, 6000, SPLICE_F_MOVE), 6000);
	EXPECT_EQ(splice_raw(a[0], 0, b[1], 0, 100000, 0), 4000);
	static char out[10000];
	size_t got = 0;
	while (got < sizeof(out)) {
		ssize_t n = read(b[0], out + got, sizeof(out) - got);
		ASSERT_GT(n, 0);
		got += n;
	}
	EXPECT_EQ(memcmp(big, out, sizeof(big)), 0);
	close_pipe(a);
	close_pipe(b);
}

TEST(splice_through_fifo)
{
	char *path = harness_path("fifo");
	ASSERT_EQ(mknod(path, S_IFIFO | 0600, 0), 0);
	int f = harness_open(path, O_RDWR);
	int p[2];
	make_pipe(p, 0);
	ASSERT_EQ(write(p[1], "via fifo", 8), 8);
	/* A FIFO is a pipe for splice. */
	EXPECT_EQ(splice_raw(p[0], 0, f, 0, 8, 0), 8);
	loff_t off = 0;
	EXPECT_ERRNO(splice_raw(f, &off, p[1], 0, 8, 0), ESPIPE);
	/* An O_RDWR FIFO is the same pipe on both sides. */
	EXPECT_ERRNO(splice_raw(f, 0, f, 0, 8, 0), EINVAL);
	EXPECT_EQ(splice_raw(f, 0, p[1], 0, 8, 0), 8);
	char buf[16];
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 8);
	EXPECT_EQ(memcmp(buf, "via fifo", 8), 0);
	close_pipe(p);
	close(f);
}

TEST(splice_zero_length_and_flags)
{
	/* A zero length returns 0 before anything is checked. */
	EXPECT_EQ(splice_raw(-1, 0, -1, 0, 0, 0), 0);
	EXPECT_EQ(splice_raw(-1, 0, -1, 0, 0, 0x100), 0);
	EXPECT_ERRNO(splice_raw(-1, 0, -1, 0, 1, 0x100), EINVAL);
	EXPECT_ERRNO(splice_raw(-1, 0, -1, 0, 1, 0), EBADF);
	int p[2];
	make_pipe(p, 0);
	EXPECT_ERRNO(splice_raw(p[0], 0, -1, 0, 1, 0), EBADF);
	EXPECT_ERRNO(splice_raw(-1, 0, p[1], 0, 1, 0), EBADF);
	close_pipe(p);
}

TEST(splice_errors)
{
	int fd = hello_file();
	int p[2], q[2];
	make_pipe(p, O_NONBLOCK);
	make_pipe(q, O_NONBLOCK);
	loff_t off = 0, neg = -1, huge = 0x7fffffffffffffffLL;
	/* Offsets are for files only. */
	EXPECT_ERRNO(splice_raw(p[0], &off, fd, 0, 5, 0), ESPIPE);
	EXPECT_ERRNO(splice_raw(fd, 0, p[1], &off, 5, 0), ESPIPE);
	EXPECT_ERRNO(splice_raw(p[0], &off, q[1], 0, 5, 0), ESPIPE);
	/* Wrong ends. */
	EXPECT_ERRNO(splice_raw(p[1], 0, fd, 0, 5, 0), EBADF);
	EXPECT_ERRNO(splice_raw(fd, 0, p[0], 0, 5, 0), EBADF);
	/* One side must be a pipe, and not the same one. */
	EXPECT_ERRNO(splice_raw(fd, 0, fd, 0, 5, 0), EINVAL);
	EXPECT_ERRNO(splice_raw(p[0], 0, p[1], 0, 5, 0), EINVAL);
	/* Bad offsets. */
	EXPECT_ERRNO(splice_raw(fd, &neg, p[1], 0, 5, 0), EINVAL);
	EXPECT_ERRNO(splice_raw(fd, &huge, p[1], 0, 100, 0), EINVAL);
	EXPECT_ERRNO(splice_raw(fd, (loff_t *)8, p[1], 0, 5, 0), EFAULT);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	EXPECT_ERRNO(splice_raw(p[0], 0, fd, (loff_t *)8, 5, 0), EFAULT);
	EXPECT_ERRNO(splice_raw(p[0], 0, fd, &neg, 5, 0), EINVAL);
	/* Files that cannot splice. */
	int dir = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO(splice_raw(dir, 0, p[1], 0, 5, 0), EINVAL);
	int efd = eventfd(0, 0);
	ASSERT_GE(efd, 0);
	EXPECT_ERRNO(splice_raw(efd, 0, p[1], 0, 5, 0), EINVAL);
	EXPECT_ERRNO(splice_raw(p[0], 0, efd, 0, 5, 0), EINVAL);
	int app = harness_open(harness_path("hello"), O_WRONLY | O_APPEND);
	EXPECT_ERRNO(splice_raw(p[0], 0, app, 0, 5, 0), EINVAL);
	/* Nothing was taken from the pipe by the failures. */
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	close(app);
	close(efd);
	close(dir);
	close_pipe(p);
	close_pipe(q);
	close(fd);
}

TEST(splice_nonblocking)
{
	int fd = hello_file();
	int p[2], q[2];
	make_pipe(p, 0);
	make_pipe(q, O_NONBLOCK);
	/* Empty pipe with a writer: SPLICE_F_NONBLOCK or O_NONBLOCK. */
	EXPECT_ERRNO(splice_raw(p[0], 0, fd, 0, 5, SPLICE_F_NONBLOCK), EAGAIN);
	EXPECT_ERRNO(splice_raw(q[0], 0, fd, 0, 5, 0), EAGAIN);
	EXPECT_ERRNO(splice_raw(p[0], 0, q[1], 0, 5, 0), EAGAIN);
	/* A full pipe. */
	static char full[65536];
	ASSERT_EQ(write(q[1], full, sizeof(full)), (ssize_t)sizeof(full));
	EXPECT_ERRNO(splice_raw(fd, 0, q[1], 0, 5, 0), EAGAIN);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	/* No writer left: end of file, not EAGAIN. */
	close(p[1]);
	EXPECT_EQ(splice_raw(p[0], 0, fd, 0, 5, SPLICE_F_NONBLOCK), 0);
	close(p[0]);
	close_pipe(q);
	close(fd);
}

TEST(splice_epipe_raises_sigpipe)
{
	int fd = hello_file();
	int p[2], q[2];
	make_pipe(p, 0);
	make_pipe(q, 0);
	ASSERT_EQ(write(q[1], "abc", 3), 3);
	close(p[0]);
	sigpipes = 0;
	harness_set_handler(SIGPIPE, sigpipe_handler, 0);
	EXPECT_ERRNO(splice_raw(fd, 0, p[1], 0, 5, 0), EPIPE);
	EXPECT_EQ(sigpipes, 1);
	EXPECT_ERRNO(splice_raw(q[0], 0, p[1], 0, 5, 0), EPIPE);
	EXPECT_EQ(sigpipes, 2);
	EXPECT_ERRNO(syscall(SYS_tee, q[0], p[1], 5, 0), EPIPE);
	EXPECT_EQ(sigpipes, 3);
	struct iovec iov = {"z", 1};
	EXPECT_ERRNO(syscall(SYS_vmsplice, p[1], &iov, 1, 0), EPIPE);
	EXPECT_EQ(sigpipes, 4);
	/* Nothing was read from the file or taken from q. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	char buf[8];
	EXPECT_EQ(read(q[0], buf, sizeof(buf)), 3);
	close(p[1]);
	close_pipe(q);
	close(fd);
}

TEST(splice_waits_for_data)
{
	int fd = harness_open(harness_path("out"), O_CREAT | O_RDWR, 0600);
	int p[2];
	make_pipe(p, 0);
	struct harness_delayed_io d = {p[1], 0x0102030405060708ull, 20 * MS};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, harness_delayed_write, &d), 0);
	EXPECT_EQ(splice_raw(p[0], 0, fd, 0, 100, 0), 8);
	pthread_join(th, 0);
	uint64_t v = 0;
	EXPECT_EQ(pread(fd, &v, 8, 0), 8);
	EXPECT_EQ(v, 0x0102030405060708ull);
	close_pipe(p);
	close(fd);
}

TEST(tee_copies_without_consuming)
{
	int a[2], b[2];
	make_pipe(a, 0);
	make_pipe(b, 0);
	ASSERT_EQ(write(a[1], "teedata", 7), 7);
	EXPECT_EQ(syscall(SYS_tee, a[0], b[1], 3, 0), 3);
	/* Tee always starts from the front of the source. */
	EXPECT_EQ(syscall(SYS_tee, a[0], b[1], 100, 0), 7);
	char buf[16];
	EXPECT_EQ(read(b[0], buf, sizeof(buf)), 10);
	EXPECT_EQ(memcmp(buf, "teeteedata", 10), 0);
	EXPECT_EQ(read(a[0], buf, sizeof(buf)), 7);
	EXPECT_EQ(memcmp(buf, "teedata", 7), 0);
	close_pipe(a);
	close_pipe(b);
}

TEST(tee_errors)
{
	int fd = hello_file();
	int a[2], b[2];
	make_pipe(a, O_NONBLOCK);
	make_pipe(b, 0);
	/* Flags are checked before the length, unlike splice. */
	EXPECT_ERRNO(syscall(SYS_tee, -1, -1, 0, 0x100), EINVAL);
	EXPECT_EQ(syscall(SYS_tee, -1, -1, 0, 0), 0);
	EXPECT_ERRNO(syscall(SYS_tee, -1, b[1], 1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_tee, a[1], b[1], 1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_tee, a[0], b[0], 1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_tee, a[0], a[1], 1, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tee, fd, b[1], 1, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tee, a[0], fd, 1, 0), EINVAL);
	/* Empty source with a writer; then without one. */
	EXPECT_ERRNO(syscall(SYS_tee, a[0], b[1], 1, 0), EAGAIN);
	EXPECT_ERRNO(syscall(SYS_tee, b[0], a[1], 1, 0), EAGAIN);
	close(a[1]);
	EXPECT_EQ(syscall(SYS_tee, a[0], b[1], 1, 0), 0);
	close(a[0]);
	close_pipe(b);
	close(fd);
}

TEST(vmsplice_to_and_from_pipe)
{
	int p[2];
	make_pipe(p, 0);
	char one[] = "vm", two[] = "splice";
	struct iovec in[2] = {{one, 2}, {two, 6}};
	EXPECT_EQ(syscall(SYS_vmsplice, p[1], in, 2, 0), 8);
	char a[3] = {0}, b[16] = {0};
	struct iovec out[2] = {{a, 3}, {b, sizeof(b)}};
	/* From the read end, into memory. */
	EXPECT_EQ(syscall(SYS_vmsplice, p[0], out, 2, 0), 8);
	EXPECT_EQ(memcmp(a, "vms", 3), 0);
	EXPECT_EQ(memcmp(b, "plice", 5), 0);
	/* Nothing left: nonblocking gives EAGAIN. */
	EXPECT_ERRNO(syscall(SYS_vmsplice, p[0], out, 2, SPLICE_F_NONBLOCK),
		     EAGAIN);
	close(p[1]);
	EXPECT_EQ(syscall(SYS_vmsplice, p[0], out, 2, 0), 0);
	close(p[0]);
}

TEST(vmsplice_errors)
{
	int fd = hello_file();
	int p[2];
	make_pipe(p, O_NONBLOCK);
	struct iovec iov = {"x", 1};
	EXPECT_ERRNO(syscall(SYS_vmsplice, p[1], &iov, 1, 0x100), EINVAL);
	EXPECT_ERRNO(syscall(SYS_vmsplice, -1, &iov, 1, 0), EBADF);
	/* Not a pipe; with nothing to move it is not even looked at. */
	EXPECT_ERRNO(syscall(SYS_vmsplice, fd, &iov, 1, 0), EBADF);
	EXPECT_EQ(syscall(SYS_vmsplice, fd, &iov, 0, 0), 0);
	EXPECT_ERRNO(syscall(SYS_vmsplice, p[1], (void *)8, 1, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_vmsplice, p[1], &iov, 1025, 0), EINVAL);
	/*
	 * A full pipe. Only SPLICE_F_NONBLOCK makes vmsplice nonblocking:
	 * Linux ignores the pipe's O_NONBLOCK here.
	 */
	static char full[65536];
	ASSERT_EQ(write(p[1], full, sizeof(full)), (ssize_t)sizeof(full));
	EXPECT_ERRNO(syscall(SYS_vmsplice, p[1], &iov, 1, SPLICE_F_NONBLOCK),
		     EAGAIN);
	close_pipe(p);
	close(fd);
}
