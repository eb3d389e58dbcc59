/* ctl_api: gatewayctl's requests to gatewayd, over http_client's blocking fetch.
 * One request at a time; the answer is read whole (http_client caps it at 1 MiB). The key
 * travels only in the Authorization header and is wiped from the request after the call. */
#include "ctl_api.h"

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
		       struct err *e)
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
		rc = http_request_header(req, "Accept", "application/json");
	if (rc < 0)
		return err_set(e, ERR_INTERNAL, NULL, "cannot add the request headers");
	return 0;
}

/* Transport failure, API error or JSON: what the operator gets to read. */
static int read_answer(const struct ctl_api *api, const char *method,
		       const struct http_response *resp, int timeout_ms, json_t **out,
		       struct err *e)
{
	bool writes = strcmp(method, "GET") != 0;
	json_t *root = NULL;
	json_error_t jerr;

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
	struct http_request req;
	struct http_response resp;
	char url[sizeof(req.url)];
	int rc;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", api->url, path) >= sizeof(url)) {
		free(body);
		return err_set(e, ERR_TOOBIG, NULL, "the request URL is longer than %zu bytes",
			       sizeof(url) - 1);
	}
	memset(&resp, 0, sizeof(resp));
	http_request_init(&req, method, url);
	req.body = body;
	req.body_len = body ? len : 0;
	req.timeout_ms = timeout_ms;
	rc = add_headers(&req, api, ctype, e);
	if (rc < 0)
		goto out;
	rc = http_fetch(&req, &resp, e);
	if (rc < 0)
		goto out;
	rc = read_answer(api, method, &resp, timeout_ms, out, e);
out:
	explicit_bzero(req.headers, sizeof(req.headers));
	http_request_cleanup(&req);
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
