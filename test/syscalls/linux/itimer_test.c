/* setitimer/getitimer: errors, old values, ITIMER_REAL, VIRTUAL and PROF. */
#include "harness.h"

#include <sys/time.h>

#define USEC 1000000LL

static const int which_all[] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
static const int sig_of[] = {SIGALRM, SIGVTALRM, SIGPROF};

static void disarm_all(void *arg)
{
	(void)arg;
	struct itimerval zero;
	memset(&zero, 0, sizeof(zero));
	for (int i = 0; i < 3; i++)
		setitimer(which_all[i], &zero, 0);
}

static long raw_setitimer(long which, const void *v, void *old)
{
	return syscall(SYS_setitimer, which, v, old);
}

static long raw_getitimer(long which, void *v)
{
	return syscall(SYS_getitimer, which, v);
}

static int64_t usecs(struct timeval tv)
{
	return tv.tv_sec * USEC + tv.tv_usec;
}

static volatile sig_atomic_t hits[65];
static volatile int last_code;

static void on_sig(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	hits[sig]++;
	last_code = info->si_code;
}

TEST(itimer_bad_which_einval)
{
	struct itimerval v;
	memset(&v, 0, sizeof(v));
	static const long bad[] = {3, -1, 100};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_ERRNO(raw_getitimer(bad[i], &v), EINVAL);
		EXPECT_ERRNO(raw_setitimer(bad[i], &v, 0), EINVAL);
		EXPECT_ERRNO(raw_setitimer(bad[i], 0, 0), EINVAL);
		/* which is checked before the result is written. */
		EXPECT_ERRNO(raw_getitimer(bad[i], 0), EINVAL);
	}
}

TEST(itimer_bad_pointers_efault)
{
	harness_defer(disarm_all, 0);
	void *bad = harness_unmapped(harness_page_size());
	struct itimerval v;
	memset(&v, 0, sizeof(v));
	EXPECT_ERRNO(raw_getitimer(ITIMER_REAL, bad), EFAULT);
	EXPECT_ERRNO(raw_getitimer(ITIMER_REAL, 0), EFAULT);
	EXPECT_ERRNO(raw_setitimer(ITIMER_REAL, bad, 0), EFAULT);
	/* The new value is read before which is looked at. */
	EXPECT_ERRNO(raw_setitimer(3, bad, 0), EFAULT);
	EXPECT_ERRNO(raw_setitimer(ITIMER_REAL, &v, bad), EFAULT);
}

TEST(itimer_bad_times_einval)
{
	static const struct itimerval bad[] = {
		{{0, 0}, {0, 1000000}},
		{{0, 0}, {0, -1}},
		{{0, 0}, {-1, 0}},
		{{0, 1000000}, {1, 0}},
		{{-1, 0}, {1, 0}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int w = 0; w < 3; w++)
			EXPECT_ERRNO(raw_setitimer(which_all[w], &bad[i], 0),
				     EINVAL);
		/* The times are checked before which. */
		EXPECT_ERRNO(raw_setitimer(3, &bad[i], 0), EINVAL);
	}
}

TEST(itimer_unset_reads_zero)
{
	disarm_all(0);
	for (int w = 0; w < 3; w++) {
		struct itimerval v;
		memset(&v, 0xff, sizeof(v));
		ASSERT_SYSCALL_OK(getitimer(which_all[w], &v));
		EXPECT_EQ(usecs(v.it_value), 0);
		EXPECT_EQ(usecs(v.it_interval), 0);
	}
}

TEST(itimer_old_value_and_remaining)
{
	harness_defer(disarm_all, 0);
	for (int w = 0; w < 3; w++) {
		struct itimerval v = {{2, 500000}, {40, 0}}, old, cur;
		ASSERT_SYSCALL_OK(setitimer(which_all[w], &v, &old));
		EXPECT_EQ(usecs(old.it_value), 0);
		ASSERT_SYSCALL_OK(getitimer(which_all[w], &cur));
		EXPECT_GT(usecs(cur.it_value), 0);
		/* Linux adds a scheduler tick (at most 10ms) to the CPU
		 * timers' expiry. */
		EXPECT_LE(usecs(cur.it_value),
			  40 * USEC + (which_all[w] == ITIMER_REAL ? 0 : 10000));
		EXPECT_EQ(usecs(cur.it_interval), 2 * USEC + 500000);

		struct itimerval zero;
		memset(&zero, 0, sizeof(zero));
		ASSERT_SYSCALL_OK(setitimer(which_all[w], &zero, &old));
		EXPECT_GT(usecs(old.it_value), 0);
		EXPECT_LE(usecs(old.it_value), usecs(cur.it_value));
		EXPECT_EQ(usecs(old.it_interval), 2 * USEC + 500000);
	}
}

TEST(itimer_disarmed_interval_kept_by_cpu_timers_only)
{
	harness_defer(disarm_all, 0);
	/* A zero value disarms; ITIMER_REAL forgets the interval then,
	 * the CPU-time timers keep it (Linux's do_setitimer). */
	static const int64_t want_interval[] = {0, 2 * USEC, 2 * USEC};
	for (int w = 0; w < 3; w++) {
		struct itimerval v = {{2, 0}, {0, 0}}, cur;
		ASSERT_SYSCALL_OK(setitimer(which_all[w], &v, 0));
		ASSERT_SYSCALL_OK(getitimer(which_all[w], &cur));
		EXPECT_EQ(usecs(cur.it_value), 0);
		EXPECT_EQ(usecs(cur.it_interval), want_interval[w]);
	}
}

TEST(itimer_null_new_value_disarms)
{
	harness_defer(disarm_all, 0);
	struct itimerval v = {{0, 0}, {30, 0}}, old;
	ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &v, 0));
	/* A NULL new value is a disarm (a misfeature Linux keeps). */
	ASSERT_SYSCALL_OK(raw_setitimer(ITIMER_REAL, 0, &old));
	EXPECT_GT(usecs(old.it_value), 0);
	ASSERT_SYSCALL_OK(getitimer(ITIMER_REAL, &v));
	EXPECT_EQ(usecs(v.it_value), 0);
}

TEST(itimer_real_periodic_sigalrm)
{
	harness_defer(disarm_all, 0);
	hits[SIGALRM] = 0;
	last_code = -1;
	harness_set_handler(SIGALRM, on_sig, SA_RESTART);
	struct itimerval v = {{0, 10000}, {0, 10000}};
	ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &v, 0));
	sigset_t none;
	sigemptyset(&none);
	while (hits[SIGALRM] < 3)
		sigsuspend(&none);
	disarm_all(0);
	EXPECT_GE(hits[SIGALRM], 3);
	EXPECT_EQ(last_code, SI_KERNEL);
}

TEST(itimer_real_stops_while_sigalrm_pending)
{
	harness_defer(disarm_all, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	struct itimerval v = {{0, 20000}, {0, 20000}}, cur;
	ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &v, 0));
	/* Sleep three intervals: it has expired. */
	struct timespec ts = {0, 60 * 1000000L};
	nanosleep(&ts, 0);
	sigset_t pending;
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGALRM));
	/* Linux stops ITIMER_REAL when it sends SIGALRM... */
	ASSERT_SYSCALL_OK(getitimer(ITIMER_REAL, &cur));
	EXPECT_EQ(usecs(cur.it_value), 0);
	EXPECT_EQ(usecs(cur.it_interval), 20000);
	/* ...and restarts it when the SIGALRM is taken. */
	struct timespec zero = {0, 0};
	EXPECT_EQ(sigtimedwait(&set, 0, &zero), SIGALRM);
	ASSERT_SYSCALL_OK(getitimer(ITIMER_REAL, &cur));
	EXPECT_GT(usecs(cur.it_value), 0);
	EXPECT_LE(usecs(cur.it_value), 20000);
	/* It expires again. */
	siginfo_t info;
	EXPECT_EQ(sigwaitinfo(&set, &info), SIGALRM);
	EXPECT_EQ(info.si_code, SI_KERNEL);
}

TEST(itimer_real_stays_stopped_while_ignored)
{
	harness_defer(disarm_all, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	ASSERT_SYSCALL_OK(sigaction(SIGALRM, &sa, 0));
	struct itimerval v = {{0, 10000}, {0, 10000}}, cur;
	ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &v, 0));
	struct timespec ts = {0, 50 * 1000000L};
	nanosleep(&ts, 0);
	/* The ignored SIGALRM was dropped, never taken: the timer does
	 * not restart (Linux's dequeue_signal restarts it). */
	ASSERT_SYSCALL_OK(getitimer(ITIMER_REAL, &cur));
	EXPECT_EQ(usecs(cur.it_value), 0);
	EXPECT_EQ(usecs(cur.it_interval), 10000);
}

/* Burns CPU in this thread until sig was handled. */
static void spin_until(int sig)
{
	volatile unsigned long x = 0;
	while (hits[sig] == 0)
		x++;
}

TEST(itimer_cpu_timers_fire_while_running)
{
	/*
	 * In the sandbox both CPU timers count the CPU time of the host
	 * threads that run application code (user and system time alike,
	 * not the sentry's time serving system calls), sampled at 1-100ms:
	 * an approximation of ITIMER_VIRTUAL (user time) and ITIMER_PROF
	 * (user and system time). A busy loop consumes both.
	 */
	harness_defer(disarm_all, 0);
	for (int w = 1; w < 3; w++) {
		int sig = sig_of[w];
		hits[sig] = 0;
		last_code = -1;
		harness_set_handler(sig, on_sig, SA_RESTART);
		struct itimerval v = {{0, 0}, {0, 20000}};
		ASSERT_SYSCALL_OK(setitimer(which_all[w], &v, 0));
		spin_until(sig);
		EXPECT_EQ(hits[sig], 1);
		EXPECT_EQ(last_code, SI_KERNEL);
		/* A one-shot timer is disarmed once it fired. */
		struct itimerval cur;
		ASSERT_SYSCALL_OK(getitimer(which_all[w], &cur));
		EXPECT_EQ(usecs(cur.it_value), 0);
	}
}

TEST(itimer_prof_periodic_while_running)
{
	harness_defer(disarm_all, 0);
	hits[SIGPROF] = 0;
	harness_set_handler(SIGPROF, on_sig, SA_RESTART);
	struct itimerval v = {{0, 5000}, {0, 5000}};
	ASSERT_SYSCALL_OK(setitimer(ITIMER_PROF, &v, 0));
	volatile unsigned long x = 0;
	while (hits[SIGPROF] < 3)
		x++;
	disarm_all(0);
	EXPECT_GE(hits[SIGPROF], 3);
}

TEST(itimer_virtual_default_action_terminates_child)
{
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct itimerval v = {{0, 0}, {0, 10000}};
		if (setitimer(ITIMER_VIRTUAL, &v, 0) != 0)
			_exit(1);
		volatile unsigned long x = 0;
		for (;;)
			x++;
	}
	EXPECT_CHILD_KILLED(pid, SIGVTALRM);
}

static void check_no_itimers(void *arg)
{
	(void)arg;
	for (int w = 0; w < 3; w++) {
		struct itimerval cur;
		ASSERT_SYSCALL_OK(getitimer(which_all[w], &cur));
		EXPECT_EQ(usecs(cur.it_value), 0);
		EXPECT_EQ(usecs(cur.it_interval), 0);
	}
}

TEST(itimer_not_inherited_by_fork)
{
	harness_defer(disarm_all, 0);
	for (int w = 0; w < 3; w++) {
		struct itimerval v = {{5, 0}, {60, 0}};
		ASSERT_SYSCALL_OK(setitimer(which_all[w], &v, 0));
	}
	pid_t pid = harness_fork_child(check_no_itimers, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	struct itimerval cur;
	ASSERT_SYSCALL_OK(getitimer(ITIMER_REAL, &cur));
	EXPECT_GT(usecs(cur.it_value), 0);
}

CHILD_MODE(itimer_report_after_exec)
{
	(void)argc;
	(void)argv;
	/* execve keeps the interval timers. */
	struct itimerval cur;
	if (getitimer(ITIMER_REAL, &cur) != 0)
		return 2;
	int ok = usecs(cur.it_value) > 0 && usecs(cur.it_interval) == 60 * USEC;
	struct itimerval zero;
	memset(&zero, 0, sizeof(zero));
	setitimer(ITIMER_REAL, &zero, 0);
	return ok ? 0 : 3;
}

static void exec_with_itimer(void *arg)
{
	(void)arg;
	struct itimerval v = {{60, 0}, {60, 0}};
	ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &v, 0));
	char *argv[] = {(char *)harness_exe_path(), HARNESS_CHILD_FLAG,
			"itimer_report_after_exec", 0};
	ASSERT_SYSCALL_OK(execv(argv[0], argv));
}

TEST(itimer_real_survives_exec)
{
	pid_t pid = harness_fork_child(exec_with_itimer, 0);
	EXPECT_CHILD_EXIT(pid, 0);
}
