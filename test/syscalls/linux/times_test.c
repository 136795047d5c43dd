/* CPU time accounting: times, getrusage (self, thread, children), wait4's
 * and waitid's rusage, and the CPU clocks summing every thread. Only
 * relations are asserted, never durations. */
#include "harness.h"

#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>

static int64_t tv_us(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static int64_t ru_us(const struct rusage *ru)
{
	return tv_us(ru->ru_utime) + tv_us(ru->ru_stime);
}

static int64_t children_us(void)
{
	struct rusage ru;
	HARNESS_SYSCALL_OK(syscall(SYS_getrusage, RUSAGE_CHILDREN, &ru),
			   "getrusage(RUSAGE_CHILDREN)", harness_abort_test());
	return ru_us(&ru);
}

static int64_t children_ticks(void)
{
	struct tms t;
	HARNESS_SYSCALL_OK(syscall(SYS_times, &t), "times",
			   harness_abort_test());
	return (int64_t)t.tms_cutime + t.tms_cstime;
}

/* Spins until the clock has advanced by ns of CPU time. */
static void burn(clockid_t clock, int64_t ns)
{
	int64_t start = harness_now_ns(clock);
	volatile uint64_t x = 0;
	while (harness_now_ns(clock) - start < ns)
		for (int i = 0; i < 10000; i++)
			x += i;
}

/* A child that burns 200ms of its own CPU time, then exits 0. */
static void burner(void *arg)
{
	(void)arg;
	burn(CLOCK_PROCESS_CPUTIME_ID, 200 * 1000 * 1000);
}

/* Waits (without reaping) until child pid has exited. */
static void wait_exited_not_reaped(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	HARNESS_SYSCALL_OK(syscall(SYS_waitid, P_PID, pid, &si,
				   WEXITED | WNOWAIT, NULL),
			   "waitid(WNOWAIT)", harness_abort_test());
	EXPECT_EQ(si.si_pid, pid);
}

TEST(times_return_value_monotonic)
{
	struct tms a, b;
	errno = 0;
	clock_t r1 = (clock_t)syscall(SYS_times, &a);
	EXPECT_EQ(errno, 0);
	clock_t r2 = (clock_t)syscall(SYS_times, NULL);
	EXPECT_EQ(errno, 0);
	burn(CLOCK_THREAD_CPUTIME_ID, 20 * 1000 * 1000);
	clock_t r3 = (clock_t)syscall(SYS_times, &b);
	EXPECT_LE(r1, r2);
	EXPECT_LE(r2, r3);
	EXPECT_LE(a.tms_utime, b.tms_utime);
	EXPECT_LE(a.tms_stime, b.tms_stime);
	EXPECT_GE(a.tms_utime, 0);
	EXPECT_GE(a.tms_cutime, 0);
}

TEST(times_efault)
{
	EXPECT_ERRNO(syscall(SYS_times, (void *)1), EFAULT);
}

TEST(getrusage_errors)
{
	struct rusage ru;
	EXPECT_ERRNO(syscall(SYS_getrusage, 2, &ru), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrusage, -2 /* RUSAGE_BOTH */, &ru), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrusage, -3, &ru), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrusage, RUSAGE_SELF, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getrusage, RUSAGE_CHILDREN, (void *)1), EFAULT);
}

TEST(getrusage_self_grows_and_covers_thread)
{
	struct rusage a, b, th;
	ASSERT_SYSCALL_OK(syscall(SYS_getrusage, RUSAGE_SELF, &a));
	burn(CLOCK_THREAD_CPUTIME_ID, 50 * 1000 * 1000);
	ASSERT_SYSCALL_OK(syscall(SYS_getrusage, RUSAGE_THREAD, &th));
	ASSERT_SYSCALL_OK(syscall(SYS_getrusage, RUSAGE_SELF, &b));
	EXPECT_GT(ru_us(&b), ru_us(&a));
	EXPECT_GE(tv_us(b.ru_utime), tv_us(a.ru_utime));
	EXPECT_GE(tv_us(b.ru_stime), tv_us(a.ru_stime));
	/* The process has at least the time of its thread. */
	EXPECT_GE(ru_us(&b), ru_us(&th));
}

TEST(children_time_counted_at_wait_not_before)
{
	int64_t before_us = children_us();
	int64_t before_ticks = children_ticks();
	pid_t pid = harness_fork_child(burner, NULL);
	wait_exited_not_reaped(pid);
	/* A zombie's time is not the parent's yet. */
	EXPECT_EQ(children_us(), before_us);
	EXPECT_EQ(children_ticks(), before_ticks);

	struct rusage ru;
	int status;
	memset(&ru, 0, sizeof(ru));
	ASSERT_EQ(syscall(SYS_wait4, pid, &status, 0, &ru), pid);
	EXPECT_EXITED(status, 0);
	/* wait4 reports the child's time... */
	EXPECT_GT(ru_us(&ru), 0);
	/* ...and the parent now has it among its children's. */
	int64_t after_us = children_us();
	EXPECT_GT(after_us, before_us);
	EXPECT_GT(children_ticks(), before_ticks);
}

TEST(waitid_rusage)
{
	int64_t before_us = children_us();
	pid_t pid = harness_fork_child(burner, NULL);
	siginfo_t si;
	struct rusage ru;
	memset(&si, 0, sizeof(si));
	memset(&ru, 0, sizeof(ru));
	ASSERT_SYSCALL_OK(syscall(SYS_waitid, P_PID, pid, &si, WEXITED, &ru));
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_code, CLD_EXITED);
	EXPECT_GT(ru_us(&ru), 0);
	EXPECT_GT(children_us(), before_us);
}

static void held_then_exit(void *arg)
{
	harness_wait_word(arg, 1);
}

TEST(waitid_wnohang_leaves_rusage_alone)
{
	int *rel = harness_shared_alloc(sizeof(int));
	pid_t pid = harness_fork_child(held_then_exit, rel);
	siginfo_t si;
	struct rusage ru;
	memset(&ru, 0xa5, sizeof(ru));
	ASSERT_SYSCALL_OK(syscall(SYS_waitid, P_PID, pid, &si,
				  WEXITED | WNOHANG, &ru));
	EXPECT_EQ(ru.ru_utime.tv_sec, (time_t)0xa5a5a5a5a5a5a5a5ULL);
	harness_set_word(rel, 1);
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(wait4_rusage_efault)
{
	pid_t pid = harness_exiting_child(0);
	wait_exited_not_reaped(pid);
	EXPECT_ERRNO(syscall(SYS_wait4, pid, NULL, 0, (void *)1), EFAULT);
	/* The child was reaped all the same. */
	EXPECT_ERRNO(syscall(SYS_wait4, pid, NULL, WNOHANG, NULL), ECHILD);
}

/* A child that forks a burning grandchild and reaps it, then exits
 * without burning much itself; exits 0 if its own children's time grew. */
static void reaps_burner(void *arg)
{
	(void)arg;
	int64_t before = children_us();
	pid_t pid = harness_fork_child(burner, NULL);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_GT(children_us(), before);
}

TEST(grandchildren_time_reaches_grandparent)
{
	int64_t before_us = children_us();
	pid_t pid = harness_fork_child(reaps_burner, NULL);
	struct rusage ru;
	int status;
	ASSERT_EQ(syscall(SYS_wait4, pid, &status, 0, &ru), pid);
	EXPECT_EXITED(status, 0);
	/* The child's rusage includes the grandchild it reaped (200ms of
	 * CPU time, while the child itself hardly ran). */
	EXPECT_GT(ru_us(&ru), 0);
	EXPECT_GT(children_us(), before_us);
}

TEST(autoreaped_child_not_counted)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	ASSERT_SYSCALL_OK(sigaction(SIGCHLD, &ign, &old));
	int64_t before_us = children_us();
	pid_t pid = fork();
	if (pid == 0) {
		burn(CLOCK_PROCESS_CPUTIME_ID, 100 * 1000 * 1000);
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	/* With SIGCHLD ignored, wait blocks until the child is gone and
	 * then finds nothing. */
	long r;
	do {
		r = syscall(SYS_wait4, pid, NULL, 0, NULL);
	} while (r == -1 && errno == EINTR);
	int err = errno;
	sigaction(SIGCHLD, &old, NULL);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, ECHILD);
	EXPECT_EQ(children_us(), before_us);
}

struct burn_arg {
	int64_t burned_ns; /* the thread's own CPU clock at its end */
};

static void *burn_thread(void *p)
{
	struct burn_arg *a = p;
	burn(CLOCK_THREAD_CPUTIME_ID, 100 * 1000 * 1000);
	a->burned_ns = harness_now_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

TEST(process_clock_sums_threads)
{
	int64_t proc0 = harness_now_ns(CLOCK_PROCESS_CPUTIME_ID);
	struct rusage ru0;
	ASSERT_SYSCALL_OK(syscall(SYS_getrusage, RUSAGE_SELF, &ru0));
	int64_t self0 = harness_now_ns(CLOCK_THREAD_CPUTIME_ID);

	struct burn_arg a = {0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, NULL, burn_thread, &a), 0);
	ASSERT_EQ(pthread_join(th, NULL), 0);

	int64_t self1 = harness_now_ns(CLOCK_THREAD_CPUTIME_ID);
	int64_t proc1 = harness_now_ns(CLOCK_PROCESS_CPUTIME_ID);
	struct rusage ru1;
	ASSERT_SYSCALL_OK(syscall(SYS_getrusage, RUSAGE_SELF, &ru1));
	/* The exited thread's time stays in the process's: the process
	 * clock grew by at least that plus what this thread used. */
	EXPECT_GE(proc1 - proc0, a.burned_ns + (self1 - self0));
	/* getrusage agrees, in microseconds (each of its two fields is
	 * truncated: allow those 2 microseconds). */
	EXPECT_GE(ru_us(&ru1) - ru_us(&ru0) + 2, a.burned_ns / 1000);
	/* The calling thread's own clock does not have the other's time. */
	EXPECT_LT(self1 - self0, proc1 - proc0);
}

static void *spin_until_stopped(void *p)
{
	int *stop = p;
	volatile uint64_t x = 0;
	while (!__atomic_load_n(stop, __ATOMIC_SEQ_CST))
		x++;
	return NULL;
}

TEST(process_clock_counts_live_threads)
{
	int stop = 0;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, NULL, spin_until_stopped, &stop), 0);
	clockid_t tclock;
	ASSERT_EQ(pthread_getcpuclockid(th, &tclock), 0);
	/* Wait until the other thread has used 50ms of CPU time. */
	while (harness_now_ns(tclock) < 50 * 1000 * 1000)
		sched_yield();
	int64_t other = harness_now_ns(tclock);
	int64_t self = harness_now_ns(CLOCK_THREAD_CPUTIME_ID);
	int64_t proc = harness_now_ns(CLOCK_PROCESS_CPUTIME_ID);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(pthread_join(th, NULL), 0);
	EXPECT_GE(proc, other + self);
}

TEST(cpu_clock_of_other_process)
{
	int *rel = harness_shared_alloc(sizeof(int));
	pid_t pid = harness_held_child(rel, 0);
	clockid_t c;
	ASSERT_EQ(clock_getcpuclockid(pid, &c), 0);
	struct timespec ts;
	EXPECT_SYSCALL_OK(syscall(SYS_clock_gettime, c, &ts));
	EXPECT_SYSCALL_OK(syscall(SYS_clock_getres, c, &ts));
	/* A thread clock of another process's thread is EINVAL. */
	clockid_t tc = (clockid_t)((~(unsigned)pid << 3) | 4 | 2);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, tc, &ts), EINVAL);
	harness_set_word(rel, 1);
	EXPECT_CHILD_EXIT(pid, 0);
	/* A pid that does not exist. */
	c = (clockid_t)((~0x3ffffffeu << 3) | 2);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, c, &ts), EINVAL);
}

TEST(sysconf_clk_tck)
{
	EXPECT_EQ(sysconf(_SC_CLK_TCK), 100);
}
