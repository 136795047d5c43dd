const char *greeting(void);
long sum_to(long n);
