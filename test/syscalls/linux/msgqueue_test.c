/*
 * System V message queues: msgget, msgsnd, msgrcv (type selection,
 * MSG_NOERROR, MSG_EXCEPT, MSG_COPY, blocking, EINTR) and msgctl.
 */
#include "harness.h"

#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

struct msgbuf_big {
	long mtype;
	char mtext[9000];
};

static key_t test_key(int n)
{
	return (key_t)(0x5d000000 | ((getpid() & 0xfffff) << 4) | (n & 0xf));
}

static void rmid_deferred(void *arg)
{
	msgctl((int)(intptr_t)arg, IPC_RMID, 0);
}

/* msgget that must succeed; the queue is removed after the test. */
static int new_queue(key_t key, int flags)
{
	int id = msgget(key, flags);
	ASSERT_GE(id, 0);
	harness_defer(rmid_deferred, (void *)(intptr_t)id);
	return id;
}

static struct msqid_ds msg_stat(int id)
{
	struct msqid_ds ds;
	memset(&ds, 0, sizeof(ds));
	ASSERT_SYSCALL_OK(msgctl(id, IPC_STAT, &ds));
	return ds;
}

static void send_str(int id, long type, const char *s, int flags)
{
	struct msgbuf_big m;
	m.mtype = type;
	size_t n = strlen(s);
	memcpy(m.mtext, s, n);
	ASSERT_SYSCALL_OK(msgsnd(id, &m, n, flags));
}

/* Receives into a string; returns the type (ASSERTs success). */
static long recv_str(int id, long type, int flags, char *out, size_t cap)
{
	struct msgbuf_big m;
	memset(&m, 0, sizeof(m));
	ssize_t n = msgrcv(id, &m, cap - 1, type, flags);
	ASSERT_GE(n, 0);
	memcpy(out, m.mtext, (size_t)n);
	out[n] = 0;
	return m.mtype;
}

TEST(msg_get_and_stat)
{
	time_t before = time(0);
	int id = new_queue(IPC_PRIVATE, 0640);
	struct msqid_ds ds = msg_stat(id);
	EXPECT_EQ(ds.msg_qnum, 0);
	EXPECT_EQ(ds.__msg_cbytes, 0);
	EXPECT_GT(ds.msg_qbytes, 0);
	EXPECT_EQ(ds.msg_lspid, 0);
	EXPECT_EQ(ds.msg_lrpid, 0);
	EXPECT_EQ(ds.msg_stime, 0);
	EXPECT_EQ(ds.msg_rtime, 0);
	EXPECT_GE(ds.msg_ctime, before);
	EXPECT_EQ(ds.msg_perm.mode, 0640);
	EXPECT_EQ(ds.msg_perm.uid, geteuid());

	key_t key = test_key(1);
	EXPECT_ERRNO(msgget(key, 0600), ENOENT);
	int k = new_queue(key, IPC_CREAT | IPC_EXCL | 0600);
	EXPECT_EQ(msgget(key, 0600), k);
	EXPECT_EQ(msgget(key, IPC_CREAT | 0600), k);
	EXPECT_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	ASSERT_SYSCALL_OK(msgctl(k, IPC_RMID, 0));
	EXPECT_ERRNO(msgget(key, 0600), ENOENT);
	EXPECT_ERRNO(msgctl(k, IPC_STAT, &ds), EINVAL);
}

TEST(msg_send_and_receive)
{
	int id = new_queue(IPC_PRIVATE, 0600);
	send_str(id, 7, "hello", 0);
	struct msqid_ds ds = msg_stat(id);
	EXPECT_EQ(ds.msg_qnum, 1);
	EXPECT_EQ(ds.__msg_cbytes, 5);
	EXPECT_EQ(ds.msg_lspid, getpid());
	EXPECT_GT(ds.msg_stime, 0);
	char buf[64];
	EXPECT_EQ(recv_str(id, 0, 0, buf, sizeof(buf)), 7);
	EXPECT_STREQ(buf, "hello");
	ds = msg_stat(id);
	EXPECT_EQ(ds.msg_qnum, 0);
	EXPECT_EQ(ds.__msg_cbytes, 0);
	EXPECT_EQ(ds.msg_lrpid, getpid());
	EXPECT_GT(ds.msg_rtime, 0);
	/* An empty message is fine. */
	send_str(id, 1, "", 0);
	EXPECT_EQ(recv_str(id, 0, 0, buf, sizeof(buf)), 1);
	EXPECT_STREQ(buf, "");
}

TEST(msg_receive_by_type)
{
	int id = new_queue(IPC_PRIVATE, 0600);
	send_str(id, 3, "A", 0);
	send_str(id, 1, "B", 0);
	send_str(id, 2, "C", 0);
	send_str(id, 1, "D", 0);
	send_str(id, 5, "E", 0);
	char buf[16];
	/* Negative: the first of the lowest type at most 2. */
	EXPECT_EQ(recv_str(id, -2, 0, buf, sizeof(buf)), 1);
	EXPECT_STREQ(buf, "B");
	/* MSG_EXCEPT: the first not of type 2. */
	EXPECT_EQ(recv_str(id, 2, MSG_EXCEPT, buf, sizeof(buf)), 3);
	EXPECT_STREQ(buf, "A");
	EXPECT_EQ(recv_str(id, 5, 0, buf, sizeof(buf)), 5);
	EXPECT_STREQ(buf, "E");
	struct msgbuf_big m;
	EXPECT_ERRNO(msgrcv(id, &m, 10, 4, IPC_NOWAIT), ENOMSG);
	EXPECT_EQ(recv_str(id, 0, 0, buf, sizeof(buf)), 2);
	EXPECT_STREQ(buf, "C");
	EXPECT_EQ(recv_str(id, -1000, 0, buf, sizeof(buf)), 1);
	EXPECT_STREQ(buf, "D");
	EXPECT_ERRNO(msgrcv(id, &m, 10, 0, IPC_NOWAIT), ENOMSG);
}

TEST(msg_sizes_and_errors)
{
	int id = new_queue(IPC_PRIVATE, 0600);
	static struct msgbuf_big m;
	m.mtype = 1;
	memset(m.mtext, 'x', sizeof(m.mtext));
	EXPECT_ERRNO(msgsnd(id, &m, 8193, 0), EINVAL);
	EXPECT_SYSCALL_OK(msgsnd(id, &m, 8192, 0));
	m.mtype = 0;
	EXPECT_ERRNO(msgsnd(id, &m, 1, 0), EINVAL);
	m.mtype = -1;
	EXPECT_ERRNO(msgsnd(id, &m, 1, 0), EINVAL);
	EXPECT_ERRNO(msgsnd(id, (void *)1, 1, 0), EFAULT);
	EXPECT_ERRNO(msgsnd(-1, &m, 1, 0), EINVAL);
	EXPECT_ERRNO(msgrcv(-1, &m, 1, 0, 0), EINVAL);
	EXPECT_ERRNO(msgrcv(id, &m, (size_t)-1, 0, 0), EINVAL);
	/* Too small a buffer: E2BIG, and the message stays. */
	EXPECT_ERRNO(msgrcv(id, &m, 100, 0, IPC_NOWAIT), E2BIG);
	EXPECT_EQ(msg_stat(id).msg_qnum, 1);
	/* MSG_NOERROR truncates. */
	EXPECT_EQ(msgrcv(id, &m, 100, 0, MSG_NOERROR), 100);
	EXPECT_EQ(m.mtype, 1);
	EXPECT_EQ(msg_stat(id).msg_qnum, 0);
	/* A bad buffer loses the message, as in Linux. */
	m.mtype = 1;
	ASSERT_SYSCALL_OK(msgsnd(id, &m, 10, 0));
	EXPECT_ERRNO(msgrcv(id, (void *)1, 10, 0, 0), EFAULT);
	EXPECT_EQ(msg_stat(id).msg_qnum, 0);
}

/*
 * Set by a child (in harness_shared_alloc memory) just before it blocks in
 * msgrcv or msgsnd.
 */
static int *g_ready;

static void about_to_block(void)
{
	harness_set_word(g_ready, 1);
}

/*
 * Waits until child pid is most likely blocked in its call: it said it is
 * about to call, and (natively) /proc shows it sleeping. Nothing shows
 * that a task waits on a message queue, so a short pause covers the last
 * steps into the call; a test whose child is late still passes, except
 * msg_waiter_sees_removal, which needs the wait to have begun.
 */
static void wait_blocked(pid_t pid)
{
	harness_wait_word(g_ready, 1);
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (;;) {
		size_t n = harness_read_file(path, buf, sizeof(buf));
		char *p = strrchr(buf, ')');
		if (n > 0 && p && p[1] == ' ' && p[2] == 'S')
			break;
		usleep(1000);
	}
	usleep(50 * 1000);
}

static int g_msg_id;

static void child_receives(void *arg)
{
	(void)arg;
	char buf[32];
	about_to_block();
	EXPECT_EQ(recv_str(g_msg_id, 9, 0, buf, sizeof(buf)), 9);
	EXPECT_STREQ(buf, "wake up");
}

TEST(msg_receive_blocks_until_sent)
{
	g_ready = harness_shared_alloc(sizeof(int));
	g_msg_id = new_queue(IPC_PRIVATE, 0600);
	pid_t pid = harness_fork_child(child_receives, 0);
	wait_blocked(pid);
	/* A message of another type does not wake it for good. */
	send_str(g_msg_id, 8, "other", 0);
	send_str(g_msg_id, 9, "wake up", 0);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(msg_stat(g_msg_id).msg_qnum, 1);
	EXPECT_EQ(msg_stat(g_msg_id).msg_lrpid, pid);
}

static void child_sends_big(void *arg)
{
	(void)arg;
	about_to_block();
	send_str(g_msg_id, 2, "0123456789", 0);
}

TEST(msg_send_blocks_when_full)
{
	g_ready = harness_shared_alloc(sizeof(int));
	g_msg_id = new_queue(IPC_PRIVATE, 0600);
	struct msqid_ds ds = msg_stat(g_msg_id);
	ds.msg_qbytes = 12;
	ASSERT_SYSCALL_OK(msgctl(g_msg_id, IPC_SET, &ds));
	EXPECT_EQ(msg_stat(g_msg_id).msg_qbytes, 12);
	send_str(g_msg_id, 1, "abcdefgh", 0);
	struct msgbuf_big m = {1, "0123456789"};
	EXPECT_ERRNO(msgsnd(g_msg_id, &m, 10, IPC_NOWAIT), EAGAIN);
	pid_t pid = harness_fork_child(child_sends_big, 0);
	wait_blocked(pid);
	char buf[32];
	EXPECT_EQ(recv_str(g_msg_id, 1, 0, buf, sizeof(buf)), 1);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(recv_str(g_msg_id, 0, IPC_NOWAIT, buf, sizeof(buf)), 2);
	EXPECT_STREQ(buf, "0123456789");
}

static void child_expects_eidrm(void *arg)
{
	(void)arg;
	struct msgbuf_big m;
	about_to_block();
	EXPECT_ERRNO(msgrcv(g_msg_id, &m, 10, 0, 0), EIDRM);
}

TEST(msg_waiter_sees_removal)
{
	g_ready = harness_shared_alloc(sizeof(int));
	g_msg_id = msgget(IPC_PRIVATE, 0600);
	ASSERT_GE(g_msg_id, 0);
	pid_t pid = harness_fork_child(child_expects_eidrm, 0);
	wait_blocked(pid);
	EXPECT_SYSCALL_OK(msgctl(g_msg_id, IPC_RMID, 0));
	EXPECT_CHILD_EXIT(pid, 0);
}

static volatile sig_atomic_t g_got_signal;

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	g_got_signal = 1;
}

TEST(msg_receive_interrupted)
{
	int id = new_queue(IPC_PRIVATE, 0600);
	struct msgbuf_big m;
	for (int restart = 0; restart < 2; restart++) {
		g_got_signal = 0;
		/* A handler ends the wait with EINTR, SA_RESTART or not. */
		harness_set_handler(SIGUSR1, on_usr1, restart ? SA_RESTART : 0);
		struct harness_signaller s;
		harness_signaller_start(&s, harness_gettid(), SIGUSR1,
					5 * 1000 * 1000);
		EXPECT_ERRNO(msgrcv(id, &m, 10, 0, 0), EINTR);
		harness_signaller_stop(&s);
		EXPECT_TRUE(g_got_signal);
	}
}

TEST(msg_copy)
{
	int id = new_queue(IPC_PRIVATE, 0600);
	send_str(id, 4, "first", 0);
	send_str(id, 6, "second", 0);
	struct msgbuf_big m;
	memset(&m, 0, sizeof(m));
	long n = msgrcv(id, &m, 100, 1, MSG_COPY | IPC_NOWAIT);
	if (n < 0 && errno == ENOSYS)
		SKIP("MSG_COPY needs CONFIG_CHECKPOINT_RESTORE natively");
	EXPECT_EQ(n, 6);
	EXPECT_EQ(m.mtype, 6);
	EXPECT_EQ(memcmp(m.mtext, "second", 6), 0);
	EXPECT_EQ(msg_stat(id).msg_qnum, 2);
	EXPECT_ERRNO(msgrcv(id, &m, 100, 2, MSG_COPY | IPC_NOWAIT), ENOMSG);
	EXPECT_ERRNO(msgrcv(id, &m, 100, 0, MSG_COPY), EINVAL);
	EXPECT_ERRNO(msgrcv(id, &m, 100, 0, MSG_COPY | IPC_NOWAIT | MSG_EXCEPT),
		     EINVAL);
	EXPECT_ERRNO(msgrcv(id, &m, 2, 0, MSG_COPY | IPC_NOWAIT), E2BIG);
}

TEST(msg_permissions)
{
	key_t key = test_key(2);
	int id = new_queue(key, IPC_CREAT | 0644);
	send_str(id, 1, "for anyone", 0);
	harness_set_eids(65534, 65534);
	EXPECT_EQ(msgget(key, 0004), id);
	EXPECT_ERRNO(msgget(key, 0002), EACCES);
	struct msgbuf_big m = {1, "x"};
	EXPECT_ERRNO(msgsnd(id, &m, 1, 0), EACCES);
	EXPECT_EQ(msgrcv(id, &m, 100, 0, IPC_NOWAIT), 10);
	struct msqid_ds ds;
	EXPECT_SYSCALL_OK(msgctl(id, IPC_STAT, &ds));
	EXPECT_ERRNO(msgctl(id, IPC_SET, &ds), EPERM);
	EXPECT_ERRNO(msgctl(id, IPC_RMID, 0), EPERM);
	harness_restore_eids();

	ds = msg_stat(id);
	ds.msg_perm.mode = 0600;
	ds.msg_qbytes = 1000;
	ASSERT_SYSCALL_OK(msgctl(id, IPC_SET, &ds));
	ds = msg_stat(id);
	EXPECT_EQ(ds.msg_perm.mode, 0600);
	EXPECT_EQ(ds.msg_qbytes, 1000);
	harness_set_eids(65534, 65534);
	EXPECT_ERRNO(msgctl(id, IPC_STAT, &ds), EACCES);
	EXPECT_ERRNO(msgrcv(id, &m, 100, 0, IPC_NOWAIT), EACCES);
	harness_restore_eids();

	/*
	 * The owner may change msg_qbytes, but not beyond the default
	 * maximum without CAP_SYS_RESOURCE (which a non-root euid lacks).
	 */
	ds = msg_stat(id);
	ds.msg_perm.uid = 65534;
	ASSERT_SYSCALL_OK(msgctl(id, IPC_SET, &ds));
	harness_set_eids(65534, 65534);
	ds.msg_qbytes = 2000;
	EXPECT_SYSCALL_OK(msgctl(id, IPC_SET, &ds));
	ds.msg_qbytes = 16385;
	EXPECT_ERRNO(msgctl(id, IPC_SET, &ds), EPERM);
	harness_restore_eids();
	EXPECT_EQ(msg_stat(id).msg_qbytes, 2000);
}

TEST(msgctl_info_and_errors)
{
	int id = new_queue(IPC_PRIVATE, 0600);
	send_str(id, 1, "abc", 0);
	struct msginfo info;
	memset(&info, 0, sizeof(info));
	EXPECT_GE(msgctl(0, IPC_INFO, (struct msqid_ds *)&info), id & 0x7fff);
	EXPECT_GT(info.msgmax, 0);
	EXPECT_GT(info.msgmnb, 0);
	EXPECT_EQ(info.msgssz, 16);
	memset(&info, 0, sizeof(info));
	EXPECT_GE(msgctl(0, MSG_INFO, (struct msqid_ds *)&info), id & 0x7fff);
	EXPECT_GE(info.msgpool, 1);
	EXPECT_GE(info.msgmap, 1);
	EXPECT_GE(info.msgtql, 3);
	struct msqid_ds ds;
	EXPECT_EQ(msgctl(id & 0x7fff, MSG_STAT, &ds), id);
	EXPECT_EQ(ds.msg_qnum, 1);
	EXPECT_EQ(msgctl(id & 0x7fff, MSG_STAT_ANY, &ds), id);
	EXPECT_ERRNO(msgctl(-1, IPC_STAT, &ds), EINVAL);
	EXPECT_ERRNO(msgctl(id, 12345, &ds), EINVAL);
	EXPECT_ERRNO(msgctl(id, IPC_STAT, (struct msqid_ds *)1), EFAULT);
	EXPECT_ERRNO(msgctl(id, IPC_SET, (struct msqid_ds *)1), EFAULT);
	ds = msg_stat(id);
	ds.msg_perm.gid = (gid_t)-1;
	EXPECT_ERRNO(msgctl(id, IPC_SET, &ds), EINVAL);
}
