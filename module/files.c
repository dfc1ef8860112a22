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
 * reference on such a file.
 *
 * RECORDS
 *
 * struct iepoll_file is what iepoll knows of one watched file.  Records
 * live in an rhashtable keyed by the struct file pointer: lookups are
 * lock-free (RCU), inserts and removals take one bucket lock, so an ADD
 * costs the same whatever the number of files watched on the system, and
 * ADDs of different instances do not meet on a global lock.
 *
 * A file that sends the close event keeps its record from its first ADD
 * until its last close, even with no item left, so that ADD/DEL churn on
 * one file does not create and destroy fsnotify marks each time; the
 * record holds no reference on the file, only an "open" reference on
 * itself that the close handler (or the module's exit) drops, once
 * (IEPOLL_FILE_CLOSED).  While the file is open, its pointer is a valid
 * key: no other file can have it.  The handler gets &file->f_path as the
 * event's data and uses the file pointer only as a key, never to read it.
 *
 * FALLBACK
 *
 * A file that sends no close event (f_mode FMODE_NONOTIFY on 6.1 and 6.12:
 * ptmx masters, fanotify's event descriptors) is watched as iepoll used to
 * watch every file: its record holds a reference on it, and a sweep every
 * sweep_interval_ms removes the items of such files that nobody else holds
 * (file_count() == 1), reason SWEEP.  The sweep walks only those records.
 * Such a record goes with its last item.  Their items are never reported
 * once the file is unreachable (iepoll_item_closed()).
 *
 * MARKS
 *
 * One struct iepoll_imark per inode, shared by the records of every
 * watched file on that inode (a pipe's two ends, every eventfd on the
 * anonymous inode) and counted by them (@nfiles, under @lock).  The last
 * record to go marks it dead and destroys it.  An ADD that finds a dead
 * mark still attached waits for the detach and makes a new one.  Marks are
 * spread over IEPOLL_NR_GROUPS groups by inode, so that creating and
 * destroying them (fsnotify's per-group mark_mutex) does not serialise
 * every new watched file on one lock.
 *
 * LOCKING
 *
 *   ep->mtx (core.c) -> rec->lock -> nothing
 *   imark->lock, iepoll_fallback_lock: leaves
 *   fsnotify's group->mark_mutex is taken by fsnotify_add_inode_mark() and
 *   fsnotify_destroy_mark(), never with rec->lock, an imark lock or
 *   iepoll_fallback_lock held, and never with ep->mtx held: a record or
 *   mark is only released from a path that holds no ep->mtx, or drops a
 *   reference that cannot be the last (see iepoll_file_put()).
 *
 * The close handler runs under fsnotify's SRCU, in whatever task does the
 * last fput (close(), task_work at exit, a kworker for delayed fput) and
 * may sleep.  It takes ep->mtx of each instance watching the file, one at a
 * time.  It may destroy its own mark, as inotify's IN_ONESHOT does.
 */

#include <linux/file.h>
#include <linux/fsnotify_backend.h>
#include <linux/hash.h>
#include <linux/module.h>
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
 * @lock:   protects @nfiles and @dead
 * @nfiles: records of files on this inode that use the mark
 * @dead:   the last record went: being destroyed, not to be reused
 */
struct iepoll_imark {
	struct fsnotify_mark fsn;
	spinlock_t lock;		/* @nfiles, @dead */
	unsigned int nfiles;
	bool dead;
};

static struct fsnotify_group *iepoll_groups[IEPOLL_NR_GROUPS];
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

static struct fsnotify_group *iepoll_group_of(const struct inode *inode)
{
	return iepoll_groups[hash_ptr(inode, IEPOLL_NR_GROUPS_SHIFT)];
}

/* A use of the mark on @inode, made if there is none. */
static struct iepoll_imark *iepoll_imark_get(struct inode *inode)
{
	struct fsnotify_group *group = iepoll_group_of(inode);
	struct fsnotify_mark *fsn;
	struct iepoll_imark *im;
	bool alive;
	int err;

	for (;;) {
		fsn = iepoll_find_inode_mark(inode, group);
		if (fsn) {
			im = container_of(fsn, struct iepoll_imark, fsn);
			spin_lock(&im->lock);
			alive = !im->dead;
			if (alive)
				im->nfiles++;
			spin_unlock(&im->lock);
			/* the find's reference; the mark keeps its own */
			fsnotify_put_mark(fsn);
			if (alive)
				return im;
			/* dead but still attached: let its destroyer detach it */
			schedule_timeout_uninterruptible(1);
			continue;
		}

		im = kmem_cache_zalloc(iepoll_imark_cache, GFP_KERNEL_ACCOUNT);
		if (!im)
			return ERR_PTR(-ENOMEM);
		spin_lock_init(&im->lock);
		im->nfiles = 1;
		fsnotify_init_mark(&im->fsn, group);
		im->fsn.mask = IEPOLL_CLOSE_MASK;
		err = fsnotify_add_inode_mark(&im->fsn, inode, 0);
		if (!err)
			return im;
		/* never attached: this frees it through ->free_mark */
		fsnotify_put_mark(&im->fsn);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/* another ADD attached one first: use that */
	}
}

/* Drop a use of @im; the last one destroys the mark.  May sleep. */
static void iepoll_imark_put(struct iepoll_imark *im)
{
	bool last;

	spin_lock(&im->lock);
	last = --im->nfiles == 0;
	if (last)
		im->dead = true;
	spin_unlock(&im->lock);

	if (last) {
		fsnotify_destroy_mark(&im->fsn, im->fsn.group);
		/* the reference fsnotify_init_mark() gave us */
		fsnotify_put_mark(&im->fsn);
	}
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

/* Undo what a record of @rec->file set up: its mark use or its reference. */
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

/**
 * iepoll_file_put - drop a reference on a record
 * @rec: the record
 *
 * The last reference frees it.  That can only be the reference of a
 * caller that holds no ep->mtx (the close handler, the sweep, the exit, an
 * ADD that is done), or the last item of a fallback file, whose release
 * only fput()s.  May sleep.
 */
void iepoll_file_put(struct iepoll_file *rec)
{
	if (!refcount_dec_and_test(&rec->refs))
		return;
	rhashtable_remove_fast(&iepoll_files, &rec->node, iepoll_file_params);
	iepoll_file_unhold(rec);
	call_rcu(&rec->rcu, iepoll_file_free_rcu);
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_file_put);

struct iepoll_file *iepoll_file_lookup_rcu(const struct file *file)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "iepoll: lookup without RCU");
	return rhashtable_lookup(&iepoll_files, &file, iepoll_file_params);
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_file_lookup_rcu);

/**
 * iepoll_file_get - the record of a file, made on its first ADD
 * @file: the file, referenced by the caller for the whole call
 *
 * Return: the record with a reference the caller drops with
 * iepoll_file_put(), or an ERR_PTR.
 */
struct iepoll_file *iepoll_file_get(struct file *file)
{
	struct iepoll_file *rec, *old;
	bool hook = iepoll_file_sends_close(file);
	int err;

	for (;;) {
		rcu_read_lock();
		rec = iepoll_file_lookup_rcu(file);
		if (rec && refcount_inc_not_zero(&rec->refs)) {
			rcu_read_unlock();
			return rec;
		}
		rcu_read_unlock();
		if (!rec)
			break;
		/* a fallback record on its way out of the table */
		cond_resched();
	}

	rec = kmem_cache_zalloc(iepoll_file_cache, GFP_KERNEL_ACCOUNT);
	if (!rec)
		return ERR_PTR(-ENOMEM);
	rec->file = file;
	spin_lock_init(&rec->lock);
	INIT_HLIST_HEAD(&rec->items);
	INIT_LIST_HEAD(&rec->fallback);
	if (hook) {
		rec->imark = iepoll_imark_get(file_inode(file));
		if (IS_ERR(rec->imark)) {
			err = PTR_ERR(rec->imark);
			kmem_cache_free(iepoll_file_cache, rec);
			return ERR_PTR(err);
		}
		/* the caller's, and "open" until the close */
		refcount_set(&rec->refs, 2);
	} else {
		get_file(file);
		refcount_set(&rec->refs, 1);
	}

	/* The mark is in place before anyone can find the record. */
	old = rhashtable_lookup_get_insert_fast(&iepoll_files, &rec->node,
						iepoll_file_params);
	if (old) {
		iepoll_file_unhold(rec);
		kmem_cache_free(iepoll_file_cache, rec);
		if (IS_ERR(old))
			return old;
		/* another ADD of the same file won: take its record */
		return iepoll_file_get(file);
	}

	if (!hook) {
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

/* The file's close was seen (or the module goes): drop "open", once. */
static void iepoll_file_closed(struct iepoll_file *rec)
{
	if (!rec->imark || test_and_set_bit(IEPOLL_FILE_CLOSED, &rec->flags))
		return;
	iepoll_remove_file_items(rec, IEPOLL_RM_CLOSE);
	iepoll_file_put(rec);
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
 * No instance is left, so no item: what remains are the records of files
 * still open.  Treat each as closed, which destroys the marks; then wait
 * until fsnotify has freed them, past every handler still running.
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
			iepoll_file_put(rec);
			rhashtable_walk_start(&iter);
		}
		rhashtable_walk_stop(&iter);
		rhashtable_walk_exit(&iter);
		/* a handler may still hold one: let it finish */
		if (atomic_read(&iepoll_files.nelems))
			schedule_timeout_uninterruptible(1);
	}

	for (i = 0; i < IEPOLL_NR_GROUPS; i++)
		fsnotify_put_group(iepoll_groups[i]);
	fsnotify_wait_marks_destroyed();
	rcu_barrier();
	rhashtable_destroy(&iepoll_files);
	kmem_cache_destroy(iepoll_imark_cache);
	kmem_cache_destroy(iepoll_file_cache);
}
