/* A static x86-64 program for test_elf: built with gcc -static. */
#include <stdio.h>

int main(void)
{
	puts("hello from a static binary");
	return 0;
}
