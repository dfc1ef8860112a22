// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads of mux-bench and the timed loop they share.
 *
 *   floor        a no-op syscall against a no-op iepoll ioctl: the price of
 *                entering the module (op: one call)
 *   one          N pipes watched, one random one written per op, then one
 *                wait and one read (op: write + wait + read)
 *   all          N pipes all readable, level-triggered: each wait returns N
 *                (op: one delivered event)
 *   rearm        N socket pairs with a 64-byte ping-pong, EPOLLONESHOT, a
 *                wait of up to 64, a MOD after every event (op: one event:
 *                read ping, write pong, read pong, write ping, re-arm)
 *   echo         "rearm" at N = 256 and 1,000 for epoll, iepoll, and
 *                iepoll-submit, whose MODs go with the next wait in one
 *                IEPOLL_IOC_SUBMIT (issue 12)
 *   rearm-ready  N always-readable eventfds, EPOLLONESHOT, a wait of up to
 *                64 and a MOD after every event: wait and re-arm alone
 *                (op: one event)
 *   mod          EPOLL_CTL_MOD of one idle pipe, over and over (op: a MOD)
 *   churn        K = 64 pipes added then removed, into an instance that
 *                already watches N idle ones (op: one ADD and one DEL)
 *   herd         herd.c: T threads, one event
 *   herd-excl    herd.c: T instances with EPOLLEXCLUSIVE on one socket
 *   trace-one    "one" for epoll and iepoll with its events off, only
 *                iepoll_deliver on, and all on
 *   trace-rearm  "rearm" the same way
 *
 * Watched descriptors are low numbers and their peers are moved above
 * peer_fd_base (half the fd limit), so that select can watch up to 1,000 of them.  Every
 * sample opens its own multiplexer and registers the descriptors before the
 * clock starts, and leaves them as it found them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../icount/icount.h"
#include "../lib/iepoll.h"
#include "bench.h"

#define CHURN_K		64
#define REARM_BATCH	64
#define MSG		64

int peer_fd_base = 300000;

/* A peer moved up, out of select's range. */
static int peer_fd(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, peer_fd_base);

	if (hi < 0)
		die("F_DUPFD above %d: %s (RLIMIT_NOFILE too low for this N?)",
		    peer_fd_base, strerror(errno));
	close(fd);
	return hi;
}

static void make_pipes(int n, int **r, int **w, bool fill)
{
	int i, p[2];

	*r = calloc(n, sizeof(int));
	*w = calloc(n, sizeof(int));
	if (!*r || !*w)
		die("out of memory for %d pipes", n);
	for (i = 0; i < n; i++) {
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
			die("pipe %d of %d: %s", i + 1, n, strerror(errno));
		(*r)[i] = p[0];
		(*w)[i] = peer_fd(p[1]);
		if (fill && write((*w)[i], "x", 1) != 1)
			die("write to pipe %d: %s", i, strerror(errno));
	}
}

static void close_all(int *fds, int n)
{
	int i;

	for (i = 0; fds && i < n; i++)
		close(fds[i]);
	free(fds);
}

static void teardown(struct wctx *w)
{
	close_all(w->r, w->n);
	close_all(w->w, w->n);
	close_all(w->xr, w->nx);
	close_all(w->xw, w->nx);
	w->r = NULL;
	w->w = NULL;
	w->xr = NULL;
	w->xw = NULL;
	w->nx = 0;
}

static int setup_pipes(struct wctx *w)
{
	make_pipes(w->n, &w->r, &w->w, false);
	return 0;
}

static int setup_full_pipes(struct wctx *w)
{
	make_pipes(w->n, &w->r, &w->w, true);
	return 0;
}

static int setup_churn(struct wctx *w)
{
	make_pipes(w->n, &w->r, &w->w, false);
	w->nx = CHURN_K;
	make_pipes(w->nx, &w->xr, &w->xw, false);
	return 0;
}

/* Socket pairs, each with one ping on its way to the server end. */
static int setup_sockets(struct wctx *w)
{
	char msg[MSG] = { 0 };
	int i, sv[2];

	w->r = calloc(w->n, sizeof(int));
	w->w = calloc(w->n, sizeof(int));
	if (!w->r || !w->w)
		die("out of memory for %d socket pairs", w->n);
	for (i = 0; i < w->n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			die("socketpair %d of %d: %s", i + 1, w->n,
			    strerror(errno));
		w->r[i] = sv[0];
		w->w[i] = peer_fd(sv[1]);
		if (write(w->w[i], msg, MSG) != MSG)
			die("write ping %d: %s", i, strerror(errno));
	}
	return 0;
}

/* Eventfds that are always readable (their counter is never read). */
static int setup_ready_eventfds(struct wctx *w)
{
	int i;

	w->r = calloc(w->n, sizeof(int));
	w->w = calloc(w->n, sizeof(int));
	if (!w->r || !w->w)
		die("out of memory for %d eventfds", w->n);
	for (i = 0; i < w->n; i++) {
		w->r[i] = eventfd(1, EFD_CLOEXEC);
		if (w->r[i] < 0)
			die("eventfd %d of %d: %s", i + 1, w->n,
			    strerror(errno));
		w->w[i] = peer_fd(dup(w->r[i]));
	}
	return 0;
}

static uint32_t rnd(struct wctx *w)
{
	/* xorshift64: cheap, and the same sequence for every multiplexer */
	w->rnd ^= w->rnd << 13;
	w->rnd ^= w->rnd >> 7;
	w->rnd ^= w->rnd << 17;
	return w->rnd >> 32;
}

/*
 * The timed loop.  @op (which returns operations done, or -1) runs in
 * batches; the batch doubles, untimed, until one lasts a thirty-second of
 * the sample, then batches of that size are timed until the sample's time
 * is up (at least three batches, and --min-ops operations).  The cost is
 * the median of the batches' ns per operation: on a loaded host, a batch
 * during which the vCPU was preempted is an outlier, not a shift of the
 * mean.  The icount markers bracket all the timed batches: instructions
 * per operation are their mean.
 */
#define MAX_BATCHES	4096

static int measure(struct wctx *w, struct mux *m,
		   int (*op)(struct wctx *w, struct mux *m), struct sample *s)
{
	static int marks;	/* icount marker pairs executed so far */
	uint64_t sample = (uint64_t)w->o->sample_ms * 1000000;
	static double per_op[MAX_BATCHES];
	unsigned long ops = 0, calls0, batch = 1, i, done;
	uint64_t t0, t, bt;
	int k, nb = 0;

	for (;; batch *= 2) {
		bt = now_ns();
		for (i = 0; i < batch; i++)
			if (op(w, m) < 0)
				return -1;
		if ((now_ns() - bt) * 32 >= sample)
			break;
	}
	calls0 = m->calls;
	icount_start();
	t0 = now_ns();
	do {
		bt = now_ns();
		for (i = 0, done = 0; i < batch; i++) {
			k = op(w, m);
			if (k < 0)
				return -1;
			done += k;
		}
		t = now_ns();
		per_op[nb++] = (double)(t - bt) / done;
		ops += done;
	} while ((t - t0 < sample || nb < 3 || ops < w->o->min_ops) &&
		 nb < MAX_BATCHES);
	icount_stop();
	s->mark = marks++;
	s->ops = ops;
	s->ns_per_op = bench_median(per_op, nb);
	s->calls_per_op = (double)(m->calls - calls0) / ops;
	return 0;
}

static const struct mux_ops *find(const char *name)
{
	const struct mux_ops *ops = mux_find(name);

	if (!ops)
		die("no multiplexer named %s", name);
	return ops;
}

/*
 * Register r[0..n) with @events, datum = index.  io_uring's last requests
 * go to the kernel with the first wait, in the warm-up.
 */
static void add_all(struct wctx *w, struct mux *m, uint32_t events)
{
	int i, err;

	for (i = 0; i < w->n; i++) {
		err = m->ops->add(m, w->r[i], events, i);
		if (err)
			die("%s: add fd %d (%d of %d): %s", m->ops->name,
			    w->r[i], i + 1, w->n, strerror(-err));
	}
}

/*
 * One sample: a fresh instance of @name watching r[0..n) with @events,
 * then @op timed, with the multiplexer's tracing on while it runs.
 */
static int run_op(struct wctx *w, const char *name, uint32_t events,
		  int (*op)(struct wctx *w, struct mux *m), struct sample *s)
{
	struct mux m;
	int err;

	bench_mux_open(&m, find(name));
	add_all(w, &m, events);
	bench_trace(m.ops->trace);
	err = measure(w, &m, op, s);
	bench_trace(TRACE_OFF);
	mux_close(&m);
	return err;
}

static int wait_or_say(struct mux *m, struct mux_ev *ev, int max)
{
	int n = m->ops->wait(m, ev, max, -1);

	if (n < 0)
		fprintf(stderr, "mux-bench: %s: wait: %s\n", m->ops->name,
			strerror(-n));
	return n;
}

/* ---- one ready of N -------------------------------------------------- */

static int op_one(struct wctx *w, struct mux *m)
{
	uint32_t i = rnd(w) % w->n;
	struct mux_ev ev[4];
	char c;
	int n;

	if (write(w->w[i], "x", 1) != 1)
		die("write pipe %u: %s", i, strerror(errno));
	n = wait_or_say(m, ev, 4);
	if (n < 0)
		return -1;
	if (n != 1 || ev[0].data != i) {
		fprintf(stderr, "mux-bench: %s: one of %d: want 1 event, data %u; got %d (%llu)\n",
			m->ops->name, w->n, i, n,
			n > 0 ? (unsigned long long)ev[0].data : 0ULL);
		return -1;
	}
	if (read(w->r[i], &c, 1) != 1)
		die("read pipe %u: %s", i, strerror(errno));
	return 1;
}

static int run_one(struct wctx *w, const char *name, struct sample *s)
{
	return run_op(w, name, EPOLLIN, op_one, s);
}

/* ---- all N ready ------------------------------------------------------ */

static struct mux_ev *all_ev;

static int op_all(struct wctx *w, struct mux *m)
{
	int got = 0, n, i;

	while (got < w->n) {
		n = wait_or_say(m, all_ev + got, w->n - got);
		if (n < 0)
			return -1;
		got += n;
		if (m->ops->level && got != w->n)
			break;
	}
	if (got != w->n) {
		fprintf(stderr, "mux-bench: %s: all %d ready: a wait returned %d\n",
			m->ops->name, w->n, got);
		return -1;
	}
	/* io_uring has no level: each event is re-armed, as its users do */
	for (i = 0; !m->ops->level && i < got; i++)
		m->ops->mod(m, w->r[all_ev[i].data], EPOLLIN | EPOLLONESHOT,
			    all_ev[i].data);
	return got;
}

static int run_all(struct wctx *w, const char *name, struct sample *s)
{
	uint32_t events = EPOLLIN | (find(name)->level ? 0 : EPOLLONESHOT);
	int err;

	all_ev = calloc(w->n, sizeof(*all_ev));
	if (!all_ev)
		die("out of memory for %d events", w->n);
	err = run_op(w, name, events, op_all, s);
	free(all_ev);
	return err;
}

/* ---- ONESHOT re-arm ping-pong ------------------------------------------ */

/* Re-arm item @i, EPOLLONESHOT; 0, or -1 after saying why. */
static int rearm(struct wctx *w, struct mux *m, int i)
{
	int err = m->ops->mod(m, w->r[i], EPOLLIN | EPOLLONESHOT, i);

	if (err)
		fprintf(stderr, "mux-bench: %s: re-arm fd %d: %s\n",
			m->ops->name, w->r[i], strerror(-err));
	return err ? -1 : 0;
}

/*
 * Waits for up to REARM_BATCH events and re-arms each one's item, after a
 * 64-byte ping-pong on its socket pair when @pingpong: the events, or -1.
 */
static int rearm_batch(struct wctx *w, struct mux *m, bool pingpong)
{
	struct mux_ev ev[REARM_BATCH];
	char msg[MSG];
	int n, k;

	n = wait_or_say(m, ev, REARM_BATCH);
	for (k = 0; k < n; k++) {
		int i = ev[k].data;

		if (pingpong &&
		    (read(w->r[i], msg, MSG) != MSG ||
		     write(w->r[i], msg, MSG) != MSG ||
		     read(w->w[i], msg, MSG) != MSG ||
		     write(w->w[i], msg, MSG) != MSG))
			die("ping-pong on pair %d: %s", i, strerror(errno));
		if (rearm(w, m, i))
			return -1;
	}
	return n;
}

static int op_rearm(struct wctx *w, struct mux *m)
{
	return rearm_batch(w, m, true);
}

static int run_rearm(struct wctx *w, const char *name, struct sample *s)
{
	return run_op(w, name, EPOLLIN | EPOLLONESHOT, op_rearm, s);
}

/* ---- pure re-arm: always-ready eventfds, EPOLLONESHOT ------------------ */

static int op_rearm_ready(struct wctx *w, struct mux *m)
{
	return rearm_batch(w, m, false);
}

static int run_rearm_ready(struct wctx *w, const char *name, struct sample *s)
{
	return run_op(w, name, EPOLLIN | EPOLLONESHOT, op_rearm_ready, s);
}

/* ---- one MOD ---------------------------------------------------------- */

static int op_mod(struct wctx *w, struct mux *m)
{
	int err = m->ops->mod(m, w->r[0], EPOLLIN, 0);

	if (err) {
		fprintf(stderr, "mux-bench: %s: MOD: %s\n", m->ops->name,
			strerror(-err));
		return -1;
	}
	return 1;
}

static int run_mod(struct wctx *w, const char *name, struct sample *s)
{
	return run_op(w, name, EPOLLIN, op_mod, s);
}

/* ---- ctl churn --------------------------------------------------------- */

static int op_churn(struct wctx *w, struct mux *m)
{
	int j, err = 0;

	for (j = 0; j < w->nx && !err; j++)
		err = m->ops->add(m, w->xr[j], EPOLLIN, w->n + j);
	for (j = 0; j < w->nx && !err; j++)
		err = m->ops->del(m, w->xr[j]);
	if (!err && m->ops->sync)
		err = m->ops->sync(m);
	if (err) {
		fprintf(stderr, "mux-bench: %s: churn: %s\n", m->ops->name,
			strerror(-err));
		return -1;
	}
	return w->nx;
}

static int run_churn(struct wctx *w, const char *name, struct sample *s)
{
	return run_op(w, name, EPOLLIN, op_churn, s);
}

/* ---- the floor: entering the kernel, entering the module ---------------- */

static int iep_fd = -1;

static int op_syscall(struct wctx *w, struct mux *m)
{
	(void)w;
	m->calls++;
	syscall(SYS_getppid);
	return 1;
}

static int op_ioctl(struct wctx *w, struct mux *m)
{
	(void)w;
	m->calls++;
	if (ioctl(iep_fd, IEPOLL_IOC_VERSION) < 0)
		die("IEPOLL_IOC_VERSION: %s", strerror(errno));
	return 1;
}

int floor_run(struct wctx *w, const char *mux, struct sample *s)
{
	struct mux m = { .fd = -1 };
	bool ioc = !strcmp(mux, "ioctl");
	int err;

	if (ioc) {
		iep_fd = iepoll_create1(O_CLOEXEC);
		if (iep_fd < 0)
			die("open %s: %s (is the module loaded?)",
			    IEPOLL_DEVICE, strerror(errno));
	}
	err = measure(w, &m, ioc ? op_ioctl : op_syscall, s);
	if (ioc)
		close(iep_fd);
	return err;
}

static int setup_none(struct wctx *w)
{
	(void)w;
	return 0;
}

static int run_herd(struct wctx *w, const char *mux, struct sample *s)
{
	return herd_run(w, mux, s, false);
}

static int run_herd_excl(struct wctx *w, const char *mux, struct sample *s)
{
	return herd_run(w, mux, s, true);
}

#define ALL_MUXES	{ "select", "poll", "epoll", "iepoll", "io_uring" }
#define TRACE_MUXES	{ "epoll", "iepoll", "iepoll+deliver", "iepoll+all" }

const struct workload workloads[] = {
	{ "floor",
	  "a no-op syscall (getppid), a no-op ioctl (IEPOLL_IOC_VERSION); op: 1 call",
	  { 1 }, { 1 }, { "syscall", "ioctl" },
	  setup_none, teardown, floor_run },
	{ "one",
	  "one random pipe of N written, wait, read it; op: write + wait + read",
	  { 10, 100, 1000, 10000, 100000 }, { 10, 1000 }, ALL_MUXES,
	  setup_pipes, teardown, run_one },
	{ "all",
	  "all N pipes readable, level-triggered; op: one delivered event",
	  { 10, 100, 1000, 10000, 100000 }, { 100 }, ALL_MUXES,
	  setup_full_pipes, teardown, run_all },
	{ "rearm",
	  "N socket pairs, 64-byte ping-pong, EPOLLONESHOT, MOD per event; op: 1 event",
	  { 10, 100, 1000, 10000 }, { 100 }, ALL_MUXES,
	  setup_sockets, teardown, run_rearm },
	{ "echo",
	  "\"rearm\" at N = 256 and 1000: MOD per event, or one SUBMIT per loop",
	  { 256, 1000 }, { 256 }, { "epoll", "iepoll", "iepoll-submit" },
	  setup_sockets, teardown, run_rearm },
	{ "rearm-ready",
	  "N always-readable eventfds, EPOLLONESHOT, wait 64 then MOD each; op: 1 event",
	  { 256, 1000 }, { 256 }, { "epoll", "iepoll", "iepoll-submit" },
	  setup_ready_eventfds, teardown, run_rearm_ready },
	{ "mod",
	  "EPOLL_CTL_MOD of one idle pipe of N, again and again; op: one MOD",
	  { 1 }, { 1 }, { "epoll", "iepoll" },
	  setup_pipes, teardown, run_mod },
	{ "churn",
	  "64 pipes ADDed then DELeted, N others watched; op: ADD + DEL",
	  { 1000, 100000 }, { 1000 }, { "epoll", "iepoll", "io_uring" },
	  setup_churn, teardown, run_churn },
	{ "herd",
	  "N threads on one instance (poll, select, io_uring: one each), 1 byte",
	  { 2, 8, 32 }, { 4 }, ALL_MUXES,
	  setup_none, teardown, run_herd },
	{ "herd-excl",
	  "N threads, N instances with EPOLLEXCLUSIVE on one socket, 1 byte",
	  { 2, 8, 32 }, { 4 }, { "epoll", "iepoll" },
	  setup_none, teardown, run_herd_excl },
	{ "trace-one",
	  "\"one\" with the iepoll events off, iepoll_deliver on, all on",
	  { 1000 }, { 100 }, TRACE_MUXES,
	  setup_pipes, teardown, run_one },
	{ "trace-rearm",
	  "\"rearm\" with the iepoll events off, iepoll_deliver on, all on",
	  { 100 }, { 100 }, TRACE_MUXES,
	  setup_sockets, teardown, run_rearm },
	{ NULL },
};
