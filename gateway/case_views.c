/* case_views: what people see of a case. The staff view is the stored case with labels,
 * local times and each clock's state; the public view (the tracking page and its JSON) is
 * built field by field from an allow-list, with the name as 张*, the mobile as
 * 138****1234, the area's name instead of the address and no internal notes, so that
 * nothing is public by accident when the table grows a column. */
#include "cases_internal.h"

#include <stdio.h>
#include <string.h>

#include "mask.h"
#include "phone.h"
#include "timefmt.h"
#include "store_visits.h"
#include "visits.h"
#include "visits_internal.h"
#include "tracking.h"

static const char *const time_keys[] = { "created_at", "accepted_at", "resolved_at", "closed_at",
					 "updated_at", "start_at",    "due_at",      "warn_at",
					 "met_at",     "warned_at",   "breached_at", "at",
					 "end_at" };

/* Every known time field of o from ms to ISO local time, in place. */
static void iso_times(const struct cases_env *env, json_t *o)
{
	char buf[32];

	for (size_t i = 0; i < sizeof(time_keys) / sizeof(time_keys[0]); i++) {
		json_t *v = json_object_get(o, time_keys[i]);
		if (!json_is_integer(v))
			continue;
		timefmt_iso(json_integer_value(v), env->cfg->utc_offset_min, buf);
		json_object_set_new(o, time_keys[i], json_string(buf));
	}
}

static int64_t ms_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* Adds name, label and late to each clock (before its times become text). */
static void label_clocks(json_t *clocks, int64_t now_ms)
{
	json_t *k;
	size_t i;

	json_array_foreach(clocks, i, k)
	{
		int c = (int)ms_of(k, "clock");
		int64_t due = ms_of(k, "due_at"), metat = ms_of(k, "met_at");
		json_object_set_new(k, "clock", json_string(case_clock_name((enum case_clock)c)));
		json_object_set_new(k, "label", json_string(case_clock_label((enum case_clock)c)));
		json_object_set_new(k, "provisional", json_boolean(ms_of(k, "provisional")));
		json_object_set_new(k, "late", json_boolean(metat ? metat > due : now_ms > due));
	}
}

static const char *sget(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static json_t *opt_string(const char *v)
{
	return v && v[0] ? json_string(v) : json_null();
}

/* The case's appointments, return visits and the replies kept with it (unparsed ones
 * included: staff read them). */
static int add_visits(const struct cases_env *env, struct store *s, json_t *v, struct err *e)
{
	int64_t id = ms_of(v, "id");
	json_t *appts = NULL, *surveys = NULL, *replies = NULL, *x;
	size_t i;
	int rc;

	if ((rc = store_appt_list(s, id, &appts, e)) < 0 ||
	    (rc = store_survey_list(s, id, &surveys, e)) < 0 ||
	    (rc = store_case_replies(s, id, &replies, e)) < 0) {
		json_decref(appts);
		json_decref(surveys);
		return rc;
	}
	json_array_foreach(appts, i, x) iso_times(env, x);
	json_object_set_new(v, "appointments", appts);
	json_object_set_new(v, "surveys", surveys);
	json_object_set_new(v, "replies", replies);
	return 0;
}

int cases_get(const struct cases_env *env, struct store *s, const char *number, int64_t now_ms,
	      json_t **out, struct err *e)
{
	json_t *v = NULL, *x;
	enum case_state st = CS_RECEIVED;
	char url[320];
	size_t i;
	int rc, cls, cat;

	if ((rc = store_case_get(s, number, &v, e)) < 0)
		return rc;
	case_state_parse(sget(v, "state"), &st);
	cls = case_rules_class(env->rules, sget(v, "class"));
	cat = case_rules_category(env->rules, sget(v, "category"));
	json_object_set_new(v, "state_label", json_string(case_state_label(st)));
	json_object_set_new(v, "closed", json_boolean(case_state_closed(st)));
	json_object_set_new(v, "kind_label", opt_string(case_kind_label(sget(v, "kind"))));
	json_object_set_new(v, "source_label", opt_string(case_source_label(sget(v, "source"))));
	json_object_set_new(v, "category_label",
			    opt_string(cat >= 0 ? env->rules->categories[cat].label : NULL));
	json_object_set_new(v, "class_label",
			    opt_string(cls >= 0 ? env->rules->classes[cls].label : NULL));
	json_object_set_new(v, "department_name",
			    opt_string(case_dept_name(env, sget(v, "department"))));
	json_object_set_new(v, "major", json_boolean(ms_of(v, "major")));
	json_object_set_new(v, "reply", json_boolean(ms_of(v, "reply")));
	cases_track_url(env, sget(v, "token"), url);
	json_object_set_new(v, "tracking_url", json_string(url));
	label_clocks(json_object_get(v, "clocks"), now_ms);
	iso_times(env, v);
	json_array_foreach(json_object_get(v, "clocks"), i, x) iso_times(env, x);
	json_array_foreach(json_object_get(v, "events"), i, x)
	{
		iso_times(env, x);
		json_object_set_new(x, "public", json_boolean(ms_of(x, "public")));
	}
	if ((rc = add_visits(env, s, v, e)) < 0) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return 0;
}

/* The public history: state changes only, with the note only where it was meant for the
 * customer (an explanation). */
static json_t *public_history(const struct cases_env *env, const json_t *events)
{
	json_t *h = json_array(), *ev;
	enum case_state st;
	char at[32];
	size_t i;

	json_array_foreach(events, i, ev)
	{
		if (case_state_parse(sget(ev, "to"), &st) < 0)
			continue;
		timefmt_iso(ms_of(ev, "at"), env->cfg->utc_offset_min, at);
		json_array_append_new(h,
				      json_pack("{s:s, s:s, s:s, s:o}", "at", at, "status",
						case_state_name(st), "status_label",
						case_state_label(st), "note",
						ms_of(ev, "public") ? opt_string(sget(ev, "note"))
								    : json_null()));
	}
	return h;
}

static json_t *public_promises(const struct cases_env *env, json_t *clocks, int64_t now_ms,
			       int64_t *promised, bool *late, bool *prov)
{
	json_t *p = json_array(), *k;
	char due[32], metat[32];
	size_t i;

	*promised = 0;
	json_array_foreach(clocks, i, k)
	{
		int c = (int)ms_of(k, "clock");
		int64_t d = ms_of(k, "due_at"), m = ms_of(k, "met_at");
		bool l = m ? m > d : now_ms > d;
		timefmt_iso(d, env->cfg->utc_offset_min, due);
		if (m)
			timefmt_iso(m, env->cfg->utc_offset_min, metat);
		json_array_append_new(p,
				      json_pack("{s:s, s:s, s:s, s:o, s:b}", "clock",
						case_clock_name((enum case_clock)c), "label",
						case_clock_label((enum case_clock)c), "due_at", due,
						"met_at", m ? json_string(metat) : json_null(),
						"late", l));
		*late = *late || (l && !m);
		if (c == CLOCK_RESOLUTION) {
			*promised = d;
			*prov = ms_of(k, "provisional") != 0;
		}
	}
	return p;
}

static json_t *public_view(const struct cases_env *env, json_t *raw, int64_t now_ms)
{
	char name[64], phone[16] = "", iso[32], created[32];
	enum case_state st = CS_RECEIVED;
	int64_t promised;
	bool late = false, prov = false;
	int cat = case_rules_category(env->rules, sget(raw, "category"));
	const char *area = sget(raw, "area_name");
	json_t *promises;

	mask_name(sget(raw, "name"), name, sizeof(name));
	if (sget(raw, "mobile")[0])
		phone_mask(sget(raw, "mobile"), phone);
	case_state_parse(sget(raw, "state"), &st);
	promises = public_promises(env, json_object_get(raw, "clocks"), now_ms, &promised, &late,
				   &prov);
	timefmt_iso(promised, env->cfg->utc_offset_min, iso);
	timefmt_iso(ms_of(raw, "created_at"), env->cfg->utc_offset_min, created);
	return json_pack(
		"{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:b, s:o, s:o, s:{s:o, s:o}, s:s, s:o, s:b,"
		" s:b, s:o, s:o, s:o, s:o, s:o}",
		"number", sget(raw, "number"), "kind", sget(raw, "kind"), "kind_label",
		opt_string(case_kind_label(sget(raw, "kind"))), "category",
		opt_string(sget(raw, "category")), "category_label",
		opt_string(cat >= 0 ? env->rules->categories[cat].label : NULL), "status",
		case_state_name(st), "status_label", case_state_label(st), "closed",
		case_state_closed(st), "department",
		opt_string(case_dept_name(env, sget(raw, "department"))), "area", opt_string(area),
		"complainant", "name", opt_string(name), "mobile", opt_string(phone), "created_at",
		created, "promised_at", promised ? json_string(iso) : json_null(), "provisional",
		prov, "late", late && !case_state_closed(st), "promises", promises, "history",
		public_history(env, json_object_get(raw, "events")), "hotline",
		opt_string(env->rules->hotline), "company", opt_string(env->rules->company),
		"wechat_follow", json_null());
}

/* The visit waiting for the resident and whether a survey waits for their answer, with
 * the forms that answer them. */
static void public_visits(const struct cases_env *env, struct store *s, int64_t case_id,
			  const char *token, json_t *view)
{
	struct store_appt a;
	struct store_survey v;
	struct err e;
	char window[80];

	if (store_appt_of_case(s, case_id, &a, &e) == 0 && a.id != 0 && env->visit != NULL) {
		appointments_window_text(env, a.start_ms, a.end_ms, window);
		json_object_set_new(
			view, "appointment",
			json_pack("{s:s, s:s?, s:s, s:b, s:o}", "window", window, "type_label",
				  appointments_type_label(appointments_type_of(a.type)), "status",
				  a.status, "confirmed", strcmp(a.status, "confirmed") == 0, "form",
				  json_sprintf("/t/%s/appointment", token)));
	}
	json_object_set_new(view, "survey_form", json_null());
	if (store_survey_open(s, NULL, case_id, &v, &e) == 0 && v.id != 0 &&
	    (strcmp(v.state, "sent") == 0 || strcmp(v.state, "phone") == 0))
		json_object_set_new(view, "survey_form", json_sprintf("/t/%s/survey", token));
}

int cases_public(const struct cases_env *env, struct store *s, const char *token, bool offer_follow,
		 int64_t now_ms, json_t **out, struct err *e)
{
	char hash[65];
	json_t *raw = NULL;
	int rc;

	/* A malformed token is looked up too (its hash matches nothing), so that it takes
	 * the same time and gets the same answer as an unknown one. */
	tracking_token_hash(token, hash);
	rc = store_case_by_token(s, hash, &raw, e);
	if (rc == 0 && !tracking_token_valid(token)) {
		json_decref(raw);
		rc = ERR_NOTFOUND;
	}
	if (rc < 0)
		return rc == ERR_NOTFOUND ? err_set(e, ERR_NOTFOUND, "token", "no such case") : rc;
	*out = public_view(env, raw, now_ms);
	if (*out != NULL)
		public_visits(env, s, ms_of(raw, "id"), token, *out);
	if (*out != NULL && offer_follow && sget(raw, "account")[0] &&
	    store_case_unfollowed(s, sget(raw, "account")))
		json_object_set_new(*out, "wechat_follow", json_sprintf("/t/%s/wechat", token));
	json_decref(raw);
	return *out ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
}

int cases_account(struct store *s, const char *token, char account[64], struct err *e)
{
	char hash[65];
	json_t *raw = NULL;
	int rc;

	tracking_token_hash(token, hash);
	rc = store_case_by_token(s, hash, &raw, e);
	if (rc == 0 && (!tracking_token_valid(token) || sget(raw, "account")[0] == '\0'))
		rc = ERR_NOTFOUND;
	if (rc == 0)
		snprintf(account, 64, "%s", sget(raw, "account"));
	json_decref(raw);
	return rc == ERR_NOTFOUND ? err_set(e, ERR_NOTFOUND, "token", "no such case") : rc;
}

bool cases_token_known(struct store *s, const char *token)
{
	char hash[65];

	tracking_token_hash(token, hash);
	return store_case_token_known(s, hash) && tracking_token_valid(token);
}

int cases_number_of(struct store *s, const char *token, char number[40], struct err *e)
{
	char hash[65];
	json_t *raw = NULL;
	int rc;

	tracking_token_hash(token, hash);
	rc = store_case_by_token(s, hash, &raw, e);
	if (rc == 0 && !tracking_token_valid(token))
		rc = ERR_NOTFOUND;
	if (rc == 0)
		snprintf(number, 40, "%s", sget(raw, "number"));
	json_decref(raw);
	return rc == ERR_NOTFOUND ? err_set(e, ERR_NOTFOUND, "token", "no such case") : rc;
}
