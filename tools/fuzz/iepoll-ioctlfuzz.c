// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-ioctlfuzz - does /dev/iepoll answer malformed input with a clean
 * errno, never a crash, a hang or a leak?
 *
 * Worker threads throw random and boundary input at every ioctl (unknown
 * numbers, the right numbers with the wrong size or direction, NULL,
 * unmapped, read-only, misaligned and kernel-half pointers, maxevents 0, 1,
 * INT_MAX and negative, every small sigsetsize, timeouts LLONG_MIN, -1, 0,
 * 1, LLONG_MAX, nonzero padding) and at read, write and mmap of the device,
 * over a shared table of descriptors (instances, pipes, eventfds).  Beside
 * them a chaos thread closes and dup2()s over the table's descriptors, a
 * mapper thread maps and unmaps the page some pointers point into, and an
 * interrupter signals the workers so that no wait lasts.
 *
 * A call may fail only with an errno of its allowed set; any other result
 * is printed and fails the run.  At the end every descriptor is closed and
 * the module's instance count (debugfs) must be back where it started.
 * The kernel side (WARN, KASAN, lockdep, kmemleak) is judged by scripts/vm.
 * Threads make a run timing-dependent: the seed fixes each thread's random
 * stream, not the interleaving.
 *
 * Exit status: 0 clean, 1 an unexpected result or a leaked instance,
 * 2 bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/iepoll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "../lib/iepoll.h"

#define NFDS		16
#define MAXTHREADS	16
#define KERNEL_PTR	0xffffffff81000000ULL
/*
 * The room after a valid pointer: a command claims up to _IOC_SIZEMASK
 * bytes, and IEPOLL_IOC_STATS_V2 fills (zeroes) all the room its size
 * claims; a pointer may be misaligned by up to 7 bytes.
 */
#define ARG_ROOM	(_IOC_SIZEMASK + 8)
/* What a call reads from a buffer: up to 255 bytes, misaligned too. */
#define ARG_READ	(256 + 8)
#define SHAKY_SIZE	8192	/* two pages; ARG_ROOM of PROT_NONE after */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define fallthrough	__attribute__((__fallthrough__))

enum call { C_RANDOM_CMD, C_CTL, C_WAIT, C_STATS, C_VERSION, C_READ,
	    C_WRITE, C_MMAP, C_POKE, C_STATS_V2, C_NCALLS };

static const char *const call_names[C_NCALLS] = {
	"ioctl(random cmd)", "IEPOLL_IOC_CTL", "IEPOLL_IOC_WAIT",
	"IEPOLL_IOC_STATS", "IEPOLL_IOC_VERSION", "read", "write", "mmap",
	"target write/read", "IEPOLL_IOC_STATS_V2",
};

/* errnos a call may end with; anything else is a finding */
static const int allowed[C_NCALLS][12] = {
	/* ENOENT, E2BIG, EBUSY: IEPOLL_IOC_NATIVE_DETACH and _ATTACH */
	[C_RANDOM_CMD] = { EINVAL, ENOTTY, EFAULT, EBADF, EINTR, EPERM, ENOENT,
			   E2BIG, EBUSY },
	[C_CTL] = { EINVAL, EFAULT, EBADF, ENOTTY, EEXIST, ENOENT, ELOOP, EPERM, ENOSPC, ENOMEM },
	[C_WAIT] = { EINVAL, EFAULT, EBADF, ENOTTY, EINTR },
	[C_STATS] = { EFAULT, EBADF, ENOTTY, EINVAL },
	[C_VERSION] = { EBADF, ENOTTY, EINVAL },
	[C_READ] = { EINVAL, EFAULT, EBADF, EAGAIN },
	[C_WRITE] = { EINVAL, EFAULT, EBADF, EAGAIN, EPIPE },
	[C_MMAP] = { ENODEV, EBADF, EACCES, EINVAL },
	[C_POKE] = { EBADF, EAGAIN, EINVAL, EFAULT, EPIPE },
	[C_STATS_V2] = { EFAULT, EBADF, ENOTTY, EINVAL },
};

static struct {
	struct fuzz_opt f;
	int threads;
	bool shared;
} opt = { .f.duration = 60, .threads = 3 };

static int fds[NFDS];
static char *shaky;		/* mapped and unmapped by the mapper thread */
static char *ro_page;
static atomic_bool stop;
static atomic_long calls, findings;
static atomic_long outcomes[C_NCALLS][160];	/* [call][errno], 0 = success */
static pthread_t workers[MAXTHREADS];

/* A pointer of one of the kinds the issue lists; @buf is valid. */
static unsigned long long any_ptr(unsigned long long *r, void *buf)
{
	switch (fuzz_rnd(r) % 9) {
	case 0:
		return 0;
	case 1:
		return 0x1000;				/* unmapped */
	case 2:
		return (uintptr_t)ro_page;
	case 3:
		return (uintptr_t)buf + 1 + fuzz_rnd(r) % 7;	/* misaligned */
	case 4:
		return KERNEL_PTR;
	case 5:
		return (uintptr_t)shaky + fuzz_rnd(r) % SHAKY_SIZE;
	case 6:
		return (uintptr_t)shaky + 4096 - 8;	/* straddles the hole */
	case 7:
		return fuzz_rnd(r);
	default:
		return (uintptr_t)buf;
	}
}

static void record(enum call c, long ret, int err, unsigned long cmd)
{
	size_t i;

	atomic_fetch_add(&calls, 1);
	if (ret >= 0) {
		atomic_fetch_add(&outcomes[c][0], 1);
		return;
	}
	if (err > 0 && err < 160)
		atomic_fetch_add(&outcomes[c][err], 1);
	for (i = 0; i < ARRAY_SIZE(allowed[c]); i++)
		if (allowed[c][i] == err)
			return;
	atomic_fetch_add(&findings, 1);
	printf("ioctlfuzz: FINDING: %s (cmd %#lx) failed with %s, %s\n",
	       call_names[c], cmd, strerrorname_np(err) ?: "?",
	       "not an allowed errno");
	fflush(stdout);
}

static unsigned long random_cmd(unsigned long long *r)
{
	static const unsigned long right[] = { IEPOLL_IOC_VERSION,
		IEPOLL_IOC_CTL, IEPOLL_IOC_WAIT, IEPOLL_IOC_STATS,
		IEPOLL_IOC_STATS_V2 };
	unsigned long cmd = right[fuzz_rnd(r) % ARRAY_SIZE(right)];

	switch (fuzz_rnd(r) % 4) {
	case 0:		/* unknown number, our magic */
		return _IOC(fuzz_rnd(r) % 4, IEPOLL_IOC_MAGIC, 4 + fuzz_rnd(r) % 252,
			    fuzz_rnd(r) % 128);
	case 1:		/* right number, wrong size */
		return (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		       ((fuzz_rnd(r) % 256) << _IOC_SIZESHIFT);
	case 2:		/* right number, wrong direction */
		return (cmd & ~(_IOC_DIRMASK << _IOC_DIRSHIFT)) |
		       ((fuzz_rnd(r) % 4) << _IOC_DIRSHIFT);
	default:	/* anything with our magic */
		return (fuzz_rnd(r) & 0xffff00ffUL) | IEPOLL_IOC_MAGIC << 8;
	}
}

static uint32_t any_events(unsigned long long *r)
{
	static const uint32_t bits[] = { EPOLLIN, EPOLLOUT, EPOLLET,
		EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLRDHUP,
		EPOLLPRI, EPOLLERR, EPOLLHUP };
	uint32_t ev = 0;
	int i;

	if (fuzz_rnd(r) % 8 == 0)
		return fuzz_rnd(r);
	for (i = 0; i < 10; i++)
		if (fuzz_rnd(r) % 3 == 0)
			ev |= bits[i];
	return ev;
}

static long do_ctl(unsigned long long *r, int fd)
{
	struct iepoll_ctl ctl = {
		.op = fuzz_rnd(r) % 8 ? (int32_t)(1 + fuzz_rnd(r) % 3) : (int32_t)fuzz_rnd(r),
		.fd = fuzz_rnd(r) % 10 ? fds[fuzz_rnd(r) % NFDS] : (int32_t)fuzz_rnd(r),
		.events = any_events(r),
		.__pad = fuzz_rnd(r) % 10 ? 0 : fuzz_rnd(r),
		.data = fuzz_rnd(r),
	};
	unsigned long long p = fuzz_rnd(r) % 4 ? (uintptr_t)&ctl : any_ptr(r, &ctl);

	return ioctl(fd, IEPOLL_IOC_CTL, (void *)(uintptr_t)p);
}

static long do_wait(unsigned long long *r, int fd)
{
	static const int64_t timeouts[] = { LLONG_MIN, -1, 0, 1, 1000000,
					    LLONG_MAX };
	static const int32_t maxev[] = { 0, 1, INT_MAX, -1, INT_MIN, 2, 64,
		INT_MAX / 12, INT_MAX / 12 + 1 };
	struct epoll_event evs[64];
	unsigned long long mask = fuzz_rnd(r) & ~(1ULL << (SIGUSR1 - 1));
	struct iepoll_wait w = {
		.maxevents = fuzz_rnd(r) % 4 ? maxev[fuzz_rnd(r) % 9] : (int32_t)fuzz_rnd(r),
		.__pad = fuzz_rnd(r) % 10 ? 0 : fuzz_rnd(r),
		.timeout_ns = timeouts[fuzz_rnd(r) % 6],
		.sigsetsize = fuzz_rnd(r) % 2 ? 8 : fuzz_rnd(r) % 17,
	};
	unsigned long long p;

	/* a valid events pointer only with room for maxevents */
	w.events = any_ptr(r, evs);
	if (w.events == (uintptr_t)evs && (w.maxevents < 0 || w.maxevents > 64))
		w.events = 0;
	w.sigmask = fuzz_rnd(r) % 3 ? 0 : any_ptr(r, &mask);
	/*
	 * A mask read from anywhere but @mask may block SIGUSR1, and then
	 * only a timeout ends the wait: keep those short.
	 */
	if (w.sigmask && w.sigmask != (uintptr_t)&mask &&
	    (w.timeout_ns < 0 || w.timeout_ns > 1000000))
		w.timeout_ns = fuzz_rnd(r) % 1000001;
	p = fuzz_rnd(r) % 4 ? (uintptr_t)&w : any_ptr(r, &w);
	return ioctl(fd, IEPOLL_IOC_WAIT, (void *)(uintptr_t)p);
}

static long do_call(unsigned long long *r, enum call c, unsigned long *cmd)
{
	static __thread char buf[ARG_ROOM];
	int fd = fds[fuzz_rnd(r) % NFDS];
	unsigned long long v = 1;
	void *m;

	memset(buf, 0, ARG_READ);

	*cmd = 0;
	switch (c) {
	case C_RANDOM_CMD:
		*cmd = random_cmd(r);
		return ioctl(fd, *cmd, (void *)(uintptr_t)any_ptr(r, buf));
	case C_CTL:
		return do_ctl(r, fd);
	case C_WAIT:
		return do_wait(r, fd);
	case C_STATS:
		return ioctl(fd, IEPOLL_IOC_STATS,
			     (void *)(uintptr_t)any_ptr(r, buf));
	case C_STATS_V2:
		return ioctl(fd, IEPOLL_IOC_STATS_V2,
			     (void *)(uintptr_t)any_ptr(r, buf));
	case C_VERSION:
		return ioctl(fd, IEPOLL_IOC_VERSION,
			     (void *)(uintptr_t)any_ptr(r, buf));
	case C_READ:
		return read(fd, (void *)(uintptr_t)any_ptr(r, buf),
			    fuzz_rnd(r) % 2 ? fuzz_rnd(r) % 256 : 0);
	case C_WRITE:
		return write(fd, (void *)(uintptr_t)any_ptr(r, buf),
			     fuzz_rnd(r) % 2 ? fuzz_rnd(r) % 256 : 0);
	case C_MMAP:
		m = mmap(NULL, 4096 * (1 + fuzz_rnd(r) % 4), PROT_READ |
			 (fuzz_rnd(r) % 2 ? PROT_WRITE : 0), fuzz_rnd(r) % 2 ?
			 MAP_SHARED : MAP_PRIVATE, fd, 4096 * (fuzz_rnd(r) % 3));
		if (m == MAP_FAILED)
			return -1;
		munmap(m, 4096);
		return 0;
	case C_POKE:
		/* make the targets' wait queues move under the instances */
		if (fuzz_rnd(r) % 2)
			return write(fd, &v, sizeof(v));
		return read(fd, buf, sizeof(buf));
	default:
		return 0;
	}
}

static void *worker(void *arg)
{
	unsigned long long r = opt.f.seed ^ fuzz_mix((uintptr_t)arg);
	unsigned long cmd;
	enum call c;
	long ret;

	while (!atomic_load(&stop)) {
		c = fuzz_rnd(&r) % C_NCALLS;
		errno = 0;
		ret = do_call(&r, c, &cmd);
		/* a random command may be one of the real ones */
		if (cmd == IEPOLL_IOC_CTL)
			c = C_CTL;
		else if (cmd == IEPOLL_IOC_WAIT)
			c = C_WAIT;
		else if (cmd == IEPOLL_IOC_STATS)
			c = C_STATS;
		else if (cmd == IEPOLL_IOC_STATS_V2)
			c = C_STATS_V2;
		else if (cmd == IEPOLL_IOC_VERSION)
			c = C_VERSION;
		record(c, ret, errno, cmd);
	}
	return NULL;
}

static int open_kind(int kind)
{
	int p[2];

	switch (kind) {
	case 0:
		return open("/dev/iepoll", O_RDWR);
	case 1:
		if (pipe2(p, O_NONBLOCK))
			return -1;
		close(p[0]);	/* a write end without reader: EPOLLERR */
		return p[1];
	case 2:
		if (pipe2(p, O_NONBLOCK))
			return -1;
		close(p[1]);
		return p[0];
	default:
		return eventfd(0, EFD_NONBLOCK);
	}
}

/* Closes and dup2()s over the table's descriptors while the workers run. */
static void *chaos(void *arg)
{
	unsigned long long r = opt.f.seed ^ fuzz_mix(1000);
	int i, j, fd;

	(void)arg;
	while (!atomic_load(&stop)) {
		i = fuzz_rnd(&r) % NFDS;
		j = fuzz_rnd(&r) % NFDS;
		switch (fuzz_rnd(&r) % 4) {
		case 0:		/* close; a worker may meet EBADF meanwhile */
			close(fds[i]);
			usleep(100);
			fallthrough;
		case 1:		/* replace by a fresh file of any kind */
			fd = open_kind(fuzz_rnd(&r) % 4 ? 0 : fuzz_rnd(&r) % 4);
			if (fd >= 0) {
				dup2(fd, fds[i]);
				close(fd);
			}
			break;
		case 2:		/* two table slots share a file */
			if (i != j)
				dup2(fds[j], fds[i]);
			break;
		default:
			usleep(200);
		}
	}
	return NULL;
}

/* Maps and unmaps the shaky page under the workers' copies. */
static void *mapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		munmap(shaky + 4096, 4096);
		usleep(50);
		mmap(shaky + 4096, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		usleep(50);
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

static const char help[] =
"Usage: iepoll-ioctlfuzz [OPTIONS]\n"
"Throw malformed input at every /dev/iepoll ioctl and at read, write and mmap,\n"
"from several threads while another closes and dup2()s over the descriptors.\n"
"Every call must fail with an allowed errno; no instance may leak.\n"
"Needs root and the iepoll module (run it in the VM: scripts/vm -- ...).\n\n"
"  -d, --duration S   run for S seconds (default 60)\n"
"  -t, --threads N    worker threads (default 3, at most 16)\n"
"  -s, --seed S       seed of the workers' random streams (default: clock)\n"
"      --json         one JSON object with the totals at the end\n"
"      --shared       other programs use /dev/iepoll meanwhile (a soak): skip\n"
"                     the module-wide instance count; the caller checks it\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"Exit: 0 clean, 1 a finding or a leaked instance, 2 bad arguments.\n";

static void option(int c, const char *arg)
{
	switch (c) {
	case 't':
		opt.threads = tool_number("--threads", arg, 1, MAXTHREADS);
		break;
	case 'S':
		opt.shared = true;
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "shared", no_argument, NULL, 'S' },
		{ }
	};
	static const struct fuzz_cmdline cmdline = {
		.name = "iepoll-ioctlfuzz", .help = help, .shortopts = "t:",
		.longopts = longopts, .option = option,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_t helpers[2];
	long before, after, distinct = 0, last = 0;
	double start, t, next;
	int c, i, e;

	fuzz_parse(argc, argv, &cmdline, &opt.f);
	if (!fuzz_ready(&opt.f, true))
		return 1;

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART: EINTR */
	/* whatever a claimed size reaches past the shaky pages faults */
	shaky = mmap(NULL, SHAKY_SIZE + ARG_ROOM, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shaky != MAP_FAILED &&
	    mprotect(shaky, SHAKY_SIZE, PROT_READ | PROT_WRITE))
		shaky = MAP_FAILED;
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (shaky == MAP_FAILED || ro_page == MAP_FAILED) {
		perror("iepoll-ioctlfuzz: mmap");
		return 1;
	}
	before = iepoll_debugfs_instances();
	for (i = 0; i < NFDS; i++) {
		fds[i] = open_kind(i < 8 ? 0 : i % 4);
		if (fds[i] < 0) {
			perror("iepoll-ioctlfuzz: open");
			return 1;
		}
	}
	printf("ioctlfuzz: seed %#llx, %d workers, %.0f s, instances %ld\n",
	       opt.f.seed, opt.threads, opt.f.duration, before);
	fflush(stdout);

	for (i = 0; i < opt.threads; i++)
		pthread_create(&workers[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	pthread_create(&helpers[0], NULL, chaos, NULL);
	pthread_create(&helpers[1], NULL, mapper, NULL);
	start = fuzz_now();
	next = start + 10;
	/* the interrupter: no wait outlives 5 ms */
	while ((t = fuzz_now()) - start < opt.f.duration) {
		for (i = 0; i < opt.threads; i++)
			pthread_kill(workers[i], SIGUSR1);
		usleep(5000);
		if (t >= next) {
			fprintf(stderr, "ioctlfuzz: %.0f s, %ld calls (%.0f/s), %ld findings\n",
				t - start, atomic_load(&calls),
				(atomic_load(&calls) - last) / 10.0,
				atomic_load(&findings));
			last = atomic_load(&calls);
			next += 10;
		}
	}
	atomic_store(&stop, true);
	for (i = 0; i < opt.threads; i++) {
		/* a wait may have started after the last signal */
		while (pthread_tryjoin_np(workers[i], NULL)) {
			pthread_kill(workers[i], SIGUSR1);
			usleep(1000);
		}
	}
	pthread_join(helpers[0], NULL);
	pthread_join(helpers[1], NULL);
	t = fuzz_now() - start;
	for (i = 0; i < NFDS; i++)
		close(fds[i]);
	/* instances go at their last fput(): a worker's may still be queued */
	usleep(200000);
	after = iepoll_debugfs_instances();

	printf("ioctlfuzz: outcomes (call: result count)\n");
	for (c = 0; c < C_NCALLS; c++)
		for (e = 0; e < 160; e++) {
			if (!outcomes[c][e])
				continue;
			distinct++;
			printf("  %-20s %-12s %ld\n", call_names[c],
			       e ? strerrorname_np(e) ?: "?" : "ok",
			       atomic_load(&outcomes[c][e]));
		}
	printf("ioctlfuzz: %.0f s, %ld calls (%.0f calls/s), %ld distinct outcomes, ",
	       t, atomic_load(&calls), atomic_load(&calls) / t, distinct);
	printf("%ld findings, instances after %ld\n", atomic_load(&findings),
	       after);
	if (opt.f.json) {
		printf("{\"tool\": \"ioctlfuzz\", \"seed\": %llu, \"seconds\": %.1f, ",
		       opt.f.seed, t);
		printf("\"calls\": %ld, \"outcomes\": %ld, \"findings\": %ld, ",
		       atomic_load(&calls), distinct, atomic_load(&findings));
		printf("\"instances_before\": %ld, \"instances_after\": %ld}\n",
		       before, after);
	}
	if (opt.shared) {
		printf("ioctlfuzz: --shared: the instance count is the caller's to check\n");
	} else if (after != before) {
		printf("ioctlfuzz: FAILED: %ld instances before, %ld after %s\n",
		       before, after, "closing every descriptor");
		return 1;
	}
	if (atomic_load(&findings)) {
		printf("ioctlfuzz: FAILED: %ld calls gave %s\n",
		       atomic_load(&findings), "an errno outside their allowed set");
		return 1;
	}
	printf("ioctlfuzz: PASS\n");
	return 0;
}
