/* Dereferences NULL: dies of SIGSEGV, so runsc must exit 128+11 = 139. */
int main(void) {
	volatile int *p = 0;
	return *p;
}
