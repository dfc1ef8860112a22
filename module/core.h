/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iepoll internal API, shared by the multiplexer core (core.c), the
 * tracking of watched files (files.c), the nesting rules (nest.c), the
 * ioctls (ioctl.c), the chardev glue (main.c) and the KUnit suites
 * (kunit/).  The objects they share are in types.h.  Each of those files
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

#include "types.h"

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

/* Module-wide state (core.c). */
extern unsigned long iepoll_max_user_watches;
extern unsigned int iepoll_sweep_interval_ms;

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
void iepoll_get_stats_v2(struct iepoll *ep, struct iepoll_stats_v2 *st);
int iepoll_ctl_locked(struct iepoll *ep, int op, struct file *tfile, int fd,
		      struct epoll_event *epds);
void iepoll_ctl_begin(struct iepoll *ep, bool adds);
void iepoll_ctl_end(struct iepoll *ep);
void iepoll_note_submit(struct iepoll *ep, unsigned int changes);

void iepoll_show_items(struct seq_file *m, struct iepoll *ep);
void iepoll_get_totals(struct iepoll_counters *sum, unsigned long *instances);
void iepoll_show_totals(struct seq_file *m);

/* The ioctl surface (ioctl.c), the instance file's ->unlocked_ioctl. */
long iepoll_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* core.c, for files.c: a watched file is gone, remove its items. */
void iepoll_remove_file_items(struct iepoll_file *rec,
			      enum iepoll_remove_reason reason);

/* Watched files (files.c). */
int iepoll_files_init(void);
void iepoll_files_exit(void);
size_t iepoll_file_record_size(void);
struct iepoll_file *iepoll_file_get(struct file *file, struct iepoll *inst);
void iepoll_file_put(struct iepoll_file *rec);
void iepoll_file_link(struct iepoll_file *rec, struct iepoll_item *epi);
bool iepoll_file_unlink(struct iepoll_item *epi, bool force);
struct iepoll_file *iepoll_file_lookup_rcu(const struct file *file);
bool iepoll_item_closed(const struct iepoll_item *epi);
void iepoll_sweep_now(void);
void iepoll_sweep_kick(void);
unsigned long iepoll_nr_fallback(void);

/* Nesting: loops, depth and wakeup paths (nest.c). */
int iepoll_nest_start(struct iepoll *ep, struct iepoll *target,
		      bool *checking);
void iepoll_nest_finish(void);
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
