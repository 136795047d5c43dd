/*
 * Process and pipe benchmarks.
 *
 * Usage:
 *   proc spawn PROGRAM N     fork+execve+wait4 of PROGRAM (no arguments), N times
 *   proc pipe MIB            MIB MiB through a pipe from a child to the parent
 *   proc pingpong N          N one-byte round trips between two processes over two pipes
 *   proc time PROGRAM ARGS.. one run of PROGRAM with ARGS (fork, execve, wait4), which must succeed
 *
 * Each prints one line with key=value fields:
 *   spawn runs=N ms_per_spawn=X
 *   pipe bytes=B mb_per_s=X
 *   pingpong trips=N us_per_trip=X
 *   time ms=X
 *
 * Build static: gcc -static -O2 -o proc proc.c
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static long count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*end != '\0' || n <= 0) {
		fprintf(stderr, "proc: bad count %s\n", s);
		exit(2);
	}
	return n;
}

static void reap(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "proc: child ended with status %#x\n", status);
		exit(1);
	}
}

static void spawn(const char *prog, long n)
{
	char *const argv[] = {(char *)prog, NULL};
	char *const envp[] = {NULL};
	double start = now_ns();
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(prog, argv, envp);
			_exit(127);
		}
		reap(pid);
	}
	printf("spawn runs=%ld ms_per_spawn=%.3f\n", n, (now_ns() - start) / 1e6 / n);
}

static void pipe_throughput(long mib)
{
	static char buf[64 << 10];
	int fds[2];
	if (pipe(fds) != 0)
		die("pipe");
	long total = mib << 20;
	double start = now_ns();
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(fds[0]);
		memset(buf, 'x', sizeof(buf));
		for (long sent = 0; sent < total;) {
			ssize_t n = write(fds[1], buf, sizeof(buf));
			if (n < 0)
				_exit(1);
			sent += n;
		}
		_exit(0);
	}
	close(fds[1]);
	long got = 0;
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0)
			die("read");
		if (n == 0)
			break;
		got += n;
	}
	reap(pid);
	if (got != total) {
		fprintf(stderr, "proc: got %ld bytes, want %ld\n", got, total);
		exit(1);
	}
	double secs = (now_ns() - start) / 1e9;
	printf("pipe bytes=%ld mb_per_s=%.1f\n", total, total / 1e6 / secs);
}

static void pingpong(long n)
{
	int ab[2], ba[2];
	if (pipe(ab) != 0 || pipe(ba) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	char c = 'p';
	if (pid == 0) {
		for (long i = 0; i < n; i++) {
			if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	double start = now_ns();
	for (long i = 0; i < n; i++) {
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			die("ping-pong");
	}
	double elapsed = now_ns() - start;
	reap(pid);
	printf("pingpong trips=%ld us_per_trip=%.2f\n", n, elapsed / 1e3 / n);
}

static void time_once(char **argv)
{
	double start = now_ns();
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	reap(pid);
	printf("time ms=%.1f\n", (now_ns() - start) / 1e6);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "spawn") == 0) {
		spawn(argv[2], count(argv[3]));
	} else if (argc == 3 && strcmp(argv[1], "pipe") == 0) {
		pipe_throughput(count(argv[2]));
	} else if (argc == 3 && strcmp(argv[1], "pingpong") == 0) {
		pingpong(count(argv[2]));
	} else if (argc >= 3 && strcmp(argv[1], "time") == 0) {
		time_once(argv + 2);
	} else {
		fprintf(stderr, "usage: proc spawn PROGRAM N | proc pipe MIB | proc pingpong N | proc time PROGRAM ARGS...\n");
		return 2;
	}
	return 0;
}
