// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-costs - what closing, wakeup paths and file tracking cost in
 * iepoll, measured side by side with native epoll in one run.
 *
 *   iepoll-costs close  [-n ROUNDS]   close() to the peer seeing it, per
 *                                     file kind
 *   iepoll-costs fanout [-n ROUNDS] [-w WIDTH]
 *                                     refusals of a 3-level fan-out over a
 *                                     pipe, and the cost of one write at
 *                                     the bottom
 *   iepoll-costs add    [-n ROUNDS]   ADD+DEL of one file, and the first
 *                                     ADD of a new file, with 1,000 and
 *                                     100,000 files watched over 10
 *                                     instances
 *   iepoll-costs shared [-n ROUNDS]   what another user's eventfd
 *                                     create+close costs while this
 *                                     process watches nothing, or one
 *                                     eventfd through epoll or iepoll,
 *                                     ADDed, or ADDed then DELed
 *
 * close, fanout and add alternate epoll and iepoll round by round and
 * print medians (and the 90th percentile) in microseconds, with
 * iepoll/epoll.  --csv prints "what,mux,median_us,p90_us" rows instead.
 *
 * shared is the cost to others of what iepoll watches: every eventfd,
 * timerfd, signalfd and epoll file shares one anonymous inode, so the
 * fsnotify mark iepoll puts there for one watched eventfd is met by every
 * close of such a file on the system.  A child of uid and gid 65534 times
 * batches of 1,000 eventfd create+close pairs while this process is in
 * each of five states in turn: nothing watched; one eventfd ADDed to
 * epoll; one ADDed to iepoll; one ADDed to epoll and DELeted again, kept
 * open; the same with iepoll.  Each round runs every state once, in a new
 * random order (the same from run to run).  Each state is set up 10 ms
 * before its batch, which gives the work the last one's teardown deferred
 * (RCU frees, the mark's) time to run, and closed after it.  It prints ns
 * per pair (median and 90th percentile of the batches), the median
 * against nothing watched, and the median of each round's batch against
 * that round's nothing-watched batch ("paired").  --csv: "what,mux,
 * median_ns,p90_ns,vs_nothing,paired_vs_nothing", mux "none" for nothing
 * watched.
 *
 * It measures; it asserts nothing about time.  Run it as root in the VM,
 * with the module loaded: scripts/vm -- tools/iepoll-costs shared
 *
 * Exit status: 0, 1 if a measurement failed, 2 on a bad argument (the
 * convention of lib/tool.h: the command line is checked before the device
 * is opened).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iepoll-tools.h"
#include "lib/tool.h"

#define PROG	"iepoll-costs"

struct mux {
	const char *name;
	int (*create1)(int flags);
	int (*ctl)(int epfd, int op, int fd, struct epoll_event *ev);
	int (*wait)(int epfd, struct epoll_event *ev, int max, int timeout);
};

static const struct mux muxes[2] = {
	{ "epoll", epoll_create1, epoll_ctl, epoll_wait },
	{ "iepoll", iepoll_create1, iepoll_ctl, iepoll_wait },
};

static bool csv;
static int rounds = 200;
static int width = 40;	/* fanout's */

static void die(const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v and returns its element at @pct percent. */
static long long pct(long long *v, int n, int pct)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[(long long)(n - 1) * pct / 100];
}

/* One line per measurement: both muxes, their ratio. */
static void report(const char *what, long long *v[2], int n)
{
	double med[2], p90[2];
	int m;

	for (m = 0; m < 2; m++) {
		p90[m] = pct(v[m], n, 90) / 1000.0;
		med[m] = pct(v[m], n, 50) / 1000.0;
		if (csv)
			printf("%s,%s,%.2f,%.2f\n", what, muxes[m].name,
			       med[m], p90[m]);
	}
	if (!csv)
		printf("%-28s %10.2f %10.2f %10.2f %10.2f %8.2f\n", what,
		       med[0], p90[0], med[1], p90[1],
		       med[0] > 0 ? med[1] / med[0] : 0);
	fflush(stdout);
}

static void header(const char *unit)
{
	if (csv)
		printf("what,mux,median_us,p90_us\n");
	else
		printf("%-28s %10s %10s %10s %10s %8s\n%-28s %21s %21s\n",
		       "", "epoll", "", "iepoll", "", "iepoll/", unit,
		       "median      p90", "median      p90");
}

static long long *samples(void)
{
	long long *v = calloc(rounds, sizeof(*v));

	if (!v)
		die("calloc");
	return v;
}

static int watched(const struct mux *mx, int ep, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (mx->ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("ADD");
	return fd;
}

/* ------------------------------------------------------------------ */
/* close: from close() to the peer seeing it                            */

enum kind { K_UNIX, K_TCP, K_PIPE, K_EVENTFD, K_NKINDS };

static const char *const kind_names[K_NKINDS] = {
	"unix socket", "tcp over loopback", "pipe (watched write end)",
	"eventfd (watched elsewhere)",
};

static int tcp_listener = -1;
static struct sockaddr_in tcp_addr;

static void tcp_pair(int sv[2])
{
	socklen_t len = sizeof(tcp_addr);
	int one = 1;

	if (tcp_listener < 0) {
		tcp_listener = socket(AF_INET, SOCK_STREAM, 0);
		tcp_addr.sin_family = AF_INET;
		tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (tcp_listener < 0 ||
		    bind(tcp_listener, (void *)&tcp_addr, sizeof(tcp_addr)) ||
		    listen(tcp_listener, 16) ||
		    getsockname(tcp_listener, (void *)&tcp_addr, &len))
			die("tcp listener on 127.0.0.1");
	}
	sv[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (sv[1] < 0 || connect(sv[1], (void *)&tcp_addr, sizeof(tcp_addr)))
		die("connect 127.0.0.1");
	sv[0] = accept(tcp_listener, NULL, NULL);
	if (sv[0] < 0)
		die("accept");
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* The time from close() to what shows that the close took effect. */
static long long close_once(const struct mux *mx, enum kind k)
{
	struct pollfd pfd = { .events = POLLIN | POLLRDHUP };
	struct epoll_event ev;
	int ep = mx->create1(0), other = -1, fds[2], victim;
	long long t0, t;

	if (ep < 0)
		die(mx->name);
	switch (k) {
	case K_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
			die("socketpair");
		break;
	case K_TCP:
		tcp_pair(fds);
		break;
	case K_PIPE:
		if (pipe(fds))
			die("pipe");
		/* watch the write end, the reader waits for EOF */
		t = fds[0];
		fds[0] = fds[1];
		fds[1] = t;
		break;
	case K_EVENTFD:
		fds[0] = eventfd(1, 0);
		fds[1] = -1;
		other = mx->create1(0);
		if (fds[0] < 0 || other < 0)
			die("eventfd");
		watched(mx, other, fds[0], EPOLLIN);
		break;
	default:
		abort();
	}
	victim = watched(mx, ep, fds[0], k == K_PIPE ? EPOLLOUT : EPOLLIN);

	t0 = now_ns();
	close(victim);
	for (;;) {
		if (k == K_EVENTFD) {
			/* the other instance no longer reports it */
			if (mx->wait(other, &ev, 1, 0) == 0)
				break;
		} else {
			pfd.fd = fds[1];
			if (poll(&pfd, 1, 0) == 1 &&
			    (pfd.revents & (POLLHUP | POLLRDHUP)))
				break;
		}
		if (now_ns() - t0 > 5000000000LL) {
			fprintf(stderr, PROG ": %s, %s: no sign of the close after 5 s\n",
				mx->name, kind_names[k]);
			exit(1);
		}
	}
	t = now_ns() - t0;
	if (fds[1] >= 0)
		close(fds[1]);
	if (other >= 0)
		close(other);
	close(ep);
	return t;
}

static int cmd_close(void)
{
	long long *v[2];
	enum kind k;
	int r, m, i;

	header("close to seen, us");
	for (k = 0; k < K_NKINDS; k++) {
		v[0] = samples();
		v[1] = samples();
		/* alternate which goes first, round by round */
		for (r = 0; r < rounds; r++)
			for (i = 0; i < 2; i++) {
				m = (r + i) % 2;
				v[m][r] = close_once(&muxes[m], k);
			}
		report(kind_names[k], v, rounds);
		free(v[0]);
		free(v[1]);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* fanout: 3 levels of WIDTH instances over one pipe                   */

struct fanout {
	int p[2];
	int *eps;
	int neps;
	int refused;
	int adds;
};

static void fanout_build(const struct mux *mx, struct fanout *f, int w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int l, i, j, below;

	memset(f, 0, sizeof(*f));
	if (pipe(f->p))
		die("pipe");
	f->eps = calloc(3 * w, sizeof(int));
	if (!f->eps)
		die("calloc");
	for (l = 0; l < 3; l++) {
		for (i = 0; i < w; i++) {
			int ep = mx->create1(0);

			if (ep < 0)
				die(mx->name);
			f->eps[f->neps++] = ep;
			for (j = 0; j < (l ? w : 1); j++) {
				below = l ? f->eps[(l - 1) * w + j] : f->p[0];
				f->adds++;
				if (mx->ctl(ep, EPOLL_CTL_ADD, below, &ev)) {
					if (errno != EINVAL)
						die("ADD");
					f->refused++;
				}
			}
		}
	}
}

static void fanout_free(struct fanout *f)
{
	while (f->neps)
		close(f->eps[--f->neps]);
	free(f->eps);
	close(f->p[0]);
	close(f->p[1]);
}

static int cmd_fanout(void)
{
	struct fanout f[2];
	long long *v[2];
	char c, what[64];
	int r, m;

	for (m = 0; m < 2; m++)
		fanout_build(&muxes[m], &f[m], width);
	if (!csv)
		printf("3 levels of %d over a pipe: refused: epoll %d of %d, iepoll %d of %d\n",
		       width, f[0].refused, f[0].adds, f[1].refused,
		       f[1].adds);
	header("one write+read, us");
	v[0] = samples();
	v[1] = samples();
	for (r = 0; r < rounds; r++) {
		for (m = 0; m < 2; m++) {
			long long t0 = now_ns();

			if (write(f[m].p[1], "x", 1) != 1 ||
			    read(f[m].p[0], &c, 1) != 1)
				die("pipe");
			v[m][r] = now_ns() - t0;
		}
	}
	snprintf(what, sizeof(what), "write at the bottom (w=%d)", width);
	report(what, v, rounds);
	for (m = 0; m < 2; m++)
		fanout_free(&f[m]);
	free(v[0]);
	free(v[1]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* add: ADD+DEL with N files watched over 10 instances                 */

#define ADD_INSTANCES	10

static int *watch_many(const struct mux *mx, int *eps, int n)
{
	int *fds = calloc(n, sizeof(int)), i;

	if (!fds)
		die("calloc");
	for (i = 0; i < n; i++) {
		fds[i] = eventfd(0, 0);
		if (fds[i] < 0)
			die("eventfd (raise the descriptor limit)");
		watched(mx, eps[i % ADD_INSTANCES], fds[i], EPOLLIN);
	}
	return fds;
}

static int cmd_add(void)
{
	static const int sizes[] = { 1000, 100000 };
	struct rlimit rl = { 2 * 100000 + 1024, 2 * 100000 + 1024 };
	int eps[2][ADD_INSTANCES], *fds[2], probe, s, m, r, i;
	struct epoll_event ev = { .events = EPOLLIN };
	long long *v[2];
	char what[64];

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit RLIMIT_NOFILE 201024");
	header("us per call");
	for (s = 0; s < 2; s++) {
		for (m = 0; m < 2; m++) {
			for (i = 0; i < ADD_INSTANCES; i++) {
				eps[m][i] = muxes[m].create1(0);
				if (eps[m][i] < 0)
					die(muxes[m].name);
			}
			fds[m] = watch_many(&muxes[m], eps[m], sizes[s]);
		}
		probe = eventfd(0, 0);
		v[0] = samples();
		v[1] = samples();
		/* the same file again and again: ADD then DEL */
		for (r = 0; r < rounds; r++) {
			for (m = 0; m < 2; m++) {
				int ep = eps[m][r % ADD_INSTANCES];
				long long t0 = now_ns();

				if (muxes[m].ctl(ep, EPOLL_CTL_ADD, probe, &ev) ||
				    muxes[m].ctl(ep, EPOLL_CTL_DEL, probe, NULL))
					die("ADD/DEL");
				v[m][r] = now_ns() - t0;
			}
		}
		snprintf(what, sizeof(what), "ADD+DEL, %d watched", sizes[s]);
		report(what, v, rounds);
		/* a new file each time: its first ADD */
		for (r = 0; r < rounds; r++) {
			for (m = 0; m < 2; m++) {
				int ep = eps[m][r % ADD_INSTANCES];
				int efd = eventfd(0, 0);
				long long t0 = now_ns();

				if (efd < 0 ||
				    muxes[m].ctl(ep, EPOLL_CTL_ADD, efd, &ev))
					die("ADD");
				v[m][r] = now_ns() - t0;
				close(efd);
			}
		}
		snprintf(what, sizeof(what), "new file ADD, %d watched",
			 sizes[s]);
		report(what, v, rounds);
		free(v[0]);
		free(v[1]);
		close(probe);
		for (m = 0; m < 2; m++) {
			for (i = 0; i < sizes[s]; i++)
				close(fds[m][i]);
			free(fds[m]);
			for (i = 0; i < ADD_INSTANCES; i++)
				close(eps[m][i]);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* shared: eventfd create+close by another user, whatever we watch     */

#define SHARED_BATCH	1000
#define SHARED_UID	65534
#define SHARED_SETTLE_MS	10

enum state { S_NOTHING, S_EPOLL_ADD, S_IEPOLL_ADD, S_EPOLL_DEL,
	     S_IEPOLL_DEL, S_NSTATES };

static const struct {
	const char *what;	/* the --csv "what" */
	const char *mux;	/* the --csv "mux", NULL for nothing */
	const char *row;
} states[S_NSTATES] = {
	{ "nothing watched", NULL, "nothing watched" },
	{ "one eventfd ADDed", "epoll", "epoll: one eventfd ADDed" },
	{ "one eventfd ADDed", "iepoll", "iepoll: one eventfd ADDed" },
	{ "one eventfd ADDed+DELed kept open", "epoll",
	  "epoll: ADDed, DELed, kept open" },
	{ "one eventfd ADDed+DELed kept open", "iepoll",
	  "iepoll: ADDed, DELed, kept open" },
};

struct loop_child {
	pid_t pid;
	int go;		/* one byte: run a batch */
	int done;	/* the batch's time in ns, a long long */
};

/*
 * A child of uid and gid 65534 that runs batches of SHARED_BATCH eventfd
 * create+close pairs on request and sends back each batch's time.
 */
static void loop_start(struct loop_child *lc)
{
	int go[2], done[2];
	long long t0, t;
	char c;
	int i, fd;

	if (pipe(go) || pipe(done))
		die("pipe");
	lc->pid = fork();
	if (lc->pid < 0)
		die("fork");
	if (lc->pid) {
		close(go[0]);
		close(done[1]);
		lc->go = go[1];
		lc->done = done[0];
		return;
	}
	close(go[1]);
	close(done[0]);
	if (setgroups(0, NULL) || setgid(SHARED_UID) || setuid(SHARED_UID))
		die("dropping to uid/gid 65534 (run it as root)");
	while (read(go[0], &c, 1) == 1) {
		t0 = now_ns();
		for (i = 0; i < SHARED_BATCH; i++) {
			fd = eventfd(0, 0);
			if (fd < 0)
				die("eventfd");
			close(fd);
		}
		t = now_ns() - t0;
		if (write(done[1], &t, sizeof(t)) != sizeof(t))
			die("pipe");
	}
	_exit(0);
}

static long long loop_batch(struct loop_child *lc)
{
	long long t;

	if (write(lc->go, "g", 1) != 1 ||
	    read(lc->done, &t, sizeof(t)) != sizeof(t))
		die("the child of uid 65534");
	return t;
}

static void loop_stop(struct loop_child *lc)
{
	int status;

	close(lc->go);
	close(lc->done);
	if (waitpid(lc->pid, &status, 0) != lc->pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("the child of uid 65534 failed");
}

/* What the watching process holds in state @s: an instance, an eventfd. */
static void shared_enter(enum state s, int *ep, int *efd)
{
	const struct mux *mx = NULL;

	*ep = -1;
	*efd = -1;
	if (s == S_EPOLL_ADD || s == S_EPOLL_DEL)
		mx = &muxes[0];
	else if (s == S_IEPOLL_ADD || s == S_IEPOLL_DEL)
		mx = &muxes[1];
	if (!mx)
		return;
	*ep = mx->create1(0);
	*efd = eventfd(0, 0);
	if (*ep < 0 || *efd < 0)
		die(mx->name);
	watched(mx, *ep, *efd, EPOLLIN);
	if ((s == S_EPOLL_DEL || s == S_IEPOLL_DEL) &&
	    mx->ctl(*ep, EPOLL_CTL_DEL, *efd, NULL))
		die("DEL");
}

static void shared_leave(int ep, int efd)
{
	if (efd >= 0)
		close(efd);
	if (ep >= 0)
		close(ep);
}

/*
 * Put @v in a new random order.  The states run in a new order every
 * round, so that none always follows the teardown of the same other one.
 */
static void shuffle(int *v, int n, unsigned int *seed)
{
	int i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = rand_r(seed) % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_shared(void)
{
	double med[S_NSTATES], paired[S_NSTATES], p90, *ratio;
	struct timespec settle = { 0, SHARED_SETTLE_MS * 1000000L };
	int order[S_NSTATES], r, i, s, ep, efd;
	unsigned int seed = 1;
	struct loop_child lc;
	long long *v[S_NSTATES];

	for (s = 0; s < S_NSTATES; s++) {
		v[s] = samples();
		order[s] = s;
	}
	ratio = calloc(rounds, sizeof(*ratio));
	if (!ratio)
		die("calloc");
	loop_start(&lc);
	/* warm up the child's slabs and caches */
	for (i = 0; i < 3; i++)
		loop_batch(&lc);
	for (r = 0; r < rounds; r++) {
		shuffle(order, S_NSTATES, &seed);
		for (i = 0; i < S_NSTATES; i++) {
			s = order[i];
			shared_enter(s, &ep, &efd);
			/* let the last state's deferred frees run first */
			nanosleep(&settle, NULL);
			v[s][r] = loop_batch(&lc);
			shared_leave(ep, efd);
		}
	}
	loop_stop(&lc);

	if (csv)
		printf("what,mux,median_ns,p90_ns,vs_nothing,paired_vs_nothing\n");
	else
		printf("eventfd create+close by uid %d, batches of %d, %d rounds\n"
		       "%-31s %10s %10s %10s %10s\n%-31s %10s %10s %10s %10s\n",
		       SHARED_UID, SHARED_BATCH, rounds,
		       "", "median", "p90", "median/", "paired",
		       "the watching process", "ns/pair", "ns/pair",
		       "nothing", "/nothing");
	/* per round against the same round's nothing-watched batch */
	for (s = 0; s < S_NSTATES; s++) {
		for (r = 0; r < rounds; r++)
			ratio[r] = v[0][r] ? (double)v[s][r] / v[0][r] : 0;
		qsort(ratio, rounds, sizeof(*ratio), cmp_double);
		paired[s] = ratio[(rounds - 1) / 2];
	}
	for (s = 0; s < S_NSTATES; s++) {
		p90 = pct(v[s], rounds, 90) / (double)SHARED_BATCH;
		med[s] = pct(v[s], rounds, 50) / (double)SHARED_BATCH;
		if (csv)
			printf("%s,%s,%.1f,%.1f,%.3f,%.3f\n", states[s].what,
			       states[s].mux ? states[s].mux : "none",
			       med[s], p90, med[s] / med[0], paired[s]);
		else
			printf("%-31s %10.0f %10.0f %10.3f %10.3f\n",
			       states[s].row, med[s], p90, med[s] / med[0],
			       paired[s]);
	}
	fflush(stdout);
	for (s = 0; s < S_NSTATES; s++)
		free(v[s]);
	free(ratio);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " close|fanout|add|shared [-n ROUNDS] [-w WIDTH] [--csv]\n"
		"What closing, wakeup paths and file tracking cost in iepoll, beside\n"
		"native epoll in one run:\n"
		"  close   close() of a watched file to its peer seeing it, per file kind\n"
		"  fanout  refusals of 3 levels of WIDTH instances over a pipe, and\n"
		"          the cost of one write at the bottom\n"
		"  add     ADD+DEL of one file, and ADD of new files, with 1,000 and\n"
		"          100,000 files watched over 10 instances\n"
		"  shared  eventfd create+close by uid 65534, in ns per pair, while this\n"
		"          process watches nothing, or one eventfd ADDed, or ADDed and\n"
		"          DELeted but open, with epoll and with iepoll; each against\n"
		"          nothing watched\n"
		"Epoll and iepoll alternate round by round; medians and 90th percentiles\n"
		"in microseconds, and iepoll/epoll (shared: all five states each round).\n"
		"Needs /dev/iepoll and root (run in the VM).\n"
		"\n"
		"  -n ROUNDS       rounds, at least 2 (default 200)\n"
		"  -w WIDTH        fanout: instances per level, 1 to 1000 (default 40)\n"
		"      --csv       CSV rows instead of the table\n"
		"  -h, --help      this text\n"
		"  -V, --version   the version\n"
		"\n"
		"Exit status: 0, 1 if a measurement failed, 2 on a bad argument.\n");
}

static const struct {
	const char *name;
	int (*run)(void);
} commands[] = {
	{ "close", cmd_close },
	{ "fanout", cmd_fanout },
	{ "add", cmd_add },
	{ "shared", cmd_shared },
};

int main(int argc, char **argv)
{
	static const struct tool tool = { .name = PROG, .usage = usage };
	static const struct option longopts[] = {
		{ "csv", no_argument, NULL, 'c' },
		TOOL_OPT_HELP,
		TOOL_OPT_VERSION,
		{ }
	};
	size_t i, n = ARRAY_SIZE(commands);
	int c, probe;

	tool_init(&tool, argv);
	while ((c = tool_getopt(argc, argv, "n:w:hV", longopts)) != -1) {
		switch (c) {
		case 'n':
			rounds = tool_number("-n", optarg, 2, INT_MAX);
			break;
		case 'w':
			width = tool_number("-w", optarg, 1, 1000);
			break;
		case 'c':
			csv = true;
			break;
		}
	}
	if (optind == argc)
		tool_usage_error("no command: close, fanout, add or shared");
	for (i = 0; i < n && strcmp(argv[optind], commands[i].name); i++)
		;
	if (i == n)
		tool_usage_error("unknown command '%s'", argv[optind]);
	if (optind + 1 < argc)
		tool_usage_error("unexpected argument '%s'", argv[optind + 1]);

	probe = iepoll_create1(0);
	if (probe < 0) {
		fprintf(stderr, PROG ": %s: %s (is the module loaded?)\n",
			IEPOLL_DEVICE, strerror(errno));
		return 1;
	}
	close(probe);
	return commands[i].run();
}
