// SPDX-License-Identifier: GPL-2.0
/*
 * Workload 5, the thundering herd: N threads blocked, one event.
 *
 * "herd": every thread waits on the same epoll/iepoll instance (level-
 * triggered), or, for select, poll and io_uring, which have no shared
 * instance, each in its own call or ring on the same socket.
 * "herd-excl": each thread has its own epoll/iepoll instance watching the
 * socket with EPOLLEXCLUSIVE.
 *
 * One repetition: the threads enter their waits, and after a settling
 * pause one byte is written to the socket.  Nobody reads it.  Once the
 * first thread has returned, the others get a further window to return
 * too; those that return with the socket's event in that time count as
 * woken ("wakeups").  Then a release eventfd, watched by every thread
 * without EPOLLEXCLUSIVE, brings the rest back.  The cost is the time from
 * the write to the first return.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define SETTLE_MS	20
#define WINDOW_MS	30
#define GIVE_UP_NS	10000000000ULL
#define DATA_SOCK	1
#define DATA_REL	2

struct herd {
	const struct mux_ops *ops;
	int t;
	struct mux *mx;
	pthread_barrier_t go;
	atomic_int entered, returned, err;
	atomic_bool stop;
	uint64_t *t_ret;
	bool *got;
};

struct waiter {
	struct herd *h;
	int i;
};

static void *waiter(void *arg)
{
	struct waiter *wt = arg;
	struct herd *h = wt->h;
	struct mux_ev ev[2];
	int n, k;

	for (;;) {
		pthread_barrier_wait(&h->go);
		if (atomic_load(&h->stop))
			break;
		atomic_fetch_add(&h->entered, 1);
		n = h->mx[wt->i].ops->wait(&h->mx[wt->i], ev, 2, -1);
		h->t_ret[wt->i] = now_ns();
		h->got[wt->i] = false;
		for (k = 0; k < n; k++)
			if (ev[k].data == DATA_SOCK)
				h->got[wt->i] = true;
		if (n < 0)
			atomic_store(&h->err, n);
		atomic_fetch_add(&h->returned, 1);
	}
	return NULL;
}

/* Wait until @ctr reaches @val; false after GIVE_UP_NS. */
static bool await(atomic_int *ctr, int val)
{
	uint64_t start = now_ns();

	while (atomic_load(ctr) < val) {
		if (now_ns() - start > GIVE_UP_NS)
			return false;
		usleep(200);
	}
	return true;
}

static void add_or_die(struct mux *m, int fd, uint32_t events, uint64_t data)
{
	int err = m->ops->add(m, fd, events, data);

	if (err)
		die("%s: herd: add fd %d: %s", m->ops->name, fd, strerror(-err));
}

static void open_muxes(struct herd *h, bool excl, int sock, int rel)
{
	bool one = h->ops->ctl && h->ops->exclusive && !excl;
	int i;

	for (i = 0; i < h->t; i++) {
		if (one && i > 0) {
			if (mux_share(&h->mx[i], &h->mx[0]))
				die("%s: cannot share an instance", h->ops->name);
			continue;
		}
		bench_mux_open(&h->mx[i], h->ops);
		add_or_die(&h->mx[i], sock,
			   EPOLLIN | (excl ? EPOLLEXCLUSIVE : 0), DATA_SOCK);
		add_or_die(&h->mx[i], rel, EPOLLIN, DATA_REL);
	}
}

static void close_muxes(struct herd *h)
{
	int i;

	for (i = h->t - 1; i >= 0; i--)
		mux_close(&h->mx[i]);
}

int herd_run(struct wctx *w, const char *mux, struct sample *s, bool excl)
{
	struct herd h = { .t = w->n };
	double sum_first = 0, sum_woke = 0;
	struct waiter *wt;
	pthread_t *th;
	int sv[2], rel, rep, i, ret = 0;
	uint64_t eventval;
	char c;

	h.ops = mux_find(mux);
	if (!h.ops)
		die("no multiplexer named %s", mux);
	if (excl && !h.ops->exclusive)
		die("%s has no EPOLLEXCLUSIVE", mux);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair: %s", strerror(errno));
	rel = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h.mx = calloc(h.t, sizeof(*h.mx));
	h.t_ret = calloc(h.t, sizeof(*h.t_ret));
	h.got = calloc(h.t, sizeof(*h.got));
	th = calloc(h.t, sizeof(*th));
	wt = calloc(h.t, sizeof(*wt));
	if (rel < 0 || !h.mx || !h.t_ret || !h.got || !th || !wt)
		die("herd of %d: %s", h.t, strerror(errno ? errno : ENOMEM));
	pthread_barrier_init(&h.go, NULL, h.t + 1);
	for (i = 0; i < h.t; i++) {
		wt[i].h = &h;
		wt[i].i = i;
		if (pthread_create(&th[i], NULL, waiter, &wt[i]))
			die("pthread_create %d of %d", i + 1, h.t);
	}

	for (rep = 0; rep < w->o->herd_reps && !ret; rep++) {
		uint64_t t0, t_rel, first = UINT64_MAX;
		int woke = 0;

		open_muxes(&h, excl, sv[0], rel);
		atomic_store(&h.entered, 0);
		atomic_store(&h.returned, 0);
		pthread_barrier_wait(&h.go);
		if (!await(&h.entered, h.t))
			die("herd: the threads did not start");
		usleep(SETTLE_MS * 1000);
		t0 = now_ns();
		if (write(sv[1], "x", 1) != 1)
			die("herd: write: %s", strerror(errno));
		if (!await(&h.returned, 1)) {
			fprintf(stderr, "mux-bench: %s: herd of %d: no return\n",
				mux, h.t);
			ret = -1;
		}
		usleep(WINDOW_MS * 1000);
		t_rel = now_ns();
		if (eventfd_write(rel, 1) || !await(&h.returned, h.t))
			die("%s: herd of %d: the release did not bring every thread back",
			    mux, h.t);
		if (atomic_load(&h.err)) {
			fprintf(stderr, "mux-bench: %s: herd: wait: %s\n", mux,
				strerror(-atomic_load(&h.err)));
			ret = -1;
		}
		for (i = 0; i < h.t; i++) {
			if (!h.got[i] || h.t_ret[i] >= t_rel)
				continue;
			woke++;
			if (h.t_ret[i] - t0 < first)
				first = h.t_ret[i] - t0;
		}
		if (!woke && !ret) {
			fprintf(stderr, "mux-bench: %s: herd of %d: no event\n",
				mux, h.t);
			ret = -1;
		}
		sum_first += first;
		sum_woke += woke;
		if (read(sv[0], &c, 1) != 1 || eventfd_read(rel, &eventval))
			die("herd: draining: %s", strerror(errno));
		close_muxes(&h);
	}

	atomic_store(&h.stop, true);
	pthread_barrier_wait(&h.go);
	for (i = 0; i < h.t; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&h.go);
	close(sv[0]);
	close(sv[1]);
	close(rel);
	free(h.mx);
	free(h.t_ret);
	free(h.got);
	free(th);
	free(wt);
	s->ops = rep;
	s->ns_per_op = rep ? sum_first / rep : 0;
	s->calls_per_op = 1;
	s->wakeups = rep ? sum_woke / rep : 0;
	return ret;
}
