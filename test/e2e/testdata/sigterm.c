/* Sends itself SIGTERM (default action: terminate): runsc must exit 143. */
#include <signal.h>
#include <unistd.h>

int main(void) {
	kill(getpid(), SIGTERM);
	/* Not reached: the signal is delivered before kill returns. */
	return 1;
}
