/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iepoll internal API, shared by the multiplexer core (core.c), the
 * tracking of watched files (files.c), the nesting rules (nest.c), the
 * chardev glue (main.c) and the KUnit suites (kunit/).  Each of those files
 * opens with the rules it keeps; the lock order is at the top of core.c.
 */
#ifndef _IEPOLL_CORE_H
#define _IEPOLL_CORE_H

#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/eventpoll.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/rhashtable-types.h>
#include <linux/signal.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <kunit/visibility.h>

#include <uapi/linux/iepoll.h>

/* Nesting limit of instances inside instances, as EP_MAX_NESTS. */
#define IEPOLL_MAX_NESTS	4

/* Largest maxevents accepted by a wait, as EP_MAX_EVENTS. */
#define IEPOLL_MAX_EVENTS	(INT_MAX / sizeof(struct epoll_event))

/* Flags that are not events: never reported, kept across ONESHOT. */
#define IEPOLL_PRIVATE_BITS	(EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | \
				 EPOLLEXCLUSIVE)

#define IEPOLL_INOUT_BITS	(EPOLLIN | EPOLLOUT)

/* The only flags EPOLLEXCLUSIVE may be combined with. */
#define IEPOLL_EXCLUSIVE_OK_BITS (IEPOLL_INOUT_BITS | EPOLLERR | EPOLLHUP | \
				  EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

/* Why an item left its instance (iepoll_remove trace event). */
enum iepoll_remove_reason {
	IEPOLL_RM_CTL,		/* EPOLL_CTL_DEL */
	IEPOLL_RM_CLOSE,	/* the last close of the file (fsnotify) */
	IEPOLL_RM_RELEASE,	/* the instance was closed */
	IEPOLL_RM_SWEEP,	/* fallback file found closed by the sweep */
};

/* What a wakeup callback did with its item (iepoll_callback trace event). */
enum iepoll_cb_outcome {
	IEPOLL_CB_READY,	/* queued on the ready list */
	IEPOLL_CB_OVERFLOW,	/* queued on the overflow list */
	IEPOLL_CB_ALREADY,	/* already queued */
	IEPOLL_CB_IGNORED,	/* the key has none of the item's events */
	IEPOLL_CB_DISARMED,	/* EPOLLONESHOT item waiting for a MOD */
};

/* How iepoll learns that a watched file was closed (iepoll_insert). */
enum iepoll_close_hook {
	IEPOLL_HOOK_FSNOTIFY,	/* an fsnotify mark: at the last close */
	IEPOLL_HOOK_SWEEP,	/* no close event: a reference and the sweep */
};

/* What becomes of an item once its event was copied to userspace. */
enum iepoll_after_delivery {
	IEPOLL_AFTER_REQUEUE,	/* level-triggered: back on the ready list */
	IEPOLL_AFTER_DROP,	/* edge-triggered: wait for the next callback */
	IEPOLL_AFTER_DISARM,	/* EPOLLONESHOT: silent until EPOLL_CTL_MOD */
};

/* Marks an item that is not on the overflow list (epitem's EP_UNACTIVE_PTR). */
#define IEPOLL_UNACTIVE_PTR	((void *)-1L)

struct iepoll_item;
struct iepoll_imark;
struct wakeup_source;

/**
 * struct iepoll_user - watch accounting of one user (max_user_watches)
 * @node:    link in the user hash, under iepoll_users_lock
 * @uid:     the real uid of the processes that opened the instances
 * @refs:    instances charged to this user
 * @watches: items those instances watch now
 */
struct iepoll_user {
	struct hlist_node node;
	kuid_t uid;
	refcount_t refs;
	atomic_long_t watches;
};

/**
 * struct iepoll_file - what iepoll knows of one watched file (files.c)
 * @node:     link in the table of watched files, keyed by @file
 * @file:     the file; a key only, dereferenced only while a caller holds
 *            a reference or an item of it exists (see files.c)
 * @inst:     the instance, when @file is an instance's file: nest.c
 *            checks it, so that a key that came to name another file
 *            never passes for this instance's
 * @lock:     protects @items and each item's ->dying
 * @items:    the items watching @file, in every instance (RCU list)
 * @refs:     items, ADDs between iepoll_file_get() and their end, the
 *            nesting check's list, and the close handler, sweep or exit
 *            while they work on it (files.c, LIFETIMES)
 * @flags:    IEPOLL_FILE_* bits
 * @imark:    the fsnotify mark use on the file's inode, NULL for a fallback
 *            file; once retired, only whether it is NULL means anything
 * @fallback: link in the sweep's list (fallback files only)
 * @check:    next in the reverse path check's list (nest.c), under
 *            iepoll_nest_mutex; NULL when not on it
 * @rcu:      frees the record after a grace period
 *
 * A record is findable by @file only while its key names that file: it is
 * retired (unhashed) at the first of its file's close and its last
 * reference.  A fallback file's record holds a reference on the file.
 */
struct iepoll_file {
	struct rhash_head node;
	struct file *file;
	struct iepoll *inst;
	spinlock_t lock;		/* @items, items' dying */
	struct hlist_head items;
	refcount_t refs;
	unsigned long flags;
	struct iepoll_imark *imark;
	struct list_head fallback;
	struct iepoll_file *check;
	struct rcu_head rcu;
};

#define IEPOLL_FILE_CLOSED	0	/* its close was handled (or swept) */
#define IEPOLL_FILE_RETIRED	1	/* unhashed, its mark or file given back */

/**
 * struct iepoll - one multiplexer instance (eventpoll's struct eventpoll)
 * @mtx:       serialises ctl, event transfer and release; see core.c
 * @lock:      protects @rdllist, @ovflist, @nready and @stats
 * @wq:        tasks sleeping in IEPOLL_IOC_WAIT (exclusive waiters)
 * @poll_wait: waiters of poll/select/epoll on the instance file
 * @rdllist:   items with events ready
 * @ovflist:   items made ready while @rdllist is being transferred, or
 *             IEPOLL_UNACTIVE_PTR when no transfer is under way
 * @rbr:       all items, keyed by (file, fd)
 * @node:      link in the list of live instances (iepoll_instances_lock)
 * @file:      the instance's own file
 * @user:      the watch accounting this instance is charged to
 * @ws:        wakeup source held while EPOLLWAKEUP events are in transfer
 * @refs:      the instance file, plus one per item (see core.c, LIFETIMES)
 * @id:        stable instance id, first field of every trace event
 * @nests:     wakeup nesting level while @poll_wait.lock is held
 * @gen:       loop-check generation this instance was last visited in,
 *             going down from the new link's target (nest.c)
 * @loop_depth: result of that visit
 * @up_gen:    the same, going up from the instance an item is added to
 * @up_depth:  result of that visit
 * @nready:    items whose rdllink is linked: on @rdllist, or on the
 *             private list of a transfer under way
 * @stats:     counters reported by IEPOLL_IOC_STATS, all under @lock
 * @pid:       tgid of the process that created the instance (main.c)
 * @comm:      its comm at creation (main.c)
 * @rcu:       frees the instance after a grace period (nest.c walks
 *             instances under RCU)
 */
struct iepoll {
	struct mutex mtx;		/* locking rules: top of core.c */
	spinlock_t lock;		/* locking rules: top of core.c */
	wait_queue_head_t wq;
	wait_queue_head_t poll_wait;
	struct list_head rdllist;
	struct iepoll_item *ovflist;
	struct rb_root_cached rbr;
	struct list_head node;
	struct file *file;
	struct iepoll_user *user;
	struct wakeup_source *ws;
	refcount_t refs;
	u32 id;
	u8 nests;
	u64 gen;
	int loop_depth;
	u64 up_gen;
	int up_depth;
	unsigned int nready;
	struct {
		u64 inserts;
		u64 modifies;
		u64 removes;
		u64 callbacks;
		u64 wakeups;
		u64 delivered;
		u64 overflows;
		u64 waits;
		u64 timeouts;
		u64 eintr;
		u64 max_ready;
		u64 items;
		u64 closes;
		u64 fallback;
		u64 submits;
		u64 changes;
	} stats;
	pid_t pid;
	char comm[IEPOLL_COMM_LEN];
	struct rcu_head rcu;
};

/**
 * struct iepoll_pwq - one wait queue an item is hooked on (eppoll_entry)
 * @next:  next hook of the same item
 * @wait:  the entry on the target's wait queue
 * @whead: that wait queue, or NULL once POLLFREE detached it
 * @item:  the owner
 */
struct iepoll_pwq {
	struct iepoll_pwq *next;
	wait_queue_entry_t wait;
	wait_queue_head_t *whead;
	struct iepoll_item *item;
};

/**
 * struct iepoll_item - one watched (file, fd) of an instance (epitem)
 * @rbn:         link in iepoll.rbr
 * @rdllink:     link in iepoll.rdllist, empty when not ready
 * @next:        link in iepoll.ovflist, IEPOLL_UNACTIVE_PTR when off it
 * @file:        the target file
 * @fd:          the descriptor it was added with (part of the key)
 * @ep:          the instance
 * @rec:         the record of @file (files.c)
 * @fllink:      link in rec->items, under rec->lock
 * @dying:       the file's close is removing this item (under rec->lock)
 * @pwqlist:     the wait queues the item is hooked on
 * @nwait:       number of hooks, -1 if one could not be allocated
 * @ws:          wakeup source for EPOLLWAKEUP items
 * @event:       events and user data, as set by ADD/MOD
 * @ready_ns:    when the item became ready, for the deliver latency
 * @rcu:         frees the item after a grace period (nest.c walks
 *               rec->items under RCU)
 */
struct iepoll_item {
	struct rb_node rbn;
	struct list_head rdllink;
	struct iepoll_item *next;
	struct file *file;
	int fd;
	struct iepoll *ep;
	struct iepoll_file *rec;
	struct hlist_node fllink;
	bool dying;
	struct iepoll_pwq *pwqlist;
	int nwait;
	struct wakeup_source *ws;
	struct epoll_event event;
	u64 ready_ns;
	struct rcu_head rcu;
};

/* Module-wide state (core.c). */
extern unsigned long iepoll_max_user_watches;
extern unsigned int iepoll_sweep_interval_ms;
extern const struct file_operations iepoll_fops;

int iepoll_core_init(void);
void iepoll_core_exit(void);

/* Instance life cycle: called from the chardev open and release. */
struct iepoll *iepoll_create(void);
void iepoll_attach_file(struct iepoll *ep, struct file *file);
void iepoll_free(struct iepoll *ep);

/* The operations behind the ioctls. */
int iepoll_ctl(struct iepoll *ep, int op, struct file *tfile, int fd,
	       struct epoll_event *epds);
int iepoll_wait(struct iepoll *ep, struct epoll_event __user *events,
		int maxevents, s64 timeout_ns);
__poll_t iepoll_poll(struct iepoll *ep, struct file *file, poll_table *wait);
void iepoll_get_stats(struct iepoll *ep, struct iepoll_stats *st);
void iepoll_get_stats_v2(struct iepoll *ep, struct iepoll_stats_v2 *st);
int iepoll_ctl_locked(struct iepoll *ep, int op, struct file *tfile, int fd,
		      struct epoll_event *epds);
void iepoll_ctl_begin(struct iepoll *ep, bool adds);
void iepoll_ctl_end(struct iepoll *ep);
void iepoll_note_submit(struct iepoll *ep, unsigned int changes);

/* The ioctls' argument handling (main.c, submit.c). */
int iepoll_wait_prepare(const struct iepoll_wait *w, sigset_t *ksigmask);
int iepoll_wait_masked(struct iepoll *ep, const struct iepoll_wait *w,
		       sigset_t *ksigmask);
long iepoll_ioctl_ctl(struct iepoll *ep, struct iepoll_ctl __user *uarg);
long iepoll_ioctl_submit(struct iepoll *ep, struct iepoll_submit __user *uarg);
void iepoll_show_items(struct seq_file *m, struct iepoll *ep);
void iepoll_get_totals(struct iepoll_stats *st, unsigned long *instances);

bool iepoll_file_is_instance(const struct file *file);
bool iepoll_file_is_epoll(const struct file *file);

/* core.c, for files.c: a watched file is gone, remove its items. */
void iepoll_remove_file_items(struct iepoll_file *rec,
			      enum iepoll_remove_reason reason);

/* Watched files (files.c). */
int iepoll_files_init(void);
void iepoll_files_exit(void);
size_t iepoll_file_record_size(void);
struct iepoll_file *iepoll_file_get(struct file *file);
void iepoll_file_put(struct iepoll_file *rec);
void iepoll_file_link(struct iepoll_file *rec, struct iepoll_item *epi);
bool iepoll_file_unlink(struct iepoll_item *epi, bool force);
struct iepoll_file *iepoll_file_lookup_rcu(const struct file *file);
bool iepoll_item_closed(const struct iepoll_item *epi);
void iepoll_sweep_now(void);
void iepoll_sweep_kick(void);
unsigned long iepoll_nr_fallback(void);

/* Nesting: loops, depth and wakeup paths (nest.c). */
extern struct mutex iepoll_nest_mutex;
bool iepoll_nest_needs_check(struct iepoll *ep, struct file *tfile);
void iepoll_nest_begin(void);
void iepoll_nest_end(void);
int iepoll_loop_check(struct iepoll *ep, struct iepoll *to);
void iepoll_nest_list_file(struct iepoll_file *rec);
int iepoll_reverse_path_check(void);

#if IS_ENABLED(CONFIG_KUNIT)
/* Pure decisions and internals the KUnit suites drive directly. */
int iepoll_ctl_check(int op, __poll_t events, bool target_is_instance);
enum iepoll_cb_outcome iepoll_cb_decide(__poll_t item_events, __poll_t key,
					bool transferring, bool queued);
bool iepoll_cb_exclusive_wake(__poll_t item_events, __poll_t key);
enum iepoll_after_delivery iepoll_after_delivery(__poll_t item_events);
__poll_t iepoll_sanitize_events(__poll_t events, bool may_block_suspend);
struct iepoll_item *iepoll_find(struct iepoll *ep, struct file *file, int fd);
long iepoll_user_watches(struct iepoll *ep);
int iepoll_path_count_inc(int *counts, int depth);
struct iepoll_file *iepoll_file_for_close(const void *data, int data_type);
#endif

#endif /* _IEPOLL_CORE_H */
