/* providers/aliyun: Alibaba Cloud SMS (dysmsapi 2017-05-25) through provider_aliyun.
 * Called by the worker: build() makes one signed SendSms for up to 1000 numbers of one
 * notice (same template parameters), classify() maps the Code of the answer; the HTTP
 * server hands SmsReport and SmsUp pushes to parse_receipts / parse_replies. aliyun.h adds
 * the signatures, SendBatchSms and QuerySendDetails for tests and the coming reconciliation.
 * Every build re-signs with a fresh nonce and the message's now_ms (never the clock).
 * OutId carries our message id, but one request has one OutId and one BizId: receipts are
 * matched by BizId + phone number. SendSms is not idempotent, so a timeout is UNKNOWN.
 * Reasons never carry a phone number: digit runs in Alibaba's messages are masked.
 * A push time that is missing or unreadable leaves at_ms 0 rather than dropping a receipt.
 * Longer than 500 lines: signing, sending and push parsing of one API stay in one file.
 * Sources (search tool, docs corpus): /work/shared/PROVIDERS.md part 1; SendSms and
 * QuerySendDetails help.aliyun.com/document_detail/419277.html; V3 signature
 * help.aliyun.com/document_detail/2593177.html; SmsReport document_detail/101867.html;
 * SmsUp help.aliyun.com/zh/sms/developer-reference/smsup-http (phone_number, content,
 * send_time, dest_code, sequence_id) and knowledge_detail/60127.html (adds sign_name). */
#include "aliyun.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "crypto.h"
#include "phone.h"
#include "timefmt.h"

#define ALIYUN_ENDPOINT "https://dysmsapi.aliyuncs.com/"
#define ALIYUN_VERSION "2017-05-25"
#define ALIYUN_REGION "cn-hangzhou"
#define ALIYUN_TIMEOUT_MS 5000 /* Alibaba asks for at least 1 s */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define BEIJING_MIN 480 /* Alibaba's push times and day quotas are Beijing time, +08:00 */
#define MAX_PARAMS 24 /* business parameters and the common ones of one request */
#define MAX_SIGNED 8 /* signed headers of one V3 request */
#define SBUF_CAP (1u << 20)
#define DAY_MS (24LL * 3600 * 1000)

struct aliyun_state {
	struct provider_config cfg; /* a private copy; the secret is wiped on destroy */
	char url[512]; /* scheme://host[:port]/path of the endpoint */
	char host[256]; /* host[:port], for the host header */
	char path[256]; /* the endpoint's path, "/" for Alibaba's */
	const char *region;
	bool v3;
};

/* A growable string with a hard cap; bad once memory or the cap ran out. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool bad;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *q;

	if (b->bad)
		return;
	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap > SBUF_CAP) {
		b->bad = true;
		return;
	}
	if (cap != b->cap) {
		q = realloc(b->p, cap);
		if (q == NULL) {
			b->bad = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* The string (caller frees), or NULL when building it failed. */
static char *sb_take(struct sbuf *b)
{
	if (b->bad) {
		free(b->p);
		return NULL;
	}
	return b->p != NULL ? b->p : calloc(1, 1);
}

/* Copies s into out cut on a UTF-8 character boundary; control characters become spaces. */
static void copy_cut(const char *s, char *out, size_t outsz)
{
	size_t k = s != NULL ? strnlen(s, outsz - 1) : 0;

	if (s != NULL && s[k] != '\0')
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
	for (size_t i = 0; i < k; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	out[k] = '\0';
}

/* Copies s whole into out; false when s is NULL or does not fit. */
static bool copy_fit(const char *s, char *out, size_t outsz)
{
	if (s == NULL || strlen(s) >= outsz)
		return false;
	memcpy(out, s, strlen(s) + 1);
	return true;
}

/* Runs of 7 or more digits keep only their last 4: phone numbers in any prefix form. */
static void mask_digit_runs(char *s)
{
	size_t i = 0;

	while (s[i] != '\0') {
		size_t j = i;

		while (s[j] >= '0' && s[j] <= '9')
			j++;
		if (j - i >= 7)
			memset(s + i, '*', j - i - 4);
		i = j > i ? j : i + 1;
	}
}

/* r->reason = "<head>: <msg>" (": <msg>" when msg is given), masked and cut to fit. */
static void set_reason(struct prov_result *r, const char *head, const char *msg)
{
	char tmp[512];

	if (msg != NULL && *msg != '\0')
		snprintf(tmp, sizeof(tmp), "%s: %s", head, msg);
	else
		snprintf(tmp, sizeof(tmp), "%s", head);
	mask_digit_runs(tmp);
	copy_cut(tmp, r->reason, sizeof(r->reason));
}

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

static int cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct aliyun_param *)a)->name,
		      ((const struct aliyun_param *)b)->name);
}

char *aliyun_canonical_query(const struct aliyun_param *p, size_t n)
{
	struct aliyun_param *sorted = malloc((n + 1) * sizeof(*sorted));
	struct sbuf b = { 0 };

	if (sorted == NULL)
		return NULL;
	memcpy(sorted, p, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_param);
	for (size_t i = 0; i < n; i++) {
		char *k = crypto_percent_encode(sorted[i].name, strlen(sorted[i].name));
		char *v = crypto_percent_encode(sorted[i].value, strlen(sorted[i].value));

		b.bad |= k == NULL || v == NULL;
		if (i > 0)
			sb_str(&b, "&");
		sb_str(&b, k != NULL ? k : "");
		sb_str(&b, "=");
		sb_str(&b, v != NULL ? v : "");
		free(k);
		free(v);
	}
	free(sorted);
	return sb_take(&b);
}

int aliyun_sign_v2(const char *method, const char *canonical_query, const char *secret,
		   char out[ALIYUN_V2_SIG_SIZE], struct err *e)
{
	char key[sizeof(((struct provider_config *)0)->secret) + 2];
	char *enc = crypto_percent_encode(canonical_query, strlen(canonical_query));
	struct sbuf sts = { 0 };
	unsigned char mac[CRYPTO_SHA1_LEN];
	int rc = 0;

	sb_str(&sts, method);
	sb_str(&sts, "&%2F&");
	sb_str(&sts, enc != NULL ? enc : "");
	if (enc == NULL || sts.bad || strlen(secret) + 2 > sizeof(key)) {
		rc = err_set(e, ERR_NOMEM, NULL, "no memory (or a too long secret) to sign");
		goto out;
	}
	snprintf(key, sizeof(key), "%s&", secret);
	crypto_hmac_sha1(key, strlen(key), sts.p, sts.len, mac);
	memset(key, 0, sizeof(key));
	crypto_base64(mac, sizeof(mac), out, ALIYUN_V2_SIG_SIZE);
out:
	free(enc);
	free(sts.p);
	return rc;
}

static int cmp_header(const void *a, const void *b)
{
	return strcasecmp(((const struct aliyun_param *)a)->name,
			  ((const struct aliyun_param *)b)->name);
}

/* Appends lower-case name, ':', the trimmed value and '\n'. */
static void canonical_header(struct sbuf *b, const struct aliyun_param *h)
{
	const char *v = h->value;
	size_t vlen;

	for (const char *c = h->name; *c; c++) {
		char lc = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);

		sb_add(b, &lc, 1);
	}
	v += strspn(v, " \t");
	vlen = strlen(v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	sb_str(b, ":");
	sb_add(b, v, vlen);
	sb_str(b, "\n");
}

/* CanonicalRequest of V3 into b; signed gets the signed header names. */
static int canonical_request(const struct aliyun_v3 *in, struct sbuf *b,
			     char signed_headers[ALIYUN_SIGNED_HEADERS_SIZE], struct err *e)
{
	struct aliyun_param h[MAX_SIGNED];
	size_t used = 0;

	if (in->nheaders > MAX_SIGNED)
		return err_set(e, ERR_TOOBIG, NULL, "%zu signed headers; at most %d", in->nheaders,
			       MAX_SIGNED);
	memcpy(h, in->headers, in->nheaders * sizeof(h[0]));
	qsort(h, in->nheaders, sizeof(h[0]), cmp_header);
	sb_str(b, in->method);
	sb_str(b, "\n");
	sb_str(b, in->path);
	sb_str(b, "\n");
	sb_str(b, in->canonical_query);
	sb_str(b, "\n");
	for (size_t i = 0; i < in->nheaders; i++) {
		size_t len = strlen(h[i].name);

		canonical_header(b, &h[i]);
		if (used + len + 2 > ALIYUN_SIGNED_HEADERS_SIZE)
			return err_set(e, ERR_TOOBIG, NULL, "signed header names too long");
		for (size_t k = 0; k < len; k++)
			signed_headers[used + k] = (char)(h[i].name[k] >= 'A' && h[i].name[k] <= 'Z'
								  ? h[i].name[k] + 32
								  : h[i].name[k]);
		used += len;
		signed_headers[used++] = i + 1 < in->nheaders ? ';' : '\0';
	}
	if (in->nheaders == 0)
		signed_headers[0] = '\0';
	sb_str(b, "\n");
	sb_str(b, signed_headers);
	sb_str(b, "\n");
	sb_str(b, in->payload_hash);
	return b->bad ? err_set(e, ERR_NOMEM, NULL, "no memory for the canonical request") : 0;
}

int aliyun_sign_v3(const struct aliyun_v3 *in, const char *secret,
		   char signed_headers[ALIYUN_SIGNED_HEADERS_SIZE], char out[ALIYUN_V3_SIG_SIZE],
		   struct err *e)
{
	char sts[sizeof("ACS3-HMAC-SHA256\n") + 64];
	unsigned char mac[CRYPTO_SHA256_LEN];
	struct sbuf cr = { 0 };
	int rc = canonical_request(in, &cr, signed_headers, e);

	if (rc == 0) {
		memcpy(sts, "ACS3-HMAC-SHA256\n", 17);
		crypto_sha256_hex(cr.p, cr.len, sts + 17);
		crypto_hmac_sha256(secret, strlen(secret), sts, strlen(sts), mac);
		crypto_hex(mac, sizeof(mac), out);
	}
	free(cr.p);
	return rc;
}

/* "2017-07-12T02:42:19Z" for now_ms. */
static void utc_stamp(int64_t now_ms, char out[32])
{
	timefmt_iso(now_ms, 0, out);
	out[19] = 'Z';
	out[20] = '\0';
}

/* 32 hex digits from getrandom(2): a nonce is not a clock. */
static int make_nonce(char out[33], struct err *e)
{
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return err_set(e, ERR_IO, NULL, "getrandom failed; cannot make a signature nonce");
	crypto_hex(r, sizeof(r), out);
	return 0;
}

/* Copies biz into p and appends the parameters every request carries. */
static size_t common_params(const struct aliyun_state *s, const struct aliyun_param *biz,
			    size_t nbiz, struct aliyun_param p[MAX_PARAMS])
{
	memcpy(p, biz, nbiz * sizeof(p[0]));
	p[nbiz++] = (struct aliyun_param){ "Format", "JSON" }; /* the default is XML */
	p[nbiz++] = (struct aliyun_param){ "RegionId", s->region };
	return nbiz;
}

/* V2: every parameter and the Signature in a form body. */
static int request_v2(const struct aliyun_state *s, const char *action,
		      const struct aliyun_param *biz, size_t nbiz, const char *nonce,
		      const char *stamp, struct http_request *req, struct err *e)
{
	struct aliyun_param p[MAX_PARAMS];
	size_t n = common_params(s, biz, nbiz, p);
	char sig[ALIYUN_V2_SIG_SIZE], *canon = NULL, *esig = NULL;
	struct sbuf body = { 0 };
	int rc;

	p[n++] = (struct aliyun_param){ "Action", action };
	p[n++] = (struct aliyun_param){ "Version", ALIYUN_VERSION };
	p[n++] = (struct aliyun_param){ "AccessKeyId", s->cfg.key_id };
	p[n++] = (struct aliyun_param){ "SignatureMethod", "HMAC-SHA1" };
	p[n++] = (struct aliyun_param){ "SignatureVersion", "1.0" };
	p[n++] = (struct aliyun_param){ "SignatureNonce", nonce };
	p[n++] = (struct aliyun_param){ "Timestamp", stamp };
	canon = aliyun_canonical_query(p, n);
	rc = canon != NULL ? aliyun_sign_v2("POST", canon, s->cfg.secret, sig, e)
			   : err_set(e, ERR_NOMEM, NULL, "no memory for the request");
	if (rc < 0)
		goto out;
	esig = crypto_percent_encode(sig, strlen(sig));
	sb_str(&body, canon);
	sb_str(&body, "&Signature=");
	sb_str(&body, esig != NULL ? esig : "");
	if (esig == NULL || body.bad ||
	    http_request_header(req, "Content-Type", "application/x-www-form-urlencoded") < 0) {
		rc = err_set(e, ERR_NOMEM, NULL, "no memory for the request");
		goto out;
	}
	req->body = body.p;
	req->body_len = body.len;
	body.p = NULL;
out:
	free(canon);
	free(esig);
	free(body.p);
	return rc;
}

/* The Authorization header and every signed one into req. */
static int v3_headers(const struct aliyun_state *s, const struct aliyun_v3 *in,
		      struct http_request *req, struct err *e)
{
	char signed_headers[ALIYUN_SIGNED_HEADERS_SIZE], sig[ALIYUN_V3_SIG_SIZE], auth[512];
	int rc = aliyun_sign_v3(in, s->cfg.secret, signed_headers, sig, e);

	if (rc < 0)
		return rc;
	snprintf(auth, sizeof(auth), "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s",
		 s->cfg.key_id, signed_headers, sig);
	for (size_t i = 0; i < in->nheaders; i++)
		if (http_request_header(req, in->headers[i].name, in->headers[i].value) < 0)
			return err_set(e, ERR_INTERNAL, NULL, "aliyun request headers do not fit");
	if (http_request_header(req, "Authorization", auth) < 0)
		return err_set(e, ERR_INTERNAL, NULL, "aliyun request headers do not fit");
	return 0;
}

/* V3: the parameters in the query string of a POST with an empty body, as the SDK sends
 * SendSms; when they do not fit http_request.url (1000 numbers, long Chinese parameters)
 * they go into a form body instead, covered by x-acs-content-sha256 and a signed
 * content-type (both are documented for RPC APIs). */
static int request_v3(const struct aliyun_state *s, const char *action,
		      const struct aliyun_param *biz, size_t nbiz, const char *nonce,
		      const char *stamp, struct http_request *req, struct err *e)
{
	struct aliyun_param p[MAX_PARAMS];
	size_t n = common_params(s, biz, nbiz, p);
	char *canon = aliyun_canonical_query(p, n);
	char hash[65];
	struct aliyun_param h[] = {
		{ "host", s->host },
		{ "x-acs-action", action },
		{ "x-acs-version", ALIYUN_VERSION },
		{ "x-acs-date", stamp },
		{ "x-acs-signature-nonce", nonce },
		{ "x-acs-content-sha256", hash },
		{ "content-type", "application/x-www-form-urlencoded" },
	};
	struct aliyun_v3 in = { "POST", s->path, "", h, sizeof(h) / sizeof(h[0]) - 1, hash };
	int rc;

	if (canon == NULL)
		return err_set(e, ERR_NOMEM, NULL, "no memory for the request");
	if (strlen(s->url) + 1 + strlen(canon) < sizeof(req->url)) {
		snprintf(req->url, sizeof(req->url), "%s?%s", s->url, canon);
		in.canonical_query = canon;
		memcpy(hash, EMPTY_SHA256, sizeof(hash));
	} else {
		crypto_sha256_hex(canon, strlen(canon), hash);
		in.nheaders++;
	}
	rc = v3_headers(s, &in, req, e);
	if (rc == 0 && in.nheaders == sizeof(h) / sizeof(h[0])) {
		req->body = canon;
		req->body_len = strlen(canon);
		canon = NULL;
	}
	free(canon);
	return rc;
}

/* One signed request for action: biz are its business parameters. */
static int make_request(const struct aliyun_state *s, const char *action,
			const struct aliyun_param *biz, size_t nbiz, int64_t now_ms,
			struct http_request *req, struct err *e)
{
	char nonce[33], stamp[32];
	int rc;

	http_request_init(req, "POST", s->url);
	rc = make_nonce(nonce, e);
	if (rc < 0)
		return rc;
	utc_stamp(now_ms, stamp);
	rc = s->v3 ? request_v3(s, action, biz, nbiz, nonce, stamp, req, e)
		   : request_v2(s, action, biz, nbiz, nonce, stamp, req, e);
	if (rc < 0)
		http_request_cleanup(req);
	else
		req->timeout_ms = s->cfg.timeout_ms;
	return rc;
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

/* A mobile number as the API takes it: digits, optionally after '+'. */
static bool number_ok(const char *to)
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
		if (!number_ok(msgs[i].to))
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
	struct sbuf phones = { 0 };
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
			sb_str(&phones, ",");
		sb_str(&phones, msgs[i].to);
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
	rc = make_request(s, "SendSms", p, np, msgs[0].now_ms, req, e);
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
	rc = make_request(s, "SendBatchSms", p, np, msgs[0].now_ms, req, e);
out:
	for (int k = 0; k < 3; k++)
		free(arr[k]);
	return rc;
}

int aliyun_build_query(void *state, const struct aliyun_query *q, struct http_request *req,
		       struct err *e)
{
	const struct aliyun_state *s = state;
	char date[32], day[9], size[12], page[12];
	struct aliyun_param p[5];
	size_t np = 0;

	if (!number_ok(q->phone) || q->page_size < 1 || q->page_size > 50 || q->page < 1)
		return err_set(e, ERR_INVALID, NULL,
			       "QuerySendDetails needs a mobile number, PageSize 1..50 and a "
			       "page from 1 (got %d, %d)",
			       q->page_size, q->page);
	/* SendDate is the Beijing day of the send: yyyyMMdd. */
	timefmt_iso(q->sent_ms != 0 ? q->sent_ms : q->now_ms, BEIJING_MIN, date);
	snprintf(day, sizeof(day), "%.4s%.2s%.2s", date, date + 5, date + 8);
	snprintf(size, sizeof(size), "%d", q->page_size);
	snprintf(page, sizeof(page), "%d", q->page);
	p[np++] = (struct aliyun_param){ "PhoneNumber", q->phone };
	p[np++] = (struct aliyun_param){ "SendDate", day };
	p[np++] = (struct aliyun_param){ "PageSize", size };
	p[np++] = (struct aliyun_param){ "CurrentPage", page };
	if (q->biz_id != NULL && q->biz_id[0] != '\0')
		p[np++] = (struct aliyun_param){ "BizId", q->biz_id };
	return make_request(s, "QuerySendDetails", p, np, q->now_ms, req, e);
}

enum wait { WAIT_DEFAULT, WAIT_HEADER, WAIT_DAY, WAIT_MONTH };

struct code_rule {
	const char *code; /* a trailing '*' names a family: Throttling.User, MissingSignName */
	enum outcome outcome;
	enum wait wait; /* THROTTLED: how long the provider pauses */
	const char *hint;
};

/* PROVIDERS.md part 1, the class table. Codes in neither list are RETRY and reported. */
static const struct code_rule code_rules[] = {
	{ "OK", OUTCOME_OK, WAIT_DEFAULT, NULL },
	{ "isp.SYSTEM_ERROR", OUTCOME_RETRY, WAIT_DEFAULT, NULL },
	{ "isp.GATEWAY_ERROR", OUTCOME_RETRY, WAIT_DEFAULT, NULL },
	{ "InternalError", OUTCOME_RETRY, WAIT_DEFAULT, NULL },
	{ "ServiceUnavailable", OUTCOME_RETRY, WAIT_DEFAULT, NULL },
	{ "InvalidTimeStamp.Expired", OUTCOME_RETRY, WAIT_DEFAULT,
	  "check the server clock (NTP); the retry is signed anew" },
	{ "SignatureNonceUsed", OUTCOME_RETRY, WAIT_DEFAULT, "the retry gets a new nonce" },
	/* Per-number flow control must not pause every other number for an hour: the
	 * default short, escalating pause applies. */
	{ "isv.BUSINESS_LIMIT_CONTROL", OUTCOME_THROTTLED, WAIT_DEFAULT, NULL },
	{ "isv.DAY_LIMIT_CONTROL", OUTCOME_THROTTLED, WAIT_DAY,
	  "account day quota; paused until Beijing midnight" },
	{ "isv.MONTH_LIMIT_CONTROL", OUTCOME_THROTTLED, WAIT_MONTH,
	  "account month quota; paused until the month ends" },
	{ "Throttling*", OUTCOME_THROTTLED, WAIT_HEADER, NULL },
	{ "isv.MOBILE_NUMBER_ILLEGAL", OUTCOME_PERMANENT, WAIT_DEFAULT, NULL },
	{ "SignatureDoesNotMatch", OUTCOME_PERMANENT, WAIT_DEFAULT, "check key_id and secret" },
	{ "InvalidAccessKeyId.NotFound", OUTCOME_PERMANENT, WAIT_DEFAULT, "check key_id" },
	{ "isv.SMS_SIGNATURE_ILLEGAL", OUTCOME_PERMANENT, WAIT_DEFAULT, "check sign_name" },
	{ "isv.SMS_TEMPLATE_ILLEGAL", OUTCOME_PERMANENT, WAIT_DEFAULT, "check the template.*" },
	{ "isv.TEMPLATE_MISSING_PARAMETERS", OUTCOME_PERMANENT, WAIT_DEFAULT, "check params.*" },
	{ "isv.AMOUNT_NOT_ENOUGH", OUTCOME_PERMANENT, WAIT_DEFAULT, "top up the account" },
	{ "isp.RAM_PERMISSION_DENY", OUTCOME_PERMANENT, WAIT_DEFAULT,
	  "grant the RAM user dysms:SendSms" },
};

/* The rest of the PERMANENT class: the data or the configuration must change. */
static const char *const permanent_codes[] = {
	"IncompleteSignature",
	"InvalidTimeStamp.Format",
	"Missing*",
	"isv.MOBILE_COUNT_OVER_LIMIT",
	"isv.SMS_SIGNATURE_SCENE_ILLEGAL",
	"isv.INVALID_JSON_PARAM",
	"isv.INVALID_PARAMETERS",
	"isv.PARAM_LENGTH_LIMIT",
	"isv.PARAM_NOT_SUPPORT_URL",
	"isv.BLACK_KEY_CONTROL_LIMIT",
	"isv.SMS_CONTENT_ILLEGAL",
	"isv.SMS_SIGN_ILLEGAL",
	"isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
	"isv.EXTEND_CODE_ERROR",
	"isv.DENY_IP_RANGE",
	"isv.OUT_OF_SERVICE",
	"isv.ACCOUNT_NOT_EXISTS",
	"isv.ACCOUNT_ABNORMAL",
	"isv.PRODUCT_UN_SUBSCRIPT",
	"isv.PRODUCT_UNSUBSCRIBE",
};

static bool code_matches(const char *pattern, const char *code)
{
	size_t n = strlen(pattern);

	return pattern[n - 1] == '*' ? strncmp(code, pattern, n - 1) == 0
				     : strcmp(code, pattern) == 0;
}

/* The rule for code, or NULL for a code nobody told us about. */
static const struct code_rule *find_rule(const char *code)
{
	static const struct code_rule permanent = { "", OUTCOME_PERMANENT, WAIT_DEFAULT, NULL };

	for (size_t i = 0; i < sizeof(code_rules) / sizeof(code_rules[0]); i++)
		if (code_matches(code_rules[i].code, code))
			return &code_rules[i];
	for (size_t i = 0; i < sizeof(permanent_codes) / sizeof(permanent_codes[0]); i++)
		if (code_matches(permanent_codes[i], code))
			return &permanent;
	return NULL;
}

/* Milliseconds from now_ms to the next Beijing midnight, or to the 1st of next month. */
static int wait_ms(enum wait w, int64_t now_ms)
{
	int64_t local = now_ms + BEIJING_MIN * 60000LL, until;
	time_t t = (time_t)(local / 1000);
	struct tm tm;

	if (w == WAIT_DAY) {
		until = (local / DAY_MS + 1) * DAY_MS;
	} else {
		gmtime_r(&t, &tm);
		tm.tm_mon++;
		tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		until = (int64_t)timegm(&tm) * 1000;
	}
	return until - local > INT_MAX ? INT_MAX : (int)(until - local);
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

static void by_rule(const struct code_rule *c, const struct http_response *resp, json_t *root,
		    const struct prov_msg *msgs, size_t n, struct prov_result *r)
{
	const char *msg = json_string_value(json_object_get(root, "Message"));
	char head[160];

	r->outcome = c->outcome;
	snprintf(head, sizeof(head), "%.100s", json_string_value(json_object_get(root, "Code")));
	if (c->hint != NULL)
		snprintf(head + strlen(head), sizeof(head) - strlen(head), " (%s)", c->hint);
	if (c->outcome == OUTCOME_OK && (resp->status < 200 || resp->status > 299)) {
		r->outcome = OUTCOME_RETRY;
		snprintf(head, sizeof(head), "HTTP %ld with Code OK", resp->status);
	} else if (c->outcome == OUTCOME_OK) {
		if (!copy_fit(json_string_value(json_object_get(root, "BizId")), r->ref,
			      sizeof(r->ref)))
			r->ref[0] = '\0';
		return;
	} else if (c->outcome == OUTCOME_THROTTLED) {
		r->retry_after_ms = c->wait == WAIT_HEADER ? resp->retry_after_ms
			: c->wait == WAIT_DEFAULT          ? 0
							   : wait_ms(c->wait, msgs[0].now_ms);
	} else if (strcmp(head, "isv.MOBILE_NUMBER_ILLEGAL") == 0 && n > 1) {
		/* One bad number fails the whole request; the others must not fail with it. */
		r->outcome = OUTCOME_RETRY;
		snprintf(head, sizeof(head),
			 "isv.MOBILE_NUMBER_ILLEGAL in a request of %zu "
			 "numbers: send them singly",
			 n);
	} else if (strcmp(head, "isv.MOBILE_NUMBER_ILLEGAL") == 0) {
		r->unreachable = 1;
	}
	set_reason(r, head, msg);
}

static void aliyun_classify(void *state, const struct http_response *resp,
			    const struct prov_msg *msgs, size_t n, struct prov_result *res)
{
	const struct aliyun_state *s = state;
	struct prov_result r;
	const struct code_rule *rule;
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
		set_reason(&r, head, "may have been sent; check receipts before resending");
	} else {
		root = body_object(resp);
		code = json_string_value(json_object_get(root, "Code"));
		rule = code != NULL ? find_rule(code) : NULL;
		if (code == NULL) {
			no_code(resp, root != NULL, &r);
		} else if (rule != NULL) {
			by_rule(rule, resp, root, msgs, n, &r);
		} else {
			r.outcome = OUTCOME_RETRY;
			snprintf(head, sizeof(head), "unknown code %.100s (reported)", code);
			set_reason(&r, head, json_string_value(json_object_get(root, "Message")));
		}
	}
	json_decref(root);
	for (size_t i = 0; i < n; i++)
		res[i] = r;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "yyyy-MM-dd HH:mm:ss" in Beijing time into *ms; 0 stays when it cannot be read. */
static void jtime(json_t *o, const char *key, int64_t *ms)
{
	const char *v = jstr(o, key);
	char buf[40];

	if (v == NULL || strlen(v) != 19)
		return;
	snprintf(buf, sizeof(buf), "%s+08:00", v);
	if (timefmt_parse(buf, ms, NULL) < 0)
		*ms = 0;
}

static bool phone_of(json_t *o, const char *key, char out[16])
{
	const char *v = jstr(o, key);

	return v != NULL && phone_normalize(v, out, NULL) == 0;
}

/* The push body as a JSON array. */
static int push_array(const char *body, size_t len, const char *what, json_t **out, struct err *e)
{
	json_error_t jerr;
	json_t *root = body != NULL ? json_loadb(body, len, 0, &jerr) : NULL;

	if (json_is_array(root)) {
		*out = root;
		return 0;
	}
	json_decref(root);
	/* jerr.text may quote the body; only the place is given. */
	return err_set(e, ERR_INVALID, NULL,
		       "%s push is not a JSON array (error near line %d, column %d)", what,
		       root == NULL && body != NULL ? jerr.line : 0,
		       root == NULL && body != NULL ? jerr.column : 0);
}

static bool receipt_from(json_t *el, struct prov_receipt *r)
{
	json_t *ok = json_object_get(el, "success");
	const char *oks = json_string_value(ok);

	memset(r, 0, sizeof(*r));
	if (!json_is_object(el) || !phone_of(el, "phone_number", r->phone) ||
	    !copy_fit(jstr(el, "biz_id"), r->ref, sizeof(r->ref)) || r->ref[0] == '\0')
		return false;
	if (json_is_boolean(ok))
		r->delivered = json_is_true(ok);
	else if (oks != NULL && (strcmp(oks, "true") == 0 || strcmp(oks, "false") == 0))
		r->delivered = oks[0] == 't';
	else
		return false;
	/* An OutId that does not fit is not one of ours. */
	if (!copy_fit(jstr(el, "out_id"), r->out_id, sizeof(r->out_id)))
		r->out_id[0] = '\0';
	copy_cut(jstr(el, "err_code"), r->code, sizeof(r->code));
	copy_cut(jstr(el, "err_msg"), r->desc, sizeof(r->desc));
	jtime(el, "report_time", &r->at_ms);
	if (r->at_ms == 0)
		jtime(el, "send_time", &r->at_ms);
	return true;
}

static int aliyun_parse_receipts(const char *body, size_t len, struct prov_receipt *out, int max,
				 int *n, struct err *e)
{
	json_t *root = NULL, *el;
	size_t i;
	int k = 0;

	if (push_array(body, len, "SmsReport", &root, e) < 0)
		return ERR_INVALID;
	json_array_foreach(root, i, el)
	{
		if (k >= max)
			break;
		k += receipt_from(el, &out[k]);
	}
	json_decref(root);
	*n = k;
	return 0;
}

static bool reply_from(json_t *el, struct prov_reply *r)
{
	const char *ext = jstr(el, "dest_code");

	memset(r, 0, sizeof(*r));
	if (!json_is_object(el) || !phone_of(el, "phone_number", r->phone) ||
	    jstr(el, "content") == NULL)
		return false;
	copy_cut(jstr(el, "content"), r->text, sizeof(r->text));
	copy_cut(ext != NULL && *ext ? ext : jstr(el, "sign_name"), r->ext, sizeof(r->ext));
	jtime(el, "send_time", &r->at_ms);
	return true;
}

static int aliyun_parse_replies(const char *body, size_t len, struct prov_reply *out, int max,
				int *n, struct err *e)
{
	json_t *root = NULL, *el;
	size_t i;
	int k = 0;

	if (push_array(body, len, "SmsUp", &root, e) < 0)
		return ERR_INVALID;
	json_array_foreach(root, i, el)
	{
		if (k >= max)
			break;
		k += reply_from(el, &out[k]);
	}
	json_decref(root);
	*n = k;
	return 0;
}

static bool detail_from(json_t *el, struct aliyun_detail *d)
{
	json_t *st = json_object_get(el, "SendStatus");
	long long v = json_is_integer(st) ? json_integer_value(st)
		: json_is_string(st)      ? atoll(json_string_value(st))
					  : 0;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(el) || v < ALIYUN_WAITING || v > ALIYUN_DELIVERED ||
	    !phone_of(el, "PhoneNum", d->phone))
		return false;
	d->status = (enum aliyun_send_status)v;
	if (!copy_fit(jstr(el, "OutId"), d->out_id, sizeof(d->out_id)))
		d->out_id[0] = '\0';
	copy_cut(jstr(el, "ErrCode"), d->code, sizeof(d->code));
	copy_cut(jstr(el, "TemplateCode"), d->template_code, sizeof(d->template_code));
	jtime(el, "SendDate", &d->sent_ms);
	jtime(el, "ReceiveDate", &d->at_ms);
	return true;
}

int aliyun_parse_details(const char *body, size_t len, struct aliyun_detail *out, int max, int *n,
			 int *total, struct err *e)
{
	json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *list, *tc, *el;
	const char *code = jstr(root, "Code");
	char msg[160];
	size_t i;
	int k = 0, rc = 0;

	if (!json_is_object(root) || code == NULL) {
		rc = err_set(e, ERR_INVALID, NULL,
			     "QuerySendDetails answer is not JSON with a Code");
		goto out;
	}
	if (strcmp(code, "OK") != 0) {
		copy_cut(jstr(root, "Message"), msg, sizeof(msg));
		mask_digit_runs(msg);
		rc = err_set(e, ERR_IO, NULL, "QuerySendDetails answered %.64s: %s", code, msg);
		goto out;
	}
	list = json_object_get(json_object_get(root, "SmsSendDetailDTOs"), "SmsSendDetailDTO");
	json_array_foreach(list, i, el)
	{
		if (k >= max)
			break;
		k += detail_from(el, &out[k]);
	}
	tc = json_object_get(root, "TotalCount");
	*total = json_is_integer(tc) ? (int)json_integer_value(tc)
		: json_is_string(tc) ? atoi(json_string_value(tc))
				     : k;
	*n = k;
out:
	json_decref(root);
	return rc;
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
	.push_answer = "{\"code\":0,\"msg\":\"接收成功\"}",
};
