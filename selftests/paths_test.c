// SPDX-License-Identifier: GPL-2.0
/*
 * Wakeup paths: epoll refuses an EPOLL_CTL_ADD that would give one file
 * too many paths up through watching instances (reverse_path_check(),
 * CVE-2011-1083), with EINVAL.  Each test builds the same graph once with
 * native epoll and once with iepoll, records the result of every ADD, and
 * expects iepoll to refuse exactly the ADDs epoll refuses, with the same
 * errno.  Epoll's own refusals are checked against its documented limits
 * too, so that a kernel whose epoll changed shows as such.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mux.h"

#define MAX_ADDS	4096
#define MAX_FDS		4096

/* What one build did: the errno of each ADD (0: accepted), in order. */
struct run {
	int res[MAX_ADDS];
	int nadds;
	int refused;
	int fds[MAX_FDS];
	int nfds;
};

static int keep(struct run *r, int fd)
{
	if (fd >= 0 && r->nfds < MAX_FDS)
		r->fds[r->nfds++] = fd;
	return fd;
}

static void add(const struct mux_ops *ops, struct run *r, int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int err = ops->ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? errno : 0;

	if (r->nadds < MAX_ADDS)
		r->res[r->nadds++] = err;
	r->refused += !!err;
}

static void run_done(struct run *r)
{
	while (r->nfds > 0)
		close(r->fds[--r->nfds]);
}

/* @n dups of @fd, kept in @r; returns the first. */
static int dups(struct run *r, int fd, int n, int *out)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = keep(r, dup(fd));
	return out[0];
}

/*
 * One pipe, @n instances watching it, @n watching all of those, @n more
 * watching all of those.
 */
static void build_fanout(const struct mux_ops *ops, struct run *r, int n,
			 int unused)
{
	int p[2], l1[64], l2[64], l3[64], i, j;

	(void)unused;
	if (pipe(p))
		return;
	keep(r, p[0]);
	keep(r, p[1]);
	for (i = 0; i < n; i++) {
		l1[i] = keep(r, ops->create1(0));
		add(ops, r, l1[i], p[0]);
	}
	for (i = 0; i < n; i++) {
		l2[i] = keep(r, ops->create1(0));
		for (j = 0; j < n; j++)
			add(ops, r, l2[i], l1[j]);
	}
	for (i = 0; i < n; i++) {
		l3[i] = keep(r, ops->create1(0));
		for (j = 0; j < n; j++)
			add(ops, r, l3[i], l2[j]);
	}
}

/*
 * An eventfd under @levels instances, each level watching the one below
 * through @k descriptors of it.
 */
static void build_dup_chain(const struct mux_ops *ops, struct run *r,
			    int levels, int k)
{
	int below[64], ep, i, l;

	dups(r, keep(r, eventfd(0, 0)), k, below);
	for (l = 0; l < levels; l++) {
		ep = keep(r, ops->create1(0));
		for (i = 0; i < k; i++)
			add(ops, r, ep, below[i]);
		dups(r, ep, k, below);
	}
}

/*
 * A pipe watched by a chain of @depth instances, one link each, and the
 * chain's top watched by one more instance through @m descriptors: @m
 * paths through @depth watched instances.
 */
static void build_paths(const struct mux_ops *ops, struct run *r, int depth,
			int m)
{
	int p[2], fds[MAX_FDS / 2], below, ep, i;

	if (pipe(p))
		return;
	keep(r, p[1]);
	below = keep(r, p[0]);
	for (i = 0; i < depth; i++) {
		ep = keep(r, ops->create1(0));
		add(ops, r, ep, below);
		below = ep;
	}
	ep = keep(r, ops->create1(0));
	dups(r, below, m, fds);
	for (i = 0; i < m; i++)
		add(ops, r, ep, fds[i]);
}

/* The two runs must agree ADD by ADD. */
static void compare(struct __test_metadata *_metadata, const struct run *e,
		    const struct run *i, const char *what)
{
	int k;

	TH_LOG("%s: epoll refused %d of %d ADDs, iepoll %d of %d", what,
	       e->refused, e->nadds, i->refused, i->nadds);
	ASSERT_EQ(e->nadds, i->nadds);
	for (k = 0; k < e->nadds; k++) {
		if (e->res[k] != i->res[k]) {
			TH_LOG("ADD %d of %d: epoll gave %s, iepoll %s", k + 1,
			       e->nadds,
			       e->res[k] ? strerrorname_np(e->res[k]) : "0",
			       i->res[k] ? strerrorname_np(i->res[k]) : "0");
			break;
		}
	}
	EXPECT_EQ(e->nadds, k);
}

static void raise_nofile(void)
{
	struct rlimit rl = { MAX_FDS + 64, MAX_FDS + 64 };

	setrlimit(RLIMIT_NOFILE, &rl);
}

typedef void (*build_fn)(const struct mux_ops *ops, struct run *r, int a,
			 int b);

/* Builds the same graph with epoll, then with iepoll. */
static void both(build_fn build, int a, int b, struct run **ep_run,
		 struct run **iep_run)
{
	static struct run e, i;

	memset(&e, 0, sizeof(e));
	memset(&i, 0, sizeof(i));
	build(&mux_epoll, &e, a, b);
	run_done(&e);
	build(&mux_iepoll, &i, a, b);
	run_done(&i);
	*ep_run = &e;
	*iep_run = &i;
}

/*
 * The harness's tests have 30 s each; 3,240 ADDs with the path checks take
 * 25 to 40 s on the debug kernel under a loaded host, and one run hit the
 * limit there: these tests get 300 s through an empty fixture.
 */
FIXTURE(paths) {
	int unused;
};

FIXTURE_SETUP(paths)
{
}

FIXTURE_TEARDOWN(paths)
{
}

TEST_F_TIMEOUT(paths, a_fanout_of_three_levels_of_forty_is_refused_as_epoll_refuses_it, 300)
{
	struct run *ep_run, *iep_run;

	raise_nofile();
	both(build_fanout, 40, 0, &ep_run, &iep_run);
	ASSERT_EQ(40 + 2 * 40 * 40, ep_run->nadds);
	EXPECT_LT(0, ep_run->refused)
		TH_LOG("epoll refused nothing: no path limit on this kernel?");
	compare(_metadata, ep_run, iep_run, "3 levels of 40");
}

TEST_F_TIMEOUT(paths, dup_descriptors_count_as_paths_as_in_epoll, 300)
{
	struct run *ep_run, *iep_run;
	int k;

	raise_nofile();
	for (k = 4; k <= 20; k += 4) {
		char what[64];

		both(build_dup_chain, 5, k, &ep_run, &iep_run);
		snprintf(what, sizeof(what), "5 levels, %d dups each", k);
		compare(_metadata, ep_run, iep_run, what);
	}
}

/*
 * The limits per path length: any number of direct watches, then 500,
 * 100, 50 and 10 paths through 1, 2, 3 and 4 watched instances.  The ADD
 * one past the limit is the first refused, in both.
 */
TEST_F_TIMEOUT(paths, each_path_length_is_refused_one_past_its_limit_as_in_epoll, 300)
{
	static const int limits[] = { 1100, 500, 100, 50, 10 };
	struct run *ep_run, *iep_run;
	int d, k;

	raise_nofile();
	for (d = 0; d < 5; d++) {
		int m = limits[d] + 1, first = -1;
		char what[64];

		both(build_paths, d, m, &ep_run, &iep_run);
		snprintf(what, sizeof(what), "%d paths through %d instances",
			 m, d);
		compare(_metadata, ep_run, iep_run, what);
		for (k = 0; k < ep_run->nadds; k++) {
			if (ep_run->res[k]) {
				first = k;
				break;
			}
		}
		if (d == 0) {
			EXPECT_EQ(-1, first)
				TH_LOG("epoll refused direct watch %d", first);
		} else {
			/* @d chain ADDs, then the dups: refused at dup limit+1 */
			EXPECT_EQ(d + limits[d], first)
				TH_LOG("length %d: epoll first refused ADD %d, expected %d",
				       d, first + 1, d + limits[d] + 1);
			EXPECT_EQ(EINVAL, ep_run->res[first]);
		}
	}
}

TEST_HARNESS_MAIN
