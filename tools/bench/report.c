// SPDX-License-Identifier: GPL-2.0
/*
 * mux-bench's rows, medians and ratios.
 *
 * A row of the table is a workload, an N and a multiplexer: the median of
 * its rounds, their range, and its ratio to the reference at the same N
 * (epoll; for "floor", the no-op syscall): the ratio of the medians, and
 * "paired", the median of the per-round ratios, each taken between samples
 * of the same round (which ran seconds apart, where rounds run minutes
 * apart: on a loaded host the better estimate), with their range in
 * brackets.  For iepoll rows, "x(ep+fl)" divides by epoll's median plus
 * the measured extra cost of entering the module (the median over the
 * rounds of floor's ioctl minus syscall) times iepoll's calls per
 * operation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define CSV_HEADER	"workload,n,mux,round,ns_per_op,ops,calls_per_op,wakeups"
#define SUMMARY_HEADER	"workload,n,mux,median_ns,min_ns,max_ns,ratio,paired," \
			"paired_min,paired_max,floor_ratio,calls_per_op,wakeups"

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
	double med, min, max, ratio, paired, rmin, rmax, floor_ratio, calls;
	double wakeups;
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
	double *pr = calloc(r->nrows, sizeof(*pr));
	int i, npr = 0;

	if (!pr)
		die("out of memory");
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
			pr[npr] = y->s.ns_per_op / yr->s.ns_per_op;
			l->rmin = fmin(l->rmin, pr[npr]);
			l->rmax = fmax(l->rmax, pr[npr]);
			npr++;
		}
	}
	l->paired = bench_median(pr, npr);
	free(pr);
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

/* The median over the rounds of a no-op ioctl minus a no-op syscall. */
static double floor_of(struct report *r)
{
	double *d = calloc(r->nrows + 1, sizeof(*d)), m;
	const struct row *sc;
	int i, k = 0;

	if (!d)
		die("out of memory");
	for (i = 0; i < r->nrows; i++) {
		const struct row *x = &r->rows[i];

		if (!same_case(x, "floor", 1) || strcmp(x->mux, "ioctl"))
			continue;
		sc = find_row(r, "floor", 1, "syscall", x->round);
		if (sc)
			d[k++] = x->s.ns_per_op - sc->s.ns_per_op;
	}
	m = bench_median(d, k);
	free(d);
	return m;
}

/* One line per (workload, N, mux), in the order they first ran. */
static int make_lines(struct report *r, struct line *lines)
{
	double floor_ns = floor_of(r);
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
	char ratio[16] = "-", paired[40] = "-", fr[16] = "-", wk[16] = "-";

	if (!isnan(l->ratio))
		snprintf(ratio, sizeof(ratio), "%.3f", l->ratio);
	if (!isnan(l->paired))
		snprintf(paired, sizeof(paired), "%.3f (%.2f-%.2f)", l->paired,
			 l->rmin, l->rmax);
	if (!isnan(l->floor_ratio))
		snprintf(fr, sizeof(fr), "%.3f", l->floor_ratio);
	if (!strncmp(l->wl, "herd", 4))
		snprintf(wk, sizeof(wk), "%.1f", l->wakeups);
	fprintf(f, "%-11s %6d %-14s %10.0f %10.0f %10.0f %7s %-21s %7s %5.2f %5s\n",
		l->wl, l->n, l->mux, l->med, l->min, l->max, ratio, paired, fr,
		l->calls, wk);
}

void report_print(struct report *r, FILE *f)
{
	struct line *lines;
	int i, n;

	if (r->csv_stdout)
		f = stderr;
	fprintf(f, "\nns per operation: median, min, max over the rounds; x epoll: ratio of the\n");
	fprintf(f, "medians; paired: median (range) of the per-round ratios; x(ep+fl): iepoll's\n");
	fprintf(f, "median / (epoll's + the ioctl floor per call); calls: kernel calls per op\n");
	fprintf(f, "%-11s %6s %-14s %10s %10s %10s %7s %-21s %7s %5s %5s\n",
		"workload", "N", "mux", "median", "min", "max", "x epoll",
		"paired (range)", "x(ep+fl)", "calls", "wakes");
	lines = all_lines(r, &n);
	for (i = 0; i < n; i++)
		print_line(&lines[i], f);
	free(lines);
}

static void csv_line(const struct line *l, FILE *f)
{
	fprintf(f, "%s,%d,%s,%.1f,%.1f,%.1f,%.4f,%.4f,%.4f,%.4f,%.4f,%.3f,%.2f\n",
		l->wl, l->n, l->mux, l->med, l->min, l->max, l->ratio,
		l->paired, l->rmin, l->rmax, l->floor_ratio, l->calls,
		l->wakeups);
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

int report_read(struct report *r, const char *path)
{
	char line[256], wl[64], mux[64];
	FILE *f = fopen(path, "r");
	struct sample s;
	int n, round, lineno = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (++lineno == 1 && !strncmp(line, CSV_HEADER, strlen(CSV_HEADER)))
			continue;
		memset(&s, 0, sizeof(s));
		if (sscanf(line, "%63[^,],%d,%63[^,],%d,%lf,%lu,%lf,%lf", wl, &n,
			   mux, &round, &s.ns_per_op, &s.ops, &s.calls_per_op,
			   &s.wakeups) != 8) {
			fprintf(stderr, "%s:%d: not a row of mux-bench: %s", path,
				lineno, line);
			fclose(f);
			return -1;
		}
		report_add(r, strdup(wl), n, strdup(mux), round, &s);
	}
	fclose(f);
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
