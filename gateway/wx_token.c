/* wx_token: one WeChat account's access token, fetched with getStableAccessToken and kept
 * until 5 minutes before it expires. Called by providers/wechat.c (and later the API)
 * through wx_token.h. Never reads the clock, never logs, and never puts the secret or a
 * token into an error message. Holding the mutex across the blocking fetch is deliberate:
 * WeChat wants one central holder per appid, so concurrent callers wait for the one fetch
 * instead of each asking again.
 * Sources: getStableAccessToken developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
 * (POST JSON, normal mode returns the same token while valid and renews it 5 min early);
 * getAccessToken error table developers.weixin.qq.com/doc/store/leagueheadsupplier/API/getaccesstoken.html
 * (40243 AppSecret frozen); PROVIDERS.md part 4. */
#include "wx_token.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"

#define WX_TOKEN_DEFAULT_TIMEOUT_MS 5000
#define WX_TOKEN_GRACE_MS 60000 /* an old token is not used in its last minute */
#define ERRMSG_QUOTE 60 /* characters of an unknown errmsg quoted in a message */

struct wx_token {
	pthread_mutex_t mu;
	char url[640]; /* {base}/cgi-bin/stable_token */
	char appid[128];
	char secret[256];
	int timeout_ms;
	int insecure; /* tls_verify = off: see wx_token_set_tls_verify */
	char token[WX_TOKEN_SIZE]; /* "" = none held */
	int64_t refresh_ms; /* fetch again at or after this instant */
	int64_t expires_ms; /* WeChat stops accepting the token here */
};

/* What an errcode of the token endpoint means and whose fault it is. */
struct token_error {
	int code;
	int err; /* ERR_INVALID: configuration; ERR_IO: try again later */
	const char *field;
	const char *what;
};

static const struct token_error token_errors[] = {
	{ -1, ERR_IO, NULL, "WeChat system busy; the message is retried" },
	{ 40002, ERR_INVALID, NULL, "invalid grant_type (a gateway bug; please report it)" },
	{ 40013, ERR_INVALID, "key_id",
	  "invalid appid; set key_id to the account's AppID (wx...)" },
	{ 40125, ERR_INVALID, "secret",
	  "invalid appsecret; set secret (or secret_env) to the account's AppSecret" },
	{ 40164, ERR_INVALID, NULL,
	  "this server's IP is not whitelisted; add it on mp.weixin.qq.com under 设置与开发 > "
	  "基本配置 > IP白名单" },
	{ 40243, ERR_INVALID, "secret",
	  "the AppSecret is frozen; unfreeze it on mp.weixin.qq.com" },
	{ 41002, ERR_INVALID, "key_id", "appid missing; set key_id" },
	{ 41004, ERR_INVALID, "secret", "appsecret missing; set secret or secret_env" },
	{ 45009, ERR_IO, NULL, "daily quota of the token endpoint reached" },
	{ 45011, ERR_IO, NULL, "minute quota of the token endpoint reached" },
};

int wx_token_new(const char *base_url, const char *appid, const char *secret, int timeout_ms,
		 struct wx_token **out, struct err *e)
{
	struct wx_token *t;
	size_t blen = strlen(base_url);

	if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
		return err_set(e, ERR_INVALID, "endpoint",
			       "WeChat endpoint must start with http:// or https://");
	if (appid[0] == '\0' || strlen(appid) >= sizeof(t->appid))
		return err_set(e, ERR_INVALID, "key_id",
			       "WeChat needs the account's AppID (1 to %zu characters) in key_id",
			       sizeof(t->appid) - 1);
	if (secret[0] == '\0' || strlen(secret) >= sizeof(t->secret))
		return err_set(e, ERR_INVALID, "secret",
			       "WeChat needs the account's AppSecret in secret or secret_env");
	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	if (blen + sizeof("/cgi-bin/stable_token") > sizeof(t->url))
		return err_set(e, ERR_INVALID, "endpoint", "WeChat endpoint is too long");
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return err_set(e, ERR_NOMEM, NULL,
			       "out of memory creating the WeChat token holder");
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t);
		return err_set(e, ERR_INTERNAL, NULL, "cannot create the WeChat token mutex");
	}
	snprintf(t->url, sizeof(t->url), "%.*s/cgi-bin/stable_token", (int)blen, base_url);
	snprintf(t->appid, sizeof(t->appid), "%s", appid);
	snprintf(t->secret, sizeof(t->secret), "%s", secret);
	t->timeout_ms = timeout_ms > 0 ? timeout_ms : WX_TOKEN_DEFAULT_TIMEOUT_MS;
	*out = t;
	return 0;
}

void wx_token_set_tls_verify(struct wx_token *t, int verify)
{
	pthread_mutex_lock(&t->mu);
	t->insecure = !verify;
	pthread_mutex_unlock(&t->mu);
}

void wx_token_free(struct wx_token *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	/* Neither credential should linger in freed memory. */
	memset(t->secret, 0, sizeof(t->secret));
	memset(t->token, 0, sizeof(t->token));
	free(t);
}

/* The stable_token request; the body carries the secret and is wiped by the caller. */
static int token_request(const struct wx_token *t, struct http_request *req, struct err *e)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:b}", "grant_type", "client_credential", "appid",
			      t->appid, "secret", t->secret, "force_refresh", 0);
	char *body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (body == NULL)
		return err_set(e, ERR_INVALID, "key_id",
			       "WeChat token request cannot be encoded: appid or secret is not "
			       "valid UTF-8");
	http_request_init(req, "POST", t->url);
	req->body = body;
	req->body_len = strlen(body);
	req->timeout_ms = t->timeout_ms;
	req->insecure = t->insecure;
	if (http_request_header(req, "Content-Type", "application/json") < 0)
		return err_set(e, ERR_INTERNAL, NULL, "WeChat token request headers do not fit");
	return 0;
}

/* Printable ASCII of WeChat's errmsg, at most ERRMSG_QUOTE characters. */
static void quote_errmsg(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < outsz && o < ERRMSG_QUOTE; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : ' ';
	out[o] = '\0';
}

static int token_errcode(json_t *root, struct err *e)
{
	long long code = json_integer_value(json_object_get(root, "errcode"));
	char msg[ERRMSG_QUOTE + 1];

	for (size_t i = 0; i < sizeof(token_errors) / sizeof(token_errors[0]); i++)
		if (token_errors[i].code == code)
			return err_set(e, token_errors[i].err, token_errors[i].field,
				       "WeChat token errcode %lld: %s", code, token_errors[i].what);
	quote_errmsg(json_string_value(json_object_get(root, "errmsg")), msg, sizeof(msg));
	return err_set(e, ERR_IO, NULL, "WeChat token errcode %lld: %s", code,
		       msg[0] ? msg : "(no errmsg)");
}

/* Takes the token out of a 200 answer, or explains why there is none. */
static int token_parse(struct wx_token *t, const struct http_response *resp, int64_t now_ms,
		       struct err *e)
{
	json_t *root = json_loadb(resp->body != NULL ? resp->body : "", resp->body_len, 0, NULL);
	json_t *code = json_object_get(root, "errcode");
	const char *tok = json_string_value(json_object_get(root, "access_token"));
	json_t *exp = json_object_get(root, "expires_in");
	int64_t life_ms, early_ms;
	int rc = 0;

	if (!json_is_object(root)) {
		rc = err_set(e, ERR_IO, NULL, "WeChat token answer is not JSON (%zu bytes)",
			     resp->body_len);
	} else if (json_is_integer(code) && json_integer_value(code) != 0) {
		rc = token_errcode(root, e);
	} else if (tok == NULL || tok[0] == '\0' || strlen(tok) >= sizeof(t->token) ||
		   !json_is_integer(exp) || json_integer_value(exp) <= 0 ||
		   json_integer_value(exp) > 86400 * 30) {
		rc = err_set(e, ERR_IO, NULL,
			     "WeChat token answer lacks a usable access_token or expires_in");
	} else {
		life_ms = (int64_t)json_integer_value(exp) * 1000;
		/* A lifetime shorter than twice the margin would make every call fetch again;
		 * such a token is used for half its life instead. */
		early_ms = life_ms > 2 * WX_TOKEN_MARGIN_MS ? WX_TOKEN_MARGIN_MS : life_ms / 2;
		snprintf(t->token, sizeof(t->token), "%s", tok);
		t->refresh_ms = now_ms + life_ms - early_ms;
		t->expires_ms = now_ms + life_ms;
	}
	json_decref(root);
	return rc;
}

static int token_fetch(struct wx_token *t, int64_t now_ms, struct err *e)
{
	struct http_request req;
	struct http_response resp;
	int rc;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	rc = token_request(t, &req, e);
	if (rc < 0)
		goto out;
	rc = http_fetch(&req, &resp, e);
	if (rc < 0)
		goto out;
	if (resp.transport_error)
		rc = err_set(e, ERR_IO, NULL, "WeChat token: %s (%s)",
			     resp.timed_out ? "timed out" : "cannot connect", resp.error);
	else if (resp.status != 200)
		rc = err_set(e, ERR_IO, NULL, "WeChat token: HTTP %ld from %s", resp.status,
			     t->url);
	else
		rc = token_parse(t, &resp, now_ms, e);
out:
	if (req.body != NULL)
		memset(req.body, 0, req.body_len);
	http_request_cleanup(&req);
	http_response_cleanup(&resp);
	return rc;
}

int wx_token_get(struct wx_token *t, int64_t now_ms, char out[WX_TOKEN_SIZE], struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&t->mu);
	if (t->token[0] == '\0' || now_ms >= t->refresh_ms)
		rc = token_fetch(t, now_ms, e);
	/* During the last minutes the old token still works; a failed renewal then costs
	 * nothing yet, and the next call tries again. */
	if (rc < 0 && t->token[0] != '\0' && now_ms + WX_TOKEN_GRACE_MS < t->expires_ms)
		rc = 0;
	if (rc == 0)
		memcpy(out, t->token, sizeof(t->token));
	pthread_mutex_unlock(&t->mu);
	return rc;
}

void wx_token_invalidate(struct wx_token *t, const char *failed)
{
	pthread_mutex_lock(&t->mu);
	if (failed != NULL && t->token[0] != '\0' && strcmp(t->token, failed) == 0) {
		memset(t->token, 0, sizeof(t->token));
		t->refresh_ms = 0;
		t->expires_ms = 0;
	}
	pthread_mutex_unlock(&t->mu);
}
