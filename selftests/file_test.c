// SPDX-License-Identifier: GPL-2.0
/*
 * Watched files and instances as objects: what happens when every descriptor
 * of a watched file is closed (the file is never reported again; close_test.c
 * checks that it goes at once), dup'd descriptors, several instances on one
 * file, POLLFREE, fdinfo, per-instance statistics, closing an instance, and
 * what another user may see of an instance.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mux.h"

#define NOBODY		65534
#define EOF_BOUND_NS	5000000000LL	/* the documented delay is far shorter */

FIXTURE(file) {
	int ep;
	int sv[2];
};

MUX_FIXTURE_VARIANTS(file);

FIXTURE_SETUP(file)
{
	self->ep = MUX_CREATE(variant->ops);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, self->sv));
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(file)
{
	close(self->sv[0]);
	close(self->sv[1]);
	close(self->ep);
}

TEST_F(file, a_closed_socket_is_never_reported_again)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;

	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN, 1);
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	ASSERT_EQ(1, ops->wait(self->ep, &ev, 1, 0));
	close(self->sv[0]);
	EXPECT_EQ(0, ops->wait(self->ep, &ev, 1, 0))
		TH_LOG("the ready item of a closed file was reported");
	/* The peer may still write if the file is held: never reported. */
	write(self->sv[1], "w", 1);
	EXPECT_EQ(0, ops->wait(self->ep, &ev, 1, 0));
	EXPECT_ERRNO(EBADF, ops->ctl(self->ep, EPOLL_CTL_DEL, self->sv[0], NULL));
	self->sv[0] = -1;
}

TEST_F(file, a_closed_pipe_is_never_reported_again)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	MUX_ADD(ops, self->ep, p[0], EPOLLIN | EPOLLET, 1);
	MUX_ADD(ops, self->ep, p[1], EPOLLOUT, 2);
	ASSERT_EQ(1, write(p[1], "w", 1));
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(0, ops->wait(self->ep, &ev, 1, 0))
		TH_LOG("got data %llu events %#x", (unsigned long long)ev.data.u64,
		       ev.events);
}

struct closer {
	pthread_t thread;
	const struct mux_ops *ops;
	int ep;
	pid_t tid;
	int ret;
	struct epoll_event ev;
};

static void *closer_wait(void *arg)
{
	struct closer *c = arg;

	__atomic_store_n(&c->tid, mux_gettid(), __ATOMIC_RELEASE);
	c->ret = c->ops->wait(c->ep, &c->ev, 1, 500);
	return NULL;
}

/* The check is made where events are delivered, also for a woken waiter. */
TEST_F(file, a_file_closed_under_a_sleeping_waiter_is_not_reported)
{
	const struct mux_ops *ops = variant->ops;
	struct closer c = { .ops = ops, .ep = self->ep };

	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN, 1);
	ASSERT_EQ(0, pthread_create(&c.thread, NULL, closer_wait, &c));
	while (!__atomic_load_n(&c.tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	ASSERT_EQ(0, task_wait_sleeping(c.tid, 5000));
	close(self->sv[0]);
	self->sv[0] = -1;
	write(self->sv[1], "w", 1);
	pthread_join(c.thread, NULL);
	EXPECT_EQ(0, c.ret) TH_LOG("got %d event(s), data %llu", c.ret,
				   (unsigned long long)c.ev.data.u64);
}

TEST_F(file, a_dup_keeps_the_file_reported_with_its_registration)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;
	int dup_fd = dup(self->sv[0]);

	ASSERT_LE(0, dup_fd);
	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN, 77);
	close(self->sv[0]);
	self->sv[0] = dup_fd;
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	ASSERT_EQ(1, ops->wait(self->ep, &ev, 1, 0))
		TH_LOG("a file still open through a dup must be reported");
	EXPECT_EQ(77, ev.data.u64);
	/* The item is keyed by the closed fd number: the dup's is unknown. */
	EXPECT_ERRNO(ENOENT, ops->ctl(self->ep, EPOLL_CTL_DEL, dup_fd, NULL));
}

TEST_F(file, a_file_passed_to_a_child_stays_reported_until_the_child_exits)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;
	int go[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(go));
	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN, 5);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	close(self->sv[0]);
	self->sv[0] = -1;
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	EXPECT_EQ(1, ops->wait(self->ep, &ev, 1, 0))
		TH_LOG("the child's descriptor keeps the file open");
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, ops->wait(self->ep, &ev, 1, 0))
		TH_LOG("every descriptor is closed: the file must not be reported");
}

TEST_F(file, several_instances_report_the_same_file)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev;
	int ep[3], i;

	for (i = 0; i < 3; i++) {
		ep[i] = MUX_CREATE(ops);
		MUX_ADD(ops, ep[i], self->sv[0], EPOLLIN | (i ? EPOLLET : 0), i);
	}
	ASSERT_EQ(1, write(self->sv[1], "w", 1));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1, ops->wait(ep[i], &ev, 1, 0));
		EXPECT_EQ(i, ev.data.u64);
	}
	close(self->sv[0]);
	self->sv[0] = -1;
	ASSERT_EQ(1, write(self->sv[1], "w", 1) < 0 ? 1 : 1);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, ops->wait(ep[i], &ev, 1, 0))
			TH_LOG("instance %d reported a closed file", i);
		close(ep[i]);
	}
}

/*
 * Returns how long after the close of its last descriptor the peer of @sv
 * sees the end of file.
 */
static long long eof_delay(int peer)
{
	long long start = now_ns(), end = start + EOF_BOUND_NS;
	struct pollfd pfd = { .fd = peer, .events = POLLIN | POLLRDHUP };
	char c;

	while (now_ns() < end) {
		if (poll(&pfd, 1, 10) == 1 && (pfd.revents & (POLLHUP | POLLRDHUP)) &&
		    read(peer, &c, 1) == 0)
			return now_ns() - start;
	}
	return -1;
}

TEST_F(file, closing_an_instance_releases_its_files_at_once)
{
	const struct mux_ops *ops = variant->ops;
	int ep = MUX_CREATE(ops), sv[2];
	long long delay;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	MUX_ADD(ops, ep, sv[0], EPOLLIN, 0);
	close(sv[0]);
	close(ep);
	delay = eof_delay(sv[1]);
	EXPECT_NE(-1, delay);
	EXPECT_GT(1000000000LL, delay)
		TH_LOG("the peer saw EOF %lld us after the instance was closed",
		       delay / 1000);
	close(sv[1]);
}

/*
 * POLLFREE: the child adds a signalfd, so the item waits on the child's
 * sighand; reaping the child frees it and wakes the item with POLLFREE.
 * The instance must then be usable and closable without touching the freed
 * wait queue.
 */
TEST_F(file, a_signalfd_whose_poller_exited_is_handled_as_pollfree)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 9 };
	int sfd, ep2 = MUX_CREATE(ops), status;
	pid_t pid;

	sfd = MUX_SIGNALFD(SIGUSR2);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ops->ctl(self->ep, EPOLL_CTL_ADD, sfd, &ev) ||
		    ops->ctl(ep2, EPOLL_CTL_ADD, sfd, &ev))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status) TH_LOG("the child could not add the signalfd");

	/* Nothing pending: not reported. */
	EXPECT_EQ(0, ops->wait(self->ep, &ev, 1, 0));
	EXPECT_EQ(0, ops->wait(ep2, &ev, 1, 0));
	/* A MOD polls again, now in our context where a signal is pending. */
	ASSERT_EQ(0, raise(SIGUSR2));
	ev.events = EPOLLIN;
	ev.data.u64 = 10;
	EXPECT_EQ(0, ops->ctl(self->ep, EPOLL_CTL_MOD, sfd, &ev));
	EXPECT_EQ(1, ops->wait(self->ep, &ev, 1, 0));
	EXPECT_EQ(10, ev.data.u64);
	EXPECT_EQ(0, ops->ctl(self->ep, EPOLL_CTL_DEL, sfd, NULL));
	/* ep2 keeps its item until it is closed. */
	close(ep2);
	close(sfd);
}

static int fdinfo_check(struct __test_metadata *_metadata, int ep, int tfd,
			unsigned int events, unsigned long long data)
{
	struct fdinfo_item it[4];
	struct stat st;
	int n = fdinfo_items(getpid(), ep, it, 4), i;

	ASSERT_EQ(0, fstat(tfd, &st));
	for (i = 0; i < n && i < 4; i++) {
		if (it[i].tfd != tfd)
			continue;
		EXPECT_EQ(events, it[i].events);
		EXPECT_EQ(data, it[i].data);
		EXPECT_EQ(0, it[i].pos);
		EXPECT_EQ(st.st_ino, it[i].ino);
		EXPECT_EQ((major(st.st_dev) << 20) | minor(st.st_dev), it[i].sdev);
		return n;
	}
	TH_LOG("no fdinfo line for tfd %d among %d", tfd, n);
	return -1;
}

TEST_F(file, fdinfo_lists_every_item_in_epoll_format)
{
	const struct mux_ops *ops = variant->ops;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.u64 = 0xabc };
	int efd = eventfd(0, 0);

	ASSERT_EQ(0, fdinfo_items(getpid(), self->ep, NULL, 0));
	MUX_ADD(ops, self->ep, self->sv[0], EPOLLIN | EPOLLRDHUP, 0x1234567890ULL);
	MUX_ADD(ops, self->ep, efd, EPOLLIN, 1);
	EXPECT_EQ(2, fdinfo_check(_metadata, self->ep, self->sv[0],
				  EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP,
				  0x1234567890ULL));
	ASSERT_EQ(0, ops->ctl(self->ep, EPOLL_CTL_MOD, efd, &ev));
	EXPECT_EQ(2, fdinfo_check(_metadata, self->ep, efd,
				  EPOLLOUT | EPOLLET | EPOLLERR | EPOLLHUP, 0xabc));
	ASSERT_EQ(0, ops->ctl(self->ep, EPOLL_CTL_DEL, efd, NULL));
	EXPECT_EQ(1, fdinfo_items(getpid(), self->ep, NULL, 0));
	close(efd);
}

TEST_F(file, another_user_cannot_read_the_fdinfo_or_open_the_instance)
{
	char info[64], fdpath[64];
	pid_t parent = getpid(), pid;
	int status;

	MUX_ADD(variant->ops, self->ep, self->sv[0], EPOLLIN, 0);
	snprintf(info, sizeof(info), "/proc/%d/fdinfo/%d", parent, self->ep);
	snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%d", parent, self->ep);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		if (open(info, O_RDONLY) >= 0 || errno != EACCES)
			_exit(11);
		if (open(fdpath, O_RDWR) >= 0 || errno != EACCES)
			_exit(12);
		if (syscall(SYS_pidfd_getfd, syscall(SYS_pidfd_open, parent, 0),
			    self->ep, 0) >= 0)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status)
		TH_LOG("uid %d: exit %d (11: read %s, 12: opened %s, 13: pidfd_getfd)",
		       NOBODY, WEXITSTATUS(status), info, fdpath);
}

/* The module's own view of an instance. */
FIXTURE(instance) {
	int ep;
	struct iepoll_stats st;
};

FIXTURE_SETUP(instance)
{
	self->ep = MUX_CREATE(&mux_iepoll);
}

FIXTURE_TEARDOWN(instance)
{
	close(self->ep);
}

TEST_F(instance, fdinfo_shows_the_instance_id_of_the_stats)
{
	char path[64], line[256];
	unsigned int id = 0;
	FILE *f;

	ASSERT_EQ(0, iepoll_get_stats(self->ep, &self->st));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->ep);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "iepoll-id: %u", &id) == 1)
			break;
	fclose(f);
	EXPECT_EQ(self->st.id, id) TH_LOG("stats id %u, fdinfo id %u", self->st.id, id);
}

TEST_F(instance, every_instance_has_its_own_id)
{
	struct iepoll_stats other;
	int ep2 = MUX_CREATE(&mux_iepoll);

	ASSERT_EQ(0, iepoll_get_stats(self->ep, &self->st));
	ASSERT_EQ(0, iepoll_get_stats(ep2, &other));
	EXPECT_NE(self->st.id, other.id);
	close(ep2);
}

TEST_F(instance, the_stats_count_what_was_done)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct iepoll_stats *st = &self->st;
	eventfd_t v;
	int efd[3], i;

	for (i = 0; i < 3; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK);
		MUX_ADD(&mux_iepoll, self->ep, efd[i], EPOLLIN, i);
	}
	ASSERT_EQ(0, iepoll_ctl(self->ep, EPOLL_CTL_MOD, efd[1], &ev));
	ASSERT_EQ(0, iepoll_ctl(self->ep, EPOLL_CTL_DEL, efd[2], NULL));
	EXPECT_EQ(0, iepoll_wait(self->ep, &ev, 1, 1));
	ASSERT_EQ(0, eventfd_write(efd[0], 1));
	EXPECT_EQ(1, iepoll_wait(self->ep, &ev, 1, 0));
	ASSERT_EQ(0, eventfd_read(efd[0], &v));
	EXPECT_EQ(0, iepoll_wait(self->ep, &ev, 1, 0));
	ASSERT_EQ(0, iepoll_get_stats(self->ep, st));

	EXPECT_NE(0, st->id);
	EXPECT_EQ(0, st->__pad);
	EXPECT_EQ(3, st->inserts);
	EXPECT_EQ(1, st->modifies);
	EXPECT_EQ(1, st->removes);
	EXPECT_EQ(2, st->items);
	EXPECT_EQ(3, st->waits);
	EXPECT_EQ(2, st->timeouts)
		TH_LOG("a 1 ms wait and a 0 ms wait ended without events");
	EXPECT_EQ(0, st->eintr);
	/* LT: delivered once, then polled empty after the read. */
	EXPECT_EQ(1, st->delivered);
	EXPECT_LE(1, st->callbacks);
	EXPECT_LE(1, st->max_ready);
	EXPECT_GE(2, st->max_ready);
	EXPECT_EQ(0, st->overflows);
	for (i = 0; i < 3; i++)
		close(efd[i]);
}

/* What IEPOLL_DEBUGFS_STATS counted along the test. */
#define INSTANCES_FMT "instances: %ld before, %ld with one more, %ld after closing it, %ld after closing its watcher"

TEST_F(instance, closing_an_instance_frees_it)
{
	long before = iepoll_debugfs_instances(), during, after;
	int ep2, efd = eventfd(0, 0);

	if (before < 0)
		SKIP(return, "%s: %s (debugfs not mounted?)", IEPOLL_DEBUGFS_STATS,
		     strerror(errno));
	ep2 = MUX_CREATE(&mux_iepoll);
	MUX_ADD(&mux_iepoll, ep2, efd, EPOLLIN, 0);
	MUX_ADD(&mux_iepoll, self->ep, ep2, EPOLLIN, 0);
	during = iepoll_debugfs_instances();
	close(ep2);
	close(efd);
	after = iepoll_debugfs_instances();
	EXPECT_EQ(before + 1, during);
	/* ep2's close removed self->ep's item on it, then freed ep2. */
	EXPECT_EQ(before, after);
	ASSERT_EQ(0, iepoll_get_stats(self->ep, &self->st));
	EXPECT_EQ(0, self->st.items);
	close(self->ep);
	self->ep = MUX_CREATE(&mux_iepoll);
	EXPECT_EQ(before, iepoll_debugfs_instances())
		TH_LOG(INSTANCES_FMT,
		       before, during, after, iepoll_debugfs_instances());
}

TEST_F(instance, the_module_cannot_be_unloaded_while_an_instance_is_open)
{
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "iepoll", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno) TH_LOG("delete_module: %s", strerror(errno));
}

TEST_HARNESS_MAIN
