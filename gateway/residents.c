/* residents: a resident's data from outside, checked before it is stored.
 * Called by the HTTP API for POST and PUT of a resident as JSON; the field checks here are
 * also those of the billing CSV import (residents_import.c), and the key rules those of the
 * area tree's JSON (areas.c), so that a value is judged the same whichever way it comes.
 * Messages name the field and quote the value because they go back to the sender; nothing
 * here is logged, since every value is a resident's personal data. */
#include "residents.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- one field: the field name is a CSV column or a JSON key ---- */

/* Bytes of v to quote in a message: at most max_chars characters, never half of one. */
static int clip(const char *v, size_t max_chars)
{
	return (int)utf8_prefix_bytes(v, max_chars);
}

static bool has_control(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return true;
	return false;
}

int residents_check_text(const char *v, const char *field, size_t max_chars, struct err *e)
{
	size_t n;

	if (v == NULL || *v == '\0')
		return err_set(e, ERR_INVALID, field,
			       "%s is empty or missing; every resident "
			       "needs one",
			       field);
	if (has_control(v))
		return err_set(e, ERR_INVALID, field,
			       "%s contains a line break or another "
			       "control character; remove it",
			       field);
	n = utf8_chars(v);
	if (n > max_chars)
		return err_set(e, ERR_INVALID, field,
			       "%s has %zu characters; at most %zu are "
			       "allowed",
			       field, n, max_chars);
	return 0;
}

int residents_check_openid(const char *v, const char *field, struct err *e)
{
	size_t n = strspn(v,
			  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789-_");

	if (v[n] != '\0' || n > RESIDENTS_MAX_OPENID)
		return err_set(e, ERR_INVALID, field,
			       "%s \"%.*s\" is not a WeChat openid: it "
			       "has letters, digits, '-' and '_' only, at most %d of them",
			       field, clip(v, 40), v, RESIDENTS_MAX_OPENID);
	return 0;
}

int residents_check_mobile(const char *v, const char *field, char out[PHONE_LEN + 1], struct err *e)
{
	int rc = phone_normalize(v, out, e);

	if (rc < 0 && e != NULL)
		snprintf(e->field, sizeof(e->field), "%s", field);
	return rc;
}

int residents_check_areas(struct store *s, const char *const *codes, int n, const char *field,
			  struct err *e)
{
	if (n == 0)
		return err_set(e, ERR_INVALID, field,
			       "%s is empty; every resident belongs to at "
			       "least one area (a building code)",
			       field);
	if (n > RESIDENTS_MAX_AREAS)
		return err_set(e, ERR_INVALID, field, "%s lists more than %d areas", field,
			       RESIDENTS_MAX_AREAS);
	for (int i = 0; i < n; i++) {
		if (!store_area_exists(s, codes[i]))
			return err_set(e, ERR_INVALID, field,
				       "unknown area \"%.*s\"; import the "
				       "area tree first or correct the code",
				       clip(codes[i], 40), codes[i]);
	}
	return 0;
}

/* ---- JSON bodies ---- */

static int json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return RESIDENTS_T_STR;
	case JSON_NULL: return RESIDENTS_T_NULL;
	case JSON_ARRAY: return RESIDENTS_T_ARR;
	case JSON_OBJECT: return RESIDENTS_T_OBJ;
	case JSON_TRUE:
	case JSON_FALSE: return RESIDENTS_T_BOOL;
	default: return 0;
	}
}

/* Refuses unknown keys (a typo must not be dropped silently) and values of the wrong
 * type; the field is prefix + key, e.g. "opt_out.sms". */
int residents_check_keys(const json_t *obj, const struct residents_key_rule *rules, size_t n,
			 const char *prefix, struct err *e)
{
	char known[160], field[64];
	const char *key;
	json_t *v;
	size_t i, o = 0;

	known[0] = '\0';
	for (i = 0; i < n && o < sizeof(known); i++)
		o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "",
				      rules[i].name);
	/* jansson's iterator takes a non-const object; it only reads it here. */
	json_object_foreach((json_t *)obj, key, v)
	{
		for (i = 0; i < n && strcmp(rules[i].name, key) != 0; i++)
			;
		snprintf(field, sizeof(field), "%s%.*s", prefix, clip(key, 40), key);
		if (i == n)
			return err_set(e, ERR_INVALID, field,
				       "unknown field \"%s\"; the known "
				       "fields are %s",
				       field, known);
		if ((json_kind(v) & rules[i].types) == 0)
			return err_set(e, ERR_INVALID, field, "%s must be %s", field,
				       rules[i].what);
	}
	return 0;
}

int residents_check_object(const json_t *v, const char *not_object,
			   const struct residents_key_rule *rules, size_t n, struct err *e)
{
	if (!json_is_object(v))
		return err_set(e, ERR_INVALID, NULL, "%s", not_object);
	return residents_check_keys(v, rules, n, "", e);
}

/* ---- resident JSON ---- */

static const struct residents_key_rule resident_rules[] = {
	{ "account", RESIDENTS_T_STR, "a string" },
	{ "name", RESIDENTS_T_STR, "a string" },
	{ "mobile", RESIDENTS_T_STR, "a string such as \"13812345678\"" },
	{ "openid", RESIDENTS_T_STR | RESIDENTS_T_NULL, "a string or null" },
	{ "areas", RESIDENTS_T_ARR, "an array of area codes" },
	{ "opt_out", RESIDENTS_T_OBJ, "an object such as {\"sms\":false,\"wechat\":false}" },
};

static const struct residents_key_rule opt_out_rules[] = {
	{ "sms", RESIDENTS_T_BOOL, "true or false" },
	{ "wechat", RESIDENTS_T_BOOL, "true or false" },
};

static const char *get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A resident built from a checked JSON object; its strings point into that object. */
struct res_buf {
	struct resident r;
	char mobile[PHONE_LEN + 1];
	const char *areas[RESIDENTS_MAX_AREAS];
};

static int check_body(const json_t *body, struct err *e)
{
	const json_t *opt;
	int rc;

	rc = residents_check_object(body,
				    "the body must be a JSON object such as "
				    "{\"account\":\"1100234567\",\"name\":\"张三\",\"mobile\":"
				    "\"13812345678\",\"areas\":[\"33010201001\"]}",
				    resident_rules, ARRAY_LEN(resident_rules), e);
	opt = json_object_get(body, "opt_out");
	if (rc == 0 && opt != NULL)
		rc = residents_check_keys(opt, opt_out_rules, ARRAY_LEN(opt_out_rules), "opt_out.",
					  e);
	return rc;
}

static int res_areas(struct store *s, const json_t *arr, struct res_buf *b, struct err *e)
{
	size_t n = json_array_size(arr);

	if (n > RESIDENTS_MAX_AREAS)
		return err_set(e, ERR_INVALID, "areas",
			       "areas lists %zu areas; at most %d are "
			       "allowed",
			       n, RESIDENTS_MAX_AREAS);
	for (size_t i = 0; i < n; i++) {
		b->areas[i] = json_string_value(json_array_get(arr, i));
		if (b->areas[i] == NULL)
			return err_set(e, ERR_INVALID, "areas",
				       "areas[%zu] must be a string (an "
				       "area code)",
				       i);
	}
	b->r.areas = b->areas;
	b->r.nareas = (int)n;
	return residents_check_areas(s, b->areas, (int)n, "areas", e);
}

static int res_from_json(struct store *s, const json_t *obj, struct res_buf *b, struct err *e)
{
	const json_t *opt = json_object_get(obj, "opt_out");
	const char *openid = get_str(obj, "openid"), *mobile = get_str(obj, "mobile");
	int rc;

	memset(b, 0, sizeof(*b));
	b->r.account = get_str(obj, "account");
	b->r.name = get_str(obj, "name");
	if ((rc = residents_check_text(b->r.account, "account", RESIDENTS_MAX_ACCOUNT, e)) < 0 ||
	    (rc = residents_check_text(b->r.name, "name", RESIDENTS_MAX_NAME, e)) < 0)
		return rc;
	if (mobile == NULL)
		return err_set(e, ERR_INVALID, "mobile",
			       "mobile is missing; every resident "
			       "needs a mainland mobile number such as \"13812345678\"");
	if ((rc = residents_check_mobile(mobile, "mobile", b->mobile, e)) < 0)
		return rc;
	b->r.mobile = b->mobile;
	if (openid != NULL && *openid != '\0' &&
	    (rc = residents_check_openid(openid, "openid", e)) < 0)
		return rc;
	b->r.openid = openid != NULL && *openid != '\0' ? openid : NULL;
	b->r.opt_out_sms = json_is_true(json_object_get(opt, "sms"));
	b->r.opt_out_wechat = json_is_true(json_object_get(opt, "wechat"));
	return res_areas(s, json_object_get(obj, "areas"), b, e);
}

int residents_create_json(struct store *s, const json_t *body, int64_t now_ms, json_t **out,
			  struct err *e)
{
	struct res_buf b;
	int rc;

	if ((rc = check_body(body, e)) < 0)
		return rc;
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = res_from_json(s, body, &b, e)) < 0 ||
	    (rc = store_resident_insert(s, &b.r, now_ms, e)) < 0 || (rc = store_commit(s, e)) < 0) {
		store_rollback(s);
		return rc;
	}
	return store_resident_get(s, b.r.account, out, e);
}

/* The body's fields replace the stored ones; opt_out is merged key by key so that
 * {"opt_out":{"sms":true}} leaves the WeChat choice alone. */
static void merge_body(json_t *stored, const json_t *body)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)body, key, v)
	{
		if (strcmp(key, "opt_out") == 0)
			json_object_update(json_object_get(stored, "opt_out"), v);
		else
			json_object_set(stored, key, v);
	}
}

int residents_update_json(struct store *s, const char *account, const json_t *body, int64_t now_ms,
			  json_t **out, struct err *e)
{
	const char *given;
	json_t *merged = NULL;
	struct res_buf b;
	int result, rc;

	if ((rc = check_body(body, e)) < 0)
		return rc;
	given = get_str(body, "account");
	if (given != NULL && strcmp(given, account) != 0)
		return err_set(e, ERR_INVALID, "account",
			       "the account in the body differs from "
			       "the one in the address; an account cannot be changed (delete the "
			       "resident and create it again)");
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = store_resident_get(s, account, &merged, e)) < 0)
		goto out;
	merge_body(merged, body);
	if ((rc = res_from_json(s, merged, &b, e)) < 0 ||
	    (rc = store_resident_upsert(s, &b.r, now_ms, &result, e)) < 0)
		goto out;
	rc = store_commit(s, e);
out:
	if (rc < 0)
		store_rollback(s);
	json_decref(merged);
	return rc < 0 ? rc : store_resident_get(s, account, out, e);
}
