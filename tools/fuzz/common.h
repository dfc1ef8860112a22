/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the three fuzzers share: the clock, splitmix64, and the options
 * every one of them takes (--duration, --seed, --json, --help), with the
 * check that /dev/iepoll is there.
 */
#ifndef _IEPOLL_FUZZ_COMMON_H
#define _IEPOLL_FUZZ_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct fuzz_opt {
	double duration;		/* seconds */
	unsigned long long seed;
	bool seeded;
	bool json;
};

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

/* Takes the value of option 'd' or 's', or 'j'; false if it is bad. */
static inline bool fuzz_opt_parse(int c, const char *arg, struct fuzz_opt *o)
{
	char *end;

	switch (c) {
	case 'd':
		o->duration = strtod(arg, &end);
		return !*end && o->duration > 0;
	case 's':
		o->seed = strtoull(arg, &end, 0);
		o->seeded = true;
		return !*end;
	case 'j':
		o->json = true;
		return true;
	}
	return false;
}

/*
 * A seed from the clock when none was given; false, with the reason
 * printed, when /dev/iepoll cannot be opened.
 */
static inline bool fuzz_opt_ready(struct fuzz_opt *o, const char *prog,
				  bool need_device)
{
	if (!o->seeded)
		o->seed = (unsigned long long)time(NULL) * 1000003 ^ getpid();
	if (need_device && access("/dev/iepoll", R_OK | W_OK)) {
		fprintf(stderr, "%s: /dev/iepoll: %m (%s)\n", prog,
			"is the module loaded? run it in the VM: scripts/vm -- CMD");
		return false;
	}
	return true;
}

#endif /* _IEPOLL_FUZZ_COMMON_H */
