/* appointments: visits agreed with a resident for a case; see visits.h.
 *
 *   proposed --confirm--> confirmed --done--> done
 *   proposed|confirmed|rescheduled --reschedule--> rescheduled (a new window)
 *   proposed|confirmed|rescheduled --cancel--> cancelled | --missed--> missed | --done--> done
 *
 * Reminders are rows stored at booking; moving or ending an appointment cancels its
 * pending ones in the same transaction, and a reminder is sent only while its appointment
 * is active, so a moved visit never gets a stale reminder. */
#include "visits.h"

#include <stdio.h>
#include <string.h>

#include "cases_internal.h"
#include "reply_parse.h"
#include "store_visits.h"
#include "timefmt.h"
#include "visit_time.h"
#include "visits_internal.h"

static const struct {
	const char *name, *label;
} types[APPT_TYPE_COUNT] = {
	[APPT_TEMPERATURE] = { "temperature", "室温测量" },
	[APPT_REPAIR] = { "repair", "上门维修" },
	[APPT_METER] = { "meter", "水表检定" },
	[APPT_INSPECTION] = { "inspection", "现场勘查" },
};

const char *appointments_type_label(int t)
{
	return t >= 0 && t < APPT_TYPE_COUNT ? types[t].label : NULL;
}

int appointments_type_of(const char *name)
{
	for (int i = 0; i < APPT_TYPE_COUNT; i++)
		if (name != NULL && strcmp(name, types[i].name) == 0)
			return i;
	return -1;
}

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static bool closed(const char *state)
{
	enum case_state st;

	return case_state_parse(state, &st) == 0 && case_state_closed(st);
}

bool appointments_active(const char *status)
{
	return strcmp(status, "proposed") == 0 || strcmp(status, "confirmed") == 0 ||
		strcmp(status, "rescheduled") == 0;
}

/* "11月28日14:00-16:00" */
void appointments_window_text(const struct cases_env *env, int64_t start, int64_t end, char out[80])
{
	char a[32], b[32];

	timefmt_cn(start, env->cfg->utc_offset_min, a);
	timefmt_cn(end, env->cfg->utc_offset_min, b);
	snprintf(out, 80, "%s-%s", a, strstr(b, "日") ? strstr(b, "日") + strlen("日") : b);
}

int appointments_time_field(const json_t *b, const char *key, int64_t *out, struct err *e)
{
	const char *v = str(b, key);
	char why[512];

	if (v == NULL)
		return err_set(e, ERR_INVALID, key,
			       "%s is required (example: 2026-11-28T14:00:00+08:00)", key);
	if (timefmt_parse(v, out, e) < 0) {
		snprintf(why, sizeof(why), "%s", e->msg);
		return err_set(e, ERR_INVALID, key, "%s: %s", key, why);
	}
	return 0;
}

/* Stores the reminders of a (new or moved) window. */
int appointments_plan_reminders(const struct cases_env *env, struct store *s, int64_t appt_id,
				int64_t start_ms, int64_t now_ms, struct err *e)
{
	int64_t at[VISIT_MAX_REMINDERS];
	int n = visit_reminders(env->visit, start_ms, now_ms, at), rc = 0;
	const struct visit_policy *p = env->visit;

	for (int i = 0; i < n && rc == 0; i++) {
		int m = timefmt_local_minute(at[i], p->utc_offset_min);
		bool quiet = p->quiet_start_min != p->quiet_end_min &&
			(p->quiet_start_min < p->quiet_end_min
				 ? m >= p->quiet_start_min && m < p->quiet_end_min
				 : m >= p->quiet_start_min || m < p->quiet_end_min);
		rc = store_reminder_add(s, appt_id, at[i], quiet, e);
	}
	return rc;
}

json_t *appointments_json(const struct cases_env *env, const struct store_appt *a)
{
	char start[32], end[32];

	timefmt_iso(a->start_ms, env->cfg->utc_offset_min, start);
	timefmt_iso(a->end_ms, env->cfg->utc_offset_min, end);
	return json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s?, s:s?, s:s, s:i}", "id",
			 (json_int_t)a->id, "type", a->type, "type_label",
			 appointments_type_label(appointments_type_of(a->type)), "start_at", start,
			 "end_at", end, "technician", a->technician[0] ? a->technician : NULL,
			 "address_ref", a->address_ref[0] ? a->address_ref : NULL, "status",
			 a->status, "version", a->version);
}

struct booking {
	struct store_appt a;
	const char *tech, *addr;
	int type;
};

static int check_booking(const struct cases_env *env, const json_t *b, int64_t now_ms,
			 struct booking *k, struct err *e)
{
	const char *status = str(b, "status") ? str(b, "status") : "confirmed";

	if (!json_is_object(b))
		return err_set(e, ERR_INVALID, "", "the body must be a JSON object");
	if ((k->type = appointments_type_of(str(b, "type"))) < 0)
		return err_set(e, ERR_INVALID, "type",
			       "type must be one of temperature, repair, meter, inspection");
	if (appointments_time_field(b, "start", &k->a.start_ms, e) < 0 ||
	    appointments_time_field(b, "end", &k->a.end_ms, e) < 0)
		return ERR_INVALID;
	if (strcmp(status, "confirmed") != 0 && strcmp(status, "proposed") != 0)
		return err_set(e, ERR_INVALID, "status",
			       "status must be confirmed (agreed on the phone) or proposed");
	if (visit_check_window(env->visit, &env->hours[k->type], types[k->type].label,
			       k->a.start_ms, k->a.end_ms, now_ms, e) < 0)
		return ERR_INVALID;
	k->tech = str(b, "technician");
	k->addr = str(b, "address_ref");
	snprintf(k->a.type, sizeof(k->a.type), "%s", types[k->type].name);
	snprintf(k->a.status, sizeof(k->a.status), "%s", status);
	snprintf(k->a.technician, sizeof(k->a.technician), "%s", k->tech ? k->tech : "");
	snprintf(k->a.address_ref, sizeof(k->a.address_ref), "%s", k->addr ? k->addr : "");
	return 0;
}

static int book(const struct cases_env *env, struct store *s, struct store_case *c,
		struct booking *k, const char *actor, int64_t now_ms, json_t *warnings,
		struct err *e)
{
	char window[80], note[160];
	int rc, n;

	k->a.case_id = c->id;
	snprintf(k->a.created_by, sizeof(k->a.created_by), "%s", actor);
	if (closed(c->state))
		return err_set(e, ERR_CONFLICT, "number",
			       "case %s is closed; no visit can be booked", c->number);
	if (k->tech && (n = store_appt_overlaps(s, k->tech, k->a.start_ms, k->a.end_ms, 0, e)) > 0)
		json_array_append_new(warnings,
				      json_sprintf("technician %s has %d other visit(s) "
						   "in this window",
						   k->tech, n));
	if ((rc = store_appt_insert(s, &k->a, now_ms, &k->a.id, e)) < 0 ||
	    (rc = appointments_plan_reminders(env, s, k->a.id, k->a.start_ms, now_ms, e)) < 0)
		return rc;
	k->a.version = 1;
	appointments_window_text(env, k->a.start_ms, k->a.end_ms, window);
	snprintf(note, sizeof(note), "%s %s", types[k->type].label, window);
	if ((rc = store_case_event(s, c->id, now_ms, actor, "appointment", NULL, NULL, note, 1,
				   e)) < 0)
		return rc;
	return case_notify_customer_ex(env, s, c, "appt_confirmed", NULL, window, 0, now_ms, e);
}

int appointments_book(const struct cases_env *env, struct store *s, const char *number,
		      const json_t *body, const char *actor, int64_t now_ms, json_t **out,
		      struct err *e)
{
	struct booking k;
	struct store_case c;
	json_t *warnings = json_array();
	int rc;

	memset(&k, 0, sizeof(k));
	if (str(body, "agent"))
		actor = str(body, "agent");
	if ((rc = check_booking(env, body, now_ms, &k, e)) < 0 || (rc = store_begin(s, e)) < 0)
		goto out;
	if ((rc = store_case_load(s, number, &c, e)) < 0 ||
	    (rc = book(env, s, &c, &k, actor, now_ms, warnings, e)) < 0 ||
	    (rc = store_commit(s, e)) < 0) {
		store_rollback(s);
		goto out;
	}
	*out = json_pack("{s:o, s:O}", "appointment", appointments_json(env, &k.a), "warnings",
			 warnings);
out:
	json_decref(warnings);
	return rc;
}
