/* cases_internal: what the case module's files share (cases.c: intake; case_flow.c:
 * transitions and clocks; case_notify.c: messages, alerts, clusters; case_views.c: views).
 * Every function here runs inside the caller's transaction and leaves committing to it.
 * Nobody outside those files includes this file. */
#ifndef GATEWAY_CASES_INTERNAL_H
#define GATEWAY_CASES_INTERNAL_H

#include "case_fsm.h"
#include "cases.h"
#include "store_cases.h"

/* The note and choices of one transition. */
struct case_step {
	enum case_action action;
	const char *actor;
	const char *note; /* NULL when none */
	const char *department; /* reassign/dispatch: a department code, or NULL (routing) */
	const char *into; /* merge: the number of the case this one duplicates */
	const char *satisfaction; /* visit: "satisfied" (default) or "basically" */
	int64_t now_ms;
};

/* case_flow.c: moves c by step (checks the table, changes the row at c->version, records
 * the history, starts/stops clocks, queues messages and alerts) and updates *c. */
int case_flow_apply(const struct cases_env *env, struct store *s, struct store_case *c,
		    const struct case_step *step, struct err *e);
/* Starts (or restarts) clock k of class cls at start_ms; no limit: nothing. */
int case_flow_clock(const struct cases_env *env, struct store *s, int64_t id, int cls,
		    enum case_clock k, int64_t start_ms, struct err *e);

/* case_notify.c */
/* Queues the complainant's message of kind (case_accepted ...) when the case wants replies
 * and has a way to reach them; explanation may be NULL. */
int case_notify_customer(const struct cases_env *env, struct store *s, const struct store_case *c,
			 const char *kind, const char *explanation, int64_t now_ms, struct err *e);
/* The same with an appointment window ("11月28日14:00-16:00", may be NULL) and urgent
 * (the message may go inside quiet hours: a reminder for a visit that early). */
int case_notify_customer_ex(const struct cases_env *env, struct store *s,
			    const struct store_case *c, const char *kind, const char *explanation,
			    const char *window, int urgent, int64_t now_ms, struct err *e);
/* Queues a staff alert for a department's group; a department without a robot in [staff]
 * gets the alert in the case's history only. */
int case_notify_staff(const struct cases_env *env, struct store *s, const struct store_case *c,
		      const char *dept, const char *text, int64_t now_ms, struct err *e);
/* One line describing c for staff alerts ("202611-00042 报修/漏水 幸福小区 张* 138****1234"). */
void case_notify_describe(const struct cases_env *env, struct store *s, const struct store_case *c,
			  char *out, size_t n);
/* At intake: a major complaint to the leaders at once; clusters and repeats once each. */
int case_notify_intake(const struct cases_env *env, struct store *s, const struct store_case *c,
		       int64_t now_ms, struct err *e);

/* "11月20日13:30", or "—" for 0. */
void case_fmt_time(const struct cases_env *env, int64_t ms, char out[32]);
/* The department's name, or code when unknown, or "" for "". */
const char *case_dept_name(const struct cases_env *env, const char *code);

#endif
