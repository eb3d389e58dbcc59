/* visits: what happens after a case is handled or before a technician calls: appointments
 * (appointments.c: booking inside the type's hours, confirmation, reminders, reschedule,
 * cancellation, missed -> re-appointment notice, the resident's confirm/reschedule by SMS
 * reply or on the tracking page) and return visits (surveys.c: the survey after each
 * resolution, its answer by SMS reply, page tap or the agent's phone call, unsatisfied ->
 * reopened "until the customer is satisfied", no answer -> the phone-visit list).
 * Called by the API, by the inbound reply push and by case_watch.c's tick. Every change is
 * one transaction with its history entry and messages. Never logs personal data. */
#ifndef GATEWAY_VISITS_H
#define GATEWAY_VISITS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cases.h"
#include "err.h"
#include "store.h"

/* Appointment types (on the wire: temperature, repair, meter, inspection) and labels. */
enum appt_type { APPT_TEMPERATURE, APPT_REPAIR, APPT_METER, APPT_INSPECTION, APPT_TYPE_COUNT };
const char *appointments_type_label(int t); /* 室温测量, 上门维修, ... */

/* Books {"type","start","end","technician","address_ref","status":"confirmed"|"proposed",
 * "agent"} for the case. The window must be in the future, end after it starts and lie in
 * the type's booking hours (ERR_INVALID naming start or end). An overlap with the same
 * technician's other appointments is allowed but warned ("warnings" in the answer). The
 * resident is told at once; the reminders are stored. *out: {"appointment", "warnings"}. */
int appointments_book(const struct cases_env *env, struct store *s, const char *number,
		      const json_t *body, const char *actor, int64_t now_ms, json_t **out,
		      struct err *e);

/* {"action":"confirm|reschedule|cancel|done|missed", "start","end" (reschedule),
 * "version", "note", "agent"}: a rescheduled or cancelled appointment's pending reminders
 * are cancelled in the same transaction (a moved visit never gets a stale reminder);
 * missed sends the re-appointment notice. *out: the appointment. */
int appointments_change(const struct cases_env *env, struct store *s, const char *number,
			int64_t id, const json_t *body, const char *actor, int64_t now_ms,
			json_t **out, struct err *e);

/* Sends the reminders that are due. Returns how many. */
int appointments_tick(const struct cases_env *env, struct store *s, int64_t now_ms, struct err *e);

/* A resident's reply (already stored as inbound): when the number has an active
 * appointment and the text is a confirm or reschedule answer, it is applied (reschedule:
 * the department is asked to call). *handled: whether it was about an appointment. */
int appointments_on_reply(const struct cases_env *env, struct store *s, const char *phone,
			  const char *text, int64_t now_ms, bool *handled, struct err *e);

/* The same from the tracking page: action "confirm" or "reschedule". ERR_NOTFOUND: no
 * such case or no active appointment. */
int appointments_from_page(const struct cases_env *env, struct store *s, const char *token,
			   const char *action, int64_t now_ms, struct err *e);

/* ---- return visits (surveys.c) ---- */

/* Schedules the survey of the case's current round (called at resolution). */
int surveys_schedule(const struct cases_env *env, struct store *s, int64_t case_id, int round,
		     int64_t resolved_ms, int64_t deadline_ms, int64_t now_ms, struct err *e);
/* Sends due surveys (a case no longer resolved: the survey is cancelled) and moves
 * unanswered ones past their time to the phone-visit list. Returns how many changed. */
int surveys_tick(const struct cases_env *env, struct store *s, int64_t now_ms, struct err *e);
/* A resident's reply: applied to their open survey, or kept for staff ("unparsed",
 * "duplicate", "after close"). *handled: whether there was a survey for this number. */
int surveys_on_reply(const struct cases_env *env, struct store *s, const char *phone,
		     const char *text, int64_t now_ms, bool *handled, struct err *e);
/* An answer from the tracking page (answer "1".."3") or from an agent's phone call
 * ({"answer": "1|2|3|满意|...", "agent"}; via "phone"). ERR_CONFLICT when the case has no
 * survey waiting for an answer. *out (may be NULL): the staff view. */
int surveys_answer(const struct cases_env *env, struct store *s, const char *number,
		   const char *token, const char *answer, const char *via, const char *actor,
		   int64_t now_ms, json_t **out, struct err *e);
/* The phone-visit list (see store_survey_phone_list). */
int surveys_phone_list(struct store *s, int limit, json_t **out, struct err *e);

/* Both ticks and the reply router, for case_watch.c and the inbound push. */
int visits_tick(const struct cases_env *env, struct store *s, int64_t now_ms, struct err *e);
int visits_on_reply(const struct cases_env *env, struct store *s, const char *phone,
		    const char *text, int64_t now_ms, struct err *e);

#endif
