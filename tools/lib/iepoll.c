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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static struct iepoll_wait wait_arg(struct epoll_event *events,
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

	return wait;
}

static int iepoll_wait_ns(int epfd, struct epoll_event *events,
			  int maxevents, int64_t timeout_ns,
			  const sigset_t *sigmask)
{
	struct iepoll_wait wait = wait_arg(events, maxevents, timeout_ns,
					   sigmask);

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

/* A timespec as epoll_pwait2(2) takes it, in ns (-1: none); -2 if invalid. */
static int64_t ts_to_ns(const struct timespec *timeout)
{
	if (!timeout)
		return -1;
	if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
	    timeout->tv_nsec >= NSEC_PER_SEC)
		return -2;
	if (timeout->tv_sec >= INT64_MAX / NSEC_PER_SEC)
		return INT64_MAX;
	return timeout->tv_sec * NSEC_PER_SEC + timeout->tv_nsec;
}

int iepoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
		  const struct timespec *timeout, const sigset_t *sigmask)
{
	int64_t ns = ts_to_ns(timeout);

	if (ns == -2) {
		/* As epoll_pwait2(2): a timespec64 that is not valid. */
		errno = EINVAL;
		return -1;
	}
	return iepoll_wait_ns(epfd, events, maxevents, ns, sigmask);
}

static int submit_ns(int epfd, const struct iepoll_ctl *changes, int nchanges,
		     int *results, unsigned int *applied,
		     struct epoll_event *events, int maxevents,
		     int64_t timeout_ns, const sigset_t *sigmask)
{
	struct iepoll_submit sub = {
		.changes = (uintptr_t)changes,
		.results = (uintptr_t)results,
		.nchanges = nchanges < 0 ? UINT32_MAX : (uint32_t)nchanges,
		.wait = wait_arg(events, maxevents, timeout_ns, sigmask),
	};
	int ret = iepoll_ioctl(epfd, IEPOLL_IOC_SUBMIT, &sub);

	if (applied)
		*applied = sub.applied;
	return ret;
}

int iepoll_submit(int epfd, const struct iepoll_ctl *changes, int nchanges,
		  int *results, unsigned int *applied,
		  struct epoll_event *events, int maxevents,
		  const struct timespec *timeout, const sigset_t *sigmask)
{
	int64_t ns = ts_to_ns(timeout);

	if (ns == -2) {
		errno = EINVAL;
		return -1;
	}
	return submit_ns(epfd, changes, nchanges, results, applied, events,
			 maxevents, ns, sigmask);
}

void iepoll_changelist_init(struct iepoll_changelist *cl, int epfd)
{
	memset(cl, 0, sizeof(*cl));
	cl->epfd = epfd;
}

/* Send the queued changes with a wait of @maxevents (0: none). */
static int changelist_flush(struct iepoll_changelist *cl,
			    struct epoll_event *events, int maxevents,
			    int64_t timeout_ns)
{
	unsigned int applied = 0, i;
	int n = cl->n, ret;

	ret = submit_ns(cl->epfd, cl->changes, n, cl->results, &applied,
			events, maxevents, timeout_ns, NULL);
	if (ret < 0 && applied == 0 && n > 0)
		return ret;	/* refused as a whole: the list is kept */
	cl->n = 0;
	cl->nfailed = 0;
	for (i = 0; i < applied; i++) {
		if (!cl->results[i])
			continue;
		cl->nfailed++;
		if (cl->failed)
			cl->failed(&cl->changes[i], -cl->results[i], cl->arg);
	}
	return ret;
}

int iepoll_changelist_add(struct iepoll_changelist *cl, int op, int fd,
			  const struct epoll_event *event)
{
	struct iepoll_ctl *c;

	if (!event && op != EPOLL_CTL_DEL) {
		errno = EFAULT;
		return -1;
	}
	if (cl->n == IEPOLL_CHANGELIST_LEN &&
	    changelist_flush(cl, NULL, 0, 0) < 0)
		return -1;
	c = &cl->changes[cl->n++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->fd = fd;
	if (event) {
		c->events = event->events;
		c->data = event->data.u64;
	}
	return 0;
}

int iepoll_changelist_wait(struct iepoll_changelist *cl,
			   struct epoll_event *events, int maxevents,
			   int timeout)
{
	return changelist_flush(cl, events, maxevents, ms_to_ns(timeout));
}

int iepoll_abi_version(int epfd)
{
	return iepoll_ioctl(epfd, IEPOLL_IOC_VERSION, NULL);
}

int iepoll_get_stats(int epfd, struct iepoll_stats *stats)
{
	return iepoll_ioctl(epfd, IEPOLL_IOC_STATS, stats);
}

int iepoll_get_stats_v2(int epfd, struct iepoll_stats_v2 *stats)
{
	return iepoll_ioctl(epfd, IEPOLL_IOC_STATS_V2, stats);
}

long iepoll_debugfs_instances(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen(IEPOLL_DEBUGFS_STATS, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "instances %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static FILE *fdinfo_open(pid_t pid, int fd)
{
	char path[64];

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	else
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return fopen(path, "re");
}

int iepoll_fdinfo_items(pid_t pid, int fd, struct iepoll_fdinfo_item *items,
			int max)
{
	struct iepoll_fdinfo_item it;
	char line[256];
	int n = 0;
	FILE *f = fdinfo_open(pid, fd);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line,
			   "tfd: %d events: %x data: %llx pos:%lli ino:%lx sdev:%x",
			   &it.tfd, &it.events, &it.data, &it.pos, &it.ino,
			   &it.sdev) != 6)
			continue;
		if (n < max)
			items[n] = it;
		n++;
	}
	fclose(f);
	return n;
}

long long iepoll_fdinfo_get(pid_t pid, int fd, const char *key)
{
	char line[512], *tok, *s;
	size_t klen = strlen(key);
	long long val = -1;
	FILE *f = fdinfo_open(pid, fd);

	if (!f)
		return -1;
	while (val < 0 && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtoll(line + klen + 1, NULL, 0);
		} else if (!strncmp(line, "iepoll-stats:", 13)) {
			s = line + 13;
			while ((tok = strsep(&s, " \t\n"))) {
				if (!strcmp(tok, key) && s) {
					val = strtoll(s, NULL, 0);
					break;
				}
			}
		}
	}
	fclose(f);
	return val;
}

int iepoll_fdinfo_counters(pid_t pid, int fd,
			   struct iepoll_fdinfo_counter *counters, int max)
{
	char line[1024], *name, *val, *s;
	int n = -1;
	FILE *f = fdinfo_open(pid, fd);

	if (!f)
		return -1;
	while (n < 0 && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "iepoll-stats:", 13))
			continue;
		n = 0;
		s = line + 13;
		for (;;) {
			do
				name = strsep(&s, " \t\n");
			while (name && !*name);
			val = strsep(&s, " \t\n");
			if (!name || !val)
				break;
			if (n < max) {
				snprintf(counters[n].name,
					 sizeof(counters[n].name), "%s", name);
				counters[n].value = strtoull(val, NULL, 0);
			}
			n++;
		}
	}
	fclose(f);
	if (n < 0)
		errno = ENOENT;
	return n;
}

int iepoll_fdinfo_str(pid_t pid, int fd, const char *key, char *buf,
		      size_t size)
{
	char line[512], *s;
	size_t klen = strlen(key);
	int ret = -1;
	FILE *f = fdinfo_open(pid, fd);

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		s = line + klen + 1;
		s += strspn(s, " \t");
		s[strcspn(s, "\n")] = '\0';
		snprintf(buf, size, "%s", s);
		ret = 0;
	}
	fclose(f);
	if (ret)
		errno = ENOENT;
	return ret;
}
