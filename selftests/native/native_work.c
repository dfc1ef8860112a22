// SPDX-License-Identifier: GPL-2.0
/*
 * native_work - a native epoll workload for the native suite (run.sh),
 * linked statically and issuing every epoll call through syscall(2), so
 * that nothing (no libc wrapper, no LD_PRELOAD) could move it onto iepoll.
 *
 * An outer instance watches a pipe level-triggered (data 0x10), a pipe
 * edge-triggered (0x11), a socket with EPOLLONESHOT re-armed by MOD each
 * round (0x12) and a nested instance (0x13) that watches a third pipe
 * (0x44).  Each of ROUNDS rounds writes one byte to each, waits on the outer
 * instance (4 events), drains, waits on the inner one (1 event), re-arms,
 * and waits on the outer one with no timeout (0 events: the level-triggered
 * pipe is polled again and is empty).  Then: DEL of the level pipe, close
 * of the edge pipe's read end, close of the outer instance, then of the
 * inner one.
 *
 * It prints what its own system calls returned, the ground truth the suite
 * compares the trace with:
 *   native_work: pid P adds A dels D closes C waits W delivered N
 *   native_work: fds level L edge E oneshot O nested X inner-pipe I
 * Usage: native_work ROUNDS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static long adds, dels, closes, waits, delivered;

static void fail(const char *what)
{
	fprintf(stderr, "native_work: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int ep_create(void)
{
	long fd = syscall(SYS_epoll_create1, 0);

	if (fd < 0)
		fail("epoll_create1");
	return fd;
}

static void ep_ctl(int ep, int op, int fd, unsigned int events,
		   unsigned long long data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (syscall(SYS_epoll_ctl, ep, op, fd, &ev))
		fail("epoll_ctl");
	adds += op == EPOLL_CTL_ADD;
	dels += op == EPOLL_CTL_DEL;
}

/* A wait that must return @want events; alternates the two system calls. */
static void ep_wait(int ep, int timeout, int want)
{
	struct epoll_event ev[8];
	long n;

	if (waits & 1)
		n = syscall(SYS_epoll_pwait, ep, ev, 8, timeout, NULL, 8);
	else
		n = syscall(SYS_epoll_wait, ep, ev, 8, timeout);
	if (n < 0)
		fail("epoll_wait");
	waits++;
	delivered += n;
	if (n != want) {
		fprintf(stderr, "native_work: a wait returned %ld events, expected %d\n",
			n, want);
		exit(1);
	}
}

static void put(int fd)
{
	if (syscall(SYS_write, fd, "x", 1) != 1)
		fail("write");
}

static void take(int fd)
{
	char c;

	if (syscall(SYS_read, fd, &c, 1) != 1)
		fail("read");
}

static void shut(int fd)
{
	if (syscall(SYS_close, fd))
		fail("close");
}

int main(int argc, char **argv)
{
	int level[2], edge[2], inpipe[2], sock[2], outer, inner;
	long rounds, i;

	rounds = argc == 2 ? atol(argv[1]) : 0;
	if (rounds <= 0) {
		fprintf(stderr, "Usage: native_work ROUNDS\n");
		return 2;
	}
	if (pipe(level) || pipe(edge) || pipe(inpipe) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sock))
		fail("pipe");
	outer = ep_create();
	inner = ep_create();
	ep_ctl(inner, EPOLL_CTL_ADD, inpipe[0], EPOLLIN, 0x44);
	ep_ctl(outer, EPOLL_CTL_ADD, level[0], EPOLLIN, 0x10);
	ep_ctl(outer, EPOLL_CTL_ADD, edge[0], EPOLLIN | EPOLLET, 0x11);
	ep_ctl(outer, EPOLL_CTL_ADD, sock[0], EPOLLIN | EPOLLONESHOT, 0x12);
	ep_ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 0x13);
	printf("native_work: fds level %d edge %d oneshot %d nested %d inner-pipe %d\n",
	       level[0], edge[0], sock[0], inner, inpipe[0]);

	for (i = 0; i < rounds; i++) {
		put(level[1]);
		put(edge[1]);
		put(sock[1]);
		put(inpipe[1]);
		ep_wait(outer, 1000, 4);
		take(level[0]);
		take(edge[0]);
		take(sock[0]);
		ep_wait(inner, 0, 1);
		take(inpipe[0]);
		ep_ctl(outer, EPOLL_CTL_MOD, sock[0], EPOLLIN | EPOLLONESHOT,
		       0x12);
		ep_wait(outer, 0, 0);
	}

	ep_ctl(outer, EPOLL_CTL_DEL, level[0], 0, 0);
	shut(edge[0]);
	closes++;
	shut(outer);
	shut(inner);
	printf("native_work: pid %d adds %ld dels %ld closes %ld waits %ld delivered %ld\n",
	       (int)getpid(), adds, dels, closes, waits, delivered);
	return 0;
}
