// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for iepoll's core, driven from the inside: the keyed
 * (file, fd) tree, the ready and overflow lists and the wakeup callback,
 * the removal of closed files (files.c's fsnotify close event), watch
 * accounting, and the loop, depth and wakeup-path checks between nested
 * instances (nest.c).
 *
 * The targets are files of this module's own (struct kt_target) whose poll
 * mask and wait queue the test controls, so a case can make a target ready,
 * wake it with any key, or run a wakeup from inside a transfer.  Instances
 * are real: iepoll_create() plus an anonymous file with iepoll_fops, as
 * /dev/iepoll would give.  Nothing here depends on iepoll's module_init
 * having done more than create its caches.
 */

#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "core.h"

#define KT_MAX		16
#define KT_FD		7	/* the fd number items are keyed with */

/* __poll_t is a sparse "bitwise" type: compare its bits as plain u32. */
#define KT_EXPECT_POLL_EQ(test, got, want) \
	KUNIT_EXPECT_EQ(test, (__force u32)(got), (__force u32)(want))

/* A pollable file whose readiness the test sets. */
struct kt_target {
	wait_queue_head_t wq;
	__poll_t mask;
	struct file *file;
	bool put;			/* the test dropped its reference */
	struct completion released;	/* ->release ran: no reference left */
	struct kt_target *poke;		/* made ready from inside our ->poll */
	int pokes;			/* that many wakeups */
};

/* What a case created, undone by kt_exit() even when the case failed. */
struct kt_ctx {
	struct file *inst[KT_MAX];
	int ninst;
	struct kt_target *tgt[KT_MAX];
	int ntgt;
};

static __poll_t kt_poll(struct file *file, poll_table *pt)
{
	struct kt_target *t = file->private_data;
	struct kt_target *p = t->poke;

	poll_wait(file, &t->wq, pt);
	if (p) {
		t->poke = NULL;
		WRITE_ONCE(p->mask, EPOLLIN);
		while (t->pokes-- > 0)
			wake_up_poll(&p->wq, EPOLLIN);
	}
	return READ_ONCE(t->mask);
}

static int kt_release(struct inode *inode, struct file *file)
{
	struct kt_target *t = file->private_data;

	complete_all(&t->released);
	return 0;
}

static const struct file_operations kt_fops = {
	.owner = THIS_MODULE,
	.poll = kt_poll,
	.release = kt_release,
	.llseek = noop_llseek,
};

static const struct file_operations kt_nopoll_fops = {
	.owner = THIS_MODULE,
	.release = kt_release,
	.llseek = noop_llseek,
};

static struct kt_target *kt_target_fops(struct kunit *test, __poll_t mask,
					const struct file_operations *fops)
{
	struct kt_ctx *ctx = test->priv;
	struct kt_target *t;

	KUNIT_ASSERT_LT(test, ctx->ntgt, KT_MAX);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	init_waitqueue_head(&t->wq);
	init_completion(&t->released);
	t->mask = mask;
	t->file = anon_inode_getfile("iepoll-kunit", fops, t, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->file);
	ctx->tgt[ctx->ntgt++] = t;
	return t;
}

static struct kt_target *kt_target(struct kunit *test, __poll_t mask)
{
	return kt_target_fops(test, mask, &kt_fops);
}

/*
 * Drop the test's reference, the last: the file's close runs, in a worker
 * (a kernel thread's fput() is deferred), and flush_delayed_fput() waits
 * for it.
 */
static void kt_target_put(struct kt_target *t)
{
	t->put = true;
	fput(t->file);
	flush_delayed_fput();
}

/* An instance as an open of /dev/iepoll makes it. */
static struct iepoll *kt_instance(struct kunit *test, struct file **filep)
{
	struct kt_ctx *ctx = test->priv;
	struct file *file;
	struct iepoll *ep;

	KUNIT_ASSERT_LT(test, ctx->ninst, KT_MAX);
	ep = iepoll_create();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ep);
	file = anon_inode_getfile("[iepoll]", &iepoll_fops, ep, O_RDWR);
	if (IS_ERR(file))
		iepoll_free(ep);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	iepoll_attach_file(ep, file);
	ctx->inst[ctx->ninst++] = file;
	if (filep)
		*filep = file;
	return ep;
}

/*
 * Close an instance now, as the last close(2) of its descriptor would: the
 * test runs in a kernel thread, whose fput() defers the release.
 */
static void kt_instance_close(struct kunit *test, struct file *file)
{
	struct kt_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < ctx->ninst; i++) {
		if (ctx->inst[i] == file) {
			ctx->inst[i] = NULL;
			__fput_sync(file);
			return;
		}
	}
	KUNIT_FAIL(test, "closing an instance the case did not create");
}

/* Whether anything (an iepoll hook) is on the target's wait queue. */
static bool kt_hooked(struct kt_target *t)
{
	unsigned long flags;
	bool hooked;

	spin_lock_irqsave(&t->wq.lock, flags);
	hooked = !list_empty(&t->wq.head);
	spin_unlock_irqrestore(&t->wq.lock, flags);
	return hooked;
}

static int kt_ctl(struct iepoll *ep, int op, struct file *tfile, int fd,
		  __poll_t events, u64 data)
{
	struct epoll_event e = { .events = events, .data = data };

	return iepoll_ctl(ep, op, tfile, fd, &e);
}

static int kt_add(struct iepoll *ep, struct kt_target *t, __poll_t events)
{
	return kt_ctl(ep, EPOLL_CTL_ADD, t->file, KT_FD, events, 0);
}

static struct iepoll_item *kt_find(struct iepoll *ep, struct file *file, int fd)
{
	struct iepoll_item *epi;

	mutex_lock(&ep->mtx);
	epi = iepoll_find(ep, file, fd);
	mutex_unlock(&ep->mtx);
	return epi;
}

/* The usual start: one instance watching one target, under KT_FD. */
static struct iepoll_item *kt_setup(struct kunit *test, struct iepoll **epp,
				    struct kt_target **tp, __poll_t mask,
				    __poll_t events)
{
	struct iepoll_item *epi;

	*epp = kt_instance(test, NULL);
	*tp = kt_target(test, mask);
	KUNIT_ASSERT_EQ(test, kt_add(*epp, *tp, events), 0);
	epi = kt_find(*epp, (*tp)->file, KT_FD);
	KUNIT_ASSERT_NOT_NULL(test, epi);
	return epi;
}

static bool kt_queued(struct iepoll *ep, struct iepoll_item *epi)
{
	bool queued;

	spin_lock_irq(&ep->lock);
	queued = !list_empty(&epi->rdllink);
	spin_unlock_irq(&ep->lock);
	return queued;
}

/* Length of the ready list, checked against ep->nready. */
static unsigned int kt_nready(struct kunit *test, struct iepoll *ep)
{
	struct list_head *pos;
	unsigned int n = 0, nready;

	spin_lock_irq(&ep->lock);
	list_for_each(pos, &ep->rdllist)
		n++;
	nready = ep->nready;
	spin_unlock_irq(&ep->lock);
	KUNIT_EXPECT_EQ_MSG(test, n, nready, "ep->nready disagrees with the list");
	return n;
}

static u64 kt_stat(struct iepoll *ep, size_t offset)
{
	struct iepoll_stats_v2 st;

	iepoll_get_stats_v2(ep, &st);
	return *(u64 *)((char *)&st + offset);
}

#define KT_STAT(ep, field) \
	kt_stat(ep, offsetof(struct iepoll_stats_v2, stats.field))

static int kt_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct kt_ctx), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

/*
 * Instances first (their release unhooks every item from the targets'
 * wait queues), then the targets: each must then be released, or iepoll
 * kept a reference.
 */
static void kt_exit(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < ctx->ninst; i++)
		if (ctx->inst[i])
			__fput_sync(ctx->inst[i]);
	/* instances released by those releases, a level at a time */
	for (i = 0; i <= IEPOLL_MAX_NESTS + 1; i++)
		flush_delayed_fput();
	for (i = 0; i < ctx->ntgt; i++)
		if (!ctx->tgt[i]->put)
			fput(ctx->tgt[i]->file);
	flush_delayed_fput();
	for (i = 0; i < ctx->ntgt; i++) {
		struct kt_target *t = ctx->tgt[i];

		KUNIT_EXPECT_TRUE_MSG(test,
				      wait_for_completion_timeout(&t->released,
								  5 * HZ),
				      "target %d still referenced after every instance closed",
				      i);
		KUNIT_EXPECT_FALSE(test, kt_hooked(t));
	}
}

/* ------------------------------------------------------------------ */
/* iepoll_tree: EPOLL_CTL_* and the (file, fd) key                     */

static void add_then_find_by_file_and_fd(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);
	struct iepoll_item *epi;

	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_ADD, t->file, 3, EPOLLIN,
				     0x1234), 0);
	epi = kt_find(ep, t->file, 3);
	KUNIT_ASSERT_NOT_NULL(test, epi);
	KUNIT_EXPECT_PTR_EQ(test, epi->file, t->file);
	KUNIT_EXPECT_EQ(test, epi->fd, 3);
	KUNIT_EXPECT_PTR_EQ(test, epi->ep, ep);
	KUNIT_EXPECT_EQ(test, epi->event.data, 0x1234ULL);
	KUNIT_EXPECT_NULL(test, kt_find(ep, t->file, 4));
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 1ULL);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, inserts), 1ULL);
}

static void same_file_under_two_fds_is_two_items(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);
	struct iepoll_item *a, *b;

	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_ADD, t->file, 3, EPOLLIN, 1), 0);
	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_ADD, t->file, 4, EPOLLIN, 2), 0);
	a = kt_find(ep, t->file, 3);
	b = kt_find(ep, t->file, 4);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	/* both share the one record of the file */
	KUNIT_EXPECT_PTR_EQ(test, a->rec, b->rec);
	KUNIT_EXPECT_EQ(test, kt_ctl(ep, EPOLL_CTL_DEL, t->file, 3, 0, 0), 0);
	KUNIT_EXPECT_NULL(test, kt_find(ep, t->file, 3));
	KUNIT_EXPECT_PTR_EQ(test, kt_find(ep, t->file, 4), b);
}

static void same_fd_of_two_files_is_two_items(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t1 = kt_target(test, 0), *t2 = kt_target(test, 0);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t1, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_add(ep, t2, EPOLLIN), 0);
	KUNIT_EXPECT_PTR_NE(test, kt_find(ep, t1->file, KT_FD),
			    kt_find(ep, t2->file, KT_FD));
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 2ULL);
}

static void ctl_errors_follow_epoll(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);

	KUNIT_EXPECT_EQ(test, kt_ctl(ep, EPOLL_CTL_DEL, t->file, KT_FD, 0, 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, kt_ctl(ep, EPOLL_CTL_MOD, t->file, KT_FD,
				     EPOLLIN, 0), -ENOENT);
	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, kt_add(ep, t, EPOLLOUT), -EEXIST);
	KUNIT_EXPECT_EQ(test, kt_ctl(ep, 0, t->file, KT_FD, EPOLLIN, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 1ULL);
	KUNIT_EXPECT_EQ(test, kt_ctl(ep, EPOLL_CTL_DEL, t->file, KT_FD, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_ctl(ep, EPOLL_CTL_DEL, t->file, KT_FD, 0, 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 0ULL);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, removes), 1ULL);
}

static void target_without_poll_is_eperm(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target_fops(test, 0, &kt_nopoll_fops);

	KUNIT_EXPECT_EQ(test, kt_add(ep, t, EPOLLIN), -EPERM);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 0ULL);
}

static void ctl_adds_err_and_hup(struct kunit *test)
{
	struct iepoll *ep;
	struct kt_target *t;
	struct iepoll_item *epi = kt_setup(test, &ep, &t, 0, EPOLLIN);

	KT_EXPECT_POLL_EQ(test, epi->event.events, EPOLLIN | EPOLLERR | EPOLLHUP);
	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_MOD, t->file, KT_FD,
				     EPOLLOUT | EPOLLET, 0), 0);
	KT_EXPECT_POLL_EQ(test, epi->event.events,
			  EPOLLOUT | EPOLLET | EPOLLERR | EPOLLHUP);
}

static void exclusive_item_cannot_be_modified(struct kunit *test)
{
	struct iepoll *ep;
	struct kt_target *t;
	struct iepoll_item *epi = kt_setup(test, &ep, &t, 0, EPOLLIN | EPOLLEXCLUSIVE);

	KUNIT_ASSERT_NOT_NULL(test, epi->pwqlist);
	KUNIT_EXPECT_TRUE(test, epi->pwqlist->wait.flags & WQ_FLAG_EXCLUSIVE);
	KUNIT_EXPECT_EQ(test, kt_ctl(ep, EPOLL_CTL_MOD, t->file, KT_FD,
				     EPOLLIN, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kt_ctl(ep, EPOLL_CTL_MOD, t->file, KT_FD,
				     EPOLLIN | EPOLLEXCLUSIVE, 0), -EINVAL);
}

/* Many keys in one tree, added and removed in a scrambled order. */
static void many_items_keep_the_tree_consistent(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t[3];
	int i, j, fd;

	for (j = 0; j < 3; j++)
		t[j] = kt_target(test, 0);
	for (i = 0; i < 64; i++) {
		fd = (i * 37) % 64;
		for (j = 0; j < 3; j++)
			KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_ADD,
						     t[j]->file, fd, EPOLLIN,
						     fd * 3 + j), 0);
	}
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 192ULL);
	for (i = 0; i < 64; i += 2)
		for (j = 0; j < 3; j++)
			KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_DEL,
						     t[j]->file, i, 0, 0), 0);
	for (i = 0; i < 64; i++) {
		for (j = 0; j < 3; j++) {
			struct iepoll_item *epi = kt_find(ep, t[j]->file, i);

			if (i % 2 == 0) {
				KUNIT_EXPECT_NULL(test, epi);
				continue;
			}
			KUNIT_ASSERT_NOT_NULL(test, epi);
			KUNIT_EXPECT_EQ(test, epi->event.data, (u64)(i * 3 + j));
		}
	}
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 96ULL);
}

static void watches_are_charged_per_user(struct kunit *test)
{
	struct file *f2;
	struct iepoll *ep1 = kt_instance(test, NULL);
	struct iepoll *ep2 = kt_instance(test, &f2);
	struct kt_target *t = kt_target(test, 0);
	long w0 = iepoll_user_watches(ep1);

	/* both instances were opened by the same user: one account */
	KUNIT_EXPECT_PTR_EQ(test, ep1->user, ep2->user);
	KUNIT_ASSERT_EQ(test, kt_add(ep1, t, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, iepoll_user_watches(ep1), w0 + 1);
	KUNIT_ASSERT_EQ(test, kt_add(ep2, t, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_ctl(ep2, EPOLL_CTL_ADD, t->file, KT_FD + 1,
				     EPOLLIN, 0), 0);
	KUNIT_EXPECT_EQ(test, iepoll_user_watches(ep2), w0 + 3);
	KUNIT_EXPECT_EQ(test, kt_add(ep1, t, EPOLLIN), -EEXIST);
	KUNIT_EXPECT_EQ(test, iepoll_user_watches(ep1), w0 + 3);
	KUNIT_ASSERT_EQ(test, kt_ctl(ep1, EPOLL_CTL_DEL, t->file, KT_FD, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, iepoll_user_watches(ep1), w0 + 2);
	/* closing an instance gives its watches back */
	kt_instance_close(test, f2);
	KUNIT_EXPECT_EQ(test, iepoll_user_watches(ep1), w0);
}

static struct kunit_case tree_cases[] = {
	KUNIT_CASE(add_then_find_by_file_and_fd),
	KUNIT_CASE(same_file_under_two_fds_is_two_items),
	KUNIT_CASE(same_fd_of_two_files_is_two_items),
	KUNIT_CASE(ctl_errors_follow_epoll),
	KUNIT_CASE(target_without_poll_is_eperm),
	KUNIT_CASE(ctl_adds_err_and_hup),
	KUNIT_CASE(exclusive_item_cannot_be_modified),
	KUNIT_CASE(many_items_keep_the_tree_consistent),
	KUNIT_CASE(watches_are_charged_per_user),
	{}
};

static struct kunit_suite tree_suite = {
	.name = "iepoll_tree",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = tree_cases,
};

/* ------------------------------------------------------------------ */
/* iepoll_ready: the callback, the ready list and the overflow list    */

static void ready_target_is_queued_at_add(struct kunit *test)
{
	struct iepoll *ep;
	struct kt_target *t;
	struct iepoll_item *epi = kt_setup(test, &ep, &t, EPOLLIN, EPOLLIN);

	KUNIT_EXPECT_TRUE(test, kt_queued(ep, epi));
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 1U);
	/* polling the instance reports it and leaves it queued */
	KT_EXPECT_POLL_EQ(test, iepoll_poll(ep, NULL, NULL), EPOLLIN | EPOLLRDNORM);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 1U);
}

static void idle_target_is_not_queued(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, EPOLLOUT);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 0U);
	KT_EXPECT_POLL_EQ(test, iepoll_poll(ep, NULL, NULL), 0U);
}

static void callback_queues_on_matching_key(struct kunit *test)
{
	struct iepoll *ep;
	struct kt_target *t;
	struct iepoll_item *epi = kt_setup(test, &ep, &t, 0, EPOLLIN);

	t->mask = EPOLLIN;
	wake_up_poll(&t->wq, EPOLLIN);
	KUNIT_EXPECT_TRUE(test, kt_queued(ep, epi));
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, callbacks), 1ULL);
	/* a second wakeup finds it queued: still one entry */
	wake_up_poll(&t->wq, EPOLLIN);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 1U);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, callbacks), 2ULL);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, max_ready), 1ULL);
}

static void callback_ignores_foreign_key(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	wake_up_poll(&t->wq, EPOLLOUT);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 0U);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, callbacks), 1ULL);
}

static void callback_hup_reaches_an_in_item(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	t->mask = EPOLLHUP;
	wake_up_poll(&t->wq, EPOLLHUP);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 1U);
	KT_EXPECT_POLL_EQ(test, iepoll_poll(ep, NULL, NULL), EPOLLIN | EPOLLRDNORM);
}

static void callback_without_key_queues(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLOUT), 0);
	wake_up(&t->wq);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 1U);
}

static void disarmed_oneshot_waits_for_mod(struct kunit *test)
{
	struct iepoll *ep;
	struct kt_target *t;
	struct iepoll_item *epi = kt_setup(test, &ep, &t, 0, EPOLLIN | EPOLLONESHOT);

	/* what a delivery does to a ONESHOT item */
	spin_lock_irq(&ep->lock);
	epi->event.events &= IEPOLL_PRIVATE_BITS;
	spin_unlock_irq(&ep->lock);

	t->mask = EPOLLIN;
	wake_up_poll(&t->wq, EPOLLIN);
	KUNIT_EXPECT_FALSE(test, kt_queued(ep, epi));
	/* MOD re-arms it, and it reports the readiness it missed */
	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_MOD, t->file, KT_FD,
				     EPOLLIN | EPOLLONESHOT, 0), 0);
	KUNIT_EXPECT_TRUE(test, kt_queued(ep, epi));
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, modifies), 1ULL);
}

static void mod_to_ready_events_queues(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, EPOLLOUT);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 0U);
	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_MOD, t->file, KT_FD,
				     EPOLLIN | EPOLLOUT, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 1U);
}

/*
 * A wakeup that fires while the ready list is being transferred (here:
 * from inside the poll of another ready target) must go to the overflow
 * list, and come back to the ready list when the transfer ends, after
 * what the transfer left, as in ep_done_scan().
 */
static void callback_during_transfer_overflows(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *a = kt_target(test, EPOLLIN);
	struct kt_target *b = kt_target(test, 0);
	struct iepoll_item *ea, *eb;

	KUNIT_ASSERT_EQ(test, kt_add(ep, a, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_add(ep, b, EPOLLIN), 0);
	ea = kt_find(ep, a->file, KT_FD);
	eb = kt_find(ep, b->file, KT_FD);
	KUNIT_ASSERT_NOT_NULL(test, ea);
	KUNIT_ASSERT_NOT_NULL(test, eb);
	KUNIT_ASSERT_EQ(test, kt_nready(test, ep), 1U);

	a->poke = b;
	a->pokes = 2;	/* the second wakeup finds it on the overflow list */
	KT_EXPECT_POLL_EQ(test, iepoll_poll(ep, NULL, NULL), EPOLLIN | EPOLLRDNORM);

	KUNIT_EXPECT_EQ(test, KT_STAT(ep, overflows), 1ULL);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, callbacks), 2ULL);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(ep->ovflist), IEPOLL_UNACTIVE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, eb->next, IEPOLL_UNACTIVE_PTR);
	KUNIT_ASSERT_EQ(test, kt_nready(test, ep), 2U);
	spin_lock_irq(&ep->lock);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&ep->rdllist,
						   struct iepoll_item, rdllink),
			    ea);
	KUNIT_EXPECT_PTR_EQ(test, list_last_entry(&ep->rdllist,
						  struct iepoll_item, rdllink),
			    eb);
	spin_unlock_irq(&ep->lock);
}

/* An item in the transfer woken again must not be linked twice. */
static void callback_on_item_in_transfer_is_linked_once(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *a = kt_target(test, EPOLLIN);
	struct kt_target *b = kt_target(test, EPOLLIN);

	KUNIT_ASSERT_EQ(test, kt_add(ep, a, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_add(ep, b, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_nready(test, ep), 2U);
	/* a is polled first and wakes b, which waits in the transfer list */
	a->poke = b;
	a->pokes = 1;
	KT_EXPECT_POLL_EQ(test, iepoll_poll(ep, NULL, NULL), EPOLLIN | EPOLLRDNORM);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 2U);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(ep->ovflist), IEPOLL_UNACTIVE_PTR);
}

static void poll_drops_items_no_longer_ready(struct kunit *test)
{
	struct iepoll *ep;
	struct kt_target *t;
	struct iepoll_item *epi = kt_setup(test, &ep, &t, EPOLLIN, EPOLLIN);

	KUNIT_ASSERT_TRUE(test, kt_queued(ep, epi));
	t->mask = 0;	/* drained without a wakeup, as a read would */
	KT_EXPECT_POLL_EQ(test, iepoll_poll(ep, NULL, NULL), 0U);
	KUNIT_EXPECT_FALSE(test, kt_queued(ep, epi));
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 0U);
}

/* Nobody waits: an exclusive wakeup reaches every exclusive item. */
static void exclusive_items_all_queue_without_waiters(struct kunit *test)
{
	struct iepoll *ep1 = kt_instance(test, NULL);
	struct iepoll *ep2 = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);

	KUNIT_ASSERT_EQ(test, kt_add(ep1, t, EPOLLIN | EPOLLEXCLUSIVE), 0);
	KUNIT_ASSERT_EQ(test, kt_add(ep2, t, EPOLLIN | EPOLLEXCLUSIVE), 0);
	t->mask = EPOLLIN;
	wake_up_poll(&t->wq, EPOLLIN);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep1), 1U);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep2), 1U);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep1, wakeups), 0ULL);
}

/* POLLFREE: the queue goes away; the item must let go of it at once. */
static void pollfree_unhooks_the_item(struct kunit *test)
{
	struct iepoll *ep;
	struct kt_target *t;
	struct iepoll_item *epi = kt_setup(test, &ep, &t, 0, EPOLLIN);

	KUNIT_ASSERT_TRUE(test, kt_hooked(t));
	wake_up_pollfree(&t->wq);	/* WARNs if an entry stayed */
	KUNIT_EXPECT_FALSE(test, kt_hooked(t));
	KUNIT_ASSERT_NOT_NULL(test, epi->pwqlist);
	KUNIT_EXPECT_NULL(test, READ_ONCE(epi->pwqlist->whead));
	/* EPOLLHUP came with it */
	KUNIT_EXPECT_TRUE(test, kt_queued(ep, epi));
	/* removal must not touch the queue any more */
	KUNIT_EXPECT_EQ(test, kt_ctl(ep, EPOLL_CTL_DEL, t->file, KT_FD, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 0U);
}

static void wakeup_item_holds_a_wakeup_source(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, EPOLLIN);
	struct iepoll_item *epi;

	if (!IS_ENABLED(CONFIG_PM_SLEEP))
		kunit_skip(test, "EPOLLWAKEUP needs CONFIG_PM_SLEEP");
	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN | EPOLLWAKEUP), 0);
	epi = kt_find(ep, t->file, KT_FD);
	KUNIT_ASSERT_NOT_NULL(test, epi);
	KUNIT_ASSERT_NOT_NULL(test, epi->ws);
	KUNIT_EXPECT_NOT_NULL(test, ep->ws);
	/* queued at ADD: the system is kept awake until it is delivered */
	KUNIT_EXPECT_TRUE(test, epi->ws->active);
	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_MOD, t->file, KT_FD,
				     EPOLLIN, 0), 0);
	KUNIT_EXPECT_NULL(test, epi->ws);
}

static struct kunit_case ready_cases[] = {
	KUNIT_CASE(ready_target_is_queued_at_add),
	KUNIT_CASE(idle_target_is_not_queued),
	KUNIT_CASE(callback_queues_on_matching_key),
	KUNIT_CASE(callback_ignores_foreign_key),
	KUNIT_CASE(callback_hup_reaches_an_in_item),
	KUNIT_CASE(callback_without_key_queues),
	KUNIT_CASE(disarmed_oneshot_waits_for_mod),
	KUNIT_CASE(mod_to_ready_events_queues),
	KUNIT_CASE(callback_during_transfer_overflows),
	KUNIT_CASE(callback_on_item_in_transfer_is_linked_once),
	KUNIT_CASE(poll_drops_items_no_longer_ready),
	KUNIT_CASE(exclusive_items_all_queue_without_waiters),
	KUNIT_CASE(pollfree_unhooks_the_item),
	KUNIT_CASE(wakeup_item_holds_a_wakeup_source),
	{}
};

static struct kunit_suite ready_suite = {
	.name = "iepoll_ready",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = ready_cases,
};

/* ------------------------------------------------------------------ */
/* iepoll_close: the last close of a watched file removes its items    */

static void closed_target_is_removed_at_once(struct kunit *test)
{
	struct iepoll *ep;
	struct kt_target *t;
	struct iepoll_item *epi = kt_setup(test, &ep, &t, EPOLLIN, EPOLLIN);
	struct file *file = t->file;

	KUNIT_EXPECT_FALSE(test, iepoll_item_closed(epi));
	KUNIT_ASSERT_EQ(test, kt_nready(test, ep), 1U);
	kt_target_put(t);
	/* the close removed it: no sweep, no later wait needed */
	KUNIT_EXPECT_NULL(test, kt_find(ep, file, KT_FD));
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep), 0U);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 0ULL);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, removes), 1ULL);
	KT_EXPECT_POLL_EQ(test, iepoll_poll(ep, NULL, NULL), 0U);
}

static void close_removes_every_item_and_holds_no_reference(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);
	struct file *file = t->file;

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_ADD, t->file, KT_FD + 1,
				     EPOLLOUT, 0), 0);
	kt_target_put(t);
	KUNIT_EXPECT_NULL(test, kt_find(ep, file, KT_FD));
	KUNIT_EXPECT_NULL(test, kt_find(ep, file, KT_FD + 1));
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 0ULL);
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, removes), 2ULL);
	/* the test's reference was the last: ->release ran in that close */
	KUNIT_EXPECT_TRUE(test, completion_done(&t->released));
}

static void open_files_stay_watched(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	flush_delayed_fput();
	KUNIT_EXPECT_NOT_NULL(test, kt_find(ep, t->file, KT_FD));
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 1ULL);
}

static void close_clears_a_file_watched_by_two_instances(struct kunit *test)
{
	struct iepoll *ep1 = kt_instance(test, NULL);
	struct iepoll *ep2 = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, EPOLLIN);
	struct file *file = t->file;
	long w0 = iepoll_user_watches(ep1);

	KUNIT_ASSERT_EQ(test, kt_add(ep1, t, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_add(ep2, t, EPOLLIN), 0);
	kt_target_put(t);
	KUNIT_EXPECT_NULL(test, kt_find(ep1, file, KT_FD));
	KUNIT_EXPECT_NULL(test, kt_find(ep2, file, KT_FD));
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep1), 0U);
	KUNIT_EXPECT_EQ(test, kt_nready(test, ep2), 0U);
	KUNIT_EXPECT_EQ(test, iepoll_user_watches(ep1), w0);
}

/*
 * Every kt_target is a file on the one anonymous inode, as every eventfd
 * is: the close event names the closing file by its f_path, and only that
 * file's record answers.
 */
static void close_event_finds_the_closing_file_among_many(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t1 = kt_target(test, 0), *t2 = kt_target(test, 0);
	struct kt_target *t3 = kt_target(test, 0);
	struct iepoll_file *rec;

	KUNIT_ASSERT_PTR_EQ(test, file_inode(t1->file), file_inode(t2->file));
	KUNIT_ASSERT_EQ(test, kt_add(ep, t1, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_add(ep, t2, EPOLLIN), 0);

	rec = iepoll_file_for_close(&t1->file->f_path, FSNOTIFY_EVENT_PATH);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_EXPECT_PTR_EQ(test, rec->file, t1->file);
	iepoll_file_put(rec);
	rec = iepoll_file_for_close(&t2->file->f_path, FSNOTIFY_EVENT_PATH);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_EXPECT_PTR_EQ(test, rec->file, t2->file);
	iepoll_file_put(rec);
	/* a file on the same inode that nobody watches, another event kind */
	KUNIT_EXPECT_NULL(test, iepoll_file_for_close(&t3->file->f_path,
						      FSNOTIFY_EVENT_PATH));
	KUNIT_EXPECT_NULL(test, iepoll_file_for_close(file_inode(t1->file),
						      FSNOTIFY_EVENT_INODE));

	/* closing t1 leaves t2 watched */
	kt_target_put(t1);
	KUNIT_EXPECT_NULL(test, kt_find(ep, t1->file, KT_FD));
	KUNIT_EXPECT_NOT_NULL(test, kt_find(ep, t2->file, KT_FD));
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 1ULL);
}

static struct iepoll_file *kt_lookup(struct file *key)
{
	struct iepoll_file *rec;

	rcu_read_lock();
	rec = iepoll_file_lookup_rcu(key);
	rcu_read_unlock();
	return rec;
}

/*
 * A watch that ended leaves nothing behind: the record, and its use of the
 * inode's mark, go with the last item; a new ADD makes a new record.
 */
static void del_of_the_last_item_drops_the_record(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	KUNIT_ASSERT_NOT_NULL(test, kt_lookup(t->file));
	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_DEL, t->file, KT_FD, 0, 0),
			0);
	KUNIT_EXPECT_NULL(test, kt_lookup(t->file));
	KUNIT_EXPECT_NULL(test, iepoll_file_for_close(&t->file->f_path,
						      FSNOTIFY_EVENT_PATH));
	KUNIT_EXPECT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	KUNIT_EXPECT_NOT_NULL(test, kt_find(ep, t->file, KT_FD));
	KUNIT_EXPECT_NOT_NULL(test, kt_lookup(t->file));
}

/*
 * A record still referenced across its file's close (as a nesting check
 * holds one) keeps its memory, never its key: the address, which a new
 * file may get at once, finds nothing.
 */
static void a_closed_record_is_never_returned_by_lookup(struct kunit *test)
{
	struct iepoll *ep = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);
	struct file *key = t->file;
	struct iepoll_file *rec;

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN), 0);
	rec = iepoll_file_get(t->file, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rec);
	kt_target_put(t);
	KUNIT_EXPECT_TRUE(test, test_bit(IEPOLL_FILE_CLOSED, &rec->flags));
	KUNIT_EXPECT_TRUE(test, test_bit(IEPOLL_FILE_RETIRED, &rec->flags));
	KUNIT_EXPECT_TRUE(test, hlist_empty(&rec->items));
	KUNIT_EXPECT_NULL(test, kt_lookup(key));
	KUNIT_EXPECT_NULL(test, kt_find(ep, key, KT_FD));
	KUNIT_EXPECT_EQ(test, KT_STAT(ep, items), 0ULL);
	iepoll_file_put(rec);
}

/*
 * Should a lookup ever meet a record whose file closed (one that overtook
 * the close's unhash), iepoll_file_get() retires it and makes a new one
 * for the live file instead of handing it out.
 */
static void a_record_marked_closed_is_never_handed_out(struct kunit *test)
{
	struct kt_target *t = kt_target(test, 0);
	struct iepoll_file *stale, *rec;

	stale = iepoll_file_get(t->file, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, stale);
	/* as if its file had closed and this one had its address */
	set_bit(IEPOLL_FILE_CLOSED, &stale->flags);
	rec = iepoll_file_get(t->file, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rec);
	KUNIT_EXPECT_PTR_NE(test, rec, stale);
	KUNIT_EXPECT_FALSE(test, test_bit(IEPOLL_FILE_CLOSED, &rec->flags));
	KUNIT_EXPECT_TRUE(test, test_bit(IEPOLL_FILE_RETIRED, &stale->flags));
	KUNIT_EXPECT_PTR_EQ(test, kt_lookup(t->file), rec);
	iepoll_file_put(stale);
	iepoll_file_put(rec);
	KUNIT_EXPECT_NULL(test, kt_lookup(t->file));
}

static void release_removes_items_and_drops_files(struct kunit *test)
{
	struct file *f;
	struct iepoll *ep = kt_instance(test, &f);
	struct kt_target *t = kt_target(test, EPOLLIN);

	KUNIT_ASSERT_EQ(test, kt_add(ep, t, EPOLLIN | EPOLLET), 0);
	KUNIT_ASSERT_EQ(test, kt_ctl(ep, EPOLL_CTL_ADD, t->file, KT_FD + 1,
				     EPOLLOUT, 0), 0);
	KUNIT_ASSERT_TRUE(test, kt_hooked(t));
	kt_instance_close(test, f);
	KUNIT_EXPECT_FALSE(test, kt_hooked(t));
	/* only the test's reference is left */
	kt_target_put(t);
	KUNIT_EXPECT_TRUE(test, completion_done(&t->released));
}

static u64 *kt_counter(struct iepoll_counters *c, unsigned int i)
{
	return (u64 *)((char *)c + iepoll_counter_descs[i].offset);
}

/*
 * The module totals keep every counter of an instance once it is closed:
 * each counter of the list in stats.h gets its own value, and the totals,
 * which counted it while the instance was open, still count it after.
 */
static void totals_keep_every_counter_of_a_closed_instance(struct kunit *test)
{
	struct iepoll_counters before, after, set = {};
	unsigned long n_before, n_after;
	struct file *f;
	struct iepoll *ep = kt_instance(test, &f);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, iepoll_ncounters * sizeof(u64), sizeof(set));
	for (i = 0; i < iepoll_ncounters; i++)
		*kt_counter(&set, i) = (i + 1) * 1000003ULL + 7;
	/* a level: a closed instance has no item, nor may the totals keep one */
	set.items = 0;
	spin_lock_irq(&ep->lock);
	ep->stats = set;
	spin_unlock_irq(&ep->lock);
	iepoll_get_totals(&before, &n_before);
	kt_instance_close(test, f);
	iepoll_get_totals(&after, &n_after);
	KUNIT_EXPECT_EQ(test, n_after, n_before - 1);
	for (i = 0; i < iepoll_ncounters; i++)
		KUNIT_EXPECT_EQ_MSG(test, *kt_counter(&after, i),
				    *kt_counter(&before, i),
				    "totals' %s: %llu with the instance open, %llu once closed (its own: %llu)",
				    iepoll_counter_descs[i].name,
				    *kt_counter(&before, i),
				    *kt_counter(&after, i), *kt_counter(&set, i));
}

static struct kunit_case close_cases[] = {
	KUNIT_CASE(closed_target_is_removed_at_once),
	KUNIT_CASE(close_removes_every_item_and_holds_no_reference),
	KUNIT_CASE(open_files_stay_watched),
	KUNIT_CASE(close_clears_a_file_watched_by_two_instances),
	KUNIT_CASE(close_event_finds_the_closing_file_among_many),
	KUNIT_CASE(del_of_the_last_item_drops_the_record),
	KUNIT_CASE(a_closed_record_is_never_returned_by_lookup),
	KUNIT_CASE(a_record_marked_closed_is_never_handed_out),
	KUNIT_CASE(totals_keep_every_counter_of_a_closed_instance),
	KUNIT_CASE(release_removes_items_and_drops_files),
	{}
};

static struct kunit_suite close_suite = {
	.name = "iepoll_close",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = close_cases,
};

/* ------------------------------------------------------------------ */
/* iepoll_nest: instances watching instances                           */

static int kt_nest(struct iepoll *ep, struct file *child)
{
	return kt_ctl(ep, EPOLL_CTL_ADD, child, KT_FD, EPOLLIN, 0);
}

/* Whether an item of some instance watches @ep. */
static bool kt_watched(struct iepoll *ep)
{
	struct iepoll_file *rec;
	bool watched;

	rcu_read_lock();
	rec = iepoll_file_lookup_rcu(ep->file);
	watched = rec && !hlist_empty(&rec->items);
	rcu_read_unlock();
	return watched;
}

static void instance_cannot_watch_itself(struct kunit *test)
{
	struct file *f;
	struct iepoll *ep = kt_instance(test, &f);

	KUNIT_EXPECT_EQ(test, kt_nest(ep, f), -EINVAL);
}

static void direct_loop_is_eloop(struct kunit *test)
{
	struct file *fa, *fb;
	struct iepoll *a = kt_instance(test, &fa);
	struct iepoll *b = kt_instance(test, &fb);

	KUNIT_ASSERT_EQ(test, kt_nest(a, fb), 0);
	KUNIT_EXPECT_EQ(test, kt_nest(b, fa), -ELOOP);
	KUNIT_EXPECT_EQ(test, KT_STAT(b, items), 0ULL);
	/* the refused item left no link: nothing watches a */
	KUNIT_EXPECT_FALSE(test, kt_watched(a));
}

static void indirect_loop_is_eloop(struct kunit *test)
{
	struct file *fa, *fb, *fc;
	struct iepoll *a = kt_instance(test, &fa);
	struct iepoll *b = kt_instance(test, &fb);
	struct iepoll *c = kt_instance(test, &fc);

	KUNIT_ASSERT_EQ(test, kt_nest(a, fb), 0);
	KUNIT_ASSERT_EQ(test, kt_nest(b, fc), 0);
	KUNIT_EXPECT_EQ(test, kt_nest(c, fa), -ELOOP);
	/* a diamond is not a loop */
	KUNIT_EXPECT_EQ(test, kt_nest(a, fc), 0);
}

static void del_unlinks_instances(struct kunit *test)
{
	struct file *fa, *fb;
	struct iepoll *a = kt_instance(test, &fa);
	struct iepoll *b = kt_instance(test, &fb);

	KUNIT_ASSERT_EQ(test, kt_nest(a, fb), 0);
	KUNIT_EXPECT_TRUE(test, kt_watched(b));
	KUNIT_ASSERT_EQ(test, kt_ctl(a, EPOLL_CTL_DEL, fb, KT_FD, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, KT_STAT(a, items), 0ULL);
	KUNIT_EXPECT_FALSE(test, kt_watched(b));
	KUNIT_EXPECT_EQ(test, kt_nest(b, fa), 0);
}

/*
 * A chain of IEPOLL_MAX_NESTS links (IEPOLL_MAX_NESTS + 1 instances) is
 * the longest allowed, whichever end the new link is added at.
 */
static void chain_longer_than_max_nests_is_eloop(struct kunit *test)
{
	struct file *f[IEPOLL_MAX_NESTS + 3];
	struct iepoll *ep[IEPOLL_MAX_NESTS + 3];
	int i;

	for (i = 0; i < IEPOLL_MAX_NESTS + 3; i++)
		ep[i] = kt_instance(test, &f[i]);
	/* ep[1] -> ep[2] -> ... -> ep[IEPOLL_MAX_NESTS + 1] */
	for (i = 1; i <= IEPOLL_MAX_NESTS; i++)
		KUNIT_ASSERT_EQ_MSG(test, kt_nest(ep[i], f[i + 1]), 0,
				    "link %d of %d", i, IEPOLL_MAX_NESTS);
	/* one more at the bottom, one more at the top */
	KUNIT_EXPECT_EQ(test, kt_nest(ep[IEPOLL_MAX_NESTS + 1],
				      f[IEPOLL_MAX_NESTS + 2]), -ELOOP);
	KUNIT_EXPECT_EQ(test, kt_nest(ep[0], f[1]), -ELOOP);
	/* a short branch beside the chain is fine */
	KUNIT_EXPECT_EQ(test, kt_nest(ep[0], f[IEPOLL_MAX_NESTS + 2]), 0);
}

static void ready_child_makes_parent_ready(struct kunit *test)
{
	struct file *fc;
	struct iepoll *parent = kt_instance(test, NULL);
	struct iepoll *child = kt_instance(test, &fc);
	struct kt_target *t = kt_target(test, 0);

	KUNIT_ASSERT_EQ(test, kt_add(child, t, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_nest(parent, fc), 0);
	KUNIT_EXPECT_EQ(test, kt_nready(test, parent), 0U);
	/* the target's wakeup runs through the child to the parent */
	t->mask = EPOLLIN;
	wake_up_poll(&t->wq, EPOLLIN);
	KUNIT_EXPECT_EQ(test, kt_nready(test, child), 1U);
	KUNIT_EXPECT_EQ(test, kt_nready(test, parent), 1U);
	KT_EXPECT_POLL_EQ(test, iepoll_poll(parent, NULL, NULL),
			  EPOLLIN | EPOLLRDNORM);
	/* and an idle child does not keep the parent ready */
	t->mask = 0;
	KT_EXPECT_POLL_EQ(test, iepoll_poll(parent, NULL, NULL), 0U);
	KUNIT_EXPECT_EQ(test, kt_nready(test, parent), 0U);
}

static void exclusive_on_an_instance_is_einval(struct kunit *test)
{
	struct file *fc;
	struct iepoll *parent = kt_instance(test, NULL);

	kt_instance(test, &fc);
	KUNIT_EXPECT_EQ(test, kt_ctl(parent, EPOLL_CTL_ADD, fc, KT_FD,
				     EPOLLIN | EPOLLEXCLUSIVE, 0), -EINVAL);
}

static void closing_a_watched_instance_removes_its_item(struct kunit *test)
{
	struct file *fc;
	struct iepoll *parent = kt_instance(test, NULL);
	struct iepoll *child = kt_instance(test, &fc);
	struct kt_target *t = kt_target(test, EPOLLIN);

	KUNIT_ASSERT_EQ(test, kt_add(child, t, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, kt_nest(parent, fc), 0);
	/* the close removes the parent's item, then the child is released */
	kt_instance_close(test, fc);
	KUNIT_EXPECT_EQ(test, KT_STAT(parent, items), 0ULL);
	KT_EXPECT_POLL_EQ(test, iepoll_poll(parent, NULL, NULL), 0U);
	KUNIT_EXPECT_FALSE(test, kt_hooked(t));
}

/*
 * Wakeup paths, as eventpoll counts them: A watches a target through k
 * descriptors, B watches A through k descriptors.  Each (item in B, item
 * in A) pair is one path through one watched instance, limit 500: with
 * k = 23 the 22nd watch of A by B would make 23 * 22 = 506 paths.
 */
static void too_many_wakeup_paths_are_einval(struct kunit *test)
{
	struct file *fa;
	struct iepoll *a = kt_instance(test, &fa);
	struct iepoll *b = kt_instance(test, NULL);
	struct kt_target *t = kt_target(test, 0);
	int k = 23, i;

	for (i = 0; i < k; i++)
		KUNIT_ASSERT_EQ(test, kt_ctl(a, EPOLL_CTL_ADD, t->file, i,
					     EPOLLIN, 0), 0);
	for (i = 0; i < 21; i++)
		KUNIT_ASSERT_EQ_MSG(test, kt_ctl(b, EPOLL_CTL_ADD, fa, i,
						 EPOLLIN, 0), 0,
				    "watch %d of A by B: %d paths", i + 1,
				    k * (i + 1));
	KUNIT_EXPECT_EQ(test, kt_ctl(b, EPOLL_CTL_ADD, fa, 21, EPOLLIN, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, KT_STAT(b, items), 21ULL);
	/* one path less below makes room for one more above: 22 * 22 */
	KUNIT_ASSERT_EQ(test, kt_ctl(a, EPOLL_CTL_DEL, t->file, 0, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_ctl(b, EPOLL_CTL_ADD, fa, 21, EPOLLIN, 0), 0);
}

static void path_limits_per_length_follow_eventpoll(struct kunit *test)
{
	static const int limits[] = { 0, 500, 100, 50, 10 };
	int counts[5], depth, i;

	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 100000; i++)
		KUNIT_ASSERT_EQ(test, iepoll_path_count_inc(counts, 0), 0);
	for (depth = 1; depth < ARRAY_SIZE(limits); depth++) {
		for (i = 0; i < limits[depth]; i++)
			KUNIT_ASSERT_EQ_MSG(test,
					    iepoll_path_count_inc(counts, depth),
					    0, "path %d of length %d", i + 1,
					    depth);
		KUNIT_EXPECT_EQ_MSG(test, iepoll_path_count_inc(counts, depth),
				    -1, "path %d of length %d",
				    limits[depth] + 1, depth);
	}
}

static struct kunit_case nest_cases[] = {
	KUNIT_CASE(instance_cannot_watch_itself),
	KUNIT_CASE(direct_loop_is_eloop),
	KUNIT_CASE(indirect_loop_is_eloop),
	KUNIT_CASE(del_unlinks_instances),
	KUNIT_CASE(chain_longer_than_max_nests_is_eloop),
	KUNIT_CASE(ready_child_makes_parent_ready),
	KUNIT_CASE(exclusive_on_an_instance_is_einval),
	KUNIT_CASE(closing_a_watched_instance_removes_its_item),
	KUNIT_CASE(too_many_wakeup_paths_are_einval),
	KUNIT_CASE(path_limits_per_length_follow_eventpoll),
	{}
};

static struct kunit_suite nest_suite = {
	.name = "iepoll_nest",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = nest_cases,
};

kunit_test_suites(&tree_suite, &ready_suite, &close_suite, &nest_suite);

MODULE_DESCRIPTION("KUnit suites for iepoll's core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
