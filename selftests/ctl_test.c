// SPDX-License-Identifier: GPL-2.0
/*
 * EPOLL_CTL_ADD/MOD/DEL and instance creation: every errno of epoll_ctl(2),
 * checked against native epoll and against /dev/iepoll.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mux.h"

#define NOBODY			65534
#define WATCH_LIMIT		16
#define EPOLL_LIMIT_PATH	"/proc/sys/fs/epoll/max_user_watches"
#define IEPOLL_LIMIT_PATH	"/sys/module/iepoll/parameters/max_user_watches"

FIXTURE(ctl) {
	int ep;
	int efd;
};

MUX_FIXTURE_VARIANTS(ctl);

FIXTURE_SETUP(ctl)
{
	self->ep = MUX_CREATE(variant->ops);
	self->efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(ctl)
{
	close(self->efd);
	close(self->ep);
}

TEST_F(ctl, add_mod_and_del_of_an_eventfd_succeed)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };

	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
	ev.events = EPOLLOUT;
	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_MOD, self->efd, &ev));
	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_DEL, self->efd, &ev));
}

TEST_F(ctl, create1_with_cloexec_sets_close_on_exec)
{
	int ep = variant->ops->create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	EXPECT_EQ(FD_CLOEXEC, fcntl(ep, F_GETFD) & FD_CLOEXEC);
	close(ep);
	EXPECT_EQ(0, fcntl(self->ep, F_GETFD) & FD_CLOEXEC);
}

TEST_F(ctl, create1_with_an_unknown_flag_fails_with_EINVAL)
{
	EXPECT_ERRNO(EINVAL, variant->ops->create1(1));
	EXPECT_ERRNO(EINVAL, variant->ops->create1(O_NONBLOCK));
	EXPECT_ERRNO(EINVAL, variant->ops->create1(EPOLL_CLOEXEC | O_RDWR));
}

TEST_F(ctl, ctl_on_a_closed_instance_fd_fails_with_EBADF)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = variant->ops->create1(0);

	ASSERT_LE(0, ep);
	close(ep);
	EXPECT_ERRNO(EBADF, variant->ops->ctl(ep, EPOLL_CTL_ADD, self->efd, &ev));
	EXPECT_ERRNO(EBADF, variant->ops->ctl(-1, EPOLL_CTL_ADD, self->efd, &ev));
}

TEST_F(ctl, ctl_with_a_closed_target_fd_fails_with_EBADF)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = eventfd(0, 0);

	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_ERRNO(EBADF, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_ERRNO(EBADF, variant->ops->ctl(self->ep, EPOLL_CTL_DEL, fd, &ev));
	EXPECT_ERRNO(EBADF, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, -1, &ev));
}

TEST_F(ctl, ctl_on_an_fd_that_is_not_an_instance_fails_with_EINVAL)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int other = eventfd(0, 0);

	ASSERT_LE(0, other);
	EXPECT_ERRNO(EINVAL, variant->ops->ctl(other, EPOLL_CTL_ADD, self->efd, &ev));
	close(other);
}

TEST_F(ctl, adding_an_fd_twice_fails_with_EEXIST)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ASSERT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
	EXPECT_ERRNO(EEXIST, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
}

TEST_F(ctl, modifying_an_unwatched_fd_fails_with_ENOENT)
{
	struct epoll_event ev = { .events = EPOLLIN };

	EXPECT_ERRNO(ENOENT, variant->ops->ctl(self->ep, EPOLL_CTL_MOD, self->efd, &ev));
}

TEST_F(ctl, deleting_an_unwatched_fd_fails_with_ENOENT)
{
	struct epoll_event ev = { .events = EPOLLIN };

	EXPECT_ERRNO(ENOENT, variant->ops->ctl(self->ep, EPOLL_CTL_DEL, self->efd, NULL));
	ASSERT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
	ASSERT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_DEL, self->efd, NULL));
	EXPECT_ERRNO(ENOENT, variant->ops->ctl(self->ep, EPOLL_CTL_DEL, self->efd, NULL));
}

TEST_F(ctl, an_item_is_keyed_by_file_and_fd_so_a_dup_is_another_item)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int dup_fd = dup(self->efd);

	ASSERT_LE(0, dup_fd);
	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, dup_fd, &ev));
	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_DEL, self->efd, NULL));
	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_DEL, dup_fd, NULL));
	close(dup_fd);
}

TEST_F(ctl, adding_a_regular_file_fails_with_EPERM)
{
	char path[] = "/tmp/iepoll-ctl-XXXXXX";
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = mkstemp(path);

	ASSERT_LE(0, fd) TH_LOG("mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	EXPECT_ERRNO(EPERM, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, fd, &ev));
	close(fd);
}

TEST_F(ctl, adding_the_instance_to_itself_fails_with_EINVAL)
{
	struct epoll_event ev = { .events = EPOLLIN };

	EXPECT_ERRNO(EINVAL, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->ep, &ev));
}

TEST_F(ctl, an_unknown_op_fails_with_EINVAL)
{
	struct epoll_event ev = { .events = EPOLLIN };

	EXPECT_ERRNO(EINVAL, variant->ops->ctl(self->ep, 0, self->efd, &ev));
	EXPECT_ERRNO(EINVAL, variant->ops->ctl(self->ep, 4, self->efd, &ev));
	EXPECT_ERRNO(EINVAL, variant->ops->ctl(self->ep, -1, self->efd, &ev));
}

TEST_F(ctl, add_or_mod_without_an_event_fails_with_EFAULT)
{
	EXPECT_ERRNO(EFAULT, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, NULL));
	EXPECT_ERRNO(EFAULT, variant->ops->ctl(self->ep, EPOLL_CTL_MOD, self->efd, NULL));
}

TEST_F(ctl, exclusive_with_mod_fails_with_EINVAL)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ASSERT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	EXPECT_ERRNO(EINVAL, variant->ops->ctl(self->ep, EPOLL_CTL_MOD, self->efd, &ev));
}

TEST_F(ctl, modifying_an_exclusive_item_fails_with_EINVAL)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

	ASSERT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
	ev.events = EPOLLIN;
	EXPECT_ERRNO(EINVAL, variant->ops->ctl(self->ep, EPOLL_CTL_MOD, self->efd, &ev));
	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_DEL, self->efd, NULL));
}

TEST_F(ctl, exclusive_on_an_instance_target_fails_with_EINVAL)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int inner = variant->ops->create1(0);

	ASSERT_LE(0, inner);
	EXPECT_ERRNO(EINVAL, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, inner, &ev));
	close(inner);
}

TEST_F(ctl, exclusive_with_a_bit_beyond_in_out_err_hup_fails_with_EINVAL)
{
	static const unsigned int bad[] = {
		EPOLLONESHOT, EPOLLRDHUP, EPOLLPRI, EPOLLMSG, EPOLLRDNORM,
		EPOLLWRNORM, EPOLLRDBAND, EPOLLWRBAND,
	};
	struct epoll_event ev;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ev.events = EPOLLIN | EPOLLEXCLUSIVE | bad[i];
		EXPECT_ERRNO(EINVAL, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
		if (errno != EINVAL)
			TH_LOG("with EPOLLEXCLUSIVE | %#x", bad[i]);
	}
}

TEST_F(ctl, exclusive_with_in_out_err_hup_et_is_accepted)
{
	struct epoll_event ev = {
		.events = EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR |
			  EPOLLHUP | EPOLLET,
	};

	EXPECT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, self->efd, &ev));
}

TEST_F(ctl, a_cycle_between_two_instances_fails_with_ELOOP)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int other = variant->ops->create1(0);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, other, &ev));
	EXPECT_ERRNO(ELOOP, variant->ops->ctl(other, EPOLL_CTL_ADD, self->ep, &ev));
	close(other);
}

TEST_F(ctl, a_cycle_through_three_instances_fails_with_ELOOP)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int a = variant->ops->create1(0), b = variant->ops->create1(0);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, variant->ops->ctl(self->ep, EPOLL_CTL_ADD, a, &ev));
	ASSERT_EQ(0, variant->ops->ctl(a, EPOLL_CTL_ADD, b, &ev));
	EXPECT_ERRNO(ELOOP, variant->ops->ctl(b, EPOLL_CTL_ADD, self->ep, &ev));
	close(a);
	close(b);
}

/* ep[i + 1] watches ep[i]: four links are allowed, a fifth is too deep. */
TEST_F(ctl, nesting_more_than_four_levels_fails_with_ELOOP)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep[6], i;

	for (i = 0; i < 6; i++) {
		ep[i] = variant->ops->create1(0);
		ASSERT_LE(0, ep[i]);
	}
	ASSERT_EQ(0, variant->ops->ctl(ep[0], EPOLL_CTL_ADD, self->efd, &ev));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, variant->ops->ctl(ep[i + 1], EPOLL_CTL_ADD, ep[i], &ev))
			TH_LOG("link %d of 4: %s", i + 1, strerror(errno));
	EXPECT_ERRNO(ELOOP, variant->ops->ctl(ep[5], EPOLL_CTL_ADD, ep[4], &ev));
	for (i = 0; i < 6; i++)
		close(ep[i]);
}

/* Two chains of two links each: joining them would make five links. */
TEST_F(ctl, joining_two_chains_deeper_than_four_levels_fails_with_ELOOP)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int lo[3], hi[3], i;

	for (i = 0; i < 3; i++) {
		lo[i] = variant->ops->create1(0);
		hi[i] = variant->ops->create1(0);
		ASSERT_LE(0, lo[i]);
		ASSERT_LE(0, hi[i]);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, variant->ops->ctl(lo[i + 1], EPOLL_CTL_ADD, lo[i], &ev));
		ASSERT_EQ(0, variant->ops->ctl(hi[i + 1], EPOLL_CTL_ADD, hi[i], &ev));
	}
	EXPECT_ERRNO(ELOOP, variant->ops->ctl(hi[0], EPOLL_CTL_ADD, lo[2], &ev));
	/* lo[2] alone under hi[1]'s top: 1 + 1 + 2 links is allowed. */
	EXPECT_EQ(0, variant->ops->ctl(hi[2], EPOLL_CTL_ADD, lo[1], &ev));
	for (i = 0; i < 3; i++) {
		close(lo[i]);
		close(hi[i]);
	}
}

/*
 * The watch limit: lowered for the test and restored after, through the
 * sysctl for epoll and the module parameter for iepoll.  Lowering the host's
 * sysctl would starve every other process of the host, so the epoll variant
 * runs in the VM only.
 */
FIXTURE(limit) {
	const char *path;
	long saved;
};

MUX_FIXTURE_VARIANTS(limit);

FIXTURE_SETUP(limit)
{
	self->path = variant->ops->native ? EPOLL_LIMIT_PATH : IEPOLL_LIMIT_PATH;
	self->saved = -1;
	if (variant->ops->native && !in_guest())
		SKIP(return, "lowers the host's fs.epoll.max_user_watches: runs in the VM only");
	ASSERT_EQ(0, read_long(self->path, &self->saved))
		TH_LOG("%s: %s%s", self->path, strerror(errno),
		       mux_missing_hint(variant->ops));
	ASSERT_EQ(0, write_long(self->path, WATCH_LIMIT))
		TH_LOG("lowering %s: %s", self->path, strerror(errno));
}

FIXTURE_TEARDOWN(limit)
{
	if (self->saved >= 0 && write_long(self->path, self->saved))
		TH_LOG("restoring %s to %ld: %s", self->path, self->saved,
		       strerror(errno));
}

/* Adds eventfds until ADD fails; returns how many were added. */
static int fill(const struct mux_ops *ops, int ep, int *fds, int max)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int n;

	for (n = 0; n < max; n++) {
		fds[n] = eventfd(0, 0);
		if (fds[n] < 0)
			return n;
		if (ops->ctl(ep, EPOLL_CTL_ADD, fds[n], &ev)) {
			int err = errno;

			close(fds[n]);
			errno = err;
			return n;
		}
	}
	errno = 0;
	return n;
}

TEST_F(limit, adding_beyond_max_user_watches_fails_with_ENOSPC)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fds[WATCH_LIMIT + 1], ep, n;

	ep = MUX_CREATE(variant->ops);
	n = fill(variant->ops, ep, fds, WATCH_LIMIT + 1);
	EXPECT_EQ(ENOSPC, errno)
		TH_LOG("ADD number %d: expected ENOSPC, got %s", n + 1,
		       strerrorname_np(errno));
	EXPECT_EQ(WATCH_LIMIT, n)
		TH_LOG("limit %d: expected %d ADDs to succeed, got %d",
		       WATCH_LIMIT, WATCH_LIMIT, n);
	/* A DEL gives the watch back. */
	ASSERT_LT(0, n);
	EXPECT_EQ(0, variant->ops->ctl(ep, EPOLL_CTL_DEL, fds[0], NULL));
	EXPECT_EQ(0, variant->ops->ctl(ep, EPOLL_CTL_ADD, fds[0], &ev))
		TH_LOG("ADD after a DEL at the limit: %s", strerror(errno));
	close(ep);
}

TEST_F(limit, closing_an_instance_gives_its_watches_back)
{
	int fds[WATCH_LIMIT + 1], ep, n, i;

	ep = MUX_CREATE(variant->ops);
	n = fill(variant->ops, ep, fds, WATCH_LIMIT + 1);
	EXPECT_EQ(WATCH_LIMIT, n);
	close(ep);
	for (i = 0; i < n; i++)
		close(fds[i]);

	ep = MUX_CREATE(variant->ops);
	n = fill(variant->ops, ep, fds, WATCH_LIMIT);
	EXPECT_EQ(WATCH_LIMIT, n)
		TH_LOG("after closing a full instance: expected %d ADDs, got %d (%s)",
		       WATCH_LIMIT, n, strerror(errno));
	close(ep);
}

/* The child exits with 0 or tells what went wrong. */
#define LIMIT_EXIT_FMT "uid %d: expected %d ADDs then ENOSPC, got exit %d (<100: ADDs that succeeded; 100: setresuid; 101: create; 102: more ADDs than the limit; 103: wrong errno)"

/*
 * The limit is per user: root holds every watch it may have, yet nobody can
 * add as many of its own, and no more.
 */
TEST_F(limit, an_unprivileged_user_hits_ENOSPC_at_its_own_limit)
{
	int fds[WATCH_LIMIT + 1], ep, n, status;
	pid_t pid;

	ep = MUX_CREATE(variant->ops);
	n = fill(variant->ops, ep, fds, WATCH_LIMIT);
	ASSERT_EQ(WATCH_LIMIT, n);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int uep, got;

		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(100);
		uep = variant->ops->create1(0);
		if (uep < 0)
			_exit(101);
		got = fill(variant->ops, uep, fds, WATCH_LIMIT + 1);
		if (got != WATCH_LIMIT)
			_exit(got > WATCH_LIMIT ? 102 : got);
		_exit(errno == ENOSPC ? 0 : 103);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG(LIMIT_EXIT_FMT,
		       NOBODY, WATCH_LIMIT, WEXITSTATUS(status));
	close(ep);
}

/* ioctl-level checks of the iepoll ABI that epoll has no equivalent for. */
FIXTURE(abi) {
	int ep;
	int efd;
};

FIXTURE_SETUP(abi)
{
	self->ep = MUX_CREATE(&mux_iepoll);
	self->efd = eventfd(0, 0);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(abi)
{
	close(self->efd);
	close(self->ep);
}

TEST_F(abi, the_version_ioctl_returns_the_abi_version)
{
	EXPECT_EQ(IEPOLL_ABI_VERSION, ioctl(self->ep, IEPOLL_IOC_VERSION));
}

TEST_F(abi, an_unknown_ioctl_fails_with_ENOTTY)
{
	EXPECT_ERRNO(ENOTTY, ioctl(self->ep, _IO(IEPOLL_IOC_MAGIC, 0x7f)));
}

TEST_F(abi, ctl_with_a_nonzero_pad_fails_with_EINVAL)
{
	struct iepoll_ctl ctl = {
		.op = EPOLL_CTL_ADD, .fd = self->efd, .events = EPOLLIN,
		.__pad = 1,
	};

	EXPECT_ERRNO(EINVAL, ioctl(self->ep, IEPOLL_IOC_CTL, &ctl));
	ctl.__pad = 0;
	EXPECT_EQ(0, ioctl(self->ep, IEPOLL_IOC_CTL, &ctl));
}

TEST_F(abi, wait_with_a_nonzero_pad_fails_with_EINVAL)
{
	struct epoll_event ev;
	struct iepoll_wait wait = {
		.events = (unsigned long)&ev, .maxevents = 1, .__pad = 1,
	};

	EXPECT_ERRNO(EINVAL, ioctl(self->ep, IEPOLL_IOC_WAIT, &wait));
	wait.__pad = 0;
	EXPECT_EQ(0, ioctl(self->ep, IEPOLL_IOC_WAIT, &wait));
}

TEST_F(abi, ctl_with_a_bad_argument_pointer_fails_with_EFAULT)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->ep, IEPOLL_IOC_CTL, (void *)8));
	EXPECT_ERRNO(EFAULT, ioctl(self->ep, IEPOLL_IOC_CTL, NULL));
}

TEST_F(abi, wait_with_a_bad_argument_pointer_fails_with_EFAULT)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->ep, IEPOLL_IOC_WAIT, (void *)8));
	EXPECT_ERRNO(EFAULT, ioctl(self->ep, IEPOLL_IOC_STATS, (void *)8));
}

/* A cycle through a real epoll could not be seen, so it is refused. */
TEST_F(abi, adding_a_native_epoll_fd_fails_with_EINVAL)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int native = epoll_create1(0);

	ASSERT_LE(0, native);
	EXPECT_ERRNO(EINVAL, iepoll_ctl(self->ep, EPOLL_CTL_ADD, native, &ev));
	close(native);
}

/* The other way round works: an instance nests inside real epoll. */
TEST_F(abi, a_native_epoll_can_watch_an_instance)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int native = epoll_create1(0);

	ASSERT_LE(0, native);
	EXPECT_EQ(0, epoll_ctl(native, EPOLL_CTL_ADD, self->ep, &ev));
	close(native);
}

TEST_HARNESS_MAIN
