/* SPDX-License-Identifier: GPL-2.0 */
/* The C reproducer of a differential-fuzzer program (emit.c). */
#ifndef _IEPOLL_FUZZ_EMIT_H
#define _IEPOLL_FUZZ_EMIT_H

#include <stdio.h>

#include "prog.h"

/*
 * Writes @ops as a standalone C program to @f, its worlds run with
 * @flags (WORLD_NO_CLOSE); @why goes in its header.
 */
void emit_repro(FILE *f, const struct op *ops, int n, int flags,
		const char *why);

#endif /* _IEPOLL_FUZZ_EMIT_H */
