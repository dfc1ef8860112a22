// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll nesting: instances watching instances, as eventpoll allows it.
 *
 * Three rules, each eventpoll's, checked at EPOLL_CTL_ADD:
 *
 * - No loop: an instance may not watch itself through other instances
 *   (ELOOP).
 * - No chain longer than IEPOLL_MAX_NESTS links, counted through the new
 *   link, up from the instance and down from the target (ELOOP).
 * - Bounded wakeup paths (eventpoll's reverse_path_check(), added for
 *   CVE-2011-1083): from any file that is not an instance, the number of
 *   paths up through watching instances to an instance nobody watches may
 *   not exceed iepoll_path_limits[] per path length: any number of direct
 *   watches, then 500, 100, 50 and 10 paths through 1, 2, 3 and 4 watched
 *   instances.  Every item counts, so a file watched through k descriptors
 *   is k paths.  Too many: EINVAL, the item is not added.
 *
 * The checks run when the ADD can change any of that, exactly where
 * eventpoll runs them: the target is an instance, the instance added to is
 * itself watched by an instance, or a running check is visiting it.  Then
 * they run under iepoll_nest_mutex (eventpoll's epnested_mutex), the only
 * global mutex of iepoll, taken before any ep->mtx.
 *
 * LOCKING AND LIFETIMES
 *
 * Going down, from the target instance, each instance's tree is walked
 * with its ep->mtx held, subclass depth + 1, one instance below another:
 * the item of a parent keeps the child alive while the parent's mutex is
 * held, because the child's close must take that mutex to remove the item
 * before the child's ->release can run.  Going up, the items watching an
 * instance's file (its record's items, files.c) are walked under RCU: items
 * and instances are freed after a grace period, and new links up are only
 * made under iepoll_nest_mutex; removals may run concurrently and can only
 * lower the counts.  An instance's watchers are found by its file's
 * address, read under RCU: that file may be released meanwhile, and the
 * address name another file, so a record counts only if it is this
 * instance's own (rec->inst).  ep->gen and ep->up_gen record the visits of the check
 * that is running; iepoll_loop_gen changes only under iepoll_nest_mutex,
 * at the start and the end of each check.  Files met going down are put on
 * iepoll_check_list, each with a reference on its record, and dropped at
 * the end of the check.  Such a file may be closed meanwhile: its record is
 * then retired by the close (files.c), so the reference keeps only memory
 * whose list of items is empty, and the last put, in iepoll_nest_end()
 * with the adding instance's ep->mtx held, frees it.
 */

#include <linux/mutex.h>
#include <linux/rculist.h>

#include "core.h"

/* serialises the checks of ADDs that nest; see the top of this file */
static DEFINE_MUTEX(iepoll_nest_mutex);

/* odd between checks, so that no instance (gen 0 when new) matches it */
static u64 iepoll_loop_gen = 1;
static struct iepoll *iepoll_inserting_into;
static struct iepoll_file *iepoll_check_list = IEPOLL_UNACTIVE_PTR;

#define IEPOLL_PATH_DEPTHS	5

/* Paths allowed per length, eventpoll's path_limits[]. */
static const int iepoll_path_limits[IEPOLL_PATH_DEPTHS] = {
	1000, 500, 100, 50, 10
};

/* The items watching @ep's file, or NULL; under RCU. */
static struct hlist_head *iepoll_watchers_rcu(struct iepoll *ep)
{
	struct file *file = READ_ONCE(ep->file);
	struct iepoll_file *rec;

	if (!file)
		return NULL;
	rec = iepoll_file_lookup_rcu(file);
	/* @file may be gone and its address another file's: only ours counts */
	return rec && rec->inst == ep ? &rec->items : NULL;
}

static bool iepoll_is_watched(struct iepoll *ep)
{
	struct hlist_head *up;
	bool watched;

	rcu_read_lock();
	up = iepoll_watchers_rcu(ep);
	watched = up && !hlist_empty(up);
	rcu_read_unlock();
	return watched;
}

/**
 * iepoll_nest_needs_check - must this ADD run the nesting checks?
 * @ep:     the instance an item is added to
 * @target: the instance the item watches, or NULL
 */
static bool iepoll_nest_needs_check(struct iepoll *ep, struct iepoll *target)
{
	return target ||
	       READ_ONCE(ep->gen) == READ_ONCE(iepoll_loop_gen) ||
	       iepoll_is_watched(ep);
}

/* A check starts: with iepoll_nest_mutex held. */
static void iepoll_nest_begin(void)
{
	lockdep_assert_held(&iepoll_nest_mutex);
	WRITE_ONCE(iepoll_loop_gen, iepoll_loop_gen + 1);
}

/* The check ends: forget its files and its visits. */
static void iepoll_nest_end(void)
{
	struct iepoll_file *rec;

	lockdep_assert_held(&iepoll_nest_mutex);
	while ((rec = iepoll_check_list) != IEPOLL_UNACTIVE_PTR) {
		iepoll_check_list = rec->check;
		rec->check = NULL;
		iepoll_file_put(rec);
	}
	WRITE_ONCE(iepoll_loop_gen, iepoll_loop_gen + 1);
}

/* Count the paths from @rec's file in this check; with an item of it held. */
void iepoll_nest_list_file(struct iepoll_file *rec)
{
	lockdep_assert_held(&iepoll_nest_mutex);
	if (rec->check)
		return;
	refcount_inc(&rec->refs);
	rec->check = iepoll_check_list;
	iepoll_check_list = rec;
}

/*
 * Height of the tree of instances below @ep, > IEPOLL_MAX_NESTS on a loop
 * or a chain too long; lists every other file met on the way.
 */
static int iepoll_depth_below(struct iepoll *ep, int depth)
{
	struct rb_node *rbp;
	int result = 0;

	if (READ_ONCE(ep->gen) == iepoll_loop_gen)
		return ep->loop_depth;

	mutex_lock_nested(&ep->mtx, depth + 1);
	WRITE_ONCE(ep->gen, iepoll_loop_gen);
	for (rbp = rb_first_cached(&ep->rbr); rbp; rbp = rb_next(rbp)) {
		struct iepoll_item *epi = rb_entry(rbp, struct iepoll_item, rbn);
		struct iepoll *child;

		if (!iepoll_file_is_instance(epi->file)) {
			iepoll_nest_list_file(epi->rec);
			continue;
		}
		child = epi->file->private_data;
		if (child == iepoll_inserting_into || depth > IEPOLL_MAX_NESTS)
			result = IEPOLL_MAX_NESTS + 1;
		else
			result = max(result,
				     iepoll_depth_below(child, depth + 1) + 1);
		if (result > IEPOLL_MAX_NESTS)
			break;
	}
	mutex_unlock(&ep->mtx);
	ep->loop_depth = result;
	return result;
}

/* Longest chain of instances watching @ep, directly or not; under RCU. */
static int iepoll_depth_above(struct iepoll *ep)
{
	struct iepoll_item *epi;
	struct hlist_head *up;
	int result = 0;

	if (ep->up_gen == iepoll_loop_gen)
		return ep->up_depth;
	ep->up_gen = iepoll_loop_gen;

	up = iepoll_watchers_rcu(ep);
	if (up) {
		hlist_for_each_entry_rcu(epi, up, fllink) {
			result = max(result, iepoll_depth_above(epi->ep) + 1);
			if (result > IEPOLL_MAX_NESTS)
				break;
		}
	}
	ep->up_depth = result;
	return result;
}

/**
 * iepoll_loop_check - may @to be added to @ep?
 * @ep: the instance an item is added to
 * @to: the instance the item watches
 *
 * Refuses a cycle, and a chain of more than IEPOLL_MAX_NESTS + 1
 * instances counted through the new link, as eventpoll does.  With
 * iepoll_nest_mutex held and no ep->mtx.
 *
 * Return: 0 or -ELOOP.
 */
static int iepoll_loop_check(struct iepoll *ep, struct iepoll *to)
{
	int below, above;

	lockdep_assert_held(&iepoll_nest_mutex);

	iepoll_inserting_into = ep;
	below = iepoll_depth_below(to, 0);
	iepoll_inserting_into = NULL;
	if (below > IEPOLL_MAX_NESTS)
		return -ELOOP;

	rcu_read_lock();
	above = iepoll_depth_above(ep);
	rcu_read_unlock();
	return below + 1 + above > IEPOLL_MAX_NESTS ? -ELOOP : 0;
}

/**
 * iepoll_nest_start - start the nesting checks, if this ADD needs them
 * @ep:       the instance an item is added to; its ep->mtx held
 * @target:   the instance the new item watches, or NULL for another file
 * @checking: set when a check started; the caller then ends it with
 *            iepoll_nest_finish(), whatever this returns
 *
 * An ADD that can create a loop or new wakeup paths (the target is an
 * instance, @ep is watched, or a running check is visiting it) runs under
 * iepoll_nest_mutex, which is taken before any ep->mtx: @ep's mutex is
 * dropped and taken again, as eventpoll's epoll_ctl() does.  Anything the
 * caller found under it before must be looked up again.
 *
 * Return: 0, or -ELOOP for a target that would make a loop or a chain too
 * long.
 */
int iepoll_nest_start(struct iepoll *ep, struct iepoll *target,
		      bool *checking)
{
	int err = 0;

	lockdep_assert_held(&ep->mtx);
	*checking = false;
	if (!iepoll_nest_needs_check(ep, target))
		return 0;

	mutex_unlock(&ep->mtx);
	mutex_lock(&iepoll_nest_mutex);
	iepoll_nest_begin();
	*checking = true;
	if (target)
		err = iepoll_loop_check(ep, target);
	mutex_lock(&ep->mtx);
	return err;
}

/* The ADD that iepoll_nest_start() checked is done. */
void iepoll_nest_finish(void)
{
	iepoll_nest_end();
	mutex_unlock(&iepoll_nest_mutex);
}

/**
 * iepoll_path_count_inc - count one more path of a given length
 * @counts: the counts of this file's paths, by length
 * @depth:  watched instances on the path (0: a direct watch)
 *
 * Return: 0, or -1 once there are more than the limit.
 */
VISIBLE_IF_KUNIT int iepoll_path_count_inc(int *counts, int depth)
{
	/* Any number of instances that nobody watches may watch a file. */
	if (depth == 0)
		return 0;
	if (++counts[depth] > iepoll_path_limits[depth])
		return -1;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_path_count_inc);

static int iepoll_count_paths(struct hlist_head *items, int *counts,
			      int depth)
{
	struct iepoll_item *epi;
	int err = 0;

	if (depth > IEPOLL_MAX_NESTS)
		return -1;

	hlist_for_each_entry_rcu(epi, items, fllink) {
		struct hlist_head *up = iepoll_watchers_rcu(epi->ep);

		if (!up || hlist_empty(up))
			err = iepoll_path_count_inc(counts, depth);
		else
			err = iepoll_count_paths(up, counts, depth + 1);
		if (err)
			break;
	}
	return err;
}

/**
 * iepoll_reverse_path_check - too many wakeup paths from a listed file?
 *
 * Run after the new item is linked to its file, before it is hooked.
 *
 * Return: 0, or -EINVAL.
 */
int iepoll_reverse_path_check(void)
{
	int counts[IEPOLL_PATH_DEPTHS];
	struct iepoll_file *rec;
	int err = 0;

	lockdep_assert_held(&iepoll_nest_mutex);
	for (rec = iepoll_check_list; rec != IEPOLL_UNACTIVE_PTR && !err;
	     rec = rec->check) {
		memset(counts, 0, sizeof(counts));
		rcu_read_lock();
		err = iepoll_count_paths(&rec->items, counts, 0);
		rcu_read_unlock();
	}
	return err ? -EINVAL : 0;
}
