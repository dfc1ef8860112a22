// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll chardev glue: /dev/iepoll, module init and exit, fdinfo and the
 * module totals in debugfs.  Each open of the device is one multiplexer
 * instance (see core.c); its ioctls are in ioctl.c.
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
#include "native.h"

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
	iepoll_native_release(file->private_data);
	iepoll_free(file->private_data);
	return 0;
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
	iepoll_show_totals(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iepoll_totals);

static int iepoll_native_state_show(struct seq_file *m, void *unused)
{
	iepoll_native_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iepoll_native_state);

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
	debugfs_create_file("native", 0444, iepoll_debugfs, NULL,
			    &iepoll_native_state_fops);

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
MODULE_VERSION(IEPOLL_VERSION);	/* dkms.conf's PACKAGE_VERSION, via Kbuild */
