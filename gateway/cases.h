/* cases: customer cases (工单) from intake to close.
 * Owns: checking a new case (cases.c), moving it through the state machine of case_fsm.h
 * with its side effects (case_flow.c: deadlines started and stopped on the working-day
 * calendar, routing, the complainant's messages, the department's and leaders' alerts,
 * cluster and repeat detection), and the views people see (case_views.c: the staff view and
 * the public tracking view with every personal field masked by the server).
 * Called by the API (one store connection per request) and by case_watch.c. Every change
 * of a case and its effects is one transaction: a case is never moved without its history
 * entry, its clocks and its queued messages. Never logs personal data. */
#ifndef GATEWAY_CASES_H
#define GATEWAY_CASES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "calendar.h"
#include "case_rules.h"
#include "config.h"
#include "err.h"
#include "store.h"
#include "templates.h"

struct visit_policy;
struct visit_hours;

struct cases_env {
	const struct gw_config *cfg; /* [cases], [routing] notices, [staff] robots, offsets */
	const struct case_rules *rules;
	const struct calendar *cal;
	const struct templates *tmpl;
	const struct visit_policy *visit; /* reminders and survey timing (visit_time.h) */
	const struct visit_hours *hours; /* booking hours per appointment type (visits.h) */
};

/* Registers a case from body (see docs/api.md "POST /api/v1/cases"); actor is the agent
 * (the API key's name unless the body names an "agent"): the first-responsibility owner.
 * With "accept" / "dispatch" true the case is also accepted / dispatched, each a recorded
 * transition. *out: the staff view. ERR_INVALID (with the field) for bad input, e.g. no
 * way to reach a complainant who wants a reply. With "reservation" {"number","token"} (a
 * kiosk's reserved pair, actor being that kiosk's key) the case takes them; sending it again
 * returns 1 and the case it made (nothing is created twice). */
int cases_create(const struct cases_env *env, struct store *s, const json_t *body,
		 const char *actor, int64_t now_ms, json_t **out, struct err *e);

/* Applies body {"action", "note", "department", "into", "version", "agent"} to the case.
 * ERR_NOTFOUND (no such case), ERR_CONFLICT (not allowed from its state, or the case changed
 * since "version"), ERR_INVALID (a missing note, department or target). *out: staff view. */
int cases_transition(const struct cases_env *env, struct store *s, const char *number,
		     const json_t *body, const char *actor, int64_t now_ms, json_t **out,
		     struct err *e);

/* Adds a note {"note", "contact": bool, "agent"}: internal (never public). contact true
 * records that the complainant was contacted (the first-contact clock stops). */
int cases_note(const struct cases_env *env, struct store *s, const char *number, const json_t *body,
	       const char *actor, int64_t now_ms, json_t **out, struct err *e);

/* Changes the deadline class {"class", "version", "agent"}: running clocks are recomputed
 * from their starts. */
int cases_set_class(const struct cases_env *env, struct store *s, const char *number,
		    const json_t *body, const char *actor, int64_t now_ms, json_t **out,
		    struct err *e);

/* The staff view (everything, with labels and clocks). */
int cases_get(const struct cases_env *env, struct store *s, const char *number, int64_t now_ms,
	      json_t **out, struct err *e);

/* The public view behind a tracking token (docs/api.md "GET /api/v1/track/{token}"): name
 * as 张*, mobile as 138****1234, the area's name and no address, no internal notes.
 * ERR_NOTFOUND, the same for a malformed and an unknown token. With offer_follow (a WeChat
 * account is configured) and a case naming a resident who does not follow yet,
 * "wechat_follow" links to /t/{token}/wechat. */
int cases_public(const struct cases_env *env, struct store *s, const char *token, bool offer_follow,
		 int64_t now_ms, json_t **out, struct err *e);
/* The number (40 bytes) of the case behind a token; ERR_NOTFOUND as cases_public. */
int cases_number_of(struct store *s, const char *token, char number[40], struct err *e);
/* Whether token is a well-formed token of a case. */
bool cases_token_known(struct store *s, const char *token);
/* The account of the resident behind a tracking token (64 bytes), for the "follow in
 * WeChat" link. ERR_NOTFOUND for a bad token or a case without an account. */
int cases_account(struct store *s, const char *token, char account[64], struct err *e);

/* Reserves count (1..200) numbers with their tracking tokens for kiosk (its key's name),
 * for tickets printed while the gateway cannot be reached. *out: {"reservations":
 * [{"number","token","tracking_url"}]}. */
int cases_reserve(const struct cases_env *env, struct store *s, const char *kiosk, int count,
		  int64_t now_ms, json_t **out, struct err *e);

/* The tracking URL of a token: public_url + "/t/" + token. out: 320 bytes. */
void cases_track_url(const struct cases_env *env, const char *token, char out[320]);

/* case_watch: announces every clock that reached its warning or limit by now_ms (department
 * at the warning; department and leaders at the limit), once each. Returns how many. */
int cases_watch_tick(const struct cases_env *env, struct store *s, int64_t now_ms, struct err *e);

#endif
