// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-faultinject - fail each allocation of an iepoll operation in turn.
 *
 * Runs as root in the debug kernel's VM (CONFIG_FAILSLAB,
 * CONFIG_FAULT_INJECTION_DEBUG_FS).  For every scenario (instance creation,
 * EPOLL_CTL_ADD on several kinds of target, EPOLL_CTL_MOD, wait) and for
 * n = 1, 2, ... it writes n to /proc/self/task/<tid>/fail-nth, so that the
 * n-th fault-injectable allocation of the next system call fails, runs the
 * operation once, and reads fail-nth back: 0 means the failure was injected,
 * anything else means the call made fewer than n allocations and the
 * scenario is complete.  After each injected failure the operation must
 * have failed with ENOMEM or succeeded as a whole (the allocation was
 * optional, e.g. kmemleak's own metadata), and the instance must still
 * behave: no half-added item, and a clean ADD + wait still reports the
 * event.  Leaks are found by the kmemleak scan the caller runs afterwards.
 *
 * Output is KTAP, one test per scenario, ending with the kselftest
 * "# Totals:" line.
 *
 * iepoll-faultinject --smoke [rounds] runs no injection: it opens instances,
 * watches a pipe, a socket pair, an eventfd, another instance and an
 * EPOLLWAKEUP item, waits, and closes them in an order that leaves items for
 * the release and close paths.
 *
 * iepoll-faultinject --cycle N IEPOLL_KO unloads and loads the module N times
 * (delete_module, finit_module), with two such rounds in between, and
 * prints one KTAP test; scripts/debug-guest runs it, then scans kmemleak.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/iepoll.h>

#include "../lib/tool.h"

#define PROG		"iepoll-faultinject"
#define DEVICE		"/dev/iepoll"
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define MAX_NTH		5000
#define DATA_MAGIC	0x1e9011ULL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int fail_nth_fd = -1;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("Bail out! ");
	vprintf(fmt, ap);
	printf(": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static int ctl(int epfd, int op, int fd, unsigned int events, __u64 data)
{
	struct iepoll_ctl c = {
		.op = op, .fd = fd, .events = events, .data = data,
	};

	return ioctl(epfd, IEPOLL_IOC_CTL, &c);
}

static int wait_events(int epfd, struct epoll_event *ev, int max,
		       const sigset_t *mask)
{
	struct iepoll_wait w = {
		.events = (unsigned long)ev,
		.maxevents = max,
		.timeout_ns = 0,
		.sigmask = (unsigned long)mask,
		.sigsetsize = mask ? 8 : 0,
	};

	return ioctl(epfd, IEPOLL_IOC_WAIT, &w);
}

static long items_of(int epfd)
{
	struct iepoll_stats st;

	if (ioctl(epfd, IEPOLL_IOC_STATS, &st))
		return -1;
	return (long)st.items;
}

/* Arm the n-th fault-injectable call of this task to fail. */
static void arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fail_nth_fd, buf, len, 0) != len)
		die("write fail-nth");
}

/* Disarm; returns true if the armed failure was injected. */
static bool disarm(void)
{
	char buf[16] = "";

	if (pread(fail_nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		die("read fail-nth");
	if (pwrite(fail_nth_fd, "0", 1, 0) != 1)
		die("write fail-nth");
	return strtoul(buf, NULL, 10) == 0;
}

static void write_knob(const char *name, const char *val)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), FAILSLAB "/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("write %s", path);
	close(fd);
}

/* What every scenario works on. */
struct ctx {
	int ep;			/* the instance under test */
	int pipe[2];		/* a readable pipe, the usual target */
	int sock[2];		/* a socket pair, sock[0] readable */
	int efd;		/* a readable eventfd */
	int child;		/* another instance with a ready item */
	int target;		/* the fd the scenario adds */
	unsigned int events;	/* and with which events */
};

struct scenario {
	const char *name;
	void (*setup)(struct ctx *c);
	int (*op)(struct ctx *c);
	/* checks after the op, with no injection armed; NULL or message */
	const char *(*check)(struct ctx *c, int res);
	bool must_fail_once;	/* some injected failure must reach userspace */
};

static int open_ready_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC))
		die("pipe2");
	if (write(p[1], "x", 1) != 1)
		die("write pipe");
	return p[0];
}

static void setup_base(struct ctx *c)
{
	memset(c, -1, sizeof(*c));
	c->ep = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (c->ep < 0)
		die("open " DEVICE);
	c->target = open_ready_pipe(c->pipe);
	c->events = EPOLLIN;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void teardown(struct ctx *c)
{
	close_fd(c->ep);
	close_fd(c->pipe[0]);
	close_fd(c->pipe[1]);
	close_fd(c->sock[0]);
	close_fd(c->sock[1]);
	close_fd(c->efd);
	close_fd(c->child);
}

/* The item for c->target reports EPOLLIN with its data: the instance works. */
static const char *expect_event(struct ctx *c)
{
	struct epoll_event ev[4];
	int n = wait_events(c->ep, ev, 4, NULL);

	if (n != 1)
		return "wait after the operation did not report exactly one event";
	if (!(ev[0].events & EPOLLIN) || ev[0].data.u64 != DATA_MAGIC)
		return "wait reported the wrong event or data";
	return NULL;
}

/* After a failed or successful ADD of c->target: all or nothing. */
static const char *check_add(struct ctx *c, int res)
{
	if (res) {
		if (items_of(c->ep) != 0)
			return "a failed ADD left an item counted";
		if (ctl(c->ep, EPOLL_CTL_DEL, c->target, 0, 0) == 0 ||
		    errno != ENOENT)
			return "a failed ADD left the item in the tree";
		if (ctl(c->ep, EPOLL_CTL_ADD, c->target, c->events, DATA_MAGIC))
			return "ADD without injection failed after a failed ADD";
	} else if (items_of(c->ep) != 1) {
		return "a successful ADD did not count one item";
	}
	return expect_event(c);
}

static int op_add(struct ctx *c)
{
	return ctl(c->ep, EPOLL_CTL_ADD, c->target, c->events, DATA_MAGIC);
}

static void setup_add_socket(struct ctx *c)
{
	setup_base(c);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sock))
		die("socketpair");
	if (write(c->sock[1], "x", 1) != 1)
		die("write socket");
	c->target = c->sock[0];
	c->events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
}

static void setup_add_eventfd(struct ctx *c)
{
	setup_base(c);
	c->efd = eventfd(1, EFD_CLOEXEC);
	if (c->efd < 0)
		die("eventfd");
	c->target = c->efd;
	c->events = EPOLLIN | EPOLLONESHOT;
}

static void setup_add_wakeup(struct ctx *c)
{
	setup_base(c);
	c->events = EPOLLIN | EPOLLWAKEUP;
}

static void setup_add_exclusive(struct ctx *c)
{
	setup_base(c);
	c->events = EPOLLIN | EPOLLEXCLUSIVE;
}

static void setup_add_nested(struct ctx *c)
{
	setup_base(c);
	c->child = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (c->child < 0)
		die("open " DEVICE);
	/* the child watches the (readable) pipe, the parent the child */
	if (ctl(c->child, EPOLL_CTL_ADD, c->pipe[0], EPOLLIN, 1))
		die("child ADD");
	c->target = c->child;
}

/* MOD that turns EPOLLWAKEUP on: the item gets a wakeup source. */
static void setup_mod(struct ctx *c)
{
	setup_base(c);
	if (ctl(c->ep, EPOLL_CTL_ADD, c->target, EPOLLIN, 0))
		die("ADD");
	c->events = EPOLLIN | EPOLLWAKEUP;
}

static int op_mod(struct ctx *c)
{
	return ctl(c->ep, EPOLL_CTL_MOD, c->target, c->events, DATA_MAGIC);
}

static const char *check_mod(struct ctx *c, int res)
{
	if (items_of(c->ep) != 1)
		return "MOD changed the number of items";
	if (res && ctl(c->ep, EPOLL_CTL_MOD, c->target, c->events, DATA_MAGIC))
		return "MOD without injection failed after a failed MOD";
	return expect_event(c);
}

/* Creation: open(2) of the device under injection. */
static void setup_create(struct ctx *c)
{
	memset(c, -1, sizeof(*c));
	c->target = open_ready_pipe(c->pipe);
	c->events = EPOLLIN;
}

static int op_create(struct ctx *c)
{
	c->ep = open(DEVICE, O_RDWR | O_CLOEXEC);
	return c->ep < 0 ? -1 : 0;
}

static const char *check_create(struct ctx *c, int res)
{
	if (res) {
		c->ep = open(DEVICE, O_RDWR | O_CLOEXEC);
		if (c->ep < 0)
			return "open without injection failed after a failed open";
	}
	if (items_of(c->ep) != 0)
		return "a new instance does not start empty";
	if (ctl(c->ep, EPOLL_CTL_ADD, c->target, EPOLLIN, DATA_MAGIC))
		return "ADD on the new instance failed";
	return expect_event(c);
}

/* Waits on a ready level-triggered item; the event must survive a failure. */
static void setup_wait(struct ctx *c)
{
	setup_base(c);
	if (ctl(c->ep, EPOLL_CTL_ADD, c->target, EPOLLIN, DATA_MAGIC))
		die("ADD");
}

static void setup_wait_nested(struct ctx *c)
{
	setup_add_nested(c);
	if (ctl(c->ep, EPOLL_CTL_ADD, c->child, EPOLLIN, DATA_MAGIC))
		die("ADD child");
}

static void setup_wait_wakeup(struct ctx *c)
{
	setup_base(c);
	if (ctl(c->ep, EPOLL_CTL_ADD, c->target, EPOLLIN | EPOLLWAKEUP,
		DATA_MAGIC))
		die("ADD");
}

static struct epoll_event wait_buf[8];
static sigset_t wait_mask;

static int op_wait(struct ctx *c)
{
	return wait_events(c->ep, wait_buf, 8, NULL);
}

static int op_wait_sigmask(struct ctx *c)
{
	return wait_events(c->ep, wait_buf, 8, &wait_mask);
}

static const char *check_wait(struct ctx *c, int res)
{
	if (res > 0 && (res != 1 || wait_buf[0].data.u64 != DATA_MAGIC))
		return "wait under injection reported the wrong events";
	/* level-triggered: the event is still there either way */
	return expect_event(c);
}

static const struct scenario scenarios[] = {
	{ "create", setup_create, op_create, check_create, true },
	{ "add_pipe", setup_base, op_add, check_add, true },
	{ "add_socket_et", setup_add_socket, op_add, check_add, true },
	{ "add_eventfd_oneshot", setup_add_eventfd, op_add, check_add, true },
	{ "add_exclusive", setup_add_exclusive, op_add, check_add, true },
	{ "add_wakeup", setup_add_wakeup, op_add, check_add, true },
	{ "add_nested_instance", setup_add_nested, op_add, check_add, true },
	{ "mod_add_wakeup", setup_mod, op_mod, check_mod, false },
	{ "wait", setup_wait, op_wait, check_wait, false },
	{ "wait_sigmask", setup_wait, op_wait_sigmask, check_wait, false },
	{ "wait_nested", setup_wait_nested, op_wait, check_wait, false },
	{ "wait_wakeup", setup_wait_wakeup, op_wait, check_wait, false },
};

/* One scenario: returns NULL on success, else what went wrong. */
static const char *run_scenario(const struct scenario *s, char *summary,
				size_t len)
{
	unsigned int n, failed = 0, absorbed = 0;
	static char msg[256];
	const char *err;
	struct ctx c;
	int res, e;

	for (n = 1; n <= MAX_NTH; n++) {
		s->setup(&c);
		arm(n);
		res = s->op(&c);
		e = errno;
		if (!disarm()) {
			/* fewer than n allocations: the op ran to completion */
			if (res < 0) {
				snprintf(msg, sizeof(msg),
					 "the op failed with no injection: %s",
					 strerror(e));
				err = msg;
			} else {
				err = s->check(&c, res);
			}
			teardown(&c);
			if (err)
				return err;
			break;
		}
		if (res < 0) {
			failed++;
			if (e != ENOMEM) {
				snprintf(msg, sizeof(msg),
					 "injected failure %u returned errno %d (%s), not ENOMEM",
					 n, e, strerror(e));
				teardown(&c);
				return msg;
			}
		} else {
			absorbed++;
		}
		err = s->check(&c, res < 0 ? -1 : res);
		teardown(&c);
		if (err) {
			snprintf(msg, sizeof(msg), "after injected failure %u: %s",
				 n, err);
			return msg;
		}
	}
	snprintf(summary, len, "sites=%u enomem=%u absorbed=%u", n - 1,
		 failed, absorbed);
	if (n > MAX_NTH)
		return "more than MAX_NTH allocations, giving up";
	if (s->must_fail_once && !failed)
		return "no injected failure reached userspace: the test cannot fail";
	return NULL;
}

/* Fault the stack in before mlockall(), so that it never faults later. */
static void prefault_stack(void)
{
	char buf[256 * 1024];

	memset(buf, 1, sizeof(buf));
	/* keep the compiler from dropping the memset */
	asm volatile("" : : "r"(buf) : "memory");
}

static int run_all(void)
{
	size_t i, count = ARRAY_SIZE(scenarios);
	unsigned int pass = 0, fail = 0;
	char path[64], summary[128];
	const char *err;

	printf("TAP version 13\n");
	if (access(FAILSLAB, F_OK)) {
		printf("1..0 # SKIP %s missing: %s\n", FAILSLAB,
		       "this kernel lacks CONFIG_FAILSLAB or CONFIG_FAULT_INJECTION_DEBUG_FS");
		printf("# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0\n");
		return 4;
	}
	if (access(DEVICE, R_OK | W_OK))
		die(DEVICE " (is the module loaded?)");

	/* count GFP_KERNEL allocations too, and keep the console quiet */
	write_knob("ignore-gfp-wait", "N");
	write_knob("verbose", "0");
	write_knob("probability", "0");
	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	fail_nth_fd = open(path, O_RDWR);
	if (fail_nth_fd < 0)
		die("open %s", path);
	/*
	 * A page fault of ours between arming and the system call would
	 * consume the injection (anon_vma, page tables): fault everything in
	 * now and keep it.
	 */
	prefault_stack();
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		die("mlockall");
	sigemptyset(&wait_mask);
	sigaddset(&wait_mask, SIGUSR1);

	printf("1..%zu\n", count);
	for (i = 0; i < count; i++) {
		summary[0] = '\0';
		err = run_scenario(&scenarios[i], summary, sizeof(summary));
		if (err) {
			printf("# %s: %s\n", scenarios[i].name, err);
			printf("not ok %zu %s # %s\n", i + 1, scenarios[i].name,
			       summary);
			fail++;
		} else {
			printf("ok %zu %s # %s\n", i + 1, scenarios[i].name,
			       summary);
			pass++;
		}
		fflush(stdout);
	}
	write_knob("ignore-gfp-wait", "Y");
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:0 error:0\n",
	       pass, fail);
	return fail ? 1 : 0;
}

/* One round of ordinary use, for the load/unload loop. */
static void smoke_round(void)
{
	struct epoll_event ev[8];
	int ep, child, p[2], s[2], efd, n;

	ep = open(DEVICE, O_RDWR | O_CLOEXEC);
	child = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (ep < 0 || child < 0)
		die("open " DEVICE);
	open_ready_pipe(p);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s))
		die("socketpair");
	efd = eventfd(1, EFD_CLOEXEC);
	if (efd < 0)
		die("eventfd");
	if (ctl(child, EPOLL_CTL_ADD, p[0], EPOLLIN, 1) ||
	    ctl(ep, EPOLL_CTL_ADD, child, EPOLLIN, 2) ||
	    ctl(ep, EPOLL_CTL_ADD, s[0], EPOLLOUT | EPOLLET, 3) ||
	    ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLWAKEUP, 4) ||
	    ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT | EPOLLONESHOT, 5))
		die("ADD");
	n = wait_events(ep, ev, 8, NULL);
	if (n != 4)
		die("wait returned %d events, expected 4", n);
	if (ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0))
		die("DEL");
	/* targets closed before the instances: the close path */
	close(s[0]);
	close(efd);
	close(s[1]);
	close(p[0]);
	close(p[1]);
	/* parent before child: the release path with a nested item */
	close(ep);
	close(child);
}

/*
 * Files that an instance watched, kept open after the instance is gone:
 * the module keeps a record (and an fsnotify mark) for each until its
 * close, so an unload must tear those down itself (iepoll_files_exit()),
 * and their close after the unload must reach nothing of the module.
 * @kept gets a pipe and a unix socket pair.
 */
static void keep_watched_files(int kept[4])
{
	int ep = open(DEVICE, O_RDWR | O_CLOEXEC);

	if (ep < 0)
		die("open " DEVICE);
	if (pipe2(kept, O_CLOEXEC) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, kept + 2))
		die("pipe or socketpair");
	if (ctl(ep, EPOLL_CTL_ADD, kept[0], EPOLLIN, 1) ||
	    ctl(ep, EPOLL_CTL_ADD, kept[1], EPOLLOUT, 2) ||
	    ctl(ep, EPOLL_CTL_ADD, kept[2], EPOLLIN | EPOLLET, 3) ||
	    ctl(ep, EPOLL_CTL_ADD, kept[3], EPOLLOUT, 4))
		die("ADD of a kept file");
	close(ep);
}

static void close_kept_files(int kept[4])
{
	int i;

	for (i = 0; i < 4; i++)
		close(kept[i]);
}

/* Unload iepoll; a reference still held after 2 s is a failure. */
static int unload(unsigned int round)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (!syscall(SYS_delete_module, "iepoll", O_NONBLOCK) ||
		    errno == ENOENT)
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			break;
		usleep(20000);
	}
	printf("# round %u: delete_module(iepoll): %s\n", round,
	       strerror(errno));
	return -1;
}

/*
 * Unload and load the module @cycles times, with instances used and
 * closed in between, and in every tenth round files they watched still
 * open across the unload (closed after the next load); in one process, as fork and exec
 * cost seconds on the debug kernel under TCG.  The module is left loaded.
 */
static int module_cycles(unsigned int cycles, const char *ko)
{
	int fd, kept[4] = { -1, -1, -1, -1 };
	unsigned int i;

	printf("TAP version 13\n1..1\n");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s", ko);
	for (i = 1; i <= cycles; i++) {
		/* such an unload waits for fsnotify's grace periods: 1 in 10 */
		if (i % 10 == 1)
			keep_watched_files(kept);
		if (unload(i))
			break;
		if (syscall(SYS_finit_module, fd, "", 0)) {
			printf("# round %u: finit_module(%s): %s\n", i, ko,
			       strerror(errno));
			break;
		}
		if (i % 10 == 1)
			close_kept_files(kept);
		smoke_round();
		smoke_round();
	}
	close(fd);
	if (i <= cycles) {
		printf("not ok 1 load_unload_%u # failed in round %u\n", cycles, i);
		printf("# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0\n");
		return 1;
	}
	printf("ok 1 load_unload_%u\n", cycles);
	printf("# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0\n");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--smoke [ROUNDS] | --cycle N IEPOLL_KO]\n"
		"Fail each allocation of an iepoll operation in turn, one KTAP test\n"
		"per scenario.  Needs root, the iepoll module and a kernel with\n"
		"CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug\n"
		"kernel's VM).\n"
		"\n"
		"  --smoke [ROUNDS]       no injection: open, watch, wait and close\n"
		"                         ROUNDS times (default 1)\n"
		"  --cycle N IEPOLL_KO    unload the module and load IEPOLL_KO N times,\n"
		"                         with instances used in between (one KTAP test)\n"
		"  -h, --help             this text\n"
		"  -V, --version          the version\n"
		"\n"
		"Exit status: 0, 1 if a test failed, 2 on a bad argument.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "smoke", no_argument, NULL, 's' },
		{ "cycle", required_argument, NULL, 'c' },
		TOOL_OPT_HELP,
		TOOL_OPT_VERSION,
		{ }
	};
	static const struct tool tool = { .name = PROG, .usage = usage };
	bool smoke = false;
	const char *cycles = NULL;
	int rounds = 1, i, c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tool_init(&tool, argv);
	while ((c = tool_getopt(argc, argv, "hV", longopts)) != -1) {
		switch (c) {
		case 's':
			smoke = true;
			break;
		case 'c':
			cycles = optarg;
			break;
		}
	}
	if (smoke && cycles)
		tool_usage_error("--smoke and --cycle exclude each other");
	if (cycles) {
		unsigned int n = tool_number("--cycle", cycles, 0, UINT_MAX);

		if (argc - optind != 1)
			tool_usage_error("--cycle N takes one IEPOLL_KO");
		return module_cycles(n, argv[optind]);
	}
	if (smoke && argc - optind == 1)
		rounds = tool_number("--smoke", argv[optind++], 0, INT_MAX);
	if (optind < argc)
		tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (smoke) {
		for (i = 0; i < rounds; i++)
			smoke_round();
		return 0;
	}
	return run_all();
}
