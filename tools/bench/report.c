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
 *
 * With the instruction counts of scripts/vm --icount (report_icount()), a
 * second table gives the same for guest instructions per operation: the
 * metric that repeats to a fraction of a percent where wall time under TCG
 * spreads by tens of percent, and the one goals are judged on.  Its
 * "spread" is (max - min) / median over the rounds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define CSV_HEADER8	"workload,n,mux,round,ns_per_op,ops,calls_per_op,wakeups"
#define CSV_HEADER	CSV_HEADER8 ",mark"
#define SUMMARY_HEADER	"workload,n,mux,median_ns,min_ns,max_ns,ratio,paired," \
			"paired_min,paired_max,floor_ratio,calls_per_op,wakeups," \
			"insns_median,insns_min,insns_max,insns_ratio,insns_floor_ratio"

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
		fprintf(r->csv, "%s,%d,%s,%d,%.1f,%lu,%.3f,%.2f,%d\n", wl, n,
			mux, round, s->ns_per_op, s->ops, s->calls_per_op,
			s->wakeups, s->mark);
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
	/* instructions per op: median, min, max, x ref, x(ref + floor) */
	double imed, imin, imax, iratio, ifloor_ratio;
};

static bool same_case(const struct row *a, const char *wl, int n)
{
	return !strcmp(a->wl, wl) && a->n == n;
}

/* The per-sample numbers a line summarises. */
enum field { F_NS, F_CALLS, F_WAKEUPS, F_INSNS };

static double field_of(const struct sample *s, enum field what)
{
	return what == F_NS ? s->ns_per_op :
	       what == F_CALLS ? s->calls_per_op :
	       what == F_WAKEUPS ? s->wakeups : s->insns_per_op;
}

/* Median of field @what of the rows of (@wl, @n, @mux); NAN is no value. */
static double med_of(struct report *r, const char *wl, int n, const char *mux,
		     enum field what)
{
	double *v = calloc(r->nrows, sizeof(*v)), m;
	int i, k = 0;

	if (!v)
		die("out of memory");
	for (i = 0; i < r->nrows; i++) {
		const struct row *x = &r->rows[i];

		if (!same_case(x, wl, n) || strcmp(x->mux, mux))
			continue;
		v[k] = field_of(&x->s, what);
		if (!isnan(v[k]))
			k++;
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

/* Min and max of field @what over the rounds of @x's case; NAN if none. */
static void range_of(struct report *r, const struct row *x, enum field what,
		     double *min, double *max)
{
	int i;

	*min = INFINITY;
	*max = -INFINITY;
	for (i = 0; i < r->nrows; i++) {
		const struct row *y = &r->rows[i];
		double v = field_of(&y->s, what);

		if (!same_case(y, x->wl, x->n) || strcmp(y->mux, x->mux) ||
		    isnan(v))
			continue;
		*min = fmin(*min, v);
		*max = fmax(*max, v);
	}
	if (isinf(*min))
		*min = *max = NAN;
}

/* The instruction columns of @l: median, range, ratios as for time. */
static void make_insns(struct report *r, const struct row *x, const char *ref,
		       double floor_insns, struct line *l)
{
	double ref_med = med_of(r, x->wl, x->n, ref, F_INSNS);

	l->imed = med_of(r, x->wl, x->n, x->mux, F_INSNS);
	range_of(r, x, F_INSNS, &l->imin, &l->imax);
	l->iratio = ref_med > 0 ? l->imed / ref_med : NAN;
	l->ifloor_ratio = NAN;
	if (!strncmp(x->mux, "iepoll", 6) && !isnan(floor_insns) &&
	    ref_med > 0 && strcmp(x->wl, "floor"))
		l->ifloor_ratio = l->imed / (ref_med + floor_insns * l->calls);
}

/* Fill @l for the first row @x of its (workload, N, mux). */
static void make_line(struct report *r, const struct row *x, double floor_ns,
		      double floor_insns, struct line *l)
{
	const char *ref = strcmp(x->wl, "floor") ? "epoll" : "syscall";
	double ref_med = med_of(r, x->wl, x->n, ref, F_NS);
	double *pr = calloc(r->nrows, sizeof(*pr));
	int i, npr = 0;

	if (!pr)
		die("out of memory");
	memset(l, 0, sizeof(*l));
	l->wl = x->wl;
	l->n = x->n;
	l->mux = x->mux;
	l->med = med_of(r, x->wl, x->n, x->mux, F_NS);
	l->calls = med_of(r, x->wl, x->n, x->mux, F_CALLS);
	l->wakeups = med_of(r, x->wl, x->n, x->mux, F_WAKEUPS);
	range_of(r, x, F_NS, &l->min, &l->max);
	l->rmin = INFINITY;
	l->rmax = -INFINITY;
	for (i = 0; i < r->nrows; i++) {
		const struct row *y = &r->rows[i], *yr;

		if (!same_case(y, x->wl, x->n) || strcmp(y->mux, x->mux))
			continue;
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
	make_insns(r, x, ref, floor_insns, l);
}

/*
 * The median over the rounds of a no-op ioctl minus a no-op syscall, in ns
 * (F_NS) or instructions (F_INSNS) per call.
 */
static double floor_of(struct report *r, enum field what)
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
		if (!sc)
			continue;
		d[k] = field_of(&x->s, what) - field_of(&sc->s, what);
		if (!isnan(d[k]))
			k++;
	}
	m = bench_median(d, k);
	free(d);
	return m;
}

/* One line per (workload, N, mux), in the order they first ran. */
static int make_lines(struct report *r, struct line *lines)
{
	double floor_ns = floor_of(r, F_NS), floor_insns = floor_of(r, F_INSNS);
	int i, j, n = 0;

	for (i = 0; i < r->nrows; i++) {
		const struct row *x = &r->rows[i];
		bool seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = same_case(&r->rows[j], x->wl, x->n) &&
			       !strcmp(r->rows[j].mux, x->mux);
		if (!seen)
			make_line(r, x, floor_ns, floor_insns, &lines[n++]);
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

static void print_insns(const struct line *l, FILE *f)
{
	char ratio[16] = "-", fr[16] = "-";

	if (isnan(l->imed))
		return;
	if (!isnan(l->iratio))
		snprintf(ratio, sizeof(ratio), "%.4f", l->iratio);
	if (!isnan(l->ifloor_ratio))
		snprintf(fr, sizeof(fr), "%.4f", l->ifloor_ratio);
	fprintf(f, "%-11s %6d %-14s %11.1f %11.1f %11.1f %7.3f%% %8s %8s\n",
		l->wl, l->n, l->mux, l->imed, l->imin, l->imax,
		l->imed > 0 ? 100 * (l->imax - l->imin) / l->imed : 0.0,
		ratio, fr);
}

void report_print(struct report *r, FILE *f)
{
	struct line *lines;
	bool insns = false;
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
	for (i = 0; i < n; i++) {
		print_line(&lines[i], f);
		insns |= !isnan(lines[i].imed);
	}
	if (insns) {
		fprintf(f, "\nguest instructions per operation (scripts/vm --icount):\n");
		fprintf(f, "median, min, max over the rounds; spread: (max - min) / median;\n");
		fprintf(f, "x epoll, x(ep+fl) as above, the floor counted in instructions\n");
		fprintf(f, "%-11s %6s %-14s %11s %11s %11s %8s %8s %8s\n",
			"workload", "N", "mux", "median", "min", "max",
			"spread", "x epoll", "x(ep+fl)");
		for (i = 0; i < n; i++)
			print_insns(&lines[i], f);
	}
	free(lines);
}

static void csv_line(const struct line *l, FILE *f)
{
	fprintf(f, "%s,%d,%s,%.1f,%.1f,%.1f,%.4f,%.4f,%.4f,%.4f,%.4f,%.3f,%.2f",
		l->wl, l->n, l->mux, l->med, l->min, l->max, l->ratio,
		l->paired, l->rmin, l->rmax, l->floor_ratio, l->calls,
		l->wakeups);
	fprintf(f, ",%.2f,%.2f,%.2f,%.5f,%.5f\n", l->imed, l->imin, l->imax,
		l->iratio, l->ifloor_ratio);
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
	int n, round, lineno = 0, got;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		/* rows of before the mark column have 8 fields */
		if (++lineno == 1 &&
		    !strncmp(line, CSV_HEADER8, strlen(CSV_HEADER8)))
			continue;
		memset(&s, 0, sizeof(s));
		s.mark = -1;
		s.insns_per_op = NAN;
		got = sscanf(line, "%63[^,],%d,%63[^,],%d,%lf,%lu,%lf,%lf,%d",
			     wl, &n, mux, &round, &s.ns_per_op, &s.ops,
			     &s.calls_per_op, &s.wakeups, &s.mark);
		if (got != 8 && got != 9) {
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

int report_icount(struct report *r, const char *path)
{
	unsigned long long *count = NULL, v;
	unsigned long k, npairs = 0, cap = 0;
	long last = -1;
	char line[128];
	FILE *f = fopen(path, "r");
	int i, lineno = 0, err = -1;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#') {
			/* the plugin's note of stray or open markers */
			fprintf(stderr, "mux-bench: %s: %s", path, line + 1);
			continue;
		}
		if (sscanf(line, "%lu %llu", &k, &v) != 2 || k != npairs) {
			fprintf(stderr, "%s:%d: not pair %lu of iepoll-icount: %s",
				path, lineno, npairs, line);
			goto out;
		}
		if (npairs == cap) {
			unsigned long long *c;

			cap = cap ? 2 * cap : 256;
			c = realloc(count, cap * sizeof(*c));
			if (!c)
				die("out of memory for the instruction counts");
			count = c;
		}
		count[npairs++] = v;
	}
	for (i = 0; i < r->nrows; i++)
		last = r->rows[i].s.mark > last ? r->rows[i].s.mark : last;
	if (last + 1 != (long)npairs) {
		fprintf(stderr, "%s: %lu marker pairs for %ld samples: %s\n",
			path, npairs, last + 1, "not the counts of this run");
		goto out;
	}
	for (i = 0; i < r->nrows; i++) {
		struct sample *s = &r->rows[i].s;

		if (s->mark < 0)
			continue;
		if ((unsigned long)s->mark >= npairs) {
			fprintf(stderr, "%s: no pair %d (%s N=%d %s round %d)\n",
				path, s->mark, r->rows[i].wl, r->rows[i].n,
				r->rows[i].mux, r->rows[i].round);
			goto out;
		}
		if (s->ops)
			s->insns_per_op = (double)count[s->mark] / s->ops;
	}
	err = 0;
out:
	free(count);
	fclose(f);
	return err;
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
