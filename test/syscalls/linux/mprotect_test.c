/* mprotect: changing permissions, the faults they cause, and errors. */
#include "harness.h"

#include <sys/mman.h>

TEST(mprotect_read_only_write_faults_accerr)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	p[5] = 9;
	ASSERT_SYSCALL_OK(syscall(SYS_mprotect, p, pg, PROT_READ));
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_write(p + 5, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_ACCERR);
	EXPECT_EQ(f.addr, p + 5);
	/* Reading still works and the content is kept. */
	EXPECT_FALSE(harness_probe_read(p + 5, &f));
	EXPECT_EQ(p[5], 9);
	ASSERT_SYSCALL_OK(syscall(SYS_mprotect, p, pg, PROT_READ | PROT_WRITE));
	EXPECT_FALSE(harness_probe_write(p + 5, &f));
	munmap(p, pg);
}

TEST(mprotect_none_and_back_keeps_content)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	memset(p, 0x42, 2 * pg);
	ASSERT_SYSCALL_OK(syscall(SYS_mprotect, p, 2 * pg, PROT_NONE));
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p + pg, &f));
	EXPECT_EQ(f.code, SEGV_ACCERR);
	ASSERT_SYSCALL_OK(syscall(SYS_mprotect, p, 2 * pg, PROT_READ));
	EXPECT_EQ(p[0], 0x42);
	EXPECT_EQ(p[2 * pg - 1], 0x42);
	munmap(p, 2 * pg);
}

TEST(mprotect_part_of_mapping)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(3 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(syscall(SYS_mprotect, p + pg, pg, PROT_READ));
	struct harness_fault f;
	EXPECT_FALSE(harness_probe_write(p, &f));
	EXPECT_TRUE(harness_probe_write(p + pg, &f));
	EXPECT_FALSE(harness_probe_write(p + 2 * pg, &f));
	munmap(p, 3 * pg);
}

TEST(mprotect_unaligned_length_rounds_up)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(syscall(SYS_mprotect, p, 1, PROT_READ));
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_write(p + pg - 1, &f));
	EXPECT_FALSE(harness_probe_write(p + pg, &f));
	munmap(p, 2 * pg);
}

TEST(mprotect_zero_length_ok)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	EXPECT_SYSCALL_OK(syscall(SYS_mprotect, p, 0, PROT_NONE));
	struct harness_fault f;
	EXPECT_FALSE(harness_probe_write(p, &f));
	/* Even for an address with nothing mapped. */
	EXPECT_SYSCALL_OK(
		syscall(SYS_mprotect, harness_unmapped(pg), 0, PROT_READ));
	munmap(p, pg);
}

TEST(mprotect_einval)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	EXPECT_ERRNO(syscall(SYS_mprotect, p + 1, pg, PROT_READ), EINVAL);
	EXPECT_ERRNO(syscall(SYS_mprotect, p, pg, 0x100), EINVAL);
	EXPECT_ERRNO(syscall(SYS_mprotect, p, pg, PROT_READ | 0x80), EINVAL);
	/* A length that wraps around the address space. */
	EXPECT_ERRNO(syscall(SYS_mprotect, p, (size_t)-pg, PROT_READ), ENOMEM);
	/* The failed calls changed nothing. */
	struct harness_fault f;
	EXPECT_FALSE(harness_probe_write(p, &f));
	munmap(p, 2 * pg);
}

TEST(mprotect_enomem_unmapped)
{
	size_t pg = harness_page_size();
	void *gone = harness_unmapped(2 * pg);
	EXPECT_ERRNO(syscall(SYS_mprotect, gone, pg, PROT_READ), ENOMEM);

	/* A range that runs past the end of a mapping into a hole. */
	unsigned char *p = harness_map(3 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(munmap(p + 2 * pg, pg));
	EXPECT_ERRNO(syscall(SYS_mprotect, p, 3 * pg, PROT_READ), ENOMEM);
	/* A range that starts in a hole. */
	ASSERT_SYSCALL_OK(munmap(p, pg));
	EXPECT_ERRNO(syscall(SYS_mprotect, p, 2 * pg, PROT_READ), ENOMEM);
	munmap(p, 3 * pg);
}

TEST(mprotect_exec_ok)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	EXPECT_SYSCALL_OK(
		syscall(SYS_mprotect, p, pg, PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_SYSCALL_OK(syscall(SYS_mprotect, p, pg, PROT_EXEC));
	munmap(p, pg);
}

TEST(mprotect_exec_runs_code)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	/* mov $42, %eax; ret */
	static const unsigned char code[] = {0xb8, 42, 0, 0, 0, 0xc3};
	memcpy(p, code, sizeof(code));
	ASSERT_SYSCALL_OK(syscall(SYS_mprotect, p, pg, PROT_READ | PROT_EXEC));
	int (*fn)(void) = (int (*)(void))(void *)p;
	EXPECT_EQ(fn(), 42);
	munmap(p, pg);
}
