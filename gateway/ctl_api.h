/* ctl_api: how gatewayctl talks to gatewayd.
 * Owns: one request/answer round trip over http_client's blocking fetch with the API key
 * attached, turning a transport failure or an API error into one sentence for the operator,
 * and parsing the JSON answer. Called by gatewayctl.c and ctl_notice.c.
 * Never prints, and never puts the key into a message. */
#ifndef GATEWAY_CTL_API_H
#define GATEWAY_CTL_API_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* Transfer limits: reads answer at once; imports and notices write many rows first. */
#define CTL_API_TIMEOUT_MS 15000
#define CTL_API_SLOW_TIMEOUT_MS 600000

struct ctl_api {
	char url[512]; /* base URL, no trailing slash */
	const char *key; /* API key or NULL; not owned */
};

/* Checks and copies url (see ctl_url_normalize) and keeps key (may be NULL or ""), which
 * must outlive api. ERR_INVALID when the URL or the key cannot be used. */
int ctl_api_init(struct ctl_api *api, const char *url, const char *key, struct err *e);

/* Sends method path (e.g. "/api/v1/notices?dry_run=1", already escaped) with body of
 * content type ctype (body and ctype may be NULL; takes ownership of body, which must come
 * from malloc). On a 2xx answer *out gets the parsed JSON (NULL for an empty body; caller
 * decrefs). Otherwise returns a negative code with e->msg ready to print: the API's message
 * and field, or "cannot reach the gateway at URL: ...; is gatewayd running?". */
int ctl_api_call(const struct ctl_api *api, const char *method, const char *path, const char *ctype,
		 char *body, size_t len, int timeout_ms, json_t **out, struct err *e);

/* ctl_api_call with body the compact JSON text of req (not stolen; NULL for none). */
int ctl_api_json(const struct ctl_api *api, const char *method, const char *path, const json_t *req,
		 int timeout_ms, json_t **out, struct err *e);

#endif
