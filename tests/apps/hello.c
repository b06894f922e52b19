/* The default demo and the smallest application test: prints its
 * arguments and part of its environment, exits with status 0. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	printf("Hello from %s on Osprey!\n", argv[0]);
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	printf("PATH=%s\n", getenv("PATH") ? getenv("PATH") : "(unset)");
	return 0;
}
