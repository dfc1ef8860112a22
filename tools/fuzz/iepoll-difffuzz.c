// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-difffuzz - does every random program behave the same on epoll(7)
 * and on /dev/iepoll?
 *
 * Each program (gen.c, from a seed) runs once in an epoll world and once in
 * an iepoll world (exec.c); their transcripts are compared line by line:
 * every op's return value and errno, every wait's events and data (as a
 * set: epoll does not define their order), every fdinfo's items and every
 * poll's revents.  When they differ, both worlds run again: a program
 * whose epoll transcript changes from run to run, or whose second iepoll
 * run agrees with epoll, depends on timing and is counted as unstable, not
 * as a failure.  A failure prints its seed,
 * shrinks the program (removing ops while the difference stays) and prints
 * the shrunk program as a standalone C reproducer between "--- reproducer"
 * and "--- end" lines.
 *
 * Exit status: 0 no difference, 1 a difference (a failure), 2 bad arguments.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "emit.h"
#include "gen.h"

#define MAXOPS		200
#define TR_SIZE		(1024 * 1024)
#define NOUTCOMES	4096
#define MAXFAIL		16

static struct {
	struct fuzz_opt f;
	long programs;
	int gen_flags;
	bool shrink;
	double shrink_seconds;
	bool replay;
	bool emit;
	bool verbose;
	int second;		/* the second world: WORLD_IEPOLL, or epoll */
	int world;		/* both worlds' flags: WORLD_NO_CLOSE */
} opt = { .f.duration = 60, .shrink = true, .shrink_seconds = 120,
	    .second = WORLD_IEPOLL };

static char tr_a[TR_SIZE], tr_b[TR_SIZE], tr_c[TR_SIZE], tr_d[TR_SIZE];

static struct {
	long programs, ops, unstable, failures, outcomes;
	unsigned long long failed_seeds[MAXFAIL];
	unsigned long long outcome_keys[NOUTCOMES];
} st;

static const char help[] =
"Usage: iepoll-difffuzz [OPTIONS]\n"
"Run random programs against epoll(7) and /dev/iepoll and compare every\n"
"result: return values, errnos, each wait's events (as a set), fdinfo items.\n"
"Needs root and the iepoll module (run it in the VM: scripts/vm -- ...).\n\n"
"  -d, --duration S   run for S seconds (default 60)\n"
"  -n, --programs N   stop after N programs\n"
"  -s, --seed S       base seed (default: from the clock, printed)\n"
"  -r, --replay SEED  run the one program of that seed, print both\n"
"                     transcripts, shrink it if they differ\n"
"      --emit         with --replay: print the program as a C reproducer\n"
"                     instead of running it (a start for a selftest)\n"
"      --no-close     skip every close, and dup2 or dup3 over an open fd\n"
"      --no-shrink    report failures without shrinking them\n"
"      --shrink-seconds S  stop shrinking a failure after S s (default 120)\n"
"      --world-timeout S   end a world still running after S s with SIGALRM\n"
"                     (default 30; a loaded soak needs more)\n"
"      --order        compare each wait's events in delivery order, not as\n"
"                     a set (epoll does not promise an order)\n"
"      --epoll-only   both worlds on epoll: checks the fuzzer's own\n"
"                     determinism, without the module\n"
"      --json         one JSON object with the totals at the end\n"
"  -v, --verbose      print the seed of each unstable program\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"Exit: 0 no difference, 1 a difference, 2 bad arguments.\n";

/* Counts distinct (op, result, errno) outcomes of an epoll transcript. */
static void count_outcomes(const struct op *ops, int n, const char *tr)
{
	const char *line = tr, *end, *res;
	char *num_end;
	unsigned long long h;
	int idx, ret, slot;

	for (; (end = strchr(line, '\n')); line = end + 1) {
		idx = strtol(line, &num_end, 10);
		if (num_end == line || idx < 0 || idx >= n)
			continue;
		res = memmem(line, end - line, "-> ", 3);
		if (!res)
			continue;
		ret = strtol(res + 3, NULL, 10);
		h = gen_mix(ops[idx].type * 3 + (ret < 0 ? 0 : ret ? 2 : 1));
		for (res += 3; res < end && *res != ' '; res++)
			;
		for (; res < end; res++)
			h = gen_mix(h ^ (unsigned char)*res);
		h |= 1;
		for (slot = h % NOUTCOMES; st.outcome_keys[slot];
		     slot = (slot + 1) % NOUTCOMES)
			if (st.outcome_keys[slot] == h)
				break;
		if (!st.outcome_keys[slot] && st.outcomes < NOUTCOMES - 1) {
			st.outcome_keys[slot] = h;
			st.outcomes++;
		}
	}
}

/* Points *la and *lb at the first lines where @a and @b differ. */
static bool first_diff(const char *a, const char *b, const char **la,
		       const char **lb)
{
	const char *ea, *eb;

	for (;;) {
		ea = strchrnul(a, '\n');
		eb = strchrnul(b, '\n');
		if (ea - a != eb - b || memcmp(a, b, ea - a))
			break;
		if (!*ea)
			return false;
		a = ea + 1;
		b = eb + 1;
	}
	*la = a;
	*lb = b;
	return true;
}

static int line_len(const char *l)
{
	return strchrnul(l, '\n') - l;
}

enum verdict { SAME, DIFFERENT, UNSTABLE };

/*
 * Runs @ops in both worlds; tr_a and tr_b hold the transcripts.  A
 * difference counts when epoll gives the same transcript twice and iepoll
 * differs from it twice: loopback TCP's softirq work, for one, can come
 * late under TCG and make either world see a peer's close one op later.
 */
static enum verdict judge(const struct op *ops, int n)
{
	world_run(ops, n, opt.world, tr_a, TR_SIZE - 1);
	world_run(ops, n, opt.world | opt.second, tr_b, TR_SIZE - 1);
	st.ops += 2L * n;
	if (!strcmp(tr_a, tr_b))
		return SAME;
	world_run(ops, n, opt.world, tr_c, TR_SIZE - 1);
	world_run(ops, n, opt.world | opt.second, tr_d, TR_SIZE - 1);
	st.ops += 2L * n;
	if (strcmp(tr_a, tr_c) || !strcmp(tr_a, tr_d))
		return UNSTABLE;
	return DIFFERENT;
}

/*
 * Cuts the program after the op of the first difference, then removes
 * chunks of ops, halving the chunk size, while the program still gives a
 * stable difference; then single ops again until nothing goes, or until
 * --shrink-seconds have passed (make check must end in bounded time).
 */
static int shrink(struct op *ops, int n)
{
	static struct op trial[MAXOPS];
	double deadline = fuzz_now() + opt.shrink_seconds;
	int chunk, i, removed;
	const char *la, *lb;
	long idx;

	if (first_diff(tr_a, tr_b, &la, &lb)) {
		idx = strtol(la, NULL, 10);
		if (idx >= 0 && idx + 2 < n &&
		    judge(ops, idx + 2) == DIFFERENT)	/* + 2: a fork's child */
			n = idx + 2;
	}

	for (chunk = n / 2; chunk >= 1; chunk = removed && chunk == 1 ? 1 :
	     chunk / 2) {
		removed = 0;
		for (i = 0; i + chunk <= n;) {
			if (fuzz_now() > deadline) {
				printf("difffuzz: stopped reducing after %.0f s\n",
				       opt.shrink_seconds);
				return n;
			}
			memcpy(trial, ops, i * sizeof(*ops));
			memcpy(trial + i, ops + i + chunk,
			       (n - i - chunk) * sizeof(*ops));
			if (judge(trial, n - chunk) == DIFFERENT) {
				memcpy(ops, trial, (n - chunk) * sizeof(*ops));
				n -= chunk;
				removed = 1;
			} else {
				i += chunk;
			}
		}
		if (chunk == 1 && !removed)
			break;
	}
	return n;
}

/* Which runs of an unstable program disagreed, and where first. */
static void print_unstable(unsigned long long seed)
{
	bool epoll_changed = strcmp(tr_a, tr_c);
	const char *la, *lb;

	printf("difffuzz: seed %#llx is unstable: %s\n", seed, epoll_changed ?
	       "epoll's two runs differ" : "iepoll's second run agrees with epoll");
	if (first_diff(tr_a, epoll_changed ? tr_c : tr_b, &la, &lb))
		printf("  %-9s %.*s\n  %-9s %.*s\n", epoll_changed ? "epoll 1:" : "epoll:",
		       line_len(la), la, epoll_changed ? "epoll 2:" : "iepoll 1:",
		       line_len(lb), lb);
}

static void report_failure(unsigned long long seed, struct op *ops, int n)
{
	const char *la, *lb;
	char why[128];
	int n0 = n;

	printf("difffuzz: FAIL seed %#llx (%d ops): epoll and iepoll differ\n",
	       seed, n);
	if (first_diff(tr_a, tr_b, &la, &lb))
		printf("  epoll:  %.*s\n  iepoll: %.*s\n", line_len(la), la,
		       line_len(lb), lb);
	if (st.failures < MAXFAIL)
		st.failed_seeds[st.failures] = seed;
	st.failures++;
	if (!opt.shrink)
		return;
	n = shrink(ops, n);
	judge(ops, n);
	printf("difffuzz: seed %#llx shrunk to %d ops\n", seed, n);
	if (first_diff(tr_a, tr_b, &la, &lb))
		printf("  epoll:  %.*s\n  iepoll: %.*s\n", line_len(la), la,
		       line_len(lb), lb);
	snprintf(why, sizeof(why), "seed %#llx%s, %d ops shrunk from %d",
		 seed, opt.gen_flags & GEN_NO_CLOSE ? " (--no-close)" : "",
		 n, n0);
	printf("--- reproducer seed %#llx\n", seed);
	emit_repro(stdout, ops, n, opt.world, why);
	printf("--- end\n");
	fflush(stdout);
}

static int replay(unsigned long long seed)
{
	static struct op ops[MAXOPS];
	int n = gen_prog(seed, ops, MAXOPS, opt.gen_flags);
	enum verdict v;
	char why[64];

	if (opt.emit) {
		snprintf(why, sizeof(why), "seed %#llx%s, %d ops, not shrunk",
			 seed, opt.world & WORLD_NO_CLOSE ? " (--no-close)" : "", n);
		emit_repro(stdout, ops, n, opt.world, why);
		return 0;
	}
	v = judge(ops, n);

	printf("# epoll:\n%s# iepoll:\n%s", tr_a, tr_b);
	if (v == UNSTABLE) {
		print_unstable(seed);
		return 0;
	}
	if (v == SAME) {
		printf("difffuzz: seed %#llx: same transcript\n", seed);
		return 0;
	}
	report_failure(seed, ops, n);
	return 1;
}

static void progress(double start, bool last)
{
	double t = fuzz_now() - start;
	FILE *f = last ? stdout : stderr;

	fprintf(f, "difffuzz: %.0f s, %ld programs, %ld ops (%.0f ops/s, %.1f programs/s), ",
		t, st.programs, st.ops, t > 0 ? st.ops / t : 0,
		t > 0 ? st.programs / t : 0);
	fprintf(f, "%ld outcomes, %ld unstable, %ld failures\n", st.outcomes,
		st.unstable, st.failures);
}

static void option(int c, const char *arg)
{
	switch (c) {
	case 'n':
		opt.programs = tool_number("--programs", arg, 1, LONG_MAX);
		break;
	case 'r':
		opt.replay = true;
		fuzz_seed(&opt.f, "--replay", arg);
		break;
	case 'C':
		opt.gen_flags |= GEN_NO_CLOSE;
		opt.world |= WORLD_NO_CLOSE;
		break;
	case 'S':
		opt.shrink = false;
		break;
	case 'T':
		opt.shrink_seconds = tool_seconds("--shrink-seconds", arg, true);
		break;
	case 'W':
		world_alarm = tool_number("--world-timeout", arg, 1, 86400);
		break;
	case 'E':
		opt.second = 0;
		break;
	case 'O':
		opt.world |= WORLD_ORDER;
		break;
	case 'e':
		opt.emit = true;
		break;
	case 'v':
		opt.verbose = true;
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "programs", required_argument, NULL, 'n' },
		{ "replay", required_argument, NULL, 'r' },
		{ "no-close", no_argument, NULL, 'C' },
		{ "no-shrink", no_argument, NULL, 'S' },
		{ "shrink-seconds", required_argument, NULL, 'T' },
		{ "world-timeout", required_argument, NULL, 'W' },
		{ "epoll-only", no_argument, NULL, 'E' },
		{ "order", no_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "emit", no_argument, NULL, 'e' },
		{ }
	};
	static const struct fuzz_cmdline cmdline = {
		.name = "iepoll-difffuzz", .help = help, .shortopts = "n:r:v",
		.longopts = longopts, .option = option,
	};
	static struct op ops[MAXOPS];
	double start, next_report;
	long i;
	int n;

	fuzz_parse(argc, argv, &cmdline, &opt.f);
	if (opt.emit && !opt.replay)
		tool_usage_error("--emit needs --replay SEED");
	if (!fuzz_ready(&opt.f, opt.second && !opt.emit))
		return 1;
	if (opt.replay)
		return replay(opt.f.seed);

	printf("difffuzz: base seed %#llx, %.0f s%s%s\n", opt.f.seed,
	       opt.f.duration, opt.programs ? ", program limit" : "",
	       opt.gen_flags & GEN_NO_CLOSE ? ", no closes (--no-close)" : "");
	fflush(stdout);
	start = fuzz_now();
	next_report = start + 10;
	for (i = 0; !opt.programs || i < opt.programs; i++) {
		unsigned long long seed = gen_mix(opt.f.seed + i);
		enum verdict v;

		if (fuzz_now() - start >= opt.f.duration)
			break;
		n = gen_prog(seed, ops, MAXOPS, opt.gen_flags);
		v = judge(ops, n);
		st.programs++;
		count_outcomes(ops, n, tr_a);
		if (v == UNSTABLE) {
			st.unstable++;
			if (opt.verbose)
				print_unstable(seed);
		} else if (v == DIFFERENT) {
			report_failure(seed, ops, n);
		}
		if (fuzz_now() >= next_report) {
			progress(start, false);
			next_report += 10;
		}
	}
	progress(start, true);
	if (opt.f.json) {
		printf("{\"tool\": \"difffuzz\", \"seed\": %llu, \"seconds\": %.1f, ",
		       opt.f.seed, fuzz_now() - start);
		printf("\"programs\": %ld, \"ops\": %ld, \"outcomes\": %ld, ",
		       st.programs, st.ops, st.outcomes);
		printf("\"unstable\": %ld, \"failures\": %ld, \"failed_seeds\": [",
		       st.unstable, st.failures);
		for (i = 0; i < st.failures && i < MAXFAIL; i++)
			printf("%s%llu", i ? ", " : "", st.failed_seeds[i]);
		printf("]}\n");
	}
	if (st.failures) {
		printf("difffuzz: FAILED: %ld programs differ; seeds:", st.failures);
		for (i = 0; i < st.failures && i < MAXFAIL; i++)
			printf(" %#llx", st.failed_seeds[i]);
		printf(" (replay: iepoll-difffuzz --replay SEED%s)\n",
		       opt.gen_flags & GEN_NO_CLOSE ? " --no-close" : "");
		return 1;
	}
	printf("difffuzz: PASS: %ld programs, no difference\n", st.programs);
	return 0;
}
