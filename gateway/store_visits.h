/* store_visits: the store's part for appointments (with their reminders), return-visit
 * surveys and the residents' replies about cases (tables appointments, reminders, surveys,
 * case_replies; migration 7 in store_schema.c). Same contract as store.h. Holds no rules:
 * which window is allowed, when a reminder or survey goes and what an answer means are
 * decided by appointments.c and surveys.c. Never logs. */
#ifndef GATEWAY_STORE_VISITS_H
#define GATEWAY_STORE_VISITS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

/* ---- appointments ---- */
struct store_appt {
	int64_t id, case_id, start_ms, end_ms;
	char type[32], technician[64], address_ref[128], status[16], created_by[64];
	int version;
};
/* Stores a new appointment (status as given); *id on success. */
int store_appt_insert(struct store *s, const struct store_appt *a, int64_t now_ms, int64_t *id,
		      struct err *e);
/* ERR_NOTFOUND (field id) when there is no appointment id of the case case_id. */
int store_appt_load(struct store *s, int64_t case_id, int64_t id, struct store_appt *out,
		    struct err *e);
/* Sets status (and a new window when start_ms != 0) when the appointment is still at
 * expect_version: else ERR_CONFLICT. note may be NULL. */
int store_appt_change(struct store *s, int64_t id, int expect_version, const char *status,
		      int64_t start_ms, int64_t end_ms, const char *note, int64_t now_ms,
		      struct err *e);
/* Active appointments (proposed, confirmed, rescheduled) of technician overlapping
 * [start, end), other than except_id: how many (>= 0). */
int store_appt_overlaps(struct store *s, const char *technician, int64_t start_ms, int64_t end_ms,
			int64_t except_id, struct err *e);
/* The case's appointments, newest first: [{"id","type","start_at","end_at","technician",
 * "address_ref","status","version","note","created_by","created_at","updated_at"}]. */
int store_appt_list(struct store *s, int64_t case_id, json_t **out, struct err *e);
/* The active appointment of the newest open case with this mobile, if any (id 0: none). */
int store_appt_by_mobile(struct store *s, const char *mobile, struct store_appt *out,
			 char number[40], struct err *e);

/* The active appointment of a case (the newest), id 0: none. */
int store_appt_of_case(struct store *s, int64_t case_id, struct store_appt *out, struct err *e);

/* Reminders: add one; cancel every unsent one of an appointment (moved, cancelled, done). */
int store_reminder_add(struct store *s, int64_t appt_id, int64_t due_ms, bool quiet, struct err *e);
int store_reminders_cancel(struct store *s, int64_t appt_id, int64_t now_ms, struct err *e);
/* A reminder due at now_ms whose appointment is still active. */
struct store_reminder_due {
	int64_t id, appt_id, case_id, start_ms, end_ms;
	char number[40];
	bool quiet; /* its time lies in quiet hours: the message must go anyway */
};
int store_reminders_due(struct store *s, int64_t now_ms, struct store_reminder_due *out, int max,
			struct err *e);
/* Marks it sent; 0 when it was, 1 when it was no longer pending (cancelled meanwhile). */
int store_reminder_sent(struct store *s, int64_t id, int64_t now_ms, struct err *e);

/* ---- surveys ---- */
struct store_survey {
	int64_t id, case_id, send_ms, sent_ms, answer_due_ms;
	int round;
	char state[16], number[40], mobile[16], answer[16];
};
/* Schedules the survey of round (the case's reopen count) at send_ms; a survey of that
 * round that exists already is left as it is. */
int store_survey_schedule(struct store *s, int64_t case_id, int round, int64_t send_ms,
			  int64_t now_ms, struct err *e);
/* Surveys to send (scheduled, send_at <= now) or to hand to the phone list (sent,
 * answer_due <= now), up to max. */
int store_surveys_to_send(struct store *s, int64_t now_ms, struct store_survey *out, int max,
			  struct err *e);
int store_surveys_overdue(struct store *s, int64_t now_ms, struct store_survey *out, int max,
			  struct err *e);
/* Moves survey id from state from to state to (sent: with sent_at and answer_due; answered:
 * with answer, by, via). 0, or 1 when it was not in from any more. */
int store_survey_move(struct store *s, int64_t id, const char *from, const char *to,
		      int64_t answer_due_ms, const char *answer, const char *by, const char *via,
		      int64_t now_ms, struct err *e);
/* The newest survey (any state) of the newest case with this mobile that has one, or of
 * case_id when mobile is NULL. id 0: none. */
int store_survey_open(struct store *s, const char *mobile, int64_t case_id,
		      struct store_survey *out, struct err *e);
/* The phone-visit list: {"tasks":[{"number","survey_round","sent_at","answer_due","kind",
 * "department","name","mobile"}]} (staff only: the agents call these people). */
int store_survey_phone_list(struct store *s, int limit, json_t **out, struct err *e);
/* The case's surveys, newest first, and its replies (for the staff view). */
int store_survey_list(struct store *s, int64_t case_id, json_t **out, struct err *e);

/* ---- replies ---- */
/* Keeps a reply about a case: outcome says what was done ("survey:satisfied",
 * "unparsed", "duplicate", "after close", "appointment:confirm", ...). Ids may be 0. */
int store_case_reply(struct store *s, int64_t case_id, int64_t survey_id, int64_t appt_id,
		     const char *phone, const char *text, const char *outcome, int64_t at_ms,
		     struct err *e);
int store_case_replies(struct store *s, int64_t case_id, json_t **out, struct err *e);

#endif
