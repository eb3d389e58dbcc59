/* providers/tencent_internal: what the Tencent provider's files share: tencent.c (create,
 * build, classify and the provider_ops table), tencent_code.c (error codes and quoting)
 * and tencent_push.c (status reports and replies); tencent_sign.c needs only tencent.h.
 * Nobody outside these files includes this file. */
#ifndef GATEWAY_PROVIDERS_TENCENT_INTERNAL_H
#define GATEWAY_PROVIDERS_TENCENT_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "provider.h"

/* tencent.c: the string member key of o, or "" (also when o is NULL or the member is not a
 * string). */
const char *tencent_str(json_t *o, const char *key);

/* tencent_code.c: copies src into dst, cut on a UTF-8 character boundary when it does not
 * fit. */
void tencent_copy_utf8(char *dst, size_t dstsz, const char *src);
/* Text from outside made safe for a reason or a log: runs of 7 or more digits keep only
 * their last 4 (mask_digits), control characters become spaces and invalid UTF-8 '?'; at
 * most max_chars characters and outsz - 1 bytes, never a character cut in half. */
void tencent_quote(const char *s, char *out, size_t outsz, size_t max_chars);
/* A Tencent error code (request-level or per number) and its message into *r: outcome,
 * retry_after_ms, unreachable and a reason; a code nobody documented is RETRY and logged. */
void tencent_code_result(const char *code, const char *message, struct prov_result *r);

/* tencent_push.c: provider_tencent's parse_receipts and parse_replies (provider.h). */
int tencent_parse_receipts(const char *body, size_t len, struct prov_receipt *out, int max, int *n,
			   struct err *e);
/* A PullSmsSendStatusByPhoneNumber answer as receipts (ref SerialNo, out_id SessionContext). */
int tencent_parse_status(const struct http_response *resp, struct prov_receipt *out, int max,
			 int *n, struct err *e);
int tencent_parse_replies(const char *body, size_t len, struct prov_reply *out, int max, int *n,
			  struct err *e);

#endif
