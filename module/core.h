/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iepoll internal API: what the chardev glue (main.c) and the KUnit suites
 * (kunit/) may use of the multiplexer core (core.c).  The locking rules are
 * written at the top of core.c.
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
	IEPOLL_RM_REAP,		/* every descriptor of the file was closed */
	IEPOLL_RM_RELEASE,	/* the instance was closed */
	IEPOLL_RM_POLLFREE,	/* the wait queue went away (POLLFREE) */
};

/* What a wakeup callback did with its item (iepoll_callback trace event). */
enum iepoll_cb_outcome {
	IEPOLL_CB_READY,	/* queued on the ready list */
	IEPOLL_CB_OVERFLOW,	/* queued on the overflow list */
	IEPOLL_CB_ALREADY,	/* already queued */
	IEPOLL_CB_IGNORED,	/* the key has none of the item's events */
	IEPOLL_CB_DISARMED,	/* EPOLLONESHOT item waiting for a MOD */
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
 * struct iepoll_fwatch - one watched file, shared by every item on it
 * @node:  link in the file hash, under iepoll_fwatch_lock
 * @dead:  link in the reaper's list once no descriptor of @file is left
 * @file:  the watched file; the fwatch holds the one reference iepoll has
 * @items: the items watching @file, in any instance (iepoll_item.fwlink)
 *
 * The module cannot hook the last close of a file as epoll does, so it
 * keeps a reference.  When file_count() drops to that one reference, every
 * descriptor of the file is gone: the items are no longer reported and the
 * reaper removes them.
 */
struct iepoll_fwatch {
	struct hlist_node node;
	struct list_head dead;
	struct file *file;
	struct list_head items;
};

/**
 * struct iepoll - one multiplexer instance (eventpoll's struct eventpoll)
 * @mtx:       serialises ctl, event transfer and release; see core.c
 * @lock:      protects @rdllist, @ovflist, @nready and the callback stats
 * @wq:        tasks sleeping in IEPOLL_IOC_WAIT (exclusive waiters)
 * @poll_wait: waiters of poll/select/epoll on the instance file
 * @rdllist:   items with events ready
 * @ovflist:   items made ready while @rdllist is being transferred, or
 *             IEPOLL_UNACTIVE_PTR when no transfer is under way
 * @rbr:       all items, keyed by (file, fd)
 * @children:  items whose target is another instance (under iepoll_mutex)
 * @parents:   items of other instances that watch this one (iepoll_mutex)
 * @node:      link in the list of live instances (under iepoll_mutex)
 * @file:      the instance's own file
 * @user:      the watch accounting this instance is charged to
 * @ws:        wakeup source held while EPOLLWAKEUP events are in transfer
 * @id:        stable instance id, first field of every trace event
 * @nests:     wakeup nesting level while @poll_wait.lock is held
 * @gen:       loop-check generation this instance was last visited in
 * @loop_depth: result of that visit
 * @nready:    length of @rdllist
 * @stats:     counters reported by IEPOLL_IOC_STATS (see iepoll_get_stats)
 * @pid:       tgid of the process that created the instance (main.c)
 * @comm:      its comm at creation (main.c)
 */
struct iepoll {
	struct mutex mtx;		/* locking rules: top of core.c */
	spinlock_t lock;		/* locking rules: top of core.c */
	wait_queue_head_t wq;
	wait_queue_head_t poll_wait;
	struct list_head rdllist;
	struct iepoll_item *ovflist;
	struct rb_root_cached rbr;
	struct list_head children;
	struct list_head parents;
	struct list_head node;
	struct file *file;
	struct iepoll_user *user;
	struct wakeup_source *ws;
	u32 id;
	u8 nests;
	u64 gen;
	int loop_depth;
	unsigned int nready;
	struct {
		u64 inserts;
		u64 modifies;
		u64 removes;
		u64 callbacks;
		u64 wakeups;
		u64 delivered;
		u64 overflows;
		atomic64_t waits;
		atomic64_t timeouts;
		atomic64_t eintr;
		u64 max_ready;
		u64 items;
	} stats;
	pid_t pid;
	char comm[IEPOLL_COMM_LEN];
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
 * @fw:          the shared record that holds the file reference
 * @fwlink:      link in fw->items
 * @nestlink:    link in ep->children when the target is an instance
 * @parentlink:  link in the target instance's parents list
 * @pwqlist:     the wait queues the item is hooked on
 * @nwait:       number of hooks, -1 if one could not be allocated
 * @ws:          wakeup source for EPOLLWAKEUP items
 * @event:       events and user data, as set by ADD/MOD
 * @ready_ns:    when the item became ready, for the deliver latency
 */
struct iepoll_item {
	struct rb_node rbn;
	struct list_head rdllink;
	struct iepoll_item *next;
	struct file *file;
	int fd;
	struct iepoll *ep;
	struct iepoll_fwatch *fw;
	struct list_head fwlink;
	struct list_head nestlink;
	struct list_head parentlink;
	struct iepoll_pwq *pwqlist;
	int nwait;
	struct wakeup_source *ws;
	struct epoll_event event;
	u64 ready_ns;
};

/* Module-wide state (core.c). */
extern unsigned long iepoll_max_user_watches;
extern unsigned int iepoll_reap_interval_ms;
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
void iepoll_show_items(struct seq_file *m, struct iepoll *ep);
void iepoll_get_totals(struct iepoll_stats *st, unsigned long *instances);

bool iepoll_file_is_instance(const struct file *file);
bool iepoll_file_is_epoll(const struct file *file);

#if IS_ENABLED(CONFIG_KUNIT)
/* Pure decisions and internals the KUnit suites drive directly. */
int iepoll_ctl_check(int op, __poll_t events, bool target_is_instance);
enum iepoll_cb_outcome iepoll_cb_decide(__poll_t item_events, __poll_t key,
					bool transferring, bool queued);
bool iepoll_cb_exclusive_wake(__poll_t item_events, __poll_t key);
enum iepoll_after_delivery iepoll_after_delivery(__poll_t item_events);
__poll_t iepoll_sanitize_events(__poll_t events, bool may_block_suspend);
struct iepoll_item *iepoll_find(struct iepoll *ep, struct file *file, int fd);
int iepoll_loop_check(struct iepoll *ep, struct iepoll *to);
bool iepoll_item_closed(const struct iepoll_item *epi);
void iepoll_reap_now(void);
long iepoll_user_watches(struct iepoll *ep);
#endif

#endif /* _IEPOLL_CORE_H */
