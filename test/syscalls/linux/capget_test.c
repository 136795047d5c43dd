/* capget and capset: versions, targets, the rules of a change, and how
 * set*id calls and the bounding set affect the capability sets. */
#include "harness.h"

#include <linux/capability.h>
#include <stdlib.h>
#include <sys/prctl.h>

#define V1 _LINUX_CAPABILITY_VERSION_1
#define V2 _LINUX_CAPABILITY_VERSION_2
#define V3 _LINUX_CAPABILITY_VERSION_3

struct caps {
	uint64_t eff, perm, inh;
};

static long raw_capget(struct __user_cap_header_struct *h,
		       struct __user_cap_data_struct *d)
{
	return syscall(SYS_capget, h, d);
}

static long raw_capset(struct __user_cap_header_struct *h,
		       const struct __user_cap_data_struct *d)
{
	return syscall(SYS_capset, h, d);
}

/* The calling thread's sets (version 3), ASSERTing success. */
static struct caps get_caps(void)
{
	struct __user_cap_header_struct h = {.version = V3, .pid = 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	struct caps c = {0, 0, 0};
	HARNESS_SYSCALL_OK(raw_capget(&h, d), "capget", harness_abort_test());
	c.eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c.perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c.inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return c;
}

/* capset of the calling thread (version 3); returns the raw result. */
static long set_caps(struct caps c)
{
	struct __user_cap_header_struct h = {.version = V3, .pid = 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)c.eff, (uint32_t)c.perm, (uint32_t)c.inh},
		{(uint32_t)(c.eff >> 32), (uint32_t)(c.perm >> 32),
		 (uint32_t)(c.inh >> 32)},
	};
	return raw_capset(&h, d);
}

#define BIT(cap) ((uint64_t)1 << (cap))

static int has_cap(int cap)
{
	return (get_caps().eff & BIT(cap)) != 0;
}

TEST(version_query_with_null_data)
{
	struct __user_cap_header_struct h = {.version = V3, .pid = 0};
	EXPECT_EQ(raw_capget(&h, NULL), 0);
	EXPECT_EQ(h.version, V3);
	h.version = V1;
	EXPECT_EQ(raw_capget(&h, NULL), 0);
	EXPECT_EQ(h.version, V1);
	/* A wrong version is corrected to the preferred one: 0 without data. */
	h.version = 0x12345678;
	EXPECT_EQ(raw_capget(&h, NULL), 0);
	EXPECT_EQ(h.version, V3);
}

TEST(bad_version_einval_and_corrected)
{
	struct __user_cap_header_struct h = {.version = 0, .pid = 0};
	struct __user_cap_data_struct d[2];
	EXPECT_ERRNO(raw_capget(&h, d), EINVAL);
	EXPECT_EQ(h.version, V3);
	h.version = 1;
	EXPECT_ERRNO(raw_capset(&h, d), EINVAL);
	EXPECT_EQ(h.version, V3);
}

TEST(versions_agree)
{
	struct caps c = get_caps();
	struct __user_cap_header_struct h = {.version = V1, .pid = 0};
	/* Version 1 writes one word: the second must stay untouched. */
	struct __user_cap_data_struct d[2];
	memset(d, 0xa5, sizeof(d));
	ASSERT_SYSCALL_OK(raw_capget(&h, d));
	EXPECT_EQ(d[0].effective, (uint32_t)c.eff);
	EXPECT_EQ(d[0].permitted, (uint32_t)c.perm);
	EXPECT_EQ(d[0].inheritable, (uint32_t)c.inh);
	EXPECT_EQ(d[1].effective, 0xa5a5a5a5u);
	h.version = V2;
	memset(d, 0, sizeof(d));
	ASSERT_SYSCALL_OK(raw_capget(&h, d));
	EXPECT_EQ(d[1].permitted, (uint32_t)(c.perm >> 32));
	/* The effective set is within the permitted set. */
	EXPECT_EQ(c.eff & ~c.perm, 0);
}

TEST(capget_targets)
{
	struct caps c = get_caps();
	struct __user_cap_header_struct h = {.version = V3,
					     .pid = harness_gettid()};
	struct __user_cap_data_struct d[2];
	ASSERT_SYSCALL_OK(raw_capget(&h, d));
	EXPECT_EQ(d[0].effective, (uint32_t)c.eff);
	h.pid = 0x7fffffff;
	EXPECT_ERRNO(raw_capget(&h, d), ESRCH);
	h.pid = -1;
	EXPECT_ERRNO(raw_capget(&h, d), EINVAL);
	/* Another process's sets are readable. */
	int *rel = harness_shared_alloc(sizeof(int));
	pid_t child = harness_held_child(rel, 0);
	h.pid = child;
	EXPECT_SYSCALL_OK(raw_capget(&h, d));
	EXPECT_EQ(d[0].permitted, (uint32_t)c.perm);
	harness_set_word(rel, 1);
	EXPECT_CHILD_EXIT(child, 0);
}

TEST(efault)
{
	struct __user_cap_header_struct h = {.version = V3, .pid = 0};
	struct __user_cap_data_struct d[2];
	EXPECT_ERRNO(raw_capget((void *)1, d), EFAULT);
	EXPECT_ERRNO(raw_capget(&h, (void *)1), EFAULT);
	EXPECT_ERRNO(raw_capset((void *)1, d), EFAULT);
	ASSERT_SYSCALL_OK(raw_capget(&h, d));
	EXPECT_ERRNO(raw_capset(&h, (void *)1), EFAULT);
}

TEST(capset_same_sets_ok)
{
	struct caps c = get_caps();
	EXPECT_SYSCALL_OK(set_caps(c));
	struct caps n = get_caps();
	EXPECT_EQ(n.eff, c.eff);
	EXPECT_EQ(n.perm, c.perm);
	EXPECT_EQ(n.inh, c.inh);
}

TEST(capset_other_pid_eperm)
{
	struct caps c = get_caps();
	struct __user_cap_header_struct h = {.version = V3, .pid = 0};
	struct __user_cap_data_struct d[2];
	ASSERT_SYSCALL_OK(raw_capget(&h, d));
	h.pid = harness_gettid();
	EXPECT_SYSCALL_OK(raw_capset(&h, d));
	h.pid = 0x7fffffff;
	EXPECT_ERRNO(raw_capset(&h, d), EPERM);
	struct caps n = get_caps();
	EXPECT_EQ(n.eff, c.eff);
}

/* Children change their own sets; the test process keeps its own. */

static void drop_and_raise_effective(void *arg)
{
	(void)arg;
	struct caps c = get_caps();
	if (!(c.perm & BIT(CAP_CHOWN)))
		return;
	struct caps d = c;
	d.eff &= ~BIT(CAP_CHOWN);
	ASSERT_SYSCALL_OK(set_caps(d));
	EXPECT_EQ(get_caps().eff, d.eff);
	/* Still permitted: it can come back. */
	ASSERT_SYSCALL_OK(set_caps(c));
	EXPECT_EQ(get_caps().eff, c.eff);
	/* Effective outside permitted: EPERM, nothing changes. */
	d = c;
	d.perm &= ~BIT(CAP_CHOWN);
	EXPECT_ERRNO(set_caps(d), EPERM);
	EXPECT_EQ(get_caps().perm, c.perm);
	/* Dropping it from both works; then it cannot come back. */
	d.eff &= ~BIT(CAP_CHOWN);
	ASSERT_SYSCALL_OK(set_caps(d));
	EXPECT_EQ(get_caps().perm, d.perm);
	EXPECT_ERRNO(set_caps(c), EPERM);
	EXPECT_EQ(get_caps().perm, d.perm);
}

TEST(capset_rules)
{
	if (!(get_caps().perm & BIT(CAP_CHOWN)))
		SKIP("CAP_CHOWN is not in the permitted set");
	EXPECT_CHILD_EXIT(harness_fork_child(drop_and_raise_effective, 0), 0);
}

static void inheritable_rules(void *arg)
{
	(void)arg;
	struct caps c = get_caps();
	/* Give up CAP_SETPCAP, then the inheritable set can only gain
	 * capabilities that are permitted. */
	struct caps d = c;
	d.eff &= ~BIT(CAP_SETPCAP);
	d.perm &= ~(BIT(CAP_SETPCAP) | BIT(CAP_KILL));
	d.eff &= ~BIT(CAP_KILL);
	d.inh = 0;
	ASSERT_SYSCALL_OK(set_caps(d));
	struct caps e = d;
	e.inh = BIT(CAP_KILL);
	EXPECT_ERRNO(set_caps(e), EPERM);
	e.inh = BIT(CAP_CHOWN);
	EXPECT_SYSCALL_OK(set_caps(e));
	EXPECT_EQ(get_caps().inh, BIT(CAP_CHOWN));
}

TEST(capset_inheritable)
{
	struct caps c = get_caps();
	if ((c.perm & (BIT(CAP_SETPCAP) | BIT(CAP_KILL) | BIT(CAP_CHOWN))) !=
	    (BIT(CAP_SETPCAP) | BIT(CAP_KILL) | BIT(CAP_CHOWN)))
		SKIP("CAP_SETPCAP, CAP_KILL and CAP_CHOWN are not all permitted");
	EXPECT_CHILD_EXIT(harness_fork_child(inheritable_rules, 0), 0);
}

static void setuid_clears(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(syscall(SYS_setresuid, 1000, 1000, 1000));
	struct caps c = get_caps();
	EXPECT_EQ(c.eff, 0);
	EXPECT_EQ(c.perm, 0);
	/* Nothing left to raise. */
	c.eff = BIT(CAP_CHOWN);
	c.perm = BIT(CAP_CHOWN);
	EXPECT_ERRNO(set_caps(c), EPERM);
}

static void seteuid_keeps_permitted(void *arg)
{
	(void)arg;
	struct caps before = get_caps();
	/* Real and saved uid stay 0: only the effective set goes. */
	ASSERT_SYSCALL_OK(syscall(SYS_setresuid, -1, 1000, -1));
	struct caps c = get_caps();
	EXPECT_EQ(c.eff, 0);
	EXPECT_EQ(c.perm, before.perm);
	/* Back to euid 0: the effective set is the permitted set. */
	ASSERT_SYSCALL_OK(syscall(SYS_setresuid, -1, 0, -1));
	c = get_caps();
	EXPECT_EQ(c.eff, before.perm);
}

static void keepcaps_keeps_permitted(void *arg)
{
	(void)arg;
	struct caps before = get_caps();
	ASSERT_SYSCALL_OK(syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0));
	ASSERT_SYSCALL_OK(syscall(SYS_setresuid, 1000, 1000, 1000));
	struct caps c = get_caps();
	EXPECT_EQ(c.eff, 0);
	EXPECT_EQ(c.perm, before.perm);
	/* And a permitted capability can be made effective again. */
	c.eff = BIT(CAP_CHOWN) & c.perm;
	EXPECT_SYSCALL_OK(set_caps(c));
	EXPECT_EQ(get_caps().eff, c.eff);
	EXPECT_EQ(syscall(SYS_prctl, PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
}

TEST(setuid_to_nonzero_clears_capabilities)
{
	if (geteuid() != 0 || getuid() != 0 || !has_cap(CAP_SETUID))
		SKIP("needs uid 0 with CAP_SETUID");
	EXPECT_CHILD_EXIT(harness_fork_child(setuid_clears, 0), 0);
	EXPECT_CHILD_EXIT(harness_fork_child(seteuid_keeps_permitted, 0), 0);
	EXPECT_CHILD_EXIT(harness_fork_child(keepcaps_keeps_permitted, 0), 0);
}

static void bounding_drop(void *arg)
{
	(void)arg;
	EXPECT_EQ(syscall(SYS_prctl, PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 1);
	ASSERT_SYSCALL_OK(syscall(SYS_prctl, PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0));
	EXPECT_EQ(syscall(SYS_prctl, PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 0);
	/* Dropping from the bounding set leaves the permitted set alone. */
	struct caps c = get_caps();
	EXPECT_TRUE(c.perm & BIT(CAP_KILL));
	/* But an inheritable capability outside the bounding set is EPERM,
	 * even with CAP_SETPCAP. */
	c.inh |= BIT(CAP_KILL);
	EXPECT_ERRNO(set_caps(c), EPERM);
	EXPECT_ERRNO(syscall(SYS_prctl, PR_CAPBSET_DROP, 1000, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_prctl, PR_CAPBSET_READ, 1000, 0, 0, 0), EINVAL);
	/* Without CAP_SETPCAP, dropping is EPERM. */
	c = get_caps();
	c.eff &= ~BIT(CAP_SETPCAP);
	ASSERT_SYSCALL_OK(set_caps(c));
	EXPECT_ERRNO(syscall(SYS_prctl, PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0), EPERM);
}

TEST(bounding_set_drop)
{
	struct caps c = get_caps();
	if (!(c.eff & BIT(CAP_SETPCAP)) || !(c.perm & BIT(CAP_KILL)) ||
	    syscall(SYS_prctl, PR_CAPBSET_READ, CAP_KILL, 0, 0, 0) != 1)
		SKIP("needs CAP_SETPCAP, and CAP_KILL permitted and in the bounding set");
	EXPECT_CHILD_EXIT(harness_fork_child(bounding_drop, 0), 0);
}

TEST(threads_have_their_own_sets)
{
	/* capget of another thread of the process works by its tid. */
	struct caps c = get_caps();
	struct __user_cap_header_struct h = {.version = V3, .pid = getpid()};
	struct __user_cap_data_struct d[2];
	ASSERT_SYSCALL_OK(raw_capget(&h, d));
	EXPECT_EQ(d[0].permitted, (uint32_t)c.perm);
}

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static long ambient(long op, long cap)
{
	return syscall(SYS_prctl, PR_CAP_AMBIENT, op, cap, 0, 0);
}

/*
 * The CapEff line of /proc/self/status as a program sees it after execve
 * (busybox cat, reading its own status).
 */
static uint64_t effective_after_exec(void)
{
	int p[2];
	HARNESS_SYSCALL_OK(pipe(p), "pipe", harness_abort_test());
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl("/bin/busybox", "cat", "/proc/self/status", (char *)0);
		_exit(127);
	}
	close(p[1]);
	static char buf[8192];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 && (r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	buf[n] = 0;
	close(p[0]);
	ASSERT_EXITED(harness_wait(pid), 0);
	char *line = strstr(buf, "CapEff:\t");
	ASSERT_TRUE(line != 0);
	return strtoull(line + 8, 0, 16);
}

static void ambient_rules(void *arg)
{
	(void)arg;
	EXPECT_SYSCALL_OK(ambient(PR_CAP_AMBIENT_CLEAR_ALL, 0));
	EXPECT_EQ(ambient(PR_CAP_AMBIENT_IS_SET, CAP_CHOWN), 0);
	/* Only what is permitted and inheritable can be raised. */
	struct caps c = get_caps();
	c.inh &= ~BIT(CAP_CHOWN);
	ASSERT_SYSCALL_OK(set_caps(c));
	EXPECT_ERRNO(ambient(PR_CAP_AMBIENT_RAISE, CAP_CHOWN), EPERM);
	c.inh |= BIT(CAP_CHOWN);
	ASSERT_SYSCALL_OK(set_caps(c));
	EXPECT_SYSCALL_OK(ambient(PR_CAP_AMBIENT_RAISE, CAP_CHOWN));
	EXPECT_EQ(ambient(PR_CAP_AMBIENT_IS_SET, CAP_CHOWN), 1);
	char status[4096];
	harness_read_file("/proc/self/status", status, sizeof(status));
	EXPECT_TRUE(strstr(status, "CapAmb:\t0000000000000001\n") != 0);
	EXPECT_SYSCALL_OK(ambient(PR_CAP_AMBIENT_LOWER, CAP_CHOWN));
	EXPECT_EQ(ambient(PR_CAP_AMBIENT_IS_SET, CAP_CHOWN), 0);
	/* Dropping it from the inheritable set drops it from the ambient. */
	EXPECT_SYSCALL_OK(ambient(PR_CAP_AMBIENT_RAISE, CAP_CHOWN));
	c.inh &= ~BIT(CAP_CHOWN);
	ASSERT_SYSCALL_OK(set_caps(c));
	EXPECT_EQ(ambient(PR_CAP_AMBIENT_IS_SET, CAP_CHOWN), 0);
	/* Argument checks. */
	EXPECT_ERRNO(ambient(PR_CAP_AMBIENT_IS_SET, 1000), EINVAL);
	EXPECT_ERRNO(ambient(99, CAP_CHOWN), EINVAL);
	EXPECT_ERRNO(ambient(PR_CAP_AMBIENT_CLEAR_ALL, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 1, 0), EINVAL);
}

TEST(ambient_capabilities)
{
	struct caps c = get_caps();
	if (!(c.perm & BIT(CAP_CHOWN)) || !(c.eff & BIT(CAP_SETPCAP)))
		SKIP("needs CAP_CHOWN permitted and CAP_SETPCAP");
	EXPECT_CHILD_EXIT(harness_fork_child(ambient_rules, 0), 0);
}

/*
 * A program that is not root gets exactly the ambient set at execve; a
 * change of uids away from 0 clears the ambient set, even with keepcaps.
 */
static void ambient_exec(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0));
	struct caps c = get_caps();
	c.inh |= BIT(CAP_CHOWN);
	ASSERT_SYSCALL_OK(set_caps(c));
	ASSERT_SYSCALL_OK(ambient(PR_CAP_AMBIENT_RAISE, CAP_CHOWN));
	ASSERT_SYSCALL_OK(syscall(SYS_setresuid, 65534, 65534, 65534));
	EXPECT_EQ(ambient(PR_CAP_AMBIENT_IS_SET, CAP_CHOWN), 0);
	EXPECT_EQ(effective_after_exec(), 0);
	/* Raised again as the unprivileged user, it survives the execve. */
	ASSERT_SYSCALL_OK(ambient(PR_CAP_AMBIENT_RAISE, CAP_CHOWN));
	EXPECT_EQ(effective_after_exec(), BIT(CAP_CHOWN));
}

TEST(ambient_capabilities_at_exec)
{
	struct caps c = get_caps();
	if (getuid() != 0 || !(c.perm & BIT(CAP_CHOWN)) || !(c.eff & BIT(CAP_SETUID)))
		SKIP("needs root with CAP_CHOWN and CAP_SETUID");
	if (access("/bin/busybox", X_OK) != 0)
		SKIP("needs /bin/busybox to exec (tools/install-deps.sh installs it)");
	EXPECT_CHILD_EXIT(harness_fork_child(ambient_exec, 0), 0);
}

#ifndef PR_GET_SECUREBITS
#define PR_GET_SECUREBITS 27
#define PR_SET_SECUREBITS 28
#endif
#define SB_NOROOT (1 << 0)
#define SB_NOROOT_LOCKED (1 << 1)
#define SB_NO_SETUID_FIXUP (1 << 2)
#define SB_KEEP_CAPS (1 << 4)
#define SB_KEEP_CAPS_LOCKED (1 << 5)
#define SB_NO_CAP_AMBIENT_RAISE (1 << 6)

static long securebits(void)
{
	return syscall(SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0);
}

static long set_securebits(long bits)
{
	return syscall(SYS_prctl, PR_SET_SECUREBITS, bits, 0, 0, 0);
}

static void securebits_rules(void *arg)
{
	(void)arg;
	ASSERT_EQ(securebits(), 0);
	/* KEEP_CAPS is PR_SET_KEEPCAPS's bit. */
	ASSERT_SYSCALL_OK(set_securebits(SB_KEEP_CAPS));
	EXPECT_EQ(syscall(SYS_prctl, PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	ASSERT_SYSCALL_OK(syscall(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0));
	EXPECT_EQ(securebits(), 0);
	/* Unknown bits are EPERM. */
	EXPECT_ERRNO(set_securebits(1L << 20), EPERM);
	/* A lock fixes its flag and cannot be undone. */
	ASSERT_SYSCALL_OK(set_securebits(SB_KEEP_CAPS | SB_KEEP_CAPS_LOCKED));
	EXPECT_ERRNO(syscall(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0), EPERM);
	EXPECT_ERRNO(set_securebits(SB_KEEP_CAPS_LOCKED), EPERM);
	EXPECT_ERRNO(set_securebits(SB_KEEP_CAPS), EPERM);
	EXPECT_EQ(securebits(), SB_KEEP_CAPS | SB_KEEP_CAPS_LOCKED);
	/* NO_CAP_AMBIENT_RAISE refuses raising an ambient capability. */
	struct caps c = get_caps();
	c.inh |= BIT(CAP_CHOWN);
	ASSERT_SYSCALL_OK(set_caps(c));
	ASSERT_SYSCALL_OK(set_securebits(SB_KEEP_CAPS | SB_KEEP_CAPS_LOCKED | SB_NO_CAP_AMBIENT_RAISE));
	EXPECT_ERRNO(ambient(PR_CAP_AMBIENT_RAISE, CAP_CHOWN), EPERM);
	/* Without CAP_SETPCAP nothing changes. */
	c = get_caps();
	c.eff &= ~BIT(CAP_SETPCAP);
	ASSERT_SYSCALL_OK(set_caps(c));
	EXPECT_ERRNO(set_securebits(SB_KEEP_CAPS | SB_KEEP_CAPS_LOCKED | SB_NO_CAP_AMBIENT_RAISE | SB_NOROOT), EPERM);
}

TEST(securebits)
{
	struct caps c = get_caps();
	if (!(c.eff & BIT(CAP_SETPCAP)) || !(c.perm & BIT(CAP_CHOWN)) || securebits() != 0)
		SKIP("needs CAP_SETPCAP, CAP_CHOWN permitted and no securebits set");
	EXPECT_CHILD_EXIT(harness_fork_child(securebits_rules, 0), 0);
}

/* NO_SETUID_FIXUP keeps every set through a change away from uid 0; NOROOT
 * gives root nothing at execve. */
static void securebits_setuid_and_exec(void *arg)
{
	(void)arg;
	struct caps before = get_caps();
	ASSERT_SYSCALL_OK(set_securebits(SB_NO_SETUID_FIXUP | SB_NOROOT | SB_NOROOT_LOCKED));
	EXPECT_EQ(effective_after_exec(), 0);
	ASSERT_SYSCALL_OK(syscall(SYS_setresuid, 65534, 65534, 65534));
	struct caps after = get_caps();
	EXPECT_EQ(after.eff, before.eff);
	EXPECT_EQ(after.perm, before.perm);
}

TEST(securebits_setuid_and_exec)
{
	struct caps c = get_caps();
	if (getuid() != 0 || !(c.eff & BIT(CAP_SETPCAP)) || !(c.eff & BIT(CAP_SETUID)) || securebits() != 0)
		SKIP("needs root with CAP_SETPCAP and CAP_SETUID and no securebits set");
	if (access("/bin/busybox", X_OK) != 0)
		SKIP("needs /bin/busybox to exec (tools/install-deps.sh installs it)");
	EXPECT_CHILD_EXIT(harness_fork_child(securebits_setuid_and_exec, 0), 0);
}
