/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The iepoll trace events as tracefs describes them, and trace lines read
 * by those descriptions.
 *
 * What a trace line of an iepoll event is, is defined in one place: the
 * event's format file, events/iepoll/<event>/format.  Its "format:" list
 * names the fields; its "print fmt" is the text after "<event>: " on the
 * line, one value per conversion, each the field its argument names
 * (REC->field).  This file and tools/iepoll-trace read the format files at
 * run time and split a line the same way, and the trace suite's "parsers"
 * test checks that they read one trace alike:
 *
 *   - the line is ftrace's header, "<event>: ", then the print fmt's text;
 *   - the literal text of the print fmt must be there as written;
 *   - a value runs up to the first occurrence of the literal text that
 *     follows it (the last one to the end of the line, less any literal
 *     after it), so a value may be empty (a flag mask with no flag) and
 *     the last one may hold spaces (a comm);
 *   - a value printed with __print_flags() is a flag mask, "A|B";
 *   - a number is read in its conversion's base, after its literal prefix
 *     ("data 0x%llx": "0x" is literal, the value hexadecimal).
 */
#ifndef IEPOLL_TRACE_FORMAT_H
#define IEPOLL_TRACE_FORMAT_H

#include <stdbool.h>

#define TFMT_MAX_FIELDS		12
#define TFMT_MAX_EVENTS		32
#define TFMT_NAME_LEN		32
#define TFMT_TEXT_LEN		48
#define TREC_VAL_LEN		256

/* One value of an event's print fmt. */
struct tfmt_value {
	char field[TFMT_NAME_LEN];	/* the field its argument prints */
	char before[TFMT_TEXT_LEN];	/* the print fmt's text before it */
	char conv;			/* d i u x X o c s p */
	bool flags;			/* printed by __print_flags() */
};

/* One event's format file. */
struct tfmt {
	char name[TFMT_NAME_LEN];
	int nfields;			/* the "format:" fields, common_* left out */
	char fields[TFMT_MAX_FIELDS][TFMT_NAME_LEN];
	int nvalues;			/* the print fmt's values */
	struct tfmt_value v[TFMT_MAX_FIELDS];
	char after[TFMT_TEXT_LEN];	/* the print fmt's text after the last */
};

struct tfmt_set {
	int n;
	struct tfmt ev[TFMT_MAX_EVENTS];
};

/*
 * Read the format of every event under @dir (".../events/iepoll", of the
 * top level or of an instance), in name order.  Returns 0, or -1 with a
 * message on stderr.
 */
int tfmt_load(struct tfmt_set *s, const char *dir);
/* Parse the text of one format file into @f; 0, or -1 with a message. */
int tfmt_parse(struct tfmt *f, char *text);
const struct tfmt *tfmt_find(const struct tfmt_set *s, const char *name);

/* One trace line of an iepoll event, read by its format. */
struct trec {
	const struct tfmt *fmt;
	const char *line;	/* points into the buffer given to trec_parse() */
	char val[TFMT_MAX_FIELDS][TREC_VAL_LEN];	/* as fmt->v[] */
};

/*
 * Split @text, what follows "<event>: " on a line, by @f into @r.  With
 * @strict, every number must be one in its conversion's base (an
 * expectation written like the line may hold "*" instead).  Returns 0, or
 * -1 if @text does not follow @f.
 */
int trec_parse_payload(const struct tfmt *f, const char *text, struct trec *r,
		       bool strict);
/*
 * Read the events of @s in a trace dump (a "trace" file).  Lines of other
 * events and comments are skipped.  Returns the number of events stored in
 * @r (at most @max), or -1 with a message on stderr if a line of an event
 * of @s does not follow its format.  @buf is modified (lines are
 * NUL-terminated).
 */
int trec_parse(const struct tfmt_set *s, char *buf, struct trec *r, int max);
/* The value of field @field as printed, or NULL. */
const char *trec_get(const struct trec *r, const char *field);
/* Field @field as a number in its conversion's base (0 if absent). */
long long trec_num(const struct trec *r, const char *field);

#endif /* IEPOLL_TRACE_FORMAT_H */
