// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-icount - a QEMU TCG plugin: guest instructions between two markers.
 *
 * A workload brackets what it measures with two instructions the compiler
 * never emits, the 7-byte NOPs "nopl 0x494550II(%rax)" (bytes 0f 1f 80 II
 * 50 45 49), II = 01 to start and 02 to stop (tools/icount/icount.h).  For
 * each start-stop pair the plugin writes one line to out=FILE:
 *
 *	<pair number, from 0> <instructions executed between the two>
 *
 * (the two markers themselves may add one instruction).  With
 * profile=FILE it also writes, at each stop, where those instructions ran:
 *
 *	<pair> <guest address of a translation block> <instructions>
 *
 * one line per block that ran while the pair was open, for
 * scripts/icount-profile to turn into functions.
 *
 * Rules it keeps:
 * - Every guest instruction of every vCPU adds one to a single counter,
 *   inline, before it executes: kernel and user mode, the idle vCPU's
 *   wake-ups and timer ticks included.  The count between the markers is
 *   exact only when the vCPUs run in one host thread (-accel
 *   tcg,thread=single): the 7.2 API has no atomic or per-vCPU inline
 *   counter, so parallel vCPUs can lose increments.  scripts/vm --icount
 *   forces one thread.
 * - The markers are matched by their bytes when a block is translated; a
 *   start while a pair is open restarts it, a stop with none open is
 *   counted as stray and reported at exit, never written as a pair.
 * - Callbacks run one at a time (one host thread), so the plugin's state
 *   needs no lock.
 * - Lines are flushed as they are written: a killed QEMU leaves every
 *   finished pair in the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK_START	0x01
#define MARK_STOP	0x02

static const unsigned char mark_tail[3] = { 0x50, 0x45, 0x49 };

static uint64_t insns;		/* every guest instruction, all vCPUs */
static uint64_t started;	/* insns at the open start marker */
static int open_pair;
static unsigned long pairs, stray;
static FILE *out, *profile;

/* profile=: one per translated block, never freed (QEMU's lifetime) */
struct block {
	uint64_t vaddr;
	uint64_t insns;		/* executed while the open pair was open */
	unsigned int n;		/* instructions of the block */
	struct block *next;
};

static struct block *blocks;

/* MARK_START or MARK_STOP when @insn is a marker, else 0. */
static int marker_of(const struct qemu_plugin_insn *insn)
{
	const unsigned char *b = qemu_plugin_insn_data(insn);

	if (qemu_plugin_insn_size(insn) != 7 || b[0] != 0x0f ||
	    b[1] != 0x1f || b[2] != 0x80 || memcmp(b + 4, mark_tail, 3))
		return 0;
	return b[3] == MARK_START || b[3] == MARK_STOP ? b[3] : 0;
}

/* Runs before the marker executes: @insns counts what came before it. */
static void on_marker(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	if ((uintptr_t)udata == MARK_START) {
		started = insns;
		open_pair = 1;
		return;
	}
	if (!open_pair) {
		stray++;
		return;
	}
	open_pair = 0;
	if (profile) {
		struct block *b;

		for (b = blocks; b; b = b->next) {
			if (!b->insns)
				continue;
			fprintf(profile, "%lu %016llx %llu\n", pairs,
				(unsigned long long)b->vaddr,
				(unsigned long long)b->insns);
			b->insns = 0;
		}
		fflush(profile);
	}
	fprintf(out, "%lu %llu\n", pairs++,
		(unsigned long long)(insns - started));
	fflush(out);
}

/* profile=: a block starts; it counts whole (what ends it early is rare) */
static void on_block(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	(void)vcpu;
	if (open_pair)
		b->insns += b->n;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	if (profile) {
		struct block *b = calloc(1, sizeof(*b));

		if (b) {
			b->vaddr = qemu_plugin_tb_vaddr(tb);
			b->n = n;
			b->next = blocks;
			blocks = b;
			qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block,
							     QEMU_PLUGIN_CB_NO_REGS, b);
		}
	}
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int m = marker_of(insn);

		/* registered first, so it runs before this insn's own add */
		if (m)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
							       QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)m);
		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							   &insns, 1);
	}
}

static void on_atexit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	if (stray || open_pair)
		fprintf(out, "# %lu stray stop marker(s), %d pair(s) left open\n",
			stray, open_pair);
	fclose(out);
	if (profile)
		fclose(profile);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL, *ppath = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4) && argv[i][4]) {
			path = argv[i] + 4;
		} else if (!strncmp(argv[i], "profile=", 8) && argv[i][8]) {
			ppath = argv[i] + 8;
		} else {
			fprintf(stderr, "iepoll-icount: unknown argument '%s'%s\n",
				argv[i], " (out=FILE[,profile=FILE])");
			return -1;
		}
	}
	if (!path) {
		fprintf(stderr, "iepoll-icount: out=FILE is required\n");
		return -1;
	}
	if (!info->system_emulation || strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "iepoll-icount: needs qemu-system-x86_64, not %s\n",
			info->target_name);
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	if (ppath) {
		profile = fopen(ppath, "w");
		if (!profile) {
			perror(ppath);
			fclose(out);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
	return 0;
}
