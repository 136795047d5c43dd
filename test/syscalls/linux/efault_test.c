/*
 * Bad user pointers give EFAULT, never a crash, across many syscalls: each
 * call is tried with each kind of bad address.
 */
#include "harness.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/futex.h>
#include <sys/uio.h>

enum { BAD_LOW, BAD_UNMAPPED, BAD_PROT_NONE, BAD_KERNEL, BAD_NONCANONICAL,
       NBAD };

static void *bad_addrs[NBAD];
static void *read_only;

static const char *bad_names[NBAD] = {
	"low address", "unmapped page", "PROT_NONE page", "kernel address",
	"non-canonical address",
};

static void setup(void)
{
	size_t pg = harness_page_size();
	bad_addrs[BAD_LOW] = (void *)16;
	bad_addrs[BAD_UNMAPPED] = harness_unmapped(pg);
	bad_addrs[BAD_PROT_NONE] = harness_map(pg, PROT_NONE);
	bad_addrs[BAD_KERNEL] = (void *)0xffffffff81000000ULL;
	bad_addrs[BAD_NONCANONICAL] = (void *)0x8000000000000000ULL;
	read_only = harness_map(pg, PROT_READ);
}

static void teardown(void)
{
	munmap(bad_addrs[BAD_PROT_NONE], harness_page_size());
	munmap(read_only, harness_page_size());
}

/* One syscall that writes to (or reads from) the pointer p. */
struct call {
	const char *name;
	long (*fn)(void *p);
	/* The kernel writes through p, so a read-only page is bad too. */
	int writes;
};

static long c_clock_gettime(void *p)
{
	return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p);
}
static long c_clock_getres(void *p)
{
	return syscall(SYS_clock_getres, CLOCK_MONOTONIC, p);
}
static long c_gettimeofday(void *p)
{
	return syscall(SYS_gettimeofday, p, 0);
}
static long c_uname(void *p)
{
	return syscall(SYS_uname, p);
}
static long c_getrandom(void *p)
{
	return syscall(SYS_getrandom, p, 16, 0);
}
static long c_write(void *p)
{
	return syscall(SYS_write, 1, p, 16);
}
static long c_nanosleep(void *p)
{
	return syscall(SYS_nanosleep, p, 0);
}
static long c_getrlimit(void *p)
{
	return syscall(SYS_getrlimit, RLIMIT_NOFILE, p);
}
static long c_sigprocmask_set(void *p)
{
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, 0,
		       HARNESS_KERNEL_SIGSET_SIZE);
}
static long c_sigprocmask_old(void *p)
{
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, p,
		       HARNESS_KERNEL_SIGSET_SIZE);
}
static long c_sigaction_old(void *p)
{
	return syscall(SYS_rt_sigaction, SIGUSR1, 0, p,
		       HARNESS_KERNEL_SIGSET_SIZE);
}
static long c_sigaltstack_old(void *p)
{
	return syscall(SYS_sigaltstack, 0, p);
}
static long c_sched_getaffinity(void *p)
{
	return syscall(SYS_sched_getaffinity, 0, 128, p);
}
static long c_fstat(void *p)
{
	return syscall(SYS_fstat, 1, p);
}
static long c_writev(void *p)
{
	return syscall(SYS_writev, 1, p, 1);
}
static long c_futex_wait(void *p)
{
	return syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
}
static long c_sigpending(void *p)
{
	return syscall(SYS_rt_sigpending, p, HARNESS_KERNEL_SIGSET_SIZE);
}
static long c_getresuid(void *p)
{
	return syscall(SYS_getresuid, p, p, p);
}
static long c_time(void *p)
{
	return syscall(SYS_time, p);
}

static const struct call calls[] = {
	{"clock_gettime", c_clock_gettime, 1},
	{"clock_getres", c_clock_getres, 1},
	{"gettimeofday", c_gettimeofday, 1},
	{"uname", c_uname, 1},
	{"getrandom", c_getrandom, 1},
	{"write", c_write, 0},
	{"nanosleep", c_nanosleep, 0},
	{"getrlimit", c_getrlimit, 1},
	{"rt_sigprocmask(set)", c_sigprocmask_set, 0},
	{"rt_sigprocmask(oldset)", c_sigprocmask_old, 1},
	{"rt_sigaction(oldact)", c_sigaction_old, 1},
	{"sigaltstack(old)", c_sigaltstack_old, 1},
	{"sched_getaffinity", c_sched_getaffinity, 1},
	{"fstat", c_fstat, 1},
	{"writev", c_writev, 0},
	{"futex(WAIT)", c_futex_wait, 0},
	{"rt_sigpending", c_sigpending, 1},
	{"getresuid", c_getresuid, 1},
	{"time", c_time, 1},
};

static void check(const struct call *c, void *addr, const char *what)
{
	errno = 0;
	long r = c->fn(addr);
	int err = errno;
	if (r != -1 || err != EFAULT)
		harness_fail(__FILE__, __LINE__,
			     "%s with %s %p: got %ld errno %s, want EFAULT",
			     c->name, what, addr, r, harness_errno_name(err));
}

TEST(bad_pointers_efault)
{
	setup();
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		for (int b = 0; b < NBAD; b++)
			check(&calls[i], bad_addrs[b], bad_names[b]);
	teardown();
}

TEST(read_only_output_efault)
{
	setup();
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].writes)
			check(&calls[i], read_only, "read-only page");
	teardown();
}

TEST(still_alive_and_consistent)
{
	/* After all of that, the process state is intact. */
	struct timespec ts;
	EXPECT_SYSCALL_OK(clock_gettime(CLOCK_MONOTONIC, &ts));
	uint64_t mask = 1;
	EXPECT_SYSCALL_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, &mask,
				  HARNESS_KERNEL_SIGSET_SIZE));
	EXPECT_EQ(mask, 0);
}
