/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One interface over the five multiplexers the benchmark compares: select,
 * poll, epoll, iepoll (the /dev/iepoll ioctls) and io_uring's poll.
 *
 * Registrations use epoll's vocabulary: an fd, EPOLL* events and a 64-bit
 * datum returned with each event.  What a multiplexer cannot do natively is
 * emulated where that is what its users do, and refused otherwise:
 *   - select and poll are level-triggered only; EPOLLONESHOT is emulated by
 *     dropping the fd from the set once reported (mux_mod() puts it back).
 *   - io_uring: EPOLLONESHOT is a one-shot IORING_OP_POLL_ADD, re-armed by
 *     mux_mod(); otherwise a multishot poll (IORING_POLL_ADD_MULTI), which
 *     reports each wakeup, not a level: it has .level = false.
 * Every call that enters the kernel to multiplex is counted in .calls.
 */
#ifndef IEPOLL_BENCH_MUX_H
#define IEPOLL_BENCH_MUX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct mux_ev {
	uint64_t data;
	uint32_t events;
};

struct mux;

struct mux_ops {
	const char *name;
	int max_fd;		/* highest fd it can watch + 1, 0: no limit */
	bool ctl;		/* ADD/DEL are kernel calls (select/poll: no) */
	bool level;		/* level-triggered without re-arming */
	bool exclusive;		/* EPOLLEXCLUSIVE */
	int trace;		/* iepoll only: TRACE_* while it is measured */
	int (*open)(struct mux *m);
	void (*close)(struct mux *m);
	int (*add)(struct mux *m, int fd, uint32_t events, uint64_t data);
	int (*mod)(struct mux *m, int fd, uint32_t events, uint64_t data);
	int (*del)(struct mux *m, int fd);
	/* Up to @max events; @timeout_ms < 0 blocks.  Returns n or -errno. */
	int (*wait)(struct mux *m, struct mux_ev *ev, int max, int timeout_ms);
	/* Complete queued registrations (io_uring); NULL: nothing queued. */
	int (*sync)(struct mux *m);
};

enum { TRACE_OFF, TRACE_DELIVER, TRACE_ALL };

/* What every multiplexer keeps per watched fd, indexed by fd. */
struct mux_reg {
	uint64_t data;
	uint32_t events;
	bool armed;
	int slot;		/* poll: index in the pollfd array */
};

struct mux {
	const struct mux_ops *ops;
	int fd;			/* epoll/iepoll instance */
	unsigned long calls;	/* kernel calls made to multiplex */
	struct mux_reg *reg;	/* indexed by fd */
	int nreg;		/* size of reg[] */
	int maxfd;		/* highest fd registered (select) */
	void *priv;		/* pollfd array, io_uring ring */
	int npoll, cappoll;
	unsigned long removes;	/* io_uring: removals not yet completed */
	bool view;		/* mux_share(): the instance is not ours */
};

extern const struct mux_ops mux_select, mux_poll, mux_epoll, mux_iepoll,
	mux_iepoll_deliver, mux_iepoll_all, mux_uring;

/* Every multiplexer, in the order the report lists them; NULL-terminated. */
extern const struct mux_ops *const mux_all[];

const struct mux_ops *mux_find(const char *name);

/* Set up @m for @ops (calls ops->open).  Returns 0 or -errno. */
int mux_open(struct mux *m, const struct mux_ops *ops);
void mux_close(struct mux *m);

/*
 * Make @m a second view of @from's epoll/iepoll instance, with its own
 * event buffer, for another thread to wait on.  mux_close(@m) leaves the
 * instance open.  Returns 0, or -EINVAL for other multiplexers.
 */
int mux_share(struct mux *m, const struct mux *from);

/* The registration of @fd, growing the table; NULL if out of memory. */
struct mux_reg *mux_reg(struct mux *m, int fd);

/* io_uring support (mux_uring.c): multishot poll in this kernel. */
bool mux_uring_multishot(void);

#endif /* IEPOLL_BENCH_MUX_H */
