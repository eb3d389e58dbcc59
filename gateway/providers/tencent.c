/* providers/tencent: Tencent Cloud SMS, SendSms of API 2021-01-11, signed TC3-HMAC-SHA256.
 * Called by the worker through provider_tencent: build() makes one JSON POST for up to 200
 * numbers of one notice (one approved template, the same parameters), classify() gives
 * each number its outcome, parse_receipts/parse_replies read the status and reply pushes.
 * Never reads the clock (X-TC-Timestamp comes from now_ms); never puts a full number or
 * message text into a reason or a log line. Sources: PROVIDERS.md part 2; "Signature v3"
 * (cloud.tencent.com/document/api/382/52072); SmsErrorCode.java of tencentcloud-sdk-java;
 * 短信回复 (cloud.tencent.com/document/api/382/59179): {extend,mobile,nationcode,sign,text,time}. */
#include "tencent.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "log.h"
#include "phone.h"
#include "provider.h"
#include "timefmt.h"
#include "utf8.h"

#define TENCENT_ENDPOINT "https://sms.tencentcloudapi.com/"
#define TENCENT_REGION "ap-guangzhou"
#define TENCENT_CONTENT_TYPE "application/json"
#define TENCENT_MAX_BATCH 200
#define TENCENT_DEFAULT_TIMEOUT_MS 5000
#define SIGNED_HEADERS "content-type;host"
#define SIGN_FIELD_MAX 256 /* longest host or content type we sign */
#define QUOTE_CHARS 80 /* characters of a provider message quoted in a reason */
#define BEIJING_OFFSET "+08:00" /* status reports give Beijing time without an offset */

struct tencent_state {
	struct provider_config cfg; /* key_id, secret, app_id, sign_name, templates */
	char url[sizeof(((struct provider_config *)0)->endpoint) + 1];
	char host[SIGN_FIELD_MAX];
	const char *region;
	int timeout_ms;
};

/* The string member key of o, or "" (also when o is NULL or the member not a string). */
static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

/* Lower-cases and trims s into out (the canonical form of a signed header value). */
static int canonical_value(const char *s, char *out, size_t outsz)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= outsz)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[n] = '\0';
	return 0;
}

/* SecretSigning = HMAC(HMAC(HMAC("TC3" + key, date), service), "tc3_request"). */
static void derive_key(const char *key, size_t klen, const char *date, const char *service,
		       unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned char k[3 + sizeof(((struct provider_config *)0)->secret)];
	unsigned char d[CRYPTO_SHA256_LEN], sv[CRYPTO_SHA256_LEN];

	memcpy(k, "TC3", 3);
	memcpy(k + 3, key, klen);
	crypto_hmac_sha256(k, klen + 3, date, strlen(date), d);
	crypto_hmac_sha256(d, sizeof(d), service, strlen(service), sv);
	crypto_hmac_sha256(sv, sizeof(sv), "tc3_request", 11, out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(d, sizeof(d));
	explicit_bzero(sv, sizeof(sv));
}

int tencent_sign(const struct tencent_sign_input *in, struct tencent_signature *out, struct err *e)
{
	char ct[SIGN_FIELD_MAX], host[SIGN_FIELD_MAX], date[16], scope[64];
	char canon[3 * SIGN_FIELD_MAX], sts[192];
	unsigned char key[CRYPTO_SHA256_LEN], mac[CRYPTO_SHA256_LEN];
	size_t klen = strlen(in->secret_key);
	struct tencent_signature r;
	time_t t = (time_t)in->timestamp;
	struct tm tm;
	int len;

	if (canonical_value(in->content_type, ct, sizeof(ct)) < 0 ||
	    canonical_value(in->host, host, sizeof(host)) < 0 || strlen(in->service) > 32 ||
	    klen > sizeof(((struct provider_config *)0)->secret) || gmtime_r(&t, &tm) == NULL)
		return err_set(e, ERR_INVALID, "endpoint",
			       "cannot sign for Tencent Cloud: the host, content type, service "
			       "or secret is too long, or the timestamp is out of range");
	memset(&r, 0, sizeof(r));
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	snprintf(scope, sizeof(scope), "%s/%s/tc3_request", date, in->service);
	crypto_sha256_hex(in->body, in->body_len, r.payload_hash);
	len = snprintf(canon, sizeof(canon), "POST\n/\n\ncontent-type:%s\nhost:%s\n\n%s\n%s", ct,
		       host, SIGNED_HEADERS, r.payload_hash);
	crypto_sha256_hex(canon, (size_t)len, r.canonical_hash);
	len = snprintf(sts, sizeof(sts), "TC3-HMAC-SHA256\n%lld\n%s\n%s", (long long)in->timestamp,
		       scope, r.canonical_hash);
	derive_key(in->secret_key, klen, date, in->service, key);
	crypto_hmac_sha256(key, sizeof(key), sts, (size_t)len, mac);
	explicit_bzero(key, sizeof(key));
	crypto_hex(mac, sizeof(mac), r.signature);
	len = snprintf(r.authorization, sizeof(r.authorization),
		       "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		       in->secret_id, scope, SIGNED_HEADERS, r.signature);
	if (len < 0 || (size_t)len >= sizeof(r.authorization))
		return err_set(e, ERR_INVALID, "key_id", "the Tencent Cloud SecretId is too long");
	*out = r;
	return 0;
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

static int add_headers(struct http_request *req, const struct tencent_state *s, long long ts,
		       const char *authorization)
{
	char stamp[24];
	const char *h[][2] = {
		{ "Content-Type", TENCENT_CONTENT_TYPE },
		{ "Host", s->host },
		{ "X-TC-Action", "SendSms" },
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

static int tencent_build(void *state, const struct prov_msg *msgs, size_t n,
			 struct http_request *req, struct err *e)
{
	const struct tencent_state *s = state;
	struct tencent_signature sig;
	struct tencent_sign_input in = { .secret_id = s->cfg.key_id,
					 .secret_key = s->cfg.secret,
					 .service = "sms",
					 .host = s->host,
					 .content_type = TENCENT_CONTENT_TYPE };
	char *body = NULL;
	int rc;

	if (n == 0 || n > TENCENT_MAX_BATCH)
		return err_set(e, ERR_INTERNAL, NULL,
			       "SendSms takes 1 to %d numbers per request, was given %zu",
			       TENCENT_MAX_BATCH, n);
	if ((rc = sendsms_body(s, msgs, n, &body, e)) < 0)
		goto out;
	in.timestamp = msgs[0].now_ms / 1000; /* every call signs afresh: no stale signature */
	in.body = body;
	in.body_len = strlen(body);
	if ((rc = tencent_sign(&in, &sig, e)) < 0)
		goto out;
	http_request_init(req, "POST", s->url);
	if (add_headers(req, s, (long long)in.timestamp, sig.authorization) < 0) {
		rc = err_set(e, ERR_INTERNAL, NULL, "SendSms request headers do not fit");
		goto out;
	}
	req->body = body;
	req->body_len = in.body_len;
	req->timeout_ms = s->timeout_ms;
	body = NULL;
out:
	free(body);
	explicit_bzero(&sig, sizeof(sig));
	return rc;
}

/* Copies src into dst, cut on a UTF-8 character boundary when it does not fit. */
static void copy_utf8(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz) {
		n = dstsz - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Text from outside made safe for a reason or a log: runs of 7 or more digits keep only
 * their last 4 (phone numbers in any form), control characters become spaces and invalid
 * UTF-8 '?'; at most max_chars characters, never a character cut in half. */
static void quote(const char *s, char *out, size_t outsz, size_t max_chars)
{
	size_t o = 0, chars = 0;

	/* 5 bytes of room: the longest character (4) and the NUL. */
	while (*s != '\0' && chars < max_chars && o + 5 <= outsz) {
		size_t k = strspn(s, "0123456789"), step = utf8_prefix_bytes(s, 1);

		if (k >= 7) {
			for (size_t m = k - 4; m > 0 && chars < max_chars && o + 5 <= outsz; m--) {
				out[o++] = '*';
				chars++;
			}
			s += k - 4;
			continue;
		}
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			out[o++] = ' ';
			s++;
		} else if (!utf8_valid(s, step, NULL)) {
			out[o++] = '?';
			s += step;
		} else {
			memcpy(out + o, s, step);
			o += step;
			s += step;
		}
		chars++;
	}
	out[o] = '\0';
}

/* How each Tencent code is handled; exact names first, then families ending in "*". */
static const struct code_rule {
	const char *code;
	enum outcome outcome;
	int retry_after_ms;
	int unreachable; /* the number itself is the problem: try another channel */
} code_rules[] = {
	{ "InternalError", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.Timeout", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.SendAndRecvFail", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.OtherError", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.UnknownError", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.ParseBackendResponseFail", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.RequestTimeException", OUTCOME_RETRY, 0, 0 },
	{ "ServiceUnavailable", OUTCOME_RETRY, 0, 0 },
	{ "ResourceUnavailable", OUTCOME_RETRY, 0, 0 },
	{ "AuthFailure.SignatureExpire", OUTCOME_RETRY, 0, 0 },
	{ "RequestLimitExceeded", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.PhoneNumberThirtySecondLimit", OUTCOME_THROTTLED, 30000, 0 },
	{ "LimitExceeded.PhoneNumberOneHourLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.PhoneNumberDailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.PhoneNumberSameContentDailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.DeliveryFrequencyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.AppDailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.AppMainlandChinaDailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.DailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "FailedOperation.MarketingSendTimeConstraint", OUTCOME_THROTTLED, 0, 0 },
	{ "InvalidParameterValue.IncorrectPhoneNumber", OUTCOME_PERMANENT, 0, 1 },
	{ "FailedOperation.PhoneNumberParseFail", OUTCOME_PERMANENT, 0, 1 },
	{ "FailedOperation.PhoneNumberInBlacklist", OUTCOME_PERMANENT, 0, 1 },
	{ "FailedOperation.SignatureIncorrectOrUnapproved", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.TemplateIncorrectOrUnapproved", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.TemplateUnapprovedOrNotExist", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.ContainSensitiveWord", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.JsonParseFail", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.InsufficientBalanceInSmsPackage", OUTCOME_PERMANENT, 0, 0 },
	{ "LimitExceeded.PhoneNumberCountLimit", OUTCOME_PERMANENT, 0, 0 },
	{ "InvalidAction", OUTCOME_PERMANENT, 0, 0 },
	{ "NoSuchVersion", OUTCOME_PERMANENT, 0, 0 },
	{ "UnsupportedRegion", OUTCOME_PERMANENT, 0, 0 },
	{ "MissingParameter*", OUTCOME_PERMANENT, 0, 0 },
	{ "InvalidParameter*", OUTCOME_PERMANENT, 0, 0 }, /* and InvalidParameterValue.* */
	{ "UnauthorizedOperation.*", OUTCOME_PERMANENT, 0, 0 },
	{ "UnsupportedOperation.*", OUTCOME_PERMANENT, 0, 0 },
	{ "AuthFailure.*", OUTCOME_PERMANENT, 0, 0 }, /* SignatureFailure, SecretIdNotFound... */
};

static const struct code_rule *code_rule(const char *code)
{
	for (size_t i = 0; i < sizeof(code_rules) / sizeof(code_rules[0]); i++) {
		const char *c = code_rules[i].code;
		size_t n = strlen(c);

		if (c[n - 1] == '*' ? strncmp(code, c, n - 1) == 0 : strcmp(code, c) == 0)
			return &code_rules[i];
	}
	return NULL;
}

/* A Tencent error code (request-level or per number) and its message into *r. */
static void code_result(const char *code, const char *message, struct prov_result *r)
{
	const struct code_rule *rule = code_rule(code);
	char c[96]; /* the longest documented code has 63 characters */
	int len;

	quote(code, c, sizeof(c), 90);
	r->outcome = OUTCOME_RETRY;
	if (rule == NULL) {
		/* Never OK: a code nobody has read the documentation of may mean anything. */
		log_warn("tencent: unknown code \"%s\" treated as RETRY; add it to code_rules", c);
		len = snprintf(r->reason, sizeof(r->reason), "unknown Tencent code \"%s\"", c);
	} else {
		r->outcome = rule->outcome;
		r->retry_after_ms = rule->retry_after_ms;
		r->unreachable = rule->unreachable;
		len = snprintf(r->reason, sizeof(r->reason), "%s", c);
	}
	/* The message is quoted into what is left, never cutting a character in half. */
	if (message[0] != '\0' && (size_t)len + 8 < sizeof(r->reason)) {
		memcpy(r->reason + len, ": ", 3);
		quote(message, r->reason + len + 2, sizeof(r->reason) - (size_t)len - 2,
		      QUOTE_CHARS);
	}
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
		code = str(st, "Code");
		if (st == NULL) {
			res[i].outcome = OUTCOME_RETRY;
			snprintf(res[i].reason, sizeof(res[i].reason),
				 "no result for this number in Tencent's SendStatusSet");
			missing++;
		} else if (strcmp(code, "Ok") == 0) {
			res[i].outcome = OUTCOME_OK;
			copy_utf8(res[i].ref, sizeof(res[i].ref), str(st, "SerialNo"));
		} else {
			code_result(code[0] ? code : "(none)", str(st, "Message"), &res[i]);
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
			quote(resp->error[0] ? resp->error : "transport error", why, sizeof(why),
			      80);
		snprintf(r->reason, sizeof(r->reason),
			 "%s; outcome unknown, reconcile before resending", why);
	} else if (!json_is_object(response)) {
		http_result(resp, r);
	} else if (json_is_object(err)) {
		code_result(str(err, "Code")[0] ? str(err, "Code") : "(none)", str(err, "Message"),
			    r);
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

/* A push body: a JSON array of objects, or one object (read as an array of one). */
static json_t *load_push(const char *body, size_t len, const char *what, struct err *e)
{
	json_error_t jerr = { .line = 0 };
	json_t *root = len > 0 ? json_loadb(body, len, 0, &jerr) : NULL;

	if (root == NULL || (!json_is_array(root) && !json_is_object(root))) {
		/* jerr.text quotes the body, which may hold a number: only the place is given. */
		if (root == NULL && len > 0)
			err_set(e, ERR_INVALID, NULL,
				"Tencent %s push is not JSON (error at line %d, column %d)", what,
				jerr.line, jerr.column);
		else
			err_set(e, ERR_INVALID, NULL, "Tencent %s push is %s, not a JSON array",
				what, len == 0 ? "empty" : "a JSON scalar");
		json_decref(root);
		return NULL;
	}
	return root;
}

static size_t push_count(json_t *root)
{
	return json_is_array(root) ? json_array_size(root) : 1;
}

static json_t *push_item(json_t *root, size_t i)
{
	return json_is_array(root) ? json_array_get(root, i) : root;
}

/* A mainland number from nationcode and mobile into out (12 bytes). */
static int mainland(json_t *o, char *out)
{
	const char *nc = json_string_value(json_object_get(o, "nationcode"));
	const char *mobile = json_string_value(json_object_get(o, "mobile"));

	if (mobile == NULL ||
	    (nc != NULL && nc[0] != '\0' && strcmp(nc, "86") != 0 && strcmp(nc, "+86") != 0 &&
	     strcmp(nc, "0086") != 0))
		return -1;
	return phone_normalize(mobile, out, NULL);
}

/* One status-report entry; -1 when it lacks what a receipt needs. */
static int receipt_from(json_t *o, struct prov_receipt *r)
{
	const char *status = str(o, "report_status"), *t = str(o, "user_receive_time");
	char when[40];

	memset(r, 0, sizeof(*r));
	if (str(o, "sid")[0] == '\0' || strlen(str(o, "sid")) >= sizeof(r->ref) ||
	    (strcmp(status, "SUCCESS") != 0 && strcmp(status, "FAIL") != 0))
		return -1;
	snprintf(r->ref, sizeof(r->ref), "%s", str(o, "sid"));
	r->delivered = strcmp(status, "SUCCESS") == 0;
	if (mainland(o, r->phone) < 0)
		r->phone[0] = '\0'; /* the SerialNo alone still finds the message */
	copy_utf8(r->code, sizeof(r->code), str(o, "errmsg"));
	copy_utf8(r->desc, sizeof(r->desc), str(o, "description"));
	snprintf(when, sizeof(when), "%.24s%s", t, BEIJING_OFFSET);
	if (strlen(t) > 24 || timefmt_parse(when, &r->at_ms, NULL) < 0)
		r->at_ms = 0;
	return 0;
}

/* 短信下发状态通知 (cloud.tencent.com/document/product/382/5807): [{user_receive_time,
 * nationcode, mobile, report_status, errmsg, description, sid}, ...]. Entries without sid
 * or report_status are skipped; ERR_INVALID when none is usable, ERR_TOOBIG when more than
 * max are. */
static int tencent_parse_receipts(const char *body, size_t len, struct prov_receipt *out, int max,
				  int *n, struct err *e)
{
	json_t *root = load_push(body, len, "status report", e);
	int got = 0, bad = 0, rc = 0;
	struct prov_receipt r;

	if (root == NULL)
		return ERR_INVALID;
	for (size_t i = 0; i < push_count(root) && rc == 0; i++) {
		if (receipt_from(push_item(root, i), &r) < 0)
			bad++;
		else if (got < max)
			out[got++] = r;
		else
			rc = err_set(e, ERR_TOOBIG, NULL,
				     "Tencent status report has more than %d entries", max);
	}
	if (rc == 0 && got == 0 && bad > 0)
		rc = err_set(e, ERR_INVALID, NULL,
			     "no entry of the Tencent status report has sid and report_status");
	else if (rc == 0 && bad > 0)
		log_warn("tencent: skipped %d malformed status report entries", bad);
	if (rc == 0)
		*n = got;
	json_decref(root);
	return rc;
}

/* One reply; -1 without a mainland mobile or a text. */
static int reply_from(json_t *o, struct prov_reply *r)
{
	json_t *t = json_object_get(o, "time");
	long long secs = json_is_integer(t) ? (long long)json_integer_value(t)
		: json_is_string(t)         ? strtoll(json_string_value(t), NULL, 10)
					    : 0;

	memset(r, 0, sizeof(*r));
	if (mainland(o, r->phone) < 0 || !json_is_string(json_object_get(o, "text")))
		return -1;
	copy_utf8(r->text, sizeof(r->text), str(o, "text"));
	copy_utf8(r->ext, sizeof(r->ext), str(o, "extend")[0] ? str(o, "extend") : str(o, "sign"));
	r->at_ms = secs > 0 && secs < INT64_MAX / 1000 ? (int64_t)secs * 1000 : 0;
	return 0;
}

/* 短信回复: one object {extend, mobile, nationcode, sign, text, time} (an array of them is
 * taken too). ext gets extend, or the sign when extend is empty. */
static int tencent_parse_replies(const char *body, size_t len, struct prov_reply *out, int max,
				 int *n, struct err *e)
{
	json_t *root = load_push(body, len, "reply", e);
	int got = 0, rc = 0;
	struct prov_reply r;

	if (root == NULL)
		return ERR_INVALID;
	for (size_t i = 0; i < push_count(root) && rc == 0; i++) {
		if (reply_from(push_item(root, i), &r) < 0)
			continue;
		if (got < max)
			out[got++] = r;
		else
			rc = err_set(e, ERR_TOOBIG, NULL,
				     "Tencent reply push has more than %d replies", max);
	}
	if (rc == 0 && got == 0 && push_count(root) > 0)
		rc = err_set(e, ERR_INVALID, NULL,
			     "Tencent reply push has no entry with a mainland mobile and a text");
	if (rc == 0)
		*n = got;
	json_decref(root);
	return rc;
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
	.push_answer = "{\"result\":0,\"errmsg\":\"OK\"}",
};
