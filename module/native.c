// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll native: the kernel's own epoll (fs/eventpoll.c) seen through
 * kprobes and kretprobes, reported as the same iepoll:* events as an
 * iepoll instance's (docs/tracing.md, "Native epoll").  The probes only
 * read: native epoll's behaviour never changes.
 *
 *   ep_ptable_queue_proc  entry   iepoll_insert (first wait queue only)
 *   ep_remove_epi         entry   iepoll_remove (every path that removes)
 *   ep_poll_callback      entry   iepoll_callback, the item's ready stamp
 *   ep_item_poll (clone)  return  iepoll_deliver, inside do_epoll_wait
 *   do_epoll_wait         both    iepoll_wait_enter, iepoll_wait_exit
 *   do_epoll_create       return  iepoll_create, the instance's id
 *   ep_clear_and_put      both    the instance's id is dropped
 *
 * RULES
 *
 * - Attach and detach (IEPOLL_IOC_NATIVE_ATTACH/DETACH, an instance's
 *   release, module exit) run in process context under nat_mutex, which
 *   also guards nat_users, nat_cfg and every struct iepoll's native_hold.
 *   The probes are registered only while nat_users > 0; the tables exist
 *   only then: allocated before the first registration, freed after the
 *   last unregistration, which waits for every running handler.
 * - struct epitem, eventpoll, eppoll_entry and ep_pqueue are private to
 *   fs/eventpoll.c.  Their members are reached only through the offsets
 *   of struct iepoll_native_attach, taken from the running kernel's BTF by
 *   user space, checked at attach (sizes, bounds, a sample item read back)
 *   and read only with copy_from_kernel_nofault().  A pointer read that way
 *   is never dereferenced directly.  A read that fails or does not match
 *   what it must (an epitem's ep whose file is not an epoll file, an
 *   epitem whose file is not the one polled) marks the set broken: no more
 *   events, one pr_warn naming the member, and status shows it.
 * - Handlers run in any context: ep_poll_callback under the target's wait
 *   queue lock with IRQs off, possibly in hard IRQ; the others under
 *   ep->mtx or none; and any of them as an NMI where the kprobe is an int3
 *   (the debug kernel).  So they never sleep, read the clock with
 *   ktime_get_mono_fast_ns(), and take only nat_map locks (arch spinlocks
 *   with IRQs off, innermost, never two at once: see nat_lock()), never
 *   emitting an event with one held.
 * - State is bounded: instance ids (ep -> id, NAT_INSTANCES), items' ready
 *   stamps (epitem -> ns, NAT_ITEMS) and tasks in do_epoll_wait (task ->
 *   ep, NAT_TASKS) live in preallocated tables; when one is full the
 *   event goes out without it (id IEPOLL_NATIVE_ID_BIT, latency 0, no
 *   delivery) and the miss is counted.  An item's stamp goes at its
 *   removal, a task's at its return, an instance's id at the end of
 *   ep_clear_and_put(); all of them at detach.
 * - Ids are IEPOLL_NATIVE_ID_BIT | n, never a kernel address; core.c keeps
 *   iepoll's below the bit.
 */

#include <linux/capability.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <asm/ibt.h>

#include "compat.h"
#include "core.h"
#include "native.h"
#include "iepoll_trace.h"

#define NAT_INSTANCES	1024
#define NAT_ITEMS	8192
#define NAT_TASKS	1024
/* Tasks that may sleep in a probed function at once, per kretprobe. */
#define NAT_MAXACTIVE	NAT_TASKS
/* What eventpoll's ovflist holds while no transfer runs (EP_UNACTIVE_PTR). */
#define NAT_UNACTIVE	((void *)-1L)
/* The furthest a member may be from the start of its struct. */
#define NAT_MAX_OFFSET	4096

/* ------------------------------------------------------------------ */
/* Bounded tables: pointer -> u64                                      */

struct nat_node {
	struct hlist_node link;
	const void *key;
	u64 val;
};

struct nat_map {
	arch_spinlock_t lock;
	unsigned int bits;
	struct hlist_head *heads;
	struct nat_node *nodes;
	struct hlist_head free;
	unsigned int used;
	unsigned int max;
	u64 full;
};

static int nat_map_init(struct nat_map *m, unsigned int max)
{
	unsigned int i;

	m->bits = ilog2(roundup_pow_of_two(max));
	m->heads = kvcalloc(1U << m->bits, sizeof(*m->heads), GFP_KERNEL);
	m->nodes = kvcalloc(max, sizeof(*m->nodes), GFP_KERNEL);
	if (!m->heads || !m->nodes) {
		kvfree(m->heads);
		kvfree(m->nodes);
		m->heads = NULL;
		m->nodes = NULL;
		return -ENOMEM;
	}
	m->lock = (arch_spinlock_t)__ARCH_SPIN_LOCK_UNLOCKED;
	INIT_HLIST_HEAD(&m->free);
	for (i = 0; i < max; i++)
		hlist_add_head(&m->nodes[i].link, &m->free);
	m->used = 0;
	m->max = max;
	m->full = 0;
	return 0;
}

static void nat_map_destroy(struct nat_map *m)
{
	kvfree(m->heads);
	kvfree(m->nodes);
	m->heads = NULL;
	m->nodes = NULL;
}

/*
 * m->lock is an arch spinlock, taken with IRQs off: a kprobe that hits
 * through an int3 (the debug kernel's) runs its handler as an NMI, where
 * lockdep refuses any lock that is not a trylock, and ktime_get_mono_fast_ns() and
 * friends are not safe either.  It cannot deadlock: a handler calls no
 * probed function while it holds the lock, and kprobes do not nest on a
 * CPU (a probe hit inside a handler is counted missed, not run).
 */
static unsigned long nat_lock(struct nat_map *m)
{
	unsigned long flags;

	local_irq_save(flags);
	arch_spin_lock(&m->lock);
	return flags;
}

static void nat_unlock(struct nat_map *m, unsigned long flags)
{
	arch_spin_unlock(&m->lock);
	local_irq_restore(flags);
}

/* With m->lock held. */
static struct nat_node *nat_map_find(struct nat_map *m, const void *key)
{
	struct nat_node *n;

	hlist_for_each_entry(n, &m->heads[hash_ptr(key, m->bits)], link)
		if (n->key == key)
			return n;
	return NULL;
}

/* With m->lock held: a new node for @key, or NULL (counted) when full. */
static struct nat_node *nat_map_add(struct nat_map *m, const void *key)
{
	struct nat_node *n;

	if (hlist_empty(&m->free)) {
		m->full++;
		return NULL;
	}
	n = hlist_entry(m->free.first, struct nat_node, link);
	hlist_del(&n->link);
	n->key = key;
	hlist_add_head(&n->link, &m->heads[hash_ptr(key, m->bits)]);
	m->used++;
	return n;
}

/* With m->lock held. */
static void nat_map_drop(struct nat_map *m, struct nat_node *n)
{
	hlist_del(&n->link);
	hlist_add_head(&n->link, &m->free);
	m->used--;
}

/* Set @key to @val; false when the table is full. */
static bool nat_map_set(struct nat_map *m, const void *key, u64 val)
{
	struct nat_node *n;
	unsigned long flags;

	flags = nat_lock(m);
	n = nat_map_find(m, key);
	if (!n)
		n = nat_map_add(m, key);
	if (n)
		n->val = val;
	nat_unlock(m, flags);
	return n;
}

/* Remove @key, its value in *@val; false when it was not there. */
static bool nat_map_take(struct nat_map *m, const void *key, u64 *val)
{
	struct nat_node *n;
	unsigned long flags;

	flags = nat_lock(m);
	n = nat_map_find(m, key);
	if (n) {
		*val = n->val;
		nat_map_drop(m, n);
	}
	nat_unlock(m, flags);
	return n;
}

static bool nat_map_get(struct nat_map *m, const void *key, u64 *val)
{
	struct nat_node *n;
	unsigned long flags;

	flags = nat_lock(m);
	n = nat_map_find(m, key);
	if (n)
		*val = n->val;
	nat_unlock(m, flags);
	return n;
}

/* @key's value; set to @val first if @key had none.  False when full. */
static bool nat_map_get_or_set(struct nat_map *m, const void *key, u64 *val)
{
	struct nat_node *n;
	unsigned long flags;

	flags = nat_lock(m);
	n = nat_map_find(m, key);
	if (!n) {
		n = nat_map_add(m, key);
		if (n)
			n->val = *val;
	}
	if (n)
		*val = n->val;
	nat_unlock(m, flags);
	return n;
}

/* Remove @key only while it still maps to @val. */
static void nat_map_drop_if(struct nat_map *m, const void *key, u64 val)
{
	struct nat_node *n;
	unsigned long flags;

	flags = nat_lock(m);
	n = nat_map_find(m, key);
	if (n && n->val == val)
		nat_map_drop(m, n);
	nat_unlock(m, flags);
}

/* ------------------------------------------------------------------ */
/* State                                                               */

static DEFINE_MUTEX(nat_mutex);
static unsigned int nat_users;
static struct iepoll_native_attach nat_cfg;
/* The file_operations of an epoll file, from the sample at attach. */
static const struct file_operations *nat_fops;
static struct nat_map nat_instances, nat_items, nat_tasks;
static atomic_t nat_next_id = ATOMIC_INIT(0);
/* The member or argument that did not read back, or NULL. */
static const char *nat_broken;
static atomic64_t nat_nofault;

static const char *const nat_base[IEPOLL_NATIVE_NPROBES] = IEPOLL_NATIVE_FUNCTIONS;

static void nat_break(const char *what)
{
	if (!cmpxchg(&nat_broken, NULL, what))
		pr_warn("native: %s does not read back on this kernel: no more native events until the probes are detached\n",
			what);
}

static bool nat_on(void)
{
	return !READ_ONCE(nat_broken);
}

/* Read member @m of the struct at @base into @dst (m->size bytes). */
static bool nat_read(void *dst, const void *base,
		     const struct iepoll_native_member *m)
{
	if (!base || copy_from_kernel_nofault(dst, (const char *)base + m->offset,
					      m->size)) {
		atomic64_inc(&nat_nofault);
		return false;
	}
	return true;
}

#define NAT_FIELD(dst, base, member)	nat_read(dst, base, &nat_cfg.member)

static bool nat_kread(void *dst, const void *src, size_t size)
{
	if (!src || copy_from_kernel_nofault(dst, src, size)) {
		atomic64_inc(&nat_nofault);
		return false;
	}
	return true;
}

/* Whether @ep's file is an epoll file: the check of an ep read from memory. */
static bool nat_ep_plausible(const void *ep)
{
	const struct file_operations *fop;
	struct file *file;

	return NAT_FIELD(&file, ep, ep_file) &&
	       nat_kread(&fop, &file->f_op, sizeof(fop)) && fop == nat_fops;
}

static u32 nat_new_id(void)
{
	u32 n;

	do {
		n = (u32)atomic_inc_return(&nat_next_id) & ~IEPOLL_NATIVE_ID_BIT;
	} while (!n);
	return IEPOLL_NATIVE_ID_BIT | n;
}

/*
 * @ep's id, given one now if it has none and is plausible; 0 (and the set
 * broken, naming @what) when @ep is not an eventpoll.
 */
static u32 nat_id(const void *ep, const char *what)
{
	u64 id;

	if (nat_map_get(&nat_instances, ep, &id))
		return id;
	if (!nat_ep_plausible(ep)) {
		nat_break(what);
		return 0;
	}
	id = nat_new_id();
	if (!nat_map_get_or_set(&nat_instances, ep, &id))
		return IEPOLL_NATIVE_ID_BIT;
	return id;
}

static unsigned long nat_file_ino(const struct file *file)
{
	struct inode *inode;
	unsigned long ino;

	if (!nat_kread(&inode, &file->f_inode, sizeof(inode)) ||
	    !nat_kread(&ino, &inode->i_ino, sizeof(ino)))
		return 0;
	return ino;
}

static long nat_file_count(const struct file *file)
{
	atomic_long_t cnt;

	if (!nat_kread(&cnt, &file->f_count, sizeof(cnt)))
		return -1;
	return atomic_long_read(&cnt);
}

/* The epoll instance behind the caller's descriptor @fd, or NULL. */
static void *nat_ep_of_fd(int fd)
{
	const struct file_operations *fop;
	struct file *file;
	void *ep = NULL;

	if (fd < 0 || !current->files)
		return NULL;
	rcu_read_lock();
	file = files_lookup_fd_raw(current->files, fd);
	if (file && nat_kread(&fop, &file->f_op, sizeof(fop)) &&
	    fop == nat_fops)
		nat_kread(&ep, &file->private_data, sizeof(ep));
	rcu_read_unlock();
	return ep;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                            */

/* ep_ptable_queue_proc(file, whead, pt): inside ep_insert()'s poll. */
static int nat_queue_proc(struct kprobe *kp, struct pt_regs *regs)
{
	struct file *file = (struct file *)regs_get_kernel_argument(regs, 0);
	char *pt = (char *)regs_get_kernel_argument(regs, 2);
	void *epi, *pwqlist, *ep;
	struct file *efile;
	u32 events, id;
	u64 data;
	int fd;

	if (!nat_on() || !pt)
		return 0;
	if (!NAT_FIELD(&epi, pt - nat_cfg.pqueue_pt.offset, pqueue_epi))
		return 0;
	/* NULL: an allocation failed; pwqlist set: not the first queue */
	if (!epi || !NAT_FIELD(&pwqlist, epi, epi_pwqlist) || pwqlist)
		return 0;
	if (!NAT_FIELD(&efile, epi, epi_ffd_file) || efile != file) {
		nat_break("ep_pqueue.epi or epitem.ffd.file");
		return 0;
	}
	if (!NAT_FIELD(&ep, epi, epi_ep) || !NAT_FIELD(&fd, epi, epi_ffd_fd) ||
	    !NAT_FIELD(&events, epi, epi_events) ||
	    !NAT_FIELD(&data, epi, epi_data))
		return 0;
	id = nat_id(ep, "epitem.ep");
	if (!id)
		return 0;
	trace_iepoll_insert(id, fd, file_inode(file)->i_ino, events, data,
			    false);
	return 0;
}

/* ep_remove_epi(ep, epi): every removal, with ep->mtx held. */
static int nat_remove_epi(struct kprobe *kp, struct pt_regs *regs)
{
	void *ep = (void *)regs_get_kernel_argument(regs, 0);
	void *epi = (void *)regs_get_kernel_argument(regs, 1);
	struct file *file, *efile;
	u64 data, stamp;
	u32 events, id;
	int fd, reason;

	if (!nat_on())
		return 0;
	nat_map_take(&nat_items, epi, &stamp);
	if (!NAT_FIELD(&file, epi, epi_ffd_file) ||
	    !NAT_FIELD(&fd, epi, epi_ffd_fd) ||
	    !NAT_FIELD(&events, epi, epi_events) ||
	    !NAT_FIELD(&data, epi, epi_data) ||
	    !NAT_FIELD(&efile, ep, ep_file))
		return 0;
	id = nat_id(ep, "eventpoll.file");
	if (!id)
		return 0;
	/* a file's release has dropped its last reference: see docs */
	if (nat_file_count(file) == 0)
		reason = IEPOLL_RM_CLOSE;
	else if (nat_file_count(efile) == 0)
		reason = IEPOLL_RM_RELEASE;
	else
		reason = IEPOLL_RM_CTL;
	trace_iepoll_remove(id, fd, nat_file_ino(file), events, data, reason);
	return 0;
}

/* ep_poll_callback(wait, mode, sync, key): read at entry, before it acts. */
static int nat_callback(struct kprobe *kp, struct pt_regs *regs)
{
	char *wait = (char *)regs_get_kernel_argument(regs, 0);
	u32 key = (u32)regs_get_kernel_argument(regs, 3);
	void *epi, *ep, *ovflist;
	struct list_head rdl;
	int outcome, fd;
	u32 events, id;

	if (!nat_on() || !wait)
		return 0;
	if (!NAT_FIELD(&epi, wait - nat_cfg.pwq_wait.offset, pwq_base) ||
	    !NAT_FIELD(&ep, epi, epi_ep))
		return 0;
	id = nat_id(ep, "eppoll_entry.base or epitem.ep");
	if (!id || !NAT_FIELD(&fd, epi, epi_ffd_fd) ||
	    !NAT_FIELD(&events, epi, epi_events) ||
	    !NAT_FIELD(&rdl, epi, epi_rdllink) ||
	    !NAT_FIELD(&ovflist, ep, ep_ovflist))
		return 0;

	/* in ep_poll_callback()'s order of tests */
	if (!(events & ~(__force u32)IEPOLL_PRIVATE_BITS))
		outcome = IEPOLL_CB_DISARMED;
	else if (key && !(key & events))
		outcome = IEPOLL_CB_IGNORED;
	else if (ovflist != NAT_UNACTIVE)
		outcome = IEPOLL_CB_OVERFLOW;
	else if (rdl.next != (struct list_head *)((char *)epi +
						   nat_cfg.epi_rdllink.offset))
		outcome = IEPOLL_CB_ALREADY;
	else
		outcome = IEPOLL_CB_READY;
	if (outcome == IEPOLL_CB_READY || outcome == IEPOLL_CB_OVERFLOW)
		nat_map_set(&nat_items, epi, ktime_get_mono_fast_ns());
	trace_iepoll_callback(id, fd, key, outcome,
			      events & (__force u32)EPOLLEXCLUSIVE, false);
	return 0;
}

/* One do_epoll_wait() call, from its entry to its return. */
struct nat_wait {
	void *ep;
	u32 id;
	unsigned long nvcsw;
	bool tracked;	/* in nat_tasks: its deliveries are seen */
};

static s64 nat_timeout_ns(const struct timespec64 *to)
{
	struct timespec64 ts;
	s64 left;

	if (!to)
		return -1;
	if (!nat_kread(&ts, to, sizeof(ts)))
		return -1;
	if (!ts.tv_sec && !ts.tv_nsec)
		return 0;
	/* do_epoll_wait() takes an end time on the monotonic clock */
	left = timespec64_to_ns(&ts) - ktime_get_mono_fast_ns();
	return left > 0 ? left : 1;
}

static int nat_wait_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct nat_wait *w = (struct nat_wait *)ri->data;
	int epfd = (int)regs_get_kernel_argument(regs, 0);
	int maxevents = (int)regs_get_kernel_argument(regs, 2);
	const struct timespec64 *to;

	if (!nat_on())
		return 1;
	w->ep = nat_ep_of_fd(epfd);
	if (!w->ep)
		return 1;	/* not an epoll descriptor: it fails at once */
	w->id = nat_id(w->ep, "eventpoll.file");
	if (!w->id)
		return 1;
	w->nvcsw = current->nvcsw + current->nivcsw;
	w->tracked = nat_map_set(&nat_tasks, current, (unsigned long)w->ep);
	to = (const struct timespec64 *)regs_get_kernel_argument(regs, 3);
	trace_iepoll_wait_enter(w->id, maxevents, nat_timeout_ns(to));
	return 0;
}

static int nat_wait_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct nat_wait *w = (struct nat_wait *)ri->data;
	int res = (int)regs_return_value(regs);
	u64 ep;

	if (w->tracked)
		nat_map_take(&nat_tasks, current, &ep);
	trace_iepoll_wait_exit(w->id, res,
			       current->nvcsw + current->nivcsw != w->nvcsw);
	return 0;
}

/* One ep_item_poll() call of a wait's transfer. */
struct nat_poll {
	void *epi;
	u32 id;
};

static int nat_poll_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct nat_poll *p = (struct nat_poll *)ri->data;
	void *epi = (void *)regs_get_kernel_argument(regs, 0);
	void *ep;
	u64 wait_ep;

	if (!nat_on() || !nat_map_get(&nat_tasks, current, &wait_ep))
		return 1;	/* not inside a traced do_epoll_wait() */
	if (!NAT_FIELD(&ep, epi, epi_ep))
		return 1;
	if ((unsigned long)ep != wait_ep) {
		/* a nested instance's item, polled through its instance */
		if (!nat_ep_plausible(ep))
			nat_break("ep_item_poll's first argument");
		return 1;
	}
	p->epi = epi;
	p->id = nat_id(ep, "epitem.ep");
	return p->id ? 0 : 1;
}

static int nat_poll_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct nat_poll *p = (struct nat_poll *)ri->data;
	u32 revents = (u32)regs_return_value(regs);
	u64 data, stamp, now, latency = 0;
	u32 events;
	int fd;

	if (!revents)
		return 0;	/* not ready after all: nothing delivered */
	if (!NAT_FIELD(&fd, p->epi, epi_ffd_fd) ||
	    !NAT_FIELD(&events, p->epi, epi_events) ||
	    !NAT_FIELD(&data, p->epi, epi_data))
		return 0;
	now = ktime_get_mono_fast_ns();
	if (nat_map_take(&nat_items, p->epi, &stamp))
		latency = now - stamp;
	/* level-triggered: back on the ready list, ready again from now */
	if (!(events & (__force u32)(EPOLLET | EPOLLONESHOT)))
		nat_map_set(&nat_items, p->epi, now);
	trace_iepoll_deliver(p->id, fd, revents, data, latency);
	return 0;
}

static int nat_create_return(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	int fd = (int)regs_return_value(regs);
	char comm[TASK_COMM_LEN];
	void *ep;
	u32 id;

	if (!nat_on() || fd < 0)
		return 0;
	ep = nat_ep_of_fd(fd);
	if (!ep)
		return 0;
	id = nat_new_id();
	if (!nat_map_set(&nat_instances, ep, id))
		id = IEPOLL_NATIVE_ID_BIT;
	/* as the scheduler's events copy it: no lock in a probe */
	memcpy(comm, current->comm, TASK_COMM_LEN);
	trace_iepoll_create(id, task_tgid_nr(current), comm);
	return 0;
}

/* ep_clear_and_put(ep): the instance's id goes once its items went. */
struct nat_clear {
	void *ep;
	u64 id;
};

static int nat_clear_entry(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	struct nat_clear *c = (struct nat_clear *)ri->data;

	c->ep = (void *)regs_get_kernel_argument(regs, 0);
	return nat_map_get(&nat_instances, c->ep, &c->id) ? 0 : 1;
}

static int nat_clear_return(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct nat_clear *c = (struct nat_clear *)ri->data;

	/* not if a new instance at the same address has its own id already */
	nat_map_drop_if(&nat_instances, c->ep, c->id);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */

static struct kprobe nat_kprobes[3];
/* The index of ep_poll_callback's in nat_kprobes[]. */
#define NAT_KP_CALLBACK	2
static struct kretprobe nat_kretprobes[4];

static const struct {
	int probe;
	kprobe_pre_handler_t pre;
} nat_kprobe_tab[ARRAY_SIZE(nat_kprobes)] = {
	{ IEPOLL_NATIVE_QUEUE_PROC, nat_queue_proc },
	{ IEPOLL_NATIVE_REMOVE_EPI, nat_remove_epi },
	{ IEPOLL_NATIVE_CALLBACK, nat_callback },
};

static const struct {
	int probe;
	kretprobe_handler_t entry, ret;
	size_t data_size;
} nat_kretprobe_tab[ARRAY_SIZE(nat_kretprobes)] = {
	{ IEPOLL_NATIVE_ITEM_POLL, nat_poll_entry, nat_poll_return,
	  sizeof(struct nat_poll) },
	{ IEPOLL_NATIVE_WAIT, nat_wait_entry, nat_wait_return,
	  sizeof(struct nat_wait) },
	{ IEPOLL_NATIVE_CREATE, NULL, nat_create_return, 0 },
	{ IEPOLL_NATIVE_CLEAR, nat_clear_entry, nat_clear_return,
	  sizeof(struct nat_clear) },
};

static unsigned int nat_nkprobes, nat_nkretprobes;

static void nat_unregister(void)
{
	while (nat_nkretprobes)
		unregister_kretprobe(&nat_kretprobes[--nat_nkretprobes]);
	while (nat_nkprobes)
		unregister_kprobe(&nat_kprobes[--nat_nkprobes]);
}

static int nat_register(const struct iepoll_native_attach *cfg)
{
	unsigned int i;
	int err;

	memset(nat_kprobes, 0, sizeof(nat_kprobes));
	memset(nat_kretprobes, 0, sizeof(nat_kretprobes));
	for (i = 0; i < ARRAY_SIZE(nat_kprobes); i++) {
		struct kprobe *kp = &nat_kprobes[i];

		kp->symbol_name = cfg->sym[nat_kprobe_tab[i].probe];
		kp->pre_handler = nat_kprobe_tab[i].pre;
		err = register_kprobe(kp);
		if (err)
			goto fail;
		nat_nkprobes++;
	}
	for (i = 0; i < ARRAY_SIZE(nat_kretprobes); i++) {
		struct kretprobe *rp = &nat_kretprobes[i];

		rp->kp.symbol_name = cfg->sym[nat_kretprobe_tab[i].probe];
		rp->entry_handler = nat_kretprobe_tab[i].entry;
		rp->handler = nat_kretprobe_tab[i].ret;
		rp->data_size = nat_kretprobe_tab[i].data_size;
		rp->maxactive = NAT_MAXACTIVE;
		err = register_kretprobe(rp);
		if (err) {
			i += ARRAY_SIZE(nat_kprobes);
			goto fail;
		}
		nat_nkretprobes++;
	}
	return 0;

fail:
	pr_warn("native: cannot probe %s: error %d\n",
		i < ARRAY_SIZE(nat_kprobes) ?
		cfg->sym[nat_kprobe_tab[i].probe] :
		cfg->sym[nat_kretprobe_tab[i - ARRAY_SIZE(nat_kprobes)].probe],
		err);
	nat_unregister();
	return err;
}

static void nat_maps_destroy(void)
{
	nat_map_destroy(&nat_tasks);
	nat_map_destroy(&nat_items);
	nat_map_destroy(&nat_instances);
}

static int nat_maps_init(void)
{
	if (nat_map_init(&nat_instances, NAT_INSTANCES) ||
	    nat_map_init(&nat_items, NAT_ITEMS) ||
	    nat_map_init(&nat_tasks, NAT_TASKS)) {
		nat_maps_destroy();
		return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Checks of the attach struct                                         */

static int nat_check_member(const struct iepoll_native_member *m,
			    const char *name, size_t size)
{
	/* not aligned: epoll_event, and so epitem.event.data, is packed */
	if (m->size != size || m->offset > NAT_MAX_OFFSET - size) {
		pr_warn("native: member %s: offset %u size %u, expected size %zu within %d bytes\n",
			name, m->offset, m->size, size, NAT_MAX_OFFSET);
		return -EINVAL;
	}
	return 0;
}

static int nat_check_members(const struct iepoll_native_attach *a)
{
	const struct {
		const struct iepoll_native_member *m;
		const char *name;
		size_t size;
	} tab[] = {
		{ &a->epi_ffd_file, "epitem.ffd.file", sizeof(void *) },
		{ &a->epi_ffd_fd, "epitem.ffd.fd", sizeof(int) },
		{ &a->epi_ep, "epitem.ep", sizeof(void *) },
		{ &a->epi_events, "epitem.event.events", sizeof(u32) },
		{ &a->epi_data, "epitem.event.data", sizeof(u64) },
		{ &a->epi_rdllink, "epitem.rdllink", sizeof(struct list_head) },
		{ &a->epi_fllink, "epitem.fllink", sizeof(struct hlist_node) },
		{ &a->epi_pwqlist, "epitem.pwqlist", sizeof(void *) },
		{ &a->ep_file, "eventpoll.file", sizeof(void *) },
		{ &a->ep_ovflist, "eventpoll.ovflist", sizeof(void *) },
		{ &a->pwq_base, "eppoll_entry.base", sizeof(void *) },
		{ &a->pwq_wait, "eppoll_entry.wait", sizeof(wait_queue_entry_t) },
		{ &a->pqueue_pt, "ep_pqueue.pt", sizeof(poll_table) },
		{ &a->pqueue_epi, "ep_pqueue.epi", sizeof(void *) },
	};
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		err = nat_check_member(tab[i].m, tab[i].name, tab[i].size);
		if (err)
			return err;
	}
	return 0;
}

/* Each symbol: its function's name, or a GCC clone of it (".isra.0"). */
static int nat_check_syms(const struct iepoll_native_attach *a)
{
	unsigned int i;
	const char *s;
	size_t n;

	for (i = 0; i < IEPOLL_NATIVE_NPROBES; i++) {
		s = a->sym[i];
		n = strlen(nat_base[i]);
		if (!memchr(s, 0, IEPOLL_NATIVE_SYM_LEN) ||
		    strncmp(s, nat_base[i], n) ||
		    (s[n] && (s[n] != '.' || !s[n + 1] ||
			      strspn(s + n, ".abcdefghijklmnopqrstuvwxyz0123456789") !=
			      strlen(s + n)))) {
			pr_warn("native: probe %u: symbol '%.*s' is neither %s nor a clone of it\n",
				i, IEPOLL_NATIVE_SYM_LEN - 1, s, nat_base[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* Report one sample check; false when it failed. */
static bool nat_sample_ok(bool ok, const char *what)
{
	if (!ok)
		pr_warn("native: %s does not read back on the sample item\n",
			what);
	return ok;
}

/*
 * The offsets read back on the caller's sample: one item (@tf, added with
 * EPOLLIN and IEPOLL_NATIVE_SAMPLE_DATA, not ready) in the epoll file @ef.
 * Sets nat_fops on success.
 */
static int nat_check_sample(const struct iepoll_native_attach *a,
			    struct file *ef, struct file *tf, int fd)
{
	struct hlist_node *first = NULL;
	struct list_head rdl;
	void *ep = ef->private_data, *epi, *p, *pwq;
	u32 events;
	u64 data;
	int ffd;

	nat_cfg = *a;	/* NAT_FIELD reads through nat_cfg */
	spin_lock(&tf->f_lock);
	if (tf->f_ep)
		first = tf->f_ep->first;
	if (first && first->next)
		first = NULL;	/* more than one item watches it */
	spin_unlock(&tf->f_lock);
	if (!nat_sample_ok(first, "the sample (exactly one watcher)"))
		return -EINVAL;
	epi = (char *)first - a->epi_fllink.offset;

	if (!nat_sample_ok(NAT_FIELD(&p, ep, ep_file) && p == ef,
			   "eventpoll.file") ||
	    !nat_sample_ok(NAT_FIELD(&p, ep, ep_ovflist) && p == NAT_UNACTIVE,
			   "eventpoll.ovflist") ||
	    !nat_sample_ok(NAT_FIELD(&p, epi, epi_ffd_file) && p == tf,
			   "epitem.fllink or epitem.ffd.file") ||
	    !nat_sample_ok(NAT_FIELD(&ffd, epi, epi_ffd_fd) && ffd == fd,
			   "epitem.ffd.fd") ||
	    !nat_sample_ok(NAT_FIELD(&p, epi, epi_ep) && p == ep,
			   "epitem.ep") ||
	    !nat_sample_ok(NAT_FIELD(&events, epi, epi_events) &&
			   events == (__force u32)(EPOLLIN | EPOLLERR | EPOLLHUP),
			   "epitem.event.events") ||
	    !nat_sample_ok(NAT_FIELD(&data, epi, epi_data) &&
			   data == IEPOLL_NATIVE_SAMPLE_DATA,
			   "epitem.event.data") ||
	    !nat_sample_ok(NAT_FIELD(&rdl, epi, epi_rdllink) &&
			   rdl.next == (void *)((char *)epi +
						a->epi_rdllink.offset),
			   "epitem.rdllink") ||
	    !nat_sample_ok(NAT_FIELD(&pwq, epi, epi_pwqlist) && pwq,
			   "epitem.pwqlist") ||
	    !nat_sample_ok(NAT_FIELD(&p, pwq, pwq_base) && p == epi,
			   "eppoll_entry.base"))
		return -EINVAL;
	nat_fops = ef->f_op;
	return 0;
}

/* The wait entry of the sample's hook must call the probed callback. */
static int nat_check_callback(const struct iepoll_native_attach *a,
			      struct file *tf)
{
	struct hlist_node *first;
	char *probed = (char *)nat_kprobes[NAT_KP_CALLBACK].addr;
	wait_queue_entry_t wq;
	void *epi, *pwq;
	bool ok;

	spin_lock(&tf->f_lock);
	first = tf->f_ep ? tf->f_ep->first : NULL;
	spin_unlock(&tf->f_lock);
	epi = (char *)first - a->epi_fllink.offset;
	/*
	 * With kernel IBT (6.12's config) a function starts with an ENDBR,
	 * and a kprobe on its entry sits right past it.
	 */
	ok = first && NAT_FIELD(&pwq, epi, epi_pwqlist) && pwq &&
	     nat_kread(&wq, (char *)pwq + a->pwq_wait.offset, sizeof(wq)) &&
	     ((char *)wq.func == probed ||
	      (char *)wq.func + ENDBR_INSN_SIZE == probed);
	return nat_sample_ok(ok, "eppoll_entry.wait or ep_poll_callback") ?
	       0 : -EINVAL;
}

static int nat_first_attach(const struct iepoll_native_attach *a)
{
	struct file *ef, *tf;
	int err;

	err = nat_check_members(a);
	if (!err)
		err = nat_check_syms(a);
	if (err)
		return err;
	ef = fget(a->sample_epfd);
	tf = fget(a->sample_fd);
	err = -EBADF;
	if (!ef || !tf || ef == tf)
		goto out;
	err = nat_check_sample(a, ef, tf, a->sample_fd);
	if (err)
		goto out;
	err = nat_maps_init();
	if (err)
		goto out;
	WRITE_ONCE(nat_broken, NULL);
	atomic64_set(&nat_nofault, 0);
	err = nat_register(a);
	if (!err) {
		err = nat_check_callback(a, tf);
		if (err)
			nat_unregister();
	}
	if (err)
		nat_maps_destroy();
out:
	if (tf)
		fput(tf);
	if (ef)
		fput(ef);
	return err;
}

/* The part of the struct that two attaches must agree on to share. */
#define NAT_CFG_START	offsetof(struct iepoll_native_attach, epi_ffd_file)

long iepoll_native_attach(struct iepoll *ep, void __user *uarg)
{
	struct iepoll_native_attach a;
	u32 usize;
	int err;

	if (!perfmon_capable())
		return -EPERM;
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < IEPOLL_NATIVE_ATTACH_SIZE_VER0 || usize > PAGE_SIZE)
		return -EINVAL;
	err = copy_struct_from_user(&a, sizeof(a), uarg, usize);
	if (err)
		return err;
	if (a.flags)
		return -EINVAL;

	mutex_lock(&nat_mutex);
	if (ep->native_hold) {
		err = -EBUSY;
	} else if (nat_users) {
		if (memcmp((char *)&a + NAT_CFG_START,
			   (char *)&nat_cfg + NAT_CFG_START,
			   sizeof(a) - NAT_CFG_START)) {
			pr_warn("native: attached already with other offsets or symbols\n");
			err = -EBUSY;
		}
	} else {
		err = nat_first_attach(&a);
	}
	if (!err) {
		ep->native_hold = true;
		nat_users++;
	}
	mutex_unlock(&nat_mutex);
	return err;
}

/* With nat_mutex held: @ep lets go; the last one detaches. */
static void nat_put(struct iepoll *ep)
{
	ep->native_hold = false;
	if (--nat_users)
		return;
	nat_unregister();
	nat_maps_destroy();
}

long iepoll_native_detach(struct iepoll *ep)
{
	long err = 0;

	mutex_lock(&nat_mutex);
	if (ep->native_hold)
		nat_put(ep);
	else
		err = -ENOENT;
	mutex_unlock(&nat_mutex);
	return err;
}

void iepoll_native_release(struct iepoll *ep)
{
	mutex_lock(&nat_mutex);
	if (ep->native_hold)
		nat_put(ep);
	mutex_unlock(&nat_mutex);
}

void iepoll_native_show(struct seq_file *m)
{
	unsigned long missed = 0;
	unsigned int i;

	mutex_lock(&nat_mutex);
	seq_printf(m, "attached:\t%u\n", nat_users);
	if (nat_users) {
		for (i = 0; i < nat_nkprobes; i++)
			missed += nat_kprobes[i].nmissed;
		for (i = 0; i < nat_nkretprobes; i++)
			missed += nat_kretprobes[i].nmissed +
				  nat_kretprobes[i].kp.nmissed;
		seq_printf(m, "broken:\t%s\n",
			   READ_ONCE(nat_broken) ?: "no");
		seq_printf(m, "missed:\t%lu\n", missed);
		seq_printf(m, "unreadable:\t%lld\n",
			   (long long)atomic64_read(&nat_nofault));
		seq_printf(m, "instances:\t%u/%u full %llu\n",
			   nat_instances.used, nat_instances.max,
			   nat_instances.full);
		seq_printf(m, "items:\t%u/%u full %llu\n", nat_items.used,
			   nat_items.max, nat_items.full);
		seq_printf(m, "tasks:\t%u/%u full %llu\n", nat_tasks.used,
			   nat_tasks.max, nat_tasks.full);
		for (i = 0; i < IEPOLL_NATIVE_NPROBES; i++)
			seq_printf(m, "probe:\t%s\n", nat_cfg.sym[i]);
	}
	mutex_unlock(&nat_mutex);
}
