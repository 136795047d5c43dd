/*
 * fork: return values, copied and shared memory, inherited descriptors,
 * signal state, ids, and what a child of a multithreaded parent gets.
 */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* What a raw child saw, written to shared memory. */
struct seen {
	long ret;
	int pid, ppid, tid, pgrp, sid;
};

enum fork_how { FORK_LIBC, FORK_SYSCALL, FORK_CLONE, FORK_VFORK_LIKE };

static long do_fork(enum fork_how how)
{
	switch (how) {
	case FORK_LIBC:
		return fork();
	case FORK_SYSCALL:
		return syscall(SYS_fork);
	case FORK_CLONE:
		/* clone with no stack: the child runs on a copy of ours. */
		return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	default:
		return -1;
	}
}

TEST(fork_return_values)
{
	static const struct {
		const char *name;
		enum fork_how how;
	} cases[] = {
		{"libc fork", FORK_LIBC},
		{"fork syscall", FORK_SYSCALL},
		{"clone(SIGCHLD)", FORK_CLONE},
	};
	struct seen *s = harness_shared_alloc(sizeof(*s));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(s, 0, sizeof(*s));
		fflush(stdout);
		long pid = do_fork(cases[i].how);
		if (pid == 0) {
			/* Raw system calls: libc may not know it forked. */
			s->ret = pid;
			s->pid = (int)syscall(SYS_getpid);
			s->ppid = (int)syscall(SYS_getppid);
			s->tid = (int)syscall(SYS_gettid);
			s->pgrp = (int)syscall(SYS_getpgid, 0);
			s->sid = (int)syscall(SYS_getsid, 0);
			syscall(SYS_exit_group, 0);
		}
		ASSERT_GT(pid, 0);
		EXPECT_CHILD_EXIT((pid_t)pid, 0);
		printf("  %s: child %ld\n", cases[i].name, pid);
		EXPECT_EQ(s->ret, 0);
		EXPECT_EQ(s->pid, pid);
		EXPECT_NE(s->pid, getpid());
		EXPECT_EQ(s->ppid, getpid());
		/* The child's only thread is its leader. */
		EXPECT_EQ(s->tid, pid);
		EXPECT_EQ(s->pgrp, getpgrp());
		EXPECT_EQ(s->sid, getsid(0));
	}
}

TEST(fork_children_have_distinct_pids)
{
	enum { N = 8 };
	pid_t pids[N];
	int *go = harness_shared_alloc(sizeof(int));
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		ASSERT_SYSCALL_OK(pids[i]);
		if (pids[i] == 0) {
			/* All alive at once: no pid can be reused. */
			harness_wait_word(go, 1);
			_exit(i);
		}
	}
	harness_set_word(go, 1);
	for (int i = 0; i < N; i++) {
		EXPECT_NE(pids[i], getpid());
		for (int j = 0; j < i; j++)
			EXPECT_NE(pids[i], pids[j]);
	}
	for (int i = 0; i < N; i++)
		EXPECT_CHILD_EXIT(pids[i], i);
}

/* Private memory of every kind the parent has, and handshake words. */
struct private_mem {
	int *global, *heap, *stack, *anon, *file;
	int *child_wrote, *parent_wrote;
};

static int global_word;

static void check_all(struct private_mem *m, int v)
{
	EXPECT_EQ(*m->global, v);
	EXPECT_EQ(*m->heap, v);
	EXPECT_EQ(*m->stack, v);
	EXPECT_EQ(*m->anon, v);
	EXPECT_EQ(*m->file, v);
}

static void set_all(struct private_mem *m, int v)
{
	*m->global = v;
	*m->heap = v;
	*m->stack = v;
	*m->anon = v;
	*m->file = v;
}

static void private_child(void *arg)
{
	struct private_mem *m = arg;
	check_all(m, 1);
	set_all(m, 2);
	harness_set_word(m->child_wrote, 1);
	/* The parent now writes 3 everywhere: the child must not see it. */
	harness_wait_word(m->parent_wrote, 1);
	check_all(m, 2);
}

TEST(fork_private_memory_is_copied)
{
	size_t page = harness_page_size();
	char *path = harness_path("f");
	char *zeros = calloc(1, page);
	ASSERT_TRUE(zeros != 0);
	harness_write_file(path, zeros, page, 0600);
	free(zeros);
	int fd = harness_open(path, O_RDWR);
	int *file = mmap(0, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(file != MAP_FAILED);
	int *anon = harness_map(page, PROT_READ | PROT_WRITE);
	int *heap = malloc(sizeof(int));
	ASSERT_TRUE(heap != 0);
	volatile int stack_word;
	int *words = harness_shared_alloc(2 * sizeof(int));
	struct private_mem m = {&global_word, heap, (int *)&stack_word, anon,
				file, &words[0], &words[1]};
	set_all(&m, 1);

	pid_t pid = harness_fork_child(private_child, &m);
	harness_wait_word(m.child_wrote, 1);
	check_all(&m, 1);
	set_all(&m, 3);
	harness_set_word(m.parent_wrote, 1);
	EXPECT_CHILD_EXIT(pid, 0);
	check_all(&m, 3);

	/* Neither private copy reached the file. */
	int in_file = -1;
	EXPECT_EQ(pread(fd, &in_file, sizeof(in_file), 0), sizeof(in_file));
	EXPECT_EQ(in_file, 0);
	free(heap);
	EXPECT_SYSCALL_OK(munmap(anon, page));
	EXPECT_SYSCALL_OK(munmap(file, page));
	EXPECT_SYSCALL_OK(close(fd));
}

struct shared_mem {
	int *anon, *file;
	int *child_wrote, *parent_wrote;
};

static void shared_child(void *arg)
{
	struct shared_mem *m = arg;
	EXPECT_EQ(*m->anon, 1);
	EXPECT_EQ(*m->file, 1);
	*m->anon = 2;
	*m->file = 2;
	harness_set_word(m->child_wrote, 1);
	harness_wait_word(m->parent_wrote, 1);
	EXPECT_EQ(*m->anon, 3);
	EXPECT_EQ(*m->file, 3);
}

TEST(fork_shared_memory_is_shared)
{
	size_t page = harness_page_size();
	char *path = harness_path("f");
	char *zeros = calloc(1, page);
	ASSERT_TRUE(zeros != 0);
	harness_write_file(path, zeros, page, 0600);
	free(zeros);
	int fd = harness_open(path, O_RDWR);
	int *file = mmap(0, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(file != MAP_FAILED);
	int *anon = harness_shared_alloc(page);
	int *words = harness_shared_alloc(2 * sizeof(int));
	struct shared_mem m = {anon, file, &words[0], &words[1]};
	*anon = 1;
	*file = 1;

	pid_t pid = harness_fork_child(shared_child, &m);
	harness_wait_word(m.child_wrote, 1);
	EXPECT_EQ(*anon, 2);
	EXPECT_EQ(*file, 2);
	*anon = 3;
	*file = 3;
	harness_set_word(m.parent_wrote, 1);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(*anon, 3);
	int in_file = -1;
	EXPECT_EQ(pread(fd, &in_file, sizeof(in_file), 0), sizeof(in_file));
	EXPECT_EQ(in_file, 3);
	EXPECT_SYSCALL_OK(munmap(file, page));
	EXPECT_SYSCALL_OK(close(fd));
}

/* Copy-on-write over many pages, written by both sides after the fork. */
enum { COW_PAGES = 64 };

struct cow {
	unsigned char *mem;
	size_t page;
	int *parent_wrote, *child_wrote;
};

static unsigned char pattern(int who, size_t i)
{
	return (unsigned char)(who * 64 + i % 61 + 1);
}

static void cow_child(void *arg)
{
	struct cow *c = arg;
	harness_wait_word(c->parent_wrote, 1);
	/* The parent wrote its pattern into the odd pages after the fork. */
	for (size_t i = 0; i < COW_PAGES; i++)
		for (size_t off = 0; off < c->page; off += 512)
			ASSERT_EQ(c->mem[i * c->page + off], pattern(0, i));
	for (size_t i = 0; i < COW_PAGES; i += 2)
		memset(c->mem + i * c->page, pattern(2, i), c->page);
	harness_set_word(c->child_wrote, 1);
	for (size_t i = 0; i < COW_PAGES; i++)
		ASSERT_EQ(c->mem[i * c->page + 7],
			  pattern(i % 2 ? 0 : 2, i));
}

TEST(fork_copy_on_write_both_sides)
{
	struct cow c;
	c.page = harness_page_size();
	c.mem = harness_map(COW_PAGES * c.page, PROT_READ | PROT_WRITE);
	int *words = harness_shared_alloc(2 * sizeof(int));
	c.parent_wrote = &words[0];
	c.child_wrote = &words[1];
	for (size_t i = 0; i < COW_PAGES; i++)
		memset(c.mem + i * c.page, pattern(0, i), c.page);

	pid_t pid = harness_fork_child(cow_child, &c);
	for (size_t i = 1; i < COW_PAGES; i += 2)
		memset(c.mem + i * c.page, pattern(1, i), c.page);
	harness_set_word(c.parent_wrote, 1);
	harness_wait_word(c.child_wrote, 1);
	for (size_t i = 0; i < COW_PAGES; i++)
		EXPECT_EQ(c.mem[i * c.page + 7], pattern(i % 2 ? 1 : 0, i));
	EXPECT_CHILD_EXIT(pid, 0);
	/* The child's exit freed its copies, not the parent's pages. */
	for (size_t i = 0; i < COW_PAGES; i++)
		EXPECT_EQ(c.mem[i * c.page + c.page - 1],
			  pattern(i % 2 ? 1 : 0, i));
	EXPECT_SYSCALL_OK(munmap(c.mem, COW_PAGES * c.page));
}

struct prot_regions {
	char *ro, *none;
};

static void prot_child(void *arg)
{
	struct prot_regions *r = arg;
	struct harness_fault f;
	EXPECT_FALSE(harness_probe_read(r->ro, &f));
	EXPECT_EQ(*r->ro, 'r');
	EXPECT_TRUE(harness_probe_write(r->ro, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_ACCERR);
	EXPECT_TRUE(harness_probe_read(r->none, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_ACCERR);
}

TEST(fork_keeps_protections)
{
	size_t page = harness_page_size();
	struct prot_regions r;
	r.ro = harness_map(page, PROT_READ | PROT_WRITE);
	r.ro[0] = 'r';
	ASSERT_SYSCALL_OK(mprotect(r.ro, page, PROT_READ));
	r.none = harness_map(page, PROT_NONE);
	EXPECT_CHILD_EXIT(harness_fork_child(prot_child, &r), 0);
	EXPECT_SYSCALL_OK(munmap(r.ro, page));
	EXPECT_SYSCALL_OK(munmap(r.none, page));
}

struct madv_regions {
	char *dontfork, *wipe;
	size_t page;
};

static void madv_child(void *arg)
{
	struct madv_regions *r = arg;
	struct harness_fault f;
	/* MADV_DONTFORK: the range is not mapped in the child at all. */
	EXPECT_TRUE(harness_probe_read(r->dontfork, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_MAPERR);
	/* MADV_WIPEONFORK: mapped, but zero-filled. */
	EXPECT_EQ(r->wipe[0], 0);
	EXPECT_EQ(r->wipe[r->page - 1], 0);
	r->wipe[0] = 'c';
}

TEST(fork_madvise_dontfork_and_wipeonfork)
{
	struct madv_regions r;
	r.page = harness_page_size();
	r.dontfork = harness_map(r.page, PROT_READ | PROT_WRITE);
	r.wipe = harness_map(r.page, PROT_READ | PROT_WRITE);
	memset(r.dontfork, 'd', r.page);
	memset(r.wipe, 'w', r.page);
	ASSERT_SYSCALL_OK(madvise(r.dontfork, r.page, MADV_DONTFORK));
	ASSERT_SYSCALL_OK(madvise(r.wipe, r.page, MADV_WIPEONFORK));
	EXPECT_CHILD_EXIT(harness_fork_child(madv_child, &r), 0);
	/* The parent keeps its contents. */
	EXPECT_EQ(r.dontfork[0], 'd');
	EXPECT_EQ(r.wipe[0], 'w');
	EXPECT_EQ(r.wipe[r.page - 1], 'w');
	EXPECT_SYSCALL_OK(munmap(r.dontfork, r.page));
	EXPECT_SYSCALL_OK(munmap(r.wipe, r.page));
}

struct fds {
	int fd, cloexec_fd;
	int *later_fd;  /* shared: a descriptor the parent opens after fork */
	int *parent_opened;
};

static void fds_child(void *arg)
{
	struct fds *f = arg;
	/* Both are inherited: O_CLOEXEC matters only for exec. */
	EXPECT_EQ(fcntl(f->fd, F_GETFD), 0);
	EXPECT_EQ(fcntl(f->cloexec_fd, F_GETFD), FD_CLOEXEC);
	/* The open file description (offset, status flags) is shared. */
	EXPECT_EQ(lseek(f->fd, 0, SEEK_CUR), 2);
	EXPECT_EQ(write(f->fd, "abc", 3), 3);
	EXPECT_SYSCALL_OK(fcntl(f->fd, F_SETFL, O_APPEND));
	/* Descriptor flags and the table itself are the child's own. */
	EXPECT_SYSCALL_OK(fcntl(f->fd, F_SETFD, FD_CLOEXEC));
	EXPECT_SYSCALL_OK(close(f->cloexec_fd));
	harness_wait_word(f->parent_opened, 1);
	EXPECT_ERRNO(fcntl(*f->later_fd, F_GETFD), EBADF);
}

TEST(fork_descriptors_inherited_sharing_offsets)
{
	char *path = harness_path("f");
	struct fds f;
	f.fd = harness_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	f.cloexec_fd = harness_open(path, O_RDONLY | O_CLOEXEC);
	int *words = harness_shared_alloc(2 * sizeof(int));
	f.later_fd = &words[0];
	f.parent_opened = &words[1];
	ASSERT_EQ(write(f.fd, "xy", 2), 2);

	pid_t pid = harness_fork_child(fds_child, &f);
	int later = harness_open(path, O_RDONLY);
	*f.later_fd = later;
	harness_set_word(f.parent_opened, 1);
	EXPECT_CHILD_EXIT(pid, 0);

	EXPECT_EQ(lseek(f.fd, 0, SEEK_CUR), 5);
	EXPECT_TRUE(fcntl(f.fd, F_GETFL) & O_APPEND);
	EXPECT_EQ(fcntl(f.fd, F_GETFD), 0);
	EXPECT_EQ(fcntl(f.cloexec_fd, F_GETFD), FD_CLOEXEC);
	char buf[8] = {0};
	EXPECT_EQ(pread(f.fd, buf, sizeof(buf), 0), 5);
	EXPECT_STREQ(buf, "xyabc");
	EXPECT_SYSCALL_OK(close(later));
	EXPECT_SYSCALL_OK(close(f.cloexec_fd));
	EXPECT_SYSCALL_OK(close(f.fd));
}

static volatile sig_atomic_t usr1_hits;

static void count_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	usr1_hits++;
}

static void signal_state_child(void *arg)
{
	(void)arg;
	struct sigaction sa;
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, 0, &sa));
	EXPECT_TRUE(sa.sa_sigaction == count_usr1);
	EXPECT_TRUE(sa.sa_flags & SA_SIGINFO);
	EXPECT_TRUE(sigismember(&sa.sa_mask, SIGHUP));
	ASSERT_SYSCALL_OK(sigaction(SIGTERM, 0, &sa));
	EXPECT_TRUE(sa.sa_handler == SIG_IGN);

	sigset_t set;
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, 0, &set));
	EXPECT_TRUE(sigismember(&set, SIGUSR2));
	EXPECT_FALSE(sigismember(&set, SIGUSR1));
	/* The parent's pending SIGUSR2 stays with the parent. */
	ASSERT_SYSCALL_OK(sigpending(&set));
	EXPECT_FALSE(sigismember(&set, SIGUSR2));

	/* The inherited handler runs; the inherited SIG_IGN ignores. */
	usr1_hits = 0;
	EXPECT_SYSCALL_OK(kill(getpid(), SIGUSR1));
	EXPECT_EQ(usr1_hits, 1);
	EXPECT_SYSCALL_OK(kill(getpid(), SIGTERM));
}

TEST(fork_signal_state_inherited_pending_not)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = count_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGHUP);
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, &sa, 0));
	ASSERT_TRUE(signal(SIGTERM, SIG_IGN) != SIG_ERR);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	ASSERT_SYSCALL_OK(kill(getpid(), SIGUSR2));

	EXPECT_CHILD_EXIT(harness_fork_child(signal_state_child, 0), 0);

	ASSERT_SYSCALL_OK(sigpending(&set));
	EXPECT_TRUE(sigismember(&set, SIGUSR2));
}

static void altstack_child(void *arg)
{
	stack_t *want = arg, got;
	ASSERT_SYSCALL_OK(sigaltstack(0, &got));
	EXPECT_TRUE(got.ss_sp == want->ss_sp);
	EXPECT_EQ(got.ss_size, want->ss_size);
	EXPECT_EQ(got.ss_flags, 0);
}

TEST(fork_inherits_alternate_signal_stack)
{
	size_t len = 4 * harness_page_size();
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = harness_map(len, PROT_READ | PROT_WRITE);
	ss.ss_size = len;
	ASSERT_SYSCALL_OK(sigaltstack(&ss, 0));
	EXPECT_CHILD_EXIT(harness_fork_child(altstack_child, &ss), 0);
	ss.ss_flags = SS_DISABLE;
	EXPECT_SYSCALL_OK(sigaltstack(&ss, 0));
	EXPECT_SYSCALL_OK(munmap(ss.ss_sp, len));
}

struct idle_thread {
	pthread_t th;
	pid_t tid;
	int *ready, *release;
};

static void *idle_main(void *arg)
{
	struct idle_thread *t = arg;
	t->tid = harness_gettid();
	harness_set_word(t->ready, 1);
	harness_wait_word(t->release, 1);
	return 0;
}

static void start_idle(struct idle_thread *t, int *words)
{
	t->ready = &words[0];
	t->release = &words[1];
	ASSERT_EQ(pthread_create(&t->th, 0, idle_main, t), 0);
	harness_wait_word(t->ready, 1);
}

static void stop_idle(struct idle_thread *t)
{
	harness_set_word(t->release, 1);
	EXPECT_EQ(pthread_join(t->th, 0), 0);
}

static void one_thread_child(void *arg)
{
	struct idle_thread *t = arg;
	EXPECT_EQ(harness_gettid(), getpid());
	/* Only the forking thread was copied. */
	EXPECT_ERRNO(harness_tgkill(getpid(), t[0].tid, 0), ESRCH);
	EXPECT_ERRNO(harness_tgkill(getpid(), t[1].tid, 0), ESRCH);
	/* The child can make threads of its own. */
	struct idle_thread mine;
	int *words = harness_shared_alloc(2 * sizeof(int));
	start_idle(&mine, words);
	EXPECT_SYSCALL_OK(harness_tgkill(getpid(), mine.tid, 0));
	stop_idle(&mine);
}

TEST(fork_child_of_multithreaded_parent_has_one_thread)
{
	struct idle_thread t[2];
	int *words = harness_shared_alloc(4 * sizeof(int));
	start_idle(&t[0], &words[0]);
	start_idle(&t[1], &words[2]);
	EXPECT_CHILD_EXIT(harness_fork_child(one_thread_child, t), 0);
	/* The parent's threads are untouched. */
	EXPECT_SYSCALL_OK(harness_tgkill(getpid(), t[0].tid, 0));
	EXPECT_SYSCALL_OK(harness_tgkill(getpid(), t[1].tid, 0));
	stop_idle(&t[0]);
	stop_idle(&t[1]);
}

struct from_thread {
	pid_t parent_pid, forker_tid, child;
};

static void from_thread_child(void *arg)
{
	struct from_thread *f = arg;
	EXPECT_EQ(harness_gettid(), getpid());
	/* The parent is the process, not the thread that forked. */
	EXPECT_EQ(getppid(), f->parent_pid);
	/* The parent's leader was not copied into the child. */
	EXPECT_ERRNO(harness_tgkill(getpid(), f->parent_pid, 0), ESRCH);
}

static void *fork_from_thread(void *arg)
{
	struct from_thread *f = arg;
	f->forker_tid = harness_gettid();
	f->child = harness_fork_child(from_thread_child, f);
	return 0;
}

TEST(fork_from_non_leader_thread)
{
	struct from_thread f = {getpid(), 0, 0};
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, fork_from_thread, &f), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	ASSERT_GT(f.child, 0);
	EXPECT_NE(f.forker_tid, getpid());
	/* Children belong to the process: the leader waits for this one. */
	EXPECT_CHILD_EXIT(f.child, 0);
}

struct inherited {
	mode_t umask;
	char cwd[4096];
	struct rlimit nofile;
};

static void inherited_child(void *arg)
{
	struct inherited *in = arg;
	EXPECT_EQ(umask(0), in->umask);
	char cwd[4096];
	ASSERT_TRUE(getcwd(cwd, sizeof(cwd)) != 0);
	EXPECT_STREQ(cwd, in->cwd);
	struct rlimit rl;
	ASSERT_SYSCALL_OK(getrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(rl.rlim_cur, in->nofile.rlim_cur);
	EXPECT_EQ(rl.rlim_max, in->nofile.rlim_max);
	/* Changing them in the child leaves the parent alone. */
	EXPECT_SYSCALL_OK(chdir("/"));
	rl.rlim_cur = rl.rlim_cur / 2;
	EXPECT_SYSCALL_OK(setrlimit(RLIMIT_NOFILE, &rl));
}

TEST(fork_inherits_umask_cwd_rlimits)
{
	struct inherited in;
	harness_umask(027);
	in.umask = 027;
	harness_chdir(harness_tmpdir());
	ASSERT_TRUE(getcwd(in.cwd, sizeof(in.cwd)) != 0);
	ASSERT_SYSCALL_OK(getrlimit(RLIMIT_NOFILE, &in.nofile));

	EXPECT_CHILD_EXIT(harness_fork_child(inherited_child, &in), 0);

	mode_t now = umask(027);
	EXPECT_EQ(now, 027);
	char cwd[4096];
	ASSERT_TRUE(getcwd(cwd, sizeof(cwd)) != 0);
	EXPECT_STREQ(cwd, in.cwd);
	struct rlimit rl;
	ASSERT_SYSCALL_OK(getrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(rl.rlim_cur, in.nofile.rlim_cur);
}

static void alarm_child(void *arg)
{
	(void)arg;
	/* Pending alarms are not inherited. */
	EXPECT_EQ(alarm(0), 0);
}

TEST(fork_clears_pending_alarm)
{
	ASSERT_EQ(alarm(1000), 0);
	pid_t pid = harness_fork_child(alarm_child, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	/* The parent's alarm is still set (cancel it). */
	EXPECT_GT(alarm(0), 0);
}

/* MXCSR's rounding control (bits 13-14): 10 rounds up. */
#define MXCSR_ROUND_MASK 0x6000u
#define MXCSR_ROUND_UP 0x4000u

static void rounding_is_upward(void *arg)
{
	(void)arg;
	EXPECT_EQ(__builtin_ia32_stmxcsr() & MXCSR_ROUND_MASK, MXCSR_ROUND_UP);
}

/* The child's floating-point state (here MXCSR's rounding mode) is the
 * parent's. */
TEST(fork_inherits_floating_point_state)
{
	unsigned int saved = __builtin_ia32_stmxcsr();
	__builtin_ia32_ldmxcsr((saved & ~MXCSR_ROUND_MASK) | MXCSR_ROUND_UP);
	int pid = harness_fork_child(rounding_is_upward, 0);
	__builtin_ia32_ldmxcsr(saved);
	EXPECT_CHILD_EXIT(pid, 0);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	usr1_seen = 1;
}

/* Spins rather than pause(): a signal handled between the check and
 * pause() would leave pause() waiting for ever. */
static void wait_for_usr1(void *arg)
{
	(void)arg;
	while (!usr1_seen)
		sched_yield();
}

/* A signal with a handler reaches a child at once after fork, possibly
 * before it ever ran: the frame needs its floating-point state. */
TEST(fork_signal_before_the_child_runs)
{
	harness_set_handler(SIGUSR1, on_usr1, 0);
	for (int i = 0; i < 20; i++) {
		int pid = harness_fork_child(wait_for_usr1, 0);
		ASSERT_SYSCALL_OK(kill(pid, SIGUSR1));
		EXPECT_CHILD_EXIT(pid, 0);
	}
}
