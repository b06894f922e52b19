/*
 * For tests/cli/run.sh's terminal part: says whether fds 0-2 are
 * terminals and the window's size (TIOCGWINSZ), then waits (at most 60
 * s) for SIGWINCH and prints the new size. Exits 0 after one SIGWINCH,
 * 1 when none came, 2 when fd 0 is no terminal.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t winched;

static void on_winch(int sig)
{
	(void)sig;
	winched = 1;
}

static void print_size(const char *what)
{
	struct winsize ws = {0};

	if (ioctl(0, TIOCGWINSZ, &ws))
		perror("TIOCGWINSZ");
	printf("%s %ux%u\n", what, ws.ws_row, ws.ws_col);
	fflush(stdout);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_winch};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	printf("isatty %d %d %d\n", isatty(0), isatty(1), isatty(2));
	if (!isatty(0))
		return 2;
	print_size("size");
	for (int i = 0; i < 600 && !winched; i++)
		usleep(100000);
	if (!winched)
		return 1;
	print_size("winch");
	return 0;
}
