/* api_cases: the case endpoints. Staff: create, find, read, transitions, notes, class, the
 * tracking QR code, statistics. Public: the tracking page /t/{token} and its JSON
 * /api/v1/track/{token}, rate-limited per client address, answering an unknown or
 * malformed token with the same 404. Handlers only translate HTTP to the cases module. */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_stats.h"
#include "qr.h"
#include "store_cases.h"

int api_cases_init(struct api *a, struct err *e)
{
	a->limiter = tracking_limiter_new(a->cfg->track_per_minute);
	return a->limiter ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
}

void api_cases_cleanup(struct api *a)
{
	tracking_limiter_free(a->limiter);
	a->limiter = NULL;
}

void api_use_cases(struct api *a, const struct cases_env *env)
{
	a->cases = *env;
}

static int ready(struct api *a, struct err *e)
{
	return a->cases.rules != NULL
		? 0
		: err_set(e, ERR_IO, NULL, "cases are not set up in this gatewayd");
}

int api_cases_post(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int rc = ready(a, e);

	if (rc < 0 ||
	    (rc = cases_create(&a->cases, c->store, c->json, c->actor, api_now(a), out, e)) < 0)
		return rc;
	c->status = rc == 1 ? 200 : 201; /* 200: a spooled request that came before */
	return 0;
}

int api_kiosk_reserve(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const json_t *n = json_object_get(c->json, "count");
	int rc = ready(a, e);

	if (rc < 0)
		return rc;
	if (!json_is_integer(n))
		return err_set(e, ERR_INVALID, "count", "count is required: how many numbers");
	if ((rc = cases_reserve(&a->cases, c->store, c->actor, (int)json_integer_value(n),
				api_now(a), out, e)) < 0)
		return rc;
	c->status = 201;
	return 0;
}

/* The hall's outage notices for the kiosk's welcome screen: those not over that start
 * before the end of the local day. {"notices":[...]} (store_hall_notices). */
int api_kiosk_notices(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const char *area = http_in_query(c->in, "area");
	int64_t now = api_now(a), off = (int64_t)a->cfg->utc_offset_min * 60000, day = 86400000;
	json_t *list = NULL;
	int rc = ready(a, e);

	if (rc < 0)
		return rc;
	if (area == NULL || !store_area_exists(c->store, area))
		return err_set(e, ERR_INVALID, "area",
			       "area must be the code of the hall's area (an imported area)");
	if ((rc = store_hall_notices(c->store, area, now, ((now + off) / day + 1) * day - off,
				     &list, e)) < 0)
		return rc;
	*out = json_pack("{s:o}", "notices", list);
	return 0;
}

/* The kiosk's lookup by number: the public view, masked. */
int api_kiosk_case(struct api *a, struct call *c, json_t **out, struct err *e)
{
	struct store_case sc;
	int rc = ready(a, e);

	if (rc < 0 || (rc = store_case_load(c->store, c->params[0], &sc, e)) < 0)
		return rc;
	return cases_public(&a->cases, c->store, sc.token, false, api_now(a), out, e);
}

static const char *q(struct call *c, const char *name)
{
	const char *v = http_in_query(c->in, name);

	return v && v[0] ? v : NULL;
}

static int int_param(struct call *c, const char *name, int dflt, int lo, int hi, int *out,
		     struct err *e)
{
	const char *v = q(c, name);
	char *end;
	long n;

	*out = dflt;
	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < lo || n > hi)
		return err_set(e, ERR_INVALID, name, "%s must be a number from %d to %d", name, lo,
			       hi);
	*out = (int)n;
	return 0;
}

int api_cases_find(struct api *a, struct call *c, json_t **out, struct err *e)
{
	struct store_case_query f = { 0 };
	const char *flag;
	int rc = ready(a, e);

	if (rc < 0 || (rc = int_param(c, "limit", 50, 1, 1000, &f.limit, e)) < 0 ||
	    (rc = int_param(c, "offset", 0, 0, 1000000000, &f.offset, e)) < 0)
		return rc;
	f.number = q(c, "number");
	f.mobile = q(c, "mobile");
	f.account = q(c, "account");
	f.area = q(c, "area");
	f.state = q(c, "state");
	f.department = q(c, "department");
	f.kind = q(c, "kind");
	flag = q(c, "overdue");
	f.overdue = flag && (strcmp(flag, "1") == 0 || strcmp(flag, "true") == 0);
	flag = q(c, "open");
	f.open = flag && (strcmp(flag, "1") == 0 || strcmp(flag, "true") == 0);
	f.now_ms = api_now(a);
	return store_case_find(c->store, &f, out, e);
}

int api_case_get(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int rc = ready(a, e);

	return rc < 0 ? rc : cases_get(&a->cases, c->store, c->params[0], api_now(a), out, e);
}

int api_case_transition(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int rc = ready(a, e);

	return rc < 0 ? rc
		      : cases_transition(&a->cases, c->store, c->params[0], c->json, c->actor,
					 api_now(a), out, e);
}

int api_case_note(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int rc = ready(a, e);

	if (rc < 0 ||
	    (rc = cases_note(&a->cases, c->store, c->params[0], c->json, c->actor, api_now(a), out,
			     e)) < 0)
		return rc;
	c->status = 201;
	return 0;
}

int api_case_class(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int rc = ready(a, e);

	return rc < 0 ? rc
		      : cases_set_class(&a->cases, c->store, c->params[0], c->json, c->actor,
					api_now(a), out, e);
}

int api_case_qr(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const char *format = q(c, "format") ? q(c, "format") : "png";
	struct store_case sc;
	struct qr *code = NULL;
	char url[320];
	unsigned char *png = NULL;
	int rc = ready(a, e), px;

	(void)out;
	if (rc < 0 || (rc = int_param(c, "module", 8, 1, 32, &px, e)) < 0)
		return rc;
	if (strcmp(format, "png") != 0 && strcmp(format, "svg") != 0)
		return err_set(e, ERR_INVALID, "format", "format must be png or svg");
	if ((rc = store_case_load(c->store, c->params[0], &sc, e)) < 0)
		return rc;
	cases_track_url(&a->cases, sc.token, url);
	if ((rc = qr_encode(url, &code, e)) < 0)
		return rc;
	if (strcmp(format, "svg") == 0) {
		rc = qr_svg(code, px, 0, &c->text, e);
		c->text_type = "image/svg+xml";
	} else if ((rc = qr_png(code, px, &png, &c->text_len, e)) == 0) {
		c->text = (char *)png;
		c->text_type = "image/png";
	}
	qr_free(code);
	return rc;
}

int api_case_stats(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const char *format = q(c, "format") ? q(c, "format") : "json";
	int64_t from, to;
	char label[32];
	json_t *stats = NULL;
	int rc = ready(a, e);

	if (rc < 0)
		return rc;
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
		return err_set(e, ERR_INVALID, "format", "format must be json or csv");
	if ((rc = case_stats_period(q(c, "month"), q(c, "quarter"), q(c, "from"), q(c, "to"),
				    api_now(a), a->cfg->utc_offset_min, &from, &to, label, e)) <
		    0 ||
	    (rc = store_case_stats(c->store, from, to, api_now(a), &stats, e)) < 0)
		return rc;
	case_stats_label(stats, a->cases.rules);
	json_object_set_new(stats, "period", json_string(label));
	if (strcmp(format, "json") == 0) {
		*out = stats;
		return 0;
	}
	rc = case_stats_csv(stats, &c->text, &c->text_len, e);
	json_decref(stats);
	c->text_type = "text/csv; charset=utf-8";
	snprintf(c->disposition, sizeof(c->disposition), "attachment; filename=\"cases-%s.csv\"",
		 label);
	return rc;
}

bool api_track_limited(struct api *a, struct call *c)
{
	return !tracking_limiter_allow(a->limiter, c->in->client ? c->in->client : "", api_now(a));
}

int api_track_page_status(struct call *c, int status, const char *page, struct err *e)
{
	c->status = status;
	c->text_type = "text/html; charset=utf-8";
	c->text = strdup(page);
	return c->text ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
}

int api_track_account(struct api *a, struct call *c, char account[64], struct err *e)
{
	int rc = ready(a, e);

	if (rc < 0)
		return rc;
	if (api_track_limited(a, c))
		return err_set(e, ERR_NOTFOUND, NULL, "rate limited");
	return cases_account(c->store, c->params[0], account, e);
}

int api_track_json(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int rc = ready(a, e);

	if (rc < 0)
		return rc;
	if (api_track_limited(a, c)) {
		c->status = 429;
		*out = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "too_many_requests",
				 "message", "too many requests from this address; wait a minute",
				 "field", "");
		return 0;
	}
	return cases_public(&a->cases, c->store, c->params[0], a->wx != NULL, api_now(a), out, e);
}

/* The page answers in HTML, errors included: a resident's phone shows it as it is. */
int api_track_page(struct api *a, struct call *c, json_t **out, struct err *e)
{
	json_t *view = NULL;
	char qr[64];
	int rc = ready(a, e);

	(void)out;
	if (rc < 0)
		return rc;
	c->text_type = "text/html; charset=utf-8";
	if (api_track_limited(a, c))
		return api_track_page_status(c, 429, tracking_page_too_many(), e);
	rc = cases_public(&a->cases, c->store, c->params[0], a->wx != NULL, api_now(a), &view, e);
	if (rc == ERR_NOTFOUND)
		return api_track_page_status(c, 404, tracking_page_not_found(), e);
	if (rc < 0)
		return rc;
	snprintf(qr, sizeof(qr), "/t/%.*s/qr.svg", TRACK_TOKEN_LEN, c->params[0]);
	rc = tracking_page_html(view, qr, &c->text, e);
	json_decref(view);
	return rc;
}

/* The page's QR code: the same for the life of the case, so the browser may keep it. */
int api_track_qr(struct api *a, struct call *c, json_t **out, struct err *e)
{
	struct qr *code = NULL;
	char url[320];
	int rc = ready(a, e);

	(void)out;
	if (rc < 0)
		return rc;
	if (api_track_limited(a, c))
		return api_track_page_status(c, 429, tracking_page_too_many(), e);
	if (!cases_token_known(c->store, c->params[0]))
		return err_set(e, ERR_NOTFOUND, "token", "no such case");
	cases_track_url(&a->cases, c->params[0], url);
	if ((rc = qr_encode(url, &code, e)) == 0)
		rc = qr_svg(code, 4, 0, &c->text, e);
	qr_free(code);
	c->text_type = "image/svg+xml";
	c->cache_control = "private, max-age=86400";
	return rc;
}
