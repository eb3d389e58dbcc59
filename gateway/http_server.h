/* http_server: the one file that speaks libmicrohttpd.
 * Owns: listening, reading request bodies up to a per-route limit (413 beyond it, without
 * reading the rest into memory), and sending responses. Knows nothing about routes, JSON or
 * keys: it hands a complete request to one handler function and sends what it returns. */
#ifndef GATEWAY_HTTP_SERVER_H
#define GATEWAY_HTTP_SERVER_H

#include <stddef.h>

#include "err.h"

struct http_in {
	const char *method;
	const char *path;
	const char *authorization; /* header value or NULL */
	const char *content_type; /* header value or NULL */
	const char *body; /* NUL-terminated copy of the body ("" when none) */
	size_t body_len;
	void *conn; /* for http_in_query */
	const char *client; /* the peer's address as text ("127.0.0.1"), for rate limits */
};

struct http_out {
	int status;
	const char *content_type; /* static string */
	char *body; /* malloc'd, freed by the server */
	size_t body_len;
	char disposition[128]; /* Content-Disposition when not "" (downloads) */
	const char *cache_control; /* static; NULL: "no-store" */
};

/* Value of a query parameter, or NULL. */
const char *http_in_query(const struct http_in *in, const char *name);

struct http_server_opts {
	const char *host;
	int port;
	int threads;
	/* Largest body accepted for this method and path. */
	size_t (*body_limit)(void *ctx, const char *method, const char *path);
	/* Fills out for in; out->body may stay NULL. */
	void (*handle)(void *ctx, const struct http_in *in, struct http_out *out);
	/* Called for requests refused by the server itself (413), for metrics. */
	void (*refused)(void *ctx, const char *method, const char *path, int status);
	void *ctx;
};

struct http_server;

int http_server_start(const struct http_server_opts *opts, struct http_server **out, struct err *e);
/* Stops accepting, waits for running handlers, frees. */
void http_server_stop(struct http_server *srv);

#endif
