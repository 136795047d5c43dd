/*
 * Starts several threads that stay alive (blocked in nanosleep, or spinning),
 * then the main thread sends the process SIGKILL. runsc must exit 137 and no
 * process that ran any of the threads may outlive it.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 8

static atomic_int started;

static void *sleeper(void *arg) {
	(void)arg;
	atomic_fetch_add(&started, 1);
	for (;;) {
		struct timespec ts = {.tv_sec = 3600};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *spinner(void *arg) {
	(void)arg;
	atomic_fetch_add(&started, 1);
	for (;;) {
	}
	return NULL;
}

int main(void) {
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		if (pthread_create(&t[i], NULL, i % 2 ? spinner : sleeper, NULL) != 0) {
			return 2;
		}
	}
	while (atomic_load(&started) < NTHREADS) {
		sched_yield();
	}
	kill(getpid(), SIGKILL);
	return 3;
}
