// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-fdinfo - the iepoll instances that processes hold, read from their
 * /proc/PID/fdinfo/FD by the parser of tools/lib/iepoll.c: the holder's pid
 * and fd, the instance's id, creator and counters, and its items.  Text for
 * people, --json one document for programs (tools/iepoll-trace reads it).
 *
 * Usage: iepoll-fdinfo [--json] [PID...]  (--help for the whole of it).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/iepoll.h"
#include "lib/tool.h"

#define PROG		"iepoll-fdinfo"
#define MAX_COUNTERS	64

static int json;		/* --json, set by getopt_long() */
static int shown;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--json] [PID...]\n"
		"The iepoll instances the processes PID hold (every process's\n"
		"without PID), as their /proc/PID/fdinfo/FD tells: the holder's\n"
		"pid and fd, the instance's id, the pid and comm of the process\n"
		"that created it, its counters (the iepoll-stats line, named as\n"
		"printed) and its items (tfd, events, data, pos, ino, sdev).\n"
		"\n"
		"  --json            one JSON document: {\"instances\": [{\"pid\",\n"
		"                    \"fd\", \"id\", \"creator_pid\", \"comm\",\n"
		"                    \"stats\": {NAME: N...}, \"items\": [...]}...]}\n"
		"  -h, --help        this text\n"
		"  -V, --version     the version\n"
		"\n"
		"Without PID, the processes that cannot be read are left out.\n"
		"Exit status: 0, 1 if a process PID or an instance could not be\n"
		"read (the others are still shown), 2 on a bad argument.\n");
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Instance @fd of process @pid, as its fdinfo reads: 0, or -1. */
static int show(pid_t pid, int fd, long long id)
{
	struct iepoll_fdinfo_counter counters[MAX_COUNTERS];
	struct iepoll_fdinfo_item *items = NULL, *it;
	int nc, ni, max = 0, i, err;
	long long creator;
	char comm[64];

	/* The items can change between two reads: read until they fit. */
	for (;;) {
		ni = iepoll_fdinfo_items(pid, fd, items, max);
		if (ni < 0 || ni <= max)
			break;
		max = ni + 16;
		free(items);
		items = calloc(max, sizeof(*items));
		if (!items)
			return -1;
	}
	nc = iepoll_fdinfo_counters(pid, fd, counters, MAX_COUNTERS);
	creator = iepoll_fdinfo_get(pid, fd, "iepoll-pid");
	if (iepoll_fdinfo_str(pid, fd, "iepoll-comm", comm, sizeof(comm)))
		comm[0] = '\0';
	if (ni < 0 || nc < 0) {
		err = errno;
		free(items);
		/* Closed meanwhile, or its process has ended. */
		if (err == ENOENT || err == ESRCH)
			return 0;
		fprintf(stderr, PROG ": /proc/%d/fdinfo/%d: %s\n", pid, fd,
			strerror(err));
		return -1;
	}
	if (nc > MAX_COUNTERS)
		nc = MAX_COUNTERS;

	if (json) {
		printf("%s\n    {\"pid\": %d, \"fd\": %d, \"id\": %lld, ",
		       shown ? "," : "", pid, fd, id);
		printf("\"creator_pid\": %lld, \"comm\": ", creator);
		json_string(comm);
		printf(",\n     \"stats\": {");
		for (i = 0; i < nc; i++) {
			printf("%s", i ? ", " : "");
			json_string(counters[i].name);
			printf(": %llu", counters[i].value);
		}
		printf("},\n     \"items\": [");
		for (i = 0; i < ni; i++) {
			it = &items[i];
			printf("%s\n       {\"tfd\": %d, \"events\": %u, ",
			       i ? "," : "", it->tfd, it->events);
			printf("\"data\": %llu, \"pos\": %lld, ", it->data,
			       it->pos);
			printf("\"ino\": %lu, \"sdev\": %u}", it->ino,
			       it->sdev);
		}
		printf("%s]}", ni ? "\n     " : "");
	} else {
		printf("pid %d fd %d: iepoll instance %lld, ", pid, fd, id);
		printf("created by pid %lld (%s), %d item(s)\n", creator,
		       comm, ni);
		printf("  stats:");
		for (i = 0; i < nc; i++)
			printf(" %s %llu", counters[i].name, counters[i].value);
		printf("\n");
		for (i = 0; i < ni; i++) {
			it = &items[i];
			printf("  tfd %d events 0x%x data 0x%llx ", it->tfd,
			       it->events, it->data);
			printf("pos %lld ino 0x%lx sdev 0x%x\n", it->pos,
			       it->ino, it->sdev);
		}
	}
	shown++;
	free(items);
	return 0;
}

static int numeric(const struct dirent *d)
{
	return d->d_name[0] >= '0' && d->d_name[0] <= '9';
}

static int by_number(const struct dirent **a, const struct dirent **b)
{
	long x = atol((*a)->d_name), y = atol((*b)->d_name);

	return (x > y) - (x < y);
}

/*
 * The instances of process @pid: 0, or -1 if it could not be read (said
 * on stderr when @must).
 */
static int scan(pid_t pid, bool must)
{
	struct dirent **fds;
	char path[64];
	int n, i, ret = 0, fd;
	long long id;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	n = scandir(path, &fds, numeric, by_number);
	if (n < 0) {
		if (!must)
			return 0;
		if (errno == ENOENT)
			fprintf(stderr, PROG ": no process %d\n", pid);
		else
			fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		fd = atoi(fds[i]->d_name);
		/* Not an instance, or closed meanwhile. */
		id = iepoll_fdinfo_get(pid, fd, "iepoll-id");
		if (id >= 0 && show(pid, fd, id))
			ret = -1;
		free(fds[i]);
	}
	free(fds);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct tool tool = { .name = PROG, .usage = usage };
	static const struct option longopts[] = {
		{ "json", no_argument, &json, 1 },
		TOOL_OPT_HELP, TOOL_OPT_VERSION, { }
	};
	struct dirent **procs;
	int i, n, ret = 0;
	pid_t *pids;

	tool_init(&tool, argv);
	/* --help, --version and errors end in tool_getopt(); --json sets json */
	while (tool_getopt(argc, argv, "hV", longopts) != -1)
		continue;
	n = argc - optind;
	pids = calloc(n + 1, sizeof(*pids));
	if (!pids)
		return TOOL_EXIT_FAILURE;
	for (i = 0; i < n; i++)
		pids[i] = tool_number("PID", argv[optind + i], 1, INT_MAX);

	if (json)
		printf("{\"instances\": [");
	if (n) {
		for (i = 0; i < n; i++)
			if (scan(pids[i], true))
				ret = TOOL_EXIT_FAILURE;
	} else {
		n = scandir("/proc", &procs, numeric, by_number);
		if (n < 0) {
			perror(PROG ": /proc");
			return TOOL_EXIT_FAILURE;
		}
		for (i = 0; i < n; i++) {
			if (scan(atoi(procs[i]->d_name), false))
				ret = TOOL_EXIT_FAILURE;
			free(procs[i]);
		}
		free(procs);
	}
	if (json)
		printf("%s]}\n", shown ? "\n" : "");
	else if (!shown && !ret)
		printf("no iepoll instance\n");
	free(pids);
	return ret;
}
