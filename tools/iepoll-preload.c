// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libiepoll-run.so - the LD_PRELOAD library of iepoll-run: puts a program's
 * epoll calls on /dev/iepoll.
 *
 * It defines epoll_create, epoll_create1, epoll_ctl, epoll_wait,
 * epoll_pwait and epoll_pwait2 (glibc 2.36 has no _chk or other aliases of
 * them), and close.  Rules it keeps:
 * - An instance is the /dev/iepoll fd itself (EPOLL_CLOEXEC is O_CLOEXEC),
 *   so fork, exec, dup, close, poll and nesting behave as for an epoll fd.
 * - ctl and wait issue the module's ioctl first.  Only when it fails with
 *   EINVAL does one IEPOLL_IOC_VERSION tell whether the fd is an instance;
 *   if it is not (a native epoll fd, or not epoll at all), the call goes to
 *   libc's own function, which gives epoll's answer.  No per-fd state can
 *   go stale across close, dup2 or exec.
 * - errno is the libc function's: tools/lib/iepoll.c translates.
 * - With IEPOLL_RUN_FALLBACK=1 every call goes to libc (iepoll-run
 *   --fallback).
 * - IEPOLL_RUN_LOG_FD ("FD:DEV:INO") is a descriptor, opened O_APPEND by
 *   iepoll-run and inherited across fork, exec and setuid, to which one
 *   line is written per instance created ("create pid=P id=I comm=C"),
 *   per instance closed or left open at exit ("stats pid=P id=I t0=T
 *   t1=T inserts=N ..." from IEPOLL_IOC_STATS, t0 and t1 CLOCK_MONOTONIC
 *   before and after the ioctl, so that iepoll-trace, whose tracefs
 *   instance uses the "mono" trace clock, places the read among the
 *   events), per failed epoll_create ("refused pid=P call=C errno=E"), per
 *   process at its first epoll call ("call pid=P first=C") and at its exit
 *   ("calls pid=P n=N").  A descriptor, not a path: workers that change
 *   user (nginx's "user nobody;") could not open a root-only file again.
 *   A line goes out in one write(2), and only while the descriptor still
 *   is the file named (same device and inode: the program may have closed
 *   the number and reused it).
 *   Logging never changes errno or the result of a call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/iepoll.h"

#define EXPORT __attribute__((visibility("default")))

/* Instances created here, for their stats line at close or exit. */
#define TRACKED_FDS	65536

static unsigned char tracked[TRACKED_FDS / 8];
static bool fallback;

/* A descriptor inherited from iepoll-run or iepoll-trace (see above). */
struct sink {
	int fd;			/* -1: none */
	dev_t dev;
	ino_t ino;
};

static struct sink log_sink = { .fd = -1 };

/* This process's epoll calls, for the "calls" line at its exit. */
static unsigned long calls;
static bool announced;

static int (*real_epoll_create1)(int flags);
static int (*real_epoll_ctl)(int epfd, int op, int fd,
			     struct epoll_event *event);
static int (*real_epoll_pwait)(int epfd, struct epoll_event *events,
			       int maxevents, int timeout,
			       const sigset_t *sigmask);
static int (*real_epoll_pwait2)(int epfd, struct epoll_event *events,
				int maxevents, const struct timespec *timeout,
				const sigset_t *sigmask);
static int (*real_close)(int fd);

#define RESOLVE(name) do {						\
		if (!real_##name)					\
			real_##name = dlsym(RTLD_NEXT, #name);		\
	} while (0)

static void resolve(void)
{
	RESOLVE(epoll_create1);
	RESOLVE(epoll_ctl);
	RESOLVE(epoll_pwait);
	RESOLVE(epoll_pwait2);
	RESOLVE(close);
}

/*
 * Read at start, before the program runs: servers that set their process
 * title (nginx, redis) write it over the environment strings, and nginx's
 * workers clear the environment.
 */
static void sink_init(struct sink *s, const char *name)
{
	const char *v = getenv(name);
	unsigned long long dev, ino;
	struct stat st;
	int fd;

	if (!v || sscanf(v, "%d:%llu:%llu", &fd, &dev, &ino) != 3 || fd < 0 ||
	    fstat(fd, &st) || st.st_dev != dev || st.st_ino != ino)
		return;
	s->fd = fd;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
}

/* A child counts its own calls. */
static void child_reset(void)
{
	calls = 0;
	announced = false;
}

__attribute__((constructor)) static void preload_init(void)
{
	const char *fb = getenv("IEPOLL_RUN_FALLBACK");

	resolve();
	fallback = fb && !strcmp(fb, "1");
	sink_init(&log_sink, "IEPOLL_RUN_LOG_FD");
	pthread_atfork(NULL, NULL, child_reset);
}

/*
 * @line to @s in one write (O_APPEND: lines never interleave), if its
 * descriptor is still the file it was.
 */
static void append(const struct sink *s, const char *line)
{
	struct stat st;
	ssize_t n;

	if (s->fd < 0 || fstat(s->fd, &st) || st.st_dev != s->dev ||
	    st.st_ino != s->ino)
		return;
	/* Best effort: a short write loses a line, never the call. */
	n = write(s->fd, line, strlen(line));
	(void)n;
}

static void log_line(const struct sink *sink, const char *fmt, ...)
{
	char line[512];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	append(sink, line);
	errno = saved;
}

/* Every epoll call: the first of a process is logged at once. */
static void count_call(const char *name)
{
	__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	if (log_sink.fd < 0 || __atomic_exchange_n(&announced, true,
						   __ATOMIC_RELAXED))
		return;
	log_line(&log_sink, "iepoll-run: call pid=%d first=%s\n", (int)getpid(),
		 name);
}

static bool is_tracked(int fd)
{
	return fd >= 0 && fd < TRACKED_FDS &&
	       (__atomic_load_n(&tracked[fd / 8], __ATOMIC_RELAXED) &
		(1u << (fd % 8)));
}

/* Threads may create and close instances at once: atomic bit updates. */
static void set_tracked(int fd, bool on)
{
	unsigned char bit;

	if (fd < 0 || fd >= TRACKED_FDS)
		return;
	bit = 1u << (fd % 8);
	if (on)
		__atomic_fetch_or(&tracked[fd / 8], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&tracked[fd / 8], (unsigned char)~bit,
				   __ATOMIC_RELAXED);
}

/* The stats of instance @fd, with its creator when the module has ABI 2. */
static int get_stats(int fd, struct iepoll_stats_v2 *st)
{
	memset(st, 0, sizeof(*st));
	if (!ioctl(fd, IEPOLL_IOC_STATS_V2, st))
		return 0;
	if (ioctl(fd, IEPOLL_IOC_STATS, &st->stats))
		return -1;
	st->pid = getpid();
	snprintf(st->comm, sizeof(st->comm), "?");
	return 0;
}

static void log_stats(int fd)
{
	struct iepoll_stats_v2 v;
	struct iepoll_stats *s = &v.stats;
	struct timespec t0, t1;
	int ret, saved = errno;

	if (log_sink.fd < 0)
		return;
	/*
	 * A callback racing with the read lands between t0 and t1:
	 * iepoll-trace compares each counter with the events traced before
	 * t0 and until t1.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = get_stats(fd, &v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	errno = saved;
	if (ret)
		return;
	log_line(&log_sink,
		 "iepoll-run: stats pid=%d id=%u t0=%lld.%09ld t1=%lld.%09ld inserts=%llu modifies=%llu removes=%llu callbacks=%llu wakeups=%llu delivered=%llu overflows=%llu waits=%llu timeouts=%llu eintr=%llu max_ready=%llu items=%llu\n",
		 (int)getpid(), s->id, (long long)t0.tv_sec, t0.tv_nsec,
		 (long long)t1.tv_sec, t1.tv_nsec,
		 (unsigned long long)s->inserts,
		 (unsigned long long)s->modifies,
		 (unsigned long long)s->removes,
		 (unsigned long long)s->callbacks,
		 (unsigned long long)s->wakeups,
		 (unsigned long long)s->delivered,
		 (unsigned long long)s->overflows,
		 (unsigned long long)s->waits,
		 (unsigned long long)s->timeouts,
		 (unsigned long long)s->eintr,
		 (unsigned long long)s->max_ready,
		 (unsigned long long)s->items);
}

__attribute__((destructor)) static void preload_fini(void)
{
	int fd;

	for (fd = 0; fd < TRACKED_FDS; fd++)
		if (is_tracked(fd))
			log_stats(fd);
	if (announced)
		log_line(&log_sink, "iepoll-run: calls pid=%d n=%lu\n",
			 (int)getpid(), calls);
}

static void log_create(int fd, bool native)
{
	struct iepoll_stats_v2 v;
	char comm[IEPOLL_COMM_LEN] = "?";

	if (log_sink.fd < 0)
		return;
	if (native) {
		FILE *f = fopen("/proc/self/comm", "re");

		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		log_line(&log_sink, "iepoll-run: create pid=%d id=native fd=%d comm=%s\n",
			 (int)getpid(), fd, comm);
		return;
	}
	if (get_stats(fd, &v))
		return;
	log_line(&log_sink, "iepoll-run: create pid=%d id=%u fd=%d comm=%s\n",
		 (int)getpid(), v.stats.id, fd, v.comm);
}

static void log_refused(const char *call, int err)
{
	log_line(&log_sink, "iepoll-run: refused pid=%d call=%s errno=%s\n",
		 (int)getpid(), call, strerrorname_np(err) ?: "?");
	errno = err;
}

static int create1(int flags)
{
	int fd, saved;

	resolve();
	if (fallback) {
		fd = real_epoll_create1(flags);
		if (fd >= 0)
			log_create(fd, true);
		else
			log_refused("epoll_create1", errno);
		return fd;
	}
	fd = iepoll_create1(flags);
	if (fd < 0) {
		saved = errno;
		log_refused("epoll_create1", saved);
		/* iepoll-run opened it before CMD ran: the module went away. */
		if (saved == ENOENT || saved == ENXIO || saved == ENODEV ||
		    saved == EACCES)
			dprintf(STDERR_FILENO,
				"iepoll-run: epoll_create: cannot open %s: %s\n",
				IEPOLL_DEVICE, strerror(saved));
		errno = saved;
		return -1;
	}
	set_tracked(fd, true);
	log_create(fd, false);
	return fd;
}

EXPORT int epoll_create1(int flags)
{
	count_call("epoll_create1");
	return create1(flags);
}

EXPORT int epoll_create(int size)
{
	count_call("epoll_create");
	if (size <= 0) {
		log_refused("epoll_create", EINVAL);
		return -1;
	}
	return create1(0);
}

/*
 * epoll_wait(2) checks maxevents before the fd; the ioctl would look at the
 * fd first (EBADF).
 */
static bool bad_maxevents(int maxevents)
{
	if (maxevents > 0 &&
	    maxevents <= (int)(INT_MAX / sizeof(struct epoll_event)))
		return false;
	errno = EINVAL;
	return true;
}

/*
 * After a failed ioctl: is @epfd an instance (keep the ioctl's answer) or
 * not (ask libc)?  Only EINVAL can mean "not an instance": the library
 * turns the ioctl's ENOTTY into EINVAL.
 */
static bool not_an_instance(int epfd, int ret)
{
	int saved = errno;
	bool no;

	if (ret >= 0 || saved != EINVAL)
		return false;
	no = iepoll_abi_version(epfd) < 0;
	errno = saved;
	return no;
}

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	int ret;

	resolve();
	count_call("epoll_ctl");
	if (fallback)
		return real_epoll_ctl(epfd, op, fd, event);
	ret = iepoll_ctl(epfd, op, fd, event);
	if (not_an_instance(epfd, ret))
		return real_epoll_ctl(epfd, op, fd, event);
	return ret;
}

/*
 * Every wait goes through here: as epoll_pwait() (@two false: @ms, and a
 * NULL @sigmask for epoll_wait(), which is that) or as epoll_pwait2()
 * (@ts, NULL for no limit).  iepoll's wait for an instance, the real call
 * for anything else.
 */
static int wait_through(int epfd, struct epoll_event *events, int maxevents,
			bool two, int ms, const struct timespec *ts,
			const sigset_t *sigmask)
{
	int ret;

	resolve();
	if (!fallback) {
		if (bad_maxevents(maxevents))
			return -1;
		ret = two ? iepoll_pwait2(epfd, events, maxevents, ts, sigmask) :
			    iepoll_pwait(epfd, events, maxevents, ms, sigmask);
		if (!not_an_instance(epfd, ret))
			return ret;
	}
	return two ? real_epoll_pwait2(epfd, events, maxevents, ts, sigmask) :
		     real_epoll_pwait(epfd, events, maxevents, ms, sigmask);
}

EXPORT int epoll_wait(int epfd, struct epoll_event *events, int maxevents,
		      int timeout)
{
	count_call("epoll_wait");
	return wait_through(epfd, events, maxevents, false, timeout, NULL,
			    NULL);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		       int timeout, const sigset_t *sigmask)
{
	count_call("epoll_pwait");
	return wait_through(epfd, events, maxevents, false, timeout, NULL,
			    sigmask);
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			const struct timespec *timeout,
			const sigset_t *sigmask)
{
	count_call("epoll_pwait2");
	return wait_through(epfd, events, maxevents, true, 0, timeout,
			    sigmask);
}

/* An instance's counters are logged before its last close here. */
EXPORT int close(int fd)
{
	resolve();
	if (is_tracked(fd)) {
		log_stats(fd);
		set_tracked(fd, false);
	}
	return real_close(fd);
}
