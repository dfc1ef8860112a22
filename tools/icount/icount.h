/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The markers tools/icount/iepoll-icount.c counts between: 7-byte NOPs the
 * compiler never emits ("nopl 0x494550II(%rax)").  Without the plugin they
 * are what they look like, NOPs, and cost one instruction each.
 */
#ifndef IEPOLL_ICOUNT_H
#define IEPOLL_ICOUNT_H

/* Start counting guest instructions (all vCPUs). */
static inline void icount_start(void)
{
	__asm__ __volatile__("nopl 0x49455001(%%rax)" ::: "memory");
}

/* Stop: the plugin writes one line with the count since icount_start(). */
static inline void icount_stop(void)
{
	__asm__ __volatile__("nopl 0x49455002(%%rax)" ::: "memory");
}

#endif /* IEPOLL_ICOUNT_H */
