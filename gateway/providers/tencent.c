/* providers/tencent: Tencent Cloud SMS, SendSms of API 2021-01-11, signed TC3-HMAC-SHA256.
 * Called by the worker through provider_tencent: build() makes one JSON POST for up to 200
 * numbers of one notice (one approved template, the same parameters), classify() gives
 * each number its outcome (the codes in tencent_code.c); parse_receipts/parse_replies read the
 * status and reply pushes (tencent_push.c); the signature is tencent_sign.c's.
 * Never reads the clock (X-TC-Timestamp comes from now_ms); never puts a full number or
 * message text into a reason or a log line. Sources: PROVIDERS.md part 2; "Signature v3"
 * (cloud.tencent.com/document/api/382/52072). */
#include "tencent.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "phone.h"
#include "provider.h"
#include "tencent_internal.h"

#define TENCENT_ENDPOINT "https://sms.tencentcloudapi.com/"
#define TENCENT_REGION "ap-guangzhou"
#define TENCENT_CONTENT_TYPE "application/json"
#define TENCENT_MAX_BATCH 200
#define TENCENT_DEFAULT_TIMEOUT_MS 5000

struct tencent_state {
	struct provider_config cfg; /* key_id, secret, app_id, sign_name, templates */
	char url[sizeof(((struct provider_config *)0)->endpoint) + 1];
	char host[TENCENT_SIGN_FIELD_MAX];
	const char *region;
	int timeout_ms;
};

const char *tencent_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

/* The configuration keys a Tencent provider cannot do without, and what to put there. */
static const struct {
	const char *key;
	size_t off;
	const char *hint;
} required_keys[] = {
	{ "key_id", offsetof(struct provider_config, key_id), "the API key's SecretId (AKID...)" },
	{ "secret", offsetof(struct provider_config, secret), "its SecretKey (or secret_env)" },
	{ "app_id", offsetof(struct provider_config, app_id), "the SmsSdkAppId (1400...)" },
	{ "sign_name", offsetof(struct provider_config, sign_name),
	  "the approved signature text without 【】" },
};

/* url gets the endpoint (with a "/" path when it has none), host its authority part. */
static int endpoint_parts(const char *endpoint, char *url, size_t urlsz, char *host, size_t hostsz)
{
	const char *p = strstr(endpoint, "://");
	size_t n;

	if (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0)
		return -1;
	p += 3;
	n = strcspn(p, "/?#");
	if (n == 0 || n >= hostsz || memchr(p, '@', n) != NULL)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	snprintf(url, urlsz, "%s%s", endpoint, p[n] == '\0' ? "/" : "");
	return 0;
}

static int tencent_create(const struct provider_config *cfg, void **state, struct err *e)
{
	const char *endpoint = cfg->endpoint[0] ? cfg->endpoint : TENCENT_ENDPOINT;
	struct tencent_state *s;

	for (size_t i = 0; i < sizeof(required_keys) / sizeof(required_keys[0]); i++)
		if (((const char *)cfg + required_keys[i].off)[0] == '\0')
			return err_set(e, ERR_INVALID, required_keys[i].key,
				       "[provider.%s] (line %d) has type = tencent but no %s; set "
				       "%s = %s",
				       cfg->name, cfg->line, required_keys[i].key,
				       required_keys[i].key, required_keys[i].hint);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory creating provider %s", cfg->name);
	if (endpoint_parts(endpoint, s->url, sizeof(s->url), s->host, sizeof(s->host)) < 0) {
		free(s);
		return err_set(e, ERR_INVALID, "endpoint",
			       "[provider.%s] (line %d) has an endpoint that is not "
			       "http(s)://host[:port][/path]; leave it out for %s",
			       cfg->name, cfg->line, TENCENT_ENDPOINT);
	}
	s->cfg = *cfg;
	s->region = s->cfg.region[0] ? s->cfg.region : TENCENT_REGION;
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : TENCENT_DEFAULT_TIMEOUT_MS;
	*state = s;
	return 0;
}

static void tencent_destroy(void *state)
{
	struct tencent_state *s = state;

	if (s == NULL)
		return;
	/* The secret should not linger in freed memory. */
	explicit_bzero(s->cfg.secret, sizeof(s->cfg.secret));
	free(s);
}

static const char *var_value(const struct prov_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nvars; i++)
		if (strcmp(m->vars[i].name, name) == 0)
			return m->vars[i].value;
	return NULL;
}

/* Appends the values of params (comma-separated "var" or "n=var", in {1}, {2}, ... order). */
static int add_params(json_t *set, const char *params, const struct prov_msg *m, struct err *e)
{
	char buf[sizeof(((struct provider_template *)0)->params)], field[64];
	char *rest = buf, *item;

	snprintf(buf, sizeof(buf), "%s", params);
	snprintf(field, sizeof(field), "params.%s", m->kind);
	if (strspn(buf, " \t") == strlen(buf))
		return 0;
	while ((item = strsep(&rest, ",")) != NULL) {
		char *name = strchr(item, '=') != NULL ? strchr(item, '=') + 1 : item;
		const char *v;

		name += strspn(name, " \t");
		name[strcspn(name, " \t")] = '\0';
		if ((v = var_value(m, name)) == NULL)
			return err_set(e, ERR_INVALID, field,
				       "%s names \"%s\", which %s notices do not have; use their "
				       "variables in the order of the template's {1}, {2}, ...",
				       field, name, m->kind);
		if (json_array_append_new(set, json_string(v)) < 0)
			return err_set(e, ERR_INVALID, field, "the value of %s is not valid UTF-8",
				       name);
	}
	return 0;
}

static int add_phones(json_t *set, const struct prov_msg *msgs, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		char d[PHONE_LEN + 1], e164[PHONE_LEN + 4];

		if (phone_normalize(msgs[i].to, d, NULL) < 0) {
			char masked[16];

			phone_mask(msgs[i].to, masked);
			return err_set(e, ERR_INVALID, "to",
				       "message %lld goes to %s, which is not a mainland mobile",
				       (long long)msgs[i].id, masked);
		}
		snprintf(e164, sizeof(e164), "+86%s", d);
		if (json_array_append_new(set, json_string(e164)) < 0)
			return err_set(e, ERR_NOMEM, NULL, "out of memory building SendSms");
	}
	return 0;
}

static const struct provider_template *find_template(const struct provider_config *c,
						     const char *kind)
{
	for (int i = 0; i < c->ntemplates && i < PROVIDER_MAX_TEMPLATES; i++)
		if (strcmp(c->templates[i].kind, kind) == 0)
			return &c->templates[i];
	return NULL;
}

/* The SendSms body (malloc'd) into *out. */
static int sendsms_body(const struct tencent_state *s, const struct prov_msg *msgs, size_t n,
			char **out, struct err *e)
{
	const struct provider_template *t = find_template(&s->cfg, msgs[0].kind);
	json_t *o = json_object(), *phones = json_array(), *params = json_array();
	char sid[24], field[64];
	int rc = ERR_NOMEM;

	snprintf(field, sizeof(field), "template.%s", msgs[0].kind);
	if (t == NULL) {
		rc = err_set(e, ERR_INVALID, field,
			     "[provider.%s] has no %s; set %s = the TemplateId of the approved "
			     "template for %s notices",
			     s->cfg.name, field, field, msgs[0].kind);
		goto out;
	}
	if ((rc = add_phones(phones, msgs, n, e)) < 0 ||
	    (rc = add_params(params, t->params, &msgs[0], e)) < 0)
		goto out;
	snprintf(sid, sizeof(sid), "%lld", (long long)msgs[0].id);
	if (json_object_set(o, "PhoneNumberSet", phones) < 0 ||
	    json_object_set_new(o, "SmsSdkAppId", json_string(s->cfg.app_id)) < 0 ||
	    json_object_set_new(o, "TemplateId", json_string(t->id)) < 0 ||
	    json_object_set_new(o, "SignName", json_string(s->cfg.sign_name)) < 0 ||
	    json_object_set(o, "TemplateParamSet", params) < 0 ||
	    json_object_set_new(o, "SessionContext", json_string(sid)) < 0 ||
	    (*out = json_dumps(o, JSON_COMPACT)) == NULL)
		rc = err_set(e, ERR_INVALID, NULL,
			     "cannot encode SendSms: app_id, sign_name or the template id is not "
			     "valid UTF-8, or memory ran out");
out:
	json_decref(phones);
	json_decref(params);
	json_decref(o);
	return rc;
}

static int add_headers(struct http_request *req, const struct tencent_state *s, const char *action,
		       long long ts, const char *authorization)
{
	char stamp[24];
	const char *h[][2] = {
		{ "Content-Type", TENCENT_CONTENT_TYPE },
		{ "Host", s->host },
		{ "X-TC-Action", action },
		{ "X-TC-Version", "2021-01-11" },
		{ "X-TC-Timestamp", stamp },
		{ "X-TC-Region", s->region },
		{ "Authorization", authorization },
	};

	snprintf(stamp, sizeof(stamp), "%lld", ts);
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (http_request_header(req, h[i][0], h[i][1]) < 0)
			return -1;
	return 0;
}

/* Signs body (taken over) for action and puts the request together. */
static int signed_request(const struct tencent_state *s, const char *action, char *body,
			  int64_t now_ms, struct http_request *req, struct err *e)
{
	struct tencent_signature sig;
	struct tencent_sign_input in = { .secret_id = s->cfg.key_id,
					 .secret_key = s->cfg.secret,
					 .service = "sms",
					 .host = s->host,
					 .content_type = TENCENT_CONTENT_TYPE };
	int rc;

	in.timestamp = now_ms / 1000; /* every call signs afresh: no stale signature */
	in.body = body;
	in.body_len = strlen(body);
	if ((rc = tencent_sign(&in, &sig, e)) < 0)
		goto out;
	http_request_init(req, "POST", s->url);
	if (add_headers(req, s, action, (long long)in.timestamp, sig.authorization) < 0) {
		rc = err_set(e, ERR_INTERNAL, NULL, "%s request headers do not fit", action);
		goto out;
	}
	req->body = body;
	req->body_len = in.body_len;
	req->timeout_ms = s->timeout_ms;
	req->insecure = !s->cfg.tls_verify;
	body = NULL;
out:
	free(body);
	explicit_bzero(&sig, sizeof(sig));
	return rc;
}

static int tencent_build(void *state, const struct prov_msg *msgs, size_t n,
			 struct http_request *req, struct err *e)
{
	const struct tencent_state *s = state;
	char *body = NULL;
	int rc;

	if (n == 0 || n > TENCENT_MAX_BATCH)
		return err_set(e, ERR_INTERNAL, NULL,
			       "SendSms takes 1 to %d numbers per request, was given %zu",
			       TENCENT_MAX_BATCH, n);
	if ((rc = sendsms_body(s, msgs, n, &body, e)) < 0)
		return rc;
	return signed_request(s, "SendSms", body, msgs[0].now_ms, req, e);
}

/* PullSmsSendStatusByPhoneNumber (2021-01-11: BeginTime, Offset 0, Limit <= 100,
 * PhoneNumber, SmsSdkAppId, EndTime; 7 days back at most): the reports of one number
 * since a little before the send, each with the SessionContext we sent. */
static int tencent_build_status(void *state, const struct prov_status_query *q,
				struct http_request *req, struct err *e)
{
	const struct tencent_state *s = state;
	int64_t now = q->now_ms / 1000, begin = q->sent_ms / 1000 - 300;
	char phone[20];
	json_t *o;
	char *body;

	if (begin < now - 7 * 86400 + 60)
		begin = now - 7 * 86400 + 60;
	snprintf(phone, sizeof(phone), "+86%.11s", q->phone);
	o = json_pack("{s:I, s:i, s:i, s:s, s:s, s:I}", "BeginTime", (json_int_t)begin, "Offset", 0,
		      "Limit", 100, "PhoneNumber", phone, "SmsSdkAppId", s->cfg.app_id, "EndTime",
		      (json_int_t)now);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory building a status query");
	return signed_request(s, "PullSmsSendStatusByPhoneNumber", body, q->now_ms, req, e);
}

/* An answer that is not Tencent's JSON: judge by the HTTP status, never OK. */
static void http_result(const struct http_response *resp, struct prov_result *r)
{
	long st = resp->status;
	const char *b = resp->body != NULL ? resp->body + strspn(resp->body, " \t\r\n") : "";

	r->outcome = OUTCOME_RETRY;
	if (st == 429) {
		r->outcome = OUTCOME_THROTTLED;
		r->retry_after_ms = resp->retry_after_ms;
		snprintf(r->reason, sizeof(r->reason), "HTTP 429 Too Many Requests");
	} else if (st >= 500 || st == 408) {
		snprintf(r->reason, sizeof(r->reason), "HTTP %ld from Tencent Cloud", st);
	} else {
		snprintf(r->reason, sizeof(r->reason),
			 "HTTP %ld with %s, not a Tencent Cloud API answer; check endpoint", st,
			 *b == '\0'          ? "an empty body"
				 : *b == '<' ? "an HTML page"
					     : "an unreadable body");
	}
}

/* The k-th entry (from 0) of the SendStatusSet for the mobile phone, or NULL. */
static json_t *status_for(json_t *set, const char *phone, int k)
{
	size_t i;
	json_t *st;

	json_array_foreach(set, i, st)
	{
		const char *pn = json_string_value(json_object_get(st, "PhoneNumber"));
		char d[PHONE_LEN + 1];

		if (pn != NULL && phone_normalize(pn, d, NULL) == 0 && strcmp(d, phone) == 0 &&
		    k-- == 0)
			return st;
	}
	return NULL;
}

/* How many messages before msgs[i] go to the same number (two accounts may share one). */
static int same_before(const struct prov_msg *msgs, size_t i, const char *phone)
{
	int k = 0;

	for (size_t j = 0; j < i; j++) {
		char d[PHONE_LEN + 1];

		if (phone_normalize(msgs[j].to, d, NULL) == 0 && strcmp(d, phone) == 0)
			k++;
	}
	return k;
}

static void classify_set(json_t *set, const struct prov_msg *msgs, size_t n,
			 struct prov_result *res)
{
	size_t missing = 0;

	for (size_t i = 0; i < n; i++) {
		char me[PHONE_LEN + 1];
		json_t *st = NULL;
		const char *code;

		if (phone_normalize(msgs[i].to, me, NULL) == 0)
			st = status_for(set, me, same_before(msgs, i, me));
		code = tencent_str(st, "Code");
		if (st == NULL) {
			res[i].outcome = OUTCOME_RETRY;
			snprintf(res[i].reason, sizeof(res[i].reason),
				 "no result for this number in Tencent's SendStatusSet");
			missing++;
		} else if (strcmp(code, "Ok") == 0) {
			res[i].outcome = OUTCOME_OK;
			tencent_copy_utf8(res[i].ref, sizeof(res[i].ref),
					  tencent_str(st, "SerialNo"));
		} else {
			tencent_code_result(code[0] ? code : "(none)", tencent_str(st, "Message"),
					    &res[i]);
		}
	}
	if (missing > 0)
		log_warn("tencent: %zu of %zu numbers had no SendStatusSet entry; retrying them",
			 missing, n);
}

/* The body as a JSON object, or NULL. */
static json_t *body_object(const struct http_response *resp)
{
	json_t *root;

	if (resp->body == NULL || resp->body_len == 0)
		return NULL;
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (root != NULL && !json_is_object(root)) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

/* Fills *r and returns 1 when the answer decides the whole request; 0 for per-number. */
static int request_result(const struct tencent_state *s, const struct http_response *resp,
			  json_t *response, struct prov_result *r)
{
	json_t *err = json_object_get(response, "Error");

	if (resp->transport_error) {
		char why[sizeof(r->reason) - 64];

		/* SendSms is not idempotent: the request may have gone out before the failure. */
		r->outcome = OUTCOME_UNKNOWN;
		if (resp->timed_out)
			snprintf(why, sizeof(why), "timeout after %d ms", s->timeout_ms);
		else
			tencent_quote(resp->error[0] ? resp->error : "transport error", why,
				      sizeof(why), 80);
		snprintf(r->reason, sizeof(r->reason),
			 "%s; outcome unknown, reconcile before resending", why);
	} else if (!json_is_object(response)) {
		http_result(resp, r);
	} else if (json_is_object(err)) {
		tencent_code_result(tencent_str(err, "Code")[0] ? tencent_str(err, "Code")
								: "(none)",
				    tencent_str(err, "Message"), r);
	} else if (!json_is_array(json_object_get(response, "SendStatusSet"))) {
		r->outcome = OUTCOME_RETRY;
		snprintf(r->reason, sizeof(r->reason),
			 "Tencent answer has neither Error nor SendStatusSet");
	} else {
		return 0;
	}
	return 1;
}

static void tencent_classify(void *state, const struct http_response *resp,
			     const struct prov_msg *msgs, size_t n, struct prov_result *res)
{
	json_t *root = resp->transport_error ? NULL : body_object(resp);
	json_t *response = json_object_get(root, "Response");
	struct prov_result r;

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < n; i++)
		memset(&res[i], 0, sizeof(res[i]));
	if (request_result(state, resp, response, &r))
		for (size_t i = 0; i < n; i++)
			res[i] = r;
	else
		classify_set(json_object_get(response, "SendStatusSet"), msgs, n, res);
	json_decref(root);
}

const struct provider_ops provider_tencent = {
	.type = "tencent",
	.max_batch = TENCENT_MAX_BATCH,
	.create = tencent_create,
	.destroy = tencent_destroy,
	.deliver = NULL,
	.build = tencent_build,
	.classify = tencent_classify,
	.idempotent = 0,
	.parse_receipts = tencent_parse_receipts,
	.parse_replies = tencent_parse_replies,
	.build_status = tencent_build_status,
	.parse_status = tencent_parse_status,
	.push_answer = "{\"result\":0,\"errmsg\":\"OK\"}",
};
