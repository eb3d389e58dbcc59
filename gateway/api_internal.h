/* api_internal: what the API's files (api.c: routes and dispatch; api_callbacks.c:
 * provider pushes and WeChat; api_staff.c: staff alerts) share. Nobody outside the API
 * includes this file. */
#ifndef GATEWAY_API_INTERNAL_H
#define GATEWAY_API_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "api.h"
#include "cases.h"
#include "store.h"
#include "tracking.h"

#define MAX_PARAMS 2

enum body_kind { BODY_NONE, BODY_JSON, BODY_RAW };

struct call {
	const struct http_in *in;
	struct store *store;
	char params[MAX_PARAMS][256];
	json_t *json; /* BODY_JSON routes */
	int status; /* set by the handler, default 200 */
	char *text; /* a text answer instead of JSON (metrics, provider push answers, pages) */
	const char *text_type; /* its content type */
	size_t text_len; /* its length when it is binary (0: strlen) */
	char disposition[128]; /* Content-Disposition of a download, or "" */
	const char *cache_control; /* static; NULL: no-store */
	char actor[64]; /* the API key's name: who does what the request asks */
};

typedef int (*handler_fn)(struct api *a, struct call *c, json_t **out, struct err *e);

struct route {
	const char *method;
	const char *pattern; /* "{}" matches one path segment */
	unsigned perm; /* 0: public */
	enum body_kind body;
	handler_fn fn;
};

struct wx_token;

struct api {
	const struct gw_config *cfg;
	const struct templates *tmpl;
	const struct clock *clock;
	struct metrics *metrics;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct store **stores;
	int nstores, nfree;
	struct wx_token *wx; /* the WeChat account's token holder, or NULL */
	struct api_nonces *nonces; /* recent WeChat (timestamp, nonce) pairs */
	struct cases_env cases; /* rules NULL: the case endpoints answer 503 */
	struct tracking_limiter *limiter; /* the public tracking endpoints' rate limit */
};

int64_t api_now(struct api *a);

/* api_callbacks.c */
int api_callbacks_init(struct api *a, struct err *e);
void api_callbacks_cleanup(struct api *a);
int api_cb_receipts(struct api *a, struct call *c, json_t **out, struct err *e);
int api_cb_replies(struct api *a, struct call *c, json_t **out, struct err *e);
int api_cb_wechat_verify(struct api *a, struct call *c, json_t **out, struct err *e);
int api_cb_wechat_push(struct api *a, struct call *c, json_t **out, struct err *e);
int api_cb_binding_create(struct api *a, struct call *c, json_t **out, struct err *e);

/* api_staff.c */
int api_staff_post(struct api *a, struct call *c, json_t **out, struct err *e);
int api_staff_list(struct api *a, struct call *c, json_t **out, struct err *e);

/* api_cases.c */
int api_cases_init(struct api *a, struct err *e);
void api_cases_cleanup(struct api *a);
int api_cases_post(struct api *a, struct call *c, json_t **out, struct err *e);
int api_kiosk_reserve(struct api *a, struct call *c, json_t **out, struct err *e);
int api_kiosk_case(struct api *a, struct call *c, json_t **out, struct err *e);
int api_kiosk_notices(struct api *a, struct call *c, json_t **out, struct err *e);
int api_cases_find(struct api *a, struct call *c, json_t **out, struct err *e);
int api_case_get(struct api *a, struct call *c, json_t **out, struct err *e);
int api_case_transition(struct api *a, struct call *c, json_t **out, struct err *e);
int api_case_note(struct api *a, struct call *c, json_t **out, struct err *e);
int api_case_class(struct api *a, struct call *c, json_t **out, struct err *e);
int api_case_qr(struct api *a, struct call *c, json_t **out, struct err *e);
int api_case_stats(struct api *a, struct call *c, json_t **out, struct err *e);
int api_track_json(struct api *a, struct call *c, json_t **out, struct err *e);
int api_track_page(struct api *a, struct call *c, json_t **out, struct err *e);
int api_track_qr(struct api *a, struct call *c, json_t **out, struct err *e);
/* The account behind the token in c->params[0]; ERR_NOTFOUND also when rate-limited. */
int api_track_account(struct api *a, struct call *c, char account[64], struct err *e);
/* api_visits.c: a resident's SMS reply handed to the surveys and appointments (ctx: api). */
int api_visit_reply(void *ctx, struct store *s, const char *phone, const char *text, int64_t now_ms,
		    struct err *e);
int api_appt_book(struct api *a, struct call *c, json_t **out, struct err *e);
int api_appt_change(struct api *a, struct call *c, json_t **out, struct err *e);
int api_survey_answer(struct api *a, struct call *c, json_t **out, struct err *e);
int api_visit_tasks(struct api *a, struct call *c, json_t **out, struct err *e);
int api_track_survey(struct api *a, struct call *c, json_t **out, struct err *e);
int api_track_appt(struct api *a, struct call *c, json_t **out, struct err *e);
/* api_cases.c: whether the client is over the tracking pages' rate limit; a static page
 * (tracking_page_not_found, ...) as the answer with status. */
bool api_track_limited(struct api *a, struct call *c);
int api_track_page_status(struct call *c, int status, const char *page, struct err *e);

/* api_callbacks.c: the binding QR page behind the tracking page's "follow in WeChat". */
int api_track_wechat(struct api *a, struct call *c, json_t **out, struct err *e);

#endif
