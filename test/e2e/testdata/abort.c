/* Calls abort(): dies of SIGABRT, so runsc must exit 128+6 = 134. */
#include <stdlib.h>

int main(void) {
	abort();
}
