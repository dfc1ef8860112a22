// SPDX-License-Identifier: GPL-2.0
/*
 * Who wakes up, following the categories of upstream's epoll_wakeup_test in
 * tools/testing/selftests/filesystems/epoll/: level and edge trigger seen
 * through a wait and through poll on the instance, one and two sockets, two
 * threads on one instance, instances nested two and three levels deep with
 * waiters on each level, EPOLLEXCLUSIVE, an instance inside poll/select/real
 * epoll, and the wakeup races, each run against native epoll and against
 * /dev/iepoll.
 *
 * A waiter is a thread blocked in a wait (EW) or in poll(2) on the instance
 * followed by a non-blocking wait (PW), polling again if another waiter
 * took the events first.  The main thread writes only once every waiter
 * sleeps, and interrupts the waiters still asleep after the wakeups
 * settled, so no test depends on a sleep being long enough.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mux.h"

#define LT	0
#define ET	EPOLLET
#define EW	1
#define PW	2
#define MAX_INST	4
#define MAX_WAITERS	3
#define SETTLE_MS	100

FIXTURE(wakeup) {
	int unused;
};

MUX_FIXTURE_VARIANTS(wakeup);

FIXTURE_SETUP(wakeup)
{
	int ep = MUX_CREATE(variant->ops);

	close(ep);
	ASSERT_EQ(0, install_handler(SIGUSR1, 0));
}

FIXTURE_TEARDOWN(wakeup)
{
}

/*
 * Instance i is watched by instance parent[i] (-1: nobody) with trigger
 * trig[i]; socket j is watched by instance sock_parent[j] with sock_trig[j].
 * After the write, the set of woken waiters must hold @must and count
 * between @lo and @hi.
 */
struct topo {
	int ninst;
	int parent[MAX_INST];
	unsigned int trig[MAX_INST];
	int nsock;
	int sock_parent[2];
	unsigned int sock_trig[2];
	int nwait;
	int wait_inst[MAX_WAITERS];
	int wait_kind[MAX_WAITERS];
	int maxevents;
	unsigned int must;
	int lo, hi;
};

struct waiter {
	pthread_t thread;
	const struct mux_ops *ops;
	int ep, kind, maxevents;
	pid_t tid;
	int woken;
	int empty;		/* polls that found the instance drained */
};

/* Flags shared with the threads: a store is seen by the loads after it. */
static int get_flag(const int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void set_flag(int *flag, int val)
{
	__atomic_store_n(flag, val, __ATOMIC_RELEASE);
}

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev[2];
	struct pollfd pfd = { .fd = w->ep, .events = POLLIN };

	__atomic_store_n(&w->tid, mux_gettid(), __ATOMIC_RELEASE);
	if (w->kind == EW) {
		if (w->ops->wait(w->ep, ev, w->maxevents, -1) > 0)
			set_flag(&w->woken, 1);
	} else {
		/* A poller that finds nothing left polls again. */
		while (poll(&pfd, 1, -1) > 0) {
			if (w->ops->wait(w->ep, ev, w->maxevents, 0) > 0) {
				set_flag(&w->woken, 1);
				break;
			}
			w->empty++;
		}
	}
	return NULL;
}

static int count_woken(struct waiter *w, int n, unsigned int *mask)
{
	int i, c = 0;

	*mask = 0;
	for (i = 0; i < n; i++) {
		if (get_flag(&w[i].woken)) {
			*mask |= 1U << i;
			c++;
		}
	}
	return c;
}

/* Too few woken: did the pollers find the instance drained? */
#define TOO_FEW_FMT "expected at least %d woken waiters, got %d (mask %#x, empty polls %d %d %d)"

static void run_topo(struct __test_metadata *_metadata,
		     const struct mux_ops *ops, const struct topo *t)
{
	struct waiter w[MAX_WAITERS] = {};
	int ep[MAX_INST], sv[2][2], i, woken = 0;
	unsigned int mask;
	long long end;

	for (i = 0; i < t->ninst; i++)
		ep[i] = MUX_CREATE(ops);
	for (i = 0; i < t->nsock; i++) {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]));
		MUX_ADD(ops, ep[t->sock_parent[i]], sv[i][0],
			EPOLLIN | t->sock_trig[i], i);
	}
	for (i = t->ninst - 1; i >= 0; i--)
		if (t->parent[i] >= 0)
			MUX_ADD(ops, ep[t->parent[i]], ep[i],
				EPOLLIN | t->trig[i], 100 + i);

	for (i = 0; i < t->nwait; i++) {
		w[i].ops = ops;
		w[i].ep = ep[t->wait_inst[i]];
		w[i].kind = t->wait_kind[i];
		w[i].maxevents = t->maxevents ?: 1;
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, waiter_fn, &w[i]));
	}
	for (i = 0; i < t->nwait; i++) {
		while (!__atomic_load_n(&w[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		ASSERT_EQ(0, task_wait_sleeping(w[i].tid, 5000))
			TH_LOG("waiter %d never went to sleep", i);
	}

	for (i = 0; i < t->nsock; i++)
		ASSERT_EQ(1, write(sv[i][1], "w", 1));

	end = now_ns() + 3000000000LL;
	while (count_woken(w, t->nwait, &mask) < t->lo && now_ns() < end)
		usleep(1000);
	usleep(SETTLE_MS * 1000);
	woken = count_woken(w, t->nwait, &mask);

	for (i = 0; i < t->nwait; i++) {
		pthread_kill(w[i].thread, SIGUSR1);
		pthread_join(w[i].thread, NULL);
	}

	EXPECT_EQ(t->must, mask & t->must)
		TH_LOG("woken waiters %#x must include %#x", mask, t->must);
	EXPECT_LE(t->lo, woken)
		TH_LOG(TOO_FEW_FMT,
		       t->lo, woken, mask, w[0].empty, w[1].empty, w[2].empty);
	EXPECT_GE(t->hi, woken)
		TH_LOG("expected at most %d woken waiters, got %d (mask %#x)",
		       t->hi, woken, mask);

	for (i = 0; i < t->nsock; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	for (i = 0; i < t->ninst; i++)
		close(ep[i]);
}

/* One instance e0 watching one or two sockets, two waiters on e0. */
#define FLAT(trigger, socks, kind0, kind1, max, n_lo, n_hi)		\
	((const struct topo) {						\
		.ninst = 1, .parent = { -1 },				\
		.nsock = socks, .sock_trig = { [0 ... 1] = trigger },	\
		.nwait = 2, .wait_kind = { kind0, kind1 },		\
		.maxevents = max, .lo = n_lo, .hi = n_hi,		\
	})

/* e0 watches e1 which watches s0; waiter 0 on e@w0, waiter 1 on e0. */
#define CHAIN(t_e1, t_s0, w0, kind0, kind1, must_mask, n_lo, n_hi)	\
	((const struct topo) {						\
		.ninst = 2, .parent = { -1, 0 }, .trig = { 0, t_e1 },	\
		.nsock = 1, .sock_parent = { 1 }, .sock_trig = { t_s0 },\
		.nwait = 2, .wait_inst = { w0, 0 },			\
		.wait_kind = { kind0, kind1 },				\
		.must = must_mask, .lo = n_lo, .hi = n_hi,		\
	})

TEST_F(wakeup, lt_socket_wakes_both_threads_waiting_on_one_instance)
{
	run_topo(_metadata, variant->ops, &FLAT(LT, 1, EW, EW, 1, 2, 2));
}

TEST_F(wakeup, et_socket_wakes_one_of_two_threads_waiting_on_one_instance)
{
	run_topo(_metadata, variant->ops, &FLAT(ET, 1, EW, EW, 1, 1, 1));
}

TEST_F(wakeup, two_lt_sockets_wake_both_threads_fetching_two_events)
{
	run_topo(_metadata, variant->ops, &FLAT(LT, 2, EW, EW, 2, 2, 2));
}

TEST_F(wakeup, two_et_sockets_wake_both_threads_fetching_one_event)
{
	run_topo(_metadata, variant->ops, &FLAT(ET, 2, EW, EW, 1, 2, 2));
}

TEST_F(wakeup, lt_socket_wakes_a_waiting_thread_and_a_polling_thread)
{
	run_topo(_metadata, variant->ops, &FLAT(LT, 1, EW, PW, 1, 2, 2));
}

TEST_F(wakeup, et_socket_is_consumed_by_one_of_a_waiting_and_a_polling_thread)
{
	run_topo(_metadata, variant->ops, &FLAT(ET, 1, EW, PW, 1, 1, 1));
}

TEST_F(wakeup, two_et_sockets_wake_a_waiting_and_a_polling_thread)
{
	run_topo(_metadata, variant->ops, &FLAT(ET, 2, EW, PW, 1, 2, 2));
}

TEST_F(wakeup, two_polling_threads_on_lt_sockets_both_get_events)
{
	run_topo(_metadata, variant->ops, &FLAT(LT, 2, PW, PW, 1, 2, 2));
}

TEST_F(wakeup, nested_lt_lt_wakes_both_threads_on_the_top_instance)
{
	run_topo(_metadata, variant->ops, &CHAIN(LT, LT, 0, EW, EW, 0, 2, 2));
}

TEST_F(wakeup, nested_lt_over_et_wakes_both_threads_on_the_top_instance)
{
	run_topo(_metadata, variant->ops, &CHAIN(LT, ET, 0, EW, EW, 0, 2, 2));
}

TEST_F(wakeup, nested_et_over_lt_wakes_one_thread_on_the_top_instance)
{
	run_topo(_metadata, variant->ops, &CHAIN(ET, LT, 0, EW, EW, 0, 1, 1));
}

TEST_F(wakeup, nested_et_over_et_wakes_one_thread_on_the_top_instance)
{
	run_topo(_metadata, variant->ops, &CHAIN(ET, ET, 0, EW, EW, 0, 1, 1));
}

TEST_F(wakeup, nested_lt_lt_wakes_a_waiting_and_a_polling_thread_on_top)
{
	run_topo(_metadata, variant->ops, &CHAIN(LT, LT, 0, EW, PW, 0, 2, 2));
}

TEST_F(wakeup, nested_et_over_et_wakes_one_of_a_waiting_and_a_polling_thread)
{
	run_topo(_metadata, variant->ops, &CHAIN(ET, ET, 0, EW, PW, 0, 1, 1));
}

TEST_F(wakeup, nested_lt_lt_wakes_the_waiters_on_both_levels)
{
	run_topo(_metadata, variant->ops, &CHAIN(LT, LT, 1, EW, EW, 1, 2, 2));
}

TEST_F(wakeup, nested_lt_over_et_wakes_the_inner_waiter_and_maybe_the_outer)
{
	run_topo(_metadata, variant->ops, &CHAIN(LT, ET, 1, EW, EW, 1, 1, 2));
}

TEST_F(wakeup, nested_et_over_lt_wakes_the_waiters_on_both_levels)
{
	run_topo(_metadata, variant->ops, &CHAIN(ET, LT, 1, EW, EW, 1, 2, 2));
}

TEST_F(wakeup, nested_et_over_et_wakes_the_inner_waiter_and_maybe_the_outer)
{
	run_topo(_metadata, variant->ops, &CHAIN(ET, ET, 1, EW, EW, 1, 1, 2));
}

TEST_F(wakeup, nested_lt_lt_wakes_an_inner_poller_and_an_outer_waiter)
{
	run_topo(_metadata, variant->ops, &CHAIN(LT, LT, 1, PW, EW, 1, 2, 2));
}

TEST_F(wakeup, nested_lt_lt_wakes_pollers_on_both_levels)
{
	run_topo(_metadata, variant->ops, &CHAIN(LT, LT, 1, PW, PW, 1, 2, 2));
}

/* e0 watches e1 and e2, each watching one socket; two waiters on e0. */
TEST_F(wakeup, two_nested_branches_wake_both_threads_on_the_top_instance)
{
	const struct topo t = {
		.ninst = 3, .parent = { -1, 0, 0 }, .trig = { 0, LT, LT },
		.nsock = 2, .sock_parent = { 1, 2 },
		.nwait = 2, .wait_kind = { EW, EW },
		.lo = 2, .hi = 2,
	};

	run_topo(_metadata, variant->ops, &t);
}

TEST_F(wakeup, two_et_nested_branches_wake_both_pollers_on_the_top_instance)
{
	const struct topo t = {
		.ninst = 3, .parent = { -1, 0, 0 }, .trig = { 0, ET, ET },
		.nsock = 2, .sock_parent = { 1, 2 },
		.nwait = 2, .wait_kind = { PW, PW },
		.lo = 2, .hi = 2,
	};

	run_topo(_metadata, variant->ops, &t);
}

/* e0 -> e1 -> e2 -> s0, one waiter on each level. */
TEST_F(wakeup, three_lt_levels_wake_the_waiters_on_every_level)
{
	const struct topo t = {
		.ninst = 3, .parent = { -1, 0, 1 }, .trig = { 0, LT, LT },
		.nsock = 1, .sock_parent = { 2 }, .sock_trig = { LT },
		.nwait = 3, .wait_inst = { 0, 1, 2 },
		.wait_kind = { EW, EW, EW },
		.must = 7, .lo = 3, .hi = 3,
	};

	run_topo(_metadata, variant->ops, &t);
}

TEST_F(wakeup, three_levels_over_et_always_wake_the_bottom_waiter)
{
	const struct topo t = {
		.ninst = 3, .parent = { -1, 0, 1 }, .trig = { 0, LT, LT },
		.nsock = 1, .sock_parent = { 2 }, .sock_trig = { ET },
		.nwait = 3, .wait_inst = { 0, 1, 2 },
		.wait_kind = { EW, PW, EW },
		.must = 4, .lo = 1, .hi = 3,
	};

	run_topo(_metadata, variant->ops, &t);
}

TEST_F(wakeup, three_levels_wake_pollers_on_every_level)
{
	const struct topo t = {
		.ninst = 3, .parent = { -1, 0, 1 }, .trig = { 0, ET, LT },
		.nsock = 1, .sock_parent = { 2 }, .sock_trig = { LT },
		.nwait = 3, .wait_inst = { 0, 1, 2 },
		.wait_kind = { PW, PW, PW },
		.must = 7, .lo = 3, .hi = 3,
	};

	run_topo(_metadata, variant->ops, &t);
}

/*
 * Single-threaded nesting: e0 watches e1 (trigger @t_e1), e1 watches s0
 * (trigger @t_s0).  Reports of e0 do not consume e1's events, so only an
 * edge-triggered e1 item stops reporting.
 */
static void check_nested(struct __test_metadata *_metadata,
			 const struct mux_ops *ops, unsigned int t_e1,
			 unsigned int t_s0, int second)
{
	struct pollfd pfd;
	struct epoll_event ev;
	int ep0 = MUX_CREATE(ops), ep1 = MUX_CREATE(ops), sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUX_ADD(ops, ep1, sv[0], EPOLLIN | t_s0, 0);
	MUX_ADD(ops, ep0, ep1, EPOLLIN | t_e1, 1);
	pfd.fd = ep0;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(1, write(sv[1], "w", 1));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	EXPECT_EQ(1, ops->wait(ep0, &ev, 1, 0));
	EXPECT_EQ(1, ev.data.u64);
	EXPECT_EQ(EPOLLIN, ev.events);
	EXPECT_EQ(second, poll(&pfd, 1, 0));
	EXPECT_EQ(second, ops->wait(ep0, &ev, 1, 0));
	/* The inner instance still has its event. */
	EXPECT_EQ(1, ops->wait(ep1, &ev, 1, 0));
	close(sv[0]);
	close(sv[1]);
	close(ep0);
	close(ep1);
}

TEST_F(wakeup, a_nested_lt_instance_is_reported_and_polled_again)
{
	check_nested(_metadata, variant->ops, LT, LT, 1);
	check_nested(_metadata, variant->ops, LT, ET, 1);
}

TEST_F(wakeup, a_nested_et_instance_is_reported_and_polled_once)
{
	check_nested(_metadata, variant->ops, ET, LT, 0);
	check_nested(_metadata, variant->ops, ET, ET, 0);
}

TEST_F(wakeup, poll_on_an_instance_sees_lt_events_until_drained)
{
	const struct mux_ops *ops = variant->ops;
	struct pollfd pfd;
	struct epoll_event ev;
	int ep = MUX_CREATE(ops), sv[2];
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUX_ADD(ops, ep, sv[0], EPOLLIN, 0);
	pfd.fd = ep;
	pfd.events = POLLIN | POLLOUT;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(1, write(sv[1], "w", 1));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents)
		TH_LOG("an instance is readable only: revents %#x", pfd.revents);
	EXPECT_EQ(1, ops->wait(ep, &ev, 1, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(1, read(sv[0], &c, 1));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	close(sv[0]);
	close(sv[1]);
	close(ep);
}

TEST_F(wakeup, poll_on_an_instance_sees_an_et_event_until_it_is_fetched)
{
	const struct mux_ops *ops = variant->ops;
	struct pollfd pfd;
	struct epoll_event ev;
	int ep = MUX_CREATE(ops), sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUX_ADD(ops, ep, sv[0], EPOLLIN | EPOLLET, 0);
	ASSERT_EQ(1, write(sv[1], "w", 1));
	pfd.fd = ep;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(1, ops->wait(ep, &ev, 1, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	close(sv[0]);
	close(sv[1]);
	close(ep);
}

TEST_F(wakeup, select_and_native_epoll_see_an_instance_become_readable)
{
	const struct mux_ops *ops = variant->ops;
	struct timeval tv = { 0 };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	int ep = MUX_CREATE(ops), native = epoll_create1(0), efd;
	fd_set rd;

	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, native);
	ASSERT_LE(0, efd);
	MUX_ADD(ops, ep, efd, EPOLLIN, 0);
	ASSERT_EQ(0, epoll_ctl(native, EPOLL_CTL_ADD, ep, &ev));

	FD_ZERO(&rd);
	FD_SET(ep, &rd);
	EXPECT_EQ(0, select(ep + 1, &rd, NULL, NULL, &tv));
	EXPECT_EQ(0, epoll_wait(native, &ev, 1, 0));

	ASSERT_EQ(0, eventfd_write(efd, 1));
	FD_ZERO(&rd);
	FD_SET(ep, &rd);
	EXPECT_EQ(1, select(ep + 1, &rd, NULL, NULL, &tv));
	EXPECT_TRUE(FD_ISSET(ep, &rd));
	ev.events = 0;
	EXPECT_EQ(1, epoll_wait(native, &ev, 1, 0));
	EXPECT_EQ(EPOLLIN, ev.events);
	EXPECT_EQ(42, ev.data.u64);
	close(efd);
	close(native);
	close(ep);
}

struct blocked_select {
	pthread_t thread;
	int fd, native;
	pid_t tid;
	int ret;
};

static void *select_fn(void *arg)
{
	struct blocked_select *b = arg;
	struct epoll_event ev;
	fd_set rd;

	__atomic_store_n(&b->tid, mux_gettid(), __ATOMIC_RELEASE);
	if (b->native >= 0) {
		b->ret = epoll_wait(b->native, &ev, 1, 5000);
		return NULL;
	}
	FD_ZERO(&rd);
	FD_SET(b->fd, &rd);
	b->ret = select(b->fd + 1, &rd, NULL, NULL, NULL);
	return NULL;
}

/*
 * select(2) and a native epoll sleep on an instance watching an eventfd.
 * With @by_mod the eventfd is readable from the start but watched for
 * EPOLLPRI only, and an EPOLL_CTL_MOD to EPOLLIN makes the item ready
 * (eventpoll's ep_modify() wakes the instance's pollers itself); else an
 * edge-triggered item becomes ready through a write.
 */
static void wake_sleepers_on_instance(struct __test_metadata *_metadata,
				      const struct mux_ops *ops, bool by_mod)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct blocked_select b[2] = {
		{ .native = -1 }, { .native = epoll_create1(0) },
	};
	int ep = MUX_CREATE(ops), efd = eventfd(by_mod, EFD_NONBLOCK), i;

	ASSERT_LE(0, efd);
	MUX_ADD(ops, ep, efd, by_mod ? EPOLLPRI : EPOLLIN | EPOLLET, 0);
	ASSERT_EQ(0, epoll_ctl(b[1].native, EPOLL_CTL_ADD, ep, &ev));
	for (i = 0; i < 2; i++) {
		b[i].fd = ep;
		ASSERT_EQ(0, pthread_create(&b[i].thread, NULL, select_fn, &b[i]));
	}
	for (i = 0; i < 2; i++) {
		while (!__atomic_load_n(&b[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		ASSERT_EQ(0, task_wait_sleeping(b[i].tid, 5000));
	}
	if (by_mod) {
		ev.events = EPOLLIN;
		ev.data.u64 = 0;
		ASSERT_EQ(0, ops->ctl(ep, EPOLL_CTL_MOD, efd, &ev));
	} else {
		ASSERT_EQ(0, eventfd_write(efd, 1));
	}
	for (i = 0; i < 2; i++) {
		pthread_join(b[i].thread, NULL);
		EXPECT_EQ(1, b[i].ret) TH_LOG("%s: returned %d",
					      i ? "epoll_wait" : "select", b[i].ret);
	}
	close(b[1].native);
	close(efd);
	close(ep);
}

TEST_F(wakeup, an_event_wakes_select_and_native_epoll_sleeping_on_an_instance)
{
	wake_sleepers_on_instance(_metadata, variant->ops, false);
}

TEST_F(wakeup, a_mod_that_makes_an_item_ready_wakes_select_and_native_epoll)
{
	wake_sleepers_on_instance(_metadata, variant->ops, true);
}

/*
 * Several instances watch one eventfd, one waiter each.  Without
 * EPOLLEXCLUSIVE a write wakes every instance; with it, one.
 */
#define EXCL_INSTANCES	3

static int wake_instances(struct __test_metadata *_metadata,
			  const struct mux_ops *ops, unsigned int flags)
{
	struct waiter w[EXCL_INSTANCES] = {};
	int efd = eventfd(0, EFD_NONBLOCK), i, woken;
	unsigned int mask;
	long long end;

	for (i = 0; i < EXCL_INSTANCES; i++) {
		w[i].ops = ops;
		w[i].ep = MUX_CREATE(ops);
		w[i].kind = EW;
		w[i].maxevents = 1;
		MUX_ADD(ops, w[i].ep, efd, EPOLLIN | flags, i);
		EXPECT_EQ(0, pthread_create(&w[i].thread, NULL, waiter_fn, &w[i]));
	}
	for (i = 0; i < EXCL_INSTANCES; i++) {
		while (!__atomic_load_n(&w[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		EXPECT_EQ(0, task_wait_sleeping(w[i].tid, 5000));
	}
	EXPECT_EQ(0, eventfd_write(efd, 1));
	end = now_ns() + 3000000000LL;
	while (!count_woken(w, EXCL_INSTANCES, &mask) && now_ns() < end)
		usleep(1000);
	usleep(SETTLE_MS * 1000);
	woken = count_woken(w, EXCL_INSTANCES, &mask);
	for (i = 0; i < EXCL_INSTANCES; i++) {
		pthread_kill(w[i].thread, SIGUSR1);
		pthread_join(w[i].thread, NULL);
		close(w[i].ep);
	}
	close(efd);
	return woken;
}

TEST_F(wakeup, exclusive_items_wake_one_of_several_instances)
{
	EXPECT_EQ(1, wake_instances(_metadata, variant->ops, EPOLLEXCLUSIVE));
}

TEST_F(wakeup, non_exclusive_items_wake_every_instance)
{
	EXPECT_EQ(EXCL_INSTANCES, wake_instances(_metadata, variant->ops, 0));
}

/*
 * The timeout/wakeup race (upstream's epoll61): a write lands as a waiter's
 * timeout expires; whichever of the two waiters gets it, nobody may be left
 * asleep.  Repeated many times.
 */
struct race {
	const struct mux_ops *ops;
	int ep, efd;
};

static void *race_writer(void *arg)
{
	struct race *r = arg;

	usleep(2950);
	eventfd_write(r->efd, 1);
	return NULL;
}

static void *race_timed_waiter(void *arg)
{
	struct race *r = arg;
	struct epoll_event ev;

	if (r->ops->wait(r->ep, &ev, 1, 3) == 1)
		eventfd_write(r->efd, 1);
	return NULL;
}

static void *race_blocking_waiter(void *arg)
{
	struct race *r = arg;
	struct epoll_event ev;

	r->ops->wait(r->ep, &ev, 1, 5000);
	return (void *)(long)(now_ns() / 1000000);
}

TEST_F_TIMEOUT(wakeup, a_wakeup_racing_a_timeout_is_never_lost, 60)
{
	void *(*fns[3])(void *) = {
		race_writer, race_timed_waiter, race_blocking_waiter,
	};
	struct race r = { .ops = variant->ops };
	long long end = now_ns() + 2000000000LL;
	pthread_t th[3];
	int i, j, lost = 0;

	r.ep = MUX_CREATE(variant->ops);
	r.efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, r.efd);
	MUX_ADD(variant->ops, r.ep, r.efd, EPOLLIN | EPOLLET, 0);

	for (i = 0; i < 300 && now_ns() < end; i++) {
		long long start = now_ns();

		for (j = 0; j < 3; j++)
			ASSERT_EQ(0, pthread_create(&th[j], NULL, fns[j], &r));
		for (j = 0; j < 3; j++)
			ASSERT_EQ(0, pthread_join(th[j], NULL));
		if (now_ns() - start > 4000000000LL)
			lost++;
	}
	TH_LOG("%s: %d rounds", variant->ops->name, i);
	EXPECT_EQ(0, lost) TH_LOG("%d of %d rounds left a waiter asleep until its 5 s timeout",
				  lost, i);
	close(r.efd);
	close(r.ep);
}

/*
 * Upstream's epoll60: ten threads each wait for one event while all ten
 * eventfds are written at once; every thread must wake.
 */
#define LW_THREADS	8

struct lost_wakeup {
	const struct mux_ops *ops;
	int ep;
	int efd[LW_THREADS];
	int stop;
	int ready, waiters, failed;
};

static void *lw_thread(void *arg)
{
	struct lost_wakeup *c = arg;
	struct epoll_event ev;
	uint64_t v;
	int ret;

	while (!get_flag(&c->stop)) {
		__atomic_fetch_add(&c->ready, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) &&
		       !get_flag(&c->stop))
			sched_yield();
		if (get_flag(&c->stop))
			break;
		__atomic_fetch_add(&c->waiters, 1, __ATOMIC_ACQ_REL);
		ret = c->ops->wait(c->ep, &ev, 1, 2000);
		if (ret != 1) {
			if (!get_flag(&c->stop))
				__atomic_fetch_add(&c->failed, 1, __ATOMIC_ACQ_REL);
			break;
		}
		if (eventfd_read(c->efd[ev.data.u32], &v))
			__atomic_fetch_add(&c->failed, 1, __ATOMIC_ACQ_REL);
		__atomic_fetch_sub(&c->waiters, 1, __ATOMIC_ACQ_REL);
	}
	return NULL;
}

TEST_F_TIMEOUT(wakeup, simultaneous_events_wake_every_waiting_thread, 60)
{
	struct lost_wakeup c = { .ops = variant->ops };
	pthread_t th[LW_THREADS];
	long long end = now_ns() + 2000000000LL, t;
	int i, n, rounds;

	c.ep = MUX_CREATE(variant->ops);
	for (i = 0; i < LW_THREADS; i++) {
		c.efd[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, c.efd[i]);
		MUX_ADD(variant->ops, c.ep, c.efd[i], EPOLLIN | EPOLLET, i);
	}
	for (i = 0; i < LW_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, lw_thread, &c));

	for (rounds = 0; rounds < 100 && now_ns() < end; rounds++) {
		while (__atomic_load_n(&c.ready, __ATOMIC_ACQUIRE) != LW_THREADS)
			usleep(100);
		__atomic_fetch_sub(&c.ready, LW_THREADS, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&c.waiters, __ATOMIC_ACQUIRE) != LW_THREADS)
			usleep(100);
		usleep(1000);
		for (n = 0; n < LW_THREADS; n++)
			ASSERT_EQ(0, eventfd_write(c.efd[n], 1));
		t = now_ns() + 3000000000LL;
		while (__atomic_load_n(&c.waiters, __ATOMIC_ACQUIRE) && now_ns() < t)
			usleep(100);
		ASSERT_EQ(0, __atomic_load_n(&c.waiters, __ATOMIC_ACQUIRE))
			TH_LOG("round %d: %d threads still asleep after 3 s", rounds,
			       c.waiters);
	}
	set_flag(&c.stop, 1);
	for (i = 0; i < LW_THREADS; i++) {
		pthread_kill(th[i], SIGUSR1);
		pthread_join(th[i], NULL);
	}
	TH_LOG("%s: %d rounds", variant->ops->name, rounds);
	EXPECT_EQ(0, c.failed);
	for (i = 0; i < LW_THREADS; i++)
		close(c.efd[i]);
	close(c.ep);
}

/*
 * Wakeups that arrive while events are copied out must be kept: a writer
 * bumps edge-triggered eventfds while a reader fetches a few events at a
 * time.  Once the writer stops, every count it wrote must have been read.
 */
#define XFER_FDS	16

struct xfer {
	const struct mux_ops *ops;
	int ep;
	int efd[XFER_FDS];
	int stop;
	uint64_t written;
};

static void *xfer_writer(void *arg)
{
	struct xfer *x = arg;
	unsigned int i = 0;

	while (!get_flag(&x->stop)) {
		if (eventfd_write(x->efd[i++ % XFER_FDS], 1) == 0)
			x->written++;
	}
	return NULL;
}

static uint64_t xfer_read(struct xfer *x, int timeout)
{
	struct epoll_event ev[4];
	uint64_t got = 0, v;
	int n, i;

	n = x->ops->wait(x->ep, ev, 4, timeout);
	for (i = 0; i < n; i++)
		if (eventfd_read(x->efd[ev[i].data.u32], &v) == 0)
			got += v;
	return got;
}

TEST_F_TIMEOUT(wakeup, wakeups_during_a_transfer_are_never_lost, 60)
{
	struct xfer x = { .ops = variant->ops };
	long long end = now_ns() + 1500000000LL;
	struct iepoll_stats st;
	uint64_t got = 0, last;
	pthread_t th;
	int i;

	x.ep = MUX_CREATE(variant->ops);
	for (i = 0; i < XFER_FDS; i++) {
		x.efd[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, x.efd[i]);
		MUX_ADD(variant->ops, x.ep, x.efd[i], EPOLLIN | EPOLLET, i);
	}
	ASSERT_EQ(0, pthread_create(&th, NULL, xfer_writer, &x));
	while (now_ns() < end)
		got += xfer_read(&x, 100);
	set_flag(&x.stop, 1);
	pthread_join(th, NULL);
	do {
		last = xfer_read(&x, 200);
		got += last;
	} while (last);
	TH_LOG("%s: %llu counts written", variant->ops->name,
	       (unsigned long long)x.written);
	if (!variant->ops->native && !iepoll_get_stats(x.ep, &st))
		TH_LOG("iepoll: %llu callbacks, %llu queued on the overflow list",
		       (unsigned long long)st.callbacks,
		       (unsigned long long)st.overflows);
	EXPECT_EQ(x.written, got)
		TH_LOG("written %llu, read %llu: an edge was lost",
		       (unsigned long long)x.written, (unsigned long long)got);
	for (i = 0; i < XFER_FDS; i++)
		close(x.efd[i]);
	close(x.ep);
}

/* Upstream's epoll59: MOD of an edge-triggered item racing with a wait. */
struct modrace {
	const struct mux_ops *ops;
	int ep, efd;
	int turn, stop;
};

static void *modrace_fn(void *arg)
{
	struct modrace *m = arg;
	struct epoll_event ev;

	while (!get_flag(&m->stop)) {
		while (!get_flag(&m->turn) && !get_flag(&m->stop))
			;
		ev.events = EPOLLIN | EPOLLERR | EPOLLET;
		ev.data.u64 = 0;
		m->ops->ctl(m->ep, EPOLL_CTL_MOD, m->efd, &ev);
		set_flag(&m->turn, 0);
	}
	return NULL;
}

TEST_F_TIMEOUT(wakeup, mod_racing_a_wait_rearms_an_edge_triggered_item, 60)
{
	struct modrace m = { .ops = variant->ops };
	long long end = now_ns() + 1000000000LL;
	struct epoll_event ev;
	pthread_t th;
	int i, ret = 1;

	m.ep = MUX_CREATE(variant->ops);
	m.efd = eventfd(1, 0);
	ASSERT_LE(0, m.efd);
	MUX_ADD(variant->ops, m.ep, m.efd, EPOLLIN | EPOLLERR | EPOLLET, 0);
	ASSERT_EQ(0, pthread_create(&th, NULL, modrace_fn, &m));
	for (i = 0; i < 20000 && now_ns() < end; i++) {
		ret = variant->ops->wait(m.ep, &ev, 1, 1000);
		if (ret != 1)
			break;
		while (get_flag(&m.turn))
			;
		set_flag(&m.turn, 1);
	}
	set_flag(&m.stop, 1);
	pthread_join(th, NULL);
	TH_LOG("%s: %d rounds", variant->ops->name, i);
	EXPECT_EQ(1, ret) TH_LOG("round %d: the MOD did not re-arm the ready item", i);
	close(m.efd);
	close(m.ep);
}

TEST_HARNESS_MAIN
