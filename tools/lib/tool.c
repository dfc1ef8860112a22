// SPDX-License-Identifier: GPL-2.0
/*
 * The command-line convention of the iepoll tools: see tool.h.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include "tool.h"

#ifndef IEPOLL_VERSION
#error "IEPOLL_VERSION is not defined: build through tools/version.mk"
#endif

static const struct tool *self;

void tool_init(const struct tool *t, char **argv)
{
	self = t;
	if (argv && argv[0])
		argv[0] = (char *)t->name;
}

static __attribute__((noreturn)) void try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", self->name);
	exit(self->usage_status ? self->usage_status : TOOL_EXIT_USAGE);
}

void tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", self->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	try_help();
}

void tool_help(void)
{
	self->usage(stdout);
	exit(fflush(stdout) ? TOOL_EXIT_FAILURE : 0);
}

void tool_version(void)
{
	printf("%s (iepoll) %s\n", self->name, IEPOLL_VERSION);
	exit(fflush(stdout) ? TOOL_EXIT_FAILURE : 0);
}

int tool_getopt(int argc, char **argv, const char *shortopts,
		const struct option *longopts)
{
	int c;

	if (longopts)
		c = getopt_long(argc, argv, shortopts, longopts, NULL);
	else
		c = getopt(argc, argv, shortopts);
	switch (c) {
	case 'h':
		tool_help();
	case 'V':
		tool_version();
	case ':':	/* @shortopts began with ':': getopt said nothing */
		tool_usage_error("option requires an argument -- '%c'", optopt);
	case '?':	/* getopt's message names the tool: tool_init() */
		try_help();
	}
	return c;
}

/* The base of @arg, past its sign: 16 after "0x", else 10; -1: no digit. */
static int number_base(const char *arg, bool sign_ok)
{
	if (*arg == '+' || (sign_ok && *arg == '-'))
		arg++;
	if (!isdigit((unsigned char)*arg))
		return -1;
	return arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X') ? 16 : 10;
}

long long tool_number(const char *what, const char *arg, long long min,
		      long long max)
{
	int base = number_base(arg, true);
	char *end = NULL;
	long long v = 0;

	errno = 0;
	if (base > 0)
		v = strtoll(arg, &end, base);
	if (base < 0 || *end)
		tool_usage_error("%s: not a number: '%s'", what, arg);
	if (errno == ERANGE || v < min || v > max)
		tool_usage_error("%s: %s is out of range, %lld to %lld", what,
				 arg, min, max);
	return v;
}

unsigned long long tool_unumber(const char *what, const char *arg,
				unsigned long long max)
{
	int base = number_base(arg, false);
	unsigned long long v = 0;
	char *end = NULL;

	errno = 0;
	if (base > 0)
		v = strtoull(arg, &end, base);
	if (base < 0 || *end)
		tool_usage_error("%s: not a number: '%s'", what, arg);
	if (errno == ERANGE || v > max)
		tool_usage_error("%s: %s is out of range, 0 to %llu", what,
				 arg, max);
	return v;
}

double tool_seconds(const char *what, const char *arg, bool zero_ok)
{
	const char *digits = *arg == '+' || *arg == '-' ? arg + 1 : arg;
	char *end = NULL;
	double v = 0;

	errno = 0;
	if (isdigit((unsigned char)*digits) ||
	    (*digits == '.' && isdigit((unsigned char)digits[1])))
		v = strtod(arg, &end);
	if (!end || *end)
		tool_usage_error("%s: not a number of seconds: '%s'", what, arg);
	if (errno == ERANGE || !isfinite(v) || v < 0 || (v == 0 && !zero_ok))
		tool_usage_error("%s: %s is out of range, %s", what, arg,
				 zero_ok ? "0 seconds or more" :
				 "more than 0 seconds");
	return v;
}
