/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mux-bench's output: the CSV rows as samples come in, and at the end the
 * table of medians and ratios (and optionally the same as CSV).
 */
#ifndef IEPOLL_BENCH_REPORT_H
#define IEPOLL_BENCH_REPORT_H

#include <stdio.h>

#include "bench.h"

struct row {
	const char *wl;
	int n;
	const char *mux;
	int round;
	struct sample s;
};

struct report {
	FILE *csv;
	bool csv_stdout;
	struct row *rows;
	int nrows, cap;
};

/* @csv: a path, "-" for stdout, or NULL for none.  0, or -1 said why. */
int report_open(struct report *r, const char *csv);
void report_add(struct report *r, const char *wl, int n, const char *mux,
		int round, const struct sample *s);
/* The table: one line per workload, N and multiplexer. */
void report_print(struct report *r, FILE *f);
/* The table's numbers as CSV in @path; 0, or -1 said why. */
int report_summary(struct report *r, const char *path);
/* Add the rows of a CSV mux-bench wrote; 0, or -1 said why. */
int report_read(struct report *r, const char *path);
/*
 * Fill the rows' instructions per op from @path, the file scripts/vm
 * --icount wrote ("K INSTRUCTIONS" per marker pair K); 0, or -1 said why.
 */
int report_icount(struct report *r, const char *path);
/* 0, or 1 when writing the CSV failed. */
int report_close(struct report *r);

#endif /* IEPOLL_BENCH_REPORT_H */
