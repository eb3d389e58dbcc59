/* case_notify: who hears about a case. The complainant gets the case messages (templates
 * case_*.sms/wechat) through the same outbox as outage notices; departments and leaders get
 * staff alerts through their WeCom group robots. At intake it also looks for a major
 * complaint (leaders at once) and for clusters (N cases of one kind in one area within the
 * window) and repeats (the same complainant again), each reported once. Alerts to groups
 * show names and phones masked: a group chat is not a place for personal data. */
#include "cases_internal.h"

#include <stdio.h>
#include <string.h>

#include "mask.h"
#include "phone.h"
#include "timefmt.h"
#include "utf8.h"

/* How long a case message may wait (quiet hours, a provider outage) before it is stale. */
#define CASE_MSG_TTL_MS (3LL * 86400000)

void case_fmt_time(const struct cases_env *env, int64_t ms, char out[32])
{
	if (ms <= 0)
		snprintf(out, 32, "—");
	else
		timefmt_cn(ms, env->cfg->utc_offset_min, out);
}

const char *case_dept_name(const struct cases_env *env, const char *code)
{
	int d = code && code[0] ? case_rules_dept(env->rules, code) : -1;

	return d >= 0 ? env->rules->depts[d].name : (code ? code : "");
}

static int channels_of(const struct gw_config *cfg)
{
	const char *r = cfg->route_notices;

	if (strcmp(r, "sms") == 0)
		return STORE_CH_SMS;
	if (strcmp(r, "both") == 0)
		return STORE_CH_SMS | STORE_CH_WECHAT;
	/* wechat-else-sms and wechat: the complainant must hear either way. */
	return STORE_CH_SMS | STORE_CH_WECHAT | STORE_CH_SMS_ELSE;
}

/* The resolution clock's due time, the promise a customer is told. */
static int64_t promised(struct store *s, const struct store_case *c)
{
	json_t *v = NULL, *k;
	int64_t due = 0;
	size_t i;
	struct err e;

	if (store_case_get(s, c->number, &v, &e) < 0)
		return 0;
	json_array_foreach(json_object_get(v, "clocks"), i,
			   k) if (json_integer_value(json_object_get(k, "clock")) ==
				  CLOCK_RESOLUTION) due =
		json_integer_value(json_object_get(k, "due_at"));
	json_decref(v);
	return due;
}

static int render(const struct cases_env *env, const struct tmpl_var *vars, size_t nv,
		  const char *kind, char *texts[2], char **vars_json, struct err *e)
{
	static const char *const chans[2] = { "sms", "wechat" };
	json_t *obj = json_object();
	int rc = 0;

	for (int i = 0; i < 2 && rc == 0; i++)
		rc = templates_render(env->tmpl, kind, chans[i], vars, nv, &texts[i], e);
	for (size_t i = 0; i < nv; i++)
		json_object_set_new(obj, vars[i].name, json_string(vars[i].value));
	*vars_json = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return rc;
}

int case_notify_customer(const struct cases_env *env, struct store *s, const struct store_case *c,
			 const char *kind, const char *explanation, int64_t now_ms, struct err *e)
{
	return case_notify_customer_ex(env, s, c, kind, explanation, NULL, 0, now_ms, e);
}

int case_notify_customer_ex(const struct cases_env *env, struct store *s,
			    const struct store_case *c, const char *kind, const char *explanation,
			    const char *window, int urgent, int64_t now_ms, struct err *e)
{
	char link[320], due[32], *texts[2] = { NULL, NULL }, *vars_json = NULL;
	struct notice n;
	int rc, queued = 0;

	if (!c->reply)
		return 0;
	cases_track_url(env, c->token, link);
	case_fmt_time(env, promised(s, c), due);
	const struct tmpl_var vars[] = {
		{ "number", c->number },
		{ "kind", case_kind_label(c->kind) },
		{ "link", link },
		{ "promised", due },
		{ "department", case_dept_name(env, c->department) },
		{ "company", env->rules->company },
		{ "hotline", env->rules->hotline },
		{ "explanation", explanation ? explanation : "" },
		{ "window", window ? window : "" },
	};
	if ((rc = render(env, vars, sizeof(vars) / sizeof(vars[0]), kind, texts, &vars_json, e)) <
	    0)
		goto out;
	memset(&n, 0, sizeof(n));
	n.kind = kind;
	n.utility = "case";
	n.channels = channels_of(env->cfg);
	n.urgent = urgent;
	n.text_sms = texts[0];
	n.text_wechat = texts[1];
	n.vars_json = vars_json;
	n.sms_parts = sms_parts(utf8_chars(texts[0]));
	n.created_ms = now_ms;
	n.expires_ms = now_ms + CASE_MSG_TTL_MS;
	rc = store_case_message(s, c->id, &n, c->mobile[0] ? c->mobile : NULL,
				c->account[0] ? c->account : NULL, &queued, e);
	if (rc == 0 && queued == 0)
		rc = store_case_event(s, c->id, now_ms, "gateway", "message", NULL, NULL,
				      "the complainant cannot be reached: no mobile and no WeChat",
				      0, e);
out:
	free(texts[0]);
	free(texts[1]);
	free(vars_json);
	return rc;
}

static bool has_robot(const struct gw_config *cfg, const char *dept)
{
	for (int i = 0; i < cfg->n_staff_robots; i++)
		if (strcmp(cfg->staff_robots[i].dept, dept) == 0)
			return true;
	return false;
}

int case_notify_staff(const struct cases_env *env, struct store *s, const struct store_case *c,
		      const char *dept, const char *text, int64_t now_ms, struct err *e)
{
	char note[160];

	if (dept == NULL || dept[0] == '\0')
		dept = env->rules->depts[env->rules->default_dept].code;
	if (has_robot(env->cfg, dept))
		return store_staff_add(s, dept, text, now_ms, NULL, e);
	snprintf(note, sizeof(note), "alert for %s not sent: it has no robot in [staff] robots",
		 dept);
	return store_case_event(s, c->id, now_ms, "gateway", "alert", NULL, NULL, note, 0, e);
}

void case_notify_describe(const struct cases_env *env, struct store *s, const struct store_case *c,
			  char *out, size_t n)
{
	char name[64] = "", phone[16] = "", area[160] = "";
	int cat = case_rules_category(env->rules, c->category);
	struct err e;

	mask_name(c->name, name, sizeof(name));
	if (c->mobile[0])
		phone_mask(c->mobile, phone);
	if (c->area[0] && store_area_label(s, c->area, NULL, area, sizeof(area), NULL, &e) < 0)
		area[0] = '\0';
	snprintf(out, n, "工单%s %s%s%s %s %s %s", c->number, case_kind_label(c->kind),
		 cat >= 0 ? "/" : "", cat >= 0 ? env->rules->categories[cat].label : "", area, name,
		 phone);
}

static int report(const struct cases_env *env, struct store *s, const struct store_case *c,
		  const char *what, const char *numbers, int64_t now_ms, struct err *e)
{
	char line[400], text[1200];
	const char *leaders = env->rules->depts[env->rules->leaders_dept].code;

	case_notify_describe(env, s, c, line, sizeof(line));
	snprintf(text, sizeof(text), "**%s** %s%s%s", what, line, numbers ? "\n相关工单：" : "",
		 numbers ? numbers : "");
	if (case_notify_staff(env, s, c, leaders, text, now_ms, e) < 0)
		return e->code;
	return store_case_event(s, c->id, now_ms, "gateway", "escalate", NULL, NULL, what, 0, e);
}

/* One cluster key: counts, and reports once when it reaches min cases. */
static int cluster(const struct cases_env *env, struct store *s, const struct store_case *c,
		   const char *key, int64_t window_ms, int min, const char *what, int64_t now_ms,
		   struct err *e)
{
	char numbers[512];
	int64_t id;
	bool reported;
	int count, rc;

	rc = store_case_cluster_add(s, key, c->number, now_ms, window_ms, &count, &reported, &id,
				    numbers, e);
	if (rc < 0 || reported || count < min)
		return rc;
	if ((rc = report(env, s, c, what, numbers, now_ms, e)) < 0)
		return rc;
	return store_case_cluster_reported(s, id, now_ms, e);
}

int case_notify_intake(const struct cases_env *env, struct store *s, const struct store_case *c,
		       int64_t now_ms, struct err *e)
{
	const struct case_rules *r = env->rules;
	char key[160];
	int rc;

	if (c->major && (rc = report(env, s, c, "重大投诉", NULL, now_ms, e)) < 0)
		return rc;
	if (c->area[0]) {
		snprintf(key, sizeof(key), "area:%s:%s", c->area, c->kind);
		if ((rc = cluster(env, s, c, key, (int64_t)r->cluster_window_min * 60000,
				  r->cluster_count, "集群/成片反映", now_ms, e)) < 0)
			return rc;
	}
	if (c->mobile[0] || c->account[0]) {
		snprintf(key, sizeof(key), "person:%s", c->mobile[0] ? c->mobile : c->account);
		if ((rc = cluster(env, s, c, key, (int64_t)r->repeat_window_days * 86400000, 2,
				  "重复反映", now_ms, e)) < 0)
			return rc;
	}
	return 0;
}
