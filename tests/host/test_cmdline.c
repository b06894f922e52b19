/* Host tests for kernel/cmdline.c: word splitting, options and errors. */
#include <stdlib.h>

#include "kernel/kernel.h"
#include "tests/host/check.h"

static struct boot_options opt;
static char *storage; /* exactly strlen(line) + 1 bytes, for ASan */

/* Parses `line` with the least storage it is allowed. */
static int parse(const char *line)
{
	size_t size = strlen(line) + 1;

	free(storage);
	storage = malloc(size);
	memset(storage, 0x5a, size);
	return cmdline_parse(line, storage, size, &opt);
}

/* The error message, when parsing `line` fails as it should. */
static const char *parse_error(const char *line)
{
	if (!CHECK_EQ(parse(line), -EINVAL))
		return "(parse succeeded)";
	CHECK(strchr(opt.error, '\n') == NULL);
	CHECK_EQ(opt.argc, 0);
	CHECK_EQ(opt.ntests, 0);
	CHECK_EQ(opt.nenv, 0);
	return opt.error;
}

static void cmdline_empty_line_is_no_options(void)
{
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(opt.argc, 0);
	CHECK(!opt.bootchart && !opt.verbose);
	CHECK_EQ(parse(" \t\n  "), 0);
	CHECK_EQ(opt.argc, 0);
	CHECK_EQ(opt.ntests + opt.nenv, 0);
}

static void cmdline_null_line_is_empty(void)
{
	char buf[1];

	CHECK_EQ(cmdline_parse(NULL, buf, sizeof(buf), &opt), 0);
	CHECK_EQ(opt.argc, 0);
}

static void cmdline_plain_words_are_argv(void)
{
	CHECK_EQ(parse("/bin/app one  two\tthree\nfour"), 0);
	CHECK_EQ(opt.argc, 5);
	CHECK_STR(opt.argv[0], "/bin/app");
	CHECK_STR(opt.argv[1], "one");
	CHECK_STR(opt.argv[2], "two");
	CHECK_STR(opt.argv[3], "three");
	CHECK_STR(opt.argv[4], "four");
}

static void cmdline_flags(void)
{
	CHECK_EQ(parse("--bootchart"), 0);
	CHECK(opt.bootchart && !opt.verbose);
	CHECK_EQ(parse("--verbose --bootchart app"), 0);
	CHECK(opt.bootchart && opt.verbose);
	CHECK_EQ(opt.argc, 1);
	CHECK_EQ(parse("--verbose --verbose"), 0);
	CHECK(opt.verbose);
}

static void cmdline_flag_with_value_is_error(void)
{
	CHECK_STR(parse_error("--bootchart=1"), "--bootchart takes no value");
	CHECK_STR(parse_error("--verbose="), "--verbose takes no value");
}

static void cmdline_unknown_option_is_error(void)
{
	CHECK_STR(parse_error("--foo"), "unknown option '--foo'");
	CHECK_STR(parse_error("-x app"), "unknown option '-x'");
	CHECK_STR(parse_error("-"), "unknown option '-'");
	CHECK_STR(parse_error("--bootcharts"), "unknown option '--bootcharts'");
	CHECK_STR(parse_error("--tests=a"), "unknown option '--tests=a'");
	CHECK_STR(parse_error("--verbose --foo app"), "unknown option '--foo'");
}

static void cmdline_tests_are_collected(void)
{
	CHECK_EQ(parse("--test=mm,sched --test=vfs"), 0);
	CHECK_EQ(opt.ntests, 3);
	CHECK_STR(opt.tests[0], "mm");
	CHECK_STR(opt.tests[1], "sched");
	CHECK_STR(opt.tests[2], "vfs");
	CHECK_EQ(opt.argc, 0);
}

static void cmdline_test_needs_names(void)
{
	CHECK_STR(parse_error("--test"), "--test needs a name");
	CHECK_STR(parse_error("--test="), "--test needs a name");
	CHECK_STR(parse_error("--test=a,,b"), "--test needs a name");
	CHECK_STR(parse_error("--test=a,"), "--test needs a name");
	CHECK_STR(parse_error("--test=,a"), "--test needs a name");
}

static void cmdline_too_many_tests(void)
{
	char line[512] = "--test=t0";
	char name[16];

	for (int i = 1; i < CMDLINE_MAX_TESTS; i++) {
		sprintf(name, ",t%d", i);
		strcat(line, name);
	}
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(opt.ntests, CMDLINE_MAX_TESTS);
	CHECK_STR(opt.tests[CMDLINE_MAX_TESTS - 1], "t31");
	strcat(line, " --test=one-more");
	CHECK_STR(parse_error(line), "too many tests (at most 32)");
}

static void cmdline_env_is_collected(void)
{
	CHECK_EQ(parse("--env=HOME=/root --env=EMPTY= --env=A=b=c app"), 0);
	CHECK_EQ(opt.nenv, 3);
	CHECK_STR(opt.env[0], "HOME=/root");
	CHECK_STR(opt.env[1], "EMPTY=");
	CHECK_STR(opt.env[2], "A=b=c");
	CHECK_EQ(opt.argc, 1);
	CHECK_STR(opt.argv[0], "app");
}

static void cmdline_env_needs_key_and_equals(void)
{
	CHECK_STR(parse_error("--env"), "--env needs KEY=VALUE");
	CHECK_STR(parse_error("--env="), "--env needs KEY=VALUE, got ''");
	CHECK_STR(parse_error("--env==v"), "--env needs KEY=VALUE, got '=v'");
	CHECK_STR(parse_error("--env=KEY"), "--env needs KEY=VALUE, got 'KEY'");
}

static void cmdline_too_many_env(void)
{
	char line[2048] = "";
	char word[32];

	for (int i = 0; i < CMDLINE_MAX_ENV; i++) {
		sprintf(word, "--env=K%d=v ", i);
		strcat(line, word);
	}
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(opt.nenv, CMDLINE_MAX_ENV);
	strcat(line, "--env=X=y");
	CHECK_STR(parse_error(line), "too many --env (at most 64)");
}

static void cmdline_double_dash_ends_options(void)
{
	CHECK_EQ(parse("--verbose -- --bootchart -x --"), 0);
	CHECK(opt.verbose && !opt.bootchart);
	CHECK_EQ(opt.argc, 3);
	CHECK_STR(opt.argv[0], "--bootchart");
	CHECK_STR(opt.argv[1], "-x");
	CHECK_STR(opt.argv[2], "--");
	CHECK_EQ(parse("--"), 0);
	CHECK_EQ(opt.argc, 0);
}

static void cmdline_first_word_starts_argv(void)
{
	CHECK_EQ(parse("--verbose app --bootchart --foo"), 0);
	CHECK(opt.verbose && !opt.bootchart);
	CHECK_EQ(opt.argc, 3);
	CHECK_STR(opt.argv[0], "app");
	CHECK_STR(opt.argv[1], "--bootchart");
	CHECK_STR(opt.argv[2], "--foo");
}

static void cmdline_double_quotes(void)
{
	CHECK_EQ(parse("\"a b\" \"\" \"x\\\"y\" \"p\\\\q\" \"n\\n\""), 0);
	CHECK_EQ(opt.argc, 5);
	CHECK_STR(opt.argv[0], "a b");
	CHECK_STR(opt.argv[1], "");
	CHECK_STR(opt.argv[2], "x\"y");
	CHECK_STR(opt.argv[3], "p\\q");
	CHECK_STR(opt.argv[4], "n\\n"); /* other backslashes stay */
}

static void cmdline_single_quotes_are_literal(void)
{
	CHECK_EQ(parse("'a \"b\" \\c' ''"), 0);
	CHECK_EQ(opt.argc, 2);
	CHECK_STR(opt.argv[0], "a \"b\" \\c");
	CHECK_STR(opt.argv[1], "");
}

static void cmdline_backslash_outside_quotes(void)
{
	CHECK_EQ(parse("a\\ b \\\" \\\\ \\'x"), 0);
	CHECK_EQ(opt.argc, 4);
	CHECK_STR(opt.argv[0], "a b");
	CHECK_STR(opt.argv[1], "\"");
	CHECK_STR(opt.argv[2], "\\");
	CHECK_STR(opt.argv[3], "'x");
}

static void cmdline_quotes_join_words(void)
{
	CHECK_EQ(parse("a\"b c\"d 'e f'g\"h\"i"), 0);
	CHECK_EQ(opt.argc, 2);
	CHECK_STR(opt.argv[0], "ab cd");
	CHECK_STR(opt.argv[1], "e fghi");
}

static void cmdline_quoted_options(void)
{
	CHECK_EQ(parse("\"--env=MSG=hello world\" '--test=a' app"), 0);
	CHECK_EQ(opt.nenv, 1);
	CHECK_STR(opt.env[0], "MSG=hello world");
	CHECK_EQ(opt.ntests, 1);
	CHECK_STR(opt.tests[0], "a");
	CHECK_EQ(opt.argc, 1);
}

static void cmdline_unterminated_quotes(void)
{
	CHECK_STR(parse_error("app \"abc"), "unterminated quote");
	CHECK_STR(parse_error("app 'abc"), "unterminated quote");
	CHECK_STR(parse_error("\"abc\\\""), "unterminated quote");
	CHECK_STR(parse_error("app \\"), "trailing backslash");
}

static void cmdline_error_message_is_one_line(void)
{
	parse_error("\"--foo\nbar\tbaz\"");
	CHECK_STR(opt.error, "unknown option '--foo?bar?baz'");
}

static void cmdline_long_option_message_is_cut(void)
{
	char line[400] = "--";

	memset(line + 2, 'x', 300);
	line[302] = '\0';
	parse_error(line);
	CHECK_EQ(strlen(opt.error), sizeof(opt.error) - 1);
}

static void cmdline_storage_too_small(void)
{
	char buf[4];

	CHECK_EQ(cmdline_parse("abcd", buf, 4, &opt), -EINVAL);
	CHECK(strstr(opt.error, "too long") != NULL);
	CHECK_EQ(cmdline_parse("abc", buf, 4, &opt), 0);
	CHECK_STR(opt.argv[0], "abc");
	CHECK_EQ(cmdline_parse("", buf, 0, &opt), -EINVAL);
	CHECK_EQ(cmdline_parse("", NULL, 0, &opt), -EINVAL);
}

static void cmdline_worst_case_fits_storage(void)
{
	/* One-letter words need exactly strlen + 1 bytes. */
	CHECK_EQ(parse("a b c d e"), 0);
	CHECK_EQ(opt.argc, 5);
	CHECK_EQ(parse("a"), 0);
	CHECK_STR(opt.argv[0], "a");
	CHECK_EQ(parse("\"\" '' \"\""), 0);
	CHECK_EQ(opt.argc, 3);
}

static void cmdline_argv_limit(void)
{
	char line[1024] = "";

	for (int i = 0; i < CMDLINE_MAX_ARGS; i++)
		strcat(line, "a ");
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(opt.argc, CMDLINE_MAX_ARGS);
	strcat(line, "b");
	CHECK_STR(parse_error(line), "too many arguments (at most 256)");
}

static void cmdline_options_are_reset(void)
{
	char buf[16];

	memset(&opt, 0xff, sizeof(opt));
	CHECK_EQ(cmdline_parse("app", buf, sizeof(buf), &opt), 0);
	CHECK(!opt.bootchart && !opt.verbose);
	CHECK_EQ(opt.ntests, 0);
	CHECK_EQ(opt.nenv, 0);
	CHECK_EQ(opt.argc, 1);
	CHECK_EQ(opt.error[0], 0);
}

static void cmdline_words_live_in_storage(void)
{
	CHECK_EQ(parse("--test=x --env=A=1 -- p 'q r'"), 0);
	const char *all[] = {opt.tests[0], opt.env[0], opt.argv[0],
			     opt.argv[1]};
	size_t size = strlen("--test=x --env=A=1 -- p 'q r'") + 1;

	for (unsigned i = 0; i < 4; i++) {
		CHECK(all[i] >= storage && all[i] < storage + size);
		CHECK(all[i] + strlen(all[i]) < storage + size);
	}
}

static void cmdline_quiet_flag(void)
{
	CHECK_EQ(parse("--quiet -- /app"), 0);
	CHECK(opt.quiet);
	CHECK_EQ(opt.argc, 1);
	CHECK_EQ(parse("/app --quiet"), 0);
	CHECK(!opt.quiet);
	CHECK_EQ(opt.argc, 2);
	CHECK(strstr(parse_error("--quiet=1"), "--quiet") != NULL);
}

static void cmdline_virtio_mmio_anywhere(void)
{
	CHECK_EQ(parse("--quiet -- /app x virtio_mmio.device=512@0xfeb00e00:12 "
		       "virtio_mmio.device=4K@0xd0000000:5"),
		 0);
	CHECK_EQ(opt.argc, 2);
	CHECK_EQ(opt.nmmio, 2);
	CHECK_EQ(opt.mmio[0].size, 512);
	CHECK_EQ(opt.mmio[0].base, 0xfeb00e00);
	CHECK_EQ(opt.mmio[0].irq, 12);
	CHECK_EQ(opt.mmio[1].size, 4096);
	CHECK_EQ(opt.mmio[1].base, 0xd0000000);
	CHECK_EQ(opt.mmio[1].irq, 5);
}

static void cmdline_bad_virtio_mmio(void)
{
	static const char *bad[] = {
	    "virtio_mmio.device=", "virtio_mmio.device=512",
	    "virtio_mmio.device=512@", "virtio_mmio.device=512@0x1000",
	    "virtio_mmio.device=512@0x1000:", "virtio_mmio.device=0@0x1000:5",
	    "virtio_mmio.device=512@0x1000:256",
	    "virtio_mmio.device=512@0x1000:5x",
	    "virtio_mmio.device=1G@0xffffffffffffff00:5",
	    "virtio_mmio.device=99999999999999999999@1:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(strstr(parse_error(bad[i]), "virtio_mmio") != NULL);
}

static void cmdline_ip_and_dns(void)
{
	CHECK_EQ(parse("--ip=198.18.0.2/24,198.18.0.1 --dns=198.18.0.1 "
		       "--dns=9.9.9.9 /app"),
		 0);
	CHECK_EQ(opt.ip, 0x020012c6); /* 198.18.0.2, network order */
	CHECK_EQ(opt.prefix, 24);
	CHECK_EQ(opt.gateway, 0x010012c6);
	CHECK_EQ(opt.ndns, 2);
	CHECK_EQ(opt.dns[1], 0x09090909);
	CHECK_EQ(opt.argc, 1);
	CHECK_EQ(parse("--ip=10.0.2.15/8"), 0);
	CHECK_EQ(opt.gateway, 0);
	CHECK_EQ(opt.prefix, 8);
}

static void cmdline_bad_ip(void)
{
	static const char *bad[] = {
	    "--ip=1.2.3.4", "--ip=1.2.3/24", "--ip=1.2.3.4/0", "--ip=1.2.3.4/33",
	    "--ip=256.1.1.1/8", "--ip=1.2.3.4/24,", "--ip=1.2.3.4/24,5",
	    "--ip=01.2.3.4/8", "--ip=0.0.0.0/8", "--ip=1.2.3.4/24x", "--ip",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(strstr(parse_error(bad[i]), "--ip") != NULL);
	CHECK(strstr(parse_error("--dns=1.2.3"), "--dns") != NULL);
	CHECK(strstr(parse_error("--dns=1.1.1.1 --dns=1.1.1.1 --dns=1.1.1.1 "
				 "--dns=1.1.1.1"),
		     "too many --dns") != NULL);
}

static void cmdline_mount(void)
{
	CHECK_EQ(parse("--mount=vda:/data --mount=vdb:/mnt/b:ext4,ro /app"), 0);
	CHECK_EQ(opt.nmounts, 2);
	CHECK_STR(opt.mounts[0].dev, "vda");
	CHECK_STR(opt.mounts[0].path, "/data");
	CHECK_STR(opt.mounts[0].type, "ext4");
	CHECK(!opt.mounts[0].rdonly);
	CHECK_STR(opt.mounts[1].dev, "vdb");
	CHECK_STR(opt.mounts[1].path, "/mnt/b");
	CHECK(opt.mounts[1].rdonly);
	CHECK_EQ(opt.argc, 1);
	CHECK(strstr(parse_error("--mount=vda"), "--mount") != NULL);
	CHECK(strstr(parse_error("--mount=vda:data"), "--mount") != NULL);
	CHECK(strstr(parse_error("--mount=:/data"), "--mount") != NULL);
	CHECK(strstr(parse_error("--mount=v/da:/data"), "--mount") != NULL);
	CHECK(strstr(parse_error("--mount=vda:/data:"), "--mount") != NULL);
	CHECK(strstr(parse_error("--mount=vda:/data,rx"), "--mount") != NULL);
	CHECK(strstr(parse_error("--mount"), "--mount needs") != NULL);
}

int main(void)
{
	RUN_TEST(cmdline_virtio_mmio_anywhere);
	RUN_TEST(cmdline_bad_virtio_mmio);
	RUN_TEST(cmdline_ip_and_dns);
	RUN_TEST(cmdline_mount);
	RUN_TEST(cmdline_bad_ip);
	RUN_TEST(cmdline_quiet_flag);
	RUN_TEST(cmdline_empty_line_is_no_options);
	RUN_TEST(cmdline_null_line_is_empty);
	RUN_TEST(cmdline_plain_words_are_argv);
	RUN_TEST(cmdline_flags);
	RUN_TEST(cmdline_flag_with_value_is_error);
	RUN_TEST(cmdline_unknown_option_is_error);
	RUN_TEST(cmdline_tests_are_collected);
	RUN_TEST(cmdline_test_needs_names);
	RUN_TEST(cmdline_too_many_tests);
	RUN_TEST(cmdline_env_is_collected);
	RUN_TEST(cmdline_env_needs_key_and_equals);
	RUN_TEST(cmdline_too_many_env);
	RUN_TEST(cmdline_double_dash_ends_options);
	RUN_TEST(cmdline_first_word_starts_argv);
	RUN_TEST(cmdline_double_quotes);
	RUN_TEST(cmdline_single_quotes_are_literal);
	RUN_TEST(cmdline_backslash_outside_quotes);
	RUN_TEST(cmdline_quotes_join_words);
	RUN_TEST(cmdline_quoted_options);
	RUN_TEST(cmdline_unterminated_quotes);
	RUN_TEST(cmdline_error_message_is_one_line);
	RUN_TEST(cmdline_long_option_message_is_cut);
	RUN_TEST(cmdline_storage_too_small);
	RUN_TEST(cmdline_worst_case_fits_storage);
	RUN_TEST(cmdline_argv_limit);
	RUN_TEST(cmdline_options_are_reset);
	RUN_TEST(cmdline_words_live_in_storage);
	free(storage);
	return check_exit();
}
