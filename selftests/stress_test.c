// SPDX-License-Identifier: GPL-2.0
/*
 * Threads hammer one instance for a bounded time with ADD, MOD, DEL, waits,
 * writes, dup and close (dup2 over a watched descriptor closes its file)
 * on shared descriptors.  Afterwards every count must agree: the instance's
 * statistics with what the threads did, fdinfo with the statistics, and once
 * every descriptor is closed, nothing may be left or reported.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mux.h"

#define SLOTS		8
#define THREADS		4
#define RUN_NS		2000000000LL
#define REAP_BOUND_NS	5000000000LL

struct counts {
	uint64_t add, mod, del, waits, events, bad_events, failed_waits,
		 replaced, dups;
};

struct stress {
	const struct mux_ops *ops;
	int ep;
	int slot[SLOTS];
	long long end;
};

struct worker {
	pthread_t thread;
	struct stress *s;
	unsigned int seed;
	struct counts c;
};

static unsigned int pick_events(unsigned int r)
{
	static const unsigned int modes[] = {
		0, EPOLLET, EPOLLONESHOT, EPOLLET | EPOLLONESHOT,
	};

	return EPOLLIN | modes[r % 4] | (r & 4 ? EPOLLOUT : 0);
}

static void do_wait(struct worker *w, int timeout)
{
	struct stress *s = w->s;
	struct epoll_event ev[4];
	uint64_t v;
	int n, i;

	n = s->ops->wait(s->ep, ev, 4, timeout);
	w->c.waits++;
	if (n < 0) {
		w->c.failed_waits++;
		return;
	}
	w->c.events += n;
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 >= SLOTS) {
			w->c.bad_events++;
			continue;
		}
		eventfd_read(s->slot[ev[i].data.u64], &v);
	}
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct epoll_event ev;
	int fd, nfd;

	while (now_ns() < s->end) {
		unsigned int r = rand_r(&w->seed);
		int i = (r >> 8) % SLOTS;

		fd = s->slot[i];
		ev.events = pick_events(r >> 12);
		ev.data.u64 = i;
		switch (r % 8) {
		case 0:
			w->c.add += !s->ops->ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
			break;
		case 1:
			w->c.mod += !s->ops->ctl(s->ep, EPOLL_CTL_MOD, fd, &ev);
			break;
		case 2:
			w->c.del += !s->ops->ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
			break;
		case 3:
			do_wait(w, 0);
			break;
		case 4:
			do_wait(w, 1);
			break;
		case 5:
			eventfd_write(fd, 1);
			break;
		case 6:
			/* Replace the slot's file: dup2 closes the old one. */
			nfd = eventfd(0, EFD_NONBLOCK);
			if (nfd < 0)
				break;
			if (dup2(nfd, fd) == fd)
				w->c.replaced++;
			close(nfd);
			break;
		case 7:
			/* Watch the file under a second fd, then close that fd. */
			nfd = dup(fd);
			if (nfd < 0)
				break;
			w->c.dups++;
			w->c.add += !s->ops->ctl(s->ep, EPOLL_CTL_ADD, nfd, &ev);
			eventfd_write(nfd, 1);
			close(nfd);
			break;
		}
	}
	return NULL;
}

static void sum(struct counts *t, const struct counts *c)
{
	t->add += c->add;
	t->mod += c->mod;
	t->del += c->del;
	t->waits += c->waits;
	t->events += c->events;
	t->bad_events += c->bad_events;
	t->failed_waits += c->failed_waits;
	t->replaced += c->replaced;
	t->dups += c->dups;
}

FIXTURE(stress) {
	int unused;
};

MUX_FIXTURE_VARIANTS(stress);

FIXTURE_SETUP(stress)
{
	close(MUX_CREATE(variant->ops));
}

FIXTURE_TEARDOWN(stress)
{
}

/*
 * The statistics and the item count of fdinfo, read at one moment. The
 * close of a replaced file (dup2 closed its last descriptor) removes its
 * items, possibly in a deferred fput after the workers stopped: a pair is
 * kept only when the statistics did not change across the fdinfo read.
 * Returns 0, or -1 if they never settled within about a second.
 */
static int settled_items(int ep, struct iepoll_stats *st, int *n)
{
	struct iepoll_stats again;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (iepoll_get_stats(ep, st))
			return -1;
		*n = fdinfo_items(getpid(), ep, NULL, 0);
		if (iepoll_get_stats(ep, &again))
			return -1;
		if (again.items == st->items && again.removes == st->removes)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* The operations of every worker, summed. */
#define COUNTS_FMT "%s: %llu ADD %llu MOD %llu DEL %llu waits %llu events %llu files replaced %llu dups"

TEST_F_TIMEOUT(stress, threads_sharing_fds_leave_every_count_consistent, 60)
{
	const struct mux_ops *ops = variant->ops;
	struct stress s = { .ops = ops };
	struct worker w[THREADS] = {};
	struct counts t = {};
	struct iepoll_stats st;
	struct epoll_event ev;
	long long end;
	int i, n;

	s.ep = MUX_CREATE(ops);
	for (i = 0; i < SLOTS; i++) {
		s.slot[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, s.slot[i]);
	}
	s.end = now_ns() + RUN_NS;
	for (i = 0; i < THREADS; i++) {
		w[i].s = &s;
		w[i].seed = 0x1e9011 + i;
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, worker_fn, &w[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(w[i].thread, NULL);
		sum(&t, &w[i].c);
	}
	TH_LOG(COUNTS_FMT,
	       ops->name, (unsigned long long)t.add, (unsigned long long)t.mod,
	       (unsigned long long)t.del, (unsigned long long)t.waits,
	       (unsigned long long)t.events, (unsigned long long)t.replaced,
	       (unsigned long long)t.dups);
	EXPECT_EQ(0, t.failed_waits);
	EXPECT_EQ(0, t.bad_events);
	EXPECT_LT(0, t.add);
	EXPECT_LT(0, t.events);

	if (!ops->native) {
		ASSERT_EQ(0, settled_items(s.ep, &st, &n))
			TH_LOG("the item count never held still for an fdinfo read");
		EXPECT_EQ(t.add, st.inserts);
		EXPECT_EQ(t.mod, st.modifies);
		EXPECT_LE(t.del, st.removes);
		EXPECT_EQ(st.inserts - st.removes, st.items);
		EXPECT_EQ(t.waits, st.waits);
		EXPECT_EQ(t.events, st.delivered);
		EXPECT_EQ(0, st.eintr);
		EXPECT_EQ(st.items, n) TH_LOG("fdinfo lists %d items, stats say %llu",
					      n, (unsigned long long)st.items);
	}

	/* Close every descriptor: nothing is reported, nothing stays. */
	for (i = 0; i < SLOTS; i++)
		close(s.slot[i]);
	EXPECT_EQ(0, ops->wait(s.ep, &ev, 1, 0));
	end = now_ns() + REAP_BOUND_NS;
	while ((n = fdinfo_items(getpid(), s.ep, NULL, 0)) > 0 && now_ns() < end)
		usleep(10000);
	EXPECT_EQ(0, n) TH_LOG("%d items left %lld s after every file was closed",
			       n, REAP_BOUND_NS / 1000000000LL);
	if (!ops->native) {
		ASSERT_EQ(0, iepoll_get_stats(s.ep, &st));
		EXPECT_EQ(0, st.items);
		EXPECT_EQ(st.inserts, st.removes);
	}
	close(s.ep);
}

TEST_HARNESS_MAIN
