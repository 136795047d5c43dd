/*
 * Unknown syscall numbers fail with ENOSYS, and the process carries on.
 *
 * Deliberately not tested: a real but unimplemented syscall (say rseq) is
 * ENOSYS in the sandbox and works natively, so it cannot be a portable test.
 */
#include "harness.h"

TEST(unknown_syscall_numbers)
{
	/*
	 * Past the end of the table, and a hole in it (the numbers below 424,
	 * where the common numbering starts, are unused above 336; 335 and 336
	 * are uretprobe and uprobe on recent kernels).
	 */
	static const long nrs[] = {10000, 1000, 400, 0x7fffffff};
	for (int i = 0; i < 4; i++)
		EXPECT_ERRNO(syscall(nrs[i], 1, 2, 3, 4, 5, 6), ENOSYS);
}

TEST(enosys_via_raw_instruction)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(10000L)
			 : "rcx", "r11", "memory");
	EXPECT_EQ(ret, -ENOSYS);
}

TEST(still_works_after_enosys)
{
	EXPECT_ERRNO(syscall(10000), ENOSYS);
	EXPECT_EQ(syscall(SYS_getpid), getpid());
	EXPECT_ERRNO(syscall(10001), ENOSYS);
}
