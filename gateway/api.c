/* api: routes and handlers. Every request: find the route (404/405), check the key and
 * role (401/403), decode the body (400/413), run the handler with a pooled store
 * connection, answer JSON. Errors are {"error":{"code","message","field"}}. */
#include "api.h"
#include "api_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "areas.h"
#include "auth.h"
#include "inbound.h"
#include "log.h"
#include "notices.h"
#include "residents.h"
#include "residents_import.h"
#include "store.h"
#include "utf8.h"

static struct store *pool_take(struct api *a)
{
	struct store *s;

	pthread_mutex_lock(&a->lock);
	while (a->nfree == 0)
		pthread_cond_wait(&a->cond, &a->lock);
	s = a->stores[--a->nfree];
	pthread_mutex_unlock(&a->lock);
	return s;
}

static void pool_give(struct api *a, struct store *s)
{
	pthread_mutex_lock(&a->lock);
	a->stores[a->nfree++] = s;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

int64_t api_now(struct api *a)
{
	return clock_now_ms(a->clock);
}

/* ---- handlers ---- */

static int h_healthz(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int64_t depth = store_queue_depth(c->store);

	(void)a;
	if (depth < 0) {
		c->status = 503;
		*out = json_pack("{s:s}", "status", "db error");
		return 0;
	}
	(void)e;
	*out = json_pack("{s:s, s:I}", "status", "ok", "queue_depth", (json_int_t)depth);
	return 0;
}

static int h_metrics(struct api *a, struct call *c, json_t **out, struct err *e)
{
	(void)out;
	c->text = metrics_render(a->metrics, store_queue_depth(c->store));
	c->text_type = "text/plain; version=0.0.4";
	return c->text ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
}

static int h_areas_post(struct api *a, struct call *c, json_t **out, struct err *e)
{
	(void)a;
	return areas_put_json(c->store, c->json, out, e);
}

static int h_areas_import(struct api *a, struct call *c, json_t **out, struct err *e)
{
	(void)a;
	return areas_import_csv(c->store, c->in->body, c->in->body_len, out, e);
}

static int h_areas_get(struct api *a, struct call *c, json_t **out, struct err *e)
{
	(void)a;
	return store_area_list(c->store, out, e);
}

static int h_residents_import(struct api *a, struct call *c, json_t **out, struct err *e)
{
	return residents_import_csv(c->store, a->cfg, c->in->body, c->in->body_len, api_now(a), out,
				    e);
}

static int h_residents_post(struct api *a, struct call *c, json_t **out, struct err *e)
{
	c->status = 201;
	return residents_create_json(c->store, c->json, api_now(a), out, e);
}

static int query_int(const struct call *c, const char *name, int def, int min, int max, int *out,
		     struct err *e)
{
	const char *v = http_in_query(c->in, name);
	char *end;
	long n;

	*out = def;
	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < min || n > max)
		return err_set(e, ERR_INVALID, name, "%s must be a whole number from %d to %d",
			       name, min, max);
	*out = (int)n;
	return 0;
}

static int h_residents_list(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int limit, offset, rc;

	(void)a;
	if ((rc = query_int(c, "limit", 100, 1, 1000, &limit, e)) < 0 ||
	    (rc = query_int(c, "offset", 0, 0, 1 << 30, &offset, e)) < 0)
		return rc;
	return store_resident_list(c->store, http_in_query(c->in, "area"), limit, offset, out, e);
}

static int h_resident_get(struct api *a, struct call *c, json_t **out, struct err *e)
{
	(void)a;
	return store_resident_get(c->store, c->params[0], out, e);
}

static int h_resident_put(struct api *a, struct call *c, json_t **out, struct err *e)
{
	return residents_update_json(c->store, c->params[0], c->json, api_now(a), out, e);
}

static int h_resident_delete(struct api *a, struct call *c, json_t **out, struct err *e)
{
	(void)out;
	c->status = 204;
	return store_resident_delete(c->store, c->params[0], api_now(a), e);
}

static int h_resident_history(struct api *a, struct call *c, json_t **out, struct err *e)
{
	json_t *r;
	int rc;

	(void)a;
	/* A deleted resident's history stays answerable, so only an unknown account is 404. */
	rc = store_resident_history(c->store, c->params[0], &r, e);
	if (rc < 0)
		return rc;
	if (json_array_size(json_object_get(r, "messages")) == 0 &&
	    store_resident_get(c->store, c->params[0], out, e) < 0) {
		json_decref(r);
		return ERR_NOTFOUND;
	}
	if (*out != NULL)
		json_decref(*out);
	*out = r;
	return 0;
}

static int h_notices_post(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const char *dry = http_in_query(c->in, "dry_run");
	bool dry_run = dry != NULL && strcmp(dry, "0") != 0 && strcmp(dry, "false") != 0;
	struct notices_env env = { a->cfg, a->tmpl, c->store, api_now(a) };

	c->status = dry_run ? 200 : 201;
	return notices_post(&env, c->json, dry_run, out, e);
}

static int parse_id(const char *s, int64_t *id, struct err *e)
{
	char *end;
	long long n = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0)
		return err_set(e, ERR_NOTFOUND, "id", "no notice with id \"%.40s\"", s);
	*id = n;
	return 0;
}

static int h_notice_get(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int64_t id = 0;

	(void)a;
	if (parse_id(c->params[0], &id, e) < 0)
		return ERR_NOTFOUND;
	return store_notice_get(c->store, id, out, e);
}

static int h_notices_list(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int limit, rc;

	(void)a;
	if ((rc = query_int(c, "limit", 50, 1, 500, &limit, e)) < 0)
		return rc;
	return store_notice_list(c->store, limit, out, e);
}

static const struct route routes[] = {
	{ "GET", "/healthz", 0, BODY_NONE, h_healthz },
	{ "GET", "/metrics", 0, BODY_NONE, h_metrics },
	{ "POST", "/api/v1/areas", PERM_AREAS_WRITE, BODY_JSON, h_areas_post },
	{ "GET", "/api/v1/areas", PERM_RESIDENTS_READ, BODY_NONE, h_areas_get },
	{ "POST", "/api/v1/areas/import", PERM_AREAS_WRITE, BODY_RAW, h_areas_import },
	{ "POST", "/api/v1/residents/import", PERM_RESIDENTS_IMPORT, BODY_RAW, h_residents_import },
	{ "POST", "/api/v1/residents", PERM_RESIDENTS_WRITE, BODY_JSON, h_residents_post },
	{ "GET", "/api/v1/residents", PERM_RESIDENTS_READ, BODY_NONE, h_residents_list },
	{ "GET", "/api/v1/residents/{}", PERM_RESIDENTS_READ, BODY_NONE, h_resident_get },
	{ "PUT", "/api/v1/residents/{}", PERM_RESIDENTS_WRITE, BODY_JSON, h_resident_put },
	{ "DELETE", "/api/v1/residents/{}", PERM_RESIDENTS_WRITE, BODY_NONE, h_resident_delete },
	{ "GET", "/api/v1/residents/{}/history", PERM_RESIDENTS_READ, BODY_NONE,
	  h_resident_history },
	{ "POST", "/api/v1/notices", PERM_NOTICES_SEND, BODY_JSON, h_notices_post },
	{ "GET", "/api/v1/notices", PERM_NOTICES_READ, BODY_NONE, h_notices_list },
	{ "GET", "/api/v1/notices/{}", PERM_NOTICES_READ, BODY_NONE, h_notice_get },
	{ "POST", "/api/v1/staff-alerts", PERM_STAFF_ALERT, BODY_JSON, api_staff_post },
	{ "GET", "/api/v1/staff-alerts", PERM_STAFF_ALERT, BODY_NONE, api_staff_list },
	/* Provider pushes: no API key; the provider's callback_token in ?token= instead. */
	{ "POST", "/api/v1/cases", PERM_CASES_CREATE, BODY_JSON, api_cases_post },
	{ "GET", "/api/v1/cases", PERM_CASES_READ, BODY_NONE, api_cases_find },
	{ "POST", "/api/v1/kiosk/reservations", PERM_CASES_CREATE, BODY_JSON, api_kiosk_reserve },
	{ "GET", "/api/v1/kiosk/cases/{}", PERM_CASES_LOOKUP, BODY_NONE, api_kiosk_case },
	{ "GET", "/api/v1/kiosk/notices", PERM_CASES_LOOKUP, BODY_NONE, api_kiosk_notices },
	{ "GET", "/api/v1/cases/{}", PERM_CASES_READ, BODY_NONE, api_case_get },
	{ "POST", "/api/v1/cases/{}/transitions", PERM_CASES_WRITE, BODY_JSON,
	  api_case_transition },
	{ "POST", "/api/v1/cases/{}/notes", PERM_CASES_WRITE, BODY_JSON, api_case_note },
	{ "PUT", "/api/v1/cases/{}/class", PERM_CASES_WRITE, BODY_JSON, api_case_class },
	{ "GET", "/api/v1/cases/{}/qr", PERM_CASES_READ, BODY_NONE, api_case_qr },
	{ "GET", "/api/v1/case-stats", PERM_CASES_STATS, BODY_NONE, api_case_stats },
	{ "POST", "/api/v1/cases/{}/appointments", PERM_CASES_WRITE, BODY_JSON, api_appt_book },
	{ "POST", "/api/v1/cases/{}/appointments/{}", PERM_CASES_WRITE, BODY_JSON,
	  api_appt_change },
	{ "POST", "/api/v1/cases/{}/survey", PERM_CASES_WRITE, BODY_JSON, api_survey_answer },
	{ "GET", "/api/v1/visit-tasks", PERM_CASES_READ, BODY_NONE, api_visit_tasks },
	{ "POST", "/t/{}/survey", 0, BODY_RAW, api_track_survey },
	{ "POST", "/t/{}/appointment", 0, BODY_RAW, api_track_appt },
	{ "GET", "/api/v1/track/{}", 0, BODY_NONE, api_track_json },
	{ "GET", "/t/{}", 0, BODY_NONE, api_track_page },
	{ "GET", "/t/{}/wechat", 0, BODY_NONE, api_track_wechat },
	{ "GET", "/t/{}/qr.svg", 0, BODY_NONE, api_track_qr },
	{ "GET", "/callbacks/wechat", 0, BODY_NONE, api_cb_wechat_verify },
	{ "POST", "/callbacks/wechat", 0, BODY_RAW, api_cb_wechat_push },
	{ "POST", "/callbacks/{}/receipts", 0, BODY_RAW, api_cb_receipts },
	{ "POST", "/callbacks/{}/replies", 0, BODY_RAW, api_cb_replies },
	{ "POST", "/api/v1/residents/{}/wechat-binding", PERM_RESIDENTS_WRITE, BODY_NONE,
	  api_cb_binding_create },
};
#define NROUTES ((int)(sizeof(routes) / sizeof(routes[0])))

/* ---- dispatch ---- */

/* Matches path against pattern, capturing "{}" segments into params. */
static bool match(const char *pattern, const char *path, char params[MAX_PARAMS][256])
{
	int np = 0;

	while (*pattern && *path) {
		if (pattern[0] == '{' && pattern[1] == '}') {
			size_t n = strcspn(path, "/");
			if (n == 0 || n >= 256 || np == MAX_PARAMS)
				return false;
			memcpy(params[np], path, n);
			params[np++][n] = '\0';
			path += n;
			pattern += 2;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

/* The route for in, or NULL with *status 404 or 405. */
static const struct route *find_route(const char *method, const char *path,
				      char params[MAX_PARAMS][256], int *status)
{
	bool path_known = false;

	for (int i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, path, params))
			continue;
		path_known = true;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
	}
	*status = path_known ? 405 : 404;
	return NULL;
}

static int status_of(int code)
{
	switch (code) {
	case ERR_INVALID: return 400;
	case ERR_UNAUTH: return 401;
	case ERR_FORBIDDEN: return 403;
	case ERR_NOTFOUND: return 404;
	case ERR_CONFLICT: return 409;
	case ERR_TOOBIG: return 413;
	case ERR_IO: return 503;
	default: return 500;
	}
}

static const char *status_code_name(int status)
{
	switch (status) {
	case 400: return "invalid";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "too_large";
	case 415: return "unsupported_media_type";
	case 503: return "unavailable";
	default: return "internal";
	}
}

static void answer_json(struct http_out *out, int status, json_t *body)
{
	out->status = status;
	out->content_type = "application/json; charset=utf-8";
	out->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
	out->body_len = out->body ? strlen(out->body) : 0;
	if (status == 204) {
		free(out->body);
		out->body = NULL;
		out->body_len = 0;
	}
}

static void answer_error(struct http_out *out, int status, const struct err *e)
{
	json_t *body = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", status_code_name(status),
				 "message", e->msg[0] ? e->msg : "error", "field", e->field);

	answer_json(out, status, body);
	json_decref(body);
}

static int check_key(struct api *a, const struct route *r, const struct http_in *in,
		     struct store *s, struct call *c, struct err *e)
{
	char hash[AUTH_HASH_LEN + 1], role_name[16];
	enum role role;

	if (r->perm == 0)
		return 0;
	if (in->authorization == NULL || strncmp(in->authorization, "Bearer ", 7) != 0)
		return err_set(
			e, ERR_UNAUTH, "Authorization",
			"send the API key as "
			"\"Authorization: Bearer <key>\"; create one with gatewayctl key create");
	(void)a;
	auth_key_hash(in->authorization + 7, hash);
	if (store_apikey_who(s, hash, role_name, c->actor, e) < 0)
		return e->code == ERR_UNAUTH ? ERR_UNAUTH : e->code;
	if (auth_role_parse(role_name, &role) < 0 || !auth_role_may(role, r->perm))
		return err_set(e, ERR_FORBIDDEN, "", "the %s role may not %s %s", role_name,
			       r->method, r->pattern);
	return 0;
}

static int decode_body(const struct route *r, struct call *c, struct err *e)
{
	json_error_t jerr;
	size_t bad;

	if (r->body == BODY_NONE)
		return 0;
	if (r->body == BODY_RAW)
		return c->in->body_len == 0
			? err_set(e, ERR_INVALID, "",
				  "the body is empty; send the file or the push")
			: 0;
	if (!utf8_valid(c->in->body, c->in->body_len, &bad))
		return err_set(e, ERR_INVALID, "",
			       "the body is not valid UTF-8 (byte %zu); send "
			       "UTF-8 JSON",
			       bad);
	c->json = json_loadb(c->in->body, c->in->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (c->json == NULL)
		return err_set(e, ERR_INVALID, "", "malformed JSON at line %d, column %d: %s",
			       jerr.line, jerr.column, jerr.text);
	return 0;
}

static void handle(void *ctx, const struct http_in *in, struct http_out *out)
{
	struct api *a = ctx;
	struct call c;
	const struct route *r;
	json_t *result = NULL;
	struct err e;
	int rc, status = 404;

	memset(&c, 0, sizeof(c));
	err_clear(&e);
	c.in = in;
	c.status = 200;
	if ((r = find_route(in->method, in->path, c.params, &status)) == NULL) {
		err_set(&e, 0, "",
			status == 404 ? "no such endpoint: %s %.200s"
				      : "%s is not allowed on %.200s",
			in->method, in->path);
		answer_error(out, status, &e);
		metrics_http(a->metrics, "other", status);
		return;
	}
	c.store = pool_take(a);
	rc = check_key(a, r, in, c.store, &c, &e);
	if (rc == 0)
		rc = decode_body(r, &c, &e);
	if (rc == 0)
		rc = r->fn(a, &c, &result, &e);
	pool_give(a, c.store);
	if (rc < 0) {
		answer_error(out, status_of(rc), &e);
	} else if (c.text != NULL) {
		out->status = c.status;
		out->content_type = c.text_type;
		out->body = c.text;
		out->body_len = c.text_len ? c.text_len : strlen(c.text);
		memcpy(out->disposition, c.disposition, sizeof(out->disposition));
		out->cache_control = c.cache_control;
	} else {
		answer_json(out, c.status, result);
	}
	metrics_http(a->metrics, r->pattern, out->status);
	json_decref(result);
	json_decref(c.json);
}

static size_t body_limit(void *ctx, const char *method, const char *path)
{
	struct api *a = ctx;

	(void)method;
	if (strcmp(path, "/api/v1/residents/import") == 0 ||
	    strcmp(path, "/api/v1/areas/import") == 0)
		return a->cfg->max_import_body;
	return a->cfg->max_body;
}

static void refused(void *ctx, const char *method, const char *path, int status)
{
	struct api *a = ctx;
	char params[MAX_PARAMS][256];
	int st;
	const struct route *r = find_route(method, path, params, &st);

	metrics_http(a->metrics, r ? r->pattern : "other", status);
}

void api_server_opts(struct api *a, struct http_server_opts *opts)
{
	opts->body_limit = body_limit;
	opts->handle = handle;
	opts->refused = refused;
	opts->ctx = a;
}

int api_new(const struct gw_config *cfg, const struct templates *tmpl, const struct clock *clock,
	    struct metrics *metrics, struct api **out, struct err *e)
{
	struct api *a = calloc(1, sizeof(*a));
	int rc;

	if (a == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	a->cfg = cfg;
	a->tmpl = tmpl;
	a->clock = clock;
	a->metrics = metrics;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->nstores = cfg->http_threads;
	a->stores = calloc((size_t)a->nstores, sizeof(*a->stores));
	if (a->stores == NULL) {
		api_free(a);
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	}
	if ((rc = api_callbacks_init(a, e)) < 0 || (rc = api_cases_init(a, e)) < 0) {
		api_free(a);
		return rc;
	}
	for (int i = 0; i < a->nstores; i++) {
		if ((rc = store_open(cfg->db_path, &a->stores[i], e)) < 0) {
			api_free(a);
			return rc;
		}
		store_set_utc_offset(a->stores[i], cfg->utc_offset_min);
		a->nfree++;
	}
	*out = a;
	return 0;
}

void api_free(struct api *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < a->nfree; i++)
		store_close(a->stores[i]);
	free(a->stores);
	api_callbacks_cleanup(a);
	api_cases_cleanup(a);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}
