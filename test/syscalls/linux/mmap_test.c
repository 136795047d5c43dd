/* mmap of anonymous memory: placement, flags, contents, faults and errors. */
#include "harness.h"

#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd,
		      off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int all_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

TEST(mmap_private_anonymous)
{
	size_t len = 16 * harness_page_size();
	unsigned char *p = raw_mmap(0, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ((uintptr_t)p % harness_page_size(), 0);
	EXPECT_TRUE(all_zero(p, len));
	memset(p, 0x5a, len);
	EXPECT_EQ(p[len - 1], 0x5a);
	EXPECT_SYSCALL_OK(munmap(p, len));
}

TEST(mmap_shared_anonymous)
{
	size_t len = 4 * harness_page_size();
	unsigned char *p = raw_mmap(0, len, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_TRUE(all_zero(p, len));
	memset(p, 0x11, len);
	EXPECT_EQ(p[len / 2], 0x11);
	EXPECT_SYSCALL_OK(munmap(p, len));
}

TEST(mmap_unaligned_length_rounds_up)
{
	size_t pg = harness_page_size();
	unsigned char *p = raw_mmap(0, pg + 1, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	/* The whole second page is mapped. */
	p[2 * pg - 1] = 1;
	EXPECT_EQ(p[2 * pg - 1], 1);
	EXPECT_SYSCALL_OK(munmap(p, 2 * pg));
}

TEST(mmap_einval)
{
	size_t pg = harness_page_size();
	void *free_addr = harness_unmapped(4 * pg);
	struct {
		const char *what;
		void *addr;
		size_t len;
		int flags;
		off_t off;
	} cases[] = {
		{"zero length", 0, 0, MAP_PRIVATE | MAP_ANONYMOUS, 0},
		{"neither shared nor private", 0, pg, MAP_ANONYMOUS, 0},
		{"unaligned fixed address", (char *)free_addr + 1, pg,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0},
		{"unaligned offset", 0, pg, MAP_PRIVATE | MAP_ANONYMOUS, 1},
		{"fixed zero length", free_addr, 0,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0},
		/* Anonymous memory has no MAP_SHARED_VALIDATE path. */
		{"MAP_SHARED_VALIDATE anonymous", 0, pg,
		 MAP_SHARED_VALIDATE | MAP_ANONYMOUS, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		void *p = raw_mmap(cases[i].addr, cases[i].len,
				   PROT_READ | PROT_WRITE, cases[i].flags, -1,
				   cases[i].off);
		int err = errno;
		if (p != MAP_FAILED || err != EINVAL)
			harness_fail(__FILE__, __LINE__,
				     "%s: got %p errno %s, want EINVAL",
				     cases[i].what, p, harness_errno_name(err));
	}
}

TEST(mmap_ebadf_without_anonymous)
{
	size_t pg = harness_page_size();
	EXPECT_ERRNO(raw_mmap(0, pg, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	EXPECT_ERRNO(raw_mmap(0, pg, PROT_READ, MAP_SHARED, -1, 0), EBADF);
	EXPECT_ERRNO(raw_mmap(0, pg, PROT_READ, MAP_PRIVATE, 1000, 0), EBADF);
}

TEST(mmap_enomem_huge)
{
	static const size_t lens[] = {
		(size_t)1 << 47, (size_t)1 << 50, (size_t)1 << 62,
		(size_t)-4096,
	};
	for (int i = 0; i < 4; i++)
		EXPECT_ERRNO(raw_mmap(0, lens[i], PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				      -1, 0),
			     ENOMEM);
}

TEST(mmap_hint_honoured_when_free)
{
	size_t len = 4 * harness_page_size();
	void *hint = harness_unmapped(len);
	void *p = raw_mmap(hint, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(p, hint);
	munmap(p, len);
}

TEST(mmap_hint_not_honoured_when_taken)
{
	size_t len = 4 * harness_page_size();
	unsigned char *taken = harness_map(len, PROT_READ | PROT_WRITE);
	taken[0] = 7;
	unsigned char *p = raw_mmap(taken, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_NE(p, taken);
	EXPECT_EQ(taken[0], 7);
	munmap(p, len);
	munmap(taken, len);
}

TEST(mmap_fixed_replaces)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(4 * pg, PROT_READ | PROT_WRITE);
	memset(p, 0xaa, 4 * pg);
	unsigned char *q = raw_mmap(p + pg, 2 * pg, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				    0);
	ASSERT_EQ(q, p + pg);
	/* The middle pages are fresh zero pages, the outer ones untouched. */
	EXPECT_TRUE(all_zero(p + pg, 2 * pg));
	EXPECT_EQ(p[0], 0xaa);
	EXPECT_EQ(p[pg - 1], 0xaa);
	EXPECT_EQ(p[3 * pg], 0xaa);
	EXPECT_EQ(p[4 * pg - 1], 0xaa);
	munmap(p, 4 * pg);
}

TEST(mmap_fixed_noreplace)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	p[0] = 3;
	EXPECT_ERRNO(raw_mmap(p, pg, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			      -1, 0),
		     EEXIST);
	/* Overlapping only partly is still refused. */
	EXPECT_ERRNO(raw_mmap(p + pg, 2 * pg, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			      -1, 0),
		     EEXIST);
	EXPECT_EQ(p[0], 3);
	munmap(p, 2 * pg);

	void *free_addr = harness_unmapped(pg);
	void *q = raw_mmap(free_addr, pg, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			   0);
	EXPECT_EQ(q, free_addr);
	munmap(q, pg);
}

TEST(mmap_prot_none_faults)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_NONE);
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_ACCERR);
	EXPECT_EQ(f.addr, p);
	EXPECT_TRUE(harness_probe_write(p + 100, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_ACCERR);
	EXPECT_EQ(f.addr, p + 100);
	munmap(p, pg);
}

TEST(mmap_read_only_faults_on_write)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ);
	struct harness_fault f;
	EXPECT_FALSE(harness_probe_read(p, &f));
	EXPECT_TRUE(harness_probe_write(p, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_ACCERR);
	munmap(p, pg);
}

TEST(mmap_populate_and_noreserve)
{
	size_t len = 8 * harness_page_size();
	static const int extra[] = {MAP_POPULATE, MAP_NORESERVE,
				    MAP_POPULATE | MAP_NORESERVE};
	for (int i = 0; i < 3; i++) {
		unsigned char *p = raw_mmap(0, len, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS | extra[i],
					    -1, 0);
		ASSERT_TRUE(p != MAP_FAILED);
		EXPECT_TRUE(all_zero(p, len));
		munmap(p, len);
	}
}

TEST(mmap_many_mappings_distinct)
{
	size_t pg = harness_page_size();
	unsigned char *ps[32];
	for (int i = 0; i < 32; i++) {
		ps[i] = harness_map(pg, PROT_READ | PROT_WRITE);
		ps[i][0] = (unsigned char)i;
	}
	for (int i = 0; i < 32; i++) {
		EXPECT_EQ(ps[i][0], i);
		for (int j = 0; j < i; j++)
			EXPECT_NE(ps[i], ps[j]);
	}
	for (int i = 0; i < 32; i++)
		EXPECT_SYSCALL_OK(munmap(ps[i], pg));
}

struct shared_arg {
	unsigned char *p;
	int seen;
};

static void *read_from_thread(void *arg)
{
	struct shared_arg *a = arg;
	a->seen = a->p[10];
	a->p[11] = 99;
	return 0;
}

TEST(mmap_visible_to_threads)
{
	struct shared_arg a;
	a.p = harness_map(harness_page_size(), PROT_READ | PROT_WRITE);
	a.p[10] = 42;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, read_from_thread, &a), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	EXPECT_EQ(a.seen, 42);
	EXPECT_EQ(a.p[11], 99);
	munmap(a.p, harness_page_size());
}

TEST(mmap_libc_wrapper)
{
	void *p = mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
}
