/* visit_time: when the timed messages of appointments and return visits go. Owns checking
 * an appointment window (in the future, ending after it starts, inside the type's booking
 * hours), the reminder times of an appointment (the evening before at 19:00 and 1 h before
 * by default, never inside quiet hours unless the visit itself is that early), and when a
 * return-visit survey goes (the next working day at 10:00 by default, never after the
 * return-visit deadline) and when its answer is overdue (two working days later). Pure:
 * times in, times out, on the working-day calendar; no I/O, never reads the clock. */
#ifndef GATEWAY_VISIT_TIME_H
#define GATEWAY_VISIT_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "err.h"

#define VISIT_MAX_REMINDERS 4

/* One reminder rule: at a fixed local time on the day before the visit (eve_min >= 0,
 * minutes after midnight, e.g. 19:00 = 1140), or a number of minutes before the start
 * (before_min > 0). */
struct visit_reminder_rule {
	int eve_min; /* -1 when not an evening-before rule */
	int before_min; /* 0 when not a minutes-before rule */
};

struct visit_policy {
	int utc_offset_min; /* local time, e.g. +480 */
	int quiet_start_min, quiet_end_min; /* quiet hours, local minutes; equal: none */
	struct visit_reminder_rule reminders[VISIT_MAX_REMINDERS];
	int nreminders;
	int survey_at_min; /* local time of day the survey goes: default 10:00 = 600 */
	int survey_after_workdays; /* working days after resolution: default 1 */
	int answer_workdays; /* working days to answer before a phone visit: default 2 */
};

/* Booking hours of an appointment type, local minutes [open_min, close_min). */
struct visit_hours {
	int open_min, close_min;
};

/* Checks a window [start, end) booked at now_ms: ERR_INVALID with field "start" or "end"
 * and a message saying what is wrong and how to fix it when it starts in the past, ends
 * before (or when) it starts, lasts over 12 hours, crosses midnight, or lies outside
 * hours ("heat temperature measurements are booked 08:00-21:00"; type_label names the
 * type in the message). */
int visit_check_window(const struct visit_policy *p, const struct visit_hours *hours,
		       const char *type_label, int64_t start_ms, int64_t end_ms, int64_t now_ms,
		       struct err *e);

/* The reminder times of a visit starting at start_ms, booked at now_ms, ascending and
 * without duplicates, into out (VISIT_MAX_REMINDERS). Each rule gives a time t:
 *  - t at or before now + 1 minute: left out (too late to remind);
 *  - t inside quiet hours: kept when the visit itself is that early (it starts inside
 *    quiet hours, or less than the rule's before_min after they end: an 08:30 visit's 1 h
 *    reminder goes at 07:30); otherwise moved to one minute before that quiet period
 *    began, or left out when that is not after now + 1 minute.
 * Returns how many. */
int visit_reminders(const struct visit_policy *p, int64_t start_ms, int64_t now_ms,
		    int64_t out[VISIT_MAX_REMINDERS]);

/* When the survey of a case resolved at resolved_ms goes: survey_at_min local on the
 * survey_after_workdays-th working day after the resolution day; if that is after
 * deadline_ms (the return-visit limit; 0: none), at the latest daytime moment before the
 * deadline that is not in quiet hours and not before resolved_ms (else at resolved_ms).
 * *provisional: a day stepped over lies in a year the calendar lacks. */
int64_t visit_survey_at(const struct visit_policy *p, const struct calendar *cal,
			int64_t resolved_ms, int64_t deadline_ms, bool *provisional);

/* When an unanswered survey sent at sent_ms becomes a phone visit: the end of the
 * answer_workdays-th working day after the sending day (calendar_add_workdays). */
int64_t visit_answer_due(const struct visit_policy *p, const struct calendar *cal, int64_t sent_ms,
			 bool *provisional);

/* Parses "HH:MM-HH:MM" into hours (open < close, same day). */
int visit_hours_parse(const char *s, struct visit_hours *out, struct err *e);
/* Parses a reminder list "eve 19:00, 60m" / "eve 19:00, 1h" / "off" into p->reminders. */
int visit_reminders_parse(const char *s, struct visit_policy *p, struct err *e);

#endif
