/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A differential-fuzzer program: an array of struct op over a table of
 * descriptor slots, run by exec.c in one "world" (native epoll or
 * /dev/iepoll).  Ops name slots, never descriptors, so a program stays
 * well-formed when the shrinker removes any of its ops.  This header and
 * exec.c are copied verbatim into every C reproducer: they use libc and
 * <linux/iepoll.h> only.
 */
#ifndef _IEPOLL_FUZZ_PROG_H
#define _IEPOLL_FUZZ_PROG_H

#include <stddef.h>
#include <stdint.h>

/* Descriptor slots; an empty slot holds SLOT_EMPTY_FD + its index. */
#define NSLOT		16
#define SLOT_EMPTY_FD	200
/* The event buffer a wait copies to; no instance can hold more items. */
#define EVMAX		256

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define fallthrough	__attribute__((__fallthrough__))

enum op_type {
	OP_PIPE,	/* s[a] = read end, s[b] = write end */
	OP_UNIX,	/* socketpair(AF_UNIX, mode: 0 stream, 1 dgram, 2 seqpacket) */
	OP_TCP,		/* a connected loopback TCP pair */
	OP_EVENTFD,	/* eventfd(arg, mode & 1 ? EFD_SEMAPHORE : 0) */
	OP_TIMERFD,	/* timerfd_create(CLOCK_MONOTONIC), disarmed */
	OP_SIGNALFD,	/* signalfd on SIGUSR1 */
	OP_DEVNULL,	/* /dev/null: a file without poll */
	OP_INST,	/* s[a] = an instance; mode 0 plain, 1 CLOEXEC, 2 bad flags */
	OP_CTL,		/* ctl(s[a], mode, s[b], events, data); arg 1: event NULL */
	OP_WAIT,	/* wait(s[a]), see wait_args() */
	OP_WRITE,	/* write(s[a], arg bytes), eventfd value = data */
	OP_READ,	/* read(s[a], arg bytes) */
	OP_SHUTDOWN,	/* shutdown(s[a], mode) */
	OP_TIMER,	/* timerfd_settime(s[a]): mode 0 disarm, 1 in an hour, 2 fire */
	OP_CLOSE,	/* close(s[a]); the slot keeps the stale number */
	OP_DUP,		/* s[b] = dup(s[a]) */
	OP_DUP2,	/* dup2(s[a], s[b]); an empty s[b] becomes that number */
	OP_DUP3,	/* dup3(s[a], s[b], arg) */
	OP_FORK,	/* a child runs the next op, then exits; the parent skips it */
	OP_RAISE,	/* kill(getpid(), mode ? SIGUSR2 : SIGUSR1), both blocked */
	OP_FDINFO,	/* the items of s[a] as its fdinfo lists them */
	OP_POLL,	/* poll(s[a], all events, 0) */
	/*
	 * 1 + arg % 12 chains of 1 + mode % 5 new instances, each watching the
	 * one below, the lowest watching s[a]; s[b] = the last chain's top.
	 * Many chains to one file reach epoll's wakeup-path limits.
	 */
	OP_CHAIN,
	OP_NTYPES
};

struct op {
	uint8_t type;
	uint8_t a, b;
	uint8_t mode;
	uint32_t events;
	uint64_t data;
	int32_t arg;
	int32_t arg2;
};

/* Flags of a world; the reproducer and the fuzzer pass the same ones. */
#define WORLD_IEPOLL	1	/* instances are /dev/iepoll, else epoll */
#define WORLD_NO_CLOSE	2	/* skip close, dup2/dup3 over an open fd */
#define WORLD_ORDER	4	/* keep a wait's events in delivery order */

/* A world still running after this many seconds is ended by SIGALRM. */
extern unsigned int world_alarm;

/*
 * Runs @ops in a forked child and writes its transcript, one line per op
 * and a last "exit" line, to @out (NUL-terminated, truncated to @size).
 * Returns the transcript's length.
 */
size_t world_run(const struct op *ops, int n, int flags, char *out,
		 size_t size);

/* The op as C-like text, e.g. "ctl(s3, ADD, s5, IN|ET, 0x42)". */
int op_describe(const struct op *op, char *buf, size_t size);

#endif /* _IEPOLL_FUZZ_PROG_H */
