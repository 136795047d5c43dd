/*
 * harness.c: registration, main(), failure reporting and the fork-free
 * helpers declared in harness.h. Linked into every syscall test binary.
 */
#include "harness.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>

static struct harness_test *tests_head, *tests_tail;

/* State of the test being run. */
static const char *current_name;
static pid_t current_tid;
static sigjmp_buf current_env;
static int current_failed;  /* accessed atomically */
static int current_skipped;
static pthread_mutex_t print_mu = PTHREAD_MUTEX_INITIALIZER;

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
	printf("[ FAIL ] %s: %s:%d: ", current_name ? current_name : "?", file,
	       line);
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

int main(int argc, char **argv)
{
	const char *filter = argc > 1 && argv[1][0] ? argv[1] : 0;
	int ran = 0, failed = 0, skipped = 0;

	setvbuf(stdout, 0, _IOLBF, 0);
	current_tid = harness_gettid();
	for (struct harness_test *t = tests_head; t; t = t->next) {
		if (filter && fnmatch(filter, t->name, 0) != 0)
			continue;
		reset_signal_state();
		current_name = t->name;
		__atomic_store_n(&current_failed, 0, __ATOMIC_SEQ_CST);
		current_skipped = 0;
		printf("[ RUN ] %s\n", t->name);
		fflush(stdout);
		if (sigsetjmp(current_env, 1) == 0)
			t->fn();
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
