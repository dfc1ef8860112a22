// SPDX-License-Identifier: GPL-2.0
/*
 * Races on the core's slow paths, each bounded in time and run against
 * native epoll and against /dev/iepoll:
 *
 * - callbacks that land while a long transfer is under way (epoll's
 *   overflow list), on items the transfer already passed and on items it
 *   has not reached yet, with no wakeup lost; iepoll must show in its
 *   statistics that the overflow list was used;
 * - EPOLL_CTL_MOD re-arming EPOLLONESHOT items against their callbacks;
 * - EPOLL_CTL_DEL against waits on other threads;
 * - the last close of watched files against waits (the close removes the
 *   items), and against the watch limit;
 * - nested instances closed while the outer one is waited on;
 * - a file closed while a nested ADD, sleeping on the mutex of an instance
 *   busy with long transfers, has it listed: a new file in its memory must
 *   not inherit what iepoll knew of it, and leaves no item behind at its
 *   close (as uid 65534);
 * - POLLFREE: a signalfd hooked on a child's signal handlers, freed when
 *   the child is reaped while the parent waits or transfers;
 * - an EPOLLEXCLUSIVE wakeup racing a waiter's timeout.
 *
 * A test that finds a divergence says what it saw; none sleeps for a fixed
 * time to let a race happen, each loops until a deadline instead.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mux.h"

#define MS		1000000LL
#define RUN_NS		(1500 * MS)
#define REAP_BOUND_NS	(5000 * MS)

FIXTURE(race) {
	int unused;
};

MUX_FIXTURE_VARIANTS(race);

FIXTURE_SETUP(race)
{
	close(MUX_CREATE(variant->ops));
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(race)
{
}

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int stopped(const int *stop)
{
	return __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

static void stop_now(int *stop)
{
	__atomic_store_n(stop, 1, __ATOMIC_RELEASE);
}

/* Waits until the iepoll instance watches @items items; 0 or -1. */
static int iepoll_wait_items(int ep, uint64_t items, struct iepoll_stats *st)
{
	long long end = now_ns() + REAP_BOUND_NS;

	do {
		if (iepoll_get_stats(ep, st))
			return -1;
		if (st->items == items)
			return 0;
		usleep(10000);
	} while (now_ns() < end);
	return -1;
}

/* Raises the descriptor limit so that @want descriptors fit; returns room. */
static int fd_room(int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur < (rlim_t)want + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)want + 64 ?
			      rl.rlim_max : (rlim_t)want + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > 64 ? (int)(rl.rlim_cur - 64) : 0;
}

/*
 * The last close of a watched file gives its watch back at once in epoll
 * (the item goes with the file).  A program at its watch limit that closes
 * a watched descriptor and adds a new one must not get ENOSPC.  The limit
 * is lowered for the test (the sysctl for epoll, in the VM only, and the
 * module parameter for iepoll) and restored before anything is checked.
 */
#define EPOLL_LIMIT_PATH	"/proc/sys/fs/epoll/max_user_watches"
#define IEPOLL_LIMIT_PATH	"/sys/module/iepoll/parameters/max_user_watches"
#define LIMIT			4

TEST_F(race, a_close_at_the_watch_limit_gives_the_watch_back_at_once)
{
	const struct mux_ops *ops = variant->ops;
	const char *path = ops->native ? EPOLL_LIMIT_PATH : IEPOLL_LIMIT_PATH;
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, fds[LIMIT + 1], i, added = 0, ret, err;
	long saved;

	if (ops->native && !in_guest())
		SKIP(return, "lowers the host's fs.epoll.max_user_watches: runs in the VM only");
	ep = MUX_CREATE(ops);
	for (i = 0; i <= LIMIT; i++)
		fds[i] = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, read_long(path, &saved)) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, write_long(path, LIMIT)) TH_LOG("%s: %s", path, strerror(errno));
	for (i = 0; i < LIMIT; i++)
		added += !ops->ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	close(fds[0]);
	errno = 0;
	ret = ops->ctl(ep, EPOLL_CTL_ADD, fds[LIMIT], &ev);
	err = errno;
	ASSERT_EQ(0, write_long(path, saved));
	ASSERT_EQ(LIMIT, added);
	EXPECT_EQ(0, ret)
		TH_LOG("ADD after closing a watched descriptor at the limit: %s",
		       strerrorname_np(err));
	close(ep);
	for (i = 1; i <= LIMIT; i++)
		close(fds[i]);
}

/*
 * The overflow list.  NLT level-triggered items stay ready, so every wait
 * transfers (and polls) all of them and takes long; meanwhile two threads
 * write edge-triggered probes and the level-triggered items.  A probe's
 * callback lands during a transfer before or after the transfer passed it;
 * half the waits leave part of the ready list unreached (maxevents smaller
 * than the ready count), so callbacks also hit items still waiting in the
 * transfer's private list.  Every count written to a probe must be read
 * back through a reported event.
 */
#define NLT		1000
#define NPROBE		16
#define PROBE		0x100000

struct ovf {
	const struct mux_ops *ops;
	int ep;
	int lt[NLT];
	int probe[NPROBE];
	int nlt;
	int stop;
	uint64_t written[2];
};

struct ovf_writer {
	struct ovf *o;
	int id;
};

static void *ovf_writer_fn(void *arg)
{
	struct ovf_writer *w = arg;
	struct ovf *o = w->o;
	unsigned int seed = 0x0ff + w->id, i = 0;

	while (!stopped(&o->stop)) {
		int p = (i++ * 2 + w->id) % NPROBE;

		if (eventfd_write(o->probe[p], 1) == 0)
			store(&o->written[w->id], load(&o->written[w->id]) + 1);
		eventfd_write(o->lt[rand_r(&seed) % o->nlt], 1);
		if (!(i % 8))
			sched_yield();
	}
	return NULL;
}

/* One wait; returns the count read from the probes it reported, or -1. */
static long long ovf_wait(struct ovf *o, struct epoll_event *ev, int max,
			  int timeout, int *probes, int *lt)
{
	long long got = 0;
	eventfd_t v;
	int n, i;

	n = o->ops->wait(o->ep, ev, max, timeout);
	if (n < 0)
		return -1;
	*probes = 0;
	*lt = 0;
	for (i = 0; i < n; i++) {
		uint64_t d = ev[i].data.u64;

		if (d >= PROBE && d < PROBE + NPROBE) {
			(*probes)++;
			if (eventfd_read(o->probe[d - PROBE], &v) == 0)
				got += v;
		} else if (d < (uint64_t)o->nlt) {
			(*lt)++;
		} else {
			return -1;
		}
	}
	return got;
}

TEST_F_TIMEOUT(race, callbacks_during_long_transfers_go_to_the_overflow_list, 60)
{
	const struct mux_ops *ops = variant->ops;
	struct ovf *o = calloc(1, sizeof(*o));
	struct ovf_writer w[2];
	struct epoll_event *ev;
	struct iepoll_stats st;
	long long end, got = 0, r;
	uint64_t written;
	int i, probes, lt, rounds = 0, short_lt = 0, max, left = 0;
	pthread_t th[2];
	eventfd_t v;

	ASSERT_NE(NULL, o);
	o->ops = ops;
	o->nlt = fd_room(NLT + NPROBE + 16) - NPROBE - 16;
	if (o->nlt > NLT)
		o->nlt = NLT;
	ASSERT_LT(100, o->nlt) TH_LOG("only %d descriptors allowed", o->nlt);
	ev = calloc(o->nlt + NPROBE, sizeof(*ev));
	ASSERT_NE(NULL, ev);
	o->ep = MUX_CREATE(ops);
	for (i = 0; i < o->nlt; i++) {
		o->lt[i] = eventfd(1, EFD_NONBLOCK);
		ASSERT_LE(0, o->lt[i]);
		MUX_ADD(ops, o->ep, o->lt[i], EPOLLIN, i);
	}
	for (i = 0; i < NPROBE; i++) {
		o->probe[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, o->probe[i]);
		MUX_ADD(ops, o->ep, o->probe[i], EPOLLIN | EPOLLET, PROBE + i);
	}
	for (i = 0; i < 2; i++) {
		w[i].o = o;
		w[i].id = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, ovf_writer_fn, &w[i]));
	}
	end = now_ns() + RUN_NS;
	while (now_ns() < end) {
		/* Odd rounds leave about half of the ready list unreached. */
		max = rounds & 1 ? o->nlt / 2 : o->nlt + NPROBE;
		r = ovf_wait(o, ev, max, 1000, &probes, &lt);
		ASSERT_LE(0, r) TH_LOG("round %d: wait failed or bad data: %s",
				       rounds, strerror(errno));
		got += r;
		if (max > o->nlt && lt != o->nlt)
			short_lt++;
		rounds++;
	}
	for (i = 0; i < 2; i++) {
		stop_now(&o->stop);
		pthread_join(th[i], NULL);
	}
	/* Every write is done: its callback ran, so its event is queued. */
	for (i = 0; i < 3; i++) {
		r = ovf_wait(o, ev, o->nlt + NPROBE, 0, &probes, &lt);
		ASSERT_LE(0, r);
		got += r;
	}
	for (i = 0; i < NPROBE; i++)
		if (eventfd_read(o->probe[i], &v) == 0)
			left++;
	written = load(&o->written[0]) + load(&o->written[1]);
	TH_LOG("%s: %d waits of up to %d items, %llu probe writes", ops->name,
	       rounds, o->nlt + NPROBE, (unsigned long long)written);
	EXPECT_EQ(0, left)
		TH_LOG("%d probe(s) were written and never reported", left);
	EXPECT_EQ(written, got)
		TH_LOG("written %llu, read back %lld: a wakeup was lost",
		       (unsigned long long)written, got);
	EXPECT_EQ(0, short_lt)
		TH_LOG("%d full waits missed a level-triggered item", short_lt);
	if (!ops->native) {
		ASSERT_EQ(0, iepoll_get_stats(o->ep, &st));
		TH_LOG("iepoll: %llu callbacks, %llu overflow-list uses, max_ready %llu",
		       (unsigned long long)st.callbacks,
		       (unsigned long long)st.overflows,
		       (unsigned long long)st.max_ready);
		EXPECT_LT(0, st.overflows)
			TH_LOG("no callback ever took the overflow list");
		EXPECT_LE(o->nlt, st.max_ready);
		EXPECT_GE(o->nlt + NPROBE, st.max_ready)
			TH_LOG("max_ready %llu exceeds the %d items",
			       (unsigned long long)st.max_ready,
			       o->nlt + NPROBE);
	}
	close(o->ep);
	for (i = 0; i < o->nlt; i++)
		close(o->lt[i]);
	for (i = 0; i < NPROBE; i++)
		close(o->probe[i]);
	free(ev);
	free(o);
}

/*
 * EPOLL_CTL_MOD against callbacks: one EPOLLONESHOT eventfd, a writer, a
 * thread re-arming it with MOD (changing its data) and the waiter, which
 * re-arms after each event.  Every count written must be read back.
 */
struct modr {
	const struct mux_ops *ops;
	int ep, efd;
	int stop;
	uint64_t written, mods, bad_mods;
};

static void *modr_writer(void *arg)
{
	struct modr *m = arg;

	while (!stopped(&m->stop))
		if (eventfd_write(m->efd, 1) == 0)
			store(&m->written, load(&m->written) + 1);
	return NULL;
}

static void *modr_modder(void *arg)
{
	struct modr *m = arg;
	struct epoll_event ev;
	unsigned int i = 0;

	while (!stopped(&m->stop)) {
		ev.events = EPOLLIN | EPOLLONESHOT | (i & 2 ? EPOLLRDHUP : 0);
		ev.data.u64 = 1 + (i++ & 1);
		if (m->ops->ctl(m->ep, EPOLL_CTL_MOD, m->efd, &ev))
			m->bad_mods++;
		else
			m->mods++;
	}
	return NULL;
}

TEST_F_TIMEOUT(race, mod_racing_callbacks_loses_no_oneshot_event, 60)
{
	const struct mux_ops *ops = variant->ops;
	struct modr m = { .ops = ops };
	struct epoll_event ev, arm = { .events = EPOLLIN | EPOLLONESHOT,
				       .data.u64 = 1 };
	struct iepoll_stats st;
	uint64_t got = 0, events = 0, bad = 0, mods = 0;
	long long end = now_ns() + RUN_NS;
	pthread_t th[2];
	eventfd_t v;
	int n = 0;

	m.ep = MUX_CREATE(ops);
	m.efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, m.efd);
	MUX_ADD(ops, m.ep, m.efd, EPOLLIN | EPOLLONESHOT, 1);
	ASSERT_EQ(0, pthread_create(&th[0], NULL, modr_writer, &m));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, modr_modder, &m));
	while (now_ns() < end) {
		n = ops->wait(m.ep, &ev, 1, 1000);
		if (n < 0)
			break;
		if (!n)
			continue;
		events++;
		if (ev.data.u64 != 1 && ev.data.u64 != 2)
			bad++;
		if (eventfd_read(m.efd, &v) == 0)
			got += v;
		if (ops->ctl(m.ep, EPOLL_CTL_MOD, m.efd, &arm))
			break;
		mods++;
	}
	stop_now(&m.stop);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	ASSERT_LE(0, n) TH_LOG("wait: %s", strerror(errno));
	ASSERT_EQ(0, ops->ctl(m.ep, EPOLL_CTL_MOD, m.efd, &arm));
	mods++;
	/* Re-armed after the last write: whatever is left is reported. */
	while (ops->wait(m.ep, &ev, 1, 100) == 1) {
		events++;
		if (eventfd_read(m.efd, &v) == 0)
			got += v;
		ASSERT_EQ(0, ops->ctl(m.ep, EPOLL_CTL_MOD, m.efd, &arm));
		mods++;
	}
	TH_LOG("%s: %llu events, %llu racing MODs, %llu writes", ops->name,
	       (unsigned long long)events, (unsigned long long)m.mods,
	       (unsigned long long)load(&m.written));
	EXPECT_EQ(0, m.bad_mods);
	EXPECT_EQ(0, bad) TH_LOG("%llu events carried data never set",
				 (unsigned long long)bad);
	EXPECT_LT(0, events);
	EXPECT_EQ(load(&m.written), got)
		TH_LOG("written %llu, read back %llu: a re-armed event was lost",
		       (unsigned long long)load(&m.written),
		       (unsigned long long)got);
	EXPECT_NE(0, eventfd_read(m.efd, &v)) TH_LOG("%llu left unreported",
						     (unsigned long long)v);
	if (!ops->native) {
		ASSERT_EQ(0, iepoll_get_stats(m.ep, &st));
		EXPECT_EQ(m.mods + mods, st.modifies);
		EXPECT_EQ(events, st.delivered);
		EXPECT_EQ(1, st.items);
	}
	close(m.efd);
	close(m.ep);
}

/*
 * EPOLL_CTL_DEL against waits: one thread adds and deletes always-ready
 * items, tagging each ADD with a generation; two threads wait.  A wait
 * that began after an item's DEL returned must not report that item.
 */
#define DEL_ITEMS	32

struct delr {
	const struct mux_ops *ops;
	int ep;
	int efd[DEL_ITEMS];
	uint64_t gen[DEL_ITEMS];	/* generation of the current ADD */
	uint64_t deleted[DEL_ITEMS];	/* generation last deleted */
	int stop;
	uint64_t adds, dels, ctl_errors;
};

struct delr_waiter {
	struct delr *d;
	uint64_t waits, events, stale, bad, errors;
};

static void *delr_ctl(void *arg)
{
	struct delr *d = arg;
	unsigned int seed = 0xde1;
	bool present[DEL_ITEMS] = {};
	struct epoll_event ev;

	while (!stopped(&d->stop)) {
		int i = rand_r(&seed) % DEL_ITEMS;

		if (present[i]) {
			if (d->ops->ctl(d->ep, EPOLL_CTL_DEL, d->efd[i], NULL)) {
				d->ctl_errors++;
				continue;
			}
			store(&d->deleted[i], d->gen[i]);
			present[i] = false;
			d->dels++;
		} else {
			d->gen[i]++;
			ev.events = EPOLLIN | (rand_r(&seed) & 1 ? EPOLLET : 0);
			ev.data.u64 = (d->gen[i] << 8) | i;
			if (d->ops->ctl(d->ep, EPOLL_CTL_ADD, d->efd[i], &ev)) {
				d->ctl_errors++;
				continue;
			}
			present[i] = true;
			d->adds++;
		}
	}
	for (int i = 0; i < DEL_ITEMS; i++) {
		if (!present[i])
			continue;
		if (d->ops->ctl(d->ep, EPOLL_CTL_DEL, d->efd[i], NULL))
			d->ctl_errors++;
		else
			d->dels++;
		store(&d->deleted[i], d->gen[i]);
	}
	return NULL;
}

static void *delr_wait(void *arg)
{
	struct delr_waiter *w = arg;
	struct delr *d = w->d;
	uint64_t snap[DEL_ITEMS];
	struct epoll_event ev[8];
	int i, n;

	while (!stopped(&d->stop)) {
		for (i = 0; i < DEL_ITEMS; i++)
			snap[i] = load(&d->deleted[i]);
		n = d->ops->wait(d->ep, ev, 8, 2);
		w->waits++;
		if (n < 0) {
			w->errors++;
			continue;
		}
		for (i = 0; i < n; i++) {
			uint64_t item = ev[i].data.u64 & 0xff;
			uint64_t gen = ev[i].data.u64 >> 8;

			w->events++;
			if (item >= DEL_ITEMS)
				w->bad++;
			else if (gen <= snap[item])
				w->stale++;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(race, del_racing_waits_never_reports_a_deleted_item, 60)
{
	const struct mux_ops *ops = variant->ops;
	struct delr d = { .ops = ops };
	struct delr_waiter w[2] = { { .d = &d }, { .d = &d } };
	struct iepoll_stats st;
	struct epoll_event ev;
	pthread_t th[3];
	int i;

	d.ep = MUX_CREATE(ops);
	for (i = 0; i < DEL_ITEMS; i++) {
		d.efd[i] = eventfd(1, EFD_NONBLOCK);
		ASSERT_LE(0, d.efd[i]);
	}
	ASSERT_EQ(0, pthread_create(&th[0], NULL, delr_ctl, &d));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i + 1], NULL, delr_wait, &w[i]));
	usleep(RUN_NS / 1000);
	stop_now(&d.stop);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%s: %llu ADD %llu DEL, waits %llu + %llu, events %llu + %llu",
	       ops->name, (unsigned long long)d.adds,
	       (unsigned long long)d.dels,
	       (unsigned long long)w[0].waits, (unsigned long long)w[1].waits,
	       (unsigned long long)w[0].events,
	       (unsigned long long)w[1].events);
	EXPECT_EQ(0, d.ctl_errors);
	EXPECT_EQ(d.adds, d.dels);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, w[i].errors);
		EXPECT_EQ(0, w[i].bad);
		EXPECT_EQ(0, w[i].stale)
			TH_LOG("waiter %d: %llu events of items deleted before the wait began",
			       i, (unsigned long long)w[i].stale);
	}
	EXPECT_LT(0, w[0].events + w[1].events);
	EXPECT_EQ(0, ops->wait(d.ep, &ev, 1, 0));
	if (!ops->native) {
		ASSERT_EQ(0, iepoll_get_stats(d.ep, &st));
		EXPECT_EQ(d.adds, st.inserts);
		EXPECT_EQ(d.dels, st.removes);
		EXPECT_EQ(0, st.items);
	}
	for (i = 0; i < DEL_ITEMS; i++)
		close(d.efd[i]);
	close(d.ep);
}

/*
 * A waiter that checks the tags of the events it gets: a tag no greater
 * than *@closed when the wait began names a file closed before it.
 */
struct tag_waiter {
	const struct mux_ops *ops;
	int ep;
	const uint64_t *closed;
	const int *stop;
	uint64_t events, stale, errors;
};

static void *tag_wait(void *arg)
{
	struct tag_waiter *w = arg;
	struct epoll_event ev[16];
	int i, n;

	while (!stopped(w->stop)) {
		uint64_t snap = load(w->closed);

		n = w->ops->wait(w->ep, ev, 16, 2);
		if (n < 0) {
			w->errors++;
			continue;
		}
		for (i = 0; i < n; i++) {
			w->events++;
			if (ev[i].data.u64 <= snap)
				w->stale++;
		}
	}
	return NULL;
}

/*
 * Runs @fn (which adds, tags and closes) against two tag_wait() threads on
 * @ep for RUN_NS, then checks that no wait reported a file closed before
 * it began.
 */
static void tag_race(struct __test_metadata *_metadata,
		     const struct mux_ops *ops, int ep, void *(*fn)(void *),
		     void *arg, uint64_t *closed, int *stop, const char *what)
{
	struct tag_waiter w[2];
	pthread_t th[3];
	int i;

	ASSERT_EQ(0, pthread_create(&th[0], NULL, fn, arg));
	for (i = 0; i < 2; i++) {
		w[i] = (struct tag_waiter){ .ops = ops, .ep = ep,
					    .closed = closed, .stop = stop };
		ASSERT_EQ(0, pthread_create(&th[i + 1], NULL, tag_wait, &w[i]));
	}
	usleep(RUN_NS / 1000);
	stop_now(stop);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%s: %llu tags of %s closed, %llu + %llu events", ops->name,
	       (unsigned long long)load(closed), what,
	       (unsigned long long)w[0].events, (unsigned long long)w[1].events);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, w[i].errors);
		EXPECT_EQ(0, w[i].stale)
			TH_LOG("waiter %d: %llu events of %s closed before the wait began",
			       i, (unsigned long long)w[i].stale, what);
	}
}

/*
 * The last close of watched files against waits.  A thread adds ready
 * eventfds and pipes and closes them without DEL, publishing the tag of
 * the last one closed; a wait that began after a file's close returned
 * must not report it (both forget it at its close).  The peer of each
 * pipe keeps writing to the closed read ends so that callbacks would keep
 * arriving on closed items.  At the end no item may be left, within a
 * bound that a deferred fput may take.
 */
#define CL_PIPES	8

struct closer {
	const struct mux_ops *ops;
	int ep;
	int wr[CL_PIPES];		/* write ends of pipes whose read end is closed */
	uint64_t closed;		/* tag of the last item closed */
	int stop;
	uint64_t tags, errors;
};

static void *closer_fn(void *arg)
{
	struct closer *c = arg;
	struct epoll_event ev;
	unsigned int slot = 0;
	int fd, p[2], d;

	while (!stopped(&c->stop)) {
		uint64_t tag = ++c->tags;

		if (tag & 1) {
			fd = eventfd(1, EFD_NONBLOCK);
			p[1] = -1;
		} else {
			if (pipe2(p, O_NONBLOCK)) {
				c->errors++;
				continue;
			}
			fd = p[0];
			write(p[1], "x", 1);
		}
		if (fd < 0) {
			c->errors++;
			continue;
		}
		ev.events = EPOLLIN | (tag & 2 ? EPOLLET : 0);
		ev.data.u64 = tag;
		if (c->ops->ctl(c->ep, EPOLL_CTL_ADD, fd, &ev))
			c->errors++;
		/* Sometimes through a dup, closed too. */
		d = tag % 5 ? -1 : dup(fd);
		close(fd);
		if (d >= 0)
			close(d);
		store(&c->closed, tag);
		if (p[1] >= 0) {
			slot = (slot + 1) % CL_PIPES;
			if (c->wr[slot] >= 0)
				close(c->wr[slot]);
			c->wr[slot] = p[1];
		}
		for (d = 0; d < CL_PIPES; d++)
			if (c->wr[d] >= 0)
				write(c->wr[d], "y", 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, a_file_closed_before_a_wait_is_never_reported_by_it, 60)
{
	const struct mux_ops *ops = variant->ops;
	struct closer c = { .ops = ops };
	struct iepoll_stats st;
	struct epoll_event ev;
	int i;

	for (i = 0; i < CL_PIPES; i++)
		c.wr[i] = -1;
	c.ep = MUX_CREATE(ops);
	tag_race(_metadata, ops, c.ep, closer_fn, &c, &c.closed, &c.stop,
		 "files");
	EXPECT_EQ(0, c.errors);
	EXPECT_EQ(0, ops->wait(c.ep, &ev, 1, 0))
		TH_LOG("reported tag %llu after every file was closed",
		       (unsigned long long)ev.data.u64);
	if (!ops->native) {
		EXPECT_EQ(0, iepoll_wait_items(c.ep, 0, &st))
			TH_LOG("%llu items of closed files left after %lld ms",
			       (unsigned long long)st.items, REAP_BOUND_NS / MS);
		EXPECT_EQ(c.tags - c.errors, st.inserts);
		EXPECT_EQ(st.inserts, st.removes);
	}
	for (i = 0; i < CL_PIPES; i++)
		if (c.wr[i] >= 0)
			close(c.wr[i]);
	close(c.ep);
}

/*
 * Nested instances closed while the outer one is waited on.  A thread
 * builds an inner instance watching an eventfd, adds it to the outer one
 * and closes the inner instance's descriptor (the eventfd stays open and
 * is written on, so wakeups still climb from the closed inner instance);
 * waiters on the outer instance must never report an inner instance closed
 * before their wait began.  At the end every inner instance must be gone.
 */
#define NEST_EFDS	8

struct nest {
	const struct mux_ops *ops;
	int outer;
	int efd[NEST_EFDS];
	uint64_t closed;
	int stop;
	uint64_t tags, errors;
};

static void *nest_builder(void *arg)
{
	struct nest *n = arg;
	struct epoll_event ev;
	unsigned int slot = 0;

	while (!stopped(&n->stop)) {
		uint64_t tag = ++n->tags;
		int inner = n->ops->create1(0), i;

		if (inner < 0) {
			n->errors++;
			continue;
		}
		slot = (slot + 1) % NEST_EFDS;
		ev.events = EPOLLIN | (tag & 1 ? EPOLLET : 0);
		ev.data.u64 = tag;
		if (n->ops->ctl(inner, EPOLL_CTL_ADD, n->efd[slot], &ev) ||
		    n->ops->ctl(n->outer, EPOLL_CTL_ADD, inner, &ev))
			n->errors++;
		close(inner);
		store(&n->closed, tag);
		for (i = 0; i < NEST_EFDS; i++)
			eventfd_write(n->efd[i], 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, nested_instances_closed_while_the_outer_one_waits, 60)
{
	const struct mux_ops *ops = variant->ops;
	struct nest n = { .ops = ops };
	long before = -1, after = -1;
	struct iepoll_stats st;
	struct epoll_event ev;
	long long end;
	int i;

	n.outer = MUX_CREATE(ops);
	if (!ops->native)
		before = iepoll_debugfs_instances();
	for (i = 0; i < NEST_EFDS; i++) {
		n.efd[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, n.efd[i]);
	}
	tag_race(_metadata, ops, n.outer, nest_builder, &n, &n.closed,
		 &n.stop, "inner instances");
	EXPECT_EQ(0, n.errors);
	for (i = 0; i < NEST_EFDS; i++)
		eventfd_write(n.efd[i], 1);
	EXPECT_EQ(0, ops->wait(n.outer, &ev, 1, 0));
	if (!ops->native) {
		EXPECT_EQ(0, iepoll_wait_items(n.outer, 0, &st))
			TH_LOG("%llu closed inner instances still watched",
			       (unsigned long long)st.items);
		/* Inner instances are released by their (deferred) last fput. */
		end = now_ns() + REAP_BOUND_NS;
		do {
			after = iepoll_debugfs_instances();
			if (after <= before)
				break;
			usleep(10000);
		} while (before >= 0 && now_ns() < end);
		if (before < 0)
			TH_LOG("no %s: the count of instances is not checked",
			       IEPOLL_DEBUGFS_STATS);
		EXPECT_GE(before, after)
			TH_LOG("instances: %ld before, %ld after every inner one was closed",
			       before, after);
	}
	close(n.outer);
	for (i = 0; i < NEST_EFDS; i++)
		close(n.efd[i]);
}

/*
 * A file closed while a nested ADD has it listed.  An ADD that nests
 * instances (here the target T is an instance) walks the tree below the
 * target and keeps every plain file it meets there listed until the ADD is
 * done, which is after it has taken the mutex of the instance added to (P)
 * again.  P has thousands of ready items and a thread that keeps waiting
 * on it, so its mutex is held by long transfers and the ADD sleeps there
 * with T's eventfd X listed.  T watches a thousand more eventfds, so that
 * the walk lasts long enough for the next transfer to take P's mutex
 * before the ADD takes it back.  Meanwhile X is closed, and fresh
 * eventfds, one of which may get X's struct file memory (at once on 6.12,
 * whose files are SLAB_TYPESAFE_BY_RCU; after an RCU grace period before
 * it), are added to a third instance Q until the ADD returns, and closed:
 * Q must then have no item, as it always has with epoll.  Each round
 * starts one nested ADD and closes X at another point of it.  Nothing of
 * this needs a privilege, so it runs as uid 65534, in a child whose exit
 * status says what it saw.
 */
#define NOBODY		65534
#define STALE_READY	20000
#define STALE_BATCH	64
#define STALE_HELPED	32
#define STALE_FILES	256
#define STALE_BALLAST	1000
#define STALE_FDS	(STALE_READY + STALE_BALLAST + STALE_FILES + 16)
#define STALE_NS	(5000 * MS)
#define STALE_SWEEP	8

enum stale_exit {
	STALE_PASS,
	STALE_LEFT_IN_Q,
	STALE_LEFT_IN_T,
	STALE_NO_ROUND,
	STALE_SETUID = 100,
	STALE_SETUP,
	STALE_THREAD,
	STALE_RACE_ERROR,
	STALE_FDINFO,
};

static const char *stale_exit_what(int code)
{
	switch (code) {
	case STALE_PASS:
		return "no item was left behind";
	case STALE_LEFT_IN_Q:
		return "Q kept an item after every file it watched was closed";
	case STALE_LEFT_IN_T:
		return "T did not watch just its other eventfds after X's close";
	case STALE_NO_ROUND:
		return "no round ran before the deadline";
	case STALE_SETUID:
		return "setgroups/setresgid/setresuid failed";
	case STALE_SETUP:
		return "creating the instances, eventfds or items failed";
	case STALE_THREAD:
		return "a thread could not be started";
	case STALE_RACE_ERROR:
		return "a wait, nested ADD/DEL or batch ADD failed during the race";
	case STALE_FDINFO:
		return "an fdinfo or the statistics could not be read";
	}
	return "unknown exit status";
}

struct stale {
	const struct mux_ops *ops;
	int p, t, q;
	int nready;
	int cpu[2];		/* the main thread's; the other threads' */
	int stop;
	uint64_t finished;	/* nested ADDs returned */
	uint64_t add_ns;	/* how long they took */
	uint64_t waits, events, wait_ns;
	int wait_err, nest_err;
	int batch_errors;
	int batch[STALE_FILES];
	pthread_barrier_t nest_go, nest_done;
	sem_t go, added;	/* the helper starts without holding main up */
};

static int pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void add_to(uint64_t *p, uint64_t v)
{
	__atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}

/*
 * Keeps P's mutex busy: every wait transfers all of P's ready items.  On
 * the other CPU than the main thread's, which a transfer does not give up
 * until it is done.
 */
static void *stale_waiter(void *arg)
{
	struct stale *s = arg;
	struct epoll_event *ev = calloc(s->nready + 1, sizeof(*ev));
	long long t0;
	int n;

	if (!ev) {
		s->wait_err = ENOMEM;
		return NULL;
	}
	pin_to(s->cpu[1]);
	while (!stopped(&s->stop)) {
		t0 = now_ns();
		n = s->ops->wait(s->p, ev, s->nready + 1, 100);
		add_to(&s->wait_ns, now_ns() - t0);
		if (n < 0 && errno != EINTR) {
			s->wait_err = errno;
			break;
		}
		add_to(&s->waits, 1);
		add_to(&s->events, n > 0 ? n : 0);
	}
	free(ev);
	return NULL;
}

/*
 * The nested ADD, T into P, then out again: once a round, when the main
 * thread says so (a nester that never stops would keep P's mutex to itself
 * instead of the transfers).
 */
static void *stale_nester(void *arg)
{
	struct stale *s = arg;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ~0ULL };
	long long t0;

	for (;;) {
		pthread_barrier_wait(&s->nest_go);
		if (stopped(&s->stop))
			break;
		t0 = now_ns();
		if (s->ops->ctl(s->p, EPOLL_CTL_ADD, s->t, &ev)) {
			s->nest_err = errno;
		} else {
			store(&s->add_ns, load(&s->add_ns) + now_ns() - t0);
			store(&s->finished, load(&s->finished) + 1);
			if (s->ops->ctl(s->p, EPOLL_CTL_DEL, s->t, NULL))
				s->nest_err = errno;
		}
		pthread_barrier_wait(&s->nest_done);
	}
	return NULL;
}

/*
 * Fresh eventfds @from on, each watched by Q: @to - @from of them, or
 * only @least once the nested ADD begun after @done returned.  Returns
 * where it stopped.
 */
static int stale_fill(struct stale *s, int from, int least, int to,
		      uint64_t done)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int i;

	for (i = from; i < to; i++) {
		if (i >= from + least && load(&s->finished) != done)
			break;
		s->batch[i] = eventfd(0, EFD_NONBLOCK);
		ev.data.u64 = i;
		if (s->batch[i] < 0 ||
		    s->ops->ctl(s->q, EPOLL_CTL_ADD, s->batch[i], &ev))
			__atomic_add_fetch(&s->batch_errors, 1, __ATOMIC_RELAXED);
	}
	return i;
}

/* Makes STALE_HELPED of each round's fresh files, from the other CPU's caches. */
static void *stale_helper(void *arg)
{
	struct stale *s = arg;

	pin_to(s->cpu[1]);
	for (;;) {
		sem_wait(&s->go);
		if (stopped(&s->stop))
			break;
		stale_fill(s, 0, STALE_HELPED, STALE_HELPED, 0);
		sem_post(&s->added);
	}
	return NULL;
}

/* Before 6.12 a closed file's memory is freed after an RCU grace period. */
static bool files_freed_after_rcu(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major < 6 || (major == 6 && minor < 12);
}

/*
 * MEMBARRIER_CMD_GLOBAL is synchronize_rcu() with more than one CPU; the
 * callbacks queued before it on this CPU (the closed file's) have run when
 * it returns, the short sleep is for callbacks queued elsewhere.
 */
static void rcu_grace_period(void)
{
	struct timespec ts = { .tv_nsec = 1000000 };

	syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	nanosleep(&ts, NULL);
}

/* The items of @ep: fdinfo's tfd lines, and iepoll's statistics. */
static int stale_items(const struct mux_ops *ops, int ep,
		       struct fdinfo_item *it, int *listed,
		       unsigned long long *counted)
{
	struct iepoll_stats st;

	it->tfd = -1;
	it->data = 0;
	*listed = fdinfo_items(getpid(), ep, it, 1);
	*counted = 0;
	if (*listed < 0)
		return -1;
	if (ops->native)
		return 0;
	if (iepoll_get_stats(ep, &st))
		return -1;
	*counted = st.items;
	return 0;
}

struct stale_count {
	int rounds;
	int inside;	/* X closed while the round's nested ADD ran */
	int fitted;	/* ... and the fresh files added before it returned */
	long long rcu_ns, batch_ns, files;
};

/* One round; returns an enum stale_exit. */
static int stale_round(struct __test_metadata *_metadata, struct stale *s,
		       struct stale_count *c, bool rcu)
{
	const struct mux_ops *ops = s->ops;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = c->rounds };
	int x, i, n, listed, round = c->rounds, ret = STALE_PASS;
	unsigned long long counted;
	struct fdinfo_item it;
	long long t0, delay;
	uint64_t done;

	x = eventfd(0, EFD_NONBLOCK);
	if (x < 0 || ops->ctl(s->t, EPOLL_CTL_ADD, x, &ev)) {
		TH_LOG("round %d: X into T: expected 0, got %s", round,
		       strerror(errno));
		return STALE_SETUP;
	}
	/*
	 * The nested ADD waits for P's mutex, checks T (listing X) and waits
	 * for P's mutex again: X is closed at another point of it each
	 * round, from its start to the end of an ADD of average length.
	 */
	done = load(&s->finished);
	delay = done ? load(&s->add_ns) / done : 0;
	delay = delay * (round % STALE_SWEEP) / STALE_SWEEP;
	pthread_barrier_wait(&s->nest_go);
	t0 = now_ns();
	while (now_ns() - t0 < delay)
		sched_yield();
	close(x);
	c->inside += load(&s->finished) == done;

	/* Fresh files, one of them maybe in X's memory, watched by Q. */
	t0 = now_ns();
	if (rcu)
		rcu_grace_period();
	c->rcu_ns += now_ns() - t0;
	sem_post(&s->go);
	n = stale_fill(s, STALE_HELPED, STALE_BATCH - STALE_HELPED,
		       STALE_FILES, done);
	c->fitted += load(&s->finished) == done;
	sem_wait(&s->added);
	c->batch_ns += now_ns() - t0;
	c->files += n;

	if (stale_items(ops, s->t, &it, &listed, &counted)) {
		ret = STALE_FDINFO;
	} else if (listed != STALE_BALLAST ||
		   (!ops->native && counted != STALE_BALLAST)) {
		TH_LOG("round %d: X closed: expected T to watch %d eventfds, got %d in its fdinfo",
		       round, STALE_BALLAST, listed);
		if (!ops->native)
			TH_LOG("round %d: and %llu in its statistics", round,
			       counted);
		ret = STALE_LEFT_IN_T;
	}
	for (i = 0; i < n; i++)
		if (s->batch[i] >= 0)
			close(s->batch[i]);
	if (ret)
		goto out;
	if (__atomic_load_n(&s->batch_errors, __ATOMIC_RELAXED)) {
		TH_LOG("round %d: %d fresh eventfds could not be made or added to Q",
		       round, s->batch_errors);
		ret = STALE_RACE_ERROR;
		goto out;
	}
	if (stale_items(ops, s->q, &it, &listed, &counted)) {
		ret = STALE_FDINFO;
		goto out;
	}
	if (listed || counted) {
		TH_LOG("round %d: %d fresh eventfds added to Q and closed: %s",
		       round, n, "expected Q to watch nothing");
		TH_LOG("round %d: got %d item(s) in its fdinfo (first: tfd %d data %llu)",
		       round, listed, it.tfd, it.data);
		if (!ops->native)
			TH_LOG("round %d: and %llu in its statistics", round,
			       counted);
		ret = STALE_LEFT_IN_Q;
	}
out:
	pthread_barrier_wait(&s->nest_done);
	if (!ret && s->nest_err)
		ret = STALE_RACE_ERROR;
	return ret;
}

/* The body, as uid NOBODY; returns an enum stale_exit. */
static int stale_child(struct __test_metadata *_metadata,
		       const struct mux_ops *ops)
{
	void *(*fn[3])(void *) = { stale_helper, stale_nester, stale_waiter };
	struct stale *s = calloc(1, sizeof(*s));
	bool rcu = files_freed_after_rcu();
	struct stale_count c = { 0 };
	int i, room, ret = STALE_PASS, nth;
	long long start = now_ns(), end;
	pthread_t th[3];
	cpu_set_t set;

	if (!s)
		return STALE_SETUP;
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY)) {
		TH_LOG("uid %d: %s", NOBODY, strerror(errno));
		return STALE_SETUID;
	}
	s->ops = ops;
	room = fd_room(STALE_FDS);
	s->nready = room - STALE_BALLAST - STALE_FILES - 16;
	if (s->nready > STALE_READY)
		s->nready = STALE_READY;
	if (s->nready < 500) {
		TH_LOG("expected room for %d descriptors, got %d", STALE_FDS,
		       room);
		return STALE_SETUP;
	}
	s->p = ops->create1(0);
	s->t = ops->create1(0);
	s->q = ops->create1(0);
	if (s->p < 0 || s->t < 0 || s->q < 0) {
		TH_LOG("%s instances: %s", ops->name, strerror(errno));
		return STALE_SETUP;
	}
	for (i = 0; i < s->nready + STALE_BALLAST; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
		int fd = eventfd(i < s->nready, EFD_NONBLOCK);

		if (fd < 0 ||
		    ops->ctl(i < s->nready ? s->p : s->t, EPOLL_CTL_ADD, fd, &ev)) {
			TH_LOG("item %d of %d: %s", i, s->nready + STALE_BALLAST,
			       strerror(errno));
			return STALE_SETUP;
		}
	}
	/* The main thread on one CPU, the waiter and the helper on another. */
	s->cpu[0] = -1;
	s->cpu[1] = -1;
	if (!sched_getaffinity(0, sizeof(set), &set))
		for (i = 0; i < CPU_SETSIZE && s->cpu[1] < 0; i++)
			if (CPU_ISSET(i, &set))
				s->cpu[s->cpu[0] < 0 ? 0 : 1] = i;
	pthread_barrier_init(&s->nest_go, NULL, 2);
	pthread_barrier_init(&s->nest_done, NULL, 2);
	sem_init(&s->go, 0, 0);
	sem_init(&s->added, 0, 0);
	/* The helper and the nester first: released from barriers at the end. */
	for (nth = 0; nth < 3; nth++)
		if (pthread_create(&th[nth], NULL, fn[nth], s))
			break;
	if (nth < 3) {
		ret = STALE_THREAD;
		goto out;
	}
	pin_to(s->cpu[0]);
	start = now_ns();
	end = start + STALE_NS;
	while (!ret && now_ns() < end) {
		ret = stale_round(_metadata, s, &c, rcu);
		c.rounds += !ret;
	}
out:
	stop_now(&s->stop);
	if (nth > 0)
		sem_post(&s->go);
	if (nth > 1)
		pthread_barrier_wait(&s->nest_go);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	i = c.rounds ? c.rounds : 1;
	TH_LOG("%s, uid %d: %d rounds in %lld ms; X closed in the nested ADD in %d,",
	       ops->name, NOBODY, c.rounds, (now_ns() - start) / MS, c.inside);
	TH_LOG("%s: and the fresh files added before it returned in %d", ops->name,
	       c.fitted);
	TH_LOG("%s: %lld fresh files a round, added %lld us after X's close (RCU: %lld us)",
	       ops->name, c.files / i, c.batch_ns / i / 1000, c.rcu_ns / i / 1000);
	TH_LOG("%s: nested ADDs took %lld us on average; %llu waits of %d items, %lld us each",
	       ops->name,
	       s->finished ? (long long)(s->add_ns / s->finished / 1000) : 0,
	       (unsigned long long)s->waits, s->nready,
	       s->waits ? (long long)(s->wait_ns / s->waits / 1000) : 0);
	if (ret)
		return ret;
	if (s->wait_err || s->nest_err) {
		TH_LOG("expected no failure, got wait: %s, nested ADD/DEL: %s",
		       s->wait_err ? strerrorname_np(s->wait_err) : "0",
		       s->nest_err ? strerrorname_np(s->nest_err) : "0");
		return STALE_RACE_ERROR;
	}
	return c.rounds ? STALE_PASS : STALE_NO_ROUND;
}

TEST_F_TIMEOUT(race, a_file_closed_during_a_nested_add_leaves_no_item_behind, 120)
{
	struct rlimit rl;
	int status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "drops to uid %d: needs root", NOBODY);
	/* Room for the descriptors; the child raises its soft limit to it. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max < STALE_FDS + 64) {
		rl.rlim_max = STALE_FDS + 64;
		EXPECT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl))
			TH_LOG("RLIMIT_NOFILE hard limit %d: %s", STALE_FDS + 64,
			       strerror(errno));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(stale_child(_metadata, variant->ops));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFSIGNALED(status))
		TH_LOG("uid %d: expected an exit, got signal %s",
		       NOBODY, strsignal(WTERMSIG(status)));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(STALE_PASS, WEXITSTATUS(status))
		TH_LOG("uid %d: expected exit %d (%s), got %d: %s", NOBODY,
		       STALE_PASS, stale_exit_what(STALE_PASS),
		       WEXITSTATUS(status),
		       stale_exit_what(WEXITSTATUS(status)));
}

/*
 * POLLFREE.  A child adds a signalfd to the shared instance, so the item
 * hooks the child's signal handlers; reaping the child frees them and wakes
 * the item with POLLFREE.  First while a thread of the parent is blocked in
 * a wait, then while it loops through transfers (a level-triggered item
 * keeps it busy).  The instance must stay usable: the signalfd reports a
 * signal of the parent after a MOD polls it again, and DEL, the next ADD
 * and the final close must not touch the freed queue.
 */
#define PF_ROUNDS	12

struct pf {
	const struct mux_ops *ops;
	int ep, kick, busy_fd;
	int stop, busy;
	int tid;
	uint64_t waits, sfd_events, errors;
};

static void *pf_waiter(void *arg)
{
	struct pf *p = arg;
	struct epoll_event ev[4];
	int n, i;

	__atomic_store_n(&p->tid, mux_gettid(), __ATOMIC_RELEASE);
	while (!stopped(&p->stop)) {
		n = p->ops->wait(p->ep, ev, 4, p->busy ? 0 : 2000);
		p->waits++;
		if (n < 0) {
			p->errors++;
			continue;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == 2)
				p->sfd_events++;
			else if (ev[i].data.u64 == 1)
				eventfd_read(p->kick, &(eventfd_t){0});
		}
	}
	return NULL;
}

static int pf_child(const struct mux_ops *ops, int ep, int sfd, int ready,
		    int go)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 2 };
	char c = 0;

	if (ops->ctl(ep, EPOLL_CTL_ADD, sfd, &ev))
		return 1;
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		return 2;
	return 0;
}

TEST_F_TIMEOUT(race, pollfree_of_a_signalfd_while_the_parent_waits, 60)
{
	const struct mux_ops *ops = variant->ops;
	struct pf p = { .ops = ops };
	struct iepoll_stats st0, st1;
	struct signalfd_siginfo si;
	struct epoll_event ev;
	int sfd, ready[2], go[2], status, round, bad_callbacks = 0;
	long long end;
	pthread_t th;
	pid_t pid;
	char c;

	sfd = MUX_SIGNALFD(SIGUSR2);
	p.ep = MUX_CREATE(ops);
	p.kick = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, p.kick);
	MUX_ADD(ops, p.ep, p.kick, EPOLLIN, 1);
	p.busy_fd = eventfd(1, EFD_NONBLOCK);
	ASSERT_LE(0, p.busy_fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, pf_waiter, &p));
	while (!__atomic_load_n(&p.tid, __ATOMIC_ACQUIRE))
		usleep(1000);

	for (round = 0; round < PF_ROUNDS; round++) {
		if (round == PF_ROUNDS / 2) {
			/* Second half: the waiter transfers all the time. */
			p.busy = 1;
			eventfd_write(p.kick, 1);
			MUX_ADD(ops, p.ep, p.busy_fd, EPOLLIN, 3);
		}
		ASSERT_EQ(0, pipe(ready));
		ASSERT_EQ(0, pipe(go));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(ready[0]);
			close(go[1]);
			_exit(pf_child(ops, p.ep, sfd, ready[1], go[0]));
		}
		close(ready[1]);
		close(go[0]);
		ASSERT_EQ(1, read(ready[0], &c, 1))
			TH_LOG("round %d: the child could not add the signalfd", round);
		if (!p.busy)
			ASSERT_EQ(0, task_wait_sleeping(p.tid, 5000));
		if (!ops->native)
			ASSERT_EQ(0, iepoll_get_stats(p.ep, &st0));
		/* The child exits; reaping it frees its sighand: POLLFREE. */
		ASSERT_EQ(1, write(go[1], &c, 1));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, status);
		if (!ops->native) {
			ASSERT_EQ(0, iepoll_get_stats(p.ep, &st1));
			/* POLLFREE ran the callback of the signalfd item. */
			if (st1.callbacks <= st0.callbacks)
				bad_callbacks++;
		}
		close(ready[0]);
		close(go[1]);
		/* A signal of ours: seen once a MOD polls in our context. */
		ASSERT_EQ(0, kill(getpid(), SIGUSR2));
		ev.events = EPOLLIN;
		ev.data.u64 = 2;
		ASSERT_EQ(0, ops->ctl(p.ep, EPOLL_CTL_MOD, sfd, &ev));
		end = now_ns() + 2000 * MS;
		while (!p.sfd_events && now_ns() < end)
			usleep(1000);
		EXPECT_LT(0, p.sfd_events)
			TH_LOG("round %d: the pending signal was not reported",
			       round);
		p.sfd_events = 0;
		ASSERT_EQ(sizeof(si), read(sfd, &si, sizeof(si)));
		ASSERT_EQ(0, ops->ctl(p.ep, EPOLL_CTL_DEL, sfd, NULL));
	}
	stop_now(&p.stop);
	eventfd_write(p.kick, 1);
	pthread_join(th, NULL);
	EXPECT_EQ(0, p.errors);
	EXPECT_EQ(0, bad_callbacks)
		TH_LOG("%d rounds without a callback on the reaping", bad_callbacks);
	TH_LOG("%s: %d children reaped, %llu waits", ops->name, PF_ROUNDS,
	       (unsigned long long)p.waits);
	close(p.ep);
	close(p.kick);
	close(p.busy_fd);
	close(sfd);
}

/*
 * EPOLLEXCLUSIVE against a timeout.  Two instances watch one eventfd with
 * EPOLLEXCLUSIVE; a thread waits on the first with a 3 ms timeout, another
 * on the second, and the eventfd is written around the first one's
 * timeout.  The wakeup goes to the first instance's waiter only (the
 * exclusive hook stops there), so that waiter must either take the event
 * or have left the queue before the wakeup, letting it reach the second
 * instance: never may both return empty-handed with the event still ready.
 * epoll guarantees this by removing a waiter from the queue on every
 * wakeup, even one that finds it already running.
 */
struct excl {
	const struct mux_ops *ops;
	int ep[2], efd, done;
	int delay_us;
	int got[2];
};

static void *excl_writer(void *arg)
{
	struct excl *x = arg;

	usleep(x->delay_us);
	eventfd_write(x->efd, 1);
	return NULL;
}

static void *excl_timed(void *arg)
{
	struct excl *x = arg;
	struct epoll_event ev;

	x->got[0] = x->ops->wait(x->ep[0], &ev, 1, 3);
	/* We took the event: release the other waiter. */
	if (x->got[0] == 1)
		eventfd_write(x->done, 1);
	return NULL;
}

static void *excl_blocking(void *arg)
{
	struct excl *x = arg;
	struct epoll_event ev[2];
	int n, i;

	x->got[1] = 0;
	n = x->ops->wait(x->ep[1], ev, 2, 1000);
	for (i = 0; i < n; i++)
		if (ev[i].data.u64 == 0)
			x->got[1] = 1;
	return NULL;
}

TEST_F_TIMEOUT(race, an_exclusive_wakeup_racing_a_timeout_is_never_lost, 60)
{
	void *(*fns[3])(void *) = { excl_blocking, excl_timed, excl_writer };
	const struct mux_ops *ops = variant->ops;
	struct excl x = { .ops = ops };
	long long end = now_ns() + 3000 * MS;
	struct epoll_event ev;
	int i, j, lost = 0, first = 0, second = 0;
	pthread_t th[3];
	eventfd_t v;

	x.efd = eventfd(0, EFD_NONBLOCK);
	x.done = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, x.efd);
	ASSERT_LE(0, x.done);
	for (i = 0; i < 2; i++) {
		x.ep[i] = MUX_CREATE(ops);
		MUX_ADD(ops, x.ep[i], x.efd, EPOLLIN | EPOLLEXCLUSIVE, 0);
	}
	MUX_ADD(ops, x.ep[1], x.done, EPOLLIN, 1);

	for (i = 0; i < 600 && now_ns() < end && !lost; i++) {
		/* Sweep the write across the timeout: 2.8 ms to 3.3 ms. */
		x.delay_us = 2800 + (i * 10) % 500;
		for (j = 0; j < 3; j++)
			ASSERT_EQ(0, pthread_create(&th[j], NULL, fns[j], &x));
		for (j = 0; j < 3; j++)
			ASSERT_EQ(0, pthread_join(th[j], NULL));
		if (x.got[0] == 1)
			first++;
		else if (x.got[1])
			second++;
		else if (ops->wait(x.ep[0], &ev, 1, 0) == 1)
			lost++;
		eventfd_read(x.efd, &v);
		eventfd_read(x.done, &v);
		while (ops->wait(x.ep[0], &ev, 1, 0) > 0 ||
		       ops->wait(x.ep[1], &ev, 1, 0) > 0)
			;
	}
	TH_LOG("%s: %d rounds: first waiter %d, second %d, neither %d",
	       ops->name, i, first, second, lost);
	EXPECT_EQ(0, lost)
		TH_LOG("the timed-out waiter took the exclusive wakeup but not the event,%s",
		       " which stayed ready on its instance while the other slept");
	close(x.ep[0]);
	close(x.ep[1]);
	close(x.efd);
	close(x.done);
}

TEST_HARNESS_MAIN
