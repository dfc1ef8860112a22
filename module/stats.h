/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iepoll statistics: every counter of an instance, once.
 *
 * IEPOLL_STATS_COUNTERS() lists them as X(name, member of struct
 * iepoll_stats_v2 (include/uapi/linux/iepoll.h), how the module's totals
 * combine it over instances: SUM or MAX), in the order of fdinfo's
 * "iepoll-stats:" line and of debugfs's iepoll/stats.  Everything that
 * holds or reports a counter is generated from this list alone: the
 * instance's struct iepoll_counters below, its copy into the uapi structs,
 * the module totals, fdinfo and debugfs (stats.c).  stats.c checks at build
 * time that the list covers every counter of both uapi structs.  A new
 * counter is one line here and one field at the end of the uapi struct.
 *
 * Every counter of an instance is changed and read under its ep->lock
 * (core.c, STATISTICS).
 *
 * (X-macros cannot take the shapes checkpatch asks of other macros: this
 * file and stats.c are exempt from those checks alone, see scripts/lint.)
 */
#ifndef _IEPOLL_STATS_H
#define _IEPOLL_STATS_H

#include <linux/seq_file.h>
#include <linux/types.h>

#include <uapi/linux/iepoll.h>

#define IEPOLL_STATS_COUNTERS(X)				\
	X(inserts,	stats.inserts,		SUM)		\
	X(modifies,	stats.modifies,		SUM)		\
	X(removes,	stats.removes,		SUM)		\
	X(callbacks,	stats.callbacks,	SUM)		\
	X(wakeups,	stats.wakeups,		SUM)		\
	X(delivered,	stats.delivered,	SUM)		\
	X(overflows,	stats.overflows,	SUM)		\
	X(waits,	stats.waits,		SUM)		\
	X(timeouts,	stats.timeouts,		SUM)		\
	X(eintr,	stats.eintr,		SUM)		\
	X(max_ready,	stats.max_ready,	MAX)		\
	X(items,	stats.items,		SUM)		\
	X(closes,	closes,			SUM)		\
	X(fallback,	fallback,		SUM)		\
	X(submits,	submits,		SUM)		\
	X(changes,	changes,		SUM)

/* One instance's counters, one u64 per entry of the list, nothing else. */
struct iepoll_counters {
#define IEPOLL_COUNTER_FIELD(name, member, combine)	u64 name;
	IEPOLL_STATS_COUNTERS(IEPOLL_COUNTER_FIELD)
#undef IEPOLL_COUNTER_FIELD
};

/* The list as data, for what iterates over it (the KUnit suites). */
struct iepoll_counter_desc {
	const char *name;
	size_t offset;		/* in struct iepoll_counters */
};

extern const struct iepoll_counter_desc iepoll_counter_descs[];
extern const unsigned int iepoll_ncounters;

void iepoll_counters_add(struct iepoll_counters *sum,
			 const struct iepoll_counters *c);
void iepoll_counters_to_uapi(const struct iepoll_counters *c,
			     struct iepoll_stats_v2 *st);
void iepoll_counters_show(struct seq_file *m, const struct iepoll_counters *c,
			  const char *first, const char *sep);

#endif /* _IEPOLL_STATS_H */
