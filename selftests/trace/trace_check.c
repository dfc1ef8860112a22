// SPDX-License-Identifier: GPL-2.0
/*
 * trace_check - the iepoll trace events, the hist trigger and the statistics,
 * checked against scripted scenarios.  One test per invocation:
 *
 *   trace_check scenario   run the scenario (see run_scenario()) with no
 *                          tracing set up (the workload of trace-cmd, perf,
 *                          bpftrace)
 *   trace_check sequence   the scenario's exact event sequence and fields
 *   trace_check closed     a closed, ready file is removed at its close
 *   trace_check sleep      a sleeping waiter woken by a callback
 *   trace_check latency0   latency_ns is 0 when readiness was not stamped
 *   trace_check hist       hist triggers on iepoll_deliver
 *   trace_check stats      IEPOLL_IOC_STATS and fdinfo after the scenario
 *   trace_check submit     IEPOLL_IOC_SUBMIT: its changes' events, then
 *                          iepoll_submit, then its wait; STATS_V2 agrees
 *   trace_check fallback   a ptmx master: iepoll_fallback, then the sweep
 *   trace_check detach     a signalfd's sighand freed: iepoll_detach
 *   trace_check docs FILE  FILE's table of events (docs/tracing.md) names
 *                          every event and field of the format files, and
 *                          nothing else
 *   trace_check record FILE  the workloads of sequence, submit, fallback
 *                          and detach, every event on: the trace into FILE
 *   trace_check parse FILE the iepoll events of trace FILE, one a line, as
 *                          "event field=value ...", read by the format files
 *                          (tools/iepoll-trace reads them alike: run.sh
 *                          compares the two)
 *
 * Diagnostics go to stdout as "# " lines; the exit status is 0 (pass),
 * 1 (fail) or 4 (skip, after a "SKIP: reason" line).  run.sh turns these
 * into TAP.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "iepoll-tools.h"
#include "trace_format.h"

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define MAX_EVENTS	256
#define NSEC_PER_MSEC	1000000LL

#define TRACEFS		"/sys/kernel/tracing"

static struct tfs tfs;
static char trigger_off[2][256];
/* The formats of the iepoll events, read when tracing is set up. */
static struct tfmt_set fmts;

static void cleanup(void)
{
	int i;

	if (!tfs.dir[0])
		return;
	for (i = 0; i < 2; i++)
		if (trigger_off[i][0])
			tfs_write(&tfs, "events/iepoll/iepoll_deliver/trigger",
				  trigger_off[i]);
	tfs_remove(&tfs);
}

/* Interrupted: exit() still runs cleanup(), which matters for the trigger. */
static void on_signal(int sig)
{
	exit(128 + sig);
}

static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void fail_errno(const char *what)
{
	msg("%s: %s", what, strerror(errno));
	exit(KSFT_FAIL);
}

static unsigned long ino_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		fail_errno("fstat");
	return st.st_ino;
}

static u32 instance_id(int iep)
{
	struct iepoll_stats st;

	if (iepoll_get_stats(iep, &st))
		fail_errno("IEPOLL_IOC_STATS");
	return st.id;
}

static void put(int fd)
{
	if (write(fd, "x", 1) != 1)
		fail_errno("write");
}

static void ctl(int iep, int op, int fd, u32 events, u64 data)
{
	if (iep_ctl(iep, op, fd, events, data))
		fail_errno("IEPOLL_IOC_CTL");
}

static int wait_for(int iep, int maxevents, int64_t timeout_ns)
{
	struct epoll_event ev[8];
	int n = iep_wait(iep, ev, maxevents, timeout_ns);

	if (n < 0)
		fail_errno("IEPOLL_IOC_WAIT");
	return n;
}

/* Items of this instance, from IEPOLL_IOC_STATS. */
static u64 items_now(int iep)
{
	struct iepoll_stats st;

	if (iepoll_get_stats(iep, &st))
		fail_errno("IEPOLL_IOC_STATS");
	return st.items;
}

/*
 * The scenario: a pipe ADDed, written, waited for, MODded to ONESHOT,
 * written twice, waited for, closed; what it saw is kept for the checks.
 */
struct scenario {
	int iep;
	u32 id;
	int rfd;
	unsigned long ino;
	int res[3];		/* the three waits' results */
	u64 items_after_close;	/* items right after close(), before a wait */
};

static void run_scenario(struct scenario *s)
{
	int p[2];

	s->iep = iepoll_create1(O_CLOEXEC);
	if (s->iep < 0)
		fail_errno("open /dev/iepoll");
	s->id = instance_id(s->iep);
	if (pipe(p))
		fail_errno("pipe");
	s->rfd = p[0];
	s->ino = ino_of(p[0]);

	/* ADD a pipe, write, wait: delivered once, level-triggered re-queue. */
	ctl(s->iep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0x1111);
	put(p[1]);
	s->res[0] = wait_for(s->iep, 4, 0);
	/* MOD to ONESHOT, write twice, wait: delivered once more, disarmed. */
	ctl(s->iep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 0x2222);
	put(p[1]);
	put(p[1]);
	s->res[1] = wait_for(s->iep, 4, 0);
	/*
	 * Close the pipe, write end first: its release wakes the read side
	 * (key 0) while the item is disarmed.  The last close of the read
	 * end removes the item then and there, as epoll does.  Then wait
	 * 300 ms: nothing may come.
	 */
	close(p[1]);
	close(p[0]);
	s->items_after_close = items_now(s->iep);
	s->res[2] = wait_for(s->iep, 4, 300 * NSEC_PER_MSEC);
}

static bool flag_in(const char *tok, const char *mask)
{
	char m[96], t[48];

	snprintf(m, sizeof(m), "|%s|", mask);
	snprintf(t, sizeof(t), "|%s|", tok);
	return strstr(m, t);
}

static int flag_count(const char *mask)
{
	int n = !!*mask;

	for (; *mask; mask++)
		n += *mask == '|';
	return n;
}

/* Flag masks are compared as sets of names: "EPOLLIN|EPOLLHUP". */
static bool flags_equal(const char *want, const char *got)
{
	char w[96], *tok, *s = w;

	if (flag_count(want) != flag_count(got))
		return false;
	snprintf(w, sizeof(w), "%s", want);
	while ((tok = strsep(&s, "|")))
		if (!flag_in(tok, got))
			return false;
	return true;
}

/*
 * Compare event @e with @name and the expected fields @fmt, written like the
 * event's own output ("id 3 fd 4 ...").  A value "*" matches anything, ">0"
 * any positive number; flag masks (__print_flags() in the format) compare
 * as sets.  Every field must be there, and no other: the expectation is
 * read by the event's format, as the trace line was.
 */
static bool match(const struct trec *e, const char *name, const char *fmt, ...)
{
	const struct tfmt *f = e->fmt;
	char want[256];
	struct trec x;
	va_list ap;
	bool ok = true;
	int i;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (strcmp(f->name, name)) {
		msg("expected %s: %s", name, want);
		msg("got      %s", e->line);
		return false;
	}
	if (trec_parse_payload(f, want, &x, false)) {
		msg("bad expectation for %s: %s", name, want);
		return false;
	}
	for (i = 0; ok && i < f->nvalues; i++) {
		const char *w = x.val[i], *v = e->val[i];

		if (!strcmp(w, "*"))
			continue;
		else if (!strcmp(w, ">0"))
			ok = trec_num(e, f->v[i].field) > 0;
		else if (f->v[i].flags)
			ok = flags_equal(w, v);
		else
			ok = !strcmp(w, v);
	}
	if (!ok) {
		msg("expected %s: %s", name, want);
		msg("got      %s", e->line);
	}
	return ok;
}

/* Read the instance's buffer and keep the events of instance @id. */
static int read_events(u32 id, struct trec *ev, char **bufp)
{
	struct trec *all = calloc(MAX_EVENTS, sizeof(*all));
	int i, n, k = 0;

	*bufp = tfs_read(&tfs, "trace");
	if (!*bufp || !all)
		exit(KSFT_FAIL);
	n = trec_parse(&fmts, *bufp, all, MAX_EVENTS);
	if (n < 0) {
		msg("the trace buffer could not be parsed");
		exit(KSFT_FAIL);
	}
	for (i = 0; i < n; i++)
		if (trec_num(&all[i], "id") == id)
			ev[k++] = all[i];
	free(all);
	return k;
}

static void dump(const struct trec *ev, int n)
{
	int i;

	msg("the %d events of the instance:", n);
	for (i = 0; i < n; i++)
		msg("  %s", ev[i].line);
}

/* The end of a test: show the events if it failed, then clean up. */
static int verdict(int bad, const struct trec *ev, int n, char *buf, int iep)
{
	if (bad)
		dump(ev, n);
	free(buf);
	if (iep >= 0)
		close(iep);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

/* The formats of the iepoll events under tracefs directory @root. */
static int load_formats(const char *root)
{
	char dir[300];

	snprintf(dir, sizeof(dir), "%s/events/iepoll", root);
	if (tfmt_load(&fmts, dir)) {
		msg("cannot read the formats of the iepoll events in %s", dir);
		return -1;
	}
	return 0;
}

static void setup_tracing(const char *name)
{
	if (access("/dev/iepoll", F_OK)) {
		printf("SKIP: /dev/iepoll is missing: the module is not loaded\n");
		exit(KSFT_SKIP);
	}
	if (tfs_create(&tfs, name))
		exit(KSFT_FAIL);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (load_formats(tfs.dir))
		exit(KSFT_FAIL);
}

/* A new instance; its id in @id. */
static int new_instance(u32 *id)
{
	int iep = iepoll_create1(O_CLOEXEC);

	if (iep < 0)
		fail_errno("open /dev/iepoll");
	*id = instance_id(iep);
	return iep;
}

/* A new instance, with every iepoll event on in the test's tracefs instance. */
static int traced_instance(u32 *id)
{
	setup_tracing("iepoll-selftest");
	if (tfs_iepoll_events(&tfs, true))
		exit(KSFT_FAIL);
	return new_instance(id);
}

static int test_sequence(void)
{
	struct trec ev[MAX_EVENTS];
	int i, n, k = 0, bad = 0;
	struct scenario s;
	char *buf;

	setup_tracing("iepoll-selftest");
	if (tfs_iepoll_events(&tfs, true))
		return KSFT_FAIL;
	run_scenario(&s);
	tfs_iepoll_events(&tfs, false);
	n = read_events(s.id, ev, &buf);
	msg("instance %u, pipe read end fd %d ino %lu", s.id, s.rfd, s.ino);
	msg("waits returned %d %d %d, %llu items right after the close",
	    s.res[0], s.res[1], s.res[2],
	    (unsigned long long)s.items_after_close);

#define NEXT(name, ...) do {						\
		const char *next_name = (name);				\
									\
		if (k == n) {						\
			msg("missing %s", next_name);			\
			bad++;						\
		} else if (!match(&ev[k++], next_name, __VA_ARGS__)) {	\
			bad++;						\
		}							\
	} while (0)

/* A wait that does not sleep and delivers the pipe once. */
#define NEXT_WAIT_ONE(data, requeued) do {				\
		NEXT("iepoll_wait_enter", "id %u maxevents 4 timeout_ns 0",	\
		     s.id);						\
		NEXT("iepoll_deliver",					\
		     "id %u fd %d revents EPOLLIN data 0x%x latency_ns >0",	\
		     s.id, s.rfd, data);				\
		NEXT("iepoll_send_events",				\
		     "id %u maxevents 4 delivered 1 requeued %d overflow 0",	\
		     s.id, requeued);					\
		NEXT("iepoll_wait_exit", "id %u res 1 slept 0", s.id);	\
	} while (0)

	NEXT("iepoll_create", "id %u pid %d comm trace_check", s.id, getpid());
	NEXT("iepoll_insert",
	     "id %u fd %d ino %lu events EPOLLIN|EPOLLERR|EPOLLHUP data 0x1111 ready 0",
	     s.id, s.rfd, s.ino);
	NEXT("iepoll_callback",
	     "id %u fd %d key EPOLLIN|EPOLLRDNORM outcome READY exclusive 0 woke 0",
	     s.id, s.rfd);
	/* LT: delivered and re-queued */
	NEXT_WAIT_ONE(0x1111, 1);
	NEXT("iepoll_modify",
	     "id %u fd %d ino %lu events EPOLLIN|EPOLLERR|EPOLLHUP|EPOLLONESHOT data 0x2222 ready 1",
	     s.id, s.rfd, s.ino);
	for (i = 0; i < 2; i++)
		NEXT("iepoll_callback",
		     "id %u fd %d key EPOLLIN|EPOLLRDNORM outcome ALREADY exclusive 0 woke 0",
		     s.id, s.rfd);
	/* ONESHOT: delivered and disarmed */
	NEXT_WAIT_ONE(0x2222, 0);
	NEXT("iepoll_callback", "id %u fd %d key  outcome DISARMED exclusive 0 woke 0",
	     s.id, s.rfd);
	/* the last close of the read end, in the closing task */
	NEXT("iepoll_remove",
	     "id %u fd %d ino %lu events * data 0x2222 reason CLOSE",
	     s.id, s.rfd, s.ino);
	NEXT("iepoll_wait_enter", "id %u maxevents 4 timeout_ns 300000000", s.id);
	NEXT("iepoll_wait_exit", "id %u res 0 slept 1", s.id);
	for (; k < n; k++) {
		msg("unexpected event: %s", ev[k].line);
		bad++;
	}
	if (s.items_after_close != 0) {
		msg("%llu items right after the close, expected 0",
		    (unsigned long long)s.items_after_close);
		bad++;
	}
	if (s.res[0] != 1 || s.res[1] != 1 || s.res[2] != 0) {
		msg("the waits returned %d %d %d, expected 1 1 0",
		    s.res[0], s.res[1], s.res[2]);
		bad++;
	}
	return verdict(bad, ev, n, buf, -1);
}

/*
 * A file closed while ready, level-triggered and armed: its last close
 * removes it (reason CLOSE) before close() returns, and the next wait does
 * not report it, as with epoll.
 */
static int test_closed(void)
{
	struct trec ev[MAX_EVENTS];
	int p[2], q[2], iep, i, n, res, bad = 0, deliver_q = 0, closed = 0;
	unsigned long qino;
	u64 items;
	u32 id;
	char *buf;

	iep = traced_instance(&id);
	if (pipe(p) || pipe(q))
		fail_errno("pipe");
	qino = ino_of(q[0]);
	ctl(iep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0x1);
	ctl(iep, EPOLL_CTL_ADD, q[0], EPOLLIN, 0x2);
	put(p[1]);
	put(q[1]);
	close(q[0]);	/* the write end stays open: q stays readable */
	items = items_now(iep);
	res = wait_for(iep, 4, 0);
	tfs_iepoll_events(&tfs, false);
	n = read_events(id, ev, &buf);
	for (i = 0; i < n; i++) {
		if (!strcmp(ev[i].fmt->name, "iepoll_deliver") &&
		    trec_num(&ev[i], "data") == 0x2)
			deliver_q++;
		if (!strcmp(ev[i].fmt->name, "iepoll_remove")) {
			if (match(&ev[i], "iepoll_remove",
				  "id %u fd %d ino %lu events EPOLLIN|EPOLLERR|EPOLLHUP data 0x2 reason CLOSE",
				  id, q[0], qino))
				closed++;
			else
				bad++;
		}
	}
	msg("instance %u: %llu items right after the close, the wait returned %d",
	    id, (unsigned long long)items, res);
	if (items != 1) {
		msg("expected 1 item right after the close, got %llu",
		    (unsigned long long)items);
		bad++;
	}
	if (res != 1) {
		msg("expected 1 event (the open pipe), got %d", res);
		bad++;
	}
	if (deliver_q) {
		msg("the closed pipe was delivered %d times", deliver_q);
		bad++;
	}
	if (closed != 1) {
		msg("expected one CLOSE removal of the closed pipe, got %d",
		    closed);
		bad++;
	}
	return verdict(bad, ev, n, buf, iep);
}

static void *late_write(void *arg)
{
	usleep(100 * 1000);
	put(*(int *)arg);
	return NULL;
}

/* A waiter sleeps; a write 100 ms later runs the callback that wakes it. */
static int test_sleep(void)
{
	struct trec ev[MAX_EVENTS];
	struct iepoll_stats st;
	int p[2], iep, n, k = 0, bad = 0, res;
	pthread_t thr;
	u32 id;
	char *buf;

	iep = traced_instance(&id);
	if (pipe(p))
		fail_errno("pipe");
	ctl(iep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 0x7);
	if (pthread_create(&thr, NULL, late_write, &p[1]))
		fail_errno("pthread_create");
	res = wait_for(iep, 4, 5000 * NSEC_PER_MSEC);
	pthread_join(thr, NULL);
	tfs_iepoll_events(&tfs, false);
	if (iepoll_get_stats(iep, &st))
		fail_errno("IEPOLL_IOC_STATS");
	n = read_events(id, ev, &buf);
	msg("instance %u: the wait returned %d; stats: wakeups %llu", id, res,
	    (unsigned long long)st.wakeups);
	NEXT("iepoll_create", "id %u pid %d comm trace_check", id, getpid());
	NEXT("iepoll_insert",
	     "id %u fd %d ino %lu events EPOLLIN|EPOLLERR|EPOLLHUP|EPOLLET data 0x7 ready 0",
	     id, p[0], ino_of(p[0]));
	NEXT("iepoll_wait_enter", "id %u maxevents 4 timeout_ns 5000000000", id);
	NEXT("iepoll_callback",
	     "id %u fd %d key EPOLLIN|EPOLLRDNORM outcome READY exclusive 0 woke 1",
	     id, p[0]);
	NEXT("iepoll_deliver", "id %u fd %d revents EPOLLIN data 0x7 latency_ns >0",
	     id, p[0]);
	NEXT("iepoll_send_events", "id %u maxevents 4 delivered 1 requeued 0 overflow 0",
	     id);
	NEXT("iepoll_wait_exit", "id %u res 1 slept 1", id);
	for (; k < n; k++) {
		msg("unexpected event: %s", ev[k].line);
		bad++;
	}
	if (res != 1 || st.wakeups != 1) {
		msg("expected 1 event and 1 wakeup, got %d and %llu", res,
		    (unsigned long long)st.wakeups);
		bad++;
	}
	return verdict(bad, ev, n, buf, iep);
}

/*
 * IEPOLL_IOC_SUBMIT, twice.  With per-change results: ADD and MOD of a
 * readable pipe and a DEL of a pipe never added (ENOENT), then a wait.
 * Without: a DEL of the pipe, then a MOD of it, which fails and stops the
 * call; no wait.
 */
struct submit_run {
	int iep;
	u32 id;
	int p[2], q[2];
	unsigned long ino;
	int res[2], err;	/* the calls' results, the second's errno */
	int results[3];
	unsigned int applied[2];
};

static void run_submit(struct submit_run *r)
{
	struct timespec zero = { 0 };
	struct epoll_event ev[4];
	struct iepoll_ctl ch[3] = {
		{ .op = EPOLL_CTL_ADD, .events = EPOLLIN, .data = 0x31 },
		{ .op = EPOLL_CTL_MOD, .events = EPOLLIN | EPOLLET, .data = 0x32 },
		{ .op = EPOLL_CTL_DEL },
	};

	r->iep = new_instance(&r->id);
	if (pipe(r->p) || pipe(r->q))
		fail_errno("pipe");
	r->ino = ino_of(r->p[0]);
	put(r->p[1]);
	ch[0].fd = r->p[0];
	ch[1].fd = r->p[0];
	ch[2].fd = r->q[0];
	r->res[0] = iepoll_submit(r->iep, ch, 3, r->results, &r->applied[0],
				  ev, 4, &zero, NULL);
	memset(ch, 0, sizeof(ch));
	ch[0].op = EPOLL_CTL_DEL;
	ch[0].fd = r->p[0];
	ch[1].op = EPOLL_CTL_MOD;
	ch[1].fd = r->p[0];
	ch[1].events = EPOLLIN;
	ch[1].data = 0x33;
	errno = 0;
	r->res[1] = iepoll_submit(r->iep, ch, 2, NULL, &r->applied[1], ev, 0,
				  &zero, NULL);
	r->err = errno;
}

static int test_submit(void)
{
	struct trec ev[MAX_EVENTS];
	struct iepoll_stats_v2 st;
	int i, n, k = 0, bad = 0, calls = 0;
	long long changes = 0;
	struct submit_run r;
	char *buf;

	setup_tracing("iepoll-selftest");
	if (tfs_iepoll_events(&tfs, true))
		return KSFT_FAIL;
	run_submit(&r);
	tfs_iepoll_events(&tfs, false);
	if (iepoll_get_stats_v2(r.iep, &st))
		fail_errno("IEPOLL_IOC_STATS_V2");
	n = read_events(r.id, ev, &buf);
	msg("instance %u: the first SUBMIT returned %d (applied %u, results %d %d %d)",
	    r.id, r.res[0], r.applied[0], r.results[0], r.results[1],
	    r.results[2]);
	msg("the second returned %d (%s, applied %u)", r.res[1],
	    strerror(r.err), r.applied[1]);
	msg("stats_v2: submits %llu changes %llu inserts %llu modifies %llu removes %llu",
	    (unsigned long long)st.submits, (unsigned long long)st.changes,
	    (unsigned long long)st.stats.inserts,
	    (unsigned long long)st.stats.modifies,
	    (unsigned long long)st.stats.removes);
	NEXT("iepoll_create", "id %u pid %d comm trace_check", r.id, getpid());
	/* each change fires its own event, before iepoll_submit */
	NEXT("iepoll_insert",
	     "id %u fd %d ino %lu events EPOLLIN|EPOLLERR|EPOLLHUP data 0x31 ready 1",
	     r.id, r.p[0], r.ino);
	NEXT("iepoll_modify",
	     "id %u fd %d ino %lu events EPOLLIN|EPOLLERR|EPOLLHUP|EPOLLET data 0x32 ready 1",
	     r.id, r.p[0], r.ino);
	NEXT("iepoll_submit", "id %u nchanges 3 applied 3 failed 1 maxevents 4",
	     r.id);
	/* then its wait */
	NEXT("iepoll_wait_enter", "id %u maxevents 4 timeout_ns 0", r.id);
	NEXT("iepoll_deliver", "id %u fd %d revents EPOLLIN data 0x32 latency_ns >0",
	     r.id, r.p[0]);
	NEXT("iepoll_send_events", "id %u maxevents 4 delivered 1 requeued 0 overflow 0",
	     r.id);
	NEXT("iepoll_wait_exit", "id %u res 1 slept 0", r.id);
	NEXT("iepoll_remove",
	     "id %u fd %d ino %lu events EPOLLIN|EPOLLERR|EPOLLHUP|EPOLLET data 0x32 reason CTL",
	     r.id, r.p[0], r.ino);
	NEXT("iepoll_submit", "id %u nchanges 2 applied 1 failed 1 maxevents 0",
	     r.id);
	for (; k < n; k++) {
		msg("unexpected event: %s", ev[k].line);
		bad++;
	}
	/* the trace's count of SUBMIT calls and changes is the instance's */
	for (i = 0; i < n; i++) {
		if (strcmp(ev[i].fmt->name, "iepoll_submit"))
			continue;
		calls++;
		changes += trec_num(&ev[i], "applied");
	}
	if (st.submits != 2 || st.changes != 4 || calls != 2 || changes != 4) {
		msg("expected 2 SUBMIT calls and 4 changes in STATS_V2 and in the trace");
		msg("got %llu and %llu in STATS_V2, %d and %lld in the trace",
		    (unsigned long long)st.submits, (unsigned long long)st.changes,
		    calls, changes);
		bad++;
	}
	if (st.stats.inserts != 1 || st.stats.modifies != 1 ||
	    st.stats.removes != 1 || st.stats.items != 0) {
		msg("expected 1 insert, 1 modify, 1 remove, 0 items");
		bad++;
	}
	if (r.res[0] != 1 || r.applied[0] != 3 || r.results[0] ||
	    r.results[1] || r.results[2] != -ENOENT || r.res[1] != -1 ||
	    r.err != ENOENT || r.applied[1] != 1) {
		msg("expected 1 event, 3 applied, results 0 0 %d; then -1 ENOENT, 1 applied",
		    -ENOENT);
		bad++;
	}
	return verdict(bad, ev, n, buf, r.iep);
}

/*
 * A ptmx master sends no close event (FMODE_NONOTIFY): its ADD is followed
 * by iepoll_fallback, and after its close the sweep (every
 * sweep_interval_ms, in a kworker) removes it, reason SWEEP.
 */
struct fallback_run {
	int iep;
	u32 id;
	int m;
	unsigned long ino;
	u64 items;		/* once the sweep ran, or after 2 s */
};

static int run_fallback(struct fallback_run *r)
{
	int i;

	r->m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (r->m < 0)
		return -1;
	r->iep = new_instance(&r->id);
	r->ino = ino_of(r->m);
	ctl(r->iep, EPOLL_CTL_ADD, r->m, EPOLLOUT, 0x77);
	close(r->m);
	for (i = 0; i < 200 && (r->items = items_now(r->iep)); i++)
		usleep(10 * 1000);
	return 0;
}

static int test_fallback(void)
{
	struct trec ev[MAX_EVENTS];
	struct iepoll_stats_v2 st;
	struct fallback_run r;
	int n, k = 0, bad = 0;
	char *buf;

	setup_tracing("iepoll-selftest");
	if (tfs_iepoll_events(&tfs, true))
		return KSFT_FAIL;
	if (run_fallback(&r)) {
		printf("SKIP: /dev/ptmx: %s\n", strerror(errno));
		return KSFT_SKIP;
	}
	tfs_iepoll_events(&tfs, false);
	if (iepoll_get_stats_v2(r.iep, &st))
		fail_errno("IEPOLL_IOC_STATS_V2");
	n = read_events(r.id, ev, &buf);
	msg("instance %u: ptmx master fd %d ino %lu", r.id, r.m, r.ino);
	msg("stats_v2: fallback %llu closes %llu items %llu",
	    (unsigned long long)st.fallback,
	    (unsigned long long)st.closes, (unsigned long long)st.stats.items);
	NEXT("iepoll_create", "id %u pid %d comm trace_check", r.id, getpid());
	NEXT("iepoll_insert",
	     "id %u fd %d ino %lu events EPOLLOUT|EPOLLERR|EPOLLHUP data 0x77 ready 1",
	     r.id, r.m, r.ino);
	NEXT("iepoll_fallback", "id %u fd %d ino %lu", r.id, r.m, r.ino);
	NEXT("iepoll_remove",
	     "id %u fd %d ino %lu events EPOLLOUT|EPOLLERR|EPOLLHUP data 0x77 reason SWEEP",
	     r.id, r.m, r.ino);
	for (; k < n; k++) {
		msg("unexpected event: %s", ev[k].line);
		bad++;
	}
	if (st.fallback != 1 || st.closes != 1 || st.stats.items != 0) {
		msg("expected fallback 1, closes 1, items 0 after the sweep");
		bad++;
	}
	return verdict(bad, ev, n, buf, r.iep);
}

/*
 * POLLFREE: a child ADDs a signalfd, so the item hooks the child's
 * sighand; reaping the child frees it, and iepoll_detach says that the
 * item lost that hook (it stays in the instance).
 */
struct detach_run {
	int iep;
	u32 id;
	int sfd;
	unsigned long ino;
	int status;		/* the child's, 0 when its ADD succeeded */
	u64 items;		/* after the child was reaped */
};

static void run_detach(struct detach_run *r)
{
	sigset_t mask;
	pid_t pid;

	r->iep = new_instance(&r->id);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		fail_errno("sigprocmask");
	r->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sfd < 0)
		fail_errno("signalfd");
	r->ino = ino_of(r->sfd);
	pid = fork();
	if (pid < 0)
		fail_errno("fork");
	if (pid == 0)	/* _exit(): no atexit cleanup in the child */
		_exit(iep_ctl(r->iep, EPOLL_CTL_ADD, r->sfd, EPOLLIN, 0x9) ? 1 : 0);
	if (waitpid(pid, &r->status, 0) != pid)
		fail_errno("waitpid");
	r->items = items_now(r->iep);
}

static int test_detach(void)
{
	struct trec ev[MAX_EVENTS];
	struct detach_run r;
	int n, k = 0, bad = 0;
	char *buf;

	setup_tracing("iepoll-selftest");
	if (tfs_iepoll_events(&tfs, true))
		return KSFT_FAIL;
	run_detach(&r);
	tfs_iepoll_events(&tfs, false);
	n = read_events(r.id, ev, &buf);
	msg("instance %u: signalfd %d ino %lu, the child's status %d",
	    r.id, r.sfd, r.ino, r.status);
	msg("%llu items after the child was reaped", (unsigned long long)r.items);
	NEXT("iepoll_create", "id %u pid %d comm trace_check", r.id, getpid());
	NEXT("iepoll_insert",
	     "id %u fd %d ino %lu events EPOLLIN|EPOLLERR|EPOLLHUP data 0x9 ready 0",
	     r.id, r.sfd, r.ino);
	/* the sighand's wait queue is woken with POLLFREE, then unhooked */
	NEXT("iepoll_callback",
	     "id %u fd %d key EPOLLHUP|POLLFREE outcome READY exclusive 0 woke 0",
	     r.id, r.sfd);
	NEXT("iepoll_detach", "id %u fd %d ino %lu", r.id, r.sfd, r.ino);
	for (; k < n; k++) {
		msg("unexpected event: %s", ev[k].line);
		bad++;
	}
	if (r.status != 0 || r.items != 1) {
		msg("expected the child's ADD to succeed and the item to stay");
		bad++;
	}
	close(r.sfd);
	return verdict(bad, ev, n, buf, r.iep);
}

#undef NEXT_WAIT_ONE
#undef NEXT

/*
 * latency_ns is 0 for an item that became ready while iepoll_deliver was
 * off, even if an earlier readiness of the item was stamped: that one ended
 * when a transfer found the pipe drained and dropped the item unreported.
 */
static int test_latency0(void)
{
	struct trec ev[MAX_EVENTS];
	int p[2], iep, i, n, res[2], delivers = 0, bad = 0;
	char c, *buf;
	u32 id;

	setup_tracing("iepoll-selftest");
	if (tfs_write(&tfs, "events/iepoll/iepoll_deliver/enable", "1"))
		return KSFT_FAIL;
	iep = new_instance(&id);
	if (pipe(p))
		fail_errno("pipe");
	ctl(iep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0x9);
	put(p[1]);			/* ready, stamped */
	if (read(p[0], &c, 1) != 1)	/* drained before any wait */
		fail_errno("read");
	res[0] = wait_for(iep, 4, 0);	/* dropped, nothing reported */
	tfs_write(&tfs, "events/iepoll/iepoll_deliver/enable", "0");
	put(p[1]);			/* ready while the event is off */
	tfs_write(&tfs, "events/iepoll/iepoll_deliver/enable", "1");
	res[1] = wait_for(iep, 4, 0);	/* delivered */
	tfs_write(&tfs, "events/iepoll/iepoll_deliver/enable", "0");
	n = read_events(id, ev, &buf);
	msg("instance %u: the waits returned %d and %d", id, res[0], res[1]);
	for (i = 0; i < n; i++) {
		msg("  %s", ev[i].line);
		if (strcmp(ev[i].fmt->name, "iepoll_deliver"))
			continue;
		delivers++;
		if (!match(&ev[i], "iepoll_deliver",
			   "id %u fd %d revents EPOLLIN data 0x9 latency_ns 0",
			   id, p[0]))
			bad++;
	}
	if (res[0] != 0 || res[1] != 1 || delivers != 1) {
		msg("expected the waits to return 0 and 1, and one iepoll_deliver");
		bad++;
	}
	free(buf);
	close(iep);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

/* One histogram of a "hist" file: its trigger, rows and totals. */
struct hist {
	char trigger[256];
	long long hits, entries, dropped;
	long long rows, row_sum;
	long long key_hits[8][2];	/* first rows: key, hitcount */
};

/* Split a "hist" file into its histograms, in order of appearance. */
static int parse_hists(char *buf, struct hist *h, int max)
{
	char *line, *p;
	int n = -1;

	while ((line = strsep(&buf, "\n"))) {
		if (!strncmp(line, "# event histogram", 17)) {
			if (++n == max)
				return -1;
			memset(&h[n], 0, sizeof(h[n]));
			h[n].hits = -1;
			h[n].entries = -1;
			h[n].dropped = -1;
			continue;
		}
		if (n < 0)
			continue;
		if (!strncmp(line, "# trigger info: ", 16)) {
			snprintf(h[n].trigger, sizeof(h[n].trigger), "%s",
				 line + 16);
		} else if (line[0] == '{') {
			p = strstr(line, "hitcount:");
			if (!p)
				return -1;
			if (h[n].rows < 8) {
				h[n].key_hits[h[n].rows][0] =
					strtoll(strchr(line, ':') + 1, NULL, 0);
				h[n].key_hits[h[n].rows][1] =
					strtoll(p + 9, NULL, 0);
			}
			h[n].row_sum += strtoll(p + 9, NULL, 0);
			h[n].rows++;
		} else if (strstr(line, "Hits:")) {
			h[n].hits = strtoll(strstr(line, "Hits:") + 5, NULL, 0);
		} else if (strstr(line, "Entries:")) {
			h[n].entries = strtoll(strstr(line, "Entries:") + 8, NULL, 0);
		} else if (strstr(line, "Dropped:")) {
			h[n].dropped = strtoll(strstr(line, "Dropped:") + 8, NULL, 0);
		}
	}
	return n + 1;
}

/*
 * Three level-triggered ready pipes, five waits: 15 deliveries.  A
 * histogram keyed on latency_ns.log2 must count 15 hits; one keyed on fd
 * must have exactly three entries of five hits each.
 */
static int test_hist(void)
{
	char trig[2][160], *buf;
	struct hist h[4];
	int p[3][2], iep, i, j, n, bad = 0;
	u32 id;

	setup_tracing("iepoll-selftest");
	iep = new_instance(&id);
	snprintf(trig[0], sizeof(trig[0]),
		 "hist:keys=latency_ns.log2:vals=hitcount:sort=latency_ns if id == %u", id);
	snprintf(trig[1], sizeof(trig[1]),
		 "hist:keys=fd:vals=hitcount,latency_ns:sort=fd if id == %u", id);
	for (i = 0; i < 2; i++) {
		if (tfs_write(&tfs, "events/iepoll/iepoll_deliver/trigger", trig[i]))
			return KSFT_FAIL;
		snprintf(trigger_off[i], sizeof(trigger_off[i]), "!%.200s", trig[i]);
	}
	if (tfs_iepoll_events(&tfs, true))
		return KSFT_FAIL;
	for (i = 0; i < 3; i++) {
		if (pipe(p[i]))
			fail_errno("pipe");
		ctl(iep, EPOLL_CTL_ADD, p[i][0], EPOLLIN, i);
		put(p[i][1]);
	}
	for (i = 0; i < 5; i++) {
		n = wait_for(iep, 8, 0);
		if (n != 3) {
			msg("wait %d returned %d, expected 3", i, n);
			bad++;
		}
	}
	tfs_iepoll_events(&tfs, false);
	buf = tfs_read(&tfs, "events/iepoll/iepoll_deliver/hist");
	if (!buf)
		return KSFT_FAIL;
	printf("%s", "# --- events/iepoll/iepoll_deliver/hist:\n");
	{
		char *copy = strdup(buf), *line, *s = copy;

		while (copy && (line = strsep(&s, "\n")))
			if (line[0])
				msg("  %s", line);
		free(copy);
	}
	n = parse_hists(buf, h, 4);
	if (n != 2) {
		msg("expected 2 histograms, found %d", n);
		free(buf);
		return KSFT_FAIL;
	}
	for (i = 0; i < 2; i++) {
		/* The file lists the triggers in its own order. */
		bool log2 = strstr(h[i].trigger, "latency_ns.log2");

		if (h[i].hits != 15 || h[i].dropped != 0 || h[i].row_sum != 15) {
			msg("%s: hits %lld (rows sum %lld), dropped %lld: expected 15, 15, 0",
			    h[i].trigger, h[i].hits, h[i].row_sum, h[i].dropped);
			bad++;
		}
		if (log2) {
			if (h[i].entries < 1 || h[i].entries != h[i].rows) {
				msg("%s: %lld entries, %lld rows", h[i].trigger,
				    h[i].entries, h[i].rows);
				bad++;
			}
			continue;
		}
		if (h[i].entries != 3 || h[i].rows != 3) {
			msg("%s: %lld entries, %lld rows: expected 3 (one per pipe)",
			    h[i].trigger, h[i].entries, h[i].rows);
			bad++;
			continue;
		}
		for (j = 0; j < 3; j++) {
			if (h[i].key_hits[j][0] != p[j][0] ||
			    h[i].key_hits[j][1] != 5) {
				msg("%s: row %d: fd %lld hitcount %lld",
				    h[i].trigger, j, h[i].key_hits[j][0],
				    h[i].key_hits[j][1]);
				msg("expected fd %d hitcount 5", p[j][0]);
				bad++;
			}
		}
	}
	free(buf);
	close(iep);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

/*
 * ABI 2: IEPOLL_IOC_STATS_V2 carries the same counters as IEPOLL_IOC_STATS
 * and the creator, which fdinfo shows too.
 */
static int check_stats_v2(int iep, const struct iepoll_stats *st)
{
	struct iepoll_stats_v2 v2;
	int bad = 0;

	if (ioctl(iep, IEPOLL_IOC_STATS_V2, &v2))
		fail_errno("IEPOLL_IOC_STATS_V2");
	msg("stats_v2  pid %d comm %.16s (expected %d trace_check), fdinfo iepoll-pid %lld",
	    v2.pid, v2.comm, (int)getpid(), fdinfo_get(iep, "iepoll-pid"));
	if (memcmp(&v2.stats, st, sizeof(*st))) {
		msg("the counters of IEPOLL_IOC_STATS_V2 differ from IEPOLL_IOC_STATS");
		bad++;
	}
	if (v2.pid != getpid() || strcmp(v2.comm, "trace_check") ||
	    fdinfo_get(iep, "iepoll-pid") != getpid())
		bad++;
	return bad;
}

/* The scenario's counters: the ioctl, fdinfo and the expectation agree. */
static int test_stats(void)
{
	/* 3 callbacks from writes, 1 from the write end's release. */
	static const u64 want[IEPOLL_NSTATS] = {
		1, 1, 1, 4, 0, 2, 0, 3, 1, 0, 1, 0,
	};
	struct iepoll_stats st;
	struct scenario s;
	long long fi;
	int bad = 0;
	size_t i;

	if (access("/dev/iepoll", F_OK)) {
		printf("SKIP: /dev/iepoll is missing: the module is not loaded\n");
		return KSFT_SKIP;
	}
	run_scenario(&s);
	if (iepoll_get_stats(s.iep, &st))
		fail_errno("IEPOLL_IOC_STATS");
	fi = fdinfo_get(s.iep, "iepoll-id");
	msg("instance %u (fdinfo iepoll-id: %lld)", st.id, fi);
	if (fi != st.id || st.id != s.id) {
		msg("the ids differ: stats %u, fdinfo %lld, first stats %u",
		    st.id, fi, s.id);
		bad++;
	}
	for (i = 0; i < IEPOLL_NSTATS; i++) {
		u64 v = iepoll_stat(&st, i);

		fi = fdinfo_get(s.iep, iepoll_stat_names[i]);
		msg("%-10s ioctl %llu fdinfo %lld expected %llu",
		    iepoll_stat_names[i], (unsigned long long)v, fi,
		    (unsigned long long)want[i]);
		if (v != want[i] || fi != (long long)v)
			bad++;
	}
	bad += check_stats_v2(s.iep, &st);
	close(s.iep);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

/* The whole of file @path, NUL-terminated and malloc()ed, or NULL. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t size = 0;
	ssize_t len;

	if (!f)
		return NULL;
	len = getdelim(&buf, &size, '\0', f);
	fclose(f);
	if (len < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const char * const number_words[] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
	"nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
	"sixteen", "seventeen", "eighteen", "nineteen", "twenty",
};

/* A row of the table of events, as the page lists it. */
struct doc_row {
	int line;
	char event[TFMT_NAME_LEN];
	int nfields;
	char fields[TFMT_MAX_FIELDS + 1][TFMT_NAME_LEN];
	bool seen;
};

/*
 * Read a row "| `iepoll_x` | `a` (what a is), `b` | when |": the event is
 * the first cell's code span, its fields `id` (the table says "after
 * `id`") and the code spans of the second cell outside parentheses.  A
 * "\|" is a | inside a cell.  Returns 0, or -1 if the row is malformed.
 */
static int doc_row(char *line, struct doc_row *r)
{
	int cell = 0, depth = 0;
	char *p, *code = NULL;

	r->nfields = 1;
	snprintf(r->fields[0], sizeof(r->fields[0]), "id");
	r->event[0] = '\0';
	for (p = line; *p && cell <= 2; p++) {
		if (*p == '\\' && p[1] == '|') {
			p++;
			continue;
		}
		if (*p == '|' && !code) {
			cell++;
			depth = 0;
			continue;
		}
		if (*p == '`') {
			size_t len;

			if (!code) {
				code = p + 1;
				continue;
			}
			len = p - code;
			if (cell == 1 && !r->event[0]) {
				if (len >= sizeof(r->event))
					return -1;
				memcpy(r->event, code, len);
				r->event[len] = '\0';
			} else if (cell == 2 && !depth) {
				if (r->nfields == TFMT_MAX_FIELDS + 1 ||
				    len >= sizeof(r->fields[0]))
					return -1;
				memcpy(r->fields[r->nfields], code, len);
				r->fields[r->nfields++][len] = '\0';
			}
			code = NULL;
			continue;
		}
		if (code)
			continue;
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth)
			depth--;
	}
	return r->event[0] ? 0 : -1;
}

static void list_fields(char *out, size_t size, int n,
			const char (*fields)[TFMT_NAME_LEN])
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += snprintf(out + len, size - len, "%s%s", i ? " " : "",
				fields[i]);
}

/*
 * The table of events of @path (docs/tracing.md) against the format files:
 * every event has one row, every row is an event, and each row lists the
 * event's fields in the format's order.  A count of the events in words
 * ("iepoll has twelve") must be right too.
 */
static int test_docs(const char *path)
{
	static struct doc_row rows[TFMT_MAX_EVENTS * 2];
	char *text, *line, *s, *p, want[512], got[512];
	int nrows = 0, lineno = 0, bad = 0, fields = 0, i, j;
	const struct tfmt *f;

	if (access("/dev/iepoll", F_OK)) {
		printf("SKIP: /dev/iepoll is missing: the module is not loaded\n");
		return KSFT_SKIP;
	}
	text = read_file(path);
	if (!text) {
		printf("SKIP: cannot read %s (%s): run outside the repository\n",
		       path, strerror(errno));
		return KSFT_SKIP;
	}
	if (load_formats(TRACEFS))
		return KSFT_FAIL;
	s = text;
	while ((line = strsep(&s, "\n"))) {
		lineno++;
		p = strstr(line, "iepoll has ");
		if (p) {
			size_t k;

			p += strlen("iepoll has ");
			for (k = 0; k < ARRAY_SIZE(number_words); k++) {
				size_t len = strlen(number_words[k]);

				if (strncmp(p, number_words[k], len) ||
				    isalpha((unsigned char)p[len]))
					continue;
				if ((int)k != fmts.n) {
					msg("%s:%d: says iepoll has %s, events/iepoll/ has %d",
					    path, lineno, number_words[k], fmts.n);
					bad++;
				}
			}
		}
		if (strncmp(line, "| `iepoll_", 10))
			continue;
		if (nrows == (int)ARRAY_SIZE(rows)) {
			msg("%s:%d: too many rows", path, lineno);
			return KSFT_FAIL;
		}
		memset(&rows[nrows], 0, sizeof(rows[0]));
		rows[nrows].line = lineno;
		if (doc_row(line, &rows[nrows])) {
			msg("%s:%d: a row of the table of events that this check cannot read: %s",
			    path, lineno, line);
			bad++;
			continue;
		}
		nrows++;
	}
	for (i = 0; i < fmts.n; i++) {
		struct doc_row *r = NULL;

		f = &fmts.ev[i];
		fields += f->nfields;
		list_fields(want, sizeof(want), f->nfields, f->fields);
		for (j = 0; j < nrows; j++) {
			if (strcmp(rows[j].event, f->name))
				continue;
			if (r) {
				msg("%s:%d: %s has a second row (the first at line %d)",
				    path, rows[j].line, f->name, r->line);
				bad++;
			}
			r = &rows[j];
			r->seen = true;
		}
		if (!r) {
			msg("%s: the table of events has no row for %s (fields %s)",
			    path, f->name, want);
			bad++;
			continue;
		}
		list_fields(got, sizeof(got), r->nfields,
			    (const char (*)[TFMT_NAME_LEN])r->fields);
		if (strcmp(want, got)) {
			msg("%s:%d: %s: the table lists the fields %s",
			    path, r->line, f->name, got);
			msg("%s:%d: %s: its format file has      %s",
			    path, r->line, f->name, want);
			bad++;
		}
	}
	for (j = 0; j < nrows; j++) {
		if (!rows[j].seen) {
			msg("%s:%d: the table lists %s, which events/iepoll/ does not have",
			    path, rows[j].line, rows[j].event);
			bad++;
		}
	}
	if (!bad)
		msg("%s: %d events with %d fields, as their format files have them",
		    path, fmts.n, fields);
	free(text);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

/*
 * The workloads of sequence, submit, fallback and detach with every iepoll
 * event on; the trace goes into @path, for the parsers to read.
 */
static int record(const char *path)
{
	struct fallback_run fb;
	struct submit_run sub;
	struct detach_run dt;
	struct scenario s;
	char *buf;
	FILE *out;
	bool ok;

	setup_tracing("iepoll-selftest");
	if (tfs_iepoll_events(&tfs, true))
		return KSFT_FAIL;
	run_scenario(&s);
	run_submit(&sub);
	if (run_fallback(&fb))
		msg("/dev/ptmx: %s: no iepoll_fallback in the trace", strerror(errno));
	run_detach(&dt);
	tfs_iepoll_events(&tfs, false);
	buf = tfs_read(&tfs, "trace");
	if (!buf)
		return KSFT_FAIL;
	out = fopen(path, "w");
	if (!out)
		fail_errno(path);
	ok = fputs(buf, out) >= 0;
	ok &= !fclose(out);
	free(buf);
	return ok ? KSFT_PASS : KSFT_FAIL;
}

/* Each iepoll event of trace @path as "event field=value ...". */
static int parse(const char *path)
{
	struct trec *r = calloc(4096, sizeof(*r));
	char *text = read_file(path);
	int i, j, n;

	if (!text || !r)
		fail_errno(path);
	if (load_formats(TRACEFS))
		return KSFT_FAIL;
	n = trec_parse(&fmts, text, r, 4096);
	if (n < 0)
		return KSFT_FAIL;
	for (i = 0; i < n; i++) {
		const struct tfmt *f = r[i].fmt;

		printf("%s", f->name);
		for (j = 0; j < f->nvalues; j++) {
			const struct tfmt_value *v = &f->v[j];

			if (strchr("di", v->conv))
				printf(" %s=%lld", v->field, trec_num(&r[i], v->field));
			else if (strchr("uxXo", v->conv))
				printf(" %s=%llu", v->field,
				       (unsigned long long)trec_num(&r[i], v->field));
			else
				printf(" %s=%s", v->field, r[i].val[j]);
		}
		printf("\n");
	}
	free(text);
	free(r);
	return KSFT_PASS;
}

static const struct {
	const char *name;
	int (*run)(void);
} tests[] = {
	{ "sequence", test_sequence },
	{ "closed", test_closed },
	{ "sleep", test_sleep },
	{ "latency0", test_latency0 },
	{ "hist", test_hist },
	{ "stats", test_stats },
	{ "submit", test_submit },
	{ "fallback", test_fallback },
	{ "detach", test_detach },
};

/* The modes that take a file. */
static const struct {
	const char *name;
	int (*run)(const char *path);
} file_modes[] = {
	{ "docs", test_docs },
	{ "record", record },
	{ "parse", parse },
};

int main(int argc, char **argv)
{
	struct scenario s;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3) {
		for (i = 0; i < ARRAY_SIZE(file_modes); i++)
			if (!strcmp(argv[1], file_modes[i].name))
				return file_modes[i].run(argv[2]);
		goto usage;
	}
	if (argc != 2)
		goto usage;
	if (!strcmp(argv[1], "scenario")) {
		run_scenario(&s);
		printf("instance %u: waits returned %d %d %d, %llu items after the close\n",
		       s.id, s.res[0], s.res[1], s.res[2],
		       (unsigned long long)s.items_after_close);
		return s.items_after_close ? KSFT_FAIL : KSFT_PASS;
	}
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		if (!strcmp(argv[1], tests[i].name))
			return tests[i].run();
usage:
	fprintf(stderr, "usage: %s scenario", argv[0]);
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		fprintf(stderr, "|%s", tests[i].name);
	fprintf(stderr, "\n       %s ", argv[0]);
	for (i = 0; i < ARRAY_SIZE(file_modes); i++)
		fprintf(stderr, "%s%s", i ? "|" : "", file_modes[i].name);
	fprintf(stderr, " FILE\n");
	return 2;
}
