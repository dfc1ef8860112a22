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
/* The module's totals (root, debugfs mounted): "instances N" and more. */
#define IEPOLL_DEBUGFS_STATS	"/sys/kernel/debug/iepoll/stats"

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
int iepoll_get_stats_v2(int epfd, struct iepoll_stats_v2 *stats);

/* The "instances" line of IEPOLL_DEBUGFS_STATS; -1 if unreadable or absent. */
long iepoll_debugfs_instances(void);

/*
 * /proc/@pid/fdinfo/@fd of an instance (@pid 0: this process).  An item is
 * a line as epoll's, "tfd: N events: X data: X pos:N ino:X sdev:X";
 * "iepoll-id:\tN" and the others have a line each, and the counters share
 * one, "iepoll-stats:\tinserts N modifies N ...".
 */
struct iepoll_fdinfo_item {
	int tfd;
	unsigned int events;
	unsigned long long data;
	long long pos;
	unsigned long ino;
	unsigned int sdev;
};

/* The items, the first @max in @items: their number, or -1 with errno. */
int iepoll_fdinfo_items(pid_t pid, int fd, struct iepoll_fdinfo_item *items,
			int max);
/* Field @key ("iepoll-id", or a counter: "inserts" ...), or -1. */
long long iepoll_fdinfo_get(pid_t pid, int fd, const char *key);

/* A counter of the "iepoll-stats" line, named as the module prints it. */
struct iepoll_fdinfo_counter {
	char name[32];
	unsigned long long value;
};

/*
 * Every counter of the "iepoll-stats" line, in its order, the first @max
 * in @counters: their number, or -1 with errno (ENOENT: no such line).
 */
int iepoll_fdinfo_counters(pid_t pid, int fd,
			   struct iepoll_fdinfo_counter *counters, int max);
/*
 * The text of field @key ("iepoll-comm"), without the blanks after the
 * colon and the newline, in @buf of @size bytes: 0, or -1 with errno
 * (ENOENT: no such field).
 */
int iepoll_fdinfo_str(pid_t pid, int fd, const char *key, char *buf,
		      size_t size);

/*
 * IEPOLL_IOC_SUBMIT: apply @nchanges changes in order, then wait as
 * iepoll_pwait2() would (@maxevents 0: no wait).  With @results, every
 * change is attempted and results[i] is its 0 or -errno; without, the first
 * failure stops the call and is its errno.  *@applied (if not NULL) tells
 * how many changes were carried out.  Returns the events, or -1 with errno;
 * the rules are at struct iepoll_submit in <linux/iepoll.h>.
 */
int iepoll_submit(int epfd, const struct iepoll_ctl *changes, int nchanges,
		  int *results, unsigned int *applied,
		  struct epoll_event *events, int maxevents,
		  const struct timespec *timeout, const sigset_t *sigmask);

/*
 * A changelist, as an event loop uses one: iepoll_changelist_add() queues
 * a change instead of making a call (a full list is sent first, without a
 * wait), and iepoll_changelist_wait() sends the queued changes and waits,
 * in one call.  Every change is attempted; after the call, @failed (if set)
 * is called for each change that failed, with its errno, and @nfailed
 * counts them.  A call refused as a whole (EFAULT, EINVAL...) returns -1
 * and keeps the list.
 */
#define IEPOLL_CHANGELIST_LEN	64

struct iepoll_changelist {
	int epfd;
	int n;
	int nfailed;
	void (*failed)(const struct iepoll_ctl *change, int err, void *arg);
	void *arg;
	struct iepoll_ctl changes[IEPOLL_CHANGELIST_LEN];
	int results[IEPOLL_CHANGELIST_LEN];
};

void iepoll_changelist_init(struct iepoll_changelist *cl, int epfd);
int iepoll_changelist_add(struct iepoll_changelist *cl, int op, int fd,
			  const struct epoll_event *event);
int iepoll_changelist_wait(struct iepoll_changelist *cl,
			   struct epoll_event *events, int maxevents,
			   int timeout);

#endif /* _IEPOLL_LIB_H */
