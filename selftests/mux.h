/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One test body, two multiplexers: native epoll(7) and /dev/iepoll through
 * tools/lib.  A fixture has two variants (MUX_FIXTURE_VARIANTS), "epoll"
 * with .ops = &mux_epoll and "iepoll" with .ops = &mux_iepoll, and reaches
 * the calls through variant->ops, so a divergence from epoll shows as a
 * failing "iepoll" variant next to a passing "epoll" one.
 */
#ifndef _IEPOLL_SELFTESTS_MUX_H
#define _IEPOLL_SELFTESTS_MUX_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <time.h>

#include "iepoll.h"

struct mux_ops {
	const char *name;
	bool native;
	int (*create1)(int flags);
	int (*ctl)(int epfd, int op, int fd, struct epoll_event *event);
	int (*wait)(int epfd, struct epoll_event *events, int maxevents,
		    int timeout);
	int (*pwait)(int epfd, struct epoll_event *events, int maxevents,
		     int timeout, const sigset_t *sigmask);
	int (*pwait2)(int epfd, struct epoll_event *events, int maxevents,
		      const struct timespec *timeout, const sigset_t *sigmask);
	/* epoll_pwait2(2) with every argument raw, sigsetsize included. */
	int (*pwait_raw)(int epfd, void *events, int maxevents,
			 long long timeout_ns, const void *sigmask,
			 size_t sigsetsize);
};

extern const struct mux_ops mux_epoll;
extern const struct mux_ops mux_iepoll;

/*
 * The ops of a multiplexer whose calls follow epoll(7)'s names with its
 * own @prefix (epoll_create1, iepoll_create1, ...), PREFIX_raw being the
 * raw epoll_pwait2; mux.c defines mux_epoll and mux_iepoll with it.
 */
#define MUX_OPS(prefix, is_native) {					\
	.name = #prefix,						\
	.native = (is_native),						\
	.create1 = prefix##_create1,					\
	.ctl = prefix##_ctl,						\
	.wait = prefix##_wait,						\
	.pwait = prefix##_pwait,					\
	.pwait2 = prefix##_pwait2,					\
	.pwait_raw = prefix##_raw,					\
}

/*
 * The two variants of fixture @name, "epoll" and "iepoll", each with .ops
 * alone; after kselftest_harness.h, where a fixture's FIXTURE_VARIANT and
 * FIXTURE_VARIANT_ADDs would go:  MUX_FIXTURE_VARIANTS(ctl);
 * A fixture whose variants carry more than .ops declares them itself.
 */
#define MUX_FIXTURE_VARIANTS(name)					\
	FIXTURE_VARIANT(name) {						\
		const struct mux_ops *ops;				\
	};								\
	FIXTURE_VARIANT_ADD(name, epoll) {				\
		.ops = &mux_epoll,					\
	};								\
	FIXTURE_VARIANT_ADD(name, iepoll) {				\
		.ops = &mux_iepoll,					\
	}

/* Creates an instance or fails the test, saying why. */
#define MUX_CREATE(ops) ({						\
	const struct mux_ops *__ops = (ops);				\
	int __ep = __ops->create1(0);					\
	if (__ep < 0)							\
		TH_LOG("%s instance: expected an fd, got %s%s",		\
		       __ops->name, strerror(errno),			\
		       mux_missing_hint(__ops));			\
	ASSERT_LE(0, __ep);						\
	__ep;								\
})

#define MUX_ADD(ops, ep, fd, bits, udata) ({				\
	struct epoll_event __e = { .events = (bits), .data.u64 = (udata) };\
	int __fd = (fd);						\
	int __r = (ops)->ctl(ep, EPOLL_CTL_ADD, __fd, &__e);		\
	if (__r)							\
		TH_LOG("ADD fd %d events %#x: expected 0, got %s",	\
		       __fd, (unsigned int)__e.events, strerror(errno));\
	ASSERT_EQ(0, __r);						\
})

/*
 * Blocks signal @sig in the calling thread and returns a non-blocking
 * signalfd for it, or fails the test, saying why.
 */
#define MUX_SIGNALFD(sig) ({						\
	int __sig = (sig), __sfd;					\
	sigset_t __mask;						\
	sigemptyset(&__mask);						\
	sigaddset(&__mask, __sig);					\
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &__mask, NULL));	\
	__sfd = signalfd(-1, &__mask, SFD_NONBLOCK);			\
	if (__sfd < 0)							\
		TH_LOG("signalfd of signal %d: expected an fd, got %s",	\
		       __sig, strerror(errno));				\
	ASSERT_LE(0, __sfd);						\
	__sfd;								\
})

/* Expects -1 with errno @err from the expression @call. */
#define EXPECT_ERRNO(err, call) do {					\
	int __err = (err), __r;						\
	errno = 0;							\
	__r = (call);							\
	if (__r != -1 || errno != __err)				\
		TH_LOG("%s: expected -1/%s, got %d/%s", #call,		\
		       strerrorname_np(__err), __r,			\
		       errno ? strerrorname_np(errno) : "0");		\
	EXPECT_EQ(-1, __r);						\
	EXPECT_EQ(__err, errno);					\
} while (0)

const char *mux_missing_hint(const struct mux_ops *ops);

long long now_ns(void);
pid_t mux_gettid(void);
int task_wait_sleeping(pid_t tid, int timeout_ms);
bool in_guest(void);
int install_handler(int sig, int flags);
int drop_capability(int cap);
int read_long(const char *path, long *val);
int write_long(const char *path, long val);

/* The tfd lines of /proc/<pid>/fdinfo/<fd>: tools/lib's parser. */
#define fdinfo_item	iepoll_fdinfo_item
#define fdinfo_items	iepoll_fdinfo_items

#endif /* _IEPOLL_SELFTESTS_MUX_H */
