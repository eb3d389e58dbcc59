/* providers/aliyun: the parts of the Alibaba Cloud SMS provider (dysmsapi 2017-05-25) that
 * are not reached through provider_aliyun: the two request signatures (aliyun_sign.c; so
 * that tests can check them against the published vectors), the SendBatchSms request for
 * messages with differing parameters (aliyun.c), and the QuerySendDetails request and
 * answer that reconcile an unknown outcome (aliyun_push.c). The worker reaches everything
 * else through the provider_ops table.
 * Pure: no I/O, no clock; secrets never leave the stack and the request. */
#ifndef GATEWAY_PROVIDERS_ALIYUN_H
#define GATEWAY_PROVIDERS_ALIYUN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "http_client.h"
#include "provider.h"

#define ALIYUN_V2_SIG_SIZE 32 /* base64 of a SHA-1 MAC (28 characters) and a NUL */
#define ALIYUN_V3_SIG_SIZE 65 /* lower-case hex of a SHA-256 MAC and a NUL */
#define ALIYUN_SIGNED_HEADERS_SIZE 256
#define ALIYUN_MAX_SEND 1000 /* numbers in one SendSms */
#define ALIYUN_MAX_BATCH 100 /* numbers in one SendBatchSms */

extern const struct provider_ops provider_aliyun; /* type "aliyun", max_batch 1000 */

/* One request parameter or header; value "" is sent as an empty value. */
struct aliyun_param {
	const char *name;
	const char *value;
};

/* The parameters sorted by name, names and values RFC 3986-encoded (crypto_percent_encode),
 * joined as name=value with '&': the CanonicalizedQueryString of both signatures, and also
 * what goes on the wire as query string or form body. malloc'd; NULL when out of memory. */
char *aliyun_canonical_query(const struct aliyun_param *p, size_t n);

/* Signature V2 (HMAC-SHA1): Base64(HMAC-SHA1(secret + "&", method + "&%2F&" +
 * percentEncode(canonical_query))). canonical_query must cover every parameter but
 * Signature. Returns 0, or ERR_NOMEM. */
int aliyun_sign_v2(const char *method, const char *canonical_query, const char *secret,
		   char out[ALIYUN_V2_SIG_SIZE], struct err *e);

/* What signature V3 (ACS3-HMAC-SHA256) covers. */
struct aliyun_v3 {
	const char *method; /* "POST" */
	const char *path; /* CanonicalURI: "/" for the RPC APIs */
	const char *canonical_query; /* "" when the parameters travel in the body */
	const struct aliyun_param *headers; /* the signed headers, in any order and case */
	size_t nheaders;
	const char *payload_hash; /* hex SHA-256 of the body, as sent in x-acs-content-sha256 */
};

/* Signature V3: out gets hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" +
 * hex(SHA-256(CanonicalRequest)))), signed_headers the lower-case names joined by ';' for
 * the Authorization header. Returns 0, ERR_NOMEM, or ERR_TOOBIG when the header names do
 * not fit signed_headers. */
int aliyun_sign_v3(const struct aliyun_v3 *in, const char *secret,
		   char signed_headers[ALIYUN_SIGNED_HEADERS_SIZE], char out[ALIYUN_V3_SIG_SIZE],
		   struct err *e);

/* SendBatchSms for msgs[0..n) (n <= ALIYUN_MAX_BATCH, all of one kind), each with its own
 * template parameters from its own vars. state comes from provider_aliyun.create; the
 * contract is provider_ops.build's, and provider_aliyun.classify reads the answer (one Code
 * and one BizId for the whole request, like SendSms). Not wired into the worker yet. */
int aliyun_build_batch(void *state, const struct prov_msg *msgs, size_t n, struct http_request *req,
		       struct err *e);

/* A QuerySendDetails question: the sends to one number on one (Beijing) day. */
struct aliyun_query {
	const char *phone; /* 11-digit mobile */
	const char *biz_id; /* BizId of the send, or NULL for every send of that day */
	int64_t sent_ms; /* when the message was sent: gives SendDate; 0 = use now_ms */
	int64_t now_ms; /* signing time */
	int page_size; /* 1..50 */
	int page; /* CurrentPage, from 1 */
};

int aliyun_build_query(void *state, const struct aliyun_query *q, struct http_request *req,
		       struct err *e);

enum aliyun_send_status {
	ALIYUN_WAITING = 1, /* sent, no receipt from the carrier yet */
	ALIYUN_FAILED = 2,
	ALIYUN_DELIVERED = 3,
};

/* One send record of a QuerySendDetails answer. */
struct aliyun_detail {
	enum aliyun_send_status status;
	char phone[16]; /* normalised 11-digit mobile */
	char out_id[64]; /* our message id as sent in OutId, or "" */
	char code[64]; /* ErrCode: DELIVERED, a carrier code, or "" while waiting */
	char template_code[96];
	int64_t sent_ms; /* SendDate, 0 when missing */
	int64_t at_ms; /* ReceiveDate, 0 while waiting */
};

/* Parses a QuerySendDetails answer into out[0..max); *n gets the count and *total the
 * TotalCount (records on every page). Records with a bad number or status are skipped.
 * ERR_INVALID for a body that is not a JSON object; ERR_IO when Alibaba answered with a
 * Code other than OK (the message names it; the query may be retried later). */
int aliyun_parse_details(const char *body, size_t len, struct aliyun_detail *out, int max, int *n,
			 int *total, struct err *e);

#endif
