/*
 * File system benchmarks: the cost of path lookups, opens and reads.
 *
 * Usage:
 *   fs stat PATH [N]     N stat calls of PATH           (default N = 20000)
 *   fs open PATH [N]     N open+close pairs of PATH     (default N = 20000)
 *   fs read PATH [SIZE]  read all of PATH in SIZE-byte read calls
 *                        (default SIZE = 1048576)
 *
 * stat and open make N/10 untimed calls first, then N timed ones, and print
 *
 *   stat calls=N ns_per_call=X
 *   open calls=N ns_per_call=X      (one call = one openat plus one close)
 *
 * read reads the file once from offset 0 to its end and prints
 *
 *   read bytes=B calls=C ns_per_call=X mb_per_s=Y
 *
 * where C counts the read calls (the last, returning 0, included) and
 * MB/s is 10^6 bytes per second. It does not warm the page cache: the
 * caller reads the file once beforehand if it wants a cached read.
 *
 * Every operation is one raw system call (syscall(2): newfstatat, openat,
 * close, read), so no libc wrapper can substitute another call or answer
 * from a cache. Times come from CLOCK_MONOTONIC, inside the program, so
 * sandbox start-up does not count. Build static:
 * gcc -static -O2 -o fs fs.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("fs: clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* parse_count parses a positive decimal argument or exits. */
static long parse_count(const char *what, const char *s) {
	char *end;
	long v = strtol(s, &end, 10);
	if (*end != '\0' || v <= 0) {
		fprintf(stderr, "fs: bad %s %s\n", what, s);
		exit(2);
	}
	return v;
}

static void do_stat(const char *path, long i) {
	struct stat st;
	if (syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) != 0) {
		fprintf(stderr, "fs: stat %s (call %ld): %s\n", path, i, strerror(errno));
		exit(1);
	}
}

static void do_open(const char *path, long i) {
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fs: open %s (call %ld): %s\n", path, i, strerror(errno));
		exit(1);
	}
	if (syscall(SYS_close, fd) != 0) {
		fprintf(stderr, "fs: close %s (call %ld): %s\n", path, i, strerror(errno));
		exit(1);
	}
}

/* bench_calls times n calls of op after n/10 untimed ones. */
static int bench_calls(const char *mode, void (*op)(const char *, long), const char *path, long n) {
	long warm = n / 10 + 1;
	for (long i = 0; i < warm; i++) {
		op(path, i);
	}
	double start = now_ns();
	for (long i = 0; i < n; i++) {
		op(path, i);
	}
	double elapsed = now_ns() - start;
	printf("%s calls=%ld ns_per_call=%.1f\n", mode, n, elapsed / (double)n);
	return 0;
}

static int bench_read(const char *path, long size) {
	char *buf = malloc((size_t)size);
	if (buf == NULL) {
		fprintf(stderr, "fs: no memory for a %ld-byte buffer\n", size);
		return 1;
	}
	/* Touch the buffer so its page faults are not timed. */
	memset(buf, 1, (size_t)size);
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fs: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	long long total = 0;
	long calls = 0;
	double start = now_ns();
	for (;;) {
		long n = syscall(SYS_read, fd, buf, size);
		calls++;
		if (n < 0) {
			fprintf(stderr, "fs: read %s at %lld: %s\n", path, total, strerror(errno));
			return 1;
		}
		if (n == 0) {
			break;
		}
		total += n;
	}
	double elapsed = now_ns() - start;
	syscall(SYS_close, fd);
	if (total == 0) {
		fprintf(stderr, "fs: %s is empty\n", path);
		return 1;
	}
	printf("read bytes=%lld calls=%ld ns_per_call=%.1f mb_per_s=%.1f\n",
	       total, calls, elapsed / (double)calls, (double)total / elapsed * 1e3);
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: fs stat|open PATH [N] | fs read PATH [SIZE]\n");
		return 2;
	}
	const char *mode = argv[1], *path = argv[2];
	if (strcmp(mode, "stat") == 0 || strcmp(mode, "open") == 0) {
		long n = argc > 3 ? parse_count("count", argv[3]) : 20000;
		return bench_calls(mode, mode[0] == 's' ? do_stat : do_open, path, n);
	}
	if (strcmp(mode, "read") == 0) {
		long size = argc > 3 ? parse_count("read size", argv[3]) : 1 << 20;
		return bench_read(path, size);
	}
	fprintf(stderr, "fs: unknown mode %s\n", mode);
	return 2;
}
