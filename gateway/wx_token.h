/* wx_token: the central holder of one WeChat account's access token (one per appid).
 * Owns: the token, its expiry, and fetching it from the stable-token endpoint
 * (POST {base}/cgi-bin/stable_token, force_refresh false) with the blocking http_fetch.
 * Called by providers/wechat.c from build() and classify(); a mutex makes one holder safe to
 * share between threads (the API may ask for the token too). Never reads the clock (callers
 * pass now_ms) and never logs or returns the secret or the token in a message.
 * States: EMPTY -> (get: fetch ok) -> VALID -> (now within 5 min of expiry, or invalidate
 * with the current token) -> STALE -> (get: fetch ok) -> VALID. A failed fetch leaves the
 * holder as it was; get still hands out a STALE token with over a minute left (WeChat
 * accepts it until expiry), and the next get tries the fetch again. */
#ifndef GATEWAY_WX_TOKEN_H
#define GATEWAY_WX_TOKEN_H

#include <stdint.h>

#include "err.h"

/* WeChat asks for at least 512 characters of storage; one more for the NUL and room. */
#define WX_TOKEN_SIZE 600
/* A token is refreshed this long before it expires: the platform issues the next stable
 * token 5 minutes early, and both stay valid during those 5 minutes. */
#define WX_TOKEN_MARGIN_MS (5 * 60 * 1000)

struct wx_token;

/* A holder for appid/secret fetching from base_url (no trailing path, e.g.
 * "https://api.weixin.qq.com"; a trailing '/' is ignored). timeout_ms bounds each fetch
 * (<= 0: 5000). The strings are copied. ERR_INVALID when appid or secret is empty or
 * base_url is not http(s)://; ERR_NOMEM. *out is written only on success. */
int wx_token_new(const char *base_url, const char *appid, const char *secret, int timeout_ms,
		 struct wx_token **out, struct err *e);
/* verify 0: fetch without checking the server's TLS certificate, for a provider whose
 * configuration says tls_verify = off (a test server); a new holder verifies. */
void wx_token_set_tls_verify(struct wx_token *t, int verify);
/* Accepts NULL; wipes the secret and the token. */
void wx_token_free(struct wx_token *t);

/* Copies a token valid beyond now_ms + WX_TOKEN_MARGIN_MS into out, fetching one first when
 * there is none, it is that close to expiry, or it was invalidated (if that fetch fails, a
 * held token with more than a minute left is returned instead). Blocks for the fetch
 * (other callers wait on the mutex rather than fetch again). Errors: ERR_INVALID when
 * WeChat refused the credentials or the caller's IP (configuration: the message names the
 * errcode and what to fix), ERR_IO when WeChat could not be reached, was busy, throttled
 * the token endpoint or answered something unreadable. out is written only on success. */
int wx_token_get(struct wx_token *t, int64_t now_ms, char out[WX_TOKEN_SIZE], struct err *e);

/* Forgets the held token if it is still failed (WeChat said 40001/42001/40014 for it),
 * so that the next wx_token_get fetches a fresh one. A token that was already replaced is
 * left alone: several requests in flight may report the same stale token. */
void wx_token_invalidate(struct wx_token *t, const char *failed);

#endif
