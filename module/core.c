// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll core: eventpoll's multiplexer, re-implemented with tracepoints.
 * Watched files are tracked in files.c, nesting rules live in nest.c.
 *
 * LOCKING
 *
 * Locks, in the order they nest, never the other way round:
 *
 *   iepoll_nest_mutex  (nest.c; only for an ADD that may create a loop or
 *                       new wakeup paths, as eventpoll's epnested_mutex)
 *     -> ep->mtx       (per instance; nested instances are locked with
 *                       their depth as lockdep subclass)
 *       -> rec->lock   (per watched file, files.c: its list of items)
 *       -> iepoll_mark_mutex[] -> fsnotify's mark_mutex  (files.c: making
 *                       the first record of an inode, retiring its last)
 *       -> ep->lock    (per instance spinlock, irq-safe)
 *            -> ep->wq.lock, ep->poll_wait.lock  (wait queue locks)
 *
 *   iepoll_instances_lock, iepoll_users_lock: global spinlocks taken for
 *   an instant when an instance is created or freed, never while sleeping;
 *   ep->lock may nest inside iepoll_instances_lock (totals).
 *
 * No global mutex is taken to create or close an instance, to close a
 * watched file, or by any EPOLL_CTL_* that does not nest instances: a task
 * that stalls one instance (a ->poll that blocks, a copy to user memory
 * that faults forever) stalls only that instance and the closes of the
 * files it watches, exactly as with eventpoll.
 *
 * ep->mtx serialises everything that may sleep on one instance: EPOLL_CTL_*,
 * the transfer of events to userspace, poll of the instance file, fdinfo,
 * release, and the removal of an item whose file was closed.  It protects
 * the red-black tree (ep->rbr), the items' events and data against
 * concurrent MOD, and it makes a transfer exclusive: while a task holds it
 * and transfers, ep->rdllist belongs to that task.
 *
 * ep->lock protects the ready list, the overflow list, ep->nready and every
 * counter in ep->stats.  It is taken from the wakeup callback, which runs
 * with the target's wait queue lock held and may run in interrupt context,
 * so it is always taken with interrupts off and nothing under it may sleep.
 * Both ep->wq and the ready list are only modified with ep->lock held,
 * which is why a waiter can test the ready list and queue itself on ep->wq
 * atomically.
 *
 * While events are transferred ep->ovflist is not IEPOLL_UNACTIVE_PTR: the
 * transferring task walks a private list without ep->lock, so callbacks
 * that fire in the meantime chain their items on ep->ovflist instead of
 * touching ep->rdllist, and the transfer moves them back at its end.
 *
 * STATISTICS
 *
 * One rule: every counter of ep->stats is changed and read under ep->lock,
 * so IEPOLL_IOC_STATS is one consistent snapshot.  Paths that hold only
 * ep->mtx (ctl, the end of a wait) take ep->lock for the instant of the
 * update, usually in a section they need anyway.  ep->nready counts items
 * whose rdllink is linked, on ep->rdllist or on a transfer's private list;
 * a transfer unlinks items without the lock and reports its net change at
 * its end (iepoll_done_scan()), so ep->nready is exact whenever ep->lock is
 * held and no transfer is under way.
 *
 * LIFETIMES
 *
 * An item lives from ADD until the first of: EPOLL_CTL_DEL, the release of
 * its instance, or the last close of its file.  files.c calls
 * iepoll_remove_file_items() on that close, from fsnotify's close event,
 * which __fput() sends before the file's ->release: the item leaves the
 * target's wait queues before they can be freed, and iepoll never holds a
 * reference on a watched file (but for the fallback files of files.c).
 * DEL holds a reference on the file, so only a close and a release can
 * race: the close marks the item dying under rec->lock before it takes
 * ep->mtx, and a release leaves dying items to it.  Each item holds a
 * reference on its instance (ep->refs), as does the instance file, so
 * whoever removes the last of them frees the instance.  Items and instances
 * are freed after an RCU grace period: nest.c walks the items of a file and
 * their instances under RCU.
 *
 * Pointers used after the lock that found them is dropped: the close reads
 * an item's instance under rec->lock and takes that ep->mtx afterwards; the
 * item is dying, so nobody else frees it, and it holds its instance.  A
 * wakeup callback reaches its item and instance through its hook, which the
 * item's removal takes off the target's queue, under the queue's lock,
 * before the item is freed (POLLFREE: iepoll_unhook()).  An item's target
 * file is valid while the item is, because the file's close removes the
 * item before the file's ->release.  The record of a file (files.c) is a
 * key only while the file is open; records keep their own rules there.
 */

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "core.h"

#define CREATE_TRACE_POINTS
#include "iepoll_trace.h"

unsigned long iepoll_max_user_watches __read_mostly;
module_param_named(max_user_watches, iepoll_max_user_watches, ulong, 0644);
MODULE_PARM_DESC(max_user_watches,
		 "Items one user may watch across all instances (ENOSPC beyond)");

static DEFINE_SPINLOCK(iepoll_instances_lock);
static LIST_HEAD(iepoll_instances);
static struct iepoll_counters iepoll_retired;
static unsigned long iepoll_ninstances;
static atomic_t iepoll_next_id = ATOMIC_INIT(0);

static DEFINE_SPINLOCK(iepoll_users_lock);
static DEFINE_HASHTABLE(iepoll_users, 6);

static struct kmem_cache *iepoll_item_cache __read_mostly;
static struct kmem_cache *iepoll_pwq_cache __read_mostly;

static void iepoll_destroy(struct iepoll *ep);

/* Used by the insert path to collect the wait queues of a target. */
struct iepoll_qtable {
	poll_table pt;
	struct iepoll_item *epi;
};

/* ------------------------------------------------------------------ */
/* Decisions with no state: what epoll would do with these bits.      */

/**
 * iepoll_ctl_check - the EINVAL rules of epoll_ctl that need no lookup
 * @op:                 EPOLL_CTL_ADD, MOD or DEL
 * @events:             requested events (ignored for DEL)
 * @target_is_instance: the target is an iepoll instance
 *
 * EPOLLEXCLUSIVE hooks the target's wait queue at ADD time only, so it is
 * refused with MOD, on nested instances and with flags it cannot honour.
 */
VISIBLE_IF_KUNIT int iepoll_ctl_check(int op, __poll_t events,
				      bool target_is_instance)
{
	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return -EINVAL;
	if (op == EPOLL_CTL_DEL || !(events & EPOLLEXCLUSIVE))
		return 0;
	if (op == EPOLL_CTL_MOD)
		return -EINVAL;
	if (target_is_instance || (events & ~IEPOLL_EXCLUSIVE_OK_BITS))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_ctl_check);

/**
 * iepoll_sanitize_events - drop EPOLLWAKEUP when it may not be used
 * @events:            requested events
 * @may_block_suspend: the caller has CAP_BLOCK_SUSPEND
 *
 * As epoll, silently: the flag is simply not kept.
 */
VISIBLE_IF_KUNIT __poll_t iepoll_sanitize_events(__poll_t events,
						 bool may_block_suspend)
{
	if (!IS_ENABLED(CONFIG_PM_SLEEP) || !may_block_suspend)
		events &= ~EPOLLWAKEUP;
	return events;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_sanitize_events);

/**
 * iepoll_cb_decide - what a wakeup callback does with an item
 * @item_events:  the item's events
 * @key:          the mask passed by the waker, 0 when unknown
 * @transferring: a transfer to userspace is under way (overflow list on)
 * @queued:       the item is already on the list it would go to
 */
VISIBLE_IF_KUNIT enum iepoll_cb_outcome
iepoll_cb_decide(__poll_t item_events, __poll_t key, bool transferring,
		 bool queued)
{
	if (!(item_events & ~IEPOLL_PRIVATE_BITS))
		return IEPOLL_CB_DISARMED;
	if (key && !(key & item_events))
		return IEPOLL_CB_IGNORED;
	if (queued)
		return IEPOLL_CB_ALREADY;
	return transferring ? IEPOLL_CB_OVERFLOW : IEPOLL_CB_READY;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_cb_decide);

/**
 * iepoll_cb_exclusive_wake - whether an exclusive item's wakeup counts
 * @item_events: the item's events
 * @key:         the mask passed by the waker
 *
 * A waker that says "readable" or "writable" only consumes the exclusive
 * wakeup if the item asked for that direction; one that says neither always
 * does.  POLLFREE never does: every hook must see it.
 */
VISIBLE_IF_KUNIT bool iepoll_cb_exclusive_wake(__poll_t item_events,
					       __poll_t key)
{
	if (key & POLLFREE)
		return false;
	switch (key & IEPOLL_INOUT_BITS) {
	case EPOLLIN:
		return item_events & EPOLLIN;
	case EPOLLOUT:
		return item_events & EPOLLOUT;
	case 0:
		return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_cb_exclusive_wake);

/**
 * iepoll_after_delivery - what becomes of an item whose event was copied
 * @item_events: the item's events
 */
VISIBLE_IF_KUNIT enum iepoll_after_delivery
iepoll_after_delivery(__poll_t item_events)
{
	if (item_events & EPOLLONESHOT)
		return IEPOLL_AFTER_DISARM;
	if (item_events & EPOLLET)
		return IEPOLL_AFTER_DROP;
	return IEPOLL_AFTER_REQUEUE;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_after_delivery);

/* ------------------------------------------------------------------ */
/* Files                                                              */

/*
 * A real epoll instance as target is refused: iepoll cannot see its items,
 * so it could neither detect a cycle through it nor bound the recursion.
 * The length goes first: every ctl on an eventfd, timerfd or signalfd
 * asks, and their names are shorter (a strcmp() was 44 instructions of
 * each such MOD, docs/measurements.md).
 */
static bool iepoll_file_is_epoll(const struct file *file)
{
	static const char name[] = "[eventpoll]";
	const struct qstr *d_name = &file->f_path.dentry->d_name;

	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       d_name->len == sizeof(name) - 1 &&
	       !memcmp(d_name->name, name, sizeof(name) - 1);
}

/* ------------------------------------------------------------------ */
/* Per-user watch accounting (epoll's user->epoll_watches)            */

static struct iepoll_user *iepoll_user_get(kuid_t uid)
{
	struct iepoll_user *u, *new;
	u32 key = __kuid_val(uid);

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return NULL;

	spin_lock(&iepoll_users_lock);
	hash_for_each_possible(iepoll_users, u, node, key) {
		if (uid_eq(u->uid, uid)) {
			refcount_inc(&u->refs);
			spin_unlock(&iepoll_users_lock);
			kfree(new);
			return u;
		}
	}
	new->uid = uid;
	refcount_set(&new->refs, 1);
	atomic_long_set(&new->watches, 0);
	hash_add(iepoll_users, &new->node, key);
	spin_unlock(&iepoll_users_lock);
	return new;
}

static void iepoll_user_put(struct iepoll_user *u)
{
	spin_lock(&iepoll_users_lock);
	if (refcount_dec_and_test(&u->refs))
		hash_del(&u->node);
	else
		u = NULL;
	spin_unlock(&iepoll_users_lock);
	kfree(u);
}

#if IS_ENABLED(CONFIG_KUNIT)
long iepoll_user_watches(struct iepoll *ep)
{
	return atomic_long_read(&ep->user->watches);
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_user_watches);
#endif

/* ------------------------------------------------------------------ */
/* The tree of items, keyed by (file, fd)                             */

static int iepoll_cmp(const struct file *f1, int fd1,
		      const struct file *f2, int fd2)
{
	if (f1 != f2)
		return f1 > f2 ? 1 : -1;
	return fd1 - fd2;
}

VISIBLE_IF_KUNIT struct iepoll_item *iepoll_find(struct iepoll *ep,
						 struct file *file, int fd)
{
	struct rb_node *rbp = ep->rbr.rb_root.rb_node;

	while (rbp) {
		struct iepoll_item *epi = rb_entry(rbp, struct iepoll_item, rbn);
		int c = iepoll_cmp(file, fd, epi->file, epi->fd);

		if (c > 0)
			rbp = rbp->rb_right;
		else if (c < 0)
			rbp = rbp->rb_left;
		else
			return epi;
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_find);

static void iepoll_rbtree_insert(struct iepoll *ep, struct iepoll_item *epi)
{
	struct rb_node **p = &ep->rbr.rb_root.rb_node, *parent = NULL;
	bool leftmost = true;

	while (*p) {
		struct iepoll_item *cur;

		parent = *p;
		cur = rb_entry(parent, struct iepoll_item, rbn);
		if (iepoll_cmp(epi->file, epi->fd, cur->file, cur->fd) > 0) {
			p = &parent->rb_right;
			leftmost = false;
		} else {
			p = &parent->rb_left;
		}
	}
	rb_link_node(&epi->rbn, parent, p);
	rb_insert_color_cached(&epi->rbn, &ep->rbr, leftmost);
}

/* ------------------------------------------------------------------ */
/* Wakeup sources (EPOLLWAKEUP)                                       */

static int iepoll_create_wakeup_source(struct iepoll *ep,
				       struct iepoll_item *epi)
{
	struct name_snapshot n;
	struct wakeup_source *ws;

	if (!ep->ws) {
		ep->ws = wakeup_source_register(NULL, "iepollset");
		if (!ep->ws)
			return -ENOMEM;
	}

	take_dentry_name_snapshot(&n, epi->file->f_path.dentry);
	ws = wakeup_source_register(NULL, n.name.name);
	release_dentry_name_snapshot(&n);
	if (!ws)
		return -ENOMEM;

	spin_lock_irq(&ep->lock);
	epi->ws = ws;
	spin_unlock_irq(&ep->lock);
	return 0;
}

static void iepoll_destroy_wakeup_source(struct iepoll *ep,
					 struct iepoll_item *epi)
{
	struct wakeup_source *ws;

	spin_lock_irq(&ep->lock);
	ws = epi->ws;
	epi->ws = NULL;
	spin_unlock_irq(&ep->lock);
	wakeup_source_unregister(ws);
}

/* ------------------------------------------------------------------ */
/* Ready list                                                          */

static bool iepoll_events_available(struct iepoll *ep)
{
	return !list_empty_careful(&ep->rdllist) ||
	       READ_ONCE(ep->ovflist) != IEPOLL_UNACTIVE_PTR;
}

static void iepoll_stamp(struct iepoll_item *epi)
{
	if (trace_iepoll_deliver_enabled())
		epi->ready_ns = ktime_get_ns();
}

static void iepoll_note_ready(struct iepoll *ep)
{
	if (ep->nready > ep->stats.max_ready)
		ep->stats.max_ready = ep->nready;
}

/* Put @epi on the ready list; called with ep->lock held. */
static void iepoll_link_ready(struct iepoll *ep, struct iepoll_item *epi)
{
	lockdep_assert_held(&ep->lock);

	list_add_tail(&epi->rdllink, &ep->rdllist);
	ep->nready++;
	iepoll_note_ready(ep);
	__pm_stay_awake(epi->ws);
	iepoll_stamp(epi);
}

/* Queue @epi as ready and wake waiters. Returns whether to poll-wake. */
static bool iepoll_queue_ready(struct iepoll *ep, struct iepoll_item *epi)
{
	iepoll_link_ready(ep, epi);
	/* ep->wq is only modified under ep->lock, held here */
	if (waitqueue_active(&ep->wq))
		wake_up(&ep->wq);
	/* poll_wait is lockless: a racing poller re-polls after queueing */
	return waitqueue_active(&ep->poll_wait);
}

/*
 * Take the whole ready list for a transfer.  From here until
 * iepoll_done_scan() callbacks chain ready items on ep->ovflist.
 */
static void iepoll_start_scan(struct iepoll *ep, struct list_head *txlist)
{
	lockdep_assert_held(&ep->mtx);

	spin_lock_irq(&ep->lock);
	list_splice_init(&ep->rdllist, txlist);
	WRITE_ONCE(ep->ovflist, NULL);
	spin_unlock_irq(&ep->lock);
}

/**
 * iepoll_done_scan - end a transfer
 * @ep:        the instance
 * @txlist:    what the transfer did not take off its private list
 * @unlinked:  items the transfer took off @txlist and did not put back
 *             anywhere (their rdllink is empty now)
 * @requeued:  level-triggered items it put back on ep->rdllist
 * @delivered: events it copied to userspace, for the statistics
 *
 * The ready list becomes: what is left on @txlist, then the items
 * callbacks made ready meanwhile, then the requeued items (already on
 * ep->rdllist), so that delivery rotates.
 *
 * Return: the number of items carried back from the overflow list.
 */
static int iepoll_done_scan(struct iepoll *ep, struct list_head *txlist,
			    int unlinked, int requeued, int delivered)
{
	struct iepoll_item *epi, *nepi;
	int carried = 0;

	spin_lock_irq(&ep->lock);
	for (nepi = READ_ONCE(ep->ovflist); (epi = nepi) != NULL;
	     nepi = epi->next, epi->next = IEPOLL_UNACTIVE_PTR) {
		if (list_empty(&epi->rdllink)) {
			list_add(&epi->rdllink, &ep->rdllist);
			__pm_stay_awake(epi->ws);
			carried++;
		}
	}
	WRITE_ONCE(ep->ovflist, IEPOLL_UNACTIVE_PTR);

	list_splice(txlist, &ep->rdllist);
	ep->nready += carried + requeued - unlinked;
	iepoll_note_ready(ep);
	if (delivered > 0)
		ep->stats.delivered += delivered;
	__pm_relax(ep->ws);

	/* ep->wq is only modified under ep->lock, held here */
	if (!list_empty(&ep->rdllist) && waitqueue_active(&ep->wq))
		wake_up(&ep->wq);
	spin_unlock_irq(&ep->lock);

	return carried;
}

/* ------------------------------------------------------------------ */
/* Wakeups                                                             */

/*
 * Wake the pollers of an instance.  An instance nested in another is woken
 * from inside the inner one's poll_wait.lock, so the nesting level is the
 * lockdep subclass: the source's level plus one.
 */
static void iepoll_poll_safewake(struct iepoll *ep, struct iepoll_item *epi,
				 __poll_t pollflags)
{
	unsigned long flags;
	u8 nests = 0;

	if (epi) {
		if (iepoll_file_is_instance(epi->file)) {
			struct iepoll *src = epi->file->private_data;

			nests = src->nests;
		} else {
			nests = 1;
		}
	}
	spin_lock_irqsave_nested(&ep->poll_wait.lock, flags, nests);
	ep->nests = nests + 1;
	wake_up_locked_poll(&ep->poll_wait, EPOLLIN | pollflags);
	ep->nests = 0;
	spin_unlock_irqrestore(&ep->poll_wait.lock, flags);
}

static struct iepoll_pwq *iepoll_pwq_from_wait(wait_queue_entry_t *wait)
{
	return container_of(wait, struct iepoll_pwq, wait);
}

/*
 * The wait queue callback: a target signalled readiness.  Runs with the
 * target's wait queue lock held, possibly in interrupt context.
 */
static int iepoll_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			 int sync, void *key)
{
	struct iepoll_pwq *pwq = iepoll_pwq_from_wait(wait);
	struct iepoll_item *epi = pwq->item;
	struct iepoll *ep = epi->ep;
	__poll_t pollflags = key_to_poll(key);
	bool exclusive, transferring, queued, woke = false, pwake = false;
	enum iepoll_cb_outcome outcome;
	unsigned long flags;
	int ewake = 0;

	spin_lock_irqsave(&ep->lock, flags);
	ep->stats.callbacks++;
	exclusive = epi->event.events & EPOLLEXCLUSIVE;
	transferring = READ_ONCE(ep->ovflist) != IEPOLL_UNACTIVE_PTR;
	queued = transferring ? epi->next != IEPOLL_UNACTIVE_PTR :
				!list_empty(&epi->rdllink);
	outcome = iepoll_cb_decide(epi->event.events, pollflags, transferring,
				   queued);

	switch (outcome) {
	case IEPOLL_CB_DISARMED:
	case IEPOLL_CB_IGNORED:
		goto out_unlock;
	case IEPOLL_CB_OVERFLOW:
		epi->next = ep->ovflist;
		WRITE_ONCE(ep->ovflist, epi);
		ep->stats.overflows++;
		__pm_stay_awake(epi->ws);
		iepoll_stamp(epi);
		break;
	case IEPOLL_CB_READY:
		iepoll_link_ready(ep, epi);
		break;
	case IEPOLL_CB_ALREADY:
		break;
	}

	/* ep->wq is only modified under ep->lock, held here */
	if (waitqueue_active(&ep->wq)) {
		if (exclusive)
			ewake = iepoll_cb_exclusive_wake(epi->event.events,
							 pollflags);
		wake_up(&ep->wq);
		ep->stats.wakeups++;
		woke = true;
	}
	/* poll_wait is lockless: a racing poller re-polls after queueing */
	pwake = waitqueue_active(&ep->poll_wait);

out_unlock:
	if (!exclusive)
		ewake = 1;
	else
		woke = ewake;

	/* Before the lock goes: a woken waiter's events must follow it. */
	trace_iepoll_callback(ep->id, epi->fd, (__force u32)pollflags,
			      outcome, exclusive, woke);
	spin_unlock_irqrestore(&ep->lock, flags);

	if (pwake)
		iepoll_poll_safewake(ep, epi, pollflags & EPOLL_URING_WAKE);

	if (pollflags & POLLFREE) {
		/*
		 * The queue is about to be freed (signalfd's sighand, binder):
		 * unhook now and tell iepoll_unhook() through ->whead, which
		 * it reads under RCU because the memory goes away after a
		 * grace period.  Nothing here may touch @pwq afterwards.
		 */
		trace_iepoll_detach(ep->id, epi->fd,
				    file_inode(epi->file)->i_ino);
		list_del_init(&wait->entry);
		/* pairs with smp_load_acquire() in iepoll_unhook() */
		smp_store_release(&pwq->whead, NULL);
	}

	return ewake;
}

/* poll_wait() of a target during ADD: hook the item on that queue. */
static void iepoll_queue_proc(struct file *file, wait_queue_head_t *whead,
			      poll_table *pt)
{
	struct iepoll_qtable *epq = container_of(pt, struct iepoll_qtable, pt);
	struct iepoll_item *epi = epq->epi;
	struct iepoll_pwq *pwq;

	if (unlikely(!epi))	/* an earlier hook could not be allocated */
		return;

	pwq = kmem_cache_alloc(iepoll_pwq_cache, GFP_KERNEL);
	if (unlikely(!pwq)) {
		epq->epi = NULL;
		epi->nwait = -1;
		return;
	}
	init_waitqueue_func_entry(&pwq->wait, iepoll_wakeup);
	pwq->whead = whead;
	pwq->item = epi;
	if (epi->event.events & EPOLLEXCLUSIVE)
		add_wait_queue_exclusive(whead, &pwq->wait);
	else
		add_wait_queue(whead, &pwq->wait);
	pwq->next = epi->pwqlist;
	epi->pwqlist = pwq;
	epi->nwait++;
}

/* Remove every hook of @epi; afterwards no callback runs for it. */
static void iepoll_unhook(struct iepoll_item *epi)
{
	struct iepoll_pwq *pwq;

	while ((pwq = epi->pwqlist) != NULL) {
		wait_queue_head_t *whead;

		epi->pwqlist = pwq->next;
		rcu_read_lock();
		/* pairs with smp_store_release() on POLLFREE */
		whead = smp_load_acquire(&pwq->whead);
		if (whead)
			remove_wait_queue(whead, &pwq->wait);
		rcu_read_unlock();
		kmem_cache_free(iepoll_pwq_cache, pwq);
	}
}

/* ------------------------------------------------------------------ */
/* Polling targets and instances                                       */

static __poll_t __iepoll_poll(struct iepoll *ep, struct file *file,
			      poll_table *wait, int depth);

static __poll_t iepoll_item_poll(const struct iepoll_item *epi,
				 poll_table *pt, int depth)
{
	struct file *file = epi->file;
	__poll_t res;

	pt->_key = epi->event.events;
	if (iepoll_file_is_instance(file))
		res = __iepoll_poll(file->private_data, file, pt, depth);
	else
		res = vfs_poll(file, pt);
	return res & epi->event.events;
}

/*
 * Readiness of an instance itself: EPOLLIN when one of its ready items
 * really is ready.  Items queued by a callback but no longer ready are
 * dropped on the way, as eventpoll does.
 */
static __poll_t __iepoll_poll(struct iepoll *ep, struct file *file,
			      poll_table *wait, int depth)
{
	struct iepoll_item *epi, *tmp;
	int unlinked = 0;
	LIST_HEAD(txlist);
	__poll_t res = 0;
	poll_table pt;

	init_poll_funcptr(&pt, NULL);
	poll_wait(file, &ep->poll_wait, wait);

	mutex_lock_nested(&ep->mtx, depth);
	iepoll_start_scan(ep, &txlist);
	list_for_each_entry_safe(epi, tmp, &txlist, rdllink) {
		if (!iepoll_item_closed(epi) &&
		    iepoll_item_poll(epi, &pt, depth + 1)) {
			res = EPOLLIN | EPOLLRDNORM;
			break;
		}
		__pm_relax(epi->ws);
		list_del_init(&epi->rdllink);
		epi->ready_ns = 0;
		unlinked++;
	}
	iepoll_done_scan(ep, &txlist, unlinked, 0, 0);
	mutex_unlock(&ep->mtx);

	return res;
}

__poll_t iepoll_poll(struct iepoll *ep, struct file *file, poll_table *wait)
{
	return __iepoll_poll(ep, file, wait, 0);
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_poll);

/* ------------------------------------------------------------------ */
/* Items                                                               */

static void iepoll_item_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(iepoll_item_cache,
			container_of(head, struct iepoll_item, rcu));
}

/* Drop a reference on @ep; the last one frees it. */
static void iepoll_put(struct iepoll *ep)
{
	if (refcount_dec_and_test(&ep->refs))
		iepoll_destroy(ep);
}

/*
 * Take @epi out of its target's wait queues, its file's list, the ready
 * list and the tree, and free it.  Returns false, doing nothing but the
 * unhook, when the file's close owns the item (@force is false and the
 * item is dying); else whether @ep lost its last reference, in which case
 * the caller frees it once ep->mtx is dropped.
 */
static bool iepoll_unlink_item(struct iepoll *ep, struct iepoll_item *epi,
			       bool force, bool *removed)
{
	lockdep_assert_held(&ep->mtx);

	/* First: once the file's list no longer has it, its close may finish. */
	iepoll_unhook(epi);
	*removed = iepoll_file_unlink(epi, force);
	if (!*removed)
		return false;

	spin_lock_irq(&ep->lock);
	if (!list_empty(&epi->rdllink)) {
		list_del_init(&epi->rdllink);
		ep->nready--;
	}
	spin_unlock_irq(&ep->lock);

	rb_erase_cached(&epi->rbn, &ep->rbr);
	if (epi->ws)
		iepoll_destroy_wakeup_source(ep, epi);
	iepoll_file_put(epi->rec);
	atomic_long_dec(&ep->user->watches);
	call_rcu(&epi->rcu, iepoll_item_free_rcu);
	return refcount_dec_and_test(&ep->refs);
}

/* An item leaves for @reason; returns whether @ep must be freed. */
static bool iepoll_remove(struct iepoll *ep, struct iepoll_item *epi,
			  enum iepoll_remove_reason reason, bool force)
{
	unsigned long ino = file_inode(epi->file)->i_ino;
	u32 events = (__force u32)epi->event.events;
	u64 data = epi->event.data;
	int fd = epi->fd;
	bool removed, dispose;

	dispose = iepoll_unlink_item(ep, epi, force, &removed);
	if (!removed)
		return false;

	spin_lock_irq(&ep->lock);
	ep->stats.removes++;
	ep->stats.items--;
	if (reason == IEPOLL_RM_CLOSE || reason == IEPOLL_RM_SWEEP)
		ep->stats.closes++;
	spin_unlock_irq(&ep->lock);
	trace_iepoll_remove(ep->id, fd, ino, events, data, reason);
	return dispose;
}

/**
 * iepoll_remove_file_items - a watched file is gone: remove its items
 * @rec:    the file's record, referenced by the caller
 * @reason: IEPOLL_RM_CLOSE (its last close) or IEPOLL_RM_SWEEP (fallback)
 *
 * Called by files.c, with no iepoll lock held, in whatever task does the
 * last fput() of the file, before its ->release.  Each item is marked dying
 * under rec->lock first, so that a release of its instance running at the
 * same time leaves it here, and its instance stays alive until then.
 */
void iepoll_remove_file_items(struct iepoll_file *rec,
			      enum iepoll_remove_reason reason)
{
	struct iepoll_item *epi;
	struct iepoll *ep;
	bool dispose;

	for (;;) {
		spin_lock(&rec->lock);
		epi = hlist_entry_safe(rec->items.first, struct iepoll_item,
				       fllink);
		if (!epi) {
			spin_unlock(&rec->lock);
			return;
		}
		epi->dying = true;
		ep = epi->ep;
		spin_unlock(&rec->lock);

		mutex_lock(&ep->mtx);
		dispose = iepoll_remove(ep, epi, reason, true);
		mutex_unlock(&ep->mtx);
		if (dispose)
			iepoll_destroy(ep);
		cond_resched();
	}
}

static int iepoll_insert(struct iepoll *ep, const struct epoll_event *event,
			 struct file *tfile, int fd, struct iepoll_file *rec,
			 bool full_check)
{
	bool pwake = false, removed, fallback = !rec->imark;
	struct iepoll_item *epi;
	struct iepoll_qtable epq;
	__poll_t revents;
	int err;

	lockdep_assert_held(&ep->mtx);

	if (atomic_long_inc_return(&ep->user->watches) >
	    READ_ONCE(iepoll_max_user_watches)) {
		atomic_long_dec(&ep->user->watches);
		return -ENOSPC;
	}

	epi = kmem_cache_zalloc(iepoll_item_cache, GFP_KERNEL);
	if (!epi) {
		atomic_long_dec(&ep->user->watches);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&epi->rdllink);
	epi->next = IEPOLL_UNACTIVE_PTR;
	epi->ep = ep;
	epi->file = tfile;
	epi->fd = fd;
	epi->event = *event;

	/* As eventpoll: EPOLLWAKEUP without a wakeup source is just ignored. */
	if (event->events & EPOLLWAKEUP)
		iepoll_create_wakeup_source(ep, epi);

	/* From here on iepoll_unlink_item() undoes everything. */
	refcount_inc(&ep->refs);
	iepoll_file_link(rec, epi);
	iepoll_rbtree_insert(ep, epi);

	if (full_check) {
		if (!rec->inst)
			iepoll_nest_list_file(rec);
		/* Too many wakeup paths to one file: eventpoll's EINVAL. */
		if (iepoll_reverse_path_check()) {
			err = -EINVAL;
			goto err_unlink;
		}
	}

	/* Hook the target's wait queues and read its state in one go. */
	init_poll_funcptr(&epq.pt, iepoll_queue_proc);
	epq.epi = epi;
	revents = iepoll_item_poll(epi, &epq.pt, 1);
	if (unlikely(epi->nwait < 0)) {
		err = -ENOMEM;
		goto err_unlink;
	}

	spin_lock_irq(&ep->lock);
	if (revents && list_empty(&epi->rdllink))
		pwake = iepoll_queue_ready(ep, epi);
	ep->stats.inserts++;
	ep->stats.items++;
	if (fallback)
		ep->stats.fallback++;
	spin_unlock_irq(&ep->lock);
	if (pwake)
		iepoll_poll_safewake(ep, NULL, 0);

	trace_iepoll_insert(ep->id, fd, file_inode(tfile)->i_ino,
			    (__force u32)event->events, event->data, !!revents);
	if (fallback)
		trace_iepoll_fallback(ep->id, fd, file_inode(tfile)->i_ino);
	return 0;

err_unlink:
	/* The caller's reference on @tfile and on the instance file hold. */
	iepoll_unlink_item(ep, epi, true, &removed);
	return err;
}

static int iepoll_modify(struct iepoll *ep, struct iepoll_item *epi,
			 const struct epoll_event *event)
{
	bool pwake = false;
	__poll_t revents;
	poll_table pt;

	lockdep_assert_held(&ep->mtx);

	/* As eventpoll: a wakeup source that cannot be made is no error. */
	if ((event->events & EPOLLWAKEUP) && !epi->ws)
		iepoll_create_wakeup_source(ep, epi);
	else if (!(event->events & EPOLLWAKEUP) && epi->ws)
		iepoll_destroy_wakeup_source(ep, epi);

	/*
	 * As eventpoll: no lock for the store (a callback reads the events
	 * under ep->lock, and sees the old or the new ones; the data is only
	 * read under ep->mtx), and a full barrier before the poll below, so
	 * that a wakeup that poll misses finds the new events.
	 */
	WRITE_ONCE(epi->event.events, event->events);
	epi->event.data = event->data;
	/* the new events before the poll: pairs with the callback's lock */
	smp_mb();

	/*
	 * Poll again: the target may already be ready for the new events,
	 * and a disarmed EPOLLONESHOT item must report what it missed.
	 */
	init_poll_funcptr(&pt, NULL);
	revents = iepoll_item_poll(epi, &pt, 1);

	spin_lock_irq(&ep->lock);
	if (revents && list_empty(&epi->rdllink))
		pwake = iepoll_queue_ready(ep, epi);
	ep->stats.modifies++;
	spin_unlock_irq(&ep->lock);
	if (pwake)
		iepoll_poll_safewake(ep, NULL, 0);

	trace_iepoll_modify(ep->id, epi->fd, file_inode(epi->file)->i_ino,
			    (__force u32)event->events, event->data, !!revents);
	return 0;
}

/*
 * The checks of epoll_ctl() that need no lock, in epoll's order: EPERM for
 * a target without ->poll, EINVAL for the instance itself, a real epoll
 * file, or flags that do not go together.  Drops EPOLLWAKEUP silently when
 * the caller may not use it.
 */
static int iepoll_ctl_prepare(struct iepoll *ep, int op, struct file *tfile,
			      struct iepoll *target, struct epoll_event *epds)
{
	if (!file_can_poll(tfile))
		return -EPERM;

	if (op != EPOLL_CTL_DEL) {
		bool may = (epds->events & EPOLLWAKEUP) &&
			   capable(CAP_BLOCK_SUSPEND);

		epds->events = iepoll_sanitize_events(epds->events, may);
	}

	if (tfile == ep->file || iepoll_file_is_epoll(tfile))
		return -EINVAL;

	return iepoll_ctl_check(op, epds->events, target);
}

/*
 * A fallback file gives its watches back through the sweep: at the watch
 * limit, run it now (with no iepoll lock held), so that a close followed
 * by an ADD does not fail with ENOSPC.
 */
static void iepoll_ctl_make_room(struct iepoll *ep)
{
	if (atomic_long_read(&ep->user->watches) >=
	    (long)READ_ONCE(iepoll_max_user_watches) && iepoll_nr_fallback())
		iepoll_sweep_now();
}

/**
 * iepoll_ctl_locked - EPOLL_CTL_ADD, MOD or DEL, with ep->mtx held
 * @ep:    the instance, its mutex held by the caller
 * @op:    the operation
 * @tfile: the target file, referenced by the caller for the call
 * @fd:    the descriptor @tfile was found under
 * @epds:  events and data (ignored for DEL); EPOLLWAKEUP may be dropped
 *
 * An ADD that may create a loop or new wakeup paths drops ep->mtx to take
 * iepoll_nest_mutex first, as eventpoll does, and holds ep->mtx again when
 * it returns.  IEPOLL_IOC_SUBMIT applies its changes through this with the
 * mutex taken once.
 *
 * Return: 0 or the errno epoll_ctl(2) would give.
 */
int iepoll_ctl_locked(struct iepoll *ep, int op, struct file *tfile, int fd,
		      struct epoll_event *epds)
{
	struct iepoll *target = iepoll_file_is_instance(tfile) ?
				tfile->private_data : NULL;
	struct iepoll_file *rec = NULL;
	bool full_check = false;
	struct iepoll_item *epi;
	int err;

	lockdep_assert_held(&ep->mtx);

	err = iepoll_ctl_prepare(ep, op, tfile, target, epds);
	if (err)
		return err;

	if (op == EPOLL_CTL_ADD) {
		rec = iepoll_file_get(tfile, target);
		if (IS_ERR(rec))
			return PTR_ERR(rec);
		/* may drop and retake ep->mtx: see nest.c */
		err = iepoll_nest_start(ep, target, &full_check);
		if (err)
			goto out;
	}

	epi = iepoll_find(ep, tfile, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (epi) {
			err = -EEXIST;
			break;
		}
		epds->events |= EPOLLERR | EPOLLHUP;
		err = iepoll_insert(ep, epds, tfile, fd, rec, full_check);
		break;
	case EPOLL_CTL_DEL:
		if (!epi) {
			err = -ENOENT;
			break;
		}
		/* The caller's reference on the instance file: never the last. */
		iepoll_remove(ep, epi, IEPOLL_RM_CTL, false);
		err = 0;
		break;
	case EPOLL_CTL_MOD:
		if (!epi) {
			err = -ENOENT;
			break;
		}
		if (epi->event.events & EPOLLEXCLUSIVE) {
			err = -EINVAL;
			break;
		}
		epds->events |= EPOLLERR | EPOLLHUP;
		err = iepoll_modify(ep, epi, epds);
		break;
	}

out:
	if (full_check)
		iepoll_nest_finish();
	/*
	 * After an ADD the item's own reference keeps the record; after a
	 * failed one this may be the last, which retires it under ep->mtx
	 * (files.c, LOCKING).
	 */
	if (rec)
		iepoll_file_put(rec);
	return err;
}

/* Before a batch of changes: what must run with no iepoll lock held. */
void iepoll_ctl_begin(struct iepoll *ep, bool adds)
{
	if (adds)
		iepoll_ctl_make_room(ep);
	mutex_lock(&ep->mtx);
}

void iepoll_ctl_end(struct iepoll *ep)
{
	mutex_unlock(&ep->mtx);
}

/**
 * iepoll_ctl - EPOLL_CTL_ADD, MOD or DEL on an instance
 * @ep:    the instance
 * @op:    the operation
 * @tfile: the target file, referenced by the caller for the call
 * @fd:    the descriptor @tfile was found under
 * @epds:  events and data (ignored for DEL); EPOLLWAKEUP may be dropped
 *
 * Return: 0 or the errno epoll_ctl(2) would give.
 */
int iepoll_ctl(struct iepoll *ep, int op, struct file *tfile, int fd,
	       struct epoll_event *epds)
{
	int err;

	iepoll_ctl_begin(ep, op == EPOLL_CTL_ADD);
	err = iepoll_ctl_locked(ep, op, tfile, fd, epds);
	iepoll_ctl_end(ep);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_ctl);

/* ------------------------------------------------------------------ */
/* Transfer to userspace and waiting                                   */

static int iepoll_send_events(struct iepoll *ep,
			      struct epoll_event __user *uevents,
			      int maxevents)
{
	int res = 0, requeued = 0, unlinked = 0, carried;
	struct iepoll_item *epi, *tmp;
	bool closed = false;
	LIST_HEAD(txlist);
	poll_table pt;

	if (fatal_signal_pending(current))
		return -EINTR;

	init_poll_funcptr(&pt, NULL);

	mutex_lock(&ep->mtx);
	iepoll_start_scan(ep, &txlist);

	list_for_each_entry_safe(epi, tmp, &txlist, rdllink) {
		struct epoll_event __user *next;
		__poll_t revents;

		if (res >= maxevents)
			break;

		/* Keep the system awake while the event is on its way. */
		if (epi->ws) {
			if (epi->ws->active)
				__pm_stay_awake(ep->ws);
			__pm_relax(epi->ws);
		}

		list_del_init(&epi->rdllink);
		unlinked++;

		if (iepoll_item_closed(epi)) {
			closed = true;
			continue;
		}

		revents = iepoll_item_poll(epi, &pt, 1);
		if (!revents) {
			/* Dropped unreported: its readiness ended here. */
			epi->ready_ns = 0;
			continue;
		}

		next = epoll_put_uevent(revents, epi->event.data, uevents);
		if (!next) {
			/* Not lost: it stays ready for the next wait. */
			list_add(&epi->rdllink, &txlist);
			unlinked--;
			__pm_stay_awake(epi->ws);
			if (!res)
				res = -EFAULT;
			break;
		}
		uevents = next;
		res++;

		if (trace_iepoll_deliver_enabled()) {
			u64 now = ktime_get_ns();

			trace_iepoll_deliver(ep->id, epi->fd,
					     (__force u32)revents,
					     epi->event.data,
					     epi->ready_ns ?
					     now - epi->ready_ns : 0);
		}
		epi->ready_ns = 0;

		switch (iepoll_after_delivery(epi->event.events)) {
		case IEPOLL_AFTER_DISARM:
			spin_lock_irq(&ep->lock);
			epi->event.events &= IEPOLL_PRIVATE_BITS;
			spin_unlock_irq(&ep->lock);
			break;
		case IEPOLL_AFTER_REQUEUE:
			/*
			 * ep->rdllist is ours until iepoll_done_scan():
			 * callbacks use the overflow list meanwhile.
			 */
			list_add_tail(&epi->rdllink, &ep->rdllist);
			if (epi->ws)
				__pm_stay_awake(epi->ws);
			iepoll_stamp(epi);
			requeued++;
			break;
		case IEPOLL_AFTER_DROP:
			break;
		}
	}
	carried = iepoll_done_scan(ep, &txlist, unlinked, requeued, res);
	mutex_unlock(&ep->mtx);

	trace_iepoll_send_events(ep->id, maxevents, res, requeued, carried);
	if (closed)
		iepoll_sweep_kick();
	return res;
}

/*
 * As eventpoll's ep_autoremove_wake_function(): leave ep->wq on every
 * wakeup, even one that finds the task already running (its timeout fired,
 * or a signal woke it).  autoremove_wake_function() would leave such an
 * entry queued, so the waiter, seeing itself still queued after a timeout,
 * would return 0 although this wakeup chose it - and an EPOLLEXCLUSIVE
 * callback, which stops at the first instance with a waiter queued, would
 * then have woken nobody.
 */
static int iepoll_autoremove_wake(struct wait_queue_entry *wq_entry,
				  unsigned int mode, int sync, void *key)
{
	int ret = default_wake_function(wq_entry, mode, sync, key);

	/* pairs with list_empty_careful() in iepoll_do_wait() */
	list_del_init_careful(&wq_entry->entry);
	return ret;
}

static int iepoll_do_wait(struct iepoll *ep, struct epoll_event __user *events,
			  int maxevents, s64 timeout_ns, bool *slept)
{
	ktime_t expires, *to = NULL;
	bool timed_out = false;
	wait_queue_entry_t wait;
	u64 slack = 0;
	bool eavail;
	int res;

	if (timeout_ns > 0) {
		expires = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
		to = &expires;
		slack = current->timer_slack_ns;
	} else if (timeout_ns == 0) {
		timed_out = true;
	}

	eavail = iepoll_events_available(ep);
	for (;;) {
		if (eavail) {
			res = iepoll_send_events(ep, events, maxevents);
			if (res)
				return res;
		}
		if (timed_out)
			return 0;
		if (signal_pending(current))
			return -EINTR;

		/*
		 * Test and queue under ep->lock: a callback queues and wakes
		 * under it too, so no wakeup can fall between the two.
		 */
		init_wait(&wait);
		wait.func = iepoll_autoremove_wake;
		spin_lock_irq(&ep->lock);
		__set_current_state(TASK_INTERRUPTIBLE);
		eavail = iepoll_events_available(ep);
		if (!eavail)
			__add_wait_queue_exclusive(&ep->wq, &wait);
		spin_unlock_irq(&ep->lock);

		if (!eavail) {
			*slept = true;
			timed_out = !schedule_hrtimeout_range(to, slack,
							      HRTIMER_MODE_ABS);
		}
		__set_current_state(TASK_RUNNING);

		/*
		 * Woken or not, look again; but a timeout with our entry still
		 * queued means nobody woke us: there is nothing to report.
		 */
		eavail = true;
		if (!list_empty_careful(&wait.entry)) {
			spin_lock_irq(&ep->lock);
			if (timed_out)
				eavail = list_empty(&wait.entry);
			__remove_wait_queue(&ep->wq, &wait);
			spin_unlock_irq(&ep->lock);
		}
	}
}

/**
 * iepoll_wait - epoll_pwait2() on an instance, without the signal mask
 * @ep:         the instance
 * @events:     the user's array
 * @maxevents:  its length
 * @timeout_ns: < 0 no limit, 0 no sleep, else the limit
 *
 * Return: events delivered, 0 on timeout, or a negative errno.
 */
int iepoll_wait(struct iepoll *ep, struct epoll_event __user *events,
		int maxevents, s64 timeout_ns)
{
	bool slept = false;
	int res;

	if (maxevents <= 0 || maxevents > (int)IEPOLL_MAX_EVENTS)
		return -EINVAL;
	if (!access_ok(events, maxevents * sizeof(struct epoll_event)))
		return -EFAULT;

	trace_iepoll_wait_enter(ep->id, maxevents, timeout_ns);

	res = iepoll_do_wait(ep, events, maxevents, timeout_ns, &slept);

	spin_lock_irq(&ep->lock);
	ep->stats.waits++;
	if (res == 0)
		ep->stats.timeouts++;
	else if (res == -EINTR)
		ep->stats.eintr++;
	spin_unlock_irq(&ep->lock);
	trace_iepoll_wait_exit(ep->id, res, slept);
	return res;
}

/* ------------------------------------------------------------------ */
/* Instances                                                           */

struct iepoll *iepoll_create(void)
{
	struct iepoll *ep;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return ERR_PTR(-ENOMEM);

	ep->user = iepoll_user_get(current_uid());
	if (!ep->user) {
		kfree(ep);
		return ERR_PTR(-ENOMEM);
	}

	mutex_init(&ep->mtx);
	spin_lock_init(&ep->lock);
	init_waitqueue_head(&ep->wq);
	init_waitqueue_head(&ep->poll_wait);
	INIT_LIST_HEAD(&ep->rdllist);
	ep->rbr = RB_ROOT_CACHED;
	ep->ovflist = IEPOLL_UNACTIVE_PTR;
	refcount_set(&ep->refs, 1);
	/* below IEPOLL_NATIVE_ID_BIT: native instances' ids have it */
	ep->id = (u32)atomic_inc_return(&iepoll_next_id) & ~IEPOLL_NATIVE_ID_BIT;

	spin_lock(&iepoll_instances_lock);
	list_add_tail(&ep->node, &iepoll_instances);
	iepoll_ninstances++;
	spin_unlock(&iepoll_instances_lock);
	return ep;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_create);

void iepoll_attach_file(struct iepoll *ep, struct file *file)
{
	ep->file = file;
	file->private_data = ep;
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_attach_file);

/* The last reference is gone: no item, no file, no task uses @ep. */
static void iepoll_destroy(struct iepoll *ep)
{
	spin_lock(&iepoll_instances_lock);
	spin_lock_irq(&ep->lock);
	iepoll_counters_add(&iepoll_retired, &ep->stats);
	spin_unlock_irq(&ep->lock);
	list_del(&ep->node);
	iepoll_ninstances--;
	spin_unlock(&iepoll_instances_lock);

	wakeup_source_unregister(ep->ws);
	iepoll_user_put(ep->user);
	mutex_destroy(&ep->mtx);
	/* nest.c may still be looking at it from a file's items, under RCU */
	kfree_rcu(ep, rcu);
}

/*
 * Release of the instance file.  Its close already removed the items of
 * other instances that watched it (files.c).  Items whose own file is
 * being closed right now are left to that close, which keeps the instance
 * alive until it is done.
 */
void iepoll_free(struct iepoll *ep)
{
	struct rb_node *rbp, *next;

	mutex_lock(&ep->mtx);
	for (rbp = rb_first_cached(&ep->rbr); rbp; rbp = next) {
		next = rb_next(rbp);
		/* never the last reference: the file's is still ours */
		iepoll_remove(ep, rb_entry(rbp, struct iepoll_item, rbn),
			      IEPOLL_RM_RELEASE, false);
		cond_resched();
	}
	/* a key for nest.c's lookups only, and soon a stale one */
	WRITE_ONCE(ep->file, NULL);
	mutex_unlock(&ep->mtx);

	iepoll_put(ep);
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_free);

/* IEPOLL_IOC_STATS_V2: the counters, as one snapshot, and the creator. */
void iepoll_get_stats_v2(struct iepoll *ep, struct iepoll_stats_v2 *st)
{
	memset(st, 0, sizeof(*st));
	spin_lock_irq(&ep->lock);
	iepoll_counters_to_uapi(&ep->stats, st);
	spin_unlock_irq(&ep->lock);
	st->stats.id = ep->id;
	st->pid = ep->pid;
	memcpy(st->comm, ep->comm, sizeof(st->comm));
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_get_stats_v2);

/* Module-wide totals: closed instances plus the live ones. */
void iepoll_get_totals(struct iepoll_counters *sum, unsigned long *instances)
{
	struct iepoll *ep;

	spin_lock(&iepoll_instances_lock);
	*sum = iepoll_retired;
	list_for_each_entry(ep, &iepoll_instances, node) {
		spin_lock_irq(&ep->lock);
		iepoll_counters_add(sum, &ep->stats);
		spin_unlock_irq(&ep->lock);
	}
	*instances = iepoll_ninstances;
	spin_unlock(&iepoll_instances_lock);
}
EXPORT_SYMBOL_IF_KUNIT(iepoll_get_totals);

/* debugfs iepoll/stats: the totals, one "name value" a line. */
void iepoll_show_totals(struct seq_file *m)
{
	struct iepoll_counters sum;
	unsigned long instances;

	iepoll_get_totals(&sum, &instances);
	seq_printf(m, "instances %lu", instances);
	iepoll_counters_show(m, &sum, "\n", "\n");
	seq_putc(m, '\n');
}

/* One IEPOLL_IOC_SUBMIT applied @changes changes. */
void iepoll_note_submit(struct iepoll *ep, unsigned int changes)
{
	spin_lock_irq(&ep->lock);
	ep->stats.submits++;
	ep->stats.changes += changes;
	spin_unlock_irq(&ep->lock);
}

/* fdinfo: epoll's item lines, then iepoll's own. */
void iepoll_show_items(struct seq_file *m, struct iepoll *ep)
{
	struct iepoll_counters c;
	struct rb_node *rbp;

	mutex_lock(&ep->mtx);
	for (rbp = rb_first_cached(&ep->rbr); rbp; rbp = rb_next(rbp)) {
		struct iepoll_item *epi = rb_entry(rbp, struct iepoll_item, rbn);
		struct inode *inode = file_inode(epi->file);

		seq_printf(m, "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x\n",
			   epi->fd, (__force u32)epi->event.events,
			   (long long)epi->event.data,
			   (long long)epi->file->f_pos,
			   inode->i_ino, inode->i_sb->s_dev);
		if (seq_has_overflowed(m))
			break;
	}
	mutex_unlock(&ep->mtx);

	spin_lock_irq(&ep->lock);
	c = ep->stats;
	spin_unlock_irq(&ep->lock);
	seq_printf(m, "iepoll-id:\t%u\n", ep->id);
	seq_puts(m, "iepoll-stats:");
	iepoll_counters_show(m, &c, "\t", " ");
	seq_putc(m, '\n');
}

/* ------------------------------------------------------------------ */

/* The numbers iepoll_trace.h prints events with. */
static void __init iepoll_check_trace_flags(void)
{
	BUILD_BUG_ON((__force u32)EPOLLIN != 0x00000001);
	BUILD_BUG_ON((__force u32)EPOLLPRI != 0x00000002);
	BUILD_BUG_ON((__force u32)EPOLLOUT != 0x00000004);
	BUILD_BUG_ON((__force u32)EPOLLERR != 0x00000008);
	BUILD_BUG_ON((__force u32)EPOLLHUP != 0x00000010);
	BUILD_BUG_ON((__force u32)EPOLLNVAL != 0x00000020);
	BUILD_BUG_ON((__force u32)EPOLLRDNORM != 0x00000040);
	BUILD_BUG_ON((__force u32)EPOLLRDBAND != 0x00000080);
	BUILD_BUG_ON((__force u32)EPOLLWRNORM != 0x00000100);
	BUILD_BUG_ON((__force u32)EPOLLWRBAND != 0x00000200);
	BUILD_BUG_ON((__force u32)EPOLLMSG != 0x00000400);
	BUILD_BUG_ON((__force u32)EPOLLRDHUP != 0x00002000);
	BUILD_BUG_ON((__force u32)POLLFREE != 0x00004000);
	BUILD_BUG_ON((__force u32)EPOLL_URING_WAKE != 0x08000000);
	BUILD_BUG_ON((__force u32)EPOLLEXCLUSIVE != 0x10000000);
	BUILD_BUG_ON((__force u32)EPOLLWAKEUP != 0x20000000);
	BUILD_BUG_ON((__force u32)EPOLLONESHOT != 0x40000000);
	BUILD_BUG_ON((__force u32)EPOLLET != 0x80000000);
}

int __init iepoll_core_init(void)
{
	size_t per_watch;
	struct sysinfo si;
	int err;

	iepoll_check_trace_flags();

	iepoll_item_cache = kmem_cache_create("iepoll_item",
					      sizeof(struct iepoll_item), 0,
					      SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT,
					      NULL);
	if (!iepoll_item_cache)
		return -ENOMEM;

	iepoll_pwq_cache = kmem_cache_create("iepoll_pwq",
					     sizeof(struct iepoll_pwq), 0,
					     SLAB_ACCOUNT, NULL);
	if (!iepoll_pwq_cache) {
		err = -ENOMEM;
		goto err_item;
	}

	err = iepoll_files_init();
	if (err)
		goto err_pwq;

	if (!iepoll_max_user_watches) {
		/*
		 * As epoll: 4% of low memory, in watches.  A watch costs an
		 * item (cache aligned), one hook, and the record of its file
		 * (one per file, so at most one per watch).
		 */
		per_watch = kmem_cache_size(iepoll_item_cache) +
			    kmem_cache_size(iepoll_pwq_cache) +
			    iepoll_file_record_size();
		si_meminfo(&si);
		iepoll_max_user_watches = (((si.totalram - si.totalhigh) / 25)
					   << PAGE_SHIFT) / per_watch;
	}
	return 0;

err_pwq:
	kmem_cache_destroy(iepoll_pwq_cache);
err_item:
	kmem_cache_destroy(iepoll_item_cache);
	return err;
}

void iepoll_core_exit(void)
{
	iepoll_files_exit();
	/* items and their hooks freed after a grace period */
	rcu_barrier();
	kmem_cache_destroy(iepoll_pwq_cache);
	kmem_cache_destroy(iepoll_item_cache);
}
