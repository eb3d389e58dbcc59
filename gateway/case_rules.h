/* case_rules: the utility's own service promises for cases, read from config/cases.ini:
 * departments, deadline classes (four clocks each: first contact, on site, resolution,
 * return visit, on the wall clock or in working days), which class a kind/category gets,
 * routing rules from (kind, category, area) to a department, and the escalation settings.
 * Loaded once at start-up, read-only afterwards (safe to share between threads). Pure
 * apart from reading the file; never logs and never reads the clock. */
#ifndef GATEWAY_CASE_RULES_H
#define GATEWAY_CASE_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "err.h"

#define CASE_RULES_MAX_PROBLEMS 20
#define CASE_RULES_MAX_DEPTS 32
#define CASE_RULES_MAX_CLASSES 32
#define CASE_RULES_MAX_CLASS_MAP 64
#define CASE_RULES_MAX_ROUTES 128
#define CASE_RULES_MAX_CATEGORIES 64
#define CASE_RULES_CODE_MAX 32 /* codes are 1-31 of a-z 0-9 _ - */

/* The four clocks of every deadline class; the numbers are stored in the database. */
enum case_clock {
	CLOCK_FIRST_CONTACT,
	CLOCK_ON_SITE,
	CLOCK_RESOLUTION,
	CLOCK_RETURN_VISIT,
	CLOCK_COUNT
};
const char *case_clock_name(enum case_clock c); /* "first_contact", ... */
const char *case_clock_label(enum case_clock c); /* "首次联系", "到达现场", "办结", "回访" */

/* One clock's limit: none, minutes on the wall clock (24x7), or working days. */
enum case_limit_unit { LIMIT_NONE, LIMIT_MINUTES, LIMIT_WORKDAYS };
struct case_limit {
	enum case_limit_unit unit;
	int amount; /* minutes (1 .. 525600) or working days (1 .. CALENDAR_MAX_WORKDAYS) */
};

struct case_dept {
	char code[CASE_RULES_CODE_MAX]; /* also the [staff] robots department of its group */
	char name[96]; /* 管网部 */
};

struct case_class {
	char name[CASE_RULES_CODE_MAX]; /* urgent, general, complaint ... */
	char label[96]; /* 紧急 */
	struct case_limit limit[CLOCK_COUNT];
};

/* kind or kind/category -> class. */
struct case_class_map {
	char kind[CASE_RULES_CODE_MAX];
	char category[CASE_RULES_CODE_MAX]; /* "" = any category */
	int cls; /* index into classes */
};

/* kind[/category][@area] -> department; "*" as kind matches every kind. */
struct case_route {
	char kind[CASE_RULES_CODE_MAX]; /* "*" for any */
	char category[CASE_RULES_CODE_MAX]; /* "" = any */
	char area[64]; /* "" = any; else the case's area must be this one or below it */
	int dept; /* index into depts */
	int line; /* for messages */
};

struct case_category {
	char code[CASE_RULES_CODE_MAX]; /* leak */
	char label[96]; /* 漏水 */
};

struct case_rules {
	struct case_dept depts[CASE_RULES_MAX_DEPTS];
	int ndepts;
	struct case_class classes[CASE_RULES_MAX_CLASSES];
	int nclasses;
	struct case_class_map class_map[CASE_RULES_MAX_CLASS_MAP];
	int nclass_map;
	struct case_route routes[CASE_RULES_MAX_ROUTES];
	int nroutes;
	struct case_category categories[CASE_RULES_MAX_CATEGORIES];
	int ncategories;
	/* [cases] */
	int default_class; /* class of a kind with no mapping: [cases] default_class (required) */
	int default_dept; /* department when no route matches: [cases] default_department
			     (required) */
	int leaders_dept; /* the leaders in charge: [cases] leaders (required) */
	int warn_percent; /* warn the department at this share of a limit: default 80 */
	bool notify_dispatch; /* SMS to the customer at dispatch: default on */
	int cluster_count; /* this many cases of one kind in one area ... default 3 */
	int cluster_window_min; /* ... within this many minutes make a cluster: default 1440 */
	int repeat_window_days; /* the same complainant again within: default 30 */
	char hotline[32]; /* shown on pages and in messages: default "" */
	char company[96]; /* the utility's name for pages: default "" */
};

struct case_rules_problems {
	int n;
	int more;
	char msg[CASE_RULES_MAX_PROBLEMS][300]; /* "config/cases.ini:7: [routing] repair: ..." */
};

/* Reads path into *out (free with case_rules_free). Every problem names file:line, section
 * and key, says what is wrong and how to fix it: unknown sections or keys, a bad limit, a
 * class map or [cases] default_class naming an unknown class, a route naming an unknown
 * department, duplicate codes. Returns 0; ERR_IO when unreadable; ERR_INVALID with every
 * problem in *probs (may be NULL) and the first in e. */
int case_rules_load(const char *path, struct case_rules **out, struct case_rules_problems *probs,
		    struct err *e);
void case_rules_free(struct case_rules *r); /* accepts NULL */

/* Index of the department / class / category with that code, or -1. */
int case_rules_dept(const struct case_rules *r, const char *code);
int case_rules_class(const struct case_rules *r, const char *name);
int case_rules_category(const struct case_rules *r, const char *code);

/* The class for kind/category: an exact kind/category entry, else the kind's entry, else
 * default_class. category may be NULL or "". */
int case_rules_class_for(const struct case_rules *r, const char *kind, const char *category);

/* Is area equal to ancestor or below it? Supplied by the caller (the store knows the tree). */
typedef bool (*case_area_within_fn)(void *ctx, const char *area, const char *ancestor);

/* The department for a case: the most specific matching route (category and area both
 * count; kind "*" counts least; among equals the first in the file), else default_dept.
 * area may be NULL or "" (then only routes without an area match). */
int case_rules_route(const struct case_rules *r, const char *kind, const char *category,
		     const char *area, case_area_within_fn within, void *ctx);

/* When clock c of class cls, started at start_ms, is due: start + minutes, or the end of
 * the N-th working day after the start day (calendar_add_workdays, local time
 * utc_offset_min). Returns 0 with *due_ms and *provisional set, 1 when the class has no
 * such limit (nothing written), or a negative error. */
int case_rules_due(const struct case_rules *r, int cls, enum case_clock c,
		   const struct calendar *cal, int64_t start_ms, int utc_offset_min,
		   int64_t *due_ms, bool *provisional, struct err *e);

/* When to warn: start + warn_percent of (due - start). */
int64_t case_rules_warn_at(const struct case_rules *r, int64_t start_ms, int64_t due_ms);

#endif
