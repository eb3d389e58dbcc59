/* notices: validation, lead times, routing and enqueueing of outage notices.
 * See notices.h. A request is parsed into struct notices_req (strings borrowed from the JSON
 * body, which outlives the call), checked field by field with a message naming the field,
 * rendered by notices_render.c, then turned into a struct notice for the store. Follow-ups
 * (update/restored/cancelled) take utility, areas and urgency from the outage's first
 * notice. */
#include "notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notices_internal.h"
#include "timefmt.h"
#include "utf8.h"

static const char *const known_fields[] = {
	"kind",    "utility",  "areas", "start",      "end", "reason",
	"hotline", "channels", "force", "references", NULL,
};
static const char *const first_kinds[] = { "planned", "emergency", NULL };
static const char *const follow_kinds[] = { "update", "restored", "cancelled", NULL };

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static int check_fields(const json_t *body, struct err *e)
{
	const char *key;
	json_t *v;

	if (!json_is_object(body))
		return err_set(e, ERR_INVALID, "", "the body must be a JSON object");
	json_object_foreach((json_t *)body, key, v)
	{
		if (!in_list(known_fields, key))
			return err_set(
				e, ERR_INVALID, key,
				"unknown field \"%s\"; known fields: kind, "
				"utility, areas, start, end, reason, hotline, channels, force, "
				"references",
				key);
	}
	return 0;
}

/* A string field: *out NULL when absent; ERR_INVALID when present but not a non-empty
 * string of at most max characters. */
static int get_str(const json_t *body, const char *name, size_t max, const char **out,
		   struct err *e)
{
	json_t *v = json_object_get(body, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return err_set(e, ERR_INVALID, name, "%s must be a non-empty string", name);
	if (utf8_chars(json_string_value(v)) > max)
		return err_set(e, ERR_INVALID, name, "%s is longer than %zu characters", name, max);
	*out = json_string_value(v);
	return 0;
}

static int get_time(const json_t *body, const char *name, int64_t *out, bool *has, struct err *e)
{
	const char *s;
	int rc;

	*has = false;
	if ((rc = get_str(body, name, 64, &s, e)) < 0 || s == NULL)
		return rc;
	if (timefmt_parse(s, out, e) < 0) {
		char why[sizeof(e->msg)];

		memcpy(why, e->msg, sizeof(why));
		return err_set(e, ERR_INVALID, name, "%s: %.400s", name, why);
	}
	*has = true;
	return 0;
}

static int parse_channels(const json_t *body, int *out, struct err *e)
{
	json_t *v = json_object_get(body, "channels"), *c;
	size_t i;

	*out = 0;
	if (v == NULL)
		return 0; /* routed by [routing] once the notice's urgency is known */
	if (!json_is_array(v) || json_array_size(v) == 0)
		return err_set(e, ERR_INVALID, "channels",
			       "channels must be a non-empty array "
			       "of \"sms\" and/or \"wechat\"");
	*out = 0;
	json_array_foreach(v, i, c)
	{
		const char *s = json_string_value(c);
		if (s != NULL && strcmp(s, "sms") == 0)
			*out |= STORE_CH_SMS;
		else if (s != NULL && strcmp(s, "wechat") == 0)
			*out |= STORE_CH_WECHAT;
		else
			return err_set(e, ERR_INVALID, "channels",
				       "channels[%zu] must be \"sms\" or "
				       "\"wechat\"",
				       i);
	}
	return 0;
}

static int parse_areas(const json_t *body, struct notices_req *r, struct err *e)
{
	json_t *v = json_object_get(body, "areas"), *c;
	size_t i;

	if (r->follow_up) {
		if (v != NULL)
			return err_set(e, ERR_INVALID, "areas",
				       "a %s notice goes to the recipients "
				       "of the notice it references; leave out areas",
				       r->kind);
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return err_set(e, ERR_INVALID, "areas",
			       "areas must be a non-empty array of area "
			       "codes");
	if (json_array_size(v) > NOTICES_MAX_AREAS)
		return err_set(e, ERR_INVALID, "areas",
			       "at most %d areas per notice; use the "
			       "common parent area instead",
			       NOTICES_MAX_AREAS);
	json_array_foreach(v, i, c)
	{
		if (!json_is_string(c))
			return err_set(e, ERR_INVALID, "areas", "areas[%zu] must be a string", i);
		r->areas[r->nareas++] = json_string_value(c);
	}
	return 0;
}

static int parse_force(const json_t *body, struct notices_req *r, struct err *e)
{
	json_t *v = json_object_get(body, "force");

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v) || json_object_size(v) != 1 ||
	    get_str(v, "reason", 500, &r->force_reason, e) < 0 || r->force_reason == NULL)
		return err_set(e, ERR_INVALID, "force",
			       "force must be {\"reason\": \"why the "
			       "lead time cannot be kept\"}");
	return 0;
}

/* Loads the referenced notice and takes utility, areas, times and urgency from it. */
static int load_original(const struct notices_env *env, const json_t *body, struct notices_req *r,
			 struct err *e)
{
	json_t *v = json_object_get(body, "references");
	struct notice orig;
	int rc;

	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return err_set(e, ERR_INVALID, "references",
			       "a %s notice needs \"references\": "
			       "the id of the outage's first notice",
			       r->kind);
	if (json_object_get(body, "utility") != NULL)
		return err_set(e, ERR_INVALID, "utility",
			       "a %s notice takes the utility of the "
			       "notice it references; leave out utility",
			       r->kind);
	rc = store_notice_load(env->store, json_integer_value(v), &orig, &r->orig_areas, e);
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_INVALID, "references",
			       "no notice with id %lld to refer to; "
			       "use the id of the outage's first notice",
			       (long long)json_integer_value(v));
	if (rc < 0)
		return rc;
	/* The follow-up is recorded against the same areas (strings owned by orig_areas). */
	for (size_t i = 0; i < json_array_size(r->orig_areas) && i < NOTICES_MAX_AREAS; i++)
		r->areas[r->nareas++] = json_string_value(json_array_get(r->orig_areas, i));
	r->references = orig.id;
	r->outage_id = orig.outage_id;
	config_utility_parse(orig.utility, &r->utility);
	r->urgent = orig.urgent;
	if (!r->has_start)
		r->start_ms = orig.start_ms;
	if (!r->has_end)
		r->end_ms = orig.end_ms;
	/* Borrowed from the store's buffers: valid until its next store_notice_load. */
	if (r->reason == NULL)
		r->reason = orig.reason;
	if (r->hotline == NULL)
		r->hotline = orig.hotline;
	return 0;
}

/* The channels of a notice that names none: [routing] for its urgency, limited to the
 * channels that have a provider. */
static int route(const struct gw_config *cfg, int urgent, int *out, struct err *e)
{
	const char *mode = urgent ? cfg->route_emergency : cfg->route_notices;
	int bits = strcmp(mode, "sms") == 0   ? STORE_CH_SMS
		: strcmp(mode, "wechat") == 0 ? STORE_CH_WECHAT
		: strcmp(mode, "both") == 0   ? STORE_CH_SMS | STORE_CH_WECHAT
					      : STORE_CH_SMS | STORE_CH_WECHAT | STORE_CH_SMS_ELSE;

	if (cfg->sms_provider[0] == '\0')
		bits &= ~(STORE_CH_SMS | STORE_CH_SMS_ELSE);
	if (cfg->wechat_provider[0] == '\0')
		bits &= ~(STORE_CH_WECHAT | STORE_CH_SMS_ELSE);
	if (bits == 0)
		return err_set(e, ERR_INVALID, "channels",
			       "no channel of [routing] %s = %s has a "
			       "provider; configure [sms] or [wechat] providers",
			       urgent ? "emergency" : "notices", mode);
	*out = bits;
	return 0;
}

static int parse_request(const struct notices_env *env, const json_t *body, struct notices_req *r,
			 struct err *e)
{
	const char *utility;
	int rc;

	if ((rc = check_fields(body, e)) < 0 || (rc = get_str(body, "kind", 16, &r->kind, e)) < 0)
		return rc;
	if (r->kind == NULL || !(in_list(first_kinds, r->kind) || in_list(follow_kinds, r->kind)))
		return err_set(e, ERR_INVALID, "kind",
			       "kind must be one of planned, emergency, "
			       "update, restored, cancelled");
	r->follow_up = in_list(follow_kinds, r->kind);
	if ((rc = get_str(body, "reason", 200, &r->reason, e)) < 0 ||
	    (rc = get_str(body, "hotline", 32, &r->hotline, e)) < 0 ||
	    (rc = get_time(body, "start", &r->start_ms, &r->has_start, e)) < 0 ||
	    (rc = get_time(body, "end", &r->end_ms, &r->has_end, e)) < 0 ||
	    (rc = parse_channels(body, &r->channels, e)) < 0 ||
	    (rc = parse_force(body, r, e)) < 0 || (rc = parse_areas(body, r, e)) < 0)
		return rc;
	if (r->follow_up) {
		if ((rc = load_original(env, body, r, e)) < 0)
			return rc;
		return r->channels ? 0 : route(env->cfg, r->urgent, &r->channels, e);
	}
	if (json_object_get(body, "references") != NULL)
		return err_set(e, ERR_INVALID, "references",
			       "a %s notice starts an outage; "
			       "references is only for update, restored and cancelled",
			       r->kind);
	if ((rc = get_str(body, "utility", 16, &utility, e)) < 0)
		return rc;
	if (utility == NULL || config_utility_parse(utility, &r->utility) < 0)
		return err_set(e, ERR_INVALID, "utility", "utility must be water, power or heat");
	r->urgent = strcmp(r->kind, "emergency") == 0;
	return r->channels ? 0 : route(env->cfg, r->urgent, &r->channels, e);
}

int notices_lead_minutes(const struct gw_config *cfg, enum utility u, int64_t duration_ms)
{
	if (u == UTIL_WATER && duration_ms > cfg->water_long_threshold_min * NOTICES_MS_PER_MIN)
		return cfg->water_long_lead_min;
	return cfg->lead_min[u];
}

static void fmt_hours(int minutes, char out[32])
{
	/* "24 h", "48 h", but "7 days": whole days read better only beyond a couple. */
	if (minutes % (24 * 60) == 0 && minutes >= 72 * 60)
		snprintf(out, 32, "%d days", minutes / (24 * 60));
	else if (minutes % 60 == 0)
		snprintf(out, 32, "%d h", minutes / 60);
	else
		snprintf(out, 32, "%d h %d min", minutes / 60, minutes % 60);
}

static int check_times(const struct notices_env *env, const struct notices_req *r, struct err *e)
{
	int64_t now = env->now_ms;
	char need[32], have[32];
	int lead;

	if (!r->follow_up || strcmp(r->kind, "update") == 0) {
		if (!r->has_start && !r->follow_up)
			return err_set(e, ERR_INVALID, "start",
				       "start is required (like "
				       "2026-11-23T09:00:00+08:00)");
		if (!r->has_end && !r->follow_up)
			return err_set(e, ERR_INVALID, "end",
				       "end (the expected end of the outage) "
				       "is required");
		if (r->start_ms >= r->end_ms) {
			char a[32], b[32];

			timefmt_iso(r->start_ms, env->cfg->utc_offset_min, a);
			timefmt_iso(r->end_ms, env->cfg->utc_offset_min, b);
			return err_set(e, ERR_INVALID, "start",
				       "start (%s) is not before end (%s); "
				       "an outage must end after it starts",
				       a, b);
		}
		if (r->end_ms <= now)
			return err_set(e, ERR_INVALID, "end",
				       "end is in the past: the outage is "
				       "over; send a restored notice instead");
	} else if (r->has_start || r->has_end) {
		return err_set(e, ERR_INVALID, r->has_start ? "start" : "end",
			       "a %s notice "
			       "carries no times; leave out start and end",
			       r->kind);
	}
	if (strcmp(r->kind, "planned") != 0 || r->force_reason != NULL)
		return 0;
	lead = notices_lead_minutes(env->cfg, r->utility, r->end_ms - r->start_ms);
	if (r->start_ms - now >= lead * NOTICES_MS_PER_MIN)
		return 0;
	fmt_hours(lead, need);
	fmt_hours((int)((r->start_ms - now) / NOTICES_MS_PER_MIN), have);
	return err_set(e, ERR_INVALID, "start",
		       "a planned %s stop of this length must be "
		       "announced at least %s ahead, but start is only %s away; move start "
		       "later, send it as an emergency notice, or give force.reason",
		       config_utility_name(r->utility), need, r->start_ms > now ? have : "0 h");
}

static int check_channels(const struct notices_env *env, const struct notices_req *r, struct err *e)
{
	if ((r->channels & STORE_CH_SMS) && env->cfg->sms_provider[0] == '\0')
		return err_set(e, ERR_INVALID, "channels",
			       "no SMS provider is configured "
			       "([sms] provider); leave \"sms\" out of channels");
	if ((r->channels & STORE_CH_WECHAT) && env->cfg->wechat_provider[0] == '\0')
		return err_set(e, ERR_INVALID, "channels",
			       "no WeChat provider is configured "
			       "([wechat] provider); leave \"wechat\" out of channels");
	if (!r->follow_up && r->hotline == NULL)
		return err_set(e, ERR_INVALID, "hotline",
			       "hotline (the number residents can "
			       "call) is required");
	if (!r->follow_up && r->reason == NULL)
		return err_set(e, ERR_INVALID, "reason", "reason is required (e.g. 主管道更换)");
	for (int i = 0; i < r->nareas; i++) {
		if (!store_area_exists(env->store, r->areas[i]))
			return err_set(e, ERR_INVALID, "areas",
				       "unknown area \"%.64s\" (areas[%d]); "
				       "list the areas with GET /api/v1/areas",
				       r->areas[i], i);
	}
	return 0;
}

static void build_notice(const struct notices_env *env, const struct notices_req *r, char *texts[2],
			 struct notice *n)
{
	memset(n, 0, sizeof(*n));
	n->references_id = r->references;
	n->outage_id = r->outage_id;
	n->kind = r->kind;
	n->utility = config_utility_name(r->utility);
	n->reason = r->reason;
	n->hotline = r->hotline;
	n->forced = r->force_reason;
	n->start_ms = r->start_ms;
	n->end_ms = r->end_ms;
	n->created_ms = env->now_ms;
	n->channels = r->channels;
	n->urgent = r->urgent;
	n->text_sms = texts[0];
	n->text_wechat = texts[1];
	n->sms_parts = texts[0] ? sms_parts(utf8_chars(texts[0])) : 0;
	/* Outage messages are worthless once the outage is over; follow-ups live a while. */
	if (strcmp(r->kind, "restored") == 0 || strcmp(r->kind, "cancelled") == 0)
		n->expires_ms = env->now_ms + env->cfg->followup_ttl_hours * 3600000LL;
	else
		n->expires_ms = r->end_ms;
}

static json_t *preview_json(const struct notice *n, const struct notice_counts *c)
{
	size_t chars = n->text_sms ? utf8_chars(n->text_sms) : 0;

	return json_pack("{s:b, s:{s:s?, s:s?}, s:I, s:{s:I, s:I}, s:{s:I, s:I}, s:I, s:i, s:I}",
			 "dry_run", 1, "texts", "sms", n->text_sms, "wechat", n->text_wechat,
			 "residents", (json_int_t)c->residents, "recipients", "sms",
			 (json_int_t)c->recipients_sms, "wechat", (json_int_t)c->recipients_wechat,
			 "skipped", "opted_out", (json_int_t)c->skipped_opted_out, "no_channel",
			 (json_int_t)c->skipped_no_channel, "sms_chars", (json_int_t)chars,
			 "sms_parts_per_message", n->sms_parts, "sms_parts_total",
			 (json_int_t)(c->recipients_sms * n->sms_parts));
}

int notices_post(const struct notices_env *env, const json_t *body, bool dry_run, json_t **out,
		 struct err *e)
{
	struct notices_req *r = calloc(1, sizeof(*r));
	struct notice n;
	struct notice_counts counts = { 0 };
	char *texts[2] = { NULL, NULL }, *vars_json = NULL;
	int rc;

	if (r == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	if ((rc = parse_request(env, body, r, e)) < 0 || (rc = check_times(env, r, e)) < 0 ||
	    (rc = check_channels(env, r, e)) < 0 ||
	    (rc = notices_render_texts(env, r, texts, &vars_json, e)) < 0)
		goto out;
	build_notice(env, r, texts, &n);
	n.vars_json = vars_json;
	if (dry_run) {
		rc = store_notice_preview(env->store, &n, r->areas, r->nareas, &counts, e);
		if (rc == 0)
			*out = preview_json(&n, &counts);
		goto out;
	}
	if ((rc = store_notice_create(env->store, &n, r->areas, r->nareas, NULL, e)) < 0)
		goto out;
	rc = store_notice_get(env->store, n.id, out, e);
out:
	free(texts[0]);
	free(texts[1]);
	free(vars_json);
	json_decref(r->orig_areas);
	free(r);
	return rc;
}
