/* providers/wechat: WeChat Official Account template messages. Called by the worker through
 * provider_wechat: build() takes an access token from the wx_token holder (fetching it with
 * the blocking http_fetch when needed) and makes one template/send request per message;
 * classify() maps WeChat's errcode to an outcome and, on a rejected token, invalidates it so
 * that the retry fetches a fresh one ("refresh once and retry").
 * Sends are idempotent: client_msg_id = "gw<message id>" makes WeChat drop a repeat within
 * 10 minutes, so a timeout is RETRY. Values are cleaned per keyword type (wechat_keyword.c)
 * so that WeChat never rejects one for its length (47003). Never puts an openid, a token or
 * a message's text into a reason.
 * Sources: PROVIDERS.md part 4; sendTemplateMessage
 * developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html;
 * global return codes developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html. */
#include "wechat.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "mask.h"
#include "wechat_keyword.h"
#include "wx_token.h"

#define WECHAT_DEFAULT_BASE "https://api.weixin.qq.com"
#define WECHAT_DEFAULT_TIMEOUT_MS 5000
#define WECHAT_SENT_RING 64 /* builds remembered to know which token a request used */
#define MINUTE_MS 60000
#define DAY_MS 86400000LL
#define BEIJING_OFFSET_MS (8 * 3600000LL) /* WeChat's daily quotas reset at 00:00 +08:00 */

/* The token a build put into the request of one message. */
struct wechat_sent {
	int64_t msg_id;
	char token[WX_TOKEN_SIZE];
};

struct wechat_state {
	char base[sizeof(((struct provider_config *)0)->endpoint)];
	int timeout_ms;
	int insecure; /* tls_verify = off */
	struct wx_token *token;
	int own_token; /* 0 once the daemon's shared holder replaced ours */
	struct provider_template templates[PROVIDER_MAX_TEMPLATES];
	int ntemplates;
	struct wechat_sent sent[WECHAT_SENT_RING];
	unsigned nsent; /* builds so far; the newest is sent[(nsent - 1) % RING] */
};

/* --- create / destroy ------------------------------------------------------------------ */

static int wechat_create(const struct provider_config *cfg, void **state, struct err *e)
{
	struct wechat_state *s;
	const char *base = cfg->endpoint[0] ? cfg->endpoint : WECHAT_DEFAULT_BASE;
	int rc;

	if (cfg->key_id[0] == '\0')
		return err_set(
			e, ERR_INVALID, "key_id",
			"[provider.%s] (line %d) has type = wechat but no key_id; set key_id "
			"= the Official Account's AppID (wx...)",
			cfg->name, cfg->line);
	if (cfg->secret[0] == '\0')
		return err_set(e, ERR_INVALID, "secret",
			       "[provider.%s] (line %d) has type = wechat but no secret; set "
			       "secret_env = the variable holding the account's AppSecret",
			       cfg->name, cfg->line);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory creating provider %s", cfg->name);
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : WECHAT_DEFAULT_TIMEOUT_MS;
	rc = wx_token_new(base, cfg->key_id, cfg->secret, s->timeout_ms, &s->token, e);
	if (rc < 0) {
		free(s);
		return rc;
	}
	wx_token_set_tls_verify(s->token, cfg->tls_verify);
	s->own_token = 1;
	s->insecure = !cfg->tls_verify;
	snprintf(s->base, sizeof(s->base), "%s", base);
	while (s->base[0] != '\0' && s->base[strlen(s->base) - 1] == '/')
		s->base[strlen(s->base) - 1] = '\0';
	s->ntemplates =
		cfg->ntemplates < PROVIDER_MAX_TEMPLATES ? cfg->ntemplates : PROVIDER_MAX_TEMPLATES;
	memcpy(s->templates, cfg->templates, sizeof(s->templates[0]) * (size_t)s->ntemplates);
	*state = s;
	return 0;
}

static void wechat_destroy(void *state)
{
	struct wechat_state *s = state;

	if (s == NULL)
		return;
	if (s->own_token)
		wx_token_free(s->token);
	/* Tokens are credentials too. */
	memset(s->sent, 0, sizeof(s->sent));
	free(s);
}

/* --- build ----------------------------------------------------------------------------- */

static const struct provider_template *find_template(const struct wechat_state *s, const char *kind)
{
	for (int i = 0; i < s->ntemplates; i++)
		if (strcmp(s->templates[i].kind, kind) == 0)
			return &s->templates[i];
	return NULL;
}

static const char *find_var(const struct prov_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nvars; i++)
		if (strcmp(m->vars[i].name, name) == 0)
			return m->vars[i].value != NULL ? m->vars[i].value : "";
	return NULL;
}

/* Trims spaces on both sides, in place. */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* One keyword of params ("thing1=area" or "area") into data. */
static int add_keyword(json_t *data, char *entry, const struct prov_msg *m, struct err *e)
{
	char *eq = strchr(entry, '=');
	char *kw = entry, *var = entry;
	char value[WECHAT_VALUE_SIZE];
	const char *raw;

	if (eq != NULL) {
		*eq = '\0';
		var = trim(eq + 1);
	}
	kw = trim(kw);
	if (kw[0] == '\0' || var[0] == '\0')
		return err_set(e, ERR_INVALID, "params",
			       "params.%s has an empty keyword or variable; write thing1=area,...",
			       m->kind);
	raw = find_var(m, var);
	if (raw == NULL)
		return err_set(e, ERR_INVALID, "params",
			       "params.%s uses variable %s, which a %s notice does not have",
			       m->kind, var, m->kind);
	wechat_keyword_value(kw, raw, value);
	if (json_object_set_new(data, kw, json_pack("{s:s}", "value", value)) < 0)
		return err_set(e, ERR_INVALID, "params",
			       "params.%s: keyword %.40s is not valid UTF-8", m->kind, kw);
	return 0;
}

/* {"keyword": {"value": ...}, ...} from the template's params. */
static int build_data(const struct provider_template *t, const struct prov_msg *m, json_t **out,
		      struct err *e)
{
	char params[sizeof(t->params)];
	char *save = NULL, *entry;
	json_t *data = json_object();
	int rc = 0;

	if (data == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory building a WeChat message");
	snprintf(params, sizeof(params), "%s", t->params);
	for (entry = strtok_r(params, ",", &save); entry != NULL && rc == 0;
	     entry = strtok_r(NULL, ",", &save))
		rc = add_keyword(data, entry, m, e);
	if (rc == 0 && json_object_size(data) == 0)
		rc = err_set(e, ERR_INVALID, "params",
			     "params.%s is empty; list the template's keywords, e.g. "
			     "params.%s = thing1=area,time2=start",
			     m->kind, m->kind);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = data;
	return 0;
}

/* The template/send body; *body is malloc'd. */
static int build_body(const struct wechat_state *s, const struct prov_msg *m, char **body,
		      struct err *e)
{
	const struct provider_template *t = m->kind != NULL ? find_template(s, m->kind) : NULL;
	json_t *root = NULL, *data = NULL;
	char id[32];
	int rc;

	if (m->kind == NULL)
		return err_set(e, ERR_INTERNAL, "kind", "message %lld has no kind",
			       (long long)m->id);
	if (t == NULL || t->id[0] == '\0')
		return err_set(e, ERR_INVALID, "template",
			       "no WeChat template for kind %s; set template.%s = the template_id "
			       "and params.%s",
			       m->kind, m->kind, m->kind);
	if (m->to == NULL || m->to[0] == '\0')
		return err_set(e, ERR_INVALID, "to", "message %lld has no openid",
			       (long long)m->id);
	rc = build_data(t, m, &data, e);
	if (rc < 0)
		return rc;
	snprintf(id, sizeof(id), "gw%lld", (long long)m->id);
	root = json_pack("{s:s,s:s,s:s,s:o}", "touser", m->to, "template_id", t->id,
			 "client_msg_id", id, "data", data);
	if (root != NULL && m->url != NULL && m->url[0] != '\0' &&
	    json_object_set_new(root, "url", json_string(m->url)) < 0) {
		json_decref(root);
		root = NULL;
	}
	*body = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (*body == NULL)
		return err_set(e, ERR_INVALID, "to",
			       "message %lld cannot be encoded as JSON: openid, url or template "
			       "id is not valid UTF-8",
			       (long long)m->id);
	return 0;
}

static int wechat_build(void *state, const struct prov_msg *msgs, size_t n,
			struct http_request *req, struct err *e)
{
	struct wechat_state *s = state;
	struct wechat_sent *sent = &s->sent[s->nsent % WECHAT_SENT_RING];
	char token[WX_TOKEN_SIZE], url[sizeof(req->url)];
	char *body = NULL, *enc = NULL;
	int rc, len;

	if (n != 1)
		return err_set(e, ERR_INTERNAL, NULL,
			       "wechat sends one message per request, was given %zu", n);
	rc = build_body(s, &msgs[0], &body, e);
	if (rc < 0)
		goto out;
	rc = wx_token_get(s->token, msgs[0].now_ms, token, e);
	if (rc < 0)
		goto out;
	enc = crypto_percent_encode(token, strlen(token));
	len = enc == NULL
		? -1
		: snprintf(url, sizeof(url), "%s/cgi-bin/message/template/send?access_token=%s",
			   s->base, enc);
	if (len < 0 || (size_t)len >= sizeof(url)) {
		rc = err_set(e, ERR_INVALID, "endpoint", "WeChat endpoint is too long for a URL");
		goto out;
	}
	http_request_init(req, "POST", url);
	if (http_request_header(req, "Content-Type", "application/json") < 0) {
		rc = err_set(e, ERR_INTERNAL, NULL, "WeChat request headers do not fit");
		goto out;
	}
	req->body_len = strlen(body);
	req->body = body;
	req->timeout_ms = s->timeout_ms;
	req->insecure = s->insecure;
	body = NULL;
	sent->msg_id = msgs[0].id;
	memcpy(sent->token, token, sizeof(sent->token));
	s->nsent++;
out:
	/* The token is a credential; copies of it should not linger on the stack or heap. */
	memset(token, 0, sizeof(token));
	memset(url, 0, sizeof(url));
	if (enc != NULL)
		memset(enc, 0, strlen(enc));
	free(enc);
	free(body);
	return rc;
}

/* --- classify -------------------------------------------------------------------------- */

/* What a template/send errcode means. */
struct send_code {
	int code;
	enum outcome outcome;
	bool unreachable; /* the user cannot get WeChat messages from us: fall back to SMS */
	bool bad_token; /* the token was refused: forget it so the retry fetches another */
	bool quote; /* WeChat's errmsg names the field at fault: quote it */
	const char *what;
};

static const struct send_code send_codes[] = {
	{ -1, OUTCOME_RETRY, false, false, false, "WeChat system busy" },
	{ 40001, OUTCOME_RETRY, false, true, false,
	  "access token invalid or not latest; renewing" },
	{ 42001, OUTCOME_RETRY, false, true, false, "access token expired; renewing" },
	{ 40014, OUTCOME_RETRY, false, true, false, "access token invalid; renewing" },
	{ 45009, OUTCOME_THROTTLED, false, false, false,
	  "daily template message quota reached; paused until 00:00 Beijing time" },
	{ 45011, OUTCOME_THROTTLED, false, false, false, "API minute quota reached; slowing down" },
	{ 40003, OUTCOME_PERMANENT, true, false, false, "invalid openid for this account" },
	{ 43004, OUTCOME_PERMANENT, true, false, false, "the user does not follow the account" },
	{ 40037, OUTCOME_PERMANENT, false, false, false, "invalid template_id; check template." },
	{ 47001, OUTCOME_PERMANENT, false, false, true, "data format error" },
	{ 47003, OUTCOME_PERMANENT, false, false, true, "argument invalid" },
	{ 41001, OUTCOME_PERMANENT, false, false, false, "access token missing" },
	{ 40013, OUTCOME_PERMANENT, false, false, false, "invalid appid; check key_id" },
	{ 40125, OUTCOME_PERMANENT, false, false, false, "invalid appsecret; check secret" },
	{ 40002, OUTCOME_PERMANENT, false, false, false, "invalid grant_type" },
	{ 41002, OUTCOME_PERMANENT, false, false, false, "appid missing; set key_id" },
	{ 41004, OUTCOME_PERMANENT, false, false, false, "appsecret missing; set secret" },
	{ 40164, OUTCOME_PERMANENT, false, false, false,
	  "this server's IP is not in the account's IP whitelist" },
	{ 43001, OUTCOME_PERMANENT, false, false, false, "WeChat wants a GET request" },
	{ 43002, OUTCOME_PERMANENT, false, false, false, "WeChat wants a POST request" },
};

/* WeChat's errmsg, safe to store: printable ASCII, the openid replaced, digit runs of 7 or
 * more masked, at most outsz - 1 bytes. */
static void quote_errmsg(const char *src, const char *openid, char *out, size_t outsz)
{
	size_t n = 0, olen = openid != NULL ? strlen(openid) : 0;
	char work[256];
	char *p;

	for (; src != NULL && src[n] != '\0' && n + 1 < sizeof(work); n++)
		work[n] = (src[n] >= 0x20 && src[n] < 0x7f) ? src[n] : '?';
	work[n] = '\0';
	while (openid != NULL && olen >= 8 && (p = strstr(work, openid)) != NULL) {
		memcpy(p, "[openid]", 8);
		memmove(p + 8, p + olen, strlen(p + olen) + 1);
	}
	mask_digits(work, work, sizeof(work));
	snprintf(out, outsz, "%.*s", (int)(outsz - 1), work); /* ASCII: any cut is clean */
}

/* Milliseconds from now to the next 00:00 in Beijing, when daily quotas reset. */
static int ms_to_beijing_midnight(int64_t now_ms)
{
	int64_t local = (now_ms + BEIJING_OFFSET_MS) % DAY_MS;

	if (local < 0)
		local += DAY_MS;
	return (int)(DAY_MS - local);
}

/* The token the last build for message id used; the newest build's when that one was
 * forgotten (a wrong guess costs one extra token request, which returns the same token). */
static const char *used_token(const struct wechat_state *s, int64_t id)
{
	unsigned kept = s->nsent < WECHAT_SENT_RING ? s->nsent : WECHAT_SENT_RING;

	for (unsigned i = 1; i <= kept; i++) {
		const struct wechat_sent *e = &s->sent[(s->nsent - i) % WECHAT_SENT_RING];

		if (e->msg_id == id)
			return e->token;
	}
	return kept > 0 ? s->sent[(s->nsent - 1) % WECHAT_SENT_RING].token : NULL;
}

static void classify_code(struct wechat_state *s, json_t *root, const struct prov_msg *m,
			  struct prov_result *r)
{
	long long code = json_integer_value(json_object_get(root, "errcode"));
	const char *errmsg = json_string_value(json_object_get(root, "errmsg"));
	const struct send_code *c = NULL;
	char quote[96];

	for (size_t i = 0; i < sizeof(send_codes) / sizeof(send_codes[0]); i++)
		if (send_codes[i].code == code)
			c = &send_codes[i];
	if (c == NULL) {
		quote_errmsg(errmsg, m->to, quote, sizeof(quote));
		r->outcome = OUTCOME_RETRY;
		snprintf(r->reason, sizeof(r->reason), "WeChat errcode %lld (unknown): %s", code,
			 quote[0] ? quote : "no errmsg");
		return;
	}
	r->outcome = c->outcome;
	r->unreachable = c->unreachable;
	quote[0] = '\0';
	if (c->code == 40037)
		snprintf(quote, sizeof(quote), "%.30s", m->kind); /* "check template.KIND" */
	else if (c->quote)
		quote_errmsg(errmsg, m->to, quote, sizeof(quote));
	snprintf(r->reason, sizeof(r->reason), "WeChat errcode %lld: %s%s%s", code, c->what,
		 c->quote ? ": " : "", quote);
	if (code == 45009)
		r->retry_after_ms = ms_to_beijing_midnight(m->now_ms);
	else if (code == 45011)
		r->retry_after_ms = MINUTE_MS;
	if (c->bad_token)
		wx_token_invalidate(s->token, used_token(s, m->id));
}

/* An HTTP 200 answer: errcode 0 is the only success; anything unreadable is RETRY. */
static void classify_body(struct wechat_state *s, const struct http_response *resp,
			  const struct prov_msg *m, struct prov_result *r)
{
	json_t *root = json_loadb(resp->body != NULL ? resp->body : "", resp->body_len, 0, NULL);
	json_t *code = json_object_get(root, "errcode");
	json_t *msgid = json_object_get(root, "msgid");

	r->outcome = OUTCOME_RETRY;
	if (resp->body_len == 0)
		snprintf(r->reason, sizeof(r->reason), "WeChat answered HTTP 200 with no body");
	else if (!json_is_object(root))
		snprintf(r->reason, sizeof(r->reason),
			 "WeChat answer is not JSON (%zu bytes; a proxy page?)", resp->body_len);
	else if (!json_is_integer(code))
		snprintf(r->reason, sizeof(r->reason), "WeChat answer has no errcode");
	else if (json_integer_value(code) != 0)
		classify_code(s, root, m, r);
	else {
		r->outcome = OUTCOME_OK;
		if (json_is_integer(msgid))
			snprintf(r->ref, sizeof(r->ref), "%lld",
				 (long long)json_integer_value(msgid));
		else if (json_is_string(msgid))
			quote_errmsg(json_string_value(msgid), NULL, r->ref, sizeof(r->ref));
	}
	json_decref(root);
}

static void wechat_classify(void *state, const struct http_response *resp,
			    const struct prov_msg *msgs, size_t n, struct prov_result *res)
{
	struct wechat_state *s = state;
	char err[96];

	for (size_t i = 0; i < n; i++) {
		struct prov_result r = { .outcome = OUTCOME_RETRY };

		if (resp->timed_out) {
			snprintf(r.reason, sizeof(r.reason),
				 "timeout after %d ms (a retry is safe: client_msg_id)",
				 s->timeout_ms);
		} else if (resp->transport_error) {
			/* curl's text can quote the URL, and the URL holds the token. */
			snprintf(err, sizeof(err), "%.95s",
				 resp->error[0] ? resp->error : "no detail");
			err[strcspn(err, "?")] = '\0';
			snprintf(r.reason, sizeof(r.reason), "connection failed: %s", err);
		} else if (resp->status == 429) {
			r.outcome = OUTCOME_THROTTLED;
			r.retry_after_ms = resp->retry_after_ms;
			snprintf(r.reason, sizeof(r.reason), "HTTP 429");
		} else if (resp->status != 200) {
			snprintf(r.reason, sizeof(r.reason), "HTTP %ld from WeChat", resp->status);
		} else {
			classify_body(s, resp, &msgs[i], &r);
		}
		res[i] = r;
	}
}

/* One holder per appid for the whole daemon: the worker's sends and the API's QR codes
 * then never make WeChat issue a second token. */
static void wechat_share(void *state, void *shared)
{
	struct wechat_state *s = state;

	if (shared == NULL)
		return;
	if (s->own_token)
		wx_token_free(s->token);
	s->token = shared;
	s->own_token = 0;
}

const struct provider_ops provider_wechat = {
	.share = wechat_share,
	.type = "wechat",
	.max_batch = 1,
	.create = wechat_create,
	.destroy = wechat_destroy,
	.deliver = NULL,
	.build = wechat_build,
	.classify = wechat_classify,
	.idempotent = 1,
	.parse_receipts = NULL,
	.parse_replies = NULL,
	.push_answer = NULL,
};
