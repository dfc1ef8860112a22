// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for iepoll's pure decisions: which EPOLL_CTL requests are
 * invalid, what a wakeup callback does with an item, whether an exclusive
 * wakeup is consumed, and what becomes of an item after delivery.  They
 * mirror the rules of fs/eventpoll.c.
 */

#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "core.h"

/* __poll_t is a sparse "bitwise" type: compare its bits as plain u32. */
#define KT_EXPECT_POLL_EQ(test, got, want) \
	KUNIT_EXPECT_EQ(test, (__force u32)(got), (__force u32)(want))

/* ------------------------------------------------------------------ */
/* iepoll_ctl_check                                                    */

static void ctl_check_rejects_unknown_ops(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(0, EPOLLIN, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(4, EPOLLIN, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(-1, EPOLLIN, false), -EINVAL);
}

static void ctl_check_accepts_plain_requests(struct kunit *test)
{
	__poll_t all = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET |
		       EPOLLONESHOT | EPOLLWAKEUP;

	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD, all, false), 0);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_MOD, all, false), 0);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD, all, true), 0);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD, 0, false), 0);
}

static void ctl_check_ignores_events_on_del(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_DEL, EPOLLEXCLUSIVE |
					       EPOLLONESHOT, true), 0);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_DEL, (__force __poll_t)~0U,
					       false), 0);
}

static void ctl_check_exclusive_only_on_add(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD,
					       EPOLLIN | EPOLLEXCLUSIVE, false), 0);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_MOD,
					       EPOLLIN | EPOLLEXCLUSIVE, false),
			-EINVAL);
}

static void ctl_check_exclusive_flags_it_can_honour(struct kunit *test)
{
	__poll_t ok = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP |
		      EPOLLET | EPOLLEXCLUSIVE;

	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD, ok, false), 0);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD, EPOLLEXCLUSIVE |
					       EPOLLONESHOT, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD, EPOLLEXCLUSIVE |
					       EPOLLRDHUP, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD, EPOLLEXCLUSIVE |
					       EPOLLPRI, false), -EINVAL);
}

static void ctl_check_no_exclusive_on_instances(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_ctl_check(EPOLL_CTL_ADD,
					       EPOLLIN | EPOLLEXCLUSIVE, true),
			-EINVAL);
}

static struct kunit_case ctl_check_cases[] = {
	KUNIT_CASE(ctl_check_rejects_unknown_ops),
	KUNIT_CASE(ctl_check_accepts_plain_requests),
	KUNIT_CASE(ctl_check_ignores_events_on_del),
	KUNIT_CASE(ctl_check_exclusive_only_on_add),
	KUNIT_CASE(ctl_check_exclusive_flags_it_can_honour),
	KUNIT_CASE(ctl_check_no_exclusive_on_instances),
	{}
};

static struct kunit_suite ctl_check_suite = {
	.name = "iepoll_ctl_check",
	.test_cases = ctl_check_cases,
};

/* ------------------------------------------------------------------ */
/* iepoll_sanitize_events                                              */

static void sanitize_keeps_wakeup_for_the_capable(struct kunit *test)
{
	__poll_t ev = EPOLLIN | EPOLLET | EPOLLWAKEUP;
	__poll_t want = IS_ENABLED(CONFIG_PM_SLEEP) ? ev : ev & ~EPOLLWAKEUP;

	KT_EXPECT_POLL_EQ(test, iepoll_sanitize_events(ev, true), want);
}

static void sanitize_drops_wakeup_silently(struct kunit *test)
{
	KT_EXPECT_POLL_EQ(test, iepoll_sanitize_events(EPOLLIN | EPOLLWAKEUP |
						     EPOLLONESHOT, false),
			EPOLLIN | EPOLLONESHOT);
}

static void sanitize_leaves_other_bits(struct kunit *test)
{
	__poll_t ev = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP |
		      EPOLLEXCLUSIVE | EPOLLET;

	KT_EXPECT_POLL_EQ(test, iepoll_sanitize_events(ev, false), ev);
	KT_EXPECT_POLL_EQ(test, iepoll_sanitize_events(ev, true), ev);
}

/* ------------------------------------------------------------------ */
/* iepoll_cb_decide: the wakeup callback                               */

static void cb_matching_key_queues_ready(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLIN, EPOLLIN | EPOLLRDNORM,
					       false, false), IEPOLL_CB_READY);
}

static void cb_without_key_queues_ready(struct kunit *test)
{
	/* a waker that passes no mask cannot be filtered */
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLOUT, 0, false, false),
			IEPOLL_CB_READY);
}

static void cb_foreign_key_is_ignored(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLIN, EPOLLOUT, false, false),
			IEPOLL_CB_IGNORED);
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLIN | EPOLLET, EPOLLPRI,
					       true, false), IEPOLL_CB_IGNORED);
}

static void cb_err_and_hup_reach_every_item(struct kunit *test)
{
	/* EPOLL_CTL_ADD/MOD always add EPOLLERR | EPOLLHUP to the item */
	__poll_t item = EPOLLIN | EPOLLERR | EPOLLHUP;

	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(item, EPOLLHUP, false, false),
			IEPOLL_CB_READY);
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(item, EPOLLERR, false, false),
			IEPOLL_CB_READY);
}

static void cb_during_transfer_goes_to_overflow(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLIN, EPOLLIN, true, false),
			IEPOLL_CB_OVERFLOW);
}

static void cb_queued_item_is_not_queued_again(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLIN, EPOLLIN, false, true),
			IEPOLL_CB_ALREADY);
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLIN, EPOLLIN, true, true),
			IEPOLL_CB_ALREADY);
}

static void cb_disarmed_oneshot_ignores_everything(struct kunit *test)
{
	/* after delivery a ONESHOT item keeps only its private bits */
	__poll_t disarmed = EPOLLONESHOT | EPOLLET | EPOLLWAKEUP;

	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(disarmed, EPOLLIN, false, false),
			IEPOLL_CB_DISARMED);
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(disarmed, 0, true, false),
			IEPOLL_CB_DISARMED);
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLONESHOT, EPOLLHUP, false,
					       false), IEPOLL_CB_DISARMED);
}

static void cb_armed_oneshot_is_ordinary(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_cb_decide(EPOLLIN | EPOLLONESHOT, EPOLLIN,
					       false, false), IEPOLL_CB_READY);
}

/* ------------------------------------------------------------------ */
/* iepoll_cb_exclusive_wake                                            */

static void excl_wake_direction_must_match(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, iepoll_cb_exclusive_wake(EPOLLIN, EPOLLIN));
	KUNIT_EXPECT_TRUE(test, iepoll_cb_exclusive_wake(EPOLLOUT, EPOLLOUT));
	KUNIT_EXPECT_FALSE(test, iepoll_cb_exclusive_wake(EPOLLOUT, EPOLLIN));
	KUNIT_EXPECT_FALSE(test, iepoll_cb_exclusive_wake(EPOLLIN, EPOLLOUT));
	KUNIT_EXPECT_TRUE(test, iepoll_cb_exclusive_wake(EPOLLIN | EPOLLOUT,
							 EPOLLOUT |
							 EPOLLWRNORM));
}

static void excl_wake_without_direction_counts(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, iepoll_cb_exclusive_wake(EPOLLIN, 0));
	KUNIT_EXPECT_TRUE(test, iepoll_cb_exclusive_wake(EPOLLOUT, EPOLLHUP));
}

static void excl_wake_both_directions_does_not_count(struct kunit *test)
{
	/* as ep_poll_callback: neither the EPOLLIN nor the EPOLLOUT case */
	KUNIT_EXPECT_FALSE(test, iepoll_cb_exclusive_wake(EPOLLIN | EPOLLOUT,
							  EPOLLIN | EPOLLOUT));
}

static void excl_wake_pollfree_never_counts(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, iepoll_cb_exclusive_wake(EPOLLIN,
							  POLLFREE | EPOLLHUP));
	KUNIT_EXPECT_FALSE(test, iepoll_cb_exclusive_wake(EPOLLIN,
							  POLLFREE | EPOLLIN));
}

/* ------------------------------------------------------------------ */
/* iepoll_after_delivery                                               */

static void delivery_level_triggered_requeues(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_after_delivery(EPOLLIN | EPOLLOUT),
			IEPOLL_AFTER_REQUEUE);
	KUNIT_EXPECT_EQ(test, iepoll_after_delivery(EPOLLIN | EPOLLEXCLUSIVE),
			IEPOLL_AFTER_REQUEUE);
}

static void delivery_edge_triggered_drops(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_after_delivery(EPOLLIN | EPOLLET),
			IEPOLL_AFTER_DROP);
}

static void delivery_oneshot_disarms_even_if_et(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iepoll_after_delivery(EPOLLIN | EPOLLONESHOT),
			IEPOLL_AFTER_DISARM);
	KUNIT_EXPECT_EQ(test, iepoll_after_delivery(EPOLLIN | EPOLLONESHOT |
						    EPOLLET),
			IEPOLL_AFTER_DISARM);
}

static struct kunit_case decide_cases[] = {
	KUNIT_CASE(sanitize_keeps_wakeup_for_the_capable),
	KUNIT_CASE(sanitize_drops_wakeup_silently),
	KUNIT_CASE(sanitize_leaves_other_bits),
	KUNIT_CASE(cb_matching_key_queues_ready),
	KUNIT_CASE(cb_without_key_queues_ready),
	KUNIT_CASE(cb_foreign_key_is_ignored),
	KUNIT_CASE(cb_err_and_hup_reach_every_item),
	KUNIT_CASE(cb_during_transfer_goes_to_overflow),
	KUNIT_CASE(cb_queued_item_is_not_queued_again),
	KUNIT_CASE(cb_disarmed_oneshot_ignores_everything),
	KUNIT_CASE(cb_armed_oneshot_is_ordinary),
	KUNIT_CASE(excl_wake_direction_must_match),
	KUNIT_CASE(excl_wake_without_direction_counts),
	KUNIT_CASE(excl_wake_both_directions_does_not_count),
	KUNIT_CASE(excl_wake_pollfree_never_counts),
	KUNIT_CASE(delivery_level_triggered_requeues),
	KUNIT_CASE(delivery_edge_triggered_drops),
	KUNIT_CASE(delivery_oneshot_disarms_even_if_et),
	{}
};

static struct kunit_suite decide_suite = {
	.name = "iepoll_decide",
	.test_cases = decide_cases,
};

kunit_test_suites(&ctl_check_suite, &decide_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
