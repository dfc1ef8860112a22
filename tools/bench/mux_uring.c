// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring's poll (liburing) behind the interface of mux.h.
 *
 * A registration is an IORING_OP_POLL_ADD whose user_data is the fd; the
 * fd's datum is looked up on completion.  Without EPOLLONESHOT it is
 * multishot (IORING_POLL_ADD_MULTI, Linux 5.13) when the kernel has it, so
 * one request reports every wakeup; a poll that ends anyway (no
 * IORING_CQE_F_MORE) is re-armed at once.  With EPOLLONESHOT it is a
 * one-shot poll, and mux_mod() submits a new one.  Removal is an
 * IORING_OP_POLL_REMOVE tagged REMOVE_TAG; sync() waits for all of them.
 *
 * New requests are queued and go to the kernel with the next wait, in the
 * same io_uring_enter(): that batching is how io_uring is meant to be used.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <liburing.h>

#include "mux.h"

#define REMOVE_TAG	0x4000000000000000ULL	/* bit 62 */
#define SQ_ENTRIES	4096
#define CQ_ENTRIES	65536

static int multishot = -1;	/* unknown */

/* Arm a multishot poll on an eventfd, signal it twice: F_MORE both times? */
static bool probe_multishot(void)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	bool ok = false;
	int efd, i;

	if (io_uring_queue_init(4, &ring, 0))
		return false;
	efd = eventfd(0, EFD_NONBLOCK);
	if (efd < 0)
		goto out_ring;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_multishot(sqe, efd, POLLIN);
	io_uring_sqe_set_data64(sqe, 1);
	if (io_uring_submit(&ring) != 1)
		goto out;
	for (i = 0; i < 2; i++) {
		if (eventfd_write(efd, 1) || io_uring_wait_cqe(&ring, &cqe))
			goto out;
		ok = cqe->res > 0 && (cqe->flags & IORING_CQE_F_MORE);
		io_uring_cqe_seen(&ring, cqe);
		if (!ok)
			break;
	}
out:
	close(efd);
out_ring:
	io_uring_queue_exit(&ring);
	return ok;
}

bool mux_uring_multishot(void)
{
	if (multishot < 0)
		multishot = probe_multishot();
	return multishot;
}

static struct io_uring *ring_of(struct mux *m)
{
	return m->priv;
}

static struct io_uring_sqe *get_sqe(struct mux *m)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring_of(m));

	if (!sqe) {
		/* the submission queue is full: hand it over and go on */
		m->calls++;
		io_uring_submit(ring_of(m));
		sqe = io_uring_get_sqe(ring_of(m));
	}
	return sqe;
}

static int ur_open(struct mux *m)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE, .cq_entries = CQ_ENTRIES,
	};
	struct io_uring *ring = calloc(1, sizeof(*ring));
	int err;

	if (!ring)
		return -ENOMEM;
	mux_uring_multishot();
	err = io_uring_queue_init_params(SQ_ENTRIES, ring, &p);
	if (err) {
		free(ring);
		return err;
	}
	m->priv = ring;
	return 0;
}

static void ur_close(struct mux *m)
{
	if (m->priv)
		io_uring_queue_exit(ring_of(m));
	free(m->priv);
	m->priv = NULL;
}

static int ur_arm(struct mux *m, int fd)
{
	struct io_uring_sqe *sqe = get_sqe(m);
	struct mux_reg *r = &m->reg[fd];
	unsigned int mask = r->events & (POLLIN | POLLOUT | POLLPRI);

	if (!sqe)
		return -EBUSY;
	if (!(r->events & EPOLLONESHOT) && multishot)
		io_uring_prep_poll_multishot(sqe, fd, mask);
	else
		io_uring_prep_poll_add(sqe, fd, mask);
	io_uring_sqe_set_data64(sqe, fd);
	return 0;
}

static int ur_mod(struct mux *m, int fd, uint32_t events, uint64_t data)
{
	struct mux_reg *r = mux_reg(m, fd);

	if (!r)
		return -ENOMEM;
	r->events = events;
	r->data = data;
	r->armed = true;
	return ur_arm(m, fd);
}

static int ur_del(struct mux *m, int fd)
{
	struct io_uring_sqe *sqe;

	if (fd >= m->nreg || !m->reg[fd].armed)
		return -ENOENT;
	sqe = get_sqe(m);
	if (!sqe)
		return -EBUSY;
	m->reg[fd].armed = false;
	io_uring_prep_poll_remove(sqe, fd);
	io_uring_sqe_set_data64(sqe, fd | REMOVE_TAG);
	m->removes++;
	return 0;
}

/* Turn up to @max completions into events; re-arm polls that ended. */
static int ur_reap(struct mux *m, struct mux_ev *ev, int max)
{
	struct io_uring *ring = ring_of(m);
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;
	int got = 0;

	io_uring_for_each_cqe(ring, head, cqe) {
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		struct mux_reg *r;

		if (got >= max)
			break;
		seen++;
		if (ud & REMOVE_TAG) {
			m->removes--;
			continue;
		}
		r = (int64_t)ud < m->nreg ? &m->reg[ud] : NULL;
		/* cancelled by a removal, or left over from an old one */
		if (cqe->res < 0 || !r || !r->armed)
			continue;
		ev[got].data = r->data;
		ev[got].events = cqe->res;
		got++;
		if (!(cqe->flags & IORING_CQE_F_MORE) &&
		    !(r->events & EPOLLONESHOT))
			ur_arm(m, ud);
	}
	io_uring_cq_advance(ring, seen);
	return got;
}

static int ur_wait(struct mux *m, struct mux_ev *ev, int max, int timeout_ms)
{
	struct io_uring *ring = ring_of(m);
	int got, err;

	for (;;) {
		if (!io_uring_cq_ready(ring)) {
			m->calls++;
			if (timeout_ms < 0) {
				err = io_uring_submit_and_wait(ring, 1);
			} else if (timeout_ms == 0) {
				err = io_uring_submit(ring);
			} else {
				struct __kernel_timespec ts = {
					timeout_ms / 1000,
					(timeout_ms % 1000) * 1000000LL,
				};
				struct io_uring_cqe *cqe;

				err = io_uring_submit_and_wait_timeout(ring, &cqe, 1,
								       &ts, NULL);
				if (err == -ETIME)
					err = 0;
			}
			if (err < 0 && err != -EINTR)
				return err;
		}
		got = ur_reap(m, ev, max);
		if (got || timeout_ms >= 0)
			return got;
	}
}

static int ur_sync(struct mux *m)
{
	struct mux_ev ev[64];
	int err;

	while (m->removes || io_uring_sq_ready(ring_of(m))) {
		m->calls++;
		err = io_uring_submit_and_wait(ring_of(m), m->removes ? 1 : 0);
		if (err < 0 && err != -EINTR)
			return err;
		while (ur_reap(m, ev, 64) > 0)
			;
	}
	return 0;
}

const struct mux_ops mux_uring = {
	.name = "io_uring", .ctl = true, .level = false,
	.open = ur_open, .close = ur_close, .add = ur_mod, .mod = ur_mod,
	.del = ur_del, .wait = ur_wait, .sync = ur_sync,
};
