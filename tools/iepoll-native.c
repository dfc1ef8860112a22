// SPDX-License-Identifier: GPL-2.0
/*
 * iepoll-native - attach iepoll's probes to the kernel's own epoll, so that
 * the iepoll:* trace events report native epoll instances too
 * (docs/tracing.md, "Native epoll").
 *
 * It reads the offsets of eventpoll's private structs from the running
 * kernel's BTF (/sys/kernel/btf/vmlinux, parsed here: no library), the
 * probes' symbols and GCC clones from /proc/kallsyms, builds a sample epoll
 * instance the module checks the offsets against, and holds the probes
 * through an open /dev/iepoll for as long as it runs.
 *
 * Usage: iepoll-native [options] attach [-- CMD [ARGS...]] | status
 * (--help for the whole of it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/btf.h>
#include <linux/iepoll.h>

#include "iepoll-tools.h"
#include "lib/tool.h"

#define PROG		"iepoll-native"
#define BTF_PATH	"/sys/kernel/btf/vmlinux"
#define KALLSYMS	"/proc/kallsyms"
#define STATUS_PATH	"/sys/kernel/debug/iepoll/native"
#define MAX_OVERRIDES	16

static int json;
static const char *btf_path = BTF_PATH;
static const char *kallsyms_path = KALLSYMS;
static const char *sym_override[IEPOLL_NATIVE_NPROBES];
static struct {
	const char *name;
	unsigned long offset, size;
	int has_size;
} overrides[MAX_OVERRIDES];
static int noverrides;

static const char *const probe_name[IEPOLL_NATIVE_NPROBES] = IEPOLL_NATIVE_FUNCTIONS;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTIONS] attach [-- CMD [ARGS...]]\n"
		"       " PROG " [--json] status\n"
		"       " PROG " [OPTIONS] resolve\n"
		"\n"
		"attach  resolve the offsets of struct epitem, eventpoll,\n"
		"        eppoll_entry and ep_pqueue from the running kernel's BTF\n"
		"        and the probes' symbols (GCC clones included) from\n"
		"        /proc/kallsyms, attach iepoll's native probes, and hold\n"
		"        them: until CMD exits (the exit status is CMD's), or\n"
		"        without CMD until SIGINT or SIGTERM.  Needs CAP_PERFMON or\n"
		"        CAP_SYS_ADMIN and the iepoll module.  Then the iepoll:*\n"
		"        events report native epoll instances too, ids with bit 31.\n"
		"resolve print what attach would hand the module, attach nothing\n"
		"status  the module's state of the probe set (debugfs\n"
		"        iepoll/native): holders, broken, missed, table use.\n"
		"\n"
		"  --json                 attach: print the resolved offsets and\n"
		"                         symbols as one JSON object; status: the\n"
		"                         state as one JSON object\n"
		"  --symbol PROBE=NAME    use NAME for PROBE (ep_item_poll, ...)\n"
		"                         instead of what kallsyms says (a test hook)\n"
		"  --member M=OFF[:SIZE]  use OFF (and SIZE) for member M, e.g.\n"
		"                         epitem.ep=80 (a test hook)\n"
		"  --btf FILE             read BTF from FILE, not " BTF_PATH "\n"
		"  --kallsyms FILE        read symbols from FILE, not " KALLSYMS "\n"
		"  -h, --help             this text\n"
		"  -V, --version          the version\n"
		"\n"
		"What it does not do yet: modify, send_events and detach events,\n"
		"fprobes; see docs/tracing.md, \"Native epoll\".\n"
		"Exit status: 0 (attach with CMD: CMD's), 1 on a failure (the\n"
		"module's reason is in the kernel log), 2 on a bad argument.\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(TOOL_EXIT_FAILURE);
}

/* ------------------------------------------------------------------ */
/* BTF                                                                 */

static char *btf;
static size_t btf_len;
static const struct btf_header *hdr;
static const char *btf_strs;
static const struct btf_type **types;
static unsigned int ntypes;

static size_t type_extra(const struct btf_type *t)
{
	unsigned int vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	default:
		return 0;
	}
}

static void btf_load(void)
{
	size_t cap = 1 << 20, pos, end;
	FILE *f = fopen(btf_path, "r");
	size_t n;

	if (!f)
		die("%s: %s (a kernel without CONFIG_DEBUG_INFO_BTF?)",
		    btf_path, strerror(errno));
	btf = malloc(cap);
	while (btf && (n = fread(btf + btf_len, 1, cap - btf_len, f)) > 0) {
		btf_len += n;
		if (btf_len == cap)
			btf = realloc(btf, cap *= 2);
	}
	if (!btf)
		die("out of memory");
	fclose(f);
	hdr = (const struct btf_header *)btf;
	if (btf_len < sizeof(*hdr) || hdr->magic != BTF_MAGIC ||
	    hdr->hdr_len + (size_t)hdr->type_off + hdr->type_len > btf_len ||
	    hdr->hdr_len + (size_t)hdr->str_off + hdr->str_len > btf_len)
		die("%s: not BTF", btf_path);
	btf_strs = btf + hdr->hdr_len + hdr->str_off;
	pos = hdr->hdr_len + hdr->type_off;
	end = pos + hdr->type_len;
	cap = 1024;
	types = calloc(cap, sizeof(*types));	/* id 0 is void */
	ntypes = 1;
	while (types && pos + sizeof(struct btf_type) <= end) {
		const struct btf_type *t = (const void *)(btf + pos);

		if (ntypes == cap)
			types = realloc(types, (cap *= 2) * sizeof(*types));
		if (!types)
			break;
		types[ntypes++] = t;
		pos += sizeof(*t) + type_extra(t);
	}
	if (!types)
		die("out of memory");
}

static const char *btf_name(unsigned int off)
{
	return off < hdr->str_len ? btf_strs + off : "";
}

static const struct btf_type *btf_type(unsigned int id)
{
	return id && id < ntypes ? types[id] : NULL;
}

/* Past typedefs and qualifiers. */
static const struct btf_type *btf_strip(unsigned int id)
{
	const struct btf_type *t = btf_type(id);

	while (t) {
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			t = btf_type(t->type);
			continue;
		}
		return t;
	}
	return NULL;
}

static unsigned long btf_size(unsigned int id)
{
	const struct btf_type *t = btf_strip(id);
	const struct btf_array *a;

	if (!t)
		return 0;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR:
		return sizeof(void *);
	case BTF_KIND_ARRAY:
		a = (const void *)(t + 1);
		return a->nelems * btf_size(a->type);
	case BTF_KIND_INT:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return t->size;
	}
	return 0;
}

static const struct btf_type *btf_struct(const char *name)
{
	unsigned int id;

	for (id = 1; id < ntypes; id++) {
		const struct btf_type *t = types[id];

		if (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT &&
		    BTF_INFO_VLEN(t->info) && !strcmp(btf_name(t->name_off), name))
			return t;
	}
	return NULL;
}

/*
 * "struct.member[.member...]": its offset and size in *@m; false with a
 * message when the kernel's BTF has no such member.
 */
static void btf_member(const char *path, struct iepoll_native_member *m)
{
	char buf[128], *name, *save = NULL;
	const struct btf_type *t;
	unsigned long off = 0, size = 0;
	int i;

	snprintf(buf, sizeof(buf), "%s", path);
	name = strtok_r(buf, ".", &save);
	t = btf_struct(name);
	if (!t)
		die("%s: no struct %s in the kernel's BTF", path, name);
	while ((name = strtok_r(NULL, ".", &save))) {
		const struct btf_member *mem = (const void *)(t + 1);
		int found = 0;

		if (!t || (BTF_INFO_KIND(t->info) != BTF_KIND_STRUCT &&
			   BTF_INFO_KIND(t->info) != BTF_KIND_UNION))
			die("%s: %s is not in a struct", path, name);
		for (i = 0; i < (int)BTF_INFO_VLEN(t->info); i++, mem++) {
			unsigned int bits = BTF_INFO_KFLAG(t->info) ?
				BTF_MEMBER_BIT_OFFSET(mem->offset) : mem->offset;

			if (strcmp(btf_name(mem->name_off), name))
				continue;
			if (bits % 8 || (BTF_INFO_KFLAG(t->info) &&
					 BTF_MEMBER_BITFIELD_SIZE(mem->offset)))
				die("%s: a bit field", path);
			off += bits / 8;
			size = btf_size(mem->type);
			t = btf_strip(mem->type);
			found = 1;
			break;
		}
		if (!found)
			die("%s: no member %s in the kernel's BTF", path, name);
	}
	m->offset = off;
	m->size = size;
}

/* ------------------------------------------------------------------ */
/* kallsyms                                                            */

/*
 * Each probe's symbol in @a->sym, in one pass over kallsyms: the function
 * itself, else its only GCC clone ("ep_item_poll.isra.0"); a probe given
 * by --symbol is left as it is.
 */
static void find_symbols(struct iepoll_native_attach *a)
{
	int exact[IEPOLL_NATIVE_NPROBES] = { 0 };
	int clones[IEPOLL_NATIVE_NPROBES] = { 0 };
	char line[512], name[256];
	FILE *f = fopen(kallsyms_path, "r");
	unsigned int i;
	size_t n;

	if (!f)
		die("%s: %s", kallsyms_path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '['))
			continue;	/* a module's */
		if (sscanf(line, "%*s %*c %255s", name) != 1 ||
		    strlen(name) >= IEPOLL_NATIVE_SYM_LEN)
			continue;
		for (i = 0; i < IEPOLL_NATIVE_NPROBES; i++) {
			n = strlen(probe_name[i]);
			if (sym_override[i] || strncmp(name, probe_name[i], n))
				continue;
			if (!name[n])
				exact[i] = 1;
			else if (name[n] == '.' && !strstr(name, ".cold") &&
				 !clones[i]++)
				memcpy(a->sym[i], name, strlen(name) + 1);
		}
	}
	fclose(f);
	for (i = 0; i < IEPOLL_NATIVE_NPROBES; i++) {
		if (sym_override[i])
			continue;
		if (exact[i])
			snprintf(a->sym[i], IEPOLL_NATIVE_SYM_LEN, "%s",
				 probe_name[i]);
		else if (clones[i] > 1)
			die("%s: %d clones in %s, none by that name: which one is it?",
			    probe_name[i], clones[i], kallsyms_path);
		else if (!clones[i])
			die("%s: not in %s (inlined on this kernel?)",
			    probe_name[i], kallsyms_path);
	}
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *path;
	size_t off;
} members[] = {
#define M(p, f)	{ p, offsetof(struct iepoll_native_attach, f) }
	M("epitem.ffd.file", epi_ffd_file),
	M("epitem.ffd.fd", epi_ffd_fd),
	M("epitem.ep", epi_ep),
	M("epitem.event.events", epi_events),
	M("epitem.event.data", epi_data),
	M("epitem.rdllink", epi_rdllink),
	M("epitem.fllink", epi_fllink),
	M("epitem.pwqlist", epi_pwqlist),
	M("eventpoll.file", ep_file),
	M("eventpoll.ovflist", ep_ovflist),
	M("eppoll_entry.base", pwq_base),
	M("eppoll_entry.wait", pwq_wait),
	M("ep_pqueue.pt", pqueue_pt),
	M("ep_pqueue.epi", pqueue_epi),
#undef M
};

static void resolve(struct iepoll_native_attach *a)
{
	unsigned int i;
	int j;

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	btf_load();
	for (i = 0; i < ARRAY_SIZE(members); i++) {
		struct iepoll_native_member *m = (void *)((char *)a + members[i].off);

		btf_member(members[i].path, m);
		for (j = 0; j < noverrides; j++) {
			if (strcmp(overrides[j].name, members[i].path))
				continue;
			m->offset = overrides[j].offset;
			if (overrides[j].has_size)
				m->size = overrides[j].size;
		}
	}
	for (i = 0; i < IEPOLL_NATIVE_NPROBES; i++)
		if (sym_override[i])
			snprintf(a->sym[i], IEPOLL_NATIVE_SYM_LEN, "%s",
				 sym_override[i]);
	find_symbols(a);
}

static void print_json(const struct iepoll_native_attach *a)
{
	unsigned int i;

	printf("{\"offsets\": {");
	for (i = 0; i < ARRAY_SIZE(members); i++) {
		const struct iepoll_native_member *m =
			(const void *)((const char *)a + members[i].off);

		printf("%s\"%s\": {\"offset\": %u, \"size\": %u}",
		       i ? ", " : "", members[i].path, m->offset, m->size);
	}
	printf("}, \"symbols\": {");
	for (i = 0; i < IEPOLL_NATIVE_NPROBES; i++)
		printf("%s\"%s\": \"%s\"", i ? ", " : "", probe_name[i],
		       a->sym[i]);
	printf("}}\n");
	fflush(stdout);
}

static int do_attach(char **cmd)
{
	struct iepoll_native_attach a;
	struct epoll_event ev = {
		.events = EPOLLIN, .data.u64 = IEPOLL_NATIVE_SAMPLE_DATA,
	};
	int dev, epfd, pipefd[2], status;
	pid_t child;

	resolve(&a);
	dev = open("/dev/iepoll", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/iepoll: %s (is the iepoll module loaded?)",
		    strerror(errno));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || pipe2(pipefd, O_CLOEXEC) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, pipefd[0], &ev))
		die("the sample epoll instance: %s", strerror(errno));
	a.sample_epfd = epfd;
	a.sample_fd = pipefd[0];
	if (ioctl(dev, IEPOLL_IOC_NATIVE_ATTACH, &a))
		die("attach: %s%s", strerror(errno),
		    errno == EPERM ? " (needs CAP_PERFMON or CAP_SYS_ADMIN)" :
		    " (the kernel log says why: dmesg | grep 'iepoll: native')");
	close(epfd);
	close(pipefd[0]);
	close(pipefd[1]);
	if (json)
		print_json(&a);
	else
		fprintf(stderr, PROG ": attached (%s, %s, ...)\n",
			a.sym[IEPOLL_NATIVE_ITEM_POLL],
			a.sym[IEPOLL_NATIVE_CALLBACK]);

	if (!cmd[0]) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		sigwait(&set, &sig);
		fprintf(stderr, PROG ": detached\n");
		return 0;
	}
	child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (!child) {
		execvp(cmd[0], cmd);
		fprintf(stderr, PROG ": %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	signal(SIGINT, SIG_IGN);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	close(dev);	/* the last holder detaches */
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int do_status(void)
{
	char line[256], *tab;
	FILE *f = fopen(STATUS_PATH, "r");
	int first = 1;

	if (!f)
		die("%s: %s (is the iepoll module loaded, debugfs mounted?)",
		    STATUS_PATH, strerror(errno));
	if (json)
		printf("{");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!json) {
			puts(line);
			continue;
		}
		tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab++ = 0;
		tab[strcspn(tab, "\"\\")] = 0;
		line[strcspn(line, ":\"\\")] = 0;
		if (!strcmp(line, "probe"))
			continue;
		printf("%s\"%s\": \"%s\"", first ? "" : ", ", line, tab);
		first = 0;
	}
	fclose(f);
	if (json)
		printf("}\n");
	return fflush(stdout) ? TOOL_EXIT_FAILURE : 0;
}

static void parse_symbol(const char *arg)
{
	const char *eq = strchr(arg, '=');
	unsigned int i;

	for (i = 0; eq && i < IEPOLL_NATIVE_NPROBES; i++) {
		if (strlen(probe_name[i]) == (size_t)(eq - arg) &&
		    !strncmp(arg, probe_name[i], eq - arg)) {
			if (strlen(eq + 1) >= IEPOLL_NATIVE_SYM_LEN || !eq[1])
				tool_usage_error("--symbol: bad name: '%s'", eq + 1);
			sym_override[i] = eq + 1;
			return;
		}
	}
	tool_usage_error("--symbol: not PROBE=NAME with a probe's function: '%s'",
			 arg);
}

static void parse_member(char *arg)
{
	char *eq = strchr(arg, '='), *colon;
	unsigned int i;

	if (!eq || noverrides == MAX_OVERRIDES)
		tool_usage_error("--member: not M=OFF[:SIZE]: '%s'", arg);
	*eq++ = 0;
	for (i = 0; i < ARRAY_SIZE(members); i++)
		if (!strcmp(arg, members[i].path))
			break;
	if (i == ARRAY_SIZE(members))
		tool_usage_error("--member: no member '%s' is resolved", arg);
	colon = strchr(eq, ':');
	if (colon) {
		*colon++ = 0;
		overrides[noverrides].size = tool_number("--member size", colon,
							 0, 4096);
		overrides[noverrides].has_size = 1;
	}
	overrides[noverrides].offset = tool_number("--member offset", eq, 0,
						   4096);
	overrides[noverrides++].name = arg;
}

int main(int argc, char **argv)
{
	static const struct tool t = { .name = PROG, .usage = usage };
	static const struct option opts[] = {
		{ "json", no_argument, &json, 1 },
		{ "symbol", required_argument, NULL, 's' },
		{ "member", required_argument, NULL, 'm' },
		{ "btf", required_argument, NULL, 'b' },
		{ "kallsyms", required_argument, NULL, 'k' },
		TOOL_OPT_HELP,
		TOOL_OPT_VERSION,
		{ 0 }
	};
	const char *verb;
	int c;

	tool_init(&t, argv);
	while ((c = tool_getopt(argc, argv, "+hV", opts)) != -1) {
		switch (c) {
		case 's':
			parse_symbol(optarg);
			break;
		case 'm':
			parse_member(optarg);
			break;
		case 'b':
			btf_path = optarg;
			break;
		case 'k':
			kallsyms_path = optarg;
			break;
		}
	}
	if (optind >= argc)
		tool_usage_error("a command is missing: attach, status or resolve");
	verb = argv[optind++];
	if (!strcmp(verb, "resolve")) {
		struct iepoll_native_attach a;
		unsigned int i;

		if (optind < argc)
			tool_usage_error("resolve takes no arguments");
		resolve(&a);
		if (json) {
			print_json(&a);
			return 0;
		}
		for (i = 0; i < ARRAY_SIZE(members); i++) {
			const struct iepoll_native_member *m =
				(const void *)((const char *)&a + members[i].off);

			printf("%-22s offset %4u size %3u\n", members[i].path,
			       m->offset, m->size);
		}
		for (i = 0; i < IEPOLL_NATIVE_NPROBES; i++)
			printf("%-22s symbol %s\n", probe_name[i], a.sym[i]);
		return fflush(stdout) ? TOOL_EXIT_FAILURE : 0;
	}
	if (!strcmp(verb, "status")) {
		if (optind < argc)
			tool_usage_error("status takes no arguments");
		return do_status();
	}
	if (strcmp(verb, "attach"))
		tool_usage_error("unknown command '%s': attach, status or resolve",
				 verb);
	if (optind < argc && strcmp(argv[optind++], "--"))
		tool_usage_error("attach: '--' must come before CMD");
	if (optind >= argc && argv[optind - 1] && !strcmp(argv[optind - 1], "--"))
		tool_usage_error("attach: no CMD after '--'");
	return do_attach(argv + optind);
}
