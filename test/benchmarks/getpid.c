/*
 * getpid benchmark: the cost of one system call round trip.
 *
 * Usage: getpid [N]   (default N = 20000)
 *
 * Makes N raw getpid system calls (after a short warm-up), timed with
 * CLOCK_MONOTONIC, and prints one line:
 *
 *   getpid calls=N ns_per_call=X
 *
 * The call goes through syscall(2) so no libc wrapper or cache can answer it
 * without entering the kernel (or, in a sandbox, the sentry). Build static:
 * gcc -static -O2 -o getpid getpid.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
	long n = 20000;
	if (argc > 1) {
		char *end;
		n = strtol(argv[1], &end, 10);
		if (*end != '\0' || n <= 0) {
			fprintf(stderr, "getpid: bad count %s\n", argv[1]);
			return 2;
		}
	}
	long warm = n / 10 + 1;
	long pid = syscall(SYS_getpid);
	for (long i = 0; i < warm; i++) {
		if (syscall(SYS_getpid) != pid) {
			fprintf(stderr, "getpid: pid changed\n");
			return 1;
		}
	}
	double start = now_ns();
	for (long i = 0; i < n; i++) {
		syscall(SYS_getpid);
	}
	double elapsed = now_ns() - start;
	printf("getpid calls=%ld ns_per_call=%.1f\n", n, elapsed / (double)n);
	return 0;
}
