/* provider: the interface every delivery provider implements, and the table of them.
 * Owns: the message and result shapes shared by the worker and the providers, and the four
 * outcomes. A provider is a const table of functions (providers/<type>.c): it builds a
 * request and classifies the answer; it never touches the store or the clock, and never
 * logs personal data. HTTP providers leave the sending to http_client; local providers
 * (file) deliver themselves. */
#ifndef GATEWAY_PROVIDER_H
#define GATEWAY_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "http_client.h"
#include "templates.h"

enum outcome {
	OUTCOME_OK, /* accepted by the provider */
	OUTCOME_RETRY, /* transient: timeouts, 5xx, connection refused: back off, retry */
	OUTCOME_THROTTLED, /* provider said slow down: pause the provider, retry later */
	OUTCOME_PERMANENT, /* bad number, unsubscribed, rejected: fail with the reason */
	OUTCOME_UNKNOWN, /* a non-idempotent send timed out: it may or may not have gone;
			    reconcile (receipts, status query) before sending again */
};

const char *outcome_name(enum outcome o);

struct prov_msg {
	int64_t id; /* outbox row id: our message id */
	int64_t notice_id;
	const char *channel; /* "sms" | "wechat" */
	const char *kind; /* "planned", "emergency", ... */
	const char *to; /* normalised mobile (11 digits) or openid */
	const char *text; /* rendered text; SMS texts carry the signature */
	int64_t now_ms; /* when the worker sends it (providers never read the clock) */
	/* The notice's template variables (name -> rendered value), for providers that send
	 * provider-approved templates with parameters instead of free text. */
	const struct tmpl_var *vars;
	size_t nvars;
	const char *url; /* tracking page for WeChat messages, or NULL */
};

struct prov_result {
	enum outcome outcome;
	char reason[160]; /* why, for anything but OK: "HTTP 503 Service Unavailable" */
	char ref[96]; /* the provider's id for the message, when it gave one */
	int retry_after_ms; /* THROTTLED: what the provider asked for; 0 = use the default */
	int unreachable; /* PERMANENT because the recipient cannot be reached on this channel
			    (WeChat: unfollowed, invalid openid): fall back to another channel */
	int number_only; /* THROTTLED by a limit on this one number (e.g. one identical SMS
			    per 30 s): only this message waits, the provider is not paused */
};

/* A delivery receipt (status report) pushed by a provider. */
struct prov_receipt {
	char ref[96]; /* the id the send answer gave (Alibaba BizId, Tencent SerialNo) */
	char phone[16]; /* normalised 11-digit mobile */
	char out_id[64]; /* our id echoed back (Alibaba OutId), or "" */
	int delivered; /* 1 delivered, 0 failed */
	char code[64]; /* the carrier's code: DELIVERED, DELIVRD, MK:0001, ... */
	char desc[128]; /* its description, when given */
	int64_t at_ms; /* when the handset received it (or the report time) */
};

/* An SMS a resident sent back (reply to our number). */
struct prov_reply {
	char phone[16]; /* normalised 11-digit mobile */
	char text[512]; /* UTF-8 */
	char ext[32]; /* extension code / sign, when given */
	int64_t at_ms;
};

/* A question about one message's fate (receipt polling, unknown-outcome reconciliation). */
struct prov_status_query {
	const char *phone; /* 11-digit mobile */
	const char *ref; /* the send's ref (BizId), or NULL when the send's answer never came */
	int64_t sent_ms; /* about when it was sent (the provider files sends by day) */
	int64_t now_ms;
};

struct provider_ops {
	const char *type; /* the config's type = ... */
	int max_batch; /* most recipients of one identical text per call (1: no batching) */
	int (*create)(const struct provider_config *cfg, void **state, struct err *e);
	void (*destroy)(void *state);
	/* Local providers: deliver msgs[0..n) now and fill res[0..n). NULL for HTTP ones. */
	int (*deliver)(void *state, const struct prov_msg *msgs, size_t n, struct prov_result *res);
	/* HTTP providers: build one request for msgs[0..n) (identical text when n > 1). */
	int (*build)(void *state, const struct prov_msg *msgs, size_t n, struct http_request *req,
		     struct err *e);
	/* HTTP providers: classify the answer (or transport failure) for each message. */
	void (*classify)(void *state, const struct http_response *resp, const struct prov_msg *msgs,
			 size_t n, struct prov_result *res);
	/* 1 when a retry after a timeout cannot make a second message (our webhook sends an
	 * idempotency key, WeChat has client_msg_id); 0 for the cloud SMS APIs, whose
	 * timeouts are OUTCOME_UNKNOWN. */
	int idempotent;
	/* Optional: parse a status-report push into receipts (at most max); *n gets the count.
	 * ERR_INVALID for a body that is not the provider's format. */
	int (*parse_receipts)(const char *body, size_t len, struct prov_receipt *out, int max,
			      int *n, struct err *e);
	/* Optional: parse an inbound-SMS push into replies. */
	int (*parse_replies)(const char *body, size_t len, struct prov_reply *out, int max, int *n,
			     struct err *e);
	/* Optional: ask the provider what became of one message, and read the answer as
	 * receipts (delivered -1: taken by the provider, no word from the carrier yet; ref may
	 * be "" when the answer does not carry it — the caller knows the query's). */
	int (*build_status)(void *state, const struct prov_status_query *q,
			    struct http_request *req, struct err *e);
	int (*parse_status)(const struct http_response *resp, struct prov_receipt *out, int max,
			    int *n, struct err *e);
	/* Optional: hands the provider an object the whole daemon shares for its account (for
	 * WeChat: the appid's one access-token holder, which the API's QR codes use too); the
	 * provider uses it instead of its own, and the daemon keeps ownership. */
	void (*share)(void *state, void *shared);
	/* What to answer a push that was taken (e.g. {"code":0,"msg":"接收成功"}). */
	const char *push_answer;
};

extern const struct provider_ops provider_file; /* providers/file.c */
extern const struct provider_ops provider_webhook; /* providers/webhook.c */
extern const struct provider_ops provider_aliyun; /* providers/aliyun.c */
extern const struct provider_ops provider_tencent; /* providers/tencent.c */
extern const struct provider_ops provider_wechat; /* providers/wechat.c */
extern const struct provider_ops provider_wecom; /* providers/wecom.c */

/* The provider for a config type, or NULL. */
const struct provider_ops *provider_find(const char *type);

#endif
