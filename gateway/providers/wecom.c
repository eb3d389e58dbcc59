/* providers/wecom: posts staff alerts to a WeCom group robot as markdown. Called by the
 * worker through provider_wecom (build, then classify); wecom_merge is pure and lets the
 * caller fold pending alerts into one message, since a robot takes 20 messages a minute.
 * The robot key is the only credential and sits in the URL: it never reaches a reason
 * (curl's error text is cut before any query string, WeCom's errmsg has the key removed).
 * A timeout is RETRY: the robot has no idempotency key, but a repeated staff alert is
 * better than a lost one (PROVIDERS.md part 6: "accept a possible duplicate").
 * Sources: PROVIDERS.md part 5; 群机器人配置说明 developer.work.weixin.qq.com/document/path/91770;
 * global error codes developer.work.weixin.qq.com/document/path/90313. */
#include "wecom.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define WECOM_DEFAULT_BASE "https://qyapi.weixin.qq.com"
#define WECOM_DEFAULT_TIMEOUT_MS 5000
#define WECOM_WINDOW_MS 60000 /* the robot's rate limit counts per minute */
#define ELLIPSIS "…"
#define ELLIPSIS_LEN (sizeof(ELLIPSIS) - 1)

struct wecom_state {
	char url[1024]; /* {base}/cgi-bin/webhook/send?key=KEY */
	char key[sizeof(((struct provider_config *)0)->secret)];
	int timeout_ms;
	int insecure; /* tls_verify = off */
};

/* The longest prefix of s (len bytes) of at most max bytes that ends on a character
 * boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Appends s to out at *o, cut to end before limit with "…" when it does not fit. */
static void put_cut(char *out, size_t *o, const char *s, size_t limit)
{
	size_t len = strlen(s), n = len;

	if (*o + len > limit)
		n = utf8_cut(s, len, limit - *o - ELLIPSIS_LEN);
	memcpy(out + *o, s, n);
	*o += n;
	if (n < len) {
		memcpy(out + *o, ELLIPSIS, ELLIPSIS_LEN);
		*o += ELLIPSIS_LEN;
	}
	out[*o] = '\0';
}

static size_t header_len(size_t k)
{
	return (size_t)snprintf(NULL, 0, "**%zu 条待处理提醒**", k);
}

int wecom_merge(const char *const *alerts, size_t n, char *out, size_t outsz, size_t *used)
{
	size_t limit = outsz > 0 ? outsz - 1 : 0;
	size_t k = 0, body = 0, o;

	if (limit > WECOM_MARKDOWN_MAX)
		limit = WECOM_MARKDOWN_MAX;
	if (n > 0 && limit < header_len(n) + 2 + ELLIPSIS_LEN)
		return ERR_TOOBIG;
	if (n == 0) {
		if (outsz > 0)
			out[0] = '\0';
		*used = 0;
		return 0;
	}
	while (k < n && header_len(k + 1) + body + 2 + strlen(alerts[k]) <= limit) {
		body += 2 + strlen(alerts[k]);
		k++;
	}
	if (k == 0)
		k = 1; /* the first alert alone is too long: send it cut rather than never */
	o = (size_t)snprintf(out, outsz, "**%zu 条待处理提醒**", k);
	for (size_t i = 0; i < k; i++) {
		memcpy(out + o, "\n\n", 3);
		o += 2;
		put_cut(out, &o, alerts[i], limit);
	}
	*used = k;
	return 0;
}

static int wecom_create(const struct provider_config *cfg, void **state, struct err *e)
{
	const char *base = cfg->endpoint[0] ? cfg->endpoint : WECOM_DEFAULT_BASE;
	size_t blen = strlen(base);
	struct wecom_state *s;
	char *key;
	int len;

	if (cfg->secret[0] == '\0')
		return err_set(e, ERR_INVALID, "secret",
			       "[provider.%s] (line %d) has type = wecom but no secret; set "
			       "secret_env = the variable holding the robot's webhook key",
			       cfg->name, cfg->line);
	if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)
		return err_set(e, ERR_INVALID, "endpoint",
			       "[provider.%s] (line %d): endpoint must start with http:// or "
			       "https://",
			       cfg->name, cfg->line);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	s = calloc(1, sizeof(*s));
	key = crypto_percent_encode(cfg->secret, strlen(cfg->secret));
	len = key == NULL || s == NULL
		? -1
		: snprintf(s->url, sizeof(s->url), "%.*s/cgi-bin/webhook/send?key=%s", (int)blen,
			   base, key);
	free(key);
	if (len < 0 || (size_t)len >= sizeof(s->url)) {
		free(s);
		return err_set(e, len < 0 ? ERR_NOMEM : ERR_INVALID, "endpoint",
			       "[provider.%s] (line %d): endpoint and key do not fit in a URL",
			       cfg->name, cfg->line);
	}
	snprintf(s->key, sizeof(s->key), "%s", cfg->secret);
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : WECOM_DEFAULT_TIMEOUT_MS;
	s->insecure = !cfg->tls_verify;
	*state = s;
	return 0;
}

static void wecom_destroy(void *state)
{
	struct wecom_state *s = state;

	if (s == NULL)
		return;
	/* The key should not linger in freed memory. */
	memset(s, 0, sizeof(*s));
	free(s);
}

/* {"msgtype":"markdown","markdown":{"content": text cut to 4096 bytes}}; malloc'd. */
static char *wecom_body(const char *text)
{
	char content[WECOM_MARKDOWN_MAX + 1];
	size_t o = 0;
	json_t *root;
	char *body;

	put_cut(content, &o, text, WECOM_MARKDOWN_MAX);
	root = json_pack("{s:s,s:{s:s}}", "msgtype", "markdown", "markdown", "content", content);
	body = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	return body;
}

static int wecom_build(void *state, const struct prov_msg *msgs, size_t n, struct http_request *req,
		       struct err *e)
{
	struct wecom_state *s = state;
	char *body;

	if (n != 1)
		return err_set(e, ERR_INTERNAL, NULL,
			       "wecom sends one message per request, was given %zu", n);
	if (msgs[0].text == NULL || msgs[0].text[strspn(msgs[0].text, " \t\r\n")] == '\0')
		return err_set(e, ERR_INVALID, "text",
			       "message %lld has no text; WeCom rejects empty content (44004)",
			       (long long)msgs[0].id);
	body = wecom_body(msgs[0].text);
	if (body == NULL)
		return err_set(e, ERR_INVALID, "text",
			       "message %lld cannot be encoded as JSON: its text is not valid "
			       "UTF-8",
			       (long long)msgs[0].id);
	http_request_init(req, "POST", s->url);
	if (http_request_header(req, "Content-Type", "application/json") < 0) {
		free(body);
		return err_set(e, ERR_INTERNAL, NULL, "WeCom request headers do not fit");
	}
	req->body = body;
	req->body_len = strlen(body);
	req->timeout_ms = s->timeout_ms;
	req->insecure = s->insecure;
	return 0;
}

/* What a WeCom errcode means. */
struct wecom_code {
	int code;
	enum outcome outcome;
	const char *what;
};

static const struct wecom_code wecom_codes[] = {
	{ -1, OUTCOME_RETRY, "WeCom system busy" },
	{ 45009, OUTCOME_THROTTLED, "robot limit of 20 messages a minute reached" },
	{ 93000, OUTCOME_PERMANENT, "robot key wrong or robot removed" },
	{ 40008, OUTCOME_PERMANENT, "invalid message type" },
	{ 40058, OUTCOME_PERMANENT, "invalid parameter (content too long?)" },
	{ 44004, OUTCOME_PERMANENT, "empty content" },
	{ 47001, OUTCOME_PERMANENT, "bad JSON" },
};

/* WeCom's errmsg, safe to store: printable ASCII, nothing from "key=" on, the key itself
 * replaced, digit runs of 7 or more masked (alerts may quote residents' numbers). */
static void quote_errmsg(const struct wecom_state *s, const char *src, char *out, size_t outsz)
{
	size_t n = 0, klen = strlen(s->key);
	char work[256];
	char *p;

	for (; src != NULL && src[n] != '\0' && n + 1 < sizeof(work); n++)
		work[n] = (src[n] >= 0x20 && src[n] < 0x7f) ? src[n] : '?';
	work[n] = '\0';
	if ((p = strstr(work, "key=")) != NULL)
		*p = '\0';
	while (klen >= 5 && (p = strstr(work, s->key)) != NULL) {
		memcpy(p, "[key]", 5);
		memmove(p + 5, p + klen, strlen(p + klen) + 1);
	}
	for (size_t i = 0, j; work[i] != '\0'; i = j > i ? j : i + 1) {
		for (j = i; work[j] >= '0' && work[j] <= '9'; j++)
			;
		if (j - i >= 7)
			memset(work + i, '*', j - i - 4);
	}
	snprintf(out, outsz, "%.*s", (int)(outsz - 1), work); /* ASCII: any cut is clean */
}

/* An HTTP 200 answer: errcode 0 is the only success; anything unreadable is RETRY. */
static void classify_body(const struct wecom_state *s, const struct http_response *resp,
			  struct prov_result *r)
{
	json_t *root = json_loadb(resp->body != NULL ? resp->body : "", resp->body_len, 0, NULL);
	json_t *code = json_object_get(root, "errcode");
	long long c = json_integer_value(code);
	char quote[96];
	size_t i = 0;

	r->outcome = OUTCOME_RETRY;
	if (!json_is_object(root)) {
		snprintf(r->reason, sizeof(r->reason), "WeCom answer is not JSON (%zu bytes)",
			 resp->body_len);
	} else if (!json_is_integer(code)) {
		snprintf(r->reason, sizeof(r->reason), "WeCom answer has no errcode");
	} else if (c == 0) {
		r->outcome = OUTCOME_OK;
	} else {
		while (i < sizeof(wecom_codes) / sizeof(wecom_codes[0]) && wecom_codes[i].code != c)
			i++;
		quote_errmsg(s, json_string_value(json_object_get(root, "errmsg")), quote,
			     sizeof(quote));
		if (i < sizeof(wecom_codes) / sizeof(wecom_codes[0])) {
			r->outcome = wecom_codes[i].outcome;
			snprintf(r->reason, sizeof(r->reason), "WeCom errcode %lld: %s", c,
				 wecom_codes[i].what);
		} else {
			snprintf(r->reason, sizeof(r->reason), "WeCom errcode %lld (unknown): %s",
				 c, quote[0] ? quote : "no errmsg");
		}
		if (c == 45009)
			r->retry_after_ms = WECOM_WINDOW_MS;
	}
	json_decref(root);
}

static void wecom_classify(void *state, const struct http_response *resp,
			   const struct prov_msg *msgs, size_t n, struct prov_result *res)
{
	const struct wecom_state *s = state;
	struct prov_result r = { .outcome = OUTCOME_RETRY };
	char err[96];

	(void)msgs;
	if (resp->timed_out) {
		snprintf(r.reason, sizeof(r.reason),
			 "timeout after %d ms (the alert may have gone; a retry may repeat it)",
			 s->timeout_ms);
	} else if (resp->transport_error) {
		/* curl's text can quote the URL, and the URL holds the key. */
		snprintf(err, sizeof(err), "%.95s", resp->error[0] ? resp->error : "no detail");
		err[strcspn(err, "?")] = '\0';
		snprintf(r.reason, sizeof(r.reason), "connection failed: %s", err);
	} else if (resp->status == 429) {
		r.outcome = OUTCOME_THROTTLED;
		r.retry_after_ms =
			resp->retry_after_ms > 0 ? resp->retry_after_ms : WECOM_WINDOW_MS;
		snprintf(r.reason, sizeof(r.reason), "HTTP 429");
	} else if (resp->status != 200) {
		snprintf(r.reason, sizeof(r.reason), "HTTP %ld from WeCom", resp->status);
	} else {
		classify_body(s, resp, &r);
	}
	for (size_t i = 0; i < n; i++)
		res[i] = r;
}

const struct provider_ops provider_wecom = {
	.type = "wecom",
	.max_batch = 1,
	.create = wecom_create,
	.destroy = wecom_destroy,
	.deliver = NULL,
	.build = wecom_build,
	.classify = wecom_classify,
	.idempotent = 0,
	.parse_receipts = NULL,
	.parse_replies = NULL,
	.push_answer = NULL,
};
