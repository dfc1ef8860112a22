/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iepoll's objects, shared by every file of module/: the instance (struct
 * iepoll, eventpoll's struct eventpoll), the item (struct iepoll_item,
 * epitem), the record of a watched file (struct iepoll_file, files.c) and a
 * user's watch accounting.  Only their layout lives here; the rules that
 * govern each field are at the top of the file that owns it (core.c for
 * instances and items, files.c for records, nest.c for the nesting fields),
 * and the functions in core.h.
 */
#ifndef _IEPOLL_TYPES_H
#define _IEPOLL_TYPES_H

#include <linux/eventpoll.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include <uapi/linux/iepoll.h>

#include "stats.h"

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
	struct iepoll_counters stats;
	pid_t pid;
	char comm[IEPOLL_COMM_LEN];
	bool native_hold;		/* holds the native probes: native.c */
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

/* The file operations of an instance's file (main.c). */
extern const struct file_operations iepoll_fops;

/* Whether @file is an iepoll instance's. */
static inline bool iepoll_file_is_instance(const struct file *file)
{
	return file->f_op == &iepoll_fops;
}

#endif /* _IEPOLL_TYPES_H */
