/* providers/tencent: the TC3-HMAC-SHA256 request signature of Tencent Cloud API 3.0
 * (tencent_sign.c), as providers/tencent.c uses it for SendSms. Declared here so that the
 * unit test can check it against the worked example of the "Signature v3" document. Pure:
 * no I/O, no clock (the caller passes the timestamp). The secret key is copied only to the
 * stack and wiped. */
#ifndef GATEWAY_PROVIDERS_TENCENT_H
#define GATEWAY_PROVIDERS_TENCENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Longest host or content type (with its NUL) that tencent_sign takes. */
#define TENCENT_SIGN_FIELD_MAX 256

/* What one signature covers. The signed headers are content-type and host only. */
struct tencent_sign_input {
	const char *secret_id; /* the API key's SecretId (AKID...) */
	const char *secret_key; /* its SecretKey */
	const char *service; /* "sms"; the document's example uses "cvm" */
	const char *host; /* the Host header: "sms.tencentcloudapi.com" */
	const char *content_type; /* exactly the Content-Type sent: "application/json" */
	const char *body; /* the POST body as sent */
	size_t body_len;
	int64_t timestamp; /* X-TC-Timestamp, Unix seconds; the scope's date is its UTC date */
};

/* The intermediate values too, so that a failing signature can be debugged step by step. */
struct tencent_signature {
	char payload_hash[65]; /* hex SHA-256 of the body */
	char canonical_hash[65]; /* hex SHA-256 of the canonical request */
	char signature[65]; /* hex HMAC-SHA256 with the derived key */
	char authorization[400]; /* the whole Authorization header value */
};

/* Signs a POST to "/" without query string. Fills *out and returns 0, or ERR_INVALID when
 * a host, content type, service or key is too long to sign. */
int tencent_sign(const struct tencent_sign_input *in, struct tencent_signature *out, struct err *e);

#endif
