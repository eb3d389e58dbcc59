/* providers/aliyun_sign: how a request to Alibaba Cloud is signed and put together: the
 * canonical query, signature V2 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256) of aliyun.h, and
 * aliyun_request, which wraps the business parameters of SendSms, SendBatchSms or
 * QuerySendDetails into one signed POST. Called by aliyun.c and aliyun_push.c (and the
 * unit tests, against the published vectors). No clock: the time comes from now_ms; the
 * nonce from getrandom(2). The secret never leaves the stack and the request.
 * Source: V3 signature help.aliyun.com/document_detail/2593177.html. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "aliyun_internal.h"
#include "crypto.h"
#include "timefmt.h"

#define ALIYUN_VERSION "2017-05-25"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MAX_PARAMS 24 /* business parameters and the common ones of one request */
#define MAX_SIGNED 8 /* signed headers of one V3 request */
#define SBUF_CAP (1u << 20)

static void sb_add(struct aliyun_sbuf *b, const char *s, size_t n)
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

void aliyun_sb_str(struct aliyun_sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* The string (caller frees), or NULL when building it failed. */
static char *sb_take(struct aliyun_sbuf *b)
{
	if (b->bad) {
		free(b->p);
		return NULL;
	}
	return b->p != NULL ? b->p : calloc(1, 1);
}

static int cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct aliyun_param *)a)->name,
		      ((const struct aliyun_param *)b)->name);
}

char *aliyun_canonical_query(const struct aliyun_param *p, size_t n)
{
	struct aliyun_param *sorted = malloc((n + 1) * sizeof(*sorted));
	struct aliyun_sbuf b = { 0 };

	if (sorted == NULL)
		return NULL;
	memcpy(sorted, p, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_param);
	for (size_t i = 0; i < n; i++) {
		char *k = crypto_percent_encode(sorted[i].name, strlen(sorted[i].name));
		char *v = crypto_percent_encode(sorted[i].value, strlen(sorted[i].value));

		b.bad |= k == NULL || v == NULL;
		if (i > 0)
			aliyun_sb_str(&b, "&");
		aliyun_sb_str(&b, k != NULL ? k : "");
		aliyun_sb_str(&b, "=");
		aliyun_sb_str(&b, v != NULL ? v : "");
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
	struct aliyun_sbuf sts = { 0 };
	unsigned char mac[CRYPTO_SHA1_LEN];
	int rc = 0;

	aliyun_sb_str(&sts, method);
	aliyun_sb_str(&sts, "&%2F&");
	aliyun_sb_str(&sts, enc != NULL ? enc : "");
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
static void canonical_header(struct aliyun_sbuf *b, const struct aliyun_param *h)
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
	aliyun_sb_str(b, ":");
	sb_add(b, v, vlen);
	aliyun_sb_str(b, "\n");
}

/* CanonicalRequest of V3 into b; signed gets the signed header names. */
static int canonical_request(const struct aliyun_v3 *in, struct aliyun_sbuf *b,
			     char signed_headers[ALIYUN_SIGNED_HEADERS_SIZE], struct err *e)
{
	struct aliyun_param h[MAX_SIGNED];
	size_t used = 0;

	if (in->nheaders > MAX_SIGNED)
		return err_set(e, ERR_TOOBIG, NULL, "%zu signed headers; at most %d", in->nheaders,
			       MAX_SIGNED);
	memcpy(h, in->headers, in->nheaders * sizeof(h[0]));
	qsort(h, in->nheaders, sizeof(h[0]), cmp_header);
	aliyun_sb_str(b, in->method);
	aliyun_sb_str(b, "\n");
	aliyun_sb_str(b, in->path);
	aliyun_sb_str(b, "\n");
	aliyun_sb_str(b, in->canonical_query);
	aliyun_sb_str(b, "\n");
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
	aliyun_sb_str(b, "\n");
	aliyun_sb_str(b, signed_headers);
	aliyun_sb_str(b, "\n");
	aliyun_sb_str(b, in->payload_hash);
	return b->bad ? err_set(e, ERR_NOMEM, NULL, "no memory for the canonical request") : 0;
}

int aliyun_sign_v3(const struct aliyun_v3 *in, const char *secret,
		   char signed_headers[ALIYUN_SIGNED_HEADERS_SIZE], char out[ALIYUN_V3_SIG_SIZE],
		   struct err *e)
{
	char sts[sizeof("ACS3-HMAC-SHA256\n") + 64];
	unsigned char mac[CRYPTO_SHA256_LEN];
	struct aliyun_sbuf cr = { 0 };
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
	struct aliyun_sbuf body = { 0 };
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
	aliyun_sb_str(&body, canon);
	aliyun_sb_str(&body, "&Signature=");
	aliyun_sb_str(&body, esig != NULL ? esig : "");
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

/* req->url = url?query and true when that fits; false, req->url untouched, when not.
 * Copied by hand: snprintf here fails the -O2 build (-Wformat-truncation), which cannot
 * see the length check. */
static bool url_with_query(struct http_request *req, const char *url, const char *query)
{
	size_t ulen = strlen(url), qlen = strlen(query);

	if (ulen + 1 + qlen >= sizeof(req->url))
		return false;
	memcpy(req->url, url, ulen);
	req->url[ulen] = '?';
	memcpy(req->url + ulen + 1, query, qlen + 1);
	return true;
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
	if (url_with_query(req, s->url, canon)) {
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

int aliyun_request(const struct aliyun_state *s, const char *action, const struct aliyun_param *biz,
		   size_t nbiz, int64_t now_ms, struct http_request *req, struct err *e)
{
	char nonce[33], stamp[32];
	int rc;

	http_request_init(req, "POST", s->url);
	req->insecure = !s->cfg.tls_verify;
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
