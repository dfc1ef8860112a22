// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzers' command line: see common.h.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

/* What every fuzzer takes; --json has no short form. */
#define COMMON_SHORTOPTS	"d:s:hV"
#define MAXOPTS			32

static const struct option common_longopts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "seed", required_argument, NULL, 's' },
	{ "json", no_argument, NULL, 'j' },
	TOOL_OPT_HELP,
	TOOL_OPT_VERSION,
	{ }
};

static const struct fuzz_cmdline *cmdline;

static void usage(FILE *f)
{
	fputs(cmdline->help, f);
}

/* Appends the table @from, up to its { }, to @to, which holds *@n. */
static void add_longopts(struct option *to, size_t *n,
			 const struct option *from)
{
	for (; from && from->name; from++) {
		if (*n + 1 >= MAXOPTS)
			abort();
		to[(*n)++] = *from;
	}
	to[*n] = (struct option){ };
}

void fuzz_seed(struct fuzz_opt *o, const char *what, const char *arg)
{
	o->seed = tool_unumber(what, arg, ULLONG_MAX);
	o->seeded = true;
}

void fuzz_parse(int argc, char **argv, const struct fuzz_cmdline *cl,
		struct fuzz_opt *o)
{
	static struct option longopts[MAXOPTS];
	static struct tool tool;
	char shortopts[64];
	size_t n = 0;
	int c;

	cmdline = cl;
	tool.name = cl->name;
	tool.usage = usage;
	tool_init(&tool, argv);

	add_longopts(longopts, &n, common_longopts);
	add_longopts(longopts, &n, cl->longopts);
	if ((size_t)snprintf(shortopts, sizeof(shortopts), "%s%s",
			     COMMON_SHORTOPTS, cl->shortopts) >= sizeof(shortopts))
		abort();

	while ((c = tool_getopt(argc, argv, shortopts, longopts)) != -1) {
		switch (c) {
		case 'd':
			o->duration = tool_seconds("--duration", optarg, false);
			break;
		case 's':
			fuzz_seed(o, "--seed", optarg);
			break;
		case 'j':
			o->json = true;
			break;
		default:
			cl->option(c, optarg);
		}
	}
	if (optind < argc)
		tool_usage_error("unexpected argument '%s'", argv[optind]);
}

bool fuzz_ready(struct fuzz_opt *o, bool need_device)
{
	if (!o->seeded)
		o->seed = (unsigned long long)time(NULL) * 1000003 ^ getpid();
	if (need_device && access("/dev/iepoll", R_OK | W_OK)) {
		fprintf(stderr, "%s: /dev/iepoll: %m (%s)\n", cmdline->name,
			"is the module loaded? run it in the VM: scripts/vm -- CMD");
		return false;
	}
	return true;
}
