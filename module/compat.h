/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iepoll compat: every difference between the kernels iepoll builds for
 * (Debian's 6.1 and 6.12) lives here, one inline per difference, named for
 * what it does.  Nothing else in module/ tests a kernel version.
 */
#ifndef _IEPOLL_COMPAT_H
#define _IEPOLL_COMPAT_H

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/version.h>

/*
 * 6.1 has a group flag that makes the group's mark_mutex reclaim safe
 * (no fs reclaim while it is held); 6.12 always does that and has no flag.
 */
#ifdef FSNOTIFY_GROUP_NOFS
#define IEPOLL_FSNOTIFY_GROUP_FLAGS	FSNOTIFY_GROUP_NOFS
#else
#define IEPOLL_FSNOTIFY_GROUP_FLAGS	0
#endif

/* Find this group's mark on @inode, with a reference, or NULL. */
static inline struct fsnotify_mark *
iepoll_find_inode_mark(struct inode *inode, struct fsnotify_group *group)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	return fsnotify_find_inode_mark(inode, group);
#else
	return fsnotify_find_mark(&inode->i_fsnotify_marks, group);
#endif
}

/*
 * Whether __fput() sends fsnotify's close event for @file.  Up to 6.13
 * only FMODE_NONOTIFY files (ptmx masters, fanotify's event descriptors)
 * stay silent; from 6.14 on notification is off for most pseudo files, and
 * the test is FMODE_FSNOTIFY_NONE().
 */
static inline bool iepoll_file_sends_close(const struct file *file)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
	return !FMODE_FSNOTIFY_NONE(file->f_mode);
#else
	return !(file->f_mode & FMODE_NONOTIFY);
#endif
}

/* fd_file() came with struct fd's one-word layout (6.12); before, .file. */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

#endif /* _IEPOLL_COMPAT_H */
