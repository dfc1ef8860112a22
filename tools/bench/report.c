// SPDX-License-Identifier: GPL-2.0
/*
 * mux-bench's rows, medians and ratios.
 *
 * A row of the table is a workload, an N and a multiplexer: the median of
 * its rounds, their range, and its ratio to the reference at the same N
 * (epoll; for "floor", the no-op syscall): the ratio of the medians, and in
 * brackets the range of the per-round ratios, each taken between samples
 * of the same round.  For iepoll rows, "x(epoll+floor)" divides by epoll's
 * median plus the measured extra cost of entering the module (floor's
 * ioctl minus syscall medians) times iepoll's calls per operation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define CSV_HEADER	"workload,n,mux,round,ns_per_op,ops,calls_per_op,wakeups"
#define SUMMARY_HEADER	"workload,n,mux,median_ns,min_ns,max_ns,ratio,ratio_min," \
			"ratio_max,floor_ratio,calls_per_op,wakeups"

int report_open(struct report *r, const char *csv)
{
	memset(r, 0, sizeof(*r));
	if (!csv)
		return 0;
	if (!strcmp(csv, "-")) {
		r->csv = stdout;
		r->csv_stdout = true;
	} else {
		r->csv = fopen(csv, "w");
		if (!r->csv) {
			perror(csv);
			return -1;
		}
	}
	fprintf(r->csv, "%s\n", CSV_HEADER);
	fflush(r->csv);
	return 0;
}

void report_add(struct report *r, const char *wl, int n, const char *mux,
		int round, const struct sample *s)
{
	if (r->nrows == r->cap) {
		int cap = r->cap ? 2 * r->cap : 256;
		struct row *rows = realloc(r->rows, cap * sizeof(*rows));

		if (!rows)
			die("out of memory for the results");
		r->rows = rows;
		r->cap = cap;
	}
	r->rows[r->nrows++] = (struct row){ wl, n, mux, round, *s };
	if (r->csv) {
		fprintf(r->csv, "%s,%d,%s,%d,%.1f,%lu,%.3f,%.2f\n", wl, n, mux,
			round, s->ns_per_op, s->ops, s->calls_per_op,
			s->wakeups);
		fflush(r->csv);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct line {
	const char *wl, *mux;
	int n;
	double med, min, max, ratio, rmin, rmax, floor_ratio, calls, wakeups;
};

static bool same_case(const struct row *a, const char *wl, int n)
{
	return !strcmp(a->wl, wl) && a->n == n;
}

/* Median of field @what of the rows of (@wl, @n, @mux). */
static double med_of(struct report *r, const char *wl, int n, const char *mux,
		     int what)
{
	double *v = calloc(r->nrows, sizeof(*v)), m;
	int i, k = 0;

	if (!v)
		die("out of memory");
	for (i = 0; i < r->nrows; i++) {
		const struct row *x = &r->rows[i];

		if (!same_case(x, wl, n) || strcmp(x->mux, mux))
			continue;
		v[k++] = what == 0 ? x->s.ns_per_op :
			 what == 1 ? x->s.calls_per_op : x->s.wakeups;
	}
	m = bench_median(v, k);
	free(v);
	return m;
}

/* The sample of (@wl, @n, @mux) in @round, or NULL. */
static const struct row *find_row(struct report *r, const char *wl, int n,
				  const char *mux, int round)
{
	int i;

	for (i = 0; i < r->nrows; i++)
		if (same_case(&r->rows[i], wl, n) &&
		    !strcmp(r->rows[i].mux, mux) && r->rows[i].round == round)
			return &r->rows[i];
	return NULL;
}

/* Fill @l for the first row @x of its (workload, N, mux). */
static void make_line(struct report *r, const struct row *x, double floor_ns,
		      struct line *l)
{
	const char *ref = strcmp(x->wl, "floor") ? "epoll" : "syscall";
	double ref_med = med_of(r, x->wl, x->n, ref, 0);
	int i;

	memset(l, 0, sizeof(*l));
	l->wl = x->wl;
	l->n = x->n;
	l->mux = x->mux;
	l->med = med_of(r, x->wl, x->n, x->mux, 0);
	l->calls = med_of(r, x->wl, x->n, x->mux, 1);
	l->wakeups = med_of(r, x->wl, x->n, x->mux, 2);
	l->min = INFINITY;
	l->max = -INFINITY;
	l->rmin = INFINITY;
	l->rmax = -INFINITY;
	for (i = 0; i < r->nrows; i++) {
		const struct row *y = &r->rows[i], *yr;

		if (!same_case(y, x->wl, x->n) || strcmp(y->mux, x->mux))
			continue;
		l->min = fmin(l->min, y->s.ns_per_op);
		l->max = fmax(l->max, y->s.ns_per_op);
		yr = find_row(r, x->wl, x->n, ref, y->round);
		if (yr && yr->s.ns_per_op > 0) {
			l->rmin = fmin(l->rmin, y->s.ns_per_op / yr->s.ns_per_op);
			l->rmax = fmax(l->rmax, y->s.ns_per_op / yr->s.ns_per_op);
		}
	}
	l->ratio = ref_med > 0 ? l->med / ref_med : NAN;
	if (isinf(l->rmin))
		l->rmin = NAN;
	if (isinf(l->rmax))
		l->rmax = NAN;
	l->floor_ratio = NAN;
	if (!strncmp(x->mux, "iepoll", 6) && !isnan(floor_ns) &&
	    !isnan(ref_med) && strcmp(x->wl, "floor"))
		l->floor_ratio = l->med / (ref_med + floor_ns * l->calls);
}

/* One line per (workload, N, mux), in the order they first ran. */
static int make_lines(struct report *r, struct line *lines)
{
	double floor_ns = med_of(r, "floor", 1, "ioctl", 0) -
			  med_of(r, "floor", 1, "syscall", 0);
	int i, j, n = 0;

	for (i = 0; i < r->nrows; i++) {
		const struct row *x = &r->rows[i];
		bool seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = same_case(&r->rows[j], x->wl, x->n) &&
			       !strcmp(r->rows[j].mux, x->mux);
		if (!seen)
			make_line(r, x, floor_ns, &lines[n++]);
	}
	return n;
}

static struct line *all_lines(struct report *r, int *n)
{
	struct line *lines = calloc(r->nrows + 1, sizeof(*lines));

	if (!lines)
		die("out of memory");
	*n = make_lines(r, lines);
	return lines;
}

static void print_line(const struct line *l, FILE *f)
{
	char ratio[48] = "-", fr[16] = "-", wk[16] = "-";

	if (!isnan(l->ratio))
		snprintf(ratio, sizeof(ratio), "%.3f (%.2f-%.2f)", l->ratio,
			 l->rmin, l->rmax);
	if (!isnan(l->floor_ratio))
		snprintf(fr, sizeof(fr), "%.3f", l->floor_ratio);
	if (!strncmp(l->wl, "herd", 4))
		snprintf(wk, sizeof(wk), "%.1f", l->wakeups);
	fprintf(f, "%-12s %7d %-15s %12.0f %12.0f %12.0f  %-20s %-8s %7.2f %7s\n",
		l->wl, l->n, l->mux, l->med, l->min, l->max, ratio, fr,
		l->calls, wk);
}

void report_print(struct report *r, FILE *f)
{
	struct line *lines;
	int i, n;

	if (r->csv_stdout)
		f = stderr;
	fprintf(f, "\nmedians over the rounds, ns per operation; x epoll: ratio of the medians\n");
	fprintf(f, "(in brackets: range of the per-round ratios)\n");
	fprintf(f, "%-12s %7s %-15s %12s %12s %12s  %-20s %-8s %7s %7s\n",
		"workload", "N", "mux", "median", "min", "max",
		"x epoll", "x(ep+fl)", "calls", "wakeups");
	lines = all_lines(r, &n);
	for (i = 0; i < n; i++)
		print_line(&lines[i], f);
	free(lines);
}

static void csv_line(const struct line *l, FILE *f)
{
	fprintf(f, "%s,%d,%s,%.1f,%.1f,%.1f,%.4f,%.4f,%.4f,%.4f,%.3f,%.2f\n",
		l->wl, l->n, l->mux, l->med, l->min, l->max, l->ratio, l->rmin,
		l->rmax, l->floor_ratio, l->calls, l->wakeups);
}

int report_summary(struct report *r, const char *path)
{
	FILE *f = fopen(path, "w");
	int i, n;

	if (!f) {
		perror(path);
		return -1;
	}
	struct line *lines;

	lines = all_lines(r, &n);
	fprintf(f, "%s\n", SUMMARY_HEADER);
	for (i = 0; i < n; i++)
		csv_line(&lines[i], f);
	free(lines);
	if (fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

int report_close(struct report *r)
{
	int err = 0;

	if (r->csv && !r->csv_stdout)
		err = fclose(r->csv) != 0;
	else if (r->csv)
		err = fflush(r->csv) != 0;
	free(r->rows);
	if (err)
		perror("mux-bench: writing the CSV");
	return err;
}
