// SPDX-License-Identifier: GPL-2.0
/*
 * The iepoll events' format files, and trace lines read by them: see
 * trace_format.h for the rules, which tools/iepoll-trace follows too.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_format.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* "\tfield:unsigned long ino;\toffset:..." gives "ino"; -1 when none. */
static int field_name(const char *line, char *name, size_t size)
{
	const char *p = strstr(line, "field:"), *end, *start;

	if (!p)
		return -1;
	p += 6;
	end = strchr(p, ';');
	if (!end)
		return -1;
	if (memchr(p, '[', end - p))		/* char comm[16] */
		end = memchr(p, '[', end - p);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	start = end;
	while (start > p && (isalnum((unsigned char)start[-1]) || start[-1] == '_'))
		start--;
	return start == end ? -1 : copy(name, size, start, end - start);
}

/*
 * The print fmt's string, unescaped, into @out; *@rest is set past its
 * closing quote.
 */
static int fmt_string(const char *p, char *out, size_t size, const char **rest)
{
	size_t n = 0;

	p = strchr(p, '"');
	if (!p)
		return -1;
	for (p++; *p && *p != '"'; p++) {
		char c = *p;

		if (c == '\\' && p[1]) {
			p++;
			c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		}
		if (n + 1 >= size)
			return -1;
		out[n++] = c;
	}
	if (*p != '"')
		return -1;
	out[n] = '\0';
	*rest = p + 1;
	return 0;
}

/*
 * The next argument after the print fmt's string: from *@p to the comma
 * that ends it at the top level (not inside (), {}, [] or a string).
 */
static int next_arg(const char **p, const char **start, size_t *len)
{
	const char *s = *p;
	int depth = 0;
	bool str = false;

	while (*s == ',' || isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -1;
	*start = s;
	for (; *s; s++) {
		if (str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				str = false;
			continue;
		}
		if (*s == '"')
			str = true;
		else if (strchr("({[", *s))
			depth++;
		else if (strchr(")}]", *s))
			depth--;
		else if (*s == ',' && !depth)
			break;
	}
	*len = s - *start;
	*p = s;
	return 0;
}

/* The field an argument prints: REC->field, or __get_str(field). */
static int arg_field(const char *arg, size_t len, char *name, size_t size)
{
	static const char * const marks[] = { "REC->", "__get_str(" };
	char buf[1024];
	const char *p = NULL, *end;
	size_t i;

	if (copy(buf, sizeof(buf), arg, len))
		return -1;
	for (i = 0; i < ARRAY_SIZE(marks) && !p; i++) {
		p = strstr(buf, marks[i]);
		if (p)
			p += strlen(marks[i]);
	}
	if (!p)
		return -1;
	for (end = p; isalnum((unsigned char)*end) || *end == '_'; end++)
		;
	return end == p ? -1 : copy(name, size, p, end - p);
}

/* A conversion at @p (after its '%'): its character, *@len its length. */
static char conversion(const char *p, size_t *len)
{
	const char *s = p;

	s += strspn(s, "-+ #0");
	s += strspn(s, "0123456789*");
	if (*s == '.')
		s += 1 + strspn(s + 1, "0123456789*");
	s += strspn(s, "hlLqjzt");
	if (!*s || !strchr("diouxXcsp", *s))
		return 0;
	if (*s == 'p')			/* the kernel's %pS, %pI4 ... */
		while (isalnum((unsigned char)s[1]))
			s++;
	*len = s + 1 - p;
	return *s;
}

static int print_fmt(struct tfmt *f, const char *line)
{
	char fmt[512], text[TFMT_TEXT_LEN];
	const char *args, *p, *arg;
	size_t n = 0, len, alen;
	char conv;

	if (fmt_string(line, fmt, sizeof(fmt), &args))
		return -1;
	f->nvalues = 0;
	for (p = fmt; ; p++) {
		if (*p == '%' && p[1] == '%') {
			p++;
		} else if (*p == '%') {
			struct tfmt_value *v;

			conv = conversion(p + 1, &len);
			if (!conv || f->nvalues == TFMT_MAX_FIELDS)
				return -1;
			v = &f->v[f->nvalues++];
			text[n] = '\0';
			memcpy(v->before, text, n + 1);
			n = 0;
			v->conv = conv;
			if (next_arg(&args, &arg, &alen) ||
			    arg_field(arg, alen, v->field, sizeof(v->field)))
				return -1;
			v->flags = !strncmp(arg, "__print_flags(", 14);
			/* two values with no text between cannot be split */
			if (f->nvalues > 1 && !v->before[0])
				return -1;
			p += len;
			continue;
		}
		if (!*p)
			break;
		if (n + 1 >= sizeof(text))
			return -1;
		text[n++] = *p;
	}
	text[n] = '\0';
	memcpy(f->after, text, n + 1);
	return 0;
}

int tfmt_parse(struct tfmt *f, char *text)
{
	char *line, *s = text;
	bool fmt = false;

	f->nfields = 0;
	f->nvalues = 0;
	while ((line = strsep(&s, "\n"))) {
		char name[TFMT_NAME_LEN];

		if (!strncmp(line, "name: ", 6)) {
			if (copy(f->name, sizeof(f->name), line + 6, strlen(line + 6)))
				return -1;
		} else if (strstr(line, "field:")) {
			if (field_name(line, name, sizeof(name)))
				return -1;
			if (!strncmp(name, "common_", 7))
				continue;
			if (f->nfields == TFMT_MAX_FIELDS)
				return -1;
			memcpy(f->fields[f->nfields++], name, sizeof(name));
		} else if (!strncmp(line, "print fmt: ", 11)) {
			if (print_fmt(f, line + 11))
				return -1;
			fmt = true;
		}
	}
	return f->name[0] && fmt ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct tfmt *)a)->name,
		      ((const struct tfmt *)b)->name);
}

static char *read_all(const char *path)
{
	size_t len = 0, size = 8192;
	char *buf = malloc(size);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + len, size - len - 1)) > 0) {
		len += n;
		if (size - len < 2) {
			char *more = realloc(buf, size * 2);

			if (!more)
				goto fail;
			buf = more;
			size *= 2;
		}
	}
	if (n < 0)
		goto fail;
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

int tfmt_load(struct tfmt_set *s, const char *dir)
{
	char path[512];
	struct dirent *d;
	DIR *dp = opendir(dir);
	char *text;

	s->n = 0;
	if (!dp) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/format", dir, d->d_name);
		if (access(path, F_OK))		/* "enable", "filter" */
			continue;
		if (s->n == TFMT_MAX_EVENTS) {
			fprintf(stderr, "%s: more than %d events\n", dir,
				TFMT_MAX_EVENTS);
			goto fail;
		}
		text = read_all(path);
		if (!text) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			goto fail;
		}
		memset(&s->ev[s->n], 0, sizeof(s->ev[0]));
		if (tfmt_parse(&s->ev[s->n], text)) {
			fprintf(stderr, "%s: not a format this parser reads\n", path);
			free(text);
			goto fail;
		}
		free(text);
		s->n++;
	}
	closedir(dp);
	qsort(s->ev, s->n, sizeof(s->ev[0]), by_name);
	return 0;
fail:
	closedir(dp);
	return -1;
}

const struct tfmt *tfmt_find(const struct tfmt_set *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->ev[i].name, name))
			return &s->ev[i];
	return NULL;
}

static bool is_number(const char *v, char conv)
{
	int base = strchr("xX", conv) ? 16 : conv == 'o' ? 8 : 10;
	char *end;

	if (!*v || isspace((unsigned char)*v))
		return false;
	if (!strchr("di", conv) && *v == '-')
		return false;
	errno = 0;
	if (strchr("di", conv))
		strtoll(v, &end, base);
	else
		strtoull(v, &end, base);
	return !*end && !errno;
}

int trec_parse_payload(const struct tfmt *f, const char *text, struct trec *r,
		       bool strict)
{
	const char *p = text, *end;
	size_t len = strlen(text), alen = strlen(f->after);
	int i;

	/* the line's end, less the text after the last value */
	if (len < alen || strcmp(text + len - alen, f->after))
		return -1;
	len -= alen;
	r->fmt = f;
	for (i = 0; i < f->nvalues; i++) {
		const struct tfmt_value *v = &f->v[i];
		size_t blen = strlen(v->before);

		if (strncmp(p, v->before, blen))
			return -1;
		p += blen;
		if (i + 1 < f->nvalues) {
			end = strstr(p, f->v[i + 1].before);
			if (!end || end > text + len)
				return -1;
		} else {
			end = text + len;
			if (end < p)
				return -1;
		}
		if (copy(r->val[i], sizeof(r->val[i]), p, end - p))
			return -1;
		if (strict && v->conv != 's' && v->conv != 'c' &&
		    v->conv != 'p' && !is_number(r->val[i], v->conv))
			return -1;
		p = end;
	}
	return p == text + len ? 0 : -1;
}

int trec_parse(const struct tfmt_set *s, char *buf, struct trec *r, int max)
{
	char *line, *p, *end, *text = NULL, name[TFMT_NAME_LEN];
	const struct tfmt *f;
	int n = 0;

	while ((line = strsep(&buf, "\n"))) {
		if (line[0] == '#' || !line[0])
			continue;
		end = strchr(line, '\r');
		if (end)
			*end = '\0';
		/* "comm-pid [cpu] flags ts: <event>: ": a comm may hold ": " */
		f = NULL;
		for (p = strstr(line, ": "); p && !f; p = strstr(p + 1, ": ")) {
			end = strstr(p + 2, ": ");
			if (!end || copy(name, sizeof(name), p + 2, end - p - 2))
				continue;
			f = tfmt_find(s, name);
			text = end + 2;
		}
		if (!f)
			continue;
		if (n == max) {
			fprintf(stderr, "more than %d events in the trace\n", max);
			return -1;
		}
		r[n].line = line;
		if (trec_parse_payload(f, text, &r[n], true)) {
			fprintf(stderr, "this line does not follow the format of %s: %s\n",
				f->name, line);
			return -1;
		}
		n++;
	}
	return n;
}

const char *trec_get(const struct trec *r, const char *field)
{
	int i;

	for (i = 0; i < r->fmt->nvalues; i++)
		if (!strcmp(r->fmt->v[i].field, field))
			return r->val[i];
	return NULL;
}

long long trec_num(const struct trec *r, const char *field)
{
	int i;

	for (i = 0; i < r->fmt->nvalues; i++) {
		const struct tfmt_value *v = &r->fmt->v[i];

		if (strcmp(v->field, field))
			continue;
		if (strchr("di", v->conv))
			return strtoll(r->val[i], NULL, 10);
		return (long long)strtoull(r->val[i], NULL,
					   strchr("xX", v->conv) ? 16 :
					   v->conv == 'o' ? 8 : 10);
	}
	return 0;
}
