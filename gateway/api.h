/* api: the HTTP API's routes, roles and JSON errors.
 * Owns: the const route table (method, pattern, permission, handler), key checks, body
 * decoding (UTF-8, JSON with line/column errors), the mapping from error codes to HTTP
 * statuses and the pool of store connections that handlers borrow. Handlers call the
 * domain modules (residents, notices) and the store; they never format SQL or touch MHD. */
#ifndef GATEWAY_API_H
#define GATEWAY_API_H

#include <stddef.h>

#include "clock.h"
#include "config.h"
#include "err.h"
#include "http_server.h"
#include "metrics.h"
#include "templates.h"

struct api;

int api_new(const struct gw_config *cfg, const struct templates *tmpl, const struct clock *clock,
	    struct metrics *metrics, struct api **out, struct err *e);
void api_free(struct api *a);
/* Fills the callbacks and ctx of opts for http_server_start. */
void api_server_opts(struct api *a, struct http_server_opts *opts);
struct wx_token;
/* The WeChat account's token holder, shared with the WeChat worker (the daemon owns it);
 * without one, binding QR codes are refused. */
void api_use_wx_token(struct api *a, struct wx_token *t);
struct cases_env;
/* The case rules, calendar and templates the case endpoints use (copied; what it points to
 * must outlive the API). Without it the case endpoints answer 503. */
void api_use_cases(struct api *a, const struct cases_env *env);

#endif
