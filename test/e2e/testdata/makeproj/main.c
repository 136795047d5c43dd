#include <stdio.h>
#include "greet.h"

int main(void)
{
	printf("%s %ld\n", greeting(), sum_to(100));
	return 0;
}
