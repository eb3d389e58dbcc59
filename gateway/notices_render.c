/* notices_render: the words of a notice. Owns the area labels ("幸福小区3号楼、4号楼"),
 * the time and company wording, and rendering each channel's text and the template
 * variables from a checked request. Called by notices.c only (see notices_internal.h);
 * reads the area tree through the store, never writes it. */
#include <stdio.h>
#include <string.h>

#include "notices_internal.h"
#include "timefmt.h"

static const struct {
	const char *utility, *outage;
} utility_words[UTIL_COUNT] = {
	[UTIL_WATER] = { "供水", "停水" },
	[UTIL_POWER] = { "供电", "停电" },
	[UTIL_HEAT] = { "供热", "停暖" },
};

static const char *area_code(const struct notices_req *r, int i)
{
	return r->areas[i];
}

/* An area listed together with one of its ancestors is already named by the ancestor. */
static bool covered(const struct notices_env *env, const struct notices_req *r, int n, int i)
{
	for (int j = 0; j < n; j++) {
		if (j < i && strcmp(area_code(r, i), area_code(r, j)) == 0)
			return true; /* listed twice */
		if (j != i && strcmp(area_code(r, i), area_code(r, j)) != 0 &&
		    store_area_within(env->store, area_code(r, i), area_code(r, j)))
			return true;
	}
	return false;
}

/* Area names for the text: "幸福小区3号楼、4号楼、5号楼"; more than 6 areas end in "等N处". */
static int area_text(const struct notices_env *env, const struct notices_req *r, char *out,
		     size_t sz, struct err *e)
{
	char label[256], parent[64] = "", prev[64] = "";
	int n = r->nareas, shown = 0, rc;
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (covered(env, r, n, i))
			continue;
		if (++shown > 6)
			continue;
		rc = store_area_label(env->store, area_code(r, i), shown > 1 ? prev : NULL, label,
				      sizeof(label), parent, e);
		if (rc < 0)
			return rc;
		snprintf(prev, sizeof(prev), "%s", parent);
		len += (size_t)snprintf(out + len, sz - len, "%s%s", shown > 1 ? "、" : "", label);
		if (len >= sz)
			return err_set(e, ERR_INVALID, "areas", "the area names are too long");
	}
	if (shown > 6)
		snprintf(out + len, sz - len, "等%d处", shown);
	return 0;
}

int notices_render_texts(const struct notices_env *env, const struct notices_req *r, char *texts[2],
			 char **vars_json, struct err *e)
{
	static const char *const chans[2] = { "sms", "wechat" };
	char area[1024], start[32], end[32], company[128];
	const char *sig = env->cfg->sms_signature;
	int off = env->cfg->utc_offset_min, rc;
	size_t siglen = strlen(sig);

	if ((rc = area_text(env, r, area, sizeof(area), e)) < 0)
		return rc;
	timefmt_cn(r->start_ms, off, start);
	/* A restored notice tells when supply came back: now, not the planned end. */
	timefmt_cn(strcmp(r->kind, "restored") == 0 ? env->now_ms : r->end_ms, off, end);
	/* Same day: "11月23日09:00至17:00" reads better and keeps the SMS in one part. */
	if (strcmp(r->kind, "restored") != 0 &&
	    (r->start_ms + off * NOTICES_MS_PER_MIN) / 86400000 ==
		    (r->end_ms + off * NOTICES_MS_PER_MIN) / 86400000)
		memmove(end, strstr(end, "日") + strlen("日"),
			strlen(strstr(end, "日") + strlen("日")) + 1);
	/* The company is the signature without its brackets 【】 (3 bytes each in UTF-8). */
	snprintf(company, sizeof(company), "%.*s", siglen > 6 ? (int)(siglen - 6) : 0,
		 siglen > 6 ? sig + 3 : "");
	const struct tmpl_var vars[] = {
		{ "utility", utility_words[r->utility].utility },
		{ "outage", utility_words[r->utility].outage },
		{ "area", area },
		{ "start", start },
		{ "end", end },
		{ "reason", r->reason ? r->reason : "" },
		{ "hotline", r->hotline ? r->hotline : "" },
		{ "company", company },
	};
	for (int i = 0; i < 2; i++) {
		/* The SMS text is kept even for a WeChat-only notice when SMS is configured: a
		 * resident who unfollowed is reached by SMS instead (the worker's fallback). */
		bool sms_fallback = i == 0 && env->cfg->sms_provider[0] != '\0';

		if (!(r->channels & (1 << i)) && !sms_fallback)
			continue;
		rc = templates_render(env->tmpl, r->kind, chans[i], vars,
				      sizeof(vars) / sizeof(vars[0]), &texts[i], e);
		if (rc < 0)
			return rc;
	}
	/* Kept with the notice for providers that send approved templates with parameters. */
	json_t *obj = json_object();
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		json_object_set_new(obj, vars[i].name, json_string(vars[i].value));
	*vars_json = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return *vars_json ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
}
