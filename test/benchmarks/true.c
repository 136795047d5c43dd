/* true: exits 0 at once; the program the spawn benchmark runs. Build static. */
int main(void)
{
	return 0;
}
