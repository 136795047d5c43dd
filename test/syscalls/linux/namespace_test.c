/*
 * Namespaces: unshare and clone with CLONE_NEWUTS and CLONE_NEWIPC,
 * sethostname/setdomainname, and unshare's checks. Every change of a name
 * happens in a child with a UTS namespace of its own: natively the first
 * namespace is the host's.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/utsname.h>
#include <sys/wait.h>

/*
 * Whether this process may make namespaces: natively a root without
 * CAP_SYS_ADMIN (a container) may not.
 */
static void unshare_probe(void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWUTS) != 0)
		_exit(errno == EPERM ? 3 : 4);
}

static void require_namespaces(void)
{
	int status = harness_wait(harness_fork_child(unshare_probe, 0));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		SKIP("no CAP_SYS_ADMIN: unshare(CLONE_NEWUTS) gives EPERM here");
	ASSERT_EXITED(status, 0);
}

static void new_uts_names(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(unshare(CLONE_NEWUTS));
	struct utsname before, after;
	ASSERT_SYSCALL_OK(uname(&before));
	ASSERT_SYSCALL_OK(sethostname("bulwark-ns-test", 15));
	ASSERT_SYSCALL_OK(setdomainname("bulwark.example", 15));
	ASSERT_SYSCALL_OK(uname(&after));
	EXPECT_STREQ(after.nodename, "bulwark-ns-test");
	EXPECT_STREQ(after.domainname, "bulwark.example");
	EXPECT_STREQ(after.release, before.release);
	/* Errors, in Linux's order; none changes the names. */
	char big[80];
	memset(big, 'x', sizeof(big));
	EXPECT_ERRNO(sethostname(big, 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sethostname, 1L, 4L), EFAULT);
	EXPECT_ERRNO(setdomainname(big, 65), EINVAL);
	ASSERT_SYSCALL_OK(sethostname(big, 64));
	ASSERT_SYSCALL_OK(uname(&after));
	EXPECT_EQ(strlen(after.nodename), 64);
	/* An empty name is allowed. */
	ASSERT_SYSCALL_OK(sethostname("", 0));
	ASSERT_SYSCALL_OK(uname(&after));
	EXPECT_STREQ(after.nodename, "");
}

TEST(ns_unshare_uts)
{
	require_namespaces();
	struct utsname before, after;
	ASSERT_SYSCALL_OK(uname(&before));
	EXPECT_CHILD_EXIT(harness_fork_child(new_uts_names, 0), 0);
	ASSERT_SYSCALL_OK(uname(&after));
	EXPECT_STREQ(after.nodename, before.nodename);
	EXPECT_STREQ(after.domainname, before.domainname);
}

static void check_inherited_name(void *arg)
{
	struct utsname u;
	ASSERT_SYSCALL_OK(uname(&u));
	EXPECT_STREQ(u.nodename, (const char *)arg);
}

static int clone_uts_child(void *arg)
{
	(void)arg;
	if (sethostname("cloned-ns", 9) != 0)
		return 1;
	/* A child of the child shares its namespace. */
	int status = harness_wait(harness_fork_child(check_inherited_name, "cloned-ns"));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 2;
}

TEST(ns_clone_newuts)
{
	require_namespaces();
	struct utsname before, after;
	ASSERT_SYSCALL_OK(uname(&before));
	size_t len = 16 * harness_page_size();
	char *stack = harness_map(len, PROT_READ | PROT_WRITE);
	int pid;
	ASSERT_SYSCALL_OK(pid = clone(clone_uts_child, stack + len, CLONE_NEWUTS | SIGCHLD, 0));
	EXPECT_CHILD_EXIT(pid, 0);
	ASSERT_SYSCALL_OK(uname(&after));
	EXPECT_STREQ(after.nodename, before.nodename);
	EXPECT_SYSCALL_OK(munmap(stack, len));
}

/* A System V key: natively the first IPC namespace is the host's. */
static key_t ns_key(void)
{
	return (key_t)(0x5c000000 | ((getpid() & 0xfffff) << 4));
}

static void other_ipc_namespace(void *arg)
{
	key_t key = *(key_t *)arg;
	/* Visible before leaving the namespace... */
	EXPECT_GE(shmget(key, 0, 0), 0);
	ASSERT_SYSCALL_OK(unshare(CLONE_NEWIPC));
	/* ...and not after; a segment made here stays here. */
	EXPECT_ERRNO(shmget(key, 0, 0), ENOENT);
	int id;
	ASSERT_SYSCALL_OK(id = shmget(key + 1, 4096, IPC_CREAT | 0600));
	ASSERT_SYSCALL_OK(shmctl(id, IPC_RMID, 0));
}

static void rm_shm(void *arg)
{
	shmctl((int)(intptr_t)arg, IPC_RMID, 0);
}

TEST(ns_unshare_ipc)
{
	require_namespaces();
	key_t key = ns_key();
	int id;
	ASSERT_SYSCALL_OK(id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
	harness_defer(rm_shm, (void *)(intptr_t)id);
	EXPECT_CHILD_EXIT(harness_fork_child(other_ipc_namespace, &key), 0);
	/* The child's segment was in its namespace only. */
	EXPECT_ERRNO(shmget(key + 1, 0, 0), ENOENT);
	EXPECT_GE(shmget(key, 0, 0), 0);
}

static void unprivileged_unshare(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(setresgid(65534, 65534, 65534));
	ASSERT_SYSCALL_OK(setresuid(65534, 65534, 65534));
	EXPECT_ERRNO(unshare(CLONE_NEWUTS), EPERM);
	EXPECT_ERRNO(unshare(CLONE_NEWIPC), EPERM);
	EXPECT_ERRNO(sethostname("x", 1), EPERM);
	EXPECT_ERRNO(setdomainname("x", 1), EPERM);
	/* Nothing asked: nothing to refuse. */
	EXPECT_SYSCALL_OK(unshare(0));
}

TEST(ns_needs_cap_sys_admin)
{
	if (getuid() != 0)
		SKIP("needs root to switch to an unprivileged user");
	EXPECT_CHILD_EXIT(harness_fork_child(unprivileged_unshare, 0), 0);
}

static void *idle_thread(void *arg)
{
	harness_wait_word(arg, 1);
	return 0;
}

TEST(ns_unshare_flag_checks)
{
	/* Flags unshare does not know. */
	EXPECT_ERRNO(unshare(CLONE_SETTLS), EINVAL);
	EXPECT_ERRNO(unshare(CLONE_PARENT), EINVAL);
	/* Sharing flags: no-ops for a process with one thread... */
	EXPECT_SYSCALL_OK(unshare(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD));
	/* ...refused once it has another. */
	int *release = harness_shared_alloc(sizeof(int));
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, idle_thread, release), 0);
	EXPECT_ERRNO(unshare(CLONE_VM), EINVAL);
	EXPECT_ERRNO(unshare(CLONE_THREAD), EINVAL);
	EXPECT_ERRNO(unshare(CLONE_SIGHAND), EINVAL);
	harness_set_word(release, 1);
	ASSERT_EQ(pthread_join(th, 0), 0);
}
