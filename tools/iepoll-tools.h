/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the iepoll tools (iepoll-demo, iepoll-tracecost) and the
 * trace selftests: a private tracefs instance, trace line parsing, and thin
 * wrappers around the /dev/iepoll ioctls.
 */
#ifndef IEPOLL_TOOLS_H
#define IEPOLL_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <linux/iepoll.h>

#include "lib/iepoll.h"

/* The kernel's names, as tools/include has them. */
typedef __u32 u32;
typedef __u64 u64;
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A tracefs instance (a directory under instances/) used by one program. */
struct tfs {
	char dir[256];
	bool kept;	/* it existed before tfs_create(): not ours to remove */
};

/*
 * Create tracefs instance @name.  Returns 0, or -errno with a message on
 * stderr.  tfs_remove() rmdirs it again.  An instance of that name that
 * already exists is used as it is, with its iepoll events off and its
 * buffer emptied, and tfs_remove() leaves it in place, other events as
 * they were: a script that runs many short programs makes it once (mkdir
 * and rmdir of an instance create and remove the files of every event,
 * seconds on the debug kernel).
 */
int tfs_create(struct tfs *t, const char *name);
void tfs_remove(struct tfs *t);
/* Write @val to the instance file @rel ("events/iepoll/enable", ...). */
int tfs_write(const struct tfs *t, const char *rel, const char *val);
/* Read the whole instance file @rel; the result is malloc()ed, NULL on error. */
char *tfs_read(const struct tfs *t, const char *rel);
/* Empty the instance's ring buffer. */
int tfs_clear(const struct tfs *t);
/* Enable (1) or disable (0) every event of TRACE_SYSTEM iepoll. */
int tfs_iepoll_events(const struct tfs *t, bool on);

/*
 * Shorthands for tools/lib's iepoll_ctl() and iepoll_pwait2(): the event
 * and the timeout (ns, < 0 without limit) as plain values.
 */
int iep_ctl(int iep, int op, int fd, u32 events, u64 data);
int iep_wait(int iep, struct epoll_event *ev, int maxevents, int64_t timeout_ns);
/*
 * The counters of struct iepoll_stats, inserts to items, in the struct's
 * order (and that of fdinfo's "iepoll-stats:" line): counter @i is
 * iepoll_stat(@st, @i), named iepoll_stat_names[@i].
 */
#define IEPOLL_NSTATS	12
extern const char * const iepoll_stat_names[IEPOLL_NSTATS];

static inline u64 iepoll_stat(const struct iepoll_stats *st, size_t i)
{
	return (&st->inserts)[i];
}

/* Field @key of /proc/self/fdinfo/@fd ("iepoll-id", "inserts", ...), or -1. */
static inline long long fdinfo_get(int fd, const char *key)
{
	return iepoll_fdinfo_get(0, fd, key);
}

#endif /* IEPOLL_TOOLS_H */
