/* case_rules_check: checks what config/cases.ini says (see case_rules_internal.h). Each
 * section's handler checks one key = value line and files it in the rules; a class or
 * department is often named before its own section (a [classes] line above the [class.NAME]
 * it uses), so such names are kept with their line and case_rules_check_finish resolves them
 * once the last line is read. The [cases] keys are a const table; the kinds are case_fsm's.
 * Called only by case_rules_load.c; never logs and never reads the clock. */
#include "case_rules_internal.h"
#include "case_fsm.h"
#include "utf8.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CR_CODE_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"
#define CR_AREA_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
#define CR_MINUTES_MAX 525600 /* one year */
#define CR_CODE_HOW "write 1 to 31 of a-z, 0-9, _ and -"

/* The [cases] keys. A number is range-checked in the file's unit (unit), then stored at
 * off multiplied by scale; a text's unit is an example of it. */
enum cr_type { T_CLASS, T_DEPT, T_INT, T_ONOFF, T_TEXT };
static const struct cr_cases_key {
	const char *name;
	enum cr_type type;
	size_t off, size;
	int lo, hi, scale;
	const char *unit;
} cr_cases[] = {
	{ "default_class", T_CLASS, offsetof(struct case_rules, default_class), 0, 0, 0, 0, "" },
	{ "default_department", T_DEPT, offsetof(struct case_rules, default_dept), 0, 0, 0, 0, "" },
	{ "leaders", T_DEPT, offsetof(struct case_rules, leaders_dept), 0, 0, 0, 0, "" },
	{ "warn_percent", T_INT, offsetof(struct case_rules, warn_percent), 0, 1, 99, 1,
	  "percent" },
	{ "notify_dispatch", T_ONOFF, offsetof(struct case_rules, notify_dispatch), 0, 0, 0, 0,
	  "" },
	{ "cluster_count", T_INT, offsetof(struct case_rules, cluster_count), 0, 2, 1000, 1,
	  "cases" },
	{ "cluster_window_hours", T_INT, offsetof(struct case_rules, cluster_window_min), 0, 1, 720,
	  60, "hours" },
	{ "repeat_window_days", T_INT, offsetof(struct case_rules, repeat_window_days), 0, 1, 365,
	  1, "days" },
	{ "hotline", T_TEXT, offsetof(struct case_rules, hotline),
	  sizeof(((struct case_rules *)0)->hotline), 0, 0, 0, "96116" },
	{ "company", T_TEXT, offsetof(struct case_rules, company),
	  sizeof(((struct case_rules *)0)->company), 0, 0, 0, "幸福水务" },
};
_Static_assert(sizeof(cr_cases) / sizeof(cr_cases[0]) <= 16, "cases_key_line holds them all");

static bool is_code(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < CASE_RULES_CODE_MAX && strspn(s, CR_CODE_CHARS) == n;
}

/* A whole number from lo to hi, digits only. */
static bool parse_int(const char *s, long lo, long hi, long *out)
{
	size_t n = strlen(s);

	if (n == 0 || n > 9 || strspn(s, "0123456789") != n)
		return false;
	*out = strtol(s, NULL, 10);
	return *out >= lo && *out <= hi;
}

/* Keeps a code that names a class or department in ref, or reports why it cannot. */
static void take_ref(struct cr_loader *ld, const char *key, const char *value, const char *what,
		     struct cr_ref *ref)
{
	if (!is_code(value)) {
		CR_PROBLEM_HERE(ld, key, "\"%.40s\" is not a %s code; " CR_CODE_HOW, value, what);
		return;
	}
	snprintf(ref->name, sizeof(ref->name), "%s", value);
	ref->line = ld->line;
}

/* A name or label: present, valid UTF-8, fitting size bytes with its NUL. */
static bool take_text(struct cr_loader *ld, const char *key, const char *value, char *dst,
		      size_t size, const char *example)
{
	size_t n = strlen(value);
	const char *what = n == 0 ? "empty" : n >= size ? "too long" : "not valid UTF-8";

	if (n == 0 || n >= size || !utf8_valid(value, n, NULL)) {
		CR_PROBLEM_HERE(ld, key, "%s; write 1 to %zu bytes of UTF-8 text, e.g. %s", what,
				size - 1, example);
		return false;
	}
	memcpy(dst, value, n + 1);
	return true;
}

/* One line of [cases]. */
void case_rules_check_cases(struct cr_loader *ld, const char *key, const char *value)
{
	size_t k = 0, nkeys = sizeof(cr_cases) / sizeof(cr_cases[0]);
	const struct cr_cases_key *ck;
	char *field = (char *)ld->r;
	long n;

	while (k < nkeys && strcmp(key, cr_cases[k].name) != 0)
		k++;
	if (k == nkeys) {
		CR_PROBLEM_HERE(
			ld, key,
			"unknown key; known keys here: default_class, default_department, leaders, warn_percent, notify_dispatch, cluster_count, cluster_window_hours, repeat_window_days, hotline, company");
		return;
	}
	if (ld->cases_key_line[k] > 0) {
		CR_PROBLEM_HERE(ld, key, "given twice (first on line %d); keep one",
				ld->cases_key_line[k]);
		return;
	}
	ld->cases_key_line[k] = ld->line;
	ck = &cr_cases[k];
	field += ck->off;
	if (ck->type == T_CLASS || ck->type == T_DEPT)
		take_ref(ld, key, value, ck->type == T_CLASS ? "class" : "department",
			 &ld->cases_ref[k]);
	else if (ck->type == T_TEXT)
		take_text(ld, key, value, field, ck->size, ck->unit);
	else if (ck->type == T_ONOFF && (strcmp(value, "on") == 0 || strcmp(value, "off") == 0))
		*(bool *)field = strcmp(value, "on") == 0;
	else if (ck->type == T_ONOFF)
		CR_PROBLEM_HERE(ld, key, "\"%.40s\" is neither on nor off; write one of them",
				value);
	else if (parse_int(value, ck->lo, ck->hi, &n))
		*(int *)field = (int)n * ck->scale;
	else
		CR_PROBLEM_HERE(ld, key, "\"%.40s\" is not a number of %s from %d to %d", value,
				ck->unit, ck->lo, ck->hi);
}

/* One CODE = 名称 line of [departments] or [categories]. */
void case_rules_check_named(struct cr_loader *ld, const char *key, const char *value)
{
	struct case_rules *r = ld->r;
	bool dept = strcmp(ld->sec, "departments") == 0;
	int *n = dept ? &r->ndepts : &r->ncategories;
	int max = dept ? CASE_RULES_MAX_DEPTS : CASE_RULES_MAX_CATEGORIES;
	int *lines = dept ? ld->dept_line : ld->category_line;
	int i = dept ? case_rules_dept(r, key) : case_rules_category(r, key);

	if (!is_code(key))
		CR_PROBLEM_HERE(ld, key, "not a code; " CR_CODE_HOW " before the =");
	else if (i >= 0)
		CR_PROBLEM_HERE(ld, key, "listed twice (first on line %d); keep one", lines[i]);
	else if (*n == max)
		CR_PROBLEM_HERE(ld, key, "more than %d entries; merge some", max);
	else if (dept ? take_text(ld, key, value, r->depts[*n].name, sizeof(r->depts[0].name),
				  "管网部")
		      : take_text(ld, key, value, r->categories[*n].label,
				  sizeof(r->categories[0].label), "漏水")) {
		snprintf(dept ? r->depts[*n].code : r->categories[*n].code, CASE_RULES_CODE_MAX,
			 "%s", key);
		lines[(*n)++] = ld->line;
	}
}

/* A limit: Nm, Nh, Nd, Nwd or none. Returns 0, 1 when it is not one, 2 when out of range. */
static int parse_limit(const char *v, struct case_limit *out)
{
	size_t digits = strspn(v, "0123456789");
	const char *unit = v + digits;
	long n = digits > 0 && digits <= 9 ? strtol(v, NULL, 10) : -1;
	long mul = strcmp(unit, "m") == 0 ? 1 : strcmp(unit, "h") == 0 ? 60 : 1440;

	if (strcmp(v, "none") == 0) {
		*out = (struct case_limit){ LIMIT_NONE, 0 };
	} else if (n >= 0 && strcmp(unit, "wd") == 0) {
		if (n < 1 || n > CALENDAR_MAX_WORKDAYS)
			return 2;
		*out = (struct case_limit){ LIMIT_WORKDAYS, (int)n };
	} else if (n >= 0 && strchr("mhd", unit[0]) != NULL && unit[0] != '\0' && unit[1] == '\0') {
		if (n < 1 || n > CR_MINUTES_MAX / mul)
			return 2;
		*out = (struct case_limit){ LIMIT_MINUTES, (int)(n * mul) };
	} else {
		return 1;
	}
	return 0;
}

/* One line of a [class.NAME] section. */
static void on_class(struct cr_loader *ld, const char *key, const char *value)
{
	struct case_class *cl = &ld->r->classes[ld->cur_class];
	int k = 0, *first, rc;

	while (k < CLOCK_COUNT && strcmp(key, case_clock_name((enum case_clock)k)) != 0)
		k++;
	if (k == CLOCK_COUNT && strcmp(key, "label") != 0) {
		CR_PROBLEM_HERE(
			ld, key,
			"unknown key; known keys here: label, first_contact, on_site, resolution, return_visit");
		return;
	}
	first = &ld->class_key_line[ld->cur_class][k];
	if (*first > 0) {
		CR_PROBLEM_HERE(ld, key, "given twice (first on line %d); keep one", *first);
		return;
	}
	*first = ld->line;
	if (k == CLOCK_COUNT) {
		take_text(ld, key, value, cl->label, sizeof(cl->label), "紧急");
		return;
	}
	rc = parse_limit(value, &cl->limit[k]);
	if (rc == 1)
		CR_PROBLEM_HERE(
			ld, key,
			"\"%.40s\" is not a limit; write Nm (minutes), Nh (hours), Nd (days of 24 h), Nwd (working days) or none, e.g. 30m, 24h, 5wd",
			value);
	else if (rc == 2)
		CR_PROBLEM_HERE(
			ld, key,
			"%.40s is out of range; give from 1 minute to 365 days (%dm) on the clock, or 1 to %d working days",
			value, CR_MINUTES_MAX, CALENDAR_MAX_WORKDAYS);
}

/* Copies len bytes of s into dst as a string, cut to fit size. */
static void copy_part(char *dst, size_t size, const char *s, size_t len)
{
	len = len < size - 1 ? len : size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* Splits KIND[/CATEGORY][@AREA] into its parts and checks each; false after a problem. */
static bool split_key(struct cr_loader *ld, const char *key, bool routing,
		      char kind[CASE_RULES_CODE_MAX], char category[CASE_RULES_CODE_MAX],
		      char area[64])
{
	const char *at = strchr(key, '@');
	size_t end = at ? (size_t)(at - key) : strlen(key), al = at ? strlen(at + 1) : 0;
	const char *slash = memchr(key, '/', end);
	size_t kl = slash ? (size_t)(slash - key) : end, cl = slash ? end - kl - 1 : 0;

	copy_part(kind, CASE_RULES_CODE_MAX, key, kl);
	copy_part(category, CASE_RULES_CODE_MAX, slash ? slash + 1 : "", cl);
	copy_part(area, 64, at ? at + 1 : "", al);
	if (at != NULL && !routing)
		CR_PROBLEM_HERE(ld, key,
				"a class does not depend on the area; write KIND or KIND/CATEGORY");
	else if (!(routing && strcmp(kind, "*") == 0) &&
		 (kl >= CASE_RULES_CODE_MAX || case_kind_label(kind) == NULL))
		CR_PROBLEM_HERE(ld, key, "unknown kind \"%s\"; kinds are %s%s", kind,
				case_kind_list(), routing ? ", or * for every kind" : "");
	else if (slash != NULL && (cl >= CASE_RULES_CODE_MAX || !is_code(category)))
		CR_PROBLEM_HERE(ld, key,
				"\"%s\" is not a category code; " CR_CODE_HOW " after the /",
				category);
	else if (at != NULL && (al == 0 || al > 63 || strspn(area, CR_AREA_CHARS) != al))
		CR_PROBLEM_HERE(
			ld, key,
			"\"%s\" is not an area code; write 1 to 63 of A-Z, a-z, 0-9, _ and - after the @",
			area);
	else
		return true;
	return false;
}

/* One line of [classes] (KIND[/CATEGORY] = CLASS) or [routing] (KIND[/CATEGORY][@AREA] =
 * DEPT). inih hands keys over trimmed, so a repeated key is a repeated string. */
void case_rules_check_rule(struct cr_loader *ld, const char *key, const char *value)
{
	struct case_rules *r = ld->r;
	bool routing = strcmp(ld->sec, "routing") == 0;
	int *n = routing ? &r->nroutes : &r->nclass_map;
	int max = routing ? CASE_RULES_MAX_ROUTES : CASE_RULES_MAX_CLASS_MAP;
	struct cr_rule *rules = routing ? ld->routes : ld->maps;
	struct case_route rt = { .dept = -1, .line = ld->line };

	if (!split_key(ld, key, routing, rt.kind, rt.category, rt.area))
		return;
	for (int i = 0; i < *n; i++)
		if (strcmp(rules[i].key, key) == 0) {
			CR_PROBLEM_HERE(ld, key, "given twice (first on line %d); keep one",
					rules[i].line);
			return;
		}
	if (*n == max) {
		CR_PROBLEM_HERE(ld, key, "more than %d lines; cover several with one shorter key",
				max);
		return;
	}
	snprintf(rules[*n].key, sizeof(rules[0].key), "%s", key);
	rules[*n].line = ld->line;
	take_ref(ld, key, value, routing ? "department" : "class", &rules[*n].ref);
	if (routing) {
		r->routes[(*n)++] = rt;
		return;
	}
	r->class_map[*n].cls = -1;
	memcpy(r->class_map[*n].kind, rt.kind, sizeof(rt.kind));
	memcpy(r->class_map[(*n)++].category, rt.category, sizeof(rt.category));
}

/* A [class.NAME] header: a new deadline class, with no limits until its keys say so. */
void case_rules_check_class_header(struct cr_loader *ld, const char *name)
{
	struct case_rules *r = ld->r;
	int i = case_rules_class(r, name);

	if (!is_code(name))
		case_rules_problem(ld, ld->line, ld->sec, NULL,
				   "\"%s\" is not a class name; " CR_CODE_HOW " after class.",
				   name);
	else if (i >= 0)
		case_rules_problem(ld, ld->line, ld->sec, NULL,
				   "appears twice (first on line %d); merge the two",
				   ld->class_line[i]);
	else if (r->nclasses == CASE_RULES_MAX_CLASSES)
		case_rules_problem(ld, ld->line, ld->sec, NULL, "more than %d classes; merge some",
				   CASE_RULES_MAX_CLASSES);
	else {
		ld->cur_class = r->nclasses++;
		snprintf(r->classes[ld->cur_class].name, CASE_RULES_CODE_MAX, "%s", name);
		/* A class without a label shows its name. */
		snprintf(r->classes[ld->cur_class].label, sizeof(r->classes[0].label), "%s", name);
		ld->class_line[ld->cur_class] = ld->line;
		ld->on_key = on_class;
	}
}

/* Resolves a class (is_class) or department name to *out, or reports it on the line that
 * used it, with the names the file does define. */
static void resolve(struct cr_loader *ld, const char *sec, const char *key,
		    const struct cr_ref *ref, bool is_class, int *out)
{
	const struct case_rules *r = ld->r;
	int n = is_class ? r->nclasses : r->ndepts;
	char known[128] = "";
	size_t used = 0;

	if (ref->line == 0 || n == 0)
		return; /* not given, or the file lacks them all (reported once) */
	*out = is_class ? case_rules_class(r, ref->name) : case_rules_dept(r, ref->name);
	if (*out >= 0)
		return;
	for (int i = 0; i < n && used < sizeof(known); i++) {
		int w = snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
				 is_class ? r->classes[i].name : r->depts[i].code);
		used += w > 0 ? (size_t)w : 0;
	}
	if (is_class)
		case_rules_problem(
			ld, ref->line, sec, key,
			"the deadline table has no class \"%s\"; known classes: %s; use one of them or add a [class.%s] section",
			ref->name, known, ref->name);
	else
		case_rules_problem(
			ld, ref->line, sec, key,
			"no department \"%s\"; known departments: %s; use one of them or add it to [departments]",
			ref->name, known);
}

/* After the last line: required parts, then every name against what the file defines. */
void case_rules_check_finish(struct cr_loader *ld)
{
	static const char *const why[CR_NREFS] = { "the class of a kind [classes] does not list",
						   "the department of a case no route matches",
						   "the department of the leaders in charge" };
	struct case_rules *r = ld->r;

	for (int k = 0; k < CR_NREFS && ld->cases_line > 0; k++)
		if (ld->cases_key_line[k] == 0)
			case_rules_problem(ld, ld->cases_line, "cases", cr_cases[k].name,
					   "missing; add %s = CODE, %s", cr_cases[k].name, why[k]);
	if (ld->cases_line == 0)
		case_rules_problem(
			ld, 0, NULL, NULL,
			"no [cases] section; add one with default_class, default_department and leaders");
	if (r->ndepts == 0)
		case_rules_problem(
			ld, 0, NULL, NULL,
			"no departments; add a [departments] section with one CODE = 名称 line per department");
	if (r->nclasses == 0)
		case_rules_problem(
			ld, 0, NULL, NULL,
			"no deadline class; add a [class.NAME] section per class, e.g. [class.general]");
	for (int k = 0; k < CR_NREFS; k++)
		resolve(ld, "cases", cr_cases[k].name, &ld->cases_ref[k], k == 0,
			(int *)((char *)r + cr_cases[k].off));
	for (int i = 0; i < r->nclass_map; i++)
		resolve(ld, "classes", ld->maps[i].key, &ld->maps[i].ref, true,
			&r->class_map[i].cls);
	for (int i = 0; i < r->nroutes; i++)
		resolve(ld, "routing", ld->routes[i].key, &ld->routes[i].ref, false,
			&r->routes[i].dept);
}
