/* test_case_rules_load: loading the case rules from small files written for each test:
 * names used before the section that defines them, the defaults of left-out [cases] keys,
 * and every problem a bad file can have, each named by file and line. The questions asked
 * of loaded rules are test_case_rules.c's. */
#include "case_rules.h"

#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* A small valid file, lines 1 to 10; problem tests append to it from line 11. */
#define CASES_HEAD                                                                                 \
	"[cases]\n" /* 1 */                                                                        \
	"default_class = general\n" /* 2 */                                                        \
	"default_department = service\n" /* 3 */                                                   \
	"leaders = leaders\n" /* 4 */
#define DEPTS                                                                                      \
	"[departments]\n" /* 5 */                                                                  \
	"service = 客服中心\n" /* 6 */                                                             \
	"leaders = 分管领导\n" /* 7 */
#define CLASS_GENERAL                                                                              \
	"[class.general]\n" /* 8 */                                                                \
	"label = 一般\n" /* 9 */                                                                   \
	"resolution = 1wd\n" /* 10 */
#define BASE CASES_HEAD DEPTS CLASS_GENERAL

/* Writes text to a fresh file (path: 32 bytes) and loads it into *out (may be NULL: then
 * the rules are freed); the file is removed after. */
static int load_text(const char *text, char path[32], struct case_rules **out,
		     struct case_rules_problems *pr, struct err *e)
{
	struct case_rules *r = NULL;
	int rc;

	if (test_write_tmp("/tmp/test_case_rules.XXXXXX", text, path) < 0)
		return -1;
	rc = case_rules_load(path, &r, pr, e);
	unlink(path);
	if (out != NULL)
		*out = r;
	else
		case_rules_free(r);
	return rc;
}

/* Whether a problem starts "path:line:" and contains each of the strings that follow
 * (up to a NULL). */
static bool has_problem(const struct case_rules_problems *pr, const char *path, int line, ...)
{
	char at[64];

	snprintf(at, sizeof(at), "%s:%d:", path, line);
	for (int i = 0; i < pr->n; i++) {
		bool all = strncmp(pr->msg[i], at, strlen(at)) == 0;
		va_list ap;

		va_start(ap, line);
		for (const char *w; all && (w = va_arg(ap, const char *)) != NULL;)
			all = strstr(pr->msg[i], w) != NULL;
		va_end(ap);
		if (all)
			return true;
	}
	for (int i = 0; i < pr->n; i++)
		fprintf(stderr, "    problem: %s\n", pr->msg[i]);
	return false;
}

static const char *dept_of(const struct case_rules *r, int i)
{
	return i >= 0 && i < r->ndepts ? r->depts[i].code : "(none)";
}

static const char *class_of(const struct case_rules *r, int i)
{
	return i >= 0 && i < r->nclasses ? r->classes[i].name : "(none)";
}

TEST(forward_references_and_defaults)
{
	static const char text[] = "[classes]\n"
				   "complaint/attitude = later\n"
				   "complaint = general\n"
				   "repair = later\n"
				   "[routing]\n"
				   "repair = pipe\n"
				   "[class.later]\n"
				   "on_site = 2d\n"
				   "[departments]\n"
				   "pipe = 管网部\n" BASE;
	struct case_rules *r = NULL;
	struct case_rules_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];

	CHECK_INT(load_text(text, path, &r, &pr, &e), 0);
	CHECK_INT(pr.n, 0);
	if (r == NULL)
		return;
	CHECK_STR(class_of(r, case_rules_class_for(r, "repair", NULL)), "later");
	/* The category's line wins although the kind's comes after it. */
	CHECK_STR(class_of(r, case_rules_class_for(r, "complaint", "attitude")), "later");
	CHECK_STR(class_of(r, case_rules_class_for(r, "complaint", "billing")), "general");
	CHECK_STR(dept_of(r, case_rules_route(r, "repair", NULL, NULL, NULL, NULL)), "pipe");
	CHECK_STR(r->classes[case_rules_class(r, "later")].label, "later");
	CHECK_INT(r->classes[case_rules_class(r, "later")].limit[CLOCK_ON_SITE].amount, 2 * 1440);
	CHECK_INT(r->warn_percent, 80);
	CHECK_INT(r->cluster_window_min, 1440);
	CHECK_STR(r->hotline, "");
	case_rules_free(r);
}

TEST(unknown_class_in_classes)
{
	static const char text[] = BASE "[classes]\n" /* 11 */
					"repair = general\n" /* 12 */
					"repair/burst = urgnt\n" /* 13 */
					"complaint = later\n" /* 14 */
					"[class.later]\n"; /* 15 */
	struct case_rules *r = NULL;
	struct case_rules_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];

	CHECK_INT(load_text(text, path, &r, &pr, &e), ERR_INVALID);
	CHECK(r == NULL);
	CHECK(has_problem(&pr, path, 13, "[classes] repair/burst:", "\"urgnt\"",
			  "known classes: general, later", "[class.urgnt]", NULL));
	CHECK_INT(pr.n, 1);
	CHECK(strncmp(e.msg, pr.msg[0], strlen(pr.msg[0])) == 0);
}

TEST(unknown_default_class_and_department)
{
	static const char text[] = "[cases]\n" /* 1 */
				   "default_class = genral\n" /* 2 */
				   "default_department = servce\n" /* 3 */
				   "leaders = leaders\n" DEPTS CLASS_GENERAL /* 4..10 */
				   "[routing]\n" /* 11 */
				   "repair = pipe\n" /* 12 */
				   "quality@D01 = service\n"; /* 13 */
	struct case_rules_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];

	CHECK_INT(load_text(text, path, NULL, &pr, &e), ERR_INVALID);
	CHECK(has_problem(&pr, path, 2, "[cases] default_class:", "\"genral\"",
			  "known classes: general", NULL));
	CHECK(has_problem(&pr, path, 3, "[cases] default_department:", "\"servce\"",
			  "known departments: service, leaders", NULL));
	CHECK(has_problem(&pr, path, 12, "[routing] repair:", "no department \"pipe\"",
			  "known departments: service, leaders", NULL));
	CHECK_INT(pr.n, 3);
}

TEST(bad_limits_and_class_keys)
{
	static const char text[] = BASE "[class.x]\n" /* 11 */
					"label = X\n" /* 12 */
					"on_site = 5x\n" /* 13 */
					"onsite = 30m\n" /* 14 */
					"resolution = 0m\n" /* 15 */
					"return_visit = 1001wd\n" /* 16 */
					"first_contact = 366d\n" /* 17 */
					"label = Y\n" /* 18 */
					"[class.x]\n" /* 19 */
					"[class.Bad]\n"; /* 20 */
	struct case_rules_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];

	CHECK_INT(load_text(text, path, NULL, &pr, &e), ERR_INVALID);
	CHECK(has_problem(&pr, path, 13, "[class.x] on_site: \"5x\" is not a limit", "5wd", NULL));
	CHECK(has_problem(&pr, path, 14, "[class.x] onsite: unknown key",
			  "label, first_contact, on_site, resolution, return_visit", NULL));
	CHECK(has_problem(&pr, path, 15, "[class.x] resolution: 0m is out of range", NULL));
	CHECK(has_problem(&pr, path, 16, "return_visit: 1001wd is out of range", NULL));
	CHECK(has_problem(&pr, path, 17, "first_contact: 366d is out of range", NULL));
	CHECK(has_problem(&pr, path, 18, "[class.x] label: given twice (first on line 12)", NULL));
	CHECK(has_problem(&pr, path, 19, "[class.x]: appears twice (first on line 11)", NULL));
	CHECK(has_problem(&pr, path, 20, "\"Bad\" is not a class name", NULL));
	CHECK_INT(pr.n, 8);
}

TEST(unknown_kinds_and_bad_keys)
{
	static const char text[] = BASE "[classes]\n" /* 11 */
					"repiar = general\n" /* 12 */
					"* = general\n" /* 13 */
					"repair@D01 = general\n" /* 14 */
					"repair/Leak = general\n" /* 15 */
					"[routing]\n" /* 16 */
					"repiar/leak = service\n" /* 17 */
					"* = service\n" /* 18 */
					"*/leak@D 1 = service\n" /* 19 */
					"* = leaders\n" /* 20 */
					"[classes]\n" /* 21 */
					"repair = general\n" /* 22 */
					"repair = general\n"; /* 23 */
	struct case_rules_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];

	CHECK_INT(load_text(text, path, NULL, &pr, &e), ERR_INVALID);
	CHECK(has_problem(&pr, path, 12, "[classes] repiar: unknown kind \"repiar\"",
			  "consultation, repair, complaint, suggestion, theft, quality", NULL));
	CHECK(has_problem(&pr, path, 13, "[classes] *: unknown kind \"*\"", NULL));
	CHECK(has_problem(&pr, path, 14, "does not depend on the area", NULL));
	CHECK(has_problem(&pr, path, 15, "\"Leak\" is not a category code", NULL));
	CHECK(has_problem(&pr, path, 17, "[routing] repiar/leak: unknown kind \"repiar\"",
			  "or * for every kind", NULL));
	CHECK(has_problem(&pr, path, 19, "\"D 1\" is not an area code", NULL));
	CHECK(has_problem(&pr, path, 20, "[routing] *: given twice (first on line 18)", NULL));
	CHECK(has_problem(&pr, path, 23, "[classes] repair: given twice (first on line 22)", NULL));
	CHECK_INT(pr.n, 8);
}

TEST(departments_and_cases_problems)
{
	static const char text[] = "[cases]\n" /* 1 */
				   "default_class = general\n" /* 2 */
				   "default_department = service\n" /* 3 */
				   "warn_percent = 100\n" /* 4 */
				   "notify_dispatch = yes\n" /* 5 */
				   "cluster_window_hours = 721\n" /* 6 */
				   "colour = red\n" /* 7 */
				   "warn_percent = 80\n" DEPTS /* 8; 9..11 */
				   "service = 又一个\n" /* 12 */
				   "Bad = 坏\n" /* 13 */
				   "empty =\n" /* 14 */
				   "[departmnets]\n" /* 15 */
				   "x = y\n" /* 16: under a bad header, skipped */
				   "[class.general]\n" /* 17 */
				   "no equals sign\n"; /* 18 */
	struct case_rules_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];

	CHECK_INT(load_text(text, path, NULL, &pr, &e), ERR_INVALID);
	CHECK(has_problem(&pr, path, 1, "[cases] leaders: missing; add leaders = CODE", NULL));
	CHECK(has_problem(&pr, path, 4,
			  "[cases] warn_percent: \"100\" is not a number of percent from 1 to 99",
			  NULL));
	CHECK(has_problem(&pr, path, 5, "[cases] notify_dispatch: \"yes\" is neither on nor off",
			  NULL));
	CHECK(has_problem(&pr, path, 6, "cluster_window_hours: \"721\"", "from 1 to 720", NULL));
	CHECK(has_problem(&pr, path, 7, "[cases] colour: unknown key", "default_class", NULL));
	CHECK(has_problem(&pr, path, 8, "warn_percent: given twice (first on line 4)", NULL));
	CHECK(has_problem(&pr, path, 12, "[departments] service: listed twice (first on line 10)",
			  NULL));
	CHECK(has_problem(&pr, path, 13, "[departments] Bad: not a code", NULL));
	CHECK(has_problem(&pr, path, 14, "[departments] empty: empty", NULL));
	CHECK(has_problem(&pr, path, 15, "[departmnets]: unknown section", "[routing]", NULL));
	CHECK(has_problem(&pr, path, 18, "not a \"key = value\" line", NULL));
	CHECK_INT(pr.n, 11);
}

TEST(missing_parts_and_io)
{
	struct case_rules_problems pr = { 0 };
	struct case_rules *r = NULL;
	struct err e = { 0 };
	char path[32], text[4096] = BASE "[routing]\n";

	CHECK_INT(load_text("; nothing\nkey = value\n", path, NULL, &pr, &e), ERR_INVALID);
	CHECK(has_problem(&pr, path, 2, "key: outside a section", NULL));
	CHECK(strstr(pr.msg[1], "no [cases] section") != NULL);
	CHECK(strstr(pr.msg[2], "no departments") != NULL);
	CHECK(strstr(pr.msg[3], "no deadline class") != NULL);
	CHECK_INT(pr.n, 4);
	/* More problems than fit are counted, and e says there are more. */
	for (int i = 0; i < CASE_RULES_MAX_PROBLEMS + 5; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "repair@A%d = nobody\n",
			 i);
	CHECK_INT(load_text(text, path, NULL, &pr, &e), ERR_INVALID);
	CHECK_INT(pr.n, CASE_RULES_MAX_PROBLEMS);
	CHECK_INT(pr.more, 5);
	CHECK(has_problem(&pr, path, 12, "[routing] repair@A0: no department \"nobody\"", NULL));
	CHECK(strstr(e.msg, "(and more problems)") != NULL);
	CHECK_INT(case_rules_load("/nonexistent/cases.ini", &r, &pr, &e), ERR_IO);
	CHECK(r == NULL);
	CHECK(strstr(e.msg, "/nonexistent/cases.ini") != NULL);
}

int main(void)
{
	RUN(forward_references_and_defaults);
	RUN(unknown_class_in_classes);
	RUN(unknown_default_class_and_department);
	RUN(bad_limits_and_class_keys);
	RUN(unknown_kinds_and_bad_keys);
	RUN(departments_and_cases_problems);
	RUN(missing_parts_and_io);
	return TEST_END();
}
