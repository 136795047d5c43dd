/* alarm: the time left and its rounding, cancelling, SIGALRM delivery. */
#include "harness.h"

#include <limits.h>
#include <sys/time.h>

#define MS 1000000LL

static void disarm_real(void *arg)
{
	(void)arg;
	struct itimerval zero;
	memset(&zero, 0, sizeof(zero));
	setitimer(ITIMER_REAL, &zero, 0);
}

/* Arms ITIMER_REAL and has the harness disarm it after the test. */
static void set_real(long sec, long usec, long isec, long iusec)
{
	struct itimerval v = {{isec, iusec}, {sec, usec}};
	ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &v, 0));
	harness_defer(disarm_real, 0);
}

static unsigned raw_alarm(unsigned secs)
{
	return (unsigned)syscall(SYS_alarm, secs);
}

static volatile sig_atomic_t alrm_hits;
static volatile int alrm_code, alrm_pid;

static void on_alrm(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	alrm_hits++;
	alrm_code = info->si_code;
	alrm_pid = info->si_pid;
}

/* Waits (in sigsuspend, SIGALRM unblocked) until n SIGALRMs were handled. */
static void wait_alrm(int n)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigset_t wait = old;
	sigdelset(&wait, SIGALRM);
	while (alrm_hits < n)
		sigsuspend(&wait);
	sigprocmask(SIG_SETMASK, &old, 0);
}

TEST(alarm_none_pending_returns_zero)
{
	raw_alarm(0);
	EXPECT_EQ(raw_alarm(0), 0);
}

TEST(alarm_returns_seconds_left)
{
	harness_defer(disarm_real, 0);
	EXPECT_EQ(raw_alarm(100), 0);
	/* Just under 100 s left: at least half a second rounds up. */
	EXPECT_EQ(raw_alarm(0), 100);
}

TEST(alarm_rounding)
{
	static const struct {
		long sec, usec;
		unsigned want;
	} cases[] = {
		/* Less than a second left is never reported as 0. */
		{0, 300000, 1},
		/* 1.2 s (less by now) rounds down, 1.9 s up. */
		{1, 200000, 1},
		{1, 900000, 2},
		{7, 0, 7},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_real(cases[i].sec, cases[i].usec, 0, 0);
		EXPECT_EQ(raw_alarm(0), cases[i].want);
	}
}

TEST(alarm_zero_cancels)
{
	harness_defer(disarm_real, 0);
	raw_alarm(30);
	EXPECT_EQ(raw_alarm(0), 30);
	struct itimerval v;
	ASSERT_SYSCALL_OK(getitimer(ITIMER_REAL, &v));
	EXPECT_EQ(v.it_value.tv_sec, 0);
	EXPECT_EQ(v.it_value.tv_usec, 0);
	EXPECT_EQ(raw_alarm(0), 0);
}

TEST(alarm_is_itimer_real)
{
	harness_defer(disarm_real, 0);
	raw_alarm(10);
	struct itimerval v;
	ASSERT_SYSCALL_OK(getitimer(ITIMER_REAL, &v));
	int64_t left = v.it_value.tv_sec * 1000000LL + v.it_value.tv_usec;
	EXPECT_GT(left, 0);
	EXPECT_LE(left, 10 * 1000000LL);
	EXPECT_EQ(v.it_interval.tv_sec, 0);
	EXPECT_EQ(v.it_interval.tv_usec, 0);
}

TEST(alarm_clears_interval)
{
	set_real(50, 0, 1, 0);
	EXPECT_EQ(raw_alarm(20), 50);
	struct itimerval v;
	ASSERT_SYSCALL_OK(getitimer(ITIMER_REAL, &v));
	EXPECT_EQ(v.it_interval.tv_sec, 0);
	EXPECT_EQ(v.it_interval.tv_usec, 0);
	EXPECT_GT(v.it_value.tv_sec, 0);
}

TEST(alarm_largest_value)
{
	harness_defer(disarm_real, 0);
	EXPECT_EQ(raw_alarm(UINT_MAX), 0);
	EXPECT_EQ(raw_alarm(0), UINT_MAX);
}

TEST(alarm_delivers_sigalrm)
{
	harness_defer(disarm_real, 0);
	alrm_hits = 0;
	alrm_code = alrm_pid = -1;
	harness_set_handler(SIGALRM, on_alrm, 0);
	raw_alarm(1);
	wait_alrm(1);
	EXPECT_EQ(alrm_hits, 1);
	/* Sent by the kernel: SI_KERNEL, no sender pid. */
	EXPECT_EQ(alrm_code, SI_KERNEL);
	EXPECT_EQ(alrm_pid, 0);
	/* A fired alarm is gone. */
	EXPECT_EQ(raw_alarm(0), 0);
}

TEST(alarm_interrupts_sleep)
{
	harness_defer(disarm_real, 0);
	alrm_hits = 0;
	harness_set_handler(SIGALRM, on_alrm, 0);
	raw_alarm(1);
	struct timespec ts = {30, 0}, rem = {0, 0};
	errno = 0;
	long r = syscall(SYS_nanosleep, &ts, &rem);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(errno, EINTR);
	EXPECT_EQ(alrm_hits, 1);
	EXPECT_GT(rem.tv_sec, 0);
	EXPECT_LE(rem.tv_sec, 30);
}

TEST(alarm_sigwait_when_blocked)
{
	harness_defer(disarm_real, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	raw_alarm(1);
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(sigwaitinfo(&set, &info), SIGALRM);
	EXPECT_EQ(info.si_code, SI_KERNEL);
}

static void alarm_and_pause(void *arg)
{
	(void)arg;
	raw_alarm(1);
	for (;;)
		pause();
}

TEST(alarm_default_action_terminates)
{
	/* SIGALRM is at SIG_DFL (the harness resets handlers before each
	 * test), so the child dies of it. */
	pid_t pid = harness_fork_child(alarm_and_pause, 0);
	EXPECT_CHILD_KILLED(pid, SIGALRM);
}

static void check_no_alarm(void *arg)
{
	(void)arg;
	/* fork(2): the child does not inherit its parent's alarm. */
	EXPECT_EQ(raw_alarm(0), 0);
}

TEST(alarm_not_inherited_by_fork)
{
	harness_defer(disarm_real, 0);
	raw_alarm(60);
	pid_t pid = harness_fork_child(check_no_alarm, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_GT(raw_alarm(0), 0);
}
