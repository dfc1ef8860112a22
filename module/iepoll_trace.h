/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iepoll

#if !defined(_IEPOLL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IEPOLL_TRACE_H

#include <linux/tracepoint.h>
#include <linux/eventpoll.h>

#include "core.h"

/*
 * The EPOLL* values of <uapi/linux/eventpoll.h>, written as plain numbers:
 * the kernel's constants carry a __poll_t cast that userspace format
 * parsers (libtraceevent: trace-cmd, perf) cannot read.  core.c checks at
 * build time that they match.
 */
#define iepoll_show_events(ev)						\
	__print_flags(ev, "|",						\
		{ 0x00000001, "EPOLLIN" },				\
		{ 0x00000002, "EPOLLPRI" },				\
		{ 0x00000004, "EPOLLOUT" },				\
		{ 0x00000008, "EPOLLERR" },				\
		{ 0x00000010, "EPOLLHUP" },				\
		{ 0x00000020, "EPOLLNVAL" },				\
		{ 0x00000040, "EPOLLRDNORM" },				\
		{ 0x00000080, "EPOLLRDBAND" },				\
		{ 0x00000100, "EPOLLWRNORM" },				\
		{ 0x00000200, "EPOLLWRBAND" },				\
		{ 0x00000400, "EPOLLMSG" },				\
		{ 0x00002000, "EPOLLRDHUP" },				\
		{ 0x00004000, "POLLFREE" },				\
		{ 0x08000000, "EPOLL_URING_WAKE" },			\
		{ 0x10000000, "EPOLLEXCLUSIVE" },			\
		{ 0x20000000, "EPOLLWAKEUP" },				\
		{ 0x40000000, "EPOLLONESHOT" },				\
		{ 0x80000000, "EPOLLET" })

#define iepoll_show_reason(r)						\
	__print_symbolic(r,						\
		{ IEPOLL_RM_CTL,	"CTL" },			\
		{ IEPOLL_RM_CLOSE,	"CLOSE" },			\
		{ IEPOLL_RM_RELEASE,	"RELEASE" },			\
		{ IEPOLL_RM_SWEEP,	"SWEEP" })

#define iepoll_show_outcome(o)						\
	__print_symbolic(o,						\
		{ IEPOLL_CB_READY,	"READY" },			\
		{ IEPOLL_CB_OVERFLOW,	"OVERFLOW" },			\
		{ IEPOLL_CB_ALREADY,	"ALREADY" },			\
		{ IEPOLL_CB_IGNORED,	"IGNORED" },			\
		{ IEPOLL_CB_DISARMED,	"DISARMED" })

TRACE_DEFINE_ENUM(IEPOLL_RM_CTL);
TRACE_DEFINE_ENUM(IEPOLL_RM_CLOSE);
TRACE_DEFINE_ENUM(IEPOLL_RM_RELEASE);
TRACE_DEFINE_ENUM(IEPOLL_RM_SWEEP);
TRACE_DEFINE_ENUM(IEPOLL_CB_READY);
TRACE_DEFINE_ENUM(IEPOLL_CB_OVERFLOW);
TRACE_DEFINE_ENUM(IEPOLL_CB_ALREADY);
TRACE_DEFINE_ENUM(IEPOLL_CB_IGNORED);
TRACE_DEFINE_ENUM(IEPOLL_CB_DISARMED);

/**
 * iepoll_create - an instance was created (an open of /dev/iepoll)
 *
 * @id:		the new instance's id, as in fdinfo and struct iepoll_stats
 * @pid:	the creating process (its thread group id, as common_pid)
 * @comm:	that process's command name
 */
TRACE_EVENT(iepoll_create,
	    TP_PROTO(u32 id, pid_t pid, const char *comm),
	    TP_ARGS(id, pid, comm),
	    TP_STRUCT__entry(__field(u32, id)
			     __field(pid_t, pid)
			     __array(char, comm, IEPOLL_COMM_LEN)),
	    TP_fast_assign(__entry->id = id;
			   __entry->pid = pid;
			   memcpy(__entry->comm, comm, IEPOLL_COMM_LEN);),
	    TP_printk("id %u pid %d comm %s",
		      __entry->id, __entry->pid, __entry->comm)
);

DECLARE_EVENT_CLASS(iepoll_item_class,
		    TP_PROTO(u32 id, int fd, unsigned long ino, u32 events, u64 data,
			     bool ready),
		    TP_ARGS(id, fd, ino, events, data, ready),
		    TP_STRUCT__entry(__field(u32, id)
				     __field(int, fd)
				     __field(unsigned long, ino)
				     __field(u32, events)
				     __field(u64, data)
				     __field(bool, ready)),
		    TP_fast_assign(__entry->id = id;
				   __entry->fd = fd;
				   __entry->ino = ino;
				   __entry->events = events;
				   __entry->data = data;
				   __entry->ready = ready;),
		    TP_printk("id %u fd %d ino %lu events %s data 0x%llx ready %d",
			      __entry->id, __entry->fd, __entry->ino,
			      iepoll_show_events(__entry->events),
			      (unsigned long long)__entry->data, __entry->ready)
);

/**
 * iepoll_insert - an item entered an instance's tree (EPOLL_CTL_ADD)
 *
 * @id:		instance id, as in fdinfo and struct iepoll_stats
 * @fd:		the target descriptor
 * @ino:	the target file's inode number
 * @events:	the item's events, EPOLLERR and EPOLLHUP added
 * @data:	the user data returned with its events
 * @ready:	the target was ready at once and the item was queued
 */
DEFINE_EVENT(iepoll_item_class, iepoll_insert,
	     TP_PROTO(u32 id, int fd, unsigned long ino, u32 events, u64 data,
		      bool ready),
	     TP_ARGS(id, fd, ino, events, data, ready)
);

/**
 * iepoll_modify - an item's events or data changed (EPOLL_CTL_MOD)
 *
 * @id:		instance id
 * @fd:		the target descriptor
 * @ino:	the target file's inode number
 * @events:	the new events, EPOLLERR and EPOLLHUP added
 * @data:	the new user data
 * @ready:	the target was ready for the new events and the item was
 *		queued (or already was)
 */
DEFINE_EVENT(iepoll_item_class, iepoll_modify,
	     TP_PROTO(u32 id, int fd, unsigned long ino, u32 events, u64 data,
		      bool ready),
	     TP_ARGS(id, fd, ino, events, data, ready)
);

/**
 * iepoll_remove - an item left an instance
 *
 * @id:		instance id
 * @fd:		the target descriptor
 * @ino:	the target file's inode number
 * @events:	the item's events at removal
 * @data:	the item's user data
 * @reason:	CTL (EPOLL_CTL_DEL), CLOSE (the last close of the file, seen
 *		by iepoll's fsnotify mark in the closing task, before the
 *		file's release), RELEASE (the instance was closed), SWEEP (a
 *		file that sends no close event was found closed by the
 *		periodic sweep: see iepoll_fallback)
 */
TRACE_EVENT(iepoll_remove,
	    TP_PROTO(u32 id, int fd, unsigned long ino, u32 events, u64 data,
		     int reason),
	    TP_ARGS(id, fd, ino, events, data, reason),
	    TP_STRUCT__entry(__field(u32, id)
			     __field(int, fd)
			     __field(unsigned long, ino)
			     __field(u32, events)
			     __field(u64, data)
			     __field(int, reason)),
	    TP_fast_assign(__entry->id = id;
			   __entry->fd = fd;
			   __entry->ino = ino;
			   __entry->events = events;
			   __entry->data = data;
			   __entry->reason = reason;),
	    TP_printk("id %u fd %d ino %lu events %s data 0x%llx reason %s",
		      __entry->id, __entry->fd, __entry->ino,
		      iepoll_show_events(__entry->events),
		      (unsigned long long)__entry->data,
		      iepoll_show_reason(__entry->reason))
);

/*
 * iepoll_hook_class - an item's hold on its target changes
 *
 * @id:		instance id
 * @fd:		the item's descriptor
 * @ino:	the target file's inode number
 */
DECLARE_EVENT_CLASS(iepoll_hook_class,
		    TP_PROTO(u32 id, int fd, unsigned long ino),
		    TP_ARGS(id, fd, ino),
		    TP_STRUCT__entry(__field(u32, id)
				     __field(int, fd)
				     __field(unsigned long, ino)),
		    TP_fast_assign(__entry->id = id;
				   __entry->fd = fd;
				   __entry->ino = ino;),
		    TP_printk("id %u fd %d ino %lu",
			      __entry->id, __entry->fd, __entry->ino)
);

/**
 * iepoll_detach - a target's wait queue is going away (POLLFREE)
 *
 * @id:		instance id
 * @fd:		the item's descriptor
 * @ino:	the target file's inode number
 *
 * The target (a signalfd whose sighand is freed, binder) frees one of the
 * wait queues the item is hooked on: only that hook goes, the item stays
 * in the instance until DEL, close or release, as with eventpoll.
 */
DEFINE_EVENT(iepoll_hook_class, iepoll_detach,
	     TP_PROTO(u32 id, int fd, unsigned long ino),
	     TP_ARGS(id, fd, ino)
);

/**
 * iepoll_fallback - an item was added on a file that sends no close event
 *
 * @id:		instance id
 * @fd:		the item's descriptor
 * @ino:	the target file's inode number
 *
 * The kernel sends no fsnotify close event for this file (FMODE_NONOTIFY:
 * ptmx masters, fanotify's event descriptors), so iepoll holds a reference
 * on it and a sweep every sweep_interval_ms removes its items once nobody
 * else holds it (iepoll_remove reason SWEEP).  Follows its iepoll_insert.
 */
DEFINE_EVENT(iepoll_hook_class, iepoll_fallback,
	     TP_PROTO(u32 id, int fd, unsigned long ino),
	     TP_ARGS(id, fd, ino)
);

/**
 * iepoll_callback - a target woke one of an instance's items
 *
 * @id:		instance id
 * @fd:		the item's descriptor
 * @key:	the event mask the target passed to the wakeup (0: unknown)
 * @outcome:	READY (queued on the ready list), OVERFLOW (queued on the
 *		overflow list because a transfer to userspace is under way),
 *		ALREADY (already queued), IGNORED (the key has none of the
 *		item's events), DISARMED (EPOLLONESHOT item awaiting a MOD)
 * @exclusive:	the item was added with EPOLLEXCLUSIVE
 * @woke:	a task waiting on the instance was woken; for an exclusive
 *		item this is the value returned to the target's wakeup loop,
 *		which then stops waking further exclusive waiters
 */
TRACE_EVENT(iepoll_callback,
	    TP_PROTO(u32 id, int fd, u32 key, int outcome, bool exclusive,
		     bool woke),
	    TP_ARGS(id, fd, key, outcome, exclusive, woke),
	    TP_STRUCT__entry(__field(u32, id)
			     __field(int, fd)
			     __field(u32, key)
			     __field(int, outcome)
			     __field(bool, exclusive)
			     __field(bool, woke)),
	    TP_fast_assign(__entry->id = id;
			   __entry->fd = fd;
			   __entry->key = key;
			   __entry->outcome = outcome;
			   __entry->exclusive = exclusive;
			   __entry->woke = woke;),
	    TP_printk("id %u fd %d key %s outcome %s exclusive %d woke %d",
		      __entry->id, __entry->fd, iepoll_show_events(__entry->key),
		      iepoll_show_outcome(__entry->outcome), __entry->exclusive,
		      __entry->woke)
);

/**
 * iepoll_send_events - one transfer of ready items to userspace
 *
 * @id:		instance id
 * @maxevents:	room in the user's array
 * @delivered:	events copied, or -EFAULT if the first copy failed
 * @requeued:	level-triggered items put back on the ready list
 * @overflow:	items carried back from the overflow list, made ready by
 *		callbacks that ran during the transfer
 */
TRACE_EVENT(iepoll_send_events,
	    TP_PROTO(u32 id, int maxevents, int delivered, int requeued,
		     int overflow),
	    TP_ARGS(id, maxevents, delivered, requeued, overflow),
	    TP_STRUCT__entry(__field(u32, id)
			     __field(int, maxevents)
			     __field(int, delivered)
			     __field(int, requeued)
			     __field(int, overflow)),
	    TP_fast_assign(__entry->id = id;
			   __entry->maxevents = maxevents;
			   __entry->delivered = delivered;
			   __entry->requeued = requeued;
			   __entry->overflow = overflow;),
	    TP_printk("id %u maxevents %d delivered %d requeued %d overflow %d",
		      __entry->id, __entry->maxevents, __entry->delivered,
		      __entry->requeued, __entry->overflow)
);

/**
 * iepoll_deliver - one event copied to userspace
 *
 * @id:		instance id
 * @fd:		the item's descriptor
 * @revents:	the events reported
 * @data:	the user data reported
 * @latency_ns:	nanoseconds from the callback, insert, modify or requeue
 *		that made the item ready to this delivery; 0 when the item
 *		became ready while this event was disabled
 */
TRACE_EVENT(iepoll_deliver,
	    TP_PROTO(u32 id, int fd, u32 revents, u64 data, u64 latency_ns),
	    TP_ARGS(id, fd, revents, data, latency_ns),
	    TP_STRUCT__entry(__field(u32, id)
			     __field(int, fd)
			     __field(u32, revents)
			     __field(u64, data)
			     __field(u64, latency_ns)),
	    TP_fast_assign(__entry->id = id;
			   __entry->fd = fd;
			   __entry->revents = revents;
			   __entry->data = data;
			   __entry->latency_ns = latency_ns;),
	    TP_printk("id %u fd %d revents %s data 0x%llx latency_ns %llu",
		      __entry->id, __entry->fd,
		      iepoll_show_events(__entry->revents),
		      (unsigned long long)__entry->data,
		      (unsigned long long)__entry->latency_ns)
);

/**
 * iepoll_wait_enter - a task entered IEPOLL_IOC_WAIT
 *
 * @id:		instance id
 * @maxevents:	room in the user's array
 * @timeout_ns:	< 0: no limit, 0: do not sleep, else the limit in ns
 */
TRACE_EVENT(iepoll_wait_enter,
	    TP_PROTO(u32 id, int maxevents, s64 timeout_ns),
	    TP_ARGS(id, maxevents, timeout_ns),
	    TP_STRUCT__entry(__field(u32, id)
			     __field(int, maxevents)
			     __field(s64, timeout_ns)),
	    TP_fast_assign(__entry->id = id;
			   __entry->maxevents = maxevents;
			   __entry->timeout_ns = timeout_ns;),
	    TP_printk("id %u maxevents %d timeout_ns %lld",
		      __entry->id, __entry->maxevents,
		      (long long)__entry->timeout_ns)
);

/**
 * iepoll_wait_exit - a task left IEPOLL_IOC_WAIT
 *
 * @id:		instance id
 * @res:	events delivered, or a negative errno
 * @slept:	the task slept at least once
 */
TRACE_EVENT(iepoll_wait_exit,
	    TP_PROTO(u32 id, int res, bool slept),
	    TP_ARGS(id, res, slept),
	    TP_STRUCT__entry(__field(u32, id)
			     __field(int, res)
			     __field(bool, slept)),
	    TP_fast_assign(__entry->id = id;
			   __entry->res = res;
			   __entry->slept = slept;),
	    TP_printk("id %u res %d slept %d",
		      __entry->id, __entry->res, __entry->slept)
);

#endif /* _IEPOLL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE iepoll_trace
#include <trace/define_trace.h>
