// SPDX-License-Identifier: GPL-2.0
/*
 * neighbour-cost - what a watch costs the files nobody watches.
 *
 * Counts, under scripts/vm --icount, the guest instructions of one write
 * and one read on a pipe (and on a UNIX socket pair) that no multiplexer
 * watches: first with nothing watched anywhere, then while another pipe
 * (another socket pair) of the same kind is watched by an epoll instance,
 * then while it is watched by an iepoll instance.  iepoll's close hook is
 * an fsnotify mark on the watched file; fsnotify's fast path skips a file
 * only while no inode of its whole superblock has a mark, and every pipe
 * shares one superblock, as every socket does.
 *
 * It prints one line per kind and case: instructions per write + read
 * pair, the median of ROUNDS samples of N pairs each, and the ratio to the
 * unwatched case.  Without the plugin the counts are missing and it says
 * so; it asserts nothing.
 *
 * Usage: scripts/vm --icount FILE -- tools/icount/neighbour-cost [-n N]
 *        [-r ROUNDS] >OUT, then tools/icount/neighbour-cost --report FILE <OUT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/iepoll.h"
#include "../lib/tool.h"
#include "icount.h"

#define PROG	"neighbour-cost"
#define MAX_ROUNDS	64

static const char *const cases[] = { "nothing watched", "epoll watches another",
				     "iepoll watches another" };

static void die(const char *what)
{
	fprintf(stderr, "neighbour-cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* One sample: @n write + read pairs on @fds, between the markers. */
static void sample(const int fds[2], long n)
{
	char c = 'x';
	long i;

	icount_start();
	for (i = 0; i < n; i++) {
		if (write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1)
			die("write/read");
	}
	icount_stop();
}

static void make_pair(int kind, int fds[2])
{
	if (kind == 0 ? pipe2(fds, O_CLOEXEC) :
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
		die(kind == 0 ? "pipe" : "socketpair");
}

/* The guest side: "@C kind case round n" before each sample's pair. */
static int run(long n, int rounds)
{
	int kind, c, r;

	for (kind = 0; kind < 2; kind++) {
		int measured[2], other[2];

		make_pair(kind, measured);
		make_pair(kind, other);
		for (c = 0; c < 3; c++) {
			struct epoll_event ev = { .events = EPOLLIN };
			int ep = -1;

			if (c == 1) {
				ep = epoll_create1(EPOLL_CLOEXEC);
				if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, other[0], &ev))
					die("epoll");
			} else if (c == 2) {
				ep = iepoll_create1(O_CLOEXEC);
				if (ep < 0 || iepoll_ctl(ep, EPOLL_CTL_ADD, other[0], &ev))
					die("iepoll (is the module loaded?)");
			}
			sample(measured, n / 10);	/* warm-up, not reported */
			for (r = 0; r < rounds; r++) {
				printf("@C %d %d %d %ld\n", kind, c, r, n);
				fflush(stdout);
				sample(measured, n);
			}
			if (ep >= 0)
				close(ep);
		}
		close(measured[0]);
		close(measured[1]);
		close(other[0]);
		close(other[1]);
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The host side: the pairs of @path are, in order, one warm-up and then
 * the "@C" lines of stdin, per kind and case.
 */
static int report(const char *path)
{
	double v[2][3][MAX_ROUNDS], med[2][3];
	int nv[2][3] = { { 0 } }, kind, c, r, pair = 0;
	unsigned long long count[2 * 3 * (MAX_ROUNDS + 1)];
	int ncount = 0, lineno = 0;
	char line[256];
	FILE *f = fopen(path, "r");
	long n;

	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f) &&
	       ncount < 2 * 3 * (MAX_ROUNDS + 1)) {
		unsigned long k;

		if (line[0] != '#' && sscanf(line, "%lu %llu", &k, &count[ncount]) == 2)
			ncount++;
	}
	fclose(f);
	while (fgets(line, sizeof(line), stdin)) {
		lineno++;
		if (sscanf(line, "@C %d %d %d %ld", &kind, &c, &r, &n) != 4 ||
		    kind < 0 || kind > 1 || c < 0 || c > 2 || n <= 0)
			continue;
		if (r == 0)
			pair++;		/* the warm-up before round 0 */
		if (pair >= ncount || nv[kind][c] >= MAX_ROUNDS) {
			fprintf(stderr, "neighbour-cost: %s: %d counts, %s\n",
				path, ncount, "fewer than the samples");
			return 1;
		}
		v[kind][c][nv[kind][c]++] = (double)count[pair++] / n;
	}
	printf("%-8s %-24s %14s %8s\n", "kind", "case", "insns/pair", "ratio");
	for (kind = 0; kind < 2; kind++) {
		for (c = 0; c < 3; c++) {
			if (!nv[kind][c]) {
				fprintf(stderr, "neighbour-cost: no sample of %s, %s\n",
					kind ? "socket" : "pipe", cases[c]);
				return 1;
			}
			qsort(v[kind][c], nv[kind][c], sizeof(double), cmp);
			med[kind][c] = v[kind][c][nv[kind][c] / 2];
			printf("%-8s %-24s %14.1f %8.3f\n", kind ? "socket" : "pipe",
			       cases[c], med[kind][c], med[kind][c] / med[kind][0]);
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [-n N] [-r ROUNDS]\n"
		"       " PROG " --report FILE < the first run's output\n"
		"What an iepoll watch costs the files nobody watches: the guest\n"
		"instructions of one write + read on an unwatched pipe and UNIX\n"
		"socket pair, with nothing watched, while epoll and while iepoll\n"
		"watch another of the same kind.  Run it in the VM under the\n"
		"instruction-counting plugin, then report on the host:\n\n"
		"  scripts/vm --icount $PWD/.build/nb.txt -- tools/icount/" PROG " >.build/nb.out\n"
		"  tools/icount/" PROG " --report .build/nb.txt <.build/nb.out\n\n"
		"  -n, --pairs N         write + read pairs per sample (default 100000)\n"
		"  -r, --rounds R        samples per case, at most %d (default 5)\n"
		"  -R, --report FILE     the table, from scripts/vm --icount's FILE and\n"
		"                        the guest's output on stdin\n"
		"  -h, --help            this text\n"
		"  -V, --version         the version\n", MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pairs", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "report", required_argument, NULL, 'R' },
		TOOL_OPT_HELP,
		TOOL_OPT_VERSION,
		{ NULL, 0, NULL, 0 },
	};
	static const struct tool tool = { .name = PROG, .usage = usage };
	const char *from = NULL;
	long n = 100000;
	int rounds = 5, opt;

	tool_init(&tool, argv);
	while ((opt = tool_getopt(argc, argv, "n:r:R:hV", longopts)) != -1) {
		switch (opt) {
		case 'n':
			n = tool_number("--pairs", optarg, 10, INT_MAX);
			break;
		case 'r':
			rounds = tool_number("--rounds", optarg, 1, MAX_ROUNDS);
			break;
		case 'R':
			from = optarg;
			break;
		}
	}
	if (optind < argc)
		tool_usage_error("unexpected argument '%s'", argv[optind]);
	return from ? report(from) : run(n, rounds);
}
