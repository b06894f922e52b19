/* A 64 MiB anonymous mapping (2 MiB pages in Osprey) touched, then cut
 * by munmap, mprotect and MADV_DONTNEED inside its huge pages: the output
 * must equal the host's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
int main(void)
{
	size_t n = 64 << 20;
	unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < n; i += 4096) p[i] = (unsigned char)(i >> 12);
	unsigned long sum = 0;
	for (size_t i = 0; i < n; i += 4096) sum += p[i];
	munmap(p + (3 << 20), 1 << 20);                 /* split a huge page */
	mprotect(p + (8 << 20), 4096, PROT_READ);       /* another */
	madvise(p + (10 << 20), 8192, MADV_DONTNEED);   /* and another */
	unsigned long sum2 = 0;
	for (size_t i = 0; i < n; i += 4096)
		if (i < (3 << 20) || i >= (4 << 20)) sum2 += p[i];
	printf("sum %lu sum2 %lu zero %d\n", sum, sum2, p[10 << 20]);
	munmap(p, n);
	return 0;
}
