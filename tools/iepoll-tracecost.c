// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-tracecost - the cost of the iepoll trace events on wait throughput.
 *
 * N pipes, each holding one byte, are watched level-triggered, so every
 * IEPOLL_IOC_WAIT (timeout 0, maxevents N) transfers N events and re-queues
 * them all.  The wait rate is measured with every iepoll event off and with
 * every iepoll event on (recorded into a private tracefs instance), in
 * alternating rounds of one run, and the ratio of the medians is printed.
 * It measures; it asserts nothing about time.
 *
 * Usage: iepoll-tracecost [-n PIPES] [-r ROUNDS] [-t MILLISECONDS]
 * (--help for the whole of it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iepoll-tools.h"
#include "lib/tool.h"

#define PROG	"iepoll-tracecost"

static struct tfs tfs;

static void cleanup(void)
{
	tfs_remove(&tfs);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Events written into the instance's buffers (kept or overwritten). */
static unsigned long long recorded(int ncpus)
{
	unsigned long long sum = 0;
	char rel[64], *buf, *p;
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		snprintf(rel, sizeof(rel), "per_cpu/cpu%d/stats", cpu);
		buf = tfs_read(&tfs, rel);
		if (!buf)
			continue;
		p = strstr(buf, "entries:");
		if (p)
			sum += strtoull(p + 8, NULL, 10);
		p = strstr(buf, "overrun:");
		if (p)
			sum += strtoull(p + 8, NULL, 10);
		free(buf);
	}
	return sum;
}

/* Waits per second over @ms milliseconds. */
static double measure(int iep, struct epoll_event *ev, int n, int ms,
		      unsigned long long *waits)
{
	double start = now(), end = start + ms / 1000.0, t;
	unsigned long long count = 0;
	int i;

	do {
		for (i = 0; i < 16; i++) {
			if (iep_wait(iep, ev, n, 0) != n) {
				fprintf(stderr,
					PROG ": wait did not return %d events: %s\n",
					n, strerror(errno));
				exit(1);
			}
		}
		count += 16;
		t = now();
	} while (t < end);
	*waits = count;
	return count / (t - start);
}

static void report(int r, const char *setting, double rate,
		   unsigned long long waits, unsigned long long events)
{
	printf("round %d events %s: %10.0f waits/s (%llu waits, %llu events recorded)\n",
	       r + 1, setting, rate, waits, events);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [-n PIPES] [-r ROUNDS] [-t MILLISECONDS]\n"
		"What the iepoll trace events cost IEPOLL_IOC_WAIT: PIPES ready\n"
		"level-triggered pipes (each wait returns them all), the wait rate\n"
		"with every iepoll event off and on, in alternating rounds, and\n"
		"the ratio of the medians.  Needs root and the iepoll module.\n"
		"\n"
		"  -n PIPES          pipes watched (default 64)\n"
		"  -r ROUNDS         rounds of each setting (default 5)\n"
		"  -t MILLISECONDS   length of a round (default 1000)\n"
		"  -h, --help        this text\n"
		"  -V, --version     the version\n"
		"\n"
		"Exit status: 0, 1 if the measurement failed, 2 on a bad argument.\n");
}

int main(int argc, char **argv)
{
	static const struct tool tool = { .name = PROG, .usage = usage };
	static const struct option longopts[] = {
		TOOL_OPT_HELP, TOOL_OPT_VERSION, { }
	};
	int npipes = 64, rounds = 5, ms = 1000, iep, i, r, opt;
	int ncpus = sysconf(_SC_NPROCESSORS_CONF);
	double *off, *on, moff, mon;
	unsigned long long waits, ev_on = 0;
	struct epoll_event *ev;
	int p[2];

	tool_init(&tool, argv);
	while ((opt = tool_getopt(argc, argv, "n:r:t:hV", longopts)) != -1) {
		switch (opt) {
		case 'n':
			npipes = tool_number("-n", optarg, 1, INT_MAX);
			break;
		case 'r':
			rounds = tool_number("-r", optarg, 1, INT_MAX);
			break;
		case 't':
			ms = tool_number("-t", optarg, 1, INT_MAX);
			break;
		}
	}
	if (optind < argc)
		tool_usage_error("unexpected argument '%s'", argv[optind]);

	iep = iepoll_create1(O_CLOEXEC);
	if (iep < 0) {
		perror(PROG ": open /dev/iepoll");
		return 1;
	}
	for (i = 0; i < npipes; i++) {
		if (pipe(p) || write(p[1], "x", 1) != 1 ||
		    iep_ctl(iep, EPOLL_CTL_ADD, p[0], EPOLLIN, i)) {
			perror(PROG ": pipe/write/IEPOLL_IOC_CTL");
			return 1;
		}
	}
	ev = calloc(npipes, sizeof(*ev));
	off = calloc(rounds, sizeof(*off));
	on = calloc(rounds, sizeof(*on));
	if (!ev || !off || !on)
		return 1;
	if (tfs_create(&tfs, PROG))
		return 1;
	atexit(cleanup);

	printf(PROG ": %d ready level-triggered pipes, maxevents %d, timeout 0\n",
	       npipes, npipes);
	printf("%d rounds of %d ms with the iepoll events off and on\n", rounds, ms);
	measure(iep, ev, npipes, ms / 4 + 1, &waits);	/* warm up */
	for (r = 0; r < rounds; r++) {
		/* Alternate which setting goes first so drift hits both. */
		for (i = 0; i < 2; i++) {
			bool trace = (i == 0) == (r % 2 == 1);

			if (tfs_iepoll_events(&tfs, trace) || tfs_clear(&tfs))
				return 1;
			if (trace) {
				on[r] = measure(iep, ev, npipes, ms, &waits);
				ev_on = recorded(ncpus);
				report(r, "on ", on[r], waits, ev_on);
				if (ev_on < waits) {
					fprintf(stderr,
						PROG ": the events were not recorded\n");
					return 1;
				}
			} else {
				off[r] = measure(iep, ev, npipes, ms, &waits);
				report(r, "off", off[r], waits, recorded(ncpus));
			}
		}
	}
	tfs_iepoll_events(&tfs, false);
	qsort(off, rounds, sizeof(*off), cmp_double);
	qsort(on, rounds, sizeof(*on), cmp_double);
	moff = off[rounds / 2];
	mon = on[rounds / 2];
	printf("median waits/s: events off %.0f, events on %.0f\n", moff, mon);
	printf("ratio off/on: %.2f (events on: %.1f%% of the events-off rate)\n",
	       moff / mon, 100.0 * mon / moff);
	printf("cost: about %.0f ns per event (%d events per wait)\n",
	       (1e9 / mon - 1e9 / moff) / (npipes + 3), npipes + 3);
	return 0;
}
