/* gw_client: the kiosk's HTTP calls to the gateway; see gw_client.h for the contract.
 * The kiosk's one libcurl file (the gateway's http_client.c lives in gateway/, which the
 * kiosk never links). One easy handle per client, reused so that the connection is kept
 * alive; the kiosk loop is single-threaded. Redirects are not followed: the key must only go
 * to the configured base. Answers are capped at 1 MiB; a longer one is treated as garbage.
 * Every outcome is one of: the answer (200/201); ERR_INVALID (400, 409), ERR_FORBIDDEN
 * (401, 403) or ERR_NOTFOUND (404): the gateway said no, show its message; ERR_IO for all
 * else (no usable answer: keep the request spooled and retry).
 * Never logs; the key sits only in the header list. */
#include "gw_client.h"

#include <assert.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_BODY_CAP (1024 * 1024)
#define GW_DEFAULT_TIMEOUT_MS 10000
#define GW_CONNECT_MS 3000
#define GW_BASE_MAX 256
#define GW_URL_MAX 1024

struct gw_client {
	CURL *h;
	struct curl_slist *headers; /* carries the key */
	char base[GW_BASE_MAX]; /* without a trailing '/' */
	char errbuf[CURL_ERROR_SIZE];
	long timeout_ms;
	char *resp; /* the last answer, NUL-terminated; kept between calls */
	size_t resp_len, resp_cap;
	int global_ok; /* curl_global_init succeeded and needs its cleanup */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct gw_client *c = userp;
	size_t n = size * nmemb;
	size_t cap = c->resp_cap ? c->resp_cap : 4096;
	char *p;

	/* Returning less than n ends the transfer with CURLE_WRITE_ERROR: ERR_IO. */
	if (n > GW_BODY_CAP - c->resp_len)
		return 0;
	while (cap < c->resp_len + n + 1)
		cap *= 2;
	if (cap != c->resp_cap) {
		if ((p = realloc(c->resp, cap)) == NULL)
			return 0;
		c->resp = p;
		c->resp_cap = cap;
	}
	memcpy(c->resp + c->resp_len, data, n);
	c->resp_len += n;
	c->resp[c->resp_len] = '\0';
	return n;
}

static int check_args(const char *base, const char *key, struct err *e)
{
	if (base == NULL || strlen(base) >= GW_BASE_MAX ||
	    (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0))
		return err_set(e, ERR_INVALID, "base",
			       "the gateway address must start with https:// (or http:// for a "
			       "test) and be shorter than %d bytes, e.g. https://gw.example.com",
			       GW_BASE_MAX);
	/* CR or LF in the key would let it smuggle another header into every request. */
	if (key == NULL || key[0] == '\0' || strpbrk(key, "\r\n") != NULL)
		return err_set(e, ERR_INVALID, "key",
			       "the kiosk's API key is empty or holds a line break");
	return 0;
}

/* The header list: the key, the body type, and an empty Expect, since libcurl's
 * "Expect: 100-continue" would stall every body over 1 KiB by a round trip. */
static struct curl_slist *make_headers(const char *key)
{
	static const char *const fixed[] = { "Content-Type: application/json",
					     "Accept: application/json", "Expect:" };
	size_t n = strlen("Authorization: Bearer ") + strlen(key) + 1;
	char *auth = malloc(n);
	struct curl_slist *l = NULL, *t;

	if (auth == NULL)
		return NULL;
	snprintf(auth, n, "Authorization: Bearer %s", key);
	l = curl_slist_append(NULL, auth);
	/* The copy on the heap held the key; clear it before giving the memory back. */
	memset(auth, 0, n);
	free(auth);
	for (size_t i = 0; l != NULL && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((t = curl_slist_append(l, fixed[i])) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

static int set_options(struct gw_client *c)
{
	long connect = c->timeout_ms < GW_CONNECT_MS ? c->timeout_ms : GW_CONNECT_MS;
	int bad = 0;

	/* No signals: the resolver must not use SIGALRM under the kiosk's event loop. */
	bad |= curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK;
	bad |= curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, c->timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, connect) != CURLE_OK;
	return bad ? -1 : 0;
}

int gw_client_new(const char *base, const char *key, int timeout_ms, struct gw_client **out,
		  struct err *e)
{
	struct gw_client *c = NULL;
	size_t n;
	int rc = check_args(base, key, e);

	if (rc < 0)
		return rc;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory creating the gateway client");
	/* curl_global_init counts its callers; each client pairs it with one cleanup. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = err_set(e, ERR_INTERNAL, NULL, "libcurl failed to initialise");
		goto out;
	}
	c->global_ok = 1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : GW_DEFAULT_TIMEOUT_MS;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	memcpy(c->base, base, n);
	c->base[n] = '\0';
	if ((c->h = curl_easy_init()) == NULL || (c->headers = make_headers(key)) == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory creating the gateway client");
		goto out;
	}
	if (set_options(c) < 0) {
		rc = err_set(e, ERR_INTERNAL, NULL,
			     "libcurl refused a basic option; is libcurl older than 7.85?");
		goto out;
	}
	*out = c;
	c = NULL;
out:
	gw_client_free(c);
	return rc;
}

void gw_client_free(struct gw_client *c)
{
	if (c == NULL)
		return;
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->headers);
	free(c->resp);
	if (c->global_ok)
		curl_global_cleanup();
	free(c);
}

/* The gateway's {"error":{"message","field"}} as e, with code; a default when it has none. */
static int refused(const json_t *ans, int code, long status, struct err *e)
{
	const json_t *eo = json_object_get(ans, "error");
	const char *msg = json_string_value(json_object_get(eo, "message"));
	const char *field = json_string_value(json_object_get(eo, "field"));

	if (msg != NULL && msg[0] != '\0')
		return err_set(e, code, field, "%s", msg);
	return err_set(e, code, field, "the gateway refused the request (HTTP %ld)", status);
}

/* Maps the HTTP status and the answer in c->resp to *out or an error. */
static int classify(struct gw_client *c, long status, json_t **out, struct err *e)
{
	json_error_t jerr;
	json_t *ans = json_loadb(c->resp ? c->resp : "", c->resp_len, 0, &jerr);
	int rc;

	if (status == 200 || status == 201) {
		if (json_is_object(ans)) {
			*out = ans;
			return 0;
		}
		rc = err_set(e, ERR_IO, NULL,
			     "gateway unreachable: its answer (HTTP %ld) is not a JSON object: %s",
			     status, ans ? "another JSON value" : jerr.text);
	} else if (status == 401 || status == 403) {
		rc = refused(ans, ERR_FORBIDDEN, status, e);
	} else if (status == 404) {
		rc = refused(ans, ERR_NOTFOUND, status, e);
	} else if (status == 400 || status == 409) {
		rc = refused(ans, ERR_INVALID, status, e);
	} else {
		/* 5xx, a redirect (not followed), 429, and whatever else a proxy in between may
		 * say (405, 413): ERR_IO keeps a spooled request for a later try, whereas a
		 * refusal would let the caller drop it, and nothing may be lost. */
		rc = err_set(e, ERR_IO, NULL, "gateway unreachable: it answered HTTP %ld", status);
	}
	json_decref(ans);
	return rc;
}

/* One request: method is implied by body (POST when given, else GET). */
static int call(struct gw_client *c, const char *path, const char *body, json_t **out,
		struct err *e)
{
	char url[GW_URL_MAX];
	long status = 0;
	CURLcode cc;
	int n = snprintf(url, sizeof(url), "%s%s", c->base, path);

	if (n < 0 || (size_t)n >= sizeof(url))
		return err_set(e, ERR_INVALID, NULL, "the gateway URL would exceed %d bytes",
			       GW_URL_MAX - 1);
	c->resp_len = 0;
	c->errbuf[0] = '\0';
	if (body != NULL) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
	} else {
		/* Drop the last request's body pointer (the caller's, long gone), then GET. */
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	cc = curl_easy_perform(c->h);
	if (cc == CURLE_WRITE_ERROR)
		return err_set(e, ERR_IO, NULL,
			       "gateway unreachable: its answer is over %d bytes or out of memory",
			       GW_BODY_CAP);
	if (cc != CURLE_OK)
		return err_set(e, ERR_IO, NULL, "gateway unreachable: %s",
			       c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	return classify(c, status, out, e);
}

int gw_client_reserve(struct gw_client *c, int count, json_t **out, struct err *e)
{
	char body[32];

	if (count < 1 || count > 200)
		return err_set(e, ERR_INVALID, "count", "count must be from 1 to 200");
	snprintf(body, sizeof(body), "{\"count\":%d}", count);
	return call(c, "/api/v1/kiosk/reservations", body, out, e);
}

int gw_client_send_case(struct gw_client *c, const char *body, json_t **out, struct err *e)
{
	assert(body != NULL);
	return call(c, "/api/v1/cases", body, out, e);
}

/* GET prefix + value, the value percent-encoded so that a typed '/', '?' or space cannot
 * change the path. */
static int get_with(struct gw_client *c, const char *prefix, const char *value, const char *field,
		    json_t **out, struct err *e)
{
	char path[256];
	char *esc = NULL;
	int rc = 0, n;

	if (value == NULL || value[0] == '\0' || strlen(value) > 64)
		return err_set(e, ERR_INVALID, field, "%s must have 1 to 64 characters", field);
	esc = curl_easy_escape(c->h, value, 0);
	if (esc == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory encoding the %s", field);
	n = snprintf(path, sizeof(path), "%s%s", prefix, esc);
	if (n < 0 || (size_t)n >= sizeof(path))
		rc = err_set(e, ERR_INVALID, field, "the %s is too long", field);
	else
		rc = call(c, path, NULL, out, e);
	curl_free(esc);
	return rc;
}

int gw_client_lookup(struct gw_client *c, const char *number, json_t **out, struct err *e)
{
	return get_with(c, "/api/v1/kiosk/cases/", number, "number", out, e);
}

int gw_client_notices(struct gw_client *c, const char *area, json_t **out, struct err *e)
{
	return get_with(c, "/api/v1/kiosk/notices?area=", area, "area", out, e);
}
