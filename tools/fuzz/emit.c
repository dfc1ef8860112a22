// SPDX-License-Identifier: GPL-2.0
/*
 * Writes a differential-fuzzer program as a standalone C reproducer: the
 * executor (prog.h and exec.c, embedded at build time as repro-src.h), the
 * program as a table with each op described in a comment, and a main()
 * that runs it against epoll and /dev/iepoll and prints where the
 * transcripts part.  Build: cc -I include/uapi -o fuzz-repro FILE.c
 */
#include <stdio.h>

#include "emit.h"
#include "repro-src.h"

static const char repro_main[] =
"\nstatic char tr_epoll[1 << 20], tr_iepoll[1 << 20];\n"
"\n"
"int main(void)\n"
"{\n"
"	int n = sizeof(prog) / sizeof(prog[0]);\n"
"	char *a = tr_epoll, *b = tr_iepoll, *ea, *eb;\n"
"\n"
"	world_run(prog, n, FLAGS, tr_epoll, sizeof(tr_epoll) - 1);\n"
"	world_run(prog, n, FLAGS | WORLD_IEPOLL, tr_iepoll, sizeof(tr_iepoll) - 1);\n"
"	printf(\"# epoll:\\n%s# iepoll:\\n%s\", tr_epoll, tr_iepoll);\n"
"	for (;;) {\n"
"		ea = strchr(a, '\\n');\n"
"		eb = strchr(b, '\\n');\n"
"		if (!ea || !eb || ea - a != eb - b || memcmp(a, b, ea - a))\n"
"			break;\n"
"		a = ea + 1;\n"
"		b = eb + 1;\n"
"	}\n"
"	if (!strcmp(a, b)) {\n"
"		printf(\"# same transcript\\n\");\n"
"		return 0;\n"
"	}\n"
"	printf(\"# first difference:\\n# epoll:  %.*s\\n# iepoll: %.*s\\n\",\n"
"	       (int)(ea ? ea - a : (long)strlen(a)), a,\n"
"	       (int)(eb ? eb - b : (long)strlen(b)), b);\n"
"	return 1;\n"
"}\n";

void emit_repro(FILE *f, const struct op *ops, int n, int flags,
		const char *why)
{
	char desc[256];
	int i;

	/* split, so that checkpatch does not take it for this file's tag */
	fprintf(f, "// SPDX-%s\n"
		"/*\n * iepoll differential-fuzzer reproducer: %s\n"
		" * Build: cc -I include/uapi -o fuzz-repro FILE.c; run as root with\n"
		" * iepoll loaded. Exits 1 when epoll and iepoll disagree.\n */\n"
		"#define _GNU_SOURCE\n", "License-Identifier: GPL-2.0", why);
	fputs(repro_src, f);
	fprintf(f, "\nstatic const struct op prog[] = {\n");
	for (i = 0; i < n; i++) {
		op_describe(&ops[i], desc, sizeof(desc));
		fprintf(f, "\t/* %d: %s */\n\t{ %d, %d, %d, %d, %#x, %#llx, %d, %d },\n",
			i, desc, ops[i].type, ops[i].a, ops[i].b, ops[i].mode,
			ops[i].events, (unsigned long long)ops[i].data,
			ops[i].arg, ops[i].arg2);
	}
	fprintf(f, "};\n\n#define FLAGS %d\n%s", flags, repro_main);
}
