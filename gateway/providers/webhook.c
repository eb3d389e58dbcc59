/* providers/webhook: delivers each message as a signed JSON POST to a configured URL, for
 * in-house SMS platforms and for tests. Called by the worker through provider_webhook
 * (build, then classify once http_client has the answer). One message per request:
 * cfg->batch is ignored until a receiver that accepts lists exists.
 * Signature: X-Gateway-Signature: sha256=<hex HMAC-SHA256(secret, body)>. It covers the
 * body only; providers may not read the clock, so there is no timestamp to sign, and the
 * body's "id" is what a receiver uses to drop replays and retries.
 * Never puts a phone number or message text into a reason: error bodies are redacted and
 * digit runs masked before they are quoted. */
#include <jansson.h>
#include <mbedtls/md.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "provider.h"
#include "utf8.h"

#define WEBHOOK_DEFAULT_TIMEOUT_MS 5000
#define SIG_HEX_LEN 64
#define BODY_QUOTE_CHARS 80 /* a plain-text error body is quoted up to this many chars */
#define TEXT_MATCH_MIN 12 /* bytes of the text that count as an echo of it */

struct webhook_state {
	char url[sizeof(((struct provider_config *)0)->url)];
	unsigned char secret[sizeof(((struct provider_config *)0)->secret)];
	size_t secret_len;
	int timeout_ms;
	int insecure; /* tls_verify = off */
	const mbedtls_md_info_t *md;
};

static int webhook_create(const struct provider_config *cfg, void **state, struct err *e)
{
	struct webhook_state *s;

	if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0)
		return err_set(e, ERR_INVALID, "url",
			       "[provider.%s] (line %d) has type = webhook but its url does not "
			       "start with http:// or https://; set url = https://host/path",
			       cfg->name, cfg->line);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory creating provider %s", cfg->name);
	memcpy(s->url, cfg->url, sizeof(s->url));
	s->secret_len = strnlen(cfg->secret, sizeof(cfg->secret));
	memcpy(s->secret, cfg->secret, s->secret_len);
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : WEBHOOK_DEFAULT_TIMEOUT_MS;
	s->insecure = !cfg->tls_verify;
	s->md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	*state = s;
	return 0;
}

static void webhook_destroy(void *state)
{
	struct webhook_state *s = state;

	if (s == NULL)
		return;
	/* The secret should not linger in freed memory. */
	memset(s->secret, 0, sizeof(s->secret));
	free(s);
}

/* The request body; NULL when a field is not valid UTF-8 or memory ran out. json_dumps
 * allocates with malloc (nobody installs other jansson allocators), so the body can go
 * straight into the request, which frees it with free(). */
static char *webhook_body(const struct prov_msg *m, const char *id)
{
	json_t *o;
	char *s;

	o = json_pack("{s:s,s:I,s:s?,s:s?,s:s?,s:s?}", "id", id, "notice_id",
		      (json_int_t)m->notice_id, "channel", m->channel, "kind", m->kind, "to", m->to,
		      "text", m->text);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* out gets "sha256=" and 64 lowercase hex digits. */
static int webhook_sign(const struct webhook_state *s, const char *body, size_t len,
			char out[7 + SIG_HEX_LEN + 1], struct err *e)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[32];

	if (s->md == NULL ||
	    mbedtls_md_hmac(s->md, s->secret, s->secret_len, (const unsigned char *)body, len,
			    mac) != 0)
		return err_set(e, ERR_INTERNAL, NULL,
			       "HMAC-SHA256 failed; is mbedtls built "
			       "with SHA-256?");
	memcpy(out, "sha256=", 7);
	for (int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[8 + 2 * i] = hex[mac[i] & 0xf];
	}
	out[7 + SIG_HEX_LEN] = '\0';
	return 0;
}

static int webhook_build(void *state, const struct prov_msg *msgs, size_t n,
			 struct http_request *req, struct err *e)
{
	struct webhook_state *s = state;
	char id[24], sig[7 + SIG_HEX_LEN + 1];
	char *body = NULL;
	int rc;

	if (n != 1)
		return err_set(e, ERR_INTERNAL, NULL,
			       "webhook sends one message per request, was given %zu", n);
	snprintf(id, sizeof(id), "%lld", (long long)msgs[0].id);
	body = webhook_body(&msgs[0], id);
	if (body == NULL)
		return err_set(e, ERR_INVALID, "text",
			       "message %s cannot be encoded as JSON: "
			       "a field is not valid UTF-8",
			       id);
	rc = webhook_sign(s, body, strlen(body), sig, e);
	if (rc < 0)
		goto out;
	http_request_init(req, "POST", s->url);
	if (http_request_header(req, "Content-Type", "application/json") < 0 ||
	    http_request_header(req, "X-Gateway-Message-Id", id) < 0 ||
	    http_request_header(req, "X-Gateway-Signature", sig) < 0) {
		rc = err_set(e, ERR_INTERNAL, NULL, "webhook request headers do not fit");
		goto out;
	}
	req->body_len = strlen(body);
	req->body = body;
	req->timeout_ms = s->timeout_ms;
	req->insecure = s->insecure;
	body = NULL;
out:
	free(body);
	return rc;
}

/* The body as a JSON object, or NULL (empty, not JSON, or not an object). */
static json_t *body_object(const struct http_response *resp)
{
	size_t i = 0;
	json_t *root;

	if (resp->body == NULL)
		return NULL;
	while (i < resp->body_len && strchr(" \t\r\n", resp->body[i]) != NULL)
		i++;
	if (i == resp->body_len || resp->body[i] != '{')
		return NULL;
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (root != NULL && !json_is_object(root)) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

/* Replaces each place where s repeats needle (at least min bytes of its start, or all of
 * it when shorter) by repl; repl is never longer than what it replaces. */
static void redact(char *s, const char *needle, size_t min, const char *repl)
{
	size_t nlen = needle != NULL ? strlen(needle) : 0;
	size_t rlen = strlen(repl);
	char *p = s;

	if (nlen < min)
		min = nlen;
	if (min < rlen || min == 0)
		return;
	while ((p = memmem(p, strlen(p), needle, min)) != NULL) {
		size_t m = min;

		while (m < nlen && p[m] == needle[m])
			m++;
		memcpy(p, repl, rlen);
		memmove(p + rlen, p + m, strlen(p + m) + 1);
		p += rlen;
	}
}

/* Copies s into out as printable text: valid UTF-8 only (other bytes become '?'),
 * whitespace and control characters folded into single spaces, trimmed, at most
 * max_chars characters and never a character cut in half. */
static void printable(const char *s, char *out, size_t outsz, size_t max_chars)
{
	size_t i = 0, o = 0, chars = 0;

	while (s[i] != '\0' && chars < max_chars) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (c < 0x80 && (c < 0x20 || c == 0x7f || c == ' ')) {
			if (o > 0 && out[o - 1] != ' ' && o + 1 < outsz)
				out[o++] = ' ';
			i++;
			continue;
		}
		if (k > 1 && !utf8_valid(s + i, strnlen(s + i, k), NULL))
			k = 0;
		if (o + (k ? k : 1) >= outsz)
			break;
		if (k == 0) {
			out[o++] = '?';
			i++;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
		chars++;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* What an error answer says, safe to store: the JSON "error" (string, or object with a
 * "message"), else the start of the body; the message's number and text redacted. */
static void error_detail(const struct http_response *resp, const struct prov_msg *m, char *out,
			 size_t outsz)
{
	json_t *root = body_object(resp);
	json_t *err = json_object_get(root, "error");
	const char *src = resp->body != NULL ? resp->body : "";
	size_t max_chars = BODY_QUOTE_CHARS;
	char work[512];
	size_t len;

	if (json_is_object(err))
		err = json_object_get(err, "message");
	if (json_is_string(err)) {
		src = json_string_value(err);
		max_chars = outsz;
	}
	len = strnlen(src, sizeof(work) - 1);
	/* work is longer than any quote, so masking it before the quote is cut means a
	 * number straddling the cut is already masked. */
	memcpy(work, src, len);
	work[len] = '\0';
	json_decref(root);
	redact(work, m->text, TEXT_MATCH_MIN, "[text]");
	redact(work, m->to, (size_t)-1, "[to]");
	mask_digits(work, work, sizeof(work));
	printable(work, out, outsz, max_chars);
}

/* The provider's id for the message: "id" or "message_id", when a string. */
static void ok_ref(const struct http_response *resp, char *out, size_t outsz)
{
	json_t *root = body_object(resp);
	json_t *id = json_object_get(root, "id");

	if (!json_is_string(id))
		id = json_object_get(root, "message_id");
	out[0] = '\0';
	if (json_is_string(id))
		printable(json_string_value(id), out, outsz, outsz);
	json_decref(root);
}

static void classify_status(const struct http_response *resp, const struct prov_msg *m,
			    struct prov_result *r)
{
	long st = resp->status;
	char detail[sizeof(r->reason)];

	if (st >= 200 && st < 300) {
		r->outcome = OUTCOME_OK;
		ok_ref(resp, r->ref, sizeof(r->ref));
	} else if (st == 429) {
		r->outcome = OUTCOME_THROTTLED;
		r->retry_after_ms = resp->retry_after_ms;
		snprintf(r->reason, sizeof(r->reason), "HTTP 429");
	} else if (st == 408 || (st >= 500 && st < 600)) {
		r->outcome = OUTCOME_RETRY;
		snprintf(r->reason, sizeof(r->reason), "HTTP %ld", st);
	} else if (st >= 400 && st < 500) {
		r->outcome = OUTCOME_PERMANENT;
		error_detail(resp, m, detail, sizeof(r->reason) - 16);
		snprintf(r->reason, sizeof(r->reason), detail[0] ? "HTTP %ld: %s" : "HTTP %ld", st,
			 detail);
	} else if (st >= 300 && st < 400) {
		r->outcome = OUTCOME_PERMANENT;
		snprintf(r->reason, sizeof(r->reason),
			 "HTTP %ld: redirects are not followed; "
			 "set url to the final address",
			 st);
	} else {
		r->outcome = OUTCOME_RETRY;
		snprintf(r->reason, sizeof(r->reason), "HTTP %ld: unexpected status", st);
	}
}

static void webhook_classify(void *state, const struct http_response *resp,
			     const struct prov_msg *msgs, size_t n, struct prov_result *res)
{
	const struct webhook_state *s = state;
	struct prov_result r = { .outcome = OUTCOME_RETRY };

	if (resp->timed_out)
		snprintf(r.reason, sizeof(r.reason), "timeout after %d ms", s->timeout_ms);
	else if (resp->transport_error)
		snprintf(r.reason, sizeof(r.reason), "%s",
			 resp->error[0] ? resp->error : "transport error");
	else
		classify_status(resp, &msgs[0], &r);
	for (size_t i = 0; i < n; i++)
		res[i] = r;
}

const struct provider_ops provider_webhook = {
	.type = "webhook",
	.max_batch = 1,
	.create = webhook_create,
	.destroy = webhook_destroy,
	.deliver = NULL,
	.build = webhook_build,
	.classify = webhook_classify,
};
