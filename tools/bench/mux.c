// SPDX-License-Identifier: GPL-2.0
/*
 * The multiplexers that need no library: select, poll, epoll and iepoll
 * (through tools/lib, as a program using /dev/iepoll would), behind the
 * interface of mux.h.  io_uring is in mux_uring.c.
 *
 * select and poll keep their sets in userspace: a registration is an entry
 * in an fd_set or a pollfd array, and each wait hands the whole set to the
 * kernel and scans it afterwards, as programs using them do.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "../lib/iepoll.h"
#include "mux.h"

struct mux_reg *mux_reg(struct mux *m, int fd)
{
	if (fd < 0)
		return NULL;
	if (fd >= m->nreg) {
		int n = m->nreg ? m->nreg : 1024;
		struct mux_reg *r;

		while (n <= fd)
			n *= 2;
		r = realloc(m->reg, n * sizeof(*r));
		if (!r)
			return NULL;
		memset(r + m->nreg, 0, (n - m->nreg) * sizeof(*r));
		m->reg = r;
		m->nreg = n;
	}
	return &m->reg[fd];
}

int mux_open(struct mux *m, const struct mux_ops *ops)
{
	memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->fd = -1;
	m->maxfd = -1;
	return ops->open(m);
}

void mux_close(struct mux *m)
{
	m->ops->close(m);
	free(m->reg);
	m->reg = NULL;
	m->nreg = 0;
}

/* ---- select ---------------------------------------------------------- */

static int sel_open(struct mux *m)
{
	fd_set *set = calloc(1, sizeof(*set));

	if (!set)
		return -ENOMEM;
	m->priv = set;
	return 0;
}

/* select and poll: their set is all there is */
static void set_close(struct mux *m)
{
	free(m->priv);
	m->priv = NULL;
}

static int sel_mod(struct mux *m, int fd, uint32_t events, uint64_t data)
{
	struct mux_reg *r = mux_reg(m, fd);

	if (!r)
		return -ENOMEM;
	if (fd >= FD_SETSIZE)
		return -EINVAL;
	r->events = events;
	r->data = data;
	r->armed = true;
	FD_SET(fd, (fd_set *)m->priv);
	if (fd > m->maxfd)
		m->maxfd = fd;
	return 0;
}

static int sel_del(struct mux *m, int fd)
{
	if (fd >= m->nreg || !m->reg[fd].armed)
		return -ENOENT;
	m->reg[fd].armed = false;
	FD_CLR(fd, (fd_set *)m->priv);
	while (m->maxfd >= 0 && !FD_ISSET(m->maxfd, (fd_set *)m->priv))
		m->maxfd--;
	return 0;
}

static int sel_wait(struct mux *m, struct mux_ev *ev, int max, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	fd_set rs = *(fd_set *)m->priv;
	int n, fd, got = 0;

	m->calls++;
	n = select(m->maxfd + 1, &rs, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
	if (n < 0)
		return -errno;
	for (fd = 0; fd <= m->maxfd && got < n && got < max; fd++) {
		if (!FD_ISSET(fd, &rs))
			continue;
		ev[got].data = m->reg[fd].data;
		ev[got].events = EPOLLIN;
		got++;
		if (m->reg[fd].events & EPOLLONESHOT)
			FD_CLR(fd, (fd_set *)m->priv);
	}
	return got;
}

const struct mux_ops mux_select = {
	.name = "select", .max_fd = FD_SETSIZE, .level = true,
	.open = sel_open, .close = set_close, .add = sel_mod, .mod = sel_mod,
	.del = sel_del, .wait = sel_wait,
};

/* ---- poll ------------------------------------------------------------ */

static int poll_open(struct mux *m)
{
	(void)m;
	return 0;
}

static int poll_add(struct mux *m, int fd, uint32_t events, uint64_t data)
{
	struct mux_reg *r = mux_reg(m, fd);
	struct pollfd *p;

	if (!r)
		return -ENOMEM;
	if (r->armed)
		return -EEXIST;
	if (m->npoll == m->cappoll) {
		int cap = m->cappoll ? 2 * m->cappoll : 64;

		p = realloc(m->priv, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		m->priv = p;
		m->cappoll = cap;
	}
	p = m->priv;
	r->slot = m->npoll++;
	r->events = events;
	r->data = data;
	r->armed = true;
	p[r->slot].fd = fd;
	p[r->slot].events = events & (POLLIN | POLLOUT | POLLPRI);
	p[r->slot].revents = 0;
	return 0;
}

static int poll_mod(struct mux *m, int fd, uint32_t events, uint64_t data)
{
	struct pollfd *p = m->priv;
	struct mux_reg *r;

	if (fd >= m->nreg || !m->reg[fd].armed)
		return -ENOENT;
	r = &m->reg[fd];
	r->events = events;
	r->data = data;
	p[r->slot].fd = fd;	/* re-arms an EPOLLONESHOT fd */
	p[r->slot].events = events & (POLLIN | POLLOUT | POLLPRI);
	return 0;
}

static int poll_del(struct mux *m, int fd)
{
	struct pollfd *p = m->priv;
	int slot, last;

	if (fd >= m->nreg || !m->reg[fd].armed)
		return -ENOENT;
	slot = m->reg[fd].slot;
	m->reg[fd].armed = false;
	last = --m->npoll;
	if (slot != last) {
		p[slot] = p[last];
		/* a disarmed entry holds ~fd */
		m->reg[p[slot].fd < 0 ? ~p[slot].fd : p[slot].fd].slot = slot;
	}
	return 0;
}

static int poll_wait(struct mux *m, struct mux_ev *ev, int max, int timeout_ms)
{
	struct pollfd *p = m->priv;
	int n, i, got = 0;

	m->calls++;
	n = poll(p, m->npoll, timeout_ms);
	if (n < 0)
		return -errno;
	for (i = 0; i < m->npoll && got < n && got < max; i++) {
		struct mux_reg *r;

		if (!p[i].revents || p[i].fd < 0)
			continue;
		r = &m->reg[p[i].fd];
		ev[got].data = r->data;
		ev[got].events = p[i].revents;
		got++;
		if (r->events & EPOLLONESHOT)
			p[i].fd = ~p[i].fd;	/* negative: poll skips it */
	}
	return got;
}

const struct mux_ops mux_poll = {
	.name = "poll", .level = true,
	.open = poll_open, .close = set_close, .add = poll_add,
	.mod = poll_mod, .del = poll_del, .wait = poll_wait,
};

/* ---- epoll and iepoll ------------------------------------------------ */

struct ep_calls {
	int (*create1)(int flags);
	int (*ctl)(int epfd, int op, int fd, struct epoll_event *event);
	int (*wait)(int epfd, struct epoll_event *events, int maxevents,
		    int timeout);
};

static const struct ep_calls ep_native = {
	epoll_create1, epoll_ctl, epoll_wait,
};

static const struct ep_calls ep_iepoll = {
	iepoll_create1, iepoll_ctl, iepoll_wait,
};

/*
 * The array epoll_wait() fills, grown to the largest @max asked for; for
 * iepoll-submit, the changelist its MODs wait in and the first error one
 * of them met.
 */
struct ep_priv {
	const struct ep_calls *c;
	struct epoll_event *buf;
	int cap;
	struct iepoll_changelist *cl;
	int cl_err;
};

static int ep_open_with(struct mux *m, const struct ep_calls *c)
{
	struct ep_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->c = c;
	m->priv = p;
	m->fd = c->create1(EPOLL_CLOEXEC);
	if (m->fd < 0) {
		free(p);
		m->priv = NULL;
		return -errno;
	}
	return 0;
}

static int ep_open(struct mux *m)
{
	return ep_open_with(m, &ep_native);
}

static int iep_open(struct mux *m)
{
	return ep_open_with(m, &ep_iepoll);
}

static void ep_close(struct mux *m)
{
	struct ep_priv *p = m->priv;

	if (m->fd >= 0 && !m->view)
		close(m->fd);
	m->fd = -1;
	if (p) {
		free(p->buf);
		free(p->cl);
	}
	free(p);
	m->priv = NULL;
}

static int ep_ctl(struct mux *m, int op, int fd, uint32_t events,
		  uint64_t data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };
	struct ep_priv *p = m->priv;

	m->calls++;
	return p->c->ctl(m->fd, op, fd, &e) ? -errno : 0;
}

static int ep_add(struct mux *m, int fd, uint32_t events, uint64_t data)
{
	return ep_ctl(m, EPOLL_CTL_ADD, fd, events, data);
}

static int ep_mod(struct mux *m, int fd, uint32_t events, uint64_t data)
{
	return ep_ctl(m, EPOLL_CTL_MOD, fd, events, data);
}

static int ep_del(struct mux *m, int fd)
{
	return ep_ctl(m, EPOLL_CTL_DEL, fd, 0, 0);
}

static int ep_grow(struct ep_priv *p, int max)
{
	if (max > p->cap) {
		struct epoll_event *b = realloc(p->buf, max * sizeof(*b));

		if (!b)
			return -ENOMEM;
		p->buf = b;
		p->cap = max;
	}
	return 0;
}

static int ep_wait(struct mux *m, struct mux_ev *ev, int max, int timeout_ms)
{
	struct ep_priv *p = m->priv;
	int n, i;

	if (ep_grow(p, max))
		return -ENOMEM;
	m->calls++;
	if (p->cl) {
		/* iepoll-submit: the queued MODs go with this wait */
		n = iepoll_changelist_wait(p->cl, p->buf, max, timeout_ms);
		if (p->cl_err)
			return -p->cl_err;
	} else {
		n = p->c->wait(m->fd, p->buf, max, timeout_ms);
	}
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		ev[i].data = p->buf[i].data.u64;
		ev[i].events = p->buf[i].events;
	}
	return n;
}

/* ---- iepoll with IEPOLL_IOC_SUBMIT: MODs go with the next wait -------- */

static void sub_failed(const struct iepoll_ctl *c, int err, void *arg)
{
	struct ep_priv *p = arg;

	(void)c;
	if (!p->cl_err)
		p->cl_err = err;
}

static int sub_open(struct mux *m)
{
	int err = ep_open_with(m, &ep_iepoll);
	struct ep_priv *p;

	if (err)
		return err;
	p = m->priv;
	p->cl = malloc(sizeof(*p->cl));
	if (!p->cl) {
		ep_close(m);
		return -ENOMEM;
	}
	iepoll_changelist_init(p->cl, m->fd);
	p->cl->failed = sub_failed;
	p->cl->arg = p;
	return 0;
}

static int sub_mod(struct mux *m, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };
	struct ep_priv *p = m->priv;

	/* a full list goes to the kernel on its own */
	if (p->cl->n == IEPOLL_CHANGELIST_LEN)
		m->calls++;
	if (iepoll_changelist_add(p->cl, EPOLL_CTL_MOD, fd, &e))
		return -errno;
	return p->cl_err ? -p->cl_err : 0;
}

const struct mux_ops mux_iepoll_submit = {
	.name = "iepoll-submit", .ctl = true, .level = true,
	.exclusive = true, .open = sub_open, .close = ep_close,
	.add = ep_add, .mod = sub_mod, .del = ep_del, .wait = ep_wait,
};

int mux_share(struct mux *m, const struct mux *from)
{
	struct ep_priv *p;

	if (from->ops->open != ep_open && from->ops->open != iep_open)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	p->c = ((struct ep_priv *)from->priv)->c;
	m->ops = from->ops;
	m->fd = from->fd;
	m->priv = p;
	m->view = true;
	return 0;
}

#define EP_OPS(var, nm, opener, tr)					\
const struct mux_ops var = {						\
	.name = nm, .ctl = true, .level = true, .exclusive = true,	\
	.trace = tr, .open = opener, .close = ep_close, .add = ep_add,	\
	.mod = ep_mod, .del = ep_del, .wait = ep_wait,			\
}

EP_OPS(mux_epoll, "epoll", ep_open, TRACE_OFF);
EP_OPS(mux_iepoll, "iepoll", iep_open, TRACE_OFF);
EP_OPS(mux_iepoll_deliver, "iepoll+deliver", iep_open, TRACE_DELIVER);
EP_OPS(mux_iepoll_all, "iepoll+all", iep_open, TRACE_ALL);

const struct mux_ops *const mux_all[] = {
	&mux_select, &mux_poll, &mux_epoll, &mux_iepoll, &mux_uring,
	&mux_iepoll_deliver, &mux_iepoll_all, &mux_iepoll_submit, NULL,
};

const struct mux_ops *mux_find(const char *name)
{
	int i;

	for (i = 0; mux_all[i]; i++)
		if (!strcmp(mux_all[i]->name, name))
			return mux_all[i];
	return NULL;
}
