/*
 * POSIX timers: timer_create's clocks and sigevents, timer_settime and
 * timer_gettime, signals and overruns, timer_delete, fork and exec.
 */
#include "harness.h"

#include <stdlib.h>

#define MS 1000000LL
#define BIT(sig) (1ULL << ((sig) - 1))

static long raw_create(long clock, void *sev, void *id)
{
	return syscall(SYS_timer_create, clock, sev, id);
}

static long raw_settime(long id, long flags, const void *new, void *old)
{
	return syscall(SYS_timer_settime, id, flags, new, old);
}

static long raw_gettime(long id, void *cur)
{
	return syscall(SYS_timer_gettime, id, cur);
}

static void delete_timer(void *arg)
{
	syscall(SYS_timer_delete, (long)(intptr_t)arg);
}

/* Creates a timer (ASSERTed) that the harness deletes after the test. */
static int create(clockid_t clock, int notify, int signo, long value)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = notify;
	sev.sigev_signo = signo;
	sev.sigev_value.sival_ptr = (void *)value;
	int id = -1;
	ASSERT_SYSCALL_OK(raw_create(clock, &sev, &id));
	EXPECT_GE(id, 0);
	harness_defer(delete_timer, (void *)(intptr_t)id);
	return id;
}

static void arm(int id, int flags, int64_t value_ns, int64_t interval_ns)
{
	struct itimerspec its = {harness_ns_to_ts(interval_ns),
				 harness_ns_to_ts(value_ns)};
	ASSERT_SYSCALL_OK(raw_settime(id, flags, &its, 0));
}

static void block(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
}

/* Takes a pending sig, waiting at most timeout_ns (0: just look). */
static int take(int sig, siginfo_t *info, int64_t timeout_ns)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec ts = harness_ns_to_ts(timeout_ns);
	memset(info, 0, sizeof(*info));
	return sigtimedwait(&set, info, &ts);
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = harness_ns_to_ts(ns);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

TEST(timer_create_clocks)
{
	static const clockid_t ok[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
				       CLOCK_BOOTTIME, CLOCK_TAI,
				       CLOCK_PROCESS_CPUTIME_ID,
				       CLOCK_THREAD_CPUTIME_ID};
	int ids[sizeof(ok) / sizeof(ok[0])];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ids[i] = create(ok[i], SIGEV_NONE, 0, 0);
		for (size_t j = 0; j < i; j++)
			EXPECT_NE(ids[i], ids[j]);
	}
	/* The calling process's own dynamic CPU clock (pid 0). */
	create(((~(clockid_t)0) << 3) | 2, SIGEV_NONE, 0, 0);
}

TEST(timer_create_unsupported_clocks)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_NONE;
	int id;
	static const clockid_t nosupp[] = {CLOCK_MONOTONIC_RAW,
					   CLOCK_REALTIME_COARSE,
					   CLOCK_MONOTONIC_COARSE};
	for (size_t i = 0; i < sizeof(nosupp) / sizeof(nosupp[0]); i++)
		EXPECT_ERRNO(raw_create(nosupp[i], &sev, &id), EOPNOTSUPP);
	static const clockid_t bad[] = {10, 12, 16, 100, -1};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERRNO(raw_create(bad[i], &sev, &id), EINVAL);
	/* Alarm clocks need an RTC: EOPNOTSUPP without one (the sandbox
	 * has none), else they work for root. */
	static const clockid_t alarms[] = {CLOCK_REALTIME_ALARM,
					   CLOCK_BOOTTIME_ALARM};
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		if (raw_create(alarms[i], &sev, &id) == 0)
			syscall(SYS_timer_delete, id);
		else
			EXPECT_EQ(errno, EOPNOTSUPP);
	}
}

TEST(timer_create_bad_sigevent_einval)
{
	struct {
		int notify, signo, tid;
	} bad[] = {
		{3, SIGUSR1, 0},
		{5, SIGUSR1, 0},
		{-1, SIGUSR1, 0},
		{SIGEV_SIGNAL, 0, 0},
		{SIGEV_SIGNAL, 65, 0},
		{SIGEV_SIGNAL, -1, 0},
		{SIGEV_THREAD, 0, 0},
		/* No such thread. */
		{SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGUSR1, 0x3fffffff},
		{SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGUSR1, 0},
		{SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGUSR1, -1},
		/* Our own thread, but no valid signal. */
		{SIGEV_SIGNAL | SIGEV_THREAD_ID, 0, harness_gettid()},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sigevent sev;
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = bad[i].notify;
		sev.sigev_signo = bad[i].signo;
		sev._sigev_un._tid = bad[i].tid;
		int id;
		EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, &sev, &id), EINVAL);
	}
	/* SIGEV_NONE ignores the signal number; SIGEV_THREAD (a C library
	 * notion) is a signal to the process for the kernel. */
	create(CLOCK_MONOTONIC, SIGEV_NONE, 65, 0);
	create(CLOCK_MONOTONIC, SIGEV_THREAD, SIGUSR1, 0);
}

static void exit_now(void *arg)
{
	(void)arg;
}

TEST(timer_create_thread_id_of_other_process_einval)
{
	pid_t pid = harness_fork_child(exit_now, 0);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL | SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = pid;
	int id;
	/* The child (alive or a zombie) is not a thread of ours. */
	EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, &sev, &id), EINVAL);
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(timer_create_efault)
{
	void *bad = harness_unmapped(harness_page_size());
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_NONE;
	int id;
	EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, bad, &id), EFAULT);
	EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, &sev, bad), EFAULT);
	EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, 0, bad), EFAULT);
	/* The sigevent is read before the clock is looked at. */
	EXPECT_ERRNO(raw_create(100, bad, &id), EFAULT);
}

TEST(timer_null_sigevent_is_sigalrm_with_id)
{
	int id = -1;
	ASSERT_SYSCALL_OK(raw_create(CLOCK_MONOTONIC, 0, &id));
	harness_defer(delete_timer, (void *)(intptr_t)id);
	block(SIGALRM);
	arm(id, 0, 1 * MS, 0);
	siginfo_t info;
	ASSERT_EQ(take(SIGALRM, &info, 30000 * MS), SIGALRM);
	EXPECT_EQ(info.si_code, SI_TIMER);
	EXPECT_EQ(info.si_timerid, id);
	EXPECT_EQ(info.si_value.sival_int, id);
	EXPECT_EQ(info.si_overrun, 0);
}

TEST(timer_signal_carries_value_and_id)
{
	int sig = SIGRTMIN + 2;
	int id = create(CLOCK_REALTIME, SIGEV_SIGNAL, sig, 0x1234567);
	block(sig);
	arm(id, 0, 1 * MS, 0);
	siginfo_t info;
	ASSERT_EQ(take(sig, &info, 30000 * MS), sig);
	EXPECT_EQ(info.si_code, SI_TIMER);
	EXPECT_EQ(info.si_timerid, id);
	EXPECT_EQ((long)info.si_value.sival_ptr, 0x1234567);
	EXPECT_EQ(syscall(SYS_timer_getoverrun, id), 0);
	/* One-shot: nothing more. */
	EXPECT_EQ(take(sig, &info, 0), -1);
}

TEST(timer_settime_errors)
{
	int id = create(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
	struct itimerspec ok;
	memset(&ok, 0, sizeof(ok));
	EXPECT_ERRNO(raw_settime(id, 0, 0, 0), EINVAL);
	static const struct itimerspec bad[] = {
		{{0, 0}, {0, 1000000000}},
		{{0, 0}, {0, -1}},
		{{0, 0}, {-1, 0}},
		{{0, 1000000000}, {1, 0}},
		{{-1, 0}, {1, 0}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERRNO(raw_settime(id, 0, &bad[i], 0), EINVAL);
	EXPECT_ERRNO(raw_settime(id + 1000, 0, &ok, 0), EINVAL);
	EXPECT_ERRNO(raw_settime(-1, 0, &ok, 0), EINVAL);
	void *badp = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(raw_settime(id, 0, badp, 0), EFAULT);
	EXPECT_ERRNO(raw_settime(id, 0, &ok, badp), EFAULT);
	/* Flags other than TIMER_ABSTIME are ignored. */
	EXPECT_SYSCALL_OK(raw_settime(id, 0xfe, &ok, 0));
}

TEST(timer_gettime_getoverrun_delete_errors)
{
	int id = create(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
	struct itimerspec cur;
	EXPECT_ERRNO(raw_gettime(id, 0), EFAULT);
	EXPECT_ERRNO(raw_gettime(id + 1000, &cur), EINVAL);
	EXPECT_ERRNO(raw_gettime(id + 1000, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_getoverrun, id + 1000), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_delete, id + 1000), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_delete, -1), EINVAL);

	int gone = -1;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_NONE;
	ASSERT_SYSCALL_OK(raw_create(CLOCK_MONOTONIC, &sev, &gone));
	ASSERT_SYSCALL_OK(syscall(SYS_timer_delete, gone));
	EXPECT_ERRNO(syscall(SYS_timer_delete, gone), EINVAL);
	EXPECT_ERRNO(raw_gettime(gone, &cur), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_getoverrun, gone), EINVAL);
}

TEST(timer_gettime_remaining_and_old_value)
{
	int id = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0);
	struct itimerspec cur, old;
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_EQ(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 0);

	arm(id, 0, 30000 * MS, 250 * MS);
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_GT(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_LE(harness_ts_to_ns(&cur.it_value), 30000 * MS);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 250 * MS);

	struct itimerspec zero;
	memset(&zero, 0, sizeof(zero));
	ASSERT_SYSCALL_OK(raw_settime(id, 0, &zero, &old));
	EXPECT_GT(harness_ts_to_ns(&old.it_value), 0);
	EXPECT_LE(harness_ts_to_ns(&old.it_value),
		  harness_ts_to_ns(&cur.it_value));
	EXPECT_EQ(harness_ts_to_ns(&old.it_interval), 250 * MS);

	/* Disarmed: a zero value also clears the interval. */
	struct itimerspec interval_only = {{1, 0}, {0, 0}};
	ASSERT_SYSCALL_OK(raw_settime(id, 0, &interval_only, 0));
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_EQ(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 0);
}

TEST(timer_abstime)
{
	int sig = SIGRTMIN + 1;
	int id = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 7);
	block(sig);
	/* Far in the future: remaining is at most the distance. */
	int64_t now = harness_now_ns(CLOCK_MONOTONIC);
	arm(id, TIMER_ABSTIME, now + 20000 * MS, 0);
	struct itimerspec cur;
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_GT(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_LE(harness_ts_to_ns(&cur.it_value), 20000 * MS);
	/* In the past: it expires at once. */
	arm(id, TIMER_ABSTIME, now - 1000 * MS > 0 ? now - 1000 * MS : 1, 0);
	siginfo_t info;
	ASSERT_EQ(take(sig, &info, 30000 * MS), sig);
	EXPECT_EQ(info.si_value.sival_int, 7);
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_EQ(harness_ts_to_ns(&cur.it_value), 0);
}

TEST(timer_periodic_signal_counts_overruns)
{
	int sig = SIGRTMIN + 3;
	int id = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0);
	block(sig);
	arm(id, 0, 5 * MS, 5 * MS);
	/* Sleep many intervals while the signal is blocked. */
	sleep_ns(60 * MS);
	sigset_t pending;
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, sig));
	/* The queued signal is not re-queued for later expirations: they
	 * are counted as its overruns. */
	siginfo_t info;
	ASSERT_EQ(take(sig, &info, 0), sig);
	EXPECT_EQ(info.si_code, SI_TIMER);
	EXPECT_GE(info.si_overrun, 1);
	EXPECT_EQ(syscall(SYS_timer_getoverrun, id), info.si_overrun);
	/* Taking it restarted the timer: it expires again. */
	ASSERT_EQ(take(sig, &info, 30000 * MS), sig);
	EXPECT_GE(info.si_overrun, 0);
}

TEST(timer_gettime_while_signal_pending)
{
	int sig = SIGRTMIN + 3;
	int id = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0);
	block(sig);
	arm(id, 0, 10 * MS, 10 * MS);
	sleep_ns(40 * MS);
	/* The interval timer still reports its next expiration. */
	struct itimerspec cur;
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_GT(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_LE(harness_ts_to_ns(&cur.it_value), 10 * MS);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 10 * MS);
	/* A one-shot timer whose signal is pending shows zero. */
	arm(id, 0, 1 * MS, 0);
	siginfo_t info;
	sleep_ns(20 * MS);
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_EQ(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_EQ(harness_ts_to_ns(&cur.it_interval), 0);
	ASSERT_EQ(take(sig, &info, 30000 * MS), sig);
	EXPECT_EQ(info.si_overrun, 0);
}

TEST(timer_delete_or_reset_drops_pending_signal)
{
	/* Linux 6.13 and later (the timer signal rework) drop the signal
	 * of a timer deleted or re-set while it was queued; older kernels
	 * delivered it. The sandbox follows 6.13. */
	int sig = SIGRTMIN + 4;
	block(sig);
	for (int reset = 0; reset < 2; reset++) {
		int id = -1;
		struct sigevent sev;
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = sig;
		ASSERT_SYSCALL_OK(raw_create(CLOCK_MONOTONIC, &sev, &id));
		arm(id, 0, 1 * MS, 0);
		sigset_t pending;
		do {
			sleep_ns(1 * MS);
			ASSERT_SYSCALL_OK(sigpending(&pending));
		} while (!sigismember(&pending, sig));
		if (reset)
			arm(id, 0, 30000 * MS, 0);
		else
			ASSERT_SYSCALL_OK(syscall(SYS_timer_delete, id));
		/* Still pending, but dropped when taken. */
		ASSERT_SYSCALL_OK(sigpending(&pending));
		EXPECT_TRUE(sigismember(&pending, sig));
		siginfo_t info;
		EXPECT_EQ(take(sig, &info, 0), -1);
		EXPECT_EQ(errno, EAGAIN);
		if (reset)
			ASSERT_SYSCALL_OK(syscall(SYS_timer_delete, id));
	}
}

TEST(timer_sigev_none_sends_nothing)
{
	int id = create(CLOCK_MONOTONIC, SIGEV_NONE, SIGUSR1, 0);
	block(SIGUSR1);
	arm(id, 0, 1 * MS, 0);
	sleep_ns(20 * MS);
	sigset_t pending;
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_FALSE(sigismember(&pending, SIGUSR1));
	/* An expired one-shot timer reads zero. */
	struct itimerspec cur;
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_EQ(harness_ts_to_ns(&cur.it_value), 0);
	/* A periodic one keeps counting down. */
	arm(id, 0, 5 * MS, 5 * MS);
	sleep_ns(20 * MS);
	ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
	EXPECT_GT(harness_ts_to_ns(&cur.it_value), 0);
	EXPECT_LE(harness_ts_to_ns(&cur.it_value), 5 * MS);
	EXPECT_EQ(syscall(SYS_timer_getoverrun, id), 0);
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	handled++;
}

struct waiter_arg {
	pid_t tid;
	int ready;
	int got;
	int code;
};

static void *wait_usr1(void *p)
{
	struct waiter_arg *w = p;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, 0);
	w->tid = harness_gettid();
	__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
	siginfo_t info;
	struct timespec ts = {30, 0};
	w->got = sigtimedwait(&set, &info, &ts);
	w->code = info.si_code;
	return 0;
}

TEST(timer_sigev_thread_id_targets_thread)
{
	/* This thread handles SIGUSR1; the other blocks and waits for it.
	 * A process-directed signal would go to the thread that does not
	 * block it: this one. */
	handled = 0;
	harness_set_handler(SIGUSR1, on_usr1, SA_RESTART);
	struct waiter_arg w = {0, 0, 0, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, wait_usr1, &w), 0);
	while (!__atomic_load_n(&w.ready, __ATOMIC_SEQ_CST))
		sleep_ns(1 * MS);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL | SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = w.tid;
	int id = -1;
	ASSERT_SYSCALL_OK(raw_create(CLOCK_MONOTONIC, &sev, &id));
	harness_defer(delete_timer, (void *)(intptr_t)id);
	arm(id, 0, 1 * MS, 0);
	pthread_join(th, 0);
	EXPECT_EQ(w.got, SIGUSR1);
	EXPECT_EQ(w.code, SI_TIMER);
	EXPECT_EQ(handled, 0);
}

static volatile sig_atomic_t cpu_hits;

static void on_cpu_timer(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	if (info->si_code == SI_TIMER)
		cpu_hits++;
}

TEST(timer_cpu_clocks_expire_while_running)
{
	/*
	 * In the sandbox CPU clocks count the CPU time of the host threads
	 * running application code, sampled every 1-100ms: an
	 * approximation of Linux's accounting. A busy loop consumes it
	 * either way.
	 */
	static const clockid_t clocks[] = {CLOCK_THREAD_CPUTIME_ID,
					   CLOCK_PROCESS_CPUTIME_ID};
	harness_set_handler(SIGUSR2, on_cpu_timer, SA_RESTART);
	for (size_t i = 0; i < 2; i++) {
		cpu_hits = 0;
		int id = create(clocks[i], SIGEV_SIGNAL, SIGUSR2, 0);
		arm(id, 0, 20 * MS, 0);
		struct itimerspec cur;
		ASSERT_SYSCALL_OK(raw_gettime(id, &cur));
		EXPECT_LE(harness_ts_to_ns(&cur.it_value), 20 * MS);
		volatile unsigned long x = 0;
		while (cpu_hits == 0)
			x++;
		EXPECT_EQ(cpu_hits, 1);
	}
}

static void check_no_timer(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct itimerspec cur;
	/* fork(2): the child inherits no POSIX timers. */
	EXPECT_ERRNO(raw_gettime(id, &cur), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_delete, id), EINVAL);
}

TEST(timer_not_inherited_by_fork)
{
	int id = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0);
	arm(id, 0, 30000 * MS, 0);
	pid_t pid = harness_fork_child(check_no_timer, (void *)(intptr_t)id);
	EXPECT_CHILD_EXIT(pid, 0);
	struct itimerspec cur;
	EXPECT_SYSCALL_OK(raw_gettime(id, &cur));
}

CHILD_MODE(timer_report_after_exec)
{
	if (argc < 2)
		return 2;
	int id = atoi(argv[1]);
	struct itimerspec cur;
	/* execve deletes POSIX timers. */
	if (raw_gettime(id, &cur) != -1 || errno != EINVAL)
		return 3;
	return 0;
}

static void exec_with_timer(void *arg)
{
	(void)arg;
	int id = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0);
	arm(id, 0, 30000 * MS, 0);
	char idstr[16];
	snprintf(idstr, sizeof(idstr), "%d", id);
	char *argv[] = {(char *)harness_exe_path(), HARNESS_CHILD_FLAG,
			"timer_report_after_exec", idstr, 0};
	ASSERT_SYSCALL_OK(execv(argv[0], argv));
}

TEST(timer_deleted_by_exec)
{
	pid_t pid = harness_fork_child(exec_with_timer, 0);
	EXPECT_CHILD_EXIT(pid, 0);
}
