/*
 * System V shared memory: shmget, shmat, shmdt and shmctl; attachments
 * across fork, exit and exec; removal while attached; permissions.
 */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#ifndef SHM_REMAP
#define SHM_REMAP 040000
#endif
#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif

/*
 * A key of this test run: natively the IPC namespace is the host's, so the
 * key carries the pid (and n tells a test's keys apart).
 */
static key_t test_key(int n)
{
	return (key_t)(0x5b000000 | ((getpid() & 0xfffff) << 4) | (n & 0xf));
}

static void rmid_deferred(void *arg)
{
	/* It may be gone already: errors are ignored. */
	shmctl((int)(intptr_t)arg, IPC_RMID, 0);
}

/* shmget that must succeed; the segment is removed after the test. */
static int new_shm(key_t key, size_t size, int flags)
{
	int id = shmget(key, size, flags);
	ASSERT_GE(id, 0);
	harness_defer(rmid_deferred, (void *)(intptr_t)id);
	return id;
}

static struct shmid_ds shm_stat(int id)
{
	struct shmid_ds ds;
	memset(&ds, 0, sizeof(ds));
	ASSERT_SYSCALL_OK(shmctl(id, IPC_STAT, &ds));
	return ds;
}

static void *attach(int id, const void *addr, int flags)
{
	void *p = shmat(id, addr, flags);
	ASSERT_TRUE(p != (void *)-1);
	return p;
}

TEST(shm_private_segment_stat)
{
	size_t pg = harness_page_size();
	time_t before = time(0);
	int id = new_shm(IPC_PRIVATE, 3 * pg + 10, 0640);
	struct shmid_ds ds = shm_stat(id);
	EXPECT_EQ(ds.shm_segsz, 3 * pg + 10);
	EXPECT_EQ(ds.shm_nattch, 0);
	EXPECT_EQ(ds.shm_cpid, getpid());
	EXPECT_EQ(ds.shm_lpid, 0);
	EXPECT_EQ(ds.shm_atime, 0);
	EXPECT_EQ(ds.shm_dtime, 0);
	EXPECT_GE(ds.shm_ctime, before);
	EXPECT_EQ(ds.shm_perm.__key, IPC_PRIVATE);
	EXPECT_EQ(ds.shm_perm.mode, 0640);
	EXPECT_EQ(ds.shm_perm.uid, geteuid());
	EXPECT_EQ(ds.shm_perm.cuid, geteuid());
	EXPECT_EQ(ds.shm_perm.gid, getegid());
	EXPECT_EQ(ds.shm_perm.cgid, getegid());
	/* IPC_PRIVATE always makes a new segment. */
	int other = new_shm(IPC_PRIVATE, pg, 0600);
	EXPECT_NE(other, id);
}

TEST(shm_get_size_limits)
{
	EXPECT_ERRNO(shmget(IPC_PRIVATE, 0, 0600), EINVAL);
	EXPECT_ERRNO(shmget(IPC_PRIVATE, (size_t)-1, 0600), EINVAL);
	int id = new_shm(IPC_PRIVATE, 1, 0600);
	EXPECT_EQ(shm_stat(id).shm_segsz, 1);
	/* More than any machine's memory needs SHM_NORESERVE. */
	EXPECT_ERRNO(shmget(IPC_PRIVATE, 1UL << 62, 0600), ENOMEM);
	id = new_shm(IPC_PRIVATE, 1UL << 62, 0600 | SHM_NORESERVE);
	EXPECT_EQ(shm_stat(id).shm_segsz, 1UL << 62);
}

TEST(shm_get_by_key)
{
	size_t pg = harness_page_size();
	key_t key = test_key(1);
	EXPECT_ERRNO(shmget(key, pg, 0600), ENOENT);
	int id = new_shm(key, 2 * pg, IPC_CREAT | IPC_EXCL | 0600);
	EXPECT_EQ(shm_stat(id).shm_perm.__key, key);
	/* The same key finds it, with or without IPC_CREAT, size 0 too. */
	EXPECT_EQ(shmget(key, 2 * pg, 0600), id);
	EXPECT_EQ(shmget(key, pg, IPC_CREAT | 0600), id);
	EXPECT_EQ(shmget(key, 0, 0), id);
	EXPECT_ERRNO(shmget(key, pg, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	/* Larger than the segment: EINVAL. */
	EXPECT_ERRNO(shmget(key, 2 * pg + 1, 0600), EINVAL);
	ASSERT_SYSCALL_OK(shmctl(id, IPC_RMID, 0));
	EXPECT_ERRNO(shmget(key, pg, 0600), ENOENT);
	/* A stale id is EINVAL. */
	struct shmid_ds ds;
	EXPECT_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
	EXPECT_ERRNO(shmat(id, 0, 0), EINVAL);
}

TEST(shm_attach_shares_data)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, 2 * pg, 0600);
	time_t before = time(0);
	char *a = attach(id, 0, 0);
	char *b = attach(id, 0, 0);
	EXPECT_NE(a, b);
	/* A new segment is zeroed. */
	EXPECT_EQ(a[0], 0);
	EXPECT_EQ(a[2 * pg - 1], 0);
	strcpy(a + pg, "through a");
	EXPECT_STREQ(b + pg, "through a");
	struct shmid_ds ds = shm_stat(id);
	EXPECT_EQ(ds.shm_nattch, 2);
	EXPECT_EQ(ds.shm_lpid, getpid());
	EXPECT_GE(ds.shm_atime, before);
	EXPECT_SYSCALL_OK(shmdt(a));
	ds = shm_stat(id);
	EXPECT_EQ(ds.shm_nattch, 1);
	EXPECT_GE(ds.shm_dtime, before);
	EXPECT_STREQ(b + pg, "through a");
	EXPECT_SYSCALL_OK(shmdt(b));
	EXPECT_EQ(shm_stat(id).shm_nattch, 0);
	/* The data outlives the attachments. */
	char *c = attach(id, 0, 0);
	EXPECT_STREQ(c + pg, "through a");
	EXPECT_SYSCALL_OK(shmdt(c));
}

TEST(shm_partial_page_is_mapped)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, 10, 0600);
	char *p = attach(id, 0, 0);
	/* The rest of the last page is usable, as in any file mapping. */
	p[pg - 1] = 1;
	EXPECT_EQ(p[pg - 1], 1);
	EXPECT_SYSCALL_OK(shmdt(p));
}

struct fork_arg {
	int id;
	char *p;
};

static void child_writes(void *arg)
{
	struct fork_arg *fa = arg;
	/* The child inherited the attachment: it counts. */
	EXPECT_EQ(shm_stat(fa->id).shm_nattch, 2);
	strcpy(fa->p, "from the child");
}

static void child_attaches_and_exits(void *arg)
{
	struct fork_arg *fa = arg;
	char *p = attach(fa->id, 0, 0);
	/* The parent's, the one inherited from it, and the new one. */
	EXPECT_EQ(shm_stat(fa->id).shm_nattch, 3);
	strcpy(p + 100, "child attached");
	/* No shmdt: exit detaches. */
}

TEST(shm_fork_and_exit)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, pg, 0600);
	char *p = attach(id, 0, 0);
	struct fork_arg fa = {id, p};
	pid_t pid = harness_fork_child(child_writes, &fa);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_STREQ(p, "from the child");
	EXPECT_EQ(shm_stat(id).shm_nattch, 1);

	pid = harness_fork_child(child_attaches_and_exits, &fa);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_STREQ(p + 100, "child attached");
	EXPECT_EQ(shm_stat(id).shm_nattch, 1);
	EXPECT_SYSCALL_OK(shmdt(p));
	EXPECT_EQ(shm_stat(id).shm_nattch, 0);
}

CHILD_MODE(shm_report_nattch)
{
	/* argv[1] is the id: after exec the attachment is gone. */
	int id = atoi(argv[1]);
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) != 0)
		return 2;
	return (int)ds.shm_nattch;
}

TEST(shm_exec_detaches)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, pg, 0600);
	char idbuf[32];
	snprintf(idbuf, sizeof(idbuf), "%d", id);
	fflush(stdout);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (shmat(id, 0, 0) == (void *)-1)
			_exit(3);
		char *argv[] = {(char *)harness_exe_path(), HARNESS_CHILD_FLAG,
				"shm_report_nattch", idbuf, 0};
		execv(argv[0], argv);
		_exit(4);
	}
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(shm_rmid_while_attached)
{
	size_t pg = harness_page_size();
	key_t key = test_key(2);
	int id = new_shm(key, pg, IPC_CREAT | IPC_EXCL | 0600);
	char *p = attach(id, 0, 0);
	strcpy(p, "still here");
	ASSERT_SYSCALL_OK(shmctl(id, IPC_RMID, 0));
	/* Marked for destruction: the key is private now. */
	struct shmid_ds ds = shm_stat(id);
	EXPECT_TRUE(ds.shm_perm.mode & SHM_DEST);
	EXPECT_EQ(ds.shm_perm.__key, IPC_PRIVATE);
	EXPECT_EQ(ds.shm_nattch, 1);
	EXPECT_ERRNO(shmget(key, pg, 0600), ENOENT);
	/* The key can name a new segment meanwhile. */
	int other = new_shm(key, pg, IPC_CREAT | IPC_EXCL | 0600);
	EXPECT_NE(other, id);
	EXPECT_STREQ(p, "still here");
	/* Linux lets a segment marked for destruction be attached again. */
	char *q = attach(id, 0, 0);
	EXPECT_STREQ(q, "still here");
	EXPECT_SYSCALL_OK(shmdt(q));
	EXPECT_SYSCALL_OK(shmdt(p));
	/* The last detach destroyed it. */
	EXPECT_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
}

TEST(shm_rdonly_attach)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, pg, 0600);
	char *w = attach(id, 0, 0);
	char *r = attach(id, 0, SHM_RDONLY);
	w[0] = 'x';
	EXPECT_EQ(r[0], 'x');
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_write(r, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	/* It can never become writable. */
	EXPECT_ERRNO(mprotect(r, pg, PROT_READ | PROT_WRITE), EACCES);
	EXPECT_SYSCALL_OK(shmdt(r));
	EXPECT_SYSCALL_OK(shmdt(w));
}

TEST(shm_attach_address)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, 2 * pg, 0600);
	char *free_addr = harness_unmapped(4 * pg);
	/* An address that is not page aligned needs SHM_RND. */
	EXPECT_ERRNO(shmat(id, free_addr + 1, 0), EINVAL);
	char *p = attach(id, free_addr + 1, SHM_RND);
	EXPECT_EQ(p, free_addr);
	/* SHM_REMAP needs an address. */
	EXPECT_ERRNO(shmat(id, 0, SHM_REMAP), EINVAL);
	/* Over a mapping: EINVAL, unless SHM_REMAP. */
	EXPECT_ERRNO(shmat(id, free_addr + pg, 0), EINVAL);
	char *q = attach(id, free_addr + pg, SHM_REMAP);
	EXPECT_EQ(q, free_addr + pg);
	q[0] = 'q';
	EXPECT_EQ(p[0], 'q');
	EXPECT_SYSCALL_OK(shmdt(q));
	/* The remapped part of the first attachment is gone. */
	EXPECT_SYSCALL_OK(shmdt(p));
	EXPECT_EQ(shm_stat(id).shm_nattch, 0);
	munmap(free_addr, 4 * pg);
}

TEST(shm_detach_errors)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, 2 * pg, 0600);
	char *p = attach(id, 0, 0);
	EXPECT_ERRNO(shmdt(p + 1), EINVAL);
	/* Inside the attachment but not its start. */
	EXPECT_ERRNO(shmdt(p + pg), EINVAL);
	char *anon = harness_map(pg, PROT_READ);
	EXPECT_ERRNO(shmdt(anon), EINVAL);
	EXPECT_ERRNO(shmdt(harness_unmapped(pg)), EINVAL);
	EXPECT_SYSCALL_OK(shmdt(p));
	EXPECT_ERRNO(shmdt(p), EINVAL);
	munmap(anon, pg);
}

TEST(shm_detach_after_partial_munmap)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, 3 * pg, 0600);
	char *p = attach(id, 0, 0);
	/*
	 * Without its first page, the rest still detaches from p: a piece
	 * whose offset in the segment matches its distance from p counts.
	 */
	ASSERT_SYSCALL_OK(munmap(p, pg));
	EXPECT_SYSCALL_OK(shmdt(p));
	EXPECT_EQ(shm_stat(id).shm_nattch, 0);
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p + pg, &f));
	/* Every piece of an attachment split by mprotect goes. */
	char *q = attach(id, 0, 0);
	ASSERT_SYSCALL_OK(mprotect(q + pg, pg, PROT_READ));
	EXPECT_SYSCALL_OK(shmdt(q));
	EXPECT_TRUE(harness_probe_read(q + 2 * pg, &f));
	EXPECT_EQ(shm_stat(id).shm_nattch, 0);
}

TEST(shm_maps_name)
{
	size_t pg = harness_page_size();
	key_t key = test_key(3);
	int id = new_shm(key, pg, IPC_CREAT | IPC_EXCL | 0600);
	char *p = attach(id, 0, 0);
	static char maps[1 << 16];
	size_t n = harness_read_file("/proc/self/maps", maps, sizeof(maps));
	ASSERT_GT(n, 0);
	char *want = harness_strf("%lx-", (unsigned long)p);
	char *line = strstr(maps, want);
	ASSERT_TRUE(line != 0);
	char *end = strchr(line, '\n');
	if (end)
		*end = 0;
	EXPECT_TRUE(strstr(line, " rw-s ") != 0);
	EXPECT_TRUE(strstr(line, harness_strf("/SYSV%08x (deleted)",
					      (unsigned)key)) != 0);
	EXPECT_SYSCALL_OK(shmdt(p));
}

TEST(shm_set_and_permissions)
{
	size_t pg = harness_page_size();
	key_t key = test_key(4);
	int id = new_shm(key, pg, IPC_CREAT | 0600);
	struct shmid_ds ds = shm_stat(id);
	ds.shm_perm.mode = 0644 | SHM_DEST;
	ASSERT_SYSCALL_OK(shmctl(id, IPC_SET, &ds));
	ds = shm_stat(id);
	/* Only the permission bits change. */
	EXPECT_EQ(ds.shm_perm.mode, 0644);

	harness_set_eids(65534, 65534);
	/* Group and others may read, not write. */
	EXPECT_EQ(shmget(key, 0, 0), id);
	EXPECT_EQ(shmget(key, 0, 0004), id);
	EXPECT_ERRNO(shmget(key, 0, 0002), EACCES);
	EXPECT_ERRNO(shmget(key, 0, 0600), EACCES);
	EXPECT_ERRNO(shmat(id, 0, 0), EACCES);
	void *r = shmat(id, 0, SHM_RDONLY);
	EXPECT_TRUE(r != (void *)-1);
	if (r != (void *)-1)
		EXPECT_SYSCALL_OK(shmdt(r));
	struct shmid_ds mine;
	EXPECT_SYSCALL_OK(shmctl(id, IPC_STAT, &mine));
	/* Not the owner: no IPC_SET nor IPC_RMID. */
	EXPECT_ERRNO(shmctl(id, IPC_SET, &mine), EPERM);
	EXPECT_ERRNO(shmctl(id, IPC_RMID, 0), EPERM);
	harness_restore_eids();

	ASSERT_SYSCALL_OK(shmctl(id, IPC_STAT, &ds));
	ds.shm_perm.mode = 0;
	ASSERT_SYSCALL_OK(shmctl(id, IPC_SET, &ds));
	harness_set_eids(65534, 65534);
	EXPECT_ERRNO(shmctl(id, IPC_STAT, &mine), EACCES);
	EXPECT_ERRNO(shmat(id, 0, SHM_RDONLY), EACCES);
	harness_restore_eids();
	/* Giving the segment away makes the new owner able to remove it. */
	ds.shm_perm.uid = 65534;
	ASSERT_SYSCALL_OK(shmctl(id, IPC_SET, &ds));
	harness_set_eids(65534, 65534);
	EXPECT_SYSCALL_OK(shmctl(id, IPC_RMID, 0));
	harness_restore_eids();
}

TEST(shm_ctl_errors)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, pg, 0600);
	struct shmid_ds ds;
	EXPECT_ERRNO(shmctl(-1, IPC_STAT, &ds), EINVAL);
	EXPECT_ERRNO(shmctl(id, 12345, &ds), EINVAL);
	EXPECT_ERRNO(shmctl(id, -1, &ds), EINVAL);
	EXPECT_ERRNO(shmctl(id, IPC_STAT, (struct shmid_ds *)1), EFAULT);
	EXPECT_ERRNO(shmctl(id, IPC_SET, (struct shmid_ds *)1), EFAULT);
	/* The next id with the same index is not this one. */
	EXPECT_ERRNO(shmctl(id + (1 << 15), IPC_STAT, &ds), EINVAL);
	EXPECT_ERRNO(shmat(-1, 0, 0), EINVAL);
	ASSERT_SYSCALL_OK(shmctl(id, IPC_STAT, &ds));
	ds.shm_perm.uid = (uid_t)-1;
	EXPECT_ERRNO(shmctl(id, IPC_SET, &ds), EINVAL);
}

TEST(shm_info_and_stat_by_index)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, pg, 0600);
	struct shminfo info;
	memset(&info, 0, sizeof(info));
	int maxidx = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
	EXPECT_GE(maxidx, id & 0x7fff);
	EXPECT_EQ(info.shmmin, 1);
	EXPECT_GT(info.shmmni, 0);
	EXPECT_TRUE(info.shmmax >= pg);
	struct shm_info usage;
	memset(&usage, 0, sizeof(usage));
	EXPECT_GE(shmctl(0, SHM_INFO, (struct shmid_ds *)&usage), id & 0x7fff);
	EXPECT_GE(usage.used_ids, 1);
	/* SHM_STAT takes an index and returns the id. */
	struct shmid_ds ds;
	EXPECT_EQ(shmctl(id & 0x7fff, SHM_STAT, &ds), id);
	EXPECT_EQ(ds.shm_segsz, pg);
	EXPECT_EQ(shmctl(id & 0x7fff, SHM_STAT_ANY, &ds), id);
}

TEST(shm_lock_unlock)
{
	size_t pg = harness_page_size();
	int id = new_shm(IPC_PRIVATE, pg, 0600);
	EXPECT_SYSCALL_OK(shmctl(id, SHM_LOCK, 0));
	EXPECT_TRUE(shm_stat(id).shm_perm.mode & SHM_LOCKED);
	EXPECT_SYSCALL_OK(shmctl(id, SHM_UNLOCK, 0));
	EXPECT_FALSE(shm_stat(id).shm_perm.mode & SHM_LOCKED);
}
