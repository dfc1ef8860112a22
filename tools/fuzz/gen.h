/* SPDX-License-Identifier: GPL-2.0 */
/* Seeded generation of differential-fuzzer programs (gen.c). */
#ifndef _IEPOLL_FUZZ_GEN_H
#define _IEPOLL_FUZZ_GEN_H

#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>

#include "prog.h"

/* No close, dup2 or dup3 over an open slot: while iepoll's close differs. */
#define GEN_NO_CLOSE	1

/* Fills @ops (at most @max) from @seed; returns the number of ops. */
int gen_prog(uint64_t seed, struct op *ops, int max, int flags);

/* splitmix64's finaliser: program seeds from a base seed. */
uint64_t gen_mix(uint64_t x);

#endif /* _IEPOLL_FUZZ_GEN_H */
