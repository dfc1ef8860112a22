// SPDX-License-Identifier: GPL-2.0
/*
 * mux-bench - select, poll, epoll, iepoll and io_uring side by side.
 *
 * For each workload and N, every multiplexer that can run it is sampled
 * once per round, the order rotating from round to round, so that a busy
 * host slows them all alike.  Progress goes to stderr, one CSV row per
 * sample to --csv, and the end is a table of medians with each
 * multiplexer's ratio to epoll (see report.c).  It measures; it asserts
 * nothing about time, and exits non-zero only when something failed.
 *
 * The tracing variants (iepoll+deliver, iepoll+all) switch the iepoll
 * events on in a tracefs instance of their own, which is removed on every
 * exit path, signals included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "../iepoll-tools.h"
#include "../lib/tool.h"
#include "bench.h"
#include "report.h"

#define PROG		"mux-bench"
#define TFS_NAME	"iepoll-mux-bench"
#define WANT_NOFILE	1048576

static struct tfs tfs;
static bool tracing;
/* A signal that came while a tracefs file was open: handled after it. */
static atomic_int in_tfs, pending_sig;	/* lock-free: signal-safe */

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void bench_mux_open(struct mux *m, const struct mux_ops *ops)
{
	int err = mux_open(m, ops);

	if (err)
		die("%s: cannot create an instance: %s%s", ops->name,
		    strerror(-err), ops->open == mux_iepoll.open ?
		    " (is the iepoll module loaded? run it under scripts/vm)" : "");
}

static void cleanup(void);

/* Leave as the signal would have, with the tracefs instance removed. */
static void leave_on(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

void bench_trace(int trace)
{
	int err = 0;

	if (!tracing) {
		if (trace != TRACE_OFF)
			die("tracing asked for, but no tracefs instance");
		return;
	}
	/* an instance with a file open cannot be removed: no cleanup in here */
	in_tfs = 1;
	switch (trace) {
	case TRACE_OFF:
		err = tfs_iepoll_events(&tfs, false);
		break;
	case TRACE_DELIVER:
		err = tfs_write(&tfs, "events/iepoll/iepoll_deliver/enable", "1");
		break;
	case TRACE_ALL:
		err = tfs_iepoll_events(&tfs, true);
		break;
	}
	if (!err)
		err = tfs_clear(&tfs);
	in_tfs = 0;
	if (pending_sig)
		leave_on(pending_sig);
	if (err)
		die("cannot switch the iepoll events in %s, or clear its buffer",
		    tfs.dir);
}

static void cleanup(void)
{
	if (tracing)
		tfs_remove(&tfs);
	tracing = false;
}

static void on_signal(int sig)
{
	if (in_tfs)
		pending_sig = sig;
	else
		leave_on(sig);
}

static void raise_nofile(void)
{
	struct rlimit rl = { WANT_NOFILE, WANT_NOFILE };
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	long nr_open;

	if (f && fscanf(f, "%ld", &nr_open) == 1 && nr_open < WANT_NOFILE) {
		rl.rlim_cur = nr_open;
		rl.rlim_max = nr_open;
	}
	if (f)
		fclose(f);
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		/* not root here: up to the hard limit; a large N may fail */
		fprintf(stderr, "mux-bench: cannot raise RLIMIT_NOFILE to %lu: %s\n",
			(unsigned long)rl.rlim_cur, strerror(errno));
		if (!getrlimit(RLIMIT_NOFILE, &rl)) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur / 2 < 300000)
		peer_fd_base = rl.rlim_cur / 2;
}

static void print_help(FILE *f)
{
	const struct workload *wl;
	int i;

	fprintf(f,
		"Usage: " PROG " [options]\n"
		"Run workloads against select, poll, epoll, iepoll (/dev/iepoll) and\n"
		"io_uring's poll, alternating them in rounds, and print the medians\n"
		"and each one's ratio to epoll.  Needs root and the iepoll module\n"
		"(run it in the VM: scripts/vm -- tools/bench/mux-bench).\n\n"
		"  -q, --quick           the reduced set (QUICK=1 of make bench)\n"
		"  -r, --rounds R        rounds (default 5, quick 3)\n"
		"  -t, --time MS         milliseconds per sample (default 200, quick 40)\n"
		"  -w, --workloads LIST  comma-separated workload names (default all)\n"
		"  -m, --muxes LIST      only these multiplexers\n"
		"  -n, --max-n N         skip N above this\n"
		"  -O, --min-ops K       time at least K operations per sample, however\n"
		"                        long it takes (for instruction counts: fixed\n"
		"                        costs such as timer ticks spread over more)\n"
		"  -o, --csv FILE        one row per sample: workload,n,mux,round,\n"
		"                        ns_per_op,ops,calls_per_op,wakeups,mark\n"
		"                        (- = stdout)\n"
		"  -s, --summary FILE    one row per workload, N and multiplexer:\n"
		"                        the medians and ratios of the table\n"
		"  -R, --report CSV      run nothing: the table (and --summary) of\n"
		"                        the rows in CSV, as --csv wrote them\n"
		"  -I, --icount FILE     with --report: the instruction counts that\n"
		"                        scripts/vm --icount FILE wrote for the run\n"
		"                        of CSV; adds instructions per op to the table\n"
		"  -h, --help            this text\n"
		"  -V, --version         the version\n\n"
		"Exit status: 0, 1 if a run failed, 2 on a bad argument.\n\n"
		"Workloads (N values; quick):\n");
	for (wl = workloads; wl->name; wl++) {
		fprintf(f, "  %-12s ", wl->name);
		for (i = 0; wl->ns[i]; i++)
			fprintf(f, "%s%d", i ? "," : "", wl->ns[i]);
		fprintf(f, "; ");
		for (i = 0; i < 4 && wl->quick_ns[i]; i++)
			fprintf(f, "%s%d", i ? "," : "", wl->quick_ns[i]);
		fprintf(f, "\n               %s\n", wl->what);
	}
	fprintf(f, "Multiplexers:");
	for (i = 0; mux_all[i]; i++)
		fprintf(f, " %s", mux_all[i]->name);
	fprintf(f, "\n");
}

static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	if (!list)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

/* Whether @mux runs workload @wl at @n. */
static bool can_run(const struct workload *wl, const char *mux, int n)
{
	const struct mux_ops *ops = mux_find(mux);

	/* select: the watched fds are about 4 .. n + 4, below FD_SETSIZE */
	return !ops || !ops->max_fd || !strncmp(wl->name, "herd", 4) ||
	       n + 16 <= ops->max_fd;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "workloads", required_argument, NULL, 'w' },
		{ "muxes", required_argument, NULL, 'm' },
		{ "max-n", required_argument, NULL, 'n' },
		{ "min-ops", required_argument, NULL, 'O' },
		{ "csv", required_argument, NULL, 'o' },
		{ "summary", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'R' },
		{ "icount", required_argument, NULL, 'I' },
		TOOL_OPT_HELP,
		TOOL_OPT_VERSION,
		{ NULL, 0, NULL, 0 },
	};
	static const struct tool tool = { .name = PROG, .usage = print_help };
	struct bench_opts o = { .rounds = 0, .sample_ms = 0 };
	const char *only_wl = NULL, *only_mux = NULL, *csv = NULL;
	const char *summary = NULL, *from = NULL, *icount = NULL;
	const struct workload *wl;
	long max_n = 0;
	bool want_trace = false;
	int opt, r, i, k, nmux;
	struct report rep;

	tool_init(&tool, argv);
	while ((opt = tool_getopt(argc, argv, "qr:t:w:m:n:O:o:s:R:I:hV",
				  longopts)) != -1) {
		switch (opt) {
		case 'q':
			o.quick = true;
			break;
		case 'r':
			o.rounds = tool_number("--rounds", optarg, 1, INT_MAX);
			break;
		case 't':
			o.sample_ms = tool_number("--time", optarg, 1, INT_MAX);
			break;
		case 'w':
			only_wl = optarg;
			break;
		case 'm':
			only_mux = optarg;
			break;
		case 'n':
			/* 0: no limit, as without it */
			max_n = tool_number("--max-n", optarg, 0, INT_MAX);
			break;
		case 'O':
			o.min_ops = tool_number("--min-ops", optarg, 0, INT_MAX);
			break;
		case 'o':
			csv = optarg;
			break;
		case 's':
			summary = optarg;
			break;
		case 'R':
			from = optarg;
			break;
		case 'I':
			icount = optarg;
			break;
		}
	}
	if (optind < argc)
		tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (!o.rounds)
		o.rounds = o.quick ? 3 : 5;
	if (!o.sample_ms)
		o.sample_ms = o.quick ? 40 : 200;
	o.herd_reps = o.quick ? 2 : 3;
	if (only_wl) {
		char *list = strdup(only_wl), *save = NULL, *tok;

		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			for (wl = workloads; wl->name; wl++)
				if (!strcmp(wl->name, tok))
					break;
			if (!wl->name)
				tool_usage_error("no workload named %s", tok);
		}
		free(list);
	}
	if (only_mux) {
		char *list = strdup(only_mux), *save = NULL, *tok;

		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			if (!mux_find(tok) && strcmp(tok, "syscall") &&
			    strcmp(tok, "ioctl"))
				tool_usage_error("no multiplexer named %s",
						 tok);
		free(list);
	}

	if (icount && !from)
		tool_usage_error("--icount goes with --report CSV");
	if (from) {
		/* no run: the table (and --summary) of rows written before */
		if (report_open(&rep, NULL) || report_read(&rep, from))
			return 1;
		if (icount && report_icount(&rep, icount))
			return 1;
		report_print(&rep, stdout);
		if (summary && report_summary(&rep, summary))
			return 1;
		return report_close(&rep);
	}
	raise_nofile();
	if (report_open(&rep, csv))
		return 1;
	for (wl = workloads; wl->name; wl++)
		for (k = 0; wl->muxes[k]; k++)
			if (listed(only_wl, wl->name) &&
			    listed(only_mux, wl->muxes[k]) &&
			    mux_find(wl->muxes[k]) &&
			    mux_find(wl->muxes[k])->trace)
				want_trace = true;
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (want_trace) {
		in_tfs = 1;
		if (tfs_create(&tfs, TFS_NAME))
			die("cannot create the tracefs instance %s", TFS_NAME);
		tracing = true;
		in_tfs = 0;
		if (pending_sig)
			leave_on(pending_sig);
	}
	fprintf(stderr, "mux-bench: %d rounds of %d ms per sample%s; io_uring poll: %s\n",
		o.rounds, o.sample_ms, o.quick ? " (quick)" : "",
		mux_uring_multishot() ? "multishot" : "one-shot, re-armed");

	for (wl = workloads; wl->name; wl++) {
		const int *ns = o.quick ? wl->quick_ns : wl->ns;
		int nn = o.quick ? 4 : 8;

		if (!listed(only_wl, wl->name))
			continue;
		for (i = 0; i < nn && ns[i]; i++) {
			struct wctx w = { .o = &o, .n = ns[i] };
			const char *muxes[6];

			if (max_n && ns[i] > max_n)
				continue;
			for (nmux = 0, k = 0; wl->muxes[k]; k++)
				if (listed(only_mux, wl->muxes[k]) &&
				    can_run(wl, wl->muxes[k], ns[i]))
					muxes[nmux++] = wl->muxes[k];
			if (!nmux)
				continue;
			if (wl->setup(&w))
				return 1;
			for (r = 0; r < o.rounds; r++) {
				for (k = 0; k < nmux; k++) {
					const char *mux = muxes[(k + r) % nmux];
					struct sample s = {
						.mark = -1, .insns_per_op = NAN
					};

					fprintf(stderr, "mux-bench: %s N=%d round %d/%d %s\n",
						wl->name, ns[i], r + 1, o.rounds, mux);
					w.rnd = 0x9e3779b97f4a7c15ULL ^ r;
					if (wl->run(&w, mux, &s))
						die("%s N=%d %s failed", wl->name,
						    ns[i], mux);
					report_add(&rep, wl->name, ns[i], mux, r, &s);
				}
			}
			wl->teardown(&w);
		}
	}
	cleanup();
	report_print(&rep, stdout);
	if (summary && report_summary(&rep, summary))
		return 1;
	return report_close(&rep);
}
