/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command-line convention of every iepoll tool, util-linux's and bcc's:
 * - -h, --help prints the usage to stdout and exits 0; -V, --version prints
 *   "NAME (iepoll) VERSION" and exits 0.  VERSION is dkms.conf's
 *   PACKAGE_VERSION, which tools/version.mk passes as IEPOLL_VERSION;
 * - a bad option or argument is answered on stderr with one line,
 *   "NAME: what is wrong", then "Try 'NAME --help' for more information.",
 *   and exit status 2 (a runner keeps env(1)'s 125), before any device is
 *   opened: parse the whole command line first;
 * - messages name the tool by its fixed name, never by argv[0];
 * - a failure of the work itself exits 1.
 *
 * Libc only, so that every tool can link it.
 */
#ifndef IEPOLL_TOOL_H
#define IEPOLL_TOOL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#define TOOL_EXIT_FAILURE	1
#define TOOL_EXIT_USAGE		2
/* A runner's own errors, as env(1)'s and timeout(1)'s. */
#define TOOL_EXIT_RUNNER	125

struct tool {
	const char *name;	/* in every message */
	void (*usage)(FILE *f);	/* the --help text */
	int usage_status;	/* of a usage error; 0 means TOOL_EXIT_USAGE */
};

/* --help and --version, for a tool's struct option table. */
#define TOOL_OPT_HELP		{ "help", no_argument, NULL, 'h' }
#define TOOL_OPT_VERSION	{ "version", no_argument, NULL, 'V' }

/*
 * Register @t before parsing.  argv[0] becomes @t->name, so that getopt's
 * own messages name the tool as ours do.
 */
void tool_init(const struct tool *t, char **argv);

/*
 * getopt_long() (getopt() without @longopts) that answers -h, --help,
 * -V and --version itself, and a bad option (getopt's message) with the
 * "Try" line and the usage status; it returns the tool's other options.
 * @shortopts lists "hV" with the tool's own.
 */
int tool_getopt(int argc, char **argv, const char *shortopts,
		const struct option *longopts);

/* "NAME: " @fmt, the "Try" line, exit with the usage status. */
__attribute__((format(printf, 1, 2), noreturn))
void tool_usage_error(const char *fmt, ...);

/*
 * @arg as a number in [@min, @max]: decimal, or hexadecimal after "0x",
 * the whole string; anything else is a usage error naming @what ("-n",
 * "--rounds").
 */
long long tool_number(const char *what, const char *arg, long long min,
		      long long max);
/* The same, unsigned and up to @max: a seed of 64 bits. */
unsigned long long tool_unumber(const char *what, const char *arg,
				unsigned long long max);
/*
 * @arg as a number of seconds, with a fraction ("0.5") or an exponent if
 * need be, the whole string: more than 0, or 0 too if @zero_ok; anything
 * else is a usage error naming @what.
 */
double tool_seconds(const char *what, const char *arg, bool zero_ok);

__attribute__((noreturn)) void tool_help(void);
__attribute__((noreturn)) void tool_version(void);

#endif /* IEPOLL_TOOL_H */
