/* case_rules_internal: what the case rules loader's two files share. case_rules_load.c reads
 * config/cases.ini line by line (section headers, the problem list, the calls into inih) and
 * hands each key = value line to a section's handler from case_rules_check.c, which checks
 * the value and files it; after the last line case_rules_check_finish resolves the names the
 * lines used and reports missing parts. Both report through case_rules_problem. Nobody
 * outside case_rules_load.c and case_rules_check.c includes this file. */
#ifndef GATEWAY_CASE_RULES_INTERNAL_H
#define GATEWAY_CASE_RULES_INTERNAL_H

#include "case_rules.h"
#include "ini_lines.h"

#define CR_NREFS 3 /* [cases] keys naming a class or department come first in the key table */

/* A class or department named somewhere, checked once the whole file is read. */
struct cr_ref {
	char name[CASE_RULES_CODE_MAX];
	int line; /* 0: not given */
};

/* A [classes] or [routing] line: its key (for repeats and messages) and the name it gives. */
struct cr_rule {
	char key[200]; /* an INI line is shorter */
	int line;
	struct cr_ref ref;
};

struct cr_loader;
typedef void (*cr_key_fn)(struct cr_loader *ld, const char *key, const char *value);

/* One case_rules_load's state. */
struct cr_loader {
	const char *path; /* as the caller wrote it, for messages */
	struct ini_lines lines; /* walks the text for inih */
	int line; /* the line inih is on */
	char sec[64]; /* the current section's name, "" before the first */
	cr_key_fn on_key; /* handles the current section's keys; NULL: a reported bad header */
	int cur_class; /* index of the current [class.NAME] */
	struct case_rules *r;
	int cases_line; /* line of the [cases] header; 0 when there is none */
	int cases_key_line[16]; /* by index into the [cases] key table */
	struct cr_ref cases_ref[CR_NREFS];
	struct cr_rule maps[CASE_RULES_MAX_CLASS_MAP], routes[CASE_RULES_MAX_ROUTES];
	int dept_line[CASE_RULES_MAX_DEPTS], category_line[CASE_RULES_MAX_CATEGORIES];
	int class_line[CASE_RULES_MAX_CLASSES];
	int class_key_line[CASE_RULES_MAX_CLASSES][CLOCK_COUNT + 1]; /* clocks, then label */
	struct case_rules_problems probs;
};

/* case_rules_load.c: records "FILE:LINE: [sec] key: what" in ld->probs, or counts it in
 * ld->probs.more once the list is full; line 0 means no line, sec and key may be NULL. */
void case_rules_problem(struct cr_loader *ld, int line, const char *sec, const char *key,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A problem on the line inih is on, in the current section. */
#define CR_PROBLEM_HERE(ld, key, ...)                                                              \
	case_rules_problem((ld), (ld)->line, (ld)->sec, (key), __VA_ARGS__)

/* case_rules_check.c: the handlers of one key = value line of [cases], of [departments] or
 * [categories] (by ld->sec), and of [classes] or [routing] (by ld->sec). Each checks the
 * line, files what is good in ld->r and reports the rest. */
void case_rules_check_cases(struct cr_loader *ld, const char *key, const char *value);
void case_rules_check_named(struct cr_loader *ld, const char *key, const char *value);
void case_rules_check_rule(struct cr_loader *ld, const char *key, const char *value);

/* case_rules_check.c: a [class.NAME] header: checks NAME and, when it is good, opens a new
 * class with no limits and makes its keys the current ones (ld->on_key). */
void case_rules_check_class_header(struct cr_loader *ld, const char *name);

/* case_rules_check.c: after the last line, reports missing required parts and resolves
 * every class and department name the lines used against what the file defines. */
void case_rules_check_finish(struct cr_loader *ld);

#endif
