/* futex: WAIT/WAKE, timeouts, bitsets, requeue, private futexes, errors. */
#include "harness.h"

#include <limits.h>
#include <linux/futex.h>
#include <sys/mman.h>

#define MS 1000000LL

static long futex(void *uaddr, int op, uint32_t val, const void *timeout,
		  void *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

TEST(wait_eagain_when_value_differs)
{
	uint32_t word = 1;
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT, 0, 0, 0, 0), EAGAIN);
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 2, 0, 0, 0), EAGAIN);
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT_BITSET, 0, 0, 0,
			   FUTEX_BITSET_MATCH_ANY),
		     EAGAIN);
}

TEST(wake_without_waiters)
{
	uint32_t word = 0;
	EXPECT_EQ(futex(&word, FUTEX_WAKE, 1, 0, 0, 0), 0);
	EXPECT_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0), 0);
	EXPECT_EQ(futex(&word, FUTEX_WAKE, 0, 0, 0, 0), 0);
}

TEST(wait_relative_timeout)
{
	static const int ops[] = {FUTEX_WAIT, FUTEX_WAIT_PRIVATE};
	for (int i = 0; i < 2; i++) {
		uint32_t word = 0;
		struct timespec ts = {0, 10 * MS};
		int64_t start = harness_now_ns(CLOCK_MONOTONIC);
		EXPECT_ERRNO(futex(&word, ops[i], 0, &ts, 0, 0), ETIMEDOUT);
		EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 10 * MS);
	}
}

TEST(wait_bitset_absolute_timeout)
{
	uint32_t word = 0;
	/* WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline... */
	int64_t deadline = harness_now_ns(CLOCK_MONOTONIC) + 10 * MS;
	struct timespec ts = harness_ns_to_ts(deadline);
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &ts, 0,
			   FUTEX_BITSET_MATCH_ANY),
		     ETIMEDOUT);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC), deadline);

	/* ...or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME. */
	deadline = harness_now_ns(CLOCK_REALTIME) + 10 * MS;
	ts = harness_ns_to_ts(deadline);
	EXPECT_ERRNO(futex(&word,
			   FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0,
			   &ts, 0, FUTEX_BITSET_MATCH_ANY),
		     ETIMEDOUT);
	EXPECT_GE(harness_now_ns(CLOCK_REALTIME), deadline);

	/* A deadline in the past times out at once. */
	struct timespec past = {0, 0};
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT_BITSET, 0, &past, 0,
			   FUTEX_BITSET_MATCH_ANY),
		     ETIMEDOUT);
}

TEST(bitset_zero_einval)
{
	uint32_t word = 0;
	struct timespec past = {0, 0};
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT_BITSET, 0, &past, 0, 0), EINVAL);
	EXPECT_ERRNO(futex(&word, FUTEX_WAKE_BITSET, 1, 0, 0, 0), EINVAL);
}

TEST(einval)
{
	uint32_t words[2] = {0, 0};
	/* Unaligned address. */
	EXPECT_ERRNO(futex((char *)words + 1, FUTEX_WAKE, 1, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(futex((char *)words + 2, FUTEX_WAIT, 0, 0, 0, 0), EINVAL);
	/* Bad timeouts. */
	struct timespec bad = {0, 1000000000}, neg = {-1, 0};
	EXPECT_ERRNO(futex(words, FUTEX_WAIT, 0, &bad, 0, 0), EINVAL);
	EXPECT_ERRNO(futex(words, FUTEX_WAIT, 0, &neg, 0, 0), EINVAL);
	/* FUTEX_CLOCK_REALTIME is refused with plain FUTEX_WAKE. */
	EXPECT_ERRNO(futex(words, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, 0,
			   0),
		     ENOSYS);
}

TEST(unknown_op_enosys)
{
	uint32_t word = 0;
	EXPECT_ERRNO(futex(&word, 99, 0, 0, 0, 0), ENOSYS);
	EXPECT_ERRNO(futex(&word, 99 | FUTEX_PRIVATE_FLAG, 0, 0, 0, 0), ENOSYS);
}

TEST(efault)
{
	EXPECT_ERRNO(futex(0, FUTEX_WAIT, 0, 0, 0, 0), EFAULT);
	void *gone = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(futex(gone, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0), EFAULT);
	uint32_t word = 0;
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT, 0, (void *)1, 0, 0), EFAULT);
	/* CMP_REQUEUE reads the first word: EFAULT there too. */
	EXPECT_ERRNO(futex(gone, FUTEX_CMP_REQUEUE, 1, (void *)1, &word, 0),
		     EFAULT);
}

/* A thread that waits once on a futex word and records the result. */
struct waiter {
	pthread_t thread;
	uint32_t *word;
	int op;
	uint32_t bitset;
	int started; /* atomic */
	int done;    /* atomic */
	long result;
	int err;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	errno = 0;
	/* No handlers are installed, so no EINTR: one wait is enough. */
	long r = futex(w->word, w->op, 0, 0, 0, w->bitset);
	w->result = r;
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void start_waiter(struct waiter *w, uint32_t *word, int op,
			 uint32_t bitset)
{
	memset(w, 0, sizeof(*w));
	w->word = word;
	w->op = op;
	w->bitset = bitset;
	ASSERT_EQ(pthread_create(&w->thread, 0, waiter_main, w), 0);
}

/*
 * Wakes waiters on word with op, nr at a time, until total have been woken;
 * every single call must wake at most nr. Returns the number of calls that
 * woke someone.
 */
static int wake_until(uint32_t *word, int op, int nr, int total,
		      uint32_t bitset)
{
	int woken = 0, calls = 0;
	while (woken < total) {
		long r = futex(word, op, nr, 0, 0, bitset);
		ASSERT_GE(r, 0);
		ASSERT_LE(r, nr);
		if (r > 0)
			calls++;
		woken += (int)r;
		if (r == 0)
			sched_yield();
	}
	ASSERT_EQ(woken, total);
	return calls;
}

TEST(wake_count)
{
	static uint32_t word = 0;
	struct waiter w[4];
	for (int i = 0; i < 4; i++)
		start_waiter(&w[i], &word, FUTEX_WAIT, 0);
	/* One at a time: four calls each wake exactly one. */
	EXPECT_EQ(wake_until(&word, FUTEX_WAKE, 1, 4, 0), 4);
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(pthread_join(w[i].thread, 0), 0);
		EXPECT_EQ(w[i].result, 0);
	}
	/* Nobody is left. */
	EXPECT_EQ(futex(&word, FUTEX_WAKE, INT_MAX, 0, 0, 0), 0);
}

TEST(wake_private_count)
{
	static uint32_t word = 0;
	struct waiter w[3];
	for (int i = 0; i < 3; i++)
		start_waiter(&w[i], &word, FUTEX_WAIT_PRIVATE, 0);
	wake_until(&word, FUTEX_WAKE_PRIVATE, 2, 3, 0);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(pthread_join(w[i].thread, 0), 0);
		EXPECT_EQ(w[i].result, 0);
	}
}

TEST(wake_bitset_selects_waiters)
{
	static uint32_t word = 0;
	struct waiter a, b;
	start_waiter(&a, &word, FUTEX_WAIT_BITSET_PRIVATE, 0x1);
	start_waiter(&b, &word, FUTEX_WAIT_BITSET_PRIVATE, 0x2);
	/* Wake only the waiter whose bitset intersects 0x2. */
	wake_until(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 1, 0x2);
	ASSERT_EQ(pthread_join(b.thread, 0), 0);
	EXPECT_EQ(b.result, 0);
	EXPECT_EQ(__atomic_load_n(&a.done, __ATOMIC_SEQ_CST), 0);
	wake_until(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 1, 0x1);
	ASSERT_EQ(pthread_join(a.thread, 0), 0);
	EXPECT_EQ(a.result, 0);
}

TEST(cmp_requeue)
{
	static uint32_t a = 0, b = 0;
	struct waiter w[2];
	for (int i = 0; i < 2; i++)
		start_waiter(&w[i], &a, FUTEX_WAIT_PRIVATE, 0);
	/* Value mismatch: nothing happens. */
	EXPECT_ERRNO(futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0,
			   (void *)(uintptr_t)INT_MAX, &b, 1),
		     EAGAIN);
	/* Move both waiters from a to b, waking none. */
	int moved = 0;
	while (moved < 2) {
		long r = futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0,
			       (void *)(uintptr_t)INT_MAX, &b, 0);
		ASSERT_GE(r, 0);
		moved += (int)r;
		if (r == 0)
			sched_yield();
	}
	EXPECT_EQ(moved, 2);
	/* They now wait on b: waking a finds nobody. */
	EXPECT_EQ(futex(&a, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0), 0);
	EXPECT_EQ(futex(&b, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0), 2);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(pthread_join(w[i].thread, 0), 0);
		EXPECT_EQ(w[i].result, 0);
	}
}

TEST(requeue_wakes_then_moves)
{
	static uint32_t a = 0, b = 0;
	struct waiter w[3];
	for (int i = 0; i < 3; i++)
		start_waiter(&w[i], &a, FUTEX_WAIT_PRIVATE, 0);
	/* Wait until all three are queued on a: requeue them all to b. */
	int moved = 0;
	while (moved < 3) {
		long r = futex(&a, FUTEX_REQUEUE_PRIVATE, 0,
			       (void *)(uintptr_t)INT_MAX, &b, 0);
		ASSERT_GE(r, 0);
		moved += (int)r;
		if (r == 0)
			sched_yield();
	}
	/* Wake one from b and requeue at most one back to a. */
	long r = futex(&b, FUTEX_REQUEUE_PRIVATE, 1, (void *)(uintptr_t)1, &a,
		       0);
	/* The result counts woken plus requeued. */
	EXPECT_EQ(r, 2);
	EXPECT_EQ(futex(&a, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0), 1);
	EXPECT_EQ(futex(&b, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0), 1);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(pthread_join(w[i].thread, 0), 0);
		EXPECT_EQ(w[i].result, 0);
	}
}

TEST(cmp_requeue_einval)
{
	uint32_t a = 0, b = 0;
	/* Negative counts are refused. */
	EXPECT_ERRNO(futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, (uint32_t)-1,
			   (void *)1, &b, 0),
		     EINVAL);
	EXPECT_ERRNO(futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)-1L, &b,
			   0),
		     EINVAL);
}

static volatile sig_atomic_t hits;

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	hits++;
}

TEST(wait_eintr)
{
	harness_set_handler(SIGUSR1, on_usr1, 0);
	hits = 0;
	uint32_t word = 0;
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 2 * MS);
	long r = futex(&word, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
	int err = errno;
	harness_signaller_stop(&s);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, EINTR);
	EXPECT_GE(hits, 1);
}

TEST(shared_anonymous_memory)
{
	uint32_t *word = mmap(0, harness_page_size(), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(word != MAP_FAILED);
	struct waiter w;
	start_waiter(&w, word, FUTEX_WAIT, 0);
	wake_until(word, FUTEX_WAKE, 1, 1, 0);
	ASSERT_EQ(pthread_join(w.thread, 0), 0);
	EXPECT_EQ(w.result, 0);
	munmap(word, harness_page_size());
}
