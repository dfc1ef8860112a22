// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll files: knowing when a watched file is closed, without holding it.
 *
 * Eventpoll removes a file's items from __fput(), through
 * eventpoll_release(), before the file's ->release.  A module cannot hook
 * that call, but __fput() sends fsnotify's close event (fsnotify_close())
 * just before it.  So iepoll owns fsnotify groups and puts one mark on the
 * inode of every watched file; the mark's handler finds the closing file
 * among the watched ones and removes its items (core.c), in the task that
 * does the last fput, before ->release runs.  Nothing here holds a
 * reference on such a file.  That removal is the one call from this file
 * back up into core.c (iepoll_remove_file_items()), and the one circle of
 * module/: the close hook must remove items the core owns, as the VFS's
 * eventpoll_release() calls into eventpoll.
 *
 * RECORDS
 *
 * struct iepoll_file is what iepoll knows of one watched file.  Records
 * live in an rhashtable keyed by the struct file pointer: lookups are
 * lock-free (RCU), inserts and removals take one bucket lock, so an ADD
 * costs the same whatever the number of files watched on the system, and
 * ADDs of different instances do not meet on a global lock.
 *
 * A key names a file only while that file is open: once a struct file is
 * freed, its address can name a new file (at once on 6.12, whose files are
 * SLAB_TYPESAFE_BY_RCU; after a grace period on 6.1).  So a record is
 * hashed only while its key is sure to name its own file, and what it
 * holds on the file's behalf (its mark use, or for a fallback file its
 * reference) goes with the key.  That is the record's retirement
 * (iepoll_file_retire()), once (IEPOLL_FILE_RETIRED), at the first of:
 *
 * - the close event of its file, in __fput(), before the struct file can be
 *   freed: the handler retires the record first, then removes its items;
 * - its last reference;
 * - the module's exit.
 *
 * A fallback file's record holds a reference on the file, so for it only
 * the last reference comes first.
 *
 * LIFETIMES
 *
 * A record's memory lives while it has references (rec->refs) and one RCU
 * grace period more, for the lock-free lookups.  The references:
 *
 * - each item of the file (iepoll_file_link() to the put after
 *   iepoll_file_unlink(), core.c), under the instance's ep->mtx;
 * - an ADD, from iepoll_file_get() to the end of iepoll_ctl_locked(), which
 *   may sleep in between (the nesting checks drop ep->mtx);
 * - the nesting check's list (nest.c), from iepoll_nest_list_file() to
 *   iepoll_nest_end(), across sleeps on other instances' mutexes;
 * - the close handler, the sweep and the exit, for the time they work on
 *   the record.
 *
 * Any of them may outlive the file's close: it then keeps the memory, never
 * the key.  A lookup takes a reference only with refcount_inc_not_zero(),
 * and iepoll_file_get() gives out no record marked IEPOLL_FILE_CLOSED, so a
 * record found by the address of a new file is never that file's.  No item
 * is linked to a retired record: items are linked by an ADD, which holds
 * the file open, and the close removes every item after the retirement.
 * rec->file is a key; it is dereferenced only by the fallback code (which
 * holds the file) and through an item, which lives no longer than the file.
 *
 * Records and marks therefore never outlive the items that need them (but
 * for the instant of a call): they are bounded by max_user_watches, and a
 * watch that ended leaves no mark on a shared inode.
 *
 * FALLBACK
 *
 * A file that sends no close event (f_mode FMODE_NONOTIFY on 6.1 and 6.12:
 * ptmx masters, fanotify's event descriptors) is watched as iepoll used to
 * watch every file: its record holds a reference on it, and a sweep every
 * sweep_interval_ms removes the items of such files that nobody else holds
 * (file_count() == 1), reason SWEEP.  The sweep walks only those records.
 * Such a record goes with its last reference.  Their items are never
 * reported once the file is unreachable (iepoll_item_closed()).
 *
 * MARKS
 *
 * One struct iepoll_imark per inode, shared by the records of every
 * watched file on that inode (a pipe's two ends, every eventfd on the
 * anonymous inode) and counted by them (@nfiles).  Marks are spread over
 * IEPOLL_NR_GROUPS groups by inode, so that creating and destroying them
 * does not serialise every new watched file on one lock.  A use is taken
 * lock-free while the mark has users; the first use (which makes and
 * attaches the mark) and the last one (which sets @nfiles to 0 and
 * destroys it) are made under the group's iepoll_mark_mutex, so a mark
 * that can be found under that mutex is alive.
 *
 * LOCKING
 *
 *   iepoll_nest_mutex (nest.c) -> ep->mtx (core.c) -> rec->lock
 *   ep->mtx -> iepoll_mark_mutex[group] -> fsnotify's group->mark_mutex
 *   imark->lock, iepoll_fallback_lock: leaves
 *
 * A record is made with the ADD's ep->mtx held, and retired wherever its
 * last reference goes: with an ep->mtx held (DEL, an instance's release,
 * the end of a nesting check, a failed ADD) or with none (the close
 * handler, the sweep, the exit).  So the mark mutexes, and fsnotify's
 * mark_mutex under them, nest inside ep->mtx.  Nothing iepoll runs under
 * either of them takes an ep->mtx: fsnotify calls the handler below and
 * ->free_mark with no mark_mutex held (the handler under its SRCU only),
 * and neither fsnotify_add_inode_mark() nor fsnotify_destroy_mark() calls
 * back into iepoll.  Lockdep checks this order on the debug kernel.
 *
 * The close handler runs under fsnotify's SRCU, in whatever task does the
 * last fput (close(), task_work at exit, a kworker for delayed fput) and
 * may sleep.  It takes ep->mtx of each instance watching the file, one at a
 * time, with no mark mutex held.  It may destroy its own mark, as
 * inotify's IN_ONESHOT does.
 */

#include <linux/file.h>
#include <linux/fsnotify_backend.h>
#include <linux/hash.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "core.h"

unsigned int iepoll_sweep_interval_ms __read_mostly = 100;
module_param_named(sweep_interval_ms, iepoll_sweep_interval_ms, uint, 0644);
MODULE_PARM_DESC(sweep_interval_ms,
		 "Period of the sweep of files that send no close event");

#define IEPOLL_NR_GROUPS_SHIFT	3
#define IEPOLL_NR_GROUPS	BIT(IEPOLL_NR_GROUPS_SHIFT)

#define IEPOLL_CLOSE_MASK	(FS_CLOSE_WRITE | FS_CLOSE_NOWRITE)

/**
 * struct iepoll_imark - iepoll's fsnotify mark on one inode
 * @fsn:    the mark; its mask is IEPOLL_CLOSE_MASK
 * @lock:   protects @nfiles
 * @nfiles: records of files on this inode that use the mark; 0 once the
 *          last went (then only under the group's mark mutex, which is
 *          held until the mark is detached)
 * @group:  index of the mark's group, and of its mark mutex
 */
struct iepoll_imark {
	struct fsnotify_mark fsn;
	spinlock_t lock;		/* @nfiles */
	unsigned int nfiles;
	unsigned int group;
};

static struct fsnotify_group *iepoll_groups[IEPOLL_NR_GROUPS];
/* the first and the last use of a group's marks; see MARKS above */
static struct mutex iepoll_mark_mutex[IEPOLL_NR_GROUPS];
static struct rhashtable iepoll_files;
static struct kmem_cache *iepoll_file_cache __read_mostly;
static struct kmem_cache *iepoll_imark_cache __read_mostly;

static DEFINE_SPINLOCK(iepoll_fallback_lock);
static LIST_HEAD(iepoll_fallback_list);
static unsigned long iepoll_nfallback;

static void iepoll_sweep_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(iepoll_sweep_work, iepoll_sweep_fn);

static const struct rhashtable_params iepoll_file_params = {
	.key_len		= sizeof(struct file *),
	.key_offset		= offsetof(struct iepoll_file, file),
	.head_offset		= offsetof(struct iepoll_file, node),
	.automatic_shrinking	= true,
};

size_t iepoll_file_record_size(void)
{
	return kmem_cache_size(iepoll_file_cache);
}

/* ------------------------------------------------------------------ */
/* Marks                                                               */

static unsigned int iepoll_group_index(const struct inode *inode)
{
	return hash_ptr(inode, IEPOLL_NR_GROUPS_SHIFT);
}

/* Take a use of @fsn if it still has users; drops the find's reference. */
static struct iepoll_imark *iepoll_imark_use(struct fsnotify_mark *fsn)
{
	struct iepoll_imark *im = container_of(fsn, struct iepoll_imark, fsn);
	bool alive;

	spin_lock(&im->lock);
	alive = im->nfiles > 0;
	if (alive)
		im->nfiles++;
	spin_unlock(&im->lock);
	/* the find's reference; an attached mark keeps its own */
	fsnotify_put_mark(fsn);
	return alive ? im : NULL;
}

/* A use of the mark on @inode, made if there is none.  May sleep. */
static struct iepoll_imark *iepoll_imark_get(struct inode *inode)
{
	unsigned int g = iepoll_group_index(inode);
	struct fsnotify_group *group = iepoll_groups[g];
	struct fsnotify_mark *fsn;
	struct iepoll_imark *im;
	bool locked = false;
	int err;

	/*
	 * First lock-free, the usual case: the inode has a mark in use.  If
	 * not, or if its last use is going, again under the group's mutex:
	 * the destroyer holds it until the mark is detached, so a mark found
	 * under it is alive, and none found means this ADD attaches one.
	 */
	for (;;) {
		fsn = iepoll_find_inode_mark(inode, group);
		im = fsn ? iepoll_imark_use(fsn) : NULL;
		if (im || locked)
			break;
		mutex_lock(&iepoll_mark_mutex[g]);
		locked = true;
	}
	if (im || WARN_ON_ONCE(fsn)) {
		if (!im)
			im = ERR_PTR(-EBUSY);
		goto out;
	}

	im = kmem_cache_zalloc(iepoll_imark_cache, GFP_KERNEL_ACCOUNT);
	if (!im) {
		im = ERR_PTR(-ENOMEM);
		goto out;
	}
	spin_lock_init(&im->lock);
	im->nfiles = 1;
	im->group = g;
	fsnotify_init_mark(&im->fsn, group);
	im->fsn.mask = IEPOLL_CLOSE_MASK;
	err = fsnotify_add_inode_mark(&im->fsn, inode, 0);
	if (err) {
		/* never attached: this frees it through ->free_mark */
		fsnotify_put_mark(&im->fsn);
		im = ERR_PTR(err);
	}
out:
	if (locked)
		mutex_unlock(&iepoll_mark_mutex[g]);
	return im;
}

/* Drop a use of @im; the last one destroys the mark.  May sleep. */
static void iepoll_imark_put(struct iepoll_imark *im)
{
	unsigned int g = im->group;
	bool last;

	spin_lock(&im->lock);
	last = im->nfiles == 1;
	if (!last)
		im->nfiles--;
	spin_unlock(&im->lock);
	if (!last)
		return;

	/* perhaps the last: decide, and detach, under the group's mutex */
	mutex_lock(&iepoll_mark_mutex[g]);
	spin_lock(&im->lock);
	last = --im->nfiles == 0;
	spin_unlock(&im->lock);
	if (last) {
		fsnotify_destroy_mark(&im->fsn, iepoll_groups[g]);
		/* the reference fsnotify_init_mark() gave us */
		fsnotify_put_mark(&im->fsn);
	}
	mutex_unlock(&iepoll_mark_mutex[g]);
}

static void iepoll_fsn_free_mark(struct fsnotify_mark *fsn)
{
	kmem_cache_free(iepoll_imark_cache,
			container_of(fsn, struct iepoll_imark, fsn));
}

/* ------------------------------------------------------------------ */
/* Records                                                             */

static void iepoll_file_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(iepoll_file_cache,
			container_of(head, struct iepoll_file, rcu));
}

/* Give back what a record of @rec->file holds: its mark use or reference. */
static void iepoll_file_unhold(struct iepoll_file *rec)
{
	if (rec->imark) {
		iepoll_imark_put(rec->imark);
	} else {
		spin_lock(&iepoll_fallback_lock);
		if (!list_empty(&rec->fallback)) {
			list_del(&rec->fallback);
			iepoll_nfallback--;
		}
		spin_unlock(&iepoll_fallback_lock);
		fput(rec->file);
	}
}

/*
 * Make @rec unfindable and give back what it holds, once; see RECORDS.
 * Called with a reference held or by the last one.  May sleep.
 */
static void iepoll_file_retire(struct iepoll_file *rec)
{
	if (test_and_set_bit(IEPOLL_FILE_RETIRED, &rec->flags))
		return;
	rhashtable_remove_fast(&iepoll_files, &rec->node, iepoll_file_params);
	iepoll_file_unhold(rec);
}

/**
 * iepoll_file_put - drop a reference on a record
 * @rec: the record
 *
 * The last reference retires it, if its close has not, and frees it after
 * a grace period.  May be called with an ep->mtx held (see LOCKING).  May
 * sleep.
 */
void iepoll_file_put(struct iepoll_file *rec)
{
	if (!refcount_dec_and_test(&rec->refs))
		return;
	iepoll_file_retire(rec);
	call_rcu(&rec->rcu, iepoll_file_free_rcu);
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_file_put);

struct iepoll_file *iepoll_file_lookup_rcu(const struct file *file)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "iepoll: lookup without RCU");
	return rhashtable_lookup(&iepoll_files, &file, iepoll_file_params);
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_file_lookup_rcu);

/*
 * The hashed record of @file, referenced, or NULL if there is none; or
 * ERR_PTR(-EAGAIN) for one on its way out (its last reference is gone, or
 * its file closed: it names an earlier file at the same address).
 */
static struct iepoll_file *iepoll_file_find(struct file *file)
{
	struct iepoll_file *rec;

	rcu_read_lock();
	rec = iepoll_file_lookup_rcu(file);
	if (rec && !refcount_inc_not_zero(&rec->refs))
		rec = ERR_PTR(-EAGAIN);
	rcu_read_unlock();
	if (IS_ERR_OR_NULL(rec) || !test_bit(IEPOLL_FILE_CLOSED, &rec->flags))
		return rec;

	/*
	 * Its close was handled, so it is not @file's, which the caller holds
	 * open: the handler retires it (unhashes it) before the old file can
	 * be freed, so this is only a lookup that overtook that.  Retiring is
	 * idempotent: make sure, and let the caller look again.
	 */
	if (rec->imark)
		iepoll_file_retire(rec);
	iepoll_file_put(rec);
	return ERR_PTR(-EAGAIN);
}

/* A new record of @file, with the caller's reference, not yet hashed. */
static struct iepoll_file *iepoll_file_new(struct file *file,
					   struct iepoll *inst)
{
	struct iepoll_file *rec;

	rec = kmem_cache_zalloc(iepoll_file_cache, GFP_KERNEL_ACCOUNT);
	if (!rec)
		return ERR_PTR(-ENOMEM);
	rec->file = file;
	rec->inst = inst;
	spin_lock_init(&rec->lock);
	INIT_HLIST_HEAD(&rec->items);
	INIT_LIST_HEAD(&rec->fallback);
	refcount_set(&rec->refs, 1);
	if (iepoll_file_sends_close(file)) {
		rec->imark = iepoll_imark_get(file_inode(file));
		if (IS_ERR(rec->imark)) {
			long err = PTR_ERR(rec->imark);

			kmem_cache_free(iepoll_file_cache, rec);
			return ERR_PTR(err);
		}
	} else {
		get_file(file);
	}
	return rec;
}

/**
 * iepoll_file_get - the record of a file, made on its first ADD
 * @file: the file, held open by the caller for the whole call
 * @inst: the instance @file is the file of, or NULL
 *
 * Never returns a record whose file closed: see LIFETIMES.  May sleep; may
 * be called with an ep->mtx held.
 *
 * Return: the record with a reference the caller drops with
 * iepoll_file_put(), or an ERR_PTR.
 */
struct iepoll_file *iepoll_file_get(struct file *file, struct iepoll *inst)
{
	struct iepoll_file *rec, *old;

	for (;;) {
		rec = iepoll_file_find(file);
		if (rec == ERR_PTR(-EAGAIN)) {
			/* on its way out: its last putter is unhashing it */
			cond_resched();
			continue;
		}
		if (rec)
			return rec;

		rec = iepoll_file_new(file, inst);
		if (IS_ERR(rec))
			return rec;
		/* The mark is in place before anyone can find the record. */
		old = rhashtable_lookup_get_insert_fast(&iepoll_files,
							&rec->node,
							iepoll_file_params);
		if (!old)
			break;
		iepoll_file_unhold(rec);
		kmem_cache_free(iepoll_file_cache, rec);
		if (IS_ERR(old))
			return old;
		/* another ADD of the same file won: take its record */
	}

	if (!rec->imark) {
		bool first;

		spin_lock(&iepoll_fallback_lock);
		list_add_tail(&rec->fallback, &iepoll_fallback_list);
		first = iepoll_nfallback++ == 0;
		spin_unlock(&iepoll_fallback_lock);
		if (first)
			iepoll_sweep_kick();
	}
	return rec;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_file_get);

/* Put @epi on its file's list; the item holds a reference on @rec. */
void iepoll_file_link(struct iepoll_file *rec, struct iepoll_item *epi)
{
	refcount_inc(&rec->refs);
	epi->rec = rec;
	spin_lock(&rec->lock);
	hlist_add_head_rcu(&epi->fllink, &rec->items);
	spin_unlock(&rec->lock);
}

/*
 * Take @epi off its file's list, unless the file's close is removing it
 * and this is not that close (@force).  The item's reference on the record
 * is the caller's to drop afterwards.
 */
bool iepoll_file_unlink(struct iepoll_item *epi, bool force)
{
	struct iepoll_file *rec = epi->rec;

	spin_lock(&rec->lock);
	if (epi->dying && !force) {
		spin_unlock(&rec->lock);
		return false;
	}
	hlist_del_rcu(&epi->fllink);
	spin_unlock(&rec->lock);
	return true;
}

/* A fallback file nobody but iepoll holds: its items are never reported. */
bool iepoll_item_closed(const struct iepoll_item *epi)
{
	return !epi->rec->imark && file_count(epi->file) <= 1;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_item_closed);

/* ------------------------------------------------------------------ */
/* The close event                                                     */

/**
 * iepoll_file_for_close - the record of the file a close event is about
 * @data:      the event's data: &file->f_path of the closing file
 * @data_type: FSNOTIFY_EVENT_PATH for a close
 *
 * Lock-free until it finds a record: every close of any file on a marked
 * inode (for the anonymous inode, every eventfd, timerfd, signalfd...)
 * comes here.
 *
 * Return: the record, referenced, or NULL.
 */
VISIBLE_IF_KUNIT struct iepoll_file *iepoll_file_for_close(const void *data,
							   int data_type)
{
	struct iepoll_file *rec;
	struct file *key;

	if (data_type != FSNOTIFY_EVENT_PATH)
		return NULL;
	/* a key only: the file is being torn down, never read it */
	key = container_of(data, struct file, f_path);

	rcu_read_lock();
	rec = iepoll_file_lookup_rcu(key);
	if (rec && (!rec->imark || !refcount_inc_not_zero(&rec->refs)))
		rec = NULL;
	rcu_read_unlock();
	return rec;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_file_for_close);

/*
 * The file's close was seen (or the module goes), @rec referenced by the
 * caller: the key goes first, before the struct file can be freed and its
 * address name another file; then the items.  Once.
 */
static void iepoll_file_closed(struct iepoll_file *rec)
{
	if (!rec->imark || test_and_set_bit(IEPOLL_FILE_CLOSED, &rec->flags))
		return;
	iepoll_file_retire(rec);
	iepoll_remove_file_items(rec, IEPOLL_RM_CLOSE);
}

static int iepoll_fsn_handle_event(struct fsnotify_group *group, u32 mask,
				   const void *data, int data_type,
				   struct inode *dir,
				   const struct qstr *file_name, u32 cookie,
				   struct fsnotify_iter_info *iter_info)
{
	struct iepoll_file *rec;

	if (!(mask & IEPOLL_CLOSE_MASK))
		return 0;
	rec = iepoll_file_for_close(data, data_type);
	if (!rec)
		return 0;
	iepoll_file_closed(rec);
	iepoll_file_put(rec);
	return 0;
}

static const struct fsnotify_ops iepoll_fsn_ops = {
	.handle_event	= iepoll_fsn_handle_event,
	.free_mark	= iepoll_fsn_free_mark,
};

/* ------------------------------------------------------------------ */
/* The sweep of fallback files                                         */

unsigned long iepoll_nr_fallback(void)
{
	return READ_ONCE(iepoll_nfallback);
}

void iepoll_sweep_kick(void)
{
	mod_delayed_work(system_wq, &iepoll_sweep_work, 0);
}

/* Sweep now and wait for it; with no iepoll lock held. */
void iepoll_sweep_now(void)
{
	iepoll_sweep_kick();
	flush_delayed_work(&iepoll_sweep_work);
}

/* A fallback file only iepoll holds, referenced for the caller, or NULL. */
static struct iepoll_file *iepoll_sweep_next(bool *more)
{
	struct iepoll_file *rec, *found = NULL;

	spin_lock(&iepoll_fallback_lock);
	list_for_each_entry(rec, &iepoll_fallback_list, fallback) {
		if (file_count(rec->file) <= 1 &&
		    !test_bit(IEPOLL_FILE_CLOSED, &rec->flags) &&
		    refcount_inc_not_zero(&rec->refs)) {
			found = rec;
			break;
		}
	}
	*more = iepoll_nfallback > 0;
	spin_unlock(&iepoll_fallback_lock);
	return found;
}

static void iepoll_sweep_fn(struct work_struct *work)
{
	struct iepoll_file *rec;
	bool more;

	/*
	 * Nobody else holds the file, so nobody can get a descriptor of it
	 * again: no ADD or DEL can meet this sweep on it.
	 */
	while ((rec = iepoll_sweep_next(&more)) != NULL) {
		set_bit(IEPOLL_FILE_CLOSED, &rec->flags);
		iepoll_remove_file_items(rec, IEPOLL_RM_SWEEP);
		iepoll_file_put(rec);
		cond_resched();
	}
	if (more)
		queue_delayed_work(system_wq, &iepoll_sweep_work,
				   msecs_to_jiffies(max(1U, READ_ONCE(iepoll_sweep_interval_ms))));
}

/* ------------------------------------------------------------------ */

int __init iepoll_files_init(void)
{
	int err, i;

	err = rhashtable_init(&iepoll_files, &iepoll_file_params);
	if (err)
		return err;

	err = -ENOMEM;
	iepoll_file_cache = kmem_cache_create("iepoll_file",
					      sizeof(struct iepoll_file), 0,
					      SLAB_ACCOUNT, NULL);
	if (!iepoll_file_cache)
		goto err_table;
	iepoll_imark_cache = kmem_cache_create("iepoll_imark",
					       sizeof(struct iepoll_imark), 0,
					       SLAB_ACCOUNT, NULL);
	if (!iepoll_imark_cache)
		goto err_file_cache;

	for (i = 0; i < IEPOLL_NR_GROUPS; i++) {
		mutex_init(&iepoll_mark_mutex[i]);
		iepoll_groups[i] =
			fsnotify_alloc_group(&iepoll_fsn_ops,
					     IEPOLL_FSNOTIFY_GROUP_FLAGS);
		if (IS_ERR(iepoll_groups[i])) {
			err = PTR_ERR(iepoll_groups[i]);
			goto err_groups;
		}
	}
	return 0;

err_groups:
	while (--i >= 0)
		fsnotify_put_group(iepoll_groups[i]);
	kmem_cache_destroy(iepoll_imark_cache);
err_file_cache:
	kmem_cache_destroy(iepoll_file_cache);
err_table:
	rhashtable_destroy(&iepoll_files);
	return err;
}

/*
 * No instance is left, so no item, and a record is left only while a close
 * handler still holds it.  Treat each as closed, which retires it and
 * destroys its mark; then wait until fsnotify has freed the marks, past
 * every handler still running.
 */
void iepoll_files_exit(void)
{
	struct rhashtable_iter iter;
	struct iepoll_file *rec;
	int i;

	cancel_delayed_work_sync(&iepoll_sweep_work);

	while (atomic_read(&iepoll_files.nelems)) {
		rhashtable_walk_enter(&iepoll_files, &iter);
		rhashtable_walk_start(&iter);
		while ((rec = rhashtable_walk_next(&iter)) != NULL) {
			if (IS_ERR(rec) || !refcount_inc_not_zero(&rec->refs))
				continue;
			rhashtable_walk_stop(&iter);
			iepoll_file_closed(rec);
			/* a fallback record, which has no close: no item left */
			iepoll_file_retire(rec);
			iepoll_file_put(rec);
			rhashtable_walk_start(&iter);
		}
		rhashtable_walk_stop(&iter);
		rhashtable_walk_exit(&iter);
		/* what a resize hid from the walk, or a putter still unhashes */
		cond_resched();
	}

	for (i = 0; i < IEPOLL_NR_GROUPS; i++)
		fsnotify_put_group(iepoll_groups[i]);
	fsnotify_wait_marks_destroyed();
	rcu_barrier();
	rhashtable_destroy(&iepoll_files);
	kmem_cache_destroy(iepoll_imark_cache);
	kmem_cache_destroy(iepoll_file_cache);
}
