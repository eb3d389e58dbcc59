/* test_case_rules: the questions asked of the case rules, on the real config/cases.ini (run
 * from the repository root): its values, the class a kind/category gets, routing by
 * specificity with a fake area tree, deadlines on the wall clock and in working days across
 * National Day 2026 (with config/calendar.ini) and the warning time. The problems a bad file
 * can have are test_case_rules_load.c's. */
#include "case_rules.h"
#include "timefmt.h"

#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#define REAL_RULES "config/cases.ini"
#define REAL_CALENDAR "config/calendar.ini"

/* A small valid file, lines 1 to 10, that route_specificity builds on. */
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

static struct case_rules *load_real(void)
{
	struct case_rules *r = NULL;
	struct case_rules_problems pr = { 0 };
	struct err e = { 0 };
	int rc = case_rules_load(REAL_RULES, &r, &pr, &e);

	if (rc != 0)
		fprintf(stderr, "  %s\n", e.msg);
	CHECK_INT(rc, 0);
	CHECK_INT(pr.n, 0);
	return r;
}

static int64_t ms_of(const char *iso)
{
	int64_t ms = 0;
	struct err e = { 0 };

	CHECK_INT(timefmt_parse(iso, &ms, &e), 0);
	return ms;
}

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

static const char *dept_of(const struct case_rules *r, int i)
{
	return i >= 0 && i < r->ndepts ? r->depts[i].code : "(none)";
}

static const char *class_of(const struct case_rules *r, int i)
{
	return i >= 0 && i < r->nclasses ? r->classes[i].name : "(none)";
}

TEST(real_file_values)
{
	struct case_rules *r = load_real();
	const struct case_class *c;

	if (r == NULL)
		return;
	CHECK_INT(r->ndepts, 7);
	CHECK_INT(r->nclasses, 7);
	CHECK_INT(r->ncategories, 9);
	CHECK_STR(dept_of(r, r->default_dept), "service");
	CHECK_STR(dept_of(r, r->leaders_dept), "leaders");
	CHECK_STR(class_of(r, r->default_class), "general");
	CHECK_STR(r->depts[case_rules_dept(r, "pipe")].name, "管网部");
	CHECK_STR(r->depts[case_rules_dept(r, "enforcement")].name, "供水执法队");
	CHECK_STR(r->categories[case_rules_category(r, "low_pressure")].label, "水压低");
	CHECK_INT(case_rules_dept(r, "nope"), -1);
	CHECK_INT(case_rules_category(r, "nope"), -1);
	CHECK_INT(r->warn_percent, 80);
	CHECK(r->notify_dispatch);
	CHECK_INT(r->cluster_count, 3);
	CHECK_INT(r->cluster_window_min, 24 * 60);
	CHECK_INT(r->repeat_window_days, 30);
	CHECK_STR(r->hotline, "96116");
	CHECK_STR(r->company, "幸福水务");
	c = &r->classes[case_rules_class(r, "urgent")];
	CHECK_STR(c->label, "紧急");
	CHECK_INT(c->limit[CLOCK_FIRST_CONTACT].unit, LIMIT_MINUTES);
	CHECK_INT(c->limit[CLOCK_FIRST_CONTACT].amount, 20);
	CHECK_INT(c->limit[CLOCK_ON_SITE].amount, 30);
	CHECK_INT(c->limit[CLOCK_RESOLUTION].amount, 4 * 60);
	CHECK_INT(c->limit[CLOCK_RETURN_VISIT].unit, LIMIT_WORKDAYS);
	CHECK_INT(c->limit[CLOCK_RETURN_VISIT].amount, 1);
	c = &r->classes[case_rules_class(r, "complaint")];
	CHECK_INT(c->limit[CLOCK_ON_SITE].unit, LIMIT_NONE);
	CHECK_INT(c->limit[CLOCK_RESOLUTION].unit, LIMIT_WORKDAYS);
	CHECK_INT(c->limit[CLOCK_RESOLUTION].amount, 5);
	c = &r->classes[case_rules_class(r, "quality")];
	CHECK_INT(c->limit[CLOCK_FIRST_CONTACT].amount, 120);
	CHECK_INT(r->classes[case_rules_class(r, "major")].limit[CLOCK_RESOLUTION].amount, 10);
	CHECK_STR(case_clock_name(CLOCK_RETURN_VISIT), "return_visit");
	CHECK_STR(case_clock_label(CLOCK_ON_SITE), "到达现场");
	case_rules_free(r);
}

TEST(class_for_category_kind_default)
{
	struct case_rules *r = load_real();

	if (r == NULL)
		return;
	CHECK_STR(class_of(r, case_rules_class_for(r, "repair", "burst")), "urgent");
	CHECK_STR(class_of(r, case_rules_class_for(r, "repair", "no_water")), "urgent");
	CHECK_STR(class_of(r, case_rules_class_for(r, "repair", "leak")), "urgentish");
	CHECK_STR(class_of(r, case_rules_class_for(r, "repair", "meter")), "general");
	CHECK_STR(class_of(r, case_rules_class_for(r, "repair", NULL)), "general");
	CHECK_STR(class_of(r, case_rules_class_for(r, "repair", "")), "general");
	CHECK_STR(class_of(r, case_rules_class_for(r, "complaint", "attitude")), "complaint");
	CHECK_STR(class_of(r, case_rules_class_for(r, "suggestion", NULL)), "consultation");
	CHECK_STR(class_of(r, case_rules_class_for(r, "quality", "quality")), "quality");
	/* A category of another kind does not leak over. */
	CHECK_STR(class_of(r, case_rules_class_for(r, "theft", "burst")), "general");
	CHECK_STR(class_of(r, case_rules_class_for(r, "unheard_of", NULL)), "general");
	case_rules_free(r);
}

TEST(real_routes)
{
	struct case_rules *r = load_real();

	if (r == NULL)
		return;
	CHECK_STR(dept_of(r, case_rules_route(r, "repair", "leak", NULL, NULL, NULL)), "pipe");
	CHECK_STR(dept_of(r, case_rules_route(r, "repair", "no_water", "D01", NULL, NULL)),
		  "production");
	CHECK_STR(dept_of(r, case_rules_route(r, "repair", "meter", "", NULL, NULL)), "branch");
	CHECK_STR(dept_of(r, case_rules_route(r, "complaint", "billing", NULL, NULL, NULL)),
		  "branch");
	CHECK_STR(dept_of(r, case_rules_route(r, "complaint", "attitude", NULL, NULL, NULL)),
		  "service");
	CHECK_STR(dept_of(r, case_rules_route(r, "quality", NULL, NULL, NULL, NULL)), "lab");
	CHECK_STR(dept_of(r, case_rules_route(r, "theft", NULL, NULL, NULL, NULL)), "enforcement");
	CHECK_STR(dept_of(r, case_rules_route(r, "suggestion", NULL, NULL, NULL, NULL)), "service");
	case_rules_free(r);
}

/* The fake area tree: an area is within an ancestor when its code starts with it. */
static bool fake_within(void *ctx, const char *area, const char *ancestor)
{
	int *calls = ctx;

	(*calls)++;
	return strncmp(area, ancestor, strlen(ancestor)) == 0;
}

TEST(route_specificity)
{
	static const char text[] = CASES_HEAD
		"[departments]\n"
		"service = 客服中心\nleaders = 领导\nany = 任意\nstar_area = 片区\nkind = 类别\n"
		"kind_area = 类别片区\nkind_sub = 类别小区\ncat = 分类\nc_area = 投诉片区\n"
		"star_cat_area = 片区分类\n"
		"[class.general]\n"
		"[routing]\n"
		"* = any\n"
		"*@D01 = star_area\n"
		"repair = kind\n"
		"repair@D01 = kind_area\n"
		"repair@D01-S3 = kind_sub\n"
		"repair/leak = cat\n"
		"complaint@D09 = c_area\n"
		"*/burst@D01 = star_cat_area\n";
	struct case_rules *r = NULL;
	struct case_rules_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];
	int calls = 0;

	CHECK_INT(load_text(text, path, &r, &pr, &e), 0);
	if (r == NULL)
		return;
#define ROUTE(kind, cat, area) dept_of(r, case_rules_route(r, kind, cat, area, fake_within, &calls))
	CHECK_STR(ROUTE("suggestion", NULL, NULL), "any");
	CHECK_STR(ROUTE("suggestion", NULL, "D01-S3"), "star_area");
	CHECK_STR(ROUTE("repair", NULL, NULL), "kind");
	CHECK_STR(ROUTE("repair", NULL, "D02"), "kind");
	CHECK_STR(ROUTE("repair", NULL, "D01"), "kind_area");
	/* Both repair@D01 and repair@D01-S3 match and score alike: the earlier line wins. */
	CHECK_STR(ROUTE("repair", NULL, "D01-S3-B7"), "kind_area");
	/* A category counts more than an area. */
	CHECK_STR(ROUTE("repair", "leak", "D01"), "cat");
	/* The kind counts more than category and area together. */
	CHECK_STR(ROUTE("repair", "burst", "D01"), "kind_area");
	CHECK_STR(ROUTE("theft", "burst", "D01"), "star_cat_area");
	CHECK_STR(ROUTE("complaint", NULL, "D01"), "star_area");
	CHECK_STR(ROUTE("complaint", NULL, "D09-S1"), "c_area");
	CHECK_STR(ROUTE("complaint", NULL, NULL), "any");
	/* within(area, ancestor), not the other way round: D0 is above D01, not below it. */
	CHECK_STR(ROUTE("complaint", NULL, "D0"), "any");
#undef ROUTE
	CHECK(calls > 0);
	case_rules_free(r);
	/* Without a "*" line, an unmatched case goes to default_department. */
	CHECK_INT(load_text(BASE "[routing]\nrepair = leaders\n", path, &r, &pr, &e), 0);
	if (r == NULL)
		return;
	CHECK_STR(dept_of(r, case_rules_route(r, "theft", NULL, NULL, NULL, NULL)), "service");
	CHECK_STR(dept_of(r, case_rules_route(r, "repair", NULL, NULL, NULL, NULL)), "leaders");
	case_rules_free(r);
}

TEST(due_on_the_wall_clock)
{
	struct case_rules *r = load_real();
	int64_t start = ms_of("2026-09-30T23:50:00+08:00"), due = 42;
	bool prov = true;
	struct err e = { 0 };
	int cls;

	if (r == NULL)
		return;
	cls = case_rules_class(r, "urgent");
	CHECK_INT(case_rules_due(r, cls, CLOCK_ON_SITE, NULL, start, 480, &due, &prov, &e), 0);
	CHECK_INT(due, start + 30 * 60000);
	CHECK(!prov);
	CHECK_INT(case_rules_due(r, cls, CLOCK_RESOLUTION, NULL, start, 480, &due, &prov, &e), 0);
	CHECK_INT(due, ms_of("2026-10-01T03:50:00+08:00")); /* holidays do not matter */
	cls = case_rules_class(r, "urgentish");
	CHECK_INT(case_rules_due(r, cls, CLOCK_ON_SITE, NULL, start, 480, &due, &prov, &e), 0);
	CHECK_INT(due, start + 12 * 3600000LL);
	/* The consultation class keeps no on-site clock: nothing is written. */
	due = 42;
	cls = case_rules_class(r, "consultation");
	CHECK_INT(case_rules_due(r, cls, CLOCK_ON_SITE, NULL, start, 480, &due, &prov, &e), 1);
	CHECK_INT(due, 42);
	CHECK_INT(case_rules_due(r, 99, CLOCK_ON_SITE, NULL, start, 480, &due, &prov, &e),
		  ERR_INVALID);
	CHECK_INT(due, 42);
	case_rules_free(r);
}

TEST(due_in_working_days)
{
	struct case_rules *r = load_real();
	struct calendar *cal = NULL;
	struct err e = { 0 };
	int64_t due = 0;
	bool prov = true;
	char iso[32];
	int cls;

	CHECK_INT(calendar_load(REAL_CALENDAR, &cal, NULL, &e), 0);
	if (r == NULL || cal == NULL)
		goto out;
	/* 09-30 counts 1; 10-01..07 off; 10-08 2, 10-09 3, the working Saturday 10-10 4,
	 * Sunday 10-11 not, Monday 10-12 5. */
	cls = case_rules_class_for(r, "complaint", "attitude");
	CHECK_INT(case_rules_due(r, cls, CLOCK_RESOLUTION, cal, ms_of("2026-09-29T10:00:00+08:00"),
				 480, &due, &prov, &e),
		  0);
	CHECK_INT(due, ms_of("2026-10-13T00:00:00+08:00") - 1);
	timefmt_iso(due, 480, iso);
	CHECK_STR(iso, "2026-10-12T23:59:59+08:00");
	CHECK(!prov);
	/* The return visit, 2 working days, reaches into 2027, which the calendar lacks. */
	CHECK_INT(case_rules_due(r, cls, CLOCK_RETURN_VISIT, cal,
				 ms_of("2026-12-31T10:00:00+08:00"), 480, &due, &prov, &e),
		  0);
	timefmt_iso(due, 480, iso);
	CHECK_STR(iso, "2027-01-04T23:59:59+08:00");
	CHECK(prov);
	/* No calendar for a working-day clock is refused, not guessed. */
	CHECK_INT(case_rules_due(r, cls, CLOCK_RESOLUTION, NULL, 0, 480, &due, &prov, &e),
		  ERR_INVALID);
out:
	calendar_free(cal);
	case_rules_free(r);
}

TEST(warn_at_percent)
{
	struct case_rules *r = load_real();
	int64_t start = ms_of("2026-03-02T09:00:00+08:00");
	int64_t ten_years = 10 * 365 * 86400000LL;

	if (r == NULL)
		return;
	CHECK_INT(case_rules_warn_at(r, start, start + 30 * 60000), start + 24 * 60000);
	CHECK_INT(case_rules_warn_at(r, start, start + 1001), start + 800);
	CHECK_INT(case_rules_warn_at(r, start, start + ten_years), start + ten_years / 100 * 80);
	r->warn_percent = 99;
	CHECK_INT(case_rules_warn_at(r, start, start + 199), start + 197);
	case_rules_free(r);
}

int main(void)
{
	RUN(real_file_values);
	RUN(class_for_category_kind_default);
	RUN(real_routes);
	RUN(route_specificity);
	RUN(due_on_the_wall_clock);
	RUN(due_in_working_days);
	RUN(warn_at_percent);
	return TEST_END();
}
