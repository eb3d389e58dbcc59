/* providers/aliyun_internal: what the Aliyun provider's files share: aliyun.c (create,
 * build, classify and the provider_ops table), aliyun_sign.c (signatures and the signed
 * request), aliyun_code.c (what Codes mean, safe text) and aliyun_push.c (pushes and
 * QuerySendDetails). Nobody outside these files includes this file. */
#ifndef GATEWAY_PROVIDERS_ALIYUN_INTERNAL_H
#define GATEWAY_PROVIDERS_ALIYUN_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aliyun.h"

#define ALIYUN_BEIJING_MIN 480 /* Alibaba's push times and day quotas are Beijing time, +08:00 */

struct aliyun_state {
	struct provider_config cfg; /* a private copy; the secret is wiped on destroy */
	char url[512]; /* scheme://host[:port]/path of the endpoint */
	char host[256]; /* host[:port], for the host header */
	char path[256]; /* the endpoint's path, "/" for Alibaba's */
	const char *region;
	bool v3;
};

/* A growable string with a hard cap; bad once memory or the cap ran out. Starts zeroed;
 * the owner frees p. */
struct aliyun_sbuf {
	char *p;
	size_t len, cap;
	bool bad;
};

/* aliyun.c: a mobile number as the API takes it: digits, optionally after '+'. */
bool aliyun_number_ok(const char *to);

/* aliyun_sign.c: appends s to b (nothing once b is bad). */
void aliyun_sb_str(struct aliyun_sbuf *b, const char *s);
/* One signed POST for action into req (http_request_init'ed here; cleaned up again on
 * failure): biz are its business parameters, now_ms the signing time. Returns 0,
 * ERR_NOMEM, ERR_IO (no random nonce) or ERR_INTERNAL (headers do not fit). */
int aliyun_request(const struct aliyun_state *s, const char *action, const struct aliyun_param *biz,
		   size_t nbiz, int64_t now_ms, struct http_request *req, struct err *e);

/* aliyun_code.c: the outcome and reason of an answer with this Code (not NULL) into *r
 * (zeroed by the caller); root is the answer's JSON object. */
void aliyun_code_result(const char *code, const struct http_response *resp, json_t *root,
			const struct prov_msg *msgs, size_t n, struct prov_result *r);
/* r->reason = "<head>: <msg>" (": <msg>" when msg is given), masked and cut to fit. */
void aliyun_set_reason(struct prov_result *r, const char *head, const char *msg);
/* Copies s into out cut on a UTF-8 character boundary; control characters become spaces;
 * NULL gives "". */
void aliyun_copy_cut(const char *s, char *out, size_t outsz);
/* Copies s whole into out; false when s is NULL or does not fit. */
bool aliyun_copy_fit(const char *s, char *out, size_t outsz);

/* aliyun_push.c: provider_aliyun's parse_receipts (SmsReport) and parse_replies (SmsUp):
 * provider.h. */
int aliyun_parse_receipts(const char *body, size_t len, struct prov_receipt *out, int max, int *n,
			  struct err *e);
int aliyun_parse_replies(const char *body, size_t len, struct prov_reply *out, int max, int *n,
			 struct err *e);

#endif
