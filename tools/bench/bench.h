/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mux-bench: what the workloads, the sampler and the report share.
 *
 * A sample is one multiplexer running one workload at one N for about
 * --time milliseconds; its cost is wall time per operation, the median of
 * timed batches (what an operation is depends on the workload, see
 * workloads.c).  Setting the
 * multiplexer up and tearing it down are outside the timed part.  The
 * timed batches are also bracketed by the markers of tools/icount: under
 * scripts/vm --icount, the guest's instructions per operation are a second
 * metric, exact where wall time under TCG is noisy.
 */
#ifndef IEPOLL_BENCH_H
#define IEPOLL_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "mux.h"

struct bench_opts {
	int rounds;
	int sample_ms;
	int herd_reps;
	unsigned long min_ops;	/* a sample's timed part: at least these ops */
	bool quick;
};

/* The descriptors of one (workload, N); low fds are watched. */
struct wctx {
	const struct bench_opts *o;
	int n;
	int *r, *w;		/* pipes: read/write end; sockets: server/client */
	int *xr, *xw;		/* churn: the descriptors added and removed */
	int nx;
	uint64_t rnd;
};

struct sample {
	double ns_per_op;
	unsigned long ops;
	double calls_per_op;	/* multiplexer calls into the kernel per op */
	double wakeups;		/* herd: threads that returned with the event */
	/*
	 * The icount marker pair around the timed batches (tools/icount), -1
	 * for a sample without one; the guest instructions per op that pair
	 * counted, NAN until mux-bench --report --icount reads them.
	 */
	int mark;
	double insns_per_op;
};

struct workload {
	const char *name;
	const char *what;
	int ns[8];		/* N values, 0-terminated */
	int quick_ns[4];
	const char *muxes[6];	/* NULL-terminated */
	int (*setup)(struct wctx *w);
	void (*teardown)(struct wctx *w);
	/* One sample; returns 0, or -1 after printing what went wrong. */
	int (*run)(struct wctx *w, const char *mux, struct sample *s);
};

extern const struct workload workloads[];
/* Peers of watched descriptors are moved at or above this fd. */
extern int peer_fd_base;

uint64_t now_ns(void);
/* The median of @v[0..n), sorting @v; NAN when n is 0. */
double bench_median(double *v, int n);
/* Print "mux-bench: ..." and exit(1); atexit handlers clean up. */
void die(const char *fmt, ...);

/* Open @ops or die, saying why. */
void bench_mux_open(struct mux *m, const struct mux_ops *ops);
/* Tracing for @ops->trace while a sample of it runs (main.c). */
void bench_trace(int trace);

/* herd.c: workload 5, @n threads; @excl: one EPOLLEXCLUSIVE instance each. */
int herd_run(struct wctx *w, const char *mux, struct sample *s, bool excl);

/* floor: a no-op syscall ("syscall") or a no-op iepoll ioctl ("ioctl"). */
int floor_run(struct wctx *w, const char *mux, struct sample *s);

#endif /* IEPOLL_BENCH_H */
