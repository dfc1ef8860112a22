// SPDX-License-Identifier: GPL-2.0
/*
 * The last close of a watched file, as epoll sees it: the file goes at
 * once, from inside close(), before its release, so its peer sees the
 * hang-up by the time close() returns and nothing holds the file.  Every
 * test runs against native epoll and against /dev/iepoll:
 *
 * - the peer of a closed unix socket, the reader of a closed pipe, and
 *   /proc/net/unix, right after close() returns;
 * - an instance sent over the socket it watches (SCM_RIGHTS) is collected
 *   with it by the unix garbage collector;
 * - a stalled instance (a wait blocked in its copy to a userfaultfd page)
 *   stalls nothing else: instances come and go, other instances' files
 *   close, an ADD at the watch limit fails at once;
 * - races of the close against ADD, MOD/DEL, a delivering wait, the close
 *   of the instance, and the close of the pipe's other end, each repeated
 *   until a deadline.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mux.h"

#define MS		1000000LL
#define RACE_NS		(1500 * MS)
#define GC_BOUND_NS	(5000 * MS)

#define EPOLL_LIMIT_PATH	"/proc/sys/fs/epoll/max_user_watches"
#define IEPOLL_LIMIT_PATH	"/sys/module/iepoll/parameters/max_user_watches"

FIXTURE(close) {
	int ep;
};

MUX_FIXTURE_VARIANTS(close);

FIXTURE_SETUP(close)
{
	self->ep = MUX_CREATE(variant->ops);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(close)
{
	close(self->ep);
}

/* What poll() says of @fd now, without waiting. */
static short revents_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static unsigned long inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* Whether /proc/net/unix lists a socket with inode @ino. */
static bool unix_listed(unsigned long ino)
{
	FILE *f = fopen("/proc/net/unix", "re");
	unsigned long i;
	bool found = false;
	char line[512];

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %*s %*s %lu", &i) == 1 &&
			i == ino;
	fclose(f);
	return found;
}

static int send_fds(int sock, const int *fds, int n)
{
	char buf[CMSG_SPACE(4 * sizeof(int))] = { 0 }, c = 'x';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* A unix socket released with descriptors in flight runs the collector. */
static void kick_unix_gc(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return;
	send_fds(sv[1], &sv[0], 1);
	close(sv[0]);
	close(sv[1]);
}

static void check_hangup(struct __test_metadata *_metadata,
			 const struct mux_ops *ops, int ninst)
{
	int ep[3], sv[2], i;
	short r;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	for (i = 0; i < ninst; i++) {
		ep[i] = MUX_CREATE(ops);
		MUX_ADD(ops, ep[i], sv[0], EPOLLIN, i);
	}
	close(sv[0]);
	r = revents_now(sv[1]);
	EXPECT_TRUE(r & (POLLHUP | POLLRDHUP))
		TH_LOG("%d instance(s): after close() the peer has revents %#x",
		       ninst, r);
	for (i = 0; i < ninst; i++)
		close(ep[i]);
	close(sv[1]);
}

TEST_F(close, the_peer_of_a_closed_socket_sees_the_hangup_when_close_returns)
{
	check_hangup(_metadata, variant->ops, 1);
}

TEST_F(close, the_hangup_is_as_prompt_with_three_instances_on_the_socket)
{
	check_hangup(_metadata, variant->ops, 3);
}

TEST_F(close, the_reader_sees_eof_when_the_watched_write_end_is_closed)
{
	int p[2];
	short r;

	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	MUX_ADD(variant->ops, self->ep, p[1], EPOLLOUT, 1);
	close(p[1]);
	r = revents_now(p[0]);
	EXPECT_TRUE(r & POLLHUP)
		TH_LOG("the reader's poll right after close() gave revents %#x, expected POLLHUP",
		       r);
	close(p[0]);
}

TEST_F(close, a_closed_socket_leaves_proc_net_unix_when_close_returns)
{
	unsigned long ino;
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ino = inode_of(sv[0]);
	ASSERT_TRUE(unix_listed(ino)) TH_LOG("socket %lu not in /proc/net/unix", ino);
	MUX_ADD(variant->ops, self->ep, sv[0], EPOLLIN, 1);
	close(sv[0]);
	EXPECT_FALSE(unix_listed(ino))
		TH_LOG("the closed socket (inode %lu) is still in /proc/net/unix",
		       ino);
	close(sv[1]);
}

/*
 * socketpair(s0, s1); an instance watches s0; {instance, s0} are sent on
 * s1 and everything is closed.  The cycle is unreachable: the collector
 * must free the sockets, and with them the instance.  A reference held on
 * s0 by the instance would hide the cycle from the collector for ever.
 */
TEST_F(close, an_instance_sent_over_the_socket_it_watches_is_collected)
{
	const struct mux_ops *ops = variant->ops;
	long before = iepoll_debugfs_instances(), after = before;
	unsigned long ino0, ino1;
	long long end;
	int sv[2], ep, fds[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ino0 = inode_of(sv[0]);
	ino1 = inode_of(sv[1]);
	ep = MUX_CREATE(ops);
	MUX_ADD(ops, ep, sv[0], EPOLLIN, 1);
	fds[0] = ep;
	fds[1] = sv[0];
	ASSERT_EQ(0, send_fds(sv[1], fds, 2));
	close(ep);
	close(sv[0]);
	close(sv[1]);

	end = now_ns() + GC_BOUND_NS;
	while ((unix_listed(ino0) || unix_listed(ino1)) && now_ns() < end) {
		kick_unix_gc();
		usleep(10000);
	}
	EXPECT_FALSE(unix_listed(ino0) || unix_listed(ino1))
		TH_LOG("the cycle was not collected within %lld ms: sockets %lu %lu still listed",
		       GC_BOUND_NS / MS, ino0, ino1);
	if (!ops->native && before >= 0) {
		after = iepoll_debugfs_instances();
		EXPECT_EQ(before, after)
			TH_LOG("instances: %ld before, %ld after the collection",
			       before, after);
	}
}

/*
 * A ptmx master is opened with FMODE_NONOTIFY: the kernel sends no close
 * event for it, so iepoll keeps a reference and its sweep removes the item
 * (the fallback, docs/differences.md).  As with epoll, the closed master is never
 * reported; iepoll counts it as a fallback file and sweeps it within the
 * bound.
 */
TEST_F(close, a_closed_ptmx_master_is_never_reported_and_is_swept)
{
	const struct mux_ops *ops = variant->ops;
	long long end = now_ns() + GC_BOUND_NS;
	struct iepoll_stats_v2 st = { 0 };
	struct epoll_event ev;
	int m, pts;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (m < 0)
		SKIP(return, "posix_openpt: %s (no devpts?)", strerror(errno));
	ASSERT_EQ(0, grantpt(m));
	ASSERT_EQ(0, unlockpt(m));
	pts = open(ptsname(m), O_RDWR | O_NOCTTY);
	ASSERT_LE(0, pts);
	ASSERT_EQ(2, write(pts, "x\n", 2));
	MUX_ADD(ops, self->ep, m, EPOLLIN, 0x7e);
	ASSERT_EQ(1, ops->wait(self->ep, &ev, 1, 1000));
	close(m);
	EXPECT_EQ(0, ops->wait(self->ep, &ev, 1, 0))
		TH_LOG("the closed ptmx master was reported");
	if (!ops->native) {
		do {
			ASSERT_EQ(0, iepoll_get_stats_v2(self->ep, &st));
			if (!st.stats.items)
				break;
			usleep(10000);
		} while (now_ns() < end);
		EXPECT_EQ(0, st.stats.items)
			TH_LOG("the sweep left the closed master for %lld ms",
			       GC_BOUND_NS / MS);
		EXPECT_EQ(1, st.fallback);
		EXPECT_EQ(1, st.closes);
	}
	close(pts);
}

/* ------------------------------------------------------------------ */
/* A stalled instance                                                  */

struct stalled {
	const struct mux_ops *ops;
	int ep;
	void *events;
	int res;
	int err;
};

static void *stalled_wait(void *arg)
{
	struct stalled *s = arg;

	s->res = s->ops->wait(s->ep, s->events, 1, -1);
	s->err = errno;
	return NULL;
}

/*
 * A wait whose copy to userspace faults on a userfaultfd page that nobody
 * fills holds that instance's mutex for as long as the page stays missing
 * (so does epoll's).  Nothing outside that instance may wait for it.
 */
TEST_F(close, a_stalled_instance_stalls_nothing_else)
{
	const struct mux_ops *ops = variant->ops;
	const char *limit_path = ops->native ? EPOLL_LIMIT_PATH :
					       IEPOLL_LIMIT_PATH;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_zeropage zp = { 0 };
	struct stalled s = { .ops = ops, .ep = self->ep };
	struct pollfd pfd;
	struct uffd_msg msg;
	long page = sysconf(_SC_PAGESIZE), limit;
	int uffd, p[2], sv[2], ep2, efd, i, r;
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t thr;
	short rev;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s (kernel without CONFIG_USERFAULTFD?)",
		     strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	s.events = mmap(NULL, page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s.events);
	reg.range.start = (unsigned long)s.events;
	reg.range.len = page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(1, write(p[1], "x", 1));
	MUX_ADD(ops, self->ep, p[0], EPOLLIN, 0x5a);
	ASSERT_EQ(0, pthread_create(&thr, NULL, stalled_wait, &s));

	/* The fault message says the wait is stuck in its copy. */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000))
		TH_LOG("the wait did not fault on the registered page");
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* Instances come and go. */
	for (i = 0; i < 20; i++)
		close(MUX_CREATE(ops));

	/* Another instance's file closes, and its peer sees it at once. */
	ep2 = MUX_CREATE(ops);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	MUX_ADD(ops, ep2, sv[0], EPOLLIN, 1);
	close(sv[0]);
	rev = revents_now(sv[1]);
	EXPECT_TRUE(rev & (POLLHUP | POLLRDHUP))
		TH_LOG("the peer's poll right after close() gave revents %#x",
		       rev);
	close(sv[1]);

	/* An ADD at the watch limit fails at once, with ENOSPC. */
	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, read_long(limit_path, &limit));
	ASSERT_EQ(0, write_long(limit_path, 1));
	r = ops->ctl(ep2, EPOLL_CTL_ADD, efd, &ev);
	i = errno;
	ASSERT_EQ(0, write_long(limit_path, limit));
	EXPECT_EQ(-1, r);
	EXPECT_EQ(ENOSPC, i) TH_LOG("ADD at the limit: %s", strerror(i));
	close(efd);
	close(ep2);

	/* Fill the page: the stalled wait completes with its event. */
	zp.range.start = (unsigned long)s.events;
	zp.range.len = page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, s.res) TH_LOG("the stalled wait: %s", strerror(s.err));
	EXPECT_EQ(0x5a, ((struct epoll_event *)s.events)->data.u64);
	munmap(s.events, page);
	close(uffd);
	close(p[0]);
	close(p[1]);
}

/* ------------------------------------------------------------------ */
/* Races                                                               */

/* Two sides started together, round after round, until a deadline. */
struct duel {
	const struct mux_ops *ops;
	int ep;
	int fd[2];
	int go;
	int out;
};

static void duel_start(struct duel *d)
{
	__atomic_store_n(&d->go, 1, __ATOMIC_RELEASE);
}

static void duel_ready(struct duel *d)
{
	while (!__atomic_load_n(&d->go, __ATOMIC_ACQUIRE))
		;
}

typedef void *(*duel_fn)(void *);

/* Runs @side in a thread against @main in this one, once. */
static void duel(struct duel *d, duel_fn side, void (*main_side)(struct duel *))
{
	pthread_t thr;

	d->go = 0;
	if (pthread_create(&thr, NULL, side, d))
		return;
	duel_start(d);
	main_side(d);
	pthread_join(thr, NULL);
}

static void *side_add(void *arg)
{
	struct duel *d = arg;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };

	duel_ready(d);
	d->out = d->ops->ctl(d->ep, EPOLL_CTL_ADD, d->fd[0], &ev) ? errno : 0;
	return NULL;
}

static void *side_mod_del(void *arg)
{
	struct duel *d = arg;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };

	duel_ready(d);
	while (!d->ops->ctl(d->ep, EPOLL_CTL_MOD, d->fd[0], &ev))
		;
	d->ops->ctl(d->ep, EPOLL_CTL_DEL, d->fd[0], NULL);
	return NULL;
}

static void *side_wait(void *arg)
{
	struct duel *d = arg;
	struct epoll_event ev[4];
	int i;

	duel_ready(d);
	for (i = 0; i < 20; i++)
		d->ops->wait(d->ep, ev, 4, 0);
	return NULL;
}

static void *side_close_other_end(void *arg)
{
	struct duel *d = arg;

	duel_ready(d);
	close(d->fd[1]);
	return NULL;
}

static void *side_close_instance(void *arg)
{
	struct duel *d = arg;

	duel_ready(d);
	close(d->ep);
	return NULL;
}

static void main_close(struct duel *d)
{
	close(d->fd[0]);
}

/* After the round: the closed read end is never reported. */
static int nothing_left(const struct mux_ops *ops, int ep)
{
	struct epoll_event ev[4];

	return ops->wait(ep, ev, 4, 0);
}

static void race_rounds(struct __test_metadata *_metadata,
			const struct mux_ops *ops, int ep, duel_fn side,
			bool add_first, bool keep_writer, const char *what)
{
	long long end = now_ns() + RACE_NS;
	struct iepoll_stats st;
	struct duel d = { .ops = ops, .ep = ep };
	int rounds = 0, seen = 0;

	while (now_ns() < end) {
		ASSERT_EQ(0, pipe2(d.fd, O_NONBLOCK));
		ASSERT_EQ(1, write(d.fd[1], "x", 1));
		if (add_first)
			MUX_ADD(ops, ep, d.fd[0], EPOLLIN, 7);
		duel(&d, side, main_close);
		if (!keep_writer)
			close(d.fd[1]);
		seen += nothing_left(ops, ep);
		if (keep_writer)
			close(d.fd[1]);
		rounds++;
	}
	TH_LOG("%s, %s: %d rounds", ops->name, what, rounds);
	EXPECT_EQ(0, seen) TH_LOG("a closed pipe was reported %d times", seen);
	if (!ops->native) {
		ASSERT_EQ(0, iepoll_get_stats(ep, &st));
		EXPECT_EQ(0, st.items)
			TH_LOG("%llu items left after every file was closed",
			       (unsigned long long)st.items);
	}
}

TEST_F(close, a_close_racing_an_add_of_the_same_file_leaves_nothing)
{
	race_rounds(_metadata, variant->ops, self->ep, side_add, false, true,
		    "close against ADD");
}

TEST_F(close, a_close_racing_mod_and_del_leaves_nothing)
{
	race_rounds(_metadata, variant->ops, self->ep, side_mod_del, true,
		    true, "close against MOD/DEL");
}

TEST_F(close, a_close_racing_a_delivering_wait_leaves_nothing)
{
	race_rounds(_metadata, variant->ops, self->ep, side_wait, true, true,
		    "close against a wait");
}

TEST_F(close, both_ends_of_a_watched_pipe_closed_at_once_leave_nothing)
{
	const struct mux_ops *ops = variant->ops;
	long long end = now_ns() + RACE_NS;
	struct iepoll_stats st;
	struct duel d = { .ops = ops, .ep = self->ep };
	int rounds = 0, seen = 0;

	while (now_ns() < end) {
		ASSERT_EQ(0, pipe2(d.fd, O_NONBLOCK));
		MUX_ADD(ops, self->ep, d.fd[0], EPOLLIN, 1);
		MUX_ADD(ops, self->ep, d.fd[1], EPOLLOUT, 2);
		duel(&d, side_close_other_end, main_close);
		seen += nothing_left(ops, self->ep);
		rounds++;
	}
	TH_LOG("%s: %d rounds", ops->name, rounds);
	EXPECT_EQ(0, seen) TH_LOG("a closed pipe end was reported %d times", seen);
	if (!ops->native) {
		ASSERT_EQ(0, iepoll_get_stats(self->ep, &st));
		EXPECT_EQ(0, st.items);
	}
}

TEST_F(close, closing_the_instance_and_its_file_at_once_frees_both)
{
	const struct mux_ops *ops = variant->ops;
	long before = iepoll_debugfs_instances(), after;
	long long end = now_ns() + RACE_NS;
	struct duel d = { .ops = ops };
	int rounds = 0, late = 0, sv[2];

	while (now_ns() < end) {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
					sv));
		d.ep = MUX_CREATE(ops);
		d.fd[0] = sv[0];
		MUX_ADD(ops, d.ep, sv[0], EPOLLIN, 1);
		duel(&d, side_close_instance, main_close);
		late += !(revents_now(sv[1]) & (POLLHUP | POLLRDHUP));
		close(sv[1]);
		rounds++;
	}
	TH_LOG("%s: %d rounds", ops->name, rounds);
	EXPECT_EQ(0, late)
		TH_LOG("%d times the peer saw no hang-up right after both closes",
		       late);
	if (!ops->native && before >= 0) {
		after = iepoll_debugfs_instances();
		EXPECT_EQ(before, after)
			TH_LOG("instances: %ld before, %ld after", before, after);
	}
}

TEST_HARNESS_MAIN
