// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libiepoll - epoll(7)'s calls on top of /dev/iepoll.
 *
 * The functions translate their arguments into the structures of
 * <linux/iepoll.h> and issue one ioctl.  Errors are those of the libc
 * functions, with two translations done here because an ioctl cannot give
 * them: an fd that is not an instance gives EINVAL (the ioctl says ENOTTY),
 * and a missing event for EPOLL_CTL_ADD/MOD gives EFAULT (the module never
 * sees the caller's struct epoll_event).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iepoll.h"

#define NSEC_PER_SEC	1000000000LL
#define NSEC_PER_MSEC	1000000LL

static int iepoll_ioctl(int epfd, unsigned long cmd, void *arg)
{
	int ret = ioctl(epfd, cmd, arg);

	if (ret < 0 && errno == ENOTTY)
		errno = EINVAL;
	return ret;
}

int iepoll_create1(int flags)
{
	if (flags & ~O_CLOEXEC) {
		errno = EINVAL;
		return -1;
	}
	return open(IEPOLL_DEVICE, O_RDWR | flags);
}

int iepoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct iepoll_ctl ctl = { .op = op, .fd = fd };

	if (event) {
		ctl.events = event->events;
		ctl.data = event->data.u64;
	} else if (op != EPOLL_CTL_DEL) {
		/* epoll_ctl(2) copies the event in first. */
		errno = EFAULT;
		return -1;
	}
	return iepoll_ioctl(epfd, IEPOLL_IOC_CTL, &ctl);
}

static int iepoll_wait_ns(int epfd, struct epoll_event *events,
			  int maxevents, int64_t timeout_ns,
			  const sigset_t *sigmask)
{
	struct iepoll_wait wait = {
		.events = (uintptr_t)events,
		.maxevents = maxevents,
		.timeout_ns = timeout_ns,
		.sigmask = (uintptr_t)sigmask,
		.sigsetsize = IEPOLL_SIGSETSIZE,
	};

	return iepoll_ioctl(epfd, IEPOLL_IOC_WAIT, &wait);
}

static int64_t ms_to_ns(int timeout)
{
	return timeout < 0 ? -1 : timeout * NSEC_PER_MSEC;
}

int iepoll_wait(int epfd, struct epoll_event *events, int maxevents,
		int timeout)
{
	return iepoll_wait_ns(epfd, events, maxevents, ms_to_ns(timeout), NULL);
}

int iepoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		 int timeout, const sigset_t *sigmask)
{
	return iepoll_wait_ns(epfd, events, maxevents, ms_to_ns(timeout),
			      sigmask);
}

int iepoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
		  const struct timespec *timeout, const sigset_t *sigmask)
{
	int64_t ns = -1;

	if (timeout) {
		/* As epoll_pwait2(2): a timespec64 that is not valid. */
		if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
		    timeout->tv_nsec >= NSEC_PER_SEC) {
			errno = EINVAL;
			return -1;
		}
		if (timeout->tv_sec >= INT64_MAX / NSEC_PER_SEC)
			ns = INT64_MAX;
		else
			ns = timeout->tv_sec * NSEC_PER_SEC + timeout->tv_nsec;
	}
	return iepoll_wait_ns(epfd, events, maxevents, ns, sigmask);
}

int iepoll_abi_version(int epfd)
{
	return iepoll_ioctl(epfd, IEPOLL_IOC_VERSION, NULL);
}

int iepoll_get_stats(int epfd, struct iepoll_stats *stats)
{
	return iepoll_ioctl(epfd, IEPOLL_IOC_STATS, stats);
}
