/* sched_yield, sched_getaffinity, getcpu and the scheduling policy queries. */
#include "harness.h"

#include <sched.h>

TEST(sched_yield_ok)
{
	for (int i = 0; i < 100; i++)
		EXPECT_EQ(syscall(SYS_sched_yield), 0);
}

TEST(getaffinity_returns_mask_size)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	long n = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	ASSERT_GT(n, 0);
	/* The kernel's cpumask size: a whole number of longs, within ours. */
	EXPECT_EQ(n % sizeof(long), 0);
	EXPECT_LE(n, (long)sizeof(set));
	EXPECT_GE(CPU_COUNT(&set), 1);
	/* Our own pid and tid name the same thread. */
	cpu_set_t set2;
	CPU_ZERO(&set2);
	EXPECT_EQ(syscall(SYS_sched_getaffinity, getpid(), sizeof(set2), &set2),
		  n);
	EXPECT_TRUE(CPU_EQUAL(&set, &set2));
}

TEST(getaffinity_libc_matches)
{
	cpu_set_t a, b;
	CPU_ZERO(&a);
	CPU_ZERO(&b);
	ASSERT_SYSCALL_OK(sched_getaffinity(0, sizeof(a), &a));
	ASSERT_SYSCALL_OK(syscall(SYS_sched_getaffinity, 0, sizeof(b), &b));
	EXPECT_TRUE(CPU_EQUAL(&a, &b));
}

TEST(getaffinity_einval)
{
	cpu_set_t set;
	long n = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	ASSERT_GT(n, 0);
	/* Not a multiple of sizeof(long). */
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, n + 1, &set), EINVAL);
	/* Smaller than the kernel's cpumask. */
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 0, &set), EINVAL);
}

TEST(getaffinity_esrch_efault)
{
	cpu_set_t set;
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0x7fffffff, sizeof(set),
			     &set),
		     ESRCH);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof(set), (void *)1),
		     EFAULT);
}

struct affinity_result {
	long n;
	cpu_set_t set;
};

static void *thread_affinity(void *arg)
{
	struct affinity_result *r = arg;
	CPU_ZERO(&r->set);
	r->n = syscall(SYS_sched_getaffinity, 0, sizeof(r->set), &r->set);
	return 0;
}

TEST(affinity_inherited_by_threads)
{
	cpu_set_t mine;
	CPU_ZERO(&mine);
	ASSERT_SYSCALL_OK(syscall(SYS_sched_getaffinity, 0, sizeof(mine), &mine));
	struct affinity_result r;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, thread_affinity, &r), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	EXPECT_GT(r.n, 0);
	EXPECT_TRUE(CPU_EQUAL(&mine, &r.set));
}

TEST(getcpu_within_affinity)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	ASSERT_SYSCALL_OK(syscall(SYS_sched_getaffinity, 0, sizeof(set), &set));
	unsigned cpu = ~0u, node = ~0u;
	ASSERT_SYSCALL_OK(syscall(SYS_getcpu, &cpu, &node, 0));
	EXPECT_LT(cpu, CPU_SETSIZE);
	EXPECT_TRUE(CPU_ISSET(cpu, &set));
	EXPECT_NE(node, ~0u);
	/* Either pointer may be NULL. */
	EXPECT_SYSCALL_OK(syscall(SYS_getcpu, 0, 0, 0));
}

TEST(scheduler_policy)
{
	EXPECT_EQ(syscall(SYS_sched_getscheduler, 0), SCHED_OTHER);
	EXPECT_EQ(syscall(SYS_sched_getscheduler, getpid()), SCHED_OTHER);
	EXPECT_ERRNO(syscall(SYS_sched_getscheduler, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getscheduler, 0x7fffffff), ESRCH);
	struct sched_param p = {.sched_priority = -1};
	EXPECT_SYSCALL_OK(syscall(SYS_sched_getparam, 0, &p));
	EXPECT_EQ(p.sched_priority, 0);
	EXPECT_EQ(syscall(SYS_sched_get_priority_max, SCHED_OTHER), 0);
	EXPECT_EQ(syscall(SYS_sched_get_priority_min, SCHED_OTHER), 0);
	EXPECT_EQ(syscall(SYS_sched_get_priority_max, SCHED_FIFO), 99);
	EXPECT_EQ(syscall(SYS_sched_get_priority_min, SCHED_FIFO), 1);
	EXPECT_ERRNO(syscall(SYS_sched_get_priority_max, 12345), EINVAL);
}
