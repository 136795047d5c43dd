/*
 * A fork bomb held back by RLIMIT_NPROC: as an unprivileged user (root is
 * exempt from the limit) with RLIMIT_NPROC 64, it forks children that
 * wait, until fork fails. It prints how fork failed, kills its children,
 * and checks that a new process still runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	struct rlimit rl = {64, 64};
	if (setrlimit(RLIMIT_NPROC, &rl) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
		perror("drop privileges");
		return 1;
	}
	int pipefd[2];
	if (pipe(pipefd) != 0) {
		perror("pipe");
		return 1;
	}
	pid_t kids[1024];
	int n = 0, err = 0;
	for (; n < 1024; n++) {
		pid_t pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			char c;
			close(pipefd[1]);
			/* Until the parent closes the pipe. */
			if (read(pipefd[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		kids[n] = pid;
	}
	printf("fork failed with %s after %s\n", strerror(err), n > 0 ? "some children" : "none");
	close(pipefd[1]);
	for (int i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("fork after the bomb");
		return 1;
	}
	printf("a new process after the bomb exited with %d\n", WEXITSTATUS(status));
	return 0;
}
