/* The program bench/proc_bench.c starts: a static hello that says
 * nothing, so that its start and exit are all that is measured. */
int main(void)
{
	return 0;
}
