/* api_internal: what the API's files (api.c: routes and dispatch; api_callbacks.c:
 * provider pushes and WeChat; api_staff.c: staff alerts) share. Nobody outside the API
 * includes this file. */
#ifndef GATEWAY_API_INTERNAL_H
#define GATEWAY_API_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "api.h"
#include "store.h"

#define MAX_PARAMS 2

enum body_kind { BODY_NONE, BODY_JSON, BODY_RAW };

struct call {
	const struct http_in *in;
	struct store *store;
	char params[MAX_PARAMS][256];
	json_t *json; /* BODY_JSON routes */
	int status; /* set by the handler, default 200 */
	char *text; /* a text answer instead of JSON (metrics, provider push answers) */
	const char *text_type; /* its content type */
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

#endif
