/* Exits with status 42, which runsc must pass through unchanged. */
#include <stdlib.h>

int main(void) {
	exit(42);
}
