// SPDX-License-Identifier: GPL-2.0
/*
 * The two multiplexers behind the "epoll" and "iepoll" fixture variants and
 * small helpers the suites share.  Nothing here includes kselftest_harness.h:
 * the harness defines globals and may be included by one translation unit
 * only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/time_types.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mux.h"

#define NSEC_PER_SEC	1000000000LL

static int epoll_raw(int epfd, void *events, int maxevents,
		     long long timeout_ns, const void *sigmask,
		     size_t sigsetsize)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ns / NSEC_PER_SEC,
		.tv_nsec = timeout_ns % NSEC_PER_SEC,
	};

	return syscall(__NR_epoll_pwait2, epfd, events, maxevents,
		       timeout_ns < 0 ? NULL : &ts, sigmask, sigsetsize);
}

static int iepoll_raw(int epfd, void *events, int maxevents,
		      long long timeout_ns, const void *sigmask,
		      size_t sigsetsize)
{
	struct iepoll_wait wait = {
		.events = (unsigned long)events,
		.maxevents = maxevents,
		.timeout_ns = timeout_ns,
		.sigmask = (unsigned long)sigmask,
		.sigsetsize = sigsetsize,
	};

	return ioctl(epfd, IEPOLL_IOC_WAIT, &wait);
}

const struct mux_ops mux_epoll = MUX_OPS(epoll, true);
const struct mux_ops mux_iepoll = MUX_OPS(iepoll, false);

const char *mux_missing_hint(const struct mux_ops *ops)
{
	if (!ops->native && access(IEPOLL_DEVICE, F_OK))
		return " (" IEPOLL_DEVICE " is absent: the iepoll module is not loaded;"
		       " run the suites in the VM: scripts/vm -- selftests/run.sh)";
	return "";
}

long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

pid_t mux_gettid(void)
{
	return syscall(SYS_gettid);
}

/*
 * Waits until thread @tid of this process sleeps (state S), that is until it
 * is blocked in the call it was started for.  Returns 0, or -1 on timeout.
 */
int task_wait_sleeping(pid_t tid, int timeout_ms)
{
	long long end = now_ns() + timeout_ms * 1000000LL;
	char path[64], buf[256], *p;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	do {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -1;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		usleep(1000);
	} while (now_ns() < end);
	return -1;
}

/* scripts/vm exports IEPOLL_KERNEL to the command it runs in the guest. */
bool in_guest(void)
{
	return getenv("IEPOLL_KERNEL");
}

static void nop_handler(int sig)
{
	(void)sig;
}

int install_handler(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = nop_handler, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/* Drops @cap from the effective, permitted and inheritable sets. */
int drop_capability(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned int bit = CAP_TO_MASK(cap);
	int i = CAP_TO_INDEX(cap);

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[i].effective &= ~bit;
	data[i].permitted &= ~bit;
	data[i].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, data);
}

int read_long(const char *path, long *val)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f)
		return -1;
	ret = fscanf(f, "%ld", val) == 1 ? 0 : -1;
	fclose(f);
	return ret;
}

int write_long(const char *path, long val)
{
	char buf[32];
	int fd, len, ret;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%ld\n", val);
	ret = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return ret;
}
