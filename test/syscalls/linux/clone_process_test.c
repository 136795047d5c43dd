/*
 * clone and clone3 making processes (no CLONE_THREAD): exit signals and the
 * waits that see them, CLONE_PARENT, CLONE_FILES, CLONE_FS, CLONE_VM,
 * CLONE_SIGHAND, the tid flags, and invalid flag combinations.
 */
#include "harness.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* struct clone_args of include/uapi/linux/sched.h (version 2, 88 bytes). */
struct clone3_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

#define CLONE_ARGS_SIZE_VER0 64
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

/* A fork-like clone: no new stack, the child runs on a copy of ours. */
static long clone_fork(unsigned long flags, int *ptid, int *ctid)
{
	fflush(stdout);
	return syscall(SYS_clone, flags, 0, ptid, ctid, 0);
}

static long clone3_fork(struct clone3_args *a, size_t size)
{
	fflush(stdout);
	return syscall(SYS_clone3, a, size);
}

/*
 * clone that must fail: should it create a child anyway, the child exits at
 * once (code 99) without touching the stack, so a wrong implementation fails
 * the test instead of running a second copy of it.
 */
static long clone_must_fail(unsigned long flags, void *stack)
{
	long ret;
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t" /* SYS_exit */
			 "mov $99, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone), "D"(flags), "S"(stack),
			   "d"(0L), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The same for clone3. */
static long clone3_must_fail(struct clone3_args *a, size_t size)
{
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "mov $99, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone3), "D"(a), "S"(size)
			 : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	/* A child was made: reap it (it exits 99 at once). */
	if (ret > 0)
		harness_wait((pid_t)ret);
	return ret;
}

static void block(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
}

/* Takes sig if pending (it must be blocked); returns 1 and fills *info. */
static int take_pending(int sig, siginfo_t *info)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec zero = {0, 0};
	return sigtimedwait(&set, info, &zero) == sig;
}

/*
 * For each exit signal: which waits see the child while it runs, which
 * signal its exit sends, and that __WALL reaps it.
 */
static void exit_signal_case(int exit_signal, int use_clone3)
{
	int *release = harness_shared_alloc(sizeof(int));
	block(SIGCHLD);
	block(SIGUSR1);
	long pid;
	if (use_clone3) {
		struct clone3_args a;
		memset(&a, 0, sizeof(a));
		a.exit_signal = (uint64_t)exit_signal;
		pid = clone3_fork(&a, sizeof(a));
	} else {
		pid = clone_fork((unsigned long)exit_signal, 0, 0);
	}
	if (pid == 0) {
		harness_wait_word(release, 1);
		syscall(SYS_exit_group, 6);
	}
	ASSERT_GT(pid, 0);
	int clone_child = exit_signal != SIGCHLD;
	int status;
	/* A "clone" child is seen only by __WCLONE (and __WALL) waits. */
	if (clone_child) {
		EXPECT_ERRNO(waitpid((pid_t)pid, &status, WNOHANG), ECHILD);
		EXPECT_EQ(waitpid((pid_t)pid, &status, WNOHANG | __WCLONE), 0);
	} else {
		EXPECT_EQ(waitpid((pid_t)pid, &status, WNOHANG), 0);
		EXPECT_ERRNO(waitpid((pid_t)pid, &status, WNOHANG | __WCLONE),
			     ECHILD);
	}
	EXPECT_EQ(waitpid((pid_t)pid, &status, WNOHANG | __WALL), 0);
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	if (clone_child)
		EXPECT_ERRNO(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG),
			     ECHILD);
	else
		EXPECT_EQ(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG),
			  0);

	harness_set_word(release, 1);
	/* Wait for the exit without reaping: the signal is queued by then. */
	memset(&info, 0, sizeof(info));
	ASSERT_SYSCALL_OK(
		waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | __WALL));
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_EQ(info.si_code, CLD_EXITED);
	EXPECT_EQ(info.si_status, 6);

	siginfo_t sig;
	memset(&sig, 0, sizeof(sig));
	EXPECT_EQ(take_pending(SIGCHLD, &sig), exit_signal == SIGCHLD);
	memset(&sig, 0, sizeof(sig));
	int got_usr1 = take_pending(SIGUSR1, &sig);
	EXPECT_EQ(got_usr1, exit_signal == SIGUSR1);
	if (got_usr1) {
		/* Any exit signal carries the SIGCHLD-style information. */
		EXPECT_EQ(sig.si_signo, SIGUSR1);
		EXPECT_EQ(sig.si_code, CLD_EXITED);
		EXPECT_EQ(sig.si_pid, pid);
		EXPECT_EQ(sig.si_status, 6);
	}
	EXPECT_CHILD_EXIT((pid_t)pid, 6);
}

TEST(clone_exit_signal_sigchld)
{
	exit_signal_case(SIGCHLD, 0);
}

TEST(clone_exit_signal_other)
{
	exit_signal_case(SIGUSR1, 0);
}

TEST(clone_exit_signal_none)
{
	exit_signal_case(0, 0);
}

TEST(clone3_exit_signal_sigchld)
{
	exit_signal_case(SIGCHLD, 1);
}

TEST(clone3_exit_signal_other)
{
	exit_signal_case(SIGUSR1, 1);
}

TEST(clone3_exit_signal_none)
{
	exit_signal_case(0, 1);
}

struct parent_case {
	pid_t grandchild;
	pid_t grandchild_ppid;
	int release;
};

static void clone_parent_middle(void *arg)
{
	struct parent_case *c = arg;
	/* Exit signal 0 is ignored: CLONE_PARENT takes ours (SIGCHLD). */
	long pid = clone_fork(CLONE_PARENT, 0, 0);
	if (pid == 0) {
		c->grandchild_ppid = (pid_t)syscall(SYS_getppid);
		harness_wait_word(&c->release, 1);
		syscall(SYS_exit_group, 4);
	}
	ASSERT_GT(pid, 0);
	c->grandchild = (pid_t)pid;
	/* It is our sibling, not our child. */
	int status;
	EXPECT_ERRNO(waitpid((pid_t)pid, &status, WNOHANG | __WALL), ECHILD);
}

TEST(clone_parent_makes_a_sibling)
{
	struct parent_case *c = harness_shared_alloc(sizeof(*c));
	pid_t middle = harness_fork_child(clone_parent_middle, c);
	EXPECT_CHILD_EXIT(middle, 0);
	ASSERT_GT(c->grandchild, 0);
	harness_set_word(&c->release, 1);
	/* A plain wait (no __WALL) sees it: its exit signal is SIGCHLD. */
	int status = 0;
	ASSERT_EQ(waitpid(c->grandchild, &status, 0), c->grandchild);
	EXPECT_EXITED(status, 4);
	EXPECT_EQ(c->grandchild_ppid, getpid());
}

struct files_case {
	int opened;     /* by the child */
	int closed;     /* by the child, the parent's */
	const char *path;
};

static void clone_files_child(void *arg)
{
	struct files_case *c = arg;
	c->opened = harness_open(c->path, O_RDONLY);
	EXPECT_SYSCALL_OK(close(c->closed));
}

TEST(clone_files_shares_the_descriptor_table)
{
	struct files_case *c = harness_shared_alloc(sizeof(*c));
	c->path = harness_path("f");
	harness_write_file(c->path, "x", 1, 0600);
	c->closed = harness_open(c->path, O_RDONLY);
	c->opened = -1;
	long pid = clone_fork(CLONE_FILES | SIGCHLD, 0, 0);
	if (pid == 0)
		harness_child_run(clone_files_child, c);
	ASSERT_GT(pid, 0);
	EXPECT_CHILD_EXIT((pid_t)pid, 0);
	ASSERT_GE(c->opened, 0);
	/* The child's open and close happened in our table too. */
	EXPECT_EQ(fcntl(c->opened, F_GETFD), 0);
	EXPECT_ERRNO(fcntl(c->closed, F_GETFD), EBADF);
	EXPECT_SYSCALL_OK(close(c->opened));
}

struct fs_case {
	const char *dir;
};

static void clone_fs_child(void *arg)
{
	struct fs_case *c = arg;
	umask(077);
	EXPECT_SYSCALL_OK(chdir(c->dir));
}

TEST(clone_fs_shares_cwd_and_umask)
{
	/* Both are restored after the test. */
	harness_umask(022);
	harness_chdir("/");
	struct fs_case c = {harness_tmpdir()};
	long pid = clone_fork(CLONE_FS | SIGCHLD, 0, 0);
	if (pid == 0)
		harness_child_run(clone_fs_child, &c);
	ASSERT_GT(pid, 0);
	EXPECT_CHILD_EXIT((pid_t)pid, 0);
	char cwd[4096];
	ASSERT_TRUE(getcwd(cwd, sizeof(cwd)) != 0);
	char want[4096];
	ASSERT_TRUE(realpath(c.dir, want) != 0);
	EXPECT_STREQ(cwd, want);
	EXPECT_EQ(umask(022), 077);
}

/* CLONE_VM children share our memory: raw system calls only. */
static volatile long vm_child_pid;
static volatile char *vm_child_map;

static int clone_vm_child(void *arg)
{
	(void)arg;
	vm_child_pid = harness_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long p = harness_raw_syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return 2;
	vm_child_map = (char *)p;
	vm_child_map[0] = 'v';
	return 3;
}

TEST(clone_vm_without_thread_is_a_process_sharing_memory)
{
	size_t len = 16 * harness_page_size();
	char *stack = harness_map(len, PROT_READ | PROT_WRITE);
	vm_child_pid = 0;
	vm_child_map = 0;
	int pid;
	ASSERT_SYSCALL_OK(pid = clone(clone_vm_child, stack + len,
				      CLONE_VM | SIGCHLD, 0));
	EXPECT_CHILD_EXIT(pid, 3);
	EXPECT_EQ(vm_child_pid, pid);
	EXPECT_NE(pid, getpid());
	/* Its mapping outlives it: the memory is ours too. */
	ASSERT_TRUE(vm_child_map != 0);
	EXPECT_EQ(vm_child_map[0], 'v');
	EXPECT_SYSCALL_OK(munmap((void *)vm_child_map, 4096));
	EXPECT_SYSCALL_OK(munmap(stack, len));
}

static void mark_usr2(int sig)
{
	(void)sig;
}

static int clone_sighand_child(void *arg)
{
	(void)arg;
	struct harness_kernel_sigaction ka;
	memset(&ka, 0, sizeof(ka));
	/* Never delivered: no SA_RESTORER needed. */
	ka.handler = (void *)mark_usr2;
	long r = harness_raw_syscall(SYS_rt_sigaction, SIGUSR2, (long)&ka, 0,
				     HARNESS_KERNEL_SIGSET_SIZE, 0, 0);
	return r == 0 ? 0 : 1;
}

TEST(clone_sighand_shares_handlers)
{
	size_t len = 16 * harness_page_size();
	char *stack = harness_map(len, PROT_READ | PROT_WRITE);
	int pid;
	ASSERT_SYSCALL_OK(pid = clone(clone_sighand_child, stack + len,
				      CLONE_VM | CLONE_SIGHAND | SIGCHLD, 0));
	EXPECT_CHILD_EXIT(pid, 0);
	struct sigaction sa;
	ASSERT_SYSCALL_OK(sigaction(SIGUSR2, 0, &sa));
	EXPECT_TRUE(sa.sa_handler == mark_usr2);
	EXPECT_SYSCALL_OK(munmap(stack, len));
}

TEST(clone_parent_settid_and_child_settid)
{
	int ptid = -1, ctid = -1;
	int *seen = harness_shared_alloc(sizeof(int));
	*seen = -1;
	long pid = clone_fork(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
				      SIGCHLD,
			      &ptid, &ctid);
	if (pid == 0) {
		/* Written in the child's copy of memory. */
		*seen = ctid;
		syscall(SYS_exit_group, 0);
	}
	ASSERT_GT(pid, 0);
	EXPECT_CHILD_EXIT((pid_t)pid, 0);
	EXPECT_EQ(ptid, pid);
	EXPECT_EQ(*seen, pid);
	/* The parent's copy of ctid is untouched. */
	EXPECT_EQ(ctid, -1);
}

static int settid_started;
static int settid_release;

static int cleartid_child(void *arg)
{
	(void)arg;
	harness_set_word(&settid_started, 1);
	harness_wait_word(&settid_release, 1);
	return 0;
}

TEST(clone_child_cleartid_clears_and_wakes)
{
	size_t len = 16 * harness_page_size();
	char *stack = harness_map(len, PROT_READ | PROT_WRITE);
	static volatile int ctid;
	ctid = -1;
	settid_started = 0;
	settid_release = 0;
	int pid;
	ASSERT_SYSCALL_OK(pid = clone(cleartid_child, stack + len,
			CLONE_VM | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
				SIGCHLD,
			0, 0, 0, &ctid));
	harness_wait_word(&settid_started, 1);
	EXPECT_EQ(ctid, pid);
	harness_set_word(&settid_release, 1);
	/* As pthread_join does: the exit clears the word and wakes us. */
	for (;;) {
		int v = ctid;
		if (v == 0)
			break;
		long r = syscall(SYS_futex, &ctid, FUTEX_WAIT, v, 0, 0, 0);
		if (r != 0 && errno != EAGAIN && errno != EINTR) {
			EXPECT_SYSCALL_OK(r);
			break;
		}
	}
	EXPECT_EQ(ctid, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_SYSCALL_OK(munmap(stack, len));
}

TEST(clone_invalid_flag_combinations)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} cases[] = {
		{"THREAD without SIGHAND", CLONE_THREAD | CLONE_VM},
		{"SIGHAND without VM", CLONE_SIGHAND | SIGCHLD},
		{"THREAD|SIGHAND without VM", CLONE_THREAD | CLONE_SIGHAND},
		{"NEWNS with FS", CLONE_NEWNS | CLONE_FS | SIGCHLD},
		{"NEWUSER with FS", CLONE_NEWUSER | CLONE_FS | SIGCHLD},
		{"NEWPID with THREAD",
		 CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM},
	};
	size_t len = 4 * harness_page_size();
	char *stack = harness_map(len, PROT_READ | PROT_WRITE);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		printf("  case: %s\n", cases[i].name);
		long r = clone_must_fail(cases[i].flags, stack + len);
		EXPECT_EQ(r, -EINVAL);
		if (r > 0)
			harness_wait((pid_t)r);
	}
	EXPECT_SYSCALL_OK(munmap(stack, len));
}

TEST(clone3_invalid_arguments)
{
	size_t page = harness_page_size();
	char *stack = harness_map(page, PROT_READ | PROT_WRITE);
	/* Room for an oversized struct with a non-zero tail. */
	char *big = harness_map(2 * page, PROT_READ | PROT_WRITE);
	struct clone3_args *a = (struct clone3_args *)big;
	static const struct {
		const char *name;
		uint64_t flags, exit_signal, stack, stack_size;
		size_t size;
		int err;
	} cases[] = {
		{"size below version 0", 0, SIGCHLD, 0, 0, 32, EINVAL},
		{"size above a page", 0, SIGCHLD, 0, 0, 0, E2BIG},
		{"exit signal 65", 0, 65, 0, 0, 0, EINVAL},
		{"exit signal beyond CSIGNAL", 0, 0x100 | SIGCHLD, 0, 0, 0,
		 EINVAL},
		{"signal in flags", SIGCHLD, 0, 0, 0, 0, EINVAL},
		{"CLONE_DETACHED", 0x00400000, SIGCHLD, 0, 0, 0, EINVAL},
		{"unknown high flag", 1ULL << 40, SIGCHLD, 0, 0, 0, EINVAL},
		{"THREAD with exit signal",
		 CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, SIGCHLD, 1, 1, 0,
		 EINVAL},
		{"PARENT with exit signal", CLONE_PARENT, SIGCHLD, 0, 0, 0,
		 EINVAL},
		{"stack without size", 0, SIGCHLD, 1, 0, 0, EINVAL},
		{"size without stack", 0, SIGCHLD, 0, 4096, 0, EINVAL},
		{"CLEAR_SIGHAND with SIGHAND",
		 CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM, SIGCHLD, 0, 0,
		 0, EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		printf("  case: %s\n", cases[i].name);
		memset(big, 0, 2 * page);
		a->flags = cases[i].flags;
		a->exit_signal = cases[i].exit_signal;
		/* A real stack where one is given, for a wrong success. */
		a->stack = cases[i].stack ? (uint64_t)(uintptr_t)stack : 0;
		a->stack_size = cases[i].stack_size ? page : 0;
		size_t size = cases[i].size;
		if (cases[i].err == E2BIG)
			size = page + 8;
		else if (size == 0)
			size = sizeof(*a);
		EXPECT_ERRNO(clone3_must_fail(a, size), cases[i].err);
	}
	/* A larger struct is accepted only if its tail is zero. */
	memset(big, 0, 2 * page);
	a->exit_signal = SIGCHLD;
	big[sizeof(*a) + 3] = 1;
	EXPECT_ERRNO(clone3_must_fail(a, sizeof(*a) + 8), E2BIG);
	EXPECT_ERRNO(clone3_must_fail(0, sizeof(*a)), EFAULT);
	EXPECT_SYSCALL_OK(munmap(big, 2 * page));
	EXPECT_SYSCALL_OK(munmap(stack, page));
}

TEST(clone3_sizes_and_tids)
{
	char *big = harness_map(harness_page_size(), PROT_READ | PROT_WRITE);
	struct clone3_args *a = (struct clone3_args *)big;
	int *seen = harness_shared_alloc(sizeof(int));
	static const size_t sizes[] = {CLONE_ARGS_SIZE_VER0, 88, 96};
	for (size_t i = 0; i < 3; i++) {
		int ptid = -1, ctid = -1;
		*seen = -1;
		memset(big, 0, harness_page_size());
		a->flags = CLONE_PARENT_SETTID | CLONE_CHILD_SETTID;
		a->parent_tid = (uint64_t)(uintptr_t)&ptid;
		a->child_tid = (uint64_t)(uintptr_t)&ctid;
		a->exit_signal = SIGCHLD;
		long pid = clone3_fork(a, sizes[i]);
		if (pid == 0) {
			*seen = ctid;
			syscall(SYS_exit_group, 0);
		}
		ASSERT_GT(pid, 0);
		EXPECT_CHILD_EXIT((pid_t)pid, 0);
		EXPECT_EQ(ptid, pid);
		EXPECT_EQ(*seen, pid);
		EXPECT_EQ(ctid, -1);
	}
	EXPECT_SYSCALL_OK(munmap(big, harness_page_size()));
}

static void nop_handler(int sig)
{
	(void)sig;
}

TEST(clone3_clear_sighand)
{
	ASSERT_TRUE(signal(SIGUSR1, nop_handler) != SIG_ERR);
	ASSERT_TRUE(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
	int *seen = harness_shared_alloc(2 * sizeof(int));
	struct clone3_args a;
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_CLEAR_SIGHAND;
	a.exit_signal = SIGCHLD;
	long pid = clone3_fork(&a, sizeof(a));
	if (pid == 0) {
		struct sigaction sa;
		sigaction(SIGUSR1, 0, &sa);
		seen[0] = sa.sa_handler == SIG_DFL;
		sigaction(SIGUSR2, 0, &sa);
		seen[1] = sa.sa_handler == SIG_IGN;
		syscall(SYS_exit_group, 0);
	}
	ASSERT_GT(pid, 0);
	EXPECT_CHILD_EXIT((pid_t)pid, 0);
	/* Handlers are reset to SIG_DFL; ignored signals stay ignored. */
	EXPECT_EQ(seen[0], 1);
	EXPECT_EQ(seen[1], 1);
}
