// SPDX-License-Identifier: GPL-2.0
/*
 * trace_waiter - a small multi-threaded epoll program for iepoll-trace's
 * tests, run under tools/iepoll-trace (so through iepoll-run's library).
 *
 * Usage: trace_waiter ROUNDS [--fds N] [--until-term]
 *
 * The main thread's instance watches N pipes (1 unless --fds, at most 256):
 * ROUNDS times a byte is written to each, all are waited for (one
 * epoll_wait of up to N events, until all came) and read: with many fds a
 * round is a burst of events that a tiny ring buffer cannot hold.  A second
 * thread's instance gets one event, then waits with no timeout: it is still
 * blocked in that wait when the process exits (its IEPOLL_IOC_STATS, read
 * at exit, cannot count it: the module counts a wait when it returns).
 * With --until-term the rounds go on, one per 10 ms, until SIGTERM, and
 * the process then exits 0 (as a server ended by its own signal).
 * Exits 0, or 1 with a message if an epoll call fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static int started[2];
static pid_t blocked_tid;

static void fail(const char *what)
{
	fprintf(stderr, "trace_waiter: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* An instance watching the read end of a new pipe; @w gets the write end. */
static int instance(int *r, int *w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int p[2], ep;

	if (pipe(p))
		fail("pipe");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		fail("epoll_create1");
	ev.data.fd = p[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev))
		fail("epoll_ctl");
	*r = p[0];
	*w = p[1];
	return ep;
}

#define MAX_FDS 256

/* One byte written to each of @n pipes, waited for and read back. */
static void round_trip(int ep, const int *w, int n)
{
	struct epoll_event ev[MAX_FDS];
	int i, got, left = n;
	char c = 'x';

	for (i = 0; i < n; i++)
		if (write(w[i], &c, 1) != 1)
			fail("write");
	while (left > 0) {
		got = epoll_wait(ep, ev, n, 1000);
		if (got <= 0)
			fail("epoll_wait");
		for (i = 0; i < got; i++)
			if (read(ev[i].data.fd, &c, 1) != 1)
				fail("read");
		left -= got;
	}
}

static void *blocked(void *arg)
{
	struct epoll_event ev;
	int ep, r, w;

	(void)arg;
	ep = instance(&r, &w);
	round_trip(ep, &w, 1);
	blocked_tid = gettid();
	if (write(started[1], "", 1) != 1)
		fail("write");
	/* Never returns: nothing writes to this pipe again. */
	for (;;)
		if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
			fail("epoll_wait");
	return NULL;
}

/* Is thread @tid of this process asleep ("S" in its stat)? */
static int sleeping(pid_t tid)
{
	char path[64], line[256], *paren;
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f)) {
		paren = strrchr(line, ')');
		ret = paren && paren[1] == ' ' && paren[2] == 'S';
	}
	fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int ep, r[MAX_FDS], w[MAX_FDS], until_term = 0, n = 1, a;
	struct epoll_event ev = { .events = EPOLLIN };
	long rounds, i;
	pthread_t t;
	sigset_t term;
	char c;

	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--until-term"))
			until_term = 1;
		else if (!strcmp(argv[a], "--fds") && a + 1 < argc)
			n = atoi(argv[++a]);
		else
			n = 0;
	}
	if (argc < 2 || n < 1 || n > MAX_FDS) {
		fprintf(stderr, "usage: trace_waiter ROUNDS [--fds N] [--until-term]\n");
		return 2;
	}
	rounds = strtol(argv[1], NULL, 0);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	/* Threads inherit it: SIGTERM is taken by sigtimedwait() below. */
	if (until_term)
		pthread_sigmask(SIG_BLOCK, &term, NULL);
	if (pipe(started) || pthread_create(&t, NULL, blocked, NULL))
		fail("start the thread");
	if (read(started[0], &c, 1) != 1)
		fail("read");
	ep = instance(&r[0], &w[0]);
	for (a = 1; a < n; a++) {
		int p[2];

		if (pipe(p))
			fail("pipe");
		r[a] = p[0];
		w[a] = p[1];
		ev.data.fd = p[0];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev))
			fail("epoll_ctl");
	}
	for (i = 0; i < rounds; i++)
		round_trip(ep, w, n);
	while (until_term && sigtimedwait(&term, NULL, &tick) != SIGTERM)
		round_trip(ep, w, n);
	/*
	 * The thread sleeps nowhere but in its last wait: once it sleeps, it
	 * is in it (a loaded host may not have run it yet).
	 */
	for (i = 0; i < 500 && !sleeping(blocked_tid); i++)
		nanosleep(&tick, NULL);
	/* exit(): the library's destructor reads both instances' counters. */
	exit(0);
}
