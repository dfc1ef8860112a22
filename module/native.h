/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iepoll native: tracing the kernel's own epoll through probes (native.c),
 * driven by the ioctls (ioctl.c) and the chardev glue (main.c).
 */
#ifndef _IEPOLL_NATIVE_H
#define _IEPOLL_NATIVE_H

#include <linux/seq_file.h>

struct iepoll;

/* IEPOLL_IOC_NATIVE_ATTACH: @ep's file takes a hold on the probe set. */
long iepoll_native_attach(struct iepoll *ep, void __user *uarg);
/* IEPOLL_IOC_NATIVE_DETACH: @ep's file lets go (-ENOENT: it held none). */
long iepoll_native_detach(struct iepoll *ep);
/* @ep's file is released: its hold, if any, goes. */
void iepoll_native_release(struct iepoll *ep);
/* The state of the probe set (debugfs iepoll/native). */
void iepoll_native_show(struct seq_file *m);

#endif /* _IEPOLL_NATIVE_H */
