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
 *
 * Every measurement alternates epoll and iepoll round by round and prints
 * medians (and the 90th percentile) in microseconds, with iepoll/epoll.
 * --csv prints "what,mux,median_us,p90_us" rows instead.  It measures; it
 * asserts nothing about time.  Run it as root in the VM, with the module
 * loaded: scripts/vm -- tools/iepoll-costs close
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "iepoll-tools.h"

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

static void die(const char *what)
{
	fprintf(stderr, "iepoll-costs: %s: %s\n", what, strerror(errno));
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
			fprintf(stderr, "iepoll-costs: %s, %s: no sign of the close after 5 s\n",
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

static int cmd_fanout(int width)
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

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: iepoll-costs close|fanout|add [-n ROUNDS] [-w WIDTH] [--csv]\n"
		"  close   close() of a watched file to its peer seeing it, per file kind\n"
		"  fanout  refusals of 3 levels of WIDTH (40) instances over a pipe, and\n"
		"          the cost of one write at the bottom\n"
		"  add     ADD+DEL of one file, and ADD of new files, with 1,000 and\n"
		"          100,000 files watched over 10 instances\n"
		"Epoll and iepoll alternate round by round; medians and 90th percentiles\n"
		"in microseconds, and iepoll/epoll.  Needs /dev/iepoll (run in the VM).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int width = 40, c, probe;

	while ((c = getopt_long(argc, argv, "n:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			rounds = atoi(optarg);
			break;
		case 'w':
			width = atoi(optarg);
			break;
		case 'c':
			csv = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || rounds < 2 || width < 1 || width > 1000) {
		print_usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	probe = iepoll_create1(0);
	if (probe < 0) {
		fprintf(stderr, "iepoll-costs: %s: %s (is the module loaded?)\n",
			IEPOLL_DEVICE, strerror(errno));
		return 1;
	}
	close(probe);
	if (!strcmp(cmd, "close"))
		return cmd_close();
	if (!strcmp(cmd, "fanout"))
		return cmd_fanout(width);
	if (!strcmp(cmd, "add"))
		return cmd_add();
	print_usage(stderr);
	return 2;
}
