/*
 * exit_group from a non-main thread ends every thread of the process, with
 * that thread's status.
 *
 * This file holds one test on purpose: the process ends inside it. A thread
 * prints the test's OK line and calls exit_group(0) while the main thread and
 * a third thread block forever; if exit_group failed to end them the run
 * would never finish and the runner's timeout would report the failure.
 */
#include "harness.h"

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

static void *end_everything(void *arg)
{
	(void)arg;
	printf("[  OK ] exit_group_from_thread_ends_all\n");
	printf("1 test(s) run, 0 failed, 0 skipped (exit_group from thread %ld)\n",
	       (long)syscall(SYS_gettid));
	fflush(stdout);
	syscall(SYS_exit_group, 0);
	return 0;
}

TEST(exit_group_from_thread_ends_all)
{
	pthread_t idler, ender;
	ASSERT_EQ(pthread_create(&idler, 0, idle, 0), 0);
	ASSERT_EQ(pthread_create(&ender, 0, end_everything, 0), 0);
	/* Never returns unless exit_group is broken. */
	sigset_t all;
	sigfillset(&all);
	for (;;)
		sigsuspend(&all);
}
