/*
 * prctl for processes: PR_SET_NAME/PR_GET_NAME, PR_SET_PDEATHSIG (on the
 * exit of the parent process and of the parent thread), child subreapers,
 * PR_SET_NO_NEW_PRIVS, PR_GET/SET_DUMPABLE, and unknown options.
 */
#include "harness.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static long raw_prctl(long option, long a2, long a3, long a4, long a5)
{
	return syscall(SYS_prctl, option, a2, a3, a4, a5);
}

static void restore_name(void *arg)
{
	if (raw_prctl(PR_SET_NAME, (long)arg, 0, 0, 0) != 0)
		harness_fail(__FILE__, __LINE__, "restoring the name: %s",
			     harness_errno_name(errno));
}

/* Saves the calling thread's name, restored after the test. */
static void save_name(void)
{
	char old[16];
	ASSERT_SYSCALL_OK(raw_prctl(PR_GET_NAME, (long)old, 0, 0, 0));
	harness_defer(restore_name, harness_strf("%s", old));
}

TEST(prctl_name_set_and_get)
{
	save_name();
	static const struct {
		const char *set, *want;
	} cases[] = {
		{"bulwark", "bulwark"},
		{"", ""},
		{"exactly15chars_", "exactly15chars_"},
		{"0123456789abcdefXYZ", "0123456789abcde"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_SYSCALL_OK(
			raw_prctl(PR_SET_NAME, (long)cases[i].set, 0, 0, 0));
		char buf[32];
		memset(buf, 'x', sizeof(buf));
		EXPECT_SYSCALL_OK(raw_prctl(PR_GET_NAME, (long)buf, 0, 0, 0));
		/* 16 bytes, NUL-terminated, and not one more. */
		EXPECT_EQ(buf[15], 0);
		EXPECT_EQ(buf[16], 'x');
		EXPECT_STREQ(buf, cases[i].want);
	}
}

TEST(prctl_name_efault)
{
	save_name();
	void *bad = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(raw_prctl(PR_SET_NAME, (long)bad, 0, 0, 0), EFAULT);
	EXPECT_ERRNO(raw_prctl(PR_GET_NAME, (long)bad, 0, 0, 0), EFAULT);
}

struct thread_name {
	char inherited[16];
	char after[16];
};

static void *name_thread(void *arg)
{
	struct thread_name *t = arg;
	raw_prctl(PR_GET_NAME, (long)t->inherited, 0, 0, 0);
	raw_prctl(PR_SET_NAME, (long)"worker", 0, 0, 0);
	raw_prctl(PR_GET_NAME, (long)t->after, 0, 0, 0);
	return 0;
}

static void name_child(void *arg)
{
	char buf[16];
	ASSERT_SYSCALL_OK(raw_prctl(PR_GET_NAME, (long)buf, 0, 0, 0));
	EXPECT_STREQ(buf, (const char *)arg);
}

TEST(prctl_name_is_per_thread_and_inherited)
{
	save_name();
	ASSERT_SYSCALL_OK(raw_prctl(PR_SET_NAME, (long)"bw-main", 0, 0, 0));
	struct thread_name t;
	memset(&t, 0, sizeof(t));
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, name_thread, &t), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	/* A new thread starts with its creator's name; a change is its own. */
	EXPECT_STREQ(t.inherited, "bw-main");
	EXPECT_STREQ(t.after, "worker");
	char buf[16];
	ASSERT_SYSCALL_OK(raw_prctl(PR_GET_NAME, (long)buf, 0, 0, 0));
	EXPECT_STREQ(buf, "bw-main");
	/* A forked child starts with the forking thread's name. */
	EXPECT_CHILD_EXIT(harness_fork_child(name_child, "bw-main"), 0);
}

static void pdeathsig_values(void *arg)
{
	(void)arg;
	int sig = -1;
	EXPECT_SYSCALL_OK(raw_prctl(PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0));
	EXPECT_EQ(sig, 0);
	EXPECT_SYSCALL_OK(raw_prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0));
	EXPECT_SYSCALL_OK(raw_prctl(PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0));
	EXPECT_EQ(sig, SIGUSR1);
	EXPECT_ERRNO(raw_prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(raw_prctl(PR_SET_PDEATHSIG, -1, 0, 0, 0), EINVAL);
	void *bad = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(raw_prctl(PR_GET_PDEATHSIG, (long)bad, 0, 0, 0), EFAULT);
	/* Not inherited by a child. */
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		int s = -1;
		raw_prctl(PR_GET_PDEATHSIG, (long)&s, 0, 0, 0);
		_exit(s == 0 ? 0 : 1);
	}
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_SYSCALL_OK(raw_prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0));
	EXPECT_SYSCALL_OK(raw_prctl(PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0));
	EXPECT_EQ(sig, 0);
}

TEST(prctl_pdeathsig_set_and_get)
{
	EXPECT_CHILD_EXIT(harness_fork_child(pdeathsig_values, 0), 0);
}

static void unset_subreaper(void *arg)
{
	(void)arg;
	if (raw_prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) != 0)
		harness_fail(__FILE__, __LINE__, "PR_SET_CHILD_SUBREAPER 0: %s",
			     harness_errno_name(errno));
}

struct pdeath {
	pid_t orphan;
	int armed;
};

/* Forks a child that arms PR_SET_PDEATHSIG(SIGTERM) and waits forever. */
static pid_t armed_child(struct pdeath *p)
{
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		raw_prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		harness_set_word(&p->armed, 1);
		for (;;)
			pause();
	}
	return pid;
}

static void exiting_parent(void *arg)
{
	struct pdeath *p = arg;
	p->orphan = armed_child(p);
	harness_wait_word(&p->armed, 1);
	/* Returning exits this process: the child gets SIGTERM. */
}

TEST(prctl_pdeathsig_on_parent_process_exit)
{
	/* The orphan comes to us (natively too). */
	ASSERT_SYSCALL_OK(raw_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	harness_defer(unset_subreaper, 0);
	struct pdeath *p = harness_shared_alloc(sizeof(*p));
	EXPECT_CHILD_EXIT(harness_fork_child(exiting_parent, p), 0);
	EXPECT_CHILD_KILLED(p->orphan, SIGTERM);
}

static void *forking_thread(void *arg)
{
	struct pdeath *p = arg;
	p->orphan = armed_child(p);
	harness_wait_word(&p->armed, 1);
	return 0;
}

TEST(prctl_pdeathsig_on_parent_thread_exit)
{
	struct pdeath *p = harness_shared_alloc(sizeof(*p));
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, forking_thread, p), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	/*
	 * The thread that forked it exited: the child now belongs to another
	 * thread of this process, but it was sent its death signal anyway.
	 */
	EXPECT_CHILD_KILLED(p->orphan, SIGTERM);
}

static void subreaper_not_inherited(void *arg)
{
	(void)arg;
	int v = -1;
	EXPECT_SYSCALL_OK(raw_prctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0));
	EXPECT_EQ(v, 0);
}

TEST(prctl_child_subreaper)
{
	int v = -1;
	ASSERT_SYSCALL_OK(raw_prctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0));
	/* The test is not a subreaper to begin with (init is not one). */
	EXPECT_EQ(v, 0);
	harness_defer(unset_subreaper, 0);
	EXPECT_SYSCALL_OK(raw_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	EXPECT_SYSCALL_OK(raw_prctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0));
	EXPECT_EQ(v, 1);
	EXPECT_CHILD_EXIT(harness_fork_child(subreaper_not_inherited, 0), 0);
	/* Any non-zero value means yes. */
	EXPECT_SYSCALL_OK(raw_prctl(PR_SET_CHILD_SUBREAPER, 2, 0, 0, 0));
	EXPECT_SYSCALL_OK(raw_prctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0));
	EXPECT_EQ(v, 1);
	EXPECT_SYSCALL_OK(raw_prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
	EXPECT_SYSCALL_OK(raw_prctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0));
	EXPECT_EQ(v, 0);
	void *bad = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(raw_prctl(PR_GET_CHILD_SUBREAPER, (long)bad, 0, 0, 0),
		     EFAULT);
}

static void no_new_privs(void *arg)
{
	(void)arg;
	/* Irreversible: only ever set in a child. */
	EXPECT_EQ(raw_prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	EXPECT_ERRNO(raw_prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
	EXPECT_ERRNO(raw_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 1), EINVAL);
	EXPECT_ERRNO(raw_prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(raw_prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
	EXPECT_EQ(raw_prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	EXPECT_EQ(raw_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	EXPECT_EQ(raw_prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	/* Setting it again is fine; clearing it is not. */
	EXPECT_EQ(raw_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	EXPECT_ERRNO(raw_prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
	EXPECT_EQ(raw_prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	/* Inherited across fork. */
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0)
		_exit((int)raw_prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	EXPECT_CHILD_EXIT(pid, 1);
}

TEST(prctl_no_new_privs)
{
	EXPECT_CHILD_EXIT(harness_fork_child(no_new_privs, 0), 0);
}

static void dumpable(void *arg)
{
	(void)arg;
	EXPECT_EQ(raw_prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	EXPECT_EQ(raw_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
	EXPECT_EQ(raw_prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	/* 2 (SUID_DUMP_ROOT) may not be set with prctl. */
	EXPECT_ERRNO(raw_prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(raw_prctl(PR_SET_DUMPABLE, -1, 0, 0, 0), EINVAL);
	EXPECT_EQ(raw_prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	EXPECT_EQ(raw_prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	EXPECT_EQ(raw_prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}

TEST(prctl_dumpable)
{
	EXPECT_CHILD_EXIT(harness_fork_child(dumpable, 0), 0);
}

TEST(prctl_unknown_option_einval)
{
	static const long bad[] = {0, 9999, -1, 0x7fffffff};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERRNO(raw_prctl(bad[i], 0, 0, 0, 0), EINVAL);
}
