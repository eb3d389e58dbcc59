/* cases: intake. Checks a new case field by field (every error names the field and how to
 * fix it), gives it a number and an unguessable tracking token, stores it and its first
 * history entry, runs the intake alerts (major complaint, clusters, repeats), and, when the
 * agent asks, accepts and dispatches it in the same transaction. */
#include "cases_internal.h"

#include <stdio.h>
#include <string.h>

#include "phone.h"
#include "timefmt.h"
#include "tracking.h"
#include "utf8.h"

/* Longest texts, in characters: a case card's fields, not documents. */
#define MAX_CONTENT 2000
#define MAX_REQUEST 1000
#define MAX_NAME 32
#define MAX_ADDRESS 200

struct intake {
	struct store_case_new n;
	char mobile[PHONE_LEN + 1];
	const char *department; /* manual override, or NULL */
	const char *actor;
	const char *res_number, *res_token; /* a kiosk's reservation, or NULL */
	const char *key; /* the API key's name: the kiosk that reserved */
	int accept, dispatch;
};

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static int text_field(const json_t *o, const char *key, size_t max, bool required, const char **out,
		      struct err *e)
{
	const json_t *v = json_object_get(o, key);

	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return err_set(e, ERR_INVALID, key, "%s must be a string", key);
	*out = str(o, key);
	if (*out == NULL && required)
		return err_set(e, ERR_INVALID, key, "%s is required", key);
	if (*out != NULL && utf8_chars(*out) > max)
		return err_set(e, ERR_INVALID, key, "%s has %zu characters; at most %zu fit", key,
			       utf8_chars(*out), max);
	return 0;
}

static int bool_field(const json_t *o, const char *key, int dflt, int *out, struct err *e)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return err_set(e, ERR_INVALID, key, "%s must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static bool is_code(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n < CASE_RULES_CODE_MAX &&
		strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int check_what(const struct cases_env *env, const json_t *b, struct intake *in,
		      struct err *e)
{
	struct store_case_new *n = &in->n;
	int rc, cls;

	if ((rc = text_field(b, "source", 16, true, &n->source, e)) < 0)
		return rc;
	if (case_source_label(n->source) == NULL)
		return err_set(e, ERR_INVALID, "source",
			       "source \"%.16s\" is unknown; use one of %s", n->source,
			       case_source_list());
	if ((rc = text_field(b, "kind", 16, true, &n->kind, e)) < 0)
		return rc;
	if (case_kind_label(n->kind) == NULL)
		return err_set(e, ERR_INVALID, "kind", "kind \"%.16s\" is unknown; use one of %s",
			       n->kind, case_kind_list());
	if ((rc = text_field(b, "category", 31, false, &n->category, e)) < 0)
		return rc;
	if (n->category != NULL && !is_code(n->category))
		return err_set(e, ERR_INVALID, "category",
			       "category must be a code of a-z, 0-9, _ and - (example: leak)");
	if ((rc = text_field(b, "class", 31, false, &n->cls, e)) < 0)
		return rc;
	cls = n->cls ? case_rules_class(env->rules, n->cls)
		     : case_rules_class_for(env->rules, n->kind, n->category);
	if (cls < 0)
		return err_set(e, ERR_INVALID, "class",
			       "class \"%.31s\" is not in %s; use one of its [class.NAME] sections",
			       n->cls, env->cfg->cases_rules);
	n->cls = env->rules->classes[cls].name;
	if ((rc = text_field(b, "content", MAX_CONTENT, true, &n->content, e)) < 0 ||
	    (rc = text_field(b, "request", MAX_REQUEST, false, &n->request, e)) < 0 ||
	    (rc = text_field(b, "area", 63, false, &n->area, e)) < 0 ||
	    (rc = text_field(b, "department", 31, false, &in->department, e)) < 0 ||
	    (rc = bool_field(b, "major", 0, &n->major, e)) < 0 ||
	    (rc = bool_field(b, "reply", 1, &n->reply, e)) < 0 ||
	    (rc = bool_field(b, "accept", 0, &in->accept, e)) < 0 ||
	    (rc = bool_field(b, "dispatch", 0, &in->dispatch, e)) < 0)
		return rc;
	if (in->department != NULL && case_rules_dept(env->rules, in->department) < 0)
		return err_set(e, ERR_INVALID, "department",
			       "department \"%.31s\" is not in [departments] of %s", in->department,
			       env->cfg->cases_rules);
	if (in->dispatch && !in->accept)
		return err_set(e, ERR_INVALID, "dispatch",
			       "a case is dispatched after it is accepted; add \"accept\": true");
	return 0;
}

/* The complainant: personal data, all optional, but a case that wants a reply needs a way
 * to reach the person (a mobile, or the account of a resident who follows on WeChat). */
static int check_who(struct store *s, const json_t *b, struct intake *in, struct err *e)
{
	const json_t *p = json_object_get(b, "complainant");
	const char *mobile = NULL;
	char openid[136] = "", why[512], field[64];
	int rc;

	if (p != NULL && !json_is_object(p) && !json_is_null(p))
		return err_set(e, ERR_INVALID, "complainant",
			       "complainant must be an object {\"name\", \"mobile\", \"address\", "
			       "\"account\"}");
	if ((rc = text_field(p, "name", MAX_NAME, false, &in->n.name, e)) < 0 ||
	    (rc = text_field(p, "mobile", 32, false, &mobile, e)) < 0 ||
	    (rc = text_field(p, "address", MAX_ADDRESS, false, &in->n.address, e)) < 0 ||
	    (rc = text_field(p, "account", 63, false, &in->n.account, e)) < 0) {
		snprintf(why, sizeof(why), "%s", e->msg);
		snprintf(field, sizeof(field), "complainant.%.40s", e->field);
		return err_set(e, rc, field, "complainant.%s", why);
	}
	if (mobile != NULL) {
		if (phone_normalize(mobile, in->mobile, e) < 0) {
			snprintf(why, sizeof(why), "%s", e->msg);
			return err_set(e, ERR_INVALID, "complainant.mobile",
				       "complainant.mobile: %s", why);
		}
		in->n.mobile = in->mobile;
	}
	if (in->n.account != NULL && in->n.mobile == NULL &&
	    (rc = store_case_resident_openid(s, in->n.account, openid, e)) < 0)
		return rc;
	if (in->n.reply && in->n.mobile == NULL && openid[0] == '\0')
		return err_set(e, ERR_INVALID, "complainant.mobile",
			       "the complainant wants a reply but there is no way to reach them: "
			       "add complainant.mobile (or the account of a resident who follows "
			       "on WeChat), or set \"reply\": false for an anonymous case");
	return 0;
}

/* "reservation": {"number", "token"} from a kiosk's block (POST /api/v1/kiosk/reservations). */
static int check_reservation(const json_t *b, struct intake *in, struct err *e)
{
	const json_t *r = json_object_get(b, "reservation");

	if (r == NULL || json_is_null(r))
		return 0;
	in->res_number = str(r, "number");
	in->res_token = str(r, "token");
	if (!json_is_object(r) || in->res_number == NULL || strlen(in->res_number) >= 40 ||
	    in->res_token == NULL || !tracking_token_valid(in->res_token))
		return err_set(e, ERR_INVALID, "reservation",
			       "reservation must be {\"number\", \"token\"} as the kiosk's block "
			       "gave them");
	return 0;
}

static int check(const struct cases_env *env, struct store *s, const json_t *b, struct intake *in,
		 struct err *e)
{
	int rc;

	if (!json_is_object(b))
		return err_set(e, ERR_INVALID, "", "the body must be a JSON object");
	if ((rc = check_what(env, b, in, e)) < 0 || (rc = check_who(s, b, in, e)) < 0)
		return rc;
	if (in->n.area != NULL && !store_area_exists(s, in->n.area))
		return err_set(e, ERR_INVALID, "area",
			       "area %.63s is unknown; import it first (gatewayctl areas import)",
			       in->n.area);
	if ((rc = text_field(b, "agent", 63, false, &in->actor, e)) < 0)
		return rc;
	return check_reservation(b, in, e);
}

/* The local YYYYMM of now, for the number. */
static void month_of(const struct cases_env *env, int64_t now_ms, char out[8])
{
	char iso[32];

	timefmt_iso(now_ms, env->cfg->utc_offset_min, iso);
	snprintf(out, 8, "%.4s%.2s", iso, iso + 5);
}

/* The number and token: fresh ones, or the kiosk's reserved pair. */
static int identity(const struct cases_env *env, struct store *s, struct intake *in, int64_t now_ms,
		    char token[TRACK_TOKEN_LEN + 1], char hash[65], char number[40], struct err *e)
{
	char month[8];
	int64_t used;
	int rc;

	if (in->res_number == NULL) {
		if ((rc = tracking_token_new(token, e)) < 0)
			return rc;
		tracking_token_hash(token, hash);
		month_of(env, now_ms, month);
		return store_case_next_number(s, env->cfg->cases_prefix, month, number, e);
	}
	snprintf(token, TRACK_TOKEN_LEN + 1, "%s", in->res_token);
	tracking_token_hash(token, hash);
	if ((rc = store_case_reservation(s, in->res_number, hash, in->key, &used, e)) < 0)
		return rc;
	snprintf(number, 40, "%s", in->res_number);
	return used != 0 ? 1 : 0;
}

static int store_new(const struct cases_env *env, struct store *s, struct intake *in,
		     int64_t now_ms, struct store_case *c, struct err *e)
{
	char token[TRACK_TOKEN_LEN + 1], hash[65], number[40];
	int64_t id;
	int rc;

	if ((rc = identity(env, s, in, now_ms, token, hash, number, e)) != 0)
		return rc < 0 ? rc : store_case_load(s, number, c, e) == 0 ? 1 : e->code;
	in->n.token = token;
	in->n.token_hash = hash;
	in->n.state = case_state_name(CS_RECEIVED);
	in->n.created_ms = now_ms;
	if ((rc = store_case_insert_numbered(s, &in->n, number, &id, e)) < 0)
		return rc;
	if (in->res_number != NULL && (rc = store_case_reservation_used(s, number, id, e)) < 0)
		return rc;
	if ((rc = store_case_event(s, id, now_ms, in->n.owner, "create", NULL, "received", NULL, 1,
				   e)) < 0)
		return rc;
	return store_case_load(s, number, c, e);
}

static int intake(const struct cases_env *env, struct store *s, struct intake *in, int64_t now_ms,
		  char number[40], struct err *e)
{
	struct store_case c;
	struct case_step step = { .actor = in->n.owner, .now_ms = now_ms };
	int rc;

	if ((rc = store_new(env, s, in, now_ms, &c, e)) != 0) {
		/* A spooled request sent again: the case it made is the answer. */
		if (rc == 1)
			memcpy(number, c.number, 40);
		return rc;
	}
	if ((rc = case_notify_intake(env, s, &c, now_ms, e)) < 0)
		return rc;
	if (in->accept) {
		step.action = CA_ACCEPT;
		if ((rc = case_flow_apply(env, s, &c, &step, e)) < 0)
			return rc;
	}
	if (in->dispatch) {
		step.action = CA_DISPATCH;
		step.department = in->department;
		if ((rc = case_flow_apply(env, s, &c, &step, e)) < 0)
			return rc;
	}
	memcpy(number, c.number, 40);
	return 0;
}

int cases_create(const struct cases_env *env, struct store *s, const json_t *body,
		 const char *actor, int64_t now_ms, json_t **out, struct err *e)
{
	struct intake in;
	char number[40];
	int rc;

	memset(&in, 0, sizeof(in));
	if ((rc = check(env, s, body, &in, e)) < 0)
		return rc;
	in.n.owner = in.actor ? in.actor : actor;
	in.key = actor;
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	rc = intake(env, s, &in, now_ms, number, e);
	if (rc < 0 || (rc == 0 && (rc = store_commit(s, e)) < 0)) {
		store_rollback(s);
		return rc;
	}
	if (rc == 1) {
		store_rollback(s);
		rc = cases_get(env, s, number, now_ms, out, e);
		return rc < 0 ? rc : 1;
	}
	return cases_get(env, s, number, now_ms, out, e);
}

int cases_reserve(const struct cases_env *env, struct store *s, const char *kiosk, int count,
		  int64_t now_ms, json_t **out, struct err *e)
{
	char token[TRACK_TOKEN_LEN + 1], hash[65], month[8], number[40], url[320];
	json_t *list = json_array();
	int rc;

	if (count < 1 || count > 200) {
		json_decref(list);
		return err_set(e, ERR_INVALID, "count", "count must be from 1 to 200");
	}
	month_of(env, now_ms, month);
	if ((rc = store_begin(s, e)) < 0)
		goto out;
	for (int i = 0; i < count && rc == 0; i++) {
		if ((rc = tracking_token_new(token, e)) < 0)
			break;
		tracking_token_hash(token, hash);
		if ((rc = store_case_next_number(s, env->cfg->cases_prefix, month, number, e)) == 0)
			rc = store_case_reserve(s, number, token, hash, kiosk, now_ms, e);
		cases_track_url(env, token, url);
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:s}", "number", number, "token", token,
						"tracking_url", url));
	}
	if (rc < 0 || (rc = store_commit(s, e)) < 0) {
		store_rollback(s);
		goto out;
	}
	*out = json_pack("{s:O}", "reservations", list);
out:
	json_decref(list);
	return rc;
}

void cases_track_url(const struct cases_env *env, const char *token, char out[320])
{
	const char *base = env->cfg->public_url;
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(out, 320, "%.*s/t/%s", (int)n, base, token);
}
