/*
 * fork + execve + wait: exit statuses of exec'd programs, exec failures
 * reported through the exit status, what crosses exec (descriptors without
 * FD_CLOEXEC and their offsets, argv, envp, ignored signals, the mask and
 * pending signals, the pid and parent) and what does not (handlers, the
 * alternate stack, close-on-exec descriptors, the old name).
 */
#include "harness.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Exit code of a child whose execve failed (it also prints errno). */
#define EXEC_FAILED 120

/* argv[0] is the mode's name; runs the test binary in that mode. */
static void exec_mode(char *const args[], char *const envp[])
{
	char *argv[16];
	int n = 0;
	argv[n++] = (char *)harness_exe_path();
	argv[n++] = HARNESS_CHILD_FLAG;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = 0;
	fflush(stdout);
	syscall(SYS_execve, argv[0], argv, envp);
	printf("execve %s: %s\n", argv[0], harness_errno_name(errno));
	fflush(stdout);
	_exit(EXEC_FAILED);
}

static char *no_env[] = {0};

static void exec_path(void *arg)
{
	char *argv[] = {arg, 0};
	syscall(SYS_execve, arg, argv, no_env);
	_exit(EXEC_FAILED);
}

TEST(fork_exec_true_and_false)
{
	static const struct {
		const char *path;
		int code;
	} cases[] = {{"/bin/true", 0}, {"/bin/false", 1}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (access(cases[i].path, X_OK) != 0)
			SKIP("no /bin/true or /bin/false on this system");
		pid_t pid = harness_fork_child(exec_path,
					       (void *)cases[i].path);
		EXPECT_CHILD_EXIT(pid, cases[i].code);
	}
}

static void exec_reporting_errno(void *arg)
{
	char *argv[] = {arg, 0};
	syscall(SYS_execve, arg, argv, no_env);
	_exit(errno);
}

TEST(fork_exec_failure_in_the_child)
{
	char *plain = harness_path("plain");
	harness_write_file(plain, "data\n", 5, 0644);
	char *garbage = harness_path("garbage");
	harness_write_file(garbage, "not an executable\n", 18, 0755);
	char *through_file = harness_path("plain/x");
	char *dir = harness_path("");
	const struct {
		const char *path;
		int err;
	} cases[] = {
		{"/nonexistent/bulwark-no-such-file", ENOENT},
		{"", ENOENT},
		{plain, EACCES},
		{dir, EACCES},
		{garbage, ENOEXEC},
		{through_file, ENOTDIR},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		printf("  case: \"%s\"\n", cases[i].path);
		pid_t pid = harness_fork_child(exec_reporting_errno,
					       (void *)cases[i].path);
		EXPECT_CHILD_EXIT(pid, cases[i].err);
	}
}

/* argv: mode, then "fd:open" or "fd:closed" items. */
CHILD_MODE(fd_check)
{
	int first_open = -1;
	for (int i = 1; i < argc; i++) {
		int fd = atoi(argv[i]);
		const char *state = strchr(argv[i], ':');
		ASSERT_TRUE(state != 0);
		if (strcmp(state + 1, "open") == 0) {
			/* Open, and no longer close-on-exec. */
			EXPECT_EQ(fcntl(fd, F_GETFD), 0);
			if (first_open < 0)
				first_open = fd;
		} else {
			EXPECT_ERRNO(fcntl(fd, F_GETFD), EBADF);
		}
	}
	/* The offset is shared with the parent's description. */
	if (first_open >= 0)
		EXPECT_EQ(write(first_open, "E", 1), 1);
	return 0;
}

struct fd_case {
	char *args[8];
};

static void exec_fd_check(void *arg)
{
	struct fd_case *c = arg;
	exec_mode(c->args, no_env);
}

TEST(fork_exec_descriptors_and_cloexec)
{
	char *path = harness_path("f");
	int plain = harness_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	int cloexec = harness_open(path, O_RDWR | O_CLOEXEC);
	int dup_cloexec = (int)fcntl(plain, F_DUPFD_CLOEXEC, 0);
	ASSERT_GE(dup_cloexec, 0);
	int set_later = harness_open(path, O_RDWR);
	ASSERT_SYSCALL_OK(fcntl(set_later, F_SETFD, FD_CLOEXEC));
	int cleared = harness_open(path, O_RDWR | O_CLOEXEC);
	ASSERT_SYSCALL_OK(fcntl(cleared, F_SETFD, 0));

	struct fd_case c;
	memset(&c, 0, sizeof(c));
	c.args[0] = "fd_check";
	c.args[1] = harness_strf("%d:open", plain);
	c.args[2] = harness_strf("%d:closed", cloexec);
	c.args[3] = harness_strf("%d:closed", dup_cloexec);
	c.args[4] = harness_strf("%d:closed", set_later);
	c.args[5] = harness_strf("%d:open", cleared);
	EXPECT_CHILD_EXIT(harness_fork_child(exec_fd_check, &c), 0);
	EXPECT_EQ(lseek(plain, 0, SEEK_CUR), 1);
	/* Nothing changed for the parent's own descriptors. */
	EXPECT_EQ(fcntl(cloexec, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(set_later, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(cleared, F_GETFD), 0);
	EXPECT_SYSCALL_OK(close(plain));
	EXPECT_SYSCALL_OK(close(cloexec));
	EXPECT_SYSCALL_OK(close(dup_cloexec));
	EXPECT_SYSCALL_OK(close(set_later));
	EXPECT_SYSCALL_OK(close(cleared));
}

extern char **environ;

CHILD_MODE(args_env)
{
	ASSERT_EQ(argc, 4);
	EXPECT_STREQ(argv[1], "one");
	EXPECT_STREQ(argv[2], "");
	EXPECT_STREQ(argv[3], "three with spaces");
	EXPECT_TRUE(argv[4] == 0);
	int n = 0;
	while (environ[n])
		n++;
	EXPECT_EQ(n, 2);
	const char *x = getenv("BULWARK_X");
	ASSERT_TRUE(x != 0);
	EXPECT_STREQ(x, "y=z");
	const char *empty = getenv("EMPTY");
	ASSERT_TRUE(empty != 0);
	EXPECT_STREQ(empty, "");
	/* Only what execve was given: nothing inherited. */
	EXPECT_TRUE(getenv("PATH") == 0);
	return 0;
}

static void exec_args_env(void *arg)
{
	(void)arg;
	char *args[] = {"args_env", "one", "", "three with spaces", 0};
	char *envp[] = {"BULWARK_X=y=z", "EMPTY=", 0};
	exec_mode(args, envp);
}

TEST(fork_exec_passes_argv_and_envp)
{
	EXPECT_CHILD_EXIT(harness_fork_child(exec_args_env, 0), 0);
}

/* argv: mode, expected pid, expected parent pid. */
CHILD_MODE(ids)
{
	ASSERT_EQ(argc, 3);
	EXPECT_EQ(getpid(), atoi(argv[1]));
	EXPECT_EQ(getppid(), atoi(argv[2]));
	EXPECT_EQ(harness_gettid(), getpid());
	return 0;
}

static void exec_ids(void *arg)
{
	(void)arg;
	char *args[] = {"ids", harness_strf("%d", (int)getpid()),
			harness_strf("%d", (int)getppid()), 0};
	exec_mode(args, no_env);
}

TEST(fork_exec_keeps_pid_and_parent)
{
	EXPECT_CHILD_EXIT(harness_fork_child(exec_ids, 0), 0);
}

static void nop_handler(int sig)
{
	(void)sig;
}

CHILD_MODE(signal_check)
{
	(void)argc;
	(void)argv;
	struct sigaction sa;
	/* A caught signal is reset to the default: the handler is gone. */
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, 0, &sa));
	EXPECT_TRUE(sa.sa_handler == SIG_DFL);
	/* An ignored signal stays ignored. */
	ASSERT_SYSCALL_OK(sigaction(SIGUSR2, 0, &sa));
	EXPECT_TRUE(sa.sa_handler == SIG_IGN);
	/* The mask and pending signals survive. */
	sigset_t set;
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, 0, &set));
	EXPECT_TRUE(sigismember(&set, SIGTERM));
	EXPECT_TRUE(sigismember(&set, SIGHUP));
	EXPECT_FALSE(sigismember(&set, SIGUSR1));
	ASSERT_SYSCALL_OK(sigpending(&set));
	EXPECT_TRUE(sigismember(&set, SIGTERM));
	EXPECT_FALSE(sigismember(&set, SIGHUP));
	/* No alternate signal stack. */
	stack_t ss;
	ASSERT_SYSCALL_OK(sigaltstack(0, &ss));
	EXPECT_EQ(ss.ss_flags, SS_DISABLE);
	/* The blocked SIGTERM stays pending: exit normally. */
	return 0;
}

static void exec_signal_check(void *arg)
{
	(void)arg;
	ASSERT_TRUE(signal(SIGUSR1, nop_handler) != SIG_ERR);
	ASSERT_TRUE(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	ASSERT_SYSCALL_OK(kill(getpid(), SIGTERM));
	size_t len = 4 * harness_page_size();
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = harness_map(len, PROT_READ | PROT_WRITE);
	ss.ss_size = len;
	ASSERT_SYSCALL_OK(sigaltstack(&ss, 0));
	char *args[] = {"signal_check", 0};
	exec_mode(args, no_env);
}

TEST(fork_exec_signal_state)
{
	EXPECT_CHILD_EXIT(harness_fork_child(exec_signal_check, 0), 0);
}

CHILD_MODE(name_check)
{
	(void)argc;
	(void)argv;
	char want[16];
	char *exe = strdup(harness_exe_path());
	ASSERT_TRUE(exe != 0);
	/* The name is the file's base name, cut to 15 bytes. */
	snprintf(want, sizeof(want), "%s", basename(exe));
	free(exe);
	char got[16];
	ASSERT_SYSCALL_OK(prctl(PR_GET_NAME, got, 0, 0, 0));
	EXPECT_STREQ(got, want);
	return 0;
}

static void exec_name_check(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(prctl(PR_SET_NAME, "bw-before-exec", 0, 0, 0));
	char *args[] = {"name_check", 0};
	exec_mode(args, no_env);
}

TEST(fork_exec_sets_the_name)
{
	EXPECT_CHILD_EXIT(harness_fork_child(exec_name_check, 0), 0);
}

CHILD_MODE(die_by_sigterm)
{
	(void)argc;
	(void)argv;
	kill(getpid(), SIGTERM);
	return 0;
}

static void exec_die(void *arg)
{
	(void)arg;
	char *args[] = {"die_by_sigterm", 0};
	exec_mode(args, no_env);
}

TEST(fork_exec_killed_image_status)
{
	EXPECT_CHILD_KILLED(harness_fork_child(exec_die, 0), SIGTERM);
}
