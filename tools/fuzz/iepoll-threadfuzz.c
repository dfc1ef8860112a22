// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-threadfuzz - do iepoll's invariants hold while threads race on one
 * instance?
 *
 * Threaded runs have no single right transcript, so this checks invariants
 * instead of comparing with epoll:
 * - no lost readiness: K pipes that always hold data are watched
 *   level-triggered; every wait that may sleep (room for all items) must
 *   return all K, whatever the other threads do meanwhile;
 * - no event for a closed file: a tag is never reused, and a wait that
 *   starts after the close of a watched pipe returned must not deliver its
 *   tag;
 * - counts agree with IEPOLL_IOC_STATS at the end: items, inserts,
 *   removes, delivered events and waits equal what the threads counted.
 * Churner threads each own pipes (so each knows the exact state of its
 * items) and ADD, MOD, DEL, write, drain and close them at random; waiter
 * threads wait on the instance with a zero or 1 ms timeout.
 *
 * Beside them, instances nest (see "The nest and reuse world" below):
 * nester threads ADD and DEL target instances into a hub whose waiters
 * hold its mutex with long transfers, while burster threads close the
 * plain files the targets watch, make new files of the same kind at once
 * (likely at the freed address) and in bursts, with an RCU grace period
 * now and then, and ADD them to instances of their own:
 * - no leftover item: once a burster's files are closed, its instance
 *   lists (fdinfo) and counts (IEPOLL_IOC_STATS) none of their items;
 * - at the end, every nested instance lists what the threads counted.
 *
 * Exit status: 0 every invariant held, 1 one broke, 2 bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/iepoll.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define K_READY		4	/* always-ready level-triggered pipes */
#define NCHURN		2
#define NWAIT		2
#define PIPES		8	/* per churner */
#define MAXTAG		4194304
#define READY_TAG(i)	((unsigned long long)MAXTAG + (i))

struct pipe_slot {
	int rd, wr;
	bool watched;
	unsigned int tag;
};

static struct {
	struct fuzz_opt f;
	bool native;	/* the same run on epoll(7), for comparison */
	bool zero;	/* check level-triggered items in 0-timeout waits too */
} opt = { .f.duration = 30 };

static int ep;
static atomic_bool stop;
static atomic_uint next_tag = 1;
static atomic_uint close_seq = 1;
static atomic_uint dead_seq[MAXTAG];	/* close_seq when the tag's file closed */
static atomic_long inserts, removes, delivered, waits, waits_ok, violations;

static int ctl_on(int epfd, int op, int fd, unsigned int events,
		  unsigned long long data)
{
	struct iepoll_ctl c = { .op = op, .fd = fd, .events = events,
				.data = data };
	struct epoll_event e = { .events = events, .data.u64 = data };

	if (opt.native)
		return epoll_ctl(epfd, op, fd, &e);
	return ioctl(epfd, IEPOLL_IOC_CTL, &c);
}

static int ctl(int op, int fd, unsigned int events, unsigned long long data)
{
	return ctl_on(ep, op, fd, events, data);
}

static void violationf(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&violations, 1) < 20) {
		flockfile(stdout);
		printf("threadfuzz: VIOLATION: ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		fflush(stdout);
		funlockfile(stdout);
	}
}

static void violation(const char *fmt, unsigned long long a,
		      unsigned long long b)
{
	violationf(fmt, a, b);
}

static void fresh_pipe(struct pipe_slot *p)
{
	int fds[2];

	if (pipe2(fds, O_NONBLOCK)) {
		perror("iepoll-threadfuzz: pipe2");
		exit(1);
	}
	p->rd = fds[0];
	p->wr = fds[1];
	p->watched = false;
}

static void churn_one(struct pipe_slot *p, unsigned long long *r)
{
	static const unsigned int evs[] = { EPOLLIN, EPOLLIN | EPOLLET,
		EPOLLIN | EPOLLONESHOT, EPOLLIN | EPOLLRDHUP, EPOLLOUT,
		EPOLLIN | EPOLLOUT | EPOLLET };
	unsigned int ev = evs[fuzz_rnd(r) % 6], tag;
	char buf[64];

	switch (fuzz_rnd(r) % 6) {
	case 0:		/* ADD: EEXIST when watched */
		tag = atomic_fetch_add(&next_tag, 1) % MAXTAG;
		if (!ctl(EPOLL_CTL_ADD, p->rd, ev, tag)) {
			if (p->watched)
				violation("ADD of a watched fd succeeded (tag %llu)%llu",
					  tag, 0);
			p->tag = tag;
			p->watched = true;
			atomic_fetch_add(&inserts, 1);
		} else if (!p->watched || errno != EEXIST) {
			violation("ADD failed with errno %llu, watched %llu",
				  errno, p->watched);
		}
		break;
	case 1:		/* MOD: ENOENT when not watched */
		if (ctl(EPOLL_CTL_MOD, p->rd, ev, p->tag) != (p->watched ? 0 : -1))
			violation("MOD returned other than expected, watched %llu%llu",
				  p->watched, 0);
		break;
	case 2:
		if (ctl(EPOLL_CTL_DEL, p->rd, 0, 0) != (p->watched ? 0 : -1))
			violation("DEL returned other than expected, watched %llu%llu",
				  p->watched, 0);
		if (p->watched)
			atomic_fetch_add(&removes, 1);
		p->watched = false;
		break;
	case 3:
		if (write(p->wr, "x", 1) < 0 && errno != EAGAIN)
			violation("pipe write failed: errno %llu%llu", errno, 0);
		break;
	case 4:
		while (read(p->rd, buf, sizeof(buf)) > 0)
			;
		break;
	default:	/* close: the item must go with the last close */
		close(p->rd);
		close(p->wr);
		if (p->watched) {
			atomic_store(&dead_seq[p->tag],
				     atomic_fetch_add(&close_seq, 1) + 1);
			atomic_fetch_add(&removes, 1);
		}
		fresh_pipe(p);
	}
}

static void *churner(void *arg)
{
	unsigned long long r = opt.f.seed ^ (uintptr_t)arg;
	struct pipe_slot *pipes = calloc(PIPES, sizeof(*pipes));
	int i;

	for (i = 0; i < PIPES; i++)
		fresh_pipe(&pipes[i]);
	while (!atomic_load(&stop))
		churn_one(&pipes[fuzz_rnd(&r) % PIPES], &r);
	return pipes;	/* the main thread counts what is still watched */
}

static void *waiter(void *arg)
{
	unsigned long long r = opt.f.seed ^ (uintptr_t)arg << 32;
	struct epoll_event evs[64];
	struct iepoll_wait w = { .events = (uintptr_t)evs, .maxevents = 64 };
	unsigned int start, dead, seen;
	unsigned long long tag;
	int n, i;

	while (!atomic_load(&stop)) {
		w.timeout_ns = fuzz_rnd(&r) % 4 ? 0 : 1000000;
		start = atomic_load(&close_seq);
		if (opt.native)
			n = epoll_wait(ep, evs, 64, w.timeout_ns / 1000000);
		else
			n = ioctl(ep, IEPOLL_IOC_WAIT, &w);
		atomic_fetch_add(&waits, 1);
		if (n < 0) {
			violation("wait failed: errno %llu%llu", errno, 0);
			continue;
		}
		atomic_fetch_add(&waits_ok, 1);
		atomic_fetch_add(&delivered, n);
		seen = 0;
		for (i = 0; i < n; i++) {
			tag = evs[i].data.u64;
			if (tag >= READY_TAG(0) && tag < READY_TAG(K_READY)) {
				seen |= 1u << (tag - READY_TAG(0));
				continue;
			}
			dead = atomic_load(&dead_seq[tag % MAXTAG]);
			if (dead && dead <= start)
				violation("event for tag %llu, closed at seq %llu before the wait",
					  tag, dead);
		}
		/*
		 * A 0-timeout wait that meets another waiter's transfer can
		 * see an empty ready list and return at once, in epoll as in
		 * iepoll (ep_events_available() reads the lists without the
		 * lock while ep_done_scan() puts level-triggered items back):
		 * only a wait that may sleep is owed them, unless --zero.
		 */
		if (seen != (1u << K_READY) - 1 && (w.timeout_ns || opt.zero))
			violation("level-triggered items lost: seen mask %#llx of %#llx",
				  seen, (1u << K_READY) - 1);
	}
	return NULL;
}

/*
 * The nest and reuse world: instances nested into a hub that always has
 * many ready items, whose mutex long transfers hold; files that the nested
 * instances watch, closed while an ADD of one of them into the hub waits
 * for that mutex (the ADD's nest checks hold the records of those files);
 * and files of one kind made, ADDed and closed in bursts, so that a new
 * file gets the address of one just freed.  Each burster alone touches its
 * own instance, so once its files are closed the instance must list none
 * of their items: that check needs no model of the other threads.
 */
#define NT		4	/* target instances, nested into the hub */
#define NNEST		2	/* nesters; nester k owns targets k and k + NNEST */
#define NHUBWAIT	2	/* waiters of the hub, most with room for all */
#define NBURST		2	/* bursters, each with its own instance */
#define NSLOT		6	/* files of one burster watched by the targets */
#define HUB_MAX		512	/* always-ready items of the hub */
#define BURST_MAX_FDS	128	/* descriptors of one burster's open files */
#define FD_RESERVE	128	/* descriptors of everything else */
#define HUB_TAG(i)	(2ULL * MAXTAG + (i))
#define T_TAG(j)	(3ULL * MAXTAG + (j))
#define FILE_TAG(b)	(4ULL * MAXTAG + (b))

enum { K_EVENTFD, K_PIPE, K_TIMERFD };

struct rfile {
	int fd;		/* the end that is watched */
	int wr;		/* a pipe's write end, else -1 */
	int kind;
};

struct burster {
	unsigned int id;
	int inst;			/* its instance: nobody else touches it */
	struct rfile slot[NSLOT];	/* slot s is watched by slot_target() */
	struct rfile open[BURST_MAX_FDS];	/* ADDed to inst, still open */
	int nopen, nfds;
	unsigned long closed;		/* since inst was last seen empty */
	bool leftover;			/* a check found one: stop checking */
	unsigned long long r;
};

static int hub, tgt[NT], hub_items;
static int burst_fds;		/* descriptor budget of a burster; 0: none */
static bool in_hub[NT];		/* changed by the target's nester only */
static bool t_in_t[NT][NT];	/* [a][b]: tgt[a] is an item of tgt[b] */
static struct burster bursters[NBURST];
static atomic_long nest_adds, reuse_closes, burst_files, burst_checks;
static atomic_long grace_periods, hub_waits;

/* The random stream of thread @i of role @role, from the seed. */
static unsigned long long stream(int role, unsigned int i)
{
	return opt.f.seed ^ fuzz_mix((unsigned long long)role << 32 | i);
}

static int wait_on(int epfd, struct epoll_event *evs, int max,
		   long long timeout_ns)
{
	struct iepoll_wait w = { .events = (uintptr_t)evs, .maxevents = max,
				 .timeout_ns = timeout_ns };

	if (opt.native)
		return epoll_wait(epfd, evs, max, timeout_ns / 1000000);
	return ioctl(epfd, IEPOLL_IOC_WAIT, &w);
}

static int new_instance(void)
{
	int fd = opt.native ? epoll_create1(0) : open("/dev/iepoll", O_RDWR);

	if (fd < 0) {
		perror("iepoll-threadfuzz: a nested instance");
		exit(1);
	}
	return fd;
}

/*
 * synchronize_rcu() (with more than one CPU online): 6.1 frees a file
 * after a grace period, 6.12 at once; after this, 6.1 reuses the addresses
 * of the files closed before it too.
 */
static void grace_period(void)
{
	if (!syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		atomic_fetch_add(&grace_periods, 1);
}

static int pick_kind(unsigned long long *r)
{
	static const int kinds[] = { K_EVENTFD, K_EVENTFD, K_PIPE, K_TIMERFD };

	return kinds[fuzz_rnd(r) % 4];
}

static int kind_fds(int kind)
{
	return kind == K_PIPE ? 2 : 1;
}

/* A new file of @kind, ready for reading when @ready. */
static void rfile_open(struct rfile *f, int kind, bool ready)
{
	static const struct itimerspec soon = { .it_value.tv_nsec = 1 };
	unsigned long long one = 1;
	int fds[2], err = 0;

	f->kind = kind;
	f->wr = -1;
	switch (kind) {
	case K_EVENTFD:
		f->fd = eventfd(0, EFD_NONBLOCK);
		if (f->fd >= 0 && ready)
			err = write(f->fd, &one, sizeof(one)) != sizeof(one);
		break;
	case K_PIPE:
		f->fd = pipe2(fds, O_NONBLOCK) ? -1 : fds[0];
		if (f->fd >= 0) {
			f->wr = fds[1];
			if (ready)
				err = write(f->wr, "r", 1) != 1;
		}
		break;
	default:
		f->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
		if (f->fd >= 0 && ready)
			err = timerfd_settime(f->fd, 0, &soon, NULL);
	}
	if (f->fd < 0 || err) {
		perror("iepoll-threadfuzz: a file of a burst");
		exit(1);
	}
}

static void rfile_close(struct rfile *f)
{
	close(f->fd);
	if (f->wr >= 0)
		close(f->wr);
}

/* The items /proc/self/fdinfo lists for @epfd; some printed if @print. */
static long fdinfo_items(int epfd, bool print)
{
	char path[64], line[512];
	long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	f = fopen(path, "re");
	if (!f) {
		perror("iepoll-threadfuzz: fdinfo");
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "tfd:", 4))
			continue;
		if (print && n < 8)
			printf("threadfuzz:   %s", line);
		n++;
	}
	fclose(f);
	return n;
}

/* The items IEPOLL_IOC_STATS counts on @epfd; -1 on native epoll. */
static long long stats_items(int epfd)
{
	struct iepoll_stats s;

	if (opt.native)
		return -1;
	if (ioctl(epfd, IEPOLL_IOC_STATS, &s)) {
		perror("iepoll-threadfuzz: IEPOLL_IOC_STATS");
		return -2;
	}
	return s.items;
}

/* Does burster @b's instance list exactly the files it still has open? */
static void burst_check(struct burster *b)
{
	long listed = fdinfo_items(b->inst, false);
	long long items = stats_items(b->inst);

	atomic_fetch_add(&burst_checks, 1);
	if (listed == b->nopen && (items == -1 || items == b->nopen)) {
		if (!b->nopen)
			b->closed = 0;
		return;
	}
	b->leftover = true;
	atomic_store(&stop, true);
	violationf("%s: burster %u, seed %#llx", listed > b->nopen ||
		   items > b->nopen ? "leftover item" : "item missing",
		   b->id, opt.f.seed);
	flockfile(stdout);
	printf("threadfuzz:   its instance lists %ld items (stats %lld), ",
	       listed, items);
	printf("with %d of its files open, %lu closed since it was empty\n",
	       b->nopen, b->closed);
	fdinfo_items(b->inst, true);
	fflush(stdout);
	funlockfile(stdout);
}

/* Close @n of @b's open files, in random order, then check its instance. */
static void burst_close(struct burster *b, int n)
{
	int i;

	while (n-- > 0 && b->nopen) {
		i = fuzz_rnd(&b->r) % b->nopen;
		b->nfds -= kind_fds(b->open[i].kind);
		rfile_close(&b->open[i]);
		b->open[i] = b->open[--b->nopen];
		b->closed++;
	}
	if (!b->leftover)
		burst_check(b);
}

/* A new file of @kind, ADDed to @b's instance; all closed first if full. */
static void burst_add(struct burster *b, int kind)
{
	static const unsigned int evs[] = { EPOLLIN, EPOLLIN | EPOLLET,
		EPOLLOUT, EPOLLIN | EPOLLONESHOT };
	struct rfile *f;

	if (b->nfds + kind_fds(kind) > burst_fds)
		burst_close(b, b->nopen);
	f = &b->open[b->nopen++];
	rfile_open(f, kind, !(fuzz_rnd(&b->r) % 4));
	b->nfds += kind_fds(kind);
	atomic_fetch_add(&burst_files, 1);
	if (!ctl_on(b->inst, EPOLL_CTL_ADD, f->fd, evs[fuzz_rnd(&b->r) % 4],
		    FILE_TAG(b->id)))
		return;
	if (errno == EEXIST) {
		/* an item of a closed file at this address, with this fd */
		b->leftover = true;
		atomic_store(&stop, true);
		violationf("leftover item: burster %u, seed %#llx: %s (fd %d)",
			   b->id, opt.f.seed, "a new file is watched already",
			   f->fd);
	} else {
		violationf("ADD of a new file to burster %u's instance: %s",
			   b->id, strerror(errno));
	}
}

static int slot_target(const struct burster *b, int s)
{
	return (b->id * NSLOT + s) % NT;
}

static void slot_open(struct burster *b, int s, int kind)
{
	struct rfile *f = &b->slot[s];
	int t = slot_target(b, s);

	rfile_open(f, kind, fuzz_rnd(&b->r) % 2);
	if (ctl_on(tgt[t], EPOLL_CTL_ADD, f->fd, EPOLLIN, FILE_TAG(b->id)))
		violationf("ADD of a new file to target %d: %s", t,
			   strerror(errno));
}

/*
 * Close a file a target watches (a nester's ADD may hold its record right
 * now), make one of the same kind at once, which is likely to get the
 * freed address, and ADD it to the burster's instance; then give the
 * target a new file in its slot.
 */
static void reuse_close(struct burster *b)
{
	int s = fuzz_rnd(&b->r) % NSLOT, kind = b->slot[s].kind;

	rfile_close(&b->slot[s]);
	atomic_fetch_add(&reuse_closes, 1);
	if (!(fuzz_rnd(&b->r) % 8))
		grace_period();
	burst_add(b, kind);
	slot_open(b, s, kind);
}

/* Rounds of many short-lived files of one kind, a grace period now and then. */
static void burst(struct burster *b)
{
	int kind = pick_kind(&b->r), rounds = 1 + fuzz_rnd(&b->r) % 3, m;

	while (rounds-- > 0 && !atomic_load(&stop)) {
		m = 1 + fuzz_rnd(&b->r) % (burst_fds / kind_fds(kind));
		while (m-- > 0)
			burst_add(b, kind);
		burst_close(b, b->nopen);
		if (!(fuzz_rnd(&b->r) % 4))
			grace_period();
	}
}

static void *burster(void *arg)
{
	struct burster *b = arg;

	while (!atomic_load(&stop) && !b->leftover) {
		switch (fuzz_rnd(&b->r) % 8) {
		case 0: case 1: case 2: case 3:
			reuse_close(b);
			break;
		case 4: case 5:
			burst(b);
			break;
		case 6:		/* some: count what is left against the list */
			burst_close(b, 1 + fuzz_rnd(&b->r) % (b->nopen + 1));
			break;
		default:
			burst_close(b, b->nopen);
		}
	}
	return NULL;
}

/* One ADD or DEL of a target by its nester: @want is the errno, or 0. */
static int nest_ctl(int into, const char *where, int op, int j, int want)
{
	int rc = ctl_on(into, op, tgt[j], EPOLLIN, T_TAG(j));

	if (op == EPOLL_CTL_ADD)
		atomic_fetch_add(&nest_adds, 1);
	if (want ? rc == -1 && errno == want : !rc)
		return rc;
	violationf("%s of target %d %s: %s, not %s", op == EPOLL_CTL_ADD ?
		   "ADD" : "DEL", j, where, rc ? strerror(errno) : "success",
		   want ? strerror(want) : "success");
	return rc;
}

/*
 * ADD and DEL of its two targets into the hub (an ADD, EEXIST or not,
 * runs the nest checks and then waits for the hub's mutex) and into each
 * other (ELOOP the other way round).
 */
static void *nester(void *arg)
{
	unsigned int k = (uintptr_t)arg;
	unsigned long long r = stream('n', k);
	int j, o;

	while (!atomic_load(&stop)) {
		j = fuzz_rnd(&r) % 2 ? k : k + NNEST;
		o = j == (int)k ? k + NNEST : k;
		switch (fuzz_rnd(&r) % 8) {
		case 0: case 1: case 2: case 3:
			if (!nest_ctl(hub, "into the hub", EPOLL_CTL_ADD, j,
				      in_hub[j] ? EEXIST : 0))
				in_hub[j] = true;
			break;
		case 4: case 5:
			if (!nest_ctl(hub, "from the hub", EPOLL_CTL_DEL, j,
				      in_hub[j] ? 0 : ENOENT))
				in_hub[j] = false;
			break;
		case 6:
			if (!nest_ctl(tgt[o], "into its sibling", EPOLL_CTL_ADD,
				      j, t_in_t[j][o] ? EEXIST :
				      t_in_t[o][j] ? ELOOP : 0))
				t_in_t[j][o] = true;
			break;
		default:
			if (!nest_ctl(tgt[o], "from its sibling", EPOLL_CTL_DEL,
				      j, t_in_t[j][o] ? 0 : ENOENT))
				t_in_t[j][o] = false;
		}
	}
	return NULL;
}

/*
 * Long transfers: most waits have room for every item of the hub.  Its
 * always-ready items are owed to every such wait that may sleep, as in
 * waiter(); each at most once.
 */
static void *hub_waiter(void *arg)
{
	unsigned long long r = stream('h', (uintptr_t)arg), tag;
	int max = hub_items + NT, n, i, got, want;
	struct epoll_event *evs = calloc(max, sizeof(*evs));
	unsigned char *seen = calloc(hub_items + 1, 1);
	long long timeout;
	bool all;

	if (!evs || !seen) {
		perror("iepoll-threadfuzz: hub waiter");
		exit(1);
	}
	while (!atomic_load(&stop)) {
		all = fuzz_rnd(&r) % 8;
		want = all ? max : 1 + (int)(fuzz_rnd(&r) % max);
		timeout = fuzz_rnd(&r) % 4 ? 0 : 1000000;
		n = wait_on(hub, evs, want, timeout);
		atomic_fetch_add(&hub_waits, 1);
		if (n < 0) {
			violationf("wait on the hub: %s", strerror(errno));
			continue;
		}
		memset(seen, 0, hub_items);
		for (i = got = 0; i < n; i++) {
			tag = evs[i].data.u64;
			if (tag >= HUB_TAG(0) && tag < HUB_TAG(hub_items)) {
				if (seen[tag - HUB_TAG(0)]++)
					violationf("the hub delivered item %llu twice in one wait",
						   tag - HUB_TAG(0));
				got++;
			} else if (tag < T_TAG(0) || tag >= T_TAG(NT)) {
				violationf("the hub delivered unknown data %#llx", tag);
			}
		}
		if (all && timeout && got != hub_items)
			violationf("level-triggered items of the hub lost: %d of %d",
				   got, hub_items);
	}
	free(seen);
	free(evs);
	return NULL;
}

/*
 * The hub, its hub_items always-ready items (one eventfd under as many
 * descriptor numbers, each closed after its ADD: the file stays open, so
 * the items stay), the targets and the bursters, within RLIMIT_NOFILE.
 */
static void nest_setup(void)
{
	struct rlimit rl = { 0 };
	long limit;
	int efd, lo, n, i, s, d;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > 1 << 20)
		rl.rlim_cur = 1 << 20;
	limit = rl.rlim_cur;
	burst_fds = (limit - FD_RESERVE) / NBURST;
	if (burst_fds > BURST_MAX_FDS)
		burst_fds = BURST_MAX_FDS;
	if (burst_fds < 8)
		burst_fds = 0;

	hub = new_instance();
	for (i = 0; i < NT; i++)
		tgt[i] = new_instance();
	for (i = 0; i < NBURST; i++) {
		struct burster *b = &bursters[i];

		b->id = i;
		b->r = stream('b', i);
		b->inst = new_instance();
		if (!burst_fds)
			continue;
		for (s = 0; s < NSLOT; s++)
			slot_open(b, s, pick_kind(&b->r));
	}

	efd = eventfd(1, EFD_NONBLOCK);
	lo = efd < 0 ? -1 : fcntl(efd, F_DUPFD, 0);
	if (lo < 0) {
		perror("iepoll-threadfuzz: the hub's eventfd");
		exit(1);
	}
	close(lo);
	n = limit - 1 - lo < HUB_MAX ? limit - 1 - lo : HUB_MAX;
	for (i = 0; i < n; i++) {
		d = fcntl(efd, F_DUPFD, lo + i);
		if (d < 0)
			break;
		if (!ctl_on(hub, EPOLL_CTL_ADD, d, EPOLLIN, HUB_TAG(hub_items)))
			hub_items++;
		close(d);
	}
}

/* After the threads: does @name list the items the threads counted? */
static int nest_check_items(const char *name, int epfd, long want)
{
	long listed = fdinfo_items(epfd, false);
	long long items = stats_items(epfd);

	if (listed == want && (items == -1 || items == want))
		return 0;
	printf("threadfuzz: VIOLATION: %s lists %ld items (stats %lld), ",
	       name, listed, items);
	printf("the threads counted %ld; seed %#llx\n", want, opt.f.seed);
	return 1;
}

/* The bursters' last check, then every instance's count. */
static int nest_finish(void)
{
	long want[NT] = { 0 }, hub_want = hub_items;
	int bad = 0, i, j, s;
	char name[32];

	for (i = 0; i < NBURST; i++) {
		if (!burst_fds)
			continue;
		for (s = 0; s < NSLOT; s++)
			want[slot_target(&bursters[i], s)]++;
		burst_close(&bursters[i], bursters[i].nopen);
		bad |= bursters[i].leftover;
	}
	for (j = 0; j < NT; j++) {
		hub_want += in_hub[j];
		for (i = 0; i < NT; i++)
			want[i] += t_in_t[j][i];
	}
	for (j = 0; j < NT; j++) {
		snprintf(name, sizeof(name), "target %d", j);
		bad |= nest_check_items(name, tgt[j], want[j]);
	}
	bad |= nest_check_items("the hub", hub, hub_want);
	return bad;
}

static const char help[] =
"Usage: iepoll-threadfuzz [OPTIONS]\n"
"Race churner threads (ADD, MOD, DEL, write, drain, close of their own pipes)\n"
"against waiter threads on one /dev/iepoll instance and check invariants: no\n"
"lost level-triggered readiness, no event of a file closed before the wait\n"
"began, and IEPOLL_IOC_STATS equal to what the threads counted. Beside them,\n"
"nest instances into a hub held by long transfers, close the files the nested\n"
"ones watch meanwhile, make and close files in bursts (addresses reused), and\n"
"check that no item of a closed file is left.\n"
"Needs the iepoll module (run it in the VM: scripts/vm -- ...).\n\n"
"  -d, --duration S   run for S seconds (default 30)\n"
"  -s, --seed S       seed of the threads' random streams (default: clock)\n"
"      --epoll        run on native epoll instead (no stats check): does\n"
"                     epoll itself keep the invariants?\n"
"      --zero         owe level-triggered items to 0-timeout waits too\n"
"      --json         one JSON object with the totals at the end\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"Exit: 0 every invariant held, 1 one broke, 2 bad arguments.\n";

static int check_count(const char *name, unsigned long long got, long want)
{
	if ((long)got == want)
		return 0;
	printf("threadfuzz: VIOLATION: stats %s %llu, the threads counted %ld\n",
	       name, got, want);
	return 1;
}

static int check_stats(long watched)
{
	struct iepoll_stats s;
	int bad = 0;

	if (ioctl(ep, IEPOLL_IOC_STATS, &s)) {
		perror("iepoll-threadfuzz: IEPOLL_IOC_STATS");
		return 1;
	}
	bad |= check_count("items", s.items, watched);
	bad |= check_count("inserts", s.inserts, atomic_load(&inserts));
	bad |= check_count("removes", s.removes, atomic_load(&removes));
	bad |= check_count("delivered", s.delivered, atomic_load(&delivered));
	bad |= check_count("waits", s.waits, atomic_load(&waits));
	return bad;
}

static void option(int c, const char *arg)
{
	(void)arg;
	switch (c) {
	case 'E':
		opt.native = true;
		break;
	case 'Z':
		opt.zero = true;
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "epoll", no_argument, NULL, 'E' },
		{ "zero", no_argument, NULL, 'Z' },
		{ }
	};
	static const struct fuzz_cmdline cmdline = {
		.name = "iepoll-threadfuzz", .help = help, .shortopts = "",
		.longopts = longopts, .option = option,
	};
	pthread_t churners[NCHURN], waiters[NWAIT], nesters[NNEST];
	pthread_t hub_waiters[NHUBWAIT], burster_threads[NBURST];
	struct pipe_slot ready[K_READY], *pipes;
	long watched = K_READY;
	double start;
	int i, j, bad;

	fuzz_parse(argc, argv, &cmdline, &opt.f);
	if (!fuzz_ready(&opt.f, !opt.native))
		return 1;
	ep = opt.native ? epoll_create1(0) : open("/dev/iepoll", O_RDWR);
	if (ep < 0) {
		fprintf(stderr, "iepoll-threadfuzz: /dev/iepoll: %m (%s)\n",
			"is the module loaded? run it in the VM: scripts/vm -- CMD");
		return 1;
	}
	for (i = 0; i < K_READY; i++) {
		fresh_pipe(&ready[i]);
		if (write(ready[i].wr, "r", 1) != 1 ||
		    ctl(EPOLL_CTL_ADD, ready[i].rd, EPOLLIN, READY_TAG(i))) {
			perror("iepoll-threadfuzz: always-ready pipe");
			return 1;
		}
		atomic_fetch_add(&inserts, 1);
	}
	nest_setup();
	printf("threadfuzz: seed %#llx, %d churners, %d waiters, %.0f s\n",
	       opt.f.seed, NCHURN, NWAIT, opt.f.duration);
	printf("threadfuzz: %d nesters of %d targets, %d waiters of a hub of ",
	       NNEST, NT, NHUBWAIT);
	printf("%d ready items, %d bursters of up to %d descriptors\n",
	       hub_items, burst_fds ? NBURST : 0, burst_fds);
	fflush(stdout);

	start = fuzz_now();
	for (i = 0; i < NCHURN; i++)
		pthread_create(&churners[i], NULL, churner, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < NWAIT; i++)
		pthread_create(&waiters[i], NULL, waiter, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < NNEST; i++)
		pthread_create(&nesters[i], NULL, nester, (void *)(uintptr_t)i);
	for (i = 0; i < NHUBWAIT; i++)
		pthread_create(&hub_waiters[i], NULL, hub_waiter,
			       (void *)(uintptr_t)i);
	for (i = 0; burst_fds && i < NBURST; i++)
		pthread_create(&burster_threads[i], NULL, burster, &bursters[i]);
	/* a leftover item stops the run: the kernel's state is damaged */
	while (fuzz_now() - start < opt.f.duration && !atomic_load(&stop))
		usleep(100000);
	atomic_store(&stop, true);
	for (i = 0; i < NWAIT; i++)
		pthread_join(waiters[i], NULL);
	for (i = 0; i < NNEST; i++)
		pthread_join(nesters[i], NULL);
	for (i = 0; i < NHUBWAIT; i++)
		pthread_join(hub_waiters[i], NULL);
	for (i = 0; burst_fds && i < NBURST; i++)
		pthread_join(burster_threads[i], NULL);
	for (i = 0; i < NCHURN; i++) {
		pthread_join(churners[i], (void **)&pipes);
		for (j = 0; j < PIPES; j++)
			watched += pipes[j].watched;
		free(pipes);
	}
	bad = opt.native ? 0 : check_stats(watched);
	bad |= nest_finish();
	start = fuzz_now() - start;
	printf("threadfuzz: %.0f s, %ld waits (%.0f/s), %ld events, ",
	       start, atomic_load(&waits), atomic_load(&waits) / start,
	       atomic_load(&delivered));
	printf("%ld inserts, %ld removes, %ld violations\n",
	       atomic_load(&inserts), atomic_load(&removes),
	       atomic_load(&violations));
	printf("threadfuzz: %ld nested ADDs, %ld hub waits, ",
	       atomic_load(&nest_adds), atomic_load(&hub_waits));
	printf("%ld closes of watched files, %ld burst files, %ld checks, ",
	       atomic_load(&reuse_closes), atomic_load(&burst_files),
	       atomic_load(&burst_checks));
	printf("%ld grace periods\n", atomic_load(&grace_periods));
	if (opt.f.json)
		printf("{\"tool\": \"threadfuzz\", \"seed\": %llu, %s %.1f, %s %ld, %s %ld}\n",
		       opt.f.seed, "\"seconds\":", start, "\"waits\":", atomic_load(&waits),
		       "\"violations\":", atomic_load(&violations) + bad);
	if (bad || atomic_load(&violations)) {
		printf("threadfuzz: FAILED\n");
		return 1;
	}
	printf("threadfuzz: PASS\n");
	return 0;
}
