/*
 * harness.h: the minimal test harness shared by every syscall test.
 *
 * A test file includes this header FIRST (it defines _GNU_SOURCE), defines
 * tests with TEST(name) { ... } and has no main(): harness.c provides one that
 * runs every registered test (or those whose name matches the glob in argv[1]),
 * prints "[ RUN ] name", "[  OK ] name", "[ SKIP ] name: why" or
 * "[ FAIL ] name: file:line: message", and exits 0 iff no test failed.
 *
 * Tests run one after another in a single process (a test may fork, clone
 * and exec: the children it makes end inside it, see the process helpers at
 * the end of this file). Before each test the harness resets the signal
 * state (handlers back to SIG_DFL, nothing blocked or pending, no alternate
 * stack), so a test may install handlers freely but must undo any other
 * process-wide change it makes (rlimits, O_NONBLOCK on stdout, extra FDs,
 * brk) or have the harness undo it (the file-system helpers at the end:
 * temporary directories, cwd, umask, effective ids, harness_defer).
 *
 * Rules:
 *  - EXPECT_* records a failure and continues; ASSERT_* records it and ends
 *    the test. Both may be used from any thread the test creates; an ASSERT_*
 *    failing in a thread other than the test's own ends the whole process with
 *    status 1 (a test cannot be unwound from another thread).
 *  - Never use EXPECT_* or ASSERT_* inside a signal handler: record what the
 *    handler saw in globals and check them after it returned.
 *  - Use syscall(SYS_x, ...) where a libc wrapper could hide behaviour (vDSO,
 *    argument rewriting, errno conventions).
 */
#ifndef BULWARK_TEST_SYSCALLS_HARNESS_H
#define BULWARK_TEST_SYSCALLS_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- registration ---- */

struct harness_test {
	const char *name;
	void (*fn)(void);
	struct harness_test *next;
};

void harness_register(struct harness_test *t);

#define TEST(name)                                                             \
	static void name##_test_body(void);                                    \
	static struct harness_test name##_test_desc = {#name,                  \
						       name##_test_body, 0};   \
	__attribute__((constructor)) static void name##_test_register(void)    \
	{                                                                      \
		harness_register(&name##_test_desc);                           \
	}                                                                      \
	static void name##_test_body(void)

/* ---- failure reporting ---- */

void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Ends the current test (after a failure was recorded, or for a skip). */
__attribute__((noreturn)) void harness_abort_test(void);
__attribute__((noreturn)) void harness_skip(const char *file, int line,
					    const char *reason);
/* Name of an errno value ("EINVAL"), or "E?" for an unknown one. */
const char *harness_errno_name(int e);

#define HARNESS_CMP(a, op, b, ta, tb, on_fail)                                 \
	do {                                                                   \
		long long harness_a_ = (long long)(a);                         \
		long long harness_b_ = (long long)(b);                         \
		if (!(harness_a_ op harness_b_)) {                             \
			harness_fail(__FILE__, __LINE__,                       \
				     "expected %s " #op " %s, got %lld (0x%llx) " \
				     "vs %lld (0x%llx)",                       \
				     ta, tb, harness_a_,                       \
				     (unsigned long long)harness_a_,           \
				     harness_b_,                               \
				     (unsigned long long)harness_b_);          \
			on_fail;                                               \
		}                                                              \
	} while (0)

#define HARNESS_TRUE(cond, text, on_fail)                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			harness_fail(__FILE__, __LINE__,                       \
				     "expected true: %s", text);               \
			on_fail;                                               \
		}                                                              \
	} while (0)

#define HARNESS_STREQ(a, b, ta, tb, on_fail)                                   \
	do {                                                                   \
		const char *harness_sa_ = (a), *harness_sb_ = (b);             \
		if (strcmp(harness_sa_, harness_sb_) != 0) {                   \
			harness_fail(__FILE__, __LINE__,                       \
				     "expected %s == %s, got \"%s\" vs \"%s\"", \
				     ta, tb, harness_sa_, harness_sb_);        \
			on_fail;                                               \
		}                                                              \
	} while (0)

/* expr must return >= 0 (a syscall that succeeded). */
#define HARNESS_SYSCALL_OK(expr, text, on_fail)                                \
	do {                                                                   \
		errno = 0;                                                     \
		long long harness_r_ = (long long)(expr);                      \
		int harness_e_ = errno;                                        \
		if (harness_r_ < 0) {                                          \
			harness_fail(__FILE__, __LINE__,                       \
				     "%s failed: returned %lld, errno %s (%d)", \
				     text, harness_r_,                         \
				     harness_errno_name(harness_e_),           \
				     harness_e_);                              \
			on_fail;                                               \
		}                                                              \
	} while (0)

/* expr must return -1 (or MAP_FAILED) with errno == err. */
#define HARNESS_ERRNO(expr, err, text, on_fail)                                \
	do {                                                                   \
		errno = 0;                                                     \
		long long harness_r_ = (long long)(expr);                      \
		int harness_e_ = errno;                                        \
		if (harness_r_ != -1 || harness_e_ != (err)) {                 \
			harness_fail(__FILE__, __LINE__,                       \
				     "%s: expected -1 with errno %s, got %lld " \
				     "with errno %s (%d)",                     \
				     text, harness_errno_name(err),            \
				     harness_r_,                               \
				     harness_errno_name(harness_e_),           \
				     harness_e_);                              \
			on_fail;                                               \
		}                                                              \
	} while (0)

#define HARNESS_NOTHING ((void)0)
#define HARNESS_END harness_abort_test()

#define EXPECT_EQ(a, b) HARNESS_CMP(a, ==, b, #a, #b, HARNESS_NOTHING)
#define EXPECT_NE(a, b) HARNESS_CMP(a, !=, b, #a, #b, HARNESS_NOTHING)
#define EXPECT_LT(a, b) HARNESS_CMP(a, <, b, #a, #b, HARNESS_NOTHING)
#define EXPECT_LE(a, b) HARNESS_CMP(a, <=, b, #a, #b, HARNESS_NOTHING)
#define EXPECT_GT(a, b) HARNESS_CMP(a, >, b, #a, #b, HARNESS_NOTHING)
#define EXPECT_GE(a, b) HARNESS_CMP(a, >=, b, #a, #b, HARNESS_NOTHING)
#define EXPECT_TRUE(c) HARNESS_TRUE(c, #c, HARNESS_NOTHING)
#define EXPECT_FALSE(c) HARNESS_TRUE(!(c), "!(" #c ")", HARNESS_NOTHING)
#define EXPECT_STREQ(a, b) HARNESS_STREQ(a, b, #a, #b, HARNESS_NOTHING)
#define EXPECT_SYSCALL_OK(expr)                                                \
	HARNESS_SYSCALL_OK(expr, #expr, HARNESS_NOTHING)
#define EXPECT_ERRNO(expr, err)                                                \
	HARNESS_ERRNO(expr, err, #expr, HARNESS_NOTHING)

#define ASSERT_EQ(a, b) HARNESS_CMP(a, ==, b, #a, #b, HARNESS_END)
#define ASSERT_NE(a, b) HARNESS_CMP(a, !=, b, #a, #b, HARNESS_END)
#define ASSERT_LT(a, b) HARNESS_CMP(a, <, b, #a, #b, HARNESS_END)
#define ASSERT_LE(a, b) HARNESS_CMP(a, <=, b, #a, #b, HARNESS_END)
#define ASSERT_GT(a, b) HARNESS_CMP(a, >, b, #a, #b, HARNESS_END)
#define ASSERT_GE(a, b) HARNESS_CMP(a, >=, b, #a, #b, HARNESS_END)
#define ASSERT_TRUE(c) HARNESS_TRUE(c, #c, HARNESS_END)
#define ASSERT_FALSE(c) HARNESS_TRUE(!(c), "!(" #c ")", HARNESS_END)
#define ASSERT_STREQ(a, b) HARNESS_STREQ(a, b, #a, #b, HARNESS_END)
#define ASSERT_SYSCALL_OK(expr)                                                \
	HARNESS_SYSCALL_OK(expr, #expr, HARNESS_END)
#define ASSERT_ERRNO(expr, err)                                                \
	HARNESS_ERRNO(expr, err, #expr, HARNESS_END)

/* Ends the current test as skipped; the reason is printed. */
#define SKIP(reason) harness_skip(__FILE__, __LINE__, reason)

/* ---- helpers shared by tests ---- */

/* The test binary's page size. */
size_t harness_page_size(void);

/* Current value of a clock in nanoseconds (ASSERTs clock_gettime works). */
int64_t harness_now_ns(clockid_t clock);
struct timespec harness_ns_to_ts(int64_t ns);
int64_t harness_ts_to_ns(const struct timespec *ts);

/*
 * A thread body (for pthread_create) that sleeps delay_ns, then writes the
 * 8-byte value to fd; it returns non-NULL if the write was short.
 */
struct harness_delayed_io {
	int fd;
	uint64_t value;
	int64_t delay_ns;
};
void *harness_delayed_write(void *arg);

/* Raw gettid/tgkill so tests do not depend on the libc version. */
pid_t harness_gettid(void);
int harness_tgkill(pid_t tgid, pid_t tid, int sig);

/*
 * A raw x86-64 system call that returns -errno on failure and never touches
 * errno (or anything else in thread-local storage): for children that share
 * the parent's memory (vfork, CLONE_VM), where errno is the parent's.
 */
long harness_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5,
			 long a6);

/*
 * Maps len bytes of anonymous private memory with prot (ASSERTs success).
 * harness_unmapped(len) returns the start of a range that was just mapped and
 * unmapped again, so it is free (unless another thread maps meanwhile).
 */
void *harness_map(size_t len, int prot);
void *harness_unmapped(size_t len);

/*
 * The lowest descriptor number >= min that is not open. Tests use it instead
 * of assuming only 0, 1 and 2 are open (true under the runner, not always
 * when a test is run by hand from a shell).
 */
int harness_free_fd(int min);

/* Installs handler for sig with SA_SIGINFO | flags and an empty sa_mask. */
void harness_set_handler(int sig, void (*handler)(int, siginfo_t *, void *),
			 int flags);

/*
 * What a synchronous fault raised: filled by harness_catch_fault when the
 * function it ran raised SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP.
 */
struct harness_fault {
	int signo;
	int code;
	void *addr;
};

/*
 * Runs fn(arg) with handlers for the fault signals installed; a fault ends fn
 * via siglongjmp. Returns 1 (and fills *f) if fn faulted, 0 if it returned.
 * The previous handlers are restored. Usable from any thread.
 */
int harness_catch_fault(void (*fn)(void *), void *arg, struct harness_fault *f);
/* Shorthands: one volatile byte read or write at addr. */
int harness_probe_read(const void *addr, struct harness_fault *f);
int harness_probe_write(void *addr, struct harness_fault *f);

/*
 * A thread that sends sig to thread tid of this process every interval_ns
 * until stopped: for "a signal arrives while the test is blocked" without a
 * race on when the block starts. The signaller blocks all signals itself.
 */
struct harness_signaller {
	pthread_t thread;
	pid_t tid;
	int sig;
	int64_t interval_ns;
	int stop;  /* accessed atomically */
	int sent;  /* accessed atomically: signals sent so far */
};
void harness_signaller_start(struct harness_signaller *s, pid_t tid, int sig,
			     int64_t interval_ns);
void harness_signaller_stop(struct harness_signaller *s);

/*
 * The kernel's struct sigaction for raw rt_sigaction (x86-64), as defined in
 * arch/x86/include/uapi/asm/signal.h (with the 8-byte kernel sigset_t).
 */
struct harness_kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* The kernel sigset_t is 8 bytes on x86-64. */
#define HARNESS_KERNEL_SIGSET_SIZE 8

/*
 * ---- file-system helpers ----
 *
 * Everything below is undone by the harness after the test ends, also when it
 * ended by an ASSERT or a SKIP, in this order: the effective uid and gid are
 * restored, deferred functions run (the last registered first), temporary
 * directories are removed with everything in them, and the strings returned
 * by harness_path and harness_strf are freed. A failure while cleaning up
 * fails the test. Call these from the test's own thread.
 */

/*
 * A fresh directory (mode 0700) made with mkdtemp under /tmp for the current
 * test, created on the first call. /tmp is a tmpfs in the sandbox and often
 * an ordinary disk file system natively: tests that need tmpfs semantics use
 * harness_shmdir instead. If $HARNESS_TMPDIR is set (the runners set it for
 * the file-system tests: a host directory under /var/tmp, which the sandbox
 * sees in its root, so the --overlay2 modes differ), it is used instead of
 * /tmp.
 */
const char *harness_tmpdir(void);
/* harness_tmpdir() "/" name; name "" gives the directory itself. */
char *harness_path(const char *name);
/* The same two under /dev/shm, a tmpfs both natively and in the sandbox. */
const char *harness_shmdir(void);
char *harness_shm_path(const char *name);
/* A printf-formatted string, freed by the harness after the test. */
char *harness_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs fn(arg) after the current test (at most 64 per test). */
void harness_defer(void (*fn)(void *), void *arg);

/* chdir(path) (ASSERTed); the working directory is restored after the test. */
void harness_chdir(const char *path);
/* umask(mask), returning the old mask; the mask is restored after the test. */
mode_t harness_umask(mode_t mask);

/*
 * Sets the calling thread's effective gid, then uid, with the raw
 * setresgid/setresuid syscalls (real and saved ids unchanged; only this
 * thread is affected), ASSERTing success. The effective ids the test started
 * with are restored after the test; harness_restore_eids restores them
 * earlier (it does nothing if they were not changed).
 */
void harness_set_eids(uid_t euid, gid_t egid);
void harness_restore_eids(void);

/*
 * The raw open syscall (mode is read only with O_CREAT or O_TMPFILE, as for
 * open(2)); ASSERTs that it succeeded, naming the path and errno if not.
 */
int harness_open(const char *path, int flags, ...);

/*
 * Creates path (O_CREAT | O_EXCL, mode) holding len bytes of data; ASSERTs
 * that everything worked.
 */
void harness_write_file(const char *path, const void *data, size_t len,
			mode_t mode);
/*
 * Reads up to cap - 1 bytes of path into buf and NUL-terminates it; returns
 * the length read. ASSERTs that open and read worked.
 */
size_t harness_read_file(const char *path, char *buf, size_t cap);

/*
 * ---- process helpers ----
 *
 * For tests that fork, clone or exec. A child must never return into the
 * harness's test loop: a child made by harness_fork_child runs one function
 * and _exits; a child made any other way (raw fork, clone, vfork) ends with
 * _exit or exit_group itself. Failures inside a child make the test fail only
 * through the child's exit status, which the parent checks (EXPECT_CHILD_EXIT
 * and friends).
 *
 * After each test the harness checks (in the test process) that the test
 * left no child behind: an unwaited zombie or a running child fails the test;
 * running children made by harness_fork_child are killed and reaped, and the
 * harness then blocks until every other child has ended (a test that leaks a
 * child that never ends therefore hits the runner's timeout, after the
 * failure was printed). Orphans reparented to the test (it is the sandbox's
 * init, and natively a test may be a child subreaper) count as its children.
 */

/*
 * Forks (glibc fork, ASSERTed) and returns the child's pid in the parent. The
 * child runs fn(arg) and _exits 0, or 1 if an EXPECT_* or ASSERT_* failed in
 * it (an ASSERT_* ends fn early; a SKIP in a child is a failure). Children it
 * leaves running are orphaned (the leak check is the test process's only).
 * Failures are printed with the child's pid. The child shares no harness
 * state with the parent afterwards: deferred functions and temporary
 * directories stay the parent's (the child may still use harness_path for the
 * parent's directory).
 */
pid_t harness_fork_child(void (*fn)(void *), void *arg);

/*
 * The same for a child the test made itself in a separate address space
 * (raw fork, clone without CLONE_VM): call it first thing in the child. Never
 * use it in a child sharing the parent's memory (CLONE_VM, vfork): that child
 * must use only raw system calls and report through its exit status.
 */
__attribute__((noreturn)) void harness_child_run(void (*fn)(void *), void *arg);

/*
 * Waits for the child pid (wait4 with __WALL, retrying on EINTR; ASSERTs that
 * it worked and returned pid) and returns its wait status.
 */
int harness_wait(pid_t pid);

/* "exited with 3", "killed by SIGSEGV", "stopped by SIGSTOP", ... */
const char *harness_status_str(int status);

/*
 * Check a wait status: exited with code / killed by sig (without a core
 * dump). They record a failure naming the actual status and return 0 if it
 * differs, 1 if it matched.
 */
int harness_check_exit(const char *file, int line, int status, int code);
int harness_check_killed(const char *file, int line, int status, int sig);

#define EXPECT_EXITED(status, code)                                            \
	((void)harness_check_exit(__FILE__, __LINE__, status, code))
#define EXPECT_KILLED(status, sig)                                             \
	((void)harness_check_killed(__FILE__, __LINE__, status, sig))
#define ASSERT_EXITED(status, code)                                            \
	do {                                                                   \
		if (!harness_check_exit(__FILE__, __LINE__, status, code))     \
			harness_abort_test();                                  \
	} while (0)
#define ASSERT_KILLED(status, sig)                                             \
	do {                                                                   \
		if (!harness_check_killed(__FILE__, __LINE__, status, sig))    \
			harness_abort_test();                                  \
	} while (0)
/* Wait for the child pid (harness_wait), then check how it ended. */
#define EXPECT_CHILD_EXIT(pid, code) EXPECT_EXITED(harness_wait(pid), code)
#define EXPECT_CHILD_KILLED(pid, sig) EXPECT_KILLED(harness_wait(pid), sig)

/*
 * Anonymous MAP_SHARED memory (zeroed, ASSERTed) for passing data between a
 * test and its children; it is unmapped after the test. Children inherit it
 * shared across fork (not across exec).
 */
void *harness_shared_alloc(size_t len);

/*
 * Children that only exit: harness_exiting_child's exits with code at once;
 * harness_held_child's waits until *release is 1 (harness_set_word; release
 * in harness_shared_alloc memory), then exits with code. Both flush stdout
 * first and ASSERT the fork.
 */
pid_t harness_exiting_child(int code);
pid_t harness_held_child(int *release, int code);

/*
 * Handshakes through an int in memory shared with another process or thread:
 * harness_set_word stores v (sequentially consistent) and wakes waiters;
 * harness_wait_word returns once *w == v. The waiter polls with a shared
 * FUTEX_WAIT bounded to a few milliseconds, so it works (more slowly) even
 * where cross-process futex wake-ups do not. Both are async-signal-safe
 * and use only raw system calls, so a CLONE_VM or vfork child may use them.
 */
void harness_set_word(int *w, int v);
void harness_wait_word(int *w, int v);

/*
 * Child modes: a test that execs the test binary itself (harness_exe_path())
 * passes argv = {path, HARNESS_CHILD_FLAG, "name", args..., NULL}; main() then
 * runs the function registered with CHILD_MODE(name) instead of any test,
 * with argv[0] = "name" and argv[1..] = args, and exits with its return value
 * (1 if an EXPECT_* or ASSERT_* failed in it; 100 for an unknown mode).
 */
#define HARNESS_CHILD_FLAG "--harness-child"

struct harness_child_mode {
	const char *name;
	int (*fn)(int argc, char **argv);
	struct harness_child_mode *next;
};

void harness_register_child_mode(struct harness_child_mode *m);

#define CHILD_MODE(name)                                                       \
	static int name##_child_mode(int argc, char **argv);                   \
	static struct harness_child_mode name##_child_mode_desc = {            \
		#name, name##_child_mode, 0};                                  \
	__attribute__((constructor)) static void name##_child_mode_reg(void)   \
	{                                                                      \
		harness_register_child_mode(&name##_child_mode_desc);          \
	}                                                                      \
	static int name##_child_mode(int argc, char **argv)

/*
 * Absolute path of the running test binary (read from /proc/self/exe when
 * main() starts; argv[0] if that failed), for exec'ing it in a child mode.
 */
const char *harness_exe_path(void);

#endif /* BULWARK_TEST_SYSCALLS_HARNESS_H */
