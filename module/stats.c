// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll statistics: what holds and reports the counters, generated from
 * the one list in stats.h.  The callers (core.c) hold the instance's
 * ep->lock, or own a copy taken under it.
 */

#include <kunit/visibility.h>
#include <linux/kernel.h>
#include <linux/build_bug.h>
#include <linux/module.h>
#include <linux/minmax.h>
#include <linux/seq_file.h>
#include <linux/stddef.h>

#include "stats.h"

/* The list covers every counter of both uapi structs, and ABI 2's size. */
static_assert(sizeof(struct iepoll_counters) ==
	      sizeof(struct iepoll_stats) -
	      offsetof(struct iepoll_stats, inserts) +
	      sizeof(struct iepoll_stats_v2) -
	      offsetof(struct iepoll_stats_v2, closes));
static_assert(sizeof(struct iepoll_stats_v2) == IEPOLL_STATS_V2_SIZE_VER0);

#define IEPOLL_DESC_ONE(name, member, combine)				\
	{ #name, offsetof(struct iepoll_counters, name) },
const struct iepoll_counter_desc iepoll_counter_descs[] = {
	IEPOLL_STATS_COUNTERS(IEPOLL_DESC_ONE)
};

#undef IEPOLL_DESC_ONE
EXPORT_SYMBOL_IF_KUNIT(iepoll_counter_descs);

const unsigned int iepoll_ncounters = ARRAY_SIZE(iepoll_counter_descs);
EXPORT_SYMBOL_IF_KUNIT(iepoll_ncounters);

#define IEPOLL_COMBINE_SUM(total, one)	((total) + (one))
#define IEPOLL_COMBINE_MAX(total, one)	max(total, one)

/* Fold one instance's counters into module totals. */
void iepoll_counters_add(struct iepoll_counters *sum,
			 const struct iepoll_counters *c)
{
#define IEPOLL_ADD_ONE(name, member, combine)				\
	sum->name = IEPOLL_COMBINE_##combine(sum->name, c->name);
	IEPOLL_STATS_COUNTERS(IEPOLL_ADD_ONE)
#undef IEPOLL_ADD_ONE
}

/* The counters into the uapi struct (which the caller zeroed). */
void iepoll_counters_to_uapi(const struct iepoll_counters *c,
			     struct iepoll_stats_v2 *st)
{
#define IEPOLL_COPY_ONE(name, member, combine)	st->member = c->name;
	IEPOLL_STATS_COUNTERS(IEPOLL_COPY_ONE)
#undef IEPOLL_COPY_ONE
}

/* "name value" for each counter, each after @sep, the first after @first. */
void iepoll_counters_show(struct seq_file *m, const struct iepoll_counters *c,
			  const char *first, const char *sep)
{
	const char *s = first;

#define IEPOLL_SHOW_ONE(name, member, combine)				\
	seq_printf(m, "%s%s %llu", s, #name, c->name);			\
	s = sep;
	IEPOLL_STATS_COUNTERS(IEPOLL_SHOW_ONE)
#undef IEPOLL_SHOW_ONE
}
