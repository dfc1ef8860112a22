// SPDX-License-Identifier: GPL-2.0
/*
 * Runs one differential-fuzzer program in one world and writes its
 * transcript: one line per op with its return value, errno and what it
 * observed (a wait's events, an fdinfo's items, a poll's revents).
 *
 * Rules this file keeps, so that two worlds can be compared line by line:
 * - Each run is a fresh fork with every descriptor above 2 closed, so the
 *   same program gets the same descriptor numbers in both worlds and in a
 *   reproducer.
 * - Nothing depends on time: every descriptor is non-blocking, waits time
 *   out after 0 or 1 ms, a timer is only made to fire together with a
 *   poll() that waits until it has, and a forked child is waited for.
 * - The only difference between the worlds is the multiplexer (epoll(7) or
 *   /dev/iepoll), reached through mux_create(), mux_ctl() and mux_wait().
 *   Transport order is normalised there (see mux_not_instance()).
 * This file and prog.h are copied verbatim into every C reproducer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/iepoll.h>
#include <linux/time_types.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prog.h"

#define EP_MAX_EVENTS	(INT_MAX / (int)sizeof(struct epoll_event))
#define KERNEL_PTR	((void *)0xffffffff81000000UL)
#define WBUF_SIZE	(1024 * 1024)

static int world_flags;
/* seconds a world may run before SIGALRM ends it (a hang, or a load) */
unsigned int world_alarm = 30;
static int s[NSLOT];
static char *tr;		/* the shared transcript */
static size_t tr_len, tr_size;
static size_t *tr_shared_len;	/* its length, seen by every process */
static void *ro_page;		/* a read-only page: a copy to it faults */
static char wbuf[WBUF_SIZE];
static struct epoll_event evbuf[EVMAX];
static sig_atomic_t handled[2];	/* read after a syscall only */

static const char *const op_names[OP_NTYPES] = {
	"pipe", "unix", "tcp", "eventfd", "timerfd", "signalfd", "devnull",
	"inst", "ctl", "wait", "write", "read", "shutdown", "timer", "close",
	"dup", "dup2", "dup3", "fork", "raise", "fdinfo", "poll", "chain",
};

static const struct {
	uint32_t bit;
	const char *name;
} ev_names[] = {
	{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
	{ EPOLLERR, "ERR" }, { EPOLLHUP, "HUP" }, { POLLNVAL, "NVAL" },
	{ EPOLLRDNORM, "RDNORM" }, { EPOLLRDBAND, "RDBAND" },
	{ EPOLLWRNORM, "WRNORM" }, { EPOLLWRBAND, "WRBAND" },
	{ EPOLLMSG, "MSG" }, { EPOLLRDHUP, "RDHUP" },
	{ EPOLLEXCLUSIVE, "EXCLUSIVE" }, { EPOLLWAKEUP, "WAKEUP" },
	{ EPOLLONESHOT, "ONESHOT" }, { EPOLLET, "ET" },
};

static int ev_describe(uint32_t ev, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(ev_names); i++) {
		if (!(ev & ev_names[i].bit))
			continue;
		ev &= ~ev_names[i].bit;
		n += snprintf(buf + n, n < size ? size - n : 0, "%s%s",
			      n ? "|" : "", ev_names[i].name);
	}
	if (ev || !n)
		n += snprintf(buf + n, n < size ? size - n : 0, "%s%#x",
			      n ? "|" : "", ev);
	return n;
}

static int wait_maxevents(int mode)
{
	static const int v[] = { 1, 2, 3, 8, EVMAX, 0, -1, INT_MAX,
				 EP_MAX_EVENTS, EP_MAX_EVENTS + 1 };

	return v[mode % ARRAY_SIZE(v)];
}

/* OP_WAIT's arg2: sigmask mode, sigsetsize, events pointer mode. */
#define WAIT_SIGMASK(arg2)	((arg2) & 3)		/* NULL, none, both, USR1 */
#define WAIT_PTR(arg2)		(((arg2) >> 8) & 3)	/* buf, NULL, kernel, ro */

static int wait_sigsetsize(int arg2)
{
	int size = (arg2 >> 4) & 15;

	return size ? size : 8;
}

int op_describe(const struct op *op, char *buf, size_t size)
{
	static const char *const ctl_ops[] = { "0", "ADD", "DEL", "MOD" };
	static const char *const masks[] = { "NULL", "none", "USR1|USR2", "USR1" };
	static const char *const ptrs[] = { "buf", "NULL", "kernel", "ro" };
	const char *name = op->type < OP_NTYPES ? op_names[op->type] : "?";
	char ev[160];

	switch (op->type) {
	case OP_PIPE:
	case OP_TCP:
		return snprintf(buf, size, "s%d,s%d = %s()", op->a, op->b, name);
	case OP_UNIX:
		return snprintf(buf, size, "s%d,s%d = unix(%s)", op->a, op->b,
				op->mode == 0 ? "stream" : op->mode == 1 ?
				"dgram" : "seqpacket");
	case OP_EVENTFD:
		return snprintf(buf, size, "s%d = eventfd(%d%s)", op->a,
				op->arg, op->mode & 1 ? ", SEMAPHORE" : "");
	case OP_INST:
		return snprintf(buf, size, "s%d = inst(%s)", op->a,
				op->mode == 0 ? "0" : op->mode == 1 ?
				"CLOEXEC" : "bad flags");
	case OP_CTL:
		ev_describe(op->events, ev, sizeof(ev));
		return snprintf(buf, size, "ctl(s%d, %s, s%d, %s, %#llx)",
				op->a, op->mode < 4 ? ctl_ops[op->mode] : "4",
				op->b, op->arg ? "NULL" : ev,
				(unsigned long long)op->data);
	case OP_WAIT:
		return snprintf(buf, size,
				"wait(s%d, %s, max %d, %d ns, mask %s/%d)",
				op->a, ptrs[WAIT_PTR(op->arg2)],
				wait_maxevents(op->mode), op->arg,
				masks[WAIT_SIGMASK(op->arg2)],
				wait_sigsetsize(op->arg2));
	case OP_WRITE:
		return snprintf(buf, size, "write(s%d, %d, %#llx)", op->a,
				op->arg, (unsigned long long)op->data);
	case OP_READ:
		return snprintf(buf, size, "read(s%d, %d)", op->a, op->arg);
	case OP_SHUTDOWN:
	case OP_TIMER:
		return snprintf(buf, size, "%s(s%d, %d)", name, op->a, op->mode);
	case OP_DUP:
		return snprintf(buf, size, "s%d = dup(s%d)", op->b, op->a);
	case OP_DUP2:
		return snprintf(buf, size, "dup2(s%d, s%d)", op->a, op->b);
	case OP_DUP3:
		return snprintf(buf, size, "dup3(s%d, s%d, %#x)", op->a, op->b,
				op->arg);
	case OP_RAISE:
		return snprintf(buf, size, "raise(%s)",
				op->mode ? "USR2" : "USR1");
	case OP_FORK:
		return snprintf(buf, size, "fork()");
	case OP_CHAIN:
		return snprintf(buf, size, "s%d = chain(s%d, depth %d, %d times)",
				op->b, op->a, 1 + op->mode % 5, 1 + op->arg % 12);
	default:
		return snprintf(buf, size, "%s(s%d)", name, op->a);
	}
}

static void tr_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (tr_len + 1 >= tr_size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tr + tr_len, tr_size - tr_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		tr_len = tr_len + n < tr_size ? tr_len + n : tr_size - 1;
	*tr_shared_len = tr_len;
}

/* ---------------------------------------------------------- multiplexers */

/*
 * An ioctl reaches the module only for an open instance, so errors that
 * epoll(7) ranks after a check of the instance (a bad target, a bad
 * maxevents) come before it for iepoll.  That order belongs to the
 * transport, not to the module: when @epfd is not an instance of this
 * world, both worlds record the same EBADF or EINVAL without a call.
 */
static int mux_not_instance(int epfd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", epfd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		errno = EBADF;
		return -1;
	}
	link[n] = '\0';
	if (!strcmp(link, world_flags & WORLD_IEPOLL ? "/dev/iepoll" :
		    "anon_inode:[eventpoll]"))
		return 0;
	errno = EINVAL;
	return -1;
}

static int mux_create(int flags)
{
	if (!(world_flags & WORLD_IEPOLL))
		return epoll_create1(flags);
	if (flags & ~O_CLOEXEC) {
		errno = EINVAL;
		return -1;
	}
	return open("/dev/iepoll", O_RDWR | flags);
}

static int mux_ioctl(int epfd, unsigned long cmd, void *arg)
{
	int ret = ioctl(epfd, cmd, arg);

	if (ret < 0 && errno == ENOTTY)
		errno = EINVAL;
	return ret;
}

/*
 * Every other change and every other wait of the iepoll world goes through
 * IEPOLL_IOC_SUBMIT (one change and no wait, or no change and the wait),
 * which must give exactly what IEPOLL_IOC_CTL and IEPOLL_IOC_WAIT give.
 * The turn is counted per process, so both runs of a program take the
 * same path.  A wait with maxevents <= 0 always goes through
 * IEPOLL_IOC_WAIT: SUBMIT takes maxevents 0 as "no wait".
 */
static unsigned int submit_turn;

static int mux_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct iepoll_ctl ctl = { .op = op, .fd = fd };
	struct iepoll_submit sub = {
		.changes = (uintptr_t)&ctl,
		.nchanges = 1,
	};

	/* both copy the event in before looking at epfd */
	if (!ev && op != EPOLL_CTL_DEL) {
		errno = EFAULT;
		return -1;
	}
	if (mux_not_instance(epfd))
		return -1;
	if (!(world_flags & WORLD_IEPOLL))
		return epoll_ctl(epfd, op, fd, ev);
	if (ev) {
		ctl.events = ev->events;
		ctl.data = ev->data.u64;
	}
	if (submit_turn++ & 1)
		return mux_ioctl(epfd, IEPOLL_IOC_SUBMIT, &sub);
	return mux_ioctl(epfd, IEPOLL_IOC_CTL, &ctl);
}

static int mux_wait(int epfd, void *events, int maxevents, long long ns,
		    const sigset_t *mask, size_t sigsetsize)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = ns };
	struct iepoll_wait w = {
		.events = (uintptr_t)events,
		.maxevents = maxevents,
		.timeout_ns = ns,
		.sigmask = (uintptr_t)mask,
		.sigsetsize = sigsetsize,
	};

	if (mux_not_instance(epfd))
		return -1;
	if (!(world_flags & WORLD_IEPOLL))
		return syscall(__NR_epoll_pwait2, epfd, events, maxevents, &ts,
			       mask, sigsetsize);
	if (maxevents > 0 && (submit_turn++ & 1)) {
		struct iepoll_submit sub = { .wait = w };

		return mux_ioctl(epfd, IEPOLL_IOC_SUBMIT, &sub);
	}
	return mux_ioctl(epfd, IEPOLL_IOC_WAIT, &w);
}

/* ------------------------------------------------------------------ ops */

static int fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int tcp_pair(int sv[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l, c = -1, a = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&sin, &len))
		goto fail;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		goto fail;
	a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	if (a < 0 || fd_nonblock(c))
		goto fail;
	close(l);
	sv[0] = c;
	sv[1] = a;
	return 0;
fail:
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	close(l);
	return -1;
}

static int pair_op(const struct op *op)
{
	int sv[2], ret;
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

	if (op->type == OP_PIPE)
		ret = pipe2(sv, O_NONBLOCK);
	else if (op->type == OP_TCP)
		ret = tcp_pair(sv);
	else
		ret = socketpair(AF_UNIX, types[op->mode % 3] | SOCK_NONBLOCK,
				 0, sv);
	if (ret)
		return -1;
	s[op->a] = sv[0];
	s[op->b] = sv[1];
	return sv[0];
}

static int set_slot(int slot, int fd)
{
	if (fd >= 0)
		s[slot] = fd;
	return fd;
}

/* Sorts a wait's events: epoll(7) does not define their order. */
static int ev_cmp(const void *x, const void *y)
{
	const struct epoll_event *a = x, *b = y;

	if (a->data.u64 != b->data.u64)
		return a->data.u64 < b->data.u64 ? -1 : 1;
	return a->events < b->events ? -1 : a->events > b->events;
}

static int wait_op(const struct op *op)
{
	static const void *ptrs[4];
	sigset_t mask;
	const sigset_t *maskp = &mask;
	void *events;
	int n, i;
	char ev[160];

	ptrs[0] = evbuf;
	ptrs[1] = NULL;
	ptrs[2] = KERNEL_PTR;
	ptrs[3] = ro_page;
	events = (void *)ptrs[WAIT_PTR(op->arg2)];
	sigemptyset(&mask);
	switch (WAIT_SIGMASK(op->arg2)) {
	case 0:
		maskp = NULL;
		break;
	case 2:
		sigaddset(&mask, SIGUSR2);
		fallthrough;
	case 3:
		sigaddset(&mask, SIGUSR1);
		break;
	}
	memset(evbuf, 0, sizeof(evbuf));
	n = mux_wait(s[op->a], events, wait_maxevents(op->mode), op->arg,
		     maskp, wait_sigsetsize(op->arg2));
	if (n > 0 && events == evbuf) {
		if (n > EVMAX)
			n = EVMAX;
		if (!(world_flags & WORLD_ORDER))
			qsort(evbuf, n, sizeof(evbuf[0]), ev_cmp);
		tr_printf(" =");
		for (i = 0; i < n; i++) {
			ev_describe(evbuf[i].events, ev, sizeof(ev));
			tr_printf(" %#llx:%s",
				  (unsigned long long)evbuf[i].data.u64, ev);
		}
	}
	tr_printf(" handled %d,%d", handled[0], handled[1]);
	return n;
}

static int rw_op(const struct op *op)
{
	size_t len = op->arg;
	ssize_t n;

	if (len > WBUF_SIZE)
		len = WBUF_SIZE;
	if (op->type == OP_READ)
		return read(s[op->a], wbuf, len);
	memset(wbuf, 0x5a, len);
	memcpy(wbuf, &op->data, len < 8 ? len : 8);
	n = write(s[op->a], wbuf, len);
	return n;
}

static int timer_op(const struct op *op)
{
	struct itimerspec its = { 0 };
	struct pollfd pfd = { .fd = s[op->a], .events = POLLIN };
	int ret;

	if (op->mode == 1)
		its.it_value.tv_sec = 3600;
	else if (op->mode == 2)
		its.it_value.tv_nsec = 1000;
	ret = timerfd_settime(s[op->a], 0, &its, NULL);
	/* wait until it has fired: the next op must see it in both worlds */
	if (!ret && op->mode == 2 && poll(&pfd, 1, 5000) != 1)
		tr_printf(" (timer did not fire in 5 s)");
	return ret;
}

/* The tfd lines of the fdinfo, sorted: their order is the rbtree's. */
static int fdinfo_op(const struct op *op)
{
	char path[64], line[256], items[64][64];
	unsigned long long data;
	unsigned int events;
	int n = 0, i, j, tfd;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", s[op->a]);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < 64)
		if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd,
			   &events, &data) == 3)
			snprintf(items[n++], sizeof(items[0]), "%d:%x:%llx",
				 tfd, events, data);
	fclose(f);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
			memcpy(line, items[j], sizeof(items[0]));
			memcpy(items[j], items[j - 1], sizeof(items[0]));
			memcpy(items[j - 1], line, sizeof(items[0]));
		}
	tr_printf(" =");
	for (i = 0; i < n; i++)
		tr_printf(" %s", items[i]);
	return n;
}

static int poll_op(const struct op *op)
{
	struct pollfd pfd = {
		.fd = s[op->a],
		.events = POLLIN | POLLPRI | POLLOUT | POLLRDHUP | POLLRDNORM |
			  POLLRDBAND | POLLWRNORM | POLLWRBAND,
	};
	char ev[160];
	int ret = poll(&pfd, 1, 0);

	ev_describe(pfd.revents, ev, sizeof(ev));
	tr_printf(" = %s", ev);
	return ret;
}

/* Under WORLD_NO_CLOSE, whether @op would close a descriptor. */
static int closes(const struct op *op)
{
	if (!(world_flags & WORLD_NO_CLOSE))
		return 0;
	if (op->type == OP_CLOSE)
		return 1;
	if (op->type != OP_DUP2 && op->type != OP_DUP3)
		return 0;
	return s[op->a] != s[op->b] && fcntl(s[op->b], F_GETFD) >= 0;
}

/* Returns the number of ADDs that succeeded; each one's result is listed. */
static int chain_op(const struct op *op)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xc4a1 };
	int depth = 1 + op->mode % 5, copies = 1 + op->arg % 12;
	int c, d, below, ep, ok = 0;

	tr_printf(" =");
	for (c = 0; c < copies; c++) {
		below = s[op->a];
		for (d = 0; d < depth; d++) {
			ep = mux_create(0);
			if (ep < 0) {
				tr_printf(" %s", strerrorname_np(errno));
				return ok;
			}
			if (mux_ctl(ep, EPOLL_CTL_ADD, below, &ev)) {
				tr_printf(" %s", strerrorname_np(errno));
			} else {
				tr_printf(" 0");
				ok++;
			}
			below = ep;
		}
		s[op->b] = below;
	}
	return ok;
}

static int run_one(const struct op *op)
{
	struct epoll_event ev = { .events = op->events, .data.u64 = op->data };
	sigset_t mask;

	if (closes(op)) {
		tr_printf(" skipped (no closes)");
		return 0;
	}

	switch (op->type) {
	case OP_PIPE:
	case OP_UNIX:
	case OP_TCP:
		return pair_op(op);
	case OP_EVENTFD:
		return set_slot(op->a, eventfd(op->arg, EFD_NONBLOCK |
					       (op->mode & 1 ? EFD_SEMAPHORE : 0)));
	case OP_TIMERFD:
		return set_slot(op->a, timerfd_create(CLOCK_MONOTONIC,
						      TFD_NONBLOCK));
	case OP_SIGNALFD:
		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		return set_slot(op->a, signalfd(-1, &mask, SFD_NONBLOCK));
	case OP_DEVNULL:
		return set_slot(op->a, open("/dev/null", O_RDWR));
	case OP_INST:
		return set_slot(op->a, mux_create(op->mode == 0 ? 0 :
						  op->mode == 1 ? O_CLOEXEC : 1));
	case OP_CTL:
		return mux_ctl(s[op->a], op->mode, s[op->b],
			       op->arg ? NULL : &ev);
	case OP_WAIT:
		return wait_op(op);
	case OP_WRITE:
	case OP_READ:
		return rw_op(op);
	case OP_SHUTDOWN:
		return shutdown(s[op->a], op->mode % 3);
	case OP_TIMER:
		return timer_op(op);
	case OP_CLOSE:
		return close(s[op->a]);
	case OP_DUP:
		return set_slot(op->b, dup(s[op->a]));
	case OP_DUP2:
		return dup2(s[op->a], s[op->b]);
	case OP_DUP3:
		return dup3(s[op->a], s[op->b], op->arg);
	case OP_RAISE:
		return kill(getpid(), op->mode ? SIGUSR2 : SIGUSR1);
	case OP_FDINFO:
		return fdinfo_op(op);
	case OP_POLL:
		return poll_op(op);
	case OP_CHAIN:
		return chain_op(op);
	}
	errno = EINVAL;
	return -1;
}

static void run_record(const struct op *op, int idx, const char *who)
{
	char desc[256];
	int ret;

	op_describe(op, desc, sizeof(desc));
	tr_printf("%d %s%s", idx, who, desc);
	errno = 0;
	ret = run_one(op);
	tr_printf(" -> %d %s\n", ret, ret < 0 ? strerrorname_np(errno) : "");
}

static void on_signal(int sig)
{
	handled[sig == SIGUSR2]++;
}

static void world_child(const struct op *ops, int n)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t mask;
	pid_t pid;
	int i, st;

	syscall(SYS_close_range, 3, ~0U, 0);
	alarm(world_alarm);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	for (i = 0; i < NSLOT; i++)
		s[i] = SLOT_EMPTY_FD + i;

	for (i = 0; i < n; i++) {
		if (ops[i].type != OP_FORK || i + 1 == n) {
			run_record(&ops[i], i, "");
			continue;
		}
		tr_printf("%d fork()", i);
		pid = fork();
		if (pid == 0) {
			alarm(world_alarm);
			run_record(&ops[i + 1], i + 1, "child: ");
			_exit(0);
		}
		st = -1;
		if (pid > 0)
			waitpid(pid, &st, 0);
		tr_len = *tr_shared_len;	/* the child's line */
		tr_printf(" -> %s, child status %#x\n", pid < 0 ? "failed" : "ok",
			  st);
		i++;
	}
}

size_t world_run(const struct op *ops, int n, int flags, char *out,
		 size_t size)
{
	static size_t shared_size;
	static char *shared;
	size_t *lenp;
	pid_t pid;
	int st;

	if (shared_size < size + 64) {
		if (shared)
			munmap(shared, shared_size);
		shared_size = size + 64;
		shared = mmap(NULL, shared_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shared == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
	}
	lenp = (size_t *)shared;
	*lenp = 0;
	tr_shared_len = lenp;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		world_flags = flags;
		tr = shared + 64;
		tr_size = size;
		tr_len = 0;
		world_child(ops, n);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	tr = shared + 64;
	tr_size = size;
	tr_len = *lenp;
	if (WIFSIGNALED(st))
		tr_printf("exit: killed by signal %d (%s)\n", WTERMSIG(st),
			  strsignal(WTERMSIG(st)));
	else
		tr_printf("exit: status %d\n", WEXITSTATUS(st));
	memcpy(out, tr, tr_len);
	out[tr_len] = '\0';
	return tr_len;
}
