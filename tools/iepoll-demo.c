// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-demo - watch two pipes and a socket pair through /dev/iepoll with the
 * iepoll trace events on, and show what each step did inside the module:
 * the trace lines it produced, then the instance's statistics (ioctl and
 * fdinfo) and a histogram of the delivery latency (a hist trigger).
 *
 * Run as root with the module loaded: tools/iepoll-demo (no arguments).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "iepoll-tools.h"
#include "lib/tool.h"

#define PROG		"iepoll-demo"
#define HIST_TRIGGER	"hist:keys=latency_ns.log2:vals=hitcount:sort=latency_ns"

static struct tfs tfs;
static int iep = -1;
/* A step was announced and its trace is not shown yet. */
static bool trace_pending;

/* Runs at every exit: a trigger left behind would keep rmmod from working. */
static void cleanup(void)
{
	if (!tfs.dir[0])
		return;
	tfs_write(&tfs, "events/iepoll/iepoll_deliver/trigger", "!" HIST_TRIGGER);
	tfs_remove(&tfs);
}

/* Interrupted: exit() still runs cleanup(), which matters for the trigger. */
static void on_signal(int sig)
{
	exit(128 + sig);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static void show_trace(void)
{
	char *buf = tfs_read(&tfs, "trace"), *line, *s;
	int n = 0;

	if (!buf)
		exit(1);
	s = buf;
	while ((line = strsep(&s, "\n"))) {
		if (line[0] == '#' || !line[0])
			continue;
		while (*line == ' ')
			line++;
		printf("   | %s\n", line);
		n++;
	}
	if (!n)
		printf("   | (no event)\n");
	free(buf);
	if (tfs_clear(&tfs))
		exit(1);
	trace_pending = false;
}

/* Show the previous step's trace, then announce the next one. */
static void announce(const char *what, const char *why)
{
	static int n;

	if (trace_pending)
		show_trace();
	printf("\n-- step %d: %s\n   %s\n", ++n, what, why);
	trace_pending = true;
}

/* Print the trace lines produced since the last call, then start afresh. */
static void ctl(int op, int fd, u32 events, u64 data)
{
	if (iep_ctl(iep, op, fd, events, data))
		die("IEPOLL_IOC_CTL op %d fd %d", op, fd);
}

static int wait_show(int maxevents, int64_t timeout_ns)
{
	struct epoll_event ev[8];
	int i, n;

	n = iep_wait(iep, ev, maxevents, timeout_ns);
	if (n < 0)
		die("IEPOLL_IOC_WAIT");
	printf("   wait returned %d:", n);
	for (i = 0; i < n; i++)
		printf(" {events 0x%x data 0x%llx}", ev[i].events,
		       (unsigned long long)ev[i].data.u64);
	printf("\n");
	return n;
}

static void put(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die("write");
}

static void *late_writer(void *arg)
{
	usleep(100 * 1000);
	put(*(int *)arg, "z");
	return NULL;
}

static void show_stats(void)
{
	struct iepoll_stats st;
	char path[64], line[256];
	FILE *f;
	size_t i;

	if (iepoll_get_stats(iep, &st))
		die("IEPOLL_IOC_STATS");
	printf("\n== statistics of instance %u (IEPOLL_IOC_STATS)\n", st.id);
	for (i = 0; i < IEPOLL_NSTATS; i++)
		printf("   %-10s %llu\n", iepoll_stat_names[i],
		       (unsigned long long)iepoll_stat(&st, i));

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", iep);
	printf("\n== %s\n", path);
	f = fopen(path, "re");
	if (!f)
		die("open %s", path);
	while (fgets(line, sizeof(line), f))
		printf("   %s", line);
	fclose(f);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG "\n"
		"Watch two pipes and a socket pair through /dev/iepoll with the iepoll\n"
		"trace events on, and show what each step did inside the module: its\n"
		"trace lines, then the instance's statistics and a histogram of the\n"
		"delivery latency.  Needs root and the iepoll module.\n"
		"\n"
		"  -h, --help     this text\n"
		"  -V, --version  the version\n"
		"\n"
		"Exit status: 0, 1 if a step failed, 2 on a bad argument.\n");
}

int main(int argc, char **argv)
{
	static const struct tool tool = { .name = PROG, .usage = usage };
	static const struct option longopts[] = {
		TOOL_OPT_HELP, TOOL_OPT_VERSION, { }
	};
	int pa[2], pb[2], sp[2];
	struct iepoll_stats st;
	pthread_t thr;
	char buf[16], *hist;
	struct stat sb;

	tool_init(&tool, argv);
	while (tool_getopt(argc, argv, "hV", longopts) != -1)
		;
	if (optind < argc)
		tool_usage_error("unexpected argument '%s'", argv[optind]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	iep = iepoll_create1(O_CLOEXEC);
	if (iep < 0)
		die("open /dev/iepoll (is the module loaded?)");
	if (iepoll_get_stats(iep, &st))
		die("IEPOLL_IOC_STATS");
	if (tfs_create(&tfs, PROG))
		return 1;
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (tfs_write(&tfs, "events/iepoll/iepoll_deliver/trigger", HIST_TRIGGER) ||
	    tfs_iepoll_events(&tfs, true))
		return 1;
	if (pipe(pa) || pipe(pb) || socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		die("pipe/socketpair");

	printf("== iepoll demo: instance id %u, events of TRACE_SYSTEM iepoll on in %s\n",
	       st.id, tfs.dir);
	printf("   pipe A: read end fd %d, pipe B: read end fd %d, socket pair: fd %d <-> fd %d\n",
	       pa[0], pb[0], sp[0], sp[1]);
	fstat(pa[0], &sb);
	printf("   (pipe A's inode is %lu: the ino field of the events)\n",
	       (unsigned long)sb.st_ino);

	announce("EPOLL_CTL_ADD pipe A, EPOLLIN, level-triggered, data 0xa",
		 "the pipe is empty: the item enters the tree not ready (ready 0)");
	ctl(EPOLL_CTL_ADD, pa[0], EPOLLIN, 0xa);

	announce("EPOLL_CTL_ADD pipe B, EPOLLIN|EPOLLET (edge-triggered), data 0xb",
		 "also empty, also not ready");
	ctl(EPOLL_CTL_ADD, pb[0], EPOLLIN | EPOLLET, 0xb);

	announce("EPOLL_CTL_ADD the socket, EPOLLIN|EPOLLOUT, data 0x5",
		 "a fresh socket is writable: ready at once (ready 1), queued by the insert itself");
	ctl(EPOLL_CTL_ADD, sp[0], EPOLLIN | EPOLLOUT, 0x5);

	announce("write one byte into pipe A and one into pipe B",
		 "the pipes wake their wait queues: iepoll_callback runs, outcome READY (queued on the ready list)");
	put(pa[1], "a");
	put(pb[1], "b");

	announce("IEPOLL_IOC_WAIT, maxevents 8, timeout 0",
		 "send_events transfers the ready list: 3 delivered, the 2 level-triggered items (A, socket) re-queued;\n"
		 "   iepoll_deliver gives each event's latency_ns since it became ready");
	wait_show(8, 0);

	announce("IEPOLL_IOC_WAIT again, nothing read in between",
		 "level-triggered A and the socket are still ready and come again; edge-triggered B does not");
	wait_show(8, 0);

	announce("read pipe A empty; EPOLL_CTL_MOD the socket to EPOLLIN|EPOLLONESHOT, data 0x55",
		 "no input on the socket: not ready under its new mask (ready 0)");
	if (read(pa[0], buf, sizeof(buf)) < 0)
		die("read");
	ctl(EPOLL_CTL_MOD, sp[0], EPOLLIN | EPOLLONESHOT, 0x55);

	announce("the peer writes to the socket twice",
		 "two callbacks: the item is still on the ready list from the last transfer (ALREADY) or is queued now (READY)");
	put(sp[1], "x");
	put(sp[1], "y");

	announce("IEPOLL_IOC_WAIT, timeout 0",
		 "A is empty now and leaves the ready list; the ONESHOT socket is delivered once and disarmed");
	wait_show(8, 0);

	announce("IEPOLL_IOC_WAIT with a 2 s timeout; a thread writes to pipe B 100 ms later",
		 "the waiter sleeps (slept 1); the callback queues B and wakes it (woke 1)");
	if (pthread_create(&thr, NULL, late_writer, &pb[1]))
		die("pthread_create");
	wait_show(8, 2000000000LL);
	pthread_join(thr, NULL);

	announce("the peer writes to the socket again",
		 "the ONESHOT item is disarmed: the callback does nothing (DISARMED)");
	put(sp[1], "w");

	announce("close pipe A, read end first, then IEPOLL_IOC_WAIT with a 300 ms timeout",
		 "the read end's last close removes its item in this task before close() returns (reason CLOSE);\n"
		 "   the write end's close finds no item left, and the wait sleeps and times out (res 0)");
	close(pa[0]);
	close(pa[1]);
	wait_show(8, 300000000LL);

	announce("EPOLL_CTL_DEL pipe B", "removed by the caller (reason CTL)");
	ctl(EPOLL_CTL_DEL, pb[0], 0, 0);
	show_trace();

	show_stats();

	announce("close the instance", "its last item (the socket) goes with it (reason RELEASE)");
	close(iep);
	iep = -1;
	show_trace();

	printf("\n== latency histogram: %s on iepoll_deliver\n", HIST_TRIGGER);
	hist = tfs_read(&tfs, "events/iepoll/iepoll_deliver/hist");
	if (!hist)
		return 1;
	printf("%s", hist);
	free(hist);
	return 0;
}
