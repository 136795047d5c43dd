/*
 * waitid: P_PID, P_PGID, P_ALL, WEXITED/WSTOPPED/WCONTINUED, WNOWAIT,
 * WNOHANG, the siginfo it fills, and errors. (P_PIDFD is not covered.)
 */
#include "harness.h"

#include <limits.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* The raw syscall: glibc's waitid has no rusage argument. */
static long raw_waitid(int idtype, long id, siginfo_t *info, int options,
		       struct rusage *ru)
{
	return syscall(SYS_waitid, idtype, id, info, options, ru);
}

TEST(waitid_p_pid_exited_siginfo)
{
	pid_t pid = harness_exiting_child(42);
	siginfo_t info;
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info, WEXITED, 0), 0);
	EXPECT_EQ(info.si_signo, SIGCHLD);
	EXPECT_EQ(info.si_errno, 0);
	EXPECT_EQ(info.si_code, CLD_EXITED);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_EQ(info.si_uid, getuid());
	EXPECT_EQ(info.si_status, 42);
	EXPECT_ERRNO(raw_waitid(P_PID, pid, &info, WEXITED, 0), ECHILD);
}

TEST(waitid_si_uid_is_the_childs_real_uid)
{
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		if (syscall(SYS_setresuid, 4321, 4321, 4321) != 0)
			_exit(1);
		_exit(0);
	}
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info, WEXITED, 0), 0);
	EXPECT_EQ(info.si_status, 0);
	EXPECT_EQ(info.si_uid, 4321);
}

TEST(waitid_killed_siginfo)
{
	static const int sigs[] = {SIGKILL, SIGTERM, SIGSEGV};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		fflush(stdout);
		pid_t pid;
		ASSERT_SYSCALL_OK(pid = fork());
		if (pid == 0) {
			/* No core dump (see wait_test.c): CLD_KILLED. */
			struct rlimit rl = {1, 1};
			setrlimit(RLIMIT_CORE, &rl);
			kill(getpid(), sigs[i]);
			_exit(100);
		}
		siginfo_t info;
		memset(&info, 0xff, sizeof(info));
		EXPECT_EQ(raw_waitid(P_PID, pid, &info, WEXITED, 0), 0);
		EXPECT_EQ(info.si_signo, SIGCHLD);
		EXPECT_EQ(info.si_code, CLD_KILLED);
		EXPECT_EQ(info.si_pid, pid);
		EXPECT_EQ(info.si_status, sigs[i]);
	}
}

TEST(waitid_p_pgid_and_p_all)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t same = harness_held_child(release, 1);
	pid_t other = harness_held_child(release, 2);
	pid_t third = harness_held_child(release, 3);
	ASSERT_SYSCALL_OK(setpgid(other, other));
	siginfo_t info;
	memset(&info, 0xff, sizeof(info));
	/* Nobody has exited yet. */
	EXPECT_EQ(raw_waitid(P_PGID, other, &info, WEXITED | WNOHANG, 0), 0);
	EXPECT_EQ(info.si_pid, 0);
	harness_set_word(release, 1);

	memset(&info, 0, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PGID, other, &info, WEXITED, 0), 0);
	EXPECT_EQ(info.si_pid, other);
	EXPECT_EQ(info.si_status, 2);
	EXPECT_ERRNO(raw_waitid(P_PGID, other, &info, WEXITED, 0), ECHILD);

	/* P_PGID with id 0: the caller's own group (Linux 5.4+). */
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PGID, 0, &info, WEXITED, 0), 0);
	EXPECT_TRUE(info.si_pid == same || info.si_pid == third);
	pid_t left = info.si_pid == same ? third : same;
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(raw_waitid(P_ALL, 0, &info, WEXITED, 0), 0);
	EXPECT_EQ(info.si_pid, left);
	EXPECT_EQ(info.si_status, left == same ? 1 : 3);
	EXPECT_ERRNO(raw_waitid(P_ALL, 0, &info, WEXITED, 0), ECHILD);
}

TEST(waitid_wnowait_leaves_the_child_waitable)
{
	pid_t pid = harness_exiting_child(17);
	siginfo_t info;
	for (int i = 0; i < 2; i++) {
		memset(&info, 0, sizeof(info));
		EXPECT_EQ(raw_waitid(P_PID, pid, &info, WEXITED | WNOWAIT, 0),
			  0);
		EXPECT_EQ(info.si_pid, pid);
		EXPECT_EQ(info.si_status, 17);
	}
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(raw_waitid(P_ALL, 0, &info, WEXITED | WNOWAIT, 0), 0);
	EXPECT_EQ(info.si_pid, pid);
	/* A zombie is still there to signal-probe. */
	EXPECT_SYSCALL_OK(kill(pid, 0));
	EXPECT_CHILD_EXIT(pid, 17);
	EXPECT_ERRNO(raw_waitid(P_PID, pid, &info, WEXITED | WNOWAIT, 0),
		     ECHILD);
}

TEST(waitid_wnohang_without_event_zeroes_siginfo)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t pid = harness_held_child(release, 0);
	siginfo_t info;
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info, WEXITED | WNOHANG, 0), 0);
	EXPECT_EQ(info.si_signo, 0);
	EXPECT_EQ(info.si_errno, 0);
	EXPECT_EQ(info.si_code, 0);
	EXPECT_EQ(info.si_pid, 0);
	EXPECT_EQ(info.si_uid, 0);
	EXPECT_EQ(info.si_status, 0);
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(raw_waitid(P_ALL, 0, &info, WEXITED | WNOHANG, 0), 0);
	EXPECT_EQ(info.si_pid, 0);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(waitid_stopped_and_continued)
{
	/* The child exits only when told: a continued child that had
	 * already exited would have no continue left to report. */
	int *go = harness_shared_alloc(sizeof(int));
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		kill(getpid(), SIGSTOP);
		harness_wait_word(go, 1);
		_exit(5);
	}
	siginfo_t info;
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info, WSTOPPED, 0), 0);
	EXPECT_EQ(info.si_signo, SIGCHLD);
	EXPECT_EQ(info.si_code, CLD_STOPPED);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_EQ(info.si_status, SIGSTOP);
	/* WEXITED alone does not report a stop. */
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info, WEXITED | WNOHANG, 0), 0);
	EXPECT_EQ(info.si_pid, 0);
	/* The stop was consumed. */
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info, WSTOPPED | WNOHANG, 0), 0);
	EXPECT_EQ(info.si_pid, 0);

	EXPECT_SYSCALL_OK(kill(pid, SIGCONT));
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info, WCONTINUED, 0), 0);
	EXPECT_EQ(info.si_signo, SIGCHLD);
	EXPECT_EQ(info.si_code, CLD_CONTINUED);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_EQ(info.si_status, SIGCONT);
	harness_set_word(go, 1);

	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info,
			     WEXITED | WSTOPPED | WCONTINUED, 0),
		  0);
	EXPECT_EQ(info.si_code, CLD_EXITED);
	EXPECT_EQ(info.si_status, 5);
}

TEST(waitid_null_infop_and_rusage)
{
	pid_t pid = harness_exiting_child(3);
	/* Linux accepts a null infop (and still reaps). */
	EXPECT_EQ(raw_waitid(P_PID, pid, 0, WEXITED, 0), 0);
	EXPECT_ERRNO(raw_waitid(P_PID, pid, 0, WEXITED | WNOHANG, 0), ECHILD);

	pid = harness_exiting_child(4);
	siginfo_t info;
	struct rusage ru;
	memset(&ru, 0xff, sizeof(ru));
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(raw_waitid(P_PID, pid, &info, WEXITED, &ru), 0);
	EXPECT_EQ(info.si_status, 4);
	EXPECT_GE(ru.ru_utime.tv_usec, 0);
	EXPECT_LT(ru.ru_utime.tv_usec, 1000000);
	EXPECT_GE(ru.ru_stime.tv_usec, 0);
	EXPECT_LT(ru.ru_stime.tv_usec, 1000000);
}

TEST(waitid_bad_infop_efault)
{
	pid_t pid = harness_exiting_child(0);
	void *bad = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(raw_waitid(P_PID, pid, bad, WEXITED, 0), EFAULT);
	/* Linux copies out after reaping: the child is gone. */
	EXPECT_ERRNO(raw_waitid(P_PID, pid, 0, WEXITED | WNOHANG, 0), ECHILD);
}

TEST(waitid_einval)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t pid = harness_held_child(release, 0);
	siginfo_t info;
	static const struct {
		const char *name;
		int idtype;
		long id;
		int options;
	} cases[] = {
		{"no event selected", P_PID, 0, WNOHANG},
		{"no options", P_ALL, 0, 0},
		{"WNOWAIT alone", P_ALL, 0, WNOWAIT},
		{"unknown option bit", P_ALL, 0, WEXITED | 0x10},
		{"unknown idtype", 42, 0, WEXITED},
		{"idtype 4", 4, 0, WEXITED},
		{"P_PID 0", P_PID, 0, WEXITED},
		{"P_PID -1", P_PID, -1, WEXITED},
		{"P_PGID -1", P_PGID, -1, WEXITED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		printf("  case: %s\n", cases[i].name);
		long id = cases[i].id;
		/* "no event selected" names a real child. */
		if (i == 0)
			id = pid;
		EXPECT_ERRNO(raw_waitid(cases[i].idtype, id, &info,
					cases[i].options | WNOHANG, 0),
			     EINVAL);
	}
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(waitid_echild)
{
	siginfo_t info;
	EXPECT_ERRNO(raw_waitid(P_ALL, 0, &info, WEXITED, 0), ECHILD);
	EXPECT_ERRNO(raw_waitid(P_ALL, 0, &info, WEXITED | WNOHANG, 0),
		     ECHILD);
	EXPECT_ERRNO(raw_waitid(P_PID, getpid(), &info, WEXITED, 0), ECHILD);
	EXPECT_ERRNO(raw_waitid(P_PID, INT_MAX, &info, WEXITED, 0), ECHILD);
	EXPECT_ERRNO(raw_waitid(P_PGID, INT_MAX, &info, WEXITED, 0), ECHILD);
	EXPECT_ERRNO(raw_waitid(P_PGID, 0, &info, WEXITED, 0), ECHILD);
}
