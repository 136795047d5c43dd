/* kill, tgkill and tkill: delivery to self, probes with signal 0, errors. */
#include "harness.h"

#include <limits.h>

static volatile sig_atomic_t hits;
static volatile int seen_code, seen_pid, seen_uid, seen_tid;

static void record(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	hits++;
	seen_code = info->si_code;
	seen_pid = info->si_pid;
	seen_uid = info->si_uid;
	seen_tid = (int)syscall(SYS_gettid);
}

TEST(kill_self_runs_handler)
{
	harness_set_handler(SIGUSR1, record, 0);
	hits = 0;
	ASSERT_SYSCALL_OK(syscall(SYS_kill, getpid(), SIGUSR1));
	/* An unblocked signal sent to oneself is handled before kill returns. */
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(seen_code, SI_USER);
	EXPECT_EQ(seen_pid, getpid());
	EXPECT_EQ(seen_uid, getuid());
}

TEST(tgkill_self_runs_handler)
{
	harness_set_handler(SIGUSR2, record, 0);
	hits = 0;
	ASSERT_SYSCALL_OK(harness_tgkill(getpid(), harness_gettid(), SIGUSR2));
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(seen_code, SI_TKILL);
	EXPECT_EQ(seen_pid, getpid());
	EXPECT_EQ(seen_uid, getuid());
}

TEST(tkill_self_runs_handler)
{
	harness_set_handler(SIGUSR1, record, 0);
	hits = 0;
	ASSERT_SYSCALL_OK(syscall(SYS_tkill, harness_gettid(), SIGUSR1));
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(seen_code, SI_TKILL);
}

TEST(signal_zero_probes)
{
	EXPECT_EQ(syscall(SYS_kill, getpid(), 0), 0);
	EXPECT_EQ(syscall(SYS_kill, 0, 0), 0);
	/* In the sandbox the test is init, whose group id is 1: -1 would
	 * mean "every process but init and the caller". */
	if (getpgrp() != 1)
		EXPECT_EQ(syscall(SYS_kill, -getpgrp(), 0), 0);
	EXPECT_EQ(harness_tgkill(getpid(), harness_gettid(), 0), 0);
	EXPECT_EQ(syscall(SYS_tkill, harness_gettid(), 0), 0);
}

TEST(esrch)
{
	/* No such process or thread (pid_max is at most 2^22). */
	pid_t none = INT_MAX;
	EXPECT_ERRNO(syscall(SYS_kill, none, 0), ESRCH);
	EXPECT_ERRNO(syscall(SYS_kill, none, SIGUSR1), ESRCH);
	EXPECT_ERRNO(syscall(SYS_kill, -none, 0), ESRCH);
	EXPECT_ERRNO(harness_tgkill(getpid(), none, 0), ESRCH);
	EXPECT_ERRNO(harness_tgkill(none, harness_gettid(), 0), ESRCH);
	EXPECT_ERRNO(syscall(SYS_tkill, none, 0), ESRCH);
}

TEST(einval)
{
	static const int bad_sigs[] = {-1, 65, 1000};
	for (int i = 0; i < 3; i++) {
		EXPECT_ERRNO(syscall(SYS_kill, getpid(), bad_sigs[i]), EINVAL);
		EXPECT_ERRNO(harness_tgkill(getpid(), harness_gettid(),
					    bad_sigs[i]),
			     EINVAL);
		EXPECT_ERRNO(syscall(SYS_tkill, harness_gettid(), bad_sigs[i]),
			     EINVAL);
	}
	/* Non-positive thread or thread-group ids. */
	EXPECT_ERRNO(harness_tgkill(getpid(), 0, 0), EINVAL);
	EXPECT_ERRNO(harness_tgkill(getpid(), -1, 0), EINVAL);
	EXPECT_ERRNO(harness_tgkill(0, harness_gettid(), 0), EINVAL);
	EXPECT_ERRNO(harness_tgkill(-1, harness_gettid(), 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, 0, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, -1, 0), EINVAL);
}

struct target {
	pid_t tid;
	int ready;  /* atomic */
	int done;   /* atomic */
	int hits;   /* atomic: SIGUSR1 handled by this thread */
};

static struct target *the_target;

static void count_in_target(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	if (the_target && syscall(SYS_gettid) == the_target->tid)
		__atomic_add_fetch(&the_target->hits, 1, __ATOMIC_SEQ_CST);
}

static void *target_main(void *arg)
{
	struct target *t = arg;
	t->tid = (pid_t)syscall(SYS_gettid);
	__atomic_store_n(&t->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&t->done, __ATOMIC_SEQ_CST))
		sched_yield();
	return 0;
}

TEST(tgkill_other_thread)
{
	harness_set_handler(SIGUSR1, count_in_target, 0);
	struct target t;
	memset(&t, 0, sizeof(t));
	the_target = &t;
	/* Only the target may take SIGUSR1. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	sigset_t none;
	sigemptyset(&none);
	pthread_t th;
	pthread_sigmask(SIG_SETMASK, &none, &set);
	ASSERT_EQ(pthread_create(&th, 0, target_main, &t), 0);
	pthread_sigmask(SIG_SETMASK, &set, 0);
	while (!__atomic_load_n(&t.ready, __ATOMIC_SEQ_CST))
		sched_yield();
	EXPECT_SYSCALL_OK(harness_tgkill(getpid(), t.tid, SIGUSR1));
	while (__atomic_load_n(&t.hits, __ATOMIC_SEQ_CST) == 0)
		sched_yield();
	/* A process-directed signal goes to the thread that does not block it. */
	EXPECT_SYSCALL_OK(syscall(SYS_kill, getpid(), SIGUSR1));
	while (__atomic_load_n(&t.hits, __ATOMIC_SEQ_CST) < 2)
		sched_yield();
	__atomic_store_n(&t.done, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(pthread_join(th, 0), 0);
	the_target = 0;
	EXPECT_EQ(t.hits, 2);
}

TEST(raise_and_libc_kill)
{
	harness_set_handler(SIGUSR1, record, 0);
	hits = 0;
	EXPECT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
	EXPECT_SYSCALL_OK(kill(getpid(), SIGUSR1));
	EXPECT_EQ(hits, 2);
	EXPECT_ERRNO(kill(getpid(), 65), EINVAL);
}
