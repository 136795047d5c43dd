/*
 * The acceptance scenario for threads and signals together: eight pthreads
 * sharing a mutex and condition variable, a SIGUSR1 handler reached through
 * kill(getpid()), handlers on per-thread alternate stacks, and SIGSEGV
 * handlers that siglongjmp out of faults, all in one process.
 */
#include "harness.h"

#include <sys/mman.h>

#define NTHREADS 8
#define ALT_SIZE (64 * 1024)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

/* ---- SIGUSR1 via kill(getpid()) while eight threads work ---- */

static volatile int usr1_hits; /* atomic */

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	if (sig == SIGUSR1 && info->si_code == SI_USER &&
	    info->si_pid == getpid())
		__atomic_add_fetch(&usr1_hits, 1, __ATOMIC_SEQ_CST);
}

static int counter, started, go, finished;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	started++;
	pthread_cond_broadcast(&cv);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
		if (i % 256 == 0)
			sched_yield();
	}
	pthread_mutex_lock(&mu);
	finished++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}

TEST(kill_self_while_threads_use_mutex_and_condvar)
{
	harness_set_handler(SIGUSR1, on_usr1, SA_RESTART);
	usr1_hits = 0;
	counter = started = go = finished = 0;
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_create(&th[i], 0, worker, 0), 0);

	pthread_mutex_lock(&mu);
	while (started < NTHREADS)
		pthread_cond_wait(&cv, &mu);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);

	/* Process-directed signals; any thread may take each one. */
	int sent = 0;
	for (int i = 0; i < 20; i++) {
		EXPECT_SYSCALL_OK(kill(getpid(), SIGUSR1));
		sent++;
		/* Standard signals coalesce: wait for each before the next. */
		while (__atomic_load_n(&usr1_hits, __ATOMIC_SEQ_CST) < sent)
			sched_yield();
	}

	pthread_mutex_lock(&mu);
	while (finished < NTHREADS)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_join(th[i], 0), 0);
	EXPECT_EQ(counter, NTHREADS * 2000);
	EXPECT_EQ(usr1_hits, 20);
}

/* ---- per-thread alternate stacks ---- */

static __thread volatile uintptr_t alt_sp_seen;

static void on_usr2_alt(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	volatile char local;
	alt_sp_seen = (uintptr_t)&local;
}

struct alt_result {
	char *stack;
	uintptr_t sp;
	int ok;
};

static void *alt_worker(void *arg)
{
	struct alt_result *r = arg;
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = r->stack;
	ss.ss_size = ALT_SIZE;
	if (sigaltstack(&ss, 0) != 0)
		return 0;
	alt_sp_seen = 0;
	/* raise() is thread-directed: the handler runs in this thread. */
	raise(SIGUSR2);
	r->sp = alt_sp_seen;
	ss.ss_flags = SS_DISABLE;
	r->ok = sigaltstack(&ss, 0) == 0;
	return 0;
}

TEST(handlers_on_per_thread_alt_stacks)
{
	harness_set_handler(SIGUSR2, on_usr2_alt, SA_ONSTACK);
	struct alt_result r[NTHREADS];
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].stack = harness_map(ALT_SIZE, PROT_READ | PROT_WRITE);
		ASSERT_EQ(pthread_create(&th[i], 0, alt_worker, &r[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_join(th[i], 0), 0);
	for (int i = 0; i < NTHREADS; i++) {
		EXPECT_TRUE(r[i].ok);
		EXPECT_GE(r[i].sp, (uintptr_t)r[i].stack);
		EXPECT_LT(r[i].sp, (uintptr_t)r[i].stack + ALT_SIZE);
		munmap(r[i].stack, ALT_SIZE);
	}
}

/* ---- SIGSEGV + siglongjmp in every thread ---- */

static __thread sigjmp_buf fault_env;
static __thread volatile void *fault_addr;

static void on_segv(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = info->si_addr;
	siglongjmp(fault_env, 1);
}

struct fault_result {
	int faults;
	int addr_ok;
};

static void *fault_worker(void *arg)
{
	struct fault_result *r = arg;
	r->addr_ok = 1;
	for (int i = 0; i < 10; i++) {
		volatile char *target = (volatile char *)(uintptr_t)(64 + i);
		if (sigsetjmp(fault_env, 1) == 0) {
			*target = 1;
		} else {
			r->faults++;
			if (fault_addr != (void *)target)
				r->addr_ok = 0;
		}
	}
	return 0;
}

TEST(siglongjmp_out_of_faults_in_threads)
{
	harness_set_handler(SIGSEGV, on_segv, SA_NODEFER);
	struct fault_result r[NTHREADS];
	pthread_t th[NTHREADS];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_create(&th[i], 0, fault_worker, &r[i]), 0);
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_join(th[i], 0), 0);
	for (int i = 0; i < NTHREADS; i++) {
		EXPECT_EQ(r[i].faults, 10);
		EXPECT_TRUE(r[i].addr_ok);
	}
	/* And in the main thread, on a read-only page. */
	char *ro = harness_map(harness_page_size(), PROT_READ);
	volatile int jumped = 0;
	if (sigsetjmp(fault_env, 1) == 0)
		*(volatile char *)ro = 1;
	else
		jumped = 1;
	EXPECT_EQ(jumped, 1);
	EXPECT_EQ(fault_addr, ro);
	munmap(ro, harness_page_size());
}

/* ---- everything at once ---- */

struct combo {
	char *alt;
	int faults;
	uintptr_t alt_sp;
};

static void *combo_worker(void *arg)
{
	struct combo *c = arg;
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = c->alt;
	ss.ss_size = ALT_SIZE;
	sigaltstack(&ss, 0);
	for (int i = 0; i < 5; i++) {
		if (sigsetjmp(fault_env, 1) == 0)
			*(volatile int *)0 = i;
		else
			c->faults++;
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	alt_sp_seen = 0;
	raise(SIGUSR2);
	c->alt_sp = alt_sp_seen;
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, 0);
	pthread_mutex_lock(&mu);
	finished++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}

TEST(all_together)
{
	harness_set_handler(SIGSEGV, on_segv, SA_NODEFER);
	harness_set_handler(SIGUSR2, on_usr2_alt, SA_ONSTACK);
	harness_set_handler(SIGUSR1, on_usr1, SA_RESTART);
	usr1_hits = 0;
	counter = finished = 0;
	struct combo c[NTHREADS];
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].alt = harness_map(ALT_SIZE, PROT_READ | PROT_WRITE);
		ASSERT_EQ(pthread_create(&th[i], 0, combo_worker, &c[i]), 0);
	}
	EXPECT_SYSCALL_OK(kill(getpid(), SIGUSR1));
	pthread_mutex_lock(&mu);
	while (finished < NTHREADS)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_join(th[i], 0), 0);
	while (__atomic_load_n(&usr1_hits, __ATOMIC_SEQ_CST) < 1)
		sched_yield();
	EXPECT_EQ(counter, NTHREADS * 5);
	for (int i = 0; i < NTHREADS; i++) {
		EXPECT_EQ(c[i].faults, 5);
		EXPECT_GE(c[i].alt_sp, (uintptr_t)c[i].alt);
		EXPECT_LT(c[i].alt_sp, (uintptr_t)c[i].alt + ALT_SIZE);
		munmap(c[i].alt, ALT_SIZE);
	}
	EXPECT_EQ(usr1_hits, 1);
}
