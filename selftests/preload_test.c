// SPDX-License-Identifier: GPL-2.0
/*
 * libiepoll-run.so, the library iepoll-run preloads, against native epoll:
 * what a program sees across fork, exec, dup, EPOLL_CLOEXEC, poll, nesting,
 * signals, and for an epoll fd the library did not create.
 *
 * The "epoll" variant calls libc; the "preload" variant calls the
 * library's epoll_* functions (dlopen of tools/libiepoll-run.so, next to
 * this directory), and its exec'd children get it through LD_PRELOAD, as
 * under iepoll-run.  This program runs itself as that child:
 * "preload_test --wait-on FD" waits on FD with libc's epoll_wait.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mux.h"

#define CHILD_DATA	42
#define CHILD_OK	0
#define CHILD_EBADF	3
#define CHILD_OTHER	4

static char lib_path[PATH_MAX];
static struct mux_ops mux_preload = { .name = "preload" };

/* The library's functions, or a reason why they are not there. */
static const char *load_preload(void)
{
	char self[PATH_MAX - 32], *slash;
	ssize_t n;
	void *dl;

	if (mux_preload.create1)
		return NULL;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return "cannot read /proc/self/exe";
	self[n] = 0;
	slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(lib_path, sizeof(lib_path), "%s/../tools/libiepoll-run.so",
		 self);
	dl = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		return "tools/libiepoll-run.so is missing: make -C tools";
	mux_preload.create1 = dlsym(dl, "epoll_create1");
	mux_preload.ctl = dlsym(dl, "epoll_ctl");
	mux_preload.wait = dlsym(dl, "epoll_wait");
	mux_preload.pwait = dlsym(dl, "epoll_pwait");
	mux_preload.pwait2 = dlsym(dl, "epoll_pwait2");
	if (!mux_preload.create1 || !mux_preload.ctl || !mux_preload.wait ||
	    !mux_preload.pwait || !mux_preload.pwait2)
		return "the library lacks an epoll function";
	return NULL;
}

/* The exec'd child: one event with CHILD_DATA on @fd, through libc. */
static int child_wait(int fd)
{
	struct epoll_event ev;
	int n = epoll_wait(fd, &ev, 1, 0);

	if (n == 1 && ev.data.u64 == CHILD_DATA)
		return CHILD_OK;
	if (n < 0 && errno == EBADF)
		return CHILD_EBADF;
	fprintf(stderr, "child: epoll_wait on fd %d returned %d (%s)\n", fd, n,
		n < 0 ? strerror(errno) : "no error");
	return CHILD_OTHER;
}

/* Fork, exec this program on @fd (under LD_PRELOAD if @preload). */
static int run_child(int fd, bool preload)
{
	char arg[16];
	pid_t pid;
	int status;

	snprintf(arg, sizeof(arg), "%d", fd);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (preload)
			setenv("LD_PRELOAD", lib_path, 1);
		execl("/proc/self/exe", "preload_test", "--wait-on", arg,
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(preload) {
	const struct mux_ops *ops;
	int ep;
	int p[2];
};

FIXTURE_VARIANT(preload) {
	bool preload;
};

FIXTURE_VARIANT_ADD(preload, epoll) {
	.preload = false,
};

FIXTURE_VARIANT_ADD(preload, preload) {
	.preload = true,
};

FIXTURE_SETUP(preload)
{
	const char *why;

	self->ops = &mux_epoll;
	if (variant->preload) {
		why = load_preload();
		if (why)
			SKIP(return, "%s", why);
		self->ops = &mux_preload;
	}
	self->ep = MUX_CREATE(self->ops);
	ASSERT_EQ(0, pipe2(self->p, O_NONBLOCK));
}

FIXTURE_TEARDOWN(preload)
{
	close(self->ep);
	close(self->p[0]);
	close(self->p[1]);
}

static void make_ready(int wfd)
{
	if (write(wfd, "x", 1) != 1)
		abort();
}

TEST_F(preload, a_forked_child_waits_on_the_same_instance)
{
	struct epoll_event ev = { 0 };
	pid_t pid;
	int status;

	MUX_ADD(self->ops, self->ep, self->p[0], EPOLLIN, 7);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int n = self->ops->wait(self->ep, &ev, 1, 5000);

		_exit(n == 1 && ev.data.u64 == 7 ? 0 : 1);
	}
	usleep(50000);
	make_ready(self->p[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child's wait on the shared instance failed (status %#x)",
		       status);
	/* Level-triggered and unread: the parent sees it too. */
	EXPECT_EQ(1, self->ops->wait(self->ep, &ev, 1, 0));
}

TEST_F(preload, exec_keeps_an_instance_made_without_cloexec)
{
	int rc;

	MUX_ADD(self->ops, self->ep, self->p[0], EPOLLIN, CHILD_DATA);
	make_ready(self->p[1]);
	rc = run_child(self->ep, variant->preload);
	EXPECT_EQ(CHILD_OK, rc)
		TH_LOG("the exec'd child could not wait on fd %d: status %d",
		       self->ep, rc);
}

TEST_F(preload, exec_closes_an_instance_made_with_EPOLL_CLOEXEC)
{
	int ep = self->ops->create1(EPOLL_CLOEXEC), rc;

	ASSERT_LE(0, ep);
	EXPECT_EQ(FD_CLOEXEC, fcntl(ep, F_GETFD) & FD_CLOEXEC);
	rc = run_child(ep, variant->preload);
	EXPECT_EQ(CHILD_EBADF, rc)
		TH_LOG("expected fd %d closed at exec (EBADF), child status %d",
		       ep, rc);
	close(ep);
}

TEST_F(preload, a_dup_keeps_the_interest_list_after_the_original_closes)
{
	struct epoll_event ev = { 0 };
	int d = dup(self->ep);

	ASSERT_LE(0, d);
	MUX_ADD(self->ops, self->ep, self->p[0], EPOLLIN, 9);
	close(self->ep);
	self->ep = d;
	make_ready(self->p[1]);
	ASSERT_EQ(1, self->ops->wait(d, &ev, 1, 1000));
	EXPECT_EQ(9, ev.data.u64);
}

TEST_F(preload, a_ready_instance_is_readable_for_poll_and_another_instance)
{
	struct pollfd pfd = { .fd = self->ep, .events = POLLIN };
	struct epoll_event ev = { 0 };
	int outer;

	MUX_ADD(self->ops, self->ep, self->p[0], EPOLLIN, 1);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	make_ready(self->p[1]);
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_EQ(POLLIN, pfd.revents);

	outer = self->ops->create1(0);
	ASSERT_LE(0, outer);
	MUX_ADD(self->ops, outer, self->ep, EPOLLIN, 2);
	EXPECT_EQ(1, self->ops->wait(outer, &ev, 1, 1000));
	EXPECT_EQ(2, ev.data.u64);
	EXPECT_EQ(EPOLLIN, ev.events);
	close(outer);
}

TEST_F(preload, an_epoll_fd_made_elsewhere_still_works)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 5 };
	int native = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, native);
	ASSERT_EQ(0, self->ops->ctl(native, EPOLL_CTL_ADD, self->p[0], &ev));
	make_ready(self->p[1]);
	ev.data.u64 = 0;
	ASSERT_EQ(1, self->ops->wait(native, &ev, 1, 1000));
	EXPECT_EQ(5, ev.data.u64);
	close(native);
}

TEST_F(preload, calls_on_fds_that_are_not_instances_fail_as_epoll)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int closed = dup(self->p[1]);

	close(closed);
	EXPECT_ERRNO(EINVAL, self->ops->ctl(self->p[1], EPOLL_CTL_ADD,
					    self->p[0], &ev));
	EXPECT_ERRNO(EINVAL, self->ops->wait(self->p[1], &ev, 1, 0));
	EXPECT_ERRNO(EBADF, self->ops->wait(closed, &ev, 1, 0));
	EXPECT_ERRNO(EINVAL, self->ops->wait(closed, &ev, 0, 0));
	EXPECT_ERRNO(EINVAL, self->ops->wait(self->ep, &ev, -1, 0));
	EXPECT_ERRNO(EFAULT, self->ops->ctl(self->ep, EPOLL_CTL_ADD,
					    self->p[0], NULL));
	EXPECT_ERRNO(ENOENT, self->ops->ctl(self->ep, EPOLL_CTL_DEL,
					    self->p[0], &ev));
	EXPECT_ERRNO(EINVAL, self->ops->create1(O_NONBLOCK));
}

static void *late_signal(void *arg)
{
	usleep(100000);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

TEST_F(preload, a_signal_the_mask_unblocks_ends_the_wait_with_EINTR)
{
	pthread_t self_thr = pthread_self(), thr;
	struct epoll_event ev;
	sigset_t block, none;
	int n, err;

	/* SA_RESTART does not restart an epoll wait. */
	ASSERT_EQ(0, install_handler(SIGUSR1, SA_RESTART));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &block, NULL));
	ASSERT_EQ(0, pthread_create(&thr, NULL, late_signal, &self_thr));
	n = self->ops->pwait(self->ep, &ev, 1, 5000, &none);
	err = errno;
	pthread_join(thr, NULL);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGUSR1, SIG_DFL);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINTR, err) TH_LOG("expected EINTR, got %s", strerror(err));
}

/* TEST_HARNESS_MAIN, with the exec'd child's mode in front. */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--wait-on"))
		return child_wait(atoi(argv[2]));
	return test_harness_run(argc, argv);
}
