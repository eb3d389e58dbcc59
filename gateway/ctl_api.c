/* ctl_api: gatewayctl's requests to gatewayd, over http_client's blocking fetch.
 * One request at a time; the answer is read whole (http_client caps it at 1 MiB). The key
 * travels only in the Authorization header and is wiped from the request after the call.
 * JSON calls and raw downloads share the round trip and the wording of every failure. */
#include "ctl_api.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_util.h"
#include "http_client.h"

/* http_client truncates answers here; a cut JSON answer is reported with this in mind. */
#define ANSWER_CAP (1024 * 1024)

int ctl_api_init(struct ctl_api *api, const char *url, const char *key, struct err *e)
{
	char norm[sizeof(api->url)];
	int rc;

	if (key != NULL && key[0] == '\0')
		key = NULL;
	if (key != NULL && !ctl_key_usable(key))
		return err_set(e, ERR_INVALID, "key",
			       "the API key (from --key or GATEWAY_KEY) contains a space, a line "
			       "break or another character a key never has; copy it again from "
			       "the output of `gatewayctl key create`");
	rc = ctl_url_normalize(url, norm, sizeof(norm), e);
	if (rc < 0)
		return rc;
	memcpy(api->url, norm, sizeof(norm));
	api->key = key;
	return 0;
}

static int add_headers(struct http_request *req, const struct ctl_api *api, const char *ctype,
		       const char *accept, struct err *e)
{
	char auth[480];
	int rc = 0;

	if (api->key != NULL) {
		snprintf(auth, sizeof(auth), "Bearer %s", api->key);
		rc = http_request_header(req, "Authorization", auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (rc == 0 && ctype != NULL)
		rc = http_request_header(req, "Content-Type", ctype);
	if (rc == 0)
		rc = http_request_header(req, "Accept", accept);
	if (rc < 0)
		return err_set(e, ERR_INTERNAL, NULL, "cannot add the request headers");
	return 0;
}

/* One round trip: *resp gets the answer or the transport error (the caller cleans it up in
 * every case). Takes ownership of body. */
static int fetch(const struct ctl_api *api, const char *method, const char *path, const char *ctype,
		 const char *accept, char *body, size_t len, int timeout_ms,
		 struct http_response *resp, struct err *e)
{
	struct http_request req;
	char url[sizeof(req.url)];
	int rc;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", api->url, path) >= sizeof(url)) {
		free(body);
		return err_set(e, ERR_TOOBIG, NULL, "the request URL is longer than %zu bytes",
			       sizeof(url) - 1);
	}
	http_request_init(&req, method, url);
	req.body = body;
	req.body_len = body ? len : 0;
	req.timeout_ms = timeout_ms;
	rc = add_headers(&req, api, ctype, accept, e);
	if (rc == 0)
		rc = http_fetch(&req, resp, e);
	explicit_bzero(req.headers, sizeof(req.headers));
	http_request_cleanup(&req);
	return rc;
}

/* A transport failure or a non-2xx answer as the operator's sentence; 0 for a 2xx answer. */
static int answer_failure(const struct ctl_api *api, const char *method,
			  const struct http_response *resp, int timeout_ms, struct err *e)
{
	bool writes = strcmp(method, "GET") != 0;

	if (resp->transport_error && resp->timed_out)
		return err_set(e, ERR_IO, NULL,
			       "the gateway at %s did not answer within %d s (%s)%s", api->url,
			       timeout_ms / 1000, resp->error,
			       writes ? "; the request may still have been carried out: check "
					"before sending it again"
				      : "");
	if (resp->transport_error)
		return err_set(e, ERR_IO, NULL,
			       "cannot reach the gateway at %s: %s; is gatewayd running?", api->url,
			       resp->error);
	if (resp->status < 200 || resp->status > 299)
		return ctl_api_error(resp->status, resp->body, api->key != NULL, e);
	return 0;
}

/* Transport failure, API error or JSON: what the operator gets to read. */
static int read_answer(const struct ctl_api *api, const char *method,
		       const struct http_response *resp, int timeout_ms, json_t **out,
		       struct err *e)
{
	json_t *root = NULL;
	json_error_t jerr;
	int rc = answer_failure(api, method, resp, timeout_ms, e);

	if (rc < 0)
		return rc;
	if (resp->body != NULL && resp->body_len > 0) {
		root = json_loadb(resp->body, resp->body_len, 0, &jerr);
		if (root == NULL)
			return err_set(e, ERR_IO, NULL,
				       "the gateway's answer is not JSON "
				       "(line %d: %s)%s",
				       jerr.line, jerr.text,
				       resp->body_len >= ANSWER_CAP ? "; it was cut at 1 MiB: ask "
								      "for less, e.g. with --limit"
								    : "");
	}
	*out = root;
	return 0;
}

int ctl_api_call(const struct ctl_api *api, const char *method, const char *path, const char *ctype,
		 char *body, size_t len, int timeout_ms, json_t **out, struct err *e)
{
	struct http_response resp;
	int rc;

	memset(&resp, 0, sizeof(resp));
	rc = fetch(api, method, path, ctype, "application/json", body, len, timeout_ms, &resp, e);
	if (rc == 0)
		rc = read_answer(api, method, &resp, timeout_ms, out, e);
	http_response_cleanup(&resp);
	return rc;
}

int ctl_api_json(const struct ctl_api *api, const char *method, const char *path, const json_t *req,
		 int timeout_ms, json_t **out, struct err *e)
{
	char *body = NULL;

	if (req != NULL) {
		/* jansson allocates with malloc unless told otherwise, as ctl_api_call needs. */
		body = json_dumps(req, JSON_COMPACT);
		if (body == NULL)
			return err_set(e, ERR_NOMEM, NULL, "out of memory building the request");
	}
	return ctl_api_call(api, method, path, req ? "application/json" : NULL, body,
			    body ? strlen(body) : 0, timeout_ms, out, e);
}

int ctl_api_raw(const struct ctl_api *api, const char *path, const char *accept, int timeout_ms,
		char **body, size_t *len, long *status, struct err *e)
{
	struct http_response resp;
	int rc;

	memset(&resp, 0, sizeof(resp));
	rc = fetch(api, "GET", path, NULL, accept, NULL, 0, timeout_ms, &resp, e);
	if (rc == 0)
		rc = answer_failure(api, "GET", &resp, timeout_ms, e);
	if (rc == 0 && resp.body_len >= ANSWER_CAP)
		rc = err_set(e, ERR_TOOBIG, NULL,
			     "the gateway's answer was cut at 1 MiB; ask for less (a shorter "
			     "period)");
	/* An empty answer still gives the caller a string it can free and print. */
	if (rc == 0 && resp.body == NULL && (resp.body = calloc(1, 1)) == NULL)
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory reading the answer");
	if (rc == 0) {
		*body = resp.body;
		*len = resp.body_len;
		if (status != NULL)
			*status = resp.status;
		resp.body = NULL;
	}
	http_response_cleanup(&resp);
	return rc;
}

/* Writes data to path ("-": stdout) through a temporary file. */
static int write_file(const char *path, const char *data, size_t len, struct err *e)
{
	char tmp[1024];
	FILE *f;
	bool ok;
	int rc;

	if (strcmp(path, "-") == 0)
		return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0
			? 0
			: err_set(e, ERR_IO, NULL, "cannot write to stdout");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return err_set(e, ERR_INVALID, NULL, "the file name is too long");
	if ((f = fopen(tmp, "wb")) == NULL)
		return err_set(e, ERR_IO, NULL, "cannot create %s: %s", tmp, strerror(errno));
	ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (ok && rename(tmp, path) == 0)
		return 0;
	rc = err_set(e, ERR_IO, NULL, "cannot write %s: %s", path, strerror(errno));
	remove(tmp);
	return rc;
}

int ctl_api_download(const struct ctl_api *api, const char *path, const char *accept,
		     const char *file, size_t *len, struct err *e)
{
	char *body = NULL;
	size_t n = 0;
	int rc = ctl_api_raw(api, path, accept, CTL_API_TIMEOUT_MS, &body, &n, NULL, e);

	if (rc == 0)
		rc = write_file(file, body, n, e);
	if (rc == 0 && len != NULL)
		*len = n;
	free(body);
	return rc;
}
