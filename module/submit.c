// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll changes from userspace: IEPOLL_IOC_CTL applies one, as
 * epoll_ctl(2); IEPOLL_IOC_SUBMIT applies a list and then waits, in one
 * call (BSD kevent()'s changelist).  The rules a caller can rely on after
 * any failure are written in include/uapi/linux/iepoll.h, at struct
 * iepoll_submit.
 *
 * RULES
 *
 * - Everything that can be refused without changing anything is checked
 *   before the first change: that the @applied count can be written (it is
 *   zeroed first), the arguments, the signal mask, the change array (one
 *   copy-in of at most IEPOLL_SUBMIT_MAX entries), and that the result
 *   array can be written (it is zeroed).
 * - The changes are applied under ep->mtx, taken once for the list
 *   (iepoll_ctl_begin()), each by iepoll_ctl_locked(), the code behind
 *   IEPOLL_IOC_CTL; a change that nests instances drops and retakes the
 *   mutex inside, as eventpoll's epoll_ctl() does.  Targets are pinned
 *   with fdget() for their change only.
 * - Results are gathered in kernel memory and copied out after the mutex
 *   is dropped: no copy to userspace (which may fault and sleep) happens
 *   under ep->mtx here.
 */

#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "core.h"
#include "iepoll_trace.h"

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

long iepoll_ioctl_ctl(struct iepoll *ep, struct iepoll_ctl __user *uarg)
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

long iepoll_ioctl_submit(struct iepoll *ep, struct iepoll_submit __user *uarg)
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
