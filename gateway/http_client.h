/* http_client: the one file of gatewayd and gatewayctl that speaks libcurl (the kiosk has
 * its own, kiosk/gw_client.c).
 * Owns: outgoing HTTP: a non-blocking multi handle for the workers (many requests in flight,
 * connections kept alive) and a blocking fetch for the CLI and tests. Knows nothing about
 * providers or messages: a request in, a response (or transport error) out.
 * Never logs bodies or headers (they carry personal data and secrets). */
#ifndef GATEWAY_HTTP_CLIENT_H
#define GATEWAY_HTTP_CLIENT_H

#include <stddef.h>

#include "err.h"

#define HTTP_MAX_HEADERS 12

struct http_request {
	char url[1024];
	char method[8]; /* "GET", "POST", "PUT", "DELETE" */
	char headers[HTTP_MAX_HEADERS][512]; /* "Name: value" */
	int nheaders;
	char *body; /* owned; freed by http_request_cleanup */
	size_t body_len;
	int timeout_ms; /* whole transfer; 0 = 10000 */
	int connect_timeout_ms; /* 0 = min(timeout, 3000) */
	/* 1 = do not verify the server's TLS certificate or host name. Set only when the
	 * provider's configuration says tls_verify = off (a test server with a self-signed
	 * certificate); http_request_init clears it, and it applies to this request alone. */
	int insecure;
};

struct http_response {
	int transport_error; /* 0 when an HTTP answer came back */
	int timed_out; /* transport_error was a timeout */
	char error[160]; /* curl's text for a transport error */
	long status; /* HTTP status, 0 on transport error */
	int retry_after_ms; /* from a Retry-After header (seconds form), else 0 */
	char *body; /* NUL-terminated, owned; capped at 1 MiB (longer: truncated) */
	size_t body_len;
};

void http_request_init(struct http_request *req, const char *method, const char *url);
/* Appends "Name: value"; ERR_TOOBIG when full. */
int http_request_header(struct http_request *req, const char *name, const char *value);
void http_request_cleanup(struct http_request *req);
void http_response_cleanup(struct http_response *resp);

/* Blocking: sends req and fills *resp (caller cleans it up). Returns 0 whenever a response
 * or a transport error was recorded in resp; negative only for set-up failure. */
int http_fetch(const struct http_request *req, struct http_response *resp, struct err *e);

struct http_client; /* a curl multi handle plus its transfers */

typedef void (*http_done_fn)(void *tag, struct http_response *resp, void *arg);

int http_client_new(int max_host_conns, struct http_client **out, struct err *e);
void http_client_free(struct http_client *c); /* aborts transfers still in flight */
/* Starts req (takes ownership of req->body; req itself may be reused by the caller). */
int http_client_start(struct http_client *c, struct http_request *req, void *tag, struct err *e);
/* Drives transfers for at most timeout_ms, calling done for each finished one (resp is
 * cleaned up by the client after done returns). Returns the number still in flight. */
int http_client_poll(struct http_client *c, int timeout_ms, http_done_fn done, void *arg);
int http_client_inflight(const struct http_client *c);

#endif
