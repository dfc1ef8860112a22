// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll chardev glue: /dev/iepoll, its ioctls, fdinfo and module totals.
 * Each open of the device is one multiplexer instance (see core.c).
 */

#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/signal.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "core.h"
#include "iepoll_trace.h"

static struct dentry *iepoll_debugfs;

static int iepoll_open(struct inode *inode, struct file *file)
{
	struct iepoll *ep;

	ep = iepoll_create();
	if (IS_ERR(ep))
		return PTR_ERR(ep);
	/* Names the instance for fdinfo, STATS_V2 and the trace. */
	BUILD_BUG_ON(IEPOLL_COMM_LEN != TASK_COMM_LEN);
	ep->pid = task_tgid_nr(current);
	get_task_comm(ep->comm, current);
	trace_iepoll_create(ep->id, ep->pid, ep->comm);
	iepoll_attach_file(ep, file);
	return stream_open(inode, file);
}

static int iepoll_release(struct inode *inode, struct file *file)
{
	iepoll_free(file->private_data);
	return 0;
}

/*
 * As epoll_ctl(): fdget(), not fget(), pins the target for the call.  In a
 * process whose file table is not shared it takes no reference at all (no
 * atomic increment and decrement per CTL); the descriptor cannot be closed
 * under us then.  The core takes its own reference when it keeps the file.
 */
static long iepoll_ioctl_ctl(struct iepoll *ep, struct iepoll_ctl __user *uarg)
{
	struct epoll_event epds;
	struct iepoll_ctl ctl;
	struct fd tf;
	int err;

	if (copy_from_user(&ctl, uarg, sizeof(ctl)))
		return -EFAULT;
	if (ctl.__pad)
		return -EINVAL;

	tf = fdget(ctl.fd);
	if (!fd_file(tf))
		return -EBADF;

	epds.events = (__force __poll_t)ctl.events;
	epds.data = ctl.data;
	err = iepoll_ctl(ep, ctl.op, fd_file(tf), ctl.fd, &epds);
	fdput(tf);
	return err;
}

/*
 * As epoll_pwait2(): the mask is installed for the wait only.  When the
 * wait is interrupted the old mask is restored after the signal handler
 * ran (set_restore_sigmask), so a signal unblocked by the mask is delivered
 * exactly when it ends the wait; otherwise it is restored at once.
 */
static long iepoll_ioctl_wait(struct iepoll *ep,
			      struct iepoll_wait __user *uarg)
{
	sigset_t ksigmask, oldmask;
	struct iepoll_wait w;
	int res;

	if (copy_from_user(&w, uarg, sizeof(w)))
		return -EFAULT;
	if (w.__pad)
		return -EINVAL;

	if (w.sigmask) {
		if (w.sigsetsize != sizeof(sigset_t))
			return -EINVAL;
		if (copy_from_user(&ksigmask, u64_to_user_ptr(w.sigmask),
				   sizeof(ksigmask)))
			return -EFAULT;
		sigdelsetmask(&ksigmask, sigmask(SIGKILL) | sigmask(SIGSTOP));
		sigprocmask(SIG_SETMASK, &ksigmask, &oldmask);
	}

	res = iepoll_wait(ep, u64_to_user_ptr(w.events), w.maxevents,
			  w.timeout_ns);

	if (w.sigmask) {
		if (res == -EINTR) {
			current->saved_sigmask = oldmask;
			set_restore_sigmask();
		} else {
			sigprocmask(SIG_SETMASK, &oldmask, NULL);
		}
	}
	return res;
}

static long iepoll_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct iepoll *ep = file->private_data;
	void __user *argp = (void __user *)arg;
	struct iepoll_stats_v2 st2 = {};
	struct iepoll_stats st;

	switch (cmd) {
	case IEPOLL_IOC_VERSION:
		return IEPOLL_ABI_VERSION;
	case IEPOLL_IOC_CTL:
		return iepoll_ioctl_ctl(ep, argp);
	case IEPOLL_IOC_WAIT:
		return iepoll_ioctl_wait(ep, argp);
	case IEPOLL_IOC_STATS:
		iepoll_get_stats(ep, &st);
		return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
	case IEPOLL_IOC_STATS_V2:
		iepoll_get_stats(ep, &st2.stats);
		st2.pid = ep->pid;
		memcpy(st2.comm, ep->comm, sizeof(st2.comm));
		return copy_to_user(argp, &st2, sizeof(st2)) ? -EFAULT : 0;
	}
	return -ENOTTY;
}

static __poll_t iepoll_fop_poll(struct file *file, poll_table *wait)
{
	return iepoll_poll(file->private_data, file, wait);
}

static void iepoll_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct iepoll *ep = file->private_data;

	iepoll_show_items(m, ep);
	seq_printf(m, "iepoll-pid:\t%d\niepoll-comm:\t%s\n", ep->pid, ep->comm);
}

const struct file_operations iepoll_fops = {
	.owner		= THIS_MODULE,
	.open		= iepoll_open,
	.release	= iepoll_release,
	.unlocked_ioctl	= iepoll_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= iepoll_fop_poll,
	.show_fdinfo	= iepoll_show_fdinfo,
};
EXPORT_SYMBOL_IF_KUNIT(iepoll_fops);

static struct miscdevice iepoll_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "iepoll",
	.fops	= &iepoll_fops,
	.mode	= 0666,
};

static int iepoll_totals_show(struct seq_file *m, void *unused)
{
	struct iepoll_stats t;
	unsigned long instances;

	iepoll_get_totals(&t, &instances);
	seq_printf(m, "instances %lu\ninserts %llu\nmodifies %llu\nremoves %llu\ncallbacks %llu\nwakeups %llu\ndelivered %llu\noverflows %llu\nwaits %llu\ntimeouts %llu\neintr %llu\nmax_ready %llu\nitems %llu\n",
		   instances, t.inserts, t.modifies, t.removes, t.callbacks,
		   t.wakeups, t.delivered, t.overflows, t.waits, t.timeouts,
		   t.eintr, t.max_ready, t.items);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iepoll_totals);

static int __init iepoll_init(void)
{
	int err;

	err = iepoll_core_init();
	if (err)
		return err;

	err = misc_register(&iepoll_miscdev);
	if (err)
		goto err_core;

	iepoll_debugfs = debugfs_create_dir("iepoll", NULL);
	debugfs_create_file("stats", 0444, iepoll_debugfs, NULL,
			    &iepoll_totals_fops);

	pr_info("ABI %d, max_user_watches %lu\n", IEPOLL_ABI_VERSION,
		iepoll_max_user_watches);
	return 0;

err_core:
	iepoll_core_exit();
	return err;
}

static void __exit iepoll_exit(void)
{
	debugfs_remove_recursive(iepoll_debugfs);
	misc_deregister(&iepoll_miscdev);
	iepoll_core_exit();
}

module_init(iepoll_init);
module_exit(iepoll_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iepoll: an instrumented re-implementation of eventpoll");
MODULE_AUTHOR("iepoll developers");
