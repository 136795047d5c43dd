/* fcntl on regular files: status flags, F_DUPFD_CLOEXEC, F_GETFD, locks. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

/*
 * The kernel's O_LARGEFILE (include/uapi/asm-generic/fcntl.h); glibc defines
 * O_LARGEFILE as 0 on 64-bit targets.
 */
#define KERNEL_O_LARGEFILE 0100000

static long fcntl_raw(int fd, int cmd, long arg)
{
	return syscall(SYS_fcntl, fd, cmd, arg);
}

static int open_file(int flags)
{
	char *p = harness_path("f");
	struct stat st;
	if (stat(p, &st) != 0)
		harness_write_file(p, "abc", 3, 0644);
	return harness_open(p, flags);
}

TEST(getfl_reports_open_flags)
{
	/* On 64-bit, the kernel adds O_LARGEFILE to every open but O_PATH. */
	static const int cases[] = {
		O_RDONLY,
		O_WRONLY,
		O_RDWR,
		O_RDWR | O_APPEND,
		O_RDONLY | O_NONBLOCK,
		O_WRONLY | O_SYNC,
		O_RDWR | O_DSYNC,
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = open_file(cases[i]);
		long fl = fcntl_raw(fd, F_GETFL, 0);
		if (fl != (cases[i] | KERNEL_O_LARGEFILE))
			harness_fail(__FILE__, __LINE__,
				     "open flags %#x: F_GETFL %#lx", cases[i],
				     fl);
		close(fd);
	}
	/* Creation flags and O_CLOEXEC are not status flags. */
	int fd = harness_open(harness_path("g"),
			      O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC |
				      O_NOCTTY,
			      0644);
	EXPECT_EQ(fcntl_raw(fd, F_GETFL, 0), O_RDWR | KERNEL_O_LARGEFILE);
	close(fd);
}

TEST(setfl_append)
{
	int fd = open_file(O_RDWR);
	long fl = fcntl_raw(fd, F_GETFL, 0);
	ASSERT_GE(fl, 0);
	EXPECT_EQ(fcntl_raw(fd, F_SETFL, fl | O_APPEND), 0);
	EXPECT_TRUE(fcntl_raw(fd, F_GETFL, 0) & O_APPEND);
	/* Writes go to the end now, whatever the offset. */
	EXPECT_EQ(write(fd, "d", 1), 1);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	EXPECT_STREQ(buf, "abcd");
	EXPECT_EQ(fcntl_raw(fd, F_SETFL, fl), 0);
	EXPECT_FALSE(fcntl_raw(fd, F_GETFL, 0) & O_APPEND);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write(fd, "X", 1), 1);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	EXPECT_STREQ(buf, "Xbcd");
	close(fd);
}

TEST(setfl_ignores_access_mode_and_creation_flags)
{
	int fd = open_file(O_RDONLY);
	EXPECT_EQ(fcntl_raw(fd, F_SETFL,
			    O_RDWR | O_TRUNC | O_CREAT | O_NONBLOCK),
		  0);
	EXPECT_EQ(fcntl_raw(fd, F_GETFL, 0),
		  O_RDONLY | O_NONBLOCK | KERNEL_O_LARGEFILE);
	EXPECT_ERRNO(write(fd, "x", 1), EBADF);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 3);
	close(fd);
}

TEST(status_flags_shared_fd_flags_not)
{
	int fd = open_file(O_RDWR);
	int d = (int)fcntl_raw(fd, F_DUPFD, 0);
	ASSERT_GE(d, 0);
	ASSERT_SYSCALL_OK(fcntl_raw(fd, F_SETFL, O_APPEND));
	EXPECT_TRUE(fcntl_raw(d, F_GETFL, 0) & O_APPEND);
	ASSERT_SYSCALL_OK(fcntl_raw(fd, F_SETFD, FD_CLOEXEC));
	EXPECT_EQ(fcntl_raw(d, F_GETFD, 0), 0);
	/* A separate open of the same file has its own flags. */
	int other = open_file(O_RDWR);
	EXPECT_FALSE(fcntl_raw(other, F_GETFL, 0) & O_APPEND);
	close(other);
	close(d);
	close(fd);
}

TEST(dupfd_cloexec)
{
	int fd = open_file(O_RDWR);
	EXPECT_EQ(fcntl_raw(fd, F_GETFD, 0), 0);
	int want = harness_free_fd(50);
	long d = fcntl_raw(fd, F_DUPFD_CLOEXEC, 50);
	ASSERT_EQ(d, want);
	EXPECT_EQ(fcntl_raw((int)d, F_GETFD, 0), FD_CLOEXEC);
	EXPECT_EQ(fcntl_raw(fd, F_GETFD, 0), 0);
	/* The duplicate shares the file offset. */
	ASSERT_EQ(lseek(fd, 2, SEEK_SET), 2);
	EXPECT_EQ(lseek((int)d, 0, SEEK_CUR), 2);
	char c = 0;
	EXPECT_EQ(read((int)d, &c, 1), 1);
	EXPECT_EQ(c, 'c');
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 3);
	close((int)d);
	EXPECT_ERRNO(fcntl_raw(fd, F_DUPFD_CLOEXEC, -1), EINVAL);
	close(fd);
}

TEST(getfd_after_open_cloexec)
{
	int fd = open_file(O_RDONLY | O_CLOEXEC);
	EXPECT_EQ(fcntl_raw(fd, F_GETFD, 0), FD_CLOEXEC);
	EXPECT_EQ(fcntl_raw(fd, F_SETFD, 0), 0);
	EXPECT_EQ(fcntl_raw(fd, F_GETFD, 0), 0);
	close(fd);
}

TEST(fcntl_o_path)
{
	int fd = open_file(O_PATH);
	EXPECT_EQ(fcntl_raw(fd, F_GETFL, 0), O_PATH);
	EXPECT_EQ(fcntl_raw(fd, F_GETFD, 0), 0);
	EXPECT_EQ(fcntl_raw(fd, F_SETFD, FD_CLOEXEC), 0);
	long d = fcntl_raw(fd, F_DUPFD_CLOEXEC, 0);
	EXPECT_GE(d, 0);
	close((int)d);
	/* Status flags cannot be set on an O_PATH descriptor. */
	EXPECT_ERRNO(fcntl_raw(fd, F_SETFL, O_APPEND), EBADF);
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
	EXPECT_ERRNO(fcntl_raw(fd, F_SETLK, (long)&fl), EBADF);
	close(fd);
}

TEST(ofd_locks_conflict_between_opens)
{
	int a = open_file(O_RDWR), b = open_file(O_RDWR);
	struct flock wr = {.l_type = F_WRLCK,
			   .l_whence = SEEK_SET,
			   .l_start = 0,
			   .l_len = 10};
	EXPECT_EQ(fcntl_raw(a, F_OFD_SETLK, (long)&wr), 0);
	/* Open file description locks conflict even in one process. */
	EXPECT_ERRNO(fcntl_raw(b, F_OFD_SETLK, (long)&wr), EAGAIN);
	struct flock q = {.l_type = F_RDLCK,
			  .l_whence = SEEK_SET,
			  .l_start = 5,
			  .l_len = 1};
	EXPECT_EQ(fcntl_raw(b, F_OFD_GETLK, (long)&q), 0);
	EXPECT_EQ(q.l_type, F_WRLCK);
	EXPECT_EQ(q.l_start, 0);
	EXPECT_EQ(q.l_len, 10);
	EXPECT_EQ(q.l_pid, -1);
	/* A range that does not overlap is free. */
	struct flock other = {.l_type = F_WRLCK,
			      .l_whence = SEEK_SET,
			      .l_start = 10,
			      .l_len = 5};
	EXPECT_EQ(fcntl_raw(b, F_OFD_SETLK, (long)&other), 0);
	struct flock un = {.l_type = F_UNLCK,
			   .l_whence = SEEK_SET,
			   .l_start = 0,
			   .l_len = 10};
	EXPECT_EQ(fcntl_raw(a, F_OFD_SETLK, (long)&un), 0);
	EXPECT_EQ(fcntl_raw(b, F_OFD_SETLK, (long)&wr), 0);
	/* l_pid must be 0 for OFD locks. */
	struct flock bad = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 1};
	EXPECT_ERRNO(fcntl_raw(a, F_OFD_SETLK, (long)&bad), EINVAL);
	close(b);
	close(a);
}

TEST(posix_locks_own_process_never_conflict)
{
	int a = open_file(O_RDWR), b = open_file(O_RDWR);
	struct flock wr = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 0};
	EXPECT_EQ(fcntl_raw(a, F_SETLK, (long)&wr), 0);
	EXPECT_EQ(fcntl_raw(b, F_SETLK, (long)&wr), 0);
	struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	EXPECT_EQ(fcntl_raw(a, F_GETLK, (long)&q), 0);
	EXPECT_EQ(q.l_type, F_UNLCK);
	/* The lock type must match the access mode. */
	close(b);
	int ro = open_file(O_RDONLY);
	EXPECT_ERRNO(fcntl_raw(ro, F_SETLK, (long)&wr), EBADF);
	struct flock badtype = {.l_type = 7, .l_whence = SEEK_SET};
	EXPECT_ERRNO(fcntl_raw(a, F_SETLK, (long)&badtype), EINVAL);
	struct flock badwhence = {.l_type = F_RDLCK, .l_whence = 9};
	EXPECT_ERRNO(fcntl_raw(a, F_SETLK, (long)&badwhence), EINVAL);
	EXPECT_ERRNO(fcntl_raw(a, F_SETLK, 1L), EFAULT);
	close(ro);
	close(a);
}

TEST(flock_between_opens)
{
	int a = open_file(O_RDONLY), b = open_file(O_RDONLY);
	EXPECT_EQ(syscall(SYS_flock, a, LOCK_EX), 0);
	EXPECT_ERRNO(syscall(SYS_flock, b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_ERRNO(syscall(SYS_flock, b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* A dup shares the lock; re-locking converts it. */
	int d = (int)syscall(SYS_dup, a);
	ASSERT_GE(d, 0);
	EXPECT_EQ(syscall(SYS_flock, d, LOCK_SH), 0);
	EXPECT_EQ(syscall(SYS_flock, b, LOCK_SH | LOCK_NB), 0);
	EXPECT_EQ(syscall(SYS_flock, a, LOCK_UN), 0);
	EXPECT_EQ(syscall(SYS_flock, b, LOCK_UN), 0);
	EXPECT_EQ(syscall(SYS_flock, b, LOCK_EX | LOCK_NB), 0);
	EXPECT_ERRNO(syscall(SYS_flock, a, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_flock, -1, LOCK_SH), EBADF);
	close(d);
	close(b);
	close(a);
}

/*
 * flock and OFD locks belong to the open file: a forked child's copy of the
 * fd keeps them after the parent closes its own, until the child ends.
 */
TEST(flock_and_ofd_locks_outlive_the_closing_process)
{
	int *release = harness_shared_alloc(sizeof(int));
	int a = open_file(O_RDWR), b = open_file(O_RDWR);
	ASSERT_SYSCALL_OK(syscall(SYS_flock, a, LOCK_EX));
	struct flock wr = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
	ASSERT_SYSCALL_OK(fcntl_raw(a, F_OFD_SETLK, (long)&wr));
	/* The child holds a copy of a until released. */
	pid_t pid = harness_held_child(release, 0);
	close(a);
	EXPECT_ERRNO(syscall(SYS_flock, b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_ERRNO(fcntl_raw(b, F_OFD_SETLK, (long)&wr), EAGAIN);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(pid, 0);
	/* The last fd is gone with the child: so are the locks. */
	EXPECT_EQ(syscall(SYS_flock, b, LOCK_EX | LOCK_NB), 0);
	EXPECT_EQ(fcntl_raw(b, F_OFD_SETLK, (long)&wr), 0);
	close(b);
}
