/* providers/aliyun: Alibaba Cloud SMS (dysmsapi 2017-05-25) through provider_aliyun.
 * Called by the worker: build() makes one signed SendSms for up to 1000 numbers of one
 * notice (same template parameters), classify() maps the Code of the answer (the codes
 * are aliyun_code.c's); the HTTP server hands SmsReport and SmsUp pushes to
 * parse_receipts / parse_replies (aliyun_push.c). aliyun.h adds the signatures
 * (aliyun_sign.c), SendBatchSms and QuerySendDetails for tests and the coming
 * reconciliation. Every build re-signs with a fresh nonce and the message's now_ms (never
 * the clock). OutId carries our message id, but one request has one OutId and one BizId:
 * receipts are matched by BizId + phone number. SendSms is not idempotent, so a timeout is
 * UNKNOWN. Reasons never carry a phone number: digit runs in Alibaba's messages are masked.
 * Sources (search tool, docs corpus): /work/shared/PROVIDERS.md part 1; SendSms
 * help.aliyun.com/document_detail/419277.html. */
#include "aliyun.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliyun_internal.h"

#define ALIYUN_ENDPOINT "https://dysmsapi.aliyuncs.com/"
#define ALIYUN_REGION "cn-hangzhou"
#define ALIYUN_TIMEOUT_MS 5000 /* Alibaba asks for at least 1 s */

static int aliyun_endpoint(struct aliyun_state *s, const struct provider_config *cfg, struct err *e)
{
	const char *ep = cfg->endpoint[0] ? cfg->endpoint : ALIYUN_ENDPOINT;
	const char *auth = strstr(ep, "://");
	size_t hlen;

	if (auth == NULL || (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0))
		return err_set(e, ERR_INVALID, "endpoint",
			       "[provider.%s] (line %d): endpoint \"%s\" does not start with "
			       "http:// or https://; leave it out for %s",
			       cfg->name, cfg->line, ep, ALIYUN_ENDPOINT);
	auth += 3;
	hlen = strcspn(auth, "/?#");
	if (hlen == 0 || hlen >= sizeof(s->host) || strlen(auth + hlen) >= sizeof(s->path) ||
	    strchr(auth + hlen, '?') != NULL || strchr(auth + hlen, '#') != NULL)
		return err_set(e, ERR_INVALID, "endpoint",
			       "[provider.%s] (line %d): endpoint \"%s\" needs a host, and no "
			       "query or fragment; write it like %s",
			       cfg->name, cfg->line, ep, ALIYUN_ENDPOINT);
	memcpy(s->host, auth, hlen);
	s->host[hlen] = '\0';
	snprintf(s->path, sizeof(s->path), "%s", auth[hlen] ? auth + hlen : "/");
	snprintf(s->url, sizeof(s->url), "%.*s%s", (int)(auth - ep + hlen), ep, s->path);
	return 0;
}

static int aliyun_check(const struct provider_config *cfg, struct err *e)
{
	static const char *const need[][2] = {
		{ "key_id", "the AccessKeyId of a RAM user allowed to send SMS" },
		{ "secret", "its AccessKey secret (or secret_env = VARIABLE)" },
		{ "sign_name", "the approved SMS signature, without 【】" },
	};
	const char *have[] = { cfg->key_id, cfg->secret, cfg->sign_name };

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (have[i][0] == '\0')
			return err_set(e, ERR_INVALID, need[i][0],
				       "[provider.%s] (line %d) has type = aliyun but no %s; set "
				       "%s = %s",
				       cfg->name, cfg->line, need[i][0], need[i][0], need[i][1]);
	if (cfg->sig_version[0] && strcmp(cfg->sig_version, "v2") != 0 &&
	    strcmp(cfg->sig_version, "v3") != 0)
		return err_set(e, ERR_INVALID, "sig_version",
			       "[provider.%s] (line %d): sig_version \"%s\" is unknown; use v3 "
			       "(the default) or v2",
			       cfg->name, cfg->line, cfg->sig_version);
	return 0;
}

static int aliyun_create(const struct provider_config *cfg, void **state, struct err *e)
{
	struct aliyun_state *s;
	int rc = aliyun_check(cfg, e);

	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory creating provider %s", cfg->name);
	rc = aliyun_endpoint(s, cfg, e);
	if (rc < 0) {
		free(s);
		return rc;
	}
	s->cfg = *cfg;
	s->region = cfg->region[0] ? s->cfg.region : ALIYUN_REGION;
	s->v3 = strcmp(cfg->sig_version, "v2") != 0;
	if (s->cfg.timeout_ms <= 0)
		s->cfg.timeout_ms = ALIYUN_TIMEOUT_MS;
	*state = s;
	return 0;
}

static void aliyun_destroy(void *state)
{
	struct aliyun_state *s = state;

	if (s == NULL)
		return;
	/* The secret should not linger in freed memory. */
	memset(s->cfg.secret, 0, sizeof(s->cfg.secret));
	free(s);
}

static int find_template(const struct aliyun_state *s, const char *kind,
			 const struct provider_template **out, struct err *e)
{
	for (int i = 0; i < s->cfg.ntemplates && i < PROVIDER_MAX_TEMPLATES; i++) {
		if (kind != NULL && strcmp(s->cfg.templates[i].kind, kind) == 0) {
			*out = &s->cfg.templates[i];
			return 0;
		}
	}
	return err_set(e, ERR_INVALID, "template",
		       "[provider.%s] has no template for message kind \"%s\"; add "
		       "template.%s = SMS_... (the approved TemplateCode) and params.%s",
		       s->cfg.name, kind ? kind : "", kind ? kind : "", kind ? kind : "");
}

static char *trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static const char *var_value(const struct prov_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nvars; i++)
		if (m->vars[i].name != NULL && strcmp(m->vars[i].name, name) == 0)
			return m->vars[i].value != NULL ? m->vars[i].value : "";
	return NULL;
}

static int param_error(const struct aliyun_state *s, const struct provider_template *t,
		       const char *name, const char *var, struct err *e)
{
	if (*name == '\0' || *var == '\0')
		return err_set(
			e, ERR_INVALID, "params",
			"[provider.%s] params.%s = \"%s\" has an empty name or variable; write "
			"it like area,start,end or name=area",
			s->cfg.name, t->kind, t->params);
	return err_set(e, ERR_INVALID, "params",
		       "[provider.%s] params.%s uses variable \"%s\", which a %s message does "
		       "not have; fix params.%s",
		       s->cfg.name, t->kind, var, t->kind, t->kind);
}

/* The template's parameters for m as a JSON object into *out: params "name" or
 * "name=variable". */
static int template_object(const struct aliyun_state *s, const struct provider_template *t,
			   const struct prov_msg *m, json_t **out, struct err *e)
{
	char list[sizeof(t->params)], *save = NULL;
	json_t *obj = json_object();

	if (obj == NULL)
		return err_set(e, ERR_NOMEM, NULL, "no memory for TemplateParam");
	snprintf(list, sizeof(list), "%s", t->params);
	for (char *it = strtok_r(list, ",", &save); it != NULL; it = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(it, '='), *name, *var;
		const char *value;

		if (eq != NULL)
			*eq = '\0';
		name = trim(it);
		var = eq != NULL ? trim(eq + 1) : name;
		value = *name && *var ? var_value(m, var) : NULL;
		if (value == NULL) {
			json_decref(obj);
			return param_error(s, t, name, var, e);
		}
		if (json_object_set_new(obj, name, json_string(value)) < 0) {
			json_decref(obj);
			return err_set(e, ERR_INVALID, "params",
				       "message %lld: the value of \"%s\" is not UTF-8 (params.%s)",
				       (long long)m->id, var, t->kind);
		}
	}
	*out = obj;
	return 0;
}

/* TemplateParam for m into *out (malloc'd), or NULL when the template has no parameters. */
static int template_param(const struct aliyun_state *s, const struct provider_template *t,
			  const struct prov_msg *m, char **out, struct err *e)
{
	json_t *obj = NULL;
	int rc = template_object(s, t, m, &obj, e);

	*out = NULL;
	if (rc < 0)
		return rc;
	if (json_object_size(obj) > 0) {
		*out = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (*out == NULL)
			rc = err_set(e, ERR_NOMEM, NULL, "no memory for TemplateParam");
	}
	json_decref(obj);
	return rc;
}

bool aliyun_number_ok(const char *to)
{
	size_t n, plus;

	if (to == NULL)
		return false;
	n = strlen(to);
	plus = to[0] == '+';
	return n > plus && n <= 15 && strspn(to + plus, "0123456789") == n - plus;
}

/* msgs[0..n) must share one notice (one TemplateParam) and have sendable numbers. */
static int check_msgs(const struct prov_msg *msgs, size_t n, size_t max, bool same_notice,
		      struct err *e)
{
	if (n == 0 || n > max)
		return err_set(e, ERR_INTERNAL, NULL,
			       "aliyun sends 1 to %zu numbers at once, not %zu", max, n);
	for (size_t i = 0; i < n; i++) {
		if (!aliyun_number_ok(msgs[i].to))
			return err_set(e, ERR_INVALID, "to",
				       "message %lld has no mobile number Alibaba can take",
				       (long long)msgs[i].id);
		if (i > 0 &&
		    (msgs[i].kind == NULL || msgs[0].kind == NULL ||
		     strcmp(msgs[i].kind, msgs[0].kind) != 0 ||
		     (same_notice && msgs[i].notice_id != msgs[0].notice_id)))
			return err_set(e, ERR_INTERNAL, NULL,
				       "message %lld cannot share a request with message %lld "
				       "(another notice or kind)",
				       (long long)msgs[i].id, (long long)msgs[0].id);
	}
	return 0;
}

static int aliyun_build(void *state, const struct prov_msg *msgs, size_t n,
			struct http_request *req, struct err *e)
{
	const struct aliyun_state *s = state;
	const struct provider_template *t = NULL;
	struct aliyun_param p[5];
	struct aliyun_sbuf phones = { 0 };
	char *tparam = NULL, out_id[24];
	size_t np = 0;
	int rc = check_msgs(msgs, n, ALIYUN_MAX_SEND, true, e);

	if (rc == 0)
		rc = find_template(s, msgs[0].kind, &t, e);
	if (rc == 0)
		rc = template_param(s, t, &msgs[0], &tparam, e);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			aliyun_sb_str(&phones, ",");
		aliyun_sb_str(&phones, msgs[i].to);
	}
	if (phones.bad) {
		rc = err_set(e, ERR_NOMEM, NULL, "no memory for PhoneNumbers");
		goto out;
	}
	snprintf(out_id, sizeof(out_id), "%lld", (long long)msgs[0].id);
	p[np++] = (struct aliyun_param){ "PhoneNumbers", phones.p };
	p[np++] = (struct aliyun_param){ "SignName", s->cfg.sign_name };
	p[np++] = (struct aliyun_param){ "TemplateCode", t->id };
	if (tparam != NULL)
		p[np++] = (struct aliyun_param){ "TemplateParam", tparam };
	p[np++] = (struct aliyun_param){ "OutId", out_id };
	rc = aliyun_request(s, "SendSms", p, np, msgs[0].now_ms, req, e);
out:
	free(phones.p);
	free(tparam);
	return rc;
}

/* The three JSON arrays of SendBatchSms; out[2] stays NULL for a template without parameters. */
static int batch_arrays(const struct aliyun_state *s, const struct provider_template *t,
			const struct prov_msg *msgs, size_t n, char *out[3], struct err *e)
{
	json_t *a[3] = { json_array(), json_array(), json_array() };
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *obj = NULL;

		rc = template_object(s, t, &msgs[i], &obj, e);
		if (rc < 0)
			break;
		json_array_append_new(a[0], json_string(msgs[i].to));
		json_array_append_new(a[1], json_string(s->cfg.sign_name));
		if (json_object_size(obj) > 0)
			json_array_append(a[2], obj);
		json_decref(obj);
	}
	for (int k = 0; k < 3 && rc == 0; k++) {
		out[k] = k < 2 || json_array_size(a[2]) > 0
			? json_dumps(a[k], JSON_COMPACT | JSON_PRESERVE_ORDER)
			: NULL;
		if (k < 2 && out[k] == NULL)
			rc = err_set(e, ERR_NOMEM, NULL, "no memory for SendBatchSms");
	}
	for (int k = 0; k < 3; k++)
		json_decref(a[k]);
	return rc;
}

int aliyun_build_batch(void *state, const struct prov_msg *msgs, size_t n, struct http_request *req,
		       struct err *e)
{
	const struct aliyun_state *s = state;
	const struct provider_template *t = NULL;
	char *arr[3] = { NULL, NULL, NULL }, out_id[24];
	struct aliyun_param p[5];
	size_t np = 0;
	int rc = check_msgs(msgs, n, ALIYUN_MAX_BATCH, false, e);

	if (rc == 0)
		rc = find_template(s, msgs[0].kind, &t, e);
	if (rc == 0)
		rc = batch_arrays(s, t, msgs, n, arr, e);
	if (rc < 0)
		goto out;
	snprintf(out_id, sizeof(out_id), "%lld", (long long)msgs[0].id);
	p[np++] = (struct aliyun_param){ "PhoneNumberJson", arr[0] };
	p[np++] = (struct aliyun_param){ "SignNameJson", arr[1] };
	p[np++] = (struct aliyun_param){ "TemplateCode", t->id };
	if (arr[2] != NULL)
		p[np++] = (struct aliyun_param){ "TemplateParamJson", arr[2] };
	p[np++] = (struct aliyun_param){ "OutId", out_id };
	rc = aliyun_request(s, "SendBatchSms", p, np, msgs[0].now_ms, req, e);
out:
	for (int k = 0; k < 3; k++)
		free(arr[k]);
	return rc;
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

/* An answer without an Alibaba Code: an HTML error page, a proxy, an empty body. */
static void no_code(const struct http_response *resp, bool json, struct prov_result *r)
{
	r->outcome = resp->status == 429 ? OUTCOME_THROTTLED : OUTCOME_RETRY;
	r->retry_after_ms = resp->retry_after_ms;
	snprintf(r->reason, sizeof(r->reason),
		 resp->body_len == 0 ? "HTTP %ld with an empty body"
			 : json      ? "HTTP %ld: JSON without a Code"
				: "HTTP %ld with a body that is not JSON (proxy or error page?)",
		 resp->status);
}

static void aliyun_classify(void *state, const struct http_response *resp,
			    const struct prov_msg *msgs, size_t n, struct prov_result *res)
{
	const struct aliyun_state *s = state;
	struct prov_result r;
	json_t *root = NULL;
	const char *code;
	char head[160];

	memset(&r, 0, sizeof(r));
	if (resp->transport_error) {
		/* SendSms is not idempotent: the message may have gone out. */
		r.outcome = OUTCOME_UNKNOWN;
		if (resp->timed_out)
			snprintf(head, sizeof(head), "timeout after %d ms", s->cfg.timeout_ms);
		else
			snprintf(head, sizeof(head), "%s",
				 resp->error[0] ? resp->error : "no answer");
		aliyun_set_reason(&r, head, "may have been sent; check receipts before resending");
	} else {
		root = body_object(resp);
		code = json_string_value(json_object_get(root, "Code"));
		if (code == NULL)
			no_code(resp, root != NULL, &r);
		else
			aliyun_code_result(code, resp, root, msgs, n, &r);
	}
	json_decref(root);
	for (size_t i = 0; i < n; i++)
		res[i] = r;
}
/* QuerySendDetails for one number and day, first page (50 sends of that day). */
static int aliyun_build_status(void *state, const struct prov_status_query *q,
			       struct http_request *req, struct err *e)
{
	struct aliyun_query aq = { .phone = q->phone,
				   .biz_id = q->ref,
				   .sent_ms = q->sent_ms,
				   .now_ms = q->now_ms,
				   .page_size = 50,
				   .page = 1 };

	return aliyun_build_query(state, &aq, req, e);
}

static int aliyun_parse_status(const struct http_response *resp, struct prov_receipt *out, int max,
			       int *n, struct err *e)
{
	struct aliyun_detail d[50];
	int got = 0, total = 0, rc;

	*n = 0;
	if (resp->transport_error || resp->status != 200)
		return err_set(e, ERR_IO, NULL, "QuerySendDetails: %s",
			       resp->transport_error ? resp->error : "HTTP error");
	rc = aliyun_parse_details(resp->body, resp->body_len, d, 50, &got, &total, e);
	if (rc < 0)
		return rc;
	for (int i = 0; i < got && *n < max; i++) {
		struct prov_receipt *r = &out[*n];

		memset(r, 0, sizeof(*r));
		snprintf(r->phone, sizeof(r->phone), "%s", d[i].phone);
		snprintf(r->out_id, sizeof(r->out_id), "%s", d[i].out_id);
		snprintf(r->code, sizeof(r->code), "%s", d[i].code);
		r->delivered = d[i].status == ALIYUN_WAITING ? -1 : d[i].status == ALIYUN_DELIVERED;
		r->at_ms = d[i].at_ms;
		(*n)++;
	}
	return 0;
}

const struct provider_ops provider_aliyun = {
	.type = "aliyun",
	.max_batch = ALIYUN_MAX_SEND,
	.create = aliyun_create,
	.destroy = aliyun_destroy,
	.deliver = NULL,
	.build = aliyun_build,
	.classify = aliyun_classify,
	.idempotent = 0,
	.parse_receipts = aliyun_parse_receipts,
	.parse_replies = aliyun_parse_replies,
	.build_status = aliyun_build_status,
	.parse_status = aliyun_parse_status,
	.push_answer = "{\"code\":0,\"msg\":\"接收成功\"}",
};
