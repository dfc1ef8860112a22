// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-run - run an unmodified program with its epoll calls, and those of
 * its children, on /dev/iepoll.
 *
 * It checks that /dev/iepoll opens (else it fails, or with --fallback warns
 * once and lets the program use native epoll), preloads libiepoll-run.so
 * (found next to this program, or at $IEPOLL_RUN_LIB) into CMD, waits for
 * CMD and exits with its status.  The library appends a line per instance
 * and per process that made epoll calls to a log (--log FILE, else a
 * temporary file), created mode 0600 by iepoll-run and handed to CMD as an
 * open descriptor (IEPOLL_RUN_LOG_FD), never by path: CMD's processes may
 * change their user (nginx workers) and must still write to it, and no
 * other user may write to it.  When CMD created no instance, iepoll-run
 * says at exit what happened (no epoll call through the library: a static
 * binary, Go's raw syscalls; or calls and refusals, as epoll_create(0)'s
 * EINVAL) unless --quiet.  Exit status: CMD's (128 + N, or the same
 * signal, when CMD was killed by signal N); 125 when iepoll-run itself
 * fails, 126 when CMD cannot be executed, 127 when it is not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iepoll.h>

#include "lib/tool.h"

#define PROG		"iepoll-run"
#define DEVICE		"/dev/iepoll"
#define LIBNAME		"libiepoll-run.so"
#define EXIT_SELF	TOOL_EXIT_RUNNER

static pid_t child;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--fallback] [--quiet] [--log FILE] [--] CMD [ARGS...]\n"
		"Run CMD with every epoll call of it and of its children on " DEVICE ".\n"
		"\n"
		"  --fallback     if " DEVICE " cannot be opened, warn once and run\n"
		"                 CMD on native epoll (without it, " PROG " fails)\n"
		"  --quiet        do not say at exit that CMD created no instance\n"
		"                 (no epoll call through the library, as in static\n"
		"                 binaries and Go, or only calls that failed)\n"
		"  --log FILE     write a line per instance created and per instance\n"
		"                 closed (its IEPOLL_IOC_STATS counters), per failed\n"
		"                 epoll_create and per process that made epoll calls\n"
		"                 to FILE (created mode 0600, or truncated)\n"
		"  -h, --help     this text\n"
		"  -V, --version  the version\n"
		"\n"
		"Exit status: CMD's; 125 if " PROG " fails, 126 if CMD cannot run,\n"
		"127 if CMD is not found.\n");
}

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* The preload library: $IEPOLL_RUN_LIB, else next to this program. */
static int find_library(char *path, size_t size)
{
	const char *env = getenv("IEPOLL_RUN_LIB");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(path, size, "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0) {
			fprintf(stderr, PROG ": cannot read /proc/self/exe: %s\n",
				strerror(errno));
			return -1;
		}
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		if ((size_t)snprintf(path, size, "%s/" LIBNAME, self) >= size) {
			fprintf(stderr, PROG ": path too long: %s\n", self);
			return -1;
		}
	}
	if (access(path, R_OK)) {
		fprintf(stderr, PROG ": cannot read the preload library %s: %s\n"
			PROG ": build it with make -C tools\n",
			path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Can /dev/iepoll be opened and does it answer?  0, or -1 with errno. */
static int probe_device(void)
{
	int fd = open(DEVICE, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, IEPOLL_IOC_VERSION);
	close(fd);
	if (ret < 1) {
		errno = ret < 0 ? errno : EPROTO;
		return -1;
	}
	return 0;
}

/*
 * The log the library appends to, open O_APPEND and without O_CLOEXEC:
 * CMD's processes inherit it, whichever user they become.  Mode 0600 (an
 * existing --log FILE keeps its mode and owner); O_NOFOLLOW: a link
 * planted at FILE is not followed.  Its fd, device and inode go into
 * IEPOLL_RUN_LOG_FD, so that the library writes only while that fd still
 * is this file.
 */
static int open_log(const char *path, char *tmpl, size_t size)
{
	const char *dir = getenv("TMPDIR");
	char val[64];
	struct stat st;
	int fd;

	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
			  O_NOFOLLOW, 0600);
		snprintf(tmpl, size, "%s", path);
	} else {
		snprintf(tmpl, size, "%s/iepoll-run.XXXXXX",
			 dir && *dir ? dir : "/tmp");
		fd = mkostemp(tmpl, O_APPEND);
	}
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, PROG ": cannot create the log %s: %s\n", tmpl,
			strerror(errno));
		return -1;
	}
	snprintf(val, sizeof(val), "%d:%llu:%llu", fd,
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	if (setenv("IEPOLL_RUN_LOG_FD", val, 1)) {
		fprintf(stderr, PROG ": cannot set the environment: %s\n",
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* What the log says CMD did. */
struct log_counts {
	long creates;		/* instances created */
	long processes;		/* processes that made an epoll call */
	long calls;		/* their calls, as counted at their exit */
	long refused;		/* epoll_create calls that failed */
	char first_refusal[128];
};

static int count_log(const char *path, struct log_counts *c)
{
	char line[512];
	unsigned long n;
	FILE *f = fopen(path, "re");

	memset(c, 0, sizeof(*c));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "iepoll-run: create ", 19)) {
			c->creates++;
		} else if (!strncmp(line, "iepoll-run: call ", 17)) {
			c->processes++;
		} else if (sscanf(line, "iepoll-run: calls pid=%*d n=%lu",
				  &n) == 1) {
			c->calls += n;
		} else if (!strncmp(line, "iepoll-run: refused ", 20)) {
			if (!c->refused++)
				snprintf(c->first_refusal,
					 sizeof(c->first_refusal), "%.*s",
					 (int)strcspn(line + 20, "\n"),
					 line + 20);
		}
	}
	fclose(f);
	return 0;
}

/* At exit, when CMD created no instance: what it did instead. */
static void say_no_instance(const char *cmd, const struct log_counts *c)
{
	if (!c->processes) {
		fprintf(stderr,
			PROG ": %s made no epoll call through the library: nothing ran on %s\n"
			PROG ": (a static binary, or a runtime that issues the epoll\n"
			PROG ": system calls itself, as Go's does, cannot be redirected;\n"
			PROG ": --quiet hides this)\n",
			cmd, DEVICE);
		return;
	}
	fprintf(stderr,
		PROG ": %s made epoll calls through the library in %ld process(es)",
		cmd, c->processes);
	if (c->calls)
		fprintf(stderr, " (%ld calls counted at their exit)",
			c->calls);
	fprintf(stderr, " and created no instance on %s\n", DEVICE);
	if (c->refused)
		fprintf(stderr, PROG ": %ld epoll_create call(s) failed, the first: %s\n",
			c->refused, c->first_refusal);
	fprintf(stderr, PROG ": (--quiet hides this)\n");
}

static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	int ret;

	if (old && *old) {
		if (asprintf(&val, "%s:%s", lib, old) < 0)
			return -1;
	} else {
		val = strdup(lib);
		if (!val)
			return -1;
	}
	ret = setenv("LD_PRELOAD", val, 1);
	free(val);
	return ret;
}

/* Run @argv with a CLOEXEC pipe that carries errno if exec fails. */
static int spawn(char **argv, int *exec_errno)
{
	int p[2], err = 0;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(argv[0], argv);
		err = errno;
		if (write(p[1], &err, sizeof(err)) != sizeof(err))
			_exit(EXIT_SELF);
		_exit(err == ENOENT ? 127 : 126);
	}
	close(p[1]);
	do {
		n = read(p[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(p[0]);
	*exec_errno = n == sizeof(err) ? err : 0;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fallback", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "log", required_argument, NULL, 'l' },
		TOOL_OPT_HELP,
		TOOL_OPT_VERSION,
		{ }
	};
	static const struct tool tool = {
		.name = PROG,
		.usage = usage,
		.usage_status = EXIT_SELF,
	};
	bool fallback = false, quiet = false;
	char lib[PATH_MAX], logpath[PATH_MAX];
	const char *log = NULL;
	int c, status, exec_errno, logfd;
	struct sigaction sa = { .sa_handler = forward };
	struct log_counts counts;

	tool_init(&tool, argv);
	/* "+": CMD's options are CMD's */
	while ((c = tool_getopt(argc, argv, "+hV", opts)) != -1) {
		switch (c) {
		case 'f':
			fallback = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'l':
			log = optarg;
			break;
		}
	}
	if (optind >= argc)
		tool_usage_error("no command given");

	if (find_library(lib, sizeof(lib)))
		return EXIT_SELF;
	if (probe_device()) {
		int err = errno;

		if (!fallback) {
			fprintf(stderr,
				PROG ": cannot use " DEVICE ": %s\n"
				PROG ": load the iepoll module (insmod iepoll.ko) and check\n"
				PROG ": the device's permissions; --fallback runs CMD on\n"
				PROG ": native epoll instead\n",
				strerror(err));
			return EXIT_SELF;
		}
		fprintf(stderr, PROG ": warning: cannot use " DEVICE
			" (%s): --fallback: CMD runs on native epoll\n",
			strerror(err));
		setenv("IEPOLL_RUN_FALLBACK", "1", 1);
	} else {
		unsetenv("IEPOLL_RUN_FALLBACK");
	}
	logfd = open_log(log, logpath, sizeof(logpath));
	if (logfd < 0)
		return EXIT_SELF;
	unsetenv("IEPOLL_RUN_LOG");
	if (set_preload(lib)) {
		fprintf(stderr, PROG ": cannot set the environment: %s\n",
			strerror(errno));
		goto fail;
	}

	/* Ctrl-C and Ctrl-\ reach CMD through the terminal; end with it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	if (spawn(argv + optind, &exec_errno)) {
		fprintf(stderr, PROG ": cannot fork: %s\n", strerror(errno));
		goto fail;
	}
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, PROG ": waitpid: %s\n", strerror(errno));
			goto fail;
		}
	}
	if (exec_errno) {
		fprintf(stderr, PROG ": cannot run %s: %s\n", argv[optind],
			strerror(exec_errno));
		if (!log)
			unlink(logpath);
		return exec_errno == ENOENT ? 127 : 126;
	}

	close(logfd);
	if (!count_log(logpath, &counts) && !counts.creates && !quiet)
		say_no_instance(argv[optind], &counts);
	if (!log)
		unlink(logpath);

	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		/* Die of the same signal, so that a shell sees it; no core. */
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
		    sig == SIGPIPE || sig == SIGKILL) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		return 128 + sig;
	}
	return WEXITSTATUS(status);

fail:
	if (!log)
		unlink(logpath);
	return EXIT_SELF;
}
