// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll ioctls: the whole surface userspace drives an instance through,
 * include/uapi/linux/iepoll.h.  Each handler copies and checks its
 * arguments here, then calls the core (core.c), which knows nothing of
 * user memory but the event array it fills.
 *
 *   IEPOLL_IOC_VERSION   the ABI version
 *   IEPOLL_IOC_CTL       one change, as epoll_ctl(2)
 *   IEPOLL_IOC_WAIT      a wait, as epoll_pwait2(2), signal mask included
 *   IEPOLL_IOC_STATS     the counters in the ABI 1 struct
 *   IEPOLL_IOC_STATS_V2  the counters and the creator, size-bounded
 *   IEPOLL_IOC_SUBMIT    a list of changes, then a wait, in one call
 *                        (BSD kevent()'s changelist)
 *   IEPOLL_IOC_NATIVE_ATTACH, IEPOLL_IOC_NATIVE_DETACH
 *                        hold the probes on the kernel's own epoll, or let
 *                        go (native.c, which checks the struct itself)
 *
 * RULES
 *
 * - Everything that can be refused without changing anything is checked
 *   before the first change, in the order epoll checks it: the padding,
 *   the signal mask's size, its copy-in.  For SUBMIT also that the @applied
 *   count can be written (it is zeroed first), the change array (one
 *   copy-in of at most IEPOLL_SUBMIT_MAX entries), and that the result
 *   array can be written (it is zeroed).  The rules a SUBMIT caller can
 *   rely on after any failure are written at struct iepoll_submit.
 * - A list of changes is applied under ep->mtx, taken once for the list
 *   (iepoll_ctl_begin()), each by iepoll_ctl_locked(), the code behind
 *   IEPOLL_IOC_CTL; a change that nests instances drops and retakes the
 *   mutex inside, as eventpoll's epoll_ctl() does.  Targets are pinned
 *   with fdget() for their change only.
 * - Nothing is copied to userspace under ep->mtx here (a copy may fault and
 *   sleep): SUBMIT's results are gathered in kernel memory first.
 * - A struct that grows is copied size-bounded (the rule is in the uapi
 *   header): IEPOLL_IOC_STATS_V2 with any size from ABI 2's on.
 */

#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "core.h"
#include "iepoll_trace.h"
#include "native.h"

/* ------------------------------------------------------------------ */
/* WAIT                                                                */

/*
 * epoll_pwait2()'s checks of its arguments, in its order, changing
 * nothing: the padding, the size of the signal mask, and its copy-in.
 */
static int iepoll_wait_prepare(const struct iepoll_wait *w, sigset_t *ksigmask)
{
	if (w->__pad)
		return -EINVAL;
	if (w->sigmask) {
		if (w->sigsetsize != sizeof(sigset_t))
			return -EINVAL;
		if (copy_from_user(ksigmask, u64_to_user_ptr(w->sigmask),
				   sizeof(*ksigmask)))
			return -EFAULT;
	}
	return 0;
}

/*
 * As epoll_pwait2(): the mask is installed for the wait only.  When the
 * wait is interrupted the old mask is restored after the signal handler
 * ran (set_restore_sigmask), so a signal unblocked by the mask is delivered
 * exactly when it ends the wait; otherwise it is restored at once.
 */
static int iepoll_wait_masked(struct iepoll *ep, const struct iepoll_wait *w,
			      sigset_t *ksigmask)
{
	sigset_t oldmask;
	int res;

	if (w->sigmask) {
		sigdelsetmask(ksigmask, sigmask(SIGKILL) | sigmask(SIGSTOP));
		sigprocmask(SIG_SETMASK, ksigmask, &oldmask);
	}

	res = iepoll_wait(ep, u64_to_user_ptr(w->events), w->maxevents,
			  w->timeout_ns);

	if (w->sigmask) {
		if (res == -EINTR) {
			current->saved_sigmask = oldmask;
			set_restore_sigmask();
		} else {
			sigprocmask(SIG_SETMASK, &oldmask, NULL);
		}
	}
	return res;
}

static long iepoll_ioctl_wait(struct iepoll *ep,
			      struct iepoll_wait __user *uarg)
{
	struct iepoll_wait w;
	sigset_t ksigmask;
	int err;

	if (copy_from_user(&w, uarg, sizeof(w)))
		return -EFAULT;
	err = iepoll_wait_prepare(&w, &ksigmask);
	if (err)
		return err;
	return iepoll_wait_masked(ep, &w, &ksigmask);
}

/* ------------------------------------------------------------------ */
/* CTL and SUBMIT                                                      */

/* Lists up to this long live on the stack. */
#define IEPOLL_SUBMIT_ONSTACK	8

/* One change, with ep->mtx held (@locked) or not. */
static int iepoll_apply(struct iepoll *ep, const struct iepoll_ctl *c,
			bool locked)
{
	struct epoll_event epds;
	struct fd tf;
	int err;

	if (c->__pad)
		return -EINVAL;
	/*
	 * As epoll_ctl(): fdget(), not fget(), pins the target for the call.
	 * In a process whose file table is not shared it takes no reference
	 * at all; the descriptor cannot be closed under us then.
	 */
	tf = fdget(c->fd);
	if (!fd_file(tf))
		return -EBADF;

	epds.events = (__force __poll_t)c->events;
	epds.data = c->data;
	if (locked)
		err = iepoll_ctl_locked(ep, c->op, fd_file(tf), c->fd, &epds);
	else
		err = iepoll_ctl(ep, c->op, fd_file(tf), c->fd, &epds);
	fdput(tf);
	return err;
}

static long iepoll_ioctl_ctl(struct iepoll *ep,
			     struct iepoll_ctl __user *uarg)
{
	struct iepoll_ctl ctl;

	if (copy_from_user(&ctl, uarg, sizeof(ctl)))
		return -EFAULT;
	return iepoll_apply(ep, &ctl, false);
}

/* The checks and copies that come before any change; 0 or -errno. */
static int iepoll_submit_prepare(struct iepoll_submit *sub,
				 struct iepoll_ctl *changes, sigset_t *ksigmask)
{
	const struct iepoll_wait *w = &sub->wait;
	s32 __user *results = u64_to_user_ptr(sub->results);
	int err;

	if (sub->nchanges > IEPOLL_SUBMIT_MAX)
		return -EINVAL;
	if (w->maxevents < 0 || w->maxevents > (int)IEPOLL_MAX_EVENTS)
		return -EINVAL;
	err = iepoll_wait_prepare(w, ksigmask);
	if (err)
		return err;
	if (w->maxevents &&
	    !access_ok(u64_to_user_ptr(w->events),
		       w->maxevents * sizeof(struct epoll_event)))
		return -EFAULT;
	if (copy_from_user(changes, u64_to_user_ptr(sub->changes),
			   array_size(sub->nchanges, sizeof(*changes))))
		return -EFAULT;
	if (results &&
	    clear_user(results, array_size(sub->nchanges, sizeof(s32))))
		return -EFAULT;
	return 0;
}

static long iepoll_ioctl_submit(struct iepoll *ep,
				struct iepoll_submit __user *uarg)
{
	struct iepoll_ctl onstack[IEPOLL_SUBMIT_ONSTACK], *changes = onstack;
	s32 res_onstack[IEPOLL_SUBMIT_ONSTACK], *res = res_onstack;
	unsigned int i, applied = 0, failed = 0;
	struct iepoll_submit sub;
	bool adds = false;
	sigset_t ksigmask;
	long ret;

	if (copy_from_user(&sub, uarg, sizeof(sub)))
		return -EFAULT;
	/* first, so that it reads 0 after any refusal it could be written for */
	if (put_user(0, &uarg->applied))
		return -EFAULT;
	if (sub.nchanges > IEPOLL_SUBMIT_ONSTACK &&
	    sub.nchanges <= IEPOLL_SUBMIT_MAX) {
		changes = kvmalloc_array(sub.nchanges,
					 sizeof(*changes) + sizeof(*res),
					 GFP_KERNEL_ACCOUNT);
		if (!changes)
			return -ENOMEM;
		res = (s32 *)(changes + sub.nchanges);
	}

	ret = iepoll_submit_prepare(&sub, changes, &ksigmask);
	if (ret)
		goto out;

	for (i = 0; i < sub.nchanges; i++)
		adds |= changes[i].op == EPOLL_CTL_ADD;
	if (sub.nchanges) {
		iepoll_ctl_begin(ep, adds);
		for (i = 0; i < sub.nchanges; i++) {
			res[i] = iepoll_apply(ep, &changes[i], true);
			if (res[i]) {
				failed++;
				if (!sub.results)
					break;
			}
			applied = i + 1;
		}
		/* without results, only those before the failure count */
		if (!sub.results && failed)
			applied = i;
		iepoll_ctl_end(ep);
	}
	iepoll_note_submit(ep, applied);
	trace_iepoll_submit(ep->id, sub.nchanges, applied, failed,
			    sub.wait.maxevents);

	if (put_user(applied, &uarg->applied) ||
	    (sub.results && applied &&
	     copy_to_user(u64_to_user_ptr(sub.results), res,
			  array_size(applied, sizeof(s32))))) {
		ret = -EFAULT;
		goto out;
	}
	if (!sub.results && failed) {
		ret = res[applied];
		goto out;
	}
	ret = sub.wait.maxevents ?
	      iepoll_wait_masked(ep, &sub.wait, &ksigmask) : 0;
out:
	if (changes != onstack)
		kvfree(changes);
	return ret;
}

/* ------------------------------------------------------------------ */
/* STATS                                                               */

static long iepoll_ioctl_stats(struct iepoll *ep, unsigned int cmd,
			       void __user *argp)
{
	struct iepoll_stats_v2 st;
	size_t size = _IOC_SIZE(cmd);

	iepoll_get_stats_v2(ep, &st);
	if (cmd == IEPOLL_IOC_STATS)
		return copy_to_user(argp, &st.stats, sizeof(st.stats)) ?
		       -EFAULT : 0;

	/* any size from ABI 2's: what the caller has room for, zeroed beyond */
	if (size > sizeof(st) &&
	    clear_user(argp + sizeof(st), size - sizeof(st)))
		return -EFAULT;
	return copy_to_user(argp, &st, min(size, sizeof(st))) ? -EFAULT : 0;
}

/* ------------------------------------------------------------------ */

/* Whether @cmd is IEPOLL_IOC_STATS_V2 with some size ABI 2 allows. */
static bool iepoll_is_stats_v2(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == IEPOLL_IOC_MAGIC &&
	       _IOC_NR(cmd) == _IOC_NR(IEPOLL_IOC_STATS_V2) &&
	       _IOC_DIR(cmd) == _IOC_READ &&
	       _IOC_SIZE(cmd) >= IEPOLL_STATS_V2_SIZE_VER0;
}

long iepoll_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct iepoll *ep = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case IEPOLL_IOC_VERSION:
		return IEPOLL_ABI_VERSION;
	case IEPOLL_IOC_CTL:
		return iepoll_ioctl_ctl(ep, argp);
	case IEPOLL_IOC_WAIT:
		return iepoll_ioctl_wait(ep, argp);
	case IEPOLL_IOC_STATS:
		return iepoll_ioctl_stats(ep, cmd, argp);
	case IEPOLL_IOC_SUBMIT:
		return iepoll_ioctl_submit(ep, argp);
	case IEPOLL_IOC_NATIVE_ATTACH:
		return iepoll_native_attach(ep, argp);
	case IEPOLL_IOC_NATIVE_DETACH:
		return iepoll_native_detach(ep);
	}
	if (iepoll_is_stats_v2(cmd))
		return iepoll_ioctl_stats(ep, cmd, argp);
	return -ENOTTY;
}
