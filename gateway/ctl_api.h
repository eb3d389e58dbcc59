/* ctl_api: how gatewayctl talks to gatewayd.
 * Owns: one request/answer round trip over http_client's blocking fetch with the API key
 * attached, turning a transport failure or an API error into one sentence for the operator,
 * and parsing the JSON answer; and the downloads that are not JSON (a CSV, a QR image),
 * read whole or saved to a file. Called by the ctl_*.c commands.
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

/* GETs path asking for accept ("text/csv", "image/png"), for answers that are not JSON. On
 * a 2xx answer *body gets the bytes (malloc'd and NUL-terminated; caller frees), *len their
 * count and *status the HTTP status (status may be NULL). Errors read like ctl_api_call's;
 * ERR_TOOBIG when the answer reached http_client's 1 MiB cap, since a cut file is worse
 * than none. The outputs are written only on success. */
int ctl_api_raw(const struct ctl_api *api, const char *path, const char *accept, int timeout_ms,
		char **body, size_t *len, long *status, struct err *e);

/* ctl_api_raw, then the bytes into file ("-": stdout) through "FILE.tmp" renamed into
 * place, so that a failure never leaves half a file under the name asked for. *len (may
 * be NULL) gets the number of bytes written. ERR_IO when the file cannot be written. */
int ctl_api_download(const struct ctl_api *api, const char *path, const char *accept,
		     const char *file, size_t *len, struct err *e);

#endif
