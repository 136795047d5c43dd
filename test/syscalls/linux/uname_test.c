/* uname: field contents and bad pointers. */
#include "harness.h"

#include <sys/mman.h>
#include <sys/utsname.h>

static int nul_terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != 0;
}

TEST(uname_fields)
{
	struct utsname u;
	memset(&u, 0xff, sizeof(u));
	ASSERT_SYSCALL_OK(syscall(SYS_uname, &u));
	EXPECT_TRUE(nul_terminated(u.sysname, sizeof(u.sysname)));
	EXPECT_TRUE(nul_terminated(u.nodename, sizeof(u.nodename)));
	EXPECT_TRUE(nul_terminated(u.release, sizeof(u.release)));
	EXPECT_TRUE(nul_terminated(u.version, sizeof(u.version)));
	EXPECT_TRUE(nul_terminated(u.machine, sizeof(u.machine)));
	EXPECT_TRUE(nul_terminated(u.domainname, sizeof(u.domainname)));
	EXPECT_STREQ(u.sysname, "Linux");
	EXPECT_STREQ(u.machine, "x86_64");
	EXPECT_GT(strlen(u.release), 0);
	EXPECT_GT(strlen(u.version), 0);
}

TEST(uname_matches_libc)
{
	struct utsname a, b;
	ASSERT_SYSCALL_OK(uname(&a));
	ASSERT_SYSCALL_OK(syscall(SYS_uname, &b));
	EXPECT_STREQ(a.sysname, b.sysname);
	EXPECT_STREQ(a.release, b.release);
	EXPECT_STREQ(a.nodename, b.nodename);
}

TEST(uname_release_looks_like_version)
{
	struct utsname u;
	ASSERT_SYSCALL_OK(syscall(SYS_uname, &u));
	int major = 0, minor = 0;
	EXPECT_EQ(sscanf(u.release, "%d.%d", &major, &minor), 2);
	EXPECT_GE(major, 3);
}

TEST(uname_efault)
{
	EXPECT_ERRNO(syscall(SYS_uname, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_uname, (void *)1), EFAULT);
	void *gone = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(syscall(SYS_uname, gone), EFAULT);
	char *ro = harness_map(harness_page_size(), PROT_READ);
	EXPECT_ERRNO(syscall(SYS_uname, ro), EFAULT);
	munmap(ro, harness_page_size());
}

TEST(uname_straddling_unmapped_page)
{
	/* The struct starts in a mapped page and runs into an unmapped one. */
	size_t pg = harness_page_size();
	char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(munmap(p + pg, pg));
	EXPECT_ERRNO(syscall(SYS_uname, p + pg - 10), EFAULT);
	munmap(p, pg);
}
