// ttyinfo prints what a process sees of its controlling terminal (stdin):
// whether its process group is the terminal's foreground group, whether
// the terminal's session is its own, whether /dev/tty opens, and the same
// for a child that starts a new session (which has no controlling
// terminal). Lines start with "ttyinfo:" so a test can find them among a
// shell's output.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *result(int ok) { return ok ? "ok" : strerror(errno); }

int main(void) {
	int fd = open("/dev/tty", O_RDWR);
	printf("ttyinfo: foreground=%d session=%d devtty=%s\n", tcgetpgrp(0) == getpgrp(),
	       tcgetsid(0) == getsid(0), result(fd >= 0));
	if (fd >= 0) {
		dprintf(fd, "ttyinfo: written to /dev/tty\n");
		close(fd);
	}
	errno = 0;
	printf("ttyinfo: tcsetpgrp(no such group)=%s\n", result(tcsetpgrp(0, 0x3fffffff) == 0));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		int fd2 = open("/dev/tty", O_RDWR);
		printf("ttyinfo: new session devtty=%s", result(fd2 >= 0));
		printf(" tcgetpgrp=%s\n", result(tcgetpgrp(0) >= 0));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	return 0;
}
