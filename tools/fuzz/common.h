/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the three fuzzers share: the clock, splitmix64, and the command
 * line.  fuzz_parse() (common.c) takes the options every one of them has
 * (-d, --duration; -s, --seed; --json; -h, --help; -V, --version) with the
 * fuzzer's own, through the tools' convention (../lib/tool.h): a bad option
 * or argument is one line, the "Try" line and exit 2, before any device is
 * opened.  fuzz_ready() then checks that /dev/iepoll is there.
 */
#ifndef _IEPOLL_FUZZ_COMMON_H
#define _IEPOLL_FUZZ_COMMON_H

#include <stdbool.h>
#include <time.h>

#include "../lib/tool.h"

struct fuzz_opt {
	double duration;		/* seconds */
	unsigned long long seed;
	bool seeded;
	bool json;
};

/* A fuzzer's command line, beside what every fuzzer takes. */
struct fuzz_cmdline {
	const char *name;		/* in every message */
	const char *help;		/* the --help text */
	const char *shortopts;		/* its own options, as getopt() takes them */
	const struct option *longopts;	/* its own long options, up to { } */
	/*
	 * takes one of its own options, @c as in @shortopts or @longopts:
	 * any but d, s, j (--json), h and V, which are everyone's
	 */
	void (*option)(int c, const char *arg);
};

/* Parses the whole command line into @o and through @cl->option. */
void fuzz_parse(int argc, char **argv, const struct fuzz_cmdline *cl,
		struct fuzz_opt *o);

/* @arg, the value of option @what, as the seed. */
void fuzz_seed(struct fuzz_opt *o, const char *what, const char *arg);

/*
 * A seed from the clock when none was given; false, with the reason
 * printed, when /dev/iepoll cannot be opened.
 */
bool fuzz_ready(struct fuzz_opt *o, bool need_device);

static inline double fuzz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline unsigned long long fuzz_mix(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The next number of the stream @state (splitmix64). */
static inline unsigned long long fuzz_rnd(unsigned long long *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return fuzz_mix(*state);
}

#endif /* _IEPOLL_FUZZ_COMMON_H */
