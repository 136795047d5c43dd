/* signalfd: creation and mask updates, records read, blocking, readiness. */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#define MS 1000000LL
#define BIT(sig) (1ULL << ((sig) - 1))

static void close_fd(void *arg)
{
	close((int)(intptr_t)arg);
}

static long raw_signalfd4(long fd, uint64_t *mask, long size, long flags)
{
	return syscall(SYS_signalfd4, fd, mask, size, flags);
}

/* A signalfd for mask (ASSERTed), closed by the harness after the test. */
static int sfd(uint64_t mask, int flags)
{
	int fd = (int)raw_signalfd4(-1, &mask, HARNESS_KERNEL_SIGSET_SIZE,
				    flags);
	ASSERT_SYSCALL_OK(fd);
	harness_defer(close_fd, (void *)(intptr_t)fd);
	return fd;
}

static void block(uint64_t set)
{
	ASSERT_SYSCALL_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, 0,
				  HARNESS_KERNEL_SIGSET_SIZE));
}

static int is_pending(int sig)
{
	sigset_t p;
	sigpending(&p);
	return sigismember(&p, sig);
}

TEST(signalfd_errors)
{
	uint64_t mask = BIT(SIGUSR1);
	EXPECT_ERRNO(raw_signalfd4(-1, &mask, 4, 0), EINVAL);
	EXPECT_ERRNO(raw_signalfd4(-1, &mask, 16, 0), EINVAL);
	EXPECT_ERRNO(raw_signalfd4(-1, &mask, 8, 0x10), EINVAL);
	EXPECT_ERRNO(raw_signalfd4(-1, &mask, 8, O_RDWR), EINVAL);
	EXPECT_ERRNO(raw_signalfd4(-1, harness_unmapped(harness_page_size()),
				   8, 0),
		     EFAULT);
	/* The size is checked before the mask is read. */
	EXPECT_ERRNO(raw_signalfd4(-1, 0, 4, 0), EINVAL);
	int unused = harness_free_fd(0);
	EXPECT_ERRNO(raw_signalfd4(unused, &mask, 8, 0), EBADF);
	EXPECT_ERRNO(raw_signalfd4(-2, &mask, 8, 0), EBADF);
	int efd = eventfd(0, 0);
	ASSERT_SYSCALL_OK(efd);
	harness_defer(close_fd, (void *)(intptr_t)efd);
	EXPECT_ERRNO(raw_signalfd4(efd, &mask, 8, 0), EINVAL);
	/* signalfd(2) is signalfd4 without flags. */
	long fd = syscall(SYS_signalfd, -1, &mask, 8);
	EXPECT_SYSCALL_OK(fd);
	if (fd >= 0) {
		EXPECT_EQ(fcntl(fd, F_GETFL), O_RDWR);
		EXPECT_EQ(fcntl(fd, F_GETFD), 0);
		close(fd);
	}
	EXPECT_ERRNO(syscall(SYS_signalfd, -1, &mask, 4), EINVAL);
}

TEST(signalfd_flags_and_file)
{
	int fd = sfd(BIT(SIGUSR1), SFD_NONBLOCK | SFD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	struct signalfd_siginfo si[2];
	EXPECT_ERRNO(read(fd, si, sizeof(si[0]) - 1), EINVAL);
	EXPECT_ERRNO(read(fd, si, sizeof(si[0])), EAGAIN);
	EXPECT_ERRNO(write(fd, si, sizeof(si[0])), EINVAL);
	EXPECT_ERRNO(pread(fd, si, sizeof(si[0]), 0), ESPIPE);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_mode, 0600);
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = 0;
	EXPECT_STREQ(link, "anon_inode:[signalfd]");
}

TEST(signalfd_reads_pending_signal)
{
	block(BIT(SIGUSR1));
	int fd = sfd(BIT(SIGUSR1), SFD_NONBLOCK);
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	struct signalfd_siginfo si;
	memset(&si, 0, sizeof(si));
	ASSERT_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR1);
	EXPECT_EQ(si.ssi_code, SI_TKILL);
	EXPECT_EQ(si.ssi_pid, getpid());
	EXPECT_EQ(si.ssi_uid, getuid());
	EXPECT_EQ(si.ssi_errno, 0);
	/* It was consumed. */
	EXPECT_FALSE(is_pending(SIGUSR1));
	EXPECT_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
}

TEST(signalfd_reads_only_mask)
{
	block(BIT(SIGUSR1) | BIT(SIGUSR2));
	int fd = sfd(BIT(SIGUSR1), SFD_NONBLOCK);
	ASSERT_SYSCALL_OK(kill(getpid(), SIGUSR2));
	struct signalfd_siginfo si;
	EXPECT_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	EXPECT_TRUE(is_pending(SIGUSR2));
}

TEST(signalfd_several_records_thread_queue_first)
{
	block(BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGHUP));
	int fd = sfd(BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGHUP), SFD_NONBLOCK);
	/* SIGUSR2 to this thread, SIGHUP and SIGUSR1 to the process. */
	ASSERT_SYSCALL_OK(raise(SIGUSR2));
	ASSERT_SYSCALL_OK(kill(getpid(), SIGUSR1));
	ASSERT_SYSCALL_OK(kill(getpid(), SIGHUP));
	struct signalfd_siginfo si[4];
	memset(si, 0, sizeof(si));
	/* Room for two and a half records: two are read. */
	ASSERT_EQ(read(fd, si, sizeof(si[0]) * 5 / 2), 2 * sizeof(si[0]));
	/* The thread's queue first, then the process's, lowest first. */
	EXPECT_EQ(si[0].ssi_signo, SIGUSR2);
	EXPECT_EQ(si[0].ssi_code, SI_TKILL);
	EXPECT_EQ(si[1].ssi_signo, SIGHUP);
	EXPECT_EQ(si[1].ssi_code, SI_USER);
	EXPECT_EQ(si[1].ssi_pid, getpid());
	ASSERT_EQ(read(fd, si, sizeof(si)), sizeof(si[0]));
	EXPECT_EQ(si[0].ssi_signo, SIGUSR1);
}

TEST(signalfd_sigqueue_value)
{
	int sig = SIGRTMIN + 1;
	block(BIT(sig));
	int fd = sfd(BIT(sig), SFD_NONBLOCK);
	union sigval v = {.sival_int = 42};
	ASSERT_SYSCALL_OK(sigqueue(getpid(), sig, v));
	v.sival_int = 43;
	ASSERT_SYSCALL_OK(sigqueue(getpid(), sig, v));
	struct signalfd_siginfo si[2];
	ASSERT_EQ(read(fd, si, sizeof(si)), sizeof(si));
	/* Real-time signals queue, in order. */
	EXPECT_EQ(si[0].ssi_signo, sig);
	EXPECT_EQ(si[0].ssi_code, SI_QUEUE);
	EXPECT_EQ(si[0].ssi_int, 42);
	EXPECT_EQ(si[0].ssi_pid, getpid());
	EXPECT_EQ(si[1].ssi_int, 43);
}

TEST(signalfd_timer_signal)
{
	int sig = SIGRTMIN + 2;
	block(BIT(sig));
	int fd = sfd(BIT(sig), 0);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = 99;
	int id = -1;
	ASSERT_SYSCALL_OK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id));
	struct itimerspec its = {{0, 0}, {0, 1 * MS}};
	ASSERT_SYSCALL_OK(syscall(SYS_timer_settime, id, 0, &its, 0));
	struct signalfd_siginfo si;
	memset(&si, 0, sizeof(si));
	/* A blocking read waits for the expiration. */
	long n = read(fd, &si, sizeof(si));
	syscall(SYS_timer_delete, id);
	ASSERT_EQ(n, sizeof(si));
	EXPECT_EQ(si.ssi_signo, sig);
	EXPECT_EQ(si.ssi_code, SI_TIMER);
	EXPECT_EQ(si.ssi_tid, id);
	EXPECT_EQ(si.ssi_overrun, 0);
	EXPECT_EQ(si.ssi_int, 99);
}

TEST(signalfd_mask_update)
{
	block(BIT(SIGUSR1) | BIT(SIGUSR2));
	int fd = sfd(BIT(SIGUSR1), SFD_NONBLOCK);
	ASSERT_SYSCALL_OK(kill(getpid(), SIGUSR2));
	struct signalfd_siginfo si;
	EXPECT_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	/* Updating returns the same descriptor; SIGKILL and SIGSTOP in
	 * the mask are ignored; the flags argument is not applied. */
	uint64_t mask = BIT(SIGUSR2) | BIT(SIGKILL) | BIT(SIGSTOP);
	EXPECT_EQ(raw_signalfd4(fd, &mask, 8, 0), fd);
	EXPECT_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	ASSERT_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR2);
	/* Bad flags are still refused. */
	EXPECT_ERRNO(raw_signalfd4(fd, &mask, 8, 0x10), EINVAL);
}

TEST(signalfd_poll_and_epoll_readiness)
{
	block(BIT(SIGUSR1) | BIT(SIGUSR2));
	int fd = sfd(BIT(SIGUSR1), SFD_NONBLOCK);
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	/* A signal outside the mask does not make it readable. */
	ASSERT_SYSCALL_OK(raise(SIGUSR2));
	EXPECT_EQ(poll(&p, 1, 0), 0);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_SYSCALL_OK(ep);
	harness_defer(close_fd, (void *)(intptr_t)ep);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
	ASSERT_SYSCALL_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);

	ASSERT_SYSCALL_OK(kill(getpid(), SIGUSR1));
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN);
	memset(&ev, 0, sizeof(ev));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, 7);

	struct signalfd_siginfo si;
	ASSERT_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);

	/* A mask update that covers a pending signal makes it readable. */
	uint64_t mask = BIT(SIGUSR2);
	ASSERT_EQ(raw_signalfd4(fd, &mask, 8, 0), fd);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
}

TEST(signalfd_epoll_wakes_on_signal)
{
	block(BIT(SIGUSR1));
	int fd = sfd(BIT(SIGUSR1), SFD_NONBLOCK);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_SYSCALL_OK(ep);
	harness_defer(close_fd, (void *)(intptr_t)ep);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	ASSERT_SYSCALL_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	/* Another thread signals us while we wait. */
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 2 * MS);
	int n = epoll_wait(ep, &ev, 1, 30000);
	harness_signaller_stop(&s);
	EXPECT_EQ(n, 1);
	struct signalfd_siginfo si;
	EXPECT_EQ(read(fd, &si, sizeof(si)), sizeof(si));
}

TEST(signalfd_blocking_read_woken_by_signal)
{
	block(BIT(SIGUSR1));
	int fd = sfd(BIT(SIGUSR1), 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 2 * MS);
	struct signalfd_siginfo si;
	memset(&si, 0, sizeof(si));
	long n = read(fd, &si, sizeof(si));
	harness_signaller_stop(&s);
	EXPECT_EQ(n, sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR1);
	EXPECT_EQ(si.ssi_code, SI_TKILL);
}

static volatile sig_atomic_t usr2_hits;

static void on_usr2(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	usr2_hits++;
}

TEST(signalfd_blocking_read_interrupted)
{
	block(BIT(SIGUSR1));
	int fd = sfd(BIT(SIGUSR1), 0);
	usr2_hits = 0;
	harness_set_handler(SIGUSR2, on_usr2, 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR2, 2 * MS);
	struct signalfd_siginfo si;
	errno = 0;
	long n = read(fd, &si, sizeof(si));
	int err = errno;
	harness_signaller_stop(&s);
	EXPECT_EQ(n, -1);
	EXPECT_EQ(err, EINTR);
	EXPECT_GE(usr2_hits, 1);
}

TEST(signalfd_reads_unblocked_signal_it_waits_for)
{
	/* The program should block the signals it reads; if it does not,
	 * a read that is waiting still takes the signal before it could be
	 * delivered (Linux's signalfd_dequeue looks for one before it
	 * checks for pending signals). */
	int fd = sfd(BIT(SIGUSR1), 0);
	harness_set_handler(SIGUSR1, on_usr2, 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 2 * MS);
	struct signalfd_siginfo si;
	memset(&si, 0, sizeof(si));
	long n = read(fd, &si, sizeof(si));
	harness_signaller_stop(&s);
	EXPECT_EQ(n, sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR1);
}

static void read_in_child(void *arg)
{
	int fd = (int)(intptr_t)arg;
	/* The child reads its own signals through the inherited fd. */
	ASSERT_SYSCALL_OK(kill(getpid(), SIGUSR1));
	struct signalfd_siginfo si;
	ASSERT_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	EXPECT_EQ(si.ssi_pid, getpid());
}

TEST(signalfd_reads_callers_signals_after_fork)
{
	block(BIT(SIGUSR1));
	int fd = sfd(BIT(SIGUSR1), SFD_NONBLOCK);
	pid_t pid = harness_fork_child(read_in_child, (void *)(intptr_t)fd);
	EXPECT_CHILD_EXIT(pid, 0);
	/* The parent has nothing pending. */
	struct signalfd_siginfo si;
	EXPECT_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
}
