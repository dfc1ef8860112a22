/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libiepoll - epoll(7)'s calls on top of /dev/iepoll.
 *
 * Each function has the signature of its libc counterpart and follows the
 * same convention: it returns -1 and sets errno on failure.  The event array
 * is struct epoll_event from <sys/epoll.h> (packed on x86-64), passed
 * straight through to the module.
 */
#ifndef _IEPOLL_LIB_H
#define _IEPOLL_LIB_H

#include <signal.h>
#include <sys/epoll.h>
#include <time.h>
#include <linux/iepoll.h>

#define IEPOLL_DEVICE	"/dev/iepoll"

/* The kernel's sigset_t: one bit per signal, _NSIG - 1 = 64 signals. */
#define IEPOLL_SIGSETSIZE	8

int iepoll_create1(int flags);
int iepoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int iepoll_wait(int epfd, struct epoll_event *events, int maxevents,
		int timeout);
int iepoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		 int timeout, const sigset_t *sigmask);
int iepoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
		  const struct timespec *timeout, const sigset_t *sigmask);

/* Not in libc: the module's own ioctls. */
int iepoll_abi_version(int epfd);
int iepoll_get_stats(int epfd, struct iepoll_stats *stats);

#endif /* _IEPOLL_LIB_H */
