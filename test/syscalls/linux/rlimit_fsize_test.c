/* RLIMIT_FSIZE: writes are cut short at the limit; a write, truncate,
 * fallocate, copy_file_range or sendfile that cannot stay within it fails
 * with EFBIG and raises SIGXFSZ. */
#include "harness.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define LIMIT 4096

static volatile int xfsz_count;
static volatile int xfsz_code;
static volatile pid_t xfsz_pid;
static volatile pid_t xfsz_tid;

static void on_xfsz(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	xfsz_count++;
	xfsz_code = si->si_code;
	xfsz_pid = si->si_pid;
	xfsz_tid = harness_gettid();
}

static struct rlimit saved_limit;

static void restore_limit(void *arg)
{
	(void)arg;
	syscall(SYS_setrlimit, RLIMIT_FSIZE, &saved_limit);
}

/* Handles SIGXFSZ and sets the soft limit to LIMIT (undone after the
 * test). */
static void set_limit(void)
{
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_FSIZE, &saved_limit));
	harness_defer(restore_limit, NULL);
	xfsz_count = 0;
	xfsz_code = 0;
	harness_set_handler(SIGXFSZ, on_xfsz, 0);
	struct rlimit rl = {.rlim_cur = LIMIT, .rlim_max = saved_limit.rlim_max};
	ASSERT_SYSCALL_OK(syscall(SYS_setrlimit, RLIMIT_FSIZE, &rl));
}

static int new_file(const char *name)
{
	return harness_open(harness_shm_path(name), O_RDWR | O_CREAT | O_EXCL,
			    0600);
}

static off_t file_size(int fd)
{
	struct stat st;
	HARNESS_SYSCALL_OK(fstat(fd, &st), "fstat", harness_abort_test());
	return st.st_size;
}

static char buf[3 * LIMIT];

TEST(write_cut_short_then_efbig)
{
	set_limit();
	int fd = new_file("f");
	EXPECT_EQ(syscall(SYS_write, fd, buf, 3000), 3000);
	/* Crossing the limit: the part below it is written, no signal. */
	EXPECT_EQ(syscall(SYS_write, fd, buf, 3000), LIMIT - 3000);
	EXPECT_EQ(xfsz_count, 0);
	EXPECT_EQ(file_size(fd), LIMIT);
	/* At the limit: EFBIG and SIGXFSZ, to the writing thread. */
	EXPECT_ERRNO(syscall(SYS_write, fd, buf, 1), EFBIG);
	EXPECT_EQ(xfsz_count, 1);
	EXPECT_EQ(xfsz_code, SI_USER);
	EXPECT_EQ(xfsz_pid, getpid());
	EXPECT_EQ(xfsz_tid, harness_gettid());
	/* An empty write is not limited. */
	EXPECT_EQ(syscall(SYS_write, fd, buf, 0), 0);
	EXPECT_EQ(xfsz_count, 1);
	EXPECT_EQ(file_size(fd), LIMIT);
	close(fd);
}

TEST(pwrite_and_writev)
{
	set_limit();
	int fd = new_file("f");
	EXPECT_EQ(syscall(SYS_pwrite64, fd, buf, 200, LIMIT - 100), 100);
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, buf, 10, LIMIT), EFBIG);
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, buf, 10, LIMIT * 10), EFBIG);
	EXPECT_EQ(xfsz_count, 2);
	EXPECT_EQ(syscall(SYS_pwrite64, fd, buf, 0, LIMIT * 10), 0);
	EXPECT_EQ(xfsz_count, 2);
	/* Below the limit, a write that fits is whole. */
	EXPECT_EQ(syscall(SYS_pwrite64, fd, buf, 100, 0), 100);
	struct iovec iov[2] = {{buf, 2000}, {buf, 3000}};
	ASSERT_SYSCALL_OK(lseek(fd, 1000, SEEK_SET));
	EXPECT_EQ(syscall(SYS_writev, fd, iov, 2), LIMIT - 1000);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), LIMIT);
	EXPECT_ERRNO(syscall(SYS_writev, fd, iov, 2), EFBIG);
	EXPECT_ERRNO(syscall(SYS_pwritev, fd, iov, 2, LIMIT, 0), EFBIG);
	EXPECT_EQ(xfsz_count, 4);
	close(fd);
}

TEST(append_cut_at_limit)
{
	set_limit();
	int fd = new_file("f");
	EXPECT_EQ(syscall(SYS_write, fd, buf, LIMIT - 10), LIMIT - 10);
	int afd = harness_open(harness_shm_path("f"), O_WRONLY | O_APPEND);
	/* The write goes at the end: only 10 bytes fit. */
	ASSERT_SYSCALL_OK(lseek(afd, 0, SEEK_SET));
	EXPECT_EQ(syscall(SYS_write, afd, buf, 100), 10);
	EXPECT_ERRNO(syscall(SYS_write, afd, buf, 100), EFBIG);
	EXPECT_EQ(xfsz_count, 1);
	close(afd);
	close(fd);
}

TEST(truncate_beyond_limit)
{
	set_limit();
	int fd = new_file("f");
	EXPECT_ERRNO(syscall(SYS_ftruncate, fd, LIMIT + 1), EFBIG);
	EXPECT_EQ(xfsz_count, 1);
	EXPECT_EQ(file_size(fd), 0);
	EXPECT_SYSCALL_OK(syscall(SYS_ftruncate, fd, LIMIT));
	EXPECT_EQ(file_size(fd), LIMIT);
	EXPECT_ERRNO(syscall(SYS_truncate, harness_shm_path("f"), 2 * LIMIT),
		     EFBIG);
	EXPECT_EQ(xfsz_count, 2);
	EXPECT_SYSCALL_OK(syscall(SYS_truncate, harness_shm_path("f"), 10));
	EXPECT_EQ(file_size(fd), 10);
	EXPECT_EQ(xfsz_count, 2);
	close(fd);
}

TEST(shrinking_a_large_file_allowed)
{
	int fd = new_file("f");
	ASSERT_SYSCALL_OK(syscall(SYS_ftruncate, fd, 3 * LIMIT));
	set_limit();
	/* Still above the limit, but smaller: allowed. */
	EXPECT_SYSCALL_OK(syscall(SYS_ftruncate, fd, 2 * LIMIT));
	/* Same size: allowed too. */
	EXPECT_SYSCALL_OK(syscall(SYS_ftruncate, fd, 2 * LIMIT));
	/* Writing inside it, beyond the limit, is not. */
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, buf, 1, LIMIT + 1), EFBIG);
	EXPECT_EQ(xfsz_count, 1);
	close(fd);
}

TEST(fallocate_beyond_limit)
{
	set_limit();
	int fd = new_file("f");
	EXPECT_ERRNO(syscall(SYS_fallocate, fd, 0, 0, LIMIT + 1), EFBIG);
	EXPECT_EQ(xfsz_count, 1);
	EXPECT_ERRNO(syscall(SYS_fallocate, fd, 0, LIMIT, 1), EFBIG);
	EXPECT_EQ(xfsz_count, 2);
	EXPECT_SYSCALL_OK(syscall(SYS_fallocate, fd, 0, 0, LIMIT));
	EXPECT_EQ(file_size(fd), LIMIT);
	/* tmpfs limits FALLOC_FL_KEEP_SIZE beyond the end too (it allocates
	 * the blocks all the same); punching a hole is never limited. */
	EXPECT_ERRNO(syscall(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, LIMIT,
			     LIMIT), EFBIG);
	EXPECT_EQ(xfsz_count, 3);
	EXPECT_EQ(file_size(fd), LIMIT);
	EXPECT_SYSCALL_OK(syscall(SYS_fallocate, fd,
				  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  0, 4 * LIMIT));
	EXPECT_EQ(xfsz_count, 3);
	close(fd);
}

TEST(copy_file_range_and_sendfile)
{
	int in = new_file("in");
	ASSERT_EQ(syscall(SYS_write, in, buf, 2 * LIMIT), 2 * LIMIT);
	set_limit();
	int out = new_file("out");
	loff_t ip = 0, op = LIMIT - 100;
	EXPECT_EQ(syscall(SYS_copy_file_range, in, &ip, out, &op, 1000, 0), 100);
	EXPECT_EQ(op, LIMIT);
	EXPECT_EQ(xfsz_count, 0);
	EXPECT_ERRNO(syscall(SYS_copy_file_range, in, &ip, out, &op, 1000, 0),
		     EFBIG);
	EXPECT_EQ(xfsz_count, 1);

	ASSERT_SYSCALL_OK(lseek(out, LIMIT - 50, SEEK_SET));
	off_t sp = 0;
	EXPECT_EQ(syscall(SYS_sendfile, out, in, &sp, 1000), 50);
	EXPECT_EQ(sp, 50);
	/* Linux's splice goes on writing what it read after the cut write,
	 * and that write at the limit raises SIGXFSZ (but does not fail the
	 * call, which transferred something). */
	EXPECT_EQ(xfsz_count, 2);
	EXPECT_ERRNO(syscall(SYS_sendfile, out, in, &sp, 1000), EFBIG);
	EXPECT_EQ(xfsz_count, 3);
	close(in);
	close(out);
}

TEST(pipes_and_devices_unlimited)
{
	set_limit();
	int p[2];
	ASSERT_SYSCALL_OK(pipe(p));
	EXPECT_EQ(syscall(SYS_write, p[1], buf, 2 * LIMIT), 2 * LIMIT);
	int null = harness_open("/dev/null", O_WRONLY);
	EXPECT_EQ(syscall(SYS_write, null, buf, 3 * LIMIT), 3 * LIMIT);
	EXPECT_EQ(xfsz_count, 0);
	close(null);
	close(p[0]);
	close(p[1]);
}

TEST(limit_zero)
{
	set_limit();
	struct rlimit rl = {.rlim_cur = 0, .rlim_max = saved_limit.rlim_max};
	ASSERT_SYSCALL_OK(syscall(SYS_setrlimit, RLIMIT_FSIZE, &rl));
	int fd = new_file("f");
	EXPECT_ERRNO(syscall(SYS_write, fd, buf, 1), EFBIG);
	EXPECT_EQ(xfsz_count, 1);
	close(fd);
}

static void write_beyond_default_action(void *arg)
{
	int fd = *(int *)arg;
	struct rlimit rl = {.rlim_cur = 0, .rlim_max = 0};
	/* No core dump: the child dies by the signal alone. */
	syscall(SYS_setrlimit, RLIMIT_CORE, &rl);
	rl.rlim_cur = rl.rlim_max = 10;
	ASSERT_SYSCALL_OK(syscall(SYS_setrlimit, RLIMIT_FSIZE, &rl));
	signal(SIGXFSZ, SIG_DFL);
	syscall(SYS_pwrite64, fd, buf, 1, 100);
	_exit(7);
}

TEST(default_action_kills)
{
	int fd = new_file("f");
	pid_t pid = harness_fork_child(write_beyond_default_action, &fd);
	int status = harness_wait(pid);
	/* SIGXFSZ's default action is a core dump, which the runner's core
	 * pattern may or may not write: only the signal is checked. */
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGXFSZ);
	EXPECT_EQ(file_size(fd), 0);
	close(fd);
}

TEST(ignored_sigxfsz_still_efbig)
{
	set_limit();
	signal(SIGXFSZ, SIG_IGN);
	int fd = new_file("f");
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, buf, 1, LIMIT), EFBIG);
	close(fd);
}
