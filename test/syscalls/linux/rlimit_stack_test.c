/* RLIMIT_STACK: the main thread's stack grows up to the limit (the one at
 * exec, and a raised one later), and a program that recurses past it dies
 * of SIGSEGV. */
#include "harness.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define KB 1024L
#define MB (1024L * KB)

/* Uses about kb KiB of stack: one 1 KiB frame per level, each touched. */
static int __attribute__((noinline)) recurse(long kb)
{
	volatile char frame[1000];
	frame[0] = (char)kb;
	frame[sizeof(frame) - 1] = (char)kb;
	if (kb <= 0)
		return frame[0];
	return recurse(kb - 1) + frame[sizeof(frame) - 1];
}

/* argv[1]: how many KiB of stack to use. Exits 0 if it got there. */
CHILD_MODE(recurse)
{
	if (argc < 2)
		return 2;
	recurse(atol(argv[1]));
	return 0;
}

struct exec_arg {
	rlim_t limit;
	long kb;
};

static void set_stack_soft(rlim_t cur)
{
	struct rlimit rl;
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_STACK, &rl));
	rl.rlim_cur = cur;
	ASSERT_SYSCALL_OK(syscall(SYS_setrlimit, RLIMIT_STACK, &rl));
}

/* In a child: sets the limit, then execs the recursion. */
static void exec_with_limit(void *p)
{
	struct exec_arg *a = p;
	set_stack_soft(a->limit);
	char kb[32];
	snprintf(kb, sizeof(kb), "%ld", a->kb);
	char *argv[] = {(char *)harness_exe_path(), HARNESS_CHILD_FLAG,
			"recurse", kb, NULL};
	char *envp[] = {NULL};
	execve(argv[0], argv, envp);
	_exit(99);
}

static int hard_limit_allows(rlim_t want)
{
	struct rlimit rl;
	HARNESS_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_STACK, &rl),
			   "getrlimit", harness_abort_test());
	return rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want;
}

TEST(exec_limit_allows_recursion_within)
{
	if (!hard_limit_allows(4 * MB))
		SKIP("the hard RLIMIT_STACK is below 4 MiB");
	struct exec_arg a = {4 * MB, 1024};
	EXPECT_CHILD_EXIT(harness_fork_child(exec_with_limit, &a), 0);
}

TEST(exec_limit_stops_recursion_past)
{
	struct exec_arg a = {1 * MB, 8 * 1024};
	EXPECT_CHILD_KILLED(harness_fork_child(exec_with_limit, &a), SIGSEGV);
}

static void raise_then_recurse(void *p)
{
	long kb = *(long *)p;
	set_stack_soft(64 * MB);
	recurse(kb);
}

TEST(raised_limit_lets_the_stack_grow)
{
	if (!hard_limit_allows(64 * MB))
		SKIP("the hard RLIMIT_STACK is below 64 MiB");
	struct rlimit rl;
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_STACK, &rl));
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 16 * MB)
		SKIP("the soft RLIMIT_STACK is already above 16 MiB");
	/* Beyond the limit this process was started with, within the new. */
	long kb = 24 * 1024;
	EXPECT_CHILD_EXIT(harness_fork_child(raise_then_recurse, &kb), 0);
	/* Beyond the new one too: SIGSEGV. */
	kb = 96 * 1024;
	EXPECT_CHILD_KILLED(harness_fork_child(raise_then_recurse, &kb),
			    SIGSEGV);
}

CHILD_MODE(print_stack_limit)
{
	(void)argc;
	(void)argv;
	struct rlimit rl;
	if (syscall(SYS_getrlimit, RLIMIT_STACK, &rl) != 0)
		return 2;
	return rl.rlim_cur == 3 * MB ? 0 : 1;
}

static void exec_print(void *p)
{
	(void)p;
	set_stack_soft(3 * MB);
	char *argv[] = {(char *)harness_exe_path(), HARNESS_CHILD_FLAG,
			"print_stack_limit", NULL};
	char *envp[] = {NULL};
	execve(argv[0], argv, envp);
	_exit(99);
}

TEST(limit_survives_exec)
{
	EXPECT_CHILD_EXIT(harness_fork_child(exec_print, NULL), 0);
}
