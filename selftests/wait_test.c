// SPDX-License-Identifier: GPL-2.0
/*
 * EPOLL_WAIT semantics, checked against native epoll and /dev/iepoll: what
 * is reported (event bits, level/edge trigger, one-shot, data), how much
 * (maxevents, rotation), how long (timeouts), and what a signal, a sigmask
 * or a bad events pointer do to a wait.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "mux.h"

#define ALL_BITS	(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | \
			 EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | \
			 EPOLLRDHUP)
#define EP_MAX_EVENTS	(INT32_MAX / (int)sizeof(struct epoll_event))

FIXTURE(wait) {
	int ep;
	int sv[2];
	int efd;
};

MUX_FIXTURE_VARIANTS(wait);

FIXTURE_SETUP(wait)
{
	self->ep = MUX_CREATE(variant->ops);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, self->sv));
	self->efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(wait)
{
	close(self->efd);
	close(self->sv[0]);
	close(self->sv[1]);
	close(self->ep);
}

static int wait0(const struct mux_ops *ops, int ep, struct epoll_event *ev,
		 int max)
{
	return ops->wait(ep, ev, max, 0);
}

TEST_F(wait, a_level_triggered_item_is_reported_while_ready)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;
	char c;

	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN, 7);
	EXPECT_EQ(0, wait0(ops, self->ep, &ev, 1));
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	EXPECT_EQ(1, wait0(ops, self->ep, &ev, 1));
	EXPECT_EQ(EPOLLIN, ev.events);
	EXPECT_EQ(7, ev.data.u64);
	EXPECT_EQ(1, wait0(ops, self->ep, &ev, 1))
		TH_LOG("a level-triggered item must be queued again after delivery");
	ASSERT_EQ(1, read(self->sv[0], &c, 1));
	EXPECT_EQ(0, wait0(ops, self->ep, &ev, 1))
		TH_LOG("a drained level-triggered item must not be reported");
}

TEST_F(wait, an_edge_triggered_item_is_reported_once_per_change)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;

	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN | EPOLLET, 7);
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	EXPECT_EQ(1, wait0(ops, self->ep, &ev, 1));
	EXPECT_EQ(0, wait0(ops, self->ep, &ev, 1));
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	EXPECT_EQ(1, wait0(ops, self->ep, &ev, 1))
		TH_LOG("new data must report an edge-triggered item again");
	EXPECT_EQ(0, wait0(ops, self->ep, &ev, 1));
}

TEST_F(wait, an_item_ready_when_added_is_reported_at_once)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;

	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN | EPOLLET, 7);
	EXPECT_EQ(1, wait0(ops, self->ep, &ev, 1));
}

TEST_F(wait, a_oneshot_item_is_disarmed_until_mod)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 9 };

	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN | EPOLLONESHOT, 9);
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	EXPECT_EQ(1, wait0(ops, self->ep, &ev, 1));
	EXPECT_EQ(0, wait0(ops, self->ep, &ev, 1));
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	EXPECT_EQ(0, wait0(ops, self->ep, &ev, 1))
		TH_LOG("a fired one-shot item must stay disarmed");
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 10;
	ASSERT_EQ(0, ops->ctl(self->ep, EPOLL_CTL_MOD, self->sv[0], &ev));
	EXPECT_EQ(1, wait0(ops, self->ep, &ev, 1))
		TH_LOG("MOD must re-arm a one-shot item");
	EXPECT_EQ(10, ev.data.u64);
	EXPECT_EQ(0, wait0(ops, self->ep, &ev, 1));
}

/* Two sockets made readable; @second is what a second wait returns. */
static void check_two_sockets(struct __test_metadata *_metadata,
			      const struct mux_ops *ops, int ep, int *sv,
			      unsigned int trig, int second)
{
	struct epoll_event ev[2];
	int sv2[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv2));
	MUX_ADD(ops, ep, sv[0], EPOLLIN | trig, 0);
	MUX_ADD(ops, ep, sv2[0], EPOLLIN | trig, 1);
	ASSERT_EQ(1, write(sv[1], "w", 1));
	ASSERT_EQ(1, write(sv2[1], "w", 1));
	EXPECT_EQ(2, wait0(ops, ep, ev, 2));
	EXPECT_EQ(second, wait0(ops, ep, ev, 2));
	close(sv2[0]);
	close(sv2[1]);
}

TEST_F(wait, two_level_triggered_sockets_are_both_reported_each_wait)
{
	check_two_sockets(_metadata, variant->ops, self->ep, self->sv, 0, 2);
}

TEST_F(wait, two_edge_triggered_sockets_are_reported_once)
{
	check_two_sockets(_metadata, variant->ops, self->ep, self->sv, EPOLLET, 0);
}

TEST_F(wait, the_data_is_returned_as_registered_and_changed_by_mod)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = ~0ULL };

	ASSERT_EQ(0, ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, wait0(ops, self->ep, &ev, 1));
	EXPECT_EQ(~0ULL, ev.data.u64);
	EXPECT_EQ(EPOLLOUT, ev.events);
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u64 = 0x0123456789abcdefULL;
	ASSERT_EQ(0, ops->ctl(self->ep, EPOLL_CTL_MOD, self->efd, &ev));
	ASSERT_EQ(1, eventfd_write(self->efd, 1) + 1);
	ASSERT_EQ(1, wait0(ops, self->ep, &ev, 1));
	EXPECT_EQ(0x0123456789abcdefULL, ev.data.u64);
	EXPECT_EQ(EPOLLIN | EPOLLOUT, ev.events);
}

TEST_F(wait, a_deleted_item_is_not_reported)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;

	MUX_ADD(ops, self->ep, self->efd, EPOLLOUT, 0);
	ASSERT_EQ(0, ops->ctl(self->ep, EPOLL_CTL_DEL, self->efd, NULL));
	EXPECT_EQ(0, wait0(ops, self->ep, &ev, 1));
}

/*
 * The bits reported for @fd registered with @requested are what poll(2)
 * reports for the same request: the file's readiness filtered by the
 * request, plus EPOLLERR and EPOLLHUP always.
 */
static void check_bits(struct __test_metadata *_metadata,
		       const struct mux_ops *ops, int fd, unsigned int requested,
		       const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = requested };
	struct epoll_event ev = { .events = requested };
	int ep = MUX_CREATE(ops), n, want;

	ASSERT_EQ(0, ops->ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	want = poll(&pfd, 1, 0);
	ASSERT_LE(0, want);
	n = ops->wait(ep, &ev, 1, 0);
	EXPECT_EQ(want, n) TH_LOG("%s: wait returned %d", what, n);
	if (n == 1 && want == 1)
		EXPECT_EQ((unsigned int)pfd.revents, ev.events)
			TH_LOG("%s: requested %#x, expected %#x (poll), got %#x",
			       what, requested, pfd.revents, ev.events);
	close(ep);
}

TEST_F(wait, readiness_bits_are_reported_as_requested)
{
	const struct mux_ops *ops = variant->ops;

	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	check_bits(_metadata, ops, self->sv[0], ALL_BITS, "readable socket, all bits");
	check_bits(_metadata, ops, self->sv[0], EPOLLIN, "readable socket, IN");
	check_bits(_metadata, ops, self->sv[0], EPOLLRDNORM, "readable socket, RDNORM");
	check_bits(_metadata, ops, self->sv[0], EPOLLOUT | EPOLLWRBAND, "writable socket");
	check_bits(_metadata, ops, self->sv[0], EPOLLPRI | EPOLLMSG, "socket, PRI|MSG");
	check_bits(_metadata, ops, self->efd, ALL_BITS, "eventfd at 0");
}

TEST_F(wait, rdhup_is_reported_after_the_peer_shuts_down_writing)
{
	ASSERT_EQ(0, shutdown(self->sv[1], SHUT_WR));
	check_bits(_metadata, variant->ops, self->sv[0], EPOLLIN | EPOLLRDHUP,
		   "peer shut down");
	check_bits(_metadata, variant->ops, self->sv[0], EPOLLRDHUP,
		   "peer shut down, RDHUP only");
}

TEST_F(wait, pri_is_reported_for_out_of_band_data)
{
	if (send(self->sv[1], "o", 1, MSG_OOB) != 1)
		SKIP(return, "AF_UNIX MSG_OOB: %s (CONFIG_AF_UNIX_OOB off?)",
		     strerror(errno));
	check_bits(_metadata, variant->ops, self->sv[0], EPOLLPRI | EPOLLRDBAND,
		   "out-of-band data");
}

TEST_F(wait, err_and_hup_are_reported_even_when_not_requested)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	close(p[1]);
	check_bits(_metadata, variant->ops, p[0], 0, "pipe without writer, nothing requested");
	close(p[0]);

	ASSERT_EQ(0, pipe(p));
	close(p[0]);
	check_bits(_metadata, variant->ops, p[1], 0, "pipe without reader, nothing requested");
	check_bits(_metadata, variant->ops, p[1], EPOLLIN, "pipe without reader, IN");
	close(p[1]);
}

TEST_F(wait, maxevents_outside_one_to_the_maximum_fails_with_EINVAL)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;

	MUX_ADD(ops, self->ep, self->efd, EPOLLOUT, 0);
	EXPECT_ERRNO(EINVAL, ops->wait(self->ep, &ev, 0, 0));
	EXPECT_ERRNO(EINVAL, ops->wait(self->ep, &ev, -1, 0));
	EXPECT_ERRNO(EINVAL, ops->wait(self->ep, &ev, EP_MAX_EVENTS + 1, 0));
	EXPECT_ERRNO(EINVAL, ops->wait(self->ep, &ev, INT32_MIN, 0));
}

/*
 * The whole array must be a valid user range: not on the stack, which may
 * lie less than 2 GiB below the top of the address space.
 */
static struct epoll_event low_events[1];

TEST_F(wait, maxevents_at_the_maximum_is_accepted)
{
	const struct mux_ops *ops = variant->ops;

	MUX_ADD(ops, self->ep, self->efd, EPOLLOUT, 0);
	EXPECT_EQ(1, ops->wait(self->ep, low_events, EP_MAX_EVENTS, 0))
		TH_LOG("events at %p: %s", (void *)low_events, strerror(errno));
}

TEST_F(wait, waiting_on_an_fd_that_is_not_an_instance_fails)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;
	int fd = eventfd(0, 0);

	EXPECT_ERRNO(EINVAL, ops->wait(self->efd, &ev, 1, 0));
	close(fd);
	EXPECT_ERRNO(EBADF, ops->wait(fd, &ev, 1, 0));
}

TEST_F(wait, a_zero_timeout_returns_at_once)
{
	struct epoll_event ev;
	long long t = now_ns();

	EXPECT_EQ(0, variant->ops->wait(self->ep, &ev, 1, 0));
	t = now_ns() - t;
	EXPECT_GT(1000000000LL, t) TH_LOG("waited %lld ns", t);
}

/* 1.5 ms: a timeout truncated to milliseconds would return after ~1 ms. */
TEST_F(wait, the_timeout_has_nanosecond_resolution)
{
	const struct timespec ts = { .tv_nsec = 1500000 };
	struct epoll_event ev;
	long long t;
	int i;

	for (i = 0; i < 5; i++) {
		t = now_ns();
		EXPECT_EQ(0, variant->ops->pwait2(self->ep, &ev, 1, &ts, NULL));
		t = now_ns() - t;
		EXPECT_LE(1500000LL, t) TH_LOG("1.5 ms timeout returned after %lld ns", t);
	}
	TH_LOG("%s: the last 1.5 ms wait took %lld ns", variant->ops->name, t);
}

TEST_F(wait, an_invalid_timespec_fails_with_EINVAL)
{
	struct timespec ts = { .tv_nsec = 1000000000 };
	struct epoll_event ev;

	EXPECT_ERRNO(EINVAL, variant->ops->pwait2(self->ep, &ev, 1, &ts, NULL));
	ts.tv_nsec = -1;
	EXPECT_ERRNO(EINVAL, variant->ops->pwait2(self->ep, &ev, 1, &ts, NULL));
	ts.tv_nsec = 0;
	ts.tv_sec = -1;
	EXPECT_ERRNO(EINVAL, variant->ops->pwait2(self->ep, &ev, 1, &ts, NULL));
}

struct kicker {
	pthread_t thread;
	pid_t target_tid;
	pthread_t target;
	int fd;			/* written once the target sleeps, or -1 */
	int sig;		/* sent once the target sleeps, or 0 */
	int blocked;		/* 0 if the target was seen sleeping */
};

static void *kicker_fn(void *arg)
{
	struct kicker *k = arg;

	k->blocked = task_wait_sleeping(k->target_tid, 5000);
	if (k->fd >= 0)
		eventfd_write(k->fd, 1);
	if (k->sig)
		pthread_kill(k->target, k->sig);
	return NULL;
}

static int start_kicker(struct kicker *k, int fd, int sig)
{
	k->target = pthread_self();
	k->target_tid = mux_gettid();
	k->fd = fd;
	k->sig = sig;
	return pthread_create(&k->thread, NULL, kicker_fn, k);
}

TEST_F(wait, a_negative_timeout_sleeps_until_an_event)
{
	struct epoll_event ev;
	struct kicker k;

	MUX_ADD(variant->ops, self->ep, self->efd, EPOLLIN, 3);
	ASSERT_EQ(0, start_kicker(&k, self->efd, 0));
	EXPECT_EQ(1, variant->ops->wait(self->ep, &ev, 1, -1));
	EXPECT_EQ(3, ev.data.u64);
	pthread_join(k.thread, NULL);
	EXPECT_EQ(0, k.blocked);
}

TEST_F(wait, a_bad_sigsetsize_fails_with_EINVAL)
{
	struct epoll_event ev;
	sigset_t set;

	sigemptyset(&set);
	EXPECT_ERRNO(EINVAL, variant->ops->pwait_raw(self->ep, &ev, 1, 0, &set, 4));
	EXPECT_ERRNO(EINVAL, variant->ops->pwait_raw(self->ep, &ev, 1, 0, &set, 16));
	EXPECT_EQ(0, variant->ops->pwait_raw(self->ep, &ev, 1, 0, &set, 8));
}

/* Counted by the handler: lock-free atomics are async-signal-safe. */
static int got_signal;

static void count_signal(int sig)
{
	(void)sig;
	__atomic_fetch_add(&got_signal, 1, __ATOMIC_ACQ_REL);
}

static int signals_seen(void)
{
	return __atomic_load_n(&got_signal, __ATOMIC_ACQUIRE);
}

static void setup_signal(struct __test_metadata *_metadata, int flags)
{
	struct sigaction sa = { .sa_handler = count_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	__atomic_store_n(&got_signal, 0, __ATOMIC_RELEASE);
}

TEST_F(wait, a_signal_ends_the_wait_with_EINTR_even_with_SA_RESTART)
{
	struct epoll_event ev;
	struct kicker k;
	int ret;

	setup_signal(_metadata, SA_RESTART);
	ASSERT_EQ(0, start_kicker(&k, -1, SIGUSR1));
	errno = 0;
	ret = variant->ops->wait(self->ep, &ev, 1, 3000);
	pthread_join(k.thread, NULL);
	EXPECT_EQ(-1, ret)
		TH_LOG("expected -1/EINTR, got %d (0: restarted until the timeout)", ret);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, signals_seen());
	EXPECT_EQ(0, k.blocked);
}

/*
 * epoll_pwait's reason to exist: a signal made pending while blocked must
 * interrupt a wait that unblocks it, not be delivered before the wait
 * starts and leave it sleeping.
 */
TEST_F(wait, the_sigmask_is_set_atomically_so_a_pending_signal_interrupts)
{
	sigset_t block, empty, now;
	struct epoll_event ev;
	int ret;

	setup_signal(_metadata, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, NULL));
	ASSERT_EQ(0, raise(SIGUSR1));
	ASSERT_EQ(0, signals_seen());

	errno = 0;
	ret = variant->ops->pwait(self->ep, &ev, 1, 3000, &empty);
	EXPECT_EQ(-1, ret) TH_LOG("expected -1/EINTR, got %d (0: lost wakeup)", ret);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, signals_seen());

	ASSERT_EQ(0, sigprocmask(SIG_SETMASK, NULL, &now));
	EXPECT_TRUE(sigismember(&now, SIGUSR1))
		TH_LOG("the caller's mask must be restored after the wait");
}

TEST_F(wait, the_sigmask_blocks_a_signal_for_the_wait_only)
{
	struct timespec ts = { .tv_nsec = 300000000 };
	sigset_t block, now;
	struct epoll_event ev;
	struct kicker k;
	int ret;

	setup_signal(_metadata, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ASSERT_EQ(0, start_kicker(&k, -1, SIGUSR1));
	ret = variant->ops->pwait2(self->ep, &ev, 1, &ts, &block);
	pthread_join(k.thread, NULL);
	EXPECT_EQ(0, ret) TH_LOG("a blocked signal must not end the wait: got %d/%s",
				 ret, strerror(errno));
	/* Unblocked again on return, the pending signal is delivered. */
	EXPECT_EQ(1, signals_seen());
	ASSERT_EQ(0, sigprocmask(SIG_SETMASK, NULL, &now));
	EXPECT_FALSE(sigismember(&now, SIGUSR1));
}

/* Returns a pointer @off bytes before the end of a page followed by a hole. */
static void *before_hole(size_t off)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + page, page);
	return p + page - off;
}

TEST_F(wait, a_bad_events_pointer_fails_with_EFAULT_and_loses_no_event)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event *hole = before_hole(0), ev;

	ASSERT_NE(NULL, hole);
	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN | EPOLLET, 5);
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	EXPECT_ERRNO(EFAULT, ops->wait(self->ep, hole, 1, 0));
	EXPECT_EQ(1, ops->wait(self->ep, &ev, 1, 0))
		TH_LOG("the edge-triggered event that could not be copied must stay ready");
	EXPECT_EQ(5, ev.data.u64);
}

TEST_F(wait, a_partial_copy_returns_what_was_copied_and_keeps_the_rest)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event *ev = before_hole(sizeof(*ev)), last;

	ASSERT_NE(NULL, ev);
	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN | EPOLLET, 1);
	MUX_ADD(ops, self->ep, self->efd, EPOLLIN | EPOLLET, 2);
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	ASSERT_EQ(0, eventfd_write(self->efd, 1));
	EXPECT_EQ(1, ops->wait(self->ep, ev, 2, 0));
	EXPECT_EQ(1, ev[0].data.u64);
	EXPECT_EQ(1, ops->wait(self->ep, &last, 1, 0))
		TH_LOG("the event that did not fit must stay ready");
	EXPECT_EQ(2, last.data.u64);
	EXPECT_EQ(0, ops->wait(self->ep, &last, 1, 0));
}

/* Where the rotation went wrong. */
#define ROTATION_FMT "maxevents %d, wait %d, event %d: expected item %d, got %llu"

/*
 * Four level-triggered items always ready, fetched @max at a time: the
 * ready list is FIFO and a delivered item goes back to its tail.
 */
static void check_rotation(struct __test_metadata *_metadata,
			   const struct mux_ops *ops, int max)
{
	struct epoll_event ev[4];
	int fds[4], ep = MUX_CREATE(ops), i, j, n, next = 0;

	for (i = 0; i < 4; i++) {
		fds[i] = eventfd(0, 0);
		ASSERT_LE(0, fds[i]);
		MUX_ADD(ops, ep, fds[i], EPOLLOUT, i);
	}
	for (i = 0; i < 6; i++) {
		n = ops->wait(ep, ev, max, 0);
		ASSERT_EQ(max, n);
		for (j = 0; j < n; j++, next = (next + 1) % 4)
			EXPECT_EQ(next, ev[j].data.u64)
				TH_LOG(ROTATION_FMT,
				       max, i, j, next, (unsigned long long)ev[j].data.u64);
	}
	for (i = 0; i < 4; i++)
		close(fds[i]);
	close(ep);
}

TEST_F(wait, more_ready_items_than_maxevents_are_delivered_in_rotation)
{
	check_rotation(_metadata, variant->ops, 1);
	check_rotation(_metadata, variant->ops, 3);
}

static int fdinfo_events(int ep, int tfd)
{
	struct fdinfo_item it[4];
	int n = fdinfo_items(getpid(), ep, it, 4), i;

	for (i = 0; i < n && i < 4; i++)
		if (it[i].tfd == tfd)
			return it[i].events;
	return -1;
}

TEST_F(wait, epollwakeup_is_kept_with_cap_block_suspend_and_dropped_without)
{
	const struct mux_ops *ops = variant->ops;
	int with, without;

	if (access("/sys/power/wakeup_count", F_OK))
		SKIP(return, "no CONFIG_PM_SLEEP: EPOLLWAKEUP is always dropped");
	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN | EPOLLWAKEUP, 0);
	ASSERT_EQ(0, drop_capability(CAP_BLOCK_SUSPEND));
	MUX_ADD(ops, self->ep, self->efd, EPOLLIN | EPOLLWAKEUP, 0);

	with = fdinfo_events(self->ep, self->sv[0]);
	without = fdinfo_events(self->ep, self->efd);
	ASSERT_NE(-1, with) TH_LOG("no fdinfo line for tfd %d", self->sv[0]);
	ASSERT_NE(-1, without) TH_LOG("no fdinfo line for tfd %d", self->efd);
	EXPECT_EQ(EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLWAKEUP, with);
	EXPECT_EQ(EPOLLIN | EPOLLERR | EPOLLHUP, without)
		TH_LOG("without CAP_BLOCK_SUSPEND EPOLLWAKEUP must be dropped: events %#x",
		       without);
}

TEST_HARNESS_MAIN
