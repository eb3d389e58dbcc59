/* case_rules: questions asked of the loaded case rules (see case_rules.h): which class and
 * which department a case gets, when each of its clocks is due and when to warn before.
 * The loader is case_rules_load.c with case_rules_check.c. Everything here is pure and reads
 * only the rules, the calendar and its arguments: callers pass the moment a clock starts,
 * never the clock. */
#include "case_rules.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *const clock_names[CLOCK_COUNT] = { "first_contact", "on_site", "resolution",
						      "return_visit" };
static const char *const clock_labels[CLOCK_COUNT] = { "首次联系", "到达现场", "办结", "回访" };

const char *case_clock_name(enum case_clock c)
{
	assert((int)c >= 0 && c < CLOCK_COUNT);
	return (int)c >= 0 && c < CLOCK_COUNT ? clock_names[c] : "?";
}

const char *case_clock_label(enum case_clock c)
{
	assert((int)c >= 0 && c < CLOCK_COUNT);
	return (int)c >= 0 && c < CLOCK_COUNT ? clock_labels[c] : "?";
}

void case_rules_free(struct case_rules *r)
{
	free(r);
}

int case_rules_dept(const struct case_rules *r, const char *code)
{
	for (int i = 0; code != NULL && i < r->ndepts; i++)
		if (strcmp(r->depts[i].code, code) == 0)
			return i;
	return -1;
}

int case_rules_class(const struct case_rules *r, const char *name)
{
	for (int i = 0; name != NULL && i < r->nclasses; i++)
		if (strcmp(r->classes[i].name, name) == 0)
			return i;
	return -1;
}

int case_rules_category(const struct case_rules *r, const char *code)
{
	for (int i = 0; code != NULL && i < r->ncategories; i++)
		if (strcmp(r->categories[i].code, code) == 0)
			return i;
	return -1;
}

int case_rules_class_for(const struct case_rules *r, const char *kind, const char *category)
{
	int by_kind = -1;

	if (category == NULL)
		category = "";
	for (int i = 0; i < r->nclass_map; i++) {
		const struct case_class_map *m = &r->class_map[i];

		if (strcmp(m->kind, kind) != 0)
			continue;
		if (m->category[0] != '\0' && strcmp(m->category, category) == 0)
			return m->cls;
		if (m->category[0] == '\0')
			by_kind = m->cls;
	}
	return by_kind >= 0 ? by_kind : r->default_class;
}

/* Whether route rt applies to the case, and how specific it is (-1: it does not apply). */
static int route_score(const struct case_route *rt, const char *kind, const char *category,
		       const char *area, case_area_within_fn within, void *ctx)
{
	bool any_kind = strcmp(rt->kind, "*") == 0;

	if (!any_kind && strcmp(rt->kind, kind) != 0)
		return -1;
	if (rt->category[0] != '\0' && strcmp(rt->category, category) != 0)
		return -1;
	if (rt->area[0] != '\0') {
		/* Without a tree to ask, an area is only within itself. */
		if (area[0] == '\0' ||
		    !(within != NULL ? within(ctx, area, rt->area) : strcmp(area, rt->area) == 0))
			return -1;
	}
	return (rt->category[0] != '\0' ? 2 : 0) + (rt->area[0] != '\0' ? 1 : 0) +
		(any_kind ? 0 : 4);
}

int case_rules_route(const struct case_rules *r, const char *kind, const char *category,
		     const char *area, case_area_within_fn within, void *ctx)
{
	int best = -1, best_score = -1;

	if (category == NULL)
		category = "";
	if (area == NULL)
		area = "";
	/* Routes are kept in file order, so a strictly better score is needed to displace an
	 * earlier route: among equals the first in the file wins. */
	for (int i = 0; i < r->nroutes; i++) {
		int s = route_score(&r->routes[i], kind, category, area, within, ctx);

		if (s > best_score) {
			best_score = s;
			best = r->routes[i].dept;
		}
	}
	return best >= 0 ? best : r->default_dept;
}

int case_rules_due(const struct case_rules *r, int cls, enum case_clock c,
		   const struct calendar *cal, int64_t start_ms, int utc_offset_min,
		   int64_t *due_ms, bool *provisional, struct err *e)
{
	const struct case_limit *lim;

	if (cls < 0 || cls >= r->nclasses)
		return err_set(e, ERR_INVALID, "class",
			       "deadline class %d does not exist; the rules have %d classes", cls,
			       r->nclasses);
	if ((int)c < 0 || c >= CLOCK_COUNT)
		return err_set(e, ERR_INVALID, "clock", "clock %d does not exist", (int)c);
	lim = &r->classes[cls].limit[c];
	switch (lim->unit) {
	case LIMIT_NONE: return 1;
	case LIMIT_MINUTES:
		*due_ms = start_ms + (int64_t)lim->amount * 60000;
		*provisional = false;
		return 0;
	case LIMIT_WORKDAYS:
		if (cal == NULL)
			return err_set(
				e, ERR_INVALID, "calendar",
				"class %s counts %s in working days, but no calendar was given",
				r->classes[cls].name, case_clock_name(c));
		return calendar_add_workdays(cal, start_ms, lim->amount, utc_offset_min, due_ms,
					     provisional, e);
	}
	return err_set(e, ERR_INTERNAL, "clock", "limit unit %d is unknown", (int)lim->unit);
}

int64_t case_rules_warn_at(const struct case_rules *r, int64_t start_ms, int64_t due_ms)
{
	int64_t span = due_ms - start_ms;

	/* Split so that span * percent cannot overflow; the result equals span * p / 100. */
	return start_ms + span / 100 * r->warn_percent + span % 100 * r->warn_percent / 100;
}
