/* case_flow: one transition of a case and everything it sets off, inside the caller's
 * transaction: the table check (case_fsm), the version-checked state change, the history
 * entry, the deadline clocks (started at acceptance, stopped by the step that meets them,
 * restarted on reopen), routing at dispatch, and the messages and alerts. Also the
 * transition, note and class-change entry points of cases.h, which wrap it in a
 * transaction. */
#include "cases_internal.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "visits.h"

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

int case_flow_clock(const struct cases_env *env, struct store *s, int64_t id, int cls,
		    enum case_clock k, int64_t start_ms, struct err *e)
{
	int64_t due;
	bool prov = false;
	int rc = case_rules_due(env->rules, cls, k, env->cal, start_ms, env->cfg->utc_offset_min,
				&due, &prov, e);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (prov)
		log_warn("case deadline (%s) is provisional: %s has no entry for its year; add the "
			 "year's holidays from the State Council's notice",
			 case_clock_name(k), env->cfg->cases_calendar);
	return store_case_clock_set(s, id, k, start_ms, due,
				    case_rules_warn_at(env->rules, start_ms, due), prov, e);
}

static int met(struct store *s, int64_t id, unsigned mask, int64_t at, struct err *e)
{
	for (int k = 0; k < CLOCK_COUNT; k++)
		if ((mask & (1u << k)) && store_case_clock_met(s, id, k, at, e) < 0)
			return e->code;
	return 0;
}

#define BIT(k) (1u << (k))
#define ALL_CLOCKS (BIT(CLOCK_COUNT) - 1)

static int clocks_after(const struct cases_env *env, struct store *s, const struct store_case *c,
			enum case_action a, int64_t now, struct err *e)
{
	int cls = case_rules_class(env->rules, c->cls), rc = 0;

	if (cls < 0)
		cls = env->rules->default_class;
	switch (a) {
	case CA_ACCEPT:
		for (int k = CLOCK_FIRST_CONTACT; k <= CLOCK_RESOLUTION && rc == 0; k++)
			rc = case_flow_clock(env, s, c->id, cls, (enum case_clock)k, now, e);
		/* On the phone or at the counter the complainant is already in contact. */
		if (rc == 0 && (strcmp(c->source, "phone") == 0 || strcmp(c->source, "visit") == 0))
			rc = met(s, c->id, BIT(CLOCK_FIRST_CONTACT), now, e);
		return rc;
	case CA_EXPLAIN: return met(s, c->id, ALL_CLOCKS, now, e);
	case CA_START: return met(s, c->id, BIT(CLOCK_FIRST_CONTACT) | BIT(CLOCK_ON_SITE), now, e);
	case CA_RESOLVE:
		if ((rc = met(s, c->id, ALL_CLOCKS & ~BIT(CLOCK_RETURN_VISIT), now, e)) < 0)
			return rc;
		return case_flow_clock(env, s, c->id, cls, CLOCK_RETURN_VISIT, now, e);
	case CA_VISIT: return met(s, c->id, BIT(CLOCK_RETURN_VISIT), now, e);
	case CA_REOPEN:
		/* The visit happened (the answer was no): handling starts over. */
		if ((rc = met(s, c->id, BIT(CLOCK_RETURN_VISIT), now, e)) < 0 ||
		    (rc = case_flow_clock(env, s, c->id, cls, CLOCK_ON_SITE, now, e)) < 0)
			return rc;
		return case_flow_clock(env, s, c->id, cls, CLOCK_RESOLUTION, now, e);
	case CA_MERGE:
		for (int k = 0; k < CLOCK_COUNT && rc == 0; k++)
			rc = store_case_clock_drop(s, c->id, k, e);
		return rc;
	default: return 0;
	}
}

static bool area_within(void *ctx, const char *area, const char *ancestor)
{
	return store_area_within(ctx, area, ancestor);
}

/* Fills chg's department for dispatch (rule or manual) and reassign (manual). */
static int pick_department(const struct cases_env *env, struct store *s, const struct store_case *c,
			   const struct case_step *st, struct store_case_change *chg, struct err *e)
{
	int d;

	if (st->department != NULL) {
		if (case_rules_dept(env->rules, st->department) < 0)
			return err_set(e, ERR_INVALID, "department",
				       "department \"%.31s\" is not in [departments] of %s",
				       st->department, env->cfg->cases_rules);
		chg->department = st->department;
		chg->routed = "manual";
		return 0;
	}
	d = case_rules_route(env->rules, c->kind, c->category, c->area, area_within, s);
	chg->department = env->rules->depts[d].code;
	chg->routed = "rule";
	return 0;
}

static int check_needs(struct store *s, const struct store_case *c, const struct case_step *st,
		       struct store_case_change *chg, struct err *e)
{
	unsigned needs = case_action_needs(st->action);
	struct store_case target;
	int rc;

	if ((needs & NEEDS_NOTE) && st->note == NULL)
		return err_set(e, ERR_INVALID, "note", "%s needs a note: %s",
			       case_action_name(st->action),
			       st->action == CA_EXPLAIN ? "the explanation sent to the customer"
				       : st->action == CA_RESOLVE ? "what was done"
								  : "why the case is reopened");
	if ((needs & NEEDS_DEPARTMENT) && st->department == NULL)
		return err_set(e, ERR_INVALID, "department",
			       "reassign needs the department that takes the case over");
	if (!(needs & NEEDS_TARGET))
		return 0;
	if (st->into == NULL)
		return err_set(e, ERR_INVALID, "into",
			       "merge needs \"into\": the number of the case this one duplicates");
	if ((rc = store_case_load(s, st->into, &target, e)) < 0)
		return rc == ERR_NOTFOUND ? err_set(e, ERR_INVALID, "into",
						    "no case %.40s to "
						    "merge into",
						    st->into)
					  : rc;
	if (target.id == c->id || strcmp(target.state, "merged") == 0)
		return err_set(e, ERR_INVALID, "into", "case %s cannot take this one: it is %s",
			       target.number,
			       target.id == c->id ? "the same case" : "itself merged");
	chg->merged_into = target.id;
	return 0;
}

static void fill_change(enum case_action a, enum case_state to, int64_t now,
			const char *satisfaction, struct store_case_change *chg)
{
	chg->state = case_state_name(to);
	if (a == CA_ACCEPT)
		chg->accepted_ms = now;
	if (a == CA_RESOLVE)
		chg->resolved_ms = now;
	if (case_state_closed(to))
		chg->closed_ms = now;
	chg->reopened = a == CA_REOPEN;
	if (a == CA_VISIT)
		chg->satisfaction = satisfaction ? satisfaction : "satisfied";
	if (a == CA_REOPEN)
		chg->satisfaction = "unsatisfied";
}

/* The return visit of this round, inside the return-visit limit of the case's class. */
static int schedule_survey(const struct cases_env *env, struct store *s, const struct store_case *c,
			   int64_t now, struct err *e)
{
	int cls = case_rules_class(env->rules, c->cls);
	int64_t deadline = 0;
	bool prov;

	if (cls < 0 ||
	    case_rules_due(env->rules, cls, CLOCK_RETURN_VISIT, env->cal, now,
			   env->cfg->utc_offset_min, &deadline, &prov, e) != 0)
		deadline = 0;
	return surveys_schedule(env, s, c->id, c->reopen_count, now, deadline, now, e);
}

static int effects(const struct cases_env *env, struct store *s, const struct store_case *c,
		   const struct case_step *st, struct err *e)
{
	char line[400], text[600];
	int64_t now = st->now_ms;

	switch (st->action) {
	case CA_ACCEPT: return case_notify_customer(env, s, c, "case_accepted", NULL, now, e);
	case CA_EXPLAIN: return case_notify_customer(env, s, c, "case_explained", st->note, now, e);
	case CA_RESOLVE:
		if (schedule_survey(env, s, c, now, e) < 0)
			return e->code;
		return case_notify_customer(env, s, c, "case_resolved", NULL, now, e);
	case CA_DISPATCH:
	case CA_REASSIGN:
		case_notify_describe(env, s, c, line, sizeof(line));
		snprintf(text, sizeof(text), "**%s** %s",
			 st->action == CA_DISPATCH ? "新派工单" : "转派工单", line);
		if (case_notify_staff(env, s, c, c->department, text, now, e) < 0)
			return e->code;
		if (st->action == CA_DISPATCH && env->rules->notify_dispatch)
			return case_notify_customer(env, s, c, "case_dispatched", NULL, now, e);
		return 0;
	default: return 0;
	}
}

int case_flow_apply(const struct cases_env *env, struct store *s, struct store_case *c,
		    const struct case_step *st, struct err *e)
{
	struct store_case_change chg;
	enum case_state from, to;
	int rc;

	memset(&chg, 0, sizeof(chg));
	if (case_state_parse(c->state, &from) < 0)
		return err_set(e, ERR_INTERNAL, NULL, "case %s has an unknown state", c->number);
	if ((rc = case_fsm_next(from, st->action, &to, e)) < 0 ||
	    (rc = check_needs(s, c, st, &chg, e)) < 0)
		return rc;
	if ((st->action == CA_DISPATCH || st->action == CA_REASSIGN) &&
	    (rc = pick_department(env, s, c, st, &chg, e)) < 0)
		return rc;
	fill_change(st->action, to, st->now_ms, st->satisfaction, &chg);
	if ((rc = store_case_change(s, c->id, c->version, &chg, st->now_ms, e)) < 0)
		return rc;
	if ((rc = store_case_event(s, c->id, st->now_ms, st->actor, case_action_name(st->action),
				   c->state, chg.state, st->note, st->action == CA_EXPLAIN, e)) < 0)
		return rc;
	snprintf(c->state, sizeof(c->state), "%s", chg.state);
	c->version++;
	c->reopen_count += chg.reopened;
	if (chg.department != NULL)
		snprintf(c->department, sizeof(c->department), "%s", chg.department);
	if ((rc = clocks_after(env, s, c, st->action, st->now_ms, e)) < 0)
		return rc;
	return effects(env, s, c, st, e);
}

/* Loads the case, checks "version" when given, runs fn in a transaction. */
static int in_txn(const struct cases_env *env, struct store *s, const char *number,
		  const json_t *body,
		  int (*fn)(const struct cases_env *, struct store *, struct store_case *,
			    const json_t *, const struct case_step *, struct err *),
		  struct case_step *st, struct err *e)
{
	const json_t *ver = json_object_get(body, "version");
	struct store_case c;
	int rc;

	if (!json_is_object(body))
		return err_set(e, ERR_INVALID, "", "the body must be a JSON object");
	if (ver != NULL && !json_is_integer(ver))
		return err_set(e, ERR_INVALID, "version",
			       "version must be the case's version number");
	if (str(body, "agent") != NULL)
		st->actor = str(body, "agent");
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = store_case_load(s, number, &c, e)) < 0)
		goto out;
	if (ver != NULL && json_integer_value(ver) != c.version) {
		rc = err_set(e, ERR_CONFLICT, "version",
			     "case %s is at version %d, not %lld: someone changed it meanwhile; "
			     "reload it and decide again",
			     c.number, c.version, (long long)json_integer_value(ver));
		goto out;
	}
	if ((rc = fn(env, s, &c, body, st, e)) < 0)
		goto out;
	rc = store_commit(s, e);
out:
	if (rc < 0)
		store_rollback(s);
	return rc;
}

static int do_transition(const struct cases_env *env, struct store *s, struct store_case *c,
			 const json_t *body, const struct case_step *st0, struct err *e)
{
	struct case_step st = *st0;

	if (case_action_parse(str(body, "action"), &st.action) < 0)
		return err_set(e, ERR_INVALID, "action",
			       "action must be one of accept, explain, dispatch, reassign, start, "
			       "resolve, visit, reopen, merge");
	st.note = str(body, "note");
	st.department = str(body, "department");
	st.into = str(body, "into");
	return case_flow_apply(env, s, c, &st, e);
}

int cases_transition(const struct cases_env *env, struct store *s, const char *number,
		     const json_t *body, const char *actor, int64_t now_ms, json_t **out,
		     struct err *e)
{
	struct case_step st = { .actor = actor, .now_ms = now_ms };
	int rc = in_txn(env, s, number, body, do_transition, &st, e);

	return rc < 0 ? rc : cases_get(env, s, number, now_ms, out, e);
}

static int do_note(const struct cases_env *env, struct store *s, struct store_case *c,
		   const json_t *body, const struct case_step *st, struct err *e)
{
	const char *note = str(body, "note");
	bool contact = json_is_true(json_object_get(body, "contact"));

	(void)env;
	if (note == NULL)
		return err_set(e, ERR_INVALID, "note", "note is required: the text to add");
	if (store_case_event(s, c->id, st->now_ms, st->actor, contact ? "contact" : "note", NULL,
			     NULL, note, 0, e) < 0)
		return e->code;
	return contact ? store_case_clock_met(s, c->id, CLOCK_FIRST_CONTACT, st->now_ms, e) : 0;
}

int cases_note(const struct cases_env *env, struct store *s, const char *number, const json_t *body,
	       const char *actor, int64_t now_ms, json_t **out, struct err *e)
{
	struct case_step st = { .actor = actor, .now_ms = now_ms };
	int rc = in_txn(env, s, number, body, do_note, &st, e);

	return rc < 0 ? rc : cases_get(env, s, number, now_ms, out, e);
}

static int do_class(const struct cases_env *env, struct store *s, struct store_case *c,
		    const json_t *body, const struct case_step *st, struct err *e)
{
	const char *name = str(body, "class");
	int cls = name ? case_rules_class(env->rules, name) : -1, rc;
	struct store_case_change chg = { .state = c->state, .cls = name };
	int64_t starts[CLOCK_COUNT];

	if (cls < 0)
		return err_set(e, ERR_INVALID, "class", "class \"%.31s\" is not in %s",
			       name ? name : "", env->cfg->cases_rules);
	if ((rc = store_case_change(s, c->id, c->version, &chg, st->now_ms, e)) < 0 ||
	    (rc = store_case_event(s, c->id, st->now_ms, st->actor, "class", NULL, NULL, name, 0,
				   e)) < 0 ||
	    (rc = store_case_clock_starts(s, c->id, starts, e)) < 0)
		return rc;
	/* Running clocks keep their start and get the new class's limits. */
	for (int k = 0; k < CLOCK_COUNT; k++) {
		if (starts[k] < 0)
			continue;
		if ((rc = store_case_clock_drop(s, c->id, k, e)) < 0 ||
		    (rc = case_flow_clock(env, s, c->id, cls, (enum case_clock)k, starts[k], e)) <
			    0)
			return rc;
	}
	return 0;
}

int cases_set_class(const struct cases_env *env, struct store *s, const char *number,
		    const json_t *body, const char *actor, int64_t now_ms, json_t **out,
		    struct err *e)
{
	struct case_step st = { .actor = actor, .now_ms = now_ms };
	int rc = in_txn(env, s, number, body, do_class, &st, e);

	return rc < 0 ? rc : cases_get(env, s, number, now_ms, out, e);
}
