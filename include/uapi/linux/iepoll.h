/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iepoll - an instrumented re-implementation of eventpoll behind /dev/iepoll.
 *
 * Each open of /dev/iepoll is one multiplexer instance.  The ioctls below
 * mirror epoll_ctl(2) and epoll_pwait2(2).  Events are reported in the
 * layout of struct epoll_event from <sys/epoll.h> (packed on x86-64), so a
 * program's own event array is passed straight through.
 *
 * All structures use fixed-size types only.  Every field named __pad must be
 * zero, else the ioctl fails with EINVAL, so that it can carry meaning in a
 * later ABI version.
 */
#ifndef _UAPI_LINUX_IEPOLL_H
#define _UAPI_LINUX_IEPOLL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped whenever the ABI below changes in a way userspace can observe. */
#define IEPOLL_ABI_VERSION	3

/* Magic free in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define IEPOLL_IOC_MAGIC	0xE7

/**
 * struct iepoll_ctl - argument of IEPOLL_IOC_CTL, as epoll_ctl(2)
 * @op:     EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL
 * @fd:     the target file descriptor
 * @events: EPOLL* event and flag bits (ignored for EPOLL_CTL_DEL)
 * @__pad:  must be zero
 * @data:   user data returned with each event (ignored for EPOLL_CTL_DEL)
 */
struct iepoll_ctl {
	__s32 op;
	__s32 fd;
	__u32 events;
	__u32 __pad;
	__u64 data;
};

/**
 * struct iepoll_wait - argument of IEPOLL_IOC_WAIT, as epoll_pwait2(2)
 * @events:     user pointer to struct epoll_event[@maxevents]
 * @maxevents:  1 .. INT_MAX / sizeof(struct epoll_event), else EINVAL
 * @__pad:      must be zero
 * @timeout_ns: < 0 waits without limit, 0 does not sleep, > 0 nanoseconds
 * @sigmask:    user pointer to a sigset_t to block during the wait, or 0
 * @sigsetsize: size of *@sigmask in bytes (sizeof(sigset_t) = 8)
 */
struct iepoll_wait {
	__u64 events;
	__s32 maxevents;
	__u32 __pad;
	__s64 timeout_ns;
	__u64 sigmask;
	__u64 sigsetsize;
};

/**
 * struct iepoll_stats - argument of IEPOLL_IOC_STATS, one instance's counters
 * @id:         the instance id, as printed in fdinfo and in every trace event
 * @__pad:      zero
 * @inserts:    items added (EPOLL_CTL_ADD that succeeded)
 * @modifies:   items modified (EPOLL_CTL_MOD that succeeded)
 * @removes:    items removed, for any reason
 * @callbacks:  wakeup callbacks run for the instance's items
 * @wakeups:    waiters woken by those callbacks
 * @delivered:  events copied to userspace
 * @overflows:  items queued on the overflow list during a transfer
 * @waits:      IEPOLL_IOC_WAIT calls
 * @timeouts:   waits that ended on their timeout with no event
 * @eintr:      waits that ended with EINTR
 * @max_ready:  the largest ready-list length seen
 * @items:      items watched now
 */
struct iepoll_stats {
	__u32 id;
	__u32 __pad;
	__u64 inserts;
	__u64 modifies;
	__u64 removes;
	__u64 callbacks;
	__u64 wakeups;
	__u64 delivered;
	__u64 overflows;
	__u64 waits;
	__u64 timeouts;
	__u64 eintr;
	__u64 max_ready;
	__u64 items;
};

/* The length of a task's comm, as TASK_COMM_LEN. */
#define IEPOLL_COMM_LEN		16

/**
 * struct iepoll_stats_v2 - argument of IEPOLL_IOC_STATS_V2 (ABI 2)
 * @stats:    the counters of struct iepoll_stats
 * @pid:      the process (thread group id, as seen from the initial pid
 *            namespace, like a trace event's common_pid) that created the
 *            instance
 * @__pad:    zero
 * @comm:     that process's command name at creation, NUL-terminated
 * @closes:   items removed because their file was closed (at its last
 *            close, or by the sweep of files that send no close event)
 * @fallback: items added on files that send no close event (docs/differences.md)
 * @submits:  IEPOLL_IOC_SUBMIT calls that applied their changes
 * @changes:  changes those calls applied
 */
struct iepoll_stats_v2 {
	struct iepoll_stats stats;
	__s32 pid;
	__u32 __pad;
	char comm[IEPOLL_COMM_LEN];
	__u64 closes;
	__u64 fallback;
	__u64 submits;
	__u64 changes;
};

/*
 * How the structs grow (the ABI rule): a struct of this header only ever
 * grows at its end, by fields whose zero means "not known", and keeps its
 * ioctl number.  The size is part of the ioctl's command (_IOC_SIZE()):
 * the module copies out min(the caller's size, its own) bytes, and zeroes
 * what a newer caller's struct has beyond its own, so old binaries, new
 * binaries and old modules all work together; IEPOLL_IOC_STATS_V2 is read
 * that way.  No _V3 ioctl is added for a larger struct.  (IEPOLL_IOC_STATS,
 * the ABI 1 struct, is the one exception that predates the rule.)
 */

/* The size of struct iepoll_stats_v2 in ABI 2, the smallest accepted. */
#define IEPOLL_STATS_V2_SIZE_VER0	160

/* The most changes one IEPOLL_IOC_SUBMIT takes. */
#define IEPOLL_SUBMIT_MAX	1024

/**
 * struct iepoll_submit - argument of IEPOLL_IOC_SUBMIT (ABI 2): apply a list
 *                        of changes, then wait, in one call (kqueue's
 *                        changelist and eventlist)
 * @changes:  user pointer to struct iepoll_ctl[@nchanges]
 * @results:  user pointer to __s32[@nchanges], one result per change (0 or
 *            -errno), or 0: stop at the first change that fails
 * @nchanges: 0 .. IEPOLL_SUBMIT_MAX, else EINVAL
 * @applied:  out: the changes carried out (see below); the value passed in
 *            is ignored
 * @wait:     the wait, exactly as IEPOLL_IOC_WAIT takes it, except that
 *            @wait.maxevents may be 0: apply the changes only
 *
 * The changes are applied in order, each exactly as IEPOLL_IOC_CTL would
 * apply it (the same checks, errnos, trace events and statistics), with
 * the instance's mutex taken once for all of them; then the wait runs
 * exactly as IEPOLL_IOC_WAIT, signal mask included.
 *
 * Nothing is applied, and the call fails, when: the struct cannot be read
 * (EFAULT); @nchanges is too large, a __pad field of the struct or of
 * @wait is not zero, @wait.maxevents is out of range, or @wait.sigsetsize
 * is wrong (EINVAL); the signal mask, the change array, or (when given)
 * the result array cannot be read or written, or the event array is not a
 * user address range, or @applied cannot be written (EFAULT); the change
 * array cannot be copied in (ENOMEM).  @applied is written before the
 * first change is applied, so it is 0 in every one of those cases in which
 * it could be written.
 *
 * Otherwise @applied says which changes were carried out, and the result
 * is:
 *
 * - Without @results: @applied is the number of changes that succeeded
 *   before the first failure.  If change @applied failed, the call returns
 *   -1 with its errno, changes @applied + 1 and later were not attempted,
 *   and there is no wait.
 * - With @results: every change is attempted, @applied is @nchanges, and
 *   @results holds each change's 0 or -errno; failed changes do not stop
 *   the others nor the wait.
 * - Then, when @wait.maxevents > 0, the wait: its return value and errno
 *   are the call's (events, 0 on timeout, EINTR, EFAULT on the event array
 *   ...).  An event that could not be copied stays ready for the next
 *   wait, as with IEPOLL_IOC_WAIT: none is lost.  With @wait.maxevents 0
 *   the call returns 0 after the changes.
 *
 * Only another thread unmapping @results or this struct during the call
 * can make the writes after the changes fail; the call then returns
 * EFAULT, and what was applied must be read back from the instance.
 */
struct iepoll_submit {
	__u64 changes;
	__u64 results;
	__u32 nchanges;
	__u32 applied;
	struct iepoll_wait wait;
};

/*
 * ABI 3: tracing the kernel's own epoll (docs/tracing.md, "Native epoll").
 *
 * Instance ids: an iepoll instance's id is below IEPOLL_NATIVE_ID_BIT; a
 * native epoll instance's id, in the same iepoll:* events, has the bit
 * set.  IEPOLL_NATIVE_ID_BIT alone is a native instance that got no id
 * (the module's bounded table of instances was full).
 */
#define IEPOLL_NATIVE_ID_BIT	0x80000000u

/* The longest symbol name of struct iepoll_native_attach, NUL included. */
#define IEPOLL_NATIVE_SYM_LEN	64

/* The user data of the sample item (struct iepoll_native_attach). */
#define IEPOLL_NATIVE_SAMPLE_DATA	0x1e9011a77ac4edULL

/**
 * struct iepoll_native_member - where a member of a private eventpoll
 *                               struct is, as the running kernel's BTF says
 * @offset: bytes from the start of the struct (nested members summed)
 * @size:   the member's size in bytes
 */
struct iepoll_native_member {
	__u32 offset;
	__u32 size;
};

/* The probes, by their index in struct iepoll_native_attach's @sym. */
enum iepoll_native_probe {
	IEPOLL_NATIVE_QUEUE_PROC,	/* ep_ptable_queue_proc: insert */
	IEPOLL_NATIVE_REMOVE_EPI,	/* ep_remove_epi: every removal */
	IEPOLL_NATIVE_CALLBACK,		/* ep_poll_callback */
	IEPOLL_NATIVE_ITEM_POLL,	/* ep_item_poll (a clone): delivery */
	IEPOLL_NATIVE_WAIT,		/* do_epoll_wait: wait enter/exit */
	IEPOLL_NATIVE_CREATE,		/* do_epoll_create: create */
	IEPOLL_NATIVE_CLEAR,		/* ep_clear_and_put: instance gone */
	IEPOLL_NATIVE_NPROBES
};

/* The probes' functions, an initializer of const char *[IEPOLL_NATIVE_NPROBES]. */
#define IEPOLL_NATIVE_FUNCTIONS {					\
	[IEPOLL_NATIVE_QUEUE_PROC]	= "ep_ptable_queue_proc",	\
	[IEPOLL_NATIVE_REMOVE_EPI]	= "ep_remove_epi",		\
	[IEPOLL_NATIVE_CALLBACK]	= "ep_poll_callback",		\
	[IEPOLL_NATIVE_ITEM_POLL]	= "ep_item_poll",		\
	[IEPOLL_NATIVE_WAIT]		= "do_epoll_wait",		\
	[IEPOLL_NATIVE_CREATE]		= "do_epoll_create",		\
	[IEPOLL_NATIVE_CLEAR]		= "ep_clear_and_put",		\
}

/**
 * struct iepoll_native_attach - argument of IEPOLL_IOC_NATIVE_ATTACH
 * @size:        sizeof(struct iepoll_native_attach) as the caller knows
 *               it: at least IEPOLL_NATIVE_ATTACH_SIZE_VER0; bytes the
 *               module does not know must be zero (else E2BIG)
 * @flags:       must be zero
 * @sample_epfd: an epoll descriptor of the caller that watches exactly one
 *               item, @sample_fd, added with EPOLLIN and data
 *               IEPOLL_NATIVE_SAMPLE_DATA and not ready: the module checks
 *               the offsets below against it before it registers anything
 * @sample_fd:   that item's descriptor
 * @epi_ffd_file, @epi_ffd_fd, @epi_ep, @epi_events, @epi_data,
 * @epi_rdllink, @epi_fllink, @epi_pwqlist: struct epitem's ffd.file,
 *               ffd.fd, ep, event.events, event.data, rdllink, fllink,
 *               pwqlist
 * @ep_file, @ep_ovflist: struct eventpoll's file and ovflist
 * @pwq_base, @pwq_wait: struct eppoll_entry's base and wait
 * @pqueue_pt, @pqueue_epi: struct ep_pqueue's pt and epi
 * @sym:         each probe's symbol in /proc/kallsyms (enum
 *               iepoll_native_probe), NUL-terminated: the function's name,
 *               or a GCC clone of it ("ep_item_poll.isra.0")
 *
 * Nothing is trusted: a size that is not the one the module reads, an
 * offset past the struct, a symbol that is not the probe's function or a
 * clone of it, one that cannot be probed, or a sample that does not read
 * back through the offsets is refused (EINVAL, ENOENT for a symbol) with
 * a kernel message that names the member or the symbol, and nothing stays
 * registered.
 */
struct iepoll_native_attach {
	__u32 size;
	__u32 flags;
	__s32 sample_epfd;
	__s32 sample_fd;
	struct iepoll_native_member epi_ffd_file;
	struct iepoll_native_member epi_ffd_fd;
	struct iepoll_native_member epi_ep;
	struct iepoll_native_member epi_events;
	struct iepoll_native_member epi_data;
	struct iepoll_native_member epi_rdllink;
	struct iepoll_native_member epi_fllink;
	struct iepoll_native_member epi_pwqlist;
	struct iepoll_native_member ep_file;
	struct iepoll_native_member ep_ovflist;
	struct iepoll_native_member pwq_base;
	struct iepoll_native_member pwq_wait;
	struct iepoll_native_member pqueue_pt;
	struct iepoll_native_member pqueue_epi;
	char sym[IEPOLL_NATIVE_NPROBES][IEPOLL_NATIVE_SYM_LEN];
};

/* The size of struct iepoll_native_attach in ABI 3, the smallest accepted. */
#define IEPOLL_NATIVE_ATTACH_SIZE_VER0	576

/* Returns IEPOLL_ABI_VERSION. */
#define IEPOLL_IOC_VERSION	_IO(IEPOLL_IOC_MAGIC, 0x00)
/* Returns 0, or -1 with errno as epoll_ctl(2). */
#define IEPOLL_IOC_CTL		_IOW(IEPOLL_IOC_MAGIC, 0x01, struct iepoll_ctl)
/* Returns the number of events, or -1 with errno as epoll_pwait2(2). */
#define IEPOLL_IOC_WAIT		_IOW(IEPOLL_IOC_MAGIC, 0x02, struct iepoll_wait)
/* Fills struct iepoll_stats; returns 0. */
#define IEPOLL_IOC_STATS	_IOR(IEPOLL_IOC_MAGIC, 0x03, struct iepoll_stats)
/* ABI 2: fills struct iepoll_stats_v2 (the counters and the creator). */
#define IEPOLL_IOC_STATS_V2	_IOR(IEPOLL_IOC_MAGIC, 0x04, struct iepoll_stats_v2)
/* ABI 2: changes, then a wait; see struct iepoll_submit. */
#define IEPOLL_IOC_SUBMIT	_IOWR(IEPOLL_IOC_MAGIC, 0x05, struct iepoll_submit)

/*
 * ABI 3: attach the native probe set (needs CAP_PERFMON or CAP_SYS_ADMIN:
 * EPERM); it stays attached while this open file holds it and any other
 * does.  EBUSY if this file holds it already, or another one holds it with
 * different offsets or symbols.  Returns 0.
 */
#define IEPOLL_IOC_NATIVE_ATTACH _IOW(IEPOLL_IOC_MAGIC, 0x06, struct iepoll_native_attach)
/* ABI 3: let go of this file's hold (ENOENT if none); the last one detaches. */
#define IEPOLL_IOC_NATIVE_DETACH _IO(IEPOLL_IOC_MAGIC, 0x07)

#endif /* _UAPI_LINUX_IEPOLL_H */
