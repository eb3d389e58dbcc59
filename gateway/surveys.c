/* surveys: the return visit (回访) after each resolution; see visits.h.
 *
 *   scheduled --tick, case still resolved--> sent --answer--> answered
 *   scheduled --tick, case moved on--> cancelled       sent --no answer in time--> phone
 *   phone --the agent's call--> answered
 *
 * An answer of 1 or 2 closes the case (visit, with the satisfaction); 3 reopens it and
 * alerts the department, and the next resolution schedules the next round: "until the
 * customer is satisfied". Replies that are not an answer are kept with the case for staff
 * (case_replies), never dropped. */
#include "visits.h"

#include <stdio.h>
#include <string.h>

#include "cases_internal.h"
#include "log.h"
#include "reply_parse.h"
#include "store_visits.h"
#include "visit_time.h"
#include "visits_internal.h"

#define SURVEY_BATCH 64

int surveys_schedule(const struct cases_env *env, struct store *s, int64_t case_id, int round,
		     int64_t resolved_ms, int64_t deadline_ms, int64_t now_ms, struct err *e)
{
	bool prov = false;
	int64_t at;

	if (env->visit == NULL)
		return 0;
	at = visit_survey_at(env->visit, env->cal, resolved_ms, deadline_ms, &prov);
	return store_survey_schedule(s, case_id, round, at, now_ms, e);
}

/* Applies an answer to survey v of case c (resolved). 1: the survey was no longer waiting
 * (answered twice, or closed by an agent meanwhile). */
static int apply_answer(const struct cases_env *env, struct store *s, struct store_case *c,
			const struct store_survey *v, enum survey_answer a, const char *via,
			const char *actor, int64_t now_ms, struct err *e)
{
	struct case_step st = { .actor = actor, .now_ms = now_ms };
	char line[400], text[600];
	int rc = store_survey_move(s, v->id, v->state, "answered", 0, reply_survey_name(a), actor,
				   via, now_ms, e);

	if (rc != 0)
		return rc;
	if (a == SURVEY_UNSATISFIED) {
		st.action = CA_REOPEN;
		st.note = "回访不满意";
	} else {
		st.action = CA_VISIT;
		st.satisfaction = reply_survey_name(a);
	}
	if ((rc = case_flow_apply(env, s, c, &st, e)) < 0 || a != SURVEY_UNSATISFIED)
		return rc;
	case_notify_describe(env, s, c, line, sizeof(line));
	snprintf(text, sizeof(text), "**回访不满意，工单已重新打开** %s", line);
	return case_notify_staff(env, s, c, c->department, text, now_ms, e);
}

static int send_one(const struct cases_env *env, struct store *s, const struct store_survey *v,
		    int64_t now_ms, struct err *e)
{
	struct store_case c;
	bool prov = false;
	int rc;

	if ((rc = store_case_load(s, v->number, &c, e)) < 0)
		return rc;
	/* Reopened, or closed by phone meanwhile: this round has nothing to ask. */
	if (strcmp(c.state, "resolved") != 0 || c.reopen_count != v->round)
		return store_survey_move(s, v->id, "scheduled", "cancelled", 0, NULL, NULL, NULL,
					 now_ms, e) < 0
			? e->code
			: 0;
	rc = store_survey_move(s, v->id, "scheduled", "sent",
			       visit_answer_due(env->visit, env->cal, now_ms, &prov), NULL, NULL,
			       NULL, now_ms, e);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return case_notify_customer(env, s, &c, "survey", NULL, now_ms, e);
}

static int to_phone(const struct cases_env *env, struct store *s, const struct store_survey *v,
		    int64_t now_ms, struct err *e)
{
	int rc = store_survey_move(s, v->id, "sent", "phone", 0, NULL, NULL, NULL, now_ms, e);

	(void)env;
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return store_case_event(s, v->case_id, now_ms, "gateway", "return visit", NULL, NULL,
				"no answer in time: on the phone-visit list", 0, e);
}

static int each(const struct cases_env *env, struct store *s, struct store_survey *v, int n,
		int (*fn)(const struct cases_env *, struct store *, const struct store_survey *,
			  int64_t, struct err *),
		int64_t now_ms, struct err *e)
{
	int rc;

	for (int i = 0; i < n; i++) {
		if ((rc = store_begin(s, e)) < 0)
			return rc;
		if ((rc = fn(env, s, &v[i], now_ms, e)) < 0 || (rc = store_commit(s, e)) < 0) {
			store_rollback(s);
			return rc;
		}
	}
	return n;
}

int surveys_tick(const struct cases_env *env, struct store *s, int64_t now_ms, struct err *e)
{
	struct store_survey v[SURVEY_BATCH];
	int n, m;

	if (env->visit == NULL)
		return 0;
	if ((n = store_surveys_to_send(s, now_ms, v, SURVEY_BATCH, e)) < 0 ||
	    (n = each(env, s, v, n, send_one, now_ms, e)) < 0)
		return n;
	if ((m = store_surveys_overdue(s, now_ms, v, SURVEY_BATCH, e)) < 0 ||
	    (m = each(env, s, v, m, to_phone, now_ms, e)) < 0)
		return m;
	return n + m;
}

static bool waiting(const char *state)
{
	return strcmp(state, "sent") == 0 || strcmp(state, "phone") == 0;
}

/* What a reply to survey v did, for the reply's record. */
static const char *reply_outcome(const struct cases_env *env, struct store *s,
				 struct store_survey *v, enum survey_answer a, int64_t now_ms,
				 int *rc, struct err *e)
{
	struct store_case c;

	*rc = 0;
	if (!waiting(v->state))
		return strcmp(v->state, "answered") == 0 ? "after answer" : "no survey waiting";
	if (a == SURVEY_UNKNOWN)
		return "unparsed";
	if ((*rc = store_case_load(s, v->number, &c, e)) < 0)
		return NULL;
	if (strcmp(c.state, "resolved") != 0)
		return "after close";
	*rc = apply_answer(env, s, &c, v, a, "sms", "resident", now_ms, e);
	if (*rc == 1)
		*rc = 0;
	return a == SURVEY_SATISFIED    ? "survey:satisfied"
		: a == SURVEY_BASICALLY ? "survey:basically"
					: "survey:unsatisfied";
}

int surveys_on_reply(const struct cases_env *env, struct store *s, const char *phone,
		     const char *text, int64_t now_ms, bool *handled, struct err *e)
{
	struct store_survey v;
	const char *outcome;
	int rc;

	*handled = false;
	if ((rc = store_survey_open(s, phone, 0, &v, e)) < 0 || v.id == 0 ||
	    strcmp(v.state, "scheduled") == 0 || strcmp(v.state, "cancelled") == 0)
		return rc;
	*handled = true;
	outcome = reply_outcome(env, s, &v, reply_parse_survey(text), now_ms, &rc, e);
	if (rc < 0)
		return rc;
	return store_case_reply(s, v.case_id, v.id, 0, phone, text, outcome, now_ms, e);
}

static int answer_txn(const struct cases_env *env, struct store *s, struct store_case *c,
		      enum survey_answer a, const char *via, const char *actor, int64_t now_ms,
		      struct err *e)
{
	struct store_survey v;
	int rc;

	if ((rc = store_survey_open(s, NULL, c->id, &v, e)) < 0)
		return rc;
	if (v.id == 0 || strcmp(c->state, "resolved") != 0 ||
	    !(waiting(v.state) || strcmp(v.state, "scheduled") == 0))
		return err_set(e, ERR_CONFLICT, "answer",
			       "case %s has no return visit waiting for an answer (it is %s)",
			       c->number, c->state);
	rc = apply_answer(env, s, c, &v, a, via, actor, now_ms, e);
	return rc == 1 ? err_set(e, ERR_CONFLICT, "answer", "the survey was answered meanwhile")
		       : rc;
}

int surveys_answer(const struct cases_env *env, struct store *s, const char *number,
		   const char *token, const char *answer, const char *via, const char *actor,
		   int64_t now_ms, json_t **out, struct err *e)
{
	enum survey_answer a = reply_parse_survey(answer);
	struct store_case c;
	char num[40];
	int rc;

	if (a == SURVEY_UNKNOWN)
		return err_set(e, ERR_INVALID, "answer",
			       "answer must be 1 (满意), 2 (基本满意) or 3 (不满意)");
	if (number == NULL && (rc = cases_number_of(s, token, num, e)) < 0)
		return rc;
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = store_case_load(s, number ? number : num, &c, e)) < 0 ||
	    (rc = answer_txn(env, s, &c, a, via, actor, now_ms, e)) < 0 ||
	    (rc = store_commit(s, e)) < 0) {
		store_rollback(s);
		return rc;
	}
	return out ? cases_get(env, s, c.number, now_ms, out, e) : 0;
}

int surveys_phone_list(struct store *s, int limit, json_t **out, struct err *e)
{
	return store_survey_phone_list(s, limit, out, e);
}

int visits_tick(const struct cases_env *env, struct store *s, int64_t now_ms, struct err *e)
{
	int a = appointments_tick(env, s, now_ms, e), b;

	if (a < 0)
		return a;
	b = surveys_tick(env, s, now_ms, e);
	return b < 0 ? b : a + b;
}

int visits_on_reply(const struct cases_env *env, struct store *s, const char *phone,
		    const char *text, int64_t now_ms, struct err *e)
{
	bool handled = false;
	int rc = surveys_on_reply(env, s, phone, text, now_ms, &handled, e);

	if (rc < 0 || handled)
		return rc;
	return appointments_on_reply(env, s, phone, text, now_ms, &handled, e);
}
