/* http_client: outgoing HTTP, and the only file that includes <curl/curl.h>.
 * Called by the worker (the multi client: many transfers in flight over kept-alive
 * connections) and by gatewayctl and tests (http_fetch, blocking). Knows nothing about
 * providers or messages. Must never log URLs, headers or bodies: they carry access tokens,
 * signatures and phone numbers. A client belongs to one thread at a time (libcurl multi
 * handles are not thread-safe); http_fetch may run in any thread.
 * Performance: a finished transfer goes back on a free list with its easy handle, header
 * nodes and response buffer, so a busy worker allocates nothing per request beyond the body
 * the provider built and what libcurl does inside. */
#include "http_client.h"

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_CAP (1024 * 1024) /* response bytes kept; the rest is read and dropped */
#define BODY_FIRST 1024 /* first response buffer; doubles as needed */
#define BODY_KEEP (64 * 1024) /* bigger buffers are given back when a transfer is recycled */
#define FREE_MAX 256 /* idle transfers kept for reuse */
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_CONNECT_MS 3000
#define RETRY_AFTER_MAX_S (INT_MAX / 1000)

/* One transfer: an easy handle and everything libcurl points into while it runs. */
struct xfer {
	CURL *easy;
	void *tag;
	char *body; /* request body, owned (multi client only) */
	struct http_response resp;
	size_t resp_cap; /* bytes allocated at resp.body */
	/* libcurl does not copy a header list, and the caller may reuse its request at once,
	 * so the headers are copied here and linked without allocating. One extra node turns
	 * off "Expect: 100-continue", which would stall every body over 1 KiB by a round trip
	 * (or a whole second against servers that ignore it). */
	struct curl_slist hdr_nodes[HTTP_MAX_HEADERS + 1];
	char hdrs[HTTP_MAX_HEADERS][sizeof(((struct http_request *)0)->headers[0])];
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *prev, *next; /* in the client's active list, or next in its free list */
};

struct http_client {
	CURLM *multi;
	struct xfer *active; /* transfers added to multi, doubly linked */
	struct xfer *idle; /* recycled transfers, linked by next */
	int inflight;
	int nidle;
};

/* curl_global_init is not thread-safe and must run once per process before any handle.
 * pthread_once provides exactly that; global_rc is written once, inside the once routine,
 * and only read afterwards, so it is set-once initialisation rather than mutable global
 * state in the STYLE sense. */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int global_ready(struct err *e)
{
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return err_set(e, ERR_INTERNAL, NULL,
			       "libcurl failed to initialise (%s); check the libcurl and TLS "
			       "libraries installed",
			       curl_easy_strerror(global_rc));
	return 0;
}

void http_request_init(struct http_request *req, const char *method, const char *url)
{
	size_t n = strlen(url);

	/* A URL that does not fit is left empty rather than cut short: the transfer then fails
	 * with libcurl's "URL using bad/illegal format or missing URL" instead of going to a
	 * truncated address. */
	if (n < sizeof(req->url))
		memcpy(req->url, url, n + 1);
	else
		req->url[0] = '\0';
	snprintf(req->method, sizeof(req->method), "%s", method);
	req->nheaders = 0;
	req->body = NULL;
	req->body_len = 0;
	req->timeout_ms = 0;
	req->connect_timeout_ms = 0;
	req->insecure = 0;
}

int http_request_header(struct http_request *req, const char *name, const char *value)
{
	int n;

	if (req->nheaders >= HTTP_MAX_HEADERS)
		return ERR_TOOBIG;
	/* CR or LF would let a value smuggle another header, or a body, into the request. */
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return ERR_INVALID;
	n = snprintf(req->headers[req->nheaders], sizeof(req->headers[0]), "%s: %s", name, value);
	if (n < 0 || (size_t)n >= sizeof(req->headers[0]))
		return ERR_TOOBIG;
	req->nheaders++;
	return 0;
}

void http_request_cleanup(struct http_request *req)
{
	if (req == NULL)
		return;
	free(req->body);
	req->body = NULL;
	req->body_len = 0;
}

void http_response_cleanup(struct http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

/* Makes room for need bytes at resp.body (need <= BODY_CAP + 1). */
static int body_reserve(struct xfer *x, size_t need)
{
	size_t cap = x->resp_cap > 0 && x->resp.body != NULL ? x->resp_cap : BODY_FIRST;
	char *p;

	if (x->resp.body != NULL && need <= x->resp_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > BODY_CAP + 1)
		cap = BODY_CAP + 1;
	p = realloc(x->resp.body, cap);
	if (p == NULL)
		return ERR_NOMEM;
	x->resp.body = p;
	x->resp_cap = cap;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb;
	size_t room = BODY_CAP - x->resp.body_len;
	size_t take = n < room ? n : room;

	/* Past the cap the rest is read and dropped: the status still counts, and the
	 * transfer's timeout bounds how long a huge answer can keep us busy. */
	if (take == 0)
		return n;
	if (body_reserve(x, x->resp.body_len + take + 1) < 0)
		return 0; /* out of memory: libcurl ends the transfer with CURLE_WRITE_ERROR */
	memcpy(x->resp.body + x->resp.body_len, data, take);
	x->resp.body_len += take;
	x->resp.body[x->resp.body_len] = '\0';
	return n;
}

/* Retry-After in its seconds form; the HTTP-date form gives 0 (the caller's default). */
static int parse_retry_after(const char *s, size_t n)
{
	size_t i = 0;
	long v = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > RETRY_AFTER_MAX_S)
			v = RETRY_AFTER_MAX_S;
	}
	return (int)v * 1000;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userp)
{
	static const char name[] = "Retry-After:";
	struct xfer *x = userp;
	size_t n = size * nitems;

	/* A status line starts a new response (after a 100 Continue, say): forget the last. */
	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0)
		x->resp.retry_after_ms = 0;
	else if (n > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0)
		x->resp.retry_after_ms =
			parse_retry_after(line + sizeof(name) - 1, n - (sizeof(name) - 1));
	return n;
}

static void resp_reset(struct http_response *r)
{
	r->transport_error = 0;
	r->timed_out = 0;
	r->error[0] = '\0';
	r->status = 0;
	r->retry_after_ms = 0;
	r->body_len = 0;
	if (r->body != NULL)
		r->body[0] = '\0';
}

static void xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	free(x->body);
	free(x->resp.body);
	free(x);
}

/* A new transfer with the options that never change between requests. */
static int xfer_new(struct xfer **out, struct err *e)
{
	struct xfer *x = calloc(1, sizeof(*x));
	bool bad = false;

	if (x == NULL || (x->easy = curl_easy_init()) == NULL) {
		xfer_free(x);
		return err_set(e, ERR_NOMEM, NULL, "out of memory creating an HTTP transfer");
	}
	/* No signals: the resolver must not use SIGALRM in a threaded daemon. */
	bad |= curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x) != CURLE_OK;
	if (bad) {
		xfer_free(x);
		return err_set(e, ERR_INTERNAL, NULL,
			       "libcurl refused a basic option; is libcurl older than 7.85?");
	}
	*out = x;
	return 0;
}

/* Copies the request's headers into x and links them, plus the "Expect:" suppressor. */
static struct curl_slist *xfer_headers(struct xfer *x, const struct http_request *req)
{
	static const char no_expect[] = "Expect:";
	int n = req->nheaders;

	for (int i = 0; i < n; i++) {
		size_t len = strnlen(req->headers[i], sizeof(x->hdrs[i]) - 1);

		memcpy(x->hdrs[i], req->headers[i], len);
		x->hdrs[i][len] = '\0';
		x->hdr_nodes[i].data = x->hdrs[i];
		x->hdr_nodes[i].next = &x->hdr_nodes[i + 1];
	}
	/* libcurl only reads the list; the cast drops a const it never writes through. */
	x->hdr_nodes[n].data = (char *)no_expect;
	x->hdr_nodes[n].next = NULL;
	return x->hdr_nodes;
}

/* Sets the method and body. Every option is set on every request, because a recycled
 * handle still carries the previous request's. */
static bool xfer_method(CURL *h, const struct http_request *req, const char *body)
{
	bool get = strcmp(req->method, "GET") == 0;
	bool post = strcmp(req->method, "POST") == 0;
	bool bad = false;

	if (body != NULL || post || strcmp(req->method, "PUT") == 0) {
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
					(curl_off_t)(body != NULL ? req->body_len : 0)) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "") !=
			CURLE_OK;
	} else {
		/* Drop the last request's body pointer (it is freed), then switch to GET. */
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	}
	bad |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, get || post ? NULL : req->method) !=
		CURLE_OK;
	return bad;
}

static int xfer_setup(struct xfer *x, const struct http_request *req, const char *body,
		      struct err *e)
{
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
	long connect = req->connect_timeout_ms > 0 ? req->connect_timeout_ms
		: timeout < DEFAULT_CONNECT_MS     ? timeout
						   : DEFAULT_CONNECT_MS;
	CURL *h = x->easy;
	bool bad = false;

	if (req->nheaders < 0 || req->nheaders > HTTP_MAX_HEADERS)
		return err_set(e, ERR_INTERNAL, NULL, "HTTP request has %d headers (at most %d)",
			       req->nheaders, HTTP_MAX_HEADERS);
	x->errbuf[0] = '\0';
	resp_reset(&x->resp);
	bad |= curl_easy_setopt(h, CURLOPT_URL, req->url) != CURLE_OK;
	bad |= xfer_method(h, req, body);
	bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, xfer_headers(x, req)) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect) != CURLE_OK;
	/* Both ways on every request: a recycled handle may come from an insecure one. */
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, req->insecure ? 0L : 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, req->insecure ? 0L : 2L) != CURLE_OK;
	if (bad)
		return err_set(e, ERR_INTERNAL, NULL,
			       "libcurl refused the request options (method %s)", req->method);
	return 0;
}

/* Copies src into dst, cut to fit (curl's messages are ASCII, so any cut is clean). */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Records the outcome of a finished transfer in x->resp. */
static void xfer_finish(struct xfer *x, CURLcode rc)
{
	struct http_response *r = &x->resp;
	long status = 0;

	if (rc != CURLE_OK) {
		r->transport_error = (int)rc;
		r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		r->body_len = 0;
		copy_cut(r->error, sizeof(r->error),
			 x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		r->status = status;
	}
	/* Callers may rely on a string; only an allocation failure leaves body NULL. */
	if (body_reserve(x, r->body_len + 1) == 0)
		r->body[r->body_len] = '\0';
}

int http_fetch(const struct http_request *req, struct http_response *resp, struct err *e)
{
	struct xfer *x = NULL;
	int rc;

	rc = global_ready(e);
	if (rc < 0)
		return rc;
	rc = xfer_new(&x, e);
	if (rc < 0)
		goto out;
	rc = xfer_setup(x, req, req->body, e);
	if (rc < 0)
		goto out;
	xfer_finish(x, curl_easy_perform(x->easy));
	*resp = x->resp;
	x->resp.body = NULL;
out:
	xfer_free(x);
	return rc;
}

int http_client_new(int max_host_conns, struct http_client **out, struct err *e)
{
	struct http_client *c = NULL;
	bool bad = false;
	int rc;

	rc = global_ready(e);
	if (rc < 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->multi = curl_multi_init()) == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory creating the HTTP client");
		goto out;
	}
	bad |= curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
				 (long)(max_host_conns > 0 ? max_host_conns : 0)) != CURLM_OK;
	/* libcurl sizes its idle-connection cache by the transfers running *now*, so as the
	 * load ebbs it would close connections we are about to need again. Keep room for every
	 * allowed connection, twice over for a second host such as a token endpoint. */
	if (max_host_conns > 0)
		bad |= curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
					 (long)max_host_conns * 2) != CURLM_OK;
	if (bad) {
		rc = err_set(e, ERR_INTERNAL, NULL, "libcurl refused the connection limits");
		goto out;
	}
	*out = c;
	c = NULL;
out:
	http_client_free(c);
	return rc;
}

static void active_unlink(struct http_client *c, struct xfer *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		c->active = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	c->inflight--;
}

void http_client_free(struct http_client *c)
{
	struct xfer *x;

	if (c == NULL)
		return;
	while ((x = c->active) != NULL) {
		curl_multi_remove_handle(c->multi, x->easy);
		active_unlink(c, x);
		xfer_free(x);
	}
	while ((x = c->idle) != NULL) {
		c->idle = x->next;
		xfer_free(x);
	}
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	free(c);
}

/* An idle transfer, or a new one. */
static int xfer_get(struct http_client *c, struct xfer **out, struct err *e)
{
	struct xfer *x = c->idle;

	if (x == NULL)
		return xfer_new(out, e);
	c->idle = x->next;
	c->nidle--;
	x->next = NULL;
	*out = x;
	return 0;
}

/* Returns a transfer (already removed from the multi handle) to the idle list. */
static void xfer_put(struct http_client *c, struct xfer *x)
{
	free(x->body);
	x->body = NULL;
	x->tag = NULL;
	if (x->resp_cap > BODY_KEEP || x->resp.body == NULL) {
		free(x->resp.body);
		x->resp.body = NULL;
		x->resp_cap = 0;
	}
	if (c->nidle >= FREE_MAX) {
		xfer_free(x);
		return;
	}
	x->next = c->idle;
	c->idle = x;
	c->nidle++;
}

int http_client_start(struct http_client *c, struct http_request *req, void *tag, struct err *e)
{
	struct xfer *x = NULL;
	int rc;

	rc = xfer_get(c, &x, e);
	if (rc < 0)
		return rc;
	rc = xfer_setup(x, req, req->body, e);
	if (rc < 0)
		goto out;
	if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
		rc = err_set(e, ERR_INTERNAL, NULL, "libcurl refused a new transfer");
		goto out;
	}
	/* The body moves only on success: on failure the caller still owns and frees it. */
	x->body = req->body;
	req->body = NULL;
	req->body_len = 0;
	x->tag = tag;
	x->next = c->active;
	if (c->active != NULL)
		c->active->prev = x;
	c->active = x;
	c->inflight++;
	x = NULL;
out:
	if (x != NULL)
		xfer_put(c, x);
	return rc;
}

/* Hands every finished transfer to done and recycles it; returns how many finished. */
static int drain(struct http_client *c, http_done_fn done, void *arg)
{
	CURLMsg *m;
	int left, n = 0;

	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		char *priv = NULL;
		struct xfer *x;

		if (m->msg != CURLMSG_DONE)
			continue;
		/* m is invalid once the handle is removed: everything needed is copied above. */
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		x = (struct xfer *)(void *)priv;
		xfer_finish(x, rc);
		curl_multi_remove_handle(c->multi, easy);
		active_unlink(c, x);
		done(x->tag, &x->resp, arg);
		xfer_put(c, x);
		n++;
	}
	return n;
}

/* Finished transfers are handed over before waiting, so a caller that polls with a long
 * timeout never sits on answers that are already in. With nothing in flight
 * curl_multi_poll simply waits the timeout, so an idle caller does not spin. */
int http_client_poll(struct http_client *c, int timeout_ms, http_done_fn done, void *arg)
{
	int running = 0;

	curl_multi_perform(c->multi, &running);
	if (drain(c, done, arg) > 0)
		return c->inflight;
	curl_multi_poll(c->multi, NULL, 0, timeout_ms > 0 ? timeout_ms : 0, NULL);
	curl_multi_perform(c->multi, &running);
	drain(c, done, arg);
	return c->inflight;
}

int http_client_inflight(const struct http_client *c)
{
	return c->inflight;
}
