/*
 * Threads: pthread_create/join with a mutex and condvar, CLONE_CHILD_CLEARTID
 * (through join and through set_tid_address), thread-local storage, and exit
 * of a non-main thread.
 */
#include "harness.h"

#include <linux/futex.h>

#define NTHREADS 8
#define INCREMENTS 1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int counter;
static int finished;

static void *increment(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	finished++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return (void *)(long)syscall(SYS_gettid);
}

TEST(mutex_condvar_counter)
{
	pthread_t th[NTHREADS];
	counter = 0;
	finished = 0;
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_create(&th[i], 0, increment, 0), 0);
	pthread_mutex_lock(&mu);
	while (finished < NTHREADS)
		pthread_cond_wait(&cv, &mu);
	EXPECT_EQ(counter, NTHREADS * INCREMENTS);
	pthread_mutex_unlock(&mu);
	long tids[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		ASSERT_EQ(pthread_join(th[i], &ret), 0);
		tids[i] = (long)ret;
		EXPECT_NE(tids[i], getpid());
		for (int j = 0; j < i; j++)
			EXPECT_NE(tids[i], tids[j]);
	}
}

static void *return_arg(void *arg)
{
	return arg;
}

TEST(join_returns_value)
{
	/* pthread_join waits on the tid word the kernel clears at exit. */
	for (long i = 0; i < 20; i++) {
		pthread_t th;
		ASSERT_EQ(pthread_create(&th, 0, return_arg, (void *)i), 0);
		void *ret;
		ASSERT_EQ(pthread_join(th, &ret), 0);
		EXPECT_EQ((long)ret, i);
	}
}

static __thread int tls_value = 17;
static __thread char tls_buf[64];

struct tls_result {
	int initial;
	int final;
	void *addr;
	int buf_ok;
};

static pthread_barrier_t tls_barrier;

static void *tls_main(void *arg)
{
	struct tls_result *r = arg;
	r->initial = tls_value;
	r->addr = &tls_value;
	tls_value = (int)(uintptr_t)arg & 0xffff;
	memset(tls_buf, (int)((uintptr_t)arg & 0x7f), sizeof(tls_buf));
	/* Everyone writes before anyone checks. */
	pthread_barrier_wait(&tls_barrier);
	r->final = tls_value;
	r->buf_ok = 1;
	for (size_t i = 0; i < sizeof(tls_buf); i++)
		if (tls_buf[i] != (char)((uintptr_t)arg & 0x7f))
			r->buf_ok = 0;
	return 0;
}

TEST(thread_local_storage_distinct)
{
	struct tls_result res[4];
	pthread_t th[4];
	tls_value = 99;
	ASSERT_EQ(pthread_barrier_init(&tls_barrier, 0, 4), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_create(&th[i], 0, tls_main, &res[i]), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_join(th[i], 0), 0);
	pthread_barrier_destroy(&tls_barrier);
	for (int i = 0; i < 4; i++) {
		/* Each thread starts from the initial image, not main's value. */
		EXPECT_EQ(res[i].initial, 17);
		EXPECT_EQ(res[i].final, (int)((uintptr_t)&res[i] & 0xffff));
		EXPECT_TRUE(res[i].buf_ok);
		EXPECT_NE(res[i].addr, &tls_value);
		for (int j = 0; j < i; j++)
			EXPECT_NE(res[i].addr, res[j].addr);
	}
	EXPECT_EQ(tls_value, 99);
}

TEST(set_tid_address_returns_tid)
{
	/*
	 * Point main's clear-child-tid at a dummy word: it only matters if the
	 * main thread exits alone, which the harness never does.
	 */
	static int dummy;
	EXPECT_EQ(syscall(SYS_set_tid_address, &dummy), getpid());
}

/*
 * A detached thread that moves its clear-child-tid word to ctid_word, then
 * exits with the raw exit syscall: the kernel must write 0 there and wake
 * futex waiters.
 */
static int ctid_word;

static void *set_ctid_and_exit(void *arg)
{
	(void)arg;
	long tid = syscall(SYS_set_tid_address, &ctid_word);
	__atomic_store_n(&ctid_word, (int)tid, __ATOMIC_SEQ_CST);
	syscall(SYS_exit, 0);
	return 0;
}

TEST(clear_child_tid_via_set_tid_address)
{
	ctid_word = -1;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, &attr, set_ctid_and_exit, 0), 0);
	pthread_attr_destroy(&attr);
	/* Wait for the word to become 0, sleeping on it as pthread_join does. */
	for (;;) {
		int v = __atomic_load_n(&ctid_word, __ATOMIC_SEQ_CST);
		if (v == 0)
			break;
		if (v == -1) {
			sched_yield();
			continue;
		}
		long r = syscall(SYS_futex, &ctid_word, FUTEX_WAIT, v, 0, 0, 0);
		if (r != 0)
			ASSERT_TRUE(errno == EAGAIN || errno == EINTR);
	}
	EXPECT_EQ(ctid_word, 0);
}

static void *raw_exit(void *arg)
{
	*(int *)arg = 1;
	/*
	 * Only this thread ends; pthread_join still works because the kernel
	 * clears the tid word glibc waits on.
	 */
	syscall(SYS_exit, 0);
	*(int *)arg = 2;
	return 0;
}

TEST(exit_of_non_main_thread_does_not_end_process)
{
	int reached = 0;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, raw_exit, &reached), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	EXPECT_EQ(reached, 1);
	/* Still here, and still able to make threads. */
	ASSERT_EQ(pthread_create(&th, 0, return_arg, 0), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
}

static void *exit_with_pthread_exit(void *arg)
{
	pthread_exit(arg);
	return 0;
}

TEST(pthread_exit_value)
{
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, exit_with_pthread_exit, (void *)42), 0);
	void *ret;
	ASSERT_EQ(pthread_join(th, &ret), 0);
	EXPECT_EQ((long)ret, 42);
}

static void *nested_create(void *arg)
{
	int depth = (int)(long)arg;
	if (depth == 0)
		return (void *)1L;
	pthread_t th;
	if (pthread_create(&th, 0, nested_create, (void *)(long)(depth - 1)))
		return 0;
	void *ret;
	if (pthread_join(th, &ret))
		return 0;
	return (void *)((long)ret + 1);
}

TEST(threads_create_threads)
{
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, nested_create, (void *)5L), 0);
	void *ret;
	ASSERT_EQ(pthread_join(th, &ret), 0);
	EXPECT_EQ((long)ret, 6);
}

static void *spin_on_own_stack(void *arg)
{
	/* Use a good part of a default 8 MiB thread stack. */
	volatile char big[1 << 20];
	for (size_t i = 0; i < sizeof(big); i += 4096)
		big[i] = (char)i;
	long sum = 0;
	for (size_t i = 0; i < sizeof(big); i += 4096)
		sum += big[i];
	*(long *)arg = sum;
	return 0;
}

TEST(thread_stack_usable)
{
	long sum = -1, expect = 0;
	for (size_t i = 0; i < (1 << 20); i += 4096)
		expect += (char)i;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, spin_on_own_stack, &sum), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	EXPECT_EQ(sum, expect);
}

TEST(many_threads_sequentially)
{
	for (int i = 0; i < 200; i++) {
		pthread_t th;
		ASSERT_EQ(pthread_create(&th, 0, return_arg, 0), 0);
		ASSERT_EQ(pthread_join(th, 0), 0);
	}
}
