// SPDX-License-Identifier: GPL-2.0
/*
 * Generates a differential-fuzzer program from a 64-bit seed: the same seed
 * gives the same program on every machine (splitmix64, no libc rand).  The
 * generator keeps a rough model of what each slot holds (never opened, an
 * instance, a timer, something else) only to aim its ops; the program
 * stays valid whatever a slot really holds when it runs.
 */
#include "gen.h"

enum { K_NONE, K_INST, K_TIMER, K_FD };

struct gen {
	uint64_t state;
	uint8_t kind[NSLOT];
	int flags;
};

uint64_t gen_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(struct gen *g)
{
	g->state += 0x9e3779b97f4a7c15ULL;
	return gen_mix(g->state);
}

static unsigned int below(struct gen *g, unsigned int n)
{
	return rnd(g) % n;
}

static int chance(struct gen *g, unsigned int percent)
{
	return below(g, 100) < percent;
}

/* A slot holding @kind, or any slot when there is none (or by chance). */
static unsigned int slot_of(struct gen *g, int kind, unsigned int percent)
{
	int cand[NSLOT], n = 0, i;

	for (i = 0; i < NSLOT; i++)
		if (g->kind[i] == kind)
			cand[n++] = i;
	if (!n || !chance(g, percent))
		return below(g, NSLOT);
	return cand[below(g, n)];
}

static uint32_t gen_events(struct gen *g)
{
	static const struct {
		uint32_t bit;
		unsigned int percent;
	} bits[] = {
		{ EPOLLIN, 60 }, { EPOLLOUT, 40 }, { EPOLLPRI, 10 },
		{ EPOLLERR, 5 }, { EPOLLHUP, 5 }, { EPOLLRDNORM, 10 },
		{ EPOLLRDBAND, 5 }, { EPOLLWRNORM, 10 }, { EPOLLWRBAND, 5 },
		{ EPOLLMSG, 3 }, { EPOLLRDHUP, 15 }, { EPOLLET, 30 },
		{ EPOLLONESHOT, 15 }, { EPOLLEXCLUSIVE, 6 }, { EPOLLWAKEUP, 3 },
	};
	uint32_t ev = 0;
	size_t i;

	if (chance(g, 2))
		return rnd(g);
	for (i = 0; i < ARRAY_SIZE(bits); i++)
		if (chance(g, bits[i].percent))
			ev |= bits[i].bit;
	return ev;
}

static void gen_create(struct gen *g, struct op *op)
{
	static const uint8_t types[] = {
		OP_PIPE, OP_PIPE, OP_PIPE, OP_PIPE, OP_UNIX, OP_UNIX, OP_UNIX,
		OP_UNIX, OP_TCP, OP_TCP, OP_EVENTFD, OP_EVENTFD, OP_EVENTFD,
		OP_TIMERFD, OP_TIMERFD, OP_SIGNALFD, OP_DEVNULL, OP_INST,
		OP_INST, OP_INST, OP_INST,
	};

	op->type = types[below(g, sizeof(types))];
	op->a = below(g, NSLOT);
	do
		op->b = below(g, NSLOT);
	while (op->b == op->a);
	switch (op->type) {
	case OP_UNIX:
		op->mode = below(g, 3);
		break;
	case OP_EVENTFD:
		op->arg = chance(g, 70) ? 0 : below(g, 3);
		op->mode = chance(g, 20);
		break;
	case OP_INST:
		op->mode = chance(g, 95) ? below(g, 2) : 2;
		break;
	}
	g->kind[op->a] = op->type == OP_INST ? K_INST :
			 op->type == OP_TIMERFD ? K_TIMER : K_FD;
	if (op->type == OP_PIPE || op->type == OP_UNIX || op->type == OP_TCP)
		g->kind[op->b] = K_FD;
}

static void gen_ctl(struct gen *g, struct op *op)
{
	static const uint8_t ops[] = { EPOLL_CTL_ADD, EPOLL_CTL_ADD,
				       EPOLL_CTL_ADD, EPOLL_CTL_MOD,
				       EPOLL_CTL_MOD, EPOLL_CTL_DEL };

	op->a = slot_of(g, K_INST, 95);
	op->b = chance(g, 15) ? slot_of(g, K_INST, 100) : below(g, NSLOT);
	op->mode = chance(g, 97) ? ops[below(g, sizeof(ops))] :
		   (chance(g, 50) ? 0 : 4);
	op->events = gen_events(g);
	op->data = chance(g, 90) ? below(g, 0x100) : rnd(g);
	op->arg = chance(g, 2);
}

static void gen_wait(struct gen *g, struct op *op)
{
	static const uint8_t valid[] = { 0, 1, 2, 3, 3, 4, 4, 4, 4, 8 };
	int mask = chance(g, 60) ? 0 : below(g, 4);
	int size = chance(g, 97) ? 0 : below(g, 16);
	int ptr = chance(g, 95) ? 0 : below(g, 4);

	op->a = slot_of(g, K_INST, 95);
	op->mode = chance(g, 95) ? valid[below(g, sizeof(valid))] :
		   below(g, 10);
	op->arg = chance(g, 85) ? 0 : 1000000;
	op->arg2 = mask | size << 4 | ptr << 8;
}

static int gen_op(struct gen *g, struct op *op)
{
	static const int wlen[] = { 1, 8, 8, 8, 100, 4096, 65536, 1 << 20 };
	static const int rlen[] = { 1, 8, 64, 4096, 1 << 20 };
	static const uint64_t evval[] = { 1, 2, 0xfffffffffffffffeULL,
					  0xffffffffffffffffULL };
	unsigned int r = below(g, 100);
	int no_close = g->flags & GEN_NO_CLOSE;

	memset(op, 0, sizeof(*op));
	if (r < 10) {
		gen_create(g, op);
	} else if (r < 40) {
		op->type = OP_CTL;
		gen_ctl(g, op);
	} else if (r < 60) {
		op->type = OP_WAIT;
		gen_wait(g, op);
	} else if (r < 70) {
		op->type = OP_WRITE;
		op->a = slot_of(g, K_FD, 90);
		op->arg = wlen[below(g, ARRAY_SIZE(wlen))];
		op->data = evval[below(g, 4)];
	} else if (r < 77) {
		op->type = OP_READ;
		op->a = slot_of(g, K_FD, 90);
		op->arg = rlen[below(g, ARRAY_SIZE(rlen))];
	} else if (r < 79) {
		op->type = OP_SHUTDOWN;
		op->a = slot_of(g, K_FD, 90);
		op->mode = below(g, 3);
	} else if (r < 82) {
		op->type = OP_TIMER;
		op->a = slot_of(g, K_TIMER, 90);
		op->mode = below(g, 3);
	} else if (r < 86) {
		if (no_close)
			return -1;
		op->type = OP_CLOSE;
		op->a = below(g, NSLOT);
	} else if (r < 90) {
		op->type = OP_DUP + below(g, 3);
		op->a = below(g, NSLOT);
		op->b = below(g, NSLOT);
		if (op->type == OP_DUP3)
			op->arg = chance(g, 80) ? 0 : chance(g, 50) ?
				  O_CLOEXEC : 1;
		/* dup2 and dup3 close their target */
		if (op->type != OP_DUP && no_close && g->kind[op->b] != K_NONE)
			return -1;
		g->kind[op->b] = g->kind[op->a];
	} else if (r < 92) {
		op->type = OP_FORK;
	} else if (r < 94) {
		op->type = OP_RAISE;
		op->mode = below(g, 2);
	} else if (r < 96) {
		op->type = OP_FDINFO;
		op->a = slot_of(g, K_INST, 95);
	} else if (r < 97) {
		op->type = OP_CHAIN;
		op->a = below(g, NSLOT);
		op->b = below(g, NSLOT);
		op->mode = below(g, 5);
		op->arg = below(g, 12);
		g->kind[op->b] = K_INST;
	} else {
		op->type = OP_POLL;
		op->a = below(g, NSLOT);
	}
	return 0;
}

int gen_prog(uint64_t seed, struct op *ops, int max, int flags)
{
	struct gen g = { .state = seed, .flags = flags };
	int n = 0, len, start;

	len = 10 + below(&g, 150);
	if (len > max)
		len = max;
	/* a few things to watch, two instances among them */
	start = 3 + below(&g, 5);
	while (n < start && n < len) {
		memset(&ops[n], 0, sizeof(ops[n]));
		gen_create(&g, &ops[n]);
		if (n < 2) {
			ops[n].type = OP_INST;
			ops[n].mode = 0;
			g.kind[ops[n].a] = K_INST;
		}
		n++;
	}
	while (n < len)
		if (!gen_op(&g, &ops[n]))
			n++;
	return n;
}
