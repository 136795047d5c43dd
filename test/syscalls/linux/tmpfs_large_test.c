/* A 100 MB file written and read back in 1 MiB chunks in /tmp and /dev/shm. */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#define CHUNK (1 << 20)
#define NCHUNKS 100

/* Chunk i holds 64-bit words (i << 32 | word index): every chunk differs. */
static void fill(uint64_t *buf, uint64_t chunk)
{
	for (size_t w = 0; w < CHUNK / 8; w++)
		buf[w] = chunk << 32 | w;
}

static void write_and_verify(const char *path)
{
	uint64_t *buf = malloc(CHUNK), *back = malloc(CHUNK);
	ASSERT_TRUE(buf != 0 && back != 0);
	int fd = harness_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	for (uint64_t i = 0; i < NCHUNKS; i++) {
		fill(buf, i);
		long n = write(fd, buf, CHUNK);
		if (n != CHUNK) {
			harness_fail(__FILE__, __LINE__,
				     "%s: chunk %llu: write returned %ld (%s)",
				     path, (unsigned long long)i, n,
				     harness_errno_name(errno));
			break;
		}
	}
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, (off_t)CHUNK * NCHUNKS);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	for (uint64_t i = 0; i < NCHUNKS; i++) {
		size_t got = 0;
		while (got < CHUNK) {
			long n = read(fd, (char *)back + got, CHUNK - got);
			if (n <= 0) {
				harness_fail(__FILE__, __LINE__,
					     "%s: chunk %llu: read returned "
					     "%ld",
					     path, (unsigned long long)i, n);
				break;
			}
			got += (size_t)n;
		}
		fill(buf, i);
		if (got != CHUNK || memcmp(buf, back, CHUNK) != 0) {
			harness_fail(__FILE__, __LINE__,
				     "%s: chunk %llu differs", path,
				     (unsigned long long)i);
			break;
		}
	}
	char c;
	EXPECT_EQ(read(fd, &c, 1), 0);
	/* A read straddling two chunks at an odd offset. */
	uint64_t pair[2];
	EXPECT_EQ(pread(fd, pair, sizeof(pair), (off_t)CHUNK * 42 - 8),
		  sizeof(pair));
	EXPECT_EQ(pair[0], (uint64_t)41 << 32 | (CHUNK / 8 - 1));
	EXPECT_EQ(pair[1], (uint64_t)42 << 32);
	close(fd);
	/* Free the memory now rather than at the end of the test. */
	EXPECT_SYSCALL_OK(unlink(path));
	free(back);
	free(buf);
}

TEST(large_file_in_tmp)
{
	write_and_verify(harness_path("large"));
}

TEST(large_file_in_dev_shm)
{
	write_and_verify(harness_shm_path("large"));
}
