/* sigaltstack: handlers on the alternate stack, queries and errors. */
#include "harness.h"

#include <sys/mman.h>

#define ALT_SIZE (64 * 1024)

static volatile uintptr_t handler_sp;
static volatile int handler_ss_flags;
static volatile int handler_change_errno;
static volatile sig_atomic_t hits;

static void on_alt(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	volatile char local;
	handler_sp = (uintptr_t)&local;
	hits++;
	stack_t cur;
	if (sigaltstack(0, &cur) == 0)
		handler_ss_flags = cur.ss_flags;
	/* Changing the stack while running on it is refused. */
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	handler_change_errno = sigaltstack(&ss, 0) == 0 ? 0 : errno;
}

static void *alt_stack(void)
{
	return harness_map(ALT_SIZE, PROT_READ | PROT_WRITE);
}

static void set_alt(void *sp, size_t size)
{
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = sp;
	ss.ss_size = size;
	ASSERT_SYSCALL_OK(syscall(SYS_sigaltstack, &ss, 0));
}

TEST(sigaltstack_initially_disabled)
{
	stack_t cur;
	ASSERT_SYSCALL_OK(syscall(SYS_sigaltstack, 0, &cur));
	EXPECT_EQ(cur.ss_flags, SS_DISABLE);
}

TEST(handler_runs_on_alt_stack)
{
	char *sp = alt_stack();
	set_alt(sp, ALT_SIZE);
	harness_set_handler(SIGUSR1, on_alt, SA_ONSTACK);
	hits = 0;
	handler_sp = 0;
	handler_change_errno = -1;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
	EXPECT_GE(handler_sp, (uintptr_t)sp);
	EXPECT_LT(handler_sp, (uintptr_t)sp + ALT_SIZE);
	EXPECT_EQ(handler_ss_flags, SS_ONSTACK);
	EXPECT_EQ(handler_change_errno, EPERM);
	/* Back on the normal stack, the alternate stack is idle again. */
	stack_t cur;
	ASSERT_SYSCALL_OK(syscall(SYS_sigaltstack, 0, &cur));
	EXPECT_EQ(cur.ss_flags, 0);
	EXPECT_EQ(cur.ss_sp, sp);
	EXPECT_EQ(cur.ss_size, ALT_SIZE);
	munmap(sp, ALT_SIZE);
}

TEST(handler_without_sa_onstack_uses_normal_stack)
{
	char *sp = alt_stack();
	set_alt(sp, ALT_SIZE);
	harness_set_handler(SIGUSR1, on_alt, 0);
	hits = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
	EXPECT_TRUE(handler_sp < (uintptr_t)sp ||
		    handler_sp >= (uintptr_t)sp + ALT_SIZE);
	EXPECT_EQ(handler_ss_flags, 0);
	munmap(sp, ALT_SIZE);
}

TEST(disabled_alt_stack_uses_normal_stack)
{
	char *sp = alt_stack();
	set_alt(sp, ALT_SIZE);
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	ASSERT_SYSCALL_OK(syscall(SYS_sigaltstack, &ss, 0));
	harness_set_handler(SIGUSR1, on_alt, SA_ONSTACK);
	hits = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
	EXPECT_TRUE(handler_sp < (uintptr_t)sp ||
		    handler_sp >= (uintptr_t)sp + ALT_SIZE);
	EXPECT_EQ(handler_ss_flags, SS_DISABLE);
	munmap(sp, ALT_SIZE);
}

TEST(sigaltstack_old_value)
{
	char *a = alt_stack(), *b = alt_stack();
	set_alt(a, ALT_SIZE);
	stack_t ss, old;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = b;
	ss.ss_size = ALT_SIZE / 2;
	ASSERT_SYSCALL_OK(syscall(SYS_sigaltstack, &ss, &old));
	EXPECT_EQ(old.ss_sp, a);
	EXPECT_EQ(old.ss_size, ALT_SIZE);
	EXPECT_EQ(old.ss_flags, 0);
	ASSERT_SYSCALL_OK(syscall(SYS_sigaltstack, 0, &old));
	EXPECT_EQ(old.ss_sp, b);
	EXPECT_EQ(old.ss_size, ALT_SIZE / 2);
	munmap(a, ALT_SIZE);
	munmap(b, ALT_SIZE);
}

TEST(sigaltstack_enomem_too_small)
{
	char *sp = alt_stack();
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = sp;
	/* Below the kernel's MINSIGSTKSZ (2048). */
	static const size_t sizes[] = {0, 1, 1024, 2047};
	for (int i = 0; i < 4; i++) {
		ss.ss_size = sizes[i];
		EXPECT_ERRNO(syscall(SYS_sigaltstack, &ss, 0), ENOMEM);
	}
	/* With SS_DISABLE the size does not matter. */
	ss.ss_flags = SS_DISABLE;
	ss.ss_size = 0;
	EXPECT_SYSCALL_OK(syscall(SYS_sigaltstack, &ss, 0));
	munmap(sp, ALT_SIZE);
}

TEST(sigaltstack_einval_flags)
{
	char *sp = alt_stack();
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = sp;
	ss.ss_size = ALT_SIZE;
	static const int bad[] = {0x4, 0x1234, SS_DISABLE | 0x100, -1};
	for (int i = 0; i < 4; i++) {
		ss.ss_flags = bad[i];
		EXPECT_ERRNO(syscall(SYS_sigaltstack, &ss, 0), EINVAL);
	}
	munmap(sp, ALT_SIZE);
}

TEST(sigaltstack_efault)
{
	stack_t old;
	EXPECT_ERRNO(syscall(SYS_sigaltstack, (void *)1, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sigaltstack, 0, (void *)1), EFAULT);
	EXPECT_SYSCALL_OK(syscall(SYS_sigaltstack, 0, &old));
}

struct thread_alt {
	int flags;
};

static void *query_alt(void *arg)
{
	struct thread_alt *t = arg;
	stack_t cur;
	syscall(SYS_sigaltstack, 0, &cur);
	t->flags = cur.ss_flags;
	return 0;
}

TEST(sigaltstack_is_per_thread)
{
	char *sp = alt_stack();
	set_alt(sp, ALT_SIZE);
	struct thread_alt t;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, query_alt, &t), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	/* A new thread starts without an alternate signal stack. */
	EXPECT_EQ(t.flags, SS_DISABLE);
	munmap(sp, ALT_SIZE);
}

static volatile uintptr_t outer_sp, inner_sp;

static void inner_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	volatile char local;
	inner_sp = (uintptr_t)&local;
}

static void outer_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	volatile char local;
	outer_sp = (uintptr_t)&local;
	raise(SIGUSR2);
}

TEST(nested_handler_stays_on_alt_stack)
{
	char *sp = alt_stack();
	set_alt(sp, ALT_SIZE);
	/* SIGUSR1's handler, on the alt stack, raises SIGUSR2 (SA_ONSTACK). */
	harness_set_handler(SIGUSR2, inner_handler, SA_ONSTACK);
	harness_set_handler(SIGUSR1, outer_handler, SA_ONSTACK);
	outer_sp = inner_sp = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_GE(outer_sp, (uintptr_t)sp);
	EXPECT_LT(outer_sp, (uintptr_t)sp + ALT_SIZE);
	/* The nested frame goes below the outer one on the same stack. */
	EXPECT_GE(inner_sp, (uintptr_t)sp);
	EXPECT_LT(inner_sp, outer_sp);
	munmap(sp, ALT_SIZE);
}
