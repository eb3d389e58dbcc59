/* appointments_flow: what happens to a booked appointment (see the diagram in
 * appointments.c): staff's confirm, reschedule, cancel, done and missed; the resident's
 * confirm or reschedule request by SMS reply or on the tracking page (a request reaches the
 * department's group; only staff move the window); and the reminders the watch sends.
 * Each change, its history entry, its reminders and its message are one transaction. */
#include "visits.h"

#include <stdio.h>
#include <string.h>

#include "cases_internal.h"
#include "reply_parse.h"
#include "store_visits.h"
#include "tracking.h"
#include "visit_time.h"
#include "visits_internal.h"

#define REMIND_BATCH 64

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/* The message and new status of a staff action; NULL kind: none. */
static int plan(const char *action, const char **status, const char **kind, struct err *e)
{
	static const struct {
		const char *action, *status, *kind;
	} t[] = {
		{ "confirm", "confirmed", NULL },
		{ "reschedule", "rescheduled", "appt_moved" },
		{ "cancel", "cancelled", "appt_cancelled" },
		{ "done", "done", NULL },
		{ "missed", "missed", "appt_missed" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (action != NULL && strcmp(action, t[i].action) == 0) {
			*status = t[i].status;
			*kind = t[i].kind;
			return 0;
		}
	return err_set(e, ERR_INVALID, "action",
		       "action must be one of confirm, reschedule, cancel, done, missed");
}

struct change {
	const char *action, *status, *kind, *note, *actor;
	int64_t start, end;
	int version;
};

static int apply(const struct cases_env *env, struct store *s, struct store_case *c,
		 struct store_appt *a, const struct change *ch, int64_t now_ms, struct err *e)
{
	char window[80], note[200];
	int rc;

	if (!appointments_active(a->status))
		return err_set(e, ERR_CONFLICT, "action",
			       "appointment %lld is %s; only a proposed, confirmed or rescheduled "
			       "appointment can change",
			       (long long)a->id, a->status);
	if ((rc = store_appt_change(s, a->id, ch->version ? ch->version : a->version, ch->status,
				    ch->start, ch->end, ch->note, now_ms, e)) < 0 ||
	    (rc = store_reminders_cancel(s, a->id, now_ms, e)) < 0)
		return rc;
	if (ch->start != 0) {
		a->start_ms = ch->start;
		a->end_ms = ch->end;
		if ((rc = appointments_plan_reminders(env, s, a->id, ch->start, now_ms, e)) < 0)
			return rc;
	}
	snprintf(a->status, sizeof(a->status), "%s", ch->status);
	a->version = (ch->version ? ch->version : a->version) + 1;
	appointments_window_text(env, a->start_ms, a->end_ms, window);
	snprintf(note, sizeof(note), "appointment %lld %s %s%s%s", (long long)a->id, ch->status,
		 window, ch->note ? ": " : "", ch->note ? ch->note : "");
	if ((rc = store_case_event(s, c->id, now_ms, ch->actor, "appointment", NULL, NULL, note, 0,
				   e)) < 0)
		return rc;
	return ch->kind ? case_notify_customer_ex(env, s, c, ch->kind, NULL, window, 0, now_ms, e)
			: 0;
}

static int read_change(const struct cases_env *env, const json_t *b, const struct store_appt *a,
		       int64_t now_ms, struct change *ch, struct err *e)
{
	const json_t *v = json_object_get(b, "version");
	int t = appointments_type_of(a->type);

	ch->action = str(b, "action");
	if (plan(ch->action, &ch->status, &ch->kind, e) < 0)
		return ERR_INVALID;
	ch->note = str(b, "note");
	ch->version = json_is_integer(v) ? (int)json_integer_value(v) : 0;
	if (strcmp(ch->action, "reschedule") != 0)
		return 0;
	if (appointments_time_field(b, "start", &ch->start, e) < 0 ||
	    appointments_time_field(b, "end", &ch->end, e) < 0)
		return ERR_INVALID;
	return visit_check_window(env->visit, &env->hours[t], appointments_type_label(t), ch->start,
				  ch->end, now_ms, e);
}

int appointments_change(const struct cases_env *env, struct store *s, const char *number,
			int64_t id, const json_t *body, const char *actor, int64_t now_ms,
			json_t **out, struct err *e)
{
	struct change ch = { .actor = str(body, "agent") ? str(body, "agent") : actor };
	struct store_case c;
	struct store_appt a;
	int rc;

	if (!json_is_object(body))
		return err_set(e, ERR_INVALID, "", "the body must be a JSON object");
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = store_case_load(s, number, &c, e)) < 0 ||
	    (rc = store_appt_load(s, c.id, id, &a, e)) < 0 ||
	    (rc = read_change(env, body, &a, now_ms, &ch, e)) < 0 ||
	    (rc = apply(env, s, &c, &a, &ch, now_ms, e)) < 0 || (rc = store_commit(s, e)) < 0) {
		store_rollback(s);
		return rc;
	}
	*out = appointments_json(env, &a);
	return 0;
}

static int remind(const struct cases_env *env, struct store *s, const struct store_reminder_due *d,
		  int64_t now_ms, struct err *e)
{
	struct store_case c;
	char window[80];
	int rc;

	if ((rc = store_case_load(s, d->number, &c, e)) < 0)
		return rc;
	if ((rc = store_reminder_sent(s, d->id, now_ms, e)) != 0)
		return rc < 0 ? rc : 0; /* cancelled meanwhile */
	appointments_window_text(env, d->start_ms, d->end_ms, window);
	return case_notify_customer_ex(env, s, &c, "appt_reminder", NULL, window, d->quiet, now_ms,
				       e);
}

int appointments_tick(const struct cases_env *env, struct store *s, int64_t now_ms, struct err *e)
{
	struct store_reminder_due due[REMIND_BATCH];
	int n, done = 0, rc;

	if (env->visit == NULL)
		return 0;
	if ((n = store_reminders_due(s, now_ms, due, REMIND_BATCH, e)) < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if ((rc = store_begin(s, e)) < 0)
			return rc;
		if ((rc = remind(env, s, &due[i], now_ms, e)) < 0 ||
		    (rc = store_commit(s, e)) < 0) {
			store_rollback(s);
			return rc;
		}
		done++;
	}
	return done;
}

/* The resident confirmed (the appointment becomes confirmed) or asked for another time
 * (the department's group is asked to call; the window stays until staff move it). */
static int resident_says(const struct cases_env *env, struct store *s, struct store_case *c,
			 struct store_appt *a, enum appt_reply r, const char *via, int64_t now_ms,
			 struct err *e)
{
	char line[400], text[600];
	struct change ch = { .actor = "resident", .status = "confirmed", .note = via };

	if (r == APPT_REPLY_CONFIRM)
		return strcmp(a->status, "confirmed") == 0 ? 0
							   : apply(env, s, c, a, &ch, now_ms, e);
	case_notify_describe(env, s, c, line, sizeof(line));
	snprintf(text, sizeof(text), "**用户申请改约** (%s) %s", via, line);
	if (case_notify_staff(env, s, c, c->department, text, now_ms, e) < 0)
		return e->code;
	return store_case_event(s, c->id, now_ms, "resident", "reschedule request", NULL, NULL, via,
				0, e);
}

int appointments_on_reply(const struct cases_env *env, struct store *s, const char *phone,
			  const char *text, int64_t now_ms, bool *handled, struct err *e)
{
	struct store_appt a;
	struct store_case c;
	char number[40] = "";
	enum appt_reply r = reply_parse_appointment(text);
	int rc;

	*handled = false;
	if ((rc = store_appt_by_mobile(s, phone, &a, number, e)) < 0 || a.id == 0 ||
	    r == APPT_REPLY_UNKNOWN)
		return rc;
	if ((rc = store_case_load(s, number, &c, e)) < 0 ||
	    (rc = resident_says(env, s, &c, &a, r, "SMS", now_ms, e)) < 0)
		return rc;
	*handled = true;
	return store_case_reply(s, c.id, 0, a.id, phone, text,
				r == APPT_REPLY_CONFIRM ? "appointment:confirm"
							: "appointment:reschedule",
				now_ms, e);
}

int appointments_from_page(const struct cases_env *env, struct store *s, const char *token,
			   const char *action, int64_t now_ms, struct err *e)
{
	enum appt_reply r = action && strcmp(action, "confirm") == 0 ? APPT_REPLY_CONFIRM
		: action && strcmp(action, "reschedule") == 0        ? APPT_REPLY_RESCHEDULE
								     : APPT_REPLY_UNKNOWN;
	struct store_appt a;
	struct store_case c;
	char number[40];
	int rc;

	if (r == APPT_REPLY_UNKNOWN)
		return err_set(e, ERR_INVALID, "action", "action must be confirm or reschedule");
	if ((rc = cases_number_of(s, token, number, e)) < 0 || (rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = store_case_load(s, number, &c, e)) < 0)
		goto fail;
	rc = store_appt_of_case(s, c.id, &a, e);
	if (rc == 0 && a.id == 0)
		rc = err_set(e, ERR_NOTFOUND, "", "the case has no visit waiting");
	if (rc < 0 || (rc = resident_says(env, s, &c, &a, r, "tracking page", now_ms, e)) < 0 ||
	    (rc = store_commit(s, e)) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return rc;
}
