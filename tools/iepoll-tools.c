// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the iepoll tools and the trace selftests.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "iepoll-tools.h"

static const char * const tracefs_roots[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

/* An instance kept for the next program: iepoll events off, buffer empty. */
static int tfs_reset(const struct tfs *t)
{
	int err = tfs_iepoll_events(t, false);

	return err ? err : tfs_clear(t);
}

int tfs_create(struct tfs *t, const char *name)
{
	char path[128];
	struct stat st;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(tracefs_roots); i++) {
		snprintf(path, sizeof(path), "%s/instances", tracefs_roots[i]);
		if (!stat(path, &st))
			break;
	}
	if (i == ARRAY_SIZE(tracefs_roots)) {
		fprintf(stderr, "tracefs is not mounted (no %s/instances)\n",
			tracefs_roots[0]);
		return -ENOENT;
	}
	snprintf(t->dir, sizeof(t->dir), "%s/%s", path, name);
	t->kept = false;
	if (!mkdir(t->dir, 0700))
		return 0;
	if (errno == EEXIST) {
		t->kept = true;
		err = tfs_reset(t);
	} else {
		err = -errno;
		fprintf(stderr, "mkdir %s: %s\n", t->dir, strerror(-err));
	}
	if (err)
		t->dir[0] = '\0';
	return err;
}

void tfs_remove(struct tfs *t)
{
	if (!t->dir[0])
		return;
	if (t->kept) {
		tfs_reset(t);
	} else {
		tfs_write(t, "events/enable", "0");
		/* The caller removes its triggers first: they keep it busy. */
		if (rmdir(t->dir))
			fprintf(stderr, "rmdir %s: %s\n", t->dir,
				strerror(errno));
	}
	t->dir[0] = '\0';
}

static int tfs_put(const struct tfs *t, const char *rel, const char *val,
		   int flags)
{
	char path[512];
	size_t len = strlen(val);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return err;
	}
	if (write(fd, val, len) != (ssize_t)len) {
		err = -errno;
		fprintf(stderr, "write '%s' to %s: %s\n", val, path,
			strerror(errno));
	}
	close(fd);
	return err;
}

/*
 * No O_TRUNC, as the shell's ">>": truncating a trigger file removes its
 * other triggers, and set_event would lose its other events.
 */
int tfs_write(const struct tfs *t, const char *rel, const char *val)
{
	return tfs_put(t, rel, val, O_APPEND);
}

char *tfs_read(const struct tfs *t, const char *rel)
{
	size_t len = 0, cap = 65536;
	char path[512], *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		if (cap - len < 4096) {
			char *nbuf = realloc(buf, cap * 2);

			if (!nbuf) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			fprintf(stderr, "read %s: %s\n", path, strerror(errno));
			free(buf);
			buf = NULL;
			break;
		}
		if (!n) {
			buf[len] = '\0';
			break;
		}
		len += n;
	}
	close(fd);
	return buf;
}

const char * const iepoll_stat_names[IEPOLL_NSTATS] = {
	"inserts", "modifies", "removes", "callbacks", "wakeups",
	"delivered", "overflows", "waits", "timeouts", "eintr",
	"max_ready", "items",
};

static_assert(sizeof(struct iepoll_stats) ==
	      offsetof(struct iepoll_stats, inserts) +
	      IEPOLL_NSTATS * sizeof(__u64),
	      "iepoll_stat_names[] names every counter of struct iepoll_stats");

int tfs_clear(const struct tfs *t)
{
	return tfs_put(t, "trace", "", O_TRUNC);
}

int tfs_iepoll_events(const struct tfs *t, bool on)
{
	return tfs_write(t, "events/iepoll/enable", on ? "1" : "0");
}

int iep_ctl(int iep, int op, int fd, u32 events, u64 data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return iepoll_ctl(iep, op, fd, &ev);
}

int iep_wait(int iep, struct epoll_event *ev, int maxevents, int64_t timeout_ns)
{
	struct timespec ts = {
		.tv_sec = timeout_ns / 1000000000,
		.tv_nsec = timeout_ns % 1000000000,
	};

	return iepoll_pwait2(iep, ev, maxevents, timeout_ns < 0 ? NULL : &ts,
			     NULL);
}
