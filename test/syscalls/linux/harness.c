/*
 * harness.c: registration, main(), failure reporting and the helpers
 * declared in harness.h. Linked into every syscall test binary.
 */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static struct harness_test *tests_head, *tests_tail;

/* State of the test being run. */
static const char *current_name;
static pid_t current_tid;
static sigjmp_buf current_env;
static int current_failed;  /* accessed atomically */
static int current_skipped;
static pthread_mutex_t print_mu = PTHREAD_MUTEX_INITIALIZER;
/* Set in a child made by harness_fork_child/harness_child_run or a mode. */
static int in_child;

void harness_register(struct harness_test *t)
{
	t->next = 0;
	if (tests_tail)
		tests_tail->next = t;
	else
		tests_head = t;
	tests_tail = t;
}

const char *harness_errno_name(int e)
{
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

pid_t harness_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

int harness_tgkill(pid_t tgid, pid_t tid, int sig)
{
	return (int)syscall(SYS_tgkill, tgid, tid, sig);
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&print_mu);
	if (in_child)
		printf("[ FAIL ] %s (child %d): %s:%d: ",
		       current_name ? current_name : "?", (int)getpid(), file,
		       line);
	else
		printf("[ FAIL ] %s: %s:%d: ",
		       current_name ? current_name : "?", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&print_mu);
	__atomic_store_n(&current_failed, 1, __ATOMIC_SEQ_CST);
}

void harness_abort_test(void)
{
	if (harness_gettid() != current_tid) {
		/* Cannot unwind the test from another thread: end everything. */
		pthread_mutex_lock(&print_mu);
		printf("[ FAIL ] %s: ASSERT failed in a helper thread; exiting\n",
		       current_name ? current_name : "?");
		fflush(stdout);
		syscall(SYS_exit_group, 1);
	}
	siglongjmp(current_env, 1);
}

void harness_skip(const char *file, int line, const char *reason)
{
	if (in_child) {
		/* The parent could not tell a skip from a pass. */
		harness_fail(file, line, "SKIP in a child: %s", reason);
		harness_abort_test();
	}
	pthread_mutex_lock(&print_mu);
	printf("[ SKIP ] %s: %s:%d: %s\n", current_name, file, line, reason);
	fflush(stdout);
	pthread_mutex_unlock(&print_mu);
	current_skipped = 1;
	harness_abort_test();
}

/*
 * Puts the signal state back to what a fresh process has: pending signals are
 * discarded (by ignoring each signal once), handlers are SIG_DFL, nothing is
 * blocked and there is no alternate signal stack.
 */
static void reset_signal_state(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* glibc reserves two real-time signals; it refuses them. */
		sa.sa_handler = SIG_IGN;
		if (sigaction(sig, &sa, 0) != 0)
			continue;
		sa.sa_handler = SIG_DFL;
		sigaction(sig, &sa, 0);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, 0);
}

static void run_cleanups(void);
static void check_fd_leak(int lowest_free);
static void check_child_leak(void);
static void init_exe_path(const char *argv0);
static int run_child_mode(int argc, char **argv);

int main(int argc, char **argv)
{
	const char *filter = argc > 1 && argv[1][0] ? argv[1] : 0;
	int ran = 0, failed = 0, skipped = 0;

	setvbuf(stdout, 0, _IOLBF, 0);
	current_tid = harness_gettid();
	init_exe_path(argv[0]);
	if (argc > 1 && strcmp(argv[1], HARNESS_CHILD_FLAG) == 0)
		return run_child_mode(argc - 2, argv + 2);
	for (struct harness_test *t = tests_head; t; t = t->next) {
		if (filter && fnmatch(filter, t->name, 0) != 0)
			continue;
		reset_signal_state();
		current_name = t->name;
		__atomic_store_n(&current_failed, 0, __ATOMIC_SEQ_CST);
		current_skipped = 0;
		printf("[ RUN ] %s\n", t->name);
		fflush(stdout);
		/* Four fcntl calls under the runner: cheap enough for all. */
		int lowest_free = harness_free_fd(0);
		if (sigsetjmp(current_env, 1) == 0)
			t->fn();
		check_child_leak();
		run_cleanups();
		check_fd_leak(lowest_free);
		reset_signal_state();
		ran++;
		if (__atomic_load_n(&current_failed, __ATOMIC_SEQ_CST)) {
			failed++;
			printf("[ FAIL ] %s\n", t->name);
		} else if (current_skipped) {
			skipped++;
		} else {
			printf("[  OK ] %s\n", t->name);
		}
		fflush(stdout);
		current_name = 0;
	}
	printf("%d test(s) run, %d failed, %d skipped\n", ran, failed, skipped);
	if (ran == 0 && filter) {
		printf("no test matches \"%s\"\n", filter);
		return 1;
	}
	fflush(stdout);
	return failed ? 1 : 0;
}

/* ---- helpers ---- */

size_t harness_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

int64_t harness_ts_to_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

struct timespec harness_ns_to_ts(int64_t ns)
{
	struct timespec ts;
	ts.tv_sec = ns / 1000000000LL;
	ts.tv_nsec = ns % 1000000000LL;
	return ts;
}

int64_t harness_now_ns(clockid_t clock)
{
	struct timespec ts;
	ASSERT_SYSCALL_OK(clock_gettime(clock, &ts));
	return harness_ts_to_ns(&ts);
}

void *harness_map(size_t len, int prot)
{
	void *p = mmap(0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	return p;
}

void *harness_unmapped(size_t len)
{
	void *p = harness_map(len, PROT_NONE);
	ASSERT_SYSCALL_OK(munmap(p, len));
	return p;
}

int harness_free_fd(int min)
{
	for (int fd = min;; fd++)
		if (syscall(SYS_fcntl, fd, F_GETFD) == -1 && errno == EBADF)
			return fd;
}

void harness_set_handler(int sig, void (*handler)(int, siginfo_t *, void *),
			 int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	ASSERT_SYSCALL_OK(sigaction(sig, &sa, 0));
}

static __thread sigjmp_buf fault_env;
static __thread struct harness_fault fault_seen;

static void fault_handler(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	fault_seen.signo = sig;
	fault_seen.code = info->si_code;
	fault_seen.addr = info->si_addr;
	siglongjmp(fault_env, 1);
}

static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
#define NFAULT_SIGNALS (int)(sizeof(fault_signals) / sizeof(fault_signals[0]))

int harness_catch_fault(void (*fn)(void *), void *arg, struct harness_fault *f)
{
	struct sigaction old[NFAULT_SIGNALS];
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NFAULT_SIGNALS; i++)
		ASSERT_SYSCALL_OK(sigaction(fault_signals[i], &sa, &old[i]));

	int faulted = 0;
	memset(&fault_seen, 0, sizeof(fault_seen));
	if (sigsetjmp(fault_env, 1) == 0)
		fn(arg);
	else
		faulted = 1;

	for (int i = 0; i < NFAULT_SIGNALS; i++)
		ASSERT_SYSCALL_OK(sigaction(fault_signals[i], &old[i], 0));
	if (f)
		*f = fault_seen;
	return faulted;
}

static void do_read(void *addr)
{
	(void)*(volatile char *)addr;
}

static void do_write(void *addr)
{
	*(volatile char *)addr = 0x5a;
}

int harness_probe_read(const void *addr, struct harness_fault *f)
{
	return harness_catch_fault(do_read, (void *)addr, f);
}

int harness_probe_write(void *addr, struct harness_fault *f)
{
	return harness_catch_fault(do_write, addr, f);
}

static void *signaller_main(void *arg)
{
	struct harness_signaller *s = arg;
	struct timespec ts = harness_ns_to_ts(s->interval_ns);
	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		if (harness_tgkill(getpid(), s->tid, s->sig) == 0)
			__atomic_add_fetch(&s->sent, 1, __ATOMIC_SEQ_CST);
		nanosleep(&ts, 0);
	}
	return 0;
}

void harness_signaller_start(struct harness_signaller *s, pid_t tid, int sig,
			     int64_t interval_ns)
{
	memset(s, 0, sizeof(*s));
	s->tid = tid;
	s->sig = sig;
	s->interval_ns = interval_ns;
	sigset_t all, old;
	sigfillset(&all);
	/* The new thread inherits the mask: it must not take the signals. */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(&s->thread, 0, signaller_main, s);
	pthread_sigmask(SIG_SETMASK, &old, 0);
	ASSERT_EQ(err, 0);
}

void harness_signaller_stop(struct harness_signaller *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(pthread_join(s->thread, 0), 0);
}

void *harness_delayed_write(void *arg)
{
	struct harness_delayed_io *d = arg;
	struct timespec ts = harness_ns_to_ts(d->delay_ns);
	nanosleep(&ts, 0);
	if (write(d->fd, &d->value, 8) != 8)
		return (void *)1;
	return 0;
}

/* ---- per-test file-system state, undone by run_cleanups ---- */

#define MAX_DEFERRED 64

struct deferred {
	void (*fn)(void *);
	void *arg;
};

static struct deferred deferred[MAX_DEFERRED];
static int ndeferred;
static char *tmpdir_path, *shmdir_path;
static int used_fs_helpers;  /* the test made a temporary directory */
static void **owned;  /* harness_path/harness_strf strings */
static size_t nowned, capowned;
static int eids_changed;
static uid_t saved_euid;
static gid_t saved_egid;

static char *own(char *s)
{
	if (!s) {
		harness_fail(__FILE__, __LINE__, "out of memory");
		harness_abort_test();
	}
	if (nowned == capowned) {
		size_t n = capowned ? 2 * capowned : 16;
		void **p = realloc(owned, n * sizeof(*p));
		if (!p) {
			free(s);
			harness_fail(__FILE__, __LINE__, "out of memory");
			harness_abort_test();
		}
		owned = p;
		capowned = n;
	}
	owned[nowned++] = s;
	return s;
}

char *harness_strf(const char *fmt, ...)
{
	va_list ap;
	char *s = 0;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return own(n < 0 ? 0 : s);
}

void harness_defer(void (*fn)(void *), void *arg)
{
	ASSERT_LT(ndeferred, MAX_DEFERRED);
	deferred[ndeferred].fn = fn;
	deferred[ndeferred].arg = arg;
	ndeferred++;
}

static const char *make_tmpdir(char **slot, const char *parent)
{
	if (*slot)
		return *slot;
	used_fs_helpers = 1;
	/* The test's name makes a leftover directory easy to attribute. */
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof(tmpl), "%s/bulwark-%.40s-XXXXXX", parent,
		 current_name ? current_name : "test");
	if (!mkdtemp(tmpl)) {
		harness_fail(__FILE__, __LINE__, "mkdtemp %s: %s", tmpl,
			     harness_errno_name(errno));
		harness_abort_test();
	}
	*slot = strdup(tmpl);
	if (!*slot) {
		rmdir(tmpl);
		harness_fail(__FILE__, __LINE__, "out of memory");
		harness_abort_test();
	}
	return *slot;
}

const char *harness_tmpdir(void)
{
	const char *parent = getenv("HARNESS_TMPDIR");
	return make_tmpdir(&tmpdir_path, parent && parent[0] ? parent : "/tmp");
}

const char *harness_shmdir(void)
{
	return make_tmpdir(&shmdir_path, "/dev/shm");
}

char *harness_path(const char *name)
{
	const char *dir = harness_tmpdir();
	return name[0] ? harness_strf("%s/%s", dir, name)
		       : harness_strf("%s", dir);
}

char *harness_shm_path(const char *name)
{
	const char *dir = harness_shmdir();
	return name[0] ? harness_strf("%s/%s", dir, name)
		       : harness_strf("%s", dir);
}

static void restore_cwd(void *arg)
{
	if (chdir((const char *)arg) != 0)
		harness_fail(__FILE__, __LINE__, "restoring cwd %s: %s",
			     (const char *)arg, harness_errno_name(errno));
}

void harness_chdir(const char *path)
{
	char buf[PATH_MAX];
	/* A cwd that cannot be named (deleted, too long) is replaced by /. */
	char *old = harness_strf("%s", getcwd(buf, sizeof(buf)) ? buf : "/");
	harness_defer(restore_cwd, old);
	ASSERT_SYSCALL_OK(chdir(path));
}

static void restore_umask(void *arg)
{
	umask((mode_t)(uintptr_t)arg);
}

mode_t harness_umask(mode_t mask)
{
	mode_t old = umask(mask);
	harness_defer(restore_umask, (void *)(uintptr_t)old);
	return old;
}

void harness_set_eids(uid_t euid, gid_t egid)
{
	if (!eids_changed) {
		saved_euid = (uid_t)syscall(SYS_geteuid);
		saved_egid = (gid_t)syscall(SYS_getegid);
		eids_changed = 1;
	}
	/* The gid first: changing it needs the privilege the uid may drop. */
	ASSERT_SYSCALL_OK(syscall(SYS_setresgid, -1, egid, -1));
	ASSERT_SYSCALL_OK(syscall(SYS_setresuid, -1, euid, -1));
}

void harness_restore_eids(void)
{
	if (!eids_changed)
		return;
	eids_changed = 0;
	/* The uid first: back to root brings back the right to set the gid. */
	if (syscall(SYS_setresuid, -1, saved_euid, -1) != 0)
		harness_fail(__FILE__, __LINE__, "restoring euid %d: %s",
			     (int)saved_euid, harness_errno_name(errno));
	if (syscall(SYS_setresgid, -1, saved_egid, -1) != 0)
		harness_fail(__FILE__, __LINE__, "restoring egid %d: %s",
			     (int)saved_egid, harness_errno_name(errno));
}

int harness_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	/* O_TMPFILE includes O_DIRECTORY: test all its bits. */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	long fd = syscall(SYS_open, path, flags, mode);
	if (fd < 0) {
		harness_fail(__FILE__, __LINE__, "open %s (flags %#x): %s", path,
			     flags, harness_errno_name(errno));
		harness_abort_test();
	}
	return (int)fd;
}

void harness_write_file(const char *path, const void *data, size_t len,
			mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		harness_fail(__FILE__, __LINE__, "create %s: %s", path,
			     harness_errno_name(errno));
		harness_abort_test();
	}
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0) {
			harness_fail(__FILE__, __LINE__, "write %s: %s", path,
				     n < 0 ? harness_errno_name(errno)
					   : "wrote 0 bytes");
			close(fd);
			harness_abort_test();
		}
		p += n;
		len -= (size_t)n;
	}
	ASSERT_SYSCALL_OK(close(fd));
}

size_t harness_read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		harness_fail(__FILE__, __LINE__, "open %s: %s", path,
			     harness_errno_name(errno));
		harness_abort_test();
	}
	size_t got = 0;
	while (got + 1 < cap) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);
		if (n < 0) {
			harness_fail(__FILE__, __LINE__, "read %s: %s", path,
				     harness_errno_name(errno));
			close(fd);
			harness_abort_test();
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	close(fd);
	return got;
}

/*
 * Removes name (relative to parentfd) and, if it is a directory, everything
 * in it. Returns 0 or -1 with errno set; on error, it still removes what it
 * can.
 */
static int remove_tree(int parentfd, const char *name)
{
	if (unlinkat(parentfd, name, 0) == 0)
		return 0;
	/* Linux says EISDIR for a directory; POSIX allows EPERM. */
	if (errno != EISDIR && errno != EPERM)
		return -1;
	int fd = openat(parentfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A test may have left the directory unreadable for non-root users. */
	fchmod(fd, 0700);
	int err = 0;
	char buf[4096] __attribute__((aligned(8)));
	for (;;) {
		/*
		 * Removing entries while reading can make a directory stream
		 * skip some: restart from the top until a pass removes nothing.
		 */
		if (lseek(fd, 0, SEEK_SET) != 0) {
			err = errno;
			break;
		}
		int removed = 0, failed = 0;
		for (;;) {
			long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
			if (n < 0) {
				err = errno;
				failed = 1;
				break;
			}
			if (n == 0)
				break;
			for (long off = 0; off < n;) {
				struct dirent64 *d = (void *)(buf + off);
				off += d->d_reclen;
				if (!strcmp(d->d_name, ".") ||
				    !strcmp(d->d_name, ".."))
					continue;
				if (remove_tree(fd, d->d_name) == 0)
					removed++;
				else
					failed = 1, err = errno;
			}
		}
		if (!removed || failed)
			break;
	}
	close(fd);
	if (unlinkat(parentfd, name, AT_REMOVEDIR) == 0)
		return 0;
	if (!err)
		err = errno;
	errno = err;
	return -1;
}

static void remove_tmpdir(char **slot)
{
	if (!*slot)
		return;
	char *path = *slot;
	*slot = 0;
	if (remove_tree(AT_FDCWD, path) != 0)
		harness_fail(__FILE__, __LINE__, "removing %s: %s", path,
			     harness_errno_name(errno));
	free(path);
}

/*
 * Undoes the per-test state, in the order harness.h documents. Each step is
 * taken off its list before it runs, so an ASSERT failing inside a deferred
 * function ends only that step and the rest still run.
 */
static void run_cleanups(void)
{
	static volatile int done;
	done = 0;
	while (!done) {
		if (sigsetjmp(current_env, 1) != 0)
			continue;
		harness_restore_eids();
		while (ndeferred > 0) {
			ndeferred--;
			deferred[ndeferred].fn(deferred[ndeferred].arg);
		}
		remove_tmpdir(&tmpdir_path);
		remove_tmpdir(&shmdir_path);
		for (size_t i = 0; i < nowned; i++)
			free(owned[i]);
		nowned = 0;
		done = 1;
	}
}

/*
 * A test that used the temporary directories must close what it opened: the
 * lowest free descriptor after it must be the one before it. (Checked only
 * for those tests; it catches the usual leak, a missing close of the last
 * descriptor opened.)
 */
static void check_fd_leak(int lowest_free)
{
	if (!used_fs_helpers)
		return;
	used_fs_helpers = 0;
	int now = harness_free_fd(0);
	if (now != lowest_free)
		harness_fail(__FILE__, __LINE__,
			     "descriptor leak: lowest free descriptor was %d "
			     "before the test, %d after",
			     lowest_free, now);
}

/* ---- process helpers ---- */

long harness_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5,
			 long a6)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Children made by harness_fork_child in the current test. */
#define MAX_TRACKED 64
static pid_t tracked[MAX_TRACKED];
static int ntracked;

/*
 * A child does not check for children of its own left behind: orphaning
 * them on purpose is what some tests are about.
 */
__attribute__((noreturn)) static void child_exit(void)
{
	fflush(stdout);
	_exit(__atomic_load_n(&current_failed, __ATOMIC_SEQ_CST) ? 1 : 0);
}

void harness_child_run(void (*fn)(void *), void *arg)
{
	in_child = 1;
	current_tid = harness_gettid();
	__atomic_store_n(&current_failed, 0, __ATOMIC_SEQ_CST);
	/* The parent's cleanups and children are not the child's. */
	ndeferred = 0;
	ntracked = 0;
	if (sigsetjmp(current_env, 1) == 0)
		fn(arg);
	child_exit();
}

pid_t harness_fork_child(void (*fn)(void *), void *arg)
{
	/* Nothing buffered may be written twice. */
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	ASSERT_SYSCALL_OK(pid);
	if (pid == 0)
		harness_child_run(fn, arg);
	if (ntracked < MAX_TRACKED)
		tracked[ntracked++] = pid;
	return pid;
}

int harness_wait(pid_t pid)
{
	int status = 0;
	long r;
	do
		r = syscall(SYS_wait4, pid, &status, __WALL, 0);
	while (r == -1 && errno == EINTR);
	if (r != pid) {
		harness_fail(__FILE__, __LINE__,
			     "wait4(%d) returned %ld, errno %s", (int)pid, r,
			     harness_errno_name(r == -1 ? errno : 0));
		harness_abort_test();
	}
	return status;
}

static const char *signal_name(int sig)
{
	const char *n = sigabbrev_np(sig);
	return n ? harness_strf("SIG%s", n) : harness_strf("signal %d", sig);
}

const char *harness_status_str(int status)
{
	if (WIFEXITED(status))
		return harness_strf("exited with %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return harness_strf("killed by %s%s",
				    signal_name(WTERMSIG(status)),
				    WCOREDUMP(status) ? " (core dumped)" : "");
	if (WIFSTOPPED(status))
		return harness_strf("stopped by %s",
				    signal_name(WSTOPSIG(status)));
	if (WIFCONTINUED(status))
		return harness_strf("continued");
	return harness_strf("unknown status %#x", status);
}

int harness_check_exit(const char *file, int line, int status, int code)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == code)
		return 1;
	harness_fail(file, line, "expected the child to exit with %d, it %s",
		     code, harness_status_str(status));
	return 0;
}

int harness_check_killed(const char *file, int line, int status, int sig)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == sig &&
	    !WCOREDUMP(status))
		return 1;
	harness_fail(file, line, "expected the child to be killed by %s, it %s",
		     signal_name(sig), harness_status_str(status));
	return 0;
}

struct shared_region {
	void *p;
	size_t len;
};

static void unmap_shared(void *arg)
{
	struct shared_region *r = arg;
	if (munmap(r->p, r->len) != 0)
		harness_fail(__FILE__, __LINE__, "munmap shared region: %s",
			     harness_errno_name(errno));
	free(r);
}

void *harness_shared_alloc(size_t len)
{
	void *p = mmap(0, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	struct shared_region *r = malloc(sizeof(*r));
	if (!r) {
		munmap(p, len);
		harness_fail(__FILE__, __LINE__, "out of memory");
		harness_abort_test();
	}
	r->p = p;
	r->len = len;
	harness_defer(unmap_shared, r);
	return p;
}

void harness_set_word(int *w, int v)
{
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
	harness_raw_syscall(SYS_futex, (long)w, FUTEX_WAKE, INT_MAX, 0, 0, 0);
}

void harness_wait_word(int *w, int v)
{
	/* A bounded wait: a missed cross-process wake-up only slows it. */
	struct timespec ts = {0, 5 * 1000 * 1000};
	for (;;) {
		int cur = __atomic_load_n(w, __ATOMIC_SEQ_CST);
		if (cur == v)
			return;
		harness_raw_syscall(SYS_futex, (long)w, FUTEX_WAIT, cur,
				    (long)&ts, 0, 0);
	}
}

/*
 * Fails the test for every child it left: zombies are reaped, live children
 * made by harness_fork_child are killed and reaped, and any other live child
 * is waited for (see harness.h).
 */
static void check_child_leak(void)
{
	int status;
	long r;
	int live = 0;
	for (;;) {
		r = syscall(SYS_wait4, -1, &status, WNOHANG | __WALL, 0);
		if (r > 0) {
			harness_fail(__FILE__, __LINE__,
				     "the test left child %ld unwaited (it %s)",
				     r, harness_status_str(status));
			continue;
		}
		if (r == 0)
			live = 1;
		else if (errno == EINTR)
			continue;
		break;
	}
	if (live) {
		harness_fail(__FILE__, __LINE__,
			     "the test left a child running; killing the ones "
			     "harness_fork_child made, waiting for the rest");
		for (int i = 0; i < ntracked; i++) {
			/* A live child of ours: its pid cannot be reused. */
			if (syscall(SYS_wait4, tracked[i], &status,
				    WNOHANG | __WALL, 0) == 0)
				kill(tracked[i], SIGKILL);
		}
		for (;;) {
			r = syscall(SYS_wait4, -1, &status, __WALL, 0);
			if (r > 0 || (r == -1 && errno == EINTR))
				continue;
			break;
		}
	}
	ntracked = 0;
}

static struct harness_child_mode *modes_head;

void harness_register_child_mode(struct harness_child_mode *m)
{
	m->next = modes_head;
	modes_head = m;
}

static char exe_path[PATH_MAX];

static void init_exe_path(const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
	if (n > 0) {
		exe_path[n] = 0;
		return;
	}
	snprintf(exe_path, sizeof(exe_path), "%s", argv0 ? argv0 : "");
}

const char *harness_exe_path(void)
{
	return exe_path;
}

static int run_child_mode(int argc, char **argv)
{
	if (argc < 1) {
		printf("%s needs a mode name\n", HARNESS_CHILD_FLAG);
		return 100;
	}
	for (struct harness_child_mode *m = modes_head; m; m = m->next) {
		if (strcmp(m->name, argv[0]) != 0)
			continue;
		in_child = 1;
		current_name = m->name;
		current_tid = harness_gettid();
		static volatile int rc;
		rc = 1;
		if (sigsetjmp(current_env, 1) == 0)
			rc = m->fn(argc, argv);
		fflush(stdout);
		if (__atomic_load_n(&current_failed, __ATOMIC_SEQ_CST))
			return 1;
		return rc;
	}
	printf("unknown child mode \"%s\"\n", argv[0]);
	return 100;
}

pid_t harness_exiting_child(int code)
{
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0)
		_exit(code);
	return pid;
}

pid_t harness_held_child(int *release, int code)
{
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		harness_wait_word(release, 1);
		_exit(code);
	}
	return pid;
}
