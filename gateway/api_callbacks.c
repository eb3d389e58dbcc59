/* api_callbacks: what outside services push to us, and the WeChat binding QR codes.
 * Owns: /callbacks/NAME/receipts and /replies (checked with the provider's callback token,
 * handed to inbound.c), /callbacks/wechat (URL verification, signed and possibly encrypted
 * event pushes, a (timestamp, nonce) cache against replays; subscribe/SCAN with one of our
 * binding codes binds the resident, unsubscribe drops the openid) and
 * POST /api/v1/residents/{account}/wechat-binding, which makes a one-time code and asks
 * WeChat for a temporary QR code carrying it. Never logs openids or accounts unmasked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api_internal.h"
#include "crypto.h"
#include "http_client.h"
#include "inbound.h"
#include "log.h"
#include "mask.h"
#include "metrics.h"
#include "timefmt.h"
#include "wechat_callback.h"
#include "wx_token.h"

#define NONCES 1024
#define BINDING_TTL_S (7 * 24 * 3600) /* WeChat's temporary QR codes live at most 30 days */

struct api_nonces {
	pthread_mutex_t lock;
	char seen[NONCES][80];
	int next;
};

static const struct provider_config *wechat_provider(const struct gw_config *cfg)
{
	for (int i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].type, "wechat") == 0)
			return &cfg->providers[i];
	return NULL;
}

int api_callbacks_init(struct api *a, struct err *e)
{
	if ((a->nonces = calloc(1, sizeof(*a->nonces))) == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	pthread_mutex_init(&a->nonces->lock, NULL);
	return 0;
}

void api_use_wx_token(struct api *a, struct wx_token *t)
{
	a->wx = t;
}

void api_callbacks_cleanup(struct api *a)
{
	/* a->wx belongs to the daemon (shared with the WeChat worker). */
	if (a->nonces != NULL)
		pthread_mutex_destroy(&a->nonces->lock);
	free(a->nonces);
}

/* A provider's push: answered with the body the provider expects once it is stored. */
static int push(struct api *a, struct call *c, enum inbound_kind kind, struct err *e)
{
	const char *answer = NULL;
	json_t *sum = NULL;
	int rc;

	struct inbound_hook hook = { api_visit_reply, a };

	rc = inbound_push(c->store, a->cfg, c->params[0], kind, http_in_query(c->in, "token"),
			  c->in->body, c->in->body_len, api_now(a), a->cases.rules ? &hook : NULL,
			  &answer, &sum, e);
	if (rc < 0) {
		log_warn("push to /callbacks/%.64s refused: %s", c->params[0], e->msg);
		return rc;
	}
	log_info("push from %.64s: %lld %s", c->params[0],
		 (long long)json_integer_value(
			 json_object_get(sum, kind == INBOUND_RECEIPTS ? "receipts" : "replies")),
		 kind == INBOUND_RECEIPTS ? "receipts" : "replies");
	metrics_duplicates_avoided(
		a->metrics, (int)json_integer_value(json_object_get(sum, "duplicates_avoided")));
	json_decref(sum);
	c->text = strdup(answer);
	c->text_type = "application/json; charset=utf-8";
	return c->text ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
}

int api_cb_receipts(struct api *a, struct call *c, json_t **out, struct err *e)
{
	(void)out;
	return push(a, c, INBOUND_RECEIPTS, e);
}

int api_cb_replies(struct api *a, struct call *c, json_t **out, struct err *e)
{
	(void)out;
	return push(a, c, INBOUND_REPLIES, e);
}

static void wechat_query(const struct call *c, struct wechat_cb_query *q)
{
	q->signature = http_in_query(c->in, "signature");
	q->timestamp = http_in_query(c->in, "timestamp");
	q->nonce = http_in_query(c->in, "nonce");
	q->echostr = http_in_query(c->in, "echostr");
	q->encrypt_type = http_in_query(c->in, "encrypt_type");
	q->msg_signature = http_in_query(c->in, "msg_signature");
}

static int wechat_keys(const struct api *a, struct wechat_cb_keys *k, struct err *e)
{
	if (a->cfg->wechat_token[0] == '\0')
		return err_set(e, ERR_NOTFOUND, "",
			       "the WeChat callback is not configured "
			       "([wechat] token)");
	k->token = a->cfg->wechat_token;
	k->encoding_aes_key = a->cfg->wechat_aes_key;
	k->appid = a->cfg->wechat_appid;
	return 0;
}

static int text_answer(struct call *c, const char *text, struct err *e)
{
	c->text = strdup(text);
	c->text_type = "text/plain; charset=utf-8";
	return c->text ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
}

int api_cb_wechat_verify(struct api *a, struct call *c, json_t **out, struct err *e)
{
	struct wechat_cb_keys k;
	struct wechat_cb_query q;
	int rc;

	(void)out;
	if ((rc = wechat_keys(a, &k, e)) < 0)
		return rc;
	wechat_query(c, &q);
	if ((rc = wechat_cb_check_url(&k, &q, api_now(a), e)) < 0)
		return rc;
	return text_answer(c, q.echostr, e);
}

/* True when (timestamp, nonce) was seen before; remembers it otherwise. */
static bool replayed(struct api_nonces *n, const char *timestamp, const char *nonce)
{
	char key[80];
	bool seen = false;

	snprintf(key, sizeof(key), "%.20s:%.56s", timestamp ? timestamp : "", nonce ? nonce : "");
	pthread_mutex_lock(&n->lock);
	for (int i = 0; i < NONCES && !seen; i++)
		seen = strcmp(n->seen[i], key) == 0;
	if (!seen) {
		memcpy(n->seen[n->next], key, sizeof(key));
		n->next = (n->next + 1) % NONCES;
	}
	pthread_mutex_unlock(&n->lock);
	return seen;
}

static void wechat_event(struct api *a, struct store *s, const struct wechat_cb_event *ev)
{
	char masked[64], account[64];
	struct err e;

	mask_openid(ev->openid, masked, sizeof(masked));
	if (ev->type == WECHAT_CB_UNSUBSCRIBE) {
		if (store_openid_drop(s, ev->openid, api_now(a), &e) < 0)
			log_error("cannot drop openid %s: %s", masked, e.msg);
		else
			log_info("WeChat follower %s unfollowed; the openid is no longer used",
				 masked);
		return;
	}
	if ((ev->type != WECHAT_CB_SUBSCRIBE && ev->type != WECHAT_CB_SCAN) || !ev->scene[0])
		return;
	if (store_binding_use(s, ev->scene, ev->openid, api_now(a), account, &e) < 0) {
		log_warn("WeChat scan by %s: %s", masked, e.msg);
		return;
	}
	{
		char macc[64];

		mask_account(account, macc, sizeof(macc));
		log_info("resident %s is bound to WeChat follower %s", macc, masked);
	}
}

int api_cb_wechat_push(struct api *a, struct call *c, json_t **out, struct err *e)
{
	struct wechat_cb_event ev;
	struct wechat_cb_keys k;
	struct wechat_cb_query q;
	int rc;

	(void)out;
	if ((rc = wechat_keys(a, &k, e)) < 0)
		return rc;
	wechat_query(c, &q);
	rc = wechat_cb_receive(&k, &q, c->in->body, c->in->body_len, api_now(a), &ev, e);
	if (rc < 0) {
		log_warn("WeChat push refused: %s", e->msg);
		return rc;
	}
	if (replayed(a->nonces, q.timestamp, q.nonce))
		return err_set(e, ERR_FORBIDDEN, "nonce", "this push was seen before (replay)");
	wechat_event(a, c->store, &ev);
	return text_answer(c, "success", e);
}

/* A one-time code: 18 random bytes in URL-safe base64 (24 characters; scene_str allows 64). */
static int binding_code(char out[32], struct err *e)
{
	unsigned char raw[18];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0)
			return err_set(e, ERR_IO, NULL, "cannot read random bytes");
		got += (size_t)n;
	}
	if (crypto_base64(raw, sizeof(raw), out, 32) < 0)
		return err_set(e, ERR_INTERNAL, NULL, "cannot encode the binding code");
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return 0;
}

/* Asks WeChat for a temporary QR code whose scene is code; *answer is WeChat's JSON. */
static int qrcode_create(struct api *a, const char *code, json_t **answer, struct err *e)
{
	const struct provider_config *pc = wechat_provider(a->cfg);
	char token[WX_TOKEN_SIZE];
	struct http_request req;
	struct http_response resp = { 0 };
	json_t *body =
		json_pack("{s:i, s:s, s:{s:{s:s}}}", "expire_seconds", BINDING_TTL_S, "action_name",
			  "QR_STR_SCENE", "action_info", "scene", "scene_str", code);
	int rc;

	if ((rc = wx_token_get(a->wx, api_now(a), token, e)) < 0) {
		json_decref(body);
		return rc;
	}
	http_request_init(&req, "POST", "");
	snprintf(req.url, sizeof(req.url), "%.380s/cgi-bin/qrcode/create?access_token=%.600s",
		 pc->endpoint[0] ? pc->endpoint : "https://api.weixin.qq.com", token);
	http_request_header(&req, "Content-Type", "application/json");
	req.body = json_dumps(body, JSON_COMPACT);
	req.body_len = req.body ? strlen(req.body) : 0;
	req.timeout_ms = pc->timeout_ms;
	req.insecure = !pc->tls_verify;
	json_decref(body);
	rc = http_fetch(&req, &resp, e);
	http_request_cleanup(&req);
	if (rc == 0 && (resp.transport_error || resp.status != 200))
		rc = err_set(e, ERR_IO, NULL, "WeChat did not answer qrcode/create (%s)",
			     resp.transport_error ? resp.error : "HTTP error");
	if (rc == 0 &&
	    ((*answer = json_loads(resp.body, 0, NULL)) == NULL ||
	     json_string_value(json_object_get(*answer, "ticket")) == NULL)) {
		rc = err_set(e, ERR_IO, NULL, "WeChat refused qrcode/create: errcode %lld",
			     (long long)json_integer_value(json_object_get(*answer, "errcode")));
		json_decref(*answer);
	}
	http_response_cleanup(&resp);
	return rc;
}

/* A one-time binding code for account's resident, the QR code WeChat made for it, and the
 * URL of its image. */
static int binding_qr(struct api *a, struct store *s, const char *account, json_t **wx,
		      char image[1200], int64_t *exp, struct err *e)
{
	char code[32], *ticket;
	int rc;

	*exp = api_now(a) + (int64_t)BINDING_TTL_S * 1000;
	if (a->wx == NULL)
		return err_set(e, ERR_NOTFOUND, "",
			       "no WeChat account is configured (a provider "
			       "of type wechat)");
	if ((rc = binding_code(code, e)) < 0 ||
	    (rc = store_binding_add(s, code, account, *exp, api_now(a), e)) < 0 ||
	    (rc = qrcode_create(a, code, wx, e)) < 0)
		return rc;
	ticket = crypto_percent_encode(json_string_value(json_object_get(*wx, "ticket")),
				       strlen(json_string_value(json_object_get(*wx, "ticket"))));
	snprintf(image, 1200, "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=%s",
		 ticket ? ticket : "");
	free(ticket);
	return 0;
}

int api_cb_binding_create(struct api *a, struct call *c, json_t **out, struct err *e)
{
	char image[1200], expires[32];
	int64_t exp;
	json_t *wx = NULL;
	int rc;

	if ((rc = binding_qr(a, c->store, c->params[0], &wx, image, &exp, e)) < 0)
		return rc;
	timefmt_iso(exp, a->cfg->utc_offset_min, expires);
	*out = json_pack("{s:s, s:s?, s:s, s:s}", "ticket",
			 json_string_value(json_object_get(wx, "ticket")), "url",
			 json_string_value(json_object_get(wx, "url")), "qr_image_url", image,
			 "expires_at", expires);
	c->status = 201;
	json_decref(wx);
	return 0;
}

/* The tracking page's "follow in WeChat": a page with the binding QR code of the case's
 * resident, so that the case's messages come by WeChat from now on. */
int api_track_wechat(struct api *a, struct call *c, json_t **out, struct err *e)
{
	char account[64], image[1200];
	json_t *wx = NULL;
	int64_t exp;
	int rc;

	(void)out;
	c->text_type = "text/html; charset=utf-8";
	rc = api_track_account(a, c, account, e);
	if (rc == 0)
		rc = binding_qr(a, c->store, account, &wx, image, &exp, e);
	json_decref(wx);
	if (rc == ERR_NOTFOUND)
		return api_track_page_status(c, 404, tracking_page_not_found(), e);
	if (rc < 0)
		return rc;
	return tracking_page_follow(image, &c->text, e);
}
