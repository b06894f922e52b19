/*
 * The kernel command line: words split like a POSIX shell would (without
 * expansions), then the kernel's options, then the application's argv.
 *
 *   [--bootchart] [--verbose] [--quiet] [--strace] [--test=NAME[,NAME...]]... [--env=KEY=VALUE]...
 *   [--ip=ADDR/PREFIX[,GATEWAY]] [--dns=ADDR]...
 *   [--mount=DEV:PATH[:TYPE][,ro]]...
 *   [--] [PROGRAM ARGS...]
 *
 * Words virtio_mmio.device=SIZE@BASE:IRQ (Linux's syntax: SIZE with an
 * optional K/M/G suffix, BASE and IRQ in C notation) are taken wherever
 * they stand, even after "--": QEMU's microvm appends them to the line.
 *
 * Quoting, as in sh(1) "2.2 Quoting":
 *   - a backslash outside quotes keeps the next character as it is;
 *   - '...' keeps everything up to the next ' as it is;
 *   - "..." keeps everything up to the next unescaped ", where a backslash
 *     escapes only " and \ (sh also escapes $ ` and newline, which mean
 *     nothing here);
 *   - quoted and unquoted parts next to each other form one word:
 *     a"b c"d is the single word `ab cd`.
 *
 * The line comes from whoever started the VM, so it is checked, not
 * trusted: every write into `storage` is bounds-checked even though the
 * words can never be longer than the line they come from.
 */
#include "kernel/kernel.h"

#define MMIO_PREFIX "virtio_mmio.device="

struct lexer {
	const char *p;	 /* next character of the line */
	char *out, *end; /* where the next word byte goes; end of storage */
};

static __attribute__((format(printf, 2, 3))) int
cmdline_fail(struct boot_options *opt, const char *fmt, ...)
{
	va_list ap;

	opt->bootchart = opt->verbose = opt->quiet = opt->strace = false;
	opt->ntests = opt->nenv = opt->argc = opt->nmmio = opt->ndns = 0;
	opt->nmounts = 0;
	opt->ip = opt->gateway = opt->prefix = 0;
	va_start(ap, fmt);
	vsnprintf(opt->error, sizeof(opt->error), fmt, ap);
	va_end(ap);
	/* The message quotes the line; keep it one printable line. */
	for (char *c = opt->error; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int emit(struct lexer *lx, char c, struct boot_options *opt)
{
	if (lx->out == lx->end)
		return cmdline_fail(opt, "command line too long");
	*lx->out++ = c;
	return 0;
}

/* The rest of a "..." part; lx->p is just past the opening quote. */
static int lex_double(struct lexer *lx, struct boot_options *opt)
{
	for (;;) {
		char c = *lx->p;
		int err;

		if (!c)
			return cmdline_fail(opt, "unterminated quote");
		lx->p++;
		if (c == '"')
			return 0;
		if (c == '\\' && (*lx->p == '"' || *lx->p == '\\'))
			c = *lx->p++;
		err = emit(lx, c, opt);
		if (err)
			return err;
	}
}

/* The rest of a '...' part; lx->p is just past the opening quote. */
static int lex_single(struct lexer *lx, struct boot_options *opt)
{
	for (;;) {
		char c = *lx->p;
		int err;

		if (!c)
			return cmdline_fail(opt, "unterminated quote");
		lx->p++;
		if (c == '\'')
			return 0;
		err = emit(lx, c, opt);
		if (err)
			return err;
	}
}

/*
 * Puts the next word, NUL-terminated, into storage and points *word at
 * it. Returns 1 for a word, 0 at the end of the line, or -EINVAL.
 */
static int lex_word(struct lexer *lx, char **word, struct boot_options *opt)
{
	int err = 0;

	while (is_space(*lx->p))
		lx->p++;
	if (!*lx->p)
		return 0;
	*word = lx->out;
	while (!err && *lx->p && !is_space(*lx->p)) {
		char c = *lx->p++;

		if (c == '"') {
			err = lex_double(lx, opt);
		} else if (c == '\'') {
			err = lex_single(lx, opt);
		} else if (c == '\\') {
			if (!*lx->p)
				return cmdline_fail(opt, "trailing backslash");
			err = emit(lx, *lx->p++, opt);
		} else {
			err = emit(lx, c, opt);
		}
	}
	if (!err)
		err = emit(lx, '\0', opt);
	return err ? err : 1;
}

/* "--name" or "--name=..." for a flag without a value. */
static int flag_match(const char *word, const char *name, bool *flag,
		      struct boot_options *opt)
{
	size_t n = strlen(name);

	if (strncmp(word, name, n))
		return 0;
	if (word[n] == '=')
		return cmdline_fail(opt, "%s takes no value", name);
	if (word[n])
		return 0;
	*flag = true;
	return 1;
}

/* NAMES of --test=NAMES; the commas are cut into NULs in place. */
static int parse_tests(char *names, struct boot_options *opt)
{
	for (;;) {
		char *comma = strchr(names, ',');

		if (comma)
			*comma = '\0';
		if (!*names)
			return cmdline_fail(opt, "--test needs a name");
		if (opt->ntests == CMDLINE_MAX_TESTS)
			return cmdline_fail(opt, "too many tests (at most %d)",
					    CMDLINE_MAX_TESTS);
		opt->tests[opt->ntests++] = names;
		if (!comma)
			return 0;
		names = comma + 1;
	}
}

/* KEY=VALUE of --env=KEY=VALUE; VALUE may be empty, KEY may not. */
static int parse_env(char *kv, struct boot_options *opt)
{
	char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return cmdline_fail(opt, "--env needs KEY=VALUE, got '%s'", kv);
	if (opt->nenv == CMDLINE_MAX_ENV)
		return cmdline_fail(opt, "too many --env (at most %d)",
				    CMDLINE_MAX_ENV);
	opt->env[opt->nenv++] = kv;
	return 0;
}

/* A number in C notation (0x.., 0.., decimal) at *s, advancing it; false
 * when there is none or it overflows 64 bits. */
static bool parse_number(const char **s, uint64_t *out)
{
	const char *p = *s;
	unsigned base = 10;
	uint64_t v = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] >= '0' && p[1] <= '7') {
		base = 8;
	}
	const char *start = p;
	for (;; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
			d = (unsigned)((*p | 0x20) - 'a' + 10);
		else
			break;
		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (p == start)
		return false;
	*s = p;
	*out = v;
	return true;
}

/* SIZE@BASE:IRQ of virtio_mmio.device= */
static int parse_mmio(const char *spec, struct boot_options *opt)
{
	struct cmdline_mmio d;
	const char *p = spec;
	uint64_t irq;
	unsigned shift = 0;

	if (opt->nmmio == CMDLINE_MAX_MMIO)
		return cmdline_fail(opt, "too many virtio_mmio.device (at most %d)",
				    CMDLINE_MAX_MMIO);
	if (!parse_number(&p, &d.size))
		goto bad;
	if (*p == 'K' || *p == 'k')
		shift = 10;
	else if (*p == 'M' || *p == 'm')
		shift = 20;
	else if (*p == 'G' || *p == 'g')
		shift = 30;
	p += shift != 0;
	if (d.size == 0 || d.size > (UINT64_MAX >> shift) || *p++ != '@')
		goto bad;
	d.size <<= shift;
	if (!parse_number(&p, &d.base) || *p++ != ':')
		goto bad;
	if (!parse_number(&p, &irq) || *p || irq > 255 ||
	    d.base + d.size < d.base)
		goto bad;
	d.irq = (uint32_t)irq;
	opt->mmio[opt->nmmio++] = d;
	return 0;
bad:
	return cmdline_fail(opt, "bad virtio_mmio.device '%s' (SIZE@BASE:IRQ)",
			    spec);
}

/* A dotted quad at *s, advancing it; network byte order. */
static bool parse_ipv4(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t b;

		if (i && *p++ != '.')
			return false;
		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' &&
					     p[1] <= '9'))
			return false; /* no leading zeros: not octal either */
		if (!parse_number(&p, &b) || b > 255)
			return false;
		a = a << 8 | (uint32_t)b;
	}
	*s = p;
	*out = __builtin_bswap32(a);
	return true;
}

/* ADDR/PREFIX[,GATEWAY] of --ip= */
static int parse_ip(const char *spec, struct boot_options *opt)
{
	const char *p = spec;
	uint64_t prefix;

	if (!parse_ipv4(&p, &opt->ip) || *p++ != '/' ||
	    !parse_number(&p, &prefix) || prefix < 1 || prefix > 32)
		goto bad;
	opt->prefix = (unsigned)prefix;
	if (*p == ',' && (p++, !parse_ipv4(&p, &opt->gateway)))
		goto bad;
	if (*p || !opt->ip)
		goto bad;
	return 0;
bad:
	return cmdline_fail(opt, "bad --ip '%s' (ADDR/PREFIX[,GATEWAY])",
			    spec);
}

static int parse_dns(const char *spec, struct boot_options *opt)
{
	const char *p = spec;

	if (opt->ndns == CMDLINE_MAX_DNS)
		return cmdline_fail(opt, "too many --dns (at most %d)",
				    CMDLINE_MAX_DNS);
	if (!parse_ipv4(&p, &opt->dns[opt->ndns]) || *p)
		return cmdline_fail(opt, "bad --dns '%s' (an IPv4 address)",
				    spec);
	opt->ndns++;
	return 0;
}

/* DEV:PATH[:TYPE][,ro] of --mount=: DEV a disk name ("vda") or, with
 * TYPE "9p", a virtio-9p mount tag; PATH absolute; TYPE "ext4" when left
 * out. */
static int parse_mount(char *spec, struct boot_options *opt)
{
	struct cmdline_mount m = {spec, NULL, "ext4", false};
	char *comma = strchr(spec, ','), *colon, *slash;

	if (opt->nmounts == CMDLINE_MAX_MOUNTS)
		return cmdline_fail(opt, "too many --mount (at most %d)",
				    CMDLINE_MAX_MOUNTS);
	if (comma) {
		if (strcmp(comma, ",ro") && strcmp(comma, ",rw"))
			goto bad;
		m.rdonly = comma[1] == 'r' && comma[2] == 'o';
		*comma = '\0';
	}
	colon = strchr(spec, ':');
	slash = strchr(spec, '/');
	if (!colon || colon == spec || colon[1] != '/' || slash < colon)
		goto bad;
	*colon = '\0';
	m.path = colon + 1;
	colon = strchr(m.path, ':');
	if (colon) {
		*colon = '\0';
		m.type = colon + 1;
		if (!*m.type)
			goto bad;
	}
	opt->mounts[opt->nmounts++] = m;
	return 0;
bad:
	return cmdline_fail(opt, "bad --mount (DEV:PATH[:TYPE][,ro])");
}

/* One word that starts with '-' and is not "--". Returns 0 or -EINVAL. */
static int parse_option(char *word, struct boot_options *opt)
{
	int r;

	r = flag_match(word, "--bootchart", &opt->bootchart, opt);
	if (!r)
		r = flag_match(word, "--verbose", &opt->verbose, opt);
	if (!r)
		r = flag_match(word, "--quiet", &opt->quiet, opt);
	if (!r)
		r = flag_match(word, "--strace", &opt->strace, opt);
	if (r)
		return r < 0 ? r : 0;
	if (!strcmp(word, "--test"))
		return cmdline_fail(opt, "--test needs a name");
	if (!strncmp(word, "--test=", 7))
		return parse_tests(word + 7, opt);
	if (!strcmp(word, "--env"))
		return cmdline_fail(opt, "--env needs KEY=VALUE");
	if (!strncmp(word, "--env=", 6))
		return parse_env(word + 6, opt);
	if (!strncmp(word, "--ip=", 5))
		return parse_ip(word + 5, opt);
	if (!strncmp(word, "--dns=", 6))
		return parse_dns(word + 6, opt);
	if (!strncmp(word, "--mount=", 8))
		return parse_mount(word + 8, opt);
	if (!strcmp(word, "--mount"))
		return cmdline_fail(opt, "--mount needs DEV:PATH");
	if (!strcmp(word, "--ip") || !strcmp(word, "--dns"))
		return cmdline_fail(opt, "%s needs an address", word);
	return cmdline_fail(opt, "unknown option '%s'", word);
}

static int add_arg(char *word, struct boot_options *opt)
{
	if (opt->argc == CMDLINE_MAX_ARGS)
		return cmdline_fail(opt, "too many arguments (at most %d)",
				    CMDLINE_MAX_ARGS);
	opt->argv[opt->argc++] = word;
	return 0;
}

int cmdline_parse(const char *line, char *storage, size_t storage_size,
		  struct boot_options *opt)
{
	struct lexer lx;
	bool in_argv = false;
	char *word;
	int r;

	memset(opt, 0, sizeof(*opt));
	if (!line)
		line = "";
	/* Each word is at most its own characters plus one separator. */
	if (!storage || storage_size <= strlen(line))
		return cmdline_fail(opt,
				    "command line too long (%zu bytes, "
				    "room for %zu)",
				    strlen(line),
				    storage_size ? storage_size - 1 : 0);
	lx = (struct lexer){line, storage, storage + storage_size};
	while ((r = lex_word(&lx, &word, opt)) > 0) {
		if (!strncmp(word, MMIO_PREFIX, sizeof(MMIO_PREFIX) - 1)) {
			r = parse_mmio(word + sizeof(MMIO_PREFIX) - 1, opt);
		} else if (in_argv || word[0] != '-') {
			in_argv = true;
			r = add_arg(word, opt);
		} else if (!strcmp(word, "--")) {
			in_argv = true;
		} else {
			r = parse_option(word, opt);
		}
		if (r < 0)
			return r;
	}
	return r;
}
